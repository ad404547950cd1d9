"""Network, OpaqueNetwork, DistributedVirtualSwitch
(VmwareDistributedVirtualSwitch) and DistributedVirtualPortgroup.

Primary state: names, the hosts attached, the VMs connected (kept by the VMs'
placement), port keys. Summaries, `host`, `vm` and the DVS's host members are
computed on read.

NSX, as vcsim models it: `-nsx` builds OpaqueNetworks (NSX segments seen
through an N-VDS; summary type `nsx.LogicalSwitch`), which the hosts list in
`config.network.opaqueNetwork` beside the N-VDS in `opaqueSwitch`; `-pg-nsx`
builds DVPortgroups with `backingType` 'nsx', a logical switch uuid and a
segment path, whose switch's host members are then NSX switches in an
overlay transport zone. Every NSX id derives from the names, so the same
options give the same ids.
"""
import uuid as uuid_module

from vimsim import clock
from vimsim.managed.entity import ManagedEntity, data_types, refs

DVS_VERSION = '8.0.3'
DVS_BUILD = '24022515'

# NSX: ids derived from names; the default overlay transport zone of NSX 4
_NSX_NAMESPACE = uuid_module.UUID('0b7e5d3c-1f2a-4c6b-8d9e-3a4b5c6d7e8f')
NSX_TRANSPORT_ZONE_NAME = 'nsx-overlay-transportzone'
NSX_LOGICAL_SWITCH = 'nsx.LogicalSwitch'
NSX_HOST_SWITCH_NAME = 'nsxvswitch'


def nsx_uuid(*names):
    """A deterministic NSX object uuid (8-4-4-4-12) for the names."""
    return str(uuid_module.uuid5(_NSX_NAMESPACE, '/'.join(names)))


def nsx_transport_zone_uuid():
    return nsx_uuid('transport-zone', NSX_TRANSPORT_ZONE_NAME)


class Network(ManagedEntity):
    type_name = 'Network'

    def __init__(self, server, moid, name, folder):
        super().__init__(server, moid, name, folder)
        folder.add_child(self)
        self.hosts = []
        self.vms = []

    @property
    def host(self):
        return refs(self.hosts)

    @property
    def vm(self):
        return refs(self.vms)

    @property
    def summary(self):
        return self.T.NetworkSummary(network=self.ref, name=self.name, accessible=True,
                                     ipPoolName='')

    def nic_backing(self, vm):
        """The backing of a VM NIC on this network."""
        return self.T.VirtualEthernetCardNetworkBackingInfo(
            deviceName=self.name, useAutoDetect=False, network=self.ref)


class OpaqueNetwork(Network):
    """An NSX segment as vCenter sees it through an N-VDS (vcsim's -nsx)."""
    type_name = 'OpaqueNetwork'

    def __init__(self, server, moid, name, folder, opaque_id=None,
                 opaque_type=NSX_LOGICAL_SWITCH):
        super().__init__(server, moid, name, folder)
        self.opaque_id = opaque_id or nsx_uuid('segment', name)
        self.opaque_type = opaque_type

    @property
    def segment_path(self):
        return '/infra/segments/%s' % self.name

    @property
    def summary(self):
        return self.T.OpaqueNetworkSummary(
            network=self.ref, name=self.name, accessible=True, ipPoolName='',
            opaqueNetworkId=self.opaque_id, opaqueNetworkType=self.opaque_type)

    @property
    def capability(self):
        return self.T.OpaqueNetworkCapability(networkReservationSupported=False)

    @property
    def extraConfig(self):
        return [self.T.OptionValue(key='com.vmware.opaquenetwork.segment.path',
                                   value=self.segment_path)]

    def nic_backing(self, vm):
        return self.T.VirtualEthernetCardOpaqueNetworkBackingInfo(
            opaqueNetworkId=self.opaque_id, opaqueNetworkType=self.opaque_type)

    def host_info(self, switch_key):
        """This network's entry in a host's `config.network.opaqueNetwork`."""
        T = self.T
        return T.HostOpaqueNetworkInfo(
            opaqueNetworkId=self.opaque_id, opaqueNetworkName=self.name,
            opaqueNetworkType=self.opaque_type, pnicZone=[switch_key],
            capability=self.capability, extraConfig=self.extraConfig)


