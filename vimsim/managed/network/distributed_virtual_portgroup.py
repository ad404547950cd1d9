"""DistributedVirtualPortgroup: a portgroup of a distributed switch, its
ports and the NIC backings of the VMs on it; NSX-backed when vcsim's
-pg-nsx builds it."""
from vimsim.managed.network.distributed_virtual_switch import port_setting
from vimsim.managed.network.network import (NSX_TRANSPORT_ZONE_NAME, Network,
                                            nsx_transport_zone_uuid, nsx_uuid)
from vimsim.soap.fault import fault


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

    def Destroy_Task(self, ctx):
        """A portgroup no VM is connected to leaves its switch
        (DVPortgroupDestroyedEvent); the uplink portgroup goes only with the
        switch."""
        if self.uplink:
            raise fault('NotSupported', 'The operation is not supported on the object.')

        def leave(task):
            self.dvs.portgroups.remove(self)
            self.dvs.changed('portgroup', 'summary', 'config')
            task.post_event('DVPortgroupDestroyedEvent', self)
        return self.destroy_unused(ctx, lambda: self.vms, leave)

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
