"""-state-compact: the journal compacted while the simulator serves.

- a live compaction, with calls served while it runs (kept after its
  snapshot), restarts into exactly the model the live simulator served and
  that a replay of the whole journal (as it would have grown uncompacted)
  gives: every property of every object, ids, task history, events, times;
- a compactor killed midway: the simulator serves on, journals on, and the
  next compaction succeeds;
- a journal whose replay rebuilds datastore files is not compacted (logged);
- the journal's swap does not wait for a sync of the old file in flight;
- -state-compact's values (a negative one is refused);
- SIGKILL of the serving process at every step of a live compaction, during
  a stream of VM mutations: every acknowledged change is there after the
  restart, nothing half applied, and the compactor does not outlive it.
"""
import json
import logging
import os
import signal
import threading
import time

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import _ensure_reactor, on_reactor
from tests.test_state import (DOWN, Stream, _check, _config, _differences, _model,
                              _mutations, _records, _restarted, _served, _serving, _snapshots,
                              _start, _stop, _stopped)
from vimsim.options import UsageError, parse_args
from vimsim.state import persistence
from vimsim.state.journal import FRAME, Journal
from vimsim.state.live_compaction import SCRATCH


def _wait(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, 'timed out'
        time.sleep(0.05)


def _frames(path):
    """The raw frames of a journal file's whole records, in order."""
    data = path.read_bytes()
    out, offset = [], 0
    for end, _ in _records(path):
        out.append(data[offset:end])
        offset = end
    return out


def _uncompacted(old, new):
    """The journal as it would be had it not been compacted: `old` (the
    journal file the compaction replaced, as it was when replaced) and the
    records of `new` after its start record and the ones copied from `old`."""
    old_frames, new_frames = _frames(old), _frames(new)
    copied = new_frames[1:len(old_frames)]
    kept = next((n for n in range(len(copied), -1, -1)
                 if n == 0 or old_frames[-n:] == copied[:n]), 0)
    return b''.join(old_frames + new_frames[1 + kept:]), kept


def _during(si, number):
    """A few changes, made while the compaction runs."""
    content = si.RetrieveContent()
    dc = content.rootFolder.childEntity[0]
    pool = dc.hostFolder.childEntity[0].resourcePool
    task = dc.vmFolder.CreateVM_Task(_config('during%d' % number), pool)
    WaitForTask(task)
    vm = task.info.result
    WaitForTask(vm.PowerOnVM_Task())
    WaitForTask(vm.Rename_Task('during%d-on' % number))
    content.sessionManager.UpdateServiceMessage('compacting %d' % number)


def test_a_live_compaction_replays_as_the_whole_journal(validator, tmp_path):
    directory, whole = tmp_path / 'state', tmp_path / 'whole'
    first = _start(validator, directory, state_compact=0)
    si = first.connect()
    _mutations(si)
    Disconnect(si)
    _stopped(first)
    records = len(_records(directory / 'journal'))
    os.link(directory / 'journal', tmp_path / 'old-journal')   # the file compaction replaces

    second = _start(validator, directory, state_compact=records)
    persistence = second.sim.persistence
    assert on_reactor(lambda: persistence.compaction is not None)   # due at the start
    si = second.connect()
    number = 0
    while on_reactor(lambda: persistence.live_compactions) == 0:
        number += 1
        _during(si, number)              # served meanwhile, so kept after the snapshot
        assert on_reactor(lambda: persistence.compaction is not None
                          or persistence.live_compactions == 1)
    Disconnect(si)
    model = _stopped(second)
    [name] = _snapshots(directory)
    assert _records(directory / 'journal')[0][1]['snapshot'] == name
    assert not (directory / SCRATCH).exists()

    whole.mkdir()
    journal, kept = _uncompacted(tmp_path / 'old-journal', directory / 'journal')
    assert kept > 0, 'no call was served while the compactor ran'
    (whole / 'journal').write_bytes(journal)
    from_snapshot = _restarted(validator, directory, model)
    assert from_snapshot.sim.persistence.replayed < len(_records(whole / 'journal')) - 1
    replayed = _restarted(validator, whole, model, state_compact=0)
    assert _differences(_model(from_snapshot), _model(replayed)) == []
    _stop(from_snapshot)
    _stop(replayed)


def test_a_killed_compactor_leaves_the_simulator_serving(validator, tmp_path, caplog):
    running = _start(validator, tmp_path, state_compact=15)
    persistence = running.sim.persistence
    si = running.connect()
    number = 0
    while on_reactor(lambda: persistence.compaction) is None:
        number += 1
        _during(si, number)
    _wait(lambda: on_reactor(lambda: persistence.compaction.process is not None))
    compactor = on_reactor(lambda: persistence.compaction.process)
    compactor.kill()
    _wait(lambda: on_reactor(lambda: persistence.compaction is None))
    assert 'not compacted: the compactor exited with -9' in caplog.text
    assert persistence.live_compactions == 0 and _snapshots(tmp_path) == []
    while on_reactor(lambda: persistence.live_compactions) == 0:  # due 15 records later
        number += 1
        _during(si, number)
        assert number < 100
    Disconnect(si)
    _stop(_restarted(validator, tmp_path, _stopped(running)))


def test_a_journal_rebuilding_datastore_files_is_not_compacted(validator, tmp_path, caplog):
    caplog.set_level(logging.INFO, 'vimsim.state')
    running = _start(validator, tmp_path, state_compact=5)
    persistence = running.sim.persistence
    si = running.connect()
    ds = si.content.rootFolder.childEntity[0].datastore[0]
    dc = si.content.rootFolder.childEntity[0]
    si.content.fileManager.MakeDirectory('[%s] made' % ds.name, dc, True)   # files written
    _during(si, 0)
    assert 'not compacted while running: the journal rebuilds datastore files' in caplog.text
    assert on_reactor(lambda: persistence.compaction) is None
    Disconnect(si)
    _stop(_restarted(validator, tmp_path, _stopped(running)))
    assert _snapshots(tmp_path) == []


def test_the_journal_swap_does_not_wait_for_a_sync_in_flight(tmp_path, monkeypatch):
    """An fdatasync of the old file in flight (slow on a loaded disk) held
    the reactor in the swap until it returned; the old file now closes once
    it has."""
    real, inside, release, order = os.fdatasync, threading.Event(), threading.Event(), []

    def slow(fd):
        if not inside.is_set():           # the first: the journal's sync thread
            inside.set()
            release.wait(30)
            order.append('synced')
        real(fd)
    monkeypatch.setattr(os, 'fdatasync', slow)
    _ensure_reactor()
    journal = Journal(str(tmp_path / 'journal'))
    on_reactor(journal.append, {'kind': 'start'})
    assert inside.wait(30)
    position = on_reactor(journal.position)
    swapped = threading.Event()

    def swap():
        journal.append({'kind': 'kept'})
        done = journal.continue_anew({'kind': 'start', 'snapshot': 'new'}, position)
        done.addCallback(lambda replaced: (order.append('swapped'), swapped.set()))
    on_reactor(swap)
    swapped.wait(30)
    release.set()
    _wait(lambda: len(order) == 2)
    assert order == ['swapped', 'synced']
    _wait(lambda: on_reactor(lambda: not journal._retired))    # closed once synced
    assert [header['kind'] for _, header in _records(tmp_path / 'journal')] == ['start', 'kept']
    journal.close()


def test_the_threshold_flag():
    assert parse_args(['-state-compact', '500']).state_compact == 500
    assert parse_args([]).state_compact == persistence.COMPACT_AT
    with pytest.raises(UsageError, match='state-compact'):
        parse_args(['-state-compact', '-1'])


# -- a real process, killed at each step of a live compaction ------------------------
# `python3 -m vimsim`, dying (as SIGKILL would: no cleanup) at the step argv[1]
# names of its first live compaction that replaces a snapshot: while the
# compactor runs; once it has made its snapshot; once the snapshot is in the
# directory; once the new journal's head is written and synced; once the new
# journal has replaced the old (the old snapshot not yet removed).
LIVE_COMPACTING = """
import os, sys
from vimsim.state import journal, live_compaction
LiveCompaction = live_compaction.LiveCompaction
cls, name = {'compactor-running': (LiveCompaction, '_poll'),
             'snapshot-made': (LiveCompaction, '_adopt'),
             'snapshot-moved': (journal.Journal, 'continue_anew'),
             'head-copied': (journal.Journal, '_copy_rest'),
             'journal-replaced': (LiveCompaction, '_switched')}[sys.argv[1]]
armed = []
def dying(step):
    def at_step(*args, **kwargs):
        if armed:
            os._exit(9)
        return step(*args, **kwargs)
    return at_step
setattr(cls, name, dying(getattr(cls, name)))
start = LiveCompaction.start
def arming(self):
    if self.persistence.snapshot:
        armed.append(True)
    start(self)
LiveCompaction.start = arming
sys.argv = ['vimsim'] + sys.argv[2:]
from vimsim.cli import main
main()
"""
CRASHES = ('compactor-running', 'snapshot-moved', 'head-copied', 'journal-replaced')
COMPACT_EVERY = 30


def _spawn(directory, log, crash=None):
    """`python3 -m vimsim -state DIR -state-compact 30` on a free port,
    dying at the compaction step `crash`: (process, port)."""
    command = ['-m', 'vimsim'] if crash is None else ['-c', LIVE_COMPACTING, crash]
    return _serving(command, directory, log, ['-state-compact', str(COMPACT_EVERY)])


def _compactors(directory):
    """The pids of compactor processes working for `directory`."""
    found = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as cmdline:
                argv = cmdline.read().split(b'\0')
        except OSError:
            continue
        if b'vimsim.compactor' in argv and os.fsencode(str(directory)) in argv:
            found.append(int(pid))
    return found


def _checked(stream, port):
    """Connected to the server at `port`, which is checked to serve what the
    stream's acknowledged changes left: (si, folder, pool)."""
    si = SmartConnect(protocol='http', host='127.0.0.1', port=port, user='user', pwd='pass')
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    pool = next(e for e in dc.hostFolder.childEntity
                if isinstance(e, vim.ClusterComputeResource)).resourcePool
    _check(stream, _served(si))
    return si, dc.vmFolder, pool


def _mutate_until_compacted(stream, port, directory):
    """Run the stream's mutations until a live compaction has replaced the
    snapshot the journal names now; then check what is served."""
    kept = _named_snapshot(directory)
    si, folder, pool = _checked(stream, port)
    done = threading.Event()
    watcher = threading.Thread(target=_watch_compaction, args=(directory, kept, done))
    watcher.start()
    try:
        stream.run(si, folder, pool, until=done)
    finally:
        done.set()
        watcher.join()
    assert _named_snapshot(directory) != kept, 'no live compaction'
    _check(stream, _served(si))


def test_sigkill_at_every_step_of_a_live_compaction(tmp_path):
    """A stream of VM mutations by pyVmomi, compacting the journal live
    (every 30 records); the server dies at each step of a live compaction in
    turn (CRASHES) and is started again: every acknowledged change is there
    and nothing half applied, the compactor does not outlive the server, and
    live compactions go on (each crash is in a compaction after a restart).
    Bounded: about 60 s."""
    directory = tmp_path / 'state'
    log_path = tmp_path / 'stderr'
    stream = Stream(seed=int(time.time()))
    with open(log_path, 'ab') as log:
        process, port = _spawn(directory, log)
        try:
            _mutate_until_compacted(stream, port, directory)
        finally:
            process.kill()
            process.wait()
        for crash in CRASHES:
            process, port = _spawn(directory, log, crash)
            killer = threading.Timer(60, os.kill, (process.pid, signal.SIGKILL))  # a fallback
            killer.start()
            try:
                with pytest.raises(DOWN):
                    stream.run(*_checked(stream, port))
            finally:
                killer.cancel()
                process.kill()
            assert process.wait() == 9, '%s: the crash point was not reached' % crash
            _wait(lambda: not _compactors(directory), 10)     # it ends with the server
        process, port = _spawn(directory, log)
        try:
            _checked(stream, port)
        finally:
            process.kill()
            process.wait()
    text = log_path.read_text()
    assert 'does not replay' not in text and 'differently' not in text, text
    assert 'not compacted' not in text and 'Traceback' not in text, text
    assert len(_snapshots(directory)) == 1 and stream.created > 2


def _named_snapshot(directory):
    """The snapshot the journal's start record names."""
    with open(directory / 'journal', 'rb') as journal:
        length, _ = FRAME.unpack(journal.read(FRAME.size))
        return json.loads(journal.read(length).partition(b'\n')[0]).get('snapshot')


def _watch_compaction(directory, kept, done):
    """Set `done` once a live compaction has replaced the snapshot `kept`."""
    deadline = time.monotonic() + 60
    while not done.is_set() and time.monotonic() < deadline:
        if _named_snapshot(directory) != kept:
            done.set()
        time.sleep(0.05)
