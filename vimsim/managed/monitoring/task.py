"""Task: the managed object a `*_Task` method returns, and `run_task`, the one
way handlers run their work as a task.

A handler validates what vCenter validates before it creates a task (and
raises those faults synchronously), then hands the rest of its work to
`run_task`, which returns the Task at once (the endpoint answers with its
MoRef)::

    def PowerOnVM_Task(self, ctx, host=None):
        def work(task):
            ...                       # raise a vim fault to fail the task
            self.power_state = 'poweredOn'
            self.changed('runtime', 'summary')
            task.post_event('VmPoweredOnEvent', self)
            return None               # or a value / MoRef / managed object / Deferred
        return run_task(ctx, self, 'PowerOnVM_Task', work)

On the reactor the task then goes queued -> running -> success | error, each
state reported separately to property filters (`changed('info')` followed by a
flush of the change hub, so WaitForUpdates sees every state even when a task
takes no time). Between running and the work, the task spends its simulated
duration (TaskManager.durations; zero by default), with `progress` moving.
"""
import logging
import random

from twisted.internet import defer

from vimsim import clock
from vimsim.managed.base import ExtensibleManagedObject, ManagedObject
from vimsim.managed.vmodl_names import vmodl_method, vmodl_type
from vimsim.soap.fault import fault, localized

log = logging.getLogger(__name__)

QUEUED, RUNNING, SUCCESS, ERROR = 'queued', 'running', 'success', 'error'
DONE = (SUCCESS, ERROR)
PROGRESS_STEPS = 10          # progress updates during a simulated duration
MIN_PROGRESS_INTERVAL = 0.1  # seconds between two progress updates, at least
VACATE_POLL = 1.0            # seconds between two looks at what a maintenance task waits for


def now():
    return clock.now()


def sample_delay(options, method):
    """vcsim's DelayConfig.delay: milliseconds to hold `method` back:
    -delay plus the method's -method-delay, varied by -delay-jitter (the
    coefficient of variation of a normal distribution); <= 0 means none."""
    delay = max(getattr(options, 'delay', 0) or 0, 0)
    delay += (getattr(options, 'method_delay', None) or {}).get(method, 0)
    jitter = getattr(options, 'delay_jitter', 0) or 0
    if jitter > 0 and delay:
        delay += int(random.gauss(0, 1) * jitter * delay)
    return delay


def jittered(options, milliseconds):
    """A simulated duration varied by -delay-jitter, as vcsim's TaskDelay is."""
    jitter = getattr(options, 'delay_jitter', 0) or 0
    if jitter > 0 and milliseconds > 0:
        milliseconds += int(random.gauss(0, 1) * jitter * milliseconds)
    return max(milliseconds, 0)


def as_result(value):
    """Task results go on the wire as references, not objects."""
    if isinstance(value, ManagedObject):
        return value.ref
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], ManagedObject):
        return [item.ref for item in value]
    return value


