"""EventManager: the event catalog (EventDescription), the events themselves
and event history collectors.

`description.eventInfo` has one EventDescriptionEventDetail per Event subtype
of the schema, with a category and the message formats a vCenter uses for
each context (datacenter, compute resource, host, VM, full). The common
events carry vCenter's own wording; the rest get formats built from the type
name. `latestEvent` stays unset until events are posted.

Every operation posts its events through one model call::

    event_manager(server).post('VmPoweredOnEvent', vm, ctx=ctx)          # or
    task.post_event('VmRenamedEvent', vm, oldName=old, newName=new)      # in a task's chain

which fills what vCenter fills (key, chainId, createdTime, userName, the
datacenter / computeResource / host / vm / ds / net / dvs arguments from the
entity, fullFormattedMessage from the catalog's fullFormat) and keeps the event
in a bounded store that QueryEvents and the collectors read, newest first.
"""
import functools
import itertools
import re

from vimsim.managed.manager import Manager, element, manager_type, words
from vimsim.managed.monitoring.bounded_log import BoundedLog, approximate_size
from vimsim.managed.monitoring.task import now, task_manager
from vimsim.soap.fault import InvalidArgument

EVENT_LIMIT = 100000     # events kept (vCenter keeps its event table for event.maxAge days)
EVENT_BYTES = 200 << 20  # and about this much of them (what clients post has no size of its own)
QUERY_LIMIT = 1000       # QueryEvents answers at most this many
LATEST_SCAN = 10000      # events read back for a restricted caller's latestEvent
ARGUMENTS_SHARED = 50000   # event arguments remembered for sharing (then it starts afresh)
_PLACEHOLDER = re.compile(r'\{([^{}]+)\}')

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
    'DatacenterRenamedEvent': (
        'Datacenter renamed', 'info', 'Renamed datacenter from {oldName} to {newName}',
        'Renamed datacenter from {oldName} to {newName}',
        'Renamed datacenter from {oldName} to {newName}',
        'Renamed datacenter from {oldName} to {newName}',
        'Renamed datacenter from {oldName} to {newName}'),
    'DatastoreRenamedEvent': (
        'Datastore renamed', 'info', 'Renamed datastore from {oldName} to {newName}',
        'Renamed datastore from {oldName} to {newName}',
        'Renamed datastore from {oldName} to {newName}', '',
        'Renamed datastore from {oldName} to {newName} in {datacenter.name}'),
    'DvsRenamedEvent': (
        'vSphere Distributed Switch renamed', 'info',
        'The vSphere Distributed Switch {oldName} was renamed to {newName}',
        'The vSphere Distributed Switch {oldName} was renamed to {newName}',
        'The vSphere Distributed Switch {oldName} was renamed to {newName}', '',
        'The vSphere Distributed Switch {oldName} in {datacenter.name} was renamed to {newName}'),
    'DVPortgroupRenamedEvent': (
        'Distributed port group renamed', 'info',
        'Distributed port group {oldName} was renamed to {newName}',
        'Distributed port group {oldName} was renamed to {newName}',
        'Distributed port group {oldName} was renamed to {newName}', '',
        'Distributed port group {oldName} in {datacenter.name} was renamed to {newName}'),
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
    'BadUsernameSessionEvent': (
        'Invalid user name', 'error', 'Cannot login {userName}@{ipAddress}',
        'Cannot login {userName}@{ipAddress}', 'Cannot login {userName}@{ipAddress}',
        'Cannot login {userName}@{ipAddress}', 'Cannot login {userName}@{ipAddress}'),
    'SessionTerminatedEvent': (
        'Session stopped', 'info', "A session for user '{terminatedUsername}' has stopped",
        "A session for user '{terminatedUsername}' has stopped",
        "A session for user '{terminatedUsername}' has stopped",
        "A session for user '{terminatedUsername}' has stopped",
        "A session for user '{terminatedUsername}' has stopped"),
    'VmUpgradingEvent': (
        'Upgrading VM', 'info',
        'Upgrading virtual machine compatibility of {vm.name} on {host.name} to {version}',
        'Upgrading virtual machine compatibility of {vm.name} on {host.name} to {version}',
        'Upgrading virtual machine compatibility of {vm.name} to {version}',
        'Upgrading virtual machine compatibility to {version}',
        'Upgrading virtual machine compatibility of {vm.name} in {datacenter.name} to '
        '{version}'),
    'VmUpgradeCompleteEvent': (
        'VM upgrade complete', 'info',
        'Virtual machine compatibility of {vm.name} on {host.name} upgraded to {version}',
        'Virtual machine compatibility of {vm.name} on {host.name} upgraded to {version}',
        'Virtual machine compatibility of {vm.name} upgraded to {version}',
        'Virtual machine compatibility upgraded to {version}',
        'Virtual machine compatibility of {vm.name} on {host.name} in {datacenter.name} '
        'upgraded to {version}'),
    'VmUpgradeFailedEvent': (
        'Cannot upgrade VM', 'error',
        'Cannot upgrade virtual machine compatibility of {vm.name} on {host.name}',
        'Cannot upgrade virtual machine compatibility of {vm.name} on {host.name}',
        'Cannot upgrade virtual machine compatibility of {vm.name}',
        'Cannot upgrade virtual machine compatibility',
        'Cannot upgrade virtual machine compatibility of {vm.name} on {host.name} in '
        '{datacenter.name}'),
}

