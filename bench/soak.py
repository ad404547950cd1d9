"""Soak: 1,000 concurrent sessions mixing reads, WaitForUpdatesEx and mutations.

Each session has its own keep-alive connection (raw SOAP; the sessions are
spread over a few client processes, each running asyncio). It logs in and
watches `name`, `runtime.powerState` and `config.annotation` of every VM
through a container view and a property filter; then, until the time is up,
it reads (RetrievePropertiesEx of a VM, Fetch, CurrentTime), follows its
updates with WaitForUpdatesEx (its view of the VMs changes with them) and
mutates random VMs (Rename_Task, PowerOnVM_Task / PowerOffVM_Task,
ReconfigVM_Task of the annotation), without waiting for the tasks.

Afterwards, once the tasks are done: every watcher takes its last updates and
compares its view with a fresh read through the same view; the inventory's
invariants are checked through the API (tests/invariants.py); everyone logs
out. Printed: calls/s, faults by type, internal errors (SystemError answers,
tracebacks in the server's log), watchers whose view differed, server and
client CPU, RSS at the start / peak / after logout, load average.

    python3 bench/soak.py [--sessions 1000] [--seconds 120] [--processes 2] [--vm 50]
                          [--rounds 1] [--trace] [--pins] [--what-if]

With --rounds N the same server takes N rounds: the RSS after each round's
logout tells retained memory (what the allocator keeps for reuse) from
growth (what a leak would add round after round). The server runs with
bench/memory_probe.py: at the start (after one warm-up session has made
each kind of call once, so lazily loaded code and caches are in, and after
gc.collect() and malloc_trim(0), as the server's own trim does after a
logout: untrimmed, the start's RSS varied from 66 to 104 MB) and after
each round's logout it reports the live session-owned objects and what the
event and task stores keep by design (entries, approximate MB); at the end
its RSS after `gc.collect()` and `malloc_trim(0)`. With --trace the server
runs tracemalloc and the growth of its Python heap since the start is
printed by owner (events, tasks, update logs and filters, sessions, SOAP
codec caches, HTTP, model changes: the innermost frame of their modules)
and with the allocation sites that grew most, at the end of each mixed
phase (the peak) and after each logout (slower: the calls/s figure is not
comparable then; a traced run of 1,000 sessions once lost connections:
trace a few hundred). With --pins each probe after the start also tells
what lives in the 1 MiB windows of memory the server's small objects came
to occupy during the load (pymalloc frees an arena only when all of it is
free): how many windows hold what the event store, the task history, the
Tasks, the VMs, the other managed objects and the HTTP head cache own.
With --what-if the last probe then changes the model (the server stops
after it): it replaces the events, task infos and changed VM device lists
by copies, then drops them, and tells the RSS and arenas after each (with
--pins, also what holds the windows then): how much compacting those stores
after a mass logout could give back at best.
"""
import argparse
import asyncio
import multiprocessing
import os
import json
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

from lxml import etree

from rawsoap import Connection, start_server

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from tests.invariants import api_violations_at  # noqa: E402
from tools.fuzz.campaign import process_rss  # noqa: E402
from tools.fuzz.probes import StderrProbe  # noqa: E402
from vimsim.managed.service.heap_trim import QUIET_SECONDS  # noqa: E402

VIM = '{urn:vim25}'
XSI_TYPE = '{http://www.w3.org/2001/XMLSchema-instance}type'
WATCHED = ('name', 'runtime.powerState', 'config.annotation')
SETTLE_SECONDS = 30      # at most this long for the last tasks to end

VIEW = ('<CreateContainerView xmlns="urn:vim25"><_this type="ViewManager">ViewManager</_this>'
        '<container type="Folder">group-d1</container><type>VirtualMachine</type>'
        '<recursive>true</recursive></CreateContainerView>')
SPEC = ('<propSet><type>VirtualMachine</type>%s</propSet><objectSet><obj type="ContainerView">'
        '%%s</obj><skip>true</skip><selectSet xsi:type="TraversalSpec"><name>v</name>'
        '<type>ContainerView</type><path>view</path><skip>false</skip></selectSet></objectSet>'
        % ''.join('<pathSet>%s</pathSet>' % p for p in WATCHED))
