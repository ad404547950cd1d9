"""TaskManager: the task catalog (TaskDescription), the tasks themselves
(recent tasks, task history), CreateTask for extensions and task history
collectors.

`description.methodInfo` has one ElementDescription per method of the API's
vim managed types, keyed as vCenter keys them (and as TaskInfo.descriptionId
names them): `<vmodl type without 'vim.'>.<vmodl method name>`, e.g.
`VirtualMachine.powerOn`, `Folder.createVm`, `host.DatastoreSystem.createNasDatastore`;
the task methods every entity inherits (Destroy_Task, Rename_Task) are listed
per entity type too (`VirtualMachine.destroy`, `Folder.rename`), since a
task's descriptionId names the type it ran on.

Recent tasks follow vCenter: `recentTask` (of the TaskManager and of each
entity) lists queued and running tasks and those completed within the last 10
minutes, at most the last 200 completed ones. Leaving that list does not end a
task: a finished Task stays readable (its `info`, WaitForTask) for 10 minutes,
or, past a generous 10,000 finished tasks, for at least vpxd's
`config.task.minCompletedLifetime` (60 s) whatever the load; then it leaves the
inventory (ManagedObjectNotFound). The bounds are attributes of the manager and
run on its `clock` (the model's time, Simulator.time). TaskInfos stay longer,
in a bounded history that task history collectors read.
"""
import collections
import copy
import functools
import types

from vimsim.managed.manager import Manager, element, manager_type, words
from vimsim.managed.monitoring.bounded_log import BoundedLog, approximate_size
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.managed.monitoring.task import QUEUED, Task, esx_task_id, now
from vimsim.managed.vmodl_names import method_key, vmodl_method, vmodl_type
from vimsim.soap.fault import InvalidArgument, fault

RECENT_SECONDS = 600        # completed tasks stay recent this long
RECENT_COMPLETED = 200      # ... and only the last this many completed ones
KEEP_SECONDS = 600          # a finished Task stays readable this long
KEEP_COMPLETED = 10000      # ... unless more finished Tasks than this are kept,
MIN_COMPLETED_LIFETIME = 60  # ... and never less than this (config.task.minCompletedLifetime)
HISTORY_LIMIT = 10000       # TaskInfos kept for task history collectors
HISTORY_BYTES = 100 << 20   # and about this much of them (results clients set have no size)

# Entity task methods every ManagedEntity type inherits, and how vCenter
# names the type in their labels.
ENTITY_TASKS = ('Destroy_Task', 'Rename_Task')
ENTITY_NOUNS = {
    'VirtualMachine': 'virtual machine', 'Folder': 'folder', 'Datacenter': 'datacenter',
    'Datastore': 'datastore', 'ClusterComputeResource': 'cluster',
    'ComputeResource': 'compute resource', 'HostSystem': 'host',
    'ResourcePool': 'resource pool', 'VirtualApp': 'vApp', 'Network': 'network',
    'OpaqueNetwork': 'opaque network', 'DistributedVirtualSwitch': 'distributed switch',
    'VmwareDistributedVirtualSwitch': 'distributed switch',
    'DistributedVirtualPortgroup': 'distributed port group', 'StoragePod': 'datastore cluster',
    'TransitGateway': 'transit gateway',
}

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
    'Datacenter.destroy': ('Remove datacenter', 'Remove this datacenter'),
    'HostSystem.destroy': ('Remove host', 'Remove this host'),
    'vm.Snapshot.revert': ('Revert snapshot', 'Change the execution state of the virtual '
                           'machine to the state of this snapshot'),
    'vm.Snapshot.remove': ('Remove snapshot', 'Remove snapshot and delete its associated '
                           'storage'),
}


