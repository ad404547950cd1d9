"""Datastore.

A datastore's primary state is its name, VMFS uuid and capacity plus the
hosts that mount it and the VMs that live on it. Free space, uncommitted
space, `summary`, `info` and `host` are computed on read from the VMs'
storage, so they always agree with the VMs' own `storage`: the VMs' part is
a roll-up (monitoring/rollup.py) that reads again only the VMs that changed.

Lifecycle: a datastore VMs or first-class disks use cannot be destroyed
(ResourceInUse). Maintenance mode is entered by a task that waits until no
VM is registered on the datastore; in a pod with Storage DRS the VMs get
moves to the pod's other datastores (started at once when the pod is
automated, else returned as recommendations), and entering is refused when
a VM has nowhere to go. While it is entering or in maintenance, no new
files go there: creating, cloning or relocating a VM onto it and creating a
disk there answer InvalidDatastoreState (`refuse_new_files`), as vCenter's.
A read-only one (NFS mounted `readOnly` by every host) refuses every write
(`datastore_files.check_writable`).
"""
import operator
import os
import uuid as uuid_module
from datetime import datetime, timezone

from vimsim import clock
from vimsim.managed.entity import ManagedEntity, data_types, refs
from vimsim.managed.storage.datastore_browser import HostDatastoreBrowser
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.managed.monitoring.rollup import Members, Rollup
from vimsim.managed.monitoring.task import run_task, when_vacated
from vimsim.managed.storage import datastore_files as files
from vimsim.managed.storage.datastore_files import loose_usage, renamed_path, touched
from vimsim.soap.fault import FileLocked, InvalidArgument, fault, localized

TiB = 1 << 40
BLOCK_SIZE_MB = 1
VMFS_VERSIONS = {5: '5.82', 6: '6.82'}
_DIR_NAME = operator.attrgetter('dir_name')
_NAMESPACE = uuid_module.UUID('6d1c5f2e-7a3b-4c8d-9e0f-a1b2c3d4e5f6')


def unique_datastore_name(datacenter, base):
    """`base`, or 'base (n)' for the first n the datacenter's datastores do
    not have: how vCenter names a datastore a host brings."""
    taken = {ds.name for ds in datacenter.datastores}
    name, n = base, 0
    while name in taken:
        n += 1
        name = '%s (%d)' % (base, n)
    return name


def vmfs_uuid(name, dc_name):
    """A VMFS volume uuid (8-8-4-12 hex) derived from the names."""
    h = uuid_module.uuid5(_NAMESPACE, '%s/%s' % (dc_name, name)).hex
    return '%s-%s-%s-%s' % (h[:8], h[8:16], h[16:20], h[20:32])


