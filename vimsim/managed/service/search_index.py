"""SearchIndex: finding inventory objects by path, name, uuid, IP, DNS name
and datastore path.

There is no index to go stale: every call walks the inventory as it is now
(the registry, `server.objects`) and reads each candidate's properties through
the same `obj.read` / `read_path` that property collection uses, so an answer
always agrees with what a client reading the objects would see. The reads use
the server's API version, not the caller's, so what is found does not depend on
the version a client negotiated.

vCenter's semantics (vSphere API reference, SearchIndex):

- FindChild(entity, name): the immediate children as the inventory defines
  them: a folder's `childEntity`; a datacenter's vm, host, datastore and
  network folders; a compute resource's hosts and root pool `Resources`; a
  resource pool's (or vApp's) child pools and VMs. None when no child has the
  name; an unknown entity answers ManagedObjectNotFound.
- FindByInventoryPath(path): FindChild step by step from the root folder (whose
  own name is not part of a path): `/DC0/vm/DC0_H0_VM0`. Leading, trailing and
  doubled slashes are ignored; a `/` inside a name is written `%2f` (or `%2F`),
  a backslash `%5c`, a percent `%25`, as in ManagedEntity.name. `/` alone is
  the root folder; an empty path finds nothing.
- FindByUuid / FindAllByUuid: VMs by BIOS uuid (`config.uuid`) or, with
  instanceUuid set, by `config.instanceUuid`; hosts by
  `hardware.systemInfo.uuid`. instanceUuid is only valid with vmSearch: set
  without it answers InvalidArgument (instanceUuid).
- FindByIp / FindAllByIp: VMs by the guest's IPs (`guest.ipAddress` and every
  `guest.net[].ipAddress`), hosts by their VMkernel NICs' IPs
  (`config.network.vnic[].spec.ip.ipAddress`).
- FindByDnsName / FindAllByDnsName: VMs by `guest.hostName`, hosts by
  `config.network.dnsConfig` hostName.domainName (or hostName alone when there
  is no domain) and by their inventory name `summary.config.name`; DNS names
  compare without regard to case or a trailing dot.
- FindByDatastorePath(datacenter, path): the VM of that datacenter whose
  `config.files.vmPathName` is the path. A path not of the form
  `[datastore] path` answers InvalidDatastorePath; a datastore the datacenter
  does not have answers InvalidDatastore.

A `datacenter` argument restricts a search to that datacenter's entities; an
unknown one answers ManagedObjectNotFound, an object that is not a datacenter
InvalidArgument (datacenter).

Query (API 9.1) answers, for the objects of a resource type the caller may
see (System.View) that match every filter (service/search_query.py), the
values of the paths asked for, in the order asked, an empty value for one
unset, not readable or not valid; the matches are the inventory's at the
call, their values read as each page is. With a `limit` the first page comes
with a marker, which QueryNext continues (100 results a page unless its
iteration spec says); a marker serves once, and the caller's unfinished
queries share -session-max-retrievals with its paged retrievals.
"""
import ipaddress
import itertools
import re

from vimsim.managed.base import Context
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.paths import read_path
from vimsim.managed.service.property_collector import check_readable
from vimsim.managed.service.search_query import Predicate, QueryPath
from vimsim.managed.service.session_manager import hold
from vimsim.soap.encode import Typed
from vimsim.soap.fault import InvalidArgument, fault

PAGE = 100      # QueryNext's page when its iteration spec sets no limit
_markers = itertools.count(1)

_ESCAPE = re.compile(r'%(2[fF]|5[cC]|25)')
_UNESCAPED = {'2f': '/', '5c': '\\', '25': '%'}
_DATASTORE_PATH = re.compile(r'^\s*\[([^\]]*)\]\s*(.*)$', re.S)


def unescape_name(name):
    """An entity name or path element with vCenter's escapes (%2f, %5c, %25)
    decoded, so escaped and plain spellings compare equal."""
    return _ESCAPE.sub(lambda m: _UNESCAPED[m.group(1).lower()], name)


def split_inventory_path(path):
    """The name elements of an inventory path (empty elements dropped)."""
    return [part for part in path.split('/') if part]


