"""vAPI vcenter resources and appliance basics: what /api, /rest and the
Automation SDK list, filter and get agrees with what /sdk reports of the
same objects; VM power through REST is the VM's own power operation."""
import time

import pytest
from com.vmware.appliance.health_client import System as HealthSystem
from com.vmware.appliance.system_client import Version
from com.vmware.vapi.std.errors_client import (AlreadyExists, AlreadyInDesiredState,
                                               InvalidArgument, NotAllowedInCurrentState,
                                               NotFound, ServiceUnavailable,
                                               UnableToAllocateResource, Unsupported)
from com.vmware.vcenter.vm.guest_client import Identity as GuestIdentity
from com.vmware.vcenter.vm.hardware.adapter_client import Sata, Scsi
from com.vmware.vcenter.vm.hardware.boot_client import Device as BootDevice
from com.vmware.vcenter.vm.hardware_client import (Boot, Cdrom, Cpu, Disk, Ethernet, Floppy,
                                                   Memory, ScsiAddressSpec, Serial)
from com.vmware.vcenter.vm_client import GuestOS, Hardware, Power
from com.vmware.vcenter_client import (VM, Cluster, Datacenter, Datastore, Folder, Host,
                                       Network, ResourcePool)
from pyVim.task import WaitForTask
from pyVmomi import vim
from vmware.vapi.bindings import type as binding

from tests.conftest import _simulator, all_of
from vimsim.rest.vcenter_vm_info import guest_os_of as guest_os_name
from tests.rest_support import (Door, client, door, error_of, sdk_client, sdk_reads,  # noqa: F401
                                si, token)


@pytest.fixture(scope='module')
def sim(validator):
    """HTTPS (the SDK's only scheme), a simulator of its own: VMs change power."""
    return _simulator(validator)


GIB = 1024 ** 3
POWER = {'poweredOn': 'POWERED_ON', 'poweredOff': 'POWERED_OFF', 'suspended': 'SUSPENDED'}


def _vms(si):
    return sorted(all_of(si, vim.VirtualMachine), key=lambda vm: vm._moId)


def test_vm_list_is_the_inventory(client, si, door, token):
    expected = [(vm._moId, vm.name, POWER[vm.runtime.powerState], vm.config.hardware.numCPU,
                 vm.config.hardware.memoryMB) for vm in _vms(si)]
    listed = sorted((s.vm, s.name, s.power_state, s.cpu_count, s.memory_size_mib)
                    for s in client.vcenter.VM.list())
    assert listed == expected
    for form, path in (('api', '/api/vcenter/vm'), ('rest', '/rest/vcenter/vm')):
        answer = door.request('GET', path, token)
        assert answer.status_code == 200
        read = sdk_reads(answer, binding.ListType(VM.Summary.get_binding_type()), form)
        assert sorted((s.vm, s.name, s.power_state, s.cpu_count, s.memory_size_mib)
                      for s in read) == expected


def test_vm_filters(client, si, door, token):
    vms = _vms(si)
    first = vms[0]
    host = first.runtime.host
    cluster = host.parent if isinstance(host.parent, vim.ClusterComputeResource) else None

    def names(**spec):
        return sorted(s.name for s in client.vcenter.VM.list(VM.FilterSpec(**spec)))

    assert names(names={first.name}) == [first.name]
    assert names(vms={first._moId, vms[1]._moId}) == sorted([first.name, vms[1].name])
    assert names(hosts={host._moId}) == sorted(vm.name for vm in vms
                                               if vm.runtime.host == host)
    assert names(resource_pools={first.resourcePool._moId}) == sorted(
        vm.name for vm in vms if vm.resourcePool == first.resourcePool)
    assert names(folders={first.parent._moId}) == sorted(
        vm.name for vm in vms if vm.parent == first.parent)
    datacenter = all_of(si, vim.Datacenter)[0]
    assert names(datacenters={datacenter._moId}) == sorted(vm.name for vm in vms)
    if cluster is not None:
        assert names(clusters={cluster._moId}) == sorted(
            vm.name for vm in vms if vm.runtime.host.parent == cluster)
    on = sorted(vm.name for vm in vms if vm.runtime.powerState == 'poweredOn')
    assert names(power_states={Power.State.POWERED_ON}) == on
    assert names(names={first.name}, power_states={Power.State.SUSPENDED}) == []
    # the same filters as query parameters, in each form
    api = door.request('GET', '/api/vcenter/vm?names=%s&names=%s' % (first.name, vms[1].name),
                       token).json()
    assert sorted(s['name'] for s in api) == sorted([first.name, vms[1].name])
    rest = door.request('GET', '/rest/vcenter/vm?filter.names.1=%s&filter.power_states.1='
                        'POWERED_ON' % first.name, token).json()['value']
    assert [s['name'] for s in rest] == ([first.name] if first.name in on else [])
    assert door.request('GET', '/api/vcenter/vm?power_states=ON', token).status_code == 400
    assert door.request('GET', '/api/vcenter/vm?colour=blue', token).status_code == 400


