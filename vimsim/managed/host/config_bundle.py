"""A host's configuration bundle (HostFirmwareSystem): the file format.

`configBundle-<host>.tgz` is a gzip tar holding `Manifest.txt` (what ESXi's
bundle starts with: the host and build it was made on, for a person) and
`config.json`, the configuration as data: a header (format, host name,
uuid, build) and sections of vim25 data objects, each written as a JSON
object with its type in `_type` and its set fields by their WSDL names
(anyType values as `{"_xsd": type, "value": ...}`, references as
ManagedObjectReference objects).

Reading is for untrusted bytes: the compressed and uncompressed sizes and
the member count are bounded, only regular files with plain relative names
are taken (no absolute paths, `..`, links or devices), and the JSON is
decoded against the served schema field by field (known type and fields,
the declared type of each, required fields present, xsd ranges), so what
comes back is what a SOAP request could have carried. Any problem is a
BundleError naming where it is.
"""
import base64
import io
import json
import posixpath
from datetime import datetime

from vimsim.schema import MOREF, DataObject, MoRef
from vimsim.soap.decode import parse_datetime, parse_primitive
from vimsim.soap.encode import Byte, Float, Long, Short

FORMAT = 'vimsim-host-config/1'
DOCUMENT = 'config.json'
MANIFEST = 'Manifest.txt'
MAX_BUNDLE = 16 << 20          # bytes of an uploaded .tgz
MAX_MEMBER = 8 << 20           # bytes of config.json once uncompressed
MAX_MEMBERS = 16
MAX_DEPTH = 40                 # nesting of data objects in the document

_INTEGERS = ('int', 'long', 'short', 'byte')
_WRAPPERS = {'long': Long, 'short': Short, 'byte': Byte, 'float': Float}
_ANY_TYPE_OF = {bool: 'boolean', str: 'string', int: 'int', Long: 'long', Short: 'short',
                Byte: 'byte', float: 'double', Float: 'float', bytes: 'base64Binary',
                datetime: 'dateTime'}


class BundleError(ValueError):
    """What is wrong with a bundle (the text of InvalidBundle)."""


# -- writing ---------------------------------------------------------------------------------

def to_json(value):
    """A model value as JSON data (see the module docstring)."""
    if isinstance(value, DataObject):
        out = {'_type': value._type.name}
        for field in value._type.fields:
            item = getattr(value, field.name, None)
            if item is None or (field.array and not item):
                continue
            out[field.name] = ([_field_json(field, one) for one in item] if field.array
                               else _field_json(field, item))
        return out
    if isinstance(value, MoRef):
        return {'_type': MOREF, 'type': value.type, 'value': value.value}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode('ascii')
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)             # Long and its kin: their xsd type goes beside them
    if isinstance(value, float):
        return float(value)
    return value


def _field_json(field, value):
    if field.type != 'anyType' or isinstance(value, (DataObject, MoRef)):
        return to_json(value)
    return {'_xsd': _ANY_TYPE_OF.get(type(value), 'string'), 'value': to_json(value)}


def pack(host_name, header, sections):
    """The .tgz bytes of a bundle: `header` and `sections` ({name: JSON data})."""
    document = json.dumps(dict(header, format=FORMAT, sections=sections), indent=1,
                          sort_keys=True).encode('utf-8')
    manifest = ('host=%s\nuuid=%s\nbuildNumber=%s\nformat=%s\n' % (
        host_name, header['uuid'], header['buildNumber'], FORMAT)).encode('utf-8')
    import tarfile     # not at start: 0.4 MB that only bundles use
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode='w:gz', format=tarfile.PAX_FORMAT) as tar:
        for name, data in ((MANIFEST, manifest), (DOCUMENT, document)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


# -- reading ---------------------------------------------------------------------------------

def unpack(data):
    """The JSON document of a bundle's bytes (a dict with `format` checked)."""
    if len(data) > MAX_BUNDLE:
        raise BundleError('the bundle is larger than %d bytes' % MAX_BUNDLE)
    import tarfile
    found = None
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode='r:gz') as tar:
            for count, member in enumerate(_members(tar), 1):
                if count > MAX_MEMBERS:
                    raise BundleError('the bundle holds more than %d files' % MAX_MEMBERS)
                _check_member(member)
                if member.isfile() and posixpath.normpath(member.name) == DOCUMENT:
                    found = tar.extractfile(member).read(MAX_MEMBER + 1)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BundleError('the bundle is not a gzip tar archive (%s)' % error) from None
    if found is None:
        raise BundleError('the bundle has no %s' % DOCUMENT)
    try:
        document = json.loads(found.decode('utf-8'))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BundleError('%s is not JSON (%s)' % (DOCUMENT, error)) from None
    if not isinstance(document, dict) or document.get('format') != FORMAT:
        raise BundleError('%s is not a %s document' % (DOCUMENT, FORMAT))
    return document


