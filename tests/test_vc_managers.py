"""The smaller vCenter managers through unmodified pyVmomi: ServiceManager's
QueryServiceList, CertificateManager's VMCA acting on hosts' certificates
(a renewed certificate, the CA and CRL pushed to hosts, a revocation) and
TaskManager.ReadNextTasksByViewSpec's pages of the task history, Proactive
HA's HealthUpdateManager and LocalizationManager's downloadable catalogs.

A simulator of its own: these tests replace host certificates and run tasks.
"""
import hashlib
import urllib.error
import urllib.request

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


def test_health_update_providers(si):
    """Proactive HA's providers: register with update kinds, monitor hosts,
    post updates (a green one clears), filters; a provider an enabled
    cluster uses stays, and so does its monitoring of that cluster's hosts."""
    manager = si.content.healthUpdateManager
    cluster = all_of(si, vim.ClusterComputeResource)[0]
    host, other = cluster.host[0], cluster.host[1]
    infos = [vim.HealthUpdateInfo(id='fan-1', componentType='Fan', description='fan'),
             vim.HealthUpdateInfo(id='psu-1', componentType='Power', description='psu')]
    provider = manager.RegisterHealthUpdateProvider('com.example.health', infos)
    assert manager.QueryProviderList() == [provider] and manager.HasProvider(provider)
    assert manager.QueryProviderName(provider) == 'com.example.health'
    assert [i.id for i in manager.QueryHealthUpdateInfos(provider)] == ['fan-1', 'psu-1']
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.RegisterHealthUpdateProvider('com.example.health', [])
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.RegisterHealthUpdateProvider('other', [vim.HealthUpdateInfo(
            id='x', componentType='Toaster', description='')])
    with pytest.raises(vim.fault.NotFound):
        manager.QueryProviderName('provider-none')
    manager.AddMonitoredEntities(provider, [host])
    assert manager.QueryMonitoredEntities(provider) == [host]
    assert manager.HasMonitoredEntity(provider, host)
    assert not manager.HasMonitoredEntity(provider, other)
    assert other in manager.QueryUnmonitoredHosts(provider, cluster)
    assert host not in manager.QueryUnmonitoredHosts(provider, cluster)
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.AddMonitoredEntities(provider, [cluster])

    def update(entity, info, status, key):
        return vim.HealthUpdate(entity=entity, healthUpdateInfoId=info, id=key, status=status,
                                remediation='Replace fan 1' if status != 'green' else '')
    manager.PostHealthUpdates(provider, [update(host, 'fan-1', 'red', 'u1'),
                                         update(host, 'psu-1', 'yellow', 'u2')])
    assert sorted(u.id for u in manager.QueryHealthUpdates(provider)) == ['u1', 'u2']
    with pytest.raises(vmodl.fault.InvalidArgument):    # nothing taken: other is unmonitored
        manager.PostHealthUpdates(provider, [update(host, 'fan-1', 'green', 'u3'),
                                             update(other, 'fan-1', 'red', 'u4')])
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.PostHealthUpdates(provider, [update(host, 'disk-9', 'red', 'u5')])
    manager.PostHealthUpdates(provider, [update(host, 'fan-1', 'green', 'u3')])
    assert [u.id for u in manager.QueryHealthUpdates(provider)] == ['u2']
    # filters
    key = manager.AddFilter(provider, 'ignore-psu', ['psu-1'])
    assert manager.QueryFilterList(provider) == [key]
    assert manager.QueryFilterName(key) == 'ignore-psu'
    assert manager.QueryFilterInfoIds(key) == ['psu-1']
    manager.AddFilterEntities(key, [host, cluster])
    assert manager.QueryFilterEntities(key) == [host, cluster]
    manager.RemoveFilterEntities(key, [host])
    assert manager.QueryFilterEntities(key) == [cluster]
    for name, ids in (('ignore-psu', []), ('x' * 57, []), ('dup', ['fan-1', 'fan-1']),
                      ('unknown', ['disk-9'])):
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.AddFilter(provider, name, ids)
    manager.RemoveFilter(key)
    with pytest.raises(vim.fault.NotFound):
        manager.QueryFilterName(key)
    # in use by a cluster with Proactive HA enabled
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        infraUpdateHaConfig=vim.cluster.InfraUpdateHaConfigInfo(
            enabled=True, behavior='Manual', moderateRemediation='QuarantineMode',
            severeRemediation='QuarantineMode', providers=[provider])), True))
    try:
        with pytest.raises(vim.fault.InvalidState):
            manager.RemoveMonitoredEntities(provider, [host])
        with pytest.raises(vim.fault.InvalidState):
            manager.UnregisterHealthUpdateProvider(provider)
    finally:
        WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
            infraUpdateHaConfig=vim.cluster.InfraUpdateHaConfigInfo(
                enabled=False, providers=[])), True))
    manager.RemoveMonitoredEntities(provider, [host])
    assert manager.QueryMonitoredEntities(provider) == []
    assert manager.QueryHealthUpdates(provider) == []
    manager.UnregisterHealthUpdateProvider(provider)
    assert manager.QueryProviderList() == []
    with pytest.raises(vim.fault.NotFound):
        manager.UnregisterHealthUpdateProvider(provider)


