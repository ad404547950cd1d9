"""HostDatastoreSystem: the datastores a host mounts, made and removed
through it (HostSystem.configManager.datastoreSystem).

- NFS (3 and 4.1): CreateNasDatastore mounts the export; the volume id
  derives from the server and path, so the same export mounted on a second
  host of the datacenter joins the SAME Datastore (vCenter matches them by
  url), and its files are the same directory. An NFS server offers 4 TiB.
- VMFS: on a disk of the host's HostStorageSystem (storage_devices.py)
  that holds no VMFS volume; CreateVmfsDatastore writes the spec's
  partition table and makes the volume on its VMFS partition, which
  ExtendVmfsDatastore (another disk) and ExpandVmfsDatastore (the free
  space after an extent) grow. Capacity is the extents' partitions.
- RemoveDatastore unmounts an NFS datastore from this host (the last
  host's removal destroys it) and deletes a VMFS volume (its partitions and
  files go), refused with ResourceInUse while VMs use it there.
- Local datastores are refused as ESXi refuses them
  (`localDatastoreSupported` false); so are vVol datastores, there being no
  VASA provider, and resignaturing, there being no unresolved (snapshot)
  volumes.

Events are vCenter's: NASDatastoreCreatedEvent / VMFSDatastoreCreatedEvent
(DatastoreDiscoveredEvent when a host joins an existing datastore),
VMFSDatastoreExtendedEvent / VMFSDatastoreExpandedEvent,
DatastoreRemovedOnHostEvent, then DatastoreDestroyedEvent when it is gone.
"""
import uuid as uuid_module

from vimsim import clock
from vimsim.managed.entity import refs
from vimsim.managed.host.config_managers import HostManagerObject, host_config_fault
from vimsim.managed.host.host_storage_system import per_key_task
from vimsim.managed.host.storage_devices import (SECTOR, VMFS_VERSIONS, Partition,
                                                 check_partitions, disk_by, partition_layout,
                                                 partition_spec, valid_server_address,
                                                 volume_uuid)
from vimsim.managed.monitoring.event_manager import datacenter_of, event_manager
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.storage import datastore_files as files
from vimsim.managed.storage.datastore import TiB, Datastore
from vimsim.soap.fault import InvalidArgument, NotFound, fault

NFS_CAPACITY = 4 * TiB
NFS_MAX_QUEUE_DEPTH = 4294967295        # NFS.MaxQueueDepth's default and maximum
MiB = 1 << 20
_NFS_NAMESPACE = uuid_module.UUID('0b8f6c1e-2d4a-4e5b-9c7d-8e9f0a1b2c3d')


def not_found():
    return NotFound('The object or item referred to could not be found.')


class NasDatastore(Datastore):
    """A datastore on an NFS export: its hosts mount it, each with its own
    access mode."""

    def __init__(self, server, moid, name, folder, volume_id, spec, nfs_type):
        super().__init__(server, moid, name, folder, volume_id, capacity=NFS_CAPACITY,
                         local=False)
        self.extents = []
        self.fs_type = nfs_type
        self.remote_host = spec.remoteHost
        self.remote_path = spec.remotePath
        self.remote_host_names = list(spec.remoteHostNames) or [spec.remoteHost]
        self.user_name = spec.userName or None
        self.security_type = (spec.securityType or None) if nfs_type == 'NFS41' else None
        self.access_modes = {}              # host -> 'readWrite' / 'readOnly'
        self.max_queue_depth = NFS_MAX_QUEUE_DEPTH

    def mount_info(self, host):
        info = super().mount_info(host)
        info.accessMode = self.access_modes.get(host, 'readWrite')
        return info

    @property
    def read_only(self):
        """No host mounts the export read-write."""
        return bool(self.hosts) and all(self.access_modes.get(host) == 'readOnly'
                                        for host in self.hosts)

    def volume(self):
        return self.T.HostNasVolume(
            type=self.fs_type, name=self.name, capacity=self.capacity,
            remoteHost=self.remote_host, remotePath=self.remote_path,
            userName=self.user_name, remoteHostNames=self.remote_host_names,
            securityType=self.security_type, protocolEndpoint=False)

    @property
    def info(self):
        T = self.T
        return T.NasDatastoreInfo(
            name=self.name, url=self.url, freeSpace=self.free_space, maxFileSize=64 * TiB,
            maxVirtualDiskCapacity=62 * TiB, maxMemoryFileSize=64 * TiB,
            timestamp=clock.now(),
            supportedVDiskFormats=['thin'], nas=self.volume())

    @property
    def overhead(self):
        return 0                            # the NFS server's own file system keeps its metadata


