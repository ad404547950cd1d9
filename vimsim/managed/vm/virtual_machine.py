"""VirtualMachine.

Primary state is a handful of scalars and links (name, folder, pool, host,
datastore, network, power state, boot time, cpu / memory / disk size, guest
id, a sequence number). Everything else is computed on read from it: `config`
(devices, files, uuids, MAC), `summary`, `runtime`, `guest`, `storage`,
`layout`, `layoutEx`, `datastore`, `network`. Sub-objects identical for all
VMs (flags, power ops, controllers, capability) are built once and shared;
treat them as read-only.
"""
import copy
import functools
import posixpath
import re
import uuid as uuid_module
from datetime import datetime, timezone

from vimsim import clock
from vimsim.managed.admin.crypto_keys import crypto_key_id
from vimsim.managed.entity import NAME_MAX, ManagedEntity, data_types
from vimsim.managed.monitoring.event_manager import datacenter_of, event_manager
from vimsim.managed.monitoring.load_model import load_model, readiness
from vimsim.managed.network.dv_port import check_connectable, sync_vm_ports
from vimsim.managed.storage.datastore_files import (descriptor_named, files_in, renamed_path,
                                                    touched)
from vimsim.managed.vm import change_tracking
from vimsim.managed.vm.admission import (check_migration, check_power_on,
                                         check_reservation_change, datastore_problems,
                                         network_problems)
from vimsim.managed.vm import console, disk_maintenance, fault_tolerance, guest_tools, questions
from vimsim.managed.vm.config_settings import SettingsPlan, given_fields, lay_over
from vimsim.managed.vm.disk_chain import backing_chain, chain_units, extent_name
from vimsim.managed.vm.environment_browser import (CREATE_UNSUPPORTED, default_version,
                                                   hardware_limits, host_hw_versions,
                                                   hw_number, vm_capability)
from vimsim.managed.vm.guest_os import GUEST_FAMILY, GUEST_NAMES
from vimsim.managed.vm.provisioning import (adopt_into_vapp, check_customization, check_name,
                                            check_unique, detach_vm, event_argument,
                                            host_usable, is_a, next_sequence, pick_host,
                                            post_identity_events, resolve_argument,
                                            home_path, unregistered, vm_home)
from vimsim.managed.vm.storage_profiles import HOME, associated, chosen_profile
from vimsim.managed.vm.vm_encryption import CryptoPlan, check_unlocked, config_key_id, \
    encrypt_copy, keys_of, prepare_power_on, unlock_task
from vimsim.managed.vm.vm_files import copy_disk_data, disk_extents, sync_files
from vimsim.managed.vm.vm_task import (POWER_STATE_LABELS, check_idle, invalid_power_state,
                                       invalid_state, tools_unavailable, vm_task)
from vimsim.schema import MoRef
from vimsim.soap.encode import freeze
from vimsim.soap.fault import FileAlreadyExists, FileLocked, FileNotFound, fault, localized

KB = 1024
MB = 1024 * KB
GB = 1024 * MB
HW_VERSION = 'vmx-21'   # the inventory's VMs (made on ESXi 8.0 U3; newer hosts upgrade them)
TOOLS_VERSION = guest_tools.TOOLS_VERSION
TOOLS_VERSION_TEXT = str(TOOLS_VERSION)
VMX_SIZE = 2684
NVRAM_SIZE = 8684
DESCRIPTOR_SIZE = 533
LOG_SIZE = 201433
_NAMESPACE = uuid_module.UUID('9a1b2c3d-4e5f-4061-8273-849500000042')
_DELTA_NUMBER = re.compile(r'-(\d{6})\.vmdk$')     # a snapshot delta's number


@functools.lru_cache(maxsize=1024)
def _uuid_hex(identity):
    """uuid5's hex of a VM's identity (moid/file name): one read of its
    config derives seven UUIDs from it (uuid5 was ~20% of that read's CPU);
    the latest VMs' are kept."""
    return uuid_module.uuid5(_NAMESPACE, identity).hex


def vm_mac(sequence):
    """vCenter-assigned MACs: 00:50:56:80:00:00 - 00:50:56:bf:ff:ff."""
    n = sequence & 0x3fffff
    return '00:50:56:%02x:%02x:%02x' % (0x80 | (n >> 16), (n >> 8) & 0xff, n & 0xff)


