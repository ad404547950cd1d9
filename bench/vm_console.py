"""Server CPU time per call of the VM console, tools and instant clone
methods on running VMs: AcquireTicket (webmks), PutUsbScanCodes (ten keys),
CreateScreenshot_Task (a 1024 x 768 PNG written into the VM's directory),
UpgradeTools_Task, InstantClone_Task and ConsolidateVMDisks_Task (each task
waited as WaitForTask does); and per VM, reading `runtime` of every VM (it
now says whether the VM's disks need consolidating).

Raw SOAP over keep-alive connections to a simulator in a subprocess; CPU
time from /proc/PID/stat, so a busy machine changes little.

    python3 bench/vm_console.py [--vms 200] [--clients 4]
"""
import argparse
import asyncio
import re

from admission import each
from lifecycle import LIST_VMS, VIEW, Client, returnval
from rawsoap import cpu_seconds, load_average, start_server

ON_VM = '<%s xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this>%s</%s>'
KEYS = ''.join('<keyEvents><usbHidCode>%d</usbHidCode></keyEvents>' % (code << 16 | 7)
               for code in range(4, 14))
VM_REF = re.compile(rb'<obj type="VirtualMachine">([^<]+)</obj>')
CALLS = (('AcquireTicket', '<ticketType>webmks</ticketType>', False),
         ('PutUsbScanCodes', '<spec>%s</spec>' % KEYS, False),
         ('CreateScreenshot_Task', '', True),
         ('UpgradeTools_Task', '', True),
         ('InstantClone_Task', '<spec><name>ic-%s</name><location/></spec>', True),
         ('ConsolidateVMDisks_Task', '', True))


async def measure(host, port, pid, clients):
    workers = [await Client().open(host, port) for _ in range(clients)]
    view = returnval(await workers[0].connection.call(VIEW))
    listing = await workers[0].connection.call(LIST_VMS % view)
    vms = [vm.decode() for vm in VM_REF.findall(listing)]
    figures = {}
    for method, arguments, is_task in CALLS:
        bodies = [ON_VM % (method, vm, arguments.replace('%s', vm) if '%s' in arguments
                           else arguments, method) for vm in vms]
        before = cpu_seconds(pid)
        if is_task:
            await each(workers, bodies)
        else:
            queue = iter(bodies)

            async def call(client):
                for body in queue:
                    await client.connection.call(body)
            await asyncio.gather(*(call(c) for c in workers))
        figures[method] = (cpu_seconds(pid) - before) / len(vms)
    listing_runtime = LIST_VMS.replace('<pathSet>name</pathSet>', '<pathSet>runtime</pathSet>')
    view = returnval(await workers[0].connection.call(VIEW))
    before = cpu_seconds(pid)
    answer = await workers[0].connection.call(listing_runtime % view)
    figures['runtime read, per VM'] = (cpu_seconds(pid) - before) / len(VM_REF.findall(answer))
    return len(vms), figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--vms', type=int, default=200)
    parser.add_argument('--clients', type=int, default=4)
    args = parser.parse_args()
    process, host, port = start_server('-vm', str(args.vms))
    try:
        count, figures = asyncio.run(measure(host, port, process.pid, args.clients))
    finally:
        process.terminate()
        process.wait()
    print('%d running VMs: %s (load average %s)' % (
        count, ', '.join('%s %.2f ms CPU' % (name, seconds * 1000)
                         for name, seconds in figures.items()), load_average()))


if __name__ == '__main__':
    main()
