"""IpPoolManager: the IP pools of each datacenter, from which extensions
allocate IPv4 and IPv6 addresses for the vApps they deploy.

A pool has an id unique in its datacenter (handed out from 1 on), a name
unique there, and per address family a subnet (address and netmask), a
gateway and ranges written `address#length` separated by commas. The
manager checks them as vCenter does: the subnet address is the network's,
gateway and ranges lie inside the subnet (not on its network or broadcast
address), ranges do not overlap each other nor hold the gateway, DNS
servers are addresses of the family; a network belongs to at most one
pool, which the network's `summary.ipPoolName`/`ipPoolId` show.

Allocations belong to an extension (the session's: see
ExtensionManager.extension_of) under an allocation id of its choosing, so
allocating twice under one id answers the same address; an address is held
until released, until an update leaves it outside the pool's ranges, or
until the pool goes. DestroyIpPool refuses a pool with allocations
(InvalidState) unless forced.
"""
import copy
import ipaddress

from vimsim.managed.manager import Manager, manager_type
from vimsim.soap.fault import InvalidArgument, fault

FAMILIES = ((4, 'ipv4Config', ipaddress.IPv4Address), (6, 'ipv6Config', ipaddress.IPv6Address))
MAX_ADDRESSES = 2 ** 31 - 1     # IpPool's address counts are xsd:int


class Subnet:
    """One family's checked configuration: the network, the gateway and the
    ranges as (first, last) integer pairs in the order given."""

    def __init__(self, network, gateway, ranges):
        self.network = network
        self.gateway = gateway
        self.ranges = ranges
        self.size = sum(last - first + 1 for first, last in ranges)

    def holds(self, address):
        number = int(address)
        return any(first <= number <= last for first, last in self.ranges)

    def first_free(self, taken):
        """The first address of the ranges not in `taken` (a set of ints), or None."""
        for first, last in self.ranges:
            number = first
            while number <= last and number in taken:
                number += 1
            if number <= last:
                return type(self.network.network_address)(number)
        return None


def _address(text, family_class, where):
    try:
        return family_class(text.strip())
    except (ValueError, AttributeError):
        raise InvalidArgument(where) from None


def _network(config, family_class, where):
    """The subnet of `config` (an IpPoolIpPoolConfigInfo), strictly: a
    subnet address with host bits set is refused."""
    address = _address(config.subnetAddress or '', family_class, where + '.subnetAddress')
    mask = int(_address(config.netmask or '', family_class, where + '.netmask'))
    width = address.max_prefixlen
    prefix = bin(mask).count('1')
    if mask != ((1 << width) - 1) ^ ((1 << (width - prefix)) - 1):
        raise InvalidArgument(where + '.netmask')
    try:
        return ipaddress.ip_network('%s/%d' % (address, prefix))
    except ValueError:
        raise InvalidArgument(where + '.subnetAddress') from None


def _usable(network, address):
    """Whether an address of the subnet may be a host's: not the network's
    own address, nor (IPv4) its broadcast address."""
    if address not in network or (network.num_addresses > 2 and
                                  address == network.network_address):
        return False
    return network.version == 6 or network.num_addresses <= 2 or \
        address != network.broadcast_address


def check_subnet(config, family_class, where):
    """The Subnet of one family's configuration, or InvalidArgument naming
    the field at fault; None for a family without a subnet (nothing to
    allocate from: then it may have no gateway or ranges either)."""
    if not config.subnetAddress and not config.netmask:
        for name in ('gateway', 'range'):
            if getattr(config, name):
                raise InvalidArgument('%s.%s' % (where, name))
        _check_dns(config, family_class, where)
        return None
    network = _network(config, family_class, where)
    gateway = None
    if config.gateway:
        gateway = _address(config.gateway, family_class, where + '.gateway')
        if not _usable(network, gateway):
            raise InvalidArgument(where + '.gateway')
    ranges = []
    for part in (config.range or '').split(','):
        if not part.strip():
            if config.range and config.range.strip():
                raise InvalidArgument(where + '.range')
            continue
        start, hash_sign, length = part.partition('#')
        first = _address(start, family_class, where + '.range')
        length = length.strip()
        count = int(length) if hash_sign and length.isdigit() and length.isascii() else 0
        last_number = int(first) + count - 1
        if count < 1 or last_number > int(network.broadcast_address) or \
                not _usable(network, first) or \
                not _usable(network, family_class(last_number)):
            raise InvalidArgument(where + '.range', 'The range %s is not inside the subnet '
                                  '%s.' % (part.strip(), network))
        span = (int(first), last_number)
        if any(span[0] <= other[1] and other[0] <= span[1] for other in ranges) or (
                gateway is not None and span[0] <= int(gateway) <= span[1]):
            raise InvalidArgument(where + '.range', 'The range %s overlaps another range or '
                                  'the gateway.' % part.strip())
        ranges.append(span)
    _check_dns(config, family_class, where)
    subnet = Subnet(network, gateway, ranges)
    if subnet.size > MAX_ADDRESSES:
        raise InvalidArgument(where + '.range')
    return subnet


