"""EventManager: the event catalog (EventDescription) and collector limits.

`description.eventInfo` has one EventDescriptionEventDetail per Event subtype
of the schema, with a category and the message formats a vCenter uses for
each context (datacenter, compute resource, host, VM, full). The common
events carry vCenter's own wording; the rest get formats built from the type
name. `latestEvent` stays unset until events are posted.
"""
from vimsim.managed.manager import Manager, element, manager_type, words

CATEGORIES = (('info', 'Information'), ('warning', 'Warning'), ('error', 'Error'),
              ('user', 'User'))

# key -> (description, category, onDatacenter, onComputeResource, onHost, onVm, full)
KNOWN = {
    'VmPoweredOnEvent': (
        'VM powered on', 'info', '{vm.name} on {host.name} has powered on',
        '{vm.name} on {host.name} has powered on', '{vm.name} has powered on',
        'Virtual machine on {host.name} has powered on',
        '{vm.name} on {host.name} in {datacenter.name} has powered on'),
    'VmPoweredOffEvent': (
        'VM powered off', 'info', '{vm.name} on {host.name} is powered off',
        '{vm.name} on {host.name} is powered off', '{vm.name} is powered off',
        'Virtual machine on {host.name} is powered off',
        '{vm.name} on {host.name} in {datacenter.name} is powered off'),
    'VmSuspendedEvent': (
        'VM suspended', 'info', '{vm.name} on {host.name} is suspended',
        '{vm.name} on {host.name} is suspended', '{vm.name} is suspended',
        'Virtual machine on {host.name} is suspended',
        '{vm.name} on {host.name} in {datacenter.name} is suspended'),
    'VmResettingEvent': (
        'VM resetting', 'info', '{vm.name} on {host.name} is reset',
        '{vm.name} on {host.name} is reset', '{vm.name} is reset',
        'Virtual machine on {host.name} is reset',
        '{vm.name} on {host.name} in {datacenter.name} is reset'),
    'VmStartingEvent': (
        'VM starting', 'info', '{vm.name} on {host.name} is starting',
        '{vm.name} on {host.name} is starting', '{vm.name} is starting',
        'Virtual machine is starting',
        '{vm.name} on {host.name} in {datacenter.name} is starting'),
    'VmStoppingEvent': (
        'VM stopping', 'info', '{vm.name} on {host.name} is stopping',
        '{vm.name} on {host.name} is stopping', '{vm.name} is stopping',
        'Virtual machine is stopping',
        '{vm.name} on {host.name} in {datacenter.name} is stopping'),
    'VmCreatedEvent': (
        'VM created', 'info', 'Created virtual machine {vm.name} on {host.name}',
        'Created virtual machine {vm.name} on {host.name}', 'Created virtual machine {vm.name}',
        'Virtual machine created',
        'Created virtual machine {vm.name} on {host.name} in {datacenter.name}'),
    'VmBeingCreatedEvent': (
        'Creating VM', 'info', 'Creating {vm.name} on {host.name}',
        'Creating {vm.name} on {host.name}', 'Creating {vm.name}', 'Creating VM',
        'Creating {vm.name} on host {host.name} in {datacenter.name}'),
    'VmRemovedEvent': (
        'VM removed', 'info', 'Removed {vm.name} on {host.name}',
        'Removed {vm.name} on {host.name}', 'Removed {vm.name}', 'Removed',
        'Removed {vm.name} on {host.name} from {datacenter.name}'),
    'VmRenamedEvent': (
        'VM renamed', 'warning', 'Renamed {vm.name} from {oldName} to {newName}',
        'Renamed {vm.name} from {oldName} to {newName}',
        'Renamed {vm.name} from {oldName} to {newName}', 'Renamed from {oldName} to {newName}',
        'Renamed {vm.name} from {oldName} to {newName} in {datacenter.name}'),
    'VmReconfiguredEvent': (
        'VM reconfigured', 'info', 'Reconfigured {vm.name} on {host.name}',
        'Reconfigured {vm.name} on {host.name}', 'Reconfigured {vm.name}',
        'Reconfigured virtual machine',
        'Reconfigured {vm.name} on {host.name} in {datacenter.name}'),
    'VmClonedEvent': (
        'VM cloning completed', 'info', 'Clone of {sourceVm.name} completed',
        'Clone of {sourceVm.name} completed', 'Clone of {sourceVm.name} completed',
        'Clone of {sourceVm.name} completed', '{sourceVm.name} cloned to {host.name}, '
        '{ds.name} in {datacenter.name}'),
    'VmMigratedEvent': (
        'VM migrated', 'info', 'Migration of virtual machine {vm.name} from {sourceHost.name}, '
        '{sourceDatastore.name} to {host.name}, {ds.name} completed',
        'Migration of virtual machine {vm.name} from {sourceHost.name}, {sourceDatastore.name} '
        'to {host.name}, {ds.name} completed',
        'Migration of virtual machine {vm.name} from {sourceHost.name}, {sourceDatastore.name} '
        'completed', 'Migration of the virtual machine from {sourceHost.name}, '
        '{sourceDatastore.name} completed',
        'Migration of {vm.name} from {sourceHost.name}, {sourceDatastore.name} to '
        '{host.name}, {ds.name} completed'),
    'UserLoginSessionEvent': (
        'User login', 'info', '', '', '', '',
        'User {userName}@{ipAddress} logged in as {userAgent}'),
    'UserLogoutSessionEvent': (
        'User logout', 'info', '', '', '', '',
        'User {userName}@{ipAddress} logged out (login time: {loginTime}, number of API '
        'invocations: {callCount}, user agent: {userAgent})'),
    'AlarmStatusChangedEvent': (
        'Alarm status changed', 'info',
        "Alarm '{alarm.name}' on {entity.name} changed from {from.@enum.ManagedEntity.Status} "
        "to {to.@enum.ManagedEntity.Status}",
        "Alarm '{alarm.name}' on {entity.name} changed from {from.@enum.ManagedEntity.Status} "
        "to {to.@enum.ManagedEntity.Status}",
        "Alarm '{alarm.name}' on {entity.name} changed from {from.@enum.ManagedEntity.Status} "
        "to {to.@enum.ManagedEntity.Status}",
        "Alarm '{alarm.name}' changed from {from.@enum.ManagedEntity.Status} to "
        "{to.@enum.ManagedEntity.Status}",
        "Alarm '{alarm.name}' on {entity.name} changed from {from.@enum.ManagedEntity.Status} "
        "to {to.@enum.ManagedEntity.Status}"),
    'HostConnectedEvent': (
        'Host connected', 'info', 'Connected to {host.name}', 'Connected to {host.name}',
        'Established a connection', '', 'Connected to {host.name} in {datacenter.name}'),
    'HostDisconnectedEvent': (
        'Host disconnected', 'info', 'Disconnected from {host.name}. Reason: '
        '{reason.@enum.HostDisconnectedEvent.ReasonCode}',
        'Disconnected from {host.name}. Reason: {reason.@enum.HostDisconnectedEvent.ReasonCode}',
        'Disconnected from host. Reason: {reason.@enum.HostDisconnectedEvent.ReasonCode}', '',
        'Disconnected from {host.name} in {datacenter.name}. Reason: '
        '{reason.@enum.HostDisconnectedEvent.ReasonCode}'),
    'EnteredMaintenanceModeEvent': (
        'Entered maintenance mode', 'info', 'Host {host.name} in {datacenter.name} has entered '
        'maintenance mode', 'Host {host.name} in {datacenter.name} has entered maintenance mode',
        'Enter maintenance mode completed. All virtual machine operations are disabled', '',
        'Host {host.name} in {datacenter.name} has entered maintenance mode'),
    'ExitMaintenanceModeEvent': (
        'Exit maintenance mode', 'info', 'Host {host.name} in {datacenter.name} has exited '
        'maintenance mode', 'Host {host.name} in {datacenter.name} has exited maintenance mode',
        'Exited maintenance mode', '',
        'Host {host.name} in {datacenter.name} has exited maintenance mode'),
    'TaskEvent': (
        'Task event', 'info', 'Task: {info.descriptionId}', 'Task: {info.descriptionId}',
        'Task: {info.descriptionId}', 'Task: {info.descriptionId}',
        'Task: {info.descriptionId}'),
    'GeneralUserEvent': (
        'User event', 'user', 'User logged event: {message}', 'User logged event: {message}',
        'User logged event: {message}', 'User logged event: {message}',
        'User logged event: {message}'),
    'GeneralEvent': (
        'General event', 'info', 'General event: {message}', 'General event: {message}',
        'General event: {message}', 'General event: {message}', 'General event: {message}'),
}

