"""vSphere HA with pyVmomi and the control surface: failing a host restarts
its VMs on the others by priority with vCenter's events; admission control
then refuses a power-on that would break the failover level; capacity gone
gives NotEnoughResourcesToStartVmEvent, retried at recovery; isolation
responses; the percentage and failover-host policies; datastore APD with
VM component protection; dasHostState and RetrieveDasAdvancedRuntimeInfo."""
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import on_reactor, task_fault
from tests.controlling import act, control, model_time  # noqa: F401 (module fixture)
from tests.test_drs import cluster, clusters, sim  # noqa: F401 (a cluster per test)

GB = 1024


def enable_ha(cluster, policy=None, admission=True, isolation='none', vmcp='disabled',
              overrides=()):
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        dasConfig=vim.cluster.DasConfigInfo(
            enabled=True, hostMonitoring='enabled', admissionControlEnabled=admission,
            admissionControlPolicy=policy or vim.cluster.FailoverLevelAdmissionControlPolicy(
                failoverLevel=1), vmComponentProtecting=vmcp,
            defaultVmSettings=vim.cluster.DasVmSettings(
                restartPriority='medium', isolationResponse=isolation,
                vmComponentProtectionSettings=vim.cluster.VmComponentProtectionSettings(
                    vmStorageProtectionForAPD='restartAggressive'))),
        dasVmConfigSpec=[vim.cluster.DasVmConfigSpec(
            operation='add', info=vim.cluster.DasVmConfigInfo(
                key=vm, dasSettings=vim.cluster.DasVmSettings(restartPriority=priority)))
            for vm, priority in overrides]), modify=True))


def new_vm(si, cluster, host, name, reservation=GB, power_on=True):
    folder = si.RetrieveContent().rootFolder.childEntity[0].vmFolder
    task = folder.CreateVM_Task(vim.vm.ConfigSpec(
        name='%s-%s' % (cluster.name, name), numCPUs=1, memoryMB=max(reservation, 64),
        guestId='otherGuest64', files=vim.vm.FileInfo(vmPathName='[LocalDS_0]'),
        memoryAllocation=vim.ResourceAllocationInfo(reservation=reservation)),
        pool=cluster.resourcePool, host=host)
    WaitForTask(task)
    vm = task.info.result
    if power_on:
        WaitForTask(vm.PowerOnVM_Task())
    return vm


def events(si, *types, entity=None):
    """The events of `types`, oldest first."""
    spec = vim.event.EventFilterSpec(eventTypeId=list(types))
    if entity is not None:
        spec.entity = vim.event.EventFilterSpec.ByEntity(entity=entity, recursion='all')
    return sorted(si.RetrieveContent().eventManager.QueryEvents(spec), key=lambda e: e.key)


def fail(sim, host, failure='power'):
    return act(sim, 'host/fail', {'host': host._moId, 'failure': failure})


def recover(sim, host):
    return act(sim, 'host/recover', {'host': host._moId})


def test_host_failure_restarts_by_priority_then_admission_refuses(si, sim, cluster):
    hosts = list(cluster.host)
    low = new_vm(si, cluster, hosts[0], 'low')
    high = new_vm(si, cluster, hosts[0], 'high')
    unprotected = new_vm(si, cluster, hosts[0], 'unprotected')
    other = new_vm(si, cluster, hosts[1], 'other')
    enable_ha(cluster, overrides=[(low, 'low'), (high, 'highest'), (unprotected, 'disabled')])
    assert cluster.summary.currentFailoverLevel == 1
    master = max(hosts, key=lambda h: h._moId)   # the same datastores: the highest moid
    assert [h.runtime.dasHostState.state for h in hosts] == [
        'master' if h == master else 'connectedToMaster' for h in hosts]
    answer = fail(sim, hosts[0])
    assert answer['connectionState'] == 'notResponding'
    assert hosts[0].runtime.connectionState == 'notResponding'
    assert hosts[0].runtime.dasHostState.state == 'hostDown'
    assert master.runtime.dasHostState.state == 'master'
    lost = events(si, 'HostConnectionLostEvent', entity=hosts[0])
    failed = events(si, 'DasHostFailedEvent', entity=cluster)
    assert lost and failed and failed[0].failedHost.host == hosts[0]
    restarted = events(si, 'VmRestartedOnAlternateHostEvent', entity=cluster)
    assert [e.vm.vm for e in restarted] == [high, low]           # by priority
    assert all(e.sourceHost.host == hosts[0] and e.host.host != hosts[0] for e in restarted)
    assert lost[0].key < failed[0].key < restarted[0].key
    for vm in (high, low):
        assert vm.runtime.powerState == 'poweredOn' and vm.runtime.host != hosts[0]
    assert unprotected.runtime.powerState == 'poweredOff' and unprotected.runtime.host == hosts[0]
    # two hosts of three slots each, one held back for a failure: three VMs run already
    extra = new_vm(si, cluster, hosts[1], 'extra', power_on=False)
    refused = task_fault(extra.PowerOnVM_Task())
    assert isinstance(refused, vim.fault.InsufficientFailoverResourcesFault)
    assert extra.runtime.powerState == 'poweredOff'
    assert other.runtime.powerState == 'poweredOn'
    recover(sim, hosts[0])
    assert hosts[0].runtime.connectionState == 'connected'
    assert events(si, 'HostConnectedEvent', entity=hosts[0])
    assert unprotected.runtime.powerState == 'poweredOff'
    WaitForTask(extra.PowerOnVM_Task())   # the third host is back: room again


