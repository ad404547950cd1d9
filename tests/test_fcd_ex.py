"""First-class disks, the rest of the API with pyVmomi: the *Ex forms of
VStorageObjectManagerBase and the catalog's virtual clock they answer,
unregistering and repairing, control flags, metadata (and ESXi's reads of
it), storage policies from PBM, changed block tracking of a disk's
snapshots, associations with VMs, the reconcile report, virtual disk uuids,
and the same through vslm where it has them."""
import json
import os

import pytest
from pyVim.task import WaitForTask
from pyVmomi import VmomiSupport, pbm, vim, vmodl

from tests.conftest import _simulator, logged_in, task_fault
from tests.test_fcd import create, create_spec, env, local, running  # noqa: F401 fixtures
from tests.test_folder_http import cookie, request
from tests.test_pbm import pbm_content
from tests.test_vslm import result, spec, vslm_content

MB = 1 << 20
VVOL_NO_REQUIREMENTS = 'f4e5bade-15a2-4805-bf8e-52318c4ce443'


@pytest.fixture
def si(running):
    yield from logged_in(running)
    VmomiSupport.GetRequestContext().pop('vcSessionCookie', None)    # PBM's and vslm's


def clock(vsom, disk_id, ds):
    return vsom.RetrieveVStorageObject(disk_id, ds).config.vclock.vClockTime


def done(task):
    WaitForTask(task)
    return task.info.result


def test_ex_forms_answer_the_catalog_clock(env):
    vsom, _, ds, _ = env
    disk_id = create(vsom, ds, mb=4).config.id
    start = clock(vsom, disk_id, ds)
    renamed = vsom.RenameVStorageObjectEx(disk_id, ds, 'renamed-ex')
    assert renamed.vClockTime > start and clock(vsom, disk_id, ds) == renamed.vClockTime
    assert vsom.RetrieveVStorageObject(disk_id, ds).config.name == 'renamed-ex'

    grown = done(vsom.VStorageObjectExtendDiskEx_Task(disk_id, ds, 8))
    assert grown.vClockTime > renamed.vClockTime
    assert vsom.RetrieveVStorageObject(disk_id, ds).config.capacityInMB == 8

    first = done(vsom.VStorageObjectCreateSnapshotEx_Task(disk_id, ds, 'one'))
    assert isinstance(first, vim.vslm.VStorageObjectSnapshot)
    assert first.vclock.vClockTime > grown.vClockTime
    chosen = vim.vslm.ID(id='my-snapshot-2')
    second = done(vsom.VStorageObjectCreateSnapshotEx_Task(disk_id, ds, 'two', chosen))
    assert second.id.id == 'my-snapshot-2'
    assert [s.id.id for s in vsom.RetrieveSnapshotInfo(disk_id, ds).snapshots] == [
        first.id.id, 'my-snapshot-2']
    fault = task_fault(vsom.VStorageObjectCreateSnapshotEx_Task(disk_id, ds, 'again', chosen))
    assert isinstance(fault, vmodl.fault.InvalidArgument)

    reverted = done(vsom.RevertVStorageObjectEx_Task(disk_id, ds, first.id))
    assert reverted.vClockTime > second.vclock.vClockTime
    assert [s.id.id for s in vsom.RetrieveSnapshotInfo(disk_id, ds).snapshots] == [first.id.id]
    third = done(vsom.VStorageObjectCreateSnapshotEx_Task(disk_id, ds, 'three'))
    gone = done(vsom.VStorageObjectDeleteSnapshotEx2_Task(disk_id, ds, third.id))
    assert gone.id.id == third.id.id and gone.vclock.vClockTime > third.vclock.vClockTime
    cleared = done(vsom.VStorageObjectDeleteSnapshotEx_Task(disk_id, ds, first.id))
    assert cleared.vClockTime > gone.vclock.vClockTime
    assert not vsom.RetrieveSnapshotInfo(disk_id, ds).snapshots
    fault = task_fault(vsom.VStorageObjectDeleteSnapshotEx_Task(disk_id, ds, first.id))
    assert isinstance(fault, vim.fault.NotFound)

    deleted = done(vsom.DeleteVStorageObjectEx_Task(disk_id, ds))
    assert deleted.vClockTime > cleared.vClockTime
    with pytest.raises(vim.fault.NotFound):
        vsom.RenameVStorageObjectEx(disk_id, ds, 'x')


