"""Slowloris: many connections trickling a request head, a byte a second.

Starts `python3 -m vimsim -tls=false` with a limit of 256 file descriptors
(as a small container might have), opens 500 connections that each send a
request head one byte per second, and meanwhile asks for
/sdk/vimServiceVersions.xml on a fresh connection every half second. Prints
how the trickling connections ended (timed out with 408, refused with 503,
reset to make room, still open), how long they lasted, whether the fresh
clients were served and how fast, the server's peak of open descriptors and
its CPU time, and the load average. The server keeps its default timeouts
(a request head within 20 s). `--root DIR` runs another checkout's simulator.

    python3 bench/slowloris.py [--connections 500] [--seconds 30] [--root DIR]
"""
import argparse
import asyncio
import os
import resource
import time

from rawsoap import ROOT, cpu_seconds, load_average, percentile, start_server

HEAD = b'GET /sdk/vimServiceVersions.xml HTTP/1.1\r\nHost: x\r\nX-Padding: ' + b'a' * 200


def limit_descriptors():
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


async def trickler(host, port, deadline, outcomes, lifetimes):
    start = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        outcomes['connect failed'] = outcomes.get('connect failed', 0) + 1
        return
    outcome = 'still open'
    try:
        for byte in HEAD:
            if time.monotonic() > deadline:
                break
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                answer = await asyncio.wait_for(reader.read(100), 1.0)
            except asyncio.TimeoutError:
                continue
            if answer.startswith(b'HTTP/1.1 408'):
                outcome = 'timed out (408)'
            elif answer.startswith(b'HTTP/1.1 503'):
                outcome = 'refused (503)'
            elif not answer:
                outcome = 'closed'
            else:
                outcome = 'answered ' + answer[:12].decode('latin-1')
            break
    except (ConnectionResetError, BrokenPipeError):
        outcome = 'reset'
    lifetimes.append(time.monotonic() - start)
    outcomes[outcome] = outcomes.get(outcome, 0) + 1
    writer.close()


async def fresh_client(host, port):
    start = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
        writer.write(b'GET /sdk/vimServiceVersions.xml HTTP/1.1\r\nHost: x\r\n\r\n')
        answer = await asyncio.wait_for(reader.read(20), 5)
        writer.close()
        return answer.startswith(b'HTTP/1.1 200'), time.monotonic() - start
    except (OSError, asyncio.TimeoutError):
        return False, time.monotonic() - start


def open_descriptors(pid):
    return len(os.listdir('/proc/%d/fd' % pid))


async def attack(host, port, pid, connections, seconds):
    deadline = time.monotonic() + seconds
    outcomes, lifetimes, fresh, fds = {}, [], [], []
    tricklers = [asyncio.ensure_future(trickler(host, port, deadline, outcomes, lifetimes))
                 for _ in range(connections)]
    while time.monotonic() < deadline:
        fresh.append(await fresh_client(host, port))
        fds.append(open_descriptors(pid))
        await asyncio.sleep(0.5)
    await asyncio.gather(*tricklers)
    return outcomes, lifetimes, fresh, fds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--connections', type=int, default=500)
    parser.add_argument('--seconds', type=float, default=30)
    parser.add_argument('--root', default=ROOT)
    args = parser.parse_args()
    process, host, port = start_server(root=args.root, preexec_fn=limit_descriptors)
    try:
        cpu = cpu_seconds(process.pid)
        outcomes, lifetimes, fresh, fds = asyncio.run(
            attack(host, port, process.pid, args.connections, args.seconds))
        cpu = cpu_seconds(process.pid) - cpu
    finally:
        process.terminate()
        process.wait()
    served = [latency for ok, latency in fresh if ok]
    print('%d trickling connections over %.0f s (server limited to 256 descriptors):'
          % (args.connections, args.seconds))
    for outcome, count in sorted(outcomes.items()):
        print('  %-16s %d' % (outcome, count))
    print('  lasted: median %.1f s, longest %.1f s'
          % (percentile(lifetimes, 0.5), max(lifetimes)))
    print('fresh clients served: %d of %d%s' % (
        len(served), len(fresh), ', median %.1f ms, slowest %.1f ms' % (
            percentile(served, 0.5) * 1e3, max(served) * 1e3) if served else ''))
    print('server: at most %d descriptors open, CPU %.2f s; load average %s'
          % (max(fds), cpu, load_average()))


if __name__ == '__main__':
    main()
