"""Tasks as vCenter runs them: Rename_Task end to end with pyVmomi's
WaitForTask, every TaskInfo state seen by a second session's property filter,
failures, CancelTask, recent tasks, task history collectors, extension tasks
(CreateTask / SetTaskState / UpdateProgress) and the vcsim delay flags.

These tests use simulators of their own: they create tasks, which other
tests' shared simulators expect not to have.
"""
import threading
import time

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, on_reactor, register_extension_task

PC = vmodl.query.PropertyCollector


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


@pytest.fixture
def vms(si):
    folder = si.RetrieveContent().rootFolder.childEntity[0].vmFolder
    return [e for e in folder.childEntity if isinstance(e, vim.VirtualMachine)]


@pytest.fixture
def durations(sim):
    """Simulated task durations (ms) for the test, reset after it."""
    manager = sim.sim.task_manager
    yield manager.durations
    on_reactor(manager.durations.clear)


def rename_back(vm, name):
    if vm.name != name:
        WaitForTask(vm.Rename(name))


def test_rename_end_to_end(si, vms):
    vm = vms[0]
    old = vm.name
    task = vm.Rename('renamed-vm')
    assert isinstance(task, vim.Task) and task._moId.startswith('task-')
    assert WaitForTask(task) == 'success'
    try:
        assert vm.name == 'renamed-vm'
        info = task.info
        assert info.key == task._moId and info.task == task
        assert info.name.info.wsdlName == 'Rename_Task'
        assert info.descriptionId == 'VirtualMachine.rename'
        assert info.entity == vm and info.entityName == old
        assert isinstance(info.reason, vim.TaskReasonUser) and info.reason.userName == 'user'
        assert info.state == 'success' and info.error is None and info.result is None
        assert info.cancelable is False and info.cancelled is False
        assert info.queueTime <= info.startTime <= info.completeTime
        assert info.eventChainId > 0
        labels = {d.key: d.label for d in si.content.taskManager.description.methodInfo}
        assert labels[info.descriptionId] == 'Rename virtual machine'
        # the summary that carries the name follows it
        assert vm.summary.config.name == 'renamed-vm'
    finally:
        rename_back(vm, old)


def test_names_are_escaped_like_vcenter(si, vms):
    vm = vms[0]
    old = vm.name
    WaitForTask(vm.Rename('a/b\\c%d'))
    try:
        assert vm.name == 'a%2fb%5cc%25d'
    finally:
        rename_back(vm, old)


def test_second_session_sees_every_state(sim, si, vms, durations):
    """A watcher following TaskManager.recentTask sees the task enter queued,
    then running, then success: each state is its own update."""
    on_reactor(durations.update, {'Rename_Task': 300})
    watcher = sim.connect()
    try:
        content = watcher.RetrieveContent()
        collector = content.propertyCollector
        spec = PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=content.taskManager, skip=True, selectSet=[
                PC.TraversalSpec(type=vim.TaskManager, path='recentTask', skip=False)])],
            propSet=[PC.PropertySpec(type=vim.Task, pathSet=['info.state', 'info.progress'])])
        property_filter = collector.CreateFilter(spec, partialUpdates=True)
        version = collector.WaitForUpdatesEx('', PC.WaitOptions(maxWaitSeconds=0)).version
        seen = []
        done = threading.Event()

        def watch():
            nonlocal version
            deadline = time.monotonic() + 15
            while not done.is_set() and time.monotonic() < deadline:
                update = collector.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=1))
                if update is None:
                    continue
                version = update.version
                for object_update in update.filterSet[0].objectSet:
                    for change in object_update.changeSet:
                        seen.append((object_update.obj._moId, object_update.kind,
                                     change.name, change.val))
        thread = threading.Thread(target=watch)
        thread.start()
        vm = vms[1]
        old = vm.name
        task = vm.Rename('watched')
        progress = []
        WaitForTask(task, onProgressUpdate=lambda t, p: progress.append(p))
        time.sleep(0.3)
        done.set()
        thread.join(20)
        ours = [(kind, name, val) for moid, kind, name, val in seen if moid == task._moId]
        states = [val for kind, name, val in ours if name == 'info.state']
        assert states == ['queued', 'running', 'success']
        assert ours[0][0] == 'enter'
        percents = [val for kind, name, val in ours if name == 'info.progress']
        assert percents[0] == 0 and percents[-1] == 100 and len(percents) >= 3
        assert percents == sorted(percents)
        property_filter.Destroy()
        rename_back(vm, old)
    finally:
        Disconnect(watcher)


