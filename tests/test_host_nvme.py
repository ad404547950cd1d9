"""NVMe over TCP through pyVmomi, as the vSphere Client's "Add Software
Adapter" and "Controllers" tabs and esxcli nvme fabrics drive it: a
software NVMe/TCP adapter on a pNIC, discovery of the datacenter's
simulated target, connecting its subsystem (its namespaces become disks,
in nvmeTopology, multipathInfo and scsiLun), VMFS on a namespace seen by a
second host after a rescan, disconnecting refused while the volume is
mounted; FCoE discovery answered as ESXi 8 answers it."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, task_fault
from tests.test_host_datastore_system import create_vmfs, host_named
from tests.watching import Watcher, paths_of

ADDRESS = '192.168.60.10'
SUBNQN = 'nqn.2024-01.com.vimsim:nvme:' + ADDRESS


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


def tcp(address=ADDRESS, port=None):
    return vim.host.NvmeOverTcpParameters(address=address, portNumber=port)


def nvme_adapter(storage):
    return next(a for a in storage.storageDeviceInfo.hostBusAdapter
                if isinstance(a, vim.host.TcpHba))


def namespaces(storage):
    return [d for d in storage.storageDeviceInfo.scsiLun if d.canonicalName.startswith('eui.')]


def add_adapter(host, pnic='vmnic1'):
    storage = host.configManager.storageSystem
    storage.CreateSoftwareAdapter(vim.host.TcpHbaCreateSpec(pnic=pnic))
    return nvme_adapter(storage).device


def test_software_adapters(si, other):
    host = host_named(si, 'DC0_H0')
    storage = host.configManager.storageSystem
    assert storage.storageDeviceInfo.nvmeTopology is None
    watcher = Watcher(other, storage, vim.host.StorageSystem, ['storageDeviceInfo'])
    device = add_adapter(host)
    assert paths_of(watcher.changes()) == {'storageDeviceInfo'}
    hba = nvme_adapter(storage)
    assert (hba.device, hba.associatedPnic, hba.storageProtocol) == (device, 'vmnic1', 'nvme')
    interface, = storage.storageDeviceInfo.nvmeTopology.adapter
    assert interface.adapter == hba.key and interface.connectedController == []
    with pytest.raises(vim.fault.DuplicateName):
        storage.CreateSoftwareAdapter(vim.host.TcpHbaCreateSpec(pnic='vmnic1'))
    with pytest.raises(vim.fault.NotFound):
        storage.CreateSoftwareAdapter(vim.host.TcpHbaCreateSpec(pnic='vmnic9'))
    with pytest.raises(vim.fault.HostConfigFault):
        storage.CreateSoftwareAdapter(vim.host.HbaCreateSpec())
    # the nested host's vmxnet3 NICs have no RDMA device behind them
    assert not host.config.network.rdmaDevice
    with pytest.raises(vim.fault.NotFound):
        storage.CreateNvmeOverRdmaAdapter('vmrdma0')
    with pytest.raises(vim.fault.HostConfigFault):
        storage.RemoveNvmeOverRdmaAdapter(device)
    with pytest.raises(vim.fault.HostConfigFault):
        storage.RemoveSoftwareAdapter('vmhba0')
    with pytest.raises(vim.fault.NotFound):
        storage.RemoveSoftwareAdapter('vmhba99')
    storage.RemoveSoftwareAdapter(device)
    assert not any(isinstance(a, vim.host.TcpHba)
                   for a in storage.storageDeviceInfo.hostBusAdapter)
    assert storage.storageDeviceInfo.nvmeTopology is None
    # the software iSCSI adapter is a software adapter too
    storage.UpdateSoftwareInternetScsiEnabled(True)
    storage.RemoveSoftwareAdapter('vmhba65')
    assert not storage.storageDeviceInfo.softwareInternetScsiEnabled


def test_discover_connect_vmfs_disconnect(si, other):
    first, second = host_named(si, 'DC0_C0_H0'), host_named(si, 'DC0_C0_H1')
    storage = first.configManager.storageSystem
    device = add_adapter(first)
    with pytest.raises(vmodl.fault.InvalidArgument):
        storage.DiscoverNvmeControllers(vim.host.NvmeDiscoverSpec(
            hbaName=device, transportParameters=tcp('not-an-ip')))
    with pytest.raises(vim.fault.HostConfigFault):
        storage.DiscoverNvmeControllers(vim.host.NvmeDiscoverSpec(
            hbaName=device, transportParameters=tcp(port=9999)))
    with pytest.raises(vim.fault.HostConfigFault):
        storage.DiscoverNvmeControllers(vim.host.NvmeDiscoverSpec(
            hbaName=device, transportParameters=vim.host.NvmeOverRdmaParameters(
                address=ADDRESS)))
    with pytest.raises(vim.fault.NotFound):
        storage.DiscoverNvmeControllers(vim.host.NvmeDiscoverSpec(
            hbaName='vmhba99', transportParameters=tcp()))
    log = storage.DiscoverNvmeControllers(vim.host.NvmeDiscoverSpec(
        hbaName=device, transportParameters=tcp()))
    entry, = log.entry
    assert log.complete and not entry.connected
    assert (entry.subnqn, entry.subsystemType, entry.transportParameters.portNumber) == (
        SUBNQN, 'nvm', 4420)
    assert namespaces(storage) == []            # discovery alone connects nothing

    spec = vim.host.NvmeConnectSpec(hbaName=device, transportParameters=tcp(),
                                    subnqn=entry.subnqn, adminQueueSize=32)
    with pytest.raises(vim.fault.HostConfigFault):
        storage.ConnectNvmeController(vim.host.NvmeConnectSpec(
            hbaName=device, transportParameters=tcp(), subnqn='nqn.2024-01.com.other:x'))
    with pytest.raises(vmodl.fault.InvalidArgument):
        storage.ConnectNvmeController(vim.host.NvmeConnectSpec(
            hbaName=device, transportParameters=tcp(), subnqn=SUBNQN, adminQueueSize=64))
    watcher = Watcher(other, storage, vim.host.StorageSystem, ['storageDeviceInfo'])
    storage.ConnectNvmeController(spec)
    assert paths_of(watcher.changes()) == {'storageDeviceInfo'}
    with pytest.raises(vim.fault.HostConfigFault):
        storage.ConnectNvmeController(spec)     # connected already
    info = storage.storageDeviceInfo
    controller, = info.nvmeTopology.adapter[0].connectedController
    assert controller.subnqn == SUBNQN and controller.transportType == 'tcp'
    assert controller.name == '%s#%s#%s:4420' % (SUBNQN, device, ADDRESS)
    disks = namespaces(storage)
    assert [n.name for n in controller.attachedNamespace] == [d.canonicalName for d in disks]
    assert [n.id for n in controller.attachedNamespace] == [1, 2]
    assert all(d.capacity.block * 512 == 100 << 30 and not d.localDisk for d in disks)
    units = {u.lun: u for u in info.multipathInfo.lun}
    path, = units[disks[0].key].path
    assert isinstance(path.transport, vim.host.TcpTargetTransport)
    assert path.adapter == nvme_adapter(storage).key
    assert storage.DiscoverNvmeControllers(vim.host.NvmeDiscoverSpec(
        hbaName=device, transportParameters=tcp())).entry[0].connected

    # VMFS on a namespace; a second host connecting the subsystem finds it
    ds = create_vmfs(first, disks[0].canonicalName, 'nvme-vmfs')
    storage_b = second.configManager.storageSystem
    device_b = add_adapter(second, 'vmnic2')
    storage_b.DiscoverNvmeControllers(vim.host.NvmeDiscoverSpec(
        hbaName=device_b, transportParameters=tcp(), autoConnect=True))
    assert [d.canonicalName for d in namespaces(storage_b)] == [d.canonicalName for d in disks]
    storage_b.RescanAllHba()
    assert ds in second.datastore and ds.summary.multipleHostAccess

    disconnect = vim.host.NvmeDisconnectSpec(hbaName=device, subnqn=SUBNQN)
    with pytest.raises(vim.fault.HostConfigFault):
        storage.DisconnectNvmeController(disconnect)
    with pytest.raises(vim.fault.ResourceInUse):
        storage.RemoveSoftwareAdapter(device)
    with pytest.raises(vim.fault.NotFound):
        storage.DisconnectNvmeController(vim.host.NvmeDisconnectSpec(
            hbaName=device, controllerNumber=1))
    with pytest.raises(vmodl.fault.InvalidArgument):
        storage.DisconnectNvmeController(vim.host.NvmeDisconnectSpec(hbaName=device))
    # the second host unmounts and leaves; the first keeps the volume
    storage_b.UnmountVmfsVolume(ds.info.vmfs.uuid)
    task = storage_b.DisconnectNvmeControllerEx_Task([vim.host.NvmeDisconnectSpec(
        hbaName=device_b, subnqn=SUBNQN)])
    WaitForTask(task)
    assert namespaces(storage_b) == [] and ds not in second.datastore
    assert [m.key for m in ds.host] == [first]
    storage_b.RemoveSoftwareAdapter(device_b)

    first.configManager.datastoreSystem.RemoveDatastore(ds)
    storage.DisconnectNvmeController(vim.host.NvmeDisconnectSpec(
        hbaName=device, controllerNumber=controller.controllerNumber))
    assert namespaces(storage) == []
    assert storage.storageDeviceInfo.nvmeTopology.adapter[0].connectedController == []
    # the Ex task connects each spec in turn, failing with the first that fails
    WaitForTask(storage.ConnectNvmeControllerEx_Task([spec]))
    assert len(namespaces(storage)) == 2
    assert isinstance(task_fault(storage.ConnectNvmeControllerEx_Task([spec])),
                      vim.fault.HostConfigFault)
    WaitForTask(storage.DisconnectNvmeControllerEx_Task([disconnect]))
    storage.RemoveSoftwareAdapter(device)


def test_fcoe_discovery(si):
    """Every pNIC reports its FCoE configuration, never active: ESXi 8
    has no software FCoE, so discovery is refused once the spec is sound."""
    host = host_named(si, 'DC0_C0_H2')
    pnic = next(p for p in host.config.network.pnic if p.device == 'vmnic0')
    fcoe = pnic.fcoeConfiguration
    assert fcoe.sourceMac == pnic.mac and not fcoe.fcoeActive
    assert fcoe.priorityClass == 3 and not fcoe.capabilities.vlanRange
    storage = host.configManager.storageSystem
    spec = vim.host.FcoeConfig.FcoeSpecification
    with pytest.raises(vim.fault.NotFound):
        storage.DiscoverFcoeHbas(spec(underlyingPnic='vmnic9'))
    with pytest.raises(vmodl.fault.InvalidArgument):
        storage.DiscoverFcoeHbas(spec(underlyingPnic='vmnic0', priorityClass=9))
    with pytest.raises(vmodl.fault.InvalidArgument):
        storage.DiscoverFcoeHbas(spec(underlyingPnic='vmnic0', vlanRange=[
            vim.host.FcoeConfig.VlanRange(vlanLow=10, vlanHigh=5)]))
    uplinks = {nic for switch in host.config.network.vswitch for nic in switch.pnic}
    free = next(p.device for p in host.config.network.pnic if p.key not in uplinks)
    with pytest.raises(vim.fault.FcoeFaultPnicHasNoPortSet) as raised:
        storage.DiscoverFcoeHbas(spec(underlyingPnic=free))
    assert raised.value.nicDevice == free
    used = next(p.device for p in host.config.network.pnic if p.key in uplinks)
    with pytest.raises(vim.fault.HostConfigFault):
        storage.DiscoverFcoeHbas(spec(underlyingPnic=used))
