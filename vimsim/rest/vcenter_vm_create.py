"""com.vmware.vcenter.VM create: a CreateSpec becomes the vim ConfigSpec a
client would send, and the VM is made by the placement folder's own
CreateVM_Task (its checks, privileges, events and task history), so a VM
made here is what /sdk would have made of the same request. Left out of a
spec, CPU, memory, firmware, the disk and its adapter and the NIC type take
the guest's recommendations (vimsim/managed/vm/guest_os.py); a guest the
simulator has no recommendations for answers unsupported then, as vCenter
does for a guest it cannot default."""
from vimsim.managed.entity import data_types
from vimsim.managed.vm.guest_os import GUEST_OS
from vimsim.rest.errors import VapiError, invalid_argument, not_found
from vimsim.rest.types import Boolean, Enum, Id, Integer, List, Optional, String, Struct
from vimsim.rest.vcenter import run_task, vm
from vimsim.rest.vcenter_vm_info import (BOOT_DEVICE_TYPE, BOOT_PROTOCOL, BOOT_TYPE, DISK_BUS,
                                         GUEST_OS as GUEST_OS_NAME, HARDWARE_VERSION,
                                         NIC_TYPE, SCSI_SHARING, SCSI_TYPE, guest_id_of)
from vimsim.schema import MoRef

__all__ = ['create', 'CREATE_SPEC']

HW = 'com.vmware.vcenter.vm.hardware.'
MIB = 1024 * 1024


def _spec(name, fields):
    """A create spec structure: every field optional unless marked by a
    leading `!`."""
    return Struct(HW + name, {field.lstrip('!'): kind if field.startswith('!')
                              else Optional(kind) for field, kind in fields.items()})


def _backing_spec(name, types, fields):
    return _spec(name + '.backing_spec', {
        '!type': Enum(HW + name + '.backing_type', types.split()), **fields})


IDE_SPEC = _spec('ide_address_spec', {'primary': Boolean, 'master': Boolean})
BUS_SPECS = {bus: _spec(bus + '_address_spec', {'!bus': Integer, 'unit': Integer})
             for bus in ('scsi', 'sata', 'nvme')}
_CONNECTION = {'start_connected': Boolean, 'allow_guest_control': Boolean}
POLICY = Struct(HW + 'disk.storage_policy_spec', {'policy': Id})
DISK_SPEC = _spec('disk.create_spec', {
    'type': DISK_BUS, 'ide': IDE_SPEC, **BUS_SPECS,
    'backing': _backing_spec('disk', 'VMDK_FILE', {'vmdk_file': String}),
    'new_vmdk': _spec('disk.vmdk_create_spec', {'name': String, 'capacity': Integer,
                                                'storage_policy': POLICY})})
NIC_SPEC = _spec('ethernet.create_spec', {
    'type': NIC_TYPE, 'upt_compatibility_enabled': Boolean,
    'upt_v2_compatibility_enabled': Boolean,
    'mac_type': Enum(HW + 'ethernet.mac_address_type', ('MANUAL', 'GENERATED', 'ASSIGNED')),
    'mac_address': String, 'pci_slot_number': Integer, 'wake_on_lan_enabled': Boolean,
    'backing': _backing_spec(
        'ethernet', 'STANDARD_PORTGROUP HOST_DEVICE DISTRIBUTED_PORTGROUP OPAQUE_NETWORK',
        {'network': Id, 'distributed_port': String}), **_CONNECTION})
CDROM_SPEC = _spec('cdrom.create_spec', {
    'type': Enum(HW + 'cdrom.host_bus_adapter_type', ('IDE', 'SATA')), 'ide': IDE_SPEC,
    'sata': BUS_SPECS['sata'],
    'backing': _backing_spec('cdrom', 'ISO_FILE HOST_DEVICE CLIENT_DEVICE', {
        'iso_file': String, 'host_device': String,
        'device_access_type': Enum(HW + 'cdrom.device_access_type',
                                   ('EMULATION', 'PASSTHRU', 'PASSTHRU_EXCLUSIVE'))}),
    **_CONNECTION})