def test_failing_task_raises_its_fault(si, vms):
    vm, other = vms[0], vms[1]
    task = vm.Rename(other.name)
    with pytest.raises(vim.fault.DuplicateName) as raised:
        WaitForTask(task)
    assert raised.value.name == other.name and raised.value.object == other
    info = task.info
    assert info.state == 'error'
    assert isinstance(info.error, vim.fault.DuplicateName)
    assert info.error.msg == "The name '%s' already exists." % other.name
    assert vm.name != other.name
    for bad in ('', 'x' * 81):
        with pytest.raises(vim.fault.InvalidName) as raised:
            WaitForTask(vm.Rename(bad))
        assert raised.value.entity == vm
    # a task faulting before it exists: no such object
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        vim.VirtualMachine('vm-nonexistent', si._stub).Rename('x')


def _cancelable_task(sim, vm_moid, seconds):
    """A cancelable task on a VM, made in-process (no API method makes one yet)."""
    from vimsim.managed.base import Context
    from vimsim.managed.monitoring.task import run_task
    from vimsim.schema import MoRef
    calls = []

    def make():
        ctx = Context(sim.sim, None, sim.sim.schema.newest)
        vm = sim.sim.objects.get(MoRef('VirtualMachine', vm_moid))
        task = run_task(ctx, vm, 'PowerOnVM_Task', lambda t: calls.append(t),
                        cancelable=True, duration=seconds * 1000)
        return task.ref.value
    return on_reactor(make), calls


def test_cancel_task(sim, si, vms, durations):
    moid, calls = _cancelable_task(sim, vms[0]._moId, 5)
    task = vim.Task(moid, si._stub)
    assert task.info.cancelable is True and task.info.descriptionId == 'VirtualMachine.powerOn'
    assert isinstance(task.info.reason, vim.TaskReasonSystem)
    time.sleep(0.2)
    task.CancelTask()
    with pytest.raises(vmodl.fault.RequestCanceled) as raised:
        WaitForTask(task)
    assert raised.value.msg == 'The task was canceled by a user.'
    assert task.info.cancelled is True and task.info.state == 'error'
    assert calls == []          # the work never ran
    with pytest.raises(vim.fault.InvalidState):
        task.CancelTask()
    # Rename is not cancelable
    on_reactor(durations.update, {'Rename_Task': 2000})
    vm = vms[1]
    old = vm.name
    rename = vm.Rename('not-cancelled')
    with pytest.raises(vmodl.fault.NotSupported):
        rename.CancelTask()
    WaitForTask(rename)
    assert vm.name == 'not-cancelled'
    rename_back(vm, old)


def test_recent_tasks(sim, si, vms):
    manager = si.content.taskManager
    model = sim.sim.task_manager
    vm, other = vms[0], vms[1]
    old = vm.name
    task = vm.Rename('recent')
    WaitForTask(task)
    assert task in manager.recentTask
    assert task in vm.recentTask and task not in other.recentTask
    assert manager.recentTask.index(task) == len(manager.recentTask) - 1
    # a completed task leaves the recent lists after 10 minutes (it stays readable)
    on_reactor(setattr, model, 'recent_seconds', 0.2)
    try:
        second = vm.Rename(old)
        WaitForTask(second)
        time.sleep(0.6)
        assert second not in manager.recentTask and second not in vm.recentTask
        assert second.info.state == 'success' and task.info.state == 'success'
        # and only the last 200 completed tasks stay recent
        on_reactor(setattr, model, 'recent_seconds', 600)
        third = vm.Rename('recent-again')
        WaitForTask(third)
        assert third in manager.recentTask
        on_reactor(setattr, model, 'recent_completed', 1)
        fourth = vm.Rename(old)
        WaitForTask(fourth)
        assert fourth in manager.recentTask and third not in manager.recentTask
    finally:
        on_reactor(setattr, model, 'recent_seconds', 600)
        on_reactor(setattr, model, 'recent_completed', 200)
        rename_back(vm, old)


