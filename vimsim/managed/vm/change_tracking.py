"""A VM's changed block tracking (config.changeTrackingEnabled) and
VirtualMachine.QueryChangedDiskAreas, over the per-disk change records of
vimsim/managed/storage/changed_block_tracking.py.

While tracking is on, each disk's data (its base extent) is tracked and
every disk backing carries a `changeId`: the running disk's names the
latest point in time, a snapshot's the point it froze (`freeze`, as the
snapshot is taken). A backup reads a snapshot's disk, keeps that change id,
and asks next time what changed since it. Turning tracking off forgets
the records, so older change ids answer FileFault afterwards, as ESXi's
do after a CBT reset.
"""
from vimsim.managed.entity import data_types
from vimsim.managed.storage import changed_block_tracking as cbt
from vimsim.managed.storage import datastore_files as files
from vimsim.managed.vm.disk_chain import backing_chain, extent_name
from vimsim.soap.fault import FileLocked, fault


def enabled(vm):
    return bool((vm.settings or {}).get('changeTrackingEnabled'))


def base_extent(vm, backing):
    """The local path of the data file at the base of a disk's chain, or None."""
    base = backing_chain(backing)[0]
    parsed = files.split_path(getattr(base, 'fileName', None))
    if parsed is None:
        return None
    ds = next((d for d in vm.datastore_objects() if d.name == parsed[0]), None)
    if ds is None:
        return None
    try:
        return files.local_path(ds, extent_name(parsed[1], False))
    except files.PathError:
        return None


def sync(vm):
    """Bring the VM's trackers and its running disks' change ids in line
    with changeTrackingEnabled (called whenever the VM changes)."""
    tracked = vm.__dict__.get('tracked_disks') or {}
    on = enabled(vm)
    if not on and not tracked:
        return
    server = vm.server
    Disk = data_types(server).VirtualDisk
    disks = [d for d in vm.device_list() if isinstance(d, Disk)]
    wanted = {}
    changed = False
    for disk in disks if on else ():
        path = base_extent(vm, disk.backing)
        if path is None:
            continue
        wanted[path] = tracked.get(path) or cbt.start(server, path)
        change_id = wanted[path].change_id()
        if disk.backing.changeId != change_id:
            disk.backing.changeId = change_id
            changed = True
    for path in set(tracked) - set(wanted):
        cbt.stop(server, path)
    for disk in disks if not on else ():
        if disk.backing.changeId is not None:
            disk.backing.changeId = None
            changed = True
    if changed:
        vm.changed('config')
    vm.tracked_disks = wanted


def freeze(vm, devices):
    """A snapshot is taken of `devices` (its copy of the VM's devices): each
    tracked disk gets a new point in time, which its backing's change id names."""
    tracked = vm.__dict__.get('tracked_disks') or {}
    if not tracked:
        return
    Disk = data_types(vm.server).VirtualDisk
    for device in devices:
        if isinstance(device, Disk):
            changes = tracked.get(base_extent(vm, device.backing))
            if changes is not None:
                device.backing.changeId = changes.mark()


def query_changed_disk_areas(vm, snapshot, device_key, start_offset, change_id):
    """QueryChangedDiskAreas' DiskChangeInfo for one disk of `vm` (as
    `snapshot` froze it, else as it is: powered off only)."""
    server = vm.server
    T = data_types(server)
    if snapshot is not None:
        snap = server.objects.resolve(snapshot)
        if getattr(snap, 'type_name', '') != 'VirtualMachineSnapshot' or snap.vm != vm.ref:
            raise fault('NotFound', 'The object or item referred to could not be found.')
        devices = snap.devices()
    else:
        devices = vm.devices()
    disk = next((d for d in devices if d.key == device_key and isinstance(d, T.VirtualDisk)),
                None)
    if disk is None:
        raise fault('NotFound', 'The object or item referred to could not be found.')
    name = disk.backing.fileName
    if snapshot is None and vm.power_state != 'poweredOff':
        raise FileLocked(name)
    path = base_extent(vm, disk.backing)
    changes = (vm.__dict__.get('tracked_disks') or {}).get(path) if enabled(vm) else None
    if changes is None:
        raise cbt.no_change_records(name)
    until = changes.point_of(disk.backing.changeId) if snapshot is not None \
        else changes.point + 1
    return cbt.change_info(T, changes, path, disk.capacityInKB * 1024,
                           disk.backing.thinProvisioned, start_offset, change_id, until, name)