FLOPPY_SPEC = _spec('floppy.create_spec', {
    'backing': _backing_spec('floppy', 'IMAGE_FILE HOST_DEVICE CLIENT_DEVICE',
                             {'image_file': String, 'host_device': String}), **_CONNECTION})
PARALLEL_SPEC = _spec('parallel.create_spec', {
    'backing': _backing_spec('parallel', 'FILE HOST_DEVICE',
                             {'file': String, 'host_device': String}), **_CONNECTION})
SERIAL_SPEC = _spec('serial.create_spec', {
    'yield_on_poll': Boolean,
    'backing': _backing_spec(
        'serial', 'FILE HOST_DEVICE PIPE_SERVER PIPE_CLIENT NETWORK_SERVER NETWORK_CLIENT',
        {'file': String, 'host_device': String, 'pipe': String, 'no_rx_loss': Boolean,
         'network_location': String, 'proxy': String}), **_CONNECTION})
SATA_SPEC = _spec('adapter.sata.create_spec', {
    'type': Enum(HW + 'adapter.sata.type', ('AHCI',)), 'bus': Integer,
    'pci_slot_number': Integer})
SCSI_SPEC = _spec('adapter.scsi.create_spec', {
    'type': SCSI_TYPE, 'bus': Integer, 'pci_slot_number': Integer, 'sharing': SCSI_SHARING})
NVME_SPEC = _spec('adapter.nvme.create_spec', {'bus': Integer, 'pci_slot_number': Integer})
CREATE_SPEC = Struct('com.vmware.vcenter.VM.create_spec', {
    'guest_OS': GUEST_OS_NAME, 'name': Optional(String),
    'placement': Optional(Struct('com.vmware.vcenter.VM.placement_spec', {
        field: Optional(Id) for field in ('folder', 'resource_pool', 'host', 'cluster',
                                          'datastore')})),
    'hardware_version': Optional(HARDWARE_VERSION),
    'boot': Optional(_spec('boot.create_spec', {
        'type': BOOT_TYPE, 'efi_legacy_boot': Boolean, 'network_protocol': BOOT_PROTOCOL,
        'delay': Integer, 'retry': Boolean, 'retry_delay': Integer,
        'enter_setup_mode': Boolean})),
    'boot_devices': Optional(List(Struct(HW + 'boot.device.entry_create_spec',
                                         {'type': BOOT_DEVICE_TYPE}))),
    'cpu': Optional(_spec('cpu.update_spec', {
        'count': Integer, 'cores_per_socket': Integer, 'hot_add_enabled': Boolean,
        'hot_remove_enabled': Boolean})),
    'memory': Optional(_spec('memory.update_spec', {'size_MiB': Integer,
                                                    'hot_add_enabled': Boolean})),
    'disks': Optional(List(DISK_SPEC)), 'nics': Optional(List(NIC_SPEC)),
    'cdroms': Optional(List(CDROM_SPEC)), 'floppies': Optional(List(FLOPPY_SPEC)),
    'parallel_ports': Optional(List(PARALLEL_SPEC)),
    'serial_ports': Optional(List(SERIAL_SPEC)), 'sata_adapters': Optional(List(SATA_SPEC)),
    'scsi_adapters': Optional(List(SCSI_SPEC)), 'nvme_adapters': Optional(List(NVME_SPEC)),
    'storage_policy': Optional(Struct('com.vmware.vcenter.VM.storage_policy_spec',
                                      {'policy': Id}))})

SCSI_CLASSES = {'BUSLOGIC': 'VirtualBusLogicController', 'LSILOGIC': 'VirtualLsiLogicController',
                'LSILOGICSAS': 'VirtualLsiLogicSASController',
                'PVSCSI': 'ParaVirtualSCSIController'}
