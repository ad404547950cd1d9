"""DiagnosticManager through unmodified pyVmomi: the logs vCenter and its
hosts keep of what the simulator did (a VM powered on appears in vpxd's,
its host's hostd and vpxa logs), paged with start/lines as the API
describes, and support bundles: a task whose result names .tgz files that
download over HTTP to a logged-in client, holding the same log lines.

A simulator of its own: these tests power VMs off and on.
"""
import io
import tarfile
import urllib.error
import urllib.request

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, on_reactor

VPXD = 'vpxd:vpxd-1.log'


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


def powered_on_vm(si):
    """A VM powered off and on again, so the logs have both."""
    vm = all_of(si, vim.VirtualMachine)[0]
    if vm.runtime.powerState == 'poweredOn':
        WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(vm.PowerOnVM_Task())
    return vm


def whole_log(manager, key, host=None):
    header = manager.BrowseDiagnosticLog(host=host, key=key, start=1, lines=1000)
    return list(header.lineText)


def download(sim, url, cookie=None):
    """The body at a bundle URL (`*` is the host the client called)."""
    request = urllib.request.Request(url.replace('*', '%s:%d' % (sim.host, sim.port)))
    if cookie:
        request.add_header('Cookie', cookie)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def test_descriptions(si):
    manager = si.content.diagnosticManager
    [vpxd] = manager.QueryDescriptions()
    assert (vpxd.key, vpxd.fileName, vpxd.creator, vpxd.format, vpxd.mimeType) == (
        VPXD, '/var/log/vmware/vpxd/vpxd-1.log', 'vpxd', 'plain', 'text/plain')
    assert vpxd.info.label == "vCenter server log in 'plain' format"
    host = all_of(si, vim.HostSystem)[0]
    assert [d.key for d in manager.QueryDescriptions(host)] == ['hostd', 'vpxa']
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.BrowseDiagnosticLog(host=host, key=VPXD)
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.BrowseDiagnosticLog(key='messages')


def test_the_logs_record_what_happened(si):
    manager = si.content.diagnosticManager
    vm = powered_on_vm(si)
    vpxd = whole_log(manager, VPXD)
    assert 'Log for VMware VirtualCenter' in vpxd[0]
    [line] = [l for l in vpxd if '[vim.event.VmPoweredOnEvent]' in l]
    assert ' info vpxd[' in line and vm.name in line and '[info]' in line
    assert any('[vim.event.UserLoginSessionEvent]' in l for l in vpxd)
    hostd = whole_log(manager, 'hostd', vm.runtime.host)
    assert 'Log for VMware ESX' in hostd[0]
    assert any('Event ' in l and vm.name in l and 'powered on' in l for l in hostd[1:])
    assert all('logged in' not in l for l in hostd)     # not about the host
    vpxa = whole_log(manager, 'vpxa', vm.runtime.host)
    assert any('[VpxLRO] -- BEGIN task-' in l and '-- %s -- VirtualMachine.powerOn' % vm._moId
               in l for l in vpxa)


def test_paging(si):
    manager = si.content.diagnosticManager
    powered_on_vm(si)
    everything = manager.BrowseDiagnosticLog(key=VPXD)
    total = everything.lineEnd
    assert everything.lineStart == 1 and total == len(everything.lineText) > 3
    part = manager.BrowseDiagnosticLog(key=VPXD, start=2, lines=2)
    assert (part.lineStart, part.lineEnd) == (2, 3)
    assert list(part.lineText) == list(everything.lineText[1:3])
    # past the end: no lines, and lineEnd says where the log ends (govc's seek)
    end = manager.BrowseDiagnosticLog(key=VPXD, start=2 ** 31 - 1, lines=0)
    assert (end.lineEnd, list(end.lineText)) == (total, [])
    tail = manager.BrowseDiagnosticLog(key=VPXD, start=total - 1)
    assert list(tail.lineText) == list(everything.lineText[-2:])
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.BrowseDiagnosticLog(key=VPXD, start=-1)
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.BrowseDiagnosticLog(key=VPXD, lines=-5)


def test_log_bundles_download(sim, si):
    manager = si.content.diagnosticManager
    vm = powered_on_vm(si)
    host = vm.runtime.host
    task = manager.GenerateLogBundles_Task(includeDefault=True, host=[host])
    WaitForTask(task)
    vcenter, of_host = task.info.result
    assert vcenter.system is None and of_host.system == host
    assert vcenter.url.startswith('http://*/diagnostics/vc-') and vcenter.url.endswith('.tgz')
    cookie = si._stub.cookie
    with tarfile.open(fileobj=io.BytesIO(download(sim, vcenter.url, cookie))) as bundle:
        [member] = bundle.getnames()
        assert member.endswith('/var/log/vmware/vpxd/vpxd-1.log')
        lines = bundle.extractfile(member).read().decode().splitlines()
    assert any('[vim.event.VmPoweredOnEvent]' in l and vm.name in l for l in lines)
    assert lines[0] == whole_log(manager, VPXD)[0]
    with tarfile.open(fileobj=io.BytesIO(download(sim, of_host.url, cookie))) as bundle:
        names = bundle.getnames()
    assert sorted(n.rsplit('/', 1)[1] for n in names) == ['hostd.log', 'vpxa.log']
    with pytest.raises(urllib.error.HTTPError) as refused:
        download(sim, vcenter.url)
    assert refused.value.code == 401
    with pytest.raises(urllib.error.HTTPError) as missing:
        download(sim, 'http://*/diagnostics/vc-none.tgz', cookie)
    assert missing.value.code == 404
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        manager.GenerateLogBundles_Task(includeDefault=False,
                                        host=[vim.HostSystem('host-none', si._stub)])


def test_an_esx_host_has_its_own_logs(esx):
    si = esx.connect()
    manager = si.content.diagnosticManager
    assert [d.key for d in manager.QueryDescriptions()] == ['hostd']
    log = whole_log(manager, 'hostd')
    assert 'Log for VMware ESX' in log[0]
    assert any('logged in' in l for l in log[1:])


def test_one_bundle_task_at_a_time(sim, si):
    """A second GenerateLogBundles_Task while one runs: TaskInProgress."""
    manager = si.content.diagnosticManager
    durations = sim.sim.task_manager.durations
    on_reactor(durations.__setitem__, 'GenerateLogBundles_Task', 500)
    try:
        first = manager.GenerateLogBundles_Task(includeDefault=True)
        with pytest.raises(vim.fault.TaskInProgress) as refused:
            manager.GenerateLogBundles_Task(includeDefault=True)
        assert refused.value.task == first
        WaitForTask(first)
        WaitForTask(manager.GenerateLogBundles_Task(includeDefault=True))
    finally:
        on_reactor(durations.clear)
