"""First-class disks with pyVmomi, govc's disk.* flow: create a disk (its
descriptor and extent in the datastore's fcd folder, its catalog entry in
catalog/), list and read it, rename, grow, inflate, snapshot, revert, make
a disk from a snapshot, clone, relocate, tag, attach to a VM and detach,
delete; free space follows each step."""
import itertools
import os

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, logged_in, on_reactor, task_fault
from tests.test_folder_http import leave_free

MB = 1 << 20
NAMES = itertools.count(1)


@pytest.fixture(scope='module')
def running(validator):
    return _simulator(validator, tls=False, ds=2)


@pytest.fixture
def si(running):
    yield from logged_in(running)


@pytest.fixture
def env(si, running):
    content = si.RetrieveContent()
    dc = content.rootFolder.childEntity[0]
    ds = next(d for d in dc.datastore if d.name == 'LocalDS_0')
    ds_object = next(o for o in running.sim.objects if o.ref.value == ds._moId)
    return content.vStorageObjectManager, dc, ds, ds_object


def create_spec(ds, name=None, mb=64, provisioning='thin', path=None, keep=None):
    return vim.vslm.CreateSpec(
        name=name or 'disk-%d' % next(NAMES), capacityInMB=mb, keepAfterDeleteVm=keep,
        backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(
            datastore=ds, provisioningType=provisioning, path=path))


def local(running, ds_object, name):
    return os.path.join(running.sim.datastore_namespace.root, ds_object.vmfs_uuid,
                        name.split('] ', 1)[1])


def create(vsom, ds, **kwargs):
    task = vsom.CreateDisk_Task(create_spec(ds, **kwargs))
    WaitForTask(task)
    return task.info.result


def test_create_list_retrieve_rename_extend_delete(running, env):
    vsom, _, ds, ds_object = env
    free = ds.summary.freeSpace
    disk = create(vsom, ds, name='data', mb=100)
    config = disk.config
    assert config.name == 'data' and config.capacityInMB == 100
    assert config.backing.provisioningType == 'thin' and config.backing.datastore == ds
    assert config.keepAfterDeleteVm is True and config.consumptionType == ['disk']
    path = config.backing.filePath
    assert path == '[LocalDS_0] fcd/%s.vmdk' % config.id.id.replace('-', '')
    descriptor = open(local(running, ds_object, path)).read()
    assert 'RW 204800 VMFS' in descriptor and 'ddb.thinProvisioned = "1"' in descriptor
    catalog = os.path.join(running.sim.datastore_namespace.root, ds_object.vmfs_uuid,
                           'catalog', config.id.id + '.json')
    assert os.path.isfile(catalog)
    assert config.id.id in [i.id for i in vsom.ListVStorageObject(ds)]
    assert vsom.RetrieveVStorageObjectState(config.id, ds).tentative is False

    vsom.RenameVStorageObject(config.id, ds, 'renamed')
    assert vsom.RetrieveVStorageObject(config.id, ds).config.name == 'renamed'
    WaitForTask(vsom.ExtendDisk_Task(config.id, ds, 200))
    assert vsom.RetrieveVStorageObject(config.id, ds).config.capacityInMB == 200
    fault = task_fault(vsom.ExtendDisk_Task(config.id, ds, 150))
    assert isinstance(fault, vmodl.fault.InvalidArgument)

    WaitForTask(vsom.InflateDisk_Task(config.id, ds))     # a thin disk commits its size
    inflated = vsom.RetrieveVStorageObject(config.id, ds).config
    assert inflated.backing.provisioningType == 'eagerZeroedThick'
    assert free - ds.summary.freeSpace >= 200 * MB

    WaitForTask(vsom.DeleteVStorageObject_Task(config.id, ds))
    assert config.id.id not in [i.id for i in vsom.ListVStorageObject(ds)]
    assert not os.path.exists(local(running, ds_object, path)) and not os.path.exists(catalog)
    assert ds.summary.freeSpace == free
    with pytest.raises(vim.fault.NotFound):
        vsom.RetrieveVStorageObject(config.id, ds)
    fault = task_fault(vsom.DeleteVStorageObject_Task(config.id, ds))
    assert isinstance(fault, vim.fault.NotFound)


