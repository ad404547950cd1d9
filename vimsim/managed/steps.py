"""Long model work as a generator of steps: run to its end at once, or by
the reactor's cooperator a few milliseconds a turn, so that other clients
are answered between (planning a retrieval over many start objects, a
filter taking in a million objects)."""
from twisted.internet import defer, task

from vimsim.managed.base import gc_paused


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
    collector paused); cancelling it stops them."""
    outcome = []

    def paused():
        while True:
            with gc_paused():
                try:
                    next(steps)
                except StopIteration as done:
                    outcome.append(done.value)
                    return
            yield

    work = task.cooperate(paused())
    result = defer.Deferred(lambda _: work.stop())

    def finished(_):
        if not result.called:
            result.callback(outcome[0])

    def failed(failure):
        if not result.called:
            result.errback(failure)
    work.whenDone().addCallbacks(finished, failed)
    return result
