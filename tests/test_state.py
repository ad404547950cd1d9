"""-state DIR: the simulator's state survives restarts and crashes.

- a restarted simulator serves exactly the model it served (every property of
  every object, moids, uuids, keys and times included), the task history and
  the events, after a mix of calls, task steps, a guest's delayed shutdown,
  logins and a faulted call; a second restart too; in ESX mode; with
  concurrent clients and timed tasks; a finished task goes when it went;
- a killed process (SIGKILL at random moments during a stream of mutations by
  pyVmomi) comes back with every acknowledged change and nothing half applied;
- an incomplete last record (a crash mid-write) is cut off; a task whose call
  was acknowledged but which had not run completes after the restart;
- an answer waits until the records it may reflect are synced; a journal
  that cannot be written answers SystemError instead of promising;
- other inventory flags are refused; sessions end at a restart; a close waits
  for a sync in flight; without -state nothing is written.
"""
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import RunningSimulator, _ensure_reactor, on_reactor
from vimsim import clock
from vimsim.managed.base import Context
from vimsim.managed.paths import read_path
from vimsim.managed.service.session_manager import Session
from vimsim.options import Options
from vimsim.soap import encode
from vimsim.state import persistence, snapshot
from vimsim.state.persistence import StateError

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


# -- in-process simulators over one directory ------------------------------------------
def _start(validator, directory, **overrides):
    _ensure_reactor()
    options = Options()
    options.listen = '127.0.0.1:0'
    options.tls = False
    options.state = str(directory)
    for name, value in overrides.items():
        setattr(options, name, value)
    return RunningSimulator(options, validator)


def _stop(running):
    """Let go of the directory, the journal as written, for the next simulator."""
    on_reactor(running.sim.persistence.close)


def _settled(running):
    """Wait until no task is queued or running and no model timer is due soon."""
    def busy():
        return any(getattr(obj, 'type_name', '') == 'Task' and not obj.done
                   for obj in running.sim.objects)
    deadline = time.monotonic() + 10
    while on_reactor(busy):
        assert time.monotonic() < deadline, 'tasks do not finish'
        time.sleep(0.02)
    time.sleep(0.2)     # a guest's delayed shutdown (0.05 s) has happened


def _model(running):
    """Every property of every object but the session-held ones, as the
    server's encoder writes it; the task history; every event; when each task
    finished. Read at one model time (READ_AT) whenever it is taken, since
    usage figures follow the load model's samples of the moment."""
    def dump():
        sim = running.sim
        version = sim.schema.version(sim.api_version)
        ctx = Context(sim, None, version)
        encoder = encode.encoder_for(sim.schema, version)
        out = {}
        for obj in sim.objects:
            if isinstance(getattr(obj, 'owner', None), Session):
                continue
            managed = sim.schema.managed[obj.type_name]
            for field in managed.properties:
                if (obj.type_name, field.name) in VOLATILE:
                    continue
                try:
                    value, declared = read_path(obj, field.name, ctx)
                except Exception as error:   # what reading it answers
                    out[obj.ref.value, field.name] = type(error).__name__
                    continue
                text = []
                encoder.field(text, 'v', value, declared)
                out[obj.ref.value, field.name] = _without_read_times(''.join(text))
        tasks = sim.task_manager.tasks()
        out['task history'] = [(serial, _encoded(encoder, info, 'TaskInfo'))
                               for serial, info in tasks]
        out['events'] = [_encoded(encoder, event, 'Event')
                         for event in sim.event_manager.events]
        # when each task finished, which its staying recent and readable counts from
        out['finished'] = sorted((obj.ref.value, obj.finished_at) for obj in sim.objects
                                 if obj.type_name == 'Task')
        return out

    def dump_at_one_time():
        with clock.frozen(READ_AT):
            return dump()
    return on_reactor(dump_at_one_time)


# read-time values: the session list, clocks, and uptimes and usage stamped on read
READ_AT = clock.microseconds()   # the model time every _model reads at
VOLATILE = {('SessionManager', 'sessionList'), ('SessionManager', 'currentSession'),
            ('ServiceInstance', 'serverClock')}
READ_TIMES = re.compile(r'<(timestamp|uptime|uptimeSeconds|overallCpuUsage|overallMemoryUsage)>'
                        r'[^<]*</\1>')


