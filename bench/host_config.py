"""What a host's configuration costs the server: reading `config` whole (the
firewall, service and advanced-setting catalogues are most of it), and the
changes Ansible's host modules make (UpdateOptions, EnableRuleset and
DisableRuleset, StartService and StopService), each N times. Server CPU time
per call from /proc/PID/stat (the machine being shared), and the load
average. `--root DIR` runs another checkout's simulator.

    python3 bench/host_config.py [--calls 200] [--root DIR]
"""
import argparse
import asyncio
import os
import re

from lifecycle import FIND, Client, returnval
from rawsoap import ROOT, start_server
from tasks import cpu_seconds

READ_CONFIG = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
               'propertyCollector</_this><specSet><propSet><type>HostSystem</type>'
               '<pathSet>config</pathSet></propSet><objectSet><obj type="HostSystem">%s</obj>'
               '</objectSet></specSet><options/></RetrievePropertiesEx>')
READ_MANAGERS = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
                 'propertyCollector</_this><specSet><propSet><type>HostSystem</type>'
                 '<pathSet>configManager</pathSet></propSet><objectSet><obj type="HostSystem">'
                 '%s</obj></objectSet></specSet><options/></RetrievePropertiesEx>')
UPDATE_OPTION = ('<UpdateOptions xmlns="urn:vim25"><_this type="OptionManager">%s</_this>'
                 '<changedValue><key>UserVars.SuppressShellWarning</key>'
                 '<value xsi:type="xsd:long">%d</value></changedValue></UpdateOptions>')
RULESET = ('<%s xmlns="urn:vim25"><_this type="HostFirewallSystem">%s</_this>'
           '<id>syslog</id></%s>')
SERVICE = ('<%s xmlns="urn:vim25"><_this type="HostServiceSystem">%s</_this>'
           '<id>TSM-SSH</id></%s>')


def manager(body, field):
    return re.search(rb'<%s type="[^"]+">([^<]+)</%s>' % (field.encode(), field.encode()),
                     body).group(1).decode()


async def measure(pid, calls, make, count):
    """Milliseconds of server CPU per call; None when the server faults
    (another checkout without the method)."""
    cpu = cpu_seconds(pid)
    try:
        for i in range(count):
            await calls(make(i))
    except RuntimeError:
        return None
    return (cpu_seconds(pid) - cpu) * 1000 / count


async def run(host, port, pid, count):
    client = await Client().open(host, port)
    call = client.connection.call
    host_moid = returnval(await call(FIND % '/DC0/host/DC0_C0/DC0_C0_H0'))
    managers = await call(READ_MANAGERS % host_moid)
    options = manager(managers, 'advancedOption')
    firewall = manager(managers, 'firewallSystem')
    services = manager(managers, 'serviceSystem')
    return {
        'RetrievePropertiesEx of HostSystem.config': await measure(
            pid, call, lambda i: READ_CONFIG % host_moid, count),
        'UpdateOptions (one long setting)': await measure(
            pid, call, lambda i: UPDATE_OPTION % (options, i % 2), count),
        'EnableRuleset / DisableRuleset': await measure(
            pid, call, lambda i: toggle(RULESET, firewall, 'EnableRuleset', 'DisableRuleset', i),
            count),
        'StartService / StopService': await measure(
            pid, call, lambda i: toggle(SERVICE, services, 'StartService', 'StopService', i),
            count),
    }


def toggle(template, moid, on, off, i):
    operation = (on, off)[i % 2]
    return template % (operation, moid, operation)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--calls', type=int, default=200)
    parser.add_argument('--root', default=ROOT)
    args = parser.parse_args()
    process, host, port = start_server(root=args.root)
    try:
        figures = asyncio.run(run(host, port, process.pid, args.calls))
    finally:
        process.terminate()
        process.wait()
    for name, milliseconds in figures.items():
        if milliseconds is None:
            print('%s: answers a fault' % name)
        else:
            print('%s: %.2f ms server CPU per call (%d calls)' % (name, milliseconds,
                                                                 args.calls))
    print('load average: %.2f %.2f %.2f' % os.getloadavg())


if __name__ == '__main__':
    main()
