"""DRS with pyVmomi: a fully automated cluster with one overloaded host
rebalances within one pass (DrsVmMigratedEvent, migrationHistory, balance
figures); a manual one shows the same moves as recommendations that
ApplyRecommendation carries out; rules are never broken; initial placement
at power-on; PowerOnMultiVM_Task recommendations; maintenance mode
evacuates or is refused; RecommendHostsForVm and PlaceVm."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, on_reactor
from tests.controlling import act, model_time  # noqa: F401 (module fixture)

BUSY = 0.9   # a busy VM's CPU load: four of them need 1.8 hosts' CPU


@pytest.fixture(scope='module')
def sim(validator):
    """Eight clusters of three hosts, no VMs: one cluster per test (test_ha too)."""
    return _simulator(validator, tls=False, autostart=False, cluster=8, vm=0)


@pytest.fixture(scope='module')
def clusters(sim):
    return iter(range(8))


@pytest.fixture
def cluster(clusters, si):
    """A cluster of its own for each test: three hosts, no VMs, DRS off."""
    return si.RetrieveContent().searchIndex.FindByInventoryPath(
        '/DC0/host/DC0_C%d' % next(clusters))


def reconfigure(cluster, **drs):
    WaitForTask(cluster.ReconfigureComputeResource_Task(
        vim.cluster.ConfigSpecEx(drsConfig=vim.cluster.DrsConfigInfo(**drs)), modify=True))


def new_vms(si, cluster, host, prefix, count, power_on=True, load=None, sim=None):
    folder = si.RetrieveContent().rootFolder.childEntity[0].vmFolder
    vms = []
    for index in range(count):
        task = folder.CreateVM_Task(vim.vm.ConfigSpec(
            name='%s-%s-%d' % (cluster.name, prefix, index), numCPUs=1, memoryMB=64,
            guestId='otherGuest64', files=vim.vm.FileInfo(vmPathName='[LocalDS_0]')),
            pool=cluster.resourcePool, host=host)
        WaitForTask(task)
        vm = task.info.result
        if power_on:
            WaitForTask(vm.PowerOnVM_Task())
        if load is not None:
            act(sim, 'load', {'entity': vm._moId, 'cpu': load})
        vms.append(vm)
    return vms


def placement(vms):
    return {vm.name: vm.runtime.host.name for vm in vms}


def events_of(si, type_name, vms):
    names = {vm.name for vm in vms}
    found = si.RetrieveContent().eventManager.QueryEvents(
        vim.event.EventFilterSpec(eventTypeId=[type_name]))
    return [event for event in found if event.vm is not None and event.vm.name in names]


def must_stay(cluster, vms, host):
    """A mandatory VM-host rule keeping `vms` on `host`."""
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        groupSpec=[vim.cluster.GroupSpec(operation='add', info=vim.cluster.VmGroup(
            name='stay', vm=vms)), vim.cluster.GroupSpec(
            operation='add', info=vim.cluster.HostGroup(name='only', host=[host]))],
        rulesSpec=[vim.cluster.RuleSpec(operation='add', info=vim.cluster.VmHostRuleInfo(
            name='must-stay', enabled=True, mandatory=True, vmGroupName='stay',
            affineHostGroupName='only'))]), modify=True))


def settle(sim):
    """Let the migration tasks a pass started finish."""
    on_reactor(sim.sim.time.advance, 1)


def overloaded(si, sim, cluster):
    """Four busy VMs all on the cluster's first host."""
    return new_vms(si, cluster, cluster.host[0], 'busy', 4, load=BUSY, sim=sim)


def test_fully_automated_cluster_rebalances_in_one_pass(si, sim, cluster):
    vms = overloaded(si, sim, cluster)
    reconfigure(cluster, enabled=True, defaultVmBehavior='fullyAutomated', vmotionRate=3)
    cluster.RefreshRecommendation()
    settle(sim)
    hosts = [host.name for host in cluster.host]
    counts = sorted(list(placement(vms).values()).count(h) for h in hosts)
    assert counts == [1, 1, 2]
    migrated = events_of(si, 'DrsVmMigratedEvent', vms)
    assert len(migrated) == 2 and all(e.sourceHost.name == hosts[0] for e in migrated)
    history = cluster.migrationHistory
    assert {(m.vm, m.source, m.destination) for m in history} == {
        (e.vm.vm, e.sourceHost.host, e.host.host) for e in migrated}
    summary = cluster.summary
    assert summary.numVmotions == 2 and summary.targetBalance == 100
    assert summary.currentBalance > summary.targetBalance   # the pass measured before moving
    cluster.RefreshRecommendation()   # the next pass finds nothing left worth moving
    settle(sim)
    assert cluster.summary.currentBalance < summary.currentBalance
    assert not cluster.recommendation and len(cluster.migrationHistory) == 2
    tasks = [task for task in si.RetrieveContent().taskManager.recentTask
             if task.info.descriptionId == 'VirtualMachine.migrate']
    assert tasks and all(isinstance(t.info.reason, vim.TaskReasonSystem) for t in tasks)