def parse_datastore_path(path):
    """('LocalDS_0', 'DC0_H0_VM0/DC0_H0_VM0.vmx') of '[LocalDS_0] DC0_H0_VM0/...',
    or None when `path` is not a datastore path."""
    match = _DATASTORE_PATH.match(path or '')
    if match is None or not match.group(1):
        return None
    return match.group(1), match.group(2).strip().lstrip('/')


def _ip(text):
    """A comparable form of an IP address (IPv6 spellings normalized)."""
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text.strip().split('%')[0]))
    except ValueError:
        return text.strip().lower()


def _dns(text):
    return text.strip().rstrip('.').lower() if text else None


@manager_type('SearchIndex')
class SearchIndex(Manager):
    """vCenter's `SearchIndex`, ESX's `ha-searchindex`."""

    # -- reading the model ----------------------------------------------------
    def _read_ctx(self, ctx):
        """A context for the model reads a search makes: the caller's session,
        the server's API version."""
        server = ctx.server
        return Context(server, ctx.session, server.schema.version(server.served_version),
                       ctx.request)

    def _value(self, obj, path, rctx):
        """The value at property path `path` of obj, None when unset or unreadable."""
        try:
            return read_path(obj, path, rctx)[0]
        except self.server.schema.types['MethodFault'].cls:
            return None

    def _is_a(self, obj, type_name):
        managed = self.server.schema.managed.get(obj.type_name)
        return managed is not None and managed.is_a(type_name)

    def _object(self, ref):
        return self.server.objects.get(ref) if ref is not None else None

    def _datacenter_of(self, obj, rctx):
        """The Datacenter an entity belongs to, or None."""
        seen = set()
        while obj is not None and obj.ref not in seen:
            seen.add(obj.ref)
            if self._is_a(obj, 'Datacenter'):
                return obj
            parent = obj.read('parent', rctx)
            if parent is None and self._is_a(obj, 'VirtualMachine'):
                parent = obj.read('parentVApp', rctx)
            obj = self._object(parent)
        return None

    def _scope(self, ctx, datacenter):
        """The Datacenter object a `datacenter` argument names (None: everywhere)."""
        if datacenter is None:
            return None
        obj = ctx.server.objects.resolve(datacenter)
        if not self._is_a(obj, 'Datacenter'):
            raise InvalidArgument('datacenter')
        return obj

    def _candidates(self, type_name, scope, rctx):
        """Every object of `type_name` (in `scope`, a Datacenter, when given)."""
        for obj in self.server.objects:
            if not self._is_a(obj, type_name):
                continue
            if scope is not None and self._datacenter_of(obj, rctx) is not scope:
                continue
            yield obj

    def _children(self, obj, rctx):
        """The refs FindChild looks through for `obj`."""
        if self._is_a(obj, 'Folder'):
            return list(obj.read('childEntity', rctx) or ())
        if self._is_a(obj, 'Datacenter'):
            return [ref for ref in (obj.read(name, rctx) for name in (
                'vmFolder', 'hostFolder', 'datastoreFolder', 'networkFolder')) if ref is not None]
        if self._is_a(obj, 'ComputeResource'):
            children = list(obj.read('host', rctx) or ())
            pool = obj.read('resourcePool', rctx)
            if pool is not None:
                children.append(pool)
            return children
        if self._is_a(obj, 'ResourcePool'):
            return list(obj.read('resourcePool', rctx) or ()) + list(obj.read('vm', rctx) or ())
        return []

    def _child(self, obj, name, rctx):
        wanted = unescape_name(name)
        for ref in self._children(obj, rctx):
            child = self._object(ref)
            if child is None:
                continue
            child_name = child.read('name', rctx)
            if child_name is not None and unescape_name(child_name) == wanted:
                return child
        return None

    # -- FindChild, FindByInventoryPath ---------------------------------------------
    def FindChild(self, ctx, entity, name):
        obj = ctx.server.objects.resolve(entity)
        child = self._child(obj, name or '', self._read_ctx(ctx))
        return child.ref if child is not None else None

    def FindByInventoryPath(self, ctx, inventoryPath):
        server = ctx.server
        root = server.objects.get(server.service_instance.content.rootFolder)
        path = inventoryPath or ''
        names = split_inventory_path(path)
        if not names:
            return root.ref if path.strip() and not path.strip('/') else None
        rctx = self._read_ctx(ctx)
        obj = root
        for name in names:
            obj = self._child(obj, name, rctx)
            if obj is None:
                return None
        return obj.ref

    # -- by uuid ------------------------------------------------------------------
    def _by_uuid(self, ctx, datacenter, uuid, vmSearch, instanceUuid):
        if instanceUuid and not vmSearch:
            raise InvalidArgument('instanceUuid')
        scope = self._scope(ctx, datacenter)
        rctx = self._read_ctx(ctx)
        wanted = (uuid or '').strip().lower()
        if vmSearch:
            type_name = 'VirtualMachine'
            path = 'config.instanceUuid' if instanceUuid else 'config.uuid'
        else:
            type_name, path = 'HostSystem', 'hardware.systemInfo.uuid'
        for obj in self._candidates(type_name, scope, rctx):
            value = self._value(obj, path, rctx)
            if value is not None and value.lower() == wanted:
                yield obj.ref

    def FindByUuid(self, ctx, uuid=None, vmSearch=False, datacenter=None, instanceUuid=None):
        return next(self._by_uuid(ctx, datacenter, uuid, vmSearch, instanceUuid), None)

    def FindAllByUuid(self, ctx, uuid=None, vmSearch=False, datacenter=None, instanceUuid=None):
        return list(self._by_uuid(ctx, datacenter, uuid, vmSearch, instanceUuid))

    # -- by IP ------------------------------------------------------------------------
    def _vm_ips(self, vm, rctx):
        ips = [self._value(vm, 'guest.ipAddress', rctx)]
        for nic in self._value(vm, 'guest.net', rctx) or ():
            ips.extend(nic.ipAddress or ())
        return ips

    def _host_ips(self, host, rctx):
        ips = []
        for vnic in self._value(host, 'config.network.vnic', rctx) or ():
            ip = vnic.spec.ip if vnic.spec is not None else None
            if ip is not None:
                ips.append(ip.ipAddress)
        return ips

    def _by_ip(self, ctx, datacenter, ip, vmSearch):
        scope = self._scope(ctx, datacenter)
        rctx = self._read_ctx(ctx)
        wanted = _ip(ip)
        if wanted is None:
            return
        type_name, addresses = (('VirtualMachine', self._vm_ips) if vmSearch
                                else ('HostSystem', self._host_ips))
        for obj in self._candidates(type_name, scope, rctx):
            if any(_ip(address) == wanted for address in addresses(obj, rctx)):
                yield obj.ref

    def FindByIp(self, ctx, ip=None, vmSearch=False, datacenter=None):
        return next(self._by_ip(ctx, datacenter, ip, vmSearch), None)

    def FindAllByIp(self, ctx, ip=None, vmSearch=False, datacenter=None):
        return list(self._by_ip(ctx, datacenter, ip, vmSearch))

    # -- by DNS name ------------------------------------------------------------------
    def _vm_names(self, vm, rctx):
        return [self._value(vm, 'guest.hostName', rctx)]

    def _host_names(self, host, rctx):
        names = [self._value(host, 'summary.config.name', rctx)]
        dns = self._value(host, 'config.network.dnsConfig', rctx)
        host_name = getattr(dns, 'hostName', None)
        if host_name:
            domain = getattr(dns, 'domainName', None)
            names.append('%s.%s' % (host_name, domain) if domain else host_name)
        return names

    def _by_dns_name(self, ctx, datacenter, dnsName, vmSearch):
        scope = self._scope(ctx, datacenter)
        rctx = self._read_ctx(ctx)
        wanted = _dns(dnsName)
        if not wanted:
            return
        type_name, names = (('VirtualMachine', self._vm_names) if vmSearch
                            else ('HostSystem', self._host_names))
        for obj in self._candidates(type_name, scope, rctx):
            if any(_dns(name) == wanted for name in names(obj, rctx)):
                yield obj.ref

    def FindByDnsName(self, ctx, dnsName=None, vmSearch=False, datacenter=None):
        return next(self._by_dns_name(ctx, datacenter, dnsName, vmSearch), None)

    def FindAllByDnsName(self, ctx, dnsName=None, vmSearch=False, datacenter=None):
        return list(self._by_dns_name(ctx, datacenter, dnsName, vmSearch))

    # -- by datastore path ------------------------------------------------------------
    def FindByDatastorePath(self, ctx, datacenter, path):
        scope = ctx.server.objects.resolve(datacenter)
        if not self._is_a(scope, 'Datacenter'):
            raise InvalidArgument('datacenter')
        parsed = parse_datastore_path(path)
        if parsed is None:
            raise fault('InvalidDatastorePath', "Invalid datastore path '%s'." % path,
                        datastorePath=path)
        rctx = self._read_ctx(ctx)
        ds_name, relative = parsed
        datastores = [self._object(ref) for ref in scope.read('datastore', rctx) or ()]
        if not any(ds is not None and ds.read('name', rctx) == ds_name for ds in datastores):
            raise fault('InvalidDatastore', "Invalid datastore '%s'." % ds_name, name=ds_name)
        for vm in self._candidates('VirtualMachine', scope, rctx):
            if parse_datastore_path(self._value(vm, 'config.files.vmPathName', rctx)) == parsed:
                return vm.ref
        return None


    # -- Query, QueryNext ------------------------------------------------------
    def Query(self, ctx, querySpec):
        """The objects of `querySpec.resourceType` matching its filters, with
        the values of its properties; the first `limit` of them when set."""
        schema = self.server.schema
        spec = querySpec
        if spec.resourceType not in schema.enums['SearchIndexQuerySpecResourceType'].values \
                or spec.resourceType not in schema.managed:
            raise InvalidArgument('querySpec.resourceType')
        properties = list(spec.properties or ())
        if len(set(properties)) != len(properties):
            raise InvalidArgument('querySpec.properties')
        if spec.limit is not None and spec.limit <= 0:
            raise InvalidArgument('querySpec.limit')
        paths = [QueryPath(schema, spec.resourceType, text, ctx.version) for text in properties]
        predicates = [Predicate(schema, spec.resourceType, predicate, ctx.version,
                                'querySpec.filters.predicates')
                      for one in spec.filters or () for predicate in one.predicates or ()]
        matched = [obj.ref for obj in self.server.objects
                   if self._is_a(obj, spec.resourceType) and self._visible(ctx, obj)
                   and all(predicate.holds(obj, ctx) for predicate in predicates)]
        total = len(matched) if spec.returnTotalCount else None
        return self._page(ctx, (paths, matched, total), 0, spec.limit)

    def QueryNext(self, ctx, iterationSpec):
        """The next page of a query whose marker `iterationSpec.marker` is."""
        limit = iterationSpec.limit if iterationSpec.limit is not None else PAGE
        if limit <= 0:
            raise InvalidArgument('iterationSpec.limit')
        rest = ctx.session.retrievals.pop((self, iterationSpec.marker), None)
        if rest is None:
            raise InvalidArgument('iterationSpec.marker',
                                  'Unknown or expired marker %s' % iterationSpec.marker)
        query, start = rest
        return self._page(ctx, query, start, limit)

    def _visible(self, ctx, obj, path=''):
        """Whether the caller may read `path` of `obj` (the object itself: System.View)."""
        try:
            check_readable(ctx, obj, path)
        except self.server.schema.types['MethodFault'].cls:
            return False
        return True

    def _page(self, ctx, query, start, limit):
        """The SearchIndexResultSet of `query`'s matches from `start`, at most
        `limit` of them (all when None), with a marker when more remain."""
        T = self.server.schema.types
        paths, matched, total = query
        end = len(matched) if limit is None else min(start + limit, len(matched))
        items = []
        for ref in matched[start:end]:
            obj = self.server.objects.get(ref)
            if obj is None:                       # gone since the query
                continue
            items.append(T['SearchIndexResourceItem'].cls(propertyValues=[
                T['SearchIndexOptionalValue'].cls(value=self._shown(ctx, obj, path))
                for path in paths]))
        marker = None
        if end < len(matched):
            marker = str(next(_markers))
            hold(ctx.session.retrievals, (self, marker), (query, end),
                 ctx.server.options.session_max_retrievals)
        return T['SearchIndexResultSet'].cls(properties=[path.text for path in paths],
                                             items=items, totalCount=total, marker=marker)

    def _shown(self, ctx, obj, path):
        """The value a query shows of `path` on `obj`: None when not valid,
        not readable or unset."""
        if not path.valid or not self._visible(ctx, obj, path.text.partition('[')[0]):
            return None
        value = path.read(obj, ctx)
        if value is None or path.text == '@moRef':
            return value
        return Typed(value, path.field)
