"""Alarms with pyVmomi: vCenter's default alarms, CreateAlarm / ReconfigureAlarm
/ RemoveAlarm / GetAlarm / GetAlarmState, metric, state and event expressions
evaluated on the model clock against the load model, the control surface
driving them, states on entities, acknowledging, clearing, disabling, and
actions (a MethodAction powering a VM off, a notification event)."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator
from tests.controlling import act, content, model_time, vm  # noqa: F401 (fixtures)

CPU_USAGE = 2
PM = vim.PerformanceManager


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


@pytest.fixture
def made(sim, content):
    """Alarms a test makes, removed after it, with the loads it set reset."""
    alarms, loaded = [], []
    yield alarms, loaded
    for alarm in alarms:
        try:
            alarm.RemoveAlarm()
        except vmodl.fault.ManagedObjectNotFound:
            pass
    for entity in loaded:
        act(sim, 'load', {'entity': entity._moId})


def cpu_alarm(name='VM CPU hot', yellow=5000, red=9000, interval=60, action=None, setting=None):
    return vim.alarm.AlarmSpec(
        name=name, description='CPU of a VM', enabled=True, action=action, setting=setting,
        expression=vim.alarm.MetricAlarmExpression(
            operator='isAbove', type=vim.VirtualMachine,
            metric=PM.MetricId(counterId=CPU_USAGE, instance=''), yellow=yellow,
            yellowInterval=interval, red=red, redInterval=interval))


def power_state_alarm(red):
    """A state alarm, red on VMs in power state `red`."""
    return vim.alarm.AlarmSpec(
        name='VM %s' % red, description='', enabled=True,
        expression=vim.alarm.StateAlarmExpression(
            operator='isEqual', type=vim.VirtualMachine, statePath='runtime.powerState',
            red=red))


def status_of(entity, alarm):
    for state in entity.triggeredAlarmState:
        if state.alarm == alarm:
            return state.overallStatus
    return 'green'


def events(content, types, entity=None):
    found = content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=types))
    if entity is None:
        return found
    return [e for e in found if getattr(e, 'entity', None) is not None
            and e.entity.entity == entity]


def test_default_alarms_on_the_root_folder(content, vm):
    names = {a.info.name for a in content.alarmManager.GetAlarm(content.rootFolder)}
    assert {'Host CPU usage', 'Host memory usage', 'Virtual machine CPU usage',
            'Virtual machine memory usage', 'Host connection and power state'} <= names
    assert set(content.alarmManager.GetAlarm()) >= set(
        content.alarmManager.GetAlarm(content.rootFolder))
    declared = vm.declaredAlarmState
    assert {s.alarm.info.name for s in declared} >= {'Virtual machine CPU usage',
                                                      'Virtual machine memory usage'}
    assert 'Host CPU usage' not in {s.alarm.info.name for s in declared}
    for state in declared:
        assert state.entity == vm
        assert state.key == '%s.%s' % (state.alarm._moId.split('-')[1], vm._moId.split('-')[1])
    assert {s.key for s in content.alarmManager.GetAlarmState(vm)} == {s.key for s in declared}


def test_cpu_alarm_follows_the_load_the_control_surface_sets(sim, content, vm, made):
    """Acceptance: red when the VM's load goes up, green again after."""
    alarms, loaded = made
    alarm = content.alarmManager.CreateAlarm(vm, cpu_alarm())
    alarms.append(alarm)
    assert alarm.info.entity == vm and alarm.info.name == 'VM CPU hot'
    assert status_of(vm, alarm) == 'green'
    act(sim, 'load', {'entity': vm._moId, 'cpu': 1})
    loaded.append(vm)
    act(sim, 'time/advance', {'seconds': 20})
    assert status_of(vm, alarm) == 'green', 'the condition must hold for redInterval'
    act(sim, 'time/advance', {'seconds': 60})
    assert status_of(vm, alarm) == 'red'
    assert vm.overallStatus == 'red'
    datacenter = content.rootFolder.childEntity[0]
    for above in (vm.parent, datacenter, content.rootFolder):
        assert alarm in [s.alarm for s in above.triggeredAlarmState]
    act(sim, 'load', {'entity': vm._moId, 'cpu': 0.6})
    act(sim, 'time/advance', {'seconds': 80})
    assert status_of(vm, alarm) == 'yellow'
    act(sim, 'load', {'entity': vm._moId, 'cpu': 0.1})
    act(sim, 'time/advance', {'seconds': 40})
    assert status_of(vm, alarm) == 'green' and vm.overallStatus == 'green'
    changes = [(e.__getattribute__('from'), e.to)
               for e in events(content, ['AlarmStatusChangedEvent'], vm)
               if e.alarm.alarm == alarm]
    assert changes[::-1] == [('gray', 'green'), ('green', 'red'), ('red', 'yellow'),
                             ('yellow', 'green')]
    created = events(content, ['AlarmCreatedEvent'], vm)
    assert created and created[0].alarm.alarm == alarm


