"""Long model work as a generator of steps: run to its end at once, or by
the reactor's cooperator a few milliseconds a turn, so that other clients
are answered between (planning a retrieval over many start objects, a
filter taking in a million objects)."""
import time

from twisted.internet import defer, task

from vimsim.managed.base import gc_paused
from vimsim.managed.service.heap_trim import heap_trim

NOW_SECONDS = 0.02     # work `soon` does in the turn that asked, before it takes turns
FREEZE_SECONDS = 0.25  # how often long work has what it keeps frozen


def finish(steps):
    """Run a generator of steps to its end; its return value."""
    try:
        while True:
            next(steps)
    except StopIteration as done:
        return done.value


def cooperate(steps):
    """A Deferred of a generator's return value, its steps run by the reactor's
    cooperator (a few milliseconds of them per turn, each with the garbage
    collector paused, what they keep frozen as they go: `freezing`);
    cancelling it stops them."""
    outcome = []

    def run():
        while True:
            with gc_paused():
                try:
                    next(steps)
                except StopIteration as done:
                    outcome.append(done.value)
                    return
            yield

    work = task.cooperate(freezing(run()))
    result = defer.Deferred(lambda _: work.stop())

    def finished(_):
        if not result.called:
            result.callback(outcome[0])

    def failed(failure):
        if not result.called:
            result.errback(failure)
    work.whenDone().addCallbacks(finished, failed)
    return result


def freezing(steps):
    """`steps`, what they keep frozen as they go, every FREEZE_SECONDS and
    at the end (heap_trim.work_done): a full collection meanwhile walks no
    more than a quarter of a second's worth of it (an alarm pass's states,
    a million baselines of a filter)."""
    due = time.monotonic() + FREEZE_SECONDS
    for step in steps:
        yield step
        if time.monotonic() >= due:
            heap_trim.work_done()
            due = time.monotonic() + FREEZE_SECONDS
    heap_trim.work_done()


def soon(steps):
    """Run `steps` now for up to NOW_SECONDS: their value when they end by
    then (most calls' work: answered in the turn that asked), else a
    Deferred of it, the rest run as `cooperate` runs them."""
    ends = time.perf_counter() + NOW_SECONDS
    with gc_paused():
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value
            if time.perf_counter() > ends:
                break
    return cooperate(steps)


def then(result, callback):
    """callback(result) now, or once `result`, a Deferred (`soon`'s), fires:
    a Deferred of it then."""
    if isinstance(result, defer.Deferred):
        return result.addCallback(callback)
    return callback(result)
