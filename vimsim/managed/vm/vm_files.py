"""A VM's files on its datastores, kept in step with the model: the one
place where creating, cloning, snapshotting, relocating, registering,
unregistering and destroying a VM reaches the datastore namespace
(vimsim/managed/storage/datastore_files.py).

`sync_files(vm)` compares what the VM has now (`vm.files()`: .vmx, .vmsd,
.nvram, each disk's descriptor and extent, snapshot, screenshot, log and
swap files) with what it last wrote, and moves, writes or removes the difference: a
file that went to another datastore under the same relative path is moved
(storage migration keeps its contents), a new one is written (descriptors
as real VMDK descriptors, extents and other data files sparse, of the
model's size), one the VM no longer has is removed unless the model keeps
it loose (a detached disk, an unregistered VM) or another VM still uses it
(a linked clone's base). Files that exist are never overwritten, so what a
client uploaded or changed stays.
"""
import logging
import os

from vimsim.managed.storage import datastore_files as files_on_disk
from vimsim.managed.storage import disk_data
from vimsim.managed.storage.vmdk import CONTROLLERS, Descriptor, uuid_text
from vimsim.managed.vm.console import screenshot_content
from vimsim.managed.vm.disk_chain import backing_chain, extent_name

log = logging.getLogger(__name__)
KB = 1024
ADAPTERS = {controller: adapter for adapter, controller in CONTROLLERS.items()
            if adapter != 'legacyESX'}


def sync_files(vm, gone=False):
    """Bring `vm`'s files on disk to what the model says it has (nothing,
    when `gone`: the VM was destroyed). Does nothing until the namespace is
    in use (it then writes every VM's files at once)."""
    space = files_on_disk.namespace(vm.server)
    if not space.materialized:
        return
    before = vm.__dict__.get('files_on_disk') or {}
    wanted = {} if gone else _wanted(vm)
    if wanted.keys() == before.keys():
        return
    loose_changed = set()    # datastores whose files no VM holds changed (space)
    changed = set()          # datastores where files were written, moved or removed
    by_relative = {relative: path for path, (_, relative, _) in wanted.items()}
    for path, (ds, relative, _) in before.items():
        if path in wanted:
            continue
        target = by_relative.get(relative)
        if target is not None and target not in before and os.path.exists(path) \
                and not os.path.exists(target):
            files_on_disk.move(path, target)          # storage migration
            changed.update((ds, wanted[target][0]))
        elif _kept(vm, ds, relative):
            loose_changed.add(ds)
        else:
            _remove(path)
            changed.add(ds)
        files_on_disk.remove_empty_dirs(os.path.dirname(path), files_on_disk.directory(ds))
    for path, (ds, relative, write) in wanted.items():
        if path in before:
            continue
        if os.path.exists(path):                      # a loose file the VM takes back
            loose_changed.add(ds)
            continue
        changed.add(ds)
        try:
            write(path)
        except (OSError, OverflowError) as error:     # past what the file system holds
            log.debug('cannot write %s: %s', path, error)
    vm.files_on_disk = {path: (ds, relative, None) for path, (ds, relative, _) in wanted.items()}
    for ds in changed - loose_changed:
        files_on_disk.files_changed(ds)
    for ds in loose_changed:
        files_on_disk.touched(ds)


def _kept(vm, ds, relative):
    """Whether a file the VM let go stays: the model keeps it loose,
    another VM of the datastore has it, or it is a first-class disk's."""
    from vimsim.managed.storage.vstorage_object import released_by_vm    # when files go
    name = files_on_disk.datastore_path(ds, relative)
    if name in (getattr(ds, 'loose_files', None) or {}):
        return True
    return any(other is not vm and name in {n for n, _, _ in other.files()}
               for other in ds.vms if hasattr(other, 'files')) or released_by_vm(ds, relative)


def _remove(path):
    try:
        files_on_disk.remove(path)
    except FileNotFoundError:
        pass


