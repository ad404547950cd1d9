"""What Ansible's community.vmware modules rely on, reproduced with the
pyVmomi calls the modules make (no Ansible needed): each test names the
module whose task failed or reported a wrong value against vimsim.

A simulator of its own: some tests create VMs.
"""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import all_of, _simulator


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


def _named(si, kind, name):
    return next(e for e in all_of(si, kind) if e.name == name)


def test_cluster_resource_usage(si):
    """vmware_cluster_info: resource_summary = cluster.GetResourceUsage()."""
    cluster = _named(si, vim.ClusterComputeResource, 'DC0_C0')
    usage = cluster.GetResourceUsage()
    assert isinstance(usage, vim.cluster.ResourceUsageSummary)
    assert usage.cpuCapacityMHz == cluster.summary.effectiveCpu
    assert usage.memCapacityMB == cluster.summary.effectiveMemory
    assert 0 < usage.cpuUsedMHz < usage.cpuCapacityMHz
    assert 0 < usage.memUsedMB < usage.memCapacityMB
    capacity = sum(ds.summary.capacity for ds in cluster.datastore)
    free = sum(ds.summary.freeSpace for ds in cluster.datastore)
    assert usage.storageCapacityMB == capacity // 2**20
    assert usage.storageUsedMB == (capacity - free) // 2**20


def test_host_vsan_status(si):
    """vmware_host_facts: host.configManager.vsanSystem.QueryHostStatus()
    (a host outside vSAN: health unknown, node disabled, no uuids)."""
    host = _named(si, vim.HostSystem, 'DC0_C0_H0')
    status = host.configManager.vsanSystem.QueryHostStatus()
    assert status.health == 'unknown'
    assert status.nodeState.state == 'disabled'
    assert status.uuid is None and status.nodeUuid is None


def test_host_advanced_options(si):
    """vmware_host_config_info: host.configManager.advancedOption.QueryOptions();
    vmware_host_config_manager asks for single keys."""
    host = _named(si, vim.HostSystem, 'DC0_C0_H0')
    manager = host.configManager.advancedOption
    options = {o.key: o.value for o in manager.QueryOptions()}
    assert options['Misc.HostName'] == host.config.network.dnsConfig.hostName
    assert options == {o.key: o.value for o in manager.setting}
    assert [o.key for o in manager.QueryOptions('Misc.HostName')] == ['Misc.HostName']
    assert {o.key for o in manager.QueryOptions('UserVars.')} == {
        key for key in options if key.startswith('UserVars.')} > {
        'UserVars.SuppressShellWarning', 'UserVars.HostClientCEIPOptIn'}
    with pytest.raises(vim.fault.InvalidName):
        manager.QueryOptions('No.Such.Option')


def test_dvs_health_check_config(si):
    """vmware_dvswitch_info: settings.healthCheck from config.healthCheckConfig,
    which a vCenter always fills (both checks, disabled)."""
    dvs = _named(si, vim.DistributedVirtualSwitch, 'DVS0')
    checks = {type(c).__name__: c for c in dvs.config.healthCheckConfig}
    assert set(checks) == {'vim.dvs.VmwareDistributedVirtualSwitch.VlanMtuHealthCheckConfig',
                           'vim.dvs.VmwareDistributedVirtualSwitch.TeamingHealthCheckConfig'}
    assert not any(c.enable for c in checks.values())


def _create_vm(si, name):
    """As vmware_guest creates a VM: vmPathName '[datastore]', a new
    controller, and a disk with fileOperation create and no file name."""
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    cluster = _named(si, vim.ClusterComputeResource, 'DC0_C0')
    controller = vim.vm.device.VirtualDeviceSpec(
        operation='add', device=vim.vm.device.ParaVirtualSCSIController(
            key=-1, busNumber=0, sharedBus='noSharing'))
    disk = vim.vm.device.VirtualDeviceSpec(
        operation='add', fileOperation='create', device=vim.vm.device.VirtualDisk(
            key=-2, controllerKey=-1, unitNumber=0, capacityInKB=1024 * 1024,
            backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
                diskMode='persistent', thinProvisioned=True)))
    spec = vim.vm.ConfigSpec(name=name, guestId='otherLinux64Guest', numCPUs=1, memoryMB=128,
                             files=vim.vm.FileInfo(vmPathName='[LocalDS_0]'),
                             deviceChange=[controller, disk])
    task = dc.vmFolder.CreateVM_Task(config=spec, pool=cluster.resourcePool)
    WaitForTask(task)
    return task.info.result


