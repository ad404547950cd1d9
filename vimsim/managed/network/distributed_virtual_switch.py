"""DistributedVirtualSwitch (a VmwareDistributedVirtualSwitch): its host
members and their uplinks, its portgroups and port table (dv_port.py), its
configuration and the methods that change them.

Primary state: the settings a DVSConfigSpec sets (`settings`, read back in
`config`), the switch's default port setting, the host members (each with
its pNICs on uplink ports) and the ports. `config`, `summary` and
`runtime` are computed on read. ReconfigureDvs_Task checks a whole spec
(configVersion first: ConcurrentAccess when the client's is stale) before
changing anything, then applies it and bumps `configVersion`.
"""
import copy

from vimsim import clock
from vimsim.managed.entity import NAME_MAX, ManagedEntity, refs
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.network.distributed_virtual_portgroup import (DistributedVirtualPortgroup,
                                                                  rollback_task)
from vimsim.managed.network.dv_port import (DvPort, connect, connection_cookie, matches,
                                            port_host, port_in_use, release_entity,
                                            release_port)
from vimsim.managed.network.dv_port_setting import (TEAMING_POLICIES, check_setting, invalid,
                                                    merge_setting,
                                                    overlay_setting, port_setting,
                                                    vlan_ranges)
from vimsim.managed.network.network import nsx_transport_zone_uuid
from vimsim.soap.fault import fault

DVS_VERSION = '8.0.3'
DVS_BUILD = '24022515'
# the switch versions a vCenter 8.0 U3 creates and upgrades to, oldest first
DVS_VERSIONS = ('7.0.0', '7.0.2', '7.0.3', '8.0.0', '8.0.3')
# the versions it still runs for switches made before (a recorded inventory's,
# a backup's) but no longer creates: 6.6.0 is deprecated in vSphere 8
DVS_LEGACY_VERSIONS = ('6.6.0',)
DVS_SUPPORTED = DVS_LEGACY_VERSIONS + DVS_VERSIONS
DEFAULT_UPLINKS = ('uplink1', 'uplink2', 'uplink3', 'uplink4')
MAX_PORTS = 2147483647
# NIOC version 3 system traffic classes, with vCenter's default shares
TRAFFIC_CLASSES = (('management', 50), ('faultTolerance', 50), ('vmotion', 50),
                   ('virtualMachine', 100), ('iSCSI', 50), ('nfs', 50), ('hbr', 50),
                   ('vsan', 50), ('vdp', 50), ('backupNfc', 50), ('nvmetcp', 50),
                   ('provisioning', 50))
_LDP = {'cdp', 'lldp'}
_LDP_OPERATIONS = {'none', 'listen', 'advertise', 'both'}

# VMwareDVSConfigSpec fields stored as given and read back at config.<name>
_STORED = ('description', 'extensionKey', 'policy', 'contact', 'switchIpAddress',
           'vendorSpecificConfig', 'defaultProxySwitchMaxNumPorts', 'maxMtu',
           'linkDiscoveryProtocolConfig', 'ipfixConfig', 'lacpApiVersion',
           'multicastFilteringMode', 'maxPorts', 'networkResourceControlVersion')
# fields of services vimsim does not simulate: NotSupported unless unset
_REFUSED = ('vspanConfigSpec', 'networkOffloadSpecId', 'networkOffloadConfig', 'realTimeConfig',
            'netResourcePoolTrafficResourceConfig')
# fields whose handling is the switch's own (below); 'configVersion' is checked
_HANDLED = ('configVersion', 'name', 'numStandalonePorts', 'uplinkPortPolicy',
            'uplinkPortgroup', 'defaultPortConfig', 'host', 'pvlanConfigSpec',
            'infrastructureTrafficResourceConfig')
SPEC_FIELDS = _STORED + _REFUSED + _HANDLED


def _dvs_uuid(text):
    """'50 2e 7d 6b 1f 3a 4c 9d-8e 11 22 33 44 55 66 77' from a uuid string."""
    hexes = text.replace('-', '')
    pairs = [hexes[i:i + 2] for i in range(0, 32, 2)]
    return ' '.join(pairs[:8]) + '-' + ' '.join(pairs[8:])


def not_supported(path):
    return fault('NotSupported', 'The operation is not supported on the object: %s' % path)


class HostMember:
    """A host's membership: its pNICs on uplink ports, its proxy switch size."""

    def __init__(self, host, max_proxy_ports):
        self.host = host
        self.pnics = []    # [(pnic device, uplink port key)]
        self.max_proxy_ports = max_proxy_ports


