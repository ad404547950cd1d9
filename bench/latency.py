"""CurrentTime latency while another client makes a big request.

Starts `python3 -m vimsim -tls=false -vm 5000` (10,000 VMs) and, on one
connection, calls CurrentTime every 5 ms, recording each round trip, while
another connection (from a process of its own)

  (a) sends a 30 MB RetrievePropertiesEx (ObjectSpecs naming the VMs over
      and over, one property) and reads its answer;
  (b) retrieves all properties of the 10,000 VMs (about 260 MB of XML);
  (c) creates an alarm over every VM (a state alarm that turns each red):
      the call's duration and CurrentTime's round trips until --linger
      seconds after it returned, while the new alarm is evaluated;

and, first, for the 45 s after start with no other client, while the alarm
manager evaluates its alarms over the inventory (on start, then every 20 s).

Prints p50/p99/max of the CurrentTime round trips during each; the
server's own stalls meanwhile (how late its reactor ran a 5 ms timer,
-reactor-probe: what the machine's other load moves less than a round
trip); the big call's duration, the server's peak resident memory (VmHWM) and CPU time, and
the load average. `--root DIR` runs the simulator of another checkout (for
before/after figures).

    python3 bench/latency.py [--vm 5000] [--idle SECONDS] [--root DIR] [--only-alarm]
                             [--linger SECONDS]
"""
import argparse
import asyncio
import multiprocessing
import re
import time

from rawsoap import (Connection, PROBE_MS, Stalls, cpu_seconds, load_average, percentile,
                     request_bytes, rss_mb, start_server, ROOT)

CURRENT_TIME = ('<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance'
                '</_this></CurrentTime>')
CREATE_VIEW = ('<CreateContainerView xmlns="urn:vim25"><_this type="ViewManager">ViewManager'
               '</_this><container type="Folder">%s</container><type>VirtualMachine</type>'
               '<recursive>true</recursive></CreateContainerView>')
SERVICE_CONTENT = ('<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">'
                   'ServiceInstance</_this></RetrieveServiceContent>')
RETRIEVE = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
            'propertyCollector</_this><specSet><propSet><type>VirtualMachine</type>%s</propSet>'
            '%s</specSet><options/></RetrievePropertiesEx>')
CREATE_ALARM = ('<CreateAlarm xmlns="urn:vim25"><_this type="AlarmManager">AlarmManager</_this>'
                '<entity type="Folder">%s</entity><spec><name>every VM on</name><description>'
                '</description><enabled>true</enabled><expression xsi:type="StateAlarmExpression">'
                '<operator>isEqual</operator><type>VirtualMachine</type><statePath>'
                'runtime.powerState</statePath><red>poweredOn</red></expression></spec>'
                '</CreateAlarm>')
VIEW_SPEC = ('<objectSet><obj type="ContainerView">%s</obj><skip>true</skip>'
             '<selectSet xsi:type="TraversalSpec"><name>view</name><type>ContainerView</type>'
             '<path>view</path><skip>false</skip></selectSet></objectSet>')


async def vm_refs(connection):
    content = (await connection.call(SERVICE_CONTENT)).decode()
    root = re.search(r'<rootFolder type="Folder">([^<]+)</rootFolder>', content).group(1)
    body = (await connection.call(CREATE_VIEW % root)).decode()
    view = re.search(r'<returnval type="ContainerView">([^<]+)</returnval>', body).group(1)
    answer = (await connection.call(RETRIEVE % ('<pathSet>name</pathSet>', VIEW_SPEC % view)))
    return view, re.findall(r'<obj type="VirtualMachine">([^<]+)</obj>', answer.decode())


async def ticker(connection, stop, samples):
    while not stop.is_set():
        start = time.perf_counter()
        await connection.call(CURRENT_TIME)
        samples.append(time.perf_counter() - start)
        await asyncio.sleep(0.005)


def big_call(host, port, payload, results):
    """In a process of its own, so that reading a big answer does not slow
    the CurrentTime client down: send `payload`, read the answer."""
    async def call():
        connection = await Connection(host, port).open()
        start = time.perf_counter()
        answer = await connection.send(payload)
        results.put((time.perf_counter() - start, len(answer)))
        connection.close()
    asyncio.run(call())


async def during(host, port, big_payload, linger=0):
    """Round trips of CurrentTime while `big_payload` is sent and answered,
    and for `linger` seconds after."""
    small = await Connection(host, port).open()
    await small.login()
    stop = asyncio.Event()
    samples = []
    tick = asyncio.ensure_future(ticker(small, stop, samples))
    await asyncio.sleep(0.2)
    stalls = Stalls(host, port)
    stalls.begin()
    samples.clear()
    results = multiprocessing.Queue()
    big = multiprocessing.Process(target=big_call, args=(host, port, big_payload, results))
    big.start()
    while big.is_alive() and results.empty():
        await asyncio.sleep(0.05)
    duration, size = results.get()
    big.join()
    await asyncio.sleep(linger)
    stop.set()
    await tick
    stalls.end()
    small.close()
    return samples, duration, size, stalls


