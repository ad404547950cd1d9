"""What a session's update log costs: one session watches all properties of
all VMs through a container view and does not read, while another session
powers VMs off and on (each task waited as WaitForTask does). Prints the
server's resident memory and CPU time per VM change (from /proc/PID/stat),
then what the watcher gets when it finally reads.

    python3 bench/update_log.py [--vm 50] [--changes 2000]
"""
import argparse
import asyncio
import os
import re
import time

from inventory import rss_mb
from lifecycle import POWER, VIEW, Client, returnval
from rawsoap import Connection, start_server

FILTER_ALL = ('<CreateFilter xmlns="urn:vim25"><_this type="PropertyCollector">'
              'propertyCollector</_this><spec><propSet><type>VirtualMachine</type>'
              '<all>true</all></propSet><objectSet><obj type="ContainerView">%s</obj>'
              '<skip>true</skip><selectSet xsi:type="TraversalSpec"><name>v</name>'
              '<type>ContainerView</type><path>view</path><skip>false</skip></selectSet>'
              '</objectSet></spec><partialUpdates>true</partialUpdates></CreateFilter>')
CHECK = ('<WaitForUpdatesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
         'propertyCollector</_this><version>%s</version><options><maxWaitSeconds>0'
         '</maxWaitSeconds></options></WaitForUpdatesEx>')


def cpu_seconds(pid):
    """utime + stime of the process, in seconds."""
    with open('/proc/%d/stat' % pid) as stat:
        fields = stat.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


async def scenario(process, host, port, changes):
    watcher = await (await Connection(host, port).open()).login()
    view = returnval(await watcher.call(VIEW))
    await watcher.call(FILTER_ALL % view)
    initial = await watcher.call(CHECK % '')
    version = re.search(rb'<version>([^<]+)</version>', initial).group(1).decode()
    vms = sorted(set(re.findall(rb'<obj type="VirtualMachine">([^<]+)</obj>', initial)))
    actor = await Client().open(host, port)
    memory_before, cpu_before = rss_mb(process.pid), cpu_seconds(process.pid)
    start = time.perf_counter()
    for index in range(changes):
        vm = vms[index % len(vms)].decode()
        method = 'PowerOffVM_Task' if (index // len(vms)) % 2 == 0 else 'PowerOnVM_Task'
        await actor.run_task(POWER % (method, vm, method))
    elapsed = time.perf_counter() - start
    memory_after, cpu_after = rss_mb(process.pid), cpu_seconds(process.pid)
    read_start = time.perf_counter()
    answer = await watcher.call(CHECK % version)
    read = time.perf_counter() - read_start
    return dict(vms=len(vms), initial=len(initial), memory_before=memory_before,
                memory_after=memory_after, cpu=cpu_after - cpu_before, elapsed=elapsed,
                answer=len(answer), updates=answer.count(b'<objectSet>'), read=read)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--vm', type=int, default=50, help='-vm flag (2N VMs in all)')
    parser.add_argument('--changes', type=int, default=2000)
    args = parser.parse_args()
    process, host, port = start_server('-vm', str(args.vm))
    try:
        figures = asyncio.run(scenario(process, host, port, args.changes))
    finally:
        process.terminate()
        process.wait()
    print('a session watching all properties of %(vms)d VMs (initial answer %(initial)d bytes)'
          % figures)
    print('%d power operations by another session, waited: %.1f s' % (args.changes,
                                                                       figures['elapsed']))
    print('  server RSS %.0f MB -> %.0f MB (%+.1f KB per change)' % (
        figures['memory_before'], figures['memory_after'],
        (figures['memory_after'] - figures['memory_before']) * 1024 / args.changes))
    print('  server CPU %.2f ms per change (task, its watcher and the all-properties filter)'
          % (figures['cpu'] * 1000 / args.changes))
    print('the watcher reads at last: %(updates)d ObjectUpdates, %(answer)d bytes, '
          'in %(read).2f s' % figures)
    print('load average: %s' % ' '.join(open('/proc/loadavg').read().split()[:3]))


if __name__ == '__main__':
    main()
