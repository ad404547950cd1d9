"""Permissions: who holds which privileges where, resolved as vCenter does.

A permission gives a principal (a user or a group) a role on an entity,
propagating to the entities below it or not. For a user on an entity the
nearest entity up the inventory (the entity itself, then its parents) with a
permission that applies decides: there the user's own permission wins over
its groups', whose roles add up; a permission on an ancestor applies only if
it propagates. A VM without a permission of its own inherits from both its
folder and its resource pool (or vApp), their privileges added up, as
vCenter's do. A user who holds System.View somewhere also sees, implicitly,
every entity above it, so that it can find what it was granted.

Objects that are not entities are governed by an entity: a host's managers by
the host, a snapshot by its VM, a task by its entity, the service managers by
the root folder; every session holds System.Anonymous and System.View on
those service managers (what logging in gives), and everything on the
objects it owns (its views, filters and collectors).

`Access` is one call's view of one session's privileges. The user's
permissions are kept per session until a permission or role changes
(`PermissionTable.version`); what entities inherit is memoized for one call
only, since the inventory may change between calls. A user whose
permissions are all on the root folder and propagate has the same
privileges everywhere (`Access.uniform`): no object needs a check of its
own, and one Access serves all the session's calls until a permission
changes.
"""
from vimsim import schema as _schema
from vimsim.schema import MoRef
from vimsim.soap.fault import fault
from vimsim.users import Principal

ANONYMOUS = 'System.Anonymous'
VIEW = 'System.View'
READ = 'System.Read'
SERVICE_PRIVILEGES = frozenset((ANONYMOUS, VIEW))
VIEW_ROLE = -3
MEMO_LIMIT = 256      # path lists an Access remembers the needs of
OWNED = object()   # Access.governing of an object the session owns: it may do anything

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

# ManagedEntity's Rename_Task and Destroy_Task need the privilege of the
# entity's type (the schema records none for them).
RENAME_PRIVILEGES = (
    ('VirtualMachine', 'VirtualMachine.Config.Rename'), ('VirtualApp', 'VApp.Rename'),
    ('ResourcePool', 'Resource.RenamePool'), ('Folder', 'Folder.Rename'),
    ('Datacenter', 'Datacenter.Rename'), ('ComputeResource', 'Host.Inventory.RenameCluster'),
    ('Datastore', 'Datastore.Rename'), ('StoragePod', 'StoragePod.Config'),
    ('DistributedVirtualSwitch', 'DVSwitch.Modify'),
    ('DistributedVirtualPortgroup', 'DVPortgroup.Modify'), ('Network', 'Network.Config'),
    ('HostSystem', 'Host.Config.Settings'))
DESTROY_PRIVILEGES = (
    ('VirtualMachine', 'VirtualMachine.Inventory.Delete'), ('VirtualApp', 'VApp.Delete'),
    ('ResourcePool', 'Resource.DeletePool'), ('Folder', 'Folder.Delete'),
    ('Datacenter', 'Datacenter.Delete'),
    ('ClusterComputeResource', 'Host.Inventory.DeleteCluster'),
    ('ComputeResource', 'Host.Inventory.RemoveHostFromCluster'),
    ('HostSystem', 'Host.Inventory.RemoveHostFromCluster'),
    ('Datastore', 'Datastore.Delete'), ('StoragePod', 'Folder.Delete'),
    ('DistributedVirtualSwitch', 'DVSwitch.Delete'),
    ('DistributedVirtualPortgroup', 'DVPortgroup.Delete'), ('Network', 'Network.Delete'))
TYPED_PRIVILEGES = {'Rename_Task': RENAME_PRIVILEGES, 'Destroy_Task': DESTROY_PRIVILEGES}

