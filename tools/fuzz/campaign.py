"""A fuzz campaign: generated requests over raw HTTP, judged, grouped, shrunk.

Each call `i` of worker `w` draws from `random.Random('seed:w:i')`: which
operation (every operation of the schema and Fetch; one the server answered
`NotImplemented` is drawn 100 times less often, one whose `_this` type has no
live object 30 times less often), the request (see generator), the session
(one of a few logged-in sessions, none, or a bogus cookie) and the SOAPAction
version (the newest, an older one, none or a bad one). With one worker and a
fresh simulator started with the same flags, a seed and a count reproduce a
run.

MoRefs and texts for arguments come from the answers (`Pools.harvest`) and
from a survey: every property of every known object, at the start and every
`SURVEY_EVERY` calls. Tasks the calls started are read back later: a task that
ended in `SystemError` is an internal error too.

Every problem goes under a signature (`signature`); the first request of each
signature is shrunk (elements and text taken away while the signature stays)
and printed as the reproducer. The model's invariants (tests/invariants.py,
through the API) are checked at the end, and every `--check-every` calls.

Nothing is excluded: every operation is drawn, destructive ones included
(Destroy_Task of a datacenter, ShutdownHost_Task, Logout, TerminateSession of
the campaign's own sessions): the inventory may shrink, sessions are logged
in again when the server says NotAuthenticated.
"""
import argparse
import http.client
import random
import re
import socket
import subprocess
import sys
import threading
import time
from xml.sax.saxutils import escape

from lxml import etree

from bench.rawsoap import start_server
from vimsim import schema as schema_module
from tools.fuzz.generator import FETCH, MOREF, Generator, Node, Pools, Request
from tools.fuzz.probes import StderrProbe
from tools.fuzz.verdict import judge, traceback_signature

SURVEY_EVERY = 500
TASK_CHECK_EVERY = 50
SESSIONS = 3
CALL_TIMEOUT = 30.0     # seconds before a call that is not a wait is a hang
WAIT_TIMEOUT = 3.0      # a wait for updates may block this long: then abandoned
WAITS = ('WaitForUpdates', 'WaitForUpdatesEx')   # block until something changes, by design
NOT_IMPLEMENTED_WEIGHT = 1 / 100
NO_OBJECT_WEIGHT = 1 / 30
SHRINK_BUDGET = 120     # calls spent shrinking one failure
LOG_LATENCY = 1.0       # seconds an internal error's traceback may take to reach a probe
BOGUS_COOKIE = 'vmware_soap_session="0123456789abcdef0123456789abcdef01234567"'


class CallError(Exception):
    """No answer: the connection dropped or the call timed out."""


class Client:
    """One keep-alive HTTP connection to /sdk (reconnects after an error)."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.connection = None

    def post(self, body, cookie=None, soap_action='urn:vim25/9.1.1.0', timeout=CALL_TIMEOUT):
        """(status, headers, body) of a POST /sdk; CallError without an answer."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        self.connection.timeout = timeout
        if self.connection.sock is not None:
            self.connection.sock.settimeout(timeout)
        headers = {'Content-Type': 'text/xml; charset=utf-8'}
        if soap_action is not None:
            headers['SOAPAction'] = '"%s"' % soap_action
        if cookie:
            headers['Cookie'] = cookie
        try:
            self.connection.request('POST', '/sdk', body, headers)
            response = self.connection.getresponse()
            data = response.read()
        except socket.timeout:
            self.close()
            raise CallError('timeout') from None
        except (http.client.HTTPException, OSError) as error:
            self.close()
            raise CallError('dropped: %s' % type(error).__name__) from None
        answer_headers = {k.lower(): v for k, v in response.getheaders()}
        if answer_headers.get('connection', '').lower() == 'close':
            self.close()
        return response.status, answer_headers, data

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class Failure:
    """Every problem of one signature: how often, on which operations, the
    first request (shrunk into the reproducer) and how it was sent."""

    def __init__(self, signature, detail, index, request, mode, soap_action):
        self.signature = signature
        self.detail = detail
        self.count = 0
        self.first = index
        self.operations = set()
        self.request = request
        self.mode = mode
        self.soap_action = soap_action
        self.reproducer = None    # the shrunk Request

    def describe(self):
        request = self.reproducer or self.request
        envelope = request.envelope()
        shown = envelope if len(envelope) <= 4000 else envelope[:4000] + b'... (%d bytes)' % len(
            envelope)
        return '\n'.join([
            '%s  x%d  first at call %d' % (' | '.join(self.signature), self.count, self.first),
            '  detail: %s' % self.detail,
            '  operations: %s' % ', '.join(sorted(self.operations)[:12]),
            '  mutations: %s' % (', '.join(self.request.mutations()) or 'none'),
            '  mutations in the reproducer: %s' % (', '.join(request.mutations()) or 'none'),
            '  reproducer: POST /sdk, SOAPAction: %s, %s' % (
                self.soap_action and '"%s"' % self.soap_action or '(none)', {
                    'session': 'with a logged-in session cookie',
                    'none': 'without a session cookie',
                    'bogus': 'with an unknown session cookie'}[self.mode]),
            '  ' + shown.decode('utf-8', 'replace')])


