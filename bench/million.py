"""A million VMs (issue 16, section 5): start-up, a paged retrieval, a watcher.

Starts `python3 -m vimsim -vm N` (N VMs per host and per cluster: the
default inventory's standalone host and cluster, so 2 N VMs; 500,000 gives
1,000,000) and measures

  (1) start: wall time from exec to the first answered call, server CPU,
      RSS then;
  (1a) the first alarm pass (vCenter's default alarms evaluated on every
      entity, each state leaving gray): from the first call until the
      server's CPU idles (under 5 % over 1 s: its -reactor-probe alone
      costs 1-2 %): its wall time, CPU, peak RSS
      growth;
  (1b) a later alarm pass: from the next tick's CPU burst to idle again
      (--later 0: not measured);
  (1c) unless --alarms: the default alarms removed (RemoveAlarm each, its own
      figure), so that no pass runs beside what follows and its figures are
      the calls' alone;
  (2) RetrievePropertiesEx of 4 properties of every VM through a container
      view, maxObjects 10,000, then ContinueRetrievePropertiesEx to the end:
      wall time, server CPU, the peak RSS growth (/proc's peak is reset
      before each measurement);
  (3) a watcher: CreateFilter of the same 4 properties over the view, then
      WaitForUpdatesEx from version "" with maxObjectUpdates 10,000 until its
      answer is no longer truncated: the filter's and the initial answer's
      wall time, server CPU and peak RSS growth; while the filter is made,
      another connection's CurrentTime round trips (the filter takes its
      objects in by steps, other clients answered between) and the server's
      own stalls (-reactor-probe).

Prints the load average before and after (the machine is shared).

    python3 bench/million.py [--vm 500000] [--page 10000] [--later 1] [--alarms]
                             [--root DIR]
"""
import argparse
import asyncio
import re
import time

from latency import ticker
from rawsoap import (PROBE_MS, ROOT, Connection, Stalls, cpu_seconds, load_average, percentile,
                     rss_mb, start_server)

PATHS = ''.join('<pathSet>%s</pathSet>' % path for path in (
    'name', 'runtime.powerState', 'runtime.host', 'config.hardware.memoryMB'))
CREATE_VIEW = ('<CreateContainerView xmlns="urn:vim25"><_this type="ViewManager">ViewManager'
               '</_this><container type="Folder">%s</container><type>VirtualMachine</type>'
               '<recursive>true</recursive></CreateContainerView>')
SPEC = ('<propSet><type>VirtualMachine</type>' + PATHS + '</propSet><objectSet>'
        '<obj type="ContainerView">%s</obj><skip>true</skip><selectSet xsi:type="TraversalSpec">'
        '<name>view</name><type>ContainerView</type><path>view</path><skip>false</skip>'
        '</selectSet></objectSet>')
RETRIEVE = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
            'propertyCollector</_this><specSet>' + SPEC + '</specSet><options><maxObjects>%d'
            '</maxObjects></options></RetrievePropertiesEx>')
CONTINUE = ('<ContinueRetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
            'propertyCollector</_this><token>%s</token></ContinueRetrievePropertiesEx>')
FILTER = ('<CreateFilter xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector'
          '</_this><spec>' + SPEC + '</spec><partialUpdates>true</partialUpdates></CreateFilter>')
WAIT = ('<WaitForUpdatesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector'
        '</_this><version>%s</version><options><maxWaitSeconds>0</maxWaitSeconds>'
        '<maxObjectUpdates>%d</maxObjectUpdates></options></WaitForUpdatesEx>')
GET_ALARM = ('<GetAlarm xmlns="urn:vim25"><_this type="AlarmManager">%s</_this>'
             '</GetAlarm>')
REMOVE_ALARM = '<RemoveAlarm xmlns="urn:vim25"><_this type="Alarm">%s</_this></RemoveAlarm>'
SERVICE_CONTENT = ('<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">'
                   'ServiceInstance</_this></RetrieveServiceContent>')


def reset_peak(pid):
    """Start /proc's peak RSS (VmHWM) afresh at the current RSS."""
    with open('/proc/%d/clear_refs' % pid, 'w') as refs:
        refs.write('5')


class Phase:
    """Wall time, server CPU and peak RSS growth of what runs within it."""

    def __init__(self, pid, name):
        self.pid, self.name = pid, name

    def __enter__(self):
        reset_peak(self.pid)
        self.rss, self.cpu, self.start = rss_mb(self.pid), cpu_seconds(self.pid), time.time()
        return self

    def __exit__(self, *_):
        self.wall = time.time() - self.start
        self.used = cpu_seconds(self.pid) - self.cpu
        self.growth = rss_mb(self.pid, 'VmHWM') - self.rss

    def report(self, what):
        print('%s: %s in %.1f s, server CPU %.1f s, peak RSS +%.0f MB (RSS now %.0f MB)' % (
            self.name, what, self.wall, self.used, self.growth, rss_mb(self.pid)))