class DistributedVirtualSwitch(ManagedEntity):
    """What the API declares on DistributedVirtualSwitch. vCenter makes only
    VMware switches (the subclass), so this class reads as one too."""
    type_name = 'DistributedVirtualSwitch'

    def __init__(self, server, moid, name, folder, uuid_text):
        super().__init__(server, moid, name, folder)
        folder.add_child(self)
        T = self.T
        self.uuid = _dvs_uuid(uuid_text)
        self.portgroups = []   # DistributedVirtualPortgroup objects, uplink first
        self.hosts = []        # the host members, in joining order
        self.members = {}      # host -> HostMember
        self.uplink_portgroup = None
        self.ports = {}        # port key -> DvPort, in creation order
        self.claims = {}       # connectee moid -> {NIC key: the DvPort it holds}
        self.uplink_names = list(DEFAULT_UPLINKS)
        self.default_port = port_setting(T, self.uplink_names)
        self.created = clock.now()
        self.version = DVS_VERSION
        self.config_version = 0
        self.pvlan = []        # VMwareDVSPvlanMapEntry
        self.lacp_groups = []  # VMwareDvsLacpGroupConfig
        self.traffic = {key: T.DvsHostInfrastructureTrafficResource(
            key=key, description=key,
            allocationInfo=T.DvsHostInfrastructureTrafficResourceAllocation(
                limit=-1, reservation=0, shares=T.SharesInfo(shares=shares, level='normal')))
            for key, shares in TRAFFIC_CLASSES}
        self.vnic_pools = {}   # key -> DVSVmVnicNetworkResourcePool
        self.health_checks = [T.VMwareDVSVlanMtuHealthCheckConfig(enable=False, interval=1),
                              T.VMwareDVSTeamingHealthCheckConfig(enable=False, interval=1)]
        self.nrm_enabled = True
        self.capability_set = None   # a DVSCapability UpdateDvsCapability gave
        self.settings = {
            'description': None, 'extensionKey': None, 'switchIpAddress': None,
            'policy': T.DVSPolicy(autoPreInstallAllowed=False, autoUpgradeAllowed=False,
                                  partialUpgradeAllowed=False),
            'contact': T.DVSContactInfo(), 'vendorSpecificConfig': [],
            'defaultProxySwitchMaxNumPorts': 512, 'maxMtu': 1500, 'maxPorts': MAX_PORTS,
            'linkDiscoveryProtocolConfig': T.LinkDiscoveryProtocolConfig(protocol='cdp',
                                                                         operation='listen'),
            'ipfixConfig': T.VMwareIpfixConfig(activeFlowTimeout=60, idleFlowTimeout=15,
                                               samplingRate=4096, internalFlowsOnly=False),
            'lacpApiVersion': 'multipleLag', 'multicastFilteringMode': 'legacyFiltering',
            'networkResourceControlVersion': 'version3'}
        self.previous_config = None   # the configuration before the last change, as a spec

    # -- ports --------------------------------------------------------------------------
    _next_port = 0

    def allocate_ports(self, portgroup, count, uplink_host=None, names=()):
        """`count` new ports (of `portgroup`, None for standalone ones)."""
        made = []
        for i in range(count):
            port = DvPort(str(self._next_port), self, portgroup, uplink_host)
            if i < len(names):
                port.name = names[i]
            self._next_port += 1
            self.ports[port.key] = port
            made.append(port)
        return made

    def standalone_ports(self):
        return [port for port in self.ports.values() if port.portgroup is None]

    def port_effective_setting(self, port):
        """A port's setting: its own over its portgroup's over the switch's."""
        base = port.portgroup.effective_setting() if port.portgroup is not None \
            else self.default_port
        return merge_setting(self.T, base, port.setting) if port.setting is not None else base

    # -- members ------------------------------------------------------------------------
    def add_member(self, host, max_proxy_ports=None):
        """`host` joins: every portgroup reaches it, it gets an uplink port per
        uplink name."""
        member = HostMember(host, max_proxy_ports or self.settings['defaultProxySwitchMaxNumPorts'])
        self.members[host] = member
        self.hosts.append(host)
        self.config_version += 1
        if self.uplink_portgroup is not None:
            self.uplink_portgroup.add_ports(len(self.uplink_names), uplink_host=host,
                                            names=self.uplink_names)
        for pg in self.portgroups:
            pg.add_host(host)
            if pg not in host.networks:
                host.networks.append(pg)
        return member

    def member(self, host):
        """The membership of a host member."""
        return self.members[host]

    def remove_member(self, host):
        """`host` leaves: its uplink ports go, the portgroups leave it, and
        the ports its vmknics held are free."""
        release_entity(self, host)
        for port in [p for p in self.ports.values() if p.uplink_host is host]:
            port.portgroup.remove_port(port)
        for pg in self.portgroups:
            if host in pg.hosts:
                pg.hosts.remove(host)
            if pg in host.networks:
                host.networks.remove(pg)
            pg.changed('host', 'summary')
        self.hosts.remove(host)
        self.members.pop(host, None)
        self.config_version += 1
        host.changed('network', 'config')
        compute = getattr(host, 'compute_resource', None)
        if compute is not None:
            compute.changed('network')

    def uplink_ports_of(self, host):
        return [p for p in self.ports.values() if p.uplink_host is host]

    def users_on(self, host):
        """What on `host` uses this switch: its VMs on the switch's
        portgroups, its vmknics on the switch's ports."""
        server = self.server
        users = [vm for vm in host.vms if any(n in self.portgroups for n in
                                              vm.network_objects())]
        for port in self.ports.values():
            connectee = port.live_connectee(server)
            if connectee is not None and connectee.entity is host \
                    and connectee.kind == 'hostVmkVnic':
                users.append(host)
        return users

    # -- reads ----------------------------------------------------------------------------
    @property
    def portgroup(self):
        return refs(self.portgroups)

    def nsx_enabled(self):
        """Whether NSX backs any of this switch's portgroups (its host members
        are then NSX switches)."""
        return any(pg.backing_type == 'nsx' for pg in self.portgroups)

    def product_spec(self):
        return self.T.DistributedVirtualSwitchProductSpec(
            name='DVS', vendor='VMware, Inc.', version=self.version, build=DVS_BUILD)

    @property
    def numPorts(self):
        return len(self.ports)

    def _member_info(self, host, nsx, zones, nsx_uplinks):
        T = self.T
        member = self.member(host)
        return T.DistributedVirtualSwitchHostMember(
            runtimeState=T.DistributedVirtualSwitchHostMemberRuntimeState(
                currentMaxProxySwitchPorts=member.max_proxy_ports),
            config=T.DistributedVirtualSwitchHostMemberConfigInfo(
                host=host.ref, maxProxySwitchPorts=member.max_proxy_ports,
                backing=T.DistributedVirtualSwitchHostMemberPnicBacking(pnicSpec=[
                    T.DistributedVirtualSwitchHostMemberPnicSpec(
                        pnicDevice=device, uplinkPortKey=key,
                        uplinkPortgroupKey=self.uplink_portgroup.key,
                        connectionCookie=connection_cookie(self.ports[key]))
                    for device, key in member.pnics]),
                nsxSwitch=nsx, ensEnabled=False, ensInterruptEnabled=False,
                transportZones=zones, nsxtUsedUplinkNames=nsx_uplinks,
                networkOffloadingEnabled=False),
            productInfo=self.product_spec(),
            uplinkPortKey=[p.key for p in self.uplink_ports_of(host)],
            status='up')

    @property
    def config(self):
        T = self.T
        nsx = self.nsx_enabled()
        zones = [T.DistributedVirtualSwitchHostMemberTransportZoneInfo(
            uuid=nsx_transport_zone_uuid(), type='overlay')] if nsx else None
        nsx_uplinks = self.uplink_names[:2] if nsx else None
        settings = self.settings
        return T.VMwareDVSConfigInfo(
            uuid=self.uuid, name=self.name,
            numStandalonePorts=len(self.standalone_ports()), numPorts=self.numPorts,
            maxPorts=settings['maxPorts'],
            uplinkPortPolicy=T.DVSNameArrayUplinkPortPolicy(uplinkPortName=list(self.uplink_names)),
            uplinkPortgroup=[self.uplink_portgroup.ref] if self.uplink_portgroup else [],
            defaultPortConfig=self.default_port,
            host=[self._member_info(h, nsx, zones, nsx_uplinks) for h in self.hosts],
            productInfo=self.product_spec(), extensionKey=settings['extensionKey'],
            vendorSpecificConfig=settings['vendorSpecificConfig'],
            policy=settings['policy'], description=settings['description'],
            configVersion=str(self.config_version),
            contact=settings['contact'], switchIpAddress=settings['switchIpAddress'],
            createTime=self.created, networkResourceManagementEnabled=self.nrm_enabled,
            defaultProxySwitchMaxNumPorts=settings['defaultProxySwitchMaxNumPorts'],
            networkResourceControlVersion=settings['networkResourceControlVersion'],
            infrastructureTrafficResourceConfig=list(self.traffic.values()),
            vmVnicNetworkResourcePool=list(self.vnic_pools.values()),
            pnicCapacityRatioForReservation=0, maxMtu=settings['maxMtu'],
            linkDiscoveryProtocolConfig=settings['linkDiscoveryProtocolConfig'],
            ipfixConfig=settings['ipfixConfig'], lacpApiVersion=settings['lacpApiVersion'],
            multicastFilteringMode=settings['multicastFilteringMode'],
            pvlanConfig=list(self.pvlan) or None, lacpGroupConfig=list(self.lacp_groups) or None,
            healthCheckConfig=self.health_checks)

    def connected_vms(self):
        vms = []
        for pg in self.portgroups:
            vms.extend(vm for vm in pg.vms if vm not in vms)
        return vms

    @property
    def summary(self):
        return self.T.DVSSummary(
            name=self.name, uuid=self.uuid, numPorts=self.numPorts,
            productInfo=self.product_spec(), hostMember=refs(self.hosts),
            vm=refs(self.connected_vms()) or None, host=refs(self.hosts) or None,
            portgroupName=[pg.name for pg in self.portgroups],
            description=self.settings['description'] or '', numHosts=len(self.hosts))

    @property
    def capability(self):
        if self.capability_set is not None:
            return self.capability_set
        T = self.T
        return T.DVSCapability(
            dvsOperationSupported=True, dvPortGroupOperationSupported=True,
            dvPortOperationSupported=True, featuresSupported=feature_capability(T))

    def switch_info(self):
        """This switch as a config target lists it (DistributedVirtualSwitchInfo)."""
        return self.T.DistributedVirtualSwitchInfo(
            switchName=self.name, switchUuid=self.uuid, distributedVirtualSwitch=self.ref)

    @property
    def runtime(self):
        T = self.T
        return T.DVSRuntimeInfo(hostMemberRuntime=[
            T.HostMemberRuntimeInfo(host=host.ref, status='up') for host in self.hosts])

    @property
    def networkResourcePool(self):
        return []

    # -- ReconfigureDvs_Task --------------------------------------------------------------
    def ReconfigureDvs_Task(self, ctx, spec):
        def work(task):
            self.check_version(spec.configVersion)
            self.reconfigure(task, spec)
            task.post_event('DvsReconfiguredEvent', self, configSpec=spec)
        return run_task(ctx, self, 'ReconfigureDvs_Task', work)

    def reconfigure(self, task, spec):
        """Check a whole spec, then apply it (ReconfigureDvs_Task's work once
        its configVersion is checked; an import's)."""
        full = as_vmware_spec(self.T, spec)
        plan = self.check_spec(full, creating=False)
        previous = self.snapshot()
        self.apply_spec(task, full, plan)
        self.previous_config = previous
        self.config_version += 1
        self.changed('config', 'summary', 'runtime', 'name')

    def check_version(self, given):
        current = str(self.config_version)
        if given is None:
            raise invalid('spec.configVersion')
        if given != current:
            raise fault('ConcurrentAccess', 'Cannot complete operation due to concurrent '
                        'modification by another operation.')

    def check_spec(self, spec, creating):
        """Every check of a DVSConfigSpec, nothing changed; returns the plan:
        the member operations [(operation, host, pnics, max ports)] and the
        private VLAN entries."""
        T = self.T
        for name in spec._type._names:
            value = getattr(spec, name, None)
            if name in ('dynamicType', 'dynamicProperty') or value is None or value == []:
                continue
            if name in _REFUSED:
                raise not_supported('spec.' + name)
            if name not in SPEC_FIELDS:   # a field a newer WSDL added
                raise not_supported('spec.' + name)
        uplinks = self.uplink_names
        policy = spec.uplinkPortPolicy
        if policy is not None:
            names = getattr(policy, 'uplinkPortName', None)
            if not names or len(set(names)) != len(names) or any(not n for n in names):
                raise invalid('spec.uplinkPortPolicy.uplinkPortName')
            uplinks = list(names)
        if spec.uplinkPortgroup and (creating or [r.value for r in spec.uplinkPortgroup]
                                     != [self.uplink_portgroup.key]):
            raise not_supported('spec.uplinkPortgroup')
        pvlan = self._check_pvlan(spec.pvlanConfigSpec)
        check_setting(T, spec.defaultPortConfig, uplinks, {e.secondaryVlanId for e in pvlan},
                      'spec.defaultPortConfig')
        if spec.numStandalonePorts is not None and spec.numStandalonePorts < 0:
            raise invalid('spec.numStandalonePorts')
        if spec.numStandalonePorts is not None and \
                spec.numStandalonePorts < len(self.standalone_ports()) and any(
                    port_in_use(self.server, p) for p in self.standalone_ports()[
                        spec.numStandalonePorts:]):
            raise fault('ResourceInUse', 'A standalone port is in use.',
                        type='DistributedVirtualPort', name='standalone')
        if spec.maxPorts is not None and spec.maxPorts < max(self.numPorts, 1):
            raise invalid('spec.maxPorts')
        if spec.maxMtu is not None and not 1280 <= spec.maxMtu <= 9000:
            raise invalid('spec.maxMtu')
        if spec.defaultProxySwitchMaxNumPorts is not None and \
                spec.defaultProxySwitchMaxNumPorts < 0:
            raise invalid('spec.defaultProxySwitchMaxNumPorts')
        ldp = spec.linkDiscoveryProtocolConfig
        if ldp is not None and (ldp.protocol not in _LDP or ldp.operation not in _LDP_OPERATIONS):
            raise invalid('spec.linkDiscoveryProtocolConfig')
        if spec.lacpApiVersion not in (None, 'singleLag', 'multipleLag'):
            raise invalid('spec.lacpApiVersion')
        if spec.multicastFilteringMode not in (None, 'legacyFiltering', 'snooping'):
            raise invalid('spec.multicastFilteringMode')
        if spec.networkResourceControlVersion not in (None, 'version3'):
            raise not_supported('spec.networkResourceControlVersion')
        for resource in spec.infrastructureTrafficResourceConfig or ():
            if resource.key not in self.traffic:
                raise invalid('spec.infrastructureTrafficResourceConfig.key')
        if not creating and len(uplinks) < len(self.uplink_names):
            dropped = set(self.uplink_names[len(uplinks):])
            for port in self.ports.values():
                if port.uplink_host is not None and port.name in dropped and \
                        port_in_use(self.server, port):
                    raise fault('ResourceInUse', "The uplink port '%s' is in use." % port.key,
                                type='DistributedVirtualPort', name=port.key)
        return {'members': self._check_members(spec.host, uplinks), 'pvlan': pvlan}

    def _check_pvlan(self, changes):
        """The private VLAN entries the switch has once `changes` apply."""
        entries = {(e.primaryVlanId, e.secondaryVlanId): e for e in self.pvlan}
        for change in changes or ():
            entry = change.pvlanEntry
            pair = (entry.primaryVlanId, entry.secondaryVlanId)
            if change.operation not in ('add', 'edit', 'remove'):
                raise invalid('spec.pvlanConfigSpec.operation')
            if not (0 < entry.primaryVlanId <= 4094 and 0 < entry.secondaryVlanId <= 4094) or \
                    entry.pvlanType not in ('promiscuous', 'isolated', 'community') or \
                    (entry.pvlanType == 'promiscuous') != (pair[0] == pair[1]):
                raise invalid('spec.pvlanConfigSpec.pvlanEntry')
            if change.operation == 'add':
                if pair in entries:
                    raise fault('AlreadyExists', 'The private VLAN %d/%d already exists.' % pair,
                                name='%d/%d' % pair)
                if pair[0] != pair[1] and (pair[0], pair[0]) not in entries:
                    raise invalid('spec.pvlanConfigSpec.pvlanEntry.primaryVlanId')
                entries[pair] = entry
            elif pair not in entries:
                raise fault('NotFound', 'The private VLAN %d/%d was not found.' % pair)
            elif change.operation == 'remove':
                if pair[1] in self.used_vlan_ids():
                    raise fault('ResourceInUse', 'The private VLAN %d is in use.' % pair[1],
                                type='VMwareDVSPvlanMapEntry', name=str(pair[1]))
                del entries[pair]
            else:
                entries[pair] = entry
        return list(entries.values())

    def _check_members(self, specs, uplinks):
        server = self.server
        plan = []
        seen = set()
        for index, member in enumerate(specs or ()):
            path = 'spec.host[%d]' % index
            host = server.objects.get(member.host)
            if host is None or host.type_name != 'HostSystem':
                raise fault('ManagedObjectNotFound', 'The object has already been deleted or '
                            'has not been completely created', obj=member.host)
            if host in seen:
                raise invalid(path + '.host')
            seen.add(host)
            operation = member.operation
            if operation == 'add':
                if host in self.members or host in self.hosts:
                    raise fault('AlreadyExists', "The host '%s' is already a member." % host.name,
                                name=host.name)
                if _datacenter(host) is not _datacenter(self):
                    raise invalid(path + '.host')
                if getattr(host, 'connection_state', 'connected') != 'connected':
                    raise fault('HostNotConnected', 'The host is not connected.')
            elif operation in ('edit', 'remove'):
                if host not in self.hosts:
                    raise fault('NotFound', "The host '%s' is not a member of the switch '%s'."
                                % (host.name, self.name))
                if operation == 'remove' and self.users_on(host):
                    raise fault('ResourceInUse', "The switch '%s' is in use on the host '%s'."
                                % (self.name, host.name), type=self.type_name, name=self.name)
            else:
                raise invalid(path + '.operation')
            if member.maxProxySwitchPorts is not None and member.maxProxySwitchPorts < 0:
                raise invalid(path + '.maxProxySwitchPorts')
            pnics = None
            if operation != 'remove' and member.backing is not None:
                pnics = self._check_pnics(host, member.backing, uplinks, path)
            plan.append((operation, host, pnics, member.maxProxySwitchPorts))
        return plan

    def _check_pnics(self, host, backing, uplinks, path):
        """[(pnic device, uplink port key or None)] of a pNIC backing: devices
        the host has, each once, used by no other switch; an uplink port
        key must be one of the host's uplink ports."""
        T = self.T
        if not isinstance(backing, T.DistributedVirtualSwitchHostMemberPnicBacking):
            raise not_supported(path + '.backing')
        devices = {p.device for p in host.netconfig.pnics()} - host.netconfig.standard_uplinks()
        taken = {device for switch in _switches(self.server) if switch is not self
                 and host in switch.hosts for device, _ in switch.member(host).pnics}
        own_ports = {p.key for p in self.uplink_ports_of(host)}
        found, keys = [], set()
        for n, spec in enumerate(backing.pnicSpec or ()):
            where = '%s.backing.pnicSpec[%d]' % (path, n)
            if spec.pnicDevice not in devices or spec.pnicDevice in (d for d, _ in found):
                raise invalid(where + '.pnicDevice')
            if spec.pnicDevice in taken:
                raise fault('ResourceInUse', "The physical NIC '%s' is in use." % spec.pnicDevice,
                            type='PhysicalNic', name=spec.pnicDevice)
            if spec.uplinkPortgroupKey and spec.uplinkPortgroupKey != self.uplink_portgroup.key:
                raise invalid(where + '.uplinkPortgroupKey')
            if spec.uplinkPortKey:
                if host in self.hosts and spec.uplinkPortKey not in own_ports \
                        or spec.uplinkPortKey in keys:
                    raise invalid(where + '.uplinkPortKey')
                keys.add(spec.uplinkPortKey)
            found.append((spec.pnicDevice, spec.uplinkPortKey or None))
        if len(found) > len(uplinks):
            raise invalid(path + '.backing.pnicSpec')
        return found

    def apply_spec(self, task, spec, plan):
        """Install a checked spec (a new name first: its faults, InvalidName
        and DuplicateName, come before anything changed)."""
        T = self.T
        if spec.name is not None and spec.name != self.name:
            self.rename(task, spec.name)
        for name in _STORED:
            value = getattr(spec, name, None)
            if value is not None and value != []:
                self.settings[name] = copy.deepcopy(value)
        if spec.uplinkPortPolicy is not None:
            self._set_uplinks(list(spec.uplinkPortPolicy.uplinkPortName))
        if spec.defaultPortConfig is not None:
            self.default_port = merge_setting(T, self.default_port,
                                              overlay_setting(T, None, spec.defaultPortConfig))
        if spec.pvlanConfigSpec:
            self.pvlan = plan['pvlan']
        for resource in spec.infrastructureTrafficResourceConfig or ():
            current = self.traffic[resource.key]
            allocation = copy.deepcopy(current.allocationInfo)
            for part in ('limit', 'reservation', 'shares'):
                value = getattr(resource.allocationInfo, part, None)
                if value is not None:
                    setattr(allocation, part, copy.deepcopy(value))
            self.traffic[resource.key] = T.DvsHostInfrastructureTrafficResource(
                key=resource.key, description=resource.description or current.description,
                allocationInfo=allocation)
        if spec.numStandalonePorts is not None:
            standalone = self.standalone_ports()
            if spec.numStandalonePorts > len(standalone):
                self.allocate_ports(None, spec.numStandalonePorts - len(standalone))
            for port in standalone[spec.numStandalonePorts:]:
                del self.ports[port.key]
        for operation, host, pnics, max_ports in plan['members']:
            if operation == 'add':
                self.add_member(host, max_ports)
                task.post_event('DvsHostJoinedEvent', self, hostJoined=T.HostEventArgument(
                    name=host.name, host=host.ref))
                host.changed('network', 'config')
                if getattr(host, 'compute_resource', None) is not None:
                    host.compute_resource.changed('network')
            elif operation == 'remove':
                self.remove_member(host)
                task.post_event('DvsHostLeftEvent', self, hostLeft=T.HostEventArgument(
                    name=host.name, host=host.ref))
                continue
            elif max_ports is not None:
                self.member(host).max_proxy_ports = max_ports
            if pnics is not None:
                self._set_pnics(host, pnics)

    def _set_uplinks(self, names):
        """New uplink names: each member gets as many uplink ports, named so;
        the default teaming order follows."""
        old = self.uplink_names
        self.uplink_names = names
        for host in self.hosts:
            ports = self.uplink_ports_of(host)
            for port, name in zip(ports, names):
                port.name = name
            if len(names) > len(ports):
                self.uplink_portgroup.add_ports(len(names) - len(ports), uplink_host=host,
                                                names=names[len(ports):])
            for port in ports[len(names):]:
                self.uplink_portgroup.remove_port(port)
        order = self.default_port.uplinkTeamingPolicy.uplinkPortOrder
        rename = dict(zip(old, names))
        order.activeUplinkPort = [rename[u] for u in order.activeUplinkPort if u in rename] \
            + [n for n in names[len(old):]]
        order.standbyUplinkPort = [rename[u] for u in order.standbyUplinkPort if u in rename]

    def _set_pnics(self, host, pnics):
        """Put a member's pNICs on its uplink ports (the named ones, else the
        first free in uplink order)."""
        member = self.member(host)
        ports = self.uplink_ports_of(host)
        for port in ports:
            connectee = port.connectee
            if connectee is not None and connectee.kind == 'pnic':
                release_port(port)
        named = {key for _, key in pnics if key}
        free = [p.key for p in ports if p.key not in named]
        member.pnics = []
        for device, key in pnics:
            key = key or free.pop(0)
            connect(self.uplink_portgroup, host, device, 'pnic', key)
            member.pnics.append((device, key))

    # -- AddDVPortgroup_Task / CreateDVPortgroup_Task --------------------------------------
    def AddDVPortgroup_Task(self, ctx, spec):
        if not spec:
            raise invalid('spec')
        return self._add_portgroups(ctx, 'AddDVPortgroup_Task', spec)

    def CreateDVPortgroup_Task(self, ctx, spec):
        return self._add_portgroups(ctx, 'CreateDVPortgroup_Task', [spec])

    def _add_portgroups(self, ctx, method, specs):
        def work(task):
            names = set()
            for index, spec in enumerate(specs):
                path = 'spec[%d]' % index if method == 'AddDVPortgroup_Task' else 'spec'
                self.check_portgroup_spec(spec, path, None)
                if spec.name is None or spec.name in names:
                    raise invalid(path + '.name')
                names.add(spec.name)
            made = [self.make_portgroup(task, spec) for spec in specs]
            for pg in made:
                task.post_event('DVPortgroupCreatedEvent', pg)
            self.changed('portgroup', 'summary', 'config')
            return made[0] if method == 'CreateDVPortgroup_Task' else None
        return run_task(ctx, self, method, work)

    def make_portgroup(self, task, spec, moid=None):
        """A new portgroup from a checked spec, on every host member."""
        server = self.server
        folder = self.parent_object()
        pg = DistributedVirtualPortgroup(
            server, moid or server.objects.next_id('dvportgroup-'), spec.name, folder, self,
            num_ports=spec.numPorts if spec.numPorts is not None else 8,
            pg_type=spec.type or 'earlyBinding',
            backing_type=spec.backingType or 'standard')
        spec_rest = copy.deepcopy(spec)
        spec_rest.name = spec_rest.numPorts = spec_rest.type = spec_rest.backingType = None
        pg.apply_spec(task, spec_rest)
        pg.config_version = 0
        for host in self.hosts:
            pg.add_host(host)
            host.networks.append(pg)
            host.changed('network')
            if getattr(host, 'compute_resource', None) is not None:
                host.compute_resource.changed('network')
        self.datacenter().networks.append(pg)
        self.datacenter().changed('network')
        folder.changed('childEntity')
        return pg

    def datacenter(self):
        return _datacenter(self)

    def check_portgroup_spec(self, spec, path, pg):
        """The checks of a DVPortgroupConfigSpec (`pg`: the portgroup it
        reconfigures, None for a new one)."""
        T = self.T
        if spec.name is not None:
            if not spec.name or len(spec.name) > NAME_MAX:
                raise fault('InvalidName', "The name '%s' is invalid." % spec.name,
                            name=spec.name)
            clash = next((other for other in self.datacenter().networks if other is not pg
                          and other.name == spec.name), None)
            if clash is not None:
                raise fault('DuplicateName', "The name '%s' already exists." % spec.name,
                            name=spec.name, object=clash.ref)
        if spec.type == 'lateBinding':   # deprecated since 5.0; vCenter 8 makes none
            raise not_supported(path + '.type')
        if spec.type not in (None, 'earlyBinding', 'ephemeral'):
            raise invalid(path + '.type')
        if pg is not None and spec.type is not None and spec.type != pg.pg_type \
                and pg.ports_in_use():
            raise fault('ResourceInUse', "The portgroup '%s' is in use." % pg.name,
                        type=pg.type_name, name=pg.name)
        if spec.backingType not in (None, 'standard', 'nsx'):
            raise invalid(path + '.backingType')
        if spec.numPorts is not None:
            if spec.numPorts < 0:
                raise invalid(path + '.numPorts')
            if pg is not None and spec.numPorts < len(pg.ports) and any(
                    port_in_use(self.server, p) for p in pg.ports[spec.numPorts:]):
                raise fault('ResourceInUse', "The ports of the portgroup '%s' are in use."
                            % pg.name, type=pg.type_name, name=pg.name)
        if spec.vmVnicNetworkResourcePoolKey not in (None, '-1') and \
                spec.vmVnicNetworkResourcePoolKey not in self.vnic_pools:
            raise invalid(path + '.vmVnicNetworkResourcePoolKey')
        if spec.nsxConfig is not None or spec.subnetId is not None:
            raise not_supported(path + '.nsxConfig')
        check_setting(T, spec.defaultPortConfig, self.uplink_names,
                      {e.secondaryVlanId for e in self.pvlan}, path + '.defaultPortConfig')

    # -- FetchDVPorts / FetchDVPortKeys ------------------------------------------------
    def selected_ports(self, criteria):
        for pg in self.portgroups:
            pg.settle()
        server = self.server
        return [port for port in self.ports.values() if matches(port, criteria, server)]

    def FetchDVPortKeys(self, ctx, criteria=None):
        return [port.key for port in self.selected_ports(criteria)]

    def FetchDVPorts(self, ctx, criteria=None):
        return [self.port_data(port) for port in self.selected_ports(criteria)]

    def port_data(self, port):
        """A port as DistributedVirtualPort."""
        T = self.T
        server = self.server
        connectee = port.live_connectee(server)
        host = port_host(port, server)
        pg = port.portgroup
        setting = self.port_effective_setting(port)
        return T.DistributedVirtualPort(
            key=port.key, dvsUuid=self.uuid, portgroupKey=pg.key if pg is not None else None,
            config=T.DVPortConfigInfo(
                name=port.name, description=port.description, setting=setting,
                configVersion=str(port.version)),
            proxyHost=host.ref if host is not None else None,
            connectee=T.DistributedVirtualSwitchPortConnectee(
                connectedEntity=connectee.entity.ref, nicKey=connectee.nic_key,
                type=connectee.kind, addressHint=connectee.address)
            if connectee is not None else None,
            conflict=False, state=self.port_state(setting, connectee),
            connectionCookie=connection_cookie(port) if connectee is not None else None,
            lastStatusChange=port.status_change, hostLocalPort=False)

    def port_state(self, setting, connectee):
        T = self.T
        vlan = setting.vlan
        up = connectee is not None and (connectee.kind != 'vmVnic' or getattr(
            connectee.entity, 'power_state', '') == 'poweredOn')
        zeros = {name: 0 for name in T.DistributedVirtualSwitchPortStatistics._type._names
                 if name not in ('dynamicType', 'dynamicProperty')}
        return T.DVPortState(
            runtimeInfo=T.DVPortStatus(
                linkUp=up, blocked=bool(setting.blocked.value),
                vlanIds=[T.NumericRange(start=a, end=b) for a, b in vlan_ranges(vlan)],
                trunkingMode=isinstance(vlan, T.VmwareDistributedVirtualSwitchTrunkVlanSpec),
                mtu=self.settings['maxMtu'], macAddress=connectee.address
                if connectee is not None and connectee.kind == 'vmVnic' else None),
            stats=T.DistributedVirtualSwitchPortStatistics(**zeros))

    # -- ReconfigureDVPort_Task / RefreshDVPortState / MoveDVPort_Task --------------
    def ReconfigureDVPort_Task(self, ctx, port):
        specs = port

        def work(task):
            T = self.T
            pvlan_ids = {e.secondaryVlanId for e in self.pvlan}
            found = []
            for index, spec in enumerate(specs):
                path = 'port[%d]' % index
                target = self.ports.get(spec.key) if spec.key else None
                if spec.operation not in ('edit', 'remove', 'add'):
                    raise invalid(path + '.operation')
                if spec.operation == 'add':
                    raise not_supported(path + '.operation')
                if target is None:
                    raise fault('NotFound', "The port '%s' was not found." % spec.key)
                if spec.configVersion is not None and spec.configVersion != str(target.version):
                    raise fault('ConcurrentAccess', 'Cannot complete operation due to '
                                'concurrent modification by another operation.')
                if spec.operation == 'remove':
                    if target.portgroup is not None or port_in_use(self.server, target):
                        raise fault('ResourceInUse', "The port '%s' is in use." % target.key,
                                    type='DistributedVirtualPort', name=target.key)
                check_setting(T, spec.setting, self.uplink_names, pvlan_ids, path + '.setting')
                found.append((spec, target))
            for spec, target in found:
                if spec.operation == 'remove':
                    del self.ports[target.key]
                    continue
                if spec.name is not None:
                    target.name = spec.name
                if spec.description is not None:
                    target.description = spec.description
                if spec.setting is not None:
                    target.setting = overlay_setting(T, target.setting, spec.setting)
                target.version += 1
                task.post_event('DvsPortReconfiguredEvent', self, portKey=[target.key])
            self.changed('config', 'summary')
        return run_task(ctx, self, 'ReconfigureDVPort_Task', work)

    def RefreshDVPortState(self, ctx, portKeys=()):
        unknown = [key for key in portKeys if key not in self.ports]
        if unknown:
            raise fault('NotFound', "The port '%s' was not found." % unknown[0])
        return None

    def MoveDVPort_Task(self, ctx, portKey, destinationPortgroupKey=None):
        """Ports into a portgroup (or out of any, standalone); a connected
        port only between portgroups that both allow live port moving, and
        its VM's NIC follows (vmknics' ports stay)."""
        portKeys = list(portKey)

        def work(task):
            target_pg = None
            if destinationPortgroupKey:
                target_pg = next((pg for pg in self.portgroups
                                  if pg.key == destinationPortgroupKey), None)
                if target_pg is None:
                    raise fault('NotFound', "The portgroup '%s' was not found."
                                % destinationPortgroupKey)
                if target_pg.uplink or target_pg.pg_type == 'ephemeral':
                    raise invalid('destinationPortgroupKey')
            ports = []
            for key in portKeys:
                port = self.ports.get(key)
                if port is None:
                    raise fault('NotFound', "The port '%s' was not found." % key)
                if port.uplink_host is not None:
                    raise invalid('portKey')
                connectee = port.live_connectee(self.server)
                if connectee is not None and port.portgroup is not target_pg and not (
                        connectee.kind == 'vmVnic' and target_pg is not None
                        and port.portgroup is not None
                        and port.portgroup.policy.livePortMovingAllowed
                        and target_pg.policy.livePortMovingAllowed):
                    raise fault('ResourceInUse', "The port '%s' is in use." % key,
                                type='DistributedVirtualPort', name=key)
                ports.append((port, connectee))
            for port, connectee in ports:
                source = port.portgroup
                if source is target_pg:
                    continue
                if source is not None:
                    source.ports.remove(port)
                    source.full_below = (-1, 0)
                    source.changed('portKeys', 'config')
                    task.post_event('DvsPortLeavePortgroupEvent', self, portKey=port.key,
                                    portgroupKey=source.key, portgroupName=source.name)
                port.portgroup = target_pg
                if target_pg is not None:
                    target_pg.ports.append(port)
                    target_pg.changed('portKeys', 'config')
                    task.post_event('DvsPortJoinPortgroupEvent', self, portKey=port.key,
                                    portgroupKey=target_pg.key, portgroupName=target_pg.name)
                if connectee is not None:
                    _follow_port(connectee, port)
            self.changed('config', 'summary')
        return run_task(ctx, self, 'MoveDVPort_Task', work)

    # -- QueryUsedVlanIdInDvs / LookupDvPortGroup ---------------------------------------
    def used_vlan_ids(self):
        """The VLAN ids the switch's portgroups and ports use (trunks and the
        uplink portgroup aside)."""
        T = self.T
        used = set()
        settings = [pg.effective_setting() for pg in self.portgroups if not pg.uplink]
        settings += [self.port_effective_setting(p) for p in self.ports.values()
                     if p.setting is not None and p.uplink_host is None]
        for setting in settings:
            vlan = setting.vlan
            if isinstance(vlan, T.VmwareDistributedVirtualSwitchTrunkVlanSpec):
                continue
            for start, end in vlan_ranges(vlan):
                if start:
                    used.update(range(start, end + 1))
        return used

    def QueryUsedVlanIdInDvs(self, ctx):
        return sorted(self.used_vlan_ids())

    def LookupDvPortGroup(self, ctx, portgroupKey):
        pg = next((pg for pg in self.portgroups if pg.key == portgroupKey), None)
        if pg is None:
            raise fault('NotFound', "The portgroup '%s' was not found." % portgroupKey)
        return pg

    # -- capability, resource management, health check, LACP ---------------------------
    def UpdateDvsCapability(self, ctx, capability):
        merged = copy.deepcopy(self.capability)
        for name in ('dvsOperationSupported', 'dvPortGroupOperationSupported',
                     'dvPortOperationSupported'):
            value = getattr(capability, name, None)
            if value is not None:
                setattr(merged, name, value)
        if capability.compatibleHostComponentProductInfo:
            merged.compatibleHostComponentProductInfo = copy.deepcopy(
                capability.compatibleHostComponentProductInfo)
        if capability.featuresSupported is not None:
            raise not_supported('capability.featuresSupported')
        self.capability_set = merged
        self.changed('capability')

    def EnableNetworkResourceManagement(self, ctx, enable):
        self.nrm_enabled = bool(enable)
        self.changed('config')

    # Network I/O Control version 2's user-defined pools: a version3 switch (the only
    # version vimsim's switches run, as vCenter 8's) has none, as its capability says
    # (userDefinedNetworkResourcePoolsSupported false); its VM traffic goes to
    # DvsReconfigureVmVnicNetworkResourcePool_Task's pools instead.
    VERSION2_POOLS = 'network resource pools of Network I/O Control version 2'

    def AddNetworkResourcePool(self, ctx, configSpec):
        raise not_supported(self.VERSION2_POOLS)

    def UpdateNetworkResourcePool(self, ctx, configSpec):
        raise not_supported(self.VERSION2_POOLS)

    def RemoveNetworkResourcePool(self, ctx, key):
        raise not_supported(self.VERSION2_POOLS)

    def UpdateDVSHealthCheckConfig_Task(self, ctx, healthCheckConfig):
        def work(task):
            checks = list(self.health_checks)
            for index, given in enumerate(healthCheckConfig):
                slot = next((i for i, c in enumerate(checks) if type(c) is type(given)), None)
                if slot is None:
                    raise invalid('healthCheckConfig[%d]' % index)
                if given.interval is not None and given.interval < 1:
                    raise invalid('healthCheckConfig[%d].interval' % index)
                checks[slot] = type(given)(
                    enable=given.enable if given.enable is not None else checks[slot].enable,
                    interval=given.interval or checks[slot].interval)
            self.health_checks = checks
            self.changed('config')
        return run_task(ctx, self, 'UpdateDVSHealthCheckConfig_Task', work)

    # -- PerformDvsProductSpecOperation_Task (upgrade) ----------------------------------
    def PerformDvsProductSpecOperation_Task(self, ctx, operation, productSpec=None):
        def work(task):
            if operation not in ('preInstall', 'upgrade', 'notifyAvailableUpgrade',
                                 'proceedWithUpgrade', 'updateBundleInfo'):
                raise invalid('operation')
            if operation in ('upgrade', 'proceedWithUpgrade'):
                version = productSpec.version if productSpec is not None else None
                if version not in DVS_VERSIONS or DVS_SUPPORTED.index(version) < \
                        DVS_SUPPORTED.index(self.version):
                    raise invalid('productSpec.version')
                if version != self.version:
                    task.post_event('DvsUpgradeInProgressEvent', self, productInfo=productSpec)
                    self.version = version
                    task.post_event('DvsUpgradedEvent', self, productInfo=self.product_spec())
                    self.changed('config', 'summary')
        return run_task(ctx, self, 'PerformDvsProductSpecOperation_Task', work)

    # -- RectifyDvsHost_Task / DVSRollback_Task -----------------------------------------
    def RectifyDvsHost_Task(self, ctx, hosts=()):
        """Bring members' proxy switches in line with the switch: the
        simulator keeps them so, so the task checks that each named host
        is a member (all of them when none is named) and succeeds."""
        for ref in hosts:
            host = self.server.objects.get(ref)
            if host is None or host not in self.hosts:
                raise fault('NotFound', "The host '%s' is not a member of the switch '%s'."
                            % (ref.value, self.name))
        return run_task(ctx, self, 'RectifyDvsHost_Task', lambda task: None)

    def snapshot(self):
        """The switch's configuration as a spec (DVSRollback_Task answers
        the one before the last reconfiguration)."""
        T = self.T
        spec = T.VMwareDVSConfigSpec(
            configVersion=str(self.config_version), name=self.name,
            numStandalonePorts=len(self.standalone_ports()),
            uplinkPortPolicy=T.DVSNameArrayUplinkPortPolicy(uplinkPortName=list(self.uplink_names)),
            defaultPortConfig=copy.deepcopy(self.default_port),
            infrastructureTrafficResourceConfig=copy.deepcopy(list(self.traffic.values())))
        for name in _STORED:
            setattr(spec, name, copy.deepcopy(self.settings[name]))
        return spec

    def DVSRollback_Task(self, ctx, entityBackup=None):
        return rollback_task(ctx, self, 'DVSRollback_Task', entityBackup)

    # -- network resource pools ------------------------------------------------------------
    def DvsReconfigureVmVnicNetworkResourcePool_Task(self, ctx, configSpec):
        """Add, edit and remove the switch's VM vNIC network resource pools
        (NIOC version 3); a pool a portgroup names cannot go."""
        def work(task):
            T = self.T
            pools = dict(self.vnic_pools)
            for index, spec in enumerate(configSpec):
                path = 'configSpec[%d]' % index
                if spec.operation == 'add':
                    if not spec.name or any(p.name == spec.name for p in pools.values()):
                        raise invalid(path + '.name')
                    key = self.server.new_uuid()
                    pools[key] = T.DVSVmVnicNetworkResourcePool(
                        key=key, name=spec.name, description=spec.description,
                        configVersion='0', allocationInfo=copy.deepcopy(spec.allocationInfo)
                        or T.DvsVmVnicResourceAllocation(reservationQuota=0))
                    continue
                pool = pools.get(spec.key)
                if spec.operation not in ('edit', 'remove'):
                    raise invalid(path + '.operation')
                if pool is None:
                    raise fault('NotFound', "The network resource pool '%s' was not found."
                                % spec.key)
                if spec.configVersion is not None and spec.configVersion != pool.configVersion:
                    raise fault('ConcurrentAccess', 'Cannot complete operation due to '
                                'concurrent modification by another operation.')
                if spec.operation == 'remove':
                    if any(pg.vnic_pool_key == spec.key for pg in self.portgroups):
                        raise fault('ResourceInUse', "The network resource pool '%s' is in "
                                    'use.' % pool.name, type='DVSVmVnicNetworkResourcePool',
                                    name=pool.name)
                    del pools[spec.key]
                    continue
                pool = copy.deepcopy(pool)
                for name in ('name', 'description', 'allocationInfo'):
                    value = getattr(spec, name, None)
                    if value is not None:
                        setattr(pool, name, copy.deepcopy(value))
                pool.configVersion = str(int(pool.configVersion) + 1)
                pools[spec.key] = pool
            self.vnic_pools = pools
            self.changed('config')
        return run_task(ctx, self, 'DvsReconfigureVmVnicNetworkResourcePool_Task', work)

    # -- MergeDvs_Task ------------------------------------------------------------------
    def MergeDvs_Task(self, ctx, dvs):
        """Another switch of the datacenter merged into this one: its hosts
        join, its portgroups move here with their ports (new keys; the VMs'
        NICs follow), and it goes (DvsMergedEvent). Refused for a switch
        newer than this one and for vmknics on the other switch (their
        host's configuration names it). Portgroup names are unique in the
        datacenter already."""
        source = self.server.objects.get(dvs)
        if not isinstance(source, DistributedVirtualSwitch) or source is self:
            raise invalid('dvs')

        def work(task):
            server = self.server
            if source.datacenter() is not self.datacenter():
                raise invalid('dvs')
            if DVS_SUPPORTED.index(source.version) > DVS_SUPPORTED.index(self.version):
                raise fault('DvsFault', "The switch '%s' is newer than '%s'."
                            % (source.name, self.name))
            moving = [pg for pg in source.portgroups if not pg.uplink]
            for port in source.ports.values():
                connectee = port.live_connectee(server)
                if connectee is not None and connectee.kind == 'hostVmkVnic':
                    raise fault('ResourceInUse', "The switch '%s' is in use." % source.name,
                                type=source.type_name, name=source.name)
            task.post_event('DvsMergedEvent', self, sourceDvs=self.T.DvsEventArgument(
                name=source.name, dvs=source.ref), destinationDvs=self.T.DvsEventArgument(
                name=self.name, dvs=self.ref))
            for pg in moving:
                self._adopt(pg, source)
            for host in list(source.hosts):
                if host not in self.hosts:
                    self.add_member(host)
                    host.changed('network', 'config')
            source.leave_inventory()
            self.changed('portgroup', 'summary', 'config')
        return run_task(ctx, self, 'MergeDvs_Task', work)

    def _adopt(self, pg, source):
        """A portgroup of `source` becomes this switch's, its ports re-keyed
        here and its VMs' NICs naming them."""
        source.portgroups.remove(pg)
        pg.dvs = self
        self.portgroups.append(pg)
        for port in list(pg.ports):
            del source.ports[port.key]
            old_key = port.key
            port.key, port.dvs = str(self._next_port), self
            self._next_port += 1
            self.ports[port.key] = port
            connectee = port.connectee
            if connectee is None:
                continue
            source.claims.get(connectee.entity.ref.value, {}).pop(connectee.nic_key, None)
            self.claims.setdefault(connectee.entity.ref.value, {})[connectee.nic_key] = port
            vm = connectee.entity
            if connectee.kind == 'vmVnic' and getattr(vm, '_devices', None) is not None:
                for nic in vm.nics():
                    backing_port = getattr(nic.backing, 'port', None)
                    if backing_port is not None and backing_port.portKey == old_key \
                            and backing_port.switchUuid == source.uuid:
                        backing_port.switchUuid, backing_port.portKey = self.uuid, port.key
                vm.report_changed('config', 'network')
        pg.changed('config', 'portKeys')

    # -- Destroy_Task ---------------------------------------------------------------------
    def Destroy_Task(self, ctx):
        """A switch goes with its portgroups, once no VM and no vmknic uses it
        (ResourceInUse); DvsDestroyedEvent."""
        def work(task):
            server = self.server
            for port in self.ports.values():
                connectee = port.live_connectee(server)
                if connectee is not None and connectee.kind != 'pnic':
                    raise fault('ResourceInUse', "The switch '%s' is in use." % self.name,
                                type=self.type_name, name=self.name)
            task.post_event('DvsDestroyedEvent', self)
            self.leave_inventory()
        return run_task(ctx, self, 'Destroy_Task', work)

    def leave_inventory(self):
        """The switch goes: its members leave it, its portgroups go."""
        for host in list(self.hosts):
            self.remove_member(host)
        for pg in list(self.portgroups):
            pg.leave_inventory()
        parent = self.parent_object()
        if parent is not None:
            parent.remove_child(self)
            parent.changed('childEntity')
        self.destroy()


