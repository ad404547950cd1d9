"""An NFS export every host mounts `readOnly` refuses every write, as vCenter
refuses it (DatastoreNotWritableOnHost): new VMs and relocations onto it,
new disks, FileManager's and VirtualDiskManager's changes, /folder PUT and
DELETE; reads still work, its mount info and capability show it, and a host
mounting it read-write makes it writable again."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import _simulator, all_of, task_fault
from tests.test_folder_http import cookie, request
from tests.test_host_datastore_system import nas_spec
from tests.test_vm_provisioning import _config


@pytest.fixture(scope='module')
def sim(validator):
    """The NFS mounts it makes stay here."""
    return _simulator(validator, tls=False)


def _hosts(si):
    return sorted(all_of(si, vim.HostSystem), key=lambda h: h.name)


def _mount_everywhere(si, name, path, mode):
    ds = None
    for host in _hosts(si):
        ds = host.configManager.datastoreSystem.CreateNasDatastore(
            nas_spec(name, path=path, mode=mode))
    return ds


def _not_writable(error, ds):
    assert isinstance(error, vim.fault.DatastoreNotWritableOnHost), error
    assert error.datastore == ds and error.name == ds.name


def test_read_only_nfs_refuses_every_write(sim, si):
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    rw = _mount_everywhere(si, 'nfs-rw', '/exports/rw', 'readWrite')
    fm, vdm = si.content.fileManager, si.content.virtualDiskManager
    fm.MakeDirectory(name='[nfs-rw] iso', datacenter=dc)
    status = request(sim, 'PUT', '/folder/iso/a.iso?dcPath=DC0&dsName=nfs-rw',
                     b'data', cookie(si))[0]
    assert status == 201
    ro = _mount_everywhere(si, 'nfs-ro', '/exports/ro', 'readOnly')
    assert {m.mountInfo.accessMode for m in ro.host} == {'readOnly'}
    assert not ro.capability.topLevelDirectoryCreateSupported
    assert rw.capability.topLevelDirectoryCreateSupported

    with pytest.raises(vim.fault.DatastoreNotWritableOnHost) as raised:
        fm.MakeDirectory(name='[nfs-ro] iso', datacenter=dc)
    _not_writable(raised.value, ro)
    # the task methods refuse before they start a task, as for an unknown datastore
    for call in (lambda: fm.DeleteDatastoreFile_Task(name='[nfs-ro] x', datacenter=dc),
                 lambda: fm.CopyDatastoreFile_Task(
                     sourceName='[nfs-rw] iso/a.iso', sourceDatacenter=dc,
                     destinationName='[nfs-ro] a.iso', destinationDatacenter=dc),
                 lambda: fm.MoveDatastoreFile_Task(
                     sourceName='[nfs-ro] a.iso', sourceDatacenter=dc,
                     destinationName='[nfs-rw] b.iso', destinationDatacenter=dc)):
        with pytest.raises(vim.fault.DatastoreNotWritableOnHost) as raised:
            call()
        _not_writable(raised.value, ro)
    spec = vim.VirtualDiskManager.FileBackedVirtualDiskSpec(
        diskType='thin', adapterType='lsiLogic', capacityKb=1024)
    with pytest.raises(vim.fault.DatastoreNotWritableOnHost):
        vdm.CreateVirtualDisk_Task(name='[nfs-ro] d.vmdk', datacenter=dc, spec=spec)
    # reading is fine: copying from it to a writable datastore
    WaitForTask(vdm.CreateVirtualDisk_Task(name='[nfs-rw] d.vmdk', datacenter=dc, spec=spec))
    with pytest.raises(vim.fault.DatastoreNotWritableOnHost):
        vdm.CopyVirtualDisk_Task(sourceName='[nfs-rw] d.vmdk', sourceDatacenter=dc,
                                 destName='[nfs-ro] d.vmdk', destDatacenter=dc)

    url = '/folder/b.iso?dcPath=DC0&dsName=nfs-ro'
    assert request(sim, 'PUT', url, b'data', cookie(si))[0] == 403
    assert request(sim, 'DELETE', url, headers=cookie(si))[0] == 403
    assert request(sim, 'GET', '/folder?dcPath=DC0&dsName=nfs-ro',
                   headers=cookie(si))[0] == 200

    cluster = dc.hostFolder.childEntity[0]
    config = _config('on-ro', ds='nfs-ro')
    _not_writable(task_fault(dc.vmFolder.CreateVM_Task(config=config,
                                                       pool=cluster.resourcePool)), ro)
    vm = dc.vmFolder.CreateVM_Task(config=_config('on-rw', ds='nfs-rw'),
                                   pool=cluster.resourcePool)
    WaitForTask(vm)
    vm = vm.info.result
    _not_writable(task_fault(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=ro))), ro)

    # one host mounting it read-write makes it writable
    first = _hosts(si)[0]
    first.configManager.datastoreSystem.RemoveDatastore(ro)
    first.configManager.datastoreSystem.CreateNasDatastore(
        nas_spec('nfs-ro', path='/exports/ro', mode='readWrite'))
    fm.MakeDirectory(name='[nfs-ro] iso', datacenter=dc)
    assert ro.capability.topLevelDirectoryCreateSupported
