"""VFFS volumes (HostStorageSystem) and the vFlash resource and cache
(HostVFlashManager) through pyVmomi, as the vSphere Client's "Virtual Flash
Resource Management" and PowerCLI's vFlash cmdlets drive them: format VFFS on
the host's free local SSD, extend it over another, unmount and mount it,
forget it and find it again; take it as the vFlash resource, reserve swap
cache on it, remove it (refused while in use); ConfigureVFlashResourceEx_Task
doing it all at once; refusals when there is no SSD or VFFS."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, task_fault
from tests.test_host_datastore_system import host_named
from tests.watching import Watcher, paths_of

SSD = '/vmfs/devices/disks/mpx.vmhba0:C0:T2:L0'          # 500 GiB, local, unpartitioned
SPINNING = '/vmfs/devices/disks/mpx.vmhba0:C0:T1:L0'     # 200 GiB, local, not an SSD


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


def vffs_mounts(host):
    return [m for m in host.config.fileSystemVolume.mountInfo
            if isinstance(m.volume, vim.host.VffsVolume)]


def lun_at(storage, path):
    return next(d for d in storage.storageDeviceInfo.scsiLun if d.devicePath == path)


def test_vffs_volume_lifecycle(si, other):
    host = host_named(si, 'DC0_H0')
    storage = host.configManager.storageSystem
    assert [d.devicePath for d in storage.QueryAvailableSsds()] == [SSD]
    with pytest.raises(vim.fault.HostConfigFault):          # not an SSD
        storage.FormatVffs(vim.host.VffsVolume.Specification(
            devicePath=SPINNING, majorVersion=1, volumeName='vffs'))
    with pytest.raises(vim.fault.NotFound):
        storage.QueryAvailableSsds(vffsPath='/vmfs/volumes/none')

    watcher = Watcher(other, host, vim.HostSystem, ['config.fileSystemVolume'])
    volume = storage.FormatVffs(vim.host.VffsVolume.Specification(
        devicePath=SSD, majorVersion=1, volumeName='vffs-a'))
    assert 'config.fileSystemVolume' in paths_of(watcher.changes())
    assert volume.type == 'VFFS' and volume.name == 'vffs-a'
    assert 499 << 30 < volume.capacity < 500 << 30
    extent, = volume.extent
    assert (extent.diskName, extent.partition) == ('mpx.vmhba0:C0:T2:L0', 1)
    mount, = vffs_mounts(host)
    assert mount.volume.uuid == volume.uuid and mount.mountInfo.mounted
    assert mount.mountInfo.path == '/vmfs/volumes/' + volume.uuid
    info, = storage.RetrieveDiskPartitionInfo([SSD])
    assert [p.type for p in info.spec.partition] == ['vffs']
    # one per host; the SSD is no longer free for VMFS or VFFS
    with pytest.raises(vim.fault.AlreadyExists):
        storage.FormatVffs(vim.host.VffsVolume.Specification(
            devicePath=SSD, majorVersion=1, volumeName='vffs-a'))
    with pytest.raises(vim.fault.HostConfigFault):
        storage.FormatVffs(vim.host.VffsVolume.Specification(
            devicePath=SPINNING, majorVersion=1, volumeName='vffs-b'))
    assert storage.QueryAvailableSsds() == []
    system = host.configManager.datastoreSystem
    assert 'mpx.vmhba0:C0:T2:L0' not in [d.canonicalName
                                         for d in system.QueryAvailableDisksForVmfs()]
    with pytest.raises(vim.fault.ResourceInUse):
        storage.DetachScsiLun(lun_at(storage, SSD).uuid)
    with pytest.raises(vim.fault.HostConfigFault):
        storage.UpdateDiskPartitions(SSD, vim.host.DiskPartitionInfo.Specification(
            partitionFormat='gpt', partition=[]))

    # extend over a second SSD
    spare = lun_at(storage, SPINNING)
    WaitForTask(storage.MarkAsSsd_Task(spare.uuid))
    assert [d.devicePath for d in storage.QueryAvailableSsds(vffsPath=volume.name)] == [
        SPINNING]
    storage.ExtendVffs('/vmfs/volumes/' + volume.uuid, SPINNING)
    grown, = vffs_mounts(host)
    assert len(grown.volume.extent) == 2 and grown.volume.capacity > 699 << 30
    with pytest.raises(vim.fault.HostConfigFault):           # in it already
        storage.ExtendVffs(volume.name, SPINNING)

    # unmount, forget, find again, destroy
    with pytest.raises(vim.fault.InvalidState):
        storage.MountVffsVolume(volume.uuid)
    with pytest.raises(vim.fault.HostConfigFault):
        storage.DeleteVffsVolumeState(volume.uuid)           # mounted
    storage.UnmountVffsVolume(volume.uuid)
    assert not vffs_mounts(host)[0].mountInfo.mounted
    with pytest.raises(vim.fault.InvalidState):
        storage.UnmountVffsVolume(volume.uuid)
    storage.DeleteVffsVolumeState(volume.uuid)
    assert vffs_mounts(host) == []
    with pytest.raises(vim.fault.NotFound):
        storage.MountVffsVolume(volume.uuid)
    storage.RescanVffs()
    found, = vffs_mounts(host)
    assert found.volume.uuid == volume.uuid and found.mountInfo.mounted
    storage.DestroyVffs(volume.name)
    assert vffs_mounts(host) == []
    assert all(storage.RetrieveDiskPartitionInfo([path])[0].spec.partition == []
               for path in (SSD, SPINNING))
    with pytest.raises(vim.fault.NotFound):
        storage.DestroyVffs(volume.name)
    WaitForTask(storage.MarkAsNonSsd_Task(spare.uuid))


def test_vflash_resource_and_cache(si, other):
    host = host_named(si, 'DC0_H0')
    manager = host.configManager.vFlashManager
    storage = host.configManager.storageSystem
    config = manager.vFlashConfigInfo
    assert config.vFlashResourceConfigInfo is None
    option, = config.vFlashCacheConfigInfo.vFlashModuleConfigOption
    assert option.vFlashModule == 'vfc'
    assert config.vFlashCacheConfigInfo.defaultVFlashModule == 'vfc'
    default = manager.HostGetVFlashModuleDefaultConfig('vfc')
    assert default.vFlashModule == 'vfc' and default.cacheMode == 'write_thru'
    assert option.blockSizeInKBOption.min <= default.blockSizeInKB <= option.blockSizeInKBOption.max
    with pytest.raises(vim.fault.NotFound):
        manager.HostGetVFlashModuleDefaultConfig('nope')
    cache = vim.host.VFlashManager.VFlashCacheConfigSpec(defaultVFlashModule='vfc',
                                                         swapCacheReservationInGB=10)
    with pytest.raises(vim.fault.HostConfigFault):           # no resource yet
        manager.HostConfigVFlashCache(cache)
    with pytest.raises(vim.fault.NotFound):
        manager.HostRemoveVFlashResource()
    with pytest.raises(vim.fault.HostConfigFault):
        manager.HostConfigureVFlashResource(
            vim.host.VFlashManager.VFlashResourceConfigSpec(vffsUuid='no-such-volume'))

    volume = storage.FormatVffs(vim.host.VffsVolume.Specification(
        devicePath=SSD, majorVersion=1, volumeName='vflash'))
    watcher = Watcher(other, host, vim.HostSystem, ['config.vFlashConfigInfo'])
    manager.HostConfigureVFlashResource(
        vim.host.VFlashManager.VFlashResourceConfigSpec(vffsUuid=volume.uuid))
    assert 'config.vFlashConfigInfo' in paths_of(watcher.changes())
    resource = manager.vFlashConfigInfo.vFlashResourceConfigInfo
    assert resource.vffs.uuid == volume.uuid and resource.capacity == volume.capacity
    assert host.config.vFlashConfigInfo.vFlashResourceConfigInfo.vffs.uuid == volume.uuid
    with pytest.raises(vim.fault.HostConfigFault):
        manager.HostConfigureVFlashResource(
            vim.host.VFlashManager.VFlashResourceConfigSpec(vffsUuid=volume.uuid))
    with pytest.raises(vim.fault.ResourceInUse):
        storage.UnmountVffsVolume(volume.uuid)
    with pytest.raises(vim.fault.ResourceInUse):
        storage.DestroyVffs(volume.name)

    manager.HostConfigVFlashCache(cache)
    assert manager.vFlashConfigInfo.vFlashCacheConfigInfo.swapCacheReservationInGB == 10
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.HostConfigVFlashCache(vim.host.VFlashManager.VFlashCacheConfigSpec(
            defaultVFlashModule='vfc', swapCacheReservationInGB=100000))
    with pytest.raises(vim.fault.HostConfigFault):
        manager.HostConfigVFlashCache(vim.host.VFlashManager.VFlashCacheConfigSpec(
            defaultVFlashModule='other', swapCacheReservationInGB=0))
    with pytest.raises(vim.fault.ResourceInUse):             # the swap cache holds it
        manager.HostRemoveVFlashResource()
    manager.HostConfigVFlashCache(vim.host.VFlashManager.VFlashCacheConfigSpec(
        defaultVFlashModule='vfc', swapCacheReservationInGB=0))
    manager.HostRemoveVFlashResource()
    assert manager.vFlashConfigInfo.vFlashResourceConfigInfo is None
    assert vffs_mounts(host) == []                           # destroyed with it


def test_configure_vflash_resource_ex(si):
    """The vSphere Client's "Add Capacity": VFFS made on the chosen SSDs
    and taken as the resource in one task; a device that cannot be used
    fails alone."""
    host = host_named(si, 'DC0_H0')
    manager = host.configManager.vFlashManager
    task = manager.ConfigureVFlashResourceEx_Task(devicePath=[SSD, SPINNING])
    WaitForTask(task)
    result = task.info.result
    assert list(result.devicePath) == [SSD, SPINNING]
    first, second = result.diskConfigurationResult
    assert first.success and first.devicePath == SSD
    assert not second.success and isinstance(second.fault, vim.fault.HostConfigFault)
    assert result.vffs.extent[0].diskName == 'mpx.vmhba0:C0:T2:L0'
    assert manager.vFlashConfigInfo.vFlashResourceConfigInfo.vffs.uuid == result.vffs.uuid
    manager.HostRemoveVFlashResource()

    # a host whose only free SSD is marked as spinning has none to offer: refused
    other_host = host_named(si, 'DC0_C0_H2')
    storage = other_host.configManager.storageSystem
    ssd = lun_at(storage, SSD)
    WaitForTask(storage.MarkAsNonSsd_Task(ssd.uuid))
    task = other_host.configManager.vFlashManager.ConfigureVFlashResourceEx_Task()
    assert isinstance(task_fault(task), vim.fault.HostConfigFault)
    assert other_host.configManager.vFlashManager.vFlashConfigInfo.vFlashResourceConfigInfo \
        is None
    WaitForTask(storage.MarkAsSsd_Task(ssd.uuid))
