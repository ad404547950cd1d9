"""Live updates with many watchers (issue 16, section 3), three figures:

  (1) the task rate of one mutating client (Rename_Task of VMs, each waited
      as WaitForTask does) alone, and while W watchers each hold a filter on
      `name` over a container view of all VMs and wait for updates (the
      watchers run in a process of their own); server CPU per task; (1b)
      the same with VMs made and destroyed (CreateVM_Task, then Destroy_Task
      of it, each waited), which change what every watcher's view lists;
  (2) change-to-answer latency: a waiting client's filter on `name` over the
      container view; from sending a Rename_Task to that client's answer;
  (3) fan-out: S sessions each waiting on a filter on SessionManager.message;
      from sending UpdateServiceMessage to the last waiter's answer.

Starts `python3 -m vimsim -vm VM` (10,000 VMs by default) per figure. Each
figure is the median of --runs runs; the load average is printed with them.

    python3 bench/watchers.py [--vm 5000] [--watchers 100] [--seconds 10]
                              [--rounds 200] [--sessions 1000] [--runs 3] [--root DIR]
"""
import argparse
import asyncio
import multiprocessing
import re
import statistics
import time

from latency import CREATE_VIEW, SERVICE_CONTENT, VIEW_SPEC, vm_refs
from lifecycle import CREATE_VM, FIND, Client, returnval
from rawsoap import ROOT, Connection, cpu_seconds, load_average, percentile, start_server
from updates import FILTER as MESSAGE_FILTER, MESSAGE, WAIT, version_of

NAME_FILTER = ('<CreateFilter xmlns="urn:vim25"><_this type="PropertyCollector">'
               'propertyCollector</_this><spec><propSet><type>VirtualMachine</type>'
               '<pathSet>name</pathSet></propSet>%s</spec><partialUpdates>false</partialUpdates>'
               '</CreateFilter>')
TASK_RESULT = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
               'propertyCollector</_this><specSet><propSet><type>Task</type><pathSet>info.result'
               '</pathSet></propSet><objectSet><obj type="Task">%s</obj></objectSet></specSet>'
               '<options/></RetrievePropertiesEx>')
DESTROY = '<Destroy_Task xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this></Destroy_Task>'
RENAME = ('<Rename_Task xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this>'
          '<newName>%s</newName></Rename_Task>')


async def view_watcher(host, port):
    """A session with a filter on the VMs' names over a view of all VMs:
    (connection, version after the initial answer, the VMs' moids)."""
    connection = await (await Connection(host, port).open()).login()
    content = (await connection.call(SERVICE_CONTENT)).decode()
    root = re.search(r'<rootFolder type="Folder">([^<]+)</rootFolder>', content).group(1)
    view = re.search(r'<returnval type="ContainerView">([^<]+)</returnval>',
                     (await connection.call(CREATE_VIEW % root)).decode()).group(1)
    await connection.call(NAME_FILTER % (VIEW_SPEC % view))
    first = await connection.call(WAIT % '')
    vms = re.findall(rb'<obj type="VirtualMachine">([^<]+)</obj>', first)
    return connection, version_of(first), [vm.decode() for vm in vms]


def watch(host, port, count, ready, stop):
    """In a process of its own: `count` view watchers following every change."""
    async def follow(connection, version):
        while not stop.is_set():
            version = version_of(await connection.call(WAIT % version))

    async def run():
        watchers = [await view_watcher(host, port) for _ in range(count)]
        ready.set()
        followers = [asyncio.ensure_future(follow(c, v)) for c, v, _ in watchers]
        while not stop.is_set():
            await asyncio.sleep(0.1)
        for follower in followers:
            follower.cancel()
    asyncio.run(run())


