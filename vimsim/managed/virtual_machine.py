"""VirtualMachine.

Primary state is a handful of scalars and links (name, folder, pool, host,
datastore, network, power state, boot time, cpu / memory / disk size, guest
id, a sequence number). Everything else is computed on read from it: `config`
(devices, files, uuids, MAC), `summary`, `runtime`, `guest`, `storage`,
`layout`, `layoutEx`, `datastore`, `network`. Sub-objects identical for all
VMs (flags, power ops, controllers, capability) are built once and shared;
treat them as read-only.
"""
import uuid as uuid_module
from datetime import datetime, timezone

from vimsim.managed.entity import ManagedEntity, data_types
from vimsim.soap.encode import freeze

KB = 1024
MB = 1024 * KB
GB = 1024 * MB
HW_VERSION = 'vmx-21'
TOOLS_VERSION = 12389
TOOLS_VERSION_TEXT = str(TOOLS_VERSION)
VMX_SIZE = 2684
NVRAM_SIZE = 8684
DESCRIPTOR_SIZE = 533
LOG_SIZE = 201433
_NAMESPACE = uuid_module.UUID('9a1b2c3d-4e5f-4061-8273-849500000042')

GUEST_NAMES = {
    'otherGuest64': 'Other (64-bit)', 'otherGuest': 'Other (32-bit)',
    'otherLinux64Guest': 'Other Linux (64-bit)', 'ubuntu64Guest': 'Ubuntu Linux (64-bit)',
    'windows2019srv_64Guest': 'Microsoft Windows Server 2019 (64-bit)',
}
GUEST_FAMILY = {'otherGuest64': 'otherGuestFamily', 'otherGuest': 'otherGuestFamily',
                'otherLinux64Guest': 'linuxGuest', 'ubuntu64Guest': 'linuxGuest',
                'windows2019srv_64Guest': 'windowsGuest'}


def vm_mac(sequence):
    """vCenter-assigned MACs: 00:50:56:80:00:00 - 00:50:56:bf:ff:ff."""
    n = sequence & 0x3fffff
    return '00:50:56:%02x:%02x:%02x' % (0x80 | (n >> 16), (n >> 8) & 0xff, n & 0xff)


