"""What host networking costs the server: on DC0_C0_H0, N rounds of
AddPortGroup + AddVirtualNic + SelectVnicForNicType(vmotion) and back
(each AddPortGroup making the datacenter's Network, RemovePortGroup taking
it), then N reads of the host's config.network and of networkSystem's
networkConfig. Server CPU time per operation from /proc/PID/stat (the
machine being shared), and the load average.

    python3 bench/host_network.py [--rounds 200]
"""
import argparse
import asyncio
import os

from lifecycle import FIND, Client, returnval
from rawsoap import start_server
from tasks import cpu_seconds

NS = '<_this type="HostNetworkSystem">%s</_this>'
VNM = '<_this type="HostVirtualNicManager">%s</_this>'
ADD_PG = ('<AddPortGroup xmlns="urn:vim25">' + NS + '<portgrp><name>%s</name><vlanId>10</vlanId>'
          '<vswitchName>vSwitch0</vswitchName><policy/></portgrp></AddPortGroup>')
ADD_VNIC = ('<AddVirtualNic xmlns="urn:vim25">' + NS + '<portgroup>%s</portgroup><nic><ip>'
            '<dhcp>false</dhcp><ipAddress>192.168.10.5</ipAddress><subnetMask>255.255.255.0'
            '</subnetMask></ip></nic></AddVirtualNic>')
SELECT = ('<SelectVnicForNicType xmlns="urn:vim25">' + VNM + '<nicType>vmotion</nicType>'
          '<device>%s</device></SelectVnicForNicType>')
REMOVE_VNIC = '<RemoveVirtualNic xmlns="urn:vim25">' + NS + '<device>%s</device></RemoveVirtualNic>'
REMOVE_PG = '<RemovePortGroup xmlns="urn:vim25">' + NS + '<pgName>%s</pgName></RemovePortGroup>'
READ = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
        'propertyCollector</_this><specSet><propSet><type>%s</type><pathSet>%s</pathSet>'
        '</propSet><objectSet><obj type="%s">%s</obj></objectSet></specSet><options/>'
        '</RetrievePropertiesEx>')


async def run(host, port, pid, rounds):
    client = await Client().open(host, port)
    call = client.connection.call
    host_moid = returnval(await call(FIND % '/DC0/host/DC0_C0/DC0_C0_H0'))
    number = host_moid.rsplit('-', 1)[1]
    ns, vnm = 'networkSystem-' + number, 'virtualNicManager-' + number
    cpu = cpu_seconds(pid)
    for i in range(rounds):
        name = 'bench-pg-%d' % i
        await call(ADD_PG % (ns, name))
        device = returnval(await call(ADD_VNIC % (ns, name)))
        await call(SELECT % (vnm, device))
        await call(REMOVE_VNIC % (ns, device))
        await call(REMOVE_PG % (ns, name))
    changes = cpu_seconds(pid) - cpu
    cpu = cpu_seconds(pid)
    for _ in range(rounds):
        await call(READ % ('HostSystem', 'config.network', 'HostSystem', host_moid))
    info = cpu_seconds(pid) - cpu
    cpu = cpu_seconds(pid)
    for _ in range(rounds):
        await call(READ % ('HostNetworkSystem', 'networkConfig', 'HostNetworkSystem', ns))
    config = cpu_seconds(pid) - cpu
    return changes, info, config


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=200)
    args = parser.parse_args()
    process, host, port = start_server()
    try:
        changes, info, config = asyncio.run(run(host, port, process.pid, args.rounds))
    finally:
        process.terminate()
        process.wait()
    print('AddPortGroup + AddVirtualNic + SelectVnicForNicType + RemoveVirtualNic + '
          'RemovePortGroup, %d rounds: %.2f ms server CPU per call'
          % (args.rounds, changes * 1000 / (5 * args.rounds)))
    print('RetrievePropertiesEx HostSystem config.network: %.2f ms server CPU per read'
          % (info * 1000 / args.rounds))
    print('RetrievePropertiesEx HostNetworkSystem networkConfig: %.2f ms server CPU per read'
          % (config * 1000 / args.rounds))
    print('load average: %.2f %.2f %.2f' % os.getloadavg())


if __name__ == '__main__':
    main()
