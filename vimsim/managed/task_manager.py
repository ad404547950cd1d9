"""TaskManager: the task catalog (TaskDescription), recent tasks, limits.

`description.methodInfo` has one ElementDescription per method of the API's
vim managed types, keyed as vCenter keys them (and as TaskInfo.descriptionId
names them): `<vmodl type without 'vim.'>.<vmodl method name>`, e.g.
`VirtualMachine.powerOn`, `Folder.createVm`, `host.DatastoreSystem.createNasDatastore`.
"""
from vimsim.managed.manager import Manager, element, manager_type, words
from vimsim.managed.vmodl_names import method_key, vmodl_method, vmodl_type

STATES = (('queued', 'Queued', 'Task is queued'),
          ('running', 'Running', 'Task is in progress'),
          ('success', 'Success', 'Task completed successfully'),
          ('error', 'Error', 'Task completed with a failure'))

REASONS = (('TaskReasonUser', 'User task', 'Task started by a specific user'),
           ('TaskReasonSchedule', 'Scheduled task', 'Task started by a scheduled task'),
           ('TaskReasonAlarm', 'Alarm task', 'Task started by an alarm'),
           ('TaskReasonSystem', 'System task', 'Task started by the server'))

# vCenter's wording for the methods scripts see most in the task list.
LABELS = {
    'VirtualMachine.powerOn': ('Power On virtual machine', 'Power On this virtual machine'),
    'VirtualMachine.powerOff': ('Power Off virtual machine', 'Power Off this virtual machine'),
    'VirtualMachine.suspend': ('Suspend virtual machine', 'Suspend virtual machine'),
    'VirtualMachine.reset': ('Reset virtual machine', 'Reset this virtual machine'),
    'VirtualMachine.reconfigure': ('Reconfigure virtual machine',
                                   'Reconfigure the current virtual machine'),
    'VirtualMachine.clone': ('Clone virtual machine', 'Creates a virtual machine which is a '
                             'clone of the current virtual machine'),
    'VirtualMachine.relocate': ('Relocate virtual machine', 'Relocate the virtual machine '
                                'to a specific location'),
    'VirtualMachine.migrate': ('Migrate virtual machine', 'Migrates the current virtual '
                               'machine to a specific location'),
    'VirtualMachine.createSnapshot': ('Create virtual machine snapshot',
                                      'Create a virtual machine snapshot'),
    'VirtualMachine.destroy': ('Delete virtual machine', 'Delete this virtual machine'),
    'Folder.createVm': ('Create virtual machine', 'Create a new virtual machine'),
    'Folder.registerVm': ('Register virtual machine',
                          'Register an existing virtual machine to the folder'),
    'ManagedEntity.destroy': ('Delete', 'Deletes the entity and removes it from parent folder'),
    'ManagedEntity.rename': ('Rename', 'Rename this entity'),
    'vm.Snapshot.revert': ('Revert snapshot', 'Change the execution state of the virtual '
                           'machine to the state of this snapshot'),
    'vm.Snapshot.remove': ('Remove snapshot', 'Remove snapshot and delete its associated '
                           'storage'),
}


def method_infos(schema):
    """ElementDescriptions of every vim method, in (type, method) order."""
    out = []
    for type_name in sorted(schema.managed):
        if not vmodl_type(type_name).startswith('vim.'):
            continue   # vmodl.query.PropertyCollector and friends are not tasks
        for operation in sorted(schema.managed[type_name].own_methods):
            key = method_key(type_name, operation)
            label, summary = LABELS.get(key, (None, None))
            if label is None:
                label = summary = words(vmodl_method(operation))
            out.append(element(schema, key, label, summary))
    return out


@manager_type('TaskManager')
class TaskManager(Manager):

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        schema = server.schema
        self.description = schema.types['TaskDescription'].cls(
            methodInfo=method_infos(schema),
            state=[element(schema, k, l, s) for k, l, s in STATES],
            reason=[element(schema, k, l, s, 'TypeDescription') for k, l, s in REASONS])
        self.maxCollector = 1000
        self.recentTask = []
