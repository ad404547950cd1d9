"""A host's smaller configuration managers through pyVmomi, as Ansible's
modules call them: kernel module options (vmware_host_kernel_manager), PCI
passthrough, the vMotion NIC, the VM memory reservation, host cache,
graphics and health status; idempotent re-runs and read-back through
another session's WaitForUpdatesEx."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests import host_managers
from tests.conftest import all_of
from tests.host_managers import host_named
from tests.watching import Watcher, paths_of

sim = host_managers.sim     # the module's own simulator


def test_kernel_module_options_as_vmware_host_kernel_manager(si):
    modules = host_named(si).configManager.kernelModuleSystem
    found = {m.name: m for m in modules.QueryModules()}
    assert {'vmkernel', 'nvmxnet3', 'pvscsi', 'vmfs3'} <= set(found)
    assert found['pvscsi'].filename == '/usr/lib/vmware/vmkmod/pvscsi' and found['pvscsi'].loaded
    assert modules.QueryConfiguredModuleOptionString('nvmxnet3') == ''
    modules.UpdateModuleOptionString('nvmxnet3', 'RSS=4 num_rings=2')
    assert modules.QueryConfiguredModuleOptionString('nvmxnet3') == 'RSS=4 num_rings=2'
    # the loaded module keeps its options until the host reboots
    assert next(m for m in modules.QueryModules() if m.name == 'nvmxnet3').optionString == ''
    with pytest.raises(vim.fault.NotFound):
        modules.QueryConfiguredModuleOptionString('e1000e')
    with pytest.raises(vim.fault.NotFound):
        modules.UpdateModuleOptionString('e1000e', 'x=1')
    with pytest.raises(vmodl.fault.InvalidArgument):
        modules.UpdateModuleOptionString('nvmxnet3', 'RSS 4')
    assert modules.QueryConfiguredModuleOptionString('nvmxnet3') == 'RSS=4 num_rings=2'


def test_pci_passthrough(si, other):
    host = host_named(si)
    passthru = host.configManager.pciPassthruSystem
    devices = {d.id: d for d in passthru.pciPassthruInfo}
    assert devices['0000:0b:00.0'].passthruCapable and not devices['0000:0b:00.0'].passthruEnabled
    assert not devices['0000:00:07.1'].passthruCapable
    assert {d.id for d in host.config.pciPassthruInfo} == set(devices)
    # each is one of the host's PCI devices (vmware_host_passthrough looks them up there)
    pci = {d.id: d for d in host.hardware.pciDevice}
    assert set(devices) <= set(pci)
    assert pci['0000:0b:00.0'].parentBridge == '0000:00:16.0' and pci[
        pci['0000:0b:00.0'].parentBridge].deviceName == 'PCI Express Root Port'
    assert pci['0000:0b:00.0'].deviceName == 'vmxnet3 Virtual Ethernet Controller'
    assert (pci['0000:0b:00.0'].bus, pci['0000:0b:00.0'].slot) == (11, 0)
    assert pci['0000:00:07.1'].vendorId == -32634 and pci['0000:00:07.1'].function == 1
    watcher = Watcher(other, passthru, vim.host.PciPassthruSystem, ['pciPassthruInfo'])
    passthru.UpdatePassthruConfig([vim.host.PciPassthruConfig(id='0000:0b:00.0',
                                                              passthruEnabled=True)])
    device = next(d for d in host.config.pciPassthruInfo if d.id == '0000:0b:00.0')
    assert device.passthruEnabled and not device.passthruActive     # at the next reboot
    assert paths_of(watcher.changes()) == {'pciPassthruInfo'}
    passthru.UpdatePassthruConfig([vim.host.PciPassthruConfig(
        id='0000:13:00.0', passthruEnabled=True, applyNow=True)])
    assert next(d for d in passthru.pciPassthruInfo if d.id == '0000:13:00.0').passthruActive
    for bad in ('0000:ff:00.0', '0000:00:07.1'):
        with pytest.raises(vim.fault.HostConfigFault):
            passthru.UpdatePassthruConfig([vim.host.PciPassthruConfig(id=bad,
                                                                      passthruEnabled=True)])
    passthru.Refresh()


def _vmotion_vnic(host):
    network = host.configManager.networkSystem
    if 'vmk1' not in {v.device for v in network.networkInfo.vnic}:
        network.AddPortGroup(vim.host.PortGroup.Specification(
            name='vMotion', vlanId=20, vswitchName='vSwitch0',
            policy=vim.host.NetworkPolicy()))
        network.AddVirtualNic('vMotion', vim.host.VirtualNic.Specification(
            ip=vim.host.IpConfig(dhcp=False, ipAddress='10.20.0.11',
                                 subnetMask='255.255.255.0')))
    return 'vmk1'


def test_vmotion_system_follows_the_virtual_nic_manager(si, other):
    host = host_named(si, 'DC0_C0_H1')
    device = _vmotion_vnic(host)
    vmotion = host.configManager.vmotionSystem
    assert vmotion.netConfig.selectedVnic is None
    watcher = Watcher(other, host, vim.HostSystem, ['summary.config.vmotionEnabled'])
    vmotion.SelectVnic(device)
    assert host.summary.config.vmotionEnabled
    assert ('summary.config.vmotionEnabled', True) in {
        (path, value) for _, _, path, _, value in watcher.changes()}
    assert vmotion.netConfig.selectedVnic.endswith(device)
    nics = host.configManager.virtualNicManager.QueryNetConfig('vmotion')
    assert nics.selectedVnic == ['vmotion.key-vim.host.VirtualNic-%s' % device]
    vmotion.UpdateIpConfig(vim.host.IpConfig(dhcp=False, ipAddress='10.20.0.12',
                                             subnetMask='255.255.255.0'))
    assert vmotion.ipConfig.ipAddress == '10.20.0.12'
    assert next(v for v in host.config.network.vnic
                if v.device == device).spec.ip.ipAddress == '10.20.0.12'
    with pytest.raises(vim.fault.HostConfigFault):
        vmotion.SelectVnic('vmk9')
    vmotion.DeselectVnic()
    vmotion.DeselectVnic()                                    # idempotent
    assert not host.summary.config.vmotionEnabled
    with pytest.raises(vim.fault.NotFound):
        vmotion.UpdateIpConfig(vim.host.IpConfig(dhcp=True))


def test_memory_reservation(si):
    memory = host_named(si).configManager.memoryManager
    info = memory.virtualMachineReservationInfo
    assert info.virtualMachineMin < info.virtualMachineMax and info.virtualMachineReserved == 0
    assert memory.consoleReservationInfo is None
    with pytest.raises(vmodl.fault.NotSupported):             # ESXi has no service console
        memory.ReconfigureServiceConsoleReservation(cfgBytes=512 * 1024 * 1024)
    memory.ReconfigureVirtualMachineReservation(vim.host.MemoryManagerSystem.VirtualMachineReservationSpec(
        virtualMachineReserved=info.virtualMachineMax, allocationPolicy='swapSome'))
    reserved = info.virtualMachineMax
    info = memory.virtualMachineReservationInfo
    assert (info.virtualMachineReserved, info.allocationPolicy) == (reserved, 'swapSome')
    for spec in (vim.host.MemoryManagerSystem.VirtualMachineReservationSpec(virtualMachineReserved=1 << 50),
                 vim.host.MemoryManagerSystem.VirtualMachineReservationSpec(allocationPolicy='swapAll')):
        with pytest.raises(vmodl.fault.InvalidArgument):
            memory.ReconfigureVirtualMachineReservation(spec)


def test_host_cache(si):
    host = host_named(si)
    cache = host.configManager.cacheConfigurationManager
    datastore = host.datastore[0]
    WaitForTask(cache.ConfigureHostCache_Task(vim.host.CacheConfigurationManager.CacheConfigurationSpec(
        datastore=datastore, swapSize=4096)))
    info = {c.key._moId: c.swapSize for c in cache.cacheConfigurationInfo}
    assert info[datastore._moId] == 4096
    with pytest.raises(vmodl.fault.InvalidArgument):
        cache.ConfigureHostCache_Task(vim.host.CacheConfigurationManager.CacheConfigurationSpec(
            datastore=datastore, swapSize=-1))
    foreign = si.content.rootFolder.childEntity[0].datastoreFolder.CreateFolder('cache-x')
    with pytest.raises(vim.fault.NotFound):           # a folder is not one of its datastores
        cache.ConfigureHostCache_Task(vim.host.CacheConfigurationManager.CacheConfigurationSpec(
            datastore=vim.Datastore(foreign._moId, si._stub), swapSize=1))
    storage = host.configManager.storageSystem
    WaitForTask(storage.MarkAsNonSsd_Task(storage.storageDeviceInfo.scsiLun[0].uuid))
    try:
        with pytest.raises(vim.fault.HostConfigFault):
            cache.ConfigureHostCache_Task(
                vim.host.CacheConfigurationManager.CacheConfigurationSpec(
                    datastore=datastore, swapSize=0))
    finally:
        WaitForTask(storage.MarkAsSsd_Task(storage.storageDeviceInfo.scsiLun[0].uuid))


def test_graphics_without_a_gpu(si):
    graphics = host_named(si).configManager.graphicsManager
    assert graphics.graphicsInfo == [] and not graphics.IsSharedGraphicsActive()
    assert graphics.RetrieveVgpuDeviceInfo() == [] and graphics.RetrieveVgpuProfileInfo() == []
    assert graphics.graphicsConfig.hostDefaultGraphicsType == 'shared'
    graphics.UpdateGraphicsConfig(vim.host.GraphicsConfig(
        hostDefaultGraphicsType='sharedDirect', sharedPassthruAssignmentPolicy='consolidation'))
    config = graphics.graphicsConfig
    assert (config.hostDefaultGraphicsType, config.sharedPassthruAssignmentPolicy) == (
        'sharedDirect', 'consolidation')
    with pytest.raises(vmodl.fault.InvalidArgument):
        graphics.UpdateGraphicsConfig(vim.host.GraphicsConfig(
            hostDefaultGraphicsType='shared', sharedPassthruAssignmentPolicy='performance',
            deviceType=[vim.host.GraphicsConfig.DeviceType(deviceId='0000:af:00.0',
                                                           graphicsType='direct')]))
    with pytest.raises(vmodl.fault.InvalidArgument):
        graphics.UpdateGraphicsConfig(vim.host.GraphicsConfig(
            hostDefaultGraphicsType='direct', sharedPassthruAssignmentPolicy='performance'))
    graphics.RefreshGraphicsManager()


def test_health_status_and_event_log(si):
    host = host_named(si)
    health = host.configManager.healthStatusSystem
    sensors = health.runtime.systemHealthInfo.numericSensorInfo
    assert sensors[0].healthState.key == 'Green'
    log = health.FetchSystemEventLog()
    assert len(log) == 4 and 'boot' in log[0].message
    health.ClearSystemEventLog()
    log = health.FetchSystemEventLog()
    assert len(log) == 1 and 'cleared' in log[0].message and log[0].recordId == 5
    health.RefreshHealthStatusSystem()
    health.ResetSystemHealthInfo()
    assert host.runtime.healthSystemRuntime.systemHealthInfo.numericSensorInfo


def test_iscsi_port_binding_checks(si):
    """The adapter-independent part: the software iSCSI adapter is the
    storage system's (another branch); without one every adapter name is
    NotFound."""
    host = host_named(si, 'DC0_C0_H2')
    iscsi = host.configManager.iscsiManager
    assert iscsi.QueryVnicStatus('vmk0').reason == []          # one uplink: bindable
    network = host.configManager.networkSystem
    network.AddVirtualSwitch('vSwitchIscsi', vim.host.VirtualSwitch.Specification(
        numPorts=64, bridge=vim.host.VirtualSwitch.BondBridge(nicDevice=['vmnic1', 'vmnic2'])))
    network.AddPortGroup(vim.host.PortGroup.Specification(
        name='iSCSI-A', vlanId=0, vswitchName='vSwitchIscsi', policy=vim.host.NetworkPolicy()))
    device = network.AddVirtualNic('iSCSI-A', vim.host.VirtualNic.Specification(
        ip=vim.host.IpConfig(dhcp=False, ipAddress='10.30.0.11', subnetMask='255.255.255.0')))
    [reason] = iscsi.QueryVnicStatus(device).reason
    assert isinstance(reason, vim.fault.IscsiFaultVnicHasMultipleUplinks)
    with pytest.raises(vim.fault.IscsiFaultInvalidVnic):
        iscsi.QueryVnicStatus('vmk42')
    assert iscsi.QueryPnicStatus('vmnic1').reason == []
    with pytest.raises(vim.fault.IscsiFault):
        iscsi.QueryPnicStatus('vmnic9')
    for call in (lambda: iscsi.QueryBoundVnics('vmhba65'),
                 lambda: iscsi.QueryCandidateNics('vmhba65'),
                 lambda: iscsi.BindVnic('vmhba65', 'vmk0'),
                 lambda: iscsi.UnbindVnic('vmhba65', 'vmk0', False)):
        with pytest.raises(vim.fault.NotFound):
            call()
    dependency = iscsi.QueryMigrationDependencies(['vmnic0'])
    assert dependency.migrationAllowed and dependency.dependency == []


def test_manager_state_survives_a_restart(validator, tmp_path):
    """Under -state the new managers' changes replay into the same host."""
    from pyVim.connect import Disconnect
    from tests.test_state import _restarted, _start, _stop, _stopped
    first = _start(validator, tmp_path, esx=True)
    si = first.connect(user='root', pwd='any')
    managers = all_of(si, vim.HostSystem)[0].configManager
    managers.kernelModuleSystem.UpdateModuleOptionString('pvscsi', 'ring_pages=32')
    managers.diagnosticSystem.SelectActivePartition(vim.host.ScsiDisk.Partition(
        diskName='mpx.vmhba0:C0:T0:L0', partition=7))
    managers.graphicsManager.UpdateGraphicsConfig(vim.host.GraphicsConfig(
        hostDefaultGraphicsType='sharedDirect', sharedPassthruAssignmentPolicy='performance'))
    WaitForTask(managers.patchManager.InstallHostPatchV2_Task(
        bundleUrls=['http://10.0.0.5/ISM-Dell-Web-5.3.0.0-3339.VIB-ESX8i-Live.zip']))
    ad = next(store for store in managers.authenticationManager.supportedStore
              if isinstance(store, vim.host.ActiveDirectoryAuthentication))
    WaitForTask(ad.JoinDomain_Task('corp.example.com', 'admin', 'S3cret!'))
    Disconnect(si)
    second = _restarted(validator, tmp_path, _stopped(first), esx=True)
    try:
        si = second.connect(user='root', pwd='any')
        managers = all_of(si, vim.HostSystem)[0].configManager
        assert managers.kernelModuleSystem.QueryConfiguredModuleOptionString(
            'pvscsi') == 'ring_pages=32'
        assert managers.diagnosticSystem.activePartition.id.partition == 7
        assert managers.graphicsManager.graphicsConfig.hostDefaultGraphicsType == 'sharedDirect'
        task = managers.patchManager.QueryHostPatch_Task()
        WaitForTask(task)
        assert 'DEL-ESX-iSM_5.3.0.0-3339.DEL.800' in {s.id for s in task.info.result.status}
        assert all_of(si, vim.HostSystem)[0].config.domainList == ['corp.example.com']
        Disconnect(si)
    finally:
        _stop(second)
