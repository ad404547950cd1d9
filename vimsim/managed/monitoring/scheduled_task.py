"""ScheduledTask: an action (a MethodAction) that runs on an object at the
times its scheduler names, on the model clock, so advancing simulated time
runs it. A run calls the method as the system would for the task's owner
(the Task it starts has reason TaskReasonSchedule); `info` follows the run
(state, activeTask, then result or error, prevRunTime, nextRunTime); the
ScheduledTask*Event events are posted and, with `notification` set, the
e-mail's ScheduledTaskEmailCompletedEvent.
"""
import copy

from vimsim import clock
from vimsim.managed.base import ExtensibleManagedObject
from vimsim.managed.monitoring.method_action import run_method_action
from vimsim.managed.monitoring.task import now
from vimsim.managed.monitoring.task_schedule import next_run
from vimsim.soap.fault import fault, localized


class ScheduledTask(ExtensibleManagedObject):
    type_name = 'ScheduledTask'

    def __init__(self, server, moid, manager, target, spec, user):
        super().__init__(server, moid)
        self.manager = manager
        self.target = target          # the managed object the action runs on
        self.owner = user
        self._timer = None
        self.info = None
        self._apply(spec, user)

    # -- definition ---------------------------------------------------------------
    def _apply(self, spec, user):
        T = self.server.schema.types
        previous = self.info
        info = T['ScheduledTaskInfo'].cls(**{field.name: copy.deepcopy(getattr(spec, field.name))
                                             for field in T['ScheduledTaskSpec'].fields})
        info.scheduledTask, info.taskObject = self.ref, self.target.ref
        info.entity = self.target.ref if self.manager.is_entity(self.target) else None
        info.lastModifiedTime, info.lastModifiedUser = now(), user
        if previous is None:
            info.state = 'queued'
        else:   # the last run's outcome stays
            for name in ('state', 'prevRunTime', 'result', 'error', 'progress'):
                setattr(info, name, getattr(previous, name))
        info.notification = spec.notification or None
        self.info = info
        self.anchor = info.lastModifiedTime
        self._schedule()

    def _schedule(self):
        """Set the timer of the next run (none when disabled or done)."""
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        info = self.info
        after = info.prevRunTime or (self.anchor - clock.MICROSECOND)
        moment = next_run(info.scheduler, after, self.anchor, self.manager.started) \
            if info.enabled else None
        info.nextRunTime = moment
        if moment is not None:
            delay = (moment - clock.now()).total_seconds()
            self._timer = self.server.time.callLater(max(delay, 0), self._due)
        self.changed('info')

    def _due(self):
        self._timer = None
        if self.info.state != 'running':
            self._run()
        else:       # still running the last one: this run is skipped
            self._schedule()

    # -- running --------------------------------------------------------------------
    def _run(self):
        info = self.info
        info.prevRunTime = now()
        info.state, info.error, info.result, info.progress = 'running', None, None, None
        self.changed('info')
        self._post('ScheduledTaskStartedEvent')
        reason = self.server.schema.types['TaskReasonSchedule'].cls(
            name=info.name, scheduledTask=self.ref)
        try:
            result = run_method_action(self.server, self.target, info.action, reason)
        except self.server.schema.types['MethodFault'].cls as failed:
            self._finished(error=failed)
            return
        followed = getattr(result, 'followers', None)
        if followed is None:     # not a Task: done already
            self._finished(result=result)
            return
        info.activeTask = result.ref
        self.changed('info')
        followed.append(self._task_done)

    def _task_done(self, task):
        self.info.activeTask = None
        if task.info.state == 'error':
            self._finished(error=task.info.error.fault, localized_error=task.info.error)
        else:
            self._finished(result=task.info.result)

    def _finished(self, result=None, error=None, localized_error=None):
        info = self.info
        if error is not None:
            info.state, info.error = 'error', localized_error or localized(error)
            self._post('ScheduledTaskFailedEvent', reason=info.error)
        else:
            info.state, info.result, info.progress = 'success', _stored(result), 100
            self._post('ScheduledTaskCompletedEvent')
        if info.notification:
            self._post('ScheduledTaskEmailCompletedEvent', to=info.notification)
        self._schedule()

    def _post(self, type_name, **fields):
        T = self.server.schema.types
        events = self.manager.event_manager()
        entity = self.target if self.manager.is_entity(self.target) else None
        return events.post(
            type_name, entity, user=self.owner,
            scheduledTask=T['ScheduledTaskEventArgument'].cls(name=self.info.name,
                                                              scheduledTask=self.ref),
            entity=T['ManagedEntityEventArgument'].cls(name=getattr(self.target, 'name', ''),
                                                       entity=self.target.ref),
            **fields)

    # -- API methods -------------------------------------------------------------------
    def ReconfigureScheduledTask(self, ctx, spec):
        if self.info.state == 'running':
            raise _running()
        self.manager.check_spec(self.target, spec, renaming=self)
        before = self.info
        self._apply(spec, ctx.session.user if ctx.session is not None else self.owner)
        changed = [name for name in ('name', 'description', 'enabled', 'scheduler', 'action',
                                     'notification')
                   if getattr(before, name) != getattr(self.info, name)]
        self._post('ScheduledTaskReconfiguredEvent', configChanges=self.server.schema.types[
            'ChangesInfoEventArgument'].cls(modified=', '.join(changed)))

    def RemoveScheduledTask(self, ctx):
        if self.info.state == 'running':
            raise _running()
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._post('ScheduledTaskRemovedEvent')
        self.manager.removed(self)

    def RunScheduledTask(self, ctx):
        """Run now, whatever the schedule says (the next scheduled run stays)."""
        if self.info.state == 'running':
            raise _running()
        self._run()


def _running():
    return fault('InvalidState', 'The scheduled task is running.')


def _stored(result):
    """A result as info.result holds it: a managed object by its MoRef."""
    ref = getattr(result, 'ref', None)
    return ref if ref is not None and hasattr(result, 'server') else result
