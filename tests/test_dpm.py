"""DPM with pyVmomi and the control surface: an idle cluster's spare hosts
go to standby after their VMs are evacuated (automated: at once, with DPM's
events; manual: recommendations with the migrations as prerequisites, that
ApplyRecommendation carries out), and come back when the load rises; HA
admission control, per-host overrides, the threshold and the target band's
advanced options are honoured."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import _simulator
from tests.controlling import act, control, model_time  # noqa: F401 (module fixture)
from tests.test_drs import events_of, new_vms, settle

IDLE = 0.05   # a VM's CPU load share: four of them fit on one host, far below the band
BUSY = 0.9    # four of them need 1.8 hosts' CPU


@pytest.fixture(scope='module')
def sim(validator):
    """Seven clusters of four hosts, no VMs: one cluster per test."""
    return _simulator(validator, tls=False, autostart=False, cluster=7, host=4, vm=0)


@pytest.fixture(scope='module')
def clusters(sim):
    return iter(range(7))


@pytest.fixture
def cluster(clusters, si):
    return si.RetrieveContent().searchIndex.FindByInventoryPath(
        '/DC0/host/DC0_C%d' % next(clusters))


def enable_dpm(cluster, behavior='automated', rate=3, vm_behavior='fullyAutomated',
               hosts=(), options=(), **extra):
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        drsConfig=vim.cluster.DrsConfigInfo(enabled=True, defaultVmBehavior=vm_behavior,
                                            vmotionRate=5),
        dpmConfig=vim.cluster.DpmConfigInfo(
            enabled=True, defaultDpmBehavior=behavior, hostPowerActionRate=rate,
            option=[vim.option.OptionValue(key=k, value=v) for k, v in options]),
        dpmHostConfigSpec=[vim.cluster.DpmHostConfigSpec(
            operation='add', info=vim.cluster.DpmHostConfigInfo(key=host, enabled=False))
            for host in hosts], **extra), modify=True))


def one_vm_per_host(si, sim, cluster, load=IDLE):
    """A VM on each host, its CPU at `load`, its memory at half."""
    vms = [new_vms(si, cluster, host, 'h%d' % index, 1)[0]
           for index, host in enumerate(cluster.host)]
    for vm in vms:
        set_load(sim, vm, load)
    return vms


def set_load(sim, vm, cpu):
    act(sim, 'load', {'entity': vm._moId, 'cpu': cpu, 'memory': 0.5})


def power_states(cluster):
    return [host.runtime.powerState for host in cluster.host]


def host_events(si, type_name, cluster):
    names = {host.name for host in cluster.host}
    found = si.RetrieveContent().eventManager.QueryEvents(
        vim.event.EventFilterSpec(eventTypeId=[type_name]))
    return sorted(event.host.name for event in found
                  if event.host is not None and event.host.name in names)


def dpm_pass(sim, cluster):
    cluster.RefreshRecommendation()
    settle(sim)
    return power_states(cluster)


def test_automated_dpm_puts_spare_hosts_to_standby_and_wakes_them(si, sim, cluster):
    vms = one_vm_per_host(si, sim, cluster)
    hosts = list(cluster.host)
    enable_dpm(cluster)
    # the least loaded host goes first, its VMs to the least loaded that stays;
    # a host that takes VMs stays on in the pass and takes the next ones first
    assert dpm_pass(sim, cluster) == ['standBy', 'poweredOn', 'standBy', 'standBy']
    assert all(vm.runtime.host == hosts[1] for vm in vms)
    leaving = sorted(h.name for h in (hosts[0], hosts[2], hosts[3]))
    assert host_events(si, 'DrsEnteringStandbyModeEvent', cluster) == leaving
    assert host_events(si, 'DrsEnteredStandbyModeEvent', cluster) == leaving
    assert len(events_of(si, 'DrsVmMigratedEvent', vms)) == 3
    assert cluster.summary.numEffectiveHosts == 1
    assert dpm_pass(sim, cluster) == ['standBy', 'poweredOn', 'standBy', 'standBy']
    # demand rises past the band: one host comes back per pass, first in the cluster first
    for vm in vms:
        set_load(sim, vm, BUSY)
    assert dpm_pass(sim, cluster) == ['poweredOn', 'poweredOn', 'standBy', 'standBy']
    assert host_events(si, 'DrsExitingStandbyModeEvent', cluster) == [hosts[0].name]
    assert host_events(si, 'DrsExitedStandbyModeEvent', cluster) == [hosts[0].name]
    assert not cluster.recommendation


def test_manual_dpm_recommends_with_the_evacuation_as_prerequisites(si, sim, cluster):
    vms = one_vm_per_host(si, sim, cluster)
    hosts = list(cluster.host)
    enable_dpm(cluster, behavior='manual')
    assert dpm_pass(sim, cluster) == ['poweredOn'] * 4   # nothing done
    by_key = {r.key: r for r in cluster.recommendation}
    power = [r for r in by_key.values() if isinstance(r.action[0], vim.cluster.HostPowerAction)]
    assert [(r.action[0].target, r.action[0].operationType, r.reason) for r in power] == [
        (host, 'powerOff', 'powerSaving') for host in (hosts[0], hosts[2], hosts[3])]
    assert all(r.action[0].type == 'HostPowerV1' and r.rating == 4 for r in power)
    assert power[0].action[0].cpuCapacityMHz == hosts[0].summary.hardware.cpuMhz * 2
    moves = [by_key[key] for key in power[0].prerequisite]
    assert [(m.reason, m.action[0].target, m.action[0].drsMigration.destination)
            for m in moves] == [('enterStandby', vms[0], hosts[1])]
    cluster.ApplyRecommendation(power[0].key)   # the migration with it
    settle(sim)
    assert power_states(cluster) == ['standBy', 'poweredOn', 'poweredOn', 'poweredOn']
    assert vms[0].runtime.host == hosts[1]
    assert moves[0].key not in {r.key for r in cluster.recommendation}
    assert host_events(si, 'DrsEnteredStandbyModeEvent', cluster) == [hosts[0].name]
    # the next pass replaces what is left, from the cluster as it is now
    cluster.RefreshRecommendation()
    power = [r for r in cluster.recommendation
             if isinstance(r.action[0], vim.cluster.HostPowerAction)]
    assert [r.action[0].target for r in power] == [hosts[2], hosts[1]]
    for vm in vms:
        set_load(sim, vm, BUSY)
    cluster.RefreshRecommendation()
    [wake] = cluster.recommendation
    assert (wake.action[0].target, wake.action[0].operationType, wake.reason, wake.rating) == (
        hosts[0], 'powerOn', 'increaseCapacity', 4)   # 91 % on hosts[1]
    cluster.ApplyRecommendation(wake.key)
    settle(sim)
    assert power_states(cluster) == ['poweredOn'] * 4


def test_ha_admission_control_keeps_its_failover_capacity(si, sim, cluster):
    one_vm_per_host(si, sim, cluster)
    enable_dpm(cluster, dasConfig=vim.cluster.DasConfigInfo(
        enabled=True, admissionControlEnabled=True,
        admissionControlPolicy=vim.cluster.FailoverLevelAdmissionControlPolicy(
            failoverLevel=1)))
    assert dpm_pass(sim, cluster) == ['standBy', 'poweredOn', 'standBy', 'poweredOn']
    # one host more would leave no slots for a host failure
    assert dpm_pass(sim, cluster) == ['standBy', 'poweredOn', 'standBy', 'poweredOn']
    assert cluster.summary.currentFailoverLevel == 1


def test_host_and_vm_overrides_and_threshold(si, sim, cluster):
    vms = one_vm_per_host(si, sim, cluster)
    hosts = list(cluster.host)
    enable_dpm(cluster, hosts=[hosts[0]], rate=5,   # power-offs are rated 4 at most
               drsVmConfigSpec=[vim.cluster.DrsVmConfigSpec(
                   operation='add', info=vim.cluster.DrsVmConfigInfo(key=vms[3],
                                                                     enabled=False))])
    assert dpm_pass(sim, cluster) == ['poweredOn'] * 4 and not cluster.recommendation
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        dpmConfig=vim.cluster.DpmConfigInfo(hostPowerActionRate=3)), modify=True))
    # hosts[0] is DPM's to leave alone, but it takes VMs
    assert dpm_pass(sim, cluster) == ['poweredOn', 'standBy', 'standBy', 'poweredOn']
    assert [vm.runtime.host for vm in vms] == [hosts[0], hosts[0], hosts[0], hosts[3]]
    # DRS may not move vms[3]: its host stays on
    assert dpm_pass(sim, cluster) == ['poweredOn', 'standBy', 'standBy', 'poweredOn']


def test_target_band_options(si, sim, cluster):
    vms = one_vm_per_host(si, sim, cluster, load=0.3)
    # a band of 50 % +- 10 %: a host takes three of these VMs (46 % CPU), not four (61 %)
    enable_dpm(cluster, options=[('DemandCapacityRatioTarget', '50'),
                                 ('DemandCapacityRatioToleranceHost', '10')])
    assert dpm_pass(sim, cluster) == ['standBy', 'poweredOn', 'standBy', 'poweredOn']
    assert dpm_pass(sim, cluster) == ['standBy', 'poweredOn', 'standBy', 'poweredOn']
    hosts = cluster.host
    assert [vm.runtime.host for vm in vms] == [hosts[1], hosts[1], hosts[1], hosts[3]]
    samples = [control(sim, 'GET', 'load?entity=' + h._moId)[1]['sample'] for h in hosts]
    assert [round(s['cpuDemandMHz'] / s['cpuCapacityMHz'], 2) for s in samples] == [
        0, 0.46, 0, 0.16]
