"""Resource pools and vApps with pyVmomi: CreateResourcePool, UpdateConfig,
UpdateChildResourceConfiguration, MoveIntoResourcePool, DestroyChildren,
Destroy_Task, RefreshRuntime; CreateVApp, UpdateVAppConfig, PowerOnVApp_Task /
PowerOffVApp_Task / SuspendVApp_Task in start order, Destroy_Task and
unregisterVApp_Task. Reservations, limits and shares are read back from config,
summary and runtime; a second session's WaitForUpdatesEx sees each step and
QueryEvents finds the events."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, logged_in
from tests.watching import Watcher, paths_of

MB = 1024 * 1024
PC = vmodl.query.PropertyCollector


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, autostart=False)


@pytest.fixture
def other(sim):
    yield from logged_in(sim)


@pytest.fixture
def cluster(si):
    return si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/host/DC0_C0')


def allocation(reservation=0, limit=-1, level='normal', shares=None, expandable=True):
    return vim.ResourceAllocationInfo(reservation=reservation, limit=limit,
                                      expandableReservation=expandable,
                                      shares=vim.SharesInfo(level=level, shares=shares or 0))


def pool_spec(cpu=None, memory=None):
    return vim.ResourceConfigSpec(cpuAllocation=cpu or allocation(),
                                  memoryAllocation=memory or allocation())


def events(si, types, entity=None):
    """Events of `types`; `entity`: about that VM (its `vm` argument) or pool
    (its `resourcePool` argument)."""
    found = si.RetrieveContent().eventManager.QueryEvents(
        vim.event.EventFilterSpec(eventTypeId=types))
    if entity is None:
        return found
    if isinstance(entity, vim.VirtualMachine):
        return [e for e in found if e.vm is not None and e.vm.vm == entity]
    return [e for e in found if e.resourcePool.resourcePool == entity]


def test_nested_pools_reservations_limits_shares(si, other, cluster):
    root = cluster.resourcePool
    watcher = Watcher(other, root, vim.ResourcePool,
                      ['resourcePool', 'runtime.cpu.reservationUsed', 'name', 'config'],
                      select=[PC.TraversalSpec(name='pools', type=vim.ResourcePool,
                                               path='resourcePool', selectSet=[
                                                   PC.SelectionSpec(name='pools')])])
    used_before = root.runtime.cpu.reservationUsed
    parent = root.CreateResourcePool('rp-a', pool_spec(
        cpu=allocation(1000, limit=4000, level='high', expandable=False),
        memory=allocation(512, limit=2048, level='low', expandable=False)))
    child = parent.CreateResourcePool('rp-b', pool_spec(
        cpu=allocation(400, level='custom', shares=1234)))
    seen = watcher.changes(until=lambda seen: {parent._moId, child._moId}
                           <= {moid for moid, _, _, _, _ in seen})
    assert ('enter' in {kind for moid, kind, _, _, _ in seen if moid == child._moId})
    # config: shares from their level (custom kept), limits and reservations as given
    config = parent.config
    assert config.cpuAllocation.shares.shares == 8000 and config.cpuAllocation.limit == 4000
    assert config.memoryAllocation.shares.shares == 81920
    assert config.memoryAllocation.reservation == 512
    assert child.config.cpuAllocation.shares.shares == 1234
    assert [c.entity for c in parent.childConfiguration] == [child]
    # runtime: the child's reservation is held in its parent, the parent's in the root
    runtime = parent.runtime
    assert runtime.cpu.reservationUsed == 400 and runtime.cpu.unreservedForPool == 600
    assert runtime.cpu.maxUsage == 4000
    assert runtime.memory.reservationUsed == 0 and runtime.memory.unreservedForPool == 512 * MB
    assert runtime.memory.maxUsage == 2048 * MB
    assert child.runtime.cpu.maxUsage == 4000          # unlimited: the parent's limit
    # expandable: its own unused reservation and what its parent has left
    assert child.runtime.cpu.unreservedForPool == 400 + 600
    assert root.runtime.cpu.reservationUsed == used_before + 1000
    summary = parent.summary
    assert summary.config.cpuAllocation.reservation == 1000
    assert summary.runtime.cpu.reservationUsed == 400
    assert cluster.summary.usageSummary.cpuReservationMhz == used_before + 1000
    assert cluster.summary.usageSummary.memReservationMB >= 512
    # UpdateConfig: rename and change shares; the change version moves
    version = parent.config.changeVersion
    parent.UpdateConfig('rp-renamed', vim.ResourceConfigSpec(
        changeVersion=version, cpuAllocation=vim.ResourceAllocationInfo(
            shares=vim.SharesInfo(level='low', shares=0), reservation=1500),
        memoryAllocation=vim.ResourceAllocationInfo()))
    assert parent.name == 'rp-renamed'
    assert parent.config.cpuAllocation.shares.shares == 2000
    assert parent.config.cpuAllocation.reservation == 1500
    assert parent.config.cpuAllocation.limit == 4000           # unchanged parts stay
    assert parent.config.changeVersion != version and parent.config.lastModified
    seen = watcher.changes(until=lambda seen: 'name' in paths_of(seen))
    assert (parent._moId, 'modify', 'name', 'assign', 'rp-renamed') in seen
    assert root.runtime.cpu.reservationUsed == used_before + 1500
    # faults: a stale change version, a sibling's name, limit below reservation, the root
    with pytest.raises(vim.fault.ConcurrentAccess):
        parent.UpdateConfig(None, vim.ResourceConfigSpec(
            changeVersion=version, cpuAllocation=vim.ResourceAllocationInfo(),
            memoryAllocation=vim.ResourceAllocationInfo()))
    sibling = root.CreateResourcePool('rp-c', pool_spec())
    with pytest.raises(vim.fault.DuplicateName):
        sibling.UpdateConfig('rp-renamed', None)
    with pytest.raises(vim.fault.DuplicateName):
        root.CreateResourcePool('rp-c', pool_spec())
    with pytest.raises(vmodl.fault.InvalidArgument):
        parent.UpdateConfig(None, vim.ResourceConfigSpec(
            cpuAllocation=vim.ResourceAllocationInfo(limit=100),
            memoryAllocation=vim.ResourceAllocationInfo()))
    with pytest.raises(vmodl.fault.InvalidArgument):
        root.UpdateConfig(None, pool_spec())
    with pytest.raises(vmodl.fault.InvalidArgument):
        root.CreateResourcePool('rp-bad', pool_spec(cpu=allocation(-5)))
    assert parent.config.cpuAllocation.reservation == 1500
    [created] = events(si, ['ResourcePoolCreatedEvent'], entity=child)
    assert created.parent.resourcePool == parent
    [reconfigured] = events(si, ['ResourcePoolReconfiguredEvent'], entity=parent)
    assert 'config.cpuAllocation.reservation: 1000 -> 1500' in \
        reconfigured.configChanges.modified
    # RefreshRuntime answers; Destroy_Task takes the pools away again
    parent.RefreshRuntime()
    for pool in (sibling, parent):
        WaitForTask(pool.Destroy_Task())
    # rp-b moved up to the root with its reservation
    assert child.parent == root and child in root.resourcePool
    assert root.runtime.cpu.reservationUsed == used_before + 400
    seen = watcher.changes(until=lambda seen: (parent._moId, 'leave') in {
        (moid, kind) for moid, kind, _, _, _ in seen})
    assert (parent._moId, 'leave') in {(moid, kind) for moid, kind, _, _, _ in seen}
    WaitForTask(child.Destroy_Task())
    assert root.runtime.cpu.reservationUsed == used_before
    assert len(events(si, ['ResourcePoolDestroyedEvent'])) == 3


def test_child_resource_configuration_of_pools_and_vms(si, cluster):
    root = cluster.resourcePool
    pool = root.CreateResourcePool('rp-vms', pool_spec())
    vm = root.vm[0]
    pool.MoveIntoResourcePool([vm])
    assert vm.resourcePool == pool
    root.UpdateChildResourceConfiguration([vim.ResourceConfigSpec(
        entity=pool, cpuAllocation=allocation(700, expandable=False),
        memoryAllocation=allocation(256))])
    assert pool.config.cpuAllocation.reservation == 700
    pool.UpdateChildResourceConfiguration([vim.ResourceConfigSpec(
        entity=vm, cpuAllocation=vim.ResourceAllocationInfo(reservation=300),
        memoryAllocation=vim.ResourceAllocationInfo(reservation=128))])
    assert vm.resourceConfig.cpuAllocation.reservation == 300
    assert vm.config.memoryAllocation.reservation == 128
    # a powered-on VM holds its reservation in its pool
    assert pool.runtime.cpu.reservationUsedForVm == 0
    WaitForTask(vm.PowerOnVM_Task())
    assert pool.runtime.cpu.reservationUsedForVm == 300
    assert pool.runtime.memory.reservationUsedForVm == 128 * MB
    assert pool.runtime.cpu.unreservedForPool == 400
    WaitForTask(vm.PowerOffVM_Task())
    assert cluster.summary.usageSummary.poweredOffCpuReservationMhz >= 300
    # an entity that is not a child is refused, and nothing is applied
    with pytest.raises(vmodl.fault.InvalidArgument):
        root.UpdateChildResourceConfiguration([
            vim.ResourceConfigSpec(entity=pool, cpuAllocation=allocation(10),
                                   memoryAllocation=allocation()),
            vim.ResourceConfigSpec(entity=vm, cpuAllocation=allocation(10),
                                   memoryAllocation=allocation())])
    assert pool.config.cpuAllocation.reservation == 700
    assert events(si, ['VmReconfiguredEvent'], entity=vm)
    WaitForTask(pool.Destroy_Task())
    assert vm.resourcePool == root


def test_move_into_destroy_children_and_destroy(si, other, cluster):
    root = cluster.resourcePool
    top = root.CreateResourcePool('rp-top', pool_spec())
    middle = top.CreateResourcePool('rp-middle', pool_spec())
    bottom = middle.CreateResourcePool('rp-bottom', pool_spec())
    vm = root.vm[0]
    watcher = Watcher(other, vm, vim.VirtualMachine, ['resourcePool'])
    bottom.MoveIntoResourcePool([vm])
    seen = watcher.changes()
    assert [value for _, _, path, _, value in seen if path == 'resourcePool'] == [bottom]
    [moved] = events(si, ['VmResourcePoolMovedEvent'], entity=vm)[-1:]
    assert moved.oldParent.resourcePool == root and moved.newParent.resourcePool == bottom
    # a pool may not go below itself, nor a root pool anywhere
    with pytest.raises(vmodl.fault.InvalidArgument):
        bottom.MoveIntoResourcePool([top])
    with pytest.raises(vmodl.fault.InvalidArgument):
        top.MoveIntoResourcePool([root])
    standalone_root = si.RetrieveContent().searchIndex.FindByInventoryPath(
        '/DC0/host/DC0_H0/Resources')
    with pytest.raises(vmodl.fault.InvalidArgument):
        standalone_root.MoveIntoResourcePool([bottom])
    # a pool moves with what it holds; a name taken there is refused
    root.MoveIntoResourcePool([bottom])
    assert bottom.parent == root and vm.resourcePool == bottom
    assert bottom not in middle.resourcePool and bottom in root.resourcePool
    [pool_moved] = events(si, ['ResourcePoolMovedEvent'], entity=bottom)
    assert pool_moved.oldParent.resourcePool == middle
    clash = middle.CreateResourcePool('rp-bottom', pool_spec())
    with pytest.raises(vim.fault.DuplicateName):
        root.MoveIntoResourcePool([clash])
    top.MoveIntoResourcePool([bottom])
    # DestroyChildren: all pools below go, their VMs come up to the pool
    top.DestroyChildren()
    assert top.resourcePool == [] and vm.resourcePool == top
    assert len(events(si, ['ResourcePoolDestroyedEvent'])) >= 3
    # Destroy_Task: the VMs go to the parent
    WaitForTask(top.Destroy_Task())
    assert vm.resourcePool == root
    with pytest.raises(vmodl.fault.InvalidArgument):
        root.Destroy_Task()


def vapp_vms(si, cluster, *names):
    """New powered-off VMs in the cluster's root pool."""
    datacenter = si.RetrieveContent().rootFolder.childEntity[0]
    tasks = [datacenter.vmFolder.CreateVM_Task(vim.vm.ConfigSpec(
        name=name, numCPUs=1, memoryMB=64, guestId='otherGuest64',
        files=vim.vm.FileInfo(vmPathName='[LocalDS_0]')), pool=cluster.resourcePool)
        for name in names]
    for task in tasks:
        WaitForTask(task)
    return [task.info.result for task in tasks]


