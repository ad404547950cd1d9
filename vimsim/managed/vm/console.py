"""A VM's console: tickets for its remote console, screenshots, keystrokes,
the guest's screen, and the NMI button.

The console is the VM's host's (hostd serves MKS on 902 and WebMKS/remote
devices on 443), so a ticket names the host, its port and its certificate's
thumbprint, and is only given while the VM runs. Screenshots are real PNG
files in the VM's directory (`<vm>-<n>.png`, as ESXi names them), listed in
layoutEx as `screenshot` files, so they count in the VM's storage and move,
go and stay with its other files (vm_files.py writes them). The screen size
is the guest's (`guest.screen`): a screenshot has it, SetScreenResolution
and SetDisplayTopology change it through the guest's tools.
"""
import functools
import secrets
import struct
import zlib

from vimsim.managed.admin.permissions import access_of
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.managed.storage import datastore_files
from vimsim.managed.vm.guest_os import GUEST_FAMILY
from vimsim.managed.vm.vm_task import (invalid_power_state, invalid_state, tools_unavailable,
                                       vm_task)
from vimsim.soap.fault import InvalidArgument, fault

DEFAULT_SCREEN = (1024, 768)
MAX_SCREEN_SIDE = 16384          # beyond what the SVGA device draws (its max is 8192 x 8192)
# ticket type -> (the host's port serving it, the privilege it needs)
TICKETS = {
    'mks': (902, 'VirtualMachine.Interact.ConsoleInteract'),
    'webmks': (443, 'VirtualMachine.Interact.ConsoleInteract'),
    'device': (902, 'VirtualMachine.Interact.DeviceConnection'),
    'webRemoteDevice': (443, 'VirtualMachine.Interact.DeviceConnection'),
    'guestIntegrity': (443, 'VirtualMachine.Interact.ConsoleInteract'),
}
WEBSOCKET_TICKETS = ('webmks', 'webRemoteDevice', 'guestIntegrity')
KEYBOARD_PAGE = 0x07             # USB HID usage page of keyboard keys
MAX_KEY_USAGE = 0xE7             # the last keyboard usage (right GUI)


def _must_run(vm):
    if vm.power_state != 'poweredOn':
        raise invalid_state()


def acquire_ticket(ctx, vm, ticket_type):
    """A VirtualMachineTicket of `ticket_type` for the VM's host console;
    guestControl tickets are gone since vSphere 6.6.3 (GuestOperationsManager
    replaced them): NotSupported."""
    if ticket_type == 'guestControl':
        raise fault('NotSupported', 'The operation is not supported on the object.')
    if ticket_type not in TICKETS:
        raise InvalidArgument('ticketType')
    port, privilege = TICKETS[ticket_type]
    access = access_of(ctx)
    if access is not None:
        access.demand(vm, privilege)
    _must_run(vm)
    if ticket_type == 'guestIntegrity' and not getattr(
            vm.config.guestIntegrityInfo, 'enabled', False):
        raise invalid_state()
    host = vm.host
    ticket = secrets.token_hex(16)
    url = ('wss://%s:%d/ticket/%s' % (host.name, port, ticket)
           if ticket_type in WEBSOCKET_TICKETS else None)
    event_manager(vm.server).post('VmAcquiredTicketEvent', vm, ctx=ctx, ticketType=ticket_type)
    return vm.T.VirtualMachineTicket(
        ticket=ticket, cfgFile=vm.file_path('.vmx'), host=host.name, port=port,
        sslThumbprint=host.ssl_thumbprint, url=url)


def _connections(vm):
    """The remote console connections open to a running VM: none, as the
    simulator serves no MKS or WebMKS (a ticket opens nothing), so none
    is ever made (runtime.numMksConnections 0); InvalidPowerState unless
    the VM runs, as the console is its running process's."""
    if vm.power_state != 'poweredOn':
        raise invalid_power_state('poweredOn', vm.power_state)
    return []


def query_connections(vm):
    """QueryConnections: the VirtualMachineConnections open to the VM."""
    return _connections(vm)


def drop_connections(vm, connections):
    """DropConnections: whether every listed connection was dropped; with
    none open, one listed cannot be."""
    _connections(vm)
    return not connections


def acquire_mks_ticket(ctx, vm):
    """The pre-4.1 MKS ticket (what AcquireTicket('mks') gives, older type)."""
    _must_run(vm)
    event_manager(vm.server).post('VmAcquiredMksTicketEvent', vm, ctx=ctx)
    return vm.T.VirtualMachineMksTicket(
        ticket=secrets.token_hex(16), cfgFile=vm.file_path('.vmx'), host=vm.host.name,
        port=TICKETS['mks'][0], sslThumbprint=vm.host.ssl_thumbprint)