def test_inventory_lists(client, si):
    def ids(summaries, field):
        return sorted(getattr(s, field) for s in summaries)

    hosts = all_of(si, vim.HostSystem)
    listed = {s.host: s for s in client.vcenter.Host.list()}
    assert sorted(listed) == sorted(h._moId for h in hosts)
    for host in hosts:
        summary = listed[host._moId]
        assert summary.name == host.name
        assert summary.connection_state == host.runtime.connectionState.upper()
        assert summary.host_uuid == host.hardware.systemInfo.uuid
    standalone = [h._moId for h in hosts if not isinstance(h.parent, vim.ClusterComputeResource)]
    assert ids(client.vcenter.Host.list(Host.FilterSpec(standalone=True)), 'host') == \
        sorted(standalone)
    datastores = all_of(si, vim.Datastore)
    listed = client.vcenter.Datastore.list()
    assert sorted((s.datastore, s.name, s.type, s.capacity, s.free_space) for s in listed) == \
        sorted((d._moId, d.name, d.summary.type, d.summary.capacity, d.summary.freeSpace)
               for d in datastores)
    networks = all_of(si, vim.Network)
    assert ids(client.vcenter.Network.list(), 'network') == sorted(n._moId for n in networks)
    portgroups = client.vcenter.Network.list(Network.FilterSpec(
        types={Network.Type.DISTRIBUTED_PORTGROUP}))
    assert ids(portgroups, 'network') == sorted(
        n._moId for n in networks if isinstance(n, vim.dvs.DistributedVirtualPortgroup))
    clusters = all_of(si, vim.ClusterComputeResource)
    assert sorted((s.cluster, s.name, s.drs_enabled, s.ha_enabled)
                  for s in client.vcenter.Cluster.list()) == sorted(
        (c._moId, c.name, bool(c.configurationEx.drsConfig.enabled),
         bool(c.configurationEx.dasConfig.enabled)) for c in clusters)
    datacenters = all_of(si, vim.Datacenter)
    assert ids(client.vcenter.Datacenter.list(), 'datacenter') == sorted(
        d._moId for d in datacenters)
    folders = all_of(si, vim.Folder)
    vm_folders = client.vcenter.Folder.list(Folder.FilterSpec(type=Folder.Type.VIRTUAL_MACHINE))
    assert ids(vm_folders, 'folder') == sorted(
        f._moId for f in folders if 'VirtualMachine' in f.childType)
    pools = [p for p in all_of(si, vim.ResourcePool) if not isinstance(p, vim.VirtualApp)]
    assert ids(client.vcenter.ResourcePool.list(), 'resource_pool') == sorted(
        p._moId for p in pools)
    if clusters:
        in_cluster = client.vcenter.ResourcePool.list(ResourcePool.FilterSpec(
            clusters={clusters[0]._moId}))
        assert ids(in_cluster, 'resource_pool') == sorted(
            p._moId for p in pools if p.owner == clusters[0])


def test_gets(client, si, door, token):
    datastore = all_of(si, vim.Datastore)[0]
    info = client.vcenter.Datastore.get(datastore._moId)
    assert (info.name, info.type, info.accessible, info.free_space) == (
        datastore.name, datastore.summary.type, datastore.summary.accessible,
        datastore.summary.freeSpace)
    cluster = all_of(si, vim.ClusterComputeResource)[0]
    info = client.vcenter.Cluster.get(cluster._moId)
    assert (info.name, info.resource_pool) == (cluster.name, cluster.resourcePool._moId)
    datacenter = all_of(si, vim.Datacenter)[0]
    info = client.vcenter.Datacenter.get(datacenter._moId)
    assert (info.name, info.vm_folder, info.host_folder) == (
        datacenter.name, datacenter.vmFolder._moId, datacenter.hostFolder._moId)
    pool = cluster.resourcePool
    info = client.vcenter.ResourcePool.get(pool._moId)
    assert info.name == pool.name
    assert info.resource_pools == {p._moId for p in pool.resourcePool}
    assert info.cpu_allocation.shares.level == pool.config.cpuAllocation.shares.level.upper()
    answer = door.request('GET', '/api/vcenter/resource-pool/' + pool._moId, token)
    assert sdk_reads(answer, ResourcePool.Info.get_binding_type(), 'api').name == pool.name
    with pytest.raises(NotFound):
        client.vcenter.Datastore.get('datastore-99999')
    missing = door.request('GET', '/api/vcenter/cluster/domain-c99999', token)
    assert missing.status_code == 404 and error_of(missing, 'api')[0] == 'NOT_FOUND'
    missing = door.request('GET', '/rest/vcenter/datacenter/datacenter-99999', token)
    assert missing.status_code == 404
    assert error_of(missing, 'rest')[0] == 'com.vmware.vapi.std.errors.not_found'


