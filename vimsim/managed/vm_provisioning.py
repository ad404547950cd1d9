"""VM provisioning as vCenter does it: Folder.CreateFolder, CreateVM_Task,
RegisterVM_Task, MoveIntoFolder_Task, UnregisterAndDestroy_Task and
Destroy_Task; ResourcePool.Destroy_Task; VirtualMachine.CloneVM_Task,
RelocateVM_Task, MigrateVM_Task and CustomizeVM_Task.

The methods live in mixins that Folder, ResourcePool and VirtualMachine take
as bases. Faults vCenter raises before a task exists (a parameter of the wrong
type, a folder that cannot hold VMs) are raised by the handler; everything
else is checked in the task's work, as vCenter does, so it becomes
`info.error`.

Placement keeps every view of a relation in step: a VM's host, pool, folder
and datastore lists (`vm` of hosts, pools, datastores, networks), the folder's
`childEntity`, and the change hub (`changed`) so WaitForUpdates sees it.
"""
import copy
import re

from vimsim import clock
from vimsim.managed.task import run_task
from vimsim.soap.fault import fault

NAME_MAX = 80
NAME_ESCAPES = (('%', '%25'), ('/', '%2f'), ('\\', '%5c'))
_DS_PATH = re.compile(r'^\[([^\]]*)\]\s*(.*)$')

# guest families customization supports (vCenter: UncustomizableGuest otherwise)
LINUX_GUESTS = ('linuxGuest',)
WINDOWS_GUESTS = ('windowsGuest',)


# -- helpers --------------------------------------------------------------------------

def _now():
    return clock.now()


def _is_a(server, obj, type_name):
    managed = server.schema.managed.get(obj.type_name)
    return managed is not None and managed.is_a(type_name)


def _resolve(ctx, ref, type_name, argument):
    """The object `ref` names, which must be a `type_name`: InvalidArgument
    naming `argument` otherwise (ManagedObjectNotFound when it is gone)."""
    obj = ctx.server.objects.resolve(ref)
    if not _is_a(ctx.server, obj, type_name):
        raise fault('InvalidArgument', 'A specified parameter was not correct: %s' % argument,
                    invalidProperty=argument)
    return obj


def _invalid_argument(name):
    return fault('InvalidArgument', 'A specified parameter was not correct: %s' % name,
                 invalidProperty=name)


def check_name(name, entity=None):
    """vCenter's entity-name rules: InvalidName when empty or longer than 80
    characters; '%', '/' and '\\' are escaped. Returns the stored name."""
    if not name or len(name) > NAME_MAX:
        raise fault('InvalidName', "The name '%s' is invalid." % (name or ''), name=name or '',
                    entity=entity.ref if entity is not None else None)
    for char, escaped in NAME_ESCAPES:
        name = name.replace(char, escaped)
    return name


def _duplicate(server, folder, name, exclude=None):
    for ref in folder.childEntity:
        child = server.objects.get(ref)
        if child is not None and child is not exclude and child.name == name:
            return child
    return None


def check_unique(server, folder, name, exclude=None):
    other = _duplicate(server, folder, name, exclude)
    if other is not None:
        raise fault('DuplicateName', "The name '%s' already exists." % name, name=name,
                    object=other.ref)


def datacenter_of(server, entity):
    from vimsim.managed.event_manager import _datacenter_of
    return _datacenter_of(server, entity)


def next_sequence(server):
    """The next VM sequence number (MAC, IP): one past every VM made so far."""
    sequence = getattr(server, 'vm_sequence', None)
    if sequence is None:
        sequence = 1 + max((getattr(obj, 'sequence', -1) for obj in server.objects
                            if getattr(obj, 'type_name', '') == 'VirtualMachine'), default=-1)
    server.vm_sequence = sequence + 1
    return sequence


def parse_datastore_path(path):
    """('ds', 'rest') of '[ds] rest'; None when malformed."""
    match = _DS_PATH.match(path or '')
    if match is None or not match.group(1):
        return None
    return match.group(1), match.group(2).strip()


def _argument(server, type_name, field, obj):
    return server.schema.types[type_name].cls(name=obj.name, **{field: obj.ref})


def _vm_task(ctx, vm, method, work):
    """The VM's task: vm_task (one task at a time per VM) once the VM module
    has it, else run_task."""
    from vimsim.managed import virtual_machine
    runner = getattr(virtual_machine, 'vm_task', None)
    if runner is not None:
        return runner(ctx, vm, method, work)
    return run_task(ctx, vm, method, work)


def host_usable(host):
    """(fault or None) for a host a VM should run on."""
    state = getattr(host, 'connection_state', 'connected')
    if state != 'connected':
        return fault('HostNotConnected', 'Unable to communicate with the remote host, since '
                     'it is disconnected.')
    if getattr(host, 'maintenance', False):
        return fault('InvalidHostState', 'The operation is not allowed in the current state of '
                     'the host.', host=host.ref)
    return None


def pick_host(compute, datastore=None, network=None, prefer=None):
    """DRS-like initial placement: a connected host, not in maintenance mode,
    that mounts `datastore` and sees `network`, with the fewest VMs (`prefer`
    wins when it qualifies)."""
    candidates = [h for h in compute.hosts if host_usable(h) is None
                  and (datastore is None or datastore in h.datastores)
                  and (network is None or network in h.networks)]
    if not candidates:
        return None
    if prefer in candidates:
        return prefer
    return min(candidates, key=lambda h: (len(h.vms), compute.hosts.index(h)))