class VmwareDistributedVirtualSwitch(DistributedVirtualSwitch):
    """A VMware distributed switch: LACP groups are its own."""
    type_name = 'VmwareDistributedVirtualSwitch'

    def UpdateDVSLacpGroupConfig_Task(self, ctx, lacpGroupSpec):
        def work(task):
            if self.settings['lacpApiVersion'] != 'multipleLag':
                raise fault('ConflictingConfiguration', 'LACP groups need the multipleLag '
                            'LACP API.', configInConflict=[])
            groups = {g.key: g for g in self.lacp_groups}
            made = []
            for index, spec in enumerate(lacpGroupSpec):
                config = spec.lacpGroupConfig
                path = 'lacpGroupSpec[%d].lacpGroupConfig' % index
                if spec.operation == 'add':
                    if config.name is None or any(g.name == config.name
                                                  for g in groups.values()):
                        raise invalid(path + '.name')
                    group = self._lacp_group(config, None, path)
                    group.key = 'lag-%d' % (len(self.lacp_groups) + len(made) + 1)
                    while group.key in groups:
                        group.key += '+'
                    groups[group.key] = group
                    made.append(group)
                elif spec.operation in ('edit', 'remove'):
                    if config.key not in groups:
                        raise fault('NotFound', "The LACP group '%s' was not found."
                                    % config.key)
                    if spec.operation == 'remove':
                        del groups[config.key]
                    else:
                        groups[config.key] = self._lacp_group(config, groups[config.key], path)
                else:
                    raise invalid('lacpGroupSpec[%d].operation' % index)
            self.lacp_groups = list(groups.values())
            self.changed('config')
        return run_task(ctx, self, 'UpdateDVSLacpGroupConfig_Task', work)

    def _lacp_group(self, config, current, path):
        T = self.T
        group = copy.deepcopy(current) if current is not None else T.VMwareDvsLacpGroupConfig(
            mode='passive', uplinkNum=2, loadbalanceAlgorithm='srcDestIpTcpUdpPortVlan',
            timeoutMode='slow',
            vlan=T.VMwareDvsLagVlanConfig(vlanId=[]),
            ipfix=T.VMwareDvsLagIpfixConfig(ipfixEnabled=False))
        for name in ('name', 'mode', 'uplinkNum', 'loadbalanceAlgorithm', 'timeoutMode',
                     'vlan', 'ipfix'):
            value = getattr(config, name, None)
            if value is not None:
                setattr(group, name, copy.deepcopy(value))
        if group.mode not in ('active', 'passive') or not 1 <= group.uplinkNum <= 32:
            raise invalid(path)
        group.uplinkName = ['%s-%d' % (group.name, i) for i in range(group.uplinkNum)]
        group.uplinkPortKey = []
        return group