def test_manual_cluster_recommends_the_same_moves(si, sim, cluster):
    vms = overloaded(si, sim, cluster)
    reconfigure(cluster, enabled=True, defaultVmBehavior='manual', vmotionRate=3)
    cluster.RefreshRecommendation()
    settle(sim)
    assert all(vm.runtime.host == cluster.host[0] for vm in vms)   # nothing moved
    recommendations = cluster.recommendation
    assert [r.rating for r in recommendations] == [3, 4]
    assert all(r.reason == 'fairnessCpuAvg' and r.type == 'V1' for r in recommendations)
    moves = [(r.action[0].target, r.action[0].drsMigration.destination)
             for r in recommendations]
    assert sorted(h.name for _, h in moves) == sorted(h.name for h in cluster.host[1:])
    assert [d.key for d in cluster.drsRecommendation] == [r.key for r in recommendations]
    for recommendation in recommendations:
        cluster.ApplyRecommendation(recommendation.key)
    settle(sim)
    assert all(vm.runtime.host == host for vm, host in moves)
    assert len(events_of(si, 'DrsVmMigratedEvent', vms)) == 2
    assert not cluster.recommendation
    with pytest.raises(vmodl.fault.InvalidArgument):
        cluster.ApplyRecommendation(recommendations[0].key)


def test_rules_are_never_broken(si, sim, cluster):
    vms = overloaded(si, sim, cluster)
    hosts = list(cluster.host)
    spec = vim.cluster.ConfigSpecEx(
        drsConfig=vim.cluster.DrsConfigInfo(enabled=True, defaultVmBehavior='fullyAutomated',
                                            vmotionRate=1),
        groupSpec=[vim.cluster.GroupSpec(operation='add', info=vim.cluster.VmGroup(
            name='pinned', vm=vms[:3])), vim.cluster.GroupSpec(
            operation='add', info=vim.cluster.HostGroup(name='first-two', host=hosts[:2]))],
        rulesSpec=[vim.cluster.RuleSpec(operation='add', info=vim.cluster.VmHostRuleInfo(
            name='must-first-two', enabled=True, mandatory=True, vmGroupName='pinned',
            affineHostGroupName='first-two')),
            vim.cluster.RuleSpec(operation='add', info=vim.cluster.AntiAffinityRuleSpec(
                name='apart', enabled=True, vm=vms[:2]))])
    WaitForTask(cluster.ReconfigureComputeResource_Task(spec, modify=True))
    cluster.RefreshRecommendation()
    settle(sim)
    where = placement(vms)
    assert where[vms[0].name] != where[vms[1].name]              # anti-affinity
    assert all(where[vm.name] != hosts[2].name for vm in vms[:3])  # the must rule
    assert list(where.values()).count(hosts[2].name) == 1        # the free VM balanced there
    assert events_of(si, 'DrsVmMigratedEvent', vms)


def test_initial_placement_at_power_on(si, sim, cluster):
    busy = overloaded(si, sim, cluster)
    reconfigure(cluster, enabled=True, defaultVmBehavior='fullyAutomated', vmotionRate=5)
    fresh = new_vms(si, cluster, cluster.host[0], 'fresh', 2, power_on=False)
    WaitForTask(fresh[0].PowerOnVM_Task())
    assert fresh[0].runtime.host != cluster.host[0]
    assert events_of(si, 'DrsVmPoweredOnEvent', fresh[:1])
    # a host asked for is kept when it can take the VM
    WaitForTask(fresh[1].PowerOnVM_Task(host=cluster.host[0]))
    assert fresh[1].runtime.host == cluster.host[0]
    # one that cannot is not: DRS places the VM, which stays registered where it lands
    third = new_vms(si, cluster, cluster.host[0], 'third', 1, power_on=False)[0]
    WaitForTask(cluster.host[2].DisconnectHost_Task())
    try:
        WaitForTask(third.PowerOnVM_Task(host=cluster.host[2]))
    finally:
        WaitForTask(cluster.host[2].ReconnectHost_Task())
    assert third.runtime.host == cluster.host[1]
    assert placement(busy) == {vm.name: cluster.host[0].name for vm in busy}  # rate 5


