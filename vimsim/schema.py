"""An API (vim25; PBM) as one :class:`Schema` object, loaded from the generated ``wsdl/``.

Never imports pyVmomi: ``tools/gen_wsdl.py`` writes the WSDL/XSD files from
pyVmomi once; this module reads them (plus the vimsim-only
``vim-managedtypes.xsd``) and builds

* :class:`DataType` for every data object type (faults included) with a light
  Python class (``DataType.cls``, made on first use, ``__slots__``, subclass of
  :class:`DataObject`; fault classes also subclass :class:`Exception`),
* :class:`EnumType`, :class:`ManagedType`, :class:`Operation`,
* the ordered list of API versions; every ``since`` is an index into it.

Where the files are: ``vimsim/wsdl`` (package data, after ``pip install``) if
it exists, else ``<repo>/wsdl`` (source checkout); another API's are in a
folder of their own there (`Layout`), loaded by `load_api` when first asked for,
so vim25's start costs nothing more.

Parsing the XSD with lxml takes a few hundred milliseconds, so the parsed form
(plain tuples, never classes) is pickled into ``$XDG_CACHE_HOME/vimsim`` (or
``~/.cache/vimsim``) under a name keyed by the files' sizes and modification
times, as Python's bytecode cache is (hashing their 4.7 MB took a start 5-10 ms);
a missing, stale or unreadable cache is rebuilt, an unwritable cache dir is ignored.
"""
import copy
import functools
import hashlib
import keyword
import marshal
import os
import pickle
import sys
import threading

SINCE = '{urn:vimsim}since'
MO_TYPE = '{urn:vimsim}moType'
PRIVILEGE = '{urn:vimsim}privilege'
VMODL = '{urn:vimsim}vmodl'
REQUIRED = '{urn:vimsim}required'
VIMSIM = 'urn:vimsim'
XS = '{http://www.w3.org/2001/XMLSchema}'
WSDL = '{http://schemas.xmlsoap.org/wsdl/}'

_CACHE_FORMAT = 9


class Layout:
    """The generated files of one API namespace (tools/gen_wsdl.py's `Api`):
    `subdir` of the wsdl directory, its types, messages, managed types and
    WSDL. Types of files in another namespace (vmodl's core types, urn:vim25,
    in PBM's; those and vim25's data types in vslm's) are the schema's
    `foreign_types`."""

    def __init__(self, namespace, subdir, main, others=('core',)):
        self.namespace = namespace
        self.subdir = subdir
        self.type_files = tuple('%s-types.xsd' % f for f in others + (main,))
        operations = others[1:] if namespace == 'vim25' else ()   # vslm's vim: types only
        self.message_files = tuple('%s-messagetypes.xsd' % f for f in operations + (main,))
        self.managed_file = '%s-managedtypes.xsd' % main
        self.wsdl_file = '%s.wsdl' % main
        self.all_files = self.type_files + self.message_files + (self.managed_file,
                                                                 self.wsdl_file)


VIM25 = Layout('vim25', '', 'vim', ('core', 'query', 'reflect'))
PBM = Layout('pbm', 'pbm', 'pbm')
VSLM = Layout('vslm', 'vslm', 'vslm', ('core', 'vim'))   # vim25's data types at vslm's versions
LOOKUP = Layout('lookup', 'lookup', 'lookup')
LAYOUTS = {'vim25': VIM25, 'pbm': PBM, 'vslm': VSLM, 'lookup': LOOKUP}
WSDL_FILE = VIM25.wsdl_file

MOREF = 'ManagedObjectReference'


# ----------------------------------------------------------------------------
# runtime objects

class MoRef:
    """A managed object reference: ``<x type="VirtualMachine">vm-42</x>``."""
    __slots__ = ('type', 'value')

    def __init__(self, type, value):
        self.type = type
        self.value = value

    def __eq__(self, other):
        if not isinstance(other, MoRef):
            return NotImplemented
        return self.type == other.type and self.value == other.value

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def __hash__(self):
        # the value alone (a str caches its hash): every registry lookup
        # hashes a reference, and equal values of two types only share a bucket
        return hash(self.value)

    def __repr__(self):
        return 'MoRef(%r, %r)' % (self.type, self.value)


