"""Access control, enforced: roles, permissions and their resolution, the
privilege check of every call and the filtering of reads, with a users file
(only its accounts log in, and only administrators may do everything) and
without one (anyone logs in as an administrator, as before).
"""
import base64
import http.client
import json
import urllib.error
import urllib.request

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of
from tests.rest_support import Door
from vimsim.managed.vm.simulated_guest import GUEST_PASSWORD

USERS = [{'user': 'admin@vsphere.local', 'password': 'adm1n', 'groups': ['Administrators']},
         {'user': 'reader@vsphere.local', 'password': 'r3ad', 'groups': ['Readers']},
         {'user': 'operator@vsphere.local', 'password': '0per', 'groups': ['Readers']},
         {'user': 'nobody@vsphere.local', 'password': 'n0ne'}]
PASSWORDS = {u['user'].split('@')[0]: (u['user'], u['password']) for u in USERS}
READ_ONLY, NO_ACCESS, ADMIN = -2, -5, -1
PC = vmodl.query.PropertyCollector


@pytest.fixture(scope='module')
def users_vc(validator, tmp_path_factory):
    path = tmp_path_factory.mktemp('authz') / 'users.json'
    path.write_text(json.dumps(USERS))
    return _simulator(validator, tls=False, users=str(path))


@pytest.fixture
def login(users_vc):
    """login('reader') -> a logged-in ServiceInstance; all logged out after."""
    opened = []

    def connect(name):
        user, password = PASSWORDS[name]
        si = users_vc.connect(user=user, pwd=password)
        opened.append(si)
        return si
    yield connect
    for si in opened:
        try:
            Disconnect(si)
        except Exception:
            pass


@pytest.fixture
def admin(login, users_vc):
    """The administrator's session; the permissions and roles it finds are
    put back afterwards, so each test starts from the default ones."""
    si = login('admin')
    manager = si.content.authorizationManager
    roles = {r.roleId for r in manager.roleList}
    before = {(p.entity, p.principal, p.group) for p in manager.RetrieveAllPermissions()}
    yield si
    for permission in manager.RetrieveAllPermissions():
        if (permission.entity, permission.principal, permission.group) not in before:
            manager.RemoveEntityPermission(permission.entity, permission.principal,
                                           permission.group)
    for role in manager.roleList:
        if role.roleId not in roles:
            manager.RemoveAuthorizationRole(role.roleId, False)


def grant(si, entity, principal, role_id, group=False, propagate=True):
    permission = vim.AuthorizationManager.Permission(
        principal=principal, group=group, roleId=role_id, propagate=propagate)
    si.content.authorizationManager.SetEntityPermissions(entity, [permission])


def first_vm(si):
    return si.content.rootFolder.childEntity[0].vmFolder.childEntity[0]


def same_vm(si, vm):
    return vim.VirtualMachine(vm._moId, si._stub)


def powered_off(si, vm):
    if vm.runtime.powerState != 'poweredOff':
        WaitForTask(vm.PowerOffVM_Task())
    return vm



def vm_names_spec(content):
    """A filter spec for the names of the VMs a container view of everything lists."""
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    return PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[PC.TraversalSpec(
            name='v', type=vim.view.ContainerView, path='view', skip=False)])],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=['name'])])

def test_a_vcenter_starts_with_its_administrators_as_admin(admin):
    manager = admin.content.authorizationManager
    root = admin.content.rootFolder
    [default] = manager.RetrieveAllPermissions()
    assert (default.entity, default.principal, default.group, default.roleId,
            default.propagate) == (root, 'VSPHERE.LOCAL\\Administrators', True, ADMIN, True)
    assert [p.principal for p in root.permission] == ['VSPHERE.LOCAL\\Administrators']
    assert first_vm(admin).permission == []
    assert root.effectiveRole == [ADMIN] and first_vm(admin).effectiveRole == [ADMIN]
    assert manager.RetrieveRolePermissions(ADMIN)[0].principal == default.principal
    inherited = manager.RetrieveEntityPermissions(first_vm(admin), True)
    assert [(p.entity, p.principal) for p in inherited] == [(root, default.principal)]
    assert manager.RetrieveEntityPermissions(first_vm(admin), False) == []


