"""Host networking driven by pyVmomi as Ansible's vmware_vswitch /
vmware_portgroup / vmware_vmkernel and govc's host.* commands drive it:
HostNetworkSystem and HostVirtualNicManager change one network state that
host.config, networkSystem, host.network, the datacenter's Networks and a
second session's WaitForUpdatesEx all follow."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, logged_in
from tests.test_state import _restarted, _start, _stop, _stopped
from tests.watching import Watcher, paths_of


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


@pytest.fixture(scope='module')
def esx_sim(validator):
    return _simulator(validator, tls=False, esx=True)


@pytest.fixture
def dc(si):
    return si.RetrieveContent().rootFolder.childEntity[0]


def host_named(si, name):
    return next(h for h in all_of(si, vim.HostSystem) if h.name == name)


def network_named(dc, name):
    return next((n for n in dc.network if n.name == name and type(n) is vim.Network), None)


def bond(*nics):
    return vim.host.VirtualSwitch.BondBridge(
        nicDevice=list(nics), beacon=vim.host.VirtualSwitch.BeaconConfig(interval=1),
        linkDiscoveryProtocolConfig=vim.host.LinkDiscoveryProtocolConfig(
            protocol='cdp', operation='listen'))


def switch_spec(*nics, mtu=1500, active=None):
    """A vSwitch spec as vmware_vswitch builds one."""
    policy = vim.host.NetworkPolicy(nicTeaming=vim.host.NetworkPolicy.NicTeamingPolicy(
        policy='failover_explicit', nicOrder=vim.host.NetworkPolicy.NicOrderPolicy(
            activeNic=list(active if active is not None else nics), standbyNic=[])))
    return vim.host.VirtualSwitch.Specification(numPorts=128, mtu=mtu, bridge=bond(*nics),
                                                policy=policy)


def portgroup_spec(name, vswitch, vlan=0):
    return vim.host.PortGroup.Specification(name=name, vlanId=vlan, vswitchName=vswitch,
                                            policy=vim.host.NetworkPolicy())


def static_nic(address, mask='255.255.255.0', mtu=1500):
    return vim.host.VirtualNic.Specification(
        ip=vim.host.IpConfig(dhcp=False, ipAddress=address, subnetMask=mask), mtu=mtu)


def same(a, b):
    """pyVmomi data objects compare by identity: compare what they print."""
    return str(a) == str(b)


def fault_of(call, *args):
    with pytest.raises(vmodl.MethodFault) as raised:
        call(*args)
    return raised.value


def test_default_network_reads_one_truth(si):
    """The default host's vSwitch0, portgroups and vmk0, read the same
    through config.network and networkSystem; networkConfig is always set."""
    host = host_named(si, 'DC0_H0')
    ns = host.configManager.networkSystem
    info = ns.networkInfo
    assert same(info, host.config.network)
    [vswitch] = info.vswitch
    assert vswitch.name == 'vSwitch0' and vswitch.pnic == ['key-vim.host.PhysicalNic-vmnic0']
    assert {pg.spec.name for pg in info.portgroup} == {'VM Network', 'Management Network'}
    [vmk0] = info.vnic
    assert (vmk0.device, vmk0.portgroup, vmk0.spec.portgroup) == \
        ('vmk0', 'Management Network', 'Management Network')
    assert [p.device for p in info.pnic] == ['vmnic0', 'vmnic1', 'vmnic2', 'vmnic3']
    assert [p.pci for p in info.pnic][:2] == ['0000:0b:00.0', '0000:13:00.0']
    assert host.summary.hardware.numNics == 4
    assert info.routeTableInfo.ipRoute[0].network == '0.0.0.0'
    config = ns.networkConfig
    assert [s.name for s in config.vswitch] == ['vSwitch0']
    assert [v.device for v in config.vnic] == ['vmk0']
    assert same(ns.dnsConfig, info.dnsConfig) and same(ns.ipRouteConfig, info.ipRouteConfig)
    assert ns.capabilities.supportsVlan and ns.consoleIpRouteConfig is None
    assert [n.name for n in host.network if type(n) is vim.Network] == ['VM Network']
    # candidate VMkernel NICs are keyed by traffic type, as hostd keys them
    mgmt = host.configManager.virtualNicManager.QueryNetConfig('management')
    assert mgmt.candidateVnic[0].key == 'management.key-vim.host.VirtualNic-vmk0'
    assert mgmt.selectedVnic == ['management.key-vim.host.VirtualNic-vmk0']


def test_vswitch_portgroup_vmknic_flow(sim, si, dc):
    """The acceptance flow: a vSwitch with two uplinks, a VLAN 10 portgroup,
    a static vmknic on it selected for vMotion, DNS; read back through
    config and another session's WaitForUpdatesEx; a replay of networkConfig
    changes nothing."""
    host = host_named(si, 'DC0_C0_H2')
    ns = host.configManager.networkSystem
    vnm = host.configManager.virtualNicManager
    other = next(logged_in(sim))
    watcher = Watcher(other, host, vim.HostSystem,
                      ['config.network', 'network', 'summary.config.vmotionEnabled'])

    ns.AddVirtualSwitch('vSwitch1', switch_spec('vmnic1', 'vmnic2', mtu=9000))
    [vswitch] = [v for v in host.config.network.vswitch if v.name == 'vSwitch1']
    assert vswitch.mtu == 9000 and vswitch.spec.bridge.nicDevice == ['vmnic1', 'vmnic2']
    assert vswitch.pnic == ['key-vim.host.PhysicalNic-vmnic1', 'key-vim.host.PhysicalNic-vmnic2']
    assert vswitch.spec.policy.nicTeaming.policy == 'failover_explicit'
    assert vswitch.spec.policy.security.allowPromiscuous is False     # defaults filled in
    assert 'config.network' in paths_of(watcher.changes())

    ns.AddPortGroup(portgroup_spec('PG-VLAN10', 'vSwitch1', vlan=10))
    [pg] = [p for p in host.config.network.portgroup if p.spec.name == 'PG-VLAN10']
    assert pg.spec.vlanId == 10 and pg.vswitch == 'key-vim.host.VirtualSwitch-vSwitch1'
    assert pg.computedPolicy.nicTeaming.policy == 'failover_explicit'
    network = network_named(dc, 'PG-VLAN10')
    assert network is not None and network in host.network and host in network.host
    assert 'network' in paths_of(watcher.changes(lambda seen: 'network' in paths_of(seen)))

    device = ns.AddVirtualNic('PG-VLAN10', static_nic('192.168.10.5'))
    assert device == 'vmk1'
    [vmk1] = [v for v in host.config.network.vnic if v.device == 'vmk1']
    assert vmk1.spec.ip.ipAddress == '192.168.10.5' and vmk1.portgroup == 'PG-VLAN10'
    assert vmk1.spec.mac.startswith('00:50:56:') and vmk1.port
    [pg] = [p for p in host.config.network.portgroup if p.spec.name == 'PG-VLAN10']
    assert [p.key for p in pg.port] == [vmk1.port]
    # a VMkernel portgroup is no VM network: its Network goes with its last host
    assert network_named(dc, 'PG-VLAN10') is None
    assert [n.name for n in host.network if type(n) is vim.Network] == ['VM Network']

    vnm.SelectVnicForNicType('vmotion', 'vmk1')
    assert vnm.QueryNetConfig('vmotion').selectedVnic == ['vmotion.key-vim.host.VirtualNic-vmk1']
    assert host.summary.config.vmotionEnabled
    assert host.config.vmotion.ipConfig.ipAddress == '192.168.10.5'
    assert host.configManager.vmotionSystem.netConfig.selectedVnic == vmk1.key
    seen = watcher.changes(lambda seen: 'summary.config.vmotionEnabled' in paths_of(seen))
    assert ('summary.config.vmotionEnabled', True) in [(p, v) for _, _, p, _, v in seen]

    ns.UpdateDnsConfig(vim.host.DnsConfig(dhcp=False, hostName='esx-c0-h2',
                                          domainName='lab.example', address=['10.0.0.53'],
                                          searchDomain=['lab.example']))
    assert host.config.network.dnsConfig.hostName == 'esx-c0-h2'
    assert ns.dnsConfig.address == ['10.0.0.53']
    assert any(o.value == 'esx-c0-h2' for o in host.configManager.advancedOption.setting
               if o.key == 'Misc.HostName')
    watcher.changes()

    # idempotent: the configuration replayed as a whole changes nothing
    before = host.config.network
    result = ns.UpdateNetworkConfig(ns.networkConfig, 'replace')
    assert list(result.vnicDevice) == []
    assert same(host.config.network, before)
    assert watcher.changes(wait=1) == []
    vnm.SelectVnicForNicType('vmotion', 'vmk1')
    assert watcher.changes(wait=1) == []

    # taken apart again
    fault = fault_of(ns.RemovePortGroup, 'PG-VLAN10')
    assert isinstance(fault, vim.fault.ResourceInUse)
    ns.RemoveVirtualNic('vmk1')
    assert vnm.QueryNetConfig('vmotion').selectedVnic == []
    assert not host.summary.config.vmotionEnabled
    assert network_named(dc, 'PG-VLAN10') is not None     # a VM network again
    ns.RemoveVirtualSwitch('vSwitch1')
    assert [v.name for v in host.config.network.vswitch] == ['vSwitch0']
    assert network_named(dc, 'PG-VLAN10') is None


def test_switch_and_portgroup_faults(si):
    host = host_named(si, 'DC0_C0_H1')
    ns = host.configManager.networkSystem
    assert isinstance(fault_of(ns.AddVirtualSwitch, 'vSwitch0', None), vim.fault.AlreadyExists)
    # vmnic0 is vSwitch0's uplink
    assert isinstance(fault_of(ns.AddVirtualSwitch, 'vSwitchX', switch_spec('vmnic0')),
                      vim.fault.ResourceInUse)
    assert isinstance(fault_of(ns.AddVirtualSwitch, 'vSwitchX', switch_spec('vmnic9')),
                      vmodl.fault.InvalidArgument)
    assert isinstance(fault_of(ns.AddVirtualSwitch, 'vSwitchX',
                               switch_spec('vmnic1', active=['vmnic2'])),
                      vmodl.fault.InvalidArgument)
    assert isinstance(fault_of(ns.AddVirtualSwitch, 'vSwitchX', switch_spec('vmnic1', mtu=100)),
                      vmodl.fault.InvalidArgument)
    assert isinstance(fault_of(ns.UpdateVirtualSwitch, 'nope', switch_spec('vmnic1')),
                      vim.fault.NotFound)
    assert isinstance(fault_of(ns.RemoveVirtualSwitch, 'nope'), vim.fault.NotFound)
    assert isinstance(fault_of(ns.AddPortGroup, portgroup_spec('X', 'nope')), vim.fault.NotFound)
    assert isinstance(fault_of(ns.AddPortGroup, portgroup_spec('X', 'vSwitch0', 4096)),
                      vmodl.fault.InvalidArgument)
    assert isinstance(fault_of(ns.AddPortGroup, portgroup_spec('VM Network', 'vSwitch0')),
                      vim.fault.AlreadyExists)
    assert isinstance(fault_of(ns.RemovePortGroup, 'nope'), vim.fault.NotFound)
    # vmk0 is on Management Network (VMs in use: test_portgroups_share_the_datacenter_network)
    assert isinstance(fault_of(ns.RemovePortGroup, 'Management Network'),
                      vim.fault.ResourceInUse)
    assert isinstance(fault_of(ns.RemoveVirtualSwitch, 'vSwitch0'), vim.fault.ResourceInUse)
    assert [v.name for v in host.config.network.vswitch] == ['vSwitch0']
    # UpdateVirtualSwitch: teaming and shaping change; an uplink can move
    spec = host.config.network.vswitch[0].spec
    spec.policy.shapingPolicy = vim.host.NetworkPolicy.TrafficShapingPolicy(
        enabled=True, averageBandwidth=100000, peakBandwidth=50000, burstSize=1000)
    assert isinstance(fault_of(ns.UpdateVirtualSwitch, 'vSwitch0', spec),
                      vmodl.fault.InvalidArgument)
    spec.policy.shapingPolicy.peakBandwidth = 200000
    spec.bridge.nicDevice = ['vmnic0', 'vmnic3']
    ns.UpdateVirtualSwitch('vSwitch0', spec)
    [vswitch] = host.config.network.vswitch
    assert vswitch.spec.policy.shapingPolicy.enabled and len(vswitch.pnic) == 2
    assert [p for p in host.config.network.portgroup
            if p.spec.name == 'VM Network'][0].computedPolicy.shapingPolicy.enabled
    # a bare bond gets hostd's defaults: beacon probing, CDP listening (so hints show CDP)
    ns.AddVirtualSwitch('vSwitchB', vim.host.VirtualSwitch.Specification(
        numPorts=64, bridge=vim.host.VirtualSwitch.BondBridge(nicDevice=['vmnic1'])))
    [bare] = [v for v in host.config.network.vswitch if v.name == 'vSwitchB']
    assert bare.spec.bridge.beacon.interval == 1 and bare.mtu == 1500
    assert bare.spec.bridge.linkDiscoveryProtocolConfig.operation == 'listen'
    assert bare.spec.policy.nicTeaming.nicOrder.activeNic == ['vmnic1']
    assert ns.QueryNetworkHint(['vmnic1'])[0].connectedSwitchPort is not None
    ns.RemoveVirtualSwitch('vSwitchB')


def test_portgroups_share_the_datacenter_network(si, dc):
    """Hosts adding a portgroup of one name join one Network; it goes with
    the last host's portgroup. A VM on it keeps the portgroup in use."""
    hosts = [host_named(si, 'DC0_C0_H0'), host_named(si, 'DC0_C0_H1')]
    for host in hosts:
        host.configManager.networkSystem.AddPortGroup(portgroup_spec('Shared', 'vSwitch0', 30))
    network = network_named(dc, 'Shared')
    assert set(network.host) == set(hosts)
    assert network in hosts[0].parent.network
    vm = next(vm for vm in hosts[0].vm)
    nic = vim.vm.device.VirtualVmxnet3(
        key=-1, backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(
            deviceName='Shared'))
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        vim.vm.device.VirtualDeviceSpec(operation='add', device=nic)])))
    assert network in vm.network and vm in network.vm
    ns = hosts[0].configManager.networkSystem
    assert isinstance(fault_of(ns.RemovePortGroup, 'Shared'), vim.fault.ResourceInUse)
    added = [d for d in vm.config.hardware.device
             if isinstance(d, vim.vm.device.VirtualEthernetCard) and
             getattr(d.backing, 'deviceName', None) == 'Shared']
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        vim.vm.device.VirtualDeviceSpec(operation='remove', device=added[0])])))
    ns.RemovePortGroup('Shared')
    assert set(network.host) == {hosts[1]}
    hosts[1].configManager.networkSystem.RemovePortGroup('Shared')
    assert network_named(dc, 'Shared') is None