def _follow_port(connectee, port):
    """A VM NIC whose port moved (live, MoveDVPort_Task) names its new
    portgroup."""
    vm = connectee.entity
    for nic in vm.device_list():
        if str(nic.key) == connectee.nic_key:
            nic.backing.port.portgroupKey = port.portgroup.key
    vm.devices_changed()


def as_vmware_spec(T, spec):
    """A DVSConfigSpec as the VMwareDVSConfigSpec it is a part of (so every
    field reads, unset where the client's type has none)."""
    if isinstance(spec, T.VMwareDVSConfigSpec):
        return spec
    return T.VMwareDVSConfigSpec(**{name: getattr(spec, name) for name in spec._type._names})


def feature_capability(T):
    """What a VMware switch supports (DVSCapability.featuresSupported)."""
    return T.VMwareDVSFeatureCapability(
        networkResourceManagementSupported=True, vmDirectPathGen2Supported=False,
        nicTeamingPolicy=list(TEAMING_POLICIES), networkResourcePoolHighShareValue=100,
        networkFilterSupported=True, macLearningSupported=True, vspanSupported=True,
        lldpSupported=True, ipfixSupported=True, multicastSnoopingSupported=True,
        networkResourceManagementCapability=T.DVSNetworkResourceManagementCapability(
            networkResourceManagementSupported=True, networkResourcePoolHighShareValue=100,
            qosSupported=True, userDefinedNetworkResourcePoolsSupported=False,
            networkResourceControlVersion3Supported=True,
            userDefinedInfraTrafficPoolSupported=False))


