"""com.vmware.vcenter.VM's Info: a VM's identity, hardware and devices as
the vAPI describes them, read from what /sdk reports of the VM (its config
and runtime through `read_path`), so both doors agree. Device maps are keyed
by the device's key, as vCenter keys them; a vim device the vAPI has no
kind for (keyboard, video card, USB...) is not listed, as vCenter lists it
nowhere in the Info either."""
import re

from vimsim.managed.entity import data_types
from vimsim.managed.paths import read_path
from vimsim.rest.errors import VapiError
from vimsim.rest.types import Boolean, Enum, Id, Integer, List, Map, Optional, String, Struct
from vimsim.rest.vcenter import POWER_STATE, VIM_POWER_STATES

__all__ = ['INFO', 'GUEST_OS', 'HARDWARE_VERSION', 'info', 'guest_os_of', 'guest_id_of']

# the vAPI's guest OS names (com.vmware.vcenter.vm.guest_OS), one per vim guestId
_GUEST_OS_NAMES = '''
DOS WIN_31 WIN_95 WIN_98 WIN_ME WIN_NT WIN_2000_PRO WIN_2000_SERV WIN_2000_ADV_SERV WIN_XP_HOME
WIN_XP_PRO WIN_XP_PRO_64 WIN_NET_WEB WIN_NET_STANDARD WIN_NET_ENTERPRISE WIN_NET_DATACENTER
WIN_NET_BUSINESS WIN_NET_STANDARD_64 WIN_NET_ENTERPRISE_64 WIN_LONGHORN WIN_LONGHORN_64
WIN_NET_DATACENTER_64 WIN_VISTA WIN_VISTA_64 WINDOWS_7 WINDOWS_7_64 WINDOWS_7_SERVER_64 WINDOWS_8
WINDOWS_8_64 WINDOWS_8_SERVER_64 WINDOWS_9 WINDOWS_9_64 WINDOWS_9_SERVER_64 WINDOWS_11_64
WINDOWS_12_64 WINDOWS_HYPERV WINDOWS_SERVER_2019 WINDOWS_SERVER_2021 WINDOWS_SERVER_2025 FREEBSD
FREEBSD_64 FREEBSD_11 FREEBSD_12 FREEBSD_13 FREEBSD_14 FREEBSD_15 FREEBSD_11_64 FREEBSD_12_64
FREEBSD_13_64 FREEBSD_14_64 FREEBSD_15_64 REDHAT RHEL_2 RHEL_3 RHEL_3_64 RHEL_4 RHEL_4_64 RHEL_5
RHEL_5_64 RHEL_6 RHEL_6_64 RHEL_7 RHEL_7_64 RHEL_8_64 RHEL_9_64 RHEL_10_64 CENTOS CENTOS_64
CENTOS_6 CENTOS_6_64 CENTOS_7 CENTOS_7_64 CENTOS_8_64 CENTOS_9_64 ORACLE_LINUX ORACLE_LINUX_64
ORACLE_LINUX_6 ORACLE_LINUX_6_64 ORACLE_LINUX_7 ORACLE_LINUX_7_64 ORACLE_LINUX_8_64
ORACLE_LINUX_9_64 ORACLE_LINUX_10_64 SUSE SUSE_64 SLES SLES_64 SLES_10 SLES_10_64 SLES_11
SLES_11_64 SLES_12 SLES_12_64 SLES_15_64 SLES_16_64 NLD_9 OES SJDS MANDRAKE MANDRIVA MANDRIVA_64
TURBO_LINUX TURBO_LINUX_64 UBUNTU UBUNTU_64 DEBIAN_4 DEBIAN_4_64 DEBIAN_5 DEBIAN_5_64 DEBIAN_6
DEBIAN_6_64 DEBIAN_7 DEBIAN_7_64 DEBIAN_8 DEBIAN_8_64 DEBIAN_9 DEBIAN_9_64 DEBIAN_10 DEBIAN_10_64
DEBIAN_11 DEBIAN_11_64 DEBIAN_12 DEBIAN_12_64 DEBIAN_13 DEBIAN_13_64 ASIANUX_3 ASIANUX_3_64
ASIANUX_4 ASIANUX_4_64 ASIANUX_5_64 ASIANUX_7_64 ASIANUX_8_64 ASIANUX_9_64 MIRACLELINUX_64
PARDUS_64 OPENSUSE OPENSUSE_64 FEDORA FEDORA_64 COREOS_64 VMWARE_PHOTON_64 OTHER_24X_LINUX
OTHER_24X_LINUX_64 OTHER_26X_LINUX OTHER_26X_LINUX_64 OTHER_3X_LINUX OTHER_3X_LINUX_64
OTHER_4X_LINUX OTHER_4X_LINUX_64 OTHER_5X_LINUX OTHER_5X_LINUX_64 OTHER_6X_LINUX
OTHER_6X_LINUX_64 OTHER_7X_LINUX OTHER_7X_LINUX_64 OTHER_LINUX GENERIC_LINUX OTHER_LINUX_64
SOLARIS_6 SOLARIS_7 SOLARIS_8 SOLARIS_9 SOLARIS_10 SOLARIS_10_64 SOLARIS_11_64 FUSIONOS_64
PROLINUX_64 KYLINLINUX_64 OS2 ECOMSTATION ECOMSTATION_2 NETWARE_4 NETWARE_5 NETWARE_6
OPENSERVER_5 OPENSERVER_6 UNIXWARE_7 DARWIN DARWIN_64 DARWIN_10 DARWIN_10_64 DARWIN_11
DARWIN_11_64 DARWIN_12_64 DARWIN_13_64 DARWIN_14_64 DARWIN_15_64 DARWIN_16_64 DARWIN_17_64
DARWIN_18_64 DARWIN_19_64 DARWIN_20_64 DARWIN_21_64 DARWIN_22_64 DARWIN_23_64 VMKERNEL VMKERNEL_5
VMKERNEL_6 VMKERNEL_65 VMKERNEL_7 VMKERNEL_8 VMKERNEL_9 AMAZONLINUX2_64 AMAZONLINUX3_64 CRXPOD_1
CRXSYS_1 ROCKYLINUX_64 ALMALINUX_64 OTHER OTHER_64
'''.split()
# the guestIds whose vAPI name is not their letters and digits
_WINDOWS_SERVERS = {'windows2019srv_64Guest': 'WINDOWS_SERVER_2019',
                    'windows2019srvNext_64Guest': 'WINDOWS_SERVER_2021',
                    'windows2022srvNext_64Guest': 'WINDOWS_SERVER_2025'}


