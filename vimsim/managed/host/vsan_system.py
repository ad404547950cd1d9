"""HostVsanSystem: a host's vSAN membership (HostSystem.configManager.vsanSystem)."""
from vimsim.managed.host.config_managers import HostManagerObject


class HostVsanSystem(HostManagerObject):
    """HostSystem.configManager.vsanSystem of a host not in a vSAN cluster."""
    type_name = 'HostVsanSystem'

    def QueryHostStatus(self, ctx):
        T = self.host.T
        return T.VsanHostClusterStatus(
            health='unknown', nodeState=T.VsanHostClusterStatusState(state='disabled'),
            memberUuid=[])
