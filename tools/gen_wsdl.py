#!/usr/bin/env python3
"""Generate vimsim's ``wsdl/`` directory from the installed pyVmomi's type registry.

Usage::

    python tools/gen_wsdl.py [--out DIR]      # default: <repo>/wsdl

Input is pyVmomi's lazy type tables (``VmomiSupport._dataDefMap``,
``_managedDefMap``, ``_enumDefMap``) and its version graph (``parentMap``,
``versionIdMap``, ``serviceNsMap``).  Three APIs are emitted, each from its own
versions: vim25 (types, fields, methods and parameters whose version is a
``vim.version.*`` version of the ``vim25`` service, or a core/query/reflect
vmodl version), PBM (``pbm.version.*`` of the ``pbm`` service, or a core
vmodl version) and vslm (``vslm.version.*``, a core vmodl version, or a
vim25 version a vslm version contains: vim25's data types, which vslm's
methods take and answer, at vslm's versions; vim25's managed types only as
the targets of references, without properties or methods). Everything of
eam, sms and vsan is left out, and so is
anything that refers to something left out (a field or optional parameter is
dropped; a method with a required parameter or a result of an excluded type
is dropped; an excluded declared fault is dropped from the method's fault
list), so each schema is closed. PBM types referring to vim25 types (only
``PbmQueryReplicationGroupResult.replicationGroupId`` and
``PbmPlacementMatchingReplicationResources.replicationGroup``) lose those fields.

Output (the file names and include graph of a real vCenter)::

    vimService.wsdl  -> vim.wsdl (messages, VimPortType, VimBinding; inline schema)
    vim.wsdl schema  includes query-messagetypes.xsd, reflect-messagetypes.xsd,
                     vim-messagetypes.xsd
    X-messagetypes.xsd includes X-types.xsd
    query-types.xsd, reflect-types.xsd include core-types.xsd
    vim-types.xsd    includes core-types.xsd, query-types.xsd, reflect-types.xsd
    vim-managedtypes.xsd (vimsim only, included by no public file) includes
                     vim-types.xsd: managed object types, their properties,
                     their methods and the ordered list of API versions.
    pbm/             the same for PBM (urn:pbm): pbmService.wsdl -> pbm.wsdl ->
                     pbm-messagetypes.xsd -> pbm-types.xsd, pbm-managedtypes.xsd;
                     each imports its own core-types.xsd (vmodl's core types,
                     urn:vim25, at PBM's versions), as /pbm/sdk serves them.
    vslm/            the same for vslm (urn:vslm), with vim-types.xsd (urn:vim25,
                     including core-types.xsd) imported by vslm's files.

Annotations live in the ``urn:vimsim`` namespace: ``vimsim:since`` (API version
that introduced a type/field/enum/value/parameter/operation/message),
``vimsim:moType`` (managed type of a ManagedObjectReference),
``vimsim:privilege``, ``vimsim:required="true"`` (an array the VMODL requires,
though its element keeps minOccurs="0": see ``element_xml``).

Mapping decisions (faithful to the real vCenter WSDL and to pyVmomi's wire
behaviour):

* vmodl core/query/reflect versions have no API version string of their own;
  each maps to the oldest vim25 version whose ancestor set contains it (so
  ``RetrievePropertiesEx``, vmodl.query.version3, is "since 4.1"); one
  contained by no vim version maps to the oldest vim version.
* Anything's since is clamped to be no older than its container's since.
* ``MethodFault`` has no base but repeats DynamicData's two fields first (as
  in the real WSDL; pyVmomi makes it extend DynamicData), and has no ``msg``
  field (pyVmomi-only, carried in faultstring / localizedMessage).
  ``LocalizedMethodFault`` extends DynamicData (pyVmomi: MethodFault).
* As in a real vim.wsdl, request types drop ``_Task``
  (``<element name="PowerOnVM_Task" type="vim25:PowerOnVMRequestType"/>``), and
  portType/binding fault names are ``<Fault>Fault`` except ``RuntimeFault``
  (``HostConfigFaultFault``, ``InvalidStateFault``, ``RuntimeFault``); messages
  are ``<Op>RequestMsg``/``<Op>ResponseMsg``/``<Fault>FaultMsg``.
* Every field, parameter or result whose pyVmomi type is MethodFault or a
  subtype is typed ``LocalizedMethodFault`` on the wire (pyVmomi's
  SoapAdapter wraps/unwraps it); only ``LocalizedMethodFault.fault`` is a real
  ``MethodFault``.
* ``F_LINK`` fields (e.g. ``HostProxySwitch.pnic``) are keys on the wire:
  ``xsd:string``.
* ``vmodl.TypeName``/``MethodName``/``PropertyPath`` are ``xsd:string``;
  ``vmodl.DateTime`` ``xsd:dateTime``; ``vmodl.Binary`` ``xsd:base64Binary``;
  ``vmodl.URI`` ``xsd:anyURI``; every managed type (and ``vmodl.ManagedObject``)
  ``ManagedObjectReference``.
* pyVmomi's ``vim.version.v9_1_0_1`` has the version id ``m5CA1EF4D``; it is
  kept as is (it is a real vim25 version in pyVmomi's graph).

Known limits:

* pyVmomi has no per-value versions for enums: every enum value gets its
  enum's since.
* pyVmomi 9.1.1.0 defines no vmodl.reflect types, so reflect-types.xsd and
  reflect-messagetypes.xsd are empty (a real vCenter has the internal
  DynamicTypeManager there).

Output is deterministic (sorted, no timestamps).
"""
import argparse
import os
import sys

XSD = 'http://www.w3.org/2001/XMLSchema'
VIMSIM_NS = 'urn:vimsim'