def test_update_portgroup_renames_and_retags(si, dc):
    """UpdatePortGroup: a new VLAN and name; the Network and a vmknic follow."""
    host = host_named(si, 'DC0_H0')
    ns = host.configManager.networkSystem
    ns.AddPortGroup(portgroup_spec('Old', 'vSwitch0', 40))
    assert network_named(dc, 'Old') is not None
    assert isinstance(fault_of(ns.UpdatePortGroup, 'Old', portgroup_spec('VM Network', 'vSwitch0')),
                      vim.fault.AlreadyExists)
    assert isinstance(fault_of(ns.UpdatePortGroup, 'Nope', portgroup_spec('X', 'vSwitch0')),
                      vim.fault.NotFound)
    ns.UpdatePortGroup('Old', portgroup_spec('New', 'vSwitch0', 41))
    assert network_named(dc, 'Old') is None and network_named(dc, 'New') is not None
    [pg] = [p for p in host.config.network.portgroup if p.spec.name == 'New']
    assert pg.spec.vlanId == 41 and pg.key == 'key-vim.host.PortGroup-New'
    device = ns.AddVirtualNic('New', static_nic('10.41.0.2'))
    ns.UpdatePortGroup('New', portgroup_spec('Newer', 'vSwitch0', 41))
    [vnic] = [v for v in host.config.network.vnic if v.device == device]
    assert vnic.portgroup == vnic.spec.portgroup == 'Newer'
    ns.RemoveVirtualNic(device)
    ns.RemovePortGroup('Newer')
    assert network_named(dc, 'Newer') is None


