"""Posting events: CPU per event and memory per kept event.

Builds a simulator in this process (the default inventory) and posts, in
--runs runs of --events each, the events a VM's power cycle posts
(VmStartingEvent and VmPoweredOnEvent about a VM, as its task does, with
every entity argument filled), each run about the next VM. Prints the
median CPU time per posted event (time.process_time, so other load on the
machine does not count) and the Python heap each kept event costs
(tracemalloc, over a last run), with the load average. `--root DIR`
measures the checkout at DIR instead (before/after figures).

    python3 bench/event_post.py [--events 20000] [--runs 5] [--root DIR]
"""
import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--events', type=int, default=20000)
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--root', default=ROOT)
    args = parser.parse_args()
    sys.path.insert(0, os.path.abspath(args.root))
    from vimsim.managed.monitoring.event_manager import event_manager
    from vimsim.options import Options
    from vimsim.simulator import Simulator

    simulator = Simulator(Options())
    events = event_manager(simulator)
    vms = [obj for obj in simulator.objects if obj.type_name == 'VirtualMachine']

    def post(vm, count):
        for _ in range(count // 2):
            events.post('VmStartingEvent', vm)
            events.post('VmPoweredOnEvent', vm)
    per_event = []
    for run in range(args.runs):
        gc.collect()
        started = time.process_time()
        post(vms[run % len(vms)], args.events)
        per_event.append((time.process_time() - started) / args.events)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    post(vms[args.runs % len(vms)], args.events)
    gc.collect()
    kept = (tracemalloc.get_traced_memory()[0] - before) / args.events
    tracemalloc.stop()
    print('%s: %d runs of %d events: median %.1f us of CPU per event (min %.1f, max %.1f); '
          '%.0f bytes of Python heap per kept event' % (
              os.path.abspath(args.root), args.runs, args.events,
              statistics.median(per_event) * 1e6, min(per_event) * 1e6, max(per_event) * 1e6,
              kept))
    print('load average: %s' % ' '.join(open('/proc/loadavg').read().split()[:3]))


if __name__ == '__main__':
    main()