PRIMITIVES = {
    'string': 'string', 'boolean': 'boolean', 'bool': 'boolean',
    'byte': 'byte', 'short': 'short', 'int': 'int', 'long': 'long',
    'float': 'float', 'double': 'double', 'anyType': 'anyType',
    'vmodl.DateTime': 'dateTime', 'vmodl.Binary': 'base64Binary',
    'vmodl.URI': 'anyURI', 'vmodl.TypeName': 'string',
    'vmodl.MethodName': 'string', 'vmodl.PropertyPath': 'string',
    'vmodl.DataObject': 'anyType',
}
# Arrays of primitives a real core-types.xsd always declares.
CORE_ARRAYS = ['string', 'int', 'long', 'short', 'byte', 'boolean', 'float',
               'double', 'dateTime', 'base64Binary', 'anyType', 'anyURI']
MOREF = 'ManagedObjectReference'


class Api:
    """One API namespace of pyVmomi's registry and the files it is served as.
    `files`: its *-types.xsd files, each in the namespace `PREFIX` gives it
    (vmodl's core types are urn:vim25's in every API, as vCenter serves
    them); `main`: the file of its own types, messages and managed types."""

    def __init__(self, ns, version_prefix, core_prefixes, files, port, location, subdir='',
                 foreign_prefixes=(), service_file=None, core_ns='vim25'):
        self.ns = ns                        # 'vim25': urn:vim25, the vim25: prefix
        self.version_prefix = version_prefix
        self.core_prefixes = core_prefixes  # vmodl versions whose types it holds
        # another API's versions whose data types it holds (vslm: vim25's, in
        # its own vim-types.xsd) and whose managed types it only refers to
        self.foreign_prefixes = foreign_prefixes
        # the namespace of vmodl's core types: vim25's, as vCenter serves them
        # to PBM and vslm; the lookup service's own holds them
        self.core_ns = core_ns
        self.files = files
        self.main = files[-1]
        self.service_file = service_file or '%sService.wsdl' % self.main
        self.port = port                    # VimPortType, VimBinding, VimService
        self.location = location
        self.subdir = subdir                # of the output directory

    @property
    def message_files(self):
        """Files with operations: vslm's vim-types.xsd is only types."""
        return tuple(f for f in self.files
                     if f != 'core' and (f != 'vim' or self.ns == 'vim25'))

    def is_foreign(self, file):
        """A file of another API's types in this one (vslm's vim types)."""
        return file == 'vim' and self.ns != 'vim25'

    def ns_of(self, file):
        """The namespace prefix of a file's types."""
        return self.core_ns if file == 'core' else PREFIX[file]

    @property
    def moref(self):
        return '%s:%s' % (self.core_ns, MOREF)


VIM25 = Api('vim25', 'vim.version.', ('vmodl.version.', 'vmodl.query.version.',
                                      'vmodl.reflect.version.'),
            ('core', 'query', 'reflect', 'vim'), 'Vim', '/sdk')
PBM = Api('pbm', 'pbm.version.', ('vmodl.version.',), ('core', 'pbm'), 'Pbm', '/pbm/sdk',
          subdir='pbm')
VSLM = Api('vslm', 'vslm.version.', ('vmodl.version.',), ('core', 'vim', 'vslm'), 'Vslm',
           '/vslm/sdk', subdir='vslm', foreign_prefixes=('vim.version.',))
# the lookup service: no pyVmomi types; described by hand below (LOOKUP_TYPES)
LOOKUP = Api('lookup', None, ('vmodl.version.',), ('core', 'lookup'), 'Ls',
             '/lookupservice/sdk', subdir='lookup', service_file='lookupservice.wsdl',
             core_ns='lookup')
APIS = {'vim25': VIM25, 'pbm': PBM, 'vslm': VSLM, 'lookup': LOOKUP}
# the XML namespace prefix of each file's types
PREFIX = {'core': 'vim25', 'query': 'vim25', 'reflect': 'vim25', 'vim': 'vim25', 'pbm': 'pbm',
          'vslm': 'vslm', 'lookup': 'lookup'}


def cap(s):
    return s[:1].upper() + s[1:]


def esc(s):
    return (str(s).replace('&', '&amp;').replace('<', '&lt;')
            .replace('>', '&gt;').replace('"', '&quot;'))


def attrs(**kw):
    """Render attributes in the given order; None values are skipped.
    Keyword names: trailing '_' stripped, '__' -> ':'."""
    out = []
    for k, v in kw.items():
        if v is None:
            continue
        k = k.rstrip('_').replace('__', ':')
        out.append(' %s="%s"' % (k, esc(v)))
    return ''.join(out)


class Ref:
    """A resolved type reference on the wire."""
    __slots__ = ('xsd', 'array', 'mo_type')

    def __init__(self, xsd, array, mo_type=None):
        self.xsd = xsd          # qualified: 'xsd:string' or 'vim25:Foo'
        self.array = array
        self.mo_type = mo_type

    @property
    def local(self):
        return self.xsd.split(':', 1)[1]


