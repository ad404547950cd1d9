"""A VM's changed block tracking (config.changeTrackingEnabled) and
VirtualMachine.QueryChangedDiskAreas, over the per-disk change records of
vimsim/managed/storage/changed_block_tracking.py.

While tracking is on, each disk's data (its chain's extents) is tracked and
every disk backing carries a `changeId`: the running disk's names the
latest point in time, a snapshot's the point it froze (`freeze`, as the
snapshot is taken). A backup reads a snapshot's disk, keeps that change id,
and asks next time what changed since it. Turning tracking off forgets
the records, so older change ids answer FileFault afterwards, as ESXi's
do after a CBT reset.
"""
from vimsim.managed.entity import data_types
from vimsim.managed.storage import changed_block_tracking as cbt
from vimsim.managed.vm.vm_files import disk_extents
from vimsim.soap.fault import FileLocked, fault


def enabled(vm):
    return bool((vm.settings or {}).get('changeTrackingEnabled'))


def sync(vm):
    """Bring the VM's change records and its running disks' change ids in
    line with changeTrackingEnabled (called whenever the VM changes). A
    record belongs to its disk (by device key) and is kept under the files
    the disk's chain has now, so it follows the disk through storage
    migration and snapshots."""
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
        paths = disk_extents(vm, disk.backing)
        if not paths:
            continue
        changes = tracked.get(disk.key)
        if changes is None:
            changes = cbt.start(server, paths)
        else:
            cbt.follow(server, changes, paths)
        wanted[disk.key] = changes
        change_id = changes.change_id()
        if disk.backing.changeId != change_id:
            disk.backing.changeId = change_id
            changed = True
    for key, changes in tracked.items():
        if wanted.get(key) is not changes:
            cbt.release(server, changes)
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
        if isinstance(device, Disk) and device.key in tracked:
            device.backing.changeId = tracked[device.key].mark()


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
    changes = (vm.__dict__.get('tracked_disks') or {}).get(device_key) if enabled(vm) else None
    if changes is None:
        raise cbt.no_change_records(name)
    until = changes.point_of(disk.backing.changeId) if snapshot is not None \
        else changes.point + 1
    return cbt.change_info(T, changes, disk_extents(vm, disk.backing), disk.capacityInKB * 1024,
                           disk.backing.thinProvisioned, start_offset, change_id, until, name)
