"""ManagedEntity: the base of every inventory object (folders, datacenters,
compute resources, hosts, pools, VMs, datastores, networks).

Every entity knows its parent; containers list their children. Array
properties that a real vCenter reports even when empty (permission, tag,
recentTask, ...) default to empty tuples shared by all objects.

Inventory objects keep links to each other as Python objects (a VM holds its
host, pool and datastore objects); the API's MoRef-valued properties are
computed from those links on read, so every view of a relation comes from one
truth.
"""
from vimsim.managed.admin.permissions import access_of
from vimsim.managed.base import ExtensibleManagedObject
from vimsim.managed.monitoring.alarm_manager import alarm_manager, worst
from vimsim.managed.monitoring.event_manager import datacenter_of
from vimsim.managed.monitoring.task import run_task
from vimsim.soap.fault import fault

ADMIN_ROLE = -1

# vCenter escapes these in entity names; a name is at most 80 characters.
NAME_MAX = 80
NAME_ESCAPES = (('%', '%25'), ('/', '%2f'), ('\\', '%5c'))
# A resource pool's or vApp's shares at level 'normal', by kind (CreateResourcePool,
# CreateVApp, and the resourcePoolSpec of an OVF vApp's import spec)
POOL_SHARES_NORMAL = {'cpu': 4000, 'memory': 163840}


def check_name(name, entity=None):
    """vCenter's entity-name rules: InvalidName when empty or longer than 80
    characters; '%', '/' and '\\' are escaped. Returns the stored name."""
    if not name or len(name) > NAME_MAX:
        raise fault('InvalidName', "The name '%s' is invalid." % (name or ''), name=name or '',
                    entity=entity.ref if entity is not None else None)
    for char, escaped in NAME_ESCAPES:
        name = name.replace(char, escaped)
    return name

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