class Registry:
    def __init__(self, api=VIM25):
        from pyVmomi import VmomiSupport as V  # noqa: the generator's input
        self.V = V
        self.api = api
        self._versions()
        self.data = {d[0]: d for d in V._dataDefMap.values()}
        self.managed = {d[0]: d for d in V._managedDefMap.values()}
        self.enums = {d[0]: d for d in V._enumDefMap.values()}
        self.dropped = []   # human-readable notes of what was left out
        self._select()

    # -- versions --------------------------------------------------------
    def _versions(self):
        V = self.V
        api = self.api
        vim = [v for v in V.parentMap
               if v.startswith(api.version_prefix) and V.serviceNsMap.get(v) == api.ns]
        vim.sort(key=lambda v: (len(V.parentMap[v]), v))
        self.vim_versions = vim
        self.version_ids = [V.versionIdMap[v] for v in vim]
        assert len(set(self.version_ids)) == len(vim), self.version_ids
        self.vindex = {v: i for i, v in enumerate(vim)}
        for v in V.parentMap:
            if v.startswith(api.core_prefixes + api.foreign_prefixes):
                users = [i for i, w in enumerate(vim) if v in V.parentMap[w]]
                if users or not v.startswith(api.foreign_prefixes):
                    self.vindex[v] = min(users) if users else 0

    def since(self, version):
        """Index into vim_versions, or None if the version is not this API's."""
        return self.vindex.get(version)

    # -- selection -------------------------------------------------------
    def _select(self):
        inc_data, inc_managed, inc_enum = {}, {}, {}

        def chain_ok(defs, name, memo):
            if name in memo:
                return memo[name]
            d = defs.get(name)
            if d is None and name == 'vmodl.ManagedObject':
                d = defs.get('ManagedObject')
            if d is None:
                memo[name] = False
                return False
            ok = self.since(d[3]) is not None
            if ok and d[2] is not None and d[2] not in ('vmodl.DataObject', 'DataObject'):
                ok = chain_ok(defs, d[2], memo)
            memo[name] = ok
            return ok

        memo = {}
        for name, d in self.data.items():
            if name in ('DataObject', 'vmodl.DataObject'):
                continue
            if chain_ok(self.data, name, memo):
                inc_data[name] = d
        memo = {}
        for name, d in self.managed.items():
            if chain_ok(self.managed, name, memo):
                inc_managed[name] = d
        for name, d in self.enums.items():
            if self.since(d[2]) is not None:
                inc_enum[name] = d
        self.inc_data, self.inc_managed, self.inc_enum = inc_data, inc_managed, inc_enum
        # wsdl name uniqueness
        seen = {}
        for defs in (inc_data, inc_managed, inc_enum):
            for name, d in defs.items():
                w = d[1]
                kind = 'managed' if defs is inc_managed else 'type'
                key = (kind, w)
                assert key not in seen, (w, name, seen.get(key))
                seen[key] = name

    def is_fault(self, name):
        while name:
            if name == 'vmodl.MethodFault':
                return True
            d = self.data.get(name)
            name = d[2] if d else None
        return False

    def resolve(self, tname, flags=0, raw_fault=False):
        """pyVmomi type name -> Ref, or None if it refers to an excluded type."""
        V = self.V
        array = tname.endswith('[]')
        base = tname[:-2] if array else tname
        if flags & V.F_LINK:
            return Ref('xsd:string', array)
        if base in PRIMITIVES:
            return Ref('xsd:' + PRIMITIVES[base], array)
        if base == 'vmodl.ManagedObject':
            return Ref('vim25:' + MOREF, array)
        if base in self.inc_managed:
            return Ref('vim25:' + MOREF, array, self.inc_managed[base][1])
        if base in self.inc_enum:
            return Ref(qualified(base, self.inc_enum[base][1]), array)
        if base in self.inc_data:
            if not raw_fault and self.is_fault(base):
                return Ref('vim25:LocalizedMethodFault', array)
            return Ref(qualified(base, self.inc_data[base][1]), array)
        return None


def file_of(vmodl_name):
    if vmodl_name.startswith('vmodl.query.'):
        return 'query'
    if vmodl_name.startswith('vmodl.reflect.'):
        return 'reflect'
    if vmodl_name.startswith('vmodl.'):
        return 'core'
    if vmodl_name.startswith('pbm.'):
        return 'pbm'
    if vmodl_name.startswith('vslm.'):
        return 'vslm'
    return 'vim'


def qualified(vmodl_name, wsdl_name):
    """'vim25:Foo' or 'pbm:PbmFoo': a type's name in its file's namespace."""
    return '%s:%s' % (PREFIX[file_of(vmodl_name)], wsdl_name)


