"""Cluster configuration with pyVmomi: ReconfigureComputeResource_Task and
ReconfigureCluster_Task with ClusterConfigSpecEx's parts (DRS, HA, DPM, rules,
groups, per-VM and per-host overrides), their ArrayUpdateSpec faults, modify=false,
and what follows: configurationEx, configuration, summary, a second session's
updates and the events QueryEvents finds."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator
from tests.watching import Watcher, paths_of

Spec = vim.cluster.ConfigSpecEx
Op = vim.option.ArrayUpdateSpec.Operation


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)




@pytest.fixture
def cluster(si):
    """DC0_C0, reset to vCenter's defaults after the test."""
    cluster = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/host/DC0_C0')
    yield cluster
    WaitForTask(cluster.ReconfigureComputeResource_Task(Spec(), modify=False))


def vms_of(cluster):
    return [vm for pool in [cluster.resourcePool] for vm in pool.vm]


def reconfigure(cluster, spec, modify=True):
    WaitForTask(cluster.ReconfigureComputeResource_Task(spec, modify=modify))


def fails(cluster, spec, fault=vmodl.fault.InvalidArgument, modify=True):
    """The task's error, which must be `fault`; the configuration is unchanged."""
    before = cluster.configurationEx
    with pytest.raises(fault) as caught:
        reconfigure(cluster, spec, modify)
    after = cluster.configurationEx
    assert [r.key for r in after.rule] == [r.key for r in before.rule]
    assert [g.name for g in after.group] == [g.name for g in before.group]
    assert after.drsConfig.enabled == before.drsConfig.enabled
    return caught.value


def events_of(si, entity, chain, types):
    manager = si.RetrieveContent().eventManager
    return manager.QueryEvents(vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=entity, recursion='self'),
        eventTypeId=types)) if chain is None else [
            e for e in manager.QueryEvents(vim.event.EventFilterSpec(eventChainId=chain))
            if type(e).__name__.split('.')[-1] in types]


def test_enable_drs_and_ha(si, other, cluster):
    watcher = Watcher(other, cluster, vim.ClusterComputeResource,
                      ['configurationEx', 'configuration.drsConfig.enabled',
                       'summary.currentFailoverLevel'])
    task = cluster.ReconfigureComputeResource_Task(Spec(
        drsConfig=vim.cluster.DrsConfigInfo(enabled=True, defaultVmBehavior='partiallyAutomated'),
        dasConfig=vim.cluster.DasConfigInfo(enabled=True, failoverLevel=1)), modify=True)
    WaitForTask(task)
    config = cluster.configurationEx
    assert config.drsConfig.enabled and config.drsConfig.defaultVmBehavior == 'partiallyAutomated'
    assert config.drsConfig.vmotionRate == 3            # merged: the rest stays
    assert config.dasConfig.enabled and config.dasConfig.hostMonitoring == 'enabled'
    assert cluster.configuration.drsConfig.enabled
    assert cluster.configuration.dasConfig.enabled
    summary = cluster.summary
    assert summary.currentFailoverLevel == 1
    assert isinstance(summary.admissionControlInfo,
                      vim.cluster.FailoverResourcesAdmissionControlInfo)
    seen = watcher.changes(until=lambda seen: {'configurationEx',
                                               'configuration.drsConfig.enabled',
                                               'summary.currentFailoverLevel'}
                           <= paths_of(seen))
    changes = {path: value for _, _, path, _, value in seen}
    assert changes['configuration.drsConfig.enabled'] is True
    assert changes['summary.currentFailoverLevel'] == 1
    assert changes['configurationEx'].dasConfig.enabled
    chain = task.info.eventChainId
    [drs] = events_of(si, cluster, chain, ['DrsEnabledEvent'])
    assert drs.behavior == 'partiallyAutomated'
    assert drs.computeResource.computeResource == cluster
    assert events_of(si, cluster, chain, ['DasEnabledEvent'])
    [reconfigured] = events_of(si, cluster, None, ['ClusterReconfiguredEvent'])
    assert 'configurationEx.drsConfig.enabled: false -> true' in \
        reconfigured.configChanges.modified
    # switched off again: the disabled events
    task = cluster.ReconfigureComputeResource_Task(Spec(
        drsConfig=vim.cluster.DrsConfigInfo(enabled=False),
        dasConfig=vim.cluster.DasConfigInfo(enabled=False)), modify=True)
    WaitForTask(task)
    assert events_of(si, cluster, task.info.eventChainId, ['DrsDisabledEvent', 'DasDisabledEvent'])
    assert cluster.summary.admissionControlInfo is None
    assert cluster.summary.currentFailoverLevel == 0