def detach_vm(vm):
    """Take a VM out of the inventory: its folder, pool, host, datastores,
    networks, then the registry (which reports it gone)."""
    folder = vm.parent_object()
    if folder is not None and hasattr(folder, 'remove_child'):
        folder.remove_child(vm)
        folder.changed('childEntity')
    for holder, name in ((vm.pool, 'vm'), (vm.host, 'vm')):
        if holder is not None and vm in holder.vms:
            holder.vms.remove(vm)
            holder.changed(name, 'summary')
    for ds in list(getattr(vm, 'datastore_objects', lambda: [vm.datastore_object])()):
        if vm in ds.vms:
            ds.vms.remove(vm)
            ds.changed('vm', 'summary', 'info')
    if vm.datastore_object is not None and vm in vm.datastore_object.vms:
        vm.datastore_object.vms.remove(vm)
        vm.datastore_object.changed('vm', 'summary', 'info')
    networks = getattr(vm, 'network_objects', lambda: [vm.network_object])()
    for network in list(networks) + [vm.network_object]:
        if network is not None and vm in network.vms:
            network.vms.remove(vm)
            network.changed('vm')
    tree = getattr(vm, 'snapshot_tree', None)
    if tree is not None and hasattr(tree, 'destroy'):
        tree.destroy()
    vm.destroy()


def _chain(backing):
    out = []
    while backing is not None:
        out.append(backing)
        backing = getattr(backing, 'parent', None)
    return out


def _report(vm, *names):
    reporter = getattr(vm, 'report_changed', None)
    if reporter is not None:
        reporter(*names)
    else:
        vm.changed(*names)


# -- network and datastore of a NIC / disk spec --------------------------------------

def _nic_network(server, datacenter, backing):
    T = server.schema.types
    if backing is None:
        return None
    if isinstance(backing, T['VirtualEthernetCardNetworkBackingInfo'].cls):
        if backing.network is not None:
            return server.objects.get(backing.network)
        if datacenter is not None:
            return next((n for n in datacenter.networks if n.name == backing.deviceName), None)
    if isinstance(backing, T['VirtualEthernetCardDistributedVirtualPortBackingInfo'].cls):
        from vimsim.schema import MoRef
        port = backing.port
        if port is not None and port.portgroupKey:
            return server.objects.get(MoRef('DistributedVirtualPortgroup', port.portgroupKey))
    if isinstance(backing, T['VirtualEthernetCardOpaqueNetworkBackingInfo'].cls) and \
            datacenter is not None:
        return next((n for n in datacenter.networks if n.type_name == 'OpaqueNetwork'
                     and n.opaque_id == backing.opaqueNetworkId), None)
    return None


def _spec_networks(server, datacenter, config):
    T = server.schema.types
    found = []
    for change in (config.deviceChange or ()) if config is not None else ():
        device = change.device
        if isinstance(device, T['VirtualEthernetCard'].cls) and change.operation == 'add':
            network = _nic_network(server, datacenter, device.backing)
            if network is not None and network not in found:
                found.append(network)
    return found


# =====================================================================================
# Folder

