"""HostStorageSystem: a host's storage adapters, devices and paths
(HostSystem.configManager.storageSystem), the part tools use.

The simulated host has three block adapters and four local disks on vmhba0
(storage_devices.py: the boot disk with the host's VMFS datastores and
three unclaimed ones), each reached by one path (vmhba0:C0:Tn:L0), claimed
by NMP with VMW_SATP_LOCAL and VMW_PSP_FIXED. `storageDeviceInfo`
describes them whole: adapters, LUNs, `scsiTopology`, `multipathInfo` and
`plugStoreTopology`, each naming the others' keys as ESXi's do. Detaching a
disk that backs a VMFS datastore answers ResourceInUse.

iSCSI LUNs and NVMe/TCP namespaces are the datacenter's arrays'
(iscsi_adapter.py, nvme_fabrics.py): the same device, partition table
included, on every host that adds the target or connects the subsystem,
so a rescan (RescanVmfs, RescanAllHba) mounts the VMFS volumes other hosts
made there, joining the same Datastore. The host's VFFS volume
(vffs_volume.py) lives on its local SSDs; HostVFlashManager builds on it.
"""
from vimsim.managed.host.config_managers import HostManagerObject, host_config_fault
from vimsim.managed.host.iscsi_adapter import (ISCSI_PORT, SOFTWARE_ADAPTER, SendTarget,
                                               SoftwareIscsiAdapter, Target, checked_advanced,
                                               checked_auth, checked_digest, lun_for,
                                               valid_iscsi_name)
from vimsim.managed.host.nvme_fabrics import (ADMIN_QUEUE_DEFAULT, ADMIN_QUEUE_MAX,
                                              ANY_CONTROLLER, DISCOVERY_PORTS,
                                              DYNAMIC_CONTROLLER, FIRST_CONTROLLER,
                                              KEEP_ALIVE_MAX, NAMESPACE_IDS, NVME_PORT,
                                              Controller, TcpAdapter, namespace_disk,
                                              nvme_address, subsystem_at)
from vimsim.managed.host.storage_devices import (FIXED, VMFS_VERSIONS, check_partitions,
                                                 SharedMedia, default_disks, disk_by,
                                                 partition_info, valid_mac,
                                                 valid_server_address, volume_uuid)
from vimsim.managed.host.vffs_volume import VFFS_MAJOR_VERSION, VffsVolume, whole_disk_vffs
from vimsim.managed.monitoring.event_manager import datacenter_of
from vimsim.managed.monitoring.task import run_task
from vimsim.soap.fault import InvalidArgument, NotFound, fault, localized

# (device, bus, model, driver, pci)
ADAPTERS = (('vmhba0', 3, 'PVSCSI SCSI Controller', 'pvscsi', '0000:03:00.0'),
            ('vmhba1', 0, 'PIIX4 for 430TX/440BX/MX IDE Controller', 'vmkata', '0000:00:07.1'),
            ('vmhba64', 0, 'PIIX4 for 430TX/440BX/MX IDE Controller', 'vmkata', '0000:00:07.1'))
# ESXi 8.0's path selection and storage array type plugins: (name, description)
PATH_SELECTION_POLICIES = (('VMW_PSP_MRU', 'Most Recently Used (VMware)'),
                           ('VMW_PSP_RR', 'Round Robin (VMware)'),
                           ('VMW_PSP_FIXED', 'Fixed (VMware)'))
ARRAY_TYPE_POLICIES = (('VMW_SATP_ALUA', 'Supports non-specific arrays that use the ALUA '
                                         'protocol'),
                       ('VMW_SATP_DEFAULT_AA', 'Supports non-specific active/active arrays'),
                       ('VMW_SATP_DEFAULT_AP', 'Supports non-specific active/passive arrays'),
                       ('VMW_SATP_LOCAL', 'Supports direct attached devices'))
LOCAL_ARRAY_TYPE = 'VMW_SATP_LOCAL'
ARRAY_TYPE = 'VMW_SATP_DEFAULT_AA'      # the shared devices' (iSCSI LUNs, NVMe namespaces)
UNMAP_BANDWIDTH_MB = (100, 2000)        # the fixed and dynamic unmap rates ESXi allows, MB/s

ADAPTER_KEY = 'key-vim.host.BlockHba-%s'
PLUGSTORE_ADAPTER_KEY = 'key-vim.host.PlugStoreTopology.Adapter-%s'


def lun_key(disk):
    return 'key-vim.host.ScsiDisk-%s' % disk.uuid


def multipath_lun_key(disk):
    return 'key-vim.host.MultipathInfo.LogicalUnit-%s' % disk.uuid


def plugstore_path_key(disk):
    return 'key-vim.host.PlugStoreTopology.Path-%s' % disk.path_name


def plugstore_target_key(disk):
    if disk.nvme_controller is not None:
        return 'key-vim.host.PlugStoreTopology.Target-%s' % disk.nvme_controller.name
    target = disk.iscsi_target
    if target is not None:
        return 'key-vim.host.PlugStoreTopology.Target-%s,%s:%d' % (
            target.iqn, target.address, target.port)
    return 'key-vim.host.PlugStoreTopology.Target-pscsi.0:%d' % disk.target


def transport(T, disk):
    """How the host reaches `disk`'s target: parallel SCSI, iSCSI, NVMe/TCP."""
    if disk.nvme_controller is not None:
        return T.HostTcpTargetTransport()
    target = disk.iscsi_target
    if target is None:
        return T.HostParallelScsiTargetTransport()
    return T.HostInternetScsiTargetTransport(
        iScsiName=target.iqn, iScsiAlias='', address=['%s:%d' % (target.address, target.port)])


def by_target(disks):
    """{SCSI target number: its disks} (an NVMe controller's namespaces
    share one target), in order."""
    found = {}
    for disk in disks:
        found.setdefault(disk.target, []).append(disk)
    return found


def durable_name(T, canonical_name):
    """An NAA device's durable name: its VPD page 0x83 NAA designator
    (type 3), as signed bytes; other devices have none."""
    if not canonical_name.startswith('naa.'):
        return None
    return T.ScsiLunDurableName(namespace='NAA', namespaceId=3, data=[
        b - 256 if b > 127 else b for b in bytes.fromhex(canonical_name[4:])])


def plugstore_device_key(disk):
    return 'key-vim.host.PlugStoreTopology.Device-%s' % disk.device_id


