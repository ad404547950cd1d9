"""AuthorizationManager: privileges, roles and their descriptions.

The privilege catalog is derived from the API itself: every privilege id that
a managed property or method of the schema requires, plus the ones the
built-in roles grant. Roles are vCenter's system roles (negative ids) and the
sample roles it ships; an ESXi host has only the system roles.
"""
from vimsim.managed.manager import Manager, element, manager_type, words

SYSTEM_PRIVILEGES = ('System.Anonymous', 'System.View', 'System.Read')

SYSTEM_PRIVILEGE_TEXT = {
    'System.Anonymous': ('Anonymous',
                         'The only privilege held by sessions which have not logged in'),
    'System.View': ('View', 'Visibility without read access to an entity. This is assigned '
                    'implicitly by the system, if read privileges are assigned at lower '
                    'levels in the inventory'),
    'System.Read': ('Read', 'Grants read access to an entity'),
}

_BASE = SYSTEM_PRIVILEGES
_VM_INTERACT = tuple('VirtualMachine.Interact.' + p for p in (
    'AnswerQuestion', 'ConsoleInteract', 'DeviceConnection', 'PowerOff', 'PowerOn', 'Reset',
    'SetCDMedia', 'SetFloppyMedia', 'Suspend', 'ToolsInstall'))
_SCHEDULED_TASK = tuple('ScheduledTask.' + p for p in ('Create', 'Delete', 'Edit', 'Run'))
_VM_CONFIG = tuple('VirtualMachine.Config.' + p for p in (
    'AddExistingDisk', 'AddNewDisk', 'AddRemoveDevice', 'AdvancedConfig', 'CPUCount',
    'DiskLease', 'EditDevice', 'Memory', 'RemoveDisk', 'Rename', 'ResetGuestInfo', 'Resource',
    'Settings', 'UpgradeVirtualHardware'))
_VM_SNAPSHOT = tuple('VirtualMachine.State.' + p for p in (
    'CreateSnapshot', 'RemoveSnapshot', 'RenameSnapshot', 'RevertToSnapshot'))

# The sample roles a vCenter ships: (id, name, label, summary, privileges).
SAMPLE_ROLES = (
    (4, 'VirtualMachinePowerUser', 'Virtual machine power user (sample)',
     'Provides virtual machine interaction and configuration permissions',
     _BASE + ('Datastore.Browse', 'Global.CancelTask', 'VirtualMachine.Interact.GuestControl')
     + _SCHEDULED_TASK + _VM_CONFIG + _VM_INTERACT + _VM_SNAPSHOT),
    (5, 'VirtualMachineUser', 'Virtual machine user (sample)',
     'Provides virtual machine interaction permissions',
     _BASE + ('Global.CancelTask',) + _SCHEDULED_TASK + _VM_INTERACT),
    (6, 'ResourcePoolAdministrator', 'Resource pool administrator (sample)',
     'Supports delegated resource management',
     _BASE + ('Alarm.Create', 'Alarm.Delete', 'Alarm.Edit', 'Authorization.ModifyPermissions',
              'Datastore.Browse', 'Folder.Create', 'Folder.Delete', 'Folder.Move',
              'Folder.Rename', 'Global.CancelTask', 'Global.LogEvent', 'Global.SetCustomField')
     + tuple('Resource.' + p for p in (
         'AssignVMToPool', 'ColdMigrate', 'CreatePool', 'DeletePool', 'EditPool',
         'HotMigrate', 'MovePool', 'QueryVMotion', 'RenamePool'))
     + _SCHEDULED_TASK + _VM_CONFIG + ('VirtualMachine.Config.RawDevice',) + _VM_INTERACT
     + tuple('VirtualMachine.Inventory.' + p for p in (
         'Create', 'CreateFromExisting', 'Delete', 'Move', 'Register', 'Unregister'))
     + tuple('VirtualMachine.Provisioning.' + p for p in (
         'Clone', 'CloneTemplate', 'CreateTemplateFromVM', 'Customize', 'DeployTemplate',
         'DiskRandomAccess', 'DiskRandomRead', 'GetVmFiles', 'MarkAsTemplate', 'MarkAsVM',
         'ModifyCustSpecs', 'PutVmFiles', 'ReadCustSpecs'))
     + _VM_SNAPSHOT),
    (7, 'VMwareConsolidatedBackupUser', 'VMware Consolidated Backup user (sample)',
     'Used by the Consolidated Backup utility',
     _BASE + ('VirtualMachine.Config.DiskLease', 'VirtualMachine.Provisioning.DiskRandomRead',
              'VirtualMachine.Provisioning.GetVmFiles', 'VirtualMachine.State.CreateSnapshot',
              'VirtualMachine.State.RemoveSnapshot')),
    (8, 'DatastoreConsumer', 'Datastore consumer (sample)',
     'Assigned to datastores to allow creating disks or snapshots',
     _BASE + ('Datastore.AllocateSpace',)),
    (9, 'NetworkConsumer', 'Network administrator (sample)',
     'Assigned to networks to allow association of virtual machines or hosts with networks',
     _BASE + ('Network.Assign',)),
    (10, 'VirtualMachineConsoleUser', 'Virtual Machine console user',
     'Provides virtual machine console interaction permissions. This role is required for '
     'VMRC sessions. Exercise caution when altering/removing this role from vCenter Server.',
     _BASE + _VM_INTERACT),
)