def test_vmknic_faults_and_updates(si):
    host = host_named(si, 'DC0_C0_H1')
    ns = host.configManager.networkSystem
    ns.AddPortGroup(portgroup_spec('vmk-pg', 'vSwitch0'))
    assert isinstance(fault_of(ns.AddVirtualNic, 'nope', static_nic('10.9.0.2')),
                      vim.fault.HostConfigFault)
    assert isinstance(fault_of(ns.AddVirtualNic, 'vmk-pg', static_nic('10.9.0.300')),
                      vmodl.fault.InvalidArgument)
    assert isinstance(fault_of(ns.AddVirtualNic, 'vmk-pg', static_nic('10.9.0.2', '255.0.255.0')),
                      vmodl.fault.InvalidArgument)
    assert isinstance(fault_of(ns.AddVirtualNic, 'Management Network', static_nic('10.9.0.2')),
                      vim.fault.AlreadyExists)
    device = ns.AddVirtualNic('vmk-pg', vim.host.VirtualNic.Specification(
        ip=vim.host.IpConfig(dhcp=True)))
    [vnic] = [v for v in host.config.network.vnic if v.device == device]
    assert vnic.spec.ip.dhcp and vnic.spec.ip.ipAddress.startswith('10.1.')
    # to static, MTU 9000, an IPv6 address added
    ns.UpdateVirtualNic(device, vim.host.VirtualNic.Specification(
        mtu=9000, ip=vim.host.IpConfig(
            dhcp=False, ipAddress='10.9.0.2', subnetMask='255.255.255.0',
            ipV6Config=vim.host.IpConfig.IpV6AddressConfiguration(ipV6Address=[
                vim.host.IpConfig.IpV6Address(ipAddress='fd00::2', prefixLength=64,
                                              operation='add')]))))
    [vnic] = [v for v in host.config.network.vnic if v.device == device]
    assert (vnic.spec.mtu, vnic.spec.ip.ipAddress, vnic.spec.ip.dhcp) == (9000, '10.9.0.2', False)
    assert [a.ipAddress for a in vnic.spec.ip.ipV6Config.ipV6Address] == ['fd00::2']
    routes = host.config.network.routeTableInfo
    assert ('10.9.0.0', 24, device) in [(r.network, r.prefixLength, r.deviceName)
                                         for r in routes.ipRoute]
    assert ('fd00::', 64) in [(r.network, r.prefixLength) for r in routes.ipv6Route]
    assert isinstance(fault_of(ns.UpdateVirtualNic, 'vmk99', static_nic('10.9.0.3')),
                      vim.fault.NotFound)
    assert isinstance(fault_of(ns.UpdateVirtualNic, device, vim.host.VirtualNic.Specification(
        mac='00:11:22:33:44:55')), vmodl.fault.InvalidArgument)
    ns.RemoveVirtualNic(device)
    assert isinstance(fault_of(ns.RemoveVirtualNic, device), vim.fault.NotFound)
    ns.RemovePortGroup('vmk-pg')


