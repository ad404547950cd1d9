"""VirtualDiskManager with pyVmomi: disks are VMDK descriptors with sparse
extents on the datastore namespace; create, extend, copy, move, inflate,
zero and delete them, read back uuid and geometry; space follows, and a
thick disk that does not fit is refused with NoDiskSpace."""
import itertools
import os

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, logged_in, on_reactor, task_fault
from tests.test_folder_http import DS, cookie, leave_free, request
from vimsim.managed.storage.datastore_files import touched

GB_KB = 1024 * 1024


@pytest.fixture(scope='module')
def running(validator):
    return _simulator(validator, tls=False)


@pytest.fixture
def si(running):
    yield from logged_in(running)

FOLDERS = itertools.count(1)


@pytest.fixture
def env(si, running):
    content = si.RetrieveContent()
    dc = content.rootFolder.childEntity[0]
    ds = dc.datastore[0]
    ds_object = next(o for o in running.sim.objects if o.ref.value == ds._moId)
    folder = '[LocalDS_0] disks-%d' % next(FOLDERS)     # each test's own
    content.fileManager.MakeDirectory(name=folder, datacenter=dc, createParentDirectories=True)
    return content.virtualDiskManager, dc, ds, ds_object, folder


def spec(kind='thin', capacity_kb=GB_KB, adapter='lsiLogic'):
    return vim.VirtualDiskManager.FileBackedVirtualDiskSpec(
        diskType=kind, adapterType=adapter, capacityKb=capacity_kb)


def local(running, ds_object, name):
    relative = name.split('] ', 1)[1]
    return os.path.join(running.sim.datastore_namespace.root, ds_object.vmfs_uuid, relative)


def test_create_extend_copy_delete(running, env, si):
    vdm, dc, ds, ds_object, folder = env
    name = folder + '/a.vmdk'
    task = vdm.CreateVirtualDisk_Task(name=name, datacenter=dc, spec=spec('thin'))
    WaitForTask(task)
    assert task.info.result == name
    path = local(running, ds_object, name)
    descriptor = open(path).read()
    assert descriptor.startswith('# Disk DescriptorFile')
    assert 'RW 2097152 VMFS "a-flat.vmdk"' in descriptor
    assert 'ddb.thinProvisioned = "1"' in descriptor
    assert 'ddb.adapterType = "lsilogic"' in descriptor
    flat = path[:-5] + '-flat.vmdk'
    assert os.path.getsize(flat) == GB_KB * 1024 and os.stat(flat).st_blocks == 0  # sparse
    geometry = vdm.QueryVirtualDiskGeometry(name=name, datacenter=dc)
    assert (geometry.cylinder, geometry.head, geometry.sector) == (130, 255, 63)

    WaitForTask(vdm.ExtendVirtualDisk_Task(name=name, datacenter=dc, newCapacityKb=2 * GB_KB))
    assert 'RW 4194304 VMFS "a-flat.vmdk"' in open(path).read()
    assert os.path.getsize(flat) == 2 * GB_KB * 1024
    fault = task_fault(vdm.ExtendVirtualDisk_Task(name=name, datacenter=dc,
                                                  newCapacityKb=GB_KB))
    assert isinstance(fault, vmodl.fault.InvalidArgument)

    copy = folder + '/b.vmdk'
    WaitForTask(vdm.CopyVirtualDisk_Task(sourceName=name, sourceDatacenter=dc, destName=copy,
                                         destDatacenter=dc))
    assert 'RW 4194304 VMFS "b-flat.vmdk"' in open(local(running, ds_object, copy)).read()
    assert vdm.QueryVirtualDiskUuid(name=copy, datacenter=dc) != \
        vdm.QueryVirtualDiskUuid(name=name, datacenter=dc)
    fault = task_fault(vdm.CopyVirtualDisk_Task(sourceName=name, sourceDatacenter=dc,
                                                destName=copy, destDatacenter=dc))
    assert isinstance(fault, vim.fault.FileAlreadyExists)
    WaitForTask(vdm.CopyVirtualDisk_Task(sourceName=name, sourceDatacenter=dc, destName=copy,
                                         destDatacenter=dc, force=True))

    moved = folder + '/c.vmdk'
    WaitForTask(vdm.MoveVirtualDisk_Task(sourceName=copy, sourceDatacenter=dc, destName=moved,
                                         destDatacenter=dc))
    assert not os.path.exists(local(running, ds_object, copy))
    assert 'VMFS "c-flat.vmdk"' in open(local(running, ds_object, moved)).read()

    for disk in (name, moved):
        WaitForTask(vdm.DeleteVirtualDisk_Task(name=disk, datacenter=dc))
    assert not os.path.exists(path) and not os.path.exists(flat)
    fault = task_fault(vdm.DeleteVirtualDisk_Task(name=name, datacenter=dc))
    assert isinstance(fault, vim.fault.FileNotFound)


