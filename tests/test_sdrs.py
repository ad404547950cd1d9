"""Storage DRS with pyVmomi: a pod's configuration (ConfigureStorageDrsForPod_Task,
podStorageDrsEntry following), initial placement (RecommendDatastores for
create, clone and relocate, by free space; applying one alternative drops
the others; no room gives a drsFault), cancelling, space load balancing
(RefreshStorageDrsRecommendation), and Storage I/O Control."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, logged_in, on_reactor
from tests.test_datastore_lifecycle import model
from tests.test_folder_http import leave_free

MB = 1 << 20
GB_KB = 1 << 20


@pytest.fixture(scope='module')
def running(validator):
    return _simulator(validator, tls=False, ds=3, pod=1)


@pytest.fixture
def si(running):
    yield from logged_in(running)


@pytest.fixture
def env(si):
    content = si.RetrieveContent()
    dc = content.rootFolder.childEntity[0]
    pod = next(p for p in dc.datastoreFolder.childEntity if isinstance(p, vim.StoragePod))
    members = [d for d in dc.datastore if d.name in ('LocalDS_1', 'LocalDS_2')]
    outside = [d for d in members if d.parent != pod]
    if outside:
        WaitForTask(pod.MoveIntoFolder_Task(outside))
    return content.storageResourceManager, dc, pod, sorted(members, key=lambda d: d.name)


def pod_config(spec=None, **fields):
    return vim.storageDrs.ConfigSpec(podConfigSpec=spec or vim.storageDrs.PodConfigSpec(
        **fields))


def test_configure_the_pod(env):
    srm, _, pod, _ = env
    space = vim.storageDrs.SpaceLoadBalanceConfig(spaceUtilizationThreshold=70)
    WaitForTask(srm.ConfigureStorageDrsForPod_Task(pod, pod_config(
        vim.storageDrs.PodConfigSpec(defaultVmBehavior='automated',
                                     spaceLoadBalanceConfig=space)), modify=True))
    config = pod.podStorageDrsEntry.storageDrsConfig.podConfig
    assert config.defaultVmBehavior == 'automated'
    assert config.spaceLoadBalanceConfig.spaceUtilizationThreshold == 70
    assert config.spaceLoadBalanceConfig.minSpaceUtilizationDifference == 5   # kept
    with pytest.raises(vmodl.fault.InvalidArgument):
        srm.ConfigureStorageDrsForPod_Task(pod, pod_config(
            spaceLoadBalanceConfig=vim.storageDrs.SpaceLoadBalanceConfig(
                spaceUtilizationThreshold=30)), modify=True)
    with pytest.raises(vmodl.fault.InvalidArgument):
        srm.ConfigureStorageDrsForPod_Task(pod, pod_config(defaultVmBehavior='sometimes'),
                                           modify=True)
    WaitForTask(srm.ConfigureStorageDrsForPod_Task(pod, pod_config(enabled=True),
                                                   modify=False))   # the rest: defaults
    config = pod.podStorageDrsEntry.storageDrsConfig.podConfig
    assert config.defaultVmBehavior == 'manual'
    assert config.spaceLoadBalanceConfig.spaceUtilizationThreshold == 80


def _create_spec(dc, pod, name):
    disk = vim.vm.device.VirtualDeviceSpec(
        operation='add', fileOperation='create', device=vim.vm.device.VirtualDisk(
            capacityInKB=GB_KB, controllerKey=1000, unitNumber=0,
            backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode='persistent',
                                                                  thinProvisioned=True)))
    scsi = vim.vm.device.VirtualDeviceSpec(
        operation='add', device=vim.vm.device.VirtualLsiLogicController(key=1000, busNumber=0,
                                                           sharedBus='noSharing'))
    config = vim.vm.ConfigSpec(name=name, guestId='otherGuest64', memoryMB=64, numCPUs=1,
                               deviceChange=[scsi, disk])
    pool = dc.hostFolder.childEntity[0].resourcePool
    return vim.storageDrs.StoragePlacementSpec(
        type='create', configSpec=config, folder=dc.vmFolder, resourcePool=pool,
        podSelectionSpec=vim.storageDrs.PodSelectionSpec(storagePod=pod))


def test_initial_placement_of_a_new_vm(running, env):
    srm, dc, pod, members = env
    roomy, tight = members
    tight_model = model(running, tight)
    capacity = tight_model.capacity
    on_reactor(leave_free, tight_model, 512 * MB)
    try:
        result = srm.RecommendDatastores(_create_spec(dc, pod, 'placed-vm'))
    finally:
        on_reactor(setattr, tight_model, 'capacity', capacity)
    [best] = result.recommendations           # the full datastore cannot take 1 GB
    assert best.reason == 'storagePlacement' and best.target == pod
    [action] = best.action
    assert action.destination == roomy and action.spaceUtilAfter > action.spaceUtilBefore
    assert best.key in [r.key for r in pod.podStorageDrsEntry.recommendation]

    result = srm.RecommendDatastores(_create_spec(dc, pod, 'placed-vm'))
    assert [r.action[0].destination for r in result.recommendations] in (
        [roomy, tight], [tight, roomy])
    chosen = result.recommendations[0]
    task = srm.ApplyStorageDrsRecommendation_Task([chosen.key])
    WaitForTask(task)
    vm = task.info.result.vm
    assert vm.name == 'placed-vm' and vm.datastore == [chosen.action[0].destination]
    remaining = [r.key for r in pod.podStorageDrsEntry.recommendation]
    assert not {r.key for r in result.recommendations} & set(remaining)
    with pytest.raises(vmodl.fault.InvalidArgument):       # applied: gone
        srm.ApplyStorageDrsRecommendation_Task([chosen.key])
    srm.CancelStorageDrsRecommendation([best.key])
    assert best.key not in [r.key for r in pod.podStorageDrsEntry.recommendation]
    WaitForTask(vm.Destroy_Task())


def test_placement_for_relocate_and_clone(running, env):
    srm, dc, pod, members = env
    vm = next(v for v in dc.vmFolder.childEntity if v.name == 'DC0_H0_VM0')
    result = srm.RecommendDatastores(vim.storageDrs.StoragePlacementSpec(
        type='relocate', vm=vm, podSelectionSpec=vim.storageDrs.PodSelectionSpec(storagePod=pod)))
    assert {r.action[0].destination for r in result.recommendations} == set(members)
    assert all(r.action[0].vm == vm for r in result.recommendations)
    chosen = result.recommendations[0]
    WaitForTask(srm.ApplyStorageDrsRecommendation_Task([chosen.key]))
    assert vm.datastore == [chosen.action[0].destination]

    result = srm.RecommendDatastores(vim.storageDrs.StoragePlacementSpec(
        type='clone', vm=vm, cloneName='sdrs-clone', cloneSpec=vim.vm.CloneSpec(
            location=vim.vm.RelocateSpec()),
        podSelectionSpec=vim.storageDrs.PodSelectionSpec(storagePod=pod)))
    task = srm.ApplyStorageDrsRecommendation_Task([result.recommendations[0].key])
    WaitForTask(task)
    clone = task.info.result.vm
    assert clone.name == 'sdrs-clone'
    assert clone.datastore == [result.recommendations[0].action[0].destination]
    WaitForTask(clone.Destroy_Task())
    WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(
        datastore=next(d for d in dc.datastore if d.name == 'LocalDS_0'))))
    with pytest.raises(vmodl.fault.InvalidArgument):
        srm.RecommendDatastores(vim.storageDrs.StoragePlacementSpec(
            type='relocate', podSelectionSpec=vim.storageDrs.PodSelectionSpec(storagePod=pod)))


def test_no_room_is_a_drs_fault(running, env):
    srm, dc, pod, members = env
    saved = [(m, m.capacity) for m in (model(running, d) for d in members)]
    for m, _ in saved:
        on_reactor(leave_free, m, 256 * MB)
    try:
        result = srm.RecommendDatastores(_create_spec(dc, pod, 'nowhere'))
    finally:
        for m, capacity in saved:
            on_reactor(setattr, m, 'capacity', capacity)
    assert not result.recommendations
    drs_fault = result.drsFault
    assert drs_fault.reason == 'storagePlacement'
    assert isinstance(drs_fault.faultsByVm[0].fault[0], vim.fault.NoDiskSpace)


def test_space_load_balancing(running, env, si):
    srm, dc, pod, members = env
    full, empty = members
    vm = next(v for v in dc.vmFolder.childEntity if v.name == 'DC0_H0_VM1')
    WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=full)))
    full_model = model(running, full)
    capacity = full_model.capacity
    on_reactor(leave_free, full_model, 0)          # past every threshold
    try:
        srm.RefreshStorageDrsRecommendation(pod)
        [recommendation] = pod.podStorageDrsEntry.recommendation
        assert recommendation.reason == 'balanceDatastoreSpaceUsage'
        [action] = recommendation.action
        assert (action.vm, action.source, action.destination) == (vm, full, empty)
        WaitForTask(srm.ApplyStorageDrsRecommendationToPod_Task(pod, recommendation.key))
        assert vm.datastore == [empty] and not pod.podStorageDrsEntry.recommendation
    finally:
        on_reactor(setattr, full_model, 'capacity', capacity)
    WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(
        datastore=next(d for d in dc.datastore if d.name == 'LocalDS_0'))))


def test_storage_io_control(env, si):
    srm, dc, _, members = env
    host = dc.hostFolder.childEntity[0].host[0]
    option = srm.QueryIORMConfigOption(host)
    assert option.congestionThresholdOption.min == 5 and option.enabledOption.supported
    ds = members[0]
    WaitForTask(srm.ConfigureDatastoreIORM_Task(ds, vim.StorageResourceManager.IORMConfigSpec(
        enabled=True, congestionThresholdMode='manual', congestionThreshold=45)))
    iorm = ds.iormConfiguration
    assert (iorm.enabled, iorm.congestionThresholdMode, iorm.congestionThreshold) == \
        (True, 'manual', 45)
    assert iorm.percentOfPeakThroughput == 90                  # kept
    with pytest.raises(vmodl.fault.InvalidArgument):
        srm.ConfigureDatastoreIORM_Task(ds, vim.StorageResourceManager.IORMConfigSpec(
            congestionThreshold=500))

