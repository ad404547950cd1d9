"""The cost of -state: server CPU time per mutation with and without it, the
journal's growth per mutation, and how fast a restart replays the journal.

- UpdateServiceMessage, a change without a task: one call record each;
- CreateVM_Task waited as WaitForTask does (a filter on the task, then
  WaitForUpdatesEx until it succeeds): a call record and a step record (the
  task runs) each;
both by concurrent clients over keep-alive connections, against a simulator in
a subprocess; CPU time is the server's own (utime + stime from /proc/PID/stat),
so a busy machine inflates wall time but hardly the figures. Then the -state
simulator is killed (SIGKILL) and started again on its journal: records
replayed per second, as it reports them. Last, compaction: the start-up time
(wall until it serves, and its CPU) replaying the whole journal, compacting
it (replay, then the snapshot written), and from the snapshot.

`--live VMS` (alone: `--live-only`): a live compaction at VMS VMs
(-vm VMS/2: two pools). A journal of --count UpdateServiceMessage calls and
--count/10 CreateVM_Tasks is written, then a simulator starts on it with
-state-compact below its length, so a live compaction begins at once; while
it runs, one client calls CurrentTime every 5 ms (its round trips: p50, p99,
max, as bench/latency.py) and another changes the service message every
20 ms (records the new journal carries after the snapshot). Figures: the
compaction's duration, the serving process's CPU during it and the
compactor's (from /proc), both processes' peak RSS, the latency; then the
start-up time from the live-compacted journal against a replay of the
whole (a copy taken before).

    python3 bench/state.py [--clients 4] [--count 1000] [--live VMS | --live-only VMS]
"""
import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from lifecycle import CREATE_VM, FIND, Client, returnval
from rawsoap import ROOT, Connection, load_average, percentile, rss_mb, start_server

sys.path.insert(0, ROOT)
from vimsim.state.journal import FRAME, Journal  # noqa: E402  (the repository's, not an installed one)

MESSAGE = ('<UpdateServiceMessage xmlns="urn:vim25"><_this type="SessionManager">'
           'SessionManager</_this><message>message %d</message></UpdateServiceMessage>')
TICKS = os.sysconf('SC_CLK_TCK')


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as stat:
        fields = stat.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS     # utime, stime


async def messages(host, port, clients, count):
    connections = [await (await Connection(host, port).open()).login() for _ in range(clients)]
    numbers = iter(range(count))

    async def work(connection):
        for number in numbers:
            await connection.call(MESSAGE % number)
    await asyncio.gather(*(work(c) for c in connections))
    for connection in connections:
        connection.close()


async def creates(host, port, clients, count):
    workers = [await Client().open(host, port) for _ in range(clients)]
    folder = returnval(await workers[0].connection.call(FIND % '/DC0/vm'))
    pool = returnval(await workers[0].connection.call(FIND % '/DC0/host/DC0_C0/Resources'))
    numbers = iter(range(count))

    async def work(client):
        for number in numbers:
            await client.run_task(CREATE_VM % (folder, 'bench_vm_%d' % number, pool))
    await asyncio.gather(*(work(c) for c in workers))
    for client in workers:
        client.connection.close()


def measure(process, host, port, run, journal=None):
    """(server CPU ms, wall s, journal bytes) of one phase."""
    size = os.path.getsize(journal) if journal else 0
    cpu, wall = cpu_seconds(process.pid), time.perf_counter()
    asyncio.run(run(host, port))
    return ((cpu_seconds(process.pid) - cpu) * 1000, time.perf_counter() - wall,
            (os.path.getsize(journal) if journal else 0) - size)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clients', type=int, default=4)
    parser.add_argument('--count', type=int, default=1000)
    parser.add_argument('--live', type=int, default=0, metavar='VMS',
                        help='then a live compaction at this many VMs')
    parser.add_argument('--live-only', type=int, default=0, metavar='VMS',
                        help='only the live compaction, at this many VMs')
    args = parser.parse_args()
    if args.live_only:
        live(args.live_only, args.count)
        return
    phases = (('UpdateServiceMessage', lambda h, p: messages(h, p, args.clients, args.count)),
              ('CreateVM_Task, waited', lambda h, p: creates(h, p, args.clients, args.count)))
    directory = tempfile.mkdtemp(prefix='vimsim-state-')
    try:
        run_phases(args, phases, directory)
    finally:
        shutil.rmtree(directory)
    if args.live:
        live(args.live, args.count)


