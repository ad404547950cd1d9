"""Per-test reset: what `Simulator.reset` costs (the pytest plugin's
function-scoped `vimsim` runs it before each test).

For each inventory, builds a Simulator in this process, then resets it a
number of times and prints, per reset, this process's CPU time
(time.process_time: the clock /proc/self/stat's utime + stime count, at
nanosecond resolution instead of 10 ms ticks; the machine is shared, so
wall time says less) and the wall time, best and median. A reset drops a
model full of reference cycles, which the cyclic collector frees later; the
last column is that cost: a full collection after a reset less one with no
garbage. Then the figure of a suite of SUITE tests with a fresh default
vCenter each: SUITE resets in a row, total CPU and wall time, old models
freed by the collector as they come, and with this process's start to its
first simulator (interpreter, imports, schema, model: what a suite pays once
in-process; its imports compile what has no bytecode cache, so for an
installed vimsim's figure run with one, e.g. PYTHONPYCACHEPREFIX as
bench/startup.py sets it) the suite's simulator part, the issue's target
5 s. The load average is printed with the figures.

    python3 bench/reset.py [VM-FLAG ...]     # default: 2 (the default inventory) 5000
                                             # (-vm 5000: 10,000 VMs)
"""
import gc
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from vimsim.options import Options  # noqa: E402
from vimsim.simulator import Simulator  # noqa: E402

RUNS = 15
SUITE = 200     # tests of a suite, each with a fresh vCenter


def first_simulator():
    """(CPU, wall) seconds from this process's start (the interpreter's, the
    imports) to its first default simulator: what a suite pays once."""
    Simulator(Options(vm=2)).close()
    with open('/proc/self/stat') as stat:
        ticks = int(stat.read().rsplit(')', 1)[1].split()[19])   # starttime, clock ticks
    with open('/proc/uptime') as uptime:
        since_boot = float(uptime.read().split()[0])
    return time.process_time(), since_boot - ticks / os.sysconf('SC_CLK_TCK')


def collection():
    """CPU seconds of one full collection."""
    started = time.process_time()
    gc.collect()
    return time.process_time() - started


def measure(simulator):
    """[(reset cpu, reset wall, freeing the old model cpu)] over RUNS resets."""
    runs = []
    for _ in range(RUNS):
        gc.collect()
        baseline = collection()
        started_cpu, started = time.process_time(), time.perf_counter()
        simulator.reset()
        wall = time.perf_counter() - started
        cpu = time.process_time() - started_cpu
        runs.append((cpu, wall, max(0.0, collection() - baseline)))
    return runs


def ms(values):
    return '%6.1f / %6.1f ms' % (min(values) * 1e3, statistics.median(values) * 1e3)


def load():
    with open('/proc/loadavg') as loadavg:
        return ' '.join(loadavg.read().split()[:3])


def main(sizes):
    start_cpu, start_wall = first_simulator()
    print('load average: %s' % load())
    print('%-9s %7s %8s   %-21s %-21s %s' % ('inventory', 'VMs', 'objects', 'reset cpu best/median',
                                             'reset wall', 'freeing the old model (cpu)'))
    for size in sizes:
        simulator = Simulator(Options(vm=size))
        vms = sum(1 for obj in simulator.objects if obj.type_name == 'VirtualMachine')
        cpu, wall, freeing = zip(*measure(simulator))
        print('-vm %-5d %7d %8d   %-21s %-21s %s' % (size, vms, len(simulator.objects), ms(cpu),
                                                    ms(wall), ms(freeing)))
        simulator.close()
    simulator = Simulator(Options(vm=2))
    gc.collect()
    started_cpu, started = time.process_time(), time.perf_counter()
    for _ in range(SUITE):
        simulator.reset()
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
    print('%d resets of the default inventory: %.2f s CPU, %.2f s wall in total'
          % (SUITE, cpu, wall))
    print('a suite of %d tests, a fresh default vCenter each: %.2f s CPU, %.2f s wall '
          '(this process\'s start to its first simulator, %.2f s CPU, %.2f s wall, and the '
          'resets; target 5 s)' % (SUITE, start_cpu + cpu, start_wall + wall, start_cpu,
                                   start_wall))
    simulator.close()
    print('load average: %s' % load())


if __name__ == '__main__':
    main([int(arg) for arg in sys.argv[1:]] or [2, 5000])
