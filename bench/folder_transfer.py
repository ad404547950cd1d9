"""/folder throughput: upload (PUT) and download (GET) of one big file.

Starts `python3 -m vimsim -tls=false` with -datastore-dir in a temporary
directory, PUTs a file of --megabytes (1,024 by default: 1 GB) on one
connection, then GETs it back, checking its length and a checksum of both
directions. Prints each direction's throughput, the server's CPU time per
direction (from /proc/PID/stat), its resident memory before, after and at
peak (VmRSS, VmHWM: streaming keeps it flat), and the load average.

    python3 bench/folder_transfer.py [--megabytes 1024] [--root DIR]
"""
import argparse
import base64
import hashlib
import os
import shutil
import socket
import tempfile
import time

from rawsoap import ROOT, cpu_seconds, load_average, rss_mb, start_server

CHUNK = 1 << 20
AUTH = 'Basic ' + base64.b64encode(b'user:pass').decode()
QUERY = 'dcPath=DC0&dsName=LocalDS_0'


def read_head(sock):
    """(status, headers) of a response, the socket left at its body."""
    data = b''
    while b'\r\n\r\n' not in data:
        piece = sock.recv(65536)
        if not piece:
            raise RuntimeError('connection closed in the response head')
        data += piece
    head, rest = data.split(b'\r\n\r\n', 1)
    lines = head.decode('latin-1').split('\r\n')
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, rest


def upload(host, port, size):
    block = os.urandom(CHUNK)
    digest = hashlib.sha1()
    sock = socket.create_connection((host, port))
    sock.sendall(('PUT /folder/big.bin?%s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: %s\r\n'
                  'Content-Length: %d\r\n\r\n' % (QUERY, host, port, AUTH, size)).encode())
    sent = 0
    while sent < size:
        piece = block[:min(CHUNK, size - sent)]
        sock.sendall(piece)
        digest.update(piece)
        sent += len(piece)
    status, _, _ = read_head(sock)
    sock.close()
    if status != 201:
        raise RuntimeError('upload answered %d' % status)
    return digest.hexdigest()


def download(host, port):
    sock = socket.create_connection((host, port))
    sock.sendall(('GET /folder/big.bin?%s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: %s\r\n'
                  'Connection: close\r\n\r\n' % (QUERY, host, port, AUTH)).encode())
    status, headers, rest = read_head(sock)
    if status != 200:
        raise RuntimeError('download answered %d' % status)
    length = int(headers['content-length'])
    digest = hashlib.sha1(rest)
    received = len(rest)
    buffer = bytearray(CHUNK)
    while received < length:
        count = sock.recv_into(buffer)
        if not count:
            break
        digest.update(memoryview(buffer)[:count])
        received += count
    sock.close()
    return received, digest.hexdigest()


def measured(pid, work):
    """(result, seconds, server CPU seconds) of `work()`."""
    cpu = cpu_seconds(pid)
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start, cpu_seconds(pid) - cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--megabytes', type=int, default=1024)
    parser.add_argument('--root', default=ROOT)
    args = parser.parse_args()
    size = args.megabytes * CHUNK
    directory = tempfile.mkdtemp(prefix='vimsim-bench-ds-')
    process, host, port = start_server('-datastore-dir', directory, root=args.root)
    try:
        idle = rss_mb(process.pid)
        sent_digest, up_seconds, up_cpu = measured(process.pid,
                                                   lambda: upload(host, port, size))
        after_upload = rss_mb(process.pid)
        (received, got_digest), down_seconds, down_cpu = measured(
            process.pid, lambda: download(host, port))
        after = rss_mb(process.pid)
        peak = rss_mb(process.pid, 'VmHWM')
    finally:
        process.terminate()
        process.wait()
        shutil.rmtree(directory, ignore_errors=True)
    if received != size or got_digest != sent_digest:
        raise SystemExit('the download differs from the upload (%d of %d bytes)'
                         % (received, size))
    mb = size / 1e6
    print('PUT  %.0f MB in %.2f s: %.0f MB/s, server CPU %.2f s (%.2f s/GB)'
          % (mb, up_seconds, mb / up_seconds, up_cpu, up_cpu / (size / 1e9)))
    print('GET  %.0f MB in %.2f s: %.0f MB/s, server CPU %.2f s (%.2f s/GB); byte-identical'
          % (mb, down_seconds, mb / down_seconds, down_cpu, down_cpu / (size / 1e9)))
    print('server RSS %.0f MB idle, %.0f MB after the upload, %.0f MB after the download, '
          'peak %.0f MB; load average %s' % (idle, after_upload, after, peak, load_average()))


if __name__ == '__main__':
    main()
