"""ResourcePool: the root pool of a compute resource and its child pools;
CreateResourcePool, UpdateConfig, UpdateChildResourceConfiguration,
MoveIntoResourcePool, DestroyChildren, RefreshRuntime, QueryResourceConfigOption
(the custom shares' range UpdateConfig enforces) and Destroy_Task (child
pools and VMs move to the parent); CreateVApp; CreateChildVM_Task and
RegisterChildVM_Task answer NotSupported but on a vApp.

Primary state: owner (compute resource), child pools, VMs, and the cpu /
memory allocation of a child pool with its change version. A root pool's
allocation and every pool's `runtime` and `summary` are computed on read from
the owner's capacity, the allocations below it and the VMs: `reservationUsed`
is what the pool's children hold of it (a child pool its reservation, or what
its descendants hold when that is more and its reservation is expandable; a
powered-on VM its reservation), `unreservedForPool` what is left of it plus,
when expandable, what its parent has left; `maxUsage` its limit, else its
parent's. Memory figures there are in bytes, as vCenter reports them.
An expandable pool can grant no more than its limit lets it use.

Admission control (vm/admission.py's rules): a new pool's reservation, and a
pool's change of what it holds, must be granted by its parent; a fixed
reservation or a limit below what the children already hold is refused too
(InsufficientCpuResourcesFault / InsufficientMemoryResourcesFault), and so is
a MoveIntoResourcePool that leaves the target or an ancestor holding more than
it may.
"""
import copy
from datetime import datetime, timezone

from vimsim.managed.entity import POOL_SHARES_NORMAL, ManagedEntity, refs
from vimsim.managed.inventory.cluster_config import differences
from vimsim.managed.monitoring.event_manager import datacenter_of, event_manager
from vimsim.managed.monitoring.load_model import load_model
from vimsim.managed.monitoring.rollup import Members, Rollup
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.storage import datastore_files
from vimsim.managed.vm.admission import grant_problem, insufficient, vm_reservation
from vimsim.managed.vm.provisioning import (check_name, check_unique, event_argument,
                                            invalid_argument, is_a)
from vimsim.soap.fault import fault, localized

SHARE_LEVELS = {'low': 1, 'normal': 2, 'high': 4}   # relative to 'normal' / 2
MAX_SHARES = 1000000    # vCenter's bound of a pool's custom shares
KINDS = (('cpu', 'cpuAllocation'), ('memory', 'memoryAllocation'))
MB = 1024 * 1024


def allocation_from(change, current, kind, path):
    """The ResourceAllocationInfo a pool stores for `change` (a spec's), over
    `current` (None: a new pool's defaults): shares filled in from their level,
    as vCenter stores them; InvalidArgument naming `path` for what vCenter
    refuses (a negative reservation, a limit below the reservation, custom
    shares without a value or out of QueryResourceConfigOption's range)."""
    if current is None:
        if change is None or change.shares is None:
            raise invalid_argument(path)
        result = copy.deepcopy(change)
        for attr, value in (('reservation', 0), ('expandableReservation', True),
                            ('limit', -1), ('overheadLimit', -1)):
            if getattr(result, attr) is None:
                setattr(result, attr, value)
    else:
        result = copy.deepcopy(current)
        for name in change._type._names:
            value = getattr(change, name)
            if value is not None and name not in ('dynamicType', 'dynamicProperty'):
                setattr(result, name, copy.deepcopy(value))
    shares = result.shares
    if shares.level == 'custom':
        if shares.shares is None or not 0 <= shares.shares <= MAX_SHARES:
            raise invalid_argument(path + '.shares')
    else:
        shares.shares = POOL_SHARES_NORMAL[kind] * SHARE_LEVELS.get(shares.level, 2) // 2
    if result.reservation < 0:
        raise invalid_argument(path + '.reservation')
    if result.limit != -1 and (result.limit < 0 or result.limit < result.reservation):
        raise invalid_argument(path + '.limit')
    return result


def _now():
    return datetime.now(timezone.utc)