def _letters(text):
    return re.sub('[^a-z0-9]', '', text.lower().replace('guest', ''))


_BY_LETTERS = {_letters(name): name for name in _GUEST_OS_NAMES}
_GUEST_IDS = {name: guest_id for guest_id, name in _WINDOWS_SERVERS.items()}


def guest_os_of(guest_id):
    """The vAPI name of a vim guestId (`windows9_64Guest` -> WINDOWS_9_64);
    a guestId the vAPI does not name is OTHER or OTHER_64."""
    found = _WINDOWS_SERVERS.get(guest_id) or _BY_LETTERS.get(_letters(guest_id or ''))
    return found or ('OTHER_64' if '64' in (guest_id or '') else 'OTHER')


def guest_id_of(schema, name):
    """The vim guestId of a vAPI guest OS name, among the schema's (None
    for a name the schema has no guestId for)."""
    if name in _GUEST_IDS:
        return _GUEST_IDS[name]
    wanted = _letters(name)
    return next((guest_id for guest_id in schema.enums['VirtualMachineGuestOsIdentifier'].values
                 if _letters(guest_id) == wanted and guest_id not in _WINDOWS_SERVERS), None)


def _enum(name, values):
    return Enum('com.vmware.vcenter.vm.' + name, values.split())


GUEST_OS = Enum('com.vmware.vcenter.vm.guest_OS', _GUEST_OS_NAMES)
HARDWARE_VERSION = Enum('com.vmware.vcenter.vm.hardware.version',
                        ['VMX_%02d' % n for n in (3, 4, *range(6, 23))])
CONNECTION_STATE = _enum('hardware.connection_state',
                         'CONNECTED RECOVERABLE_ERROR UNRECOVERABLE_ERROR NOT_CONNECTED UNKNOWN')
IDE_ADDRESS = Struct('com.vmware.vcenter.vm.hardware.ide_address_info',
                     {'primary': Boolean, 'master': Boolean})
