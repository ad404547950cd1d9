"""Service managers: the generic Manager and the small ones with content.

Each manager listed in ServiceContent is a real object of its managed type (it
exists, answers Fetch and RetrieveProperties for every property); a method of
it that vimsim does not implement answers NotImplemented through the
dispatcher. Managers whose properties carry catalogs (roles, privileges, perf
counters, event and task descriptions, settings ...) live in their own modules
and register themselves here with `@manager_type`; `build_managers` makes the
objects of a ServiceContent table.
"""
import hashlib
import re
from datetime import datetime, timezone

from vimsim.managed.base import ManagedObject

# managed type name -> Manager subclass
MANAGER_TYPES = {}

# Modules defining Manager subclasses; imported lazily by build_managers so
# that they can import this module.
_MODULES = ('admin.authorization_manager', 'monitoring.event_manager', 'monitoring.task_manager',
            'monitoring.performance_manager', 'monitoring.alarm_manager', 'admin.license_manager',
            'admin.option_manager', 'vm.guest_operations_manager', 'service.search_index',
            'vm.customization_spec_manager')


class Manager(ManagedObject):
    """A manager object of the given managed type."""

    def __init__(self, server, type_name, moid, **properties):
        self.type_name = type_name
        super().__init__(server, moid)
        for name, value in properties.items():
            setattr(self, name, value)


def manager_type(*type_names):
    """Class decorator: the Manager subclass to use for these managed types."""
    def register(cls):
        for name in type_names:
            MANAGER_TYPES[name] = cls
        return cls
    return register


def make_manager(server, type_name, moid):
    """The manager object of `type_name`: its registered class, else a bare Manager."""
    _load_modules()
    cls = MANAGER_TYPES.get(type_name, Manager)
    return cls(server, type_name, moid)


def build_managers(server, table):
    """Manager objects for a ServiceContent table {field: (type, moid)} that
    the schema knows, as {field: manager}."""
    schema = server.schema
    content_fields = schema.types['ServiceContent'].field_map
    managers = {}
    for field_name, (type_name, moid) in sorted(table.items()):
        if type_name not in schema.managed or field_name not in content_fields:
            continue
        managers[field_name] = make_manager(server, type_name, moid)
    return managers


_loaded = []


def _load_modules():
    if not _loaded:
        import importlib
        for name in _MODULES:
            importlib.import_module('vimsim.managed.' + name)
        _loaded.append(True)


# ----------------------------------------------------------------------------
# helpers for the catalogs

def words(identifier):
    """'powerOnVM' -> 'Power on VM'; 'VmPoweredOnEvent' -> 'Vm powered on event'."""
    parts = re.findall(r'[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|[A-Z]+|\d+', identifier)
    if not parts:
        return identifier
    out = [parts[0][0].upper() + parts[0][1:]]
    for part in parts[1:]:
        out.append(part if part.isupper() and len(part) > 1 else part.lower())
    return ' '.join(out)


def element(schema, key, label=None, summary=None, type_name='ElementDescription'):
    """An ElementDescription (or TypeDescription, ...) with every required field."""
    label = label if label is not None else words(key)
    return schema.types[type_name].cls(
        key=key, label=label, summary=summary if summary is not None else label)


def server_fqdn(server):
    """The host name the simulated vCenter calls itself."""
    return getattr(server.options, 'hostname', None) or 'vcsim.local'


# ----------------------------------------------------------------------------
# small managers with content

@manager_type('UserDirectory')
class UserDirectory(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        # vCenter: the SSO domain (and any identity sources); ESXi: none.
        self.domainList = [] if server.esx else ['VSPHERE.LOCAL']


@manager_type('ServiceManager')
class ServiceManager(Manager):
    """ServiceManager.service: none registered on a default vCenter or host."""

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.service = []


@manager_type('ExtensionManager')
class ExtensionManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.extensionList = []


@manager_type('CustomFieldsManager')
class CustomFieldsManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.field = []


@manager_type('HostProfileManager', 'ClusterProfileManager')
class ProfileManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.profile = []


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


@manager_type('HostSnmpSystem')
class HostSnmpSystem(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        T = server.schema.types
        self.configuration = T['HostSnmpConfigSpec'].cls(
            enabled=False, port=161, readOnlyCommunities=[], trapTargets=[], option=[])
        self.limits = T['HostSnmpSystemAgentLimits'].cls(
            maxReadOnlyCommunities=10, maxTrapDestinations=10, maxCommunityLength=64,
            maxBufferSize=1500, capability='COMPLETE')


@manager_type('CryptoManagerKmip', 'CryptoManager')
class CryptoManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        # vCenter's CryptoManagerKmip is enabled with no key providers; a
        # standalone host's CryptoManager is not in crypto-safe mode.
        self.enabled = type_name == 'CryptoManagerKmip'
        if type_name == 'CryptoManagerKmip':
            self.kmipServers = []


@manager_type('FailoverClusterConfigurator')
class FailoverClusterConfigurator(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        # vCenter HA is not configured: nothing disabled in the configurator.
        self.disabledConfigureMethod = []


@manager_type('FailoverClusterManager')
class FailoverClusterManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        # Without a vCenter HA cluster these methods are unavailable (as on a real vCenter).
        self.disabledClusterMethod = ['setClusterMode_Task', 'getClusterMode',
                                      'GetVchaClusterHealth', 'initiateFailover_Task']


@manager_type('OvfManager')
class OvfManager(Manager):
    IMPORT = (('lax', 'lax', 'Errors are treated as warnings, all sections are considered '
               'optional, and non-supported hardware is ignored.'),)
    EXPORT = (('mac', 'mac', 'The MAC address is exported for all ethernet devices.'),
              ('uuid', 'uuid', 'The UUID is exported for all virtual machines.'),
              ('extraconfig', 'extraconf',
               'All extra configuration options are exported for a virtual machine.'),
              ('nodevicesubtypes', 'nodevicesubtypes',
               'Resource subtypes for CD/DVD drives, floppy drives, and serial and parallel '
               'ports are not exported.'))

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        T = server.schema.types

        def option(name, key, message):
            return T['OvfOptionInfo'].cls(option=name, description=T['LocalizableMessage'].cls(
                key='com.vmware.vim.ovfManager.ovfParserOption.' + key, message=message))
        self.ovfImportOption = [option(*o) for o in self.IMPORT]
        self.ovfExportOption = [option(*o) for o in self.EXPORT]


@manager_type('LocalizationManager')
class LocalizationManager(Manager):
    """The message catalogs a client downloads for localized event/fault text."""
    CATALOGS = ('auth', 'cluster', 'default', 'enum', 'event', 'fault', 'locmsg', 'perf',
                'question', 'task', 'vim')
    LOCALES = ('de', 'en', 'es', 'fr', 'it', 'ja', 'ko', 'zh_CN', 'zh_TW')

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        T = server.schema.types
        built = datetime(2025, 1, 1, tzinfo=timezone.utc)
        module = 'esx' if server.esx else 'VirtualCenter'
        self.catalog = []
        for locale in self.LOCALES:
            for name in self.CATALOGS:
                uri = '/catalog/%s/%s.vmsg' % (locale, name)
                self.catalog.append(T['LocalizationManagerMessageCatalog'].cls(
                    moduleName=module, catalogName=name, locale=locale, catalogUri=uri,
                    lastModified=built, md5sum=hashlib.md5(uri.encode()).hexdigest()))
