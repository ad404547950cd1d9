"""Reading and showing model values for the web pages: property paths with
array steps (`config.hardware.device[4000]`), type labels as the MOB writes
them, and values as text."""
import base64
import datetime
import re

from vimsim.managed.paths import read_path
from vimsim.managed.service.property_collector import check_readable
from vimsim.schema import DataObject, MoRef
from vimsim.soap.fault import InvalidProperty

# one step of a doPath: a name, optionally an element selector (a key may hold dots)
_STEP = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\]]*)\])?(?:\.|$)')


def read_property(ctx, obj, path):
    """(value, Field) of a property path, as Fetch reads it: the caller's
    privilege checked (NoPermission / NotAuthenticated raised)."""
    check_readable(ctx, obj, path)
    return read_path(obj, path, ctx)


def read_data_path(ctx, obj, path):
    """(value, label) at a MOB `doPath`: a property, then fields, each step
    optionally selecting an array element by its `key` (or, for elements
    without one, by position). InvalidProperty for a path that leads nowhere."""
    value = None
    position = 0
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None or match.end() == len(path) and path.endswith('.'):
            raise InvalidProperty(path)
        name, selector = match.groups()
        first = position == 0
        position = match.end()
        if first:
            value, _ = read_property(ctx, obj, name)
        elif isinstance(value, DataObject) and name in value._type.field_map:
            value = getattr(value, name)
        else:
            raise InvalidProperty(path)
        if selector is not None:
            value = _element(value, selector)
            if value is None:
                raise InvalidProperty(path)
    return value


def _element(values, selector):
    if not isinstance(values, list):
        return None
    for index, item in enumerate(values):
        if element_selector(item, index) == selector:
            return item
    return None


def element_selector(item, index):
    """How a doPath names an array element: its key, else its position."""
    key = getattr(item, 'key', None) if isinstance(item, DataObject) else None
    return str(key) if isinstance(key, (int, str)) and not isinstance(key, bool) else str(index)


def type_label(field):
    """A field's type as the MOB shows it: `string`, `VirtualDevice[]`,
    `ManagedObjectReference:Datastore[]`."""
    if field.type == 'ManagedObjectReference':
        label = 'ManagedObjectReference:%s' % (field.mo_type or 'ManagedObject')
    else:
        label = field.type
    return label + '[]' if field.array else label


def text(value):
    """A primitive value as its XML text."""
    if value is True or value is False:
        return 'true' if value else 'false'
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode('ascii')
    return str(value)


def is_primitive(schema, type_name):
    """Whether a parameter of this type is typed as plain text in the MOB
    (xsd types and enums), not as XML."""
    return type_name not in schema.types and type_name not in ('ManagedObjectReference', 'anyType')


def kind_of(value):
    """'unset', 'ref', 'data', 'list' or 'text', for the templates."""
    if value is None:
        return 'unset'
    if isinstance(value, MoRef):
        return 'ref'
    if isinstance(value, DataObject):
        return 'data'
    if isinstance(value, (list, tuple)):
        return 'list'
    return 'text'


def data_fields(value):
    """(name, value) of a data object's set fields, in schema order."""
    return [(field, getattr(value, field.name, None)) for field in value._type.fields]
