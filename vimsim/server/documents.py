"""Static documents: ``/sdk/vimServiceVersions.xml``, the WSDL and its schemas.

The generated files in ``wsdl_dir`` mark every element with the API version that
introduced it (``vimsim:since``, namespace ``urn:vimsim``). When the simulator
runs an API version older than the newest one, the documents are served
filtered to that version: elements newer than it are dropped, and so is
everything that refers to a dropped type, element or message (local elements,
WSDL messages, portType and binding operations and their faults); the
soapAction values name the served version. Each document is computed once,
lazily, and its bytes cached.
"""

import os
import re

from vimsim.server.http import HttpResponse

__all__ = ['Documents', 'versions_xml', 'namespace_versions_xml', 'prior_versions']

VIMSIM_NS = 'urn:vimsim'
SINCE = '{%s}since' % VIMSIM_NS
XSD_NS = 'http://www.w3.org/2001/XMLSchema'
WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/'
SOAP_NS = 'http://schemas.xmlsoap.org/wsdl/soap/'

ROOT_DOCUMENT = 'vimService.wsdl'
CONTENT_TYPE = 'text/xml; charset=utf-8'

_NUMERIC = re.compile(r'^\d+(\.\d+)*$')


def _vtuple(v):
    return tuple(int(x) for x in v.split('.'))


def prior_versions(api_version, versions, oldest='4.0'):
    """Every well-formed (dotted numeric) entry of ``versions`` (oldest ->
    newest) older than ``api_version``, newest first, down to ``oldest``."""
    numeric = [v for v in versions if _NUMERIC.match(v)]
    floor = _vtuple(oldest)
    if api_version in versions:
        older = versions[:versions.index(api_version)]
        result = [v for v in older if _NUMERIC.match(v) and _vtuple(v) >= floor]
    elif _NUMERIC.match(api_version):
        cur = _vtuple(api_version)
        result = [v for v in numeric if floor <= _vtuple(v) < cur]
    else:
        # an internal build version (e.g. "uA046D008"): all known versions
        result = [v for v in numeric if _vtuple(v) >= floor]
    result.reverse()
    return result


def _xml_text(s):
    return s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def versions_xml(api_version, versions):
    """The body of ``/sdk/vimServiceVersions.xml``, as a vCenter sends it."""
    return namespace_versions_xml('urn:vim25', api_version,
                                  prior_versions(api_version, versions))


def namespace_versions_xml(namespace, version, prior):
    """A service versions document (``/sdk/vimServiceVersions.xml``,
    ``/sdk/vsanServiceVersions.xml``): the namespace's version, then the
    older ones it still serves, newest first."""
    older = ''.join('<version>%s</version>' % _xml_text(v) for v in prior)
    return ('<?xml version="1.0" encoding="UTF-8" ?>'
            '<namespaces version="1.0"><namespace><name>%s</name>'
            '<version>%s</version><priorVersions>%s</priorVersions>'
            '</namespace></namespaces>\n' % (_xml_text(namespace), _xml_text(version),
                                              older)).encode('utf-8')