class Model:
    """One API as plain records, ready to be written."""

    def __init__(self, reg):
        self.reg = reg
        self.api = reg.api
        V = reg.V
        self.versions = reg.version_ids
        self.newest = len(self.versions) - 1
        self.array_items = {}      # local item name -> (file, since)
        # -- data types
        self.types = {}            # wsdl name -> dict
        for name, d in reg.inc_data.items():
            vname, wname, parent, version, props = d
            tsince = reg.since(version)
            base = None
            if parent not in (None, 'vmodl.DataObject', 'DataObject'):
                base = reg.inc_data[parent][1]
            fields = []
            for p in props or ():
                pname, ptype, pver, pflags = p[:4]
                if wname == 'MethodFault' and pname == 'msg':
                    continue
                fs = reg.since(pver)
                if fs is None:
                    reg.dropped.append('field %s.%s (version %s)' % (wname, pname, pver))
                    continue
                ref = reg.resolve(ptype, pflags, raw_fault=(wname == 'LocalizedMethodFault'))
                if ref is None:
                    reg.dropped.append('field %s.%s (type %s)' % (wname, pname, ptype))
                    continue
                fields.append(dict(name=pname, ref=ref, optional=bool(pflags & V.F_OPTIONAL),
                                   since=max(fs, tsince), privilege=None))
            if wname == 'MethodFault':
                # a real WSDL's MethodFault is a root that repeats DynamicData's fields
                base = None
                dd = reg.data['vmodl.DynamicData']
                fields[:0] = [dict(name=p[0], ref=reg.resolve(p[1], p[3]),
                                   optional=bool(p[3] & V.F_OPTIONAL),
                                   since=max(reg.since(p[2]), tsince), privilege=None)
                              for p in dd[4]]
            elif wname == 'LocalizedMethodFault':
                base = 'DynamicData'
            self.types[wname] = dict(name=wname, vmodl=vname, base=base, since=tsince,
                                     fields=fields, file=file_of(vname))
        # -- enums
        self.enums = {}
        for name, d in reg.inc_enum.items():
            vname, wname, version, values = d
            self.enums[wname] = dict(name=wname, since=reg.since(version),
                                     values=list(values), file=file_of(vname))
        # -- managed types and methods
        self.managed = {}
        self.ops = {}
        self.request_types = set()
        for name, d in reg.inc_managed.items():
            vname, wname, parent, version, props, methods = d
            msince = reg.since(version)
            if self.api.is_foreign(file_of(vname)):
                props, methods = (), ()     # referred to by other types only
            base = None
            if parent:
                base = reg.inc_managed['ManagedObject' if parent == 'vmodl.ManagedObject'
                                       else parent][1]
            mprops = []
            for p in props or ():
                pname, ptype, pver, pflags, priv = p
                fs = reg.since(pver)
                ref = reg.resolve(ptype, pflags) if fs is not None else None
                if ref is None:
                    reg.dropped.append('property %s.%s (%s, %s)' % (wname, pname, ptype, pver))
                    continue
                mprops.append(dict(name=pname, ref=ref, optional=bool(pflags & V.F_OPTIONAL),
                                   since=max(fs, msince), privilege=priv))
            mlist = []
            for m in methods or ():
                op = self._method(wname, vname, msince, m)
                if op is None:
                    continue
                assert op['name'] not in self.ops, op['name']
                assert request_type(op['name']) not in self.request_types, op['name']
                self.request_types.add(request_type(op['name']))
                self.ops[op['name']] = op
                mlist.append(op['name'])
            self.managed[wname] = dict(name=wname, base=base, since=msince, vmodl=vname,
                                       props=mprops, methods=mlist, file=file_of(vname))
        # -- ArrayOf uses
        for t in self.types.values():
            for f in t['fields']:
                self._use(f['ref'])
        for m in self.managed.values():
            for f in m['props']:
                self._use(f['ref'])
        for op in self.ops.values():
            for f in op['params']:
                self._use(f['ref'])
            if op['result'] is not None:
                self._use(op['result']['ref'])
        # -- faults
        self.fault_types = sorted(n for n, t in self.types.items() if self._is_fault(n))
        used = {'RuntimeFault'}
        for op in self.ops.values():
            used.update(op['faults'])
        self.used_faults = sorted(used)

    def _is_fault(self, name):
        while name:
            if name == 'MethodFault':
                return True
            name = self.types[name]['base']
        return False

    def _use(self, ref):
        if not ref.array:
            return
        self.array_items.setdefault(ref.local, True)

    def _method(self, mname, mvmodl, msince, m):
        reg, V = self.reg, self.reg.V
        vmodl_m, wname, version, params, result, priv, faults = m
        s = reg.since(version)
        if s is None:
            return None
        s = max(s, msince)
        plist = []
        for p in params or ():
            pname, ptype, pver, pflags, ppriv = p
            ps = reg.since(pver)
            ref = reg.resolve(ptype, pflags) if ps is not None else None
            if ref is None:
                if pflags & V.F_OPTIONAL:
                    reg.dropped.append('param %s.%s (%s, %s)' % (wname, pname, ptype, pver))
                    continue
                reg.dropped.append('method %s (param %s: %s, %s)' % (wname, pname, ptype, pver))
                return None
            plist.append(dict(name=pname, ref=ref, optional=bool(pflags & V.F_OPTIONAL),
                              since=max(ps, s), privilege=ppriv))
        rflags, rtype, task_rtype = result
        if task_rtype and task_rtype != rtype and task_rtype.endswith('[]'):
            # a task's result array travels in TaskInfo.result as an ArrayOfX
            task_ref = reg.resolve(task_rtype, rflags)
            if task_ref is not None:
                self._use(task_ref)
        res = None
        if rtype != 'void':
            ref = reg.resolve(rtype, rflags)
            if ref is None:
                reg.dropped.append('method %s (result %s)' % (wname, rtype))
                return None
            res = dict(name='returnval', ref=ref, optional=bool(rflags & V.F_OPTIONAL),
                       since=s, privilege=None)
        flist = []
        for f in faults or ():
            d = reg.inc_data.get(f)
            if d is None:
                reg.dropped.append('fault %s of %s' % (f, wname))
                continue
            if d[1] not in flist:
                flist.append(d[1])
        if 'RuntimeFault' not in flist:
            flist.append('RuntimeFault')
        return dict(name=wname, managed=mname, since=s, privilege=priv, params=plist,
                    result=res, faults=flist, file=file_of(mvmodl), vmodl=vmodl_m)

    def sv(self, i):
        return self.versions[i]

    def qualified(self, name):
        """A data or enum type's name with its namespace's prefix."""
        found = self.types.get(name) or self.enums[name]
        return '%s:%s' % (self.api.ns_of(found['file']), name)


# ----------------------------------------------------------------------------
# writers

HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
NOTE = '<!-- Generated by tools/gen_wsdl.py from pyVmomi %s. Do not edit. -->\n'


def schema_open(ns):
    """A <schema> of target namespace urn:`ns`; another API's own
    namespace gets its prefix declared too."""
    own = '' if ns == 'vim25' else ' xmlns:%s="urn:%s"' % (ns, ns)
    return ('<schema targetNamespace="urn:%s" xmlns="http://www.w3.org/2001/XMLSchema"'
            ' xmlns:vim25="urn:vim25"%s xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
            ' xmlns:vimsim="urn:vimsim" elementFormDefault="qualified">\n' % (ns, own))


def core_import(api, indent='   ', ns=None):
    """Another API's schema documents (of namespace `ns`, the API's own by
    default) refer to vmodl's urn:vim25 core types: each imports them, or
    the vim types that include them where the API has those (vslm); those
    in the core types' namespace include them instead."""
    if (ns or api.ns) == api.core_ns:
        return ''
    location = 'vim-types.xsd' if 'vim' in api.files else 'core-types.xsd'
    return '%s<import namespace="urn:vim25" schemaLocation="%s"/>\n' % (indent, location)