class DataObject:
    """Base of every generated data class.  Attributes are the WSDL field
    names as-is (``from`` included: use getattr/setattr for those)."""
    __slots__ = ()
    _type = None     # the DataType, set on each generated class

    def __init__(self, /, **kw):   # positional-only: a field may be named `self`
        names = self._type._names
        for name in names:
            setattr(self, name, kw.pop(name, None))
        if kw:
            raise TypeError('%s has no field(s) %s' % (
                type(self).__name__, ', '.join(sorted(kw))))

    def __repr__(self):
        parts = []
        for name in self._type._names:
            v = getattr(self, name, None)
            if v is not None:
                parts.append('%s=%r' % (name, v))
        return '%s(%s)' % (type(self).__name__, ', '.join(parts))

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n, None) == getattr(other, n, None)
                   for n in self._type._names)

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def __deepcopy__(self, memo):
        """Field by field, plain values kept: what deepcopy's generic way
        (`__reduce_ex__`, a state dict of the slots) makes, ~3x faster; a
        VM's every create and reconfigure copies its devices."""
        cls = type(self)
        made = cls.__new__(cls)
        memo[id(self)] = made
        for name in self._type._names:
            value = getattr(self, name, None)
            if type(value) not in _PLAIN:
                value = copy.deepcopy(value, memo)
            setattr(made, name, value)
        return made

    __hash__ = None
    __str__ = __repr__


_PLAIN = frozenset((str, int, float, bool, type(None)))   # immutable: a copy is the value


@functools.lru_cache(maxsize=None)
def maker(cls, names):
    """A function making a `cls` from the values of the fields `names` (a
    tuple), given in that order, its other fields unset: what
    `cls(**dict(zip(names, values)))` makes, without the keyword handling
    that cost most of an answer's hundreds of thousands of small objects
    (ObjectContent, DynamicProperty, PropertyChange, ObjectUpdate). Its code
    is written from the schema's field names, as namedtuple's is."""
    fields = cls._type._names
    if not _writable(fields):
        return lambda *values: cls(**dict(zip(names, values)))
    if not set(names) <= set(fields) or len(set(names)) != len(names):
        raise TypeError('%s has no field(s) %s' % (cls.__name__, ', '.join(names)))
    given = {name: '_value%d' % index for index, name in enumerate(names)}
    source = 'def make(%s):\n    _made = _new(_cls)\n%s    return _made\n' % (
        ', '.join(given[name] for name in names),
        ''.join('    _made.%s = %s\n' % (name, given.get(name, 'None')) for name in fields))
    namespace = {'_new': cls.__new__, '_cls': cls}
    exec(source, namespace)   # noqa: S102 - identifiers of the schema's own fields
    return namespace['make']


def _writable(names):
    """Whether field names can be written as Python code's own (`from`
    cannot: `maker` and `_own_init` keep the generic way for its class)."""
    return not any(keyword.iskeyword(name) or not name.isidentifier() for name in names)


def _first_init(self, /, **kw):
    """A class's __init__ for its first OWN_INIT_AFTER objects: DataObject's,
    then the class's own (see _own_init) in its place, whose making pays
    back only over many objects (a start makes a few of most of its
    classes'). Every class has this one in its own namespace, so that none
    inherits its base's own."""
    cls = type(self)
    made = _generic_inits[cls] = _generic_inits.get(cls, 0) + 1
    if made >= OWN_INIT_AFTER:
        cls.__init__ = _own_init(cls)
        _generic_inits.pop(cls, None)
    DataObject.__init__(self, **kw)


OWN_INIT_AFTER = 32
_generic_inits = {}   # class -> the objects DataObject.__init__ made of it so far