FILTER = ('<CreateFilter xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector'
          '</_this><spec>' + SPEC + '</spec><partialUpdates>true</partialUpdates></CreateFilter>')
WAIT = ('<WaitForUpdatesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector'
        '</_this><version>%s</version><options><maxWaitSeconds>%d</maxWaitSeconds></options>'
        '</WaitForUpdatesEx>')
RETRIEVE = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
            'propertyCollector</_this><specSet>' + SPEC + '</specSet><options/>'
            '</RetrievePropertiesEx>')
CONTINUE = ('<ContinueRetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
            'propertyCollector</_this><token>%s</token></ContinueRetrievePropertiesEx>')
READ_VM = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
           'propertyCollector</_this><specSet><propSet><type>VirtualMachine</type>'
           '<pathSet>summary.runtime</pathSet><pathSet>config.hardware.numCPU</pathSet></propSet>'
           '<objectSet><obj type="VirtualMachine">%s</obj></objectSet></specSet><options/>'
           '</RetrievePropertiesEx>')
FETCH = '<Fetch xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this><prop>%s</prop></Fetch>'
TIME = ('<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this>'
        '</CurrentTime>')
RENAME = ('<Rename_Task xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this>'
          '<newName>%s</newName></Rename_Task>')
POWER = '<%s xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this></%s>'
ANNOTATE = ('<ReconfigVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this>'
            '<spec><annotation>%s</annotation></spec></ReconfigVM_Task>')
RUNNING_TASKS = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
                 'propertyCollector</_this><specSet><propSet><type>Task</type><pathSet>info.state'
                 '</pathSet></propSet><objectSet><obj type="TaskManager">TaskManager</obj>'
                 '<skip>true</skip><selectSet xsi:type="TraversalSpec"><name>t</name>'
                 '<type>TaskManager</type><path>recentTask</path><skip>false</skip></selectSet>'
                 '</objectSet></specSet><options/></RetrievePropertiesEx>')
LOGOUT = ('<Logout xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this>'
          '</Logout>')


class SoakConnection(Connection):
    """A raw SOAP connection that answers faults too: `call` returns the
    parsed Body child, or raises Fault."""

    async def send(self, payload):
        self.writer.write(payload)
        header = await self.reader.readuntil(b'\r\n\r\n')
        start = header.lower().find(b'content-length:')
        length = int(header[start + 15:header.find(b'\r\n', start)])
        body = await self.reader.readexactly(length)
        if b'set-cookie:' in header.lower() and self.cookie is None:
            line = header[header.lower().find(b'set-cookie:') + 11:]
            self.cookie = line[:line.find(b'\r\n')].strip().decode()
        answer = etree.fromstring(body)[0][0]
        if answer.tag.endswith('}Fault'):
            detail = answer.find('detail')
            raise Fault(detail[0].get(XSI_TYPE) if detail is not None and len(detail) else '?')
        return answer


class Fault(Exception):
    pass


def property_values(holder, tag):
    """{name: text} of the propSet / changeSet children of an element."""
    values = {}
    for change in holder.findall(VIM + tag):
        name = change.findtext(VIM + 'name')
        if change.findtext(VIM + 'op') in ('remove', 'indirectRemove'):
            values[name] = None
        else:
            values[name] = change.findtext(VIM + 'val')
    return values