def test_unregister_leaves_the_files_and_repair_follows_them(running, env):
    vsom, _, ds, ds_object = env
    disk = create(vsom, ds, mb=2)
    disk_id, path = disk.config.id, disk.config.backing.filePath
    done(vsom.UnregisterDisk_Task(disk_id, ds))
    assert disk_id.id not in [i.id for i in vsom.ListVStorageObject(ds)]
    assert os.path.isfile(local(running, ds_object, path))
    again = vsom.RegisterDisk(path, 'back')
    assert again.config.backing.filePath == path

    snapshot = done(vsom.VStorageObjectCreateSnapshotEx_Task(again.config.id, ds, 's'))
    entry_file = os.path.join(running.sim.datastore_namespace.root, ds_object.vmfs_uuid,
                              'catalog', again.config.id.id + '.json')
    with open(entry_file) as f:
        entry = json.load(f)
    ghost = dict(entry['snapshots'][0], id='ghost', path='fcd/ghost.vmdk')
    entry['snapshots'].append(ghost)        # an entry that lost track of its files
    with open(entry_file, 'w') as f:
        json.dump(entry, f)
    assert len(vsom.RetrieveSnapshotInfo(again.config.id, ds).snapshots) == 2
    done(vsom.RepairVStorageObjectChain_Task(again.config.id, ds))
    assert [s.id.id for s in vsom.RetrieveSnapshotInfo(again.config.id, ds).snapshots] == [
        snapshot.id.id]
    done(vsom.DeleteVStorageObject_Task(again.config.id, ds))
    fault = task_fault(vsom.UnregisterDisk_Task(again.config.id, ds))
    assert isinstance(fault, vim.fault.NotFound)


def test_control_flags(env):
    vsom, _, ds, _ = env
    other = next(d for d in ds.parent.childEntity if d.name == 'LocalDS_1')
    disk_id = create(vsom, ds, mb=1).config.id
    vsom.SetVStorageObjectControlFlags(disk_id, ds, ['disableRelocation'])
    config = vsom.RetrieveVStorageObject(disk_id, ds).config
    assert config.relocationDisabled is True and config.keepAfterDeleteVm is True
    relocate = vim.vslm.RelocateSpec(backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(
        datastore=other))
    fault = task_fault(vsom.RelocateVStorageObject_Task(disk_id, ds, relocate))
    assert isinstance(fault, vim.fault.InvalidState)
    vsom.ClearVStorageObjectControlFlags(disk_id, ds, ['disableRelocation', 'keepAfterDeleteVm'])
    config = vsom.RetrieveVStorageObject(disk_id, ds).config
    assert config.relocationDisabled is False and config.keepAfterDeleteVm is False
    moved = done(vsom.RelocateVStorageObject_Task(disk_id, ds, relocate))
    assert moved.config.backing.datastore == other
    for flags in (['noSuchFlag'], []):
        with pytest.raises(vmodl.fault.InvalidArgument):
            vsom.SetVStorageObjectControlFlags(disk_id, other, flags)
    done(vsom.DeleteVStorageObject_Task(disk_id, other))


def put_extent(running, si, disk, data, ds_name='LocalDS_0'):
    """Bytes put over the disk's base extent, as a writer of its data."""
    relative = disk.backing.filePath.split('] ', 1)[1][:-len('.vmdk')] + '-flat.vmdk'
    status, _, _ = request(running, 'PUT', '/folder/%s?dcPath=DC0&dsName=%s' % (
        relative, ds_name), data, cookie(si))
    assert status == 200


