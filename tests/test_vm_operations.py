"""VM operations as vCenter runs them, driven by unmodified pyVmomi: power
(states, events, InvalidPowerState), reconfigure (disk, NIC, CPU, memory, the
hot-change rules), snapshots (tree, delta files, revert, remove), destroy and
unregister (the VM leaves a watched view), templates, and per-VM task
serialization (TaskInProgress).

A simulator of their own: these tests change the inventory.
"""
import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, on_reactor

PC = vmodl.query.PropertyCollector


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, vm=3, autostart=False)


@pytest.fixture
def durations(sim):
    manager = sim.sim.task_manager
    yield manager.durations
    on_reactor(manager.durations.clear)


def find_vm(si, name):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        return next(vm for vm in view.view if vm.name == name)
    finally:
        view.DestroyView()


def events_of(si, vm, *types):
    spec = vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=vm, recursion='self'),
        eventTypeId=list(types))
    return si.RetrieveContent().eventManager.QueryEvents(spec)


def result_of(task):
    WaitForTask(task)
    return task.info.result


def fails_with(fault_type, task):
    with pytest.raises(fault_type) as caught:
        WaitForTask(task)
    return caught.value


def test_power_cycle_states_events_and_faults(si):
    vm = find_vm(si, 'DC0_H0_VM0')
    assert vm.runtime.powerState == 'poweredOff'
    WaitForTask(vm.PowerOnVM_Task())
    assert vm.runtime.powerState == 'poweredOn'
    assert vm.runtime.bootTime is not None
    assert vm.guest.toolsRunningStatus == 'guestToolsRunning'
    assert vm.guest.ipAddress
    assert vm.summary.quickStats.overallCpuUsage > 0
    assert {e.__class__.__name__ for e in events_of(si, vm, 'VmStartingEvent',
                                                    'VmPoweredOnEvent')} == \
        {'vim.event.VmStartingEvent', 'vim.event.VmPoweredOnEvent'}

    error = fails_with(vim.fault.InvalidPowerState, vm.PowerOnVM_Task())
    assert error.existingState == 'poweredOn'

    WaitForTask(vm.SuspendVM_Task())
    assert vm.runtime.powerState == 'suspended'
    fails_with(vim.fault.InvalidPowerState, vm.SuspendVM_Task())
    fails_with(vim.fault.InvalidPowerState, vm.ResetVM_Task())
    WaitForTask(vm.PowerOnVM_Task())          # resume
    assert events_of(si, vm, 'VmResumingEvent')
    WaitForTask(vm.ResetVM_Task())
    assert events_of(si, vm, 'VmResettingEvent')
    WaitForTask(vm.PowerOffVM_Task())
    assert vm.runtime.powerState == 'poweredOff'
    assert vm.runtime.bootTime is None
    assert vm.guest.ipAddress is None
    assert events_of(si, vm, 'VmPoweredOffEvent')
    error = fails_with(vim.fault.InvalidPowerState, vm.PowerOffVM_Task())
    assert error.existingState == 'poweredOff'
    with pytest.raises(vim.fault.InvalidPowerState):
        vm.ShutdownGuest()


