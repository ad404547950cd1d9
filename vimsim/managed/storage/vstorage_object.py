"""First-class disks (vCenter's "improved virtual disks"): virtual disks
with an identity and a life of their own, apart from any VM, as the
VStorageObjectManagers (vcenter_vstorage_object_manager.py and, on ESXi,
host_vstorage_object_manager.py) serve them. The model is here, apart from
any protocol, so a later vslm endpoint serves the same disks.

A disk is files on its datastore, as vCenter keeps them: its VMDK
descriptor and extent in the datastore's `fcd` folder
(`fcd/<id hex>.vmdk`), and its catalog entry, `catalog/<id>.json`, which
names the disk's current file, its snapshots and tags. Both are datastore
files like any other (the browser lists them, free space counts them, they
outlive a reset with -datastore-dir and are replayed with -state), and the
catalog is read from them on every call.

A snapshot freezes the disk's current file and puts a seSparse delta over
it (`<stem>-00000N.vmdk`, as a VM's snapshot does); deleting one
consolidates its delta child into it; reverting drops what was written
since (and every later snapshot, as vCenter does). A disk attached to a VM
(a VirtualDisk device whose `vDiskId` is the disk's id) is the VM's while
attached: its consumer, and the calls that change its files answer
InvalidState until it is detached.

Each catalog change ticks the datastore's virtual clock, the generation
the *Ex calls answer: kept on the Datastore, each entry written records its
tick, and the clock starts again from the highest an entry records. A
disk's control flags (keepAfterDeleteVm, disableRelocation,
enableChangedBlockTracking) live in its entry; while tracking is on, its
base extent has a change record (changed_block_tracking.py), and each
snapshot keeps the change id it froze.

An encrypted disk's key (UpdateVStorageObjectCrypto_Task) is in its entry
too, one key for its whole chain: each file's backing reports it, its
snapshots' deltas and its copies (clone, create-from-snapshot) have it, and
a VM it is attached to gets it on the device's backing (so only an
encrypted VM takes it, vm/vm_encryption.py).
"""
import json
import os
import posixpath
import re
from datetime import datetime, timezone

from vimsim import clock
from vimsim.managed.admin.crypto_keys import crypto_key_id
from vimsim.managed.storage import changed_block_tracking as cbt
from vimsim.managed.storage import datastore_files as files
from vimsim.managed.storage.file_manager import check_room
from vimsim.managed.storage.virtual_disk_manager import Disk, check_size
from vimsim.managed.storage.vmdk import Descriptor
from vimsim.soap.fault import FileAlreadyExists, FileNotFound, InvalidArgument, fault

MB = 1 << 20
DISK_FOLDER = 'fcd'
CATALOG_FOLDER = 'catalog'
PROVISIONING = ('thin', 'lazyZeroedThick', 'eagerZeroedThick')
_ID = re.compile(r'^[A-Za-z0-9_:-][A-Za-z0-9_.:-]{0,127}$')   # an id a client chooses names a file
_SNAPSHOT_NUMBERS = re.compile(r'(-\d{6})+$')    # 'x-000001' is a delta of 'x'
# vslmVStorageObjectControlFlag -> the entry's field (each false when absent)
CONTROL_FLAGS = {'keepAfterDeleteVm': 'keepAfterDeleteVm',
                 'disableRelocation': 'relocationDisabled',
                 'enableChangedBlockTracking': 'changedBlockTracking'}


def not_found(identifier):
    return fault('NotFound', "The object or item referred to could not be found: '%s'."
                 % identifier)


def in_use(disk):
    return fault('InvalidState', 'The operation is not allowed in the current state: '
                 'the disk %s is attached to a virtual machine.' % disk.id)


def datastore_of(server, ref, argument='datastore'):
    """The Datastore a MoRef argument names (InvalidDatastore when it names
    no datastore with files, as a recorded inventory's have none)."""
    ds = server.objects.get(ref) if ref is not None else None
    if ds is None or getattr(ds, 'type_name', None) != 'Datastore' \
            or not hasattr(ds, 'vmfs_uuid'):
        if ref is None:
            raise InvalidArgument(argument)
        raise fault('InvalidDatastore', 'The datastore is not valid.', datastore=ref)
    return ds