SCSI_ADDRESS, SATA_ADDRESS, NVME_ADDRESS = (
    Struct('com.vmware.vcenter.vm.hardware.%s_address_info' % kind,
           {'bus': Integer, 'unit': Integer}) for kind in ('scsi', 'sata', 'nvme'))
_CONNECTION = {'state': CONNECTION_STATE, 'start_connected': Boolean,
               'allow_guest_control': Boolean}


def _device(name, fields, backing_types, backing_fields, after=None):
    """A device's Info structure: its fields, its backing (type and the
    fields of the backing kinds), then `after` (by default the connection
    fields of a connectable device)."""
    backing = Struct('com.vmware.vcenter.vm.hardware.%s.backing_info' % name, {
        'type': _enum('hardware.%s.backing_type' % name, backing_types),
        **{field: Optional(kind) for field, kind in backing_fields.items()}})
    return Struct('com.vmware.vcenter.vm.hardware.%s.info' % name, {
        **fields, 'backing': backing, **(_CONNECTION if after is None else after)})


DISK_BUS = _enum('hardware.disk.host_bus_adapter_type', 'IDE SCSI SATA NVME')
DISK_INFO = _device('disk', {
    'label': String, 'type': DISK_BUS, 'ide': Optional(IDE_ADDRESS),
    'scsi': Optional(SCSI_ADDRESS), 'sata': Optional(SATA_ADDRESS),
    'nvme': Optional(NVME_ADDRESS)}, 'VMDK_FILE', {'vmdk_file': String},
    after={'capacity': Optional(Integer)})
NIC_TYPE = _enum('hardware.ethernet.emulation_type', 'E1000 E1000E PCNET32 VMXNET VMXNET2 VMXNET3')
NIC_INFO = _device('ethernet', {
    'label': String, 'type': NIC_TYPE, 'upt_compatibility_enabled': Optional(Boolean),
    'upt_v2_compatibility_enabled': Optional(Boolean),
    'mac_type': _enum('hardware.ethernet.mac_address_type', 'MANUAL GENERATED ASSIGNED'),
    'mac_address': Optional(String), 'pci_slot_number': Optional(Integer),
    'wake_on_lan_enabled': Boolean},
    'STANDARD_PORTGROUP HOST_DEVICE DISTRIBUTED_PORTGROUP OPAQUE_NETWORK',
    {'network': Id, 'network_name': String, 'host_device': String,
     'distributed_switch_uuid': String, 'distributed_port': String, 'connection_cookie': Integer,
     'opaque_network_type': String, 'opaque_network_id': String})
CDROM_INFO = _device('cdrom', {
    'type': _enum('hardware.cdrom.host_bus_adapter_type', 'IDE SATA'), 'label': String,
    'ide': Optional(IDE_ADDRESS), 'sata': Optional(SATA_ADDRESS)},
    'ISO_FILE HOST_DEVICE CLIENT_DEVICE',
    {'iso_file': String, 'host_device': String, 'auto_detect': Boolean,
     'device_access_type': _enum('hardware.cdrom.device_access_type',
                                 'EMULATION PASSTHRU PASSTHRU_EXCLUSIVE')})
FLOPPY_INFO = _device('floppy', {'label': String}, 'IMAGE_FILE HOST_DEVICE CLIENT_DEVICE',
                      {'image_file': String, 'host_device': String, 'auto_detect': Boolean})
PARALLEL_INFO = _device('parallel', {'label': String}, 'FILE HOST_DEVICE',
                        {'file': String, 'host_device': String, 'auto_detect': Boolean})
SERIAL_INFO = _device('serial', {'label': String, 'yield_on_poll': Boolean},
                      'FILE HOST_DEVICE PIPE_SERVER PIPE_CLIENT NETWORK_SERVER NETWORK_CLIENT',
                      {'file': String, 'host_device': String, 'auto_detect': Boolean,
                       'pipe': String, 'no_rx_loss': Boolean, 'network_location': String,
                       'proxy': String})
SATA_INFO = Struct('com.vmware.vcenter.vm.hardware.adapter.sata.info', {
    'label': String, 'type': _enum('hardware.adapter.sata.type', 'AHCI'), 'bus': Integer,
    'pci_slot_number': Optional(Integer)})