def running_reservations(vm):
    """What a VM reserves of its pool: (cpu MHz, memory MB) while it runs."""
    if vm.power_state != 'poweredOn':
        return 0, 0
    return vm_reservation(vm, 'cpu'), vm_reservation(vm, 'memory')


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
        self.vms = Members()
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
    def capacity(self, kind):
        """The owner's effective capacity: MHz of cpu or MB of memory."""
        totals = self.owner_object.totals()
        return totals['effectiveCpu'] if kind == 'cpu' else totals['effectiveMemory']

    def _allocations(self):
        T = self.T
        if self.is_root():
            return tuple(T.ResourceAllocationInfo(
                reservation=self.capacity(kind), expandableReservation=False,
                limit=self.capacity(kind), overheadLimit=-1,
                shares=T.SharesInfo(shares=POOL_SHARES_NORMAL[kind], level='normal'))
                for kind, _ in KINDS)
        if self.allocation is not None:
            return self.allocation
        return tuple(T.ResourceAllocationInfo(
            reservation=0, expandableReservation=True, limit=-1, overheadLimit=-1,
            shares=T.SharesInfo(shares=POOL_SHARES_NORMAL[kind], level='normal'))
            for kind, _ in KINDS)

    def allocation_of(self, kind):
        return self._allocations()[0 if kind == 'cpu' else 1]

    change_version = 1
    last_modified = None

    @property
    def config(self):
        cpu, memory = self._allocations()
        return self.T.ResourceConfigSpec(entity=self.ref, changeVersion=str(self.change_version),
                                         lastModified=self.last_modified,
                                         cpuAllocation=cpu, memoryAllocation=memory)

    @property
    def childConfiguration(self):
        return [child.config for child in self.pools]

    def all_vms(self):
        found = list(self.vms)
        for pool in self.pools:
            found.extend(pool.all_vms())
        return found

    # -- reservations ------------------------------------------------------------
    _running_reservations = None    # the roll-up of `running_reservations`, made on first use

    def reservation_used_for_vms(self, kind):
        if self._running_reservations is None:
            self._running_reservations = Rollup(self.server.changes, running_reservations, 2)
            self._running_reservations.follow((self.vms,))
        cpu, memory = self._running_reservations.total()
        return cpu if kind == 'cpu' else memory

    def destroy(self):
        if self._running_reservations is not None:
            self._running_reservations.close()
        load_model(self.server).forget(self)
        super().destroy()

    def reservation_used(self, kind):
        return sum(child.held(kind) for child in self.pools) + \
            self.reservation_used_for_vms(kind)

    @staticmethod
    def held_under(allocation, used):
        """What a pool with `allocation`, its children using `used`, holds of
        its parent's reservation."""
        if allocation.expandableReservation:
            return max(allocation.reservation, used)
        return allocation.reservation

    def held(self, kind):
        """What this pool holds of its parent's reservation."""
        return self.held_under(self.allocation_of(kind), self.reservation_used(kind))

    def unreserved(self, kind):
        """What this pool can still grant: its own unreserved part, plus what
        its parent can grant when expandable, within its limit."""
        used = self.reservation_used(kind)
        if self.is_root():
            return max(self.capacity(kind) - used, 0)
        allocation = self.allocation_of(kind)
        left = max(allocation.reservation - used, 0)
        if allocation.expandableReservation:
            left += self.parent_object().unreserved(kind)
            if allocation.limit != -1:
                left = min(left, max(allocation.limit - used, 0))
        return left

    def check_grant(self, allocations, child=None):
        """Raise vCenter's admission fault for `child` (None: a new child
        pool) taking `allocations`, ((cpu, memory) ResourceAllocationInfo): a
        fixed reservation or a limit must cover what its children already
        hold, and this pool must grant what it would hold more."""
        for (kind, _), allocation in zip(KINDS, allocations):
            used = child.reservation_used(kind) if child is not None else 0
            cap = allocation.limit if allocation.expandableReservation \
                else allocation.reservation
            if cap != -1 and used > cap:
                raise insufficient(kind, cap, used)
            before = child.held(kind) if child is not None else 0
            problem = grant_problem(self, kind, self.held_under(allocation, used) - before)
            if problem is not None:
                raise problem

    def max_usage(self, kind):
        limit = self.allocation_of(kind).limit
        if self.is_root() or (limit is not None and limit != -1):
            return limit
        return self.parent_object().max_usage(kind)

    def usage(self, kind, overall):
        scale = 1 if kind == 'cpu' else MB
        return self.T.ResourcePoolResourceUsage(
            reservationUsed=self.reservation_used(kind) * scale,
            reservationUsedForVm=self.reservation_used_for_vms(kind) * scale,
            unreservedForPool=self.unreserved(kind) * scale,
            unreservedForVm=self.unreserved(kind) * scale,
            overallUsage=overall * scale, maxUsage=self.max_usage(kind) * scale)

    def demand(self):
        """The load model's Demand of the VMs in this pool and the pools below."""
        sources, pending = [], [self]
        while pending:
            pool = pending.pop()
            sources.append(pool.vms)
            pending.extend(pool.pools)
        return load_model(self.server).demand(self, sources)

    @property
    def runtime(self):
        cpu_used, memory_used = self.demand().usage()
        return self.T.ResourcePoolRuntimeInfo(
            memory=self.usage('memory', memory_used), cpu=self.usage('cpu', cpu_used),
            overallStatus='green', sharesScalable='notScalable')

    @property
    def summary(self):
        T = self.T
        demand = self.demand()
        cpu, memory = demand.usage()
        configured = demand.configured
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

    def reservations_changed(self):
        """Report what a change of reservations below a pool changes: its own
        and its ancestors' runtime and summary, the owner's summary."""
        pool = self
        while isinstance(pool, ResourcePool):
            pool.changed('runtime', 'summary')
            pool = pool.parent_object()
        self.owner_object.changed('summary')

    # -- events ------------------------------------------------------------------
    def argument(self):
        return event_argument(self.server, 'ResourcePoolEventArgument', 'resourcePool', self)

    def post(self, ctx, type_name, **fields):
        return event_manager(self.server).post(type_name, self, ctx=ctx,
                                               resourcePool=self.argument(), **fields)

    # -- CreateResourcePool ----------------------------------------------------------
    def check_child_name(self, name, exclude=None):
        other = next((p for p in self.pools if p.name == name and p is not exclude), None)
        if other is not None:
            raise fault('DuplicateName', "The name '%s' already exists." % name, name=name,
                        object=other.ref)

    def spec_allocations(self, spec):
        """The allocations `spec` gives a new child, which this pool must grant."""
        allocations = tuple(allocation_from(getattr(spec, field, None), None, kind,
                                            'spec.' + field) for kind, field in KINDS)
        self.check_grant(allocations)
        return allocations

    def CreateResourcePool(self, ctx, name, spec):
        """A child pool with `spec`'s allocations; DuplicateName among the children."""
        name = check_name(name)
        self.check_child_name(name)
        pool = ResourcePool(self.server, self.server.objects.next_id('resgroup-'), name, self,
                            self.owner_object, allocation=self.spec_allocations(spec))
        self.changed('resourcePool', 'childConfiguration')
        pool.reservations_changed()
        pool.post(ctx, 'ResourcePoolCreatedEvent', parent=self.argument())
        return pool

    # -- CreateVApp --------------------------------------------------------------------
    vapp_class = None   # VirtualApp, which derives from this class: set by its module

    def CreateVApp(self, ctx, name, resSpec, configSpec, vmFolder=None):
        """A vApp in this pool: listed in `vmFolder` (its datacenter's VM folder
        when unset) or, in a vApp, a child vApp, which has no folder."""
        name = check_name(name)
        folder = self.vapp_folder(vmFolder, 'vmFolder')
        self.check_vapp_name(name, folder)
        return self.make_vapp(ctx, name, folder, self.spec_allocations(resSpec),
                              lambda vapp: vapp.apply_vapp_config(configSpec, 'configSpec'))

    def vapp_folder(self, vm_folder, argument):
        """The folder a new vApp in this pool is listed in: `vm_folder`, else
        the datacenter's VM folder; None in a vApp, which names none
        (InvalidArgument naming `argument` otherwise)."""
        child = self.type_name == 'VirtualApp'
        if vm_folder is None:
            return None if child else datacenter_of(self.server, self).vm_folder
        folder = self.server.objects.resolve(vm_folder)
        if child or not is_a(self.server, folder, 'Folder') \
                or 'VirtualApp' not in folder.childType:
            raise invalid_argument(argument)
        return folder

    def check_vapp_name(self, name, folder):
        """DuplicateName among this pool's children and `folder`'s."""
        self.check_child_name(name)
        if folder is not None:
            check_unique(folder, name)

    def make_vapp(self, ctx, name, folder, allocation, configure, chain_id=None):
        """A new vApp in this pool, listed in `folder`, `configure(vapp)`d
        before it is announced (ResourcePoolCreatedEvent, in the event chain
        `chain_id` of the task making it)."""
        vapp = self.vapp_class(self.server, self.server.objects.next_id('resgroup-v'), name,
                               self, self.owner_object, folder, allocation=allocation,
                               annotation='', product=None)
        try:
            configure(vapp)
        except Exception:
            vapp.forget()   # a refused configuration leaves no vApp behind
            raise
        self.changed('resourcePool', 'childConfiguration')
        if folder is not None:
            folder.changed('childEntity')
        vapp.reservations_changed()
        vapp.post(ctx, 'ResourcePoolCreatedEvent', parent=self.argument(), chain_id=chain_id)
        return vapp

    # -- ImportVApp ------------------------------------------------------------------------
    def import_target(self, ctx, folder):
        """(the folder whose CreateVM_Task work makes an imported VM, its
        check of the new name) for ImportVApp into this pool: `folder`, a VM
        folder, which a plain pool needs."""
        if folder is None:
            raise invalid_argument('folder')
        folder_object = self.server.objects.resolve(folder)
        if not is_a(self.server, folder_object, 'Folder') \
                or 'VirtualMachine' not in folder_object.childType:
            raise invalid_argument('folder')
        return folder_object, lambda name: check_unique(folder_object, name)

    def ImportVApp(self, ctx, spec, folder=None, host=None):
        """The lease through which the client uploads the disks of what an
        OvfManager.CreateImportSpec spec describes: a VM, or a vApp with its
        members (VirtualAppImportSpec). They are made while the lease
        initializes, and go again if the lease does not complete."""
        from vimsim.managed.storage.http_nfc_lease import HttpNfcLease, disk_devices
        kind = type(spec).__name__
        if kind == 'VirtualAppImportSpec':
            return self._import_vapp(ctx, spec, folder, host)
        if kind != 'VirtualMachineImportSpec' or spec.configSpec is None:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        target, check_new_name = self.import_target(ctx, folder)
        config = spec.configSpec
        host_object = target.check_new_vm(ctx, config, self, host)
        made = []

        def take_back():
            if made and made[0].power_state == 'poweredOff':
                made[0].remove_from_inventory(keep_files=False)
        lease = HttpNfcLease(ctx, importing=True, on_abort=take_back)

        def work(task):
            if lease.error is not None:       # aborted while it initialized
                raise lease.error.fault
            try:
                vm = target.create_vm(ctx, task, config, self, host_object, check_new_name)
            except self.server.schema.types['MethodFault'].cls as refused:
                lease.fail(localized(refused))
                raise
            made.append(vm)
            datastore_files.namespace(self.server).materialize()
            vm.sync_files()
            lease.ready(vm, disk_devices(vm, config.name))
            return vm
        run_task(ctx, self, 'ImportVApp', work)
        return lease

    def _import_vapp(self, ctx, spec, folder, host):
        """ImportVApp of a VirtualAppImportSpec: the vApp in this pool (listed
        in `folder`, else the datacenter's VM folder, as CreateVApp), then
        its members in spec order, each checked as CreateChildVM_Task checks
        it; the lease's devices are every member VM's disks, imported by
        '/<vApp>/<member>/<controller><bus>:<unit>'."""
        from vimsim.managed.storage.http_nfc_lease import HttpNfcLease
        name = check_name(spec.name)
        vapp_folder = self.vapp_folder(folder, 'folder')
        self.check_vapp_name(name, vapp_folder)
        allocations = self.spec_allocations(spec.resourcePoolSpec)
        made = []

        def take_back():
            vapp = made[0] if made else None
            if vapp is not None and all(vm.power_state == 'poweredOff'
                                        for vm in vapp.all_vms()):
                for vm in vapp.all_vms():
                    vm.remove_from_inventory(keep_files=False)
                vapp.forget()
        lease = HttpNfcLease(ctx, importing=True, on_abort=take_back)

        def work(task):
            if lease.error is not None:       # aborted while it initialized
                raise lease.error.fault
            devices = []
            try:
                vapp = self._imported_vapp(ctx, task, spec, name, vapp_folder, allocations,
                                           host, '', devices, made)
            except self.server.schema.types['MethodFault'].cls as refused:
                lease.fail(localized(refused))
                raise
            for index, device in enumerate(devices):
                device.file_name = 'disk-%d.vmdk' % index
            lease.ready(vapp, devices)
            return vapp
        run_task(ctx, self, 'ImportVApp', work)
        return lease

    def _imported_vapp(self, ctx, task, spec, name, folder, allocations, host, owner,
                       devices, made):
        """The vApp `spec` describes, made in this pool with its members
        (recursively for member vApps), their disks appended to `devices`."""
        from vimsim.managed.storage.http_nfc_lease import disk_devices
        config = spec.vAppConfigSpec
        entity_configs = list(config.entityConfig or ()) if config is not None else []
        if config is not None:
            config = copy.copy(config)
            config.entityConfig = []
        vapp = self.make_vapp(ctx, name, folder, allocations,
                              lambda new: new.apply_vapp_config(config, 'spec.vAppConfigSpec'),
                              chain_id=task.chain_id)
        made.append(vapp)
        path = owner + name + '/'
        members = []
        for index, child in enumerate(spec.child or ()):
            where = 'spec.child[%d]' % index
            if type(child).__name__ == 'VirtualAppImportSpec':
                child_name = check_name(child.name)
                vapp.check_vapp_name(child_name, None)
                members.append(vapp._imported_vapp(
                    ctx, task, child, child_name, None,
                    vapp.spec_allocations(child.resourcePoolSpec), host, path, devices, []))
                continue
            if type(child).__name__ != 'VirtualMachineImportSpec' or child.configSpec is None:
                raise invalid_argument(where)
            target, check_new_name = vapp.import_target(ctx, None)
            host_object = target.check_new_vm(ctx, child.configSpec, vapp, host)
            vm = target.create_vm(ctx, task, child.configSpec, vapp, host_object,
                                  check_new_name)
            datastore_files.namespace(self.server).materialize()
            vm.sync_files()
            devices.extend(disk_devices(vm, path + child.configSpec.name))
            members.append(vm)
        if entity_configs and len(entity_configs) == len(members):
            keyed = []
            for entity, member in zip(entity_configs, members):
                entity = copy.copy(entity)
                entity.key = member.ref
                keyed.append(entity)
            vapp.apply_vapp_config(self.T.VAppConfigSpec(entityConfig=keyed),
                                   'spec.vAppConfigSpec')
        return vapp

    # -- CreateChildVM_Task / RegisterChildVM_Task --------------------------------------
    def CreateChildVM_Task(self, ctx, config, host=None):
        """Only a vApp holds VMs without a folder (VirtualApp's); a plain
        pool's VMs come from Folder.CreateVM_Task: NotSupported."""
        raise fault('NotSupported', 'The operation is not supported on the object.')

    def RegisterChildVM_Task(self, ctx, path, name=None, host=None):
        """As CreateChildVM_Task: a plain pool's VMs register through
        Folder.RegisterVM_Task."""
        raise fault('NotSupported', 'The operation is not supported on the object.')

    def updated_allocations(self, config, path):
        """The allocations `config` gives this pool (checked, not applied)."""
        if self.is_root():
            raise invalid_argument(path)
        if config.changeVersion is not None and config.changeVersion != str(self.change_version):
            raise fault('ConcurrentAccess', 'Cannot complete operation due to concurrent '
                        'modification by another operation.')
        allocations = tuple(
            allocation_from(getattr(config, field), self.allocation_of(kind), kind,
                            '%s.%s' % (path, field)) if getattr(config, field) is not None
            else self.allocation_of(kind) for kind, field in KINDS)
        self.parent_object().check_grant(allocations, child=self)
        return allocations

    def set_allocations(self, ctx, allocations):
        changes = []
        for (kind, field), old, new in zip(KINDS, self._allocations(), allocations):
            changes.extend(differences('config.' + field, old, new))
        self.allocation = allocations
        self.change_version += 1
        self.last_modified = _now()
        self.changed('config', 'summary')
        parent = self.parent_object()
        if isinstance(parent, ResourcePool):
            parent.changed('childConfiguration')
        self.reservations_changed()
        return changes

    def UpdateConfig(self, ctx, name=None, config=None):
        """Rename and/or reconfigure; InvalidName, DuplicateName among the
        siblings, ConcurrentAccess for a stale changeVersion."""
        new_name = None
        if name is not None:
            new_name = check_name(name, self)
            parent = self.parent_object()
            if isinstance(parent, ResourcePool):
                parent.check_child_name(new_name, exclude=self)
        allocations = self.updated_allocations(config, 'config') if config is not None \
            else None
        changes = []
        if new_name is not None and new_name != self.name:
            changes.append('name: %s -> %s' % (self.name, new_name))
            self.name = new_name
            self.changed('name', 'summary')
        if allocations is not None:
            changes.extend(self.set_allocations(ctx, allocations))
        self.post_reconfigured(ctx, changes)
        return None

    def post_reconfigured(self, ctx, changes):
        self.post(ctx, 'ResourcePoolReconfiguredEvent',
                  configChanges=self.T.ChangesInfoEventArgument(modified='\n'.join(changes)))

    def UpdateChildResourceConfiguration(self, ctx, spec):
        """Reconfigure child pools and VMs at once: every spec is checked
        before any is applied; an entity that is not a child is refused."""
        plans = []
        for index, item in enumerate(spec or ()):
            path = 'spec[%d]' % index
            child = self.server.objects.get(item.entity) if item.entity is not None else None
            if child is None or (child not in self.pools and child not in self.vms):
                raise invalid_argument(path + '.entity')
            if child in self.pools:
                plans.append((child, child.updated_allocations(item, path)))
            else:
                plans.append((child, item))
        for child, plan in plans:
            if isinstance(child, ResourcePool):
                child.post_reconfigured(ctx, child.set_allocations(ctx, plan))
            else:
                vm_spec = self.T.VirtualMachineConfigSpec(cpuAllocation=plan.cpuAllocation,
                                                          memoryAllocation=plan.memoryAllocation)
                child.apply_config_spec(ctx, vm_spec)
                child.changed('resourceConfig', 'config', 'summary')
                event_manager(self.server).post('VmReconfiguredEvent', child, ctx=ctx,
                                                configSpec=vm_spec)
        self.changed('childConfiguration')
        self.reservations_changed()
        return None

    # -- MoveIntoResourcePool ----------------------------------------------------------
    def MoveIntoResourcePool(self, ctx, list):
        """Move pools, vApps and VMs of the same compute resource here."""
        objects = [self.server.objects.resolve(ref) for ref in list or ()]
        for obj in objects:
            self.check_move(obj)
        self.check_move_admitted(objects)
        for obj in objects:
            old = obj.parent_object() if isinstance(obj, ResourcePool) else obj.pool
            if old is self:
                continue
            if isinstance(obj, ResourcePool):
                old.pools.remove(obj)
                self.pools.append(obj)
                obj.parent = self.ref
                obj.changed('parent')
                old.changed('resourcePool', 'childConfiguration')
                self.changed('resourcePool', 'childConfiguration')
                obj.post(ctx, 'ResourcePoolMovedEvent', oldParent=old.argument(),
                         newParent=self.argument())
            else:
                self.take_vm(obj)
                event_manager(self.server).post('VmResourcePoolMovedEvent', obj, ctx=ctx,
                                                oldParent=old.argument(),
                                                newParent=self.argument())
            old.reservations_changed()
        self.reservations_changed()
        return None

    def holding_cap(self, kind):
        """The most this pool's children may hold: a root's capacity, a fixed
        reservation, an expandable pool's limit (None: no bound of its own)."""
        if self.is_root():
            return self.capacity(kind)
        allocation = self.allocation_of(kind)
        if not allocation.expandableReservation:
            return allocation.reservation
        return None if allocation.limit == -1 else allocation.limit

    def check_move_admitted(self, objects):
        """Raise vCenter's admission fault when moving `objects` (checked)
        here leaves this pool or an ancestor holding more than it may: the
        moves are made on the child lists alone, each pool whose use grew is
        checked against its cap, and the lists are put back."""
        chain, pool = [], self
        while isinstance(pool, ResourcePool):
            chain.append(pool)
            pool = pool.parent_object()
        before = {(pool, kind): pool.reservation_used(kind) for pool in chain
                  for kind, _ in KINDS}
        moved = []   # (list moved from, index there, list moved to)
        for obj in objects:
            pool = isinstance(obj, ResourcePool)
            old = obj.parent_object() if pool else obj.pool
            source, target = (old.pools, self.pools) if pool else (old.vms, self.vms)
            if old is not self and obj in source:   # (listed twice: moved once)
                index = source.index(obj)
                target.append(source.pop(index))
                moved.append((source, index, target))
        try:
            for (pool, kind), used_before in before.items():
                used, cap = pool.reservation_used(kind), pool.holding_cap(kind)
                if used > used_before and cap is not None and used > cap:
                    raise insufficient(kind, max(cap - used_before, 0), used - used_before)
        finally:
            for source, index, target in reversed(moved):
                source.insert(index, target.pop())

    def check_move(self, obj):
        if not (is_a(self.server, obj, 'ResourcePool') or
                is_a(self.server, obj, 'VirtualMachine')):
            raise invalid_argument('list')
        if isinstance(obj, ResourcePool) and self.type_name == 'VirtualApp':
            raise invalid_argument('list')   # a vApp holds VMs; child vApps it creates
        if isinstance(obj, ResourcePool):
            if obj.is_root() or obj.owner_object is not self.owner_object:
                raise invalid_argument('list')
            walker = self
            while isinstance(walker, ResourcePool):
                if walker is obj:
                    raise invalid_argument('list')
                walker = walker.parent_object()
            if obj.parent_object() is not self:
                self.check_child_name(obj.name)
        elif obj.pool is None or obj.pool.owner_object is not self.owner_object:
            raise invalid_argument('list')

    def take_vm(self, vm):
        """Make `vm` (in another pool of the same owner) one of this pool's VMs."""
        old = vm.pool
        old.vms.remove(vm)
        old.changed('vm')
        old.release_vm(vm)
        self.vms.append(vm)
        vm.pool = self
        self.changed('vm')
        vm.changed('resourcePool')

    def release_vm(self, vm):
        """What leaving this pool means for a VM beyond the lists (vApps)."""

    # -- DestroyChildren / Destroy_Task --------------------------------------------------
    def move_contents_to(self, target, task=None, ctx=None):
        """Hand this pool's VMs and child pools to `target`, with vCenter's events."""
        for vm in list(self.vms):
            target.take_vm(vm)
            fields = dict(oldParent=self.argument(), newParent=target.argument())
            if task is not None:
                task.post_event('VmResourcePoolMovedEvent', vm, **fields)
            else:
                event_manager(self.server).post('VmResourcePoolMovedEvent', vm, ctx=ctx,
                                                **fields)
        for child in list(self.pools):
            self.pools.remove(child)
            target.pools.append(child)
            child.parent = target.ref
            child.changed('parent')
        target.changed('vm', 'resourcePool', 'childConfiguration')

    def destroy_pool(self, post):
        """Take this (non-root) pool out, its contents moved to its parent;
        `post(type, entity, **fields)` posts its ResourcePoolDestroyedEvent."""
        parent = self.parent_object()
        parent.pools.remove(self)
        post('ResourcePoolDestroyedEvent', self.owner_object, resourcePool=self.argument())
        parent.changed('resourcePool', 'childConfiguration')
        self.destroy()

    def DestroyChildren(self, ctx):
        """Destroy the child pools (not vApps) and theirs; the VMs and vApps
        they held come to this pool."""
        def post(type_name, entity, **fields):
            event_manager(self.server).post(type_name, entity, ctx=ctx, **fields)
        for child in list(self.pools):
            if child.type_name == 'VirtualApp':
                continue
            child.DestroyChildren(ctx)
            child.move_contents_to(self, ctx=ctx)
            child.destroy_pool(post)
        self.reservations_changed()
        return None

    def Destroy_Task(self, ctx):
        if self.is_root():
            raise invalid_argument('self')

        def work(task):
            parent = self.parent_object()
            self.move_contents_to(parent, task=task)
            self.destroy_pool(task.post_event)
            parent.reservations_changed()
            return None
        return run_task(ctx, self, 'Destroy_Task', work)

    # -- QueryResourceConfigOption ---------------------------------------------------------
    def QueryResourceConfigOption(self, ctx):
        """The shares a ResourceConfigSpec may give: the custom range
        `allocation_from` holds them to, a new pool's normal shares as default."""
        T = self.T

        def option(kind):
            return T.ResourceAllocationOption(sharesOption=T.SharesOption(
                sharesOption=T.IntOption(min=0, max=MAX_SHARES,
                                         defaultValue=POOL_SHARES_NORMAL[kind]),
                defaultLevel='normal'))
        return T.ResourceConfigOption(cpuAllocationOption=option('cpu'),
                                      memoryAllocationOption=option('memory'))

    # -- RefreshRuntime --------------------------------------------------------------------
    def RefreshRuntime(self, ctx):
        """The runtime is computed on every read; refreshing tells watchers to re-read it."""
        self.changed('runtime', 'summary')
        return None

