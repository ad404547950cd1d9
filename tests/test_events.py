"""Events as vCenter keeps them: the events of a task's chain, QueryEvents with
EventFilterSpec, PostEvent / LogUserEvent, latestEvent and event history
collectors (paging, latestPage updates through a property filter).
"""
import datetime
import threading

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, on_reactor

PC = vmodl.query.PropertyCollector
Spec = vim.event.EventFilterSpec


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


@pytest.fixture
def inventory(si):
    datacenter = si.RetrieveContent().rootFolder.childEntity[0]
    vms = [e for e in datacenter.vmFolder.childEntity if isinstance(e, vim.VirtualMachine)]
    return datacenter, vms


def by_entity(entity, recursion='self'):
    return Spec.ByEntity(entity=entity, recursion=recursion)


def test_rename_posts_its_events_in_the_task_chain(si, inventory):
    datacenter, vms = inventory
    vm = vms[0]
    old = vm.name
    task = vm.Rename('evented')
    WaitForTask(task)
    chain = task.info.eventChainId
    events = si.content.eventManager
    found = events.QueryEvents(Spec(entity=by_entity(vm), eventTypeId=['VmRenamedEvent']))
    assert len(found) == 1
    renamed = found[0]
    assert isinstance(renamed, vim.event.VmRenamedEvent)
    assert renamed.oldName == old and renamed.newName == 'evented'
    assert renamed.chainId == chain and renamed.userName == 'user'
    assert renamed.template is False
    assert renamed.vm.vm == vm and renamed.vm.name == old
    assert renamed.host.host == vm.runtime.host
    assert renamed.computeResource.computeResource == vm.runtime.host.parent
    assert renamed.datacenter.datacenter == datacenter
    assert renamed.fullFormattedMessage == 'Renamed %s from %s to evented in %s' % (
        old, old, datacenter.name)
    # the chain: the TaskEvent that opened it, then the rename
    chained = events.QueryEvents(Spec(eventChainId=chain))
    assert [type(e).__name__ for e in chained] == ['vim.event.VmRenamedEvent',
                                                   'vim.event.TaskEvent']
    task_event = chained[1]
    assert task_event.key == chain and task_event.info.key == task._moId
    assert task_event.info.state == 'queued'
    assert task_event.fullFormattedMessage == 'Task: Rename virtual machine'
    assert events.latestEvent.key == renamed.key
    # entity recursion: the VM's folder sees it among its children, not as itself
    folder = datacenter.vmFolder
    assert events.QueryEvents(Spec(entity=by_entity(folder), eventChainId=chain)) == []
    assert len(events.QueryEvents(Spec(entity=by_entity(folder, 'children'),
                                       eventChainId=chain))) == 2
    assert len(events.QueryEvents(Spec(entity=by_entity(datacenter, 'all'),
                                       eventChainId=chain))) == 2
    # the host's events include those of its VMs (their host argument)
    assert len(events.QueryEvents(Spec(entity=by_entity(vm.runtime.host),
                                       eventChainId=chain))) == 2
    assert events.QueryEvents(Spec(entity=by_entity(vms[1]), eventChainId=chain)) == []
    # type matching includes base types; categories come from the catalog
    assert len(events.QueryEvents(Spec(type=[vim.event.VmEvent], eventChainId=chain))) == 1
    assert len(events.QueryEvents(Spec(category=['warning'], eventChainId=chain))) == 1
    WaitForTask(vm.Rename(old))


def test_events_name_an_entity_as_it_was_named_when_posted(si, inventory):
    """Events posted about an entity while its name stays share its argument;
    one posted after a rename names it anew, and the earlier events keep the
    name they were posted with."""
    _, vms = inventory
    vm = vms[2]
    old = vm.name
    events = si.content.eventManager

    def names(task):
        return [e.vm.name for e in events.QueryEvents(Spec(eventChainId=task.info.eventChainId))]
    first = vm.Rename('named-once')
    WaitForTask(first)
    second = vm.Rename('named-twice')
    WaitForTask(second)
    third = vm.Reconfigure(vim.vm.ConfigSpec(annotation='after two renames'))
    WaitForTask(third)
    assert names(first) == [old, old]                  # VmRenamedEvent, TaskEvent
    assert names(second) == ['named-once', 'named-once']
    assert names(third) == ['named-twice', 'named-twice']
    WaitForTask(vm.Rename(old))
    [renamed] = events.QueryEvents(Spec(entity=by_entity(vm), eventTypeId=['VmRenamedEvent'],
                                        time=Spec.ByTime(beginTime=third.info.completeTime)))
    assert (renamed.vm.name, renamed.newName) == ('named-twice', old)


