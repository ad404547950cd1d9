"""Storage DRS rules with pyVmomi: VM anti-affinity rules of a pod
(ConfigureStorageDrsForPod_Task add/edit/remove, vCenter's validation,
ValidateStoragePodConfig), honoured by RecommendDatastores, maintenance
evacuation and space balancing; VMDK anti-affinity laying a new VM's disks
out on distinct datastores; RefreshStorageDrsRecommendationsForPod_Task and
QueryDatastorePerformanceSummary."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import VmomiSupport, vim, vmodl

from tests.conftest import on_reactor
from tests.test_datastore_lifecycle import model, running, si  # noqa: F401 (four datastores)
from tests.test_folder_http import leave_free
from tests.test_sdrs import GB_KB


@pytest.fixture
def env(si):  # noqa: F811
    """(StorageResourceManager, datacenter, pod with LocalDS_1..3, those datastores)."""
    content = si.RetrieveContent()
    dc = content.rootFolder.childEntity[0]
    pod = next(p for p in dc.datastoreFolder.childEntity if isinstance(p, vim.StoragePod))
    members = sorted((d for d in dc.datastore if d.name in ('LocalDS_1', 'LocalDS_2',
                                                            'LocalDS_3')), key=lambda d: d.name)
    outside = [d for d in members if d.parent != pod]
    if outside:
        WaitForTask(pod.MoveIntoFolder_Task(outside))
    return content.storageResourceManager, dc, pod, members


def vm_named(dc, name):
    return next(v for v in dc.vmFolder.childEntity if v.name == name)


def rule_change(operation, **info):
    if operation == 'remove':
        return vim.cluster.RuleSpec(operation='remove', removeKey=info['key'])
    return vim.cluster.RuleSpec(operation=operation,
                                info=vim.cluster.AntiAffinityRuleSpec(**info))


def configure(srm, pod, rules=(), vm_configs=()):
    return srm.ConfigureStorageDrsForPod_Task(pod, vim.storageDrs.ConfigSpec(
        podConfigSpec=vim.storageDrs.PodConfigSpec(rule=list(rules)),
        vmConfigSpec=list(vm_configs)), modify=True)


def pod_rules(pod):
    return pod.podStorageDrsEntry.storageDrsConfig.podConfig.rule


@pytest.fixture
def apart(env):
    """DC0_H0_VM0 and DC0_H0_VM1 on LocalDS_1 under a VM anti-affinity rule;
    afterwards back on LocalDS_0 and the rule gone."""
    srm, dc, pod, members = env
    vms = [vm_named(dc, 'DC0_H0_VM0'), vm_named(dc, 'DC0_H0_VM1')]
    for vm in vms:
        WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=members[0])))
    WaitForTask(configure(srm, pod, [rule_change('add', name='apart', enabled=True, vm=vms)]))
    yield vms
    for rule in pod_rules(pod):
        WaitForTask(configure(srm, pod, [rule_change('remove', key=rule.key)]))
    home = next(d for d in dc.datastore if d.name == 'LocalDS_0')
    for vm in vms:
        WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(datastore=home)))


def test_rules_are_configured_and_validated(env, apart):
    srm, dc, pod, members = env
    [rule] = pod_rules(pod)
    assert isinstance(rule, vim.cluster.AntiAffinityRuleSpec)
    assert rule.name == 'apart' and rule.enabled and rule.key and rule.ruleUuid
    assert set(rule.vm) == set(apart)
    WaitForTask(configure(srm, pod, [rule_change('edit', key=rule.key, name='kept-apart',
                                                 vm=apart)]))
    assert [r.name for r in pod_rules(pod)] == ['kept-apart']
    outside = vm_named(dc, 'DC0_C0_RP0_VM0')   # its files are on LocalDS_0, not in the pod
    bad = [[rule_change('add', name='one', vm=apart[:1])],
           [rule_change('add', name='twice', vm=[apart[0], apart[0]])],
           [rule_change('add', name='outside', vm=[apart[0], outside])],
           [rule_change('add', vm=apart)],
           [rule_change('remove', key=rule.key + 100)],
           [vim.cluster.RuleSpec(operation='add', info=vim.cluster.AffinityRuleSpec(
               name='together', vm=apart))]]
    strings = VmomiSupport.GetVmodlType('string[]')
    bad.append([vim.cluster.RuleSpec(operation='remove', removeKey=strings(['x']))])
    specs = [vim.storageDrs.ConfigSpec(podConfigSpec=vim.storageDrs.PodConfigSpec(rule=rules))
             for rules in bad]
    # a removeKey that is an array names nothing (it was a TypeError)
    specs.append(vim.storageDrs.ConfigSpec(vmConfigSpec=[vim.storageDrs.VmConfigSpec(
        operation='remove', removeKey=strings([]))]))
    for spec in specs:
        error = srm.ValidateStoragePodConfig(pod, spec)
        assert isinstance(error, vmodl.fault.InvalidArgument), spec
        with pytest.raises(vmodl.fault.InvalidArgument):
            srm.ConfigureStorageDrsForPod_Task(pod, spec, modify=True)
    assert srm.ValidateStoragePodConfig(pod, vim.storageDrs.ConfigSpec(
        podConfigSpec=vim.storageDrs.PodConfigSpec(rule=[rule_change(
            'add', name='fine', vm=apart)]))) is None
    assert [r.name for r in pod_rules(pod)] == ['kept-apart']   # validating changed nothing


def test_placement_keeps_anti_affine_vms_apart(env, apart):
    srm, dc, pod, members = env
    first, second = apart
    result = srm.RecommendDatastores(vim.storageDrs.StoragePlacementSpec(
        type='relocate', vm=first,
        podSelectionSpec=vim.storageDrs.PodSelectionSpec(storagePod=pod)))
    assert {r.action[0].destination for r in result.recommendations} == set(members[1:])
    # a disabled rule no longer counts
    [rule] = pod_rules(pod)
    WaitForTask(configure(srm, pod, [rule_change('edit', key=rule.key, enabled=False,
                                                 vm=apart)]))
    result = srm.RecommendDatastores(vim.storageDrs.StoragePlacementSpec(
        type='relocate', vm=first,
        podSelectionSpec=vim.storageDrs.PodSelectionSpec(storagePod=pod)))
    assert members[0] in {r.action[0].destination for r in result.recommendations}
    srm.CancelStorageDrsRecommendation([r.key for r in pod.podStorageDrsEntry.recommendation])


def test_evacuation_keeps_anti_affine_vms_apart(env, apart):
    srm, dc, pod, members = env
    result = members[0].DatastoreEnterMaintenanceMode()
    try:
        moves = {r.action[0].vm: r.action[0].destination for r in result.recommendations}
        assert set(moves) == set(apart)
        assert moves[apart[0]] != moves[apart[1]] and members[0] not in moves.values()
    finally:
        srm.CancelStorageDrsRecommendation([r.key for r in result.recommendations])
        WaitForTask(members[0].DatastoreExitMaintenanceMode_Task())


def test_balancing_keeps_anti_affine_vms_apart(running, env, apart):
    srm, dc, pod, members = env
    full, roomy, roomier = members
    first, second = apart
    WaitForTask(first.RelocateVM_Task(vim.vm.RelocateSpec(datastore=roomier)))
    saved = [(model(running, d), model(running, d).capacity) for d in (full, roomy)]
    on_reactor(leave_free, saved[0][0], 0)                    # past every threshold
    on_reactor(leave_free, saved[1][0], 200 * GB_KB * 1024)   # less room than roomier
    try:
        task = srm.RefreshStorageDrsRecommendationsForPod_Task(pod)
        WaitForTask(task)
        [recommendation] = pod.podStorageDrsEntry.recommendation
        [action] = recommendation.action
        # the one with most room holds its partner: it goes to the other
        assert (action.vm, action.source, action.destination) == (second, full, roomy)
        srm.CancelStorageDrsRecommendation([recommendation.key])
    finally:
        for ds, capacity in saved:
            on_reactor(setattr, ds, 'capacity', capacity)


def disk_specs(places):
    """The device changes adding a controller and a thin 1 GB disk for each
    of `places` (a datastore's '[name]', or None for the VM's home); keys -10, -11, ..."""
    controller = vim.vm.device.VirtualDeviceSpec(
        operation='add', device=vim.vm.device.VirtualLsiLogicController(
            key=1000, busNumber=0, sharedBus='noSharing'))
    return [controller] + [vim.vm.device.VirtualDeviceSpec(
        operation='add', fileOperation='create', device=vim.vm.device.VirtualDisk(
            key=-10 - unit, capacityInKB=GB_KB, controllerKey=1000, unitNumber=unit,
            backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
                diskMode='persistent', thinProvisioned=True, **(
                    {'fileName': place} if place else {}))))
        for unit, place in enumerate(places)]


def keep_disks_apart(srm, pod, vm, keys):
    """Give the pod a VMDK anti-affinity rule for the VM's disks `keys`."""
    WaitForTask(configure(srm, pod, vm_configs=[vim.storageDrs.VmConfigSpec(
        operation='add', info=vim.storageDrs.VmConfigInfo(
            vm=vm, intraVmAffinity=False,
            intraVmAntiAffinity=vim.storageDrs.VirtualDiskAntiAffinityRuleSpec(
                name='disks-apart', enabled=True, diskId=keys)))]))


