"""The datastore namespace on disk with pyVmomi: VMs' files follow their
lifecycle (create, snapshot, relocate, unregister, register, destroy);
FileManager makes, deletes, moves and copies files with vCenter's faults;
HostDatastoreBrowser searches them; and the acceptance path: upload over
/folder, list, copy, move, delete, download byte-identical."""
import os

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, logged_in, task_fault
from tests.test_folder_http import DS, cookie, request
from tests.test_state import _restarted, _start, _stop, _stopped
from tests.test_vm_provisioning import _config

Browser = vim.host.DatastoreBrowser


@pytest.fixture(scope='module')
def running(validator):
    """Two datastores every host mounts, for moves between them."""
    return _simulator(validator, tls=False, ds=2)


@pytest.fixture
def si(running):
    yield from logged_in(running)


@pytest.fixture
def dc(si):
    return si.RetrieveContent().rootFolder.childEntity[0]


def on_disk(running, ds, relative=''):
    uuid = next(o for o in running.sim.objects if o.ref.value == ds._moId).vmfs_uuid
    return os.path.join(running.sim.datastore_namespace.root, uuid, relative)


def named(dc, name):
    return next(ds for ds in dc.datastore if ds.name == name)


def search(ds, path, **spec):
    task = ds.browser.SearchDatastore_Task(path, Browser.SearchSpec(**spec))
    WaitForTask(task)
    return task.info.result


def test_upload_list_copy_move_delete_download(running, si, dc):
    """The acceptance path, with real clients on every step."""
    content = si.RetrieveContent()
    fm = content.fileManager
    ds = named(dc, 'LocalDS_0')
    data = os.urandom(1 << 20) + b'tail'
    fm.MakeDirectory(name='[LocalDS_0] accept/iso', datacenter=dc, createParentDirectories=True)
    url = '/folder/accept/iso/image.iso?%s' % DS
    assert request(running, 'PUT', url, data, cookie(si))[0] == 201

    found = search(ds, '[LocalDS_0] accept/iso', query=[Browser.IsoImageQuery()],
                   details=Browser.FileInfo.Details(fileType=True, fileSize=True,
                                                    modification=True, fileOwner=True))
    assert found.folderPath == '[LocalDS_0] accept/iso/'
    [info] = found.file
    assert isinstance(info, Browser.IsoImageInfo)
    assert (info.path, info.fileSize, info.owner) == ('image.iso', len(data), 'root')
    assert info.modification is not None

    WaitForTask(fm.CopyDatastoreFile_Task(
        sourceName='[LocalDS_0] accept/iso/image.iso', sourceDatacenter=dc,
        destinationName='[LocalDS_1] image-copy.iso', destinationDatacenter=dc))
    WaitForTask(fm.MoveDatastoreFile_Task(
        sourceName='[LocalDS_1] image-copy.iso', sourceDatacenter=dc,
        destinationName='[LocalDS_0] accept/moved.iso', destinationDatacenter=dc))
    WaitForTask(fm.DeleteDatastoreFile_Task(name='[LocalDS_0] accept/iso', datacenter=dc))
    names = [f.path for f in search(ds, '[LocalDS_0] accept').file]
    assert names == ['moved.iso']
    status, _, body = request(running, 'GET', '/folder/accept/moved.iso?%s' % DS,
                              headers=cookie(si))
    assert status == 200 and body == data
    assert request(running, 'GET', url, headers=cookie(si))[0] == 404
    WaitForTask(fm.DeleteDatastoreFile_Task(name='[LocalDS_0] accept', datacenter=dc))


