"""The tasks of a VM and the faults of its state.

`vm_task` is `run_task` with vCenter's one running task per VM; every task
on a VM (power, reconfigure, snapshots, destroy, clone, relocate,
customize ...) goes through it.
"""
from vimsim.managed.monitoring.task import run_task
from vimsim.soap.fault import fault

POWER_STATE_LABELS = {'poweredOn': 'Powered on', 'poweredOff': 'Powered off',
                      'suspended': 'Suspended'}


def vm_task(ctx, vm, method, work, cancelable=False, duration=None, this=None):
    """`run_task` with vCenter's per-VM serialization: while a task of this VM
    runs (queued or running), another one raises TaskInProgress at once, its
    `task` the running task's MoRef. Use it for every task on a VM (power,
    reconfigure, snapshots, destroy, clone, relocate, customize...). `this`:
    the object the method was called on when not the VM (a snapshot)."""
    check_idle(vm)
    task = run_task(ctx, vm, method, work, cancelable=cancelable, duration=duration, this=this)
    vm._active_task = task
    return task


def check_idle(vm):
    """TaskInProgress (its `task` the running one) while a task of `vm` runs."""
    active = vm._active_task
    if active is not None and not active.done:
        raise fault('TaskInProgress', 'The operation is not allowed in the current state '
                    'because the virtual machine has a task in progress.', task=active.ref)


def invalid_power_state(requested, existing):
    return fault('InvalidPowerState', 'The attempted operation cannot be performed in the '
                 'current state (%s).' % POWER_STATE_LABELS.get(existing, existing),
                 requestedState=requested, existingState=existing)


def invalid_state():
    return fault('InvalidState', 'The operation is not allowed in the current state.')


def tools_unavailable():
    return fault('ToolsUnavailable', 'Cannot complete operation because VMware Tools is not '
                 'running in this virtual machine.')