def test_vmdk_anti_affinity_lays_disks_out_apart(env):
    srm, dc, pod, members = env
    changes = disk_specs([None] * 3)
    rule = vim.storageDrs.VirtualDiskAntiAffinityRuleSpec(name='disks-apart', enabled=True,
                                                         diskId=[-10, -11, -12])
    spec = vim.storageDrs.StoragePlacementSpec(
        type='create', configSpec=vim.vm.ConfigSpec(
            name='spread', guestId='otherGuest64', memoryMB=64, numCPUs=1,
            deviceChange=changes),
        folder=dc.vmFolder, resourcePool=dc.hostFolder.childEntity[0].resourcePool,
        podSelectionSpec=vim.storageDrs.PodSelectionSpec(initialVmConfig=[
            vim.storageDrs.PodSelectionSpec.VmPodConfig(
                storagePod=pod, vmConfig=vim.storageDrs.VmConfigInfo(
                    intraVmAffinity=False, intraVmAntiAffinity=rule))]))
    result = srm.RecommendDatastores(spec)
    assert len(result.recommendations) == 3   # each datastore can be the home
    best = result.recommendations[0].action[0]
    located = {d.diskId: d.datastore for d in best.relocateSpec.disk}
    assert set(located) == {-11, -12}
    assert len({best.destination, located[-11], located[-12]}) == 3
    task = srm.ApplyStorageDrsRecommendation_Task([result.recommendations[0].key])
    WaitForTask(task)
    vm = task.info.result.vm
    try:
        assert set(vm.datastore) == set(members)
        homes = sorted(d.backing.datastore.name for d in vm.config.hardware.device
                       if isinstance(d, vim.vm.device.VirtualDisk))
        assert homes == sorted(m.name for m in members)
        # the rule kept for the VM: its disks stay where they are
        keys = [d.key for d in vm.config.hardware.device
                if isinstance(d, vim.vm.device.VirtualDisk)]
        keep_disks_apart(srm, pod, vm, keys)
        with pytest.raises(vim.fault.StorageDrsUnableToMoveFiles):
            members[0].DatastoreEnterMaintenanceMode()
        for bad in (dict(diskId=keys[:1]), dict(diskId=keys[:1] + [12345])):
            with pytest.raises(vmodl.fault.InvalidArgument):
                configure(srm, pod, vm_configs=[vim.storageDrs.VmConfigSpec(
                    operation='edit', info=vim.storageDrs.VmConfigInfo(
                        vm=vm, intraVmAntiAffinity=vim.storageDrs.VirtualDiskAntiAffinityRuleSpec(
                            name='bad', enabled=True, **bad)))])
        with pytest.raises(vmodl.fault.InvalidArgument):   # contradicts intra-VM affinity
            configure(srm, pod, vm_configs=[vim.storageDrs.VmConfigSpec(
                operation='edit', info=vim.storageDrs.VmConfigInfo(
                    vm=vm, intraVmAffinity=True,
                    intraVmAntiAffinity=vim.storageDrs.VirtualDiskAntiAffinityRuleSpec(
                        name='both', enabled=True, diskId=keys)))])
    finally:
        WaitForTask(configure(srm, pod, vm_configs=[vim.storageDrs.VmConfigSpec(
            operation='remove', removeKey=vm)]))
        WaitForTask(vm.Destroy_Task())