def test_file_manager_faults(running, si, dc):
    fm = si.RetrieveContent().fileManager
    fm.MakeDirectory(name='[LocalDS_0] faults', datacenter=dc)
    with pytest.raises(vim.fault.FileAlreadyExists):
        fm.MakeDirectory(name='[LocalDS_0] faults', datacenter=dc)
    with pytest.raises(vim.fault.FileNotFound):
        fm.MakeDirectory(name='[LocalDS_0] faults/a/b', datacenter=dc)
    with pytest.raises(vim.fault.InvalidDatastore):
        fm.MakeDirectory(name='[NoSuchDS] x', datacenter=dc)
    with pytest.raises(vim.fault.InvalidDatastorePath):
        fm.MakeDirectory(name='no brackets', datacenter=dc)
    with pytest.raises(vim.fault.InvalidDatastorePath):
        fm.MakeDirectory(name='[LocalDS_0] ../escape', datacenter=dc)
    with pytest.raises(vmodl.fault.InvalidArgument):
        fm.MakeDirectory(name='[LocalDS_0] no-datacenter')
    # a /folder URL names its datacenter itself
    fm.MakeDirectory(name='http://%s:%d/folder/faults/by-url?%s' % (
        running.host, running.port, DS))
    assert os.path.isdir(on_disk(running, named(dc, 'LocalDS_0'), 'faults/by-url'))

    assert request(running, 'PUT', '/folder/faults/one.txt?' + DS, b'1', cookie(si))[0] == 201
    assert request(running, 'PUT', '/folder/faults/two.txt?' + DS, b'2', cookie(si))[0] == 201
    assert isinstance(task_fault(fm.DeleteDatastoreFile_Task(
        name='[LocalDS_0] faults/none.txt', datacenter=dc)), vim.fault.FileNotFound)
    move = dict(sourceName='[LocalDS_0] faults/one.txt', sourceDatacenter=dc,
                destinationName='[LocalDS_0] faults/two.txt', destinationDatacenter=dc)
    assert isinstance(task_fault(fm.MoveDatastoreFile_Task(**move)), vim.fault.FileAlreadyExists)
    assert isinstance(task_fault(fm.CopyDatastoreFile_Task(**move)), vim.fault.FileAlreadyExists)
    WaitForTask(fm.MoveDatastoreFile_Task(force=True, **move))
    assert request(running, 'GET', '/folder/faults/two.txt?' + DS, headers=cookie(si))[2] == b'1'
    assert isinstance(task_fault(fm.MoveDatastoreFile_Task(**move)), vim.fault.FileNotFound)
    assert isinstance(task_fault(fm.CopyDatastoreFile_Task(
        sourceName='[LocalDS_0] faults', sourceDatacenter=dc,
        destinationName='[LocalDS_0] faults/inside', destinationDatacenter=dc)),
        vim.fault.FileFault)
    with pytest.raises(vmodl.fault.NotSupported):
        fm.ChangeOwner(name='[LocalDS_0] faults', datacenter=dc, owner='root')

    running_vm = next(vm for vm in named(dc, 'LocalDS_0').vm
                      if vm.runtime.powerState == 'poweredOn')
    directory = running_vm.config.files.vmPathName.rsplit('/', 1)[0]
    fault = task_fault(fm.DeleteDatastoreFile_Task(name=directory, datacenter=dc))
    assert isinstance(fault, vim.fault.FileLocked)
    WaitForTask(fm.DeleteDatastoreFile_Task(name='[LocalDS_0] faults', datacenter=dc))


