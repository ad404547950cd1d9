"""Content library deploys through the Automation SDK: an OVF template
(descriptor and stream-optimized disks uploaded by PUSH) deployed into the
cluster and read back through pyVmomi and /api/vcenter/vm; a subscribed
library synced from the publisher; a VM exported into an OVF item and made
a vm-template item, deployed again."""
import pytest
from com.vmware.content.library.item.updatesession_client import File as SessionFile
from com.vmware.content.library.item_client import UpdateSessionModel
from com.vmware.content.library_client import ItemModel, PublishInfo, StorageBacking, \
    SubscriptionInfo
from com.vmware.content_client import LibraryModel
from com.vmware.vcenter.ovf_client import LibraryItem as OvfItem
from com.vmware.vcenter.vm_template_client import LibraryItems as TemplateItems
from pyVmomi import vim

from tests import ovf_package
from tests.conftest import _simulator, all_of
from tests.rest_support import client, door, si, token  # noqa: F401


@pytest.fixture(scope='module')
def sim(validator):
    """A simulator of its own: the tests make libraries and VMs."""
    return _simulator(validator)


def _first(si, kind):
    return sorted(all_of(si, kind), key=lambda obj: obj._moId)[0]


def _library(client, si, name, **fields):
    backing = StorageBacking(type=StorageBacking.Type.DATASTORE,
                             datastore_id=_first(si, vim.Datastore)._moId)
    return client.content.LocalLibrary.create(create_spec=LibraryModel(
        name=name, storage_backings=[backing], **fields))


def _upload(client, door, token, item_id, files):
    """Push `files` ({name: bytes}) into the item through one update session."""
    sessions = client.content.library.item.UpdateSession
    session = sessions.create(create_spec=UpdateSessionModel(library_item_id=item_id))
    for name, data in files.items():
        added = client.content.library.item.updatesession.File.add(session, SessionFile.AddSpec(
            name=name, source_type=SessionFile.SourceType.PUSH, size=len(data)))
        answer = door.http.put(added.upload_endpoint.uri, data=data,
                               headers={'vmware-api-session-id': token})
        assert answer.status_code in (200, 201), answer.text
    assert client.content.library.item.updatesession.File.validate(session).has_errors is False
    sessions.complete(session)
    sessions.delete(session)


def _ovf_item(client, door, token, library_id, name='appliance'):
    item_id = client.content.library.Item.create(create_spec=ItemModel(
        library_id=library_id, name=name, type='ovf'))
    disks = {'ovf-vm-disk%d.vmdk' % (n + 1): ovf_package.stream_vmdk(
        ovf_package.disk_contents(n)) for n in range(len(ovf_package.DISK_CAPACITIES))}
    descriptor = ovf_package.descriptor(disk_sizes=[len(data) for data in disks.values()])
    _upload(client, door, token, item_id, {'appliance.ovf': descriptor.encode(), **disks})
    return item_id


def _deploy(client, si, item_id, name):
    cluster = _first(si, vim.ClusterComputeResource)
    return client.vcenter.ovf.LibraryItem.deploy(
        item_id, OvfItem.DeploymentTarget(resource_pool_id=cluster.resourcePool._moId),
        OvfItem.ResourcePoolDeploymentSpec(name=name, accept_all_eula=True))


def test_ovf_item_deployed_into_the_cluster(client, si, door, token):
    """Acceptance: the VM an OVF item deploys is the import's VM, seen by
    /sdk (hardware, disks with the uploaded data) and /api/vcenter/vm."""
    library_id = _library(client, si, 'ovf-templates')
    item_id = _ovf_item(client, door, token, library_id)
    item = client.content.library.Item.get(item_id)
    assert (item.type, item.content_version, item.cached) == ('ovf', '2', True)
    assert item.size == sum(f.size for f in client.content.library.item.File.list(item_id))
    summary = client.vcenter.ovf.LibraryItem.filter(item_id, OvfItem.DeploymentTarget(
        resource_pool_id=_first(si, vim.ClusterComputeResource).resourcePool._moId))
    assert (summary.name, summary.networks) == ('ovf-vm', ['VM Network'])
    result = _deploy(client, si, item_id, 'from-library')
    assert result.succeeded, result.error
    assert result.resource_id.type == 'VirtualMachine'
    vm = vim.VirtualMachine(result.resource_id.id, si._stub)
    assert vm.name == 'from-library'
    assert vm.config.hardware.numCPU == 4
    assert vm.runtime.host in _first(si, vim.ClusterComputeResource).host
    disks = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
    assert [d.capacityInKB * 1024 for d in disks] == list(ovf_package.DISK_CAPACITIES)
    listed = door.request('GET', '/api/vcenter/vm?names=from-library', token=token).json()
    assert [entry['vm'] for entry in listed] == [vm._moId]
    again = _deploy(client, si, item_id, 'from-library')     # the name is taken in the folder
    assert not again.succeeded or again.resource_id.id != vm._moId


def test_deploy_of_what_is_no_ovf_item(client, si, door, token):
    from com.vmware.vapi.std.errors_client import InvalidArgument, NotFound
    library_id = _library(client, si, 'files-only')
    item_id = client.content.library.Item.create(create_spec=ItemModel(
        library_id=library_id, name='notes', type='file'))
    with pytest.raises(InvalidArgument):
        _deploy(client, si, item_id, 'nothing')
    with pytest.raises(NotFound):
        _deploy(client, si, 'no-such-item', 'nothing')


