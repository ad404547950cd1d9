"""ServiceInstance: the root object, its ServiceContent and AboutInfo.

vCenter and ESX modes list different managers under different moids; the
tables below are read off real servers (a vCenter 8.0.3 and 7.0 ServiceContent,
and ESXi's `ha-*` objects).

ValidateMigration and QueryVMotionCompatibility, API 2.0's forerunners of
the provisioning checker, are answered by that checker with its rules
(vm/provisioning_checker.py); ESX, which has no checker, answers
NotSupported, as it does for migrations.
"""

from vimsim import clock
from vimsim.managed.base import ManagedObject
from vimsim.soap.fault import fault

# ServiceContent field -> (managed type, moid) of a vCenter.
VCENTER_MANAGERS = {
    'setting': ('OptionManager', 'VpxSettings'),
    'userDirectory': ('UserDirectory', 'UserDirectory'),
    'authorizationManager': ('AuthorizationManager', 'AuthorizationManager'),
    'serviceManager': ('ServiceManager', 'ServiceMgr'),
    'perfManager': ('PerformanceManager', 'PerfMgr'),
    'scheduledTaskManager': ('ScheduledTaskManager', 'ScheduledTaskManager'),
    'alarmManager': ('AlarmManager', 'AlarmManager'),
    'eventManager': ('EventManager', 'EventManager'),
    'taskManager': ('TaskManager', 'TaskManager'),
    'extensionManager': ('ExtensionManager', 'ExtensionManager'),
    'customizationSpecManager': ('CustomizationSpecManager', 'CustomizationSpecManager'),
    'guestCustomizationManager': ('VirtualMachineGuestCustomizationManager',
                                  'GuestCustomizationManager'),
    'customFieldsManager': ('CustomFieldsManager', 'CustomFieldsManager'),
    'diagnosticManager': ('DiagnosticManager', 'DiagMgr'),
    'licenseManager': ('LicenseManager', 'LicenseManager'),
    'searchIndex': ('SearchIndex', 'SearchIndex'),
    'fileManager': ('FileManager', 'FileManager'),
    'datastoreNamespaceManager': ('DatastoreNamespaceManager', 'DatastoreNamespaceManager'),
    'virtualDiskManager': ('VirtualDiskManager', 'virtualDiskManager'),
    'snmpSystem': ('HostSnmpSystem', 'SnmpSystem'),
    'vmProvisioningChecker': ('VirtualMachineProvisioningChecker', 'ProvChecker'),
    'vmCompatibilityChecker': ('VirtualMachineCompatibilityChecker', 'CompatChecker'),
    'ovfManager': ('OvfManager', 'OvfManager'),
    'ipPoolManager': ('IpPoolManager', 'IpPoolManager'),
    'dvSwitchManager': ('DistributedVirtualSwitchManager', 'DVSManager'),
    'hostProfileManager': ('HostProfileManager', 'HostProfileManager'),
    'clusterProfileManager': ('ClusterProfileManager', 'ClusterProfileManager'),
    'complianceManager': ('ProfileComplianceManager', 'MoComplianceManager'),
    'localizationManager': ('LocalizationManager', 'LocalizationManager'),
    'storageResourceManager': ('StorageResourceManager', 'StorageResourceManager'),
    'guestOperationsManager': ('GuestOperationsManager', 'guestOperationsManager'),
    'overheadMemoryManager': ('OverheadMemoryManager', 'OverheadMemoryManager'),
    'certificateManager': ('CertificateManager', 'certificateManager'),
    'ioFilterManager': ('IoFilterManager', 'IoFilterManager'),
    'vStorageObjectManager': ('VcenterVStorageObjectManager', 'VStorageObjectManager'),
    'hostSpecManager': ('HostSpecificationManager', 'HostSpecificationManager'),
    'cryptoManager': ('CryptoManagerKmip', 'CryptoManager'),
    'healthUpdateManager': ('HealthUpdateManager', 'HealthUpdateManager'),
    'failoverClusterConfigurator': ('FailoverClusterConfigurator', 'FailoverClusterConfigurator'),
    'failoverClusterManager': ('FailoverClusterManager', 'FailoverClusterManager'),
    'tenantManager': ('TenantTenantManager', 'TenantManager'),
    'siteInfoManager': ('SiteInfoManager', 'SiteInfoManager'),
    'storageQueryManager': ('StorageQueryManager', 'StorageQueryManager'),
    'directPathProfileManager': ('DirectPathProfileManager', 'DirectPathProfileManager'),
}

