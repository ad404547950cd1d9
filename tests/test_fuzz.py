"""A bounded fuzz campaign against a simulator on a real socket (about a minute).

tools/fuzz sends SEED's requests (every operation of the schema, valid,
mistyped, missing, extra, boundary, huge, deep, malformed; with and without a
session) to a simulator of its own in this process, whose every answer is also
validated against the served schema, and whose log is watched. Afterwards:
every answer was a well-formed SOAP result or fault (no internal error, no
success for a request that had to fail), no traceback reached the log, memory
stayed flat, and the model's invariants hold (tests/invariants.py), read in
the process and through pyVmomi.

A failure fails the test with its reproducer printed.
Long-running: bounded by SECONDS (about 60 s including the checks).
"""
import ctypes
import gc
import os
import time
import tracemalloc

import pytest

from tests.conftest import RunningSimulator, _ensure_reactor, on_reactor
from tests.invariants import api_violations, model_violations
from tests.validation import ResponseValidator
from tools.fuzz.campaign import Campaign, process_rss, summary
from tools.fuzz.probes import LogProbe
from vimsim.options import Options

SEED = 'suite-1'
COUNT = 16000        # calls; a seed and a count reproduce the run
SECONDS = 60         # ... unless a busy machine makes it last longer than this
HEAP_GROWTH = 48 << 20   # bytes the Python heap may keep of what the second half allocated

_malloc_trim = getattr(ctypes.CDLL(None), 'malloc_trim', None)   # glibc only


class MemoryWatch:
    """The campaign's samples: this process's RSS once freed memory went
    back to the system (a collection, then glibc's malloc_trim), and from the
    middle of the run (in calls, or in time) on, the Python heap allocated since then and still
    alive (tracemalloc, started there: the second half runs slower). RSS
    alone keeps the allocator's high-water marks of big answers (a
    QueryEvents of 1,000 events holding 1 MB names), so the heap decides."""

    def __init__(self, count, seconds):
        self.middle = count // 2
        # a busy machine may end the run at its time limit, before half the calls
        self.half_time = time.monotonic() + seconds / 2

    def __call__(self, calls):
        middle = calls >= self.middle or time.monotonic() >= self.half_time
        if middle and not tracemalloc.is_tracing():
            tracemalloc.start()
        gc.collect()
        if _malloc_trim is not None:
            _malloc_trim(0)
        heap = tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else None
        return process_rss(os.getpid()), heap


def validation_probe(validator):
    """Answers that do not validate against the served schema, as problems."""
    seen = [0]

    def probe():
        new = validator.failures[seen[0]:]
        seen[0] += len(new)
        return [('schema-invalid', text) for text in new]
    return probe


@pytest.fixture(scope='module')
def fuzzed():
    _ensure_reactor()
    options = Options()
    options.listen = '127.0.0.1:0'
    options.tls = False
    validator = ResponseValidator()
    running = RunningSimulator(options, validator)
    log = LogProbe().start()
    campaign = Campaign(running.host, running.port, SEED, COUNT, seconds=SECONDS,
                        probes=[log, validation_probe(validator)],
                        sample=MemoryWatch(COUNT, SECONDS))
    try:
        campaign.run()
    finally:
        log.stop()
        tracemalloc.stop()
    print(summary(campaign))
    return running, campaign


def failures_of(campaign, kinds=None, exclude=()):
    """The campaign's failures (of `kinds`, if given, and not of `exclude`)."""
    return [f for f in campaign.failures.values()
            if (kinds is None or f.signature[0] in kinds) and f.signature[0] not in exclude]


def report(failures):
    return '\n\n'.join(f.describe() for f in failures)


def test_every_answer_is_a_result_or_a_fault(fuzzed):
    _, campaign = fuzzed
    assert campaign.calls > 1000
    failures = failures_of(campaign, exclude=('traceback', 'error-log'))
    assert not failures, report(failures)


def test_no_traceback_in_the_log(fuzzed):
    _, campaign = fuzzed
    failures = failures_of(campaign, kinds=('traceback', 'error-log'))
    assert not failures, report(failures)


def test_memory_flat(fuzzed):
    """What the second half of the run allocated and the process still holds
    (the first half filled the model's bounded stores: recent tasks, events)."""
    _, campaign = fuzzed
    heap = [(calls, held) for calls, (_, held) in campaign.samples if held is not None]
    assert len(heap) >= 2, campaign.samples
    assert heap[-1][1] <= HEAP_GROWTH, [(calls, '%.1f MB' % (held / 2 ** 20))
                                        for calls, held in heap]


def an_administrator(sim):
    """A user name holding Admin on the root folder after the campaign: the
    fuzzer may replace the root's permissions (keeping one propagating Admin,
    as vCenter insists), and without a users file any credentials log in as
    the name they give."""
    def find():
        permissions = sim.authorization_manager.permission_objects(sim.root_folder.ref)
        if any(p.group and p.roleId == -1 and p.propagate and p.principal.endswith(
                '\\Administrators') for p in permissions):
            return None    # every user still is one
        for permission in permissions:
            if permission.roleId == -1 and permission.propagate and not permission.group:
                domain, _, name = permission.principal.partition('\\')
                return '%s@%s' % (name, domain.lower()) if name else domain
        return None
    return on_reactor(find)


def test_invariants_hold_afterwards(fuzzed):
    running, campaign = fuzzed
    si = running.connect(user=an_administrator(running.sim))
    try:
        found = on_reactor(model_violations, running.sim) + api_violations(si, running.sim.schema)
    finally:
        from pyVim.connect import Disconnect
        Disconnect(si)
    assert found == []
