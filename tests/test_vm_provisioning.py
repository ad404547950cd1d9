"""VM provisioning as vCenter does it, driven by unmodified pyVmomi over the
socket: CreateFolder / CreateVM_Task / MoveIntoFolder_Task / Destroy_Task of
folders and pools, CloneVM_Task (full, linked, from a template),
RelocateVM_Task / MigrateVM_Task between hosts and datastores,
CustomizeVM_Task and the CustomizationSpecManager; each operation's events
through QueryEvents, and a second session's container view seeing a new VM
enter.

A simulator of its own (two datastores): these tests change the inventory.
"""
import threading

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, on_reactor, task_fault as _fault_of


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, ds=2)


@pytest.fixture
def dc(si):
    return si.RetrieveContent().rootFolder.childEntity[0]


def _find(folder, name):
    return next((e for e in folder.childEntity if e.name == name), None)


def _cluster(dc):
    return next(e for e in dc.hostFolder.childEntity if isinstance(e, vim.ClusterComputeResource))


def _events(si, entity, *types):
    spec = vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=entity, recursion='self'),
        eventTypeId=list(types))
    return si.content.eventManager.QueryEvents(spec)


def _config(name, ds='LocalDS_0', network=None, guest='ubuntu64Guest'):
    disk = vim.vm.device.VirtualDeviceSpec(
        operation='add', fileOperation='create',
        device=vim.vm.device.VirtualDisk(
            key=-2, controllerKey=-1, unitNumber=0, capacityInKB=4 * 1024 * 1024,
            backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
                diskMode='persistent', thinProvisioned=True, fileName='')))
    scsi = vim.vm.device.VirtualDeviceSpec(
        operation='add', device=vim.vm.device.ParaVirtualSCSIController(
            key=-1, busNumber=0, sharedBus='noSharing'))
    changes = [scsi, disk]
    if network is not None:
        changes.append(vim.vm.device.VirtualDeviceSpec(
            operation='add', device=vim.vm.device.VirtualVmxnet3(
                key=-3, addressType='generated',
                backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(
                    deviceName=network.name, network=network),
                connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True))))
    return vim.vm.ConfigSpec(name=name, guestId=guest, numCPUs=2, memoryMB=256,
                             files=vim.vm.FileInfo(vmPathName='[%s]' % ds),
                             deviceChange=changes)


def _create(si, dc, name, **kwargs):
    pool = _cluster(dc).resourcePool
    network = _find(dc.networkFolder, 'VM Network')
    task = dc.vmFolder.CreateVM_Task(config=_config(name, network=network, **kwargs), pool=pool)
    assert WaitForTask(task) == 'success'
    return task.info.result


# -- folders ------------------------------------------------------------------------------

def test_create_folder_and_faults(si, dc):
    folder = dc.vmFolder.CreateFolder('prov-folder')
    assert isinstance(folder, vim.Folder) and folder.parent == dc.vmFolder
    assert set(folder.childType) == {'Folder', 'VirtualMachine', 'VirtualApp'}
    assert folder in dc.vmFolder.childEntity
    with pytest.raises(vim.fault.DuplicateName):
        dc.vmFolder.CreateFolder('prov-folder')
    with pytest.raises(vim.fault.InvalidName):
        dc.vmFolder.CreateFolder('')
    net_folder = dc.networkFolder.CreateFolder('prov-net')
    assert 'Network' in net_folder.childType
    assert WaitForTask(net_folder.Destroy()) == 'success'
    # an empty folder goes; the datacenter's own folders cannot
    assert WaitForTask(folder.Destroy()) == 'success'
    assert folder not in dc.vmFolder.childEntity
    with pytest.raises(vmodl.fault.NotSupported):
        dc.vmFolder.Destroy()


