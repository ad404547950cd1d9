"""vslm at /vslm/sdk through pyVmomi's `vslm` types, connected with the vim25
session's cookie as govmomi and pyVmomi's samples connect: the global
first-class disk service over the same disks as /sdk's
VcenterVStorageObjectManager (a disk made by either is the other's), vslm's
own tasks, its queries, its faults; every answer validated against the
served vslm schema."""
import itertools
import time
import urllib.error
import urllib.request

import pytest
from lxml import etree
from pyVim.task import WaitForTask
from pyVmomi import SoapStubAdapter, VmomiSupport, vim, vmodl, vslm

from tests.conftest import _simulator, all_of, logged_in, on_reactor
from tests.test_pbm import answer_faults

NAMES = itertools.count(1)
QuerySpec = vslm.vso.VStorageObjectQuerySpec


@pytest.fixture(scope='module')
def sim(validator):
    """Plain HTTP, a simulator of its own with two datastores (stopped after)."""
    running = _simulator(validator, tls=False, ds=2)
    yield running
    running.stop()


@pytest.fixture
def si(sim):
    yield from logged_in(sim)


def vslm_content(sim, cookie, version='vslm.version.v9_0_0_0'):
    """VslmServiceInstanceContent over a stub sending `cookie` as the
    vcSessionCookie header."""
    VmomiSupport.GetRequestContext()['vcSessionCookie'] = cookie
    stub = SoapStubAdapter(host=sim.host, port=-sim.port, version=version, path='/vslm/sdk',
                           poolSize=0)
    return vslm.ServiceInstance('ServiceInstance', stub).RetrieveContent()


@pytest.fixture
def content(sim, si):
    yield vslm_content(sim, si._stub.cookie.split('"')[1])
    VmomiSupport.GetRequestContext().pop('vcSessionCookie', None)


@pytest.fixture
def env(si, content):
    """(vslm's manager, /sdk's manager, the two datastores)."""
    stores = sorted(all_of(si, vim.Datastore), key=lambda ds: ds.name)
    return content.vStorageObjectManager, si.RetrieveContent().vStorageObjectManager, stores


def finished(task):
    """A VslmTask's info once it has ended (QueryInfo polled)."""
    deadline = time.monotonic() + 10
    while True:
        info = task.QueryInfo()
        if info.state in ('success', 'error'):
            return info
        assert time.monotonic() < deadline, 'the task does not end'
        time.sleep(0.02)


def result(task):
    info = finished(task)
    assert info.state == 'success', info.error
    return task.QueryResult()


def spec(ds, name=None, mb=16, provisioning='thin'):
    return vim.vslm.CreateSpec(
        name=name or 'vslm-disk-%d' % next(NAMES), capacityInMB=mb,
        backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=ds,
                                                            provisioningType=provisioning))


def test_content_and_served_wsdl(sim, content):
    about = content.aboutInfo
    assert about.name == 'VMware Virtual Storage Lifecycle Manager Service'
    assert about.apiVersion == '9.0.0.0' and about.vendor == 'VMware, Inc.'
    assert content.vStorageObjectManager._moId == 'VStorageObjectManager'
    assert isinstance(content.storageLifecycleManager, vslm.StorageLifecycleManager)
    base = 'http://%s:%d/vslm/sdk/' % (sim.host, sim.port)
    wsdl = etree.fromstring(urllib.request.urlopen(base + 'vslm.wsdl').read())
    assert wsdl.get('targetNamespace') == 'urn:vslm'
    assert urllib.request.urlopen(base + 'vslmService.wsdl').status == 200
    with pytest.raises(urllib.error.HTTPError) as raised:      # vimsim's own, never served
        urllib.request.urlopen(base + 'vslm-managedtypes.xsd')
    assert raised.value.code == 404