def test_tolerance_range(sim, content, vm, made):
    """Past the threshold by the tolerance to trigger."""
    alarms, loaded = made
    loaded.append(vm)
    act(sim, 'load', {'entity': vm._moId, 'cpu': 0.45})   # above 40 %, within 20 % of it
    alarm = content.alarmManager.CreateAlarm(vm, cpu_alarm(
        yellow=None, red=4000, interval=0,
        setting=vim.alarm.AlarmSetting(toleranceRange=2000, reportingFrequency=0)))
    alarms.append(alarm)
    act(sim, 'time/advance', {'seconds': 20})
    assert status_of(vm, alarm) == 'green'
    act(sim, 'load', {'entity': vm._moId, 'cpu': 0.5})    # past 48 %
    act(sim, 'time/advance', {'seconds': 20})
    assert status_of(vm, alarm) == 'red'
    act(sim, 'load', {'entity': vm._moId, 'cpu': 0.35})   # not yet under 32 %
    act(sim, 'time/advance', {'seconds': 20})
    assert status_of(vm, alarm) == 'red'
    act(sim, 'load', {'entity': vm._moId, 'cpu': 0.3})
    act(sim, 'time/advance', {'seconds': 20})
    assert status_of(vm, alarm) == 'green'


def test_state_alarm(sim, content, vm, made):
    alarms, _ = made
    alarm = content.alarmManager.CreateAlarm(content.rootFolder, power_state_alarm('poweredOff'))
    alarms.append(alarm)
    WaitForTask(vm.PowerOffVM_Task())
    try:
        act(sim, 'time/advance', {'seconds': 20})
        assert status_of(vm, alarm) == 'red'
    finally:
        WaitForTask(vm.PowerOnVM_Task())
    act(sim, 'time/advance', {'seconds': 20})
    assert status_of(vm, alarm) == 'green'


def test_event_alarm_clear_and_acknowledge(sim, content, vm, made):
    alarms, _ = made
    spec = vim.alarm.AlarmSpec(
        name='VM powered off', description='', enabled=True,
        expression=vim.alarm.EventAlarmExpression(
            eventType=vim.event.VmPoweredOffEvent, objectType=vim.VirtualMachine,
            status='yellow'))
    manager = content.alarmManager
    alarm = manager.CreateAlarm(content.rootFolder, spec)
    alarms.append(alarm)
    WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(vm.PowerOnVM_Task())
    assert status_of(vm, alarm) == 'yellow', 'an event alarm stays triggered'
    manager.AcknowledgeAlarm(alarm, vm)
    state = [s for s in vm.triggeredAlarmState if s.alarm == alarm][0]
    assert state.acknowledged and state.acknowledgedByUser == 'user'
    assert events(content, ['AlarmAcknowledgedEvent'], vm)
    manager.ClearTriggeredAlarms(vim.alarm.AlarmFilterSpec(
        status=['yellow'], typeEntity='entityTypeVm', typeTrigger='triggerTypeEvent'))
    assert status_of(vm, alarm) == 'green'
    cleared = events(content, ['AlarmClearedEvent'], vm)
    assert cleared and cleared[0].alarm.alarm == alarm
    state = [s for s in manager.GetAlarmState(vm) if s.alarm == alarm][0]
    assert state.overallStatus == 'green' and state.eventKey is None, 'a manual reset has none'


