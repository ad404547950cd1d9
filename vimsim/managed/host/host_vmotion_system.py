"""HostVMotionSystem: the VMkernel NIC a host migrates VMs over
(HostSystem.configManager.vmotionSystem), vSphere's first vMotion API.

It is the `vmotion` traffic type of HostVirtualNicManager seen as a single
choice: SelectVnic makes one VMkernel NIC the only one selected for vMotion,
DeselectVnic clears the selection, UpdateIpConfig sets the selected NIC's
IP configuration. All go through the host's network state
(`change_network`), so `config.vmotion`, `summary.config.vmotionEnabled` and
the virtual NIC manager show the same. A device that is no VMkernel NIC
answers HostConfigFault; UpdateIpConfig with none selected NotFound.
"""
from vimsim.managed.host.config_managers import HostManagerObject, host_config_fault
from vimsim.managed.host.host_network_system import change_network, vnic_key
from vimsim.managed.host.host_virtual_nic_manager import vmotion_info
from vimsim.soap.fault import NotFound

VMOTION = 'vmotion'


class HostVMotionSystem(HostManagerObject):
    type_name = 'HostVMotionSystem'

    @property
    def netConfig(self):
        return vmotion_info(self.host).netConfig

    @property
    def ipConfig(self):
        return vmotion_info(self.host).ipConfig

    def _selected(self):
        return self.host.netconfig.selected.get(VMOTION, [])

    def SelectVnic(self, ctx, device):
        names = [name for name in self.host.netconfig.vnics
                 if device in (name, vnic_key(name))]
        if not names:
            raise host_config_fault('%s is not a VMkernel NIC of the host.' % device)
        if self._selected() != names:
            change_network(self.host, ctx, lambda state: state.selected.__setitem__(
                VMOTION, names))

    def DeselectVnic(self, ctx):
        if self._selected():
            change_network(self.host, ctx, lambda state: state.selected.__setitem__(
                VMOTION, []))

    def UpdateIpConfig(self, ctx, ipConfig):
        selected = self._selected()
        if not selected:
            raise NotFound('No VMkernel NIC is selected for vMotion.')
        spec = self.host.T.HostVirtualNicSpec(ip=ipConfig)
        change_network(self.host, ctx, lambda state: state.update_vnic(selected[0], spec),
                       draft=True)
