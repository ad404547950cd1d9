"""Changed block tracking: changeTrackingEnabled gives disks change ids,
and a backup tool's runs (snapshot, read the snapshot's disk, query the
changed areas, remove the snapshot) see the right bytes, a second,
incremental run only the areas written in between."""
import hashlib
import itertools
import os
import time
import urllib.parse
import urllib.request

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests import ovf_package
from tests.conftest import _simulator
from tests.test_folder_http import request
from tests.test_ovf import place

BLOCK = 64 * 1024
CAPACITY = 2 * 1024 * 1024
_names = itertools.count(1)


@pytest.fixture(scope='module')
def sim(validator):
    """A simulator of this module's own, which keeps its VMs."""
    return _simulator(validator, tls=False, ds=2)


def make_vm(si):
    """A powered-off VM with one thin 2 MB disk on a local datastore."""
    dc, pool, ds, _, _ = place(si)
    name = 'cbt-%d' % next(_names)
    controller = vim.vm.device.VirtualLsiLogicController(key=-1, busNumber=0,
                                                         sharedBus='noSharing')
    disk = vim.vm.device.VirtualDisk(
        key=-2, controllerKey=-1, unitNumber=0, capacityInKB=CAPACITY // 1024,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode='persistent',
                                                              thinProvisioned=True))
    spec = vim.vm.ConfigSpec(
        name=name, guestId='otherGuest64', numCPUs=1, memoryMB=128,
        files=vim.vm.FileInfo(vmPathName='[%s]' % ds.name),
        deviceChange=[vim.vm.device.VirtualDeviceSpec(operation='add', device=controller),
                      vim.vm.device.VirtualDeviceSpec(operation='add', fileOperation='create',
                                                      device=disk)])
    task = dc.vmFolder.CreateVM_Task(spec, pool)
    WaitForTask(task)
    return task.info.result


def the_disk(devices):
    return next(d for d in devices if isinstance(d, vim.vm.device.VirtualDisk))


def extent_url(disk):
    """The /folder URL of the disk's data file (a snapshot delta's own, when it is one)."""
    ds, relative = disk.backing.fileName[1:].split('] ')
    relative = relative[:-len('.vmdk')] + (
        '-sesparse.vmdk' if disk.backing.parent is not None else '-flat.vmdk')
    return '/folder/%s?dcPath=DC0&dsName=%s' % (urllib.parse.quote(relative), ds)


def cookie(si):
    return {'Cookie': si._stub.cookie}


def write_disk(sim, si, vm, data):
    """The guest's writes, as bytes put over the running disk's data file."""
    status, _, _ = request(sim, 'PUT', extent_url(the_disk(vm.config.hardware.device)),
                           data, cookie(si))
    assert status == 200


def read_range(sim, si, disk, start, length):
    status, _, body = request(sim, 'GET', extent_url(disk), headers={
        **cookie(si), 'Range': 'bytes=%d-%d' % (start, start + length - 1)})
    assert status == 206
    return body


def pattern(seed):
    return hashlib.sha256(seed).digest() * (BLOCK // 32)


def contents(blocks):
    """A disk image with `blocks` {block number: seed} filled, zeros elsewhere."""
    data = bytearray(CAPACITY)
    for block, seed in blocks.items():
        data[block * BLOCK:(block + 1) * BLOCK] = pattern(seed)
    return bytes(data)


def exported(sim, lease):
    """The flat image of the one disk an export lease serves, the lease completed."""
    while lease.state == vim.HttpNfcLease.State.initializing:
        time.sleep(0.02)
    [device_url] = lease.info.deviceUrl
    with urllib.request.urlopen(device_url.url.replace('*', sim.host)) as response:
        image = ovf_package.flat_image(response.read(), CAPACITY)
    lease.HttpNfcLeaseComplete()
    return image


def snapshot(vm, name):
    task = vm.CreateSnapshot_Task(name, None, False, False)
    WaitForTask(task)
    return task.info.result


def areas(info):
    return [(area.start, area.length) for area in info.changedArea]


def test_enabling_gives_disks_change_ids(si):
    vm = make_vm(si)
    assert the_disk(vm.config.hardware.device).backing.changeId is None
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=True)))
    assert vm.config.changeTrackingEnabled is True
    change_id = the_disk(vm.config.hardware.device).backing.changeId
    assert change_id and change_id.endswith('/0')
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=False)))
    assert the_disk(vm.config.hardware.device).backing.changeId is None
    with pytest.raises(vim.fault.FileFault):
        vm.QueryChangedDiskAreas(None, the_disk(vm.config.hardware.device).key, 0, change_id)