def test_power(client, si, door, token):
    vm = [vm for vm in _vms(si) if vm.runtime.powerState == 'poweredOn'][0]
    assert client.vcenter.vm.Power.get(vm._moId).state == Power.State.POWERED_ON
    with pytest.raises(AlreadyInDesiredState):
        client.vcenter.vm.Power.start(vm._moId)
    client.vcenter.vm.Power.stop(vm._moId)
    assert vm.runtime.powerState == 'poweredOff'
    stop_tasks = [t for t in si.content.taskManager.recentTask
                  if t.info.descriptionId == 'VirtualMachine.powerOff' and t.info.entity == vm]
    assert stop_tasks and stop_tasks[-1].info.state == 'success'
    with pytest.raises(NotAllowedInCurrentState):
        client.vcenter.vm.Power.suspend(vm._moId)
    again = door.request('POST', '/api/vcenter/vm/%s/power?action=stop' % vm._moId, token)
    assert again.status_code == 400
    assert error_of(again, 'api')[0] == 'ALREADY_IN_DESIRED_STATE'
    started = door.request('POST', '/rest/vcenter/vm/%s/power/start' % vm._moId, token)
    assert started.status_code == 200
    assert vm.runtime.powerState == 'poweredOn'
    client.vcenter.vm.Power.suspend(vm._moId)
    assert vm.runtime.powerState == 'suspended'
    client.vcenter.vm.Power.start(vm._moId)
    client.vcenter.vm.Power.reset(vm._moId)
    assert vm.runtime.powerState == 'poweredOn'
    WaitForTask(vm.PowerOffVM_Task())        # a change through /sdk is seen by REST
    answer = door.request('GET', '/api/vcenter/vm/%s/power' % vm._moId, token)
    assert sdk_reads(answer, Power.Info.get_binding_type(), 'api').state == \
        Power.State.POWERED_OFF
    with pytest.raises(NotFound):
        client.vcenter.vm.Power.start('vm-99999')


def test_appliance(client, si, door, token):
    about = si.content.about
    version = client.appliance.system.Version.get()
    assert version.version.startswith(about.version) and version.build == about.build
    assert client.appliance.health.System.get() == HealthSystem.HealthLevel.green
    for form, prefix in (('api', '/api'), ('rest', '/rest')):
        answer = door.request('GET', prefix + '/appliance/system/version', token)
        assert sdk_reads(answer, Version.VersionStruct.get_binding_type(), form).build == \
            about.build
        health = door.request('GET', prefix + '/appliance/health/system', token)
        assert sdk_reads(health, HealthSystem.HealthLevel.get_binding_type(), form) == 'green'


def test_missing_session_and_unknown_paths(door, token):
    for path in ('/api/vcenter/vm', '/rest/vcenter/host', '/api/appliance/system/version'):
        answer = door.request('GET', path)
        assert answer.status_code == 401, path
    assert door.request('GET', '/api/vcenter/no-such-thing', token).status_code == 404
    assert door.request('DELETE', '/api/vcenter/vm', token).status_code == 404
    assert door.request('GET', '/rest/vcenter/vm/vm-1/power/start', token).status_code == 404


LISTS = [('vm', VM), ('host', Host), ('datastore', Datastore), ('network', Network),
         ('cluster', Cluster), ('datacenter', Datacenter), ('folder', Folder),
         ('resource-pool', ResourcePool)]


@pytest.mark.parametrize('form', ['api', 'rest'])
@pytest.mark.parametrize('path, service', LISTS, ids=[path for path, _ in LISTS])
def test_every_list_reads_as_the_bindings_expect(client, door, token, form, path, service):
    """Each /api and /rest list answer, read by the SDK's REST deserializer
    with the bindings' summary type, is what the SDK's JSON-RPC list says."""
    answer = door.request('GET', '/%s/vcenter/%s' % (form, path), token)
    assert answer.status_code == 200
    read = sdk_reads(answer, binding.ListType(service.Summary.get_binding_type()), form)
    stub_name = {'vm': 'VM', 'resource-pool': 'ResourcePool'}.get(path, path.capitalize())
    assert read == getattr(client.vcenter, stub_name).list()


def _device_spec(device, operation='add', file_operation=None):
    return vim.vm.device.VirtualDeviceSpec(operation=operation, fileOperation=file_operation,
                                           device=device)


def _more_devices(vm):
    """Give `vm` one device of each kind the VM Info describes beyond the
    default inventory's: a SATA adapter with an ISO CD-ROM, a floppy image,
    serial and parallel ports, an E1000e on a standard portgroup."""
    network = [n for n in vm.runtime.host.network if type(n) is vim.Network][0]
    connectable = vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True,
                                                          allowGuestControl=False)
    sata = vim.vm.device.VirtualAHCIController(key=-1, busNumber=0)
    specs = [
        _device_spec(sata),
        _device_spec(vim.vm.device.VirtualCdrom(
            key=-2, controllerKey=-1, unitNumber=0, connectable=connectable,
            backing=vim.vm.device.VirtualCdrom.IsoBackingInfo(
                fileName='[%s] iso/boot.iso' % vm.datastore[0].name))),
        _device_spec(vim.vm.device.VirtualFloppy(
            key=-3, connectable=connectable,
            backing=vim.vm.device.VirtualFloppy.ImageBackingInfo(
                fileName='[%s] flp/a.flp' % vm.datastore[0].name))),
        _device_spec(vim.vm.device.VirtualSerialPort(
            key=-4, yieldOnPoll=True, connectable=connectable,
            backing=vim.vm.device.VirtualSerialPort.URIBackingInfo(
                direction='server', serviceURI='tcp://:7001'))),
        _device_spec(vim.vm.device.VirtualParallelPort(
            key=-5, connectable=connectable,
            backing=vim.vm.device.VirtualParallelPort.FileBackingInfo(
                fileName='[%s] lpt.out' % vm.datastore[0].name))),
        _device_spec(vim.vm.device.VirtualE1000e(
            key=-6, connectable=connectable, addressType='generated',
            backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(
                network=network, deviceName=network.name)))]
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=specs)))


