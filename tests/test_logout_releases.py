"""What a session owns is released when it ends (issue 8: memory after a mass
logout), counted as live Python objects, not as RSS: its collectors,
filters, update logs and initial states, views, history collectors, paging
tokens and waits, whether it logs out, is terminated while a wait is parked,
or expires. What vCenter keeps by its retention rules (tasks, events) is
not counted here."""
import collections
import gc
import threading
import time

from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, on_reactor, settle

PC = vmodl.query.PropertyCollector
SESSION_OWNED = ('Session', 'CollectorSession', 'PropertyCollector', 'PropertyFilter',
                 'InitialState', '_Waiter', 'ContainerView', 'ListView', 'InventoryView',
                 'EventHistoryCollector', 'TaskHistoryCollector', 'UserSession',
                 'ObjectUpdate', 'PropertyChange', 'UpdateSet')
RELEASE_SECONDS = 30     # at most this long for the cooperative cleanup to run


def live_counts():
    """On the reactor, after a full collection: the server's live objects
    of the session-owned classes (not the clients' of the same names), by
    class name."""
    def count():
        gc.collect()
        counts = collections.Counter()
        wanted = set(SESSION_OWNED)
        for obj in gc.get_objects():
            kind = type(obj)
            if kind.__name__ in wanted and kind.__module__.startswith('vimsim.'):
                counts[kind.__name__] += 1
        return counts
    return on_reactor(count)


def settled_counts():
    """The counts once they hold still for half a second: what other tests'
    simulators let go (their sessions' cooperative release, a slice a turn)
    must not count as this test's."""
    deadline = time.monotonic() + RELEASE_SECONDS
    counts = live_counts()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        again = live_counts()
        if again == counts:
            break
        counts = again
    return counts


def released_to(expected):
    """The counts once they are back to `expected` (or RELEASE_SECONDS)."""
    deadline = time.monotonic() + RELEASE_SECONDS
    while True:
        counts = live_counts()
        if counts == expected or time.monotonic() > deadline:
            return counts
        time.sleep(0.1)


def busy_session(sim):
    """A session holding one of each session-owned thing, its update log
    filled by a change it watched; (si, the view its filter watches)."""
    si = sim.connect()
    content = si.content
    views = content.viewManager
    view = views.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    views.CreateListView([view.view[0]])
    views.CreateInventoryView()
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[PC.TraversalSpec(
            name='v', type=vim.view.ContainerView, path='view', skip=False)])],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=['name', 'config.annotation'])])
    collectors = (content.propertyCollector, content.propertyCollector.CreatePropertyCollector())
    for collector in collectors:
        collector.CreateFilter(spec, True)
        collector.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=1))   # a token
    # the default collector's initial state read in parts to the end; the
    # other's left in parts (its InitialState held for the next call)
    update = collectors[0].WaitForUpdatesEx('', PC.WaitOptions(maxObjectUpdates=1))
    while update.truncated:
        update = collectors[0].WaitForUpdatesEx(update.version, PC.WaitOptions(maxObjectUpdates=1))
    assert collectors[1].WaitForUpdatesEx('', PC.WaitOptions(maxObjectUpdates=1)).truncated
    vm = view.view[0]
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(annotation='watched')))
    collectors[0].WaitForUpdatesEx(update.version, PC.WaitOptions(maxWaitSeconds=0))
    content.eventManager.CreateCollectorForEvents(vim.event.EventFilterSpec())
    content.taskManager.CreateCollectorForTasks(vim.TaskFilterSpec())
    return si, view


def test_logout_releases_what_the_session_owned(validator):
    sim = _simulator(validator, tls=False)
    before = settled_counts()
    sessions = [busy_session(sim) for _ in range(3)]
    held = live_counts()
    assert held['PropertyFilter'] >= before['PropertyFilter'] + 6
    for si, _ in sessions:
        si.content.sessionManager.Logout()
    assert released_to(before) == before