_ERROR_WORDS = ('Failed', 'Failure', 'Error', 'Fault', 'Lost', 'Conflict', 'Corrupt',
                'Unreachable', 'NoCompatibleHost', 'Insufficient', 'Violat', 'Unsupported',
                'Dead', 'Down', 'Crash')
_WARNING_WORDS = ('Warning', 'Disconnected', 'Timedout', 'TimedOut', 'Timeout', 'NotResponding',
                  'Expired', 'Expir', 'Degraded', 'Deprecated', 'Mismatch', 'Missing',
                  'Orphaned', 'Overcommitted', 'Renamed', 'Removed', 'Disabled',
                  'Inaccessible', 'NotAvailable', 'Unavailable', 'Resolve')


def _category(name):
    if any(w in name for w in _ERROR_WORDS):
        return 'error'
    if any(w in name for w in _WARNING_WORDS):
        return 'warning'
    return 'info'


def _description(name):
    base = name[:-len('Event')] if name.endswith('Event') and name != 'Event' else name
    text = words(base)
    for short, full in (('Vm ', 'VM '), ('Ds ', 'Datastore '), ('Dvs ', 'vSphere Distributed '
                        'Switch '), ('Drs ', 'DRS '), ('Ha ', 'HA '), ('Dv ', 'Distributed ')):
        if text.startswith(short):
            text = full + text[len(short):]
    return text