def test_one_catalog_for_both_endpoints(env):
    """A disk made through vslm is /sdk's (listed, read, renamed there) and
    one made through /sdk is vslm's; the calls vslm hands over take no
    datastore: the disk's is found."""
    vsom, vim_vsom, (ds, other) = env
    task = vsom.CreateDisk(spec(ds, name='through-vslm', mb=32))
    assert isinstance(task, vslm.Task)
    info = finished(task)
    assert (info.state, info.key, info.task) == ('success', task._moId, task)
    assert info.descriptionId == 'vslm.vcenter.VStorageObjectManager.createDisk'
    made = task.QueryResult()
    disk_id = made.config.id
    assert disk_id.id in [i.id for i in vim_vsom.ListVStorageObject(ds)]
    assert vim_vsom.RetrieveVStorageObject(disk_id, ds).config.name == 'through-vslm'

    vim_task = vim_vsom.CreateDisk_Task(spec(other, name='through-sdk'))
    WaitForTask(vim_task)
    theirs = vim_task.info.result.config.id
    assert vsom.RetrieveVStorageObject(theirs).config.backing.datastore == other
    assert vsom.RetrieveVStorageObjectState(theirs).tentative is False

    vsom.RenameVStorageObject(disk_id, 'renamed')
    assert vim_vsom.RetrieveVStorageObject(disk_id, ds).config.name == 'renamed'
    result(vsom.ExtendDisk(disk_id, 64))
    assert vim_vsom.RetrieveVStorageObject(disk_id, ds).config.capacityInMB == 64
    result(vsom.InflateDisk(disk_id))
    assert vsom.RetrieveVStorageObject(disk_id).config.backing.provisioningType == \
        'eagerZeroedThick'

    clone = result(vsom.CloneVStorageObject(disk_id, vim.vslm.CloneSpec(
        name='copy', backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=other))))
    assert clone.config.backing.datastore == other and clone.config.name == 'copy'
    moved = result(vsom.RelocateVStorageObject(theirs, vim.vslm.RelocateSpec(
        backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=ds))))
    assert moved.config.backing.datastore == ds
    assert theirs.id in [i.id for i in vim_vsom.ListVStorageObject(ds)]

    for gone in (disk_id, clone.config.id, theirs):
        assert finished(vsom.DeleteVStorageObject(gone)).state == 'success'
    assert not {disk_id.id, clone.config.id.id, theirs.id} & {
        i.id for store in (ds, other) for i in vim_vsom.ListVStorageObject(store)}
    with pytest.raises(vim.fault.NotFound):
        vsom.RetrieveVStorageObject(disk_id)


def test_snapshots(env):
    vsom, vim_vsom, (ds, _) = env
    disk_id = result(vsom.CreateDisk(spec(ds))).config.id
    first = result(vsom.CreateSnapshot(disk_id, 'first'))
    assert isinstance(first, vim.vslm.ID)
    (snapshot,) = vsom.RetrieveSnapshotInfo(disk_id).snapshots
    assert (snapshot.id.id, snapshot.description) == (first.id, 'first')
    assert [s.id.id for s in vim_vsom.RetrieveSnapshotInfo(disk_id, ds).snapshots] == [first.id]
    copy = result(vsom.CreateDiskFromSnapshot(disk_id, first, 'from-snapshot'))
    assert copy.config.name == 'from-snapshot' and copy.config.id.id != disk_id.id
    result(vsom.RevertVStorageObject(disk_id, first))
    result(vsom.DeleteSnapshot(disk_id, first))
    assert not vsom.RetrieveSnapshotInfo(disk_id).snapshots
    info = finished(vsom.DeleteSnapshot(disk_id, first))
    assert info.state == 'error' and isinstance(info.error, vim.fault.NotFound)
    for made in (disk_id, copy.config.id):
        result(vsom.DeleteVStorageObject(made))