def test_a_thick_disk_that_does_not_fit_is_refused(running, env):
    vsom, _, ds, ds_object = env
    capacity = ds_object.capacity
    on_reactor(leave_free, ds_object, 256 * MB)
    try:
        free = ds.summary.freeSpace
        fault = task_fault(vsom.CreateDisk_Task(create_spec(ds, mb=512,
                                                            provisioning='eagerZeroedThick')))
        assert isinstance(fault, vim.fault.NoDiskSpace) and fault.datastore == 'LocalDS_0'
        assert ds.summary.freeSpace == free
        thin = create(vsom, ds, mb=512)       # a thin one promises only: it fits
        fault = task_fault(vsom.InflateDisk_Task(thin.config.id, ds))
        assert isinstance(fault, vim.fault.NoDiskSpace)
        WaitForTask(vsom.DeleteVStorageObject_Task(thin.config.id, ds))
    finally:
        on_reactor(setattr, ds_object, 'capacity', capacity)


def test_snapshots_revert_and_disk_from_snapshot(running, env):
    vsom, _, ds, ds_object = env
    disk = create(vsom, ds, mb=16)
    disk_id = disk.config.id
    base = local(running, ds_object, disk.config.backing.filePath)
    base_extent = base[:-5] + '-flat.vmdk'
    with open(base_extent, 'r+b') as f:
        f.write(b'A' * 4096)
    task = vsom.VStorageObjectCreateSnapshot_Task(disk_id, ds, 'first')
    WaitForTask(task)
    first = task.info.result
    now = vsom.RetrieveVStorageObject(disk_id, ds).config.backing
    assert now.filePath.endswith('-000001.vmdk') and now.parent.filePath == \
        disk.config.backing.filePath
    delta = local(running, ds_object, now.filePath)
    assert 'parentFileNameHint="%s"' % os.path.basename(base) in open(delta).read()
    with open(delta[:-5] + '-sesparse.vmdk', 'r+b') as f:     # written after the snapshot
        f.write(b'B' * 4096)
    info = vsom.RetrieveSnapshotInfo(disk_id, ds)
    assert [(s.id.id, s.description) for s in info.snapshots] == [(first.id, 'first')]

    task = vsom.CreateDiskFromSnapshot_Task(disk_id, ds, first, 'from-first')
    WaitForTask(task)
    copy = task.info.result.config
    with open(local(running, ds_object, copy.backing.filePath)[:-5] + '-flat.vmdk', 'rb') as f:
        assert f.read(4096) == b'A' * 4096
    clone = vsom.CloneVStorageObject_Task(disk_id, ds, vim.vslm.CloneSpec(
        name='clone', backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=ds)))
    WaitForTask(clone)
    cloned = clone.info.result.config
    with open(local(running, ds_object, cloned.backing.filePath)[:-5] + '-flat.vmdk',
              'rb') as f:
        assert f.read(4096) == b'B' * 4096         # the current state, consolidated
    assert cloned.backing.parent is None

    WaitForTask(vsom.RevertVStorageObject_Task(disk_id, ds, first))
    reverted = vsom.RetrieveVStorageObject(disk_id, ds).config.backing
    with open(local(running, ds_object, reverted.filePath)[:-5] + '-sesparse.vmdk',
              'rb') as f:
        assert f.read(4096) == b'\0' * 4096         # the writes since the snapshot are gone
    assert [s.id.id for s in vsom.RetrieveSnapshotInfo(disk_id, ds).snapshots] == [first.id]

    with open(local(running, ds_object, reverted.filePath)[:-5] + '-sesparse.vmdk',
              'r+b') as f:
        f.write(b'C' * 4096)
    WaitForTask(vsom.DeleteSnapshot_Task(disk_id, ds, first))   # consolidated into one file
    after = vsom.RetrieveVStorageObject(disk_id, ds).config.backing
    assert after.parent is None and not vsom.RetrieveSnapshotInfo(disk_id, ds).snapshots
    with open(local(running, ds_object, after.filePath)[:-5] + '-flat.vmdk', 'rb') as f:
        assert f.read(4096) == b'C' * 4096
    assert not os.path.exists(base)
    fault = task_fault(vsom.DeleteSnapshot_Task(disk_id, ds, first))
    assert isinstance(fault, vim.fault.NotFound)
    for made in (disk_id, copy.id, cloned.id):
        WaitForTask(vsom.DeleteVStorageObject_Task(made, ds))


