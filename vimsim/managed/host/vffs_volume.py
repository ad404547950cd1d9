"""A host's VFFS (vFlash file system) volume: the model behind
HostStorageSystem's *Vffs methods and HostVFlashManager's vFlash resource.

ESXi keeps at most one VFFS volume per host, on local SSDs (a `vffs`
partition on each, the first made by FormatVffs, the others added by
ExtendVffs). It is not a datastore: it shows in the host's
`fileSystemVolume` only, mounted at /vmfs/volumes/<uuid>. Its capacity is
its partitions', in whole MiB, less the 1 MiB per extent its metadata takes.
"""
from vimsim.managed.host.storage_devices import SECTOR, Partition

VFFS_MAJOR_VERSION = 1
VFFS_VERSION = '1.0'
MiB = 1 << 20


class VffsVolume:
    def __init__(self, name, uuid, extents):
        self.name = name
        self.uuid = uuid
        self.extents = list(extents)    # (disk, partition number), first the head extent
        self.mounted = True

    @property
    def path(self):
        return '/vmfs/volumes/%s' % self.uuid

    def named_by(self, path):
        """Whether a vffsPath argument names this volume (its path, by uuid or name)."""
        return path in (self.path, '/vmfs/volumes/' + self.name, self.uuid, self.name)

    @property
    def capacity(self):
        sectors = [disk.partition(number).sectors for disk, number in self.extents
                   if disk.partition(number) is not None]
        return sum(n * SECTOR // MiB - 1 for n in sectors) * MiB

    def on(self, disk):
        return any(d is disk for d, _ in self.extents)

    def intact(self):
        """Whether every extent's partition is still a VFFS partition."""
        return all(disk.partition(number) is not None and
                   disk.partition(number).type == 'vffs' for disk, number in self.extents)

    def volume(self, T):
        return T.HostVffsVolume(
            type='VFFS', name=self.name, capacity=self.capacity,
            majorVersion=VFFS_MAJOR_VERSION, version=VFFS_VERSION, uuid=self.uuid,
            extent=[T.HostScsiDiskPartition(diskName=disk.canonical_name, partition=number)
                    for disk, number in self.extents])

    def mount_info(self, T):
        return T.HostFileSystemMountInfo(
            mountInfo=T.HostMountInfo(path=self.path, accessMode='readWrite',
                                      mounted=self.mounted, accessible=self.mounted),
            volume=self.volume(T), vStorageSupport='vStorageUnsupported')


def whole_disk_vffs(disk):
    """The partition table of a disk given over to VFFS: one `vffs` partition."""
    start, end = disk.whole_disk_range()
    return [Partition(1, start, end, 'vffs')]
