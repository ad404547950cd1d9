"""vSphere Fault Tolerance over pyVmomi: compatibility, turning FT on
(CreateSecondaryVM(Ex)_Task: the secondary's placement, files, ftInfo and
faultToleranceState, seen by a second session's WaitForUpdatesEx), power
driven by the primary, the secondary's refusals, suspending and resuming
protection, failover (MakePrimaryVM_Task, TerminateFaultTolerantVM_Task, a
host failure under HA), turning FT off, and record / replay's NotSupported.

A simulator of its own: DC0_C0 is HA-enabled with FT logging and vMotion
VMkernel NICs selected on its three hosts; DC0_C1 is HA-enabled without
them; DC0_C2 has no HA."""
import os

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from vimsim.managed.storage.datastore_files import local_path as datastore_local_path
from vimsim.managed.storage.datastore_files import namespace, split_path
from tests.conftest import _simulator, all_of, logged_in, on_reactor, task_fault
from tests.controlling import act
from tests.watching import Watcher

KB = 1024


@pytest.fixture(scope='module')
def sim(validator):
    """Three clusters of three hosts, no VMs (see the module doc)."""
    return _simulator(validator, tls=False, autostart=False, cluster=3, vm=0)


@pytest.fixture(scope='module')
def module_si(sim):
    """A session for the module's fixtures."""
    yield from logged_in(sim)


def cluster_named(si, name):
    return si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/host/' + name)


def enable_ha(cluster):
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        dasConfig=vim.cluster.DasConfigInfo(enabled=True, hostMonitoring='enabled',
                                            admissionControlEnabled=False)), modify=True))


def select_nics(host, *nic_types):
    for nic_type in nic_types:
        host.configManager.virtualNicManager.SelectVnicForNicType(
            nic_type, '%s.key-vim.host.VirtualNic-vmk0' % nic_type)


@pytest.fixture(scope='module')
def clusters(module_si):
    ft, no_nics, no_ha = (cluster_named(module_si, 'DC0_C%d' % n) for n in range(3))
    enable_ha(ft)
    enable_ha(no_nics)
    for host in ft.host:
        select_nics(host, 'faultToleranceLogging', 'vmotion')
    return ft, no_nics, no_ha


@pytest.fixture
def cluster(clusters):
    return clusters[0]


def new_vm(si, cluster, name, cpus=1, memory=128, host=None, power_on=True):
    """A VM with a PVSCSI controller and a 1 GB disk on LocalDS_0."""
    folder = si.RetrieveContent().rootFolder.childEntity[0].vmFolder
    controller = vim.vm.device.VirtualDeviceSpec(
        operation='add', device=vim.vm.device.ParaVirtualSCSIController(
            key=-1, busNumber=0, sharedBus='noSharing'))
    disk = vim.vm.device.VirtualDeviceSpec(
        operation='add', fileOperation='create', device=vim.vm.device.VirtualDisk(
            key=-2, controllerKey=-1, unitNumber=0, capacityInKB=1024 * KB,
            backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode='persistent')))
    task = folder.CreateVM_Task(vim.vm.ConfigSpec(
        name='%s-%s' % (cluster.name, name), numCPUs=cpus, memoryMB=memory,
        guestId='otherGuest64', files=vim.vm.FileInfo(vmPathName='[LocalDS_0]'),
        deviceChange=[controller, disk]), pool=cluster.resourcePool, host=host)
    WaitForTask(task)
    vm = task.info.result
    if power_on:
        WaitForTask(vm.PowerOnVM_Task())
    return vm


def events(si, vm, *types):
    spec = vim.event.EventFilterSpec(eventTypeId=list(types), entity=vim.event.EventFilterSpec
                                     .ByEntity(entity=vm, recursion='self'))
    return sorted(si.RetrieveContent().eventManager.QueryEvents(spec), key=lambda e: e.key)


def disk_files(vm):
    return [d.backing.fileName for d in vm.config.hardware.device
            if isinstance(d, vim.vm.device.VirtualDisk)]


