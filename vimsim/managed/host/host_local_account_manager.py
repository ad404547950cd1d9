"""HostLocalAccountManager: a host's local users (HostSystem.configManager.
accountManager; on ESX also ServiceContent.accountManager, the same object).

ESXi's rules: a user name is a letter or underscore, then letters, digits,
`.`, `_` or `-`, 31 characters at most; a description cannot hold `:` or a
line break (the fields of /etc/passwd); a password must satisfy the host's
`Security.PasswordQualityControl` setting (pam_passwdqc's `min=N0,...,N4`:
the shortest length for passwords of one, two, three and four character
classes, `disabled` refusing them). Anything else answers InvalidArgument.
Local groups are gone since vSphere 5.1: the group methods answer
NotSupported, as the API reference says.

On ESX the accounts log in: a user with a password must give it (and fails
count towards the login lockout); root keeps the simulator's login rule
until a password is set for it.
"""
import re
from dataclasses import dataclass

from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.soap.fault import InvalidArgument, fault

USER_NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_.-]{0,30}\Z')
PASSWORD_QUALITY = 'Security.PasswordQualityControl'
DEFAULT_QUALITY = 'retry=3 min=disabled,disabled,disabled,7,7'
FIRST_USER_ID = 1000
ROOT = 'root'


@dataclass
class LocalAccount:
    name: str
    password: str = None
    description: str = ''
    posix_id: int = 0
    shell_access: bool = False

    @property
    def key(self):
        """What the login lockout counts failures by: ESXi names are case-sensitive."""
        return self.name


def _character_classes(password):
    """pam_passwdqc's count of classes (digits, lower, upper, other); a
    leading capital and a trailing digit do not count."""
    counted = password
    if counted[:1].isupper():
        counted = counted[1:]
    if counted[-1:].isdigit():
        counted = counted[:-1]
    classes = (str.isdigit, str.islower, str.isupper)
    found = sum(1 for test in classes if any(test(c) for c in counted))
    return found + (1 if any(not c.isalnum() for c in counted) else 0)


def password_fits(password, quality):
    """Whether pam_passwdqc's `min=` settings in `quality` take `password`."""
    minimums = re.search(r'\bmin=(\S+)', quality)
    values = (minimums.group(1) if minimums else DEFAULT_QUALITY.split('min=')[1]).split(',')
    if len(values) != 5:
        values = DEFAULT_QUALITY.split('min=')[1].split(',')
    classes = max(_character_classes(password), 1)
    # N0: one class, N1: two, N3: three, N4: four (N2 is for passphrases)
    needed = values[{1: 0, 2: 1, 3: 3, 4: 4}[classes]]
    return needed != 'disabled' and needed.isdigit() and len(password) >= int(needed)


def user_not_found(name):
    return fault('UserNotFound', 'The user or group named %s was not found.' % name,
                 principal=name, unresolved=False)


def not_supported():
    return fault('NotSupported', 'Local groups are not supported since vSphere 5.1.')