def test_create_vm_in_cluster(si, dc):
    cluster = _cluster(dc)
    vm = _create(si, dc, 'prov-created')
    assert isinstance(vm, vim.VirtualMachine)
    assert vm.parent == dc.vmFolder and vm.resourcePool == cluster.resourcePool
    assert vm.runtime.host in cluster.host
    assert vm in vm.runtime.host.vm and vm in cluster.resourcePool.vm
    assert vm.config.hardware.numCPU == 2 and vm.config.hardware.memoryMB == 256
    assert vm.config.files.vmPathName.startswith('[LocalDS_0] prov-created/')
    disks = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
    nics = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)]
    assert len(disks) == 1 and len(nics) == 1 and nics[0].macAddress
    ds = _find(dc.datastoreFolder, 'LocalDS_0')
    assert vm in ds.vm
    for kind in ('VmBeingCreatedEvent', 'VmCreatedEvent'):
        assert len(_events(si, vm, kind)) == 1, kind


def test_create_vm_places_its_files_as_vcenter_does(si, dc):
    """A bare '[ds]' path gives the VM a directory named after it, 'name_1'
    when another VM of that name (in another folder) has that one (a clone
    too); a
    directory or a .vmx path given is where the files go and what they are
    named; a taken .vmx path is FileAlreadyExists."""
    pool = _cluster(dc).resourcePool
    first = _create(si, dc, 'prov-home')
    other = dc.vmFolder.CreateFolder('prov-home-folder')
    task = other.CreateVM_Task(config=_config('prov-home'), pool=pool)
    WaitForTask(task)
    second = task.info.result
    assert first.config.files.vmPathName == '[LocalDS_0] prov-home/prov-home.vmx'
    assert second.config.files.vmPathName == '[LocalDS_0] prov-home_1/prov-home.vmx'
    [disk] = [d for d in second.config.hardware.device
              if isinstance(d, vim.vm.device.VirtualDisk)]
    assert disk.backing.fileName == '[LocalDS_0] prov-home_1/prov-home.vmdk'
    assert all(f.name.startswith('[LocalDS_0] prov-home_1/') for f in second.layoutEx.file)
    def placed_at(name, path):
        config = _config(name)
        config.files.vmPathName = path
        task = dc.vmFolder.CreateVM_Task(config=config, pool=pool)
        WaitForTask(task)
        return task.info.result
    placed = placed_at('prov-placed', '[LocalDS_0] custom-dir/appliance.vmx')
    assert placed.config.files.vmPathName == '[LocalDS_0] custom-dir/appliance.vmx'
    assert placed.config.files.logDirectory == '[LocalDS_0] custom-dir/'
    config = _config('prov-placed-2')
    config.files.vmPathName = '[LocalDS_0] custom-dir/appliance.vmx'
    error = _fault_of(dc.vmFolder.CreateVM_Task(config=config, pool=pool))
    assert isinstance(error, vim.fault.FileAlreadyExists)
    in_dir = placed_at('prov-placed-2', '[LocalDS_0] custom-dir')
    assert in_dir.config.files.vmPathName == '[LocalDS_0] custom-dir/prov-placed-2.vmx'
    # a .vmx at the datastore's top puts the files there: the path is the configuration's
    top = placed_at('prov-top', '[LocalDS_0] prov-top.vmx')
    assert top.config.files.vmPathName == '[LocalDS_0] prov-top.vmx'
    assert top.config.files.logDirectory == '[LocalDS_0] '
    [disk] = [d for d in top.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
    assert disk.backing.fileName == '[LocalDS_0] prov-top.vmdk'
    assert '[LocalDS_0] prov-top.nvram' in {f.name for f in top.layoutEx.file}
    config = _config('prov-top-2')
    config.files.vmPathName = '[LocalDS_0] prov-top.vmx'
    assert isinstance(_fault_of(dc.vmFolder.CreateVM_Task(config=config, pool=pool)),
                      vim.fault.FileAlreadyExists)
    # a clone of the same name in yet another folder gets the next one
    folder = dc.vmFolder.CreateFolder('prov-home-clones')
    task = first.CloneVM_Task(folder=folder, name='prov-home', spec=vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec()))
    WaitForTask(task)
    clone = task.info.result
    assert clone.config.files.vmPathName == '[LocalDS_0] prov-home_2/prov-home.vmx'
    for vm in (second, placed, in_dir, clone, top):
        WaitForTask(vm.Destroy_Task())


