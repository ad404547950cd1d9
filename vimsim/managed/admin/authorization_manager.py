"""AuthorizationManager: privileges, roles, permissions.

The privilege catalog is derived from the API itself: every privilege id that
a managed property or method of the schema requires, plus the ones the
built-in roles grant. Roles are vCenter's system roles (negative ids) and the
sample roles it ships; an ESXi host has only the system roles.

Permissions live in a `permissions.PermissionTable`, which also resolves
them; a vCenter starts with the Administrators group (every user, without a
users file) as Admin on the root folder, an ESXi host with root too. No
change may leave the root folder without a propagating Admin permission
(AuthMinimumAdminPermission, as the API reference documents it for
RemoveEntityPermission); any principal's will do, so the Administrators
group's goes once another has one.
"""
import functools

from vimsim.managed.admin.permissions import (ON_PARENT, READ, VIEW_ROLE, Access, Grant,
                                              PermissionTable, above, access_of, read_filter)
from vimsim.managed.manager import Manager, element, manager_type, words
from vimsim.soap.fault import InvalidArgument, NotFound, fault
from vimsim.users import ADMINISTRATORS, Directory, Principal

SYSTEM_PRIVILEGES = ('System.Anonymous', 'System.View', 'System.Read')
ADMIN_ROLE = -1
ANONYMOUS_ROLE = -4

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
    'ContentLibrary.CreateSubscribedLibrary', 'ContentLibrary.DeleteSubscribedLibrary',
    'ContentLibrary.EvictLibraryItem', 'ContentLibrary.EvictSubscribedLibrary',
    'ContentLibrary.ProbeSubscription', 'ContentLibrary.PublishLibrary',
    'ContentLibrary.PublishLibraryItem', 'ContentLibrary.SyncLibraryItem',
    'ContentLibrary.UpdateLocalLibrary', 'ContentLibrary.UpdateSession',
    'ContentLibrary.UpdateSubscribedLibrary',
    'InventoryService.Tagging.AttachTag', 'InventoryService.Tagging.CreateCategory',
    'InventoryService.Tagging.CreateTag', 'InventoryService.Tagging.DeleteCategory',
    'InventoryService.Tagging.DeleteTag', 'InventoryService.Tagging.EditCategory',
    'InventoryService.Tagging.EditTag', 'InventoryService.Tagging.ModifyUsedByForCategory',
    'InventoryService.Tagging.ModifyUsedByForTag',
) + TRUSTED_ADMIN

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
        ids = privilege_ids(schema)
        self.roleList = self._roles(schema, ids, server.esx)
        self.privilege_ids = frozenset(ids)
        sessions = server.session_manager
        self.directory = Directory(None if sessions.accounts is None
                                   else list(sessions.accounts.values()),
                                   server.esx, sessions.username)
        self._table = PermissionTable()
        self._table.roles = {role.roleId: frozenset(role.privilege) for role in self.roleList}
        self._seeded = False
        server.authorization_manager = self

    @functools.cached_property
    def privilegeList(self):
        """The AuthorizationPrivileges, made on first read (as `description`):
        a start or reset needs only their ids."""
        Privilege = self.server.schema.types['AuthorizationPrivilege'].cls
        return [Privilege(privId=pid, onParent=pid in ON_PARENT, name=pid.rsplit('.', 1)[-1],
                          privGroupName=pid.rsplit('.', 1)[0])
                for pid in privilege_ids(self.server.schema)]

    @functools.cached_property
    def description(self):
        schema = self.server.schema
        ids = privilege_ids(schema)
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
        return schema.types['AuthorizationDescription'].cls(
            privilege=privilege_text, privilegeGroup=group_text)

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


    # -- the permission table ----------------------------------------------------
    @property
    def table(self):
        """The permissions; the default ones are given to the root folder
        once it exists (it is built after the managers)."""
        if not self._seeded:
            root = getattr(self.server, 'root_folder', None)
            if root is not None:
                self._seeded = True
                esx = self.server.esx
                defaults = [Grant(Principal(ADMINISTRATORS, esx), True, ADMIN_ROLE, True)]
                if esx:
                    defaults.insert(0, Grant(Principal('root', esx), False, ADMIN_ROLE, True))
                self._table.on_entity[root.ref] = {g.key: g for g in defaults}
        return self._table

    def read_filter(self, ctx):
        """permissions.read_filter, for the event and task stores (which
        sit below this package)."""
        return read_filter(ctx)

    def permission_objects(self, ref, grants=None):
        """Permission data objects of an entity's grants."""
        Permission = self.server.schema.types['Permission'].cls
        return [Permission(entity=ref, principal=str(g.principal), group=g.group,
                           roleId=g.role_id, propagate=g.propagate)
                for g in (self.table.grants(ref) if grants is None else grants)]

    def _role(self, role_id):
        for role in self.roleList:
            if role.roleId == role_id:
                return role
        raise NotFound('The role %s was not found.' % role_id)

    def _entity(self, ref):
        """The live entity a MoRef argument names."""
        obj = self.server.objects.resolve(ref)
        if not self.server.schema.managed[obj.type_name].is_a('ManagedEntity'):
            raise InvalidArgument('entity')
        return obj

    def _keeps_an_administrator(self, obj, grants):
        """Refuse a change that would leave the root folder with `grants`
        and no propagating Admin permission: nobody could administer the
        inventory any more."""
        if obj is not self.server.root_folder:
            return
        if not any(g.role_id == ADMIN_ROLE and g.propagate for g in grants):
            raise fault('AuthMinimumAdminPermission', 'The requested change cannot be '
                        'completed because it could leave the system without full '
                        'administrative privileges for a user or group.')

    def _events(self):
        return getattr(self.server, 'event_manager', None)

    def _role_argument(self, role):
        return self.server.schema.types['RoleEventArgument'].cls(
            roleId=role.roleId, name=role.name)

    def _roles_changed(self):
        table = self.table
        table.roles = {r.roleId: frozenset(r.privilege) for r in self.roleList}
        table.changed()
        self.changed('roleList')

    # -- roles --------------------------------------------------------------------
    def _checked_privileges(self, privileges):
        unknown = [p for p in privileges if p not in self.privilege_ids]
        if unknown:
            raise InvalidArgument('privIds', 'Unknown privilege %s' % unknown[0])
        return sorted(set(privileges) | set(SYSTEM_PRIVILEGES))

    def _check_role_name(self, name, role_id=None):
        if not name or not name.strip():
            raise fault('InvalidName', "The name '%s' is invalid." % (name or ''),
                        name=name or '')
        for role in self.roleList:
            if role.roleId != role_id and role.name.casefold() == name.casefold():
                raise fault('AlreadyExists', "The role '%s' already exists." % name,
                            name=name)

    def _modifiable(self, role_id):
        role = self._role(role_id)
        if role.system:
            raise InvalidArgument('roleId', 'The system role %s cannot be changed.' % role.name)
        return role

    def AddAuthorizationRole(self, ctx, name, privIds):
        self._check_role_name(name)
        privileges = self._checked_privileges(privIds)
        T = self.server.schema.types
        role = T['AuthorizationRole'].cls(
            roleId=max(r.roleId for r in self.roleList) + 1, system=False, name=name,
            info=T['Description'].cls(label=name, summary=name), privilege=privileges)
        self.roleList.append(role)
        self._roles_changed()
        events = self._events()
        if events is not None:
            events.post('RoleAddedEvent', ctx=ctx, role=self._role_argument(role),
                        privilegeList=privileges)
        return role.roleId

    def UpdateAuthorizationRole(self, ctx, roleId, newName, privIds):
        role = self._modifiable(roleId)
        self._check_role_name(newName, roleId)
        privileges = self._checked_privileges(privIds)
        before_name, before = role.name, set(role.privilege)
        role.name = newName
        role.info = self.server.schema.types['Description'].cls(label=newName, summary=newName)
        role.privilege = privileges
        self._roles_changed()
        events = self._events()
        if events is not None:
            events.post('RoleUpdatedEvent', ctx=ctx, role=self._role_argument(role),
                        privilegeList=privileges, prevRoleName=before_name,
                        privilegesAdded=sorted(set(privileges) - before),
                        privilegesRemoved=sorted(before - set(privileges)))

    def RemoveAuthorizationRole(self, ctx, roleId, failIfUsed):
        role = self._modifiable(roleId)
        table = self.table
        used = [(ref, grant) for ref, grants in table.on_entity.items()
                for grant in grants.values() if grant.role_id == roleId]
        if used and failIfUsed:
            raise fault('RemoveFailed', 'The role %s is used by %d permissions.' % (
                role.name, len(used)))
        for ref, grant in used:
            self._remove_grant(ctx, ref, grant)
        self.roleList.remove(role)
        self._roles_changed()
        events = self._events()
        if events is not None:
            events.post('RoleRemovedEvent', ctx=ctx, role=self._role_argument(role))

    def MergePermissions(self, ctx, srcRoleId, dstRoleId):
        source, target = self._role(srcRoleId), self._role(dstRoleId)
        if source is target:
            raise InvalidArgument('dstRoleId', 'A role cannot be merged into itself.')
        if source.roleId == ADMIN_ROLE:
            raise fault('AuthMinimumAdminPermission', 'The permissions of the Admin role '
                        'cannot be reassigned.')
        if source.system:
            raise InvalidArgument('srcRoleId')
        for ref, grants in list(self.table.on_entity.items()):
            for grant in list(grants.values()):
                if grant.role_id == srcRoleId:
                    self._put_grant(ctx, ref, Grant(grant.principal, grant.group, dstRoleId,
                                                    grant.propagate))

    def RetrieveRolePermissions(self, ctx, roleId):
        self._role(roleId)
        return self._permissions_where(lambda grant: grant.role_id == roleId)

    # -- permissions --------------------------------------------------------------
    def RetrieveAllPermissions(self, ctx):
        return self._permissions_where(lambda grant: True)

    def _permissions_where(self, wanted):
        """The permissions of the entities that exist whose grants are `wanted`."""
        found = []
        live = self.server.objects.get
        for ref, grants in list(self.table.on_entity.items()):
            if live(ref) is not None:
                found += self.permission_objects(ref, [g for g in grants.values() if wanted(g)])
        return found

    def RetrieveEntityPermissions(self, ctx, entity, inherited):
        obj = self._entity(entity)
        access_of(ctx).demand(obj, READ)
        found = self.permission_objects(obj.ref)
        if inherited:
            parent = above(obj)
            while parent is not None:
                found += self.permission_objects(
                    parent.ref, [g for g in self.table.grants(parent.ref) if g.propagate])
                parent = above(parent)
        return found

    def _grant(self, permission):
        """The Grant a Permission argument asks for; faults for a role that
        cannot be granted or an unknown principal."""
        role = self._role(permission.roleId)
        if role.roleId in (ANONYMOUS_ROLE, VIEW_ROLE):
            raise InvalidArgument('roleId', 'The role %s cannot be granted.' % role.name)
        directory = self.directory
        if not directory.exists(permission.principal, permission.group):
            raise fault('UserNotFound', 'The user or group %s was not found.' %
                        permission.principal, principal=permission.principal,
                        unresolved=False)
        return Grant(Principal(permission.principal, directory.esx), permission.group,
                     permission.roleId, permission.propagate)

    def _set_each(self, ctx, obj, permissions):
        """Set `permissions` on the entity one at a time, in order, as
        vCenter does: a refused one ends the call, those before it stay set
        (so the last of one principal's takes effect). The keys set."""
        keys = set()
        for permission in permissions:
            grant = self._grant(permission)
            grants = dict(self.table.on_entity.get(obj.ref, {}))
            grants[grant.key] = grant
            self._keeps_an_administrator(obj, grants.values())
            self._put_grant(ctx, obj.ref, grant)
            keys.add(grant.key)
        return keys

    def _remove_checked(self, ctx, obj, key):
        """Remove one principal's permission on the entity, unless that
        leaves the root folder without an administrator."""
        grants = dict(self.table.on_entity.get(obj.ref, {}))
        grant = grants.pop(key)
        self._keeps_an_administrator(obj, grants.values())
        self._remove_grant(ctx, obj.ref, grant)

    def _put_grant(self, ctx, ref, grant):
        before = self.table.put(ref, grant)
        events = self._events()
        obj = self.server.objects.get(ref)
        if obj is not None:
            obj.changed('permission', 'effectiveRole')
        if events is None or obj is None:
            return
        arguments = dict(entity=self._entity_argument(obj), principal=str(grant.principal),
                         group=grant.group, role=self._role_argument(self._role(grant.role_id)),
                         propagate=grant.propagate)
        if before is None:
            events.post('PermissionAddedEvent', ctx=ctx, **arguments)
        else:
            events.post('PermissionUpdatedEvent', ctx=ctx, prevPropagate=before.propagate,
                        prevRole=self._role_argument(self._role(before.role_id)), **arguments)

    def _remove_grant(self, ctx, ref, grant):
        self.table.take(ref, grant.key)
        obj = self.server.objects.get(ref)
        if obj is None:
            return
        obj.changed('permission', 'effectiveRole')
        events = self._events()
        if events is not None:
            events.post('PermissionRemovedEvent', ctx=ctx, entity=self._entity_argument(obj),
                        principal=str(grant.principal), group=grant.group)

    def _entity_argument(self, obj):
        return self.server.schema.types['ManagedEntityEventArgument'].cls(
            entity=obj.ref, name=obj.name)

    def _modifying(self, ctx, entity):
        obj = self._entity(entity)
        access_of(ctx).demand(
            obj, 'Authorization.ModifyPermissions')
        return obj

    def SetEntityPermissions(self, ctx, entity, permission):
        self._set_each(ctx, self._modifying(ctx, entity), permission)

    def ResetEntityPermissions(self, ctx, entity, permission):
        """The new set first, then the entity's other permissions go one by
        one (vCenter's order: a refused removal leaves the rest in place)."""
        obj = self._modifying(ctx, entity)
        kept = self._set_each(ctx, obj, permission)
        for key in list(self.table.on_entity.get(obj.ref, {})):
            if key not in kept:
                self._remove_checked(ctx, obj, key)

    def RemoveEntityPermission(self, ctx, entity, user, isGroup):
        obj = self._modifying(ctx, entity)
        key = (Principal(user, self.directory.esx).key, bool(isGroup))
        if key not in self.table.on_entity.get(obj.ref, {}):
            raise NotFound('No permission of %s is set on %s.' % (user, obj.name))
        self._remove_checked(ctx, obj, key)

    # -- privilege checks -----------------------------------------------------------
    def _entities(self, refs):
        return [self._entity(ref) for ref in refs]

    def _session_access(self, session_id):
        session = self.server.session_manager.sessions.get(session_id)
        if session is None:
            raise InvalidArgument('sessionId', 'No session %s' % session_id)
        return Access(self.server, session.user, session)

    def _availability(self, access, obj, privileges):
        T = self.server.schema.types
        return T['EntityPrivilege'].cls(entity=obj.ref, privAvailability=[
            T['PrivilegeAvailability'].cls(privId=p, isGranted=access.may(obj, p))
            for p in privileges])

    def HasPrivilegeOnEntity(self, ctx, entity, sessionId, privId):
        obj = self._entity(entity)
        access = self._session_access(sessionId)
        return [access.may(obj, p) for p in privId]

    def HasPrivilegeOnEntities(self, ctx, entity, sessionId, privId):
        access = self._session_access(sessionId)
        return [self._availability(access, obj, privId) for obj in self._entities(entity)]

    def HasUserPrivilegeOnEntities(self, ctx, entities, userName, privId):
        access = Access(self.server, userName)
        return [self._availability(access, obj, privId) for obj in self._entities(entities)]

    def FetchUserPrivilegeOnEntities(self, ctx, entities, userName):
        access = Access(self.server, userName)
        Result = self.server.schema.types['UserPrivilegeResult'].cls
        return [Result(entity=obj.ref, privileges=access.privileges(obj))
                for obj in self._entities(entities)]

