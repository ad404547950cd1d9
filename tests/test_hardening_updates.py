"""Hardening of the PropertyCollector, live updates and session-held objects
(issue 8, items 1, 2, 4 and 7): a bad or failing filter never reaches another
session's call, anonymous callers read only the anonymous properties, update
logs stay bounded, and a session holds only so many views, collectors,
filters and continuation tokens.

These tests use simulators of their own: they run tasks and change the model.
"""
import threading
import time

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import SoapStubAdapter, vim, vmodl

from tests.conftest import _simulator, logged_in, on_reactor

PC = vmodl.query.PropertyCollector


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


def vms_of(si):
    folder = si.RetrieveContent().rootFolder.childEntity[0].vmFolder
    return [e for e in folder.childEntity if isinstance(e, vim.VirtualMachine)]


def container_view(si, kind):
    content = si.RetrieveContent()
    return content.viewManager.CreateContainerView(content.rootFolder, [kind], True)


def view_spec(view, type_, paths=None, all_=False):
    return PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[
            PC.TraversalSpec(name='view', type=vim.view.ContainerView, path='view', skip=False)])],
        propSet=[PC.PropertySpec(type=type_, pathSet=paths or [], all=all_)])


def wait(collector, version, seconds=None, max_updates=None):
    return collector.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=seconds,
                                                              maxObjectUpdates=max_updates))


def session_of(running, si):
    """The simulator's Session object behind a pyVmomi connection."""
    key = si.RetrieveContent().sessionManager.currentSession.key
    return on_reactor(lambda: running.sim.session_manager.sessions[key])


def exercise_vm(si, vm):
    """Power off and on, rename and snapshot a VM with WaitForTask, as any
    user would: each must succeed."""
    old = vm.name
    assert WaitForTask(vm.PowerOffVM_Task()) == 'success'
    assert WaitForTask(vm.PowerOnVM_Task()) == 'success'
    assert WaitForTask(vm.Rename('%s-renamed' % old)) == 'success'
    assert WaitForTask(vm.Rename(old)) == 'success'
    snapshot = WaitForTask(vm.CreateSnapshot_Task('hardening', memory=False, quiesce=False))
    assert snapshot == 'success'
    assert WaitForTask(vm.RemoveAllSnapshots_Task()) == 'success'


def rename_in_model(running, vm, name):
    def change():
        obj = running.sim.objects.get(_ref(vm))
        obj.name = name
        obj.changed('name')
    on_reactor(change)


def _ref(managed):
    from vimsim.schema import MoRef
    return MoRef(managed._wsdlName, managed._moId)


# -- item 1: a bad or failing filter stays its owner's problem -------------------------

def test_invalid_filter_leaves_nothing_registered(sim):
    careless, user = sim.connect(), sim.connect()
    try:
        content = careless.RetrieveContent()
        hub = sim.sim.changes
        filters_before = on_reactor(lambda: len(hub.filters))
        objects_before = on_reactor(lambda: len(sim.sim.objects))
        view = container_view(careless, vim.VirtualMachine)
        with pytest.raises(vmodl.query.InvalidProperty):
            content.propertyCollector.CreateFilter(
                view_spec(view, vim.VirtualMachine, ['nmae']), True)
        assert on_reactor(lambda: len(hub.filters)) == filters_before
        assert on_reactor(lambda: len(sim.sim.objects)) == objects_before + 1   # the view
        assert content.propertyCollector.filter == []

        # another user's tasks and waits are untouched, before and after the logout
        collector = user.RetrieveContent().propertyCollector
        vm = vms_of(user)[0]
        name = vm.name
        collector.CreateFilter(PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=vm)], propSet=[
            PC.PropertySpec(type=vim.VirtualMachine, pathSet=['name'])]), True)
        version = wait(collector, '').version
        exercise_vm(user, vm)
        Disconnect(careless)
        careless = None
        exercise_vm(user, vm)
        update = wait(collector, version, seconds=5)
        names = [c.val for f in update.filterSet for o in f.objectSet for c in o.changeSet]
        assert '%s-renamed' % name in names
        answers = []
        waiter = threading.Thread(target=lambda: answers.append(wait(collector, update.version, 10)))
        waiter.start()
        time.sleep(0.2)
        rename_in_model(sim, vm, 'woken')
        waiter.join(10)
        rename_in_model(sim, vm, name)
        assert answers and answers[0].filterSet[0].objectSet[0].changeSet[0].val == 'woken'
    finally:
        if careless is not None:
            Disconnect(careless)
        Disconnect(user)