def host_nsx_network_info(host):
    """(opaqueSwitch, opaqueNetwork, nsxTransportNodeId) for a host's
    HostNetworkInfo: the N-VDS and its segments when the host has opaque
    networks; a transport node id when it has those or an NSX backed
    portgroup; ([], [], None) on a host without NSX."""
    opaque = [n for n in host.networks if isinstance(n, OpaqueNetwork)]
    nsx_pg = any(getattr(n, 'backing_type', None) == 'nsx' for n in host.networks)
    node = nsx_uuid('transport-node', host.ref.value, host.name) if opaque or nsx_pg else None
    if not opaque:
        return [], [], node
    T = data_types(host.server)
    key = nsx_uuid('host-switch', NSX_HOST_SWITCH_NAME)
    switch = T.HostOpaqueSwitch(
        key=key, name=NSX_HOST_SWITCH_NAME, pnic=[], pnicZone=[], status='up', vtep=[],
        extraConfig=[], featureCapability=[])
    return [switch], [n.host_info(key) for n in opaque], node


def _dvs_uuid(text):
    """'50 2e 7d 6b 1f 3a 4c 9d-8e 11 22 33 44 55 66 77' from a uuid string."""
    hexes = text.replace('-', '')
    pairs = [hexes[i:i + 2] for i in range(0, 32, 2)]
    return ' '.join(pairs[:8]) + '-' + ' '.join(pairs[8:])


class DistributedVirtualSwitch(ManagedEntity):
    type_name = 'VmwareDistributedVirtualSwitch'

    def __init__(self, server, moid, name, folder, uuid_text):
        super().__init__(server, moid, name, folder)
        folder.add_child(self)
        self.uuid = _dvs_uuid(uuid_text)
        self.portgroups = []   # DistributedVirtualPortgroup objects, uplink first
        self.hosts = []
        self.uplink_portgroup = None
        self.created = clock.now()
        self._next_port = 0

    def allocate_ports(self, count):
        keys = [str(self._next_port + i) for i in range(count)]
        self._next_port += count
        return keys

    @property
    def portgroup(self):
        return refs(self.portgroups)

    def nsx_enabled(self):
        """Whether NSX backs any of this switch's portgroups (its host members
        are then NSX switches)."""
        return any(pg.backing_type == 'nsx' for pg in self.portgroups)

    def product_spec(self):
        return self.T.DistributedVirtualSwitchProductSpec(
            name='DVS', vendor='VMware, Inc.', version=DVS_VERSION, build=DVS_BUILD)

    @property
    def numPorts(self):
        return sum(pg.numPorts for pg in self.portgroups)

    def member_refs(self):
        return refs(self.hosts)

    @property
    def config(self):
        T = self.T
        uplink_names = ['uplink%d' % (i + 1) for i in range(4)]
        nsx = self.nsx_enabled()
        zones = [T.DistributedVirtualSwitchHostMemberTransportZoneInfo(
            uuid=nsx_transport_zone_uuid(), type='overlay')] if nsx else None
        nsx_uplinks = uplink_names[:2] if nsx else None
        members = []
        for host in self.hosts:
            members.append(T.DistributedVirtualSwitchHostMember(
                runtimeState=T.DistributedVirtualSwitchHostMemberRuntimeState(
                    currentMaxProxySwitchPorts=512),
                config=T.DistributedVirtualSwitchHostMemberConfigInfo(
                    host=host.ref, maxProxySwitchPorts=512,
                    backing=T.DistributedVirtualSwitchHostMemberPnicBacking(pnicSpec=[]),
                    nsxSwitch=nsx, ensEnabled=False, ensInterruptEnabled=False,
                    transportZones=zones, nsxtUsedUplinkNames=nsx_uplinks,
                    networkOffloadingEnabled=False),
                productInfo=self.product_spec(),
                uplinkPortKey=self.uplink_portgroup.host_uplink_ports(host),
                status='up'))
        return T.VMwareDVSConfigInfo(
            uuid=self.uuid, name=self.name, numStandalonePorts=0, numPorts=self.numPorts,
            maxPorts=2147483647,
            uplinkPortPolicy=T.DVSNameArrayUplinkPortPolicy(uplinkPortName=uplink_names),
            uplinkPortgroup=[self.uplink_portgroup.ref] if self.uplink_portgroup else [],
            defaultPortConfig=port_setting(T, uplink_names),
            host=members, productInfo=self.product_spec(), extensionKey=None,
            policy=T.DVSPolicy(autoPreInstallAllowed=False, autoUpgradeAllowed=False,
                               partialUpgradeAllowed=False),
            configVersion='%d' % len(self.hosts), contact=T.DVSContactInfo(name='', contact=''),
            createTime=self.created, networkResourceManagementEnabled=True,
            defaultProxySwitchMaxNumPorts=512, networkResourceControlVersion='version3',
            pnicCapacityRatioForReservation=0, maxMtu=1500,
            linkDiscoveryProtocolConfig=T.LinkDiscoveryProtocolConfig(protocol='cdp',
                                                                      operation='listen'),
            ipfixConfig=T.VMwareIpfixConfig(activeFlowTimeout=60, idleFlowTimeout=15,
                                            samplingRate=4096, internalFlowsOnly=False),
            lacpApiVersion='multipleLag', multicastFilteringMode='legacyFiltering',
            healthCheckConfig=[T.VMwareDVSVlanMtuHealthCheckConfig(enable=False, interval=1),
                               T.VMwareDVSTeamingHealthCheckConfig(enable=False, interval=1)])

    @property
    def summary(self):
        vms = []
        for pg in self.portgroups:
            vms.extend(pg.vms)
        return self.T.DVSSummary(
            name=self.name, uuid=self.uuid, numPorts=self.numPorts,
            productInfo=self.product_spec(), hostMember=refs(self.hosts),
            vm=refs(vms) or None, host=refs(self.hosts) or None,
            portgroupName=[pg.name for pg in self.portgroups], description='',
            numHosts=len(self.hosts))

    @property
    def capability(self):
        T = self.T
        return T.DVSCapability(
            dvsOperationSupported=True, dvPortGroupOperationSupported=True,
            dvPortOperationSupported=True,
            featuresSupported=T.VMwareDVSFeatureCapability(
                networkResourceManagementSupported=True, vmDirectPathGen2Supported=False,
                nicTeamingPolicy=['loadbalance_ip', 'loadbalance_srcmac', 'loadbalance_srcid',
                                  'failover_explicit', 'loadbalance_loadbased'],
                networkResourcePoolHighShareValue=100, networkFilterSupported=True,
                macLearningSupported=True, vspanSupported=True, lldpSupported=True,
                ipfixSupported=True, multicastSnoopingSupported=True))

    @property
    def runtime(self):
        T = self.T
        return T.DVSRuntimeInfo(hostMemberRuntime=[
            T.HostMemberRuntimeInfo(host=host.ref, status='up') for host in self.hosts])

    networkResourcePool = ()