def test_changed_block_tracking_follows_relocation(running, si, env):
    """A relocated disk keeps its change record: the change id of a
    snapshot taken before the move still answers what changed since."""
    vsom, _, ds, _ = env
    other = next(d for d in ds.parent.childEntity if d.name == 'LocalDS_1')
    disk = create(vsom, ds, mb=1).config
    vsom.SetVStorageObjectControlFlags(disk.id, ds, ['enableChangedBlockTracking'])
    before = done(vsom.VStorageObjectCreateSnapshotEx_Task(disk.id, ds, 'before'))
    change_id = vsom.RetrieveSnapshotDetails(disk.id, ds, before.id).changedBlockTrackingId
    done(vsom.DeleteSnapshot_Task(disk.id, ds, before.id))
    moved = done(vsom.RelocateVStorageObject_Task(disk.id, ds, vim.vslm.RelocateSpec(
        backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=other)))).config
    block = 64 * 1024
    put_extent(running, si, moved, b'\0' * (5 * block) + b'y' * block + b'\0' * (MB - 6 * block),
               'LocalDS_1')
    after = done(vsom.VStorageObjectCreateSnapshotEx_Task(disk.id, other, 'after'))
    since = vsom.VstorageObjectVCenterQueryChangedDiskAreas(disk.id, other, after.id, 0,
                                                            change_id)
    assert [(a.start, a.length) for a in since.changedArea] == [(5 * block, block)]
    done(vsom.DeleteVStorageObject_Task(disk.id, other))


def test_changed_block_tracking_of_snapshots(running, si, env):
    vsom, _, ds, _ = env
    disk = create(vsom, ds, mb=1).config
    first = done(vsom.VStorageObjectCreateSnapshotEx_Task(disk.id, ds, 'untracked'))
    assert vsom.RetrieveSnapshotDetails(disk.id, ds, first.id).changedBlockTrackingId is None
    with pytest.raises(vim.fault.FileFault):
        vsom.VstorageObjectVCenterQueryChangedDiskAreas(disk.id, ds, first.id, 0, '*')

    vsom.SetVStorageObjectControlFlags(disk.id, ds, ['enableChangedBlockTracking'])
    assert vsom.RetrieveVStorageObject(disk.id, ds).config.changedBlockTrackingEnabled
    base = done(vsom.VStorageObjectCreateSnapshotEx_Task(disk.id, ds, 'base'))
    details = vsom.RetrieveSnapshotDetails(disk.id, ds, base.id)
    assert details.changedBlockTrackingId and details.path.startswith('[LocalDS_0] fcd/')
    block = 64 * 1024
    put_extent(running, si, disk, b'\0' * (2 * block) + b'x' * block + b'\0' * (MB - 3 * block))
    later = done(vsom.VStorageObjectCreateSnapshotEx_Task(disk.id, ds, 'later'))
    since = vsom.VstorageObjectVCenterQueryChangedDiskAreas(
        disk.id, ds, later.id, 0, details.changedBlockTrackingId)
    assert since.length == MB
    assert [(a.start, a.length) for a in since.changedArea] == [(2 * block, block)]
    allocated = vsom.VstorageObjectVCenterQueryChangedDiskAreas(disk.id, ds, later.id, 0, '*')
    assert any(a.start <= 2 * block and 3 * block <= a.start + a.length
               for a in allocated.changedArea)       # the zeros put are data too
    with pytest.raises(vim.fault.FileFault):
        vsom.VstorageObjectVCenterQueryChangedDiskAreas(disk.id, ds, later.id, 0, 'junk/1')
    with pytest.raises(vmodl.fault.InvalidArgument):
        vsom.VstorageObjectVCenterQueryChangedDiskAreas(disk.id, ds, later.id, MB, '*')

    vsom.ClearVStorageObjectControlFlags(disk.id, ds, ['enableChangedBlockTracking'])
    with pytest.raises(vim.fault.FileFault):      # tracking off forgets the records
        vsom.VstorageObjectVCenterQueryChangedDiskAreas(disk.id, ds, later.id, 0, '*')
    done(vsom.DeleteVStorageObject_Task(disk.id, ds))