def test_vapp_lifecycle_in_start_order(si, other, cluster):
    root = cluster.resourcePool
    datacenter = si.RetrieveContent().rootFolder.childEntity[0]
    vapp = root.CreateVApp('app-1', pool_spec(cpu=allocation(200)), vim.vApp.VAppConfigSpec(
        annotation='two tiers', product=[vim.vApp.ProductSpec(
            operation='add', info=vim.vApp.ProductInfo(key=1, name='shop', version='2.0'))]),
        datacenter.vmFolder)
    assert vapp.parent == root and vapp.parentFolder == datacenter.vmFolder
    assert vapp in datacenter.vmFolder.childEntity and vapp in root.resourcePool
    assert vapp.vAppConfig.annotation == 'two tiers'
    assert vapp.summary.product.name == 'shop'
    assert vapp.config.cpuAllocation.reservation == 200
    with pytest.raises(vim.fault.DuplicateName):
        root.CreateVApp('app-1', pool_spec(), vim.vApp.VAppConfigSpec(), datacenter.vmFolder)
    web, db = vapp_vms(si, cluster, 'web', 'db')
    vapp.MoveIntoResourcePool([web, db])
    assert set(vapp.vm) == {web, db}
    assert web.parentVApp == vapp and web.parent is None
    assert web not in datacenter.vmFolder.childEntity
    # start order: db first, then web
    vapp.UpdateVAppConfig(vim.vApp.VAppConfigSpec(entityConfig=[
        vim.vApp.EntityConfigInfo(key=db, startOrder=1),
        vim.vApp.EntityConfigInfo(key=web, startOrder=2, stopAction='suspend')]))
    order = {c.key: c.startOrder for c in vapp.vAppConfig.entityConfig}
    assert order == {db: 1, web: 2}
    with pytest.raises(vmodl.fault.InvalidArgument):
        vapp.UpdateVAppConfig(vim.vApp.VAppConfigSpec(entityConfig=[
            vim.vApp.EntityConfigInfo(key=root.vm[0], startOrder=1)]))
    with pytest.raises(vmodl.fault.InvalidArgument):
        vapp.UpdateVAppConfig(vim.vApp.VAppConfigSpec(product=[vim.vApp.ProductSpec(
            operation='add', info=vim.vApp.ProductInfo(key=1, name='again'))]))
    watcher = Watcher(other, vapp, vim.VirtualApp, ['summary.vAppState'])
    task = vapp.PowerOnVApp_Task()
    WaitForTask(task)
    assert web.runtime.powerState == db.runtime.powerState == 'poweredOn'
    assert vapp.summary.vAppState == 'started'
    seen = watcher.changes()
    assert ('summary.vAppState', 'started') in [(p, v) for _, _, p, _, v in seen]
    chain = si.RetrieveContent().eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventChainId=task.info.eventChainId))
    powered = [e.vm.vm for e in sorted(chain, key=lambda e: e.key)
               if isinstance(e, vim.event.VmPoweredOnEvent)]
    assert powered == [db, web]
    # reservations of running members show in the vApp's runtime
    assert vapp.runtime.cpu.reservationUsed == 0
    with pytest.raises(vim.fault.InvalidState):
        WaitForTask(vapp.PowerOnVApp_Task())
    with pytest.raises(vim.fault.InvalidState):
        WaitForTask(vapp.Destroy_Task())
    # stop in the reverse order, by each member's stop action
    task = vapp.PowerOffVApp_Task(force=False)
    WaitForTask(task)
    assert web.runtime.powerState == 'suspended' and db.runtime.powerState == 'poweredOff'
    chain = si.RetrieveContent().eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventChainId=task.info.eventChainId))
    stopped = [type(e).__name__.split('.')[-1] for e in sorted(chain, key=lambda e: e.key)
               if isinstance(e, (vim.event.VmSuspendedEvent, vim.event.VmPoweredOffEvent))]
    assert stopped == ['VmSuspendedEvent', 'VmPoweredOffEvent']
    WaitForTask(vapp.PowerOnVApp_Task())
    WaitForTask(vapp.SuspendVApp_Task())
    assert vapp.summary.suspended and web.runtime.powerState == 'suspended'
    WaitForTask(vapp.PowerOnVApp_Task())
    WaitForTask(vapp.PowerOffVApp_Task(force=True))
    assert web.runtime.powerState == db.runtime.powerState == 'poweredOff'
    # Destroy_Task: the vApp goes with its VMs
    WaitForTask(vapp.Destroy_Task())
    assert vapp not in root.resourcePool and vapp not in datacenter.vmFolder.childEntity
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        web.name
    assert events(si, ['VmRemovedEvent'], entity=db)


