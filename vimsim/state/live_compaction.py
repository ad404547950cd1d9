"""Compacting a live simulator's journal, without stopping it.

The running model holds what no snapshot may carry (sessions, reactor
timers, tasks under way, Deferreds), and the model a restart would rebuild
is not quite the live one anyway (sessions end, a replayed call runs in its
user's replay session). So the live model is never pickled: a compaction
replays the journal as it stands, up to a record boundary, in a process of
its own, exactly as a start does, and keeps what that start's compaction
snapshots. The snapshot is then by construction what a replay of the whole
journal gives (same moids, uuids, keys, task history and times), and the
serving process goes on meanwhile: it only copies the records appended
since into the new journal (in a thread, then the last few on the reactor)
and swaps the files.

Steps, each crash-safe (a SIGKILL anywhere leaves the old journal with its
snapshot, or the new journal with its new snapshot, each whole):
1. the compactor (`python3 -m vimsim.compactor`) copies the
   journal's first bytes and links its snapshot into DIR/compaction, starts
   a simulator there (its start compacts) and reports the new snapshot;
   it ends when the serving process does (its stdin closes);
2. the serving process moves the snapshot into DIR (rename, directory fsync);
3. the journal is replaced by one whose start record names the snapshot,
   followed by the records appended from the compacted point on
   (Journal.continue_anew);
4. the older snapshot and DIR/compaction are removed (a start removes what
   a crash left of them).
"""
import dataclasses
import json
import logging
import os
import pickle
import shutil
import subprocess
import sys

from twisted.internet import task, threads

from vimsim.state import snapshot
from vimsim.state.journal import sync_directory

log = logging.getLogger(__name__)

SCRATCH = 'compaction'      # DIR/compaction: the compactor's -state directory
RESULT = 'result.json'      # what the compactor made, in its directory
LOG = 'compactor.log'       # its stderr
POLL_SECONDS = 0.1          # how often the serving process looks for its end
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class LiveCompaction:
    """One compaction of `persistence`'s journal, up to where it is now."""

    def __init__(self, persistence):
        self.persistence = persistence
        self.position = persistence.journal.position()   # (bytes, records) compacted
        self.scratch = os.path.join(persistence.directory, SCRATCH)
        self.process = None
        self._poller = None
        self.outcome = None       # once over: the snapshot made, or why none was

    def start(self):
        """Start the compactor (on the reactor)."""
        persistence = self.persistence
        shutil.rmtree(self.scratch, ignore_errors=True)
        os.makedirs(self.scratch)
        options = dataclasses.replace(persistence.server.options, state=self.scratch,
                                      state_compact=0)
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [PACKAGE_ROOT] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]))
        with open(os.path.join(self.scratch, LOG), 'wb') as stderr:
            self.process = subprocess.Popen(
                [sys.executable, '-m', 'vimsim.compactor', persistence.directory,
                 persistence.snapshot or '', str(self.position[0])],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr,
                env=environment)     # in this process's directory: relative flags hold
        self.process.stdin.write(pickle.dumps(options))
        self.process.stdin.flush()
        self._poller = task.LoopingCall(self._poll)
        self._poller.start(POLL_SECONDS, now=False)

    def _poll(self):
        if self.process.poll() is None:
            return
        self._poller.stop()
        self.process.stdin.close()
        try:
            with open(os.path.join(self.scratch, RESULT)) as result:
                made = json.load(result)['snapshot']
        except (OSError, ValueError, KeyError):
            made = None
        if made is None:
            with open(os.path.join(self.scratch, LOG), 'rb') as stderr:
                said = stderr.read()[-2000:].decode('utf-8', 'replace').strip()
            self._over('not compacted: the compactor exited with %s%s' % (
                self.process.returncode, ': ' + said if said else ''))
            return
        self._adopt(made)

    def _adopt(self, name):
        """The compactor's snapshot into DIR, then the journal that names it."""
        persistence = self.persistence
        try:
            os.rename(os.path.join(self.scratch, name),
                      os.path.join(persistence.directory, name))
            sync_directory(persistence.directory)
        except OSError as error:
            self._over('not compacted: %s' % error)
            return
        header = dict(persistence._start_header, snapshot=name)
        switched = persistence.journal.continue_anew(header, self.position)
        switched.addCallbacks(self._switched, self._failed, callbackArgs=(name,))

    def _switched(self, replaced, name):
        if not replaced:     # the journal closed meanwhile
            self._over('not compacted: the journal closed')
            return
        self.persistence.snapshot = name
        self._over(name)

    def _failed(self, failure):
        self._over('not compacted: %s' % failure.getErrorMessage())

    def _over(self, outcome):
        """Remove what is left over (in a thread: unlinking a big snapshot
        takes a while), then report."""
        self.outcome = outcome
        cleaned = threads.deferToThread(self._remove_leftovers)
        cleaned.addErrback(lambda failure: log.warning('%s: %s', self.scratch, failure.value))
        cleaned.addCallback(lambda _: self.persistence.compaction_over(self))

    def _remove_leftovers(self):
        shutil.rmtree(self.scratch, ignore_errors=True)
        if self.compacted:
            snapshot.remove_others(self.persistence.directory, self.outcome)

    @property
    def compacted(self):
        return self.outcome is not None and self.outcome.startswith(snapshot.PREFIX)

    def abort(self):
        """The simulator closes: the compactor ends, its directory goes."""
        if self._poller is not None and self._poller.running:
            self._poller.stop()
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            self.process.wait()
            self.process.stdin.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
