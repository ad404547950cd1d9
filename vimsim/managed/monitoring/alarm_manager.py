"""AlarmManager: the alarm catalog, vCenter's default alarms on the root
folder, and the evaluation of every alarm.

An alarm applies to its entity and the entities below it (down the
inventory, as a ContainerView sees it) of its expression's type. Every 20 s
on the model clock (so advancing simulated time evaluates each step) every
enabled alarm is evaluated on each entity it applies to: a metric
expression against the load model's last samples (the condition must hold
for its yellowInterval / redInterval; the setting's toleranceRange, in
hundredths of a percent of the threshold, must be passed to trigger and
fallen back under to clear), a state expression against the property path
read now, an event expression when a matching event is posted (it stays
triggered until cleared), And / Or as the least / worst of their parts. A
change of status is an AlarmState of the entity (triggeredAlarmState here
and on every entity above it, declaredAlarmState, overallStatus), an
AlarmStatusChangedEvent, and the actions whose transitions match, when the
entity's alarm actions are enabled. Not with -state: its journal would
record every evaluation.
"""
import itertools
import math
import time
from collections import deque, namedtuple

from vimsim.managed.base import Context
from vimsim.managed.manager import Manager, element, manager_type
from vimsim.managed.monitoring import perf_metrics
from vimsim.managed.monitoring.alarm import Alarm
from vimsim.managed.monitoring.event_manager import EVENT_LIMIT, event_manager
from vimsim.managed.monitoring.load_model import (SAMPLE_SECONDS, Unready, latest_index,
                                                  load_model)
from vimsim.managed.monitoring.method_action import operation_of, run_method_action
from vimsim.managed.monitoring.performance_manager import counters_of
from vimsim.managed.monitoring.task import now
from vimsim.managed.paths import read_path
from vimsim.soap.fault import InvalidArgument, fault, localized

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


STATUS_ORDER = {'gray': 0, 'green': 1, 'yellow': 2, 'red': 3}
LEGACY_TRANSITIONS = {('green', 'yellow'): 'green2yellow', ('yellow', 'red'): 'yellow2red',
                      ('red', 'yellow'): 'red2yellow', ('yellow', 'green'): 'yellow2green'}
EVENT_ACTIONS = {'SendEmailAction': 'AlarmEmailCompletedEvent',
                 'SendSNMPAction': 'AlarmSnmpCompletedEvent',
                 'RunScriptAction': 'AlarmScriptCompleteEvent'}
MAX_NAME = 80   # vCenter's longest alarm name
FIRST_EVENTS_STEP = 16   # events a step of _first_events posts (about 1 ms)
STEP_SECONDS = 0.001   # an evaluation step's time, about (its entities' evaluations)
# event argument fields, most specific first: which entity an event is about
EVENT_ENTITIES = (('vm', 'vm', 'VirtualMachine'), ('host', 'host', 'HostSystem'),
                  ('ds', 'datastore', 'Datastore'), ('net', 'network', 'Network'),
                  ('dvs', 'dvs', 'DistributedVirtualSwitch'),
                  ('computeResource', 'computeResource', 'ComputeResource'),
                  ('datacenter', 'datacenter', 'Datacenter'))


def worst(*statuses):
    """The worst of some ManagedEntityStatus values ('gray' when none)."""
    return max(statuses, key=STATUS_ORDER.__getitem__, default='gray')


def default_alarms(schema):
    """(name, systemName, description, expression) of vCenter's default alarms."""
    T = schema.types
    State, Metric = T['StateAlarmExpression'].cls, T['MetricAlarmExpression'].cls
    Event, Or = T['EventAlarmExpression'].cls, T['OrAlarmExpression'].cls
    MetricId = T['PerfMetricId'].cls

    def metric(kind, counter, yellow, red):
        return Metric(operator='isAbove', type=kind, metric=MetricId(counterId=counter,
                                                                     instance=''),
                      yellow=yellow, yellowInterval=300, red=red, redInterval=300)

    def event(kind, name, status='red'):
        return Event(eventType=name, objectType=kind, status=status)
    return (
        ('Host connection and power state', 'alarm.HostConnectionStateAlarm',
         'Default alarm to monitor host connection and power state', Or(expression=[
             State(operator='isEqual', type='HostSystem',
                   statePath='runtime.connectionState', red='notResponding'),
             State(operator='isEqual', type='HostSystem', statePath='runtime.powerState',
                   yellow='standBy')])),
        ('Host CPU usage', 'alarm.HostCPUUsageAlarm', 'Default alarm to monitor host CPU usage',
         metric('HostSystem', CPU_USAGE, 7500, 9000)),
        ('Host memory usage', 'alarm.HostMemoryUsageAlarm',
         'Default alarm to monitor host memory usage', metric('HostSystem', MEM_USAGE, 9000, 9500)),
        ('Virtual machine CPU usage', 'alarm.VmCPUUsageAlarm',
         'Default alarm to monitor virtual machine CPU usage',
         metric('VirtualMachine', CPU_USAGE, 7500, 9000)),
        ('Virtual machine memory usage', 'alarm.VmMemoryUsageAlarm',
         'Default alarm to monitor virtual machine memory usage',
         metric('VirtualMachine', MEM_USAGE, 8500, 9500)),
        ('Host connection failure', 'alarm.HostConnectivityAlarm',
         'Default alarm to monitor host connection failure',
         event('HostSystem', 'HostConnectionLostEvent')),
        ('vSphere HA host status', 'alarm.HostErrorAlarm',
         'Default alarm to monitor the vSphere HA host status',
         event('HostSystem', 'DasHostFailedEvent')),
        ('Insufficient vSphere HA failover resources', 'alarm.DasInsufficientResourcesAlarm',
         'Default alarm to alert when there are insufficient cluster resources for vSphere HA '
         'to guarantee failover', event('ClusterComputeResource',
                                        'InsufficientFailoverResourcesEvent')),
        ('Cannot complete DRS resource configuration', 'alarm.DrsResourceConfigureFailedAlarm',
         'Default alarm to alert when DRS cannot complete a resource configuration',
         event('HostSystem', 'DrsResourceConfigureFailedEvent')),
    )


