"""vSAN on hosts and clusters through pyVmomi, as vSphere Client, Ansible's
vmware_cluster_vsan and the vSAN SDK samples drive it: a host's disks for
vSAN (QueryDisksForVsan), disk groups (InitializeDisks_Task, AddDisks_Task,
RemoveDisk_Task, RemoveDiskMapping_Task, UnmountDiskMapping_Task), the
node's settings (UpdateVsan_Task) and decommissioning (EvacuateVsanNode_Task,
RecommissionVsanNode_Task); a cluster's vSAN (ClusterConfigSpecEx.vsanConfig)
with its shared vsanDatastore, a VM on it, and vCenter's refusals."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, logged_in, task_fault
from tests.watching import Watcher, paths_of

SSD = 'mpx.vmhba0:C0:T2:L0'                 # 500 GiB local SSD, unpartitioned
HDD = 'mpx.vmhba0:C0:T1:L0'                 # 200 GiB local, not an SSD
BOOT = 'mpx.vmhba0:C0:T0:L0'                # partitioned (the host's VMFS datastore)
GiB = 1 << 30
Spec = vim.cluster.ConfigSpecEx


@pytest.fixture(scope='module')
def running(validator):
    return _simulator(validator, tls=False)


@pytest.fixture
def sim(running):
    """Each test starts from the default inventory."""
    running.reset()
    return running


def outcome(task):
    """The result of a task that succeeds."""
    WaitForTask(task)
    return task.info.result


def cluster_of(si, name='DC0_C0'):
    return si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/host/' + name)


def lun(host, name):
    return next(d for d in host.configManager.storageSystem.storageDeviceInfo.scsiLun
                if d.canonicalName == name)


def naa(host):
    return next(d.canonicalName for d in host.configManager.storageSystem.storageDeviceInfo
                .scsiLun if d.canonicalName.startswith('naa.'))


def states(host):
    return {r.disk.canonicalName: r.state
            for r in host.configManager.vsanSystem.QueryDisksForVsan()}


def enable(cluster, auto_claim=False, **fields):
    config = vim.vsan.cluster.ConfigInfo(
        enabled=True, defaultConfig=vim.vsan.cluster.ConfigInfo.HostDefaultInfo(
            autoClaimStorage=auto_claim, **fields))
    WaitForTask(cluster.ReconfigureComputeResource_Task(Spec(vsanConfig=config), modify=True))


def vsan_datastores(si):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.Datastore], True)
    try:
        return [ds for ds in view.view if ds.summary.type == 'vsan']
    finally:
        view.DestroyView()


def test_disks_for_vsan(si):
    host = cluster_of(si).host[0]
    found = {r.disk.canonicalName: r for r in host.configManager.vsanSystem.QueryDisksForVsan()}
    assert found[SSD].state == 'eligible' and found[HDD].state == 'eligible'
    assert found[naa(host)].state == 'eligible'
    assert found[BOOT].state == 'ineligible'
    assert isinstance(found[BOOT].error, vim.fault.DiskHasPartitions)
    only, = host.configManager.vsanSystem.QueryDisksForVsan(canonicalName=[SSD])
    assert only.disk.canonicalName == SSD and only.vsanUuid is None


def test_disk_groups_on_a_host(si, other):
    host = cluster_of(si).host[0]
    vsan = host.configManager.vsanSystem
    watcher = Watcher(other, host, vim.HostSystem, ['config.vsanHostConfig'])
    ssd, hdd, big = lun(host, SSD), lun(host, HDD), lun(host, naa(host))
    bad, = outcome(vsan.InitializeDisks_Task([vim.vsan.host.DiskMapping(ssd=hdd, nonSsd=[big])]))
    assert isinstance(bad.error, vim.fault.VsanIncompatibleDiskMapping)
    bad, = outcome(vsan.InitializeDisks_Task([vim.vsan.host.DiskMapping(ssd=ssd,
                                                                        nonSsd=[hdd, hdd])]))
    assert isinstance(bad.error, vim.fault.DuplicateDisks)
    bad, = outcome(vsan.InitializeDisks_Task([vim.vsan.host.DiskMapping(
        ssd=ssd, nonSsd=[lun(host, BOOT)])]))
    assert isinstance(bad.error, vim.fault.DiskHasPartitions)
    assert states(host)[SSD] == 'eligible'

    made, = outcome(vsan.InitializeDisks_Task([vim.vsan.host.DiskMapping(ssd=ssd,
                                                                             nonSsd=[hdd])]))
    assert made.error is None and {r.state for r in made.diskResult} == {'inUse'}
    assert 'config.vsanHostConfig' in paths_of(watcher.changes())
    mapping = made.mapping
    assert mapping.ssd.vsanDiskInfo.vsanUuid.startswith('52')
    assert [d.canonicalName for d in mapping.nonSsd] == [HDD]
    assert states(host) == {BOOT: 'ineligible', HDD: 'inUse', SSD: 'inUse', naa(host): 'eligible'}
    info, = host.config.vsanHostConfig.storageInfo.diskMapInfo
    assert info.mounted and info.mapping.ssd.canonicalName == SSD
    assert lun(host, SSD).vsanDiskInfo.formatVersion > 0
    # claimed disks are not offered for VMFS or VFFS, and stay attached
    system = host.configManager.datastoreSystem
    assert SSD not in [d.canonicalName for d in system.QueryAvailableDisksForVmfs()]
    assert host.configManager.storageSystem.QueryAvailableSsds() == []
    with pytest.raises(vim.fault.ResourceInUse):
        host.configManager.storageSystem.DetachScsiLun(ssd.uuid)

    # AddDisks_Task puts the capacity disk into the group
    added, = outcome(vsan.AddDisks_Task([lun(host, naa(host))]))
    assert sorted(d.canonicalName for d in added.mapping.nonSsd) == sorted([HDD, naa(host)])
    # a capacity disk goes, not the last one, never the cache SSD
    result, = outcome(vsan.RemoveDisk_Task([lun(host, naa(host))]))
    assert result.state == 'eligible' and result.error is None
    last, = outcome(vsan.RemoveDisk_Task([lun(host, HDD)]))
    assert isinstance(last.error, vim.fault.DiskIsLastRemainingNonSSD) and last.state == 'inUse'
    cache, = outcome(vsan.RemoveDisk_Task([lun(host, SSD)]))
    assert isinstance(cache.error, vim.fault.VsanDiskFault)
    with pytest.raises(vmodl.fault.InvalidArgument):
        vsan.RemoveDisk_Task([lun(host, HDD)], maintenanceSpec=vim.host.MaintenanceSpec(
            vsanMode=vim.vsan.host.DecommissionMode(objectAction='everything')))

    # unmount and mount again, then remove the group
    group = host.config.vsanHostConfig.storageInfo.diskMapInfo[0].mapping
    WaitForTask(vsan.UnmountDiskMapping_Task([group]))
    assert not host.config.vsanHostConfig.storageInfo.diskMapInfo[0].mounted
    assert host.config.vsanHostConfig.storageInfo.diskMapping == []
    assert isinstance(task_fault(vsan.UnmountDiskMapping_Task([group])), vim.fault.InvalidState)
    WaitForTask(vsan.AddDisks_Task([lun(host, SSD)]))
    assert host.config.vsanHostConfig.storageInfo.diskMapInfo[0].mounted
    gone, = outcome(vsan.RemoveDiskMapping_Task([group]))
    assert gone.error is None and {r.state for r in gone.diskResult} == {'eligible'}
    assert host.config.vsanHostConfig.storageInfo.diskMapInfo == []
    assert lun(host, SSD).vsanDiskInfo is None
    again, = outcome(vsan.RemoveDiskMapping_Task([group]))
    assert isinstance(again.error, vim.fault.VsanDiskFault)


def test_a_host_joins_only_its_vsan_cluster(si):
    cluster = cluster_of(si)
    host = cluster.host[0]
    vsan = host.configManager.vsanSystem
    fault = task_fault(vsan.UpdateVsan_Task(vim.vsan.host.ConfigInfo(enabled=True)))
    assert isinstance(fault, vim.fault.VsanFault)
    assert not vsan.config.enabled and vsan.QueryHostStatus().nodeState.state == 'disabled'
    # settings that do not need the service
    WaitForTask(vsan.UpdateVsan_Task(vim.vsan.host.ConfigInfo(
        networkInfo=vim.vsan.host.ConfigInfo.NetworkInfo(port=[
            vim.vsan.host.ConfigInfo.NetworkInfo.PortConfig(device='vmk0')]),
        faultDomainInfo=vim.vsan.host.ConfigInfo.FaultDomainInfo(name='rack-1'))))
    config = vsan.config
    assert [p.device for p in config.networkInfo.port] == ['vmk0']
    assert config.faultDomainInfo.name == 'rack-1'
    vsan_nics = next(c for c in host.config.virtualNicManagerInfo.netConfig if c.nicType == 'vsan')
    assert vsan_nics.selectedVnic == ['vsan.key-vim.host.VirtualNic-vmk0']
    with pytest.raises(vim.fault.DuplicateVsanNetworkInterface):
        WaitForTask(vsan.UpdateVsan_Task(vim.vsan.host.ConfigInfo(
            networkInfo=vim.vsan.host.ConfigInfo.NetworkInfo(port=[
                vim.vsan.host.ConfigInfo.NetworkInfo.PortConfig(device='vmk0')] * 2))))
    with pytest.raises(vmodl.fault.InvalidArgument):
        WaitForTask(vsan.UpdateVsan_Task(vim.vsan.host.ConfigInfo(
            networkInfo=vim.vsan.host.ConfigInfo.NetworkInfo(port=[
                vim.vsan.host.ConfigInfo.NetworkInfo.PortConfig(device='vmk9')]))))

    enable(cluster)
    uuid = cluster.configurationEx.vsanConfigInfo.defaultConfig.uuid
    config = vsan.config
    assert config.enabled and config.clusterInfo.uuid == uuid and config.clusterInfo.nodeUuid
    with pytest.raises(vim.fault.CannotChangeVsanClusterUuid):
        WaitForTask(vsan.UpdateVsan_Task(vim.vsan.host.ConfigInfo(
            clusterInfo=vim.vsan.host.ConfigInfo.ClusterInfo(
                uuid='52000000-0000-0000-0000-000000000001'))))
    status = vsan.QueryHostStatus()
    assert status.uuid == uuid and status.health == 'healthy'
    assert status.nodeState.state == 'master'
    assert len(status.memberUuid) == len(cluster.host)
    assert cluster.host[1].configManager.vsanSystem.QueryHostStatus().nodeState.state == 'backup'
    members = host.runtime.vsanRuntimeInfo.membershipList
    assert {m.hostname for m in members} == {h.name for h in cluster.host}

    # leaving and joining again, with the cluster's uuid only
    WaitForTask(vsan.UpdateVsan_Task(vim.vsan.host.ConfigInfo(enabled=False)))
    assert vsan.QueryHostStatus().nodeState.state == 'disabled'
    with pytest.raises(vim.fault.VsanClusterUuidMismatch):
        WaitForTask(vsan.UpdateVsan_Task(vim.vsan.host.ConfigInfo(
            enabled=True, clusterInfo=vim.vsan.host.ConfigInfo.ClusterInfo(
                uuid='52000000-0000-0000-0000-000000000001'))))
    WaitForTask(vsan.UpdateVsan_Task(vim.vsan.host.ConfigInfo(enabled=True)))
    assert vsan.config.clusterInfo.uuid == uuid


def test_cluster_vsan_datastore(si, other):
    cluster = cluster_of(si)
    hosts = list(cluster.host)
    assert vsan_datastores(si) == []
    watcher = Watcher(other, cluster, vim.ClusterComputeResource, ['datastore'])
    enable(cluster, auto_claim=True)
    assert 'datastore' in paths_of(watcher.changes())
    ds, = vsan_datastores(si)
    assert ds.name == 'vsanDatastore' and ds in cluster.datastore
    per_host = (200 + 2048) * GiB             # the capacity disks of one host
    assert ds.summary.capacity == per_host * len(hosts)
    assert ds.summary.freeSpace == ds.summary.capacity
    assert {m.key for m in ds.host} == set(hosts)
    container = ds.info.containerId
    assert isinstance(ds.info, vim.host.VsanDatastoreInfo)
    assert ds.summary.url == 'ds:///vmfs/volumes/vsan:%s/' % container
    uuid = cluster.configurationEx.vsanConfigInfo.defaultConfig.uuid
    assert container.replace('-', '') == uuid.replace('-', '')
    assert ds.capability.vsanSparseSupported and not ds.capability.vmfsSparseSupported
    for host in hosts:
        assert host.config.vsanHostConfig.enabled
        assert states(host)[SSD] == 'inUse' and states(host)[HDD] == 'inUse'
        assert ds in host.datastore
        mount = next(m for m in host.config.fileSystemVolume.mountInfo if m.volume.type == 'vsan')
        assert mount.volume.name == 'vsanDatastore'
    assert all(c.enabled for c in cluster.configurationEx.vsanHostConfig)

    # a capacity disk fewer, a host decommissioned
    vsan = hosts[0].configManager.vsanSystem
    watcher = Watcher(other, ds, vim.Datastore, ['summary.capacity'])
    WaitForTask(vsan.RemoveDisk_Task([lun(hosts[0], naa(hosts[0]))],
                maintenanceSpec=vim.host.MaintenanceSpec(vsanMode=vim.vsan.host.DecommissionMode(
                    objectAction='evacuateAllData'))))
    assert ds.summary.capacity == per_host * len(hosts) - 2048 * GiB
    assert 'summary.capacity' in paths_of(watcher.changes())
    WaitForTask(vsan.EvacuateVsanNode_Task(vim.host.MaintenanceSpec(
        vsanMode=vim.vsan.host.DecommissionMode(objectAction='evacuateAllData')), 0))
    assert vsan.QueryHostStatus().nodeState.state == 'decommissioning'
    assert isinstance(task_fault(vsan.EvacuateVsanNode_Task(vim.host.MaintenanceSpec(), 0)),
                      vim.fault.InvalidState)
    WaitForTask(vsan.RecommissionVsanNode_Task())
    assert vsan.QueryHostStatus().nodeState.state == 'master'
    assert isinstance(task_fault(vsan.RecommissionVsanNode_Task()), vim.fault.InvalidState)

    # a VM on it keeps vSAN on
    pool = cluster.resourcePool
    folder = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/vm')
    vm = outcome(folder.CreateVM_Task(vim.vm.ConfigSpec(
        name='on-vsan', guestId='otherGuest64', numCPUs=1, memoryMB=128,
        files=vim.vm.FileInfo(vmPathName='[vsanDatastore]')), pool, hosts[0]))
    assert vm.datastore == [ds] and vm.summary.config.vmPathName.startswith('[vsanDatastore] ')
    off = Spec(vsanConfig=vim.vsan.cluster.ConfigInfo(enabled=False))
    assert isinstance(task_fault(cluster.ReconfigureComputeResource_Task(off, modify=True)),
                      vim.fault.ResourceInUse)
    assert cluster.configurationEx.vsanConfigInfo.enabled
    assert isinstance(task_fault(hosts[0].configManager.vsanSystem.UpdateVsan_Task(
        vim.vsan.host.ConfigInfo(enabled=False))), vim.fault.ResourceInUse)
    WaitForTask(vm.Destroy_Task())

    WaitForTask(cluster.ReconfigureComputeResource_Task(off, modify=True))
    assert vsan_datastores(si) == [] and ds not in cluster.datastore
    for host in hosts:
        assert not host.config.vsanHostConfig.enabled
        assert states(host)[SSD] == 'inUse'         # the disk groups stay on the disks


def test_cluster_vsan_refusals(si):
    cluster = cluster_of(si)
    WaitForTask(cluster.ReconfigureComputeResource_Task(
        Spec(dasConfig=vim.cluster.DasConfigInfo(enabled=True)), modify=True))
    assert isinstance(task_fault(cluster.ReconfigureComputeResource_Task(
        Spec(vsanConfig=vim.vsan.cluster.ConfigInfo(enabled=True)), modify=True)),
        vim.fault.CannotReconfigureVsanWhenHaEnabled)
    WaitForTask(cluster.ReconfigureComputeResource_Task(
        Spec(dasConfig=vim.cluster.DasConfigInfo(enabled=False)), modify=True))
    for bad in (vim.vsan.cluster.ConfigInfo(enabled=True, vsanEsaEnabled=True),
                vim.vsan.cluster.ConfigInfo(enabled=True, vsanCyberRecoveryEnabled=True)):
        assert isinstance(task_fault(cluster.ReconfigureComputeResource_Task(
            Spec(vsanConfig=bad), modify=True)), vmodl.fault.NotSupported)
    assert isinstance(task_fault(cluster.ReconfigureComputeResource_Task(
        Spec(vsanConfig=vim.vsan.cluster.ConfigInfo(
            enabled=True, defaultConfig=vim.vsan.cluster.ConfigInfo.HostDefaultInfo(
                uuid='not-a-uuid'))), modify=True)), vmodl.fault.InvalidArgument)
    assert not cluster.configurationEx.vsanConfigInfo.enabled and vsan_datastores(si) == []

    given = '52aaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'
    enable(cluster, uuid=given)
    assert cluster.configurationEx.vsanConfigInfo.defaultConfig.uuid == given
    assert isinstance(task_fault(cluster.ReconfigureComputeResource_Task(
        Spec(vsanConfig=vim.vsan.cluster.ConfigInfo(
            defaultConfig=vim.vsan.cluster.ConfigInfo.HostDefaultInfo(
                uuid='52aaaaaa-bbbb-cccc-dddd-000000000000'))), modify=True)),
        vim.fault.CannotChangeVsanClusterUuid)
    ds, = vsan_datastores(si)
    assert ds.summary.capacity == 0          # no disk claimed: autoClaimStorage is off
    # a vSAN host stays in its cluster; a host moved in joins
    host = cluster.host[0]
    datacenter = si.RetrieveContent().rootFolder.childEntity[0]
    target = datacenter.hostFolder.CreateClusterEx('other', Spec())
    assert isinstance(task_fault(target.MoveInto_Task([host])),
                      vim.fault.CannotMoveVsanEnabledHost)
    standalone = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/host/DC0_H0').host[0]
    WaitForTask(cluster.MoveInto_Task([standalone]))
    assert standalone.configManager.vsanSystem.config.clusterInfo.uuid == given
    assert standalone in [m.key for m in ds.host]


def test_evacuating_needs_room_for_the_data(si):
    cluster = cluster_of(si)
    enable(cluster, auto_claim=True)
    ds, = vsan_datastores(si)
    host = cluster.host[0]
    folder = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/vm')
    size = ds.summary.capacity - 2248 * GiB // 2       # more than two hosts' disks hold
    disk = vim.vm.device.VirtualDeviceSpec(
        operation='add', fileOperation='create', device=vim.vm.device.VirtualDisk(
            key=-1, unitNumber=0, controllerKey=1000, capacityInBytes=size,
            backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
                diskMode='persistent', thinProvisioned=False, eagerlyScrub=True)))
    scsi = vim.vm.device.VirtualDeviceSpec(
        operation='add', device=vim.vm.device.ParaVirtualSCSIController(
            key=1000, busNumber=0, sharedBus='noSharing'))
    vm = outcome(folder.CreateVM_Task(vim.vm.ConfigSpec(
        name='big', guestId='otherGuest64', numCPUs=1, memoryMB=128, deviceChange=[scsi, disk],
        files=vim.vm.FileInfo(vmPathName='[vsanDatastore]')), cluster.resourcePool, host))
    assert ds.summary.freeSpace < 2248 * GiB
    evacuate = vim.host.MaintenanceSpec(vsanMode=vim.vsan.host.DecommissionMode(
        objectAction='evacuateAllData'))
    vsan = host.configManager.vsanSystem
    assert isinstance(task_fault(vsan.EvacuateVsanNode_Task(evacuate, 0)), vim.fault.VsanFault)
    assert isinstance(task_fault(host.EnterMaintenanceMode_Task(0, maintenanceSpec=evacuate)),
                      vim.fault.VsanFault)
    assert isinstance(task_fault(host.EnterMaintenanceMode_Task(
        0, maintenanceSpec=vim.host.MaintenanceSpec(vsanMode=vim.vsan.host.DecommissionMode(
            objectAction='everything')))), vmodl.fault.InvalidArgument)
    assert not host.runtime.inMaintenanceMode
    WaitForTask(vm.Destroy_Task())
    WaitForTask(vsan.EvacuateVsanNode_Task(evacuate, 0))
    assert vsan.QueryHostStatus().nodeState.state == 'decommissioning'


@pytest.fixture(scope='module')
def esx_sim(validator):
    return _simulator(validator, tls=False, esx=True)


def test_esxi_makes_a_one_node_vsan_cluster(esx_sim):
    """What Ansible's vmware_vsan_cluster asks of the first ESXi host: vSAN
    on, the uuid made by the host, its disks claimed."""
    for si in logged_in(esx_sim):
        host = si.RetrieveContent().rootFolder.childEntity[0].hostFolder.childEntity[0].host[0]
        vsan = host.configManager.vsanSystem
        WaitForTask(vsan.UpdateVsan_Task(vim.vsan.host.ConfigInfo(
            enabled=True, storageInfo=vim.vsan.host.ConfigInfo.StorageInfo(
                autoClaimStorage=True))))
        config = vsan.config
        assert config.enabled and config.clusterInfo.uuid.startswith('52')
        assert config.storageInfo.autoClaimStorage and len(config.storageInfo.diskMapInfo) == 1
        ds = next(d for d in host.datastore if d.summary.type == 'vsan')
        assert ds.summary.capacity == (200 + 2048) * GiB
        assert vsan.QueryHostStatus().memberUuid == [config.clusterInfo.nodeUuid]
        WaitForTask(vsan.UpdateVsan_Task(vim.vsan.host.ConfigInfo(enabled=False)))
        assert not vsan.config.enabled
        assert [d for d in host.datastore if d.summary.type == 'vsan'] == []


def test_cluster_sets_its_hosts_vsan(si):
    """ClusterConfigSpecEx.vsanHostConfigSpec: per-host settings through the
    cluster, membership left to vsanConfig."""
    cluster = cluster_of(si)
    host = cluster.host[1]
    per_host = vim.vsan.host.ConfigInfo(
        hostSystem=host, faultDomainInfo=vim.vsan.host.ConfigInfo.FaultDomainInfo(name='fd-2'),
        storageInfo=vim.vsan.host.ConfigInfo.StorageInfo(autoClaimStorage=True))
    WaitForTask(cluster.ReconfigureComputeResource_Task(Spec(
        vsanConfig=vim.vsan.cluster.ConfigInfo(enabled=True), vsanHostConfigSpec=[per_host]),
        modify=True))
    config = next(c for c in cluster.configurationEx.vsanHostConfig if c.hostSystem == host)
    assert config.enabled and config.faultDomainInfo.name == 'fd-2'
    assert len(config.storageInfo.diskMapInfo) == 1        # its own autoClaimStorage
    assert cluster.host[0].configManager.vsanSystem.config.storageInfo.diskMapInfo == []
    ds, = vsan_datastores(si)
    assert ds.summary.capacity == (200 + 2048) * GiB

    standalone = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/host/DC0_H0').host[0]
    for bad in (vim.vsan.host.ConfigInfo(hostSystem=standalone),
                vim.vsan.host.ConfigInfo(hostSystem=host, enabled=False),
                vim.vsan.host.ConfigInfo(hostSystem=host, networkInfo=vim.vsan.host.ConfigInfo
                                         .NetworkInfo(port=[vim.vsan.host.ConfigInfo.NetworkInfo
                                                            .PortConfig(device='vmk9')]))):
        assert isinstance(task_fault(cluster.ReconfigureComputeResource_Task(
            Spec(vsanHostConfigSpec=[bad]), modify=True)), vmodl.fault.InvalidArgument)
    assert host.configManager.vsanSystem.config.faultDomainInfo.name == 'fd-2'
