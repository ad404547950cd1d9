"""HostStorageSystem's partitions and VMFS volumes through pyVmomi, as govc
host.storage.partition / host.storage.info and Ansible's vmware_host_scsidisk_info
and vmware_host_disk_info read and change them: four local disks with their
partition tables, partitions computed and written, VMFS formatted, extended
and grown by hand, unmounted (refused while VMs use it; the datastore
inaccessible) and mounted again, LUN state, unmap settings."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of
from tests.watching import Watcher, paths_of

BOOT = 'mpx.vmhba0:C0:T0:L0'


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)




def host_named(si, name='DC0_H0'):
    return next(h for h in all_of(si, vim.HostSystem) if h.name == name)


def lun(storage, name):
    return next(d for d in storage.storageDeviceInfo.scsiLun if d.canonicalName == name)


def test_disks_and_their_partition_tables(si):
    """vmware_host_scsidisk_info / vmware_host_disk_info: each disk, its
    size and its partitions; the boot disk holds the host's datastores."""
    storage = host_named(si).configManager.storageSystem
    disks = storage.storageDeviceInfo.scsiLun
    assert [d.canonicalName for d in disks][:3] == [BOOT, 'mpx.vmhba0:C0:T1:L0',
                                                   'mpx.vmhba0:C0:T2:L0']
    assert disks[3].canonicalName.startswith('naa.6000c29')
    assert len({d.uuid for d in disks}) == 4
    sizes = [d.capacity.block * d.capacity.blockSize >> 30 for d in disks]
    assert sizes == [1024, 200, 500, 2048]
    infos = storage.RetrieveDiskPartitionInfo([d.devicePath for d in disks] + ['/nope'])
    assert [i.deviceName for i in infos] == [d.devicePath for d in disks]
    boot = infos[0]
    assert boot.spec.partitionFormat == 'gpt'
    assert [(p.partition, p.type) for p in boot.spec.partition] == [
        (1, 'none'), (2, 'linuxNative'), (3, 'vmfs'), (5, 'linuxNative'), (6, 'linuxNative'),
        (7, 'vmkDiagnostic'), (8, 'linuxNative'), (9, 'vmkDiagnostic')]
    # the core dump partitions HostDiagnosticSystem offers are these
    diagnostic = host_named(si).configManager.diagnosticSystem
    assert [(d.id.diskName, d.id.partition) for d in diagnostic.QueryAvailablePartition()] == [
        (BOOT, 7), (BOOT, 9)]
    assert all(i.spec.partition == [] for i in infos[1:])
    free, = infos[1].layout.partition
    assert free.type == 'none' and free.start.block == 34


