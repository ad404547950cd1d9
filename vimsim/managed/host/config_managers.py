"""A host's configuration managers (HostSystem.configManager): which there
are, and HostManagerObject, the class of each, whose properties are computed
on read from its host, so `host.config.network` and
`host.configManager.networkSystem.networkInfo` are one truth. A member that
answers methods is a subclass in its own module, named after its type
(date_time_system.py holds HostDateTimeSystem). HostManagers holds a host's
managers: on a vCenter each is made, its module imported, on first use.

Moids are vCenter's (`datastoreSystem-11` for host-11) or, for an ESX host,
the fixed `ha-*` names hostd uses. Where ESX's ServiceContent already holds an
object of the same type and moid (ha-user-directory, ha-license-manager ...),
that object is the member.
"""
import functools
from collections.abc import Mapping

from vimsim.managed.admin.user_directory import retrieve_user_groups
from vimsim.managed.base import ManagedObject, MoRef
from vimsim.soap.encode import freeze
from vimsim.soap.fault import NotFound, fault
from vimsim.users import Directory, User

# HostConfigManager field -> (managed type, vCenter moid prefix, ESX moid)
CONFIG_MANAGERS = (
    ('cpuScheduler', 'HostCpuSchedulerSystem', 'cpuScheduler', 'cpuSchedulerSystem'),
    ('datastoreSystem', 'HostDatastoreSystem', 'datastoreSystem', 'ha-datastoresystem'),
    ('memoryManager', 'HostMemorySystem', 'memorySystem', 'memoryManagerSystem'),
    ('storageSystem', 'HostStorageSystem', 'storageSystem', 'storageSystem'),
    ('networkSystem', 'HostNetworkSystem', 'networkSystem', 'networkSystem'),
    ('vmotionSystem', 'HostVMotionSystem', 'vmotionSystem', 'ha-vmotion-system'),
    ('virtualNicManager', 'HostVirtualNicManager', 'virtualNicManager', 'ha-vnic-mgr'),
    ('serviceSystem', 'HostServiceSystem', 'serviceSystem', 'serviceSystem'),
    ('firewallSystem', 'HostFirewallSystem', 'firewallSystem', 'firewallSystem'),
    ('advancedOption', 'OptionManager', 'EsxHostAdvSettings', 'ha-adv-options'),
    ('diagnosticSystem', 'HostDiagnosticSystem', 'diagnosticSystem', 'diagnosticsystem'),
    ('autoStartManager', 'HostAutoStartManager', 'autoStartManager', 'ha-autostart-mgr'),
    ('snmpSystem', 'HostSnmpSystem', 'snmpSystem', 'ha-snmp-agent'),
    ('dateTimeSystem', 'HostDateTimeSystem', 'dateTimeSystem', 'dateTimeSystem'),
    ('patchManager', 'HostPatchManager', 'patchManager', 'ha-host-patch-manager'),
    ('imageConfigManager', 'HostImageConfigManager', 'imageConfigManager',
     'ha-image-config-manager'),
    ('firmwareSystem', 'HostFirmwareSystem', 'firmwareSystem', 'ha-firmwareSystem'),
    ('healthStatusSystem', 'HostHealthStatusSystem', 'healthStatusSystem', 'healthStatusSystem'),
    ('pciPassthruSystem', 'HostPciPassthruSystem', 'pciPassthruSystem', 'ha-pcipassthrusystem'),
    ('licenseManager', 'LicenseManager', None, 'ha-license-manager'),
    ('kernelModuleSystem', 'HostKernelModuleSystem', 'kernelModuleSystem', 'kernelModuleSystem'),
    ('authenticationManager', 'HostAuthenticationManager', 'authenticationManager',
     'ha-auth-manager'),
    ('powerSystem', 'HostPowerSystem', 'powerSystem', 'ha-power-system'),
    ('cacheConfigurationManager', 'HostCacheConfigurationManager', 'cacheConfigManager',
     'ha-cache-configuration-manager'),
    ('esxAgentHostManager', 'HostEsxAgentHostManager', 'esxAgentHostManager',
     'ha-esxagenthostmanager'),
    ('iscsiManager', 'IscsiManager', 'iscsiManager', 'iscsiManager'),
    ('vFlashManager', 'HostVFlashManager', 'vFlashManager', 'ha-vflash-manager'),
    ('vsanSystem', 'HostVsanSystem', 'vsanSystem', 'vsanSystem'),
    ('messageBusProxy', 'MessageBusProxy', 'messageBusProxy', 'messageBusProxy'),
    ('userDirectory', 'UserDirectory', 'userDirectory', 'ha-user-directory'),
    ('accountManager', 'HostLocalAccountManager', 'accountManager', 'ha-localacctmgr'),
    ('hostAccessManager', 'HostAccessManager', 'hostAccessManager', 'ha-host-access-manager'),
    ('graphicsManager', 'HostGraphicsManager', 'graphicsManager', 'ha-graphics-manager'),
    ('vsanInternalSystem', 'HostVsanInternalSystem', 'ha-vsan-internal-system',
     'ha-vsan-internal-system'),
    ('certificateManager', 'HostCertificateManager', 'ha-certificate-manager',
     'ha-certificate-manager'),
    ('cryptoManager', 'CryptoManagerHostKMS', 'CryptoManagerHost', 'ha-crypto-manager'),
    ('assignableHardwareManager', 'HostAssignableHardwareManager', 'assignableHardwareManager',
     'ha-assignable-hardware-manager'),
    ('bootDeviceSystem', 'HostBootDeviceSystem', 'bootDeviceSystem', 'bootDeviceSystem'),
    ('nvdimmSystem', 'HostNvdimmSystem', 'ha-nvdimm-system', 'ha-nvdimm-system'),
)


