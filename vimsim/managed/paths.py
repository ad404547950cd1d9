"""Property paths: reading `summary.runtime.powerState` off a managed object
and checking a path against the schema before any object is read.

Fast path: a managed class may list in `path_readers` nested paths it can
answer without building the data objects on the way (`config.hardware.memoryMB`
straight from the VM's memory size instead of a whole VirtualMachineConfigInfo).
Such a reader must return exactly what the step-by-step read returns; the
Field is the one the declared types give, resolved once per path and version.
"""
from vimsim.soap.fault import InvalidProperty

_UNRESOLVED = object()
_declared_fields = {}   # (schema id, type name, path, version) -> Field or None


def read_path(obj, path, ctx):
    """(value, declared Field) of a property path such as
    `summary.runtime.powerState`; value None when any step is unset."""
    server = ctx.server
    reader = obj.path_readers.get(path)
    if reader is not None:
        key = (id(server.schema), obj.type_name, path, ctx.version)
        field = _declared_fields.get(key, _UNRESOLVED)
        if field is _UNRESOLVED:
            field = _declared_fields[key] = _declared_field(server.schema, obj.type_name,
                                                            path, ctx.version)
        if field is not None:
            return reader(obj), field
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


def path_reader(obj, path, ctx):
    """A function reading `path` off `obj` or any object of its class, as
    `read_path` does: returns (value, Field), raises what read_path raises.
    For reading one path off many objects of a class (property collection)."""
    server = ctx.server
    schema = server.schema
    reader = obj.path_readers.get(path)
    if reader is not None:
        key = (id(schema), obj.type_name, path, ctx.version)
        field = _declared_fields.get(key, _UNRESOLVED)
        if field is _UNRESOLVED:
            field = _declared_fields[key] = _declared_field(schema, obj.type_name,
                                                            path, ctx.version)
        if field is not None:
            return lambda target: (reader(target), field)
    if '.' not in path:
        field = schema.managed[obj.type_name].property_map.get(path)
        if field is None or field.since > ctx.version:
            def invalid(target):
                raise InvalidProperty(path)
            return invalid
        return lambda target: (target.read(path, ctx), field)
    return lambda target: read_path(target, path, ctx)


class PathReaders:
    """`path_reader`s for reading paths off many objects (a retrieval, a
    filter): one per path and kind of object, a kind being a class, a type
    name and a `path_readers` table, since an object may have a table of its
    own (a customized VM answers its guest identity through one)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self._kinds = {}   # (class, type name, id of the table) -> (table, {path: reader})

    def of(self, obj):
        """{path: reader} for `obj`'s kind, filled by `reader`."""
        table = obj.path_readers
        key = (type(obj), obj.type_name, id(table))
        kind = self._kinds.get(key)
        if kind is None or kind[0] is not table:   # kept with its table: the id stays its own
            kind = self._kinds[key] = (table, {})
        return kind[1]

    def reader(self, readers, obj, path):
        """readers[path] (readers being `of(obj)`), made when missing."""
        reader = readers.get(path)
        if reader is None:
            reader = readers[path] = path_reader(obj, path, self.ctx)
        return reader


def _declared_field(schema, type_name, path, version):
    """The Field a path ends on, walking the declared types (no subtypes); None
    when the path is not valid as declared for `version` (the step-by-step
    read then answers, or faults, as usual)."""
    managed = schema.managed[type_name]
    head, _, rest = path.partition('.')
    field = managed.property_map.get(head)
    if field is None or field.since > version:
        return None
    while rest:
        head, _, rest = rest.partition('.')
        data_type = schema.types.get(field.type)
        if field.array or data_type is None:
            return None
        field = data_type.field_map.get(head)
        if field is None or field.since > version:
            return None
    return field


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
        field = field_in_subtypes(data_type, head)
        if field is None or field.since > version:
            raise InvalidProperty(path)


def field_in_subtypes(data_type, name):
    """A field of the type or of any of its subtypes (a path may go through a
    subtype's field, as `configurationEx.drsConfig` does)."""
    found = data_type.field_map.get(name)
    if found is not None:
        return found
    for sub in data_type.subtypes:
        found = field_in_subtypes(sub, name)
        if found is not None:
            return found
    return None