def test_full_then_incremental_backup(si, sim):
    vm = make_vm(si)
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=True)))
    disk = the_disk(vm.config.hardware.device)
    enabled_id = disk.backing.changeId
    # '*': the areas in use, none yet on a new thin disk
    assert areas(vm.QueryChangedDiskAreas(None, disk.key, 0, '*')) == []
    first = contents({0: b'a', 3: b'b', 31: b'c'})
    write_disk(sim, si, vm, first)

    # run 1: a full backup of what the snapshot froze
    snap = snapshot(vm, 'backup-1')
    frozen = the_disk(snap.config.hardware.device)
    base_id = frozen.backing.changeId
    assert base_id.endswith('/1')
    # the whole file was put, so all of it is in use; what changed since
    # tracking began is what holds data
    info = vm.QueryChangedDiskAreas(snap, frozen.key, 0, '*')
    assert (info.startOffset, info.length, areas(info)) == (0, CAPACITY, [(0, CAPACITY)])
    info = vm.QueryChangedDiskAreas(snap, frozen.key, 0, enabled_id)
    assert areas(info) == [(0, BLOCK), (3 * BLOCK, BLOCK), (31 * BLOCK, BLOCK)]
    image = bytearray(CAPACITY)
    for start, length in areas(info):
        image[start:start + length] = read_range(sim, si, frozen, start, length)
    assert bytes(image) == first
    # the same bytes through NFC: the snapshot's disk exported (the VM may run)
    WaitForTask(vm.PowerOnVM_Task())
    lease = snap.ExportSnapshot()
    while lease.state == vim.HttpNfcLease.State.initializing:
        time.sleep(0.02)
    [device_url] = lease.info.deviceUrl
    with urllib.request.urlopen(device_url.url.replace('*', sim.host)) as response:
        assert ovf_package.flat_image(response.read(), CAPACITY) == first
    lease.HttpNfcLeaseComplete()
    WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(snap.RemoveSnapshot_Task(removeChildren=False))

    # the guest writes two blocks (one it had, one new) between the runs
    second = contents({0: b'a', 3: b'b2', 31: b'c', 17: b'd'})
    write_disk(sim, si, vm, second)

    # run 2: only what changed since run 1's change id
    snap = snapshot(vm, 'backup-2')
    frozen = the_disk(snap.config.hardware.device)
    assert frozen.backing.changeId.endswith('/2')
    info = vm.QueryChangedDiskAreas(snap, frozen.key, 0, base_id)
    assert areas(info) == [(3 * BLOCK, BLOCK), (17 * BLOCK, BLOCK)]
    for start, length in areas(info):
        image[start:start + length] = read_range(sim, si, frozen, start, length)
    assert bytes(image) == second
    # a start offset clips the answer; the sim disk's id is the latest point
    info = vm.QueryChangedDiskAreas(snap, frozen.key, 4 * BLOCK, base_id)
    assert (info.startOffset, areas(info)) == (4 * BLOCK, [(17 * BLOCK, BLOCK)])
    assert the_disk(vm.config.hardware.device).backing.changeId == frozen.backing.changeId
    WaitForTask(snap.RemoveSnapshot_Task(removeChildren=False))

    # powered off, no snapshot: changes up to now; nothing since run 2
    latest = the_disk(vm.config.hardware.device).backing.changeId
    assert areas(vm.QueryChangedDiskAreas(None, frozen.key, 0, latest)) == []
    # zero-filling the disk writes every block of it
    content = si.RetrieveContent()
    WaitForTask(content.virtualDiskManager.ZeroFillVirtualDisk_Task(
        the_disk(vm.config.hardware.device).backing.fileName, content.rootFolder.childEntity[0]))
    assert areas(vm.QueryChangedDiskAreas(None, frozen.key, 0, latest)) == [(0, CAPACITY)]


