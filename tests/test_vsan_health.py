"""vSAN's management service (/vsanHealth) through pyVmomi's vsanapiutils,
as Ansible's vmware_cluster_vsan drives it: the versions document, the
vSAN stub on the /sdk session, VsanVcClusterConfigSystem reading and
changing the same cluster vSAN as ReconfigureComputeResource_Task, its
refusals, privileges and faults; VsanVcClusterHealthSystem's health summary
(as vmware_vsan_health_info asks it) and VsanCapabilitySystem."""
import json
import ssl
import urllib.error
import urllib.request

import pytest
import vsanapiutils
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import VmomiJSONEncoder, VmomiSupport, vim, vmodl

from tests.conftest import _simulator, task_fault

USERS = [{'user': 'admin@vsphere.local', 'password': 'adm1n', 'groups': ['Administrators']},
         {'user': 'reader@vsphere.local', 'password': 'r3ad', 'groups': ['Readers']}]
ConfigInfo = vim.vsan.cluster.ConfigInfo
HostDefault = vim.vsan.cluster.ConfigInfo.HostDefaultInfo
ReconfigSpec = vim.vsan.ReconfigSpec
READ_ONLY = -2
LATEST = 'vsan.version.version23'   # what vsanapiutils picks from the versions served


@pytest.fixture(scope='module')
def running(validator, tmp_path_factory):
    path = tmp_path_factory.mktemp('vsan') / 'users.json'
    path.write_text(json.dumps(USERS))
    return _simulator(validator, tls=True, users=str(path))


@pytest.fixture
def login(running):
    """login(user, password) -> a ServiceInstance; each test starts from the
    default inventory, its sessions logged out after."""
    running.reset()
    opened = []

    def connect(user='admin@vsphere.local', password='adm1n'):
        opened.append(running.connect(user=user, pwd=password))
        return opened[-1]
    yield connect
    for si in opened:
        Disconnect(si)


@pytest.fixture
def si(login):
    return login()


def vsan_mos(si, version=LATEST):
    stub = si._GetStub()
    return vsanapiutils.GetVsanVcMos(stub, context=stub.schemeArgs.get('context'),
                                     version=version)


def config_system(si):
    return vsan_mos(si)['vsan-cluster-config-system']


def cluster_of(si, name='DC0_C0'):
    return si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/host/' + name)


def reconfigure(si, cluster, spec):
    """VsanClusterReconfig's task, as vsanapiutils hands it to /sdk."""
    task = config_system(si).VsanClusterReconfig(cluster, spec)
    return vsanapiutils.ConvertVsanTaskToVcTask(task, si._GetStub())


def enabling(auto_claim=False, enabled=True):
    return ReconfigSpec(modify=True, vsanClusterConfig=ConfigInfo(
        enabled=enabled, defaultConfig=HostDefault(autoClaimStorage=auto_claim)))


def vsan_datastores(cluster):
    return [ds for ds in cluster.datastore if ds.summary.type == 'vsan']


def test_the_versions_document_names_vsan_versions_pyvmomi_knows(running):
    unverified = ssl._create_default_https_context   # vsanapiutils replaces it
    try:
        version = vsanapiutils.GetLatestVmodlVersion(running.host, running.port)
    finally:
        ssl._create_default_https_context = unverified
    assert version == LATEST      # 8.0.0.4, the newest served
    context = ssl._create_unverified_context()
    url = 'https://%s:%d/sdk/vsanServiceVersions.xml' % (running.host, running.port)
    with urllib.request.urlopen(url, context=context) as response:
        body = response.read().decode()
    assert '<name>urn:vsan</name><version>8.0.0.4</version>' in body
    assert '<version>6.6</version>' in body


def test_get_config_reads_what_the_cluster_has(si):
    cluster = cluster_of(si)
    system = config_system(si)
    before = system.VsanClusterGetConfig(cluster)
    assert isinstance(before, vim.vsan.ConfigInfoEx)
    assert before.enabled is False and before.defaultConfig.autoClaimStorage is False
    assert before.dataEfficiencyConfig.dedupEnabled is False
    assert before.dataEfficiencyConfig.compressionEnabled is False
    # what the /sdk path sets, the vSAN service reads
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        vsanConfig=ConfigInfo(enabled=True, defaultConfig=HostDefault(autoClaimStorage=True))),
        modify=True))
    after = system.VsanClusterGetConfig(cluster)
    expected = cluster.configurationEx.vsanConfigInfo
    assert after.enabled is True and after.defaultConfig.autoClaimStorage is True
    assert after.defaultConfig.uuid == expected.defaultConfig.uuid
    assert after.defaultConfig.uuid.startswith('52')