def test_vm_files_follow_the_lifecycle(running, si, dc):
    local = named(dc, 'LocalDS_0')
    other = named(dc, 'LocalDS_1')
    search(local, '[LocalDS_0]')              # the namespace is in use from here on
    pool = dc.hostFolder.childEntity[0].resourcePool
    task = dc.vmFolder.CreateVM_Task(config=_config('files-vm'), pool=pool)
    WaitForTask(task)
    vm = task.info.result
    home = on_disk(running, local, 'files-vm')
    assert sorted(os.listdir(home)) == ['files-vm-flat.vmdk', 'files-vm.nvram',
                                        'files-vm.vmdk', 'files-vm.vmsd', 'files-vm.vmx']
    vmx = open(os.path.join(home, 'files-vm.vmx')).read()
    assert 'displayName = "files-vm"' in vmx and 'numvcpus = "2"' in vmx
    assert 'scsi0:0.fileName = "files-vm.vmdk"' in vmx
    assert os.path.getsize(os.path.join(home, 'files-vm-flat.vmdk')) == 4 << 30
    typed = Browser.FileInfo.Details(fileType=True, fileSize=False, modification=False)
    disks = search(local, '[LocalDS_0] files-vm', details=typed, query=[Browser.VmDiskQuery(
        details=Browser.VmDiskQuery.Details(diskType=True, capacityKb=True, thin=True,
                                            hardwareVersion=True, controllerType=True))])
    [disk] = disks.file
    assert (disk.path, disk.capacityKb, disk.thin, disk.controllerType) == (
        'files-vm.vmdk', 4 * 1024 * 1024, True, vim.vm.device.ParaVirtualSCSIController)

    WaitForTask(vm.PowerOnVM_Task())
    assert any(name.endswith('.vswp') for name in os.listdir(home))
    WaitForTask(vm.PowerOffVM_Task())
    assert not any(name.endswith('.vswp') for name in os.listdir(home))

    WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=other)))
    moved = on_disk(running, other, 'files-vm')
    assert not os.path.exists(home)
    assert sorted(os.listdir(moved)) == ['files-vm-flat.vmdk', 'files-vm.nvram',
                                         'files-vm.vmdk', 'files-vm.vmsd', 'files-vm.vmx',
                                         'vmware.log']

    WaitForTask(vm.CreateSnapshot_Task(name='s1', memory=False, quiesce=False))
    assert {'files-vm-000001.vmdk', 'files-vm-000001-sesparse.vmdk',
            'files-vm-Snapshot1.vmsn'} <= set(os.listdir(moved))
    delta = open(os.path.join(moved, 'files-vm-000001.vmdk')).read()
    assert 'parentFileNameHint="files-vm.vmdk"' in delta and 'createType="seSparse"' in delta

    WaitForTask(vm.RemoveAllSnapshots_Task())
    assert not {'files-vm-000001.vmdk', 'files-vm-000001-sesparse.vmdk',
                'files-vm-Snapshot1.vmsn'} & set(os.listdir(moved))

    vm.UnregisterVM()
    assert 'files-vm.vmx' in os.listdir(moved)       # unregistering keeps the files
    task = dc.vmFolder.RegisterVM_Task(path='[LocalDS_1] files-vm/files-vm.vmx',
                                       asTemplate=False, pool=pool)
    WaitForTask(task)
    vm = task.info.result
    WaitForTask(vm.Destroy_Task())
    assert not os.path.exists(moved), os.listdir(moved)


def test_space_follows_files(running, si, dc):
    ds = named(dc, 'LocalDS_1')
    search(ds, '[LocalDS_1]')
    before = ds.summary.freeSpace
    assert request(running, 'PUT', '/folder/blob.bin?dcPath=DC0&dsName=LocalDS_1',
                   b'\7' * 300000, cookie(si))[0] == 201
    assert ds.summary.freeSpace == before - 300000
    assert ds.info.freeSpace == before - 300000
    fm = si.RetrieveContent().fileManager
    WaitForTask(fm.DeleteDatastoreFile_Task(name='[LocalDS_1] blob.bin', datacenter=dc))
    assert ds.summary.freeSpace == before