def test_attach_to_a_vm_and_detach(running, env, si):
    vsom, dc, ds, ds_object = env
    disk = create(vsom, ds, mb=32)
    disk_id = disk.config.id
    WaitForTask(vsom.VStorageObjectCreateSnapshot_Task(disk_id, ds, 'before attach'))
    vm = next(v for v in ds.vm if v.name == 'DC0_H0_VM1')
    WaitForTask(vm.AttachDisk_Task(disk_id, ds))
    device = next(d for d in vm.config.hardware.device
                  if isinstance(d, vim.vm.device.VirtualDisk) and d.vDiskId is not None)
    assert device.vDiskId.id == disk_id.id and device.capacityInKB == 32 * 1024
    top = vsom.RetrieveVStorageObject(disk_id, ds).config
    assert device.backing.fileName == top.backing.filePath
    assert device.backing.parent.fileName == top.backing.parent.filePath
    assert top.consumerId[0].id == vm.config.instanceUuid
    assert top.backing.filePath in [f.name for f in vm.layoutEx.file]
    fault = task_fault(vsom.DeleteVStorageObject_Task(disk_id, ds))
    assert isinstance(fault, vim.fault.InvalidState)
    fault = task_fault(vm.AttachDisk_Task(disk_id, ds))
    assert isinstance(fault, vim.fault.InvalidState)

    WaitForTask(vm.CreateSnapshot_Task('over the disk', memory=False, quiesce=False))
    device = next(d for d in vm.config.hardware.device
                  if isinstance(d, vim.vm.device.VirtualDisk) and d.vDiskId is not None)
    names = []
    backing = device.backing
    while backing is not None:
        names.append(backing.fileName)
        backing = backing.parent
    assert len(set(names)) == 3 and names[1:] == [top.backing.filePath,
                                                  top.backing.parent.filePath]
    WaitForTask(vm.RemoveAllSnapshots_Task())

    WaitForTask(vm.DetachDisk_Task(disk_id))
    assert not [d for d in vm.config.hardware.device
                if isinstance(d, vim.vm.device.VirtualDisk) and d.vDiskId is not None]
    assert os.path.exists(local(running, ds_object, top.backing.filePath))
    assert not vsom.RetrieveVStorageObject(disk_id, ds).config.consumerId
    fault = task_fault(vm.DetachDisk_Task(disk_id))
    assert isinstance(fault, vim.fault.NotFound)
    WaitForTask(vsom.DeleteVStorageObject_Task(disk_id, ds))


def test_a_disk_outlives_its_vm_unless_told_otherwise(running, env, si):
    vsom, dc, ds, ds_object = env
    kept = create(vsom, ds, mb=8)
    gone = create(vsom, ds, mb=8, keep=False)
    vm = next(v for v in ds.vm if v.name == 'DC0_H0_VM0' and
              v.runtime.powerState == 'poweredOn')
    for disk in (kept, gone):
        WaitForTask(vm.AttachDisk_Task(disk.config.id, ds))
    WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(vm.Destroy_Task())
    ids = [i.id for i in vsom.ListVStorageObject(ds)]
    assert kept.config.id.id in ids and gone.config.id.id not in ids
    assert os.path.exists(local(running, ds_object, kept.config.backing.filePath))
    assert not os.path.exists(local(running, ds_object, gone.config.backing.filePath))
    WaitForTask(vsom.DeleteVStorageObject_Task(kept.config.id, ds))