def test_metadata_and_policy(running, si, env):
    vsom, _, ds, _ = env
    disk_id = create(vsom, ds, mb=1).config.id
    KV = vim.KeyValue
    done(vsom.VCenterUpdateVStorageObjectMetadataEx_Task(
        disk_id, ds, [KV(key='app', value='db'), KV(key='tier', value='gold')]))
    done(vsom.VCenterUpdateVStorageObjectMetadataEx_Task(
        disk_id, ds, [KV(key='owner', value='ops')], ['tier']))
    pairs = vsom.RetrieveVStorageObject(disk_id, ds).config.metadata
    assert [(p.key, p.value) for p in pairs] == [('app', 'db'), ('owner', 'ops')]
    fault = task_fault(vsom.VCenterUpdateVStorageObjectMetadataEx_Task(
        disk_id, ds, [KV(key='app', value='x')], ['app']))
    assert isinstance(fault, vmodl.fault.InvalidArgument)

    content = pbm_content(running, si._stub.cookie.split('"')[1])
    disk_ref = pbm.ServerObjectRef(objectType='virtualDiskUUID', key=disk_id.id)
    assert content.profileManager.PbmQueryAssociatedProfile(disk_ref) == []
    done(vsom.UpdateVStorageObjectPolicy_Task(disk_id, ds, [
        vim.vm.DefinedProfileSpec(profileId=VVOL_NO_REQUIREMENTS)]))
    assert [p.uniqueId for p in content.profileManager.PbmQueryAssociatedProfile(disk_ref)] \
        == [VVOL_NO_REQUIREMENTS]
    with pytest.raises(vmodl.fault.InvalidArgument):
        vsom.UpdateVStorageObjectPolicy_Task(disk_id, ds, [
            vim.vm.DefinedProfileSpec(profileId='no-such-profile')])
    done(vsom.UpdateVStorageObjectPolicy_Task(disk_id, ds, [vim.vm.EmptyProfileSpec()]))
    assert content.profileManager.PbmQueryAssociatedProfile(disk_ref) == []

    assert vsom.RetrieveVStorageInfrastructureObjectPolicy(ds) == []
    with pytest.raises(vim.fault.InvalidDatastore):
        vsom.UpdateVStorageInfrastructureObjectPolicy_Task(
            vim.vslm.InfrastructureObjectPolicySpec(datastore=ds))
    done(vsom.DeleteVStorageObject_Task(disk_id, ds))
    with pytest.raises(pbm.fault.NotFound):
        content.profileManager.PbmQueryAssociatedProfile(disk_ref)


def test_associations_with_vms(env):
    vsom, _, ds, _ = env
    disk_id = create(vsom, ds, mb=1).config.id
    vm = next(v for v in ds.vm if v.name == 'DC0_H0_VM0')
    missing = vim.vslm.ID(id='no-such-disk')
    Spec = vim.vslm.vcenter.RetrieveVStorageObjSpec
    loose, = vsom.RetrieveVStorageObjectAssociations([Spec(id=disk_id, datastore=ds)])
    assert loose.id.id == disk_id.id and not loose.vmDiskAssociations and loose.fault is None
    WaitForTask(vm.AttachDisk_Task(disk_id, ds))
    device = next(d for d in vm.config.hardware.device
                  if isinstance(d, vim.vm.device.VirtualDisk) and d.vDiskId is not None
                  and d.vDiskId.id == disk_id.id)
    attached, unknown = vsom.RetrieveVStorageObjectAssociations(
        [Spec(id=disk_id, datastore=ds), Spec(id=missing, datastore=ds)])
    assert [(a.vmId, a.diskKey) for a in attached.vmDiskAssociations] == [
        (vm._moId, device.key)]
    assert isinstance(unknown.fault, vim.fault.NotFound)
    fault = task_fault(vsom.UnregisterDisk_Task(disk_id, ds))
    assert isinstance(fault, vim.fault.InvalidState)
    WaitForTask(vm.DetachDisk_Task(disk_id))
    done(vsom.DeleteVStorageObject_Task(disk_id, ds))