SCSI_TYPE = _enum('hardware.adapter.scsi.type', 'BUSLOGIC LSILOGIC LSILOGICSAS PVSCSI')
SCSI_SHARING = _enum('hardware.adapter.scsi.sharing', 'NONE VIRTUAL PHYSICAL')
SCSI_INFO = Struct('com.vmware.vcenter.vm.hardware.adapter.scsi.info', {
    'label': String, 'type': SCSI_TYPE, 'scsi': SCSI_ADDRESS,
    'pci_slot_number': Optional(Integer), 'sharing': SCSI_SHARING})
NVME_INFO = Struct('com.vmware.vcenter.vm.hardware.adapter.nvme.info', {
    'label': String, 'bus': Integer, 'pci_slot_number': Optional(Integer)})
BOOT_TYPE = _enum('hardware.boot.type', 'BIOS EFI')
BOOT_PROTOCOL = _enum('hardware.boot.network_protocol', 'IPV4 IPV6')
BOOT_DEVICE_TYPE = _enum('hardware.boot.device.type', 'CDROM DISK ETHERNET FLOPPY')
UPGRADE_POLICY = _enum('hardware.upgrade_policy', 'NEVER AFTER_CLEAN_SHUTDOWN ALWAYS')

HARDWARE_INFO = Struct('com.vmware.vcenter.vm.hardware.info', {
    'version': HARDWARE_VERSION, 'upgrade_policy': UPGRADE_POLICY,
    'upgrade_version': Optional(HARDWARE_VERSION),
    'upgrade_status': _enum('hardware.upgrade_status', 'NONE PENDING SUCCESS FAILED')})
BOOT_INFO = Struct('com.vmware.vcenter.vm.hardware.boot.info', {
    'type': BOOT_TYPE, 'efi_legacy_boot': Optional(Boolean),
    'network_protocol': Optional(BOOT_PROTOCOL), 'delay': Integer, 'retry': Boolean,
    'retry_delay': Integer, 'enter_setup_mode': Boolean})
BOOT_ENTRY = Struct('com.vmware.vcenter.vm.hardware.boot.device.entry', {
    'type': BOOT_DEVICE_TYPE, 'nic': Optional(Id), 'disks': Optional(List(Id))})
CPU_INFO = Struct('com.vmware.vcenter.vm.hardware.cpu.info', {
    'count': Integer, 'cores_per_socket': Integer, 'hot_add_enabled': Boolean,
    'hot_remove_enabled': Boolean})
MEMORY_INFO = Struct('com.vmware.vcenter.vm.hardware.memory.info', {
    'size_MiB': Integer, 'hot_add_enabled': Boolean,
    'hot_add_increment_size_MiB': Optional(Integer), 'hot_add_limit_MiB': Optional(Integer)})
INFO = Struct('com.vmware.vcenter.VM.info', {
    'guest_OS': GUEST_OS, 'name': String,
    'identity': Optional(Struct('com.vmware.vcenter.vm.identity.info', {
        'name': String, 'bios_uuid': String, 'instance_uuid': String})),
    'power_state': POWER_STATE, 'instant_clone_frozen': Optional(Boolean),
    'hardware': HARDWARE_INFO, 'boot': BOOT_INFO, 'boot_devices': List(BOOT_ENTRY),
    'cpu': CPU_INFO, 'memory': MEMORY_INFO,
    'disks': Map(DISK_INFO), 'nics': Map(NIC_INFO), 'cdroms': Map(CDROM_INFO),
    'floppies': Map(FLOPPY_INFO), 'parallel_ports': Map(PARALLEL_INFO),
    'serial_ports': Map(SERIAL_INFO), 'sata_adapters': Map(SATA_INFO),
    'scsi_adapters': Map(SCSI_INFO), 'nvme_adapters': Optional(Map(NVME_INFO))})

UPGRADE_POLICIES = {'never': 'NEVER', 'onSoftPowerOff': 'AFTER_CLEAN_SHUTDOWN',
                    'always': 'ALWAYS'}
# vim class -> vAPI type, most derived first where one derives from another
NIC_TYPES = (('VirtualE1000e', 'E1000E'), ('VirtualE1000', 'E1000'),
             ('VirtualPCNet32', 'PCNET32'), ('VirtualVmxnet3', 'VMXNET3'),
             ('VirtualVmxnet2', 'VMXNET2'), ('VirtualVmxnet', 'VMXNET'))
SCSI_TYPES = (('VirtualBusLogicController', 'BUSLOGIC'),
              ('VirtualLsiLogicSASController', 'LSILOGICSAS'),
              ('VirtualLsiLogicController', 'LSILOGIC'), ('ParaVirtualSCSIController', 'PVSCSI'))
