"""OvfManager and OVF deployment: ParseDescriptor, ValidateHost,
CreateImportSpec (deployment options, network mapping, properties, disk
provisioning, and the errors vCenter reports for a bad package),
ImportVApp over NFC as the pyVmomi community deploy_ovf sample does it,
and an export of the deployed VM described again by CreateDescriptor."""
import itertools
import time
import urllib.request

import pytest
from lxml import etree
from pyVmomi import vim, vmodl

from tests import ovf_package
from tests.conftest import _simulator
from vimsim.managed.storage import ovf_descriptor

_names = itertools.count(1)


@pytest.fixture(scope='module')
def sim(validator):
    """A simulator of this module's own, which keeps the VMs it deploys."""
    return _simulator(validator, tls=False)


def place(si):
    """(datacenter, pool, datastore, network, host) to deploy to."""
    content = si.RetrieveContent()
    dc = content.rootFolder.childEntity[0]
    cluster = next(e for e in dc.hostFolder.childEntity
                   if isinstance(e, vim.ClusterComputeResource))
    host = cluster.host[0]
    ds = next(d for d in host.datastore if d.name.startswith('LocalDS'))
    network = next(n for n in host.network if n.name == 'VM Network')
    return dc, cluster.resourcePool, ds, network, host


def params(**fields):
    return vim.OvfManager.CreateImportSpecParams(**fields)


def messages(faults):
    return [type(f).__name__.rsplit(".", 1)[-1] for f in faults]


def test_parse_descriptor(si):
    manager = si.RetrieveContent().ovfManager
    result = manager.ParseDescriptor(ovf_package.descriptor(),
                                     vim.OvfManager.ParseDescriptorParams())
    assert not result.error
    assert result.defaultEntityName == 'ovf-vm'
    assert [n.name for n in result.network] == ['VM Network']
    assert [o.key for o in result.deploymentOption] == ['small', 'large']
    assert result.defaultDeploymentOption == 'large'
    assert result.annotation == 'Generated for the tests'
    assert result.productInfo.name == 'Test Appliance' and result.productInfo.vendor == 'vimsim'
    props = {p.id: p for p in result.property}
    assert props['hostname'].defaultValue == 'appliance'
    assert props['port'].type == 'int(0..65535)'
    assert props['mode'].type == 'string["a", "b"]'
    assert result.approximateDownloadSize == 3000
    assert result.approximateFlatDeploymentSize == sum(ovf_package.DISK_CAPACITIES)


def test_bad_packages_answer_errors_not_faults(si):
    manager = si.RetrieveContent().ovfManager
    _, pool, ds, _, _ = place(si)
    result = manager.ParseDescriptor('<Envelope><oops', vim.OvfManager.ParseDescriptorParams())
    assert messages(result.error) == ['OvfXmlFormat']
    assert result.error[0].lineNumber == 1
    result = manager.CreateImportSpec('<Envelope xmlns="urn:other"/>', pool, ds, params())
    assert messages(result.error) == ['OvfWrongNamespace'] and result.importSpec is None
    broken = ovf_package.descriptor().replace('ovf:/disk/vmdisk2', 'ovf:/disk/nodisk')
    result = manager.CreateImportSpec(broken, pool, ds, params())
    assert messages(result.error) == ['OvfInvalidValueReference']
    assert result.error[0].value == 'ovf:/disk/nodisk' and result.importSpec is None
    # lax: what vCenter can deploy past is a warning
    result = manager.CreateImportSpec(broken, pool, ds, params(importOption=['lax']))
    assert not result.error and messages(result.warning) == ['OvfInvalidValueReference']
    assert result.importSpec is not None
    result = manager.CreateImportSpec(ovf_package.descriptor(hardware_family='virtualbox-2.2'),
                                      pool, ds, params())
    assert messages(result.error) == ['OvfNoSupportedHardwareFamily']
    result = manager.CreateImportSpec(ovf_package.descriptor(), pool, ds,
                                      params(deploymentOption='huge'))
    assert messages(result.error) == ['OvfInvalidValueConfiguration']
    result = manager.CreateImportSpec(ovf_package.descriptor(), pool, ds,
                                      params(propertyMapping=[vim.KeyValue(key='port',
                                                                           value='70000')]))
    assert messages(result.error) == ['OvfPropertyValue']
    result = manager.CreateImportSpec(ovf_package.descriptor(), pool, ds,
                                      params(diskProvisioning='sideways'))
    assert messages(result.error) == ['OvfUnsupportedDiskProvisioning']
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        manager.CreateImportSpec(ovf_package.descriptor(), vim.ResourcePool('resgroup-0', si._stub),
                                 ds, params())