def test_a_read_only_user_reads_but_may_not_power_on(admin, login):
    vm = powered_off(admin, first_vm(admin))
    datacenter = admin.content.rootFolder.childEntity[0]
    grant(admin, datacenter, 'reader@vsphere.local', READ_ONLY)
    reader = login('reader')
    vms = all_of(reader, vim.VirtualMachine)
    assert len(vms) == len(all_of(admin, vim.VirtualMachine)) and vms
    mine = same_vm(reader, vm)
    assert mine.summary.config.name == vm.name
    assert mine.effectiveRole == [READ_ONLY]
    with pytest.raises(vim.fault.NoPermission) as refused:
        mine.PowerOnVM_Task()
    error = refused.value
    assert error.privilegeId == 'VirtualMachine.Interact.PowerOn'
    assert error.object == mine
    assert [(m.entity, m.privilegeIds) for m in error.missingPrivileges] == [
        (mine, ['VirtualMachine.Interact.PowerOn'])]
    # a role that may power on, on the VM's folder: now it may
    manager = admin.content.authorizationManager
    role = manager.AddAuthorizationRole('PowerOnly', ['VirtualMachine.Interact.PowerOn'])
    grant(admin, vm.parent, 'reader@vsphere.local', role)
    WaitForTask(mine.PowerOnVM_Task())
    # the folder's role overrides the datacenter's ReadOnly down that chain;
    # the ReadOnly still reaches the VM through its resource pool
    assert sorted(mine.effectiveRole) == sorted([role, READ_ONLY])
    task = admin.content.taskManager.recentTask[-1]
    assert task.info.reason.userName == 'reader@vsphere.local'
    # taken away: the same session's next call is refused
    manager.RemoveEntityPermission(vm.parent, 'reader@vsphere.local', False)
    with pytest.raises(vim.fault.NoPermission):
        mine.PowerOffVM_Task()
    powered_off(admin, vm)


def test_a_user_without_permissions_sees_nothing(admin, login):
    nobody = login('nobody')
    content = nobody.content
    view = content.viewManager.CreateContainerView(content.rootFolder, [], True)
    assert view.view == []
    view.DestroyView()
    vm = same_vm(nobody, first_vm(admin))
    with pytest.raises(vim.fault.NoPermission) as refused:
        vm.name
    assert refused.value.privilegeId == 'System.View'
    assert content.sessionManager.currentSession.userName == 'nobody@vsphere.local'


def test_permissions_propagate_and_the_nearest_wins(admin, login):
    """A group's ReadOnly on the datacenter, the user's own NoAccess on one
    VM: the user's wins there; a non-propagating permission stops at its
    entity; seeing something below a folder lets one see the folder."""
    datacenter = admin.content.rootFolder.childEntity[0]
    vm = first_vm(admin)
    grant(admin, datacenter, 'Readers', READ_ONLY, group=True)
    grant(admin, vm, 'operator@vsphere.local', NO_ACCESS)
    operator, reader = login('operator'), login('reader')
    everything = {v._moId for v in all_of(reader, vim.VirtualMachine)}
    assert vm._moId in everything
    assert {v._moId for v in all_of(operator, vim.VirtualMachine)} == everything - {vm._moId}
    with pytest.raises(vim.fault.NoPermission):
        same_vm(operator, vm).name
    # only on the folder itself: the VMs in it are not seen, the folder is
    manager = admin.content.authorizationManager
    manager.RemoveEntityPermission(datacenter, 'Readers', True)
    grant(admin, vm.parent, 'Readers', READ_ONLY, group=True, propagate=False)
    seen = reader.content.viewManager.CreateContainerView(reader.content.rootFolder, [], True)
    assert [o._moId for o in seen.view] == [datacenter._moId, vm.parent._moId]
    root = reader.content.rootFolder
    assert root.effectiveRole == [-3]          # the View role, implicitly
    with pytest.raises(vim.fault.NoPermission):
        same_vm(reader, vm).name


def test_a_vm_inherits_from_its_pool_and_its_folder(admin, login):
    """A role on a VM's resource pool reaches the VM, as one on its folder
    does, and what both give adds up."""
    vm = powered_off(admin, first_vm(admin))
    manager = admin.content.authorizationManager
    starters = manager.AddAuthorizationRole('Starters', ['VirtualMachine.Interact.PowerOn'])
    snapshots = manager.AddAuthorizationRole('Snapshots',
                                             ['VirtualMachine.State.CreateSnapshot'])
    grant(admin, vm.resourcePool, 'operator@vsphere.local', starters)
    operator = login('operator')
    mine = same_vm(operator, vm)
    assert mine.effectiveRole == [starters]
    WaitForTask(mine.PowerOnVM_Task())
    assert vm.runtime.powerState == 'poweredOn'
    with pytest.raises(vim.fault.NoPermission) as refused:
        mine.CreateSnapshot_Task('s1', '', False, False)
    assert refused.value.privilegeId == 'VirtualMachine.State.CreateSnapshot'
    grant(admin, vm.parent, 'operator@vsphere.local', snapshots)
    assert sorted(mine.effectiveRole) == sorted([starters, snapshots])
    WaitForTask(mine.CreateSnapshot_Task('s1', '', False, False))


def test_the_privilege_is_checked_on_arguments_and_parents(admin, login):
    """Destroying a VM takes VirtualMachine.Inventory.Delete on its folder
    (an on-parent privilege); relocating one needs Resource.AssignVMToPool
    on the target pool."""
    vm = powered_off(admin, first_vm(admin))
    manager = admin.content.authorizationManager
    role = manager.AddAuthorizationRole('Movers', ['VirtualMachine.Inventory.Delete',
                                                   'Resource.ColdMigrate'])
    grant(admin, vm, 'operator@vsphere.local', role)
    operator = login('operator')
    mine = same_vm(operator, vm)
    with pytest.raises(vim.fault.NoPermission) as refused:
        mine.Destroy_Task()
    assert refused.value.privilegeId == 'VirtualMachine.Inventory.Delete'
    assert refused.value.object == vm.parent
    pool = vm.resourcePool
    with pytest.raises(vim.fault.NoPermission) as refused:
        mine.RelocateVM_Task(vim.vm.RelocateSpec(pool=pool))
    assert (refused.value.privilegeId, refused.value.object) == ('Resource.AssignVMToPool', pool)