class FolderProvisioning:
    """Folder methods: CreateFolder, CreateVM_Task, RegisterVM_Task,
    MoveIntoFolder_Task, UnregisterAndDestroy_Task, Destroy_Task."""

    FOLDER_PREFIXES = (('VirtualMachine', 'group-v'), ('ComputeResource', 'group-h'),
                       ('Datastore', 'group-s'), ('Network', 'group-n'),
                       ('Datacenter', 'group-d'))

    def accepts(self, obj):
        """Whether `obj` may be a child of this folder (its childType)."""
        managed = self.server.schema.managed.get(obj.type_name)
        return managed is not None and any(managed.is_a(t) for t in self.childType)

    def _require_vm_folder(self):
        if 'VirtualMachine' not in self.childType:
            raise fault('NotSupported', 'The operation is not supported on the object.')

    # -- CreateFolder -------------------------------------------------------------------
    def CreateFolder(self, ctx, name):
        from vimsim.managed.entity import Folder
        if 'Folder' not in self.childType:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        name = check_name(name)
        check_unique(self.server, self, name)
        prefix = next((p for t, p in self.FOLDER_PREFIXES if t in self.childType), 'group-v')
        folder = Folder(self.server, self.server.objects.next_id(prefix), name, self,
                        tuple(self.childType))
        self.add_child(folder)
        self.changed('childEntity')
        return folder

    # -- CreateVM_Task -----------------------------------------------------------------
    def CreateVM_Task(self, ctx, config, pool, host=None):
        self._require_vm_folder()
        server = self.server
        pool_object = _resolve(ctx, pool, 'ResourcePool', 'pool')
        host_object = _resolve(ctx, host, 'HostSystem', 'host') if host is not None else None
        compute = pool_object.owner_object
        if host_object is not None and host_object not in compute.hosts:
            raise _invalid_argument('host')
        if not config.files or not config.files.vmPathName:
            raise _invalid_argument('config.files')

        def work(task):
            name = check_name(config.name)
            check_unique(server, self, name)
            datacenter = datacenter_of(server, self)
            datastore = self._datastore_of_path(datacenter, config.files.vmPathName, name)
            networks = _spec_networks(server, datacenter, config)
            target = host_object
            if target is None:
                target = pick_host(compute, datastore)
                if target is None:
                    raise fault('NoActiveHostInCluster', 'No host in the cluster is available '
                                'to run the virtual machine.', computeResource=compute.ref) \
                        if _is_a(server, compute, 'ClusterComputeResource') else \
                        _invalid_argument('host')
            else:
                problem = host_usable(target)
                if problem is not None:
                    raise problem
            if datastore not in target.datastores:
                raise fault('DatastoreNotWritableOnHost', "The datastore '%s' is not "
                            'accessible on the host.' % datastore.name,
                            datastore=datastore.ref, name=datastore.name, host=target.ref)
            for network in networks:
                if network not in target.networks:
                    raise fault('InvalidArgument', 'A specified parameter was not correct: '
                                'config.deviceChange', invalidProperty='config.deviceChange')
            vm = self._make_vm(ctx, name, pool_object, target, datastore, config)
            task.post_event('VmBeingCreatedEvent', vm, configSpec=config)
            _post_identity_events(task, vm)
            task.post_event('VmCreatedEvent', vm)
            return vm
        return run_task(ctx, self, 'CreateVM_Task', work)

    def _datastore_of_path(self, datacenter, path, name):
        parsed = parse_datastore_path(path)
        if parsed is None:
            raise fault('InvalidDatastorePath', "Invalid datastore path '%s'." % path,
                        datastorePath=path)
        ds_name, rest = parsed
        datastore = next((ds for ds in (datacenter.datastores if datacenter else ())
                          if ds.name == ds_name), None)
        if datastore is None:
            raise fault('InvalidDatastorePath', "Invalid datastore path '%s'." % path,
                        name=ds_name, datastorePath=path)
        if rest:
            directory = rest.rsplit('/', 1)[0] if '/' in rest else rest
            if rest.endswith('.vmx') and '/' not in rest:
                directory = ''
            taken = '[%s] %s' % (ds_name, directory or name)
            for vm in datastore.vms:
                if getattr(vm, 'directory', None) == taken:
                    raise fault('FileAlreadyExists', "Cannot complete the operation because the "
                                "file or folder %s already exists" % path, file=path)
        else:
            for vm in datastore.vms:
                if getattr(vm, 'directory', None) == '[%s] %s' % (ds_name, name):
                    raise fault('FileAlreadyExists', "Cannot complete the operation because the "
                                "file or folder [%s] %s already exists" % (ds_name, name),
                                file='[%s] %s' % (ds_name, name))
        return datastore

    def _make_vm(self, ctx, name, pool, host, datastore, config, template=False):
        from vimsim.managed.virtual_machine import VirtualMachine
        server = self.server
        vm = VirtualMachine(server, server.new_vm_moid(), name, self, pool, host,
                            datastore, None, next_sequence(server),
                            num_cpu=config.numCPUs or 1, memory_mb=config.memoryMB or 32,
                            guest_id=config.guestId or 'otherGuest64')
        _adopt(pool, vm)
        try:
            apply = getattr(vm, 'apply_config_spec', None)
            if apply is not None:
                apply(ctx, config, creating=True)
        except Exception:
            detach_vm(vm)
            raise
        vm.template = template
        self.changed('childEntity')
        host.changed('vm', 'summary')
        pool.changed('vm', 'summary', 'runtime')
        for ds in getattr(vm, 'datastore_objects', lambda: [datastore])():
            ds.changed('vm', 'summary', 'info')
        return vm

    # -- RegisterVM_Task -----------------------------------------------------------------
    def RegisterVM_Task(self, ctx, path, asTemplate, name=None, pool=None, host=None):
        self._require_vm_folder()
        server = self.server
        pool_object = _resolve(ctx, pool, 'ResourcePool', 'pool') if pool is not None else None
        host_object = _resolve(ctx, host, 'HostSystem', 'host') if host is not None else None
        if asTemplate and host_object is None:
            raise _invalid_argument('host')
        if not asTemplate and pool_object is None:
            raise _invalid_argument('pool')
        if pool_object is not None and host_object is not None \
                and host_object not in pool_object.owner_object.hosts:
            raise _invalid_argument('host')

        def work(task):
            store = unregistered(server)
            saved = store.get(path)
            if saved is None:
                raise fault('NotFound', 'The object or item referred to could not be found.') \
                    if parse_datastore_path(path) is None else \
                    fault('FileNotFound', "File %s was not found" % path, file=path)
            vm_name = check_name(name or saved.name)
            check_unique(server, self, vm_name)
            target_pool = pool_object or host_object.compute_resource.pool
            target = host_object or pick_host(target_pool.owner_object, saved.datastore_object)
            if target is None:
                raise _invalid_argument('host')
            problem = host_usable(target)
            if problem is not None:
                raise problem
            del store[path]
            vm = saved
            vm.name = vm_name
            vm.parent = None
            server.objects.add(vm)
            self.add_child(vm)
            vm.pool, vm.host = target_pool, target
            target_pool.vms.append(vm)
            _adopt(target_pool, vm)
            target.vms.append(vm)
            for ds in getattr(vm, 'datastore_objects', lambda: [vm.datastore_object])():
                if vm not in ds.vms:
                    ds.vms.append(vm)
                ds.changed('vm', 'summary', 'info')
            for network in getattr(vm, 'network_objects', lambda: [vm.network_object])():
                if network is not None and vm not in network.vms:
                    network.vms.append(vm)
                    network.changed('vm')
            vm.template = bool(asTemplate)
            self.changed('childEntity')
            target.changed('vm', 'summary')
            target_pool.changed('vm', 'summary')
            task.post_event('VmRegisteredEvent', vm)
            return vm
        return run_task(ctx, self, 'RegisterVM_Task', work)

    # -- MoveIntoFolder_Task ---------------------------------------------------------------
    def MoveIntoFolder_Task(self, ctx, list):
        server = self.server
        objects = [server.objects.resolve(ref) for ref in list or ()]

        def work(task):
            for obj in objects:
                self._check_move(obj)
            for obj in objects:
                if self.move_in(obj) and hasattr(obj, 'vm_folder_moved'):
                    obj.vm_folder_moved()
            return None
        return run_task(ctx, self, 'MoveIntoFolder_Task', work)

    def _check_move(self, obj):
        server = self.server
        if not self.accepts(obj):
            raise fault('NotSupported', 'The operation is not supported on the object.')
        # a folder may not go into itself or below itself
        walker = self
        while walker is not None:
            if walker is obj:
                raise fault('InvalidFolder', 'The request refers to an unexpected or unknown '
                            'type.', target=obj.ref)
            walker = walker.parent_object()
        if datacenter_of(server, obj) is not datacenter_of(server, self) \
                and not _is_a(server, obj, 'Datacenter') and not _is_a(server, obj, 'Folder'):
            raise fault('NotSupported', 'The operation is not supported on the object.')
        if obj.parent_object() is not self:
            check_unique(server, self, obj.name)

    # -- UnregisterAndDestroy_Task -----------------------------------------------------------
    def UnregisterAndDestroy_Task(self, ctx):
        if 'VirtualMachine' not in self.childType:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        if self._is_special():
            raise fault('NotSupported', 'The operation is not supported on the object.')

        def work(task):
            vms = self._all_vms()
            for vm in vms:
                if vm.power_state == 'poweredOn':
                    raise fault('InvalidPowerState', 'The attempted operation cannot be '
                                'performed in the current state (Powered on).',
                                requestedState='poweredOff', existingState=vm.power_state)
            for vm in vms:
                task.post_event('VmRemovedEvent', vm)
                unregister_vm(vm)
            self._destroy_tree()
            return None
        return run_task(ctx, self, 'UnregisterAndDestroy_Task', work)

    # -- Destroy_Task ----------------------------------------------------------------------
    def Destroy_Task(self, ctx):
        if self._is_special():
            raise fault('NotSupported', 'The operation is not supported on the object.')

        def work(task):
            for child in self._tree():
                if child is self or _is_a(self.server, child, 'Folder'):
                    continue
                if not _is_a(self.server, child, 'VirtualMachine'):
                    raise fault('ResourceInUse', 'The resource %s is in use.' % child.name,
                                type=child.type_name, name=child.name)
                if child.power_state == 'poweredOn':
                    raise fault('InvalidPowerState', 'The attempted operation cannot be '
                                'performed in the current state (Powered on).',
                                requestedState='poweredOff', existingState=child.power_state)
            for vm in self._all_vms():
                task.post_event('VmRemovedEvent', vm)
                detach_vm(vm)
            self._destroy_tree()
            return None
        return run_task(ctx, self, 'Destroy_Task', work)

    def _is_special(self):
        """The root folder and a datacenter's vm/host/datastore/network folders."""
        parent = self.parent_object()
        return parent is None or _is_a(self.server, parent, 'Datacenter')

    def _tree(self):
        out = [self]
        for ref in list(self.childEntity):
            child = self.server.objects.get(ref)
            if child is None:
                continue
            if isinstance(child, FolderProvisioning):
                out.extend(child._tree())
            else:
                out.append(child)
        return out

    def _all_vms(self):
        return [obj for obj in self._tree() if _is_a(self.server, obj, 'VirtualMachine')]

    def _destroy_tree(self):
        for ref in list(self.childEntity):
            child = self.server.objects.get(ref)
            if isinstance(child, FolderProvisioning):
                child._destroy_tree()
        parent = self.parent_object()
        if parent is not None and hasattr(parent, 'remove_child'):
            parent.remove_child(self)
            parent.changed('childEntity')
        self.destroy()


