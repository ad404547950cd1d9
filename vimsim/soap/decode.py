"""Schema-driven SOAP decoder: request bytes -> (operation, _this, arguments).

The parse is hardened: no DTDs (so no entity expansion), no network, no huge
trees. The typed walk then checks every element against the operation's
request type, at the client's API version: required fields present, values
in the lexical and value space of their xsd type, managed object references
of managed types. Anything off answers InvalidRequest (InvalidType for a
reference to an unknown type), the faults vCenter gives for a request it
cannot read, before any handler sees the request.
"""
import base64
import math
import re
import sys
import threading
from datetime import datetime, timedelta, timezone

from lxml import etree

from vimsim.schema import MOREF, MoRef
from vimsim.soap.encode import Long, Short, Byte, Float, encoder_for
from vimsim.soap.fault import InvalidRequest, fault

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
    """A decoded call: the operation name, the target and typed arguments;
    `header`, the envelope's SOAP Header element (None without one): PBM's
    vcSessionCookie, a token login's WS-Security header."""
    __slots__ = ('name', 'operation', 'this', 'args', 'header')

    def __init__(self, name, operation, this, args, header=None):
        self.name = name
        self.operation = operation
        self.this = this
        self.args = args
        self.header = header


def soap_header(operation_element):
    """The Header element of the envelope holding a Body's operation, or None."""
    envelope = operation_element.getparent().getparent()
    first = envelope[0]
    if isinstance(first.tag, str) and etree.QName(first).localname == 'Header':
        return first
    return None


_ENVELOPE_TAGS = frozenset('{%s}Envelope' % namespace for namespace in (SOAP_ENV, SOAP12_ENV))


def local_name(tag):
    """An element tag's local name ('{urn:vim25}_this' -> '_this'), as
    etree.QName reads it, at a tenth of its cost (a small call reads a few)."""
    return tag[tag.find('}') + 1:] if tag[:1] == '{' else tag


def parse_envelope(body):
    """Bytes -> the operation element inside the SOAP Body."""
    try:
        return operation_element(etree.fromstring(body, _parser()))
    except etree.XMLSyntaxError as error:
        raise InvalidRequest('Malformed XML: %s' % error) from None