def test_create_vm_faults(si, dc):
    cluster = _cluster(dc)
    pool = cluster.resourcePool
    _create(si, dc, 'prov-dup')
    error = _fault_of(dc.vmFolder.CreateVM_Task(config=_config('prov-dup'), pool=pool))
    assert isinstance(error, vim.fault.DuplicateName)
    error = _fault_of(dc.vmFolder.CreateVM_Task(config=_config(''), pool=pool))
    assert isinstance(error, vim.fault.InvalidName)
    error = _fault_of(dc.vmFolder.CreateVM_Task(config=_config('prov-x', ds='nope'), pool=pool))
    assert isinstance(error, vim.fault.InvalidDatastorePath)
    config = _config('prov-file')
    config.files.vmPathName = '[LocalDS_0] prov-dup/prov-dup.vmx'
    error = _fault_of(dc.vmFolder.CreateVM_Task(config=config, pool=pool))
    assert isinstance(error, vim.fault.FileAlreadyExists)
    standalone = next(e for e in dc.hostFolder.childEntity
                      if not isinstance(e, vim.ClusterComputeResource))
    with pytest.raises(vmodl.fault.InvalidArgument):
        dc.vmFolder.CreateVM_Task(config=_config('prov-y'), pool=pool, host=standalone.host[0])
    with pytest.raises(vmodl.fault.NotSupported):
        dc.hostFolder.CreateVM_Task(config=_config('prov-z'), pool=pool)


def test_move_into_folder(si, dc):
    vm = _create(si, dc, 'prov-move')
    folder = dc.vmFolder.CreateFolder('prov-target')
    assert WaitForTask(folder.MoveIntoFolder_Task([vm])) == 'success'
    assert vm.parent == folder and vm in folder.childEntity
    assert vm not in dc.vmFolder.childEntity
    ds = _find(dc.datastoreFolder, 'LocalDS_0')
    assert isinstance(_fault_of(folder.MoveIntoFolder_Task([ds])), vmodl.fault.NotSupported)
    other = _create(si, dc, 'prov-move2')
    twin = folder.CreateFolder('prov-move2')
    assert isinstance(_fault_of(folder.MoveIntoFolder_Task([other])), vim.fault.DuplicateName)
    assert isinstance(_fault_of(twin.MoveIntoFolder_Task([folder])), vim.fault.InvalidFolder)
    assert WaitForTask(dc.vmFolder.MoveIntoFolder_Task([vm])) == 'success'
    assert WaitForTask(twin.Destroy()) == 'success'
    # a folder holding only powered-off VMs is destroyed with them
    assert WaitForTask(folder.MoveIntoFolder_Task([other])) == 'success'
    assert WaitForTask(folder.Destroy()) == 'success'
    assert len(_events(si, dc, 'VmRemovedEvent')) >= 1


def test_resource_pool_destroy_moves_vms_to_parent(sim, si, dc):
    from vimsim.managed.inventory.resource_pool import ResourcePool
    cluster = _cluster(dc)
    root = cluster.resourcePool
    model = sim.sim
    root_obj = model.objects.get(_moref('ResourcePool', root._moId))

    def make():
        return ResourcePool(model, model.objects.next_id('resgroup-'), 'prov-pool', root_obj,
                            root_obj.owner_object).ref.value
    child = vim.ResourcePool(on_reactor(make), si._stub)
    vm = _create(si, dc, 'prov-inpool')
    assert WaitForTask(vm.MigrateVM_Task(pool=child, priority='defaultPriority')) == 'success'
    assert vm.resourcePool == child and vm in child.vm
    assert WaitForTask(child.Destroy()) == 'success'
    assert vm.resourcePool == root and vm in root.vm
    assert child not in root.resourcePool
    assert len(_events(si, vm, 'VmResourcePoolMovedEvent')) == 1
    with pytest.raises(vmodl.fault.InvalidArgument):
        root.Destroy()


# -- clone ------------------------------------------------------------------------------