def _adopt(pool, vm):
    adopt = getattr(pool, 'adopt', None)
    if adopt is not None and getattr(pool, 'type_name', '') == 'VirtualApp':
        adopt(vm)


def _post_identity_events(task, vm):
    task.post_event('VmUuidAssignedEvent', vm, uuid=vm.uuid)
    task.post_event('VmInstanceUuidAssignedEvent', vm, instanceUuid=vm.instance_uuid)
    for nic in _vm_nics(vm):
        if nic.macAddress:
            task.post_event('VmMacAssignedEvent', vm, adapter=nic.deviceInfo.label
                            if nic.deviceInfo is not None else '', mac=nic.macAddress)


def _vm_nics(vm):
    nics = getattr(vm, 'nics', None)
    if nics is not None:
        return nics()
    Card = vm.T.VirtualEthernetCard
    return [d for d in vm.devices() if isinstance(d, Card)]


def unregistered(server):
    """{vmx path: VirtualMachine} of VMs taken out of the inventory with their
    files kept (UnregisterVM, UnregisterAndDestroy): RegisterVM_Task's source."""
    store = getattr(server, 'unregistered_vms', None)
    if store is None:
        store = server.unregistered_vms = {}
    return store


def unregister_vm(vm):
    """Remove a VM from the inventory, keeping its files for RegisterVM_Task."""
    path = vm.file_path('.vmx')
    detach_vm(vm)
    unregistered(vm.server)[path] = vm


# =====================================================================================
# ResourcePool

class ResourcePoolProvisioning:
    """ResourcePool.CreateResourcePool; Destroy_Task: child pools and VMs move
    to the parent pool."""

    def CreateResourcePool(self, ctx, name, spec):
        """A child pool with `spec`'s allocations (shares filled in from their
        level, as vCenter stores them); DuplicateName among the children."""
        from vimsim.managed.event_manager import event_manager
        from vimsim.managed.resource_pool import ResourcePool, default_shares
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
            resourcePool=_argument(self.server, 'ResourcePoolEventArgument', 'resourcePool',
                                   pool),
            parent=_argument(self.server, 'ResourcePoolEventArgument', 'resourcePool', self))
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
                                oldParent=_argument(self.server, 'ResourcePoolEventArgument',
                                                    'resourcePool', self),
                                newParent=_argument(self.server, 'ResourcePoolEventArgument',
                                                    'resourcePool', parent))
            for child in list(self.pools):
                self.pools.remove(child)
                parent.pools.append(child)
                child.parent = parent.ref
                child.changed('parent')
            parent.pools.remove(self)
            task.post_event('ResourcePoolDestroyedEvent', self.owner_object,
                            resourcePool=_argument(self.server, 'ResourcePoolEventArgument',
                                                   'resourcePool', self))
            parent.changed('vm', 'resourcePool', 'summary', 'runtime', 'childConfiguration')
            self.destroy()
            return None
        return run_task(ctx, self, 'Destroy_Task', work)


# =====================================================================================
# VirtualMachine