class Watcher:
    """One session: its connection, its view of the VMs, its counters."""

    def __init__(self, index, host, port, stats):
        self.index, self.host, self.port, self.stats = index, host, port, stats
        self.rng = random.Random(index)
        self.view = {}        # moid -> {property: text}
        self.version = ''
        self.renames = 0

    async def start(self):
        self.connection = await (await SoakConnection(self.host, self.port).open()).login()
        self.container = (await self.call(VIEW)).findtext(VIM + 'returnval')
        await self.call(FILTER % self.container)
        await self.follow(0)

    async def call(self, body):
        started = time.monotonic()
        try:
            return await self.connection.call(body)
        except Fault as fault:
            name = str(fault)
            self.stats['faults'][name] = self.stats['faults'].get(name, 0) + 1
            if name == 'SystemError':
                self.stats['internal'] += 1
            raise
        finally:
            self.stats['calls'] += 1
            self.stats['seconds'] += time.monotonic() - started

    async def follow(self, max_wait):
        """WaitForUpdatesEx once; the view takes the updates. True if any."""
        answer = await self.call(WAIT % (self.version, max_wait))
        update = answer.find(VIM + 'returnval')
        if update is None:
            return False
        self.version = update.findtext(VIM + 'version')
        for object_update in update.iter(VIM + 'objectSet'):
            moid = object_update.findtext(VIM + 'obj')
            kind = object_update.findtext(VIM + 'kind')
            if kind == 'leave':
                self.view.pop(moid, None)
                continue
            values = self.view.setdefault(moid, {})
            values.update(property_values(object_update, 'changeSet'))
        if update.findtext(VIM + 'truncated') == 'true':
            return await self.follow(0) or True
        return True

    async def fresh_read(self):
        """Every VM's watched properties, read now through the same view."""
        found = {}
        answer = await self.call(RETRIEVE % self.container)
        while True:
            result = answer.find(VIM + 'returnval')
            if result is None:
                return found
            for content in result.findall(VIM + 'objects'):
                found[content.findtext(VIM + 'obj')] = property_values(content, 'propSet')
            token = result.findtext(VIM + 'token')
            if not token:
                return found
            answer = await self.call(CONTINUE % token)

    async def act(self):
        draw = self.rng.random()
        vms = sorted(self.view)
        vm = self.rng.choice(vms) if vms else None
        try:
            if draw < 0.45 or vm is None:
                choice = self.rng.random()
                if choice < 0.4 and vm is not None:
                    await self.call(READ_VM % vm)
                elif choice < 0.8 and vm is not None:
                    await self.call(FETCH % (vm, self.rng.choice(WATCHED)))
                else:
                    await self.call(TIME)
            elif draw < 0.8:
                await self.follow(self.rng.choice((0, 0, 1)))
            else:
                await self.mutate(vm)
        except Fault:
            pass

    async def mutate(self, vm):
        choice = self.rng.random()
        self.stats['mutations'] += 1
        if choice < 0.4:
            self.renames += 1
            await self.call(RENAME % (vm, 'soak-%d-%d' % (self.index, self.renames)))
        elif choice < 0.7:
            on = self.view[vm].get('runtime.powerState') == 'poweredOn'
            method = 'PowerOffVM_Task' if on else 'PowerOnVM_Task'
            await self.call(POWER % (method, vm, method))
        else:
            await self.call(ANNOTATE % (vm, 'soak %d %d' % (self.index, self.rng.randrange(10 ** 6))))

    async def finish(self):
        """Catch up with every update, then compare with a fresh read."""
        while await self.follow(0):
            pass
        fresh = await self.fresh_read()
        expected = {moid: {p: values.get(p) for p in WATCHED} for moid, values in fresh.items()}
        seen = {moid: {p: values.get(p) for p in WATCHED} for moid, values in self.view.items()}
        return expected == seen

    async def logout(self):
        try:
            await self.call(LOGOUT)
        except Fault:
            pass
        self.connection.close()


async def run_sessions(indexes, host, port, seconds, barrier, results):
    stats = {'calls': 0, 'seconds': 0.0, 'faults': {}, 'internal': 0, 'mutations': 0}
    watchers = [Watcher(i, host, port, stats) for i in indexes]
    for start in range(0, len(watchers), 50):   # log in in batches: no connect storm
        await asyncio.gather(*(w.start() for w in watchers[start:start + 50]))
    await asyncio.get_running_loop().run_in_executor(None, barrier.wait)
    deadline = time.monotonic() + seconds
    started_calls = stats['calls']

    async def loop(watcher):
        while time.monotonic() < deadline:
            await watcher.act()
    began = time.monotonic()
    await asyncio.gather(*(loop(w) for w in watchers))
    elapsed = time.monotonic() - began
    mixed_calls = stats['calls'] - started_calls
    await asyncio.get_running_loop().run_in_executor(None, barrier.wait)   # all stopped
    await asyncio.get_running_loop().run_in_executor(None, barrier.wait)   # tasks settled
    agreed = await asyncio.gather(*(w.finish() for w in watchers))
    await asyncio.get_running_loop().run_in_executor(None, barrier.wait)   # invariants read
    await asyncio.gather(*(w.logout() for w in watchers))
    results.put(dict(stats, mixed_calls=mixed_calls, elapsed=elapsed,
                     differing=agreed.count(False), watchers=len(watchers),
                     cpu=time.process_time()))