def vm_ip(sequence):
    n = sequence + 100
    return '172.16.%d.%d' % (n // 250, n % 250 + 1)


@fault_tolerance.refusing_on_secondaries
class VirtualMachine(ManagedEntity):
    type_name = 'VirtualMachine'
    parentVApp = None
    # primary state that only a few VMs change: class defaults until they do
    annotation = ''
    cores_per_socket = 1
    extra_config = None        # {key: value} set through extraConfig
    cpu_allocation = None      # ResourceAllocationInfo, None: the shared default
    memory_allocation = None
    cpu_hot_add = False
    cpu_hot_remove = False
    memory_hot_add = False
    tools_installed = True     # False: guest tools never run (ToolsUnavailable)
    guest_overrides = None     # {'guest.ipAddress': value, ...} given by SET.* extraConfig
    settings = None            # {config path: value} a ConfigSpec set (config_settings)
    storage_profiles = None    # {HOME or disk key: storage policy id} (storage_profiles)
    uuid_override = None       # config.uuid / instanceUuid a ConfigSpec gave
    instance_uuid_override = None
    change_stamp = None        # last reconfiguration (config.changeVersion / modified)
    hw_version = HW_VERSION    # config.version ('vmx-21')
    _devices = None            # the mutable device list, once anything changed it
    _active_task = None        # the VM's running task (vm_task's serialization)
    snapshot_tree = None       # vimsim.managed.vm.snapshot.SnapshotTree, once one was taken
    crypto_key = None          # (provider id, key id) encrypting the home (vm_encryption)
    crypto_locked = False      # its keys went: runtime.cryptoState 'locked'
    customization = None   # provisioning.check_customization's identity
    customization_pending = False   # customized since its last power-on (the guest has yet to run it)
    linked_parent = None   # (source VM, snapshot) of a linked clone
    linked_clones = ()     # the VMs cloned linked to this one (their linked_parent)
    screenshots = ()       # ((file name, (width, height)), ...) taken (console.py)
    screen = None          # (width, height) the guest's tools set; None: the default
    kernel_crashed = False  # the guest stopped (an NMI's bug check) until reset or off
    heartbeat_stopped = None   # model second its guest stopped heartbeating (a crash, a hang)
    tools_installer = None  # (CD/DVD key, its backing, startConnected, summary) while mounted
    asks_moved_or_copied = False   # registered with another VM's uuid (questions.py)
    pending_question = None        # questions.PendingQuestion: runtime.question
    question_serial = 0
    evc_masks = ()                 # the per-VM EVC masks ApplyEvcModeVM_Task set
    ft_pair = None                 # fault_tolerance.FtPair of a primary or secondary

    def view_parents(self):
        """A VM is listed by its folder (or vApp), its pool and its host."""
        pool, host = self.pool, self.host
        return (self.parent, pool.ref if pool is not None else None,
                host.ref if host is not None else None)

    def __init__(self, server, moid, name, folder, pool, host, datastore, network, sequence,
                 num_cpu=1, memory_mb=32, disk_kb=10 * 1024 * 1024, guest_id='otherGuest64',
                 power_state='poweredOff', created=None):
        super().__init__(server, moid, name, folder)
        folder.add_child(self)
        self.pool = pool
        self.host = host
        self.datastore_object = datastore
        self.network_object = network
        self.sequence = sequence
        self.num_cpu = num_cpu
        self.memory_mb = memory_mb
        self.disk_kb = disk_kb
        self.guest_id = guest_id
        self.power_state = power_state
        self.boot_time = None
        self.created = created or clock.now()
        self.template = False
        self.file_name = name   # the creation name: files and identities keep it
        self.dir_name = name    # its directory on its datastore (provisioning.vm_home)
        server.vm_sequence = max(getattr(server, 'vm_sequence', 0), sequence + 1)
        if pool is not None:   # None: a template
            pool.vms.append(self)
        host.vms.append(self)
        datastore.vms.append(self)
        if network is not None:
            network.vms.append(self)

    # -- identities (derived from the moid and sequence) ----------------------
    def _uuid(self, prefix):
        u = _uuid_hex('%s/%s' % (self.ref.value, self.file_name))
        u = prefix + u[len(prefix):]
        return '%s-%s-%s-%s-%s' % (u[:8], u[8:12], u[12:16], u[16:20], u[20:])

    @property
    def uuid(self):
        return self.uuid_override or self._uuid('42')

    @property
    def instance_uuid(self):
        return self.instance_uuid_override or self._uuid('50')

    @property
    def mac(self):
        return vm_mac(self.sequence)

    @property
    def home(self):
        """The datastore path the VM's files are named from: '[ds] dir/'."""
        return home_path(self.datastore_object.name, self.dir_name)

    def file_path(self, suffix):
        return '%s%s%s' % (self.home, self.file_name, suffix)

    def sync_files(self):
        """Write the VM's files to its datastores (the namespace's hook)."""
        sync_files(self)

    def datastore_renamed(self, old, new):
        """Datastore `old` is called `new` now: the VM's file names that name
        it (its and its snapshots' device backings, file settings) follow."""
        lists = [self._devices or ()] + [snap.devices() or () for snap in
                                         (self.snapshot_tree.all() if self.snapshot_tree else ())]
        followed = False
        for devices in lists:
            for device in devices:
                backing = getattr(device, 'backing', None)
                while backing is not None:
                    name = getattr(backing, 'fileName', None)
                    if name and renamed_path(name, old, new) != name:
                        backing.fileName = renamed_path(name, old, new)
                        followed = True
                    backing = getattr(backing, 'parent', None)
        for key, value in (self.settings or {}).items():
            if renamed_path(value, old, new) != value:
                self.settings[key] = renamed_path(value, old, new)
                followed = True
        if followed or self.datastore_object.name == new:
            self.report_changed('config', 'layout', 'layoutEx', 'storage', 'summary')

    # -- links -------------------------------------------------------------------
    @property
    def resourcePool(self):
        return self.pool.ref if self.pool is not None else None

    def datastore_objects(self):
        """The datastores holding the VM's files: its home, then its disks'."""
        found = [self.datastore_object]
        if self._devices is not None:
            get = self.server.objects.get
            for disk in self.disks():
                for backing in backing_chain(disk.backing):
                    ds = get(backing.datastore) if backing.datastore is not None else None
                    if ds is not None and ds not in found:
                        found.append(ds)
            if self.snapshot_tree is not None:
                for ds in self.snapshot_tree.datastores():
                    if ds not in found:
                        found.append(ds)
        return found

    def network_objects(self):
        """The networks the VM's NICs are backed by, in device order."""
        if self._devices is None:
            return [self.network_object] if self.network_object is not None else []
        found = []
        for nic in self.nics():
            network = self._nic_network(nic)
            if network is not None and network not in found:
                found.append(network)
        return found

    def _nic_network(self, nic):
        backing = nic.backing
        get = self.server.objects.get
        T = self.T
        if isinstance(backing, T.VirtualEthernetCardNetworkBackingInfo):
            return get(backing.network) if backing.network is not None else None
        if isinstance(backing, T.VirtualEthernetCardDistributedVirtualPortBackingInfo):
            port = backing.port
            return get(MoRef('DistributedVirtualPortgroup', port.portgroupKey)) \
                if port is not None and port.portgroupKey else None
        if isinstance(backing, T.VirtualEthernetCardOpaqueNetworkBackingInfo):
            return opaque_network(self.host, backing)
        return None

    @property
    def datastore(self):
        if self._devices is None:
            return [self.datastore_object.ref]
        return [ds.ref for ds in self.datastore_objects()]

    @property
    def network(self):
        return [network.ref for network in self.network_objects()]

    @property
    def rootSnapshot(self):
        # unset, not empty, without snapshots (as vCenter answers Fetch)
        tree = self.snapshot_tree
        return (tree.root_refs() or None) if tree is not None else None

    @property
    def snapshot(self):
        tree = self.snapshot_tree
        return tree.info() if tree is not None else None

    @property
    def environmentBrowser(self):
        return self.host.compute_resource.environmentBrowser

    @property
    def guestHeartbeatStatus(self):
        """Gray without running tools (powered off, none installed, stopped):
        only the tools send the heartbeats vCenter judges."""
        if not self.tools_running:
            return 'gray'
        return 'green' if self.heartbeat_stopped is None else 'red'

    def stop_heartbeat(self):
        """The guest stops sending tools heartbeats (a crash, a hang) until
        it is reset or powered off; its cluster's HA VM monitoring may reset
        it (the compute resource's `heartbeat_stopped`, inventory/ha.py). A
        guest whose tools do not run sends none to stop."""
        if self.heartbeat_stopped is not None or not self.tools_running:
            return
        self.heartbeat_stopped = clock.seconds()
        self.changed('guestHeartbeatStatus', 'summary')
        watch = getattr(self.host.compute_resource, 'heartbeat_stopped', None)
        if watch is not None:
            watch(self)

    def reboot_guest(self):
        """A reset: the guest boots again, running and heartbeating."""
        self.boot_time = clock.now()
        self.kernel_crashed = False
        self.heartbeat_stopped = None
        self.report_changed('runtime', 'summary', 'guest', 'guestHeartbeatStatus')

    @property
    def tools_running(self):
        """Powered on with tools installed, or a guest told (SET.guest.*)
        that its tools run."""
        if self.power_state != 'poweredOn':
            return False
        told = (self.guest_overrides or {}).get('guest.toolsRunningStatus')
        return told == 'guestToolsRunning' if told is not None else self.tools_installed

    def tools_status(self):
        """(toolsStatus, toolsVersionStatus, toolsVersionStatus2,
        toolsRunningStatus, toolsVersion) as vCenter reports them for this
        VM's tools (guest_tools.py)."""
        running = 'guestToolsRunning' if self.tools_running else 'guestToolsNotRunning'
        if not self.tools_installed:
            return ('toolsNotInstalled', 'guestToolsNotInstalled', 'guestToolsNotInstalled',
                    running, '0')
        version = guest_tools.tools_version(self)
        status, version_status, version_status2 = guest_tools.version_status(version)
        return (status if self.tools_running else 'toolsNotRunning', version_status,
                version_status2, running, str(version))

    # -- usage -------------------------------------------------------------------
    def usage_stats(self):
        """(cpu MHz, host memory MB) the VM consumes now (the load model's)."""
        sample = load_model(self.server).vm_sample(self)
        return sample.cpu_usage, sample.memory_consumed + sample.memory_overhead

    def disk_files(self):
        """[(name, type, size)] of every disk file: each running disk's chain,
        base first, then files only snapshots still hold."""
        if self._devices is None:
            return [(self.file_path('.vmdk'), 'diskDescriptor', DESCRIPTOR_SIZE),
                    (self.file_path('-flat.vmdk'), 'diskExtent', 0)]
        out = []
        seen = set()
        chains = [(backing_chain(disk.backing), disk.capacityInKB) for disk in self.disks()]
        if self.snapshot_tree is not None:
            chains.extend((chain, None) for chain in self.snapshot_tree.disk_chains())
        for chain, capacity in chains:
            for backing in chain:
                name = backing.fileName
                if name in seen:
                    continue
                seen.add(name)
                out.extend(_disk_file_entries(backing, capacity))
        return out

    def files(self):
        """[(name, type, size)] of the VM's files, in layoutEx key order."""
        tree = self.snapshot_tree
        files = [(self.file_path('.vmx'), 'config', VMX_SIZE),
                 (self.file_path('.vmsd'), 'snapshotList', tree.vmsd_size() if tree else 0),
                 (self.file_path('.nvram'), 'nvram', NVRAM_SIZE)]
        files.extend(self.disk_files())
        if tree is not None:
            files.extend(tree.snapshot_files())
        if self.screenshots:
            files.extend(console.screenshot_files(self))
        if self.boot_time is not None:
            files.append((self.home + 'vmware.log', 'log', LOG_SIZE))
        if self.power_state == 'poweredOn':
            files.append((self.file_path('-%s.vswp' % self.instance_uuid[:8]), 'swap',
                          self.memory_mb * MB))
        return files

    def storage_usage(self, datastore=None):
        """(committed, uncommitted) bytes, of the files on `datastore` only
        when given; disks are thin and unwritten."""
        if self._devices is None and (datastore is None or datastore is self.datastore_object):
            committed = sum(size for _, _, size in self.files())
            return committed, self.disk_kb * KB
        prefix = '[%s] ' % datastore.name if datastore is not None else ''
        committed = sum(size for name, _, size in self.files() if name.startswith(prefix))
        uncommitted = 0
        for disk in self.disks():
            base = backing_chain(disk.backing)[0]
            if (base.fileName or '').startswith(prefix) and not is_thick(base):
                uncommitted += (disk.capacityInKB or 0) * KB
        return committed, uncommitted

    # -- devices -------------------------------------------------------------------
    def devices(self):
        """The device list: computed (and shared) until something changed it,
        then the VM's own mutable list (see `device_list`)."""
        if self._devices is not None:
            on = self.power_state == 'poweredOn'
            follows = (self.T.VirtualEthernetCard, self.T.VirtualCdrom)
            for device in self._devices:
                if isinstance(device, follows) and device.connectable is not None:
                    connectable = device.connectable
                    connectable.connected = bool(on and connectable.startConnected)
                    connectable.status = 'ok' if connectable.connected else 'untried'
            return self._devices
        return self._default_devices()

    def device_list(self):
        """The VM's own mutable device list (made from the computed one on
        first use). Change it, then call `devices_changed()`."""
        if self._devices is None:
            self._devices = [copy.deepcopy(device) for device in self._default_devices()]
        return self._devices

    def disks(self):
        Disk = self.T.VirtualDisk
        return [device for device in self.devices() if isinstance(device, Disk)]

    def nics(self):
        Card = self.T.VirtualEthernetCard
        return [device for device in self.devices() if isinstance(device, Card)]

    def _default_devices(self):
        T = self.T
        shared = _shared(self.server)
        disk_file = self.file_path('.vmdk')
        on = self.power_state == 'poweredOn'
        nic = T.VirtualVmxnet3(
            key=4000, deviceInfo=T.Description(label='Network adapter 1',
                                               summary=nic_summary(self.network_object)),
            backing=self.network_object.nic_backing(self) if self.network_object else None,
            connectable=T.VirtualDeviceConnectInfo(
                migrateConnect=None, startConnected=True, allowGuestControl=True,
                connected=on, status='ok' if on else 'untried'),
            slotInfo=T.VirtualDevicePciBusSlotInfo(pciSlotNumber=192),
            controllerKey=100, unitNumber=7, addressType='assigned', macAddress=self.mac,
            wakeOnLanEnabled=True,
            resourceAllocation=shared['nic_allocation'], uptCompatibilityEnabled=True)
        disk = T.VirtualDisk(
            key=2000,
            deviceInfo=T.Description(label='Hard disk 1',
                                     summary='{:,} KB'.format(self.disk_kb)),
            backing=T.VirtualDiskFlatVer2BackingInfo(
                fileName=disk_file, datastore=self.datastore_object.ref, diskMode='persistent',
                split=False, writeThrough=False, thinProvisioned=True, eagerlyScrub=False,
                uuid=self._uuid('6000C29'), contentId=self._uuid('c')[:8] * 4,
                digestEnabled=False, sharing='sharingNone'),
            controllerKey=1000, unitNumber=0, capacityInKB=self.disk_kb,
            capacityInBytes=self.disk_kb * KB, shares=shared['disk_shares'],
            storageIOAllocation=shared['disk_io'], diskObjectId='%s-2000' % self.sequence,
            nativeUnmanagedLinkedClone=False)
        return self._base_devices() + (shared['scsi'], shared['cdrom'], disk, nic)

    def _base_devices(self):
        """The devices every VM has, a created one included."""
        T = self.T
        shared = _shared(self.server)
        vmci = T.VirtualMachineVMCIDevice(
            key=12000, deviceInfo=shared['vmci_info'], controllerKey=100, unitNumber=17,
            id=int(self.uuid.replace('-', '')[-8:], 16) & 0x7fffffff,
            allowUnrestrictedCommunication=False, filterEnable=True)
        return (shared['ide0'], shared['ide1'], shared['ps2'], shared['pci'], shared['sio'],
                shared['keyboard'], shared['pointing'], shared['video'], vmci)

    # -- config ---------------------------------------------------------------------
    @property
    def guest_full_name(self):
        return GUEST_NAMES.get(self.guest_id, self.guest_id)

    @property
    def change_version(self):
        return (self.change_stamp or self.created).strftime('%Y-%m-%dT%H:%M:%S.%fZ')

    def extra_config_values(self):
        T = self.T
        values = [T.OptionValue(key='nvram', value=self.file_name + '.nvram'),
                  T.OptionValue(key='svga.present', value='TRUE'),
                  T.OptionValue(key='pciBridge0.present', value='TRUE'),
                  T.OptionValue(key='vmware.tools.internalversion', value=TOOLS_VERSION_TEXT),
                  T.OptionValue(key='migrate.hostLog',
                                value='%s-%s.hlog' % (self.file_name, self.instance_uuid[:8])),
                  T.OptionValue(key='sched.swap.derivedName',
                                value=self.file_path('-%s.vswp' % self.instance_uuid[:8]))]
        if self.extra_config:
            known = {option.key: option for option in values}
            for key, value in self.extra_config.items():
                if key in known:
                    known[key].value = value
                else:
                    values.append(T.OptionValue(key=key, value=value))
        return values

    @property
    def config(self):
        config = self._computed_config()
        if self.ft_pair is not None:
            fault_tolerance.describe(self, config)
        return lay_over(config, self.settings) if self.settings else config

    def _computed_config(self):
        T = self.T
        shared = _shared(self.server)
        return T.VirtualMachineConfigInfo(
            changeVersion=self.change_version,
            modified=self.change_stamp or datetime(1970, 1, 1, tzinfo=timezone.utc),
            name=self.name, guestFullName=self.guest_full_name, version=self.hw_version,
            uuid=self.uuid, createDate=self.created, instanceUuid=self.instance_uuid,
            npivTemporaryDisabled=True, locationId=None, template=self.template,
            guestId=self.guest_id, alternateGuestName='', annotation=self.annotation,
            files=T.VirtualMachineFileInfo(
                vmPathName=self.file_path('.vmx'), snapshotDirectory=self.home,
                suspendDirectory=self.home, logDirectory=self.home),
            tools=self._tools_config(shared['tools']), flags=shared['flags'],
            consolePreferences=shared['console'], defaultPowerOps=shared['power_ops'],
            rebootPowerOff=False,
            hardware=T.VirtualHardware(
                numCPU=self.num_cpu, numCoresPerSocket=self.cores_per_socket,
                autoCoresPerSocket=self.cores_per_socket == 1,
                memoryMB=self.memory_mb, virtualICH7MPresent=False, virtualSMCPresent=False,
                device=list(self.devices()), motherboardLayout='i440bxHostBridge',
                simultaneousThreads=1),
            cpuAllocation=self.cpu_allocation or shared['cpu_allocation'],
            memoryAllocation=self.effective_memory_allocation(),
            latencySensitivity=shared['latency'], memoryHotAddEnabled=self.memory_hot_add,
            cpuHotAddEnabled=self.cpu_hot_add, cpuHotRemoveEnabled=self.cpu_hot_remove,
            extraConfig=self.extra_config_values(),
            datastoreUrl=[T.VirtualMachineConfigInfoDatastoreUrlPair(
                name=ds.name, url=ds.path) for ds in self.datastore_objects()],
            swapPlacement='inherit', bootOptions=shared['boot'],
            vAssertsEnabled=False, changeTrackingEnabled=False, firmware='bios',
            maxMksConnections=40, guestAutoLockEnabled=False,
            memoryReservationLockedToMax=False,
            initialOverhead=T.VirtualMachineConfigInfoOverheadInfo(
                initialMemoryReservation=214446080, initialSwapReservation=20971520),
            nestedHVEnabled=False, vPMCEnabled=False,
            scheduledHardwareUpgradeInfo=shared['upgrade'],
            vFlashCacheReservation=0, messageBusTunnelEnabled=False,
            guestIntegrityInfo=shared['integrity'], migrateEncryption='opportunistic',
            sgxInfo=shared['sgx'], ftEncryptionMode='ftEncryptionOpportunistic',
            sevEnabled=False, pmemFailoverEnabled=False, vmxStatsCollectionEnabled=True,
            vmOpNotificationToAppEnabled=False, vmOpNotificationTimeout=-1,
            guestMonitoringModeInfo=shared['monitoring'], deviceGroups=shared['device_groups'],
            fixedPassthruHotPlugEnabled=False, guestArchitecture=None,
            keyId=config_key_id(self))

    def _tools_config(self, shared):
        """config.tools: the shared settings, with the guest's tools version."""
        version = guest_tools.tools_version(self)
        if version == shared.toolsVersion:
            return shared
        tools = copy.copy(shared)
        tools.toolsVersion = version
        return tools

    @property
    def resourceConfig(self):
        shared = _shared(self.server)
        return self.T.ResourceConfigSpec(
            entity=self.ref, lastModified=None,
            cpuAllocation=self.cpu_allocation or shared['cpu_allocation'],
            memoryAllocation=self.effective_memory_allocation())

    def effective_memory_allocation(self):
        """The memory allocation; with memoryReservationLockedToMax set, its
        reservation is the VM's memory size, as vCenter keeps it."""
        allocation = self.memory_allocation or _shared(self.server)['memory_allocation']
        if (self.settings or {}).get('memoryReservationLockedToMax'):
            allocation = copy.copy(allocation)
            allocation.reservation = self.memory_mb
        return allocation

    # -- runtime / guest / summary -------------------------------------------------
    def nic_keys(self):
        if self._devices is None:
            return (4000,) if self.network_object is not None else ()
        return tuple(nic.key for nic in self.nics())

    @property
    def connection_state(self):
        """A VM is reachable only through its host: disconnected with it."""
        state = getattr(self.host, 'connection_state', 'connected')
        return 'connected' if state == 'connected' else 'disconnected'

    @property
    def runtime(self):
        T = self.T
        on = self.power_state == 'poweredOn'
        return T.VirtualMachineRuntimeInfo(
            device=[T.VirtualMachineDeviceRuntimeInfo(
                key=key, runtimeState=T.VirtualMachineDeviceRuntimeInfoVirtualEthernetCardRuntimeState(
                    vmDirectPathGen2Active=False, attachmentStatus='green'))
                for key in self.nic_keys()] if on else [],
            host=self.host.ref, connectionState=self.connection_state, powerState=self.power_state,
            question=self.pending_question.info if self.pending_question is not None else None,
            vmFailoverInProgress=False, faultToleranceState=fault_tolerance.ft_state(self),
            needSecondaryReason=fault_tolerance.need_secondary_reason(self),
            toolsInstallerMounted=self.tools_installer is not None,
            bootTime=self.boot_time if on else None,
            suspendInterval=0, memoryOverhead=None,
            maxCpuUsage=self.num_cpu * 2294 if on else None,
            maxMemoryUsage=self.memory_mb if on else None,
            numMksConnections=0, recordReplayState='inactive', cleanPowerOff=not on,
            onlineStandby=False, featureMask=list(self.evc_masks),
            consolidationNeeded=disk_maintenance.consolidation_needed(self), paused=False,
            diskChainBroken=disk_maintenance.disk_chain_broken(self),
            snapshotInBackground=False, instantCloneFrozen=False,
            cryptoState='locked' if self.crypto_locked else 'unlocked',
            suspendedToMemory=False)

    def guest_nics(self):
        """[(network name, mac, device key)] of the NICs the guest sees."""
        if self._devices is None:
            if self.network_object is None:
                return []
            return [(self.network_object.name, self.mac, 4000)]
        out = []
        for nic in self.nics():
            network = self._nic_network(nic)
            out.append((network.name if network is not None else None, nic.macAddress, nic.key))
        return out

    @property
    def guest(self):
        guest = self._guest_info()
        if self.guest_overrides:
            self._apply_guest_overrides(guest, 'guest.')
        return guest

    def _apply_guest_overrides(self, guest, prefix):
        for path, value in self.guest_overrides.items():
            if path.startswith(prefix) and '.' not in path[len(prefix):]:
                setattr(guest, path[len(prefix):], value)
        address = self.guest_overrides.get(prefix + 'ipAddress')
        if address is not None and getattr(guest, 'net', None):
            nic = guest.net[0]
            nic.ipAddress = [address]
            nic.ipConfig = self.T.NetIpConfigInfo(ipAddress=[self.T.NetIpConfigInfoIpAddress(
                ipAddress=address, prefixLength=16, state='preferred')])

    def _guest_info(self):
        T = self.T
        on = self.tools_running
        family = GUEST_FAMILY.get(self.guest_id, 'otherGuestFamily')
        status, version_status, version_status2, running, version = self.tools_status()
        install_type = 'guestToolsTypeOpenVMTools' if self.tools_installed else None
        if not on:
            return T.GuestInfo(
                toolsStatus=status, toolsVersionStatus=version_status,
                toolsVersionStatus2=version_status2, toolsRunningStatus=running,
                toolsVersion=version, toolsInstallType=install_type,
                guestId=self.guest_id, guestFamily=family, guestFullName=self.guest_full_name,
                guestState='notRunning', net=[], ipStack=[], disk=[],
                appHeartbeatStatus='appStatusGray', guestKernelCrashed=False,
                appState='none', guestOperationsReady=False,
                interactiveGuestOperationsReady=False, guestStateChangeSupported=False,
                hwVersion=self.hw_version)
        ip = vm_ip(self.sequence)
        host_name = self.guest_host_name
        nets = []
        for index, (net_name, mac, key) in enumerate(self.guest_nics()):
            addresses = [ip] if index == 0 else []
            nets.append(T.GuestNicInfo(
                network=net_name, ipAddress=addresses, macAddress=mac, connected=True,
                deviceConfigId=key,
                ipConfig=T.NetIpConfigInfo(ipAddress=[T.NetIpConfigInfoIpAddress(
                    ipAddress=address, prefixLength=16, state='preferred')
                    for address in addresses])))
        return T.GuestInfo(
            toolsStatus=status, toolsVersionStatus=version_status,
            toolsVersionStatus2=version_status2, toolsRunningStatus=running,
            toolsVersion=version, toolsInstallType=install_type,
            guestId=self.guest_id, guestFamily=family, guestFullName=self.guest_full_name,
            guestDetailedData=None, hostName=host_name, ipAddress=ip,
            net=nets,
            ipStack=[T.GuestStackInfo(
                dnsConfig=T.NetDnsConfigInfo(dhcp=False, hostName=host_name,
                                             domainName='localdomain', ipAddress=['10.0.0.2'],
                                             searchDomain=['localdomain']),
                ipRouteConfig=T.NetIpRouteConfigInfo(ipRoute=[T.NetIpRouteConfigInfoIpRoute(
                    network='0.0.0.0', prefixLength=0,
                    gateway=T.NetIpRouteConfigInfoGateway(ipAddress='172.16.0.1',
                                                          device='0'))]))],
            disk=[T.GuestDiskInfo(diskPath='/', capacity=self.disk_kb * KB - 512 * MB,
                                  freeSpace=self.disk_kb * KB - 2 * GB, filesystemType='ext4',
                                  mappings=[T.GuestInfoVirtualDiskMapping(key=2000)])]
            if self._devices is None else [],
            screen=T.GuestScreenInfo(width=console.screen_size(self)[0],
                                     height=console.screen_size(self)[1]),
            guestState='running', appHeartbeatStatus='appStatusGray',
            guestKernelCrashed=self.kernel_crashed,
            appState='none', guestOperationsReady=True, interactiveGuestOperationsReady=False,
            guestStateChangeSupported=True, hwVersion=self.hw_version)

    def quick_stats(self):
        T = self.T
        sample = load_model(self.server).vm_sample(self)
        on = self.power_state == 'poweredOn'
        uptime = int((clock.now() - self.boot_time).total_seconds()) \
            if on and self.boot_time else None
        cpu, consumed = sample.cpu_usage, sample.memory_consumed
        host_memory = consumed + sample.memory_overhead if on else 0
        return T.VirtualMachineQuickStats(
            overallCpuUsage=cpu, overallCpuDemand=sample.cpu_demand,
            overallCpuReadiness=readiness(sample, self.num_cpu),
            guestMemoryUsage=sample.memory_active, hostMemoryUsage=host_memory,
            guestHeartbeatStatus=self.guestHeartbeatStatus,
            distributedCpuEntitlement=sample.cpu_demand, distributedMemoryEntitlement=consumed,
            staticCpuEntitlement=sample.cpu_capacity,
            staticMemoryEntitlement=self.memory_mb + 31 if on else 0,
            grantedMemory=consumed, privateMemory=consumed, sharedMemory=0, swappedMemory=0,
            balloonedMemory=0, consumedOverheadMemory=sample.memory_overhead if on else 0,
            ftLogBandwidth=-1, ftSecondaryLatency=-1, ftLatencyStatus='gray',
            compressedMemory=0, uptimeSeconds=uptime, ssdSwappedMemory=0,
            activeMemory=sample.memory_active)

    def storage_summary(self):
        committed, uncommitted = self.storage_usage()
        return self.T.VirtualMachineStorageSummary(
            committed=committed, uncommitted=uncommitted, unshared=committed,
            timestamp=datetime.now(timezone.utc))

    @property
    def guest_host_name(self):
        """The name the guest calls itself: a customization's, else the VM's."""
        custom = self.customization
        if custom is not None and custom['hostName']:
            return custom['hostName']
        return self.name.lower().replace('_', '-')

    @property
    def summary(self):
        T = self.T
        tools = self.tools_running
        status, version_status, version_status2, running, _ = self.tools_status()
        guest = T.VirtualMachineGuestSummary(
            guestId=self.guest_id, guestFullName=self.guest_full_name,
            toolsStatus=status, toolsVersionStatus=version_status,
            toolsVersionStatus2=version_status2, toolsRunningStatus=running,
            hostName=self.guest_host_name if tools else None,
            ipAddress=vm_ip(self.sequence) if tools else None, hwVersion=self.hw_version)
        if self.guest_overrides:
            self._apply_guest_overrides(guest, 'summary.guest.')
        return T.VirtualMachineSummary(
            vm=self.ref, runtime=self.runtime, guest=guest,
            config=T.VirtualMachineConfigSummary(
                name=self.name, template=self.template, vmPathName=self.file_path('.vmx'),
                memorySizeMB=self.memory_mb, cpuReservation=self.cpu_reservation,
                memoryReservation=self.memory_reservation,
                numCpu=self.num_cpu, numEthernetCards=self.num_ethernet_cards,
                numVirtualDisks=self.num_virtual_disks, uuid=self.uuid,
                instanceUuid=self.instance_uuid, guestId=self.guest_id,
                guestFullName=self.guest_full_name, annotation=self.annotation,
                installBootRequired=False,
                tpmPresent=False, numVmiopBackings=0, hwVersion=self.hw_version),
            storage=self.storage_summary(), quickStats=self.quick_stats(),
            overallStatus=self.overallStatus, customValue=self.customValue)

    @property
    def num_ethernet_cards(self):
        if self._devices is None:
            return 1
        return len(self.nics())

    @property
    def num_virtual_disks(self):
        if self._devices is None:
            return 1
        return len(self.disks())

    @property
    def cpu_reservation(self):
        return (self.cpu_allocation.reservation or 0) if self.cpu_allocation else 0

    @property
    def memory_reservation(self):
        return self.effective_memory_allocation().reservation or 0

    @property
    def storage(self):
        T = self.T
        usage = []
        for ds in self.datastore_objects():
            committed, uncommitted = self.storage_usage(ds)
            usage.append(T.VirtualMachineUsageOnDatastore(
                datastore=ds.ref, committed=committed, uncommitted=uncommitted,
                unshared=committed))
        return T.VirtualMachineStorageInfo(perDatastoreUsage=usage,
                                           timestamp=datetime.now(timezone.utc))

    def _disk_layouts(self, files):
        """[(disk key, [[file keys of one chain unit], ...] base first)] of the
        running disks, and the same for any chain (for snapshots)."""
        keys = {name: key for key, (name, _, _) in enumerate(files)}
        if self._devices is None:
            return [(2000, [[keys[self.file_path('.vmdk')], keys[self.file_path('-flat.vmdk')]]])]
        return [(disk.key, chain_units(backing_chain(disk.backing), keys))
                for disk in self.disks()]

    @property
    def layoutEx(self):
        T = self.T
        files = self.files()
        infos = [T.VirtualMachineFileLayoutExFileInfo(key=key, name=name, type=kind, size=size,
                                                      uniqueSize=size, accessible=True)
                 for key, (name, kind, size) in enumerate(files)]
        disks = [T.VirtualMachineFileLayoutExDiskLayout(
            key=key, chain=[T.VirtualMachineFileLayoutExDiskUnit(fileKey=unit) for unit in units])
            for key, units in self._disk_layouts(files)]
        snapshots = self.snapshot_tree.layout_ex(files) if self.snapshot_tree else []
        return T.VirtualMachineFileLayoutEx(
            file=infos, disk=disks, snapshot=snapshots, timestamp=datetime.now(timezone.utc))

    @property
    def layout(self):
        T = self.T
        files = self.files()
        if self._devices is None:
            disks = [T.VirtualMachineFileLayoutDiskLayout(key=2000,
                                                         diskFile=[self.file_path('.vmdk')])]
        else:
            disks = [T.VirtualMachineFileLayoutDiskLayout(
                key=disk.key, diskFile=[b.fileName for b in backing_chain(disk.backing)])
                for disk in self.disks()]
        # configFile and logFile are relative to the configuration / log directory
        prefix = len(self.home)
        return T.VirtualMachineFileLayout(
            configFile=[name[prefix:] for name, kind, _ in files
                        if kind in ('nvram', 'snapshotList')],
            logFile=[name[prefix:] for name, kind, _ in files if kind == 'log'],
            disk=disks,
            snapshot=self.snapshot_tree.layout() if self.snapshot_tree else [],
            swapFile=next((name for name, kind, _ in files if kind == 'swap'), None))

    # -- reconfiguration: the interface provisioning uses too ------------------------
    def apply_config_spec(self, ctx, spec, creating=False):
        """Validate a VirtualMachineConfigSpec against this VM and apply it, as
        vCenter's reconfigure does; raise vCenter's fault (nothing changed) when
        any part is invalid. `creating`: the VM is being made from `spec`
        (CreateVM_Task): its device list starts from the devices every VM has
        (PCI, IDE, PS/2, SIO, keyboard, mouse, video, VMCI), files.vmPathName
        may name its datastore, and the hot-change rules do not apply.

        Returns the names of the properties that changed (already reported
        through `changed`)."""
        plan = _ConfigPlan(self, ctx, spec, creating)
        plan.validate()
        if not creating:
            check_reservation_change(self, plan.reservations())
        return plan.commit()

    def devices_changed(self):
        """After the device list changed: re-link datastores and networks (their
        `vm` lists) and report everything derived."""
        self._sync_links()
        self.report_changed('config', 'summary', 'layout', 'layoutEx', 'storage', 'datastore',
                            'network', 'guest', 'runtime')

    def _sync_links(self):
        datastores = self.datastore_objects()
        for ds in self.server_datastores_of_vm():
            if ds not in datastores:
                ds.vms.remove(self)
                ds.changed('vm', 'summary', 'info')
        for ds in datastores:
            if self not in ds.vms:
                ds.vms.append(self)
                ds.changed('vm')
            ds.changed('summary', 'info')
        previous = self._linked_networks()
        sync_vm_ports(self, previous)
        networks = self.network_objects()
        if networks:
            self.network_object = networks[0]
        elif self._devices is not None:
            self.network_object = None
        for network in previous:
            if network not in networks:
                network.vms.remove(self)
                network.changed('vm')
        for network in networks:
            if self not in network.vms:
                network.vms.append(self)
                network.changed('vm')
        self._networks_linked = list(networks)

    def server_datastores_of_vm(self):
        linked = getattr(self, '_datastores_linked', None)
        if linked is None:
            linked = [self.datastore_object]
        current = [ds for ds in self.host.datastores if self in ds.vms]
        for ds in linked:
            if ds not in current and self in ds.vms:
                current.append(ds)
        return current

    def _linked_networks(self):
        linked = getattr(self, '_networks_linked', None)
        if linked is None:
            linked = [self.network_object] if self.network_object is not None else []
        return [network for network in linked if self in network.vms]

    def report_changed(self, *names):
        """Report the VM's properties `names` and what rolls up from it (host,
        pool, cluster quick stats; datastore usage)."""
        self.changed(*names)
        sync_files(self)
        change_tracking.sync(self)
        self.host.changed('summary', 'licensableResource')
        compute = self.host.compute_resource
        if compute is not None:
            compute.changed('summary')
        if self.pool is not None:
            pool = self.pool
            while pool is not None and hasattr(pool, 'owner_object'):
                pool.changed('summary', 'runtime')
                parent = pool.parent_object()
                pool = parent if getattr(parent, 'type_name', '') == 'ResourcePool' else None
        for ds in self.datastore_objects():
            ds.changed('summary', 'info')

    # -- power ------------------------------------------------------------------------
    def _check_host_for_power(self, requested=None):
        """Admission control for a power-on (vm/admission.py), after the
        VM's cluster chose its host (DRS initial placement, HA admission
        control: `admit_power_on`); True when DRS placed it."""
        admit = getattr(self.host.compute_resource, 'admit_power_on', None) \
            if self.host is not None else None
        placed = admit(self, requested) if admit is not None else False
        check_power_on(self)
        return placed

    def register_on(self, host):
        """Move the VM's registration to another host of its compute
        resource (placement before a power-on: no migration, no events)."""
        self._move(self.pool, host, self.datastore_object, None)

    def set_power_state(self, state):
        """Change the power state and report all that follows from it."""
        before = self.power_state
        self.power_state = state
        self.kernel_crashed = False
        self.heartbeat_stopped = None
        if state == 'poweredOn' and before != 'poweredOn':
            if before != 'suspended' or self.boot_time is None:
                self.boot_time = clock.now()
            if self.customization_pending:   # the guest runs it as it boots
                self.customization_pending = False
                events = event_manager(self.server)
                events.post('CustomizationStartedEvent', self)
                events.post('CustomizationSucceeded', self)
            self.start_guest_network()
        if state == 'poweredOff':
            self.boot_time = self.boot_time   # the log stays; bootTime is read as unset
        self.report_changed('runtime', 'summary', 'guest', 'guestHeartbeatStatus',
                            'layoutEx', 'layout', 'storage', 'config')
        for network in self.network_objects():
            network.changed('summary')
        self.host.changed('config', 'vm')
        fault_tolerance.power_changed(self, before)

    def PowerOnVM_Task(self, ctx, host=None):
        """`host`, a host of the VM's compute resource, is where it powers
        on when that host can take it; in a DRS cluster DRS places it."""
        if self.template:
            raise invalid_state()
        requested = resolve_argument(ctx, host, 'HostSystem', 'host') \
            if host is not None else None
        if requested is not None and (self.host is None or requested
                                      not in self.host.compute_resource.hosts):
            raise _invalid_argument('host')

        def work(task):
            if self.template:
                raise invalid_state()
            if self.power_state == 'poweredOn':
                raise invalid_power_state('poweredOn', 'poweredOn')
            check_unlocked(self)
            placed = self._check_host_for_power(requested)
            prepare_power_on(ctx, self)
            resuming = self.power_state == 'suspended'
            task.post_event('VmResumingEvent' if resuming else 'VmStartingEvent', self)

            def powered_on(_=None):
                self.set_power_state('poweredOn')
                task.post_event('DrsVmPoweredOnEvent' if placed else 'VmPoweredOnEvent', self)
            answered = questions.ask_at_power_on(self)
            return powered_on() if answered is None else answered.addCallback(powered_on)
        return vm_task(ctx, self, 'PowerOnVM_Task', work)

    def AnswerVM(self, ctx, questionId, answerChoice):
        active = self._active_task
        questions.answer(lambda kind, **fields: event_manager(self.server).post(
            kind, self, ctx=ctx, chain_id=active.chain_id if active is not None else None,
            **fields), self, questionId, answerChoice)

    def take_new_identity(self, post_event):
        """A copied VM's new identity: a new BIOS uuid and new MACs for its
        NICs whose addresses vCenter assigned; `post_event(type, **fields)`
        posts VmUuidChangedEvent and VmMacChangedEvent."""
        old_uuid = self.uuid
        self.uuid_override = '42' + self.server.new_uuid()[2:]
        post_event('VmUuidChangedEvent', oldUuid=old_uuid, newUuid=self.uuid)
        for nic in self.device_list():
            if isinstance(nic, self.T.VirtualEthernetCard) and nic.addressType != 'manual':
                old_mac, nic.macAddress = nic.macAddress, _allocate_mac(self.server)
                post_event('VmMacChangedEvent', adapter=nic.deviceInfo.label
                           if nic.deviceInfo is not None else '', oldMac=old_mac,
                           newMac=nic.macAddress)
        self.devices_changed()

    def PowerOffVM_Task(self, ctx):

        def work(task):
            if self.power_state == 'poweredOff':
                raise invalid_power_state('poweredOff', 'poweredOff')
            task.post_event('VmStoppingEvent', self)
            self.set_power_state('poweredOff')
            task.post_event('VmPoweredOffEvent', self)
            return None
        return vm_task(ctx, self, 'PowerOffVM_Task', work)

    def SuspendVM_Task(self, ctx):

        def work(task):
            if self.power_state != 'poweredOn':
                raise invalid_power_state('poweredOn', self.power_state)
            task.post_event('VmSuspendingEvent', self)
            self.set_power_state('suspended')
            task.post_event('VmSuspendedEvent', self)
            return None
        return vm_task(ctx, self, 'SuspendVM_Task', work)

    def ResetVM_Task(self, ctx):

        def work(task):
            if self.power_state != 'poweredOn':
                raise invalid_power_state('poweredOn', self.power_state)
            task.post_event('VmResettingEvent', self)
            self.reboot_guest()
            return None
        return vm_task(ctx, self, 'ResetVM_Task', work)

    def TerminateVM(self, ctx):
        """The VM's process is killed: powered off at once, no guest shutdown."""
        if self.power_state != 'poweredOn':
            raise invalid_state()
        check_idle(self)
        self.set_power_state('poweredOff')
        event_manager(self.server).post('VmPoweredOffEvent', self, ctx=ctx)

    def _guest_operation(self, ctx, event, then):
        if self.power_state != 'poweredOn':
            raise invalid_power_state('poweredOn', self.power_state)
        if not self.tools_running:
            raise tools_unavailable()
        check_idle(self)
        event_manager(self.server).post(event, self, ctx=ctx)

        def later():
            if self.server.objects.get(self.ref) is self and self.power_state == 'poweredOn':
                then()
        self.server.time.callLater(GUEST_OPERATION_SECONDS, later)
        return None

    def ShutdownGuest(self, ctx):
        def off():
            self.set_power_state('poweredOff')
            event_manager(self.server).post('VmPoweredOffEvent', self)
        return self._guest_operation(ctx, 'VmGuestShutdownEvent', off)

    def RebootGuest(self, ctx):
        def reboot():
            self.boot_time = clock.now()
            self.report_changed('runtime', 'summary', 'guest')
        return self._guest_operation(ctx, 'VmGuestRebootEvent', reboot)

    def StandbyGuest(self, ctx):
        def standby():
            self.set_power_state('suspended')
            event_manager(self.server).post('VmSuspendedEvent', self)
        return self._guest_operation(ctx, 'VmGuestStandbyEvent', standby)

    # -- console and input (console.py) ------------------------------------------------
    def AcquireTicket(self, ctx, ticketType):
        return console.acquire_ticket(ctx, self, ticketType)

    def AcquireMksTicket(self, ctx):
        return console.acquire_mks_ticket(ctx, self)

    def QueryConnections(self, ctx):
        return console.query_connections(self)

    def DropConnections(self, ctx, listOfConnections=()):
        return console.drop_connections(self, listOfConnections or ())

    def CreateScreenshot_Task(self, ctx):
        return console.create_screenshot_task(ctx, self)

    def PutUsbScanCodes(self, ctx, spec):
        return console.put_usb_scan_codes(self, spec)

    def SetScreenResolution(self, ctx, width, height):
        console.set_screen_resolution(self, width, height)

    def SetDisplayTopology(self, ctx, displays):
        console.set_display_topology(self, displays)

    def SendNMI(self, ctx):
        console.send_nmi(ctx, self)

    # -- VMware Tools (guest_tools.py) ------------------------------------------------------
    def MountToolsInstaller(self, ctx):
        guest_tools.mount_installer(self)

    def UnmountToolsInstaller(self, ctx):
        guest_tools.unmount_installer(self)

    def UpgradeTools_Task(self, ctx, installerOptions=None):
        return guest_tools.upgrade_task(ctx, self)

    def ResetGuestInformation(self, ctx):
        guest_tools.reset_guest_information(self)

    # -- reconfigure --------------------------------------------------------------------
    def ReconfigVM_Task(self, ctx, spec):
        def work(task):
            fault_tolerance.check_reconfigure(self, spec)
            self._check_template_reconfigurable(spec)
            old_name = self.name
            self.apply_config_spec(ctx, spec)
            if spec.name is not None and spec.name != old_name:
                task.post_event('VmRenamedEvent', self, oldName=old_name, newName=self.name)
            task.post_event('VmReconfiguredEvent', self, configSpec=spec)
            return None
        return vm_task(ctx, self, 'ReconfigVM_Task', work)

    def crypto_keys(self):
        """The keys encrypting the VM (vm_encryption)."""
        return keys_of(self)

    def CryptoUnlock_Task(self, ctx):
        return unlock_task(ctx, self)

    def _check_template_reconfigurable(self, spec):
        """A template takes a new name or annotation, nothing else."""
        if self.template and {name for name, _ in given_fields(spec)} - \
                TEMPLATE_RECONFIGURABLE:
            raise fault('NotSupported', 'The operation is not supported on the object.')

    def config_problems(self, ctx, spec, host=None):
        """ReconfigVM_Task's refusal of `spec` ([] or its first fault; the
        spec is checked on copies, so nothing changes), the VM on `host`
        (default: its own): CheckVmConfig_Task's."""
        try:
            self._check_template_reconfigurable(spec)
            plan = _ConfigPlan(self, ctx, spec, False, host=host)
            plan.validate()
            check_reservation_change(self, plan.reservations())
        except self.T.MethodFault as problem:
            return [problem]
        return []

    # -- first-class disks (storage/vstorage_object.py) ------------------------------------
    def AttachDisk_Task(self, ctx, diskId, datastore, controllerKey=None, unitNumber=None):
        """The disk becomes a VirtualDisk device of the VM (its `vDiskId` the
        disk's id), added as ReconfigVM_Task adds an existing disk."""
        from vimsim.managed.storage import vstorage_object    # first-class disks' calls only
        ds = vstorage_object.datastore_of(ctx.server, datastore)

        def work(task):
            disk = vstorage_object.find(ds, diskId)
            if disk.consumer() is not None:
                raise vstorage_object.in_use(disk)
            # the VM's snapshot deltas over this disk are numbered past the disk's own
            numbers = [int(found.group(1)) for found in map(_DELTA_NUMBER.search, disk.chain())
                       if found]
            self.delta_counter = max([getattr(self, 'delta_counter', 0)] + numbers)
            T = self.T
            device = T.VirtualDisk(key=-1, controllerKey=controllerKey, unitNumber=unitNumber,
                                   capacityInKB=disk.capacity // KB, vDiskId=T.ID(id=disk.id),
                                   backing=_first_class_backing(T, disk))
            spec = T.VirtualMachineConfigSpec(deviceChange=[
                T.VirtualDeviceConfigSpec(operation='add', device=device)])
            self.apply_config_spec(ctx, spec)
            task.post_event('VmReconfiguredEvent', self, configSpec=spec)
            return None
        return vm_task(ctx, self, 'AttachDisk_Task', work)

    def DetachDisk_Task(self, ctx, diskId):
        """The disk's device leaves the VM; its files stay, the disk's own."""
        from vimsim.managed.storage import vstorage_object    # first-class disks' calls only

        def work(task):
            T = self.T
            device = next((d for d in self.disks()
                           if getattr(d.vDiskId, 'id', None) == diskId.id), None)
            if device is None:
                raise vstorage_object.not_found(diskId.id)
            spec = T.VirtualMachineConfigSpec(deviceChange=[
                T.VirtualDeviceConfigSpec(operation='remove', device=device)])
            self.apply_config_spec(ctx, spec)
            task.post_event('VmReconfiguredEvent', self, configSpec=spec)
            return None
        return vm_task(ctx, self, 'DetachDisk_Task', work)

    # -- virtual hardware upgrade ---------------------------------------------------------
    def UpgradeVM_Task(self, ctx, version=None):
        """vCenter's upgrade of the virtual hardware: the VM powered off and
        not a template, its host out of maintenance mode; `version` (default:
        the newest the host runs) one the host runs (NotSupported) and newer
        than the VM's (AlreadyUpgraded); a malformed one is InvalidArgument.
        VmUpgradingEvent, then VmUpgradeCompleteEvent."""
        if version is not None and not hw_number(version):
            raise _invalid_argument('version')

        def work(task):
            if self.power_state != 'poweredOff':
                raise invalid_power_state('poweredOff', self.power_state)
            if self.template or getattr(self.host, 'maintenance', False):
                raise invalid_state()
            runs = host_hw_versions(self.host)
            target = version or runs[-1]
            target = 'vmx-%02d' % hw_number(target)
            if target not in runs:
                raise fault('NotSupported', 'The operation is not supported on the object.')
            if hw_number(target) <= hw_number(self.hw_version):
                raise fault('AlreadyUpgraded', 'The virtual machine compatibility is already '
                            'up-to-date.')
            task.post_event('VmUpgradingEvent', self, version=target)
            self.hw_version = target
            self.change_stamp = clock.now()
            self.report_changed('config', 'summary', 'guest')
            task.post_event('VmUpgradeCompleteEvent', self, version=target)
            return None
        return vm_task(ctx, self, 'UpgradeVM_Task', work)

    # -- per-VM EVC ----------------------------------------------------------------------------
    def ApplyEvcModeVM_Task(self, ctx, mask=(), completeMasks=None):
        """The VM's own CPUID feature masks (none: it follows its cluster's
        mode again), for a powered-off VM; a feature masked twice is
        InvalidArgument. The masks are kept and reported in
        runtime.featureMask; the simulated CPUs apply no CPUID masks, so
        `completeMasks` (whether unnamed features show) changes nothing seen."""
        keys = [getattr(one, 'key', None) for one in mask]
        for index, key in enumerate(keys):
            if not key or key in keys[:index]:
                raise _invalid_argument('mask[%d].key' % index)

        def work(task):
            if self.power_state != 'poweredOff':
                raise invalid_power_state('poweredOff', self.power_state)
            self.evc_masks = tuple(copy.deepcopy(list(mask)))
            self.change_stamp = clock.now()
            self.report_changed('runtime', 'summary', 'config')
            return None
        return vm_task(ctx, self, 'ApplyEvcModeVM_Task', work)

    # -- removal ----------------------------------------------------------------------------
    def _check_removable(self):
        if self.power_state == 'poweredOn':
            raise invalid_power_state('poweredOff', 'poweredOn')

    def remove_from_inventory(self, keep_files, successor=None):
        """Take the VM out of the inventory: folder, pool, host, datastores,
        networks, snapshots; `keep_files`: its files stay on the datastores.
        `successor`, a VM out of the inventory, takes this one's place
        (reloadVirtualMachineFromPath_Task): its moid, registry entry and
        slots in its folder, pool and host, so that watchers see the same
        object change, as vCenter reports a reload, not one leave and another
        enter."""
        datastores = self.datastore_objects()
        for ds in datastores:
            loose = ds.__dict__.setdefault('loose_files', {})
            prefix = '[%s] ' % ds.name
            for name, _, size in self.files():
                if not keep_files:   # a registered-again VM's files left loose before
                    loose.pop(name, None)
                elif name.startswith(prefix) and not name.endswith('.vswp') \
                        and not name.endswith('.lck'):
                    loose[name] = size
        folder = self.parent_object()
        if successor is None and folder is not None and hasattr(folder, 'remove_child'):
            folder.remove_child(self)
            folder.changed('childEntity')
        self.report_changed()
        pool, host = self.pool, self.host
        if pool is not None and _hand_over(pool.vms, self, successor):
            pool.changed('vm')
        if _hand_over(host.vms, self, successor):
            host.changed('vm')
        if successor is not None:     # the host's autostart entry is the moid's
            host.managers['autoStartManager'].plan.hand_over(self, successor)
        for ds in datastores + [d for d in host.datastores if self in d.vms]:
            if self in ds.vms:
                ds.vms.remove(self)
                ds.changed('vm', 'summary', 'info')
        for network in set(self.network_objects()) | set(self._linked_networks()):
            if self in network.vms:
                network.vms.remove(self)
                network.changed('vm')
        if self.snapshot_tree is not None:
            self.snapshot_tree.destroy_all()
        if successor is None:
            self.destroy()
        else:
            self.server.objects.replace(self, successor)
        sync_files(self, gone=not keep_files)
        if not keep_files:
            self.datastore_object.release_home(self.dir_name)
        for ds in datastores:      # kept files now count as the datastore's own
            touched(ds)
        if successor is not None:
            successor.parent, successor.parentVApp = self.parent, self.parentVApp
            successor.pool, successor.host = pool, host
            successor.join_datastores_and_networks()
            successor.report_changed()

    def join_datastores_and_networks(self):
        """List the VM with the datastores its files are on and the networks
        its NICs are on (a VM entering the inventory)."""
        for ds in self.datastore_objects():
            if self not in ds.vms:
                ds.vms.append(self)
            ds.changed('vm', 'summary', 'info')
        for network in self.network_objects():
            if network is not None and self not in network.vms:
                network.vms.append(self)
                network.changed('vm')

    def Destroy_Task(self, ctx):
        def work(task):
            self._check_removable()
            task.post_event('VmRemovedEvent', self)
            fault_tolerance.removed_with(self)
            self.remove_from_inventory(keep_files=False)
            return None
        return vm_task(ctx, self, 'Destroy_Task', work)

    def UnregisterVM(self, ctx):
        self._check_removable()
        check_idle(self)
        event_manager(self.server).post('VmRemovedEvent', self, ctx=ctx)
        fault_tolerance.removed_with(self)
        self.remove_from_inventory(keep_files=True)
        # its .vmx stays, and RegisterVM_Task brings the VM back from it
        unregistered(self.server)[self.file_path('.vmx')] = self
        return None

    def reloadVirtualMachineFromPath_Task(self, ctx, configurationPath):
        """The VM takes the configuration at `configurationPath` (the .vmx of
        a VM taken out of the inventory with its files: its hardware, files,
        snapshots and guest settings), as unregistering this VM and
        registering that one would, yet stays the same inventory object (its
        moid, name, its slots in its folder, pool and host, events,
        permissions, custom values and recent tasks): watchers see its
        properties modified. Its own files stay at its path, unregistered. Powered off
        only (InvalidPowerState); a path that names no .vmx FileNotFound."""
        fault_tolerance.refuse_on_primary(self)
        if parse_datastore_path(self.server, configurationPath) is None:
            raise fault('InvalidDatastorePath', "Invalid datastore path '%s'." % configurationPath,
                        datastorePath=configurationPath)

        def work(task):
            if self.power_state != 'poweredOff':
                raise invalid_power_state('poweredOff', self.power_state)
            store = unregistered(self.server)
            saved = store.get(configurationPath)
            if saved is None:
                raise FileNotFound(configurationPath)
            saved._check_access(self.host, saved.datastore_object)
            own_path = self.file_path('.vmx')
            for vm in (self, saved):      # the identities the files hold move with them
                vm.uuid_override, vm.instance_uuid_override = vm.uuid, vm.instance_uuid
            del store[configurationPath]
            # what the inventory object has, not its files: name, values, tasks
            saved.name, saved._custom_values, saved.template = self.name, self._custom_values, False
            saved.recentTask, saved._active_task = self.recentTask, self._active_task
            task.entity_object = saved
            self._custom_values = self._active_task = None
            self.__dict__.pop('recentTask', None)
            self.remove_from_inventory(keep_files=True, successor=saved)
            store[own_path] = self
            task.post_event('VmReloadFromPathEvent', saved, configPath=configurationPath)
            return None
        return vm_task(ctx, self, 'reloadVirtualMachineFromPath_Task', work)

    # -- templates ----------------------------------------------------------------------------
    def MarkAsTemplate(self, ctx):
        fault_tolerance.refuse_on_primary(self)
        if self.template:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        if self.power_state != 'poweredOff':
            raise invalid_power_state('poweredOff', self.power_state)
        check_idle(self)
        self.become_template()
        return None

    def become_template(self):
        """The VM is a template from now on, and so in no resource pool
        (vCenter's templates read `resourcePool` unset)."""
        self.template = True
        pool, self.pool = self.pool, None
        if pool is not None:
            if self in pool.vms:
                pool.vms.remove(self)
            pool.changed('vm', 'summary', 'runtime')
        self.changed('config', 'summary', 'resourcePool', 'resourceConfig')

    def MarkAsVirtualMachine(self, ctx, pool, host=None):
        if not self.template:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        pool_object = self.server.objects.resolve(pool)
        if getattr(pool_object, 'type_name', None) not in ('ResourcePool', 'VirtualApp'):
            raise _invalid_argument('pool')
        owner = pool_object.owner_object
        host_object = self.server.objects.resolve(host) if host is not None else None
        if host_object is not None:
            if host_object not in owner.hosts:
                raise _invalid_argument('host')
        elif self.host not in owner.hosts:
            if len(owner.hosts) != 1 and owner.type_name != 'ClusterComputeResource':
                raise _invalid_argument('host')
            host_object = owner.hosts[0] if owner.hosts else None
            if host_object is None:
                raise _invalid_argument('host')
        if host_object is not None and host_object is not self.host:
            self.host.vms.remove(self)
            self.host.changed('vm', 'summary')
            self.host = host_object
            host_object.vms.append(self)
            host_object.changed('vm')
        self.template = False
        self.pool = pool_object
        pool_object.vms.append(self)
        pool_object.changed('vm', 'summary', 'runtime')
        self.changed('config', 'summary', 'resourcePool', 'resourceConfig', 'runtime')
        return None

    # -- guest identity after customization ------------------------------------------------
    def read(self, name, ctx):
        value = super().read(name, ctx)
        if self.customization is not None and name in ('guest', 'summary') and value is not None:
            self._customize_view(name, value)
        return value

    def _customize_view(self, name, value):
        if self.power_state != 'poweredOn' or not getattr(self, 'tools_running', True):
            return
        custom = self.customization
        guest = value.guest if name == 'summary' else value
        if guest is None:
            return
        ip = next((address for address in custom['ips'] if address), None)
        if custom['hostName']:
            guest.hostName = custom['hostName']
        if ip is not None:
            guest.ipAddress = ip
        if name == 'guest':
            for index, nic in enumerate(guest.net or ()):
                address = custom['ips'][index] if index < len(custom['ips']) else None
                if address:
                    nic.ipAddress = [address]
                    if nic.ipConfig is not None:
                        for entry in nic.ipConfig.ipAddress or ():
                            entry.ipAddress = address
                            entry.prefixLength = custom['prefixes'][index] or \
                                entry.prefixLength
            for stack in guest.ipStack or ():
                dns = stack.dnsConfig
                if dns is not None:
                    if custom['hostName']:
                        dns.hostName = custom['hostName']
                    if custom['domain']:
                        dns.domainName = custom['domain']
                    if custom['dnsServers']:
                        dns.ipAddress = list(custom['dnsServers'])
                    if custom['dnsSuffixes']:
                        dns.searchDomain = list(custom['dnsSuffixes'])
                routes = stack.ipRouteConfig.ipRoute if stack.ipRouteConfig else ()
                for route in routes or ():
                    if route.network == '0.0.0.0' and route.gateway is not None \
                            and custom['gateways']:
                        route.gateway.ipAddress = custom['gateways'][0]

    def _custom_path_readers(self):
        """Per-VM fast-path readers that answer with the customized identity."""
        base = type(self).path_readers
        readers = dict(base)

        def host_name(vm):
            on = vm.power_state == 'poweredOn'
            return vm.customization['hostName'] if on else None

        def ip_address(vm):
            if vm.power_state != 'poweredOn':
                return None
            return next((a for a in vm.customization['ips'] if a), None) or \
                base['guest.ipAddress'](vm)
        for prefix in ('guest.', 'summary.guest.'):
            if prefix + 'hostName' in readers:
                readers[prefix + 'hostName'] = host_name
            if prefix + 'ipAddress' in readers:
                readers[prefix + 'ipAddress'] = ip_address
        return readers

    # -- CustomizeVM_Task ---------------------------------------------------------------------
    def CustomizeVM_Task(self, ctx, spec):

        def work(task):
            if self.power_state != 'poweredOff':
                raise invalid_power_state('poweredOff', self.power_state)
            if self.customization_pending:
                raise fault('CustomizationPending', 'A customization of the virtual machine is '
                            'already pending; it runs at the next power-on.')
            self.apply_customization(spec)
            return None
        return vm_task(ctx, self, 'CustomizeVM_Task', work)

    def start_guest_network(self):
        """The guest's network service (re)starts: addresses a running guest's
        customization staged (CustomizeGuest_Task) take effect."""
        staged = self.customization.pop('staged_ips', None) if self.customization else None
        if staged is not None:
            self.customization['ips'] = staged
            self.path_readers = self._custom_path_readers()
            self.changed('guest', 'summary')

    def CheckCustomizationSpec(self, ctx, spec):
        """CustomizeVM_Task's own check of `spec` against this VM."""
        check_customization(self, spec)

    def apply_customization(self, spec):
        """Validate a CustomizationSpec against this VM (vCenter's
        CustomizationFault subtypes) and record the identity it gives."""
        custom = check_customization(self, spec)
        self.customization = custom
        self.customization_pending = True
        self.path_readers = self._custom_path_readers()
        self.changed('guest', 'summary')

    # -- CloneVM_Task -------------------------------------------------------------------------
    def CloneVM_Task(self, ctx, folder, name, spec):
        from vimsim.managed.vm.clone_rules import clone_placement, clone_problems
        check_unlocked(self)
        server = self.server
        folder_object = resolve_argument(ctx, folder, 'Folder', 'folder')
        if 'VirtualMachine' not in folder_object.childType:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        location = spec.location
        pool = resolve_argument(ctx, location.pool, 'ResourcePool', 'spec.location.pool') \
            if location is not None and location.pool is not None else None
        host = resolve_argument(ctx, location.host, 'HostSystem', 'spec.location.host') \
            if location is not None and location.host is not None else None
        datastore = resolve_argument(ctx, location.datastore, 'Datastore',
                                     'spec.location.datastore') \
            if location is not None and location.datastore is not None else None
        if self.template and pool is None and not spec.template:
            raise _invalid_argument('spec.location.pool')
        linked = location is not None and \
            location.diskMoveType in ('createNewChildDiskBacking',)
        snapshot = None
        if spec.snapshot is not None:
            snapshot = server.objects.resolve(spec.snapshot)
            if not is_a(server, snapshot, 'VirtualMachineSnapshot') or \
                    getattr(snapshot, 'vm', self.ref) != self.ref:
                raise _invalid_argument('spec.snapshot')
        if linked and snapshot is None:
            raise _invalid_argument('spec.snapshot')
        if linked:
            fault_tolerance.refuse_on_primary(self)   # no linked clone of an FT VM

        def work(task):
            # a template goes in no pool: for a clone to a template the pool is ignored
            target_pool, target, target_ds = clone_placement(self, pool, host, datastore,
                                                             spec.template)
            problems = clone_problems(self, folder_object, name, target_pool, target, target_ds,
                                      spec.powerOn and not spec.template)
            if problems:
                raise problems[0]
            return self.clone_to(ctx, task, folder_object, check_name(name), target_pool,
                                 target, target_ds, spec, snapshot, linked)
        return vm_task(ctx, self, 'CloneVM_Task', work)

    def InstantClone_Task(self, ctx, spec):
        from vimsim.managed.vm import instant_clone
        fault_tolerance.refuse_on_primary(self)
        return instant_clone.instant_clone_task(ctx, self, spec)

    def clone_to(self, ctx, task, folder, name, pool, host, datastore, spec,
                 snapshot=None, linked=False):
        """CloneVM_Task's work once the clone is placed (and each VM's of
        CloneVApp_Task, with an empty `spec`): the copy named `name` in
        `folder` and `pool` (a vApp takes it in) on `host` and `datastore`,
        with `spec`'s changes applied, and vCenter's events."""
        server = self.server
        self._check_access(host, datastore)
        if self.template:
            task.post_event('VmBeingDeployedEvent', self, srcTemplate=event_argument(
                server, 'VmEventArgument', 'vm', self))
        else:
            task.post_event('VmBeingClonedEvent', self, destName=name,
                            destFolder=event_argument(server, 'FolderEventArgument',
                                                      'folder', folder),
                            destHost=event_argument(server, 'HostEventArgument', 'host',
                                                    host))
        clone = self.copy_to(ctx, folder, name, pool, host, datastore, snapshot, linked)
        location = spec.location
        try:
            if location is not None and location.cryptoSpec is not None:
                # the clone's home recrypted (or decrypted) as it is made
                clone.apply_config_spec(ctx, self.T.VirtualMachineConfigSpec(
                    crypto=location.cryptoSpec))
            if location is not None and location.deviceChange:
                # the clone's devices as placed (a NIC on another network, a disk's mode)
                clone.apply_config_spec(ctx, self.T.VirtualMachineConfigSpec(
                    deviceChange=location.deviceChange))
            if spec.config is not None:
                clone.apply_config_spec(ctx, spec.config)
            if spec.customization is not None:
                clone.apply_customization(spec.customization)
        except Exception:
            detach_vm(clone)
            raise
        if spec.template:
            clone.become_template()
        post_identity_events(task, clone)
        if self.template:
            task.post_event('VmDeployedEvent', clone, srcTemplate=event_argument(
                server, 'VmEventArgument', 'vm', self))
        else:
            task.post_event('VmClonedEvent', clone, sourceVm=event_argument(
                server, 'VmEventArgument', 'vm', self), ds=event_argument(
                server, 'DatastoreEventArgument', 'datastore', clone.datastore_object))
        if spec.powerOn and not clone.template:
            clone.power_state = 'poweredOn'
            clone.boot_time = clock.now()
            task.post_event('VmStartingEvent', clone)
            task.post_event('VmPoweredOnEvent', clone)
            clone.report_changed('runtime', 'summary', 'guest', 'config', 'layoutEx',
                                 'layout', 'storage', 'guestHeartbeatStatus')
        return clone

    def _check_access(self, host, datastore, rebacked=()):
        """The fault vCenter gives when `host` cannot run this VM from
        `datastore`: the datastore not mounted there, or a connected NIC's
        network absent (but for the NICs in `rebacked`, whose new backing the
        request's deviceChange checks): vm/admission.py's rules."""
        problems = datastore_problems(host, [datastore]) + \
            network_problems(self, host, rebacked)
        if problems:
            raise problems[0]

    def copy_to(self, ctx, folder, name, pool, host, datastore, snapshot, linked):
        """A new VM like this one (its `snapshot`'s state when given) named
        `name` in `folder`, `pool`, on `host` and `datastore`; its disks
        `linked` as delta disks over this VM's (the snapshot's, when given)
        or copies."""
        datastore.refuse_new_files()
        server = self.server
        clone = VirtualMachine(server, server.new_vm_moid(), name, folder, pool, host,
                               datastore, self.network_object, next_sequence(server),
                               num_cpu=self.num_cpu, memory_mb=self.memory_mb,
                               disk_kb=self.disk_kb, guest_id=self.guest_id)
        clone.dir_name, _, namespace = vm_home(clone, datastore, '')
        if namespace is not None:     # vCenter makes the clone's vSAN namespace object
            datastore.add_namespace(*namespace)
        adopt_into_vapp(pool, clone)
        for attr in ('annotation', 'cores_per_socket', 'cpu_allocation', 'memory_allocation',
                     'cpu_hot_add', 'cpu_hot_remove', 'memory_hot_add', 'tools_installed',
                     'hw_version'):
            if attr in self.__dict__:
                setattr(clone, attr, copy.deepcopy(self.__dict__[attr]))
        if self.__dict__.get('extra_config') is not None:
            clone.extra_config = dict(self.extra_config)
        if self.settings:   # the same settings; its own files' directories
            clone.settings = {path: copy.deepcopy(value) for path, value in self.settings.items()
                              if not path.startswith('files.')} or None
        if self.guest_overrides:   # the same guest OS and tools; not its identity
            clone.guest_overrides = {path: value for path, value in self.guest_overrides.items()
                                     if 'tools' in path} or None
        if self.customization is not None:
            clone.customization = dict(self.customization)
            clone.path_readers = clone._custom_path_readers()
        source_devices = self._source_devices(snapshot)
        copied = source_devices if source_devices is not None else list(self.devices())
        if source_devices is not None or linked:
            clone._devices = self._cloned_devices(clone, copied, datastore, linked)
            if linked:
                clone.linked_parent = (self, snapshot)
                self.linked_clones = self.linked_clones + (clone,)
            clone.devices_changed()
        if not linked:       # a full clone's disks hold what its source's did
            copy_disk_data(clone, {device.key: disk_extents(self, device.backing)
                                   for device in copied if isinstance(device, self.T.VirtualDisk)})
        encrypt_copy(ctx, self, clone)
        folder.changed('childEntity')
        host.changed('vm', 'summary')
        if pool is not None:
            pool.changed('vm', 'summary')
        datastore.changed('vm', 'summary', 'info')
        return clone

    def _source_devices(self, snapshot):
        """The devices a clone copies: the snapshot's, else the VM's own list
        (None while the VM still has the computed default devices)."""
        if snapshot is not None:
            config = snapshot.read('config', None) if hasattr(snapshot, 'read') else None
            if config is not None and config.hardware is not None:
                return list(config.hardware.device)
        if getattr(self, '_devices', None) is not None:
            return list(self._devices)
        return None

    def _cloned_devices(self, clone, devices, datastore, linked):
        T = self.T
        out = []
        nic_index = 0
        disk_index = 0
        for device in devices:
            device = copy.deepcopy(device)
            if isinstance(device, T.VirtualDisk):
                backing = device.backing
                suffix = '.vmdk' if disk_index == 0 else '_%d.vmdk' % disk_index
                new_file = clone.file_path(suffix)
                if linked:
                    parent = copy.deepcopy(backing)
                    child = copy.deepcopy(backing)
                    child.parent = parent
                    child.fileName = clone.file_path('-000001.vmdk' if disk_index == 0
                                                     else '_%d-000001.vmdk' % disk_index)
                    child.datastore = datastore.ref
                    if hasattr(child, 'deltaDiskFormat'):
                        child.deltaDiskFormat = 'redoLogFormat'
                    if hasattr(child, 'uuid'):
                        child.uuid = clone._uuid('6000C29%d' % disk_index)
                    device.backing = child
                elif backing is not None and hasattr(backing, 'fileName'):
                    backing.fileName = new_file
                    backing.datastore = datastore.ref
                    if hasattr(backing, 'parent'):      # a full clone's disk is whole
                        backing.parent = None
                    if getattr(backing, 'deltaDiskFormat', None):
                        backing.deltaDiskFormat = None
                    if hasattr(backing, 'uuid'):
                        backing.uuid = clone._uuid('6000C29%d' % disk_index)
                if hasattr(device, 'diskObjectId'):
                    device.diskObjectId = '%s-%s' % (clone.sequence, device.key)
                disk_index += 1
            elif isinstance(device, T.VirtualEthernetCard):
                device.macAddress = vm_mac(clone.sequence + nic_index * 0x100000) \
                    if nic_index else clone.mac
                device.addressType = 'assigned'
                backing = device.backing
                if isinstance(backing, T.VirtualEthernetCardDistributedVirtualPortBackingInfo) \
                        and backing.port is not None:
                    backing.port.portKey = None   # the clone's own port, given at its sync
                nic_index += 1
            elif isinstance(device, T.VirtualMachineVMCIDevice):
                device.id = int(clone.uuid.replace('-', '')[-8:], 16) & 0x7fffffff
            out.append(device)
        return out

    # -- RelocateVM_Task / MigrateVM_Task ---------------------------------------------------
    def RelocateVM_Task(self, ctx, spec, priority=None):
        server = self.server
        pool = resolve_argument(ctx, spec.pool, 'ResourcePool', 'spec.pool') \
            if spec.pool is not None else None
        host = resolve_argument(ctx, spec.host, 'HostSystem', 'spec.host') \
            if spec.host is not None else None
        datastore = resolve_argument(ctx, spec.datastore, 'Datastore', 'spec.datastore') \
            if spec.datastore is not None else None
        folder = resolve_argument(ctx, spec.folder, 'Folder', 'spec.folder') \
            if spec.folder is not None else None

        def work(task):
            target_ds = datastore or self.datastore_object
            if target_ds is not self.datastore_object:
                target_ds.refuse_new_files()
            bound = pool or self.pool      # its compute resource holds the target host
            target = host
            if target is None:
                if pool is not None and self.host not in pool.owner_object.hosts:
                    target = pick_host(pool.owner_object, target_ds)
                    if target is None:
                        raise _invalid_argument('spec.host')
                elif self.template and host_usable(self.host) is not None:
                    # vCenter moves a template off an inactive host to a suitable one
                    target = pick_host(self.host.compute_resource, target_ds)
                    if target is None:
                        raise host_usable(self.host)
                else:
                    target = self.host
            elif bound is not None and target not in bound.owner_object.hosts:
                if pool is not None:
                    raise _invalid_argument('spec.pool')
                bound = target.compute_resource.pool
            target_pool = None if self.template else bound
            check_migration(self, target, target_pool, [target_ds], rebacked={
                c.device.key for c in spec.deviceChange if c.device is not None})
            devices = self.T.VirtualMachineConfigSpec(deviceChange=spec.deviceChange)
            if spec.deviceChange:
                # checked against the destination before anything moves
                _ConfigPlan(self, ctx, devices, False, host=target).validate()
            recrypt = self.T.VirtualMachineConfigSpec(crypto=spec.cryptoSpec)
            if spec.cryptoSpec is not None:
                # the home's encryption as it moves, by ReconfigVM_Task's rules
                for problem in self.config_problems(ctx, recrypt, target)[:1]:
                    raise problem
            disk_homes = self._disk_locators(ctx, spec.disk, target)
            fault_tolerance.check_migration(self, target, target_pool, target_ds is not
                                            self.datastore_object or any(
                                                ds.ref != disk.backing.datastore
                                                for disk, ds in disk_homes))
            if folder is not None:
                if 'VirtualMachine' not in folder.childType or getattr(
                        target_pool, 'type_name', '') == 'VirtualApp':
                    raise fault('NotSupported', 'The operation is not supported on the object.')
                check_unique(folder, self.name, exclude=self)
            hot = self.power_state == 'poweredOn' and target is not self.host
            self._move_with_events(task, target_pool, target, target_ds, folder, hot,
                                   'VmBeingRelocatedEvent', 'VmRelocatedEvent')
            for disk, home in disk_homes:
                self._rehome_disk(disk, self.server.objects.get(disk.backing.datastore), home)
            if disk_homes:
                self.devices_changed()
            if spec.deviceChange:
                self.apply_config_spec(ctx, devices)
            if spec.cryptoSpec is not None:
                self.apply_config_spec(ctx, recrypt)
            return None
        for name in ('service', 'profile'):
            if getattr(spec, name, None):
                raise fault('NotSupported', 'The operation is not supported on the object: '
                            'spec.%s.' % name)
        if spec.diskMoveType == 'createNewChildDiskBacking':
            raise _invalid_argument('spec.diskMoveType')     # a clone's choice only
        if (spec.diskMoveType or '').startswith('moveAll') and spec.datastore is not None \
                and self.linked_parent is not None:
            # copying a linked clone's shared parents is not simulated: say so
            raise fault('NotSupported', 'The operation is not supported on the object: '
                        'spec.diskMoveType.')
        return vm_task(ctx, self, 'RelocateVM_Task', work)

    def _disk_locators(self, ctx, locators, host):
        """RelocateSpec.disk as [(disk, datastore)]: each names one of this
        VM's disks and a datastore `host` mounts (InvalidArgument otherwise)
        that takes new files if the disk moves there."""
        disks = {disk.key: disk for disk in self.disks()}
        out = []
        for index, locator in enumerate(locators or ()):
            disk = disks.get(locator.diskId)
            if disk is None:
                raise _invalid_argument('spec.disk[%d].diskId' % index)
            datastore = resolve_argument(ctx, locator.datastore, 'Datastore',
                                         'spec.disk[%d].datastore' % index)
            if datastore not in host.datastores:
                raise fault('DatastoreNotWritableOnHost', "The datastore '%s' is not accessible "
                            'on the host.' % datastore.name, datastore=datastore.ref,
                            name=datastore.name, host=host.ref)
            if datastore.ref != disk.backing.datastore:
                datastore.refuse_new_files()
            out.append((disk, datastore))
        return out

    def MigrateVM_Task(self, ctx, priority, pool=None, host=None, state=None):
        server = self.server
        if self.template:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        pool_object = resolve_argument(ctx, pool, 'ResourcePool', 'pool') \
            if pool is not None else None
        host_object = resolve_argument(ctx, host, 'HostSystem', 'host') \
            if host is not None else None
        if pool_object is None and host_object is None:
            raise _invalid_argument('host')

        def work(task):
            if state is not None and state != self.power_state:
                raise fault('VmPowerStateMismatch' if 'VmPowerStateMismatch' in
                            server.schema.types else 'InvalidPowerState',
                            'The attempted operation cannot be performed in the current state '
                            '(%s).' % POWER_STATE_LABELS.get(self.power_state, self.power_state),
                            requestedState=state, existingState=self.power_state)
            target_pool = pool_object or self.pool
            target = host_object
            if target is None:
                compute = target_pool.owner_object
                target = self.host if self.host in compute.hosts else \
                    pick_host(compute, self.datastore_object)
                if target is None:
                    raise fault('NoActiveHostInCluster', 'No host in the cluster is available '
                                'to run the virtual machine.', computeResource=compute.ref)
            elif target not in target_pool.owner_object.hosts:
                if pool_object is not None:
                    raise _invalid_argument('pool')
                target_pool = target.compute_resource.pool
            fault_tolerance.check_migration(self, target, target_pool, False)
            check_migration(self, target, target_pool, [self.datastore_object])
            self._move_with_events(task, target_pool, target, self.datastore_object, None,
                                   self.power_state == 'poweredOn',
                                   'VmBeingMigratedEvent', 'VmMigratedEvent')
            return None
        return vm_task(ctx, self, 'MigrateVM_Task', work)

    def _move_with_events(self, task, pool, host, datastore, folder, hot, being, done):
        """Move the VM, posting vCenter's events around it: `being` (or the hot
        migration's pair when the VM runs and changes host) before, `done` after."""
        server = self.server
        source = self._placement()
        dest_args = dict(destHost=event_argument(server, 'HostEventArgument', 'host', host),
                         destDatastore=event_argument(server, 'DatastoreEventArgument',
                                                      'datastore', datastore))
        dc = datacenter_of(server, host)
        if dc is not None:
            dest_args['destDatacenter'] = event_argument(server, 'DatacenterEventArgument',
                                                         'datacenter', dc)
        task.post_event('VmBeingHotMigratedEvent' if hot else being, self, **dest_args)
        if hot:
            task.post_event('VmEmigratingEvent', self)
        self._move(pool, host, datastore, folder)
        # the VM's event arguments name where it is now: its host and datastore
        migrated = getattr(task, 'migrated_event', 'VmMigratedEvent')   # DRS: its own
        task.post_event(migrated if hot else done, self, ds=event_argument(
            server, 'DatastoreEventArgument', 'datastore', datastore), **source)

    def _placement(self):
        """The source* arguments of the migrated / relocated event."""
        server = self.server
        out = dict(sourceHost=event_argument(server, 'HostEventArgument', 'host', self.host),
                   sourceDatastore=event_argument(server, 'DatastoreEventArgument',
                                                  'datastore', self.datastore_object))
        dc = datacenter_of(server, self)
        if dc is not None:
            out['sourceDatacenter'] = event_argument(server, 'DatacenterEventArgument',
                                                     'datacenter', dc)
        return out

    def _move(self, pool, host, datastore, folder):
        """Move the VM: pool, host, home datastore (its files and disks follow)."""
        if pool is not self.pool:
            old = self.pool
            pool.take_vm(self)     # a vApp left or entered changes parent and parentVApp
            old.changed('summary', 'runtime')
            pool.changed('summary', 'runtime')
        if host is not self.host:
            old = self.host
            if self in old.vms:
                old.vms.remove(self)
            old.changed('vm', 'summary', 'licensableResource')
            if old.compute_resource is not None:
                old.compute_resource.changed('summary')
            host.vms.append(self)
            self.host = host
            host.changed('vm', 'summary', 'licensableResource')
            self.changed('runtime', 'summary', 'environmentBrowser')
        if datastore is not self.datastore_object:
            old = self.datastore_object
            self.datastore_object = datastore
            devices = getattr(self, '_devices', None)
            if devices is not None:
                for disk in self.disks():
                    self._rehome_disk(disk, old, datastore)
                self.devices_changed()
            else:
                if self in old.vms:
                    old.vms.remove(self)
                datastore.vms.append(self)
            old.changed('vm', 'summary', 'info')
            datastore.changed('vm', 'summary', 'info')
            self.report_changed('config', 'summary', 'layout', 'layoutEx', 'storage', 'datastore')
        if folder is not None and folder is not self.parent_object():
            current = self.parent_object()
            if current is not None:
                current.remove_child(self)
                current.changed('childEntity')
            folder.add_child(self)
            folder.changed('childEntity')
            self.changed('parent')

    def _rehome_disk(self, disk, old, datastore):
        """Move one disk's files from datastore `old` to `datastore`, in its
        running chain and in its snapshots' (Storage vMotion takes the whole
        chain): the VM's own files move; a linked clone's parents stay where
        they are."""
        if old is datastore or old is None:
            return
        old_prefix, new_prefix = '[%s] ' % old.name, '[%s] ' % datastore.name
        tree = self.snapshot_tree
        frozen = [device for snap in (tree.all() if tree is not None else ())
                  for device in snap.devices()
                  if device.key == disk.key and isinstance(device, self.T.VirtualDisk)]
        for copy in [disk] + frozen:
            chain = backing_chain(copy.backing)
            own = [b for b in chain if (b.fileName or '').startswith(
                home_path(old.name, self.dir_name))] or chain[-1:]
            for b in own:
                if (b.fileName or '').startswith(old_prefix):
                    b.fileName = new_prefix + b.fileName[len(old_prefix):]
                    b.datastore = datastore.ref

    # -- OVF export and changed block tracking ----------------------------------------------
    def ExportVm(self, ctx):
        from vimsim.managed.storage.http_nfc_lease import export_lease
        if self.power_state != 'poweredOff':
            raise invalid_power_state('poweredOff', self.power_state)
        return export_lease(ctx, self, [self])

    def QueryChangedDiskAreas(self, ctx, deviceKey, startOffset, changeId, snapshot=None):
        return change_tracking.query_changed_disk_areas(self, snapshot, deviceKey, startOffset,
                                                        changeId)

    # -- snapshots --------------------------------------------------------------------------
    def CreateSnapshot_Task(self, ctx, name, description=None, memory=False, quiesce=False):
        from vimsim.managed.vm.snapshot import create_snapshot_task
        fault_tolerance.check_snapshot(self, memory)
        return create_snapshot_task(ctx, self, name, description, memory, quiesce)

    def CreateSnapshotEx_Task(self, ctx, name, description=None, memory=False,
                              quiesceSpec=None):
        from vimsim.managed.vm.snapshot import create_snapshot_task
        fault_tolerance.check_snapshot(self, memory)
        return create_snapshot_task(ctx, self, name, description, memory,
                                             quiesceSpec is not None,
                                             method='CreateSnapshotEx_Task')

    def RevertToCurrentSnapshot_Task(self, ctx, host=None, suppressPowerOn=False):
        from vimsim.managed.vm.snapshot import revert_current_task
        return revert_current_task(ctx, self, suppressPowerOn)

    def RemoveAllSnapshots_Task(self, ctx, consolidate=True, spec=None):
        from vimsim.managed.vm.snapshot import remove_all_task
        return remove_all_task(ctx, self, consolidate)

    # -- disk chains and storage (disk_maintenance.py) ------------------------------------
    def ConsolidateVMDisks_Task(self, ctx):
        return disk_maintenance.consolidate_task(ctx, self)

    def RepairVmDiskChains_Task(self, ctx):
        return disk_maintenance.repair_chains_task(ctx, self)

    def EstimateStorageForConsolidateSnapshots_Task(self, ctx):
        return disk_maintenance.consolidation_estimate_task(ctx, self)

    def PromoteDisks_Task(self, ctx, unlink, disks=()):
        return disk_maintenance.promote_task(ctx, self, unlink, disks)

    def DefragmentAllDisks(self, ctx):
        """Extents keep each disk offset at its file offset (datastore_files):
        nothing is fragmented, so nothing moves; the VM must be off."""
        if self.power_state != 'poweredOff':
            raise invalid_power_state('poweredOff', self.power_state)

    def RefreshStorageInfo(self, ctx):
        """Storage use read again from the datastores' files."""
        for ds in self.datastore_objects():
            touched(ds)
        self.report_changed('storage', 'layoutEx', 'summary')

    def QueryUnownedFiles(self, ctx):
        return disk_maintenance.unowned_files(self)

    def ExtractOvfEnvironment(self, ctx):
        from vimsim.managed.vm.ovf_environment import ovf_environment
        return ovf_environment(self)

    # -- fault tolerance (fault_tolerance.py) --------------------------------------------------
    def QueryFaultToleranceCompatibility(self, ctx):
        return [localized(issue) for issue in fault_tolerance.compatibility_issues(self, True)]

    def QueryFaultToleranceCompatibilityEx(self, ctx, forLegacyFt=False):
        return [localized(issue) for issue in
                fault_tolerance.compatibility_issues(self, bool(forLegacyFt))]

    def CreateSecondaryVM_Task(self, ctx, host=None):
        return fault_tolerance.create_secondary_task(ctx, self, 'CreateSecondaryVM_Task', host)

    def CreateSecondaryVMEx_Task(self, ctx, host=None, spec=None):
        return fault_tolerance.create_secondary_task(ctx, self, 'CreateSecondaryVMEx_Task',
                                                     host, spec)

    def TurnOffFaultToleranceForVM_Task(self, ctx):
        return fault_tolerance.turn_off_task(ctx, self)

    def DisableSecondaryVM_Task(self, ctx, vm):
        return fault_tolerance.disable_secondary_task(ctx, self, vm)

    def EnableSecondaryVM_Task(self, ctx, vm, host=None):
        return fault_tolerance.enable_secondary_task(ctx, self, vm, host)

    def MakePrimaryVM_Task(self, ctx, vm):
        return fault_tolerance.make_primary_task(ctx, self, vm)

    def TerminateFaultTolerantVM_Task(self, ctx, vm=None):
        return fault_tolerance.terminate_task(ctx, self, vm)

    # record / replay: gone with legacy FT (vSphere 6.0)
    def StartRecording_Task(self, ctx, name, description=None):
        raise fault_tolerance.record_replay_refused(self)

    def StopRecording_Task(self, ctx):
        raise fault_tolerance.record_replay_refused(self)

    def StartReplaying_Task(self, ctx, replaySnapshot):
        raise fault_tolerance.record_replay_refused(self)

    def StopReplaying_Task(self, ctx):
        raise fault_tolerance.record_replay_refused(self)

    @property
    def capability(self):
        return _shared(self.server)['capability']



# -- direct answers to common nested paths (paths.read_path's fast path) ----------
# Each gives what reading the whole property and walking the path gives, without
# building `config` (a dozen devices), `summary` or `guest` for one scalar.

def _on(vm):
    return vm.power_state == 'poweredOn'


def _when_on(function):
    return lambda vm: function(vm) if vm.power_state == 'poweredOn' else None


def _constant(value):
    return lambda vm: value


_runtime_readers = {
    'powerState': lambda vm: vm.power_state,
    'connectionState': lambda vm: vm.connection_state,
    'host': lambda vm: vm.host.ref,
    'bootTime': _when_on(lambda vm: vm.boot_time),
    'maxCpuUsage': _when_on(lambda vm: vm.num_cpu * 2294),
    'maxMemoryUsage': _when_on(lambda vm: vm.memory_mb),
    'cleanPowerOff': lambda vm: not _on(vm),
}
_guest_readers = {
    'guestId': lambda vm: vm.guest_id,
    'guestFullName': lambda vm: vm.guest_full_name,
    'toolsStatus': lambda vm: vm.tools_status()[0],
    'toolsVersionStatus': lambda vm: vm.tools_status()[1],
    'toolsVersionStatus2': lambda vm: vm.tools_status()[2],
    'toolsRunningStatus': lambda vm: vm.tools_status()[3],
    'hostName': lambda vm: vm.guest_host_name if vm.tools_running else None,
    'ipAddress': lambda vm: vm_ip(vm.sequence) if vm.tools_running else None,
}
_VM_PATH_READERS = {
    'summary.vm': lambda vm: vm.ref,
    'summary.overallStatus': lambda vm: vm.overallStatus,
    'summary.config.name': lambda vm: vm.name,
    'summary.config.template': lambda vm: vm.template,
    'summary.config.vmPathName': lambda vm: vm.file_path('.vmx'),
    'summary.config.memorySizeMB': lambda vm: vm.memory_mb,
    'summary.config.numCpu': lambda vm: vm.num_cpu,
    'summary.config.numEthernetCards': lambda vm: vm.num_ethernet_cards,
    'summary.config.numVirtualDisks': lambda vm: vm.num_virtual_disks,
    'summary.config.uuid': lambda vm: vm.uuid,
    'summary.config.instanceUuid': lambda vm: vm.instance_uuid,
    'summary.config.guestId': lambda vm: vm.guest_id,
    'summary.config.guestFullName': lambda vm: vm.guest_full_name,
    'summary.config.annotation': lambda vm: vm.annotation,
    'summary.config.hwVersion': lambda vm: vm.hw_version,
    'config.name': lambda vm: vm.name,
    'config.uuid': lambda vm: vm.uuid,
    'config.instanceUuid': lambda vm: vm.instance_uuid,
    'config.template': lambda vm: vm.template,
    'config.guestId': lambda vm: vm.guest_id,
    'config.guestFullName': lambda vm: vm.guest_full_name,
    'config.version': lambda vm: vm.hw_version,
    'config.annotation': lambda vm: vm.annotation,
    'config.createDate': lambda vm: vm.created,
    'config.changeVersion': lambda vm: vm.change_version,
    'config.files.vmPathName': lambda vm: vm.file_path('.vmx'),
    'config.hardware.numCPU': lambda vm: vm.num_cpu,
    'config.hardware.numCoresPerSocket': lambda vm: vm.cores_per_socket,
    'config.hardware.memoryMB': lambda vm: vm.memory_mb,
    'guest.guestState': lambda vm: 'running' if vm.tools_running else 'notRunning',
    'guest.toolsVersion': lambda vm: vm.tools_status()[4],
    'guest.guestFamily': lambda vm: GUEST_FAMILY.get(vm.guest_id, 'otherGuestFamily'),
}
for _name, _reader in _runtime_readers.items():
    _VM_PATH_READERS['runtime.' + _name] = _reader
    _VM_PATH_READERS['summary.runtime.' + _name] = _reader
for _name, _reader in _guest_readers.items():
    _VM_PATH_READERS['guest.' + _name] = _reader
    _VM_PATH_READERS['summary.guest.' + _name] = _reader


def _told_or(path, reader):
    """A guest path's reader that answers what SET.<path> told, if it did."""
    def read(vm):
        told = vm.guest_overrides
        if told and path in told:
            return told[path]
        return reader(vm)
    return read


for _path, _reader in list(_VM_PATH_READERS.items()):
    if _path.startswith(('guest.', 'summary.guest.')):
        _VM_PATH_READERS[_path] = _told_or(_path, _reader)
VirtualMachine.path_readers = _VM_PATH_READERS


_shared_objects = {}


def _shared(server):
    """Sub-objects identical in every VM of this model (read-only)."""
    found = _shared_objects.get(id(server.schema))
    if found is not None:
        return found
    T = data_types(server)

    def desc(label, summary):
        return T.Description(label=label, summary=summary)

    normal = T.SharesInfo(shares=1000, level='normal')
    found = {
        'pci': T.VirtualPCIController(key=100, deviceInfo=desc('PCI controller 0',
                                                                'PCI controller 0'),
                                      busNumber=0, device=[500, 12000, 1000, 4000]),
        'ide0': T.VirtualIDEController(key=200, deviceInfo=desc('IDE 0', 'IDE 0'),
                                       busNumber=0, device=[3000]),
        'ide1': T.VirtualIDEController(key=201, deviceInfo=desc('IDE 1', 'IDE 1'),
                                       busNumber=1, device=[]),
        'ps2': T.VirtualPS2Controller(key=300, deviceInfo=desc('PS2 controller 0',
                                                                'PS2 controller 0'),
                                      busNumber=0, device=[600, 700]),
        'sio': T.VirtualSIOController(key=400, deviceInfo=desc('SIO controller 0',
                                                                'SIO controller 0'),
                                      busNumber=0, device=[]),
        'keyboard': T.VirtualKeyboard(key=600, deviceInfo=desc('Keyboard', 'Keyboard'),
                                      controllerKey=300, unitNumber=0),
        'pointing': T.VirtualPointingDevice(
            key=700, deviceInfo=desc('Pointing device', 'Pointing device; Device'),
            backing=T.VirtualPointingDeviceDeviceBackingInfo(
                deviceName='', useAutoDetect=False, hostPointingDevice='autodetect'),
            controllerKey=300, unitNumber=1),
        'video': T.VirtualMachineVideoCard(
            key=500, deviceInfo=desc('Video card ', 'Video card'), controllerKey=100,
            unitNumber=0, videoRamSizeInKB=4096, numDisplays=1, useAutoDetect=False,
            enable3DSupport=False, use3dRenderer='automatic', graphicsMemorySizeInKB=262144),
        'vmci_info': desc('VMCI device', 'Device on the virtual machine PCI bus that provides '
                                         'support for the virtual machine communication '
                                         'interface'),
        'scsi': T.ParaVirtualSCSIController(
            key=1000, deviceInfo=desc('SCSI controller 0', 'VMware paravirtual SCSI'),
            slotInfo=T.VirtualDevicePciBusSlotInfo(pciSlotNumber=160),
            controllerKey=100, unitNumber=3, busNumber=0, device=[2000], hotAddRemove=True,
            sharedBus='noSharing', scsiCtlrUnitNumber=7),
        'cdrom': T.VirtualCdrom(
            key=3000, deviceInfo=desc('CD/DVD drive 1', 'Remote device'),
            backing=T.VirtualCdromRemotePassthroughBackingInfo(deviceName='', useAutoDetect=False,
                                                               exclusive=False),
            connectable=T.VirtualDeviceConnectInfo(startConnected=False, allowGuestControl=True,
                                                   connected=False, status='untried'),
            controllerKey=200, unitNumber=0),
        'disk_shares': normal,
        'disk_io': T.StorageIOAllocationInfo(limit=-1, shares=normal, reservation=0),
        'nic_allocation': T.VirtualEthernetCardResourceAllocation(
            reservation=0, share=T.SharesInfo(shares=50, level='normal'), limit=-1),
        'tools': T.ToolsConfigInfo(
            toolsVersion=TOOLS_VERSION, toolsInstallType='guestToolsTypeOpenVMTools',
            afterPowerOn=True, afterResume=True, beforeGuestStandby=True,
            beforeGuestShutdown=True, beforeGuestReboot=True, toolsUpgradePolicy='manual',
            syncTimeWithHostAllowed=True, syncTimeWithHost=False,
            lastInstallInfo=T.ToolsConfigInfoToolsLastInstallInfo(counter=0)),
        'flags': T.VirtualMachineFlagInfo(
            disableAcceleration=False, enableLogging=True, useToe=False, runWithDebugInfo=False,
            monitorType='release', htSharing='any', snapshotDisabled=False,
            snapshotLocked=False, diskUuidEnabled=False, virtualMmuUsage='automatic',
            virtualExecUsage='hvAuto', snapshotPowerOffBehavior='powerOff',
            recordReplayEnabled=False, faultToleranceType='unset', cbrcCacheEnabled=False,
            vvtdEnabled=False, vbsEnabled=False),
        'console': T.VirtualMachineConsolePreferences(
            powerOnWhenOpened=False, enterFullScreenOnPowerOn=False,
            closeOnPowerOffOrSuspend=False),
        'power_ops': T.VirtualMachineDefaultPowerOpInfo(
            powerOffType='soft', suspendType='hard', resetType='soft',
            defaultPowerOffType='soft', defaultSuspendType='hard', defaultResetType='soft',
            standbyAction='checkpoint'),
        'cpu_allocation': T.ResourceAllocationInfo(
            reservation=0, expandableReservation=False, limit=-1,
            shares=T.SharesInfo(shares=1000, level='normal'), overheadLimit=None),
        'memory_allocation': T.ResourceAllocationInfo(
            reservation=0, expandableReservation=False, limit=-1,
            shares=T.SharesInfo(shares=640, level='normal'), overheadLimit=None),
        'latency': T.LatencySensitivity(level='normal'),
        'boot': T.VirtualMachineBootOptions(bootDelay=0, enterBIOSSetup=False,
                                            efiSecureBootEnabled=False, bootRetryEnabled=False,
                                            bootRetryDelay=10000, networkBootProtocol='ipv4'),
        'upgrade': T.ScheduledHardwareUpgradeInfo(upgradePolicy='never',
                                                  scheduledHardwareUpgradeStatus='none'),
        'integrity': T.VirtualMachineGuestIntegrityInfo(enabled=False),
        'sgx': T.VirtualMachineSgxInfo(epcSize=0, flcMode='unlocked', requireAttestation=False),
        'monitoring': T.VirtualMachineGuestMonitoringModeInfo(),
        'device_groups': T.VirtualMachineVirtualDeviceGroups(),
        'capability': vm_capability(T),
    }
    for value in found.values():   # shared and read-only: written once per encoder
        freeze(value)
    _shared_objects[id(server.schema)] = found
    return found


# -- disk files -------------------------------------------------------------------------

def _disk_file_entries(backing, capacity_kb=None):
    """A disk's descriptor and extent; a thick (not thin, not delta) extent
    takes the disk's whole capacity (`capacity_kb`) on its datastore."""
    name = backing.fileName or ''
    delta = bool(getattr(backing, 'deltaDiskFormat', None))
    return [(name, 'diskDescriptor', DESCRIPTOR_SIZE),
            (extent_name(name, delta), 'diskExtent', _extent_size(backing, capacity_kb))]


def _first_class_backing(T, disk):
    """The backing chain (top returned) a VM's device of first-class disk
    `disk` gets: its base file, then a seSparse delta per snapshot; each
    with the disk's key when it is encrypted."""
    backing = None
    thin = disk.base().descriptor.thin
    key_id = crypto_key_id(T, disk.key) if disk.key else None
    for relative in disk.chain():
        uuid_hex = disk.disk(relative).descriptor.uuid
        backing = T.VirtualDiskFlatVer2BackingInfo(
            fileName='[%s] %s' % (disk.ds.name, relative), datastore=disk.ds.ref,
            diskMode='persistent', thinProvisioned=thin, parent=backing,
            uuid=str(uuid_module.UUID(uuid_hex)) if len(uuid_hex) == 32 else None,
            deltaDiskFormat='seSparseFormat' if backing is not None else None, keyId=key_id)
    return backing


def is_thick(backing):
    """A flat disk backing that allocates its capacity up front."""
    return (getattr(backing, 'thinProvisioned', None) is False
            and not getattr(backing, 'deltaDiskFormat', None)
            and getattr(backing, 'parent', None) is None
            and type(backing).__name__ == 'VirtualDiskFlatVer2BackingInfo')


def _extent_size(backing, capacity_kb):
    return (capacity_kb or 0) * KB if capacity_kb and is_thick(backing) else 0


GUEST_OPERATION_SECONDS = 0.05   # how long a guest takes to act on shutdown / reboot / standby


# -- VirtualMachineConfigSpec ------------------------------------------------------------------

TEMPLATE_RECONFIGURABLE = frozenset(('name', 'annotation'))
_SET_PREFIX = 'SET.'
_TELLABLE = {'guest': 'GuestInfo', 'summary.guest': 'VirtualMachineGuestSummary'}


_DATASTORE_PATH = re.compile(r'^\[([^\]]+)\]\s*(.*)$')
_MAC = re.compile(r'^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$')
_KEY_BASE = (('VirtualDisk', 2000), ('VirtualEthernetCard', 4000), ('VirtualCdrom', 3000),
             ('VirtualSCSIController', 1000), ('VirtualFloppy', 8000),
             ('VirtualSATAController', 15000), ('VirtualNVMEController', 31000))
SCSI_UNITS = [u for u in range(16) if u != 7]


def parse_datastore_path(server, path):
    """'[ds] dir/file' -> (Datastore object or None, 'dir/file'); None when the
    text is not a datastore path."""
    match = _DATASTORE_PATH.match(path or '')
    if match is None:
        return None
    name = match.group(1)
    for obj in server.objects.of_type('Datastore'):
        if obj.name == name:
            return obj, match.group(2).strip()
    return None, match.group(2).strip()


def datastore_files(datastore, besides=None):
    """Names of every file on a datastore ('[ds] dir/file'): its VMs' (but
    VM `besides`') and files left behind (unregistered VMs, detached disks)."""
    names = set(getattr(datastore, 'loose_files', {}))
    prefix = '[%s] ' % datastore.name
    for vm in datastore.vms:
        if vm is besides:
            continue
        for name, _, _ in vm.files():
            if name.startswith(prefix):
                names.add(name)
    return names


def _invalid_spec(index, prop=None, message=None):
    return fault('InvalidDeviceSpec', message or "Invalid configuration for device '%d'." % index,
                 deviceIndex=index, property=prop)


def _allocate_mac(server):
    n = getattr(server, 'mac_next', 0x200000)
    server.mac_next = n + 1
    return vm_mac(n)


def _hand_over(members, vm, successor):
    """Take `vm` out of `members`, `successor` in its slot when given; False
    when `vm` was not there."""
    if vm not in members:
        return False
    if successor is None:
        members.remove(vm)
    else:
        members[members.index(vm)] = successor
    return True


class _ConfigPlan:
    """One VirtualMachineConfigSpec checked against a VM: validate() builds
    the new state on copies (faulting as vCenter does), commit() installs it."""

    def __init__(self, vm, ctx, spec, creating, host=None):
        self.vm = vm
        self.host = host or vm.host   # where the VM will run: a relocation's destination
        self.ctx = ctx
        self.spec = spec
        self.creating = creating
        self.T = vm.T
        self.scalars = {}
        self.settings = {}        # {config path: value} (config_settings)
        self.file_dirs = {}       # {'files.logDirectory': path, ...}
        self.devices = None       # new device list when deviceChange is given
        self.created_files = []
        self.destroyed_files = []
        self.detached_files = []
        self.profiles = {}        # {HOME or disk key: storage profile id, None to drop}
        self.home_namespace = None  # (uuid, alias) of the vSAN namespace a new VM's home needs

    # -- scalars ------------------------------------------------------------------
    def validate(self):
        spec, vm = self.spec, self.vm
        on = vm.power_state == 'poweredOn' and not self.creating
        set_ = self.scalars
        if spec.name is not None:
            if not spec.name or len(spec.name) > NAME_MAX:
                raise fault('InvalidName', "The name '%s' is invalid." % spec.name,
                            name=spec.name, entity=vm.ref)
            set_['name'] = spec.name
        cpus = spec.numCPUs if spec.numCPUs is not None else vm.num_cpu
        cores = spec.numCoresPerSocket if spec.numCoresPerSocket is not None \
            else vm.cores_per_socket
        if spec.numCPUs is not None:
            if spec.numCPUs < 1 or spec.numCPUs > 768:
                raise _invalid_argument('numCPUs')
            if on and spec.numCPUs > vm.num_cpu and not vm.cpu_hot_add:
                raise invalid_power_state('poweredOff', 'poweredOn')
            if on and spec.numCPUs < vm.num_cpu and not vm.cpu_hot_remove:
                raise invalid_power_state('poweredOff', 'poweredOn')
            set_['num_cpu'] = spec.numCPUs
        if spec.numCoresPerSocket is not None:
            if spec.numCoresPerSocket < 1:
                raise _invalid_argument('numCoresPerSocket')
            if on and spec.numCoresPerSocket != vm.cores_per_socket:
                raise invalid_power_state('poweredOff', 'poweredOn')
            set_['cores_per_socket'] = spec.numCoresPerSocket
        if cpus % cores:
            raise _invalid_argument('numCoresPerSocket')
        if spec.memoryMB is not None:
            if spec.memoryMB < 4 or spec.memoryMB % 4:
                raise _invalid_argument('memoryMB')
            if on and spec.memoryMB != vm.memory_mb and (
                    spec.memoryMB < vm.memory_mb or not vm.memory_hot_add):
                raise invalid_power_state('poweredOff', 'poweredOn')
            set_['memory_mb'] = spec.memoryMB
        for field, attr in (('cpuHotAddEnabled', 'cpu_hot_add'),
                            ('cpuHotRemoveEnabled', 'cpu_hot_remove'),
                            ('memoryHotAddEnabled', 'memory_hot_add')):
            value = getattr(spec, field)
            if value is not None and bool(value) != getattr(vm, attr):
                if on:
                    raise invalid_power_state('poweredOff', 'poweredOn')
                set_[attr] = bool(value)
        if spec.guestId is not None:
            known = self.vm.server.schema.enums.get('VirtualMachineGuestOsIdentifier')
            if known is not None and spec.guestId not in known.values:
                raise _invalid_argument('guestId')
            set_['guest_id'] = spec.guestId
        if spec.annotation is not None:
            set_['annotation'] = spec.annotation
        if self.creating:
            # a new VM: the version asked for (not above the maximum), or the
            # default of its compute resource or datacenter, or the newest its host runs
            runs = host_hw_versions(self.host)
            default, maximum = hardware_limits(self.host.compute_resource)
            if spec.version is not None and (
                    spec.version not in runs or spec.version in CREATE_UNSUPPORTED
                    or (maximum and hw_number(spec.version) > hw_number(maximum))):
                raise _invalid_argument('version')
            set_['hw_version'] = spec.version or default_version(runs, default, maximum)
        elif spec.version is not None and spec.version != vm.hw_version:
            raise _invalid_argument('version')   # an existing VM upgrades: UpgradeVM_Task
        for field, attr in (('uuid', 'uuid_override'),
                            ('instanceUuid', 'instance_uuid_override')):
            value = getattr(spec, field)
            if value is not None:
                try:
                    uuid_module.UUID(value)
                except ValueError:
                    raise _invalid_argument(field) from None
                set_[attr] = value.lower()
        if spec.createDate is not None:
            set_['created'] = spec.createDate
        if not self.creating and spec.files is not None:
            self._file_settings(spec.files)
        self.settings = SettingsPlan(vm, spec, on).plan()
        if self.creating:
            set_['tools_installed'] = False   # a new VM's guest has no OS, let alone tools
        if spec.extraConfig:
            extra = dict(vm.extra_config or {})
            told = dict(vm.guest_overrides or {})
            for option in spec.extraConfig:
                if not option.key:
                    raise _invalid_argument('extraConfig')
                if option.key.startswith(_SET_PREFIX):
                    self._tell_guest(told, option.key[len(_SET_PREFIX):], option.value)
                elif option.value is None or option.value == '':
                    extra.pop(option.key, None)
                else:
                    extra[option.key] = option.value
            set_['extra_config'] = extra or None
            if told != (vm.guest_overrides or {}):
                set_['guest_overrides'] = told or None
        for field, attr in (('cpuAllocation', 'cpu_allocation'),
                            ('memoryAllocation', 'memory_allocation')):
            given = getattr(spec, field)
            if given is not None:
                current = getattr(vm, attr) or _shared(vm.server)[attr]
                merged = copy.deepcopy(current)
                for name in given._type._names:
                    value = getattr(given, name, None)
                    if value is not None and name not in ('dynamicType', 'dynamicProperty'):
                        setattr(merged, name, copy.deepcopy(value))
                if merged.reservation is not None and merged.reservation < 0:
                    raise _invalid_argument('%s.reservation' % field)
                set_[attr] = merged
        if self.creating and spec.files is not None and spec.files.vmPathName:
            parsed = parse_datastore_path(vm.server, spec.files.vmPathName)
            if parsed is None:
                raise fault('InvalidDatastorePath', "Invalid datastore path '%s'."
                            % spec.files.vmPathName, datastorePath=spec.files.vmPathName)
            if parsed[0] is None:
                raise fault('InvalidDatastorePath', "Invalid datastore path '%s'."
                            % spec.files.vmPathName, datastorePath=spec.files.vmPathName)
            set_['datastore_object'] = parsed[0]
            set_['dir_name'], set_['file_name'], self.home_namespace = vm_home(
                vm, parsed[0], parsed[1])
        if spec.deviceChange or self.creating:
            self._validate_devices()
            self._boot_order_keys()
        if spec.vmProfile:
            self.profiles[HOME] = chosen_profile(
                vm, spec.vmProfile, 'vmProfile', set_.get('datastore_object', vm.datastore_object))
        self.crypto = CryptoPlan(self)
        self.crypto.validate()

    def _file_settings(self, files):
        """A reconfiguration may move the snapshot, suspend, log and FT
        metadata directories; the VM's .vmx stays where it is."""
        if files.vmPathName and files.vmPathName != self.vm.file_path('.vmx'):
            raise _invalid_argument('files.vmPathName')
        for field in ('snapshotDirectory', 'suspendDirectory', 'logDirectory',
                      'ftMetadataDirectory'):
            value = getattr(files, field)
            if value:
                parsed = parse_datastore_path(self.vm.server, value)
                if parsed is None or parsed[0] is None:
                    raise fault('InvalidDatastorePath', "Invalid datastore path '%s'."
                                % value, datastorePath=value)
                self.file_dirs['files.' + field] = value

    def _tell_guest(self, told, path, value):
        """vcsim's convention: extraConfig 'SET.guest.ipAddress' = value sets
        that guest property (and summary.guest's of the same name); an empty
        value takes it back. Only guest / summary.guest scalars can be told."""
        schema = self.vm.server.schema
        owner, _, name = path.rpartition('.')
        type_name = _TELLABLE.get(owner)
        field = schema.types[type_name].field_map.get(name) if type_name else None
        if field is None or field.name in ('dynamicType',) or \
                field.type not in ('string', 'boolean') and field.type not in schema.enums:
            raise _invalid_argument('extraConfig["%s%s"]' % (_SET_PREFIX, path))
        paths = [path]
        mirror = 'summary.guest' if owner == 'guest' else None
        if mirror and name in schema.types[_TELLABLE[mirror]].field_map:
            paths.append('%s.%s' % (mirror, name))
        if value is None or value == '':
            for each in paths:
                told.pop(each, None)
            return
        text = str(value)
        if field.type == 'boolean':
            if text.lower() not in ('true', 'false'):
                raise _invalid_argument('extraConfig["%s%s"]' % (_SET_PREFIX, path))
            value = text.lower() == 'true'
        elif field.type in schema.enums:
            if text not in schema.enums[field.type].values:
                raise _invalid_argument('extraConfig["%s%s"]' % (_SET_PREFIX, path))
            value = text
        else:
            value = text
        for each in paths:
            told[each] = value

    # -- devices ------------------------------------------------------------------
    def _boot_order_keys(self):
        """A boot order may name a device the same spec adds by its
        placeholder key, as a controllerKey may: it then names the device."""
        boot = self.settings.get('bootOptions')
        for device in (boot.bootOrder if boot is not None else None) or ():
            key = getattr(device, 'deviceKey', None)
            if key in self.keymap:
                device.deviceKey = self.keymap[key]

    def _validate_devices(self):
        vm = self.vm
        if self.creating:
            devices = [copy.deepcopy(d) for d in vm._base_devices()]
        else:
            devices = [copy.deepcopy(d) for d in vm.devices()]
        self.devices = devices
        self.keymap = {}
        self.home = self.scalars.get('datastore_object', vm.datastore_object)
        used_keys = {d.key for d in devices}
        self.used_keys = used_keys
        for index, change in enumerate(self.spec.deviceChange or ()):
            device = change.device
            if device is None or change.operation not in ('add', 'remove', 'edit'):
                raise _invalid_spec(index)
            if change.operation == 'add':
                device = copy.deepcopy(device)
                self._add(index, change, device)
            elif change.operation == 'remove':
                self._remove(index, change)
                self.profiles[self.keymap.get(device.key, device.key)] = None
                continue
            else:
                self._edit(index, change)
                device = self._find(device.key)
            if change.profile:
                self._disk_profile(index, change, device)

    def _disk_profile(self, index, change, disk):
        """A device change's storage profile: a disk's only."""
        if not isinstance(disk, self.T.VirtualDisk):
            raise _invalid_spec(index, 'profile')
        self.profiles[disk.key] = chosen_profile(
            self.vm, change.profile, 'deviceChange[%d].profile' % index,
            self.vm.server.objects.get(getattr(disk.backing, 'datastore', None)))

    def _find(self, key):
        key = self.keymap.get(key, key)
        return next((d for d in self.devices if d.key == key), None)

    def _new_key(self, device):
        base = 100
        for type_name, start in _KEY_BASE:
            if isinstance(device, getattr(self.T, type_name)):
                base = start
                break
        key = base
        while key in self.used_keys:
            key += 1
        return key

    def _add(self, index, change, device):
        T = self.T
        asked = device.key
        # vCenter gives every new device a fresh key: a client's key of 0
        # (pyVmomi's default) or below is a placeholder, as is one in use
        if asked is None or asked <= 0 or asked in self.used_keys:
            device.key = self._new_key(device)
        if asked is not None and asked != 0 and asked != device.key:
            self.keymap[asked] = device.key
        self.used_keys.add(device.key)
        if device.controllerKey is not None:
            device.controllerKey = self.keymap.get(device.controllerKey, device.controllerKey)
        if isinstance(device, T.VirtualDisk):
            self._add_disk(index, change, device)
        elif isinstance(device, T.VirtualEthernetCard):
            self._add_nic(index, device)
        elif isinstance(device, T.VirtualController):
            self._add_controller(index, device)
        elif isinstance(device, T.VirtualCdrom):
            self._cdrom_backing(index, device)
            self._attach(index, device, default=(T.VirtualIDEController,))
            count = sum(1 for d in self.devices if isinstance(d, T.VirtualCdrom))
            device.deviceInfo = T.Description(label='CD/DVD drive %d' % (count + 1),
                                              summary=_cdrom_summary(T, device.backing))
            if device.connectable is None:
                device.connectable = T.VirtualDeviceConnectInfo(
                    startConnected=False, allowGuestControl=True, connected=False,
                    status='untried')
            else:
                self._connectable(device.connectable)
        else:
            if device.controllerKey is not None:
                self._attach(index, device, default=())
            device.deviceInfo = device.deviceInfo or T.Description(
                label=type(device).__name__, summary=type(device).__name__)
        self.devices.append(device)

    def _cdrom_backing(self, index, device):
        """Check and complete a CD-ROM's backing: an ISO image must be a
        '[datastore] path' on a datastore of the VM's host."""
        T, vm = self.T, self.vm
        backing = device.backing
        if backing is None:
            device.backing = T.VirtualCdromRemotePassthroughBackingInfo(
                deviceName='', useAutoDetect=False, exclusive=False)
            return
        if isinstance(backing, T.VirtualCdromIsoBackingInfo):
            name = backing.fileName or ''
            parsed = parse_datastore_path(vm.server, name)
            if parsed is None or parsed[0] is None or not parsed[1]:
                raise fault('InvalidDatastorePath', "Invalid datastore path '%s'." % name,
                            datastorePath=name)
            ds = parsed[0]
            if ds not in self.host.datastores:
                raise fault('InvalidDatastore', "The datastore '%s' is not accessible from the "
                            'host.' % ds.name, datastore=ds.ref, name=ds.name)
            backing.fileName = '[%s] %s' % (ds.name, parsed[1])
            backing.datastore = ds.ref
        elif isinstance(backing, T.VirtualCdromRemotePassthroughBackingInfo):
            backing.deviceName = backing.deviceName or ''
            if backing.useAutoDetect is None:
                backing.useAutoDetect = False
            if backing.exclusive is None:
                backing.exclusive = False
        elif isinstance(backing, T.VirtualCdromRemoteAtapiBackingInfo):
            backing.deviceName = backing.deviceName or ''
            if backing.useAutoDetect is None:
                backing.useAutoDetect = False
        elif isinstance(backing, T.VirtualCdromAtapiBackingInfo):
            if not backing.deviceName:
                raise _invalid_spec(index, 'device.backing.deviceName')
            if backing.useAutoDetect is None:
                backing.useAutoDetect = False
        else:
            raise _invalid_spec(index, 'device.backing')

    def _connectable(self, connectable):
        """Connection state follows power: connected only while powered on."""
        on = self.vm.power_state == 'poweredOn' and not self.creating
        if connectable.startConnected is None:
            connectable.startConnected = False
        if connectable.allowGuestControl is None:
            connectable.allowGuestControl = True
        connected = bool(on and (connectable.connected or connectable.startConnected))
        connectable.connected = connected
        connectable.status = 'ok' if connected else 'untried'

    def _controller(self, index, key, kinds):
        controller = self._find(key) if key is not None else None
        if controller is None and key is None:
            controller = next((d for d in self.devices
                               if any(isinstance(d, k) for k in kinds)), None)
        if controller is None or not isinstance(controller, self.T.VirtualController):
            raise fault('InvalidController', "Device '%d' has a controller '%s' which does "
                        'not exist.' % (index, key), deviceIndex=index, controllerKey=key or 0)
        return controller

    def _attach(self, index, device, default):
        T = self.T
        controller = self._controller(index, device.controllerKey, default)
        device.controllerKey = controller.key
        if isinstance(controller, T.VirtualSCSIController):
            units = SCSI_UNITS
        elif isinstance(controller, T.VirtualIDEController):
            units = [0, 1]
        elif isinstance(controller, T.VirtualPCIController):
            units = list(range(7, 32))
        else:
            units = list(range(30))
        taken = {d.unitNumber for d in self.devices
                 if d.controllerKey == controller.key and d is not device}
        if device.unitNumber is None:
            free = [u for u in units if u not in taken]
            if not free:
                raise _invalid_spec(index, 'device.unitNumber',
                                    'No free unit number on controller %d.' % controller.key)
            device.unitNumber = free[0]
        elif device.unitNumber in taken or (units and device.unitNumber not in units
                                           and not isinstance(controller, T.VirtualPCIController)):
            raise _invalid_spec(index, 'device.unitNumber')
        if not isinstance(controller, T.VirtualPCIController):
            controller.device = list(controller.device or []) + [device.key]
        return controller

    def _add_controller(self, index, device):
        T = self.T
        if isinstance(device, T.VirtualSCSIController):
            buses = {d.busNumber for d in self.devices if isinstance(d, T.VirtualSCSIController)}
            if device.busNumber is None:
                device.busNumber = next((b for b in range(4) if b not in buses), None)
            if device.busNumber is None or device.busNumber in buses or device.busNumber > 3:
                raise _invalid_spec(index, 'device.busNumber')
            device.scsiCtlrUnitNumber = 7
            device.sharedBus = device.sharedBus or 'noSharing'
            device.hotAddRemove = True
            device.controllerKey = 100
            label = 'SCSI controller %d' % device.busNumber
            device.deviceInfo = T.Description(label=label, summary=_SCSI_SUMMARY.get(
                type(device).__name__, 'SCSI controller'))
        else:
            device.controllerKey = device.controllerKey if device.controllerKey else 100
            device.deviceInfo = device.deviceInfo or T.Description(
                label=type(device).__name__, summary=type(device).__name__)
        device.device = []
        pci = self._find(100)
        if pci is not None:
            taken = {d.unitNumber for d in self.devices if d.controllerKey == 100}
            if device.unitNumber is None:
                device.unitNumber = next(u for u in range(3, 32) if u not in taken)
            pci.device = list(pci.device or []) + [device.key]

    def _disk_datastore(self, index, backing):
        server = self.vm.server
        if backing.datastore is not None:
            ds = server.objects.get(backing.datastore)
            if ds is None or ds.type_name != 'Datastore':
                raise fault('InvalidDatastore', 'The datastore is not valid.',
                            datastore=backing.datastore)
        else:
            ds = None
        name = backing.fileName or ''
        if name:
            parsed = parse_datastore_path(server, name)
            if parsed is None or parsed[0] is None:
                raise fault('InvalidDatastorePath', "Invalid datastore path '%s'." % name,
                            datastorePath=name)
            ds = parsed[0]
        return ds or self.home

    def _add_disk(self, index, change, disk):
        T, vm = self.T, self.vm
        backing = disk.backing
        if backing is None or not isinstance(backing, T.VirtualDeviceFileBackingInfo):
            raise _invalid_spec(index, 'device.backing')
        ds = self._disk_datastore(index, backing)
        if ds not in self.host.datastores:
            raise fault('InvalidDatastore', "The datastore '%s' is not accessible from the "
                        'host.' % ds.name, datastore=ds.ref, name=ds.name)
        if change.fileOperation == 'create':
            ds.refuse_new_files()
        self._attach(index, disk, default=(T.VirtualSCSIController,))
        capacity_kb = disk.capacityInKB
        if disk.capacityInBytes:
            capacity_kb = disk.capacityInBytes // KB
        # a VM being created has no files yet (not even its placeholder's disk)
        parsed = parse_datastore_path(vm.server, backing.fileName or '')
        # the model's files, and those only the datastore has (uploads, disks made by
        # VirtualDiskManager) in the folders the disk may go in
        existing = datastore_files(ds, besides=vm if self.creating else None) | set(
            self.created_files) | files_in(ds, self.scalars.get('dir_name', vm.dir_name))
        if parsed and parsed[1]:
            existing |= files_in(ds, posixpath.dirname(parsed[1]))
        if not parsed or not parsed[1]:
            backing.fileName = self._free_disk_name(ds, existing)
        elif backing.fileName.endswith('.vmdk') is False:
            raise fault('InvalidDatastorePath', "Invalid datastore path '%s'."
                        % backing.fileName, datastorePath=backing.fileName)
        operation = change.fileOperation
        if operation == 'create':
            if backing.fileName in existing:
                raise FileAlreadyExists(backing.fileName)
            if not capacity_kb or capacity_kb < 0:
                raise _invalid_spec(index, 'device.capacityInKB')
            self.created_files.append(backing.fileName)
        elif operation == 'replace':
            if not capacity_kb or capacity_kb < 0:
                raise _invalid_spec(index, 'device.capacityInKB')
        elif operation is None:
            if backing.fileName not in existing:
                raise FileNotFound(backing.fileName)
            loose = getattr(ds, 'loose_files', {})
            descriptor = None if backing.fileName in loose else \
                descriptor_named(ds, backing.fileName)
            capacity_kb = capacity_kb or loose.get(backing.fileName) or (
                descriptor.capacity_bytes // KB if descriptor else None) or vm.disk_kb
            if descriptor is not None and isinstance(backing, T.VirtualDiskFlatVer2BackingInfo) \
                    and backing.thinProvisioned is None:
                backing.thinProvisioned = descriptor.thin
            owner = next((other for other in ds.vms if other is not vm and
                          backing.fileName in {n for n, _, _ in other.disk_files()}), None)
            if owner is not None:
                raise FileLocked(backing.fileName)
        else:
            raise fault('InvalidDeviceOperation', "Invalid operation for device '%d'." % index,
                        deviceIndex=index, badFileOp=operation)
        backing.datastore = ds.ref
        if isinstance(backing, T.VirtualDiskFlatVer2BackingInfo):
            backing.diskMode = backing.diskMode or 'persistent'
            for name, default in (('split', False), ('writeThrough', False),
                                  ('thinProvisioned', False), ('eagerlyScrub', False),
                                  ('digestEnabled', False)):
                if getattr(backing, name) is None:
                    setattr(backing, name, default)
            backing.sharing = backing.sharing or 'sharingNone'
            backing.uuid = backing.uuid or vm._uuid('6000C29%d' % disk.key)[:36]
            backing.contentId = backing.contentId or vm._uuid('c%d' % disk.key)[:8] * 4
        if operation in ('create', 'replace') and is_thick(backing):
            self._claim(ds, capacity_kb, backing.fileName)
        disk.capacityInKB = capacity_kb
        disk.capacityInBytes = capacity_kb * KB
        shared = _shared(vm.server)
        disk.shares = disk.shares or shared['disk_shares']
        disk.storageIOAllocation = disk.storageIOAllocation or shared['disk_io']
        disk.diskObjectId = '%s-%d' % (vm.sequence, disk.key)
        disk.nativeUnmanagedLinkedClone = False
        count = sum(1 for d in self.devices if isinstance(d, T.VirtualDisk))
        disk.deviceInfo = T.Description(label='Hard disk %d' % (count + 1),
                                        summary='{:,} KB'.format(capacity_kb))

    def _claim(self, ds, capacity_kb, file_name):
        """Space a thick disk allocates now: NoDiskSpace when the datastore
        (less what this spec already claimed there) has not that much free."""
        claimed = self.__dict__.setdefault('claimed', {})
        wanted = capacity_kb * KB
        if wanted + claimed.get(ds, 0) > ds.free_space:
            raise fault('NoDiskSpace', "Insufficient disk space on datastore '%s'." % ds.name,
                        file=file_name, datastore=ds.name)
        claimed[ds] = claimed.get(ds, 0) + wanted

    def _free_disk_name(self, ds, existing):
        stem = self.scalars.get('file_name', self.vm.file_name)
        directory = home_path(ds.name, self.scalars.get('dir_name', self.vm.dir_name))
        taken = existing | {d.backing.fileName for d in self.devices
                            if isinstance(d, self.T.VirtualDisk) and d.backing is not None}
        name = '%s%s.vmdk' % (directory, stem)
        n = 1
        while name in taken:
            name = '%s%s_%d.vmdk' % (directory, stem, n)
            n += 1
        return name

    def _add_nic(self, index, nic):
        T, vm = self.T, self.vm
        self._resolve_nic_backing(index, nic)
        if nic.addressType and nic.addressType.lower() == 'manual':
            if not nic.macAddress or not _MAC.match(nic.macAddress):
                raise _invalid_argument('macAddress')
            nic.addressType = 'manual'
        else:
            nic.macAddress = vm.mac if not any(
                isinstance(d, T.VirtualEthernetCard) for d in self.devices) and not \
                self._mac_in_use(vm.mac) else _allocate_mac(vm.server)
            nic.addressType = 'assigned'
        if nic.connectable is None:
            nic.connectable = T.VirtualDeviceConnectInfo(
                startConnected=True, allowGuestControl=True, connected=False, status='untried')
        nic.controllerKey = 100
        taken = {d.unitNumber for d in self.devices if d.controllerKey == 100}
        if nic.unitNumber is None or nic.unitNumber in taken:
            nic.unitNumber = next(u for u in range(7, 32) if u not in taken)
        if nic.wakeOnLanEnabled is None:
            nic.wakeOnLanEnabled = True
        if nic.resourceAllocation is None and not isinstance(nic, T.VirtualE1000):
            nic.resourceAllocation = _shared(vm.server)['nic_allocation']
        count = sum(1 for d in self.devices if isinstance(d, T.VirtualEthernetCard))
        network = vm._nic_network(nic)
        nic.deviceInfo = T.Description(label='Network adapter %d' % (count + 1),
                                       summary=nic_summary(network))
        pci = self._find(100)
        if pci is not None:
            pci.device = list(pci.device or []) + [nic.key]

    def _mac_in_use(self, mac):
        return any(getattr(d, 'macAddress', None) == mac for d in self.devices)

    def _resolve_nic_backing(self, index, nic):
        T, vm = self.T, self.vm
        backing = nic.backing
        networks = self.host.networks
        if isinstance(backing, T.VirtualEthernetCardNetworkBackingInfo):
            network = None
            if backing.network is not None:
                network = vm.server.objects.get(backing.network)
            elif backing.deviceName:
                network = next((n for n in networks if n.name == backing.deviceName
                                and n.type_name == 'Network'), None)
            if network is None or network not in networks:
                raise _invalid_spec(index, 'device.backing.deviceName')
            nic.backing = network.nic_backing(vm) if network.type_name == 'Network' else None
            if nic.backing is None:
                raise _invalid_spec(index, 'device.backing')
        elif isinstance(backing, T.VirtualEthernetCardDistributedVirtualPortBackingInfo):
            port = backing.port
            pg = None
            if port is not None and port.portgroupKey:
                pg = next((n for n in networks if n.type_name == 'DistributedVirtualPortgroup'
                           and n.key == port.portgroupKey
                           and (not port.switchUuid or n.dvs.uuid == port.switchUuid)), None)
            if pg is None or pg.uplink:
                raise _invalid_spec(index, 'device.backing.port')
            check_connectable(pg, vm, str(nic.key), 'vmVnic', port.portKey)
            # the port itself is taken when the change is installed (sync_vm_ports)
            nic.backing = T.VirtualEthernetCardDistributedVirtualPortBackingInfo(
                port=T.DistributedVirtualSwitchPortConnection(
                    switchUuid=pg.dvs.uuid, portgroupKey=pg.key, portKey=port.portKey or None))
        elif isinstance(backing, T.VirtualEthernetCardOpaqueNetworkBackingInfo):
            network = opaque_network(self.host, backing)
            if network is None:
                raise _invalid_spec(index, 'device.backing.opaqueNetworkId')
            nic.backing = network.nic_backing(vm)
        elif backing is None:
            raise _invalid_spec(index, 'device.backing')
        else:
            raise fault('NotSupported', 'The operation is not supported on the object.')

    def _remove(self, index, change):
        T = self.T
        device = self._find(change.device.key)
        if device is None:
            raise _invalid_spec(index, 'device.key')
        if isinstance(device, T.VirtualController) and [
                d for d in self.devices if d.controllerKey == device.key]:
            raise _invalid_spec(index, 'device')
        if isinstance(device, (T.VirtualPCIController, T.VirtualIDEController,
                               T.VirtualPS2Controller, T.VirtualSIOController,
                               T.VirtualKeyboard, T.VirtualPointingDevice,
                               T.VirtualMachineVideoCard, T.VirtualMachineVMCIDevice)):
            raise _invalid_spec(index, 'device')
        if isinstance(device, T.VirtualDisk):
            names = [b.fileName for b in backing_chain(device.backing)]
            if self.vm.snapshot_tree is not None and len(names) > 1:
                raise fault('InvalidDeviceOperation', "Invalid operation for device '%d'."
                            % index, deviceIndex=index, badOp='remove')
            if change.fileOperation == 'destroy':
                self.destroyed_files.extend(names)
            elif change.fileOperation is None:
                self.detached_files.append((device.backing, device.capacityInKB))
            else:
                raise fault('InvalidDeviceOperation', "Invalid operation for device '%d'."
                            % index, deviceIndex=index, badFileOp=change.fileOperation)
        self.devices.remove(device)
        for controller in self.devices:
            if isinstance(controller, T.VirtualController) and device.key in (
                    controller.device or ()):
                controller.device = [k for k in controller.device if k != device.key]

    def _edit(self, index, change):
        T = self.T
        device = self._find(change.device.key)
        given = change.device
        if device is None:
            raise _invalid_spec(index, 'device.key')
        if type(given) is not type(device) and not isinstance(device, type(given)):
            raise _invalid_spec(index, 'device')
        if isinstance(device, T.VirtualDisk):
            # clients change one of the two and send the other as read: the
            # one that differs from the disk's size is the request
            wanted = given.capacityInKB
            if given.capacityInBytes and (wanted is None or wanted == device.capacityInKB):
                wanted = given.capacityInBytes // KB
            if wanted is not None and wanted != device.capacityInKB:
                if wanted < device.capacityInKB:
                    raise fault('InvalidDeviceOperation', "Invalid operation for device '%d'."
                                % index, deviceIndex=index, badOp='edit')
                if len(backing_chain(device.backing)) > 1:
                    raise fault('InvalidDeviceOperation', "Invalid operation for device '%d'."
                                % index, deviceIndex=index, badOp='edit')
                if is_thick(device.backing):
                    ds = self.vm.server.objects.get(device.backing.datastore)
                    if ds is not None:
                        self._claim(ds, wanted - device.capacityInKB, device.backing.fileName)
                device.capacityInKB = wanted
                device.capacityInBytes = wanted * KB
                device.deviceInfo = T.Description(label=device.deviceInfo.label,
                                                  summary='{:,} KB'.format(wanted))
            if given.backing is not None and getattr(given.backing, 'diskMode', None):
                device.backing.diskMode = given.backing.diskMode
            return
        if isinstance(device, T.VirtualEthernetCard):
            if given.backing is not None:
                probe = copy.deepcopy(given)
                self._resolve_nic_backing(index, probe)
                device.backing = probe.backing
                network = self.vm._nic_network(device)
                device.deviceInfo = T.Description(
                    label=device.deviceInfo.label if device.deviceInfo else 'Network adapter',
                    summary=nic_summary(network))
            if given.connectable is not None:
                device.connectable = copy.deepcopy(given.connectable)
            if given.addressType == 'manual' and given.macAddress:
                if not _MAC.match(given.macAddress):
                    raise _invalid_argument('macAddress')
                device.addressType, device.macAddress = 'manual', given.macAddress
            return
        if isinstance(device, T.VirtualCdrom):
            if given.backing is not None:
                probe = copy.deepcopy(given)
                self._cdrom_backing(index, probe)
                device.backing = probe.backing
                device.deviceInfo = T.Description(
                    label=device.deviceInfo.label if device.deviceInfo else 'CD/DVD drive',
                    summary=_cdrom_summary(T, device.backing))
            if given.connectable is not None:
                device.connectable = copy.deepcopy(given.connectable)
                self._connectable(device.connectable)
            return
        for name in given._type._names:
            value = getattr(given, name, None)
            if value is not None and name not in ('key', 'controllerKey', 'unitNumber',
                                                  'deviceInfo', 'dynamicType'):
                setattr(device, name, copy.deepcopy(value))

    # -- installing ---------------------------------------------------------------
    def reservations(self):
        """{'cpu': MHz, 'memory': MB} the VM reserves once the plan is committed."""
        vm = self.vm
        cpu = self.scalars.get('cpu_allocation', vm.cpu_allocation)
        memory = self.scalars.get('memory_allocation', vm.effective_memory_allocation())
        settings = {**(vm.settings or {}), **self.settings}
        memory_mb = self.scalars.get('memory_mb', vm.memory_mb)
        locked = settings.get('memoryReservationLockedToMax')
        return {'cpu': (cpu.reservation or 0) if cpu is not None else 0,
                'memory': memory_mb if locked else memory.reservation or 0}

    def commit(self):
        vm = self.vm
        names = ['config', 'summary']
        if self.home_namespace is not None:
            self.scalars['datastore_object'].add_namespace(*self.home_namespace)
        for attr, value in self.scalars.items():
            setattr(vm, attr, value)
        if self.settings or self.file_dirs:
            vm.settings = {**(vm.settings or {}), **self.settings, **self.file_dirs}
        if 'name' in self.scalars:
            names.extend(ManagedEntity.NAMED_PROPERTIES)
        if 'num_cpu' in self.scalars or 'memory_mb' in self.scalars:
            names.extend(['runtime', 'layoutEx', 'layout', 'storage'])
        if 'guest_overrides' in self.scalars:   # the tools may have started or stopped
            names.extend(['guest', 'guestHeartbeatStatus'])
        if self.devices is not None:
            for backing, capacity in self.detached_files:
                ds = vm.server.objects.get(backing.datastore)
                if ds is not None:
                    loose = ds.__dict__.setdefault('loose_files', {})
                    for b in backing_chain(backing):
                        loose[b.fileName] = capacity
                        loose[extent_name(b.fileName, bool(b.deltaDiskFormat))] = capacity
            for ds in vm.host.datastores:
                loose = getattr(ds, 'loose_files', None)
                if loose:
                    for name in list(loose):
                        if name in self.destroyed_files:
                            loose.pop(name, None)
            for disk in (d for d in self.devices if isinstance(d, self.T.VirtualDisk)):
                ds = vm.server.objects.get(disk.backing.datastore)
                loose = getattr(ds, 'loose_files', None) if ds is not None else None
                if loose:
                    for b in backing_chain(disk.backing):
                        loose.pop(b.fileName, None)
                        loose.pop(extent_name(b.fileName, bool(b.deltaDiskFormat)), None)
            vm._devices = self.devices
            vm._sync_links()
            names.extend(['layout', 'layoutEx', 'storage', 'datastore', 'network', 'guest',
                          'runtime'])
        if self.profiles:
            vm.storage_profiles = associated(vm.storage_profiles, self.profiles)
        self.crypto.commit(self.ctx)
        if not self.creating:
            vm.change_stamp = clock.now()
        names = list(dict.fromkeys(names))
        vm.report_changed(*names)
        return names


def nic_summary(network):
    """deviceInfo.summary of a NIC as vCenter words it: the network's name,
    or for a distributed portgroup its switch's uuid."""
    if network is None:
        return ''
    dvs = getattr(network, 'dvs', None)
    if network.type_name == 'DistributedVirtualPortgroup' and dvs is not None:
        return 'DVSwitch: %s' % dvs.uuid
    return network.name


def _cdrom_summary(T, backing):
    """deviceInfo.summary of a CD-ROM as vCenter words it."""
    if isinstance(backing, T.VirtualCdromIsoBackingInfo):
        return 'ISO %s' % backing.fileName
    if isinstance(backing, T.VirtualCdromAtapiBackingInfo):
        return 'ATAPI %s' % backing.deviceName
    return 'Remote device'


def opaque_network(host, backing):
    """The OpaqueNetwork of `host` an opaque NIC backing names (by id, and by
    type when given), or None."""
    for network in host.networks:
        if network.type_name == 'OpaqueNetwork' and \
                network.opaque_id == backing.opaqueNetworkId and \
                (not backing.opaqueNetworkType or
                 network.opaque_type == backing.opaqueNetworkType):
            return network
    return None


_SCSI_SUMMARY = {'ParaVirtualSCSIController': 'VMware paravirtual SCSI',
                 'VirtualLsiLogicController': 'LSI Logic',
                 'VirtualLsiLogicSASController': 'LSI Logic SAS',
                 'VirtualBusLogicController': 'BusLogic'}


def _invalid_argument(name):
    return fault('InvalidArgument', 'A specified parameter was not correct: %s' % name,
                 invalidProperty=name)