def test_create_import_spec_maps_the_package(si):
    manager = si.RetrieveContent().ovfManager
    _, pool, ds, network, _ = place(si)
    result = manager.CreateImportSpec(
        ovf_package.descriptor(), pool, ds, params(
            entityName='mapped', deploymentOption='small', diskProvisioning='thin',
            networkMapping=[vim.OvfManager.NetworkMapping(name='VM Network', network=network)],
            propertyMapping=[vim.KeyValue(key='hostname', value='web1')]))
    assert not result.error, result.error
    config = result.importSpec.configSpec
    assert (config.name, config.numCPUs, config.memoryMB) == ('mapped', 1, 512)
    assert config.guestId == 'otherLinux64Guest' and config.version == 'vmx-13'
    devices = [change.device for change in config.deviceChange]
    disks = [d for d in devices if isinstance(d, vim.vm.device.VirtualDisk)]
    assert [d.capacityInKB * 1024 for d in disks] == list(ovf_package.DISK_CAPACITIES)
    assert all(d.backing.thinProvisioned for d in disks)
    nic = next(d for d in devices if isinstance(d, vim.vm.device.VirtualEthernetCard))
    assert isinstance(nic, vim.vm.device.VirtualVmxnet3) and nic.backing.network == network
    assert [f.deviceId for f in result.fileItem] == [
        '/mapped/VirtualLsiLogicController0:0', '/mapped/VirtualLsiLogicController0:1']
    assert [f.path for f in result.fileItem] == ['ovf-vm-disk1.vmdk', 'ovf-vm-disk2.vmdk']
    values = {p.info.id: p.info.value for p in config.vAppConfig.property}
    assert values['hostname'] == 'web1'


def deploy(si, sim, name, upload_method='POST', option=None,
           package=ovf_package.descriptor()):
    """The community deploy_ovf sample's flow: CreateImportSpec, ImportVApp,
    wait for the lease, send each disk to its device URL, complete."""
    dc, pool, ds, network, _ = place(si)
    manager = si.RetrieveContent().ovfManager
    spec = manager.CreateImportSpec(package, pool, ds, params(
        entityName=name, propertyMapping=[vim.KeyValue(key='port', value='9090')],
        **({'deploymentOption': option} if option else {})))
    assert not spec.error
    lease = pool.ImportVApp(spec.importSpec, dc.vmFolder)
    for _ in range(200):
        if lease.state != vim.HttpNfcLease.State.initializing:
            break
        time.sleep(0.02)
    assert lease.state == vim.HttpNfcLease.State.ready, lease.error
    info = lease.info
    assert sorted(u.importKey for u in info.deviceUrl) == sorted(
        item.deviceId for item in spec.fileItem)
    for item in spec.fileItem:
        number = int(item.path[-len('.vmdk') - 1]) - 1
        device_url = next(u for u in info.deviceUrl if u.importKey == item.deviceId)
        url = device_url.url.replace('*', sim.host)
        body = ovf_package.stream_vmdk(ovf_package.disk_contents(number))
        request = urllib.request.Request(url, body, {'Content-Length': str(len(body)),
                                                     'Content-Type':
                                                     'application/x-vnd.vmware-streamVmdk'},
                                         method=upload_method)
        with urllib.request.urlopen(request) as response:
            assert response.status == 200
        lease.HttpNfcLeaseProgress(50)
    lease.HttpNfcLeaseComplete()
    assert lease.state == vim.HttpNfcLease.State.done
    return info.entity


