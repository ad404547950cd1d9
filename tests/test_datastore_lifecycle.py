"""A datastore's lifecycle with pyVmomi: DestroyDatastore refused while VMs
or first-class disks use it; maintenance mode entered once no VM is left
(waiting meanwhile, ended by an exit), with Storage DRS moving the VMs of a
pod's datastore to the pod's others (at once when automated, as
recommendations when manual; refused when a VM has nowhere to go);
UpdateVirtualMachineFiles_Task rewriting old mount paths."""
import os

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, logged_in, on_reactor, task_fault
from tests.test_folder_http import leave_free

MB = 1 << 20


@pytest.fixture(scope='module')
def running(validator):
    return _simulator(validator, tls=False, ds=4, pod=1)


@pytest.fixture
def si(running):
    yield from logged_in(running)


def datastore(si, name):
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    return next(d for d in dc.datastore if d.name == name)


def model(running, managed):
    return next(o for o in running.sim.objects if o.ref.value == managed._moId)


def vm_named(si, name):
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    return next(v for v in dc.vmFolder.childEntity if v.name == name)


def test_destroy_is_refused_while_in_use(running, si):
    content = si.RetrieveContent()
    used = datastore(si, 'LocalDS_0')
    with pytest.raises(vim.fault.ResourceInUse):
        used.DestroyDatastore()
    spare = datastore(si, 'LocalDS_3')
    task = content.vStorageObjectManager.CreateDisk_Task(vim.vslm.CreateSpec(
        name='keeps-it', capacityInMB=1,
        backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(datastore=spare)))
    WaitForTask(task)
    with pytest.raises(vim.fault.ResourceInUse):
        spare.DestroyDatastore()
    assert isinstance(task_fault(spare.Destroy_Task()), vim.fault.ResourceInUse)
    WaitForTask(content.vStorageObjectManager.DeleteVStorageObject_Task(
        task.info.result.config.id, spare))
    spare.DestroyDatastore()
    dc = content.rootFolder.childEntity[0]
    assert 'LocalDS_3' not in [d.name for d in dc.datastore]
    events = content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventTypeId=['DatastoreDestroyedEvent']))
    assert [e.datastore.name for e in events] == ['LocalDS_3']


def test_maintenance_waits_for_the_vms_to_leave(running, si):
    ds = datastore(si, 'LocalDS_2')
    empty = ds.DatastoreEnterMaintenanceMode()
    WaitForTask(empty.task)
    assert ds.summary.maintenanceMode == 'inMaintenance' and not empty.recommendations
    with pytest.raises(vim.fault.InvalidState):
        ds.DatastoreEnterMaintenanceMode()
    WaitForTask(ds.DatastoreExitMaintenanceMode_Task())
    assert ds.summary.maintenanceMode == 'normal'
    assert isinstance(task_fault(ds.DatastoreExitMaintenanceMode_Task()), vim.fault.InvalidState)

    vm = vm_named(si, 'DC0_H0_VM0')
    WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=ds)))
    result = ds.DatastoreEnterMaintenanceMode()       # not in a pod: no moves of its own
    assert ds.summary.maintenanceMode == 'enteringMaintenance'
    assert result.task.info.state == 'running'
    WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=datastore(si, 'LocalDS_0'))))
    WaitForTask(result.task)
    assert ds.summary.maintenanceMode == 'inMaintenance'
    WaitForTask(ds.DatastoreExitMaintenanceMode_Task())

    WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=ds)))
    result = ds.DatastoreEnterMaintenanceMode()
    WaitForTask(ds.DatastoreExitMaintenanceMode_Task())      # an exit ends the wait
    assert isinstance(task_fault(result.task), vmodl.fault.RequestCanceled)
    assert ds.summary.maintenanceMode == 'normal'
    WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=datastore(si, 'LocalDS_0'))))


def _pod(si, *names, behavior='manual'):
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    pod = next(p for p in dc.datastoreFolder.childEntity if isinstance(p, vim.StoragePod))
    outside = [d for d in (datastore(si, n) for n in names) if d.parent != pod]
    if outside:
        WaitForTask(pod.MoveIntoFolder_Task(outside))
    srm = si.RetrieveContent().storageResourceManager
    WaitForTask(srm.ConfigureStorageDrsForPod_Task(pod, vim.storageDrs.ConfigSpec(
        podConfigSpec=vim.storageDrs.PodConfigSpec(enabled=True, defaultVmBehavior=behavior)),
        modify=True))
    return pod


def test_sdrs_evacuates_a_pod_datastore(running, si):
    pod = _pod(si, 'LocalDS_1', 'LocalDS_2')
    source, target = datastore(si, 'LocalDS_1'), datastore(si, 'LocalDS_2')
    vm = vm_named(si, 'DC0_H0_VM1')
    WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=source)))

    result = source.DatastoreEnterMaintenanceMode()        # manual: recommendations
    [recommendation] = result.recommendations
    assert recommendation.reason == 'datastoreMaint' and recommendation.target == pod
    [action] = recommendation.action
    assert (action.vm, action.source, action.destination) == (vm, source, target)
    assert recommendation.key in [r.key for r in pod.podStorageDrsEntry.recommendation]
    assert result.task.info.state == 'running'
    srm = si.RetrieveContent().storageResourceManager
    WaitForTask(srm.ApplyStorageDrsRecommendationToPod_Task(pod, recommendation.key))
    WaitForTask(result.task)
    assert source.summary.maintenanceMode == 'inMaintenance'
    assert vm.datastore == [target] and not pod.podStorageDrsEntry.recommendation
    files = os.listdir(os.path.join(running.sim.datastore_namespace.root,
                                    model(running, target).vmfs_uuid))
    assert 'DC0_H0_VM1' in files
    WaitForTask(source.DatastoreExitMaintenanceMode_Task())

    _pod(si, 'LocalDS_1', 'LocalDS_2', behavior='automated')
    result = target.DatastoreEnterMaintenanceMode()        # automated: moved at once
    assert not result.recommendations
    WaitForTask(result.task)
    assert vm.datastore == [source]
    WaitForTask(target.DatastoreExitMaintenanceMode_Task())


