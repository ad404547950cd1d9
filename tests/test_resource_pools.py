"""Resource pools and vApps with pyVmomi: CreateResourcePool, UpdateConfig,
UpdateChildResourceConfiguration, MoveIntoResourcePool, DestroyChildren,
Destroy_Task, RefreshRuntime, QueryResourceConfigOption; CreateVApp, UpdateVAppConfig, PowerOnVApp_Task /
PowerOffVApp_Task / SuspendVApp_Task in start order, Destroy_Task and
unregisterVApp_Task; CreateChildVM_Task, RegisterChildVM_Task and
CloneVApp_Task. Reservations, limits and shares are read back from config,
summary and runtime; a second session's WaitForUpdatesEx sees each step and
QueryEvents finds the events."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator
from tests.watching import Watcher, paths_of

MB = 1024 * 1024
PC = vmodl.query.PropertyCollector


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, autostart=False)




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


def result(task):
    WaitForTask(task)
    return task.info.result


def child_config(name, datastore='LocalDS_0'):
    return vim.vm.ConfigSpec(name=name, numCPUs=1, memoryMB=64, guestId='otherGuest64',
                             files=vim.vm.FileInfo(vmPathName='[%s]' % datastore))


def test_create_and_register_child_vms(si, other, cluster):
    """CreateChildVM_Task and RegisterChildVM_Task put a VM in a vApp (no
    folder, only parentVApp); a plain pool refuses both."""
    root = cluster.resourcePool
    datacenter = si.RetrieveContent().rootFolder.childEntity[0]
    with pytest.raises(vmodl.fault.NotSupported):
        root.CreateChildVM_Task(child_config('plain-vm'))
    with pytest.raises(vmodl.fault.NotSupported):
        root.RegisterChildVM_Task(path='[LocalDS_0] plain-vm/plain-vm.vmx')
    vapp = root.CreateVApp('app-children', pool_spec(), vim.vApp.VAppConfigSpec(),
                           datacenter.vmFolder)
    watcher = Watcher(other, vapp, vim.VirtualApp, ['vm', 'vAppConfig'])
    task = vapp.CreateChildVM_Task(child_config('child-1'))
    WaitForTask(task)
    vm = task.info.result
    assert task.info.entity == vapp and task.info.descriptionId == 'ResourcePool.createVm'
    assert vm.parent is None and vm.parentVApp == vapp and vm.resourcePool == vapp
    assert vm not in datacenter.vmFolder.childEntity and vapp.vm == [vm]
    assert [c.key for c in vapp.vAppConfig.entityConfig] == [vm]
    assert vm in vm.runtime.host.vm
    seen = watcher.changes(until=lambda seen: 'vAppConfig' in paths_of(seen))
    assert {'vm', 'vAppConfig'} <= paths_of(seen)
    chain = si.RetrieveContent().eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventChainId=task.info.eventChainId))
    kinds = {type(e).__name__.split('.')[-1] for e in chain}
    assert {'VmBeingCreatedEvent', 'VmCreatedEvent'} <= kinds
    # the faults: a name the vApp has, a bad name, a host outside its cluster, no files
    with pytest.raises(vim.fault.DuplicateName):
        WaitForTask(vapp.CreateChildVM_Task(child_config('child-1')))
    with pytest.raises(vim.fault.InvalidName):
        WaitForTask(vapp.CreateChildVM_Task(child_config('')))
    with pytest.raises(vim.fault.InvalidDatastorePath):
        WaitForTask(vapp.CreateChildVM_Task(child_config('child-2', datastore='nowhere')))
    standalone = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/host/DC0_H0')
    with pytest.raises(vmodl.fault.InvalidArgument):
        vapp.CreateChildVM_Task(child_config('child-2'), host=standalone.host[0])
    with pytest.raises(vmodl.fault.InvalidArgument):
        vapp.CreateChildVM_Task(vim.vm.ConfigSpec(name='child-2'))
    assert vapp.vm == [vm]
    # RegisterChildVM_Task: an unregistered VM's files join the vApp under a new name
    [loose] = vapp_vms(si, cluster, 'loose-vm')
    path = loose.config.files.vmPathName
    loose.UnregisterVM()
    with pytest.raises(vim.fault.DuplicateName):
        WaitForTask(vapp.RegisterChildVM_Task(path=path, name='child-1'))
    with pytest.raises(vim.fault.FileNotFound):
        WaitForTask(vapp.RegisterChildVM_Task(path='[LocalDS_0] none/none.vmx'))
    task = vapp.RegisterChildVM_Task(path=path, name='child-registered')
    WaitForTask(task)
    registered = task.info.result
    assert registered.name == 'child-registered' and registered.parentVApp == vapp
    assert registered.parent is None and set(vapp.vm) == {vm, registered}
    assert registered not in datacenter.vmFolder.childEntity
    assert events(si, ['VmRegisteredEvent'], entity=registered)
    # a child vApp's VMs: the same, under the root vApp's datacenter
    inner = vapp.CreateVApp('app-children-inner', pool_spec(), vim.vApp.VAppConfigSpec())
    inner_vm = result(inner.CreateChildVM_Task(child_config('inner-child')))
    assert inner_vm.parentVApp == inner and inner_vm.parent is None
    WaitForTask(vapp.Destroy_Task())


def test_clone_vapp(si, other, cluster):
    """CloneVApp_Task copies the configuration, the child vApps and each VM
    (through CloneVM_Task's work) into the target, start order included."""
    root = cluster.resourcePool
    content = si.RetrieveContent()
    datacenter = content.rootFolder.childEntity[0]
    datastore = datacenter.datastore[0]
    source = root.CreateVApp('app-source', pool_spec(cpu=allocation(100)),
                             vim.vApp.VAppConfigSpec(annotation='to copy', product=[
                                 vim.vApp.ProductSpec(operation='add', info=vim.vApp.ProductInfo(
                                     key=1, name='shop', version='3.1'))]),
                             datacenter.vmFolder)
    web = result(source.CreateChildVM_Task(child_config('web')))
    db = result(source.CreateChildVM_Task(child_config('db')))
    inner = source.CreateVApp('app-source-inner', pool_spec(), vim.vApp.VAppConfigSpec())
    cache = result(inner.CreateChildVM_Task(child_config('cache')))
    source.UpdateVAppConfig(vim.vApp.VAppConfigSpec(entityConfig=[
        vim.vApp.EntityConfigInfo(key=db, startOrder=1),
        vim.vApp.EntityConfigInfo(key=web, startOrder=3, stopAction='suspend'),
        vim.vApp.EntityConfigInfo(key=inner, startOrder=2)]))
    spec = vim.vApp.CloneSpec(location=datastore)
    # faults before a task: a target in its own tree, a bad datastore or folder,
    # parts not simulated
    for target in (source, inner):
        with pytest.raises(vmodl.fault.InvalidArgument):
            source.CloneVApp_Task('app-copy', target, spec)
    with pytest.raises(vmodl.fault.InvalidArgument):
        source.CloneVApp_Task('app-copy', root, vim.vApp.CloneSpec(location=datastore,
                                                                  vmFolder=datacenter.hostFolder))
    with pytest.raises(vmodl.fault.NotSupported):
        source.CloneVApp_Task('app-copy', root, vim.vApp.CloneSpec(
            location=datastore, provisioning='thin'))
    with pytest.raises(vim.fault.DuplicateName):
        WaitForTask(source.CloneVApp_Task('app-source', root, spec))
    watcher = Watcher(other, datacenter.vmFolder, vim.Folder, ['childEntity'])
    task = source.CloneVApp_Task('app-copy', root, spec)
    WaitForTask(task)
    copy = task.info.result
    assert isinstance(copy, vim.VirtualApp) and copy.name == 'app-copy'
    assert copy.parent == root and copy.parentFolder == datacenter.vmFolder
    seen = watcher.changes(until=lambda seen: any(
        copy in (value or []) for _, _, path, _, value in seen if path == 'childEntity'))
    assert any(copy in (value or []) for _, _, _, _, value in seen)
    assert copy.vAppConfig.annotation == 'to copy'
    assert [p.name for p in copy.vAppConfig.product] == ['shop']
    assert copy.config.cpuAllocation.reservation == 100
    copies = {vm.name: vm for vm in copy.vm}
    assert set(copies) == {'web', 'db'} and not set(copy.vm) & {web, db}
    for vm in copy.vm:
        assert vm.parentVApp == copy and vm.parent is None
        assert vm.datastore == [datastore]
    [inner_copy] = copy.resourcePool
    assert inner_copy.name == 'app-source-inner' and inner_copy.parentVApp == copy
    assert inner_copy.parentFolder is None and inner_copy != inner
    assert [vm.name for vm in inner_copy.vm] == ['cache'] and inner_copy.vm[0] != cache
    order = [(c.key, c.startOrder, c.stopAction) for c in copy.vAppConfig.entityConfig]
    assert order == [(copies['db'], 1, 'powerOff'), (inner_copy, 2, 'powerOff'),
                     (copies['web'], 3, 'suspend')]
    chain = content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventChainId=task.info.eventChainId))
    cloned = {e.vm.name for e in chain if isinstance(e, vim.event.VmClonedEvent)}
    assert cloned == {'web', 'db', 'cache'}
    assert any(isinstance(e, vim.event.ResourcePoolCreatedEvent)
               and e.resourcePool.resourcePool == copy for e in chain)
    # the source is untouched; the copy runs on its own
    assert set(source.vm) == {web, db} and inner.vm == [cache]
    WaitForTask(copy.PowerOnVApp_Task())
    assert web.runtime.powerState == 'poweredOff'
    WaitForTask(copy.PowerOffVApp_Task(force=True))
    # into a vApp: a child vApp, no folder, its own resource spec
    task = source.CloneVApp_Task('app-nested-copy', copy, vim.vApp.CloneSpec(
        location=datastore, resourceSpec=pool_spec(cpu=allocation(50))))
    nested = result(task)
    assert nested.parentVApp == copy and nested.parentFolder is None
    assert nested.config.cpuAllocation.reservation == 50
    with pytest.raises(vmodl.fault.InvalidArgument):
        source.CloneVApp_Task('again', copy, vim.vApp.CloneSpec(
            location=datastore, vmFolder=datacenter.vmFolder))
    for vapp in (copy, source):
        WaitForTask(vapp.Destroy_Task())