def test_filter_failing_at_flush_is_dropped_and_its_owner_told(sim):
    """A model object whose property read raises (a simulator defect, injected
    here) makes its watcher's filter fail: that filter is destroyed and its
    owner gets a last update whose missingSet carries a SystemError for the
    filter's object, as vCenter reports an object it cannot look up; every
    other session goes on."""
    owner, user = sim.connect(), sim.connect()
    datacenter = owner.RetrieveContent().rootFolder.childEntity[0]
    try:
        collector = owner.RetrieveContent().propertyCollector
        doomed = collector.CreateFilter(PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=datacenter)],
            propSet=[PC.PropertySpec(type=vim.Datacenter, pathSet=['name'])]), True)
        version = wait(collector, '').version
        watcher = user.RetrieveContent().propertyCollector
        vm = vms_of(user)[0]
        watcher.CreateFilter(PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=vm)], propSet=[
            PC.PropertySpec(type=vim.VirtualMachine, pathSet=['runtime.powerState'])]), True)
        user_version = wait(watcher, '').version

        def break_reads():
            obj = sim.sim.objects.get(_ref(datacenter))

            def failing_read(name, ctx):
                if name == 'name':
                    raise RuntimeError('injected defect')
                return type(obj).read(obj, name, ctx)
            obj.read = failing_read
            obj.changed('name')
        on_reactor(break_reads)
        try:
            exercise_vm(user, vm)
            update = wait(watcher, user_version, seconds=5)
            assert update.filterSet[0].objectSet
            told = wait(collector, version, seconds=5)
        finally:
            on_reactor(lambda: vars(sim.sim.objects.get(_ref(datacenter))).pop('read'))
        [filter_update] = told.filterSet
        assert filter_update.filter == doomed
        [missing] = filter_update.missingSet
        assert missing.obj == datacenter
        assert isinstance(missing.fault, vmodl.fault.SystemError)
        assert collector.filter == []
        with pytest.raises(vmodl.fault.ManagedObjectNotFound):
            doomed.Destroy()
        assert wait(collector, told.version, seconds=0) is None
    finally:
        Disconnect(owner)
        Disconnect(user)


def test_filter_whose_start_object_goes_away_reports_it_leaving(sim):
    """A filter's view destroyed under it (or any start object removed) is a
    change like another: its objects leave, nobody else's call faults."""
    owner, user = sim.connect(), sim.connect()
    try:
        content = owner.RetrieveContent()
        view = container_view(owner, vim.VirtualMachine)
        collector = content.propertyCollector
        collector.CreateFilter(view_spec(view, vim.VirtualMachine, ['name']), True)
        single = content.viewManager.CreateListView([content.rootFolder])
        collector.CreateFilter(PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=single)], propSet=[
            PC.PropertySpec(type=vim.view.ListView, pathSet=['view'])]), True)
        version = wait(collector, '').version
        view.DestroyView()
        single.DestroyView()
        exercise_vm(user, vms_of(user)[0])
        update = wait(collector, version, seconds=5)
        kinds = {o.kind for f in update.filterSet for o in f.objectSet}
        assert kinds == {'leave'}
        assert len(collector.filter) == 2
    finally:
        Disconnect(owner)
        Disconnect(user)


def count_reshapes(running):
    """Count, from now, how often live filters are told the inventory's
    shape changed (each then re-plans its traversal); returns (counts, restore)."""
    from vimsim.managed.service.updates import PropertyFilter
    counts = []
    original = PropertyFilter.structure_changed

    def counting(self):
        counts.append(self)
        return original(self)
    on_reactor(setattr, PropertyFilter, 'structure_changed', counting)
    return counts, lambda: on_reactor(setattr, PropertyFilter, 'structure_changed', original)


