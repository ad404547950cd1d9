"""Big answers (issue 16, section 4): `config` of every VM in one page, and
the roll-ups read on each datastore and cluster read.

Starts `python3 -m vimsim -vm VM` (10,000 VMs by default) and measures

  (1) RetrievePropertiesEx of `config` of all VMs through a container view,
      maxObjects = the number of VMs (one page): wall time, server CPU, the
      answer's size, and the server's RSS growth (peak during it less before);
      another connection's CurrentTime round trips meanwhile and the server's
      own stalls (-reactor-probe);
  (2) RetrievePropertiesEx of `summary` of every datastore, and of every
      cluster: server CPU per read (median of --reads samples of --batch
      reads each: /proc's CPU time counts in 10 ms ticks), which the roll-ups
      (monitoring/rollup.py, the load model's Demand) keep from summing over
      the VMs. Measured once the server is quiet (the first alarm pass over
      a large inventory takes a while), so its CPU is the reads'.

    python3 bench/big_answers.py [--vm 5000] [--reads 20] [--batch 100] [--no-config]
                                 [--root DIR]
"""
import argparse
import asyncio
import re
import statistics
import time

from latency import VIEW_SPEC, ticker, vm_refs
from rawsoap import (PROBE_MS, ROOT, Connection, Stalls, cpu_seconds, load_average,
                     percentile, rss_mb, start_server)
from watchers import quiet

ONE_PAGE = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
            'propertyCollector</_this><specSet><propSet><type>VirtualMachine</type>'
            '<pathSet>config</pathSet></propSet>%s</specSet><options><maxObjects>%d</maxObjects>'
            '</options></RetrievePropertiesEx>')
SUMMARIES = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
             'propertyCollector</_this><specSet><propSet><type>%s</type><pathSet>summary</pathSet>'
             '</propSet>%s</specSet><options/></RetrievePropertiesEx>')
NAMES = SUMMARIES.replace('summary', 'name')
ALL_OF = ('<objectSet><obj type="%s">%s</obj></objectSet>')


async def measure(host, port, pid, reads, batch, config):
    connection = await (await Connection(host, port).open()).login()
    if config:
        await measure_config(connection, pid, host, port)
    for kind in ('Datastore', 'ClusterComputeResource'):
        refs = await refs_of(connection, kind)
        spec = ''.join(ALL_OF % (kind, ref) for ref in refs)
        costs = []
        for _ in range(reads):
            cpu = cpu_seconds(pid)
            for _ in range(batch):
                await connection.call(SUMMARIES % (kind, spec))
            costs.append((cpu_seconds(pid) - cpu) / batch)
        print('(2) summary of %d %s: %.2f ms of server CPU per read (median of %d x %d)'
              % (len(refs), kind, statistics.median(costs) * 1e3, reads, batch))
    connection.close()


async def measure_config(connection, pid, host, port):
    view, vms = await vm_refs(connection)
    small = await (await Connection(host, port).open()).login()
    stop, samples, stalls = asyncio.Event(), [], Stalls(host, port)
    stalls.begin()
    tick = asyncio.ensure_future(ticker(small, stop, samples))
    rss, cpu, start = rss_mb(pid), cpu_seconds(pid), time.perf_counter()
    answer = await connection.call(ONE_PAGE % (VIEW_SPEC % view, len(vms)))
    elapsed, used = time.perf_counter() - start, cpu_seconds(pid) - cpu
    growth = rss_mb(pid, 'VmHWM') - rss
    stop.set()
    await tick
    stalls.end()
    small.close()
    print('(1) config of %d VMs in one page: %.2f s, server CPU %.2f s, %.0f MB answered, '
          'RSS +%.0f MB (peak %.0f MB)' % (answer.count(b'<obj type="VirtualMachine">'), elapsed,
                                          used, len(answer) / 1e6, growth,
                                          rss_mb(pid, 'VmHWM')))
    print('    CurrentTime meanwhile (this process reads the answer too): %d calls, p99 %.1f ms, '
          'max %.1f ms' % (len(samples), percentile(samples, 0.99) * 1e3, max(samples) * 1e3))
    print('    ' + stalls.report())


async def refs_of(connection, kind):
    """The moids of every `kind` (a container view of the root folder)."""
    content = (await connection.call(
        '<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance'
        '</_this></RetrieveServiceContent>')).decode()
    root = re.search(r'<rootFolder type="Folder">([^<]+)</rootFolder>', content).group(1)
    view = re.search(r'<returnval type="ContainerView">([^<]+)</returnval>', (await connection.call(
        '<CreateContainerView xmlns="urn:vim25"><_this type="ViewManager">ViewManager</_this>'
        '<container type="Folder">%s</container><type>%s</type><recursive>true</recursive>'
        '</CreateContainerView>' % (root, kind))).decode()).group(1)
    body = await connection.call(NAMES % (kind, VIEW_SPEC % view))
    return [m.decode() for m in re.findall(rb'<obj type="%s">([^<]+)</obj>' % kind.encode(), body)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--vm', type=int, default=5000)
    parser.add_argument('--reads', type=int, default=20)
    parser.add_argument('--batch', type=int, default=100)
    parser.add_argument('--no-config', dest='config', action='store_false',
                        help='skip (1), the config of every VM')
    parser.add_argument('--root', default=ROOT)
    args = parser.parse_args()
    print('load average %s' % load_average())
    process, host, port = start_server('-vm', str(args.vm), '-reactor-probe', str(PROBE_MS),
                                       root=args.root)
    try:
        quiet(process.pid, 600)
        asyncio.run(measure(host, port, process.pid, args.reads, args.batch, args.config))
    finally:
        process.terminate()
        process.wait()
    print('load average %s' % load_average())


if __name__ == '__main__':
    main()
