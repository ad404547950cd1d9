"""Requests for every operation of the vim25 schema, well-formed and broken.

A request is a tree of `Node`s (so the campaign can shrink it) rendered into a
SOAP envelope. `Generator.request(rng, operation)` builds well-typed arguments
from the schema (MoRefs and strings from what the server answered so far, see
`Pools`), then applies zero or more mutations. Each mutation says whether the
request it leaves is invalid, so that it must be refused with a fault: a
missing required element, an unknown or repeated one, text that is not of the
declared xsd type, a value outside the type's range, a bad enum value, a
malformed document, a reference without a type or naming nothing.
"""
import base64
import datetime
import re
from xml.sax.saxutils import escape, quoteattr, unescape

XSI = 'http://www.w3.org/2001/XMLSchema-instance'
SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/'
FETCH = 'Fetch'     # not in any WSDL (WIRE.md section 8): _this and prop
MOREF = 'ManagedObjectReference'

INT_RANGES = {'byte': (-2 ** 7, 2 ** 7 - 1), 'short': (-2 ** 15, 2 ** 15 - 1),
              'int': (-2 ** 31, 2 ** 31 - 1), 'long': (-2 ** 63, 2 ** 63 - 1)}
FLOATS = ('float', 'double')
TYPED_PRIMITIVES = tuple(INT_RANGES) + FLOATS + ('boolean', 'dateTime')
PRIMITIVES = TYPED_PRIMITIVES + ('string', 'anyURI', 'base64Binary')
NUMBERS = (0, 1, 2, 3, 5, 10, 16, 60, 100, 1024)
WORDS = ('fuzz', '', 'DC0', 'vm', 'a b', '[LocalDS_0] fuzz/fuzz.vmx', 'unicode \u00fc\u00df\u4e2d',
         '<&>"\'', '%2f/\\', '*', 'name', 'x' * 81)
ANY_PRIMITIVES = (('xsd:string', 'fuzz'), ('xsd:int', '7'), ('xsd:long', '70000000000'),
                  ('xsd:boolean', 'true'), ('xsd:double', '2.5'),
                  ('xsd:dateTime', '2025-01-01T00:00:00Z'), ('xsd:short', '3'))
# Texts that are not of the type; `''` is not an int, boolean or dateTime either.
NOT_A_NUMBER = ('fuzz', '12abc', '', '0x10', '1,5', '--1')
BAD_DATETIMES = ('2024-13-01T00:00:00Z', '2024-02-30T00:00:00Z', '2024-01-01T25:00:00Z',
                 'yesterday', '', '2024-01-01', 'T00:00:00Z')
EXTREME_DATETIMES = ('9999-12-31T23:59:59-12:00', '0001-01-01T00:00:00+14:00',
                     '9999-12-31T23:59:59.999999Z', '0001-01-01T00:00:00Z',
                     '1970-01-01T00:00:00Z', '2038-01-19T03:14:08Z')
SPECIAL_FLOATS = ('NaN', 'INF', '-INF', '1e309', '-0', '4.9e-324')
HUGE_SIZES = (65536, 1 << 20)
MUTATIONS = ('missing', 'extra', 'duplicate', 'mistype', 'boundary', 'huge', 'bad-datetime',
             'deep', 'wrong-ref', 'bad-enum', 'malformed')
CORRUPTIONS = ('truncate', 'entity', 'doctype', 'bad-utf8', 'control-char', 'utf16',
               'utf16-doctype', 'not-soap', 'no-body', 'wrong-envelope-ns')
NODE_BUDGET = 300   # elements per request before only required fields are built
MAX_WEIGHT = 8 << 20    # bytes a huge or deep mutation may make a request
MAX_DEPTH = 12

_REF = re.compile(rb'<([A-Za-z_][\w.-]*)\s[^>]*?(?<![:\w])type="([A-Za-z]\w*)"[^>]*>([^<]{1,200})</\1>')
_TEXT = re.compile(rb'<([A-Za-z_]\w*)>([^<>]{1,120})</\1>')
POOL_SIZE = 64


