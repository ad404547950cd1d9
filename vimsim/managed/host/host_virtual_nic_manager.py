"""HostVirtualNicManager: which VMkernel NICs carry which traffic
(configManager.virtualNicManager). The selection is part of the host's
network state (`HostNetworkState.selected`), so removing a VMkernel NIC
deselects it everywhere, and the host's vMotion and fault tolerance settings
(`summary.config`, HostVMotionSystem) follow it."""
from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.managed.host.host_network_system import (change_network, host_not_connected,
                                                     vnic_key)
from vimsim.soap.fault import InvalidArgument


def nic_types(server):
    """The traffic types of the server's API (HostVirtualNicManagerNicType)."""
    return list(server.schema.enums['HostVirtualNicManagerNicType'].values)


def net_config(host, nic_type):
    """The VirtualNicManagerNetConfig of one traffic type: every VMkernel NIC
    is a candidate, keyed '<type>.<vnic key>' as hostd keys them."""
    state = host.netconfig
    prefix = nic_type + '.'
    return state.T.VirtualNicManagerNetConfig(
        nicType=nic_type, multiSelectAllowed=True,
        candidateVnic=state.vnic_objects(prefix),
        selectedVnic=[prefix + vnic_key(device) for device in state.selected.get(nic_type, ())])


def manager_info(host):
    return host.T.HostVirtualNicManagerInfo(
        netConfig=[net_config(host, nic_type) for nic_type in nic_types(host.server)])


def selected_vnics(host, nic_type):
    """The HostVirtualNic objects selected for a traffic type."""
    devices = host.netconfig.selected.get(nic_type, ())
    return [vnic for vnic in host.netconfig.vnic_objects() if vnic.device in devices]


class HostVirtualNicManager(HostManagerObject):
    type_name = 'HostVirtualNicManager'

    @property
    def info(self):
        return manager_info(self.host)

    def _check(self, nicType, device=None):
        if self.host.connection_state != 'connected':
            raise host_not_connected()
        if nicType not in nic_types(self.server):
            raise InvalidArgument('nicType')
        if device is None:
            return None
        state = self.host.netconfig
        # the device name, or a candidate's key ('vmotion.key-vim.host.VirtualNic-vmk1')
        for name in state.vnics:
            if device in (name, vnic_key(name), '%s.%s' % (nicType, vnic_key(name))):
                return name
        raise InvalidArgument('device')

    def QueryNetConfig(self, ctx, nicType):
        self._check(nicType)
        return net_config(self.host, nicType)

    def SelectVnicForNicType(self, ctx, nicType, device):
        name = self._check(nicType, device)
        if name not in self.host.netconfig.selected.get(nicType, ()):
            change_network(self.host, ctx, lambda state: state.selected.setdefault(
                nicType, []).append(name))

    def DeselectVnicForNicType(self, ctx, nicType, device):
        name = self._check(nicType, device)
        if name in self.host.netconfig.selected.get(nicType, ()):
            change_network(self.host, ctx, lambda state: state.selected[nicType].remove(name))

def vmotion_info(host):
    """HostVMotionInfo: the VMkernel NICs, the one selected for vMotion and
    its IP configuration (the management address while none is)."""
    T = host.T
    selected = selected_vnics(host, 'vmotion')
    ip = selected[0].spec.ip if selected else T.HostIpConfig(
        dhcp=False, ipAddress=host.ip, subnetMask='255.255.0.0')
    return T.HostVMotionInfo(
        netConfig=T.HostVMotionNetConfig(candidateVnic=host.netconfig.vnic_objects(),
                                         selectedVnic=selected[0].key if selected else None),
        ipConfig=ip)