def local_path(sim, name):
    """Where the datastore file `[ds] path` is on this machine (the
    datastores' namespace written out)."""
    ds_name, relative = split_path(name)
    ds = next(o for o in sim.sim.objects if o.type_name == 'Datastore' and o.name == ds_name)
    on_reactor(namespace(sim.sim).materialize)
    return on_reactor(datastore_local_path, ds, relative)


def turn_on(vm, host=None, spec=None):
    task = vm.CreateSecondaryVMEx_Task(host=host, spec=spec)
    WaitForTask(task)
    return task.info.result


def test_compatibility_is_what_keeps_the_vm_itself_from_ft(si, cluster):
    ok = new_vm(si, cluster, 'ok', power_on=False)
    assert ok.QueryFaultToleranceCompatibilityEx() == []
    assert ok.QueryFaultToleranceCompatibilityEx(forLegacyFt=False) == []
    big = new_vm(si, cluster, 'big', cpus=10, memory=132 * 1024, power_on=False)
    reasons = [f.reason for f in big.QueryFaultToleranceCompatibilityEx()]
    assert reasons == ['tooManyVCPUs', 'tooMuchMemory']
    issue = big.QueryFaultToleranceCompatibilityEx()[0]
    assert isinstance(issue, vim.fault.VmFaultToleranceConfigIssue)
    assert issue.entity == big and issue.entityName == big.name
    # legacy (record / replay) FT: one vCPU and thick disks only
    two = new_vm(si, cluster, 'two', cpus=2, power_on=False)
    assert two.QueryFaultToleranceCompatibilityEx() == []
    assert [f.reason for f in two.QueryFaultToleranceCompatibility()] == ['multipleVCPU']
    WaitForTask(ok.CreateSnapshot_Task('s1', memory=False, quiesce=False))
    assert [f.reason for f in ok.QueryFaultToleranceCompatibilityEx()] == ['hasSnapshots']
    WaitForTask(ok.RemoveAllSnapshots_Task())
    video = next(d for d in ok.config.hardware.device
                 if isinstance(d, vim.vm.device.VirtualVideoCard))
    video.enable3DSupport = True
    WaitForTask(ok.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        vim.vm.device.VirtualDeviceSpec(operation='edit', device=video)])))
    assert [f.reason for f in ok.QueryFaultToleranceCompatibilityEx()] == \
        ['video3dEnabled']
    two.MarkAsTemplate()
    with pytest.raises(vmodl.fault.NotSupported):
        two.QueryFaultToleranceCompatibilityEx()