def quiet(pid, seconds=60):
    """Wait until the server's start-up work (the first alarm pass) is done:
    less than 5% of a CPU used over half a second."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        if cpu_seconds(pid) - before < 0.025:
            return


async def task_rate(host, port, pid, seconds):
    """(tasks/s, server CPU ms per task) of one client renaming VMs."""
    lister = await (await Connection(host, port).open()).login()
    _, vms = await vm_refs(lister)
    lister.close()
    client = await Client().open(host, port)
    done, cpu, start = 0, cpu_seconds(pid), time.perf_counter()
    while time.perf_counter() - start < seconds:
        await client.run_task(RENAME % (vms[done % len(vms)], 'renamed-%d' % done))
        done += 1
    elapsed = time.perf_counter() - start
    return done / elapsed, (cpu_seconds(pid) - cpu) * 1e3 / done


async def make_and_destroy_rate(host, port, pid, seconds):
    """(VMs made and destroyed per second, server CPU ms per VM) of one
    client making a VM and destroying it, each task waited."""
    client = await Client().open(host, port)
    folder = returnval(await client.connection.call(FIND % '/DC0/vm'))
    pool = returnval(await client.connection.call(FIND % '/DC0/host/DC0_C0/Resources'))
    done, cpu, start = 0, cpu_seconds(pid), time.perf_counter()
    while time.perf_counter() - start < seconds:
        task = await client.run_task(CREATE_VM % (folder, 'made-%d' % done, pool))
        made = re.search(rb'type="VirtualMachine">([^<]+)</val>', await
                         client.connection.call(TASK_RESULT % task)).group(1).decode()
        await client.run_task(DESTROY % made)
        done += 1
    elapsed = time.perf_counter() - start
    return done / elapsed, (cpu_seconds(pid) - cpu) * 1e3 / done


def rates(vm, watchers, seconds, root=ROOT, rate=task_rate):
    """(rate alone, rate with `watchers` view watchers) of one `rate` scenario."""
    process, host, port = start_server('-vm', str(vm), root=root)
    try:
        quiet(process.pid)
        alone = asyncio.run(rate(host, port, process.pid, seconds))
        ready, stop = multiprocessing.Event(), multiprocessing.Event()
        others = multiprocessing.Process(target=watch, args=(host, port, watchers, ready, stop))
        others.start()
        ready.wait()
        quiet(process.pid)
        watched = asyncio.run(rate(host, port, process.pid, seconds))
        stop.set()
        others.join(30)
        if others.is_alive():
            others.terminate()
        return alone, watched
    finally:
        process.terminate()
        process.wait()


async def change_latency(host, port, rounds):
    connection, version, vms = await view_watcher(host, port)
    changer = await (await Connection(host, port).open()).login()
    samples = []
    for index in range(rounds):
        waiting = asyncio.ensure_future(connection.call(WAIT % version))
        await asyncio.sleep(0.002)         # let the wait reach the server
        start = time.perf_counter()
        await changer.call(RENAME % (vms[index % len(vms)], 'latency-%d' % index))
        version = version_of(await waiting)
        samples.append(time.perf_counter() - start)
    return samples


async def fan_out(host, port, pid, sessions, rounds=5):
    """[seconds from the change to the last of `sessions` answers] per round,
    and the server CPU per round."""
    waiters = []
    for _ in range(sessions):
        connection = await (await Connection(host, port).open()).login()
        await connection.call(MESSAGE_FILTER)
        waiters.append([connection, version_of(await connection.call(WAIT % ''))])
    changer = await (await Connection(host, port).open()).login()
    spans, cpu = [], 0.0
    for index in range(rounds):
        waits = [asyncio.ensure_future(c.call(WAIT % v)) for c, v in waiters]
        await asyncio.sleep(1.0)           # every wait has reached the server
        before, start = cpu_seconds(pid), time.perf_counter()
        await changer.call(MESSAGE % ('fan-out %d' % index))
        answers = await asyncio.gather(*waits)
        spans.append(time.perf_counter() - start)
        cpu += cpu_seconds(pid) - before
        for waiter, answer in zip(waiters, answers):
            waiter[1] = version_of(answer)
    for connection, _ in waiters:
        connection.close()
    return spans, cpu / rounds


def served(vm, scenario, *args, root=ROOT):
    process, host, port = start_server('-vm', str(vm), root=root)
    try:
        quiet(process.pid)
        return asyncio.run(scenario(host, port, *args) if scenario is change_latency
                           else scenario(host, port, process.pid, *args))
    finally:
        process.terminate()
        process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--vm', type=int, default=5000)
    parser.add_argument('--watchers', type=int, default=100)
    parser.add_argument('--seconds', type=float, default=10)
    parser.add_argument('--rounds', type=int, default=200)
    parser.add_argument('--sessions', type=int, default=1000)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--root', default=ROOT)
    args = parser.parse_args()
    print('load average %s' % load_average())
    runs = [rates(args.vm, args.watchers, args.seconds, args.root) for _ in range(args.runs)]
    alone = statistics.median(r[0][0] for r in runs)
    watched = statistics.median(r[1][0] for r in runs)
    print('(1) Rename_Task, waited: alone %.0f tasks/s (%.2f ms server CPU each); with %d '
          'watchers of all VMs\' names %.0f tasks/s (%.2f ms each): %.0f%% of the rate alone'
          % (alone, statistics.median(r[0][1] for r in runs), args.watchers, watched,
             statistics.median(r[1][1] for r in runs), watched * 100 / alone))
    runs = [rates(args.vm, args.watchers, args.seconds, args.root, make_and_destroy_rate)
            for _ in range(args.runs)]
    alone = statistics.median(r[0][0] for r in runs)
    watched = statistics.median(r[1][0] for r in runs)
    print('(1b) CreateVM_Task + Destroy_Task, waited: alone %.0f VMs/s (%.2f ms server CPU '
          'each); with %d watchers %.1f VMs/s (%.2f ms each): %.0f%% of the rate alone'
          % (alone, statistics.median(r[0][1] for r in runs), args.watchers, watched,
             statistics.median(r[1][1] for r in runs), watched * 100 / alone))
    samples = [s for _ in range(args.runs)
               for s in served(args.vm, change_latency, args.rounds, root=args.root)]
    print('(2) Rename_Task sent -> the watcher answered, %d rounds: p50 %.2f ms, p99 %.2f ms'
          % (len(samples), percentile(samples, 0.5) * 1e3, percentile(samples, 0.99) * 1e3))
    spans, cpu = zip(*(served(2, fan_out, args.sessions, root=args.root)
                       for _ in range(args.runs)))
    spans = [s for run in spans for s in run]
    print('(3) one change to %d waiting sessions: last answer after p50 %.0f ms, max %.0f ms; '
          'server CPU %.0f ms per change' % (args.sessions, percentile(spans, 0.5) * 1e3,
                                             max(spans) * 1e3, statistics.median(cpu) * 1e3))
    print('load average %s' % load_average())


if __name__ == '__main__':
    main()