def test_power_on_multi_vm_recommends_for_manual_vms(si, sim, cluster):
    reconfigure(cluster, enabled=True, defaultVmBehavior='manual')
    vms = new_vms(si, cluster, cluster.host[0], 'multi', 2, power_on=False)
    datacenter = si.RetrieveContent().rootFolder.childEntity[0]
    task = datacenter.PowerOnMultiVM_Task(vms)
    WaitForTask(task)
    result = task.info.result
    assert not result.attempted and len(result.recommendations) == 2
    recommendation = result.recommendations[0]
    assert recommendation.reason == 'powerOnVm'
    action = recommendation.action[0]
    assert isinstance(action, vim.cluster.InitialPlacementAction)
    assert [r.key for r in cluster.recommendation] == [r.key for r in result.recommendations]
    cluster.ApplyRecommendation(recommendation.key)
    settle(sim)
    vm = [v for v in vms if v == action.target][0]
    assert vm.runtime.powerState == 'poweredOn' and vm.runtime.host == action.targetHost
    cluster.CancelRecommendation(result.recommendations[1].key)
    assert not cluster.recommendation
    # PowerOnVM_Task of a manual VM: on the host asked for, else where it is
    [asked] = new_vms(si, cluster, cluster.host[0], 'asked', 1, power_on=False)
    WaitForTask(asked.PowerOnVM_Task(host=cluster.host[1]))
    assert asked.runtime.host == cluster.host[1]
    assert events_of(si, 'VmPoweredOnEvent', [asked])
    with pytest.raises(vmodl.fault.InvalidArgument):
        cluster.CancelRecommendation('no-such-key')


def test_maintenance_mode_evacuates_or_is_refused(si, sim, cluster):
    vms = new_vms(si, cluster, cluster.host[0], 'maint', 3)
    hosts = list(cluster.host)
    reconfigure(cluster, enabled=True, defaultVmBehavior='fullyAutomated', vmotionRate=5)
    WaitForTask(hosts[0].EnterMaintenanceMode_Task(timeout=60))
    assert hosts[0].runtime.inMaintenanceMode
    assert all(vm.runtime.host != hosts[0] for vm in vms)
    assert len(events_of(si, 'DrsVmMigratedEvent', vms)) == 3
    WaitForTask(hosts[0].ExitMaintenanceMode_Task(timeout=60))
    # a VM that must stay on hosts[1] keeps hosts[1] from entering
    pinned = [vm for vm in vms if vm.runtime.host == hosts[1]][:1]
    assert pinned
    must_stay(cluster, pinned, hosts[1])
    with pytest.raises(vim.fault.NoCompatibleHost) as refused:
        WaitForTask(hosts[1].EnterMaintenanceMode_Task(timeout=60))
    assert all(isinstance(e, vim.fault.VmHostAffinityRuleViolation)
               for e in refused.value.error)
    assert not hosts[1].runtime.inMaintenanceMode and pinned[0].runtime.host == hosts[1]


def test_recommend_hosts_and_place_vm(si, sim, cluster):
    overloaded(si, sim, cluster)
    reconfigure(cluster, enabled=True)
    vm = new_vms(si, cluster, cluster.host[0], 'place', 1, power_on=False)[0]
    ranked = cluster.RecommendHostsForVm(vm=vm)
    assert [r.host for r in ranked][-1] == cluster.host[0]
    assert ranked[0].rating > ranked[-1].rating
    result = cluster.PlaceVm(vim.cluster.PlacementSpec(vm=vm, placementType='relocate'))
    action = result.recommendations[0].action[0]
    assert action.targetHost == ranked[0].host and action.relocateSpec.host == ranked[0].host
    only = cluster.PlaceVm(vim.cluster.PlacementSpec(vm=vm, placementType='relocate',
                                                     hosts=[cluster.host[0]]))
    assert only.recommendations[0].action[0].targetHost == cluster.host[0]
    with pytest.raises(vmodl.fault.InvalidArgument):   # a create needs its configSpec
        cluster.PlaceVm(vim.cluster.PlacementSpec(placementType='create'))
    with pytest.raises(vmodl.fault.InvalidArgument):
        cluster.PlaceVm(vim.cluster.PlacementSpec(placementType='bogus', vm=vm))
