"""vSphere HA's restart orchestration and heartbeat datastores with pyVmomi
and the control surface: a lower restart priority, and a VM a dependency
rule makes wait, restart only once the VMs before them are ready
(ClusterVmReadiness's condition and postReadyDelay, in model time), or once
their restartPriorityTimeout ran out; dependency rules may not wait in a
circle; RetrieveDasAdvancedRuntimeInfo's heartbeat datastores follow
heartbeatDatastore, hBDatastoreCandidatePolicy, das.heartbeatDsPerHost and
all-paths-down; VM monitoring resets a guest whose heartbeats stopped (the
control surface's vm/hang, an NMI's crash) by its ClusterVmToolsMonitoringSettings;
a recovered host takes VMs back through a DRS pass."""
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import task_fault
from tests.controlling import act, control, model_time  # noqa: F401 (module fixture)
from tests.test_drs import cluster, clusters, sim  # noqa: F401 (a cluster per test)
from tests.test_drs import events_of, overloaded, placement, reconfigure, settle
from tests.test_ha import GB, enable_ha, events, fail, new_vm, recover


def configure(cluster, **spec):
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(**spec),
                                                        modify=True))


def depend(cluster, vms, awaited):
    """A dependency rule: `vms` wait for `awaited`."""
    groups = [('%s-waits' % cluster.name, vms), ('%s-first' % cluster.name, awaited)]
    configure(cluster, groupSpec=[vim.cluster.GroupSpec(operation='add', info=vim.cluster.VmGroup(
        name=name, vm=members)) for name, members in groups], rulesSpec=[
        vim.cluster.RuleSpec(operation='add', info=vim.cluster.DependencyRuleInfo(
            name='%s-order' % cluster.name, enabled=True, vmGroup=groups[0][0],
            dependsOnVmGroup=groups[1][0]))])


def readiness(vm, condition, delay):
    return vim.cluster.VmOrchestrationSpec(operation='add', info=vim.cluster.VmOrchestrationInfo(
        vm=vm, vmReadiness=vim.cluster.VmReadiness(readyCondition=condition,
                                                   postReadyDelay=delay)))


def restarted(si, cluster):
    return [e.vm.vm for e in events(si, 'VmRestartedOnAlternateHostEvent', entity=cluster)]


def advance(sim, seconds):
    act(sim, 'time/advance', {'seconds': seconds})


def test_priorities_and_dependencies_wait_for_readiness(si, sim, cluster):
    hosts = list(cluster.host)
    db, loner, app, web = (new_vm(si, cluster, hosts[0], name, reservation=0)
                           for name in ('db', 'loner', 'app', 'web'))
    enable_ha(cluster, admission=False, overrides=[(db, 'high'), (loner, 'high'),
                                                   (app, 'high'), (web, 'medium')])
    depend(cluster, [app], [db])
    configure(cluster, vmOrchestrationSpec=[readiness(db, 'guestHbStatusGreen', 600)])
    fail(sim, hosts[0])
    # db and loner at once; app waits for db, web for the high priority VMs
    assert restarted(si, cluster) == [db, loner]
    assert app.runtime.powerState == web.runtime.powerState == 'poweredOff'
    advance(sim, 580)      # (the wall clock runs on meanwhile: a margin for it)
    assert restarted(si, cluster) == [db, loner]
    advance(sim, 20)
    assert restarted(si, cluster) == [db, loner, app, web]
    assert all(vm.runtime.powerState == 'poweredOn' and vm.runtime.host != hosts[0]
               for vm in (db, loner, app, web))
    recover(sim, hosts[0])