def parse_document(data):
    """Bytes of a standalone XML document (an exported profile) -> its root
    element, parsed as requests are (no DTD, no entities, no network)."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise InvalidRequest('Malformed XML: %s' % error) from None
    if root.getroottree().docinfo.doctype:
        raise InvalidRequest('DTDs are not allowed')
    return root


def operation_element(root):
    """A parsed envelope -> the operation element inside its SOAP Body."""
    return envelope_parts(root)[1]


def envelope_parts(root):
    """A parsed envelope -> (its Header element or None, the operation
    element inside its Body), in one pass over the envelope."""
    _check_root(root)
    header = None
    first = True
    for child in root:
        tag = child.tag
        if tag.__class__ is not str:
            continue
        name = tag[tag.find('}') + 1:]
        if first and name == 'Header':
            header = child
        elif name == 'Body':
            for op in child:
                if op.tag.__class__ is str:
                    return header, op
        first = False
    raise InvalidRequest('The SOAP Body holds no operation')


def _check_root(root):
    # asked of the parsed document, so that no encoding (UTF-16, UTF-32)
    # slips a DTD past; the parser itself never loads or expands one
    if root.getroottree().docinfo.doctype:
        raise InvalidRequest('DTDs are not allowed in SOAP requests')
    if root.tag not in _ENVELOPE_TAGS:
        raise InvalidRequest('Not a SOAP envelope')


STREAM_AT = 1024 * 1024   # bodies past this are parsed a slice at a time
REMEMBER_AT_MOST = 2048   # small bodies, decoded once and remembered (`Decoder.decode`)
REMEMBERED = 512          # ... this many per decoder (then it starts afresh)
_SLICE = 64 * 1024


_BODY_TAGS = tuple('{%s}Body' % namespace for namespace in (SOAP_ENV, SOAP12_ENV))


def _free(element):
    """Drop a decoded element from the tree being parsed."""
    element.clear()
    element.getparent().remove(element)


class _Frame:
    """An element being decoded: the operation (`fields` its parameters) or
    a data object (`data_type`, `fields` its fields), and the values read so far."""
    __slots__ = ('element', 'name', 'fields', 'data_type', 'operation', 'values')

    def __init__(self, element, name, fields, data_type=None, operation=None):
        self.element = element
        self.name = name
        self.fields = fields
        self.data_type = data_type
        self.operation = operation
        self.values = {}


_IMMUTABLE = frozenset((str, int, bool, float, bytes, datetime, type(None),
                        Long, Short, Byte, Float))


class _Remembered:
    """A decoded small request, given out anew each time: its references
    and arrays kept apart from the first call's and copied for each, so no
    handler shares what another call was given."""
    __slots__ = ('name', 'operation', 'this', 'args')

    def __init__(self, request):
        self.name = request.name
        self.operation = request.operation
        self.this = _copied(request.this)
        self.args = tuple((name, tuple(_copied(item) for item in value)
                           if value.__class__ is list else _copied(value))
                          for name, value in request.args.items())

    def request(self):
        args = {}
        for name, value in self.args:
            if value.__class__ is tuple:
                value = [_copied(item) for item in value]
            elif value.__class__ is MoRef:
                value = MoRef(value.type, value.value)
            args[name] = value
        return Request(self.name, self.operation, _copied(self.this), args)


def _copied(value):
    return MoRef(value.type, value.value) if value.__class__ is MoRef else value


class Decoder:
    """Decodes requests against one Schema, for clients of one API version
    (an index into Schema.versions; the newest by default).

    The encoder shows an object of a managed type newer than the client as
    its nearest type the client has, so such a client names the object by
    that type; given the server's `objects` (a Registry), references are
    read back as the objects' own."""

    def __init__(self, schema, version=None, objects=None):
        self.schema = schema
        self.version = schema.newest if version is None else version
        self.objects = objects
        self._shapes = {}   # DataType -> (required fields, array fields) at this version
        self._params = {}   # Operation -> {parameter name: Field}
        self._shown = encoder_for(schema, self.version)   # what this version's clients were shown
        self._remembered = {}   # small body -> _Remembered
        # the types whose references are read against the objects there are
        # (a newer type shown to this version as an older one, and that one)
        self._looked_up = frozenset(
            name for shown in schema.managed
            for name in (shown, *self._shown.types_shown_as(shown))
            if self._shown.types_shown_as(shown))
        # each managed type's name, to hold one string for all its references
        self._managed_types = {name: name for name in schema.managed}

    def decode(self, body):
        """Bytes -> Request. A small body decoded before whose arguments
        are all plain values (a client repeats its small calls byte for
        byte: RetrieveServiceContent, CurrentTime, SessionIsActive, a Fetch)
        is not parsed again: its Request is remembered and given anew,
        with arguments of its own."""
        size = len(body)
        if size > STREAM_AT:
            return self._pulled(body)
        small = size <= REMEMBER_AT_MOST and body.__class__ is bytes
        if small:
            remembered = self._remembered.get(body)
            if remembered is not None:
                return remembered.request()
        try:
            root = etree.fromstring(body, _parser())
        except etree.XMLSyntaxError as error:
            raise InvalidRequest('Malformed XML: %s' % error) from None
        request = self.decode_tree(root)
        if small:
            self._remember(body, request)
        return request

    def _remember(self, body, request):
        """Keep a small body's Request when decoding it again would give
        the same: no SOAP header, arguments of plain immutable values (or
        references, or arrays of those), no reference read against the
        registry (one of a type newer than the client)."""
        if request.header is not None or not self._plain(request.this):
            return
        for value in request.args.values():
            if value.__class__ is list:
                if not all(self._plain(item) for item in value):
                    return
            elif not self._plain(value):
                return
        known = self._remembered
        if len(known) >= REMEMBERED:
            known.clear()
        known[body] = _Remembered(request)

    def forget_remembered(self):
        self._remembered.clear()

    def _plain(self, value):
        if value.__class__ is MoRef:
            return value.type not in self._looked_up
        return value.__class__ in _IMMUTABLE

    def decode_tree(self, root):
        """A parsed request document -> Request."""
        header, operation = envelope_parts(root)
        if local_name(operation.tag) == FETCH:
            return self._fetch(operation)
        frame = self._open_operation(operation)
        for child in operation:
            if child.tag.__class__ is str:
                self._take(frame, child)
        return self._request(frame, header)

    def _pulled(self, body):
        """Bytes -> Request, parsing a slice at a time, so that a big request
        never stands in memory as one whole tree. After each slice, what has
        been parsed completely is decoded and freed: the operation and the
        data objects still open (the tree's last children) are frames that
        take their members' values as those complete (an element is complete
        once it has a next sibling), each decoded whole as `decode` does."""
        parser = etree.XMLPullParser(
            events=('start',), tag=_BODY_TAGS, resolve_entities=False, no_network=True,
            load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True)
        soap_body = operation = None
        frames = []   # the open frames, outermost (the operation) first
        try:
            for start in range(0, len(body), _SLICE):
                parser.feed(body[start:start + _SLICE])
                if soap_body is None:
                    for _, element in parser.read_events():
                        root = element.getparent()
                        if soap_body is None and root is not None and root.getparent() is None:
                            _check_root(root)
                            soap_body = element
                if operation is None and soap_body is not None:
                    operation = next((child for child in soap_body
                                      if isinstance(child.tag, str)), None)
                    if operation is not None and local_name(operation.tag) != FETCH:
                        frames.append(self._open_operation(operation))
                if frames:
                    self._settle(frames, 0, False)
            root = parser.close()
        except etree.XMLSyntaxError as error:
            raise InvalidRequest('Malformed XML: %s' % error) from None
        if operation is None:
            return self.decode_tree(root)   # no SOAP Body: its faults
        if not frames:
            return self._fetch(operation)
        self._settle(frames, 0, True)
        return self._request(frames[0], soap_header(operation))

    def _settle(self, frames, level, complete):
        """Decode and free the complete members of frames[level] and of the
        frames open inside it; `complete`: frames[level]'s element is."""
        frame = frames[level]
        members = [child for child in frame.element if isinstance(child.tag, str)]
        last = None if complete or not members else members.pop()
        inner = frames[level + 1] if level + 1 < len(frames) else None
        for member in members:
            if inner is not None and member is inner.element:
                self._settle(frames, level + 1, True)
                del frames[level + 1:]
                self._add(frame, local_name(member.tag), self.make(inner.data_type, inner.values))
                inner = None
            else:
                self._take(frame, member)
            _free(member)
        if last is not None:
            if inner is None:
                inner = self._open(frame, last)
                if inner is None:
                    return   # decoded whole once complete
                frames.append(inner)
            self._settle(frames, level + 1, False)

    def _open_operation(self, element):
        name = local_name(element.tag)
        operation = self.schema.operations.get(name)
        if operation is None:
            raise InvalidRequest('Unable to resolve WSDL method name %s' % name)
        params = self._params.get(operation)
        if params is None:
            params = self._params[operation] = {f.name: f for f in operation.params}
        return _Frame(element, name, params, operation=operation)

    def _open(self, frame, element):
        """A frame for the member `element` of `frame` if it is a data object
        (None: read it whole at its end)."""
        field = frame.fields.get(local_name(element.tag))
        if field is None:   # _this, or an unexpected element: `_take`'s
            return None
        data_type = self.data_type_of(element, field.type)
        if data_type is None:
            return None
        return _Frame(element, data_type.name, data_type.field_map, data_type)

    def _take(self, frame, element):
        """Decode the member `element` of `frame` whole, and add its value."""
        tag = local_name(element.tag)
        if frame.data_type is None:   # the operation
            if tag == '_this':
                if '_this' in frame.values:
                    raise InvalidRequest('Element _this repeated in %s' % frame.name)
                frame.values['_this'] = self.reference(element)
                return
            field = frame.fields.get(tag)
            if field is None:
                raise InvalidRequest('Unexpected element %s in %s' % (tag, frame.name))
            value = self.value(element, field.type)
        else:
            field = frame.fields.get(tag)
            if field is None:
                self.unknown_element(tag, frame.data_type)
                return
            value = self.member_value(element, field, frame.data_type)
            if value is SKIP:
                return
        self._add(frame, tag, value)

    @staticmethod
    def _add(frame, tag, value):
        field = frame.fields[tag]
        values = frame.values
        if field.array:
            values.setdefault(tag, []).append(value)
        elif tag in values:
            raise InvalidRequest('Element %s repeated in %s' % (tag, frame.name))
        else:
            values[tag] = value

    def _request(self, frame, header=None):
        operation = frame.operation
        args = frame.values
        this = args.pop('_this', None)
        if this is None:
            raise InvalidRequest('Missing _this in %s' % operation.name)
        for field in operation.params:
            if field.name in args:
                continue
            if not field.optional and field.since <= self.version:
                raise InvalidRequest('Required parameter %s of %s is missing' % (
                    field.name, operation.name))
            if field.array:   # an empty array and an absent one look the same on the wire
                args[field.name] = []
        return Request(operation.name, operation, this, args, header)

    def _fetch(self, element):
        this = prop = None
        for child in element:
            if not isinstance(child.tag, str):
                continue
            tag = local_name(child.tag)
            if tag not in ('_this', 'prop'):
                raise InvalidRequest('Unexpected element %s in Fetch' % tag)
            if (this if tag == '_this' else prop) is not None:
                raise InvalidRequest('Element %s repeated in Fetch' % tag)
            if tag == '_this':
                this = self.reference(child)
            else:
                prop = child.text or ''
        if this is None or prop is None:
            raise InvalidRequest('Fetch needs _this and prop')
        return Request(FETCH, None, this, {'prop': prop})

    # -- values ------------------------------------------------------------
    @staticmethod
    def moref(element):
        """The reference an element holds, its type not checked (for readers
        that check it themselves; requests go through `reference`)."""
        type_name = element.get('type')
        if not type_name:
            raise InvalidRequest('A ManagedObjectReference needs a type attribute')
        return MoRef(type_name, (element.text or '').strip())

    def reference(self, element):
        """The reference an element holds, whose type must be a managed type:
        anything else could only fail later, or be stored and sent to others."""
        type_name = self._managed_types.get(element.get('type'))
        if type_name is None:
            self.moref(element)   # its fault for a missing type
            raise fault('InvalidType', 'The request refers to an unexpected or unknown type.',
                        argument=etree.QName(element).localname)
        ref = MoRef(type_name, (element.text or '').strip())
        newer = self._shown.types_shown_as(ref.type)
        if newer and self.objects is not None and ref not in self.objects:
            for type_name in newer:    # membership only: a decode thread makes no object
                actual = MoRef(type_name, ref.value)
                if actual in self.objects:
                    return actual
        return ref

    def value(self, element, type_name):
        """Decode one element whose static type is `type_name`."""
        if type_name == 'anyType':
            xsi_type = element.get(XSI_TYPE)
            if xsi_type is None:
                raise InvalidRequest('An anyType value needs an xsi:type')
            return self.any(element, xsi_type.rpartition(':')[2], xsi_type)
        if type_name == MOREF:
            return self.reference(element)
        data_type = self.data_type_of(element, type_name)
        if data_type is not None:
            return self.data_object(element, data_type)
        if type_name in self.schema.enums:
            text = element.text or ''
            if text not in self.schema.enums[type_name].values:
                raise InvalidRequest('%r is not a value of %s' % (text, type_name))
            return text
        return self.primitive(type_name, element.text or '')

    def data_type_of(self, element, type_name):
        """The data type of an element whose static type is `type_name`: its
        xsi:type if that is a subtype; None for a value of another kind."""
        if type_name in ('anyType', MOREF):
            return None
        data_type = self.schema.types.get(type_name)
        if data_type is None:
            return None
        xsi_type = element.get(XSI_TYPE)
        if xsi_type is not None:
            xsi_type = xsi_type.rpartition(':')[2]
            if xsi_type != type_name:
                actual = self.schema.types.get(xsi_type)
                if actual is None or not actual.is_a(data_type):
                    raise InvalidRequest('Type %s is not a %s' % (xsi_type, type_name))
                return actual
        return data_type

    def data_object(self, element, data_type):
        frame = _Frame(element, data_type.name, data_type.field_map, data_type)
        for child in element:
            if isinstance(child.tag, str):
                self._take(frame, child)
        return self.make(data_type, frame.values)

    # Hooks a lenient reader (recorded inventories) overrides.
    def unknown_element(self, tag, data_type):
        raise InvalidRequest('Unexpected element %s in %s' % (tag, data_type.name))

    def member_value(self, element, field, data_type):
        """The value of one field's element, or SKIP to leave it out."""
        return self.value(element, field.type)

    # Whether a required array must be there. A request must send one (vCenter
    # refuses a PropertyFilterSpec without propSet), but an answer sends an
    # empty one as none, so readers of answers say False.
    requires_arrays = True

    def make(self, data_type, values):
        """The data object, once the fields this version requires are there.
        An absent array is an empty one, as in vmomi's data model (the wire
        cannot tell them apart), so handlers never meet an unset array."""
        shape = self._shapes.get(data_type)
        if shape is None:
            shape = self._shapes[data_type] = (
                frozenset(f.name for f in data_type.fields
                          if not f.optional and f.since <= self.version
                          and (self.requires_arrays or not f.array)),
                tuple(f.name for f in data_type.fields if f.array))
        required, arrays = shape
        if not required <= values.keys():
            missing = next(f.name for f in data_type.fields
                           if f.name in required and f.name not in values)
            raise InvalidRequest('Required property %s is missing from data object '
                                 'of type %s' % (missing, data_type.name))
        for name in arrays:
            if name not in values:
                values[name] = []
        return data_type.cls(**values)

    def primitive(self, type_name, text):
        """The value of an xsd primitive (a hook for lenient readers)."""
        return parse_primitive(type_name, text)

    def any(self, element, type_name, qualified):
        """An xsi:typed value in an anyType position: xsd primitives,
        ArrayOfX wrappers, MoRefs, enums and data objects."""
        if qualified.startswith(('xsd:', 'xs:')) or type_name in _ANY_PRIMITIVES:
            value = self.primitive(type_name, element.text or '')
            wrapper = _ANY_PRIMITIVES.get(type_name)
            return wrapper(value) if wrapper else value
        if type_name in ('ManagedObjectReference', 'ManagedObject'):
            # pyVmomi types a MoRef in an anyType position (an ArrayUpdateSpec's
            # removeKey) xsi:type="ManagedObject"; vCenter takes it
            return self.reference(element)
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


