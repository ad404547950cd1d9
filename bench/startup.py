"""Start-up: from exec to the first answered call, and the memory then.

Each run execs `python3 -m vimsim -l 127.0.0.1:0 -E FIFO` (default
inventory; plain HTTP with -tls=false, and TLS as vimsim's default), reads
the env line from the fifo (written once the listener is up), and sends one
RetrieveServiceContent on a fresh connection (a TLS handshake included).
Printed per mode, median and best of the runs:

- wall time from exec to the answer's last byte (the machine is shared:
  this one moves with its load);
- the server's CPU time by then (utime + stime from /proc/PID/stat, the
  figure that does not depend on the machine's other load);
- the server's resident memory then (VmRSS).

Then the first call of each common kind after a start against the second
(wall time over one keep-alive connection, median of the starts; what a
start leaves to first use is paid there): Login, CurrentTime, a container
view of the VMs, RetrievePropertiesEx of their names and of their
`summary`, of a host's `config` (the second another host's: a host's
managers are made on its first read), a PowerOffVM_Task. Then where the
RSS goes: a start made in stages as the command makes it (interpreter;
the command's modules; Twisted's logger and reactor; lxml and httptools;
the schema; vimsim's modules; the default inventory; the listener), each
stage's increment. Then where the start-up's imports go (`python -X
importtime`, one run, self time summed per top-level package). The server
runs with a bytecode cache, as an installed vimsim does (pip compiles
one): PYTHONPYCACHEPREFIX points at a directory of this bench's, warmed by
a first run, so the tree gets no __pycache__ (PYTHONDONTWRITEBYTECODE is
lifted for the server).

With --compare DIR the starts of the checkout at DIR are interleaved with
these, so that both meet the same load.

    python3 bench/startup.py [--runs 9] [--root DIR] [--compare DIR] [--no-bytecode-cache]
"""
import argparse
import asyncio
import collections
import json
import os
import re
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

from latency import CREATE_VIEW, CURRENT_TIME, RETRIEVE, SERVICE_CONTENT, VIEW_SPEC
from rawsoap import ENVELOPE, ROOT, Connection, cpu_seconds, load_average, rss_mb, start_server

# a host's whole `config`: what a first read of its managers costs (they are
# made, their modules imported, on first use)
HOST_CONFIG = RETRIEVE.replace('<type>VirtualMachine</type>', '<type>HostSystem</type>') % (
    '<pathSet>config</pathSet>', '<objectSet><obj type="HostSystem">%s</obj></objectSet>')
BODY = ('<RetrieveServiceContent xmlns="urn:vim25">'
        '<_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>')
PYCACHE = os.path.join(tempfile.gettempdir(), 'vimsim-bench-pycache')
# where an import's time counts: group -> the top-level modules in it
GROUP_MODULES = {
    'twisted (+zope, attr, ...)': ('twisted', 'zope', 'attr', 'automat', 'constantly',
                                   'incremental', 'hyperlink', 'typing_extensions'),
    'pyOpenSSL, cryptography, service_identity': (
        'OpenSSL', 'cryptography', 'service_identity', 'pyasn1', 'pyasn1_modules', 'idna'),
    'lxml': ('lxml',), 'httptools': ('httptools',), 'werkzeug': ('werkzeug',),
    'vimsim': ('vimsim',)}
GROUPS = {module: group for group, modules in GROUP_MODULES.items() for module in modules}


def server_environment(bytecode_cache):
    env = dict(os.environ)
    if bytecode_cache:
        env.pop('PYTHONDONTWRITEBYTECODE', None)
        env['PYTHONPYCACHEPREFIX'] = PYCACHE
    return env


def request(host, port):
    payload = (ENVELOPE % BODY).encode()
    return (('POST /sdk HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: text/xml; charset=utf-8\r\n'
             'SOAPAction: "urn:vim25/8.0.3.0"\r\nContent-Length: %d\r\n\r\n'
             % (host, port, len(payload))).encode() + payload)


