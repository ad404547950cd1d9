"""A VM's VMware Tools: the version its guest runs, what vCenter says of
it, the tools installer CD, the upgrade, and the guest information vCenter
caches.

The version is what the VM's .vmx records (`vmware.tools.internalversion`,
an extraConfig key, packed as major << 10 | minor << 5 | patch), the host's
bundled tools when unset; vCenter's statuses follow from it. Mounting the
installer puts the host's tools ISO in the VM's first CD/DVD drive
(connected) and remembers what the drive held, which unmounting gives back.
An upgrade runs the installer in the guest: the VM then runs the host's
tools version.
"""
from vimsim import clock
from vimsim.managed.vm.guest_os import GUEST_FAMILY
from vimsim.managed.vm.vm_task import (invalid_power_state, invalid_state, tools_unavailable,
                                       vm_task)
from vimsim.soap.fault import fault

TOOLS_VERSION = 12389            # 12.3.5, the tools ESXi 8.0 U3 bundles
OLDEST_SUPPORTED = 10240         # 10.0.0: older tools are too old for ESXi 8
VERSION_KEY = 'vmware.tools.internalversion'
ISO_DIRECTORY = '[] /vmimages/tools-isoimages/'


def tools_version(vm):
    """The tools version the VM's guest runs (its .vmx's record)."""
    recorded = (vm.extra_config or {}).get(VERSION_KEY)
    return int(recorded) if recorded is not None and recorded.isdigit() else TOOLS_VERSION


def version_status(version):
    """(toolsStatus when running, toolsVersionStatus, toolsVersionStatus2)
    of installed tools of `version` on this host."""
    if version == TOOLS_VERSION:
        return 'toolsOk', 'guestToolsCurrent', 'guestToolsCurrent'
    if version > TOOLS_VERSION:
        return 'toolsOk', 'guestToolsCurrent', 'guestToolsSupportedNew'
    return ('toolsOld', 'guestToolsNeedUpgrade',
            'guestToolsSupportedOld' if version >= OLDEST_SUPPORTED else 'guestToolsTooOld')


def installer_iso(vm):
    """The tools ISO of the VM's guest family on the host."""
    windows = GUEST_FAMILY.get(vm.guest_id) == 'windowsGuest'
    return ISO_DIRECTORY + ('windows.iso' if windows else 'linux.iso')


def _running(vm):
    if vm.power_state != 'poweredOn':
        raise invalid_power_state('poweredOn', vm.power_state)


def _config_fault(message):
    return fault('VmConfigFault', message)


def mount_installer(vm):
    """MountToolsInstaller: the running VM's first CD/DVD drive gets the
    tools ISO (InvalidState when off or already mounted; VmConfigFault
    without a drive)."""
    _running(vm)
    if vm.tools_installer is not None:
        raise invalid_state()
    drive = next((device for device in vm.devices() if isinstance(device, vm.T.VirtualCdrom)),
                 None)
    if drive is None:
        raise _config_fault('The virtual machine has no CD/DVD drive for the VMware Tools '
                            'installer.')
    drive = next(device for device in vm.device_list() if device.key == drive.key)
    vm.tools_installer = (drive.key, drive.backing, drive.connectable.startConnected,
                          drive.deviceInfo.summary)
    drive.backing = vm.T.VirtualCdromIsoBackingInfo(fileName=installer_iso(vm))
    drive.connectable.startConnected = True
    drive.deviceInfo.summary = 'ISO %s' % drive.backing.fileName
    vm.devices_changed()


def unmount_installer(vm):
    """UnmountToolsInstaller: the drive gets back what it held (InvalidState
    when off or not mounted)."""
    _running(vm)
    if vm.tools_installer is None:
        raise invalid_state()
    key, backing, start_connected, summary = vm.tools_installer
    vm.tools_installer = None
    drive = next((device for device in vm.device_list() if device.key == key), None)
    if drive is not None:        # a reconfiguration may have removed it meanwhile
        drive.backing = backing
        drive.connectable.startConnected = start_connected
        drive.deviceInfo.summary = summary
    vm.devices_changed()


def upgrade_task(ctx, vm):
    """UpgradeTools_Task: the guest's tools run the installer (powered on,
    tools running: ToolsUnavailable otherwise) and then the host's version;
    the installer does not downgrade (VmToolsUpgradeFault)."""
    def work(task):
        _running(vm)
        if not vm.tools_running:
            raise tools_unavailable()
        if tools_version(vm) > TOOLS_VERSION:
            raise fault('VmToolsUpgradeFault', 'The guest runs newer VMware Tools than the host '
                        'offers.')
        if tools_version(vm) != TOOLS_VERSION:
            vm.extra_config = dict(vm.extra_config or {}, **{VERSION_KEY: str(TOOLS_VERSION)})
            vm.change_stamp = clock.now()
            vm.report_changed('config', 'guest', 'summary')
        return None
    return vm_task(ctx, vm, 'UpgradeTools_Task', work)


def reset_guest_information(vm):
    """ResetGuestInformation: a powered-off VM forgets what its guest told
    (the SET.guest values, the screen size); InvalidState otherwise."""
    if vm.power_state != 'poweredOff':
        raise invalid_state()
    vm.guest_overrides = None
    vm.screen = None
    vm.changed('guest', 'summary')