@functools.cache
def method_rows(schema):
    """(descriptionId, label, summary) of every vim method, in (type, method)
    order: the schema's, worked out once per process (rows of strings, which
    every model shares; a reset then makes no labels again)."""
    out = []
    for type_name in sorted(schema.managed):
        if not vmodl_type(type_name).startswith('vim.'):
            continue   # vmodl.query.PropertyCollector and friends are not tasks
        managed = schema.managed[type_name]
        operations = set(managed.own_methods)
        if managed.is_a('ManagedEntity') and type_name != 'ManagedEntity':
            operations.update(op for op in ENTITY_TASKS if op in managed.methods)
        for operation in sorted(operations):
            key = method_key(type_name, operation)
            label, summary = LABELS.get(key, (None, None))
            if label is None and operation in ENTITY_TASKS and type_name in ENTITY_NOUNS:
                noun = ENTITY_NOUNS[type_name]
                verb = 'Rename' if operation == 'Rename_Task' else 'Delete'
                label, summary = '%s %s' % (verb, noun), '%s this %s' % (verb, noun)
            if label is None:
                label = summary = words(vmodl_method(operation))
            out.append((key, label, summary))
    return tuple(out)


@functools.cache
def method_labels(schema):
    """{descriptionId: label} of method_rows (read-only)."""
    return types.MappingProxyType({key: label for key, label, _ in method_rows(schema)})