def _own_init(cls):
    """An __init__ taking the class's fields as keywords, None by default,
    and setting them all: what DataObject.__init__ does, its keyword
    matching done by the call itself (each config read makes a few hundred
    data objects of tens of fields). Its code is written from the schema's
    field names, as `maker`'s is; DataObject's where a name is not an
    identifier (`from`)."""
    fields = cls._type._names
    if not _writable(fields) or any(name.startswith('_') for name in fields):
        return DataObject.__init__
    source = 'def __init__(_self, /%s):\n%s' % (
        ''.join(', %s=None' % name if index else ', *, %s=None' % name
                for index, name in enumerate(fields)),
        ''.join('    _self.%s = %s\n' % (name, name) for name in fields) or '    pass\n')
    namespace = {}
    exec(source, namespace)   # noqa: S102 - identifiers of the schema's own fields
    return namespace['__init__']


def _rebuild_fault(cls, args, state):
    instance = cls.__new__(cls)
    instance.args = args
    for name, value in state.items():
        setattr(instance, name, value)
    return instance


def _reduce_fault(self, protocol=2):
    """Faults copy and pickle with their fields and message (Exception's own
    reduce would call the class with the message and lose the fields)."""
    return (_rebuild_fault, (type(self), self.args,
                             {n: getattr(self, n, None) for n in self._type._names}))


class Field:
    """A data field, managed property, method parameter or method result.
    `optional` is the VMODL's: a request may leave out an optional field or
    array, never a required one (an answer may still send a required array
    empty, as none)."""
    __slots__ = ('name', 'type', 'array', 'optional', 'since', 'mo_type', 'privilege')

    def __init__(self, name, type, array=False, optional=False, since=0,
                 mo_type=None, privilege=None):
        self.name = name
        self.type = type
        self.array = array
        self.optional = optional
        self.since = since
        self.mo_type = mo_type
        self.privilege = privilege

    def __repr__(self):
        return '<Field %s: %s%s%s since=%d>' % (
            self.name, self.type, '[]' if self.array else '',
            '?' if self.optional else '', self.since)


class DataType:
    __slots__ = ('name', 'base', 'since', 'is_fault', 'own_fields', 'fields',
                 'field_map', 'subtypes', '_cls', '_names', '_ancestors', '_field_rows')

    def __init__(self, name, base, since, own_fields):
        """`own_fields`: Fields, or the rows (tuples of Field's arguments) to
        make them from on first use, as a list or marshalled (the cache's
        form). `subtypes` is filled by the schema's build."""
        self.name = name
        self.base = base
        self.since = since
        self._field_rows = own_fields
        self.subtypes = ()
        self.is_fault = name == 'MethodFault' or bool(base and base.is_fault)
        self._cls = None

    def __getattr__(self, name):
        """`own_fields`, `fields`, `field_map`, `_names` and `_ancestors`,
        made on first use (a start reads those of a few hundred of the 3,168
        types; making them all was most of the schema's load and memory).
        Called only while they are unset, so reads after the first are plain
        slot reads."""
        if name == '_ancestors':    # the same set whichever thread makes it first
            self._ancestors = frozenset((self.name,)) | (
                self.base._ancestors if self.base else frozenset())
            return self._ancestors
        if name not in _FIELD_TABLES:
            raise AttributeError(name)
        with _making_classes:    # a decode thread may ask at the same time
            rows = self._field_rows
            if rows is not None:
                if type(rows) is bytes:
                    rows = marshal.loads(rows)
                own = tuple(row if isinstance(row, Field) else Field(*row) for row in rows)
                fields = (self.base.fields if self.base else ()) + own
                self.field_map = {f.name: f for f in fields}
                self._names = tuple(f.name for f in fields)
                self.fields = fields
                self.own_fields = own
                self._field_rows = None
        return object.__getattribute__(self, name)

    @property
    def cls(self):
        """The type's Python class, made on first use (a process needs a few
        hundred of the 3,000-odd; making them all took most of a start-up's
        schema time). Its base's class is made first. Big bodies are decoded
        on a thread of their own, so making one is locked."""
        cls = self._cls
        if cls is None:
            with _making_classes:    # one class per type, whichever thread asks first
                cls = self._cls
                if cls is None:
                    cls = self._cls = _data_class(self)
        return cls

    def is_a(self, other):
        """True if this type is ``other`` (a DataType or a name) or derives from it."""
        name = other if isinstance(other, str) else other.name
        return name in self._ancestors

    def __repr__(self):
        return '<DataType %s>' % self.name


