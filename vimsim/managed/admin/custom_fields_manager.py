"""CustomFieldsManager: the custom attribute definitions (none on a fresh
server) and the one path by which an entity's custom values change.

A definition applies to every managed object when it has no
`managedObjectType`, else to objects of that type (and its subtypes). The
values live on the extensible objects (`base.ExtensibleManagedObject`'s
`custom_values`, {field key: string}), so they go with them; the manager remembers which entities hold a value of each field
(weakly), so removing a definition clears its values and reports exactly
those entities. Each change posts vCenter's event: CustomFieldDefAddedEvent,
CustomFieldDefRemovedEvent, CustomFieldDefRenamedEvent,
CustomFieldValueChangedEvent.
"""
import copy
import weakref

from vimsim.managed.admin.authorization_manager import privilege_ids
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.soap.fault import InvalidArgument, fault

# the privilege policy vCenter gives a definition when the caller names none
DEFAULT_PRIVILEGE = 'System.Read'
FIRST_KEY = 101


@manager_type('CustomFieldsManager')
class CustomFieldsManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.definitions = {}      # key -> CustomFieldDef
        self.holders = {}          # key -> WeakSet of entities holding a value
        self._next_key = FIRST_KEY
        self._privileges = None
        server.custom_fields_manager = self

    # -- reading ------------------------------------------------------------------
    @property
    def field(self):
        return sorted(self.definitions.values(), key=lambda d: (d.name, d.key))

    @field.setter
    def field(self, definitions):
        """Take definitions as they are (a recorded vCenter's, -load); new
        keys follow theirs."""
        self.definitions = {d.key: d for d in definitions or ()}
        self._next_key = max([FIRST_KEY - 1] + list(self.definitions)) + 1

    def applies(self, definition, type_name):
        """Whether `definition` is valid for objects of managed type `type_name`."""
        if not definition.managedObjectType:
            return True
        managed = self.server.schema.managed.get(type_name)
        return managed is not None and managed.is_a(definition.managedObjectType)

    def fields_of(self, type_name):
        """The definitions valid for `type_name`, sorted by name (availableField)."""
        return [d for d in self.field if self.applies(d, type_name)]

    def field_named(self, name, type_name):
        """The definition `setCustomValue` means by `name` on a `type_name`."""
        return next((d for d in self.field if d.name == name and self.applies(d, type_name)),
                    None)

    # -- checks ---------------------------------------------------------------------
    def _definition(self, key):
        found = self.definitions.get(key)
        if found is None:
            raise InvalidArgument('key')
        return found

    def _check_unique(self, name, mo_type, exclude=None):
        """DuplicateName (naming this manager as the holder) when a definition
        of that name applies to some of the same objects (one is global, or the
        types are the same)."""
        for other in self.definitions.values():
            if other is exclude or other.name != name:
                continue
            if not other.managedObjectType or not mo_type or other.managedObjectType == mo_type:
                raise fault('DuplicateName', "The name '%s' already exists." % name, name=name,
                            object=self.ref)

    def _policy(self, policy):
        """The policy as stored: the caller's (each privilege must exist:
        InvalidPrivilege otherwise), its unset privileges System.Read."""
        T = self.server.schema.types
        stored = copy.deepcopy(policy) if policy is not None else \
            T['PrivilegePolicyDef'].cls()
        if self._privileges is None:
            self._privileges = frozenset(privilege_ids(self.server.schema))
        for name in ('createPrivilege', 'readPrivilege', 'updatePrivilege', 'deletePrivilege'):
            value = getattr(stored, name)
            if value is None:
                setattr(stored, name, DEFAULT_PRIVILEGE)
            elif value not in self._privileges:
                raise fault('InvalidPrivilege', "The privilege '%s' is not defined." % value,
                            privilege=value)
        return stored

    # -- reporting ------------------------------------------------------------------------
    def _entities_of(self, definition):
        for obj in self.server.objects:
            if getattr(obj, 'holds_custom_values', False) and \
                    self.applies(definition, obj.type_name):
                yield obj

    def _definitions_changed(self, definition):
        self.changed('field')
        for obj in self._entities_of(definition):
            obj.changed('availableField')

    # -- API methods ------------------------------------------------------------------------
    def AddCustomFieldDef(self, ctx, name, moType=None, fieldDefPolicy=None, fieldPolicy=None):
        if not name:
            raise InvalidArgument('name')
        if moType and moType not in self.server.schema.managed:
            raise InvalidArgument('moType')
        self._check_unique(name, moType)
        definition = self.server.schema.types['CustomFieldDef'].cls(
            key=self._next_key, name=name, type='string', managedObjectType=moType or None,
            fieldDefPrivileges=self._policy(fieldDefPolicy),
            fieldInstancePrivileges=self._policy(fieldPolicy))
        self._next_key += 1
        self.definitions[definition.key] = definition
        self._definitions_changed(definition)
        event_manager(self.server).post('CustomFieldDefAddedEvent', ctx=ctx,
                                        fieldKey=definition.key, name=name)
        return definition

    def RemoveCustomFieldDef(self, ctx, key):
        definition = self._definition(key)
        self._definitions_changed(definition)
        del self.definitions[key]
        for entity in list(self.holders.pop(key, ())):
            if entity.custom_values.pop(key, None) is not None:
                entity.changed('value', 'customValue', 'summary')
        event_manager(self.server).post('CustomFieldDefRemovedEvent', ctx=ctx,
                                        fieldKey=key, name=definition.name)

    def RenameCustomFieldDef(self, ctx, key, name):
        definition = self._definition(key)
        if not name:
            raise InvalidArgument('name')
        if name == definition.name:
            return None
        self._check_unique(name, definition.managedObjectType, exclude=definition)
        old_name, definition.name = definition.name, name
        self._definitions_changed(definition)
        event_manager(self.server).post('CustomFieldDefRenamedEvent', ctx=ctx,
                                        fieldKey=key, name=old_name, newName=name)
        return None

    def SetField(self, ctx, entity, key, value):
        target = self.server.objects.resolve(entity)
        definition = self._definition(key)
        if not self.applies(definition, target.type_name) or \
                not self.server.schema.managed[target.type_name].is_a('ManagedEntity'):
            raise InvalidArgument('key')
        self.set_value(ctx, target, definition, value)

    def set_value(self, ctx, entity, definition, value):
        """Give `entity` (any extensible object) `value` for `definition` (an
        empty value clears it), report it, and for a managed entity post
        CustomFieldValueChangedEvent (its event argument is an entity's)."""
        previous = entity.custom_values.get(definition.key)
        if value:
            entity.custom_values[definition.key] = value
            self.holders.setdefault(definition.key, weakref.WeakSet()).add(entity)
        else:
            entity.custom_values.pop(definition.key, None)
        entity.changed('value', 'customValue', 'summary')
        if not self.server.schema.managed[entity.type_name].is_a('ManagedEntity'):
            return
        T = self.server.schema.types
        event_manager(self.server).post(
            'CustomFieldValueChangedEvent', entity, ctx=ctx,
            entity=T['ManagedEntityEventArgument'].cls(name=entity.name, entity=entity.ref),
            fieldKey=definition.key, name=definition.name, value=value or '',
            prevState=previous or '')