def _check_dns(config, family_class, where):
    for server in config.dns:
        _address(server, family_class, where + '.dns')


class IpPoolState:
    """One pool of a datacenter: its configuration as the client last set it
    (an IpPool without the counts), the checked subnets, and the
    allocations {(family, extension key, allocation id): address}."""

    def __init__(self, config, subnets):
        self.config = config
        self.subnets = subnets      # family -> Subnet or None
        self.allocations = {}

    def taken(self, family):
        return {int(address) for (kind, _, _), address in self.allocations.items()
                if kind == family}

    def allocated(self, family):
        return sum(1 for kind, _, _ in self.allocations if kind == family)

    def described(self):
        """The IpPool QueryIpPools answers: the configuration and the counts."""
        pool = copy.deepcopy(self.config)
        for family, _, _ in FAMILIES:
            subnet = self.subnets.get(family)
            used = self.allocated(family)
            setattr(pool, 'allocatedIpv%dAddresses' % family, used)
            setattr(pool, 'availableIpv%dAddresses' % family,
                    (subnet.size if subnet is not None else 0) - used)
        return pool

    def enabled(self, family):
        """IpPoolIpPoolConfigInfo.ipPoolEnabled: addresses are allocated
        from a family's ranges only while it is set."""
        config = getattr(self.config, 'ipv%dConfig' % family)
        return config is not None and bool(config.ipPoolEnabled)


