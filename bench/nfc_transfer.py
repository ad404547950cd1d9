"""NFC throughput: an OVF import's disk upload (POST of a stream-optimized
VMDK to the lease's device URL) and an export's download (GET of the
stream-optimized VMDK the server writes from the extent).

Starts `python3 -m vimsim -tls=false` with -datastore-dir in a temporary
directory, deploys a one-disk OVF of --megabytes capacity (1,024 by
default) through CreateImportSpec and ImportVApp, uploads a disk image
(half of each 64 KB grain random, half zeros; written to a temporary file
first, so the client's compression is not timed), completes the lease,
exports the VM and downloads its disk, checking that the downloaded
stream decodes to the uploaded bytes (by checksum). Prints each
direction's throughput and server CPU time (from /proc/PID/stat), the
server's resident memory before, after and at peak (VmRSS, VmHWM: both
directions stream, so it stays flat), and the load average.

    python3 bench/nfc_transfer.py [--megabytes 1024] [--root DIR]
"""
import argparse
import hashlib
import os
import shutil
import socket
import sys
import tempfile
import time

from folder_transfer import measured, read_head
from rawsoap import ROOT, load_average, rss_mb, start_server

sys.path.insert(0, ROOT)
from pyVim.connect import Disconnect, SmartConnect  # noqa: E402
from pyVmomi import vim  # noqa: E402

from vimsim.managed.storage import stream_optimized  # noqa: E402

GRAIN = stream_optimized.GRAIN
PATTERNS = 64
SEND = 1 << 20

OVF = '''<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References><File ovf:href="disk1.vmdk" ovf:id="file1" ovf:size="%(size)d"/></References>
  <DiskSection><Info>Disks</Info><Disk ovf:capacity="%(megabytes)d" ovf:capacityAllocationUnits="byte * 2^20"
    ovf:diskId="vmdisk1" ovf:fileRef="file1"/></DiskSection>
  <VirtualSystem ovf:id="bench"><Info>A VM</Info><Name>bench</Name>
    <VirtualHardwareSection><Info>Hardware</Info>
      <System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName><vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType></System>
      <Item><rasd:ElementName>CPU</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>Memory</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>256</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>SCSI</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>Disk</rasd:ElementName><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
    </VirtualHardwareSection></VirtualSystem></Envelope>'''


