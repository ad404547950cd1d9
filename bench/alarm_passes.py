"""The alarm manager's passes over a large inventory (issue 16, section 5).

Builds a Simulator of `-vm N` in this process (N VMs per host and per
cluster: 2 N VMs) on a reactor thread, waits for the first pass over the
default alarms to end, then advances model time 20 s at a time and waits
for each later pass: the process's CPU time for the first pass and for
each later one (their median, and per VM), and the peak RSS growth of the
later ones. A later pass must cost less than its 20 s of CPU, or passes
run back to back beside every call. Prints the load average before and
after (the machine is shared; CPU time does not depend on it much). The
inventory is built with the garbage collector off and then frozen, as
`python3 -m vimsim` builds it.

    python3 bench/alarm_passes.py [--vm 25000] [--passes 5] [--root DIR]
"""
import argparse
import gc
import os
import statistics
import sys
import time

from rawsoap import ROOT, load_average, rss_mb
from million import reset_peak


def settled(on_reactor, sim):
    while not on_reactor(sim.time.settled):
        time.sleep(0.02)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--vm', type=int, default=25000)
    parser.add_argument('--passes', type=int, default=5)
    parser.add_argument('--root', default=ROOT, help='the checkout whose vimsim to measure')
    args = parser.parse_args()
    sys.path.insert(0, os.path.abspath(args.root))
    from vimsim import clock
    from vimsim.options import Options
    from vimsim.simulator import Simulator
    from vimsim.testing.threaded import on_reactor

    print('load average %s' % load_average())
    vms = 2 * args.vm
    started = time.process_time()
    gc.disable()   # as the command line builds it: then frozen, full collections skip it
    sim = on_reactor(Simulator, Options(vm=args.vm))
    gc.freeze()
    gc.enable()
    settled(on_reactor, sim)
    print('-vm %d (%d VMs): built and first pass in %.1f s of CPU' % (
        args.vm, vms, time.process_time() - started))
    ahead = clock.ahead()
    costs = []
    reset_peak(os.getpid())
    before = rss_mb(os.getpid())
    try:
        for _ in range(args.passes):
            started = time.process_time()
            on_reactor(sim.time.advance, 20)
            settled(on_reactor, sim)
            costs.append(time.process_time() - started)
    finally:
        on_reactor(sim.time.take_back, clock.ahead() - ahead)
    median = statistics.median(costs)
    print('later passes: %s s of CPU; median %.2f s, %.1f us a VM; peak RSS +%.0f MB' % (
        ', '.join('%.2f' % cost for cost in costs), median, median / vms * 1e6,
        rss_mb(os.getpid(), 'VmHWM') - before))
    print('load average %s' % load_average())


if __name__ == '__main__':
    main()
