"""What recording and loading cost: server CPU time to start with `-load`
of a recording (the shared real vCenter's, or DIR), and server CPU time
while `vimsim record` saves a running simulator (the default inventory, or
the loaded recording), with the recorder's own CPU time beside it (pyVmomi
parsing and serializing, plus --anonymize's rewrite).

The simulator runs in a subprocess; its CPU time is read from
/proc/PID/stat, so a busy machine changes little.

    python3 bench/recording.py [--load DIR]
"""
import argparse
import os
import resource
import shutil
import sys
import tempfile
import time

from rawsoap import ROOT, cpu_seconds, load_average, start_server

sys.path.insert(0, ROOT)
from vimsim.inventory.recorder import record  # noqa: E402

SHARED = os.path.join(ROOT, '..', 'shared', 'recordings', 'vcsim-vcsa.primp-industries.local')


def own_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(flags, anonymize):
    started = time.monotonic()
    process, host, port = start_server(*flags)
    try:
        start_cpu = cpu_seconds(process.pid)
        ready = time.monotonic() - started
        target = tempfile.mkdtemp()
        shutil.rmtree(target)
        before, client_before = cpu_seconds(process.pid), own_cpu()
        counts = record('http://user:pass@%s:%d/sdk' % (host, port), target, anonymize=anonymize)
        server, client = cpu_seconds(process.pid) - before, own_cpu() - client_before
        size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(target)
                   for f in fs)
        shutil.rmtree(target)
        return start_cpu, ready, sum(counts.values()), size, server, client
    finally:
        process.terminate()
        process.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--load', default=SHARED if os.path.isdir(SHARED) else None)
    args = parser.parse_args()
    cases = [('default inventory', ())]
    if args.load:
        cases.append(('recording %s' % os.path.basename(os.path.normpath(args.load)),
                      ('-load', args.load)))
    print('load average %s' % load_average())
    for label, flags in cases:
        for anonymize in (False, True):
            start_cpu, ready, objects, size, server, client = measure(flags, anonymize)
            print('%-45s start %.2f s CPU (%.1f s wall); record%s: %d objects, %.1f MB, '
                  'server %.2f s CPU, recorder %.2f s CPU' % (
                      label, start_cpu, ready, ' --anonymize' if anonymize else '', objects,
                      size / 1e6, server, client))
    print('load average %s' % load_average())


if __name__ == '__main__':
    main()