# where the simulator listens (vcsim's setting): a restart listens on another port
LISTENING = re.compile(r'(<key>vcsim\.server\.url</key><value[^>]*>)[^<]*')


def _without_read_times(text):
    return LISTENING.sub(r'\1', READ_TIMES.sub('', text))


def _encoded(encoder, value, declared):
    out = []
    encoder.data_object(out, 'v', value, declared)
    return ''.join(out)


def _differences(before, after):
    keys = sorted(set(before) | set(after), key=str)
    return ['%s: %s != %s' % (key, str(before.get(key))[:300], str(after.get(key))[:300])
            for key in keys if before.get(key) != after.get(key)]


def _config(name, memory=64):
    return vim.vm.ConfigSpec(name=name, memoryMB=memory, numCPUs=1, guestId='otherGuest64',
                             files=vim.vm.FileInfo(vmPathName='[LocalDS_0]'))


def _mutations(si):
    """A mix of what changes a vCenter, driven as clients drive it."""
    content = si.RetrieveContent()
    dc = content.rootFolder.childEntity[0]
    cluster = next(e for e in dc.hostFolder.childEntity
                   if isinstance(e, vim.ClusterComputeResource))
    vm = dc.vmFolder.childEntity[0]
    WaitForTask(vm.Rename_Task('renamed'))
    task = dc.vmFolder.CreateVM_Task(_config('created'), cluster.resourcePool)
    WaitForTask(task)
    created = task.info.result
    WaitForTask(created.ReconfigVM_Task(vim.vm.ConfigSpec(memoryMB=256, annotation='big')))
    WaitForTask(created.PowerOnVM_Task())
    WaitForTask(created.CreateSnapshot_Task('first', 'the first', False, False))
    WaitForTask(created.CloneVM_Task(dc.vmFolder, 'clone', vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(pool=cluster.resourcePool))))
    folder = dc.vmFolder.CreateFolder('kept')
    WaitForTask(folder.MoveIntoFolder_Task([created]))
    cluster.resourcePool.CreateResourcePool('pool', vim.ResourceConfigSpec(
        cpuAllocation=vim.ResourceAllocationInfo(reservation=0, limit=-1, expandableReservation=True,
                                                 shares=vim.SharesInfo(level='normal', shares=4000)),
        memoryAllocation=vim.ResourceAllocationInfo(reservation=0, limit=-1,
                                                    expandableReservation=True,
                                                    shares=vim.SharesInfo(level='normal',
                                                                          shares=163840))))
    content.customizationSpecManager.CreateCustomizationSpec(vim.CustomizationSpecItem(
        info=vim.CustomizationSpecInfo(name='spec', description='kept', type='Linux'),
        spec=vim.vm.customization.Specification(
            identity=vim.vm.customization.LinuxPrep(
                hostName=vim.vm.customization.FixedName(name='h'), domain='example.com'),
            globalIPSettings=vim.vm.customization.GlobalIPSettings(),
            nicSettingMap=[])))
    content.sessionManager.UpdateServiceMessage('maintenance at noon')
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine],
                                                   True)     # uses up a uuid, not journaled
    view.DestroyView()
    with pytest.raises(vim.fault.InvalidPowerState):
        WaitForTask(vm.PowerOnVM_Task())                    # already on: the task fails
    with pytest.raises(vim.fault.NotFound):
        content.customizationSpecManager.DeleteCustomizationSpec('no such spec')
    other = dc.vmFolder.childEntity[1]
    other.ShutdownGuest()                                   # powers off 0.05 s later
    doomed = dc.vmFolder.childEntity[2]
    WaitForTask(doomed.PowerOffVM_Task())
    WaitForTask(doomed.Destroy_Task())
    return created


def _stopped(running):
    """The model a simulator serves once settled, then the simulator stopped."""
    _settled(running)
    model = _model(running)
    _stop(running)
    return model


def _restarted(validator, directory, model, **overrides):
    """A simulator started on `directory`, checked to serve `model`."""
    running = _start(validator, directory, **overrides)
    _settled(running)
    assert running.sim.persistence.divergences == 0
    assert _differences(model, _model(running)) == []
    return running


