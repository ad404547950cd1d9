"""VirtualMachineGuestCustomizationManager: customization of a running VM's
guest, as vCenter does it after an InstantClone.

The guest must be powered on with its tools running and accept the call's
guest credentials (the guest operations' own checks). CustomizeGuest_Task
takes the guest's customization lock while it runs (a second one is refused
with CustomizationPending), gives the guest its new identity at once and
stages the new network settings: the guest's interfaces keep their addresses
until its network service restarts, by StartGuestNetwork_Task or the next
boot. `configParams` are the guest customization engine's own options,
passed to the guest untouched by vCenter. AbortCustomization_Task ends a customization still running (its task
fails) and frees the lock.
"""
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.vm.provisioning import check_customization
from vimsim.managed.vm.vm_task import vm_task
from vimsim.soap.fault import fault


def _customizing(guest):
    """The CustomizeGuest_Task holding `guest`'s lock, while it runs."""
    task = getattr(guest, 'customizing', None)
    return task if task is not None and not task.done else None


@manager_type('VirtualMachineGuestCustomizationManager')
class GuestCustomizationManager(Manager):

    def _guests(self):
        content = self.server.service_instance.content
        return self.server.objects.get(content.guestOperationsManager).guests

    def CustomizeGuest_Task(self, ctx, vm, auth, spec, configParams=()):
        guests = self._guests()
        guest = guests.enter(ctx, vm, auth)
        running = _customizing(guest)
        if running is not None:
            raise fault('CustomizationPending', 'A customization of the guest is already in '
                        'progress.')
        target = guest.vm
        check_customization(target, spec)

        def work(task):
            guests.enter(ctx, vm, auth)
            if guest.customizing is not task:
                task.post_event('CustomizationUnknownFailure', target)
                raise fault('CustomizationFault', 'The customization of the guest was aborted.')
            guest.customizing = None
            custom = check_customization(target, spec)
            task.post_event('CustomizationStartedEvent', target)
            before = target.customization
            shown = list(before['ips']) if before else [None] * len(custom['ips'])
            shown += [None] * (len(custom['ips']) - len(shown))
            target.customization = dict(custom, ips=shown[:len(custom['ips'])],
                                        staged_ips=custom['ips'])
            target.path_readers = target._custom_path_readers()
            guest.rename(custom['hostName'])
            target.changed('guest', 'summary')
            task.post_event('CustomizationSucceeded', target)
            return None
        task = vm_task(ctx, target, 'CustomizeGuest_Task', work)
        guest.customizing = task
        return task

    def StartGuestNetwork_Task(self, ctx, vm, auth):
        guests = self._guests()

        def work(task):
            guest = guests.enter(ctx, vm, auth)
            if _customizing(guest) is not None:
                raise fault('CustomizationPending', 'A customization of the guest is in '
                            'progress.')
            guest.vm.start_guest_network()
            return None
        target = guests.enter(ctx, vm, auth).vm
        return run_task(ctx, target, 'StartGuestNetwork_Task', work)

    def AbortCustomization_Task(self, ctx, vm, auth):
        guests = self._guests()

        def work(task):
            guest = guests.enter(ctx, vm, auth)
            guest.customizing = None   # a customization still running fails
            return None
        target = guests.enter(ctx, vm, auth).vm
        return run_task(ctx, target, 'AbortCustomization_Task', work)
