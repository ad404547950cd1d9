"""The registry of a simulated Windows guest: keys under the five root keys
(names ignore case, as Windows' do), each with its values, class and
volatility; WOW32 sees HKEY_LOCAL_MACHINE\\SOFTWARE through Wow6432Node, as a
32-bit program on 64-bit Windows does. Faults carry Windows' error codes."""
from vimsim import clock
from vimsim.soap.fault import InvalidArgument, fault

ROOT_KEYS = ('HKEY_CLASSES_ROOT', 'HKEY_CURRENT_USER', 'HKEY_LOCAL_MACHINE', 'HKEY_USERS',
             'HKEY_CURRENT_CONFIG')
WOW_BITNESS = ('WOWNative', 'WOW32', 'WOW64')
ERROR_FILE_NOT_FOUND = 2
ERROR_ALREADY_EXISTS = 183
ERROR_KEY_HAS_CHILDREN = 1020
ERROR_CHILD_MUST_BE_VOLATILE = 1021
KEY_NAME_MAX = 255


def key_invalid(path):
    return fault('GuestRegistryKeyInvalid', 'The registry key %s is invalid.' % path,
                 keyName=path, windowsSystemErrorCode=ERROR_FILE_NOT_FOUND)


class Key:
    """A registry key: subkeys and values by lower-cased name."""
    __slots__ = ('name', 'subkeys', 'values', 'class_type', 'volatile', 'last_written')

    def __init__(self, name, class_type='', volatile=False):
        self.name = name
        self.subkeys = {}
        self.values = {}    # lower name -> (name, GuestRegValueDataSpec)
        self.class_type = class_type
        self.volatile = volatile
        self.last_written = clock.now()

    def touch(self):
        self.last_written = clock.now()


class Registry:
    """One guest's registry."""

    def __init__(self, values):
        """A registry with the roots and `values` ({key path: {name:
        GuestRegValueDataSpec}}), the keys a fresh Windows has."""
        self.roots = {name.lower(): Key(name) for name in ROOT_KEYS}
        for path, named in values.items():
            key = self.make_path(self.parts(path, 'WOWNative'))
            for name, data in named.items():
                key.values[name.lower()] = (name, data)

    # -- paths ---------------------------------------------------------------------
    @staticmethod
    def parts(path, wow):
        """The components of `path` as `wow` sees it (InvalidArgument for an
        unknown bitness, GuestRegistryKeyInvalid for a path under no root key)."""
        if wow not in WOW_BITNESS:
            raise InvalidArgument('keyName.wowBitness')
        parts = [part for part in (path or '').split('\\') if part]
        if not parts or parts[0].upper() not in ROOT_KEYS or \
                any(len(part) > KEY_NAME_MAX for part in parts):
            raise key_invalid(path)
        if wow == 'WOW32' and len(parts) > 1 and parts[0].upper() == 'HKEY_LOCAL_MACHINE' \
                and parts[1].lower() == 'software' and \
                (len(parts) < 3 or parts[2].lower() != 'wow6432node'):
            parts.insert(2, 'WOW6432Node')
        return parts

    def find(self, parts):
        key = self.roots[parts[0].lower()]
        for part in parts[1:]:
            key = key.subkeys.get(part.lower())
            if key is None:
                return None
        return key

    def key(self, spec):
        """The key a GuestRegKeyNameSpec names, or GuestRegistryKeyInvalid."""
        key = self.find(self.parts(spec.registryPath, spec.wowBitness))
        if key is None:
            raise key_invalid(spec.registryPath)
        return key

    def make_path(self, parts):
        key = self.roots[parts[0].lower()]
        for part in parts[1:]:
            key = key.subkeys.setdefault(part.lower(), Key(part))
        return key

    # -- changes -------------------------------------------------------------------
    def create(self, spec, volatile, class_type):
        parts = self.parts(spec.registryPath, spec.wowBitness)
        if len(parts) == 1 or self.find(parts) is not None:
            raise fault('GuestRegistryKeyAlreadyExists', 'The registry key %s already exists.'
                        % spec.registryPath, keyName=spec.registryPath,
                        windowsSystemErrorCode=ERROR_ALREADY_EXISTS)
        parent = self.find(parts[:-1])
        if parent is None:
            raise key_invalid(spec.registryPath)
        if parent.volatile and not volatile:
            raise fault('GuestRegistryKeyParentVolatile', 'The parent of registry key %s is '
                        'volatile.' % spec.registryPath, keyName=spec.registryPath,
                        windowsSystemErrorCode=ERROR_CHILD_MUST_BE_VOLATILE)
        parent.subkeys[parts[-1].lower()] = Key(parts[-1], class_type, volatile)
        parent.touch()

    def delete(self, spec, recursive):
        parts = self.parts(spec.registryPath, spec.wowBitness)
        key = self.find(parts)
        if key is None:
            raise key_invalid(spec.registryPath)
        if len(parts) == 1:
            raise InvalidArgument('keyName')
        if key.subkeys and not recursive:
            raise fault('GuestRegistryKeyHasSubkeys', 'The registry key %s has subkeys.'
                        % spec.registryPath, keyName=spec.registryPath,
                        windowsSystemErrorCode=ERROR_KEY_HAS_CHILDREN)
        parent = self.find(parts[:-1])
        del parent.subkeys[parts[-1].lower()]
        parent.touch()

    def descendants(self, key, path, recursive):
        """(path, key) of `key`'s subkeys, and when `recursive` theirs in
        turn, walked without recursion (a deep tree costs no stack)."""
        pending = [(path, key)]
        while pending:
            base, current = pending.pop()
            for child in sorted(current.subkeys.values(), key=lambda k: k.name.lower()):
                child_path = base + '\\' + child.name
                yield child_path, child
                if recursive:
                    pending.append((child_path, child))

    def volatile_boot(self):
        """A boot loses the volatile keys."""
        pending = list(self.roots.values())
        while pending:
            key = pending.pop()
            for name in [name for name, child in key.subkeys.items() if child.volatile]:
                del key.subkeys[name]
            pending.extend(key.subkeys.values())