# The same for an ESXi host agent: fewer managers, `ha-*` moids.
ESX_MANAGERS = {
    'setting': ('OptionManager', 'HostAgentSettings'),
    'userDirectory': ('UserDirectory', 'ha-user-directory'),
    'authorizationManager': ('AuthorizationManager', 'ha-authmgr'),
    'serviceManager': ('ServiceManager', 'ha-servicemanager'),
    'perfManager': ('PerformanceManager', 'ha-perfmgr'),
    'eventManager': ('EventManager', 'ha-eventmgr'),
    'taskManager': ('TaskManager', 'ha-taskmgr'),
    'accountManager': ('HostLocalAccountManager', 'ha-localacctmgr'),
    'diagnosticManager': ('DiagnosticManager', 'ha-diagnosticmgr'),
    'licenseManager': ('LicenseManager', 'ha-license-manager'),
    'searchIndex': ('SearchIndex', 'ha-searchindex'),
    'fileManager': ('FileManager', 'ha-nfc-file-manager'),
    'datastoreNamespaceManager': ('DatastoreNamespaceManager', 'ha-datastore-namespace-manager'),
    'virtualDiskManager': ('VirtualDiskManager', 'ha-vdiskmanager'),
    'ovfManager': ('OvfManager', 'ha-ovf-manager'),
    'dvSwitchManager': ('DistributedVirtualSwitchManager', 'ha-dvsmanager'),
    'localizationManager': ('LocalizationManager', 'ha-l10n-manager'),
    'storageResourceManager': ('StorageResourceManager', 'ha-storage-resource-manager'),
    'guestOperationsManager': ('GuestOperationsManager', 'ha-guest-operations-manager'),
    'overheadMemoryManager': ('OverheadMemoryManager', 'ha-overhead-memory-manager'),
    'certificateManager': ('CertificateManager', 'ha-certificate-manager'),
    'ioFilterManager': ('IoFilterManager', 'ha-iofilter-manager'),
    'vStorageObjectManager': ('HostVStorageObjectManager', 'ha-vstorage-object-manager'),
    'cryptoManager': ('CryptoManager', 'ha-crypto-manager'),
    'siteInfoManager': ('SiteInfoManager', 'SiteInfoManager'),
    'storageQueryManager': ('StorageQueryManager', 'ha-storage-query-manager'),
}

# The managers a ServiceContent manager makes with itself, by its type: property ->
# (managed type, vCenter moid, ESXi moid). Their moids are fixed, so a start
# that leaves the manager to make registers them too (catalog.build_managers).
SUB_MANAGERS = {'GuestOperationsManager': (
    ('authManager', 'GuestAuthManager', 'guestOperationsAuthManager', 'ha-guest-auth-manager'),
    ('fileManager', 'GuestFileManager', 'guestOperationsFileManager',
     'ha-guest-file-manager'),
    ('processManager', 'GuestProcessManager', 'guestOperationsProcessManager',
     'ha-guest-process-manager'),
    ('guestWindowsRegistryManager', 'GuestWindowsRegistryManager',
     'guestOperationsWindowsRegistryManager', 'ha-guest-windows-registry-manager'),
    ('aliasManager', 'GuestAliasManager', 'guestOperationsAliasManager',
     'ha-guest-alias-manager'),
)}

# Product facts of the simulated server, by API version's major release.
BUILD = '24957454'


def about_info(schema, api_version, esx, instance_uuid):
    """AboutInfo of a vCenter Server (or ESXi) speaking `api_version`."""
    release = '.'.join(api_version.split('.')[:3]) if api_version.count('.') >= 2 \
        else api_version + '.0'
    major = api_version.split('.')[0] + '.0'
    update = (release.split('.') + ['0'])[2]     # ESXi 8.0.3 reports patchLevel 3.0
    AboutInfo = schema.types['AboutInfo'].cls
    if esx:
        return AboutInfo(
            name='VMware ESXi', fullName='VMware ESXi %s build-%s' % (release, BUILD),
            vendor='VMware, Inc.', version=release, patchLevel=update + '.0',
            build=BUILD, localeVersion='INTL', localeBuild='000', osType='vmnix-x86',
            productLineId='embeddedEsx', apiType='HostAgent', apiVersion=api_version,
            licenseProductName='VMware ESX Server', licenseProductVersion=major)
    return AboutInfo(
        name='VMware vCenter Server',
        fullName='VMware vCenter Server %s build-%s' % (release, BUILD),
        vendor='VMware, Inc.', version=release, patchLevel='00000', build=BUILD,
        localeVersion='INTL', localeBuild='000', osType='linux-x64',
        productLineId='vpx', apiType='VirtualCenter', apiVersion=api_version,
        instanceUuid=instance_uuid, licenseProductName='VMware VirtualCenter Server',
        licenseProductVersion=major)


class ServiceInstance(ManagedObject):
    type_name = 'ServiceInstance'

    def __init__(self, server, content):
        super().__init__(server, 'ServiceInstance')
        self.content = content
        types = server.schema.types
        self.capability = types['Capability'].cls(
            provisioningSupported=not server.esx, multiHostSupported=not server.esx,
            userShellAccessSupported=server.esx, supportedEVCMode=None,
            networkBackupAndRestoreSupported=not server.esx,
            ftDrsWithoutEvcSupported=True, hciWorkflowSupported=not server.esx)

    @property
    def serverClock(self):
        return clock.now()

    def RetrieveServiceContent(self, ctx):
        return self.content

    def CurrentTime(self, ctx):
        return clock.now()

    def RetrieveProductComponents(self, ctx):
        """The products bundled with this one, each versioned on its own (as
        ESX once bundled the VI Client): vCenter 8 and ESXi 8 bundle none."""
        return []

    def provisioning_checker(self):
        """vCenter's VirtualMachineProvisioningChecker; NotSupported on ESX."""
        checker = self.server.objects.get(self.content.vmProvisioningChecker) \
            if self.content.vmProvisioningChecker is not None else None
        if checker is None:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        return checker

    def ValidateMigration(self, ctx, vm, state=None, testType=(), pool=None, host=None):
        """The warnings and errors migrating `vm` would meet, as MigrationEvents."""
        return self.provisioning_checker().validate_migration(ctx, vm, state, testType,
                                                              host, pool)

    def QueryVMotionCompatibility(self, ctx, vm, host, compatibility=()):
        """Per host, the ways it is compatible with `vm` for vMotion."""
        return self.provisioning_checker().vmotion_compatibility(vm, host, compatibility)
