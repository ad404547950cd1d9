"""First-class disks' cost: server CPU time per CreateDisk_Task (waited as
WaitForTask does), per RetrieveVStorageObject and per ListVStorageObject
once the datastore's catalog holds that many disks, and per
VStorageObjectCreateSnapshot_Task and DeleteVStorageObject_Task. The
catalog is read from its files on every call, so the reads grow with it.

Raw SOAP over keep-alive connections to a simulator in a subprocess; CPU
time from /proc/PID/stat, so a busy machine changes little.

    python3 bench/fcd.py [--disks 200]
"""
import argparse
import asyncio
import re

from lifecycle import Client, returnval
from rawsoap import cpu_seconds, load_average, start_server

MANAGER = '<_this type="VcenterVStorageObjectManager">VStorageObjectManager</_this>'
DATASTORE = '<datastore type="Datastore">%s</datastore>'
CREATE = ('<CreateDisk_Task xmlns="urn:vim25">' + MANAGER + '<spec><name>d%d</name>'
          '<backingSpec xsi:type="VslmCreateSpecDiskFileBackingSpec"><datastore type="Datastore">'
          '%s</datastore><provisioningType>thin</provisioningType></backingSpec>'
          '<capacityInMB>1024</capacityInMB></spec></CreateDisk_Task>')
LIST = '<ListVStorageObject xmlns="urn:vim25">' + MANAGER + DATASTORE + '</ListVStorageObject>'
BY_ID = '%s<id><id>%s</id></id>' + DATASTORE
RETRIEVE = '<RetrieveVStorageObject xmlns="urn:vim25">' + BY_ID + '</RetrieveVStorageObject>'
SNAPSHOT = ('<VStorageObjectCreateSnapshot_Task xmlns="urn:vim25">' + BY_ID +
            '<description>s</description></VStorageObjectCreateSnapshot_Task>')
DELETE = '<DeleteVStorageObject_Task xmlns="urn:vim25">' + BY_ID + '</DeleteVStorageObject_Task>'
FIND = ('<FindByInventoryPath xmlns="urn:vim25"><_this type="SearchIndex">SearchIndex</_this>'
        '<inventoryPath>/DC0/datastore/LocalDS_0</inventoryPath></FindByInventoryPath>')
IDS = re.compile(rb'<returnval><id>([^<]+)</id></returnval>')


async def measure(host, port, pid, count):
    client = await Client().open(host, port)
    call = client.connection.call
    ds = returnval(await call(FIND))
    figures = {}

    async def timed(label, bodies, task=False):
        before = cpu_seconds(pid)
        for body in bodies:
            if task:
                await client.run_task(body)
            else:
                await call(body)
        figures[label] = (cpu_seconds(pid) - before) / len(bodies)

    await timed('CreateDisk_Task', [CREATE % (n, ds) for n in range(count)], task=True)
    ids = [i.decode() for i in IDS.findall(await call(LIST % ds))]
    assert len(ids) == count, len(ids)
    await timed('ListVStorageObject', [LIST % ds] * 20)
    await timed('RetrieveVStorageObject', [RETRIEVE % (MANAGER, i, ds) for i in ids])
    await timed('VStorageObjectCreateSnapshot_Task',
                [SNAPSHOT % (MANAGER, i, ds) for i in ids], task=True)
    await timed('DeleteVStorageObject_Task', [DELETE % (MANAGER, i, ds) for i in ids], task=True)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--disks', type=int, default=200)
    args = parser.parse_args()
    process, host, port = start_server('-autostart=false')
    try:
        figures = asyncio.run(measure(host, port, process.pid, args.disks))
    finally:
        process.terminate()
        process.wait()
    print('%d disks on one datastore: %s (load average %s)' % (
        args.disks, ', '.join('%s %.2f ms CPU' % (name, seconds * 1000)
                              for name, seconds in figures.items()), load_average()))


if __name__ == '__main__':
    main()
