"""IoFilterManager with pyVmomi: I/O filters installed on a cluster from a
VIB served over loopback HTTP (the filter is what the VIB's descriptor
says), carried by each connected host (its config.ioFilterInfo, with the
storage provider event), issues on a disconnected host and their
resolution, upgrade and uninstall, and vCenter's faults."""
import http.server
import threading

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, task_fault
from tests.test_virtual_disk_manager import running, si  # noqa: F401 (a simulator of its own)

REGISTERED = 'com.vmware.vc.iofilter.HostVendorProviderRegistrationSuccessEvent'


def ar_member(name, data):
    header = ('%-16s%-12d%-6d%-6d%-8s%-10d' % (name, 0, 0, 0, '100644', len(data))).encode()
    return header + b'`\n' + data + (b'\n' if len(data) % 2 else b'')


def vib(name='cachefilter', vendor='ACME', version='1.0.0-1', summary='A cache filter'):
    descriptor = ('<vib version="5.0"><type>bootbank</type><name>%s</name><version>%s</version>'
                  '<vendor>%s</vendor><summary>%s</summary>'
                  '<release-date>2024-05-01T00:00:00</release-date></vib>'
                  % (name, version, vendor, summary)).encode()
    return b'!<arch>\n' + ar_member('descriptor.xml', descriptor) + ar_member('sig.pkcs7', b'x')


@pytest.fixture(scope='module')
def vib_server():
    """A loopback HTTP server of VIBs: path -> bytes in its `files`."""
    files = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header('Content-Length', str(len(body or b'')))
            self.end_headers()
            self.wfile.write(body or b'')

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.files = files
    server.url = 'http://127.0.0.1:%d' % server.server_address[1]
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def env(si):
    content = si.RetrieveContent()
    cluster = next(c for c in all_of(si, vim.ClusterComputeResource))
    return content, content.ioFilterManager, cluster


def done(task):
    WaitForTask(task)
    return task.info.result


def test_install_upgrade_uninstall_on_a_cluster(vib_server, env):
    content, manager, cluster = env
    vib_server.files['/cache-1.vib'] = vib()
    vib_server.files['/cache-2.vib'] = vib(version='2.0.0-1')
    assert manager.QueryIoFilterInfo(cluster) == []
    info = done(manager.InstallIoFilter_Task(vib_server.url + '/cache-1.vib', cluster))
    assert info.id == 'ACME_bootbank_cachefilter_1.0.0-1' and info.opType == 'install'
    assert (info.name, info.vendor, info.version) == ('cachefilter', 'ACME', '1.0.0-1')
    assert info.vibUrl.endswith('/cache-1.vib') and info.summary == 'A cache filter'
    assert [f.id for f in manager.QueryIoFilterInfo(cluster)] == [info.id]
    for host in cluster.host:
        assert [(f.id, f.available) for f in host.config.ioFilterInfo] == [(info.id, True)]
    events = content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventTypeId=[REGISTERED]))
    assert {e.host.host for e in events} == set(cluster.host)
    assert manager.QueryIoFilterIssues(info.id, cluster).hostIssue == []
    assert manager.QueryDisksUsingFilter(info.id, cluster) == []
    fault = task_fault(manager.InstallIoFilter_Task(vib_server.url + '/cache-2.vib', cluster))
    assert isinstance(fault, vim.fault.AlreadyExists)

    upgraded = done(manager.UpgradeIoFilter_Task(info.id, cluster,
                                                 vib_server.url + '/cache-2.vib'))
    assert upgraded.opType == 'upgrade' and upgraded.version == '2.0.0-1'
    assert [f.id for f in manager.QueryIoFilterInfo(cluster)] == [upgraded.id]
    with pytest.raises(vim.fault.NotFound):
        manager.UninstallIoFilter_Task(info.id, cluster)
    fault = task_fault(manager.UpgradeIoFilter_Task(upgraded.id, cluster,
                                                    vib_server.url + '/cache-2.vib'))
    assert isinstance(fault, vim.fault.InvalidState)

    done(manager.UninstallIoFilter_Task(upgraded.id, cluster))
    assert manager.QueryIoFilterInfo(cluster) == []
    assert all(not host.config.ioFilterInfo for host in cluster.host)