SHARING = {'noSharing': 'NONE', 'virtualSharing': 'VIRTUAL', 'physicalSharing': 'PHYSICAL'}
BUSES = (('VirtualIDEController', 'IDE'), ('VirtualSCSIController', 'SCSI'),
         ('VirtualSATAController', 'SATA'), ('VirtualNVMEController', 'NVME'))


FLOPPY_BACKINGS = (
    ('VirtualFloppyImageBackingInfo', lambda b: {'type': 'IMAGE_FILE', 'image_file': b.fileName}),
    ('VirtualFloppyRemoteDeviceBackingInfo', lambda b: {'type': 'CLIENT_DEVICE'}))
PARALLEL_BACKINGS = (
    ('VirtualParallelPortFileBackingInfo', lambda b: {'type': 'FILE', 'file': b.fileName}),)
SERIAL_BACKINGS = (
    ('VirtualSerialPortFileBackingInfo', lambda b: {'type': 'FILE', 'file': b.fileName}),
    ('VirtualSerialPortPipeBackingInfo', lambda b: {
        'type': 'PIPE_' + b.endpoint.upper(), 'pipe': b.pipeName,
        'no_rx_loss': bool(b.noRxLoss)}),
    ('VirtualSerialPortURIBackingInfo', lambda b: {
        'type': 'NETWORK_' + b.direction.upper(), 'network_location': b.serviceURI,
        'proxy': b.proxyURI}))


def _kind(T, obj, table):
    return next((name for cls, name in table if isinstance(obj, getattr(T, cls))), None)


def hardware_version(vmx):
    """`vmx-21` -> VMX_21."""
    return 'VMX_%02d' % int(vmx.rpartition('-')[2])