def test_register_relocate_reconcile(running, env, si):
    vsom, dc, ds, ds_object = env
    content = si.RetrieveContent()
    name = '[LocalDS_0] plain-%d.vmdk' % next(NAMES)
    WaitForTask(content.virtualDiskManager.CreateVirtualDisk_Task(
        name=name, datacenter=dc, spec=vim.VirtualDiskManager.FileBackedVirtualDiskSpec(
            diskType='thin', adapterType='lsiLogic', capacityKb=1024)))
    registered = vsom.RegisterDisk(path=name, name='registered')
    assert registered.config.backing.filePath == name
    assert registered.config.name == 'registered' and registered.config.capacityInMB == 1
    with pytest.raises(vim.fault.AlreadyExists):
        vsom.RegisterDisk(path=name)

    other = next(d for d in dc.datastore if d.name != 'LocalDS_0')
    task = vsom.RelocateVStorageObject_Task(registered.config.id, ds, vim.vslm.RelocateSpec(
        backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=other)))
    WaitForTask(task)
    moved = task.info.result.config
    assert moved.backing.datastore == other
    assert moved.backing.filePath.startswith('[%s] fcd/' % other.name)
    assert registered.config.id.id in [i.id for i in vsom.ListVStorageObject(other)]
    assert registered.config.id.id not in [i.id for i in vsom.ListVStorageObject(ds)]

    other_object = next(o for o in running.sim.objects if o.ref.value == other._moId)
    os.unlink(local(running, other_object, moved.backing.filePath))    # lost behind its back
    WaitForTask(vsom.ReconcileDatastoreInventory_Task(other))
    assert registered.config.id.id not in [i.id for i in vsom.ListVStorageObject(other)]


def test_tags_come_from_the_tagging_service(running, env):
    vsom, _, ds, _ = env
    tagging = running.sim.tagging
    category = on_reactor(tagging.create_category, 'tier-%d' % next(NAMES), '', 'SINGLE', [])
    gold = on_reactor(tagging.create_tag, category, 'gold', '')
    silver = on_reactor(tagging.create_tag, category, 'silver', '')
    disk = create(vsom, ds, mb=4)
    disk_id = disk.config.id
    vsom.AttachTagToVStorageObject(disk_id, category.name, 'gold')
    vsom.AttachTagToVStorageObject(disk_id, category.name, 'gold')      # again: no change
    assert [(t.parentCategoryName, t.tagName) for t in
            vsom.ListTagsAttachedToVStorageObject(disk_id)] == [(category.name, 'gold')]
    assert [i.id for i in vsom.ListVStorageObjectsAttachedToTag(category.name, 'gold')] \
        == [disk_id.id]
    with pytest.raises(vmodl.fault.InvalidArgument):      # one tag of a SINGLE category
        vsom.AttachTagToVStorageObject(disk_id, category.name, 'silver')
    with pytest.raises(vim.fault.NotFound):
        vsom.AttachTagToVStorageObject(disk_id, category.name, 'bronze')
    vsom.DetachTagFromVStorageObject(disk_id, category.name, 'gold')
    assert not vsom.ListTagsAttachedToVStorageObject(disk_id)
    vsom.AttachTagToVStorageObject(disk_id, category.name, 'silver')
    on_reactor(tagging.delete_tag, silver)       # gone from the service, gone from the disk
    assert not vsom.ListTagsAttachedToVStorageObject(disk_id)
    del gold
    WaitForTask(vsom.DeleteVStorageObject_Task(disk_id, ds))