def test_restart_serves_the_same_model(validator, tmp_path):
    first = _start(validator, tmp_path)
    si = first.connect()
    created = _mutations(si)
    cookie = si._stub.cookie
    Disconnect(si)
    second = _restarted(validator, tmp_path, _stopped(first))

    # sessions end at a restart
    si = second.connect()
    si._stub.cookie = cookie
    with pytest.raises(vim.fault.NotAuthenticated):
        si.content.rootFolder.name
    si = second.connect()
    vm = si.content.searchIndex.FindByInventoryPath('DC0/vm/kept/created')
    assert vm._moId == created._moId
    WaitForTask(vm.Rename_Task('renamed again'))
    Disconnect(si)
    _stop(_restarted(validator, tmp_path, _stopped(second)))


def test_a_vsan_service_reconfiguration_is_replayed(validator, tmp_path):
    """A VsanClusterReconfig (/vsanHealth) is journaled as a `vsan` record:
    the cluster, its hosts and the vSAN datastore are as they were after a
    restart; the vSAN service's reads are not journaled."""
    import vsanapiutils
    first = _start(validator, tmp_path, tls=True)
    si = first.connect()
    stub = si._GetStub()
    system = vsanapiutils.GetVsanVcMos(stub, context=stub.schemeArgs.get('context'),
                                       version='vsan.version.version23')[
        'vsan-cluster-config-system']
    cluster = si.content.searchIndex.FindByInventoryPath('/DC0/host/DC0_C0')
    WaitForTask(vsanapiutils.ConvertVsanTaskToVcTask(system.VsanClusterReconfig(
        cluster, vim.vsan.ReconfigSpec(modify=True, vsanClusterConfig=vim.vsan.cluster.ConfigInfo(
            enabled=True, defaultConfig=vim.vsan.cluster.ConfigInfo.HostDefaultInfo(
                autoClaimStorage=True)))), stub))
    uuid = system.VsanClusterGetConfig(cluster).defaultConfig.uuid
    Disconnect(si)
    kinds = [header['kind'] for _, header in _records(tmp_path / 'journal')]
    assert kinds.count('vsan') == 1
    second = _restarted(validator, tmp_path, _stopped(first), tls=True)
    si = second.connect()
    cluster = si.content.searchIndex.FindByInventoryPath('/DC0/host/DC0_C0')
    assert cluster.configurationEx.vsanConfigInfo.defaultConfig.uuid == uuid
    assert [ds.summary.type for ds in cluster.datastore].count('vsan') == 1
    Disconnect(si)
    _stop(second)


def _snapshots(directory):
    return sorted(name for name in os.listdir(directory) if name.startswith(snapshot.PREFIX))


def test_a_long_journal_is_compacted_into_a_snapshot(validator, tmp_path, monkeypatch):
    """A start that replays COMPACT_AT records or more snapshots the model and
    begins the journal anew; the next start loads the snapshot and replays
    only the tail, serving the same model with the same ids."""
    monkeypatch.setattr(persistence, 'COMPACT_AT', 5)
    first = _start(validator, tmp_path)
    si = first.connect()
    _mutations(si)
    Disconnect(si)
    model = _stopped(first)
    whole = len(_records(tmp_path / 'journal'))
    assert whole > 5
    second = _restarted(validator, tmp_path, model)
    assert second.sim.persistence.replayed == whole - 1
    [name] = _snapshots(tmp_path)
    start = _records(tmp_path / 'journal')[0][1]
    assert start['kind'] == 'start' and start['snapshot'] == name
    si = second.connect()
    vm = si.content.searchIndex.FindByInventoryPath('DC0/vm/kept/created')
    WaitForTask(vm.Rename_Task('renamed after the snapshot'))
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(annotation='after the snapshot')))
    Disconnect(si)
    model = _stopped(second)
    tail = len(_records(tmp_path / 'journal')) - 1
    monkeypatch.setattr(persistence, 'COMPACT_AT', tail + 1)
    third = _restarted(validator, tmp_path, model)
    assert third.sim.persistence.replayed == tail and _snapshots(tmp_path) == [name]
    model = _stopped(third)
    # a snapshot and its tail compact into a new snapshot, the old one gone
    monkeypatch.setattr(persistence, 'COMPACT_AT', 1)
    fourth = _restarted(validator, tmp_path, model)
    assert _snapshots(tmp_path) == [fourth.sim.persistence.snapshot] != [name]
    _stop(_restarted(validator, tmp_path, _stopped(fourth)))