def alarm_manager(server):
    """The AlarmManager of a simulator, or None (ESX hosts have none)."""
    return getattr(server, 'alarm_manager', None)


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
        server.alarm_manager = self
        self._alarms = {}          # entity moid -> [Alarm] defined on it
        # alarm moid -> {entity moid: its yellow or red AlarmState, or a green or
        # gray Quiet one, shared by every state alike (1M green states: 1M slots)}
        self._states = {}
        self._triggered = {}       # entity moid -> {alarm moid: its yellow or red AlarmState}
        self._quiet = None         # the Quiet state made last (the next alike shares it)
        self._event_status = {}    # (alarm moid, entity moid) -> status an event set
        self._event_alarms = None  # [(alarm, its event expressions)], made when first needed
        self._kinds_of = {}        # (entity type, managed type) -> whether one is the other
        self._disabled = set()     # (alarm moid, entity moid): DisableAlarm
        self._actions_off = set()  # entity moids whose alarm actions are disabled
        self._defaults_made = False
        self._history = {}         # sample index -> {entity moid: watched counter values}
        self._holding = {}         # sample index -> entity moids a condition held on, newest
        self._passing = False      # an evaluation pass is under way
        if server.persistence is None and getattr(server, 'recording', None) is None:
            server.time.callLater(0, self._tick)   # a recording keeps its recorded states

    @staticmethod
    def now():
        return now()

    def _T(self, name):
        return self.server.schema.types[name].cls

    # -- definitions -----------------------------------------------------------------
    def _make_defaults(self):
        """vCenter's default alarms on the root folder, once the inventory is there."""
        self._defaults_made = True
        root = getattr(self.server, 'root_folder', None)
        if root is None:
            return
        Spec = self._T('AlarmSpec')
        for name, system_name, description, expression in default_alarms(self.server.schema):
            spec = Spec(name=name, systemName=system_name, description=description,
                        enabled=True, expression=expression, actionFrequency=0)
            self._add(None, root, spec, 'system')

    def check_spec(self, ctx, entity, spec, renaming=None):
        """vCenter's checks of an AlarmSpec for `entity` (InvalidName,
        DuplicateName, InvalidArgument), before anything changes."""
        name = spec.name or ''
        if not name.strip() or len(name) > MAX_NAME:
            raise fault('InvalidName', 'The name "%s" is not valid.' % name, name=name,
                        entity=entity.ref)
        for alarm in self._alarms.get(entity.ref.value, ()):
            if alarm is not renaming and alarm.info.name == name:
                raise fault('DuplicateName', 'The name "%s" already exists.' % name,
                            name=name, object=entity.ref)
        if spec.expression is None:
            raise InvalidArgument('expression')
        self._check_expression(spec.expression, 'expression')
        for n, action in enumerate(_triggering_actions(spec.action)):
            self._check_action(action, spec.expression, 'action.action[%d]' % n)
        setting = spec.setting
        if setting is not None and ((setting.toleranceRange or 0) < 0
                                    or (setting.reportingFrequency or 0) < 0):
            raise InvalidArgument('setting')
        if (spec.actionFrequency or 0) < 0:
            raise InvalidArgument('actionFrequency')

    def _check_expression(self, expression, argument):
        T = self.server.schema.types
        kind = expression._type
        if kind.is_a('AndAlarmExpression') or kind.is_a('OrAlarmExpression'):
            if not expression.expression:
                raise InvalidArgument(argument + '.expression')
            for n, part in enumerate(expression.expression):
                self._check_expression(part, '%s.expression[%d]' % (argument, n))
        elif kind.is_a('MetricAlarmExpression'):
            self._check_type(expression.type, argument + '.type')
            if expression.metric.counterId not in counters_of(self.server):
                raise InvalidArgument(argument + '.metric.counterId')
            if expression.red is None and expression.yellow is None:
                raise InvalidArgument(argument + '.red')
            for field in ('yellowInterval', 'redInterval'):
                if (getattr(expression, field) or 0) < 0:
                    raise InvalidArgument('%s.%s' % (argument, field))
        elif kind.is_a('StateAlarmExpression'):
            self._check_type(expression.type, argument + '.type')
            managed = self.server.schema.managed[expression.type]
            first = expression.statePath.split('.', 1)[0]
            if first not in managed.property_map:
                raise InvalidArgument(argument + '.statePath')
            if expression.red is None and expression.yellow is None:
                raise InvalidArgument(argument + '.red')
        elif kind.is_a('EventAlarmExpression'):
            event_type = T.get(expression.eventType)
            if event_type is None or not event_type.is_a('Event'):
                raise InvalidArgument(argument + '.eventType')
            if expression.objectType is not None:
                self._check_type(expression.objectType, argument + '.objectType')
            for comparison in expression.comparisons:
                if comparison.operator not in COMPARISONS:
                    raise InvalidArgument(argument + '.comparisons.operator')
        else:   # DisableAlarmExpression and the like: nothing vimsim evaluates
            raise fault('NotSupported', '%s is not supported.' % kind.name)

    def _check_type(self, type_name, argument):
        managed = self.server.schema.managed.get(type_name)
        if managed is None or not managed.is_a('ManagedEntity'):
            raise InvalidArgument(argument)

    def _check_action(self, action, expression, argument):
        if not action._type.is_a('AlarmTriggeringAction'):   # the abstract AlarmAction itself
            raise InvalidArgument(argument)
        inner = action.action
        if inner is None:
            raise InvalidArgument(argument + '.action')
        kind = inner._type
        if kind.is_a('MethodAction'):
            for type_name in _types_of(expression):
                operation_of(self.server, type_name, inner, argument + '.action')
        elif kind.name not in EVENT_ACTIONS:
            raise fault('NotSupported', '%s is not supported.' % kind.name)
        for spec in action.transitionSpecs:
            if spec.startState == spec.finalState:
                raise InvalidArgument(argument + '.transitionSpecs')

    def _add(self, ctx, entity, spec, user):
        events = event_manager(self.server)
        key = events.reserve_key()
        alarm = Alarm(self.server, self.server.objects.next_id('alarm-'), self, entity, spec,
                      user, key)
        self.server.objects.add(alarm)
        self._alarms.setdefault(entity.ref.value, []).append(alarm)
        self._event_alarms = None
        events.post('AlarmCreatedEvent', entity, ctx=ctx, key=key,
                    alarm=self._alarm_argument(alarm), entity=self._entity_argument(entity))
        return alarm

    def CreateAlarm(self, ctx, entity, spec):
        target = self.server.objects.resolve(entity)
        if not self.server.schema.managed[target.type_name].is_a('ManagedEntity'):
            raise InvalidArgument('entity')
        self._defaults()
        self.check_spec(ctx, target, spec)
        alarm = self._add(ctx, target, spec, ctx.session.user if ctx.session else '')
        self._evaluate_alarm(alarm)
        return alarm.ref

    def GetAlarm(self, ctx, entity=None):
        """The alarms defined on `entity`, or on any entity when unset."""
        self._defaults()
        if entity is None:
            return [alarm.ref for alarms in self._alarms.values() for alarm in alarms]
        target = self.server.objects.resolve(entity)
        return [alarm.ref for alarm in self._alarms.get(target.ref.value, ())]

    def reconfigured(self, ctx, alarm, before):
        T = self.server.schema.types
        changes = [name for name in ('name', 'description', 'enabled', 'expression', 'action',
                                     'actionFrequency', 'setting')
                   if getattr(before, name) != getattr(alarm.info, name)]
        event_manager(self.server).post(
            'AlarmReconfiguredEvent', alarm.entity_object, ctx=ctx,
            alarm=self._alarm_argument(alarm), entity=self._entity_argument(alarm.entity_object),
            configChanges=T['ChangesInfoEventArgument'].cls(modified=', '.join(changes)))
        for key in [k for k in self._event_status if k[0] == alarm.ref.value]:
            del self._event_status[key]
        self._event_alarms = None
        self._evaluate_alarm(alarm)

    def remove(self, ctx, alarm):
        entity = alarm.entity_object
        self._alarms[entity.ref.value].remove(alarm)
        self._event_alarms = None
        self._forget_states(alarm)
        self._disabled = {k for k in self._disabled if k[0] != alarm.ref.value}
        self.server.objects.remove(alarm)
        event_manager(self.server).post(
            'AlarmRemovedEvent', entity, ctx=ctx, alarm=self._alarm_argument(alarm),
            entity=self._entity_argument(entity))

    # -- per entity ------------------------------------------------------------------
    def _entity(self, ref):
        target = self.server.objects.resolve(ref)
        if not self.server.schema.managed[target.type_name].is_a('ManagedEntity'):
            raise InvalidArgument('entity')
        return target

    def _alarm(self, ref):
        alarm = self.server.objects.resolve(ref)
        if not isinstance(alarm, Alarm):
            raise InvalidArgument('alarm')
        return alarm

    def GetAlarmState(self, ctx, entity):
        """The state of every alarm that applies to the entity."""
        return self.declared_states(self._entity(entity))

    def AcknowledgeAlarm(self, ctx, alarm, entity):
        found, target = self._alarm(alarm), self._entity(entity)
        state = self._triggered.get(target.ref.value, {}).get(found.ref.value)
        if state is None or state.acknowledged:
            return
        state.acknowledged = True
        state.acknowledgedByUser = ctx.session.user if ctx.session is not None else ''
        state.acknowledgedTime = now()
        self._states_changed(target, triggered=True)
        event_manager(self.server).post(
            'AlarmAcknowledgedEvent', target, ctx=ctx, alarm=self._alarm_argument(found),
            source=self._entity_argument(found.entity_object),
            entity=self._entity_argument(target))

    def ClearTriggeredAlarms(self, ctx, filter):
        """Reset the triggered alarms the filter selects to green."""
        if filter.status and any(s not in STATUS_ORDER for s in filter.status):
            raise InvalidArgument('filter.status')
        for state in self._triggered_list():
            alarm, target = self.server.objects.get(state.alarm), \
                self.server.objects.get(state.entity)
            if alarm is None or target is None or not _selected(filter, alarm, target, state):
                continue
            self._event_status.pop((alarm.ref.value, target.ref.value), None)
            before = state.overallStatus
            self._set_state(alarm, target, 'green', post=False)
            event_manager(self.server).post(
                'AlarmClearedEvent', target, ctx=ctx, alarm=self._alarm_argument(alarm),
                source=self._entity_argument(alarm.entity_object),
                entity=self._entity_argument(target), **{'from': before})

    def EnableAlarmActions(self, ctx, entity, enabled):
        target = self._entity(entity)
        if enabled:
            self._actions_off.discard(target.ref.value)
        else:
            self._actions_off.add(target.ref.value)
        target.changed('alarmActionsEnabled')

    def AreAlarmActionsEnabled(self, ctx, entity):
        return self.actions_enabled(self._entity(entity))

    def actions_enabled(self, entity):
        return entity.ref.value not in self._actions_off

    def DisableAlarm(self, ctx, alarm, entity):
        """Stop evaluating an alarm on an entity (its state reads disabled, green)."""
        found, target = self._alarm(alarm), self._entity(entity)
        self._disabled.add((found.ref.value, target.ref.value))
        self._set_state(found, target, 'green', post=False)

    def EnableAlarm(self, ctx, alarm, entity):
        found, target = self._alarm(alarm), self._entity(entity)
        self._disabled.discard((found.ref.value, target.ref.value))
        self._states_changed(target, triggered=False)
        self._evaluate_alarm(found)

    # -- states as entities show them -------------------------------------------------
    def _defaults(self):
        if not self._defaults_made:
            self._make_defaults()

    def _triggered_list(self):
        """Every yellow or red AlarmState (from copies: tests read from their
        own thread)."""
        return [state for states in list(self._triggered.values())
                for state in list(states.values())]

    def triggered_states(self, entity):
        """Triggered alarm states of the entity and the entities below it."""
        return [state for state in self._triggered_list()
                if state.entity == entity.ref or self._below(state.entity, entity.ref)]

    def _state(self, alarm_moid, entity_moid):
        """The state an alarm has on an entity, None before its first evaluation."""
        states = self._states.get(alarm_moid)
        return states.get(entity_moid) if states is not None else None

    def declared_states(self, entity):
        """A state for every alarm that applies to the entity (gray before
        its first evaluation)."""
        out = []
        AlarmState = self._T('AlarmState')
        for alarm in self.applying(entity):
            key = (alarm.ref.value, entity.ref.value)
            state = self._state(*key)
            if type(state) is Quiet:
                state = AlarmState(key=_state_key(key), entity=entity.ref, alarm=alarm.ref,
                                   acknowledged=False, **state._asdict())
            out.append(state or AlarmState(
                key=_state_key(key), entity=entity.ref, alarm=alarm.ref, overallStatus='gray',
                time=alarm.info.lastModifiedTime, acknowledged=False))
        return out

    def status_of(self, entity):
        """The worst status of the alarms triggered on the entity itself."""
        states = self._triggered.get(entity.ref.value)
        if not states:
            return 'green'
        return worst('green', *(state.overallStatus for state in list(states.values())))

    def applying(self, entity):
        """The alarms defined on the entity or above it whose expression is
        about its type."""
        out = []
        managed = self.server.schema.managed[entity.type_name]
        for owner in self._path_up(entity):
            for alarm in self._alarms.get(owner.ref.value, ()):
                if any(managed.is_a(kind) for kind in _types_of(alarm.info.expression)):
                    out.append(alarm)
        return out

    def _path_up(self, entity):
        get = self.server.objects.get
        while entity is not None:
            yield entity
            entity = get(entity.parent) if getattr(entity, 'parent', None) else None

    def _below(self, ref, ancestor):
        entity = self.server.objects.get(ref)
        return any(up.ref == ancestor for up in self._path_up(entity)) if entity else False

    # -- evaluation --------------------------------------------------------------------
    def _tick(self):
        """Evaluate every alarm, then again in 20 s of model time. The pass is
        model work, an entity a step (ModelTime.cooperate: other clients are
        answered between steps; under `advance` it runs at once, at its own
        time). A pass still running when the next is due lets that one go by."""
        self.server.time.callLater(SAMPLE_SECONDS, self._tick)
        if not self._defaults_made:
            self._make_defaults()
            event_manager(self.server).listeners.append(self.event_posted)
        if not self._passing:
            self.server.time.cooperate(self._pass())

    def _pass(self):
        self._passing = True
        try:
            self._keep_holding()
            reading = self._reading()
            keep = max((_samples(e) for alarms in self._alarms.values() for alarm in alarms
                        for e in _leaves(alarm.info.expression)), default=1)
            for index in [i for i in self._history if i <= reading.latest - keep]:
                del self._history[index]
            walks = {}
            for alarm in [alarm for alarms in self._alarms.values() for alarm in alarms]:
                yield from self._evaluation(alarm, reading, walks)
            yield from self._first_events(reading)
        finally:
            self._passing = False

    def _keep_holding(self):
        """Of the samples read as the newest by the passes before, keep only
        the values of entities some condition held on: the next passes read
        back only from those (the others' past is the load model's, read
        again if ever needed), so a pass over 1M idle VMs keeps nothing."""
        for index, holding in self._holding.items():
            held = self._history.get(index)
            if held is not None:
                self._history[index] = {moid: held[moid] for moid in holding if moid in held}
        self._holding = {}

    def _reading(self, queued=True):
        """What an evaluation reads: the load model as it is now (its host
        samples kept while the evaluation changes the model, see
        LoadModel.frozen), the newest sample, the counters metric alarms
        watch, and the samples read before (self._history)."""
        wanted = set()
        counters = counters_of(self.server)
        for alarms in self._alarms.values():
            for alarm in alarms:
                for leaf in _leaves(alarm.info.expression):
                    if leaf._type.is_a('MetricAlarmExpression'):
                        counter = counters.get(leaf.metric.counterId)
                        if counter is not None:
                            wanted.add('%s.%s' % (counter.groupInfo.key, counter.nameInfo.key))
        latest = latest_index()
        self._history[latest] = {}   # the newest sample is read afresh (a load set since)
        return _Reading(load_model(self.server).frozen(stepped=queued), latest, wanted,
                        self._history, self._holding.setdefault(latest, set()), now(),
                        deque(maxlen=EVENT_LIMIT) if queued else None)

    def _scope(self, alarm, walks):
        """The entities an alarm applies to: its entity and those below it
        of its expression's types. `walks`: the walks down done this time
        (top -> the entities below and their types), and the scopes taken
        from them ((top, types) -> entities: alarms of one type share one)."""
        kinds = _types_of(alarm.info.expression)
        managed = self.server.schema.managed
        top = alarm.entity_object
        walk = walks.get(top.ref)
        if walk is None:
            get = self.server.objects.get
            seen, pending, below = set(), [top], []
            while pending:
                entity = pending.pop()
                if entity is None or id(entity) in seen:
                    continue
                seen.add(id(entity))
                below.append(entity)
                children = entity.view_children()
                if children:   # a VM's none (most of a large inventory)
                    pending.extend(map(get, children))
            walk = walks[top.ref] = below, {entity.type_name for entity in below}
        below, types = walk
        applying = frozenset(name for name in types
                             if any(managed[name].is_a(kind) for kind in kinds))
        scope = walks.get((top.ref, applying))
        if scope is None:
            scope = walks[top.ref, applying] = [entity for entity in below
                                                if entity.type_name in applying]
        return scope

    def _evaluate_alarm(self, alarm):
        """Evaluate `alarm` on everything it applies to, as model work (an
        entity a step, ModelTime.cooperate, as a pass is): the call that
        created, changed or enabled it returns at once and other clients
        are answered meanwhile; under `advance` the evaluation ends first."""
        reading = self._reading()
        self.server.time.cooperate(itertools.chain(self._evaluation(alarm, reading, {}),
                                                   self._first_events(reading)))

    def _first_events(self, reading):
        """Steps posting the AlarmStatusChangedEvents of the states an
        evaluation set after gray (vCenter posts one per entity and alarm:
        2M on a first pass over 1M VMs), once it has set them all, and only
        the newest EVENT_LIMIT: the event store keeps no more, so the older
        ones would have been dropped by the newer as they came (and no
        action runs on a change from gray)."""
        queued = reading.first_events
        get = self.server.objects.get
        while queued:
            for _ in range(min(FIRST_EVENTS_STEP, len(queued))):
                alarm, entity, status = queued.popleft()
                if get(alarm.ref) is alarm and get(entity.ref) is entity:
                    event = self._post_status_changed(alarm, entity, 'gray', status)
                    self._keyed(alarm, entity, event.key)
            yield

    def _evaluation(self, alarm, reading, walks):
        """Steps evaluating `alarm`, each as many entities as fit in
        STEP_SECONDS; a host sample summing over many VMs is made by steps
        of its own first (load_model.Unready), and the entity evaluated
        again. Between steps the model may change: an alarm removed,
        disabled or reconfigured meanwhile stops (its reconfiguration
        evaluates it again), an entity gone is passed by (looked up only
        once anything was removed since the walk)."""
        info = alarm.info
        if not info.enabled:
            return
        objects = self.server.objects
        get = objects.get
        removals = objects.removals
        entities = self._scope(alarm, walks)
        position, count = 0, len(entities)
        while position < count:
            if get(alarm.ref) is not alarm or alarm.info is not info or not info.enabled:
                return
            unchanged = objects.removals == removals
            ends = time.perf_counter() + STEP_SECONDS
            while position < count:
                entity = entities[position]
                if unchanged or get(entity.ref) is entity:
                    try:
                        self._evaluate_on(alarm, entity, reading)
                    except Unready as unready:
                        yield from unready.steps
                        break
                position += 1
                if time.perf_counter() > ends:
                    break
            yield

    def _evaluate_on(self, alarm, entity, reading):
        key = (alarm.ref.value, entity.ref.value)
        if key in self._disabled:
            return
        state = self._state(*key)
        current = state.overallStatus if state is not None else 'gray'
        status = self._status(alarm, alarm.info.expression, entity, current, reading)
        if status is not None and status != current:
            self._set_state(alarm, entity, status, at=reading.time,
                            first_events=reading.first_events)

    def _status(self, alarm, expression, entity, current, reading):
        """An expression's status on an entity, None where it does not apply."""
        kind = _kind(expression)
        if kind == 'or' or kind == 'and':
            parts = [self._status(alarm, part, entity, current, reading)
                     for part in expression.expression]
            parts = [p for p in parts if p is not None]
            if not parts:
                return None
            if kind == 'or':
                return worst(*parts)
            return min(parts, key=STATUS_ORDER.__getitem__)
        if kind == 'event':
            if expression.objectType and not self._is_a(entity, expression.objectType):
                return None
            return self._event_status.get((alarm.ref.value, entity.ref.value), 'green')
        if not self._is_a(entity, expression.type):
            return None
        if kind == 'state':
            return self._state_status(expression, entity)
        return self._metric_status(alarm, expression, entity, current, reading)

    def _is_a(self, entity, type_name):
        """Whether an entity is of a managed type (asked per entity and
        expression of every pass: kept)."""
        key = (entity.type_name, type_name)
        found = self._kinds_of.get(key)
        if found is None:
            found = self._kinds_of[key] = \
                self.server.schema.managed[entity.type_name].is_a(type_name)
        return found

    def _state_status(self, expression, entity):
        try:
            value, _ = read_path(entity, expression.statePath, self._context())
        except self.server.schema.types['MethodFault'].cls:
            return None
        text = _text(value)
        equal = expression.operator == 'isEqual'
        for status in ('red', 'yellow'):
            wanted = getattr(expression, status)
            if wanted is not None and (text == wanted) == equal:
                return status
        return 'green'

    def _context(self):
        return Context(self.server, None, self.server.schema.version(self.server.api_version))

    def _metric_status(self, alarm, expression, entity, current, reading):
        plan = self._metric_plan(alarm, expression, entity, reading)
        if plan is None:
            return None
        read, name, watched, above, checks, peak, lowest = plan
        rank = STATUS_ORDER[current]
        if peak is not None:   # a VM that cannot pass a limit in any sample: none read
            highest = peak(reading.model, entity)
            if highest is not None and highest <= lowest[rank]:
                return 'green'
        moid = entity.ref.value
        history = reading.history
        latest = reading.latest
        for status, status_rank, trigger_limit, clear_limit, count in checks:
            # past the threshold by the tolerance to trigger; back by it to clear
            limit = clear_limit if rank >= status_rank else trigger_limit
            for index in range(latest, latest - count, -1):
                # each sample read once a pass, only the watched counters kept
                # (for the passes after: see _keep_holding)
                held = history.get(index)
                if held is None:
                    held = history[index] = {}
                sample = held.get(moid)
                if sample is None or name not in sample:
                    values = read(reading.model, entity, index, watched)
                    sample = held[moid] = {counter: values[counter] for counter in watched
                                           if counter in values}
                v = sample[name]
                if not ((v > limit) if above else (v < limit)):
                    break
                if index == latest:
                    reading.holding.add(moid)
            else:
                return status
        return 'green'

    def _metric_plan(self, alarm, expression, entity, reading):
        """What evaluating a metric expression on entities of one type reads
        and compares (worked out once a reading, not per entity): the
        provider's sample reader, the counter, the counters kept, the
        operator, per status (status, its rank, the limits to trigger and
        to clear, the samples it must hold for), the reader of the highest
        value an entity's counter can have (perf_metrics.peak_of; None:
        unknown) and per current status the lowest limit it must pass; None
        where the entity type reports no such counter."""
        key = (id(expression), entity.type_name)
        found = reading.plans.get(key)
        if found is not None and found[0] is expression:
            return found[1]
        plan = None
        provider = perf_metrics.provider(entity)
        counter = counters_of(self.server).get(expression.metric.counterId)
        name = counter and '%s.%s' % (counter.groupInfo.key, counter.nameInfo.key)
        if provider is not None and counter is not None and name in perf_metrics.names(entity):
            tolerance = (alarm.info.setting.toleranceRange or 0) / 10000
            above = expression.operator == 'isAbove'
            checks = []
            for status in ('red', 'yellow'):
                threshold = getattr(expression, status)
                if threshold is None:
                    continue
                margin = threshold * tolerance * (1 if above else -1)
                checks.append((status, STATUS_ORDER[status], threshold + margin,
                               threshold - margin,
                               _interval_samples(getattr(expression, status + 'Interval'))))
            # per current status's rank: the lowest limit a sample must pass
            lowest = [min((clear if rank >= status_rank else trigger
                           for _, status_rank, trigger, clear, _ in checks), default=math.inf)
                      for rank in range(len(STATUS_ORDER))]
            plan = (provider[0], name, tuple(reading.wanted | {name}), above, checks,
                    perf_metrics.peak_of(entity, name) if above else None, lowest)
        reading.plans[key] = (expression, plan)
        return plan

    def event_posted(self, event):
        """Event expressions: an event that matches triggers its alarm on the
        entity it is about."""
        T = self.server.schema.types
        reading = None    # made once, for the first alarm the event triggers
        if self._event_alarms is None:
            self._event_alarms = [(alarm, expressions) for alarms in self._alarms.values()
                                  for alarm in alarms
                                  for expressions in [_event_expressions(alarm.info.expression)]
                                  if expressions]
        for alarm, expressions in self._event_alarms:
            if not alarm.info.enabled:
                continue
            for expression in expressions:
                if not _matches(T, expression, event):
                    continue
                entity = self._event_entity(event, expression.objectType)
                if entity is None or not self._below(entity.ref, alarm.entity_object.ref):
                    continue
                key = (alarm.ref.value, entity.ref.value)
                if key in self._disabled:
                    continue
                self._event_status[key] = expression.status or 'red'
                reading = reading or self._reading(queued=False)
                self._evaluate_on(alarm, entity, reading)

    def _event_entity(self, event, object_type):
        managed = self.server.schema.managed
        for field, attribute, kind in EVENT_ENTITIES:
            argument = getattr(event, field, None)
            ref = getattr(argument, attribute, None) if argument is not None else None
            if ref is None:
                continue
            if object_type and not managed[ref.type].is_a(object_type):
                continue
            return self.server.objects.get(ref)
        return None

    def _set_state(self, alarm, entity, status, post=True, at=None, first_events=None):
        """Set an alarm's status on an entity, as of `at` (an evaluation's
        time; now by default), and post its AlarmStatusChangedEvent (one
        from gray queued in `first_events` when given, see _first_events),
        whose key is the state's eventKey (as vCenter's states show)."""
        alarm_moid, entity_moid = key = (alarm.ref.value, entity.ref.value)
        states = self._states.setdefault(alarm_moid, {})
        before = states.get(entity_moid)
        from_status = before.overallStatus if before is not None else 'gray'
        event = None
        if post and from_status == 'gray' and first_events is not None:
            first_events.append((alarm, entity, status))
        elif post:
            event = self._post_status_changed(alarm, entity, from_status, status)
        event_key = event.key if event is not None else None
        disabled = True if key in self._disabled else None
        at = at or now()
        triggered = self._triggered.get(entity_moid)
        was_triggered = triggered is not None and alarm_moid in triggered
        if status in ('yellow', 'red'):
            states[entity_moid] = self._triggered.setdefault(entity_moid, {})[alarm_moid] = \
                self._T('AlarmState')(key=_state_key(key), entity=entity.ref, alarm=alarm.ref,
                                      overallStatus=status, time=at, acknowledged=False,
                                      eventKey=event_key, disabled=disabled)
        else:
            if was_triggered:
                self._untrigger(alarm_moid, entity_moid)
            quiet = Quiet(status, at, event_key, disabled)
            if quiet != self._quiet:
                self._quiet = quiet
            states[entity_moid] = self._quiet
        self._states_changed(entity, triggered=was_triggered or status in ('yellow', 'red'))
        if event is not None and from_status != 'gray' and self.actions_enabled(entity):
            self._run_actions(alarm, entity, from_status, status)

    def _keyed(self, alarm, entity, event_key):
        """Give a state set after gray the key of its event, posted since
        (its own Quiet then: the one it shared has none)."""
        states = self._states.get(alarm.ref.value, {})
        state = states.get(entity.ref.value)
        if type(state) is Quiet:
            if state.eventKey is None:
                states[entity.ref.value] = state._replace(eventKey=event_key)
        elif state is not None and state.eventKey is None:
            state.eventKey = event_key

    def _post_status_changed(self, alarm, entity, from_status, status):
        return event_manager(self.server).post(
            'AlarmStatusChangedEvent', entity, alarm=self._alarm_argument(alarm),
            source=self._entity_argument(alarm.entity_object),
            entity=self._entity_argument(entity), **{'from': from_status, 'to': status})

    def _untrigger(self, alarm_moid, entity_moid):
        triggered = self._triggered[entity_moid]
        del triggered[alarm_moid]
        if not triggered:
            del self._triggered[entity_moid]

    def _forget_states(self, alarm):
        """Drop every state of a removed alarm, telling the entities it
        applied to."""
        alarm_moid = alarm.ref.value
        states = self._states.pop(alarm_moid, {})
        self._event_status = {k: v for k, v in self._event_status.items()
                              if k[0] != alarm_moid}
        for entity_moid, state in states.items():
            if type(state) is not Quiet:
                self._untrigger(alarm_moid, entity_moid)
        for entity in self._scope(alarm, {}):
            state = states.get(entity.ref.value)
            if state is not None:
                self._states_changed(entity, triggered=type(state) is not Quiet)

    def _states_changed(self, entity, triggered):
        """Tell watchers what a state change changed: the entity's declared
        states; with a yellow or red state set or cleared (`triggered`), also
        its overall status and the triggered states of it and every entity
        above it (a green state set after a gray one changes none of those)."""
        if not triggered:
            entity.changed('declaredAlarmState')
            return
        entity.changed('triggeredAlarmState', 'declaredAlarmState', 'overallStatus', 'summary')
        for above in list(self._path_up(entity))[1:]:
            above.changed('triggeredAlarmState')

    def _run_actions(self, alarm, entity, from_status, to_status):
        events = event_manager(self.server)
        for action in _triggering_actions(alarm.info.action):
            if not _fires(action, from_status, to_status):
                continue
            inner = action.action
            kind = inner._type.name
            common = dict(alarm=self._alarm_argument(alarm),
                          entity=self._entity_argument(entity))
            events.post('AlarmActionTriggeredEvent', entity,
                        source=self._entity_argument(alarm.entity_object), **common)
            if kind in EVENT_ACTIONS:
                extra = {'to': inner.toList} if kind == 'SendEmailAction' else \
                    {'script': inner.script} if kind == 'RunScriptAction' else {}
                events.post(EVENT_ACTIONS[kind], entity, **common, **extra)
                continue
            reason = self._T('TaskReasonAlarm')(alarmName=alarm.info.name, alarm=alarm.ref,
                                                entityName=entity.name, entity=entity.ref)
            try:
                run_method_action(self.server, entity, inner, reason)
            except self.server.schema.types['MethodFault'].cls as failed:
                events.post('AlarmScriptFailedEvent', entity, script=inner.name,
                            reason=localized(failed), **common)

    def _alarm_argument(self, alarm):
        return self._T('AlarmEventArgument')(name=alarm.info.name, alarm=alarm.ref)

    def _entity_argument(self, entity):
        return event_manager(self.server).argument('ManagedEntityEventArgument', 'entity', entity)