SHARED_BUS = {'NONE': 'noSharing', 'VIRTUAL': 'virtualSharing', 'PHYSICAL': 'physicalSharing'}
NIC_CLASSES = {'E1000': 'VirtualE1000', 'E1000E': 'VirtualE1000e', 'PCNET32': 'VirtualPCNet32',
               'VMXNET': 'VirtualVmxnet', 'VMXNET2': 'VirtualVmxnet2',
               'VMXNET3': 'VirtualVmxnet3'}
# the bus of a guest's recommended disk controller
CONTROLLER_BUS = {'VirtualNVMEController': 'NVME', 'VirtualAHCIController': 'SATA'}
IDE_KEYS = (200, 201)        # every VM's two IDE controllers: primary, secondary
DEFAULT_NAME = 'Virtual machine'


def unsupported(text):
    return VapiError('unsupported', 'com.vmware.vcenter.vm.create.unsupported', text)


class NewVm:
    """The ConfigSpec of a CreateSpec, built device by device: new devices
    take negative keys, adapters are added as the disks and CD-ROMs need
    them."""

    def __init__(self, call, spec):
        self.call = call
        self.server = call.server
        self.T = data_types(call.server)
        self.spec = spec
        self.guest_id = guest_id_of(call.server.schema, spec['guest_OS'])
        if self.guest_id is None:
            raise unsupported('The guest OS %s is not simulated.' % spec['guest_OS'])
        self.changes = []
        self.controllers = {}      # (bus, bus number) -> the new controller
        self.next_key = -1

    def guest(self, what):
        """The guest's recommendations, needed for `what` the spec leaves out."""
        found = GUEST_OS.get(self.guest_id)
        if found is None:
            raise unsupported('The guest OS %s has no default %s: give it in the spec.'
                              % (self.spec['guest_OS'], what))
        return found

    def key(self):
        self.next_key -= 1
        return self.next_key

    def add(self, device, **change):
        self.changes.append(self.T.VirtualDeviceConfigSpec(operation='add', device=device,
                                                           **change))
        return device

    def found(self, type_name, identifier, what):
        obj = self.server.objects.get(MoRef(type_name, identifier))
        if obj is None:
            raise not_found(what, identifier)
        return obj

    # -- adapters ------------------------------------------------------------------------
    def controller(self, bus, number):
        """The new controller of `bus` (SCSI, SATA, NVME) numbered `number`,
        added (of the guest's SCSI type) when the spec lists none."""
        found = self.controllers.get((bus, number))
        if found is None:
            if bus == 'SCSI':
                recommended = self.guest('SCSI adapter').disk_controller
                kind = recommended if 'SCSI' in recommended or 'Logic' in recommended \
                    else 'ParaVirtualSCSIController'
                found = self.scsi_adapter({'type': None, 'bus': number, 'sharing': None,
                                           'pci_slot_number': None}, kind)
            elif bus == 'SATA':
                found = self.simple_adapter('VirtualAHCIController', bus,
                                            {'bus': number, 'pci_slot_number': None})
            else:
                found = self.simple_adapter('VirtualNVMEController', bus,
                                            {'bus': number, 'pci_slot_number': None})
        return found

    def _adapter(self, device, bus, given):
        number = given['bus']
        if number is None:
            number = next(n for n in range(4) if (bus, n) not in self.controllers)
        if (bus, number) in self.controllers:
            raise invalid_argument('Two %s adapters on bus %d.' % (bus, number), number)
        device.key, device.busNumber = self.key(), number
        if given['pci_slot_number'] is not None:
            device.slotInfo = self.T.VirtualDevicePciBusSlotInfo(
                pciSlotNumber=given['pci_slot_number'])
        self.controllers[bus, number] = self.add(device)
        return device

    def scsi_adapter(self, given, kind=None):
        cls = getattr(self.T, SCSI_CLASSES[given['type']] if given['type'] else (
            kind or self.guest('SCSI adapter type').disk_controller))
        return self._adapter(cls(sharedBus=SHARED_BUS[given['sharing'] or 'NONE']), 'SCSI',
                             given)

    def simple_adapter(self, class_name, bus, given):
        return self._adapter(getattr(self.T, class_name)(), bus, given)

    # -- storage devices -------------------------------------------------------------------
    def place(self, device, given, bus, where):
        """Attach a disk or CD-ROM at its address: IDE by primary/master,
        another bus by bus and unit (the adapter made if missing)."""
        if bus == 'IDE':
            if given.get('sata') is not None or given.get('scsi') is not None:
                raise invalid_argument('%s: the address does not match the bus IDE.' % where,
                                       where)
            address = given.get('ide') or {}
            device.controllerKey = IDE_KEYS[0 if address.get('primary') in (None, True) else 1]
            master = address.get('master')
            device.unitNumber = None if master is None else (0 if master else 1)
            return
        given_addresses = {kind for kind in ('ide', 'scsi', 'sata', 'nvme')
                           if given.get(kind) is not None}
        if given_addresses - {bus.lower()}:
            raise invalid_argument('%s: the address does not match the bus %s.' % (where, bus),
                                   where)
        address = given.get(bus.lower())
        number = address['bus'] if address else min(
            [n for (b, n) in self.controllers if b == bus] or [0])
        device.controllerKey = self.controller(bus, number).key
        device.unitNumber = address['unit'] if address else None

    def disk(self, given, index, datastore, vm_name):
        where = 'spec.disks[%d]' % index
        if (given['backing'] is None) == (given['new_vmdk'] is None):
            raise invalid_argument('%s: give exactly one of backing and new_vmdk.' % where,
                                   where)
        T = self.T
        bus = given['type'] or CONTROLLER_BUS.get(self.guest('disk adapter').disk_controller,
                                                  'SCSI')
        disk = T.VirtualDisk(key=self.key())
        self.place(disk, given, bus, where)
        change = {}
        new = given['new_vmdk']
        if new is not None:
            capacity = new['capacity'] or self.guest('disk size').disk_mb * MIB
            path = '[%s] %s/%s.vmdk' % (datastore.name, vm_name, new['name']) \
                if new['name'] else '[%s]' % datastore.name
            disk.backing = T.VirtualDiskFlatVer2BackingInfo(fileName=path, diskMode='persistent',
                                                            thinProvisioned=True)
            disk.capacityInBytes = capacity
            disk.capacityInKB = capacity // 1024
            change['fileOperation'] = 'create'
            if new['storage_policy'] is not None:
                change['profile'] = [self.policy(new['storage_policy']['policy'])]
        else:
            if not given['backing']['vmdk_file']:
                raise invalid_argument('%s.backing.vmdk_file is required.' % where, where)
            disk.backing = T.VirtualDiskFlatVer2BackingInfo(
                fileName=given['backing']['vmdk_file'], diskMode='persistent')
        self.add(disk, **change)
        return disk

    def policy(self, policy):
        return self.T.VirtualMachineDefinedProfileSpec(profileId=policy)

    def cdrom(self, given, index):
        T = self.T
        cdrom = T.VirtualCdrom(key=self.key(), connectable=self.connectable(given))
        self.place(cdrom, given, given['type'] or 'IDE', 'spec.cdroms[%d]' % index)
        backing = given['backing'] or {'type': 'HOST_DEVICE', 'host_device': None,
                                       'iso_file': None, 'device_access_type': None}
        access = backing['device_access_type'] or 'EMULATION'
        if backing['type'] == 'ISO_FILE':
            if not backing['iso_file']:
                raise invalid_argument('spec.cdroms[%d].backing.iso_file is required.' % index)
            cdrom.backing = T.VirtualCdromIsoBackingInfo(fileName=backing['iso_file'])
        elif backing['type'] == 'CLIENT_DEVICE':
            cls = T.VirtualCdromRemoteAtapiBackingInfo if access == 'EMULATION' \
                else T.VirtualCdromRemotePassthroughBackingInfo
            cdrom.backing = cls(deviceName='', exclusive=access == 'PASSTHRU_EXCLUSIVE') \
                if cls is T.VirtualCdromRemotePassthroughBackingInfo else cls(deviceName='')
        elif access == 'EMULATION':
            cdrom.backing = T.VirtualCdromAtapiBackingInfo(
                deviceName=backing['host_device'] or '', useAutoDetect=not backing['host_device'])
        else:
            cdrom.backing = T.VirtualCdromPassthroughBackingInfo(
                deviceName=backing['host_device'] or '', useAutoDetect=not backing['host_device'],
                exclusive=access == 'PASSTHRU_EXCLUSIVE')
        return self.add(cdrom)

    # -- other devices ---------------------------------------------------------------------
    def connectable(self, given):
        return self.T.VirtualDeviceConnectInfo(
            startConnected=bool(given['start_connected']),
            allowGuestControl=bool(given['allow_guest_control']), connected=False)

    def nic(self, given, index):
        T = self.T
        where = 'spec.nics[%d]' % index
        kind = NIC_CLASSES[given['type']] if given['type'] else self.guest('NIC type').nic
        nic = getattr(T, kind)(key=self.key(), connectable=self.connectable(given),
                               wakeOnLanEnabled=bool(given['wake_on_lan_enabled']))
        mac_type = given['mac_type'] or 'GENERATED'
        if mac_type == 'MANUAL' and not given['mac_address']:
            raise invalid_argument('%s.mac_address is required for a MANUAL MAC.' % where, where)
        nic.addressType = mac_type.lower()
        nic.macAddress = given['mac_address'] if mac_type == 'MANUAL' else None
        if given['upt_compatibility_enabled'] is not None or \
                given['upt_v2_compatibility_enabled'] is not None:
            if kind != 'VirtualVmxnet3':
                raise invalid_argument('%s: UPT is a VMXNET3 setting.' % where, where)
            nic.uptCompatibilityEnabled = bool(given['upt_compatibility_enabled'])
            nic.uptv2Enabled = bool(given['upt_v2_compatibility_enabled'])
        if given['pci_slot_number'] is not None:
            nic.slotInfo = T.VirtualDevicePciBusSlotInfo(pciSlotNumber=given['pci_slot_number'])
        nic.backing = self.nic_backing(given['backing'], where)
        return self.add(nic)

    def nic_backing(self, backing, where):
        T = self.T
        if backing is None or backing['network'] is None:
            raise invalid_argument('%s.backing.network is required.' % where, where)
        if backing['type'] == 'STANDARD_PORTGROUP':
            network = self.found('Network', backing['network'], 'Network')
            return T.VirtualEthernetCardNetworkBackingInfo(network=network.ref,
                                                           deviceName=network.name)
        if backing['type'] == 'DISTRIBUTED_PORTGROUP':
            portgroup = self.found('DistributedVirtualPortgroup', backing['network'], 'Network')
            return T.VirtualEthernetCardDistributedVirtualPortBackingInfo(
                port=T.DistributedVirtualSwitchPortConnection(
                    switchUuid=portgroup.dvs.uuid, portgroupKey=portgroup.key,
                    portKey=backing['distributed_port']))
        raise unsupported('%s: %s backings are not simulated.' % (where, backing['type']))

    def file_device(self, cls_name, given, index, what, files):
        """A floppy, serial or parallel port: its backing by type, from
        `files` (backing type -> (vim backing class, {vim field: spec field}))."""
        T = self.T
        device = getattr(T, cls_name)(key=self.key(), connectable=self.connectable(given))
        backing = given['backing'] or {'type': 'HOST_DEVICE'}
        backing_class, fields = files[backing['type']]
        values = {vim_field: backing.get(field) for vim_field, field in fields.items()}
        if backing['type'] in ('FILE', 'IMAGE_FILE') and not values.get('fileName'):
            raise invalid_argument('spec.%s[%d]: the backing needs its file.' % (what, index))
        if backing['type'] == 'HOST_DEVICE':      # no device named: the host's, detected
            values['useAutoDetect'] = not values.get('deviceName')
        if backing['type'] != 'FILE' and backing['type'] != 'IMAGE_FILE':
            values['deviceName'] = values.get('deviceName') or ''
        device.backing = getattr(T, backing_class)(**values)
        return self.add(device)

    def boot_order(self, entries, disks, nics):
        T = self.T
        order = []
        for index, entry in enumerate(entries):
            kind = entry['type']
            if kind == 'DISK':
                if not disks:
                    raise invalid_argument('spec.boot_devices[%d]: no disk.' % index)
                order.append(T.VirtualMachineBootOptionsBootableDiskDevice(
                    deviceKey=disks[0].key))
            elif kind == 'ETHERNET':
                if not nics:
                    raise invalid_argument('spec.boot_devices[%d]: no NIC.' % index)
                order.append(T.VirtualMachineBootOptionsBootableEthernetDevice(
                    deviceKey=nics[0].key))
            elif kind == 'CDROM':
                order.append(T.VirtualMachineBootOptionsBootableCdromDevice())
            else:
                order.append(T.VirtualMachineBootOptionsBootableFloppyDevice())
        return order