# xsd:dateTime's lexical form (Python's fromisoformat takes others, and not
# all of this one before 3.11).
_DATETIME = re.compile(r'(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})'
                       r'(?:\.([0-9]+))?(?:Z|([+-])([0-9]{2}):([0-9]{2}))?\Z')
# Value spaces: integers by their width; floating point values finite (xsd's
# INF and NaN have no meaning in any vim25 field, and the encoder could not
# write them back), float within single precision. Python's int() and float()
# read more than xsd's forms: other digits than ASCII ones, underscores,
# 'infinity'; what is not ASCII or has an underscore is refused.
_INTEGER_LIMITS = {'byte': 2 ** 7, 'short': 2 ** 15, 'int': 2 ** 31, 'long': 2 ** 63}
_FLOAT_MAX = {'float': 3.4028234663852886e38, 'double': sys.float_info.max}
_MAX_OFFSET = timedelta(hours=14)


def parse_primitive(type_name, text):
    """The value of an xsd primitive written `text`; InvalidRequest for a
    text outside the type's lexical or value space."""
    if type_name in ('string', 'anyURI'):
        return text
    text = text.strip()
    if type_name in _INTEGER_LIMITS:
        if not text.isascii() or '_' in text:
            raise _invalid(text, type_name)
        if len(text.lstrip('+-').lstrip('0')) > 19:   # (int() refuses thousands of digits)
            raise _out_of_range(text, type_name)
        try:
            value = int(text)
        except ValueError:
            raise _invalid(text, type_name) from None
        limit = _INTEGER_LIMITS[type_name]
        if not -limit <= value < limit:
            raise _out_of_range(text, type_name)
        return value
    if type_name in _FLOAT_MAX:
        if not text.isascii() or '_' in text:
            raise _invalid(text, type_name)
        try:
            value = float(text)
        except ValueError:
            raise _invalid(text, type_name) from None
        if not math.isfinite(value) or abs(value) > _FLOAT_MAX[type_name]:
            raise _out_of_range(text, type_name)
        return value
    if type_name == 'boolean':
        if text in ('true', '1'):
            return True
        if text in ('false', '0'):
            return False
        raise _invalid(text, type_name)
    if type_name == 'dateTime':
        return parse_datetime(text)
    if type_name == 'base64Binary':
        try:
            return base64.b64decode(''.join(text.split()), validate=True)
        except ValueError:
            raise _invalid(text, type_name) from None
    raise InvalidRequest('Unknown type %s' % type_name)