class FirstClassDisk:
    """One disk of a datastore's catalog: its entry and its files."""

    def __init__(self, ds, entry):
        self.ds = ds
        self.entry = entry

    id = property(lambda self: self.entry['id'])
    name = property(lambda self: self.entry['name'])
    path = property(lambda self: self.entry['path'])       # its current file, relative

    @property
    def file_name(self):
        return files.datastore_path(self.ds, self.path)

    def disk(self, relative=None):
        """The virtual disk (descriptor read) of the current file, or of `relative`."""
        return Disk(files.on_datastore(self.ds, relative or self.path,
                                       files.datastore_path(self.ds, relative or self.path))
                    ).read()

    def chain(self):
        """The relative paths of the disk's files, base first (a delta's
        parent is the file its descriptor's parentFileNameHint names)."""
        out = [self.path]
        while len(out) <= 32:
            hint = self.disk(out[0]).descriptor.parent_hint
            if hint is None:
                return out
            out.insert(0, posixpath.join(posixpath.dirname(out[0]), hint))
        raise fault('FileFault', 'The disk chain of %s is broken.' % self.file_name,
                    file=self.file_name)

    def readable(self):
        """Whether every file of the disk's chain is there and a disk."""
        try:
            self.chain()
        except self.ds.server.schema.types['MethodFault'].cls:
            return False
        return True

    def base(self):
        return self.disk(self.chain()[0])

    @property
    def capacity(self):
        return self.disk().descriptor.capacity_bytes

    @property
    def provisioning(self):
        return self.entry.get('provisioningType', 'thin')

    @property
    def key(self):
        """The (provider id, key id) encrypting the disk, or None."""
        found = self.entry.get('keyId')
        return tuple(found) if found else None

    def consumer(self):
        """The VM this disk is attached to, or None."""
        for vm in list(self.ds.vms):
            disks = getattr(vm, 'disks', None)
            if disks is not None and any(getattr(d.vDiskId, 'id', None) == self.id
                                         for d in disks()):
                return vm
        return None

    def check_detached(self):
        if self.consumer() is not None:
            raise in_use(self)

    def save(self):
        """Write the catalog entry (whole, in one step)."""
        target = files.local_path(self.ds, '%s/%s.json' % (CATALOG_FOLDER, self.id))
        self.entry['vclock'] = _tick(self.ds)
        files.write_file(target, json.dumps(self.entry, sort_keys=True).encode('utf-8'))
        files.touched(self.ds)

    def forget(self):
        """Take the disk out of the catalog (its files stay as they are)."""
        try:
            os.unlink(files.local_path(self.ds, '%s/%s.json' % (CATALOG_FOLDER, self.id)))
        except FileNotFoundError:
            pass
        if self.readable():
            self.stop_tracking()
        _tick(self.ds)
        files.touched(self.ds)

    def stop_tracking(self):
        """Forget the change record of the disk's data (before its files go or move)."""
        cbt.stop(self.ds.server, self.base_extent())

    def base_extent(self):
        """The local path of the data file at the base of the disk's chain
        (what changed block tracking follows)."""
        return self.disk(self.chain()[0]).extent_paths()[0]

    def changes(self):
        """The disk's change record while tracking is on (a fresh one when
        the simulator has none, as after a restart: older change ids are
        unknown then), else None."""
        if not self.entry.get('changedBlockTracking'):
            return None
        path = self.base_extent()
        return cbt.tracked(self.ds.server, path) or cbt.start(self.ds.server, [path])

    # -- what clients read ------------------------------------------------------------
    def vstorage_object(self, T):
        """The VStorageObject vCenter answers for this disk."""
        consumer = self.consumer()
        chain = self.chain()
        top = None
        for relative in chain:      # each file of the chain a disk over the one before
            top = T.BaseConfigInfoDiskFileBackingInfo(
                datastore=self.ds.ref, filePath=files.datastore_path(self.ds, relative),
                parent=top, provisioningType=self.provisioning,
                deltaSizeInMB=self.disk(relative).committed() // MB if top else None,
                keyId=crypto_key_id(T, self.key) if self.key else None)
        top.backingObjectId = self.entry.get('backingObjectId')
        config = T.VStorageObjectConfigInfo(
            id=T.ID(id=self.id), name=self.name, createTime=_time(self.entry['createTime']),
            keepAfterDeleteVm=self.entry.get('keepAfterDeleteVm', True),
            relocationDisabled=self.entry.get('relocationDisabled', False),
            nativeSnapshotSupported=False,
            changedBlockTrackingEnabled=self.entry.get('changedBlockTracking', False),
            backing=top, vclock=T.vslmVClockInfo(vClockTime=vclock(self.ds)),
            capacityInMB=self.capacity // MB, consumptionType=['disk'],
            consumerId=[T.ID(id=consumer.instance_uuid)] if consumer is not None else [],
            metadata=[T.KeyValue(key=k, value=v) for k, v in self.entry.get('metadata', [])])
        return T.VStorageObject(config=config)

    def snapshot_info(self, T):
        snapshot = T.VStorageObjectSnapshotInfoVStorageObjectSnapshot
        return T.VStorageObjectSnapshotInfo(snapshots=[
            snapshot(id=T.ID(id=s['id']), backingObjectId=s.get('backingObjectId'),
                     createTime=_time(s['createTime']), description=s['description'])
            for s in self.entry['snapshots']])

    def snapshot(self, snapshot_id):
        """The index of snapshot `snapshot_id` in the entry (NotFound)."""
        wanted = getattr(snapshot_id, 'id', None)
        for index, snapshot in enumerate(self.entry['snapshots']):
            if snapshot['id'] == wanted:
                return index
        raise not_found(wanted)