def report(name, samples, duration, size, stalls):
    print('%s: %.1f s, %.1f MB answered; CurrentTime during it: %d calls, '
          'p50 %.1f ms, p99 %.1f ms, max %.1f ms'
          % (name, duration, size / 1e6, len(samples), percentile(samples, 0.5) * 1e3,
             percentile(samples, 0.99) * 1e3, max(samples) * 1e3))
    print('    ' + stalls.report())


async def idle(host, port, pid, seconds):
    """Round trips of CurrentTime for `seconds` with no other client: what
    the simulator's own work (the alarm passes) costs everyone else."""
    small = await Connection(host, port).open()
    await small.login()
    stop = asyncio.Event()
    samples = []
    cpu = cpu_seconds(pid)
    stalls = Stalls(host, port)
    stalls.begin()
    tick = asyncio.ensure_future(ticker(small, stop, samples))
    await asyncio.sleep(seconds)
    stop.set()
    await tick
    stalls.end()
    small.close()
    report('(0) %.0f s after start, alarm passes' % seconds, samples, seconds, 0, stalls)
    print('    server CPU %.1f s, peak RSS %.0f MB' % (cpu_seconds(pid) - cpu, rss_mb(pid, 'VmHWM')))


async def scenarios(host, port, pid, megabytes, only_alarm, linger):
    setup = await Connection(host, port).open()
    await setup.login()
    view, refs = await vm_refs(setup)
    if not only_alarm:
        await big_answers(host, port, pid, megabytes, setup, view, refs)
    content = (await setup.call(SERVICE_CONTENT)).decode()
    root = re.search(r'<rootFolder type="Folder">([^<]+)</rootFolder>', content).group(1)
    cpu = cpu_seconds(pid)
    report('(c) CreateAlarm over %d VMs (and %.0f s after)' % (len(refs), linger),
           *await during(host, port, request_bytes(host, port, CREATE_ALARM % root,
                                                    setup.cookie), linger))
    print('    server CPU %.1f s, peak RSS %.0f MB' % (cpu_seconds(pid) - cpu, rss_mb(pid, 'VmHWM')))
    setup.close()


async def big_answers(host, port, pid, megabytes, setup, view, refs):
    """(a) and (b)."""
    specs = []
    size = 0
    while size < megabytes * 1e6:
        spec = '<objectSet><obj type="VirtualMachine">%s</obj></objectSet>' % refs[len(specs) % len(refs)]
        specs.append(spec)
        size += len(spec)
    big_request = request_bytes(host, port, RETRIEVE % ('<pathSet>name</pathSet>', ''.join(specs)),
                                setup.cookie)
    print('%d VMs; a %.0f MB request of %d ObjectSpecs' % (len(refs), len(big_request) / 1e6,
                                                        len(specs)))
    cpu = cpu_seconds(pid)
    report('(a) %.0f MB RetrievePropertiesEx' % (len(big_request) / 1e6),
           *await during(host, port, big_request))
    print('    server CPU %.1f s, peak RSS %.0f MB' % (cpu_seconds(pid) - cpu, rss_mb(pid, 'VmHWM')))
    everything = request_bytes(host, port, RETRIEVE % ('<all>true</all>', VIEW_SPEC % view),
                               setup.cookie)
    cpu = cpu_seconds(pid)
    report('(b) all properties of %d VMs' % len(refs),
           *await during(host, port, everything))
    print('    server CPU %.1f s, peak RSS %.0f MB' % (cpu_seconds(pid) - cpu, rss_mb(pid, 'VmHWM')))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--vm', type=int, default=5000)
    parser.add_argument('--megabytes', type=float, default=30)
    parser.add_argument('--idle', type=float, default=45)
    parser.add_argument('--root', default=ROOT)
    parser.add_argument('--only-alarm', action='store_true', help='skip (a) and (b)')
    parser.add_argument('--linger', type=float, default=5)
    args = parser.parse_args()
    process, host, port = start_server('-vm', str(args.vm), '-reactor-probe', str(PROBE_MS),
                                       root=args.root)
    try:
        print('serving, RSS %.0f MB' % rss_mb(process.pid))
        asyncio.run(idle(host, port, process.pid, args.idle))
        asyncio.run(scenarios(host, port, process.pid, args.megabytes, args.only_alarm,
                              args.linger))
    finally:
        process.terminate()
        process.wait()
    print('load average %s' % load_average())


if __name__ == '__main__':
    main()