# Trusted Infrastructure privileges (vCenter 7.0+), granted by the TrustedAdmin role.
TRUSTED_ADMIN = tuple('TrustedAdmin.' + p for p in (
    'ConfigureHostCertificates', 'ConfigureHostMetadata', 'ConfigureTokenConversionPolicy',
    'ManageAttestingSSO', 'ManageKMSTrust', 'ManageTrustedHosts', 'ReadAttestingSSO',
    'ReadKMSTrust', 'ReadStsInfo', 'ReadTrustedHosts', 'RetrieveHostMetadata',
    'RetrieveTPMHostCertificates'))

# Privileges every vCenter defines beyond those the API's methods name.
EXTRA_PRIVILEGES = (
    'Global.CancelTask', 'Global.DisableMethods', 'Global.EnableMethods', 'Global.Health',
    'Global.SetCustomField', 'Global.SystemTag', 'Global.Proxy', 'Global.CapacityPlanning',
    'Global.ScriptAction', 'Folder.Move', 'Folder.Rename', 'Datacenter.Delete',
    'Datacenter.Move', 'Datacenter.Rename', 'Datacenter.IpPoolConfig',
    'Datacenter.IpPoolReleaseIp', 'Datacenter.IpPoolQueryAllocations', 'Datastore.Browse',
    'Datastore.AllocateSpace', 'Datastore.FileManagement', 'Datastore.Move',
    'Network.Assign', 'Network.Config', 'Network.Move', 'DVSwitch.Delete', 'DVSwitch.Move',
    'DVSwitch.HostOp', 'DVSwitch.PolicyOp', 'DVSwitch.PortSetting', 'DVSwitch.Vspan',
    'DVSwitch.Ipfix', 'DVPortgroup.Delete', 'DVPortgroup.Modify', 'DVPortgroup.PolicyOp',
    'DVPortgroup.ScopeOp', 'DVPortgroup.Ipfix', 'Host.Inventory.DeleteCluster',
    'Host.Inventory.RenameCluster', 'Host.Inventory.RemoveHostFromCluster',
    'Host.Inventory.MoveCluster', 'Host.Inventory.MoveHost', 'Host.Config.SystemManagement',
    'Host.Config.Snmp', 'Host.Config.Quarantine', 'Host.Config.GuestStore',
    'Resource.AssignVMToPool', 'Resource.AssignVAppToPool', 'Resource.HotMigrate',
    'Resource.DeletePool', 'Resource.MovePool', 'Resource.RenamePool',
    'Resource.ApplyRecommendation', 'ScheduledTask.Create', 'Alarm.Create',
    'Alarm.Acknowledge', 'Alarm.DisableActions', 'Alarm.ToggleEnableOnEntity',
    'Authorization.ModifyPermissions', 'Authorization.ModifyPrivileges',
    'VirtualMachine.Config.AddNewDisk', 'VirtualMachine.Config.AddRemoveDevice',
    'VirtualMachine.Config.AdvancedConfig', 'VirtualMachine.Config.Annotation',
    'VirtualMachine.Config.CPUCount', 'VirtualMachine.Config.ChangeTracking',
    'VirtualMachine.Config.DiskExtend', 'VirtualMachine.Config.DiskLease',
    'VirtualMachine.Config.EditDevice', 'VirtualMachine.Config.HostUSBDevice',
    'VirtualMachine.Config.ManagedBy', 'VirtualMachine.Config.Memory',
    'VirtualMachine.Config.MksControl', 'VirtualMachine.Config.RawDevice',
    'VirtualMachine.Config.Rename', 'VirtualMachine.Config.Resource',
    'VirtualMachine.Config.SwapPlacement', 'VirtualMachine.Config.ToggleForkParent',
    'VirtualMachine.Interact.DeviceConnection', 'VirtualMachine.Interact.SetCDMedia',
    'VirtualMachine.Interact.SetFloppyMedia', 'VirtualMachine.Interact.Backup',
    'VirtualMachine.Interact.DnD', 'VirtualMachine.Interact.GuestControl',
    'VirtualMachine.Interact.SESparseMaintenance', 'VirtualMachine.Interact.Pause',
    'VirtualMachine.Inventory.CreateFromExisting', 'VirtualMachine.Inventory.Delete',
    'VirtualMachine.Inventory.Move', 'VirtualMachine.Provisioning.CloneTemplate',
    'VirtualMachine.Provisioning.CreateTemplateFromVM',
    'VirtualMachine.Provisioning.DeployTemplate',
    'VirtualMachine.Provisioning.DiskRandomAccess', 'VirtualMachine.Provisioning.GetVmFiles',
    'VirtualMachine.Provisioning.PutVmFiles',
    'VirtualMachine.GuestOperations.Query', 'VirtualMachine.GuestOperations.Modify',
    'VirtualMachine.GuestOperations.Execute',
    'VirtualMachine.GuestOperations.QueryAliases',
    'VirtualMachine.GuestOperations.ModifyAliases',
    'VApp.ApplicationConfig', 'VApp.AssignResourcePool', 'VApp.AssignVApp', 'VApp.AssignVM',
    'VApp.Delete', 'VApp.InstanceConfig', 'VApp.ManagedByConfig', 'VApp.Move',
    'VApp.Rename', 'VApp.ResourceConfig', 'VApp.PullFromUrls',
    'Cryptographer.Access', 'Cryptographer.AddDisk', 'Cryptographer.Clone',
    'Cryptographer.Decrypt', 'Cryptographer.Encrypt', 'Cryptographer.EncryptNew',
    'Cryptographer.Migrate', 'Cryptographer.Recrypt', 'Cryptographer.ReadKeyServersInfo',
    'StoragePod.Config', 'StorageProfile.View', 'StorageProfile.Update',
    'StorageViews.View', 'StorageViews.ConfigureService', 'Extension.Register',
    'Sessions.ValidateSession', 'Performance.ModifyIntervals', 'ContentLibrary.AddLibraryItem',
    'ContentLibrary.CreateLocalLibrary', 'ContentLibrary.DeleteLibraryItem',
    'ContentLibrary.DeleteLocalLibrary', 'ContentLibrary.DownloadSession',
    'ContentLibrary.ReadStorage', 'ContentLibrary.SyncLibrary',
    'ContentLibrary.UpdateLibrary', 'ContentLibrary.UpdateLibraryItem',
    'InventoryService.Tagging.AttachTag', 'InventoryService.Tagging.CreateCategory',
    'InventoryService.Tagging.CreateTag', 'InventoryService.Tagging.DeleteCategory',
    'InventoryService.Tagging.DeleteTag', 'InventoryService.Tagging.EditCategory',
    'InventoryService.Tagging.EditTag',
) + TRUSTED_ADMIN