def run_phases(args, phases, directory):
    journal = os.path.join(directory, 'journal')
    figures = {}
    for label, flags in (('without -state', ()), ('with -state', ('-state', directory))):
        process, host, port = start_server('-autostart=false', *flags)
        try:
            for name, run in phases:
                figures[label, name] = measure(process, host, port, run,
                                               journal if flags else None)
        finally:
            if flags:
                process.send_signal(signal.SIGKILL)     # a crash: the journal as written
            else:
                process.terminate()
            process.wait()
    print('%d clients, %d operations each phase; load average %s' % (
        args.clients, args.count, open('/proc/loadavg').read().split(' ', 3)[:3]))
    for name, _ in phases:
        (cpu0, wall0, _), (cpu1, wall1, size) = (figures['without -state', name],
                                                  figures['with -state', name])
        print('%-24s server CPU per operation: %.3f ms without -state, %.3f ms with it '
              '(+%.0f%%); %.0f vs %.0f operations/s; journal %.0f bytes per operation' % (
                  name, cpu0 / args.count, cpu1 / args.count, 100 * (cpu1 - cpu0) / cpu0,
                  args.count / wall0, args.count / wall1, size / args.count))
    replay(directory, journal)


def replay(directory, journal):
    """Start on the journal (twice: the first start also warms the caches)."""
    for _ in range(2):
        with tempfile.TemporaryFile() as log:
            process, _, _ = start_server('-autostart=false', '-state', directory, stderr=log)
            process.send_signal(signal.SIGKILL)
            process.wait()
            log.seek(0)
            text = log.read().decode()
    found = re.search(r'(\d+) records replayed in ([\d.]+) s', text)
    records, seconds = int(found.group(1)), float(found.group(2))
    reader = Journal(journal)
    calls = sum(1 for header, _ in reader.records() if header['kind'] == 'call')
    reader.close()
    print('restart on a %.1f MB journal: %d records (%d of them calls) replayed in %.2f s: '
          '%.0f records/s, %.0f calls/s' % (os.path.getsize(journal) / 1e6, records, calls,
                                            seconds, records / seconds, calls / seconds))
    compaction(directory, journal, records)


# vimsim's command, compacting the journal once a start replays a record
COMPACTING = ('import sys; from vimsim.state import persistence; persistence.COMPACT_AT = 1; '
              'sys.argv[0] = "vimsim"; from vimsim.cli import main; main()')