class Datastore(ManagedEntity):
    type_name = 'Datastore'
    fs_type = 'VMFS'

    def __init__(self, server, moid, name, folder, vmfs_uuid, capacity=TiB, local=True):
        super().__init__(server, moid, name, folder)
        folder.add_child(self)
        self.vmfs_uuid = vmfs_uuid
        self.capacity = capacity
        self.local = local
        self.hosts = []     # HostSystem objects mounting this datastore
        self.vms = Members()    # VirtualMachine objects with files here
        self._vm_rollup = None  # their usage here, made on first read
        self.created = clock.now()
        self.maintenance_mode = 'normal'    # enteringMaintenance, inMaintenance
        self.iorm = None                    # ConfigureDatastoreIORM_Task's StorageIORMInfo
        self.paths_down = frozenset()       # hosts with all paths down to it (APD)
        self.extents = [(LOCAL_DISK, 3)]    # the VMFS volume's (disk name, partition)s
        self.vmfs_major = 6
        self.unmounted = set()              # hosts that unmounted the volume (UnmountVmfsVolume)
        self.clustered_vmdk = False         # EnableClusteredVmdkSupport
        self.unmap_priority = 'low'         # UpdateVmfsUnmapPriority
        self.unmap_bandwidth = None         # UpdateVmfsUnmapBandwidth's VmfsUnmapBandwidthSpec
        self._browser = HostDatastoreBrowser(server, 'datastoreBrowser-%s' % moid
                                             if not server.esx else 'ha-datastore-browser-%s' % moid,
                                             [self])

    # -- primary facts ---------------------------------------------------------
    def accessible_on(self, host):
        """Whether `host` reaches the datastore: it mounts it, paths up."""
        return host not in self.paths_down and host not in self.unmounted

    def set_paths_down(self, hosts):
        """All paths down from `hosts` (the control surface's APD; none: back)."""
        self.paths_down = frozenset(hosts)
        self.changed('summary', 'host')

    @property
    def url(self):
        return 'ds:///vmfs/volumes/%s/' % self.vmfs_uuid

    @property
    def path(self):
        return '/vmfs/volumes/%s' % self.vmfs_uuid

    def usage(self):
        """(committed, uncommitted) bytes of every file on this datastore:
        its VMs' (as the model has them) and the others' (as on disk)."""
        committed, uncommitted = loose_usage(self)
        if self._vm_rollup is None:
            self._vm_rollup = Rollup(self.server.changes, self.vm_usage, 2)
            self._vm_rollup.follow((self.vms,))
        vm_committed, vm_uncommitted = self._vm_rollup.total()
        return committed + vm_committed, uncommitted + vm_uncommitted

    def vm_usage(self, vm):
        """(committed, uncommitted) bytes of `vm`'s files here."""
        return vm.storage_usage(self)

    @property
    def free_space(self):
        committed, _ = self.usage()
        return max(self.capacity - committed - self.overhead, 0)

    @property
    def overhead(self):
        """What VMFS itself uses (metadata, .sf files): about 1.5 GB + 0.1%."""
        return 1536 * 1024 * 1024 + self.capacity // 1000

    def rename(self, task, new_name):
        """Rename_Task's work; every file name that names the datastore follows
        (VMs' backings and settings, unregistered VMs, files kept loose)."""
        old = self.name
        result = super().rename(task, new_name)
        if self.name != old:
            self._forget_vm_usage()     # the VMs' files are matched by the name
            store = getattr(self.server, 'unregistered_vms', {})
            for path in [p for p in store if renamed_path(p, old, self.name) != p]:
                store[renamed_path(path, old, self.name)] = store.pop(path)
            loose = self.__dict__.get('loose_files') or {}
            self.loose_files = {renamed_path(k, old, self.name): v for k, v in loose.items()}
            for obj in list(self.server.objects) + list(store.values()):
                follow = getattr(obj, 'datastore_renamed', None)
                if follow is not None:
                    follow(old, self.name)
        return result

    def RenameDatastore(self, ctx, newName):
        """Rename_Task's rename, as a plain call (its event outside any task chain)."""
        self.rename(_CallEvents(ctx), newName)

    def RefreshDatastore(self, ctx):
        """Count the free space again from the files."""
        touched(self)

    def RefreshDatastoreStorageInfo(self, ctx):
        """Count the free space and each VM's usage here again."""
        touched(self)
        for vm in self.vms:
            vm.changed('storage', 'layoutEx', 'summary')

    def users(self):
        """The VMs and first-class disks that keep the datastore in use."""
        from vimsim.managed.storage.vstorage_object import disks_on    # on removal only
        return list(self.vms) + disks_on(self)

    def Destroy_Task(self, ctx):
        return self.destroy_unused(ctx, self.users)

    def DestroyDatastore(self, ctx):
        """Destroy_Task's removal, as a plain call (vCenter's event with it)."""
        if self.users():
            raise fault('ResourceInUse', 'The resource %s is in use.' % self.name,
                        type=self.type_name, name=self.name)
        event_manager(ctx.server).post('DatastoreDestroyedEvent', self, ctx=ctx)
        self.leave_inventory()

    read_only = False      # NFS: no host mounts it read-write (NasDatastore)

    def namespace_uuid(self, name):
        """The namespace object a top-level name names: none on a datastore
        whose top-level directories are plain ones (vSAN's are objects)."""
        return None

    def check_top_level(self, relative):
        """Whatever a client makes here may be anywhere (vSAN's top takes
        namespace objects only)."""

    def alias_path(self, directory):
        """A directory as clients name it (vSAN's namespace objects have aliases)."""
        return directory

    def home_directories(self):
        """The home directories, as clients name them, of the VMs listed here
        (some have their home on another datastore), for a quick look."""
        return map(_DIR_NAME, self.vms)

    def place_home(self, directory, stem):
        """(directory, namespace object to make) of a new VM's home named
        `directory`: where it says on a plain datastore."""
        return directory, None

    def release_home(self, directory):
        """A destroyed VM's directory: a plain one goes as its files do."""

    # -- maintenance mode -----------------------------------------------------------------
    def refuse_new_files(self):
        """InvalidDatastoreState while the datastore is entering or in
        maintenance, DatastoreNotWritableOnHost while it is read-only:
        nothing new is placed there."""
        files.check_writable(self)
        if self.maintenance_mode != 'normal':
            raise fault('InvalidDatastoreState', "The operation is not allowed in the current "
                        "state of the datastore '%s'." % self.name, datastoreName=self.name)

    def DatastoreEnterMaintenanceMode(self, ctx):
        from vimsim.managed.storage.storage_resource_manager import (    # Storage DRS's
            carry_out, evacuation, keep, pod_of, sdrs_enabled)
        T = self.T
        if self.maintenance_mode != 'normal':
            raise fault('InvalidState', 'The operation is not allowed in the current state.')
        pod = pod_of(self)
        moves = evacuation(self) if sdrs_enabled(pod) and self.vms else []
        self.maintenance_mode = 'enteringMaintenance'
        self.changed('summary')

        def entered():
            if self.maintenance_mode != 'enteringMaintenance':     # exited meanwhile
                raise fault('RequestCanceled', 'The task was canceled by a user.')
            self.maintenance_mode = 'inMaintenance'
            self.changed('summary')

        def work(task):
            return when_vacated(ctx.server, task, None, self._maintenance_blockers, entered)
        task = run_task(ctx, self, 'DatastoreEnterMaintenanceMode', work, cancelable=True)
        task.followers.append(self._entering_ended)
        if moves and pod.pod_config.defaultVmBehavior == 'automated':
            carry_out(ctx, moves)
            return T.StoragePlacementResult(task=task.ref)
        if moves:
            keep(pod, moves)
        return T.StoragePlacementResult(recommendations=[m.recommendation for m in moves],
                                        task=task.ref)

    def _maintenance_blockers(self):
        """What entering maintenance waits for: the VMs registered here
        (none once an exit ended the wait)."""
        return list(self.vms) if self.maintenance_mode == 'enteringMaintenance' else []

    def _entering_ended(self, task):
        if task.info.state == 'error' and self.maintenance_mode == 'enteringMaintenance':
            self.maintenance_mode = 'normal'      # cancelled or failed: back in service
            self.changed('summary')

    def DatastoreExitMaintenanceMode_Task(self, ctx):
        def work(task):
            if self.maintenance_mode == 'normal':
                raise fault('InvalidState', 'The operation is not allowed in the current '
                            'state.')
            self.maintenance_mode = 'normal'
            self.changed('summary')
            return self.T.StoragePlacementResult()
        return run_task(ctx, self, 'DatastoreExitMaintenanceMode_Task', work)

    # -- resignatured volumes ---------------------------------------------------------------
    def UpdateVirtualMachineFiles_Task(self, ctx, mountPathDatastoreMapping):
        """After a resignature, the VM files (.vmx, disk descriptors) here
        that name an old mount path name the mapped datastore's instead. A
        file a powered-on VM holds is not changed (FileLocked in the result)."""
        mapping = []
        for index, pair in enumerate(mountPathDatastoreMapping):
            target = ctx.server.objects.get(pair.datastore)
            if getattr(target, 'type_name', None) != 'Datastore' or \
                    not hasattr(target, 'vmfs_uuid'):
                raise fault('InvalidDatastore', 'The datastore is not valid.',
                            datastore=pair.datastore)
            old = (pair.oldMountPath or '').rstrip('/')
            if not old.startswith('/vmfs/volumes/'):
                raise InvalidArgument('mountPathDatastoreMapping[%d].oldMountPath' % index)
            mapping.append((old, target.path))

        def work(task):
            T = self.T
            failed = []
            files.namespace(ctx.server).materialize()
            for name in _vm_files(self):
                target = files.on_datastore(self, files.split_path(name)[1], name)
                with files.os_faults(name):
                    with open(target.path, 'rb') as f:
                        text = f.read(files.DESCRIPTOR_MAX).decode('utf-8', 'replace')
                    updated = text
                    for old, new in mapping:
                        updated = updated.replace(old + '/', new + '/')
                    if updated == text:
                        continue
                    if files.locked(target) is not None:
                        failed.append(T.UpdateVirtualMachineFilesResultFailedVmFileInfo(
                            vmFile=name, fault=localized(FileLocked(name))))
                        continue
                    files.write_file(target.path, updated.encode('utf-8'))
            touched(self)
            return T.UpdateVirtualMachineFilesResult(failedVmFile=failed)
        return run_task(ctx, self, 'UpdateVirtualMachineFiles_Task', work)

    def UpdateVVolVirtualMachineFiles_Task(self, ctx, failoverPair=()):
        """The VM files of a VVol datastore after a failover to its replica
        containers: no simulated datastore is a VVol one (VMFS and NFS only),
        and vCenter answers NotSupported for a datastore of another type."""
        raise fault('NotSupported', 'The operation is not supported on the object: %s is a '
                    '%s datastore, not a VVol datastore.' % (self.name, self.fs_type))

    def _forget_vm_usage(self):
        if self._vm_rollup is not None:
            self._vm_rollup.close()
            self._vm_rollup = None

    def destroy(self):
        self._forget_vm_usage()
        self._browser.destroy()
        super().destroy()

    # -- properties ------------------------------------------------------------
    @property
    def browser(self):
        return self._browser.ref

    @property
    def vm(self):
        return refs(self.vms)

    @property
    def host(self):
        return [self.T.DatastoreHostMount(key=host.ref, mountInfo=self.mount_info(host))
                for host in self.hosts]

    def mount_info(self, host):
        """How `host` mounts the datastore: not at all once it unmounted it,
        inaccessibly while its paths are all down."""
        mounted = host not in self.unmounted
        down = mounted and host in self.paths_down
        return self.T.HostMountInfo(path=self.path, accessMode='readWrite', mounted=mounted,
                                    accessible=self.accessible_on(host),
                                    inaccessibleReason='AllPathsDown_Start' if down else None)

    @property
    def accessible(self):
        """Whether some host reaches it (vCenter's summary.accessible)."""
        return not self.hosts or any(self.accessible_on(host) for host in self.hosts)

    @property
    def summary(self):
        committed, uncommitted = self.usage()
        return self.T.DatastoreSummary(
            datastore=self.ref, name=self.name, url=self.url, capacity=self.capacity,
            freeSpace=max(self.capacity - committed - self.overhead, 0),
            uncommitted=uncommitted, accessible=self.accessible,
            multipleHostAccess=len(self.hosts) > 1, type=self.fs_type,
            maintenanceMode=self.maintenance_mode)

    def volume(self):
        """The file system hosts mount (a HostFileSystemVolume)."""
        T = self.T
        return T.HostVmfsVolume(
            type='VMFS', name=self.name, capacity=self.capacity, blockSizeMb=BLOCK_SIZE_MB,
            blockSize=BLOCK_SIZE_MB * 1024, unmapGranularity=BLOCK_SIZE_MB * 1024,
            unmapPriority=self.unmap_priority, unmapBandwidthSpec=self.unmap_bandwidth,
            maxBlocks=63963136, majorVersion=self.vmfs_major,
            version=VMFS_VERSIONS[self.vmfs_major], uuid=self.vmfs_uuid,
            extent=[T.HostScsiDiskPartition(diskName=disk, partition=number)
                    for disk, number in self.extents],
            vmfsUpgradable=False, ssd=True, local=self.local, scsiDiskType='native512')

    @property
    def info(self):
        return self.T.VmfsDatastoreInfo(
            name=self.name, url=self.url, freeSpace=self.free_space,
            maxFileSize=64 * TiB, maxVirtualDiskCapacity=62 * TiB,
            maxMemoryFileSize=64 * TiB, timestamp=datetime.now(timezone.utc),
            supportedVDiskFormats=['thin', 'zeroedthick', 'eagerzeroedthick'],
            logicalSectorSize=512, physicalSectorSize=512,
            maxPhysicalRDMFileSize=64 * TiB, maxVirtualRDMFileSize=62 * TiB,
            vmfs=self.volume())

    @property
    def capability(self):
        return _capability(self.server, self.clustered_vmdk_supported, self.read_only)

    @property
    def clustered_vmdk_supported(self):
        """Clustered VMDKs need VMFS 6 on shared devices (SCSI-3 reservations)."""
        return self.fs_type == 'VMFS' and self.vmfs_major >= 6 and not self.local

    def IsClusteredVmdkEnabled(self, ctx):
        return self.clustered_vmdk

    @property
    def iormConfiguration(self):
        T = self.T
        return self.iorm or T.StorageIORMInfo(enabled=False, congestionThresholdMode='automatic',
                                 congestionThreshold=30, percentOfPeakThroughput=90,
                                 statsCollectionEnabled=False, reservationEnabled=True,
                                 statsAggregationDisabled=False)