COMPARISONS = {
    'equals': lambda a, b: a == b, 'notEqualTo': lambda a, b: a != b,
    'startsWith': lambda a, b: a.startswith(b), 'doesNotStartWith': lambda a, b: not
    a.startswith(b), 'endsWith': lambda a, b: a.endswith(b),
    'doesNotEndWith': lambda a, b: not a.endswith(b)}


class Quiet(namedtuple('Quiet', 'overallStatus time eventKey disabled')):
    """A green or gray AlarmState (most of a large inventory's: a tuple, not
    a data object, without its entity and alarm, so that the states an
    evaluation sets alike share one), made an AlarmState when read; never
    acknowledged."""
    __slots__ = ()
    acknowledged = False


def _state_key(key):
    """vCenter's AlarmState key: the alarm's number and the entity's
    ('85.14' for alarm-85 on host-14)."""
    return '.'.join(moid.rpartition('-')[2] for moid in key)


_KINDS = (('OrAlarmExpression', 'or'), ('AndAlarmExpression', 'and'),
          ('EventAlarmExpression', 'event'), ('StateAlarmExpression', 'state'),
          ('MetricAlarmExpression', 'metric'))
_KIND_OF = {}   # an expression's data type -> its kind (above)


def _kind(expression):
    """'or', 'and', 'event', 'state' or 'metric': what an (checked) expression is."""
    data_type = expression._type
    found = _KIND_OF.get(data_type)
    if found is None:
        found = _KIND_OF[data_type] = next(kind for name, kind in _KINDS
                                           if data_type.is_a(name))
    return found