# Privileges checked on the parent of the object the call is made on.
ON_PARENT = frozenset((
    'Folder.Delete', 'Datacenter.Delete', 'Datastore.Delete', 'Network.Delete',
    'DVSwitch.Delete', 'DVPortgroup.Delete', 'Host.Inventory.RemoveHostFromCluster',
    'Host.Inventory.DeleteCluster', 'VirtualMachine.Inventory.Delete',
    'VirtualMachine.Inventory.Unregister', 'Resource.EditPool', 'Resource.DeletePool',
    'VApp.ResourceConfig', 'VApp.Delete', 'VApp.Unregister',
    'InventoryService.Tagging.AttachTag', 'InventoryService.Tagging.ModifyUsedByForCategory',
    'InventoryService.Tagging.DeleteCategory', 'InventoryService.Tagging.EditTag',
    'InventoryService.Tagging.ModifyUsedByForTag', 'InventoryService.Tagging.CreateTag',
    'InventoryService.Tagging.DeleteTag', 'InventoryService.Tagging.EditCategory',
    'InventoryService.Tagging.CreateCategory'))

GROUP_LABELS = {
    'System': ('System', 'System'),
    'Global': ('Global', 'Global'),
    'Folder': ('Folder', 'Folder'),
    'Datacenter': ('Datacenter', 'Datacenter'),
    'Datastore': ('Datastore', 'Datastore'),
    'Network': ('Network', 'Networks'),
    'DVSwitch': ('Distributed switch', 'Distributed switch'),
    'DVPortgroup': ('Distributed port group', 'Distributed port group'),
    'Host': ('Host', 'Host'),
    'Host.Config': ('Configuration', 'Host configuration'),
    'Host.Inventory': ('Inventory', 'Host inventory'),
    'Host.Local': ('Local operations', 'Host local operations'),
    'Host.Cim': ('CIM', 'CIM'),
    'VirtualMachine': ('Virtual machine', 'Virtual machine'),
    'VirtualMachine.Config': ('Change Configuration', 'Virtual machine configuration'),
    'VirtualMachine.Interact': ('Interaction', 'Virtual machine interaction'),
    'VirtualMachine.Inventory': ('Edit Inventory', 'Virtual machine inventory'),
    'VirtualMachine.Provisioning': ('Provisioning', 'Virtual machine provisioning'),
    'VirtualMachine.State': ('Snapshot management', 'Virtual machine snapshot management'),
    'VirtualMachine.GuestOperations': ('Guest operations', 'Operations in a guest'),
    'Resource': ('Resource', 'Resource allocation'),
    'Alarm': ('Alarms', 'Alarms'),
    'Authorization': ('Permissions', 'Permissions'),
    'ScheduledTask': ('Scheduled task', 'Scheduled task'),
    'Sessions': ('Sessions', 'Sessions'),
    'Task': ('Tasks', 'Tasks'),
    'Extension': ('Extension', 'Extensions'),
    'Performance': ('Performance', 'Performance'),
    'VApp': ('vApp', 'vApp'),
    'Profile': ('Host profile', 'Host profile'),
    'Cryptographer': ('Cryptographic operations', 'Cryptographic operations'),
    'TrustedAdmin': ('Trusted Infrastructure administrator',
                     'Setup and monitoring of Trusted Infrastructure'),
    'StoragePod': ('Datastore cluster', 'Datastore cluster'),
    'StorageProfile': ('Profile-driven storage', 'Profile-driven storage'),
    'StorageViews': ('Storage views', 'Storage views'),
    'ContentLibrary': ('Content Library', 'Content Library'),
    'InventoryService': ('vSphere Tagging', 'vSphere Tagging'),
    'InventoryService.Tagging': ('vSphere Tagging', 'vSphere Tagging'),
    'Certificate': ('Certificates', 'Certificates'),
    'TenantManager': ('Tenant Manager', 'Tenant Manager'),
    'HealthUpdateProvider': ('Health update provider', 'Health update provider'),
}


