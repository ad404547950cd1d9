"""Network and OpaqueNetwork: the standard networks, and the NSX ids every
NSX-backed network (opaque networks, NSX portgroups) derives from its names.
The distributed switch and its portgroups are in distributed_virtual_switch.py
and distributed_virtual_portgroup.py.

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

from vimsim.managed.entity import ManagedEntity, data_types, refs

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

    def users(self):
        """What keeps the network from being destroyed: VMs or hosts on it."""
        return self.vms or self.hosts

    def Destroy_Task(self, ctx):
        """DestroyNetwork's rule: only a network no host or VM uses goes."""
        return self.destroy_unused(ctx, self.users)

    def DestroyNetwork(self, ctx):
        """vSphere 2.0's Destroy_Task, answered at once: ResourceInUse while
        VMs or hosts use the network."""
        if self.users():
            raise self.in_use()
        self.leave_inventory()

    @property
    def summary(self):
        from vimsim.managed.admin.ip_pool_manager import pool_fields
        return self.T.NetworkSummary(network=self.ref, name=self.name, accessible=True,
                                     **pool_fields(self))

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
        from vimsim.managed.admin.ip_pool_manager import pool_fields
        return self.T.OpaqueNetworkSummary(
            network=self.ref, name=self.name, accessible=True, **pool_fields(self),
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
