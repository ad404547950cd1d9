"""CustomizationSpecManager: the repository of guest customization
specifications.

Each stored item is a CustomizationSpecItem (its `info` and `spec`); `info`
lists the items' CustomizationSpecInfo. vCenter keeps `changeVersion` per
item and refuses an overwrite carrying a stale one (ConcurrentAccess); names
are unique (AlreadyExists) and looked up exactly (NotFound). Items convert
to and from vCenter's XML form (vm/customization_xml.py).
"""
import copy
import hashlib

from vimsim import clock
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.vm.customization_xml import item_to_xml, xml_to_item
from vimsim.managed.vm.provisioning import is_customizable
from vimsim.managed.vm.vcsim_customization_specs import vcsim_specs
from vimsim.soap.fault import fault


def _not_found(name):
    return fault('NotFound', "The customization specification '%s' was not found." % name)


def _already_exists(name):
    return fault('AlreadyExists', "The specified key, name, or identifier '%s' already "
                 'exists.' % name, name=name)


@manager_type('CustomizationSpecManager')
class CustomizationSpecManager(Manager):

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self._items = {}   # name -> CustomizationSpecItem, in creation order
        # The public part of vCenter's key for encrypting spec passwords: a
        # DER-encoded blob; deterministic per simulator.
        seed = ('vimsim-custspec-key:' + moid).encode()
        digest = b''.join(hashlib.sha256(seed + bytes([i])).digest() for i in range(5))
        self.encryptionKey = [b - 256 if b > 127 else b for b in digest[:140]]
        self._version = 0
        self.info = []     # the items' CustomizationSpecInfo (a recording may set it)
        if getattr(server, 'recording', None) is None:
            for item in vcsim_specs(server.schema.types):
                self._stamp(item, server.model_built)
                self._items[item.info.name] = item
            self.info = [item.info for item in self._items.values()]


    # -- helpers -------------------------------------------------------------------------
    def _stamp(self, item, at=None):
        """A new version of `item`, updated `at` (now, unless given)."""
        self._version += 1
        item.info.changeVersion = str(self._version)
        item.info.lastUpdateTime = at or clock.now()

    def _get(self, name):
        item = self._items.get(name)
        if item is None:
            raise _not_found(name)
        return item

    def _check_item(self, item):
        info = item.info
        if info is None or not info.name:
            raise fault('InvalidArgument', 'A specified parameter was not correct: item.info.name',
                        invalidProperty='item.info.name')
        if item.spec is None:
            raise fault('InvalidArgument', 'A specified parameter was not correct: item.spec',
                        invalidProperty='item.spec')
        T = self.server.schema.types
        identity = item.spec.identity
        kind = info.type
        if kind not in (None, '', 'Linux', 'Windows'):
            raise fault('InvalidArgument', 'A specified parameter was not correct: '
                        'item.info.type', invalidProperty='item.info.type')
        if kind == 'Linux' and isinstance(identity, (T['CustomizationSysprep'].cls,
                                                     T['CustomizationSysprepText'].cls)):
            raise fault('CustomizationFault', 'The customization specification type Linux does '
                        'not match its Windows identity settings.')
        if kind == 'Windows' and isinstance(identity, T['CustomizationLinuxPrep'].cls):
            raise fault('CustomizationFault', 'The customization specification type Windows '
                        'does not match its Linux identity settings.')

    def _changed(self):
        self.info = [item.info for item in self._items.values()]
        self.changed('info')

    # -- API methods ----------------------------------------------------------------------
    def IsGuestOsCustomizable(self, ctx, guestId):
        """True for the Windows and Linux guests customization supports (the
        method has no fault of its own: an unknown id is not customizable)."""
        known = self.server.schema.enums.get('VirtualMachineGuestOsIdentifier')
        return (known is None or guestId in known.values) and is_customizable(guestId)

    def CustomizationSpecItemToXml(self, ctx, item):
        """The item in vCenter's XML form (what the vSphere Client exports)."""
        return item_to_xml(self.server.schema, item)

    def XmlToCustomizationSpecItem(self, ctx, specItemXml):
        """The item an XML form describes, checked as a new item is
        (CustomizationFault for an identity of the other OS type)."""
        item = xml_to_item(self.server.schema, specItemXml)
        self._check_item(item)
        return item

    def DoesCustomizationSpecExist(self, ctx, name):
        return name in self._items

    def GetCustomizationSpec(self, ctx, name):
        return self._get(name)

    def CreateCustomizationSpec(self, ctx, item):
        self._check_item(item)
        name = item.info.name
        if name in self._items:
            raise _already_exists(name)
        item = copy.deepcopy(item)
        self._stamp(item)
        self._items[name] = item
        self._changed()

    def OverwriteCustomizationSpec(self, ctx, item):
        self._check_item(item)
        name = item.info.name
        current = self._get(name)
        version = item.info.changeVersion
        if version and version != current.info.changeVersion:
            raise fault('ConcurrentAccess', 'The object has already been updated by another '
                        'client: the changeVersion is stale.')
        item = copy.deepcopy(item)
        self._stamp(item)
        self._items[name] = item
        self._changed()

    def DeleteCustomizationSpec(self, ctx, name):
        self._get(name)
        del self._items[name]
        self._changed()

    def DuplicateCustomizationSpec(self, ctx, name, newName):
        item = self._get(name)
        if newName in self._items:
            raise _already_exists(newName)
        duplicate = copy.deepcopy(item)
        duplicate.info.name = newName
        self._stamp(duplicate)
        self._items[newName] = duplicate
        self._changed()

    def RenameCustomizationSpec(self, ctx, name, newName):
        item = self._get(name)
        if newName in self._items:
            raise _already_exists(newName)
        items = {}
        for key, value in self._items.items():
            if key == name:
                value.info.name = newName
                key = newName
            items[key] = value
        self._items = items
        self._stamp(item)
        self._changed()

    def CheckCustomizationResources(self, ctx, guestOs):
        """vCenter checks it has the sysprep / Linux tools for `guestOs`; the
        simulator has them all."""
        return None