def port_setting(T, uplink_names, vlan_id=0):
    return T.VMwareDVSPortSetting(
        blocked=T.BoolPolicy(inherited=False, value=False),
        vmDirectPathGen2Allowed=T.BoolPolicy(inherited=False, value=False),
        inShapingPolicy=_shaping(T), outShapingPolicy=_shaping(T),
        networkResourcePoolKey=T.StringPolicy(inherited=False, value='-1'),
        filterPolicy=T.DvsFilterPolicy(inherited=False),
        vlan=T.VmwareDistributedVirtualSwitchVlanIdSpec(inherited=False, vlanId=vlan_id),
        uplinkTeamingPolicy=T.VmwareUplinkPortTeamingPolicy(
            inherited=False, policy=T.StringPolicy(inherited=False, value='loadbalance_srcid'),
            reversePolicy=T.BoolPolicy(inherited=False, value=True),
            notifySwitches=T.BoolPolicy(inherited=False, value=True),
            rollingOrder=T.BoolPolicy(inherited=False, value=False),
            failureCriteria=T.DVSFailureCriteria(
                inherited=False, checkSpeed=T.StringPolicy(inherited=False, value='minimum'),
                speed=T.IntPolicy(inherited=False, value=10),
                checkDuplex=T.BoolPolicy(inherited=False, value=False),
                fullDuplex=T.BoolPolicy(inherited=False, value=False),
                checkErrorPercent=T.BoolPolicy(inherited=False, value=False),
                percentage=T.IntPolicy(inherited=False, value=0),
                checkBeacon=T.BoolPolicy(inherited=False, value=False)),
            uplinkPortOrder=T.VMwareUplinkPortOrderPolicy(
                inherited=False, activeUplinkPort=list(uplink_names), standbyUplinkPort=[])),
        securityPolicy=T.DVSSecurityPolicy(
            inherited=False, allowPromiscuous=T.BoolPolicy(inherited=False, value=False),
            macChanges=T.BoolPolicy(inherited=False, value=False),
            forgedTransmits=T.BoolPolicy(inherited=False, value=False)),
        ipfixEnabled=T.BoolPolicy(inherited=False, value=False),
        txUplink=T.BoolPolicy(inherited=False, value=False),
        lacpPolicy=T.VMwareUplinkLacpPolicy(inherited=False,
                                            enable=T.BoolPolicy(inherited=False, value=False),
                                            mode=T.StringPolicy(inherited=False, value='passive')),
        macManagementPolicy=T.DVSMacManagementPolicy(
            inherited=False, allowPromiscuous=False, macChanges=False, forgedTransmits=False,
            macLearningPolicy=T.DVSMacLearningPolicy(inherited=False, enabled=False)))