def test_method_action_and_notification(sim, content, vm, made):
    alarms, loaded = made
    power_off = vim.alarm.AlarmTriggeringAction(
        action=vim.action.MethodAction(name=vim.VirtualMachine.PowerOff, argument=[]),
        transitionSpecs=[vim.alarm.AlarmTriggeringAction.TransitionSpec(
            startState='green', finalState='red', repeats=False)])
    mail = vim.alarm.AlarmTriggeringAction(
        action=vim.action.SendEmailAction(toList='ops@example.com', ccList='', subject='hot',
                                          body=''),
        transitionSpecs=[vim.alarm.AlarmTriggeringAction.TransitionSpec(
            startState='green', finalState='red', repeats=False)])
    action = vim.alarm.GroupAlarmAction(action=[power_off, mail])
    alarm = content.alarmManager.CreateAlarm(vm, cpu_alarm(
        name='Power off hot VMs', yellow=None, interval=20, action=action))
    alarms.append(alarm)
    loaded.append(vm)
    act(sim, 'load', {'entity': vm._moId, 'cpu': 1})
    try:
        act(sim, 'time/advance', {'seconds': 40})
        assert vm.runtime.powerState == 'poweredOff'
        tasks = [t for t in content.taskManager.recentTask
                 if t.info.descriptionId == 'VirtualMachine.powerOff' and t.info.entity == vm]
        assert isinstance(tasks[-1].info.reason, vim.TaskReasonAlarm)
        assert tasks[-1].info.reason.alarm == alarm
        assert events(content, ['AlarmActionTriggeredEvent'], vm)
        mailed = events(content, ['AlarmEmailCompletedEvent'], vm)
        assert mailed and mailed[0].to == 'ops@example.com'
    finally:
        act(sim, 'load', {'entity': vm._moId})
        if vm.runtime.powerState != 'poweredOn':
            WaitForTask(vm.PowerOnVM_Task())


def test_alarm_actions_can_be_disabled(sim, content, vm, made):
    alarms, loaded = made
    manager = content.alarmManager
    manager.EnableAlarmActions(vm, False)
    try:
        assert manager.AreAlarmActionsEnabled(vm) is False
        assert vm.alarmActionsEnabled is False
        action = vim.alarm.AlarmTriggeringAction(
            action=vim.action.MethodAction(name=vim.VirtualMachine.PowerOff, argument=[]),
            green2yellow=False, yellow2red=False, red2yellow=False, yellow2green=False,
            transitionSpecs=[vim.alarm.AlarmTriggeringAction.TransitionSpec(
                startState='green', finalState='red', repeats=False)])
        alarm = manager.CreateAlarm(vm, cpu_alarm(name='quiet', yellow=None, interval=20,
                                                  action=action))
        alarms.append(alarm)
        loaded.append(vm)
        act(sim, 'load', {'entity': vm._moId, 'cpu': 1})
        act(sim, 'time/advance', {'seconds': 40})
        assert status_of(vm, alarm) == 'red'
        assert vm.runtime.powerState == 'poweredOn'
    finally:
        manager.EnableAlarmActions(vm, True)
    assert manager.AreAlarmActionsEnabled(vm) is True


def test_disable_enable_reconfigure_remove(sim, content, vm, made):
    alarms, loaded = made
    manager = content.alarmManager
    alarm = manager.CreateAlarm(vm, cpu_alarm(name='to change', yellow=None, interval=0))
    alarms.append(alarm)
    loaded.append(vm)
    act(sim, 'load', {'entity': vm._moId, 'cpu': 1})
    act(sim, 'time/advance', {'seconds': 20})
    assert status_of(vm, alarm) == 'red'
    manager.DisableAlarm(alarm, vm)
    assert status_of(vm, alarm) == 'green'
    act(sim, 'time/advance', {'seconds': 20})
    assert status_of(vm, alarm) == 'green'
    manager.EnableAlarm(alarm, vm)
    assert status_of(vm, alarm) == 'red'
    alarm.ReconfigureAlarm(cpu_alarm(name='changed', yellow=None, red=10001, interval=0))
    assert alarm.info.name == 'changed'
    act(sim, 'time/advance', {'seconds': 20})
    assert status_of(vm, alarm) == 'green'
    assert events(content, ['AlarmReconfiguredEvent'], vm)
    alarm.RemoveAlarm()
    assert alarm not in manager.GetAlarm(vm)
    assert alarm not in [s.alarm for s in vm.declaredAlarmState]
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        alarm.info
    assert events(content, ['AlarmRemovedEvent'], vm)