def test_finished_tasks_go_when_they_went(validator, tmp_path, monkeypatch):
    """Retention counts from when a task finished, not from the restart: a
    task gone before the restart stays gone (not back for another while)."""
    monkeypatch.setattr('vimsim.managed.monitoring.task_manager.RECENT_SECONDS', 0.5)
    monkeypatch.setattr('vimsim.managed.monitoring.task_manager.KEEP_SECONDS', 1.0)
    first = _start(validator, tmp_path)
    si = first.connect()
    vm = si.content.rootFolder.childEntity[0].vmFolder.childEntity[0]
    gone = vm.Rename_Task('one')
    WaitForTask(gone)
    time.sleep(1.5)
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        gone.info
    Disconnect(si)
    _stop(first)

    second = _start(validator, tmp_path)
    si = second.connect()
    assert si.content.taskManager.recentTask == []
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        vim.Task(gone._moId, si._stub).info
    Disconnect(si)
    _stop(second)


def test_an_esx_restart_serves_the_same_model(validator, tmp_path):
    """hostd's ids: VMs numbered 1, 2, ...; tasks named after entity, method and serial."""
    first = _start(validator, tmp_path, esx=True)
    si = first.connect()
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    WaitForTask(dc.vmFolder.childEntity[0].Rename_Task('renamed'))
    task = dc.vmFolder.CreateVM_Task(_config('created'), dc.hostFolder.childEntity[0].resourcePool)
    WaitForTask(task)
    WaitForTask(task.info.result.PowerOnVM_Task())
    WaitForTask(task.info.result.CreateSnapshot_Task('first', '', False, False))
    Disconnect(si)
    _stop(_restarted(validator, tmp_path, _stopped(first), esx=True))


