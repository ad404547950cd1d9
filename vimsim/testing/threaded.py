"""The Twisted reactor on a thread of its own, for callers that are not
Twisted code (tests, the in-process mode): simulators live on it, callers
reach them through `on_reactor`."""
import threading

from twisted.internet import reactor, threads

_lock = threading.Lock()
_thread = []   # the reactor's thread, once started here


def start_reactor():
    """Run the reactor on a daemon thread, unless it runs already (once per
    process: a Twisted reactor cannot be started twice)."""
    with _lock:
        if not _thread and not reactor.running:
            thread = threading.Thread(target=reactor.run, name='vimsim-reactor', daemon=True,
                                      kwargs={'installSignalHandlers': False})
            thread.start()
            _thread.append(thread)


def on_reactor(function, *args, **kwargs):
    """`function(*args, **kwargs)` run on the reactor thread: its result (a
    Deferred's, once it fires) or its exception, here."""
    start_reactor()
    if _thread and threading.current_thread() is _thread[0]:
        return function(*args, **kwargs)
    return threads.blockingCallFromThread(reactor, function, *args, **kwargs)