def _wanted(vm):
    """{local path: (datastore, relative path, writer(path))} of the files
    the VM has now."""
    by_name = {ds.name: ds for ds in list(vm.host.datastores) + list(vm.datastore_objects())}
    disks = _disk_facts(vm)
    out = {}
    for name, kind, size in vm.files():
        parsed = files_on_disk.split_path(name)
        if parsed is None or parsed[0] not in by_name:
            continue
        ds = by_name[parsed[0]]
        try:
            path = files_on_disk.local_path(ds, parsed[1])
        except files_on_disk.PathError:
            continue
        out[path] = (ds, files_on_disk.normalize(parsed[1]), _writer(vm, name, kind, size, disks))
    return out


def _writer(vm, name, kind, size, disks):
    if kind == 'config':
        return lambda path: files_on_disk.write_file(path, vmx_text(vm).encode('utf-8'))
    if kind == 'screenshot':
        return lambda path: files_on_disk.write_file(path, screenshot_content(vm, name))
    if kind == 'diskDescriptor' and name in disks:
        return lambda path: files_on_disk.write_file(
            path, descriptor_for(vm, name, disks).text().encode('utf-8'))
    if kind == 'diskExtent':
        stem = _descriptor_of_extent(name)
        facts = disks.get(stem)
        if facts is not None and facts[1] is None:       # a base disk: its capacity
            size = facts[2] * KB
    return lambda path: files_on_disk.sparse_file(path, size)


def _descriptor_of_extent(name):
    for suffix in ('-flat.vmdk', '-sesparse.vmdk'):
        if name.endswith(suffix):
            return name[:-len(suffix)] + '.vmdk'
    return name


def _disk_facts(vm):
    """{descriptor name: (backing, its parent backing or None, capacity KB,
    adapter)} of every disk file of the VM's running disks and its
    snapshots' chains."""
    devices = vm.devices()
    controllers = {device.key: ADAPTERS.get(type(device).__name__, 'lsilogic')
                   for device in devices if getattr(device, 'device', None) is not None}
    chains = [(backing_chain(disk.backing), disk.capacityInKB or vm.disk_kb,
               controllers.get(disk.controllerKey, 'lsilogic')) for disk in vm.disks()]
    tree = vm.snapshot_tree
    if tree is not None:
        chains.extend((chain, vm.disk_kb, 'lsilogic') for chain in tree.disk_chains())
    out = {}
    for chain, capacity, adapter in chains:
        parent = None
        for backing in chain:
            if backing.fileName and backing.fileName not in out:
                out[backing.fileName] = (backing, parent, capacity, adapter)
            parent = backing
    return out


def descriptor_for(vm, name, disks):
    """The VMDK descriptor of disk file `name` of `vm`."""
    backing, parent, capacity_kb, adapter = disks[name]
    extent = os.path.basename(extent_name(name, parent is not None))
    uuid_hex = (getattr(backing, 'uuid', None) or vm._uuid('6000C29')).replace('-', '')
    hint, parent_cid = None, 0xffffffff
    if parent is not None:
        parent_parsed = files_on_disk.split_path(parent.fileName)
        own = files_on_disk.split_path(name)
        hint = (os.path.basename(parent_parsed[1]) if parent_parsed and own and
                parent_parsed[0] == own[0] and
                os.path.dirname(parent_parsed[1]) == os.path.dirname(own[1])
                else parent.fileName)
        parent_cid = parent_descriptor(vm, parent, disks).cid
    return Descriptor.new(extent, capacity_kb * KB, uuid_hex, adapter=adapter,
                          thin=bool(getattr(backing, 'thinProvisioned', False)),
                          hw_version=int(vm.hw_version.split('-')[-1]), parent_hint=hint,
                          content_id=getattr(backing, 'contentId', None), parent_cid=parent_cid)