class VmProvisioning:
    """VirtualMachine methods: CloneVM_Task, RelocateVM_Task, MigrateVM_Task,
    CustomizeVM_Task; and the guest identity a customization gave."""

    customization = None   # {'hostName', 'domain', 'ips': [ip or None per NIC]}
    linked_parent = None   # (source VM, snapshot) of a linked clone

    # -- guest identity after customization ------------------------------------------------
    def read(self, name, ctx):
        value = super().read(name, ctx)
        if self.customization is not None and name in ('guest', 'summary') and value is not None:
            self._customize_view(name, value)
        return value

    def _customize_view(self, name, value):
        if self.power_state != 'poweredOn' or not getattr(self, 'tools_running', True):
            return
        custom = self.customization
        guest = value.guest if name == 'summary' else value
        if guest is None:
            return
        ip = next((address for address in custom['ips'] if address), None)
        if custom['hostName']:
            guest.hostName = custom['hostName']
        if ip is not None:
            guest.ipAddress = ip
        if name == 'guest':
            for index, nic in enumerate(guest.net or ()):
                address = custom['ips'][index] if index < len(custom['ips']) else None
                if address:
                    nic.ipAddress = [address]
                    if nic.ipConfig is not None:
                        for entry in nic.ipConfig.ipAddress or ():
                            entry.ipAddress = address
            for stack in guest.ipStack or ():
                if stack.dnsConfig is not None:
                    if custom['hostName']:
                        stack.dnsConfig.hostName = custom['hostName']
                    if custom['domain']:
                        stack.dnsConfig.domainName = custom['domain']

    def _custom_path_readers(self):
        """Per-VM fast-path readers that answer with the customized identity."""
        base = type(self).path_readers
        readers = dict(base)

        def host_name(vm):
            on = vm.power_state == 'poweredOn'
            return vm.customization['hostName'] if on else None

        def ip_address(vm):
            if vm.power_state != 'poweredOn':
                return None
            return next((a for a in vm.customization['ips'] if a), None) or \
                base['guest.ipAddress'](vm)
        for prefix in ('guest.', 'summary.guest.'):
            if prefix + 'hostName' in readers:
                readers[prefix + 'hostName'] = host_name
            if prefix + 'ipAddress' in readers:
                readers[prefix + 'ipAddress'] = ip_address
        return readers

    # -- CustomizeVM_Task ---------------------------------------------------------------------
    def CustomizeVM_Task(self, ctx, spec):
        def work(task):
            if self.power_state != 'poweredOff':
                raise fault('InvalidPowerState', 'The attempted operation cannot be performed '
                            'in the current state (%s).' % _power_label(self.power_state),
                            requestedState='poweredOff', existingState=self.power_state)
            self.apply_customization(spec)
            return None
        return _vm_task(ctx, self, 'CustomizeVM_Task', work)

    def apply_customization(self, spec):
        """Validate a CustomizationSpec against this VM (vCenter's
        CustomizationFault subtypes) and record the identity it gives."""
        custom = check_customization(self, spec)
        self.customization = custom
        self.path_readers = self._custom_path_readers()
        self.changed('guest', 'summary')

    # -- CloneVM_Task -------------------------------------------------------------------------
    def CloneVM_Task(self, ctx, folder, name, spec):
        server = self.server
        folder_object = _resolve(ctx, folder, 'Folder', 'folder')
        if 'VirtualMachine' not in folder_object.childType:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        location = spec.location
        pool = _resolve(ctx, location.pool, 'ResourcePool', 'spec.location.pool') \
            if location is not None and location.pool is not None else None
        host = _resolve(ctx, location.host, 'HostSystem', 'spec.location.host') \
            if location is not None and location.host is not None else None
        datastore = _resolve(ctx, location.datastore, 'Datastore', 'spec.location.datastore') \
            if location is not None and location.datastore is not None else None
        if self.template and pool is None and not spec.template:
            raise _invalid_argument('spec.location.pool')
        linked = location is not None and \
            location.diskMoveType in ('createNewChildDiskBacking',)
        snapshot = None
        if spec.snapshot is not None:
            snapshot = server.objects.resolve(spec.snapshot)
            if not _is_a(server, snapshot, 'VirtualMachineSnapshot') or \
                    getattr(snapshot, 'vm', self.ref) != self.ref:
                raise _invalid_argument('spec.snapshot')
        if linked and snapshot is None:
            raise _invalid_argument('spec.snapshot')

        def work(task):
            vm_name = check_name(name)
            check_unique(server, folder_object, vm_name)
            target_pool = pool or self.pool
            if host is not None and target_pool is not None and \
                    host not in target_pool.owner_object.hosts:
                if pool is not None:
                    raise _invalid_argument('spec.location.host')
                target_pool = host.compute_resource.pool
            target_ds = datastore or self.datastore_object
            target = host
            if target is None:
                compute = target_pool.owner_object
                target = pick_host(compute, target_ds, prefer=self.host)
                if target is None:
                    raise fault('NoActiveHostInCluster', 'No host in the cluster is available '
                                'to run the virtual machine.', computeResource=compute.ref)
            problem = host_usable(target)
            if problem is not None:
                raise problem
            self._check_access(target, target_ds)
            if self.template:
                task.post_event('VmBeingDeployedEvent', self, srcTemplate=_argument(
                    server, 'VmEventArgument', 'vm', self))
            else:
                task.post_event('VmBeingClonedEvent', self, destName=vm_name,
                                destFolder=_argument(server, 'FolderEventArgument', 'folder',
                                                     folder_object),
                                destHost=_argument(server, 'HostEventArgument', 'host', target))
            clone = self._copy_to(ctx, folder_object, vm_name, target_pool, target, target_ds,
                                  snapshot if linked else None, snapshot)
            try:
                if spec.config is not None:
                    apply = getattr(clone, 'apply_config_spec', None)
                    if apply is not None:
                        apply(ctx, spec.config)
                if spec.customization is not None:
                    clone.apply_customization(spec.customization)
            except Exception:
                detach_vm(clone)
                raise
            clone.template = bool(spec.template)
            _post_identity_events(task, clone)
            if self.template:
                task.post_event('VmDeployedEvent', clone, srcTemplate=_argument(
                    server, 'VmEventArgument', 'vm', self))
            else:
                task.post_event('VmClonedEvent', clone, sourceVm=_argument(
                    server, 'VmEventArgument', 'vm', self))
            if spec.powerOn and not clone.template:
                clone.power_state = 'poweredOn'
                clone.boot_time = _now()
                task.post_event('VmStartingEvent', clone)
                task.post_event('VmPoweredOnEvent', clone)
                _report(clone, 'runtime', 'summary', 'guest', 'config', 'layoutEx', 'layout',
                        'storage', 'guestHeartbeatStatus')
            return clone
        return _vm_task(ctx, self, 'CloneVM_Task', work)

    def _check_access(self, host, datastore):
        """The fault vCenter gives when `host` cannot run this VM from
        `datastore`: the datastore not mounted there, or a connected NIC's
        network absent."""
        if datastore not in host.datastores:
            raise fault('DatastoreNotWritableOnHost', "The datastore '%s' is not accessible on "
                        'the host.' % datastore.name, datastore=datastore.ref,
                        name=datastore.name, host=host.ref)
        for nic in _vm_nics(self):
            network = self._nic_network(nic) if hasattr(self, '_nic_network') else \
                self.network_object
            if network is not None and network not in host.networks:
                label = nic.deviceInfo.label if nic.deviceInfo is not None else ''
                raise fault('CannotAccessNetwork', "Currently connected network interface '%s' "
                            "uses network '%s', which is not accessible." % (label, network.name),
                            device=label, backing=network.name, connected=True,
                            network=network.ref)

    def _copy_to(self, ctx, folder, name, pool, host, datastore, link_snapshot, snapshot):
        from vimsim.managed.virtual_machine import VirtualMachine
        server = self.server
        clone = VirtualMachine(server, server.new_vm_moid(), name, folder, pool, host,
                               datastore, self.network_object, next_sequence(server),
                               num_cpu=self.num_cpu, memory_mb=self.memory_mb,
                               disk_kb=self.disk_kb, guest_id=self.guest_id)
        _adopt(pool, clone)
        for attr in ('annotation', 'cores_per_socket', 'cpu_allocation', 'memory_allocation',
                     'cpu_hot_add', 'cpu_hot_remove', 'memory_hot_add', 'tools_installed',
                     'hw_version'):
            if attr in self.__dict__:
                setattr(clone, attr, copy.deepcopy(self.__dict__[attr]))
        if self.__dict__.get('extra_config') is not None:
            clone.extra_config = dict(self.extra_config)
        if self.customization is not None:
            clone.customization = dict(self.customization)
            clone.path_readers = clone._custom_path_readers()
        source_devices = self._source_devices(snapshot)
        if source_devices is not None or link_snapshot is not None:
            if source_devices is None:
                source_devices = list(self.devices())
            clone._devices = self._cloned_devices(clone, source_devices, datastore,
                                                  link_snapshot)
            if link_snapshot is not None:
                clone.linked_parent = (self, link_snapshot)
            clone.devices_changed()
        folder.changed('childEntity')
        host.changed('vm', 'summary')
        pool.changed('vm', 'summary')
        datastore.changed('vm', 'summary', 'info')
        return clone

    def _source_devices(self, snapshot):
        """The devices a clone copies: the snapshot's, else the VM's own list
        (None while the VM still has the computed default devices)."""
        if snapshot is not None:
            config = snapshot.read('config', None) if hasattr(snapshot, 'read') else None
            if config is not None and config.hardware is not None:
                return list(config.hardware.device)
        if getattr(self, '_devices', None) is not None:
            return list(self._devices)
        return None

    def _cloned_devices(self, clone, devices, datastore, link_snapshot):
        from vimsim.managed.virtual_machine import vm_mac
        T = self.T
        out = []
        nic_index = 0
        disk_index = 0
        for device in devices:
            device = copy.deepcopy(device)
            if isinstance(device, T.VirtualDisk):
                backing = device.backing
                suffix = '.vmdk' if disk_index == 0 else '_%d.vmdk' % disk_index
                new_file = clone.file_path(suffix)
                if link_snapshot is not None:
                    parent = copy.deepcopy(backing)
                    child = copy.deepcopy(backing)
                    child.parent = parent
                    child.fileName = clone.file_path('-000001.vmdk' if disk_index == 0
                                                     else '_%d-000001.vmdk' % disk_index)
                    child.datastore = datastore.ref
                    if hasattr(child, 'deltaDiskFormat'):
                        child.deltaDiskFormat = 'redoLogFormat'
                    if hasattr(child, 'uuid'):
                        child.uuid = clone._uuid('6000C29%d' % disk_index)
                    device.backing = child
                elif backing is not None and hasattr(backing, 'fileName'):
                    backing.fileName = new_file
                    backing.datastore = datastore.ref
                    if hasattr(backing, 'parent'):
                        backing.parent = None
                    if hasattr(backing, 'uuid'):
                        backing.uuid = clone._uuid('6000C29%d' % disk_index)
                if hasattr(device, 'diskObjectId'):
                    device.diskObjectId = '%s-%s' % (clone.sequence, device.key)
                disk_index += 1
            elif isinstance(device, T.VirtualEthernetCard):
                device.macAddress = vm_mac(clone.sequence + nic_index * 0x100000) \
                    if nic_index else clone.mac
                device.addressType = 'assigned'
                backing = device.backing
                if isinstance(backing, T.VirtualEthernetCardDistributedVirtualPortBackingInfo):
                    network = self._nic_network(device) if hasattr(self, '_nic_network') else None
                    if network is not None and hasattr(network, 'port_for'):
                        device.backing = network.nic_backing(clone)
                nic_index += 1
            elif isinstance(device, T.VirtualMachineVMCIDevice):
                device.id = int(clone.uuid.replace('-', '')[-8:], 16) & 0x7fffffff
            out.append(device)
        return out

    # -- RelocateVM_Task / MigrateVM_Task ---------------------------------------------------
    def RelocateVM_Task(self, ctx, spec, priority=None):
        server = self.server
        pool = _resolve(ctx, spec.pool, 'ResourcePool', 'spec.pool') \
            if spec.pool is not None else None
        host = _resolve(ctx, spec.host, 'HostSystem', 'spec.host') \
            if spec.host is not None else None
        datastore = _resolve(ctx, spec.datastore, 'Datastore', 'spec.datastore') \
            if spec.datastore is not None else None
        folder = _resolve(ctx, spec.folder, 'Folder', 'spec.folder') \
            if spec.folder is not None else None

        def work(task):
            target_pool = pool or self.pool
            target = host
            if target is None:
                if pool is not None and self.host not in pool.owner_object.hosts:
                    target = pick_host(pool.owner_object, datastore or self.datastore_object)
                    if target is None:
                        raise _invalid_argument('spec.host')
                else:
                    target = self.host
            elif target not in target_pool.owner_object.hosts:
                if pool is not None:
                    raise _invalid_argument('spec.pool')
                target_pool = target.compute_resource.pool
            if target is not self.host:
                problem = host_usable(target)
                if problem is not None:
                    raise problem
            target_ds = datastore or self.datastore_object
            self._check_access(target, target_ds)
            if folder is not None:
                if 'VirtualMachine' not in folder.childType:
                    raise fault('NotSupported', 'The operation is not supported on the object.')
                check_unique(server, folder, self.name, exclude=self)
            hot = self.power_state == 'poweredOn' and target is not self.host
            self._move_with_events(task, target_pool, target, target_ds, folder, hot,
                                   'VmBeingRelocatedEvent', 'VmRelocatedEvent')
            return None
        return _vm_task(ctx, self, 'RelocateVM_Task', work)

    def MigrateVM_Task(self, ctx, priority, pool=None, host=None, state=None):
        server = self.server
        pool_object = _resolve(ctx, pool, 'ResourcePool', 'pool') if pool is not None else None
        host_object = _resolve(ctx, host, 'HostSystem', 'host') if host is not None else None
        if pool_object is None and host_object is None:
            raise _invalid_argument('host')

        def work(task):
            if state is not None and state != self.power_state:
                raise fault('VmPowerStateMismatch' if 'VmPowerStateMismatch' in
                            server.schema.types else 'InvalidPowerState',
                            'The attempted operation cannot be performed in the current state '
                            '(%s).' % _power_label(self.power_state),
                            requestedState=state, existingState=self.power_state)
            target_pool = pool_object or self.pool
            target = host_object
            if target is None:
                compute = target_pool.owner_object
                target = self.host if self.host in compute.hosts else \
                    pick_host(compute, self.datastore_object)
                if target is None:
                    raise fault('NoActiveHostInCluster', 'No host in the cluster is available '
                                'to run the virtual machine.', computeResource=compute.ref)
            elif target not in target_pool.owner_object.hosts:
                if pool_object is not None:
                    raise _invalid_argument('pool')
                target_pool = target.compute_resource.pool
            problem = host_usable(target) if target is not self.host else None
            if problem is not None:
                raise problem
            self._check_access(target, self.datastore_object)
            self._move_with_events(task, target_pool, target, self.datastore_object, None,
                                   self.power_state == 'poweredOn',
                                   'VmBeingMigratedEvent', 'VmMigratedEvent')
            return None
        return _vm_task(ctx, self, 'MigrateVM_Task', work)

    def _move_with_events(self, task, pool, host, datastore, folder, hot, being, done):
        """Move the VM, posting vCenter's events around it: `being` (or the hot
        migration's pair when the VM runs and changes host) before, `done` after."""
        server = self.server
        source = self._placement()
        dest_args = dict(destHost=_argument(server, 'HostEventArgument', 'host', host),
                         destDatastore=_argument(server, 'DatastoreEventArgument',
                                                 'datastore', datastore))
        dc = datacenter_of(server, host)
        if dc is not None:
            dest_args['destDatacenter'] = _argument(server, 'DatacenterEventArgument',
                                                    'datacenter', dc)
        task.post_event('VmBeingHotMigratedEvent' if hot else being, self, **dest_args)
        if hot:
            task.post_event('VmEmigratingEvent', self)
        self._move(pool, host, datastore, folder)
        task.post_event('VmMigratedEvent' if hot else done, self, **source)

    def _placement(self):
        """The source* arguments of the migrated / relocated event."""
        server = self.server
        out = dict(sourceHost=_argument(server, 'HostEventArgument', 'host', self.host),
                   sourceDatastore=_argument(server, 'DatastoreEventArgument', 'datastore',
                                             self.datastore_object))
        dc = datacenter_of(server, self)
        if dc is not None:
            out['sourceDatacenter'] = _argument(server, 'DatacenterEventArgument',
                                                'datacenter', dc)
        return out

    def _move(self, pool, host, datastore, folder):
        """Move the VM: pool, host, home datastore (its files and disks follow)."""
        if pool is not self.pool:
            old = self.pool
            if self in old.vms:
                old.vms.remove(self)
            old.changed('vm', 'summary', 'runtime')
            pool.vms.append(self)
            self.pool = pool
            _adopt(pool, self)
            pool.changed('vm', 'summary', 'runtime')
            self.changed('resourcePool')
        if host is not self.host:
            old = self.host
            if self in old.vms:
                old.vms.remove(self)
            old.changed('vm', 'summary', 'licensableResource')
            if old.compute_resource is not None:
                old.compute_resource.changed('summary')
            host.vms.append(self)
            self.host = host
            host.changed('vm', 'summary', 'licensableResource')
            self.changed('runtime', 'summary', 'environmentBrowser')
        if datastore is not self.datastore_object:
            old = self.datastore_object
            old_prefix = '[%s] ' % old.name
            new_prefix = '[%s] ' % datastore.name
            self.datastore_object = datastore
            devices = getattr(self, '_devices', None)
            if devices is not None:
                for disk in self.disks():
                    backing = disk.backing
                    # the VM's own files move; a linked clone's parents stay
                    chain = _chain(backing)
                    own = [b for b in chain if (b.fileName or '').startswith(
                        old_prefix + self.file_name + '/')] or chain[:1]
                    for b in own:
                        if (b.fileName or '').startswith(old_prefix):
                            b.fileName = new_prefix + b.fileName[len(old_prefix):]
                        b.datastore = datastore.ref
                self.devices_changed()
            else:
                if self in old.vms:
                    old.vms.remove(self)
                datastore.vms.append(self)
            old.changed('vm', 'summary', 'info')
            datastore.changed('vm', 'summary', 'info')
            _report(self, 'config', 'summary', 'layout', 'layoutEx', 'storage', 'datastore')
        if folder is not None and folder is not self.parent_object():
            current = self.parent_object()
            if current is not None:
                current.remove_child(self)
                current.changed('childEntity')
            folder.add_child(self)
            folder.changed('childEntity')
            self.changed('parent')