# Entities passed in arguments that vCenter checks a privilege on, beside
# the method's own on `_this`: operation -> ((argument path, privilege), ...)
ARGUMENT_PRIVILEGES = {
    'RelocateVM_Task': (('spec.pool', 'Resource.AssignVMToPool'),
                        ('spec.datastore', 'Datastore.AllocateSpace')),
    'CloneVM_Task': (('folder', 'VirtualMachine.Inventory.CreateFromExisting'),
                     ('spec.location.pool', 'Resource.AssignVMToPool'),
                     ('spec.location.datastore', 'Datastore.AllocateSpace')),
    'InstantClone_Task': (('spec.location.folder', 'VirtualMachine.Inventory.CreateFromExisting'),
                          ('spec.location.pool', 'Resource.AssignVMToPool'),
                          ('spec.location.datastore', 'Datastore.AllocateSpace')),
    'CreateVM_Task': (('pool', 'Resource.AssignVMToPool'),),
    'RegisterVM_Task': (('pool', 'Resource.AssignVMToPool'),),
    'MigrateVM_Task': (('pool', 'Resource.AssignVMToPool'),),
    'QueryIpPools': (('dc', READ),),
    'CreateIpPool': (('dc', 'Datacenter.IpPoolConfig'),),
    'UpdateIpPool': (('dc', 'Datacenter.IpPoolConfig'),),
    'DestroyIpPool': (('dc', 'Datacenter.IpPoolConfig'),),
    'ReleaseIpAllocation': (('dc', 'Datacenter.IpPoolReleaseIp'),),
    'QueryIPAllocations': (('dc', 'Datacenter.IpPoolQueryAllocations'),),
}


class Grant:
    """One permission: `principal` (a users.Principal) holds role `role_id`
    on an entity, for the entities below it too when `propagate`."""
    __slots__ = ('principal', 'group', 'role_id', 'propagate')

    def __init__(self, principal, group, role_id, propagate):
        self.principal = principal
        self.group = group
        self.role_id = role_id
        self.propagate = propagate

    @property
    def key(self):
        return (self.principal.key, self.group)


class PermissionTable:
    """Every permission, by entity reference, and the privileges of every
    role. `version` moves with every change of either."""

    def __init__(self):
        self.on_entity = {}    # MoRef -> {(principal key, group): Grant}, in order set
        self.roles = {}        # role id -> frozenset of privilege ids
        self.version = 0

    def changed(self):
        self.version += 1

    def grants(self, ref):
        return list(self.on_entity.get(ref, {}).values())

    def put(self, ref, grant):
        """Add or replace a principal's permission on an entity; the one it
        replaces, if any."""
        grants = self.on_entity.setdefault(ref, {})
        before = grants.get(grant.key)
        grants[grant.key] = grant
        self.changed()
        return before

    def take(self, ref, key):
        grants = self.on_entity.get(ref)
        grant = grants.pop(key, None) if grants else None
        if grants is not None and not grants:
            del self.on_entity[ref]
        self.changed()
        return grant


class _Resolved:
    """What one entity's permissions give one user: on the entity itself,
    and passed down to the entities below (None: nothing, look higher)."""
    __slots__ = ('own', 'passed')

    def __init__(self, own, passed):
        self.own = own
        self.passed = passed


class Held:
    """Privileges held on an entity, and the roles they come from."""
    __slots__ = ('privileges', 'roles')

    def __init__(self, privileges, roles):
        self.privileges = privileges
        self.roles = roles


NOTHING = Held(frozenset(), ())


def joined(one, other):
    """What two parents pass down together: their privileges added up."""
    if one is NOTHING or one is other:
        return other
    if other is NOTHING:
        return one
    return Held(one.privileges | other.privileges, tuple(sorted({*one.roles, *other.roles})))


def user_grants(table, user, groups):
    """{entity ref: _Resolved} for a user (a users.Principal key) and the
    keys of its groups: what each entity's permissions give the user."""
    resolved = {}
    roles = table.roles

    def held(grants):
        if not grants:
            return None
        privileges = frozenset().union(*(roles.get(g.role_id, frozenset()) for g in grants))
        return Held(privileges, tuple(sorted({g.role_id for g in grants})))

    for ref, grants in table.on_entity.items():
        mine = grants.get((user, False))
        theirs = [grant for (key, group), grant in grants.items() if group and key in groups]
        if mine is None and not theirs:
            continue
        own = held([mine] if mine is not None else theirs)
        if mine is not None and mine.propagate:
            passed = own
        else:
            passed = held([grant for grant in theirs if grant.propagate])
        resolved[ref] = _Resolved(own, passed)
    return resolved