def _members(tar):
    while True:
        member = tar.next()
        if member is None:
            return
        yield member


def _check_member(member):
    name = member.name
    parts = name.split('/')
    if name.startswith('/') or '..' in parts or '\\' in name:
        raise BundleError('the bundle holds a file outside itself: %r' % name[:100])
    if not (member.isfile() or member.isdir()):
        raise BundleError('the bundle holds a link or device: %r' % name[:100])
    if member.size > MAX_MEMBER:
        raise BundleError('%r is larger than %d bytes' % (name[:100], MAX_MEMBER))


def from_json(schema, value, type_name, where, depth=0):
    """The model value of JSON `value` declared `type_name` (one item, not
    an array), checked against `schema`; BundleError naming `where`."""
    if depth > MAX_DEPTH:
        raise BundleError('%s: nested too deep' % where)
    if type_name == 'anyType':
        return _any(schema, value, where, depth)
    if type_name in ('string', 'anyURI'):
        return _typed(value, str, type_name, where)
    if type_name == 'boolean':
        return _typed(value, bool, type_name, where)
    if type_name in _INTEGERS:
        if type(value) is not int:
            raise BundleError('%s: not an xsd:%s' % (where, type_name))
        return _primitive(type_name, str(value), where)
    if type_name in ('float', 'double'):
        if type(value) not in (int, float):
            raise BundleError('%s: not an xsd:%s' % (where, type_name))
        return _primitive(type_name, repr(float(value)), where)
    if type_name == 'dateTime':
        return _primitive(type_name, _typed(value, str, type_name, where), where)
    if type_name == 'base64Binary':
        return _primitive(type_name, _typed(value, str, type_name, where), where)
    enum = schema.enums.get(type_name)
    if enum is not None:
        if value not in enum.values:
            raise BundleError('%s: not a %s' % (where, type_name))
        return value
    if type_name == MOREF:
        return _reference(schema, value, where)
    declared = schema.types.get(type_name)
    if declared is None:
        raise BundleError('%s: unknown type %s' % (where, type_name))
    return _data_object(schema, value, declared, where, depth)


def _typed(value, kind, type_name, where):
    if type(value) is not kind:
        raise BundleError('%s: not an xsd:%s' % (where, type_name))
    return value


def _primitive(type_name, text, where):
    try:
        if type_name == 'dateTime':
            return parse_datetime(text)
        return parse_primitive(type_name, text)
    except Exception as error:       # the decoder's InvalidRequest fault
        raise BundleError('%s: %s' % (where, error.args[0] if error.args else type_name)) \
            from None


def _any(schema, value, where, depth):
    if isinstance(value, dict) and set(value) == {'_xsd', 'value'}:
        xsd = value['_xsd']
        if xsd not in _ANY_TYPE_OF.values():
            raise BundleError('%s: unknown xsd type %r' % (where, xsd))
        found = from_json(schema, value['value'], xsd, where, depth + 1)
        wrapper = _WRAPPERS.get(xsd)
        return wrapper(found) if wrapper else found
    if isinstance(value, dict) and isinstance(value.get('_type'), str):
        return from_json(schema, value, value['_type'], where, depth + 1)
    raise BundleError('%s: an anyType value needs _xsd or _type' % where)


def _reference(schema, value, where):
    if not isinstance(value, dict) or set(value) != {'_type', 'type', 'value'} or \
            value['type'] not in schema.managed or not isinstance(value['value'], str):
        raise BundleError('%s: not a managed object reference' % where)
    return MoRef(value['type'], value['value'])


def _data_object(schema, value, declared, where, depth):
    if not isinstance(value, dict):
        raise BundleError('%s: not a %s object' % (where, declared.name))
    actual = schema.types.get(value.get('_type'))
    if actual is None or actual.is_fault or not actual.is_a(declared):
        raise BundleError('%s: %r is not a %s' % (where, value.get('_type'), declared.name))
    fields = {}
    for name, item in value.items():
        if name == '_type':
            continue
        field = actual.field_map.get(name)
        if field is None:
            raise BundleError('%s: %s has no field %r' % (where, actual.name, name[:60]))
        inside = '%s.%s' % (where, name)
        if field.array:
            if not isinstance(item, list):
                raise BundleError('%s: not an array' % inside)
            fields[name] = [from_json(schema, one, field.type, '%s[%d]' % (inside, index),
                                      depth + 1) for index, one in enumerate(item)]
        else:
            fields[name] = from_json(schema, item, field.type, inside, depth + 1)
    for field in actual.fields:
        if field.name not in fields:
            if field.array:
                fields[field.name] = []
            elif not field.optional:
                raise BundleError('%s: %s needs %s' % (where, actual.name, field.name))
    return actual.cls(**fields)
