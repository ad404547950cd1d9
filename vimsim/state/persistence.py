"""-state DIR: the simulator's state survives restarts and crashes.

A journal (journal.py, `DIR/journal`) records in order whatever changed what
the simulator keeps; each start builds the inventory the same flags build and
brings it forward by replaying the journal. Its records:

- start: the inventory flags and the time of the first start. Every later
  start builds the inventory under that time, and refuses other flags.
- call: an API call that may change what vCenter keeps, as it was received
  (the request body as sent), with its API version, the caller's user name
  and the time.
- step: a model timer that fired (`Simulator.time`: a task begins, makes
  progress or ends; a guest finishes shutting down; finished tasks are swept),
  by its sequence number.
- event: an event that no journaled call or step posted (logins, logouts,
  expired sessions), by value.
- file: a change /folder made to a datastore's files (an upload, whose
  content is kept as DIR/uploads/N, a hard link of the uploaded file, or a
  deletion); the datastores' files themselves (DIR/datastores) are rebuilt
  by the replay at every start.
- reset: `Simulator.reset` (the pytest plugin's per-test reset) brought the
  inventory back to what the flags build; replay does the same there.
- rest: a vAPI call (vimsim/rest) that may change what is kept: its service,
  operation and arguments (`protocol.journal_body`), the user and the time.
- pbm: a PBM call (vimsim/pbm) that may change what is kept, as a call record
  (its request body, PBM's API version, the user, the time).
- vslm: a vslm call (vimsim/vslm) that may change disks, recorded as PBM's are.
- vsan: a call of vSAN's service (vimsim/vsan) that may change the model, likewise.
- lookup: a change of the lookup service's registrations (vimsim/lookup), likewise.

A record runs under its own time, live and replayed (`clock.frozen`), and
notes the model's id counters; replay raises each counter past the ids that
calls it does not replay used up meanwhile (a view's uuid, a faulted call's
moid). So replay gives the same moids, uuids, keys and times, and a step runs
exactly where it ran among the calls.

A call is journaled unless it cannot change what vCenter keeps:
- a read, by the API's own naming (Retrieve*, Query*, Find*, Has*, ...); a
  *_Task method never is one, since its task stays in the task history;
- session state, which a restart ends as a vCenter restart does: the
  PropertyCollector's methods, the SessionManager's (but for
  UpdateServiceMessage), methods of session-held objects, and calls that
  answer a new session-held object (CreateContainerView, ...);
- a call that answered a fault: by vCenter's rule it changed nothing.

A start that replays COMPACT_AT records or more compacts the journal: the
model as replayed goes into a snapshot (snapshot.py) that the new journal's
start record names; later starts load it and replay the tail. A live
journal that reaches `-state-compact` records is compacted while the
simulator serves on, by a replay in another process (live_compaction.py).

No answer leaves before the records it may reflect are on disk
(`acknowledge`); one sync, in a thread, covers every record appended since
the last, so concurrent clients share it.
"""
import contextlib
import logging
import os
import re
import shutil
import time

from lxml import etree
from twisted.internet import defer, reactor

from vimsim import clock
from vimsim.managed.base import Context, ManagedObject
from vimsim.managed.service.session_manager import Session
from vimsim.managed.storage.datastore_files import apply_recorded
from vimsim.rest.errors import VapiError
from vimsim.lookup.endpoint import replay as replay_lookup
from vimsim.pbm.endpoint import replay as replay_pbm
from vimsim.vslm.endpoint import replay as replay_vslm
from vimsim.vsan.endpoint import replay as replay_vsan
from vimsim.rest.protocol import replay as replay_rest
from vimsim.soap import encode
from vimsim.soap.fault import fault
from vimsim.state import snapshot
from vimsim.state.journal import Journal
from vimsim.state.live_compaction import SCRATCH, LiveCompaction

log = logging.getLogger(__name__)