def _time(text):
    return datetime.fromisoformat(text)


def vclock(ds):
    """The datastore's catalog generation (first read: the highest its entries record)."""
    clock_now = ds.__dict__.get('vstorage_vclock')
    if clock_now is None:
        clock_now = ds.vstorage_vclock = max(
            (disk.entry.get('vclock', 0) for disk in disks_on(ds)), default=0)
    return clock_now


def _tick(ds):
    """The next generation of the datastore's catalog."""
    ds.vstorage_vclock = vclock(ds) + 1
    return ds.vstorage_vclock


def _now():
    return clock.now().astimezone(timezone.utc).isoformat()


# -- the catalog ----------------------------------------------------------------------------

def disks_on(ds):
    """Every disk of `ds`'s catalog, oldest first."""
    try:
        folder = files.local_path(ds, CATALOG_FOLDER)
        names = sorted(os.listdir(folder))
    except (OSError, files.PathError):
        return []
    found = []
    for name in names:
        if name.endswith('.json'):
            entry = _read_entry(os.path.join(folder, name))
            if entry is not None:
                found.append(FirstClassDisk(ds, entry))
    found.sort(key=lambda disk: (disk.entry['createTime'], disk.id))
    return found


def _read_entry(path):
    """A catalog entry, None when the file holds none (a client may write there)."""
    try:
        with open(path, 'rb') as f:
            entry = json.loads(f.read(files.DESCRIPTOR_MAX))
    except (OSError, ValueError):
        return None
    needed = {'id': str, 'name': str, 'path': str, 'createTime': str, 'snapshots': list}
    if not _shaped(entry, needed) or not all(
            _shaped(s, {'id': str, 'description': str, 'createTime': str, 'path': str})
            for s in entry['snapshots']):
        return None
    if not all(_pairs(s.get('metadata', [])) and isinstance(s.get('changeId', ''), str)
               for s in [entry] + entry['snapshots']) \
            or not isinstance(entry.get('tags', []), list) \
            or entry.get('provisioningType', 'thin') not in PROVISIONING \
            or not all(isinstance(entry.get(flag, False), bool)
                       for flag in CONTROL_FLAGS.values()) \
            or not isinstance(entry.get('backingObjectId', ''), str) \
            or not isinstance(entry.get('profileId', ''), str) \
            or not _pairs([entry.get('keyId', ['', ''])]) \
            or type(entry.get('vclock', 0)) is not int:
        return None
    try:
        for path in [entry['path']] + [s['path'] for s in entry['snapshots']]:
            files.normalize(path)
        for when in [entry['createTime']] + [s['createTime'] for s in entry['snapshots']]:
            _time(when)
    except (files.PathError, ValueError, TypeError):
        return None
    return entry


