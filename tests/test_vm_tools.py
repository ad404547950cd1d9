"""VMware Tools of a VM with pyVmomi: the tools installer CD (the drive's
ISO backing, runtime.toolsInstallerMounted, given back on unmount), the
upgrade (the version the .vmx records and the statuses vCenter derives,
refused without running tools), and ResetGuestInformation.

A simulator of its own: these tests change VMs.
"""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import _simulator, task_fault
from tests.test_vm_console import powered, reconfigure
from tests.test_vm_operations import find_vm
from tests.watching import Watcher, paths_of
from vimsim.managed.vm.guest_tools import TOOLS_VERSION


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)



def cdrom(vm):
    return next(d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualCdrom))


def test_the_installer_cd_is_mounted_and_given_back(si, sim):
    vm = powered(find_vm(si, 'DC0_H0_VM0'), 'poweredOff')
    with pytest.raises(vim.fault.InvalidState):
        vm.MountToolsInstaller()
    powered(vm)
    before = cdrom(vm).backing
    watcher = Watcher(sim.connect(), vm, vim.VirtualMachine,
                      ['runtime.toolsInstallerMounted', 'config.hardware.device'])
    vm.MountToolsInstaller()
    # the drive's element of the device list changed (its key: 3000)
    assert {'runtime.toolsInstallerMounted', 'config.hardware.device[3000]'} == paths_of(
        watcher.changes(lambda seen: len(paths_of(seen)) >= 2))
    assert vm.runtime.toolsInstallerMounted is True
    drive = cdrom(vm)
    assert isinstance(drive.backing, vim.vm.device.VirtualCdrom.IsoBackingInfo)
    assert drive.backing.fileName == '[] /vmimages/tools-isoimages/linux.iso'
    assert drive.connectable.connected is True
    with pytest.raises(vim.fault.InvalidState):
        vm.MountToolsInstaller()             # already mounted
    vm.UnmountToolsInstaller()
    assert vm.runtime.toolsInstallerMounted is False
    assert type(cdrom(vm).backing) is type(before) and cdrom(vm).connectable.connected is False
    with pytest.raises(vim.fault.InvalidState):
        vm.UnmountToolsInstaller()           # nothing mounted


def test_a_drive_is_needed_for_the_installer(si):
    vm = powered(find_vm(si, 'DC0_H0_VM1'), 'poweredOff')
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[vim.vm.device.VirtualDeviceSpec(
        operation='remove', device=cdrom(vm))])))
    powered(vm)
    with pytest.raises(vim.fault.VmConfigFault):
        vm.MountToolsInstaller()
    assert vm.runtime.toolsInstallerMounted is False


def test_an_upgrade_brings_the_hosts_tools(si):
    vm = powered(find_vm(si, 'DC0_H0_VM0'))
    reconfigure(vm, **{'vmware.tools.internalversion': '11269'})     # 11.0.5
    guest = vm.guest
    assert (guest.toolsVersion, guest.toolsStatus, guest.toolsVersionStatus,
            guest.toolsVersionStatus2) == ('11269', 'toolsOld', 'guestToolsNeedUpgrade',
                                           'guestToolsSupportedOld')
    assert vm.summary.guest.toolsVersionStatus2 == 'guestToolsSupportedOld'
    assert vm.config.tools.toolsVersion == 11269
    reconfigure(vm, **{'vmware.tools.internalversion': '9536'})      # 9.10.0
    assert vm.guest.toolsVersionStatus2 == 'guestToolsTooOld'
    WaitForTask(vm.UpgradeTools_Task())
    guest = vm.guest
    assert (guest.toolsVersion, guest.toolsStatus, guest.toolsVersionStatus2) == (
        str(TOOLS_VERSION), 'toolsOk', 'guestToolsCurrent')
    assert vm.config.tools.toolsVersion == TOOLS_VERSION
    WaitForTask(vm.UpgradeTools_Task())      # already current: the installer has nothing to do
    reconfigure(vm, **{'vmware.tools.internalversion': str(TOOLS_VERSION + 1)})
    assert vm.guest.toolsVersionStatus2 == 'guestToolsSupportedNew'
    assert isinstance(task_fault(vm.UpgradeTools_Task()), vim.fault.VmToolsUpgradeFault)
    reconfigure(vm, **{'vmware.tools.internalversion': '11269',
                       'SET.guest.toolsRunningStatus': 'guestToolsNotRunning'})
    assert isinstance(task_fault(vm.UpgradeTools_Task()), vim.fault.ToolsUnavailable)
    reconfigure(vm, **{'SET.guest.toolsRunningStatus': ''})
    powered(vm, 'poweredOff')
    assert isinstance(task_fault(vm.UpgradeTools_Task()), vim.fault.InvalidPowerState)
    assert vm.guest.toolsVersion == '11269'


def test_reset_guest_information_forgets_what_the_guest_told(si):
    vm = powered(find_vm(si, 'DC0_H0_VM0'))
    vm.SetScreenResolution(640, 480)
    with pytest.raises(vim.fault.InvalidState):
        vm.ResetGuestInformation()
    powered(vm, 'poweredOff')
    reconfigure(vm, **{'SET.guest.hostName': 'told-name'})
    assert vm.guest.hostName == 'told-name'
    vm.ResetGuestInformation()
    assert vm.guest.hostName is None
    powered(vm)
    assert (vm.guest.screen.width, vm.guest.screen.height) == (1024, 768)


def test_the_heartbeat_is_gray_while_the_tools_do_not_run(si, sim):
    """Only running tools heartbeat: vCenter reports gray otherwise, and
    tells property filters as the tools stop and start."""
    vm = powered(find_vm(si, 'DC0_H0_VM1'))
    assert vm.guestHeartbeatStatus == 'green'
    paths = ['guestHeartbeatStatus', 'summary.quickStats.guestHeartbeatStatus']
    watcher = Watcher(sim.connect(), vm, vim.VirtualMachine, paths)
    reconfigure(vm, **{'SET.guest.toolsRunningStatus': 'guestToolsNotRunning'})
    seen = watcher.changes(lambda seen: len(paths_of(seen)) >= 2)
    assert {(path, value) for _, _, path, _, value in seen} == {(p, 'gray') for p in paths}
    assert vm.summary.quickStats.guestHeartbeatStatus == 'gray'
    reconfigure(vm, **{'SET.guest.toolsRunningStatus': ''})
    seen = watcher.changes(lambda seen: len(paths_of(seen)) >= 2)
    assert {(path, value) for _, _, path, _, value in seen} == {(p, 'green') for p in paths}
    powered(vm, 'poweredOff')
    assert vm.guestHeartbeatStatus == 'gray'
