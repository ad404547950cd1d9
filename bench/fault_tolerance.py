"""Fault tolerance's cost: server CPU time per call of turning FT on for a
running VM (CreateSecondaryVM_Task: the checks, the secondary copied,
placed and started), of a failover (MakePrimaryVM_Task) and of turning FT
off (TurnOffFaultToleranceForVM_Task: the secondary and its files go), each
task waited as WaitForTask does, in the default inventory's DC0_C0 made
HA-enabled with FT logging and vMotion NICs selected on its hosts.

The simulator runs in a subprocess; CPU time from /proc/PID/stat.

    python3 bench/fault_tolerance.py [--cycles 50]
"""
import argparse
import asyncio
import re

from drs import RECONFIGURE
from ha import HA
from lifecycle import FIND, Client, returnval
from rawsoap import cpu_seconds, load_average, start_server

RETRIEVE = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
            'propertyCollector</_this><specSet><propSet><type>%s</type><pathSet>%s</pathSet>'
            '</propSet><objectSet><obj type="%s">%s</obj>%s</objectSet></specSet><options/>'
            '</RetrievePropertiesEx>')
TO_HOSTS = ('<skip>true</skip><selectSet xsi:type="TraversalSpec"><name>h</name>'
            '<type>ComputeResource</type><path>host</path><skip>false</skip></selectSet>')
SELECT = ('<SelectVnicForNicType xmlns="urn:vim25"><_this type="HostVirtualNicManager">%s'
          '</_this><nicType>%s</nicType><device>vmk0</device></SelectVnicForNicType>')
VM_METHOD = '<%s xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this>%s</%s>'


def vm_call(method, vm, arguments=''):
    return VM_METHOD % (method, vm, arguments, method)


async def prepare(client):
    """DC0_C0 HA-enabled with its hosts' NICs selected; its first VM's moid."""
    call = client.connection.call
    cluster = returnval(await call(FIND % '/DC0/host/DC0_C0'))
    await client.run_task(RECONFIGURE % (cluster, HA))
    answer = await call(RETRIEVE % ('HostSystem', 'configManager.virtualNicManager',
                                    'ClusterComputeResource', cluster, TO_HOSTS))
    for manager in re.findall(rb'>(\S+?)</val>', answer):
        for nic_type in ('faultToleranceLogging', 'vmotion'):
            await call(SELECT % (manager.decode(), nic_type))
    return returnval(await call(FIND % '/DC0/vm/DC0_C0_RP0_VM0'))


async def measure(host, port, pid, cycles):
    """[CPU seconds per turn-on, failover, turn-off]."""
    client = await Client().open(host, port)
    vm = await prepare(client)
    spent = [0.0, 0.0, 0.0]

    async def timed(index, body):
        before = cpu_seconds(pid)
        await client.run_task(body)
        spent[index] += cpu_seconds(pid) - before
    for _ in range(cycles):
        await timed(0, vm_call('CreateSecondaryVM_Task', vm))
        answer = await client.connection.call(RETRIEVE % (
            'VirtualMachine', 'config.ftInfo', 'VirtualMachine', vm, ''))
        secondary = re.search(rb'<secondaries type="VirtualMachine">([^<]+)<', answer)
        secondary = secondary.group(1).decode()
        await timed(1, vm_call('MakePrimaryVM_Task', vm,
                               '<vm type="VirtualMachine">%s</vm>' % secondary))
        vm = secondary     # the primary now
        await timed(2, vm_call('TurnOffFaultToleranceForVM_Task', vm))
    return [total / cycles for total in spent]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--cycles', type=int, default=50)
    args = parser.parse_args()
    process, host, port = start_server()
    try:
        on, over, off = asyncio.run(measure(host, port, process.pid, args.cycles))
    finally:
        process.terminate()
        process.wait()
    print('%d cycles: turn FT on %.1f ms, fail over %.1f ms, turn FT off %.1f ms CPU each '
          '(load average %s)' % (args.cycles, on * 1000, over * 1000, off * 1000,
                                 load_average()))


if __name__ == '__main__':
    main()