def _pairs(value):
    """Whether `value` is metadata as an entry keeps it: [key, value] string pairs."""
    return isinstance(value, list) and all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
        for pair in value)


def _shaped(value, fields):
    """Whether `value` is a dict with each of `fields` of its type."""
    return isinstance(value, dict) and all(isinstance(value.get(k), t) for k, t in fields.items())


def find(ds, identifier):
    """The disk `identifier` (an ID) of `ds`'s catalog (NotFound)."""
    wanted = getattr(identifier, 'id', None)
    found = _entry_of(ds, wanted)
    if found is None:
        raise not_found(wanted)
    return found


def _usable_id(identifier):
    """Whether `identifier` can name a catalog entry file (a uuid can)."""
    return isinstance(identifier, str) and _ID.match(identifier) is not None


def _entry_of(ds, wanted):
    """The disk of `ds`'s catalog whose entry file is named after `wanted`, or None."""
    if not _usable_id(wanted):
        return None
    try:
        path = files.local_path(ds, '%s/%s.json' % (CATALOG_FOLDER, wanted))
    except files.PathError:
        return None
    entry = _read_entry(path)
    return FirstClassDisk(ds, entry) if entry is not None and entry['id'] == wanted else None


def find_anywhere(server, identifier):
    """The disk `identifier` on whichever datastore holds it (NotFound)."""
    found = lookup(server, getattr(identifier, 'id', None))
    if found is None:
        raise not_found(getattr(identifier, 'id', None))
    return found


def lookup(server, wanted):
    files.namespace(server).materialize()
    for ds in files.datastores(server):
        found = _entry_of(ds, wanted)
        if found is not None:
            return found
    return None


def holding(ds, relative):
    """The disk of `ds`'s catalog one of whose files is `relative`, or None."""
    for disk in disks_on(ds):
        if not disk.readable():
            continue
        chain = disk.chain()
        names = set(chain) | {_extent(disk, r) for r in chain}
        if relative in names:
            return disk
    return None


def _extent(disk, relative):
    return posixpath.join(posixpath.dirname(relative),
                          os.path.basename(disk.disk(relative).extent_paths()[0]))


def released_by_vm(ds, relative):
    """A VM that let go of file `relative` of `ds` (destroyed, or the file
    left its devices): whether a first-class disk keeps it. A disk made to
    go with its VM (keepAfterDeleteVm false) leaves the catalog."""
    disk = holding(ds, relative)
    if disk is None:
        return False
    if disk.entry.get('keepAfterDeleteVm', True):
        return True
    disk.forget()
    return False


# -- making disks ------------------------------------------------------------------------------

def _new_entry(server, name, relative, identifier, keep, provisioning, metadata=()):
    return {'id': identifier or server.new_uuid(), 'name': name, 'path': relative,
            'createTime': _now(), 'keepAfterDeleteVm': True if keep is None else bool(keep),
            'provisioningType': provisioning, 'snapshots': [], 'tags': [],
            'backingObjectId': server.new_uuid(),
            'metadata': [[kv.key, kv.value] for kv in metadata]}


def check_new_id(server, identifier):
    """AlreadyExists when a disk of any datastore has id `identifier`."""
    if identifier is None:
        return None
    if not _usable_id(identifier.id):
        raise InvalidArgument('id')
    if lookup(server, identifier.id) is not None:
        raise fault('AlreadyExists', "The specified key, name, or identifier '%s' already "
                    'exists.' % identifier.id, name=identifier.id)
    return identifier.id


def _placed(ds, folder, identifier):
    """The relative path of a new disk `identifier` in `folder` of `ds`
    (the `fcd` folder, made when missing; a client's folder must exist)."""
    if folder:
        target = files.on_datastore(ds, folder, files.datastore_path(ds, folder))
        if not target.is_dir():
            raise FileNotFound(target.name)
        folder = target.relative
    else:
        folder = DISK_FOLDER
        os.makedirs(files.local_path(ds, folder), exist_ok=True)
    relative = '%s/%s.vmdk' % (folder, identifier.replace('-', ''))
    if os.path.lexists(files.local_path(ds, relative)):
        raise FileAlreadyExists(files.datastore_path(ds, relative))
    return relative


