"""Datastore.

A datastore's primary state is its name, VMFS uuid and capacity plus the
hosts that mount it and the VMs that live on it. Free space, uncommitted
space, `summary`, `info` and `host` are computed on read from the VMs'
storage, so they always agree with the VMs' own `storage`.
"""
import uuid as uuid_module
from datetime import datetime, timezone

from vimsim import clock
from vimsim.managed.entity import ManagedEntity, data_types, refs
from vimsim.managed.storage.datastore_browser import HostDatastoreBrowser
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.managed.storage.datastore_files import loose_usage, renamed_path, touched

TiB = 1 << 40
BLOCK_SIZE_MB = 1
VMFS_VERSION = '6.82'
_NAMESPACE = uuid_module.UUID('6d1c5f2e-7a3b-4c8d-9e0f-a1b2c3d4e5f6')


def vmfs_uuid(name, dc_name):
    """A VMFS volume uuid (8-8-4-12 hex) derived from the names."""
    h = uuid_module.uuid5(_NAMESPACE, '%s/%s' % (dc_name, name)).hex
    return '%s-%s-%s-%s' % (h[:8], h[8:16], h[16:20], h[20:32])


class Datastore(ManagedEntity):
    type_name = 'Datastore'

    def __init__(self, server, moid, name, folder, vmfs_uuid, capacity=TiB, local=True):
        super().__init__(server, moid, name, folder)
        folder.add_child(self)
        self.vmfs_uuid = vmfs_uuid
        self.capacity = capacity
        self.local = local
        self.hosts = []     # HostSystem objects mounting this datastore
        self.vms = []       # VirtualMachine objects with files here
        self.created = clock.now()
        self._browser = HostDatastoreBrowser(server, 'datastoreBrowser-%s' % moid
                                             if not server.esx else 'ha-datastore-browser-%s' % moid,
                                             [self])

    # -- primary facts ---------------------------------------------------------
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
        for vm in self.vms:
            c, u = vm.storage_usage(self)
            committed += c
            uncommitted += u
        return committed, uncommitted

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

    def Destroy_Task(self, ctx):
        return self.destroy_unused(ctx, lambda: self.vms)

    def destroy(self):
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
        T = self.T
        return [T.DatastoreHostMount(key=host.ref, mountInfo=T.HostMountInfo(
            path=self.path, accessMode='readWrite', mounted=True, accessible=True))
            for host in self.hosts]

    @property
    def summary(self):
        committed, uncommitted = self.usage()
        return self.T.DatastoreSummary(
            datastore=self.ref, name=self.name, url=self.url, capacity=self.capacity,
            freeSpace=max(self.capacity - committed - self.overhead, 0),
            uncommitted=uncommitted, accessible=True,
            multipleHostAccess=len(self.hosts) > 1, type='VMFS',
            maintenanceMode='normal')

    def vmfs_volume(self):
        T = self.T
        return T.HostVmfsVolume(
            type='VMFS', name=self.name, capacity=self.capacity, blockSizeMb=BLOCK_SIZE_MB,
            blockSize=BLOCK_SIZE_MB * 1024, unmapGranularity=BLOCK_SIZE_MB * 1024,
            unmapPriority='low', maxBlocks=63963136, majorVersion=6, version=VMFS_VERSION,
            uuid=self.vmfs_uuid,
            extent=[T.HostScsiDiskPartition(diskName=LOCAL_DISK, partition=3)],
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
            vmfs=self.vmfs_volume())

    @property
    def capability(self):
        return _capability(self.server)

    @property
    def iormConfiguration(self):
        T = self.T
        return T.StorageIORMInfo(enabled=False, congestionThresholdMode='automatic',
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

_capabilities = {}


def _capability(server):
    found = _capabilities.get(id(server.schema))
    if found is None:
        found = _capabilities[id(server.schema)] = data_types(server).DatastoreCapability(
            directoryHierarchySupported=True, rawDiskMappingsSupported=False,
            perFileThinProvisioningSupported=True, storageIORMSupported=True,
            nativeSnapshotSupported=False, topLevelDirectoryCreateSupported=True,
            seSparseSupported=True, vmfsSparseSupported=True, vsanSparseSupported=False,
            upitSupported=False, vmdkExpandSupported=True, clusteredVmdkSupported=False)
    return found