FLOPPY_SPEC_BACKINGS = {
    'IMAGE_FILE': ('VirtualFloppyImageBackingInfo', {'fileName': 'image_file'}),
    'HOST_DEVICE': ('VirtualFloppyDeviceBackingInfo', {'deviceName': 'host_device'}),
    'CLIENT_DEVICE': ('VirtualFloppyRemoteDeviceBackingInfo', {})}
PARALLEL_SPEC_BACKINGS = {
    'FILE': ('VirtualParallelPortFileBackingInfo', {'fileName': 'file'}),
    'HOST_DEVICE': ('VirtualParallelPortDeviceBackingInfo', {'deviceName': 'host_device'})}
SERIAL_SPEC_BACKINGS = {
    'FILE': ('VirtualSerialPortFileBackingInfo', {'fileName': 'file'}),
    'HOST_DEVICE': ('VirtualSerialPortDeviceBackingInfo', {'deviceName': 'host_device'})}


def _placement(new, placement):
    """(folder, pool, host, datastore) of a placement spec, as vCenter
    requires it today: a folder, a datastore, and a pool, host or cluster
    that agree."""
    if placement is None or placement['folder'] is None or placement['datastore'] is None:
        raise invalid_argument('spec.placement needs a folder and a datastore.',
                               'spec.placement')
    folder = new.found('Folder', placement['folder'], 'Folder')
    datastore = new.found('Datastore', placement['datastore'], 'Datastore')
    host = new.found('HostSystem', placement['host'], 'HostSystem') \
        if placement['host'] else None
    cluster = new.found('ClusterComputeResource', placement['cluster'],
                        'ClusterComputeResource') if placement['cluster'] else None
    if placement['resource_pool']:
        pool = new.server.objects.get(MoRef('ResourcePool', placement['resource_pool']))
        if pool is None:
            raise not_found('ResourcePool', placement['resource_pool'])
    elif cluster is not None:
        pool = cluster.pool
    elif host is not None:
        pool = host.compute_resource.pool
    else:
        raise invalid_argument('spec.placement needs a resource pool, a host or a cluster.',
                               'spec.placement')
    if host is not None and cluster is not None and host not in cluster.hosts:
        raise invalid_argument('The host %s is not in the cluster %s.' % (
            placement['host'], placement['cluster']), 'spec.placement.host')
    if cluster is not None and pool.owner_object is not cluster:
        raise invalid_argument('The resource pool %s is not in the cluster %s.' % (
            placement['resource_pool'], placement['cluster']), 'spec.placement.resource_pool')
    return folder, pool, host, datastore