def test_roles(admin):
    manager = admin.content.authorizationManager
    role_id = manager.AddAuthorizationRole('Operators', ['VirtualMachine.Interact.PowerOn'])
    role = {r.roleId: r for r in manager.roleList}[role_id]
    assert role.privilege == ['System.Anonymous', 'System.Read', 'System.View',
                              'VirtualMachine.Interact.PowerOn']
    assert not role.system
    with pytest.raises(vim.fault.AlreadyExists):
        manager.AddAuthorizationRole('operators', [])
    with pytest.raises(vim.fault.InvalidName):
        manager.AddAuthorizationRole('', [])
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.AddAuthorizationRole('Other', ['No.Such.Privilege'])
    manager.UpdateAuthorizationRole(role_id, 'Operators2', ['VirtualMachine.Interact.PowerOff'])
    role = {r.roleId: r for r in manager.roleList}[role_id]
    assert (role.name, role.privilege[-1]) == ('Operators2', 'VirtualMachine.Interact.PowerOff')
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.UpdateAuthorizationRole(READ_ONLY, 'Mine', [])
    with pytest.raises(vim.fault.NotFound):
        manager.RemoveAuthorizationRole(12345, False)
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.RemoveAuthorizationRole(ADMIN, False)
    vm = first_vm(admin)
    grant(admin, vm, 'reader@vsphere.local', role_id)
    with pytest.raises(vim.fault.RemoveFailed):
        manager.RemoveAuthorizationRole(role_id, True)
    # merged into another: the permission follows
    other = manager.AddAuthorizationRole('Others', [])
    manager.MergePermissions(role_id, other)
    assert [p.roleId for p in vm.permission] == [other]
    with pytest.raises(vim.fault.AuthMinimumAdminPermission):
        manager.MergePermissions(ADMIN, other)
    manager.RemoveAuthorizationRole(other, False)      # and its permissions go with it
    assert vm.permission == []
    events = admin.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventTypeId=['RoleAddedEvent', 'RoleUpdatedEvent', 'RoleRemovedEvent',
                     'PermissionAddedEvent', 'PermissionUpdatedEvent', 'PermissionRemovedEvent']))
    kinds = [type(e).__name__.rsplit('.', 1)[-1] for e in reversed(events)][-7:]
    assert kinds == ['RoleAddedEvent', 'RoleUpdatedEvent', 'PermissionAddedEvent',
                     'RoleAddedEvent', 'PermissionUpdatedEvent', 'PermissionRemovedEvent',
                     'RoleRemovedEvent']
    assert events[0].userName == 'admin@vsphere.local'


def test_permission_faults(admin):
    manager = admin.content.authorizationManager
    root = admin.content.rootFolder
    vm = first_vm(admin)

    def permission(principal, role_id=READ_ONLY, group=False):
        return vim.AuthorizationManager.Permission(principal=principal, group=group,
                                                   roleId=role_id, propagate=True)
    with pytest.raises(vim.fault.UserNotFound) as refused:
        manager.SetEntityPermissions(vm, [permission('ghost@vsphere.local')])
    assert refused.value.principal == 'ghost@vsphere.local'
    with pytest.raises(vim.fault.UserNotFound):
        manager.SetEntityPermissions(vm, [permission('Ghosts', group=True)])
    with pytest.raises(vim.fault.NotFound):
        manager.SetEntityPermissions(vm, [permission('reader@vsphere.local', 999)])
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.SetEntityPermissions(vm, [permission('reader@vsphere.local', -3)])
    with pytest.raises(vim.fault.NotFound):
        manager.RemoveEntityPermission(vm, 'reader@vsphere.local', False)
    with pytest.raises(vim.fault.AuthMinimumAdminPermission):
        manager.RemoveEntityPermission(root, 'VSPHERE.LOCAL\\Administrators', True)
    with pytest.raises(vim.fault.AuthMinimumAdminPermission):
        manager.ResetEntityPermissions(root, [])
    assert len(manager.RetrieveAllPermissions()) == 1
    # a principal in either spelling, replaced rather than repeated
    manager.SetEntityPermissions(vm, [permission('VSPHERE.LOCAL\\reader')])
    manager.SetEntityPermissions(vm, [permission('Reader@vsphere.local', NO_ACCESS)])
    assert [(p.principal, p.roleId) for p in vm.permission] == [('VSPHERE.LOCAL\\Reader',
                                                                 NO_ACCESS)]
    manager.ResetEntityPermissions(vm, [])
    assert vm.permission == []