def element_xml(model, f, indent, extra_since=True):
    """An element for a field, parameter or result. An array may always be
    empty on the wire (vCenter answers a miss of FindAllByUuid with no
    returnval, though the VMODL calls that result required), so every array
    gets minOccurs="0": a real WSDL's minOccurs="1" for required arrays would
    reject such answers of vCenter's, and every response path of the model
    that sends an empty required array. That an array is required (a request
    lacking PropertyFilterSpec.propSet is refused) is said by
    vimsim:required="true" instead."""
    ref = f['ref']
    return '%s<element%s/>\n' % (indent, attrs(
        name=f['name'], type=ref.xsd,
        minOccurs='0' if f['optional'] or ref.array else None,
        maxOccurs='unbounded' if ref.array else None,
        vimsim__required='true' if ref.array and not f['optional'] else None,
        vimsim__moType=ref.mo_type,
        vimsim__privilege=f.get('privilege'),
        vimsim__since=model.sv(f['since']) if extra_since else None))


def complex_type_xml(model, name, base, since, fields, indent='   ', annotation='', vmodl=None):
    """A complexType (`base`: the qualified name of its base); managed types
    also carry their vmodl name (vimsim:vmodl), which vCenter's task and
    privilege keys are made of."""
    out = ['%s<complexType%s>\n' % (indent, attrs(name=name, vimsim__since=model.sv(since),
                                                   vimsim__vmodl=vmodl))]
    out.append(annotation)
    i2 = indent + '   '
    if base:
        out.append('%s<complexContent>\n%s   <extension base="%s">\n' % (i2, i2, base))
        i3 = i2 + '      '
    else:
        i3 = i2
    if fields:
        out.append('%s<sequence>\n' % i3)
        for f in fields:
            out.append(element_xml(model, f, i3 + '   '))
        out.append('%s</sequence>\n' % i3)
    elif not base:
        out.append('%s<sequence/>\n' % i3)
    if base:
        out.append('%s   </extension>\n%s</complexContent>\n' % (i2, i2))
    out.append('%s</complexType>\n' % indent)
    return ''.join(out)


def array_xml(model, item_local, item_xsd, since):
    return ('   <complexType%s>\n      <sequence>\n'
            '         <element%s/>\n      </sequence>\n   </complexType>\n') % (
        attrs(name='ArrayOf' + cap(item_local), vimsim__since=model.sv(since)),
        attrs(name=item_local, type=item_xsd, minOccurs='0', maxOccurs='unbounded'))


def write_types(model, pyver):
    """Returns {filename: text} for the API's *-types.xsd files."""
    api = model.api
    parts = {f: [] for f in api.files}
    # items: (sort name, file, text)
    for name, t in model.types.items():
        base = t['base'] and model.qualified(t['base'])
        parts[t['file']].append((name, complex_type_xml(
            model, name, base, t['since'], t['fields'])))
    for name, e in model.enums.items():
        out = ['   <simpleType%s>\n      <restriction base="xsd:string">\n'
               % attrs(name=name, vimsim__since=model.sv(e['since']))]
        for v in e['values']:
            out.append('         <enumeration%s/>\n'
                       % attrs(value=v, vimsim__since=model.sv(e['since'])))
        out.append('      </restriction>\n   </simpleType>\n')
        parts[e['file']].append((name, ''.join(out)))
    # MoRef
    parts['core'].append((MOREF, (
        '   <complexType name="ManagedObjectReference" vimsim:since="%s">\n'
        '      <simpleContent>\n         <extension base="xsd:string">\n'
        '            <attribute name="type" type="xsd:string"/>\n'
        '         </extension>\n      </simpleContent>\n   </complexType>\n')
        % model.sv(0)))
    # arrays
    items = set(model.array_items) | set(CORE_ARRAYS) | {MOREF, 'MethodFault', 'LocalizedMethodFault'}
    for item in items:
        if item == MOREF:
            parts['core'].append(('ArrayOf' + MOREF, array_xml(model, MOREF, api.moref, 0)))
        elif item in model.types:
            t = model.types[item]
            parts[t['file']].append(('ArrayOf' + cap(item), array_xml(
                model, item, model.qualified(item), t['since'])))
        elif item in model.enums:
            e = model.enums[item]
            parts[e['file']].append(('ArrayOf' + cap(item), array_xml(
                model, item, model.qualified(item), e['since'])))
        else:
            parts['core'].append(('ArrayOf' + cap(item), array_xml(model, item, 'xsd:' + item, 0)))
    files = {}
    for f in api.files:
        out = [HEADER, NOTE % pyver, schema_open(api.ns_of(f))]
        if f != 'core':   # query and reflect hold core's; the API's own file, all others
            out.append(core_import(api, ns=api.ns_of(f)))
            for inc in (api.files[:-1] if f == api.main else ('core',)):
                if api.ns_of(inc) == api.ns_of(f):
                    out.append('   <include schemaLocation="%s-types.xsd"/>\n' % inc)
        for _, text in sorted(parts[f], key=lambda p: p[0]):
            out.append(text)
        out.append('</schema>\n')
        files['%s-types.xsd' % f] = ''.join(out)
    return files


def request_type(opname):
    """As in a real vim.wsdl: 'PowerOnVM_Task' -> 'PowerOnVMRequestType'."""
    if opname.endswith('_Task'):
        opname = opname[:-len('_Task')]
    return opname + 'RequestType'


