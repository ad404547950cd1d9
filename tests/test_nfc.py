"""HttpNfcLease and /nfc: the lease's states and faults, its manifest and
checksum types, probing and pulling disks from URLs, the timeout, and
what /nfc answers for uploads that do not fit, unknown tickets and the
wrong direction."""
import hashlib
import socket
import http.server
import threading
import time
import urllib.error
import urllib.request

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests import ovf_package
from tests.conftest import _simulator, on_reactor
from tests.test_folder_http import request
from tests.test_ovf import deploy, params, place
from vimsim.managed.storage import http_nfc_lease

_count = iter(range(1, 10 ** 6))


@pytest.fixture(scope='module')
def sim(validator):
    """A simulator of this module's own, which keeps the VMs it imports."""
    return _simulator(validator, tls=False)


def import_lease(si, name):
    """A ready import lease of the test package, and the import spec's fileItems."""
    dc, pool, ds, _, _ = place(si)
    spec = si.RetrieveContent().ovfManager.CreateImportSpec(
        ovf_package.descriptor(), pool, ds, params(entityName=name))
    lease = pool.ImportVApp(spec.importSpec, dc.vmFolder)
    wait_ready(lease)
    return lease, spec.fileItem


def wait_ready(lease):
    for _ in range(250):
        if lease.state != vim.HttpNfcLease.State.initializing:
            break
        time.sleep(0.02)
    assert lease.state == vim.HttpNfcLease.State.ready, lease.error


def local(sim, url):
    return url.replace('*', sim.host)


def path_of(url):
    return '/' + url.split('/', 3)[3]    # 'http://*:port/nfc/...' -> '/nfc/...'


def test_lease_info_and_states(si, sim):
    lease, items = import_lease(si, 'info-%d' % next(_count))
    info = lease.info
    assert info.leaseTimeout == 300 and info.lease == lease
    assert info.totalDiskCapacityInKB == sum(ovf_package.DISK_CAPACITIES) // 1024
    assert [u.importKey for u in info.deviceUrl] == [i.deviceId for i in items]
    vm = info.entity
    assert [u.key for u in info.deviceUrl] == [
        '/%s/VirtualLsiLogicController0:%d' % (vm._moId, n) for n in range(2)]
    # the port the client called follows the '*' it puts its host for
    assert all(u.url.startswith('http://*:%d/nfc/' % sim.port) and u.disk
               for u in info.deviceUrl)
    assert lease.mode == 'pushOrGet' and lease.capabilities.pullModeSupported
    with pytest.raises(vmodl.fault.InvalidArgument):
        lease.HttpNfcLeaseProgress(101)
    lease.HttpNfcLeaseProgress(30)
    assert lease.transferProgress == 30
    # the wrong direction and unknown tickets are not found; other verbs not allowed
    url = path_of(info.deviceUrl[0].url)
    assert request(sim, 'GET', url)[0] == 404
    assert request(sim, 'PUT', '/nfc/0123/disk-0.vmdk', b'x')[0] == 404
    assert request(sim, 'DELETE', url)[0] == 405
    lease.HttpNfcLeaseComplete()
    with pytest.raises(vim.fault.InvalidState):
        lease.HttpNfcLeaseAbort()
    assert request(sim, 'PUT', url, b'x' * 512)[0] == 404   # the lease is over


def test_uploads_that_do_not_fit(si, sim):
    lease, _ = import_lease(si, 'bad-%d' % next(_count))
    url = path_of(lease.info.deviceUrl[1].url)
    capacity = ovf_package.DISK_CAPACITIES[1]
    status, _, body = request(sim, 'PUT', url, b'\1' * (capacity + 512))
    assert status == 400 and b'larger than the disk' in body
    stream = bytearray(ovf_package.stream_vmdk(ovf_package.disk_contents(1)))
    stream[1024:1040] = b'\xff' * 16          # a grain's compressed data broken
    status, _, body = request(sim, 'POST', url, bytes(stream))
    assert status == 400 and b'Invalid disk image' in body
    truncated = ovf_package.stream_vmdk(ovf_package.disk_contents(1))[:-512]
    assert request(sim, 'POST', url, truncated)[0] == 400
    big = ovf_package.stream_vmdk(ovf_package.disk_contents(0))   # a 4 MB disk into 2 MB
    assert request(sim, 'POST', url, big)[0] == 400
    # a flat image is taken as it is
    data = ovf_package.disk_contents(1)
    assert request(sim, 'PUT', url, data)[0] == 200
    manifest = lease.HttpNfcLeaseGetManifest()
    assert [(e.key, e.sha1, e.size) for e in manifest] == [
        (lease.info.deviceUrl[1].key, hashlib.sha1(data).hexdigest(), len(data))]
    lease.HttpNfcLeaseAbort(vmodl.fault.SystemError(reason='client gave up'))
    assert isinstance(lease.error, vmodl.fault.SystemError)