def test_full_clone(si, dc):
    source = _create(si, dc, 'prov-src')
    ds1 = _find(dc.datastoreFolder, 'LocalDS_1')
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(datastore=ds1), powerOn=True,
                            template=False, config=vim.vm.ConfigSpec(memoryMB=512))
    task = source.CloneVM_Task(folder=dc.vmFolder, name='prov-clone', spec=spec)
    assert WaitForTask(task) == 'success'
    clone = task.info.result
    assert clone.name == 'prov-clone' and clone != source
    assert clone.config.uuid != source.config.uuid
    assert clone.config.hardware.memoryMB == 512 and clone.config.hardware.numCPU == 2
    assert clone.runtime.powerState == 'poweredOn'
    assert clone.config.files.vmPathName.startswith('[LocalDS_1] prov-clone/')
    src_nic = [d for d in source.config.hardware.device
               if isinstance(d, vim.vm.device.VirtualEthernetCard)][0]
    new_nic = [d for d in clone.config.hardware.device
               if isinstance(d, vim.vm.device.VirtualEthernetCard)][0]
    assert src_nic.macAddress != new_nic.macAddress
    disk = [d for d in clone.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0]
    assert disk.backing.fileName.startswith('[LocalDS_1] prov-clone/')
    assert clone in ds1.vm
    assert len(_events(si, source, 'VmBeingClonedEvent')) == 1
    cloned = _events(si, clone, 'VmClonedEvent')
    assert len(cloned) == 1 and cloned[0].sourceVm.vm == source
    error = _fault_of(source.CloneVM_Task(folder=dc.vmFolder, name='prov-clone', spec=spec))
    assert isinstance(error, vim.fault.DuplicateName)


def test_clone_to_template_and_deploy(si, dc):
    source = _create(si, dc, 'prov-tsrc')
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=False, template=True)
    task = source.CloneVM_Task(folder=dc.vmFolder, name='prov-template', spec=spec)
    assert WaitForTask(task) == 'success'
    template = task.info.result
    assert template.config.template is True
    with pytest.raises(vmodl.fault.InvalidArgument):
        template.CloneVM_Task(folder=dc.vmFolder, name='prov-deployed', spec=vim.vm.CloneSpec(
            location=vim.vm.RelocateSpec(), powerOn=False, template=False))
    pool = _cluster(dc).resourcePool
    task = template.CloneVM_Task(folder=dc.vmFolder, name='prov-deployed', spec=vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(pool=pool), powerOn=False, template=False))
    assert WaitForTask(task) == 'success'
    deployed = task.info.result
    assert deployed.config.template is False
    events = _events(si, deployed, 'VmDeployedEvent')
    assert len(events) == 1 and events[0].srcTemplate.vm == template


def test_linked_clone(si, dc):
    source = _create(si, dc, 'prov-lsrc')
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(
        diskMoveType='createNewChildDiskBacking'), powerOn=False, template=False)
    with pytest.raises(vmodl.fault.InvalidArgument):
        source.CloneVM_Task(folder=dc.vmFolder, name='prov-linked', spec=spec)
    assert WaitForTask(source.CreateSnapshot_Task('base', memory=False, quiesce=False)) == 'success'
    snapshot = source.snapshot.currentSnapshot
    spec.snapshot = snapshot
    task = source.CloneVM_Task(folder=dc.vmFolder, name='prov-linked', spec=spec)
    assert WaitForTask(task) == 'success'
    linked = task.info.result
    disk = [d for d in linked.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0]
    assert disk.backing.fileName.startswith('[LocalDS_0] prov-linked/')
    assert disk.backing.parent is not None
    assert disk.backing.parent.fileName.startswith('[LocalDS_0] prov-lsrc/')


# -- migrate / relocate ----------------------------------------------------------------------

def test_migrate_between_hosts(si, dc):
    cluster = _cluster(dc)
    vm = _create(si, dc, 'prov-mig')
    source = vm.runtime.host
    target = next(h for h in cluster.host if h != source)
    task = vm.MigrateVM_Task(pool=None, host=target, priority='defaultPriority')
    assert WaitForTask(task) == 'success'
    assert vm.runtime.host == target
    assert vm in target.vm and vm not in source.vm
    events = _events(si, vm, 'VmMigratedEvent')
    assert len(events) == 1 and events[0].sourceHost.host == source
    # a host in maintenance mode is refused
    host_obj = on_reactor(lambda: si_host(source))
    on_reactor(setattr, host_obj, 'maintenance', True)
    try:
        error = _fault_of(vm.MigrateVM_Task(pool=None, host=source,
                                            priority='defaultPriority'))
        assert isinstance(error, vim.fault.InvalidState)
    finally:
        on_reactor(setattr, host_obj, 'maintenance', False)