def disk_image_stream(path, capacity):
    """Write the stream-optimized VMDK of the benchmark's disk to `path`;
    the sha1 digest of each of its grains' bytes, by offset."""
    patterns = [os.urandom(GRAIN // 2) + bytes(GRAIN // 2) for _ in range(PATTERNS)]
    digests = [hashlib.sha1(pattern).digest() for pattern in patterns]

    def read(offset, size):
        return patterns[(offset // GRAIN) % PATTERNS][:size]
    with open(path, 'wb') as out:
        for piece in stream_optimized.encode(read, capacity, '# Disk DescriptorFile\n',
                                             [(0, capacity)]):
            out.write(piece)
    return {grain * GRAIN: digests[grain % PATTERNS] for grain in range(capacity // GRAIN)}


def wait_ready(lease):
    while lease.state == vim.HttpNfcLease.State.initializing:
        time.sleep(0.05)
    if lease.state != vim.HttpNfcLease.State.ready:
        raise RuntimeError('lease %s: %s' % (lease.state, lease.error))


def post_file(host, port, path, url_path):
    size = os.path.getsize(path)
    sock = socket.create_connection((host, port))
    sock.sendall(('POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/'
                  'x-vnd.vmware-streamVmdk\r\nContent-Length: %d\r\n\r\n'
                  % (url_path, host, port, size)).encode())
    with open(path, 'rb') as source:
        while True:
            piece = source.read(SEND)
            if not piece:
                break
            sock.sendall(piece)
    status, _, _ = read_head(sock)
    sock.close()
    if status != 200:
        raise RuntimeError('upload answered %d' % status)
    return size


def get_decoded(host, port, url_path, capacity):
    """(stream bytes received, sha1 of the disk bytes they decode to)."""
    sock = socket.create_connection((host, port))
    sock.sendall(('GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n'
                  % (url_path, host, port)).encode())
    status, headers, rest = read_head(sock)
    if status != 200:
        raise RuntimeError('download answered %d' % status)
    pieces = {}
    decoder = stream_optimized.Decoder(lambda offset, data: pieces.__setitem__(
        offset, hashlib.sha1(data).digest()), capacity)
    chunked = _Dechunker(decoder.feed) if headers.get('transfer-encoding') == 'chunked' \
        else None
    feed = chunked.feed if chunked else decoder.feed
    received = len(rest)
    feed(rest)
    while True:
        piece = sock.recv(SEND)
        if not piece:
            break
        received += len(piece)
        feed(piece)
    sock.close()
    decoder.finish()
    return received, pieces


class _Dechunker:
    """HTTP/1.1 chunked transfer coding taken apart as it arrives."""

    def __init__(self, sink):
        self.sink = sink
        self.buffer = b''
        self.left = 0

    def feed(self, data):
        self.buffer += data
        while self.buffer:
            if self.left > 0:
                piece = self.buffer[:self.left]
                self.sink(piece)
                self.left -= len(piece)
                self.buffer = self.buffer[len(piece):]
                if self.left == 0:
                    self.left = -2           # the CRLF after the chunk
                continue
            if self.left < 0:
                if len(self.buffer) < 2:
                    return
                self.buffer = self.buffer[2:]
                self.left = 0
                continue
            line, found, rest = self.buffer.partition(b'\r\n')
            if not found:
                return
            self.left = int(line.split(b';')[0], 16)
            self.buffer = rest
            if self.left == 0:
                self.buffer = b''
                return


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--megabytes', type=int, default=1024)
    parser.add_argument('--root', default=ROOT)
    args = parser.parse_args()
    capacity = args.megabytes << 20
    directory = tempfile.mkdtemp(prefix='vimsim-bench-nfc-')
    image = os.path.join(directory, 'disk1.vmdk')
    sent = disk_image_stream(image, capacity)
    process, host, port = start_server('-datastore-dir', os.path.join(directory, 'ds'),
                                       root=args.root)
    try:
        si = SmartConnect(host=host, port=port, user='user', pwd='pass', protocol='http')
        content = si.RetrieveContent()
        dc = content.rootFolder.childEntity[0]
        cluster = dc.hostFolder.childEntity[0]
        pool = cluster.resourcePool
        ds = next(d for d in cluster.datastore if d.name == 'LocalDS_0')
        spec = content.ovfManager.CreateImportSpec(
            OVF % {'size': os.path.getsize(image), 'megabytes': args.megabytes}, pool, ds,
            vim.OvfManager.CreateImportSpecParams(diskProvisioning='thin'))
        if spec.error:
            raise RuntimeError(spec.error[0].msg)
        idle = rss_mb(process.pid)
        lease = pool.ImportVApp(spec.importSpec, dc.vmFolder)
        wait_ready(lease)
        url = '/' + lease.info.deviceUrl[0].url.split('/', 3)[3]
        size, up_seconds, up_cpu = measured(process.pid,
                                            lambda: post_file(host, port, image, url))
        lease.HttpNfcLeaseComplete()
        after_upload = rss_mb(process.pid)
        vm = lease.info.entity
        export = vm.ExportVm()
        wait_ready(export)
        url = '/' + export.info.deviceUrl[0].url.split('/', 3)[3]
        (received, pieces), down_seconds, down_cpu = measured(
            process.pid, lambda: get_decoded(host, port, url, capacity))
        export.HttpNfcLeaseComplete()
        after = rss_mb(process.pid)
        peak = rss_mb(process.pid, 'VmHWM')
        Disconnect(si)
    finally:
        process.terminate()
        process.wait()
        shutil.rmtree(directory, ignore_errors=True)
    if pieces != sent:
        raise SystemExit('the export differs from the upload (%d of %d grains alike)' % (
            sum(1 for offset, digest in sent.items() if pieces.get(offset) == digest),
            len(sent)))
    mb = capacity / 1e6
    print('upload   %.0f MB disk (%.0f MB stream) in %.2f s: %.0f MB/s of disk, server CPU '
          '%.2f s (%.2f s/GB)' % (mb, size / 1e6, up_seconds, mb / up_seconds, up_cpu,
                                  up_cpu / (capacity / 1e9)))
    print('download %.0f MB disk (%.0f MB stream) in %.2f s: %.0f MB/s of disk, server CPU '
          '%.2f s (%.2f s/GB)' % (mb, received / 1e6, down_seconds, mb / down_seconds,
                                  down_cpu, down_cpu / (capacity / 1e9)))
    print('server RSS %.0f MB before, %.0f MB after the upload, %.0f MB after the download, '
          'peak %.0f MB; load average %s' % (idle, after_upload, after, peak, load_average()))


if __name__ == '__main__':
    main()