def test_tasks_do_not_replan_traversals_that_cannot_reach_them(sim):
    """A session watching every VM through a container view: another
    session's tasks (each a Task object coming, and going later) re-plan
    nothing; a new VM does (views list entities)."""
    watcher, user = sim.connect(), sim.connect()
    counts, restore = count_reshapes(sim)
    try:
        collector = watcher.RetrieveContent().propertyCollector
        collector.CreateFilter(view_spec(container_view(watcher, vim.VirtualMachine),
                                         vim.VirtualMachine, ['name']), True)
        version = wait(collector, '').version
        del counts[:]
        vm = vms_of(user)[0]
        old = vm.name
        for number in range(3):
            assert WaitForTask(vm.Rename_Task('%s-r%d' % (old, number))) == 'success'
        update = wait(collector, version, seconds=5)
        assert any(c.name == 'name' for f in update.filterSet for o in f.objectSet
                   for c in o.changeSet)
        assert counts == []
        WaitForTask(vm.Rename_Task(old))
        folder = watcher.RetrieveContent().rootFolder.childEntity[0].vmFolder
        made = folder.CreateFolder('replan-probe')
        user.CurrentTime()        # a reactor turn later: the change was flushed
        assert counts            # an entity came: views may list it
        WaitForTask(made.Destroy_Task())
    finally:
        restore()
        Disconnect(watcher)
        Disconnect(user)


def test_a_filter_is_not_replanned_for_changes_its_plan_saw(sim):
    """Entities made while no filter is live (an inventory's own build) are
    changes of shape that no flush took; a filter created after them
    planned with them, so its first WaitForUpdatesEx re-plans nothing (at a
    million VMs that re-plan held the first answer for a minute). A change
    after it still re-plans it."""
    user = sim.connect()
    counts, restore = count_reshapes(sim)
    try:
        assert not on_reactor(lambda: sim.sim.changes.filters)
        folder = user.RetrieveContent().rootFolder.childEntity[0].vmFolder
        made = [folder.CreateFolder('unwatched-%d' % n) for n in range(2)]
        collector = user.RetrieveContent().propertyCollector
        collector.CreateFilter(view_spec(container_view(user, vim.Folder), vim.Folder,
                                         ['name']), True)
        first = wait(collector, '')
        entered = {o.obj._moId for f in first.filterSet for o in f.objectSet}
        assert {m._moId for m in made} <= entered
        assert counts == []
        made.append(folder.CreateFolder('watched'))
        update = wait(collector, first.version, seconds=5)
        assert [(o.kind, o.obj._moId) for f in update.filterSet for o in f.objectSet] == [
            ('enter', made[-1]._moId)]
        assert len(counts) == 1
    finally:
        restore()
        for each in made:
            WaitForTask(each.Destroy_Task())
        Disconnect(user)


def test_a_traversal_following_tasks_sees_them_come(sim):
    """A filter traversing TaskManager.recentTask reports each new task
    entering (a Task is reachable through a property that holds tasks)."""
    watcher, user = sim.connect(), sim.connect()
    try:
        content = watcher.RetrieveContent()
        collector = content.propertyCollector.CreatePropertyCollector()
        collector.CreateFilter(PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=content.taskManager, skip=True, selectSet=[
                PC.TraversalSpec(type=vim.TaskManager, path='recentTask', skip=False)])],
            propSet=[PC.PropertySpec(type=vim.Task, pathSet=['info.descriptionId'])]), True)
        version = wait(collector, '').version
        vm = vms_of(user)[0]
        task = vm.Rename_Task(vm.name)
        WaitForTask(task)
        entered = set()
        while task._moId not in entered:
            update = wait(collector, version, seconds=5)
            assert update is not None, 'the new task never entered'
            version = update.version
            entered |= {o.obj._moId for f in update.filterSet for o in f.objectSet
                        if o.kind == 'enter'}
        collector.DestroyPropertyCollector()
    finally:
        Disconnect(watcher)
        Disconnect(user)


# -- item 2: anonymous callers read the anonymous properties only -------------------------

def anonymous(running):
    stub = SoapStubAdapter(host=running.host, port=-running.port, version='vim.version.v9_1_1_0')
    return vim.ServiceInstance('ServiceInstance', stub)


@pytest.fixture(scope='module')
def guarded(validator):
    return _simulator(validator, tls=False, username='admin', password='s3cret')