class Access:
    """One call's privileges of one session (see the module docstring)."""

    def __init__(self, server, user, session=None):
        self.server = server
        self.session = session
        manager = server.authorization_manager
        table = manager.table
        cached = session.grants if session is not None else None
        if cached is None or cached[0] != table.version:
            directory = manager.directory
            cached = (table.version, user_grants(
                table, Principal(user, directory.esx).key, directory.groups_of(user)))
            if session is not None:
                session.grants = cached
        self.version, self._grants = cached
        self._root = server.root_folder
        # memos, by id() of the entity (a MoRef hashes slowly), of one call
        # (a uniform Access, which uses none of them, serves many: access_of);
        # `_pinned` keeps the entities alive, so their ids stay theirs
        self._pinned = []
        self._granted = None     # id(entity) -> _Resolved, made on first use
        self._from_parent = {}   # id(parent MoRef) -> the Held its entity passes down
        self._seen = {}          # id(object) -> whether the user sees it
        self._inherited = {}     # id(entity) -> the Held it passes down
        self._from_both = {}     # (id(parent MoRef), id(pool)) -> a VM's Held from both
        self._viewable = None    # refs seen through implicit System.View, made on use
        self._entity_types = {}  # type name -> whether it is a ManagedEntity
        # these two hold what their ids are of, and are checked against it
        self._needs = {}         # id(paths) -> (paths, {privilege: [paths]}, uniform lacks)
        self._missing = {}       # (id(paths), id(Held)) -> (paths, Held, privileges it lacks)
        self.uniform = self._uniform()

    def _uniform(self):
        """The Held of every entity when the user's permissions are all on
        the root folder and reach everything below it; else None."""
        grants = self._grants
        if not grants:
            return NOTHING
        if len(grants) == 1:
            resolved = grants.get(self._root.ref)
            passed = resolved.passed if resolved is not None else None
            if passed is not None and (passed.privileges, passed.roles) == (
                    resolved.own.privileges, resolved.own.roles):
                return resolved.own
        return None

    # -- entities -------------------------------------------------------------
    def held(self, entity):
        """The Held of the user on an entity."""
        if self.uniform is not None:
            return self.uniform
        resolved = self._granted_by_id().get(id(entity))
        if resolved is not None:
            return resolved.own
        # what the parent passes down, looked up once per parent (the
        # children of one folder share its MoRef object)
        ref = parent_ref(entity)
        found = NOTHING
        if ref is not None:
            found = self._from_parent.get(id(ref))
            if found is None:
                found = self._from_parent[id(ref)] = self._passed_down_from(
                    entity.server.objects.get(ref))
                self._pinned.append(ref)
        pool = pool_parent(entity)
        if pool is None:
            return found
        # a VM inherits from its folder and its resource pool (or vApp) alike
        from_pool = self._inherited.get(id(pool)) or self._passed_down_from(pool)
        if from_pool is NOTHING or from_pool is found:   # most pools pass nothing of their own
            return found
        key = (id(ref), id(pool))
        both = self._from_both.get(key)
        if both is None:
            both = self._from_both[key] = joined(found, from_pool)
            self._pinned += [ref, pool]
        return both

    def _granted_by_id(self):
        granted = self._granted
        if granted is None:
            granted = self._granted = {}
            get = self.server.objects.get
            for ref, resolved in self._grants.items():
                entity = get(ref)
                if entity is not None:
                    granted[id(entity)] = resolved
                    self._pinned.append(entity)
        return granted

    def _passed_down_from(self, entity):
        memo = self._inherited
        granted = self._granted_by_id()
        below = []
        found = NOTHING
        while entity is not None:
            key = id(entity)
            known = memo.get(key)
            if known is not None:
                found = known
                break
            below.append(entity)
            resolved = granted.get(key)
            if resolved is not None and resolved.passed is not None:
                found = resolved.passed
                break
            entity = above(entity)
        for entity in below:
            memo[id(entity)] = found
        self._pinned += below
        return found

    def sees(self, entity):
        """Whether the user has System.View on an entity, granted or
        implicitly above something it was granted."""
        if VIEW in self.held(entity).privileges:
            return True
        if self.uniform is not None:
            return False
        if self._viewable is None:
            self._viewable = self._implicitly_viewable()
        return entity.ref in self._viewable

    def _implicitly_viewable(self):
        get = self.server.objects.get
        viewable = set()
        for ref, resolved in self._grants.items():
            if VIEW not in resolved.own.privileges:
                continue
            entity = get(ref)
            parent = above(entity) if entity is not None else None
            while parent is not None and parent.ref not in viewable:
                viewable.add(parent.ref)
                parent = above(parent)
        return viewable

    def roles(self, entity):
        """effectiveRole: the roles the user holds on an entity (View when
        it only sees it)."""
        held = self.held(entity)
        if held.roles and held.privileges:
            return list(held.roles)
        return [VIEW_ROLE] if self.sees(entity) else []

    def privileges(self, entity):
        """The privilege ids held on an entity, sorted (System.View too
        when it is seen implicitly)."""
        held = set(self.held(entity).privileges)
        if self.sees(entity):
            held.add(VIEW)
        return sorted(held)

    # -- any managed object ------------------------------------------------------
    def governing(self, obj):
        """The entity whose permissions govern `obj`, or OWNED for an
        object the session owns, or None for a service manager (governed by
        the root folder, with SERVICE_PRIVILEGES for every session)."""
        if self.is_entity(obj):
            return obj
        if obj.owner is not None:
            return OWNED if self.session is not None and obj.owner is self.session \
                else None
        for name in ('entity_object', 'vm', 'host'):
            entity = getattr(obj, name, None)
            if entity is not None and hasattr(entity, 'ref') and self.is_entity(entity):
                return entity
        return None

    def is_entity(self, obj):
        kind = self._entity_types.get(obj.type_name)
        if kind is None:
            kind = self._entity_types[obj.type_name] = \
                self.server.schema.managed[obj.type_name].is_a('ManagedEntity')
        return kind

    def may(self, obj, privilege, on_parent=False):
        """Whether the user holds `privilege` on `obj` (on its parent entity
        when `on_parent`); the entity checked is `checked_entity`."""
        if privilege == ANONYMOUS:
            return True
        entity = self.governing(obj)
        if entity is OWNED:
            return True
        if entity is None:
            return privilege in SERVICE_PRIVILEGES or privilege in \
                self.held(self._root).privileges
        if on_parent:
            entity = above(entity) or entity
        if privilege == VIEW:
            return self.sees(entity)
        return privilege in self.held(entity).privileges

    def checked_entity(self, obj, on_parent=False):
        """The reference a NoPermission about `obj` names."""
        entity = self.governing(obj)
        if entity is OWNED or entity is None:
            return obj.ref if entity is OWNED else self._root.ref
        if on_parent:
            entity = above(entity) or entity
        return entity.ref

    def demand(self, obj, privilege, on_parent=False):
        """NoPermission unless the user holds `privilege` on `obj`."""
        if not self.may(obj, privilege, on_parent):
            raise no_permission(self.checked_entity(obj, on_parent), privilege)

    # -- reading -------------------------------------------------------------------
    def sees_everything(self):
        return self.uniform is not None and VIEW in self.uniform.privileges

    def sees_object(self, obj):
        """may(obj, System.View), memoized for the call: a view, the
        traversal through it and the reads each ask it of every object (a
        uniform Access, which outlives calls, keeps no memo of objects)."""
        if self.uniform is not None:
            return self.may(obj, VIEW)
        key = id(obj)
        seen = self._seen.get(key)
        if seen is None:
            seen = self._seen[key] = self.may(obj, VIEW)
            self._pinned.append(obj)
        return seen

    def reads_everything(self):
        uniform = self.uniform
        return uniform is not None and \
            uniform.privileges >= self.server.authorization_manager.privilege_ids

    def visible(self, refs):
        """The references of `refs` whose objects the user sees."""
        if self.sees_everything():
            return list(refs)
        get = self.server.objects.get
        sees = self.sees_object
        seen = []
        for ref in refs:
            obj = get(ref)
            if obj is not None and sees(obj):
                seen.append(ref)
        return seen

    def denied_paths(self, obj, paths):
        """{path: NoPermission} for the property paths of `obj` (a list
        shared by the objects of its type) that the user may not read; None
        when it may read them all."""
        known = self._needs.get(id(paths))
        if known is None or known[0] is not paths:
            if len(self._needs) > MEMO_LIMIT:
                self._needs.clear()
                self._missing.clear()
            needs = _privileges_needed(self.server.schema, obj, paths)
            # uniform privileges: what an entity of this type lacks, any entity lacks
            uniform = self.uniform if self.is_entity(obj) else None
            known = self._needs[id(paths)] = (paths, needs, None if uniform is None else [
                p for p in needs if p not in uniform.privileges])
        needs = known[1]
        if not needs:
            return None
        if known[2] is not None:
            missing = known[2]
        elif self.is_entity(obj):
            held = self.held(obj)
            key = (id(paths), id(held))
            known = self._missing.get(key)
            if known is None or known[0] is not paths or known[1] is not held:
                known = self._missing[key] = (paths, held, [
                    p for p in needs if p not in held.privileges])
            missing = known[2]
        else:
            missing = [p for p in needs if not self.may(obj, p)]
        if not missing:
            return None
        denied = {}
        for privilege in missing:
            error = no_permission(self.checked_entity(obj), privilege)
            for path in needs[privilege]:
                denied[path] = error
        return denied