def test_service_settings_are_validated(cluster):
    fails(cluster, Spec(drsConfig=vim.cluster.DrsConfigInfo(vmotionRate=9)))
    fails(cluster, Spec(dpmConfig=vim.cluster.DpmConfigInfo(hostPowerActionRate=0)))
    fails(cluster, Spec(dasConfig=vim.cluster.DasConfigInfo(
        admissionControlPolicy=vim.cluster.FailoverResourcesAdmissionControlPolicy(
            cpuFailoverResourcesPercent=150, memoryFailoverResourcesPercent=50))))
    fails(cluster, Spec(defaultHardwareVersionKey='version-21'))
    fails(cluster, Spec(vsanConfig=vim.vsan.cluster.ConfigInfo(enabled=True,
                                                               vsanEsaEnabled=True)),
          fault=vmodl.fault.NotSupported)
    reconfigure(cluster, Spec(dpmConfig=vim.cluster.DpmConfigInfo(enabled=True),
                              vmSwapPlacement='hostLocal', defaultHardwareVersionKey='vmx-19'))
    config = cluster.configurationEx
    assert config.dpmConfigInfo.enabled and config.dpmConfigInfo.hostPowerActionRate == 3
    assert config.vmSwapPlacement == 'hostLocal' and config.defaultHardwareVersionKey == 'vmx-19'


def rule_spec(operation, info=None, remove_key=None):
    return vim.cluster.RuleSpec(operation=operation, info=info, removeKey=remove_key)


def test_affinity_rules_add_edit_remove(si, other, cluster):
    vm0, vm1 = vms_of(cluster)[:2]
    watcher = Watcher(other, cluster, vim.ClusterComputeResource, ['configurationEx.rule'])
    reconfigure(cluster, Spec(rulesSpec=[
        rule_spec(Op.add, vim.cluster.AntiAffinityRuleSpec(name='apart', enabled=True,
                                                           vm=[vm0, vm1])),
        rule_spec(Op.add, vim.cluster.AffinityRuleSpec(name='together', vm=[vm0, vm1]))]))
    apart, together = cluster.configurationEx.rule
    assert isinstance(apart, vim.cluster.AntiAffinityRuleSpec) and apart.enabled
    assert apart.key != together.key and apart.userCreated and not together.enabled
    assert set(apart.vm) == {vm0, vm1}
    assert [r.key for r in cluster.configuration.rule] == [apart.key, together.key]
    seen = watcher.changes()
    assert [len(value) for _, _, path, _, value in seen if path == 'configurationEx.rule'] \
        == [2]
    # edit by key: the fields set change, the rest stays
    reconfigure(cluster, Spec(rulesSpec=[rule_spec(Op.edit, vim.cluster.AffinityRuleSpec(
        key=together.key, enabled=True, vm=[vm1, vm0]))]))
    edited = [r for r in cluster.configurationEx.rule if r.key == together.key][0]
    assert edited.enabled and edited.name == 'together' and edited.vm == [vm1, vm0]
    # faults: unknown keys, a duplicate key, a rule of one VM, a VM outside the cluster
    fails(cluster, Spec(rulesSpec=[rule_spec(Op.edit, vim.cluster.AffinityRuleSpec(
        key=9999, enabled=False, vm=[vm0, vm1]))]))
    fails(cluster, Spec(rulesSpec=[rule_spec(Op.remove, remove_key=9999)]))
    fails(cluster, Spec(rulesSpec=[rule_spec(Op.remove, remove_key='apart')]))
    fails(cluster, Spec(rulesSpec=[rule_spec(Op.add, vim.cluster.AffinityRuleSpec(
        key=apart.key, name='again', vm=[vm0, vm1]))]))
    fails(cluster, Spec(rulesSpec=[rule_spec(Op.add, vim.cluster.AffinityRuleSpec(
        name='alone', vm=[vm0]))]))
    outsider = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/vm/DC0_H0_VM0')
    fails(cluster, Spec(rulesSpec=[rule_spec(Op.add, vim.cluster.AffinityRuleSpec(
        name='outside', vm=[vm0, outsider]))]))
    # one bad part faults the whole spec: the good rule before it is not added
    fails(cluster, Spec(drsConfig=vim.cluster.DrsConfigInfo(enabled=True), rulesSpec=[
        rule_spec(Op.add, vim.cluster.AffinityRuleSpec(name='fine', vm=[vm0, vm1])),
        rule_spec(Op.remove, remove_key=9999)]))
    task = cluster.ReconfigureComputeResource_Task(
        Spec(rulesSpec=[rule_spec(Op.remove, remove_key=apart.key)]), modify=True)
    WaitForTask(task)
    assert [r.key for r in cluster.configurationEx.rule] == [together.key]
    [event] = events_of(si, cluster, task.info.eventChainId, ['ClusterReconfiguredEvent'])
    assert 'configurationEx.rule[%d]' % apart.key in event.configChanges.deleted
    # keys are never reused
    reconfigure(cluster, Spec(rulesSpec=[rule_spec(Op.add, vim.cluster.AntiAffinityRuleSpec(
        name='apart', vm=[vm0, vm1]))]))
    assert max(r.key for r in cluster.configurationEx.rule) > apart.key