@manager_type('HostLocalAccountManager')
class HostLocalAccountManager(Manager):
    """The local accounts of one host (`host`, which on ESX is bound once
    the inventory has its host)."""
    type_name = 'HostLocalAccountManager'

    def __init__(self, server, type_name, moid, host=None):
        super().__init__(server, type_name, moid)
        self.host = host
        self.accounts = {account.name: account for account in (
            LocalAccount(ROOT, description='Administrator', shell_access=True),
            LocalAccount('dcui', description='DCUI User', posix_id=100, shell_access=False))}
        if not server.esx:
            vpxuser = LocalAccount('vpxuser', description='VMware VirtualCenter administration '
                                   'account', posix_id=500, shell_access=False)
            self.accounts[vpxuser.name] = vpxuser
        else:
            server.local_accounts = self

    def login_account(self, user):
        """The account a login as `user` must match, None when the session
        manager's own rule applies (no such account, or one without a
        password)."""
        account = self.accounts.get(user)
        return account if account is not None and account.password is not None else None

    # -- checks -----------------------------------------------------------------
    def _quality(self):
        options = self.host.managers.get('advancedOption') if self.host is not None else None
        values = getattr(options, 'values', {})
        return values.get(PASSWORD_QUALITY, DEFAULT_QUALITY)

    def _check_password(self, password, path):
        if password is not None and not password_fits(password, self._quality()):
            raise InvalidArgument(path, 'The password does not meet the host\'s password '
                                        'quality requirements.')

    @staticmethod
    def _check_description(description):
        if description is not None and any(c in description for c in ':\n\r'):
            raise InvalidArgument('user.description')

    def _account(self, name):
        account = self.accounts.get(name)
        if account is None:
            raise user_not_found(name)
        return account

    def _post(self, ctx, event_type, **fields):
        events = event_manager(self.server)
        events.post(event_type, self.host, ctx=ctx, group=False, **fields)

    def _spec_without_password(self, spec):
        """The spec an event shows: never the password."""
        T = self.server.schema.types
        return T['HostPosixAccountSpec'].cls(
            id=spec.id, description=spec.description,
            posixId=getattr(spec, 'posixId', None), shellAccess=getattr(spec, 'shellAccess',
                                                                         None))

    # -- users ------------------------------------------------------------------
    def CreateUser(self, ctx, user):
        if not USER_NAME.match(user.id or ''):
            raise InvalidArgument('user.id')
        if user.id in self.accounts:
            raise fault('AlreadyExists', 'The specified key, name, or identifier \'%s\' '
                        'already exists.' % user.id, name=user.id)
        self._check_description(user.description)
        self._check_password(user.password, 'user.password')
        posix_id = getattr(user, 'posixId', None)
        taken = {account.posix_id for account in self.accounts.values()}
        if posix_id is None:
            posix_id = max(taken | {FIRST_USER_ID - 1}) + 1
        elif posix_id < 0 or posix_id in taken:
            raise InvalidArgument('user.posixId')
        self.accounts[user.id] = LocalAccount(
            user.id, user.password, user.description or '', posix_id,
            bool(getattr(user, 'shellAccess', False)))
        if self.server.esx:   # the host's UserDirectory finds it, permissions may name it
            self.server.authorization_manager.directory.add_user(user.id)
        self._post(ctx, 'AccountCreatedEvent', spec=self._spec_without_password(user))

    def UpdateUser(self, ctx, user):
        account = self._account(user.id)
        self._check_description(user.description)
        self._check_password(user.password, 'user.password')
        posix_id = getattr(user, 'posixId', None)
        if posix_id is not None and posix_id != account.posix_id:
            raise InvalidArgument('user.posixId')
        previous = account.description
        if user.password is not None:
            account.password = user.password
        if user.description is not None:
            account.description = user.description
        shell = getattr(user, 'shellAccess', None)
        if shell is not None:
            account.shell_access = bool(shell)
        self._post(ctx, 'AccountUpdatedEvent', spec=self._spec_without_password(user),
                   prevDescription=previous)

    def RemoveUser(self, ctx, userName):
        self._account(userName)
        if userName == ROOT:
            raise InvalidArgument('userName', 'The root account cannot be removed.')
        del self.accounts[userName]
        if self.server.esx:
            self.server.authorization_manager.directory.remove_user(userName)
        self._post(ctx, 'AccountRemovedEvent', account=userName)

    def ChangePassword(self, ctx, user, oldPassword, newPassword):
        """InvalidLogin unless `oldPassword` is the user's (an account
        without one takes any, as its logins do)."""
        account = self._account(user)
        if account.password is not None and oldPassword != account.password:
            raise fault('InvalidLogin', 'Cannot complete login due to an incorrect user name '
                                        'or password.')
        self._check_password(newPassword, 'newPassword')
        account.password = newPassword

    # -- groups: not supported since vSphere 5.1 -----------------------------------
    def CreateGroup(self, ctx, group):
        raise not_supported()

    def RemoveGroup(self, ctx, groupName):
        raise not_supported()

    def AssignUserToGroup(self, ctx, user, group):
        raise not_supported()

    def UnassignUserFromGroup(self, ctx, user, group):
        raise not_supported()