def create(server, ds, name, capacity, provisioning, folder=None, identifier=None,
           keep=None, metadata=()):
    """A new empty disk of `capacity` bytes on `ds` (a thick one must fit:
    NoDiskSpace)."""
    identifier = identifier or server.new_uuid()
    relative = _placed(ds, folder, identifier)
    name_on_ds = files.datastore_path(ds, relative)
    check_size(ds, capacity, name_on_ds)
    thin = provisioning == 'thin'
    if not thin:
        check_room(ds, capacity, name_on_ds)
    with files.os_faults(name_on_ds):
        disk = Disk(files.on_datastore(ds, relative, name_on_ds))
        disk.descriptor = Descriptor.new(os.path.basename(relative)[:-5] + '-flat.vmdk',
                                         capacity, server.new_uuid(), thin=thin)
        files.sparse_file(disk.extent_paths()[0], capacity)
        disk.write()
    made = FirstClassDisk(ds, _new_entry(server, name, relative, identifier, keep,
                                         provisioning, metadata))
    made.save()
    return made


def register(server, target, name, identifier=None):
    """Catalog the disk whose descriptor is `target` (a DatastoreFile)."""
    disk = Disk(target).read()
    if holding(target.ds, target.relative) is not None:
        raise fault('AlreadyExists', "The specified key, name, or identifier '%s' already "
                    'exists.' % target.name, name=target.name)
    provisioning = 'thin' if disk.descriptor.thin else 'lazyZeroedThick'
    made = FirstClassDisk(target.ds, _new_entry(
        server, name or os.path.basename(target.relative)[:-5], target.relative, identifier,
        None, provisioning))
    made.save()
    return made


def copy_state(server, source, relative_top, ds, name, provisioning, folder=None,
               identifier=None, keep=None, metadata=()):
    """A new disk on `ds` holding what `source` holds at its file
    `relative_top` (its current file, or a snapshot's): the chain below it
    consolidated into one flat disk. Clone and create-from-snapshot."""
    chain = source.chain()
    chain = chain[:chain.index(relative_top) + 1]
    capacity = source.disk(relative_top).descriptor.capacity_bytes
    committed = sum(source.disk(r).committed() for r in chain)
    made_id = identifier or server.new_uuid()
    relative = _placed(ds, folder, made_id)
    name_on_ds = files.datastore_path(ds, relative)
    check_room(ds, committed if provisioning == 'thin' else capacity, name_on_ds)
    with files.os_faults(name_on_ds):
        disk = Disk(files.on_datastore(ds, relative, name_on_ds))
        disk.descriptor = Descriptor.new(os.path.basename(relative)[:-5] + '-flat.vmdk',
                                         capacity, server.new_uuid(),
                                         thin=provisioning == 'thin')
        extent = disk.extent_paths()[0]
        files.copy(source.disk(chain[0]).extent_paths()[0], extent)
        for delta in chain[1:]:
            files.overlay(source.disk(delta).extent_paths()[0], extent)
        files.sparse_file(extent, capacity)
        disk.write()
    made = FirstClassDisk(ds, _new_entry(server, name, relative, made_id, keep, provisioning,
                                         metadata))
    if source.key:
        made.entry['keyId'] = list(source.key)      # a copy is encrypted alike
    made.save()
    return made


# -- changing disks ----------------------------------------------------------------------------

def delete(disk):
    """Remove the disk's files and its catalog entry."""
    disk.check_detached()
    _let_go(disk)
    disk.stop_tracking()
    for relative in disk.chain():
        part = disk.disk(relative)
        for path in part.extent_paths() + [part.target.path]:
            if os.path.exists(path):
                os.unlink(path)
    disk.forget()