def write_messagetypes(model, pyver):
    api = model.api
    files = {}
    for f in api.message_files:
        out = [HEADER, NOTE % pyver, schema_open(api.ns_of(f)), core_import(api),
               '   <include schemaLocation="%s-types.xsd"/>\n' % f]
        for name in sorted(model.ops):
            op = model.ops[name]
            if op['file'] != f and not (f == api.main and op['file'] == 'core'):
                continue
            this = dict(name='_this', ref=Ref(api.moref, False, op['managed']),
                        optional=False, since=op['since'], privilege=None)
            out.append(complex_type_xml(model, request_type(name), None, op['since'],
                                        [this] + op['params']))
        out.append('</schema>\n')
        files['%s-messagetypes.xsd' % f] = ''.join(out)
    return files


def write_managed(model, pyver):
    api = model.api
    out = [HEADER, NOTE % pyver, schema_open(api.ns), core_import(api),
           '   <include schemaLocation="%s-types.xsd"/>\n' % api.main,
           '   <annotation>\n      <appinfo>\n         <vimsim:versions>\n']
    for v in model.versions:
        out.append('            <vimsim:version name="%s"/>\n' % esc(v))
    out.append('         </vimsim:versions>\n      </appinfo>\n   </annotation>\n')
    for name in sorted(model.managed):
        m = model.managed[name]
        ann = ''
        if m['methods']:
            a = ['      <annotation>\n         <appinfo>\n']
            for opname in m['methods']:
                op = model.ops[opname]
                a.append('            <vimsim:method%s/>\n' % attrs(
                    name=opname, since=model.sv(op['since']), privilege=op['privilege'],
                    vmodl=op['vmodl']))
            a.append('         </appinfo>\n      </annotation>\n')
            ann = ''.join(a)
        out.append(complex_type_xml(model, name, m['base'] and '%s:%s' % (api.ns, m['base']),
                                    m['since'], m['props'], annotation=ann, vmodl=m['vmodl']))
    out.append('</schema>\n')
    return {'%s-managedtypes.xsd' % api.main: ''.join(out)}


def write_wsdl(model, pyver):
    """vim.wsdl (pbm.wsdl): messages, port type and binding, and the inline
    schema of the operations' elements and faults' elements."""
    api = model.api
    ns = api.ns
    newest = model.sv(model.newest)
    own = '' if ns == 'vim25' else ' xmlns:%s="urn:%s"' % (ns, ns)
    out = [HEADER, NOTE % pyver,
           '<definitions targetNamespace="urn:%s" xmlns="http://schemas.xmlsoap.org/wsdl/"'
           ' xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:vim25="urn:vim25"%s'
           ' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:vimsim="urn:vimsim">\n' % (ns, own),
           '   <types>\n']
    out.append('      ' + schema_open(ns))
    out.append(core_import(api, '         '))
    for f in api.message_files:
        out.append('         <include schemaLocation="%s-messagetypes.xsd"/>\n' % f)
    out.append('         <element name="versionURI" type="xsd:string"/>\n')
    for fault in model.fault_types:
        out.append('         <element%s/>\n' % attrs(
            name=fault + 'Fault', type=model.qualified(fault),
            vimsim__since=model.sv(model.types[fault]['since'])))
    for name in sorted(model.ops):
        op = model.ops[name]
        sv = model.sv(op['since'])
        out.append('         <element%s/>\n' % attrs(
            name=name, type='%s:%s' % (ns, request_type(name)), vimsim__since=sv))
        out.append('         <element%s>\n' % attrs(name=name + 'Response', vimsim__since=sv))
        if op['result'] is None:
            out.append('            <complexType/>\n')
        else:
            out.append('            <complexType>\n               <sequence>\n')
            out.append(element_xml(model, op['result'], '                  ', extra_since=False))
            out.append('               </sequence>\n            </complexType>\n')
        out.append('         </element>\n')
    out.append('      </schema>\n   </types>\n')
    # messages
    for fault in model.used_faults:
        out.append('   <message%s>\n      <part name="fault" element="%s:%sFault"/>\n'
                   '   </message>\n' % (attrs(name=fault + 'FaultMsg', vimsim__since=model.sv(
                       model.types[fault]['since'])), ns, fault))
    for name in sorted(model.ops):
        sv = model.sv(model.ops[name]['since'])
        out.append('   <message%s>\n      <part name="parameters" element="%s:%s"/>\n'
                   '   </message>\n' % (attrs(name=name + 'RequestMsg', vimsim__since=sv), ns, name))
        out.append('   <message%s>\n      <part name="parameters" element="%s:%sResponse"/>\n'
                   '   </message>\n' % (attrs(name=name + 'ResponseMsg', vimsim__since=sv), ns, name))

    def fname(fault):   # as in a real vim.wsdl: InvalidStateFault, HostConfigFaultFault,
        return fault if fault == 'RuntimeFault' else fault + 'Fault'   # but RuntimeFault

    out.append('   <portType name="%sPortType">\n' % api.port)
    for name in sorted(model.ops):
        op = model.ops[name]
        out.append('      <operation%s>\n' % attrs(name=name, vimsim__since=model.sv(op['since'])))
        out.append('         <input message="%s:%sRequestMsg"/>\n' % (ns, name))
        out.append('         <output message="%s:%sResponseMsg"/>\n' % (ns, name))
        for fault in op['faults']:
            out.append('         <fault name="%s" message="%s:%sFaultMsg"/>\n'
                       % (fname(fault), ns, fault))
        out.append('      </operation>\n')
    out.append('   </portType>\n')
    out.append('   <binding name="%sBinding" type="%s:%sPortType">\n'
               '      <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>\n'
               % (api.port, ns, api.port))
    for name in sorted(model.ops):
        op = model.ops[name]
        out.append('      <operation%s>\n' % attrs(name=name, vimsim__since=model.sv(op['since'])))
        out.append('         <soap:operation soapAction="urn:%s/%s" style="document"/>\n'
                   % (ns, newest))
        out.append('         <input>\n            <soap:body use="literal"/>\n         </input>\n')
        out.append('         <output>\n            <soap:body use="literal"/>\n         </output>\n')
        for fault in op['faults']:
            out.append('         <fault name="%s">\n            <soap:fault name="%s" use="literal"/>\n'
                       '         </fault>\n' % (fname(fault), fname(fault)))
        out.append('      </operation>\n')
    out.append('   </binding>\n</definitions>\n')
    return {'%s.wsdl' % api.main: ''.join(out)}