HUB_FLUSH = 'vimsim/managed/service/updates.py:flush'
ENDPOINT = 'vimsim/server/endpoint.py:'
CODEC = ('vimsim/soap/decode.py:', 'vimsim/soap/encode.py:')


def signature(kind, detail, operation, traceback=None):
    """The defect a problem belongs to: a traceback by its exception and
    innermost vimsim frame, except that whatever escapes the change hub's
    flush (a timer) is one defect; an accepted invalid request by its
    mutation kind; a schema error by the answer, the element and the error;
    anything else by kind and operation."""
    if traceback is not None:
        exception, innermost, entry = traceback
        if entry == HUB_FLUSH:
            return (kind, HUB_FLUSH)
        return (kind, exception, innermost)
    if kind == 'accepted-invalid':
        return (kind, detail.split(':', 1)[0])
    if kind == 'schema-invalid':    # '<answer element>: [<libxml2 errors>]'
        element, _, errors = detail.partition(': ')
        match = _SCHEMA_ERROR.search(errors)
        return (kind, element) + ((match.group(1), re.sub(r"'[^']*'", "'...'", match.group(2), 1)
                                   .split('. Expected')[0]) if match else ())
    if kind in ('unauthenticated', 'anonymous-read'):
        return (kind, detail.split(' ', 1)[0] if kind == 'unauthenticated' else operation)
    return (kind, operation)


_SCHEMA_ERROR = re.compile(r"Element '(?:\{[^}]*\})?([^']+)': ([^,\]]+)")


class Session:
    """A session slot of a worker: its cookie (None: log in before use)."""

    def __init__(self):
        self.cookie = None