async def idle(pid, busy=False, window=1.0, share=0.05, limit=900):
    """Wait until the server's CPU over `window` s falls under `share` of it
    (with `busy`, first until it rises past that: a pass starting)."""
    deadline = time.time() + limit
    while time.time() < deadline:
        cpu = cpu_seconds(pid)
        await asyncio.sleep(window)
        if (cpu_seconds(pid) - cpu < share * window) != busy:
            return True
    return False


async def alarm_passes(connection, pid, content, later):
    with Phase(pid, '(1a) first alarm pass') as phase:
        await idle(pid)
    phase.report('until idle')
    for n in range(later):
        await idle(pid, busy=True, window=0.2, share=0.5, limit=60)   # a pass: all of a core
        with Phase(pid, '(1b) later alarm pass') as phase:
            await idle(pid)
        phase.report('pass %d, until idle' % (n + 1))


async def remove_alarms(connection, pid, content):
    manager = re.search(r'<alarmManager type="AlarmManager">([^<]+)</alarmManager>',
                        content).group(1)
    alarms = re.findall(r'<returnval type="Alarm">([^<]+)</returnval>', (
        await connection.call(GET_ALARM % manager)).decode())
    with Phase(pid, '(1c) RemoveAlarm') as phase:
        for alarm in alarms:
            await connection.call(REMOVE_ALARM % alarm)
        await idle(pid)
    phase.report('%d alarms removed, until idle' % len(alarms))


async def measure(host, port, pid, page, later, alarms):
    connection = await (await Connection(host, port).open()).login()
    content = (await connection.call(SERVICE_CONTENT)).decode()
    await alarm_passes(connection, pid, content, later)
    if not alarms:
        await remove_alarms(connection, pid, content)
    root = re.search(r'<rootFolder type="Folder">([^<]+)</rootFolder>', content).group(1)
    view = re.search(r'<returnval type="ContainerView">([^<]+)</returnval>', (
        await connection.call(CREATE_VIEW % root)).decode()).group(1)
    with Phase(pid, '(2) paged retrieval') as phase:
        objects, pages = 0, 0
        body = await connection.call(RETRIEVE % (view, page))
        while True:
            pages += 1
            objects += body.count(b'<obj type="VirtualMachine">')
            token = re.search(rb'<token>([^<]+)</token>', body)
            if token is None:
                break
            body = await connection.call(CONTINUE % token.group(1).decode())
    phase.report('%d VMs in %d pages' % (objects, pages))
    other = await (await Connection(connection.host, connection.port).open()).login()
    stop, samples, stalls = asyncio.Event(), [], Stalls(connection.host, connection.port)
    with Phase(pid, '(3) CreateFilter') as phase:
        stalls.begin()
        tick = asyncio.ensure_future(ticker(other, stop, samples))
        await connection.call(FILTER % view)
        stop.set()
        await tick
        stalls.end()
    phase.report('a filter over the view')
    print('    CurrentTime meanwhile: %d calls, p99 %.0f ms, max %.0f ms' % (
        len(samples), percentile(samples, 0.99) * 1e3, max(samples) * 1e3))
    print('    ' + stalls.report())
    other.close()
    with Phase(pid, '(3) initial answer') as phase:
        version, objects, pages, first = '', 0, 0, None
        while True:
            body = await connection.call(WAIT % (version, page))
            pages += 1
            first = first or time.time() - phase.start
            objects += body.count(b'<kind>enter</kind>')
            version = re.search(rb'<version>([^<]*)</version>', body).group(1).decode()
            if b'<truncated>true</truncated>' not in body:
                break
    phase.report('%d objects entering in %d answers (the first after %.1f s)'
                 % (objects, pages, first))
    connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--vm', type=int, default=500000)
    parser.add_argument('--page', type=int, default=10000)
    parser.add_argument('--later', type=int, default=1, help='later alarm passes to measure')
    parser.add_argument('--alarms', action='store_true',
                        help='keep the default alarms (their passes run beside the calls)')
    parser.add_argument('--root', default=ROOT)
    args = parser.parse_args()
    print('load average %s' % load_average())
    start = time.time()
    process, host, port = start_server('-vm', str(args.vm), '-reactor-probe', str(PROBE_MS),
                                       root=args.root)
    try:
        asyncio.run(first_call(host, port))
        print('(1) start with -vm %d: first call answered after %.1f s, server CPU %.1f s, '
              'RSS %.0f MB' % (args.vm, time.time() - start, cpu_seconds(process.pid),
                               rss_mb(process.pid)))
        asyncio.run(measure(host, port, process.pid, args.page, args.later,
                            args.alarms))
    finally:
        process.terminate()
        process.wait()
    print('load average %s' % load_average())


async def first_call(host, port):
    connection = await Connection(host, port).open()
    await connection.call(SERVICE_CONTENT)
    connection.close()


if __name__ == '__main__':
    main()