_SIM = {}


def si_host(ref):
    return _SIM['sim'].sim.objects.get(_moref('HostSystem', ref._moId))


def _moref(kind, value):
    from vimsim.schema import MoRef
    return MoRef(kind, value)


@pytest.fixture(autouse=True)
def _remember(sim):
    _SIM['sim'] = sim


def test_relocate_storage_and_host(si, dc):
    cluster = _cluster(dc)
    vm = _create(si, dc, 'prov-rel')
    ds0 = _find(dc.datastoreFolder, 'LocalDS_0')
    ds1 = _find(dc.datastoreFolder, 'LocalDS_1')
    target = next(h for h in cluster.host if h != vm.runtime.host)
    task = vm.RelocateVM_Task(spec=vim.vm.RelocateSpec(datastore=ds1, host=target))
    assert WaitForTask(task) == 'success'
    assert vm.runtime.host == target
    assert vm.config.files.vmPathName.startswith('[LocalDS_1] prov-rel/')
    disk = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][0]
    assert disk.backing.fileName.startswith('[LocalDS_1] ') and disk.backing.datastore == ds1
    assert vm in ds1.vm and vm not in ds0.vm
    assert vm.datastore == [ds1]
    events = _events(si, vm, 'VmRelocatedEvent')
    assert len(events) == 1 and events[0].sourceDatastore.datastore == ds0
    # a host that does not mount the datastore
    host_obj = si_host(target)
    ds_obj = on_reactor(lambda: _SIM['sim'].sim.objects.get(_moref('Datastore', ds1._moId)))
    other = next(h for h in cluster.host if h != target)
    other_obj = si_host(other)
    on_reactor(other_obj.datastores.remove, ds_obj)
    try:
        error = _fault_of(vm.RelocateVM_Task(spec=vim.vm.RelocateSpec(host=other)))
        assert isinstance(error, vim.fault.InvalidDatastore)
    finally:
        on_reactor(other_obj.datastores.append, ds_obj)
    assert host_obj is not None


# -- customization ---------------------------------------------------------------------------

def _linux_spec(ip='192.168.10.20', name='web01'):
    return vim.vm.customization.Specification(
        identity=vim.vm.customization.LinuxPrep(
            hostName=vim.vm.customization.FixedName(name=name), domain='example.com'),
        globalIPSettings=vim.vm.customization.GlobalIPSettings(dnsServerList=['10.0.0.1']),
        nicSettingMap=[vim.vm.customization.AdapterMapping(
            adapter=vim.vm.customization.IPSettings(
                ip=vim.vm.customization.FixedIp(ipAddress=ip), subnetMask='255.255.255.0',
                gateway=['192.168.10.1']))])


def _give_tools(vm):
    """A created VM's guest has no tools until told it has (vcsim's SET.*)."""
    told = {'SET.guest.toolsStatus': 'toolsOk', 'SET.guest.toolsRunningStatus':
            'guestToolsRunning'}
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(extraConfig=[
        vim.option.OptionValue(key=key, value=value) for key, value in told.items()])))


