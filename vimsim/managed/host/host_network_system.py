"""HostNetworkSystem: a host's standard networking (configManager.networkSystem).

`HostNetworkState` is the host's network configuration, the one truth that
`host.config.network`, the network system's properties, the virtual NIC
manager, `host.network` and the datacenter's standard Networks follow:
virtual switches and portgroups (their specs as set), VMkernel NICs, physical
NIC link speeds, DNS, the default gateway, static routes, IPv6 and which
VMkernel NIC serves which traffic type. What hostd computes (keys, ports,
computed policies, route table, netstack instances) is computed on read.

A change validates everything first and changes nothing on a fault;
UpdateNetworkConfig works on a copy that replaces the state only once every
part of the request applied. After a change `change_network` re-links the host's
standard Networks: a portgroup without a VMkernel NIC on it is a VM network,
the datacenter's `Network` of its name (made when the datacenter has none;
one no host or VM uses any more goes), as hostd lists only those as
networks. A Network VMs on the host still use stays until they leave it.
"""
import copy
import ipaddress
import re

from vimsim.managed.entity import data_types
from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.managed.host.storage_devices import fcoe_configuration
from vimsim.managed.monitoring.event_manager import datacenter_of, event_manager
from vimsim.managed.network.distributed_virtual_switch import switch_of_uplink
from vimsim.managed.network.network import Network, host_nsx_network_info
from vimsim.schema import DataObject
from vimsim.soap.fault import InvalidArgument, fault

# the physical NICs of the recorded ESXi 8 host: device -> PCI address
PNIC_SLOTS = {'vmnic0': '0000:0b:00.0', 'vmnic1': '0000:13:00.0', 'vmnic2': '0000:1b:00.0',
              'vmnic3': '0000:04:00.0'}
SWITCH_PORTS = 2560               # ports a standard switch has (elastic since ESXi 5.5)
SWITCH_RESERVED_PORTS = 3         # taken by the switch itself
MAX_SPEC_PORTS = 4088
MTU_RANGE = (1280, 9000)
MAX_SWITCH_NAME = 32
MAX_PORTGROUPS_PER_SWITCH = 512   # HostNetCapabilities.maxPortGroupsPerVswitch
MAX_VMKNICS = 256                 # vSphere's configuration maximum per host
FIRST_PORT = 33554436             # hostd's key of vmk0's port
DEFAULT_STACK = 'defaultTcpipStack'
SYSTEM_STACKS = (DEFAULT_STACK, 'vmotion', 'vSphereProvisioning')
STACK_DEFAULTS = (11000, 'newreno')     # max connections, congestion control
MAX_CONNECTIONS = (1000, 11000)
TEAMING_POLICIES = ('loadbalance_ip', 'loadbalance_srcmac', 'loadbalance_srcid',
                    'failover_explicit')
DISCOVERY_OPERATIONS = ('none', 'listen', 'advertise', 'both')
DHCP_MASK = '255.255.0.0'
_MAC = re.compile(r'^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$')
_HOST_NAME = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$')


