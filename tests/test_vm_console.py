"""A VM's console with pyVmomi: tickets (mks, webmks, device; their host,
port, thumbprint and URL; refused while the VM is off), screenshots as real
PNG files in the VM's directory (listed in layoutEx, sized as the guest's
screen, gone with the VM), USB keystrokes, the guest's screen through its
tools, the NMI, and the console privileges.

A simulator of its own, with a users file: these tests change VMs and
permissions.
"""
import json
import os
import struct

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, task_fault
from tests.test_vm_operations import events_of, find_vm
from tests.watching import Watcher, paths_of

USERS = [{'user': 'admin@vsphere.local', 'password': 'adm1n', 'groups': ['Administrators']},
         {'user': 'viewer@vsphere.local', 'password': 'v1ew'}]
READ_ONLY = -2


@pytest.fixture(scope='module')
def running(validator, tmp_path_factory):
    path = tmp_path_factory.mktemp('console') / 'users.json'
    path.write_text(json.dumps(USERS))
    return _simulator(validator, tls=False, users=str(path))


@pytest.fixture
def si(running):
    instance = running.connect(user='admin@vsphere.local', pwd='adm1n')
    yield instance
    Disconnect(instance)


def powered(vm, state='poweredOn'):
    if vm.runtime.powerState != state:
        WaitForTask(vm.PowerOnVM_Task() if state == 'poweredOn' else vm.PowerOffVM_Task())
    return vm


def reconfigure(vm, **extra):
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(extraConfig=[
        vim.option.OptionValue(key=key, value=value) for key, value in extra.items()])))


def local_file(running, vm, datastore_path):
    ds_name, relative = datastore_path[1:].split('] ', 1)
    ds = next(d for d in vm.datastore if d.name == ds_name)
    store = next(o for o in running.sim.objects if o.ref.value == ds._moId)
    return os.path.join(running.sim.datastore_namespace.root, store.vmfs_uuid, relative)


def png_size(data):
    assert data[:8] == b'\x89PNG\r\n\x1a\n' and data[12:16] == b'IHDR'
    return struct.unpack('>II', data[16:24])


def test_tickets_name_the_host_console_of_a_running_vm(si):
    vm = powered(find_vm(si, 'DC0_H0_VM0'), 'poweredOff')
    with pytest.raises(vim.fault.InvalidState):
        vm.AcquireTicket('webmks')
    with pytest.raises(vim.fault.InvalidState):
        vm.AcquireMksTicket()
    powered(vm)
    host = vm.runtime.host
    webmks = vm.AcquireTicket('webmks')
    assert (webmks.host, webmks.port, webmks.sslThumbprint) == (
        host.name, 443, host.summary.config.sslThumbprint)
    assert webmks.url == 'wss://%s:443/ticket/%s' % (host.name, webmks.ticket)
    assert webmks.cfgFile == vm.config.files.vmPathName
    mks = vm.AcquireTicket('mks')
    assert (mks.port, mks.url) == (902, None) and mks.ticket != webmks.ticket
    assert vm.AcquireMksTicket().port == 902
    with pytest.raises(vmodl.fault.NotSupported):
        vm.AcquireTicket('guestControl')       # gone since vSphere 6.6.3
    with pytest.raises(vmodl.fault.InvalidArgument):
        vm.AcquireTicket('telnet')
    with pytest.raises(vim.fault.InvalidState):  # guest integrity is not enabled
        vm.AcquireTicket('guestIntegrity')
    assert [e.ticketType for e in events_of(si, vm, 'VmAcquiredTicketEvent')][:2] == [
        'mks', 'webmks']
    assert events_of(si, vm, 'VmAcquiredMksTicketEvent')


def test_screenshots_are_png_files_of_the_guest_screen(running, si):
    vm = powered(find_vm(si, 'DC0_H0_VM1'), 'poweredOff')
    assert isinstance(task_fault(vm.CreateScreenshot_Task()), vim.fault.InvalidPowerState)
    powered(vm)
    task = vm.CreateScreenshot_Task()
    WaitForTask(task)
    first = task.info.result
    assert first == '%s/%s-1.png' % (vm.config.files.vmPathName.rsplit('/', 1)[0], vm.name)
    with open(local_file(running, vm, first), 'rb') as f:
        assert png_size(f.read()) == (1024, 768)
    vm.SetScreenResolution(800, 600)
    assert (vm.guest.screen.width, vm.guest.screen.height) == (800, 600)
    task = vm.CreateScreenshot_Task()
    WaitForTask(task)
    second = task.info.result
    assert second.endswith('-2.png')
    with open(local_file(running, vm, second), 'rb') as f:
        data = f.read()
    assert png_size(data) == (800, 600)
    shots = [f for f in vm.layoutEx.file if f.type == 'screenshot']
    assert [(f.name, f.size) for f in shots][1] == (second, len(data))
    first_file = local_file(running, vm, first)
    WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(vm.Destroy_Task())
    assert not os.path.exists(first_file)