def test_anonymous_retrieve_reads_only_anonymous_properties(guarded):
    si = guarded.connect(user='admin', pwd='s3cret')
    try:
        stranger = anonymous(guarded)
        content = stranger.RetrieveContent()
        collector = content.propertyCollector
        manager = content.sessionManager

        def spec(obj, paths, select=None):
            return PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=obj, selectSet=select)],
                                 propSet=[PC.PropertySpec(type=type(obj), pathSet=paths)])
        with pytest.raises(vim.fault.NotAuthenticated):
            collector.RetrieveProperties([spec(manager, ['sessionList'])])
        with pytest.raises(vim.fault.NotAuthenticated):
            collector.RetrievePropertiesEx([spec(manager, ['sessionList'])],
                                           PC.RetrieveOptions())
        with pytest.raises(vim.fault.NotAuthenticated):   # every property, some not anonymous
            collector.RetrieveProperties([PC.FilterSpec(
                objectSet=[PC.ObjectSpec(obj=manager)],
                propSet=[PC.PropertySpec(type=vim.SessionManager, all=True)])])
        folder_walk = [PC.TraversalSpec(name='children', type=vim.Folder, path='childEntity')]
        with pytest.raises(vim.fault.NotAuthenticated):   # traversing reads childEntity
            collector.RetrieveProperties([PC.FilterSpec(
                objectSet=[PC.ObjectSpec(obj=content.rootFolder, skip=True,
                                         selectSet=folder_walk)],
                propSet=[PC.PropertySpec(type=vim.Datacenter, pathSet=['name'])])])
        with pytest.raises(vim.fault.NotAuthenticated):
            collector.CreateFilter(spec(manager, ['currentSession']), True)
        with pytest.raises(vim.fault.NotAuthenticated):
            manager.sessionList          # a Fetch
        # what a client reads before it logs in stays readable
        [answer] = collector.RetrieveProperties([spec(manager, ['currentSession',
                                                                'supportedLocaleList'])])
        assert [p.name for p in answer.propSet] == ['supportedLocaleList']
        [answer] = collector.RetrieveProperties([PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=vim.ServiceInstance('ServiceInstance', stranger._stub))],
            propSet=[PC.PropertySpec(type=vim.ServiceInstance, pathSet=['content'])])])
        assert answer.propSet[0].val.rootFolder == content.rootFolder
        assert manager.currentSession is None
        # a session reads everything
        logged_in = si.RetrieveContent().sessionManager
        assert [s.userName for s in logged_in.sessionList] == ['admin']
    finally:
        Disconnect(si)


# -- item 4: update logs hold what a client can still ask for, bounded ---------------------

def traced_changes(running, count, every):
    """On the reactor: rename every VM in turn `count` times (name and
    summary reported, each change flushed as its own update); the memory
    tracemalloc sees allocated meanwhile, sampled `every` changes."""
    import gc
    import tracemalloc

    def change():
        vms = [o for o in running.sim.objects if o.type_name == 'VirtualMachine']
        gc.collect()
        tracemalloc.start()
        try:
            start = tracemalloc.get_traced_memory()[0]
            samples = []
            for index in range(count):
                vm = vms[index % len(vms)]
                vm.name = 'watched-%d' % index
                vm.changed('name', 'summary')
                running.sim.changes.flush()
                if index % every == every - 1:
                    samples.append(tracemalloc.get_traced_memory()[0] - start)
            return samples, {vm.ref.value: vm.name for vm in vms}
        finally:
            tracemalloc.stop()
    return on_reactor(change)


def test_update_log_of_a_session_watching_every_vm_stays_bounded(validator):
    """A session watching all properties of all VMs through a container view,
    2,400 VM changes it does not read: the log keeps what brings its versions
    to the current state (one modification per VM, plus the newest), not
    every step (the old log grew by about 3 KB a change here, 7 MB in all).
    About 10 s: 2,400 changes of VMs' summaries, traced."""
    running = _simulator(validator, tls=False)
    si = running.connect()
    try:
        content = si.RetrieveContent()
        view = container_view(si, vim.VirtualMachine)
        collector = content.propertyCollector
        collector.CreateFilter(view_spec(view, vim.VirtualMachine, all_=True), True)
        first = wait(collector, '')
        samples, names = traced_changes(running, 2400, 200)
        assert max(samples) < 5e6, samples
        # the client resuming from its first version ends in the current state
        update = wait(collector, first.version, seconds=0)
        assert not update.truncated
        final = {}
        for object_update in update.filterSet[0].objectSet:
            for change in object_update.changeSet:
                if change.name == 'name':
                    final[object_update.obj._moId] = change.val
        assert final == names
        assert len(update.filterSet[0].objectSet) < 1100
    finally:
        Disconnect(si)


