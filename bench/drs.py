"""A DRS pass's cost: server CPU time of one pass (the control surface's
drs/pass) over a cluster of 64 hosts and 5,000 VMs, with the VMs of the
first hosts made busy so the pass has moves to find; in a manual cluster
(the pass plans and recommends) and a fully automated one (it also starts
the migrations, each a MigrateVM_Task, which run once it answered: the
second figure adds what the server spent in the next seconds). Then a
pass with DPM on (manual, so its power-offs stay recommendations), every VM
nearly idle: over the same cluster, whose 4 GB hosts 5,000 VMs fill (DPM
finds no host to spare: the cost of looking), and over one of `--dpm-vms`
VMs, where the pass plans the evacuations of the hosts DPM lets go.

The first read of any VM's devices gives every VM of the inventory its
distributed switch port at once (network/dv_port.py), seconds for 5,000
VMs; the benchmark does that read before it measures, so the figure is the
pass's own. The simulator runs in a subprocess; CPU time from
/proc/PID/stat, so a busy machine changes little.

    python3 bench/drs.py [--hosts 64] [--vms 5000] [--busy-hosts 4] [--idle 0.02]
                         [--dpm-vms 640]
"""
import argparse
import asyncio
import base64
import http.client
import json
import re
import time

from lifecycle import FIND, LIST_VMS, VIEW, Client, returnval
from rawsoap import cpu_seconds, load_average, start_server

RECONFIGURE = ('<ReconfigureComputeResource_Task xmlns="urn:vim25"><_this '
               'type="ClusterComputeResource">%s</_this><spec xsi:type="ClusterConfigSpecEx">%s'
               '</spec><modify>true</modify></ReconfigureComputeResource_Task>')
DRS = ('<drsConfig><enabled>true</enabled><defaultVmBehavior>%s</defaultVmBehavior>'
       '<vmotionRate>1</vmotionRate></drsConfig>')
DEVICES = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
           'propertyCollector</_this><specSet><propSet><type>VirtualMachine</type>'
           '<pathSet>config.hardware.device</pathSet></propSet><objectSet><obj '
           'type="VirtualMachine">%s</obj></objectSet></specSet><options/>'
           '</RetrievePropertiesEx>')
DPM = ('<dpmConfig><enabled>true</enabled><defaultDpmBehavior>manual</defaultDpmBehavior>'
       '</dpmConfig>')
RECOMMENDATIONS = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
                   'propertyCollector</_this><specSet><propSet><type>ClusterComputeResource'
                   '</type><pathSet>recommendation</pathSet></propSet><objectSet><obj '
                   'type="ClusterComputeResource">%s</obj></objectSet></specSet><options/>'
                   '</RetrievePropertiesEx>')
SETTLE = 3   # seconds
VM_HOSTS = re.compile(rb'<obj type="VirtualMachine">([^<]+)</obj>.*?<val [^>]*>([^<]+)</val>',
                      re.S)


def control(host, port, path, document):
    """POST a control surface action; its JSON answer."""
    connection = http.client.HTTPConnection(host, port, timeout=600)
    connection.request('POST', '/vimsim/control/' + path, body=json.dumps(document), headers={
        'Authorization': 'Basic ' + base64.b64encode(b'user:pass').decode(),
        'Content-Type': 'application/json'})
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()
    if response.status != 200:
        raise RuntimeError(answer)
    return answer


async def vm_hosts(client):
    """{vm moid: host moid} of every VM."""
    view = returnval(await client.connection.call(VIEW))
    listing = await client.connection.call(
        LIST_VMS.replace('<pathSet>name</pathSet>', '<pathSet>runtime.host</pathSet>') % view)
    return {vm.decode(): host.decode() for vm, host in VM_HOSTS.findall(listing)}


async def prepare(host, port, busy_hosts, behavior, idle=None):
    """Set the loads (the VMs of the first `busy_hosts` busy, or with `idle`
    every VM at that CPU share) and the cluster's DRS (and, idle, DPM)."""
    client = await Client().open(host, port)
    cluster = returnval(await client.connection.call(FIND % '/DC0/host/DC0_C0'))
    placement = await vm_hosts(client)
    hosts = sorted(set(placement.values()), key=lambda moid: int(moid.rsplit('-', 1)[1]))
    for vm, on in placement.items():
        if idle is not None:
            control(host, port, 'load', {'entity': vm, 'cpu': idle, 'memory': idle})
        elif on in hosts[:busy_hosts]:
            control(host, port, 'load', {'entity': vm, 'cpu': 0.9})
    await client.connection.call(DEVICES % next(iter(placement)))
    await client.run_task(RECONFIGURE % (cluster, DRS % behavior + (DPM if idle else '')))
    return cluster, len(placement), len(hosts)


async def power_recommendations(host, port, cluster):
    client = await Client().open(host, port)
    answer = await client.connection.call(RECOMMENDATIONS % cluster)
    return answer.count(b'"ClusterHostPowerAction"'), answer.count(b'"ClusterMigrationAction"')


def dpm_pass(args, vm_count):
    process, host, port = start_server('-host', str(args.hosts), '-vm', str(vm_count),
                                       '-standalone-host', '0')
    try:
        cluster, vms, hosts = asyncio.run(prepare(host, port, 0, 'fullyAutomated', args.idle))
        before = cpu_seconds(process.pid)
        control(host, port, 'drs/pass', {'cluster': cluster})
        spent = cpu_seconds(process.pid) - before
        powers, migrations = asyncio.run(power_recommendations(host, port, cluster))
    finally:
        process.terminate()
        process.wait()
    print('%d hosts, %d VMs at %.0f %% load, DPM manual: one pass %.3f s CPU, %d hosts to '
          'standby, %d migrations to evacuate them (load average %s)' % (
              hosts, vms, args.idle * 100, spent, powers, migrations, load_average()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--hosts', type=int, default=64)
    parser.add_argument('--vms', type=int, default=5000)
    parser.add_argument('--busy-hosts', type=int, default=4)
    parser.add_argument('--idle', type=float, default=0.02,
                        help="every VM's CPU and memory load in the DPM passes")
    parser.add_argument('--dpm-vms', type=int, default=640,
                        help='VMs of the cluster whose spare hosts DPM puts to standby')
    args = parser.parse_args()
    for behavior in ('manual', 'fullyAutomated'):
        process, host, port = start_server('-host', str(args.hosts), '-vm', str(args.vms),
                                           '-standalone-host', '0')
        try:
            cluster, vms, hosts = asyncio.run(prepare(host, port, args.busy_hosts, behavior))
            before = cpu_seconds(process.pid)
            answer = control(host, port, 'drs/pass', {'cluster': cluster})
            spent = cpu_seconds(process.pid) - before
            time.sleep(SETTLE)   # the migrations' tasks run after the pass answered
            settled = cpu_seconds(process.pid) - before
        finally:
            process.terminate()
            process.wait()
        print('%d hosts, %d VMs, %s: one DRS pass %.3f s CPU, %d moves; %.3f s with what '
              'followed in %d s (load average %s)' % (
                  hosts, vms, behavior, spent, len(answer['moves']), settled, SETTLE,
                  load_average()))
    for vm_count in (args.vms, args.dpm_vms):
        dpm_pass(args, vm_count)


if __name__ == '__main__':
    main()
