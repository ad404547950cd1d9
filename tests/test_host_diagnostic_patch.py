"""A host's diagnostic (core dump) partitions and patch manager through
pyVmomi: the active partition read back through another session's
WaitForUpdatesEx, bulletins scanned, staged, installed and removed from the
simulated depot catalogue, and the faults of unreachable depots."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import task_fault
from tests import host_managers
from tests.host_managers import host_named
from tests.watching import Watcher, paths_of

sim = host_managers.sim     # the module's own simulator


LOCAL_DISK = 'mpx.vmhba0:C0:T0:L0'
DEPOT = 'https://depot.example.com/esxi/VMware-ESXi-8.0U3b-24280767-depot.zip'
OLD_DEPOT = 'file:///vmfs/volumes/datastore1/VMware-ESXi-8.0U2-22380479-depot.zip'
LIVE_DEPOT = 'http://10.0.0.5/ISM-Dell-Web-5.3.0.0-3339.VIB-ESX8i-Live.zip'
BASE = 'ESXi_8.0.3-0.0.24022510'
U3B = 'ESXi_8.0.3-0.35.24280767'
ISM = 'DEL-ESX-iSM_5.3.0.0-3339.DEL.800'


# -- diagnostic partitions ---------------------------------------------------------
def test_core_dump_partition(si, other):
    host = host_named(si)
    diagnostic = host.configManager.diagnosticSystem
    active = diagnostic.activePartition
    assert (active.id.diskName, active.id.partition) == (LOCAL_DISK, 9)
    assert (active.storageType, active.diagnosticType) == ('directAttached', 'singleHost')
    available = diagnostic.QueryAvailablePartition()
    assert [p.id.partition for p in available] == [7, 9]
    watcher = Watcher(other, diagnostic, vim.host.DiagnosticSystem, ['activePartition'])
    diagnostic.SelectActivePartition(available[0].id)
    assert diagnostic.activePartition.id.partition == 7
    assert paths_of(watcher.changes()) == {'activePartition'}
    diagnostic.SelectActivePartition(available[0].id)      # again: nothing changes
    assert watcher.changes(wait=1) == []
    diagnostic.SelectActivePartition(None)                 # core dumps off
    assert diagnostic.activePartition is None
    with pytest.raises(vim.fault.NotFound):
        diagnostic.SelectActivePartition(vim.host.ScsiDisk.Partition(
            diskName=LOCAL_DISK, partition=3))              # the VMFS partition
    diagnostic.SelectActivePartition(available[1].id)
    assert diagnostic.activePartition.id.partition == 9


def test_a_diagnostic_partition_made_on_a_free_disk(si):
    """The boot disk is full; a free disk is an option, its description is
    its table with a 2.5 GB vmkDiagnostic partition, and creating it (active)
    makes it the host's core dump partition, in the disk's partition table."""
    host = host_named(si)
    diagnostic = host.configManager.diagnosticSystem
    storage = host.configManager.storageSystem
    options = diagnostic.QueryPartitionCreateOptions('directAttached', 'singleHost')
    assert LOCAL_DISK not in [o.disk.canonicalName for o in options]
    assert 'mpx.vmhba0:C0:T1:L0' in [o.disk.canonicalName for o in options]
    assert diagnostic.QueryPartitionCreateOptions('networkAttached', 'singleHost') == []
    with pytest.raises(vmodl.fault.InvalidArgument):
        diagnostic.QueryPartitionCreateOptions('tape', 'singleHost')
    boot = storage.storageDeviceInfo.scsiLun[0]
    with pytest.raises(vim.fault.HostConfigFault):
        diagnostic.QueryPartitionCreateDesc(boot.uuid, 'singleHost')
    with pytest.raises(vim.fault.NotFound):
        diagnostic.QueryPartitionCreateDesc('0123456789abcdef', 'singleHost')
    free = next(o.disk for o in options if o.disk.canonicalName == 'mpx.vmhba0:C0:T1:L0')
    description = diagnostic.QueryPartitionCreateDesc(free.uuid, 'singleHost')
    spec = description.spec
    [new] = spec.partition.partition
    assert new.type == 'vmkDiagnostic' and new.partition == spec.id.partition == 1
    assert (new.endSector - new.startSector + 1) * 512 == 2560 << 20
    spec.active = True
    bad = vim.host.DiagnosticPartition.CreateSpec(
        storageType='directAttached', diagnosticType='singleHost',
        id=vim.host.ScsiDisk.Partition(diskName='mpx.vmhba9:C0:T0:L0', partition=1),
        partition=vim.host.DiskPartitionInfo.Specification(partition=[]))
    with pytest.raises(vim.fault.NotFound):
        diagnostic.CreateDiagnosticPartition(bad)
    bad.id.diskName = free.canonicalName       # a table without the new partition
    with pytest.raises(vmodl.fault.InvalidArgument):
        diagnostic.CreateDiagnosticPartition(bad)
    diagnostic.CreateDiagnosticPartition(spec)
    assert (diagnostic.activePartition.id.diskName,
            diagnostic.activePartition.id.partition) == (free.canonicalName, 1)
    assert (free.canonicalName, 1) in [(p.id.diskName, p.id.partition)
                                       for p in diagnostic.QueryAvailablePartition()]
    [info] = storage.RetrieveDiskPartitionInfo([free.devicePath])
    assert [(p.partition, p.type) for p in info.spec.partition] == [(1, 'vmkDiagnostic')]
    # removed by UpdateDiskPartitions, it is no longer the active one
    storage.UpdateDiskPartitions(free.devicePath, vim.host.DiskPartitionInfo.Specification(
        partitionFormat='gpt', partition=[]))
    assert diagnostic.activePartition is None


# -- patches ----------------------------------------------------------------------------
def _statuses(task):
    WaitForTask(task)
    return {status.id: status for status in task.info.result.status}


def test_scan_stage_install_and_remove_bulletins(si):
    host = host_named(si, 'DC0_C0_H1')
    patches = host.configManager.patchManager
    installed = _statuses(patches.QueryHostPatch_Task())
    assert set(installed) == {BASE} and installed[BASE].installed
    scanned = _statuses(patches.ScanHostPatchV2_Task(bundleUrls=[DEPOT, OLD_DEPOT]))
    assert scanned[U3B].applicable and not scanned[U3B].installed
    assert scanned[U3B].restartRequired and scanned[U3B].vmOffRequired
    old = scanned['ESXi_8.0.2-0.0.22380479']
    assert not old.applicable and old.reason == ['obsoleted']
    checked = patches.CheckHostPatch_Task(metaUrls=[LIVE_DEPOT])
    WaitForTask(checked)
    assert '<esxupdate-response>' in checked.info.result.xmlResult
    assert checked.info.result.status[0].applicable
    # the ESXi update needs maintenance mode; the live VIB installs at once
    staged = _statuses(patches.StageHostPatch_Task(bundleUrls=[DEPOT]))
    assert not staged[U3B].installed
    assert isinstance(task_fault(patches.InstallHostPatchV2_Task()), vim.fault.InvalidState)
    done = _statuses(patches.InstallHostPatchV2_Task(bundleUrls=[LIVE_DEPOT]))
    assert done[ISM].installed and done[ISM].installState == ['imageActive']
    again = _statuses(patches.InstallHostPatchV2_Task(bundleUrls=[LIVE_DEPOT]))
    assert again[ISM].installed and not again[ISM].applicable      # idempotent
    for vm in host.vm:          # maintenance mode waits for powered-on VMs
        if vm.runtime.powerState == 'poweredOn':
            WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(host.EnterMaintenanceMode_Task(timeout=0, evacuatePoweredOffVms=False))
    try:
        done = _statuses(patches.InstallHostPatchV2_Task())           # the staged update
        assert done[U3B].installed and done[U3B].restartRequired
    finally:
        WaitForTask(host.ExitMaintenanceMode_Task(timeout=0))
    assert set(_statuses(patches.QueryHostPatch_Task())) == {BASE, U3B, ISM}
    removed = _statuses(patches.UninstallHostPatch_Task(bulletinIds=[ISM]))
    assert not removed[ISM].installed
    error = task_fault(patches.UninstallHostPatch_Task(bulletinIds=[BASE]))
    assert isinstance(error, vim.fault.PlatformConfigFault) and 'base image' in error.text
    error = task_fault(patches.UninstallHostPatch_Task(bulletinIds=[ISM]))
    assert isinstance(error, vim.fault.PlatformConfigFault) and 'NoMatchError' in error.text
    assert set(_statuses(patches.QueryHostPatch_Task())) == {BASE, U3B}


def test_unreachable_depots(si):
    patches = host_named(si).configManager.patchManager
    for url in ('https://depot.example.com/missing-depot.zip', 'not a url',
                'ftp://depot.example.com/VMware-ESXi-8.0U3b-24280767-depot.zip'):
        error = task_fault(patches.ScanHostPatchV2_Task(metaUrls=[url]))
        assert isinstance(error, vim.fault.PlatformConfigFault)
        assert error.text.startswith('MetadataDownloadError') and url in error.text
    error = task_fault(patches.InstallHostPatchV2_Task(
        vibUrls=['https://depot.example.com/unknown.vib']))
    assert isinstance(error, vim.fault.PlatformConfigFault)
    with pytest.raises(vmodl.fault.InvalidArgument):
        patches.QueryHostPatch_Task(spec=vim.host.PatchManager.PatchManagerOperationSpec(
            proxy='proxy.example.com', port=70000))


def test_vsphere_25_methods(si):
    host = host_named(si, 'DC0_C0_H2')
    patches = host.configManager.patchManager
    repository = vim.host.PatchManager.Locator(url=OLD_DEPOT)
    task = patches.ScanHostPatch_Task(repository=repository)
    WaitForTask(task)
    assert [s.id for s in task.info.result] == ['ESXi_8.0.2-0.0.22380479']
    error = task_fault(patches.InstallHostPatch_Task(
        repository=repository, updateID='ESXi_8.0.2-0.0.22380479', force=False))
    assert isinstance(error, vim.fault.PatchSuperseded)
    error = task_fault(patches.ScanHostPatch_Task(
        repository=vim.host.PatchManager.Locator(url='https://nowhere.example.com/x.zip')))
    assert isinstance(error, vim.fault.PatchMetadataNotFound)
    live = vim.host.PatchManager.Locator(url=LIVE_DEPOT)
    error = task_fault(patches.InstallHostPatch_Task(repository=live, updateID='nope',
                                                     force=False))
    assert isinstance(error, vim.fault.PatchMetadataNotFound) and error.patchID == 'nope'
    WaitForTask(patches.InstallHostPatch_Task(repository=live, updateID=ISM, force=False))
    error = task_fault(patches.InstallHostPatch_Task(repository=live, updateID=ISM,
                                                     force=False))
    assert isinstance(error, vim.fault.PatchAlreadyInstalled)