def test_a_task_that_failed_keeps_nothing_of_its_session(validator):
    """A finished task stays readable for minutes, its fault with it; the
    fault raised in the task's work must not keep that work's frames, and
    with them the caller's session, alive after the caller logged out."""
    sim = _simulator(validator, tls=False)
    before = settled_counts()
    si = sim.connect()
    vm = si.content.searchIndex.FindByInventoryPath('/DC0/vm/DC0_H0_VM0')
    if vm.runtime.powerState != 'poweredOn':
        WaitForTask(vm.PowerOnVM_Task())
    task = vm.PowerOnVM_Task()        # powered on already: fails in its work
    try:
        WaitForTask(task)
    except vim.fault.InvalidPowerState:
        pass
    assert task.info.state == 'error'
    si.content.sessionManager.Logout()
    assert released_to(before)['Session'] == before['Session']


def test_termination_during_a_wait_releases_it(validator):
    """A session ended by TerminateSession while its WaitForUpdatesEx is
    parked: the wait ends and nothing of the session stays."""
    sim = _simulator(validator, tls=False)
    admin = sim.connect()
    before = settled_counts()
    si, _ = busy_session(sim)
    collector = si.content.propertyCollector
    version = collector.WaitForUpdatesEx('', PC.WaitOptions(maxWaitSeconds=0)).version
    outcome = []

    def wait():
        try:
            outcome.append(collector.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=60)))
        except vmodl.MethodFault as error:
            outcome.append(error)
    waiting = threading.Thread(target=wait)
    waiting.start()
    deadline = time.monotonic() + RELEASE_SECONDS
    while on_reactor(lambda: sum(c.waiting() for c in sim.sim.objects
                                 if c.type_name == 'PropertyCollector')) == 0:
        assert time.monotonic() < deadline, 'the wait never parked'
        time.sleep(0.05)
    key = si.content.sessionManager.currentSession.key
    admin.content.sessionManager.TerminateSession([key])
    waiting.join(RELEASE_SECONDS)
    assert not waiting.is_alive()
    assert isinstance(outcome[0], (vim.fault.NotAuthenticated, vmodl.fault.RequestCanceled))
    assert released_to(before) == before
    admin.content.sessionManager.Logout()


def test_a_mass_logout_gives_the_memory_back(validator, monkeypatch):
    """Once so many sessions are released and no other ends for a quiet
    while, the heap is trimmed once (gc.collect() and malloc_trim(0)); a
    session ending meanwhile puts the trim off. Before it, what the endpoint
    remembers per distinct request (Cookie headers, request heads, small
    bodies' decodings)
    and the model timers that fired are let go: the load's leftovers there
    would pin the allocator's arenas."""
    from twisted.internet.task import Clock
    from vimsim.managed.service import heap_trim, session_manager
    from vimsim.server import http
    clock, trims = Clock(), []
    trimmer = heap_trim.HeapTrim(clock=clock, trim=trims.append, mass_logout=3)
    monkeypatch.setattr(session_manager, 'heap_trim', trimmer)
    sim = _simulator(validator, tls=False)
    endpoint = sim.sim.endpoint
    trimmer.enable(forget=sim.sim.forget_leftovers)
    timers = sim.sim.time

    def remembered():
        return len(endpoint._cookie_values) + len(http._HEADS) + sum(
            len(decoder._remembered) for decoder in endpoint._decoders.values())

    def spent_timers():
        return sum(1 for entry in timers._timers if not entry[2].active())
    sessions = [busy_session(sim)[0] for _ in range(4)]
    for si in sessions[:3]:
        si.content.sessionManager.Logout()
    deadline = time.monotonic() + RELEASE_SECONDS
    while on_reactor(lambda: trimmer.released) < 3:       # the owned objects go a slice a turn
        assert time.monotonic() < deadline, 'the sessions were never released'
        time.sleep(0.05)
    on_reactor(lambda: clock.advance(heap_trim.QUIET_SECONDS - 1))
    assert trims == []
    sessions[3].content.sessionManager.Logout()            # not quiet yet: the trim waits
    while on_reactor(lambda: trimmer.released) < 4:
        assert time.monotonic() < deadline, 'the session was never released'
        time.sleep(0.05)
    on_reactor(lambda: clock.advance(heap_trim.QUIET_SECONDS - 1))
    assert trims == []
    assert on_reactor(remembered) > 0 and on_reactor(spent_timers) > 0
    on_reactor(lambda: clock.advance(1))
    assert trims == [0] and (trimmer.trims, trimmer.released) == (1, 0)
    assert on_reactor(remembered) == 0 and on_reactor(spent_timers) == 0