def privilege_ids(schema):
    """Every privilege id of the catalog, sorted as vCenter lists them (System first)."""
    ids = set(SYSTEM_PRIVILEGES) | set(EXTRA_PRIVILEGES)
    for mt in schema.managed.values():
        for field in mt.own_properties:
            if field.privilege:
                ids.add(field.privilege)
        for op in mt.own_methods.values():
            if op.privilege:
                ids.add(op.privilege)
    for role in SAMPLE_ROLES:
        ids.update(role[4])
    ids.discard('')
    rest = sorted(ids - set(SYSTEM_PRIVILEGES))
    return list(SYSTEM_PRIVILEGES) + rest


@manager_type('AuthorizationManager')
class AuthorizationManager(Manager):

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        schema = server.schema
        T = schema.types
        ids = privilege_ids(schema)
        self.privilegeList = [T['AuthorizationPrivilege'].cls(
            privId=pid, onParent=pid in ON_PARENT, name=pid.rsplit('.', 1)[-1],
            privGroupName=pid.rsplit('.', 1)[0]) for pid in ids]
        groups = []
        for pid in ids:
            parts = pid.split('.')[:-1]
            for i in range(1, len(parts) + 1):
                group = '.'.join(parts[:i])
                if group not in groups:
                    groups.append(group)
        privilege_text = []
        for pid in ids:
            label, summary = SYSTEM_PRIVILEGE_TEXT.get(pid, (None, None))
            if label is None:
                label = words(pid.rsplit('.', 1)[-1])
                summary = '%s (%s)' % (label, GROUP_LABELS.get(
                    pid.rsplit('.', 1)[0], (words(pid.rsplit('.', 1)[0]),))[0])
            privilege_text.append(element(schema, pid, label, summary))
        group_text = []
        for group in groups:
            label, summary = GROUP_LABELS.get(group, (None, None))
            if label is None:
                label = summary = words(group.rsplit('.', 1)[-1])
            group_text.append(element(schema, group, label, summary))
        self.description = T['AuthorizationDescription'].cls(
            privilege=privilege_text, privilegeGroup=group_text)
        self.roleList = self._roles(schema, ids, server.esx)

    @staticmethod
    def _roles(schema, ids, esx):
        T = schema.types

        def role(role_id, name, label, summary, privileges, system):
            return T['AuthorizationRole'].cls(
                roleId=role_id, system=system, name=name,
                info=T['Description'].cls(label=label, summary=summary),
                privilege=sorted(set(privileges)))

        everything = [p for p in ids]
        no_crypto = [p for p in everything
                     if not p.startswith(('Cryptographer.', 'TrustedAdmin.'))]
        roles = []
        if not esx:
            roles.append(role(-8, 'NoTrustedAdmin', 'No Trusted Infrastructure administrator',
                              'Full access without Trusted Infrastructure privileges',
                              [p for p in everything if not p.startswith('TrustedAdmin.')],
                              True))
            roles.append(role(-7, 'TrustedAdmin', 'Trusted Infrastructure administrator',
                              'Setup and monitoring of Trusted Infrastructure',
                              SYSTEM_PRIVILEGES + TRUSTED_ADMIN, True))
        roles += [
            role(-6, 'NoCryptoAdmin', 'No cryptography administrator',
                 'Full access without Cryptographic operations and Trusted Infrastructure '
                 'privileges', no_crypto, True),
            role(-5, 'NoAccess', 'No access', 'Used for restricting granted access', [], True),
            role(-4, 'Anonymous', 'Anonymous', 'Not logged-in user (cannot be granted)',
                 ['System.Anonymous'], True),
            role(-3, 'View', 'View', 'Visibility access (cannot be granted)',
                 ['System.Anonymous', 'System.View'], True),
            role(-2, 'ReadOnly', 'Read-only', 'See details of objects, but not make changes',
                 list(SYSTEM_PRIVILEGES), True),
            role(-1, 'Admin', 'Administrator', 'Full access rights', everything, True),
        ]
        if not esx:
            for role_id, name, label, summary, privileges in SAMPLE_ROLES:
                roles.append(role(role_id, name, label, summary, privileges, False))
        return roles