def test_compute_update_and_format(si, other):
    """govc host.storage.partition's flow by hand: compute a table from a
    layout, write it, format VMFS on it, attach a second partition as an
    extent, grow the last one and the volume over it."""
    host = host_named(si)
    storage = host.configManager.storageSystem
    disk = lun(storage, 'mpx.vmhba0:C0:T2:L0')
    lba = vim.host.DiskDimensions.Lba
    ranges = [vim.host.DiskPartitionInfo.BlockRange(
        type='vmfs', start=lba(blockSize=512, block=start), end=lba(blockSize=512, block=stop))
        for start, stop in ((2048, 2048 + (100 << 21) - 1), (2048 + (100 << 21),
                                                             2048 + (200 << 21) - 1))]
    info = storage.ComputeDiskPartitionInfo(
        devicePath=disk.devicePath, layout=vim.host.DiskPartitionInfo.Layout(
            total=lba(blockSize=512, block=disk.capacity.block), partition=ranges),
        partitionFormat='gpt')
    assert [(p.partition, p.startSector) for p in info.spec.partition] == [
        (1, 2048), (2, 2048 + (100 << 21))]
    assert info.layout.partition[-1].type == 'none'
    storage.UpdateDiskPartitions(disk.devicePath, info.spec)
    written, = storage.RetrieveDiskPartitionInfo([disk.devicePath])
    assert [p.endSector for p in written.spec.partition] == [p.endSector for p in
                                                             info.spec.partition]
    with pytest.raises(vmodl.fault.InvalidArgument):        # overlapping partitions
        bad = info.spec
        bad.partition[1].startSector = 4096
        storage.UpdateDiskPartitions(disk.devicePath, bad)

    watcher = Watcher(other, host, vim.HostSystem, ['datastore'])
    volume = storage.FormatVmfs(vim.host.VmfsVolume.Specification(
        extent=vim.host.ScsiDisk.Partition(diskName=disk.canonicalName, partition=1),
        majorVersion=6, volumeName='by-hand'))
    assert volume.capacity == 100 << 30 and volume.uuid
    assert paths_of(watcher.changes()) == {'datastore'}
    ds = next(d for d in host.datastore if d.name == 'by-hand')
    with pytest.raises(vim.fault.AlreadyExists):
        storage.FormatVmfs(vim.host.VmfsVolume.Specification(
            extent=vim.host.ScsiDisk.Partition(diskName=disk.canonicalName, partition=2),
            majorVersion=6, volumeName='by-hand'))
    path = '/vmfs/volumes/' + volume.uuid
    storage.AttachVmfsExtent(path, vim.host.ScsiDisk.Partition(
        diskName=disk.canonicalName, partition=2))
    assert ds.summary.capacity == 200 << 30 and len(ds.info.vmfs.extent) == 2

    grown = storage.ComputeDiskPartitionInfoForResize(
        partition=vim.host.ScsiDisk.Partition(diskName=disk.canonicalName, partition=2),
        blockRange=vim.host.DiskPartitionInfo.BlockRange(
            type='vmfs', start=lba(blockSize=512, block=2048 + (100 << 21)),
            end=lba(blockSize=512, block=2048 + (300 << 21) - 1)))
    with pytest.raises(vim.fault.HostConfigFault):            # the partition has not grown yet
        storage.ExpandVmfsExtent(path, vim.host.ScsiDisk.Partition(
            diskName=disk.canonicalName, partition=2))
    storage.UpdateDiskPartitions(disk.devicePath, grown.spec)
    storage.ExpandVmfsExtent(path, vim.host.ScsiDisk.Partition(
        diskName=disk.canonicalName, partition=2))
    assert ds.summary.capacity == 300 << 30
    # a partition the volume uses cannot be taken away
    with pytest.raises(vim.fault.HostConfigFault):
        shrunk = grown.spec
        shrunk.partition = shrunk.partition[:1]
        storage.UpdateDiskPartitions(disk.devicePath, shrunk)
    with pytest.raises(vim.fault.HostConfigFault):
        storage.UpgradeVmfs(path)
    with pytest.raises(vim.fault.HostConfigFault):
        storage.UnmountForceMountedVmfsVolume(volume.uuid)
    with pytest.raises(vim.fault.NotFound):
        storage.UnmountForceMountedVmfsVolume('no-such-volume')
    storage.UpgradeVmLayout()
    host.configManager.datastoreSystem.RemoveDatastore(ds)
    assert storage.RetrieveDiskPartitionInfo([disk.devicePath])[0].spec.partition == []