# making a class or a type's field tables; reentrant: a class makes its base's first
_making_classes = threading.RLock()
_FIELD_TABLES = frozenset(('own_fields', 'fields', 'field_map', '_names'))


def _data_class(data_type):
    """A data type's class: slots for its own fields, subclass of its base's
    (MethodFault's of DataObject and Exception)."""
    name = data_type.name
    if data_type.base is not None:
        bases = (data_type.base.cls,)
    elif name == 'MethodFault':
        bases = (DataObject, Exception)
    else:
        bases = (DataObject,)
    namespace = {'__slots__': tuple(f.name for f in data_type.own_fields), '_type': data_type,
                 '__module__': __name__, '__qualname__': name, '__init__': _first_init}
    if name == 'MethodFault':
        namespace['__hash__'] = Exception.__hash__   # raisable/loggable: hash by identity
        namespace['__reduce_ex__'] = _reduce_fault   # copy.deepcopy keeps the fields
        namespace['__deepcopy__'] = None   # a fault copies by its reduce (its message too)
    return type(name, bases, namespace)


class EnumType:
    __slots__ = ('name', 'since', 'values', '_rows')

    def __init__(self, name, since, rows):
        """`rows`: {value: since}, or its (value, since) pairs marshalled
        (the cache's form), made the mapping on first read of `values`."""
        self.name = name
        self.since = since
        self._rows = rows

    def __getattr__(self, name):
        """`values` (value -> since), made on first use: a start reads a few
        of the 465 enums. Called only while it is unset."""
        if name != 'values':
            raise AttributeError(name)
        with _making_classes:    # a decode thread may ask at the same time
            rows = self._rows
            if rows is not None:
                self.values = dict(marshal.loads(rows)) if type(rows) is bytes else rows
                self._rows = None
        return self.values

    def __repr__(self):
        return '<EnumType %s>' % self.name


class Operation:
    __slots__ = ('name', 'managed_type', 'params', 'result', 'faults', 'since',
                 'privilege', 'is_task', 'vmodl_name', '_signature')

    def __init__(self, name, managed_type, signature, faults, since, privilege, vmodl_name):
        """`signature`: (params, result) as Fields, or as their rows (the
        cache's form, marshalled), made into Fields on first use."""
        self.name = name
        self.managed_type = managed_type
        self._signature = signature
        self.faults = tuple(faults)
        self.since = since
        self.privilege = privilege
        self.is_task = name.endswith('_Task')
        self.vmodl_name = vmodl_name    # 'powerOn' for PowerOnVM_Task

    def __getattr__(self, name):
        """`params` and `result`, made on first use: a start calls a few of
        the 1,092 methods (reading the privileges of all). Called only while
        they are unset."""
        if name not in ('params', 'result'):
            raise AttributeError(name)
        with _making_classes:    # a decode thread may ask at the same time
            signature = self._signature
            if signature is not None:
                params, result = (marshal.loads(signature) if type(signature) is bytes
                                  else signature)
                self.result = _field(result) if type(result) is tuple else result
                self.params = tuple(_field(p) if type(p) is tuple else p for p in params)
                self._signature = None
        return object.__getattribute__(self, name)

    def __repr__(self):
        return '<Operation %s.%s>' % (self.managed_type, self.name)