# EventEx / ExtendedEvent types vCenter describes: eventTypeId -> (description,
# category, message). In `description.eventInfo` each is an entry keyed by its
# class ('EventEx'), whose formats are 'eventTypeId|message' (as vCenter's are);
# the message's own placeholders ({snapshotName}) are the event's arguments.
EXTENDED = {
    'com.vmware.vc.vm.VmStateRevertedToSnapshot': (
        'VM execution state reverted to a snapshot', 'info',
        'The execution state of the virtual machine {vm.name} on host {host.name}, in '
        'compute resource {computeResource.name} has been reverted to the state of snapshot '
        '{snapshotName}, with ID {snapshotId}'),
    'com.vmware.vc.vm.VmStateFailedToRevertToSnapshot': (
        'Failed to revert the VM execution state to a snapshot', 'error',
        'Failed to revert the execution state of the virtual machine {vm.name} on host '
        '{host.name}, in compute resource {computeResource.name} to snapshot {snapshotName}, '
        'with ID {snapshotId}'),
    'com.vmware.vc.guestOperations.GuestOperation': (
        'Guest operation', 'info',
        'Guest operation {operationName} performed on Virtual machine {vm.name}.'),
    'com.vmware.vc.guestOperations.GuestOperationAuthFailure': (
        'Guest operation authentication failure', 'warning',
        'Guest operation authentication failed for operation {operationName} on Virtual '
        'machine {vm.name}.'),
    'com.vmware.vc.VmDiskConsolidatedEvent': (
        'Virtual machine disks consolidation succeeded.', 'info',
        'Virtual machine {vm.name} disks consolidated successfully on {host.name} in cluster '
        '{computeResource.name} in {datacenter.name}.'),
    'com.vmware.vc.VmDiskConsolidationNeeded': (
        'Virtual machine disks consolidation needed.', 'warning',
        'Virtual machine {vm.name} disks consolidation is needed on {host.name} in cluster '
        '{computeResource.name} in {datacenter.name}.'),
    'com.vmware.vc.VmInstantClonedEvent': (
        'Virtual machine instant cloned', 'info',
        'Instant clone {vm.name} of virtual machine {sourceVm} created on {host.name} in '
        '{datacenter.name}'),
    'com.vmware.vc.ha.VmRestartedByHAEvent': (
        'Virtual machine restarted by vSphere HA', 'warning',
        'vSphere HA restarted virtual machine {vm.name} on host {host.name} in cluster '
        '{computeResource.name}'),
    'com.vmware.vc.certmgr.HostCertUpdatedEvent': (
        'Host Certificate Updated', 'info', 'Host Certificate for {host.name} is replaced'),
    'com.vmware.vc.certmgr.HostCaCertsAndCrlsUpdatedEvent': (
        'Host CA Certificates and CRLs Updated', 'info',
        'CA Certificates were updated on {host.name}'),
    'com.vmware.vc.certmgr.HostCertRevokedEvent': (
        'Host Certificate revoked', 'warning', 'Host Certificate for {host.name} is revoked'),
    'com.vmware.vc.crypto.Operation': (
        'Crypto operation audit event', 'info', 'Cryptographic operation: {operation}'),
    'com.vmware.vc.crypto.HostKeyUpdatedEvent': (
        'Updating host encryption key', 'info', 'The host key of {host.name} is updated'),
    'com.vmware.vc.host.Crypto.Enabled': (
        'Encryption mode is enabled on host.', 'info',
        'Encryption mode is enabled on {host.name}.'),
    'esx.audit.ssh.enabled': ('SSH enabled', 'info', 'SSH access has been enabled.'),
    'esx.audit.ssh.disabled': ('SSH disabled', 'info', 'SSH access has been disabled.'),
    'esx.audit.shell.enabled': ('ESXi Shell enabled', 'info',
                                'The ESXi command line shell has been enabled.'),
    'esx.audit.shell.disabled': ('ESXi Shell disabled', 'info',
                                 'The ESXi command line shell has been disabled.'),
    'com.vmware.sso.LoginSuccess': (
        'Login success', 'info', 'Successful login {userName} from {client} at {timestamp} '
        'in SSO'),
    'com.vmware.sso.LoginFailure': (
        'Login failure', 'info', 'Failed login {userName} from {client} at {timestamp} in SSO'),
}
# the placeholders a message takes from the event itself, not from its arguments
_EVENT_PATHS = ('vm.', 'host.', 'computeResource.', 'datacenter.', 'ds.', 'net.', 'dvs.',
                'datastore.', 'entity.', 'userName', 'createdTime')

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