def test_concurrent_clients_and_timed_tasks_replay_exactly(validator, tmp_path):
    """Three clients at once, tasks taking 0.15 s (progress ticks): calls and
    task steps interleave, and replay puts each step where it ran."""
    timed = {'task_duration': {'*': 150}}
    first = _start(validator, tmp_path, **timed)
    failures = []

    def client(number):
        try:
            si = first.connect()
            dc = si.RetrieveContent().rootFolder.childEntity[0]
            pool = dc.hostFolder.childEntity[0].resourcePool
            for index in range(3):
                task = dc.vmFolder.CreateVM_Task(_config('c%d-%d' % (number, index)), pool)
                WaitForTask(task)
                vm = task.info.result
                WaitForTask(vm.PowerOnVM_Task())
                WaitForTask(vm.Rename_Task('c%d-%d-on' % (number, index)))
            Disconnect(si)
        except Exception as error:
            failures.append(error)
    threads = [threading.Thread(target=client, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    _stop(_restarted(validator, tmp_path, _stopped(first), **timed))


# -- a real process, killed ------------------------------------------------------------
# `python3 -m vimsim` compacting from argv[1] records replayed, and dying
# (as SIGKILL would: no cleanup) at the point of the compaction argv[2] names.
COMPACTING = """
import os, sys
from vimsim.state import journal, persistence, snapshot
persistence.COMPACT_AT = int(sys.argv[1])
crash = sys.argv[2]
if crash == 'mid-snapshot':
    def write_atomically(directory, name, data):
        with open(os.path.join(directory, name + '.tmp'), 'wb') as half:
            half.write(data[:len(data) // 2])
        os._exit(9)
    snapshot.write_atomically = write_atomically
elif crash == 'snapshot-written':
    journal.Journal.begin_anew = lambda self, header: os._exit(9)
elif crash == 'journal-replaced':
    snapshot.remove_others = lambda directory, kept: os._exit(9)
sys.argv = ['vimsim'] + sys.argv[3:]
from vimsim.cli import main
main()
"""


def _spawn(directory, log, compact_at=None, crash='none'):
    """`python3 -m vimsim -state DIR` on a free port: (process, port); with
    `compact_at`, compacting from that many records replayed, and dying at
    the compaction point `crash` (then: (process, None) once it has died)."""
    command = ['-m', 'vimsim'] if compact_at is None else ['-c', COMPACTING, str(compact_at),
                                                           crash]
    if crash != 'none':
        process = subprocess.Popen([sys.executable] + command + _flags(directory), cwd=ROOT,
                                   stderr=log)
        assert process.wait(60) == 9
        return process, None
    return _serving(command, directory, log)


def _flags(directory):
    return ['-l', '127.0.0.1:0', '-tls=false', '-state', str(directory), '-E',
            str(directory) + '.env']


def _serving(command, directory, log, flags=()):
    """`python3 <command> -state DIR <flags>` on a free port, once it serves:
    (process, port)."""
    env_file = str(directory) + '.env'
    if os.path.exists(env_file):
        os.unlink(env_file)
    process = subprocess.Popen([sys.executable] + command + _flags(directory) + list(flags),
                               cwd=ROOT, stderr=log)
    deadline = time.monotonic() + 30
    while not (os.path.exists(env_file) and os.path.getsize(env_file)):
        assert process.poll() is None, 'the simulator exited'
        assert time.monotonic() < deadline, 'the simulator did not start'
        time.sleep(0.02)
    with open(env_file) as env:
        line = env.read()
    return process, int(line.split('@', 1)[1].split('/', 1)[0].rsplit(':', 1)[1])


DOWN = (OSError, http.client.HTTPException)    # what a client sees of a killed server


class Stream:
    """A stream of VM mutations and what each acknowledged one leaves: per VM
    name, (moid, memoryMB, power state, snapshot count)."""

    def __init__(self, seed):
        self.seed = seed
        self.random = random.Random(seed)
        self.expected = {}
        self.created = 0
        self.in_flight = None     # (name, state before, state after, acknowledged)

    def next_operation(self):
        names = sorted(self.expected)
        if not names or self.random.random() < 0.25:
            self.created += 1
            return 'create', 'k%d' % self.created
        name = self.random.choice(names)
        _, _, power, _ = self.expected[name]
        choices = ['reconfigure', 'snapshot', 'rename']
        choices.append('power off' if power == 'poweredOn' else 'power on')
        if power == 'poweredOff':
            choices.append('destroy')
        return self.random.choice(choices), name

    def run(self, si, folder, pool, until=None):
        """Run operations until the server goes away (or `until`, an Event, is set)."""
        while until is None or not until.is_set():
            operation, name = self.next_operation()
            before = self.expected.get(name)
            after, call = self._plan(si, folder, pool, operation, name, before)
            self.in_flight = (operation, name, before, after, False)
            task = call()
            self.in_flight = (operation, name, before, after, True)   # answered
            WaitForTask(task)
            if operation == 'create':
                after = (task.info.result._moId,) + after[1:]
                self.in_flight = (operation, name, before, after, True)
            self._apply(name, after)
            self.in_flight = None

    def _plan(self, si, folder, pool, operation, name, before):
        if operation == 'create':
            return ((None, 64, 'poweredOff', 0),
                    lambda: folder.CreateVM_Task(_config(name), pool))
        vm = vim.VirtualMachine(before[0], si._stub)
        moid, memory, power, snapshots = before
        if operation == 'reconfigure':
            memory = memory + 4 if power == 'poweredOff' else memory
            return ((moid, memory, power, snapshots),
                    lambda: vm.ReconfigVM_Task(vim.vm.ConfigSpec(memoryMB=memory)))
        if operation == 'snapshot':
            return ((moid, memory, power, snapshots + 1),
                    lambda: vm.CreateSnapshot_Task('s%d' % snapshots, '', False, False))
        if operation == 'rename':
            return ((moid, memory, power, snapshots),
                    lambda: vm.Rename_Task(name + 'r'))
        if operation == 'power on':
            return (moid, memory, 'poweredOn', snapshots), vm.PowerOnVM_Task
        if operation == 'power off':
            return (moid, memory, 'poweredOff', snapshots), vm.PowerOffVM_Task
        return None, vm.Destroy_Task

    def _apply(self, name, after):
        if after is None:
            del self.expected[name]
        elif self.in_flight and self.in_flight[0] == 'rename':
            del self.expected[name]
            self.expected[name + 'r'] = after
        else:
            self.expected[name] = after


def _served(si):
    """What the server holds of the stream's VMs (name -> state), once no task
    runs; and that each VM is whole: in its folder, pool, host and datastore."""
    content = si.RetrieveContent()
    deadline = time.monotonic() + 10
    while any(t.info.state in ('queued', 'running') for t in content.taskManager.recentTask):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine],
                                                   True)
    served = {}
    for vm in view.view:
        if not vm.name.startswith('k'):
            continue
        assert vm in vm.parent.childEntity and vm in vm.resourcePool.vm
        assert vm in vm.runtime.host.vm and all(vm in ds.vm for ds in vm.datastore)
        assert vm.layoutEx.file and vm.config.hardware.device
        snapshots = len(vm.layoutEx.snapshot or [])
        served[vm.name] = (vm._moId, vm.config.hardware.memoryMB, vm.runtime.powerState,
                           snapshots)
    view.DestroyView()
    created = content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventTypeId=['VmCreatedEvent'], maxCount=1000))
    assert {moid for moid, _, _, _ in served.values()} <= {e.vm.vm._moId for e in created}
    return served


