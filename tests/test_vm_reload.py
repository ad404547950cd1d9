"""reloadVirtualMachineFromPath_Task with pyVmomi: a powered-off VM takes
the configuration of a .vmx left by an unregistered VM and stays the same
inventory object (moid, name, folder, events, custom values); its own files
stay, to be registered again.

A simulator of its own: these tests change VMs."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import _simulator, task_fault
from tests.test_vm_operations import events_of, find_vm


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, vm=3, autostart=False)


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