def test_browser_queries_patterns_and_order(running, si, dc):
    ds = named(dc, 'LocalDS_0')
    fm = si.RetrieveContent().fileManager
    fm.MakeDirectory(name='[LocalDS_0] browse/sub', datacenter=dc, createParentDirectories=True)
    for name in ('a.ISO', 'b.flp', 'c.log', 'z.txt'):
        assert request(running, 'PUT', '/folder/browse/%s?%s' % (name, DS), b'x',
                       cookie(si))[0] == 201
    result = search(ds, '[LocalDS_0] browse', sortFoldersFirst=True)
    assert [f.path for f in result.file] == ['sub', 'a.ISO', 'b.flp', 'c.log', 'z.txt']
    assert [type(f) for f in result.file] == [Browser.FileInfo] * 5
    typed = Browser.FileInfo.Details(fileType=True, fileSize=False, modification=False)
    result = search(ds, '[LocalDS_0] browse', details=typed)
    assert [type(f) for f in result.file] == [
        Browser.IsoImageInfo, Browser.FloppyImageInfo, Browser.VmLogInfo, Browser.FolderInfo,
        Browser.FileInfo]
    result = search(ds, '[LocalDS_0] browse', matchPattern=['*.iso'], searchCaseInsensitive=True)
    assert [f.path for f in result.file] == ['a.ISO']
    result = search(ds, '[LocalDS_0] browse', details=typed,
                    query=[Browser.FloppyImageQuery(), Browser.VmLogQuery()])
    assert [(type(f), f.path) for f in result.file] == [(Browser.FloppyImageInfo, 'b.flp'),
                                                        (Browser.VmLogInfo, 'c.log')]
    result = search(ds, '[LocalDS_0] browse', query=[Browser.Query()])
    assert [f.path for f in result.file] == ['a.ISO', 'b.flp', 'c.log', 'z.txt']

    task = ds.browser.SearchDatastoreSubFolders_Task(
        '[LocalDS_0]', Browser.SearchSpec(details=typed, query=[Browser.VmConfigQuery(
            details=Browser.VmConfigQuery.Details(configVersion=True))]))
    WaitForTask(task)
    configs = {r.folderPath: [(f.path, f.configVersion) for f in r.file]
               for r in task.info.result}
    assert configs['[LocalDS_0] DC0_H0_VM0/'] == [('DC0_H0_VM0.vmx', 8)]
    assert configs['[LocalDS_0] browse/sub/'] == []

    thick = search(ds, '[LocalDS_0] DC0_H0_VM0', query=[Browser.VmDiskQuery(
        filter=Browser.VmDiskQuery.Filter(thin=False))])
    assert thick.file == []

    assert isinstance(task_fault(ds.browser.SearchDatastore_Task(
        '[LocalDS_0] no-such', Browser.SearchSpec())), vim.fault.FileNotFound)
    with pytest.raises(vim.fault.InvalidDatastore):
        ds.browser.SearchDatastore_Task('[LocalDS_1]', Browser.SearchSpec())
    ds.browser.DeleteFile('[LocalDS_0] browse')
    assert isinstance(task_fault(ds.browser.SearchDatastore_Task(
        '[LocalDS_0] browse', Browser.SearchSpec())), vim.fault.FileNotFound)


def test_datastore_dir_keeps_the_contents(validator, tmp_path):
    """-datastore-dir DIR: the namespace is there (and stays after the simulator)."""
    running = _simulator(validator, tls=False, datastore_dir=str(tmp_path / 'ds'))
    instance = running.connect()
    try:
        assert request(running, 'PUT', '/folder/kept.txt?' + DS, b'kept',
                       {'Cookie': instance._stub.cookie})[0] == 201
    finally:
        instance.content.sessionManager.Logout()
    kept = [os.path.join(top, name) for top, _, names in os.walk(tmp_path / 'ds')
            for name in names if name == 'kept.txt']
    assert len(kept) == 1 and open(kept[0], 'rb').read() == b'kept'


def test_state_keeps_the_datastore_files(validator, tmp_path):
    """-state DIR: the files live in DIR/datastores and a restart rebuilds
    them by the replay: uploads (kept under DIR/uploads), /folder deletions
    and FileManager and VirtualDiskManager work, with no divergence."""
    first = _start(validator, tmp_path)
    si = first.connect()
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    fm = si.content.fileManager
    data = os.urandom(200000)
    fm.MakeDirectory(name='[LocalDS_0] kept', datacenter=dc)
    assert request(first, 'PUT', '/folder/kept/data.bin?' + DS, data, cookie(si))[0] == 201
    assert request(first, 'PUT', '/folder/kept/gone.bin?' + DS, b'x', cookie(si))[0] == 201
    assert request(first, 'PUT', '/folder/kept/new/deep.bin?' + DS, b'deep',
                   cookie(si))[0] == 201            # its folder made by the upload
    assert request(first, 'DELETE', '/folder/kept/gone.bin?' + DS, headers=cookie(si))[0] == 204
    WaitForTask(fm.MoveDatastoreFile_Task(
        sourceName='[LocalDS_0] kept/data.bin', sourceDatacenter=dc,
        destinationName='[LocalDS_0] kept/moved.bin', destinationDatacenter=dc))
    WaitForTask(si.content.virtualDiskManager.CreateVirtualDisk_Task(
        name='[LocalDS_0] kept/disk.vmdk', datacenter=dc,
        spec=vim.VirtualDiskManager.FileBackedVirtualDiskSpec(
            diskType='thin', adapterType='lsiLogic', capacityKb=1024)))
    Disconnect(si)
    model = _stopped(first)

    second = _restarted(validator, tmp_path, model)
    si = second.connect()
    assert request(second, 'GET', '/folder/kept/moved.bin?' + DS, headers=cookie(si))[2] == data
    for gone in ('gone.bin', 'data.bin'):
        assert request(second, 'GET', '/folder/kept/%s?%s' % (gone, DS),
                       headers=cookie(si))[0] == 404
    assert request(second, 'GET', '/folder/kept/new/deep.bin?' + DS,
                   headers=cookie(si))[2] == b'deep'
    assert request(second, 'GET', '/folder/kept/disk.vmdk?' + DS,
                   headers=cookie(si))[2].startswith(b'# Disk DescriptorFile')
    assert second.sim.datastore_namespace.root == str(tmp_path / 'datastores')
    Disconnect(si)
    _stop(second)