def _check(stream, served):
    """Every acknowledged change is served; the one in flight is wholly there
    or wholly not (and there, if its call was answered)."""
    expected = dict(stream.expected)
    if stream.in_flight is not None:
        operation, name, before, after, answered = stream.in_flight
        new_name = name + 'r' if operation == 'rename' else name
        applied = dict(expected)
        applied.pop(name, None)
        if after is not None:
            applied[new_name] = after
        if operation == 'create' and served.get(name) is not None:
            applied[name] = (served[name][0],) + after[1:]   # its moid, as served
        if answered:
            assert served == applied, (stream.seed, stream.in_flight, served, applied)
        else:
            assert served in (expected, applied), (stream.seed, stream.in_flight, served,
                                                   expected, applied)
        if served == applied:
            expected = applied
    else:
        assert served == expected, (stream.seed, served, expected)
    stream.expected = expected
    stream.in_flight = None


def _mutate_until_killed(si, stream, process, seconds):
    """Run the stream's mutations until SIGKILL, `seconds` from now, ends the server."""
    content = si.RetrieveContent()
    dc = content.rootFolder.childEntity[0]
    pool = next(e for e in dc.hostFolder.childEntity
                if isinstance(e, vim.ClusterComputeResource)).resourcePool
    killer = threading.Timer(seconds, os.kill, (process.pid, signal.SIGKILL))
    killer.start()
    with pytest.raises(DOWN):
        stream.run(si, dc.vmFolder, pool)
    killer.join()


def _mutate_then_kill(si, stream, process, seconds):
    """Run the stream's mutations for `seconds`, then SIGKILL the server
    between two of them: a start compacts only a model with no task in
    flight (a task's work is a closure no snapshot carries), so a kill
    inside a task would leave that start nothing to compact."""
    content = si.RetrieveContent()
    dc = content.rootFolder.childEntity[0]
    pool = next(e for e in dc.hostFolder.childEntity
                if isinstance(e, vim.ClusterComputeResource)).resourcePool
    enough = threading.Event()
    timer = threading.Timer(seconds, enough.set)
    timer.start()
    stream.run(si, dc.vmFolder, pool, until=enough)
    timer.join()
    process.kill()


def test_sigkill_during_mutations(tmp_path):
    """SIGKILL at random moments, 4 times, during a stream of VM mutations by
    pyVmomi; after each restart every acknowledged change is there and
    nothing half applied. Bounded: about 20 s."""
    directory = tmp_path / 'state'
    log_path = tmp_path / 'stderr'
    stream = Stream(seed=int(time.time()))
    with open(log_path, 'ab') as log:
        for cycle in range(5):
            process, port = _spawn(directory, log)
            si = SmartConnect(protocol='http', host='127.0.0.1', port=port, user='user',
                              pwd='pass')
            try:
                _check(stream, _served(si))
                if cycle == 4:
                    break
                _mutate_until_killed(si, stream, process, stream.random.uniform(0.2, 1.5))
            finally:
                process.kill()
                process.wait()
    text = log_path.read_text()
    assert 'does not replay' not in text and 'differently' not in text, text
    assert stream.created > 4


def test_sigkill_while_compacting(tmp_path):
    """SIGKILL amid a stream of VM mutations, then a start that compacts
    the journal and dies at a point of the compaction (the snapshot half
    written; written, the journal not yet replaced; replaced, the old
    snapshot not yet removed), then a start that compacts: every
    acknowledged change is there, nothing half applied, and the model
    replays as it ran. Bounded: about 40 s."""
    directory = tmp_path / 'state'
    log_path = tmp_path / 'stderr'
    stream = Stream(seed=int(time.time()))
    with open(log_path, 'ab') as log:
        for crash in ('mid-snapshot', 'snapshot-written', 'journal-replaced', None):
            process, port = _spawn(directory, log, compact_at=1)
            si = SmartConnect(protocol='http', host='127.0.0.1', port=port, user='user',
                              pwd='pass')
            try:
                _check(stream, _served(si))
                if crash is None:
                    break
                _mutate_then_kill(si, stream, process, stream.random.uniform(0.3, 1.0))
            finally:
                process.kill()
                process.wait()
            _spawn(directory, log, compact_at=1, crash=crash)
    text = log_path.read_text()
    assert 'does not replay' not in text and 'differently' not in text, text
    assert 'not compacted' not in text, text
    assert len(_snapshots(directory)) == 1 and stream.created > 2