def test_turning_ft_on_makes_a_running_secondary_that_watchers_see(si, other, sim, cluster):
    hosts = list(cluster.host)
    primary = new_vm(si, cluster, 'pair', host=hosts[0])
    watcher = Watcher(other, primary, vim.VirtualMachine,
                      ['config.ftInfo', 'runtime.faultToleranceState'])
    spec = vim.vm.FaultToleranceConfigSpec(
        metaDataPath=vim.vm.FaultToleranceMetaSpec(metaDataDatastore=primary.datastore[0]),
        secondaryVmSpec=vim.vm.FaultToleranceVMConfigSpec(
            vmConfig=primary.datastore[0], disks=[vim.vm.FaultToleranceVMConfigSpec.FaultToleranceDiskSpec(
                disk=next(d for d in primary.config.hardware.device
                          if isinstance(d, vim.vm.device.VirtualDisk)),
                datastore=primary.datastore[0])]))
    result = turn_on(primary, spec=spec)
    assert isinstance(result, vim.vm.FaultToleranceSecondaryOpResult)
    secondary = result.vm
    assert result.powerOnAttempted and result.powerOnResult.attempted[0].vm == secondary
    assert secondary.name == primary.name + ' (secondary)'
    assert secondary.parent == primary.parent
    assert secondary.resourcePool == primary.resourcePool
    assert secondary.runtime.host != primary.runtime.host
    assert secondary.runtime.host in hosts
    assert secondary.runtime.powerState == 'poweredOn'
    assert secondary.config.uuid == primary.config.uuid
    assert secondary.config.instanceUuid != primary.config.instanceUuid
    for vm in (primary, secondary):
        assert vm.runtime.faultToleranceState == 'running'
        assert vm.summary.runtime.faultToleranceState == 'running'
        assert vm.config.flags.faultToleranceType == 'checkpointing'
    info = primary.config.ftInfo
    assert isinstance(info, vim.vm.FaultTolerancePrimaryConfigInfo)
    assert info.role == 1 and info.secondaries == [secondary]
    assert info.instanceUuids == [primary.config.instanceUuid, secondary.config.instanceUuid]
    assert info.configPaths == [primary.config.files.vmPathName,
                                secondary.config.files.vmPathName]
    second = secondary.config.ftInfo
    assert isinstance(second, vim.vm.FaultToleranceSecondaryConfigInfo)
    assert second.role == 2 and second.primaryVM == primary
    assert second.instanceUuids == info.instanceUuids
    # the secondary's own full copies of the disks, real files on the datastore
    [own], [copied] = disk_files(primary), disk_files(secondary)
    assert own != copied and copied.startswith('[LocalDS_0] ')
    assert os.path.exists(local_path(sim, copied))
    assert os.path.exists(local_path(sim, secondary.config.files.vmPathName))
    states = [(e.oldState, e.newState) for e in
              events(si, primary, 'VmFaultToleranceStateChangedEvent')]
    assert states == [('notConfigured', 'starting'), ('starting', 'running')]
    assert events(si, primary, 'VmSecondaryAddedEvent')
    seen = watcher.changes(until=lambda seen: any(
        path == 'runtime.faultToleranceState' and value == 'running'
        for _, _, path, _, value in seen))
    paths = {path: value for _, _, path, _, value in seen}
    assert paths['runtime.faultToleranceState'] == 'running'
    assert paths['config.ftInfo'].secondaries[0]._moId == secondary._moId
    # power follows the primary
    WaitForTask(primary.PowerOffVM_Task())
    assert secondary.runtime.powerState == 'poweredOff'
    assert primary.runtime.faultToleranceState == 'enabled'
    WaitForTask(primary.PowerOnVM_Task())
    assert secondary.runtime.powerState == 'poweredOn'
    assert primary.runtime.faultToleranceState == 'running'
    seen = watcher.changes(until=lambda seen: ['enabled', 'running'] == [
        value for _, _, path, _, value in seen if path == 'runtime.faultToleranceState'][-2:])
    # turning FT off removes the secondary and its files
    WaitForTask(primary.TurnOffFaultToleranceForVM_Task())
    assert primary.runtime.faultToleranceState == 'notConfigured'
    assert primary.config.ftInfo is None
    assert primary.config.flags.faultToleranceType == 'unset'
    assert secondary._moId not in {vm._moId for vm in all_of(si, vim.VirtualMachine)}
    assert not os.path.exists(local_path(sim, copied))
    assert os.path.exists(local_path(sim, own))
    assert events(si, primary, 'VmFaultToleranceTurnedOffEvent')
    seen = watcher.changes(until=lambda seen: any(
        path == 'runtime.faultToleranceState' and value == 'notConfigured'
        for _, _, path, _, value in seen))
    assert any(path == 'config.ftInfo' for _, _, path, _, _ in seen)