def test_renaming_a_datastore_keeps_its_vms_files(running, si, dc):
    """The VMs' own file names follow a datastore's new name (they kept the
    old one, and the next change of such a VM took its files away)."""
    ds = named(dc, 'LocalDS_1')
    search(ds, '[LocalDS_1]')
    pool = dc.hostFolder.childEntity[0].resourcePool
    task = dc.vmFolder.CreateVM_Task(config=_config('renamed-vm', ds='LocalDS_1'), pool=pool)
    WaitForTask(task)
    vm = task.info.result
    home = on_disk(running, ds, 'renamed-vm')
    ds.RenameDatastore('Renamed_DS')
    try:
        assert ds.name == 'Renamed_DS'
        disk = next(d for d in vm.config.hardware.device
                    if isinstance(d, vim.vm.device.VirtualDisk))
        assert disk.backing.fileName == '[Renamed_DS] renamed-vm/renamed-vm.vmdk'
        assert vm.config.files.vmPathName.startswith('[Renamed_DS] renamed-vm/')
        WaitForTask(vm.PowerOnVM_Task())
        WaitForTask(vm.PowerOffVM_Task())
        assert {'renamed-vm.vmdk', 'renamed-vm-flat.vmdk', 'renamed-vm.vmx'} <= set(
            os.listdir(home))
        status, _, body = request(running, 'GET', '/folder/renamed-vm/renamed-vm.vmdk?'
                                  'dcPath=DC0&dsName=Renamed_DS', headers=cookie(si))
        assert status == 200 and body.startswith(b'# Disk DescriptorFile')
        events = si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
            eventTypeId=['DatastoreRenamedEvent']))
        assert any(e.oldName == 'LocalDS_1' and e.newName == 'Renamed_DS' for e in events)
        ds.RefreshDatastore()
        ds.RefreshDatastoreStorageInfo()
    finally:
        WaitForTask(ds.Rename_Task('LocalDS_1'))
    WaitForTask(vm.Destroy_Task())
    assert not os.path.exists(home)


def test_a_full_clone_of_a_vm_with_snapshots_has_a_whole_disk(running, si, dc):
    """Its disk is flat (before, the clone kept the source's delta format
    with no parent: a '-sesparse' extent with nothing under it)."""
    ds = named(dc, 'LocalDS_0')
    search(ds, '[LocalDS_0]')
    pool = dc.hostFolder.childEntity[0].resourcePool
    task = dc.vmFolder.CreateVM_Task(config=_config('snapped'), pool=pool)
    WaitForTask(task)
    source = task.info.result
    WaitForTask(source.CreateSnapshot_Task(name='s', memory=False, quiesce=False))
    task = source.CloneVM_Task(folder=dc.vmFolder, name='whole-clone',
                               spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec()))
    WaitForTask(task)
    clone = task.info.result
    disk = next(d for d in clone.config.hardware.device
                if isinstance(d, vim.vm.device.VirtualDisk))
    assert disk.backing.deltaDiskFormat is None and disk.backing.parent is None
    names = [f.name for f in clone.layoutEx.file]
    assert '[LocalDS_0] whole-clone/whole-clone-flat.vmdk' in names
    assert 'whole-clone-flat.vmdk' in os.listdir(on_disk(running, ds, 'whole-clone'))
    for vm in (clone, source):
        WaitForTask(vm.Destroy_Task())