def client_process(indexes, host, port, seconds, barrier, results):
    asyncio.run(run_sessions(indexes, host, port, seconds, barrier, results))


async def settle(host, port):
    """Wait until no recent task is queued or running (SETTLE_SECONDS at most)."""
    connection = await (await SoakConnection(host, port).open()).login()
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        answer = await connection.call(RUNNING_TASKS)
        states = [e.text for e in answer.iter(VIM + 'val')]
        if not any(state in ('queued', 'running') for state in states):
            break
        await asyncio.sleep(0.5)
    await connection.call(LOGOUT)
    connection.close()


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as stat:
        fields = stat.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def run_round(args, host, port, pid, server):
    """One soak round: client processes log in, mix, settle, compare, check
    the invariants and log out. A dict of what was measured."""
    spawn = multiprocessing.get_context('spawn')   # this process has threads: no fork
    barrier = spawn.Barrier(args.processes + 1)
    results = spawn.Queue()
    clients = [spawn.Process(target=client_process, args=(
        list(range(p, args.sessions, args.processes)), host, port, args.seconds, barrier,
        results)) for p in range(args.processes)]
    for client in clients:
        client.start()
    barrier.wait()                      # everyone logged in and watching
    cpu_start, logged_in_rss = cpu_seconds(pid), process_rss(pid)
    barrier.wait()                      # the mixed phase is over
    cpu_mixed = cpu_seconds(pid) - cpu_start
    at_peak = server.read() if args.trace else None
    asyncio.run(settle(host, port))
    barrier.wait()                      # tasks settled: watchers compare
    violations = api_violations_at(host, port)
    barrier.wait()                      # invariants read: everyone logs out
    parts = [results.get() for _ in clients]
    for client in clients:
        client.join()
    time.sleep(QUIET_SECONDS + 3)      # the server's trim after a mass logout has run
    return dict(parts=parts, cpu_mixed=cpu_mixed, logged_in_rss=logged_in_rss, at_peak=at_peak,
                violations=violations, rss_end=process_rss(pid))


def report(args, measured, log):
    parts, cpu_mixed, violations = measured['parts'], measured['cpu_mixed'], measured['violations']
    faults = {}
    for part in parts:
        for name, count in part['faults'].items():
            faults[name] = faults.get(name, 0) + count
    mixed = sum(p['mixed_calls'] for p in parts)
    elapsed = max(p['elapsed'] for p in parts)
    print('%d sessions over %d client processes, %d VMs watched each, %.0f s of mixed load' % (
        args.sessions, args.processes, 2 * args.vm, elapsed))
    print('calls: %d in the mixed phase = %.0f calls/s (%d mutations); %d in all' % (
        mixed, mixed / elapsed, sum(p['mutations'] for p in parts), sum(p['calls'] for p in parts)))
    print('server CPU in the mixed phase: %.1f s = %.2f ms per call; client CPU in all: %.1f s' % (
        cpu_mixed, cpu_mixed * 1000 / max(mixed, 1), sum(p['cpu'] for p in parts)))
    print('faults: %s' % (', '.join('%s %d' % i for i in sorted(faults.items(), key=lambda i: -i[1]))
                          or 'none'))
    print('internal errors: %d SystemError answers; %d tracebacks in the server log' % (
        sum(p['internal'] for p in parts), log.count('Traceback (most recent call last)')))
    print('watchers whose final view differed from a fresh read: %d of %d' % (
        sum(p['differing'] for p in parts), sum(p['watchers'] for p in parts)))
    print('invariants: %s' % ('hold' if not violations else '%d violated: %s' % (
        len(violations), '; '.join(violations[:5]))))