class ManagedEntity(ExtensibleManagedObject):
    type_name = 'ManagedEntity'
    own_status = 'green'     # the entity's health before alarms (overallStatus adds them)
    configStatus = 'green'   # healthy; gray is vCenter's "unknown"
    alarmActionsEnabled = True
    declaredAlarmState = ()
    permission = ()
    recentTask = ()
    tag = ()
    disabledMethod = ()
    configIssue = ()
    # the `name` property's value; read, not looked up in `__dict__`, which
    # would give each entity a dict of its own (+6 MB and +25% build time at
    # 100,000 VMs)
    _name = None

    # -- alarms (the AlarmManager's; an ESX host has none) -------------------------
    @property
    def overallStatus(self):
        alarms = alarm_manager(self.server)
        own = self.own_status
        return worst(own, alarms.status_of(self)) if alarms is not None and own != 'gray' \
            else own

    @property
    def triggeredAlarmState(self):
        alarms = alarm_manager(self.server)
        return alarms.triggered_states(self) if alarms is not None else []

    @property
    def declaredAlarmState(self):
        alarms = alarm_manager(self.server)
        return alarms.declared_states(self) if alarms is not None else []

    @property
    def alarmActionsEnabled(self):
        alarms = alarm_manager(self.server)
        return alarms.actions_enabled(self) if alarms is not None else True

    def __init__(self, server, moid, name, parent=None):
        super().__init__(server, moid)
        self.name = name
        self.parent = parent.ref if parent is not None else None

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, name):
        """Every rename is counted, whatever changes the name (Rename_Task, a
        reconfigure, a recorded inventory): folders index their children by
        name, and an index older than the count is not used. The parent is
        told, so that its index stays current (a rename loop in a folder of
        10,000 VMs checks each new name without reading them all)."""
        old = self._name   # the class's None until first named
        self._name = name
        if old is not None and old != name:
            objects = self.server.objects
            objects.renames += 1
            parent = getattr(self, 'parent', None)
            parent = objects.get(parent) if parent is not None else None
            if parent is not None:
                parent.child_renamed(self, old)

    customValue = ExtensibleManagedObject.value

    @property
    def tag(self):
        """The vAPI tags attached to this entity (the simulator's tagging model)."""
        return self.server.tagging.entity_tags(self)

    def read(self, name, ctx):
        """`effectiveRole` is the caller's roles on the entity."""
        if name == 'effectiveRole':
            access = access_of(ctx)
            return access.roles(self) if access is not None else []
        return super().read(name, ctx)

    @property
    def permission(self):
        """The permissions set on this entity (not those it inherits)."""
        manager = getattr(self.server, 'authorization_manager', None)
        return manager.permission_objects(self.ref) if manager is not None else []

    @property
    def T(self):
        return data_types(self.server)

    def child_named(self, name, exclude=None):
        """The child (of those `view_children` lists) called `name`, other
        than `exclude`; None when there is none."""
        return self.named_among(self.view_children(), name, exclude)

    def named_among(self, refs, name, exclude=None):
        """The first object of `refs` called `name`, other than `exclude`."""
        get = self.server.objects.get
        for ref in refs:
            child = get(ref)
            if child is not None and child is not exclude and child.name == name:
                return child
        return None

    def child_renamed(self, child, old_name):
        """`child` was `old_name` until the rename just counted (a Folder
        keeps its name index current)."""

    def parent_object(self):
        return self.server.objects.get(self.parent) if self.parent is not None else None

    def view_parents(self):
        """The refs of the containers whose view_children list this entity
        (a ContainerView's walk, backwards): its parent."""
        return (self.parent,)

    # -- Rename_Task --------------------------------------------------------------
    def Rename_Task(self, ctx, newName):
        return run_task(ctx, self, 'Rename_Task', lambda task: self.rename(task, newName))

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
        new_name = check_name(new_name, self)
        old_name = self.name
        if new_name == old_name:
            return None
        parent = self.parent_object()
        sibling = parent.child_named(new_name, exclude=self) if parent is not None else None
        if sibling is not None:
            raise fault('DuplicateName', "The name '%s' already exists." % new_name,
                        name=new_name, object=sibling.ref)
        managed = self.server.schema.managed[self.type_name]
        event = next((e for t, e in self.RENAMED_EVENTS.items() if managed.is_a(t)), None)
        if event is not None:
            task.post_event(event, self, oldName=old_name, newName=new_name)
        self.name = new_name
        self.changed(*self.NAMED_PROPERTIES)
        return None

    # -- Reload -----------------------------------------------------------------------------
    def Reload(self, ctx):
        """Nothing outside the API changes a simulated entity (the model is
        its own record: a VM's .vmx is written from it, never read back), so
        there is nothing new to read; as vCenter answers, nothing."""

    # -- Destroy_Task of what VMs use ------------------------------------------------------
    def destroy_unused(self, ctx, users, leave=None):
        """Destroy_Task of an entity VMs use (a datastore, a network):
        ResourceInUse while `users()` names any; otherwise `leave(task)` (what
        else holds it, its events), then it leaves the hosts, its datacenter's
        lists and its folder, and goes."""
        def work(task):
            if users():
                raise self.in_use()
            if leave is not None:
                leave(task)
            self.leave_inventory()
            return None
        return run_task(ctx, self, 'Destroy_Task', work)

    def in_use(self):
        """ResourceInUse: VMs or hosts still use this entity."""
        return fault('ResourceInUse', 'The resource %s is in use.' % self.name,
                     type=self.type_name, name=self.name)

    def leave_inventory(self):
        """A datastore or network goes: out of its hosts' and its
        datacenter's lists, its folder and the registry."""
        for host in getattr(self, 'hosts', ()):
            for listing in (host.datastores, host.networks):
                if self in listing:
                    listing.remove(self)
            host.changed('datastore', 'network')
        datacenter = datacenter_of(self.server, self)
        for name in ('datastores', 'networks'):
            listing = getattr(datacenter, name, ())
            if self in listing:
                listing.remove(self)
                datacenter.changed(name[:-1])
        parent = self.parent_object()
        if parent is not None and hasattr(parent, 'remove_child'):
            parent.remove_child(self)
            parent.changed('childEntity', 'summary')
        self.destroy()

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
