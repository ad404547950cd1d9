"""HostAccessManager: a host's lockdown mode, its exception users, system
users and direct-access permissions (HostSystem.configManager.
hostAccessManager; HostSystem.EnterLockdownMode / ExitLockdownMode, the
vSphere 2.5 way to the same state, are the host's and call here).

The mode is the host's `config.lockdownMode`, `config.adminDisabled` telling
whether it is on. Normal lockdown starts the DCUI service, strict stops it,
leaving it starts it again (as the API reference describes). A host a
vCenter manages can always be locked down, since the vCenter still
administers it; a standalone host (ESX mode) only when an exception user
keeps administrator access, else AuthMinimumAdminPermission. In lockdown,
direct logins to an ESX-mode host by users that are not exceptions answer
NoPermission (`check_login`, which the session manager asks).

Access entries (RetrieveHostAccessControlEntries) start as ESXi's: root,
dcui and, under a vCenter, vpxuser are administrators. ChangeAccessMode
refuses `accessOther` (InvalidArgument), principals that are no local account
(UserNotFound), other than the exceptions while in lockdown (SecurityError)
and taking the last administrator's access (AuthMinimumAdminPermission).
"""
from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.managed.host.host_local_account_manager import user_not_found
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.soap.fault import InvalidArgument, fault

UNLOCKED, NORMAL, STRICT = 'lockdownDisabled', 'lockdownNormal', 'lockdownStrict'
ADMIN = 'accessAdmin'
DCUI = 'DCUI'
ALWAYS_SYSTEM_USERS = ('dcui', 'vpxuser')
# what ESXi's audit log reports when lockdown mode comes and goes
AUDIT_EVENTS = {True: 'esx.audit.lockdownmode.enabled', False: 'esx.audit.lockdownmode.disabled'}


class HostAccessManager(HostManagerObject):
    type_name = 'HostAccessManager'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.lockdownMode = UNLOCKED
        self.exceptions = []
        self.access = {'root': ADMIN, 'dcui': ADMIN}     # (user) -> HostAccessMode
        self.group_access = {}
        if not server.esx:
            self.access['vpxuser'] = ADMIN
        self.added_system_users = []
        if server.esx:
            server.host_lockdown = self

    @property
    def locked(self):
        return self.lockdownMode != UNLOCKED

    def _accounts(self):
        return self.host.managers['accountManager'].accounts

    def _check_users(self, users):
        accounts = self._accounts()
        for user in users:
            if user not in accounts:
                raise user_not_found(user)

    def check_login(self, user):
        """Refuse a direct login in lockdown mode unless `user` is an exception."""
        if self.locked and user not in self.exceptions:
            raise fault('NoPermission', 'Permission to perform this operation was denied: '
                        'the host is in lockdown mode.', object=self.host.ref,
                        privilegeId='System.Anonymous')

    def set_mode(self, ctx, mode):
        """Change the mode (already checked) and what follows it."""
        if mode == self.lockdownMode:
            return
        if mode != UNLOCKED and not self.locked and self.server.esx and not any(
                self.access.get(user) == ADMIN for user in self.exceptions):
            raise fault('AuthMinimumAdminPermission', 'Lockdown mode would leave the host '
                        'without an administrator: it is managed by no vCenter and no '
                        'exception user has administrator access.')
        was_locked = self.locked
        self.lockdownMode = mode
        self.report('lockdownMode')
        self.host.managers['serviceSystem'].set_running(DCUI, mode != STRICT)
        if self.locked != was_locked:
            events = event_manager(self.server)
            events.post('HostAdminDisableEvent' if self.locked else 'HostAdminEnableEvent',
                        self.host, ctx=ctx)
            events.post('EventEx', self.host, ctx=ctx, eventTypeId=AUDIT_EVENTS[self.locked],
                        severity='info')

    # -- methods ---------------------------------------------------------------
    def ChangeLockdownMode(self, ctx, mode):
        self.set_mode(ctx, mode)

    def QueryLockdownExceptions(self, ctx):
        return list(self.exceptions)

    def UpdateLockdownExceptions(self, ctx, users=()):
        users = list(dict.fromkeys(users))
        self._check_users(users)
        if self.locked and self.server.esx and not any(
                self.access.get(user) == ADMIN for user in users):
            raise fault('AuthMinimumAdminPermission', 'The host is in lockdown mode and no '
                        'exception user would keep administrator access.')
        if users != self.exceptions:
            self.exceptions = users
            self.host.changed('config')

    def QuerySystemUsers(self, ctx):
        accounts = self._accounts()
        return [user for user in ALWAYS_SYSTEM_USERS if user in accounts] + [
            user for user in self.added_system_users if user in accounts]

    def UpdateSystemUsers(self, ctx, users=()):
        """The users given, and the special users a host always keeps."""
        users = list(dict.fromkeys(users))
        self._check_users(users)
        self.added_system_users = [user for user in users if user not in ALWAYS_SYSTEM_USERS]

    def RetrieveHostAccessControlEntries(self, ctx):
        T = self.host.T
        return [T.HostAccessControlEntry(principal=principal, group=group, accessMode=mode)
                for group, table in ((False, self.access), (True, self.group_access))
                for principal, mode in table.items()]

    def ChangeAccessMode(self, ctx, principal, isGroup, accessMode):
        if accessMode == 'accessOther':
            raise InvalidArgument('accessMode')
        if not isGroup and principal not in self._accounts():
            raise user_not_found(principal)
        if self.locked and principal not in self.exceptions:
            raise fault('SecurityError', 'The host is in lockdown mode: only the access of '
                        'exception users can change.')
        table = self.group_access if isGroup else self.access
        changed = dict(table)
        if accessMode == 'accessNone':
            changed.pop(principal, None)
        else:
            changed[principal] = accessMode
        users = self.access if isGroup else changed
        groups = changed if isGroup else self.group_access
        if ADMIN not in list(users.values()) + list(groups.values()):
            raise fault('AuthMinimumAdminPermission', 'The change would leave the host '
                        'without an administrator.')
        table.clear()
        table.update(changed)