def _expected_info(vm):
    """What VM.get answers of `vm`, from what pyVmomi reads of it."""
    config = vm.config
    devices = config.hardware.device
    by_key = {d.key: d for d in devices}

    def of(kind):
        return {str(d.key): d for d in devices if isinstance(d, kind)}

    def address(device):
        controller = by_key[device.controllerKey]
        if isinstance(controller, vim.vm.device.VirtualIDEController):
            return ('IDE', controller.busNumber == 0, device.unitNumber == 0)
        bus = next(name for kind, name in BUSES if isinstance(controller, kind))
        return (bus, controller.busNumber, device.unitNumber)

    return {
        'name': vm.name, 'power_state': POWER[vm.runtime.powerState],
        'bios_uuid': config.uuid, 'instance_uuid': config.instanceUuid,
        'version': 'VMX_' + config.version.split('-')[1],
        'cpu': (config.hardware.numCPU, config.hardware.numCoresPerSocket),
        'memory': config.hardware.memoryMB,
        'boot': config.firmware.upper(),
        'disks': {key: (d.deviceInfo.label, d.backing.fileName, d.capacityInBytes, address(d))
                  for key, d in of(vim.vm.device.VirtualDisk).items()},
        'nics': {key: (d.deviceInfo.label, d.macAddress,
                       getattr(d.backing, 'network', None) and d.backing.network._moId
                       or getattr(getattr(d.backing, 'port', None), 'portgroupKey', None))
                 for key, d in of(vim.vm.device.VirtualEthernetCard).items()},
        'cdroms': {key: (d.deviceInfo.label, address(d))
                   for key, d in of(vim.vm.device.VirtualCdrom).items()},
        'floppies': sorted(of(vim.vm.device.VirtualFloppy)),
        'serial': sorted(of(vim.vm.device.VirtualSerialPort)),
        'parallel': sorted(of(vim.vm.device.VirtualParallelPort)),
        'scsi': {key: d.busNumber for key, d in of(vim.vm.device.VirtualSCSIController).items()},
        'sata': {key: d.busNumber for key, d in of(vim.vm.device.VirtualSATAController).items()}}


BUSES = ((vim.vm.device.VirtualSCSIController, 'SCSI'),
         (vim.vm.device.VirtualSATAController, 'SATA'),
         (vim.vm.device.VirtualNVMEController, 'NVME'))


def _read_info(info):
    """The same facts, from a VM.Info the SDK's bindings hold."""
    def address(device):
        if device.type == 'IDE':
            return ('IDE', device.ide.primary, device.ide.master)
        where = getattr(device, device.type.lower())
        return (device.type, where.bus, where.unit)

    return {
        'name': info.name, 'power_state': info.power_state,
        'bios_uuid': info.identity.bios_uuid, 'instance_uuid': info.identity.instance_uuid,
        'version': info.hardware.version,
        'cpu': (info.cpu.count, info.cpu.cores_per_socket), 'memory': info.memory.size_mib,
        'boot': info.boot.type,
        'disks': {key: (d.label, d.backing.vmdk_file, d.capacity, address(d))
                  for key, d in info.disks.items()},
        'nics': {key: (n.label, n.mac_address, n.backing.network)
                 for key, n in info.nics.items()},
        'cdroms': {key: (c.label, address(c)) for key, c in info.cdroms.items()},
        'floppies': sorted(info.floppies), 'serial': sorted(info.serial_ports),
        'parallel': sorted(info.parallel_ports),
        'scsi': {key: a.scsi.bus for key, a in info.scsi_adapters.items()},
        'sata': {key: a.bus for key, a in info.sata_adapters.items()}}


def test_vm_get_is_the_config(client, si, door, token):
    """VM.get through JSON-RPC, /api and /rest reads as the bindings expect
    and says what /sdk says of every VM, also of devices of every kind."""
    vms = _vms(si)
    _more_devices(vms[0])
    for vm in vms:
        expected = _expected_info(vm)
        info = client.vcenter.VM.get(vm._moId)
        assert _read_info(info) == expected
        for form in ('api', 'rest'):
            answer = door.request('GET', '/%s/vcenter/vm/%s' % (form, vm._moId), token)
            assert answer.status_code == 200
            assert sdk_reads(answer, VM.Info.get_binding_type(), form) == info
    info = client.vcenter.VM.get(vms[0]._moId)
    (sata_cdrom,) = [c for c in info.cdroms.values() if c.type == 'SATA']
    assert sata_cdrom.backing.type == 'ISO_FILE' and sata_cdrom.backing.iso_file.endswith(
        'boot.iso')
    assert sata_cdrom.start_connected and not sata_cdrom.allow_guest_control
    (floppy,) = info.floppies.values()
    assert floppy.backing.type == 'IMAGE_FILE' and floppy.backing.image_file.endswith('a.flp')
    (serial,) = info.serial_ports.values()
    assert (serial.backing.type, serial.backing.network_location, serial.yield_on_poll) == (
        'NETWORK_SERVER', 'tcp://:7001', True)
    (parallel,) = info.parallel_ports.values()
    assert parallel.backing.type == 'FILE' and parallel.backing.file.endswith('lpt.out')
    (e1000e,) = [n for n in info.nics.values() if n.type == 'E1000E']
    (card,) = [d for d in vms[0].config.hardware.device
               if isinstance(d, vim.vm.device.VirtualE1000e)]
    assert (e1000e.backing.type, e1000e.mac_type) == ('STANDARD_PORTGROUP',
                                                      card.addressType.upper())
    assert info.guest_os == 'OTHER_64'


