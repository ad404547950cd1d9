"""ServiceInstance.ValidateMigration and QueryVMotionCompatibility (API 2.0)
with pyVmomi: the provisioning checker's rules, answered as MigrationEvents
(the kind telling a problem of the VM, of the pool, of the host) and as
HostVMotionCompatibility; NoActiveHostInCluster for a DRS cluster without a
usable host; not logged in the event history; NotSupported on ESX."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, logged_in
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
            WaitForTask(host.EnterMaintenanceMode_Task(0))
        with pytest.raises(vim.fault.NoActiveHostInCluster) as raised:
            si.ValidateMigration([vm])
        assert raised.value.computeResource == cluster
    finally:
        for host in hosts:
            WaitForTask(host.ExitMaintenanceMode_Task(0))
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


def test_esx_answers_not_supported(esx_si):
    si = esx_si
    vm = si.RetrieveContent().rootFolder.childEntity[0].vmFolder.childEntity[0]
    with pytest.raises(vmodl.fault.NotSupported):
        si.ValidateMigration([vm])
    with pytest.raises(vmodl.fault.NotSupported):
        si.QueryVMotionCompatibility(vm, [vm.runtime.host])