class HostStorageSystem(HostManagerObject):
    type_name = 'HostStorageSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.disks = default_disks()
        self.iscsi = None                   # the SoftwareIscsiAdapter, once enabled
        self.nfs_user = None                # SetNFSUser's Kerberos user
        self.vffs = None                    # the host's VffsVolume
        self.forgotten_vffs = None          # the one DeleteVffsVolumeState forgot, still on disk
        self.nvme_adapters = []             # TcpAdapters, CreateSoftwareAdapter's
        self.controllers_made = 0           # NVMe controllers connected so far (their numbers)

    # -- reading ---------------------------------------------------------------
    @property
    def storageDeviceInfo(self):
        """Built again only after a change (`report`): every read of the
        host's `config` holds it."""
        found = self.__dict__.get('_device_info')
        if found is None:
            found = self._device_info = self._device_info_now()
        return found

    def report(self, *names):
        if 'storageDeviceInfo' in names:
            self.__dict__.pop('_device_info', None)
        super().report(*names)

    def _device_info_now(self):
        T = self.host.T
        return T.HostStorageDeviceInfo(
            hostBusAdapter=[T.HostBlockHba(
                key=ADAPTER_KEY % device, device=device, bus=bus, status='unknown', model=model,
                driver=driver, pci=pci, storageProtocol='scsi')
                for device, bus, model, driver, pci in ADAPTERS] +
            ([self.iscsi.hba(T)] if self.iscsi is not None else []) +
            [adapter.hba(T) for adapter in self.nvme_adapters],
            scsiLun=[self.scsi_lun(T, disk) for disk in self.disks],
            scsiTopology=self._scsi_topology(T),
            multipathInfo=self._multipath_info(T), plugStoreTopology=self._plug_store(T),
            nvmeTopology=self._nvme_topology(T),
            softwareInternetScsiEnabled=self.iscsi is not None)

    @property
    def fileSystemVolumeInfo(self):
        return self.host.file_system_volume_info()

    @property
    def systemFile(self):
        return ['/var/log/vmware/hostd.log']

    def scsi_lun(self, T, disk):
        """The HostScsiDisk that describes `disk`."""
        return T.HostScsiDisk(
            deviceName=disk.device_path, deviceType='disk', key=lun_key(disk), uuid=disk.uuid,
            canonicalName=disk.canonical_name, displayName=disk.display_name, lunType='disk',
            vendor=disk.vendor, model=disk.model, revision='2.0 ', scsiLevel=6,
            serialNumber='unavailable', queueDepth=1024,
            operationalState=['ok' if disk.attached else 'off'],
            capabilities=T.ScsiLunCapabilities(updateDisplayNameSupported=True),
            vStorageSupport='vStorageUnsupported', protocolEndpoint=False,
            perenniallyReserved=disk.perennially_reserved, clusteredVmdkSupported=False,
            durableName=durable_name(T, disk.canonical_name),
            capacity=T.HostDiskDimensionsLba(blockSize=512, block=disk.blocks),
            devicePath=disk.device_path, ssd=disk.ssd, localDisk=disk.local,
            emulatedDIXDIFEnabled=False, vsanDiskInfo=self.vsan.disk_info(T, disk),
            scsiDiskType='native512')

    def adapter_names(self):
        return [device for device, _, _, _, _ in ADAPTERS] + (
            [SOFTWARE_ADAPTER] if self.iscsi is not None else []) + [
            adapter.device for adapter in self.nvme_adapters]

    def adapter_key(self, device):
        nvme = next((a for a in self.nvme_adapters if a.device == device), None)
        if nvme is not None:
            return nvme.key
        return 'key-vim.host.InternetScsiHba-%s' % device if device == SOFTWARE_ADAPTER \
            else ADAPTER_KEY % device

    def _attached(self, adapter=None):
        return [disk for disk in self.disks
                if disk.attached and (adapter is None or disk.adapter == adapter)]

    def _scsi_topology(self, T):
        return T.HostScsiTopology(adapter=[T.HostScsiTopologyInterface(
            key='key-vim.host.ScsiTopology.Interface-%s' % device,
            adapter=self.adapter_key(device),
            target=[T.HostScsiTopologyTarget(
                key='key-vim.host.ScsiTopology.Target-%s:0:%d' % (device, number),
                target=number,
                lun=[T.HostScsiTopologyLun(key='key-vim.host.ScsiTopology.Lun-%s' % disk.uuid,
                                           lun=disk.lun, scsiLun=lun_key(disk))
                     for disk in disks],
                transport=transport(T, disks[0]))
                for number, disks in by_target(self._attached(device)).items()])
            for device in self.adapter_names()])

    def _nvme_topology(self, T):
        """The NVMe adapters and their controllers (unset without adapters)."""
        if not self.nvme_adapters:
            return None
        return T.HostNvmeTopology(adapter=[T.HostNvmeTopologyInterface(
            key='key-vim.host.NvmeTopology.Interface-%s' % adapter.device,
            adapter=adapter.key,
            connectedController=[controller.controller(T) for controller in adapter.controllers])
            for adapter in self.nvme_adapters])

    def _multipath_info(self, T):
        return T.HostMultipathInfo(lun=[self._logical_unit(T, disk)
                                        for disk in self._attached()])

    def _logical_unit(self, T, disk):
        state = 'active' if disk.path_enabled else 'disabled'
        path = T.HostMultipathInfoPath(
            key='key-vim.host.MultipathInfo.Path-%s' % disk.path_name, name=disk.path_name,
            pathState=state, state=state, isWorkingPath=disk.path_enabled,
            adapter=self.adapter_key(disk.adapter), lun=multipath_lun_key(disk),
            transport=transport(T, disk))
        policy = T.HostMultipathInfoFixedLogicalUnitPolicy(policy=FIXED, prefer=disk.path_name) \
            if disk.path_policy == FIXED else \
            T.HostMultipathInfoLogicalUnitPolicy(policy=disk.path_policy)
        return T.HostMultipathInfoLogicalUnit(
            key=multipath_lun_key(disk), id=disk.uuid, lun=lun_key(disk), path=[path],
            policy=policy,
            storageArrayTypePolicy=T.HostMultipathInfoLogicalUnitStorageArrayTypePolicy(
                policy=ARRAY_TYPE if disk.shared else LOCAL_ARRAY_TYPE))

    def _plug_store(self, T):
        attached = self._attached()
        paths = [plugstore_path_key(disk) for disk in attached]
        return T.HostPlugStoreTopology(
            adapter=[T.HostPlugStoreTopologyAdapter(
                key=PLUGSTORE_ADAPTER_KEY % device, adapter=self.adapter_key(device),
                path=[plugstore_path_key(disk) for disk in self._attached(device)])
                for device in self.adapter_names()],
            path=[T.HostPlugStoreTopologyPath(
                key=plugstore_path_key(disk), name=disk.path_name, channelNumber=0,
                targetNumber=disk.target, lunNumber=disk.lun,
                adapter=PLUGSTORE_ADAPTER_KEY % disk.adapter, target=plugstore_target_key(disk),
                device=plugstore_device_key(disk)) for disk in attached],
            target=[T.HostPlugStoreTopologyTarget(
                key=plugstore_target_key(disk), transport=transport(T, disk))
                for disk in {plugstore_target_key(d): d for d in self.disks}.values()],
            device=[T.HostPlugStoreTopologyDevice(key=plugstore_device_key(disk),
                                                  lun=lun_key(disk),
                                                  path=[plugstore_path_key(disk)])
                    for disk in attached],
            plugin=[T.HostPlugStoreTopologyPlugin(
                key='key-vim.host.PlugStoreTopology.Plugin-NMP', name='NMP',
                device=[plugstore_device_key(disk) for disk in attached], claimedPath=paths)])

    @property
    def vsan(self):
        return self.host.managers['vsanSystem']

    def check_not_vsan(self, disk):
        """ResourceInUse while vSAN has claimed `disk` (a disk group's)."""
        if self.vsan.group_of(disk) is not None:
            raise fault('ResourceInUse', 'The device %s is claimed by vSAN.'
                        % disk.canonical_name, type='HostScsiDisk', name=disk.canonical_name)

    # -- checks ------------------------------------------------------------------
    def disk(self, uuid):
        """The disk with this uuid (NotFound)."""
        return disk_by(self.disks, uuid=uuid)

    def _disk_with_path(self, name):
        disk = next((d for d in self.disks if d.path_name == name), None)
        if disk is None:
            raise NotFound('The object or item referred to could not be found.')
        return disk

    def volumes_on(self, disk):
        """The VMFS datastores with an extent on `disk`: this host's, and on
        a shared LUN also those other hosts of the datacenter wrote there."""
        candidates = datacenter_of(self.server, self.host).datastores if disk.shared \
            else self.host.datastores
        return [ds for ds in candidates
                if any(name == disk.canonical_name for name, _ in ds.extents)]

    def medium(self, key):
        """The Medium of the datacenter's shared device `key`."""
        return SharedMedia.of(datacenter_of(self.server, self.host)).medium(key)

    def volumes_here(self, disk):
        """The datastores on `disk` this host has (mounted or unmounted)."""
        return [ds for ds in self.volumes_on(disk) if self.host in ds.hosts]

    def remove_volume_partitions(self, ds):
        """A VMFS volume is deleted: its partitions on this host's disks go
        (but one another volume names too)."""
        kept = {extent for other in self.host.datastores if other is not ds
                for extent in other.extents}
        for disk in self.disks:
            disk.partitions = [p for p in disk.partitions
                               if (disk.canonical_name, p.number) not in ds.extents
                               or (disk.canonical_name, p.number) in kept]

    def set(self, disk, name, value):
        """Change one fact of `disk`, reported to watchers of the device info."""
        if getattr(disk, name) != value:
            setattr(disk, name, value)
            self.report('storageDeviceInfo')

    # -- rescans -------------------------------------------------------------------
    def RescanAllHba(self, ctx):
        """The software iSCSI adapter's send targets report their targets;
        the local adapters have nothing new. VMFS volumes on the shared
        LUNs found are mounted, as hostd mounts them after a rescan."""
        if self.iscsi is not None:
            self._discover()
        self.RescanVmfs(ctx)

    def RescanHba(self, ctx, hbaDevice):
        if hbaDevice not in self.adapter_names():
            raise NotFound('The object or item referred to could not be found.')
        if hbaDevice == SOFTWARE_ADAPTER:
            self._discover()
        self.RescanVmfs(ctx)

    def RescanVmfs(self, ctx):
        """VMFS volumes other hosts made on shared LUNs this host sees join
        its datastores (the host's own are its datastores already)."""
        self.host.managers['datastoreSystem'].join_volumes(ctx)

    def RefreshStorageSystem(self, ctx):
        """Nothing changes the host's storage behind hostd's back."""

    # -- the disks --------------------------------------------------------------------
    def AttachScsiLun(self, ctx, lunUuid):
        disk = self.disk(lunUuid)
        if disk.attached:
            raise fault('InvalidState', 'The device is attached already.')
        self.set(disk, 'attached', True)

    def DetachScsiLun(self, ctx, lunUuid):
        disk = self.disk(lunUuid)
        if not disk.attached:
            raise fault('InvalidState', 'The device is detached already.')
        self._check_unused(disk)
        self.set(disk, 'attached', False)

    def _check_unused(self, disk):
        """ResourceInUse while a VMFS datastore this host mounts, or its VFFS
        volume, has an extent on `disk`."""
        volumes = [ds for ds in self.volumes_here(disk) if self.host not in ds.unmounted]
        if volumes:
            raise fault('ResourceInUse', 'The device backs datastore %s.' % volumes[0].name,
                        type='Datastore', name=volumes[0].name)
        vffs = self.vffs_on(disk)
        if vffs is not None:
            raise fault('ResourceInUse', 'The device backs VFFS volume %s.' % vffs.name,
                        type='HostVffsVolume', name=vffs.name)
        self.check_not_vsan(disk)

    def UpdateScsiLunDisplayName(self, ctx, lunUuid, displayName):
        disk = self.disk(lunUuid)
        if not displayName or not displayName.strip():
            raise fault('InvalidName', "The name '%s' is invalid." % displayName,
                        name=displayName)
        self.set(disk, 'display_name', displayName)

    def _mark(self, ctx, method, uuid, name, value):
        """The Mark* tasks: the device's claim rule changes, the device is
        reclaimed with its new flag."""
        def work(task):
            disk = self.disk(uuid)
            if not disk.attached:
                raise host_config_fault('The device is detached.')
            self.set(disk, name, value)
        return run_task(ctx, self.host, method, work)

    def MarkAsSsd_Task(self, ctx, scsiDiskUuid):
        return self._mark(ctx, 'MarkAsSsd_Task', scsiDiskUuid, 'ssd', True)

    def MarkAsNonSsd_Task(self, ctx, scsiDiskUuid):
        return self._mark(ctx, 'MarkAsNonSsd_Task', scsiDiskUuid, 'ssd', False)

    def MarkAsLocal_Task(self, ctx, scsiDiskUuid):
        return self._mark(ctx, 'MarkAsLocal_Task', scsiDiskUuid, 'local', True)

    def MarkAsNonLocal_Task(self, ctx, scsiDiskUuid):
        return self._mark(ctx, 'MarkAsNonLocal_Task', scsiDiskUuid, 'local', False)

    # -- multipathing -------------------------------------------------------------------
    def QueryPathSelectionPolicyOptions(self, ctx):
        T = self.host.T
        return [T.HostPathSelectionPolicyOption(policy=T.ElementDescription(
            key=key, label=key, summary=summary)) for key, summary in PATH_SELECTION_POLICIES]

    def QueryStorageArrayTypePolicyOptions(self, ctx):
        T = self.host.T
        return [T.HostStorageArrayTypePolicyOption(policy=T.ElementDescription(
            key=key, label=key, summary=summary)) for key, summary in ARRAY_TYPE_POLICIES]

    def SetMultipathLunPolicy(self, ctx, lunId, policy):
        disk = self.disk(lunId)
        if not disk.attached:
            raise NotFound('The object or item referred to could not be found.')
        if policy.policy not in dict(PATH_SELECTION_POLICIES):
            raise InvalidArgument('policy.policy')
        prefer = getattr(policy, 'prefer', None)
        if prefer is not None and prefer != disk.path_name:
            raise InvalidArgument('policy.prefer')
        self.set(disk, 'path_policy', policy.policy)

    def EnableMultipathPath(self, ctx, pathName):
        self.set(self._disk_with_path(pathName), 'path_enabled', True)

    def DisableMultipathPath(self, ctx, pathName):
        """The only path of a device that backs datastores cannot go."""
        disk = self._disk_with_path(pathName)
        if self.volumes_here(disk):
            raise host_config_fault('Path %s is the last path of a device in use.' % pathName)
        self.set(disk, 'path_enabled', False)

    # -- partitions ----------------------------------------------------------------------
    def RetrieveDiskPartitionInfo(self, ctx, devicePath):
        """The partition tables of the named disks (unknown paths are skipped)."""
        T = self.host.T
        known = {disk.device_path: disk for disk in self.disks}
        return [partition_info(T, known[path]) for path in devicePath if path in known]

    def ComputeDiskPartitionInfo(self, ctx, devicePath, layout, partitionFormat=None):
        """The partition table a layout describes: its ranges but the free
        (`none`) ones, numbered where the layout leaves them unnumbered."""
        check_format(partitionFormat)
        disk = disk_by(self.disks, path=devicePath)
        T = self.host.T
        entries = []
        numbers = {r.partition for r in layout.partition if r.partition}
        free_numbers = (n for n in range(1, 129) if n not in numbers)
        for r in layout.partition:
            if r.type == 'none' and not r.partition:
                continue
            entries.append(T.HostDiskPartitionAttributes(
                partition=r.partition or next(free_numbers, 0), startSector=r.start.block,
                endSector=r.end.block, type=r.type, logical=False, attributes=0))
        return partition_info(T, disk, check_partitions(disk, entries, 'layout.partition'))

    def ComputeDiskPartitionInfoForResize(self, ctx, partition, blockRange,
                                          partitionFormat=None):
        """The disk's table with one partition ending elsewhere (its start stays)."""
        check_format(partitionFormat)
        disk = disk_by(self.disks, name=partition.diskName)
        old = disk.partition(partition.partition)
        if old is None:
            raise NotFound('The object or item referred to could not be found.')
        if blockRange.start.block != old.start:
            raise InvalidArgument('blockRange.start')
        T = self.host.T
        entries = [T.HostDiskPartitionAttributes(
            partition=p.number, startSector=p.start,
            endSector=blockRange.end.block if p is old else p.end, type=p.type,
            logical=False, attributes=0) for p in disk.partitions]
        return partition_info(T, disk, check_partitions(disk, entries, 'blockRange'))

    def UpdateDiskPartitions(self, ctx, devicePath, spec):
        """Write a partition table; a partition a VMFS volume uses must stay
        (it may grow, for ExpandVmfsExtent)."""
        check_format(spec.partitionFormat)
        disk = disk_by(self.disks, path=devicePath)
        partitions = check_partitions(disk, spec.partition, 'spec.partition')
        vffs = self.vffs_on(disk)
        if vffs is not None:
            raise host_config_fault('%s holds VFFS volume %s.' % (disk.canonical_name, vffs.name))
        self.check_not_vsan(disk)
        for ds in self.volumes_on(disk):
            for name, number in ds.extents:
                old = disk.partition(number) if name == disk.canonical_name else None
                new = next((p for p in partitions if p.number == number), None)
                if old is not None and (new is None or new.start != old.start or
                                        new.type != 'vmfs' or new.end < old.end):
                    raise host_config_fault('Partition %d of %s holds datastore %s.'
                                            % (number, disk.canonical_name, ds.name))
        disk.partitions = partitions

    # -- VMFS volumes ------------------------------------------------------------------------
    def FormatVmfs(self, ctx, createSpec):
        """A VMFS volume on a free VMFS partition: a new datastore."""
        system = self.host.managers['datastoreSystem']
        if createSpec.majorVersion not in VMFS_VERSIONS:
            raise InvalidArgument('createSpec.majorVersion')
        name = createSpec.volumeName
        if any(ds.name == name for ds in self.host.datastores):
            raise fault('AlreadyExists', "The specified key, name, or identifier '%s' "
                        "already exists." % name, name=name)
        extent = system.free_extent(createSpec.extent, 'createSpec.extent')
        system.check_new_name(name)
        ds = system.make_vmfs(name, createSpec.majorVersion, [extent])
        system.post(ctx, 'VMFSDatastoreCreatedEvent', ds, datastoreUrl=ds.url)
        return ds.volume()

    def volume(self, uuid=None, path=None):
        """The host's VMFS datastore by volume uuid or /vmfs/volumes path (NotFound)."""
        for ds in self.host.datastores:
            if ds.fs_type == 'VMFS' and (ds.vmfs_uuid == uuid or
                                         path in (ds.path, '/vmfs/volumes/' + ds.name)):
                return ds
        raise NotFound('The object or item referred to could not be found.')

    def AttachVmfsExtent(self, ctx, vmfsPath, extent):
        ds = self.volume(path=vmfsPath)
        system = self.host.managers['datastoreSystem']
        disk, partition = system.free_extent(extent, 'extent')
        ds.extents = ds.extents + [(disk.canonical_name, partition.number)]
        system.grown(ctx, ds, 'VMFSDatastoreExtendedEvent')

    def ExpandVmfsExtent(self, ctx, vmfsPath, extent):
        """The volume grows over its extent's partition, which
        UpdateDiskPartitions grew."""
        ds = self.volume(path=vmfsPath)
        if (extent.diskName, extent.partition) not in ds.extents:
            raise NotFound('The object or item referred to could not be found.')
        system = self.host.managers['datastoreSystem']
        if system.vmfs_capacity(ds) <= ds.capacity:
            raise host_config_fault('The partition of extent %s:%d has not grown.'
                                    % (extent.diskName, extent.partition))
        system.grown(ctx, ds, 'VMFSDatastoreExpandedEvent')

    def UpgradeVmfs(self, ctx, vmfsPath):
        ds = self.volume(path=vmfsPath)
        raise host_config_fault('VMFS %d volume %s cannot be upgraded in place.'
                                % (ds.vmfs_major, ds.name))

    def UnmountForceMountedVmfsVolume(self, ctx, vmfsUuid):
        """Only a force-mounted copy of a volume goes this way; with no
        unresolved volumes there is none."""
        ds = self.volume(uuid=vmfsUuid)
        raise host_config_fault('The volume %s is not force-mounted.' % ds.name)

    def UpgradeVmLayout(self, ctx):
        """Every registered VM has the current (ESX 3 and later) layout already."""

    def MountVmfsVolume(self, ctx, vmfsUuid):
        ds = self.volume(uuid=vmfsUuid)
        if self.host not in ds.unmounted:
            raise fault('InvalidState', 'The volume %s is mounted already.' % ds.name)
        self._mounted(ds, True)

    def UnmountVmfsVolume(self, ctx, vmfsUuid):
        """Refused while VMs of this host have files there."""
        ds = self.volume(uuid=vmfsUuid)
        if self.host in ds.unmounted:
            raise fault('InvalidState', 'The volume %s is not mounted.' % ds.name)
        if any(getattr(vm, 'host', None) is self.host for vm in ds.vms):
            raise fault('ResourceInUse', 'The volume %s is in use.' % ds.name,
                        type='Datastore', name=ds.name)
        self._mounted(ds, False)

    def _mounted(self, ds, mounted):
        (ds.unmounted.discard if mounted else ds.unmounted.add)(self.host)
        ds.changed('host', 'summary')
        self.report('fileSystemVolumeInfo')

    def _each(self, ctx, method, keys, result_type, action):
        return per_key_task(ctx, self.host, self, method, keys, result_type, action)

    def MountVmfsVolumeEx_Task(self, ctx, vmfsUuid):
        return self._each(ctx, 'MountVmfsVolumeEx_Task', vmfsUuid,
                          'HostStorageSystemVmfsVolumeResult', self.MountVmfsVolume)

    def UnmountVmfsVolumeEx_Task(self, ctx, vmfsUuid):
        return self._each(ctx, 'UnmountVmfsVolumeEx_Task', vmfsUuid,
                          'HostStorageSystemVmfsVolumeResult', self.UnmountVmfsVolume)

    def UnmapVmfsVolumeEx_Task(self, ctx, vmfsUuid):
        """Space reclamation: extents are sparse files, so freed blocks are
        free already; the volume must be mounted here."""
        def unmap(ctx, uuid):
            if self.host in self.volume(uuid=uuid).unmounted:
                raise fault('InvalidState', 'The volume is not mounted.')
        return self._each(ctx, 'UnmapVmfsVolumeEx_Task', vmfsUuid,
                          'HostStorageSystemVmfsVolumeResult', unmap)

    def UpdateVmfsUnmapPriority(self, ctx, vmfsUuid, unmapPriority):
        ds = self.volume(uuid=vmfsUuid)
        if unmapPriority not in ('none', 'low') or ds.vmfs_major < 6:
            raise InvalidArgument('unmapPriority')
        ds.unmap_priority = unmapPriority
        self._volume_changed(ds)

    def UpdateVmfsUnmapBandwidth(self, ctx, vmfsUuid, unmapBandwidthSpec):
        """Fixed or dynamic rates within QueryVmfsConfigOption's bounds."""
        ds = self.volume(uuid=vmfsUuid)
        spec = unmapBandwidthSpec
        low, high = UNMAP_BANDWIDTH_MB
        if spec.policy == 'fixed':
            if not low <= spec.fixedValue <= high:
                raise InvalidArgument('unmapBandwidthSpec.fixedValue')
        elif spec.policy == 'dynamic':
            if not low <= spec.dynamicMin <= spec.dynamicMax <= high:
                raise InvalidArgument('unmapBandwidthSpec.dynamicMin')
        else:
            raise InvalidArgument('unmapBandwidthSpec.policy')
        if ds.vmfs_major < 6:
            raise InvalidArgument('vmfsUuid')
        ds.unmap_bandwidth = spec
        self._volume_changed(ds)

    def _volume_changed(self, ds):
        ds.changed('info')
        self.report('fileSystemVolumeInfo')

    def QueryVmfsConfigOption(self, ctx):
        T = self.host.T
        low, high = UNMAP_BANDWIDTH_MB

        def rate(default):
            return T.LongOption(min=low, max=high, defaultValue=default)
        return [T.VmfsConfigOption(
            blockSizeOption=1024, unmapGranularityOption=[1024],
            unmapBandwidthFixedValue=rate(100), unmapBandwidthDynamicMin=rate(100),
            unmapBandwidthDynamicMax=rate(high), unmapBandwidthIncrement=100,
            unmapBandwidthUltraLow=25)]

    def QueryUnresolvedVmfsVolume(self, ctx):
        """No snapshot or replica LUN carries a copy of a VMFS volume here."""
        return []

    def ResolveMultipleUnresolvedVmfsVolumes(self, ctx, resolutionSpec):
        return self._unresolved(resolutionSpec)

    def ResolveMultipleUnresolvedVmfsVolumesEx_Task(self, ctx, resolutionSpec):
        specs = list(resolutionSpec)
        return run_task(ctx, self.host, 'ResolveMultipleUnresolvedVmfsVolumesEx_Task',
                        lambda task: self._unresolved(specs), this=self)

    def _unresolved(self, specs):
        """Each spec answered NotFound: there is no unresolved volume to resolve."""
        T = self.host.T
        for index, spec in enumerate(specs):
            if spec.uuidResolution not in ('resignature', 'forceMount'):
                raise InvalidArgument('resolutionSpec[%d].uuidResolution' % index)
        return [T.HostUnresolvedVmfsResolutionResult(spec=spec, fault=localized(NotFound(
            'No unresolved VMFS volume is on %s.' % ', '.join(spec.extentDevicePath))))
            for spec in specs]

    def DeleteVmfsVolumeState(self, ctx, vmfsUuid):
        """Forget a volume this host unmounted: the datastore leaves the host."""
        ds = self.volume(uuid=vmfsUuid)
        if self.host not in ds.unmounted:
            raise host_config_fault('The volume %s is mounted.' % ds.name)
        system = self.host.managers['datastoreSystem']
        system.unmount(ctx, ds, self.host)

    # -- disk state ------------------------------------------------------------------------------
    def AttachScsiLunEx_Task(self, ctx, lunUuid):
        return self._each(ctx, 'AttachScsiLunEx_Task', lunUuid,
                          'HostStorageSystemScsiLunResult', self.AttachScsiLun)

    def DetachScsiLunEx_Task(self, ctx, lunUuid):
        return self._each(ctx, 'DetachScsiLunEx_Task', lunUuid,
                          'HostStorageSystemScsiLunResult', self.DetachScsiLun)

    def MarkPerenniallyReserved(self, ctx, lunUuid, state):
        self.set(self.disk(lunUuid), 'perennially_reserved', bool(state))

    def MarkPerenniallyReservedEx_Task(self, ctx, lunUuid, state):
        return self._each(ctx, 'MarkPerenniallyReservedEx_Task', lunUuid,
                          'HostStorageSystemScsiLunResult',
                          lambda ctx, uuid: self.MarkPerenniallyReserved(ctx, uuid, state))

    def DeleteScsiLunState(self, ctx, lunCanonicalName):
        """The detached state of a device goes: the device, still present,
        is claimed again."""
        disk = disk_by(self.disks, name=lunCanonicalName)
        if disk.attached:
            raise host_config_fault('The device %s is not detached.' % lunCanonicalName)
        self.set(disk, 'attached', True)

    def MarkForRemoval(self, ctx, hbaName, remove):
        if hbaName not in self.adapter_names():
            raise NotFound('The object or item referred to could not be found.')
        raise host_config_fault('%s is not an FCoE adapter.' % hbaName)

    def DiscoverFcoeHbas(self, ctx, fcoeSpec):
        """Software FCoE discovery on a pNIC: its settings checked, the pNIC
        must be a vSwitch uplink (FcoeFaultPnicHasNoPortSet), and then hostd
        refuses, as ESXi 8 does: it has no software FCoE, and the host's
        vmxnet3 NICs no FCoE offload (their fcoeConfiguration says so)."""
        spec = fcoeSpec
        pnic = spec.underlyingPnic
        if pnic not in self.host.netconfig.link_speeds:
            raise NotFound('The object or item referred to could not be found.')
        if spec.priorityClass is not None and not 0 <= spec.priorityClass <= 7:
            raise InvalidArgument('fcoeSpec.priorityClass')
        if spec.sourceMac is not None and not valid_mac(spec.sourceMac):
            raise InvalidArgument('fcoeSpec.sourceMac')
        for index, vlans in enumerate(spec.vlanRange):
            low, high = vlans.vlanLow, vlans.vlanHigh
            if not (isinstance(low, int) and isinstance(high, int) and 0 <= low <= high <= 4095):
                raise InvalidArgument('fcoeSpec.vlanRange[%d]' % index)
        if pnic not in self.host.netconfig.standard_uplinks():
            raise fault('FcoeFaultPnicHasNoPortSet', '%s is not an uplink of a virtual switch.'
                        % pnic, nicDevice=pnic)
        raise host_config_fault('Software FCoE is not supported on this host: %s has no FCoE '
                                'offload.' % pnic)

    def QueryAvailableSsds(self, ctx, vffsPath=None):
        """The local SSDs with no partitions, for a new VFFS volume or (with
        `vffsPath`) for extending that one."""
        if vffsPath:
            self._vffs(path=vffsPath)
        T = self.host.T
        return [self.scsi_lun(T, disk) for disk in self.disks
                if disk.ssd and disk.local and disk.attached and not disk.partitions
                and self.vsan.group_of(disk) is None]

    def _locator_led(self, ctx, method, uuids, on):
        uuids = list(uuids)

        def work(task):
            T = self.host.T
            failed = []
            for uuid in uuids:
                try:
                    self.disk(uuid).locator_led = on
                except self.server.schema.types['MethodFault'].cls as error:
                    failed.append(T.HostStorageSystemDiskLocatorLedResult(
                        key=uuid, fault=localized(error)))
            return failed
        return run_task(ctx, self.host, method, work, this=self)

    def TurnDiskLocatorLedOn_Task(self, ctx, scsiDiskUuids):
        return self._locator_led(ctx, 'TurnDiskLocatorLedOn_Task', scsiDiskUuids, True)

    def TurnDiskLocatorLedOff_Task(self, ctx, scsiDiskUuids):
        return self._locator_led(ctx, 'TurnDiskLocatorLedOff_Task', scsiDiskUuids, False)


    # -- VFFS -------------------------------------------------------------------------------
    def vffs_on(self, disk):
        """The host's VFFS volume when it has an extent on `disk`, else None."""
        return self.vffs if self.vffs is not None and self.vffs.on(disk) else None

    def vffs_mounts(self):
        """The VFFS volume's HostFileSystemMountInfo (the host's `fileSystemVolume`)."""
        return [self.vffs.mount_info(self.host.T)] if self.vffs is not None else []

    def _vffs(self, uuid=None, path=None):
        """The host's VFFS volume, by uuid or by vffsPath (NotFound)."""
        volume = self.vffs
        if volume is None or not (volume.named_by(path) if uuid is None else
                                  volume.uuid == uuid):
            raise NotFound('The object or item referred to could not be found.')
        return volume

    def _vffs_disk(self, path):
        """The local SSD at `path` that nothing else uses, for VFFS."""
        disk = next((d for d in self.disks if d.device_path == path), None)
        if disk is None or not disk.attached:
            raise host_config_fault('No attached device is at %s.' % path)
        if not (disk.ssd and disk.local):
            raise host_config_fault('The device %s is not a local SSD.' % disk.canonical_name)
        if self.vffs_on(disk) is not None:
            raise host_config_fault('The device %s is part of the VFFS volume already.'
                                    % disk.canonical_name)
        self._check_unused(disk)
        if self.volumes_on(disk):
            raise fault('ResourceInUse', 'The device holds a VMFS volume.',
                        type='HostScsiDisk', name=disk.canonical_name)
        return disk

    def _vffs_partition(self, disk, spec, argument):
        """(partitions, number of the vffs one): the spec's table, or the
        whole disk as one VFFS partition."""
        if spec is None:
            partitions = whole_disk_vffs(disk)
        else:
            partitions = check_partitions(disk, spec.partition, argument)
        vffs = [p for p in partitions if p.type == 'vffs']
        if len(vffs) != 1:
            raise InvalidArgument(argument)
        if self.forgotten_vffs is not None and self.forgotten_vffs.on(disk):
            self.forgotten_vffs = None      # formatted over
        return partitions, vffs[0].number

    def FormatVffs(self, ctx, createSpec):
        """The host's VFFS volume, on a local SSD (ESXi keeps one per host)."""
        spec = createSpec
        name = spec.volumeName
        if self.vffs is not None:
            if self.vffs.name == name:
                raise fault('AlreadyExists', "The specified key, name, or identifier '%s' "
                            "already exists." % name, name=name)
            raise host_config_fault('The host has VFFS volume %s already.' % self.vffs.name)
        if spec.majorVersion != VFFS_MAJOR_VERSION:
            raise InvalidArgument('createSpec.majorVersion')
        if not isinstance(name, str) or not name.strip() or '/' in name or len(name) > 42:
            raise InvalidArgument('createSpec.volumeName')
        if any(ds.name == name for ds in self.host.datastores):
            raise fault('AlreadyExists', "The specified key, name, or identifier '%s' "
                        "already exists." % name, name=name)
        disk = self._vffs_disk(spec.devicePath)
        partitions, number = self._vffs_partition(disk, spec.partition,
                                                  'createSpec.partition.partition')
        disk.partitions = partitions
        self.vffs = VffsVolume(name, volume_uuid(self.server), [(disk, number)])
        self.report('storageDeviceInfo', 'fileSystemVolumeInfo')
        return self.vffs.volume(self.host.T)

    def ExtendVffs(self, ctx, vffsPath, devicePath, spec=None):
        volume = self._vffs(path=vffsPath)
        if not volume.mounted:
            raise host_config_fault('VFFS volume %s is not mounted.' % volume.name)
        disk = self._vffs_disk(devicePath)
        partitions, number = self._vffs_partition(disk, spec, 'spec.partition')
        disk.partitions = partitions
        volume.extents.append((disk, number))
        self._vffs_changed()

    def _vffs_changed(self):
        self.report('storageDeviceInfo', 'fileSystemVolumeInfo')
        self.host.managers['vFlashManager'].report('vFlashConfigInfo')

    def _check_vffs_unused(self, volume):
        """ResourceInUse while the vFlash resource is the volume."""
        if self.host.managers['vFlashManager'].resource is volume:
            raise fault('ResourceInUse', 'VFFS volume %s is the vFlash resource.' % volume.name,
                        type='HostVffsVolume', name=volume.name)

    def DestroyVffs(self, ctx, vffsPath):
        """The volume goes with its partitions."""
        volume = self._vffs(path=vffsPath)
        self._check_vffs_unused(volume)
        for disk, number in volume.extents:
            disk.partitions = [p for p in disk.partitions if p.number != number]
        self.vffs = None
        self.report('storageDeviceInfo', 'fileSystemVolumeInfo')

    def MountVffsVolume(self, ctx, vffsUuid):
        volume = self._vffs(uuid=vffsUuid)
        if volume.mounted:
            raise fault('InvalidState', 'VFFS volume %s is mounted already.' % volume.name)
        volume.mounted = True
        self._vffs_changed()

    def UnmountVffsVolume(self, ctx, vffsUuid):
        volume = self._vffs(uuid=vffsUuid)
        if not volume.mounted:
            raise fault('InvalidState', 'VFFS volume %s is not mounted.' % volume.name)
        self._check_vffs_unused(volume)
        volume.mounted = False
        self._vffs_changed()

    def DeleteVffsVolumeState(self, ctx, vffsUuid):
        """The host forgets an unmounted volume; its partitions stay, for
        RescanVffs to find it again."""
        volume = self.vffs
        if volume is None or volume.uuid != vffsUuid:
            raise host_config_fault('The host has no VFFS volume %s.' % vffsUuid)
        if volume.mounted:
            raise host_config_fault('VFFS volume %s is mounted.' % volume.name)
        self.vffs, self.forgotten_vffs = None, volume
        self.report('fileSystemVolumeInfo')

    def RescanVffs(self, ctx):
        """A forgotten volume whose partitions are still there is found again, mounted."""
        volume = self.forgotten_vffs
        if self.vffs is None and volume is not None and volume.intact() and \
                all(disk in self.disks and disk.attached for disk, _ in volume.extents):
            volume.mounted = True
            self.vffs, self.forgotten_vffs = volume, None
            self.report('fileSystemVolumeInfo')

    # -- software iSCSI ----------------------------------------------------------------------------
    def UpdateSoftwareInternetScsiEnabled(self, ctx, enabled):
        """Enabling creates vmhba65; disabling removes it with its LUNs,
        refused while one holds a VMFS volume the host mounts."""
        if enabled and self.iscsi is None:
            self.iscsi = SoftwareIscsiAdapter(self.host.T, self.host.name)
        elif not enabled and self.iscsi is not None:
            self._remove_luns(ctx, [disk for disk in self.disks if disk.iscsi_target is not None])
            self.iscsi = None
        else:
            return
        self.report('storageDeviceInfo')

    def _adapter(self, device):
        if self.iscsi is None or device != SOFTWARE_ADAPTER:
            raise NotFound('The object or item referred to could not be found.')
        return self.iscsi

    def _remove_luns(self, ctx, luns):
        """The LUNs leave the host, refused while one holds a volume the host
        mounts; the volumes it unmounted leave the host with them (other
        hosts keep theirs)."""
        for disk in luns:
            mounted = [ds for ds in self.volumes_here(disk) if self.host not in ds.unmounted]
            if mounted:
                raise host_config_fault('The LUN %s holds datastore %s.'
                                        % (disk.canonical_name, mounted[0].name))
        system = self.host.managers['datastoreSystem']
        for ds in {ds: None for disk in luns for ds in self.volumes_here(disk)}:
            system.unmount(ctx, ds, self.host)
        self.disks = [disk for disk in self.disks if disk not in luns]

    def UpdateInternetScsiName(self, ctx, iScsiHbaDevice, iScsiName):
        adapter = self._adapter(iScsiHbaDevice)
        if not valid_iscsi_name(iScsiName):
            raise host_config_fault("'%s' is not a valid iSCSI name." % iScsiName)
        adapter.iqn = iScsiName
        self.report('storageDeviceInfo')

    def UpdateInternetScsiAlias(self, ctx, iScsiHbaDevice, iScsiAlias):
        adapter = self._adapter(iScsiHbaDevice)
        if len(iScsiAlias or '') > 255:
            raise InvalidArgument('iScsiAlias')
        adapter.alias = iScsiAlias or ''
        self.report('storageDeviceInfo')

    def AddInternetScsiSendTargets(self, ctx, iScsiHbaDevice, targets):
        adapter = self._adapter(iScsiHbaDevice)
        added = [SendTarget(*self._address(t, 'targets[%d]' % i)) for i, t in enumerate(targets)]
        for target in added:
            if any(t.key == target.key for t in adapter.send_targets):
                raise host_config_fault('The send target %s exists already.' % target.name)
        adapter.send_targets += added
        self.report('storageDeviceInfo')

    def RemoveInternetScsiSendTargets(self, ctx, iScsiHbaDevice, targets, force=None):
        """The send target goes with the targets it reported and their LUNs."""
        adapter = self._adapter(iScsiHbaDevice)
        keys = [self._address(t, 'targets[%d]' % i) for i, t in enumerate(targets)]
        gone = [self._find(adapter.send_targets, key) for key in keys]
        names = {t.name for t in gone}
        self._drop_targets(ctx, [t for t in adapter.static_targets if t.parent in names])
        adapter.send_targets = [t for t in adapter.send_targets if t not in gone]
        self.report('storageDeviceInfo')

    def AddInternetScsiStaticTargets(self, ctx, iScsiHbaDevice, targets):
        adapter = self._adapter(iScsiHbaDevice)
        added = []
        for index, target in enumerate(targets):
            address, port = self._address(target, 'targets[%d]' % index)
            if not valid_iscsi_name(target.iScsiName):
                raise host_config_fault("'%s' is not a valid iSCSI name." % target.iScsiName)
            found = Target(address, port, target.iScsiName)
            if any(t.key == found.key for t in adapter.static_targets + added):
                raise host_config_fault('The static target %s exists already.'
                                        % target.iScsiName)
            added.append(found)
        for target in added:
            self._bring_in(target)
        self.report('storageDeviceInfo')

    def RemoveInternetScsiStaticTargets(self, ctx, iScsiHbaDevice, targets):
        adapter = self._adapter(iScsiHbaDevice)
        gone = []
        for index, target in enumerate(targets):
            key = self._address(target, 'targets[%d]' % index) + (target.iScsiName,)
            gone.append(self._find(adapter.static_targets, key))
        self._drop_targets(ctx, gone)
        self.report('storageDeviceInfo')

    @staticmethod
    def _address(target, argument):
        """(address, port) of a target: a valid address, port 3260 unless given."""
        port = target.port or ISCSI_PORT
        if not target.address or not valid_server_address(target.address):
            raise InvalidArgument(argument + '.address')
        if not 1 <= port <= 65535:
            raise InvalidArgument(argument + '.port')
        return target.address, port

    @staticmethod
    def _find(targets, key):
        found = next((t for t in targets if t.key == key), None)
        if found is None:
            raise NotFound('The object or item referred to could not be found.')
        return found

    def _bring_in(self, target):
        """A target joins the adapter, its array's LUN the host's disks."""
        self.iscsi.static_targets.append(target)
        self.disks.append(lun_for(target, self.iscsi.target_number(), self.medium(target.iqn)))

    def _drop_targets(self, ctx, targets):
        self._remove_luns(ctx, [disk for disk in self.disks if disk.iscsi_target in targets])
        self.iscsi.static_targets = [t for t in self.iscsi.static_targets if t not in targets]

    def _discover(self):
        """Each send target reports its array's target (once)."""
        known = {t.key for t in self.iscsi.static_targets}
        found = [s.reported() for s in self.iscsi.send_targets]
        found = [t for t in found if t.key not in known]
        for target in found:
            self._bring_in(target)
        if found:
            self.report('storageDeviceInfo')

    def _targets(self, adapter, target_set):
        """The adapter (no target set) or the targets a target set names."""
        if target_set is None:
            return [adapter]
        chosen = [self._find(adapter.static_targets, self._address(t, 'targetSet.staticTargets')
                             + (t.iScsiName,)) for t in target_set.staticTargets]
        chosen += [self._find(adapter.send_targets, self._address(t, 'targetSet.sendTargets'))
                   for t in target_set.sendTargets]
        return chosen

    def UpdateInternetScsiAuthenticationProperties(self, ctx, iScsiHbaDevice,
                                                   authenticationProperties, targetSet=None):
        """CHAP (and mutual CHAP) for the adapter or chosen targets."""
        adapter = self._adapter(iScsiHbaDevice)
        chosen = self._targets(adapter, targetSet)
        properties = checked_auth(authenticationProperties, 'authenticationProperties')
        for item in chosen:
            item.auth = properties
        self.report('storageDeviceInfo')

    def UpdateInternetScsiDigestProperties(self, ctx, iScsiHbaDevice, digestProperties,
                                           targetSet=None):
        adapter = self._adapter(iScsiHbaDevice)
        chosen = self._targets(adapter, targetSet)
        properties = checked_digest(digestProperties, 'digestProperties')
        for item in chosen:
            item.digest = properties
        self.report('storageDeviceInfo')

    def UpdateInternetScsiDiscoveryProperties(self, ctx, iScsiHbaDevice, discoveryProperties):
        """The software adapter always discovers by static and send targets;
        iSNS and SLP it cannot (its discoveryCapabilities)."""
        adapter = self._adapter(iScsiHbaDevice)
        given = discoveryProperties
        if given.iSnsDiscoveryEnabled or given.slpDiscoveryEnabled or \
                not given.staticTargetDiscoveryEnabled or not given.sendTargetsDiscoveryEnabled:
            raise host_config_fault('The discovery methods of %s cannot be changed.'
                                    % iScsiHbaDevice)
        adapter.discovery = given
        self.report('storageDeviceInfo')

    def UpdateInternetScsiIPProperties(self, ctx, iScsiHbaDevice, ipProperties):
        """The software adapter uses the host's VMkernel NICs: it has no
        address of its own to set (its ipCapabilities)."""
        self._adapter(iScsiHbaDevice)
        raise host_config_fault('The IP properties of software adapter %s are not settable.'
                                % iScsiHbaDevice)

    def UpdateInternetScsiAdvancedOptions(self, ctx, iScsiHbaDevice, options, targetSet=None):
        adapter = self._adapter(iScsiHbaDevice)
        chosen = self._targets(adapter, targetSet)
        values = checked_advanced(options)
        for item in chosen:
            item.advanced = dict(item.advanced, **values)
        self.report('storageDeviceInfo')


    # -- software adapters, NVMe over fabrics --------------------------------------------------
    def _nvme_adapter(self, device):
        adapter = next((a for a in self.nvme_adapters if a.device == device), None)
        if adapter is None:
            raise NotFound('The object or item referred to could not be found.')
        return adapter

    def CreateSoftwareAdapter(self, ctx, spec):
        """An NVMe over TCP adapter on a pNIC (one per pNIC), named after the
        software iSCSI adapter's vmhba65."""
        T = self.host.T
        if not isinstance(spec, T.HostTcpHbaCreateSpec):
            raise host_config_fault('A %s names no kind of software adapter this host makes.'
                                    % type(spec).__name__)
        if spec.pnic not in self.host.netconfig.link_speeds:
            raise NotFound('The object or item referred to could not be found.')
        if any(a.pnic == spec.pnic for a in self.nvme_adapters):
            raise fault('DuplicateName', "The name '%s' already exists." % spec.pnic,
                        name=spec.pnic, object=self.ref)
        taken = set(self.adapter_names()) | {SOFTWARE_ADAPTER}
        number = next(n for n in range(66, 66 + len(taken) + 1) if 'vmhba%d' % n not in taken)
        self.nvme_adapters.append(TcpAdapter('vmhba%d' % number, spec.pnic))
        self.report('storageDeviceInfo')

    def RemoveSoftwareAdapter(self, ctx, hbaDeviceName):
        """An NVMe over TCP adapter (refused while it has controllers), or
        the software iSCSI adapter (as UpdateSoftwareInternetScsiEnabled)."""
        if hbaDeviceName == SOFTWARE_ADAPTER and self.iscsi is not None:
            return self.UpdateSoftwareInternetScsiEnabled(ctx, False)
        if hbaDeviceName not in self.adapter_names():
            raise NotFound('The object or item referred to could not be found.')
        adapter = next((a for a in self.nvme_adapters if a.device == hbaDeviceName), None)
        if adapter is None:
            raise host_config_fault('%s is not a software adapter.' % hbaDeviceName)
        if adapter.controllers:
            raise fault('ResourceInUse', '%s has connected controllers.' % hbaDeviceName,
                        type='HostTcpHba', name=hbaDeviceName)
        self.nvme_adapters.remove(adapter)
        self.report('storageDeviceInfo')

    def CreateNvmeOverRdmaAdapter(self, ctx, rdmaDeviceName):
        """The host has no RDMA device (nvme_fabrics.py): none of that name."""
        raise NotFound("No RDMA device '%s' is on the host." % rdmaDeviceName)

    def RemoveNvmeOverRdmaAdapter(self, ctx, hbaDeviceName):
        if hbaDeviceName not in self.adapter_names():
            raise NotFound('The object or item referred to could not be found.')
        raise host_config_fault('%s is not an NVMe over RDMA adapter.' % hbaDeviceName)

    def _fabric_address(self, adapter, parameters, argument, ports):
        """(address, port) of NVMe/TCP transport parameters the target answers on."""
        T = self.host.T
        if not isinstance(parameters, T.HostNvmeOverTcpParameters):
            raise host_config_fault('%s is an NVMe over TCP adapter.' % adapter.device)
        if nvme_address(parameters.address) is None:
            raise InvalidArgument(argument + '.address')
        port = ports[0] if parameters.portNumber is None else parameters.portNumber
        if port not in ports:
            raise host_config_fault('Nothing answers at %s:%s.' % (parameters.address, port))
        return parameters.address, port

    def DiscoverNvmeControllers(self, ctx, discoverSpec):
        """The discovery log of the target's port at the address: its one NVM
        subsystem; `autoConnect` connects it."""
        spec = discoverSpec
        adapter = self._nvme_adapter(spec.hbaName)
        address, _ = self._fabric_address(adapter, spec.transportParameters,
                                          'discoverSpec.transportParameters', DISCOVERY_PORTS)
        if spec.rootDiscoveryController:
            raise host_config_fault('No central discovery controller is at %s.' % address)
        subnqn = subsystem_at(address)
        if spec.autoConnect and adapter.connected(subnqn, address, NVME_PORT) is None:
            self._connect(adapter, subnqn, address, ADMIN_QUEUE_DEFAULT, None)
        T = self.host.T
        return T.HostNvmeDiscoveryLog(complete=True, entry=[T.HostNvmeDiscoveryLogEntry(
            subnqn=subnqn, subsystemType='nvm', subsystemPortId=1,
            controllerId=DYNAMIC_CONTROLLER, adminQueueMaxSize=ADMIN_QUEUE_MAX,
            transportParameters=T.HostNvmeOverTcpParameters(
                address=address, portNumber=NVME_PORT, digestVerification='digestDisabled'),
            transportRequirements='secureChannelNotRequired',
            connected=adapter.connected(subnqn, address, NVME_PORT) is not None)])

    def ConnectNvmeController(self, ctx, connectSpec):
        spec = connectSpec
        adapter = self._nvme_adapter(spec.hbaName)
        address, _ = self._fabric_address(adapter, spec.transportParameters,
                                          'connectSpec.transportParameters', (NVME_PORT,))
        if spec.subnqn != subsystem_at(address):
            raise host_config_fault('No subsystem %s is at %s:%d.'
                                    % (spec.subnqn, address, NVME_PORT))
        if spec.controllerId not in (None, DYNAMIC_CONTROLLER, ANY_CONTROLLER):
            raise host_config_fault('Subsystem %s allocates its controllers dynamically.'
                                    % spec.subnqn)
        queue = ADMIN_QUEUE_DEFAULT if spec.adminQueueSize is None else spec.adminQueueSize
        if not 1 <= queue <= ADMIN_QUEUE_MAX:
            raise InvalidArgument('connectSpec.adminQueueSize')
        if spec.keepAliveTimeout is not None and not 0 <= spec.keepAliveTimeout <= KEEP_ALIVE_MAX:
            raise InvalidArgument('connectSpec.keepAliveTimeout')
        if adapter.connected(spec.subnqn, address, NVME_PORT) is not None:
            raise host_config_fault('%s is connected to %s already.'
                                    % (adapter.device, spec.subnqn))
        self._connect(adapter, spec.subnqn, address, queue, spec.keepAliveTimeout)

    def _connect(self, adapter, subnqn, address, admin_queue, keep_alive):
        """A controller of the subsystem: its namespaces join the host's disks."""
        controller = Controller(adapter, FIRST_CONTROLLER + self.controllers_made,
                                adapter.target_number(), subnqn, address, NVME_PORT,
                                admin_queue, keep_alive)
        self.controllers_made += 1
        controller.namespaces = [namespace_disk(controller, nsid, self.medium((subnqn, nsid)))
                                 for nsid in NAMESPACE_IDS]
        adapter.controllers.append(controller)
        self.disks += controller.namespaces
        self.report('storageDeviceInfo')

    def DisconnectNvmeController(self, ctx, disconnectSpec):
        """The controllers the spec names (by subsystem, number or both) go
        with their namespaces, refused while one holds a VMFS volume the
        host mounts."""
        spec = disconnectSpec
        adapter = self._nvme_adapter(spec.hbaName)
        if spec.subnqn is None and spec.controllerNumber is None:
            raise InvalidArgument('disconnectSpec.subnqn')
        gone = [c for c in adapter.controllers
                if spec.subnqn in (None, c.subnqn) and spec.controllerNumber in (None, c.number)]
        if not gone:
            raise NotFound('The object or item referred to could not be found.')
        self._remove_luns(ctx, [disk for c in gone for disk in c.namespaces])
        adapter.controllers = [c for c in adapter.controllers if c not in gone]
        self.report('storageDeviceInfo')

    def _each_spec(self, ctx, method, specs, action):
        """An *NvmeControllerEx_Task: `action` for each spec in turn, the
        task failing with the first spec's fault."""
        specs = list(specs)

        def work(task):
            for spec in specs:
                action(ctx, spec)
        return run_task(ctx, self.host, method, work, this=self)

    def ConnectNvmeControllerEx_Task(self, ctx, connectSpec=()):
        return self._each_spec(ctx, 'ConnectNvmeControllerEx_Task', connectSpec,
                               self.ConnectNvmeController)

    def DisconnectNvmeControllerEx_Task(self, ctx, disconnectSpec=()):
        return self._each_spec(ctx, 'DisconnectNvmeControllerEx_Task', disconnectSpec,
                               self.DisconnectNvmeController)

    # -- NFS Kerberos credentials -------------------------------------------------------------------
    def SetNFSUser(self, ctx, user, password):
        """The Kerberos user NFS 4.1 volumes with SEC_KRB5* security mount as."""
        if not user or not user.strip() or not password:
            raise host_config_fault('An NFS user needs a name and a password.')
        self.nfs_user = user

    def QueryNFSUser(self, ctx):
        return self.host.T.HostNasVolumeUserInfo(user=self.nfs_user) \
            if self.nfs_user is not None else None

    def ChangeNFSUserPassword(self, ctx, password):
        if self.nfs_user is None:
            raise NotFound('No NFS user is set.')
        if not password:
            raise host_config_fault('The password is empty.')

    def ClearNFSUser(self, ctx):
        """Refused while a Kerberos NFS volume is mounted with the user."""
        kerberos = [ds for ds in self.host.datastores
                    if (getattr(ds, 'security_type', None) or 'AUTH_SYS') != 'AUTH_SYS']
        if kerberos:
            raise host_config_fault('NFS volume %s uses the NFS user.' % kerberos[0].name)
        self.nfs_user = None

    def UpdateHppMultipathLunPolicy(self, ctx, lunId, policy):
        """The disks here are claimed by NMP, not by the high-performance plugin."""
        disk = self.disk(lunId)
        raise host_config_fault('Device %s is not claimed by HPP.' % disk.canonical_name)


def per_key_task(ctx, host, this, method, keys, result_type, action):
    """The task of an *Ex_Task method: `action(ctx, key)` for each key; its
    result a `result_type` per key with the fault that key met, if any."""
    keys = list(keys)

    def work(task):
        T = host.T
        results = []
        for key in keys:
            try:
                action(ctx, key)
                results.append(getattr(T, result_type)(key=key))
            except host.server.schema.types['MethodFault'].cls as error:
                results.append(getattr(T, result_type)(key=key, fault=localized(error)))
        return results
    return run_task(ctx, host, method, work, this=this)


def check_format(partition_format):
    """Only GPT tables are written (ESXi's own format since 5.0)."""
    if partition_format not in (None, '', 'gpt'):
        raise InvalidArgument('partitionFormat')