def test_faults(content, vm, made):
    alarms, _ = made
    manager = content.alarmManager
    alarms.append(manager.CreateAlarm(vm, cpu_alarm(name='taken')))
    with pytest.raises(vim.fault.DuplicateName):
        manager.CreateAlarm(vm, cpu_alarm(name='taken'))
    with pytest.raises(vim.fault.InvalidName):
        manager.CreateAlarm(vm, cpu_alarm(name=''))
    with pytest.raises(vim.fault.InvalidName):
        manager.CreateAlarm(vm, cpu_alarm(name='x' * 81))
    bad_counter = cpu_alarm(name='bad counter')
    bad_counter.expression.metric.counterId = 999999
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.CreateAlarm(vm, bad_counter)
    bad_path = vim.alarm.AlarmSpec(name='bad path', description='', enabled=True,
                                   expression=vim.alarm.StateAlarmExpression(
                                       operator='isEqual', type=vim.VirtualMachine,
                                       statePath='nothing.here', red='x'))
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.CreateAlarm(vm, bad_path)
    bad_method = cpu_alarm(name='bad method', action=vim.alarm.AlarmTriggeringAction(
        action=vim.action.MethodAction(name=vim.VirtualMachine.Rename, argument=[]),
        green2yellow=True))
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.CreateAlarm(vm, bad_method)
    task_action = cpu_alarm(name='task action', action=vim.alarm.AlarmTriggeringAction(
        action=vim.action.CreateTaskAction(taskTypeId='x', cancelable=False),
        green2yellow=True))
    with pytest.raises(vmodl.fault.NotSupported):
        manager.CreateAlarm(vm, task_action)
    abstract = cpu_alarm(name='abstract action', action=vim.alarm.AlarmAction())
    with pytest.raises(vmodl.fault.InvalidArgument):       # an internal error, once
        manager.CreateAlarm(vm, abstract)
    assert {a.info.name for a in manager.GetAlarm(vm)} == {'taken'}


def test_an_alarm_pass_lets_other_work_run_between_its_steps():
    """An evaluation pass over many VMs is model work in steps: the reactor
    serves other work (another client's call) before the pass ends, and the
    pass still sets every state. It used to run in one reactor turn (4.2 s
    at 10,000 VMs, every client waiting)."""
    from twisted.internet import reactor, task

    from tests.conftest import on_reactor, settle
    from vimsim.options import Options
    from vimsim.simulator import Simulator

    sim = on_reactor(Simulator, Options(vm=250))    # 1,000 VMs
    try:
        def start_a_pass():
            sim.alarm_manager._tick()
            return task.deferLater(reactor, 0, sim.time.settled)
        assert on_reactor(start_a_pass) is False, 'the pass ended before the reactor turned'
        settle(sim)
        vms = [obj for obj in sim.objects if obj.type_name == 'VirtualMachine']
        declared = on_reactor(lambda: [sim.alarm_manager.declared_states(vm) for vm in vms])
        assert all(state.overallStatus != 'gray' for states in declared for state in states)
    finally:
        on_reactor(sim.close)



def test_a_pass_over_idle_vms_keeps_neither_a_state_object_nor_a_sample_per_vm(monkeypatch):
    """The green states a pass sets alike share one Quiet state, and of the
    samples a pass read only those a condition held on are kept for the
    passes after: at 1M VMs the first pass kept 2M state tuples and a dict
    of counter values per VM and pass (for 15 passes), gigabytes in all."""
    from tests.conftest import on_reactor, settle
    from vimsim.options import Options
    from vimsim.simulator import Simulator

    from vimsim import clock
    from vimsim.managed.monitoring import alarm_manager
    from vimsim.managed.monitoring.load_model import load_model

    monkeypatch.setattr(alarm_manager, 'EVENT_LIMIT', 10)   # the states keyed by their events
    sim = on_reactor(Simulator, Options(vm=250))
    ahead = clock.ahead()
    try:
        manager = sim.alarm_manager
        vms = [obj for obj in sim.objects if obj.type_name == 'VirtualMachine']
        busy = vms[0]
        on_reactor(load_model(sim).set_vm_load, busy, 1.0, 1.0)
        settle(sim)
        on_reactor(sim.time.advance, 20)
        settle(sim)
        vm_alarms = {s.alarm.value for s in manager.declared_states(vms[1])}
        green = [state for moid in vm_alarms for vm_moid, state in manager._states[moid].items()
                 if state.overallStatus == 'green']
        assert len(green) >= len(vms)
        assert len({id(state) for state in green}) <= 10 + 2 * len(vm_alarms)
        kept = {index: set(held) for index, held in manager._history.items()}
        older = [moids for index, moids in kept.items() if index < max(kept)]
        assert older and all(moids <= {busy.ref.value} | {h.ref.value for h in sim.objects
                                                         if h.type_name == 'HostSystem'}
                             for moids in older), 'idle VMs\' samples are not kept'
        assert any(busy.ref.value in moids for moids in older)
    finally:
        on_reactor(sim.time.take_back, clock.ahead() - ahead)
        on_reactor(sim.close)