def test_resuming_from_any_version_handed_out_ends_in_the_current_state(sim):
    """Versions stay good after the log is compacted: from each one the client
    ends with every VM's current name; versions never handed out, or not
    versions at all, answer InvalidCollectorVersion."""
    si = sim.connect()
    originals = {vm: vm.name for vm in vms_of(si)}
    try:
        content = si.RetrieveContent()
        view = container_view(si, vim.VirtualMachine)
        collector = content.propertyCollector
        collector.CreateFilter(view_spec(view, vim.VirtualMachine, ['name']), True)
        initial = wait(collector, '')
        versions = [initial.version]
        for round_ in range(3):
            _, names = traced_changes(sim, 700, 700)
            versions.append(wait(collector, versions[-1], seconds=0).version)
        for version in versions[:-1]:
            seen = {}
            for object_update in wait(collector, version, seconds=0).filterSet[0].objectSet:
                seen.update({object_update.obj._moId: c.val for c in object_update.changeSet})
            assert seen == names
        assert wait(collector, versions[-1], seconds=0) is None
        for bad in ('123456789', 'abc', '1.2', '%s.99.0' % versions[-1]):
            with pytest.raises(vmodl.query.InvalidCollectorVersion):
                wait(collector, bad, seconds=0)
    finally:
        for vm, name in originals.items():
            rename_in_model(sim, vm, name)
        Disconnect(si)


def test_initial_state_in_truncated_parts(sim):
    si = sim.connect()
    try:
        content = si.RetrieveContent()
        view = container_view(si, vim.ManagedEntity)
        collector = content.propertyCollector
        collector.CreateFilter(view_spec(view, vim.ManagedEntity, ['name']), True)
        every = {ref._moId for ref in view.view}
        seen, parts = [], 0
        update = wait(collector, '', max_updates=3)
        while True:
            parts += 1
            seen.extend(o.obj._moId for f in update.filterSet for o in f.objectSet)
            if not update.truncated:
                break
            truncated_version = update.version
            update = wait(collector, truncated_version, max_updates=3)
        assert sorted(seen) == sorted(every) and parts == -(-len(every) // 3)
        assert wait(collector, update.version, seconds=0) is None
        # a truncated version is good for the next call only
        with pytest.raises(vmodl.query.InvalidCollectorVersion):
            wait(collector, truncated_version, seconds=0)
    finally:
        Disconnect(si)


# -- item 7: what one session may hold ----------------------------------------------------

@pytest.fixture(scope='module')
def limited(validator):
    return _simulator(validator, tls=False, session_max_views=3, session_max_filters=3,
                      session_max_collectors=2, session_max_retrievals=2)


def test_views_per_session(limited):
    si, other = limited.connect(), limited.connect()
    try:
        content = si.RetrieveContent()
        views = [content.viewManager.CreateContainerView(content.rootFolder, [], True),
                 content.viewManager.CreateListView([]),
                 content.viewManager.CreateInventoryView()]
        with pytest.raises(vmodl.fault.SystemError) as raised:
            content.viewManager.CreateListView([])
        assert 'view limit' in raised.value.reason
        assert len(content.viewManager.viewList) == 3
        other_content = other.RetrieveContent()     # another session has its own room
        other_content.viewManager.CreateListView([])
        views[1].DestroyView()
        content.viewManager.CreateListView([])
    finally:
        Disconnect(si)
        Disconnect(other)


@pytest.fixture
def limited_si(limited):
    yield from logged_in(limited)


def test_filters_per_session_across_collectors(limited_si):
    content = limited_si.RetrieveContent()
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=content.rootFolder)],
                         propSet=[PC.PropertySpec(type=vim.Folder, pathSet=['name'])])
    extra = content.propertyCollector.CreatePropertyCollector()
    filters = [content.propertyCollector.CreateFilter(spec, True),
               content.propertyCollector.CreateFilter(spec, True),
               extra.CreateFilter(spec, True)]
    for collector in (content.propertyCollector, extra):
        with pytest.raises(vmodl.fault.SystemError):
            collector.CreateFilter(spec, True)
    filters[0].Destroy()
    extra.CreateFilter(spec, True)
    extra.Destroy()                     # its filter goes with it
    content.propertyCollector.CreateFilter(spec, True)


def test_property_collectors_per_session(limited_si):
    collector = limited_si.RetrieveContent().propertyCollector
    made = [collector.CreatePropertyCollector(), collector.CreatePropertyCollector()]
    with pytest.raises(vmodl.fault.SystemError):
        collector.CreatePropertyCollector()
    made[0].Destroy()
    collector.CreatePropertyCollector()