def test_the_secondary_takes_no_operation_of_its_own(si, cluster):
    hosts = list(cluster.host)
    primary = new_vm(si, cluster, 'refusals', host=hosts[0])
    secondary = turn_on(primary, host=hosts[1]).vm
    assert secondary.runtime.host == hosts[1]
    for call in (secondary.PowerOffVM_Task, secondary.PowerOnVM_Task, secondary.SuspendVM_Task,
                 secondary.ResetVM_Task, secondary.TerminateVM, secondary.Destroy_Task,
                 secondary.UnregisterVM, secondary.MarkAsTemplate,
                 secondary.TurnOffFaultToleranceForVM_Task,
                 lambda: secondary.ReconfigVM_Task(vim.vm.ConfigSpec(annotation='x')),
                 lambda: secondary.CreateSnapshot_Task('s', memory=False, quiesce=False),
                 lambda: secondary.CloneVM_Task(primary.parent, 'copy', vim.vm.CloneSpec(
                     location=vim.vm.RelocateSpec())),
                 secondary.QueryFaultToleranceCompatibility):
        try:
            answer = call()
        except vim.fault.InvalidOperationOnSecondaryVm as refused:
            assert refused.instanceUuid == secondary.config.instanceUuid
            continue
        if isinstance(answer, vim.Task):
            assert isinstance(task_fault(answer), vim.fault.InvalidOperationOnSecondaryVm)
        else:   # the compatibility query: it is a secondary
            assert [f.reason for f in answer] == ['ftSecondaryVm']
    assert secondary.runtime.powerState == 'poweredOn'
    # "Migrate Secondary": to another host, never its primary's
    refused = task_fault(secondary.MigrateVM_Task(priority='defaultPriority', host=hosts[0]))
    assert isinstance(refused, vim.fault.FaultToleranceAntiAffinityViolated)
    refused = task_fault(primary.MigrateVM_Task(priority='defaultPriority', host=hosts[1]))
    assert isinstance(refused, vim.fault.FaultToleranceAntiAffinityViolated)
    WaitForTask(secondary.MigrateVM_Task(priority='defaultPriority', host=hosts[2]))
    assert secondary.runtime.host == hosts[2] and secondary.runtime.powerState == 'poweredOn'
    # not into another pool
    pool = cluster.resourcePool.CreateResourcePool('ft-pool', vim.ResourceConfigSpec(
        cpuAllocation=vim.ResourceAllocationInfo(reservation=0, limit=-1, expandableReservation=True,
                                                 shares=vim.SharesInfo(level='normal')),
        memoryAllocation=vim.ResourceAllocationInfo(
            reservation=0, limit=-1, expandableReservation=True,
            shares=vim.SharesInfo(level='normal'))))
    refused = task_fault(primary.RelocateVM_Task(vim.vm.RelocateSpec(pool=pool)))
    assert isinstance(refused, vim.fault.CannotMoveFaultToleranceVm)
    assert refused.moveType == 'resourcePool'
    # the primary: its memory is fixed, no memory snapshot, no linked clone
    refused = task_fault(primary.ReconfigVM_Task(vim.vm.ConfigSpec(memoryMB=256)))
    assert isinstance(refused, vim.fault.FaultToleranceCannotEditMem)
    with pytest.raises(vmodl.fault.NotSupported):
        primary.CreateSnapshot_Task('m', memory=True, quiesce=False)
    refused = task_fault(primary.ReconfigVM_Task(vim.vm.ConfigSpec(
        ftInfo=vim.vm.FaultToleranceConfigInfo(role=1, instanceUuids=['x'], configPaths=['y']))))
    assert isinstance(refused, vmodl.fault.NotSupported)   # FT's own, not a client's
    issues = task_fault(primary.CreateSecondaryVM_Task())
    assert isinstance(issues, vim.fault.VmFaultToleranceOpIssuesList)
    assert [e.reason for e in issues.errors] == ['moreThanOneSecondary']
    # destroying the primary takes the secondary along
    WaitForTask(primary.PowerOffVM_Task())
    WaitForTask(primary.Destroy_Task())
    assert not {primary._moId, secondary._moId} & {
        vm._moId for vm in all_of(si, vim.VirtualMachine)}