def vm_ip(sequence):
    n = sequence + 100
    return '172.16.%d.%d' % (n // 250, n % 250 + 1)


class VirtualMachine(ManagedEntity):
    type_name = 'VirtualMachine'
    rootSnapshot = ()
    snapshot = None
    parentVApp = None

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
        self.created = created or datetime.now(timezone.utc)
        self.template = False
        pool.vms.append(self)
        host.vms.append(self)
        datastore.vms.append(self)
        if network is not None:
            network.vms.append(self)

    # -- identities (derived from the moid and sequence) ----------------------
    def _uuid(self, prefix):
        u = uuid_module.uuid5(_NAMESPACE, '%s/%s' % (self.ref.value, self.name)).hex
        u = prefix + u[len(prefix):]
        return '%s-%s-%s-%s-%s' % (u[:8], u[8:12], u[12:16], u[16:20], u[20:])

    @property
    def uuid(self):
        return self._uuid('42')

    @property
    def instance_uuid(self):
        return self._uuid('50')

    @property
    def mac(self):
        return vm_mac(self.sequence)

    @property
    def directory(self):
        return '[%s] %s' % (self.datastore_object.name, self.name)

    def file_path(self, suffix):
        return '%s/%s%s' % (self.directory, self.name, suffix)

    def view_children(self):
        return ()

    # -- links -------------------------------------------------------------------
    @property
    def resourcePool(self):
        return self.pool.ref

    @property
    def datastore(self):
        return [self.datastore_object.ref]

    @property
    def network(self):
        return [self.network_object.ref] if self.network_object is not None else []

    @property
    def environmentBrowser(self):
        return self.host.compute_resource.environmentBrowser

    @property
    def guestHeartbeatStatus(self):
        return 'green' if self.power_state == 'poweredOn' else 'gray'

    # -- usage -------------------------------------------------------------------
    def usage_stats(self):
        """(cpu MHz, host memory MB) the VM consumes: a deterministic trickle
        when powered on, nothing otherwise."""
        if self.power_state != 'poweredOn':
            return 0, 0
        return 10 + self.sequence % 7 * 3, max(self.memory_mb // 4, 1) + 20

    def files(self):
        """[(name, type, size)] of the VM's files, in layoutEx key order."""
        files = [(self.file_path('.vmx'), 'config', VMX_SIZE),
                 (self.file_path('.vmsd'), 'snapshotList', 0),
                 (self.file_path('.nvram'), 'nvram', NVRAM_SIZE),
                 (self.file_path('.vmdk'), 'diskDescriptor', DESCRIPTOR_SIZE),
                 (self.file_path('-flat.vmdk'), 'diskExtent', 0)]
        if self.boot_time is not None:
            files.append(('%s/vmware.log' % self.directory, 'log', LOG_SIZE))
        if self.power_state == 'poweredOn':
            files.append((self.file_path('-%s.vswp' % self.instance_uuid[:8]), 'swap',
                          self.memory_mb * MB))
        return files

    def storage_usage(self):
        """(committed, uncommitted) bytes; the disk is thin and unwritten."""
        committed = sum(size for _, _, size in self.files())
        uncommitted = self.disk_kb * KB
        return committed, uncommitted

    # -- devices -------------------------------------------------------------------
    def devices(self):
        T = self.T
        shared = _shared(self.server)
        disk_file = self.file_path('.vmdk')
        on = self.power_state == 'poweredOn'
        label = self.network_object.name if self.network_object is not None else ''
        nic = T.VirtualVmxnet3(
            key=4000, deviceInfo=T.Description(label='Network adapter 1', summary=label),
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
        vmci = T.VirtualMachineVMCIDevice(
            key=12000, deviceInfo=shared['vmci_info'], controllerKey=100, unitNumber=17,
            id=int(self.uuid.replace('-', '')[-8:], 16) & 0x7fffffff,
            allowUnrestrictedCommunication=False, filterEnable=True)
        return (shared['ide0'], shared['ide1'], shared['ps2'], shared['pci'], shared['sio'],
                shared['keyboard'], shared['pointing'], shared['video'], vmci,
                shared['scsi'], shared['cdrom'], disk, nic)

    # -- config ---------------------------------------------------------------------
    @property
    def guest_full_name(self):
        return GUEST_NAMES.get(self.guest_id, self.guest_id)

    @property
    def change_version(self):
        return self.created.strftime('%Y-%m-%dT%H:%M:%S.%fZ')

    @property
    def config(self):
        T = self.T
        shared = _shared(self.server)
        return T.VirtualMachineConfigInfo(
            changeVersion=self.change_version,
            modified=datetime(1970, 1, 1, tzinfo=timezone.utc),
            name=self.name, guestFullName=self.guest_full_name, version=HW_VERSION,
            uuid=self.uuid, createDate=self.created, instanceUuid=self.instance_uuid,
            npivTemporaryDisabled=True, locationId=None, template=self.template,
            guestId=self.guest_id, alternateGuestName='', annotation='',
            files=T.VirtualMachineFileInfo(
                vmPathName=self.file_path('.vmx'), snapshotDirectory=self.directory + '/',
                suspendDirectory=self.directory + '/', logDirectory=self.directory + '/'),
            tools=shared['tools'], flags=shared['flags'],
            consolePreferences=shared['console'], defaultPowerOps=shared['power_ops'],
            rebootPowerOff=False,
            hardware=T.VirtualHardware(
                numCPU=self.num_cpu, numCoresPerSocket=1, autoCoresPerSocket=True,
                memoryMB=self.memory_mb, virtualICH7MPresent=False, virtualSMCPresent=False,
                device=list(self.devices()), motherboardLayout='i440bxHostBridge',
                simultaneousThreads=1),
            cpuAllocation=shared['cpu_allocation'], memoryAllocation=shared['memory_allocation'],
            latencySensitivity=shared['latency'], memoryHotAddEnabled=False,
            cpuHotAddEnabled=False, cpuHotRemoveEnabled=False,
            extraConfig=[T.OptionValue(key='nvram', value=self.name + '.nvram'),
                         T.OptionValue(key='svga.present', value='TRUE'),
                         T.OptionValue(key='pciBridge0.present', value='TRUE'),
                         T.OptionValue(key='vmware.tools.internalversion', value=TOOLS_VERSION_TEXT),
                         T.OptionValue(key='migrate.hostLog',
                                       value='%s-%s.hlog' % (self.name, self.instance_uuid[:8])),
                         T.OptionValue(key='sched.swap.derivedName',
                                       value=self.file_path('-%s.vswp' % self.instance_uuid[:8]))],
            datastoreUrl=[T.VirtualMachineConfigInfoDatastoreUrlPair(
                name=self.datastore_object.name, url=self.datastore_object.path)],
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
            guestArchitecture=None)

    @property
    def resourceConfig(self):
        shared = _shared(self.server)
        return self.T.ResourceConfigSpec(
            entity=self.ref, lastModified=None, cpuAllocation=shared['cpu_allocation'],
            memoryAllocation=shared['memory_allocation'])

    # -- runtime / guest / summary -------------------------------------------------
    @property
    def runtime(self):
        T = self.T
        on = self.power_state == 'poweredOn'
        return T.VirtualMachineRuntimeInfo(
            device=[T.VirtualMachineDeviceRuntimeInfo(
                key=4000, runtimeState=T.VirtualMachineDeviceRuntimeInfoVirtualEthernetCardRuntimeState(
                    vmDirectPathGen2Active=False, attachmentStatus='green'))] if on else [],
            host=self.host.ref, connectionState='connected', powerState=self.power_state,
            vmFailoverInProgress=False, faultToleranceState='notConfigured',
            toolsInstallerMounted=False, bootTime=self.boot_time if on else None,
            suspendInterval=0, memoryOverhead=None,
            maxCpuUsage=self.num_cpu * 2294 if on else None,
            maxMemoryUsage=self.memory_mb if on else None,
            numMksConnections=0, recordReplayState='inactive', cleanPowerOff=not on,
            onlineStandby=False, consolidationNeeded=False, paused=False,
            snapshotInBackground=False, instantCloneFrozen=False,
            cryptoState='unlocked', suspendedToMemory=False)

    @property
    def guest(self):
        T = self.T
        on = self.power_state == 'poweredOn'
        family = GUEST_FAMILY.get(self.guest_id, 'otherGuestFamily')
        if not on:
            return T.GuestInfo(
                toolsStatus='toolsNotRunning', toolsVersionStatus='guestToolsCurrent',
                toolsVersionStatus2='guestToolsCurrent', toolsRunningStatus='guestToolsNotRunning',
                toolsVersion=TOOLS_VERSION_TEXT, toolsInstallType='guestToolsTypeOpenVMTools',
                guestId=self.guest_id, guestFamily=family, guestFullName=self.guest_full_name,
                guestState='notRunning', net=[], ipStack=[], disk=[],
                appHeartbeatStatus='appStatusGray', guestKernelCrashed=False,
                appState='none', guestOperationsReady=False,
                interactiveGuestOperationsReady=False, guestStateChangeSupported=False,
                hwVersion=HW_VERSION)
        ip = vm_ip(self.sequence)
        host_name = self.guest_host_name
        net_name = self.network_object.name if self.network_object is not None else None
        return T.GuestInfo(
            toolsStatus='toolsOk', toolsVersionStatus='guestToolsCurrent',
            toolsVersionStatus2='guestToolsCurrent', toolsRunningStatus='guestToolsRunning',
            toolsVersion=TOOLS_VERSION_TEXT, toolsInstallType='guestToolsTypeOpenVMTools',
            guestId=self.guest_id, guestFamily=family, guestFullName=self.guest_full_name,
            guestDetailedData=None, hostName=host_name, ipAddress=ip,
            net=[T.GuestNicInfo(
                network=net_name, ipAddress=[ip], macAddress=self.mac, connected=True,
                deviceConfigId=4000,
                ipConfig=T.NetIpConfigInfo(ipAddress=[T.NetIpConfigInfoIpAddress(
                    ipAddress=ip, prefixLength=16, state='preferred')]))],
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
                                  mappings=[T.GuestInfoVirtualDiskMapping(key=2000)])],
            screen=T.GuestScreenInfo(width=1024, height=768),
            guestState='running', appHeartbeatStatus='appStatusGray', guestKernelCrashed=False,
            appState='none', guestOperationsReady=True, interactiveGuestOperationsReady=False,
            guestStateChangeSupported=True, hwVersion=HW_VERSION)

    def quick_stats(self):
        T = self.T
        cpu, memory = self.usage_stats()
        on = self.power_state == 'poweredOn'
        uptime = int((datetime.now(timezone.utc) - self.boot_time).total_seconds()) \
            if on and self.boot_time else None
        return T.VirtualMachineQuickStats(
            overallCpuUsage=cpu, overallCpuDemand=cpu, overallCpuReadiness=0,
            guestMemoryUsage=memory // 2 if on else 0, hostMemoryUsage=memory,
            guestHeartbeatStatus=self.guestHeartbeatStatus,
            distributedCpuEntitlement=cpu, distributedMemoryEntitlement=memory,
            staticCpuEntitlement=self.num_cpu * 2294 if on else 0,
            staticMemoryEntitlement=self.memory_mb + 31 if on else 0,
            grantedMemory=memory, privateMemory=memory, sharedMemory=0, swappedMemory=0,
            balloonedMemory=0, consumedOverheadMemory=18 if on else 0, ftLogBandwidth=-1,
            ftSecondaryLatency=-1, ftLatencyStatus='gray', compressedMemory=0,
            uptimeSeconds=uptime, ssdSwappedMemory=0, activeMemory=memory // 4)

    def storage_summary(self):
        committed, uncommitted = self.storage_usage()
        return self.T.VirtualMachineStorageSummary(
            committed=committed, uncommitted=uncommitted, unshared=committed,
            timestamp=datetime.now(timezone.utc))

    @property
    def guest_host_name(self):
        return self.name.lower().replace('_', '-')

    @property
    def summary(self):
        T = self.T
        on = self.power_state == 'poweredOn'
        return T.VirtualMachineSummary(
            vm=self.ref, runtime=self.runtime,
            guest=T.VirtualMachineGuestSummary(
                guestId=self.guest_id, guestFullName=self.guest_full_name,
                toolsStatus='toolsOk' if on else 'toolsNotRunning',
                toolsVersionStatus='guestToolsCurrent', toolsVersionStatus2='guestToolsCurrent',
                toolsRunningStatus='guestToolsRunning' if on else 'guestToolsNotRunning',
                hostName=self.guest_host_name if on else None,
                ipAddress=vm_ip(self.sequence) if on else None, hwVersion=HW_VERSION),
            config=T.VirtualMachineConfigSummary(
                name=self.name, template=self.template, vmPathName=self.file_path('.vmx'),
                memorySizeMB=self.memory_mb, cpuReservation=0, memoryReservation=0,
                numCpu=self.num_cpu, numEthernetCards=1, numVirtualDisks=1, uuid=self.uuid,
                instanceUuid=self.instance_uuid, guestId=self.guest_id,
                guestFullName=self.guest_full_name, annotation='', installBootRequired=False,
                tpmPresent=False, numVmiopBackings=0, hwVersion=HW_VERSION),
            storage=self.storage_summary(), quickStats=self.quick_stats(),
            overallStatus=self.overallStatus)

    @property
    def storage(self):
        T = self.T
        committed, uncommitted = self.storage_usage()
        return T.VirtualMachineStorageInfo(
            perDatastoreUsage=[T.VirtualMachineUsageOnDatastore(
                datastore=self.datastore_object.ref, committed=committed,
                uncommitted=uncommitted, unshared=committed)],
            timestamp=datetime.now(timezone.utc))

    @property
    def layoutEx(self):
        T = self.T
        files = self.files()
        infos = [T.VirtualMachineFileLayoutExFileInfo(key=key, name=name, type=kind, size=size,
                                                      uniqueSize=size, accessible=True)
                 for key, (name, kind, size) in enumerate(files)]
        disk_keys = [key for key, (_, kind, _) in enumerate(files)
                     if kind in ('diskDescriptor', 'diskExtent')]
        return T.VirtualMachineFileLayoutEx(
            file=infos,
            disk=[T.VirtualMachineFileLayoutExDiskLayout(
                key=2000, chain=[T.VirtualMachineFileLayoutExDiskUnit(fileKey=disk_keys)])],
            snapshot=[], timestamp=datetime.now(timezone.utc))

    @property
    def layout(self):
        T = self.T
        files = self.files()
        return T.VirtualMachineFileLayout(
            configFile=[name for name, kind, _ in files if kind in ('nvram', 'snapshotList')],
            logFile=[name for name, kind, _ in files if kind == 'log'],
            disk=[T.VirtualMachineFileLayoutDiskLayout(key=2000,
                                                       diskFile=[self.file_path('.vmdk')])],
            snapshot=[],
            swapFile=next((name for name, kind, _ in files if kind == 'swap'), None))

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
    'connectionState': _constant('connected'),
    'host': lambda vm: vm.host.ref,
    'bootTime': _when_on(lambda vm: vm.boot_time),
    'maxCpuUsage': _when_on(lambda vm: vm.num_cpu * 2294),
    'maxMemoryUsage': _when_on(lambda vm: vm.memory_mb),
    'cleanPowerOff': lambda vm: not _on(vm),
}
_guest_readers = {
    'guestId': lambda vm: vm.guest_id,
    'guestFullName': lambda vm: vm.guest_full_name,
    'toolsStatus': lambda vm: 'toolsOk' if _on(vm) else 'toolsNotRunning',
    'toolsVersionStatus': _constant('guestToolsCurrent'),
    'toolsVersionStatus2': _constant('guestToolsCurrent'),
    'toolsRunningStatus': lambda vm: 'guestToolsRunning' if _on(vm) else 'guestToolsNotRunning',
    'hostName': _when_on(lambda vm: vm.guest_host_name),
    'ipAddress': _when_on(lambda vm: vm_ip(vm.sequence)),
}
_VM_PATH_READERS = {
    'summary.vm': lambda vm: vm.ref,
    'summary.overallStatus': lambda vm: vm.overallStatus,
    'summary.config.name': lambda vm: vm.name,
    'summary.config.template': lambda vm: vm.template,
    'summary.config.vmPathName': lambda vm: vm.file_path('.vmx'),
    'summary.config.memorySizeMB': lambda vm: vm.memory_mb,
    'summary.config.numCpu': lambda vm: vm.num_cpu,
    'summary.config.numEthernetCards': _constant(1),
    'summary.config.numVirtualDisks': _constant(1),
    'summary.config.uuid': lambda vm: vm.uuid,
    'summary.config.instanceUuid': lambda vm: vm.instance_uuid,
    'summary.config.guestId': lambda vm: vm.guest_id,
    'summary.config.guestFullName': lambda vm: vm.guest_full_name,
    'summary.config.annotation': _constant(''),
    'summary.config.hwVersion': _constant(HW_VERSION),
    'config.name': lambda vm: vm.name,
    'config.uuid': lambda vm: vm.uuid,
    'config.instanceUuid': lambda vm: vm.instance_uuid,
    'config.template': lambda vm: vm.template,
    'config.guestId': lambda vm: vm.guest_id,
    'config.guestFullName': lambda vm: vm.guest_full_name,
    'config.version': _constant(HW_VERSION),
    'config.annotation': _constant(''),
    'config.createDate': lambda vm: vm.created,
    'config.changeVersion': lambda vm: vm.change_version,
    'config.files.vmPathName': lambda vm: vm.file_path('.vmx'),
    'config.hardware.numCPU': lambda vm: vm.num_cpu,
    'config.hardware.numCoresPerSocket': _constant(1),
    'config.hardware.memoryMB': lambda vm: vm.memory_mb,
    'guest.guestState': lambda vm: 'running' if _on(vm) else 'notRunning',
    'guest.toolsVersion': _constant(TOOLS_VERSION_TEXT),
    'guest.guestFamily': lambda vm: GUEST_FAMILY.get(vm.guest_id, 'otherGuestFamily'),
}
for _name, _reader in _runtime_readers.items():
    _VM_PATH_READERS['runtime.' + _name] = _reader
    _VM_PATH_READERS['summary.runtime.' + _name] = _reader
for _name, _reader in _guest_readers.items():
    _VM_PATH_READERS['guest.' + _name] = _reader
    _VM_PATH_READERS['summary.guest.' + _name] = _reader
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
            syncTimeWithHostAllowed=True, syncTimeWithHost=False),
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
        'capability': _vm_capability(T),
    }
    for value in found.values():   # shared and read-only: written once per encoder
        freeze(value)
    _shared_objects[id(server.schema)] = found
    return found


def _vm_capability(T):
    cls = T.VirtualMachineCapability
    values = {f.name: True for f in cls._type.fields if f.type == 'boolean'}
    values.update(vmNpivWwnSupported=True, npivWwnOnNonRdmVmSupported=True,
                  recordReplaySupported=False, sevSupported=False, pmemFailoverSupported=False,
                  requireSgxAttestationSupported=False, sevSnpSupported=False,
                  tdxSupported=False, ehvSecureBootSupported=False,
                  virtualMmuUsageIgnored=True, virtualExecUsageIgnored=True,
                  perVmEvcSupported=True, vendorDeviceGroupSupported=True)
    return cls(**{k: v for k, v in values.items() if k in cls._type.field_map})
