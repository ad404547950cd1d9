"""Property paths: reading `summary.runtime.powerState` off a managed object
and checking a path against the schema before any object is read."""
from vimsim.soap.fault import InvalidProperty


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
