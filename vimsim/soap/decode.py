"""Schema-driven SOAP decoder: request bytes -> (operation, _this, arguments).

The parse is hardened: no DTDs (so no entity expansion), no network, no huge
trees. The typed walk then checks every element against the operation's
request type; anything off answers InvalidRequest, the fault vCenter gives for
a request it cannot read.
"""
import base64
import threading
from datetime import datetime, timezone

from lxml import etree

from vimsim.schema import MoRef
from vimsim.soap.encode import Long, Short, Byte, Float
from vimsim.soap.fault import InvalidRequest

XSI_TYPE = '{http://www.w3.org/2001/XMLSchema-instance}type'
SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/'
SOAP12_ENV = 'http://www.w3.org/2003/05/soap-envelope'
VIM25 = 'urn:vim25'

_parsers = threading.local()


def _parser():
    """This thread's hardened parser: an lxml parser serves one thread at a
    time (a big body decoded on another thread would lock out the reactor's)."""
    parser = getattr(_parsers, 'parser', None)
    if parser is None:
        parser = _parsers.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
            remove_comments=True, remove_pis=True)
    return parser

SKIP = object()   # what member_value answers for a value to leave out

# Fetch is not in any WSDL (WIRE.md section 8): its request shape is fixed.
FETCH = 'Fetch'


class Request:
    """A decoded call: the operation name, the target and typed arguments."""
    __slots__ = ('name', 'operation', 'this', 'args')

    def __init__(self, name, operation, this, args):
        self.name = name
        self.operation = operation
        self.this = this
        self.args = args


def parse_envelope(body):
    """Bytes -> the operation element inside the SOAP Body."""
    if b'<!DOCTYPE' in body or b'<!doctype' in body:
        raise InvalidRequest('DTDs are not allowed in SOAP requests')
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as error:
        raise InvalidRequest('Malformed XML: %s' % error) from None
    if etree.QName(root).localname != 'Envelope' or \
            etree.QName(root).namespace not in (SOAP_ENV, SOAP12_ENV):
        raise InvalidRequest('Not a SOAP envelope')
    for child in root:
        if isinstance(child.tag, str) and etree.QName(child).localname == 'Body':
            for op in child:
                if isinstance(op.tag, str):
                    return op
    raise InvalidRequest('The SOAP Body holds no operation')


