"""Scheduled tasks with pyVmomi: CreateScheduledTask / CreateObjectScheduledTask,
ReconfigureScheduledTask, RemoveScheduledTask, RunScheduledTask,
RetrieveEntityScheduledTask / RetrieveObjectScheduledTask, schedulers of every
kind run on the model clock (advanced through the control surface), info
following each run, events and vCenter's faults."""
from datetime import timedelta

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator
from tests.controlling import act, content, model_time, vm  # noqa: F401 (fixtures)

S = vim.scheduler


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


@pytest.fixture
def made(content):
    """Scheduled tasks a test makes, removed after it."""
    tasks = []
    yield tasks
    for task in tasks:
        try:
            task.RemoveScheduledTask()
        except vmodl.fault.ManagedObjectNotFound:
            pass


def advance(sim, seconds):
    act(sim, 'time/advance', {'seconds': seconds})


def power_off(name='power off', scheduler=None, notification=None):
    return S.ScheduledTaskSpec(
        name=name, description='scheduled', enabled=True, notification=notification,
        scheduler=scheduler or S.OnceTaskScheduler(),
        action=vim.action.MethodAction(name=vim.VirtualMachine.PowerOff, argument=[]))


def events(content, types, task):
    found = content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=types))
    return [e for e in found if e.scheduledTask.scheduledTask == task]


def test_daily_power_off_runs_when_time_passes_it(sim, si, content, vm, made):
    """Acceptance: a daily scheduled PowerOff runs once simulated time passes it."""
    now = si.CurrentTime()
    at = (now + timedelta(hours=2)).replace(minute=15, second=0, microsecond=0)
    task = content.scheduledTaskManager.CreateScheduledTask(vm, power_off(
        'nightly off', S.DailyTaskScheduler(hour=at.hour, minute=at.minute, interval=1),
        notification='ops@example.com'))
    made.append(task)
    info = task.info
    assert (info.state, info.entity, info.taskObject) == ('queued', vm, vm)
    assert info.nextRunTime == at and info.prevRunTime is None
    assert task in content.scheduledTaskManager.scheduledTask
    advance(sim, (at - now).total_seconds() - 60)
    assert vm.runtime.powerState == 'poweredOn', 'not yet'
    advance(sim, 120)
    assert vm.runtime.powerState == 'poweredOff'
    info = task.info
    assert info.state == 'success' and info.activeTask is None
    assert info.prevRunTime >= at
    assert info.nextRunTime == at + timedelta(days=1)
    ran = [t for t in content.taskManager.recentTask
           if t.info.descriptionId == 'VirtualMachine.powerOff' and t.info.entity == vm]
    assert isinstance(ran[-1].info.reason, vim.TaskReasonSchedule)
    assert ran[-1].info.reason.scheduledTask == task
    kinds = {type(e).__name__.rsplit('.', 1)[-1] for e in events(content, [
        'ScheduledTaskCreatedEvent', 'ScheduledTaskStartedEvent', 'ScheduledTaskCompletedEvent',
        'ScheduledTaskEmailCompletedEvent'], task)}
    assert kinds == {'ScheduledTaskCreatedEvent', 'ScheduledTaskStartedEvent',
                     'ScheduledTaskCompletedEvent', 'ScheduledTaskEmailCompletedEvent'}
    # a run that finds it off fails, as PowerOff does
    task.RunScheduledTask()
    assert task.info.state == 'error'
    assert isinstance(task.info.error, vim.fault.InvalidPowerState)
    assert events(content, ['ScheduledTaskFailedEvent'], task)
    WaitForTask(vm.PowerOnVM_Task())


def test_run_reconfigure_remove(sim, si, content, vm, made):
    manager = content.scheduledTaskManager
    task = manager.CreateScheduledTask(vm, power_off('later', S.OnceTaskScheduler(
        runAt=si.CurrentTime() + timedelta(days=3))))
    made.append(task)
    task.RunScheduledTask()
    assert vm.runtime.powerState == 'poweredOff'
    assert task.info.state == 'success'
    assert task.info.nextRunTime is not None, 'a run by hand keeps the schedule'
    WaitForTask(vm.PowerOnVM_Task())
    spec = power_off('renamed', S.HourlyTaskScheduler(minute=5, interval=2))
    spec.enabled = False
    task.ReconfigureScheduledTask(spec)
    assert task.info.name == 'renamed' and task.info.nextRunTime is None
    assert events(content, ['ScheduledTaskReconfiguredEvent'], task)
    advance(sim, 3 * 3600)
    assert vm.runtime.powerState == 'poweredOn', 'a disabled task does not run'
    assert manager.RetrieveEntityScheduledTask(vm) == [task]
    assert manager.RetrieveObjectScheduledTask(vm) == [task]
    assert task in manager.RetrieveEntityScheduledTask()
    task.RemoveScheduledTask()
    assert task not in manager.scheduledTask
    assert manager.RetrieveEntityScheduledTask(vm) == []
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        task.info


