"""HostImageConfigManager: a host's image profile, its installed VIBs and
the lowest acceptance level a VIB may have (HostSystem.configManager.
imageConfigManager).

A level above an installed VIB's own is refused (HostConfigFault), as
esxcli software acceptance set refuses it; a name that is no level answers
InvalidArgument.
"""
from vimsim.managed.host.config_managers import HostManagerObject, host_config_fault
from vimsim.soap.fault import InvalidArgument

# HostImageAcceptanceLevel, from the most to the least trusted, and the name VIBs give it
LEVELS = (('vmware_certified', 'VMwareCertified'), ('vmware_accepted', 'VMwareAccepted'),
          ('partner', 'PartnerSupported'), ('community', 'CommunitySupported'))
VIB_LEVEL_RANK = {vib_name: rank for rank, (_, vib_name) in enumerate(LEVELS)}
LEVEL_RANK = {level: rank for rank, (level, _) in enumerate(LEVELS)}
DEFAULT_LEVEL = 'partner'
PROFILE = ('ESXi-8.0U3-24022510-standard', 'VMware, Inc.')
VERSION = '8.0.3-0.0.24022510'

# (name, version, acceptance level, summary): the VIBs of the simulated host
PACKAGES = (
    ('esx-base', VERSION, 'VMwareCertified', 'ESXi: base functionality of vSphere ESXi'),
    ('esx-ui', '2.14.0-21993451', 'VMwareCertified', 'VMware Host Client'),
    ('esx-xserver', VERSION, 'VMwareCertified', 'X Server for 3D acceleration'),
    ('vsan', VERSION, 'VMwareCertified', 'vSAN'),
    ('nvmxnet3', '2.0.0.30-1vmw.803.0.0.24022510', 'VMwareCertified',
     'VMware vmxnet3 NIC driver'),
    ('pvscsi', '0.1-5vmw.803.0.0.24022510', 'VMwareCertified', 'VMware PVSCSI driver'),
    ('vmkata', '0.1-1vmw.803.0.0.24022510', 'VMwareCertified', 'ATA driver'),
    ('tools-light', '12.4.0.23259341-24022510', 'VMwareCertified', 'VMware Tools ISOs'),
    ('vmware-esx-esxcli-nvme-plugin', '1.2.0.52-1vmw.803.0.0.24022510', 'VMwareAccepted',
     'esxcli plugin for NVMe'),
)


class HostImageConfigManager(HostManagerObject):
    type_name = 'HostImageConfigManager'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.acceptance = DEFAULT_LEVEL
        self.installed = host.boot_time      # ESXi was installed when the host first booted

    def HostImageConfigGetAcceptance(self, ctx):
        return self.acceptance

    def HostImageConfigGetProfile(self, ctx):
        name, vendor = PROFILE
        return self.host.T.HostImageProfileSummary(name=name, vendor=vendor)

    def UpdateHostImageAcceptanceLevel(self, ctx, newAcceptanceLevel):
        rank = LEVEL_RANK.get(newAcceptanceLevel)
        if rank is None:
            raise InvalidArgument('newAcceptanceLevel')
        below = [name for name, _, level, _ in PACKAGES if VIB_LEVEL_RANK[level] > rank]
        if below:
            raise host_config_fault('Acceptance level %s is higher than that of the installed '
                                    'VIBs %s.' % (newAcceptanceLevel, ', '.join(below)))
        self.acceptance = newAcceptanceLevel

    def fetchSoftwarePackages(self, ctx):
        T = self.host.T
        return [T.SoftwarePackage(
            name=name, version=version, type='bootbank', vendor='VMware', acceptanceLevel=level,
            summary=summary, description=summary, maintenanceModeRequired=True,
            capability=T.SoftwarePackageCapability(liveInstallAllowed=False,
                                                   liveRemoveAllowed=False,
                                                   statelessReady=True, overlay=False))
            for name, version, level, summary in PACKAGES]

    def installDate(self, ctx):
        return self.installed