def test_rename_events_of_other_entities(si, inventory):
    datacenter, _ = inventory
    old = datacenter.name
    task = datacenter.Rename('DC-renamed')
    WaitForTask(task)
    events = si.content.eventManager
    [event] = events.QueryEvents(Spec(eventChainId=task.info.eventChainId,
                                      eventTypeId=['DatacenterRenamedEvent']))
    assert event.fullFormattedMessage == 'Renamed datacenter from %s to DC-renamed' % old
    assert event.datacenter.datacenter == datacenter
    WaitForTask(datacenter.Rename(old))
    # a cluster has no renamed-event of its own: its chain holds the TaskEvent
    cluster = next(e for e in datacenter.hostFolder.childEntity
                   if isinstance(e, vim.ClusterComputeResource))
    old = cluster.name
    task = cluster.Rename('cluster-renamed')
    WaitForTask(task)
    [event] = events.QueryEvents(Spec(eventChainId=task.info.eventChainId))
    assert isinstance(event, vim.event.TaskEvent)
    assert event.computeResource.computeResource == cluster
    assert event.fullFormattedMessage == 'Task: Rename cluster'
    assert task.info.descriptionId == 'ClusterComputeResource.rename'
    WaitForTask(cluster.Rename(old))


def test_query_filters(si, inventory):
    datacenter, vms = inventory
    events = si.content.eventManager
    before = si.CurrentTime()
    events.LogUserEvent(vms[0], 'first note')
    events.LogUserEvent(vms[0], 'second note')
    notes = events.QueryEvents(Spec(entity=by_entity(vms[0]), type=[vim.event.GeneralUserEvent],
                                    time=Spec.ByTime(beginTime=before)))
    assert [e.message for e in notes] == ['second note', 'first note']
    assert notes[0].fullFormattedMessage == 'User logged event: second note'
    assert notes[0].entity.entity == vms[0] and notes[0].vm.vm == vms[0]
    assert notes[0].key > notes[1].key and notes[0].chainId == notes[0].key
    assert len(events.QueryEvents(Spec(type=[vim.event.GeneralUserEvent], maxCount=1,
                                       time=Spec.ByTime(beginTime=before)))) == 1
    quiet = events.QueryEvents(Spec(type=[vim.event.GeneralUserEvent], disableFullMessage=True,
                                    time=Spec.ByTime(beginTime=before)))
    assert quiet and all(e.fullFormattedMessage is None for e in quiet)
    assert events.QueryEvents(Spec(userName=Spec.ByUsername(systemUser=False, userList=['x']),
                                   time=Spec.ByTime(beginTime=before))) == []
    assert len(events.QueryEvents(Spec(userName=Spec.ByUsername(systemUser=False,
                                                                userList=['user']),
                                       category=['user'],
                                       time=Spec.ByTime(beginTime=before)))) == 2
    later = before + datetime.timedelta(hours=1)
    assert events.QueryEvents(Spec(time=Spec.ByTime(beginTime=later))) == []
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        events.QueryEvents(Spec(entity=by_entity(vim.VirtualMachine('vm-0', si._stub))))


def test_post_event(si, inventory):
    datacenter, vms = inventory
    events = si.content.eventManager
    now = si.CurrentTime()
    vm = vms[1]
    posted = vim.event.VmPoweredOnEvent(
        key=0, chainId=0, createdTime=now, userName='',
        vm=vim.event.VmEventArgument(vm=vm, name=vm.name), template=False)
    task = vm.Rename(vm.name)
    WaitForTask(task)
    events.PostEvent(posted, task.info)
    latest = events.latestEvent
    assert isinstance(latest, vim.event.VmPoweredOnEvent)
    assert latest.key > 0 and latest.chainId == task.info.eventChainId
    assert latest.userName == 'user' and latest.datacenter.datacenter == datacenter
    assert latest.fullFormattedMessage == '%s on %s in %s has powered on' % (
        vm.name, latest.host.name, datacenter.name)
    user_event = vim.event.GeneralUserEvent(key=0, chainId=0, createdTime=now, userName='',
                                            message='hello')
    events.PostEvent(user_event)
    assert events.latestEvent.message == 'hello'
    assert events.latestEvent.chainId == events.latestEvent.key