def test_the_root_folder_keeps_an_administrator(admin):
    """The API reference's rule (RemoveEntityPermission: "no Administrator
    permission on the root node"; KB 305822: grant Admin to another user or
    group first, then the Administrators group's can go): any principal's
    propagating Admin on the root folder keeps it administrable."""
    manager = admin.content.authorizationManager
    root = admin.content.rootFolder
    administrators = 'VSPHERE.LOCAL\\Administrators'

    def permission(principal, role_id=ADMIN, propagate=True, group=False):
        return vim.AuthorizationManager.Permission(principal=principal, group=group,
                                                   roleId=role_id, propagate=propagate)
    # alone, the Administrators group's Admin is neither weakened nor removed
    with pytest.raises(vim.fault.AuthMinimumAdminPermission) as refused:
        manager.SetEntityPermissions(root, [permission(administrators, READ_ONLY, group=True)])
    assert 'without full administrative privileges' in refused.value.msg
    with pytest.raises(vim.fault.AuthMinimumAdminPermission):
        manager.SetEntityPermissions(root, [permission(administrators, propagate=False,
                                                       group=True)])
    # another principal's propagating Admin there: now it may go
    grant(admin, root, 'admin@vsphere.local', ADMIN)
    manager.RemoveEntityPermission(root, administrators, True)
    assert [(p.principal, p.roleId) for p in root.permission] == [('VSPHERE.LOCAL\\admin', ADMIN)]
    with pytest.raises(vim.fault.AuthMinimumAdminPermission):
        manager.RemoveEntityPermission(root, 'admin@vsphere.local', False)
    with pytest.raises(vim.fault.AuthMinimumAdminPermission):
        manager.SetEntityPermissions(root, [permission('admin@vsphere.local', READ_ONLY)])
    manager.SetEntityPermissions(root, [permission(administrators, group=True)])
    assert len(root.permission) == 2


def test_permissions_are_applied_one_at_a_time(admin):
    """Set and Reset apply their permissions in order and stop at the first
    refused one, keeping those before it (as the API reference describes);
    Reset then removes the others one by one, stopping where the root would
    be left without an administrator."""
    manager = admin.content.authorizationManager
    root = admin.content.rootFolder
    administrators = 'VSPHERE.LOCAL\\Administrators'
    vm = first_vm(admin)

    def permission(principal, role_id=READ_ONLY, group=False):
        return vim.AuthorizationManager.Permission(principal=principal, group=group,
                                                   roleId=role_id, propagate=True)
    with pytest.raises(vim.fault.UserNotFound):
        manager.SetEntityPermissions(vm, [permission('reader@vsphere.local'),
                                          permission('ghost@vsphere.local'),
                                          permission('operator@vsphere.local')])
    assert [p.principal for p in vm.permission] == ['VSPHERE.LOCAL\\reader']
    manager.SetEntityPermissions(vm, [permission('reader@vsphere.local'),
                                      permission('reader@vsphere.local', NO_ACCESS)])
    assert [p.roleId for p in vm.permission] == [NO_ACCESS]     # the last one takes effect
    # Reset of the root to a reader: the reader is set, the Administrators'
    # removal is refused and stays
    with pytest.raises(vim.fault.AuthMinimumAdminPermission):
        manager.ResetEntityPermissions(root, [permission('reader@vsphere.local')])
    assert sorted(p.principal for p in root.permission) == [administrators,
                                                            'VSPHERE.LOCAL\\reader']
    manager.ResetEntityPermissions(root, [permission(administrators, ADMIN, True)])
    assert [p.principal for p in root.permission] == [administrators]


def test_only_who_may_modify_permissions_does(admin, login):
    reader_vm = first_vm(admin)
    grant(admin, reader_vm, 'reader@vsphere.local', READ_ONLY)
    reader = login('reader')
    with pytest.raises(vim.fault.NoPermission) as refused:
        grant(reader, same_vm(reader, reader_vm), 'reader@vsphere.local', ADMIN)
    assert refused.value.privilegeId == 'Authorization.ModifyPermissions'
    with pytest.raises(vim.fault.NoPermission) as refused:
        reader.content.authorizationManager.AddAuthorizationRole('Mine', [])
    assert refused.value.privilegeId == 'Authorization.ModifyRoles'


def test_privilege_questions(admin, login):
    manager = admin.content.authorizationManager
    vm = first_vm(admin)
    grant(admin, vm, 'reader@vsphere.local', READ_ONLY)
    reader = login('reader')
    session = reader.content.sessionManager.currentSession.key
    asked = ['System.Read', 'VirtualMachine.Interact.PowerOn']
    assert manager.HasPrivilegeOnEntity(vm, session, asked) == [True, False]
    [answer] = manager.HasPrivilegeOnEntities([vm], session, asked)
    assert answer.entity == vm
    assert [(a.privId, a.isGranted) for a in answer.privAvailability] == [
        ('System.Read', True), ('VirtualMachine.Interact.PowerOn', False)]
    [answer] = manager.HasUserPrivilegeOnEntities([vm], 'reader@vsphere.local', asked)
    assert [a.isGranted for a in answer.privAvailability] == [True, False]
    [fetched] = manager.FetchUserPrivilegeOnEntities([vm, vm.parent], 'reader@vsphere.local')[:1]
    assert fetched.privileges == ['System.Anonymous', 'System.Read', 'System.View']
    [_, folder] = manager.FetchUserPrivilegeOnEntities([vm, vm.parent], 'reader@vsphere.local')
    assert folder.privileges == ['System.View']      # implicitly, above what it may read
    [admins] = manager.FetchUserPrivilegeOnEntities([vm], 'admin@vsphere.local')
    assert len(admins.privileges) == len(manager.privilegeList)
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.HasPrivilegeOnEntity(vm, 'no-such-session', asked)