def test_deploy_and_export_round_trip(si, sim):
    """A generated two-disk OVF deployed over NFC; the VM exported again
    (ExportVm), its disks byte-identical, and CreateDescriptor's OVF
    describing the same hardware, networks and properties."""
    vm = deploy(si, sim, 'deployed-%d' % next(_names))
    assert (vm.config.hardware.numCPU, vm.config.hardware.memoryMB) == (4, 2048)
    disks = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
    assert [d.capacityInKB * 1024 for d in disks] == list(ovf_package.DISK_CAPACITIES)
    nic = next(d for d in vm.config.hardware.device
               if isinstance(d, vim.vm.device.VirtualEthernetCard))
    assert nic.backing.deviceName == 'VM Network'
    values = {p.id: p.value for p in vm.config.vAppConfig.property}
    assert values['port'] == '9090'

    lease = vm.ExportVm()
    for _ in range(200):
        if lease.state != vim.HttpNfcLease.State.initializing:
            break
        time.sleep(0.02)
    assert lease.state == vim.HttpNfcLease.State.ready
    ovf_files = []
    for number, device_url in enumerate(lease.info.deviceUrl):
        url = device_url.url.replace('*', sim.host)
        with urllib.request.urlopen(url) as response:
            body = response.read()
        assert ovf_package.flat_image(body, ovf_package.DISK_CAPACITIES[number]) == \
            ovf_package.disk_contents(number)
        ovf_files.append(vim.OvfManager.OvfFile(deviceId=device_url.key, path=device_url.targetId,
                                                size=len(body)))
    manifest = lease.HttpNfcLeaseGetManifest()
    assert [entry.size for entry in manifest] == [f.size for f in ovf_files]
    lease.HttpNfcLeaseComplete()
    manager = si.RetrieveContent().ovfManager
    described = manager.CreateDescriptor(vm, vim.OvfManager.CreateDescriptorParams(
        ovfFiles=ovf_files, name=vm.name))
    assert not described.error
    again = ovf_descriptor.read(described.ovfDescriptor)
    original = ovf_descriptor.read(ovf_package.descriptor())
    assert summary(again, None) == summary(original, 'large')
    # and the descriptor deploys again
    _, pool, ds, _, _ = place(si)
    result = manager.CreateImportSpec(described.ovfDescriptor, pool, ds, params(
        entityName='again-%d' % next(_names)))
    assert not result.error, result.error
    assert [f.path for f in result.fileItem] == ['disk-0.vmdk', 'disk-1.vmdk']


def summary(envelope, option):
    """What a deployment takes from a package: CPUs, memory, disk capacities,
    NIC networks and subtypes, property ids and types."""
    system = envelope.systems[0]
    items = envelope.items(system, option)
    cpu = next(i.quantity for i in items if i.resource_type == ovf_descriptor.CPU)
    memory = next(i.quantity * ovf_descriptor.unit_factor(i.units) for i in items
                  if i.resource_type == ovf_descriptor.MEMORY)
    disks = [envelope.disks[i.host_resource.rsplit('/', 1)[-1]].capacity for i in items
             if i.resource_type == ovf_descriptor.DISK]
    nics = [(i.connection, i.subtype.lower()) for i in items
            if i.resource_type == ovf_descriptor.ETHERNET]
    props = sorted((p.key, ovf_descriptor.vim_property_type(p)) for p in system.properties())
    return cpu, memory, disks, nics, props, system.os_type


def test_descriptor_is_schema_shaped(si, sim):
    """CreateDescriptor's envelope has the OVF 1.0 structure ovftool checks:
    References, then sections, then the VirtualSystem; rasd elements of an
    Item in alphabetical order."""
    vm = deploy(si, sim, 'shaped-%d' % next(_names), upload_method='PUT')
    text = si.RetrieveContent().ovfManager.CreateDescriptor(
        vm, vim.OvfManager.CreateDescriptorParams()).ovfDescriptor
    root = etree.fromstring(text.encode())
    names = [etree.QName(child).localname for child in root]
    assert names[0] == 'References' and names[-1] == 'VirtualSystem'
    for item in root.iter('{%s}Item' % ovf_descriptor.OVF):
        fields = [etree.QName(child).localname for child in item]
        assert fields == sorted(fields)


def test_abort_leaves_no_vm(si):
    dc, pool, ds, _, _ = place(si)
    manager = si.RetrieveContent().ovfManager
    name = 'aborted-%d' % next(_names)
    spec = manager.CreateImportSpec(ovf_package.descriptor(), pool, ds, params(entityName=name))
    lease = pool.ImportVApp(spec.importSpec, dc.vmFolder)
    while lease.state == vim.HttpNfcLease.State.initializing:
        time.sleep(0.02)
    vm = lease.info.entity
    assert vm.name == name
    lease.HttpNfcLeaseAbort()
    assert lease.state == vim.HttpNfcLease.State.error
    assert isinstance(lease.error, vmodl.fault.RequestCanceled)
    assert si.RetrieveContent().searchIndex.FindChild(dc.vmFolder, name) is None
    with pytest.raises(vim.fault.InvalidState):
        lease.HttpNfcLeaseComplete()
    # the import of a name the folder has fails in the lease
    spec = manager.CreateImportSpec(ovf_package.descriptor(), pool, ds,
                                    params(entityName=dc.vmFolder.childEntity[0].name))
    lease = pool.ImportVApp(spec.importSpec, dc.vmFolder)
    while lease.state == vim.HttpNfcLease.State.initializing:
        time.sleep(0.02)
    assert lease.state == vim.HttpNfcLease.State.error
    assert isinstance(lease.error, vim.fault.DuplicateName)


