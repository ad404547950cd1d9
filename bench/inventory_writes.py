"""Server CPU time of the inventory write path, per operation (from
/proc/PID/stat, the machine being shared):

- CreateDatacenter (with its four folders) and its Destroy_Task, waited as
  pyVim.task.WaitForTask does;
- CreateClusterEx (root pool, environment browser) and its Destroy_Task;
- AddCustomFieldDef + RemoveCustomFieldDef of a VirtualMachine field (each
  reports `availableField` to every VM, so it grows with the inventory);
- setCustomValue on a VM.

Raw SOAP over one keep-alive connection to a simulator in a subprocess.

    python3 bench/inventory_writes.py [--vm 1000] [--count 100]
"""
import argparse
import asyncio
import re

from lifecycle import FIND, Client, returnval
from rawsoap import start_server
from tasks import cpu_seconds

CREATE_DC = ('<CreateDatacenter xmlns="urn:vim25"><_this type="Folder">group-d1</_this>'
             '<name>%s</name></CreateDatacenter>')
CREATE_CLUSTER = ('<CreateClusterEx xmlns="urn:vim25"><_this type="Folder">%s</_this>'
                  '<name>%s</name><spec><drsConfig><enabled>true</enabled></drsConfig>'
                  '</spec></CreateClusterEx>')
DESTROY = '<Destroy_Task xmlns="urn:vim25"><_this type="%s">%s</_this></Destroy_Task>'
ADD_FIELD = ('<AddCustomFieldDef xmlns="urn:vim25"><_this type="CustomFieldsManager">'
             'CustomFieldsManager</_this><name>%s</name><moType>VirtualMachine</moType>'
             '</AddCustomFieldDef>')
REMOVE_FIELD = ('<RemoveCustomFieldDef xmlns="urn:vim25"><_this type="CustomFieldsManager">'
                'CustomFieldsManager</_this><key>%s</key></RemoveCustomFieldDef>')
SET_VALUE = ('<setCustomValue xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this>'
             '<key>%s</key><value>%s</value></setCustomValue>')


async def measure(pid, label, count, step):
    before = cpu_seconds(pid)
    for index in range(count):
        await step(index)
    spent = cpu_seconds(pid) - before
    print('  %-42s %7.2f ms server CPU per operation' % (label, spent * 1000 / count))


async def run(host, port, pid, count):
    client = await Client().open(host, port)
    call = client.connection.call
    host_folder = returnval(await call(FIND % '/DC0/host'))
    vm = returnval(await call(FIND % '/DC0/vm/DC0_H0_VM0'))

    async def datacenter(index):
        created = returnval(await call(CREATE_DC % ('bench-dc%d' % index)))
        await client.run_task(DESTROY % ('Datacenter', created))

    async def cluster(index):
        created = returnval(await call(CREATE_CLUSTER % (host_folder, 'bench-c%d' % index)))
        await client.run_task(DESTROY % ('ClusterComputeResource', created))

    async def field(index):
        answer = await call(ADD_FIELD % ('bench-f%d' % index))
        key = re.search(rb'<key>(\d+)</key>', answer).group(1).decode()
        await call(REMOVE_FIELD % key)

    await call(ADD_FIELD % 'bench-value')

    async def value(index):
        await call(SET_VALUE % (vm, 'bench-value', 'v%d' % index))

    await measure(pid, 'CreateDatacenter + Destroy_Task', count, datacenter)
    await measure(pid, 'CreateClusterEx + Destroy_Task', count, cluster)
    await measure(pid, 'AddCustomFieldDef + RemoveCustomFieldDef', count, field)
    await measure(pid, 'setCustomValue', count * 10, value)
    client.connection.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--vm', type=int, default=1000, help='VMs per host and pool (-vm)')
    parser.add_argument('--count', type=int, default=100)
    args = parser.parse_args()
    process, host, port = start_server('-vm', str(args.vm))
    try:
        asyncio.run(run(host, port, process.pid, args.count))
    finally:
        process.terminate()
        process.wait()
    print('load average: %s' % ' '.join(open('/proc/loadavg').read().split()[:3]))


if __name__ == '__main__':
    main()