def test_the_user_directory(admin):
    directory = admin.content.userDirectory
    assert directory.domainList == ['VSPHERE.LOCAL']
    found = directory.RetrieveUserGroups(domain='VSPHERE.LOCAL', searchStr='read',
                                         exactMatch=False, findUsers=True, findGroups=True)
    assert [(r.principal, r.group) for r in found] == [('reader', False), ('Readers', True)]
    found = directory.RetrieveUserGroups(searchStr='Administrators', exactMatch=True,
                                         findUsers=False, findGroups=True)
    assert [r.principal for r in found] == ['Administrators']
    members = directory.RetrieveUserGroups(searchStr='', exactMatch=False, findUsers=True,
                                           findGroups=False, belongsToGroup='Readers')
    assert [r.principal for r in members] == ['operator', 'reader']
    groups = directory.RetrieveUserGroups(searchStr='', exactMatch=False, findUsers=False,
                                          findGroups=True, belongsToUser='admin@vsphere.local')
    assert [r.principal for r in groups] == ['Administrators']
    with pytest.raises(vim.fault.NotFound):
        directory.RetrieveUserGroups(domain='example.com', searchStr='', exactMatch=False,
                                     findUsers=True, findGroups=True)


def test_without_a_users_file_everyone_is_an_administrator(si):
    vm = all_of(si, vim.VirtualMachine)[0]
    assert vm.effectiveRole == [ADMIN]
    manager = si.content.authorizationManager
    assert manager.HasPrivilegeOnEntity(
        vm, si.content.sessionManager.currentSession.key,
        ['VirtualMachine.Interact.PowerOn']) == [True]


def test_a_property_needing_a_privilege_one_lacks_is_missing(admin, login):
    """A read-only user reads the session manager's own session but not
    sessionList (Sessions.TerminateSession): that property goes to
    missingSet with NoPermission, as a property read that faults does."""
    grant(admin, admin.content.rootFolder, 'reader@vsphere.local', READ_ONLY)
    reader = login('reader')
    PC = vmodl.query.PropertyCollector
    manager = reader.content.sessionManager
    [answer] = reader.content.propertyCollector.RetrieveProperties([PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=manager)],
        propSet=[PC.PropertySpec(type=vim.SessionManager,
                                 pathSet=['currentSession', 'sessionList'])])])
    assert [p.name for p in answer.propSet] == ['currentSession']
    [missing] = answer.missingSet
    assert missing.path == 'sessionList'
    assert isinstance(missing.fault, vim.fault.NoPermission)
    assert missing.fault.privilegeId == 'Sessions.TerminateSession'
    with pytest.raises(vim.fault.NoPermission):
        manager.sessionList                         # a Fetch faults


def test_impersonation_and_the_logins_vimsim_cannot_accept(admin, login):
    manager = admin.content.sessionManager
    reader = login('reader')
    with pytest.raises(vim.fault.NoPermission) as refused:
        reader.content.sessionManager.ImpersonateUser('admin@vsphere.local')
    assert refused.value.privilegeId == 'Sessions.ImpersonateUser'
    with pytest.raises(vim.fault.InvalidLogin):
        manager.ImpersonateUser('ghost@vsphere.local')
    become = login('admin')
    session = become.content.sessionManager.ImpersonateUser('nobody@vsphere.local')
    assert session.userName == 'nobody@vsphere.local'
    with pytest.raises(vim.fault.NoPermission):     # it now holds nobody's privileges
        become.content.authorizationManager.AddAuthorizationRole('Never', [])
    with pytest.raises(vim.fault.NoClientCertificate):
        manager.LoginExtensionByCertificate('com.example.ext')
    with pytest.raises(vim.fault.NoClientCertificate):
        manager.LoginExtensionBySubjectName('com.example.ext')
    with pytest.raises(vim.fault.InvalidLogin):
        manager.LoginBySSPI('TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==')


def test_a_hosts_user_directory_lists_accounts_it_creates(si):
    """HostLocalAccountManager.CreateUser's account is one of the host's
    users for its UserDirectory (it listed only the built-in ones)."""
    host = all_of(si, vim.HostSystem)[0]
    host.configManager.accountManager.CreateUser(vim.host.LocalAccountManager.AccountSpecification(
        id='operator', password='Oper4tor!pass', description='ops'))
    try:
        found = host.configManager.userDirectory.RetrieveUserGroups(
            searchStr='operator', exactMatch=True, findUsers=True, findGroups=False)
        assert [f.principal for f in found] == ['operator']
    finally:
        host.configManager.accountManager.RemoveUser('operator')