def test_a_pass_reads_no_sample_of_a_vm_that_cannot_pass_a_limit(monkeypatch):
    """A VM whose load model peaks (LoadModel.vm_peaks) stay within every
    limit of a metric alarm is green without a sample read: of 1,000 VMs a
    later pass reads only those a default VM alarm's limit is within reach
    of, and one whose load is set (no peak known), whose memory alarm
    triggers. At 1M
    VMs each pass read 2M VM samples, about 35 us a VM."""
    from tests.conftest import on_reactor, settle
    from vimsim import clock
    from vimsim.managed.monitoring import perf_metrics
    from vimsim.managed.monitoring.load_model import LoadModel, load_model
    from vimsim.options import Options
    from vimsim.simulator import Simulator

    read = set()
    original = LoadModel._vm_sample
    monkeypatch.setattr(LoadModel, '_vm_sample',
                        lambda self, vm, index: read.add(vm) or original(self, vm, index))
    sim = on_reactor(Simulator, Options(vm=250))
    ahead = clock.ahead()
    try:
        vms = [obj for obj in sim.objects if obj.type_name == 'VirtualMachine']
        busy = vms[0]
        on_reactor(load_model(sim).set_vm_load, busy, 1.0, 1.0)
        settle(sim)
        read.clear()
        on_reactor(sim.time.advance, 300)   # later passes; the busy VM's memory held 300 s
        settle(sim)
        model = load_model(sim)
        reachable = {vm for vm in vms[1:] if on_reactor(
            lambda: perf_metrics.VM_PEAKS['cpu.usage'](model, vm) > 7500
            or perf_metrics.VM_PEAKS['mem.usage'](model, vm) > 8500)}
        assert {vm for vm in read if vm.server is sim} == reachable | {busy}   # others': theirs
        assert 0 < len(reachable) < len(vms) // 4
        memory = next(a for a in sim.alarm_manager.applying(busy)
                      if a.info.systemName == 'alarm.VmMemoryUsageAlarm')
        assert sim.alarm_manager._state(memory.ref.value, busy.ref.value).overallStatus == 'red'
    finally:
        on_reactor(sim.time.take_back, clock.ahead() - ahead)
        on_reactor(sim.close)


def test_a_first_pass_posts_only_the_gray_changes_the_event_store_can_keep(monkeypatch):
    """Every entity's first evaluation leaves gray (and each state reads
    so), but of its AlarmStatusChangedEvents only the newest EVENT_LIMIT are
    made, after the pass set every state: the store would have dropped the
    others as the newer came. A first pass over 1M VMs made 2M events."""
    from tests.conftest import on_reactor, settle
    from vimsim.managed.monitoring import alarm_manager
    from vimsim.managed.monitoring.event_manager import event_manager
    from vimsim.options import Options
    from vimsim.simulator import Simulator

    monkeypatch.setattr(alarm_manager, 'EVENT_LIMIT', 100)
    sim = on_reactor(Simulator, Options(vm=250))
    try:
        settle(sim)
        vms = [obj for obj in sim.objects if obj.type_name == 'VirtualMachine']
        declared = on_reactor(lambda: [sim.alarm_manager.declared_states(vm) for vm in vms])
        assert all(state.overallStatus == 'green' for states in declared for state in states)
        posted = [event for event in event_manager(sim).events
                  if type(event).__name__ == 'AlarmStatusChangedEvent']
        assert len(posted) == 100 and {getattr(e, 'from') for e in posted} == {'gray'}
        assert len({(e.alarm.alarm, e.entity.entity) for e in posted}) == 100
        keys = {(s.alarm, s.entity): s.eventKey for states in declared for s in states}
        of_vms = [e for e in posted if (e.alarm.alarm, e.entity.entity) in keys]
        assert of_vms and all(keys[(e.alarm.alarm, e.entity.entity)] == e.key for e in of_vms)
        assert list(keys.values()).count(None) == len(keys) - len(of_vms), 'the others: none'
    finally:
        on_reactor(sim.close)


