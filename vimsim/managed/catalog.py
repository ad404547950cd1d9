"""The catalog of the managed-object model: every module that defines a
managed class, which module serves each managed type, and the making of the
managers a ServiceContent lists and of the classes of hosts' managers.

Manager subclasses register the managed types they serve with
`@manager_type` as their module is imported. A start imports only what it
runs: `MANAGER_MODULES` names the module of each registered manager type
(tests/test_coverage.py checks it against the registrations), and a manager
is made, its module imported, when its object is first looked up
(`Registry.add_lazy`), except the few the model reaches through the
simulator's attributes (`EAGER`). A vCenter host's configuration managers
are made on first use too (host/config_managers.py's HostManagers), with
the class `host_manager_class` gives, which the simulator lends the model
(nothing in the model imports the catalog). `modules()` imports the whole model, for
the coverage report and /vsanHealth. It sits above every area: the
simulator, the recording loader and the coverage report use it, nothing in
the model imports it.
"""
import functools
import importlib

from vimsim.managed import base, manager
from vimsim.managed.host import config_managers
from vimsim.managed.service.service_instance import SUB_MANAGERS

PREFIX = 'vimsim.managed.'
# every module of the model that defines managed classes, below vimsim.managed
MODULE_NAMES = (
    'admin.authorization_manager', 'admin.certificate_manager', 'admin.cluster_profile',
    'admin.crypto_manager', 'admin.custom_fields_manager', 'admin.diagnostic_manager',
    'admin.extension_manager', 'admin.failover_cluster_manager', 'admin.health_update_manager',
    'admin.host_profile', 'admin.host_specification_manager', 'admin.ip_pool_manager',
    'admin.license_manager', 'admin.option_manager', 'admin.profile',
    'admin.profile_compliance_manager', 'admin.profile_manager', 'admin.user_directory',
    'base', 'entity', 'host.advanced_options', 'host.config_managers',
    'host.crypto_manager_host', 'host.date_time_system', 'host.direct_path_profile_manager',
    'host.host_access_manager', 'host.host_active_directory_authentication',
    'host.host_assignable_hardware_manager', 'host.host_authentication_manager',
    'host.host_auto_start_manager', 'host.host_boot_device_system',
    'host.host_cache_configuration_manager', 'host.host_certificate_manager',
    'host.host_cpu_scheduler_system', 'host.host_datastore_system',
    'host.host_diagnostic_system', 'host.host_esx_agent_host_manager',
    'host.host_firewall_system', 'host.host_firmware_system', 'host.host_graphics_manager',
    'host.host_health_status_system', 'host.host_image_config_manager',
    'host.host_kernel_module_system', 'host.host_local_account_manager',
    'host.host_memory_system', 'host.host_network_system', 'host.host_nvdimm_system',
    'host.host_patch_manager', 'host.host_pci_passthru_system', 'host.host_power_system',
    'host.host_service_system', 'host.host_storage_system', 'host.host_system',
    'host.host_vflash_manager', 'host.host_virtual_nic_manager', 'host.host_vmotion_system',
    'host.iscsi_manager', 'host.overhead_memory_manager', 'host.snmp_system',
    'host.storage_devices', 'host.vffs_volume', 'host.vsan_system',
    'inventory.cluster_evc_manager', 'inventory.compute_resource', 'inventory.datacenter',
    'inventory.folder', 'inventory.resource_pool', 'inventory.storage_pod',
    'inventory.tenant_tenant_manager', 'inventory.virtual_app', 'manager', 'monitoring.alarm',
    'monitoring.alarm_manager', 'monitoring.event_manager', 'monitoring.history_collector',
    'monitoring.performance_manager', 'monitoring.scheduled_task',
    'monitoring.scheduled_task_manager', 'monitoring.task', 'monitoring.task_manager',
    'network.distributed_virtual_portgroup', 'network.distributed_virtual_switch',
    'network.distributed_virtual_switch_manager', 'network.network',
    'service.localization_manager', 'service.property_collector', 'service.search_index',
    'service.service_instance', 'service.service_manager', 'service.session_manager',
    'service.site_info_manager', 'service.updates', 'service.view', 'storage.datastore',
    'storage.datastore_browser', 'storage.datastore_namespace_manager', 'storage.file_manager',
    'storage.host_vstorage_object_manager', 'storage.http_nfc_lease',
    'storage.io_filter_manager', 'storage.ovf_manager', 'storage.storage_query_manager',
    'storage.storage_resource_manager', 'storage.vcenter_vstorage_object_manager',
    'storage.virtual_disk_manager', 'storage.vsan_datastore',
    'storage.vstorage_object_manager_base', 'vm.compatibility_checker',
    'vm.customization_spec_manager', 'vm.environment_browser', 'vm.guest_alias_manager',
    'vm.guest_auth_manager', 'vm.guest_customization_manager', 'vm.guest_file_manager',
    'vm.guest_operations_manager', 'vm.guest_process_manager',
    'vm.guest_windows_registry_manager', 'vm.provisioning_checker', 'vm.snapshot',
    'vm.virtual_machine', 'vsan.base', 'vsan.vsan_capability_system',
    'vsan.vsan_vc_cluster_config_system', 'vsan.vsan_vc_cluster_health_system',)