def parse_datetime(text):
    """xsd:dateTime -> an aware UTC datetime (no offset means UTC); digits
    past the microsecond are dropped."""
    match = _DATETIME.match(text)
    if match is None:
        raise _invalid(text, 'dateTime')
    year, month, day, hour, minute, second, fraction, sign, zone_hours, zone_minutes = \
        match.groups()
    zone = timezone.utc
    if sign is not None:
        offset = timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
        if int(zone_minutes) > 59 or offset > _MAX_OFFSET:
            raise _invalid(text, 'dateTime')
        zone = timezone(-offset if sign == '-' else offset)
    try:
        value = datetime(int(year), int(month), int(day), int(hour), int(minute),
                         int(second), int(fraction[:6].ljust(6, '0')) if fraction else 0,
                         tzinfo=zone)
        return value if zone is timezone.utc else value.astimezone(timezone.utc)
    except (ValueError, OverflowError):   # a field out of range, or a UTC time past year 1..9999
        raise _out_of_range(text, 'dateTime') from None


def _invalid(text, type_name):
    return InvalidRequest('%r is not a valid xsd:%s' % (_clipped(text), type_name))


def _out_of_range(text, type_name):
    return InvalidRequest('%r is out of the range of xsd:%s' % (_clipped(text), type_name))


def _clipped(text):
    """Enough of a value to recognise it in a fault message."""
    return text if len(text) <= 40 else text[:40] + '...'