def group_spec(operation, info=None, remove_key=None):
    return vim.cluster.GroupSpec(operation=operation, info=info, removeKey=remove_key)


def test_groups_and_group_rules(si, cluster):
    vm0, vm1 = vms_of(cluster)[:2]
    host0, host1 = cluster.host[:2]
    reconfigure(cluster, Spec(groupSpec=[
        group_spec(Op.add, vim.cluster.VmGroup(name='web', vm=[vm0])),
        group_spec(Op.add, vim.cluster.VmGroup(name='db', vm=[vm1])),
        group_spec(Op.add, vim.cluster.HostGroup(name='rack1', host=[host0]))], rulesSpec=[
        rule_spec(Op.add, vim.cluster.VmHostRuleInfo(name='web-on-rack1', enabled=True,
                                                     vmGroupName='web',
                                                     affineHostGroupName='rack1')),
        rule_spec(Op.add, vim.cluster.DependencyRuleInfo(name='web-after-db', enabled=True,
                                                         vmGroup='web',
                                                         dependsOnVmGroup='db'))]))
    groups = {g.name: g for g in cluster.configurationEx.group}
    assert set(groups) == {'web', 'db', 'rack1'}
    assert groups['rack1'].host == [host0] and groups['web'].vm == [vm0]
    kinds = {type(r) for r in cluster.configurationEx.rule}
    assert kinds == {vim.cluster.VmHostRuleInfo, vim.cluster.DependencyRuleInfo}
    # FindRulesForVm: the rules naming a VM through its groups
    assert {r.name for r in cluster.FindRulesForVm(vm0)} == {'web-on-rack1', 'web-after-db'}
    assert {r.name for r in cluster.FindRulesForVm(vm1)} == {'web-after-db'}
    # edit a group by name: its members are replaced
    reconfigure(cluster, Spec(groupSpec=[group_spec(Op.edit, vim.cluster.HostGroup(
        name='rack1', host=[host0, host1]))]))
    rack = [g for g in cluster.configurationEx.group if g.name == 'rack1'][0]
    assert set(rack.host) == {host0, host1}
    # faults: a duplicate name, unknown names, members outside the cluster,
    # a rule naming a missing group or one of the wrong kind, a group a rule uses
    fails(cluster, Spec(groupSpec=[group_spec(Op.add, vim.cluster.VmGroup(name='web',
                                                                          vm=[vm1]))]))
    fails(cluster, Spec(groupSpec=[group_spec(Op.edit, vim.cluster.VmGroup(name='nope',
                                                                           vm=[vm1]))]))
    fails(cluster, Spec(groupSpec=[group_spec(Op.remove, remove_key='nope')]))
    fails(cluster, Spec(groupSpec=[group_spec(Op.add, vim.cluster.GroupInfo(name='neither'))]))
    fails(cluster, Spec(groupSpec=[group_spec(Op.remove)]))
    fails(cluster, Spec(rulesSpec=[rule_spec(Op.add, vim.cluster.RuleInfo(name='abstract'))]))
    standalone = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/host/DC0_H0')
    fails(cluster, Spec(groupSpec=[group_spec(Op.add, vim.cluster.HostGroup(
        name='far', host=list(standalone.host)))]))
    fails(cluster, Spec(rulesSpec=[rule_spec(Op.add, vim.cluster.VmHostRuleInfo(
        name='bad', vmGroupName='web', affineHostGroupName='missing'))]))
    fails(cluster, Spec(rulesSpec=[rule_spec(Op.add, vim.cluster.VmHostRuleInfo(
        name='bad', vmGroupName='rack1', affineHostGroupName='rack1'))]))
    fails(cluster, Spec(rulesSpec=[rule_spec(Op.add, vim.cluster.VmHostRuleInfo(
        name='bad', vmGroupName='web', affineHostGroupName='rack1',
        antiAffineHostGroupName='rack1'))]))
    fails(cluster, Spec(rulesSpec=[rule_spec(Op.add, vim.cluster.DependencyRuleInfo(
        name='bad', vmGroup='web', dependsOnVmGroup='web'))]))
    fails(cluster, Spec(groupSpec=[group_spec(Op.remove, remove_key='db')]))
    # removing the rule with its group in one spec is fine
    dependency = [r for r in cluster.configurationEx.rule
                  if isinstance(r, vim.cluster.DependencyRuleInfo)][0]
    reconfigure(cluster, Spec(groupSpec=[group_spec(Op.remove, remove_key='db')],
                              rulesSpec=[rule_spec(Op.remove, remove_key=dependency.key)]))
    assert {g.name for g in cluster.configurationEx.group} == {'web', 'rack1'}


