"""A minimal raw SOAP-over-HTTP client for the benchmarks (asyncio, no HTTP
library), and a way to start a simulator in a subprocess, so the figures are
the server's and not a client library's."""
import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<soapenv:Body>%s</soapenv:Body></soapenv:Envelope>')


def start_server(*flags, root=ROOT, preexec_fn=None, stderr=None, command=('-m', 'vimsim'),
                 tls=False):
    """Run `python3 -m vimsim -tls=false` (of the checkout at `root`; or
    another `command` taking vimsim's flags; with `tls`, vimsim's default
    TLS) on a free port; (process, host, port)."""
    env_file = tempfile.mktemp(prefix='vimsim-env-')
    process = subprocess.Popen([sys.executable] + list(command) + [
                                '-l', '127.0.0.1:0', '-E', env_file]
                               + ([] if tls else ['-tls=false']) + list(flags),
                               cwd=root, preexec_fn=preexec_fn, stderr=stderr)
    deadline = time.monotonic() + 600
    while not (os.path.exists(env_file) and os.path.getsize(env_file)):
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError('the simulator did not start')
        time.sleep(0.05)
    with open(env_file) as env:
        line = env.read()
    os.unlink(env_file)
    host, port = line.split('@', 1)[1].split('/', 1)[0].rsplit(':', 1)
    return process, host, int(port)


def run_rounds(doc, run, *flags, rounds=20):
    """The command line of a bench measuring `run(host, port, pid, rounds)`
    against a simulator started with `flags` (`--rounds`, `--root DIR`):
    (its answer, the rounds)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=rounds)
    parser.add_argument('--root', default=ROOT)
    args = parser.parse_args()
    process, host, port = start_server(*flags, root=args.root)
    try:
        return run(host, port, process.pid, args.rounds), args.rounds
    finally:
        process.terminate()
        process.wait()


def request_bytes(host, port, body, cookie=None):
    payload = (ENVELOPE % body).encode()
    head = ('POST /sdk HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: text/xml; charset=utf-8\r\n'
            'SOAPAction: "urn:vim25/9.1.1.0"\r\nContent-Length: %d\r\n' % (host, port, len(payload)))
    if cookie:
        head += 'Cookie: %s\r\n' % cookie
    return head.encode() + b'\r\n' + payload


class Connection:
    """One keep-alive connection (TLS with an `ssl` context); `call` sends a
    SOAP body and returns the response body (raising on a non-200 status)."""

    def __init__(self, host, port, ssl=None):
        self.host, self.port = host, port
        self.ssl = ssl
        self.cookie = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port,
                                                                 ssl=self.ssl)
        return self

    async def send(self, payload):
        self.writer.write(payload)
        header = await self.reader.readuntil(b'\r\n\r\n')
        start = header.lower().find(b'content-length:')
        if start >= 0:
            length = int(header[start + 15:header.find(b'\r\n', start)])
            body = await self.reader.readexactly(length)
        else:                                   # chunked: a streamed answer
            parts = []
            while True:
                size = int((await self.reader.readuntil(b'\r\n'))[:-2], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b''.join(part[:-2] for part in parts)
        if not header.startswith(b'HTTP/1.1 200'):
            raise RuntimeError(body[:300])
        cookie = re.search(rb'(?i)\r\nset-cookie: ([^\r]+)', header)
        if cookie:
            self.cookie = cookie.group(1).decode()
        return body

    async def call(self, body):
        return await self.send(request_bytes(self.host, self.port, body, self.cookie))

    async def login(self):
        await self.call('<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager'
                        '</_this><userName>user</userName><password>pass</password></Login>')
        return self

    def close(self):
        self.writer.close()


def cpu_seconds(pid):
    """User + system CPU time a process has used (from /proc/PID/stat)."""
    with open('/proc/%d/stat' % pid) as stat:
        fields = stat.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def load_average():
    with open('/proc/loadavg') as loadavg:
        return ' '.join(loadavg.read().split()[:3])


def rss_mb(pid, field='VmRSS'):
    """A memory figure of a process in MB: VmRSS now, VmHWM its peak."""
    with open('/proc/%d/status' % pid) as status:
        for line in status:
            if line.startswith(field + ':'):
                return int(line.split()[1]) / 1024.0
    return float('nan')


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


PROBE_MS = 5     # the -reactor-probe interval the benches start a server with


def reactor_probe(host, port):
    """The server's -reactor-probe figures (/debug/vars): (ticks, [(monotonic
    time, ms late, ms of the reactor thread's CPU since the tick before), ...]
    of the ticks late by 5 ms or more, [(monotonic time, generation, ms), ...]
    of the garbage collections of 5 ms or more)."""
    import http.client
    import json
    connection = http.client.HTTPConnection(host, port, timeout=60)
    connection.request('GET', '/debug/vars')
    document = json.loads(connection.getresponse().read())['reactor']
    connection.close()
    return document['ticks'], document['late'], document['collections']


class Stalls:
    """The server's own stalls over a window: `begin()` before it, `end()`
    after; `report()` says how late the reactor ran its probe meanwhile
    (the ticks under 5 ms late count as 0), and the full garbage
    collections of 5 ms or more (which hold the reactor too)."""

    def __init__(self, host, port):
        self.host, self.port = host, port

    def begin(self):
        self.ticks, _, _ = reactor_probe(self.host, self.port)
        self.start = time.monotonic()

    def end(self):
        self.stop = time.monotonic()
        ticks, late, collections = reactor_probe(self.host, self.port)
        inside = [(ms, cpu) for at, ms, cpu in late if self.start <= at <= self.stop]
        self.late = sorted(ms for ms, _ in inside)
        # the server's own slices: lateness its reactor spent computing
        self.busy = sorted(min(ms, cpu) for ms, cpu in inside)
        self.full = [ms for at, generation, ms in collections
                     if generation == 2 and self.start <= at <= self.stop]
        self.count = max(ticks - self.ticks, len(self.late))

    def report(self):
        values = [0.0] * (self.count - len(self.late)) + self.late
        busy = [0.0] * (self.count - len(self.busy)) + self.busy
        return ('server reactor (probe every %d ms, %d ticks): p99 %.1f ms late, max %.1f ms, '
                '%d ticks over 20 ms, %d over 50 ms; of it its own CPU: p99 %.1f ms, max %.1f ms, '
                '%d over 20 ms; %d full GC collections, longest %.0f ms'
                % (PROBE_MS, self.count, percentile(values, 0.99) if values else 0,
                   max(values, default=0), sum(ms > 20 for ms in values),
                   sum(ms > 50 for ms in values), percentile(busy, 0.99) if busy else 0,
                   max(busy, default=0), sum(ms > 20 for ms in busy), len(self.full),
                   max(self.full, default=0)))
