"""The users file (`-users FILE`): the accounts that may log in.

A JSON list of accounts, each with a user name, a password and optionally
the names of its groups::

    [{"user": "administrator@vsphere.local", "password": "VMware1!",
      "groups": ["Administrators"]},
     {"user": "reader@vsphere.local", "password": "secret"}]

User names are unique regardless of case: they compare as vCenter SSO's do.

`Directory` is who exists for permissions and UserDirectory: vCenter's SSO
domain (`vsphere.local`, its built-in groups and Administrator) or an ESXi
host's local users, plus the file's accounts and groups. Without a file any
name logs in (vcsim's default) and every user counts as a member of
Administrators, so all are administrators, as before permissions existed.
"""
import json
from dataclasses import dataclass

FIELDS = ('user', 'password', 'groups')


@dataclass(frozen=True)
class User:
    name: str
    password: str
    groups: tuple = ()

    @property
    def key(self):
        """What identifies the account: its name, case-insensitively."""
        return self.name.casefold()


def read_users(path):
    """The accounts of the users file at `path`, in file order; ValueError
    names the file, the entry and what is wrong with it."""
    try:
        with open(path, encoding='utf-8') as f:
            entries = json.load(f)
    except OSError as error:
        raise ValueError('users file %s: %s' % (path, error.strerror)) from None
    except ValueError as error:   # JSONDecodeError, UnicodeDecodeError
        raise ValueError('users file %s is not JSON: %s' % (path, error)) from None
    if not isinstance(entries, list) or not entries:
        raise ValueError('users file %s: expected a list of {"user", "password", "groups"}'
                         % path)
    users, seen = [], set()
    for number, entry in enumerate(entries, 1):
        where = 'users file %s, entry %d' % (path, number)
        if not isinstance(entry, dict):
            raise ValueError('%s: expected an object' % where)
        unknown = sorted(set(entry) - set(FIELDS))
        if unknown:
            raise ValueError('%s: unknown field %s' % (where, ', '.join(unknown)))
        name, password, groups = entry.get('user'), entry.get('password'), entry.get('groups', [])
        for field, value in (('user', name), ('password', password)):
            if not isinstance(value, str) or not value:
                raise ValueError('%s: "%s" must be a non-empty string' % (where, field))
        if not isinstance(groups, list) or not all(isinstance(g, str) and g for g in groups):
            raise ValueError('%s: "groups" must be a list of names' % where)
        user = User(name, password, tuple(groups))
        if user.key in seen:
            raise ValueError('%s: user %s is listed twice' % (where, name))
        seen.add(user.key)
        users.append(user)
    return users


SSO_DOMAIN = 'vsphere.local'
ADMINISTRATORS = 'Administrators'
# vCenter SSO's built-in groups of vsphere.local
SSO_GROUPS = (ADMINISTRATORS, 'ActAsUsers', 'CAAdmins', 'ComponentManager.Administrators',
              'DCAdmins', 'DCClients', 'Everyone', 'ExternalIDPUsers',
              'LicenseService.Administrators', 'SolutionUsers',
              'SystemConfiguration.Administrators',
              'SystemConfiguration.BashShellAdministrators', 'TrustedAdmins', 'Users')
SSO_ADMINISTRATOR = 'Administrator'
ESX_USERS = ('root', 'dcui', 'vpxuser')


class Principal:
    """A user or group name as permissions hold it: vCenter writes
    `VSPHERE.LOCAL\\alice` for `alice@vsphere.local`, a name without a domain
    is in the SSO domain; ESXi names carry no domain. `key` compares names
    regardless of case, as SSO does."""
    __slots__ = ('domain', 'name', 'key')

    def __init__(self, text, esx):
        domain, name = '', text
        if '\\' in text:
            domain, _, name = text.partition('\\')
        elif '@' in text:
            name, _, domain = text.rpartition('@')
        elif not esx:
            domain = SSO_DOMAIN
        self.domain = domain.upper()
        self.name = name
        self.key = ('%s\\%s' % (self.domain, name) if self.domain else name).casefold()

    def __str__(self):
        return '%s\\%s' % (self.domain, self.name) if self.domain else self.name


class Directory:
    """The users and groups of a simulator (see the module's docstring)."""

    def __init__(self, accounts, esx, username=None):
        self.esx = esx
        self.open = accounts is None          # no users file: anyone logs in
        self.domains = [] if esx else [SSO_DOMAIN.upper()]
        builtin_users = ESX_USERS if esx else (SSO_ADMINISTRATOR,)
        names = list(builtin_users) + [a.name for a in accounts or ()]
        if username:
            names.append(username)
        self.users = {}    # key -> Principal
        for name in names:
            principal = Principal(name, esx)
            self.users.setdefault(principal.key, principal)
        self.groups = {}   # key -> Principal
        self.members = {}  # group key -> set of user keys
        for name in ((ADMINISTRATORS,) if esx else SSO_GROUPS):
            self._group(name)
        admin = Principal(builtin_users[0], esx).key
        self.members[self._group(ADMINISTRATORS)].add(admin)
        for account in accounts or ():
            user = Principal(account.name, esx).key
            for name in account.groups:
                self.members[self._group(name)].add(user)
        self._administrators = Principal(ADMINISTRATORS, esx).key

    def _group(self, name):
        principal = Principal(name, self.esx)
        if principal.key not in self.groups:
            self.groups[principal.key] = principal
            self.members[principal.key] = set()
        return principal.key

    def add_user(self, name):
        """A user made after the start (an ESX host's CreateUser)."""
        principal = Principal(name, self.esx)
        self.users.setdefault(principal.key, principal)

    def remove_user(self, name):
        """A user gone (an ESX host's RemoveUser), out of its groups too."""
        key = Principal(name, self.esx).key
        self.users.pop(key, None)
        for members in self.members.values():
            members.discard(key)

    def exists(self, name, group):
        """Whether a principal a permission names exists (without a users
        file any user name does, since any logs in)."""
        key = Principal(name, self.esx).key
        if group:
            return key in self.groups
        return self.open or key in self.users

    def groups_of(self, user):
        """The keys of the groups a user belongs to."""
        key = Principal(user, self.esx).key
        found = {group for group, members in self.members.items() if key in members}
        if self.open:
            found.add(self._administrators)
        return frozenset(found)

    def search(self, domain, text, exact, users, groups, in_group=None, of_user=None):
        """(principal, is group) of the directory matching RetrieveUserGroups'
        criteria, in name order."""
        def matches(principal):
            if domain is not None and principal.domain.casefold() != domain.casefold():
                return False
            name = principal.name.casefold()
            wanted = text.casefold()
            return name == wanted if exact else wanted in name
        found = []
        if users:
            members = self.members.get(Principal(in_group, self.esx).key, set()) \
                if in_group else None
            found += [(p, False) for k, p in self.users.items()
                      if matches(p) and (members is None or k in members)]
        if groups:
            of = self.groups_of(of_user) if of_user else None
            found += [(p, True) for k, p in self.groups.items()
                      if matches(p) and (of is None or k in of)]
        return sorted(found, key=lambda item: (item[0].name.casefold(), item[1]))
