"""AlarmManager: the default alarm expressions and the alarm catalog."""
from vimsim.managed.manager import Manager, element, manager_type

EXPRESSIONS = (
    ('StateAlarmExpression', 'Entity state', 'Alarm expression defined on the connection '
     'state of the host, power state of a host, or virtual machine'),
    ('DisableAlarmExpression', 'DisableAlarmExpression', 'DisableAlarmExpression'),
    ('EventAlarmExpression', 'Event', 'Event alarm expression'),
    ('MetricAlarmExpression', 'Entity metric',
     'Alarm expression defined on the metric data of an entity'),
    ('AndAlarmExpression', 'AND', 'Alarm expression that describes conjoined alarm '
     'expressions'),
    ('OrAlarmExpression', 'OR', 'Alarm expression that describes disjoined alarm expressions'),
)

DESCRIPTIONS = {
    'stateOperator': (('isEqual', 'Is equal to', 'Test if the target item is in the current '
                       'state'),
                      ('isUnequal', 'Not equal to', 'Test if the target item is not in the '
                       'current state')),
    'metricOperator': (('isAbove', 'Is above', 'Test if the target metric value is greater '
                        'than the given value'),
                       ('isBelow', 'Is below', 'Test if the target metric value is lesser '
                        'than the given value')),
    'hostSystemConnectionState': (
        ('connected', 'Connected', 'Host is connected'),
        ('notResponding', 'Not responding',
         'vCenter Server is not receiving heartbeats from the host'),
        ('disconnected', 'Disconnected', 'The user has explicitly taken the host down')),
    'virtualMachinePowerState': (
        ('poweredOff', 'Powered off', 'Virtual machine is powered off'),
        ('poweredOn', 'Powered on', 'Virtual machine is powered on'),
        ('suspended', 'Suspended', 'Virtual machine is suspended')),
    'datastoreConnectionState': (('True', 'Connected', 'Datastore is connected'),
                                 ('False', 'Disconnected', 'Datastore is disconnected')),
    'hostSystemPowerState': (('poweredOn', 'Powered on', 'Host is powered on'),
                             ('poweredOff', 'Powered off', 'Host is powered off'),
                             ('standBy', 'Standby', 'Host is in standby mode'),
                             ('unknown', 'Unknown', 'Host power state cannot be determined')),
    'virtualMachineGuestHeartbeatStatus': (('gray', 'Gray', 'No status available'),
                                           ('green', 'Green', 'Normal operation'),
                                           ('yellow', 'Yellow', 'Intermittent heartbeat'),
                                           ('red', 'Red', 'No heartbeat')),
    'entityStatus': (('gray', 'Gray', 'No status available'),
                     ('green', 'Green', 'Green indicates normal operation'),
                     ('yellow', 'Yellow', 'Yellow indicates an error'),
                     ('red', 'Red', 'Red indicates an error')),
}

ACTIONS = (('MethodAction', 'Method action', 'Action invoked by standard entity APIs'),
           ('RunScriptAction', 'Run a script', 'Action to run a server script'),
           ('SendEmailAction', 'Send email', 'Action to send an email'),
           ('CreateTaskAction', 'Create a task', 'Action to create a task'),
           ('SendSNMPAction', 'Send SNMP', 'Action to send a SNMP trap'))

# perf counter keys the default metric expressions watch (see performance_manager)
CPU_USAGE, MEM_USAGE, DISK_USAGE, NET_USAGE, DISK_USED = 2, 24, 125, 143, 268


def default_expressions(schema):
    T = schema.types
    State = T['StateAlarmExpression'].cls
    Metric = T['MetricAlarmExpression'].cls
    Event = T['EventAlarmExpression'].cls
    Comparison = T['EventAlarmExpressionComparison'].cls
    MetricId = T['PerfMetricId'].cls

    def metric(entity, counter, yellow=7500, red=9000, interval=300):
        return Metric(operator='isAbove', type=entity,
                      metric=MetricId(counterId=counter, instance=''), yellow=yellow,
                      yellowInterval=interval, red=red, redInterval=interval)

    out = [
        State(operator='isEqual', type='HostSystem', statePath='runtime.connectionState',
              red='notResponding'),
        State(operator='isEqual', type='HostSystem', statePath='runtime.powerState',
              yellow='standBy'),
        State(operator='isEqual', type='VirtualMachine', statePath='runtime.powerState',
              yellow='poweredOff'),
        State(operator='isEqual', type='VirtualMachine',
              statePath='summary.quickStats.guestHeartbeatStatus', yellow='yellow', red='red'),
        State(operator='isEqual', type='VirtualMachine',
              statePath='summary.quickStats.ftLatencyStatus', yellow='yellow', red='red'),
    ]
    for counter in (CPU_USAGE, MEM_USAGE, NET_USAGE, DISK_USAGE):
        out.append(metric('HostSystem', counter))
        out.append(metric('VirtualMachine', counter))
    out.append(Metric(operator='isAbove', type='Datastore',
                      metric=MetricId(counterId=DISK_USED, instance=''), yellow=7500, red=8500))
    for event in ('LicenseNonComplianceEvent', 'VmTimedoutStartingSecondaryEvent',
                  'VmNoCompatibleHostForSecondaryEvent'):
        out.append(Event(eventType=event))
    out.append(T['OrAlarmExpression'].cls(expression=[
        Event(eventType='VmFaultToleranceStateChangedEvent', objectType='VirtualMachine',
              status=status, comparisons=[Comparison(attributeName='newState',
                                                     operator='equals', value=state)])
        for state, status in (('needSecondary', 'red'), ('disabled', 'yellow'),
                              ('notConfigured', 'green'), ('enabled', 'green'),
                              ('running', 'green'))]))
    return out


@manager_type('AlarmManager')
class AlarmManager(Manager):

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        schema = server.schema
        fields = {name: [element(schema, k, l, s) for k, l, s in items]
                  for name, items in DESCRIPTIONS.items()}
        self.description = schema.types['AlarmDescription'].cls(
            expr=[element(schema, k, l, s, 'TypeDescription') for k, l, s in EXPRESSIONS
                  if k in schema.types],
            action=[element(schema, k, l, s, 'TypeDescription') for k, l, s in ACTIONS],
            **fields)
        self.defaultExpression = default_expressions(schema)
