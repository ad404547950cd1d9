"""com.vmware.vcenter.vm.guest: what VMware Tools reports of a VM's guest
(identity, guest power state) read from the VM's `guest` property, and the
guest power requests (shutdown, reboot, standby), which are the VM's own
ShutdownGuest, RebootGuest and StandbyGuest: they return at once, as
vCenter's do, and the guest acts a moment later. Without running Tools the
identity and the requests are service_unavailable, as vCenter answers."""
from vimsim.managed.paths import read_path
from vimsim.rest.errors import VapiError
from vimsim.rest.service import Service
from vimsim.rest.types import LOCALIZABLE_MESSAGE, Boolean, Enum, Id, Optional, String, Struct
from vimsim.rest.vcenter import run_method, state_error, vm_object, vm_power
from vimsim.rest.vcenter_vm_info import GUEST_OS, guest_os_of

__all__ = ['identity', 'power']

VM_ID = {'vm': Id}
FAMILY = Enum('com.vmware.vcenter.vm.guest_OS_family',
              ('WINDOWS', 'LINUX', 'NETWARE', 'SOLARIS', 'DARWIN', 'OTHER'))
FAMILIES = {'windowsGuest': 'WINDOWS', 'linuxGuest': 'LINUX', 'netwareGuest': 'NETWARE',
            'solarisGuest': 'SOLARIS', 'darwinGuestFamily': 'DARWIN'}
IDENTITY_INFO = Struct('com.vmware.vcenter.vm.guest.identity.info', {
    'name': GUEST_OS, 'family': FAMILY, 'full_name': LOCALIZABLE_MESSAGE,
    'host_name': String, 'ip_address': Optional(String)})
GUEST_STATE = Enum('com.vmware.vcenter.vm.guest.power.state', (
    'RUNNING', 'SHUTTING_DOWN', 'RESETTING', 'STANDBY', 'NOT_RUNNING', 'UNAVAILABLE'))
GUEST_STATES = {'running': 'RUNNING', 'shuttingDown': 'SHUTTING_DOWN',
                'resetting': 'RESETTING', 'standby': 'STANDBY', 'notRunning': 'NOT_RUNNING'}
POWER_INFO = Struct('com.vmware.vcenter.vm.guest.power.info', {
    'state': GUEST_STATE, 'operations_ready': Boolean})

identity = Service('com.vmware.vcenter.vm.guest.identity', '/vcenter/vm/{vm}/guest/identity')
power = Service('com.vmware.vcenter.vm.guest.power', '/vcenter/vm/{vm}/guest/power')


def _guest(call, vm):
    return read_path(vm_object(call, vm), 'guest', call.ctx)[0]


def _no_tools(vm):
    return VapiError('service_unavailable', 'com.vmware.vcenter.vm.guest.tools.unavailable',
                     'VMware Tools is not running in virtual machine %s.' % vm, vm)


@identity.operation('get', 'GET', params=VM_ID, output=IDENTITY_INFO)
def get_identity(call, vm):
    guest = _guest(call, vm)
    if guest is None or guest.toolsRunningStatus != 'guestToolsRunning':
        raise _no_tools(vm)
    if not guest.guestId or not guest.hostName:
        raise VapiError('service_unavailable', 'com.vmware.vcenter.vm.guest.identity.unknown',
                        'VMware Tools has not reported the guest of %s.' % vm, vm)
    return {'name': guest_os_of(guest.guestId),
            'family': FAMILIES.get(guest.guestFamily, 'OTHER'),
            'full_name': {'id': 'vmsg.guestos.%s.label' % guest.guestId,
                          'default_message': guest.guestFullName or guest.guestId,
                          'args': []},
            'host_name': guest.hostName, 'ip_address': guest.ipAddress or None}


@power.operation('get', 'GET', params=VM_ID, output=POWER_INFO)
def get_power(call, vm):
    guest = _guest(call, vm)
    return {'state': GUEST_STATES.get(guest.guestState if guest else None, 'UNAVAILABLE'),
            'operations_ready': bool(guest.guestOperationsReady) if guest else False}


def _request(call, vm, method, refused):
    """The guest power request `method`, refused beforehand in the power
    states `refused` names ({state: error kind}) as vCenter refuses it."""
    obj = vm_object(call, vm)
    state = vm_power(call, obj)
    if state in refused:
        raise state_error(refused[state], 'Virtual machine %s is %s.' % (vm, state), vm)
    run_method(call, vm, obj, method)


@power.operation('shutdown', 'POST', action='shutdown', params=VM_ID)
def shutdown(call, vm):
    _request(call, vm, 'ShutdownGuest', {'POWERED_OFF': 'already_in_desired_state',
                                         'SUSPENDED': 'not_allowed_in_current_state'})


@power.operation('reboot', 'POST', action='reboot', params=VM_ID)
def reboot(call, vm):
    _request(call, vm, 'RebootGuest', {'POWERED_OFF': 'not_allowed_in_current_state',
                                       'SUSPENDED': 'not_allowed_in_current_state'})


@power.operation('standby', 'POST', action='standby', params=VM_ID)
def standby(call, vm):
    _request(call, vm, 'StandbyGuest', {'POWERED_OFF': 'not_allowed_in_current_state',
                                        'SUSPENDED': 'already_in_desired_state'})