def test_reconfigure_disk_nic_cpu_memory(si):
    vm = find_vm(si, 'DC0_H0_VM1')
    before = vm.config.hardware.device
    scsi = next(d for d in before if isinstance(d, vim.vm.device.VirtualSCSIController))
    disk = vim.vm.device.VirtualDisk(
        key=-1, controllerKey=scsi.key, capacityInKB=2 * 1024 * 1024,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode='persistent',
                                                            thinProvisioned=True))
    nic = vim.vm.device.VirtualVmxnet3(
        key=-2, backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(
            deviceName='VM Network'))
    spec = vim.vm.ConfigSpec(numCPUs=2, memoryMB=64, annotation='more', deviceChange=[
        vim.vm.device.VirtualDeviceSpec(operation='add', fileOperation='create', device=disk),
        vim.vm.device.VirtualDeviceSpec(operation='add', device=nic)])
    WaitForTask(vm.ReconfigVM_Task(spec))

    devices = vm.config.hardware.device
    disks = [d for d in devices if isinstance(d, vim.vm.device.VirtualDisk)]
    nics = [d for d in devices if isinstance(d, vim.vm.device.VirtualEthernetCard)]
    assert len(disks) == 2 and len(nics) == 2
    new_disk = disks[1]
    assert new_disk.key > 0 and new_disk.unitNumber == 1
    assert new_disk.backing.fileName.endswith('/DC0_H0_VM1_1.vmdk')
    assert new_disk.capacityInBytes == 2 * 1024 ** 3
    assert new_disk.key in next(d for d in devices if d.key == scsi.key).device
    assert nics[1].macAddress.startswith('00:50:56:') and nics[1].macAddress != nics[0].macAddress
    assert vm.summary.config.numVirtualDisks == 2
    assert vm.summary.config.numEthernetCards == 2
    assert vm.summary.config.annotation == 'more'
    names = [f.name for f in vm.layoutEx.file]
    assert new_disk.backing.fileName in names
    assert new_disk.backing.fileName.replace('.vmdk', '-flat.vmdk') in names
    assert {d.key for d in vm.layoutEx.disk} == {d.key for d in disks}
    assert vm.storage.perDatastoreUsage[0].uncommitted == sum(d.capacityInBytes for d in disks)
    assert events_of(si, vm, 'VmReconfiguredEvent')[0].configSpec.numCPUs == 2

    # a container view and RetrievePropertiesEx see the same
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[PC.TraversalSpec(
            name='v', type=vim.view.ContainerView, path='view', skip=False)])],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=[
            'summary.config.numCpu', 'config.hardware.memoryMB',
            'summary.config.numVirtualDisks', 'summary.config.numEthernetCards'])])
    result = content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    found = next(o for o in result.objects if o.obj == vm)
    assert {p.name: p.val for p in found.propSet} == {
        'summary.config.numCpu': 2, 'config.hardware.memoryMB': 64,
        'summary.config.numVirtualDisks': 2, 'summary.config.numEthernetCards': 2}
    view.DestroyView()

    # the same file again, a missing controller, CPU hot add while on
    again = vim.vm.device.VirtualDisk(
        key=-1, controllerKey=scsi.key, capacityInKB=1024,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
            fileName=new_disk.backing.fileName, diskMode='persistent'))
    fails_with(vim.fault.FileAlreadyExists, vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        vim.vm.device.VirtualDeviceSpec(operation='add', fileOperation='create', device=again)])))
    orphan = vim.vm.device.VirtualDisk(key=-1, controllerKey=1234, capacityInKB=1024,
                                       backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo())
    fails_with(vim.fault.InvalidController, vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        vim.vm.device.VirtualDeviceSpec(operation='add', fileOperation='create', device=orphan)])))
    WaitForTask(vm.PowerOnVM_Task())
    error = fails_with(vim.fault.InvalidPowerState, vm.ReconfigVM_Task(vim.vm.ConfigSpec(numCPUs=4)))
    assert error.existingState == 'poweredOn'
    # removing the new disk (and its files) works hot
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        vim.vm.device.VirtualDeviceSpec(operation='remove', fileOperation='destroy',
                                        device=new_disk)])))
    assert vm.summary.config.numVirtualDisks == 1
    assert new_disk.backing.fileName not in [f.name for f in vm.layoutEx.file]
    WaitForTask(vm.PowerOffVM_Task())


def test_snapshot_tree_revert_remove(si):
    vm = find_vm(si, 'DC0_C0_RP0_VM0')
    with pytest.raises(vim.fault.NotFound):
        vm.RevertToCurrentSnapshot_Task()
    one = result_of(vm.CreateSnapshot_Task('one', 'first', False, False))
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(memoryMB=128)))
    WaitForTask(vm.PowerOnVM_Task())
    two = result_of(vm.CreateSnapshot_Task('two', 'second', True, False))
    info = vm.snapshot
    assert info.currentSnapshot == two
    assert [s.name for s in info.rootSnapshotList] == ['one']
    root = info.rootSnapshotList[0]
    assert root.snapshot == one and root.id == 1 and root.state == 'poweredOff'
    assert [c.name for c in root.childSnapshotList] == ['two']
    assert root.childSnapshotList[0].state == 'poweredOn'
    assert vm.rootSnapshot == [one]
    assert one.childSnapshot == [two]
    assert one.config.hardware.memoryMB == 32 and two.config.hardware.memoryMB == 128
    disk = next(d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk))
    assert disk.backing.fileName.endswith('-000002.vmdk')
    assert disk.backing.parent.fileName.endswith('-000001.vmdk')
    assert disk.backing.parent.parent.fileName.endswith('DC0_C0_RP0_VM0.vmdk')
    names = [f.name for f in vm.layoutEx.file]
    assert any(n.endswith('-Snapshot1.vmsn') for n in names)
    assert any(n.endswith('-Snapshot2.vmem') for n in names)
    assert len(vm.layoutEx.snapshot) == 2
    assert len(vm.layoutEx.disk[0].chain) == 3

    WaitForTask(one.RevertToSnapshot_Task())
    assert vm.runtime.powerState == 'poweredOff'
    assert vm.config.hardware.memoryMB == 32
    assert vm.snapshot.currentSnapshot == one
    WaitForTask(two.RevertToSnapshot_Task())
    assert vm.runtime.powerState == 'poweredOn'
    assert vm.config.hardware.memoryMB == 128
    spec = vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=vm, recursion='self'),
        eventTypeId=['com.vmware.vc.vm.VmStateRevertedToSnapshot'])
    assert len(si.RetrieveContent().eventManager.QueryEvents(spec)) == 2

    two.RenameSnapshot(name='zwei')
    assert vm.snapshot.rootSnapshotList[0].childSnapshotList[0].name == 'zwei'
    WaitForTask(one.RemoveSnapshot_Task(removeChildren=False))
    assert [s.name for s in vm.snapshot.rootSnapshotList] == ['zwei']
    assert vm.snapshot.currentSnapshot == two
    WaitForTask(vm.RemoveAllSnapshots_Task())
    assert vm.snapshot is None and vm.rootSnapshot == []
    disk = next(d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk))
    assert disk.backing.parent is None and disk.backing.fileName.endswith('RP0_VM0.vmdk')
    assert not any('-0000' in f.name or '.vmsn' in f.name for f in vm.layoutEx.file)
    WaitForTask(vm.PowerOffVM_Task())