def test_vm_get_follows_changes_and_misses(client, si, door, token):
    vm = _vms(si)[1]
    if vm.runtime.powerState != 'poweredOff':
        WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        numCPUs=4, numCoresPerSocket=2, memoryMB=2048, guestId='windows9_64Guest',
        bootOptions=vim.vm.BootOptions(bootDelay=1500, bootOrder=[
            vim.vm.BootOptions.BootableEthernetDevice(deviceKey=4000),
            vim.vm.BootOptions.BootableCdromDevice()]))))
    info = client.vcenter.VM.get(vm._moId)
    assert (info.cpu.count, info.cpu.cores_per_socket, info.memory.size_mib) == (4, 2, 2048)
    assert info.guest_os == 'WINDOWS_9_64' and info.boot.delay == 1500
    assert [(d.type, d.nic) for d in info.boot_devices] == [('ETHERNET', '4000'),
                                                           ('CDROM', None)]
    with pytest.raises(NotFound):
        client.vcenter.VM.get('vm-99999')
    for form in ('api', 'rest'):
        missing = door.request('GET', '/%s/vcenter/vm/vm-99999' % form, token)
        assert missing.status_code == 404
        assert sdk_reads(missing, VM.Info.get_binding_type(), form).name == \
            'com.vmware.vapi.std.errors.not_found'
    assert door.request('GET', '/api/vcenter/vm/' + vm._moId).status_code == 401


def test_guest_os_names_are_the_bindings():
    """Every guestId of the schema has its vAPI name among the bindings'
    GuestOS values, and that name leads back to it."""
    from com.vmware.vcenter.vm_client import GuestOS
    from vimsim.rest.vcenter_vm_info import guest_id_of, guest_os_of
    from vimsim.schema import load
    schema = load()
    names = {str(value) for value in GuestOS.get_values()}
    unnamed = []
    for guest_id in schema.enums['VirtualMachineGuestOsIdentifier'].values:
        name = guest_os_of(guest_id)
        assert name in names
        if guest_id_of(schema, name) != guest_id:
            unnamed.append(guest_id)
    assert unnamed == ['flatcar_64Guest']     # the vAPI has no name for it: OTHER_64


def test_list_limits(validator):
    """More VMs than vCenter's 4,000 match: unable_to_allocate_resource in
    every form, until a filter narrows the match."""
    crowded = _simulator(validator, vm=2001)      # 2 resource pools: 4,002 VMs
    door = Door(crowded)
    token = door.login()
    client = sdk_client(crowded)
    with pytest.raises(UnableToAllocateResource):
        client.vcenter.VM.list()
    for form in ('api', 'rest'):
        answer = door.request('GET', '/%s/vcenter/vm' % form, token)
        assert answer.status_code == 400
        assert error_of(answer, form)[0] in (
            'UNABLE_TO_ALLOCATE_RESOURCE', 'com.vmware.vapi.std.errors.unable_to_allocate_resource')
    pools = client.vcenter.ResourcePool.list()
    in_pool = client.vcenter.VM.list(VM.FilterSpec(resource_pools={pools[0].resource_pool}))
    assert len(in_pool) == 2001
    assert len(client.vcenter.Host.list()) < 2500      # the other lists are under their limits


def _placement(client, si):
    """A placement in the first cluster: its VM folder and a datastore of it."""
    cluster = all_of(si, vim.ClusterComputeResource)[0]
    datacenter = all_of(si, vim.Datacenter)[0]
    return cluster, VM.PlacementSpec(folder=datacenter.vmFolder._moId, cluster=cluster._moId,
                                     datastore=cluster.datastore[0]._moId)


def _by_moid(si, moid):
    found = [vm for vm in all_of(si, vim.VirtualMachine) if vm._moId == moid]
    return found[0] if found else None


