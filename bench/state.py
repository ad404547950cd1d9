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

    python3 bench/state.py [--clients 4] [--count 1000]
"""
import argparse
import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from lifecycle import CREATE_VM, FIND, Client, returnval
from rawsoap import ROOT, Connection, start_server

sys.path.insert(0, ROOT)
from vimsim.state.journal import Journal  # noqa: E402  (the repository's, not an installed one)

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
    args = parser.parse_args()
    phases = (('UpdateServiceMessage', lambda h, p: messages(h, p, args.clients, args.count)),
              ('CreateVM_Task, waited', lambda h, p: creates(h, p, args.clients, args.count)))
    directory = tempfile.mkdtemp(prefix='vimsim-state-')
    try:
        run_phases(args, phases, directory)
    finally:
        shutil.rmtree(directory)


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


def started(directory, command=('-m', 'vimsim')):
    """(wall s until it serves, its CPU s by then) of a start on `directory`."""
    begun = time.perf_counter()
    process, _, _ = start_server('-autostart=false', '-state', directory, command=command,
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


if __name__ == '__main__':
    main()
