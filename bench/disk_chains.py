"""Reads of `runtime` of VMs with snapshot deltas (runtime.diskChainBroken
and consolidationNeeded look at the disk chains).

Starts a simulator with --vms VMs (-vm per host of the default inventory),
gives each a snapshot (a delta on its datastore), puts the datastore files
in use (QueryUnownedFiles: from then on the chains are files on disk), then
times --rounds RetrievePropertiesEx of `runtime` of every VM over a container
view. Printed: the server's CPU per round (from /proc, the figure the
machine's other load moves least), wall time per round, the load average.

    python3 bench/disk_chains.py [--vms 64] [--rounds 20] [--root DIR]
"""
import argparse
import asyncio
import re
import statistics
import time

from latency import VIEW_SPEC, vm_refs
from rawsoap import ROOT, Connection, cpu_seconds, load_average, start_server

SNAPSHOT = ('<CreateSnapshot_Task xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this>'
            '<name>bench</name><memory>false</memory><quiesce>false</quiesce>'
            '</CreateSnapshot_Task>')
UNOWNED = ('<QueryUnownedFiles xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this>'
           '</QueryUnownedFiles>')
RUNTIME = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
           'propertyCollector</_this><specSet><propSet><type>VirtualMachine</type>'
           '<pathSet>%s</pathSet></propSet>%s</specSet><options/></RetrievePropertiesEx>')


async def measure(host, port, pid, rounds):
    connection = await (await Connection(host, port).open()).login()
    view, refs = await vm_refs(connection)
    await connection.call(UNOWNED % refs[0])
    for ref in refs:
        await connection.call(SNAPSHOT % ref)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:       # the snapshot tasks done
        body = (await connection.call(RUNTIME % ('snapshot', VIEW_SPEC % view))).decode()
        if body.count('<name>snapshot</name>') == len(refs):
            break
        await asyncio.sleep(0.2)
    body = (await connection.call(RUNTIME % ('runtime', VIEW_SPEC % view))).decode()
    assert len(re.findall('<diskChainBroken>false</diskChainBroken>', body)) == len(refs)
    cpu, walls = [], []
    for _ in range(rounds):
        before, start = cpu_seconds(pid), time.perf_counter()
        await connection.call(RUNTIME % ('runtime', VIEW_SPEC % view))
        walls.append(time.perf_counter() - start)
        cpu.append(cpu_seconds(pid) - before)
    connection.close()
    return len(refs), cpu, walls


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--vms', type=int, default=64, help='VMs per host')
    parser.add_argument('--rounds', type=int, default=20)
    parser.add_argument('--root', default=ROOT)
    args = parser.parse_args()
    process, host, port = start_server('-vm', str(args.vms), root=args.root)
    try:
        count, cpu, walls = asyncio.run(measure(host, port, process.pid, args.rounds))
    finally:
        process.terminate()
        process.wait()
    print('runtime of %d VMs with a snapshot delta each (%s): server CPU %.1f ms a read '
          '(median of %d; total %.2f s), wall %.1f ms median; load %s' % (
              count, args.root, statistics.median(cpu) * 1000, len(cpu), sum(cpu),
              statistics.median(walls) * 1000, load_average()))


if __name__ == '__main__':
    main()