def test_child_vapp_and_unregister(si, cluster):
    root = cluster.resourcePool
    datacenter = si.RetrieveContent().rootFolder.childEntity[0]
    outer = root.CreateVApp('app-outer', pool_spec(), vim.vApp.VAppConfigSpec(),
                            datacenter.vmFolder)
    with pytest.raises(vmodl.fault.InvalidArgument):
        outer.CreateVApp('app-inner', pool_spec(), vim.vApp.VAppConfigSpec(),
                         datacenter.vmFolder)
    inner = outer.CreateVApp('app-inner', pool_spec(), vim.vApp.VAppConfigSpec())
    # a vApp holds no pools, nor vApps but those it creates
    stray = root.CreateResourcePool('rp-stray', pool_spec())
    with pytest.raises(vmodl.fault.InvalidArgument):
        outer.MoveIntoResourcePool([stray])
    WaitForTask(stray.Destroy_Task())
    assert inner.parentVApp == outer and inner.parentFolder is None
    assert [c.key for c in outer.vAppConfig.entityConfig] == [inner]
    [vm] = vapp_vms(si, cluster, 'inner-vm')
    inner.MoveIntoResourcePool([vm])
    WaitForTask(outer.PowerOnVApp_Task())
    assert vm.runtime.powerState == 'poweredOn' and inner.summary.vAppState == 'started'
    WaitForTask(outer.PowerOffVApp_Task(force=False))
    # a VM leaving for a plain pool goes back to the VM folder
    root.MoveIntoResourcePool([vm])
    assert vm.parentVApp is None and vm.parent == datacenter.vmFolder
    inner.MoveIntoResourcePool([vm])
    # linked children: entities that are not its children, by key
    [linked] = vapp_vms(si, cluster, 'linked-vm')
    outer.UpdateLinkedChildren(addChangeSet=[vim.VirtualApp.LinkInfo(
        key=linked, destroyWithParent=False)])
    assert [(l.key, l.destroyWithParent) for l in outer.childLink] == [(linked, False)]
    with pytest.raises(vmodl.fault.InvalidArgument):
        outer.UpdateLinkedChildren(addChangeSet=[vim.VirtualApp.LinkInfo(key=inner)])
    with pytest.raises(vmodl.fault.InvalidArgument):
        outer.UpdateLinkedChildren(removeSet=[vm])
    outer.UpdateLinkedChildren(removeSet=[linked])
    assert outer.childLink == []
    path = vm.config.files.vmPathName
    WaitForTask(outer.unregisterVApp_Task())
    assert outer not in datacenter.vmFolder.childEntity
    # the VM's files stay: it registers again
    registered = WaitForTask(datacenter.vmFolder.RegisterVM_Task(
        path=path, asTemplate=False, pool=root))
    assert registered