def _text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return None if value is None else str(value)


def _matches(T, expression, event):
    event_type = event._type
    if not (event_type.is_a(expression.eventType) or (
            expression.eventTypeId and expression.eventTypeId in (
                event_type.name, getattr(event, 'eventTypeId', None)))):
        return False
    for comparison in expression.comparisons or ():   # unset: none to compare
        value = event
        for step in comparison.attributeName.split('.'):
            value = getattr(value, step, None)
        text = _text(value)
        if text is None or not COMPARISONS[comparison.operator](text, comparison.value):
            return False
    return True


def _types_of(expression):
    """The entity types an expression is about."""
    kind = expression._type
    if kind.is_a('OrAlarmExpression') or kind.is_a('AndAlarmExpression'):
        return {t for part in expression.expression for t in _types_of(part)}
    if kind.is_a('EventAlarmExpression'):
        return {expression.objectType or 'ManagedEntity'}
    return {expression.type}


def _event_expressions(expression):
    kind = expression._type
    if kind.is_a('OrAlarmExpression') or kind.is_a('AndAlarmExpression'):
        return [e for part in expression.expression for e in _event_expressions(part)]
    return [expression] if kind.is_a('EventAlarmExpression') else []


def _triggering_actions(action):
    """The AlarmTriggeringActions of a spec's action (one, a group, or none)."""
    if action is None:
        return []
    if action._type.is_a('GroupAlarmAction'):
        return [a for part in action.action for a in _triggering_actions(part)]
    return [action]


