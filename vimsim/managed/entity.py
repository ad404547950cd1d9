"""ManagedEntity, Folder and Datacenter: the inventory tree's skeleton.

Every entity knows its parent; containers list their children. Array
properties that a real vCenter reports even when empty (permission, tag,
recentTask, ...) default to empty tuples shared by all objects.

Inventory objects keep links to each other as Python objects (a VM holds its
host, pool and datastore objects); the API's MoRef-valued properties are
computed from those links on read, so every view of a relation comes from one
truth.
"""
from vimsim.managed.base import ManagedObject
from vimsim.managed.monitoring.event_manager import datacenter_of
from vimsim.managed.vm.provisioning import FolderProvisioning

ADMIN_ROLE = -1


class DataTypes:
    """Attribute access to the schema's data classes: `T.VirtualDisk(key=2000)`."""

    def __init__(self, schema):
        self._types = schema.types

    def __getattr__(self, name):
        try:
            cls = self._types[name].cls
        except KeyError:
            raise AttributeError(name) from None
        setattr(self, name, cls)
        return cls


_data_types = {}


def data_types(server):
    """The shared DataTypes of a server's schema."""
    schema = server.schema
    found = _data_types.get(id(schema))
    if found is None:
        found = _data_types[id(schema)] = DataTypes(schema)
    return found


def refs(objects):
    """The MoRefs of a sequence of managed objects."""
    return [obj.ref for obj in objects]


class ManagedEntity(ManagedObject):
    type_name = 'ManagedEntity'
    overallStatus = 'green'
    configStatus = 'gray'
    alarmActionsEnabled = True
    permission = ()
    recentTask = ()
    tag = ()
    value = ()
    availableField = ()
    customValue = ()
    declaredAlarmState = ()
    disabledMethod = ()
    triggeredAlarmState = ()
    configIssue = ()

    def __init__(self, server, moid, name, parent=None):
        super().__init__(server, moid)
        self.name = name
        self.parent = parent.ref if parent is not None else None

    def read(self, name, ctx):
        if name == 'effectiveRole':
            return [ADMIN_ROLE]
        return super().read(name, ctx)

    @property
    def T(self):
        return data_types(self.server)

    def parent_object(self):
        return self.server.objects.get(self.parent) if self.parent is not None else None

    # -- Rename_Task --------------------------------------------------------------
    def Rename_Task(self, ctx, newName):
        from vimsim.managed.monitoring.task import run_task
        return run_task(ctx, self, 'Rename_Task', lambda task: self.rename(task, newName))

    # vCenter escapes these in entity names; a name is at most 80 characters.
    NAME_ESCAPES = (('%', '%25'), ('/', '%2f'), ('\\', '%5c'))
    NAME_MAX = 80
    RENAMED_EVENTS = {'VirtualMachine': 'VmRenamedEvent', 'Datacenter': 'DatacenterRenamedEvent',
                      'Datastore': 'DatastoreRenamedEvent',
                      'DistributedVirtualSwitch': 'DvsRenamedEvent',
                      'DistributedVirtualPortgroup': 'DVPortgroupRenamedEvent'}
    # properties whose values carry the name (summary.name, config.name, info.name ...)
    NAMED_PROPERTIES = ('name', 'summary', 'config', 'info', 'layout', 'layoutEx', 'storage')

    def rename(self, task, new_name):
        """Rename_Task's work, as vCenter does it: InvalidName for an empty or
        too long name, DuplicateName when a sibling has it; '%', '/' and '\\'
        are escaped; the entity's renamed-event goes in the task's chain."""
        from vimsim.soap.fault import fault
        if not new_name or len(new_name) > self.NAME_MAX:
            raise fault('InvalidName', "The name '%s' is invalid." % new_name,
                        name=new_name, entity=self.ref)
        for char, escaped in self.NAME_ESCAPES:
            new_name = new_name.replace(char, escaped)
        old_name = self.name
        if new_name == old_name:
            return None
        parent = self.parent_object()
        for ref in (parent.view_children() if parent is not None else ()):
            sibling = self.server.objects.get(ref)
            if sibling is not None and sibling is not self and sibling.name == new_name:
                raise fault('DuplicateName', "The name '%s' already exists." % new_name,
                            name=new_name, object=sibling.ref)
        managed = self.server.schema.managed[self.type_name]
        event = next((e for t, e in self.RENAMED_EVENTS.items() if managed.is_a(t)), None)
        if event is not None:
            task.post_event(event, self, oldName=old_name, newName=new_name)
        self.name = new_name
        self.changed(*self.NAMED_PROPERTIES)
        return None

    def inventory_path(self):
        """The inventory path vCenter reports: '/DC0/vm/DC0_H0_VM0' (the root
        folder is not part of it)."""
        names = []
        obj = self
        while obj is not None:
            above = obj.path_parent()
            if above is None:
                break
            names.append(obj.name)
            obj = above
        return '/' + '/'.join(reversed(names))

    def path_parent(self):
        """The entity above this one in its inventory path: its parent, or for
        a VM in a vApp (which has none) the vApp."""
        ref = self.parent if self.parent is not None else getattr(self, 'parentVApp', None)
        return self.server.objects.get(ref) if ref is not None else None


