"""HostDatastoreSystem through pyVmomi, as Ansible's vmware_host_datastore and
govc datastore.create/remove drive it: an NFS export mounted on two hosts is
one datastore; VMFS on an available disk (the disk leaves the available
list), extended and expanded; removal refused while VMs use it, the last
host's removal destroying it; idempotent re-runs; vCenter's events."""
import os

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, task_fault
from tests.test_state import _restarted, _start, _stop, _stopped
from tests.watching import Watcher, paths_of

GiB = 1 << 30


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)




def host_named(si, name):
    return next(h for h in all_of(si, vim.HostSystem) if h.name == name)


def datacenter(si):
    return si.RetrieveContent().rootFolder.childEntity[0]


def nas_spec(name, path='/exports/shared', remote='nfs1.example.com', kind='NFS',
             mode='readWrite'):
    return vim.host.NasVolume.Specification(remoteHost=remote, remotePath=path,
                                            localPath=name, accessMode=mode, type=kind)


def events_of(si, entity, kinds):
    manager = si.RetrieveContent().eventManager
    spec = vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=entity, recursion='self'),
        eventTypeId=kinds)
    return manager.QueryEvents(spec)


def create_vmfs(host, disk_name, name, version=6):
    """vmware_host_datastore's VMFS flow: the create options of the device
    path, the first option's spec with the volume name set."""
    system = host.configManager.datastoreSystem
    path = '/vmfs/devices/disks/' + disk_name
    options = system.QueryVmfsDatastoreCreateOptions(devicePath=path, vmfsMajorVersion=version)
    spec = options[0].spec
    spec.vmfs.volumeName = name
    return system.CreateVmfsDatastore(spec=spec)


def test_nas_on_two_hosts_is_one_datastore(sim, si, other):
    first, second = host_named(si, 'DC0_C0_H0'), host_named(si, 'DC0_C0_H1')
    watcher = Watcher(other, first, vim.HostSystem, ['datastore', 'config.fileSystemVolume'])
    ds = first.configManager.datastoreSystem.CreateNasDatastore(nas_spec('nfs-shared'))
    assert ds.summary.type == 'NFS' and ds.summary.accessible
    assert ds.summary.capacity == 4 << 40 and not ds.summary.multipleHostAccess
    assert paths_of(watcher.changes()) == {'datastore', 'config.fileSystemVolume'}
    assert ds in first.datastore and ds in datacenter(si).datastore
    assert ds in datacenter(si).datastoreFolder.childEntity
    mount = next(m for m in first.config.fileSystemVolume.mountInfo
                 if m.volume.name == 'nfs-shared')
    assert isinstance(mount.volume, vim.host.NasVolume)
    assert (mount.volume.remoteHost, mount.volume.remotePath) == ('nfs1.example.com',
                                                                 '/exports/shared')
    assert isinstance(ds.info, vim.host.NasDatastoreInfo)
    assert ds.info.nas.remotePath == '/exports/shared'
    assert ds.summary.url == 'ds://%s/' % mount.mountInfo.path

    again = second.configManager.datastoreSystem.CreateNasDatastore(
        nas_spec('nfs-shared', path='/exports/shared/', mode='readOnly'))
    assert again == ds
    assert {m.key for m in ds.host} == {first, second} and ds.summary.multipleHostAccess
    modes = {m.key.name: m.mountInfo.accessMode for m in ds.host}
    assert modes == {'DC0_C0_H0': 'readWrite', 'DC0_C0_H1': 'readOnly'}
    assert [d.name for d in datacenter(si).datastore].count('nfs-shared') == 1
    assert [type(e).__name__ for e in events_of(si, first, ['NASDatastoreCreatedEvent'])] == \
        ['vim.event.NASDatastoreCreatedEvent']
    assert events_of(si, second, ['DatastoreDiscoveredEvent'])[0].datastore.datastore == ds

    # the same files: a directory made through one host is there for the other
    directory = sim.sim.datastore_namespace.root
    assert os.path.isdir(os.path.join(directory, mount.mountInfo.path.rsplit('/', 1)[1]))

    # re-running the module's create on a host that has it: AlreadyExists
    with pytest.raises(vim.fault.AlreadyExists):
        first.configManager.datastoreSystem.CreateNasDatastore(nas_spec('nfs-shared'))
    # another export under a name the datacenter has: DuplicateName
    third = host_named(si, 'DC0_C0_H2')
    with pytest.raises(vim.fault.DuplicateName):
        third.configManager.datastoreSystem.CreateNasDatastore(
            nas_spec('nfs-shared', path='/exports/other'))
    assert third not in [m.key for m in ds.host]
    with pytest.raises(vmodl.fault.InvalidArgument):
        first.configManager.datastoreSystem.CreateNasDatastore(
            nas_spec('bad', path='relative'))

    first.configManager.datastoreSystem.RemoveDatastore(ds)
    assert ds not in first.datastore and [m.key for m in ds.host] == [second]
    assert events_of(si, first, ['DatastoreRemovedOnHostEvent'])[-1].datastore.datastore == ds
    with pytest.raises(vim.fault.NotFound):
        first.configManager.datastoreSystem.RemoveDatastore(ds)
    second.configManager.datastoreSystem.RemoveDatastore(ds)
    assert 'nfs-shared' not in [d.name for d in datacenter(si).datastore]
    assert ds not in datacenter(si).datastoreFolder.childEntity