def test_vmknic_on_a_dvs_port(si, dc):
    """A vmknic on a distributed portgroup: the connection is checked
    against the switch's portgroups and kept."""
    host = host_named(si, 'DC0_H0')
    ns = host.configManager.networkSystem
    pg = next(n for n in dc.network if n.name == 'DC0_DVPG0')
    uuid = pg.config.distributedVirtualSwitch.uuid

    def nic(key, switch=uuid):
        return vim.host.VirtualNic.Specification(
            ip=vim.host.IpConfig(dhcp=False, ipAddress='10.20.0.5', subnetMask='255.255.0.0'),
            distributedVirtualPort=vim.dvs.PortConnection(switchUuid=switch, portgroupKey=key))
    assert isinstance(fault_of(ns.AddVirtualNic, '', nic('dvportgroup-nope')),
                      vmodl.fault.InvalidArgument)
    assert isinstance(fault_of(ns.AddVirtualNic, '', nic(pg.key, 'no such switch')),
                      vmodl.fault.InvalidArgument)
    device = ns.AddVirtualNic('', nic(pg.key))
    [vnic] = [v for v in host.config.network.vnic if v.device == device]
    assert vnic.portgroup == '' and vnic.spec.distributedVirtualPort.portgroupKey == pg.key
    assert vnic.spec.distributedVirtualPort.switchUuid == uuid
    ns.RemoveVirtualNic(device)


