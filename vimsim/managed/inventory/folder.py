"""Folder: the inventory's containers, and what vCenter does through them:
CreateFolder, CreateDatacenter, CreateCluster(Ex), CreateStoragePod, CreateDVS_Task,
CreateVM_Task, RegisterVM_Task, MoveIntoFolder_Task, AddStandaloneHost_Task and
its batch forms, UnregisterAndDestroy_Task and Destroy_Task.

Faults vCenter raises before a task exists (a parameter of the wrong type, a
folder that cannot hold VMs) are raised by the handler; everything else is
checked in the task's work, as vCenter does, so it becomes `info.error`.
"""
import re

from vimsim.managed.entity import ManagedEntity
from vimsim.managed.host.host_joining import check_new_host, join
from vimsim.managed.inventory.compute_resource import (ClusterComputeResource, ComputeResource,
                                                       check_powered_off)
from vimsim.managed.inventory.resource_pool import ResourcePool
from vimsim.managed.monitoring.event_manager import datacenter_of, event_manager
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.network.distributed_virtual_switch import create_dvs
from vimsim.managed.vm.provisioning import (adopt_into_vapp, check_name, check_unique,
                                            detach_vm, host_usable, invalid_argument, is_a,
                                            next_sequence, pick_host, post_identity_events,
                                            resolve_argument, unregister_vm, unregistered)
from vimsim.managed.vm.questions import note_registration
from vimsim.managed.vm.virtual_machine import VirtualMachine
from vimsim.schema import MoRef
from vimsim.soap.fault import FileNotFound, fault, localized

_DS_PATH = re.compile(r'^\[([^\]]*)\]\s*(.*)$')

# the classes Folder's Create* methods make that import this module themselves
# (Datacenter, StoragePod), registered as they are imported, as managers are
CONTAINER_CLASSES = {}

# ClusterConfigSpec(Ex) fields that name VMs or hosts: a new cluster has none
_MEMBER_SPECS = ('dasVmConfigSpec', 'drsVmConfigSpec', 'rulesSpec', 'groupSpec',
                 'dpmHostConfigSpec', 'vsanHostConfigSpec', 'vmOrchestrationSpec')


def container_class(type_name):
    """Class decorator: the class Folder creates objects of `type_name` with."""
    def register(cls):
        CONTAINER_CLASSES[type_name] = cls
        return cls
    return register


def not_supported():
    return fault('NotSupported', 'The operation is not supported on the object.')


def invalid_folder(target):
    return fault('InvalidFolder', 'The request refers to an unexpected or unknown type.',
                 target=target.ref)


def _index_of(refs, ref):
    """Where `ref` is in `refs` (None if not there): looked for by identity
    from the end first, since the child that goes is most often among the
    newest and a list's own search calls MoRef's Python __eq__ on each child
    before it (1.7 ms per search at 10,000 VMs in a folder); by equality else."""
    for index in range(len(refs) - 1, -1, -1):
        if refs[index] is ref:
            return index
    try:
        return refs.index(ref)
    except ValueError:
        return None


