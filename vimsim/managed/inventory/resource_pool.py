"""ResourcePool: the root pool of a compute resource and its child pools;
CreateResourcePool and Destroy_Task (child pools and VMs move to the parent).

Primary state: owner (compute resource), child pools, VMs, and the cpu /
memory allocation of a child pool. A root pool's allocation and every pool's
`runtime` and `summary` are computed on read from the owner's capacity and the
VMs' usage.
"""
import copy

from vimsim.managed.entity import ManagedEntity, refs
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.vm.provisioning import check_name, event_argument
from vimsim.soap.fault import fault

CPU_SHARES_NORMAL = 4000
MEMORY_SHARES_NORMAL = 163840


def default_shares(kind):
    """A pool's 'normal' shares of 'cpu' or 'memory'."""
    return CPU_SHARES_NORMAL if kind == 'cpu' else MEMORY_SHARES_NORMAL


class ResourcePool(ManagedEntity):
    type_name = 'ResourcePool'
    namespace = None

    def __init__(self, server, moid, name, parent, owner, allocation=None):
        """`parent`: the owner (root pool) or the parent pool. `allocation`:
        (cpu, memory) ResourceAllocationInfo of a child pool; None means the
        defaults (expandable, unlimited, normal shares)."""
        super().__init__(server, moid, name, parent)
        self.owner_object = owner
        self.pools = []
        self.vms = []
        self.allocation = allocation
        if isinstance(parent, ResourcePool):
            parent.pools.append(self)
        else:
            owner.pool = self

    def is_root(self):
        return self.owner_object.pool is self

    @property
    def owner(self):
        return self.owner_object.ref

    @property
    def resourcePool(self):
        return refs(self.pools)

    @property
    def vm(self):
        return refs(self.vms)

    def view_children(self):
        return refs(self.pools) + refs(self.vms)

    # -- configuration -----------------------------------------------------------
    def _allocations(self):
        T = self.T
        if self.is_root():
            totals = self.owner_object.totals()
            cpu = totals['effectiveCpu']
            memory = totals['effectiveMemory']
            return (T.ResourceAllocationInfo(reservation=cpu, expandableReservation=False,
                                             limit=cpu, shares=T.SharesInfo(
                                                 shares=CPU_SHARES_NORMAL, level='normal'),
                                             overheadLimit=-1),
                    T.ResourceAllocationInfo(reservation=memory, expandableReservation=False,
                                             limit=memory, shares=T.SharesInfo(
                                                 shares=MEMORY_SHARES_NORMAL, level='normal'),
                                             overheadLimit=-1))
        if self.allocation is not None:
            return self.allocation
        return (T.ResourceAllocationInfo(reservation=0, expandableReservation=True, limit=-1,
                                         shares=T.SharesInfo(shares=CPU_SHARES_NORMAL,
                                                             level='normal'),
                                         overheadLimit=-1),
                T.ResourceAllocationInfo(reservation=0, expandableReservation=True, limit=-1,
                                         shares=T.SharesInfo(shares=MEMORY_SHARES_NORMAL,
                                                             level='normal'),
                                         overheadLimit=-1))

    @property
    def config(self):
        cpu, memory = self._allocations()
        return self.T.ResourceConfigSpec(entity=self.ref, changeVersion='1',
                                         cpuAllocation=cpu, memoryAllocation=memory)

    @property
    def childConfiguration(self):
        return [child.config for child in self.pools]

    def all_vms(self):
        found = list(self.vms)
        for pool in self.pools:
            found.extend(pool.all_vms())
        return found

    @property
    def runtime(self):
        T = self.T
        totals = self.owner_object.totals()
        cpu_max = totals['effectiveCpu']
        memory_max = totals['effectiveMemory'] * 1024 * 1024
        cpu_used = memory_used = 0
        for vm in self.all_vms():
            cpu, memory = vm.usage_stats()
            cpu_used += cpu
            memory_used += memory * 1024 * 1024
        return T.ResourcePoolRuntimeInfo(
            memory=T.ResourcePoolResourceUsage(
                reservationUsed=0, reservationUsedForVm=0, unreservedForPool=memory_max,
                unreservedForVm=memory_max, overallUsage=memory_used, maxUsage=memory_max),
            cpu=T.ResourcePoolResourceUsage(
                reservationUsed=0, reservationUsedForVm=0, unreservedForPool=cpu_max,
                unreservedForVm=cpu_max, overallUsage=cpu_used, maxUsage=cpu_max),
            overallStatus='green', sharesScalable='notScalable')

    @property
    def summary(self):
        T = self.T
        vms = [vm for vm in self.all_vms() if vm.power_state == 'poweredOn']
        cpu = sum(vm.usage_stats()[0] for vm in vms)
        memory = sum(vm.usage_stats()[1] for vm in vms)
        configured = sum(vm.memory_mb for vm in vms)
        return T.ResourcePoolSummary(
            name=self.name, config=self.config, runtime=self.runtime,
            quickStats=T.ResourcePoolQuickStats(
                overallCpuUsage=cpu, overallCpuDemand=cpu, guestMemoryUsage=memory,
                hostMemoryUsage=memory, distributedCpuEntitlement=cpu,
                distributedMemoryEntitlement=memory, staticCpuEntitlement=0,
                staticMemoryEntitlement=0, privateMemory=memory, sharedMemory=0,
                swappedMemory=0, balloonedMemory=0, overheadMemory=0,
                consumedOverheadMemory=0, compressedMemory=0),
            configuredMemoryMB=configured)

    # -- CreateResourcePool / Destroy_Task ------------------------------------------
    def CreateResourcePool(self, ctx, name, spec):
        """A child pool with `spec`'s allocations (shares filled in from their
        level, as vCenter stores them); DuplicateName among the children."""
        name = check_name(name)
        other = next((p for p in self.pools if p.name == name), None)
        if other is not None:
            raise fault('DuplicateName', "The name '%s' already exists." % name, name=name,
                        object=other.ref)
        allocations = []
        for field, default in (('cpuAllocation', default_shares('cpu')),
                               ('memoryAllocation', default_shares('memory'))):
            allocation = getattr(spec, field, None)
            if allocation is None or allocation.shares is None:
                raise fault('InvalidArgument', 'A specified parameter was not correct: '
                            'spec.%s' % field, invalidProperty='spec.%s' % field)
            allocation = copy.deepcopy(allocation)
            if allocation.shares.level != 'custom':
                allocation.shares.shares = default * {'low': 1, 'normal': 2, 'high': 4}.get(
                    allocation.shares.level, 2) // 2
            for attr, value in (('reservation', 0), ('expandableReservation', True),
                                ('limit', -1), ('overheadLimit', -1)):
                if getattr(allocation, attr) is None:
                    setattr(allocation, attr, value)
            allocations.append(allocation)
        pool = ResourcePool(self.server, self.server.objects.next_id('resgroup-'), name, self,
                            self.owner_object, allocation=tuple(allocations))
        self.changed('resourcePool', 'childConfiguration')
        event_manager(self.server).post(
            'ResourcePoolCreatedEvent', pool, ctx=ctx,
            resourcePool=event_argument(self.server, 'ResourcePoolEventArgument',
                                        'resourcePool', pool),
            parent=event_argument(self.server, 'ResourcePoolEventArgument', 'resourcePool',
                                  self))
        return pool

    def Destroy_Task(self, ctx):
        if self.is_root():
            raise fault('InvalidArgument', 'A specified parameter was not correct: self',
                        invalidProperty='self')

        def work(task):
            parent = self.parent_object()
            for vm in list(self.vms):
                self.vms.remove(vm)
                parent.vms.append(vm)
                vm.pool = parent
                if getattr(vm, 'parentVApp', None) is not None and \
                        getattr(self, 'type_name', '') == 'VirtualApp':
                    vm.parentVApp = None
                vm.changed('resourcePool')
                task.post_event('VmResourcePoolMovedEvent', vm,
                                oldParent=event_argument(self.server,
                                                         'ResourcePoolEventArgument',
                                                         'resourcePool', self),
                                newParent=event_argument(self.server,
                                                         'ResourcePoolEventArgument',
                                                         'resourcePool', parent))
            for child in list(self.pools):
                self.pools.remove(child)
                parent.pools.append(child)
                child.parent = parent.ref
                child.changed('parent')
            parent.pools.remove(self)
            task.post_event('ResourcePoolDestroyedEvent', self.owner_object,
                            resourcePool=event_argument(self.server,
                                                        'ResourcePoolEventArgument',
                                                        'resourcePool', self))
            parent.changed('vm', 'resourcePool', 'summary', 'runtime', 'childConfiguration')
            self.destroy()
            return None
        return run_task(ctx, self, 'Destroy_Task', work)