def test_query_faults(si):
    vm = make_vm(si)
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=True)))
    disk = the_disk(vm.config.hardware.device)
    change_id = disk.backing.changeId
    with pytest.raises(vim.fault.NotFound):
        vm.QueryChangedDiskAreas(None, 4000, 0, change_id)
    with pytest.raises(vim.fault.FileFault):
        vm.QueryChangedDiskAreas(None, disk.key, 0, '52 00 00 00 00 00 00 00-00/1')
    with pytest.raises(vim.fault.FileFault):
        vm.QueryChangedDiskAreas(None, disk.key, 0, change_id.rsplit('/', 1)[0] + '/99')
    with pytest.raises(vmodl.fault.InvalidArgument):
        vm.QueryChangedDiskAreas(None, disk.key, CAPACITY, change_id)
    WaitForTask(vm.PowerOnVM_Task())
    try:
        with pytest.raises(vim.fault.FileLocked):
            vm.QueryChangedDiskAreas(None, disk.key, 0, change_id)
    finally:
        WaitForTask(vm.PowerOffVM_Task())
    # tracking off and on again: a fresh tracking id, the old change id is unknown
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=False)))
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=True)))
    fresh = the_disk(vm.config.hardware.device).backing.changeId
    assert fresh != change_id
    with pytest.raises(vim.fault.FileFault):
        vm.QueryChangedDiskAreas(None, disk.key, 0, change_id)


def other_datastore(vm):
    """A datastore the VM's host mounts that does not hold the VM."""
    return next(ds for ds in vm.runtime.host.datastore
                if ds != vm.datastore[0] and ds.summary.accessible)


def test_tracking_follows_storage_migration(si, sim):
    """Storage vMotion keeps the change record: the change id of the last
    backup stays valid on the new datastore and the next incremental run
    reports only what was written since."""
    vm = make_vm(si)
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=True)))
    write_disk(sim, si, vm, contents({1: b'a', 5: b'b'}))
    snap = snapshot(vm, 'full')
    base_id = the_disk(snap.config.hardware.device).backing.changeId
    WaitForTask(snap.RemoveSnapshot_Task(removeChildren=False))

    target = other_datastore(vm)
    WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=target)))
    disk = the_disk(vm.config.hardware.device)
    assert disk.backing.fileName.startswith('[%s] ' % target.name)
    assert disk.backing.changeId == base_id.rsplit('/', 1)[0] + '/1'
    # the data moved with the disk: nothing counts as changed by the move
    assert areas(vm.QueryChangedDiskAreas(None, disk.key, 0, base_id)) == []
    assert read_range(sim, si, disk, 5 * BLOCK, BLOCK) == pattern(b'b')
    write_disk(sim, si, vm, contents({1: b'a', 5: b'b', 9: b'c'}))
    snap = snapshot(vm, 'incremental')
    frozen = the_disk(snap.config.hardware.device)
    assert areas(vm.QueryChangedDiskAreas(snap, frozen.key, 0, base_id)) == [(9 * BLOCK, BLOCK)]
    # and back again with the snapshot: its chain moves whole, the ids stay valid
    home = vm.datastore[0]
    back = next(ds for ds in vm.runtime.host.datastore if ds != home and ds.summary.accessible)
    WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=back)))
    frozen = the_disk(vm.snapshot.rootSnapshotList[0].snapshot.config.hardware.device)
    assert frozen.backing.fileName.startswith('[%s] ' % back.name)
    assert areas(vm.QueryChangedDiskAreas(snap, frozen.key, 0, base_id)) == [(9 * BLOCK, BLOCK)]
    assert exported(sim, snap.ExportSnapshot()) == contents({1: b'a', 5: b'b', 9: b'c'})
    WaitForTask(snap.RemoveSnapshot_Task(removeChildren=False))


