"""EnvironmentBrowser: what a compute resource's hosts offer a VM.

The virtual hardware versions each ESXi release runs, the guest OS
catalogue (guest_os.py) as GuestOsDescriptors, the config target (the
datastores, networks and portgroups the hosts see) and the hosts'
capabilities. A host runs every version up to the newest of its release
(an ESXi 9.x host runs vmx-22, an 8.0 U2 / U3 one vmx-21).
"""
import re

from vimsim.managed.base import ManagedObject
from vimsim.managed.entity import data_types
from vimsim.managed.monitoring.event_manager import datacenter_of
from vimsim.managed.vm.guest_os import GUEST_OS
from vimsim.soap.fault import fault

# (virtual hardware version, description, the first ESXi release running it)
HARDWARE_VERSIONS = (
    ('vmx-03', 'ESX 2.x virtual machine', (2, 0, 0)),
    ('vmx-04', 'ESX 3.x virtual machine', (3, 0, 0)),
    ('vmx-07', 'ESX/ESXi 4.x virtual machine', (4, 0, 0)),
    ('vmx-08', 'ESXi 5.0 virtual machine', (5, 0, 0)),
    ('vmx-09', 'ESXi 5.1 virtual machine', (5, 1, 0)),
    ('vmx-10', 'ESXi 5.5 virtual machine', (5, 5, 0)),
    ('vmx-11', 'ESXi 6.0 virtual machine', (6, 0, 0)),
    ('vmx-13', 'ESXi 6.5 virtual machine', (6, 5, 0)),
    ('vmx-14', 'ESXi 6.7 virtual machine', (6, 7, 0)),
    ('vmx-15', 'ESXi 6.7 U2 virtual machine', (6, 7, 2)),
    ('vmx-17', 'ESXi 7.0 virtual machine', (7, 0, 0)),
    ('vmx-18', 'ESXi 7.0 U1 virtual machine', (7, 0, 1)),
    ('vmx-19', 'ESXi 7.0 U2 virtual machine', (7, 0, 2)),
    ('vmx-20', 'ESXi 8.0 virtual machine', (8, 0, 0)),
    ('vmx-21', 'ESXi 8.0 U2 virtual machine', (8, 0, 2)),
    ('vmx-22', 'ESXi 9.0 virtual machine', (9, 0, 0)),
)
DESCRIPTIONS = {key: description for key, description, _ in HARDWARE_VERSIONS}
CREATE_UNSUPPORTED = ('vmx-03',)   # runs, upgrades, but a new VM cannot be made at it
_HW_VERSION = re.compile(r'^vmx-(\d+)$')
MAX_CPUS = 768
MAX_MEMORY_MB = 24 * 1024 * 1024   # 24 TB


def hw_number(version):
    match = _HW_VERSION.match(version or '')
    return int(match.group(1)) if match else 0


