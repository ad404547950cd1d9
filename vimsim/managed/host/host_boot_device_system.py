"""HostBootDeviceSystem: the device a host boots from next
(HostSystem.configManager.bootDeviceSystem), among its BIOS's boot order."""
from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.soap.fault import InvalidArgument

# (key, description): the simulated host's BIOS boot devices
BOOT_DEVICES = (('cdrom', 'CD-ROM Drive'), ('disk', 'Hard Drive'),
                ('floppy', 'Removable Devices'), ('network', 'Network boot from vmnic0'))
DEFAULT_BOOT_DEVICE = 'disk'


class HostBootDeviceSystem(HostManagerObject):
    type_name = 'HostBootDeviceSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.current = DEFAULT_BOOT_DEVICE

    def QueryBootDevices(self, ctx):
        T = self.host.T
        return T.HostBootDeviceInfo(
            bootDevices=[T.HostBootDevice(key=key, description=description)
                         for key, description in BOOT_DEVICES],
            currentBootDeviceKey=self.current)

    def UpdateBootDevice(self, ctx, key):
        if key not in dict(BOOT_DEVICES):
            raise InvalidArgument('key')
        self.current = key