class Node:
    """One element: tag, attributes, text or children; `type_name` and
    `field` say what the schema declared for it (None for the operation);
    `mark`: (label, invalid) of the mutation this element carries, if any."""
    __slots__ = ('tag', 'attrs', 'text', 'children', 'type_name', 'field', 'mark')

    def __init__(self, tag, attrs=None, text=None, children=None, type_name=None, field=None):
        self.tag = tag
        self.attrs = attrs or {}
        self.text = text
        self.children = children if children is not None else []
        self.type_name = type_name
        self.field = field
        self.mark = None

    def _twin(self):
        twin = Node(self.tag, dict(self.attrs), self.text, None, self.type_name, self.field)
        twin.mark = self.mark
        return twin

    def copy(self):
        """A deep copy (without recursion: requests nest a thousand levels)."""
        top = self._twin()
        stack = [(self, top)]
        while stack:
            source, target = stack.pop()
            for child in source.children:
                twin = child._twin()
                target.children.append(twin)
                stack.append((child, twin))
        return top

    def walk(self, parent=None):
        """(parent, node) for this node and everything below, depth first."""
        stack = [(parent, self)]
        while stack:
            above, node = stack.pop()
            yield above, node
            stack.extend((node, child) for child in reversed(node.children))

    def paths(self):
        """The index path of every node from here, depth first (this one: ())."""
        stack = [((), self)]
        while stack:
            path, node = stack.pop()
            yield path
            stack.extend((path + (index,), child)
                         for index, child in reversed(list(enumerate(node.children))))

    def render(self, out):
        stack = [self]
        while stack:
            node = stack.pop()
            if isinstance(node, str):    # a closing tag
                out.append(node)
                continue
            out.append('<' + node.tag)
            for name, value in node.attrs.items():
                out.append(' %s=%s' % (name, quoteattr(value)))
            out.append('>')
            if node.text is not None:
                out.append(escape(node.text))
            stack.append('</%s>' % node.tag)
            stack.extend(reversed(node.children))

    def weight(self):
        """About how many bytes the element renders to."""
        return sum(2 * len(node.tag) + 5 + len(node.text or '') +
                   sum(len(k) + len(v) + 4 for k, v in node.attrs.items())
                   for _, node in self.walk())


class Request:
    """A generated call: the operation, its element tree (whose marks tell the
    mutations it carries) and a byte-level corruption of the rendered
    envelope (or None)."""
    __slots__ = ('operation', 'root', 'corruption')

    def __init__(self, operation, root):
        self.operation = operation
        self.root = root
        self.corruption = None

    def marks(self):
        """(label, invalid) of every mutation the request carries."""
        found = [node.mark for _, node in self.root.walk() if node.mark is not None]
        if self.corruption is not None:
            kind = self.corruption[0]
            found.append(('malformed:%s' % kind, kind != 'utf16'))
        return found

    def mutations(self):
        return list(dict.fromkeys(label for label, _ in self.marks()))

    def invalid(self):
        """The mutations that make the request invalid."""
        return list(dict.fromkeys(label for label, invalid in self.marks() if invalid))

    @property
    def must_fault(self):
        """Whether only a fault is a right answer."""
        return bool(self.invalid())

    def copy(self):
        other = Request(self.operation, self.root.copy())
        other.corruption = self.corruption
        return other

    def envelope(self):
        out = ['<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="%s" '
               'xmlns:xsi="%s" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soapenv:Body>'
               % (SOAP_ENV, XSI)]
        self.root.render(out)
        out.append('</soapenv:Body></soapenv:Envelope>')
        text = ''.join(out)
        if self.corruption is None:
            return text.encode('utf-8')
        return corrupt(text, *self.corruption)


def corrupt(text, kind, fraction):
    """The envelope `text` broken as `kind` says, at `fraction` of its length."""
    body_start = text.index('<soapenv:Body>') + len('<soapenv:Body>')
    at = body_start + int((len(text) - body_start) * fraction)
    if kind == 'truncate':
        return text[:at].encode()
    if kind == 'entity':
        return (text[:body_start] + '&fuzz;' + text[body_start:]).encode()
    if kind in ('doctype', 'utf16-doctype'):
        declaration, rest = text.split('?>', 1)
        text = declaration + '?><!DOCTYPE e [<!ENTITY a "b">]>' + rest
    if kind in ('utf16', 'utf16-doctype'):
        return text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode('utf-16')
    if kind == 'doctype':
        return text.encode()
    if kind == 'bad-utf8':
        return text[:at].encode() + b'\xff\xfe' + text[at:].encode()
    if kind == 'control-char':
        return (text[:body_start] + '\x01' + text[body_start:]).encode()
    if kind == 'not-soap':
        return text.replace('soapenv:Envelope', 'soapenv:Letter').encode()
    if kind == 'no-body':
        return text.replace('soapenv:Body', 'soapenv:Head').encode()
    if kind == 'wrong-envelope-ns':
        return text.replace(SOAP_ENV, 'urn:fuzz-envelope').encode()
    raise ValueError(kind)