MANAGER_MODULES = {
    'AlarmManager': 'monitoring.alarm_manager',
    'AuthorizationManager': 'admin.authorization_manager',
    'CertificateManager': 'admin.certificate_manager',
    'ClusterProfileManager': 'admin.profile_manager',
    'CryptoManager': 'admin.crypto_manager',
    'CryptoManagerKmip': 'admin.crypto_manager',
    'CustomFieldsManager': 'admin.custom_fields_manager',
    'CustomizationSpecManager': 'vm.customization_spec_manager',
    'DatastoreNamespaceManager': 'storage.datastore_namespace_manager',
    'DiagnosticManager': 'admin.diagnostic_manager',
    'DirectPathProfileManager': 'host.direct_path_profile_manager',
    'DistributedVirtualSwitchManager': 'network.distributed_virtual_switch_manager',
    'EventManager': 'monitoring.event_manager',
    'ExtensionManager': 'admin.extension_manager',
    'FailoverClusterConfigurator': 'admin.failover_cluster_manager',
    'FailoverClusterManager': 'admin.failover_cluster_manager',
    'FileManager': 'storage.file_manager',
    'GuestAliasManager': 'vm.guest_alias_manager',
    'GuestAuthManager': 'vm.guest_auth_manager',
    'GuestFileManager': 'vm.guest_file_manager',
    'GuestOperationsManager': 'vm.guest_operations_manager',
    'GuestProcessManager': 'vm.guest_process_manager',
    'GuestWindowsRegistryManager': 'vm.guest_windows_registry_manager',
    'HealthUpdateManager': 'admin.health_update_manager',
    'HostLocalAccountManager': 'host.host_local_account_manager',
    'HostProfileManager': 'admin.profile_manager',
    'HostSnmpSystem': 'host.snmp_system',
    'HostSpecificationManager': 'admin.host_specification_manager',
    'HostVStorageObjectManager': 'storage.host_vstorage_object_manager',
    'IoFilterManager': 'storage.io_filter_manager',
    'IpPoolManager': 'admin.ip_pool_manager',
    'LicenseManager': 'admin.license_manager',
    'LocalizationManager': 'service.localization_manager',
    'OptionManager': 'admin.option_manager',
    'OverheadMemoryManager': 'host.overhead_memory_manager',
    'OvfManager': 'storage.ovf_manager',
    'PerformanceManager': 'monitoring.performance_manager',
    'ProfileComplianceManager': 'admin.profile_compliance_manager',
    'ScheduledTaskManager': 'monitoring.scheduled_task_manager',
    'SearchIndex': 'service.search_index',
    'ServiceManager': 'service.service_manager',
    'SiteInfoManager': 'service.site_info_manager',
    'StorageQueryManager': 'storage.storage_query_manager',
    'StorageResourceManager': 'storage.storage_resource_manager',
    'TaskManager': 'monitoring.task_manager',
    'TenantTenantManager': 'inventory.tenant_tenant_manager',
    'UserDirectory': 'admin.user_directory',
    'VStorageObjectManagerBase': 'storage.vstorage_object_manager_base',
    'VcenterVStorageObjectManager': 'storage.vcenter_vstorage_object_manager',
    'VirtualDiskManager': 'storage.virtual_disk_manager',
    'VirtualMachineCompatibilityChecker': 'vm.compatibility_checker',
    'VirtualMachineGuestCustomizationManager': 'vm.guest_customization_manager',
    'VirtualMachineProvisioningChecker': 'vm.provisioning_checker',}

# the module of each host configuration manager's class by managed type (a
# type not here is a plain HostManagerObject): HostManagers asks for a class
# (`host_manager_class`) as it first makes a manager of a vCenter's host
HOST_MANAGER_MODULES = {
    'CryptoManagerHostKMS': 'host.crypto_manager_host',
    'HostAccessManager': 'host.host_access_manager',
    'HostAssignableHardwareManager': 'host.host_assignable_hardware_manager',
    'HostAuthenticationManager': 'host.host_authentication_manager',
    'HostAutoStartManager': 'host.host_auto_start_manager',
    'HostBootDeviceSystem': 'host.host_boot_device_system',
    'HostCacheConfigurationManager': 'host.host_cache_configuration_manager',
    'HostCertificateManager': 'host.host_certificate_manager',
    'HostCpuSchedulerSystem': 'host.host_cpu_scheduler_system',
    'HostDatastoreSystem': 'host.host_datastore_system',
    'HostDateTimeSystem': 'host.date_time_system',
    'HostDiagnosticSystem': 'host.host_diagnostic_system',
    'HostEsxAgentHostManager': 'host.host_esx_agent_host_manager',
    'HostFirewallSystem': 'host.host_firewall_system',
    'HostFirmwareSystem': 'host.host_firmware_system',
    'HostGraphicsManager': 'host.host_graphics_manager',
    'HostHealthStatusSystem': 'host.host_health_status_system',
    'HostImageConfigManager': 'host.host_image_config_manager',
    'HostKernelModuleSystem': 'host.host_kernel_module_system',
    'HostLocalAccountManager': 'host.host_local_account_manager',
    'HostMemorySystem': 'host.host_memory_system',
    'HostNetworkSystem': 'host.host_network_system',
    'HostNvdimmSystem': 'host.host_nvdimm_system',
    'HostPatchManager': 'host.host_patch_manager',
    'HostPciPassthruSystem': 'host.host_pci_passthru_system',
    'HostPowerSystem': 'host.host_power_system',
    'HostServiceSystem': 'host.host_service_system',
    'HostSnmpSystem': 'host.snmp_system',
    'HostStorageSystem': 'host.host_storage_system',
    'HostVFlashManager': 'host.host_vflash_manager',
    'HostVMotionSystem': 'host.host_vmotion_system',
    'HostVirtualNicManager': 'host.host_virtual_nic_manager',
    'HostVsanSystem': 'host.vsan_system',
    'IscsiManager': 'host.iscsi_manager',
    'OptionManager': 'host.advanced_options',
    'UserDirectory': 'host.config_managers',
}