def test_message_catalogs_download(sim, si):
    """Each catalog LocalizationManager lists downloads at its URI, with
    the md5sum it lists, and holds the texts the API answers with."""
    catalogs = {c.catalogName: c for c in si.content.localizationManager.catalog}
    assert sorted(catalogs) == ['event', 'perf', 'task']
    base = 'http://%s:%d' % (sim.host, sim.port)
    texts = {}
    for name, catalog in catalogs.items():
        assert catalog.locale == 'en' and catalog.moduleName == 'VirtualCenter'
        with urllib.request.urlopen(base + catalog.catalogUri, timeout=30) as response:
            body = response.read()
        assert hashlib.md5(body).hexdigest() == catalog.md5sum
        texts[name] = body.decode()
    powered_on = next(d for d in si.content.eventManager.description.eventInfo
                      if d.key is vim.event.VmPoweredOnEvent)   # pyVmomi reads keys as types
    assert 'vim.event.VmPoweredOnEvent.fullFormat = "%s"' % powered_on.fullFormat \
        in texts['event'].splitlines()
    assert 'vim.VirtualMachine.powerOn.label = "Power On virtual machine"' in \
        texts['task'].splitlines()
    assert any(line.startswith('cpu.usage.label = ') for line in texts['perf'].splitlines())
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(base + '/catalog/de/event.vmsg', timeout=30)
    assert missing.value.code == 404


def test_pools_and_certificates_replay_under_state(validator, tmp_path):
    """-state: IP pools, an extension's allocations and a VMCA-renewed host
    certificate come back the same after a restart (every property of every
    object, the pools and allocations as queried)."""
    from tests.test_extensions import extension
    from tests.test_state import _restarted, _start, _stop, _stopped
    first = _start(validator, tmp_path)
    si = first.connect()
    dc = si.content.rootFolder.childEntity[0]
    pools = si.content.ipPoolManager
    subnet = vim.vApp.IpPool.IpPoolConfigInfo(subnetAddress='10.1.0.0', netmask='255.255.0.0',
                                              range='10.1.0.10#4', ipPoolEnabled=True)
    pool_id = pools.CreateIpPool(dc, vim.vApp.IpPool(name='kept', ipv4Config=subnet))
    si.content.extensionManager.RegisterExtension(extension(key='com.example.kept'))
    si.content.extensionManager.SetServiceAccount('com.example.kept', 'svc-kept')
    deployer = first.connect(user='svc-kept', pwd='x')
    their_dc = vim.Datacenter(dc._moId, deployer._stub)
    address = deployer.content.ipPoolManager.AllocateIpv4Address(their_dc, pool_id, 'a1')
    host = all_of(si, vim.HostSystem)[0]
    WaitForTask(si.content.certificateManager.CertMgrRefreshCertificates_Task([host]))
    thumbprint = host.summary.config.sslThumbprint
    second = _restarted(validator, tmp_path, _stopped(first))
    si = second.connect()
    dc = si.content.rootFolder.childEntity[0]
    [pool] = si.content.ipPoolManager.QueryIpPools(dc)
    assert (pool.name, pool.allocatedIpv4Addresses) == ('kept', 1)
    [allocation] = si.content.ipPoolManager.QueryIPAllocations(dc, pool_id, 'com.example.kept')
    assert allocation.ipAddress == address
    assert vim.HostSystem(host._moId, si._stub).summary.config.sslThumbprint == thumbprint
    _stop(second)
