"""The smaller vCenter managers through unmodified pyVmomi: ServiceManager's
QueryServiceList, CertificateManager's VMCA acting on hosts' certificates
(a renewed certificate, the CA and CRL pushed to hosts, a revocation) and
TaskManager.ReadNextTasksByViewSpec's pages of the task history.

A simulator of its own: these tests replace host certificates and run tasks.
"""
import pytest
from cryptography import x509
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, on_reactor, task_fault


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


def test_query_service_list(sim, si):
    manager = si.content.serviceManager
    assert manager.QueryServiceList() == []
    model = sim.sim.managers['serviceManager']
    Info = sim.sim.schema.types['ServiceManagerServiceInfo'].cls

    def register():
        model.service = [
            Info(serviceName='vmware.vim.cli', location=['hostd', 'vpxa'],
                 service=model.ref, description='command line'),
            Info(serviceName='vmware.vim.dump', location=['hostd'], service=model.ref,
                 description='dumps')]
    on_reactor(register)
    try:
        assert [s.serviceName for s in manager.QueryServiceList()] == [
            'vmware.vim.cli', 'vmware.vim.dump']
        assert [s.serviceName for s in manager.QueryServiceList(location=['vpxa'])] == [
            'vmware.vim.cli']
        assert [s.description for s in manager.QueryServiceList(
            serviceName='vmware.vim.dump', location=['hostd'])] == ['dumps']
        assert manager.QueryServiceList(serviceName='vmware.vim.dump', location=['vpxa']) == []
    finally:
        on_reactor(lambda: setattr(model, 'service', []))


def events_of(si, type_id):
    spec = vim.event.EventFilterSpec(eventTypeId=[type_id])
    return si.content.eventManager.QueryEvents(spec)


def test_certificates_renewed_pushed_and_revoked(si):
    manager = si.content.certificateManager
    host = all_of(si, vim.HostSystem)[0]
    host_manager = host.configManager.certificateManager
    thumbprint = host.summary.config.sslThumbprint
    WaitForTask(manager.CertMgrRefreshCertificates_Task([host]))
    info = host_manager.certificateInfo
    assert 'CN=CA' in info.issuer and 'DC=vsphere' in info.issuer
    assert host.summary.config.sslThumbprint != thumbprint
    assert events_of(si, 'com.vmware.vc.certmgr.HostCertUpdatedEvent')[0].host.host == host
    WaitForTask(manager.CertMgrRefreshCACertificatesAndCRLs_Task([host]))
    [ca_pem] = host_manager.ListCACertificates()
    ca = x509.load_pem_x509_certificate(ca_pem.encode())
    assert ca.subject.rfc4514_string() == info.issuer
    [crl_pem] = host_manager.ListCACertificateRevocationLists()
    assert len(list(x509.load_pem_x509_crl(crl_pem.encode()))) == 0
    WaitForTask(manager.CertMgrRevokeCertificates_Task([host]))
    [crl_pem] = host_manager.ListCACertificateRevocationLists()
    [revoked] = list(x509.load_pem_x509_crl(crl_pem.encode()))
    [current] = host_manager.RetrieveCertificateInfoList()
    assert events_of(si, 'com.vmware.vc.certmgr.HostCertRevokedEvent')[0].severity == 'warning'
    assert current.subject == info.subject and revoked.serial_number > 0
    # a host whose certificate VMCA did not issue cannot be revoked
    other = all_of(si, vim.HostSystem)[1]
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.CertMgrRevokeCertificates_Task([other])


def test_a_disconnected_host_fails_the_task_unchanged(si):
    manager = si.content.certificateManager
    hosts = all_of(si, vim.HostSystem)
    connected, host = hosts[0], hosts[-1]
    before = connected.configManager.certificateManager.certificateInfo.notBefore
    WaitForTask(host.DisconnectHost_Task())
    try:
        task = manager.CertMgrRefreshCertificates_Task([connected, host])
        assert isinstance(task_fault(task), vmodl.fault.HostNotConnected)
        assert connected.configManager.certificateManager.certificateInfo.notBefore == before
    finally:
        WaitForTask(host.ReconnectHost_Task())


def test_read_next_tasks_by_view_spec(si):
    manager = si.content.taskManager
    vm = all_of(si, vim.VirtualMachine)[0]
    keys = []
    for _ in range(3):
        task = vm.PowerOffVM_Task() if vm.runtime.powerState == 'poweredOn' \
            else vm.PowerOnVM_Task()
        WaitForTask(task)
        keys.append(task.info.key)
    spec = vim.TaskFilterSpec(entity=vim.TaskFilterSpec.ByEntity(entity=vm, recursion='self'))

    def page(start, count):
        view = vim.TaskManager.ViewByStartId(startId=start, count=count)
        return [info.key for info in manager.ReadNextTasksByViewSpec(view, spec)]
    newest = page('', 2)
    assert newest == keys[:0:-1]                   # the newest two, newest first
    assert page(newest[-1], 5)[0] == keys[0]       # the next page: older
    assert page(keys[0], -1) == [keys[1]]          # the previous page: newer
    oldest = page('task-0', -100)
    assert oldest[:3] == keys[::-1] and len(oldest) == len(set(oldest))
    assert page('', -3) == []
    with pytest.raises(vmodl.fault.InvalidArgument):
        page('vm-42', 3)