def test_uuid_round_trips_through_the_descriptor(env):
    vdm, dc, _, _, folder = env
    name = folder + '/u.vmdk'
    WaitForTask(vdm.CreateVirtualDisk_Task(name=name, datacenter=dc, spec=spec()))
    uuid = '60 00 c2 91 22 33 44 55-66 77 88 99 aa bb cc dd'
    vdm.SetVirtualDiskUuid(name=name, datacenter=dc, uuid=uuid)
    assert vdm.QueryVirtualDiskUuid(name=name, datacenter=dc) == uuid
    with pytest.raises(vmodl.fault.InvalidArgument):
        vdm.SetVirtualDiskUuid(name=name, datacenter=dc, uuid='not a uuid')


def test_thick_disks_commit_their_capacity_and_must_fit(running, env, si):
    vdm, dc, ds, ds_object, folder = env
    free = ds.summary.freeSpace
    name = folder + '/thick.vmdk'
    descriptors = 0

    def used():
        return free - ds.summary.freeSpace - descriptors

    WaitForTask(vdm.CreateVirtualDisk_Task(name=name, datacenter=dc,
                                           spec=spec('preallocated', GB_KB)))
    descriptors += os.path.getsize(local(running, ds_object, name))
    assert used() == GB_KB * 1024
    thin = folder + '/thin.vmdk'
    WaitForTask(vdm.CreateVirtualDisk_Task(name=thin, datacenter=dc, spec=spec('thin', GB_KB)))
    descriptors += os.path.getsize(local(running, ds_object, thin))
    assert used() == GB_KB * 1024
    WaitForTask(vdm.InflateVirtualDisk_Task(name=thin, datacenter=dc))
    descriptors -= len('ddb.thinProvisioned = "1"\n')
    assert used() == 2 * GB_KB * 1024
    assert 'thinProvisioned' not in open(local(running, ds_object, thin)).read()
    for disk in (name, thin):
        WaitForTask(vdm.DeleteVirtualDisk_Task(name=disk, datacenter=dc))
    assert ds.summary.freeSpace == free

    capacity = ds_object.capacity
    on_reactor(leave_free, ds_object, 512 * 1024 * 1024)
    try:
        fault = task_fault(vdm.CreateVirtualDisk_Task(
            name=folder + '/big.vmdk', datacenter=dc, spec=spec('eagerZeroedThick', GB_KB)))
        assert isinstance(fault, vim.fault.NoDiskSpace)
        assert fault.datastore == 'LocalDS_0'
        assert not os.path.exists(local(running, ds_object, folder + '/big.vmdk'))
        # a thin disk promises, it does not commit: it fits
        WaitForTask(vdm.CreateVirtualDisk_Task(name=folder + '/big.vmdk', datacenter=dc,
                                               spec=spec('thin', GB_KB)))
        fault = task_fault(vdm.InflateVirtualDisk_Task(name=folder + '/big.vmdk',
                                                       datacenter=dc))
        assert isinstance(fault, vim.fault.NoDiskSpace)
        # and a VM's thick disk meets the same datastore
        vm = next(v for v in ds.vm if v.name == 'DC0_H0_VM0')
        disk = vim.vm.device.VirtualDeviceSpec(
            operation='add', fileOperation='create',
            device=vim.vm.device.VirtualDisk(
                capacityInKB=GB_KB, controllerKey=1000, unitNumber=3,
                backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
                    diskMode='persistent', thinProvisioned=False, fileName='')))
        fault = task_fault(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[disk])))
        assert isinstance(fault, vim.fault.NoDiskSpace)
    finally:
        on_reactor(setattr, ds_object, 'capacity', capacity)