@pytest.fixture
def spread(env):
    """A VM with its home and first disk on LocalDS_1 and its second disk on
    LocalDS_2, the two kept apart by a VMDK anti-affinity rule; destroyed after."""
    srm, dc, pod, members = env
    task = dc.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(
        name='disks-apart', guestId='otherGuest64', memoryMB=64, numCPUs=1,
        files=vim.vm.FileInfo(vmPathName='[%s]' % members[0].name),
        deviceChange=disk_specs(['[%s]' % ds.name for ds in members[:2]])),
        dc.hostFolder.childEntity[0].resourcePool)
    WaitForTask(task)
    vm = task.info.result
    keys = [d.key for d in vm.config.hardware.device
            if isinstance(d, vim.vm.device.VirtualDisk)]
    keep_disks_apart(srm, pod, vm, keys)
    yield vm, keys
    WaitForTask(configure(srm, pod, vm_configs=[vim.storageDrs.VmConfigSpec(
        operation='remove', removeKey=vm)]))
    WaitForTask(vm.Destroy_Task())


def cancel_all(srm, pod):
    left = [r.key for r in pod.podStorageDrsEntry.recommendation]
    if left:
        srm.CancelStorageDrsRecommendation(left)


def disk_homes(vm):
    return [d.backing.datastore for d in vm.config.hardware.device
            if isinstance(d, vim.vm.device.VirtualDisk)]


