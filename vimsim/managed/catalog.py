"""The catalog of the managed-object model: every module that defines a
managed class, which classes serve each managed type, and the making of the
managers a ServiceContent lists.

Manager subclasses register the managed types they serve with
`@manager_type` as their module is imported; this module imports every module
of the model, so the registry is complete once it is imported. It sits above
every area: the simulator, the recording loader and the coverage report use
it, nothing in the model imports it.
"""
import types

from vimsim.managed import base, entity, manager
from vimsim.managed.admin import (authorization_manager, certificate_manager, crypto_manager,
                                  custom_fields_manager, diagnostic_manager, extension_manager,
                                  failover_cluster_manager, health_update_manager,
                                  ip_pool_manager, license_manager, option_manager,
                                  profile_manager, user_directory)
from vimsim.managed.admin import (cluster_profile, host_profile, host_specification_manager,
                                  profile, profile_compliance_manager)
from vimsim.managed.host import (advanced_options, config_managers, date_time_system,
                                 host_auto_start_manager, host_boot_device_system,
                                 host_certificate_manager, host_cpu_scheduler_system,
                                 host_firewall_system, host_image_config_manager,
                                 host_local_account_manager, host_network_system,
                                 host_power_system, host_service_system, host_storage_system,
                                 host_datastore_system, host_system, host_virtual_nic_manager,
                                 snmp_system, storage_devices, vsan_system)
from vimsim.managed.host import (host_access_manager, host_active_directory_authentication,
                                 host_authentication_manager, host_cache_configuration_manager,
                                 host_diagnostic_system, host_graphics_manager,
                                 host_health_status_system, host_kernel_module_system,
                                 host_memory_system, host_patch_manager,
                                 host_pci_passthru_system, host_vmotion_system,
                                 iscsi_manager)
from vimsim.managed.host import (crypto_manager_host, host_esx_agent_host_manager,
                                 host_vflash_manager, vffs_volume)
from vimsim.managed.host import (host_assignable_hardware_manager, host_firmware_system,
                                 host_nvdimm_system, overhead_memory_manager)
from vimsim.managed.host import direct_path_profile_manager
from vimsim.managed.inventory import (cluster_evc_manager, compute_resource, datacenter,
                                      folder, resource_pool, storage_pod, tenant_tenant_manager,
                                      virtual_app)
from vimsim.managed.monitoring import (alarm, alarm_manager, event_manager, history_collector,
                                       performance_manager, scheduled_task,
                                       scheduled_task_manager, task, task_manager)
from vimsim.managed.network import (distributed_virtual_portgroup, distributed_virtual_switch,
                                    distributed_virtual_switch_manager, network)
from vimsim.managed.service import (localization_manager, property_collector, search_index,
                                    service_instance, service_manager, session_manager, updates,
                                    view)
from vimsim.managed.service import site_info_manager
from vimsim.managed.storage import (datastore, datastore_browser, datastore_namespace_manager,
                                    file_manager,
                                    host_vstorage_object_manager, http_nfc_lease,
                                    io_filter_manager, ovf_manager,
                                    storage_resource_manager, vcenter_vstorage_object_manager,
                                    virtual_disk_manager, vstorage_object_manager_base)
from vimsim.managed.storage import storage_query_manager, vsan_datastore
from vimsim.managed.vsan import base as vsan_base, vsan_capability_system, \
    vsan_vc_cluster_config_system, vsan_vc_cluster_health_system
from vimsim.managed.vm import (compatibility_checker, customization_spec_manager,
                               environment_browser, guest_alias_manager, guest_auth_manager,
                               guest_customization_manager, guest_file_manager,
                               guest_operations_manager, guest_process_manager,
                               guest_windows_registry_manager,
                               provisioning_checker, snapshot, virtual_machine)

# every module of the model that defines managed classes: those imported above
MODULES = tuple(value for value in list(globals().values())
                if isinstance(value, types.ModuleType) and value.__name__.startswith(
                    'vimsim.managed.'))


def make_manager(server, type_name, moid):
    """The manager object of `type_name`: its registered class, else a bare Manager."""
    cls = manager.MANAGER_TYPES.get(type_name, manager.Manager)
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


def managed_classes():
    """Every managed class the model's modules define."""
    return [value for module in MODULES for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, base.ManagedObject)
            and value.__module__ == module.__name__]


def serving_classes():
    """{managed type name: the classes whose objects are of that type}: the
    Manager subclass registered for it, and each class that names its own
    type (`type_name`, or `type_names` when its objects are of several),
    /vsanHealth's among them."""
    served = {type_name: [cls] for type_name, cls in manager.MANAGER_TYPES.items()}
    for cls in managed_classes() + vsan_classes():
        for type_name in cls.__dict__.get('type_names', (cls.__dict__.get('type_name'),)):
            if isinstance(type_name, str) and cls not in served.setdefault(type_name, []):
                served[type_name].append(cls)
    return served


def vsan_classes():
    """The classes of vSAN's service objects (/vsanHealth's, vimsim/vsan)."""
    return [value for module in MODULES for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, vsan_base.VsanObject)
            and value is not vsan_base.VsanObject and value.__module__ == module.__name__]