def test_update_network_config_is_all_or_nothing(si, dc):
    host = host_named(si, 'DC0_C0_H0')
    ns = host.configManager.networkSystem
    before = host.config.network
    config = vim.host.NetworkConfig(
        vswitch=[vim.host.VirtualSwitch.Config(changeOperation='add', name='vSwitch7',
                                               spec=switch_spec('vmnic2'))],
        portgroup=[vim.host.PortGroup.Config(changeOperation='add',
                                             spec=portgroup_spec('pg7', 'vSwitch7', 7))],
        vnic=[vim.host.VirtualNic.Config(changeOperation='add', portgroup='pg7',
                                         spec=static_nic('10.7.0.2'))],
        ipRouteConfig=vim.host.IpRouteConfig(defaultGateway='10.0.0.254', gatewayDevice='vmk0'))
    bad = vim.host.NetworkConfig(vswitch=config.vswitch, portgroup=config.portgroup + [
        vim.host.PortGroup.Config(changeOperation='add', spec=portgroup_spec('pg8', 'nope'))])
    assert isinstance(fault_of(ns.UpdateNetworkConfig, bad, 'modify'), vim.fault.NotFound)
    assert same(host.config.network, before)
    result = ns.UpdateNetworkConfig(config, 'modify')
    assert list(result.vnicDevice) == ['vmk1']
    network = host.config.network
    assert 'vSwitch7' in [v.name for v in network.vswitch]
    assert network.ipRouteConfig.defaultGateway == '10.0.0.254'
    assert [v.portgroup for v in network.vnic if v.device == 'vmk1'] == ['pg7']
    removal = vim.host.NetworkConfig(
        vnic=[vim.host.VirtualNic.Config(changeOperation='remove', device='vmk1',
                                         portgroup='pg7')],
        portgroup=[vim.host.PortGroup.Config(changeOperation='remove',
                                             spec=portgroup_spec('pg7', 'vSwitch7'))],
        vswitch=[vim.host.VirtualSwitch.Config(changeOperation='remove', name='vSwitch7')],
        ipRouteConfig=before.ipRouteConfig)
    ns.UpdateNetworkConfig(removal, 'modify')
    assert same(host.config.network, before)
    assert isinstance(fault_of(ns.UpdateNetworkConfig, vim.host.NetworkConfig(), 'merge'),
                      vmodl.fault.InvalidArgument)


