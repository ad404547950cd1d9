"""The vSAN datastore of a cluster (a Datastore of type `vsan`).

One per vSAN-enabled cluster, mounted by its vSAN-enabled hosts at
`/vmfs/volumes/vsan:<cluster uuid as two 16-digit halves>`, as ESXi mounts
it; its capacity is what their mounted disk groups' capacity disks hold
(host/vsan_system.py), counted on read. Its files are a directory like any
other datastore's; vSAN's object layout is not simulated beneath them.
"""
from vimsim import clock
from vimsim.managed.entity import data_types
from vimsim.managed.storage.datastore import TiB, Datastore

MAX_FILE_SIZE = 128 * TiB
MAX_VIRTUAL_DISK = 62 * TiB
MAX_MEMORY_FILE = (1 << 63) - 1


def container_id(cluster_uuid):
    """The vSAN container id ESXi names the datastore by: the cluster uuid's
    32 hex digits as two halves of 16."""
    digits = cluster_uuid.replace('-', '')
    return '%s-%s' % (digits[:16], digits[16:])


class VsanDatastore(Datastore):
    fs_type = 'vsan'

    def __init__(self, server, moid, name, folder, cluster_uuid):
        self.container = container_id(cluster_uuid)
        super().__init__(server, moid, name, folder, 'vsan:' + self.container, local=False)
        self.extents = []

    @property
    def capacity(self):
        """The capacity disks of the mounting hosts' mounted disk groups."""
        return sum(host.managers['vsanSystem'].capacity_bytes() for host in self.hosts)

    @capacity.setter
    def capacity(self, value):
        """Datastore's constructor sets a capacity; vSAN's is its disks' (above)."""

    @property
    def overhead(self):
        return 0                # vSAN's metadata lives outside the capacity it reports

    def volume(self):
        T = self.T
        return T.HostFileSystemVolume(type='vsan', name=self.name, capacity=self.capacity)

    @property
    def info(self):
        return self.T.VsanDatastoreInfo(
            name=self.name, url=self.url, freeSpace=self.free_space, maxFileSize=MAX_FILE_SIZE,
            maxVirtualDiskCapacity=MAX_VIRTUAL_DISK, maxMemoryFileSize=MAX_MEMORY_FILE,
            timestamp=clock.now(), containerId=self.container, aliasOf=self.container)

    @property
    def capability(self):
        """vSAN's, but for top-level directories: a real one makes them as
        namespace objects (DatastoreNamespaceManager), which are not modelled;
        here they are plain directories, as FileManager makes them."""
        return data_types(self.server).DatastoreCapability(
            directoryHierarchySupported=True, rawDiskMappingsSupported=True,
            perFileThinProvisioningSupported=True, storageIORMSupported=False,
            nativeSnapshotSupported=False, topLevelDirectoryCreateSupported=True,
            seSparseSupported=False, vmfsSparseSupported=False, vsanSparseSupported=True,
            upitSupported=False, vmdkExpandSupported=True, clusteredVmdkSupported=False)