def test_unmount_makes_the_datastore_inaccessible(si, other):
    host = host_named(si, 'DC0_H0')
    storage = host.configManager.storageSystem
    used = next(d for d in host.datastore if d.vm)
    with pytest.raises(vim.fault.ResourceInUse):
        storage.UnmountVmfsVolume(used.info.vmfs.uuid)
    spare = lun(storage, 'mpx.vmhba0:C0:T1:L0')
    system = host.configManager.datastoreSystem
    spec = system.QueryVmfsDatastoreCreateOptions(spare.devicePath)[0].spec
    spec.vmfs.volumeName = 'unmountable'
    ds = system.CreateVmfsDatastore(spec)
    uuid = ds.info.vmfs.uuid
    watcher = Watcher(other, ds, vim.Datastore, ['summary.accessible', 'host'])
    storage.UnmountVmfsVolume(uuid)
    mount, = ds.host
    assert not mount.mountInfo.mounted and not mount.mountInfo.accessible
    assert not ds.summary.accessible
    changed = paths_of(watcher.changes())
    assert 'summary.accessible' in changed and any(p.startswith('host') for p in changed)
    info = next(m for m in host.config.fileSystemVolume.mountInfo if m.volume.uuid == uuid)
    assert not info.mountInfo.mounted
    with pytest.raises(vim.fault.InvalidState):
        storage.UnmountVmfsVolume(uuid)
    # unmounted, its disk may be detached, then attached and mounted again
    storage.DetachScsiLun(spare.uuid)
    assert lun(storage, spare.canonicalName).operationalState == ['off']
    task = storage.AttachScsiLunEx_Task([spare.uuid, 'no-such-lun'])
    WaitForTask(task)
    attached, missing = task.info.result
    assert attached.key == spare.uuid and attached.fault is None
    assert isinstance(missing.fault, vim.fault.NotFound)
    task = storage.MountVmfsVolumeEx_Task([uuid])
    WaitForTask(task)
    assert task.info.result[0].fault is None and ds.summary.accessible
    with pytest.raises(vim.fault.InvalidState):
        storage.MountVmfsVolume(uuid)
    with pytest.raises(vim.fault.NotFound):
        storage.MountVmfsVolume('00000000-00000000-0000-000000000000')
    WaitForTask(storage.UnmapVmfsVolumeEx_Task([uuid]))
    system.RemoveDatastore(ds)


def test_unmap_settings(si):
    host = host_named(si)
    storage = host.configManager.storageSystem
    ds = host.datastore[0]
    uuid = ds.info.vmfs.uuid
    option, = storage.QueryVmfsConfigOption()
    assert option.unmapBandwidthFixedValue.min == 100
    storage.UpdateVmfsUnmapPriority(uuid, 'none')
    assert ds.info.vmfs.unmapPriority == 'none'
    storage.UpdateVmfsUnmapBandwidth(uuid, vim.host.VmfsVolume.UnmapBandwidthSpec(
        policy='fixed', fixedValue=500, dynamicMin=0, dynamicMax=0))
    assert ds.info.vmfs.unmapBandwidthSpec.fixedValue == 500
    with pytest.raises(vmodl.fault.InvalidArgument):
        storage.UpdateVmfsUnmapBandwidth(uuid, vim.host.VmfsVolume.UnmapBandwidthSpec(
            policy='fixed', fixedValue=5, dynamicMin=0, dynamicMax=0))
    with pytest.raises(vmodl.fault.InvalidArgument):
        storage.UpdateVmfsUnmapPriority(uuid, 'high')
    storage.UpdateVmfsUnmapPriority(uuid, 'low')


def test_lun_state(si):
    storage = host_named(si).configManager.storageSystem
    spare = lun(storage, 'mpx.vmhba0:C0:T2:L0')
    storage.MarkPerenniallyReserved(spare.uuid, True)
    assert lun(storage, spare.canonicalName).perenniallyReserved
    system = host_named(si).configManager.datastoreSystem
    assert spare.canonicalName not in [d.canonicalName
                                       for d in system.QueryAvailableDisksForVmfs()]
    WaitForTask(storage.MarkPerenniallyReservedEx_Task([spare.uuid], False))
    assert not lun(storage, spare.canonicalName).perenniallyReserved
    task = storage.DetachScsiLunEx_Task([spare.uuid, lun(storage, BOOT).uuid])
    WaitForTask(task)
    detached, refused = task.info.result
    assert detached.fault is None and isinstance(refused.fault, vim.fault.ResourceInUse)
    with pytest.raises(vim.fault.HostConfigFault):
        storage.DeleteScsiLunState(BOOT)
    storage.DeleteScsiLunState(spare.canonicalName)
    assert lun(storage, spare.canonicalName).operationalState == ['ok']
    assert [d.canonicalName for d in storage.QueryAvailableSsds()] == [spare.canonicalName]
    task = storage.TurnDiskLocatorLedOn_Task([spare.uuid, 'nope'])
    WaitForTask(task)
    failed, = task.info.result
    assert failed.key == 'nope'
    WaitForTask(storage.TurnDiskLocatorLedOff_Task([spare.uuid]))
    with pytest.raises(vim.fault.HostConfigFault):
        storage.MarkForRemoval('vmhba0', True)
    assert storage.QueryUnresolvedVmfsVolume() == []
    result, = storage.ResolveMultipleUnresolvedVmfsVolumes([
        vim.host.UnresolvedVmfsResolutionSpec(extentDevicePath=[spare.devicePath],
                                              uuidResolution='forceMount')])
    assert isinstance(result.fault, vim.fault.NotFound)


