"""What keeping finished tasks readable costs: 10 clients run quick tasks
(Rename_Task of a folder each, waited as WaitForTask does) until 10,000
finished tasks are kept (TaskManager.keep_completed); then the server's CPU
time per task (from /proc/PID/stat, the machine being shared), its resident
memory before and after, and whether the first task is still readable.

    python3 bench/tasks.py [--clients 10] [--tasks 10000]
"""
import argparse
import asyncio
import os
import re
import time

from lifecycle import FIND, Client, returnval
from rawsoap import start_server

CREATE_FOLDER = ('<CreateFolder xmlns="urn:vim25"><_this type="Folder">%s</_this>'
                 '<name>%s</name></CreateFolder>')
RENAME = ('<Rename_Task xmlns="urn:vim25"><_this type="Folder">%s</_this>'
          '<newName>%s</newName></Rename_Task>')
FETCH_STATE = ('<Fetch xmlns="urn:vim25"><_this type="Task">%s</_this>'
               '<prop>info.state</prop></Fetch>')


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def rss_mb(pid):
    with open('/proc/%d/status' % pid) as f:
        kb = int(re.search(r'VmRSS:\s+(\d+)', f.read()).group(1))
    return kb / 1024


async def run(host, port, pid, clients, total):
    workers = [await Client().open(host, port) for _ in range(clients)]
    vm_folder = returnval(await workers[0].connection.call(FIND % '/DC0/vm'))
    folders = [returnval(await w.connection.call(CREATE_FOLDER % (vm_folder, 'bench-%d' % i)))
               for i, w in enumerate(workers)]
    first = returnval(await workers[0].connection.call(RENAME % (folders[0], 'first')))
    counter = iter(range(total - 1))
    memory_before, cpu_before, start = rss_mb(pid), cpu_seconds(pid), time.perf_counter()

    async def work(client, folder):
        for index in counter:
            await client.run_task(RENAME % (folder, 'bench-%d' % index))

    await asyncio.gather(*(work(w, f) for w, f in zip(workers, folders)))
    elapsed, cpu = time.perf_counter() - start, cpu_seconds(pid) - cpu_before
    try:
        answer = await workers[0].connection.call(FETCH_STATE % first)
        state = re.search(rb'>(\w+)</returnval>', answer).group(1).decode()
    except RuntimeError:   # a fault
        state = 'no longer readable'
    return elapsed, cpu, memory_before, rss_mb(pid), state


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clients', type=int, default=10)
    parser.add_argument('--tasks', type=int, default=10000)
    args = parser.parse_args()
    process, host, port = start_server()
    try:
        elapsed, cpu, before, after, state = asyncio.run(
            run(host, port, process.pid, args.clients, args.tasks))
    finally:
        process.terminate()
        process.wait()
    print('Rename_Task, %d clients, each waited: %d tasks in %.1f s (%.0f tasks/s)'
          % (args.clients, args.tasks, elapsed, args.tasks / elapsed))
    print('server CPU: %.2f ms per task' % (cpu * 1000 / args.tasks))
    print('server memory: %.0f MB before, %.0f MB with %d finished tasks kept '
          '(%.1f KB per task)' % (before, after, args.tasks,
                                  (after - before) * 1024 / args.tasks))
    print('first task after %d newer ones: %s' % (args.tasks - 1, state))
    print('load average: %s' % ' '.join(open('/proc/loadavg').read().split()[:3]))


if __name__ == '__main__':
    main()