def test_export_manifest_checksum_types(si, sim):
    vm = deploy(si, sim, 'sums-%d' % next(_count), option='small')
    WaitForTask(vm.PowerOnVM_Task())
    with pytest.raises(vim.fault.InvalidPowerState):
        vm.ExportVm()
    WaitForTask(vm.PowerOffVM_Task())
    lease = vm.ExportVm()
    wait_ready(lease)
    first, second = lease.info.deviceUrl
    with pytest.raises(vmodl.fault.InvalidArgument):
        lease.HttpNfcLeaseSetManifestChecksumType([vim.KeyValue(key=first.key, value='md5')])
    lease.HttpNfcLeaseSetManifestChecksumType([vim.KeyValue(key=second.url, value='sha256')])
    bodies = []
    for device_url in (first, second):
        with urllib.request.urlopen(local(sim, device_url.url)) as response:
            bodies.append(response.read())
    assert request(sim, 'PUT', path_of(first.url), b'x')[0] == 404   # an export lease
    manifest = {entry.key: entry for entry in lease.HttpNfcLeaseGetManifest()}
    assert manifest[first.key].checksumType == 'sha1'
    assert manifest[first.key].sha1 == hashlib.sha1(bodies[0]).hexdigest()
    assert manifest[second.key].checksumType == 'sha256'
    assert manifest[second.key].checksum == hashlib.sha256(bodies[1]).hexdigest()
    assert manifest[second.key].capacity == ovf_package.DISK_CAPACITIES[1]
    lease.HttpNfcLeaseComplete()
    with pytest.raises(vim.fault.InvalidState):
        lease.HttpNfcLeaseGetManifest()


class _DiskServer(http.server.BaseHTTPRequestHandler):
    bodies = {}

    def do_GET(self):
        body = self.bodies.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_probe_and_pull_from_urls(si, sim):
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _DiskServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = 'http://127.0.0.1:%d' % server.server_address[1]
        for number in range(2):
            _DiskServer.bodies['/disk%d.vmdk' % number] = ovf_package.stream_vmdk(
                ovf_package.disk_contents(number))
        lease, items = import_lease(si, 'pull-%d' % next(_count))
        sources = [vim.HttpNfcLease.SourceFile(targetDeviceId=item.deviceId, create=False,
                                               url='%s/disk%d.vmdk' % (base, number))
                   for number, item in enumerate(items)]
        probed = lease.HttpNfcLeaseProbeUrls(sources + [vim.HttpNfcLease.SourceFile(
            targetDeviceId=items[0].deviceId, url='http://192.0.2.1/x.vmdk', create=False)], 2)
        assert [p.serverAccessible for p in probed] == [True, True, False]
        WaitForTask(lease.HttpNfcLeasePullFromUrls_Task(sources))
        assert lease.mode == 'pull'
        vm = lease.info.entity
        lease.HttpNfcLeaseComplete()
        export = vm.ExportVm()
        wait_ready(export)
        for number, device_url in enumerate(export.info.deviceUrl):
            with urllib.request.urlopen(local(sim, device_url.url)) as response:
                assert ovf_package.flat_image(response.read(), ovf_package.DISK_CAPACITIES[
                    number]) == ovf_package.disk_contents(number)
        export.HttpNfcLeaseComplete()
        # a URL the simulator may not reach, and one that is not there, fail the task
        lease, items = import_lease(si, 'pull-%d' % next(_count))
        task = lease.HttpNfcLeasePullFromUrls_Task([vim.HttpNfcLease.SourceFile(
            targetDeviceId=items[0].deviceId, url='%s/missing.vmdk' % base, create=False)])
        with pytest.raises(vim.fault.HttpFault) as raised:
            WaitForTask(task)
        assert raised.value.statusCode == 404
        with pytest.raises(vmodl.fault.InvalidArgument):
            lease.HttpNfcLeasePullFromUrls_Task([vim.HttpNfcLease.SourceFile(
                targetDeviceId='/nothing', url='%s/disk0.vmdk' % base, create=False)])
        lease.HttpNfcLeaseAbort()
    finally:
        server.shutdown()
        server.server_close()