def test_reconfig_is_a_task_that_changes_the_cluster(si):
    cluster = cluster_of(si)
    task = reconfigure(si, cluster, enabling(auto_claim=True))
    vsanapiutils.WaitForTasks([task], si)
    assert task.info.state == 'success' and task.info.entity == cluster
    assert task.info.name.info.wsdlName == 'VsanClusterReconfig'
    config = cluster.configurationEx.vsanConfigInfo
    assert config.enabled and config.defaultConfig.autoClaimStorage
    for host in cluster.host:
        node = host.configManager.vsanSystem.config
        assert node.enabled and node.clusterInfo.uuid == config.defaultConfig.uuid
        assert node.storageInfo.diskMapping        # auto-claimed
    ds, = vsan_datastores(cluster)
    assert ds.summary.capacity > 0
    events = si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventChainId=task.info.eventChainId))
    assert any(isinstance(e, vim.event.ClusterReconfiguredEvent) for e in events)
    # the same again changes nothing; off takes the hosts and the datastore away
    WaitForTask(reconfigure(si, cluster, enabling(auto_claim=True)))
    assert cluster.configurationEx.vsanConfigInfo.defaultConfig.uuid == \
        config.defaultConfig.uuid
    WaitForTask(reconfigure(si, cluster, enabling(enabled=False)))
    assert not config_system(si).VsanClusterGetConfig(cluster).enabled
    assert vsan_datastores(cluster) == []
    assert not any(h.configManager.vsanSystem.config.enabled for h in cluster.host)


def test_modify_false_makes_the_spec_the_whole_vsan_configuration(si):
    cluster = cluster_of(si)
    WaitForTask(reconfigure(si, cluster, enabling(auto_claim=True)))
    WaitForTask(reconfigure(si, cluster, ReconfigSpec(
        modify=False, vsanClusterConfig=ConfigInfo(enabled=True))))
    config = config_system(si).VsanClusterGetConfig(cluster)
    assert config.enabled is True and config.defaultConfig.autoClaimStorage is False
    # a spec of no vSAN configuration leaves it as it is
    WaitForTask(reconfigure(si, cluster, ReconfigSpec(modify=False)))
    assert config_system(si).VsanClusterGetConfig(cluster).enabled is True


def test_reconfig_refuses_what_vcenter_and_the_simulator_refuse(si):
    cluster = cluster_of(si)
    WaitForTask(cluster.ReconfigureComputeResource_Task(
        vim.cluster.ConfigSpecEx(dasConfig=vim.cluster.DasConfigInfo(enabled=True)),
        modify=True))
    assert isinstance(task_fault(reconfigure(si, cluster, enabling())),
                      vim.fault.CannotReconfigureVsanWhenHaEnabled)
    WaitForTask(cluster.ReconfigureComputeResource_Task(
        vim.cluster.ConfigSpecEx(dasConfig=vim.cluster.DasConfigInfo(enabled=False)),
        modify=True))
    assert isinstance(task_fault(reconfigure(si, cluster, ReconfigSpec(
        modify=True, vsanClusterConfig=ConfigInfo(enabled=True, vsanEsaEnabled=True)))),
        vmodl.fault.NotSupported)
    system = config_system(si)
    for efficiency in (vim.vsan.DataEfficiencyConfig(dedupEnabled=True, compressionEnabled=True),
                       vim.vsan.DataEfficiencyConfig(compressionEnabled=True)):
        with pytest.raises(vmodl.fault.NotSupported):
            system.VsanClusterReconfig(cluster, ReconfigSpec(
                modify=True, dataEfficiencyConfig=efficiency))
    with pytest.raises(vmodl.fault.NotSupported):
        system.VsanClusterReconfig(cluster, ReconfigSpec(
            modify=True, faultDomainsSpec=vim.cluster.VsanFaultDomainsConfigSpec(
                faultDomains=[vim.cluster.VsanFaultDomainSpec(name='rack-1',
                                                              hosts=cluster.host[:1])])))
    # data efficiency off is what the cluster has: taken, read back
    WaitForTask(reconfigure(si, cluster, ReconfigSpec(
        modify=True, vsanClusterConfig=ConfigInfo(enabled=True),
        dataEfficiencyConfig=vim.vsan.DataEfficiencyConfig(dedupEnabled=False,
                                                           compressionEnabled=False))))
    config = system.VsanClusterGetConfig(cluster)
    assert config.enabled and not config.dataEfficiencyConfig.dedupEnabled
    assert not cluster.configurationEx.dasConfig.enabled
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        system.VsanClusterGetConfig(vim.ClusterComputeResource('domain-c999', si._GetStub()))