def test_customize(si, dc):
    vm = _create(si, dc, 'prov-cust')
    _give_tools(vm)
    assert WaitForTask(vm.CustomizeVM_Task(_linux_spec())) == 'success'
    assert WaitForTask(vm.PowerOnVM_Task()) == 'success'
    assert vm.guest.hostName == 'web01'
    assert vm.guest.ipAddress == '192.168.10.20'
    assert vm.guest.net[0].ipAddress == ['192.168.10.20']
    assert vm.summary.guest.hostName == 'web01'
    # the network settings reach the guest's stack: mask, gateway, DNS
    assert vm.guest.net[0].ipConfig.ipAddress[0].prefixLength == 24
    stack = vm.guest.ipStack[0]
    assert stack.dnsConfig.ipAddress == ['10.0.0.1']
    assert stack.dnsConfig.domainName == 'example.com'
    default_route = [r for r in stack.ipRouteConfig.ipRoute if r.network == '0.0.0.0']
    assert default_route[0].gateway.ipAddress == '192.168.10.1'
    # powered on: InvalidPowerState
    error = _fault_of(vm.CustomizeVM_Task(_linux_spec()))
    assert isinstance(error, vim.fault.InvalidPowerState)
    assert WaitForTask(vm.PowerOffVM_Task()) == 'success'
    bad = _linux_spec()
    bad.nicSettingMap = bad.nicSettingMap * 2
    assert isinstance(_fault_of(vm.CustomizeVM_Task(bad)), vim.fault.NicSettingMismatch)
    for field, junk in (('subnetMask', '255.0.255.0'), ('gateway', ['192.168.10.300'])):
        bad = _linux_spec()
        setattr(bad.nicSettingMap[0].adapter, field, junk)
        assert isinstance(_fault_of(vm.CustomizeVM_Task(bad)), vim.fault.CustomizationFault)
    bad = _linux_spec()
    bad.globalIPSettings.dnsServerList = ['dns.example.com']
    assert isinstance(_fault_of(vm.CustomizeVM_Task(bad)), vim.fault.CustomizationFault)
    other = _create(si, dc, 'prov-cust-other', guest='otherGuest64')
    assert isinstance(_fault_of(other.CustomizeVM_Task(_linux_spec())),
                      vim.fault.UncustomizableGuest)


def test_clone_with_customization(si, dc):
    source = _create(si, dc, 'prov-csrc')
    _give_tools(source)   # and its clone has them too
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=True, template=False,
                            customization=_linux_spec('192.168.10.33', 'app02'))
    task = source.CloneVM_Task(folder=dc.vmFolder, name='prov-cclone', spec=spec)
    assert WaitForTask(task) == 'success'
    clone = task.info.result
    assert clone.guest.hostName == 'app02' and clone.guest.ipAddress == '192.168.10.33'


def test_customization_spec_manager(si):
    manager = si.content.customizationSpecManager
    assert manager.info == [] or all(i.name for i in manager.info)
    assert len(manager.encryptionKey) > 0
    assert manager.DoesCustomizationSpecExist('prov-spec') is False
    assert manager.IsGuestOsCustomizable('ubuntu64Guest') is True
    assert manager.IsGuestOsCustomizable('windows2019srv_64Guest') is True
    assert manager.IsGuestOsCustomizable('otherGuest64') is False
    assert manager.IsGuestOsCustomizable('no-such-os') is False
    with pytest.raises(vim.fault.NotFound):
        manager.GetCustomizationSpec('prov-spec')
    item = vim.CustomizationSpecItem(
        info=vim.CustomizationSpecInfo(name='prov-spec', description='web', type='Linux'),
        spec=_linux_spec())
    manager.CreateCustomizationSpec(item)
    assert manager.DoesCustomizationSpecExist('prov-spec') is True
    with pytest.raises(vim.fault.AlreadyExists):
        manager.CreateCustomizationSpec(item)
    got = manager.GetCustomizationSpec('prov-spec')
    assert got.info.description == 'web' and got.info.changeVersion
    assert got.spec.identity.hostName.name == 'web01'
    assert 'prov-spec' in [i.name for i in manager.info]
    got.info.description = 'changed'
    manager.OverwriteCustomizationSpec(got)
    assert manager.GetCustomizationSpec('prov-spec').info.description == 'changed'
    with pytest.raises(vim.fault.ConcurrentAccess):
        manager.OverwriteCustomizationSpec(got)   # its changeVersion is now stale
    manager.DuplicateCustomizationSpec('prov-spec', 'prov-spec2')
    with pytest.raises(vim.fault.AlreadyExists):
        manager.DuplicateCustomizationSpec('prov-spec', 'prov-spec2')
    manager.RenameCustomizationSpec('prov-spec2', 'prov-spec3')
    assert manager.DoesCustomizationSpecExist('prov-spec2') is False
    assert manager.GetCustomizationSpec('prov-spec3').info.name == 'prov-spec3'
    manager.DeleteCustomizationSpec('prov-spec3')
    manager.DeleteCustomizationSpec('prov-spec')
    with pytest.raises(vim.fault.NotFound):
        manager.DeleteCustomizationSpec('prov-spec')


# -- live updates ------------------------------------------------------------------------------