@manager_type('TaskManager')
class TaskManager(Manager):

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.maxCollector = 1000
        self.recentTask = []
        # simulated running time per method, milliseconds ('*': every task)
        self.durations = dict(getattr(server.options, 'task_duration', None) or {})
        self.history = BoundedLog(HISTORY_LIMIT, HISTORY_BYTES)   # (serial, TaskInfo)
        self.collectors = set()            # live TaskHistoryCollectors
        # how long finished tasks stay recent, and readable (see the module's notes)
        self.recent_seconds, self.recent_completed = RECENT_SECONDS, RECENT_COMPLETED
        self.keep_seconds, self.keep_completed = KEEP_SECONDS, KEEP_COMPLETED
        self.min_completed_lifetime = MIN_COMPLETED_LIFETIME
        self.clock = server.time
        self._recent_done = collections.deque()   # finished Tasks still recent, oldest first
        self._kept_done = collections.deque()     # finished Tasks still readable, oldest first
        self._sweep = None                        # the DelayedCall of the next expiry
        self._serial = 0
        server.task_manager = self

    @functools.cached_property
    def description(self):
        """The TaskDescription, made on first read: its ~2,000 method
        descriptions were a third of what a start or reset spent."""
        schema = self.server.schema
        return schema.types['TaskDescription'].cls(
            methodInfo=[element(schema, key, label, summary)
                        for key, label, summary in method_rows(schema)],
            state=[element(schema, k, l, s) for k, l, s in STATES],
            reason=[element(schema, k, l, s, 'TypeDescription') for k, l, s in REASONS])

    @property
    def labels(self):
        """{descriptionId: label} of the methods `description` lists."""
        return method_labels(self.server.schema)

    def read(self, name, ctx):
        """`recentTask` lists only the tasks the caller may read the entity of."""
        from vimsim.managed.monitoring.history_collector import read_filter
        if name == 'recentTask':
            readable = read_filter(ctx)
            if readable is not None:
                get = self.server.objects.get
                return [ref for ref in self.recentTask
                        if get(ref) is not None and readable(get(ref).info.entity)]
        return super().read(name, ctx)

    # -- model ---------------------------------------------------------------------
    def event_manager(self):
        return event_manager(self.server)

    def duration_of(self, method):
        """Milliseconds a task of `method` simulates running."""
        durations = self.durations
        return durations.get(method, durations.get('*', 0)) or 0

    def description_id(self, type_name, method):
        """TaskInfo.descriptionId of `method` called on a `type_name`: the
        type's own key when the catalog has one, else the declaring type's."""
        key = method_key(type_name, method)
        if key in self.labels:
            return key
        managed = self.server.schema.managed.get(type_name)
        while managed is not None:
            if method in managed.own_methods:
                return method_key(managed.name, method)
            managed = managed.base
        return key

    def create_task(self, ctx, entity, method, cancelable=False, this=None,
                    description_id=None, reason=None, **info_fields):
        """A new queued Task of `method` on `entity` (a ManagedEntity or None):
        listed as recent, in the history, its TaskEvent posted; every filter
        sees it queued before anything else happens to it."""
        T = self.server.schema.types
        receiver = this if this is not None else entity
        receiver_type = receiver.type_name if receiver is not None else 'TaskManager'
        if reason is None:
            user = ctx.session.user if ctx is not None and ctx.session is not None else None
            reason = T['TaskReasonUser'].cls(userName=user) if user \
                else T['TaskReasonSystem'].cls()
        self._serial += 1
        entity_ref = entity.ref if entity is not None else None
        if self.server.esx and method is None:   # CreateTask: named by its task type
            moid = 'haTask-%s-%s-%d' % (entity_ref.value if entity_ref is not None else '',
                                        description_id, self._serial)
        elif self.server.esx:
            moid = esx_task_id(entity_ref, receiver_type, method, self._serial)
        else:
            moid = self.server.objects.next_id('task-')
        events = self.event_manager()
        chain = events.reserve_key()
        info = T['TaskInfo'].cls(
            key=moid, task=None, name=method,
            descriptionId=description_id if description_id is not None
            else self.description_id(receiver_type, method),
            entity=entity_ref, entityName=getattr(entity, 'name', None),
            state=QUEUED, cancelled=False, cancelable=bool(cancelable), reason=reason,
            queueTime=now(), eventChainId=chain, **info_fields)
        task = Task(self, moid, info, entity if _is_entity(self.server, entity) else None)
        info.task = task.ref
        task.serial = self._serial
        task.history_cell = self.history.append((task.serial, info), approximate_size(info))
        self.recentTask.append(task.ref)
        self.changed('recentTask')
        if task.entity_object is not None:
            _add_recent(task.entity_object, task.ref)
        events.post('TaskEvent', entity, user=task.user, key=chain, chain_id=chain,
                    info=copy.copy(info))
        self.task_changed(task)
        self.server.changes.flush()
        return task

    def adopt_finished(self, moid, info, entity):
        """A Task that finished before this simulator started (a recorded
        vCenter's), under its own moid: recent, in the history and forgotten
        in time as the tasks this simulator runs."""
        task = Task(self, moid, info, entity if _is_entity(self.server, entity) else None)
        info.task = task.ref
        self._serial += 1
        task.serial = self._serial
        task.history_cell = self.history.append((task.serial, info), approximate_size(info))
        if task.ref not in self.recentTask:
            self.recentTask.append(task.ref)
        if task.entity_object is not None and task.ref not in task.entity_object.recentTask:
            _add_recent(task.entity_object, task.ref)
        self.task_finished(task)
        return task

    def task_changed(self, task):
        """A task appeared or changed state: collectors' latest pages may change."""
        for collector in self.collectors:
            collector.changed('latestPage')

    def task_finished(self, task):
        """A task ended: it stays recent, then readable, within the bounds."""
        if task.finished_at is not None:
            return
        task.finished_at = self.clock.seconds()
        self.history.resize(task.history_cell, approximate_size(task.info))   # with its result
        self._recent_done.append(task)
        self._kept_done.append(task)
        self.sweep()
        followers, task.followers = task.followers, []
        for follower in followers:
            follower(task)

    def sweep(self):
        """Unlist the finished tasks past the recent bounds and forget those
        past the readable ones, then wait for the next deadline."""
        now = self.clock.seconds()
        recent = self._recent_done
        while recent and (len(recent) > self.recent_completed or
                          recent[0].finished_at + self.recent_seconds <= now):
            self._unlist(recent.popleft())
        kept = self._kept_done
        while kept and (kept[0].finished_at + self.keep_seconds <= now or (
                len(kept) > self.keep_completed and
                kept[0].finished_at + self.min_completed_lifetime <= now)):
            self.forget(kept.popleft())
        deadlines = [recent[0].finished_at + self.recent_seconds] if recent else []
        if kept:
            age = self.keep_seconds
            if len(kept) > self.keep_completed:
                age = min(age, self.min_completed_lifetime)
            deadlines.append(kept[0].finished_at + age)
        if not deadlines:
            return
        deadline = min(deadlines)
        pending = self._sweep
        if pending is not None and pending.active():
            if pending.getTime() <= deadline:
                return
            pending.cancel()
        self._sweep = self.clock.callLater(max(deadline - now, 0), self.sweep)

    def _unlist(self, task):
        """The task stops being recent (it stays readable)."""
        if task.ref in self.recentTask:
            self.recentTask.remove(task.ref)
            self.changed('recentTask')
        entity = task.entity_object
        if entity is not None and task.ref in entity.recentTask:
            entity.recentTask.remove(task.ref)
            entity.changed('recentTask')

    def forget(self, task):
        """The finished task leaves the inventory."""
        if task in self._recent_done:
            self._recent_done.remove(task)
        self._unlist(task)
        task.destroy()

    def canceled_fault(self):
        return fault('RequestCanceled', 'The task was canceled by a user.')

    def tasks(self):
        """(serial, TaskInfo) of the task history, oldest first."""
        return self.history

    # -- API methods ------------------------------------------------------------------
    def CreateTask(self, ctx, obj, taskTypeId, cancelable, initiatedBy=None,
                   parentTaskKey=None, activationId=None):
        target = self.server.objects.resolve(obj)
        if not self._registered_task_type(taskTypeId):
            raise InvalidArgument('taskTypeId')
        T = self.server.schema.types
        user = initiatedBy or (ctx.session.user if ctx.session is not None else None)
        root = None
        if parentTaskKey:
            parent = self._info_by_key(parentTaskKey)
            if parent is None:
                raise InvalidArgument('parentTaskKey')
            root = parent.rootTaskKey or parent.key
        entity = target if _is_entity(self.server, target) else None
        task = self.create_task(
            ctx, entity, None, cancelable=cancelable, this=target, description_id=taskTypeId,
            reason=T['TaskReasonUser'].cls(userName=user) if user else T['TaskReasonSystem'].cls(),
            parentTaskKey=parentTaskKey, rootTaskKey=root, activationId=activationId)
        if entity is None:
            task.info.entity = target.ref
        task.external = True
        return task.info

    def _registered_task_type(self, task_type):
        for obj in self.server.objects:
            if obj.type_name == 'ExtensionManager':
                for extension in getattr(obj, 'extensionList', None) or ():
                    if any(t.taskID == task_type for t in extension.taskList or ()):
                        return True
        return False

    def _info_by_key(self, key):
        for _, info in reversed(self.history):
            if info.key == key:
                return info
        return None

    def CreateCollectorForTasks(self, ctx, filter):
        return self._collector(ctx, filter)

    def CreateCollectorWithInfoFilterForTasks(self, ctx, filter, infoFilter=None):
        return self._collector(ctx, filter, infoFilter)

    def ReadNextTasksByViewSpec(self, ctx, viewSpec, filterSpec, infoFilterSpec=None):
        """A page of the task history matching `filterSpec`, newest first:
        `count` tasks older than `startId` (the newest when it is empty),
        or, for a negative count, that many newer than it ("task-0": the
        oldest tasks)."""
        from vimsim.managed.monitoring.history_collector import (TaskMatcher, check_entity_filter,
                                                                 read_filter, task_presented)
        if self.server.esx:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        if viewSpec._type.name != 'TaskManagerViewByStartId':
            raise InvalidArgument('viewSpec')
        check_entity_filter(self.server, filterSpec.entity)
        count, start = viewSpec.count, viewSpec.startId
        if start:
            prefix, _, number = start.rpartition('-')
            if prefix != 'task' or not number.isdigit():
                raise InvalidArgument('viewSpec.startId')
            pivot = int(number)
        elif count > 0:
            pivot = None
        else:
            return []
        matches = TaskMatcher(self.server, filterSpec).matches
        readable = read_filter(ctx)
        page = []
        infos = (info for _, info in (reversed(self.history) if count > 0 else self.history))
        for info in infos:
            order = int(info.key.rpartition('-')[2])
            if pivot is not None and (order >= pivot if count > 0 else order <= pivot):
                continue
            if matches(info) and (readable is None or readable(info.entity)):
                page.append(task_presented(info, infoFilterSpec))
                if len(page) >= abs(count):
                    break
        return page if count > 0 else page[::-1]

    def _collector(self, ctx, spec, info_filter=None):
        from vimsim.managed.monitoring.history_collector import (TaskHistoryCollector,
                                                                 check_entity_filter)
        if self.server.esx:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        TaskHistoryCollector.check_room(ctx, self)
        check_entity_filter(self.server, spec.entity)
        return TaskHistoryCollector(ctx, self, spec, info_filter)


def _is_entity(server, obj):
    return obj is not None and server.schema.managed[obj.type_name].is_a('ManagedEntity')


def _add_recent(entity, ref):
    recent = entity.recentTask
    if not isinstance(recent, list):    # the shared empty default
        recent = entity.recentTask = list(recent)
    recent.append(ref)
    entity.changed('recentTask')