def test_per_vm_and_per_host_overrides(si, cluster):
    vm0, vm1 = vms_of(cluster)[:2]
    host0 = cluster.host[0]
    reconfigure(cluster, Spec(
        drsVmConfigSpec=[vim.cluster.DrsVmConfigSpec(
            operation=Op.add, info=vim.cluster.DrsVmConfigInfo(key=vm0, enabled=False,
                                                               behavior='manual'))],
        dasVmConfigSpec=[vim.cluster.DasVmConfigSpec(
            operation=Op.add, info=vim.cluster.DasVmConfigInfo(
                key=vm1, dasSettings=vim.cluster.DasVmSettings(restartPriority='high')))],
        dpmHostConfigSpec=[vim.cluster.DpmHostConfigSpec(
            operation=Op.add, info=vim.cluster.DpmHostConfigInfo(key=host0, enabled=True,
                                                                 behavior='manual'))]))
    config = cluster.configurationEx
    [drs] = config.drsVmConfig
    assert drs.key == vm0 and drs.behavior == 'manual' and drs.enabled is False
    [das] = config.dasVmConfig
    assert das.key == vm1 and das.dasSettings.restartPriority == 'high'
    [dpm] = config.dpmHostConfig
    assert dpm.key == host0 and dpm.behavior == 'manual'
    assert [c.key for c in cluster.configuration.drsVmConfig] == [vm0]
    # a second add for the same VM, an edit or remove of a VM without one, a VM elsewhere
    fails(cluster, Spec(drsVmConfigSpec=[vim.cluster.DrsVmConfigSpec(
        operation=Op.add, info=vim.cluster.DrsVmConfigInfo(key=vm0, behavior='manual'))]))
    fails(cluster, Spec(drsVmConfigSpec=[vim.cluster.DrsVmConfigSpec(
        operation=Op.edit, info=vim.cluster.DrsVmConfigInfo(key=vm1, behavior='manual'))]))
    fails(cluster, Spec(dasVmConfigSpec=[vim.cluster.DasVmConfigSpec(
        operation=Op.remove, removeKey=vm0)]))
    outsider = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/vm/DC0_H0_VM0')
    fails(cluster, Spec(drsVmConfigSpec=[vim.cluster.DrsVmConfigSpec(
        operation=Op.add, info=vim.cluster.DrsVmConfigInfo(key=outsider, behavior='manual'))]))
    reconfigure(cluster, Spec(drsVmConfigSpec=[vim.cluster.DrsVmConfigSpec(
        operation=Op.edit, info=vim.cluster.DrsVmConfigInfo(key=vm0,
                                                            behavior='fullyAutomated'))]))
    [drs] = cluster.configurationEx.drsVmConfig
    assert drs.behavior == 'fullyAutomated' and drs.enabled is False
    reconfigure(cluster, Spec(drsVmConfigSpec=[vim.cluster.DrsVmConfigSpec(
        operation=Op.remove, removeKey=vm0)]))
    assert cluster.configurationEx.drsVmConfig == []