class _CallEvents:
    """What `rename` posts its event through when no task runs it."""

    def __init__(self, ctx):
        self.ctx = ctx

    def post_event(self, type_name, entity, **fields):
        return event_manager(self.ctx.server).post(type_name, entity, ctx=self.ctx, **fields)


LOCAL_DISK = 'mpx.vmhba0:C0:T0:L0'


def _vm_files(ds):
    """The datastore paths of the .vmx files and disk descriptors on `ds`."""
    found = []
    root = files.directory(ds)
    for top, _, names in os.walk(root):
        for name in sorted(names):
            path = os.path.join(top, name)
            if name.endswith('.vmx') or (name.endswith('.vmdk') and
                                         files.read_descriptor(path) is not None):
                found.append(files.datastore_path(ds, os.path.relpath(path, root)))
    return sorted(found)

_capabilities = {}


def _capability(server, clustered_vmdk, read_only):
    """A read-only datastore takes no new top-level directory (no new VM home)."""
    key = (id(server.schema), clustered_vmdk, read_only)
    found = _capabilities.get(key)
    if found is None:
        found = _capabilities[key] = data_types(server).DatastoreCapability(
            directoryHierarchySupported=True, rawDiskMappingsSupported=False,
            perFileThinProvisioningSupported=True, storageIORMSupported=True,
            nativeSnapshotSupported=False, topLevelDirectoryCreateSupported=not read_only,
            seSparseSupported=True, vmfsSparseSupported=True, vsanSparseSupported=False,
            upitSupported=False, vmdkExpandSupported=True, clusteredVmdkSupported=clustered_vmdk)
    return found