class Decoder:
    """Decodes requests against one Schema."""

    def __init__(self, schema):
        self.schema = schema

    def decode(self, body):
        element = parse_envelope(body)
        name = etree.QName(element).localname
        if name == FETCH:
            return self._fetch(element)
        operation = self.schema.operations.get(name)
        if operation is None:
            raise InvalidRequest('Unable to resolve WSDL method name %s' % name)
        this = None
        args = {}
        params = {f.name: f for f in operation.params}
        for child in element:
            if not isinstance(child.tag, str):
                continue
            tag = etree.QName(child).localname
            if tag == '_this':
                this = self.moref(child)
                continue
            field = params.get(tag)
            if field is None:
                raise InvalidRequest('Unexpected element %s in %s' % (tag, name))
            value = self.value(child, field.type)
            if field.array:
                args.setdefault(tag, []).append(value)
            elif tag in args:
                raise InvalidRequest('Element %s repeated in %s' % (tag, name))
            else:
                args[tag] = value
        if this is None:
            raise InvalidRequest('Missing _this in %s' % name)
        for field in operation.params:
            if field.name in args:
                continue
            if field.array:   # an empty array and an absent one look the same on the wire
                args[field.name] = []
            elif not field.optional:
                raise InvalidRequest('Required parameter %s of %s is missing' % (
                    field.name, name))
        return Request(name, operation, this, args)

    def _fetch(self, element):
        this = prop = None
        for child in element:
            if not isinstance(child.tag, str):
                continue
            tag = etree.QName(child).localname
            if tag == '_this':
                this = self.moref(child)
            elif tag == 'prop':
                prop = child.text or ''
            else:
                raise InvalidRequest('Unexpected element %s in Fetch' % tag)
        if this is None or prop is None:
            raise InvalidRequest('Fetch needs _this and prop')
        return Request(FETCH, None, this, {'prop': prop})

    # -- values ------------------------------------------------------------
    @staticmethod
    def moref(element):
        type_name = element.get('type')
        if not type_name:
            raise InvalidRequest('A ManagedObjectReference needs a type attribute')
        return MoRef(type_name, (element.text or '').strip())

    def value(self, element, type_name):
        """Decode one element whose static type is `type_name`."""
        xsi_type = element.get(XSI_TYPE)
        if xsi_type is not None:
            xsi_type = xsi_type.rpartition(':')[2]
        if type_name == 'anyType':
            if xsi_type is None:
                raise InvalidRequest('An anyType value needs an xsi:type')
            return self.any(element, xsi_type, element.get(XSI_TYPE))
        if type_name == 'ManagedObjectReference':
            return self.moref(element)
        data_type = self.schema.types.get(type_name)
        if data_type is not None:
            if xsi_type is not None and xsi_type != type_name:
                actual = self.schema.types.get(xsi_type)
                if actual is None or not actual.is_a(data_type):
                    raise InvalidRequest('Type %s is not a %s' % (xsi_type, type_name))
                data_type = actual
            return self.data_object(element, data_type)
        if type_name in self.schema.enums:
            text = element.text or ''
            if text not in self.schema.enums[type_name].values:
                raise InvalidRequest('%r is not a value of %s' % (text, type_name))
            return text
        return parse_primitive(type_name, element.text or '')

    def data_object(self, element, data_type):
        fields = data_type.field_map
        values = {}
        for child in element:
            if not isinstance(child.tag, str):
                continue
            tag = etree.QName(child).localname
            field = fields.get(tag)
            if field is None:
                self.unknown_element(tag, data_type)
                continue
            value = self.member_value(child, field, data_type)
            if value is SKIP:
                continue
            if field.array:
                values.setdefault(tag, []).append(value)
            else:
                values[tag] = value
        return self.make(data_type, values)

    # Hooks a lenient reader (recorded inventories) overrides.
    def unknown_element(self, tag, data_type):
        raise InvalidRequest('Unexpected element %s in %s' % (tag, data_type.name))

    def member_value(self, element, field, data_type):
        """The value of one field's element, or SKIP to leave it out."""
        return self.value(element, field.type)

    def make(self, data_type, values):
        return data_type.cls(**values)

    def any(self, element, type_name, qualified):
        """An xsi:typed value in an anyType position: xsd primitives,
        ArrayOfX wrappers, MoRefs, enums and data objects."""
        if qualified.startswith(('xsd:', 'xs:')) or type_name in _ANY_PRIMITIVES:
            value = parse_primitive(type_name, element.text or '')
            wrapper = _ANY_PRIMITIVES.get(type_name)
            return wrapper(value) if wrapper else value
        if type_name == 'ManagedObjectReference':
            return self.moref(element)
        if type_name.startswith('ArrayOf'):
            item = type_name[7:]
            item_type = _ARRAY_ITEMS.get(item, item)
            return [self.value(child, item_type) for child in element
                    if isinstance(child.tag, str)]
        if type_name in self.schema.types or type_name in self.schema.enums:
            return self.value(element, type_name)
        raise InvalidRequest('Unknown type %s' % type_name)


_ANY_PRIMITIVES = {'long': Long, 'short': Short, 'byte': Byte, 'float': Float,
                   'int': None, 'double': None, 'string': None, 'boolean': None,
                   'dateTime': None, 'base64Binary': None, 'anyURI': None}
_ARRAY_ITEMS = {'String': 'string', 'Int': 'int', 'Long': 'long', 'Short': 'short',
                'Byte': 'byte', 'Boolean': 'boolean', 'Float': 'float',
                'Double': 'double', 'DateTime': 'dateTime',
                'Base64Binary': 'base64Binary', 'AnyURI': 'anyURI',
                'AnyType': 'anyType'}


def parse_primitive(type_name, text):
    try:
        if type_name in ('string', 'anyURI'):
            return text
        if type_name in ('int', 'long', 'short', 'byte'):
            return int(text.strip())
        if type_name in ('float', 'double'):
            return float(text.strip())
        if type_name == 'boolean':
            text = text.strip()
            if text in ('true', '1'):
                return True
            if text in ('false', '0'):
                return False
            raise ValueError(text)
        if type_name == 'dateTime':
            return parse_datetime(text.strip())
        if type_name == 'base64Binary':
            return base64.b64decode(text, validate=False)
    except (ValueError, TypeError):
        raise InvalidRequest('%r is not a valid %s' % (text, type_name)) from None
    raise InvalidRequest('Unknown type %s' % type_name)


def parse_datetime(text):
    """xsd:dateTime -> an aware UTC datetime (no offset means UTC)."""
    if text.endswith('Z'):
        text = text[:-1] + '+00:00'
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