class Folder(FolderProvisioning, ManagedEntity):
    type_name = 'Folder'

    def __init__(self, server, moid, name, parent, child_type):
        super().__init__(server, moid, name, parent)
        self.childType = list(child_type)
        self.childEntity = []

    def add_child(self, entity):
        self.childEntity.append(entity.ref)
        entity.parent = self.ref

    def remove_child(self, entity):
        if entity.ref in self.childEntity:
            self.childEntity.remove(entity.ref)

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


class Datacenter(ManagedEntity):
    type_name = 'Datacenter'

    def __init__(self, server, moid, name, parent, folder_ids=None):
        """`folder_ids`: the moids of the vm, host, datastore and network
        folders (ESX uses fixed ones); vCenter-style ids otherwise."""
        super().__init__(server, moid, name, parent)
        registry = server.objects
        if folder_ids is None:
            folder_ids = (registry.next_id('group-v'), registry.next_id('group-h'),
                          registry.next_id('group-s'), registry.next_id('group-n'))
        vm_id, host_id, ds_id, net_id = folder_ids
        self.vm_folder = Folder(server, vm_id, 'vm', self,
                                ('Folder', 'VirtualMachine', 'VirtualApp'))
        self.host_folder = Folder(server, host_id, 'host', self,
                                  ('Folder', 'ComputeResource'))
        self.datastore_folder = Folder(server, ds_id, 'datastore', self,
                                       ('Folder', 'Datastore', 'StoragePod'))
        self.network_folder = Folder(server, net_id, 'network', self,
                                     ('Folder', 'Network', 'DistributedVirtualSwitch'))
        self.vmFolder = self.vm_folder.ref
        self.hostFolder = self.host_folder.ref
        self.datastoreFolder = self.datastore_folder.ref
        self.networkFolder = self.network_folder.ref
        self.datastores = []   # Datastore objects
        self.networks = []     # Network, DistributedVirtualPortgroup objects
        self.configuration = server.schema.types['DatacenterConfigInfo'].cls()

    @property
    def datastore(self):
        return refs(self.datastores)

    @property
    def network(self):
        return refs(self.networks)

    def view_children(self):
        return (self.vmFolder, self.hostFolder, self.datastoreFolder, self.networkFolder)

    # -- PowerOnMultiVM_Task ---------------------------------------------------------
    def PowerOnMultiVM_Task(self, ctx, vm, option=None):
        """Power on several VMs, as vCenter does for VMs DRS does not place:
        each goes through its own PowerOnVM_Task (a subtask of this one: its
        parentTaskKey and rootTaskKey), listed in the ClusterPowerOnVmResult's
        `attempted` with that task; a VM refused before its task exists (a
        template, a task in progress, not in this datacenter) is in
        `notAttempted` with the fault. The VMs' events are the power-on
        path's own (VmStartingEvent, VmPoweredOnEvent)."""
        from vimsim.managed.monitoring.task import run_task
        from vimsim.soap.fault import fault, localized
        if self.server.esx:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        targets = [self.server.objects.resolve(ref) for ref in vm or ()]
        for target in targets:
            if target.type_name != 'VirtualMachine':
                raise fault('InvalidArgument', 'A specified parameter was not correct: vm',
                            invalidProperty='vm')
        MethodFault = self.server.schema.types['MethodFault'].cls

        def work(task):
            T = self.T
            attempted, not_attempted = [], []
            for target in targets:
                try:
                    if self.server.objects.get(target.ref) is not target:
                        raise fault('ManagedObjectNotFound', 'The object has already been '
                                    'deleted or has not been completely created',
                                    obj=target.ref)
                    if datacenter_of(self.server, target) is not self:
                        raise fault('InvalidArgument', 'A specified parameter was not '
                                    'correct: vm', invalidProperty='vm')
                    subtask = target.PowerOnVM_Task(ctx)
                except MethodFault as error:
                    not_attempted.append(T.ClusterNotAttemptedVmInfo(
                        vm=target.ref, fault=localized(error)))
                    continue
                subtask.info.parentTaskKey = task.info.key
                subtask.info.rootTaskKey = task.info.rootTaskKey or task.info.key
                attempted.append(T.ClusterAttemptedVmInfo(vm=target.ref, task=subtask.ref))
            return T.ClusterPowerOnVmResult(attempted=attempted, notAttempted=not_attempted,
                                            recommendations=[])
        return run_task(ctx, self, 'PowerOnMultiVM_Task', work)
