"""GuestWindowsRegistryManager: keys and values of a Windows guest's
registry (vm/guest_registry.py); other guests have none
(OperationNotSupportedByGuest)."""
import re

from vimsim.managed.entity import data_types
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.vm.guest_registry import ERROR_FILE_NOT_FOUND
from vimsim.managed.vm.simulated_guest import expand_percent
from vimsim.soap.fault import InvalidArgument, fault


def _pattern(text):
    try:
        return re.compile(text if text is not None else '.*')
    except (re.error, RecursionError):
        raise InvalidArgument('matchPattern') from None


@manager_type('GuestWindowsRegistryManager')
class GuestWindowsRegistryManager(Manager):
    guests = None   # the GuestStore, set by GuestOperationsManager

    def _registry(self, ctx, vm, auth):
        guest = self.guests.enter(ctx, vm, auth)
        if guest.registry is None:
            raise fault('OperationNotSupportedByGuest', 'The guest operating system does not '
                        'support the operation.')
        return guest, guest.registry

    def CreateRegistryKeyInGuest(self, ctx, vm, auth, keyName, isVolatile, classType=None):
        _, registry = self._registry(ctx, vm, auth)
        registry.create(keyName, isVolatile, classType or '')

    def ListRegistryKeysInGuest(self, ctx, vm, auth, keyName, recursive, matchPattern=None):
        """The subkeys of `keyName` (all below it when `recursive`) whose
        name has a match of `matchPattern`."""
        _, registry = self._registry(ctx, vm, auth)
        key = registry.key(keyName)
        pattern = _pattern(matchPattern)
        T = data_types(self.server)
        base = keyName.registryPath.rstrip('\\')
        return [T.GuestRegKeyRecordSpec(key=T.GuestRegKeySpec(
                    keyName=T.GuestRegKeyNameSpec(registryPath=path,
                                                  wowBitness=keyName.wowBitness),
                    classType=child.class_type, lastWritten=child.last_written))
                for path, child in registry.descendants(key, base, recursive)
                if pattern.search(child.name)]

    def DeleteRegistryKeyInGuest(self, ctx, vm, auth, keyName, recursive):
        _, registry = self._registry(ctx, vm, auth)
        registry.delete(keyName, recursive)

    def SetRegistryValueInGuest(self, ctx, vm, auth, value):
        """Set a value (the name may be empty: the key's default value)."""
        _, registry = self._registry(ctx, vm, auth)
        key = registry.key(value.name.keyName)
        data = value.data
        if type(data) is data_types(self.server).GuestRegValueDataSpec:   # no kind of data
            raise InvalidArgument('value.data')
        key.values[value.name.name.lower()] = (value.name.name, data)
        key.touch()

    def ListRegistryValuesInGuest(self, ctx, vm, auth, keyName, expandStrings,
                                  matchPattern=None):
        """The values of `keyName` whose name has a match of `matchPattern`;
        `expandStrings` expands %VAR% in expandable strings from the guest's
        environment."""
        guest, registry = self._registry(ctx, vm, auth)
        key = registry.key(keyName)
        pattern = _pattern(matchPattern)
        T = data_types(self.server)
        found = []
        for name, data in sorted(key.values.values(), key=lambda item: item[0].lower()):
            if not pattern.search(name):
                continue
            if expandStrings and isinstance(data, T.GuestRegValueExpandStringSpec):
                data = T.GuestRegValueExpandStringSpec(
                    value=expand_percent(data.value or '', guest.environment))
            found.append(T.GuestRegValueSpec(
                name=T.GuestRegValueNameSpec(keyName=keyName, name=name), data=data))
        return found

    def DeleteRegistryValueInGuest(self, ctx, vm, auth, valueName):
        _, registry = self._registry(ctx, vm, auth)
        key = registry.key(valueName.keyName)
        if key.values.pop(valueName.name.lower(), None) is None:
            raise fault('GuestRegistryValueNotFound', 'The registry value %s was not found.'
                        % valueName.name, keyName=valueName.keyName.registryPath,
                        valueName=valueName.name, windowsSystemErrorCode=ERROR_FILE_NOT_FOUND)
        key.touch()