# -- the journal's edges ---------------------------------------------------------------
def _records(path):
    """(offset of its end, header) of each whole record of a journal file."""
    from vimsim.state.journal import FRAME
    data = path.read_bytes()
    out, offset = [], 0
    while offset + FRAME.size <= len(data):
        length, _ = FRAME.unpack_from(data, offset)
        end = offset + FRAME.size + length
        if end > len(data):
            break
        header = json.loads(data[offset + FRAME.size:end].partition(b'\n')[0])
        out.append((end, header))
        offset = end
    return out


def test_an_interrupted_last_record_is_cut_off(validator, tmp_path, caplog):
    first = _start(validator, tmp_path)
    si = first.connect()
    vm = si.content.rootFolder.childEntity[0].vmFolder.childEntity[0]
    WaitForTask(vm.Rename_Task('kept'))
    Disconnect(si)                              # its logout event is the last record
    _settled(first)
    _stop(first)
    journal = tmp_path / 'journal'
    records = _records(journal)
    assert records[-1][1]['kind'] == 'event'
    whole = records[-2][0]
    with open(journal, 'r+b') as f:
        f.truncate(records[-1][0] - 7)          # a crash in the middle of writing it

    second = _start(validator, tmp_path)
    assert 'dropped' in caplog.text
    assert journal.stat().st_size == whole
    assert second.sim.persistence.divergences == 0
    si = second.connect()
    kept = si.content.searchIndex.FindByInventoryPath('DC0/vm/kept')
    assert kept._moId == vm._moId
    logouts = si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventTypeId=['UserLogoutSessionEvent']))
    assert logouts == []
    WaitForTask(kept.Rename_Task('kept again'))   # appended after the cut, replayed next
    Disconnect(si)
    _settled(second)
    _stop(second)
    third = _start(validator, tmp_path)
    assert third.sim.persistence.divergences == 0
    assert [e.userName for e in third.connect().content.eventManager.QueryEvents(
        vim.event.EventFilterSpec(eventTypeId=['UserLogoutSessionEvent']))] == ['user']
    _stop(third)


def test_an_acknowledged_task_that_had_not_run_completes_after_restart(validator, tmp_path):
    first = _start(validator, tmp_path)
    si = first.connect()
    dc = si.content.rootFolder.childEntity[0]
    pool = dc.hostFolder.childEntity[0].resourcePool
    task = dc.vmFolder.CreateVM_Task(_config('late'), pool)
    WaitForTask(task)
    created, queued = task.info.result._moId, task.info.queueTime
    _settled(first)
    _stop(first)
    journal = tmp_path / 'journal'
    records = _records(journal)
    call = next(end for end, header in records if header['kind'] == 'call')
    with open(journal, 'r+b') as f:
        f.truncate(call)                        # the answer went out; the task never ran

    second = _start(validator, tmp_path)
    _settled(second)
    si = second.connect()
    replayed = vim.Task(task._moId, si._stub)
    assert replayed.info.state == 'success' and replayed.info.queueTime == queued
    assert replayed.info.result._moId == created
    assert si.content.searchIndex.FindByInventoryPath('DC0/vm/late')._moId == created
    Disconnect(si)
    _stop(second)


def _soap(sim, body, cookie=None):
    from vimsim.server.http import HttpRequest
    headers = {'soapaction': '"urn:vim25/8.0.3.0"'}
    if cookie:
        headers['cookie'] = cookie
    envelope = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
                '<soapenv:Body>%s</soapenv:Body></soapenv:Envelope>' % body).encode()
    return sim.handle_soap(HttpRequest('POST', '/sdk', headers=headers, body=envelope))


LOGIN = ('<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this>'
         '<userName>user</userName><password>pass</password></Login>')
MESSAGE = ('<UpdateServiceMessage xmlns="urn:vim25"><_this type="SessionManager">'
           'SessionManager</_this><message>%s</message></UpdateServiceMessage>')