def _props(host):
    """Per managed type: property name -> function of the host."""
    return {
        'UserDirectory': {'domainList': lambda: host.managers[
            'authenticationManager'].active_directory.domains()},
    }


_shared = {}     # id(schema) -> {key: frozen data object}


def shared(server, key, build):
    """A read-only data object every host shows alike (a catalogue entry in
    one of its few states), built once per schema and frozen, so that
    encoders write it once: a host's catalogues are most of its `config`."""
    cache = _shared.setdefault(id(server.schema), {})
    found = cache.get(key)
    if found is None:
        found = cache[key] = freeze(build())
    return found


def catalogue_entry(catalogue, key):
    """The entry of a host catalogue (a ruleset, a service) that a method
    names by key: NotFound for a key the host does not have."""
    entry = catalogue.get(key)
    if entry is None:
        raise NotFound('The object or item referred to could not be found.')
    return entry


def host_config_fault(message):
    """HostConfigFault: hostd refuses a configuration change."""
    return fault('HostConfigFault', message)


class HostManagerObject(ManagedObject):
    """One configuration manager of one host."""
    value = ()
    availableField = ()

    def __init__(self, server, type_name, moid, host):
        self.type_name = type_name
        super().__init__(server, moid)
        self.host = host

    def read(self, name, ctx):
        table = _props(self.host).get(self.type_name)
        if table is not None and name in table:
            return table[name]()
        return super().read(name, ctx)

    def report(self, *names):
        """Report a change of this manager's properties `names`, which the
        host's `config` also shows."""
        self.changed(*names)
        self.host.changed('config')

class HostManagers(Mapping):
    """A host's configuration managers by HostConfigManager field.

    On a vCenter each manager is made when it is first looked up, here or by
    its reference in the registry (`Registry.add_lazy`), with the class the
    server's catalog gives for its type (`server.host_manager_class`, which
    imports its module then): a start makes none of the ~36 managers of each
    host, nor imports most of their modules, and what a client reads is the
    same. An ESX host's are made with it: some are ServiceContent's own
    (ha-user-directory ...), and its access and account managers are the
    server's (lockdown, local logins)."""

    def __init__(self, host):
        self.host = host
        server = host.server
        managed = server.schema.managed
        field_map = server.schema.types['HostConfigManager'].field_map
        number = host.ref.value.rsplit('-', 1)[-1]
        self.refs = {}        # field -> MoRef, in HostConfigManager's order
        self._made = {}       # field -> manager object
        for field, type_name, prefix, esx_moid in CONFIG_MANAGERS:
            if type_name not in managed or field not in field_map:
                continue
            if server.esx:
                moid = esx_moid
            elif prefix is None:
                continue
            else:
                moid = '%s-%s' % (prefix, number)
            ref = self.refs[field] = MoRef(type_name, moid)
            if server.esx:
                self._made[field] = self._esx_manager(ref)
            else:
                server.objects.add_lazy(ref, functools.partial(self.__getitem__, field))

    def _esx_manager(self, ref):
        """ESX's ServiceContent object of this type and moid, if it has one
        (made before the host, which it now serves), else a new manager."""
        existing = self.host.server.objects.get(ref)
        if existing is None:
            return self._new(ref)
        if getattr(existing, 'host', False) is None:
            existing.host = self.host
        return existing

    def _new(self, ref):
        server = self.host.server
        return server.host_manager_class(ref.type)(server, ref.type, ref.value, self.host)

    def __getitem__(self, field):
        manager = self._made.get(field)
        if manager is None:
            manager = self._made[field] = self._new(self.refs[field])
        return manager

    def __contains__(self, field):
        return field in self.refs

    def __iter__(self):
        return iter(self.refs)

    def __len__(self):
        return len(self.refs)

    def made(self):
        """The managers made so far: those a change can concern (nothing
        watches one not made yet)."""
        return list(self._made.values())

    def forget(self):
        """The host is gone: its managers are destroyed, those not made yet
        taken out of the registry."""
        objects = self.host.server.objects
        for field, ref in self.refs.items():
            manager = self._made.get(field)
            if manager is None:
                objects.forget_lazy(ref)
            elif objects.get(ref) is manager:
                manager.destroy()


class HostUserDirectory(HostManagerObject):
    """A host's own UserDirectory (on a vCenter): the host's local users."""
    type_name = 'UserDirectory'

    def RetrieveUserGroups(self, ctx, searchStr, exactMatch, findUsers, findGroups,
                           domain=None, belongsToGroup=None, belongsToUser=None):
        local = self.host.managers['accountManager'].accounts    # CreateUser's too
        directory = Directory([User(name, '') for name in local], esx=True)
        return retrieve_user_groups(self.server, directory, [], domain, searchStr, exactMatch,
                                    findUsers, findGroups, belongsToGroup, belongsToUser)
