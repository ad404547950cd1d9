"""reloadVirtualMachineFromPath_Task with pyVmomi: a powered-off VM takes
the configuration of a .vmx left by an unregistered VM and stays the same
inventory object (moid, name, folder, events, custom values); its own files
stay, to be registered again.

A simulator of its own: these tests change VMs."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, task_fault
from tests.test_vm_operations import events_of, find_vm


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, vm=6, autostart=False)


def test_a_vm_reloads_another_configuration(si):
    content = si.RetrieveContent()
    vm, other = find_vm(si, 'DC0_H0_VM0'), find_vm(si, 'DC0_H0_VM1')
    field = content.customFieldsManager.AddCustomFieldDef('reload-note', vim.VirtualMachine)
    content.customFieldsManager.SetField(vm, field.key, 'kept')
    WaitForTask(other.ReconfigVM_Task(vim.vm.ConfigSpec(memoryMB=96)))
    own_path, path = vm.config.files.vmPathName, other.config.files.vmPathName
    uuid, moid, name, folder = other.config.uuid, vm._moId, vm.name, vm.parent
    other.UnregisterVM()

    WaitForTask(vm.PowerOnVM_Task())
    assert isinstance(task_fault(vm.reloadVirtualMachineFromPath_Task(path)),
                      vim.fault.InvalidPowerState)
    WaitForTask(vm.PowerOffVM_Task())
    assert isinstance(task_fault(vm.reloadVirtualMachineFromPath_Task('[LocalDS_0] none/x.vmx')),
                      vim.fault.FileNotFound)
    with pytest.raises(vim.fault.InvalidDatastorePath):
        vm.reloadVirtualMachineFromPath_Task('not a path')

    WaitForTask(vm.reloadVirtualMachineFromPath_Task(path))
    assert vm._moId == moid and vm.name == name and vm.parent == folder
    assert vm.config.files.vmPathName == path and vm.config.uuid == uuid
    assert vm.config.hardware.memoryMB == 96
    assert [v.value for v in vm.customValue if v.key == field.key] == ['kept']
    [reloaded] = events_of(si, vm, 'VmReloadFromPathEvent')
    assert reloaded.configPath == path
    # the VM's former files stay: registered again, they are a VM of their own
    task = folder.RegisterVM_Task(path=own_path, name='reload-former', asTemplate=False,
                                  pool=vm.resourcePool)
    WaitForTask(task)
    back = task.info.result
    assert back._moId != moid and back.config.files.vmPathName == own_path
    # the .vmx that was taken is no longer there to take
    assert isinstance(task_fault(back.reloadVirtualMachineFromPath_Task(path)),
                      vim.fault.FileNotFound)


def test_console_connections_of_a_running_vm(si):
    """No console client connects to the simulator's VMs (it serves no MKS):
    none to list or drop; a VM that is not running has no console."""
    vm = find_vm(si, 'DC0_H0_VM2')
    if vm.runtime.powerState == 'poweredOn':
        WaitForTask(vm.PowerOffVM_Task())
    with pytest.raises(vim.fault.InvalidPowerState):
        vm.QueryConnections()
    with pytest.raises(vim.fault.InvalidPowerState):
        vm.DropConnections([])
    WaitForTask(vm.PowerOnVM_Task())
    vm.AcquireTicket('webmks')
    assert vm.QueryConnections() == [] and vm.runtime.numMksConnections == 0
    assert vm.DropConnections([]) is True
    stranger = vim.VirtualMachine.MksConnection(label='mks-1', client='10.0.0.9',
                                                userName='someone')
    assert vm.DropConnections([stranger]) is False
    WaitForTask(vm.PowerOffVM_Task())


def _updates(collector, version):
    """(version, [(moid, kind, {path: (op, value)})]) of what WaitForUpdatesEx
    reports until it has nothing more (a short wait)."""
    found = []
    while True:
        result = collector.WaitForUpdatesEx(
            version, vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=2))
        if result is None:
            return version, found
        version = result.version
        for filter_set in result.filterSet:
            for update in filter_set.objectSet:
                found.append((update.obj._moId, update.kind,
                              {c.name: (c.op, c.val) for c in update.changeSet}))


def test_watchers_see_a_reload_as_modifications(si, sim):
    """vCenter keeps the managed object: a filter on the VM and one over a
    container view listing it both see the reload as a `modify` of the
    properties that changed, never a leave and an enter, and the VM stays
    in the view."""
    content = si.RetrieveContent()
    vm, other = find_vm(si, 'DC0_H0_VM3'), find_vm(si, 'DC0_H0_VM4')
    if vm.runtime.powerState != 'poweredOff':
        WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(other.ReconfigVM_Task(vim.vm.ConfigSpec(memoryMB=80, numCPUs=2)))
    path = other.config.files.vmPathName
    other.UnregisterVM()

    watcher = sim.connect()
    collector = watcher.content.propertyCollector.CreatePropertyCollector()
    view = watcher.content.viewManager.CreateContainerView(
        watcher.content.rootFolder, [vim.VirtualMachine], True)
    PC = vmodl.query.PropertyCollector
    paths = ['name', 'config.hardware.memoryMB', 'config.hardware.numCPU',
             'config.files.vmPathName', 'summary.config.memorySizeMB']
    collector.CreateFilter(PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=vim.VirtualMachine(vm._moId))],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=paths)]), True)
    collector.CreateFilter(PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[
            PC.TraversalSpec(name='view', type=vim.view.ContainerView, path='view')])],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=paths)]), True)
    host = vm.runtime.host
    autostart = host.configManager.autoStartManager
    autostart.ReconfigureAutostart(vim.host.AutoStartManager.Config(powerInfo=[
        vim.host.AutoStartManager.AutoPowerInfo(
            key=vm, startOrder=1, startDelay=30, waitForHeartbeat='systemDefault',
            startAction='powerOn', stopDelay=-1, stopAction='systemDefault')]))
    host_vms, folder_children = list(host.vm), list(vm.parent.childEntity)
    version, initial = _updates(collector, '')
    assert sum(1 for moid, kind, _ in initial if moid == vm._moId and kind == 'enter') == 2

    task = vm.reloadVirtualMachineFromPath_Task(path)
    WaitForTask(task)
    version, updates = _updates(collector, version)
    mine = [(kind, changes) for moid, kind, changes in updates if moid == vm._moId]
    assert [kind for kind, _ in mine] == ['modify', 'modify'], updates
    for _, changes in mine:
        assert changes['config.hardware.memoryMB'] == ('assign', 80)
        assert changes['config.hardware.numCPU'] == ('assign', 2)
        assert changes['config.files.vmPathName'] == ('assign', path)
        assert 'name' not in changes
    assert vim.VirtualMachine(vm._moId) in view.view
    # the same object in the same places, its own task among its recent ones
    assert list(host.vm) == host_vms and list(vm.parent.childEntity) == folder_children
    assert task in vm.recentTask
    # the host's autostart entry is the moid's: it stays
    [entry] = [p for p in autostart.config.powerInfo if p.key == vm]
    assert entry.startOrder == 1 and entry.startDelay == 30
    watcher.content.sessionManager.Logout()


def test_a_vm_of_a_vapp_reloads_in_its_vapp(si):
    """A vApp's VM (no folder: its parentVApp holds it) stays the vApp's,
    with its start order."""
    vm, other = find_vm(si, 'DC0_H0_VM0'), find_vm(si, 'DC0_H0_VM5')
    if vm.runtime.powerState != 'poweredOff':
        WaitForTask(vm.PowerOffVM_Task())
    folder = vm.parent
    spec = vim.ResourceConfigSpec(
        cpuAllocation=vim.ResourceAllocationInfo(
            reservation=0, limit=-1, expandableReservation=True,
            shares=vim.SharesInfo(level='normal', shares=0)),
        memoryAllocation=vim.ResourceAllocationInfo(
            reservation=0, limit=-1, expandableReservation=True,
            shares=vim.SharesInfo(level='normal', shares=0)))
    vapp = vm.resourcePool.CreateVApp('reload-app', spec, vim.vApp.VAppConfigSpec(), folder)
    vapp.MoveIntoResourcePool([vm])
    vapp.UpdateVAppConfig(vim.vApp.VAppConfigSpec(entityConfig=[
        vim.vApp.EntityConfigInfo(key=vm, startOrder=1)]))
    path = other.config.files.vmPathName
    other.UnregisterVM()
    WaitForTask(vm.reloadVirtualMachineFromPath_Task(path))
    assert vm.config.files.vmPathName == path
    assert vm.parentVApp == vapp and vm.parent is None and list(vapp.vm) == [vm]
    assert [(c.key, c.startOrder) for c in vapp.vAppConfig.entityConfig] == [(vm, 1)]
