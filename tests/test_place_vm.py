"""ClusterComputeResource.PlaceVm with pyVmomi: a `create` placement (a
configSpec, no VM) answers ranked recommendations with the host and the
datastore, through the same placement as relocate, honouring the cluster's
rules and the spec's, reservations, host capacity and datastores (their
space and their all-paths-down, which the datastore shows as inaccessible);
junk gets InvalidArgument. A `clone` judges the copy (the source's size
and disks, the clone's config, its location's datastore), a `reconfigure`
the VM with the configSpec's size; a `relocate` that asks for datastores
moves the files there."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator
from tests.controlling import act, model_time  # noqa: F401 (module fixture)
from tests.test_drs import new_vms, overloaded

GB = 1024


@pytest.fixture(scope='module')
def sim(validator):
    """Seven clusters of three hosts, no VMs: one cluster per test."""
    return _simulator(validator, tls=False, autostart=False, cluster=7, vm=0)


@pytest.fixture(scope='module')
def clusters(sim):
    return iter(range(7))


@pytest.fixture
def cluster(clusters, si):
    cluster = si.RetrieveContent().searchIndex.FindByInventoryPath(
        '/DC0/host/DC0_C%d' % next(clusters))
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        drsConfig=vim.cluster.DrsConfigInfo(enabled=True)), modify=True))
    return cluster


def config(name='new', memory=256, reservation=None, disk_gb=None, path='[LocalDS_0]'):
    spec = vim.vm.ConfigSpec(name=name, numCPUs=1, memoryMB=memory, guestId='otherGuest64',
                             files=vim.vm.FileInfo(vmPathName=path))
    if reservation is not None:
        spec.memoryAllocation = vim.ResourceAllocationInfo(reservation=reservation)
    if disk_gb is not None:
        spec.deviceChange = [vim.vm.device.VirtualDeviceSpec(
            operation='add', fileOperation='create', device=vim.vm.device.VirtualDisk(
                key=-1, controllerKey=1000, unitNumber=0, capacityInKB=disk_gb * 1024 * 1024,
                backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode='persistent')))]
    return spec


def place(cluster, spec=None, **fields):
    return cluster.PlaceVm(vim.cluster.PlacementSpec(
        placementType='create', configSpec=spec or config(), **fields))


def targets(result):
    return [r.action[0].targetHost for r in result.recommendations]


def test_create_placement_is_ranked_with_host_and_datastore(si, sim, cluster):
    overloaded(si, sim, cluster)   # busy VMs on the first host
    hosts = list(cluster.host)
    result = place(cluster)
    assert targets(result)[-1] == hosts[0] and len(targets(result)) == 3
    ranked = cluster.RecommendHostsForVm(
        vm=new_vms(si, cluster, hosts[0], 'twin', 1, power_on=False)[0])
    assert targets(result) == [r.host for r in ranked]   # the same placement code
    first = result.recommendations[0]
    assert first.reason == 'powerOnVm' and first.target == cluster
    assert first.rating >= result.recommendations[-1].rating
    assert [r.key for r in result.recommendations] == ['1', '2', '3']
    action = first.action[0]
    assert isinstance(action, vim.cluster.PlacementAction) and action.vm is None
    assert action.relocateSpec.host == action.targetHost
    assert action.relocateSpec.datastore.name == 'LocalDS_0'
    assert action.relocateSpec.pool == cluster.resourcePool
    assert not result.drsFault
    only = place(cluster, hosts=[hosts[0]])
    assert targets(only) == [hosts[0]]


def test_create_placement_honours_reservations_and_capacity(si, sim, cluster):
    hosts = list(cluster.host)
    [held] = new_vms(si, cluster, hosts[0], 'held', 1, power_on=False)
    WaitForTask(held.ReconfigVM_Task(vim.vm.ConfigSpec(
        memoryMB=1024, memoryAllocation=vim.ResourceAllocationInfo(reservation=1024))))
    WaitForTask(held.PowerOnVM_Task(host=hosts[0]))
    result = place(cluster, config(memory=3500, reservation=3500))
    assert hosts[0] not in targets(result) and len(targets(result)) == 2
    none = place(cluster, config(memory=8 * GB, reservation=8 * GB))
    assert not none.recommendations
    [by_vm] = none.drsFault.faultsByVm
    assert by_vm.vm is None and none.drsFault.reason == 'create'
    [error] = by_vm.fault
    assert isinstance(error, vim.fault.NoCompatibleHost)
    assert all(isinstance(e, (vim.fault.InsufficientMemoryResourcesFault,
                              vim.fault.InsufficientHostMemoryCapacityFault))
               for e in error.error)


def test_create_placement_honours_rules(si, sim, cluster):
    hosts = list(cluster.host)
    partner = new_vms(si, cluster, hosts[1], 'partner', 1)[0]
    where = partner.runtime.host   # DRS placed it
    apart = vim.cluster.AntiAffinityRuleSpec(name='apart', enabled=True, vm=[partner])
    assert where not in targets(place(cluster, rules=[apart]))
    assert len(targets(place(cluster, rules=[apart]))) == 2
    together = vim.cluster.AffinityRuleSpec(name='together', enabled=True, vm=[partner])
    assert targets(place(cluster, rules=[together])) == [where]
    WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
        groupSpec=[vim.cluster.GroupSpec(operation='add', info=vim.cluster.HostGroup(
            name='last', host=[hosts[2]]))]), modify=True))
    pinned = vim.cluster.VmHostRuleInfo(name='on-last', enabled=True, mandatory=True,
                                        affineHostGroupName='last')
    assert targets(place(cluster, rules=[pinned])) == [hosts[2]]
    with pytest.raises(vmodl.fault.InvalidArgument):
        place(cluster, rules=[vim.cluster.VmHostRuleInfo(name='x', enabled=True,
                                                         affineHostGroupName='nope')])
    with pytest.raises(vmodl.fault.InvalidArgument):
        place(cluster, rules=[vim.cluster.DependencyRuleInfo(name='d', vmGroup='a',
                                                             dependsOnVmGroup='b')])


def test_create_placement_needs_a_reachable_datastore_with_room(si, sim, cluster):
    hosts = list(cluster.host)
    datastore = [ds for ds in cluster.datastore if ds.name == 'LocalDS_0'][0]
    act(sim, 'datastore/apd', {'datastore': datastore._moId, 'hosts': [hosts[0]._moId]})
    try:
        mounts = {m.key: m.mountInfo for m in datastore.host}
        assert not mounts[hosts[0]].accessible
        assert mounts[hosts[0]].inaccessibleReason == 'AllPathsDown_Start'
        assert mounts[hosts[1]].accessible and datastore.summary.accessible
        assert hosts[0] not in targets(place(cluster, datastores=[datastore]))
        act(sim, 'datastore/apd', {'datastore': datastore._moId})   # every clustered host
        mounts = {m.key: m.mountInfo.accessible for m in datastore.host}
        assert not any(mounts[h] for h in hosts)
        # the datastore is accessible while a host (a standalone one) reaches it
        assert datastore.summary.accessible == any(mounts.values())
        assert not place(cluster, datastores=[datastore]).recommendations
    finally:
        act(sim, 'datastore/recover', {'datastore': datastore._moId})
    assert all(m.mountInfo.accessible for m in datastore.host)
    assert len(targets(place(cluster, datastores=[datastore]))) == 3
    huge = place(cluster, config(disk_gb=datastore.summary.capacity // 2 ** 30 + 1))
    assert not huge.recommendations
    [error] = huge.drsFault.faultsByVm[0].fault
    assert all(isinstance(e, vim.fault.NoDiskSpace) for e in error.error)
    with pytest.raises(vmodl.fault.InvalidArgument):
        place(cluster, config(path='[NoSuchDS]'))


def test_create_placement_refuses_junk(si, sim, cluster):
    with pytest.raises(vmodl.fault.InvalidArgument) as refused:
        place(cluster, vim.vm.ConfigSpec(name='bad', numCPUs=0))
    assert refused.value.invalidProperty == 'placementSpec.configSpec.numCPUs'
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        place(cluster, datastores=[vim.Datastore('datastore-nope')])
    other = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/host/DC0_C0')
    with pytest.raises(vmodl.fault.InvalidArgument):   # a pool of another cluster
        place(cluster, relocateSpec=vim.vm.RelocateSpec(pool=other.resourcePool))
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        place(cluster, rules=[vim.cluster.AffinityRuleSpec(
            name='r', vm=[vim.VirtualMachine('vm-nope')])])


def test_clone_and_reconfigure_placements_judge_the_new_size(si, sim, cluster):
    hosts = list(cluster.host)
    source = new_vms(si, cluster, hosts[0], 'source', 1, power_on=False)[0]
    for host in hosts[1:]:     # two hosts hold most of their memory for running VMs
        folder = si.RetrieveContent().rootFolder.childEntity[0].vmFolder
        task = folder.CreateVM_Task(config('%s-big-%s' % (cluster.name, host.name),
                                           memory=3 * GB, reservation=3 * GB),
                                    pool=cluster.resourcePool, host=host)
        WaitForTask(task)
        WaitForTask(task.info.result.PowerOnVM_Task(host=host))
    # a small clone fits everywhere, the emptiest host first
    small = cluster.PlaceVm(vim.cluster.PlacementSpec(
        placementType='clone', vm=source, cloneName='copy', cloneSpec=vim.vm.CloneSpec(
            location=vim.vm.RelocateSpec())))
    assert targets(small)[0] == hosts[0] and set(targets(small)) == set(hosts)
    action = small.recommendations[0].action[0]
    assert action.vm is None and action.relocateSpec.datastore == source.datastore[0]
    # a clone reserving more memory than two hosts have left goes to the third only
    big = vim.vm.ConfigSpec(memoryMB=2 * GB, memoryAllocation=vim.ResourceAllocationInfo(
        reservation=2 * GB))
    clone = cluster.PlaceVm(vim.cluster.PlacementSpec(
        placementType='clone', vm=source, cloneName='copy', cloneSpec=vim.vm.CloneSpec(
            location=vim.vm.RelocateSpec(), config=big)))
    assert targets(clone) == [hosts[0]]
    resized = cluster.PlaceVm(vim.cluster.PlacementSpec(
        placementType='reconfigure', vm=source, configSpec=big))
    assert targets(resized) == [hosts[0]]
    assert resized.recommendations[0].action[0].vm == source
    huge = vim.vm.ConfigSpec(memoryAllocation=vim.ResourceAllocationInfo(reservation=64 * GB))
    refused = cluster.PlaceVm(vim.cluster.PlacementSpec(
        placementType='reconfigure', vm=source, configSpec=huge))
    assert refused.recommendations == [] and refused.drsFault.reason == 'reconfigure'
    with pytest.raises(vmodl.fault.InvalidArgument):    # a clone needs its cloneSpec
        cluster.PlaceVm(vim.cluster.PlacementSpec(placementType='clone', vm=source))
    with pytest.raises(vmodl.fault.InvalidArgument) as bad:
        cluster.PlaceVm(vim.cluster.PlacementSpec(
            placementType='clone', vm=source, cloneSpec=vim.vm.CloneSpec(
                location=vim.vm.RelocateSpec(), config=vim.vm.ConfigSpec(numCPUs=-1))))
    assert bad.value.invalidProperty == 'placementSpec.cloneSpec.config.numCPUs'
    WaitForTask(source.PowerOnVM_Task(host=hosts[0]))
    with pytest.raises(vmodl.fault.NotSupported):
        cluster.PlaceVm(vim.cluster.PlacementSpec(
            placementType='reconfigure', vm=source, configSpec=big))


def test_relocate_placement_moves_to_the_datastores_asked_for(si, sim, cluster):
    hosts = list(cluster.host)
    vm = new_vms(si, cluster, hosts[0], 'mover', 1, power_on=False)[0]
    nfs = hosts[1].configManager.datastoreSystem.CreateNasDatastore(
        vim.host.NasVolume.Specification(
            remoteHost='nfs.example.com', remotePath='/%s-move' % cluster.name,
            localPath='%s-move' % cluster.name, accessMode='readWrite', type='NFS'))
    # only the host that mounts the datastore asked for can take the VM's files
    moved = cluster.PlaceVm(vim.cluster.PlacementSpec(
        placementType='relocate', vm=vm, relocateSpec=vim.vm.RelocateSpec(datastore=nfs)))
    assert targets(moved) == [hosts[1]]
    action = moved.recommendations[0].action[0]
    assert action.vm == vm and action.relocateSpec.datastore == nfs
    listed = cluster.PlaceVm(vim.cluster.PlacementSpec(
        placementType='relocate', vm=vm, datastores=[nfs]))
    assert targets(listed) == [hosts[1]]
    # the relocateSpec's datastore wins over the list
    local = vm.datastore[0]
    both = cluster.PlaceVm(vim.cluster.PlacementSpec(
        placementType='relocate', vm=vm, datastores=[nfs],
        relocateSpec=vim.vm.RelocateSpec(datastore=local)))
    assert set(targets(both)) == set(hosts)
    assert {r.action[0].relocateSpec.datastore for r in both.recommendations} == {local}
    staying = cluster.PlaceVm(vim.cluster.PlacementSpec(placementType='relocate', vm=vm))
    assert {r.action[0].relocateSpec.datastore for r in staying.recommendations} == {local}
