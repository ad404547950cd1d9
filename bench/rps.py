"""RetrieveServiceContent requests per second over keep-alive connections.

Starts `python3 -m vimsim -tls=false` on an ephemeral port in a subprocess and
drives it with a raw HTTP/1.1 client (asyncio, no HTTP library, responses
only framed by Content-Length, not parsed), so the figure is the server's.

    python3 bench/rps.py [--connections 16] [--seconds 10]
"""
import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
BODY = (b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        b'<soapenv:Body><RetrieveServiceContent xmlns="urn:vim25">'
        b'<_this type="ServiceInstance">ServiceInstance</_this>'
        b'</RetrieveServiceContent></soapenv:Body></soapenv:Envelope>')


def request(host, port):
    return (b'POST /sdk HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: text/xml; charset=utf-8\r\n'
            b'SOAPAction: "urn:vim25/9.1.1.0"\r\nContent-Length: %d\r\n\r\n'
            % (host.encode(), port, len(BODY))) + BODY


async def client(host, port, payload, deadline, counts):
    reader, writer = await asyncio.open_connection(host, port)
    done = 0
    while time.perf_counter() < deadline:
        writer.write(payload)
        head = await reader.readuntil(b'\r\n\r\n')
        if not head.startswith(b'HTTP/1.1 200'):
            raise RuntimeError(head[:100])
        start = head.lower().find(b'content-length:')
        length = int(head[start + 15:head.find(b'\r\n', start)])
        await reader.readexactly(length)
        done += 1
    writer.close()
    counts.append(done)


async def drive(host, port, connections, seconds):
    payload = request(host, port)
    counts = []
    deadline = time.perf_counter() + 1.0   # warm-up
    await asyncio.gather(*(client(host, port, payload, deadline, []) for _ in range(connections)))
    start = time.perf_counter()
    await asyncio.gather(*(client(host, port, payload, start + seconds, counts)
                           for _ in range(connections)))
    return sum(counts) / (time.perf_counter() - start)


def start_server():
    env_file = tempfile.mktemp(prefix='vimsim-env-')
    process = subprocess.Popen([sys.executable, '-m', 'vimsim', '-l', '127.0.0.1:0',
                                '-tls=false', '-E', env_file], cwd=ROOT)
    for _ in range(300):
        if os.path.exists(env_file) and os.path.getsize(env_file):
            break
        time.sleep(0.1)
    line = open(env_file).read()
    os.unlink(env_file)
    address = line.split('@', 1)[1].split('/', 1)[0]
    host, port = address.rsplit(':', 1)
    return process, host, int(port)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--connections', type=int, default=16)
    parser.add_argument('--seconds', type=float, default=10)
    args = parser.parse_args()
    process, host, port = start_server()
    try:
        rate = asyncio.run(drive(host, port, args.connections, args.seconds))
    finally:
        process.terminate()
        process.wait()
    print('RetrieveServiceContent over %d keep-alive connections: %.0f requests/s'
          % (args.connections, rate))


if __name__ == '__main__':
    main()