def post(running, si, body, action='"urn:vsan/8.0.0.4"'):
    """A raw SOAP call to /vsanHealth in `si`'s session: (status, body)."""
    request = urllib.request.Request(
        'https://%s:%d/vsanHealth' % (running.host, running.port), method='POST',
        data=body.encode(), headers={'SOAPAction': action, 'Content-Type': 'text/xml',
                                     'Cookie': si._GetStub().cookie})
    try:
        with urllib.request.urlopen(request, context=ssl._create_unverified_context()) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_a_cluster_argument_that_is_no_cluster_is_invalid(si, running):
    host = cluster_of(si).host[0]
    status, body = post(running, si, (
        '<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body>'
        '<VsanClusterGetConfig xmlns="urn:vsan"><_this type="VsanVcClusterConfigSystem">'
        'vsan-cluster-config-system</_this><cluster type="HostSystem">%s</cluster>'
        '</VsanClusterGetConfig></Body></Envelope>') % host._moId)
    assert status == 500 and b'InvalidArgumentFault' in body and b'cluster' in body


def test_privileges_sessions_and_faults(si, login, running):
    cluster = cluster_of(si)
    si.content.authorizationManager.SetEntityPermissions(si.content.rootFolder, [
        vim.AuthorizationManager.Permission(principal='reader@vsphere.local', group=False,
                                            roleId=READ_ONLY, propagate=True)])
    reader = login('reader@vsphere.local', 'r3ad')
    reader_system = config_system(reader)
    assert reader_system.VsanClusterGetConfig(cluster_of(reader)).enabled is False
    with pytest.raises(vim.fault.NoPermission) as refused:
        reader_system.VsanClusterReconfig(cluster_of(reader), enabling())
    assert refused.value.privilegeId == 'Host.Inventory.EditCluster'
    assert not cluster.configurationEx.vsanConfigInfo.enabled
    # vsanapiutils' default version, and the vim25 namespace it falls back to
    assert vsan_mos(si, version=vsanapiutils.VSAN_VMODL_VERSION)[
        'vsan-cluster-config-system'].VsanClusterGetConfig(cluster).enabled is False
    vim_system = vsan_mos(si, version='vim.version.v8_0_3_0')['vsan-cluster-config-system']
    assert vim_system.VsanClusterGetConfig(cluster).enabled is False
    # an object the simulator has no methods of answers NotImplemented
    space = vsan_mos(si)['vsan-cluster-space-report-system']
    with pytest.raises(vmodl.fault.NotImplemented):
        space.VsanQuerySpaceUsage(cluster)
    # no session: NotAuthenticated
    stub = si._GetStub()
    anonymous = vsanapiutils.GetVsanVcStub(stub, context=stub.schemeArgs.get('context'))
    anonymous.cookie = ''
    with pytest.raises(vim.fault.NotAuthenticated):
        vim.cluster.VsanVcClusterConfigSystem('vsan-cluster-config-system',
                                              anonymous).VsanClusterGetConfig(cluster)
    # a vSAN version not served: a detail-less VersionMismatchFaultCode
    status, body = post(running, si, '<Envelope/>', action='"urn:vsan/1.0"')
    assert status == 500 and b'VersionMismatchFaultCode' in body


def health_system(si):
    return vsan_mos(si)['vsan-cluster-health-system']


def group_tests(summary):
    """{test id's last part: health} of a summary's groups."""
    return {test.testId.rsplit('.', 1)[1]: test.testHealth
            for group in summary.groups for test in group.groupTests}


def test_health_summary_of_a_cluster_without_vsan_runs_no_check(si):
    """As Ansible's vmware_vsan_health_info asks it: in vim's newest version
    (vsanapiutils' answer when it finds no vSAN one), its result as JSON."""
    cluster = cluster_of(si)
    system = vsan_mos(si, version=VmomiSupport.newestVersions.GetName('vim'))[
        'vsan-cluster-health-system']
    summary = system.VsanQueryVcClusterHealthSummary(cluster=cluster, fetchFromCache=False)
    as_json = json.loads(json.dumps(summary, cls=VmomiJSONEncoder.VmomiJSONEncoder,
                                    sort_keys=True, strip_dynamic=True))
    assert as_json['overallHealth'] == 'info'
    assert isinstance(summary, vim.cluster.VsanClusterHealthSummary)
    assert summary.overallHealth == 'info' and 'turned off' in summary.overallHealthDescription
    assert summary.groups == []
    assert sorted(summary.networkHealth.hostsWithVsanDisabled) == \
        sorted(h.name for h in cluster.host)
    assert summary.clusterVersions.vcVersion == si.content.about.version
    assert summary.clusterStatus.goalState == 'installed'