def started(directory, command=('-m', 'vimsim'), flags=('-autostart=false',)):
    """(wall s until it serves, its CPU s by then) of a start on `directory`."""
    begun = time.perf_counter()
    process, _, _ = start_server(*flags, '-state', directory, command=command,
                                 stderr=subprocess.DEVNULL)
    wall, cpu = time.perf_counter() - begun, cpu_seconds(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return wall, cpu


def compaction(directory, journal, records):
    whole = started(directory)
    size = os.path.getsize(journal)
    compacting = started(directory, ('-c', COMPACTING))
    snapshot = sum(os.path.getsize(os.path.join(directory, name))
                   for name in os.listdir(directory) if name.startswith('snapshot-'))
    restored = started(directory)
    print('start-up on %d records (%.1f MB journal): %.2f s wall, %.2f s CPU replaying it all; '
          '%.2f s, %.2f s CPU compacting it; %.2f s, %.2f s CPU from the %.1f MB snapshot'
          % ((records, size / 1e6) + whole + compacting + restored + (snapshot / 1e6,)))



# -- a live compaction ----------------------------------------------------------------
CURRENT_TIME = ('<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance'
                '</_this></CurrentTime>')


def live(vms, count):
    directory = tempfile.mkdtemp(prefix='vimsim-live-')
    whole = directory + '-whole'
    inventory = ('-autostart=false', '-vm', str(vms // 2))
    try:
        process, host, port = start_server(*inventory, '-state', directory,
                                           '-state-compact', '0')
        asyncio.run(messages(host, port, 4, count))
        asyncio.run(creates(host, port, 4, count // 10))
        process.send_signal(signal.SIGKILL)
        process.wait()
        shutil.copytree(directory, whole)
        reader = Journal(os.path.join(directory, 'journal'))
        records = sum(1 for _ in reader.records())
        reader.close()
        process, host, port = start_server(*inventory, '-state', directory,
                                           '-state-compact', str(records - 1))
        try:
            figures = asyncio.run(while_compacting(host, port, process.pid, directory))
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        print('live compaction at %d VMs, %d records (%.1f MB journal); load average %s'
              % (vms, records, os.path.getsize(os.path.join(whole, 'journal')) / 1e6,
                 load_average()))
        print('  %.2f s until the new journal took over; serving process: %.2f s CPU, peak '
              'RSS %.0f MB (%.0f MB before); compactor: %.2f s CPU, peak RSS %.0f MB; '
              '%d records served meanwhile carried over' % figures[:7])
        print('  CurrentTime from another client: after it p50 %.1f ms, p99 %.1f ms, max %.1f '
              'ms; during p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d calls)' % figures[7:])
        full = started(whole, flags=inventory + ('-state-compact', '0'))
        compacted = started(directory, flags=inventory + ('-state-compact', '0'))
        print('  start-up: %.2f s wall, %.2f s CPU replaying the whole journal; %.2f s, '
              '%.2f s CPU from the live-compacted one' % (full + compacted))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        shutil.rmtree(whole, ignore_errors=True)


def named_snapshot(directory):
    """The snapshot the journal's start record names (None: none)."""
    with open(os.path.join(directory, 'journal'), 'rb') as reader:
        length, _ = FRAME.unpack(reader.read(FRAME.size))
        return json.loads(reader.read(length).partition(b'\n')[0]).get('snapshot')


def children(pid):
    with open('/proc/%d/task/%d/children' % (pid, pid)) as listed:
        return [int(child) for child in listed.read().split()]


async def ticks(connection, stop, samples):
    """CurrentTime every 5 ms until `stop`, each round trip in ms into `samples`."""
    while not stop.is_set():
        begun = time.perf_counter()
        await connection.call(CURRENT_TIME)
        samples.append((time.perf_counter() - begun) * 1000)
        await asyncio.sleep(0.005)


async def while_compacting(host, port, pid, directory):
    """The figures of the live compaction that begins as the server starts,
    and CurrentTime's round trips during it and for 3 s after."""
    ticker = await (await Connection(host, port).open()).login()
    writer = await (await Connection(host, port).open()).login()
    rss_before = rss_mb(pid)
    cpu = cpu_seconds(pid)
    begun = time.perf_counter()
    during, after, stop, done = [], [], asyncio.Event(), asyncio.Event()
    compactor = {'cpu': 0.0, 'rss': 0.0}
    written = [0]

    async def write():       # a change every 20 ms: records the new journal carries over
        while not done.is_set():
            await writer.call(MESSAGE % written[0])
            written[0] += 1
            await asyncio.sleep(0.02)

    async def watch():
        while named_snapshot(directory) is None:
            for child in children(pid):
                try:
                    compactor['cpu'] = max(compactor['cpu'], cpu_seconds(child))
                    compactor['rss'] = max(compactor['rss'], rss_mb(child, 'VmHWM'))
                except OSError:
                    pass     # it has just ended
            await asyncio.sleep(0.05)
        done.set()
    watching = asyncio.gather(ticks(ticker, done, during), write(), watch())
    await watching
    figures = (time.perf_counter() - begun, cpu_seconds(pid) - cpu, rss_mb(pid, 'VmHWM'),
               rss_before, compactor['cpu'], compactor['rss'], written[0])
    waiting = asyncio.ensure_future(ticks(ticker, stop, after))
    await asyncio.sleep(3)
    stop.set()
    await waiting
    ticker.close()
    writer.close()
    latency = []
    for samples in (after, during):
        latency += [percentile(samples, 0.5), percentile(samples, 0.99), max(samples)]
    return figures + tuple(latency) + (len(during),)


if __name__ == '__main__':
    main()