def test_encryption_is_the_same_as_sdk_s(si, env):
    """UpdateVStorageObjectCrypto encrypts the disk /sdk reads, with a key
    of vCenter's default provider."""
    vsom, vim_vsom, (ds, _) = env
    crypto = si.RetrieveContent().cryptoManager
    provider = vim.encryption.KeyProviderId(id='kp-vslm')
    crypto.RegisterKmipServer(vim.encryption.KmipServerSpec(
        clusterId=provider, info=vim.encryption.KmipServerInfo(
            name='kms1', address='kms.example.com', port=5696), password='secret'))
    crypto.MarkDefault(provider)
    disk_id = result(vsom.CreateDisk(spec(ds))).config.id
    policy = [vim.vm.DefinedProfileSpec(profileId='4d5f673c-536f-11e6-beb8-9e71128cae77')]
    result(vsom.UpdateVStorageObjectCrypto(disk_id, profile=policy))
    key = vim_vsom.RetrieveVStorageObject(disk_id, ds).config.backing.keyId
    assert key.providerId.id == 'kp-vslm'
    assert vsom.RetrieveVStorageObject(disk_id).config.backing.keyId.keyId == key.keyId
    info = finished(vsom.UpdateVStorageObjectCrypto(disk_id, disksCrypto=vim.vslm.DiskCryptoSpec(
        crypto=vim.encryption.CryptoSpecDecrypt())))
    assert info.state == 'error' and isinstance(info.error, vmodl.fault.InvalidArgument)
    result(vsom.DeleteVStorageObject(disk_id))


def test_tags_of_the_tagging_service(sim, env):
    vsom, vim_vsom, (ds, _) = env
    tagging = sim.sim.tagging
    category = on_reactor(tagging.create_category, 'vslm-%d' % next(NAMES), '', 'SINGLE', [])
    on_reactor(tagging.create_tag, category, 'gold', '')
    disk_id = result(vsom.CreateDisk(spec(ds))).config.id
    vsom.AttachTagToVStorageObject(disk_id, category.name, 'gold')
    assert [(t.parentCategoryName, t.tagName) for t in
            vim_vsom.ListTagsAttachedToVStorageObject(disk_id)] == [(category.name, 'gold')]
    assert [i.id for i in vsom.ListVStorageObjectsAttachedToTag(category.name, 'gold')] == \
        [disk_id.id]
    assert [t.tagName for t in vsom.ListTagsAttachedToVStorageObject(disk_id)] == ['gold']
    vsom.DetachTagFromVStorageObject(disk_id, category.name, 'gold')
    assert not vim_vsom.ListTagsAttachedToVStorageObject(disk_id)
    with pytest.raises(vim.fault.NotFound):
        vsom.DetachTagFromVStorageObject(disk_id, category.name, 'gold')
    result(vsom.DeleteVStorageObject(disk_id))


def test_queries_by_spec_and_several_at_once(env):
    vsom, _, (ds, other) = env
    prefix = 'query-%d-' % next(NAMES)
    made = [result(vsom.CreateDisk(spec(store, name=prefix + name, mb=mb))).config
            for store, name, mb in ((ds, 'a', 8), (ds, 'b', 24), (other, 'c', 40))]
    by_name = QuerySpec(queryField='name', queryOperator='startsWith', queryValue=[prefix])
    found = vsom.ListVStorageObjectsForSpec(query=[by_name], maxResult=10)
    assert found.allRecordsReturned is True
    assert [r.name for r in found.queryResults] == \
        [c.name for c in sorted(made, key=lambda c: c.id.id)]
    assert [i.id for i in found.id] == [r.id.id for r in found.queryResults]
    (big,) = vsom.ListVStorageObjectsForSpec(query=[by_name, QuerySpec(
        queryField='capacity', queryOperator='greaterThan', queryValue=['30'])],
        maxResult=10).queryResults
    assert big.name == prefix + 'c' and big.capacityInMB == 40
    assert big.datastoreUrl == other.summary.url
    on_ds = vsom.ListVStorageObjectsForSpec(query=[by_name, QuerySpec(
        queryField='datastoreMoId', queryOperator='equals', queryValue=[ds._moId])],
        maxResult=10)
    assert sorted(r.name for r in on_ds.queryResults) == [prefix + 'a', prefix + 'b']
    page = vsom.ListVStorageObjectsForSpec(query=[by_name], maxResult=2)
    assert page.allRecordsReturned is False and len(page.queryResults) == 2
    for bad in (QuerySpec(queryField='colour', queryOperator='equals', queryValue=['x']),
                QuerySpec(queryField='name', queryOperator='sounds', queryValue=['x']),
                QuerySpec(queryField='name', queryOperator='equals', queryValue=['x', 'y']),
                QuerySpec(queryField='capacity', queryOperator='contains', queryValue=['1']),
                QuerySpec(queryField='capacity', queryOperator='equals', queryValue=['many'])):
        with pytest.raises(vmodl.fault.InvalidArgument):
            vsom.ListVStorageObjectsForSpec(query=[bad], maxResult=10)
    with pytest.raises(vmodl.fault.InvalidArgument):
        vsom.ListVStorageObjectsForSpec(query=[by_name], maxResult=0)

    missing = vim.vslm.ID(id='no-such-disk')
    first, second = vsom.RetrieveVStorageObjects([made[0].id, missing])
    assert first.name == prefix + 'a' and first.capacityInMB == 8 and first.error is None
    assert first.diskPath == made[0].backing.filePath
    assert second.id.id == 'no-such-disk' and isinstance(second.error, vim.fault.NotFound)
    for config in made:
        result(vsom.DeleteVStorageObject(config.id))