def write_service(model, pyver):
    api = model.api
    return {api.service_file: HEADER + NOTE % pyver + (
        '<definitions targetNamespace="urn:%sService" xmlns="http://schemas.xmlsoap.org/wsdl/"'
        ' xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:interface="urn:%s">\n'
        '   <import location="%s.wsdl" namespace="urn:%s"/>\n'
        '   <service name="%sService">\n'
        '      <port binding="interface:%sBinding" name="%sPort">\n'
        '         <soap:address location="https://localhost%s"/>\n'
        '      </port>\n   </service>\n</definitions>\n') % (
            api.ns, api.ns, api.main, api.ns, api.port, api.port, api.port, api.location)}


# ----------------------------------------------------------------------------
# the lookup service (urn:lookup, /lookupservice/sdk), described from the
# vSphere Lookup Service API reference: pyVmomi has no types for it. Its
# core types are vmodl's (PBM's registry's), all known to its one version.

LOOKUP_VERSION = '2.0'
OPTIONAL = 1
LOOKUP_TYPES = [   # (name, base, [(field, type, OPTIONAL or 0)]); 'T[]' an array, '@T' a reference
    ('LookupServiceContent', 'DynamicData', [
        ('lookupService', '@LookupLookupService', 0),
        ('serviceRegistration', '@LookupServiceRegistration', OPTIONAL),
        ('deploymentInformationService', '@LookupDeploymentInformationService', 0),
        ('l10n', '@LookupL10n', 0)]),
    ('LookupServiceRegistrationAttribute', 'DynamicData', [
        ('key', 'string', 0), ('value', 'string', 0)]),
    ('LookupServiceRegistrationServiceType', 'DynamicData', [
        ('product', 'string', 0), ('type', 'string', 0)]),
    ('LookupServiceRegistrationEndpointType', 'DynamicData', [
        ('protocol', 'string', OPTIONAL), ('type', 'string', OPTIONAL)]),
    ('LookupServiceRegistrationEndpoint', 'DynamicData', [
        ('url', 'anyURI', 0),
        ('endpointType', 'LookupServiceRegistrationEndpointType', 0),
        ('sslTrust', 'string[]', OPTIONAL),
        ('endpointAttributes', 'LookupServiceRegistrationAttribute[]', OPTIONAL)]),
    ('LookupServiceRegistrationMutableServiceInfo', 'DynamicData', [
        ('serviceVersion', 'string', 0),
        ('vendorNameResourceKey', 'string', OPTIONAL),
        ('vendorNameDefault', 'string', OPTIONAL),
        ('vendorProductInfoResourceKey', 'string', OPTIONAL),
        ('vendorProductInfoDefault', 'string', OPTIONAL),
        ('serviceEndpoints', 'LookupServiceRegistrationEndpoint[]', OPTIONAL),
        ('serviceAttributes', 'LookupServiceRegistrationAttribute[]', OPTIONAL),
        ('serviceNameResourceKey', 'string', OPTIONAL),
        ('serviceNameDefault', 'string', OPTIONAL),
        ('serviceDescriptionResourceKey', 'string', OPTIONAL),
        ('serviceDescriptionDefault', 'string', OPTIONAL)]),
    ('LookupServiceRegistrationCommonServiceInfo', 'LookupServiceRegistrationMutableServiceInfo', [
        ('ownerId', 'string', 0),
        ('serviceType', 'LookupServiceRegistrationServiceType', 0),
        ('nodeId', 'string', OPTIONAL)]),
    ('LookupServiceRegistrationCreateSpec', 'LookupServiceRegistrationCommonServiceInfo', []),
    ('LookupServiceRegistrationSetSpec', 'LookupServiceRegistrationMutableServiceInfo', []),
    ('LookupServiceRegistrationInfo', 'LookupServiceRegistrationCommonServiceInfo', [
        ('serviceId', 'string', 0), ('siteId', 'string', 0)]),
    ('LookupServiceRegistrationFilter', 'DynamicData', [
        ('siteId', 'string', OPTIONAL), ('nodeId', 'string', OPTIONAL),
        ('serviceType', 'LookupServiceRegistrationServiceType', OPTIONAL),
        ('endpointType', 'LookupServiceRegistrationEndpointType', OPTIONAL)]),
    ('LookupHaBackupNodeConfiguration', 'DynamicData', [
        ('dbType', 'string', 0), ('dbJdbcUrl', 'string', 0), ('dbUser', 'string', 0),
        ('dbPass', 'string', 0)]),
    ('LookupFaultServiceFault', 'MethodFault', [('errorMessage', 'string', OPTIONAL)]),
    ('LookupFaultEntryExistsFault', 'LookupFaultServiceFault', [('name', 'string', 0)]),
    ('LookupFaultEntryNotFoundFault', 'LookupFaultServiceFault', [('name', 'string', 0)]),
    ('LookupFaultUnsupportedSiteFault', 'LookupFaultServiceFault', [
        ('operatingSite', 'string', 0), ('requestedSite', 'string', 0)]),
]
ANONYMOUS = 'System.Anonymous'   # the lookup service takes no vim25 session
LOOKUP_MANAGED = [   # (type, [(method, [(param, type, OPTIONAL or 0)], result, [faults])])
    ('LookupServiceInstance', [
        ('RetrieveServiceContent', [], 'LookupServiceContent', [])]),
    ('LookupServiceRegistration', [
        ('Create', [('serviceId', 'string', 0),
                    ('createSpec', 'LookupServiceRegistrationCreateSpec', 0)], None,
         ['LookupFaultEntryExistsFault', 'InvalidArgument', 'SecurityError']),
        ('Delete', [('serviceId', 'string', 0)], None,
         ['LookupFaultEntryNotFoundFault', 'SecurityError']),
        ('Set', [('serviceId', 'string', 0),
                 ('serviceSpec', 'LookupServiceRegistrationSetSpec', 0)], None,
         ['LookupFaultEntryNotFoundFault', 'InvalidArgument', 'SecurityError']),
        ('SetTrustAnchor', [('filter', 'LookupServiceRegistrationFilter', 0),
                            ('trustAnchors', 'string[]', 0)], 'int', ['SecurityError']),
        ('Get', [('serviceId', 'string', 0)], 'LookupServiceRegistrationInfo',
         ['LookupFaultEntryNotFoundFault']),
        ('List', [('filterCriteria', 'LookupServiceRegistrationFilter', OPTIONAL)],
         'LookupServiceRegistrationInfo[]', []),
        ('GetSiteId', [], 'string', [])]),
    ('LookupDeploymentInformationService', [
        ('RetrieveHaBackupConfiguration', [], 'LookupHaBackupNodeConfiguration', [])]),
    ('LookupL10n', [
        ('GetLocale', [], 'string', []),
        ('SetLocale', [('locale', 'string', 0)], 'string', [])]),
    ('LookupLookupService', []),
]


