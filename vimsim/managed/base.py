"""The managed-object model: objects by reference, property reads, calls.

A managed object is a Python object whose attributes carry the API's property
names (`vm.name`, `folder.childEntity`); derived properties are Python
properties computed on read. Methods carry the WSDL operation names
(`CreateContainerView`) and take the request context first, then the
operation's parameters as keyword arguments.
"""
import contextlib
import gc

from vimsim.schema import MoRef
from vimsim.soap.fault import InvalidArgument, ManagedObjectNotFound


@contextlib.contextmanager
def gc_paused():
    """Hold off the cyclic garbage collector while building a large result
    (a RetrieveProperties answer over 100,000 VMs is half a million small
    objects, none in a cycle): each full collection it would trigger walks
    the whole inventory, which costs several times the build itself."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Context:
    """What a handler knows of the call it serves."""
    __slots__ = ('server', 'session', 'version', 'request')

    def __init__(self, server, session, version, request=None):
        self.server = server
        self.session = session
        self.version = version
        self.request = request


class ManagedObject:
    """Base of every managed object. `type_name` is the WSDL type name."""
    type_name = 'ManagedObject'
    owner = None  # the Session owning a session-scoped object, else None
    # nested property paths the object answers directly (see paths.read_path):
    # path -> function(obj) returning the value the step-by-step read gives
    path_readers = {}

    def __init__(self, server, moid):
        self.server = server
        self.ref = MoRef(self.type_name, moid)
        server.objects.add(self)

    def read(self, name, ctx):
        """The value of managed property `name` (None when unset).
        Session-dependent properties override this."""
        return getattr(self, name, None)

    def changed(self, *names):
        """Report that properties `names` (all, when none are named) may have
        changed: the one path by which model changes reach property filters."""
        self.server.changes.changed(self, names or None)

    def view_children(self):
        """The MoRefs a ContainerView sees directly inside this object."""
        return ()

    def view_parents(self):
        """The MoRefs of the objects whose view_children list this one."""
        return ()

    def destroy(self):
        self.server.objects.remove(self)

    def __repr__(self):
        return '<%s %s>' % (self.type_name, self.ref.value)


class ExtensibleManagedObject(ManagedObject):
    """An object that carries custom field values (entities, tasks,
    snapshots). The definitions are the server's
    CustomFieldsManager's (`server.custom_fields_manager`, none on ESX), which
    makes every change."""
    type_name = 'ExtensibleManagedObject'
    holds_custom_values = True
    _custom_values = None   # {field key: value}, made on the first value set

    @property
    def custom_values(self):
        if self._custom_values is None:
            self._custom_values = {}
        return self._custom_values

    @property
    def value(self):
        if not self._custom_values:
            return []
        Value = self.server.schema.types['CustomFieldStringValue'].cls
        return [Value(key=key, value=text) for key, text in sorted(self._custom_values.items())]

    @property
    def availableField(self):
        manager = getattr(self.server, 'custom_fields_manager', None)
        return manager.fields_of(self.type_name) if manager is not None else []

    def setCustomValue(self, ctx, key, value):
        """Set the value of the field named `key` valid for this object's type
        (InvalidArgument when there is none, as the API reference says)."""
        manager = getattr(self.server, 'custom_fields_manager', None)
        definition = manager.field_named(key, self.type_name) if manager is not None else None
        if definition is None:
            raise InvalidArgument('key')
        manager.set_value(ctx, self, definition, value)


class Registry:
    """Every managed object by reference, plus moid allocation. Additions and
    removals are reported to `listener` (the change hub). An object may be
    registered before it is made (`add_lazy`): it is made on its first
    lookup, or when every object is asked for."""

    def __init__(self, listener):
        self._by_ref = {}
        self._by_type = {}      # ref type -> {ref: object}, for each type of_type was asked
        self._lazy = {}         # ref -> the callable that makes the object
        self.last_id = 0        # the number in the last moid handed out
        self.removals = 0       # objects removed so far (what held them may be free again)
        self.renames = 0        # entity renames so far (what indexes names may be stale)
        self.listener = listener

    def next_id(self, prefix):
        """A fresh vCenter-style moid: 'vm-42', 'group-v7', 'host-19'."""
        self.last_id += 1
        return '%s%d' % (prefix, self.last_id)

    def add(self, obj):
        self._by_ref[obj.ref] = obj
        of_type = self._by_type.get(obj.ref.type)
        if of_type is not None:
            of_type[obj.ref] = obj
        self._lazy.pop(obj.ref, None)    # made along with another lazy ref's object
        self.listener.object_added(obj)

    def add_lazy(self, ref, make):
        """Register `ref`, whose object `make()` makes (and adds) when first
        looked up: a start then imports and builds only the managers it uses.
        Refs of objects made together share one `make`: whichever is looked
        up first makes them all."""
        self._lazy[ref] = make
        return ref

    def forget_lazy(self, ref):
        """Take out `ref`, registered to be made, whose object is gone before
        it was made (a removed host's managers)."""
        self._lazy.pop(ref, None)

    def _make(self, ref):
        make = self._lazy.pop(ref, None)    # popped first: a make that looks itself up
        if make is None:
            return self._by_ref.get(ref)
        try:
            make()
        except BaseException:
            # the call that asked first gets the fault; the ref stays to make
            # on the next lookup, not gone for every session
            if ref not in self._by_ref:
                self._lazy[ref] = make
            raise
        return self._by_ref.get(ref)

    def remove(self, obj):
        if self._by_ref.pop(obj.ref, None) is not None:
            of_type = self._by_type.get(obj.ref.type)
            if of_type is not None:
                of_type.pop(obj.ref, None)
            self.removals += 1
            self.listener.object_removed(obj)

    def replace(self, old, new):
        """`new` takes `old`'s moid and place, `old` takes `new`'s former
        MoRef: the same managed object to every client (the listener is
        told nothing; what changed, `new` reports)."""
        new.ref, old.ref = old.ref, new.ref
        self._by_ref[new.ref] = new
        if new.ref.type in self._by_type:
            self._by_type[new.ref.type][new.ref] = new

    def get(self, ref):
        obj = self._by_ref.get(ref)
        if obj is None and ref in self._lazy:
            return self._make(ref)
        return obj

    def getter(self):
        """`get` for many lookups in a row: the mapping's own, no call layer,
        once no object is left to make."""
        return self.get if self._lazy else self._by_ref.get

    def resolve(self, ref):
        """The object a MoRef names, or the fault vCenter answers."""
        obj = self.get(ref)
        if obj is None:
            raise ManagedObjectNotFound(ref)
        return obj

    def of_type(self, type_name):
        """Every object whose MoRef type is `type_name` (those still to make
        made first), without making the other lazy managers. The first ask
        walks the registry once; the type is then indexed (kept by add,
        remove and replace), so the few datastores or hosts of an inventory
        of 100,000 VMs are found without a walk, and no type nobody asks
        for costs memory."""
        for ref in [ref for ref in self._lazy if ref.type == type_name]:
            self._make(ref)
        found = self._by_type.get(type_name)
        if found is None:
            found = self._by_type[type_name] = {
                ref: obj for ref, obj in self._by_ref.items() if ref.type == type_name}
        return list(found.values())

    def __contains__(self, ref):
        """Whether `ref` names an object, made or still to make."""
        return ref in self._by_ref or ref in self._lazy

    def __iter__(self):
        for ref in list(self._lazy):
            self._make(ref)
        return iter(list(self._by_ref.values()))

    def __len__(self):
        return len(self._by_ref) + len(self._lazy)