def test_usb_scan_codes_are_typed_into_a_running_vm(si):
    vm = powered(find_vm(si, 'DC0_H0_VM0'))
    Key = vim.UsbScanCodeSpec.KeyEvent
    shift = vim.UsbScanCodeSpec.ModifierType(leftShift=True)
    spec = vim.UsbScanCodeSpec(keyEvents=[Key(usbHidCode=0x0b << 16 | 7, modifiers=shift),
                                          Key(usbHidCode=0x0c << 16 | 7),
                                          Key(usbHidCode=0x28 << 16 | 7)])
    assert vm.PutUsbScanCodes(spec) == 3
    with pytest.raises(vmodl.fault.InvalidArgument) as refused:
        vm.PutUsbScanCodes(vim.UsbScanCodeSpec(keyEvents=[Key(usbHidCode=0x0b << 16 | 7),
                                                          Key(usbHidCode=0x0b << 16 | 9)]))
    assert refused.value.invalidProperty == 'spec.keyEvents[1].usbHidCode'
    powered(vm, 'poweredOff')
    with pytest.raises(vim.fault.InvalidPowerState):
        vm.PutUsbScanCodes(spec)


def test_the_guest_screen_follows_its_tools(si, running):
    vm = powered(find_vm(si, 'DC0_H0_VM0'))
    watcher = Watcher(running.connect(user='admin@vsphere.local', pwd='adm1n'), vm,
                      vim.VirtualMachine, ['guest.screen'])
    Display = vim.VirtualMachine.DisplayTopology
    vm.SetDisplayTopology([Display(x=0, y=0, width=1280, height=1024),
                           Display(x=1280, y=0, width=1920, height=1080)])
    assert 'guest.screen' in paths_of(watcher.changes())
    assert (vm.guest.screen.width, vm.guest.screen.height) == (3200, 1080)
    with pytest.raises(vmodl.fault.InvalidArgument):      # overlapping displays
        vm.SetDisplayTopology([Display(x=0, y=0, width=1280, height=1024),
                               Display(x=100, y=0, width=1280, height=1024)])
    with pytest.raises(vmodl.fault.InvalidArgument):
        vm.SetScreenResolution(0, 600)
    reconfigure(vm, **{'SET.guest.toolsRunningStatus': 'guestToolsNotRunning'})
    with pytest.raises(vim.fault.ToolsUnavailable):
        vm.SetScreenResolution(800, 600)
    reconfigure(vm, **{'SET.guest.toolsRunningStatus': ''})
    powered(vm, 'poweredOff')
    with pytest.raises(vim.fault.InvalidPowerState):
        vm.SetScreenResolution(800, 600)


def test_an_nmi_stops_a_windows_guest_until_reset(si):
    vm = powered(find_vm(si, 'DC0_H0_VM0'), 'poweredOff')
    with pytest.raises(vim.fault.InvalidPowerState):
        vm.SendNMI()
    powered(vm)
    vm.SendNMI()                                   # a Linux-like guest logs it
    assert vm.guest.guestKernelCrashed is False
    powered(vm, 'poweredOff')
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(guestId='windows2019srv_64Guest')))
    powered(vm)
    vm.SendNMI()
    assert vm.guest.guestKernelCrashed is True
    assert events_of(si, vm, 'VmGuestOSCrashedEvent')
    WaitForTask(vm.ResetVM_Task())
    assert vm.guest.guestKernelCrashed is False
    powered(vm, 'poweredOff')
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(guestId='otherGuest64')))


def test_the_console_takes_its_privileges(si, running):
    vm = powered(find_vm(si, 'DC0_H0_VM0'))
    manager = si.content.authorizationManager
    permission = vim.AuthorizationManager.Permission(
        principal='viewer@vsphere.local', group=False, roleId=READ_ONLY, propagate=True)
    manager.SetEntityPermissions(si.content.rootFolder, [permission])
    viewer = running.connect(user='viewer@vsphere.local', pwd='v1ew')
    try:
        mine = vim.VirtualMachine(vm._moId, viewer._stub)
        for call, privilege in ((lambda: mine.AcquireTicket('webmks'),
                                 'VirtualMachine.Interact.ConsoleInteract'),
                                (lambda: mine.AcquireTicket('device'),
                                 'VirtualMachine.Interact.DeviceConnection'),
                                (lambda: mine.PutUsbScanCodes(vim.UsbScanCodeSpec(
                                    keyEvents=[vim.UsbScanCodeSpec.KeyEvent(usbHidCode=7)])),
                                 'VirtualMachine.Interact.PutUsbScanCodes'),
                                (mine.CreateScreenshot_Task,
                                 'VirtualMachine.Interact.CreateScreenshot')):
            with pytest.raises(vim.fault.NoPermission) as refused:
                call()
            assert refused.value.privilegeId == privilege
    finally:
        Disconnect(viewer)
        manager.RemoveEntityPermission(si.content.rootFolder, 'viewer@vsphere.local', False)