def test_sdrs_refuses_maintenance_when_a_vm_cannot_move(running, si):
    _pod(si, 'LocalDS_1', 'LocalDS_2')
    source, other = datastore(si, 'LocalDS_1'), datastore(si, 'LocalDS_2')
    vm = vm_named(si, 'DC0_H0_VM1')
    if vm.datastore != [source]:
        WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=source)))
    other_model = model(running, other)
    capacity = other_model.capacity
    on_reactor(leave_free, other_model, 1 * MB)
    try:
        with pytest.raises(vim.fault.StorageDrsUnableToMoveFiles):
            source.DatastoreEnterMaintenanceMode()
        assert source.summary.maintenanceMode == 'normal'
    finally:
        on_reactor(setattr, other_model, 'capacity', capacity)


def test_update_vm_files_after_a_resignature(running, si):
    ds = datastore(si, 'LocalDS_0')
    ds_model = model(running, ds)
    folder = os.path.join(running.sim.datastore_namespace.root, ds_model.vmfs_uuid, 'resig')
    os.makedirs(folder, exist_ok=True)
    vmx = os.path.join(folder, 'resig.vmx')
    with open(vmx, 'w') as f:
        f.write('scsi0:0.fileName = "/vmfs/volumes/old-volume/resig/resig.vmdk"\n')
    task = ds.UpdateVirtualMachineFiles_Task([vim.Datastore.MountPathDatastorePair(
        oldMountPath='/vmfs/volumes/old-volume', datastore=ds)])
    WaitForTask(task)
    assert not task.info.result.failedVmFile
    assert open(vmx).read() == 'scsi0:0.fileName = "/vmfs/volumes/%s/resig/resig.vmdk"\n' \
        % ds_model.vmfs_uuid
    running_vm = next(v for v in ds.vm if v.runtime.powerState == 'poweredOn')
    held = running_vm.config.files.vmPathName
    held_path = os.path.join(running.sim.datastore_namespace.root, ds_model.vmfs_uuid,
                             held.split('] ', 1)[1])
    with open(held_path, 'a') as f:
        f.write('extra = "/vmfs/volumes/old-volume/elsewhere"\n')
    with open(vmx, 'w') as f:
        f.write('scsi0:0.fileName = "/vmfs/volumes/old-volume/resig/resig.vmdk"\n')
    task = ds.UpdateVirtualMachineFiles_Task([vim.Datastore.MountPathDatastorePair(
        oldMountPath='/vmfs/volumes/old-volume/', datastore=ds)])
    WaitForTask(task)
    assert [(f.vmFile, type(f.fault)) for f in task.info.result.failedVmFile] == \
        [(held, vim.fault.FileLocked)]
    assert 'old-volume' not in open(vmx).read() and 'old-volume' in open(held_path).read()
    with pytest.raises(vmodl.fault.InvalidArgument):
        ds.UpdateVirtualMachineFiles_Task([
            vim.Datastore.MountPathDatastorePair(oldMountPath='relative',
                                                                     datastore=ds)])


def test_nothing_new_goes_to_a_datastore_in_maintenance(running, si):
    """While a datastore is in maintenance, creating, cloning or relocating a
    VM (or only its disks) onto it and creating a disk there answer
    InvalidDatastoreState, as
    vCenter's; once it is back in service they work."""
    ds = datastore(si, 'LocalDS_2')
    WaitForTask(ds.DatastoreEnterMaintenanceMode().task)
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    vm = vm_named(si, 'DC0_H0_VM0')
    pool = vm.resourcePool
    config = vim.vm.ConfigSpec(name='mm-new', guestId='otherGuest64', numCPUs=1, memoryMB=64,
                               files=vim.vm.FileInfo(vmPathName='[LocalDS_2]'))
    try:
        refused = [task_fault(dc.vmFolder.CreateVM_Task(config=config, pool=pool)),
                   task_fault(vm.CloneVM_Task(folder=dc.vmFolder, name='mm-clone', spec=vim.vm.CloneSpec(
                       location=vim.vm.RelocateSpec(datastore=ds)))),
                   task_fault(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=ds))),
                   task_fault(vm.RelocateVM_Task(vim.vm.RelocateSpec(disk=[
                       vim.vm.RelocateSpec.DiskLocator(diskId=d.key, datastore=ds)
                       for d in vm.config.hardware.device
                       if isinstance(d, vim.vm.device.VirtualDisk)])))]
        disk = vim.vm.device.VirtualDeviceSpec(
            operation='add', fileOperation='create', device=vim.vm.device.VirtualDisk(
                capacityInKB=1024, controllerKey=1000, unitNumber=5,
                backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
                    fileName='[LocalDS_2]', diskMode='persistent', thinProvisioned=True)))
        refused.append(task_fault(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[disk]))))
        assert all(isinstance(f, vim.fault.InvalidDatastoreState) for f in refused), refused
        assert {f.datastoreName for f in refused} == {'LocalDS_2'}
        assert vm.datastore[0].name == 'LocalDS_0'
    finally:
        WaitForTask(ds.DatastoreExitMaintenanceMode_Task())
    task = dc.vmFolder.CreateVM_Task(config=config, pool=pool)
    WaitForTask(task)
    WaitForTask(task.info.result.Destroy_Task())