def test_nfs41_and_queue_depth(si):
    host = host_named(si, 'DC0_C0_H2')
    system = host.configManager.datastoreSystem
    spec = nas_spec('nfs41', path='/v41', kind='NFS41')
    spec.remoteHostNames = ['10.0.0.5', '10.0.0.6']
    spec.remoteHost = '10.0.0.5'
    spec.securityType = 'AUTH_SYS'
    ds = system.CreateNasDatastore(spec)
    assert ds.summary.type == 'NFS41'
    assert ds.info.nas.remoteHostNames == ['10.0.0.5', '10.0.0.6']
    assert system.QueryMaxQueueDepth(ds) == 4294967295
    system.SetMaxQueueDepth(ds, 64)
    assert system.QueryMaxQueueDepth(ds) == 64
    with pytest.raises(vmodl.fault.InvalidArgument):
        system.SetMaxQueueDepth(ds, 0)
    local = next(d for d in host.datastore if d.summary.type == 'VMFS')
    with pytest.raises(vmodl.fault.InvalidArgument):
        system.QueryMaxQueueDepth(local)
    system.ResolveNfsServerHostName('nfs1.example.com')
    with pytest.raises(vim.fault.PlatformConfigFault):
        system.ResolveNfsServerHostName('not a host!')
    system.RemoveDatastore(ds)


def test_vmfs_on_an_available_disk(si, other):
    host = host_named(si, 'DC0_H0')
    system = host.configManager.datastoreSystem
    available = system.QueryAvailableDisksForVmfs()
    names = [d.canonicalName for d in available]
    assert 'mpx.vmhba0:C0:T0:L0' not in names and len(names) == 3
    disk = available[0]
    options = system.QueryVmfsDatastoreCreateOptions(devicePath=disk.devicePath)
    assert len(options) == 1 and isinstance(options[0].info, vim.host.VmfsDatastoreOption.
                                            AllExtentInfo)
    partition, = options[0].spec.partition.partition
    assert partition.type == 'vmfs' and partition.startSector == 2048
    ds = create_vmfs(host, disk.canonicalName, 'vmfs-new')
    assert ds.summary.type == 'VMFS' and ds.info.vmfs.majorVersion == 6
    assert [(e.diskName, e.partition) for e in ds.info.vmfs.extent] == [
        (disk.canonicalName, 1)]
    size = (partition.endSector - partition.startSector + 1) * 512
    assert ds.summary.capacity == size // (1 << 20) * (1 << 20)
    assert ds.summary.freeSpace < ds.summary.capacity
    assert disk.canonicalName not in [d.canonicalName
                                      for d in system.QueryAvailableDisksForVmfs()]
    assert events_of(si, host, ['VMFSDatastoreCreatedEvent'])[-1].datastore.name == 'vmfs-new'
    info, = host.configManager.storageSystem.RetrieveDiskPartitionInfo([disk.devicePath])
    assert [p.type for p in info.spec.partition] == ['vmfs']
    # the disk now backs the datastore: detaching it is refused
    with pytest.raises(vim.fault.ResourceInUse):
        host.configManager.storageSystem.DetachScsiLun(disk.uuid)
    with pytest.raises(vim.fault.HostConfigFault):
        create_vmfs(host, disk.canonicalName, 'vmfs-again')
    with pytest.raises(vim.fault.DuplicateName):
        create_vmfs(host, available[1].canonicalName, 'vmfs-new')

    system.RemoveDatastore(ds)
    assert 'vmfs-new' not in [d.name for d in datacenter(si).datastore]
    assert disk.canonicalName in [d.canonicalName for d in system.QueryAvailableDisksForVmfs()]
    info, = host.configManager.storageSystem.RetrieveDiskPartitionInfo([disk.devicePath])
    assert info.spec.partition == []
    kinds = [type(e).__name__ for e in events_of(
        si, host, ['DatastoreRemovedOnHostEvent'])]
    assert kinds[-1] == 'vim.event.DatastoreRemovedOnHostEvent'


