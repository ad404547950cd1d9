"""The simulator with a memory probe, for bench/soak.py.

Run as the server command (`python3 -c 'from bench.memory_probe import
serve; serve()' FLAGS`): SIGUSR1 makes the server, on its reactor, collect
garbage and write one JSON line to the file VIMSIM_PROBE_OUT names: its RSS,
the live objects of the session-owned classes, what the event and task
stores keep by design (their entries and approximate bytes), with
VIMSIM_PROBE_TRACE=1 the Python bytes traced since the first probe
(tracemalloc, one frame) and the allocation sites that grew most, and with
VIMSIM_PROBE_PINS=1 what holds the 1 MiB windows of memory that small
objects came to occupy since the first probe (`_pins`: why pymalloc cannot
free those arenas).
SIGUSR2 does the same after `gc.collect()` and glibc's `malloc_trim(0)`,
so the two RSS figures tell what the allocator keeps from what Python holds.
With VIMSIM_PROBE_WHATIF=1 a SIGUSR2 probe ends by changing the model
(`_what_if`, for the last probe): how much moving the load's long-lived
objects out of the arenas could give back.
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
        self.pins = os.environ.get('VIMSIM_PROBE_PINS') == '1'
        self.windows = None

    def measure(self, trim):
        from twisted.internet import reactor
        reactor.callFromThread(self._write, trim)

    def _write(self, trim):
        started = time.thread_time()
        gc.unfreeze()    # what the command froze (start-up, model work) counts too
        gc.collect()
        if trim:
            ctypes.CDLL('libc.so.6').malloc_trim(0)
        spent = time.thread_time() - started
        counts = dict.fromkeys(SESSION_CLASSES, 0)
        for obj in gc.get_objects():
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
        if self.pins:
            figures['pins'] = self._pins()
        if trim and os.environ.get('VIMSIM_PROBE_WHATIF') == '1':
            figures['what if'] = self._what_if()
        gc.freeze()
        with open(self.out, 'a') as out:
            out.write(json.dumps(figures) + '\n')

    def _pins(self):
        """What holds the 1 MiB address windows that small objects (pymalloc's
        blocks, <= 512 bytes) occupy now and did not at the first probe (an
        arena is freed only when all of it is free): those windows by the
        owners of what lives in them (`_owners`), and the types found there
        (windows, objects) with what refers to a few of each."""
        live = {}
        for obj in gc.get_objects():
            live[id(obj)] = obj
            for ref in gc.get_referents(obj):      # strings, numbers, datetimes too
                if not gc.is_tracked(ref):
                    live[id(ref)] = ref
        windows = {}
        for address, obj in live.items():
            if sys.getsizeof(obj) <= 512:
                windows.setdefault(address >> 20, []).append(obj)
        if self.windows is None:
            self.windows = set(windows)
            return {'windows': len(windows)}
        new = [objs for window, objs in windows.items() if window not in self.windows]
        owners = self._owners()
        by_owner, by_type = {}, {}
        for objs in new:
            key = ', '.join(sorted({owners.get(id(o), 'other') for o in objs}))
            by_owner[key] = by_owner.get(key, 0) + 1
            for name in {type(o).__name__ for o in objs}:
                by_type.setdefault(name, [0, 0])[0] += 1
            for o in objs:
                by_type[type(o).__name__][1] += 1
        types = sorted(by_type.items(), key=lambda i: -i[1][0])[:TOP_SITES]
        ours = {id(objs) for objs in windows.values()} | {id(new), id(live)}
        for entry in types:
            samples = [o for objs in new for o in objs if type(o).__name__ == entry[0]][:40]
            seen = {}
            for referrer in gc.get_referrers(*samples):
                if referrer is not samples and id(referrer) not in ours:
                    label = type(referrer).__name__
                    seen[label] = seen.get(label, 0) + 1
            entry[1].append(sorted(seen, key=lambda label: -seen[label])[:4])
        return {'windows': len(windows), 'new windows': len(new),
                'owners': sorted(by_owner.items(), key=lambda i: -i[1])[:TOP_SITES],
                'types': types}

    def _what_if(self):
        """How far moving the load's long-lived objects could go (the last
        probe: it changes the model): RSS and arenas after the events, task
        infos and changed VM device lists are replaced by copies made now
        (where pymalloc puts a copy: a free block of a used pool first, then
        the fullest arena), then after they are dropped (the ceiling: as if
        they had moved out of every arena)."""
        import copy
        simulator = self.simulator
        events, history = simulator.event_manager.events, simulator.task_manager.history
        tasks = [obj for obj in simulator.objects if obj.type_name == 'Task']
        vms = [obj for obj in simulator.objects if obj.type_name == 'VirtualMachine']
        answer = {}

        def measured(label):
            gc.collect()
            ctypes.CDLL('libc.so.6').malloc_trim(0)
            answer[label] = {'rss': process_rss(os.getpid()),
                             'pymalloc': pymalloc_figures()}
        started = time.thread_time()
        for cell in events._cells:
            cell[1] = copy.deepcopy(cell[1])
        copied = {}
        for task in tasks:
            task.info = copied[id(task.history_cell[1][1])] = copy.deepcopy(task.info)
        for cell in history._cells:
            serial, info = cell[1]
            cell[1] = (serial, copied.get(id(info)) or copy.deepcopy(info))
        for vm in vms:
            if vm._devices is not None:
                vm._devices = copy.deepcopy(vm._devices)
        answer['copy seconds'] = time.thread_time() - started
        measured('copied')
        events._cells.clear()
        history._cells.clear()
        for task in tasks:
            task.info = None
        for vm in vms:
            vm._devices = None
        measured('dropped')
        if self.pins:
            answer['dropped']['pins'] = self._pins()
        return answer

    def _owners(self):
        """{id: owner} of what the event store, the tasks, each VM's state,
        the other managed objects and the HTTP head cache reach (not through
        another managed object)."""
        from vimsim.managed.base import ManagedObject
        from vimsim.server import http
        simulator = self.simulator
        roots = [('events', list(simulator.event_manager.events._cells)),
                 ('task history', list(simulator.task_manager.history._cells)),
                 ('http heads', [http._HEADS])]
        tasks, vms, others = [], [], []
        for obj in simulator.objects:
            (tasks if obj.type_name == 'Task' else vms if obj.type_name == 'VirtualMachine'
             else others).append(obj)
        roots += [('tasks', tasks), ('vms', vms), ('other objects', others)]
        owners = {}
        skip = (type, type(sys), type(len), type(lambda: 0), Simulator)
        for owner, start in roots:
            allowed = {id(r) for r in start}
            stack = list(start)
            while stack:
                obj = stack.pop()
                if id(obj) in owners or isinstance(obj, skip):
                    continue
                owners[id(obj)] = owner
                for ref in gc.get_referents(obj):
                    if isinstance(ref, ManagedObject) and id(ref) not in allowed:
                        continue
                    stack.append(ref)
        return owners

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
