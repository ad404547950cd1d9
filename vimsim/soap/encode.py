"""Schema-driven SOAP encoder: Python values -> vim25 XML text.

Strings are appended to a list and joined once, straight from per-(type,
version) field tables; that is 20-40x faster than building element trees.
Everything is filtered to the client's negotiated API version: a field, type or
enum value newer than that version is never written (WIRE.md section 7).
"""
import base64
from datetime import datetime, timezone

from vimsim.schema import DataObject, MoRef

ENVELOPE_START = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/"\n'
    ' xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"\n'
    ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"\n'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    '<soapenv:Body>\n')
ENVELOPE_END = '\n</soapenv:Body>\n</soapenv:Envelope>'

_INTEGER_TYPES = frozenset(('int', 'long', 'short', 'byte'))
_FLOAT_TYPES = frozenset(('float', 'double'))
_STRING_TYPES = frozenset(('string', 'anyURI'))
XSD_PRIMITIVES = _INTEGER_TYPES | _FLOAT_TYPES | _STRING_TYPES | {
    'boolean', 'dateTime', 'base64Binary'}


def escape(text):
    """Escape character data and attribute values (quotes included)."""
    if '&' in text:
        text = text.replace('&', '&amp;')
    if '<' in text:
        text = text.replace('<', '&lt;')
    if '>' in text:
        text = text.replace('>', '&gt;')
    if '"' in text:
        text = text.replace('"', '&quot;')
    return text


