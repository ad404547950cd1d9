"""VM lifecycle throughput, with tasks taking no simulated time (the default).

- VMs created per second by 10 concurrent clients: each calls CreateVM_Task
  and waits for the task as pyVim.task.WaitForTask does (a filter on the task,
  WaitForUpdatesEx until success), then creates the next;
- power operations per second on 1,000 VMs: every VM powered on, then off, by
  10 concurrent clients, each operation waited the same way.

Raw SOAP over keep-alive connections to a simulator in a subprocess. Each
figure comes with the server's own CPU time per operation (from
/proc/PID/stat): the rates also count the clients, which share the machine.

Each figure is the median of --runs fresh simulators; --root runs another
checkout's simulator under the same bench (a before/after comparison).

    python3 bench/lifecycle.py [--clients 10] [--creates 500] [--runs 3] [--root DIR]
"""
import argparse
import asyncio
import re
import time

from rawsoap import ROOT, Connection, cpu_seconds, load_average, start_server

FIND = ('<FindByInventoryPath xmlns="urn:vim25"><_this type="SearchIndex">SearchIndex</_this>'
        '<inventoryPath>%s</inventoryPath></FindByInventoryPath>')
CREATE_VM = ('<CreateVM_Task xmlns="urn:vim25"><_this type="Folder">%s</_this><config>'
             '<name>%s</name><guestId>otherGuest64</guestId><files><vmPathName>[LocalDS_0]'
             '</vmPathName></files><numCPUs>1</numCPUs><memoryMB>64</memoryMB></config>'
             '<pool type="ResourcePool">%s</pool></CreateVM_Task>')
POWER = '<%s xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this></%s>'
WATCH = ('<CreateFilter xmlns="urn:vim25"><_this type="PropertyCollector">%s</_this><spec>'
         '<propSet><type>Task</type><pathSet>info.state</pathSet></propSet>'
         '<objectSet><obj type="Task">%s</obj></objectSet></spec>'
         '<partialUpdates>true</partialUpdates></CreateFilter>')
WAIT = ('<WaitForUpdatesEx xmlns="urn:vim25"><_this type="PropertyCollector">%s</_this>'
        '<version>%s</version><options><maxWaitSeconds>30</maxWaitSeconds></options>'
        '</WaitForUpdatesEx>')
DESTROY_FILTER = ('<DestroyPropertyFilter xmlns="urn:vim25"><_this type="PropertyFilter">%s'
                  '</_this></DestroyPropertyFilter>')
NEW_COLLECTOR = ('<CreatePropertyCollector xmlns="urn:vim25"><_this type="PropertyCollector">'
                 'propertyCollector</_this></CreatePropertyCollector>')
VIEW = ('<CreateContainerView xmlns="urn:vim25"><_this type="ViewManager">ViewManager</_this>'
        '<container type="Folder">group-d1</container><type>VirtualMachine</type>'
        '<recursive>true</recursive></CreateContainerView>')
LIST_VMS = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
            'propertyCollector</_this><specSet><propSet><type>VirtualMachine</type>'
            '<pathSet>name</pathSet></propSet><objectSet><obj type="ContainerView">%s</obj>'
            '<skip>true</skip><selectSet xsi:type="TraversalSpec"><name>v</name>'
            '<type>ContainerView</type><path>view</path><skip>false</skip></selectSet>'
            '</objectSet></specSet><options/></RetrievePropertiesEx>')


def returnval(body):
    return re.search(rb'<returnval[^>]*>([^<]+)</returnval>', body).group(1).decode()


class Client:
    """A logged-in session that runs tasks and waits for each, as WaitForTask does."""

    async def open(self, host, port):
        self.connection = await (await Connection(host, port).open()).login()
        self.collector = returnval(await self.connection.call(NEW_COLLECTOR))
        return self

    async def run_task(self, body):
        """Run the task `body` starts and wait for it to succeed; its moid."""
        task = returnval(await self.connection.call(body))
        watch = returnval(await self.connection.call(WATCH % (self.collector, task)))
        version = ''
        while True:
            answer = await self.connection.call(WAIT % (self.collector, version))
            version = re.search(rb'<version>([^<]+)</version>', answer).group(1).decode()
            state = re.findall(rb'<val xsi:type="TaskInfoState">(\w+)</val>', answer)
            if state and state[-1] in (b'success', b'error'):
                break
        await self.connection.call(DESTROY_FILTER % watch)
        if state[-1] != b'success':
            raise RuntimeError('task failed: %s' % body[:80])
        return task


