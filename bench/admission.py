"""Admission control's cost: server CPU time per PowerOnVM_Task (waited as
WaitForTask does) when every VM reserves CPU and memory, so each power-on is
admitted against its pool, against the same with no reservations (admission
then does no pool arithmetic), and per CheckPowerOn_Task of the
compatibility checker. Each compute resource's VMs share its root pool, the
worst case: a pool's figures are sums over what it holds.

Raw SOAP over keep-alive connections to a simulator in a subprocess; CPU
time from /proc/PID/stat, so a busy machine changes little.

    python3 bench/admission.py [--vms 200] [--clients 4]
"""
import argparse
import asyncio
import re

from lifecycle import LIST_VMS, POWER, VIEW, Client, returnval
from rawsoap import cpu_seconds, load_average, start_server

RESERVE = ('<ReconfigVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this><spec>'
           '<cpuAllocation><reservation>%d</reservation></cpuAllocation><memoryAllocation>'
           '<reservation>%d</reservation></memoryAllocation></spec></ReconfigVM_Task>')
CHECK_POWER_ON = ('<CheckPowerOn_Task xmlns="urn:vim25"><_this type="VirtualMachineCompatibility'
                  'Checker">CompatChecker</_this><vm type="VirtualMachine">%s</vm>'
                  '<host type="HostSystem">%s</host></CheckPowerOn_Task>')
VM_HOSTS = re.compile(rb'<obj type="VirtualMachine">([^<]+)</obj>.*?<val [^>]*>([^<]+)</val>',
                      re.S)


async def each(workers, bodies):
    """Run every task body, spread over the workers."""
    queue = iter(bodies)

    async def work(client):
        for body in queue:
            await client.run_task(body)
    await asyncio.gather(*(work(c) for c in workers))


async def measure(host, port, pid, clients, reserve):
    workers = [await Client().open(host, port) for _ in range(clients)]
    view = returnval(await workers[0].connection.call(VIEW))
    listing = await workers[0].connection.call(
        LIST_VMS.replace('<pathSet>name</pathSet>', '<pathSet>runtime.host</pathSet>') % view)
    hosts = {vm.decode(): host.decode() for vm, host in VM_HOSTS.findall(listing)}
    vms = sorted(hosts)
    if reserve:
        await each(workers, [RESERVE % (vm, 1, 1) for vm in vms])
    figures = {}
    for label, method in (('PowerOnVM_Task', 'PowerOnVM_Task'),
                          ('PowerOffVM_Task', 'PowerOffVM_Task')):
        before = cpu_seconds(pid)
        await each(workers, [POWER % (method, vm, method) for vm in vms])
        figures[label] = (cpu_seconds(pid) - before) / len(vms)
    before = cpu_seconds(pid)
    await each(workers, [CHECK_POWER_ON % (vm, hosts[vm]) for vm in vms])
    figures['CheckPowerOn_Task'] = (cpu_seconds(pid) - before) / len(vms)
    return len(vms), figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--vms', type=int, default=200)
    parser.add_argument('--clients', type=int, default=4)
    args = parser.parse_args()
    for reserve in (False, True):
        process, host, port = start_server('-vm', str(args.vms), '-autostart=false')
        try:
            count, figures = asyncio.run(measure(host, port, process.pid, args.clients,
                                                 reserve))
        finally:
            process.terminate()
            process.wait()
        print('%d VMs, %s: %s (load average %s)' % (
            count, 'reserving 1 MHz + 1 MB each' if reserve else 'no reservations',
            ', '.join('%s %.2f ms CPU' % (name, seconds * 1000)
                      for name, seconds in figures.items()), load_average()))


if __name__ == '__main__':
    main()