def test_task_history_collector(sim, si, vms):
    manager = si.content.taskManager
    vm, other = vms[0], vms[1]
    old = vm.name
    names = ['h%d' % i for i in range(5)]
    tasks = []
    for name in names:
        tasks.append(vm.Rename(name))
        WaitForTask(tasks[-1])
    failed = vm.Rename(other.name)
    with pytest.raises(vim.fault.DuplicateName):
        WaitForTask(failed)
    tasks.append(failed)
    by_vm = vim.TaskFilterSpec(entity=vim.TaskFilterSpec.ByEntity(entity=vm, recursion='self'),
                               time=vim.TaskFilterSpec.ByTime(
                                   timeType='queuedTime', beginTime=tasks[0].info.queueTime))
    collector = manager.CreateCollectorForTasks(by_vm)
    keys = [t._moId for t in tasks]
    assert [i.key for i in collector.latestPage] == keys[::-1]
    assert isinstance(collector.filter, vim.TaskFilterSpec)
    collector.SetCollectorPageSize(2)
    assert [i.key for i in collector.latestPage] == keys[:-3:-1]
    # the scrollable view starts at the oldest item
    assert [i.key for i in collector.ReadNextTasks(4)] == keys[:4]
    assert [i.key for i in collector.ReadNextTasks(4)] == keys[4:]
    assert collector.ReadNextTasks(4) == []
    assert [i.key for i in collector.ReadPreviousTasks(3)] == keys[:2:-1]
    collector.RewindCollector()
    assert collector.ReadPreviousTasks(3) == []
    assert [i.key for i in collector.ReadNextTasks(1)] == keys[:1]
    collector.ResetCollector()
    assert [i.key for i in collector.ReadPreviousTasks(100)] == keys[:-2][::-1]
    with pytest.raises(vmodl.fault.InvalidArgument):
        collector.ReadNextTasks(0)
    # filters: state, user, entity recursion
    errors = manager.CreateCollectorForTasks(vim.TaskFilterSpec(state=['error']))
    assert failed._moId in [i.key for i in errors.latestPage]
    assert all(i.state == 'error' for i in errors.latestPage)
    nobody = manager.CreateCollectorForTasks(vim.TaskFilterSpec(
        userName=vim.TaskFilterSpec.ByUsername(systemUser=False, userList=['nobody'])))
    assert nobody.latestPage == []
    datacenter = si.content.rootFolder.childEntity[0]
    below = manager.CreateCollectorForTasks(vim.TaskFilterSpec(
        entity=vim.TaskFilterSpec.ByEntity(entity=datacenter, recursion='children')))
    assert failed._moId in [i.key for i in below.latestPage]
    only_dc = manager.CreateCollectorForTasks(vim.TaskFilterSpec(
        entity=vim.TaskFilterSpec.ByEntity(entity=datacenter, recursion='self')))
    assert only_dc.latestPage == []
    collector.DestroyCollector()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        collector.latestPage
    rename_back(vm, old)


def test_task_collector_limit_is_per_session(sim, si):
    manager = sim.sim.task_manager
    on_reactor(setattr, manager, 'maxCollector', 2)
    try:
        tm = si.content.taskManager
        tm.CreateCollectorForTasks(vim.TaskFilterSpec())
        tm.CreateCollectorForTasks(vim.TaskFilterSpec())
        with pytest.raises(vim.fault.InvalidState):
            tm.CreateCollectorForTasks(vim.TaskFilterSpec())
        other = sim.connect()
        try:
            other.content.taskManager.CreateCollectorForTasks(vim.TaskFilterSpec())
        finally:
            Disconnect(other)
    finally:
        on_reactor(setattr, manager, 'maxCollector', 1000)


def test_extension_task_type_may_be_empty(sim, si, vms):
    """An extension's task type '' is a registered type like any other: its
    task used to fail with an internal error (found by the fuzzer)."""
    register_extension_task(sim, 'com.example.empty', '')
    info = si.content.taskManager.CreateTask(vms[0], '', None, False)
    assert info.descriptionId == '' and info.state == 'queued'


