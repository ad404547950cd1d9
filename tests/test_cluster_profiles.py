"""Cluster profiles with pyVmomi: a profile of cluster services (DRS, HA,
DPM, FT) attached to a cluster is compliant while the cluster runs them;
UpdateClusterProfile changes the services; the ProfileComplianceManager
checks host and cluster profiles together."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of

ServiceSpec = vim.profile.cluster.ClusterProfile.ConfigServiceCreateSpec


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, autostart=False)


def _drs(cluster, enabled):
    WaitForTask(cluster.ReconfigureComputeResource_Task(
        vim.cluster.ConfigSpecEx(drsConfig=vim.cluster.DrsConfigInfo(enabled=enabled)),
        modify=True))


def test_cluster_services_compliance(si):
    content = si.RetrieveContent()
    manager = content.clusterProfileManager
    [cluster] = all_of(si, vim.ClusterComputeResource)
    enabled = cluster.configurationEx.drsConfig.enabled
    _drs(cluster, False)
    profile = vim.profile.cluster.ClusterProfile(
        manager.CreateProfile(createSpec=ServiceSpec(name='drs', serviceType=['DRS']))._moId,
        si._stub)
    try:
        assert profile in manager.profile
        assert [s.description.key for s in profile.RetrieveDescription().section] == ['DRS']
        with pytest.raises(vmodl.fault.InvalidArgument):
            profile.AssociateProfile(entity=[all_of(si, vim.HostSystem)[0]])
        profile.AssociateProfile(entity=[cluster])
        assert manager.FindAssociatedProfile(entity=cluster) == [profile]
        task = profile.CheckProfileCompliance_Task()
        WaitForTask(task)
        [result] = task.info.result
        assert result.complianceStatus == 'nonCompliant' and result.entity == cluster
        assert 'DRS is not enabled' in result.failure[0].message.message
        _drs(cluster, True)
        task = content.complianceManager.CheckCompliance_Task(profile=[profile])
        WaitForTask(task)
        assert [r.complianceStatus for r in task.info.result] == ['compliant']
        assert profile.complianceStatus == 'compliant'
        profile.UpdateClusterProfile(config=vim.profile.cluster.ClusterProfile.ConfigSpec(
            name='drs-ha'))
        assert profile.name == 'drs-ha' and profile.complianceStatus == 'unknown'
        profile.UpdateClusterProfile(config=ServiceSpec(serviceType=['DRS', 'HA']))
        task = content.complianceManager.CheckCompliance_Task(entity=[cluster])
        WaitForTask(task)
        [result] = [r for r in task.info.result if r.profile == profile]
        assert result.complianceStatus == 'nonCompliant'
        assert [f.expressionName for f in result.failure] == ['HA']
        with pytest.raises(vmodl.fault.InvalidArgument):
            profile.UpdateClusterProfile(config=ServiceSpec(serviceType=['NoSuchService']))
        with pytest.raises(vim.fault.DuplicateName):
            manager.CreateProfile(createSpec=ServiceSpec(name='drs-ha', serviceType=['HA']))
        assert '<name>drs-ha</name>' in profile.ExportProfile()
    finally:
        profile.DestroyProfile()
        _drs(cluster, enabled)
    assert profile not in manager.profile