def test_attach_to_a_vm(si, env):
    vsom, vim_vsom, (ds, _) = env
    disk_id = result(vsom.CreateDisk(spec(ds, mb=8))).config.id
    vm = next(v for v in ds.vm if v.name == 'DC0_H0_VM0')
    result(vsom.AttachDisk(disk_id, vm))
    device = next(d for d in vm.config.hardware.device
                  if isinstance(d, vim.vm.device.VirtualDisk) and d.vDiskId is not None)
    assert device.vDiskId.id == disk_id.id
    assert vsom.RetrieveVStorageObject(disk_id).config.consumerId[0].id == \
        vm.config.instanceUuid
    info = finished(vsom.DeleteVStorageObject(disk_id))     # attached: the VM's
    assert isinstance(info.error, vim.fault.InvalidState)
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        vsom.AttachDisk(disk_id, vim.VirtualMachine('vm-404', vsom._stub))
    WaitForTask(vm.DetachDisk_Task(disk_id))
    result(vsom.DeleteVStorageObject(disk_id))


def test_tasks_faults_and_cancel(env):
    vsom, _, (ds, _) = env
    disk_id = result(vsom.CreateDisk(spec(ds, mb=16))).config.id
    task = vsom.ExtendDisk(disk_id, 8)      # smaller: the task fails
    info = finished(task)
    assert info.state == 'error' and isinstance(info.error, vmodl.fault.InvalidArgument)
    assert isinstance(info.reason, vslm.TaskReasonUser) and info.reason.userName
    assert task.QueryResult() is None
    with pytest.raises(vim.fault.InvalidState):     # it has ended
        task.Cancel()
    with pytest.raises(vmodl.fault.InvalidArgument):   # checked before any task
        vsom.CreateDisk(spec(ds, mb=-1))
    result(vsom.DeleteVStorageObject(disk_id))
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        vslm.Task('task-999999', vsom._stub).QueryInfo()
    with pytest.raises(vim.fault.InvalidDatastore):
        vsom.CreateDisk(vim.vslm.CreateSpec(
            name='x', capacityInMB=1, backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(
                datastore=vim.Datastore('datastore-404', vsom._stub))))


def test_datastore_info(si, content, env):
    _, _, (ds, _) = env
    (found,) = content.storageLifecycleManager.QueryDatastoreInfo(ds.summary.url)
    assert found.datastore == ds and found.datacenter == ds.parent.parent
    with pytest.raises(vim.fault.NotFound):
        content.storageLifecycleManager.QueryDatastoreInfo('ds:///vmfs/volumes/none/')


