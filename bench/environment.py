"""What the EnvironmentBrowser and settings-carrying reconfigurations cost:
server CPU time (from /proc/PID/stat, the machine being shared) per
QueryConfigOption of a cluster (the whole guest catalogue), per
QueryConfigTarget, and per ReconfigVM_Task that sets boot options, firmware
and flags (waited as WaitForTask does), with the size of each answer.

    python3 bench/environment.py [--calls 200]
"""
import argparse
import asyncio

from lifecycle import FIND, POWER, Client, returnval
from rawsoap import start_server
from tasks import cpu_seconds

QUERY_OPTION = ('<QueryConfigOption xmlns="urn:vim25"><_this type="EnvironmentBrowser">%s'
                '</_this></QueryConfigOption>')
QUERY_TARGET = ('<QueryConfigTarget xmlns="urn:vim25"><_this type="EnvironmentBrowser">%s'
                '</_this></QueryConfigTarget>')
FETCH_BROWSER = ('<Fetch xmlns="urn:vim25"><_this type="ClusterComputeResource">%s</_this>'
                 '<prop>environmentBrowser</prop></Fetch>')
RECONFIGURE = ('<ReconfigVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this>'
               '<spec><flags><enableLogging>%s</enableLogging></flags>'
               '<bootOptions><bootDelay>%d</bootDelay></bootOptions>'
               '<firmware>%s</firmware></spec></ReconfigVM_Task>')


async def measure(pid, calls, call):
    before = cpu_seconds(pid)
    size = 0
    for index in range(calls):
        size = len(await call(index))
    return (cpu_seconds(pid) - before) * 1000 / calls, size


async def run(pid, host, port, calls):
    client = await Client().open(host, port)
    connection = client.connection
    cluster = returnval(await connection.call(FIND % '/DC0/host/DC0_C0'))
    browser = returnval(await connection.call(FETCH_BROWSER % cluster))
    vm = returnval(await connection.call(FIND % '/DC0/vm/DC0_H0_VM0'))
    option = await measure(pid, calls, lambda i: connection.call(QUERY_OPTION % browser))
    target = await measure(pid, calls, lambda i: connection.call(QUERY_TARGET % browser))
    # firmware is changed powered off
    await client.run_task(POWER % ('PowerOffVM_Task', vm, 'PowerOffVM_Task'))

    async def reconfigure(index):
        await client.run_task(RECONFIGURE % (vm, 'true' if index % 2 else 'false', index,
                                             'efi' if index % 2 else 'bios'))
        return b''
    reconfig = await measure(pid, calls, reconfigure)
    return option, target, reconfig


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--calls', type=int, default=200)
    args = parser.parse_args()
    process, host, port = start_server()
    try:
        option, target, reconfig = asyncio.run(run(process.pid, host, port, args.calls))
    finally:
        process.terminate()
        process.wait()
    print('QueryConfigOption: %.2f ms server CPU per call, %d bytes' % option)
    print('QueryConfigTarget: %.2f ms server CPU per call, %d bytes' % target)
    print('ReconfigVM_Task (flags, bootOptions, firmware), waited: %.2f ms server CPU '
          'per task' % reconfig[0])
    print('load average: %s' % ' '.join(open('/proc/loadavg').read().split()[:3]))


if __name__ == '__main__':
    main()
