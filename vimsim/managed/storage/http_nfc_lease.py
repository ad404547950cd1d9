"""HttpNfcLease: the lease of an OVF import (ResourcePool.ImportVApp) or
export (VirtualMachine.ExportVm, VirtualApp.ExportVApp), through which a
client moves a VM's disks over HTTP (vimsim/server/nfc.py serves them).

A lease starts `initializing` (an import's VM is made meanwhile), is then
`ready` with `info` (one deviceUrl per disk, 'http(s)://*/nfc/<ticket>/
disk-N.vmdk': the client puts its own host for '*', as with vCenter; the
port the client called, unless the scheme's default, follows the '*', since
clients keep a port the URL names), and
ends `done` (HttpNfcLeaseComplete) or `error` (HttpNfcLeaseAbort, the
import failing, or no sign of life from the client for `leaseTimeout`
seconds: a transfer or HttpNfcLeaseProgress keeps it alive). An import
that does not complete leaves no VM. The ticket in the URLs is the
transfer's credential, as ESXi's NFC tickets are, so the bare URL works
(the pyVmomi samples send no cookie).

Uploads take a stream-optimized VMDK (deflated grains, decoded into the
flat extent) or a flat disk image; downloads are stream-optimized VMDKs
written from the extent as they are read. Each transfer's checksum (sha1,
or what HttpNfcLeaseSetManifestChecksumType chose) goes into the manifest.
HttpNfcLeasePullFromUrls_Task fetches the disks itself, from the
simulator's own network: loopback addresses only (so does
HttpNfcLeaseProbeUrls, which reports any other address unreachable).
"""
import hashlib
import ipaddress
import os
import secrets
import socket
import ssl
import urllib.parse
import urllib.request

from twisted.internet.threads import deferToThread

from vimsim.managed.base import ManagedObject
from vimsim.managed.entity import data_types
from vimsim.managed.manager import star_host
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.storage import changed_block_tracking as cbt
from vimsim.managed.storage import datastore_files as files
from vimsim.managed.storage import disk_data
from vimsim.managed.storage import stream_optimized
from vimsim.managed.storage.vmdk import Descriptor, DescriptorError
from vimsim.soap.fault import fault, localized

LEASE_TIMEOUT = 300            # seconds without activity before a lease expires
CHECKSUMS = {'sha1': hashlib.sha1, 'sha256': hashlib.sha256, 'sha512': hashlib.sha512}
READ_PIECE = 1 << 20
PULL_PIECE = 256 * 1024


