"""ScheduledTaskManager: the scheduled tasks (none yet) and the catalog of
their actions and schedulers."""
from vimsim.managed.manager import Manager, element, manager_type


@manager_type('ScheduledTaskManager')
class ScheduledTaskManager(Manager):
    """ScheduledTaskManager: no scheduled tasks yet, the catalog of actions and schedulers."""

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
        self.description = T['ScheduledTaskDescription'].cls(
            action=[element(schema, k, l, s, 'TypeDescription') for k, l, s in self.ACTIONS],
            schedulerInfo=[T['ScheduledTaskDetail'].cls(key=k, label=l, summary=s, frequency=f)
                           for k, l, s, f in self.SCHEDULERS],
            state=[element(schema, k, l, s) for k, l, s in self.STATES],
            dayOfWeek=[element(schema, d.lower(), d, d) for d in (
                'Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday')],
            weekOfMonth=[element(schema, k, l, '%s week of the month' % l)
                         for k, l in self.WEEKS])