READ_MESSAGE = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
                'propertyCollector</_this><specSet><propSet><type>SessionManager</type>'
                '<pathSet>message</pathSet></propSet><objectSet><obj type="SessionManager">'
                'SessionManager</obj></objectSet></specSet><options/></RetrievePropertiesEx>')


def _logged_in(sim):
    """A session cookie, its login event's record synced."""
    answer = _soap(sim, LOGIN)
    sim.persistence.journal.sync()
    answer = answer.result if hasattr(answer, 'result') else answer
    return dict(answer.headers)['Set-Cookie'].split(';')[0]


def test_no_answer_before_its_record_is_synced(validator, tmp_path):
    running = _start(validator, tmp_path)
    sim = running.sim

    def exchange():
        cookie = _logged_in(sim)
        read = _soap(sim, READ_MESSAGE, cookie)
        assert read.status == 200                     # nothing unsynced: answered at once
        changed = _soap(sim, MESSAGE % 'down at noon', cookie)
        read = _soap(sim, READ_MESSAGE, cookie)       # may show the change: held too
        held = [not changed.called, not read.called]
        record = (tmp_path / 'journal').read_bytes()
        sim.persistence.journal.sync()
        return held, b'down at noon' in record, changed.result.status, read.result.body
    held, written, status, body = on_reactor(exchange)
    assert held == [True, True] and written and status == 200
    assert b'down at noon' in body
    _stop(running)


def test_an_unwritable_journal_answers_system_error(validator, tmp_path, monkeypatch):
    running = _start(validator, tmp_path)
    sim = running.sim
    cookie = on_reactor(_logged_in, sim)

    def failing(fd):
        raise OSError(5, 'Input/output error')
    monkeypatch.setattr('vimsim.state.journal.os.fdatasync', failing)

    def exchange():
        changed = _soap(sim, MESSAGE % 'lost', cookie)
        sim.persistence.journal.sync()
        later = _soap(sim, MESSAGE % 'refused', cookie)
        return changed.result, later.result if hasattr(later, 'result') else later
    changed, later = on_reactor(exchange)
    for answer in (changed, later):
        assert answer.status == 500 and b'SystemError' in answer.body
        assert b'state journal cannot be written' in answer.body
    assert b'refused' not in (tmp_path / 'journal').read_bytes()
    _stop(running)


def test_close_waits_for_a_sync_in_flight(tmp_path, monkeypatch):
    """A close during a sync would leave the file, and its lock, held until
    the sync returns: in the way of the next simulator on the directory."""
    from vimsim.state.journal import Journal
    real, inside, order = os.fdatasync, threading.Event(), []

    def slow(fd):
        inside.set()
        time.sleep(0.2)
        real(fd)
        order.append('synced')
    monkeypatch.setattr(os, 'fdatasync', slow)
    _ensure_reactor()
    journal = Journal(str(tmp_path / 'journal'))
    on_reactor(journal.append, {'kind': 'start'})
    assert inside.wait(5)
    journal.close()
    order.append('closed')
    assert order == ['synced', 'closed'] and journal.failure is None
    Journal(str(tmp_path / 'journal')).close()


def test_other_inventory_flags_are_refused(validator, tmp_path):
    _stop(_start(validator, tmp_path))
    with pytest.raises(StateError, match=r"vm 2 \(now 5\)"):
        _start(validator, tmp_path, vm=5)
    _stop(_start(validator, tmp_path))          # the refusal left the journal usable


def test_one_simulator_per_directory(validator, tmp_path):
    from vimsim.state.journal import JournalInUse
    running = _start(validator, tmp_path)
    with pytest.raises(JournalInUse):
        _start(validator, tmp_path)
    _stop(running)


def test_without_state_nothing_is_written(tmp_path, monkeypatch):
    from vimsim.simulator import Simulator
    from vimsim.state.persistence import Persistence
    monkeypatch.chdir(tmp_path)
    _ensure_reactor()
    sim = on_reactor(Simulator, Options())
    assert sim.persistence is None
    opened = []
    monkeypatch.setattr(Persistence, '__init__', lambda *args: opened.append(args))

    def exchange():
        cookie = dict(_soap(sim, LOGIN).headers)['Set-Cookie'].split(';')[0]
        return _soap(sim, MESSAGE % 'not kept', cookie)
    assert on_reactor(exchange).status == 200
    assert opened == [] and os.listdir(tmp_path) == []