class Folder(ManagedEntity):
    type_name = 'Folder'
    FOLDER_PREFIXES = (('VirtualMachine', 'group-v'), ('ComputeResource', 'group-h'),
                       ('Datastore', 'group-s'), ('Network', 'group-n'),
                       ('Datacenter', 'group-d'))

    def __init__(self, server, moid, name, parent, child_type):
        super().__init__(server, moid, name, parent)
        self.childType = list(child_type)
        self.childEntity = []
        self._named = None    # name -> refs of the children so called, once asked for
        self._named_at = 0    # the registry's rename count at the last ask

    def add_child(self, entity):
        self.list_child(entity.ref)
        entity.parent = self.ref

    def list_child(self, ref):
        """List `ref` here without making this folder its parent (a vApp is
        listed in its VM folder, its parent staying its pool; a recorded
        inventory's replayed child)."""
        self.childEntity.append(ref)
        child = self.server.objects.get(ref) if self._named is not None else None
        if child is not None:
            self._named.setdefault(child.name, []).append(ref)

    def remove_child(self, entity):
        index = _index_of(self.childEntity, entity.ref)
        if index is not None:
            del self.childEntity[index]
            refs = self._named.get(entity.name) if self._named is not None else None
            if refs and entity.ref in refs:
                refs.remove(entity.ref)

    def child_named(self, name, exclude=None):
        """As any entity's, from an index of the children by name: a create
        in a folder of 10,000 VMs checks its name without reading them all.
        An entity's rename (anywhere: `Registry.renames`) makes the index
        stale; the next ask scans, as a rename loop would each time, and the
        one after it, with no rename between, builds the index again."""
        objects = self.server.objects
        if self._named_at != objects.renames:
            self._named, self._named_at = None, objects.renames
            return super().child_named(name, exclude)
        if self._named is None:
            self._named = {}
            get = objects.get
            for ref in self.childEntity:
                child = get(ref)
                if child is not None:
                    self._named.setdefault(child.name, []).append(ref)
        return self.named_among(self._named.get(name, ()), name, exclude)

    def child_renamed(self, child, old_name):
        """A child's rename keeps a current index current (other folders'
        go stale: a vApp is listed where it is not the child)."""
        objects = self.server.objects
        if self._named is None or self._named_at != objects.renames - 1:
            return
        refs = self._named.get(old_name)
        if refs and child.ref in refs:
            refs.remove(child.ref)
            self._named.setdefault(child.name, []).append(child.ref)
            self._named_at = objects.renames

    def move_in(self, entity):
        """Move an entity here from the folder holding it, reporting both
        folders' and the entity's changes; False when it is here already."""
        old = entity.parent_object()
        if old is self:
            return False
        if old is not None and hasattr(old, 'remove_child'):
            old.remove_child(entity)
            old.changed('childEntity')
        self.add_child(entity)
        self.changed('childEntity')
        entity.changed('parent')
        return True

    def view_children(self):
        return self.childEntity

    def accepts(self, obj):
        """Whether `obj` may be a child of this folder (its childType); a
        folder subtype (a storage pod) only under its own type, not as a Folder."""
        managed = self.server.schema.managed.get(obj.type_name)
        if managed is None:
            return False
        if managed.is_a('Folder') and obj.type_name != 'Folder':
            return any(managed.is_a(t) for t in self.childType if t != 'Folder')
        return any(managed.is_a(t) for t in self.childType)

    def _require_vm_folder(self):
        if 'VirtualMachine' not in self.childType:
            raise fault('NotSupported', 'The operation is not supported on the object.')

    # -- CreateFolder -------------------------------------------------------------------
    def CreateFolder(self, ctx, name):
        if 'Folder' not in self.childType:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        name = check_name(name)
        check_unique(self, name)
        prefix = next((p for t, p in self.FOLDER_PREFIXES if t in self.childType), 'group-v')
        folder = Folder(self.server, self.server.objects.next_id(prefix), name, self,
                        tuple(self.childType))
        self.add_child(folder)
        self.changed('childEntity')
        return folder

    # -- CreateDatacenter / CreateCluster(Ex) / CreateStoragePod ------------------------
    def _new_child_name(self, child_type, name):
        """The checks every Create* of a container makes, as vCenter orders
        them: NotSupported when this folder cannot hold `child_type` (and on
        ESX), InvalidName, DuplicateName; returns the stored name."""
        if self.server.esx or child_type not in self.childType:
            raise not_supported()
        name = check_name(name)
        check_unique(self, name)
        return name

    def _folder_argument(self):
        return self.T.FolderEventArgument(name=self.name, folder=self.ref)

    def CreateDatacenter(self, ctx, name):
        """A datacenter with its four folders (vm, host, datastore, network);
        DatacenterCreatedEvent."""
        name = self._new_child_name('Datacenter', name)
        server = self.server
        datacenter = CONTAINER_CLASSES['Datacenter'](
            server, server.objects.next_id('datacenter-'), name, self)
        self.add_child(datacenter)
        self.changed('childEntity')
        event_manager(server).post('DatacenterCreatedEvent', datacenter, ctx=ctx,
                                   parent=self._folder_argument())
        return datacenter

    def CreateClusterEx(self, ctx, name, spec):
        return self._create_cluster(ctx, name, spec)

    def CreateCluster(self, ctx, name, spec):
        return self._create_cluster(ctx, name, spec)

    def _create_cluster(self, ctx, name, spec):
        """A cluster with its root resource pool and environment browser, the
        spec applied as ReconfigureComputeResource_Task applies one;
        InvalidArgument for spec parts that name VMs or hosts (a new cluster
        has none); ClusterCreatedEvent."""
        name = self._new_child_name('ComputeResource', name)
        for field in _MEMBER_SPECS:
            if getattr(spec, field, None):
                raise fault('InvalidArgument', 'A specified parameter was not correct: '
                            'spec.%s' % field, invalidProperty='spec.%s' % field)
        server = self.server
        cluster = ClusterComputeResource(server, server.objects.next_id('domain-c'), name, self)
        ResourcePool(server, server.objects.next_id('resgroup-'), 'Resources', cluster, cluster)
        try:
            cluster.configure_from_spec(spec)
        except Exception:
            cluster.unlink()   # in the same reactor turn: no watcher saw it
            raise
        self.changed('childEntity')
        event_manager(server).post('ClusterCreatedEvent', cluster, ctx=ctx,
                                   parent=self._folder_argument())
        return cluster

    def CreateStoragePod(self, ctx, name):
        """An empty datastore cluster, Storage DRS on as vCenter creates it."""
        name = self._new_child_name('StoragePod', name)
        pod = CONTAINER_CLASSES['StoragePod'](
            self.server, self.server.objects.next_id('group-p'), name, self)
        self.changed('childEntity')
        return pod

    # -- CreateVM_Task -----------------------------------------------------------------
    def CreateVM_Task(self, ctx, config, pool, host=None):
        self._require_vm_folder()
        pool_object = resolve_argument(ctx, pool, 'ResourcePool', 'pool')
        host_object = self.check_new_vm(ctx, config, pool_object, host)
        return run_task(ctx, self, 'CreateVM_Task', lambda task: self.create_vm(
            ctx, task, config, pool_object, host_object,
            lambda name: check_unique(self, name)))

    def check_new_vm(self, ctx, config, pool_object, host):
        """The checks CreateVM_Task and CreateChildVM_Task make before a task
        exists; the host object (or None)."""
        host_object = resolve_argument(ctx, host, 'HostSystem', 'host') \
            if host is not None else None
        if host_object is not None and host_object not in pool_object.owner_object.hosts:
            raise invalid_argument('host')
        if not config.files or not config.files.vmPathName:
            raise invalid_argument('config.files')
        return host_object

    def create_vm(self, ctx, task, config, pool_object, host_object, check_unique_name):
        """A task's work for a new VM in `pool_object` (a vApp takes it in),
        made in this folder's datacenter: `check_unique_name(name)` faults
        for a name its container already has."""
        server = self.server
        compute = pool_object.owner_object
        name = check_name(config.name)
        check_unique_name(name)
        datacenter = datacenter_of(server, self)
        datastore = self._datastore_of_path(datacenter, config.files.vmPathName)
        datastore.refuse_new_files()
        networks = _spec_networks(server, datacenter, config)
        target = host_object
        if target is None:
            target = pick_host(compute, datastore)
            if target is None:
                raise fault('NoActiveHostInCluster', 'No host in the cluster is available '
                            'to run the virtual machine.', computeResource=compute.ref) \
                    if is_a(server, compute, 'ClusterComputeResource') else \
                    invalid_argument('host')
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
        post_identity_events(task, vm)
        task.post_event('VmCreatedEvent', vm)
        return vm

    def _datastore_of_path(self, datacenter, path):
        parsed = parse_datastore_path(path)
        if parsed is None:
            raise fault('InvalidDatastorePath', "Invalid datastore path '%s'." % path,
                        datastorePath=path)
        ds_name, _ = parsed
        datastore = next((ds for ds in (datacenter.datastores if datacenter else ())
                          if ds.name == ds_name), None)
        if datastore is None:
            raise fault('InvalidDatastorePath', "Invalid datastore path '%s'." % path,
                        name=ds_name, datastorePath=path)
        return datastore     # where on it the files go: provisioning.vm_home

    def _make_vm(self, ctx, name, pool, host, datastore, config, template=False):
        server = self.server
        vm = VirtualMachine(server, server.new_vm_moid(), name, self, pool, host,
                            datastore, None, next_sequence(server),
                            num_cpu=config.numCPUs or 1, memory_mb=config.memoryMB or 32,
                            guest_id=config.guestId or 'otherGuest64')
        adopt_into_vapp(pool, vm)
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
        pool_object = resolve_argument(ctx, pool, 'ResourcePool', 'pool') \
            if pool is not None else None
        host_object = resolve_argument(ctx, host, 'HostSystem', 'host') \
            if host is not None else None
        if asTemplate and host_object is None:
            raise invalid_argument('host')
        if not asTemplate and pool_object is None:
            raise invalid_argument('pool')
        if pool_object is not None and host_object is not None \
                and host_object not in pool_object.owner_object.hosts:
            raise invalid_argument('host')
        return run_task(ctx, self, 'RegisterVM_Task', lambda task: self.register_vm(
            task, path, asTemplate, name, pool_object, host_object,
            lambda vm_name: check_unique(self, vm_name)))

    def register_vm(self, task, path, as_template, name, pool_object, host_object,
                    check_unique_name):
        """A task's work registering the unregistered VM at `path` in
        `pool_object` (a vApp takes it in) or on `host_object`'s:
        `check_unique_name(name)` faults for a name its container already has."""
        server = self.server
        store = unregistered(server)
        saved = store.get(path)
        if saved is None:
            raise fault('NotFound', 'The object or item referred to could not be found.') \
                if parse_datastore_path(path) is None else \
                FileNotFound(path)
        vm_name = check_name(name or saved.name)
        check_unique_name(vm_name)
        target_pool = pool_object or host_object.compute_resource.pool
        target = host_object or pick_host(target_pool.owner_object, saved.datastore_object)
        if target is None:
            raise invalid_argument('host')
        problem = host_usable(target)
        if problem is not None:
            raise problem
        del store[path]
        vm = saved
        vm.name = vm_name
        self.take_in(vm, target_pool, target)
        if as_template:
            vm.become_template()
        else:
            vm.template = False
        note_registration(vm)
        task.post_event('VmRegisteredEvent', vm)
        return vm

    def take_in(self, vm, pool, host):
        """Put an unregistered VM back in the inventory: in this folder,
        `pool` (a vApp takes it in) and on `host`, with its datastores and
        networks (RegisterVM_Task)."""
        vm.parent = None
        self.server.objects.add(vm)
        self.add_child(vm)
        vm.pool, vm.host = pool, host
        pool.vms.append(vm)
        adopt_into_vapp(pool, vm)
        host.vms.append(vm)
        vm.join_datastores_and_networks()
        self.changed('childEntity')
        host.changed('vm', 'summary')
        pool.changed('vm', 'summary')

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
        if not self.accepts(obj) or (isinstance(obj, Folder) and obj._is_special()):
            raise not_supported()
        if obj.type_name == 'Folder' and set(obj.childType) != set(self.childType):
            raise invalid_folder(obj)   # a folder of another kind: a wrong kind of container
        # a folder may not go into itself or below itself
        walker = self
        while walker is not None:
            if walker is obj:
                raise invalid_folder(obj)
            walker = walker.parent_object()
        if datacenter_of(server, obj) is not datacenter_of(server, self) \
                and not is_a(server, obj, 'Datacenter') and not is_a(server, obj, 'Folder'):
            raise fault('NotSupported', 'The operation is not supported on the object.')
        if obj.parent_object() is not self:
            check_unique(self, obj.name)

    # -- AddStandaloneHost_Task ---------------------------------------------------------------
    def AddStandaloneHost_Task(self, ctx, spec, addConnected, compResSpec=None, license=None):
        """A ComputeResource named after the host, with its root pool
        'Resources', holding a new simulated ESXi (host_joining.join)."""
        self._require_host_folder()
        settings = _compute_settings(self.T, compResSpec)
        return run_task(ctx, self, 'AddStandaloneHost_Task', lambda task: self._add_standalone(
            task, spec, addConnected, license, settings).compute_resource)

    def _require_host_folder(self):
        if 'ComputeResource' not in self.childType or self.server.esx:
            raise fault('NotSupported', 'The operation is not supported on the object.')

    def _add_standalone(self, task, spec, connected, license, settings):
        """The new standalone host `spec` names, in a ComputeResource of its
        own configured with `settings`."""
        server = self.server
        name = check_new_host(server, spec, license)
        check_unique(self, name)
        compute = ComputeResource(server, server.objects.next_id('domain-s'), name, self)
        compute.settings = settings
        ResourcePool(server, server.objects.next_id('resgroup-'), 'Resources', compute, compute)
        self.changed('childEntity')
        return join(task, name, compute, datacenter_of(server, self), connected, license)

    # -- BatchAddStandaloneHosts_Task / BatchAddHostsToCluster_Task -------------------------
    def BatchAddStandaloneHosts_Task(self, ctx, newHosts=(), compResSpec=None,
                                     addConnected=True):
        """AddStandaloneHost_Task for each new host; a host refused is listed
        with its fault, and the others are added all the same."""
        self._require_host_folder()
        settings = _compute_settings(self.T, compResSpec)

        def work(task):
            added, failed = self._add_new_hosts(task, newHosts, addConnected, settings)
            return self.T.FolderBatchAddStandaloneHostsResult(
                addedHosts=[host.ref for host in added], hostsFailedInventoryAdd=failed)
        return run_task(ctx, self, 'BatchAddStandaloneHosts_Task', work)

    def BatchAddHostsToCluster_Task(self, ctx, cluster, newHosts=(), existingHosts=(),
                                    compResSpec=None, desiredState=None):
        """New hosts are added standalone to this folder, then they and
        `existingHosts` move into `cluster` (MoveHostInto_Task's rules) in
        `desiredState`: 'maintenance' enters maintenance mode first (refused
        while a VM runs on the host), 'nonMaintenance' exits it after the move,
        unset keeps each host's state. Each host that fails is listed with
        its fault; the others go ahead."""
        self._require_host_folder()
        settings = _compute_settings(self.T, compResSpec)
        target = resolve_argument(ctx, cluster, 'ClusterComputeResource', 'cluster')
        if datacenter_of(self.server, target) is not datacenter_of(self.server, self):
            raise invalid_argument('cluster')
        existing = [resolve_argument(ctx, ref, 'HostSystem', 'existingHosts')
                    for ref in existingHosts]
        if desiredState not in (None, 'maintenance', 'nonMaintenance'):
            raise invalid_argument('desiredState')
        T = self.T
        MethodFault = self.server.schema.types['MethodFault'].cls

        def work(task):
            added, failed_add = self._add_new_hosts(task, newHosts, True, settings)
            moved, failed_move = [], []
            for host in added + existing:
                try:
                    if desiredState == 'maintenance' and not host.maintenance:
                        if any(vm.power_state == 'poweredOn' for vm in host.vms):
                            raise fault('InvalidState', 'The operation is not allowed in the '
                                        'current state.')
                        host.set_maintenance(task, True)
                    target.move_host_in(host)
                    if desiredState == 'nonMaintenance' and host.maintenance:
                        host.set_maintenance(task, False)
                except MethodFault as refused:
                    failed_move.append(T.FolderFailedHostResult(
                        hostName=host.name, host=host.ref, fault=localized(refused),
                        context=T.LocalizableMessage(
                            key='com.vmware.vim.folder.batchAddHostsToCluster.moveHost',
                            message='Moving the host into the cluster')))
                else:
                    moved.append(host.ref)
            return T.FolderBatchAddHostsToClusterResult(
                hostsAddedToCluster=moved, hostsFailedInventoryAdd=failed_add,
                hostsFailedMoveToCluster=failed_move)
        return run_task(ctx, self, 'BatchAddHostsToCluster_Task', work)

    def _add_new_hosts(self, task, new_hosts, connected, settings):
        """([HostSystem] added standalone, [FolderFailedHostResult]) of FolderNewHostSpecs."""
        T = self.T
        MethodFault = self.server.schema.types['MethodFault'].cls
        added, failed = [], []
        for index, new in enumerate(new_hosts):
            spec = new.hostCnxSpec
            try:
                if spec is None:
                    raise invalid_argument('newHosts[%d].hostCnxSpec' % index)
                added.append(self._add_standalone(task, spec, connected, new.esxLicense,
                                                  settings))
            except MethodFault as refused:
                failed.append(T.FolderFailedHostResult(
                    hostName=getattr(spec, 'hostName', None), fault=localized(refused),
                    context=T.LocalizableMessage(
                        key='com.vmware.vim.folder.batchAdd.addHost',
                        message='Adding the host to the inventory')))
        return added, failed

    # -- CreateDVS_Task ---------------------------------------------------------------------
    def CreateDVS_Task(self, ctx, spec):
        """A distributed switch in this network folder (network/
        distributed_virtual_switch.py's create_dvs does the work)."""
        if 'DistributedVirtualSwitch' not in self.childType or self.server.esx:
            raise not_supported()

        def work(task):
            name = check_name(spec.configSpec.name)
            check_unique(self, name)
            return create_dvs(task, self, name, spec)
        return run_task(ctx, self, 'CreateDVS_Task', work)

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
            self.destroy_tree()
            return None
        return run_task(ctx, self, 'UnregisterAndDestroy_Task', work)

    # -- Destroy_Task ----------------------------------------------------------------------
    def Destroy_Task(self, ctx):
        """Destroy the folder and its contents, as vCenter does: VMs (deleted),
        datacenters and compute resources (with their hosts; their VMs leave
        the inventory); InvalidPowerState while one of those VMs is powered on,
        ResourceInUse for a datastore, network or switch in it."""
        if self._is_special():
            raise not_supported()

        def work(task):
            contents = [obj for obj in self.tree() if not isinstance(obj, Folder)]
            for child in contents:
                check = getattr(child, 'check_removable', None)
                if check is not None:
                    check()
                elif is_a(self.server, child, 'VirtualMachine'):
                    check_powered_off(child)
                else:
                    raise fault('ResourceInUse', 'The resource %s is in use.' % child.name,
                                type=child.type_name, name=child.name)
            for child in contents:
                if hasattr(child, 'remove_with_contents'):
                    child.remove_with_contents(task)
            for vm in self._all_vms():
                task.post_event('VmRemovedEvent', vm)
                detach_vm(vm)
            self.destroy_tree()
            return None
        return run_task(ctx, self, 'Destroy_Task', work)

    def _is_special(self):
        """The root folder and a datacenter's vm/host/datastore/network folders."""
        parent = self.parent_object()
        return parent is None or is_a(self.server, parent, 'Datacenter')

    def tree(self):
        out = [self]
        for ref in list(self.childEntity):
            child = self.server.objects.get(ref)
            if child is None:
                continue
            if isinstance(child, Folder):
                out.extend(child.tree())
            else:
                out.append(child)
        return out

    def _all_vms(self):
        return [obj for obj in self.tree() if is_a(self.server, obj, 'VirtualMachine')]

    def destroy_tree(self):
        for ref in list(self.childEntity):
            child = self.server.objects.get(ref)
            if isinstance(child, Folder):
                child.destroy_tree()
        parent = self.parent_object()
        if parent is not None and hasattr(parent, 'remove_child'):
            parent.remove_child(self)
            parent.changed('childEntity')
        self.destroy()


def _compute_settings(T, spec):
    """The configuration of a new standalone ComputeResource: the defaults
    with `compResSpec` applied, refused as ReconfigureComputeResource_Task
    refuses it. (The settings' parts are replaced, never changed in place, so
    the hosts of one batch may share them.)"""
    settings = ComputeResource.settings_class(T)
    return settings if spec is None else settings.reconfigured(T, spec, True, None)


# -- where CreateVM_Task puts a VM ----------------------------------------------

def parse_datastore_path(path):
    """('ds', 'rest') of '[ds] rest'; None when malformed."""
    match = _DS_PATH.match(path or '')
    if match is None or not match.group(1):
        return None
    return match.group(1), match.group(2).strip()


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