class ManagedType:
    __slots__ = ('name', 'base', 'since', 'own_properties', 'properties',
                 'property_map', 'own_methods', 'methods', '_ancestors', 'vmodl_name')

    def __init__(self, name, base, since, own_properties, vmodl_name):
        self.name = name
        self.vmodl_name = vmodl_name    # 'vim.host.DatastoreSystem' for HostDatastoreSystem
        self.base = base
        self.since = since
        self.own_properties = tuple(own_properties)
        self.properties = (base.properties if base else ()) + self.own_properties
        self.property_map = {f.name: f for f in self.properties}
        self.own_methods = {}
        self.methods = dict(base.methods) if base else {}
        self._ancestors = frozenset((name,)) | (base._ancestors if base else frozenset())

    def is_a(self, other_name):
        name = other_name if isinstance(other_name, str) else other_name.name
        return name in self._ancestors

    def __repr__(self):
        return '<ManagedType %s>' % self.name


class Schema:
    def __init__(self, versions, namespace='vim25', foreign_types=()):
        self.namespace = namespace          # 'vim25': urn:vim25
        self.foreign_types = frozenset(foreign_types)   # types of urn:vim25 in another API
        self.versions = tuple(versions)
        self.newest = len(self.versions) - 1
        self._vindex = {v: i for i, v in enumerate(self.versions)}
        self.types = {}
        self.enums = {}
        self.managed = {}
        self.operations = {}

    def version(self, text):
        """'8.0.3.0' -> index into versions; KeyError if unknown."""
        return self._vindex[text]

    def version_name(self, index):
        return self.versions[index]

    def __repr__(self):
        return '<Schema %s..%s: %d types, %d enums, %d managed, %d operations>' % (
            self.versions[0], self.versions[-1], len(self.types), len(self.enums),
            len(self.managed), len(self.operations))


# ----------------------------------------------------------------------------
# parsing the files into plain data

def _local(qname):
    return qname.split(':', 1)[-1] if qname else qname


def _parse_field(el, vindex, default_since):
    """<element name type minOccurs maxOccurs vimsim:*> -> plain tuple. An
    array is optional unless marked vimsim:required (its minOccurs is "0"
    whether or not it is required: see tools/gen_wsdl.py)."""
    s = el.get(SINCE)
    return (el.get('name'), _local(el.get('type')),
            el.get('maxOccurs') == 'unbounded',
            el.get('minOccurs') == '0' and el.get(REQUIRED) != 'true',
            vindex[s] if s is not None else default_since,
            el.get(MO_TYPE), el.get(PRIVILEGE))


def _sequence_fields(ct, vindex, default_since):
    out = []
    for seq in ct.iter(XS + 'sequence'):
        for el in seq:
            if el.tag == XS + 'element':
                out.append(_parse_field(el, vindex, default_since))
        break
    return out


def _base_of(ct):
    ext = ct.find(XS + 'complexContent/' + XS + 'extension')
    return _local(ext.get('base')) if ext is not None else None