def test_schedulers_name_the_next_run(si, content, vm, made):
    manager = content.scheduledTaskManager
    now = si.CurrentTime()
    start = now + timedelta(days=1)
    cases = [
        (S.HourlyTaskScheduler(minute=7, interval=1, activeTime=start),
         lambda t: t.minute == 7 and timedelta(0) <= t - start < timedelta(hours=1)),
        (S.WeeklyTaskScheduler(hour=6, minute=0, interval=1, saturday=True, sunday=False,
                               monday=False, tuesday=False, wednesday=False, thursday=False,
                               friday=False),
         lambda t: t.weekday() == 5 and t.hour == 6 and t - now < timedelta(days=7)),
        (S.MonthlyByDayTaskScheduler(day=31, hour=1, minute=0, interval=1),
         lambda t: t.day == ((t.replace(day=28) + timedelta(days=4)).replace(day=1)
                             - timedelta(days=1)).day),
        (S.MonthlyByWeekdayTaskScheduler(offset='second', weekday='tuesday', hour=2, minute=0,
                                         interval=1),
         lambda t: t.weekday() == 1 and 8 <= t.day <= 14),
        (S.OnceTaskScheduler(runAt=start), lambda t: t == start),
    ]
    for n, (scheduler, check) in enumerate(cases):
        task = manager.CreateScheduledTask(vm, power_off('kind %d' % n, scheduler))
        made.append(task)
        assert task.info.nextRunTime > now and check(task.info.nextRunTime), scheduler
    expired = S.DailyTaskScheduler(hour=1, minute=0, interval=1, activeTime=start,
                                   expireTime=start + timedelta(minutes=1))
    task = manager.CreateScheduledTask(vm, power_off('expired', expired))
    made.append(task)
    if task.info.nextRunTime is not None:
        assert task.info.nextRunTime <= expired.expireTime


def test_object_scheduled_task_and_arguments(sim, si, content, vm, made):
    """A scheduled task on any object, with the method's arguments."""
    folder = vm.parent
    spec = S.ScheduledTaskSpec(
        name='make a folder', description='', enabled=True, scheduler=S.OnceTaskScheduler(),
        action=vim.action.MethodAction(name=vim.Folder.CreateFolder, argument=[
            vim.action.MethodActionArgument(value='from a schedule')]))
    task = content.scheduledTaskManager.CreateObjectScheduledTask(folder, spec)
    made.append(task)
    advance(sim, 1)
    assert task.info.state == 'success'
    created = content.searchIndex.FindChild(folder, 'from a schedule')
    assert created is not None and task.info.result == created
    WaitForTask(created.Destroy_Task())


def test_faults(si, content, vm, made):
    manager = content.scheduledTaskManager
    made.append(manager.CreateScheduledTask(vm, power_off('taken', S.OnceTaskScheduler(
        runAt=si.CurrentTime() + timedelta(days=9)))))
    with pytest.raises(vim.fault.DuplicateName):
        manager.CreateScheduledTask(vm, power_off('taken'))
    with pytest.raises(vim.fault.InvalidName):
        manager.CreateScheduledTask(vm, power_off(''))
    for scheduler in (S.DailyTaskScheduler(hour=24, minute=0, interval=1),
                      S.HourlyTaskScheduler(minute=60, interval=1),
                      S.HourlyTaskScheduler(minute=0, interval=0),
                      S.WeeklyTaskScheduler(hour=1, minute=0, interval=1, sunday=False,
                                            monday=False, tuesday=False, wednesday=False,
                                            thursday=False, friday=False, saturday=False),
                      S.MonthlyByDayTaskScheduler(day=32, hour=1, minute=0, interval=1),
                      S.DailyTaskScheduler(hour=1, minute=0, interval=1,
                                           activeTime=si.CurrentTime().replace(year=9998))):
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.CreateScheduledTask(vm, power_off('bad', scheduler))
    missing = S.ScheduledTaskSpec(name='no name given', description='', enabled=True,
                                  scheduler=S.OnceTaskScheduler(),
                                  action=vim.action.MethodAction(name=vim.VirtualMachine.Rename,
                                                                 argument=[]))
    with pytest.raises(vmodl.fault.InvalidArgument):   # newName is required
        manager.CreateScheduledTask(vm, missing)
    email = power_off('mail')
    email.action = vim.action.SendEmailAction(toList='a@b', ccList='', subject='s', body='b')
    with pytest.raises(vmodl.fault.NotSupported):
        manager.CreateScheduledTask(vm, email)
    assert [t.info.name for t in manager.RetrieveEntityScheduledTask(vm)] == ['taken']
