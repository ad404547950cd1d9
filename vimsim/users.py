"""The users file (`-users FILE`): the accounts that may log in.

A JSON list of accounts, each with a user name, a password and optionally
the names of its groups::

    [{"user": "administrator@vsphere.local", "password": "VMware1!",
      "groups": ["Administrators"]},
     {"user": "reader@vsphere.local", "password": "secret"}]

User names are unique regardless of case: they compare as vCenter SSO's do.
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