def test_dns_routes_hints_and_link_speed(si):
    host = host_named(si, 'DC0_H0')
    ns = host.configManager.networkSystem
    assert isinstance(fault_of(ns.UpdateDnsConfig, vim.host.DnsConfig(
        dhcp=True, virtualNicDevice='vmk9', hostName='h', domainName='d')), vim.fault.NotFound)
    assert isinstance(fault_of(ns.UpdateDnsConfig, vim.host.DnsConfig(
        dhcp=False, hostName='bad name', domainName='d')), vmodl.fault.InvalidArgument)
    assert isinstance(fault_of(ns.UpdateIpRouteConfig, vim.host.IpRouteConfig(
        defaultGateway='10.0.0.1', gatewayDevice='vmk9')), vmodl.fault.InvalidArgument)
    route = vim.host.IpRouteEntry(network='172.16.0.0', prefixLength=12, gateway='10.0.0.1')
    ns.UpdateIpRouteTableConfig(vim.host.IpRouteTableConfig(ipRoute=[
        vim.host.IpRouteOp(changeOperation='add', route=route)]))
    table = host.config.network.routeTableInfo.ipRoute
    assert ('172.16.0.0', 12) in [(r.network, r.prefixLength) for r in table]
    assert [op.route.network for op in ns.networkConfig.routeTableConfig.ipRoute] == \
        ['172.16.0.0']
    assert isinstance(fault_of(ns.UpdateIpRouteTableConfig, vim.host.IpRouteTableConfig(ipRoute=[
        vim.host.IpRouteOp(changeOperation='add', route=route)])), vmodl.fault.InvalidArgument)
    ns.UpdateIpRouteTableConfig(vim.host.IpRouteTableConfig(ipRoute=[
        vim.host.IpRouteOp(changeOperation='remove', route=route)]))
    assert ('172.16.0.0', 12) not in [(r.network, r.prefixLength)
                                      for r in host.config.network.routeTableInfo.ipRoute]
    [hint] = ns.QueryNetworkHint(['vmnic0'])
    assert hint.device == 'vmnic0' and hint.connectedSwitchPort.devId
    assert [n.network for n in hint.network] == ['VM Network', 'Management Network']
    assert len(ns.QueryNetworkHint()) == 4
    assert isinstance(fault_of(ns.QueryNetworkHint, ['vmnic9']), vim.fault.NotFound)
    ns.UpdatePhysicalNicLinkSpeed('vmnic1', vim.host.PhysicalNic.LinkSpeedDuplex(
        speedMb=10000, duplex=True))
    assert isinstance(fault_of(ns.UpdatePhysicalNicLinkSpeed, 'vmnic1',
                               vim.host.PhysicalNic.LinkSpeedDuplex(speedMb=100, duplex=True)),
                      vmodl.fault.InvalidArgument)
    assert isinstance(fault_of(ns.UpdatePhysicalNicLinkSpeed, 'vmnic9', None),
                      vim.fault.NotFound)
    assert isinstance(fault_of(ns.AddServiceConsoleVirtualNic, 'VM Network', static_nic('1.2.3.4')),
                      vmodl.fault.NotSupported)
    ns.RefreshNetworkSystem()