def test_an_idle_lease_expires(si, sim, monkeypatch):
    on_reactor(monkeypatch.setattr, http_nfc_lease, 'LEASE_TIMEOUT', 1)
    lease, _ = import_lease(si, 'idle-%d' % next(_count))
    vm = lease.info.entity
    time.sleep(0.6)
    lease.HttpNfcLeaseProgress(10)             # activity: the timeout starts again
    time.sleep(0.6)
    assert lease.state == vim.HttpNfcLease.State.ready
    for _ in range(100):
        if lease.state != vim.HttpNfcLease.State.ready:
            break
        time.sleep(0.05)
    assert lease.state == vim.HttpNfcLease.State.error
    assert isinstance(lease.error, vim.fault.Timedout)
    with pytest.raises(vim.fault.Timedout):
        lease.HttpNfcLeaseProgress(20)
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        vm.name                                  # the import that did not complete is gone


def test_a_stream_whose_first_piece_is_short(si, sim):
    """The format is told from the first four bytes however the body is
    cut: a stream-optimized disk sent two bytes first is still decoded."""
    lease, _ = import_lease(si, 'short-%d' % next(_count))
    device_url = lease.info.deviceUrl[1]
    body = ovf_package.stream_vmdk(ovf_package.disk_contents(1))
    with socket.create_connection((sim.host, sim.port)) as sock:
        sock.sendall(('POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: %d\r\n\r\n' % (
            path_of(device_url.url), sim.host, sim.port, len(body))).encode() + body[:2])
        time.sleep(0.2)
        sock.sendall(body[2:])
        assert sock.recv(4096).startswith(b'HTTP/1.1 200')
    vm = lease.info.entity
    lease.HttpNfcLeaseComplete()
    export = vm.ExportVm()
    wait_ready(export)
    with urllib.request.urlopen(local(sim, export.info.deviceUrl[1].url)) as response:
        assert ovf_package.flat_image(response.read(), ovf_package.DISK_CAPACITIES[1]) == \
            ovf_package.disk_contents(1)
    export.HttpNfcLeaseComplete()


def test_abort_while_initializing_leaves_no_vm(si, sim, monkeypatch):
    """An import aborted before its VM was made makes none."""
    on_reactor(monkeypatch.setitem, sim.sim.task_manager.durations, 'ImportVApp', 300)
    dc, pool, ds, _, _ = place(si)
    name = 'early-%d' % next(_count)
    spec = si.RetrieveContent().ovfManager.CreateImportSpec(
        ovf_package.descriptor(), pool, ds, params(entityName=name))
    lease = pool.ImportVApp(spec.importSpec, dc.vmFolder)
    assert lease.state == vim.HttpNfcLease.State.initializing
    lease.HttpNfcLeaseAbort()
    time.sleep(0.6)
    assert lease.state == vim.HttpNfcLease.State.error
    assert si.RetrieveContent().searchIndex.FindChild(dc.vmFolder, name) is None


def test_a_lease_goes_with_its_session(si, sim):
    """Leases are session objects: logging out aborts an import's, whose VM goes."""
    other = sim.connect()
    lease, _ = import_lease(other, 'orphan-%d' % next(_count))
    assert lease._moId.startswith('session[')
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    name = lease.info.entity.name
    Disconnect(other)
    for _ in range(100):
        if si.RetrieveContent().searchIndex.FindChild(dc.vmFolder, name) is None:
            break
        time.sleep(0.05)
    assert si.RetrieveContent().searchIndex.FindChild(dc.vmFolder, name) is None