def _event_text(schema, name):
    """(description, category, formatOnDatacenter, formatOnComputeResource,
    formatOnHost, formatOnVm, fullFormat) of the event type `name`: the
    catalog's, else made from its class."""
    known = KNOWN.get(name)
    if known is not None:
        return known
    text = _description(name)
    return (text, _category(name)) + _formats(schema, name, text)


def event_manager(server):
    """The EventManager of a simulator."""
    found = getattr(server, 'event_manager', None)
    if found is None:
        raise LookupError('this simulator has no EventManager')
    return found


def event_type_names(schema):
    """Event and every subtype of it in the schema, sorted."""
    return sorted(name for name, dt in schema.types.items() if dt.is_a('Event'))


@manager_type('EventManager')
class EventManager(Manager):

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.latestEvent = None
        self.maxCollector = 1000
        self._described = {}
        self._texts = {}     # event type name -> (category, fullFormat): _text_of
        self.events = BoundedLog(EVENT_LIMIT, EVENT_BYTES)   # oldest first
        self.collectors = set()        # live EventHistoryCollectors
        self._last_key = 0
        self._arguments = {}   # (argument type, entity ref) -> the argument events share
        server.event_manager = self
        self.listeners = []   # callables told of every event posted

    @functools.cached_property
    def extended(self):
        """{eventTypeId: its EventEx entry of eventInfo}, made on first use."""
        Detail = self.server.schema.types['EventDescriptionEventDetail'].cls
        extended = {}
        for type_id, (text, category, message) in EXTENDED.items():
            full = '%s|%s' % (type_id, message)
            extended[type_id] = Detail(
                key='EventEx', description=text, category=category, formatOnDatacenter=full,
                formatOnComputeResource=full, formatOnHost=full, formatOnVm=full,
                fullFormat=full, longDescription='<EventLongDescription id="%s"><description>'
                                                 '%s</description></EventLongDescription>'
                                                 % (type_id, text))
        return extended

    @functools.cached_property
    def description(self):
        """The EventDescription, made on first read: a start or reset reads no
        eventInfo (one entry per event type, ~1,100)."""
        schema = self.server.schema
        Detail = schema.types['EventDescriptionEventDetail'].cls
        info = []
        for name in event_type_names(schema):
            text, category, dc, cr, host, vm, full = _event_text(schema, name)
            info.append(Detail(key=name, description=text, category=category,
                               formatOnDatacenter=dc, formatOnComputeResource=cr,
                               formatOnHost=host, formatOnVm=vm, fullFormat=full))
        info.extend(self.extended.values())
        return schema.types['EventDescription'].cls(
            category=[element(schema, key, key, summary) for key, summary in CATEGORIES],
            eventInfo=info, enumeratedTypes=self.enumerated_types)

    @functools.cached_property
    def enumerated_types(self):
        """The description's enumeratedTypes, which formatting a message
        reads: made without the rest of it (an alarm's first event)."""
        return self._enums(self.server.schema)

    def _text_of(self, type_name):
        """(category, fullFormat) of an event type as eventInfo lists it, made
        once per type: posting an event needs its own type's only. ('info',
        '') for EventEx (its entries are per eventTypeId) and for a name that
        is no event type."""
        found = self._texts.get(type_name)
        if found is None:
            schema = self.server.schema
            data_type = schema.types.get(type_name)
            if type_name == 'EventEx' or data_type is None or not data_type.is_a('Event'):
                found = ('info', '')
            else:
                text = _event_text(schema, type_name)
                found = (text[1], text[6])
            self._texts[type_name] = found
        return found

    def read(self, name, ctx):
        if name == 'description' and ctx is not None and ctx.version is not None:
            return self._description_for(ctx.version)
        if name == 'latestEvent':
            return self._latest_event(ctx)
        return super().read(name, ctx)

    def _description_for(self, version):
        """`description` as a client of `version` knows it: eventInfo and
        enumeratedTypes keys are type names on the wire (pyVmomi resolves them),
        so types newer than the client are left out, as vCenter does."""
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

    def _latest_event(self, ctx):
        """`latestEvent`: the latest event the caller may read the entity of
        (LATEST_SCAN events back at most; none beyond)."""
        from vimsim.managed.monitoring.history_collector import event_about, read_filter
        readable = read_filter(ctx)
        if readable is None:
            return super().read('latestEvent', ctx)
        for event in itertools.islice(reversed(self.events), LATEST_SCAN):
            if readable(event_about(event)):
                return event
        return None

    # -- model: posting ----------------------------------------------------------------
    def reserve_key(self):
        """A fresh event key (a task takes one for its eventChainId and TaskEvent)."""
        self._last_key += 1
        return self._last_key

    def post(self, type_name, entity=None, /, ctx=None, user=None, chain_id=None, key=None,
             **fields):
        """Build an event of `type_name` with `fields`, about `entity` (a
        managed object, or None; positional, since some events have an
        `entity` field), and post it; returns the event."""
        event = self.server.schema.types[type_name].cls(**fields)
        event.key = key
        return self.post_event(event, entity, ctx=ctx, user=user, chain_id=chain_id)

    def post_event(self, event, entity=None, ctx=None, user=None, chain_id=None):
        """Post `event` (`completed`, then stored); tell collectors and filters."""
        self.completed(event, entity, ctx=ctx, user=user, chain_id=chain_id)
        self.events.append(event, approximate_size(event))
        self.latestEvent = event
        self.changed('latestEvent')
        for collector in list(self.collectors):
            collector.offer(event)
        for listener in self.listeners:   # the alarm manager's event expressions
            listener(event)
        if self.server.persistence is not None:   # -state: journal it (vimsim/state)
            self.server.persistence.event_posted(event)
        return event

    def completed(self, event, entity=None, ctx=None, user=None, chain_id=None):
        """`event` with what posting it fills: key (unless set), chainId
        (`chain_id`, else its own key), createdTime, userName (`user`, else
        ctx's session user, else ''), the entity arguments it lacks,
        VmEvent.template and fullFormattedMessage. Events a method answers
        without logging them (ValidateMigration's) are only completed."""
        T = self.server.schema.types
        if not event.key:
            event.key = self.reserve_key()
        event.chainId = chain_id if chain_id is not None else event.key
        event.createdTime = now()
        if user is None:
            user = ctx.session.user if ctx is not None and ctx.session is not None else ''
        event.userName = user or ''
        if entity is not None:
            self._fill_arguments(event, entity)
        if isinstance(event, T['VmEvent'].cls) and event.template is None:
            vm = self.server.objects.get(event.vm.vm) if event.vm is not None else None
            event.template = bool(getattr(vm, 'template', False))
        if not event.fullFormattedMessage:
            event.fullFormattedMessage = self.format_message(event)
        return event

    def _fill_arguments(self, event, entity):
        kind = self.server.schema.managed[entity.type_name]
        argument = self.argument
        host = compute = None
        if kind.is_a('VirtualMachine'):
            if event.vm is None:
                event.vm = argument('VmEventArgument', 'vm', entity)
            host = getattr(entity, 'host', None)
        elif kind.is_a('HostSystem'):
            host = entity
        elif kind.is_a('ComputeResource'):
            compute = entity
        elif kind.is_a('Datastore'):
            if event.ds is None:
                event.ds = argument('DatastoreEventArgument', 'datastore', entity)
            if 'datastore' in event._type.field_map and getattr(event, 'datastore') is None:
                event.datastore = argument('DatastoreEventArgument', 'datastore', entity)
        elif kind.is_a('DistributedVirtualSwitch'):
            if event.dvs is None:
                event.dvs = argument('DvsEventArgument', 'dvs', entity)
        elif kind.is_a('Network'):
            if event.net is None:
                event.net = argument('NetworkEventArgument', 'network', entity)
            dvs = getattr(entity, 'dvs', None)
            if dvs is not None and event.dvs is None and kind.is_a('DistributedVirtualPortgroup'):
                event.dvs = argument('DvsEventArgument', 'dvs', dvs)
        if host is not None:
            if event.host is None:
                event.host = argument('HostEventArgument', 'host', host)
            compute = getattr(host, 'compute_resource', None)
        if compute is not None and event.computeResource is None:
            event.computeResource = argument('ComputeResourceEventArgument', 'computeResource',
                                             compute)
        datacenter = datacenter_of(self.server, entity)
        if datacenter is not None and event.datacenter is None:
            event.datacenter = argument('DatacenterEventArgument', 'datacenter', datacenter)

    def argument(self, type_name, field, obj, name=None):
        """The EventArgument of type `type_name` naming `obj` as it is named
        now (`name`, else obj.name). The events posted about an entity while
        its name stays share one (nothing changes an argument once posted): a
        store of 100,000 events then does not keep four new small objects for
        each, spread through the allocator's arenas by the load that posted
        them, and walked by every full collection of the cyclic collector."""
        name = obj.name if name is None else name
        key = (type_name, obj.ref)
        shared = self._arguments.get(key)
        if shared is None or shared.name != name:
            if len(self._arguments) >= ARGUMENTS_SHARED:
                self._arguments.clear()
            shared = self._arguments[key] = self.server.schema.types[type_name].cls(
                name=name, **{field: obj.ref})
        return shared

    def format_message(self, event):
        """The event's fullFormattedMessage from its type's fullFormat."""
        type_name = event._type.name
        arguments = {}
        if type_name == 'EventEx' or type_name == 'ExtendedEvent':
            detail = self.extended.get(event.eventTypeId)
            if detail is None:
                return getattr(event, 'message', None) or ''
            text = detail.fullFormat.partition('|')[2]
            for pair in event.arguments or () if type_name == 'EventEx' else ():
                arguments[pair.key] = pair.value
            for pair in event.data or () if type_name == 'ExtendedEvent' else ():
                arguments[pair.key] = pair.value
        else:
            text = self._text_of(type_name)[1] or ''

        def value(match):
            path = match.group(1)
            path, _, enum = path.partition('.@enum.')
            if path == 'info.descriptionId' and type_name in ('TaskEvent', 'TaskTimeoutEvent'):
                key = event.info.descriptionId
                try:
                    return task_manager(self.server).labels.get(key, key)
                except LookupError:
                    return key
            if path in arguments:
                return str(arguments[path])
            found = event
            for step in path.split('.'):
                found = getattr(found, step, None)
                if found is None:
                    return ''
            if enum:
                return self._enum_label(enum, found)
            return str(found)
        return _PLACEHOLDER.sub(value, text)

    def _enum_label(self, enum, value):
        name = enum.replace('.', '')
        for description in self.enumerated_types:
            if description.key == name:
                for tag in description.tags:
                    if tag.key == value:
                        return tag.label
        return str(value)

    def category_of(self, event):
        if event._type.name == 'EventEx':
            detail = self.extended.get(event.eventTypeId)
            return event.severity or (detail.category if detail is not None else 'info')
        return self._text_of(event._type.name)[0]

    # -- API methods ---------------------------------------------------------------------
    def PostEvent(self, ctx, eventToPost, taskInfo=None):
        from vimsim.managed.monitoring.history_collector import argument_refs
        event = eventToPost
        event.key = None
        event.fullFormattedMessage = event.fullFormattedMessage or None
        chain = taskInfo.eventChainId if taskInfo is not None else None
        entity = None
        for ref in argument_refs(event):
            entity = self.server.objects.get(ref)
            if entity is not None:
                break
        self.post_event(event, entity, ctx=ctx, chain_id=chain)

    def LogUserEvent(self, ctx, entity, msg):
        target = self.server.objects.resolve(entity)
        T = self.server.schema.types
        self.post('GeneralUserEvent', target, ctx=ctx, message=msg,
                  entity=T['ManagedEntityEventArgument'].cls(name=getattr(target, 'name', ''),
                                                            entity=target.ref))

    # Event fields that are bookkeeping, not arguments an alarm can test
    _NOT_ARGUMENTS = ('dynamicType', 'dynamicProperty', 'key', 'chainId', 'createdTime',
                      'fullFormattedMessage', 'changeTag', 'auditId')

    def RetrieveArgumentDescription(self, ctx, eventTypeId):
        """The arguments of an event type: for an EventEx / ExtendedEvent id of
        the catalog, the placeholders its message takes from the event's
        arguments (type 'string'); for an Event class, its fields (type: their
        WSDL type; description key: the class declaring them); none for an
        id nobody describes."""
        schema = self.server.schema
        T = schema.types
        Arg = T['EventArgDesc'].cls
        detail = self.extended.get(eventTypeId)
        if detail is not None:
            out = []
            for name in _PLACEHOLDER.findall(detail.fullFormat.partition('|')[2]):
                if name.startswith(_EVENT_PATHS) or name in [a.name for a in out]:
                    continue
                out.append(Arg(name=name, type='string',
                               description=element(schema, '%s.%s' % (eventTypeId, name),
                                                   words(name))))
            return out
        dt = T.get(eventTypeId)
        if dt is None or not dt.is_a('Event') or eventTypeId in ('EventEx', 'ExtendedEvent'):
            return []
        if ctx is not None and ctx.version is not None and dt.since > ctx.version:
            return []
        out = []
        for field in dt.fields:
            if field.name in self._NOT_ARGUMENTS:
                continue
            declared = _declaring(dt, field.name)
            out.append(Arg(name=field.name, type=field.type,
                           description=element(schema, declared.name, words(field.name))))
        return out

    def QueryEvents(self, ctx, filter, eventViewSpec=None):
        from vimsim.managed.monitoring.history_collector import (EventMatcher,
                                                                 check_entity_filter, event_about,
                                                                 read_filter)
        check_entity_filter(self.server, filter.entity)
        limit = filter.maxCount if filter.maxCount else QUERY_LIMIT
        if limit < 0:
            raise InvalidArgument('maxCount')
        matcher = EventMatcher(self, filter)
        readable = read_filter(ctx)
        out = []
        for event in reversed(self.events):
            if matcher.matches(event) and (readable is None or readable(event_about(event))):
                out.append(matcher.present(event))
                if len(out) >= limit:
                    break
        return out

    def CreateCollectorForEvents(self, ctx, filter):
        from vimsim.managed.monitoring.history_collector import (EventHistoryCollector,
                                                                 check_entity_filter)
        EventHistoryCollector.check_room(ctx, self)
        check_entity_filter(self.server, filter.entity)
        return EventHistoryCollector(ctx, self, filter)


def datacenter_of(server, obj):
    """The Datacenter an entity is in (following parents, a VM's pool, a
    host's compute resource), or None."""
    managed = server.schema.managed
    seen = 0
    while obj is not None and seen < 64:
        if managed[obj.type_name].is_a('Datacenter'):
            return obj
        seen += 1
        parent = obj.parent_object() if hasattr(obj, 'parent_object') else None
        if parent is None:
            parent = getattr(obj, 'pool', None) or getattr(obj, 'compute_resource', None)
        obj = parent
    return None


def _declaring(dt, field_name):
    """The type among `dt` and its bases that declares field `field_name`."""
    while dt.base is not None and field_name in dt.base.field_map:
        dt = dt.base
    return dt