def test_dns_through_the_default_netstack(si):
    """vmware_host_dns's way: UpdateNetworkConfig editing defaultTcpipStack."""
    host = host_named(si, 'DC0_C0_H0')
    ns = host.configManager.networkSystem
    stack = vim.host.NetStackInstance(
        key='defaultTcpipStack', congestionControlAlgorithm='cubic',
        dnsConfig=vim.host.DnsConfig(dhcp=False, hostName='esx-dns', domainName='dns.example',
                                     address=['10.0.0.54']))
    ns.UpdateNetworkConfig(vim.host.NetworkConfig(netStackSpec=[
        vim.host.NetworkConfig.NetStackSpec(operation='edit', netStackInstance=stack)]), 'modify')
    [default] = [s for s in host.config.network.netStackInstance if s.key == 'defaultTcpipStack']
    assert default.dnsConfig.hostName == 'esx-dns' and ns.dnsConfig.address == ['10.0.0.54']
    assert default.congestionControlAlgorithm == 'cubic'
    stack.congestionControlAlgorithm = 'bbr'
    assert isinstance(fault_of(ns.UpdateNetworkConfig, vim.host.NetworkConfig(netStackSpec=[
        vim.host.NetworkConfig.NetStackSpec(operation='edit', netStackInstance=stack)]),
        'modify'), vmodl.fault.InvalidArgument)
    assert isinstance(fault_of(ns.UpdateNetworkConfig, vim.host.NetworkConfig(netStackSpec=[
        vim.host.NetworkConfig.NetStackSpec(operation='edit', netStackInstance=vim.host.
                                            NetStackInstance(key='nope'))]), 'modify'),
        vim.fault.NotFound)
    assert ns.dnsConfig.hostName == 'esx-dns'


def test_nic_type_selection(si):
    host = host_named(si, 'DC0_C0_H1')
    vnm = host.configManager.virtualNicManager
    types = [c.nicType for c in vnm.info.netConfig]
    assert {'management', 'vmotion', 'faultToleranceLogging', 'vSphereProvisioning'} <= set(types)
    assert isinstance(fault_of(vnm.QueryNetConfig, 'nope'), vmodl.fault.InvalidArgument)
    assert isinstance(fault_of(vnm.SelectVnicForNicType, 'vmotion', 'vmk9'),
                      vmodl.fault.InvalidArgument)
    vnm.SelectVnicForNicType('faultToleranceLogging', 'faultToleranceLogging.'
                             'key-vim.host.VirtualNic-vmk0')
    assert host.summary.config.faultToleranceEnabled
    vnm.DeselectVnicForNicType('faultToleranceLogging', 'vmk0')
    assert vnm.QueryNetConfig('faultToleranceLogging').selectedVnic == []
    assert not host.summary.config.faultToleranceEnabled


