"""What a cluster reconfiguration costs as its rules grow: one client adds
anti-affinity rules one ReconfigureComputeResource_Task at a time (each
waited, as WaitForTask does) until N rules are kept, then reports the
server's CPU time per reconfiguration (from /proc/PID/stat, the machine
being shared) for the first and the last hundred, and the load average.

    python3 bench/cluster_config.py [--rules 1000]
"""
import argparse
import asyncio
import os
import re
import time

from lifecycle import FIND, Client, returnval
from rawsoap import start_server
from tasks import cpu_seconds

VMS = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
       'propertyCollector</_this><specSet><propSet><type>ResourcePool</type>'
       '<pathSet>vm</pathSet></propSet><objectSet><obj type="ResourcePool">%s</obj>'
       '</objectSet></specSet><options/></RetrievePropertiesEx>')
POOL = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
        'propertyCollector</_this><specSet><propSet><type>ClusterComputeResource</type>'
        '<pathSet>resourcePool</pathSet></propSet><objectSet><obj '
        'type="ClusterComputeResource">%s</obj></objectSet></specSet><options/>'
        '</RetrievePropertiesEx>')
ADD_RULE = ('<ReconfigureComputeResource_Task xmlns="urn:vim25" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<_this type="ClusterComputeResource">%s</_this>'
            '<spec xsi:type="ClusterConfigSpecEx"><rulesSpec><operation>add</operation>'
            '<info xsi:type="ClusterAntiAffinityRuleSpec"><enabled>true</enabled>'
            '<name>rule-%d</name><vm type="VirtualMachine">%s</vm>'
            '<vm type="VirtualMachine">%s</vm></info></rulesSpec></spec>'
            '<modify>true</modify></ReconfigureComputeResource_Task>')


async def run(host, port, pid, rules):
    client = await Client().open(host, port)
    cluster = returnval(await client.connection.call(FIND % '/DC0/host/DC0_C0'))
    pool = re.search(rb'type="ResourcePool">([^<]+)<', await client.connection.call(
        POOL % cluster)).group(1).decode()
    vms = [m.decode() for m in re.findall(rb'type="VirtualMachine">([^<]+)<',
                                          await client.connection.call(VMS % pool))]
    figures = []
    for start in range(0, rules, 100):
        cpu_before = cpu_seconds(pid)
        for index in range(start, min(start + 100, rules)):
            await client.run_task(ADD_RULE % (cluster, index, vms[0], vms[1]))
        figures.append((cpu_seconds(pid) - cpu_before) * 1000 / 100)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rules', type=int, default=1000)
    args = parser.parse_args()
    process, host, port = start_server()
    try:
        start = time.perf_counter()
        figures = asyncio.run(run(host, port, process.pid, args.rules))
        elapsed = time.perf_counter() - start
    finally:
        process.terminate()
        process.wait()
    print('ReconfigureComputeResource_Task adding one rule each, %d rules in %.1f s'
          % (args.rules, elapsed))
    print('server CPU per reconfiguration: %.2f ms (rules 1-100), %.2f ms (last 100)'
          % (figures[0], figures[-1]))
    print('load average: %s' % ' '.join('%.2f' % v for v in os.getloadavg()))


if __name__ == '__main__':
    main()