def test_query_file_lock_info(si):
    """QueryFileLockInfo: a powered-on VM's disk extent is held exclusively
    by the host running it; a powered-off VM's is free; vCenter needs the
    host; a missing file is FileNotFound."""
    content = si.RetrieveContent()
    vm = content.searchIndex.FindByInventoryPath('DC0/vm/DC0_H0_VM0')
    ds = vm.datastore[0]
    disk = next(d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk))
    relative = disk.backing.fileName.split('] ', 1)[1].replace('.vmdk', '-flat.vmdk')
    path = '/vmfs/volumes/%s/%s' % (ds.info.vmfs.uuid, relative)
    manager = content.fileManager
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.QueryFileLockInfo(path)
    host = vm.runtime.host
    assert vm.runtime.powerState == 'poweredOn'
    held = manager.QueryFileLockInfo(path, host).lockInfo[0]
    assert (held.filePath, held.lockMode, held.host, held.refCount) == \
        (path, 'exclusive', host.name, 1)
    assert held.mac == host.config.network.vnic[0].spec.mac
    WaitForTask(vm.PowerOffVM_Task())
    try:
        free = manager.QueryFileLockInfo(path, host).lockInfo[0]
        assert (free.lockMode, free.host, free.refCount) == ('none', '', 0)
        by_name = manager.QueryFileLockInfo('/vmfs/volumes/%s/%s' % (ds.name, relative), host)
        assert by_name.lockInfo[0].lockMode == 'none'
        with pytest.raises(vim.fault.FileNotFound):
            manager.QueryFileLockInfo('/vmfs/volumes/%s/no-such-file' % ds.name, host)
        with pytest.raises(vim.fault.FileNotFound):
            manager.QueryFileLockInfo('/tmp/elsewhere', host)
    finally:
        WaitForTask(vm.PowerOnVM_Task())


def test_state_replays_disk_data_under_snapshots(validator, tmp_path):
    """-state: what was put into a disk and into its snapshot's delta, a
    clone of the snapshot and the delta consolidated come back after a
    restart as they were (the journaled upload consolidated into is copied
    apart first, so the replay's clone still sees the snapshot's bytes)."""
    first = _start(validator, tmp_path)
    si = first.connect()
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    pool = dc.hostFolder.childEntity[0].resourcePool
    task = dc.vmFolder.CreateVM_Task(config=_config('replayed-data'), pool=pool)
    WaitForTask(task)
    vm = task.info.result
    base = '/folder/replayed-data/replayed-data-flat.vmdk?' + DS
    delta = '/folder/replayed-data/replayed-data-000001-sesparse.vmdk?' + DS
    assert request(first, 'PUT', base, b'B' * 8192, cookie(si))[0] == 200
    task = vm.CreateSnapshot_Task('s', None, False, False)
    WaitForTask(task)
    WaitForTask(vm.CloneVM_Task(dc.vmFolder, 'replayed-clone', vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(), snapshot=task.info.result)))
    assert request(first, 'PUT', delta, b'D' * 4096, cookie(si))[0] == 200
    WaitForTask(vm.RemoveAllSnapshots_Task())
    merged = b'D' * 4096 + b'B' * 4096
    assert request(first, 'GET', base, headers=cookie(si))[2] == merged
    Disconnect(si)
    model = _stopped(first)

    second = _restarted(validator, tmp_path, model)
    si = second.connect()
    assert request(second, 'GET', base, headers=cookie(si))[2] == merged
    clone = request(second, 'GET', '/folder/replayed-clone/replayed-clone-flat.vmdk?' + DS,
                    headers={**cookie(si), 'Range': 'bytes=0-8191'})[2]
    assert clone == b'B' * 8192
    Disconnect(si)
    _stop(second)
