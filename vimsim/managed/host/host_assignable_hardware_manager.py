"""HostAssignableHardwareManager: the host's PCI devices VMs can be given
through dynamic DirectPath I/O (HostSystem.configManager.assignableHardwareManager).

The assignable devices are those HostPciPassthruSystem has passthrough
active on (host_pci_passthru_system.py: the physical NICs and the PVSCSI
adapter, once enabled and applied), each an instance named by its PCI id.
RetrieveDynamicPassthroughInfo lists them as a VM's dynamic passthrough
backing names them (vendor and device ids, the hardware label as custom
label); the virtual platform has no vendor device groups (no vGPU or
SmartNIC). DownloadDescriptionTree answers the tree of the host's
assignable hardware as JSON bytes. UpdateAssignableHardwareConfig sets or
(an unset value) removes attribute overrides of an instance
(`config`, also the host's `config.assignableHardwareConfig`): an instance
the host does not assign answers HostConfigFault. No simulated VM binds a
device, so `binding` is empty.
"""
import json
import re

from vimsim.managed.host.config_managers import HostManagerObject, host_config_fault
from vimsim.managed.host.host_pci_passthru_system import PLATFORM, pci_devices
from vimsim.soap.fault import InvalidArgument

_ATTRIBUTE = re.compile(r'^[A-Za-z][A-Za-z0-9._-]{0,63}$')
_VALUE_TYPES = (str, bool, int, float)


class HostAssignableHardwareManager(HostManagerObject):
    type_name = 'HostAssignableHardwareManager'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.overrides = {}      # (instance id, attribute name) -> value

    # -- what can be assigned -----------------------------------------------------------------
    def assignable(self):
        """The host's HostPciDevices with passthrough active, by PCI id."""
        active = self.host.managers['pciPassthruSystem'].active
        return {device.id: device for device in pci_devices(self.host.T) if active.get(device.id)}

    @property
    def binding(self):
        return []

    @property
    def config(self):
        T = self.host.T
        return T.HostAssignableHardwareConfig(attributeOverride=[
            T.HostAssignableHardwareConfigAttributeOverride(instanceId=instance, name=name,
                                                            value=value)
            for (instance, name), value in sorted(self.overrides.items())])

    # -- methods -----------------------------------------------------------------------------------
    def RetrieveDynamicPassthroughInfo(self, ctx):
        T = self.host.T
        labels = self.host.managers['pciPassthruSystem'].labels
        return [T.VirtualMachineDynamicPassthroughInfo(
            name=device.deviceName, vendorName=device.vendorName, deviceName=device.deviceName,
            customLabel=labels.get(pci) or None, vendorId=device.vendorId,
            deviceId=device.deviceId)
            for pci, device in sorted(self.assignable().items())]

    def RetrieveVendorDeviceGroupInfo(self, ctx):
        return []

    def DownloadDescriptionTree(self, ctx):
        """The assignable hardware tree: each instance with its PCI identity,
        parent bridge and attributes (the overrides set on it)."""
        tree = {'host': self.host.name, 'instances': [
            {'instanceId': pci, 'type': 'pci', 'vendorId': PLATFORM[pci][1],
             'deviceId': PLATFORM[pci][2], 'vendorName': device.vendorName,
             'deviceName': device.deviceName, 'parent': device.parentBridge,
             'attributes': {name: value for (instance, name), value in
                            sorted(self.overrides.items()) if instance == pci}}
            for pci, device in sorted(self.assignable().items())]}
        return json.dumps(tree, indent=1, sort_keys=True).encode('utf-8')

    def UpdateAssignableHardwareConfig(self, ctx, config):
        assignable = self.assignable()
        changes = []
        for index, override in enumerate(config.attributeOverride):
            if override.instanceId not in assignable:
                raise host_config_fault('The host assigns no hardware instance %s.'
                                        % override.instanceId)
            if not _ATTRIBUTE.match(override.name or ''):
                raise InvalidArgument('config.attributeOverride[%d].name' % index)
            if override.value is not None and not isinstance(override.value, _VALUE_TYPES):
                raise InvalidArgument('config.attributeOverride[%d].value' % index)
            changes.append(((override.instanceId, override.name), override.value))
        for key, value in changes:
            if value is None:
                self.overrides.pop(key, None)
            else:
                self.overrides[key] = value
        if changes:
            self.report('config')