class TransferError(Exception):
    """An upload the disk cannot take: `status` is the HTTP answer."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _invalid_state():
    return fault('InvalidState', 'The operation is not allowed in the current state.')


class Device:
    """One disk a lease moves: where its data is and what its URL says."""

    def __init__(self, key, import_key, file_name, path, capacity, datastore, descriptor_ddb):
        self.key = key
        self.import_key = import_key
        self.file_name = file_name           # 'disk-0.vmdk', the URL's last part
        self.path = path                     # the flat extent on disk
        self.chain = [path]                  # the extents its data is read from, base first
        self.capacity = capacity
        self.datastore = datastore
        self.ddb = descriptor_ddb
        self.checksum_type = 'sha1'
        self.transferred = None              # (size, checksum) once a transfer ended


class HttpNfcLease(ManagedObject):
    """A session's lease (vCenter's are session objects, 'session[<key>]<id>'):
    it goes with its session, aborting what it has not completed."""
    type_name = 'HttpNfcLease'
    held_as = 'lease'

    def __init__(self, ctx, importing, on_abort=None):
        server = ctx.server
        session = ctx.session
        super().__init__(server, 'session[%s]%s' % (session.key, server.new_uuid())
                         if session is not None else server.objects.next_id('lease-'))
        if session is not None:
            self.owner = session
            session.own(self)
        self.host = star_host(ctx)
        self.importing = importing
        self.on_abort = on_abort             # what an unfinished import takes back
        self.ticket = secrets.token_hex(16)
        self.state = 'initializing'
        self.error = None
        self.initializeProgress = 0
        self.transferProgress = 0
        self.mode = 'pushOrGet'
        self.devices = []
        self.entity = None
        self.last_activity = None
        self._timer = None
        leases(server)[self.ticket] = self

    @property
    def T(self):
        return data_types(self.server)

    @property
    def capabilities(self):
        return self.T.HttpNfcLeaseCapabilities(pullModeSupported=True, corsSupported=False)

    @property
    def info(self):
        if self.state == 'initializing' or self.entity is None:
            return None
        T = self.T
        scheme = 'https' if self.server.options.tls else 'http'
        urls = [T.HttpNfcLeaseDeviceUrl(
            key=device.key, importKey=device.import_key,
            url='%s://%s/nfc/%s/%s' % (scheme, self.host, self.ticket,
                                        device.file_name), sslThumbprint='',
            disk=True, targetId=device.file_name, datastoreKey=device.datastore.url,
            fileSize=device.capacity if self.importing else None) for device in self.devices]
        stores = []
        for device in self.devices:
            if device.datastore.url not in [s.datastoreKey for s in stores]:
                stores.append(T.HttpNfcLeaseDatastoreLeaseInfo(
                    datastoreKey=device.datastore.url, hosts=[T.HttpNfcLeaseHostInfo(
                        url='%s://%s/nfc/%s/' % (scheme, self.host, self.ticket),
                        sslThumbprint='')]))
        return T.HttpNfcLeaseInfo(
            lease=self.ref, entity=self.entity.ref, deviceUrl=urls,
            totalDiskCapacityInKB=sum(d.capacity for d in self.devices) // 1024,
            leaseTimeout=LEASE_TIMEOUT, hostMap=stores)

    # -- life -------------------------------------------------------------------------
    def ready(self, entity, devices):
        """The entity's disks are there to move: the lease is ready."""
        if self.state != 'initializing':
            return
        self.entity = entity
        self.devices = devices
        self.initializeProgress = 100
        self.state = 'ready'
        self.touch()
        self.changed('state', 'info', 'initializeProgress')

    def fail(self, error):
        """The lease ends in `error` (a LocalizedMethodFault)."""
        if self.state in ('done', 'error'):
            return
        self.state = 'error'
        self.error = error
        self._end()
        if self.importing and self.on_abort is not None:
            self.on_abort()
        self.changed('state', 'error')

    def destroy(self):
        """The session that held the lease ended: so does the lease."""
        self.fail(localized(_canceled()))
        super().destroy()

    def _end(self):
        leases(self.server).pop(self.ticket, None)
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None

    def touch(self):
        """A sign of life from the client: the timeout starts again."""
        self.last_activity = self.server.time.seconds()
        if self._timer is None or not self._timer.active():
            self._timer = self.server.time.callLater(LEASE_TIMEOUT, self._expire)

    def _expire(self):
        self._timer = None
        if self.state != 'ready':
            return
        idle = self.server.time.seconds() - self.last_activity
        if idle < LEASE_TIMEOUT:
            self._timer = self.server.time.callLater(LEASE_TIMEOUT - idle, self._expire)
            return
        self.fail(localized(fault('Timedout', 'Operation timed out.')))

    def _check_ready(self):
        if self.state == 'error' and self.error is not None and \
                type(self.error.fault).__name__ == 'Timedout':
            raise fault('Timedout', 'Operation timed out.')
        if self.state != 'ready':
            raise _invalid_state()

    # -- methods ------------------------------------------------------------------------
    def HttpNfcLeaseProgress(self, ctx, percent):
        self._check_ready()
        if not 0 <= percent <= 100:
            raise fault('InvalidArgument', 'A specified parameter was not correct: percent',
                        invalidProperty='percent')
        self.transferProgress = percent
        self.touch()
        self.changed('transferProgress')

    def HttpNfcLeaseComplete(self, ctx):
        self._check_ready()
        self.state = 'done'
        self.transferProgress = 100
        self._end()
        self.changed('state', 'transferProgress')

    def HttpNfcLeaseAbort(self, ctx, fault=None):
        if self.state in ('done', 'error'):
            raise _invalid_state()
        self.fail(fault if fault is not None else localized(_canceled()))

    def HttpNfcLeaseGetManifest(self, ctx):
        self._check_ready()
        T = self.T
        entries = []
        for device in self.devices:
            if device.transferred is None:
                continue
            size, checksum = device.transferred
            entries.append(T.HttpNfcLeaseManifestEntry(
                key=device.key, sha1=checksum if device.checksum_type == 'sha1' else '',
                checksum=checksum, checksumType=device.checksum_type, size=size, disk=True,
                capacity=device.capacity, populatedSize=_populated(device)))
        return entries

    def HttpNfcLeaseSetManifestChecksumType(self, ctx, deviceUrlsToChecksumTypes=()):
        self._check_ready()
        chosen = {}
        for pair in deviceUrlsToChecksumTypes:
            device = self._device_named(pair.key)
            if device is None or pair.value not in CHECKSUMS:
                raise fault('InvalidArgument', 'A specified parameter was not correct: '
                            'deviceUrlsToChecksumTypes',
                            invalidProperty='deviceUrlsToChecksumTypes')
            chosen[device] = pair.value
        for device, kind in chosen.items():
            device.checksum_type = kind

    def _device_named(self, name):
        """The device a client names by its key or its URL (any host for '*')."""
        for device in self.devices:
            if name in (device.key, device.import_key) or \
                    urllib.parse.urlsplit(name or '').path == self.url_path(device):
                return device
        return None

    def url_path(self, device):
        return '/nfc/%s/%s' % (self.ticket, device.file_name)

    def HttpNfcLeaseProbeUrls(self, ctx, files=(), timeout=None):
        self._check_ready()
        T = self.T
        seconds = min(timeout or 1, 1)    # on the reactor; a loopback connect answers at once
        return [T.HttpNfcLeaseProbeResult(serverAccessible=_reachable(source.url, seconds))
                for source in files]

    def HttpNfcLeasePullFromUrls_Task(self, ctx, files=()):
        self._check_ready()
        if not self.importing:
            raise _invalid_state()
        plan = []
        for source in files:
            device = next((d for d in self.devices if d.import_key == source.targetDeviceId),
                          None)
            if device is None:
                raise fault('InvalidArgument', 'A specified parameter was not correct: '
                            'files.targetDeviceId', invalidProperty='files.targetDeviceId')
            plan.append((device, source))
        self.mode = 'pull'
        self.changed('mode')

        def work(task):
            pending = deferToThread(self._pull_all, plan)

            def done(results):
                for device, written, size, checksum in results:
                    for offset, length in written:
                        cbt.record(self.server, device.path, offset, length)
                    device.transferred = (size, checksum)
                self.touch()
            return pending.addCallback(done)
        return run_task(ctx, None, 'HttpNfcLeasePullFromUrls_Task', work, this=self)

    def _pull_all(self, plan):
        """(On a thread) fetch each source into its device."""
        results = []
        for device, source in plan:
            response = open_url(source.url, {pair.key: pair.value
                                             for pair in source.httpHeaders or ()})
            upload = Upload(device, record_changes=False)
            try:
                with response:
                    while True:
                        piece = response.read(PULL_PIECE)
                        if not piece:
                            break
                        upload.write(piece)
                size, checksum = upload.finish()
            except TransferError as error:
                raise fault('HttpFault', str(error), statusCode=error.status,
                             statusMessage=str(error)) from None
            results.append((device, upload.written, size, checksum))
        return results

    def download(self, device):
        """The stream-optimized VMDK of `device`'s disk, piece by piece
        (FileNotFoundError when the disk has gone meanwhile)."""
        self.touch()
        return _Download(self, device, open_disk(device))


