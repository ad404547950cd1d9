"""Powering VMs on and off in a sequence (a vApp's start order, a host's
autostart order): each VM's own events, without its task; the caller
passes how events are posted (`post(event_type, vm)`)."""


def start_vm(vm, post):
    """Power a VM on (resume a suspended one) unless it runs already."""
    if vm.power_state == 'poweredOn':
        return
    vm._check_host_for_power()
    post('VmResumingEvent' if vm.power_state == 'suspended' else 'VmStartingEvent', vm)
    vm.set_power_state('poweredOn')
    post('VmPoweredOnEvent', vm)


def stop_vm(vm, action, post):
    """Stop a running VM by `action`: 'suspend', 'guestShutdown',
    'powerOff', or 'none' to leave it running."""
    if vm.power_state != 'poweredOn' or action == 'none':
        return
    if action == 'suspend':
        post('VmSuspendingEvent', vm)
        vm.set_power_state('suspended')
        post('VmSuspendedEvent', vm)
    else:
        post('VmGuestShutdownEvent' if action == 'guestShutdown' else 'VmStoppingEvent', vm)
        vm.set_power_state('poweredOff')
        post('VmPoweredOffEvent', vm)