def test_capacity_gone_then_restart_at_recovery(si, sim, cluster):
    hosts = list(cluster.host)
    enable_ha(cluster)
    first = new_vm(si, cluster, hosts[0], 'big0', reservation=3 * GB)
    new_vm(si, cluster, hosts[1], 'big1', reservation=3 * GB)
    third = new_vm(si, cluster, hosts[2], 'big2', reservation=3 * GB, power_on=False)
    # one slot per host: two VMs leave exactly one host's worth for a failure
    assert isinstance(task_fault(third.PowerOnVM_Task()),
                      vim.fault.InsufficientFailoverResourcesFault)
    enable_ha(cluster, admission=False)
    WaitForTask(third.PowerOnVM_Task())
    fail(sim, hosts[0])
    [refused] = events(si, 'NotEnoughResourcesToStartVmEvent', entity=cluster)
    assert refused.vm.vm == first and first.runtime.powerState == 'poweredOff'
    recover(sim, hosts[0])   # HA tries again: the host is back
    assert first.runtime.powerState == 'poweredOn'
    assert events(si, 'VmRestartedOnAlternateHostEvent', entity=first)


def test_isolation_response(si, sim, cluster):
    hosts = list(cluster.host)
    stays = new_vm(si, cluster, hosts[0], 'stays', reservation=0)
    moves = new_vm(si, cluster, hosts[0], 'moves', reservation=0)
    enable_ha(cluster, isolation='none')
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        dasVmConfigSpec=[vim.cluster.DasVmConfigSpec(
            operation='add', info=vim.cluster.DasVmConfigInfo(
                key=moves, dasSettings=vim.cluster.DasVmSettings(isolationResponse='powerOff')))]),
        modify=True))
    fail(sim, hosts[0], 'isolation')
    assert hosts[0].runtime.dasHostState.state == 'networkIsolated'
    assert hosts[0].runtime.powerState == 'poweredOn'
    assert events(si, 'DasHostIsolatedEvent', entity=cluster)[0].isolatedHost.host == hosts[0]
    assert stays.runtime.powerState == 'poweredOn' and stays.runtime.host == hosts[0]
    assert moves.runtime.powerState == 'poweredOn' and moves.runtime.host != hosts[0]
    assert events(si, 'VmPoweredOffEvent', entity=moves)
    status, answer = control(sim, 'POST', 'host/fail', {'host': hosts[0]._moId,
                                                        'failure': 'power'})
    assert status == 409
    recover(sim, hosts[0])
    status, answer = control(sim, 'POST', 'host/recover', {'host': hosts[0]._moId})
    assert status == 409 and 'has not failed' in answer['error']