class ServerProbe:
    """The server's bench/memory_probe.py: `read()` asks it for its figures
    (with `trim`, after gc.collect() and malloc_trim(0)) and returns them."""
    PROBE = 'from bench.memory_probe import serve; serve()'

    def __init__(self, flags, trace, pins, what_if):
        self.out = tempfile.mktemp(prefix='vimsim-probe-')
        os.environ['VIMSIM_PROBE_OUT'] = self.out
        os.environ['VIMSIM_PROBE_TRACE'] = '1' if trace else '0'
        os.environ['VIMSIM_PROBE_PINS'] = '1' if pins else '0'
        os.environ['VIMSIM_PROBE_WHATIF'] = '1' if what_if else '0'
        self.process, self.host, self.port = start_server(
            *flags, stderr=subprocess.PIPE, command=('-c', self.PROBE))
        self.lines = 0

    def read(self, trim=False):
        os.kill(self.process.pid, signal.SIGUSR2 if trim else signal.SIGUSR1)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if os.path.exists(self.out):
                with open(self.out) as out:
                    lines = out.read().splitlines()
                if len(lines) > self.lines:
                    self.lines = len(lines)
                    return json.loads(lines[-1])
            time.sleep(0.2)
        raise RuntimeError('the server did not answer its memory probe')

    def stop(self):
        self.process.terminate()
        self.process.wait()
        if os.path.exists(self.out):
            os.unlink(self.out)


async def warm_up(host, port):
    """One session makes each kind of call the soak makes, then logs out."""
    stats = {'calls': 0, 'seconds': 0.0, 'faults': {}, 'internal': 0, 'mutations': 0}
    watcher = Watcher(-1, host, port, stats)
    await watcher.start()
    vm = sorted(watcher.view)[0]
    for call in (READ_VM % vm, FETCH % (vm, 'name'), TIME):
        await watcher.call(call)
    await watcher.mutate(vm)
    await settle(host, port)
    await watcher.finish()
    await watcher.logout()