class Task(ExtensibleManagedObject):
    """One task. `info` is the TaskInfo clients read; the model changes it only
    through `_update`, which reports it to property filters."""
    type_name = 'Task'

    def __init__(self, manager, moid, info, entity_object=None):
        super().__init__(manager.server, moid)
        self.manager = manager
        self.info = info
        self.entity_object = entity_object   # the ManagedEntity whose recentTask lists it
        self.serial = 0                      # order in the task history
        self.user = info.reason.userName if hasattr(info.reason, 'userName') else ''
        self._work = None
        self._pending = None      # the DelayedCall of the next step
        self._running = None      # the Deferred of work in progress
        # its work waits on the model (VMs to leave a host, say), as long as
        # other calls or its own timeout decide
        self.waiting = False
        self.finished_at = None   # the manager's clock when it finished
        self.external = False     # made by CreateTask: an extension drives it
        self.followers = []       # callables told (with the task) when it ends

    # -- reading ------------------------------------------------------------------
    @property
    def state(self):
        return self.info.state

    @property
    def done(self):
        return self.info.state in DONE

    @property
    def chain_id(self):
        return self.info.eventChainId

    # -- events of this task --------------------------------------------------------
    def post_event(self, type_name, entity=None, /, **fields):
        """Post an event of `type_name` in this task's event chain (user and
        entity arguments from the task; `entity` defaults to the task's)."""
        events = self.manager.event_manager()
        return events.post(type_name, entity if entity is not None else self.entity_object,
                           user=self.user, chain_id=self.chain_id, **fields)

    # -- state changes ---------------------------------------------------------------
    def _update(self, **fields):
        """Change TaskInfo fields and report it now, as its own update."""
        state_before = self.info.state
        for name, value in fields.items():
            setattr(self.info, name, value)
        self.changed('info')
        self.server.changes.flush()
        if self.info.state != state_before:
            self.manager.task_changed(self)

    def set_progress(self, percent):
        if not self.done:
            self._update(progress=int(percent))

    # -- running ------------------------------------------------------------------------
    def start(self, work, duration_ms):
        """Run `work(task)` on the reactor after `duration_ms` of simulated running."""
        self._work = work
        self._duration = duration_ms / 1000.0
        self._pending = self.server.time.callLater(0, self._begin)

    def _begin(self):
        self._pending = None
        if self.done or self.info.cancelled:
            return
        self._update(state=RUNNING, startTime=now(), progress=0)
        if self._duration <= 0:
            self._execute()
            return
        self._started = clock.seconds()
        self._interval = max(self._duration / PROGRESS_STEPS, MIN_PROGRESS_INTERVAL)
        self._schedule_tick()

    def _schedule_tick(self):
        remaining = self._started + self._duration - clock.seconds()
        if remaining <= 0:
            self._pending = None
            self._execute()
            return
        self._pending = self.server.time.callLater(min(self._interval, remaining),
                                                     self._tick)

    def _tick(self):
        self._pending = None
        if self.done:
            return
        elapsed = clock.seconds() - self._started
        percent = min(int(elapsed * 100 / self._duration), 99)
        if percent != self.info.progress and elapsed < self._duration:
            self._update(progress=percent)
        self._schedule_tick()

    def _execute(self):
        work, self._work = self._work, None
        if self.done:
            return
        if work is None:
            self._succeed(None)
            return
        running = defer.maybeDeferred(work, self)
        if not running.called:
            self._running = running
        running.addCallbacks(self._succeed, self._fail)

    def _succeed(self, result):
        self._running = None
        if not self.done:
            self._update(state=SUCCESS, completeTime=now(), progress=100,
                         result=as_result(result))
            self.manager.task_finished(self)

    def _fail(self, failure):
        self._running = None
        error = failure.value
        # the task keeps its fault for minutes: not the traceback, whose
        # frames hold the work and what it closed over (the caller's session)
        error.__traceback__ = None
        failure.cleanFailure()
        if isinstance(error, defer.CancelledError):
            error = self.manager.canceled_fault()
        elif not isinstance(error, self.server.schema.types['MethodFault'].cls):
            log.error('task %s failed: %s', self.ref.value, failure.getTraceback())
            error = fault('SystemError', 'A general system error occurred: %s' % error,
                          reason=str(error))
        self.finish_error(error)

    def finish_error(self, error):
        """End the task in error with the vim fault `error`."""
        if self.done:
            return
        self._update(state=ERROR, completeTime=now(), error=localized(error))
        self.manager.task_finished(self)

    def cancel(self):
        """CancelTask's effect: flag, then end in RequestCanceled on the next
        turn (cancellation is asynchronous, as on vCenter)."""
        self._update(cancelled=True)
        if self._pending is not None and self._pending.active():
            self._pending.cancel()
        self._pending = None
        self._work = None
        running, self._running = self._running, None
        if running is not None:
            running.cancel()   # the work's canceller may stop it; it ends in _fail
        self.server.time.callLater(0, self.finish_error, self.manager.canceled_fault())

    # -- API methods ----------------------------------------------------------------------
    def CancelTask(self, ctx):
        if self.done:
            raise fault('InvalidState', 'The operation is not allowed in the current state.')
        if not self.info.cancelable:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        if self.info.cancelled:
            return None   # "multiple cancel requests are treated as a single one"
        if self.external:   # CreateTask's: the extension sees the flag and ends it
            self._update(cancelled=True)
            return None
        self.cancel()
        return None

    def SetTaskState(self, ctx, state, result=None, fault=None):
        if self.done:
            raise _invalid_state()
        fields = {'state': state}
        if state == RUNNING and self.info.startTime is None:
            fields['startTime'] = now()
        if state in DONE:
            fields['completeTime'] = now()
            if self.info.startTime is None:
                fields['startTime'] = fields['completeTime']
            if result is not None:
                fields['result'] = result
            if fault is not None:
                fields['error'] = fault
        self._work = None
        if self._pending is not None and self._pending.active():
            self._pending.cancel()
        self._pending = None
        self._update(**fields)
        if state in DONE:
            self.manager.task_finished(self)

    def UpdateProgress(self, ctx, percentDone):
        if self.info.state != RUNNING:
            raise _invalid_state()
        if percentDone < 0 or percentDone > 100:
            raise _out_of_bounds('percentDone')
        self._update(progress=percentDone)

    def SetTaskDescription(self, ctx, description):
        if self.done:
            raise _invalid_state()
        self._update(description=description)


