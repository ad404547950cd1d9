"""The simulator with a memory probe, for bench/soak.py.

Run as the server command (`python3 -c 'from bench.memory_probe import
serve; serve()' FLAGS`): SIGUSR1 makes the server, on its reactor, collect
garbage and write one JSON line to the file VIMSIM_PROBE_OUT names: its RSS,
the live objects of the session-owned classes, what the event and task
stores keep by design (their entries and approximate bytes), and with
VIMSIM_PROBE_TRACE=1 the Python bytes traced since the first probe
(tracemalloc, one frame) and the allocation sites that grew most.
SIGUSR2 does the same after `gc.collect()` and glibc's `malloc_trim(0)`,
so the two RSS figures tell what the allocator keeps from what Python holds.
Both report the CPU time their collection (and trim) took, and the trims
the server did itself after mass logouts (vimsim/managed/service/heap_trim.py).
"""
import ctypes
import gc
import json
import os
import re
import signal
import sys
import tempfile
import time
import tracemalloc

from tools.fuzz.campaign import process_rss
from tools.fuzz.probes import serve_logging_errors
from vimsim.managed.service.heap_trim import heap_trim
from vimsim.simulator import Simulator

# the classes whose objects a session owns or makes, by class name
SESSION_CLASSES = ('Session', 'CollectorSession', 'PropertyCollector', 'PropertyFilter',
                   'InitialState', '_Waiter', 'ContainerView', 'ListView', 'InventoryView',
                   'EventHistoryCollector', 'TaskHistoryCollector', 'HttpNfcLease', 'Task',
                   'Deferred', 'DelayedCall')
TOP_SITES = 12
PYMALLOC = {'arenas': r'# arenas allocated current\s*=\s*([\d,]+)',
            'in blocks': r'# bytes in allocated blocks\s*=\s*([\d,]+)',
            'free blocks': r'# bytes in available blocks\s*=\s*([\d,]+)',
            'unused pools': r'unused pools \* \d+ bytes\s*=\s*([\d,]+)'}


def pymalloc_figures():
    """What Python's object allocator holds (sys._debugmallocstats, which
    writes to fd 2): arenas (1 MiB each), bytes in live blocks, in free
    blocks of used pools, in unused pools of live arenas; None without
    pymalloc."""
    saved = os.dup(2)
    with tempfile.TemporaryFile() as out:
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read().decode()
    found = {name: re.search(pattern, text) for name, pattern in PYMALLOC.items()}
    if not all(found.values()):
        return None          # PYTHONMALLOC=malloc: no pymalloc
    return {name: int(match.group(1).replace(',', '')) for name, match in found.items()}


class Probe:
    def __init__(self, out):
        self.out = out
        self.baseline = None
        self.simulator = None
        self.trace = os.environ.get('VIMSIM_PROBE_TRACE') == '1'
        if self.trace:
            tracemalloc.start(1)

    def measure(self, trim):
        from twisted.internet import reactor
        reactor.callFromThread(self._write, trim)

    def _write(self, trim):
        started = time.thread_time()
        gc.collect()
        if trim:
            ctypes.CDLL('libc.so.6').malloc_trim(0)
        spent = time.thread_time() - started
        counts = dict.fromkeys(SESSION_CLASSES, 0)
        for obj in gc.get_objects():     # not what the command froze at start
            name = type(obj).__name__
            if name in counts:
                counts[name] += 1
        simulator = self.simulator
        figures = {'rss': process_rss(os.getpid()), 'objects': counts,
                   'pymalloc': pymalloc_figures(),
                   'sessions': len(simulator.session_manager.sessions),
                   'collect seconds': spent,
                   'server trims': [heap_trim.trims, heap_trim.seconds]}
        events, tasks = simulator.event_manager.events, simulator.task_manager.history
        figures['kept'] = {'events': [len(events), events.bytes],
                           'task infos': [len(tasks), tasks.bytes]}
        if self.trace:
            figures.update(self._traced())
        with open(self.out, 'a') as out:
            out.write(json.dumps(figures) + '\n')

    def _traced(self):
        snapshot = tracemalloc.take_snapshot().filter_traces(
            (tracemalloc.Filter(False, tracemalloc.__file__),))
        if self.baseline is None:
            self.baseline = snapshot
        grown = snapshot.compare_to(self.baseline, 'lineno')
        return {'traced_growth': sum(s.size_diff for s in grown),
                'sites': [['%s:%d' % (s.traceback[0].filename.split('vimsim/', 1)[-1],
                                      s.traceback[0].lineno), s.size_diff, s.count_diff]
                          for s in grown[:TOP_SITES]]}


def serve():
    probe = Probe(os.environ['VIMSIM_PROBE_OUT'])
    make = Simulator.__init__

    def remembered(simulator, *args, **kwargs):   # the command's Simulator, for the probe
        probe.simulator = simulator
        make(simulator, *args, **kwargs)
    Simulator.__init__ = remembered
    signal.signal(signal.SIGUSR1, lambda *_: probe.measure(False))
    signal.signal(signal.SIGUSR2, lambda *_: probe.measure(True))
    serve_logging_errors()