def test_readiness_never_met_waits_for_the_timeout_or_recovery(si, sim, cluster):
    hosts = list(cluster.host)
    first, second = (new_vm(si, cluster, hosts[0], name, reservation=0)
                     for name in ('first', 'second'))
    enable_ha(cluster, admission=False, overrides=[(first, 'high'), (second, 'low')])
    # the simulated applications never report a heartbeat: appHbStatusGreen is never met
    configure(cluster, vmOrchestrationSpec=[readiness(first, 'appHbStatusGreen', 0)],
              dasVmConfigSpec=[vim.cluster.DasVmConfigSpec(
                  operation='edit', info=vim.cluster.DasVmConfigInfo(
                      key=first, dasSettings=vim.cluster.DasVmSettings(
                          restartPriority='high', restartPriorityTimeout=30)))])
    fail(sim, hosts[0])
    assert restarted(si, cluster) == [first]
    advance(sim, 30)
    assert restarted(si, cluster) == [first, second]
    recover(sim, hosts[0])
    # without a timeout the low priority VM waits until a host recovers
    configure(cluster, dasVmConfigSpec=[vim.cluster.DasVmConfigSpec(
        operation='edit', info=vim.cluster.DasVmConfigInfo(
            key=first, dasSettings=vim.cluster.DasVmSettings(
                restartPriority='high', restartPriorityTimeout=-1)))])
    for vm in (first, second):
        WaitForTask(vm.MigrateVM_Task(host=hosts[1], priority='defaultPriority'))
    fail(sim, hosts[1])
    assert restarted(si, cluster) == [first, second, first]
    advance(sim, 3600)
    assert second.runtime.powerState == 'poweredOff'
    recover(sim, hosts[1])
    assert restarted(si, cluster) == [first, second, first, second]
    assert second.runtime.powerState == 'poweredOn'


def test_dependency_rules_may_not_wait_in_a_circle(si, sim, cluster):
    hosts = list(cluster.host)
    one, two = (new_vm(si, cluster, hosts[0], name, reservation=0, power_on=False)
                for name in ('one', 'two'))
    depend(cluster, [one], [two])
    waits, first = '%s-waits' % cluster.name, '%s-first' % cluster.name
    refused = task_fault(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        rulesSpec=[vim.cluster.RuleSpec(operation='add', info=vim.cluster.DependencyRuleInfo(
            name='back', enabled=True, vmGroup=first, dependsOnVmGroup=waits))]), modify=True))
    assert isinstance(refused, vmodl.fault.InvalidArgument)
    assert [r.name for r in cluster.configurationEx.rule] == ['%s-order' % cluster.name]


def nas(host, name):
    return host.configManager.datastoreSystem.CreateNasDatastore(
        vim.host.NasVolume.Specification(remoteHost='nfs.example.com', remotePath='/' + name,
                                         localPath=name, accessMode='readWrite', type='NFS'))


def test_heartbeat_datastores_follow_the_policy(si, sim, cluster):
    hosts = list(cluster.host)
    local = [ds for ds in hosts[0].datastore if ds.name == 'LocalDS_0'][0]
    a, b, c = ([nas(host, 'nfs-%s-%s' % (cluster.name, name)) for host in hosts][0]
               for name in ('a', 'b', 'c'))
    enable_ha(cluster)

    def chosen():
        info = cluster.RetrieveDasAdvancedRuntimeInfo()
        return [(h.datastore, list(h.hosts)) for h in info.heartbeatDatastoreInfo]

    def das(**fields):
        configure(cluster, dasConfig=vim.cluster.DasConfigInfo(**fields))

    # two per host, the most widely mounted first, then by name
    assert chosen() == [(local, hosts), (a, hosts)]
    das(heartbeatDatastore=[c])    # allFeasibleDsWithUserPreference: the user's first
    assert chosen() == [(c, hosts), (local, hosts)]
    das(hBDatastoreCandidatePolicy='userSelectedDs')
    assert chosen() == [(c, hosts)]
    act(sim, 'datastore/apd', {'datastore': c._moId, 'hosts': [hosts[0]._moId]})
    assert chosen() == [(c, hosts[1:])]
    act(sim, 'datastore/recover', {'datastore': c._moId})
    das(hBDatastoreCandidatePolicy='allFeasibleDs')
    assert chosen() == [(local, hosts), (a, hosts)]
    das(option=[vim.option.OptionValue(key='das.heartbeatDsPerHost', value='3')])
    assert chosen() == [(local, hosts), (a, hosts), (b, hosts)]