def test_a_hosts_user_directory_lists_its_local_users(si):
    host = all_of(si, vim.HostSystem)[0]
    directory = host.configManager.userDirectory
    assert directory.domainList == []
    found = directory.RetrieveUserGroups(searchStr='', exactMatch=False, findUsers=True,
                                         findGroups=False)
    assert [r.principal for r in found] == ['dcui', 'root', 'vpxuser']
    with pytest.raises(vim.fault.NotFound):
        directory.RetrieveUserGroups(domain='VSPHERE.LOCAL', searchStr='', exactMatch=False,
                                     findUsers=True, findGroups=True)


def test_a_permission_on_the_root_folder_taken_away_is_gone_at_the_next_call(admin, login):
    """Privileges the same everywhere are checked once and kept for the
    session's calls, until any permission changes."""
    root = admin.content.rootFolder
    grant(admin, root, 'reader@vsphere.local', READ_ONLY)
    reader = login('reader')
    vm = same_vm(reader, first_vm(admin))
    assert vm.name and vm.summary.config.name
    admin.content.authorizationManager.RemoveEntityPermission(root, 'reader@vsphere.local',
                                                             False)
    with pytest.raises(vim.fault.NoPermission):
        vm.name


def test_ip_pools_take_the_datacenter_privileges(admin, login):
    """Reading a datacenter's IP pools takes System.Read on it, changing
    them Datacenter.IpPoolConfig, reading allocations
    Datacenter.IpPoolQueryAllocations."""
    datacenter = admin.content.rootFolder.childEntity[0]
    grant(admin, datacenter, 'reader@vsphere.local', READ_ONLY)
    reader = login('reader')
    theirs = reader.content.ipPoolManager
    their_dc = vim.Datacenter(datacenter._moId, reader._stub)
    assert theirs.QueryIpPools(their_dc) == []
    with pytest.raises(vim.fault.NoPermission) as refused:
        theirs.CreateIpPool(their_dc, vim.vApp.IpPool(name='pool'))
    assert (refused.value.privilegeId, refused.value.object) == (
        'Datacenter.IpPoolConfig', datacenter)
    pool_id = admin.content.ipPoolManager.CreateIpPool(datacenter, vim.vApp.IpPool(name='p'))
    try:
        with pytest.raises(vim.fault.NoPermission) as refused:
            theirs.QueryIPAllocations(their_dc, pool_id, 'com.example')
        assert refused.value.privilegeId == 'Datacenter.IpPoolQueryAllocations'
        nobody = login('nobody')
        with pytest.raises(vim.fault.NoPermission) as refused:
            nobody.content.ipPoolManager.QueryIpPools(
                vim.Datacenter(datacenter._moId, nobody._stub))
        assert refused.value.privilegeId == 'System.Read'
    finally:
        admin.content.ipPoolManager.DestroyIpPool(datacenter, pool_id, True)


def test_events_and_tasks_show_only_what_the_user_may_read(admin, login):
    """A user who may read one VM sees its events and tasks, in QueryEvents,
    event and task collectors, EventManager.latestEvent and
    TaskManager.recentTask, and nothing about
    another VM (nor events about no entity, which are the root folder's)."""
    mine, other = all_of(admin, vim.VirtualMachine)[:2]
    for vm in (mine, other):
        powered_off(admin, vm)
        WaitForTask(vm.PowerOnVM_Task())
    grant(admin, mine, 'reader@vsphere.local', READ_ONLY)
    reader = login('reader')
    events = reader.content.eventManager

    def about(event):    # the VM an event is about (an alarm's or permission's entity)
        argument = event.vm or getattr(event, 'entity', None)
        return getattr(argument, 'vm', None) or getattr(argument, 'entity', None)
    seen = events.QueryEvents(vim.event.EventFilterSpec())
    assert seen and {about(e) for e in seen} == {mine}
    assert any(isinstance(e, vim.event.VmPoweredOnEvent) for e in seen)
    everything = admin.content.eventManager.QueryEvents(vim.event.EventFilterSpec())
    assert {about(e) for e in everything} >= {mine, other, None}
    collector = events.CreateCollectorForEvents(vim.event.EventFilterSpec())
    page = collector.latestPage
    assert page and {about(e) for e in page} == {mine}
    collector.RewindCollector()
    assert {about(e) for e in collector.ReadNextEvents(1000)} == {mine}
    tasks = reader.content.taskManager
    assert {t.info.entity for t in tasks.recentTask} == {mine}
    assert len(admin.content.taskManager.recentTask) > len(tasks.recentTask)
    task_collector = tasks.CreateCollectorForTasks(vim.TaskFilterSpec())
    assert {t.entity for t in task_collector.latestPage} == {mine}
    WaitForTask(other.PowerOffVM_Task())      # the newest event is about the other VM
    assert about(admin.content.eventManager.latestEvent) == other
    assert about(events.latestEvent) == mine


