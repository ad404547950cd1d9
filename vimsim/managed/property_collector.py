"""PropertyCollector: RetrieveProperties(Ex), paging, collectors per session.

Object selection follows the vmodl semantics: each ObjectSpec names a start
object; its selectSet is applied recursively; a TraversalSpec follows one
property of objects of its type to the objects it names; a plain SelectionSpec
refers by name to a TraversalSpec defined anywhere in the same filter spec;
`skip` leaves an object out of the result while still traversing through it.
"""
import itertools

from vimsim.managed.base import ManagedObject
from vimsim.schema import MoRef
from vimsim.soap.encode import Typed
from vimsim.soap.fault import (InvalidArgument, InvalidProperty,
                               ManagedObjectNotFound, fault, localized)


def read_path(obj, path, ctx):
    """(value, declared Field) of a property path such as
    `summary.runtime.powerState`; value None when any step is unset."""
    server = ctx.server
    managed = server.schema.managed[obj.type_name]
    head, _, rest = path.partition('.')
    field = managed.property_map.get(head)
    if field is None or field.since > ctx.version:
        raise InvalidProperty(path)
    value = obj.read(head, ctx)
    while rest:
        head, _, rest = rest.partition('.')
        if field.array:
            raise InvalidProperty(path)
        data_type = server.schema.types.get(field.type)
        if data_type is None:
            raise InvalidProperty(path)
        if value is not None:
            data_type = value._type
        next_field = data_type.field_map.get(head)
        if next_field is None or next_field.since > ctx.version:
            raise InvalidProperty(path)
        field = next_field
        if value is not None:
            value = getattr(value, head)
    return value, field


def check_path(schema, type_name, path, version):
    """Raise InvalidProperty unless `path` names a property of `type_name`
    known to the client's version."""
    managed = schema.managed[type_name]
    head, _, rest = path.partition('.')
    field = managed.property_map.get(head)
    if field is None or field.since > version:
        raise InvalidProperty(path)
    while rest:
        head, _, rest = rest.partition('.')
        data_type = schema.types.get(field.type)
        if field.array or data_type is None:
            raise InvalidProperty(path)
        field = _field_in_subtypes(data_type, head)
        if field is None or field.since > version:
            raise InvalidProperty(path)


def _field_in_subtypes(data_type, name):
    """A field of the type or of any of its subtypes (a path may go through a
    subtype's field, as `configurationEx.drsConfig` does)."""
    found = data_type.field_map.get(name)
    if found is not None:
        return found
    for sub in data_type.subtypes:
        found = _field_in_subtypes(sub, name)
        if found is not None:
            return found
    return None


def as_refs(value):
    """The MoRefs a traversal path yields (a single one or an array)."""
    if value is None:
        return ()
    if isinstance(value, MoRef):
        return (value,)
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, MoRef)]
    return ()