def nfs_volume_id(remote_host, remote_path):
    """The volume id ESXi names an NFS mount by (8-8 hex), the same for every
    host that mounts this export."""
    h = uuid_module.uuid5(_NFS_NAMESPACE, '%s:%s' % (remote_host.lower(),
                                                      remote_path.rstrip('/') or '/')).hex
    return '%s-%s' % (h[:8], h[8:16])


class HostDatastoreSystem(HostManagerObject):
    type_name = 'HostDatastoreSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.local_swap = None              # UpdateLocalSwapDatastore's Datastore
        self.principal = 'root'             # ConfigureDatastorePrincipal's user

    # -- lookups ---------------------------------------------------------------------------
    @property
    def storage(self):
        return self.host.managers['storageSystem']

    def datacenter(self):
        return datacenter_of(self.server, self.host)

    def mounted(self, ref):
        """The datastore `ref` names, which this host mounts (NotFound)."""
        ds = self.server.objects.get(ref) if ref is not None else None
        if ds is None or ds not in self.host.datastores:
            raise not_found()
        return ds

    def vmfs(self, ref):
        ds = self.mounted(ref)
        if ds.fs_type != 'VMFS':
            raise host_config_fault('Datastore %s is not a VMFS datastore.' % ds.name)
        return ds

    def check_new_name(self, name):
        """InvalidArgument for an empty name, DuplicateName for one the
        datacenter's datastores already have."""
        if not isinstance(name, str) or not name.strip() or len(name) > 42 or '/' in name:
            raise fault('InvalidName', "The name '%s' is invalid." % name, name=name or '')
        datacenter = self.datacenter()
        if any(ds.name == name for ds in datacenter.datastores):
            raise fault('DuplicateName', "The name '%s' already exists." % name, name=name,
                        object=self.host.ref)

    def post(self, ctx, type_name, ds, **fields):
        T = self.host.T
        return event_manager(self.server).post(
            type_name, self.host, ctx=ctx,
            datastore=T.DatastoreEventArgument(name=ds.name, datastore=ds.ref), **fields)

    # -- mounting ---------------------------------------------------------------------------
    def mount(self, ds):
        """`ds` joins this host's datastores (and its datacenter's)."""
        host = self.host
        datacenter = self.datacenter()
        if ds not in datacenter.datastores:
            datacenter.datastores.append(ds)
            datacenter.changed('datastore')
            datacenter.datastore_folder.changed('childEntity')
        ds.hosts.append(host)
        host.datastores.append(ds)
        files.directory(ds)
        self.changed_mounts(ds)

    def changed_mounts(self, ds):
        host = self.host
        ds.changed('host', 'summary', 'info')
        host.changed('datastore')
        if host.compute_resource is not None:
            host.compute_resource.changed('datastore')
        self.changed('datastore')
        self.storage.report('fileSystemVolumeInfo')

    def join(self, ctx, ds):
        """This host mounts a datastore other hosts have (the same NFS
        export, a VMFS volume on a shared LUN): the same Datastore."""
        self.mount(ds)
        self.post(ctx, 'DatastoreDiscoveredEvent', ds)

    def join_volumes(self, ctx):
        """RescanVmfs: the datacenter's VMFS volumes whose extents all lie on
        shared LUNs this host sees (attached) join its datastores."""
        visible = {disk.canonical_name for disk in self.storage.disks
                   if disk.shared and disk.attached}
        for ds in list(self.datacenter().datastores):
            if ds.fs_type == 'VMFS' and self.host not in ds.hosts and ds.extents and \
                    all(name in visible for name, _ in ds.extents):
                self.join(ctx, ds)

    def unmount(self, ctx, ds, host):
        """`host` no longer mounts `ds`; gone with its last host."""
        ds.hosts.remove(host)
        host.datastores.remove(ds)
        ds.unmounted.discard(host)
        manager = host.managers['datastoreSystem']
        if manager.local_swap is ds:
            manager.local_swap = None
        manager.post(ctx, 'DatastoreRemovedOnHostEvent', ds)
        manager.changed_mounts(ds)
        if not ds.hosts:
            event_manager(self.server).post('DatastoreDestroyedEvent', ds, ctx=ctx)
            ds.leave_inventory()

    def users_on(self, ds, host):
        """The VMs of `host` with files on `ds`."""
        return [vm for vm in ds.vms if getattr(vm, 'host', None) is host]

    # -- NFS ------------------------------------------------------------------------------------
    def CreateNasDatastore(self, ctx, spec):
        nfs_type = spec.type or 'NFS'
        if nfs_type not in ('NFS', 'NFS41'):
            raise InvalidArgument('spec.type')
        if spec.accessMode not in ('readWrite', 'readOnly'):
            raise InvalidArgument('spec.accessMode')
        if not spec.remoteHost or not valid_server_address(spec.remoteHost):
            raise InvalidArgument('spec.remoteHost')
        if not spec.remotePath or not spec.remotePath.startswith('/'):
            raise InvalidArgument('spec.remotePath')
        if nfs_type == 'NFS' and spec.securityType not in (None, '', 'AUTH_SYS'):
            raise InvalidArgument('spec.securityType')
        if spec.securityType not in (None, '', 'AUTH_SYS', 'SEC_KRB5', 'SEC_KRB5I',
                                     'SEC_KRB5P'):
            raise InvalidArgument('spec.securityType')
        if (spec.securityType or 'AUTH_SYS') != 'AUTH_SYS' and self.storage.nfs_user is None:
            raise host_config_fault('Kerberos security needs the NFS user (SetNFSUser).')
        volume_id = nfs_volume_id(spec.remoteHost, spec.remotePath)
        name = spec.localPath
        for ds in self.host.datastores:
            if ds.name == name or ds.vmfs_uuid == volume_id:
                raise fault('AlreadyExists', "The specified key, name, or identifier '%s' "
                            "already exists." % name, name=name)
        existing = next((ds for ds in self.datacenter().datastores
                         if ds.vmfs_uuid == volume_id), None)
        if existing is not None:
            if existing.fs_type != nfs_type:
                raise host_config_fault('The NFS export %s:%s is mounted as %s on other '
                                        'hosts.' % (spec.remoteHost, spec.remotePath,
                                                    existing.fs_type))
            if existing.name != name:
                self.check_new_name(name)       # its own name must be new
            existing.access_modes[self.host] = spec.accessMode
            if existing.name != name:
                event_manager(self.server).post('DatastoreRenamedOnHostEvent', self.host,
                                                ctx=ctx, oldName=name, newName=existing.name)
            self.join(ctx, existing)
            return existing.ref
        self.check_new_name(name)
        ds = NasDatastore(self.server, self.new_moid(volume_id), name,
                          self.datacenter().datastore_folder, volume_id, spec, nfs_type)
        ds.access_modes[self.host] = spec.accessMode
        self.mount(ds)
        self.post(ctx, 'NASDatastoreCreatedEvent', ds, datastoreUrl=ds.url)
        return ds.ref

    def new_moid(self, volume_id):
        """ESX names a datastore by its volume id; vCenter numbers it."""
        return volume_id if self.server.esx else self.server.objects.next_id('datastore-')

    def ResolveNfsServerHostName(self, ctx, hostName, volumeName=None, force=None,
                                 isNFS41=None):
        """A literal address resolves to itself; a name resolves when it is
        a valid DNS name (the simulated network's resolver knows them all)."""
        if not hostName or not valid_server_address(hostName):
            raise fault('PlatformConfigFault', 'Unable to resolve NFS server host name %s.'
                        % hostName, text=hostName or '')

    def QueryMaxQueueDepth(self, ctx, datastore):
        return self._nas(datastore).max_queue_depth

    def SetMaxQueueDepth(self, ctx, datastore, maxQdepth):
        ds = self._nas(datastore)
        if not isinstance(maxQdepth, int) or not 1 <= maxQdepth <= NFS_MAX_QUEUE_DEPTH:
            raise InvalidArgument('maxQdepth')
        ds.max_queue_depth = maxQdepth

    def _nas(self, ref):
        ds = self.mounted(ref)
        if not isinstance(ds, NasDatastore):
            raise InvalidArgument('datastore', 'The datastore is not an NFS datastore.')
        return ds

    # -- local and vVol ---------------------------------------------------------------------
    def CreateLocalDatastore(self, ctx, name, path):
        raise fault('NotSupported', 'Local datastores are not supported on this host.')

    def CreateVvolDatastore(self, ctx, spec):
        self.check_new_name(spec.name)
        raise NotFound("The storage container '%s' is not known: no vVol storage provider "
                       "is registered." % spec.scId)

    def QueryUnresolvedVmfsVolumes(self, ctx):
        """No snapshot or replica LUN carries a copy of a VMFS volume here."""
        return []

    def ResignatureUnresolvedVmfsVolume_Task(self, ctx, resolutionSpec):
        paths = list(resolutionSpec.extentDevicePath)

        def work(task):
            if not paths:
                raise InvalidArgument('resolutionSpec.extentDevicePath')
            disk_by(self.storage.disks, path=paths[0])
            raise host_config_fault('No unresolved VMFS volume is on %s.' % paths[0])
        return run_task(ctx, self.host, 'ResignatureUnresolvedVmfsVolume_Task', work, this=self)

    # -- VMFS -------------------------------------------------------------------------------
    def QueryAvailableDisksForVmfs(self, ctx, datastore=None):
        """The attached disks no VMFS volume uses (for `datastore`: to extend it)."""
        if datastore is not None:
            self.vmfs(datastore)
        T = self.host.T
        storage = self.storage
        return [storage.scsi_lun(T, disk) for disk in storage.disks
                if disk.attached and not storage.volumes_on(disk)
                and not disk.perennially_reserved and storage.vffs_on(disk) is None
                and storage.vsan.group_of(disk) is None]

    def free_disk(self, path):
        """The disk at `path`, which must hold no VMFS volume."""
        storage = self.storage
        disk = disk_by(storage.disks, path=path)
        used = storage.volumes_on(disk)
        if used:
            raise host_config_fault('The disk %s is in use by datastore %s.'
                                    % (disk.canonical_name, used[0].name))
        if not disk.attached:
            raise host_config_fault('The disk %s is detached.' % disk.canonical_name)
        if storage.vffs_on(disk) is not None:
            raise host_config_fault('The disk %s holds the VFFS volume.' % disk.canonical_name)
        storage.check_not_vsan(disk)
        return disk

    def QueryVmfsDatastoreCreateOptions(self, ctx, devicePath, vmfsMajorVersion=None):
        major = 6 if vmfsMajorVersion is None else vmfsMajorVersion
        if major not in VMFS_VERSIONS:
            raise InvalidArgument('vmfsMajorVersion')
        disk = self.free_disk(devicePath)
        T = self.host.T

        def spec(partitions, number):
            return T.VmfsDatastoreCreateSpec(
                diskUuid=disk.uuid, partition=partition_spec(T, disk, partitions),
                vmfs=T.HostVmfsSpec(
                    extent=T.HostScsiDiskPartition(diskName=disk.canonical_name,
                                                   partition=number),
                    majorVersion=major, volumeName='', blockSizeMb=1, blockSize=1024,
                    unmapGranularity=1024, unmapPriority='low'), extent=[])
        return [T.VmfsDatastoreOption(info=option_info(T, disk, partitions, number, kind),
                                      spec=spec(partitions, number))
                for partitions, number, kind in _layouts(disk)]

    def CreateVmfsDatastore(self, ctx, spec):
        storage = self.storage
        disk = disk_by(storage.disks, uuid=spec.diskUuid)
        self.free_disk(disk.device_path)
        partitions = check_partitions(disk, spec.partition.partition, 'spec.partition.partition')
        vmfs = spec.vmfs
        if vmfs.majorVersion not in VMFS_VERSIONS:
            raise InvalidArgument('spec.vmfs.majorVersion')
        first = _vmfs_partition(disk, partitions, vmfs.extent, 'spec.vmfs.extent')
        extents = [(disk, first)] + [self.free_extent(e, 'spec.extent[%d]' % i, disk)
                                     for i, e in enumerate(spec.extent)]
        self.check_new_name(vmfs.volumeName)
        disk.partitions = partitions
        ds = self.make_vmfs(vmfs.volumeName, vmfs.majorVersion, extents)
        self.post(ctx, 'VMFSDatastoreCreatedEvent', ds, datastoreUrl=ds.url)
        return ds.ref

    def make_vmfs(self, name, major, extents):
        """A new VMFS datastore on `extents` ((disk, Partition) pairs)."""
        volume_id = volume_uuid(self.server)
        ds = Datastore(self.server, self.new_moid(volume_id), name,
                       self.datacenter().datastore_folder, volume_id,
                       capacity=_capacity(p for _, p in extents),
                       local=all(disk.local for disk, _ in extents))
        ds.extents = [(disk.canonical_name, p.number) for disk, p in extents]
        ds.vmfs_major = major
        self.mount(ds)
        self.storage.report('storageDeviceInfo')
        return ds

    def free_extent(self, extent, argument, *taken):
        """(disk, Partition) of a VMFS partition of an attached disk (not one
        of `taken`) that no volume uses."""
        storage = self.storage
        disk = disk_by(storage.disks, name=extent.diskName)
        if disk in taken or not disk.attached:
            raise InvalidArgument(argument)
        partition = _vmfs_partition(disk, disk.partitions, extent, argument)
        for ds in storage.volumes_on(disk):
            if (disk.canonical_name, partition.number) in ds.extents:
                raise host_config_fault('Partition %d of %s is in use by datastore %s.'
                                        % (partition.number, disk.canonical_name, ds.name))
        return disk, partition

    def vmfs_capacity(self, ds):
        """The bytes of `ds`'s extents' partitions on this host's disks."""
        disks = {disk.canonical_name: disk for disk in self.storage.disks}
        return _capacity(disks[name].partition(number) for name, number in ds.extents
                         if name in disks and disks[name].partition(number) is not None)

    def QueryVmfsDatastoreExtendOptions(self, ctx, datastore, devicePath,
                                        suppressExpandCandidates=None):
        ds = self.vmfs(datastore)
        storage = self.storage
        disk = disk_by(storage.disks, path=devicePath)
        if ds in storage.volumes_on(disk):
            return []                       # growing an extent is ExpandVmfsDatastore's
        self.free_disk(devicePath)
        T = self.host.T
        return [T.VmfsDatastoreOption(
            info=option_info(T, disk, partitions, number, kind),
            spec=T.VmfsDatastoreExtendSpec(
                diskUuid=disk.uuid, partition=partition_spec(T, disk, partitions),
                extent=[T.HostScsiDiskPartition(diskName=disk.canonical_name,
                                                partition=number)]))
            for partitions, number, kind in _layouts(disk)]

    def ExtendVmfsDatastore(self, ctx, datastore, spec):
        ds = self.vmfs(datastore)
        disk = disk_by(self.storage.disks, uuid=spec.diskUuid)
        self.free_disk(disk.device_path)
        partitions = check_partitions(disk, spec.partition.partition, 'spec.partition.partition')
        if not spec.extent:
            raise InvalidArgument('spec.extent')
        added = [_vmfs_partition(disk, partitions, e, 'spec.extent[%d]' % i)
                 for i, e in enumerate(spec.extent)]
        disk.partitions = partitions
        ds.extents = ds.extents + [(disk.canonical_name, p.number) for p in added]
        self.grown(ctx, ds, 'VMFSDatastoreExtendedEvent')
        return ds.ref

    def grown(self, ctx, ds, event):
        ds.capacity = self.vmfs_capacity(ds)
        files.touched(ds)
        self.storage.report('storageDeviceInfo', 'fileSystemVolumeInfo')
        self.post(ctx, event, ds)

    def QueryVmfsDatastoreExpandOptions(self, ctx, datastore):
        """For each extent that ends its disk's partitions with room after it:
        the extent grown over that room."""
        ds = self.vmfs(datastore)
        T = self.host.T
        options = []
        for disk, partition in self._extents_here(ds):
            grown = _grown_partition(disk, partition)
            if grown is None:
                continue
            partitions = [grown if p is partition else p for p in disk.partitions]
            options.append(T.VmfsDatastoreOption(
                info=option_info(T, disk, partitions, grown.number, 'single'),
                spec=T.VmfsDatastoreExpandSpec(
                    diskUuid=disk.uuid, partition=partition_spec(T, disk, partitions),
                    extent=T.HostScsiDiskPartition(diskName=disk.canonical_name,
                                                   partition=grown.number))))
        return options

    def _extents_here(self, ds):
        disks = {disk.canonical_name: disk for disk in self.storage.disks}
        return [(disks[name], disks[name].partition(number)) for name, number in ds.extents
                if name in disks and disks[name].partition(number) is not None]

    def ExpandVmfsDatastore(self, ctx, datastore, spec):
        ds = self.vmfs(datastore)
        disk = disk_by(self.storage.disks, uuid=spec.diskUuid)
        extent = spec.extent
        if extent.diskName != disk.canonical_name or \
                (disk.canonical_name, extent.partition) not in ds.extents:
            raise InvalidArgument('spec.extent')
        partitions = check_partitions(disk, spec.partition.partition, 'spec.partition.partition')
        old = disk.partition(extent.partition)
        new = next((p for p in partitions if p.number == old.number), None)
        if new is None or new.type != 'vmfs' or new.start != old.start or new.end < old.end:
            raise InvalidArgument('spec.partition.partition')
        others = [(p.number, p.start, p.end, p.type) for p in partitions if p is not new]
        if others != [(p.number, p.start, p.end, p.type) for p in disk.partitions
                      if p.number != old.number]:
            raise InvalidArgument('spec.partition.partition')
        disk.partitions = partitions
        self.grown(ctx, ds, 'VMFSDatastoreExpandedEvent')
        return ds.ref

    # -- removal ----------------------------------------------------------------------------
    def RemoveDatastore(self, ctx, datastore):
        self.remove(ctx, self.mounted(datastore))

    def remove(self, ctx, ds):
        """Unmount an NFS datastore from this host; delete a VMFS volume."""
        import shutil    # not at start (with bz2, lzma: 0.6 MB)
        if isinstance(ds, NasDatastore):
            users = self.users_on(ds, self.host)
        else:
            users = ds.users()
        if users:
            raise fault('ResourceInUse', 'The resource %s is in use.' % ds.name,
                        type='Datastore', name=ds.name)
        if isinstance(ds, NasDatastore):
            self.unmount(ctx, ds, self.host)
            return
        directory = files.directory(ds)
        for host in list(ds.hosts):
            host.managers['storageSystem'].remove_volume_partitions(ds)
        for host in list(ds.hosts):
            self.unmount(ctx, ds, host)
        shutil.rmtree(directory, ignore_errors=True)

    def RemoveDatastoreEx_Task(self, ctx, datastore):
        return per_key_task(ctx, self.host, self, 'RemoveDatastoreEx_Task', datastore,
                            'HostDatastoreSystemDatastoreResult',
                            lambda ctx, ref: self.remove(ctx, self.mounted(ref)))

    # -- host settings ------------------------------------------------------------------------
    def UpdateLocalSwapDatastore(self, ctx, datastore=None):
        if datastore is None:
            self.local_swap = None
        else:
            ds = self.server.objects.get(datastore)
            if ds is None or ds not in self.host.datastores or \
                    self.host in ds.unmounted:
                raise fault('InaccessibleDatastore', 'The datastore is not accessible on '
                            'this host.', datastore=datastore,
                            name=getattr(ds, 'name', None) or '')
            if ds.mount_info(self.host).accessMode != 'readWrite':
                raise fault('DatastoreNotWritableOnHost', 'The datastore %s is not writable '
                            'on this host.' % ds.name, datastore=ds.ref, name=ds.name,
                            host=self.host.ref)
            self.local_swap = ds
        self.host.changed('config')

    def ConfigureDatastorePrincipal(self, ctx, userName, password=None):
        """Only in maintenance mode, as hostd insists; the user must be one of
        the host's accounts."""
        if not self.host.maintenance:
            raise fault('InvalidState', 'The host must be in maintenance mode.')
        accounts = self.host.managers['accountManager'].accounts
        if userName != 'root' and userName not in accounts:
            raise host_config_fault('The user %s does not exist on the host.' % userName)
        self.principal = userName
        self.host.changed('config')

    # -- clustered VMDK -------------------------------------------------------------------------
    def EnableClusteredVmdkSupport(self, ctx, datastore):
        self._clustered(datastore, True)

    def DisableClusteredVmdkSupport(self, ctx, datastore):
        self._clustered(datastore, False)

    def _clustered(self, ref, enabled):
        """Clustered VMDKs need VMFS 6 on devices that support SCSI-3
        persistent reservations: shared (non-local) ones."""
        ds = self.vmfs(ref)
        if enabled and (ds.vmfs_major < 6 or ds.local):
            raise host_config_fault('Datastore %s does not support clustered VMDKs.' % ds.name)
        if ds.clustered_vmdk != enabled:
            ds.clustered_vmdk = enabled
            ds.changed('capability')

    @property
    def datastore(self):
        return refs(self.host.datastores)

    @property
    def capabilities(self):
        return self.host.datastore_capabilities()