def test_creating_reconfiguring_enabling_an_alarm_evaluates_it_after_the_call_in_steps():
    """CreateAlarm, ReconfigureAlarm and EnableAlarm return before the alarm
    is evaluated: the evaluation is model work in steps (an entity each), so
    the reactor serves other calls before it ends, and it still sets every
    state. It used to run inside the call (at 10,000 VMs every client waited)."""
    from twisted.internet import reactor, task

    from tests.conftest import on_reactor, settle
    from vimsim.managed.base import Context
    from vimsim.options import Options
    from vimsim.simulator import Simulator

    sim = on_reactor(Simulator, Options(vm=250))    # 1,000 VMs
    try:
        settle(sim)
        manager = sim.alarm_manager
        ctx = Context(sim, None, sim.schema.newest)
        T = sim.schema.types
        vms = [obj for obj in sim.objects if obj.type_name == 'VirtualMachine']

        def spec(red):
            return T['AlarmSpec'].cls(
                name='VM %s' % red, description='', enabled=True,
                expression=T['StateAlarmExpression'].cls(
                    operator='isEqual', type='VirtualMachine', statePath='runtime.powerState',
                    red=red))

        def statuses(alarm):
            states = {s.entity.value: s.overallStatus for s in manager.triggered_states(
                sim.root_folder) if s.alarm == alarm}
            return [states.get(vm.ref.value, 'green') for vm in vms]

        def after_a_turn(call, watched=None):
            """Make the call, then let the reactor turn once: (its result,
            whether it changed the states of `watched` (else of the alarm it
            returns) itself, whether the evaluation had ended after the turn)."""
            before = statuses(watched) if watched else ['green'] * len(vms)
            result = call()
            set_within = statuses(watched or result) != before
            return task.deferLater(reactor, 0, lambda: (result, set_within, sim.time.settled()))

        made, set_within, ended = on_reactor(
            after_a_turn, lambda: manager.CreateAlarm(ctx, sim.root_folder.ref, spec('poweredOn')))
        assert not set_within and not ended, 'CreateAlarm evaluated the alarm within the call'
        settle(sim)
        on = ['red' if vm.power_state == 'poweredOn' else 'green' for vm in vms]
        assert on_reactor(statuses, made) == on and 'red' in on
        found = sim.objects.get(made)
        stopped = vms[0]
        on_reactor(manager.DisableAlarm, ctx, made, stopped.ref)
        assert on_reactor(statuses, made) != on
        _, set_within, _ = on_reactor(
            after_a_turn, lambda: manager.EnableAlarm(ctx, made, stopped.ref), made)
        assert not set_within, 'EnableAlarm evaluated the alarm within the call'
        settle(sim)
        assert on_reactor(statuses, made) == on

        _, set_within, ended = on_reactor(
            after_a_turn, lambda: found.ReconfigureAlarm(ctx, spec('poweredOff')), made)
        assert not set_within and not ended, 'ReconfigureAlarm evaluated within the call'
        settle(sim)
        off = ['green' if vm.power_state == 'poweredOn' else 'red' for vm in vms]
        assert on_reactor(statuses, made) == off
    finally:
        on_reactor(sim.close)


def test_a_new_alarm_has_its_states_at_once_under_advance(sim, content, vm, made):
    """Advancing time (even by nothing) ends the evaluation CreateAlarm
    started: the states are those the call used to set itself."""
    alarms, _ = made
    alarm = content.alarmManager.CreateAlarm(content.rootFolder, power_state_alarm('poweredOn'))
    alarms.append(alarm)
    act(sim, 'time/advance', {'seconds': 0})
    assert status_of(vm, alarm) == ('red' if vm.runtime.powerState == 'poweredOn' else 'green')