class Campaign:
    """A seeded fuzz campaign against the simulator at host:port.

    `probes`: callables returning what they saw of the server since the last
    call (see probes.py). `sample(calls)`: what to record of the server (its
    RSS in bytes, say) at the start, at every tenth of the run and at the
    end, into `samples` as (calls, value). `seconds`: stop then, even before
    `count` calls."""

    def __init__(self, host, port, seed, count, seconds=None, workers=1, probes=(),
                 sample=None, user='user', password='pass', shrink=True, out=None,
                 invariants=None, check_every=0):
        self.host, self.port = host, port
        self.invariants = invariants    # () -> violations, checked every `check_every` calls
        self.check_every = check_every
        self.seed = seed
        self.count = count
        self.seconds = seconds
        self.workers = workers
        self.probes = list(probes)
        self.sample = sample
        self.user, self.password = user, password
        self.shrink_failures = shrink
        self.out = out or sys.stdout
        self.schema = schema_module.load()
        self.pools = Pools(self.schema)
        self.generator = Generator(self.schema, self.pools)
        self.versions = [v for v in self.schema.versions if v[0].isdigit()]
        self.actions = {'urn:vim25/' + v for v in self.versions}
        self.weights = {name: 1.0 for name in self.generator.operations}
        self.failures = {}
        self.outcomes = {}        # fault type (or 'ok', 'no answer') -> count
        self.calls = 0
        self.samples = []         # (calls, what `sample` gave)
        self._tasks = {}          # task moid -> (index, request, mode, soap_action)
        self.content = {}         # ServiceContent field -> moid
        self._surveyed = set()    # (type, moid) whose properties the survey read
        self._lock = threading.Lock()
        self._deadline = None

    # -- running ------------------------------------------------------------------
    def run(self):
        """Run the campaign; returns self (failures, outcomes, calls)."""
        if self.seconds is not None:
            self._deadline = time.monotonic() + self.seconds
        self._sample(0)
        threads = [threading.Thread(target=self._work, args=(w,), daemon=True)
                   for w in range(1, self.workers)]
        for thread in threads:
            thread.start()
        self._work(0)
        for thread in threads:
            thread.join()
        self._sample(self.calls)
        return self

    def _work(self, worker):
        client = Client(self.host, self.port)
        sessions = [Session() for _ in range(SESSIONS)]
        surveyor = Session()
        tasks_seen = []
        per_worker = self.count // self.workers + (worker < self.count % self.workers)
        try:
            self.survey(client, surveyor)
            for index in range(per_worker):
                if self._deadline is not None and time.monotonic() > self._deadline:
                    break
                rng = random.Random('%s:%d:%d' % (self.seed, worker, index))
                self.fuzz_call(client, rng, sessions, index, tasks_seen)
                with self._lock:
                    self.calls += 1
                    calls = self.calls
                if index and index % SURVEY_EVERY == 0:
                    self.survey(client, surveyor)
                if index and index % TASK_CHECK_EVERY == 0:
                    self.check_tasks(client, surveyor, tasks_seen)
                if worker == 0 and self.check_every and calls % self.check_every == 0:
                    self.check_invariants(calls, client, surveyor)
                if worker == 0 and self.count >= 10 and calls % (self.count // 10) == 0:
                    self._sample(calls)
            self.check_tasks(client, surveyor, tasks_seen, settle=True)
        finally:
            for session in sessions + [surveyor]:
                self._logout(client, session)
            client.close()

    def _sample(self, calls):
        if self.sample is not None:
            self.samples.append((calls, self.sample(calls)))

    def pick_operation(self, rng):
        operations = self.generator.operations
        weights = []
        for name in operations:
            weight = self.weights[name]
            if name != FETCH and not self.pools.refs_of(self.schema.operations[name].managed_type):
                weight *= NO_OBJECT_WEIGHT
            weights.append(weight)
        return rng.choices(operations, weights)[0]

    def fuzz_call(self, client, rng, sessions, index, tasks_seen):
        operation = self.pick_operation(rng)
        request = self.generator.request(rng, operation)
        draw = rng.random()
        mode = 'session' if draw < 0.85 else 'none' if draw < 0.95 else 'bogus'
        session = rng.choice(sessions)
        draw = rng.random()
        if draw < 0.85:
            soap_action = 'urn:vim25/' + self.versions[-1]
        elif draw < 0.95:
            soap_action = 'urn:vim25/' + rng.choice(self.versions)
        else:
            soap_action = rng.choice((None, 'urn:vim25', 'urn:vim25/99.0.0.0', 'fuzz'))
        outcome, problems = self.call(client, request, mode, session, soap_action)
        if outcome is not None and outcome.ok:
            for moid in _task_refs(outcome):
                tasks_seen.append(moid)
                with self._lock:
                    self._tasks[moid] = (index, request, mode, soap_action)
        for kind, detail, traceback in problems:
            self.record(signature(kind, detail, operation, traceback), detail, index, request,
                        mode, soap_action, client, session)

    def call(self, client, request, mode, session, soap_action):
        """Send a request; (Outcome or None, [(kind, detail, traceback signature)])."""
        if mode == 'session' and session.cookie is None:
            self.login(client, session)
        cookie = session.cookie if mode == 'session' else BOGUS_COOKIE if mode == 'bogus' else None
        problems = []
        outcome = None
        try:
            status, headers, body = client.post(
                request.envelope(), cookie, soap_action,
                WAIT_TIMEOUT if request.operation in WAITS else CALL_TIMEOUT)
        except CallError as error:
            if not (str(error) == 'timeout' and request.operation in WAITS):
                problems.append(('no-answer', str(error), None))
            self._count('no answer')
        else:
            if mode == 'session' and 'set-cookie' in headers:
                session.cookie = headers['set-cookie']
            outcome = judge(self.schema, request, status, body, mode == 'session')
            problems.extend((kind, detail, None) for kind, detail in outcome.problems)
            self._count(outcome.fault or ('ok' if outcome.body is not None else 'unreadable'))
            self.pools.harvest(body)
            self._learn(request, outcome, session if mode == 'session' else None)
        entries = self._probe()
        if any(kind == 'internal-error' for kind, _, _ in problems):
            deadline = time.monotonic() + LOG_LATENCY   # its traceback may still be on its way
            while not any('Traceback' in e for _, e in entries) and time.monotonic() < deadline:
                time.sleep(0.01)
                entries += self._probe()
        older = soap_action != 'urn:vim25/' + self.versions[-1] and soap_action in self.actions
        for kind, text in entries:
            if kind == 'schema-invalid' and older:
                continue   # checked against the newest schema, an older answer may lack
                           # fields required there that its own version does not have
            problems.append(_log_problem(text) if kind == 'log' else (kind, text, None))
        return outcome, _one_per_defect(request, problems)

    def _probe(self):
        entries = []
        for probe in self.probes:
            entries.extend(probe())
        return entries

    def _learn(self, request, outcome, session):
        """Adapt the weights and pools to an answer."""
        if outcome is None or outcome.body is None:
            return
        if request.operation == 'Logout' and session is not None and outcome.ok:
            session.cookie = None
        if outcome.fault == 'NotImplemented' and not request.marks():
            self.weights[request.operation] = NOT_IMPLEMENTED_WEIGHT
        elif outcome.fault == 'NotAuthenticated' and session is not None:
            session.cookie = None
        elif outcome.fault == 'ManagedObjectNotFound':
            detail = outcome.fault_detail()
            obj = detail.find('{urn:vim25}obj') if detail is not None else None
            if obj is not None:
                self.pools.forget_ref(obj.get('type'), obj.text or '')

    def _count(self, outcome):
        with self._lock:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def record(self, signature, detail, index, request, mode, soap_action, client, session,
               shrinkable=True):
        with self._lock:
            failure = self.failures.get(signature)
            new = failure is None
            if new:
                failure = self.failures[signature] = Failure(
                    signature, detail, index, request.copy(), mode, soap_action)
            failure.count += 1
            failure.operations.add(request.operation)
        if new:
            if self.shrink_failures and shrinkable and signature[0] != 'no-answer':
                failure.reproducer = self.shrink(client, failure, session)
            self.out.write('\nFAILURE %s\n' % failure.describe())
            self.out.flush()

    # -- sessions -------------------------------------------------------------------
    def login(self, client, session):
        body = ('<Login xmlns="urn:vim25"><_this type="SessionManager">%s</_this>'
                '<userName>%s</userName><password>%s</password></Login>') % (
            self._session_manager(), self.user, self.password)
        status, headers, data = client.post(_envelope(body))
        if status != 200 or 'set-cookie' not in headers:
            raise RuntimeError('cannot log in: %r' % data[:300])
        session.cookie = headers['set-cookie']

    def _logout(self, client, session):
        if session.cookie is None:
            return
        body = '<Logout xmlns="urn:vim25"><_this type="SessionManager">%s</_this></Logout>' % (
            self._session_manager())
        try:
            client.post(_envelope(body), session.cookie)
        except CallError:
            pass
        session.cookie = None

    def _session_manager(self):
        return self.content.get('sessionManager', 'SessionManager')

    # -- the survey: every property of every known object --------------------------
    def survey(self, client, session):
        """Harvest MoRefs and texts from every property of every object not
        surveyed before, until no new object turns up (a few rounds)."""
        if not self.content:   # anonymous: it names the SessionManager to log in to
            outcome = self._plain_call(client, session, (
                '<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">'
                'ServiceInstance</_this></RetrieveServiceContent>'), mode='none')
            for field in outcome.body.find('.//{urn:vim25}returnval'):
                if field.get('type'):
                    self.content[etree.QName(field).localname] = field.text
        for _ in range(8):
            generation = self.pools.generation
            refs = [ref for ref in self.pools.refs_of(None) if ref not in self._surveyed]
            self._surveyed.update(refs)
            for start in range(0, len(refs), 200):
                for _ in range(3):   # objects gone meanwhile leave the pools: retry
                    outcome = self._plain_call(client, session, _retrieve_all(
                        self.content['propertyCollector'], refs[start:start + 200]))
                    if outcome is None or outcome.fault != 'ManagedObjectNotFound':
                        break
            if self.pools.generation == generation:
                break

    def _plain_call(self, client, session, body, mode='session'):
        """A call the campaign makes for itself: judged and harvested too;
        its Outcome (None without an answer)."""
        request = _raw_request(body)
        action = 'urn:vim25/' + self.versions[-1]
        outcome, problems = self.call(client, request, mode, session, action)
        for kind, detail, traceback in problems:
            self.record(signature(kind, detail, request.operation, traceback), detail,
                        -1, request, mode, action, client, session)
        return outcome

    # -- tasks ------------------------------------------------------------------------
    def check_tasks(self, client, session, moids, settle=False):
        """Read the state of the tasks the calls started: one that failed with
        an internal error is a problem of the call that started it. Finished
        and vanished tasks are dropped; `settle`: wait (a few seconds at
        most) for the rest to finish."""
        deadline = time.monotonic() + (10 if settle else 0)
        while moids:
            pending = []
            for moid in moids:
                outcome = self._plain_call(client, session, (
                    '<Fetch xmlns="urn:vim25"><_this type="Task">%s</_this><prop>info</prop>'
                    '</Fetch>') % _xml_text(moid))
                if outcome is None or not outcome.ok:
                    continue
                info = outcome.body.find('.//{urn:vim25}returnval')
                state = info.findtext('{urn:vim25}state') if info is not None else None
                if state in ('queued', 'running'):
                    pending.append(moid)
                    continue
                fault = info.find('{urn:vim25}error/{urn:vim25}fault')
                if fault is not None and fault.get(
                        '{http://www.w3.org/2001/XMLSchema-instance}type') == 'SystemError':
                    index, request, mode, soap_action = self._tasks[moid]
                    self.record(('task-internal-error', request.operation),
                                info.findtext('{urn:vim25}error/{urn:vim25}localizedMessage'),
                                index, request, mode, soap_action, client, session,
                                shrinkable=False)
            moids[:] = pending
            if not moids or time.monotonic() > deadline:
                return
            time.sleep(0.2)

    # -- invariants -------------------------------------------------------------------
    def check_invariants(self, calls, client, session):
        """Check the invariants now: each kind of violation first seen is a
        failure of the calls since the last check (no reproducer: the state
        broke somewhere among them)."""
        for violation in self.invariants():
            shape = re.sub(r'\b([A-Za-z]+):\S+', r'\1', violation)
            self.record(('invariant', shape), '%s (broken in calls %d-%d)' % (
                violation, calls - self.check_every, calls), calls,
                _raw_request('<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">'
                             'ServiceInstance</_this></CurrentTime>'),
                'session', None, client, session, shrinkable=False)

    # -- shrinking --------------------------------------------------------------------
    def shrink(self, client, failure, session):
        """The smallest request (greedy: whole elements first, then long
        texts) that still shows the failure's signature, in at most
        SHRINK_BUDGET calls."""
        best = failure.request.copy()
        budget = [SHRINK_BUDGET]

        def still_fails(candidate):
            budget[0] -= 1
            _, problems = self.call(client, candidate, failure.mode, session,
                                    failure.soap_action)
            return any(signature(kind, detail, candidate.operation, traceback)
                       == failure.signature for kind, detail, traceback in problems)

        progress = True
        while progress and budget[0] > 0:
            progress = False
            for candidate in _simpler(best, failure.signature[0] == 'accepted-invalid'):
                if budget[0] <= 0:
                    break
                if still_fails(candidate):
                    best = candidate
                    progress = True
                    break
        return best


def _one_per_defect(request, problems):
    """An internal-error answer and its traceback are one defect, that of the
    traceback; for a request that had to be refused, a handler's traceback
    is the defect of not refusing it (the codec's own, and those of timers
    that ran meanwhile, stay their own)."""
    handled = [p for p in problems if p[0] == 'internal-error' or (
        p[0] == 'traceback' and p[2][2].startswith(ENDPOINT))]
    if request.must_fault and handled and not any(
            p[0] == 'traceback' and p[2][1].startswith(CODEC) for p in handled):
        problems = [p for p in problems if p not in handled]
        if not any(p[0] == 'accepted-invalid' for p in problems):
            problems.append(('accepted-invalid', request.invalid()[0], None))
    elif any(p[0] == 'traceback' for p in handled):
        problems = [p for p in problems if p[0] != 'internal-error']
    return problems


def _log_problem(text):
    """A server log entry as a problem: a traceback, or another error."""
    traceback = traceback_signature(text)
    first_line = text.strip().splitlines()[0][:200] if text.strip() else ''
    if traceback is not None:
        return ('traceback', first_line, traceback)
    return ('error-log', first_line, None)


def _simpler(request, keep_marks):
    """Requests one step simpler than `request`: half of a run of repeated
    elements gone, one element gone, a long text cut short. `keep_marks`:
    leave the mutations in place (the elements they mark, and a duplicated
    element's twin), so an invalid request stays invalid."""
    paths = list(request.root.paths())
    protected = set()
    if keep_marks:
        for path in paths:
            node = _at(request.root, path)
            if node.mark is not None:
                protected.update(path[:end] for end in range(len(path) + 1))
                if node.mark[0].startswith('duplicate:'):
                    tag = node.mark[0].rsplit('.', 1)[1]
                    protected.update(path + (i,) for i, c in enumerate(node.children)
                                     if c.tag == tag)
    for path in paths:
        node = _at(request.root, path)
        tags = [c.tag for c in node.children]
        for tag in dict.fromkeys(tags):
            if tags.count(tag) >= 4 and path not in protected:
                candidate = request.copy()
                target = _at(candidate.root, path)
                keep, seen = [], 0
                for child in target.children:
                    seen += child.tag == tag
                    if child.tag != tag or seen % 2:
                        keep.append(child)
                target.children = keep
                yield candidate
    for path in paths[1:]:
        if path in protected:
            continue
        candidate = request.copy()
        parent = _at(candidate.root, path[:-1])
        removed = parent.children.pop(path[-1])
        if _required(removed) and not any(c.tag == removed.tag for c in parent.children):
            parent.mark = ('missing:%s.%s' % (parent.type_name or parent.tag, removed.tag), True)
        yield candidate
    for path in paths:
        node = _at(request.root, path)
        if node.text is not None and len(node.text) > 16 and not (
                keep_marks and node.mark is not None):
            candidate = request.copy()
            _at(candidate.root, path).text = node.text[:len(node.text) // 8 or 1]
            yield candidate


def _required(node):
    """Whether the schema requires the element (`_this` included)."""
    return node.tag == '_this' or (node.field is not None and not node.field.optional)


def _at(node, path):
    for index in path:
        node = node.children[index]
    return node


def _task_refs(outcome):
    """The tasks an answer names; not an empty reference, which is no task
    (ModifyListView hands back the references it could not add, as given)."""
    answer = outcome.body.find('{http://schemas.xmlsoap.org/soap/envelope/}Body')[0]
    return [e.text for e in answer.iter('{urn:vim25}returnval')
            if e.get('type') == 'Task' and e.text]


def _envelope(body):
    return _raw_request(body).envelope()


def _raw_request(body):
    """A Request whose tree is parsed from a hand-written operation element."""
    element = etree.fromstring(body)

    def build(el):
        node = Node(etree.QName(el).localname, {
            ('xsi:type' if k.endswith('}type') else k): v for k, v in el.attrib.items()},
            el.text if len(el) == 0 else None)
        node.children = [build(child) for child in el]
        if 'type' in node.attrs and not len(el):
            node.type_name = MOREF
        return node
    root = build(element)
    root.attrs['xmlns'] = 'urn:vim25'
    return Request(root.tag, root)


def _retrieve_all(collector, refs):
    """RetrievePropertiesEx of every property of `refs` [(type, moid)]."""
    types = sorted({type_name for type_name, _ in refs})
    prop_sets = ''.join('<propSet><type>%s</type><all>true</all></propSet>' % t for t in types)
    object_sets = ''.join('<objectSet><obj type="%s">%s</obj></objectSet>' % (
        t, _xml_text(moid)) for t, moid in refs)
    return ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">%s'
            '</_this><specSet>%s%s</specSet><options/></RetrievePropertiesEx>'
            % (_xml_text(collector), prop_sets, object_sets))


def _xml_text(text):
    return escape(text)


# -- a simulator subprocess --------------------------------------------------------------
_SERVE = 'from tools.fuzz.probes import serve_logging_errors; serve_logging_errors()'


def start_simulator(flags):
    """The simulator with `-tls=false FLAGS` on a free port, its errors on
    stderr for StderrProbe (probes.serve_logging_errors); (process, host, port)."""
    return start_server(*flags, stderr=subprocess.PIPE, command=('-c', _SERVE))


def process_rss(pid):
    """A process's resident set size in bytes, from /proc."""
    with open('/proc/%d/status' % pid) as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    raise LookupError('no VmRSS for %d' % pid)


def _numbers(value):
    return [v for v in (value if isinstance(value, tuple) else (value,)) if v is not None]


def summary(campaign):
    """A few lines: calls, outcomes, failures by signature, memory."""
    lines = ['%d calls; answers: %s' % (campaign.calls, ', '.join(
        '%s %d' % item for item in sorted(campaign.outcomes.items(), key=lambda i: -i[1])[:15]))]
    if campaign.samples:
        lines.append('server memory (MB) by call: ' + ', '.join(
            '%d: %s' % (i, '/'.join('%.1f' % (v / 2 ** 20) for v in _numbers(value)))
            for i, value in campaign.samples))
    lines.append('%d distinct failures' % len(campaign.failures))
    for failure in sorted(campaign.failures.values(), key=lambda f: f.first):
        lines.append('  %s  x%d' % (' | '.join(failure.signature), failure.count))
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python3 -m tools.fuzz', description='Fuzz vimsim\'s SOAP endpoint.')
    parser.add_argument('--seed', default='1')
    parser.add_argument('--count', type=int, default=10000, help='calls (all workers)')
    parser.add_argument('--minutes', type=float, help='stop after this long')
    parser.add_argument('--workers', type=int, default=1,
                        help='concurrent clients (a seed reproduces a run with 1 only)')
    parser.add_argument('--server', help='host:port of a running simulator (plain HTTP) '
                                         'instead of starting one; its log is not read')
    parser.add_argument('--no-shrink', action='store_true')
    parser.add_argument('--check-every', type=int, default=0, metavar='CALLS',
                        help='check the invariants through the API this often too')
    parser.add_argument('flags', nargs='*', help='flags of the simulator to start '
                                                 '(after --, e.g. -- -vm 4)')
    args = parser.parse_args(argv)
    if args.server:
        host, port = args.server.rsplit(':', 1)
        process, probes, sample = None, [], None
    else:
        process, host, port = start_simulator(args.flags)
        probes = [StderrProbe(process.stderr)]
        sample = lambda calls: process_rss(process.pid)  # noqa: E731
    from tests.invariants import api_violations_at
    campaign = Campaign(host, int(port), args.seed, args.count,
                        seconds=args.minutes * 60 if args.minutes else None,
                        workers=args.workers, probes=probes, sample=sample,
                        shrink=not args.no_shrink, check_every=args.check_every,
                        invariants=lambda: api_violations_at(host, int(port)))
    try:
        campaign.run()
        if process is not None:
            violations = api_violations_at(host, int(port))
            print('\ninvariants: %s' % ('hold' if not violations else '\n  '.join(
                ['%d violated:' % len(violations)] + violations)))
    finally:
        if process is not None:
            process.terminate()
            process.wait()
    print('\n' + summary(campaign))
    print('reproduce: python3 -m tools.fuzz --seed %s --count %d%s' % (
        args.seed, args.count, ' -- ' + ' '.join(args.flags) if args.flags else ''))
    return 1 if campaign.failures else 0