def _capacity(partitions):
    """Bytes of VMFS over `partitions`, in whole MiB."""
    return sum(p.sectors * SECTOR for p in partitions) // MiB * MiB


def _vmfs_partition(disk, partitions, extent, argument):
    """The VMFS Partition `extent` (HostScsiDiskPartition) names on `disk`."""
    found = next((p for p in partitions if p.number == extent.partition), None)
    if extent.diskName != disk.canonical_name or found is None or found.type != 'vmfs':
        raise InvalidArgument(argument)
    return found


def _layouts(disk):
    """The partition tables a new VMFS volume on `disk` can take, with its
    partition's number and the option kind: the whole disk ('all', its
    partitions replaced), and its free space after the last partition
    ('single', the others kept)."""
    start, end = disk.whole_disk_range()
    layouts = [([Partition(1, start, end, 'vmfs')], 1, 'all')]
    free = disk.free_range()
    if disk.partitions and free is not None:
        number = next(n for n in range(1, 129) if disk.partition(n) is None)
        layouts.append((disk.partitions + [Partition(number, free[0], free[1], 'vmfs')],
                        number, 'single'))
    return layouts


def _grown_partition(disk, partition):
    """`partition` grown over the free space that follows it, or None."""
    if any(p.start > partition.end for p in disk.partitions):
        return None
    free = disk.free_range()
    if free is None:
        return None
    return Partition(partition.number, partition.start, free[1], partition.type)


def option_info(T, disk, partitions, number, kind):
    """The VmfsDatastoreBaseOption describing a layout: all-extent (the whole
    disk) or single-extent (one partition)."""
    chosen = next(p for p in partitions if p.number == number)
    lba = T.HostDiskDimensionsLba
    extent = T.HostDiskPartitionBlockRange(
        partition=number, type='vmfs', start=lba(blockSize=SECTOR, block=chosen.start),
        end=lba(blockSize=SECTOR, block=chosen.end))
    cls = T.VmfsDatastoreAllExtentOption if kind == 'all' else \
        T.VmfsDatastoreSingleExtentOption
    return cls(layout=partition_layout(T, disk, partitions), partitionFormatChange=False,
               vmfsExtent=extent)