def _privileges_needed(schema, obj, paths):
    """{privilege other than System.View: [paths needing it]}."""
    fields = schema.managed[obj.type_name].property_map
    needs = {}
    for path in paths:
        field = fields.get(path.partition('.')[0])
        privilege = field.privilege if field is not None else None
        if privilege and privilege not in (VIEW, ANONYMOUS):
            needs.setdefault(privilege, []).append(path)
    return needs


def access_of(ctx):
    """The Access of a call's session: one per request, whose memos serve
    the view, the traversal and the reads alike (a property filter's
    context, which lives on, gets a new one each time), or one for every
    call while the user's privileges are uniform and no permission changes;
    None without a session or on a simulator that keeps no permissions."""
    server = ctx.server
    session = ctx.session
    manager = getattr(server, 'authorization_manager', None)
    if session is None or manager is None or getattr(server, 'root_folder', None) is None:
        return None
    cached = session.call_access
    if cached is not None and cached[1].version == manager.table.version and (
            cached[1].uniform is not None or cached[0] is ctx and ctx.request is not None):
        return cached[1]
    access = Access(server, session.user, session)
    session.call_access = (ctx, access)
    return access


def read_filter(ctx):
    """For events and tasks: a test of whether the caller may read
    (System.Read) the entity an item is about (a MoRef; None, or an entity
    gone from the inventory, stands for the root folder); None when the
    caller reads everything alike, so the caller filters nothing."""
    access = access_of(ctx)
    if access is None:
        return None
    if access.uniform is not None:
        return None if READ in access.uniform.privileges else (lambda ref: False)
    get = ctx.server.objects.get
    root = ctx.server.root_folder
    may = access.may

    def readable(ref):
        entity = get(ref) if ref is not None else None
        return may(entity if entity is not None else root, READ)
    return readable