def test_writes_under_a_snapshot_go_to_its_delta(si, sim):
    """While a snapshot exists the running disk is its delta: what is
    written then leaves the snapshot's bytes alone, reads of the running
    disk see both, and removing the snapshot consolidates the writes."""
    vm = make_vm(si)
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=True)))
    before = contents({0: b'a', 2: b'b'})
    write_disk(sim, si, vm, before)
    snap = snapshot(vm, 'point-in-time')
    frozen = the_disk(snap.config.hardware.device)
    frozen_id = frozen.backing.changeId
    running = the_disk(vm.config.hardware.device)
    assert running.backing.parent.fileName == frozen.backing.fileName

    # the guest's disk, one block changed, put over its running delta
    after = contents({0: b'a', 2: b'b2'})
    status, _, _ = request(sim, 'PUT', extent_url(running), after, cookie(si))
    assert status == 200
    # the snapshot's disk is as it was, through /folder and through NFC
    assert read_range(sim, si, frozen, 0, CAPACITY) == before
    assert exported(sim, snap.ExportSnapshot()) == before
    # the running disk reads as the chain: exported, and in the changed areas
    assert exported(sim, vm.ExportVm()) == after
    assert areas(vm.QueryChangedDiskAreas(None, running.key, 0, frozen_id)) == [
        (2 * BLOCK, BLOCK)]
    assert areas(vm.QueryChangedDiskAreas(None, running.key, 0, '*')) == [(0, CAPACITY)]

    # zero-filling the running disk leaves the snapshot's bytes too
    content = si.RetrieveContent()
    WaitForTask(content.virtualDiskManager.ZeroFillVirtualDisk_Task(
        running.backing.fileName, content.rootFolder.childEntity[0]))
    assert exported(sim, vm.ExportVm()) == bytes(CAPACITY)
    assert exported(sim, snap.ExportSnapshot()) == before
    assert areas(vm.QueryChangedDiskAreas(None, running.key, 0, frozen_id)) == [(0, CAPACITY)]

    # reverting drops the writes: a fresh delta over the snapshot's file
    WaitForTask(snap.RevertToSnapshot_Task())
    assert exported(sim, vm.ExportVm()) == before
    # a shorter file put over the fresh delta: past its end the base shows
    running = the_disk(vm.config.hardware.device)
    status, _, _ = request(sim, 'PUT', extent_url(running),
                           contents({0: b'a', 1: b'c'})[:2 * BLOCK], cookie(si))
    assert status == 200
    merged = contents({0: b'a', 1: b'c', 2: b'b'})
    assert exported(sim, vm.ExportVm()) == merged
    # removing the snapshot merges the delta into the file it froze
    WaitForTask(snap.RemoveSnapshot_Task(removeChildren=False))
    running = the_disk(vm.config.hardware.device)
    assert running.backing.parent is None
    assert read_range(sim, si, running, 0, CAPACITY) == merged
    assert exported(sim, vm.ExportVm()) == merged


def test_nested_snapshots_keep_each_point_in_time(si, sim):
    """Two snapshots in a chain: each keeps its own bytes; removing the
    older one merges the delta between them into the base."""
    vm = make_vm(si)
    write_disk(sim, si, vm, contents({0: b'one'}))
    first = snapshot(vm, 'first')
    status, _, _ = request(sim, 'PUT', extent_url(the_disk(vm.config.hardware.device)),
                           contents({0: b'two'})[:BLOCK], cookie(si))
    assert status == 200
    second = snapshot(vm, 'second')
    status, _, _ = request(sim, 'PUT', extent_url(the_disk(vm.config.hardware.device)),
                           contents({1: b'three'})[:2 * BLOCK], cookie(si))
    assert status == 200
    assert exported(sim, first.ExportSnapshot()) == contents({0: b'one'})
    assert exported(sim, second.ExportSnapshot()) == contents({0: b'two'})
    assert exported(sim, vm.ExportVm()) == contents({1: b'three'})
    WaitForTask(first.RemoveSnapshot_Task(removeChildren=False))
    assert exported(sim, second.ExportSnapshot()) == contents({0: b'two'})
    assert exported(sim, vm.ExportVm()) == contents({1: b'three'})
    WaitForTask(vm.RemoveAllSnapshots_Task())
    assert exported(sim, vm.ExportVm()) == contents({1: b'three'})