def test_container_view_sees_new_vm_enter(sim, si, dc):
    watcher = sim.connect()
    try:
        content = watcher.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder,
                                                       [vim.VirtualMachine], True)
        pc = content.propertyCollector.CreatePropertyCollector()
        spec = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[vmodl.query.PropertyCollector.ObjectSpec(
                obj=view, skip=True, selectSet=[vmodl.query.PropertyCollector.TraversalSpec(
                    name='view', type=vim.view.ContainerView, path='view', skip=False)])],
            propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine,
                                                               pathSet=['name'])])
        pc.CreateFilter(spec, True)
        options = vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=0)
        version = pc.WaitForUpdatesEx('', options).version
        seen = []

        def wait():
            current = version
            for _ in range(20):
                result = pc.WaitForUpdatesEx(current, vmodl.query.PropertyCollector.WaitOptions(
                    maxWaitSeconds=5))
                if result is None:
                    continue
                current = result.version
                for filter_set in result.filterSet:
                    for update in filter_set.objectSet:
                        if update.kind == 'enter':
                            names = [c.val for c in update.changeSet if c.name == 'name']
                            seen.extend(names)
                if 'prov-watched' in seen:
                    return
        thread = threading.Thread(target=wait)
        thread.start()
        _create(si, dc, 'prov-watched')
        thread.join(30)
        assert 'prov-watched' in seen
    finally:
        Disconnect(watcher)


# -- RelocateSpec beyond host, pool and datastore --------------------------------------

def _device(vm, kind):
    return next(d for d in vm.config.hardware.device if isinstance(d, kind))


def test_relocate_moves_one_disk_by_its_locator(si, dc):
    """RelocateSpec.disk: the named disk goes to its datastore, the VM's home
    stays; a locator naming no disk of the VM is InvalidArgument."""
    vm = _create(si, dc, 'prov-locator')
    ds1 = _find(dc.datastoreFolder, 'LocalDS_1')
    disk = _device(vm, vim.vm.device.VirtualDisk)
    error = _fault_of(vm.RelocateVM_Task(spec=vim.vm.RelocateSpec(disk=[
        vim.vm.RelocateSpec.DiskLocator(diskId=disk.key + 1000, datastore=ds1)])))
    assert isinstance(error, vmodl.fault.InvalidArgument)
    assert WaitForTask(vm.RelocateVM_Task(spec=vim.vm.RelocateSpec(disk=[
        vim.vm.RelocateSpec.DiskLocator(diskId=disk.key, datastore=ds1)]))) == 'success'
    disk = _device(vm, vim.vm.device.VirtualDisk)
    assert disk.backing.fileName.startswith('[LocalDS_1] prov-locator/')
    assert disk.backing.datastore == ds1
    assert vm.config.files.vmPathName.startswith('[LocalDS_0] ')
    assert set(vm.datastore) == {ds1, _find(dc.datastoreFolder, 'LocalDS_0')}
    assert vm in ds1.vm


def test_relocate_applies_its_device_change(si, dc):
    """RelocateSpec.deviceChange: a NIC moved onto a distributed portgroup
    with the relocation gets a port there; a bad change moves nothing."""
    vm = _create(si, dc, 'prov-rebacked')
    portgroup = next(n for n in dc.network if isinstance(n, vim.dvs.DistributedVirtualPortgroup)
                     and not n.config.uplink)
    nic = _device(vm, vim.vm.device.VirtualEthernetCard)
    home = vm.config.files.vmPathName
    nic.backing = vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName='no-such-net')
    change = vim.vm.device.VirtualDeviceSpec(operation='edit', device=nic)
    ds1 = _find(dc.datastoreFolder, 'LocalDS_1')
    error = _fault_of(vm.RelocateVM_Task(spec=vim.vm.RelocateSpec(datastore=ds1,
                                                                  deviceChange=[change])))
    assert isinstance(error, vim.fault.InvalidDeviceSpec)
    assert vm.config.files.vmPathName == home
    nic.backing = vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
        port=vim.dvs.PortConnection(portgroupKey=portgroup.key,
                                    switchUuid=portgroup.config.distributedVirtualSwitch.uuid))
    assert WaitForTask(vm.RelocateVM_Task(spec=vim.vm.RelocateSpec(
        datastore=ds1, deviceChange=[change]))) == 'success'
    nic = _device(vm, vim.vm.device.VirtualEthernetCard)
    assert nic.backing.port.portgroupKey == portgroup.key and nic.backing.port.portKey
    assert vm.config.files.vmPathName.startswith('[LocalDS_1] ')
    assert portgroup in vm.network