def _power_label(state):
    return {'poweredOn': 'Powered on', 'poweredOff': 'Powered off',
            'suspended': 'Suspended'}.get(state, state)


# -- customization --------------------------------------------------------------------

def check_customization(vm, spec):
    """{'hostName', 'domain', 'ips'} from a CustomizationSpec valid for `vm`;
    raise the CustomizationFault subtype vCenter gives otherwise."""
    from vimsim.managed.virtual_machine import GUEST_FAMILY
    T = vm.T
    identity = spec.identity
    family = GUEST_FAMILY.get(vm.guest_id)
    if family is None:
        family = 'windowsGuest' if vm.guest_id.startswith('win') else \
            'linuxGuest' if any(word in vm.guest_id for word in (
                'linux', 'Linux', 'ubuntu', 'rhel', 'centos', 'debian', 'sles', 'oracle',
                'photon', 'fedora', 'rocky', 'alma', 'amazon')) else 'otherGuestFamily'
    linux = isinstance(identity, (T.CustomizationLinuxPrep,) + _optional(T, 'CustomizationCloudinitPrep'))
    windows = isinstance(identity, (T.CustomizationSysprep, T.CustomizationSysprepText))
    if family not in LINUX_GUESTS + WINDOWS_GUESTS or (linux and family != 'linuxGuest') \
            or (windows and family != 'windowsGuest'):
        raise fault('UncustomizableGuest', 'Customization of the guest operating system '
                    "'%s' is not supported in this configuration." % vm.guest_id,
                    uncustomizableGuestOS=vm.guest_id)
    if not (linux or windows):
        raise fault('CustomizationFault', 'The customization specification has no valid '
                    'identity settings.')
    nic_count = len(_vm_nics(vm))
    settings = spec.nicSettingMap or []
    if len(settings) != nic_count:
        raise fault('NicSettingMismatch', 'The number of network adapter settings in the '
                    'customization specification: %d does not match the number of network '
                    'adapters present in the virtual machine: %d.' % (len(settings), nic_count),
                    numberOfNicsInSpec=len(settings), numberOfNicsInVM=nic_count)
    ips = []
    for index, setting in enumerate(settings):
        generator = setting.adapter.ip if setting.adapter is not None else None
        if isinstance(generator, T.CustomizationFixedIp):
            if not _valid_ipv4(generator.ipAddress):
                raise fault('CustomizationFault', "Invalid IP address '%s'."
                            % generator.ipAddress)
            if setting.adapter.subnetMask is not None and \
                    not _valid_ipv4(setting.adapter.subnetMask):
                raise fault('CustomizationFault', "Invalid subnet mask '%s'."
                            % setting.adapter.subnetMask)
            ips.append(generator.ipAddress)
        elif isinstance(generator, (T.CustomizationUnknownIpGenerator,
                                    T.CustomizationCustomIpGenerator)):
            raise fault('IpHostnameGeneratorError', 'Error generating the IP address or the '
                        'host name for the virtual machine.')
        else:   # DHCP: the guest keeps the address it gets
            ips.append(None)
    if linux:
        name_gen = identity.hostName
        domain = identity.domain
        if not domain and isinstance(identity, T.CustomizationLinuxPrep):
            raise fault('CustomizationFault', 'The domain is required for Linux '
                        'customization.')
    elif isinstance(identity, T.CustomizationSysprep):
        name_gen = identity.userData.computerName if identity.userData is not None else None
        domain = identity.identification.joinDomain \
            if identity.identification is not None else None
    else:
        name_gen, domain = None, None
    host_name = None
    if isinstance(name_gen, T.CustomizationFixedName):
        host_name = name_gen.name
        if not re.match(r'^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$', host_name or ''):
            raise fault('CustomizationFault', "Invalid host name '%s'." % host_name)
    elif isinstance(name_gen, T.CustomizationVirtualMachineName):
        host_name = re.sub(r'[^A-Za-z0-9-]', '-', vm.name)[:63]
    elif isinstance(name_gen, T.CustomizationPrefixName):
        host_name = '%s-%d' % (name_gen.base, vm.sequence)
    elif isinstance(name_gen, (T.CustomizationUnknownName, T.CustomizationCustomName)):
        raise fault('IpHostnameGeneratorError', 'Error generating the IP address or the host '
                    'name for the virtual machine.')
    return {'hostName': host_name, 'domain': domain, 'ips': ips}


def _optional(T, name):
    try:
        return (getattr(T, name),)
    except AttributeError:
        return ()


def _valid_ipv4(text):
    parts = (text or '').split('.')
    return len(parts) == 4 and all(p.isdigit() and 0 <= int(p) <= 255 for p in parts)