def test_reconcile_report_and_schedule(running, env):
    vsom, _, ds, ds_object = env
    kept = create(vsom, ds, mb=1).config
    lost = create(vsom, ds, mb=1).config
    os.unlink(local(running, ds_object, lost.backing.filePath))    # its files went behind
    Spec = vim.vslm.ReconcileSpec
    strays = ['[Elsewhere] x.vmdk', '[LocalDS_0] fcd/none.vmdk', '[LocalDS_0] ../x.vmdk']
    dry = done(vsom.ReconcileDatastoreInventoryEx_Task(Spec(
        datastore=ds, dryRun=True, includeDiskPaths=strays + [kept.backing.filePath])))
    detail, = dry.reconcileDetails
    assert detail.isReconciled is False and detail.numberOfReconcileIssues == 0
    assert [p.path for p in detail.invalidDiskPaths] == strays
    dry = done(vsom.ReconcileDatastoreInventoryEx_Task(Spec(datastore=ds, dryRun=True)))
    detail, = dry.reconcileDetails
    assert detail.numberOfReconcileIssues == 1 and detail.hostName
    assert detail.numberOfFcdsBeforeReconcile == detail.numberOfFcdsAfterReconcile
    assert lost.id.id in [i.id for i in vsom.ListVStorageObject(ds)]
    real = done(vsom.ReconcileDatastoreInventoryEx_Task(Spec(
        datastore=ds, excludeDiskPaths=[kept.backing.filePath])))
    detail, = real.reconcileDetails
    assert detail.isReconciled and detail.numberOfReconcileIssues == 1
    assert detail.numberOfFcdsAfterReconcile == detail.numberOfFcdsBeforeReconcile - 1
    listed = [i.id for i in vsom.ListVStorageObject(ds)]
    assert lost.id.id not in listed and kept.id.id in listed
    with pytest.raises(vmodl.fault.NotSupported):
        vsom.ReconcileDatastoreInventoryEx_Task(Spec(datastore=ds, generateReport=1))

    again = create(vsom, ds, mb=1).config
    os.unlink(local(running, ds_object, again.backing.filePath))
    vsom.ScheduleReconcileDatastoreInventory(ds)
    assert again.id.id not in [i.id for i in vsom.ListVStorageObject(ds)]
    done(vsom.DeleteVStorageObject_Task(kept.id, ds))


def test_virtual_disk_uuids(env):
    vsom, dc, ds, _ = env
    path = create(vsom, ds, mb=1).config.backing.filePath
    before = vsom.QueryVirtualDiskUuidEx(path, dc)
    wanted = '60 00 c2 90 11 22 33 44-55 66 77 88 99 aa bb cc'
    done(vsom.SetVirtualDiskUuidEx_Task(path, dc, wanted))
    assert vsom.QueryVirtualDiskUuidEx(path, dc) == wanted != before
    done(vsom.SetVirtualDiskUuidEx_Task(path, dc))          # none given: a new one
    assert vsom.QueryVirtualDiskUuidEx(path, dc) not in (wanted, before)
    with pytest.raises(vmodl.fault.InvalidArgument):
        vsom.SetVirtualDiskUuidEx_Task(path, dc, 'not a uuid')
    with pytest.raises(vim.fault.FileNotFound):
        vsom.QueryVirtualDiskUuidEx('[LocalDS_0] nothing/here.vmdk', dc)


