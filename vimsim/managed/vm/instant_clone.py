"""InstantClone_Task: a powered-on copy of a running VM from its running
point, on its host.

The source's disks freeze where they are: the source goes on in a new
seSparse delta over each, and the clone starts in a delta of its own over
the same file (the two share it, as a linked clone shares its parent's;
vm_files.py keeps a file another VM's chain holds). The clone has its own
identity (moid-derived uuids and MACs, or the spec's biosUuid), no vApp,
the spec's `config` pairs in its extraConfig and the location's NIC edits;
it is running at once, its guest up. Refusals are clone_rules.py's, which
CheckInstantClone_Task lists.
"""
from vimsim.managed.vm.clone_rules import InstantCloneLocation, instant_clone_problems
from vimsim.managed.vm.provisioning import check_name, detach_vm, post_identity_events
from vimsim.managed.vm.snapshot import new_running_point
from vimsim.managed.vm.vm_task import vm_task

EVENT = 'com.vmware.vc.VmInstantClonedEvent'


def instant_clone_task(ctx, vm, spec):
    location = InstantCloneLocation(ctx, vm, spec)

    def work(task):
        problems = instant_clone_problems(vm, location, spec.name)
        if problems:
            raise problems[0]
        T = vm.T
        folder = location.folder_of(vm)
        clone = vm.copy_to(ctx, folder, check_name(spec.name), location.pool, location.host,
                           location.datastore, None, True)
        try:
            changes = T.VirtualMachineConfigSpec(
                deviceChange=list(spec.location.deviceChange),
                extraConfig=list(spec.config))
            if changes.deviceChange or changes.extraConfig:
                clone.apply_config_spec(ctx, changes)
        except Exception:
            detach_vm(clone)
            raise
        if spec.biosUuid is not None:
            clone.uuid_override = spec.biosUuid.lower()
        new_running_point(vm, vm.device_list())
        vm.devices_changed()
        clone.set_power_state('poweredOn')
        post_identity_events(task, clone)
        task.post_event('EventEx', clone, eventTypeId=EVENT, severity='info', arguments=[
            T.KeyAnyValue(key='sourceVm', value=vm.name)],
            objectId=clone.ref.value, objectType='VirtualMachine', objectName=clone.name)
        return clone
    return vm_task(ctx, vm, 'InstantClone_Task', work)
