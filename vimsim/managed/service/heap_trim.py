"""Memory back to the system after a mass logout.

When many sessions end (a CI job's clients all logging out), what they held
is freed, but the C allocator keeps the freed pages for reuse, so the
process's RSS stays at its peak. Once `MASS_LOGOUT` sessions have been
released since the last trim and no other has been released for
`QUIET_SECONDS`, one `gc.collect()` and glibc's `malloc_trim(0)` give those
pages back (bench/soak.py measures both); first the simulator lets go of
what the load left behind that nothing needs (`enable(forget=...)`: what the
endpoint remembers per distinct request, spent model timers), which would
pin pymalloc's arenas. The trimmer is the process's, as
the heap is: no model object holds its timer (a -state snapshot could not
carry it), and it changes nothing a client sees. Only the command enables
it (`enable`): a simulator inside another program (the pytest plugin, the
in-process mode) leaves that program's heap alone.

The trimmer also keeps what lives on out of the cyclic collector's full
collections: as the model's long work (an alarm pass) goes and when it
ends, what survived the young collections is frozen with the start-up
inventory (`work_done`, from ModelTime.cooperate). The first pass over
10,000 VMs keeps ~118,000 tracked objects (alarm states, the events it
posted, the VMs' load patterns), which each full collection walked again (13-146 ms, at 1M VMs 9.7 s over the first two passes). Frozen
objects are still freed by reference counting; only cyclic garbage among
them waits, for the trim, which thaws, collects all and freezes again: the
next mass logout's, and at the latest `SWEEP_SECONDS` after a freeze (a
server that never sees a mass logout, say a CI job's one client creating
and destroying VMs for hours, frees that garbage too: one full collection
every few minutes instead of one every few hundred allocations). A reset
drops the whole frozen model at once, so one follows it once resets go
quiet (`model_dropped`).
"""
import ctypes
import gc
import time

from twisted.internet import reactor

MASS_LOGOUT = 50       # sessions released since the last trim that make a mass logout
QUIET_SECONDS = 5.0    # how long no further session ends before the trim runs
SWEEP_SECONDS = 300.0  # how long cyclic garbage among what was frozen waits for a trim at most


def _malloc_trim(pad):
    """glibc's malloc_trim, where the C library the process runs on has one
    (looked up in the process's own symbols: no ldconfig at start)."""
    trim = getattr(ctypes.CDLL(None), 'malloc_trim', None)
    if trim is not None:
        trim(pad)


class HeapTrim:
    """Counts released sessions; trims once a mass logout has gone quiet."""

    def __init__(self, clock=reactor, trim=_malloc_trim, mass_logout=MASS_LOGOUT):
        self.clock = clock
        self._malloc_trim = trim
        self.mass_logout = mass_logout
        self.enabled = False
        self.forget = None     # what lets go of a load's leftovers before a trim
        self.released = 0      # sessions released since the last trim
        self.trims = 0         # trims done
        self.seconds = 0.0     # the CPU time the last trim took
        self.freezes = 0       # times model work had its survivors frozen
        self.owed = False      # model work ran while the collector was held off
        self._pending = None   # the DelayedCall of the next trim
        self._sweep = None     # the DelayedCall of the trim that frees what freezing kept

    def enable(self, forget=None):
        self.enabled = True
        self.forget = forget

    def work_done(self):
        """Model work ran a while or ended (ModelTime.cooperate): freeze
        what survives a young collection. While a big request holds the
        collector off, once it is back (`collector_back`): the young
        collection now would walk all the request made."""
        if not self.enabled:
            return
        if not gc.isenabled():
            self.owed = True
            return
        self.owed = False
        gc.collect(1)
        gc.freeze()
        self.freezes += 1
        if self._sweep is None:
            self._sweep = self.clock.callLater(SWEEP_SECONDS, self.trim)

    def collector_back(self):
        """A big request let the collector go (endpoint._GcHold): freeze
        what model work kept meanwhile (the young collection walks what the
        request made and still holds, as the next allocation's would have;
        unfrozen, the next full collection walked the passes' survivors of
        the whole request, 38-83 ms after an all-properties read)."""
        if self.owed:
            self.work_done()

    def session_released(self):
        if not self.enabled:
            return
        self.released += 1
        if self.released >= self.mass_logout:
            self._when_quiet()

    def model_dropped(self):
        """The simulator was reset: the old model, frozen, is cyclic garbage."""
        if self.enabled:
            self._when_quiet()

    def _when_quiet(self):
        """Trim once QUIET_SECONDS pass without another call."""
        if self._pending is not None and self._pending.active():
            self._pending.reset(QUIET_SECONDS)
        else:
            self._pending = self.clock.callLater(QUIET_SECONDS, self.trim)

    def trim(self):
        started = time.thread_time()
        for call in (self._pending, self._sweep):
            if call is not None and call.active():
                call.cancel()
        self._pending = self._sweep = None
        self.released = 0
        if self.forget is not None:
            self.forget()
        gc.unfreeze()   # what was frozen alive may be cyclic garbage by now
        gc.collect()
        gc.freeze()
        self._malloc_trim(0)
        self.trims += 1
        self.seconds = time.thread_time() - started


heap_trim = HeapTrim()