class _Cyclic:
    """Cyclic garbage once let go: only the cyclic collector frees it."""

    def __init__(self):
        self.me = self


def test_what_model_work_keeps_is_frozen_until_the_trim(validator, monkeypatch):
    """Model work (an alarm's evaluation over the inventory) has what it
    keeps frozen as it goes, so full collections no longer walk it (while a
    big request holds the collector off, once it lets go); the trim thaws
    everything, so cyclic garbage among what was frozen goes."""
    import weakref
    from twisted.internet.task import Clock
    from vimsim import simulator
    from vimsim.managed.service import heap_trim, steps
    from vimsim.server import endpoint
    clock = Clock()
    trimmer = heap_trim.HeapTrim(clock=clock, trim=lambda pad: None)
    monkeypatch.setattr(simulator, 'heap_trim', trimmer)
    monkeypatch.setattr(steps, 'heap_trim', trimmer)
    monkeypatch.setattr(endpoint, 'heap_trim', trimmer)
    sim = _simulator(validator, tls=False)
    settle(sim.sim)
    trimmer.enable()
    try:
        si = sim.connect()
        content = si.content
        kept = _Cyclic()
        gone = weakref.ref(kept)
        frozen = gc.get_freeze_count()
        alarm = content.alarmManager.CreateAlarm(content.rootFolder, vim.alarm.AlarmSpec(
            name='every VM on', description='', enabled=True,
            expression=vim.alarm.StateAlarmExpression(
                operator='isEqual', type=vim.VirtualMachine, statePath='runtime.powerState',
                red='poweredOn')))
        settle(sim.sim)
        assert trimmer.freezes >= 1 and gc.get_freeze_count() > frozen
        del kept
        gc.collect()
        assert gone() is not None     # frozen: no collection walks it
        on_reactor(lambda: clock.advance(heap_trim.SWEEP_SECONDS - 1))
        assert gone() is not None and trimmer.trims == 0
        on_reactor(lambda: clock.advance(1))       # the sweep after the first freeze
        assert gone() is None and trimmer.trims == 1 and gc.get_freeze_count() > 0
        alarm.RemoveAlarm()

        def held():
            """Model work while a big request holds the collector off."""
            endpoint._gc_hold.take()
            before = trimmer.freezes
            trimmer.work_done()
            during = trimmer.freezes
            endpoint._gc_hold.give_back()
            return before, during, trimmer.freezes
        before, during, after = on_reactor(held)
        assert during == before and after == before + 1

        model_part = sim.sim.service_instance.cyclic_part = _Cyclic()
        old_model = weakref.ref(model_part)
        del model_part
        on_reactor(trimmer.work_done)    # frozen with the model it is part of
        on_reactor(sim.sim.reset)        # the old model goes once resets go quiet
        on_reactor(sim.sim.reset)
        trims = trimmer.trims
        gc.collect()
        assert old_model() is not None   # frozen, and cyclic: only a trim frees it
        on_reactor(lambda: clock.advance(heap_trim.QUIET_SECONDS))
        assert trimmer.trims == trims + 1 and old_model() is None
    finally:
        gc.unfreeze()
