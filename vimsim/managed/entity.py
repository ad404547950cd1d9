"""ManagedEntity, Folder and Datacenter: the inventory tree's skeleton.

Every entity knows its parent; containers list their children. Array
properties that a real vCenter reports even when empty (permission, tag,
recentTask, ...) default to empty tuples shared by all objects.
"""
from vimsim.managed.base import ManagedObject

ADMIN_ROLE = -1


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


class Folder(ManagedEntity):
    type_name = 'Folder'

    def __init__(self, server, moid, name, parent, child_type):
        super().__init__(server, moid, name, parent)
        self.childType = list(child_type)
        self.childEntity = []

    def add_child(self, entity):
        self.childEntity.append(entity.ref)
        entity.parent = self.ref

    def view_children(self):
        return self.childEntity


class Datacenter(ManagedEntity):
    type_name = 'Datacenter'

    def __init__(self, server, moid, name, parent):
        super().__init__(server, moid, name, parent)
        registry = server.objects
        self.vmFolder = Folder(server, registry.next_id('group-v'), 'vm', self,
                               ('Folder', 'VirtualMachine', 'VirtualApp')).ref
        self.hostFolder = Folder(server, registry.next_id('group-h'), 'host', self,
                                 ('Folder', 'ComputeResource')).ref
        self.datastoreFolder = Folder(server, registry.next_id('group-s'), 'datastore', self,
                                      ('Folder', 'Datastore', 'StoragePod')).ref
        self.networkFolder = Folder(server, registry.next_id('group-n'), 'network', self,
                                    ('Folder', 'Network', 'DistributedVirtualSwitch')).ref
        self.datastore = []
        self.network = []
        self.configuration = server.schema.types['DatacenterConfigInfo'].cls()

    def view_children(self):
        return (self.vmFolder, self.hostFolder, self.datastoreFolder, self.networkFolder)
