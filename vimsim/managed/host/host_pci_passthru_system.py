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