def test_tracking_follows_a_disk_moved_as_files(si, sim):
    """MoveVirtualDisk_Task carries the change record with the disk's
    files: what is written to the disk at its new place counts, and the
    change ids stay valid once it is back where the VM has it."""
    vm = make_vm(si)
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=True)))
    disk = the_disk(vm.config.hardware.device)
    since = disk.backing.changeId
    content = si.RetrieveContent()
    dc = content.rootFolder.childEntity[0]
    manager = content.virtualDiskManager
    moved = disk.backing.fileName[:-len('.vmdk')] + '-moved.vmdk'
    WaitForTask(manager.MoveVirtualDisk_Task(disk.backing.fileName, dc, moved, dc))
    ds, relative = moved[1:].split('] ')
    url = '/folder/%s?dcPath=DC0&dsName=%s' % (
        urllib.parse.quote(relative[:-len('.vmdk')] + '-flat.vmdk'), ds)
    status, _, _ = request(sim, 'PUT', url, contents({4: b'm'}), cookie(si))
    assert status == 200
    WaitForTask(manager.MoveVirtualDisk_Task(moved, dc, disk.backing.fileName, dc))
    assert areas(vm.QueryChangedDiskAreas(None, disk.key, 0, since)) == [(4 * BLOCK, BLOCK)]
    assert read_range(sim, si, disk, 4 * BLOCK, BLOCK) == pattern(b'm')


def test_a_full_clone_holds_its_sources_data(si, sim):
    """A full clone's disk is a copy of its source's data: the running
    disk read through its snapshot's delta, or the snapshot's point in time."""
    vm = make_vm(si)
    before = contents({1: b'old'})
    write_disk(sim, si, vm, before)
    snap = snapshot(vm, 'to-clone')
    after = contents({1: b'old', 6: b'new'})
    write_disk(sim, si, vm, after)

    def clone(name, **spec):
        task = vm.CloneVM_Task(vm.parent, name, vim.vm.CloneSpec(
            location=vim.vm.RelocateSpec(), **spec))
        WaitForTask(task)
        return task.info.result

    now = clone('clone-now')
    disk = the_disk(now.config.hardware.device)
    assert disk.backing.parent is None
    assert read_range(sim, si, disk, 0, CAPACITY) == after
    then = clone('clone-then', snapshot=snap)
    assert read_range(sim, si, the_disk(then.config.hardware.device), 0, CAPACITY) == before
    # the copies are their own: a write to one leaves the source alone
    write_disk(sim, si, now, contents({0: b'mine'}))
    assert exported(sim, vm.ExportVm()) == after


def test_a_parent_hint_out_of_the_datastores_is_no_parent(si, sim, tmp_path):
    """A descriptor put over a disk's, whose parentFileNameHint climbs out
    of the datastores to a disk there, chains to nothing: the export reads
    the delta's own data only, never a file outside the datastores."""
    vm = make_vm(si)
    snapshot(vm, 'hinted')
    running = the_disk(vm.config.hardware.device)
    ds, relative = running.backing.fileName[1:].split('] ')
    url = '/folder/%s?dcPath=DC0&dsName=%s' % (urllib.parse.quote(relative), ds)
    _, _, descriptor = request(sim, 'GET', url, headers=cookie(si))
    # a whole disk outside: its descriptor and its data
    (tmp_path / 'outside-flat.vmdk').write_bytes(b'secret' * 1000)
    (tmp_path / 'outside.vmdk').write_bytes(descriptor.replace(
        os.path.basename(relative)[:-len('.vmdk')].encode() + b'-sesparse.vmdk',
        b'outside-flat.vmdk'))
    folder = next(top for top, _, names in os.walk(sim.sim.datastore_namespace.root)
                  if os.path.basename(relative) in names)
    outside = os.path.relpath(str(tmp_path / 'outside.vmdk'), folder)
    hinted = b'\n'.join(
        b'parentFileNameHint="%s"' % outside.encode() if line.startswith(b'parentFileNameHint')
        else line for line in descriptor.split(b'\n'))
    assert hinted != descriptor
    assert request(sim, 'PUT', url, hinted, cookie(si))[0] == 200
    assert exported(sim, vm.ExportVm()) == bytes(CAPACITY)
