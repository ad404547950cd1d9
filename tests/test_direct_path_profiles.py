"""DirectPathProfileManager (API 9.0) with pyVmomi: profiles of dynamic
DirectPath devices (create, list with filters, update, delete; names and
devices unique), their capacity on a host and a cluster following the
hosts' passthrough devices, CapacityUnknown for what a query names that does
not exist, and NotSupported for device kinds the simulated hosts lack."""
import pytest
from pyVmomi import vim, vmodl

from tests.test_host_datastore_system import host_named

P = vim.DirectPathProfileManager


@pytest.fixture
def manager(si):
    return si.RetrieveContent().directPathProfileManager


def dynamic(vendor, device, label=None):
    return P.DynamicDirectPathConfig(dynamicDirectPathBacking=(
        vim.vm.device.VirtualPCIPassthrough.DynamicBackingInfo(
            allowedDevice=[vim.vm.device.VirtualPCIPassthrough.AllowedDevice(
                vendorId=vendor, deviceId=device)], customLabel=label)))


def test_profiles_catalog(si, manager):
    host = host_named(si, 'DC0_C0_H0')
    nic = next(d for d in host.hardware.pciDevice if d.deviceName.startswith('vmxnet3'))
    made = manager.DirectPathProfileManagerCreate(P.CreateSpec(
        name='nic', description='a vmxnet3', deviceConfig=dynamic(nic.vendorId, nic.deviceId)))
    [listed] = manager.DirectPathProfileManagerList(P.FilterSpec())
    assert (listed.id, listed.name, listed.vendorName) == (made, 'nic', nic.vendorName)
    with pytest.raises(vim.fault.AlreadyExists):                  # the same name
        manager.DirectPathProfileManagerCreate(P.CreateSpec(
            name='nic', deviceConfig=dynamic(nic.vendorId, nic.deviceId, 'x')))
    with pytest.raises(vim.fault.AlreadyExists):                  # the same device
        manager.DirectPathProfileManagerCreate(P.CreateSpec(
            name='other', deviceConfig=dynamic(nic.vendorId, nic.deviceId)))
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.DirectPathProfileManagerCreate(P.CreateSpec(
            name='x' * 81, deviceConfig=dynamic(nic.vendorId, nic.deviceId, 'y')))
    with pytest.raises(vmodl.fault.InvalidArgument):              # no host knows the vendor
        manager.DirectPathProfileManagerCreate(P.CreateSpec(
            name='gpu', deviceConfig=dynamic(0x10de, 0x1eb8)))
    with pytest.raises(vmodl.fault.NotSupported):
        manager.DirectPathProfileManagerCreate(P.CreateSpec(
            name='vgpu', deviceConfig=P.VmiopDirectPathConfig(vgpuProfile='grid_t4-16c')))
    labelled = manager.DirectPathProfileManagerCreate(P.CreateSpec(
        name='uplinks', deviceConfig=dynamic(nic.vendorId, nic.deviceId, 'uplink')))
    assert [p.id for p in manager.DirectPathProfileManagerList(
        P.FilterSpec(names=['uplinks']))] == [labelled]
    manager.DirectPathProfileManagerUpdate(labelled, P.UpdateSpec(description='labelled'))
    manager.DirectPathProfileManagerUpdate(labelled, P.UpdateSpec(name='labelled-nics'))
    [updated] = manager.DirectPathProfileManagerList(P.FilterSpec(ids=[labelled]))
    assert (updated.name, updated.description) == ('labelled-nics', 'labelled')
    with pytest.raises(vim.fault.AlreadyExists):
        manager.DirectPathProfileManagerUpdate(labelled, P.UpdateSpec(name='nic'))
    manager.DirectPathProfileManagerDelete(labelled)
    with pytest.raises(vim.fault.NotFound):
        manager.DirectPathProfileManagerDelete(labelled)
    with pytest.raises(vim.fault.NotFound):
        manager.DirectPathProfileManagerUpdate(labelled, P.UpdateSpec(name='gone'))
    manager.DirectPathProfileManagerDelete(made)
    assert manager.DirectPathProfileManagerList(P.FilterSpec()) == []


def test_capacity_follows_passthrough(si, manager):
    cluster = si.content.searchIndex.FindByInventoryPath('/DC0/host/DC0_C0')
    host = host_named(si, 'DC0_C0_H1')
    nics = [d for d in host.hardware.pciDevice if d.deviceName.startswith('vmxnet3')]
    made = manager.DirectPathProfileManagerCreate(P.CreateSpec(
        name='cap', deviceConfig=dynamic(nics[0].vendorId, nics[0].deviceId)))
    on_host = P.TargetHost(host=host)
    [result] = manager.DirectPathProfileManagerQueryCapacity(on_host)
    assert (result.profile.id, result.max, result.consumed, result.remaining) == (made, 0, 0, 0)
    passthru = host.configManager.pciPassthruSystem
    passthru.UpdatePassthruConfig([vim.host.PciPassthruConfig(
        id=nic.id, passthruEnabled=True, applyNow=True) for nic in nics[:2]])
    try:
        [result] = manager.DirectPathProfileManagerQueryCapacity(
            on_host, [P.CapacityQueryByName(name='cap')])
        assert (result.max, result.remaining, result.unusedReservation) == (2, 2, 0)
        [result] = manager.DirectPathProfileManagerQueryCapacity(
            P.TargetCluster(cluster=cluster), [P.CapacityQueryById(id=made)])
        assert result.max == 2
        assert [p.id for p in manager.DirectPathProfileManagerList(
            P.FilterSpec(clusters=[cluster]))] == [made]
        [unknown] = manager.DirectPathProfileManagerQueryCapacity(
            on_host, [P.CapacityQueryById(id='no-such-profile')])
        assert isinstance(unknown, P.CapacityUnknown)
        assert isinstance(unknown.faultList[0], vim.fault.NotFound)
    finally:
        passthru.UpdatePassthruConfig([vim.host.PciPassthruConfig(
            id=nic.id, passthruEnabled=False, applyNow=True) for nic in nics[:2]])
    assert manager.DirectPathProfileManagerList(P.FilterSpec(clusters=[cluster])) == []
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.DirectPathProfileManagerQueryCapacity(P.TargetHost(
            host=vim.HostSystem('host-gone', si._stub)))
    manager.DirectPathProfileManagerDelete(made)