def test_ipv6_disabled_at_reboot(si):
    """ipV6Enabled changes at the next boot; then IPv6 settings answer InvalidState."""
    host = host_named(si, 'DC0_C0_H2')
    ns = host.configManager.networkSystem
    ns.UpdateNetworkConfig(vim.host.NetworkConfig(ipV6Enabled=False), 'modify')
    info = host.config.network
    assert info.ipV6Enabled and not info.atBootIpV6Enabled
    WaitForTask(host.RebootHost_Task(force=True))
    assert not host.config.network.ipV6Enabled
    v6 = vim.host.IpConfig(dhcp=False, ipAddress='10.0.9.9', subnetMask='255.255.0.0',
                           ipV6Config=vim.host.IpConfig.IpV6AddressConfiguration(ipV6Address=[
                               vim.host.IpConfig.IpV6Address(ipAddress='fd00::9',
                                                             prefixLength=64)]))
    assert isinstance(fault_of(ns.UpdateVirtualNic, 'vmk0', vim.host.VirtualNic.Specification(
        ip=v6)), vim.fault.InvalidState)
    ns.UpdateNetworkConfig(vim.host.NetworkConfig(ipV6Enabled=True), 'modify')
    WaitForTask(host.RebootHost_Task(force=True))
    assert host.config.network.ipV6Enabled


def test_management_address_change_posts_host_ip_changed(si):
    """vmk0's new address is the host's: HostIpChangedEvent, as vCenter posts it."""
    host = host_named(si, 'DC0_C0_H2')
    ns = host.configManager.networkSystem
    old = [v for v in host.config.network.vnic if v.device == 'vmk0'][0].spec.ip
    ns.UpdateVirtualNic('vmk0', static_nic('10.0.99.2', '255.255.0.0'))
    ns.UpdateVirtualNic('vmk0', vim.host.VirtualNic.Specification(mtu=1500))   # no new address
    events = si.RetrieveContent().eventManager.QueryEvents(vim.event.EventFilterSpec(
        type=[vim.event.HostIpChangedEvent], entity=vim.event.EventFilterSpec.ByEntity(
            entity=host, recursion='self')))
    assert [(e.oldIP, e.newIP) for e in events] == [(old.ipAddress, '10.0.99.2')]
    assert events[0].host.host == host
    ns.UpdateVirtualNic('vmk0', static_nic(old.ipAddress, old.subnetMask))


def test_disconnected_host_answers_host_not_connected(si):
    host = host_named(si, 'DC0_C0_H2')
    WaitForTask(host.DisconnectHost_Task())
    try:
        ns = host.configManager.networkSystem
        assert isinstance(fault_of(ns.AddPortGroup, portgroup_spec('X', 'vSwitch0')),
                          vmodl.fault.HostNotConnected)
        assert isinstance(fault_of(host.configManager.virtualNicManager.SelectVnicForNicType,
                                   'vmotion', 'vmk0'), vmodl.fault.HostNotConnected)
    finally:
        WaitForTask(host.ReconnectHost_Task())


def test_esx_portgroup_makes_a_ha_network(esx_sim):
    """On ESX, a new VM portgroup is a HaNetwork-<name> network."""
    si = next(logged_in(esx_sim))
    host = all_of(si, vim.HostSystem)[0]
    ns = host.configManager.networkSystem
    ns.AddPortGroup(portgroup_spec('Lab', 'vSwitch0', 5))
    [lab] = [n for n in host.network if n.name == 'Lab']
    assert lab._moId == 'HaNetwork-Lab'
    ns.RemovePortGroup('Lab')
    assert 'Lab' not in [n.name for n in host.network]


def test_network_changes_survive_a_restart(validator, tmp_path):
    """With -state, the journal replays every network change: the same
    switches, vmknics, selections, Networks and moids after a restart."""
    first = _start(validator, tmp_path)
    si = first.connect()
    host = host_named(si, 'DC0_H0')
    ns = host.configManager.networkSystem
    ns.AddVirtualSwitch('vSwitch1', switch_spec('vmnic1'))
    ns.AddPortGroup(portgroup_spec('Kept', 'vSwitch1', 12))
    ns.AddPortGroup(portgroup_spec('vmk-pg', 'vSwitch1'))
    device = ns.AddVirtualNic('vmk-pg', static_nic('192.168.12.5'))
    host.configManager.virtualNicManager.SelectVnicForNicType('vmotion', device)
    second = _restarted(validator, tmp_path, _stopped(first))
    try:
        si = second.connect()
        host = host_named(si, 'DC0_H0')
        assert 'vSwitch1' in [v.name for v in host.config.network.vswitch]
        assert 'Kept' in [n.name for n in host.network]
    finally:
        _stop(second)