class Documents:
    """GET handler for the static documents. ``handle`` returns None for
    requests that are not about them."""

    def __init__(self, wsdl_dir, api_version, versions):
        self.wsdl_dir = wsdl_dir
        self.api_version = api_version
        self.versions = list(versions)
        self._versions_body = versions_xml(api_version, self.versions)
        self._docs = None      # name -> bytes, computed on first use

    # -- HTTP ----------------------------------------------------------------

    def handle(self, request):
        if request.method not in ('GET', 'HEAD'):
            return None
        path = request.path
        if not path.startswith('/sdk/'):
            if path in ('/sdk', '/sdk/vimService') and request.query.lower() == 'wsdl':
                name = ROOT_DOCUMENT
            else:
                return None
        else:
            name = path[5:]
            if name == 'vimServiceVersions.xml':
                return HttpResponse(200, self._versions_body,
                                    headers=[('Cache-Control', 'no-cache')],
                                    content_type=CONTENT_TYPE)
            if name == 'vimService' and request.query.lower() == 'wsdl':
                name = ROOT_DOCUMENT
        if '/' in name or not (name.endswith('.wsdl') or name.endswith('.xsd')):
            return None
        body = self.document(name)
        if body is None:
            return None
        return HttpResponse(200, body, content_type=CONTENT_TYPE)

    def document(self, name):
        """The served bytes of one document, or None if it is not served."""
        if self._docs is None:
            self._docs = self._build()
        return self._docs.get(name)

    # -- building ------------------------------------------------------------

    def _read(self, name):
        try:
            with open(os.path.join(self.wsdl_dir, name), 'rb') as f:
                return f.read()
        except OSError:
            return None

    def _build(self):
        from lxml import etree
        parser = etree.XMLParser(resolve_entities=False, no_network=True,
                                 huge_tree=True, remove_blank_text=False)
        raw = {}
        trees = {}
        todo = [ROOT_DOCUMENT]
        while todo:
            name = todo.pop()
            if name in raw:
                continue
            data = self._read(name)
            if data is None:
                continue
            raw[name] = data
            try:
                tree = etree.fromstring(data, parser)
            except etree.XMLSyntaxError:
                continue
            trees[name] = tree
            for el in tree.iter('{%s}include' % XSD_NS, '{%s}import' % XSD_NS,
                                '{%s}import' % WSDL_NS):
                loc = el.get('schemaLocation') or el.get('location')
                if loc and '/' not in loc and '\\' not in loc and loc not in raw:
                    todo.append(loc)
        if not self._needs_filter(trees):
            return raw
        before = {name: etree.tostring(tree) for name, tree in trees.items()}
        self._filter(trees)
        out = {}
        for name, data in raw.items():
            tree = trees.get(name)
            if tree is None or etree.tostring(tree) == before[name]:
                out[name] = data          # unchanged: the file as it is
            else:
                out[name] = _serialize(data, tree)
        return out

    def _rank(self):
        return {v: i for i, v in enumerate(self.versions)}

    def _needs_filter(self, trees):
        rank = self._rank()
        cur = rank.get(self.api_version)
        if cur is None:
            return False
        if cur == len(self.versions) - 1:
            return False
        return True

    def _filter(self, trees):
        rank = self._rank()
        cur = rank[self.api_version]
        # local names of dropped global components, by kind
        dropped = {'type': set(), 'element': set(), 'message': set()}

        # 1. drop everything newer than the served version
        for tree in trees.values():
            stack = [tree]
            while stack:
                el = stack.pop()
                for child in list(el):
                    if not isinstance(child.tag, str):
                        continue
                    since = child.get(SINCE)
                    if since is not None:
                        r = rank.get(since)
                        if r is not None and r > cur:
                            _drop(child, dropped)
                            continue
                    stack.append(child)

        # 2. drop what refers to something dropped, until nothing changes
        changed = True
        while changed:
            changed = False
            for tree in trees.values():
                for el in list(tree.iter()):
                    if not isinstance(el.tag, str) or el.getparent() is None:
                        continue
                    tag = el.tag
                    if tag.startswith('{%s}' % WSDL_NS):
                        if tag != '{%s}part' % WSDL_NS:
                            continue
                    elif not tag.startswith('{%s}' % XSD_NS):
                        continue
                    if not _refers_to(el, dropped):
                        continue
                    victim = el
                    if tag == '{%s}part' % WSDL_NS:
                        victim = el.getparent()          # the message
                    elif tag in ('{%s}extension' % XSD_NS, '{%s}restriction' % XSD_NS):
                        victim = _global_ancestor(el)    # the whole derived type
                    if victim is None or victim.getparent() is None:
                        continue
                    _drop(victim, dropped)
                    changed = True
            # portType operations whose input/output is gone; faults gone
            if self._prune_wsdl(trees, dropped):
                changed = True

        # 3. the version named in soapAction values
        action = 'urn:vim25/' + self.api_version
        for tree in trees.values():
            for el in tree.iter('{%s}operation' % SOAP_NS):
                sa = el.get('soapAction')
                if sa is not None and sa.startswith('urn:vim25/'):
                    el.set('soapAction', action)

    def _prune_wsdl(self, trees, dropped):
        changed = False
        for tree in trees.values():
            if tree.tag != '{%s}definitions' % WSDL_NS:
                continue
            port_ops = {}
            for pt in tree.iterchildren('{%s}portType' % WSDL_NS):
                for op in list(pt.iterchildren('{%s}operation' % WSDL_NS)):
                    msgs = [_local(c.get('message')) for c in op
                            if isinstance(c.tag, str) and c.tag in (
                                '{%s}input' % WSDL_NS, '{%s}output' % WSDL_NS)]
                    if any(m in dropped['message'] for m in msgs):
                        _remove(op)
                        changed = True
                        continue
                    faults = set()
                    for f in list(op.iterchildren('{%s}fault' % WSDL_NS)):
                        if _local(f.get('message')) in dropped['message']:
                            _remove(f)
                            changed = True
                        else:
                            faults.add(f.get('name'))
                    port_ops[op.get('name')] = faults
            if not port_ops:
                continue
            for b in tree.iterchildren('{%s}binding' % WSDL_NS):
                for op in list(b.iterchildren('{%s}operation' % WSDL_NS)):
                    faults = port_ops.get(op.get('name'))
                    if faults is None:
                        _remove(op)
                        changed = True
                        continue
                    for f in list(op.iterchildren('{%s}fault' % WSDL_NS)):
                        if f.get('name') not in faults:
                            _remove(f)
                            changed = True
        return changed


