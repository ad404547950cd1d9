"""VirtualMachineCompatibilityChecker and VirtualMachineProvisioningChecker
with pyVmomi: each CheckResult's errors are the faults the operation itself
then answers (PowerOnVM_Task, MigrateVM_Task, RelocateVM_Task), for pool
admission, host state, logical CPUs and power state; unset hosts of a DRS
cluster are each usable host, testType selects the tests, and bad arguments
answer InvalidArgument before a task exists. ServiceInstance's older
ValidateMigration and QueryVMotionCompatibility answer the same rules as
MigrationEvents (VM, pool and host problems each their own kind, not
logged) and HostVMotionCompatibility; NotSupported on ESX."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, logged_in, task_fault
from tests.test_admission import allocation, new_vms, pool_spec


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, autostart=False)


@pytest.fixture
def content(si):
    return si.RetrieveContent()


@pytest.fixture
def cluster(content):
    return content.searchIndex.FindByInventoryPath('/DC0/host/DC0_C0')


def results(task):
    WaitForTask(task)
    return task.info.result


def errors_by_host(found):
    return {result.host: [type(error) for error in result.error] for result in found}


def test_power_on_check_gives_the_fault_power_on_then_answers(si, content, cluster):
    pool = cluster.resourcePool.CreateResourcePool('checked', pool_spec(
        cpu=allocation(500, expandable=False)))
    first, second = new_vms(si, pool, 'chk', 2, cpu=300)
    checker = content.vmCompatibilityChecker
    [result] = results(checker.CheckPowerOn_Task(first, host=first.runtime.host))
    assert result.vm == first and result.host == first.runtime.host and result.error == []
    WaitForTask(first.PowerOnVM_Task())
    [result] = results(checker.CheckPowerOn_Task(second, host=second.runtime.host))
    [error] = result.error
    assert isinstance(error, vim.fault.InsufficientCpuResourcesFault)
    assert (error.unreserved, error.requested) == (200, 300)
    refused = task_fault(second.PowerOnVM_Task())
    assert type(refused) is type(error)
    assert (refused.unreserved, refused.requested) == (error.unreserved, error.requested)
    # a running VM: the check and the operation both answer InvalidPowerState
    [result] = results(checker.CheckPowerOn_Task(first, host=first.runtime.host))
    assert [type(e) for e in result.error] == [vim.fault.InvalidPowerState]
    assert isinstance(task_fault(first.PowerOnVM_Task()), vim.fault.InvalidPowerState)


def test_compatibility_reports_host_problems_per_host(si, content, cluster):
    wide = new_vms(si, cluster.resourcePool, 'wide-chk', 1, num_cpu=4)[0]
    checker = content.vmCompatibilityChecker
    hosts = list(cluster.host)
    # not a DRS cluster: the host must be named
    with pytest.raises(vmodl.fault.InvalidArgument):
        checker.CheckCompatibility_Task(wide)
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        drsConfig=vim.cluster.DrsConfigInfo(enabled=True)), True))
    WaitForTask(hosts[0].DisconnectHost_Task())
    try:
        found = results(checker.CheckCompatibility_Task(wide))
        # each connected host is tested; every one has too few logical CPUs
        assert set(errors_by_host(found)) == set(hosts[1:])
        assert all(kinds == [vim.fault.NotEnoughCpus] for kinds in errors_by_host(found).values())
        assert found[0].error[0].numCpuVm == 4 and found[0].error[0].numCpuDest == 2
        [result] = results(checker.CheckCompatibility_Task(wide, host=hosts[0]))
        assert [type(e) for e in result.error] == [vmodl.fault.HostNotConnected,
                                                   vim.fault.NotEnoughCpus]
        # testType chooses the tests: the pool has room, so nothing to report
        [result] = results(checker.CheckCompatibility_Task(
            wide, host=hosts[0], testType=['resourcePoolTests']))
        assert result.error == []
        assert isinstance(task_fault(wide.PowerOnVM_Task()), vim.fault.NotEnoughCpus)
    finally:
        WaitForTask(hosts[0].ReconnectHost_Task())
        WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
            drsConfig=vim.cluster.DrsConfigInfo(enabled=False)), True))


def test_bad_arguments_answer_invalid_argument(si, content, cluster):
    vm = new_vms(si, cluster.resourcePool, 'args', 1)[0]
    checker = content.vmCompatibilityChecker
    with pytest.raises(vmodl.fault.InvalidArgument):
        checker.CheckCompatibility_Task(vm, host=vm.runtime.host, testType=['noSuchTests'])
    other = content.searchIndex.FindByInventoryPath('/DC0/host/DC0_H0')
    with pytest.raises(vmodl.fault.InvalidArgument):   # a host outside the pool's cluster
        checker.CheckPowerOn_Task(vm, host=other.host[0], pool=cluster.resourcePool)


def test_migrate_check_gives_the_fault_migrate_then_answers(si, content, cluster):
    full = cluster.resourcePool.CreateResourcePool('full', pool_spec(
        cpu=allocation(100, expandable=False)))
    vm = new_vms(si, cluster.resourcePool, 'mover', 1, cpu=300)[0]
    WaitForTask(vm.PowerOnVM_Task())
    checker = content.vmProvisioningChecker
    host = vm.runtime.host
    [result] = results(checker.CheckMigrate_Task(vm, host=host, pool=full))
    [error] = result.error
    assert isinstance(error, vim.fault.InsufficientCpuResourcesFault)
    assert (error.unreserved, error.requested) == (100, 300)
    refused = task_fault(vm.MigrateVM_Task(pool=full, priority='defaultPriority'))
    assert isinstance(refused, vim.fault.InsufficientCpuResourcesFault)
    assert vm.resourcePool == cluster.resourcePool
    # a power state the VM is not in
    [result] = results(checker.CheckMigrate_Task(vm, host=host, state='poweredOff'))
    assert [type(e) for e in result.error] == [vim.fault.InvalidPowerState]
    # a disconnected target host, for the check and for RelocateVM_Task alike
    target = next(h for h in cluster.host if h != host)
    WaitForTask(target.DisconnectHost_Task())
    try:
        [result] = results(checker.CheckRelocate_Task(vm, vim.vm.RelocateSpec(host=target)))
        assert [type(e) for e in result.error] == [vmodl.fault.HostNotConnected]
        refused = task_fault(vm.RelocateVM_Task(vim.vm.RelocateSpec(host=target)))
        assert isinstance(refused, vmodl.fault.HostNotConnected)
    finally:
        WaitForTask(target.ReconnectHost_Task())
    [result] = results(checker.CheckRelocate_Task(vm, vim.vm.RelocateSpec(host=target)))
    assert result.error == [] and result.host == target
    WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(host=target)))
    assert vm.runtime.host == target


def test_vmotion_compatibility_per_vm_and_host(si, content, cluster):
    """Every (VM, host) pair, whatever their states: a 4-vCPU VM fits no
    2-thread host, a 1-vCPU one every host, a disconnected one included."""
    [narrow] = new_vms(si, cluster.resourcePool, 'vmo-narrow', 1)
    [wide] = new_vms(si, cluster.resourcePool, 'vmo-wide', 1, num_cpu=4)
    hosts = list(cluster.host)
    WaitForTask(hosts[1].DisconnectHost_Task())
    try:
        found = results(content.vmProvisioningChecker.QueryVMotionCompatibilityEx_Task(
            [narrow, wide], hosts))
    finally:
        WaitForTask(hosts[1].ReconnectHost_Task())
    assert [(r.vm, r.host) for r in found] == [(vm, h) for vm in (narrow, wide) for h in hosts]
    assert all(r.error == [] for r in found[:3])
    assert all([type(e) for e in r.error] == [vim.fault.NotEnoughCpus] for r in found[3:])
    assert isinstance(task_fault(wide.PowerOnVM_Task()), vim.fault.NotEnoughCpus)


def kinds(events):
    return [(type(event).__name__.rsplit('.', 1)[-1], type(event.fault).__name__.rsplit('.', 1)[-1])
            for event in events]


def test_validate_migration_reports_the_checkers_problems_as_events(si, content, cluster):
    full = cluster.resourcePool.CreateResourcePool('vm-full', pool_spec(
        cpu=allocation(100, expandable=False)))
    [vm] = new_vms(si, cluster.resourcePool, 'validated', 1, cpu=300)
    WaitForTask(vm.PowerOnVM_Task())
    host = vm.runtime.host
    target = next(h for h in cluster.host if h != host)
    assert si.ValidateMigration([vm], host=target) == []
    events = si.ValidateMigration([vm], host=host, pool=full)
    assert kinds(events) == [('MigrationResourceErrorEvent', 'InsufficientCpuResourcesFault')]
    [event] = events
    assert (event.fault.unreserved, event.fault.requested) == (100, 300)
    assert event.vm.vm == vm and event.dstPool.resourcePool == full
    assert event.dstHost.host == host and event.host.host == host
    assert event.fullFormattedMessage and event.userName
    # the checker finds the same, and the operation refuses with it
    checker = content.vmProvisioningChecker
    task = checker.CheckMigrate_Task(vm, host=host, pool=full)
    WaitForTask(task)
    assert [type(e) for e in task.info.result[0].error] == [type(event.fault)]
    # a power state the VM is not in, a disconnected host
    WaitForTask(target.DisconnectHost_Task())
    try:
        events = si.ValidateMigration([vm], state='poweredOff', host=target)
    finally:
        WaitForTask(target.ReconnectHost_Task())
    assert kinds(events) == [('MigrationErrorEvent', 'InvalidPowerState'),
                             ('MigrationHostErrorEvent', 'HostNotConnected')]
    assert events[1].dstHost.host == target
    # testType: the compatibility tests leave out the pool's admission
    latest = content.eventManager.latestEvent.key
    assert si.ValidateMigration([vm], host=host, pool=full, testType=['compatibilityTests']) == []
    assert len(si.ValidateMigration([vm], host=host, pool=full)) == 1
    # answered, not logged
    assert content.eventManager.latestEvent.key == latest
    WaitForTask(vm.PowerOffVM_Task())


def test_validate_migration_faults(si, content, cluster):
    [vm] = new_vms(si, cluster.resourcePool, 'validated-args', 1)
    with pytest.raises(vmodl.fault.InvalidArgument):
        si.ValidateMigration([vm], host=vm.runtime.host, testType=['hostTests'])
    with pytest.raises(vmodl.fault.InvalidArgument):   # not a DRS cluster: a host is needed
        si.ValidateMigration([vm])
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        drsConfig=vim.cluster.DrsConfigInfo(enabled=True)), True))
    hosts = list(cluster.host)
    try:
        # DRS: every usable host is tested
        assert si.ValidateMigration([vm]) == []
        for host in hosts:
            WaitForTask(host.DisconnectHost_Task())
        with pytest.raises(vim.fault.NoActiveHostInCluster) as raised:
            si.ValidateMigration([vm])
        assert raised.value.computeResource == cluster
    finally:
        for host in hosts:
            if host.runtime.connectionState != 'connected':
                WaitForTask(host.ReconnectHost_Task())
        WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
            drsConfig=vim.cluster.DrsConfigInfo(enabled=False)), True))


def test_vmotion_compatibility_per_host(si, cluster):
    [narrow] = new_vms(si, cluster.resourcePool, 'vmc-narrow', 1)
    [wide] = new_vms(si, cluster.resourcePool, 'vmc-wide', 1, num_cpu=4)
    hosts = list(cluster.host)
    found = si.QueryVMotionCompatibility(narrow, hosts)
    assert [(r.host, r.compatibility) for r in found] == [(h, ['cpu', 'software'])
                                                          for h in hosts]
    WaitForTask(hosts[1].DisconnectHost_Task())
    try:
        found = si.QueryVMotionCompatibility(wide, hosts[:2])
        assert [r.compatibility for r in found] == [['software'], []]
        found = si.QueryVMotionCompatibility(narrow, hosts[:2], compatibility=['cpu'])
        assert [r.compatibility for r in found] == [['cpu'], ['cpu']]
    finally:
        WaitForTask(hosts[1].ReconnectHost_Task())
    with pytest.raises(vmodl.fault.InvalidArgument):
        si.QueryVMotionCompatibility(narrow, hosts, compatibility=['memory'])


@pytest.fixture
def esx_si(esx):
    yield from logged_in(esx)


def test_validate_migration_on_esx_answers_not_supported(esx_si):
    si = esx_si
    vm = si.RetrieveContent().rootFolder.childEntity[0].vmFolder.childEntity[0]
    with pytest.raises(vmodl.fault.NotSupported):
        si.ValidateMigration([vm])
    with pytest.raises(vmodl.fault.NotSupported):
        si.QueryVMotionCompatibility(vm, [vm.runtime.host])
