"""VirtualDiskManager: virtual disks as files on the datastore namespace: a
VMDK descriptor (vmdk.py) and its sparse extent, made, copied, moved,
grown, inflated, zeroed and deleted, and the descriptor's uuid and
geometry read back, by the same descriptors a VM's disks are written as.

VMFS disk types: thin, preallocated / thick (zeroedthick) and
eagerZeroedThick (flat extents; thick ones commit their capacity, which
must fit: NoDiskSpace), and seSparse. The hosted formats (sparse2Gb,
thick2Gb, sparseMonolithic, flatMonolithic), raw and device-backed disks
and deltas without a parent answer NotSupported, as on a VMFS datastore.

The sparse-disk operations take the disks that grow as written (thin
flat disks and seSparse deltas); a thick disk answers NotSupported.
An extent keeps each disk offset at the same file offset, so its grains
are always in disk order: fragmentation is 0 and defragmenting has nothing
to move. Shrinking gives back the blocks that hold only zeros (the copy
mode, the default, needs room for the copy while it runs). Unmanaged
snapshots are a VVol array's: on these VMFS datastores both calls answer
NotSupported for a disk that exists.
"""
import os
import re

from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.storage import changed_block_tracking
from vimsim.managed.storage import datastore_files as files
from vimsim.managed.storage import disk_data
from vimsim.managed.storage.file_manager import check_room, check_unlocked
from vimsim.managed.storage.vmdk import Descriptor, uuid_text
from vimsim.soap.fault import FileAlreadyExists, FileNotFound, InvalidArgument, fault

KB = 1024
MAX_DISK = 62 << 40       # a VMFS 6 datastore's maxVirtualDiskCapacity
FLAT_TYPES = {'thin': True, 'preallocated': False, 'thick': False, 'eagerZeroedThick': False}
ADAPTERS = {'ide': 'ide', 'busLogic': 'buslogic', 'lsiLogic': 'lsilogic'}
SHRINK_BLOCK = 1 << 20     # VMFS 6's block: what a thin disk allocates and gives back
_UUID = re.compile(r'^[0-9a-fA-F]{2}( [0-9a-fA-F]{2}){7}-[0-9a-fA-F]{2}( [0-9a-fA-F]{2}){7}$')


def not_supported():
    return fault('NotSupported', 'The operation is not supported on the object.')


class Disk:
    """A virtual disk a client named: its descriptor file and extent."""

    def __init__(self, target):
        self.target = target
        self.descriptor = None

    @property
    def name(self):
        return self.target.name

    def read(self):
        """Load the descriptor: FileNotFound when there is none, InvalidDiskFormat
        when the file is not a disk descriptor."""
        if not os.path.isfile(self.target.path):
            raise FileNotFound(self.name)
        self.descriptor = files.read_descriptor(self.target.path)
        if self.descriptor is None:
            raise fault('InvalidDiskFormat', 'The disk %s is not a virtual disk.' % self.name)
        return self

    def extent_paths(self):
        """The extents beside the descriptor (an extent may name no other place)."""
        directory = os.path.dirname(self.target.path)
        return [os.path.join(directory, os.path.basename(name))
                for _, _, _, name in self.descriptor.extents]

    def write(self):
        files.write_file(self.target.path, self.descriptor.text().encode('utf-8'))

    def committed(self):
        """Bytes the disk commits on its datastore."""
        return sum(files.file_usage(path)[0] for path in self.extent_paths())


def check_size(ds, capacity, name):
    """FileTooLarge past what a VMFS datastore holds in one disk."""
    if capacity > MAX_DISK:
        raise fault('FileTooLarge', 'The file %s is larger than the maximum size supported '
                    'by datastore %s' % (name, ds.name), file=name, datastore=ds.name, fileSize=capacity,
                    maxFileSize=MAX_DISK)


def _disk_name(name):
    if not (name or '').endswith('.vmdk'):
        raise files.invalid_path(name or '')


def _extent_for(relative, delta):
    stem = os.path.basename(relative)[:-len('.vmdk')]
    return stem + ('-sesparse.vmdk' if delta else '-flat.vmdk')


def _named_disk(server, name, datacenter, argument='name', writing=True):
    """The Disk a datastore path or URL names (its datastore writable when `writing`)."""
    _disk_name(name)
    target = files.resolve(server, name, datacenter, argument)
    if writing:
        files.check_writable(target.ds)
    return Disk(target)