def test_turning_ft_on_needs_ha_the_nics_and_another_host(si, clusters):
    ft, no_nics, no_ha = clusters
    vm = new_vm(si, no_ha, 'noha')
    assert isinstance(task_fault(vm.CreateSecondaryVM_Task()), vmodl.fault.NotSupported)
    vm = new_vm(si, no_nics, 'nonics')
    issues = task_fault(vm.CreateSecondaryVM_Task())
    assert isinstance(issues, vim.fault.VmFaultToleranceOpIssuesList)
    assert [(e.reason, e.entity) for e in issues.errors] == [
        ('missingFTLoggingNic', vm.runtime.host), ('missingVMotionNic', vm.runtime.host)]
    hosts = list(ft.host)
    vm = new_vm(si, ft, 'samehost', host=hosts[0])
    refused = task_fault(vm.CreateSecondaryVM_Task(host=hosts[0]))
    assert isinstance(refused, vim.fault.IncompatibleHostForFtSecondary)
    assert refused.host == hosts[0]
    assert isinstance(refused.error[0], vim.fault.FaultToleranceAntiAffinityViolated)
    refused = task_fault(vm.CreateSecondaryVM_Task(host=list(no_nics.host)[0]))
    assert isinstance(refused, vim.fault.IncompatibleHostForFtSecondary)
    assert vm.runtime.faultToleranceState == 'notConfigured'
    with pytest.raises(vmodl.fault.InvalidArgument):
        vm.CreateSecondaryVMEx_Task(spec=vim.vm.FaultToleranceConfigSpec(
            secondaryVmSpec=vim.vm.FaultToleranceVMConfigSpec(disks=[
                vim.vm.FaultToleranceVMConfigSpec.FaultToleranceDiskSpec(disk=vim.vm.device.VirtualDisk(key=9999),
                                              datastore=vm.datastore[0])])))
    with pytest.raises(vim.fault.InvalidState):
        vm.DisableSecondaryVM_Task(vm)
    WaitForTask(vm.PowerOffVM_Task())
    result = turn_on(vm)            # the primary off: created, not started
    assert not result.powerOnAttempted and result.powerOnResult is None
    assert result.vm.runtime.powerState == 'poweredOff'
    assert vm.runtime.faultToleranceState == 'enabled'
    assert result.vm.runtime.host != vm.runtime.host
    # no host left for the secondary: the primary runs unprotected
    others = [h for h in hosts if h != vm.runtime.host]
    for host in others:
        host.configManager.virtualNicManager.DeselectVnicForNicType('faultToleranceLogging',
                                                                    'vmk0')
    try:
        WaitForTask(vm.PowerOnVM_Task())
        assert vm.runtime.faultToleranceState == 'needSecondary'
        assert vm.runtime.needSecondaryReason
        assert result.vm.runtime.powerState == 'poweredOff'
        assert events(si, vm, 'VmNoCompatibleHostForSecondaryEvent')
    finally:
        for host in others:
            select_nics(host, 'faultToleranceLogging')
    WaitForTask(vm.DisableSecondaryVM_Task(result.vm))
    WaitForTask(vm.EnableSecondaryVM_Task(result.vm, others[-1]))
    assert vm.runtime.faultToleranceState == 'running'
    assert result.vm.runtime.host == others[-1]


def test_suspending_protection_and_failing_over(si, cluster):
    hosts = list(cluster.host)
    primary = new_vm(si, cluster, 'failover', host=hosts[0])
    name = primary.name
    secondary = turn_on(primary).vm
    WaitForTask(primary.DisableSecondaryVM_Task(secondary))
    assert primary.runtime.faultToleranceState == 'disabled'
    assert secondary.runtime.powerState == 'poweredOff'
    assert events(si, primary, 'VmSecondaryDisabledEvent')
    refused = task_fault(primary.DisableSecondaryVM_Task(secondary))
    assert isinstance(refused, vim.fault.SecondaryVmAlreadyDisabled)
    assert isinstance(task_fault(primary.MakePrimaryVM_Task(secondary)), vim.fault.InvalidState)
    task = primary.EnableSecondaryVM_Task(secondary)
    WaitForTask(task)
    assert task.info.result.powerOnAttempted
    assert primary.runtime.faultToleranceState == 'running'
    assert events(si, primary, 'VmSecondaryEnabledEvent')
    with pytest.raises(vim.fault.SecondaryVmNotRegistered):
        primary.MakePrimaryVM_Task(new_vm(si, cluster, 'stranger', power_on=False))
    # failover: the secondary is the primary now, under the primary's name
    WaitForTask(primary.MakePrimaryVM_Task(secondary))
    assert events(si, primary, 'VmPrimaryFailoverEvent')
    assert secondary.name == name and primary.name == name + ' (secondary)'
    assert secondary.config.ftInfo.role == 1 and secondary.config.ftInfo.secondaries == [primary]
    assert primary.config.ftInfo.primaryVM == secondary
    assert primary.runtime.powerState == 'poweredOn' == secondary.runtime.powerState
    assert secondary.runtime.faultToleranceState == 'running'
    assert primary.runtime.host != secondary.runtime.host
    # a test of FT: the secondary is killed and restarted
    with pytest.raises(vmodl.fault.InvalidArgument):
        secondary.TerminateFaultTolerantVM_Task(secondary)
    WaitForTask(secondary.TerminateFaultTolerantVM_Task(primary))
    assert events(si, primary, 'VmFaultToleranceVmTerminatedEvent')
    assert secondary.runtime.faultToleranceState == 'running'
    assert primary.runtime.powerState == 'poweredOn'