def _let_go(disk):
    """The VM model's note of the disk's files as left loose by a detach
    goes: the files are deleted or leave the datastore."""
    loose = disk.ds.__dict__.get('loose_files')
    if loose:
        for relative in disk.chain():
            for name in (relative, _extent(disk, relative)):
                loose.pop(files.datastore_path(disk.ds, name), None)


def rename(disk, name):
    if not name:
        raise InvalidArgument('name')
    disk.entry['name'] = name
    disk.save()


def extend(disk, capacity):
    disk.check_detached()
    if disk.entry['snapshots']:
        raise fault('InvalidState', 'The operation is not allowed in the current state: '
                    'the disk %s has snapshots.' % disk.id)
    part = disk.disk()
    descriptor = part.descriptor
    if capacity <= descriptor.capacity_bytes:
        raise InvalidArgument('newCapacityInMB')
    check_size(disk.ds, capacity, disk.file_name)
    if not descriptor.thin:
        check_room(disk.ds, capacity - descriptor.capacity_bytes, disk.file_name)
    descriptor.resized(capacity)
    files.sparse_file(part.extent_paths()[0], capacity)
    part.write()
    disk.save()         # a catalog operation: the generation ticks


def inflate(disk):
    """A thin disk becomes eagerly zeroed thick: it commits its capacity."""
    disk.check_detached()
    base = disk.base()
    if not base.descriptor.thin:
        raise fault('NotSupported', 'The operation is not supported on the object.')
    check_room(disk.ds, base.descriptor.capacity_bytes - base.committed(), disk.file_name)
    del base.descriptor.ddb['ddb.thinProvisioned']
    base.write()
    disk.entry['provisioningType'] = 'eagerZeroedThick'
    disk.save()


def relocate(server, disk, ds, folder=None):
    """Move the disk's files (its whole chain) and catalog entry to `ds`."""
    disk.check_detached()
    if disk.entry.get('relocationDisabled'):
        raise fault('InvalidState', 'The operation is not allowed in the current state: '
                    'relocation of the disk %s is disabled.' % disk.id)
    if ds is disk.ds and not folder:
        return disk
    chain = disk.chain()
    committed = sum(disk.disk(r).committed() for r in chain)
    if ds is not disk.ds:
        check_room(ds, committed, disk.file_name)
    target_folder = _placed(ds, folder, disk.id).rsplit('/', 1)[0]
    moves = []
    for relative in chain:
        part = disk.disk(relative)
        moved = '%s/%s' % (target_folder, posixpath.basename(relative))
        moves.append((part.target.path, files.local_path(ds, moved)))
        moves.extend((extent, files.local_path(ds, '%s/%s' % (
            target_folder, os.path.basename(extent)))) for extent in part.extent_paths())
    for _, target in moves:
        if os.path.lexists(target):
            raise FileAlreadyExists(target)
    _let_go(disk)
    with files.os_faults(disk.file_name):
        for source, target in moves:
            files.move(source, target)
            cbt.moved(server, source, target)     # change ids stay valid
    entry = dict(disk.entry, path='%s/%s' % (target_folder, posixpath.basename(disk.path)))
    entry['snapshots'] = [dict(s, path='%s/%s' % (target_folder, posixpath.basename(s['path'])))
                          for s in entry['snapshots']]
    disk.forget()
    moved_disk = FirstClassDisk(ds, entry)
    moved_disk.save()
    files.touched(disk.ds)
    return moved_disk


def _new_delta(server, disk):
    """Put a seSparse delta over the disk's current file; it becomes the
    disk's current file."""
    top = disk.disk()
    stem = _SNAPSHOT_NUMBERS.sub('', disk.chain()[0][:-len('.vmdk')])
    number = 1
    while os.path.lexists(files.local_path(disk.ds, '%s-%06d.vmdk' % (stem, number))):
        number += 1
    relative = '%s-%06d.vmdk' % (stem, number)
    delta = Disk(files.on_datastore(disk.ds, relative, files.datastore_path(disk.ds, relative)))
    delta.descriptor = Descriptor.new(
        os.path.basename(relative)[:-5] + '-sesparse.vmdk', top.descriptor.capacity_bytes,
        server.new_uuid(), parent_hint=posixpath.basename(disk.path))
    delta.descriptor.ddb['ddb.uuid'] = top.descriptor.ddb.get('ddb.uuid', '')
    with files.os_faults(delta.name):
        files.sparse_file(delta.extent_paths()[0], top.descriptor.capacity_bytes)
        delta.write()
    disk.entry['path'] = relative