def _canceled():
    return fault('RequestCanceled', 'The task was canceled by a user.')


def leases(server):
    """{ticket: HttpNfcLease} of the leases whose URLs serve."""
    found = server.__dict__.get('nfc_leases')
    if found is None:
        found = server.nfc_leases = {}
    return found


def lease_device(server, ticket, file_name):
    """(lease, device) an /nfc URL names, or None."""
    lease = leases(server).get(ticket)
    if lease is None or lease.state != 'ready':
        return None
    device = next((d for d in lease.devices if d.file_name == file_name), None)
    return (lease, device) if device is not None else None


def device_id(owner, controller_type, bus, unit):
    """The id vCenter gives a disk in import specs' fileItems and in lease
    device URLs: '/<owner>/VirtualLsiLogicController0:1'."""
    return '/%s/%s%d:%d' % (owner, controller_type, bus or 0, unit or 0)


def disk_devices(vm, import_owner=None, device_list=None):
    """A lease's Devices for each disk of `vm` (of `device_list`, a
    snapshot's, when given): key '/<vm moid>/<controller type><bus>:<unit>',
    importKey the same with `import_owner` (the entity name the import spec
    used) for the moid, uploads into the disk's base extent, downloads
    read through its chain (a snapshot's deltas)."""
    T = data_types(vm.server)
    device_list = vm.devices() if device_list is None else device_list
    devices = {device.key: device for device in device_list}
    out = []
    for disk in [d for d in device_list if isinstance(d, T.VirtualDisk)]:
        controller = devices.get(disk.controllerKey)
        if controller is None:
            continue
        top = files.split_path(disk.backing.fileName)
        backing = disk.backing
        while getattr(backing, 'parent', None) is not None:
            backing = backing.parent
        parsed = files.split_path(backing.fileName)
        ds = next((d for d in vm.datastore_objects() if parsed and d.name == parsed[0]), None)
        if ds is None or not isinstance(backing, T.VirtualDiskFlatVer2BackingInfo):
            continue
        relative = parsed[1]
        stem = relative[:-len('.vmdk')] if relative.endswith('.vmdk') else relative
        path = files.local_path(ds, stem + '-flat.vmdk')
        try:
            ddb = files.read_descriptor(files.local_path(ds, relative)).ddb
        except (OSError, DescriptorError, AttributeError):
            ddb = {}
        place = (type(controller).__name__, controller.busNumber, disk.unitNumber)
        device = Device(device_id(vm.ref.value, *place),
                        device_id(import_owner or vm.ref.value, *place),
                        'disk-%d.vmdk' % len(out), path, disk.capacityInKB * 1024, ds, ddb)
        device.chain = _extents(vm.server, vm, top) or device.chain
        out.append(device)
    return out