def parent_descriptor(vm, parent, disks):
    """A delta's parent's descriptor: the one on disk (another VM's, or
    one a client changed), else the one this VM writes for it."""
    ds = vm.server.objects.get(parent.datastore) if parent.datastore is not None else None
    written = files_on_disk.descriptor_named(ds, parent.fileName) if ds is not None else None
    return written if written is not None else descriptor_for(vm, parent.fileName, disks)


def local_extent(vm, name, delta):
    """The local path of the data file of disk file `name` (a delta's when
    `delta`), None when it names no datastore of the VM."""
    parsed = files_on_disk.split_path(name)
    ds = next((d for d in vm.datastore_objects() if parsed and d.name == parsed[0]), None)
    if ds is None:
        return None
    try:
        return files_on_disk.local_path(ds, extent_name(parsed[1], delta))
    except files_on_disk.PathError:
        return None


def disk_extents(vm, backing):
    """The local paths of the data files of a disk's chain, base first
    (those the VM's datastores cannot name left out)."""
    found = (local_extent(vm, getattr(link, 'fileName', None),
                          bool(getattr(link, 'deltaDiskFormat', None)))
             for link in backing_chain(backing))
    return [path for path in found if path is not None]


def copy_disk_data(vm, sources):
    """A full clone's disks get their source's data: `sources` is {disk
    key: the source disk's extents, base first}; each chain is written
    whole into the clone's disk of that key (its files written first)."""
    if not files_on_disk.namespace(vm.server).materialized:
        return           # nothing was ever written to a disk
    sync_files(vm)
    for disk in vm.disks():
        paths = [path for path in sources.get(disk.key, ()) if os.path.exists(path)]
        target = disk_extents(vm, disk.backing)
        if paths and len(target) == 1 and os.path.exists(target[0]):
            disk_data.consolidate(paths, target[0])


def merge_delta(vm, parent, child):
    """Consolidation: the data of the delta backing `child` is written over
    the extent of `parent` (which takes its place), where both exist."""
    source = local_extent(vm, child.fileName, True)
    target = local_extent(vm, parent.fileName, bool(getattr(parent, 'deltaDiskFormat', None)))
    if source and target and os.path.exists(source) and os.path.exists(target):
        files_on_disk.overlay(source, target)


def vmx_text(vm):
    """The VM's configuration file, as ESXi writes one."""
    devices = {device.key: device for device in vm.devices()}
    disks = [(disk, backing_chain(disk.backing)[-1]) for disk in vm.disks()]
    lines = [('.encoding', 'UTF-8'), ('config.version', '8'),
             ('virtualHW.version', vm.hw_version.split('-')[-1]),
             ('displayName', vm.name), ('guestOS', vm.guest_id),
             ('memSize', str(vm.memory_mb)), ('numvcpus', str(vm.num_cpu)),
             ('nvram', '%s.nvram' % vm.file_name), ('uuid.bios', uuid_text(vm.uuid)),
             ('vc.uuid', uuid_text(vm.instance_uuid))]
    for disk, top in disks:
        controller = devices.get(disk.controllerKey)
        slot = '%s%d:%d' % (_bus(controller), getattr(controller, 'busNumber', 0) or 0,
                            disk.unitNumber or 0)
        parsed = files_on_disk.split_path(top.fileName or '')
        own = files_on_disk.split_path(vm.home)
        relative = parsed[1] if parsed else ''
        if parsed and own and parsed[0] == own[0] and relative.startswith(own[1]):
            relative = relative[len(own[1]):]
        else:
            relative = top.fileName or ''
        lines += [(slot + '.present', 'TRUE'), (slot + '.fileName', relative)]
    return ''.join('%s = "%s"\n' % (key, value.replace('"', '|22')) for key, value in lines)


def _bus(controller):
    """The .vmx device prefix of a controller ('scsi', 'ide', 'sata', 'nvme')."""
    kind = type(controller).__name__
    if 'IDE' in kind:
        return 'ide'
    if 'SATA' in kind or 'AHCI' in kind:
        return 'sata'
    if 'NVME' in kind:
        return 'nvme'
    return 'scsi'