def config_spec(call, spec):
    """(folder, pool, host, ConfigSpec) of a CreateSpec."""
    new = NewVm(call, spec)
    T = new.T
    folder, pool, host, datastore = _placement(new, spec['placement'])
    name = spec['name'] or DEFAULT_NAME
    for given in spec['scsi_adapters'] or ():
        new.scsi_adapter(given)
    for bus, class_name, listed in (('SATA', 'VirtualAHCIController', spec['sata_adapters']),
                                    ('NVME', 'VirtualNVMEController', spec['nvme_adapters'])):
        for given in listed or ():
            new.simple_adapter(class_name, bus, given)
    disk_specs = spec['disks']
    if disk_specs is None:      # one blank disk of the guest's size
        disk_specs = [{'type': None, 'ide': None, 'scsi': None, 'sata': None, 'nvme': None,
                       'backing': None, 'new_vmdk': {'name': None, 'capacity': None,
                                                     'storage_policy': None}}]
    disks = [new.disk(given, index, datastore, name) for index, given in enumerate(disk_specs)]
    nics = [new.nic(given, index) for index, given in enumerate(spec['nics'] or ())]
    for index, given in enumerate(spec['cdroms'] or ()):
        new.cdrom(given, index)
    for what, cls_name, backings in (
            ('floppies', 'VirtualFloppy', FLOPPY_SPEC_BACKINGS),
            ('parallel_ports', 'VirtualParallelPort', PARALLEL_SPEC_BACKINGS),
            ('serial_ports', 'VirtualSerialPort', SERIAL_SPEC_BACKINGS)):
        for index, given in enumerate(spec[what] or ()):
            if what == 'serial_ports' and given['backing'] is not None \
                    and given['backing']['type'] not in backings:
                raise unsupported('spec.serial_ports[%d]: %s backings are not simulated.'
                                  % (index, given['backing']['type']))
            device = new.file_device(cls_name, given, index, what, backings)
            if what == 'serial_ports':
                device.yieldOnPoll = bool(given['yield_on_poll'])
    cpu = spec['cpu'] or {}
    memory = spec['memory'] or {}
    boot = spec['boot'] or {}
    if boot.get('efi_legacy_boot'):
        raise unsupported('EFI legacy boot is not simulated.')
    firmware = boot['type'].lower() if boot.get('type') else new.guest('firmware').firmware
    config = T.VirtualMachineConfigSpec(
        name=name, guestId=new.guest_id,
        files=T.VirtualMachineFileInfo(vmPathName='[%s]' % datastore.name),
        version='vmx-%s' % spec['hardware_version'][4:] if spec['hardware_version'] else None,
        numCPUs=cpu.get('count') or 1, numCoresPerSocket=cpu.get('cores_per_socket'),
        cpuHotAddEnabled=cpu.get('hot_add_enabled'),
        cpuHotRemoveEnabled=cpu.get('hot_remove_enabled'),
        memoryMB=memory.get('size_MiB') or new.guest('memory size').memory_mb,
        memoryHotAddEnabled=memory.get('hot_add_enabled'), firmware=firmware,
        bootOptions=T.VirtualMachineBootOptions(
            bootDelay=boot.get('delay') or 0, bootRetryEnabled=bool(boot.get('retry')),
            bootRetryDelay=10000 if boot.get('retry_delay') is None else boot['retry_delay'],
            enterBIOSSetup=bool(boot.get('enter_setup_mode')),
            networkBootProtocol=(boot.get('network_protocol') or 'IPV4').lower(),
            bootOrder=new.boot_order(spec['boot_devices'] or (), disks, nics)),
        deviceChange=new.changes)
    if spec['storage_policy'] is not None:
        config.vmProfile = [new.policy(spec['storage_policy']['policy'])]
    return folder, pool, host, config


@vm.operation('create', 'POST', params={'spec': CREATE_SPEC}, output=Id, body='spec')
def create(call, spec):
    folder, pool, host, config = config_spec(call, spec)
    created = run_task(call, config.name, folder, 'CreateVM_Task', config=config, pool=pool.ref,
                       host=host.ref if host is not None else None)
    return created.addCallback(lambda ref: ref.value)
