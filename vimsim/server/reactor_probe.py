"""-reactor-probe MS: how late the reactor runs a timer due every MS ms,
which is how long a request arriving then waited before the reactor could
read it. A client's round trip also counts the machine's other load and the
client's own scheduling; this is the server's own stall. /debug/vars lists
the lateness over LATE (time.monotonic, so a bench on the same machine can
pick out a window of its own) with the CPU time the reactor's thread used
since the tick before: lateness with little CPU is the machine's other load
holding the process back (or the decode thread the GIL), lateness with as
much CPU is a slice of the server's own work; and the cyclic collector's collections that
took LATE or more (a full one walks every object made since the command
last froze the heap, at start and as model work goes, and holds whatever
thread triggered it)."""
import collections
import gc
import time

from twisted.internet import reactor

LATE = 0.005     # below it: the poll's own granularity and an ordinary turn
KEPT = 10000     # the latest late ticks kept


class ReactorProbe:
    """A timer that notes its own lateness, from `start` to `stop`."""

    def __init__(self, interval):
        self.interval = interval
        self.ticks = 0
        self.late = collections.deque(maxlen=KEPT)   # (monotonic time, seconds late, CPU)
        self.collections = collections.deque(maxlen=KEPT)   # (end, generation, seconds)
        self.due = self.call = self.collecting = self.cpu = None

    def start(self):
        self.due = time.monotonic() + self.interval
        self.cpu = time.thread_time()
        self.call = reactor.callLater(self.interval, self._tick)
        gc.callbacks.append(self._collection)

    def stop(self):
        if self.call is not None and self.call.active():
            self.call.cancel()
        if self._collection in gc.callbacks:
            gc.callbacks.remove(self._collection)

    def _collection(self, phase, info):
        now = time.monotonic()
        if phase == 'start':
            self.collecting = now
        elif self.collecting is not None and now - self.collecting >= LATE:
            self.collections.append((now, info['generation'], now - self.collecting))

    def _tick(self):
        now, cpu = time.monotonic(), time.thread_time()
        self.ticks += 1
        if now - self.due >= LATE:
            self.late.append((now, now - self.due, cpu - self.cpu))
        self.cpu = cpu
        self.due = now + self.interval
        self.call = reactor.callLater(self.interval, self._tick)

    def document(self):
        return {'interval_ms': self.interval * 1e3, 'ticks': self.ticks,
                'late': [[round(at, 4), round(late * 1e3, 1), round(cpu * 1e3, 1)]
                         for at, late, cpu in self.late],
                'collections': [[round(at, 4), generation, round(took * 1e3, 1)]
                                for at, generation, took in self.collections]}