def test_create_vapp_refused_config_leaves_nothing(si, cluster):
    """A CreateVApp whose configSpec faults leaves no vApp behind (it was
    left half made, listed in its pool and folder)."""
    root = cluster.resourcePool
    datacenter = si.RetrieveContent().rootFolder.childEntity[0]
    product = vim.vApp.ProductSpec(operation='add', info=vim.vApp.ProductInfo(key=7, name='p'))
    with pytest.raises(vmodl.fault.InvalidArgument):
        root.CreateVApp('app-refused', pool_spec(), vim.vApp.VAppConfigSpec(
            product=[product, product]), datacenter.vmFolder)
    assert 'app-refused' not in [p.name for p in root.resourcePool]
    assert 'app-refused' not in [e.name for e in datacenter.vmFolder.childEntity]
    vapp = root.CreateVApp('app-refused', pool_spec(), vim.vApp.VAppConfigSpec(),
                           datacenter.vmFolder)
    WaitForTask(vapp.Destroy_Task())


def test_query_resource_config_option_is_the_range_update_config_enforces(si, cluster):
    root = cluster.resourcePool
    option = root.QueryResourceConfigOption()
    for kind, normal in (('cpu', 4000), ('memory', 163840)):
        shares = getattr(option, kind + 'AllocationOption').sharesOption
        assert shares.defaultLevel == 'normal'
        assert (shares.sharesOption.min, shares.sharesOption.defaultValue) == (0, normal)
    top = option.cpuAllocationOption.sharesOption.sharesOption.max
    pool = root.CreateResourcePool('rp-opt', pool_spec())
    assert pool.config.cpuAllocation.shares.shares == \
        option.cpuAllocationOption.sharesOption.sharesOption.defaultValue
    # the bounds are what UpdateConfig holds custom shares to
    pool.UpdateConfig(config=pool_spec(cpu=allocation(level='custom', shares=top)))
    assert pool.config.cpuAllocation.shares.shares == top
    for refused in (top + 1, -1):
        with pytest.raises(vmodl.fault.InvalidArgument) as error:
            pool.UpdateConfig(config=pool_spec(memory=allocation(level='custom',
                                                                 shares=refused)))
        assert error.value.invalidProperty == 'config.memoryAllocation.shares'
    assert pool.QueryResourceConfigOption().memoryAllocationOption.sharesOption \
        .sharesOption.max == top