@manager_type('IpPoolManager')
class IpPoolManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.pools = {}        # datacenter MoRef -> {pool id: IpPoolState}, in creation order
        self.next_ids = {}     # datacenter MoRef -> the id the next pool gets

    # -- lookups -------------------------------------------------------------------------
    def _datacenter(self, dc):
        datacenter = self.server.objects.resolve(dc)
        if datacenter.type_name != 'Datacenter':
            raise InvalidArgument('dc')
        return datacenter

    def _pools_of(self, dc):
        return self.pools.setdefault(self._datacenter(dc).ref, {})

    def _pool(self, dc, pool_id, where='poolId'):
        state = self._pools_of(dc).get(pool_id)
        if state is None:
            raise InvalidArgument(where, 'There is no IP pool with id %s in the datacenter.'
                                  % pool_id)
        return state

    def pool_of_network(self, network):
        """The IpPoolState a network is associated with, or None."""
        for pools in self.pools.values():
            for state in pools.values():
                if any(a.network == network.ref for a in state.config.networkAssociation):
                    return state
        return None

    # -- checking a pool ------------------------------------------------------------------
    def _checked(self, dc, pool, current=None):
        """(configuration to keep, subnets) of `pool` for datacenter `dc`:
        `current` (an IpPoolState) for an update, whose fields the unset
        ones of `pool` keep (an array cannot be told unset from empty on the
        wire, so `networkAssociation` is always the one given)."""
        datacenter = self._datacenter(dc)
        config = copy.deepcopy(pool)
        if current is not None:
            for field in self.server.schema.types['IpPool'].fields:
                if getattr(config, field.name) is None:
                    setattr(config, field.name, copy.deepcopy(
                        getattr(current.config, field.name)))
            config.id = current.config.id
        for name in ('availableIpv4Addresses', 'availableIpv6Addresses',
                     'allocatedIpv4Addresses', 'allocatedIpv6Addresses'):
            setattr(config, name, None)
        if not config.name:
            raise InvalidArgument('pool.name')
        siblings = self.pools.get(datacenter.ref, {})
        if any(other.config.name == config.name and other is not current
               for other in siblings.values()):
            raise InvalidArgument('pool.name', "An IP pool named '%s' already exists in the "
                                  'datacenter.' % config.name)
        subnets = {}
        for family, field, family_class in FAMILIES:
            settings = getattr(config, field)
            subnets[family] = check_subnet(settings, family_class, 'pool.' + field) \
                if settings is not None else None
        self._check_networks(datacenter, config, current)
        return config, subnets

    def _check_networks(self, datacenter, config, current):
        seen = set()
        for association in config.networkAssociation:
            network = self.server.objects.get(association.network) \
                if association.network is not None else None
            if network is None or network not in datacenter.networks or \
                    network.ref in seen:
                raise InvalidArgument('pool.networkAssociation')
            owner = self.pool_of_network(network)
            if owner is not None and owner is not current:
                raise InvalidArgument('pool.networkAssociation', "The network '%s' is "
                                      'already associated with the IP pool %s.'
                                      % (network.name, owner.config.name))
            seen.add(network.ref)
            association.networkName = network.name

    def _report_networks(self, *configs):
        """The networks whose summary names a pool that changed."""
        refs = {a.network for config in configs for a in config.networkAssociation}
        for ref in refs:
            network = self.server.objects.get(ref)
            if network is not None:
                network.changed('summary')

    # -- pools ------------------------------------------------------------------------------
    def QueryIpPools(self, ctx, dc):
        return [state.described() for state in self._pools_of(dc).values()]

    def CreateIpPool(self, ctx, dc, pool):
        config, subnets = self._checked(dc, pool)
        ref = self._datacenter(dc).ref
        config.id = self.next_ids.get(ref, 1)
        self.next_ids[ref] = config.id + 1
        self._pools_of(dc)[config.id] = IpPoolState(config, subnets)
        self._report_networks(config)
        return config.id

    def UpdateIpPool(self, ctx, dc, pool):
        """The pool of `pool.id` takes the fields `pool` sets; allocations
        outside its new ranges are released."""
        state = self._pool(dc, pool.id, 'pool.id')
        config, subnets = self._checked(dc, pool, state)
        before = state.config
        state.config, state.subnets = config, subnets
        for key, address in list(state.allocations.items()):
            subnet = subnets.get(key[0])
            if subnet is None or not subnet.holds(address):
                del state.allocations[key]
        self._report_networks(before, config)

    def DestroyIpPool(self, ctx, dc, id, force):
        state = self._pool(dc, id, 'id')
        if state.allocations and not force:
            raise fault('InvalidState', "The IP pool '%s' is in use: %d addresses are "
                        'allocated from it.' % (state.config.name, len(state.allocations)))
        del self._pools_of(dc)[id]
        self._report_networks(state.config)

    # -- allocations --------------------------------------------------------------------------
    def _extension(self, ctx):
        key = self.server.managers['extensionManager'].extension_of(ctx.session)
        if key is None:
            raise fault('NotSupported', 'Only a vCenter extension may allocate and release '
                        'IP pool addresses.')
        return key

    def _allocate(self, ctx, dc, poolId, allocationId, family):
        state = self._pool(dc, poolId)
        extension = self._extension(ctx)
        key = (family, extension, allocationId)
        held = state.allocations.get(key)
        if held is not None:
            return str(held)
        subnet = state.subnets.get(family)
        if subnet is None or not state.enabled(family):
            return ''
        address = subnet.first_free(state.taken(family))
        if address is None:
            return ''
        state.allocations[key] = address
        return str(address)

    def AllocateIpv4Address(self, ctx, dc, poolId, allocationId):
        return self._allocate(ctx, dc, poolId, allocationId, 4)

    def AllocateIpv6Address(self, ctx, dc, poolId, allocationId):
        return self._allocate(ctx, dc, poolId, allocationId, 6)

    def ReleaseIpAllocation(self, ctx, dc, poolId, allocationId):
        state = self._pool(dc, poolId)
        extension = self._extension(ctx)
        for family, _, _ in FAMILIES:
            state.allocations.pop((family, extension, allocationId), None)

    def QueryIPAllocations(self, ctx, dc, poolId, extensionKey):
        state = self._pool(dc, poolId)
        Allocation = self.server.schema.types['IpPoolManagerIpAllocation'].cls
        return [Allocation(ipAddress=str(address), allocationId=allocation_id)
                for (_, extension, allocation_id), address in state.allocations.items()
                if extension == extensionKey]

    def allocation_usage(self, extension_keys):
        """{extension key: how many addresses it holds}, over every pool; of
        the keys given (all when none)."""
        usage = {}
        for pools in self.pools.values():
            for state in pools.values():
                for _, extension, _ in state.allocations:
                    if not extension_keys or extension in extension_keys:
                        usage[extension] = usage.get(extension, 0) + 1
        return usage


def pool_fields(network):
    """The NetworkSummary fields naming the IP pool a network is associated
    with: ipPoolName ('' for none, as vCenter answers) and ipPoolId."""
    manager = network.server.managers.get('ipPoolManager')
    state = manager.pool_of_network(network) if manager is not None else None
    if state is None:
        return {'ipPoolName': ''}
    return {'ipPoolName': state.config.name, 'ipPoolId': state.config.id}