class Pools:
    """What the campaign learnt from the server's answers: MoRefs by managed
    type, and texts by element name (a `version` an answer carried is a good
    `version` argument, a session `key` a good `sessionId`)."""

    def __init__(self, schema):
        self.managed = schema.managed
        self.refs = {}      # managed type -> [moid, ...] (insertion order: reproducible)
        self.texts = {}     # element name -> [text, ...]
        self.generation = 0     # moves when `refs` changes
        self._refs_of = {}      # managed type -> refs_of(type), for this generation

    def harvest(self, body):
        body = body[:1 << 20]
        for _, type_name, value in _REF.findall(body):
            type_name = type_name.decode()
            if type_name in self.managed:
                self.add_ref(type_name, unescape(value.decode('utf-8', 'replace')))
        for name, text in _TEXT.findall(body):
            self._remember(self.texts, name.decode(), unescape(text.decode('utf-8', 'replace')))

    def add_ref(self, type_name, value):
        if self._remember(self.refs, type_name, value):
            self._changed()

    def forget_ref(self, type_name, value):
        """A reference the server said names nothing (any more)."""
        values = self.refs.get(type_name)
        if values and value in values:
            values.remove(value)
            self._changed()

    def _changed(self):
        self.generation += 1
        self._refs_of.clear()

    @staticmethod
    def _remember(pool, key, value):
        values = pool.setdefault(key, [])
        if value in values:
            return False
        values.append(value)
        if len(values) > POOL_SIZE:
            del values[0]
        return True

    def refs_of(self, managed_type):
        """(type, moid) of every known object of `managed_type` or a subtype."""
        found = self._refs_of.get(managed_type)
        if found is None:
            found = self._refs_of[managed_type] = [
                (type_name, value) for type_name, values in self.refs.items()
                if managed_type is None or self.managed[type_name].is_a(managed_type)
                for value in values]
        return found