def vm_events(si, vm, kind):
    return events(si, kind, entity=vm)


def test_vm_monitoring_resets_a_guest_whose_heartbeats_stopped(si, sim, cluster):
    hosts = list(cluster.host)
    hung, ignored = (new_vm(si, cluster, hosts[0], name, reservation=0)
                     for name in ('hung', 'ignored'))
    folder = si.RetrieveContent().rootFolder.childEntity[0].vmFolder
    task = folder.CreateVM_Task(vim.vm.ConfigSpec(
        name='%s-windows' % cluster.name, numCPUs=1, memoryMB=64, guestId='windows2019srv_64Guest',
        files=vim.vm.FileInfo(vmPathName='[LocalDS_0]')), pool=cluster.resourcePool,
        host=hosts[1])
    WaitForTask(task)
    crashed = task.info.result
    WaitForTask(crashed.PowerOnVM_Task())
    # a guest without running tools sends no heartbeats to stop
    assert control(sim, 'POST', 'vm/hang', {'vm': hung._moId})[0] == 409
    for vm in (hung, ignored, crashed):
        WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(extraConfig=[vim.option.OptionValue(
            key='SET.guest.toolsRunningStatus', value='guestToolsRunning')])))
    configure(cluster, dasConfig=vim.cluster.DasConfigInfo(
        enabled=True, admissionControlEnabled=False, vmMonitoring='vmMonitoringOnly',
        defaultVmSettings=vim.cluster.DasVmSettings(
            vmToolsMonitoringSettings=vim.cluster.VmToolsMonitoringSettings(
                failureInterval=300, minUpTime=600, maxFailures=2, maxFailureWindow=7200))),
        dasVmConfigSpec=[vim.cluster.DasVmConfigSpec(
            operation='add', info=vim.cluster.DasVmConfigInfo(
                key=ignored, dasSettings=vim.cluster.DasVmSettings(
                    vmToolsMonitoringSettings=vim.cluster.VmToolsMonitoringSettings(
                        clusterSettings=False, vmMonitoring='vmMonitoringDisabled'))))])
    for vm in (hung, ignored):
        assert act(sim, 'vm/hang', {'vm': vm._moId})['guestHeartbeatStatus'] == 'red'
    assert hung.guestHeartbeatStatus == 'red' and hung.summary.quickStats.guestHeartbeatStatus \
        == 'red'
    booted = hung.runtime.bootTime
    advance(sim, 580)      # minUpTime runs from the boot (a margin for the wall clock)
    assert vm_events(si, hung, 'VmDasBeingResetEvent') == []
    advance(sim, 20)
    [reset] = vm_events(si, hung, 'VmDasBeingResetEvent')
    assert reset.reason == 'vmtoolsHeartbeatFailure'
    assert hung.guestHeartbeatStatus == 'green' and hung.runtime.bootTime > booted
    assert hung.runtime.powerState == 'poweredOn'
    act(sim, 'vm/hang', {'vm': hung._moId})
    advance(sim, 600)
    assert len(vm_events(si, hung, 'VmDasBeingResetEvent')) == 2
    act(sim, 'vm/hang', {'vm': hung._moId})    # maxFailures within the window: left alone
    advance(sim, 1200)
    assert len(vm_events(si, hung, 'VmDasBeingResetEvent')) == 2
    assert hung.guestHeartbeatStatus == 'red'
    assert ignored.guestHeartbeatStatus == 'red'
    assert vm_events(si, ignored, 'VmDasBeingResetEvent') == []
    # a Windows guest's bug check after an NMI stops its heartbeats too
    crashed.SendNMI()
    assert crashed.guest.guestKernelCrashed and crashed.guestHeartbeatStatus == 'red'
    advance(sim, 300)      # booted long enough ago: failureInterval after the crash
    [reset] = vm_events(si, crashed, 'VmDasBeingResetEvent')
    assert reset.reason == 'guestOsCrashFailure' and not crashed.guest.guestKernelCrashed
    WaitForTask(hung.PowerOffVM_Task())
    assert control(sim, 'POST', 'vm/hang', {'vm': hung._moId})[0] == 409
    assert control(sim, 'POST', 'vm/hang', {'vm': 'vm-nope'})[0] == 404


