"""HA failover's cost: server CPU time of failing a host that runs 200 VMs
(the control surface's host/fail, power loss) in an HA cluster: the host
stops responding, every VM restarts on the surviving hosts by priority,
each placed as DRS would, with its events.

The simulator runs in a subprocess; CPU time from /proc/PID/stat.

    python3 bench/ha.py [--hosts 8] [--vms-per-host 200]
"""
import argparse
import asyncio

from drs import RECONFIGURE, control, vm_hosts
from lifecycle import FIND, Client, returnval
from rawsoap import cpu_seconds, load_average, start_server

HA = ('<dasConfig><enabled>true</enabled><hostMonitoring>enabled</hostMonitoring>'
      '<admissionControlEnabled>false</admissionControlEnabled></dasConfig>')


async def prepare(host, port):
    client = await Client().open(host, port)
    cluster = returnval(await client.connection.call(FIND % '/DC0/host/DC0_C0'))
    await client.run_task(RECONFIGURE % (cluster, HA))
    placement = await vm_hosts(client)
    hosts = sorted(set(placement.values()), key=lambda moid: int(moid.rsplit('-', 1)[1]))
    return hosts[0], sum(1 for on in placement.values() if on == hosts[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--hosts', type=int, default=8)
    parser.add_argument('--vms-per-host', type=int, default=200)
    args = parser.parse_args()
    process, host, port = start_server('-host', str(args.hosts), '-standalone-host', '0',
                                       '-vm', str(args.hosts * args.vms_per_host))
    try:
        failing, running = asyncio.run(prepare(host, port))
        before = cpu_seconds(process.pid)
        answer = control(host, port, 'host/fail', {'host': failing, 'failure': 'power'})
        spent = cpu_seconds(process.pid) - before
    finally:
        process.terminate()
        process.wait()
    restarted = sum(1 for vm in answer['vms'] if vm['host'] != failing
                    and vm['powerState'] == 'poweredOn')
    print('%d hosts: failing one with %d VMs took %.3f s CPU, %d restarted (load average %s)'
          % (args.hosts, running, spent, restarted, load_average()))


if __name__ == '__main__':
    main()
