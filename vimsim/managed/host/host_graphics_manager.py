"""HostGraphicsManager: a host's GPUs and how VMs share them
(HostSystem.configManager.graphicsManager).

The simulated host, VMware's virtual hardware, has no GPU: `graphicsInfo`,
`sharedPassthruGpuTypes`, `sharedGpuCapabilities` and the vGPU device and
profile lists are empty and shared graphics is never active. The graphics
configuration (`graphicsConfig`: the default graphics type and the shared
passthrough assignment policy) is kept as set; a type or policy ESXi does
not know, or a per-device setting for a device the host lacks, answers
InvalidArgument.
"""
from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.soap.fault import InvalidArgument

GRAPHICS_TYPES = ('shared', 'sharedDirect')           # HostGraphicsConfigGraphicsType
POLICIES = ('performance', 'consolidation')    # HostGraphicsConfigSharedPassthruAssignmentPolicy


class HostGraphicsManager(HostManagerObject):
    type_name = 'HostGraphicsManager'
    graphicsInfo = sharedPassthruGpuTypes = sharedGpuCapabilities = ()

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.default_type, self.policy = 'shared', 'performance'

    @property
    def graphicsConfig(self):
        return self.host.T.HostGraphicsConfig(
            hostDefaultGraphicsType=self.default_type,
            sharedPassthruAssignmentPolicy=self.policy, deviceType=[])

    def RetrieveVgpuDeviceInfo(self, ctx):
        return []

    def RetrieveVgpuProfileInfo(self, ctx):
        return []

    def RefreshGraphicsManager(self, ctx):
        """The host's (absent) GPUs are as they were."""

    def IsSharedGraphicsActive(self, ctx):
        return False

    def UpdateGraphicsConfig(self, ctx, config):
        if config.hostDefaultGraphicsType not in GRAPHICS_TYPES:
            raise InvalidArgument('config.hostDefaultGraphicsType')
        if config.sharedPassthruAssignmentPolicy not in POLICIES:
            raise InvalidArgument('config.sharedPassthruAssignmentPolicy')
        if config.deviceType:
            raise InvalidArgument('config.deviceType', 'The host has no graphics device %s.'
                                  % config.deviceType[0].deviceId)
        changed = (config.hostDefaultGraphicsType, config.sharedPassthruAssignmentPolicy)
        if changed != (self.default_type, self.policy):
            self.default_type, self.policy = changed
            self.report('graphicsConfig')