def test_template_rules(si):
    vm = find_vm(si, 'DC0_C0_RP0_VM1')
    pool = vm.resourcePool
    WaitForTask(vm.PowerOnVM_Task())
    with pytest.raises(vim.fault.InvalidPowerState):
        vm.MarkAsTemplate()
    WaitForTask(vm.PowerOffVM_Task())
    vm.MarkAsTemplate()
    assert vm.config.template and vm.summary.config.template
    assert vm.resourcePool is None
    with pytest.raises(vim.fault.InvalidState):
        vm.PowerOnVM_Task()
    vm.MarkAsVirtualMachine(pool=pool)
    assert not vm.config.template and vm.resourcePool == pool


def test_task_in_progress(si, durations):
    vm = find_vm(si, 'DC0_C0_RP0_VM2')
    on_reactor(durations.update, {'PowerOnVM_Task': 500})
    first = vm.PowerOnVM_Task()
    with pytest.raises(vim.fault.TaskInProgress) as caught:
        vm.ReconfigVM_Task(vim.vm.ConfigSpec(annotation='x'))
    assert caught.value.task == first
    WaitForTask(first)
    WaitForTask(vm.PowerOffVM_Task())


def test_destroy_leaves_watched_view(sim, si):
    vm = find_vm(si, 'DC0_H0_VM2')
    WaitForTask(vm.PowerOnVM_Task())
    fails_with(vim.fault.InvalidPowerState, vm.Destroy_Task())
    WaitForTask(vm.PowerOffVM_Task())
    watcher = sim.connect()
    try:
        content = watcher.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder,
                                                       [vim.VirtualMachine], True)
        collector = content.propertyCollector.CreatePropertyCollector()
        collector.CreateFilter(PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[PC.TraversalSpec(
                name='v', type=vim.view.ContainerView, path='view', skip=False)])],
            propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=['name'])]), True)
        version = collector.WaitForUpdatesEx('', PC.WaitOptions(maxWaitSeconds=5)).version
        host = vm.runtime.host
        datastore = vm.datastore[0]
        WaitForTask(vm.Destroy_Task())
        kinds = {}
        for _ in range(5):
            update = collector.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=5))
            if update is None:
                break
            version = update.version
            for filter_set in update.filterSet:
                for change in filter_set.objectSet:
                    kinds[change.obj._moId] = change.kind
            if kinds.get(vm._moId) == 'leave':
                break
        assert kinds.get(vm._moId) == 'leave'
        assert vm._moId not in [v._moId for v in view.view]
        assert vm._moId not in [v._moId for v in host.vm]
        assert vm._moId not in [v._moId for v in datastore.vm]
    finally:
        Disconnect(watcher)
    spec = vim.event.EventFilterSpec(eventTypeId=['VmRemovedEvent'])
    removed = si.RetrieveContent().eventManager.QueryEvents(spec)
    assert any(e.vm.name == 'DC0_H0_VM2' for e in removed)


def test_rename_keeps_identity(si):
    vm = find_vm(si, 'DC0_C0_RP0_VM2')
    uuid, path = vm.config.uuid, vm.config.files.vmPathName
    WaitForTask(vm.Rename_Task('renamed'))
    assert vm.config.uuid == uuid and vm.config.files.vmPathName == path
    WaitForTask(vm.Rename_Task('DC0_C0_RP0_VM2'))


def test_guest_shutdown_and_dvs_nic(si):
    import time
    vm = find_vm(si, 'DC0_C0_RP0_VM0')
    pg = next(n for n in vm.runtime.host.network
              if isinstance(n, vim.dvs.DistributedVirtualPortgroup) and not n.config.uplink)
    nic = vim.vm.device.VirtualE1000e(
        key=-1, backing=vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
            port=vim.dvs.PortConnection(portgroupKey=pg.key,
                                        switchUuid=pg.config.distributedVirtualSwitch.uuid)))
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        vim.vm.device.VirtualDeviceSpec(operation='add', device=nic)])))
    added = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualE1000e)]
    assert added and added[0].backing.port.portKey
    assert vm in pg.vm
    WaitForTask(vm.PowerOnVM_Task())
    vm.ShutdownGuest()
    for _ in range(50):
        if vm.runtime.powerState == 'poweredOff':
            break
        time.sleep(0.05)
    assert vm.runtime.powerState == 'poweredOff'
    assert events_of(si, vm, 'VmGuestShutdownEvent')