def test_a_vim25_session_is_required(sim, si):
    """Without a vim25 session vslm answers its content only; a call answers
    NotAuthenticated; a session's cookie in the Cookie header serves too."""
    content = vslm_content(sim, 'not-a-session')
    try:
        with pytest.raises(vim.fault.NotAuthenticated):
            content.vStorageObjectManager.RetrieveVStorageObject(vim.vslm.ID(id='x'))
    finally:
        VmomiSupport.GetRequestContext().pop('vcSessionCookie', None)
    stub = SoapStubAdapter(host=sim.host, port=-sim.port, version='vslm.version.v9_0_0_0',
                           path='/vslm/sdk', poolSize=0)
    stub.cookie = si._stub.cookie
    content = vslm.ServiceInstance('ServiceInstance', stub).RetrieveContent()
    with pytest.raises(vim.fault.NotFound):
        content.vStorageObjectManager.RetrieveVStorageObject(vim.vslm.ID(id='x'))


JUNK = [  # (operation element, the fault's xsi:type)
    ('<VslmRetrieveVStorageObject xmlns="urn:vslm"><_this type="VslmVStorageObjectManager">'
     'VStorageObjectManager</_this></VslmRetrieveVStorageObject>', 'vim25:InvalidRequest'),
    ('<VslmRetrieveVStorageObject xmlns="urn:vslm"><_this type="VslmTask">task-1</_this>'
     '<id><id>x</id></id></VslmRetrieveVStorageObject>', 'vim25:ManagedObjectNotFound'),
    ('<VslmQueryInfo xmlns="urn:vslm"><_this type="VslmVStorageObjectManager">'
     'VStorageObjectManager</_this></VslmQueryInfo>', 'vim25:MethodNotFound'),
    ('<VslmQueryChangedDiskAreas xmlns="urn:vslm"><_this type="VslmVStorageObjectManager">'
     'VStorageObjectManager</_this><id><id>x</id></id><snapshotId><id>y</id></snapshotId>'
     '<startOffset>0</startOffset><changeId>*</changeId></VslmQueryChangedDiskAreas>',
     'vim25:NotFound'),
    ('<VslmQueryGlobalCatalogSyncStatus xmlns="urn:vslm"><_this type="VslmVStorageObjectManager">'
     'VStorageObjectManager</_this></VslmQueryGlobalCatalogSyncStatus>', 'vim25:NotImplemented'),
    ('<VslmListVStorageObjectForSpec xmlns="urn:vslm"><_this type="VslmVStorageObjectManager">'
     'VStorageObjectManager</_this><query><queryField>createTime</queryField><queryOperator>'
     'lessThan</queryOperator><queryValue>yesterday</queryValue></query><maxResult>5'
     '</maxResult></VslmListVStorageObjectForSpec>', 'vim25:InvalidArgument'),
]


def test_requests_vslm_cannot_take_answer_faults(sim, si):
    """Raw SOAP: a missing parameter, a reference of no object, a method of
    another type, a method vimsim lacks, a bad query value, malformed XML:
    each a fault of vslm's schema (validated), never an internal error."""
    answer_faults('http://%s:%d/vslm/sdk' % (sim.host, sim.port), 'urn:vslm/9.0.0.0',
                  si._stub.cookie.split('"')[1], JUNK)


def test_disks_made_through_vslm_survive_a_restart_with_state(validator, tmp_path):
    """With -state, a disk vslm made and renamed is there after a restart,
    under the same id and name."""
    from tests.test_state import _settled, _start, _stop
    first = _start(validator, tmp_path)
    si = first.connect()
    content = vslm_content(first, si._stub.cookie.split('"')[1])
    try:
        ds = sorted(all_of(si, vim.Datastore), key=lambda d: d.name)[0]
        vsom = content.vStorageObjectManager
        disk_id = result(vsom.CreateDisk(spec(ds, name='kept'))).config.id
        vsom.RenameVStorageObject(disk_id, 'kept-renamed')
        _settled(first)
    finally:
        VmomiSupport.GetRequestContext().pop('vcSessionCookie', None)
    _stop(first)
    second = _start(validator, tmp_path)
    si = second.connect()
    content = vslm_content(second, si._stub.cookie.split('"')[1])
    try:
        assert content.vStorageObjectManager.RetrieveVStorageObject(disk_id).config.name == \
            'kept-renamed'
    finally:
        VmomiSupport.GetRequestContext().pop('vcSessionCookie', None)
        _stop(second)