def test_vmfs_extend_and_expand(si):
    host = host_named(si, 'DC0_H0')
    system = host.configManager.datastoreSystem
    first, second = [d for d in system.QueryAvailableDisksForVmfs()][:2]
    # a VMFS partition over half the first disk, as a custom layout
    options = system.QueryVmfsDatastoreCreateOptions(devicePath=first.devicePath)
    spec = options[0].spec
    half = spec.partition.partition[0]
    half.endSector = half.startSector + first.capacity.block // 2 - 1
    spec.vmfs.volumeName = 'growing'
    ds = system.CreateVmfsDatastore(spec=spec)
    small = ds.summary.capacity
    expand, = system.QueryVmfsDatastoreExpandOptions(ds)
    assert isinstance(expand.info, vim.host.VmfsDatastoreOption.SingleExtentInfo)
    system.ExpandVmfsDatastore(ds, expand.spec)
    assert ds.summary.capacity > small * 1.9
    assert system.QueryVmfsDatastoreExpandOptions(ds) == []
    grown = ds.summary.capacity

    assert system.QueryVmfsDatastoreExtendOptions(ds, first.devicePath) == []
    extend = system.QueryVmfsDatastoreExtendOptions(ds, second.devicePath)
    system.ExtendVmfsDatastore(ds, extend[0].spec)
    assert len(ds.info.vmfs.extent) == 2
    assert ds.summary.capacity > grown + second.capacity.block * 512 * 0.99
    kinds = {type(e).__name__ for e in events_of(
        si, host, ['VMFSDatastoreExpandedEvent', 'VMFSDatastoreExtendedEvent'])}
    assert kinds == {'vim.event.VMFSDatastoreExpandedEvent',
                     'vim.event.VMFSDatastoreExtendedEvent'}
    # removed with RemoveDatastoreEx_Task: both disks are free again
    task = system.RemoveDatastoreEx_Task([ds])
    WaitForTask(task)
    result, = task.info.result
    assert result.key == ds and result.fault is None
    names = [d.canonicalName for d in system.QueryAvailableDisksForVmfs()]
    assert first.canonicalName in names and second.canonicalName in names


def test_remove_refused_while_vms_use_it(si):
    host = host_named(si, 'DC0_H0')
    system = host.configManager.datastoreSystem
    used = next(d for d in host.datastore if d.vm)
    with pytest.raises(vim.fault.ResourceInUse):
        system.RemoveDatastore(used)
    task = system.RemoveDatastoreEx_Task([used])
    WaitForTask(task)
    result, = task.info.result
    assert result.key == used and isinstance(result.fault, vim.fault.ResourceInUse)


def test_local_vvol_and_unresolved(si):
    system = host_named(si, 'DC0_H0').configManager.datastoreSystem
    assert not system.capabilities.localDatastoreSupported
    with pytest.raises(vmodl.fault.NotSupported):
        system.CreateLocalDatastore('local', '/tmp/x')
    with pytest.raises(vim.fault.NotFound):
        system.CreateVvolDatastore(vim.host.DatastoreSystem.VvolDatastoreSpec(
            name='vvol', scId='vvol:1234'))
    assert system.QueryUnresolvedVmfsVolumes() == []
    spec = vim.host.UnresolvedVmfsResignatureSpec(
        extentDevicePath=['/vmfs/devices/disks/mpx.vmhba0:C0:T1:L0'])
    assert isinstance(task_fault(system.ResignatureUnresolvedVmfsVolume_Task(spec)),
                      vim.fault.HostConfigFault)


