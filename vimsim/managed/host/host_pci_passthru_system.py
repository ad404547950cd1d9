"""HostPciPassthruSystem: which of a host's PCI devices VMs may own
(HostSystem.configManager.pciPassthruSystem, the host's
`config.pciPassthruInfo`).

The devices are the simulated host's own PCI functions: its four physical
NICs and the PVSCSI adapter can be passed through, the IDE controller
cannot. Enabling (or disabling) passthrough takes effect when the host
reboots, as on ESXi: `passthruEnabled` changes at once, `passthruActive`
only with `applyNow` (the simulator does not model the reboot). A device
the host lacks or that cannot be passed through answers HostConfigFault.
"""
from vimsim.managed.host.config_managers import HostManagerObject, host_config_fault
from vimsim.managed.host.host_network_system import PNIC_SLOTS
from vimsim.managed.host.host_storage_system import ADAPTERS

# PCI id -> whether it can be passed through
DEVICES = dict([(pci, True) for pci in PNIC_SLOTS.values()]
               + [(pci, driver == 'pvscsi') for _, _, _, driver, pci in ADAPTERS])
VMWARE, INTEL = 0x15ad, 0x8086
VMWARE_INC, INTEL_CORPORATION = 'VMware Inc.', 'Intel Corporation'
# the virtual platform's PCI functions: id -> (class, vendor, device, subvendor,
# subdevice, parent bridge, vendor name, device name), as ESXi in a VM lists them
PLATFORM = {
    '0000:00:00.0': (0x0600, INTEL, 0x7190, VMWARE, 0x1976, None, INTEL_CORPORATION,
                     'Virtual Machine Chipset'),
    '0000:00:07.0': (0x0601, INTEL, 0x7110, VMWARE, 0x1976, None, INTEL_CORPORATION,
                     'Virtual Machine Chipset'),
    '0000:00:07.1': (0x0101, INTEL, 0x7111, VMWARE, 0x1976, None, INTEL_CORPORATION,
                     'PIIX4 for 430TX/440BX/MX IDE Controller'),
    '0000:00:0f.0': (0x0300, VMWARE, 0x0405, VMWARE, 0x0405, None, VMWARE_INC,
                     'SVGA II Adapter'),
    '0000:03:00.0': (0x0107, VMWARE, 0x07c0, VMWARE, 0x07c0, '0000:00:15.0', VMWARE_INC,
                     'PVSCSI SCSI Controller'),
}
PLATFORM.update({    # the root ports the PCIe devices sit behind
    '0000:00:%02x.%d' % (slot, function): (0x0604, VMWARE, 0x07a0, 0, 0, None, 'VMware',
                                          'PCI Express Root Port')
    for slot in range(0x15, 0x19) for function in range(8)})
PLATFORM.update({    # the physical NICs (host_network_system.PNIC_SLOTS)
    pci: (0x0200, VMWARE, 0x07b0, VMWARE, 0x07b0, bridge, VMWARE_INC,
          'vmxnet3 Virtual Ethernet Controller')
    for pci, bridge in zip(sorted(PNIC_SLOTS.values()),
                           ('0000:00:15.1', '0000:00:16.0', '0000:00:17.0', '0000:00:18.0'))})


def _short(value):
    """An unsigned 16-bit id as the xsd:short vim sends it (0x8086 is -32634)."""
    return value - 0x10000 if value >= 0x8000 else value


def pci_devices(T):
    """The host's HostPciDevices (`hardware.pciDevice`), in bus order."""
    out = []
    for pci in sorted(PLATFORM):
        class_id, vendor, device, sub_vendor, sub_device, bridge, vendor_name, name = \
            PLATFORM[pci]
        _, bus, slot_function = pci.split(':')
        slot, function = slot_function.split('.')
        out.append(T.HostPciDevice(
            id=pci, classId=_short(class_id), bus=int(bus, 16), slot=int(slot, 16),
            function=int(function, 16), vendorId=_short(vendor),
            subVendorId=_short(sub_vendor), vendorName=vendor_name, deviceId=_short(device),
            subDeviceId=_short(sub_device), parentBridge=bridge, deviceName=name))
    return out


class HostPciPassthruSystem(HostManagerObject):
    type_name = 'HostPciPassthruSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.enabled = dict.fromkeys(DEVICES, False)
        self.active = dict.fromkeys(DEVICES, False)
        self.labels = dict.fromkeys(DEVICES, '')

    @property
    def pciPassthruInfo(self):
        T = self.host.T
        return [T.HostPciPassthruInfo(
            id=pci, dependentDevice=pci, passthruEnabled=self.enabled[pci],
            passthruCapable=capable, passthruActive=self.active[pci],
            hardwareLabel=self.labels[pci] or None)
            for pci, capable in sorted(DEVICES.items())]

    def Refresh(self, ctx):
        """Nothing changes a simulated host's PCI devices behind hostd's back."""

    def UpdatePassthruConfig(self, ctx, config=()):
        for change in config:
            capable = DEVICES.get(change.id)
            if capable is None:
                raise host_config_fault('The host has no PCI device %s.' % change.id)
            if not capable and change.passthruEnabled:
                raise host_config_fault('The PCI device %s cannot be passed through.'
                                        % change.id)
        for change in config:
            self.enabled[change.id] = bool(change.passthruEnabled)
            if change.applyNow:
                self.active[change.id] = bool(change.passthruEnabled)
            if change.hardwareLabel is not None:
                self.labels[change.id] = change.hardwareLabel
        if config:
            self.report('pciPassthruInfo')