def _formats(schema, name, text):
    """Formats built from the event's class: which object names it carries."""
    dt = schema.types[name]
    if dt.is_a('VmEvent'):
        return ('{vm.name} on {host.name}: %s' % text, '{vm.name} on {host.name}: %s' % text,
                '{vm.name}: %s' % text, text,
                '{vm.name} on {host.name} in {datacenter.name}: %s' % text)
    if dt.is_a('HostEvent'):
        return ('{host.name}: %s' % text, '{host.name}: %s' % text, text, '',
                '{host.name} in {datacenter.name}: %s' % text)
    if dt.is_a('ClusterEvent'):
        return ('{computeResource.name}: %s' % text, text, '', '',
                '{computeResource.name} in {datacenter.name}: %s' % text)
    if dt.is_a('DatastoreEvent'):
        return ('{datastore.name}: %s' % text, '{datastore.name}: %s' % text,
                '{datastore.name}: %s' % text, '', '{datastore.name}: %s' % text)
    if dt.is_a('DvsEvent'):
        return ('{dvs.name}: %s' % text, '{dvs.name}: %s' % text, '{dvs.name}: %s' % text,
                '', '{dvs.name} in {datacenter.name}: %s' % text)
    return (text, text, text, text, text)


def event_type_names(schema):
    """Event and every subtype of it in the schema, sorted."""
    return sorted(name for name, dt in schema.types.items() if dt.is_a('Event'))


@manager_type('EventManager')
class EventManager(Manager):

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        schema = server.schema
        T = schema.types
        Detail = T['EventDescriptionEventDetail'].cls
        info = []
        for name in event_type_names(schema):
            known = KNOWN.get(name)
            if known is not None:
                text, category, dc, cr, host, vm, full = known
            else:
                text = _description(name)
                category = _category(name)
                dc, cr, host, vm, full = _formats(schema, name, text)
            info.append(Detail(key=name, description=text, category=category,
                               formatOnDatacenter=dc, formatOnComputeResource=cr,
                               formatOnHost=host, formatOnVm=vm, fullFormat=full))
        self.description = T['EventDescription'].cls(
            category=[element(schema, key, key, summary) for key, summary in CATEGORIES],
            eventInfo=info, enumeratedTypes=self._enums(schema))
        self.latestEvent = None
        self.maxCollector = 1000
        self._described = {}

    def read(self, name, ctx):
        """`description` as a client of ctx's version knows it: eventInfo and
        enumeratedTypes keys are type names on the wire (pyVmomi resolves them),
        so types newer than the client are left out, as vCenter does."""
        if name != 'description' or ctx is None or ctx.version is None:
            return super().read(name, ctx)
        version = ctx.version
        found = self._described.get(version)
        if found is None:
            schema = self.server.schema
            full = self.description
            if version >= schema.newest:
                found = full
            else:
                found = type(full)(
                    category=full.category,
                    eventInfo=[e for e in full.eventInfo
                               if schema.types[e.key].since <= version],
                    enumeratedTypes=[e for e in full.enumeratedTypes
                                     if schema.enums[e.key].since <= version])
            self._described[version] = found
        return found

    @staticmethod
    def _enums(schema):
        """Descriptions of the enums event messages format with @enum."""
        T = schema.types
        out = []
        for enum_name, labels in (
                ('ManagedEntityStatus', {
                    'gray': ('Gray', 'No status available'),
                    'green': ('Green', 'Green indicates normal operation'),
                    'yellow': ('Yellow', 'Yellow indicates a warning'),
                    'red': ('Red', 'Red indicates an error')}),
                ('VirtualMachinePowerState', {
                    'poweredOff': ('Powered off', 'Virtual machine is powered off'),
                    'poweredOn': ('Powered on', 'Virtual machine is powered on'),
                    'suspended': ('Suspended', 'Virtual machine is suspended')}),
                ('HostDisconnectedEventReasonCode', {})):
            enum = schema.enums.get(enum_name)
            if enum is None:
                continue
            tags = []
            for value in enum.values:
                label, summary = labels.get(value, (words(value), words(value)))
                tags.append(element(schema, value, label, summary))
            # key is a type name on the wire (pyVmomi resolves it): the WSDL enum name
            out.append(T['EnumDescription'].cls(key=enum_name, tags=tags))
        return out