class _Devices:
    """The VM's devices, read once, with what the vAPI Info says of each."""

    def __init__(self, vm, devices):
        self.vm = vm
        self.T = data_types(vm.server)
        self.devices = devices
        self.by_key = {device.key: device for device in devices}

    def of(self, cls_name):
        cls = getattr(self.T, cls_name)
        return [device for device in self.devices if isinstance(device, cls)]

    def keyed(self, cls_name, describe):
        return {str(device.key): describe(device) for device in self.of(cls_name)}

    def address(self, device):
        """(bus type, {ide|scsi|sata|nvme: address}) of a disk or CD-ROM."""
        controller = self.by_key.get(device.controllerKey)
        bus = _kind(self.T, controller, BUSES) if controller is not None else None
        if bus is None:
            return None, {}
        if bus == 'IDE':
            return bus, {'ide': {'primary': controller.busNumber == 0,
                                 'master': device.unitNumber == 0}}
        return bus, {bus.lower(): {'bus': controller.busNumber, 'unit': device.unitNumber}}

    def disk(self, disk):
        bus, address = self.address(disk)
        return {'label': disk.deviceInfo.label, 'type': bus, **address,
                'backing': {'type': 'VMDK_FILE',
                            'vmdk_file': getattr(disk.backing, 'fileName', None)},
                'capacity': disk.capacityInBytes}

    def nic(self, nic):
        T = self.T
        backing = nic.backing
        if isinstance(backing, T.VirtualEthernetCardDistributedVirtualPortBackingInfo):
            network = self.vm._nic_network(nic)
            port = backing.port
            described = {'type': 'DISTRIBUTED_PORTGROUP',
                         'network': network.ref.value if network is not None else None,
                         'distributed_switch_uuid': port.switchUuid,
                         'distributed_port': port.portKey,
                         'connection_cookie': port.connectionCookie}
        elif isinstance(backing, T.VirtualEthernetCardOpaqueNetworkBackingInfo):
            network = self.vm._nic_network(nic)
            described = {'type': 'OPAQUE_NETWORK',
                         'network': network.ref.value if network is not None else None,
                         'opaque_network_type': backing.opaqueNetworkType,
                         'opaque_network_id': backing.opaqueNetworkId}
        elif isinstance(backing, T.VirtualEthernetCardNetworkBackingInfo):
            described = {'type': 'STANDARD_PORTGROUP', 'network': _moid(backing.network),
                         'network_name': backing.deviceName}
        else:
            described = {'type': 'HOST_DEVICE', 'host_device': getattr(backing, 'deviceName',
                                                                       None)}
        kind = _kind(T, nic, NIC_TYPES)
        return {'label': nic.deviceInfo.label, 'type': kind,
                'upt_compatibility_enabled': bool(nic.uptCompatibilityEnabled)
                if kind == 'VMXNET3' else None,
                'upt_v2_compatibility_enabled': getattr(nic, 'uptv2Enabled', None)
                if kind == 'VMXNET3' else None,
                'mac_type': (nic.addressType or 'generated').upper(),
                'mac_address': nic.macAddress,
                'pci_slot_number': _slot(nic),
                'wake_on_lan_enabled': bool(nic.wakeOnLanEnabled), 'backing': described,
                **_connection(nic)}

    def cdrom(self, cdrom):
        T = self.T
        backing = cdrom.backing
        if isinstance(backing, T.VirtualCdromIsoBackingInfo):
            described = {'type': 'ISO_FILE', 'iso_file': backing.fileName}
        elif isinstance(backing, (T.VirtualCdromRemoteAtapiBackingInfo,
                                  T.VirtualCdromRemotePassthroughBackingInfo)):
            described = {'type': 'CLIENT_DEVICE', 'device_access_type': 'PASSTHRU' if isinstance(
                backing, T.VirtualCdromRemotePassthroughBackingInfo) else 'EMULATION'}
        else:
            passthrough = isinstance(backing, T.VirtualCdromPassthroughBackingInfo)
            described = {'type': 'HOST_DEVICE', 'host_device': backing.deviceName or None,
                         'auto_detect': bool(backing.useAutoDetect),
                         'device_access_type': ('PASSTHRU_EXCLUSIVE' if backing.exclusive
                                                else 'PASSTHRU') if passthrough
                         else 'EMULATION'}
        bus, address = self.address(cdrom)
        return {'type': bus, 'label': cdrom.deviceInfo.label, **address, 'backing': described,
                **_connection(cdrom)}

    def described(self, backing, kinds):
        """A file device's backing: by the first of `kinds` ((vim backing
        class, describe(backing))) it is, else a host device."""
        return next((describe(backing) for cls, describe in kinds
                     if isinstance(backing, getattr(self.T, cls))), None) \
            or _host_device(backing)

    def floppy(self, floppy):
        return {'label': floppy.deviceInfo.label, **_connection(floppy),
                'backing': self.described(floppy.backing, FLOPPY_BACKINGS)}

    def parallel(self, port):
        return {'label': port.deviceInfo.label, **_connection(port),
                'backing': self.described(port.backing, PARALLEL_BACKINGS)}

    def serial(self, port):
        return {'label': port.deviceInfo.label, 'yield_on_poll': bool(port.yieldOnPoll),
                'backing': self.described(port.backing, SERIAL_BACKINGS), **_connection(port)}

    def boot_devices(self, order):
        T = self.T
        entries = []
        for device in order or ():
            if isinstance(device, T.VirtualMachineBootOptionsBootableDiskDevice):
                entries.append({'type': 'DISK', 'disks': [str(device.deviceKey)]})
            elif isinstance(device, T.VirtualMachineBootOptionsBootableEthernetDevice):
                entries.append({'type': 'ETHERNET', 'nic': str(device.deviceKey)})
            elif isinstance(device, T.VirtualMachineBootOptionsBootableCdromDevice):
                entries.append({'type': 'CDROM'})
            else:
                entries.append({'type': 'FLOPPY'})
        return entries


def _moid(ref):
    return ref.value if ref is not None else None


def _host_device(backing):
    return {'type': 'HOST_DEVICE', 'host_device': getattr(backing, 'deviceName', None) or None,
            'auto_detect': bool(getattr(backing, 'useAutoDetect', False))}


def _connection(device):
    connectable = device.connectable
    if connectable is None:
        return {'state': 'UNKNOWN', 'start_connected': False, 'allow_guest_control': False}
    if connectable.connected:
        state = 'CONNECTED'
    else:
        state = {'recoverableError': 'RECOVERABLE_ERROR',
                 'unrecoverableError': 'UNRECOVERABLE_ERROR'}.get(connectable.status,
                                                                  'NOT_CONNECTED')
    return {'state': state, 'start_connected': bool(connectable.startConnected),
            'allow_guest_control': bool(connectable.allowGuestControl)}