def folder_status(sim, method, name, user, body=None):
    """The status of a /folder request on DC0's LocalDS_0 by Basic credentials."""
    user, password = PASSWORDS[user]
    token = base64.b64encode(('%s:%s' % (user, password)).encode()).decode()
    connection = http.client.HTTPConnection(sim.host, sim.port, timeout=30)
    try:
        connection.request(method, '/folder/%s?dcPath=DC0&dsName=LocalDS_0' % name, body=body,
                           headers={'Authorization': 'Basic ' + token})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_folder_takes_the_datastore_privileges(admin, users_vc):
    """/folder reads need Datastore.Browse on the datastore, writes and
    deletions Datastore.FileManagement; an administrator has both."""
    assert folder_status(users_vc, 'PUT', 'authz.txt', 'admin', b'data') in (200, 201)
    datastore = next(ds for ds in all_of(admin, vim.Datastore) if ds.name == 'LocalDS_0')
    grant(admin, datastore, 'reader@vsphere.local', READ_ONLY)
    assert folder_status(users_vc, 'GET', 'authz.txt', 'reader') == 403
    manager = admin.content.authorizationManager
    browse = manager.AddAuthorizationRole('Browsers', ['Datastore.Browse'])
    grant(admin, datastore, 'reader@vsphere.local', browse)
    assert folder_status(users_vc, 'GET', 'authz.txt', 'reader') == 200
    assert folder_status(users_vc, 'HEAD', 'authz.txt', 'reader') == 200
    assert folder_status(users_vc, 'PUT', 'authz.txt', 'reader', b'mine') == 403
    assert folder_status(users_vc, 'DELETE', 'authz.txt', 'reader') == 403
    files = manager.AddAuthorizationRole('Filers', ['Datastore.Browse',
                                                    'Datastore.FileManagement'])
    grant(admin, datastore, 'reader@vsphere.local', files)
    assert folder_status(users_vc, 'PUT', 'authz.txt', 'reader', b'mine') == 200
    assert folder_status(users_vc, 'DELETE', 'authz.txt', 'reader') == 204
    assert folder_status(users_vc, 'GET', 'authz.txt', 'nobody') == 403


def test_guest_file_urls_need_the_privilege_when_used(admin, login):
    """A /guestFile URL is refused (403) once its user has lost the
    guest-operation privilege on the VM."""
    vm = first_vm(admin)
    if vm.runtime.powerState != 'poweredOn':
        WaitForTask(vm.PowerOnVM_Task())
    manager = admin.content.authorizationManager
    guests = manager.AddAuthorizationRole('Guests', ['VirtualMachine.GuestOperations.Query',
                                                     'VirtualMachine.GuestOperations.Modify'])
    grant(admin, vm, 'operator@vsphere.local', guests)
    operator = login('operator')
    files = operator.content.guestOperationsManager.fileManager
    auth = vim.vm.guest.NamePasswordAuthentication(username='root', password=GUEST_PASSWORD)
    mine = same_vm(operator, vm)
    url = files.InitiateFileTransferToGuest(mine, auth, '/tmp/authz.txt',
                                            vim.vm.guest.FileManager.FileAttributes(), 2, True)
    manager.RemoveEntityPermission(vm, 'operator@vsphere.local', False)
    request = urllib.request.Request(url, data=b'hi', method='PUT')
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403
    grant(admin, vm, 'operator@vsphere.local', guests)
    url = files.InitiateFileTransferToGuest(mine, auth, '/tmp/authz.txt',
                                            vim.vm.guest.FileManager.FileAttributes(), 2, True)
    with urllib.request.urlopen(urllib.request.Request(url, data=b'hi', method='PUT'),
                                timeout=30) as response:
        assert response.status == 200


def test_rest_tagging_takes_the_tagging_privileges(admin, users_vc):
    """A ReadOnly user may not create a category (unauthorized, 403) until
    it holds InventoryService.Tagging.CreateCategory on the root folder;
    attaching a tag takes AttachTag on the object tagged."""
    door = Door(users_vc)
    token = door.login(*PASSWORDS['reader'])
    grant(admin, admin.content.rootFolder, 'reader@vsphere.local', READ_ONLY)
    spec = {'name': 'authz', 'description': '', 'cardinality': 'MULTIPLE',
            'associable_types': []}
    refused = door.request('POST', '/api/cis/tagging/category', token, json=spec)
    assert refused.status_code == 403 and refused.json()['error_type'] == 'UNAUTHORIZED'
    manager = admin.content.authorizationManager
    taggers = manager.AddAuthorizationRole('Taggers', [
        'InventoryService.Tagging.CreateCategory', 'InventoryService.Tagging.CreateTag',
        'InventoryService.Tagging.DeleteCategory'])
    grant(admin, admin.content.rootFolder, 'reader@vsphere.local', taggers)
    category = door.request('POST', '/api/cis/tagging/category', token, json=spec).json()
    tag = door.request('POST', '/api/cis/tagging/tag', token, json={
        'name': 't', 'description': '', 'category_id': category}).json()
    vm = first_vm(admin)
    attach = {'object_id': {'type': 'VirtualMachine', 'id': vm._moId}}
    path = '/api/cis/tagging/tag-association/%s?action=attach' % tag
    assert door.request('POST', path, token, json=attach).status_code == 403
    attachers = manager.AddAuthorizationRole('Attachers', ['InventoryService.Tagging.AttachTag'])
    grant(admin, vm, 'reader@vsphere.local', attachers)
    assert door.request('POST', path, token, json=attach).status_code == 204
    assert [t.key for t in vm.tag] == ['t']
    assert door.request('DELETE', '/api/cis/tagging/category/' + category,
                        token).status_code == 204


