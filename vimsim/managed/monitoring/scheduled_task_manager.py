"""ScheduledTaskManager: the scheduled tasks (vimsim/managed/monitoring/
scheduled_task.py runs them) and the catalog of their actions and
schedulers."""
from vimsim.managed.manager import Manager, element, manager_type
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.managed.monitoring.method_action import operation_of
from vimsim.managed.monitoring.scheduled_task import ScheduledTask
from vimsim.managed.monitoring.task_schedule import check_scheduler
from vimsim.soap.fault import InvalidArgument, fault

MAX_NAME = 80


@manager_type('ScheduledTaskManager')
class ScheduledTaskManager(Manager):
    """ScheduledTaskManager: the scheduled tasks, the catalog of actions and schedulers."""

    ACTIONS = (
        ('MethodAction', 'Method action', 'Action invoked by standard entity APIs'),
        ('RunScriptAction', 'Run a script', 'Action to run a server script'),
        ('SendEmailAction', 'Send email', 'Action to send an email'),
        ('CreateTaskAction', 'Create a task', 'Action to create a task'),
        ('SendSNMPAction', 'Send SNMP', 'Action to send a SNMP trap'),
    )
    SCHEDULERS = (
        ('HourlyTaskScheduler', 'Hourly',
         'Scheduled task will be triggered at a specific minute every hour', 'Minute'),
        ('MonthlyByWeekdayTaskScheduler', 'Monthly (by weekday)',
         'Scheduled task will be triggered on a specific weekday of an offset week of the '
         'month', 'Weekday within offset week'),
        ('MonthlyTaskScheduler', 'Monthly',
         'Scheduled task will be triggered every month on a specific day', 'Day'),
        ('WeeklyTaskScheduler', 'Weekly',
         'Scheduled task will be triggered on a specific weekday every week', 'Weekday'),
        ('RecurrentTaskScheduler', '<internal>', '<internal>', '<internal>'),
        ('AfterStartupTaskScheduler', 'After startup',
         'Scheduled task will be triggered a specific number of minutes after vCenter '
         'Server has started', 'Delay minutes'),
        ('OnceTaskScheduler', 'Once',
         'Scheduled task will be triggered once at a specific time', 'Time'),
        ('DailyTaskScheduler', 'Daily',
         'Scheduled task will be triggered every day at a specific hour', 'Hour'),
        ('MonthlyByDayTaskScheduler', 'Monthly (by day)',
         'Scheduled task will be triggered monthly on a specific day', 'Day'),
    )
    STATES = (('queued', 'Queued', 'Task is queued'),
              ('running', 'Running', 'Task is in progress'),
              ('success', 'Success', 'Task completed successfully'),
              ('error', 'Error', 'Task completed with a failure'))
    WEEKS = (('first', 'First'), ('second', 'Second'), ('third', 'Third'),
             ('fourth', 'Fourth'), ('last', 'Last'))

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        schema = server.schema
        T = schema.types
        self.scheduledTask = []
        self.started = server.model_built   # what AfterStartupTaskScheduler counts from
        self.description = T['ScheduledTaskDescription'].cls(
            action=[element(schema, k, l, s, 'TypeDescription') for k, l, s in self.ACTIONS],
            schedulerInfo=[T['ScheduledTaskDetail'].cls(key=k, label=l, summary=s, frequency=f)
                           for k, l, s, f in self.SCHEDULERS],
            state=[element(schema, k, l, s) for k, l, s in self.STATES],
            dayOfWeek=[element(schema, d.lower(), d, d) for d in (
                'Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday')],
            weekOfMonth=[element(schema, k, l, '%s week of the month' % l)
                         for k, l in self.WEEKS])

    # -- the tasks -------------------------------------------------------------------
    def event_manager(self):
        return event_manager(self.server)

    def is_entity(self, obj):
        return self.server.schema.managed[obj.type_name].is_a('ManagedEntity')

    def check_spec(self, target, spec, renaming=None):
        """vCenter's checks of a ScheduledTaskSpec for `target`, before
        anything changes: InvalidName, DuplicateName (a name is unique among
        the object's scheduled tasks), InvalidArgument."""
        name = spec.name or ''
        if not name.strip() or len(name) > MAX_NAME:
            raise fault('InvalidName', 'The name "%s" is not valid.' % name, name=name,
                        entity=target.ref if self.is_entity(target) else None)
        for ref in self.scheduledTask:
            other = self.server.objects.get(ref)
            if other is not renaming and other.target is target and other.info.name == name:
                raise fault('DuplicateName', 'The name "%s" already exists.' % name,
                            name=name, object=target.ref)
        if spec.scheduler is None:
            raise InvalidArgument('spec.scheduler')
        check_scheduler(spec.scheduler)
        action = spec.action
        if action is None or not action._type.is_a('MethodAction'):
            raise fault('NotSupported', 'Only a MethodAction can be scheduled.')
        operation_of(self.server, target.type_name, action, 'spec.action')

    def _create(self, ctx, obj, spec, entities_only):
        target = self.server.objects.resolve(obj)
        if entities_only and not self.is_entity(target):
            raise InvalidArgument('entity')
        self.check_spec(target, spec)
        user = ctx.session.user if ctx.session is not None else ''
        task = ScheduledTask(self.server, self.server.objects.next_id('schedule-'), self,
                             target, spec, user)
        self.server.objects.add(task)
        self.scheduledTask = self.scheduledTask + [task.ref]
        self.changed('scheduledTask')
        task._post('ScheduledTaskCreatedEvent')
        return task.ref

    def CreateScheduledTask(self, ctx, entity, spec):
        return self._create(ctx, entity, spec, entities_only=True)

    def CreateObjectScheduledTask(self, ctx, obj, spec):
        return self._create(ctx, obj, spec, entities_only=False)

    def removed(self, task):
        self.scheduledTask = [ref for ref in self.scheduledTask if ref != task.ref]
        self.changed('scheduledTask')
        self.server.objects.remove(task)

    def RetrieveEntityScheduledTask(self, ctx, entity=None):
        """The scheduled tasks of an entity (all of them when unset)."""
        if entity is None:
            return list(self.scheduledTask)
        target = self.server.objects.resolve(entity)
        return [ref for ref in self.scheduledTask
                if self.server.objects.get(ref).target is target]

    def RetrieveObjectScheduledTask(self, ctx, obj=None):
        """The scheduled tasks of any managed object (all when unset)."""
        return self.RetrieveEntityScheduledTask(ctx, obj)