def _extents(server, vm, top):
    """The extents, base first, of the disk whose top descriptor is
    datastore path `top` (('ds', 'dir/x.vmdk')), as its descriptors chain them."""
    ds = next((d for d in vm.datastore_objects() if top and d.name == top[0]), None)
    if ds is None:
        return []
    try:
        descriptor = files.local_path(ds, top[1])
    except files.PathError:
        return []
    return [extent for _, extent in disk_data.descriptor_chain(server, descriptor)]


class Upload:
    """Bytes PUT or POSTed to a device's URL, written into its extent as
    they come: a stream-optimized VMDK decoded grain by grain, anything
    else a flat image written from byte 0."""

    def __init__(self, device, record_changes=True, server=None):
        self.device = device
        self.server = server
        self.record_changes = record_changes
        self.file = open(device.path, 'r+b')
        self.decoder = None
        self.flat_offset = None
        self.head = b''
        self.received = 0
        self.digest = CHECKSUMS[device.checksum_type]()
        self.written = []          # (offset, length) runs, for change tracking

    def _write_at(self, offset, data):
        if offset + len(data) > self.device.capacity:
            raise TransferError(400, 'The disk image is larger than the disk (%d bytes).'
                                % self.device.capacity)
        os.pwrite(self.file.fileno(), data, offset)
        if self.written and self.written[-1][0] + self.written[-1][1] == offset:
            self.written[-1] = (self.written[-1][0], self.written[-1][1] + len(data))
        else:
            self.written.append((offset, len(data)))
        if self.record_changes and self.server is not None:
            cbt.record(self.server, self.device.path, offset, len(data))

    def write(self, data):
        self.received += len(data)
        self.digest.update(data)
        if self.decoder is None and self.flat_offset is None:
            self.head += data                 # the first bytes tell the format
            if len(self.head) < len(stream_optimized.MAGIC_BYTES):
                return
            data, self.head = self.head, b''
            if data.startswith(stream_optimized.MAGIC_BYTES):
                self.decoder = stream_optimized.Decoder(self._write_at, self.device.capacity)
            else:
                self.flat_offset = 0
        self._feed(data)

    def _feed(self, data):
        try:
            if self.decoder is not None:
                self.decoder.feed(data)
            else:
                self._write_at(self.flat_offset, data)
                self.flat_offset += len(data)
        except stream_optimized.DecodeError as error:
            raise TransferError(400, 'Invalid disk image: %s' % error) from None
        except OSError as error:
            raise TransferError(507, 'Cannot write the disk: %s' % (
                error.strerror or error)) from None

    def finish(self):
        """(bytes received, checksum) once the body is whole."""
        try:
            if self.head:                     # a body shorter than any disk header
                self.flat_offset = 0
                self._feed(self.head)
            if self.decoder is not None:
                try:
                    self.decoder.finish()
                except stream_optimized.DecodeError as error:
                    raise TransferError(400, 'Invalid disk image: %s' % error) from None
        finally:
            self.file.close()
        return self.received, self.digest.hexdigest()

    def abort(self):
        self.file.close()