def _parse(wsdl_dir, layout):
    from lxml import etree
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True,
                             huge_tree=True)

    def parse(name):
        return etree.parse(os.path.join(wsdl_dir, name), parser).getroot()

    managed_root = parse(layout.managed_file)
    versions = [v.get('name') for v in managed_root.iter('{%s}version' % VIMSIM)]
    vindex = {v: i for i, v in enumerate(versions)}

    types, enums, foreign = [], [], []
    own_namespace = 'urn:' + layout.namespace
    for fname in layout.type_files:
        root = parse(fname)
        elsewhere = root.get('targetNamespace') != own_namespace
        for el in root:
            name = el.get('name')
            if elsewhere and name:
                foreign.append(name)
            if el.tag == XS + 'complexType':
                if name.startswith('ArrayOf') or name == MOREF:
                    continue
                since = vindex[el.get(SINCE)]
                types.append((name, _base_of(el), since, _sequence_fields(el, vindex, since)))
            elif el.tag == XS + 'simpleType':
                since = vindex[el.get(SINCE)]
                values = [(v.get('value'), vindex[v.get(SINCE, el.get(SINCE))])
                          for v in el.iter(XS + 'enumeration')]
                enums.append((name, since, values))

    managed = []
    for el in managed_root:
        if el.tag != XS + 'complexType':
            continue
        since = vindex[el.get(SINCE)]
        methods = [(m.get('name'), vindex[m.get('since')], m.get('privilege'), m.get('vmodl'))
                   for m in el.iter('{%s}method' % VIMSIM)]
        managed.append((el.get('name'), _base_of(el), since,
                        _sequence_fields(el, vindex, since), methods, el.get(VMODL)))

    requests = {}
    for fname in layout.message_files:
        for el in parse(fname):
            if el.tag == XS + 'complexType':
                name = el.get('name')
                if name.endswith('RequestType'):
                    since = vindex[el.get(SINCE)]
                    fields = _sequence_fields(el, vindex, since)
                    requests[name] = [f for f in fields if f[0] != '_this']

    root = parse(layout.wsdl_file)
    results = {}
    op_params = {}   # operation -> params, via <element name="PowerOnVM_Task" type="PowerOnVMRequestType">
    schema = root.find(WSDL + 'types/' + XS + 'schema')
    for el in schema:
        name = el.get('name')
        if el.tag != XS + 'element' or not name:
            continue
        rtype = _local(el.get('type'))
        if rtype and rtype.endswith('RequestType'):
            op_params[name] = requests[rtype]
        elif name.endswith('Response') and rtype is None:
            since = vindex[el.get(SINCE)] if el.get(SINCE) else 0
            ret = None
            for r in el.iter(XS + 'element'):
                if r is not el and r.get('name') == 'returnval':
                    ret = _parse_field(r, vindex, since)
            results[name[:-len('Response')]] = ret
    faults = {}
    for pt in root.iter(WSDL + 'portType'):
        for op in pt.iter(WSDL + 'operation'):
            fl = []
            for f in op.iter(WSDL + 'fault'):
                msg = _local(f.get('message'))
                fl.append(msg[:-len('FaultMsg')] if msg.endswith('FaultMsg') else msg)
            faults[op.get('name')] = fl
    ops = {name: (params, results.get(name), faults.get(name, []))
           for name, params in op_params.items()}
    plain = _shared(dict(format=_CACHE_FORMAT, versions=versions, types=types, enums=enums,
                         managed=managed, ops=ops, namespace=layout.namespace,
                         foreign=foreign))
    # each type's field rows marshalled: a start reads a few hundred types'
    # fields, so the rest stay one bytes object each (a third less to load
    # and keep); marshal interns the names again as it reads them
    plain['types'] = [(name, base, since, marshal.dumps(fields))
                      for name, base, since, fields in plain['types']]
    # and so each enum's values, and each method's parameters and result
    plain['enums'] = [(name, since, marshal.dumps(values))
                      for name, since, values in plain['enums']]
    plain['ops'] = {name: (marshal.dumps((params, result)), faults)
                    for name, (params, result, faults) in plain['ops'].items()}
    return plain


def _shared(value):
    """`value` with each distinct string one object: the pickle then stores
    it once ('string' is thousands of fields' type), and the loaded schema
    holds it once (a third less to read and keep)."""
    if type(value) is str:
        return sys.intern(value)
    if type(value) in (tuple, list):
        return type(value)(_shared(item) for item in value)
    if type(value) is dict:
        return {_shared(key): _shared(item) for key, item in value.items()}
    return value


# ----------------------------------------------------------------------------
# cache

def cache_dir():
    """Where vimsim keeps what it made once for the next start (the schema's
    tables, the self-signed certificate)."""
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'vimsim')


def _files_key(wsdl_dir, layout):
    h = hashlib.sha256(b'vimsim-schema-%d\0' % _CACHE_FORMAT)
    for name in layout.all_files:
        st = os.stat(os.path.join(wsdl_dir, name))
        h.update(b'%s\0%d\0%d\0' % (name.encode(), st.st_size, st.st_mtime_ns))
    return h.hexdigest()