def test_relocate_refuses_what_it_cannot_do(si, dc):
    """A cross-vCenter `service` or a storage `profile` is
    NotSupported, not silently dropped."""
    vm = _create(si, dc, 'prov-service')
    with pytest.raises(vmodl.fault.NotSupported):
        vm.RelocateVM_Task(spec=vim.vm.RelocateSpec(service=vim.ServiceLocator(
            instanceUuid='x', url='https://other/sdk', credential=vim.ServiceLocator.
            NamePassword(username='u', password='p'))))


def test_relocate_out_of_a_vapp(si, dc):
    """A VM relocated from a vApp into a plain pool leaves the vApp as
    MoveIntoResourcePool does: parentVApp unset, back in the VM folder."""
    root = _cluster(dc).resourcePool
    allocation = vim.ResourceAllocationInfo(reservation=0, limit=-1, expandableReservation=True,
                                            shares=vim.SharesInfo(level='normal', shares=0))
    vapp = root.CreateVApp('prov-vapp', vim.ResourceConfigSpec(
        cpuAllocation=allocation, memoryAllocation=allocation), vim.vApp.VAppConfigSpec(),
        dc.vmFolder)
    vm = _create(si, dc, 'prov-vapp-vm')
    vapp.MoveIntoResourcePool([vm])
    assert vm.parentVApp == vapp and vm.parent is None
    assert WaitForTask(vm.RelocateVM_Task(spec=vim.vm.RelocateSpec(pool=root))) == 'success'
    assert vm.parentVApp is None and vm.parent == dc.vmFolder and vm.resourcePool == root
    assert vm in dc.vmFolder.childEntity and vm not in vapp.vm
    with pytest.raises(vmodl.fault.NotSupported):
        WaitForTask(vm.RelocateVM_Task(spec=vim.vm.RelocateSpec(pool=vapp, folder=dc.vmFolder)))
    assert WaitForTask(vm.RelocateVM_Task(spec=vim.vm.RelocateSpec(pool=vapp))) == 'success'
    assert vm.parentVApp == vapp and vm.parent is None


def test_relocate_disk_move_types(si, dc):
    """createNewChildDiskBacking is a clone's choice (InvalidArgument); a
    linked clone asked to take its shared parents along is NotSupported; it
    may move its own delta (moveChildMostDiskBacking)."""
    source = _create(si, dc, 'prov-mt-src')
    WaitForTask(source.CreateSnapshot_Task('base', memory=False, quiesce=False))
    task = source.CloneVM_Task(folder=dc.vmFolder, name='prov-mt-linked', spec=vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(diskMoveType='createNewChildDiskBacking'),
        snapshot=source.snapshot.currentSnapshot, powerOn=False, template=False))
    assert WaitForTask(task) == 'success'
    linked = task.info.result
    ds1 = _find(dc.datastoreFolder, 'LocalDS_1')
    with pytest.raises(vmodl.fault.InvalidArgument):
        linked.RelocateVM_Task(spec=vim.vm.RelocateSpec(diskMoveType='createNewChildDiskBacking'))
    with pytest.raises(vmodl.fault.NotSupported):
        linked.RelocateVM_Task(spec=vim.vm.RelocateSpec(
            datastore=ds1, diskMoveType='moveAllDiskBackingsAndDisallowSharing'))
    assert WaitForTask(linked.RelocateVM_Task(spec=vim.vm.RelocateSpec(
        datastore=ds1, diskMoveType='moveChildMostDiskBacking'))) == 'success'
    disk = _device(linked, vim.vm.device.VirtualDisk)
    assert disk.backing.fileName.startswith('[LocalDS_1] prov-mt-linked/')
    assert disk.backing.parent.fileName.startswith('[LocalDS_0] prov-mt-src/')