def test_rest_vm_changes_take_the_privileges_sdk_takes(admin, users_vc):
    """VM power and delete through REST need what PowerOnVM_Task and
    Destroy_Task need through /sdk: a ReadOnly user is unauthorized (403)
    until a role gives it the privilege on the VM."""
    door = Door(users_vc)
    token = door.login(*PASSWORDS['operator'])
    vm = powered_off(admin, first_vm(admin))
    grant(admin, admin.content.rootFolder, 'operator@vsphere.local', READ_ONLY)
    start = '/api/vcenter/vm/%s/power?action=start' % vm._moId
    refused = door.request('POST', start, token)
    assert refused.status_code == 403 and refused.json()['error_type'] == 'UNAUTHORIZED'
    assert door.request('DELETE', '/api/vcenter/vm/' + vm._moId, token).status_code == 403
    assert vm.runtime.powerState == 'poweredOff'
    starters = admin.content.authorizationManager.AddAuthorizationRole(
        'Starters', ['VirtualMachine.Interact.PowerOn'])
    grant(admin, vm, 'operator@vsphere.local', starters)
    assert door.request('POST', start, token).status_code == 204
    assert vm.runtime.powerState == 'poweredOn'
    WaitForTask(vm.PowerOffVM_Task())


def test_every_privilege_a_check_needs_is_in_the_catalogue():
    """Else not even the Admin role, which holds the whole catalogue, would
    pass the check."""
    from vimsim import schema
    from vimsim.managed.admin import permissions
    from vimsim.managed.admin.authorization_manager import privilege_ids
    from vimsim.server import folder, guest_file
    known = set(privilege_ids(schema.load()))
    needed = {p for _, p in permissions.RENAME_PRIVILEGES + permissions.DESTROY_PRIVILEGES}
    needed |= {p for checks in permissions.ARGUMENT_PRIVILEGES.values() for _, p in checks}
    needed |= set(permissions.ON_PARENT)       # the tagging privileges among them
    needed |= set(folder.PRIVILEGES.values()) | set(guest_file.TRANSFER_PRIVILEGES.values())
    assert needed <= known, sorted(needed - known)


def test_a_property_filter_reports_only_what_the_user_sees(admin, login):
    """CreateFilter over a container view: the VMs of the folder the user
    may read enter, the others never do."""
    vm = first_vm(admin)
    grant(admin, vm.parent, 'reader@vsphere.local', READ_ONLY, propagate=False)
    grant(admin, vm, 'reader@vsphere.local', READ_ONLY)
    reader = login('reader')
    content = reader.content
    spec = vm_names_spec(content)
    collector = content.propertyCollector.CreatePropertyCollector()
    collector.CreateFilter(spec, True)
    update = collector.WaitForUpdatesEx('', PC.WaitOptions(maxWaitSeconds=0))
    entered = [o.obj._moId for f in update.filterSet for o in f.objectSet if o.kind == 'enter']
    assert entered == [vm._moId]
    collector.DestroyPropertyCollector()


def test_an_esx_host_starts_with_root_as_admin(esx):
    si = esx.connect(user='root', pwd='pass')
    try:
        manager = si.content.authorizationManager
        found = [(p.principal, p.group, p.roleId) for p in manager.RetrieveAllPermissions()]
        assert found == [('root', False, ADMIN), ('Administrators', True, ADMIN)]
        assert si.content.rootFolder.effectiveRole == [ADMIN]
        assert si.content.userDirectory.domainList == []
    finally:
        Disconnect(si)


def test_a_filter_follows_a_vm_moved_out_of_sight(admin, login):
    """A property filter's reads are not answered from an earlier flush's
    view of the inventory: a VM moved to a folder the user may not see leaves."""
    vm = powered_off(admin, first_vm(admin))
    home = vm.parent
    hidden = home.CreateFolder('hidden')
    seen = home.CreateFolder('seen')
    WaitForTask(seen.MoveIntoFolder_Task([vm]))
    grant(admin, seen, 'reader@vsphere.local', READ_ONLY)
    reader = login('reader')
    content = reader.content
    spec = vm_names_spec(content)
    collector = content.propertyCollector.CreatePropertyCollector()
    try:
        collector.CreateFilter(spec, True)
        update = collector.WaitForUpdatesEx('', PC.WaitOptions(maxWaitSeconds=0))
        assert [o.obj._moId for f in update.filterSet for o in f.objectSet] == [vm._moId]
        WaitForTask(hidden.MoveIntoFolder_Task([vm]))
        update = collector.WaitForUpdatesEx(update.version, PC.WaitOptions(maxWaitSeconds=5))
        assert [(o.obj._moId, o.kind) for f in update.filterSet for o in f.objectSet] == [
            (vm._moId, 'leave')]
    finally:
        collector.DestroyPropertyCollector()
        WaitForTask(home.MoveIntoFolder_Task([vm]))
        for folder in (hidden, seen):
            WaitForTask(folder.Destroy_Task())