# the managers made with the model: each sets an attribute of the simulator
# (`server.event_manager`, ...) that the model reads without a lookup
EAGER = frozenset(('AlarmManager', 'AuthorizationManager', 'CustomFieldsManager', 'EventManager',
                   'HostLocalAccountManager', 'OptionManager', 'PerformanceManager',
                   'TaskManager'))


def make_manager(server, type_name, moid):
    """The manager object of `type_name`: its registered class (its module
    imported now), else a bare Manager."""
    module = MANAGER_MODULES.get(type_name)
    if module is not None:
        importlib.import_module(PREFIX + module)
    cls = manager.MANAGER_TYPES.get(type_name, manager.Manager)
    return cls(server, type_name, moid)


@functools.cache
def host_manager_class(type_name):
    """The class of a host's configuration manager of `type_name`: the one
    its module (imported now) names that type (`type_name`), else
    HostManagerObject."""
    module_name = HOST_MANAGER_MODULES.get(type_name)
    if module_name is None:
        return config_managers.HostManagerObject
    module = importlib.import_module(PREFIX + module_name)
    return next(value for value in vars(module).values()
                if isinstance(value, type) and value.__dict__.get('type_name') == type_name)


def build_managers(server, table):
    """The managers of a ServiceContent table {field: (type, moid)} that the
    schema knows, as {field: MoRef}: those of `EAGER` made now, the others
    left to the registry to make on first lookup (with the SUB_MANAGERS it
    makes, whose lookup makes it too)."""
    schema = server.schema
    content_fields = schema.types['ServiceContent'].field_map
    refs = {}
    for field_name, (type_name, moid) in sorted(table.items()):
        if type_name not in schema.managed or field_name not in content_fields:
            continue
        if type_name in EAGER:
            refs[field_name] = make_manager(server, type_name, moid).ref
            continue
        make = functools.partial(make_manager, server, type_name, moid)
        refs[field_name] = server.objects.add_lazy(base.MoRef(type_name, moid), make)
        for _, sub_type, vc_moid, esx_moid in SUB_MANAGERS.get(type_name, ()):
            if sub_type in schema.managed:
                server.objects.add_lazy(
                    base.MoRef(sub_type, esx_moid if server.esx else vc_moid), make)
    return refs


class Managers:
    """The simulator's ServiceContent managers by field name, as a read-only
    mapping whose lookups make a manager not made yet."""

    def __init__(self, objects, refs):
        self._objects = objects
        self.refs = refs    # field -> MoRef

    def __getitem__(self, field_name):
        return self._objects.get(self.refs[field_name])

    def get(self, field_name, default=None):
        ref = self.refs.get(field_name)
        return default if ref is None else self._objects.get(ref)

    def __contains__(self, field_name):
        return field_name in self.refs


@functools.cache
def modules():
    """Every module of the model, imported."""
    return tuple(importlib.import_module(PREFIX + name) for name in MODULE_NAMES)


def managed_classes():
    """Every managed class the model's modules define."""
    return [value for module in modules() for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, base.ManagedObject)
            and value.__module__ == module.__name__]


def serving_classes():
    """{managed type name: the classes whose objects are of that type}: the
    Manager subclass registered for it, and each class that names its own
    type (`type_name`, or `type_names` when its objects are of several),
    /vsanHealth's among them."""
    classes = managed_classes() + vsan_classes()
    served = {type_name: [cls] for type_name, cls in manager.MANAGER_TYPES.items()}
    for cls in classes:
        for type_name in cls.__dict__.get('type_names', (cls.__dict__.get('type_name'),)):
            if isinstance(type_name, str) and cls not in served.setdefault(type_name, []):
                served[type_name].append(cls)
    return served


def vsan_classes():
    """The classes of vSAN's service objects (/vsanHealth's, vimsim/vsan)."""
    from vimsim.managed.vsan import base as vsan_base
    return [value for module in modules() for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, vsan_base.VsanObject)
            and value is not vsan_base.VsanObject and value.__module__ == module.__name__]