def test_percentage_and_failover_host_policies(si, sim, cluster):
    hosts = list(cluster.host)
    enable_ha(cluster, policy=vim.cluster.FailoverResourcesAdmissionControlPolicy(
        cpuFailoverResourcesPercent=50, memoryFailoverResourcesPercent=50,
        autoComputePercentages=False))
    vms = [new_vm(si, cluster, hosts[n], 'pct%d' % n, reservation=2560, power_on=False)
           for n in range(3)]
    WaitForTask(vms[0].PowerOnVM_Task())
    info = cluster.summary.admissionControlInfo
    assert info.currentMemoryFailoverResourcesPercent < 100
    WaitForTask(vms[1].PowerOnVM_Task())
    # a third 2.5 GB reservation would leave less than half the memory unreserved
    assert isinstance(task_fault(vms[2].PowerOnVM_Task()),
                      vim.fault.InsufficientFailoverResourcesFault)
    enable_ha(cluster, policy=vim.cluster.FailoverHostAdmissionControlPolicy(
        failoverHosts=[hosts[2]]))
    assert isinstance(task_fault(vms[2].PowerOnVM_Task()),
                      vim.fault.InsufficientFailoverResourcesFault)
    [status] = cluster.summary.admissionControlInfo.hostStatus
    assert status.host == hosts[2] and status.status == 'green'
    # DRS places a VM elsewhere than on the failover host: where there is room
    WaitForTask(vms[1].PowerOffVM_Task())
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        drsConfig=vim.cluster.DrsConfigInfo(enabled=True, vmotionRate=5)), modify=True))
    WaitForTask(vms[2].PowerOnVM_Task())
    assert vms[2].runtime.host == hosts[1]


def test_advanced_runtime_info_counts_slots(si, sim, cluster):
    hosts = list(cluster.host)
    assert cluster.RetrieveDasAdvancedRuntimeInfo() is None   # HA off
    enable_ha(cluster)
    new_vm(si, cluster, hosts[0], 'slot0')
    new_vm(si, cluster, hosts[1], 'slot1')
    info = cluster.RetrieveDasAdvancedRuntimeInfo()
    assert isinstance(info, vim.cluster.DasFailoverLevelAdvancedRuntimeInfo)
    assert info.slotInfo.memoryMB == GB + 18 and info.slotInfo.cpuMHz == 32
    assert [s.slots for s in info.hostSlots] == [3, 3, 3]
    assert (info.totalSlots, info.usedSlots, info.unreservedSlots) == (9, 2, 4)
    assert (info.totalHosts, info.totalGoodHosts, info.totalVms) == (3, 3, 2)
    assert info.heartbeatDatastoreInfo[0].hosts == hosts


def test_datastore_apd_restarts_protected_vms(si, sim, cluster):
    hosts = list(cluster.host)
    vm = new_vm(si, cluster, hosts[0], 'apd', reservation=0)
    enable_ha(cluster, vmcp='enabled')
    datastore = vm.datastore[0]
    act(sim, 'datastore/apd', {'datastore': datastore._moId, 'hosts': [hosts[0]._moId]})
    assert vm.runtime.powerState == 'poweredOn' and vm.runtime.host != hosts[0]
    assert [e.eventTypeId for e in events(si, 'esx.problem.storage.apd.start',
                                          entity=hosts[0])] == ['esx.problem.storage.apd.start']
    act(sim, 'datastore/recover', {'datastore': datastore._moId})


def test_control_refusals(sim, cluster):
    assert control(sim, 'POST', 'host/fail', {'host': 'host-nope', 'failure': 'power'})[0] == 404
    host = cluster.host[0]._moId
    assert control(sim, 'POST', 'host/fail', {'host': host, 'failure': 'meteor'})[0] == 400
    assert control(sim, 'POST', 'host/fail', {'host': host})[0] == 400
    assert control(sim, 'POST', 'host/fail', {'host': host, 'failure': 'power',
                                              'extra': 1})[0] == 400
    assert control(sim, 'POST', 'datastore/apd', {'datastore': 'nope'})[0] == 404
    assert control(sim, 'POST', 'drs/pass', {'cluster': host})[0] == 404


def test_failures_are_refused_with_state(validator, tmp_path):
    """-state journals calls, not control actions: failures and DRS passes
    answer 409, as advancing time does."""
    from tests.test_state import _start, _stop
    running = _start(validator, tmp_path)
    try:
        cluster = on_reactor(lambda: next(o for o in running.sim.objects
                                          if o.type_name == 'ClusterComputeResource'))
        host = cluster.hosts[0].ref.value
        for path, document in (('host/fail', {'host': host, 'failure': 'power'}),
                               ('host/recover', {'host': host}),
                               ('drs/pass', {'cluster': cluster.ref.value})):
            status, answer = control(running, 'POST', path, document)
            assert status == 409 and '-state' in answer['error'], answer
        assert cluster.hosts[0].connection_state == 'connected'
    finally:
        _stop(running)