def _load_plain(wsdl_dir, layout):
    key = _files_key(wsdl_dir, layout)
    path = os.path.join(cache_dir(), 'schema-%s.pickle' % key[:32])
    try:
        with open(path, 'rb') as fh:
            plain = pickle.load(fh)
        if isinstance(plain, dict) and plain.get('format') == _CACHE_FORMAT \
                and plain.get('key') == key:
            return plain
    except Exception:
        pass
    plain = _parse(wsdl_dir, layout)
    plain['key'] = key
    try:
        d = os.path.dirname(path)
        os.makedirs(d, exist_ok=True)
        import tempfile    # a start with its cache imports none
        fd, tmp = tempfile.mkstemp(dir=d, prefix='.schema-', suffix='.tmp')
        try:
            with os.fdopen(fd, 'wb') as fh:
                pickle.dump(plain, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except Exception:
        pass   # no cache: fine
    return plain


# ----------------------------------------------------------------------------
# building the Schema

def _field(t):
    return Field(*t)


def _build(plain):
    """The Schema of a cache's plain tables. Recursion through module
    functions, not closures: a closure that calls itself is a cycle, which
    kept the tables it read (1 MB) until a collection, and start-up freezes
    what it made with the collector held off."""
    s = Schema(plain['versions'], plain['namespace'], plain['foreign'])
    rows = {t[0]: t for t in plain['types']}
    children = {}
    for name in sorted(rows):
        _make_data_type(s.types, rows, children, name)
    for dt, subtypes in children.items():    # a leaf type shares the empty tuple
        dt.subtypes = tuple(sorted(subtypes, key=lambda t: t.name))

    for name, since, values in plain['enums']:
        s.enums[name] = EnumType(name, since, values)

    rows = {m[0]: m for m in plain['managed']}
    for name in sorted(rows):
        _make_managed_type(s, rows, plain['ops'], name)
    return s


def _make_data_type(types, rows, children, name):
    """The DataType `name` of `rows`, its base's made first."""
    dt = types.get(name)
    if dt is not None:
        return dt
    _, base, since, fields = rows[name]
    bt = _make_data_type(types, rows, children, base) if base else None
    dt = types[name] = DataType(name, bt, since, fields)
    if bt is not None:
        children.setdefault(bt, []).append(dt)
    return dt


def _make_managed_type(s, rows, ops, name):
    """The ManagedType `name` of `rows` and its methods, its base's made first."""
    mt = s.managed.get(name)
    if mt is not None:
        return mt
    _, base, since, props, methods, vmodl = rows[name]
    bt = _make_managed_type(s, rows, ops, base) if base else None
    mt = s.managed[name] = ManagedType(name, bt, since, [_field(f) for f in props], vmodl)
    for opname, osince, priv, vmodl_method in methods:
        signature, faults = ops[opname]
        op = Operation(opname, name, signature, faults, osince, priv, vmodl_method)
        s.operations[opname] = op
        mt.own_methods[opname] = op
        mt.methods[opname] = op
    return mt


def default_wsdl_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.path.join(here, 'wsdl'), os.path.join(os.path.dirname(here), 'wsdl')):
        if os.path.isfile(os.path.join(d, WSDL_FILE)):
            return d
    raise FileNotFoundError('vimsim: no generated wsdl/ found next to %s '
                            '(run tools/gen_wsdl.py)' % here)


@functools.cache
def _load(wsdl_dir, layout=VIM25):
    return _build(_load_plain(os.path.join(wsdl_dir, layout.subdir), layout))


def load(wsdl_dir=None):
    """Load (once per process and directory) the Schema from ``wsdl_dir``
    (default: the package's wsdl directory; looked up once, as faults and
    task keys ask for the schema on every call)."""
    if wsdl_dir is None:
        return _load_default()
    return _load(os.path.realpath(wsdl_dir))


@functools.cache
def _load_default():
    return _load(os.path.realpath(default_wsdl_dir()))


def load_api(namespace):
    """The Schema of the API `namespace` ('vim25', 'pbm', 'vslm', 'lookup') from the package's
    wsdl directory, loaded when first asked for."""
    if namespace == 'vim25':
        return _load_default()
    return _load(os.path.realpath(default_wsdl_dir()), LAYOUTS[namespace])
