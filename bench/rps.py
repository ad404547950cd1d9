"""RetrieveServiceContent requests per second over keep-alive connections.

Starts `python3 -m vimsim -tls=false` on an ephemeral port in a subprocess and
drives it with a raw HTTP/1.1 client (asyncio, no HTTP library, responses
only framed, not parsed), so the figure is the server's. Also prints the
server's CPU time per request (from /proc/PID/stat, so other load on the
machine does not count) and the load average.

    python3 bench/rps.py [--connections 16] [--seconds 10] [--root DIR]
"""
import argparse
import asyncio
import time

from rawsoap import ROOT, Connection, cpu_seconds, load_average, request_bytes, start_server

BODY = ('<RetrieveServiceContent xmlns="urn:vim25">'
        '<_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>')


async def client(host, port, payload, deadline, counts):
    connection = await Connection(host, port).open()
    done = 0
    while time.perf_counter() < deadline:
        await connection.send(payload)
        done += 1
    connection.close()
    counts.append(done)


async def drive(pid, host, port, connections, seconds):
    payload = request_bytes(host, port, BODY)
    counts = []
    deadline = time.perf_counter() + 1.0   # warm-up
    await asyncio.gather(*(client(host, port, payload, deadline, []) for _ in range(connections)))
    start = time.perf_counter()
    cpu = cpu_seconds(pid)
    await asyncio.gather(*(client(host, port, payload, start + seconds, counts)
                           for _ in range(connections)))
    requests = sum(counts)
    return requests / (time.perf_counter() - start), (cpu_seconds(pid) - cpu) / requests


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--connections', type=int, default=16)
    parser.add_argument('--seconds', type=float, default=10)
    parser.add_argument('--root', default=ROOT, help="another checkout's simulator")
    args = parser.parse_args()
    process, host, port = start_server(root=args.root)
    try:
        rate, cpu = asyncio.run(drive(process.pid, host, port, args.connections, args.seconds))
    finally:
        process.terminate()
        process.wait()
    print('RetrieveServiceContent over %d keep-alive connections: %.0f requests/s, '
          'server CPU %.0f us/request (load average %s)'
          % (args.connections, rate, cpu * 1e6, load_average()))


if __name__ == '__main__':
    main()
