"""`vimsim record URL DIR`: save a running vCenter or ESXi in the layout
`govc object.save` writes and `-load` reads (see `recording`).

The client is pyVmomi (the optional extra ``vimsim[record]``). What is saved,
in this order, one ``NNNN-Type-moid.xml`` ObjectContent document each: the
ServiceInstance, the managers its content names and the root folder (by
moid, as govc orders them), every entity under the root folder (a recursive
container view), the objects entities hand out that `-load` serves
(datastore and environment browsers, a host's datastore system, network
system and virtual NIC manager) and the recent tasks. Every property is
read with RetrievePropertiesEx; a property the client cannot read is left
out and reported, as the reader does. A distributed switch's ports are
saved as its recorded `FetchDVPorts` response, and README.md counts what
was saved per type, as govc's summary does.

`--anonymize` (`anonymizer.Anonymizer`) rewrites the documents before they
are written.
"""
import argparse
import collections
import os
import ssl
import sys
import urllib.parse

from lxml import etree

from vimsim.inventory.anonymizer import Anonymizer

XSI = 'http://www.w3.org/2001/XMLSchema-instance'
# What a host hands out that -load serves beside the entity (configManager fields).
HOST_MANAGERS = ('datastoreSystem', 'networkSystem', 'virtualNicManager')


class RecordError(Exception):
    """The server cannot be recorded (unreachable, login refused, bad URL)."""


def parse_url(url, username=None, password=None):
    """(scheme, host, port, path, user, password) of a govc-style URL
    (``https://user:pass@host/sdk``; a bare host means https and /sdk)."""
    if '://' not in url:
        url = 'https://' + url
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise RecordError('%s: not an http(s) URL of a vCenter or ESXi' % url)
    user = username or urllib.parse.unquote(parts.username or '') or None
    secret = password or urllib.parse.unquote(parts.password or '') or None
    if user is None or secret is None:
        raise RecordError('%s: no credentials (user:password@ in the URL, or --username '
                          'and --password)' % url)
    port = parts.port or (443 if parts.scheme == 'https' else 80)
    return parts.scheme, parts.hostname, port, parts.path or '/sdk', user, secret


def connect(url, username=None, password=None, verify=False):
    """A logged-in pyVmomi ServiceInstance of the server at `url`."""
    from pyVim.connect import SmartConnect
    from pyVmomi import vim
    scheme, host, port, path, user, secret = parse_url(url, username, password)
    kwargs = {'protocol': scheme, 'path': path}
    if scheme == 'https' and not verify:
        kwargs['sslContext'] = ssl._create_unverified_context()
    try:
        return SmartConnect(host=host, port=port, user=user, pwd=secret, **kwargs)
    except vim.fault.InvalidLogin as error:
        raise RecordError('%s: login refused: %s' % (host, error.msg)) from None
    except OSError as error:
        raise RecordError('%s:%d: %s' % (host, port, error)) from None


class Recorder:
    """One recording of the server `si` is connected to."""

    def __init__(self, si, report=None):
        from pyVmomi import SoapAdapter, VmomiSupport, vim, vmodl
        self.ManagedObject = VmomiSupport.ManagedObject
        self.si = si
        self.vim, self.vmodl, self.soap = vim, vmodl, SoapAdapter
        self.version = si._stub.version
        self.report = report or (lambda message: None)
        self.content = si.RetrieveContent()

    # -- what is saved -----------------------------------------------------------------
    def objects(self):
        """Every managed object to save, in file order, each once."""
        content = self.content
        managers = [getattr(content, prop.name) for prop in content._GetPropertyList()]
        managers = sorted((obj for obj in managers if isinstance(obj, self.ManagedObject)),
                          key=lambda obj: obj._moId)
        view = content.viewManager.CreateContainerView(content.rootFolder, [], True)
        try:
            entities = list(view.view)
        finally:
            view.DestroyView()
        found = [self.si] + managers + entities
        found += self.handed_out(entities)
        found += list(content.taskManager.recentTask) if content.taskManager else []
        seen, ordered = set(), []
        for obj in found:
            key = (obj._wsdlName, obj._moId)
            if key not in seen:
                seen.add(key)
                ordered.append(obj)
        return ordered

    def handed_out(self, entities):
        vim = self.vim
        out = []
        for entity in entities:
            try:
                if isinstance(entity, vim.Datastore):
                    out.append(entity.browser)
                elif isinstance(entity, vim.ComputeResource):
                    out.append(entity.environmentBrowser)
                elif isinstance(entity, vim.HostSystem):
                    managers = entity.configManager
                    out.extend(getattr(managers, name, None) for name in HOST_MANAGERS)
            except self.vmodl.MethodFault as error:
                self.report('%s: %s' % (entity._moId, error.msg or type(error).__name__))
        return [obj for obj in out if obj is not None]

    # -- reading -----------------------------------------------------------------------
    def contents(self, objects):
        """{(type, moid): ObjectContent} of every object, all properties."""
        PC = self.vmodl.query.PropertyCollector
        types = list({type(obj): None for obj in objects})
        spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=obj) for obj in objects],
                             propSet=[PC.PropertySpec(type=t, all=True) for t in types])
        try:
            return self._retrieve(spec)
        except Exception as error:   # one value the client cannot read fails the page
            if len(objects) == 1:
                return {self._key(objects[0]): self._one_by_one(objects[0], error)}
            half = len(objects) // 2
            found = self.contents(objects[:half])
            found.update(self.contents(objects[half:]))
            return found

    def _retrieve(self, spec):
        collector = self.content.propertyCollector
        PC = self.vmodl.query.PropertyCollector
        result = collector.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=100))
        found = {}
        while result is not None:
            for item in result.objects:
                found[self._key(item.obj)] = item
            result = collector.ContinueRetrievePropertiesEx(result.token) \
                if result.token else None
        return found

    def _one_by_one(self, obj, error):
        """An object whose properties fail together: each read alone, the
        unreadable ones left out."""
        PC = self.vmodl.query.PropertyCollector
        props = []
        for prop in type(obj)._GetPropertyList():
            spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=obj)],
                                 propSet=[PC.PropertySpec(type=type(obj), pathSet=[prop.name])])
            try:
                for item in self._retrieve(spec).values():
                    props.extend(item.propSet)
            except Exception as failure:
                self.report('%s-%s: %s left out (%s)' % (obj._wsdlName, obj._moId, prop.name,
                                                        failure))
        return PC.ObjectContent(obj=obj, propSet=props)

    @staticmethod
    def _key(obj):
        return obj._wsdlName, obj._moId

    # -- documents ---------------------------------------------------------------------
    def document(self, item):
        """The ObjectContent document of one retrieved object."""
        root = etree.fromstring(self.soap.Serialize(item, version=self.version))
        return _as_document(root, 'ObjectContent')

    def dvs_ports(self, dvs):
        """A switch's FetchDVPorts response document, or None."""
        try:
            ports = dvs.FetchDVPorts()
        except Exception as error:
            self.report('%s: FetchDVPorts left out (%s)' % (dvs._moId, error))
            return None
        root = etree.Element('FetchDVPortsResponse', nsmap={None: 'urn:vim25'})
        for port in ports:
            value = etree.fromstring(self.soap.Serialize(port, version=self.version))
            value.tag = 'returnval'
            root.append(value)
        return _as_document(root, 'FetchDVPortsResponse')