def test_recovery_brings_the_host_back_and_drs_rebalances(si, sim, cluster):
    hosts = list(cluster.host)
    busy = overloaded(si, sim, cluster)     # four busy VMs on the first host
    reconfigure(cluster, enabled=True, defaultVmBehavior='fullyAutomated', vmotionRate=3)
    enable_ha(cluster, admission=False)
    cluster.RefreshRecommendation()
    settle(sim)
    fail(sim, hosts[0])
    assert all(vm.runtime.host != hosts[0] and vm.runtime.powerState == 'poweredOn'
               for vm in busy)
    seen = max(e.key for e in events_of(si, 'DrsVmMigratedEvent', busy))
    recover(sim, hosts[0])        # reconnects, then a DRS pass moves VMs back onto it
    settle(sim)
    moved = [e for e in events_of(si, 'DrsVmMigratedEvent', busy) if e.key > seen]
    assert moved and all(e.host.host == hosts[0] for e in moved)
    assert sorted(list(placement(busy).values()).count(h.name) for h in hosts) == [1, 1, 2]
    summary = cluster.summary
    assert sum(summary.numVmsPerDrsScoreBucket) == len(busy)
    assert 0 <= summary.drsScore <= 100


def test_the_fdm_master_is_elected_and_stays_when_the_old_one_returns(si, sim, cluster):
    hosts = sorted(cluster.host, key=lambda h: h._moId)   # lexically: the last one wins
    enable_ha(cluster, admission=False)

    def states():
        return {h: (h.runtime.dasHostState.state, h.runtime.dasHostState.stateReporter)
                for h in hosts}

    first, second, third = hosts[2], hosts[1], hosts[0]
    assert states() == {first: ('master', first), second: ('connectedToMaster', first),
                        third: ('connectedToMaster', first)}
    fail(sim, first)       # an election among the others
    assert states() == {first: ('hostDown', second), second: ('master', second),
                        third: ('connectedToMaster', second)}
    recover(sim, first)    # the new master stays
    assert states()[second] == ('master', second) and states()[first] == (
        'connectedToMaster', second)
    fail(sim, third, 'isolation')
    assert states()[third] == ('networkIsolated', third)
    recover(sim, third)
    WaitForTask(second.EnterMaintenanceMode_Task(timeout=0))   # out of the fault domain
    assert states() == {first: ('master', first), second: ('uninitialized', None),
                        third: ('connectedToMaster', first)}
    WaitForTask(second.ExitMaintenanceMode_Task(timeout=0))
    assert states()[first] == ('master', first)
    configure(cluster, dasConfig=vim.cluster.DasConfigInfo(enabled=False))
    assert all(h.runtime.dasHostState is None for h in hosts)


def test_failover_capacity_lost_and_restored_has_its_events_and_alarm(si, sim, cluster):
    hosts = list(cluster.host)
    enable_ha(cluster)
    for index in (0, 1):       # one 3 GB slot per host: two VMs leave one host spare
        new_vm(si, cluster, hosts[index], 'slot%d' % index, reservation=3 * GB)
    assert events(si, 'InsufficientFailoverResourcesEvent', entity=cluster) == []
    fail(sim, hosts[2])
    [short] = events(si, 'InsufficientFailoverResourcesEvent', entity=cluster)
    assert short.key > events(si, 'DasHostFailedEvent', entity=cluster)[0].key
    alarms = {state.alarm.info.name: state.overallStatus
              for state in cluster.triggeredAlarmState}
    assert alarms.get('Insufficient vSphere HA failover resources') == 'red'
    recover(sim, hosts[2])
    assert len(events(si, 'FailoverLevelRestored', entity=cluster)) == 1
    assert len(events(si, 'InsufficientFailoverResourcesEvent', entity=cluster)) == 1