def test_extension_tasks(sim, si, vms):
    register_extension_task(sim, 'com.example.ext', 'com.example.ext.sync')
    manager = si.content.taskManager
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.CreateTask(vms[0], 'com.example.unknown', None, False)
    info = manager.CreateTask(vms[0], 'com.example.ext.sync', 'ext-user', True)
    task = info.task
    assert info.state == 'queued' and info.descriptionId == 'com.example.ext.sync'
    assert info.reason.userName == 'ext-user' and info.entity == vms[0]
    assert task in vms[0].recentTask
    with pytest.raises(vim.fault.InvalidState):
        task.UpdateProgress(10)
    task.SetTaskState('running')
    task.UpdateProgress(50)
    with pytest.raises(vim.fault.OutOfBounds):
        task.UpdateProgress(101)
    task.SetTaskDescription(vmodl.LocalizableMessage(key='com.example.ext.step',
                                                     message='Syncing'))
    task.CancelTask()           # the extension sees the flag and decides
    assert task.info.cancelled is True and task.info.state == 'running'
    assert task.info.progress == 50 and task.info.description.message == 'Syncing'
    task.SetTaskState('success', result='synced')
    assert WaitForTask(task) == 'success'
    assert task.info.result == 'synced'
    with pytest.raises(vim.fault.InvalidState):
        task.SetTaskState('running')
    child = manager.CreateTask(vms[0], 'com.example.ext.sync', None, False, info.key)
    assert child.parentTaskKey == info.key and child.rootTaskKey == info.key
    assert child.reason.userName == 'user'
    child.task.SetTaskState('error', fault=vmodl.fault.SystemError(reason='boom'))
    with pytest.raises(vmodl.fault.SystemError):
        WaitForTask(child.task)


def test_task_duration_and_jitter_free_timing(sim, si, vms, durations):
    on_reactor(durations.update, {'Rename_Task': 500})
    vm = vms[0]
    old = vm.name
    start = time.monotonic()
    task = vm.Rename('slow')
    assert task.info.state in ('queued', 'running')     # the call answers at once
    WaitForTask(task)
    assert time.monotonic() - start >= 0.5
    info = task.info
    assert (info.completeTime - info.startTime).total_seconds() >= 0.45
    on_reactor(durations.clear)
    rename_back(vm, old)


@pytest.fixture(scope='module')
def delayed(validator):
    return _simulator(validator, tls=False, method_delay={'Rename_Task': 1500})


def test_method_delay_makes_the_call_take_that_long(delayed):
    instance = delayed.connect()
    try:
        vm = instance.RetrieveContent().rootFolder.childEntity[0].vmFolder.childEntity[0]
        old = vm.name
        start = time.monotonic()
        vm.name   # other methods are not delayed (a wide margin: CI machines are loaded)
        assert time.monotonic() - start < 1.2
        start = time.monotonic()
        WaitForTask(vm.Rename('delayed'))
        assert time.monotonic() - start >= 1.5
        assert vm.name == 'delayed'
        WaitForTask(vm.Rename(old))
    finally:
        Disconnect(instance)


def test_delay_sampling_follows_vcsim():
    from vimsim.managed.monitoring.task import sample_delay
    from vimsim.options import Options
    options = Options(delay=100, method_delay={'PowerOnVM_Task': 50})
    assert sample_delay(options, 'PowerOnVM_Task') == 150
    assert sample_delay(options, 'Fetch') == 100
    options.delay_jitter = 0.5
    samples = [sample_delay(options, 'Fetch') for _ in range(2000)]
    mean = sum(samples) / len(samples)
    spread = (sum((s - mean) ** 2 for s in samples) / len(samples)) ** 0.5
    assert 90 < mean < 110 and 40 < spread < 60


@pytest.fixture(scope='module')
def esx_sim(validator):
    return _simulator(validator, tls=False, esx=True)


def test_esx_task_ids(esx_sim):
    instance = esx_sim.connect()
    try:
        vm = instance.RetrieveContent().rootFolder.childEntity[0].vmFolder.childEntity[0]
        old = vm.name
        task = vm.Rename('esx-renamed')
        WaitForTask(task)
        assert task._moId.startswith('haTask-%s-vim.VirtualMachine.rename-' % vm._moId)
        assert task.info.key == task._moId
        WaitForTask(vm.Rename(old))
        with pytest.raises(vmodl.fault.NotSupported):
            instance.content.taskManager.CreateCollectorForTasks(vim.TaskFilterSpec())
    finally:
        Disconnect(instance)