def _fires(action, from_status, to_status):
    if action.transitionSpecs:
        return any(spec.startState == from_status and spec.finalState == to_status
                   for spec in action.transitionSpecs)
    flag = LEGACY_TRANSITIONS.get((from_status, to_status))
    return bool(flag and getattr(action, flag))


def _selected(filter, alarm, entity, state):
    if filter.status and state.overallStatus not in filter.status:
        return False
    kinds = {'entityTypeAll': None, 'entityTypeHost': 'HostSystem',
             'entityTypeVm': 'VirtualMachine'}
    wanted = kinds.get(filter.typeEntity)
    if wanted is not None and entity.type_name != wanted:
        return False
    trigger = filter.typeTrigger
    if trigger and trigger != 'triggerTypeAll':
        metric = any(e._type.is_a('MetricAlarmExpression') for e in _leaves(alarm.info.expression))
        event = any(e._type.is_a('EventAlarmExpression') for e in _leaves(alarm.info.expression))
        if trigger == 'triggerTypeMetric' and not metric or trigger == 'triggerTypeEvent' \
                and not event or trigger == 'triggerTypeState' and (metric or event):
            return False
    return True


def _samples(expression):
    """The 20 s samples a metric expression's condition must hold for (the
    longer of its two intervals); 1 for other kinds."""
    if not expression._type.is_a('MetricAlarmExpression'):
        return 1
    return max(_interval_samples(expression.yellowInterval),
               _interval_samples(expression.redInterval))


def _interval_samples(seconds):
    """The 20 s samples an interval (None: none) spans, at least one."""
    return max(1, math.ceil((seconds or 0) / SAMPLE_SECONDS))


def _leaves(expression):
    kind = expression._type
    if kind.is_a('OrAlarmExpression') or kind.is_a('AndAlarmExpression'):
        return [leaf for part in expression.expression for leaf in _leaves(part)]
    return [expression]


class _Reading:
    """What one evaluation reads (AlarmManager._reading)."""
    __slots__ = ('model', 'latest', 'wanted', 'history', 'holding', 'time', 'plans',
                 'first_events')

    def __init__(self, model, latest, wanted, history, holding, time, first_events):
        self.model, self.latest, self.wanted, self.history = model, latest, wanted, history
        self.holding = holding   # the entities a condition held on in the newest sample
        self.time = time         # the time of the states it sets
        self.plans = {}          # (id(expression), entity type) -> (expression, its plan)
        self.first_events = first_events   # (alarm, entity, status) set after gray, or None