def test_health_summary_follows_the_model(si):
    cluster = cluster_of(si)
    WaitForTask(reconfigure(si, cluster, enabling(auto_claim=True)))
    system = health_system(si)
    summary = system.VsanQueryVcClusterHealthSummary(cluster=cluster)
    tests = group_tests(summary)
    assert {g.groupId for g in summary.groups} >= {
        'com.vmware.vsan.health.test.network', 'com.vmware.vsan.health.test.physicaldisks'}
    # no host has a vmknic for vSAN traffic yet: that check fails, the rest pass
    assert tests['vsanvmknic'] == 'red' and summary.overallHealth == 'red'
    assert tests['hostdisconnected'] == tests['clusterpartition'] == 'green'
    assert tests['physdiskoverall'] == 'green' and tests['diskspace'] == 'green'
    assert len(summary.networkHealth.partitions) == 1
    disks = {d.hostname: d.disks for d in summary.physicalDisksHealth}
    assert set(disks) == {h.name for h in cluster.host} and all(disks.values())
    for host in cluster.host:
        host.configManager.virtualNicManager.SelectVnicForNicType('vsan', 'vmk0')
    assert system.VsanQueryVcClusterHealthSummary(cluster=cluster).overallHealth == 'green'
    # a host vCenter loses is untracked, disconnected and a partition of its own
    lost = cluster.host[-1]
    WaitForTask(lost.DisconnectHost_Task())
    cached = system.VsanQueryVcClusterHealthSummary(cluster=cluster, fetchFromCache=True)
    assert cached.overallHealth == 'green'          # the last run, as cached
    summary = system.VsanQueryVcClusterHealthSummary(cluster=cluster, fetchFromCache=False)
    tests = group_tests(summary)
    assert tests['hostdisconnected'] == tests['clusterpartition'] == 'red'
    assert summary.clusterStatus.untrackedHosts == [lost.name]
    assert summary.networkHealth.hostsDisconnected == [lost.name]
    assert [lost.name] in [list(p.hosts) for p in summary.networkHealth.partitions]
    assert summary.timestamp > cached.timestamp or summary.timestamp == cached.timestamp
    # `fields` answers only what it names (and the overall health, always there)
    only = system.VsanQueryVcClusterHealthSummary(cluster=cluster, fields=['networkHealth'])
    assert only.groups == [] and only.networkHealth.hostsDisconnected == [lost.name]
    assert only.overallHealth == 'red'


def test_health_summary_space_needs_claimed_disks(si):
    cluster = cluster_of(si)
    WaitForTask(reconfigure(si, cluster, enabling(auto_claim=False)))
    summary = health_system(si).VsanQueryVcClusterHealthSummary(cluster=cluster)
    tests = group_tests(summary)
    assert tests['diskspace'] == 'red'
    assert all(not d.disks for d in summary.physicalDisksHealth)


def test_health_summary_faults_and_privileges(si, login):
    system = health_system(si)
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        system.VsanQueryVcClusterHealthSummary(
            cluster=vim.ClusterComputeResource('domain-c999', si._GetStub()))
    with pytest.raises(vmodl.fault.InvalidArgument):
        system.VsanQueryVcClusterHealthSummary()
    reader = login('reader@vsphere.local', 'r3ad')     # no permission anywhere
    with pytest.raises(vim.fault.NoPermission) as refused:
        health_system(reader).VsanQueryVcClusterHealthSummary(cluster=cluster_of(si))
    assert refused.value.privilegeId == 'System.Read'


def test_capabilities_of_the_vcenter_its_clusters_and_hosts(si):
    system = vsan_mos(si)['vsan-vc-capability-system']
    vcenter, = system.VsanGetCapabilities()
    assert vcenter.target is None
    assert {'capability', 'clusterconfig'} <= set(vcenter.capabilities)
    assert 'allflash' not in vcenter.capabilities       # the hosts' vSAN is hybrid
    cluster = cluster_of(si)
    answers = system.VsanGetCapabilities(targets=[cluster])
    assert [a.target for a in answers] == [None] + list(cluster.host)
    assert all(set(a.capabilities) == {'capability', 'unicastmode'} for a in answers[1:])
    lost = cluster.host[0]
    WaitForTask(lost.DisconnectHost_Task())
    answer, = system.VsanGetCapabilities(targets=[lost])
    assert answer.target == lost and answer.capabilities == []
    with pytest.raises(vmodl.fault.InvalidArgument):
        system.VsanGetCapabilities(targets=[si.content.rootFolder])