def test_validate_host(si):
    manager = si.RetrieveContent().ovfManager
    _, _, _, _, host = place(si)
    result = manager.ValidateHost(ovf_package.descriptor(), host,
                                  vim.OvfManager.ValidateHostParams())
    assert not result.error
    assert result.flatDeploymentSize == sum(ovf_package.DISK_CAPACITIES)
    assert result.downloadSize == 3000
    assert {'thin', 'thick', 'eagerZeroedThick'} <= set(result.supportedDiskProvisioning)
    result = manager.ValidateHost('not xml', host, vim.OvfManager.ValidateHostParams())
    assert messages(result.error) == ['OvfXmlFormat']


def test_import_into_and_export_a_vapp(si, sim):
    """ImportVApp on a vApp makes a member VM (no folder may be named);
    ExportVApp serves every member's disks; CreateDescriptor describes it."""
    dc, pool, ds, _, _ = place(si)
    def allocation():
        return vim.ResourceAllocationInfo(reservation=0, limit=-1, expandableReservation=True,
                                          shares=vim.SharesInfo(level='normal'))
    vapp = pool.CreateVApp('ovf-vapp-%d' % next(_names), vim.ResourceConfigSpec(
        cpuAllocation=allocation(), memoryAllocation=allocation()),
        vim.vApp.VAppConfigSpec(), dc.vmFolder)
    manager = si.RetrieveContent().ovfManager
    spec = manager.CreateImportSpec(ovf_package.descriptor(), vapp, ds,
                                    params(entityName='member-%d' % next(_names),
                                           deploymentOption='small'))
    with pytest.raises(vmodl.fault.InvalidArgument):
        vapp.ImportVApp(spec.importSpec, dc.vmFolder)
    lease = vapp.ImportVApp(spec.importSpec)
    while lease.state == vim.HttpNfcLease.State.initializing:
        time.sleep(0.02)
    member = lease.info.entity
    assert member.parentVApp == vapp and member.parent is None
    lease.HttpNfcLeaseComplete()
    export = vapp.ExportVApp()
    while export.state == vim.HttpNfcLease.State.initializing:
        time.sleep(0.02)
    assert export.info.entity == vapp
    assert [u.targetId for u in export.info.deviceUrl] == ['disk-0.vmdk', 'disk-1.vmdk']
    assert all(u.key.startswith('/%s/' % member._moId) for u in export.info.deviceUrl)
    export.HttpNfcLeaseComplete()
    text = manager.CreateDescriptor(vapp, vim.OvfManager.CreateDescriptorParams()).ovfDescriptor
    assert ovf_descriptor.read(text).systems[0].name == member.name