def test_unfinished_retrievals_per_session_expire_oldest_first(limited_si):
    collector = limited_si.RetrieveContent().propertyCollector
    spec = view_spec(container_view(limited_si, vim.ManagedEntity), vim.ManagedEntity, ['name'])
    tokens = [collector.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=1)).token
              for _ in range(3)]
    with pytest.raises(vmodl.fault.InvalidArgument):
        collector.ContinueRetrievePropertiesEx(tokens[0])
    assert collector.ContinueRetrievePropertiesEx(tokens[1]).objects
    collector.CancelRetrievePropertiesEx(tokens[2])
    with pytest.raises(vmodl.fault.InvalidArgument):
        collector.ContinueRetrievePropertiesEx(tokens[2])


def test_history_collectors_per_session(limited, limited_si):
    """Each kind counts on its own, against its manager's maxCollector."""
    from vimsim.managed.monitoring.event_manager import event_manager
    content = limited_si.RetrieveContent()
    events = content.eventManager
    assert events.maxCollector == 1000
    on_reactor(lambda: setattr(event_manager(limited.sim), 'maxCollector', 2))
    try:
        content.taskManager.CreateCollectorForTasks(vim.TaskFilterSpec())
        made = [events.CreateCollectorForEvents(vim.event.EventFilterSpec()) for _ in range(2)]
        with pytest.raises(vim.fault.InvalidState):
            events.CreateCollectorForEvents(vim.event.EventFilterSpec())
        made[0].DestroyCollector()
        events.CreateCollectorForEvents(vim.event.EventFilterSpec())
    finally:
        on_reactor(lambda: setattr(event_manager(limited.sim), 'maxCollector', 1000))


def test_logout_of_a_session_holding_thousands_keeps_others_answered(validator):
    """A session holding 10,000 views and 2,000 filters logs out while another
    client keeps calling: every call of the other client is answered promptly
    (the objects go a time slice per reactor turn), and all of them go.
    About 15 s: the objects are made in-process, the calls are real."""
    from vimsim.managed.base import Context
    running = _simulator(validator, tls=False)
    hoarder, other = running.connect(), running.connect()
    session = session_of(running, hoarder)
    before = on_reactor(lambda: len(running.sim.objects))
    types = running.sim.schema.types

    def hoard(views, filters):
        ctx = Context(running.sim, session, running.sim.schema.newest)
        made = [running.sim.view_manager.CreateContainerView(
            ctx, running.sim.root_folder.ref, ['VirtualMachine'], True) for _ in range(views)]
        for view in made[:filters]:
            running.sim.property_collector.CreateFilter(ctx, types['PropertyFilterSpec'].cls(
                objectSet=[types['ObjectSpec'].cls(obj=view)],
                propSet=[types['PropertySpec'].cls(type='ContainerView',
                                                   pathSet=['container'])]), True)
    for _ in range(10):
        on_reactor(hoard, 1000, 200)
    assert on_reactor(lambda: len(running.sim.objects)) == before + 12000
    latencies = []
    done = threading.Event()

    def keep_calling():
        content = other.RetrieveContent()
        while not done.is_set():
            start = time.monotonic()
            assert content.sessionManager.currentSession.userName == 'user'
            latencies.append(time.monotonic() - start)
    caller = threading.Thread(target=keep_calling)
    caller.start()
    try:
        time.sleep(0.2)
        start = time.monotonic()
        Disconnect(hoarder)
        logout = time.monotonic() - start
        deadline = time.monotonic() + 30
        while on_reactor(lambda: len(running.sim.objects)) > before and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
    finally:
        done.set()
        caller.join(10)
    assert on_reactor(lambda: len(running.sim.objects)) == before
    assert on_reactor(lambda: len(running.sim.changes.filters)) == 0
    assert logout < 1 and max(latencies) < 0.5, (logout, max(latencies))
    Disconnect(other)


def test_limit_flags():
    from vimsim.options import UsageError, parse_args
    opts = parse_args(['-session-max-views=5', '--session-max-retrievals', '7'])
    assert (opts.session_max_views, opts.session_max_retrievals) == (5, 7)
    assert (opts.session_max_filters, opts.session_max_collectors) == (10000, 1000)
    with pytest.raises(UsageError):
        parse_args(['-session-max-filters', '0'])