def _release(host):
    version = host.about().version
    parts = [int(p) if p.isdigit() else 0 for p in version.split('.')[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def host_hw_versions(host):
    """The virtual hardware versions `host` runs, oldest first."""
    release = _release(host)
    return [key for key, _, since in HARDWARE_VERSIONS if since <= release]


def common_versions(hosts):
    """The versions every one of `hosts` runs (a cluster offers what all its
    hosts run), oldest first."""
    common = None
    for host in hosts:
        runs = host_hw_versions(host)
        common = runs if common is None else [v for v in common if v in runs]
    return common or []


def hardware_limits(compute_resource):
    """(default, maximum) hardware version keys for new VMs of
    `compute_resource`: its own configuration's, else its datacenter's
    (DatacenterConfigInfo); None where neither sets one."""
    if compute_resource is None:
        return None, None
    settings = compute_resource.settings
    datacenter = datacenter_of(compute_resource.server, compute_resource)
    config = datacenter.configuration if datacenter is not None else None
    default = settings.default_hardware_version or \
        (config.defaultHardwareVersionKey if config is not None else None)
    maximum = settings.maximum_hardware_version or \
        (config.maximumHardwareVersionKey if config is not None else None)
    return default, maximum


def default_version(versions, default, maximum):
    """The version a new VM gets among `versions` (oldest first) when it asks
    for none: the newest not above the default and the maximum."""
    caps = [hw_number(key) for key in (default, maximum) if key]
    eligible = [v for v in versions if not caps or hw_number(v) <= min(caps)]
    return eligible[-1] if eligible else (versions[-1] if versions else None)


def option_descriptors(T, hosts, default):
    """VirtualMachineConfigOptionDescriptors of the versions any of `hosts`
    runs, `default` the one marked defaultConfigOption."""
    return [T.VirtualMachineConfigOptionDescriptor(
        key=key, description=DESCRIPTIONS[key],
        host=[host.ref for host in hosts if key in host_hw_versions(host)],
        createSupported=key not in CREATE_UNSUPPORTED, defaultConfigOption=key == default,
        runSupported=True, upgradeSupported=True)
        for key, _, _ in HARDWARE_VERSIONS if any(key in host_hw_versions(h) for h in hosts)]


class EnvironmentBrowser(ManagedObject):
    type_name = 'EnvironmentBrowser'

    def __init__(self, server, moid, compute_resource):
        super().__init__(server, moid)
        self.compute_resource = compute_resource

    @property
    def T(self):
        return data_types(self.server)

    @property
    def datastoreBrowser(self):
        hosts = self.compute_resource.hosts
        return hosts[0].datastoreBrowser if hosts else None

    def _hosts(self, host):
        """The hosts a query is about: the one named (it must be the compute
        resource's: InvalidArgument otherwise), else all of them."""
        hosts = self.compute_resource.hosts
        if host is None:
            return list(hosts)
        found = self.server.objects.get(host)
        if found is None or found not in hosts:
            raise fault('InvalidArgument', 'A specified parameter was not correct: host',
                        invalidProperty='host')
        return [found]

    # -- descriptors ------------------------------------------------------------------
    def QueryConfigOptionDescriptor(self, ctx):
        """The versions the hosts run; the default is the one a new VM gets
        (the compute resource's or its datacenter's default and maximum)."""
        hosts = list(self.compute_resource.hosts)
        default = default_version(common_versions(hosts),
                                  *hardware_limits(self.compute_resource))
        return option_descriptors(self.T, hosts, default)

    # -- config options -----------------------------------------------------------------
    def QueryConfigOption(self, ctx, key=None, host=None):
        return self._config_option(key, host, None)

    def QueryConfigOptionEx(self, ctx, spec=None):
        if spec is None:
            return self._config_option(None, None, None)
        return self._config_option(spec.key, spec.host, spec.guestId)

    def _config_option(self, key, host, guest_ids):
        """The ConfigOption of hardware version `key` (default: the version a
        new VM gets, the newest the hosts all run unless a default or maximum
        says otherwise); None for a version they do not run. The guest
        descriptors are filtered to `guest_ids` unless none matches."""
        versions = common_versions(self._hosts(host))
        if not versions:
            return None
        key = key or default_version(versions, *hardware_limits(self.compute_resource))
        if key not in versions:
            return None
        T = self.T
        number = hw_number(key)
        guests = [descriptor(T, os, number) for os in GUEST_OS.values()
                  if os.id in self.server.schema.enums['VirtualMachineGuestOsIdentifier'].values]
        wanted = [g for g in guests if g.id in (guest_ids or ())]
        guests = wanted or guests
        default = next((i for i, g in enumerate(guests) if g.id == 'otherGuest64'), 0)
        vm_defaults = _default_devices(T)
        return T.VirtualMachineConfigOption(
            version=key, description=DESCRIPTIONS[key], guestOSDescriptor=guests,
            guestOSDefaultIndex=default, hardwareOptions=_hardware_option(T, number),
            capabilities=vm_capability(T),
            datastore=T.DatastoreOption(unsupportedVolumes=[]),
            defaultDevice=vm_defaults,
            supportedMonitorType=['release', 'debug', 'stats'],
            supportedOvfEnvironmentTransport=['com.vmware.guestInfo', 'iso'],
            supportedOvfInstallTransport=['com.vmware.guestInfo'])

    # -- targets --------------------------------------------------------------------------
    def QueryConfigTarget(self, ctx, host=None):
        """What the hosts offer a VM: their CPUs, the datastores, networks,
        distributed switches and portgroups they all reach."""
        T = self.T
        hosts = self._hosts(host)
        if not hosts:
            return None
        datastores = _shared_by(hosts, 'datastores')
        networks = _shared_by(hosts, 'networks')
        standard = [n for n in networks if n.type_name == 'Network']
        portgroups = [n for n in networks if n.type_name == 'DistributedVirtualPortgroup']
        switches = []
        for pg in portgroups:
            if pg.dvs not in switches:
                switches.append(pg.dvs)
        hardware = [h.read('hardware', None) for h in hosts]
        cpus = min(hw.cpuInfo.numCpuThreads for hw in hardware)
        cores = min(hw.cpuInfo.numCpuCores for hw in hardware)
        memory_mb = min(hw.memorySize for hw in hardware) // (1024 * 1024)
        return T.ConfigTarget(
            numCpus=cpus, numCpuCores=cores, numNumaNodes=1, maxCpusPerHost=cpus,
            smcPresent=False,
            datastore=[T.VirtualMachineDatastoreInfo(
                name=ds.name, datastore=ds.read('summary', None),
                capability=ds.read('capability', None),
                maxFileSize=ds.read('info', None).maxFileSize,
                maxVirtualDiskCapacity=ds.read('info', None).maxVirtualDiskCapacity,
                mode='readWrite', vStorageSupport='vStorageUnsupported')
                for ds in datastores],
            network=[T.VirtualMachineNetworkInfo(name=n.name, network=n.read('summary', None))
                     for n in standard],
            distributedVirtualPortgroup=[pg.portgroup_info() for pg in portgroups],
            distributedVirtualSwitch=[dvs.switch_info() for dvs in switches],
            maxMemMBOptimalPerf=memory_mb, supportedMaxMemMB=memory_mb,
            resourcePool=self.compute_resource.pool.read('runtime', None)
            if self.compute_resource.pool is not None else None,
            autoVmotion=False, sevSupported=False, maxSimultaneousThreads=1,
            sevSnpSupported=False, tdxSupported=False)

    def QueryTargetCapabilities(self, ctx, host=None):
        """The hosts' capabilities: the named host's, else the first's (a
        cluster's hosts are alike)."""
        hosts = self._hosts(host)
        return hosts[0].read('capability', None) if hosts else None


def _shared_by(hosts, attribute):
    """The objects every host of `hosts` has in `attribute`, in the first's order."""
    first = list(getattr(hosts[0], attribute))
    return [obj for obj in first if all(obj in getattr(h, attribute) for h in hosts[1:])]


def descriptor(T, os, hw):
    """The GuestOsDescriptor of a guest OS at hardware version `hw`."""
    efi = os.firmware == 'efi'
    controllers = ['VirtualIDEController', 'VirtualBusLogicController',
                   'VirtualLsiLogicController', 'VirtualLsiLogicSASController',
                   'ParaVirtualSCSIController', 'VirtualAHCIController', 'VirtualNVMEController']
    return T.GuestOsDescriptor(
        id=os.id, family=os.family, fullName=os.full_name, supportedMaxCPUs=MAX_CPUS,
        numSupportedPhysicalSockets=128, numSupportedCoresPerSocket=MAX_CPUS,
        supportedMinMemMB=4 if os.family == 'otherGuestFamily' else 32,
        supportedMaxMemMB=MAX_MEMORY_MB, recommendedMemMB=os.memory_mb,
        recommendedColorDepth=32,
        supportedDiskControllerList=controllers,
        recommendedSCSIController=os.disk_controller
        if 'SCSI' in os.disk_controller or 'LsiLogic' in os.disk_controller else None,
        recommendedDiskController=os.disk_controller, supportedNumDisks=256,
        recommendedDiskSizeMB=os.disk_mb,
        recommendedCdromController='VirtualAHCIController' if efi else 'VirtualIDEController',
        supportedEthernetCard=['VirtualE1000', 'VirtualE1000e', 'VirtualVmxnet3'],
        recommendedEthernetCard=os.nic, supportsSlaveDisk=True, smcRequired=False,
        supportsWakeOnLan=True, supportsVMI=False, supportsMemoryHotAdd=True,
        supportsCpuHotAdd=True, supportsCpuHotRemove=os.family == 'windowsGuest',
        supportedFirmware=['bios', 'efi'], recommendedFirmware=os.firmware,
        supportedUSBControllerList=['VirtualUSBController', 'VirtualUSBXHCIController'],
        recommendedUSBController='VirtualUSBXHCIController', supports3D=True,
        recommended3D=False, smcRecommended=False, ich7mRecommended=False,
        usbRecommended=False, supportLevel='supported', supportedForCreate=True,
        vRAMSizeInKB=T.IntOption(min=1024, max=262144, defaultValue=4096),
        numSupportedFloppyDevices=2, wakeOnLanEthernetCard=['VirtualE1000', 'VirtualE1000e',
                                                            'VirtualVmxnet3'],
        supportsPvscsiControllerForBoot=True, diskUuidEnabled=False, supportsHotPlugPCI=True,
        supportsSecureBoot=efi, defaultSecureBoot=efi and os.family == 'windowsGuest',
        persistentMemorySupported=hw >= 14, numRecommendedPhysicalSockets=1,
        numRecommendedCoresPerSocket=1, supportsTPM20=efi,
        recommendedTPM20=os.id == 'windows11_64Guest')


def _hardware_option(T, hw):
    def ints(low, high, default):
        return T.IntOption(min=low, max=high, defaultValue=default)

    shares = T.ResourceAllocationOption(sharesOption=T.SharesOption(
        sharesOption=ints(0, 1000000, 1000), defaultLevel='normal'))
    return T.VirtualHardwareOption(
        hwVersion=hw, virtualDeviceOption=[], deviceListReadonly=False,
        numCPU=list(range(1, MAX_CPUS + 1)), numCoresPerSocket=ints(1, MAX_CPUS, 1),
        autoCoresPerSocket=T.BoolOption(supported=True, defaultValue=True),
        numCpuReadonly=False, memoryMB=T.LongOption(min=4, max=MAX_MEMORY_MB, defaultValue=1024),
        numPCIControllers=ints(1, 1, 1), numIDEControllers=ints(2, 2, 2),
        numUSBControllers=ints(0, 1, 0), numUSBXHCIControllers=ints(0, 1, 0),
        numSIOControllers=ints(1, 1, 1), numPS2Controllers=ints(1, 1, 1),
        licensingLimit=[], numSupportedWwnPorts=ints(1, 16, 4),
        numSupportedWwnNodes=ints(1, 1, 1),
        resourceConfigOption=T.ResourceConfigOption(cpuAllocationOption=shares,
                                                    memoryAllocationOption=shares))


def vm_capability(T):
    """What a VM on these hosts can do: a VM's `capability` and a config
    option's `capabilities`."""
    cls = T.VirtualMachineCapability
    values = {f.name: True for f in cls._type.fields if f.type == 'boolean'}
    values.update(vmNpivWwnSupported=True, npivWwnOnNonRdmVmSupported=True,
                  recordReplaySupported=False, sevSupported=False, pmemFailoverSupported=False,
                  requireSgxAttestationSupported=False, sevSnpSupported=False,
                  tdxSupported=False, ehvSecureBootSupported=False,
                  virtualMmuUsageIgnored=True, virtualExecUsageIgnored=True,
                  perVmEvcSupported=True, vendorDeviceGroupSupported=True)
    return cls(**{k: v for k, v in values.items() if k in cls._type.field_map})


def _default_devices(T):
    """The devices every new VM has, as QueryConfigOption lists them."""
    def desc(label):
        return T.Description(label=label, summary=label)
    return [T.VirtualIDEController(key=200, deviceInfo=desc('IDE 0'), busNumber=0),
            T.VirtualIDEController(key=201, deviceInfo=desc('IDE 1'), busNumber=1),
            T.VirtualPS2Controller(key=300, deviceInfo=desc('PS2 controller 0'), busNumber=0,
                                   device=[600, 700]),
            T.VirtualPCIController(key=100, deviceInfo=desc('PCI controller 0'), busNumber=0,
                                   device=[500, 12000]),
            T.VirtualSIOController(key=400, deviceInfo=desc('SIO controller 0'), busNumber=0),
            T.VirtualKeyboard(key=600, deviceInfo=desc('Keyboard'), controllerKey=300,
                              unitNumber=0),
            T.VirtualPointingDevice(key=700, deviceInfo=desc('Pointing device'),
                                    backing=T.VirtualPointingDeviceDeviceBackingInfo(
                                        deviceName='', useAutoDetect=False,
                                        hostPointingDevice='autodetect'),
                                    controllerKey=300, unitNumber=1),
            T.VirtualMachineVideoCard(key=500, deviceInfo=desc('Video card '),
                                      controllerKey=100, unitNumber=0, videoRamSizeInKB=4096,
                                      numDisplays=1, useAutoDetect=False,
                                      enable3DSupport=False, use3dRenderer='automatic',
                                      graphicsMemorySizeInKB=262144),
            T.VirtualMachineVMCIDevice(key=12000, deviceInfo=desc('VMCI device'),
                                       controllerKey=100, unitNumber=17, id=-1,
                                       allowUnrestrictedCommunication=False,
                                       filterEnable=True)]