def test_vapp_package_deploys_a_vapp(si, sim):
    """A VirtualSystemCollection: ParseDescriptor says virtualApp, the import
    spec is a VirtualAppImportSpec of its members, ImportVApp makes the vApp
    and its member VMs (disks keyed '/<vApp>/<member>/...'), with the
    package's product, properties and start order."""
    dc, pool, ds, _, _ = place(si)
    manager = si.RetrieveContent().ovfManager
    package = ovf_package.vapp_descriptor()
    parsed = manager.ParseDescriptor(package, vim.OvfManager.ParseDescriptorParams())
    assert parsed.virtualApp and parsed.defaultEntityName == 'ovf-vapp' and not parsed.error
    assert sorted(p.id for p in parsed.property) == ['domain', 'hostname', 'hostname', 'mode',
                                                     'mode', 'port', 'port']
    name = 'vapp-%d' % next(_names)
    result = manager.CreateImportSpec(package, pool, ds, params(
        entityName=name, propertyMapping=[vim.KeyValue(key='domain', value='lab.test')]))
    assert not result.error, result.error
    spec = result.importSpec
    assert isinstance(spec, vim.VirtualAppImportSpec) and spec.name == name
    assert [c.configSpec.name for c in spec.child] == ['web', 'db']
    assert result.fileItem[0].deviceId == '/%s/web/VirtualLsiLogicController0:0' % name
    assert [p.info.value for p in spec.vAppConfigSpec.property] == ['lab.test']
    vapp = deploy(si, sim, name, package=package)
    assert isinstance(vapp, vim.VirtualApp) and vapp.name == name
    assert vapp in dc.vmFolder.childEntity
    members = sorted(vapp.vm, key=lambda vm: vm.name)
    assert [vm.name for vm in members] == ['db', 'web']
    assert all(vm.parentVApp == vapp and vm.parent is None for vm in members)
    disks = [d for d in members[0].config.hardware.device
             if isinstance(d, vim.vm.device.VirtualDisk)]
    assert [d.capacityInKB * 1024 for d in disks] == list(ovf_package.DISK_CAPACITIES)
    config = vapp.vAppConfig
    assert config.product[0].name == 'Test vApp'
    assert [(p.id, p.defaultValue) for p in config.property] == [('domain', 'example.com')]
    assert all({p.id: p.value for p in vm.config.vAppConfig.property}['port'] == '9090'
               for vm in members)
    order = {e.key.name: (e.startOrder, e.startDelay, e.stopAction) for e in config.entityConfig}
    assert order == {'web': (1, 10, 'guestShutdown'), 'db': (2, 10, 'guestShutdown')}

    # exported and described again: a collection of both members, which deploys again
    export = vapp.ExportVApp()
    while export.state == vim.HttpNfcLease.State.initializing:
        time.sleep(0.02)
    ovf_files = [vim.OvfManager.OvfFile(deviceId=u.key, path=u.targetId, size=1)
                 for u in export.info.deviceUrl]
    assert len(ovf_files) == 4
    export.HttpNfcLeaseComplete()
    described = manager.CreateDescriptor(vapp, vim.OvfManager.CreateDescriptorParams(
        ovfFiles=ovf_files))
    assert not described.error
    again = ovf_descriptor.read(described.ovfDescriptor)
    assert not again.problems and again.is_vapp and again.top.name == name
    assert [s.name for s in again.systems] == ['web', 'db']
    assert sorted(again.disks) == ['vmdisk1', 'vmdisk2', 'vmdisk3', 'vmdisk4']
    assert [again.top.startup[m].order for m in ('web', 'db')] == [1, 2]
    assert [p.key for p in again.top.properties()] == ['domain']
    result = manager.CreateImportSpec(described.ovfDescriptor, pool, ds, params(
        entityName='vapp-again-%d' % next(_names)))
    assert not result.error, result.error
    assert [c.configSpec.name for c in result.importSpec.child] == ['web', 'db']
    assert len(result.fileItem) == 4


def test_aborted_vapp_import_leaves_nothing(si):
    dc, pool, ds, _, _ = place(si)
    manager = si.RetrieveContent().ovfManager
    name = 'vapp-aborted-%d' % next(_names)
    package = ovf_package.vapp_descriptor(members=('app-a', 'app-b'))
    spec = manager.CreateImportSpec(package, pool, ds, params(entityName=name))
    lease = pool.ImportVApp(spec.importSpec, dc.vmFolder)
    while lease.state == vim.HttpNfcLease.State.initializing:
        time.sleep(0.02)
    assert lease.state == vim.HttpNfcLease.State.ready, lease.error
    vapp = lease.info.entity
    assert isinstance(vapp, vim.VirtualApp) and len(vapp.vm) == 2
    lease.HttpNfcLeaseAbort()
    assert si.RetrieveContent().searchIndex.FindChild(dc.vmFolder, name) is None
    assert all(p.name != name for p in pool.resourcePool)
    # the members' files went too: the same package imports again
    lease = pool.ImportVApp(spec.importSpec, dc.vmFolder)
    while lease.state == vim.HttpNfcLease.State.initializing:
        time.sleep(0.02)
    assert lease.state == vim.HttpNfcLease.State.ready, lease.error
    lease.HttpNfcLeaseAbort()
    # a vApp name the folder has is refused before any lease
    spec.importSpec.name = dc.vmFolder.childEntity[0].name
    with pytest.raises(vim.fault.DuplicateName):
        pool.ImportVApp(spec.importSpec, dc.vmFolder)
