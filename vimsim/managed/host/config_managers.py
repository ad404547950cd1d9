"""A host's configuration managers (HostSystem.configManager): which there
are, and HostManagerObject, the class of each, whose properties are computed
on read from its host, so `host.config.network` and
`host.configManager.networkSystem.networkInfo` are one truth. A member that
answers methods is a subclass in its own module, named after its type
(date_time_system.py holds HostDateTimeSystem); host_system.py builds them.

Moids are vCenter's (`datastoreSystem-11` for host-11) or, for an ESX host,
the fixed `ha-*` names hostd uses. Where ESX's ServiceContent already holds an
object of the same type and moid (ha-user-directory, ha-license-manager ...),
that object is the member.
"""
from vimsim.managed.admin.user_directory import retrieve_user_groups
from vimsim.managed.base import ManagedObject
from vimsim.managed.entity import refs
from vimsim.users import Directory

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
    T = host.T
    return {
        'HostDatastoreSystem': {
            'datastore': lambda: refs(host.datastores),
            'capabilities': host.datastore_capabilities},
        'HostNetworkSystem': {
            'capabilities': host.net_capabilities,
            'networkInfo': host.network_info,
            'offloadCapabilities': host.offload_capabilities,
            'dnsConfig': host.dns_config,
            'ipRouteConfig': host.ip_route_config,
            'consoleIpRouteConfig': lambda: None},
        'HostStorageSystem': {
            'storageDeviceInfo': host.storage_device_info,
            'fileSystemVolumeInfo': host.file_system_volume_info,
            'systemFile': lambda: ['/var/log/vmware/hostd.log']},
        'HostFirewallSystem': {'firewallInfo': host.firewall_info},
        'OptionManager': {'setting': host.options, 'supportedOption': host.option_defs},
        'HostServiceSystem': {'serviceInfo': host.service_info},
        'HostDateTimeSystem': {'dateTimeInfo': host.date_time_info},
        'HostVirtualNicManager': {'info': host.virtual_nic_manager_info},
        'HostCpuSchedulerSystem': {
            'hyperthreadInfo': lambda: T.HostHyperThreadScheduleInfo(
                available=False, active=False, config=True)},
        'HostVMotionSystem': {
            'netConfig': lambda: T.HostVMotionNetConfig(candidateVnic=host.vnics()),
            'ipConfig': lambda: T.HostIpConfig(dhcp=False, ipAddress=host.ip,
                                               subnetMask='255.255.0.0')},
        'HostAutoStartManager': {'config': host.autostart_config},
        'HostSnmpSystem': {
            'configuration': lambda: T.HostSnmpConfigSpec(enabled=False, port=161,
                                                          readOnlyCommunities=[], trapTargets=[]),
            'limits': lambda: T.HostSnmpSystemAgentLimits(
                maxReadOnlyCommunities=10, maxTrapDestinations=10, maxCommunityLength=64,
                maxBufferSize=1500, capability='COMPLETE')},
        'HostHealthStatusSystem': {'runtime': host.health_runtime},
        'HostPciPassthruSystem': {'pciPassthruInfo': lambda: []},
        'HostPowerSystem': {
            'capability': lambda: host.config.powerSystemCapability,
            'info': lambda: host.config.powerSystemInfo},
        'HostAuthenticationManager': {
            'info': lambda: T.HostAuthenticationManagerInfo(
                authConfig=[T.HostLocalAuthenticationInfo(enabled=True)]),
            'supportedStore': lambda: []},
        'HostEsxAgentHostManager': {
            'configInfo': lambda: T.HostEsxAgentHostManagerConfigInfo()},
        'HostVsanSystem': {
            'config': lambda: T.VsanHostConfigInfo(enabled=False, hostSystem=host.ref)},
        'HostAccessManager': {'lockdownMode': lambda: 'lockdownDisabled'},
        'HostCertificateManager': {
            'certificateInfo': lambda: T.HostCertificateManagerCertificateInfo(
                kind='Machine', issuer='O=VMware, C=US, CN=vimsim CA', subject=(
                    'CN=%s' % host.dns_config().hostName), status='good',
                notBefore=host.boot_time, notAfter=host.boot_time.replace(
                    year=host.boot_time.year + 5))},
        'CryptoManagerHostKMS': {'enabled': lambda: False},
        'UserDirectory': {'domainList': lambda: []},
        'HostGraphicsManager': {
            'graphicsInfo': lambda: [], 'sharedPassthruGpuTypes': lambda: []},
        'HostCacheConfigurationManager': {'cacheConfigurationInfo': lambda: [
            T.HostCacheConfigurationInfo(key=ds.ref, swapSize=0) for ds in host.datastores]},
    }


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


class HostUserDirectory(HostManagerObject):
    """A host's own UserDirectory (on a vCenter): the host's local users."""
    type_name = 'UserDirectory'

    def RetrieveUserGroups(self, ctx, searchStr, exactMatch, findUsers, findGroups,
                           domain=None, belongsToGroup=None, belongsToUser=None):
        return retrieve_user_groups(self.server, Directory([], esx=True), [], domain,
                                    searchStr, exactMatch, findUsers, findGroups,
                                    belongsToGroup, belongsToUser)