def test_a_disconnected_host_has_an_issue_until_resolved(vib_server, env):
    _, manager, cluster = env
    vib_server.files['/repl.vib'] = vib(name='replfilter')
    host = cluster.host[-1]
    WaitForTask(host.DisconnectHost_Task())
    try:
        info = done(manager.InstallIoFilter_Task(vib_server.url + '/repl.vib', cluster))
        issues = manager.QueryIoFilterIssues(info.id, cluster)
        assert issues.opType == 'install' and [i.host for i in issues.hostIssue] == [host]
        assert isinstance(issues.hostIssue[0].issue[0], vmodl.fault.HostNotConnected)
        fault = task_fault(manager.ResolveInstallationErrorsOnHost_Task(info.id, host))
        assert isinstance(fault, vmodl.fault.HostNotConnected)
        with pytest.raises(vim.fault.InvalidState):         # the install is not complete
            manager.UninstallIoFilter_Task(info.id, cluster)
    finally:
        WaitForTask(host.ReconnectHost_Task())
    assert info.id not in [f.id for f in host.config.ioFilterInfo]
    done(manager.ResolveInstallationErrorsOnCluster_Task(info.id, cluster))
    assert manager.QueryIoFilterIssues(info.id, cluster).hostIssue == []
    assert info.id in [f.id for f in host.config.ioFilterInfo]
    done(manager.UninstallIoFilter_Task(info.id, cluster))


def test_faults(vib_server, env, si):
    _, manager, cluster = env
    vib_server.files['/junk.vib'] = b'not an archive'
    vib_server.files['/nameless.vib'] = b'!<arch>\n' + ar_member('descriptor.xml', b'<vib/>')
    for path in ('/junk.vib', '/nameless.vib'):
        fault = task_fault(manager.InstallIoFilter_Task(vib_server.url + path, cluster))
        assert isinstance(fault, vmodl.fault.InvalidArgument), path
    fault = task_fault(manager.InstallIoFilter_Task(vib_server.url + '/missing.vib', cluster))
    assert isinstance(fault, vim.fault.HttpFault) and fault.statusCode == 404
    fault = task_fault(manager.InstallIoFilter_Task('http://192.0.2.1/x.vib', cluster))
    assert isinstance(fault, vim.fault.HttpFault)        # only loopback is reachable
    standalone = next(c for c in all_of(si, vim.ComputeResource)
                      if not isinstance(c, vim.ClusterComputeResource))
    with pytest.raises(vmodl.fault.InvalidArgument):      # filters go on clusters only
        manager.InstallIoFilter_Task(vib_server.url + '/junk.vib', standalone)
    assert manager.QueryIoFilterInfo(standalone) == []
    for call in (lambda: manager.QueryIoFilterIssues('no-such-filter', cluster),
                 lambda: manager.QueryDisksUsingFilter('no-such-filter', cluster),
                 lambda: manager.ResolveInstallationErrorsOnCluster_Task('x', cluster)):
        with pytest.raises(vim.fault.NotFound):
            call()
    with pytest.raises(vmodl.fault.InvalidArgument):      # no cluster here is vLCM managed
        manager.InitiateTransitionToVLCM_Task(cluster)


def test_esx_has_no_io_filter_manager_of_its_own(validator):
    running = _simulator(validator, tls=False, esx=True)
    si = running.connect()
    try:
        content = si.RetrieveContent()
        compute = content.rootFolder.childEntity[0].hostFolder.childEntity[0]
        with pytest.raises(vmodl.fault.NotSupported):
            content.ioFilterManager.QueryIoFilterInfo(compute)
        host = compute.host[0]
        assert host.config.ioFilterInfo == []
    finally:
        running.stop()