def iscsi_hba(storage):
    return next(a for a in storage.storageDeviceInfo.hostBusAdapter
                if isinstance(a, vim.host.InternetScsiHba))


def test_iscsi_target_rescan_lun_vmfs(si, other):
    """vmware_host_iscsi then vmware_host_datastore: enable the software
    adapter, name it, add a send target and a static target with CHAP,
    rescan, find the new LUNs, make VMFS on one; removal is refused while
    it holds the datastore."""
    host = host_named(si, 'DC0_C0_H0')
    storage = host.configManager.storageSystem
    assert not storage.storageDeviceInfo.softwareInternetScsiEnabled
    watcher = Watcher(other, storage, vim.host.StorageSystem, ['storageDeviceInfo'])
    storage.UpdateSoftwareInternetScsiEnabled(True)
    assert paths_of(watcher.changes()) == {'storageDeviceInfo'}
    storage.UpdateSoftwareInternetScsiEnabled(True)             # a re-run changes nothing
    hba = iscsi_hba(storage)
    assert hba.device == 'vmhba65' and hba.isSoftwareBased
    assert hba.iScsiName.startswith('iqn.1998-01.com.vmware:dc0_c0_h0'.replace('_', '-'))
    storage.UpdateInternetScsiName('vmhba65', 'iqn.1998-01.com.vmware:esx-a')
    storage.UpdateInternetScsiAlias('vmhba65', 'esx-a')
    with pytest.raises(vim.fault.HostConfigFault):
        storage.UpdateInternetScsiName('vmhba65', 'not-an-iqn')
    with pytest.raises(vim.fault.NotFound):
        storage.UpdateInternetScsiName('vmhba99', 'iqn.1998-01.com.vmware:x')

    before = {d.canonicalName for d in storage.storageDeviceInfo.scsiLun}
    storage.AddInternetScsiSendTargets('vmhba65', [
        vim.host.InternetScsiHba.SendTarget(address='192.168.10.20')])
    assert {d.canonicalName for d in storage.storageDeviceInfo.scsiLun} == before
    storage.RescanAllHba()
    storage.RescanAllHba()                                      # found once
    static = vim.host.InternetScsiHba.StaticTarget(
        address='192.168.10.21', port=3260, iScsiName='iqn.2010-01.com.example:array.lun1')
    storage.AddInternetScsiStaticTargets('vmhba65', [static])
    with pytest.raises(vim.fault.HostConfigFault):
        storage.AddInternetScsiStaticTargets('vmhba65', [static])
    hba = iscsi_hba(storage)
    assert [t.address for t in hba.configuredSendTarget] == ['192.168.10.20']
    discovered = {(t.address, t.iScsiName, t.discoveryMethod, t.parent)
                  for t in hba.configuredStaticTarget}
    assert discovered == {
        ('192.168.10.20', 'iqn.2024-01.com.vimsim.array:192.168.10.20', 'sendTargetMethod',
         '192.168.10.20:3260'),
        ('192.168.10.21', 'iqn.2010-01.com.example:array.lun1', 'staticMethod', None)}
    info = storage.storageDeviceInfo
    new = [d for d in info.scsiLun if d.canonicalName not in before]
    assert len(new) == 2 and all(d.canonicalName.startswith('naa.6') for d in new)
    assert all(d.capacity.block * 512 == 100 << 30 and not d.localDisk for d in new)
    units = {u.lun: u for u in info.multipathInfo.lun}
    for disk in new:
        path, = units[disk.key].path
        assert isinstance(path.transport, vim.host.InternetScsiTargetTransport)
        assert path.name.startswith('vmhba65:C0:T')
    interface = next(i for i in info.scsiTopology.adapter if i.adapter == hba.key)
    assert len(interface.target) == 2

    chap = vim.host.InternetScsiHba.AuthenticationProperties(
        chapAuthEnabled=True, chapName='esx-a', chapSecret='s3cret',
        chapAuthenticationType='chapRequired')
    storage.UpdateInternetScsiAuthenticationProperties('vmhba65', chap)
    assert iscsi_hba(storage).authenticationProperties.chapName == 'esx-a'
    storage.UpdateInternetScsiAuthenticationProperties(
        'vmhba65', chap, vim.host.InternetScsiHba.TargetSet(staticTargets=[static]))
    target = next(t for t in iscsi_hba(storage).configuredStaticTarget
                  if t.iScsiName == static.iScsiName)
    assert target.authenticationProperties.chapAuthenticationType == 'chapRequired'
    with pytest.raises(vmodl.fault.InvalidArgument):
        storage.UpdateInternetScsiAuthenticationProperties(
            'vmhba65', vim.host.InternetScsiHba.AuthenticationProperties(
                chapAuthEnabled=True, chapAuthenticationType='always'))
    storage.UpdateInternetScsiDigestProperties('vmhba65', None,
                                               vim.host.InternetScsiHba.DigestProperties(
                                                   headerDigestType='digestPreferred',
                                                   dataDigestType='digestPreferred'))
    assert iscsi_hba(storage).digestProperties.headerDigestType == 'digestPreferred'
    storage.UpdateInternetScsiAdvancedOptions('vmhba65', None, [
        vim.host.InternetScsiHba.ParamValue(key='LoginTimeout', value=30)])
    assert [(o.key, o.value) for o in iscsi_hba(storage).advancedOptions] == [
        ('LoginTimeout', 30)]
    with pytest.raises(vmodl.fault.InvalidArgument):
        storage.UpdateInternetScsiAdvancedOptions('vmhba65', None, [
            vim.host.InternetScsiHba.ParamValue(key='LoginTimeout', value=999)])
    with pytest.raises(vim.fault.HostConfigFault):
        storage.UpdateInternetScsiDiscoveryProperties(
            'vmhba65', vim.host.InternetScsiHba.DiscoveryProperties(
                iSnsDiscoveryEnabled=True, slpDiscoveryEnabled=False,
                staticTargetDiscoveryEnabled=True, sendTargetsDiscoveryEnabled=True))
    with pytest.raises(vim.fault.HostConfigFault):
        storage.UpdateInternetScsiIPProperties(
            'vmhba65', vim.host.InternetScsiHba.IPProperties(dhcpConfigurationEnabled=True))

    # VMFS on the statically added LUN: not local, so clustered VMDKs may go there
    system = host.configManager.datastoreSystem
    lun1 = next(d for d in new if d.canonicalName in
                [a.canonicalName for a in system.QueryAvailableDisksForVmfs()])
    spec = system.QueryVmfsDatastoreCreateOptions(lun1.devicePath)[0].spec
    spec.vmfs.volumeName = 'iscsi-ds'
    ds = system.CreateVmfsDatastore(spec)
    assert ds.capability.clusteredVmdkSupported
    with pytest.raises(vim.fault.HostConfigFault):
        storage.UpdateSoftwareInternetScsiEnabled(False)
    system.RemoveDatastore(ds)
    storage.RemoveInternetScsiSendTargets('vmhba65', [
        vim.host.InternetScsiHba.SendTarget(address='192.168.10.20')])
    assert len(iscsi_hba(storage).configuredStaticTarget) == 1
    storage.RemoveInternetScsiStaticTargets('vmhba65', [static])
    with pytest.raises(vim.fault.NotFound):
        storage.RemoveInternetScsiStaticTargets('vmhba65', [static])
    assert {d.canonicalName for d in storage.storageDeviceInfo.scsiLun} == before
    storage.UpdateSoftwareInternetScsiEnabled(False)
    assert not storage.storageDeviceInfo.softwareInternetScsiEnabled
    assert not any(isinstance(a, vim.host.InternetScsiHba)
                   for a in storage.storageDeviceInfo.hostBusAdapter)