def _shaping(T):
    return T.DVSTrafficShapingPolicy(
        inherited=False, enabled=T.BoolPolicy(inherited=False, value=False),
        averageBandwidth=T.LongPolicy(inherited=False, value=100000000),
        peakBandwidth=T.LongPolicy(inherited=False, value=100000000),
        burstSize=T.LongPolicy(inherited=False, value=104857600))


class DistributedVirtualPortgroup(Network):
    type_name = 'DistributedVirtualPortgroup'

    def __init__(self, server, moid, name, folder, dvs, num_ports=8, uplink=False,
                 pg_type='earlyBinding', backing_type='standard'):
        super().__init__(server, moid, name, folder)
        self.dvs = dvs
        self.key = moid
        self.uplink = uplink
        self.pg_type = pg_type
        self.backing_type = backing_type
        self.port_keys = dvs.allocate_ports(num_ports)
        self._used = {}     # vm moid -> port key
        self._next_free = 0  # keys are taken in port_keys order and never freed
        dvs.portgroups.append(self)
        if uplink:
            dvs.uplink_portgroup = self

    @property
    def numPorts(self):
        return len(self.port_keys)

    @property
    def portKeys(self):
        return list(self.port_keys)

    def host_uplink_ports(self, host):
        """The uplink port keys of a host member (4 per host, uplink1-4)."""
        index = self.dvs.hosts.index(host)
        return self.port_keys[index * 4:index * 4 + 4]

    def add_host(self, host):
        if self.uplink:
            needed = (len(self.dvs.hosts)) * 4
            if len(self.port_keys) < needed:
                self.port_keys.extend(self.dvs.allocate_ports(needed - len(self.port_keys)))
        if host not in self.hosts:
            self.hosts.append(host)

    def port_for(self, vm):
        """The port key a VM's NIC is connected to (auto-expanding)."""
        key = self._used.get(vm.ref.value)
        if key is None:
            # the first key not in use: the used keys are a prefix of port_keys
            if self._next_free >= len(self.port_keys):
                self.port_keys.extend(self.dvs.allocate_ports(8))
            key = self._used[vm.ref.value] = self.port_keys[self._next_free]
            self._next_free += 1
        return key

    def nic_backing(self, vm):
        T = self.T
        return T.VirtualEthernetCardDistributedVirtualPortBackingInfo(
            port=T.DistributedVirtualSwitchPortConnection(
                switchUuid=self.dvs.uuid, portgroupKey=self.key, portKey=self.port_for(vm),
                connectionCookie=_cookie(vm.ref.value)))

    @property
    def summary(self):
        return self.T.NetworkSummary(network=self.ref, name=self.name, accessible=True,
                                     ipPoolName='')

    @property
    def config(self):
        T = self.T
        uplinks = ['uplink%d' % (i + 1) for i in range(4)]
        return T.DVPortgroupConfigInfo(
            key=self.key, name=self.name, numPorts=self.numPorts,
            distributedVirtualSwitch=self.dvs.ref,
            defaultPortConfig=port_setting(T, uplinks, vlan_id=0),
            description='', type=self.pg_type, backingType=self.backing_type,
            policy=T.VMwareDVSPortgroupPolicy(
                blockOverrideAllowed=True, shapingOverrideAllowed=False,
                vendorConfigOverrideAllowed=False, livePortMovingAllowed=False,
                portConfigResetAtDisconnect=True, networkResourcePoolOverrideAllowed=False,
                trafficFilterOverrideAllowed=False, vlanOverrideAllowed=False,
                uplinkTeamingOverrideAllowed=False, securityPolicyOverrideAllowed=False,
                ipfixOverrideAllowed=False, macManagementOverrideAllowed=False),
            configVersion='0', autoExpand=not self.uplink,
            vmVnicNetworkResourcePoolKey='-1', uplink=self.uplink,
            **self.nsx_fields())

    def nsx_fields(self):
        """DVPortgroupConfigInfo's NSX fields: set for an NSX backed portgroup
        (a segment in the overlay transport zone), absent otherwise."""
        if self.backing_type != 'nsx':
            return {}
        return dict(transportZoneUuid=nsx_transport_zone_uuid(),
                    transportZoneName=NSX_TRANSPORT_ZONE_NAME,
                    logicalSwitchUuid=nsx_uuid('logical-switch', self.dvs.uuid, self.name),
                    segmentId='/infra/segments/vnet_%s' % nsx_uuid('segment', self.dvs.uuid,
                                                                   self.name))


def _cookie(text):
    value = 0
    for char in text:
        value = (value * 131 + ord(char)) % 2000000000
    return value