def test_faults_of_bad_arguments(env, si):
    vsom, dc, ds, _ = env
    with pytest.raises(vmodl.fault.InvalidArgument):
        vsom.CreateDisk_Task(create_spec(ds, mb=0))
    with pytest.raises(vmodl.fault.InvalidArgument):
        vsom.CreateDisk_Task(create_spec(ds, provisioning='sparse'))
    with pytest.raises(vim.fault.InvalidDatastore):
        vsom.ListVStorageObject(vim.Datastore('datastore-424242', si._stub))
    with pytest.raises(vim.fault.NotFound):
        vsom.RetrieveVStorageObject(vim.vslm.ID(id='no-such-disk'), ds)
    fault = task_fault(vsom.CreateDisk_Task(create_spec(ds, path='no/such/folder')))
    assert isinstance(fault, vim.fault.FileNotFound)
    with pytest.raises(vim.fault.InvalidDatastorePath):
        vsom.CreateDisk_Task(create_spec(ds, path='../escape'))
    spec = create_spec(ds)
    spec.id = vim.vslm.ID(id='../../outside')        # an id names the catalog entry's file
    with pytest.raises(vmodl.fault.InvalidArgument):
        vsom.CreateDisk_Task(spec)
    spec.id = vim.vslm.ID(id='chosen-id')
    WaitForTask(vsom.CreateDisk_Task(spec))
    with pytest.raises(vim.fault.AlreadyExists):
        vsom.CreateDisk_Task(spec)
    assert vsom.RetrieveVStorageObject(spec.id, ds).config.id.id == 'chosen-id'
    WaitForTask(vsom.DeleteVStorageObject_Task(spec.id, ds))


def test_esx_serves_the_same_disks(validator):
    running = _simulator(validator, tls=False, esx=True)
    si = running.connect()
    try:
        content = si.RetrieveContent()
        vsom = content.vStorageObjectManager
        assert isinstance(vsom, vim.vslm.host.VStorageObjectManager)
        ds = content.rootFolder.childEntity[0].datastore[0]
        task = vsom.HostCreateDisk_Task(create_spec(ds, mb=8))
        WaitForTask(task)
        disk_id = task.info.result.config.id
        assert task.info.descriptionId.endswith('createDisk')
        assert disk_id.id in [i.id for i in vsom.HostListVStorageObject(ds)]
        task = vsom.HostVStorageObjectCreateSnapshot_Task(disk_id, ds, 's')
        WaitForTask(task)
        assert len(vsom.HostVStorageObjectRetrieveSnapshotInfo(disk_id, ds).snapshots) == 1
        made = vsom.HostVStorageObjectCreateDiskFromSnapshot_Task(
            disk_id, ds, task.info.result, 'thick-copy', provisioningType='eagerZeroedThick')
        WaitForTask(made)
        copy = made.info.result.config
        assert copy.backing.provisioningType == 'eagerZeroedThick'
        for gone in (disk_id, copy.id):
            WaitForTask(vsom.HostDeleteVStorageObject_Task(gone, ds))
        assert not vsom.HostListVStorageObject(ds)
    finally:
        running.stop()


def test_a_catalog_file_that_is_no_entry_is_passed_over(running, env):
    vsom, _, ds, ds_object = env
    disk = create(vsom, ds, mb=1)
    folder = os.path.join(running.sim.datastore_namespace.root, ds_object.vmfs_uuid, 'catalog')
    for name, text in (('junk.json', 'not json'), ('list.json', '[1]'),
                       ('bad-snapshot.json', '{"id": "bad-snapshot", "name": "x", "path": '
                        '"fcd/x.vmdk", "createTime": "2026-01-01T00:00:00", "snapshots": [7]}')):
        with open(os.path.join(folder, name), 'w') as f:
            f.write(text)
    assert [i.id for i in vsom.ListVStorageObject(ds)] == [disk.config.id.id]
    with pytest.raises(vim.fault.NotFound):
        vsom.RetrieveVStorageObject(vim.vslm.ID(id='bad-snapshot'), ds)
    WaitForTask(vsom.DeleteVStorageObject_Task(disk.config.id, ds))