def test_faults_of_bad_names_and_specs(env, si):
    vdm, dc, _, _, folder = env
    cases = [
        (dict(name=folder + '/x.txt', datacenter=dc, spec=spec()), vim.fault.InvalidDatastorePath),
        (dict(name='[nope] x.vmdk', datacenter=dc, spec=spec()), vim.fault.InvalidDatastore),
        (dict(name='[LocalDS_0] x.vmdk', spec=spec()), vmodl.fault.InvalidArgument),
        (dict(name=folder + '/x.vmdk', datacenter=dc, spec=spec('sparse2Gb')),
         vmodl.fault.NotSupported),
        (dict(name=folder + '/x.vmdk', datacenter=dc, spec=spec(capacity_kb=0)),
         vmodl.fault.InvalidArgument),
        (dict(name=folder + '/x.vmdk', datacenter=dc, spec=spec(adapter='scsi')),
         vmodl.fault.InvalidArgument),
    ]
    for kwargs, expected in cases:
        with pytest.raises(expected):
            vdm.CreateVirtualDisk_Task(**kwargs)
    fault = task_fault(vdm.CreateVirtualDisk_Task(name=folder + '/no/such/dir.vmdk',
                                                  datacenter=dc, spec=spec()))
    assert isinstance(fault, vim.fault.FileNotFound)
    with pytest.raises(vim.fault.FileNotFound):
        vdm.QueryVirtualDiskUuid(name=folder + '/missing.vmdk', datacenter=dc)
    fault = task_fault(vdm.CreateVirtualDisk_Task(name=folder + '/huge.vmdk', datacenter=dc,
                                                  spec=spec(capacity_kb=63 << 30)))
    assert isinstance(fault, vim.fault.FileTooLarge) and fault.maxFileSize == 62 << 40
    with pytest.raises(vim.fault.InvalidDatastorePath):     # a name past VMFS's 255 bytes
        vdm.CreateVirtualDisk_Task(name=folder + '/' + 'n' * 300 + '.vmdk', datacenter=dc,
                                   spec=spec())



def test_a_running_vms_disk_is_locked(env, si):
    vdm, dc, ds, _, _ = env
    vm = next(v for v in ds.vm if v.runtime.powerState == 'poweredOn')
    name = next(
        d.backing.fileName for d in vm.config.hardware.device
        if isinstance(d, vim.vm.device.VirtualDisk))
    fault = task_fault(vdm.DeleteVirtualDisk_Task(name=name, datacenter=dc))
    assert isinstance(fault, vim.fault.FileLocked)
    assert vdm.QueryVirtualDiskUuid(name=name, datacenter=dc)


def test_a_disk_made_here_is_downloadable(running, env, si):
    vdm, dc, _, _, folder = env
    name = folder + '/dl.vmdk'
    WaitForTask(vdm.CreateVirtualDisk_Task(name=name, datacenter=dc, spec=spec(capacity_kb=64)))
    relative = name.split('] ', 1)[1]
    status, _, body = request(running, 'GET', '/folder/%s?%s' % (relative, DS),
                              headers=cookie(si))
    assert status == 200 and body.startswith(b'# Disk DescriptorFile')
    status, headers, body = request(running, 'GET', '/folder/%s?%s' % (
        relative.replace('dl.vmdk', 'dl-flat.vmdk'), DS), headers=cookie(si))
    assert status == 200 and body == b'\0' * 64 * 1024


def test_zero_fill_wipes_and_eager_zero_needs_a_thick_disk(running, env, si):
    vdm, dc, _, ds_object, folder = env
    name = folder + '/z.vmdk'
    WaitForTask(vdm.CreateVirtualDisk_Task(name=name, datacenter=dc, spec=spec(capacity_kb=64)))
    flat = folder.split('] ', 1)[1] + '/z-flat.vmdk'
    assert request(running, 'PUT', '/folder/%s?%s' % (flat, DS), b'\1' * 65536,
                   cookie(si))[0] == 200
    WaitForTask(vdm.ZeroFillVirtualDisk_Task(name=name, datacenter=dc))
    assert request(running, 'GET', '/folder/%s?%s' % (flat, DS),
                   headers=cookie(si))[2] == b'\0' * 65536
    fault = task_fault(vdm.EagerZeroVirtualDisk_Task(name=name, datacenter=dc))
    assert isinstance(fault, vmodl.fault.NotSupported)
    WaitForTask(vdm.InflateVirtualDisk_Task(name=name, datacenter=dc))
    WaitForTask(vdm.EagerZeroVirtualDisk_Task(name=name, datacenter=dc))
    fault = task_fault(vdm.InflateVirtualDisk_Task(name=name, datacenter=dc))
    assert isinstance(fault, vmodl.fault.NotSupported)