def create_snapshot(server, disk, description, snapshot_id=None):
    """Freeze the disk's current file under a new delta; the snapshot's id
    (`snapshot_id` when the client chose one)."""
    disk.check_detached()
    if len(disk.chain()) >= 32:
        raise fault('TooManySnapshotLevels', 'The operation would exceed the maximum '
                    'snapshot depth.')
    if snapshot_id is None:
        snapshot_id = server.new_uuid()
    elif not _usable_id(snapshot_id) or any(s['id'] == snapshot_id
                                            for s in disk.entry['snapshots']):
        raise InvalidArgument('snapshotId')
    frozen = disk.path
    changes = disk.changes()
    _new_delta(server, disk)
    snapshot = {'id': snapshot_id, 'description': description or '', 'createTime': _now(),
                'path': frozen, 'backingObjectId': server.new_uuid(),
                'metadata': disk.entry.get('metadata', [])}
    if changes is not None:
        snapshot['changeId'] = changes.mark()
    disk.entry['snapshots'].append(snapshot)
    disk.save()
    return snapshot_id


def delete_snapshot(disk, snapshot_id):
    """Consolidate the snapshot's frozen file with the file over it (which
    keeps its name, so a later snapshot or the disk still finds it)."""
    disk.check_detached()
    index = disk.snapshot(snapshot_id)
    snapshots = disk.entry['snapshots']
    frozen = snapshots[index]['path']
    child = snapshots[index + 1]['path'] if index + 1 < len(snapshots) else disk.path
    lower, upper = disk.disk(frozen), disk.disk(child)
    with files.os_faults(disk.file_name):
        lower_extent = lower.extent_paths()[0]
        files.overlay(upper.extent_paths()[0], lower_extent)
        merged = lower.descriptor
        suffix = '-flat.vmdk' if merged.create_type == 'vmfs' else '-sesparse.vmdk'
        extent = os.path.basename(child)[:-len('.vmdk')] + suffix
        merged.renamed(extent)
        for path in upper.extent_paths():
            os.unlink(path)
        kept = os.path.join(os.path.dirname(upper.target.path), extent)
        os.replace(lower_extent, kept)
        cbt.moved(disk.ds.server, lower_extent, kept)      # the change record goes with it
        upper.descriptor = merged
        upper.write()
        os.unlink(lower.target.path)
    del snapshots[index]
    disk.save()


def revert(server, disk, snapshot_id):
    """Back to the snapshot's state: what was written since, and the later
    snapshots, go; a new delta over the snapshot's file takes the writes."""
    disk.check_detached()
    index = disk.snapshot(snapshot_id)
    snapshots = disk.entry['snapshots']
    frozen = snapshots[index]['path']
    chain = disk.chain()
    with files.os_faults(disk.file_name):
        for relative in chain[chain.index(frozen) + 1:]:
            part = disk.disk(relative)
            for path in part.extent_paths() + [part.target.path]:
                os.unlink(path)
    del snapshots[index + 1:]
    disk.entry['path'] = frozen
    _new_delta(server, disk)
    disk.save()


def reconcile(ds):
    """Catalog entries whose disk files are gone leave the catalog."""
    for disk in disks_on(ds):
        if not disk.readable():
            disk.forget()


def reconcile_report(ds, include=(), exclude=(), dry_run=False):
    """ReconcileDatastoreInventoryEx's work: the catalog entries (of the disk
    paths `include` names, if any, but not those `exclude` names) whose disk
    files are gone leave the catalog, unless `dry_run`. (disks before, disks
    after, issues found, the paths given that name no file of `ds`)."""
    disks = disks_on(ds)
    invalid = [path for path in list(include) + list(exclude) if not _names_file(ds, path)]
    paths = {disk.id: files.datastore_path(ds, disk.path) for disk in disks}
    chosen = [d for d in disks if (not include or paths[d.id] in include)
              and paths[d.id] not in exclude]
    broken = [d for d in chosen if not d.readable()]
    if not dry_run:
        for disk in broken:
            disk.forget()
    return len(disks), len(disks) - (0 if dry_run else len(broken)), len(broken), invalid


