"""Big request bodies: is the server's memory bounded, and does everyone else wait?

Starts `python3 -m vimsim -tls=false` and sends, on 16 connections at once,
a 32 MB SOAP request each (a CurrentTime whose envelope carries 32 MB of XML
comments: cheap to decode, so the figure is the HTTP front's buffering).
Prints the server's peak resident memory (VmHWM) over its idle figure, the
time until all 16 were answered, its CPU time and the load average.

With `--decode`, instead one 30 MB RetrievePropertiesEx naming the VMs of
`-vm 500` over and over (what the decoder must build), while another client
calls CurrentTime every 5 ms: the server's peak RSS over its idle figure,
the CurrentTime p50/p99/max and the server's own stalls during it. `--root
DIR` runs another checkout's simulator (before/after figures).

    python3 bench/big_bodies.py [--connections 16] [--megabytes 32] [--decode] [--root DIR]
"""
import argparse
import asyncio
import time

from latency import RETRIEVE, during, report, vm_refs
from rawsoap import (ENVELOPE, PROBE_MS, ROOT, Connection, cpu_seconds, load_average,
                     request_bytes, rss_mb, start_server)

CURRENT_TIME = ('<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance'
                '</_this></CurrentTime>')


def padded_request(host, port, megabytes, cookie):
    padding = ('<!--' + 'x' * 999993 + '-->') * int(megabytes)   # lxml: 10 MB a node at most
    body = (ENVELOPE % (padding + CURRENT_TIME)).encode()
    return ('POST /sdk HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: text/xml; charset=utf-8\r\n'
            'Cookie: %s\r\nContent-Length: %d\r\n\r\n'
            % (host, port, cookie, len(body))).encode() + body


async def flood(host, port, connections, megabytes):
    login = await Connection(host, port).open()
    await login.login()
    payload = padded_request(host, port, megabytes, login.cookie)

    async def one():
        connection = await Connection(host, port).open()
        answer = await connection.send(payload)
        connection.close()
        return b'<returnval>' in answer

    start = time.perf_counter()
    answered = await asyncio.gather(*(one() for _ in range(connections)))
    login.close()
    return sum(answered), time.perf_counter() - start, len(payload)


async def one_big_retrieve(host, port, megabytes):
    """A `megabytes` RetrievePropertiesEx of ObjectSpecs naming the VMs over
    and over, answered while CurrentTime is timed."""
    setup = await Connection(host, port).open()
    await setup.login()
    _, refs = await vm_refs(setup)
    specs = []
    size = 0
    while size < megabytes * 1e6:
        specs.append('<objectSet><obj type="VirtualMachine">%s</obj></objectSet>'
                     % refs[len(specs) % len(refs)])
        size += len(specs[-1])
    payload = request_bytes(host, port, RETRIEVE % ('<pathSet>name</pathSet>', ''.join(specs)),
                            setup.cookie)
    setup.close()
    report('%.0f MB RetrievePropertiesEx of %d ObjectSpecs' % (len(payload) / 1e6, len(specs)),
           *await during(host, port, payload))


def decode_scenario(args):
    process, host, port = start_server('-vm', '500', '-reactor-probe', str(PROBE_MS),
                                       root=args.root)
    try:
        idle = rss_mb(process.pid, 'VmHWM')
        cpu = cpu_seconds(process.pid)
        asyncio.run(one_big_retrieve(host, port, args.megabytes))
        cpu = cpu_seconds(process.pid) - cpu
        peak = rss_mb(process.pid, 'VmHWM')
    finally:
        process.terminate()
        process.wait()
    print('server peak RSS %.0f MB (%.0f MB idle, +%.0f MB), CPU %.1f s; load average %s'
          % (peak, idle, peak - idle, cpu, load_average()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--connections', type=int, default=16)
    parser.add_argument('--megabytes', type=float, default=32)
    parser.add_argument('--decode', action='store_true',
                        help='one big RetrievePropertiesEx, timing CurrentTime meanwhile')
    parser.add_argument('--root', default=ROOT)
    args = parser.parse_args()
    if args.decode:
        return decode_scenario(args)
    process, host, port = start_server(root=args.root)
    try:
        idle = rss_mb(process.pid, 'VmHWM')
        cpu = cpu_seconds(process.pid)
        answered, elapsed, size = asyncio.run(flood(host, port, args.connections,
                                                    args.megabytes))
        cpu = cpu_seconds(process.pid) - cpu
        peak = rss_mb(process.pid, 'VmHWM')
    finally:
        process.terminate()
        process.wait()
    print('%d connections x %.0f MB requests: %d answered in %.1f s; server peak RSS %.0f MB '
          '(%.0f MB idle, +%.0f MB), CPU %.1f s; load average %s'
          % (args.connections, size / 1e6, answered, elapsed, peak, idle, peak - idle, cpu,
             load_average()))


if __name__ == '__main__':
    main()