def test_vm_create_is_createvm(client, si):
    """A full CreateSpec through the SDK makes the VM /sdk sees, by the
    folder's CreateVM_Task, with every device asked for."""
    cluster, placement = _placement(client, si)
    network = [n for n in cluster.network if type(n) is vim.Network][0]
    datastore = cluster.datastore[0].name
    spec = VM.CreateSpec(
        name='rest-made', guest_os=GuestOS.RHEL_9_64, placement=placement,
        hardware_version=Hardware.Version.VMX_19,
        cpu=Cpu.UpdateSpec(count=4, cores_per_socket=2, hot_add_enabled=True),
        memory=Memory.UpdateSpec(size_mib=3072),
        boot=Boot.CreateSpec(type=Boot.Type.BIOS, delay=2000, enter_setup_mode=True),
        boot_devices=[BootDevice.EntryCreateSpec(type=BootDevice.Type.CDROM),
                      BootDevice.EntryCreateSpec(type=BootDevice.Type.DISK)],
        scsi_adapters=[Scsi.CreateSpec(type=Scsi.Type.LSILOGIC, bus=0)],
        sata_adapters=[Sata.CreateSpec(bus=0)],
        disks=[Disk.CreateSpec(type=Disk.HostBusAdapterType.SCSI,
                               scsi=ScsiAddressSpec(bus=0, unit=3),
                               new_vmdk=Disk.VmdkCreateSpec(name='data', capacity=2 * GIB)),
               Disk.CreateSpec(type=Disk.HostBusAdapterType.SATA,
                               new_vmdk=Disk.VmdkCreateSpec(capacity=GIB))],
        nics=[Ethernet.CreateSpec(
            type=Ethernet.EmulationType.E1000E, mac_type=Ethernet.MacAddressType.MANUAL,
            mac_address='00:50:56:3f:00:01', start_connected=True,
            backing=Ethernet.BackingSpec(type=Ethernet.BackingType.STANDARD_PORTGROUP,
                                         network=network._moId))],
        cdroms=[Cdrom.CreateSpec(type=Cdrom.HostBusAdapterType.SATA, backing=Cdrom.BackingSpec(
            type=Cdrom.BackingType.ISO_FILE, iso_file='[%s] iso/os.iso' % datastore))],
        serial_ports=[Serial.CreateSpec(backing=Serial.BackingSpec(
            type=Serial.BackingType.FILE, file='[%s] rest-made/com1.log' % datastore))],
        floppies=[Floppy.CreateSpec(backing=Floppy.BackingSpec(
            type=Floppy.BackingType.CLIENT_DEVICE))])
    moid = client.vcenter.VM.create(spec)
    vm = _by_moid(si, moid)
    assert vm is not None and vm.name == 'rest-made' and vm.parent._moId == placement.folder
    assert vm.resourcePool == cluster.resourcePool and vm.runtime.host in cluster.host
    config = vm.config
    assert (config.guestId, config.version, config.firmware) == ('rhel9_64Guest', 'vmx-19',
                                                                 'bios')
    assert (config.hardware.numCPU, config.hardware.numCoresPerSocket,
            config.hardware.memoryMB, config.cpuHotAddEnabled) == (4, 2, 3072, True)
    assert (config.bootOptions.bootDelay, config.bootOptions.enterBIOSSetup) == (2000, True)
    devices = config.hardware.device
    (lsi,) = [d for d in devices if isinstance(d, vim.vm.device.VirtualLsiLogicController)]
    disks = [d for d in devices if isinstance(d, vim.vm.device.VirtualDisk)]
    data = [d for d in disks if d.controllerKey == lsi.key]
    assert [(d.unitNumber, d.capacityInBytes, d.backing.fileName) for d in data] == [
        (3, 2 * GIB, '[%s] rest-made/data.vmdk' % datastore)]
    (sata_disk,) = [d for d in disks if d is not data[0]]
    (ahci,) = [d for d in devices if isinstance(d, vim.vm.device.VirtualAHCIController)]
    assert sata_disk.controllerKey == ahci.key and sata_disk.capacityInBytes == GIB
    order = config.bootOptions.bootOrder
    assert isinstance(order[0], vim.vm.BootOptions.BootableCdromDevice)
    assert order[1].deviceKey == data[0].key
    (nic,) = [d for d in devices if isinstance(d, vim.vm.device.VirtualEthernetCard)]
    assert isinstance(nic, vim.vm.device.VirtualE1000e) and nic.backing.network == network
    assert (nic.addressType, nic.macAddress) == ('manual', '00:50:56:3f:00:01')
    (cdrom,) = [d for d in devices if isinstance(d, vim.vm.device.VirtualCdrom)]
    assert cdrom.controllerKey == ahci.key and cdrom.backing.fileName.endswith('os.iso')
    assert [type(d.backing) for d in devices if isinstance(d, vim.vm.device.VirtualSerialPort)
            ] == [vim.vm.device.VirtualSerialPort.FileBackingInfo]
    assert [type(d.backing) for d in devices if isinstance(d, vim.vm.device.VirtualFloppy)] \
        == [vim.vm.device.VirtualFloppy.RemoteDeviceBackingInfo]
    tasks = [t for t in si.content.taskManager.recentTask
             if t.info.descriptionId == 'Folder.createVm' and t.info.result == vm]
    assert tasks and tasks[-1].info.state == 'success'
    info = client.vcenter.VM.get(moid)       # and VM.get reads it back
    assert (info.name, info.guest_os, info.hardware.version) == ('rest-made', 'RHEL_9_64',
                                                                  'VMX_19')
    assert sorted(d.capacity for d in info.disks.values()) == [GIB, 2 * GIB]


