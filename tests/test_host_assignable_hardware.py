"""HostAssignableHardwareManager through pyVmomi: the devices it offers for
dynamic DirectPath I/O are those HostPciPassthruSystem has passthrough
active on; attribute overrides are kept per instance and shown in the host's
config; the description tree is the same devices; no vendor device groups."""
import json

import pytest
from pyVmomi import vim, vmodl

from tests.conftest import _simulator
from tests.test_host_datastore_system import host_named



@pytest.fixture(scope='module')
def sim(validator):
    """The passthrough settings it changes stay in this simulator."""
    return _simulator(validator, tls=False)

def test_assignable_devices_follow_passthrough(si):
    host = host_named(si, 'DC0_C0_H2')
    manager = host.configManager.assignableHardwareManager
    passthru = host.configManager.pciPassthruSystem
    nic = next(info.id for info in host.config.pciPassthruInfo
               if info.passthruCapable and not info.passthruEnabled)
    assert manager.RetrieveDynamicPassthroughInfo() == []
    assert manager.RetrieveVendorDeviceGroupInfo() == []
    with pytest.raises(vim.fault.HostConfigFault):
        manager.UpdateAssignableHardwareConfig(vim.host.AssignableHardwareConfig(
            attributeOverride=[vim.host.AssignableHardwareConfig.AttributeOverride(
                instanceId=nic, name='label', value='fast')]))

    passthru.UpdatePassthruConfig([vim.host.PciPassthruConfig(
        id=nic, passthruEnabled=True, applyNow=True, hardwareLabel='uplink-a')])
    device = next(d for d in host.hardware.pciDevice if d.id == nic)
    [info] = manager.RetrieveDynamicPassthroughInfo()
    assert (info.vendorId, info.deviceId, info.deviceName, info.customLabel) == (
        device.vendorId, device.deviceId, device.deviceName, 'uplink-a')

    override = vim.host.AssignableHardwareConfig.AttributeOverride
    manager.UpdateAssignableHardwareConfig(vim.host.AssignableHardwareConfig(
        attributeOverride=[override(instanceId=nic, name='label', value='fast')]))
    [kept] = host.config.assignableHardwareConfig.attributeOverride
    assert (kept.instanceId, kept.name, kept.value) == (nic, 'label', 'fast')
    assert list(host.config.assignableHardwareBinding) == []
    tree = json.loads(bytes(manager.DownloadDescriptionTree()))
    [instance] = tree['instances']
    assert (instance['instanceId'], instance['attributes']) == (nic, {'label': 'fast'})
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.UpdateAssignableHardwareConfig(vim.host.AssignableHardwareConfig(
            attributeOverride=[override(instanceId=nic, name='', value='x')]))
    manager.UpdateAssignableHardwareConfig(vim.host.AssignableHardwareConfig(
        attributeOverride=[override(instanceId=nic, name='label')]))     # unset: removed
    assert list(manager.config.attributeOverride) == []

    passthru.UpdatePassthruConfig([vim.host.PciPassthruConfig(
        id=nic, passthruEnabled=False, applyNow=True)])
    assert manager.RetrieveDynamicPassthroughInfo() == []