def test_local_swap_and_principal(si):
    host = host_named(si, 'DC0_H0')
    system = host.configManager.datastoreSystem
    ds = host.datastore[0]
    system.UpdateLocalSwapDatastore(ds)
    assert host.config.localSwapDatastore == ds
    system.UpdateLocalSwapDatastore()
    assert host.config.localSwapDatastore is None
    with pytest.raises(vim.fault.InvalidState):
        system.ConfigureDatastorePrincipal('root')
    assert host.config.datastorePrincipal == 'root'


def test_clustered_vmdk(si):
    host = host_named(si, 'DC0_H0')
    system = host.configManager.datastoreSystem
    storage = host.configManager.storageSystem
    disk = system.QueryAvailableDisksForVmfs()[0]
    ds = create_vmfs(host, disk.canonicalName, 'clustered')
    with pytest.raises(vim.fault.HostConfigFault):       # a local disk: no SCSI-3 PR
        system.EnableClusteredVmdkSupport(ds)
    system.RemoveDatastore(ds)
    WaitForTask(storage.MarkAsNonLocal_Task(disk.uuid))
    ds = create_vmfs(host, disk.canonicalName, 'clustered')
    assert ds.capability.clusteredVmdkSupported and not ds.IsClusteredVmdkEnabled()
    system.EnableClusteredVmdkSupport(ds)
    assert ds.IsClusteredVmdkEnabled()
    system.DisableClusteredVmdkSupport(ds)
    assert not ds.IsClusteredVmdkEnabled()
    system.RemoveDatastore(ds)
    WaitForTask(storage.MarkAsLocal_Task(disk.uuid))


def test_kerberos_nfs_needs_the_nfs_user(si):
    host = host_named(si, 'DC0_C0_H2')
    system = host.configManager.datastoreSystem
    storage = host.configManager.storageSystem
    spec = nas_spec('krb', path='/secure', kind='NFS41')
    spec.securityType = 'SEC_KRB5'
    with pytest.raises(vim.fault.HostConfigFault):
        system.CreateNasDatastore(spec)
    assert storage.QueryNFSUser() is None
    with pytest.raises(vim.fault.NotFound):
        storage.ChangeNFSUserPassword('x')
    storage.SetNFSUser('nfs-svc@EXAMPLE.COM', 'pw')
    assert storage.QueryNFSUser().user == 'nfs-svc@EXAMPLE.COM'
    storage.ChangeNFSUserPassword('pw2')
    ds = system.CreateNasDatastore(spec)
    assert ds.info.nas.securityType == 'SEC_KRB5'
    with pytest.raises(vim.fault.HostConfigFault):
        storage.ClearNFSUser()
    system.RemoveDatastore(ds)
    storage.ClearNFSUser()
    assert storage.QueryNFSUser() is None
    with pytest.raises(vim.fault.HostConfigFault):
        storage.UpdateHppMultipathLunPolicy(
            storage.storageDeviceInfo.scsiLun[0].uuid,
            vim.host.MultipathInfo.HppLogicalUnitPolicy(path='vmhba0:C0:T0:L0'))


def test_storage_changes_replay_after_a_restart(validator, tmp_path):
    """With -state, NFS on two hosts, VMFS on a disk, an unmounted volume and
    an iSCSI LUN come back the same: every property of every object."""
    first = _start(validator, tmp_path)
    si = first.connect()
    one, two = host_named(si, 'DC0_C0_H0'), host_named(si, 'DC0_C0_H1')
    for host in (one, two):
        host.configManager.datastoreSystem.CreateNasDatastore(nas_spec('kept-nfs'))
    storage = one.configManager.storageSystem
    storage.UpdateSoftwareInternetScsiEnabled(True)
    storage.AddInternetScsiStaticTargets('vmhba65', [vim.host.InternetScsiHba.StaticTarget(
        address='10.1.1.1', iScsiName='iqn.2010-01.com.example:kept')])
    lun = storage.storageDeviceInfo.scsiLun[-1]
    ds = create_vmfs(one, lun.canonicalName, 'kept-vmfs')
    storage.UnmountVmfsVolume(ds.info.vmfs.uuid)
    Disconnect(si)
    _stop(_restarted(validator, tmp_path, _stopped(first)))