class PropertyCollector(ManagedObject):
    type_name = 'PropertyCollector'

    def __init__(self, server, moid, owner=None):
        super().__init__(server, moid)
        self.owner = owner
        self.filter = []
        self._pages = {}
        self._tokens = itertools.count(1)

    # -- selection ----------------------------------------------------------
    def select(self, ctx, spec):
        """The objects a PropertyFilterSpec selects, in traversal order, and
        the references of start objects that do not exist."""
        schema = ctx.server.schema
        objects = ctx.server.objects
        named = {}
        for object_spec in spec.objectSet:
            _collect_named(object_spec.selectSet, named)
        selected = {}
        missing = []
        visited = set()

        def traverse(obj, select_set):
            for selection in select_set or ():
                traversal = selection if _is_traversal(selection) else named.get(selection.name)
                if traversal is None:
                    raise InvalidArgument('selectSet',
                                          'Unknown selection spec name %s' % selection.name)
                key = (obj.ref, id(traversal))
                if key in visited:
                    continue
                visited.add(key)
                if traversal.type not in schema.managed:
                    raise fault('InvalidType', 'Unknown type %s' % traversal.type,
                                argument='type')
                if not schema.managed[obj.type_name].is_a(traversal.type):
                    continue
                value, _ = read_path(obj, traversal.path, ctx)
                for ref in as_refs(value):
                    target = objects.get(ref)
                    if target is None:
                        continue
                    if not traversal.skip:
                        selected.setdefault(ref, target)
                    traverse(target, traversal.selectSet)

        for object_spec in spec.objectSet:
            start = objects.get(object_spec.obj)
            if start is None:
                if spec.reportMissingObjectsInResults:
                    missing.append(object_spec.obj)
                    continue
                raise ManagedObjectNotFound(object_spec.obj)
            if not object_spec.skip:
                selected.setdefault(start.ref, start)
            traverse(start, object_spec.selectSet)
        return list(selected.values()), missing

    def plan(self, ctx, spec):
        """[(object, property paths)] for one filter spec, plus missing refs.
        Objects of a type no PropertySpec names are not reported."""
        schema = ctx.server.schema
        for prop_spec in spec.propSet:
            if prop_spec.type not in schema.managed:
                raise fault('InvalidType', 'Unknown type %s' % prop_spec.type,
                            argument='type')
            for path in prop_spec.pathSet or ():
                check_path(schema, prop_spec.type, path, ctx.version)
        objects, missing = self.select(ctx, spec)
        planned = []
        for obj in objects:
            managed = schema.managed[obj.type_name]
            paths = None
            for prop_spec in spec.propSet:
                if not managed.is_a(prop_spec.type):
                    continue
                if paths is None:
                    paths = {}
                if prop_spec.all:
                    for field in managed.properties:
                        if field.since <= ctx.version:
                            paths[field.name] = None
                for path in prop_spec.pathSet or ():
                    paths[path] = None
            if paths is not None:
                planned.append((obj, list(paths)))
        return planned, missing

    def contents(self, ctx, planned, missing=()):
        """ObjectContent for each planned object, and for missing refs."""
        types = ctx.server.schema.types
        ObjectContent = types['ObjectContent'].cls
        DynamicProperty = types['DynamicProperty'].cls
        MissingProperty = types['MissingProperty'].cls
        result = []
        for obj, paths in planned:
            prop_set = []
            missing_set = []
            for path in paths:
                try:
                    value, field = read_path(obj, path, ctx)
                except Exception as error:  # a fault reading one property
                    if not isinstance(error, types['MethodFault'].cls):
                        raise
                    missing_set.append(MissingProperty(path=path, fault=localized(error)))
                    continue
                if value is not None:
                    prop_set.append(DynamicProperty(name=path, val=Typed(value, field)))
            result.append(ObjectContent(obj=obj.ref, propSet=prop_set or None,
                                        missingSet=missing_set or None))
        for ref in missing:
            result.append(ObjectContent(obj=ref, missingSet=[MissingProperty(
                path='', fault=localized(ManagedObjectNotFound(ref)))]))
        return result

    # -- API methods ---------------------------------------------------------
    def RetrieveProperties(self, ctx, specSet):
        planned, missing = self._plan_all(ctx, specSet)
        return self.contents(ctx, planned, missing)

    def RetrievePropertiesEx(self, ctx, specSet, options):
        planned, missing = self._plan_all(ctx, specSet)
        return self._page(ctx, planned, missing, options.maxObjects)

    def ContinueRetrievePropertiesEx(self, ctx, token):
        planned, missing, page_size = self._take_token(ctx, token)
        return self._page(ctx, planned, missing, page_size)

    def CancelRetrievePropertiesEx(self, ctx, token):
        self._take_token(ctx, token)

    def CreatePropertyCollector(self, ctx):
        collector = PropertyCollector(
            ctx.server, 'session[%s]%s' % (ctx.session.key, ctx.server.new_uuid()),
            owner=ctx.session)
        ctx.session.own(collector)
        return collector.ref

    def DestroyPropertyCollector(self, ctx):
        if self.owner is None:
            raise fault('InvalidRequest', 'The default PropertyCollector cannot be destroyed')
        self.owner.disown(self)
        self.destroy()

    # -- helpers --------------------------------------------------------------
    def _plan_all(self, ctx, spec_set):
        planned, missing = [], []
        for spec in spec_set:
            objects, refs = self.plan(ctx, spec)
            planned.extend(objects)
            missing.extend(refs)
        return planned, missing

    def _page(self, ctx, planned, missing, page_size):
        if page_size is not None and page_size <= 0:
            page_size = None
        if page_size is not None and len(planned) + len(missing) > page_size:
            head, planned = planned[:page_size], planned[page_size:]
            token = str(next(self._tokens))
            self._pages[token] = (ctx.session, planned, missing, page_size)
            if ctx.session is not None:
                ctx.session.on_close(lambda: self._pages.pop(token, None))
            objects = self.contents(ctx, head)
        else:
            token = None
            objects = self.contents(ctx, planned, missing)
        if not objects:
            return None
        return ctx.server.schema.types['RetrieveResult'].cls(token=token, objects=objects)

    def _take_token(self, ctx, token):
        entry = self._pages.get(token)
        if entry is None or entry[0] is not ctx.session:
            raise InvalidArgument('token', 'Unknown or expired token %s' % token)
        del self._pages[token]
        return entry[1], entry[2], entry[3]

    def destroy(self):
        self._pages.clear()
        super().destroy()


def _is_traversal(selection):
    return selection._type.name == 'TraversalSpec'


def _collect_named(select_set, named):
    """Every named TraversalSpec in a selectSet tree, by name."""
    for selection in select_set or ():
        if _is_traversal(selection):
            if selection.name and selection.name not in named:
                named[selection.name] = selection
                _collect_named(selection.selectSet, named)
            elif not selection.name:
                _collect_named(selection.selectSet, named)