def first_answer(host, port, tls):
    """One RetrieveServiceContent on a new connection; the answer's bytes."""
    sock = socket.create_connection((host, port))
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        sock = context.wrap_socket(sock)
    with sock:
        sock.sendall(request(host, port))
        answer = b''
        while b'</soapenv:Envelope>' not in answer:
            piece = sock.recv(65536)
            if not piece:
                break
            answer += piece
    if not answer.startswith(b'HTTP/1.1 200') or b'ServiceContent' not in answer:
        raise RuntimeError('unexpected answer: %r' % answer[:300])
    return answer


def run_once(root, tls, env, python_flags=()):
    """(wall seconds, server CPU seconds, RSS MB, server stderr) of one start."""
    with tempfile.TemporaryDirectory(prefix='vimsim-startup-') as scratch:
        fifo = os.path.join(scratch, 'env')
        os.mkfifo(fifo)
        flags = ['-l', '127.0.0.1:0', '-E', fifo] + ([] if tls else ['-tls=false'])
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, *python_flags, '-m', 'vimsim', *flags],
                                   cwd=root, env=env, stderr=subprocess.PIPE)
        try:
            with open(fifo) as reader:      # blocks until the server writes the env line
                line = reader.read()
            host, port = line.split('@', 1)[1].split('/', 1)[0].rsplit(':', 1)
            first_answer(host, int(port), tls)
            wall = time.perf_counter() - started
            cpu, rss = cpu_seconds(process.pid), rss_mb(process.pid)
        finally:
            process.terminate()
            _, stderr = process.communicate()
    return wall, cpu, rss, stderr.decode('utf-8', 'replace')


LOGIN = ('<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this>'
         '<userName>user</userName><password>pass</password></Login>')
POWER_OFF = ('<PowerOffVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">%s</_this>'
             '</PowerOffVM_Task>')


async def first_calls(host, port):
    """{call kind: (first wall seconds, second)} on one new connection."""
    connection = await Connection(host, port).open()
    root = re.search(r'<rootFolder type="Folder">([^<]+)</rootFolder>',
                     (await connection.call(SERVICE_CONTENT)).decode()).group(1)
    times = {}

    async def timed(kind, body):
        started = time.perf_counter()
        answer = await connection.call(body)
        times.setdefault(kind, []).append(time.perf_counter() - started)
        return answer.decode()

    for _ in range(2):
        await timed('Login', LOGIN)
        await timed('CurrentTime', CURRENT_TIME)
        view = re.search(r'<returnval type="ContainerView">([^<]+)</returnval>',
                         await timed('CreateContainerView', CREATE_VIEW % root)).group(1)
        names = await timed('RetrievePropertiesEx name',
                            RETRIEVE % ('<pathSet>name</pathSet>', VIEW_SPEC % view))
        summaries = await timed('RetrievePropertiesEx summary',
                                RETRIEVE % ('<pathSet>summary</pathSet>', VIEW_SPEC % view))
        hosts = list(dict.fromkeys(re.findall(r'<host type="HostSystem">([^<]+)</host>',
                                              summaries)))
        host = hosts[len(times['Login']) - 1]
        await timed('a host\'s config', HOST_CONFIG % host)
        vms = re.findall(r'<obj type="VirtualMachine">([^<]+)</obj>', names)
        await timed('PowerOffVM_Task', POWER_OFF % vms[len(times['Login']) - 1])
    connection.close()
    return {kind: tuple(pair) for kind, pair in times.items()}


def first_call_figures(root, starts):
    """Median first and second call of each kind over `starts` fresh servers."""
    runs = []
    for _ in range(starts):
        process, host, port = start_server(root=root)
        try:
            runs.append(asyncio.run(first_calls(host, port)))
        finally:
            process.terminate()
            process.wait()
    print('first calls after a start (http, median of %d starts): first / second' % starts)
    for kind in runs[0]:
        print('  %-30s %6.2f ms / %6.2f ms' % (
            kind, statistics.median(run[kind][0] for run in runs) * 1e3,
            statistics.median(run[kind][1] for run in runs) * 1e3))


def import_split(stderr):
    """Self time of the imports (-X importtime) per group, microseconds."""
    totals = collections.Counter()
    for line in stderr.splitlines():
        if not line.startswith('import time:') or 'self [us]' in line:
            continue
        self_us, _, name = line[len('import time:'):].split('|')
        top = name.strip().split('.')[0]
        totals[GROUPS.get(top, 'standard library and others')] += int(self_us)
    return totals