def test_evacuation_moves_disks_kept_apart_one_by_one(env, spread):
    srm, dc, pod, members = env
    vm, keys = spread
    # the datastore of the second disk alone: that disk moves, by a disk locator
    result = members[1].DatastoreEnterMaintenanceMode()
    try:
        [recommendation] = result.recommendations
        [action] = recommendation.action
        assert (action.vm, action.source, action.destination) == (vm, members[1], members[2])
        assert action.relocateSpec.datastore == members[0]
        assert [(d.diskId, d.datastore) for d in action.relocateSpec.disk] == [
            (keys[1], members[2])]
        # meanwhile no disk may move onto the datastore entering maintenance
        with pytest.raises(vim.fault.InvalidDatastoreState):
            WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(disk=[
                vim.vm.RelocateSpec.DiskLocator(diskId=keys[0], datastore=members[1])])))
        WaitForTask(srm.ApplyStorageDrsRecommendation_Task([recommendation.key]))
        WaitForTask(result.task)
        assert members[1].summary.maintenanceMode == 'inMaintenance'
        assert disk_homes(vm) == [members[0], members[2]]
        assert vm.datastore[0] == members[0] and members[1] not in vm.datastore
        with pytest.raises(vim.fault.InvalidDatastoreState):
            WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(disk=[
                vim.vm.RelocateSpec.DiskLocator(diskId=keys[0], datastore=members[1])])))
    finally:
        cancel_all(srm, pod)
        WaitForTask(members[1].DatastoreExitMaintenanceMode_Task())
    # the home's datastore: the VM moves, to the one datastore its other disk is not on
    result = members[0].DatastoreEnterMaintenanceMode()
    try:
        [recommendation] = result.recommendations
        [action] = recommendation.action
        assert (action.source, action.destination) == (members[0], members[1])
        assert action.relocateSpec.datastore == members[1] and not action.relocateSpec.disk
        WaitForTask(srm.ApplyStorageDrsRecommendation_Task([recommendation.key]))
        WaitForTask(result.task)
        assert vm.datastore[0] == members[1]
        assert disk_homes(vm) == [members[1], members[2]]
    finally:
        cancel_all(srm, pod)
        WaitForTask(members[0].DatastoreExitMaintenanceMode_Task())


def test_balancing_moves_a_disk_kept_apart(running, env, spread):
    srm, dc, pod, members = env
    vm, keys = spread
    saved = [(model(running, d), model(running, d).capacity) for d in members]
    on_reactor(leave_free, saved[1][0], 0)                     # the second disk's: full
    on_reactor(leave_free, saved[2][0], 200 * GB_KB * 1024)    # less room than the home's
    try:
        WaitForTask(srm.RefreshStorageDrsRecommendationsForPod_Task(pod))
        [recommendation] = pod.podStorageDrsEntry.recommendation
        [action] = recommendation.action
        # the home's datastore has most room, but the rule keeps the disk off it
        assert (action.vm, action.source, action.destination) == (vm, members[1], members[2])
        assert [(d.diskId, d.datastore) for d in action.relocateSpec.disk] == [
            (keys[1], members[2])]
        WaitForTask(srm.ApplyStorageDrsRecommendation_Task([recommendation.key]))
        assert disk_homes(vm) == [members[0], members[2]]
        assert vm.datastore[0] == members[0]
    finally:
        cancel_all(srm, pod)
        for ds, capacity in saved:
            on_reactor(setattr, ds, 'capacity', capacity)


def test_datastore_performance_summary(env):
    srm, dc, pod, members = env
    [summary] = srm.QueryDatastorePerformanceSummary(members[0])
    assert summary.interval == 86400 and list(summary.percentile) == [90]
    assert list(summary.datastoreReadLatency) == [0.0] and summary.siocActivityDuration == 0
    with pytest.raises(vmodl.fault.InvalidArgument):
        srm.QueryDatastorePerformanceSummary(vim.Datastore(pod._moId))