def test_esx_metadata_reads_and_disk_uuids(validator):
    running = _simulator(validator, tls=False, esx=True)
    si = running.connect()
    try:
        content = si.RetrieveContent()
        vsom = content.vStorageObjectManager
        ds = content.rootFolder.childEntity[0].datastore[0]
        disk = done(vsom.HostCreateDisk_Task(create_spec(ds, mb=1))).config
        KV = vim.KeyValue
        task = vsom.HostUpdateVStorageObjectMetadata_Task(
            disk.id, ds, [KV(key='k8s.pv', value='pv-1'), KV(key='k8s.ns', value='default'),
                          KV(key='app', value='web')])
        done(task)
        assert task.info.descriptionId.endswith('updateVStorageObjectMetadata')
        snapshot = done(vsom.HostVStorageObjectCreateSnapshot_Task(disk.id, ds, 'frozen'))
        done(vsom.HostUpdateVStorageObjectMetadataEx_Task(disk.id, ds, [], ['app']))
        read = vsom.HostRetrieveVStorageObjectMetadata(disk.id, ds, prefix='k8s.')
        assert sorted((p.key, p.value) for p in read) == [('k8s.ns', 'default'),
                                                          ('k8s.pv', 'pv-1')]
        frozen = vsom.HostRetrieveVStorageObjectMetadata(disk.id, ds, snapshot)
        assert 'app' in [p.key for p in frozen]
        assert vsom.HostRetrieveVStorageObjectMetadataValue(disk.id, ds, key='k8s.pv') == 'pv-1'
        with pytest.raises(vim.fault.KeyNotFound):
            vsom.HostRetrieveVStorageObjectMetadataValue(disk.id, ds, key='app')
        vsom.HostSetVStorageObjectControlFlags(disk.id, ds, ['disableRelocation'])
        assert vsom.HostRetrieveVStorageObject(disk.id, ds).config.relocationDisabled
        vsom.HostClearVStorageObjectControlFlags(disk.id, ds, ['disableRelocation'])
        assert vsom.HostRetrieveVStorageInfrastructureObjectPolicy(ds) == []

        wanted = '60 00 c2 9a 00 00 00 00-00 00 00 00 00 00 00 01'
        done(vsom.HostSetVirtualDiskUuid_Task(disk.backing.filePath, wanted))
        assert vsom.HostQueryVirtualDiskUuid(disk.backing.filePath) == wanted
        gone = done(vsom.HostDeleteVStorageObjectEx_Task(disk.id, ds))
        assert gone.vClockTime > 0
        vsom.HostScheduleReconcileDatastoreInventory(ds)
        assert not vsom.HostListVStorageObject(ds)
    finally:
        running.stop()


def test_vslm_shares_flags_metadata_details_and_changed_areas(running, si, env):
    _, _, ds, _ = env
    content = vslm_content(running, si._stub.cookie.split('"')[1])
    vsom = content.vStorageObjectManager
    disk_id = result(vsom.VslmCreateDisk_Task(spec(ds, name='through-vslm', mb=1))).config.id
    vsom.VslmSetVStorageObjectControlFlags(disk_id, ['enableChangedBlockTracking'])
    assert vsom.VslmRetrieveVStorageObject(disk_id).config.changedBlockTrackingEnabled
    result(vsom.VslmUpdateVStorageObjectMetadata_Task(disk_id, [vim.KeyValue(key='a',
                                                                             value='b')]))
    assert [(p.key, p.value) for p in vsom.VslmRetrieveVStorageObject(disk_id).config.metadata] \
        == [('a', 'b')]
    snapshot = result(vsom.VslmCreateSnapshot_Task(disk_id, 's'))
    details = vsom.VslmRetrieveSnapshotDetails(disk_id, snapshot)
    assert details.changedBlockTrackingId
    changed = vsom.VslmQueryChangedDiskAreas(disk_id, snapshot, 0, '*')
    assert changed.length == MB
    vsom.VslmClearVStorageObjectControlFlags(disk_id, ['enableChangedBlockTracking'])
    assert not vsom.VslmRetrieveVStorageObject(disk_id).config.changedBlockTrackingEnabled
    assert vsom.VslmRetrieveVStorageInfrastructureObjectPolicy(ds) == []
    vsom.VslmScheduleReconcileDatastoreInventory(ds)
    result(vsom.VslmDeleteVStorageObject_Task(disk_id))