def test_a_vm_attaches_a_disk_made_here(running, env, si):
    """A VM's disk backing reads the descriptor VirtualDiskManager wrote:
    its capacity and provisioning; the space it commits stays counted once
    (before, attaching a disk the model had not made answered FileNotFound)."""
    vdm, dc, ds, _, folder = env
    name = folder + '/attach.vmdk'
    WaitForTask(vdm.CreateVirtualDisk_Task(name=name, datacenter=dc,
                                           spec=spec('preallocated', 2 * 1024)))
    free = ds.summary.freeSpace
    vm = next(v for v in ds.vm if v.name == 'DC0_H0_VM1')
    attach = vim.vm.device.VirtualDeviceSpec(
        operation='add', device=vim.vm.device.VirtualDisk(
            controllerKey=1000, unitNumber=5,
            backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
                diskMode='persistent', fileName=name)))
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[attach])))
    disk = next(d for d in vm.config.hardware.device
                if isinstance(d, vim.vm.device.VirtualDisk) and d.backing.fileName == name)
    assert disk.capacityInKB == 2 * 1024 and disk.backing.thinProvisioned is False
    # the model counts a descriptor as 533 bytes, the datastore what it holds
    assert abs(ds.summary.freeSpace - free) < 1024
    taken = vim.vm.device.VirtualDeviceSpec(
        operation='add', fileOperation='create', device=vim.vm.device.VirtualDisk(
            controllerKey=1000, unitNumber=6, capacityInKB=1024,
            backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
                diskMode='persistent', thinProvisioned=True, fileName=name)))
    fault = task_fault(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[taken])))
    assert isinstance(fault, vim.fault.FileAlreadyExists)
    detach = vim.vm.device.VirtualDeviceSpec(operation='remove', device=disk)
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[detach])))
    assert vdm.QueryVirtualDiskUuid(name=name, datacenter=dc)      # the disk stays
    WaitForTask(vdm.DeleteVirtualDisk_Task(name=name, datacenter=dc))


def test_shrink_gives_back_zeroed_blocks_of_a_sparse_disk(running, env, si):
    vdm, dc, ds, ds_object, folder = env
    name = folder + '/sparse.vmdk'
    WaitForTask(vdm.CreateVirtualDisk_Task(name=name, datacenter=dc, spec=spec('thin')))
    flat = local(running, ds_object, name)[:-5] + '-flat.vmdk'
    data = os.urandom(1024 * 1024)
    with open(flat, 'r+b') as f:          # the guest wrote 8 MB of zeros and 1 MB of data
        f.write(b'\0' * (8 << 20))
        f.write(data)
    on_reactor(touched, ds_object)
    before = ds.summary.freeSpace
    assert vdm.QueryVirtualDiskFragmentation(name=name, datacenter=dc) == 0
    WaitForTask(vdm.DefragmentVirtualDisk_Task(name=name, datacenter=dc))
    WaitForTask(vdm.ShrinkVirtualDisk_Task(name=name, datacenter=dc, copy=False))
    assert ds.summary.freeSpace == before + (8 << 20)
    with open(flat, 'rb') as f:
        assert f.read(8 << 20) == b'\0' * (8 << 20) and f.read(1 << 20) == data
    assert os.path.getsize(flat) == GB_KB * 1024
    WaitForTask(vdm.ShrinkVirtualDisk_Task(name=name, datacenter=dc))   # copy mode
    assert ds.summary.freeSpace == before + (8 << 20)

    thick = folder + '/thick-shrink.vmdk'
    WaitForTask(vdm.CreateVirtualDisk_Task(name=thick, datacenter=dc,
                                           spec=spec('preallocated', 1024)))
    for task in (vdm.ShrinkVirtualDisk_Task(name=thick, datacenter=dc),
                 vdm.DefragmentVirtualDisk_Task(name=thick, datacenter=dc)):
        assert isinstance(task_fault(task), vmodl.fault.NotSupported)
    with pytest.raises(vmodl.fault.NotSupported):
        vdm.QueryVirtualDiskFragmentation(name=thick, datacenter=dc)
    fault = task_fault(vdm.ShrinkVirtualDisk_Task(name=folder + '/none.vmdk', datacenter=dc))
    assert isinstance(fault, vim.fault.FileNotFound)


def test_unmanaged_snapshots_are_a_vvol_arrays(env, si):
    vdm, dc, _, _, folder = env
    name = folder + '/vvol.vmdk'
    WaitForTask(vdm.CreateVirtualDisk_Task(name=name, datacenter=dc, spec=spec()))
    with pytest.raises(vmodl.fault.NotSupported):
        vdm.ImportUnmanagedSnapshot(vdisk=name, datacenter=dc, vvolId='naa.1')
    with pytest.raises(vmodl.fault.NotSupported):
        vdm.ReleaseManagedSnapshot(vdisk=name, datacenter=dc)
    with pytest.raises(vim.fault.FileNotFound):
        vdm.ReleaseManagedSnapshot(vdisk=folder + '/gone.vmdk', datacenter=dc)