def test_event_history_collector(sim, si, inventory):
    datacenter, vms = inventory
    events = si.content.eventManager
    vm = vms[1]
    for i in range(5):
        events.LogUserEvent(vm, 'page %d' % i)
    spec = Spec(entity=by_entity(vm), type=[vim.event.GeneralUserEvent])
    collector = events.CreateCollectorForEvents(spec)
    assert collector.initialized is True
    assert isinstance(collector.filter, Spec)
    messages = [e.message for e in collector.latestPage if e.message.startswith('page')]
    assert messages[:5] == ['page 4', 'page 3', 'page 2', 'page 1', 'page 0']
    collector.SetCollectorPageSize(2)
    assert [e.message for e in collector.latestPage] == ['page 4', 'page 3']
    everything = collector.ReadNextEvents(1000)
    assert [e.key for e in everything] == sorted(e.key for e in everything)
    assert everything[-1].message == 'page 4'
    assert collector.ReadNextEvents(10) == []
    collector.RewindCollector()
    first = collector.ReadNextEvents(2)
    assert [e.key for e in first] == [e.key for e in everything[:2]]
    collector.ResetCollector()
    previous = collector.ReadPreviousEvents(3)
    assert [e.key for e in previous] == [e.key for e in everything[-3:-6:-1]]
    with pytest.raises(vmodl.fault.InvalidArgument):
        collector.ReadPreviousEvents(0)
    with pytest.raises(vmodl.fault.InvalidArgument):
        collector.SetCollectorPageSize(1001)
    # a property filter on latestPage sees new events arrive
    pc = si.content.propertyCollector
    property_filter = pc.CreateFilter(PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=collector)],
        propSet=[PC.PropertySpec(type=vim.event.EventHistoryCollector, pathSet=['latestPage'])]),
        partialUpdates=False)
    version = pc.WaitForUpdatesEx('', PC.WaitOptions(maxWaitSeconds=0)).version
    answers = []
    waiter = threading.Thread(target=lambda: answers.append(
        pc.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=10))))
    waiter.start()
    other = sim.connect()
    try:
        other.content.eventManager.LogUserEvent(vm, 'page 5')
        other.content.eventManager.LogUserEvent(vms[0], 'not on this vm')
    finally:
        Disconnect(other)
    waiter.join(10)
    [update] = answers[0].filterSet[0].objectSet
    page = update.changeSet[0].val
    assert [e.message for e in page] == ['page 5', 'page 4']
    property_filter.Destroy()
    collector.DestroyCollector()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        collector.latestPage


def test_collectors_are_session_scoped_and_limited(sim):
    manager = sim.sim.event_manager
    instance = sim.connect()
    on_reactor(setattr, manager, 'maxCollector', 1)
    try:
        collector = instance.content.eventManager.CreateCollectorForEvents(Spec())
        with pytest.raises(vim.fault.InvalidState):
            instance.content.eventManager.CreateCollectorForEvents(Spec())
        moid = collector._moId
    finally:
        on_reactor(setattr, manager, 'maxCollector', 1000)
        Disconnect(instance)
    from vimsim.schema import MoRef
    assert on_reactor(sim.sim.objects.get, MoRef('EventHistoryCollector', moid)) is None
    assert on_reactor(lambda: len(manager.collectors)) == 0


def test_event_store_is_bounded(sim):
    manager = sim.sim.event_manager
    assert manager.events.maxlen is not None


def test_a_start_formats_alarm_events_without_the_event_catalog(validator):
    """The start's alarm pass posts AlarmStatusChangedEvents whose messages
    name the statuses by their labels; formatting them makes the labels
    (the description's enumeratedTypes) only, not the description's ~1,100
    eventInfo entries, which no start reads."""
    from tests.conftest import logged_in, settle
    fresh = _simulator(validator, tls=False)
    settle(fresh.sim)
    session = logged_in(fresh)
    si = next(session)
    try:
        changed = si.content.eventManager.QueryEvents(
            Spec(eventTypeId=['AlarmStatusChangedEvent']))
        assert changed and all(' changed from Gray to ' in e.fullFormattedMessage
                               for e in changed)
    finally:
        session.close()
    manager = fresh.sim.event_manager
    assert 'enumerated_types' in vars(manager) and 'description' not in vars(manager)