_REF_ATTRS = (('type', 'type'), ('base', 'type'), ('itemType', 'type'),
              ('ref', 'element'), ('element', 'element'), ('message', 'message'))
_KIND = {
    '{%s}complexType' % XSD_NS: 'type',
    '{%s}simpleType' % XSD_NS: 'type',
    '{%s}element' % XSD_NS: 'element',
    '{%s}message' % WSDL_NS: 'message',
}


def _local(qname):
    if not qname:
        return None
    i = qname.find(':')
    return qname[i + 1:] if i >= 0 else qname


def _refers_to(el, dropped):
    for attr, kind in _REF_ATTRS:
        v = el.get(attr)
        if v is not None and _local(v) in dropped[kind] and \
                not v.startswith('xsd:') and not v.startswith('xs:'):
            return True
    return False


def _drop(el, dropped):
    """Remove ``el``; remember its name if it is a global component."""
    if _is_global(el):
        kind = _KIND.get(el.tag)
        name = el.get('name')
        if kind and name:
            dropped[kind].add(name)
    _remove(el)


_GLOBAL_PARENTS = ('{%s}schema' % XSD_NS, '{%s}definitions' % WSDL_NS)


def _is_global(el):
    parent = el.getparent()
    return parent is not None and parent.tag in _GLOBAL_PARENTS


def _global_ancestor(el):
    while el is not None and not _is_global(el):
        el = el.getparent()
    return el


def _remove(el):
    """Remove ``el`` with the whitespace that preceded it."""
    parent = el.getparent()
    prev = el.getprevious()
    if prev is not None:
        prev.tail = el.tail if el.tail is not None else prev.tail
    else:
        parent.text = el.tail if el.tail is not None else parent.text
    parent.remove(el)


def _serialize(original, tree):
    from lxml import etree
    body = etree.tostring(tree, encoding='UTF-8', xml_declaration=False)
    # keep the original prolog (XML declaration and leading comments)
    root_start = _root_offset(original)
    return original[:root_start] + body + b'\n'


def _root_offset(data):
    """Byte offset of the root element's start tag."""
    i = 0
    n = len(data)
    while i < n:
        j = data.find(b'<', i)
        if j < 0:
            return 0
        nxt = data[j + 1:j + 2]
        if nxt == b'?':
            i = data.find(b'?>', j) + 2
        elif data.startswith(b'<!--', j):
            i = data.find(b'-->', j) + 3
        elif nxt == b'!':
            i = data.find(b'>', j) + 1
        else:
            return j
        if i <= 1:
            return 0
    return 0