def test_modify_false_replaces_the_configuration(cluster):
    vm0, vm1 = vms_of(cluster)[:2]
    reconfigure(cluster, Spec(drsConfig=vim.cluster.DrsConfigInfo(enabled=True, vmotionRate=5),
                              rulesSpec=[rule_spec(Op.add, vim.cluster.AffinityRuleSpec(
                                  name='together', vm=[vm0, vm1]))]))
    reconfigure(cluster, Spec(dasConfig=vim.cluster.DasConfigInfo(enabled=True)),
                modify=False)
    config = cluster.configurationEx
    assert config.rule == [] and config.dasConfig.enabled
    assert config.drsConfig.enabled is False and config.drsConfig.vmotionRate == 3


def test_reconfigure_cluster_task_takes_the_legacy_spec(cluster):
    vm0, vm1 = vms_of(cluster)[:2]
    WaitForTask(cluster.ReconfigureCluster_Task(vim.cluster.ConfigSpec(
        drsConfig=vim.cluster.DrsConfigInfo(enabled=True),
        rulesSpec=[rule_spec(Op.add, vim.cluster.AntiAffinityRuleSpec(
            name='apart', vm=[vm0, vm1]))]), modify=True))
    assert cluster.configuration.drsConfig.enabled
    assert [r.name for r in cluster.configurationEx.rule] == ['apart']
    with pytest.raises(vmodl.fault.InvalidArgument):
        WaitForTask(cluster.ReconfigureCluster_Task(vim.cluster.ConfigSpec(
            rulesSpec=[rule_spec(Op.remove, remove_key=12345)]), modify=True))


def test_standalone_compute_resource(si):
    standalone = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/host/DC0_H0')
    with pytest.raises(vmodl.fault.InvalidArgument):
        standalone.ReconfigureComputeResource_Task(Spec(), modify=True)
    WaitForTask(standalone.ReconfigureComputeResource_Task(
        vim.ComputeResource.ConfigSpec(vmSwapPlacement='hostLocal'), modify=True))
    assert standalone.configurationEx.vmSwapPlacement == 'hostLocal'
    WaitForTask(standalone.ReconfigureComputeResource_Task(
        vim.ComputeResource.ConfigSpec(), modify=False))
    assert standalone.configurationEx.vmSwapPlacement == 'vmDirectory'


# -- EVC ------------------------------------------------------------------------------

def task_result(task):
    WaitForTask(task)
    return task.info.result


