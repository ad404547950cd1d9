"""The port table of a distributed switch: its DistributedVirtualPorts,
what is connected to each, and the one rule every connectee (a VM's NIC,
a host's vmknic, a host's pNIC on an uplink port) is given a port by.

A port belongs to a portgroup (or to no portgroup: a standalone port) and
keeps what a client set on it (name, description, its own setting over the
portgroup's default, its config version). Its connectee is primary state,
kept by `connect` and `release`; a connectee whose object left the
inventory (a VM removed, a host gone) no longer holds its port, so the
table never needs to hear of every way an object goes. Ports of an
ephemeral portgroup exist while connected; an early-binding portgroup has
`numPorts` ports and, with `autoExpand`, grows when full.

`connect(pg, entity, nic_key, kind, port_key)` is the rule both the VM side
(vm/virtual_machine.py, on a device change) and the host side (a vmknic's
`spec.distributedVirtualPort`) use: it validates a named port or picks a
free one by the portgroup's binding, and returns the port.
"""
import itertools
from collections import namedtuple

from vimsim import clock
from vimsim.schema import MoRef
from vimsim.soap.fault import fault

# a port's connectee: the entity, its NIC key ('4000', 'vmk1', 'vmnic0'),
# DistributedVirtualSwitchPortConnecteeConnecteeType, an address hint
Connectee = namedtuple('Connectee', 'entity nic_key kind address')

AUTO_EXPAND_STEP = 8


class DvPort:
    """One DistributedVirtualPort of a switch."""
    __slots__ = ('key', 'dvs', 'portgroup', 'connectee', 'setting', 'name', 'description',
                 'version', 'status_change', 'uplink_host')

    def __init__(self, key, dvs, portgroup, uplink_host=None):
        self.key = key
        self.dvs = dvs
        self.portgroup = portgroup
        self.connectee = None
        self.setting = None      # the port's own setting over its portgroup's
        self.name = None
        self.description = None
        self.version = 0
        self.status_change = clock.now()
        self.uplink_host = uplink_host   # the host member an uplink port is of

    def live_connectee(self, server):
        """The connectee while its object is in the inventory, else None."""
        connectee = self.connectee
        if connectee is not None and server.objects.get(connectee.entity.ref) is connectee.entity:
            return connectee
        return None


def port_in_use(server, port):
    return port.live_connectee(server) is not None


def check_connectable(pg, entity, nic_key, kind, port_key=None):
    """The faults `connect` would raise, nothing changed: an uplink
    portgroup for anything but a pNIC, a named port not of `pg` or held by
    another connectee, a full portgroup that cannot grow."""
    pg.settle()
    server = pg.server
    if pg.uplink and kind != 'pnic':
        raise fault('InvalidArgument', 'A specified parameter was not correct: portgroupKey',
                    invalidProperty='portgroupKey')
    held = held_port(pg, entity, nic_key)
    if port_key:
        port = pg.dvs.ports.get(port_key)
        if port is None or port.portgroup is not pg:
            raise fault('NotFound', "The port '%s' of portgroup '%s' was not found."
                        % (port_key, pg.name))
        if port is not held and port_in_use(server, port):
            raise fault('ResourceInUse', "The port '%s' is in use." % port_key,
                        type='DistributedVirtualPort', name=port_key)
        return port
    if held is None and pg.pg_type != 'ephemeral' and not pg.auto_expand and \
            _first_free(pg) is None:
        raise fault('DvsFault', "No free port is available in the portgroup '%s'." % pg.name)
    return held


def connect(pg, entity, nic_key, kind, port_key=None, address=None):
    """The port of portgroup `pg` that `entity`'s NIC `nic_key` connects to:
    `port_key` when given (it must be a free port of `pg`), else the port
    it already holds there, else a free one (ephemeral: a new port; early
    binding: the first free, growing the portgroup by `autoExpand`). A NIC
    holds one port of a switch: one it held elsewhere on it is free again."""
    pg.settle()   # the builder's VMs first, so keys never depend on what was read
    claims = pg.dvs.claims.setdefault(entity.ref.value, {})
    before = claims.get(nic_key)
    port = check_connectable(pg, entity, nic_key, kind, port_key) or free_port(pg)
    if before is not None and before is not port and _holds(before, entity, nic_key):
        release_port(before)
    old = port.connectee
    if old is None or old.entity is not entity or old.nic_key != nic_key:
        port.status_change = clock.now()
        if old is not None:   # a connectee that left the inventory
            pg.dvs.claims.get(old.entity.ref.value, {}).pop(old.nic_key, None)
    port.connectee = Connectee(entity, nic_key, kind, address)
    claims[nic_key] = port
    return port


def _holds(port, entity, nic_key):
    connectee = port.connectee
    return connectee is not None and connectee.entity is entity \
        and connectee.nic_key == nic_key and port.dvs.ports.get(port.key) is port


def held_port(pg, entity, nic_key):
    """The port of `pg` this NIC holds, if it still does."""
    port = pg.dvs.claims.get(entity.ref.value, {}).get(nic_key)
    if port is not None and port.portgroup is pg and _holds(port, entity, nic_key):
        return port
    return None


def free_port(pg):
    """A free port of `pg` by its binding (see `connect`, which checked that
    a full one may grow): the first free in key order. The search starts
    where the last one ended and wraps around once, so connecting many NICs
    costs each O(1), and a port freed by its VM's removal is found again."""
    if pg.pg_type == 'ephemeral':
        return pg.add_ports(1)[0]
    index = _first_free(pg)
    if index is not None:
        pg.free_from = index + 1
        return pg.ports[index]
    pg.free_from = len(pg.ports) + 1
    return pg.add_ports(AUTO_EXPAND_STEP)[0]