def _names_file(ds, path):
    """Whether datastore path `path` names a file of `ds`."""
    parsed = files.split_path(path)
    if parsed is None or parsed[0] != ds.name:
        return False
    try:
        return os.path.lexists(files.local_path(ds, parsed[1]))
    except files.PathError:
        return False


# -- what a disk carries -----------------------------------------------------------------------

def set_control_flags(disk, flags, value):
    """Set (or clear) the named control flags; tracking starts or stops with
    enableChangedBlockTracking."""
    unknown = [flag for flag in flags if flag not in CONTROL_FLAGS]
    if unknown or not flags:
        raise InvalidArgument('controlFlags')
    for flag in flags:
        field = CONTROL_FLAGS[flag]
        if field == 'changedBlockTracking' and disk.entry.get(field, False) != value:
            disk.check_detached()
            if value:
                cbt.start(disk.ds.server, [disk.base_extent()])
            else:
                disk.stop_tracking()
        disk.entry[field] = value
    disk.save()


def update_metadata(disk, metadata, delete_keys):
    """Set the pairs of `metadata` (KeyValues) and drop the keys `delete_keys`
    names (a key both sets and drops is an InvalidArgument)."""
    pairs = dict(disk.entry.get('metadata', []))
    for kv in metadata:
        if not isinstance(kv.key, str) or not kv.key or not isinstance(kv.value, str):
            raise InvalidArgument('metadata')
    if {kv.key for kv in metadata} & set(delete_keys):
        raise InvalidArgument('deleteKeys')
    for key in delete_keys:
        pairs.pop(key, None)
    pairs.update((kv.key, kv.value) for kv in metadata)
    disk.entry['metadata'] = [[k, v] for k, v in sorted(pairs.items())]
    disk.save()


def metadata_of(disk, snapshot_id=None):
    """The disk's metadata pairs, or those its snapshot `snapshot_id` froze."""
    if snapshot_id is None:
        return disk.entry.get('metadata', [])
    return disk.entry['snapshots'][disk.snapshot(snapshot_id)].get('metadata', [])


def unregister(disk):
    """The disk leaves the catalog; its files stay, loose, on the datastore."""
    disk.check_detached()
    disk.forget()


def repair_chain(disk):
    """Make the catalog entry agree with the disk's files again: the
    snapshots whose frozen file is no longer in the chain go (FileFault when
    the chain itself cannot be read)."""
    disk.check_detached()
    chain = disk.chain()
    kept = [s for s in disk.entry['snapshots'] if s['path'] in chain[:-1]]
    if kept != disk.entry['snapshots']:
        disk.entry['snapshots'] = kept
        disk.save()


def changed_areas(T, disk, snapshot_id, start_offset, change_id):
    """The DiskChangeInfo of what changed in the disk's data since
    `change_id` up to snapshot `snapshot_id` ('*': its allocated areas)."""
    snapshot = disk.entry['snapshots'][disk.snapshot(snapshot_id)]
    changes = disk.changes()
    if changes is None or 'changeId' not in snapshot:
        raise cbt.no_change_records(disk.file_name)
    return cbt.change_info(T, changes, [disk.base_extent()],
                           disk.disk(snapshot['path']).descriptor.capacity_bytes,
                           disk.base().descriptor.thin, start_offset, change_id,
                           changes.point_of(snapshot['changeId']), disk.file_name)


def set_profile(disk, profile_id):
    """Associate the storage policy `profile_id` with the disk (None: none)."""
    if profile_id is None:
        disk.entry.pop('profileId', None)
    else:
        disk.entry['profileId'] = profile_id
    disk.save()


def set_crypto(disk, key, profile_id):
    """Encrypt the disk's chain with `key` ((provider, key id); None:
    decrypt) under storage policy `profile_id`, in one write of its entry."""
    if key is None:
        disk.entry.pop('keyId', None)
    else:
        disk.entry['keyId'] = list(key)
    set_profile(disk, profile_id)