# -- screenshots ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=16)
def screenshot_png(width, height):
    """A PNG of a console of `width` x `height`: the text console's black,
    with the cursor block at the top left (deterministic, so a file written
    again is the same)."""
    cursor = min(8, width), min(16, height)
    blank = b'\x00' + b'\x00\x00\x00' * width
    lit = b'\x00' + b'\xaa\xaa\xaa' * cursor[0] + b'\x00\x00\x00' * (width - cursor[0])
    raw = lit * cursor[1] + blank * (height - cursor[1])

    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    return (b'\x89PNG\r\n\x1a\n' +
            chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def screenshot_files(vm):
    """[(datastore path, 'screenshot', size)] of the VM's screenshots."""
    return [(vm.home + name, 'screenshot', len(screenshot_png(*size)))
            for name, size in vm.screenshots]


def screenshot_content(vm, path):
    """The PNG bytes of the VM's screenshot file `path` (a datastore path)."""
    name = path.rsplit('/', 1)[-1]
    return next(screenshot_png(*size) for shot, size in vm.screenshots if shot == name)


def create_screenshot_task(ctx, vm):
    """CreateScreenshot_Task: the running VM's screen saved as the next
    `<vm>-<n>.png` of its directory; the result is its datastore path."""
    def work(task):
        if vm.power_state != 'poweredOn':
            raise invalid_power_state('poweredOn', vm.power_state)
        datastore_files.namespace(vm.server).materialize()
        taken = {name for name, _ in vm.screenshots}
        number = 1
        while '%s-%d.png' % (vm.file_name, number) in taken:
            number += 1
        name = '%s-%d.png' % (vm.file_name, number)
        vm.screenshots = vm.screenshots + ((name, screen_size(vm)),)
        vm.report_changed('layoutEx', 'storage', 'summary')
        return vm.home + name
    return vm_task(ctx, vm, 'CreateScreenshot_Task', work)


# -- keyboard, screen, NMI -----------------------------------------------------------------
def put_usb_scan_codes(vm, spec):
    """The keys typed into the running VM's USB keyboard: each event's
    `usbHidCode` is a keyboard usage shifted 16 bits over the keyboard page
    (0x07), as clients encode them; returns how many were typed."""
    if vm.power_state != 'poweredOn':
        raise invalid_power_state('poweredOn', vm.power_state)
    events = getattr(spec, 'keyEvents', None) or []
    for index, event in enumerate(events):
        code = event.usbHidCode
        if not isinstance(code, int) or code & 0xffff != KEYBOARD_PAGE or \
                not 0 <= code >> 16 <= MAX_KEY_USAGE:
            raise InvalidArgument('spec.keyEvents[%d].usbHidCode' % index)
    return len(events)


def screen_size(vm):
    """(width, height) of the guest's screen."""
    return vm.screen or DEFAULT_SCREEN


def _through_tools(vm):
    if vm.power_state != 'poweredOn':
        raise invalid_power_state('poweredOn', vm.power_state)
    if not vm.tools_running:
        raise tools_unavailable()


def _valid_side(value, name):
    if not isinstance(value, int) or not 0 < value <= MAX_SCREEN_SIDE:
        raise InvalidArgument(name)


def set_screen_resolution(vm, width, height):
    """The guest's tools resize its screen."""
    _through_tools(vm)
    _valid_side(width, 'width')
    _valid_side(height, 'height')
    vm.screen = (width, height)
    vm.changed('guest')


def set_display_topology(vm, displays):
    """The guest's tools lay its displays out; the screen is the box that
    holds them all (displays at negative offsets or overlapping are refused,
    as the guest's tools refuse them)."""
    _through_tools(vm)
    if not displays:
        raise InvalidArgument('displays')
    for index, display in enumerate(displays):
        if not isinstance(display.x, int) or not isinstance(display.y, int) or \
                display.x < 0 or display.y < 0:
            raise InvalidArgument('displays[%d]' % index)
        _valid_side(display.width, 'displays[%d].width' % index)
        _valid_side(display.height, 'displays[%d].height' % index)
    boxes = [(d.x, d.y, d.x + d.width, d.y + d.height) for d in displays]
    for index, box in enumerate(boxes):
        for other in boxes[:index]:
            if box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]:
                raise InvalidArgument('displays[%d]' % index)
    width, height = max(box[2] for box in boxes), max(box[3] for box in boxes)
    _valid_side(width, 'displays')
    _valid_side(height, 'displays')
    vm.screen = (width, height)
    vm.changed('guest')


def send_nmi(ctx, vm):
    """A non-maskable interrupt: a Windows guest stops with a bug check (its
    crash-on-NMI default: guestKernelCrashed, VmGuestOSCrashedEvent, no
    heartbeats) until it is reset or powered off; a Linux guest logs it and runs on."""
    if vm.power_state != 'poweredOn':
        raise invalid_power_state('poweredOn', vm.power_state)
    if GUEST_FAMILY.get(vm.guest_id) == 'windowsGuest' and not vm.kernel_crashed:
        vm.kernel_crashed = True
        event_manager(vm.server).post('VmGuestOSCrashedEvent', vm, ctx=ctx)
        vm.changed('guest')
        vm.stop_heartbeat()