def host_mac(index, nic):
    """MACs of a host's physical NICs and vmk0: 00:0c:29 (ESXi in a VM)."""
    n = (index << 4) | nic
    return '00:0c:29:%02x:%02x:%02x' % ((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)


def vmknic_mac(index, number):
    """hostd's MACs for VMkernel NICs it makes: 00:50:56 below vCenter's VM range."""
    n = ((index << 6) | (number & 0x3f)) & 0x7fffff
    return '00:50:56:%02x:%02x:%02x' % (n >> 16, (n >> 8) & 0xff, n & 0xff)


def switch_key(name):
    return 'key-vim.host.VirtualSwitch-%s' % name


def portgroup_key(name):
    return 'key-vim.host.PortGroup-%s' % name


def vnic_key(device):
    return 'key-vim.host.VirtualNic-%s' % device


def port_key(number):
    return 'key-vim.host.PortGroup.Port-%d' % number


def host_not_connected():
    return fault('HostNotConnected', 'Unable to communicate with the remote host, since it '
                 'is disconnected.')


def not_found(what, name):
    return fault('NotFound', 'The object or item referred to could not be found: %s %s.'
                 % (what, name))


def already_exists(name):
    return fault('AlreadyExists', "The specified key, name, or identifier '%s' already "
                 'exists.' % name, name=name)


def in_use(type_name, name):
    return fault('ResourceInUse', 'The resource %s is in use.' % name, type=type_name,
                 name=name)


def config_fault(text):
    """hostd's answer to a configuration it cannot apply (a HostConfigFault)."""
    return fault('PlatformConfigFault', 'An error occurred during host configuration: %s.'
                 % text, text=text)


def not_supported(what):
    return fault('NotSupported', 'The simulated ESXi host does not support %s.' % what)


def overlay(base, over):
    """A new data object: `base` with every field `over` sets laid over it,
    nested data objects field by field. Neither is changed; parts `over`
    does not touch are `base`'s own (share, do not change them)."""
    if over is None:
        return base
    result = type(base).__new__(type(base))
    for name in base._type._names:
        setattr(result, name, getattr(base, name))
    for name in over._type._names:
        value = getattr(over, name)
        if value is None or name in ('dynamicType', 'dynamicProperty'):
            continue
        current = getattr(result, name, None)
        if isinstance(value, DataObject) and type(current) is type(value):
            value = overlay(current, value)
        setattr(result, name, value)
    return result


def _ipv4(text, name, mask=False):
    try:
        address = ipaddress.IPv4Address(text or '')
    except ValueError:
        raise InvalidArgument(name) from None
    if mask:
        bits = int(address)
        inverted = ~bits & 0xffffffff
        if bits == 0 or inverted & (inverted + 1):
            raise InvalidArgument(name)
    return address


def _ipv6(text, name):
    try:
        return ipaddress.IPv6Address(text or '')
    except ValueError:
        raise InvalidArgument(name) from None


class Vnic:
    """A VMkernel NIC: its device, the standard portgroup it is on ('' on a
    DVS port), its spec and its port's number on that portgroup."""
    __slots__ = ('device', 'portgroup', 'spec', 'port')

    def __init__(self, device, portgroup, spec, port):
        self.device = device
        self.portgroup = portgroup
        self.spec = spec
        self.port = port

    def copy(self):
        return Vnic(self.device, self.portgroup, copy.deepcopy(self.spec), self.port)


class HostNetworkState:
    """One host's network configuration (see the module docstring)."""

    def __init__(self, host):
        self.host = host
        T = self.T = data_types(host.server)
        self.switches = {'vSwitch0': T.HostVirtualSwitchSpec(
            numPorts=128, mtu=1500, policy=self.default_policy(['vmnic0']),
            bridge=T.HostVirtualSwitchBondBridge(
                nicDevice=['vmnic0'], beacon=T.HostVirtualSwitchBeaconConfig(interval=1),
                linkDiscoveryProtocolConfig=T.LinkDiscoveryProtocolConfig(
                    protocol='cdp', operation='listen')))}
        self.portgroups = {name: T.HostPortGroupSpec(
            name=name, vlanId=0, vswitchName='vSwitch0', policy=self.empty_policy())
            for name in ('VM Network', 'Management Network')}
        self.vnics = {'vmk0': Vnic('vmk0', 'Management Network', T.HostVirtualNicSpec(
            ip=T.HostIpConfig(dhcp=False, ipAddress=host.ip, subnetMask='255.255.0.0'),
            mac=host_mac(host.index, 15), portgroup='Management Network', mtu=1500,
            tsoEnabled=True,
            netStackInstanceKey=DEFAULT_STACK, systemOwned=False), FIRST_PORT)}
        self.next_port = FIRST_PORT + 1
        self.link_speeds = {device: T.PhysicalNicLinkInfo(speedMb=10000, duplex=True)
                            for device in PNIC_SLOTS}
        self.dns = T.HostDnsConfig(
            dhcp=False, domainName='localdomain', address=['10.0.0.2'],
            searchDomain=['localdomain'],
            hostName='localhost' if host.server.esx else host.name.lower().replace('_', '-'))
        self.gateway = T.HostIpRouteConfig(defaultGateway='10.0.0.1', gatewayDevice='vmk0')
        self.routes = []              # static routes: HostIpRouteEntry, IPv4 and IPv6
        self.ipv6_enabled = self.ipv6_at_boot = True
        self.selected = {'management': ['vmk0']}   # nic type -> devices
        self.stack_settings = {}      # netstack key -> (max connections, congestion control)

    def copy(self):
        """A copy to change (UpdateNetworkConfig), sharing nothing mutable."""
        other = copy.copy(self)
        for name in ('switches', 'portgroups', 'link_speeds', 'dns', 'gateway', 'routes'):
            setattr(other, name, copy.deepcopy(getattr(self, name)))
        other.vnics = {device: vnic.copy() for device, vnic in self.vnics.items()}
        other.selected = {kind: list(devices) for kind, devices in self.selected.items()}
        other.stack_settings = dict(self.stack_settings)
        return other

    # -- policies ---------------------------------------------------------------------
    def default_policy(self, active):
        """The policy hostd gives a new switch: uplinks active in bridge order."""
        T = self.T
        return T.HostNetworkPolicy(
            security=T.HostNetworkSecurityPolicy(allowPromiscuous=False, macChanges=False,
                                                 forgedTransmits=False),
            nicTeaming=T.HostNicTeamingPolicy(
                policy='loadbalance_srcid', reversePolicy=True, notifySwitches=True,
                rollingOrder=False,
                failureCriteria=T.HostNicFailureCriteria(
                    checkSpeed='minimum', speed=10, checkDuplex=False, fullDuplex=False,
                    checkErrorPercent=False, percentage=0, checkBeacon=False),
                nicOrder=T.HostNicOrderPolicy(activeNic=list(active), standbyNic=[])),
            offloadPolicy=T.HostNetOffloadCapabilities(csumOffload=True, tcpSegmentation=True,
                                                       zeroCopyXmit=True),
            shapingPolicy=T.HostNetworkTrafficShapingPolicy(enabled=False))

    def empty_policy(self, policy=None):
        """A portgroup's own policy as hostd reports it: every part present,
        unset fields inherited from its switch."""
        T = self.T
        policy = copy.deepcopy(policy) if policy is not None else T.HostNetworkPolicy()
        policy.security = policy.security or T.HostNetworkSecurityPolicy()
        policy.nicTeaming = policy.nicTeaming or T.HostNicTeamingPolicy()
        policy.nicTeaming.failureCriteria = policy.nicTeaming.failureCriteria or \
            T.HostNicFailureCriteria()
        policy.offloadPolicy = policy.offloadPolicy or T.HostNetOffloadCapabilities()
        policy.shapingPolicy = policy.shapingPolicy or T.HostNetworkTrafficShapingPolicy()
        return policy

    def _check_policy(self, policy, uplinks, name):
        if policy is None:
            return
        teaming = policy.nicTeaming
        if teaming is not None:
            if teaming.policy is not None and teaming.policy not in TEAMING_POLICIES:
                raise InvalidArgument(name + '.nicTeaming.policy')
            criteria = teaming.failureCriteria
            if criteria is not None:
                if criteria.checkSpeed is not None and \
                        criteria.checkSpeed not in ('exact', 'minimum'):
                    raise InvalidArgument(name + '.nicTeaming.failureCriteria.checkSpeed')
                if (criteria.speed or 0) < 0 or not 0 <= (criteria.percentage or 0) <= 100:
                    raise InvalidArgument(name + '.nicTeaming.failureCriteria')
            order = teaming.nicOrder
            if order is not None:
                active, standby = list(order.activeNic), list(order.standbyNic)
                named = active + standby
                if len(set(named)) != len(named) or any(nic not in uplinks for nic in named):
                    raise InvalidArgument(name + '.nicTeaming.nicOrder')
        shaping = policy.shapingPolicy
        if shaping is not None and shaping.enabled:
            values = (shaping.averageBandwidth, shaping.peakBandwidth, shaping.burstSize)
            if any(value is None or value <= 0 for value in values) or \
                    shaping.peakBandwidth < shaping.averageBandwidth:
                raise InvalidArgument(name + '.shapingPolicy')

    # -- virtual switches --------------------------------------------------------------
    def uplinks(self, spec):
        bridge = spec.bridge
        if bridge is None:
            return []
        if isinstance(bridge, (self.T.HostVirtualSwitchBondBridge,
                               self.T.HostVirtualSwitchSimpleBridge)):
            return list(bridge.nicDevice) if isinstance(bridge.nicDevice, list) \
                else [bridge.nicDevice]
        raise not_supported('a %s on a standard switch' % type(bridge).__name__)

    def _switch_spec(self, name, spec, current=None):
        """The spec a switch gets from `spec`: checked, unset parts default."""
        if spec is None:
            spec = self.T.HostVirtualSwitchSpec(numPorts=128)
        if not 0 < (spec.numPorts or 0) <= MAX_SPEC_PORTS:
            raise InvalidArgument('spec.numPorts')
        if spec.mtu is not None and not MTU_RANGE[0] <= spec.mtu <= MTU_RANGE[1]:
            raise InvalidArgument('spec.mtu')
        uplinks = self.uplinks(spec)
        for nic in uplinks:
            if nic not in self.link_speeds or uplinks.count(nic) > 1:
                raise InvalidArgument('spec.bridge.nicDevice')
            owner = next((other for other, other_spec in self.switches.items()
                          if other != name and nic in self.uplinks(other_spec)), None)
            if owner is not None:
                raise in_use('PhysicalNic', nic)
        bridge = spec.bridge
        if isinstance(bridge, self.T.HostVirtualSwitchBondBridge):
            if bridge.beacon is not None and (bridge.beacon.interval or 0) < 1:
                raise InvalidArgument('spec.bridge.beacon.interval')
            discovery = bridge.linkDiscoveryProtocolConfig
            if discovery is not None and (discovery.protocol != 'cdp' or
                                          discovery.operation not in DISCOVERY_OPERATIONS):
                raise InvalidArgument('spec.bridge.linkDiscoveryProtocolConfig')
        self._check_policy(spec.policy, uplinks, 'spec.policy')
        result = copy.deepcopy(spec)
        if isinstance(bridge, self.T.HostVirtualSwitchBondBridge):
            # hostd's defaults for a bond: beacon probing every second, CDP listening
            result.bridge.beacon = result.bridge.beacon or \
                self.T.HostVirtualSwitchBeaconConfig(interval=1)
            result.bridge.linkDiscoveryProtocolConfig = \
                result.bridge.linkDiscoveryProtocolConfig or \
                self.T.LinkDiscoveryProtocolConfig(protocol='cdp', operation='listen')
        result.mtu = spec.mtu or (current.mtu if current is not None else 1500)
        result.policy = overlay(self.default_policy(uplinks), spec.policy)
        for pg in self.portgroups.values():
            if pg.vswitchName == name:
                self._check_policy(pg.policy, uplinks, 'spec.bridge')
        return result

    def add_switch(self, name, spec):
        if not name or len(name) > MAX_SWITCH_NAME:
            raise InvalidArgument('vswitchName')
        if name in self.switches:
            raise already_exists(name)
        self.switches[name] = self._switch_spec(name, spec)

    def update_switch(self, name, spec):
        current = self._switch(name)
        self.switches[name] = self._switch_spec(name, spec, current)

    def remove_switch(self, name):
        self._switch(name)
        on_switch = [pg for pg, spec in self.portgroups.items() if spec.vswitchName == name]
        for pg in on_switch:
            self._check_portgroup_unused(pg)
        for pg in on_switch:
            del self.portgroups[pg]
        del self.switches[name]

    def _switch(self, name):
        try:
            return self.switches[name]
        except KeyError:
            raise not_found('virtual switch', name) from None

    # -- portgroups ---------------------------------------------------------------------
    def _portgroup_spec(self, spec, name='portgrp'):
        if not spec.name or len(spec.name) > 255:
            raise InvalidArgument(name + '.name')
        if not 0 <= spec.vlanId <= 4095:
            raise InvalidArgument(name + '.vlanId')
        switch = self._switch(spec.vswitchName)
        self._check_policy(spec.policy, self.uplinks(switch), name + '.policy')
        result = copy.deepcopy(spec)
        result.policy = self.empty_policy(spec.policy)
        return result

    def add_portgroup(self, spec):
        checked = self._portgroup_spec(spec)
        if checked.name in self.portgroups:
            raise already_exists(checked.name)
        on_switch = sum(1 for pg in self.portgroups.values()
                        if pg.vswitchName == checked.vswitchName)
        if on_switch >= MAX_PORTGROUPS_PER_SWITCH:
            raise config_fault('virtual switch %s has %d port groups, the most it can have'
                               % (checked.vswitchName, on_switch))
        self.portgroups[checked.name] = checked

    def update_portgroup(self, name, spec):
        self._portgroup(name)
        checked = self._portgroup_spec(spec)
        if checked.name != name:
            if checked.name in self.portgroups:
                raise already_exists(checked.name)
            if self.vms_on(name):
                raise config_fault('port group %s has virtual machines connected' % name)
        renamed = {}
        for key, value in self.portgroups.items():
            if key == name:
                renamed[checked.name] = checked
            else:
                renamed[key] = value
        self.portgroups = renamed
        for vnic in self.vnics.values():
            if vnic.portgroup == name:
                vnic.portgroup = vnic.spec.portgroup = checked.name

    def remove_portgroup(self, name):
        self._portgroup(name)
        self._check_portgroup_unused(name)
        del self.portgroups[name]

    def _portgroup(self, name):
        try:
            return self.portgroups[name]
        except KeyError:
            raise not_found('port group', name) from None

    def _check_portgroup_unused(self, name):
        if self.vnic_on(name) is not None or self.vms_on(name):
            raise in_use('HostPortGroup', name)

    def vnic_on(self, portgroup):
        return next((vnic for vnic in self.vnics.values() if vnic.portgroup == portgroup), None)

    def vms_on(self, portgroup):
        """The host's VMs with a NIC on the standard network `portgroup`."""
        return [vm for vm in self.host.vms
                if any(net.type_name == 'Network' and net.name == portgroup
                       for net in vm.network_objects())]

    def management_ip(self):
        """The host's address: its management VMkernel NIC's (the first selected)."""
        devices = [d for d in self.selected.get('management', ()) if d in self.vnics]
        return self.vnics[devices[0]].spec.ip.ipAddress if devices else None

    def vm_portgroups(self):
        """The portgroups that are VM networks: those without a VMkernel NIC."""
        return [name for name in self.portgroups if self.vnic_on(name) is None]

    # -- VMkernel NICs --------------------------------------------------------------------
    def _next_device(self):
        number = 0
        while 'vmk%d' % number in self.vnics:
            number += 1
        return 'vmk%d' % number

    def _check_ip(self, ip, name):
        if ip is None:
            return
        if not ip.dhcp:
            _ipv4(ip.ipAddress, name + '.ipAddress')
            _ipv4(ip.subnetMask, name + '.subnetMask', mask=True)
        v6 = ip.ipV6Config
        if v6 is not None:
            if not self.ipv6_enabled:
                raise fault('InvalidState', 'IPv6 is not enabled on the host.')
            for address in v6.ipV6Address:
                _ipv6(address.ipAddress, name + '.ipV6Config.ipV6Address')
                if not 0 <= address.prefixLength <= 128 or \
                        address.operation not in (None, 'add', 'remove'):
                    raise InvalidArgument(name + '.ipV6Config.ipV6Address')

    def _check_dvport(self, connection):
        """A vmknic on a DVS port: the switch must span this host and have
        the portgroup (and the port, when one is named)."""
        switch = next((n.dvs for n in self.host.networks
                       if getattr(n, 'dvs', None) is not None
                       and n.dvs.uuid == connection.switchUuid), None)
        if switch is None:
            raise InvalidArgument('nic.distributedVirtualPort.switchUuid')
        portgroup = next((pg for pg in switch.portgroups if pg.key == connection.portgroupKey),
                         None)
        if portgroup is None:
            raise InvalidArgument('nic.distributedVirtualPort.portgroupKey')
        if connection.portKey is not None and connection.portKey not in portgroup.port_keys:
            raise InvalidArgument('nic.distributedVirtualPort.portKey')

    def _vnic_spec(self, spec, device, current=None):
        """The spec a VMkernel NIC gets: checked, hostd's defaults filled in."""
        self._check_ip(spec.ip, 'nic.ip')
        if spec.mtu is not None and not MTU_RANGE[0] <= spec.mtu <= MTU_RANGE[1]:
            raise InvalidArgument('nic.mtu')
        if spec.mac is not None and not _MAC.match(spec.mac):
            raise InvalidArgument('nic.mac')
        if spec.netStackInstanceKey is not None and \
                spec.netStackInstanceKey not in SYSTEM_STACKS:
            raise InvalidArgument('nic.netStackInstanceKey')
        if spec.opaqueNetwork is not None:
            raise not_supported('VMkernel NICs on opaque networks')
        if spec.distributedVirtualPort is not None:
            self._check_dvport(spec.distributedVirtualPort)
        if current is None:
            result = copy.deepcopy(spec)
            result.ip = result.ip or self.T.HostIpConfig(dhcp=True)
            result.mac = spec.mac or vmknic_mac(self.host.index, int(device[3:]))
            result.mtu = spec.mtu or 1500
            result.tsoEnabled = True if spec.tsoEnabled is None else spec.tsoEnabled
            result.netStackInstanceKey = spec.netStackInstanceKey or DEFAULT_STACK
            result.systemOwned = False
        else:
            if spec.mac is not None and spec.mac.lower() != current.mac.lower():
                raise InvalidArgument('nic.mac')
            if spec.netStackInstanceKey not in (None, current.netStackInstanceKey):
                raise InvalidArgument('nic.netStackInstanceKey')
            result = overlay(current, spec)
            result.ip = self._merged_ip(current.ip, spec.ip) if spec.ip is not None else \
                copy.deepcopy(current.ip)
        if result.ip.dhcp:
            result.ip.ipAddress = dhcp_address(self.host.index, int(device[3:]))
            result.ip.subnetMask = DHCP_MASK
        if result.ip.ipV6Config is not None:
            for address in result.ip.ipV6Config.ipV6Address:
                address.operation = None
                address.origin = address.origin or 'manual'
                address.dadState = address.dadState or 'preferred'
        return result

    def _merged_ip(self, current, ip):
        """An update's IP config: IPv6 addresses added and removed by operation."""
        result = copy.deepcopy(ip)
        if ip.ipV6Config is None:
            result.ipV6Config = copy.deepcopy(current.ipV6Config)
            return result
        kept = list(current.ipV6Config.ipV6Address) if current.ipV6Config is not None else []
        for address in ip.ipV6Config.ipV6Address:
            same = [a for a in kept if a.ipAddress == address.ipAddress]
            if address.operation == 'remove':
                if not same:
                    raise InvalidArgument('nic.ip.ipV6Config.ipV6Address')
                kept.remove(same[0])
            elif not same:
                kept.append(copy.deepcopy(address))
        result.ipV6Config.ipV6Address = kept
        return result

    def _place(self, portgroup, spec):
        """(portgroup, DVS connection) a VMkernel NIC is to be on."""
        if spec.distributedVirtualPort is not None:
            if portgroup:
                raise InvalidArgument('portgroup')
            return '', spec.distributedVirtualPort
        if not portgroup:
            raise InvalidArgument('portgroup')
        if portgroup not in self.portgroups:
            raise config_fault('port group %s not found' % portgroup)
        return portgroup, None

    def add_vnic(self, portgroup, spec, device=None):
        if len(self.vnics) >= MAX_VMKNICS:
            raise config_fault('the host has %d VMkernel NICs, the most it can have'
                               % len(self.vnics))
        device = device or self._next_device()
        if not re.match(r'^vmk\d{1,4}$', device):
            raise InvalidArgument('device')
        if device in self.vnics:
            raise already_exists(device)
        portgroup, _ = self._place(portgroup, spec)
        if portgroup and self.vnic_on(portgroup) is not None:
            raise already_exists(portgroup)
        checked = self._vnic_spec(spec, device)
        port = None
        if portgroup:
            port = self.next_port
            self.next_port += 1
        checked.portgroup = portgroup or None
        self.vnics[device] = Vnic(device, portgroup, checked, port)
        return device

    def update_vnic(self, device, spec):
        vnic = self._vnic(device)
        checked = self._vnic_spec(spec, device, vnic.spec)
        target = spec.portgroup
        if spec.distributedVirtualPort is not None:
            vnic.portgroup, vnic.port = '', None
        elif target and target != vnic.portgroup:
            portgroup, _ = self._place(target, spec)
            if self.vnic_on(portgroup) is not None:
                raise already_exists(portgroup)
            vnic.portgroup, vnic.port = portgroup, self.next_port
            self.next_port += 1
            checked.distributedVirtualPort = None
        checked.portgroup = vnic.portgroup or None
        vnic.spec = checked

    def remove_vnic(self, device):
        """Remove a VMkernel NIC with what names it: its traffic types, its
        routes, the default gateway and DHCP DNS it served."""
        self._vnic(device)
        del self.vnics[device]
        for devices in self.selected.values():
            if device in devices:
                devices.remove(device)
        self.routes = [route for route in self.routes if route.deviceName != device]
        if self.gateway.gatewayDevice == device:
            self.gateway.gatewayDevice = None
        if self.gateway.ipV6GatewayDevice == device:
            self.gateway.ipV6GatewayDevice = None
        if self.dns.virtualNicDevice == device or self.dns.ipv6VirtualNicDevice == device:
            self.dns.dhcp = False
            self.dns.virtualNicDevice = self.dns.ipv6VirtualNicDevice = None

    def _vnic(self, device):
        try:
            return self.vnics[device]
        except KeyError:
            raise not_found('virtual NIC', device) from None

    def vnic_device(self, device, connection, name):
        """The VMkernel NIC a DNS or route config names, by device or by the
        portgroup / DVS port it is connected to; None when it names none."""
        if connection is not None:
            for vnic in self.vnics.values():
                if connection.portgroup and vnic.portgroup == connection.portgroup:
                    return vnic.device
                port = vnic.spec.distributedVirtualPort
                if connection.dvPort is not None and port is not None and \
                        port.portgroupKey == connection.dvPort.portgroupKey and \
                        port.switchUuid == connection.dvPort.switchUuid:
                    return vnic.device
            raise InvalidArgument(name + 'Connection')
        if device and device not in self.vnics:
            raise InvalidArgument(name)
        return device or None

    # -- DNS, routes, physical NICs ----------------------------------------------------
    def set_dns(self, config):
        T = self.T
        if not _HOST_NAME.match(config.hostName or ''):
            raise InvalidArgument('config.hostName')
        for address in config.address:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise InvalidArgument('config.address') from None
        for device in (config.virtualNicDevice, config.ipv6VirtualNicDevice):
            if device and device not in self.vnics:
                raise not_found('virtual NIC', device)
        device = self.vnic_device(config.virtualNicDevice,
                                  getattr(config, 'virtualNicConnection', None),
                                  'config.virtualNicDevice')
        if config.dhcp and device is None:
            raise not_found('virtual NIC', '')
        ipv6_device = self.vnic_device(config.ipv6VirtualNicDevice,
                                       getattr(config, 'virtualNicConnectionV6', None),
                                       'config.ipv6VirtualNicDevice')
        self.dns = T.HostDnsConfig(
            dhcp=bool(config.dhcp), virtualNicDevice=device if config.dhcp else None,
            ipv6VirtualNicDevice=ipv6_device if config.dhcp else None,
            hostName=config.hostName, domainName=config.domainName or '',
            address=list(config.address), searchDomain=list(config.searchDomain))

    def set_gateway(self, config):
        gateway = config.defaultGateway or None
        if gateway:
            _ipv4(gateway, 'config.defaultGateway')
        device = self.vnic_device(config.gatewayDevice,
                                  getattr(config, 'gatewayDeviceConnection', None),
                                  'config.gatewayDevice')
        ipv6_gateway = config.ipV6DefaultGateway or None
        if ipv6_gateway:
            if not self.ipv6_enabled:
                raise fault('InvalidState', 'IPv6 is not enabled on the host.')
            _ipv6(ipv6_gateway, 'config.ipV6DefaultGateway')
        ipv6_device = self.vnic_device(config.ipV6GatewayDevice,
                                       getattr(config, 'ipV6GatewayDeviceConnection', None),
                                       'config.ipV6GatewayDevice')
        self.gateway = self.T.HostIpRouteConfig(
            defaultGateway=gateway, gatewayDevice=device, ipV6DefaultGateway=ipv6_gateway,
            ipV6GatewayDevice=ipv6_device)

    def update_routes(self, config):
        """Apply a HostIpRouteTableConfig's add and remove operations."""
        routes = list(self.routes)
        for ops, parse, name in ((config.ipRoute, ipaddress.IPv4Network, 'config.ipRoute'),
                                 (config.ipv6Route, ipaddress.IPv6Network, 'config.ipv6Route')):
            for op in ops:
                entry = op.route
                try:
                    network = parse('%s/%d' % (entry.network, entry.prefixLength))
                    ipaddress.ip_address(entry.gateway)
                except ValueError:
                    raise InvalidArgument(name) from None
                if entry.deviceName and entry.deviceName not in self.vnics:
                    raise InvalidArgument(name + '.route.deviceName')
                same = [r for r in routes if (r.network, r.prefixLength) ==
                        (str(network.network_address), network.prefixlen)]
                if op.changeOperation == 'add' and not same:
                    routes.append(self.T.HostIpRouteEntry(
                        network=str(network.network_address), prefixLength=network.prefixlen,
                        gateway=entry.gateway, deviceName=entry.deviceName))
                elif op.changeOperation == 'remove' and same:
                    routes.remove(same[0])
                else:
                    raise InvalidArgument(name + '.changeOperation')
        self.routes = routes

    def set_link_speed(self, device, link):
        if device not in self.link_speeds:
            raise not_found('physical NIC', device)
        valid = self.valid_links()
        if link is None:
            raise not_supported('auto-negotiation on %s' % device)
        if (link.speedMb, bool(link.duplex)) not in {(v.speedMb, v.duplex) for v in valid}:
            raise InvalidArgument('linkSpeed')
        self.link_speeds[device] = self.T.PhysicalNicLinkInfo(speedMb=link.speedMb,
                                                              duplex=bool(link.duplex))

    def valid_links(self):
        return [self.T.PhysicalNicLinkInfo(speedMb=10000, duplex=True)]

    # -- UpdateNetworkConfig -----------------------------------------------------------
    def apply(self, config, replace):
        """Apply a HostNetworkConfig to this state (a copy): its changes in
        modify mode; in replace mode, also remove what it does not list.
        The devices of the VMkernel NICs it added."""
        for part in ('proxySwitch', 'consoleVnic', 'dhcp', 'nat'):
            if getattr(config, part, None):
                raise not_supported('%s in UpdateNetworkConfig' % part)
        if config.consoleIpRouteConfig is not None:
            raise not_supported('a service console')
        if replace:
            self._drop_unlisted(config)
        for item in config.vswitch:
            operation = self._operation(item.changeOperation, item.name in self.switches)
            if operation == 'add':
                self.add_switch(item.name, item.spec)
            elif operation == 'edit' and item.spec is not None:
                self.update_switch(item.name, item.spec)
        for item in config.portgroup:
            if item.spec is None:
                raise InvalidArgument('config.portgroup.spec')
            operation = self._operation(item.changeOperation, item.spec.name in self.portgroups)
            if operation == 'add':
                self.add_portgroup(item.spec)
            elif operation == 'edit':
                self.update_portgroup(item.spec.name, item.spec)
        for item in config.pnic:
            link = item.spec.linkSpeed
            if link is not None or item.device not in self.link_speeds:
                self.set_link_speed(item.device, link)
        added = []
        for item in config.vnic:
            operation = self._operation(item.changeOperation, item.device in self.vnics)
            if item.spec is None and operation != 'remove':
                raise InvalidArgument('config.vnic.spec')
            if operation == 'add':
                added.append(self.add_vnic(item.portgroup, item.spec, item.device))
            elif operation == 'edit':
                spec = copy.deepcopy(item.spec)
                spec.portgroup = spec.portgroup or item.portgroup or None
                self.update_vnic(item.device, spec)
        for item in config.vnic:
            if item.changeOperation == 'remove':
                self.remove_vnic(item.device or '')
        for item in config.portgroup:
            if item.changeOperation == 'remove':
                self.remove_portgroup(item.spec.name)
        for item in config.vswitch:
            if item.changeOperation == 'remove':
                self.remove_switch(item.name)
        if config.dnsConfig is not None:
            self.set_dns(config.dnsConfig)
        if config.ipRouteConfig is not None:
            self.set_gateway(config.ipRouteConfig)
        if config.routeTableConfig is not None:
            if replace:
                self.routes = []
            self.update_routes(config.routeTableConfig)
        if config.ipV6Enabled is not None:
            self.ipv6_at_boot = bool(config.ipV6Enabled)
        for spec in config.netStackSpec:
            self.edit_stack(spec)
        return added

    def edit_stack(self, spec):
        """A netStackSpec: an existing stack edited (its DNS and routes on
        the default one; connections and congestion control on any)."""
        stack = spec.netStackInstance
        if spec.operation != 'edit':
            raise not_supported('creating or removing netstack instances')
        if stack is None or stack.key not in [s.key for s in self.stacks()]:
            raise not_found('netstack instance', getattr(stack, 'key', None) or '')
        if stack.name not in (None, stack.key):
            raise InvalidArgument('config.netStackSpec.netStackInstance.name')
        routing = (stack.dnsConfig, stack.ipRouteConfig, stack.routeTableConfig)
        if stack.key != DEFAULT_STACK and any(part is not None for part in routing):
            raise not_supported('DNS and routes of the %s netstack' % stack.key)
        connections, algorithm = self.stack_settings.get(stack.key, STACK_DEFAULTS)
        if stack.requestedMaxNumberOfConnections is not None:
            connections = stack.requestedMaxNumberOfConnections
            if not MAX_CONNECTIONS[0] <= connections <= MAX_CONNECTIONS[1]:
                raise InvalidArgument('config.netStackSpec.netStackInstance.'
                                      'requestedMaxNumberOfConnections')
        if stack.congestionControlAlgorithm is not None:
            algorithm = stack.congestionControlAlgorithm
            if algorithm not in ('newreno', 'cubic'):
                raise InvalidArgument('config.netStackSpec.netStackInstance.'
                                      'congestionControlAlgorithm')
        if stack.ipV6Enabled is not None:
            self.ipv6_at_boot = bool(stack.ipV6Enabled)
        if stack.dnsConfig is not None:
            self.set_dns(stack.dnsConfig)
        if stack.ipRouteConfig is not None:
            self.set_gateway(stack.ipRouteConfig)
        if stack.routeTableConfig is not None:
            self.update_routes(stack.routeTableConfig)
        self.stack_settings[stack.key] = (connections, algorithm)

    @staticmethod
    def _operation(operation, exists):
        """A change operation; unset means edit what exists, add what does not."""
        if operation in (None, ''):
            return 'edit' if exists else 'add'
        if operation not in ('add', 'edit', 'remove', 'ignore'):
            raise InvalidArgument('config.changeOperation')
        if operation == 'add' and exists:
            return 'add'          # add_* answers AlreadyExists
        return operation

    def _drop_unlisted(self, config):
        """Replace mode: what the config does not name goes, VMkernel NICs
        first, then portgroups, then switches."""
        vnics = {item.device for item in config.vnic}
        portgroups = {item.spec.name for item in config.portgroup if item.spec is not None}
        switches = {item.name for item in config.vswitch}
        for device in [d for d in self.vnics if d not in vnics]:
            self.remove_vnic(device)
        for name in [p for p in self.portgroups if p not in portgroups]:
            self.remove_portgroup(name)
        for name in [s for s in self.switches if s not in switches]:
            self.remove_switch(name)

    # -- reading -----------------------------------------------------------------------
    def standard_uplinks(self):
        """The pNIC devices standard switches hold (a DVS may take only others)."""
        return {nic for spec in self.switches.values() for nic in self.uplinks(spec)}

    def pnics(self):
        T = self.T
        index = self.host.index
        return [T.PhysicalNic(
            key='key-vim.host.PhysicalNic-%s' % device, device=device,
            pci=PNIC_SLOTS[device], driver='nvmxnet3', driverVersion='2.0.0.30',
            firmwareVersion='', linkSpeed=copy.copy(link),
            validLinkSpecification=self.valid_links(),
            spec=T.PhysicalNicSpec(linkSpeed=copy.copy(link),
                                   enableEnhancedNetworkingStack=False,
                                   ensInterruptEnabled=False),
            wakeOnLanSupported=False, mac=host_mac(index, i),
            fcoeConfiguration=fcoe_configuration(T, host_mac(index, i)),
            vmDirectPathGen2Supported=False, resourcePoolSchedulerAllowed=True,
            autoNegotiateSupported=False, enhancedNetworkingStackSupported=False,
            ensInterruptSupported=False)
            for i, (device, link) in enumerate(self.link_speeds.items())]

    def vnic_objects(self, key_prefix=''):
        """The HostVirtualNic list; candidate lists key them by nic type."""
        T = self.T
        return [T.HostVirtualNic(
            device=vnic.device, key=key_prefix + vnic_key(vnic.device),
            portgroup=vnic.portgroup, spec=vnic.spec,
            port=port_key(vnic.port) if vnic.port is not None else None)
            for vnic in self.vnics.values()]

    def _ports_used(self, switch):
        pgs = {name for name, spec in self.portgroups.items() if spec.vswitchName == switch}
        vms = {vm for pg in pgs for vm in self.vms_on(pg) if vm.power_state == 'poweredOn'}
        return len(vms) + sum(1 for v in self.vnics.values() if v.portgroup in pgs)

    def vswitch_objects(self):
        T = self.T
        return [T.HostVirtualSwitch(
            name=name, key=switch_key(name), numPorts=SWITCH_PORTS,
            numPortsAvailable=SWITCH_PORTS - SWITCH_RESERVED_PORTS - self._ports_used(name),
            mtu=spec.mtu,
            portgroup=[portgroup_key(pg) for pg, pg_spec in self.portgroups.items()
                       if pg_spec.vswitchName == name],
            pnic=['key-vim.host.PhysicalNic-%s' % nic for nic in self.uplinks(spec)],
            spec=spec)
            for name, spec in self.switches.items()]

    def portgroup_objects(self):
        T = self.T
        out = []
        for name, spec in self.portgroups.items():
            vnic = self.vnic_on(name)
            ports = [T.HostPortGroupPort(key=port_key(vnic.port), mac=[vnic.spec.mac],
                                         type='host')] if vnic is not None else []
            out.append(T.HostPortGroup(
                key=portgroup_key(name), port=ports, vswitch=switch_key(spec.vswitchName),
                computedPolicy=overlay(self.switches[spec.vswitchName].policy, spec.policy),
                spec=spec))
        return out

    def route_table(self):
        T = self.T
        ipv4, ipv6 = [], []
        if self.gateway.defaultGateway:
            ipv4.append(T.HostIpRouteEntry(network='0.0.0.0', prefixLength=0,
                                           gateway=self.gateway.defaultGateway,
                                           deviceName=self.gateway.gatewayDevice or 'vmk0'))
        if self.gateway.ipV6DefaultGateway:
            ipv6.append(T.HostIpRouteEntry(network='::', prefixLength=0,
                                           gateway=self.gateway.ipV6DefaultGateway,
                                           deviceName=self.gateway.ipV6GatewayDevice or 'vmk0'))
        for vnic in self.vnics.values():
            ip = vnic.spec.ip
            if ip.ipAddress and ip.subnetMask:
                network = ipaddress.IPv4Network('%s/%s' % (ip.ipAddress, ip.subnetMask),
                                                strict=False)
                ipv4.append(T.HostIpRouteEntry(
                    network=str(network.network_address), prefixLength=network.prefixlen,
                    gateway='0.0.0.0', deviceName=vnic.device))
            for address in ip.ipV6Config.ipV6Address if ip.ipV6Config is not None else ():
                network = ipaddress.IPv6Network('%s/%d' % (address.ipAddress,
                                                           address.prefixLength), strict=False)
                ipv6.append(T.HostIpRouteEntry(
                    network=str(network.network_address), prefixLength=network.prefixlen,
                    gateway='::', deviceName=vnic.device))
        for route in self.routes:
            (ipv6 if ':' in route.network else ipv4).append(route)
        return T.HostIpRouteTableInfo(ipRoute=ipv4, ipv6Route=ipv6)

    def stacks(self):
        """The netstack instances in use: the default one and any a vmknic names."""
        keys = [DEFAULT_STACK] + sorted({v.spec.netStackInstanceKey for v in self.vnics.values()}
                                        - {DEFAULT_STACK})
        T = self.T
        out = []
        for key in keys:
            default = key == DEFAULT_STACK
            connections, algorithm = self.stack_settings.get(key, STACK_DEFAULTS)
            out.append(T.HostNetStackInstance(
                key=key, name=key,
                dnsConfig=self.dns if default else T.HostDnsConfig(
                    dhcp=False, hostName='', domainName=''),
                ipRouteConfig=self.gateway if default else T.HostIpRouteConfig(),
                requestedMaxNumberOfConnections=connections,
                congestionControlAlgorithm=algorithm, ipV6Enabled=self.ipv6_enabled))
        return out

    def runtime_info(self):
        T = self.T
        return T.HostRuntimeInfoNetworkRuntimeInfo(netStackInstanceRuntimeInfo=[
            T.HostRuntimeInfoNetStackInstanceRuntimeInfo(
                netStackInstanceKey=stack.key, state='active',
                vmknicKeys=[v.device for v in self.vnics.values()
                            if v.spec.netStackInstanceKey == stack.key],
                maxNumberOfConnections=11000, currentIpV6Enabled=self.ipv6_enabled)
            for stack in self.stacks()])

    def info(self):
        T = self.T
        opaque_switches, opaque_networks, nsx_node = host_nsx_network_info(self.host)
        return T.HostNetworkInfo(
            vswitch=self.vswitch_objects(), portgroup=self.portgroup_objects(),
            pnic=self.pnics(), vnic=self.vnic_objects(), dnsConfig=self.dns,
            ipRouteConfig=self.gateway, routeTableInfo=self.route_table(),
            ipV6Enabled=self.ipv6_enabled, atBootIpV6Enabled=self.ipv6_at_boot,
            netStackInstance=self.stacks(),
            opaqueSwitch=opaque_switches or None, opaqueNetwork=opaque_networks or None,
            nsxTransportNodeId=nsx_node)

    def config(self):
        """networkConfig: the configuration as UpdateNetworkConfig takes it, so
        replaying it in replace mode changes nothing."""
        T = self.T
        return T.HostNetworkConfig(
            vswitch=[T.HostVirtualSwitchConfig(name=name, spec=spec)
                     for name, spec in self.switches.items()],
            portgroup=[T.HostPortGroupConfig(spec=spec) for spec in self.portgroups.values()],
            pnic=[T.PhysicalNicConfig(device=device, spec=T.PhysicalNicSpec(linkSpeed=link))
                  for device, link in self.link_speeds.items()],
            vnic=[T.HostVirtualNicConfig(device=v.device, portgroup=v.portgroup, spec=v.spec)
                  for v in self.vnics.values()],
            dnsConfig=self.dns, ipRouteConfig=self.gateway,
            routeTableConfig=T.HostIpRouteTableConfig(
                ipRoute=[T.HostIpRouteOp(changeOperation='add', route=r)
                         for r in self.routes if ':' not in r.network],
                ipv6Route=[T.HostIpRouteOp(changeOperation='add', route=r)
                           for r in self.routes if ':' in r.network]),
            ipV6Enabled=self.ipv6_at_boot)

    def capabilities(self):
        return self.T.HostNetCapabilities(
            canSetPhysicalNicLinkSpeed=True, supportsNicTeaming=True,
            nicTeamingPolicy=list(TEAMING_POLICIES),
            supportsVlan=True, usesServiceConsoleNic=False, supportsNetworkHints=True,
            maxPortGroupsPerVswitch=MAX_PORTGROUPS_PER_SWITCH, vswitchConfigSupported=True,
            vnicConfigSupported=True,
            ipRouteConfigSupported=True, dnsConfigSupported=True, dhcpOnVnicSupported=True,
            ipV6Supported=True, backupNfcNiocSupported=True)

    def offload_capabilities(self):
        return self.T.HostNetOffloadCapabilities(csumOffload=True, tcpSegmentation=True,
                                                 zeroCopyXmit=True)

    def hints(self, devices):
        """QueryNetworkHint: per physical NIC, the subnets and VLANs seen on
        it and, where its switch (standard, or the distributed switch it is an
        uplink of) listens for CDP or LLDP, what the upstream switch port
        advertises."""
        T = self.T
        for device in devices:
            if device not in self.link_speeds:
                raise not_found('physical NIC', device)
        out = []
        for number, device in enumerate(self.link_speeds):
            if devices and device not in devices:
                continue
            switch = next((name for name, spec in self.switches.items()
                           if device in self.uplinks(spec)), None)
            vlans = sorted({spec.vlanId for spec in self.portgroups.values()
                            if spec.vswitchName == switch}) if switch else []
            subnets = [T.PhysicalNicIpHint(vlanId=vlan, ipSubnet=_vlan_subnet(vlan))
                       for vlan in vlans]
            names = [T.PhysicalNicNameHint(vlanId=spec.vlanId, network=name)
                     for name, spec in self.portgroups.items() if spec.vswitchName == switch] \
                if switch else []
            if switch is not None:
                discovery = getattr(self.switches[switch].bridge,
                                    'linkDiscoveryProtocolConfig', None)
            else:
                dvs = switch_of_uplink(self.host, device)
                discovery = dvs.settings['linkDiscoveryProtocolConfig'] if dvs else None
            listening = discovery is not None and discovery.operation in ('listen', 'both')
            port_id = 'Ethernet1/%d' % (self.host.index * len(PNIC_SLOTS) + number + 1)
            out.append(T.PhysicalNicHintInfo(
                device=device, subnet=subnets, network=names,
                connectedSwitchPort=self._cdp(port_id)
                if listening and discovery.protocol == 'cdp' else None,
                lldpInfo=self._lldp(port_id)
                if listening and discovery.protocol == 'lldp' else None))
        return out

    def _lldp(self, port_id):
        """What the upstream switch advertises over LLDP."""
        T = self.T
        return T.LinkLayerDiscoveryProtocolInfo(
            chassisId='00:50:56:00:00:01', portId=port_id, timeToLive=120, parameter=[
                T.KeyAnyValue(key=key, value=value) for key, value in (
                    ('Port Description', port_id), ('System Name', 'vimsim-tor-switch'),
                    ('System Description', 'vimsim simulated top-of-rack switch'),
                    ('Management Address', '10.0.0.1'), ('Vlan ID', 1))])

    def _cdp(self, port_id):
        """What the upstream switch advertises over CDP."""
        T = self.T
        return T.PhysicalNicCdpInfo(
            cdpVersion=2, timeout=0, ttl=180, samples=1, devId='vimsim-tor-switch',
            address='10.0.0.1', portId=port_id,
            deviceCapability=T.PhysicalNicCdpDeviceCapability(
                router=False, transparentBridge=True, sourceRouteBridge=False,
                networkSwitch=True, host=False, igmpEnabled=True, repeater=False),
            softwareVersion='vimsim simulated top-of-rack switch', hardwarePlatform='vimsim',
            ipPrefix='10.0.0.0', ipPrefixLen=16, vlan=1, fullDuplex=True, mtu=1500,
            systemName='vimsim-tor-switch', systemOID='1.3.6.1.4.1.9.1', mgmtAddr='10.0.0.1',
            location='vimsim')


def dhcp_address(index, number):
    """What the simulated DHCP server leases a host's VMkernel NIC: 10.1.x.y."""
    n = index * 64 + number + 11
    return '10.1.%d.%d' % ((n // 250) % 250, n % 250)


def _vlan_subnet(vlan):
    """The address range seen on a VLAN: the management range on the native one."""
    if vlan == 0:
        return '10.0.0.1-10.0.255.254'
    return '10.%d.%d.1-10.%d.%d.254' % (100 + vlan // 256, vlan % 256, 100 + vlan // 256,
                                        vlan % 256)


# -- the host's standard Networks ------------------------------------------------------

def standard_network(datacenter, name):
    """The datacenter's standard Network `name`, made when it has none."""
    for network in datacenter.networks:
        if network.type_name == 'Network' and network.name == name:
            return network
    server = datacenter.server
    moid = 'HaNetwork-%s' % name if server.esx else server.objects.next_id('network-')
    folder = datacenter.network_folder
    network = Network(server, moid, name, folder)
    folder.changed('childEntity')
    datacenter.networks.append(network)
    datacenter.changed('network')
    return network


def sync_networks(host):
    """Link the host to the Networks of its VM portgroups, and unlink the
    others no VM on the host uses; a Network no host or VM uses goes."""
    wanted = host.netconfig.vm_portgroups()
    linked = {n.name: n for n in host.networks if n.type_name == 'Network'}
    datacenter = datacenter_of(host.server, host)
    changed = False
    for name in wanted:
        if name not in linked and datacenter is not None:
            network = standard_network(datacenter, name)
            network.hosts.append(host)
            host.networks.append(network)
            network.changed('host')
            changed = True
    for name, network in linked.items():
        if name in wanted or host.netconfig.vms_on(name):
            continue
        network.hosts.remove(host)
        host.networks.remove(network)
        network.changed('host')
        changed = True
        if not network.hosts and not network.vms:
            network.leave_inventory()
    if changed:
        compute = host.compute_resource
        if compute is not None:
            compute.changed('network')


def change_network(host, ctx, work, draft=False):
    """The one way a host's network configuration changes: `work(state)` on
    the host's state (on a copy swapped in only if `work` returns, when
    `draft`), then the Networks re-linked and the change reported to the
    host, its managers and, when the management address changed, in a
    HostIpChangedEvent. Returns what `work` returns."""
    if host.connection_state != 'connected':
        raise host_not_connected()
    state = host.netconfig
    address = state.management_ip()
    target = state.copy() if draft else state
    result = work(target)
    host.netconfig = target
    sync_networks(host)
    host.changed('config', 'summary', 'runtime', 'network')
    for manager in host.managers.made():
        manager.changed()
    if target.management_ip() != address:
        event_manager(host.server).post('HostIpChangedEvent', host, ctx=ctx,
                                        oldIP=address or '', newIP=target.management_ip() or '')
    return result


class HostNetworkSystem(HostManagerObject):
    """HostSystem.configManager.networkSystem."""
    type_name = 'HostNetworkSystem'

    @property
    def state(self):
        return self.host.netconfig

    @property
    def networkInfo(self):
        return self.state.info()

    @property
    def networkConfig(self):
        return self.state.config()

    @property
    def capabilities(self):
        return self.state.capabilities()

    @property
    def offloadCapabilities(self):
        return self.state.offload_capabilities()

    @property
    def dnsConfig(self):
        return self.state.dns

    @property
    def ipRouteConfig(self):
        return self.state.gateway

    consoleIpRouteConfig = None        # ESXi has no service console

    def _change(self, ctx, method, *args):
        """Run one HostNetworkState change on the host's state."""
        return change_network(self.host, ctx, lambda state: getattr(state, method)(*args))

    def AddVirtualSwitch(self, ctx, vswitchName, spec=None):
        self._change(ctx, 'add_switch', vswitchName, spec)

    def UpdateVirtualSwitch(self, ctx, vswitchName, spec):
        self._change(ctx, 'update_switch', vswitchName, spec)

    def RemoveVirtualSwitch(self, ctx, vswitchName):
        self._change(ctx, 'remove_switch', vswitchName)

    def AddPortGroup(self, ctx, portgrp):
        self._change(ctx, 'add_portgroup', portgrp)

    def UpdatePortGroup(self, ctx, pgName, portgrp):
        self._change(ctx, 'update_portgroup', pgName, portgrp)

    def RemovePortGroup(self, ctx, pgName):
        self._change(ctx, 'remove_portgroup', pgName)

    def AddVirtualNic(self, ctx, portgroup, nic):
        return self._change(ctx, 'add_vnic', portgroup, nic)

    def UpdateVirtualNic(self, ctx, device, nic):
        self._change(ctx, 'update_vnic', device, nic)

    def RemoveVirtualNic(self, ctx, device):
        self._change(ctx, 'remove_vnic', device)

    def UpdateDnsConfig(self, ctx, config):
        self._change(ctx, 'set_dns', config)

    def UpdateIpRouteConfig(self, ctx, config):
        self._change(ctx, 'set_gateway', config)

    def UpdateIpRouteTableConfig(self, ctx, config):
        self._change(ctx, 'update_routes', config)

    def UpdatePhysicalNicLinkSpeed(self, ctx, device, linkSpeed=None):
        self._change(ctx, 'set_link_speed', device, linkSpeed)

    def UpdateNetworkConfig(self, ctx, config, changeMode):
        """The whole request applies to a copy, which replaces the state only
        when all of it applied."""
        if changeMode not in ('modify', 'replace'):
            raise InvalidArgument('changeMode')
        added = change_network(self.host, ctx,
                               lambda state: state.apply(config, changeMode == 'replace'),
                               draft=True)
        return self.state.T.HostNetworkConfigResult(vnicDevice=added, consoleVnicDevice=[])

    def QueryNetworkHint(self, ctx, device=()):
        if self.host.connection_state != 'connected':
            raise host_not_connected()
        return self.state.hints(list(device))

    def RefreshNetworkSystem(self, ctx):
        """Nothing changes a simulated host's network behind the API, so
        there is nothing new to pick up."""
        if self.host.connection_state != 'connected':
            raise host_not_connected()

    # ESXi has no service console (HostNetCapabilities.usesServiceConsoleNic)
    def UpdateConsoleIpRouteConfig(self, ctx, config):
        raise not_supported('a service console')

    def AddServiceConsoleVirtualNic(self, ctx, portgroup, nic):
        raise not_supported('a service console')

    def UpdateServiceConsoleVirtualNic(self, ctx, device, nic):
        raise not_supported('a service console')

    def RemoveServiceConsoleVirtualNic(self, ctx, device):
        raise not_supported('a service console')

    def RestartServiceConsoleVirtualNic(self, ctx, device):
        raise not_supported('a service console')

    def startDpuFailover(self, ctx, dvsName, targetDpuAlias=None):
        """No switch of a simulated host is offloaded to a DPU."""
        raise InvalidArgument('dvsName')