async def creates(host, port, clients, total, prefix='bench_vm_'):
    first = await Client().open(host, port)
    folder = returnval(await first.connection.call(FIND % '/DC0/vm'))
    pool = returnval(await first.connection.call(FIND % '/DC0/host/DC0_C0/Resources'))
    workers = [first] + [await Client().open(host, port) for _ in range(clients - 1)]
    counter = iter(range(total))

    async def work(client):
        for index in counter:
            await client.run_task(CREATE_VM % (folder, '%s%d' % (prefix, index), pool))

    start = time.perf_counter()
    await asyncio.gather(*(work(c) for c in workers))
    return total, total / (time.perf_counter() - start)


async def power(host, port, clients, only=None):
    workers = [await Client().open(host, port) for _ in range(clients)]
    view = returnval(await workers[0].connection.call(VIEW))
    listing = await workers[0].connection.call(LIST_VMS % view)
    vms = [m.decode() for m in re.findall(rb'<obj type="VirtualMachine">([^<]+)</obj>', listing)]
    vms = vms[:only]

    async def run(method):
        queue = iter(vms)

        async def work(client):
            for vm in queue:
                await client.run_task(POWER % (method, vm, method))
        await asyncio.gather(*(work(c) for c in workers))

    start = time.perf_counter()
    await run('PowerOnVM_Task')
    await run('PowerOffVM_Task')
    return 2 * len(vms), 2 * len(vms) / (time.perf_counter() - start)


def _measured(root, phase):
    """(rate, server CPU seconds per operation) of one `phase` against a fresh
    simulator; one operation of its kind is made first, off the clock, so a
    kind's first-use costs (its data classes and managers, made on first use)
    count in start-up, as bench/startup.py measures it, not per operation."""
    process, host, port = start_server('-vm', '500', '-autostart=false', root=root)
    try:
        asyncio.run(phase(host, port, warm=True))
        before = cpu_seconds(process.pid)
        count, rate = asyncio.run(phase(host, port))
        return rate, (cpu_seconds(process.pid) - before) / count
    finally:
        process.terminate()
        process.wait()


def _median_of(runs, root, phase):
    figures = sorted(_measured(root, phase) for _ in range(runs))
    return figures[len(figures) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clients', type=int, default=10)
    parser.add_argument('--creates', type=int, default=500)
    parser.add_argument('--runs', type=int, default=3, help='the median of this many')
    parser.add_argument('--root', default=ROOT, help='the checkout whose simulator runs')
    args = parser.parse_args()
    print('load average: %s' % load_average())

    def create_phase(host, port, warm=False):
        total = 1 if warm else args.creates
        return creates(host, port, 1 if warm else args.clients, total,
                       prefix='warm_vm_' if warm else 'bench_vm_')

    def power_phase(host, port, warm=False):
        return power(host, port, 1 if warm else args.clients, only=1 if warm else None)

    rate, cpu = _median_of(args.runs, args.root, create_phase)
    print('CreateVM_Task, %d clients, each waited: %.0f VMs created/s (%d VMs), '
          'server CPU %.2f ms per VM (median of %d)'
          % (args.clients, rate, args.creates, cpu * 1000, args.runs))
    rate, cpu = _median_of(args.runs, args.root, power_phase)
    print('PowerOnVM_Task + PowerOffVM_Task on 1,000 VMs, %d clients, each waited: '
          '%.0f power operations/s, server CPU %.2f ms per operation (median of %d)'
          % (args.clients, rate, cpu * 1000, args.runs))

if __name__ == '__main__':
    main()