def format_datetime(value):
    """ISO 8601 in UTC with a Z, as vCenter writes it."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat() + 'Z'


def format_primitive(type_name, value):
    """Text of a primitive value of the given XSD type."""
    if type_name in _STRING_TYPES:
        return escape(value)
    if value is True or value is False:
        return 'true' if value else 'false'
    if type_name in _INTEGER_TYPES:
        return str(int(value))
    if type_name in _FLOAT_TYPES:
        return repr(float(value))
    if type_name == 'dateTime':
        return format_datetime(value)
    if type_name == 'base64Binary':
        return base64.b64encode(value).decode('ascii')
    return escape(str(value))


class Typed:
    """A value with its declared Field, for anyType positions whose content
    has a known static type (DynamicProperty.val, PropertyChange.val, Fetch):
    it picks the ArrayOfX name and the enum xsi:type a vCenter would send."""
    __slots__ = ('value', 'field')

    def __init__(self, value, field):
        self.value = value
        self.field = field


class Long(int):
    """An int that travels as xsd:long inside anyType positions."""


class Short(int):
    """An int that travels as xsd:short inside anyType positions."""


class Byte(int):
    """An int that travels as xsd:byte inside anyType positions."""


class Float(float):
    """A float that travels as xsd:float inside anyType positions."""


_ANY_PRIMITIVE = {bool: 'boolean', str: 'string', Long: 'long', Short: 'short',
                  Byte: 'byte', float: 'double', Float: 'float',
                  bytes: 'base64Binary', datetime: 'dateTime'}


class Encoder:
    """Encodes values for one negotiated API version (an index into
    Schema.versions). Get one with `encoder_for(schema, version)`."""

    def __init__(self, schema, version):
        self.schema = schema
        self.version = version
        self._plans = {}
        self._visible_type = {}

    # -- type tables -------------------------------------------------------
    def visible_type(self, data_type):
        """The type a client of this version knows: the object's own type, or
        its nearest ancestor when the type itself is newer than the client."""
        found = self._visible_type.get(data_type)
        if found is None:
            found = data_type
            while found.since > self.version and found.base is not None:
                found = found.base
            self._visible_type[data_type] = found
        return found

    def plan(self, data_type):
        """(field name, Field) pairs of a type, filtered to this version."""
        plan = self._plans.get(data_type)
        if plan is None:
            plan = tuple((f.name, f) for f in data_type.fields
                         if f.since <= self.version)
            self._plans[data_type] = plan
        return plan

    # -- typed positions ---------------------------------------------------
    def field(self, out, tag, value, field):
        """Write a value in a position whose static type is `field`."""
        if value is None:
            return
        if field.array:
            for item in value:
                self.single(out, tag, item, field.type)
        else:
            self.single(out, tag, value, field.type)

    def single(self, out, tag, value, type_name):
        if type_name == 'anyType':
            self.any(out, tag, value)
        elif type_name == 'ManagedObjectReference':
            out.append('<%s type="%s">%s</%s>' % (
                tag, value.type, escape(value.value), tag))
        elif isinstance(value, DataObject):
            self.data_object(out, tag, value, type_name)
        elif type_name in XSD_PRIMITIVES:
            out.append('<%s>%s</%s>' % (tag, format_primitive(type_name, value), tag))
        else:
            enum = self.schema.enums.get(type_name)
            if enum is not None and enum.values.get(value, 0) > self.version:
                return
            out.append('<%s>%s</%s>' % (tag, escape(value), tag))

    def data_object(self, out, tag, value, declared_name):
        actual = self.visible_type(value._type)
        if actual.name == declared_name:
            out.append('<%s>' % tag)
        else:
            out.append('<%s xsi:type="%s">' % (tag, actual.name))
        self.fields(out, value, actual)
        out.append('</%s>' % tag)

    def fields(self, out, value, data_type):
        for name, field in self.plan(data_type):
            item = getattr(value, name)
            if item is not None:
                self.field(out, name, item, field)

    # -- anyType positions -------------------------------------------------
    def any(self, out, tag, value, declared=None):
        """Write a value with an xsi:type: an anyType position, or a Fetch /
        property value whose declared Field is `declared` when known."""
        if type(value) is Typed:
            value, declared = value.value, value.field
        if isinstance(value, (list, tuple)):
            item_type = self._array_item_type(value, declared)
            out.append('<%s xsi:type="ArrayOf%s">' % (tag, _capitalized(item_type)))
            for item in value:
                self.single(out, item_type, item, item_type)
            out.append('</%s>' % tag)
        elif isinstance(value, DataObject):
            actual = self.visible_type(value._type)
            out.append('<%s xsi:type="%s">' % (tag, actual.name))
            self.fields(out, value, actual)
            out.append('</%s>' % tag)
        elif isinstance(value, MoRef):
            out.append('<%s xsi:type="ManagedObjectReference" type="%s">%s</%s>' % (
                tag, value.type, escape(value.value), tag))
        else:
            type_name = self._primitive_type(value, declared)
            if type_name in XSD_PRIMITIVES:
                out.append('<%s xsi:type="xsd:%s">%s</%s>' % (
                    tag, type_name, format_primitive(type_name, value), tag))
            else:  # an enum value
                out.append('<%s xsi:type="%s">%s</%s>' % (
                    tag, type_name, escape(value), tag))

    def _primitive_type(self, value, declared):
        if declared is not None and declared.type not in ('anyType',):
            if declared.type in self.schema.enums:
                if self.schema.enums[declared.type].since <= self.version:
                    return declared.type
                return 'string'
            if declared.type in XSD_PRIMITIVES:
                return declared.type
        found = _ANY_PRIMITIVE.get(type(value))
        if found is not None:
            return found
        if isinstance(value, int):
            return 'int' if -2**31 <= value < 2**31 else 'long'
        if isinstance(value, str):
            return 'string'
        raise TypeError('cannot encode %r in an anyType position' % (value,))

    def _array_item_type(self, items, declared):
        if declared is not None and declared.type != 'anyType':
            if declared.type in self.schema.types:
                return self.visible_type(self.schema.types[declared.type]).name
            return declared.type
        if not items:
            return 'anyType'
        first = items[0]
        if isinstance(first, MoRef):
            return 'ManagedObjectReference'
        if isinstance(first, DataObject):
            return self.visible_type(first._type).name
        return self._primitive_type(first, None)


def _capitalized(type_name):
    """ArrayOf suffix: ArrayOfString, ArrayOfInt, ArrayOfVirtualDevice."""
    return type_name[0].upper() + type_name[1:]


_encoders = {}


def encoder_for(schema, version):
    """The shared Encoder of one API version (its tables are built lazily)."""
    key = (id(schema), version)
    encoder = _encoders.get(key)
    if encoder is None:
        encoder = _encoders[key] = Encoder(schema, version)
    return encoder


def response(encoder, operation, result):
    """A whole SOAP envelope answering `operation` with `result`."""
    name = operation.name
    out = [ENVELOPE_START, '<%sResponse xmlns="urn:vim25">' % name]
    if operation.result is not None and result is not None:
        encoder.field(out, 'returnval', result, operation.result)
    out.append('</%sResponse>' % name)
    out.append(ENVELOPE_END)
    return ''.join(out).encode('utf-8')


def fetch_response(encoder, value, declared):
    """The envelope of a Fetch (WIRE.md section 8): returnval with xsi:type."""
    out = [ENVELOPE_START, '<FetchResponse xmlns="urn:vim25">']
    if value is not None:
        encoder.any(out, 'returnval', value, declared)
    out.append('</FetchResponse>')
    out.append(ENVELOPE_END)
    return ''.join(out).encode('utf-8')


def fault_response(encoder, fault, message, faultcode='ServerFaultCode'):
    """A SOAP fault envelope (WIRE.md section 6): unqualified faultstring and
    detail, detail holding `<NameFault xsi:type="Name">` with the fault's
    properties."""
    actual = encoder.visible_type(fault._type)
    out = [ENVELOPE_START, '<soapenv:Fault><faultcode>%s</faultcode>'
           '<faultstring>%s</faultstring><detail>' % (faultcode, escape(message))]
    out.append('<%sFault xmlns="urn:vim25" xsi:type="%s">' % (actual.name, actual.name))
    encoder.fields(out, fault, actual)
    out.append('</%sFault></detail></soapenv:Fault>' % actual.name)
    out.append(ENVELOPE_END)
    return ''.join(out).encode('utf-8')