def test_vm_create_defaults_and_forms(client, si, door, token):
    """Left out, the disk, its adapter, memory and firmware are the guest's
    recommendations; /api answers 201 with the id, /rest {"value": id}."""
    cluster, placement = _placement(client, si)
    body = {'guest_OS': 'WINDOWS_11_64', 'name': 'rest-api-made', 'placement': {
        'folder': placement.folder, 'cluster': placement.cluster,
        'datastore': placement.datastore}}
    answer = door.request('POST', '/api/vcenter/vm', token, json=body)
    assert answer.status_code == 201, answer.text
    vm = _by_moid(si, answer.json())
    devices = vm.config.hardware.device
    (disk,) = [d for d in devices if isinstance(d, vim.vm.device.VirtualDisk)]
    controller = [d for d in devices if d.key == disk.controllerKey][0]
    assert isinstance(controller, vim.vm.device.VirtualNVMEController)
    assert (vm.config.firmware, vm.config.hardware.memoryMB, vm.config.guestId) == (
        'efi', 4096, 'windows11_64Guest')
    body['name'] = 'rest-rest-made'
    answer = door.request('POST', '/rest/vcenter/vm', token, json={'spec': body})
    assert answer.status_code == 200, answer.text
    assert _by_moid(si, answer.json()['value']).name == 'rest-rest-made'


def test_vm_create_errors(client, si, door, token):
    cluster, placement = _placement(client, si)
    existing = _vms(si)[0]
    folder = existing.parent._moId

    def create(**spec):
        return client.vcenter.VM.create(VM.CreateSpec(**spec))

    with pytest.raises(AlreadyExists):
        create(name=existing.name, guest_os=GuestOS.OTHER_64, placement=VM.PlacementSpec(
            folder=folder, cluster=placement.cluster, datastore=placement.datastore))
    with pytest.raises(InvalidArgument):
        create(name='no-place', guest_os=GuestOS.OTHER_64)
    with pytest.raises(InvalidArgument):      # no pool, host or cluster
        create(name='no-pool', guest_os=GuestOS.OTHER_64, placement=VM.PlacementSpec(
            folder=folder, datastore=placement.datastore))
    with pytest.raises(NotFound):
        create(name='no-store', guest_os=GuestOS.OTHER_64, placement=VM.PlacementSpec(
            folder=folder, cluster=placement.cluster, datastore='datastore-99999'))
    with pytest.raises(Unsupported):          # no recommendations to default from
        create(name='dos', guest_os=GuestOS.DOS, placement=placement)
    with pytest.raises(InvalidArgument):
        create(name='two-backings', guest_os=GuestOS.OTHER_64, placement=placement,
               disks=[Disk.CreateSpec(backing=Disk.BackingSpec(
                   type=Disk.BackingType.VMDK_FILE, vmdk_file='[x] y.vmdk'),
                   new_vmdk=Disk.VmdkCreateSpec(capacity=GIB))])
    answer = door.request('POST', '/api/vcenter/vm', token, json={
        'guest_OS': 'OTHER_64', 'name': 'bad', 'placement': {
            'folder': folder, 'cluster': placement.cluster, 'datastore': 'datastore-99999'}})
    assert answer.status_code == 404 and error_of(answer, 'api')[0] == 'NOT_FOUND'
    answer = door.request('POST', '/api/vcenter/vm', token, json={'guest_OS': 'BEOS'})
    assert answer.status_code == 400 and error_of(answer, 'api')[0] == 'INVALID_ARGUMENT'
    assert not [vm for vm in all_of(si, vim.VirtualMachine)
                if vm.name in ('no-place', 'no-pool', 'no-store', 'dos', 'two-backings', 'bad')]


def test_vm_delete(client, si, door, token):
    cluster, placement = _placement(client, si)
    moid = client.vcenter.VM.create(VM.CreateSpec(name='rest-gone', guest_os=GuestOS.OTHER_64,
                                                  placement=placement))
    vm = _by_moid(si, moid)
    WaitForTask(vm.PowerOnVM_Task())
    with pytest.raises(NotAllowedInCurrentState):
        client.vcenter.VM.delete(moid)
    refused = door.request('DELETE', '/api/vcenter/vm/' + moid, token)
    assert refused.status_code == 400
    WaitForTask(vm.PowerOffVM_Task())
    assert door.request('DELETE', '/api/vcenter/vm/' + moid, token).status_code == 204
    assert _by_moid(si, moid) is None
    with pytest.raises(NotFound):
        client.vcenter.VM.delete(moid)
    assert door.request('DELETE', '/rest/vcenter/vm/' + moid, token).status_code == 404


def test_vm_create_and_delete_survive_a_restart(validator, tmp_path):
    """Under -state, VM create (with its boot order) and delete are
    journaled vAPI calls: the restarted simulator serves the same model."""
    from tests.test_state import _restarted, _start, _stop, _stopped
    first = _start(validator, tmp_path)
    door = Door(first)
    token = door.login()
    si = first.connect()
    cluster = all_of(si, vim.ClusterComputeResource)[0]
    folder = all_of(si, vim.Datacenter)[0].vmFolder._moId
    spec = {'guest_OS': 'UBUNTU_64', 'name': 'journaled', 'placement': {
        'folder': folder, 'cluster': cluster._moId,
        'datastore': cluster.datastore[0]._moId},
        'boot_devices': [{'type': 'DISK'}, {'type': 'CDROM'}]}
    kept = door.request('POST', '/api/vcenter/vm', token, json=spec)
    assert kept.status_code == 201, kept.text
    spec['name'] = 'dropped'
    dropped = door.request('POST', '/api/vcenter/vm', token, json=spec).json()
    assert door.request('DELETE', '/api/vcenter/vm/' + dropped, token).status_code == 204
    second = _restarted(validator, tmp_path, _stopped(first))
    si = second.connect()
    vm = _by_moid(si, kept.json())
    assert vm.name == 'journaled' and _by_moid(si, dropped) is None
    (disk,) = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
    assert vm.config.bootOptions.bootOrder[0].deviceKey == disk.key
    _stop(second)


