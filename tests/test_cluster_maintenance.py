"""ClusterEnterMaintenanceMode (recommendations per host with the migrations
that evacuate it, faults for the hosts DRS cannot vacate, nothing carried
out), StampAllRulesWithUuid_Task, and network boot (NotSupported for hosts
that boot from disk), with pyVmomi."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.controlling import model_time  # noqa: F401 (module fixture)
from tests.test_drs import clusters, must_stay, new_vms, reconfigure, sim  # noqa: F401


@pytest.fixture
def cluster(clusters, si):  # noqa: F811 (the module's own cluster per test)
    return si.RetrieveContent().searchIndex.FindByInventoryPath(
        '/DC0/host/DC0_C%d' % next(clusters))


def test_recommendations_to_vacate_hosts_together(si, sim, cluster):  # noqa: F811
    hosts = list(cluster.host)
    vms = new_vms(si, cluster, hosts[0], 'mm', 2) + new_vms(si, cluster, hosts[1], 'mm1', 1)
    reconfigure(cluster, enabled=True, defaultVmBehavior='manual')   # no DRS placement
    before = {vm.name: vm.runtime.host for vm in vms}
    result = cluster.ClusterEnterMaintenanceMode(host=hosts[:2])
    assert not result.fault
    assert [r.action[0].target for r in result.recommendations] == hosts[:2]
    first = result.recommendations[0]
    assert first.reason == 'hostMaint' and first.rating == 5
    assert first.action[0].type == 'HostMaintenanceV1'
    migrations = [a for r in result.recommendations for a in r.action[1:]]
    assert sorted(a.target.name for a in migrations) == sorted(vm.name for vm in vms
                                                              if before[vm.name] in hosts[:2])
    # neither host takes the other's VMs: all go to the third
    assert {a.drsMigration.destination for a in migrations} == {hosts[2]}
    assert {vm.name: vm.runtime.host for vm in vms} == before      # nothing moved
    assert not any(h.runtime.inMaintenanceMode for h in hosts) and not cluster.recommendation
    # a VM that must stay where it is keeps its host out, with its fault
    pinned = [vm for vm in vms if before[vm.name] == hosts[1]]
    must_stay(cluster, pinned, hosts[1])
    result = cluster.ClusterEnterMaintenanceMode(host=hosts[:2])
    assert [r.action[0].target for r in result.recommendations] == [hosts[0]]
    [by_vm] = result.fault.faultsByVm
    assert by_vm.vm == pinned[0] and isinstance(by_vm.fault[0], vim.fault.NoCompatibleHost)


def test_without_drs_and_bad_arguments(si, sim, cluster):  # noqa: F811
    hosts = list(cluster.host)
    [vm] = new_vms(si, cluster, hosts[0], 'nodrs', 1)
    result = cluster.ClusterEnterMaintenanceMode(host=hosts[:2])
    assert [r.action for r in result.recommendations][0][0].target == hosts[1]
    [by_vm] = result.fault.faultsByVm
    assert by_vm.vm == vm and isinstance(by_vm.fault[0], vim.fault.DrsDisabledOnVm)
    WaitForTask(hosts[2].EnterMaintenanceMode_Task(timeout=60))
    try:
        result = cluster.ClusterEnterMaintenanceMode(host=[hosts[2]])
        assert not result.recommendations
        assert isinstance(result.fault.faultsByVm[0].fault[0], vim.fault.InvalidHostState)
    finally:
        WaitForTask(hosts[2].ExitMaintenanceMode_Task(timeout=60))
    other = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/host/DC0_C0')
    for bad in ([other.host[0]], [hosts[0], hosts[0]]):
        with pytest.raises(vmodl.fault.InvalidArgument):
            cluster.ClusterEnterMaintenanceMode(host=bad)
    with pytest.raises(vmodl.fault.InvalidArgument):
        cluster.ClusterEnterMaintenanceMode(host=hosts[:1], option=[
            vim.option.OptionValue(key='unknown', value='1')])


def test_stamp_all_rules_with_uuid(si, sim, cluster):  # noqa: F811
    vms = new_vms(si, cluster, cluster.host[0], 'stamp', 2, power_on=False)
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        rulesSpec=[vim.cluster.RuleSpec(operation='add', info=vim.cluster.AntiAffinityRuleSpec(
            name='apart', enabled=True, vm=vms))]), modify=True))
    [rule] = cluster.configurationEx.rule
    assert rule.ruleUuid
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        rulesSpec=[vim.cluster.RuleSpec(operation='edit', info=vim.cluster.AntiAffinityRuleSpec(
            key=rule.key, ruleUuid='', vm=vms))]), modify=True))
    assert not cluster.configurationEx.rule[0].ruleUuid
    WaitForTask(cluster.StampAllRulesWithUuid_Task())
    stamped = cluster.configurationEx.rule[0].ruleUuid
    assert len(stamped) == 36 and stamped.count('-') == 4
    WaitForTask(cluster.StampAllRulesWithUuid_Task())   # one left as it is
    assert cluster.configurationEx.rule[0].ruleUuid == stamped


def test_network_boot_is_not_served_for_hosts_that_boot_from_disk(si, sim, cluster):  # noqa: F811
    assert cluster.configManagerEnabled is False
    with pytest.raises(vmodl.fault.NotSupported):
        cluster.EnableNetworkBoot_Task('stateless')
    with pytest.raises(vmodl.fault.NotSupported):
        cluster.DisableNetworkBoot_Task()
    with pytest.raises(vmodl.fault.InvalidArgument):
        cluster.EnableNetworkBoot_Task('sideways')