def test_evc_modes_and_their_faults(si, other, cluster):
    manager = cluster.EvcManager()
    assert manager == cluster.EvcManager() and manager.managedCluster == cluster
    state = manager.evcState
    keys = [mode.key for mode in state.supportedEVCMode]
    assert keys[0] == 'intel-merom' and 'intel-sapphirerapids' in keys
    assert 'amd-rev-e' in keys and keys[-1] == 'amd-zen4'
    tiers = {mode.key: (mode.vendor, mode.vendorTier) for mode in state.supportedEVCMode}
    assert tiers['intel-haswell'][1] > tiers['intel-ivybridge'][1]
    assert state.currentEVCModeKey is None
    # the hosts are Ivy Bridge: above it, another vendor, an unknown key are refused
    with pytest.raises(vim.fault.EVCModeUnsupportedByHosts) as caught:
        WaitForTask(manager.ConfigureEvcMode_Task('intel-haswell'))
    assert caught.value.evcMode == 'intel-haswell'
    assert set(caught.value.host) == set(cluster.host)
    with pytest.raises(vim.fault.EVCModeIllegalByVendor):
        WaitForTask(manager.ConfigureEvcMode_Task('amd-zen4'))
    with pytest.raises(vmodl.fault.InvalidArgument):
        WaitForTask(manager.ConfigureEvcMode_Task('intel-bogus'))
    # below what powered-on VMs run with
    assert any(vm.runtime.powerState == 'poweredOn' for vm in vms_of(cluster))
    with pytest.raises(vim.fault.EVCConfigFault):
        WaitForTask(manager.ConfigureEvcMode_Task('intel-merom'))
    [result] = task_result(manager.CheckConfigureEvcMode_Task('intel-haswell'))
    assert isinstance(result.error, vim.fault.EVCModeUnsupportedByHosts)
    assert result.evcModeKey == 'intel-haswell' and set(result.host) == set(cluster.host)
    assert task_result(manager.CheckConfigureEvcMode_Task('intel-ivybridge')) == []
    # the hosts' own mode works; summary and evcState follow, a watcher sees it
    watcher = Watcher(other, cluster, vim.ClusterComputeResource,
                      ['summary.currentEVCModeKey'])
    task = manager.ConfigureEvcMode_Task('intel-ivybridge')
    WaitForTask(task)
    assert cluster.summary.currentEVCModeKey == 'intel-ivybridge'
    assert manager.evcState.currentEVCModeKey == 'intel-ivybridge'
    seen = watcher.changes()
    assert ('summary.currentEVCModeKey', 'intel-ivybridge') in [(p, v) for _, _, p, _, v in seen]
    [event] = events_of(si, cluster, task.info.eventChainId, ['ClusterReconfiguredEvent'])
    assert 'intel-ivybridge' in event.configChanges.modified
    # a host like these would be admitted
    assert task_result(manager.CheckAddHostEvc_Task(vim.host.ConnectSpec(
        hostName='esx-new.example.com'))) == []
    WaitForTask(manager.DisableEvcMode_Task())
    assert cluster.summary.currentEVCModeKey is None


def test_a_cluster_created_in_the_hci_workflow_may_abandon_it(si, other):
    """ClusterConfigSpecEx.inHciWorkflow places a new cluster in the HCI
    (Quickstart) workflow; AbandonHciWorkflow opts out while it is in
    progress, and watchers see hciConfig change."""
    folder = si.RetrieveContent().rootFolder.childEntity[0].hostFolder
    plain = folder.CreateClusterEx('hci-none', vim.cluster.ConfigSpecEx())
    quick = folder.CreateClusterEx('hci-quick', vim.cluster.ConfigSpecEx(inHciWorkflow=True))
    try:
        assert plain.hciConfig is None
        with pytest.raises(vim.fault.InvalidState):
            plain.AbandonHciWorkflow()
        assert quick.hciConfig.workflowState == 'in_progress'
        watcher = Watcher(other, quick, vim.ClusterComputeResource, ['hciConfig'])
        quick.AbandonHciWorkflow()
        assert 'hciConfig' in paths_of(watcher.changes())
        assert quick.hciConfig.workflowState == 'done'
        with pytest.raises(vim.fault.InvalidState):
            quick.AbandonHciWorkflow()
    finally:
        for cluster in (plain, quick):
            WaitForTask(cluster.Destroy_Task())