def test_vm_hardware_parts_are_the_info(client, si, door, token):
    """The hardware services answer the parts of VM.get, through the SDK and
    /api; an unknown device is not_found."""
    vm = _vms(si)[0]
    info = client.vcenter.VM.get(vm._moId)
    hardware = client.vcenter.vm.hardware
    assert client.vcenter.vm.Hardware.get(vm._moId) == info.hardware
    assert hardware.Cpu.get(vm._moId) == info.cpu
    assert hardware.Memory.get(vm._moId) == info.memory
    assert hardware.Boot.get(vm._moId) == info.boot
    assert hardware.boot.Device.get(vm._moId) == info.boot_devices
    for service, field, id_name in (
            (hardware.Disk, 'disks', 'disk'), (hardware.Ethernet, 'nics', 'nic'),
            (hardware.Cdrom, 'cdroms', 'cdrom'), (hardware.Floppy, 'floppies', 'floppy'),
            (hardware.Serial, 'serial_ports', 'port'),
            (hardware.Parallel, 'parallel_ports', 'port'),
            (hardware.adapter.Sata, 'sata_adapters', 'adapter'),
            (hardware.adapter.Scsi, 'scsi_adapters', 'adapter'),
            (hardware.adapter.Nvme, 'nvme_adapters', 'adapter')):
        devices = getattr(info, field)
        assert sorted(getattr(s, id_name) for s in service.list(vm._moId)) == sorted(devices)
        for key, device in devices.items():
            assert service.get(vm._moId, key) == device
    key, disk = next(iter(info.disks.items()))
    answer = door.request('GET', '/api/vcenter/vm/%s/hardware/disk/%s' % (vm._moId, key), token)
    assert sdk_reads(answer, Disk.Info.get_binding_type(), 'api') == disk
    answer = door.request('GET', '/rest/vcenter/vm/%s/hardware/cpu' % vm._moId, token)
    assert sdk_reads(answer, Cpu.Info.get_binding_type(), 'rest') == info.cpu
    with pytest.raises(NotFound):
        hardware.Disk.get(vm._moId, '99999')
    with pytest.raises(NotFound):
        hardware.Cpu.get('vm-99999')
    assert door.request('GET', '/api/vcenter/vm/%s/hardware/ethernet/1' % vm._moId,
                        token).status_code == 404


def _eventually(check):
    """Whether check() holds within a few seconds (the guest acts a moment
    after a guest power request)."""
    for _ in range(100):
        if check():
            return True
        time.sleep(0.05)
    return False


def test_vm_guest_identity_and_power(client, si, door, token):
    """Guest identity and guest power read what Tools report through /sdk;
    shutdown, standby and reboot are the guest requests, refused as vCenter
    refuses them."""
    vm = [vm for vm in _vms(si) if vm.runtime.powerState == 'poweredOn'][-1]
    guest = client.vcenter.vm.guest
    identity = guest.Identity.get(vm._moId)
    assert (identity.host_name, identity.ip_address, identity.full_name.default_message) == (
        vm.guest.hostName, vm.guest.ipAddress, vm.guest.guestFullName)
    assert identity.name == guest_os_name(vm.guest.guestId)
    answer = door.request('GET', '/api/vcenter/vm/%s/guest/identity' % vm._moId, token)
    assert sdk_reads(answer, GuestIdentity.Info.get_binding_type(), 'api') == identity
    state = guest.Power.get(vm._moId)
    assert (state.state, state.operations_ready) == ('RUNNING', vm.guest.guestOperationsReady)
    guest.Power.reboot(vm._moId)
    assert door.request('POST', '/api/vcenter/vm/%s/guest/power?action=standby' % vm._moId,
                        token).status_code == 204
    assert _eventually(lambda: vm.runtime.powerState == 'suspended')
    with pytest.raises(AlreadyInDesiredState):
        guest.Power.standby(vm._moId)
    with pytest.raises(NotAllowedInCurrentState):
        guest.Power.shutdown(vm._moId)
    WaitForTask(vm.PowerOnVM_Task())
    assert _eventually(lambda: vm.guest.toolsRunningStatus == 'guestToolsRunning')
    shut = door.request('POST', '/rest/vcenter/vm/%s/guest/power?action=shutdown' % vm._moId,
                        token)
    assert shut.status_code == 200, shut.text
    assert _eventually(lambda: vm.runtime.powerState == 'poweredOff')
    assert [e for e in si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=vm, recursion='self')))
        if isinstance(e, vim.event.VmGuestShutdownEvent)]
    with pytest.raises(AlreadyInDesiredState):
        guest.Power.shutdown(vm._moId)
    with pytest.raises(ServiceUnavailable):    # no Tools run in a powered-off VM
        guest.Identity.get(vm._moId)
    answer = door.request('GET', '/api/vcenter/vm/%s/guest/identity' % vm._moId, token)
    assert answer.status_code == 503
    assert guest.Power.get(vm._moId).state == 'NOT_RUNNING'
    with pytest.raises(NotFound):
        guest.Power.get('vm-99999')
