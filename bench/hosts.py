"""What hosts joining cost the server: N hosts added to DC0_C0 one after
another (QueryConnectionInfoViaSpec with the host's thumbprint, then
AddHost_Task waited as WaitForTask does), then each put into maintenance mode
and out again. Server CPU time per operation from
/proc/PID/stat (the machine being shared), and the load average.

    python3 bench/hosts.py [--hosts 200]
"""
import argparse
import asyncio
import os
import sys

from lifecycle import FIND, Client, returnval
from rawsoap import start_server
from tasks import cpu_seconds

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from vimsim.managed.host.connect_spec import host_thumbprint  # noqa: E402

SPEC = ('<hostName>%s</hostName><sslThumbprint>%s</sslThumbprint><userName>root</userName>'
        '<password>secret</password><force>false</force>')
QUERY = ('<QueryConnectionInfoViaSpec xmlns="urn:vim25"><_this type="Datacenter">%s</_this>'
         '<spec>' + SPEC + '</spec></QueryConnectionInfoViaSpec>')
ADD_HOST = ('<AddHost_Task xmlns="urn:vim25"><_this type="ClusterComputeResource">%s</_this>'
            '<spec>' + SPEC + '</spec><asConnected>true</asConnected></AddHost_Task>')
ENTER = ('<EnterMaintenanceMode_Task xmlns="urn:vim25"><_this type="HostSystem">%s</_this>'
         '<timeout>0</timeout></EnterMaintenanceMode_Task>')
EXIT = ('<ExitMaintenanceMode_Task xmlns="urn:vim25"><_this type="HostSystem">%s</_this>'
        '<timeout>0</timeout></ExitMaintenanceMode_Task>')

async def run(host, port, pid, count):
    client = await Client().open(host, port)
    call = client.connection.call
    datacenter = returnval(await call(FIND % '/DC0'))
    cluster = returnval(await call(FIND % '/DC0/host/DC0_C0'))
    names = ['esx-bench-%03d.example.com' % i for i in range(count)]
    cpu = cpu_seconds(pid)
    for name in names:
        thumbprint = host_thumbprint(name)
        await call(QUERY % (datacenter, name, thumbprint))
        await client.run_task(ADD_HOST % (cluster, name, thumbprint))
    added = cpu_seconds(pid) - cpu
    hosts = [returnval(await call(FIND % ('/DC0/host/DC0_C0/' + name))) for name in names]
    cpu = cpu_seconds(pid)
    for moid in hosts:
        await client.run_task(ENTER % moid)
        await client.run_task(EXIT % moid)
    maintenance = cpu_seconds(pid) - cpu
    return added, maintenance


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--hosts', type=int, default=200)
    args = parser.parse_args()
    process, host, port = start_server()
    try:
        added, maintenance = asyncio.run(run(host, port, process.pid, args.hosts))
    finally:
        process.terminate()
        process.wait()
    print('QueryConnectionInfoViaSpec + AddHost_Task to DC0_C0, %d hosts: '
          '%.1f ms server CPU per host' % (args.hosts, added * 1000 / args.hosts))
    print('EnterMaintenanceMode_Task + ExitMaintenanceMode_Task: %.1f ms server CPU per host'
          % (maintenance * 1000 / args.hosts))
    print('load average: %.2f %.2f %.2f' % os.getloadavg())


if __name__ == '__main__':
    main()