def info(ctx, vm):
    """The VM.Info of `vm`, read as /sdk reads it in `ctx`."""
    def read(path):
        return read_path(vm, path, ctx)[0]

    config = read('config')
    if config is None:
        raise VapiError('resource_inaccessible', 'com.vmware.vcenter.vm.inaccessible',
                        'The configuration of virtual machine %s cannot be read.' % vm.ref.value,
                        vm.ref.value)
    hardware = config.hardware
    devices = _Devices(vm, list(hardware.device or ()))
    upgrade = config.scheduledHardwareUpgradeInfo
    policy = UPGRADE_POLICIES.get(upgrade.upgradePolicy if upgrade else 'never', 'NEVER')
    boot = config.bootOptions
    efi = config.firmware == 'efi'
    return {
        'guest_OS': guest_os_of(config.guestId), 'name': vm.name,
        'identity': {'name': vm.name, 'bios_uuid': config.uuid,
                     'instance_uuid': config.instanceUuid},
        'power_state': VIM_POWER_STATES[read('runtime.powerState')],
        'instant_clone_frozen': bool(read('runtime.instantCloneFrozen')),
        'hardware': {'version': hardware_version(config.version), 'upgrade_policy': policy,
                     'upgrade_version': hardware_version(upgrade.versionKey)
                     if policy != 'NEVER' and upgrade.versionKey else None,
                     'upgrade_status': (upgrade.scheduledHardwareUpgradeStatus or 'none').upper()
                     if upgrade else 'NONE'},
        'boot': {'type': 'EFI' if efi else 'BIOS',
                 'efi_legacy_boot': False if efi else None,
                 'network_protocol': (boot.networkBootProtocol or 'ipv4').upper()
                 if efi and boot else None,
                 'delay': boot.bootDelay or 0 if boot else 0,
                 'retry': bool(boot.bootRetryEnabled) if boot else False,
                 'retry_delay': boot.bootRetryDelay or 0 if boot else 0,
                 'enter_setup_mode': bool(boot.enterBIOSSetup) if boot else False},
        'boot_devices': devices.boot_devices(boot.bootOrder if boot else None),
        'cpu': {'count': hardware.numCPU, 'cores_per_socket': hardware.numCoresPerSocket or 1,
                'hot_add_enabled': bool(config.cpuHotAddEnabled),
                'hot_remove_enabled': bool(config.cpuHotRemoveEnabled)},
        'memory': {'size_MiB': hardware.memoryMB,
                   'hot_add_enabled': bool(config.memoryHotAddEnabled),
                   'hot_add_increment_size_MiB': config.hotPlugMemoryIncrementSize
                   if config.memoryHotAddEnabled else None,
                   'hot_add_limit_MiB': config.hotPlugMemoryLimit
                   if config.memoryHotAddEnabled else None},
        'disks': devices.keyed('VirtualDisk', devices.disk),
        'nics': devices.keyed('VirtualEthernetCard', devices.nic),
        'cdroms': devices.keyed('VirtualCdrom', devices.cdrom),
        'floppies': devices.keyed('VirtualFloppy', devices.floppy),
        'parallel_ports': devices.keyed('VirtualParallelPort', devices.parallel),
        'serial_ports': devices.keyed('VirtualSerialPort', devices.serial),
        'sata_adapters': devices.keyed('VirtualSATAController', lambda ctl: {
            'label': ctl.deviceInfo.label, 'type': 'AHCI', 'bus': ctl.busNumber,
            'pci_slot_number': _slot(ctl)}),
        'scsi_adapters': devices.keyed('VirtualSCSIController', lambda ctl: {
            'label': ctl.deviceInfo.label, 'type': _kind(devices.T, ctl, SCSI_TYPES),
            'scsi': {'bus': ctl.busNumber,
                     'unit': 7 if ctl.scsiCtlrUnitNumber is None else ctl.scsiCtlrUnitNumber},
            'pci_slot_number': _slot(ctl), 'sharing': SHARING.get(ctl.sharedBus, 'NONE')}),
        'nvme_adapters': devices.keyed('VirtualNVMEController', lambda ctl: {
            'label': ctl.deviceInfo.label, 'bus': ctl.busNumber,
            'pci_slot_number': _slot(ctl)})}


def _slot(device):
    return getattr(device.slotInfo, 'pciSlotNumber', None)