def _first_free(pg):
    """The index of `pg`'s first free port from where the last search ended,
    None when every port is in use. The search wraps around to the ports
    before it only when an object left the inventory since it last found
    them all in use (a port released by name moves `free_from` back; one
    whose connectee left is free without being told): so filling a
    portgroup NIC by NIC costs each O(1)."""
    server, ports = pg.server, pg.ports
    start = min(pg.free_from, len(ports))
    for index in range(start, len(ports)):
        if not port_in_use(server, ports[index]):
            return index
    removals = server.objects.removals
    known = pg.full_below[1] if pg.full_below[0] == removals else 0
    for index in range(min(known, start), start):
        if not port_in_use(server, ports[index]):
            return index
    pg.full_below = (removals, max(known, start))
    return None


def release_port(port):
    """`port` is free again (an ephemeral portgroup's port goes)."""
    connectee = port.connectee
    if connectee is None:
        return
    port.connectee = None
    port.status_change = clock.now()
    claims = port.dvs.claims.get(connectee.entity.ref.value, {})
    if claims.get(connectee.nic_key) is port:
        del claims[connectee.nic_key]
    pg = port.portgroup
    if pg is not None:
        if pg.pg_type == 'ephemeral':
            pg.remove_port(port)
        elif port in pg.ports:
            pg.free_from = min(pg.free_from, pg.ports.index(port))
            pg.full_below = (-1, 0)


def release_entity(dvs, entity, keep=()):
    """Release every port of `dvs` that `entity` holds but those in `keep`."""
    for nic_key, port in list(dvs.claims.get(entity.ref.value, {}).items()):
        if port not in keep and _holds(port, entity, nic_key):
            release_port(port)
    if not dvs.claims.get(entity.ref.value, True):
        del dvs.claims[entity.ref.value]


def sync_vm_ports(vm, previous_networks):
    """After a VM's devices changed: each NIC on a distributed portgroup
    holds a port (one picked now when its backing names none) and the ports
    it no longer uses are free. `previous_networks`: the networks it was on."""
    T = vm.T
    get = vm.server.objects.get
    switches = {n.dvs for n in previous_networks if getattr(n, 'dvs', None) is not None}
    kept = {}
    for nic in vm.nics():
        backing = nic.backing
        if not isinstance(backing, T.VirtualEthernetCardDistributedVirtualPortBackingInfo) \
                or backing.port is None:
            continue
        connection = backing.port
        pg = get(pg_ref(connection.portgroupKey)) if connection.portgroupKey else None
        if pg is None or getattr(pg, 'dvs', None) is None:
            continue
        nic_key = str(nic.key)
        port = connect(pg, vm, nic_key, 'vmVnic', connection.portKey or None, nic.macAddress)
        connection.portKey = port.key
        connection.connectionCookie = connection_cookie(port)
        switches.add(pg.dvs)
        kept.setdefault(pg.dvs, []).append(port)
    for dvs in switches:
        release_entity(dvs, vm, kept.get(dvs, ()))
        dvs.changed('summary')


def pg_ref(key):
    """The MoRef of the portgroup with this key (vCenter keys portgroups by
    their moid)."""
    return MoRef('DistributedVirtualPortgroup', key)


def connection_cookie(port):
    """The connectionCookie of a port's connection (from its connectee)."""
    value = 0
    text = port.connectee.entity.ref.value if port.connectee is not None else port.key
    for char in text:
        value = (value * 131 + ord(char)) % 2000000000
    return value


def matches(port, criteria, server):
    """Whether `port` meets a DistributedVirtualSwitchPortCriteria."""
    if criteria is None:
        return True
    pg = port.portgroup
    in_use = port_in_use(server, port)
    if criteria.connected is not None and criteria.connected != in_use:
        return False
    if criteria.active is not None and criteria.active != (in_use and _active(port)):
        return False
    if criteria.uplinkPort is not None and criteria.uplinkPort != bool(pg and pg.uplink):
        return False
    if criteria.nsxPort is not None and criteria.nsxPort != bool(
            pg and pg.backing_type == 'nsx'):
        return False
    if criteria.portgroupKey:   # `inside` false: the ports outside them (standalone too)
        inside = pg is not None and pg.key in criteria.portgroupKey
        if inside != (criteria.inside is not False):
            return False
    if criteria.portKey and port.key not in criteria.portKey:
        return False
    if criteria.host:
        host = port_host(port, server)
        if host is None or host.ref not in criteria.host:
            return False
    if criteria.scope is not None:
        connectee = port.live_connectee(server)
        if connectee is None or connectee.entity.ref != criteria.scope:
            return False
    return True



def port_host(port, server):
    """The host a port's proxy lives on: an uplink port's host member, a
    VM's host, a vmknic's host; None while nothing is connected."""
    if port.uplink_host is not None:
        return port.uplink_host
    connectee = port.live_connectee(server)
    if connectee is None:
        return None
    entity = connectee.entity
    return getattr(entity, 'host', None) if entity.type_name == 'VirtualMachine' else entity


def _active(port):
    """A connected port is active while its VM runs (a vmknic's, a pNIC's
    always)."""
    connectee = port.connectee
    return connectee.kind != 'vmVnic' or connectee.entity.power_state == 'poweredOn'