def test_a_failed_host_fails_over_to_the_secondary(si, sim, cluster):
    hosts = list(cluster.host)
    primary = new_vm(si, cluster, 'hostfail', host=hosts[0])
    secondary = turn_on(primary, host=hosts[1]).vm
    act(sim, 'host/fail', {'host': hosts[0]._moId, 'failure': 'power'})
    try:
        assert secondary.config.ftInfo.role == 1
        assert secondary.runtime.host == hosts[1] and secondary.runtime.powerState == 'poweredOn'
        assert primary.runtime.host == hosts[2] and primary.runtime.powerState == 'poweredOn'
        assert secondary.runtime.faultToleranceState == 'running'
        assert events(si, primary, 'VmPrimaryFailoverEvent')
        assert not events(si, primary, 'VmRestartedOnAlternateHostEvent')
    finally:
        act(sim, 'host/recover', {'host': hosts[0]._moId})
    # without HA, FT's test of a secondary restart is refused
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        dasConfig=vim.cluster.DasConfigInfo(enabled=False)), modify=True))
    try:
        refused = task_fault(secondary.TerminateFaultTolerantVM_Task())
        assert isinstance(refused, vim.fault.FaultToleranceVmNotDasProtected)
        assert refused.vm == secondary
    finally:
        enable_ha(cluster)


def test_record_and_replay_are_not_supported(si, cluster):
    vm = new_vm(si, cluster, 'record')
    task = vm.CreateSnapshot_Task('before', memory=False, quiesce=False)
    WaitForTask(task)
    for call in (lambda: vm.StartRecording_Task('rec'), vm.StopRecording_Task,
                 lambda: vm.StartReplaying_Task(task.info.result), vm.StopReplaying_Task):
        with pytest.raises(vmodl.fault.NotSupported):
            call()
    assert vm.runtime.recordReplayState == 'inactive'


def test_a_pair_replays_after_a_restart(validator, tmp_path):
    """-state: the calls that made and failed over a pair replay to the same
    model (moids, names, files, ftInfo, states and events)."""
    from pyVim.connect import Disconnect
    from tests.test_state import _restarted, _start, _stop, _stopped
    first = _start(validator, tmp_path)
    si = first.connect()
    cluster = cluster_named(si, 'DC0_C0')
    enable_ha(cluster)
    for host in cluster.host:
        select_nics(host, 'faultToleranceLogging', 'vmotion')
    primary = si.content.searchIndex.FindByInventoryPath('DC0/vm/DC0_C0_RP0_VM0')
    assert primary.QueryFaultToleranceCompatibilityEx() == []
    secondary = turn_on(primary).vm
    WaitForTask(primary.DisableSecondaryVM_Task(secondary))
    WaitForTask(primary.EnableSecondaryVM_Task(secondary))
    WaitForTask(primary.MakePrimaryVM_Task(secondary))
    assert secondary.runtime.faultToleranceState == 'running'
    Disconnect(si)
    _stop(_restarted(validator, tmp_path, _stopped(first)))