def _datacenter(entity):
    """The Datacenter holding `entity`."""
    server = entity.server
    obj = entity
    while obj is not None and obj.type_name != 'Datacenter':
        obj = server.objects.get(obj.parent) if obj.parent is not None else None
    return obj


def _switches(server):
    return [obj for obj in server.objects if isinstance(obj, DistributedVirtualSwitch)]


def switch_of_uplink(host, device):
    """The distributed switch whose uplink `host`'s pNIC `device` is, or None."""
    for switch in _switches(host.server):
        if host in switch.hosts and any(d == device for d, _ in switch.member(host).pnics):
            return switch
    return None


def create_dvs(task, folder, name, spec):
    """Folder.CreateDVS_Task's work: a switch from a DVSCreateSpec with its
    uplink portgroup, the spec applied and its hosts joined
    (DvsCreatedEvent, DvsHostJoinedEvent). A spec that faults leaves
    nothing (made and gone in one reactor turn, so no watcher saw it)."""
    server = folder.server
    config = as_vmware_spec(folder.T, spec.configSpec)
    product = spec.productInfo
    version = product.version if product is not None and product.version else DVS_VERSION
    if version not in DVS_VERSIONS:
        raise invalid('spec.productInfo.version')
    if product is not None and product.vendor not in (None, 'VMware, Inc.'):
        raise not_supported('spec.productInfo.vendor')
    if spec.capability is not None:
        raise not_supported('spec.capability')
    dvs = VmwareDistributedVirtualSwitch(server, server.objects.next_id('dvs-'), name, folder,
                                         server.new_uuid())
    dvs.version = version
    try:
        plan = dvs.check_spec(config, creating=True)
    except Exception:
        folder.remove_child(dvs)
        dvs.destroy()
        raise
    uplink = DistributedVirtualPortgroup(
        server, server.objects.next_id('dvportgroup-'),
        '%s-DVUplinks-%s' % (name, dvs.ref.value.rsplit('-', 1)[-1]), folder, dvs,
        num_ports=0, uplink=True)
    dvs.datacenter().networks.append(uplink)
    task.post_event('DvsCreatedEvent', dvs, parent=dvs.T.FolderEventArgument(
        name=folder.name, folder=folder.ref))
    dvs.apply_spec(task, config, plan)
    folder.changed('childEntity')
    dvs.datacenter().changed('network')
    return dvs