def _invalid_state():
    return fault('InvalidState', 'The operation is not allowed in the current state.')


def _out_of_bounds(argument):
    return fault('OutOfBounds', 'Argument %s is out of bounds.' % argument, argumentName=argument)


# ----------------------------------------------------------------------------
# what handlers use

def run_task(ctx, entity, method, work, cancelable=False, this=None, duration=None):
    """Run `work(task)` as the task of API method `method` (the WSDL name,
    'PowerOnVM_Task') on `entity` (the ManagedEntity the task is about, or
    None). Returns the Task at once; the handler returns it as its result.

    - `work(task)` runs on the reactor once the task is running and its
      simulated duration has passed. It returns the task's result (a value, a
      MoRef, a managed object, or a Deferred of one) or raises a vim fault,
      which becomes `info.error`. Use `task.post_event(...)` for events of the
      task's chain, `task.set_progress(p)` if it reports its own progress.
    - `cancelable`: whether CancelTask may stop it (before work ends; a work
      Deferred is cancelled with `Deferred.cancel()`).
    - `this`: the object the method was called on when it is not `entity`
      (HostDatastoreSystem for CreateNasDatastore, with the host as entity);
      it names `descriptionId` ('host.DatastoreSystem.createNasDatastore').
    - `duration`: milliseconds of simulated running; default from
      TaskManager.durations (per method, '*' for all; zero when unset).
    """
    manager = task_manager(ctx.server)
    task = manager.create_task(ctx, entity, method, cancelable=cancelable, this=this)
    if duration is None:
        duration = manager.duration_of(method)
    task.start(work, jittered(ctx.server.options, duration))
    return task


def when_vacated(server, task, timeout, blockers, then):
    """A Deferred of `then()` once `blockers()` is empty, as vCenter's
    maintenance and standby tasks wait for VMs to be moved or powered
    off (the task is `waiting` meanwhile): Timedout after `timeout`
    seconds (none when unset or <= 0); cancelling it (CancelTask) stops the wait."""
    task.waiting = True
    deadline = clock.seconds() + timeout if timeout and timeout > 0 else None
    pending = []

    def stop(_):
        while pending:
            call = pending.pop()
            if call.active():
                call.cancel()

    waiting = defer.Deferred(canceller=stop)

    def look():
        pending.clear()
        if not blockers():
            try:
                waiting.callback(then())
            except Exception as error:       # a vim fault of then() fails the task
                waiting.errback(error)
        elif deadline is not None and clock.seconds() >= deadline:
            waiting.errback(fault('Timedout', 'Operation timed out.'))
        else:
            wait = VACATE_POLL if deadline is None else \
                min(VACATE_POLL, max(deadline - clock.seconds(), 0))
            pending.append(server.time.callLater(wait, look))
    look()
    return waiting


def task_manager(server):
    """The TaskManager of a simulator."""
    found = getattr(server, 'task_manager', None)
    if found is None:
        raise LookupError('this simulator has no TaskManager')
    return found


def esx_task_id(entity_ref, receiver_type, method, serial):
    """ESX's task moids: 'haTask-<entity moid>-vim.VirtualMachine.powerOn-<n>'."""
    return 'haTask-%s-%s.%s-%d' % (entity_ref.value if entity_ref is not None else '',
                                   vmodl_type(receiver_type), vmodl_method(method), serial)