FORMAT = 1
JOURNAL_NAME = 'journal'
UPLOADS = 'uploads'       # DIR/uploads/N: the content of upload N
READ = re.compile(r'(Retrieve|Query|Find|Has|Fetch|Lookup|Get|Is|Check|Validate|Read|List'
                  r'|Browse|Estimate|Compute|Recommend|CurrentTime)([A-Z]|$)')
XSI = 'http://www.w3.org/2001/XMLSchema-instance'
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
REPLAYING = 'replaying'   # the context while the inventory is built or the journal replays
STEP = 'step'             # the context while a live model timer runs
MAX_WARNINGS = 20
COMPACT_AT = 20000        # records replayed at a start past which it compacts the journal


class StateError(RuntimeError):
    """The -state directory cannot serve this simulator."""


def model_flags(options):
    """The flags that decide the inventory a journal replays against."""
    flags = dict(options.model_counts())
    flags.update(esx=bool(options.esx), load=options.load, api_version=options.api_version)
    return flags


class Persistence:
    """The journal of one Simulator: records live changes, replays them at start."""

    def __init__(self, server, directory):
        self.server = server
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self.journal = Journal(os.path.join(directory, JOURNAL_NAME))
        self.uploads = os.path.join(directory, UPLOADS)
        self._records = self.journal.records()
        self._context = None       # None, REPLAYING, STEP, or the events a live call posted
        self._last_step = 0        # sequence number of the last model timer set
        self._pending = {}         # while replaying: sequence number -> PendingStep
        self._sessions = {}        # user name -> the Session replayed calls run in
        self._may_change = {}      # (type, method) -> whether a call may change kept state
        self.replayed = 0          # records replayed at start
        self.replay_seconds = 0.0
        self.divergences = 0       # records that did not replay as they ran
        self._start_header = None  # the journal's start record
        self.snapshot = None       # the name of the snapshot the journal continues
        self._files_journaled = False  # whether a record changed datastore files
        self.compact_every = server.options.state_compact   # records; 0: only at a start
        self._compact_after = self.compact_every   # records in the journal that start one
        self.compaction = None         # the LiveCompaction under way
        self._live_timers = {}         # sequence number -> (DelayedCall, function), unfired
        self.live_compactions = 0      # done since the start

    # -- start ---------------------------------------------------------------------
    @contextlib.contextmanager
    def genesis(self):
        """Build the inventory inside this: under the time of the first start."""
        try:
            started = self._start_time()
            with self._within(REPLAYING), clock.frozen(started):
                yield
        except BaseException:
            self.journal.close()
            raise

    def _start_time(self):
        """The time of the first start, from the start record (written now
        for a new journal), once its inventory flags are found to be ours."""
        model = model_flags(self.server.options)
        first = next(self._records, None)
        if first is None:
            self._start_header = {'kind': 'start', 'format': FORMAT,
                                  't': clock.microseconds(), 'model': model}
            self._append(self._start_header)
            return self._start_header['t']
        header = self._start_header = first[0]
        if header.get('kind') != 'start' or header.get('format') != FORMAT:
            raise StateError('%s is not a vimsim journal of format %d' % (
                self.journal.path, FORMAT))
        if header['model'] != model:
            differ = ', '.join('%s %r (now %r)' % (name, value, model.get(name))
                               for name, value in sorted(header['model'].items())
                               if model.get(name) != value)
            raise StateError('%s was written by a simulator started with %s; start with '
                             'the same inventory flags or use another -state directory'
                             % (self.journal.path, differ))
        self.snapshot = header.get('snapshot')
        snapshot.remove_others(self.directory, self.snapshot)   # a compaction's leftovers
        shutil.rmtree(os.path.join(self.directory, SCRATCH), ignore_errors=True)
        return header['t']

    def restore(self):
        """In place of building the inventory (within `genesis`): load the
        snapshot the journal continues; whether there is one."""
        if self.snapshot is None:
            return False
        with open(os.path.join(self.directory, self.snapshot), 'rb') as source:
            state = snapshot.loads(self.server, source.read())
        for name, value in state['model'].items():
            setattr(self.server, name, value)
        self._last_step = state['last_step']
        self._pending = state['pending']
        self._sessions = state['sessions']
        for step in self._pending.values():
            self.server.time.adopt(step)
        return True

    def compact(self):
        """Snapshot the model as replayed and begin the journal anew from it
        (at a start, when no session is live). Crash-safe at every step: the
        snapshot is whole under a new name before the journal that names it
        replaces the old one, and the old snapshot goes only after. Not done
        while datastore files are the journal's to rebuild (an upload, or
        files written out), nor when the model cannot be pickled (logged);
        whether it was done."""
        files = getattr(self.server, 'datastore_namespace', None)
        if self._files_journaled or (files is not None and files.materialized):
            log.info('%s: not compacted: the journal rebuilds datastore files',
                     self.journal.path)
            return False
        frame = self.server._frame | snapshot.NOT_KEPT
        state = {'model': {name: value for name, value in vars(self.server).items()
                           if name not in frame},
                 'last_step': self._last_step, 'pending': self._pending,
                 'sessions': self._sessions}
        try:
            data = snapshot.dumps(self.server, state)
        except snapshot.Unsnapshotable as error:
            log.warning('%s: not compacted: %s', self.journal.path, error)
            return False
        name = '%s%d-%s' % (snapshot.PREFIX, clock.microseconds(), os.urandom(4).hex())
        snapshot.write_atomically(self.directory, name, data)
        self.journal.begin_anew(dict(self._start_header, snapshot=name))
        snapshot.remove_others(self.directory, name)
        self.snapshot = name
        return True

    def replay(self):
        """Replay every record after the start one, then set going the model
        timers that had not fired when the journal ends (a task acknowledged
        but not yet run completes now)."""
        began = time.monotonic()
        with self._within(REPLAYING):
            for header, body in self._records:
                self.replayed += 1
                self._raise_ids(header)
                with clock.frozen(header['t']):
                    self._replay(header, body)
        if self.replayed >= COMPACT_AT:
            self.compact()
        pending, self._pending = self._pending, {}
        for seq in sorted(pending):
            pending[seq].start()
            self._live_timers[seq] = (pending[seq].delayed, pending[seq].function)
        self.replay_seconds = time.monotonic() - began
        self._compact_when_due()

    # -- live compaction ------------------------------------------------------------
    def _append(self, header, body=b''):
        self.journal.append(header, body)
        self._compact_when_due()

    def _compact_when_due(self):
        """Begin a live compaction (on the next reactor turn) once the journal
        holds `compact_every` records, at the first quiet moment after (see
        `_quiet`), unless one is under way or datastore files are the
        journal's to rebuild (the snapshot does not hold them)."""
        if (not self.compact_every or self.compaction is not None
                or self._context is not None
                or self.journal.records_in_file < self._compact_after or not self._quiet()):
            return
        files = getattr(self.server, 'datastore_namespace', None)
        if self._files_journaled or (files is not None and files.materialized):
            log.info('%s: not compacted while running: the journal rebuilds datastore '
                     'files', self.journal.path)
            self._compact_after = self.journal.records_in_file + self.compact_every
            return
        self.compaction = LiveCompaction(self)
        reactor.callLater(0, self.compaction.start)

    def _quiet(self):
        """Whether the model, as a replay up to here leaves it, is one a
        snapshot can carry: no model work under way, no task in flight (its
        work is a closure) and no timer of a closure; a compaction waits
        for such a moment (between a stream's tasks, say)."""
        if not self.server.time.settled():
            return False
        for seq, (delayed, function) in list(self._live_timers.items()):
            if not delayed.active():
                del self._live_timers[seq]
            elif (getattr(getattr(function, '__self__', None), 'type_name', None) == 'Task'
                  or '<locals>' in getattr(function, '__qualname__', '<locals>')):
                return False
        return True

    def compaction_over(self, compaction):
        """LiveCompaction's report: the next one is due `compact_every`
        records after the snapshot, or after this attempt when it made none."""
        self.compaction = None
        if compaction.compacted:
            self.live_compactions += 1
            self._compact_after = self.compact_every
        else:
            log.warning('%s: %s', self.journal.path, compaction.outcome)
            self._compact_after = self.journal.records_in_file + self.compact_every

    def _replay(self, header, body):
        kind = header['kind']
        try:
            if kind == 'call':
                self._replay_call(header, body)
            elif kind == 'step':
                step = self._pending.pop(header['seq'], None)
                if step is None:
                    self._diverged(header, 'no such timer was set')
                else:
                    step.function(*step.args)
            elif kind == 'file':
                self._files_journaled = True
                content = header.get('content')
                apply_recorded(self.server, header['datastore'], header['path'],
                               os.path.join(self.uploads, content) if content else None)
            elif kind == 'rest':
                replay_rest(self.server, self._session(header['user']), body)
            elif kind == 'pbm':
                replay_pbm(self.server, self._session(header['user']), header['version'], body)
            elif kind == 'vslm':
                replay_vslm(self.server, self._session(header['user']), header['version'], body)
            elif kind == 'vsan':
                replay_vsan(self.server, self._session(header['user']), header['version'], body)
            elif kind == 'lookup':
                replay_lookup(self.server, None, header['version'], body)
            elif kind == 'event':
                event = self._decode_event(body)
                self.server.event_manager.post_event(event, user=event.userName,
                                                     chain_id=event.chainId)
            elif kind == 'reset':
                self._forget_model()
                self.server._build_model()
            else:
                self._diverged(header, 'unknown record')
        except self.server.schema.types['MethodFault'].cls as error:
            self._diverged(header, 'it answers %s' % error._type.name)
        except VapiError as error:
            self._diverged(header, 'it answers %s' % error.name)
        except Exception as error:
            log.exception('replaying %s', header)
            self._diverged(header, 'internal error %r' % error)

    def _replay_call(self, header, body):
        endpoint = self.server.endpoint
        version = self.server.schema.version(header['version'])
        call = endpoint.decoder(version).decode(body)
        ctx = Context(self.server, self._session(header['user']), version)
        target = self.server.objects.resolve(call.this)
        _, method, args = endpoint.bind(ctx, target, call)
        method(ctx, **args)

    def _session(self, user):
        """The session replayed calls of `user` run in (no session: anonymous)."""
        if user is None:
            return None
        session = self._sessions.get(user)
        if session is None:
            session = self._sessions[user] = Session(user, None, None, None, self.server)
        return session

    def _diverged(self, header, reason):
        self.divergences += 1
        if self.divergences <= MAX_WARNINGS:
            log.warning('%s: record %d (%s) does not replay as it ran: %s',
                        self.journal.path, self.replayed, header['kind'], reason)

    # -- id counters ---------------------------------------------------------------
    def _counters(self):
        """(owner, attribute) of each of the model's id counters; each only grows."""
        server = self.server
        return ((server.objects, 'last_id'), (server, '_uuid_counter'),
                (server, '_esx_vm_counter'), (getattr(server, 'event_manager', None), '_last_key'),
                (getattr(server, 'task_manager', None), '_serial'), (self, '_last_step'))

    def _ids(self):
        return [getattr(owner, name) if owner is not None else 0
                for owner, name in self._counters()]

    def _raise_ids(self, header):
        for (owner, name), recorded in zip(self._counters(), header['ids']):
            if owner is None:
                continue
            current = getattr(owner, name)
            if current < recorded:
                setattr(owner, name, recorded)
            elif current > recorded:
                self._diverged(header, 'replay used more ids (%s %d, recorded %d)' % (
                    name, current, recorded))

    # -- live calls -----------------------------------------------------------------
    def journaled(self, obj, operation, method):
        """The handler to run for a call of `operation` on `obj`: `method`
        itself, or, when the call may change what is kept, `method` journaled."""
        if not self._changes_kept(obj, operation.name):
            return method

        def journaled_call(ctx, **args):
            return self._run_call(ctx, method, args)
        return journaled_call

    def _changes_kept(self, obj, name):
        if isinstance(getattr(obj, 'owner', None), Session):
            return False
        key = (obj.type_name, name)
        kept = self._may_change.get(key)
        if kept is None:
            managed = self.server.schema.managed[obj.type_name]
            if name.endswith('_Task'):
                kept = True
            elif READ.match(name) or managed.is_a('PropertyCollector'):
                kept = False
            elif managed.is_a('SessionManager'):
                kept = name == 'UpdateServiceMessage'
            else:
                kept = True
            self._may_change[key] = kept
        return kept

    def _run_call(self, ctx, method, args):
        return self.run_journaled(ctx, lambda: method(ctx, **args), 'call', ctx.request.body)

    def run_journaled(self, ctx, run, kind, body, schema=None):
        """run(), journaled as a record of `kind` holding `body` (bytes) once
        it has answered (a vim fault or a vAPI error: nothing is kept);
        `schema`: the API whose version `ctx.version` is (vim25's by default)."""
        if self.journal.failure is not None:
            raise unwritable(self.journal.failure)
        at = clock.microseconds()
        ids = self._ids()
        user = ctx.session.user if ctx.session is not None else None
        posted = []
        kept = False
        try:
            with self._within(posted), clock.frozen(at):
                result = run()
            if not _session_held(result):
                try:
                    self._append(
                        {'kind': kind, 't': at, 'ids': ids, 'user': user,
                         'version': (schema or self.server.schema).version_name(ctx.version)},
                        body)
                except OSError as error:
                    raise unwritable(error) from None
                kept = True
            return result
        finally:
            if not kept:     # its events are kept all the same
                for event in posted:
                    self._append_event(event)

    def acknowledge(self, response):
        """`response` (an HttpResponse, or a Deferred of one), held back until
        every record it may reflect is on disk."""
        if isinstance(response, defer.Deferred):
            response.addCallback(self.journal.when_durable)
        else:
            response = self.journal.when_durable(response)
        if isinstance(response, defer.Deferred):
            response.addErrback(self._unwritable_answer)
        return response

    def _unwritable_answer(self, failure):
        failure.trap(OSError)
        endpoint = self.server.endpoint
        return endpoint._fault(encode.encoder_for(self.server.schema, endpoint.api_version),
                               unwritable(failure.value))

    # -- datastore files -----------------------------------------------------------
    def file_changed(self, response, ds, relative, uploaded=None):
        """Journal a /folder change: `uploaded` (the file now at `relative`
        on `ds`, kept by a hard link) or, without it, a deletion. Returns
        `response` once the record is durable (a Deferred until then)."""
        header = {'kind': 'file', 't': clock.microseconds(), 'ids': self._ids(),
                  'datastore': ds.ref.value, 'path': relative}
        if uploaded is not None:
            os.makedirs(self.uploads, exist_ok=True)
            header['content'] = '%d-%s' % (header['t'], os.urandom(4).hex())
            os.link(uploaded, os.path.join(self.uploads, header['content']))
        self._files_journaled = True
        self._append(header)
        return self.journal.when_durable(response)

    # -- events --------------------------------------------------------------------
    def event_posted(self, event):
        """EventManager's hook: journal an event no journaled record posts."""
        context = self._context
        if context is None:
            self._append_event(event)
        elif isinstance(context, list):    # a live call: kept with it, or by itself
            context.append(event)

    def _append_event(self, event):
        out = ['<journal xmlns="urn:vim25" xmlns:xsi="%s">' % XSI]
        encoder = encode.encoder_for(self.server.schema, self.server.endpoint.api_version)
        encoder.data_object(out, 'event', event, 'Event')
        out.append('</journal>')
        try:
            self._append({'kind': 'event', 't': clock.microseconds_of(event.createdTime),
                                 'ids': self._ids()}, ''.join(out).encode('utf-8'))
        except OSError:
            pass     # logged; from now on every answer says the journal cannot be written

    def _decode_event(self, body):
        element = etree.fromstring(body, _PARSER)[0]
        endpoint = self.server.endpoint
        return endpoint.decoder(endpoint.api_version).value(element, 'Event')

    # -- reset ---------------------------------------------------------------------
    def reset(self, rebuild):
        """Simulator.reset with -state: journaled, then `rebuild()` under the
        record's time, as replay runs it; what the inventory build posts or
        sets is the build's, so not journaled apart (its timers are steps)."""
        at = clock.microseconds()
        try:
            self._append({'kind': 'reset', 't': at, 'ids': self._ids()})
        except OSError as error:
            raise unwritable(error) from None
        self._forget_model()
        with self._within(STEP), clock.frozen(at):
            rebuild()

    def _forget_model(self):
        """What replay holds of the model a reset drops: its timers and sessions."""
        self._pending.clear()
        self._sessions.clear()

    # -- model timers ---------------------------------------------------------------
    def later(self, seconds, function, *args):
        """Simulator.time.callLater with -state: a timer whose firing is journaled (and,
        while replaying, one that fires when its record comes)."""
        self._last_step += 1
        seq = self._last_step
        if self._context is REPLAYING:
            step = PendingStep(self, seq, function, args,
                               clock.microseconds() + round(seconds * 1e6))
            self._pending[seq] = step
            return step
        delayed = reactor.callLater(seconds, self._fire, seq, function, args)
        self._live_timers[seq] = (delayed, function)
        return delayed

    def _fire(self, seq, function, args):
        self._live_timers.pop(seq, None)
        at = clock.microseconds()
        try:
            self.journal.append({'kind': 'step', 'seq': seq, 't': at, 'ids': self._ids()})
        except OSError:
            return   # logged; nothing may change any more
        with self._within(STEP), clock.frozen(at):
            function(*args)
        self._compact_when_due()     # a task may have ended: a quiet moment

    @contextlib.contextmanager
    def _within(self, context):
        outer, self._context = self._context, context
        try:
            yield
        finally:
            self._context = outer

    def close(self):
        if self.compaction is not None:
            self.compaction.abort()
            self.compaction = None
        self.journal.close()