def user_may(server, user, obj, privilege):
    """For the HTTP doors (/folder, /guestFile, the REST API): whether
    `user` holds `privilege` on `obj` now (resolved afresh: these requests
    carry no Access of their own); True on a simulator that keeps no
    permissions."""
    if getattr(server, 'authorization_manager', None) is None or \
            getattr(server, 'root_folder', None) is None:
        return True
    return Access(server, user).may(obj, privilege)


def typed_privilege(schema, operation, type_name):
    """The privilege of Rename_Task / Destroy_Task for an entity type."""
    managed = schema.managed[type_name]
    for base, privilege in TYPED_PRIVILEGES.get(operation, ()):
        if managed.is_a(base):
            return privilege
    return None


def authorize(ctx, obj, operation, args):
    """NoPermission unless the caller holds what the call needs: the
    method's privilege on `_this` (on its parent for an on-parent privilege)
    and ARGUMENT_PRIVILEGES on the entities passed."""
    access = access_of(ctx)
    if access is None:
        return
    privilege = operation.privilege or typed_privilege(ctx.server.schema, operation.name,
                                                       obj.type_name)
    if privilege:
        access.demand(obj, privilege, privilege in ON_PARENT)
    for path, needed in ARGUMENT_PRIVILEGES.get(operation.name, ()):
        value = args
        for step in path.split('.'):
            value = value.get(step) if isinstance(value, dict) else getattr(value, step, None)
        target = ctx.server.objects.get(value) if isinstance(value, MoRef) else None
        if target is not None:
            access.demand(target, needed)


def parent_ref(entity):
    """The reference of the entity whose permissions an entity inherits:
    its parent, or for a VM in a vApp the vApp (as path_parent)."""
    ref = getattr(entity, 'parent', None)
    return ref if ref is not None else getattr(entity, 'parentVApp', None)


def pool_parent(entity):
    """The resource pool (or vApp) a VM inherits permissions from beside its
    folder, when it is not already the parent `above` gives; else None."""
    if entity.type_name != 'VirtualMachine':
        return None
    pool = getattr(entity, 'pool', None)
    if pool is None or pool.ref is parent_ref(entity):    # a vApp's VM: its one parent
        return None
    return pool


def above(entity):
    """The entity whose permissions an entity inherits."""
    ref = parent_ref(entity)
    return entity.server.objects.get(ref) if ref is not None else None


def no_permission(ref, privilege):
    """vCenter's NoPermission: the object, the privilege, and (8.0) the
    missing privileges per entity."""
    missing = _schema.load().types['NoPermissionEntityPrivileges'].cls(
        entity=ref, privilegeIds=[privilege])
    return fault('NoPermission', 'Permission to perform this operation was denied.',
                 object=ref, privilegeId=privilege, missingPrivileges=[missing])