def fill_device(device, path, server):
    """Write the disk image at `path` into a lease device's extent as an
    upload of it would (a stream-optimized VMDK decoded, a flat image laid
    over the extent, its holes skipped): an import fed from a file the
    server holds (a content library's OVF deploy). TransferError when the
    image does not fit the disk."""
    with open(path, 'rb') as f:
        streamed = f.read(len(stream_optimized.MAGIC_BYTES)) == stream_optimized.MAGIC_BYTES
    if not streamed:
        if os.path.getsize(path) > device.capacity:
            raise TransferError(400, 'The disk image is larger than the disk (%d bytes).'
                                % device.capacity)
        files.overlay(path, device.path)
        return
    upload = Upload(device, server=server)
    try:
        with open(path, 'rb') as f:
            for piece in iter(lambda: f.read(READ_PIECE), b''):
                upload.write(piece)
    except BaseException:
        upload.abort()
        raise
    upload.finish()


def open_disk(device):
    """A disk_data.Chain of `device`'s disk (FileNotFoundError when its
    base extent has gone)."""
    if not os.path.exists(device.path):
        raise FileNotFoundError(device.path)
    return disk_data.Chain(device.chain)


def stream_pieces(device, chain):
    """The pieces of a stream-optimized VMDK of `device`'s disk, read
    through its open disk_data.Chain (holes skipped)."""
    regions = [(start, end - start) for start, end in chain.ranges(device.capacity)]
    sectors = device.capacity // 512
    descriptor = Descriptor([('RW', sectors, 'SPARSE', device.file_name)],
                            dict(device.ddb), create_type='streamOptimized')
    yield from stream_optimized.encode(chain.read, device.capacity, descriptor.text(), regions)


class _Download:
    """An iterable of a device's stream-optimized pieces that records the
    transfer's size and checksum when the last piece went."""

    def __init__(self, lease, device, chain):
        self.lease = lease
        self.device = device
        self.chain = chain

    def __iter__(self):
        device = self.device
        digest = CHECKSUMS[device.checksum_type]()
        size = 0
        with self.chain as chain:
            for piece in stream_pieces(device, chain):
                digest.update(piece)
                size += len(piece)
                yield piece
        device.transferred = (size, digest.hexdigest())
        self.lease.touch()


def _populated(device):
    """Bytes of the device's disk that hold data."""
    with disk_data.Chain(device.chain) as chain:
        return sum(end - start for start, end in chain.ranges(device.capacity))


def open_url(url, headers=None):
    """(Blocking: on a thread) the response of a GET of `url`, which must be
    http(s) on a loopback address; HttpFault when it cannot be had."""
    if not _loopback(url):
        raise fault('HttpFault', 'Cannot reach %s from the simulator.' % url,
                    statusCode=0, statusMessage='unreachable')
    request = urllib.request.Request(url, headers=headers or {})
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        return urllib.request.urlopen(request, timeout=30, context=context)
    except urllib.error.HTTPError as error:
        raise fault('HttpFault', 'HTTP %d from %s' % (error.code, url),
                    statusCode=error.code, statusMessage=str(error.reason)) from None
    except (OSError, ValueError) as error:
        raise fault('HttpFault', 'Cannot fetch %s: %s' % (url, error),
                    statusCode=0, statusMessage=str(error)) from None


def _loopback(url):
    """Whether `url` is http(s) to a loopback address (all the simulator may reach)."""
    try:
        parts = urllib.parse.urlsplit(url or '')
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ('http', 'https') or not host:
        return False
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reachable(url, seconds):
    if not _loopback(url):
        return False
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == 'https' else 80)
        with socket.create_connection((parts.hostname, port), timeout=seconds):
            return True
    except (OSError, ValueError):
        return False


def export_lease(ctx, entity, vms, snapshot=None):
    """The lease of ExportVm / ExportVApp / ExportSnapshot on `entity`:
    `vms`' disks (as `snapshot` froze them, when given; the callers have
    checked the VMs may be exported) to GET."""
    server = ctx.server
    lease = HttpNfcLease(ctx, importing=False)

    def ready():
        files.namespace(server).materialize()
        devices = []
        for vm in vms:
            if server.objects.get(vm.ref) is not vm:
                lease.fail(localized(fault('ManagedObjectNotFound', 'The object has already '
                                           'been deleted or has not been completely created',
                                           obj=vm.ref)))
                return
            for device in disk_devices(vm, device_list=snapshot.devices()
                                       if snapshot is not None else None):
                device.file_name = 'disk-%d.vmdk' % len(devices)
                devices.append(device)
        lease.ready(entity, devices)
    server.time.callLater(0, ready)
    return lease
