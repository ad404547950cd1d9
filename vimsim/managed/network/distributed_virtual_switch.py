"""DistributedVirtualSwitch (a VmwareDistributedVirtualSwitch): its hosts,
uplinks and portgroups, its configuration and the default port setting its
portgroups start from."""
from vimsim import clock
from vimsim.managed.entity import ManagedEntity, refs
from vimsim.managed.network.network import nsx_transport_zone_uuid

DVS_VERSION = '8.0.3'
DVS_BUILD = '24022515'


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