class LookupModel(Model):
    """The lookup service as a Model: LOOKUP_TYPES and LOOKUP_MANAGED, over
    vmodl's core types (those of PBM's registry) in its own namespace, as
    the lookup service declares them, everything since its one version."""

    def __init__(self):   # noqa: the fields Model.__init__ fills, from the tables above
        self.api = LOOKUP
        self.versions = [LOOKUP_VERSION]
        self.newest = 0
        self.array_items = {}
        core = Model(Registry(PBM))
        self.types = {name: dict(t, since=0, fields=[
            dict(f, since=0, ref=Ref(f['ref'].xsd.replace('vim25:', 'lookup:'), f['ref'].array,
                                     f['ref'].mo_type)) for f in t['fields']])
            for name, t in core.types.items() if t['file'] == 'core'}
        self.enums = {name: dict(e, since=0) for name, e in core.enums.items()
                      if e['file'] == 'core'}
        for name, base, fields in LOOKUP_TYPES:
            self.types[name] = dict(name=name, vmodl=name, base=base, since=0, file='lookup',
                                    fields=[self._field(*f) for f in fields])
        self.managed = {'ManagedObject': dict(name='ManagedObject', base=None, since=0,
                                              vmodl='ManagedObject', props=[], methods=[],
                                              file='core')}
        self.ops = {}
        for managed, methods in LOOKUP_MANAGED:
            for name, params, result, faults in methods:
                self.ops[name] = dict(
                    name=name, managed=managed, since=0, privilege=ANONYMOUS,
                    params=[self._field(*p) for p in params],
                    result=self._field('returnval', result, OPTIONAL) if result else None,
                    faults=faults + ['RuntimeFault'], file='lookup',
                    vmodl=name[:1].lower() + name[1:])
            self.managed[managed] = dict(name=managed, base='ManagedObject', since=0,
                                         vmodl=managed, props=[], methods=[m[0] for m in methods],
                                         file='lookup')
        for t in self.types.values():
            for f in t['fields']:
                self._use(f['ref'])
        for op in self.ops.values():
            for f in op['params'] + ([op['result']] if op['result'] else []):
                self._use(f['ref'])
        self.fault_types = sorted(n for n in self.types if self._is_fault(n))
        self.used_faults = sorted({f for op in self.ops.values() for f in op['faults']})

    def _field(self, name, type_name, optional):
        array = type_name.endswith('[]')
        base = type_name.rstrip('[]').lstrip('@')
        if type_name.startswith('@'):
            ref = Ref(LOOKUP.moref, array, base)
        elif base in PRIMITIVES.values():
            ref = Ref('xsd:' + base, array)
        else:
            ref = Ref('lookup:' + base, array)
        return dict(name=name, ref=ref, optional=bool(optional), since=0, privilege=None)


def generate(api=VIM25):
    """Return ({filename: text}, Model) of one API."""
    model = LookupModel() if api is LOOKUP else Model(Registry(api))
    try:
        from importlib.metadata import version
        pyver = version('pyvmomi')
    except Exception:  # pragma: no cover
        pyver = 'unknown'
    files = {}
    files.update(write_types(model, pyver))
    files.update(write_messagetypes(model, pyver))
    files.update(write_managed(model, pyver))
    files.update(write_wsdl(model, pyver))
    files.update(write_service(model, pyver))
    return files, model


def default_out():
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'wsdl')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', default=default_out(), help='output directory (default: <repo>/wsdl)')
    ap.add_argument('-v', '--verbose', action='store_true', help='list what was left out')
    args = ap.parse_args(argv)
    for api in APIS.values():
        files, model = generate(api)
        out = os.path.join(args.out, api.subdir)
        os.makedirs(out, exist_ok=True)
        for name in sorted(files):
            with open(os.path.join(out, name), 'w', encoding='utf-8', newline='\n') as fh:
                fh.write(files[name])
        print('%s: %d data types (%d faults), %d enums, %d managed types, %d operations, '
              '%d versions (%s..%s) -> %s' % (
                  api.ns, len(model.types), len(model.fault_types), len(model.enums),
                  len(model.managed), len(model.ops), len(model.versions), model.versions[0],
                  model.versions[-1], out), file=sys.stderr)
        if args.verbose:
            for d in sorted(set(model.reg.dropped)):
                print('dropped:', d, file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