def _as_document(root, tag):
    """Serialize's element renamed and stripped of what a document does not carry."""
    root.tag = '{urn:vim25}' + tag if root.tag.startswith('{') else tag
    for name in ('versionId', '{%s}type' % XSI):
        root.attrib.pop(name, None)
    return root


def record(url, directory, username=None, password=None, anonymize=False, verify=False,
           report=None):
    """Save the server at `url` into `directory` (made if missing, and empty
    or absent: a recording is never mixed with another); returns the count
    of objects saved by type."""
    if os.path.exists(directory) and (not os.path.isdir(directory) or os.listdir(directory)):
        raise RecordError('%s: exists and is not an empty directory' % directory)
    si = connect(url, username, password, verify)
    try:
        recorder = Recorder(si, report)
        objects = recorder.objects()
        contents = recorder.contents(objects)
        documents = []   # (relative path, element)
        counts = collections.Counter()
        for obj in objects:
            item = contents.get(Recorder._key(obj))
            if item is None:
                continue
            counts[obj._wsdlName] += 1
            name = '%04d-%s-%s.xml' % (len(documents), obj._wsdlName, _file_safe(obj._moId))
            documents.append((name, recorder.document(item)))
        for obj in objects:
            if isinstance(obj, recorder.vim.DistributedVirtualSwitch):
                ports = recorder.dvs_ports(obj)
                if ports is not None:
                    documents.append((os.path.join('%s-%s' % (obj._wsdlName,
                                                              _file_safe(obj._moId)),
                                                   'FetchDVPorts.xml'), ports))
    finally:
        from pyVim.connect import Disconnect
        Disconnect(si)
    if anonymize:
        Anonymizer().rewrite([element for _, element in documents])
    os.makedirs(directory, exist_ok=True)
    for name, element in documents:
        path = os.path.join(directory, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as fh:
            fh.write(etree.tostring(element, pretty_print=True))
    with open(os.path.join(directory, 'README.md'), 'w') as fh:
        fh.write(summary(directory, counts))
    return counts


def summary(directory, counts):
    """govc object.save's summary of what it saved."""
    lines = ['Saved %d total objects to "%s", including:' % (sum(counts.values()),
                                                           os.path.basename(directory))]
    lines += ['%s: %d' % (name, count) for name, count in sorted(counts.items())]
    return '\n'.join(lines) + '\n'


def _file_safe(moid):
    return moid.replace('/', '_').replace(os.sep, '_')


def main(argv, prog='vimsim record'):
    """`vimsim record [--anonymize] [--username U --password P] URL DIR`."""
    parser = argparse.ArgumentParser(
        prog=prog, description='Save a vCenter or ESXi in the govc object.save layout '
        'that -load serves.')
    parser.add_argument('url', help='https://user:password@host/sdk (a bare host: https, /sdk)')
    parser.add_argument('directory', help='where to save it (absent or empty)')
    parser.add_argument('--anonymize', action='store_true',
                        help='replace names, IPs, MACs, UUIDs and serial numbers consistently')
    parser.add_argument('--username', help='instead of the URL\'s user')
    parser.add_argument('--password', help='instead of the URL\'s password')
    parser.add_argument('--verify', action='store_true',
                        help='verify the server\'s TLS certificate (default: do not, as govc -k)')
    args = parser.parse_args(argv)
    try:
        import pyVmomi   # noqa: F401 (the optional extra)
    except ImportError:
        sys.stderr.write('%s: needs pyVmomi: pip install vimsim[record]\n' % prog)
        return 2
    try:
        counts = record(args.url, args.directory, args.username, args.password,
                        args.anonymize, args.verify,
                        report=lambda message: sys.stderr.write('%s: %s\n' % (prog, message)))
    except RecordError as error:
        sys.stderr.write('%s: %s\n' % (prog, error))
        return 1
    sys.stdout.write(summary(args.directory, counts))
    return 0