class PendingStep:
    """A model timer set while replaying: it fires when its step record comes,
    or, when the journal ends first, on the reactor once it is due (at once if
    it was due before the restart). Answers `active`, `cancel` and `getTime`
    as the DelayedCall it stands for."""

    def __init__(self, owner, seq, function, args, due):
        self.owner = owner
        self.seq = seq
        self.function = function
        self.args = args
        self.due = due            # microseconds since the epoch
        self.delayed = None       # the DelayedCall once started after replay

    def active(self):
        if self.delayed is not None:
            return self.delayed.active()
        return self.seq in self.owner._pending

    def cancel(self):
        if self.delayed is not None:
            self.delayed.cancel()
        else:
            self.owner._pending.pop(self.seq, None)

    def getTime(self):
        return self.delayed.getTime() if self.delayed is not None else self.due / 1e6

    def start(self):
        delay = max(0, self.due - clock.microseconds()) / 1e6
        self.delayed = reactor.callLater(delay, self.owner._fire, self.seq, self.function,
                                         self.args)


def _session_held(result):
    return isinstance(result, ManagedObject) and isinstance(getattr(result, 'owner', None),
                                                            Session)


def unwritable(error):
    return fault('SystemError', 'A general system error occurred: the state journal '
                 'cannot be written (%s)' % error, reason=str(error))