def test_subscribed_library_syncs_from_the_publisher(client, si, door, token):
    """A library published with a password, a subscriber with its URL:
    the subscriber mirrors the items and their files; a new item shows
    after a sync; an on-demand subscriber has metadata until asked."""
    publisher = _library(client, si, 'published', publish_info=PublishInfo(
        published=True, authentication_method=PublishInfo.AuthenticationMethod.BASIC,
        password='s3cret'))
    item_id = _ovf_item(client, door, token, publisher)
    url = client.content.LocalLibrary.get(publisher).publish_info.publish_url
    assert url.endswith('/cls/vcsp/lib/%s/lib.json' % publisher)
    datastore = _first(si, vim.Datastore)._moId

    def subscribe(name, on_demand, password='s3cret'):
        return client.content.SubscribedLibrary.create(create_spec=LibraryModel(
            name=name, type=LibraryModel.LibraryType.SUBSCRIBED,
            storage_backings=[StorageBacking(type=StorageBacking.Type.DATASTORE,
                                             datastore_id=datastore)],
            subscription_info=SubscriptionInfo(
                subscription_url=url, on_demand=on_demand, automatic_sync_enabled=False,
                authentication_method=SubscriptionInfo.AuthenticationMethod.BASIC,
                password=password)))

    from com.vmware.vapi.std.errors_client import ResourceInaccessible
    with pytest.raises(ResourceInaccessible):
        subscribe('wrong-password', False, 'guess')
    probe = client.content.SubscribedLibrary.probe(SubscriptionInfo(
        subscription_url=url, authentication_method=SubscriptionInfo.AuthenticationMethod.BASIC,
        password='guess'))
    assert probe.status == 'INVALID_CREDENTIALS'
    mirror = subscribe('mirror', False)
    (mirrored,) = client.content.library.Item.list(mirror)
    copy = client.content.library.Item.get(mirrored)
    assert (copy.source_id, copy.cached, copy.name) == (item_id, True, 'appliance')
    assert copy.size == client.content.library.Item.get(item_id).size
    assert _deploy(client, si, mirrored, 'from-mirror').succeeded
    refused = door.request('POST', '/api/content/library/subscribed-item/%s?action=evict'
                           % mirrored, token)        # not on demand: its files stay
    assert (refused.status_code, refused.json()['error_type']) == \
        (400, 'INVALID_ELEMENT_CONFIGURATION')

    lazy = subscribe('lazy', True)
    (lazy_item,) = client.content.library.Item.list(lazy)
    assert client.content.library.Item.get(lazy_item).cached is False
    client.content.library.SubscribedItem.sync(lazy_item, True)
    assert client.content.library.Item.get(lazy_item).cached is True
    client.content.library.SubscribedItem.evict(lazy_item)
    assert client.content.library.Item.get(lazy_item).cached is False

    client.content.library.Item.create(create_spec=ItemModel(
        library_id=publisher, name='second', type='file'))
    assert len(client.content.library.Item.list(mirror)) == 1
    client.content.SubscribedLibrary.sync(mirror)
    assert sorted(client.content.library.Item.get(i).name
                  for i in client.content.library.Item.list(mirror)) == ['appliance', 'second']


def test_vm_exported_and_made_a_template(client, si, door, token):
    """A VM exported into an OVF item deploys again; a vm-template item
    holds a template VM and deploys a VM from it."""
    library_id = _library(client, si, 'exports')
    source = _first(si, vim.VirtualMachine)
    created = client.vcenter.ovf.LibraryItem.create(
        source=OvfItem.DeployableIdentity(type='VirtualMachine', id=source._moId),
        target=OvfItem.CreateTarget(library_id=library_id),
        create_spec=OvfItem.CreateSpec(name='exported'))
    assert created.succeeded, created.error
    names = [f.name for f in client.content.library.item.File.list(created.ovf_library_item_id)]
    assert 'exported.ovf' in names
    result = _deploy(client, si, created.ovf_library_item_id, 'reimported')
    assert result.succeeded, result.error
    assert vim.VirtualMachine(result.resource_id.id, si._stub).config.hardware.numCPU == \
        source.config.hardware.numCPU

    cluster = _first(si, vim.ClusterComputeResource)
    template_item = client.vcenter.vm_template.LibraryItems.create(TemplateItems.CreateSpec(
        source_vm=source._moId, name='golden', library=library_id))
    info = client.vcenter.vm_template.LibraryItems.get(template_item)
    template = vim.VirtualMachine(info.vm_template, si._stub)
    assert template.config.template is True
    assert info.memory.size_mib == source.config.hardware.memoryMB
    deployed = client.vcenter.vm_template.LibraryItems.deploy(
        template_item, TemplateItems.DeploySpec(
            name='from-golden', placement=TemplateItems.DeployPlacementSpec(
                cluster=cluster._moId)))
    vm = vim.VirtualMachine(deployed, si._stub)
    assert (vm.name, vm.config.template) == ('from-golden', False)
    client.content.library.Item.delete(template_item)
    assert info.vm_template not in [v._moId for v in all_of(si, vim.VirtualMachine)]