def memory_lines(label, figures, start):
    """What the probe found, as printed lines."""
    mb = 2 ** 20
    kept = figures['kept']
    lines = ['%s: RSS %.1f MB (%+.1f%% of start); %d sessions; kept by design: %d events '
             '(~%.1f MB), %d task infos (~%.1f MB)' % (
                 label, figures['rss'] / mb, (figures['rss'] - start['rss']) * 100 / start['rss'],
                 figures['sessions'], kept['events'][0], kept['events'][1] / mb,
                 kept['task infos'][0], kept['task infos'][1] / mb)]
    heap = figures['pymalloc'] or {'arenas': 0, 'in blocks': 0, 'free blocks': 0,
                                   'unused pools': 0}
    lines.append('  pymalloc: %d arenas (%.1f MB): %.1f MB in live blocks, %.1f MB in free blocks, '
                 '%.1f MB in unused pools; the rest of the RSS is C allocations (glibc)' % (
                     heap['arenas'], heap['arenas'] * 1.0, heap['in blocks'] / mb,
                     heap['free blocks'] / mb, heap['unused pools'] / mb))
    trims, trim_seconds = figures['server trims']
    lines.append('  the server trimmed %d times after mass logouts (the last: %.0f ms of CPU); '
                 'this probe\'s collection took %.0f ms' % (
                     trims, trim_seconds * 1000, figures['collect seconds'] * 1000))
    grown = {name: count - start['objects'].get(name, 0)
             for name, count in figures['objects'].items()}
    lines.append('  live objects vs start: ' + (', '.join(
        '%s %+d' % (name, count) for name, count in grown.items() if count) or 'none'))
    if 'traced_growth' in figures:
        kept_bytes = sum(size for _, size in kept.values()) - sum(
            size for _, size in start['kept'].values())
        lines.append('  Python heap grown %.1f MB since start: ~%.1f MB the stores keep by '
                     'design, ~%.1f MB else' % (
                         figures['traced_growth'] / mb, kept_bytes / mb,
                         (figures['traced_growth'] - kept_bytes) / mb))
        lines += ['    %+8.1f KB %+7d  %s' % (size / 1024, count, site)
                  for site, size, count in figures['sites']]
    pins = figures.get('pins')
    if pins and 'new windows' in pins:
        lines.append('  small objects occupy %d 1 MiB windows, %d of them new since the start; '
                     'the new ones hold what these own (windows):' % (
                         pins['windows'], pins['new windows']))
        lines += ['    %4d  %s' % (count, owners) for owners, count in pins['owners']]
        lines.append('  types in the new windows (windows, objects; referred to by):')
        lines += ['    %4d %7d  %s (%s)' % (windows, count, name, ', '.join(referrers))
                  for name, (windows, count, referrers) in pins['types']]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sessions', type=int, default=1000)
    parser.add_argument('--seconds', type=float, default=120)
    parser.add_argument('--processes', type=int, default=2)
    parser.add_argument('--vm', type=int, default=50, help='VMs per resource pool (-vm)')
    parser.add_argument('--rounds', type=int, default=1,
                        help='soak rounds on one server (memory after each logout)')
    parser.add_argument('--trace', action='store_true',
                        help='the server traces its allocations (tracemalloc)')
    parser.add_argument('--pins', action='store_true',
                        help='the server tells what holds the memory windows its small '
                             'objects came to occupy (bench/memory_probe.py; slower probes)')
    parser.add_argument('--what-if', action='store_true',
                        help='at the end the server replaces, then drops, what the event '
                             'store, the task infos and changed VM devices keep '
                             '(bench/memory_probe.py): how much moving them could give back')
    args = parser.parse_args()
    server = ServerProbe(['-vm', str(args.vm)], args.trace, args.pins, args.what_if)
    process, host, port = server.process, server.host, server.port
    server_log = StderrProbe(process.stderr)
    peak = [0]
    sampling = threading.Event()

    def sample():
        while not sampling.wait(0.5):
            peak[0] = max(peak[0], process_rss(process.pid))
    rounds = []
    try:
        time.sleep(1)
        cold_rss = process_rss(process.pid)
        asyncio.run(warm_up(host, port))
        time.sleep(2)
        start = server.read(trim=True)   # glibc's free pages of the start up are no baseline
        threading.Thread(target=sample, daemon=True).start()
        for _ in range(args.rounds):
            rounds.append(run_round(args, host, port, process.pid, server))
            rounds[-1]['peak'] = peak[0]
            rounds[-1]['probe'] = server.read()
        sampling.set()
        trimmed = server.read(trim=True)
        log = ''.join(text for _, text in server_log())
    finally:
        server.stop()
    rss_start = start['rss']
    print('server RSS: %.1f MB at start, %.1f MB after a warm-up session (the start below)' % (
        cold_rss / 2 ** 20, rss_start / 2 ** 20))
    print('\n'.join(memory_lines('start', start, start)))
    for number, measured in enumerate(rounds, 1):
        print('-- round %d' % number)
        report(args, measured, log if number == len(rounds) else '')
        print('server RSS: start %.1f MB, all logged in %.1f MB, peak so far %.1f MB, after '
              'logout %.1f MB (%+.1f%% of start)' % (
                  rss_start / 2 ** 20, measured['logged_in_rss'] / 2 ** 20,
                  measured['peak'] / 2 ** 20, measured['rss_end'] / 2 ** 20,
                  (measured['rss_end'] - rss_start) * 100 / rss_start))
        if measured['at_peak'] is not None:
            print('\n'.join(memory_lines('end of the mixed phase', measured['at_peak'], start)))
        print('\n'.join(memory_lines('after logout', measured['probe'], start)))
    print('\n'.join(memory_lines('after gc.collect() and malloc_trim(0)', trimmed, start)))
    for label, after in trimmed.get('what if', {}).items():
        if label != 'copy seconds':
            heap = after['pymalloc'] or {'arenas': 0}
            print('what if (%s; copies took %.1f s): RSS %.1f MB (%+.1f%% of start), %d arenas' % (
                label, trimmed['what if']['copy seconds'], after['rss'] / 2 ** 20,
                (after['rss'] - rss_start) * 100 / rss_start, heap['arenas']))
            if 'pins' in after:
                print('\n'.join(memory_lines('  %s' % label, dict(trimmed, **after), start)[3:]))
    print('load average: %s' % ' '.join(open('/proc/loadavg').read().split()[:3]))
    if log:
        print('server log:\n' + log[:3000])


if __name__ == '__main__':
    main()