def query_uuid(server, name, datacenter=None):
    """The uuid of the disk `name`, byte-spaced as vCenter answers it."""
    return uuid_text(_named_disk(server, name, datacenter, writing=False).read()
                     .descriptor.uuid)


def check_uuid(uuid):
    if not _UUID.match(uuid or ''):
        raise InvalidArgument('uuid')


def set_uuid(server, name, uuid, datacenter=None):
    """Give the disk `name` the uuid `uuid` (checked by `check_uuid`)."""
    disk = _named_disk(server, name, datacenter).read()
    check_unlocked(disk.target)
    disk.descriptor.ddb['ddb.uuid'] = uuid_text(uuid.replace(' ', '').replace('-', ''))
    with files.os_faults(disk.name):
        disk.write()


@manager_type('VirtualDiskManager')
class VirtualDiskManager(Manager):

    def _disk(self, ctx, name, datacenter, argument='name', writing=True):
        return _named_disk(ctx.server, name, datacenter, argument, writing)

    # -- making and removing ---------------------------------------------------------
    def CreateVirtualDisk_Task(self, ctx, name, spec, datacenter=None):
        disk = self._disk(ctx, name, datacenter)
        disk_type, adapter = self._spec(spec, creating=True)
        capacity = spec.capacityKb * KB

        def work(task):
            target = disk.target
            if target.exists():
                raise FileAlreadyExists(target.name)
            if not target.parent_exists():
                raise FileNotFound(files.datastore_path(
                    target.ds, os.path.dirname(target.relative)))
            check_size(target.ds, capacity, target.name)
            thin = FLAT_TYPES.get(disk_type, True)
            if not thin:
                check_room(target.ds, capacity, target.name)
            disk.descriptor = Descriptor.new(
                _extent_for(target.relative, disk_type == 'seSparse'), capacity,
                ctx.server.new_uuid(), adapter=adapter, thin=thin)
            if disk_type == 'seSparse':
                disk.descriptor.create_type = 'seSparse'
            files.sparse_file(disk.extent_paths()[0], capacity)
            disk.write()
            files.touched(target.ds)
            return target.name
        return run_task(ctx, None, 'CreateVirtualDisk_Task', files.guarded(disk.name, work),
                        this=self)

    def _spec(self, spec, creating=False):
        """(diskType, descriptor adapter) of a VirtualDiskSpec, or vCenter's fault."""
        T = self.server.schema.types
        if creating and not isinstance(spec, T['FileBackedVirtualDiskSpec'].cls):
            raise not_supported()       # device-backed: no raw LUNs here
        if spec.diskType not in FLAT_TYPES and spec.diskType != 'seSparse':
            if spec.diskType in self.server.schema.enums['VirtualDiskType'].values:
                raise not_supported()
            raise InvalidArgument('spec.diskType')
        adapter = ADAPTERS.get(spec.adapterType)
        if adapter is None:
            raise InvalidArgument('spec.adapterType')
        if creating:
            if spec.capacityKb is None or spec.capacityKb <= 0:
                raise InvalidArgument('spec.capacityKb')
            if spec.profile or spec.crypto is not None:
                raise not_supported()     # storage policies and encryption are not simulated
            if spec.sectorFormat not in (None, 'native_512'):
                raise not_supported()
        return spec.diskType, adapter

    def DeleteVirtualDisk_Task(self, ctx, name, datacenter=None):
        def delete(disk):
            for path in disk.extent_paths():
                if os.path.exists(path):
                    os.unlink(path)
            os.unlink(disk.target.path)
        return self._changed(ctx, name, datacenter, 'DeleteVirtualDisk_Task', delete)

    def CopyVirtualDisk_Task(self, ctx, sourceName, destName, sourceDatacenter=None,
                             destDatacenter=None, destSpec=None, force=False):
        source = self._disk(ctx, sourceName, sourceDatacenter, 'sourceName', writing=False)
        target = self._disk(ctx, destName, destDatacenter, 'destName')
        wanted = self._spec(destSpec) if destSpec is not None else None

        def work(task):
            source.read()
            self._check_target(source, target, force)
            descriptor = Descriptor.parse(source.descriptor.text())
            descriptor.renamed(_extent_for(target.target.relative,
                                           descriptor.create_type != 'vmfs'))
            descriptor.ddb['ddb.uuid'] = uuid_text(ctx.server.new_uuid())
            if wanted is not None:
                _convert(descriptor, *wanted)
            thin = descriptor.thin or descriptor.create_type != 'vmfs'
            needed = source.committed() if thin else descriptor.capacity_bytes
            check_room(target.target.ds, needed, target.name)
            self._clear_target(target)
            target.descriptor = descriptor
            extent = target.extent_paths()[0]
            files.copy(source.extent_paths()[0], extent)
            files.sparse_file(extent, descriptor.capacity_bytes)
            target.write()
            files.touched(target.target.ds)
            return None
        return run_task(ctx, None, 'CopyVirtualDisk_Task', files.guarded(target.name, work),
                        this=self)

    def MoveVirtualDisk_Task(self, ctx, sourceName, destName, sourceDatacenter=None,
                             destDatacenter=None, force=False, profile=()):
        if profile:
            raise not_supported()
        source = self._disk(ctx, sourceName, sourceDatacenter, 'sourceName')
        target = self._disk(ctx, destName, destDatacenter, 'destName')

        def work(task):
            source.read()
            check_unlocked(source.target)
            self._check_target(source, target, force)
            if target.target.ds is not source.target.ds:
                check_room(target.target.ds, source.committed(), target.name)
            self._clear_target(target)
            descriptor = source.descriptor
            extents = source.extent_paths()
            descriptor.renamed(_extent_for(target.target.relative,
                                           descriptor.create_type != 'vmfs'))
            target.descriptor = descriptor
            files.move(extents[0], target.extent_paths()[0])
            changed_block_tracking.moved(self.server, extents[0], target.extent_paths()[0])
            target.write()
            os.unlink(source.target.path)
            files.touched(source.target.ds)
            files.touched(target.target.ds)
            return None
        return run_task(ctx, None, 'MoveVirtualDisk_Task', files.guarded(target.name, work),
                        this=self)

    @staticmethod
    def _check_target(source, target, force):
        """The faults a copy or move to `target` answers before it changes anything."""
        if target.target.path == source.target.path:
            raise FileAlreadyExists(target.name)
        if target.target.exists():
            if not force:
                raise FileAlreadyExists(target.name)
            check_unlocked(target.target)
        if not target.target.parent_exists():
            raise FileNotFound(files.datastore_path(
                target.target.ds, os.path.dirname(target.target.relative)))

    @staticmethod
    def _clear_target(target):
        """Remove the disk a forced copy or move replaces."""
        existing = Disk(target.target)
        existing.descriptor = files.read_descriptor(target.target.path)
        if existing.descriptor is not None:
            for path in existing.extent_paths():
                if os.path.exists(path):
                    os.unlink(path)

    # -- changing ----------------------------------------------------------------------
    def _changed(self, ctx, name, datacenter, method, change):
        """Run `change(disk)` on a disk no running VM holds, as the task of `method`."""
        disk = self._disk(ctx, name, datacenter)

        def work(task):
            disk.read()
            check_unlocked(disk.target)
            change(disk)
            files.touched(disk.target.ds)
            return None
        return run_task(ctx, None, method, files.guarded(disk.name, work), this=self)

    def ExtendVirtualDisk_Task(self, ctx, name, newCapacityKb, datacenter=None, eagerZero=None):
        def extend(disk):
            descriptor = disk.descriptor
            new = newCapacityKb * KB
            if new <= descriptor.capacity_bytes:
                raise InvalidArgument('newCapacityKb')
            if descriptor.create_type != 'vmfs':
                raise not_supported()       # a delta grows with its parent
            check_size(disk.target.ds, new, disk.name)
            if not descriptor.thin:
                check_room(disk.target.ds, new - descriptor.capacity_bytes, disk.name)
            descriptor.resized(new)
            files.sparse_file(disk.extent_paths()[0], new)
            disk.write()
        return self._changed(ctx, name, datacenter, 'ExtendVirtualDisk_Task', extend)

    def InflateVirtualDisk_Task(self, ctx, name, datacenter=None):
        def inflate(disk):
            descriptor = disk.descriptor
            if not descriptor.thin or descriptor.create_type != 'vmfs':
                raise not_supported()      # only a thin flat disk has room to inflate
            check_room(disk.target.ds, descriptor.capacity_bytes - disk.committed(), disk.name)
            del descriptor.ddb['ddb.thinProvisioned']
            disk.write()
        return self._changed(ctx, name, datacenter, 'InflateVirtualDisk_Task', inflate)

    def EagerZeroVirtualDisk_Task(self, ctx, name, datacenter=None):
        def eager_zero(disk):
            if disk.descriptor.thin or disk.descriptor.create_type != 'vmfs':
                raise not_supported()      # only a (zeroed) thick disk is eagerly zeroed
            # its unwritten blocks already read as zeros: nothing is left to write
        return self._changed(ctx, name, datacenter, 'EagerZeroVirtualDisk_Task', eager_zero)

    def ZeroFillVirtualDisk_Task(self, ctx, name, datacenter=None):
        def zero_fill(disk):
            for path in disk.extent_paths():      # reads as zeros through a delta's parents
                disk_data.zero(self.server, path)
                changed_block_tracking.record(self.server, path, 0,     # every block written
                                              disk.descriptor.capacity_bytes)
        return self._changed(ctx, name, datacenter, 'ZeroFillVirtualDisk_Task', zero_fill)

    # -- sparse disks ------------------------------------------------------------------
    def ShrinkVirtualDisk_Task(self, ctx, name, datacenter=None, copy=None):
        copy_mode = copy is None or copy

        def shrink(disk):
            _check_sparse(disk)
            for path in disk.extent_paths():
                if copy_mode:       # the shrunk copy exists beside the disk until it replaces it
                    check_room(disk.target.ds, files.file_usage(path)[0], disk.name)
                fresh = path + '.vimsim-tmp'
                files.copy_without_zeros(path, fresh, SHRINK_BLOCK)
                os.replace(fresh, path)
        return self._changed(ctx, name, datacenter, 'ShrinkVirtualDisk_Task', shrink)

    def DefragmentVirtualDisk_Task(self, ctx, name, datacenter=None):
        return self._changed(ctx, name, datacenter, 'DefragmentVirtualDisk_Task', _check_sparse)

    def QueryVirtualDiskFragmentation(self, ctx, name, datacenter=None):
        _check_sparse(self._disk(ctx, name, datacenter, writing=False).read())
        return 0

    # -- VVol snapshots --------------------------------------------------------------------
    def ImportUnmanagedSnapshot(self, ctx, vdisk, vvolId, datacenter=None):
        self._disk(ctx, vdisk, datacenter, 'vdisk', writing=False).read()
        raise not_supported()         # a VMFS datastore has no array snapshots to import

    def ReleaseManagedSnapshot(self, ctx, vdisk, datacenter=None):
        self._disk(ctx, vdisk, datacenter, 'vdisk', writing=False).read()
        raise not_supported()

    # -- reading and setting facts -----------------------------------------------------
    def QueryVirtualDiskUuid(self, ctx, name, datacenter=None):
        return query_uuid(ctx.server, name, datacenter)

    def SetVirtualDiskUuid(self, ctx, name, uuid, datacenter=None):
        check_uuid(uuid)
        set_uuid(ctx.server, name, uuid, datacenter)

    def QueryVirtualDiskGeometry(self, ctx, name, datacenter=None):
        disk = self._disk(ctx, name, datacenter, writing=False).read()
        cylinders, heads, sectors = disk.descriptor.chs()
        return self.server.schema.types['HostDiskDimensionsChs'].cls(
            cylinder=cylinders, head=heads, sector=sectors)


def _check_sparse(disk):
    """NotSupported unless the disk grows as written (thin, or a delta)."""
    if not disk.descriptor.thin and disk.descriptor.create_type == 'vmfs':
        raise not_supported()


def _convert(descriptor, disk_type, adapter):
    """Give a copy's descriptor the type and adapter its destination spec asks."""
    if disk_type == 'seSparse' and descriptor.create_type != 'seSparse':
        raise not_supported()          # a flat disk does not become a delta by copying
    descriptor.ddb.pop('ddb.thinProvisioned', None)
    if FLAT_TYPES.get(disk_type, False):
        descriptor.ddb['ddb.thinProvisioned'] = '1'
    descriptor.ddb['ddb.adapterType'] = adapter