class Generator:
    """Builds `Request`s from the schema and the pools."""

    def __init__(self, schema, pools):
        self.schema = schema
        self.pools = pools
        self.operations = sorted(schema.operations) + [FETCH]
        self.managed_names = sorted(schema.managed)
        self.data_names = sorted(n for n, t in schema.types.items() if not t.is_fault)
        self._concrete = {}

    # -- requests -------------------------------------------------------------------
    def request(self, rng, operation, mutations=None):
        """A request for `operation`; `mutations`: how many (default: random,
        none for half of them)."""
        self._budget = NODE_BUDGET
        self._named_types = []    # managed types named by `type` strings so far
        root = Node(operation, {'xmlns': 'urn:vim25'})
        if operation == FETCH:
            this = self.this(rng, None)
            root.children += [this, Node('prop', text=self.property_path(rng, this.attrs['type']),
                                         type_name='string')]
        else:
            op = self.schema.operations[operation]
            root.children.append(self.this(rng, op.managed_type))
            for field in op.params:
                if field.optional and rng.random() > 0.6:
                    continue
                for _ in range(rng.choice((1, 1, 2, 3)) if field.array else 1):
                    root.children.append(self.value(rng, field.name, field.type, field, 1))
        request = Request(operation, root)
        if mutations is None:
            mutations = rng.choice((0, 0, 0, 0, 0, 1, 1, 1, 1, 2))
        for _ in range(mutations):
            self.mutate(rng, request)
        return request

    def this(self, rng, managed_type):
        known = self.pools.refs_of(managed_type)
        if known:
            type_name, value = rng.choice(known)
        else:   # nothing of that type exists (yet): a reference to nothing
            type_name, value = managed_type or 'ManagedEntity', 'fuzz-none'
        return Node('_this', {'type': type_name}, value, type_name=MOREF)

    # -- values ---------------------------------------------------------------------
    def value(self, rng, tag, type_name, field, depth, siblings=None):
        self._budget -= 1
        if type_name == MOREF:
            mo_type = field.mo_type if field is not None else None
            known = self.pools.refs_of(mo_type)
            named = [t for t in self._named_types if self.pools.refs.get(t) and (
                mo_type is None or self.schema.managed[t].is_a(mo_type))]
            if named and rng.random() < 0.7:   # the object a PropertySpec's type named
                known = self.pools.refs_of(rng.choice(named))
            if known:
                ref_type, moid = rng.choice(known)
            else:
                ref_type, moid = mo_type or rng.choice(self.managed_names), 'fuzz-none'
            return Node(tag, {'type': ref_type}, moid, type_name=MOREF, field=field)
        if type_name == 'anyType':
            return self.any_value(rng, tag, field, depth)
        data_type = self.schema.types.get(type_name)
        if data_type is not None:
            return self.data_object(rng, tag, data_type, field, depth)
        enum = self.schema.enums.get(type_name)
        if enum is not None:
            return Node(tag, text=rng.choice(sorted(enum.values)), type_name=type_name,
                        field=field)
        return Node(tag, text=self.primitive(rng, type_name, tag, siblings), type_name=type_name,
                    field=field)

    def concrete_types(self, data_type):
        """The type and every type deriving from it."""
        found = self._concrete.get(data_type.name)
        if found is None:
            found, stack = [], [data_type]
            while stack:
                current = stack.pop()
                found.append(current)
                stack.extend(reversed(current.subtypes))
            self._concrete[data_type.name] = found
        return found

    def data_object(self, rng, tag, declared, field, depth):
        actual = declared
        if declared.subtypes and rng.random() < 0.6:
            actual = rng.choice(self.concrete_types(declared))
        node = Node(tag, type_name=actual.name, field=field)
        if actual is not declared:
            node.attrs['xsi:type'] = actual.name
        siblings = {}
        generous = depth < MAX_DEPTH and self._budget > 0
        for member in actual.fields:
            if member.name in ('dynamicType', 'dynamicProperty') and rng.random() > 0.02:
                continue
            if member.optional and (not generous or rng.random() > 0.35 / depth ** 0.5):
                continue
            if depth >= MAX_DEPTH * 2:
                break   # a required cycle: leave the rest out
            for _ in range(rng.choice((1, 1, 2)) if member.array else 1):
                child = self.value(rng, member.name, member.type, member, depth + 1, siblings)
                node.children.append(child)
                if child.text is not None:
                    siblings[member.name] = child.text
        return node

    def any_value(self, rng, tag, field, depth):
        choice = rng.random()
        if choice < 0.6:
            xsi_type, text = rng.choice(ANY_PRIMITIVES)
            return Node(tag, {'xsi:type': xsi_type}, text, type_name='anyType', field=field)
        if choice < 0.75:
            known = self.pools.refs_of(None)
            ref_type, moid = rng.choice(known) if known else ('Folder', 'group-d1')
            return Node(tag, {'xsi:type': MOREF, 'type': ref_type}, moid, type_name='anyType',
                        field=field)
        if choice < 0.85:
            items = [Node('string', text=rng.choice(WORDS), type_name='string')
                     for _ in range(rng.randint(0, 3))]
            return Node(tag, {'xsi:type': 'ArrayOfString'}, children=items, type_name='anyType',
                        field=field)
        data_type = self.schema.types[rng.choice(self.data_names)]
        node = self.data_object(rng, tag, data_type, field, depth + 2)
        node.attrs['xsi:type'] = node.type_name
        return node

    def primitive(self, rng, type_name, tag, siblings):
        if type_name in ('string', 'anyURI'):
            return self.string(rng, tag, siblings)
        if type_name in INT_RANGES:
            seen = [t for t in self.pools.texts.get(tag, ()) if t.lstrip('-').isdigit()]
            if seen and rng.random() < 0.5:
                return rng.choice(seen)
            return str(rng.choice(NUMBERS))
        if type_name in FLOATS:
            return rng.choice(('0.5', '1', '100.25', '0'))
        if type_name == 'boolean':
            return rng.choice(('true', 'false', 'true', 'false', '1', '0'))
        if type_name == 'dateTime':
            moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
                seconds=rng.randint(-86400 * 3, 3600))
            return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')
        if type_name == 'base64Binary':
            return base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.randint(0, 24)))
                                    ).decode()
        raise ValueError('no generator for xsd type %s' % type_name)

    def string(self, rng, tag, siblings):
        if tag == 'type' and rng.random() < 0.7:
            live = sorted(t for t, values in self.pools.refs.items() if values)
            name = rng.choice(live if live and rng.random() < 0.7 else self.managed_names)
            self._named_types.append(name)
            return name
        if tag in ('pathSet', 'path', 'prop', 'propertyPath') and rng.random() < 0.8:
            return self.property_path(rng, (siblings or {}).get('type'))
        seen = self.pools.texts.get(tag)
        if seen and rng.random() < 0.6:
            return rng.choice(seen)
        names = self.pools.texts.get('name')
        if names and rng.random() < 0.3:
            return rng.choice(names)
        return rng.choice(WORDS)

    def property_path(self, rng, managed_type):
        """A property path of `managed_type` (random type if unknown), nested
        into data-object fields now and then; sometimes a wrong one."""
        managed = self.schema.managed.get(managed_type) or \
            self.schema.managed[rng.choice(self.managed_names)]
        if not managed.properties or rng.random() < 0.05:
            return rng.choice(('fuzz', '', 'name.fuzz', 'config..name', 'config.'))
        field = rng.choice(managed.properties)
        path = field.name
        while rng.random() < 0.4:
            data_type = self.schema.types.get(field.type)
            if data_type is None or not data_type.fields:
                break
            field = rng.choice(data_type.fields)
            path += '.' + field.name
        return path

    # -- mutations ------------------------------------------------------------------
    def mutate(self, rng, request):
        """Apply one random mutation that fits the request (a few tries). A
        mutation marks the element that carries it (a missing child: its
        parent) and returns True, or returns None when it does not fit."""
        for _ in range(4):
            kind = rng.choice(MUTATIONS)
            if getattr(self, '_mutate_' + kind.replace('-', '_'))(rng, request):
                return

    def _nodes(self, request, test):
        return [(parent, node) for parent, node in request.root.walk() if test(parent, node)]

    def _mutate_missing(self, rng, request):
        found = self._nodes(request, lambda parent, node: parent is not None and (
            node.tag == '_this' or (node.field is not None and not node.field.optional)))
        if not found:
            return None
        parent, node = rng.choice(found)
        parent.children = [c for c in parent.children if c.tag != node.tag]
        return _mark(parent, 'missing:%s.%s' % (parent.type_name or parent.tag, node.tag), True)

    def _mutate_extra(self, rng, request):
        found = self._nodes(request, lambda parent, node: node is request.root or (
            node.type_name in self.schema.types))
        _, node = rng.choice(found)
        extra = Node('fuzzExtra', text='1')
        node.children.insert(rng.randint(0, len(node.children)), extra)
        return _mark(extra, 'extra:%s' % (node.type_name or node.tag), True)

    def _mutate_duplicate(self, rng, request):
        found = self._nodes(request, lambda parent, node: parent is not None and (
            node.tag == '_this' or (node.field is not None and not node.field.array)))
        if not found:
            return None
        parent, node = rng.choice(found)
        parent.children.insert(parent.children.index(node) + 1, node.copy())
        return _mark(parent, 'duplicate:%s.%s' % (parent.type_name or parent.tag, node.tag), True)

    def _mutate_mistype(self, rng, request):
        found = self._nodes(request, lambda parent, node: node.type_name in TYPED_PRIMITIVES or
                            node.type_name in self.schema.enums)
        if not found:
            return None
        _, node = rng.choice(found)
        text = rng.choice(NOT_A_NUMBER)
        if node.type_name in self.schema.enums and text in self.schema.enums[node.type_name].values:
            return None
        node.text = text
        return _mark(node, 'mistype:%s=%r' % (node.tag, text), True)

    def _mutate_boundary(self, rng, request):
        found = self._nodes(request, lambda parent, node: node.type_name in INT_RANGES or
                            node.type_name in FLOATS or node.type_name == 'string')
        if not found:
            return None
        _, node = rng.choice(found)
        if node.type_name in FLOATS:
            node.text = rng.choice(SPECIAL_FLOATS)
            return _mark(node, 'boundary:%s=%s' % (node.tag, node.text), False)
        if node.type_name == 'string':
            node.text = rng.choice(('', ' ', 'x' * 80, 'x' * 81, 'x' * 256))
            return _mark(node, 'boundary:%s=%d chars' % (node.tag, len(node.text)), False)
        low, high = INT_RANGES[node.type_name]
        value = rng.choice((low, high, low - 1, high + 1, -1, 2 ** 63, 10 ** 400))
        node.text = str(value)
        return _mark(node, 'boundary:%s=%s' % (node.tag, node.text[:24]), not low <= value <= high)

    def _mutate_huge(self, rng, request):
        strings = self._nodes(request, lambda parent, node: node.type_name == 'string')
        arrays = self._nodes(request, lambda parent, node: node.field is not None and
                             node.field.array and parent is not None)
        if arrays and (not strings or rng.random() < 0.4):
            parent, node = rng.choice(arrays)
            count = rng.choice((100, 1000))
            if node.weight() * count > MAX_WEIGHT:
                return None
            at = parent.children.index(node)
            parent.children[at:at + 1] = [node.copy() for _ in range(count)]
            return _mark(parent, 'huge:%d x %s' % (count, node.tag), False)
        if not strings:
            return None
        _, node = rng.choice(strings)
        size = rng.choice(HUGE_SIZES)
        if request.root.weight() + size > MAX_WEIGHT:
            return None
        node.text = 'A' * size
        return _mark(node, 'huge:%s=%d chars' % (node.tag, len(node.text)), False)

    def _mutate_bad_datetime(self, rng, request):
        found = self._nodes(request, lambda parent, node: node.type_name == 'dateTime' or (
            node.attrs.get('xsi:type') == 'xsd:dateTime'))
        if not found:
            return None
        _, node = rng.choice(found)
        if rng.random() < 0.5:
            node.text = rng.choice(BAD_DATETIMES)
            return _mark(node, 'bad-datetime:%s=%r' % (node.tag, node.text), True)
        node.text = rng.choice(EXTREME_DATETIMES)
        return _mark(node, 'extreme-datetime:%s=%s' % (node.tag, node.text), False)

    def _mutate_deep(self, rng, request):
        """Nest a data object in itself through a field that takes its type
        (a TraversalSpec's selectSet), or else a chain of unknown elements."""
        found = []
        for _, node in request.root.walk():
            data_type = self.schema.types.get(node.type_name)
            if data_type is None:
                continue
            for member in data_type.fields:
                declared = self.schema.types.get(member.type)
                if declared is not None and data_type.is_a(declared):
                    found.append((node, member))
        depth = rng.choice((50, 200, 1000))
        if found:
            node, member = rng.choice(found)
            if node.weight() * depth > MAX_WEIGHT:
                return None
            shell = node.copy()
            shell.children = [c for c in shell.children if c.tag != member.name]
            inner = node.copy()
            for _ in range(depth):
                inner.tag, inner.field = member.name, member
                if member.type != inner.type_name:
                    inner.attrs['xsi:type'] = inner.type_name
                outer = shell.copy()
                outer.children.append(inner)
                inner = outer
            node.children = inner.children
            return _mark(node, 'deep:%d x %s.%s' % (depth, node.type_name, member.name), False)
        chain = Node('fuzzDeep')
        top = chain
        for _ in range(depth):
            inner = Node('fuzzDeep')
            chain.children.append(inner)
            chain = inner
        request.root.children.append(top)
        return _mark(top, 'deep:%d unknown elements' % depth, True)

    def _mutate_wrong_ref(self, rng, request):
        found = self._nodes(request, lambda parent, node: node.type_name == MOREF)
        if not found:
            return None
        _, node = rng.choice(found)
        is_this = node.tag == '_this'
        how = rng.choice(('no-type', 'unknown-type', 'other-type', 'dangling', 'empty'))
        if how == 'no-type':
            node.attrs.pop('type', None)
            return _mark(node, 'wrong-ref:%s has no type' % node.tag, True)
        if how == 'unknown-type':
            node.attrs['type'] = 'FuzzType'
            return _mark(node, 'wrong-ref:%s type FuzzType' % node.tag, True)
        if how == 'other-type':
            node.attrs['type'] = rng.choice([n for n in self.managed_names
                                             if n != node.attrs.get('type')])
            return _mark(node, 'wrong-ref:%s type %s' % (node.tag, node.attrs['type']), is_this)
        node.text = 'fuzz-404' if how == 'dangling' else ''
        return _mark(node, 'wrong-ref:%s %s' % (node.tag, how), is_this)

    def _mutate_bad_enum(self, rng, request):
        found = self._nodes(request, lambda parent, node: node.type_name in self.schema.enums)
        if not found:
            return None
        _, node = rng.choice(found)
        node.text = 'fuzzValue'
        return _mark(node, 'bad-enum:%s' % node.tag, True)

    def _mutate_malformed(self, rng, request):
        if request.corruption is not None:
            return None
        kind = rng.choice(CORRUPTIONS)
        request.corruption = (kind, round(rng.uniform(0.05, 0.95), 3))
        return True


def _mark(node, label, invalid):
    """Mark `node` as carrying a mutation; True (the mutation applied)."""
    node.mark = (label, invalid)
    return True