def _disk_files(vm):
    return [d.backing.fileName for d in vm.config.hardware.device
            if isinstance(d, vim.vm.device.VirtualDisk)]


def test_created_vm_first_disk_is_named_after_the_vm(si):
    """vmware_guest (disk facts, hw_files): a new VM's first disk is
    '<name>.vmdk', not '<name>_1.vmdk'; a second one added later is '_1'."""
    vm = _create_vm(si, 'compat-disk')
    try:
        assert _disk_files(vm) == ['[LocalDS_0] compat-disk/compat-disk.vmdk']
        disk = vim.vm.device.VirtualDeviceSpec(
            operation='add', fileOperation='create', device=vim.vm.device.VirtualDisk(
                key=-3, controllerKey=1000, unitNumber=1, capacityInKB=1024 * 1024,
                backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode='persistent')))
        WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[disk])))
        assert _disk_files(vm) == ['[LocalDS_0] compat-disk/compat-disk.vmdk',
                                   '[LocalDS_0] compat-disk/compat-disk_1.vmdk']
    finally:
        WaitForTask(vm.Destroy_Task())


def test_vm_layout_config_and_log_files_are_relative(si):
    """vmware_guest_info (hw_files joins them to the vmx / log directory):
    layout.configFile and layout.logFile are relative to the VM's directory;
    disk and swap files are full datastore paths."""
    vm = _create_vm(si, 'compat-layout')
    try:
        WaitForTask(vm.PowerOnVM_Task())
        layout = vm.layout
        assert sorted(layout.configFile) == ['compat-layout.nvram', 'compat-layout.vmsd']
        assert layout.logFile == ['vmware.log']
        assert vm.config.files.logDirectory == '[LocalDS_0] compat-layout/'
        assert layout.disk[0].diskFile == ['[LocalDS_0] compat-layout/compat-layout.vmdk']
        assert layout.swapFile.startswith('[LocalDS_0] compat-layout/')
        WaitForTask(vm.PowerOffVM_Task())
    finally:
        WaitForTask(vm.Destroy_Task())


def test_vm_tools_last_install_info(si):
    """vmware_guest_tools_info: vm_tools_last_install_count reads
    config.tools.lastInstallInfo.counter, which a vCenter always sets."""
    vm = _named(si, vim.VirtualMachine, 'DC0_H0_VM0')
    assert vm.config.tools.lastInstallInfo.counter == 0


def test_create_resource_pool(si):
    """vmware_resource_pool (present / absent): CreateResourcePool with a
    spec whose shares give only a level; vCenter fills the share numbers."""
    cluster = _named(si, vim.ClusterComputeResource, 'DC0_C0')
    root = cluster.resourcePool

    def allocation(level):
        return vim.ResourceAllocationInfo(
            reservation=0, expandableReservation=True, limit=-1,
            shares=vim.SharesInfo(level=level, shares=0))
    spec = vim.ResourceConfigSpec(cpuAllocation=allocation('high'),
                                  memoryAllocation=allocation('normal'))
    pool = root.CreateResourcePool('compat-pool', spec)
    try:
        assert isinstance(pool, vim.ResourcePool)
        assert pool.parent == root and pool in root.resourcePool
        assert pool.owner == cluster and pool.name == 'compat-pool'
        assert pool.config.cpuAllocation.shares.shares == 8000
        assert pool.config.memoryAllocation.shares.shares == 163840
        assert pool.config.memoryAllocation.limit == -1
        with pytest.raises(vim.fault.DuplicateName):
            root.CreateResourcePool('compat-pool', spec)
        events = si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
            eventTypeId=['ResourcePoolCreatedEvent']))
        assert [(e.resourcePool.resourcePool, e.parent.resourcePool) for e in events] == [
            (pool, root)]
    finally:
        WaitForTask(pool.Destroy_Task())
    assert pool not in root.resourcePool