# the command's start in stages (vimsim/cli.py main's order), the RSS after each
RSS_STAGES = r"""
import gc, json, sys
def rss():
    with open('/proc/self/status') as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith('VmRSS'))
stages = [('interpreter', rss())]
gc.disable()
from vimsim import cli
from vimsim.options import parse_args
opts = parse_args(sys.argv[1:], prog='vimsim')
stages.append(("the command's modules (vimsim.cli, options)", rss()))
cli.start_logging()
cli._import_reactor_without_tls()
from twisted.internet import reactor
stages.append(("Twisted's logger and reactor (and the standard library they import)", rss()))
import httptools, lxml.etree
stages.append(('lxml, httptools', rss()))
from vimsim import schema
schema.load()
stages.append(('the schema (from its cache)', rss()))
from vimsim.managed.service.heap_trim import heap_trim
from vimsim.server.control import run_start_actions
from vimsim.simulator import Simulator
stages.append(("vimsim's modules", rss()))
simulator = Simulator(opts)
run_start_actions(simulator)
stages.append(('the default inventory', rss()))
cli.serve(opts, simulator, reactor)
stages.append(('the listener', rss()))
print(json.dumps(stages))
"""


def rss_split(root, env, tls):
    """[(stage, RSS MB after it)] of one start made in stages (RSS_STAGES)."""
    flags = ['-l', '127.0.0.1:0'] + ([] if tls else ['-tls=false'])
    out = subprocess.run([sys.executable, '-c', RSS_STAGES, *flags], cwd=root, env=env,
                         check=True, stdout=subprocess.PIPE).stdout
    return json.loads(out)


def print_rss_split(root, env, runs):
    """Each stage's RSS increment, median of `runs` starts, https."""
    splits = [rss_split(root, env, True) for _ in range(runs)]
    print('where the RSS goes (https start in stages, median of %d): %.1f MB'
          % (runs, statistics.median(split[-1][1] for split in splits)))
    previous = [0.0] * runs
    for index, (stage, _) in enumerate(splits[0]):
        print('  %-70s %5.1f MB' % (stage, statistics.median(
            split[index][1] - previous[run] for run, split in enumerate(splits))))
        previous = [split[index][1] for split in splits]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=9)
    parser.add_argument('--root', default=ROOT, help="another checkout's simulator")
    parser.add_argument('--compare', help="a checkout measured alongside, starts interleaved")
    parser.add_argument('--no-bytecode-cache', action='store_true',
                        help='compile every module at each start (PYTHONDONTWRITEBYTECODE)')
    args = parser.parse_args()
    root = os.path.abspath(args.root)
    roots = [('', root)] + ([('compared', os.path.abspath(args.compare))] if args.compare else [])
    env = server_environment(not args.no_bytecode_cache)
    print('load average: %s' % load_average())
    for _, each in roots:
        run_once(each, False, env)     # warms the bytecode and schema caches
    for tls in (False, True):
        runs = {label: [] for label, _ in roots}
        for _ in range(args.runs):
            for label, each in roots:
                runs[label].append(run_once(each, tls, env)[:3])
        for label, _ in roots:
            wall, cpu, rss = zip(*runs[label])
            print('%-5s exec to first answer: wall %4.0f ms median (best %4.0f), server CPU '
                  '%4.0f ms median (best %4.0f), RSS %4.1f MB median %s'
                  % ('https' if tls else 'http', statistics.median(wall) * 1e3,
                     min(wall) * 1e3, statistics.median(cpu) * 1e3, min(cpu) * 1e3,
                     statistics.median(rss), label))
    first_call_figures(root, args.runs)
    print_rss_split(root, env, args.runs)
    totals = import_split(run_once(root, True, env, ('-X', 'importtime'))[3])
    print('imports (https start, -X importtime self time, inflated by the tracing): %.0f ms'
          % (sum(totals.values()) / 1e3))
    for group, micros in totals.most_common():
        print('  %-50s %5.0f ms' % (group, micros / 1e3))
    print('load average: %s' % load_average())


if __name__ == '__main__':
    main()
