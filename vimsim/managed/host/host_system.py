"""HostSystem: an ESXi host, its hardware, configuration and managers.

Primary state: name, index (from which the management IP and MACs derive),
system uuid, SSL thumbprint, boot time, connection and power state,
maintenance mode, its compute resource, and the lists of VMs, datastores and
networks placed on it, and its network configuration (`netconfig`,
host_network_system.py). `summary`, `runtime`, `config`,
`licensableResource` and the quick stats are computed on read; the hardware
description, identical for every simulated host but its uuid, is shared.
"""
from datetime import datetime, timezone

from vimsim import clock

from vimsim.managed.entity import ManagedEntity, data_types, refs
from vimsim.managed.host.connect_spec import check_host_connect, host_thumbprint
from vimsim.managed.host.config_managers import HostManagers
from vimsim.managed.host.crypto_manager_host import CryptoManagerHost, configure_crypto_key
from vimsim.managed.host.host_access_manager import NORMAL, UNLOCKED
from vimsim.managed.host.host_network_system import HostNetworkState
from vimsim.managed.host.host_pci_passthru_system import pci_devices
from vimsim.managed.host.host_settings import (PRODUCT_LOCKER_OPTION, check_locker, check_swap,
                                               checked_ipmi, default_swap)
from vimsim.managed.host.host_virtual_nic_manager import manager_info, vmotion_info
from vimsim.managed.host.overhead_memory_manager import MiB, hardware_overhead, overhead_bytes
from vimsim.managed.monitoring.load_model import load_model
from vimsim.managed.monitoring.rollup import Members
from vimsim.managed.monitoring.task import run_task, when_vacated
from vimsim.managed.service.service_instance import about_info
from vimsim.managed.storage.datastore_browser import HostDatastoreBrowser
from vimsim.managed.vm.provisioning import invalid_argument, unregister_vm
from vimsim.soap.encode import Long
from vimsim.soap.fault import fault

# vcsim's simulated host hardware (govmomi simulator/esx/host_hardware_info.go)
CPU_MODEL = 'Intel(R) Core(TM) i7-3615QM CPU @ 2.30GHz'
CPU_HZ = 2294450000
CPU_MHZ = CPU_HZ // 1000000
NUM_CPU_PKGS = 2
NUM_CPU_CORES = 2
NUM_CPU_THREADS = 2
MEMORY_SIZE = 4294430720
BUS_HZ = 66666666
NUM_HBAS = 3
ESX_BUILD = '24022510'
SYSTEM_RESOURCES_KEY = 'host/'
CIM_PORT = 5989                       # sfcbd's CIM-XML over HTTPS


def mgmt_ip(index):
    """The vmk0 address of the host with this index: 10.0.x.y from 10.0.0.11."""
    n = index + 11
    return '10.0.%d.%d' % (n // 250, n % 250)


def _description(T, key, label, summary):
    return T.ElementDescription(key=key, label=label, summary=summary)


def ha_enabled(compute_resource):
    """Whether vSphere HA is enabled on a host's cluster (its dasConfig)."""
    das = getattr(getattr(compute_resource, 'settings', None), 'das', None)
    return bool(das is not None and das.enabled)


def invalid_state(message='The operation is not allowed in the current state.'):
    return fault('InvalidState', message)


class HostSystem(ManagedEntity):
    type_name = 'HostSystem'
    remediationState = None
    # capacity: what the load model schedules on and admission control reserves from
    cpu_core_mhz = CPU_MHZ
    cpu_capacity_mhz = CPU_MHZ * NUM_CPU_CORES
    memory_capacity_mb = MEMORY_SIZE // (1024 * 1024)
    num_cpu_threads = NUM_CPU_THREADS     # logical CPUs a VM's vCPUs must fit in

    @property
    def reservable(self):
        """MHz and MB VMs may reserve here (admission control's view)."""
        return {'cpu': self.cpu_capacity_mhz, 'memory': self.memory_capacity_mb}

    def __init__(self, server, moid, name, parent, index, system_uuid, boot_time,
                 browser_moid=None):
        super().__init__(server, moid, name, parent)
        self.index = index
        self.system_uuid = system_uuid
        self.boot_time = boot_time
        self.ssl_thumbprint = host_thumbprint(name)
        self.connection_state = 'connected'      # HostSystemConnectionState
        self.power_state = 'poweredOn'           # HostSystemPowerState
        self.background_snapshots = False        # config.flags
        self.system_allocations = {}             # UpdateSystemResources: field -> allocation
        self.compute_resource = None
        self.vms = Members()
        self.datastores = []
        self.networks = []
        self.maintenance = False
        self.ipmi = None                         # UpdateIpmi's HostIpmiInfo (no password)
        self.system_swap = None                  # UpdateSystemSwapConfiguration's, else ESXi's
        self.netconfig = HostNetworkState(self)
        self._browser = HostDatastoreBrowser(
            server, browser_moid or 'datastoreBrowser-%s' % moid, self.datastores)
        self.managers = HostManagers(self)

    # -- links -----------------------------------------------------------------
    @property
    def vm(self):
        return refs(self.vms)

    @property
    def datastore(self):
        return refs(self.datastores)

    @property
    def network(self):
        return refs(self.networks)

    @property
    def datastoreBrowser(self):
        return self._browser.ref

    def view_children(self):
        return self.vm

    @property
    def ip(self):
        return mgmt_ip(self.index)

    # -- hardware ---------------------------------------------------------------
    @property
    def hardware(self):
        T = self.T
        pkgs = [T.HostCpuPackage(index=i, vendor='intel', hz=CPU_HZ, busHz=BUS_HZ,
                                 description=CPU_MODEL, threadId=[i], family=6, model=58,
                                 stepping=9)
                for i in range(NUM_CPU_PKGS)]
        return T.HostHardwareInfo(
            systemInfo=self._system_info(),
            cpuPowerManagementInfo=T.HostCpuPowerManagementInfo(
                currentPolicy=self.managers['powerSystem'].policy.label, hardwareSupport=''),
            cpuInfo=T.HostCpuInfo(numCpuPackages=NUM_CPU_PKGS, numCpuCores=NUM_CPU_CORES,
                                  numCpuThreads=NUM_CPU_THREADS, hz=CPU_HZ),
            cpuPkg=pkgs, memorySize=MEMORY_SIZE,
            numaInfo=T.HostNumaInfo(type='NUMA', numNodes=1, numaNode=[T.HostNumaNode(
                typeId=0, cpuID=list(range(NUM_CPU_THREADS)), memoryRangeBegin=0,
                memoryRangeLength=MEMORY_SIZE)]),
            smcPresent=False,
            biosInfo=T.HostBIOSInfo(biosVersion='6.00', vendor='Phoenix Technologies LTD',
                                    releaseDate=datetime(2020, 11, 12, tzinfo=timezone.utc),
                                    firmwareType='BIOS'),
            pciDevice=pci_devices(T), memoryTieringType='noTiering',
            sgxInfo=T.HostSgxInfo(sgxState='notPresent', totalEpcMemory=0, flcMode='off',
                                  registrationInfo=T.HostSgxRegistrationInfo(
                                      status='notApplicable')),
            memoryTierInfo=[T.HostMemoryTierInfo(name='DRAM', type='DRAM', flags=['memoryTier'],
                                                 size=MEMORY_SIZE)])

    def _system_info(self):
        T = self.T
        return T.HostSystemInfo(
            vendor='VMware, Inc.', model='VMware Virtual Platform', uuid=self.system_uuid,
            otherIdentifyingInfo=self._identifying(T),
            serialNumber='VMware-%s' % self.system_uuid.replace('-', '')[:16])

    def _identifying(self, T):
        return [T.HostSystemIdentificationInfo(
            identifierValue='VMware-%s' % self.system_uuid.replace('-', '')[:16],
            identifierType=_description(T, 'ServiceTag', 'Service tag',
                                        'Service tag of the system'))]

    # -- summary / runtime -------------------------------------------------------
    @property
    def runtime(self):
        T = self.T
        return T.HostRuntimeInfo(
            connectionState=self.connection_state, powerState=self.power_state,
            standbyMode='in' if self.power_state == 'standBy' else 'none',
            inMaintenanceMode=self.maintenance, inQuarantineMode=False,
            bootTime=self.boot_time, dasHostState=self._das_host_state(),
            healthSystemRuntime=self.health_runtime(),
            networkRuntimeInfo=self.netconfig.runtime_info(),
            hostMaxVirtualDiskCapacity=68169720922112, **self._crypto_runtime(),
            vsanRuntimeInfo=self.managers['vsanSystem'].runtime_info(T),
            stateEncryption=T.HostRuntimeInfoStateEncryptionInfo(protectionMode='none'))

    def _crypto_runtime(self):
        """runtime.cryptoState and cryptoKeyId: its CryptoManagerHost's."""
        crypto = self.managers.get('cryptoManager')
        if not isinstance(crypto, CryptoManagerHost):
            return {'cryptoState': 'incapable'}
        return {'cryptoState': crypto.crypto_state, 'cryptoKeyId': crypto.host_key_id()}

    def _das_host_state(self):
        """The HA agent's state, from the host's cluster (inventory/ha.py)."""
        state = getattr(self.compute_resource, 'das_host_state', None)
        return state(self) if state is not None else None

    def health_runtime(self):
        T = self.T
        ok = _description(T, 'Green', 'Green', 'Sensor is operating under normal conditions')
        return T.HealthSystemRuntime(
            systemHealthInfo=T.HostSystemHealthInfo(numericSensorInfo=[
                T.HostNumericSensorInfo(name='VMware Rollup Health State', healthState=ok,
                                        currentReading=0, unitModifier=0,
                                        baseUnits='', sensorType='system')]),
            hardwareStatusInfo=T.HostHardwareStatusInfo(
                memoryStatusInfo=[T.HostHardwareElementInfo(name='Memory', status=ok)],
                cpuStatusInfo=[T.HostHardwareElementInfo(name='CPU socket #%d' % i, status=ok)
                               for i in range(NUM_CPU_PKGS)]))

    def about(self):
        return about_info(self.server.schema, self.server.api_version, True, None)

    def quick_stats(self):
        sample = load_model(self.server).host_sample(self)
        uptime = int((clock.now() - self.boot_time).total_seconds())
        return self.T.HostListSummaryQuickStats(
            overallCpuUsage=sample.cpu_usage, overallMemoryUsage=sample.memory_usage,
            distributedCpuFairness=10000, distributedMemoryFairness=10000,
            availablePMemCapacity=0, uptime=uptime)

    @property
    def summary(self):
        T = self.T
        return T.HostListSummary(
            host=self.ref,
            hardware=T.HostHardwareSummary(
                vendor='VMware, Inc.', model='VMware Virtual Platform', uuid=self.system_uuid,
                otherIdentifyingInfo=self._identifying(T), memorySize=MEMORY_SIZE,
                cpuModel=CPU_MODEL, cpuMhz=CPU_MHZ, numCpuPkgs=NUM_CPU_PKGS,
                numCpuCores=NUM_CPU_CORES, numCpuThreads=NUM_CPU_THREADS,
                numNics=len(self.netconfig.link_speeds), numHBAs=NUM_HBAS),
            runtime=self.runtime,
            config=T.HostConfigSummary(
                name=self.name, port=443, product=self.about(),
                vmotionEnabled=bool(self.netconfig.selected.get('vmotion')),
                faultToleranceEnabled=bool(self.netconfig.selected.get('faultToleranceLogging')),
                sslThumbprint=self.ssl_thumbprint),
            quickStats=self.quick_stats(), overallStatus=self.overallStatus,
            rebootRequired=False, managementServerIp=None if self.server.esx else '127.0.0.1',
            customValue=self.customValue)

    @property
    def capability(self):
        return _host_capability(self.server)

    @property
    def licensableResource(self):
        T = self.T
        started = sum(1 for vm in self.vms if vm.power_state == 'poweredOn')
        return T.HostLicensableResourceInfo(resource=[
            T.KeyAnyValue(key='numCpuPackages', value=Long(NUM_CPU_PKGS)),
            T.KeyAnyValue(key='numCpuCores', value=Long(NUM_CPU_CORES)),
            T.KeyAnyValue(key='numVmsStarted', value=Long(started))])

    @property
    def configManager(self):
        return self.T.HostConfigManager(**self.managers.refs)

    @property
    def systemResources(self):
        T = self.T
        allocations = self.system_allocations
        return T.HostSystemResourceInfo(key=SYSTEM_RESOURCES_KEY, config=T.ResourceConfigSpec(
            entity=None,
            cpuAllocation=allocations.get('cpuAllocation') or T.ResourceAllocationInfo(
                reservation=0, expandableReservation=False, limit=-1,
                shares=T.SharesInfo(shares=4000, level='normal'), overheadLimit=None),
            memoryAllocation=allocations.get('memoryAllocation') or T.ResourceAllocationInfo(
                reservation=0, expandableReservation=False, limit=-1,
                shares=T.SharesInfo(shares=163840, level='normal'))))

    # -- storage configuration --------------------------------------------------
    def file_system_volume_info(self):
        T = self.T
        return T.HostFileSystemVolumeInfo(
            volumeTypeList=['VMFS', 'NFS', 'NFS41', 'vsan', 'VVOL', 'VFFS', 'OTHER', 'PMEM'],
            mountInfo=[T.HostFileSystemMountInfo(
                mountInfo=ds.mount_info(self), volume=ds.volume(),
                vStorageSupport='vStorageUnsupported')
                for ds in self.datastores] + self.managers['storageSystem'].vffs_mounts())

    def datastore_capabilities(self):
        return self.T.HostDatastoreSystemCapabilities(
            nfsMountCreationRequired=True, nfsMountCreationSupported=True,
            localDatastoreSupported=False, vmfsExtentExpansionSupported=True)

    # -- config ----------------------------------------------------------------
    @property
    def config(self):
        from vimsim.managed.storage.io_filter_manager import host_filters
        T = self.T
        managers = self.managers
        datastore_system = managers['datastoreSystem']
        return T.HostConfigInfo(
            host=self.ref, product=self.about(),
            hyperThread=managers['cpuScheduler'].hyperthreadInfo,
            storageDevice=managers['storageSystem'].storageDeviceInfo,
            fileSystemVolume=self.file_system_volume_info(),
            systemFile=['/var/log/vmware/hostd.log'],
            network=self.netconfig.info(),
            vmotion=vmotion_info(self),
            virtualNicManagerInfo=manager_info(self),
            capabilities=self.netconfig.capabilities(),
            datastoreCapabilities=self.datastore_capabilities(),
            ioFilterInfo=host_filters(self),
            offloadCapabilities=self.netconfig.offload_capabilities(),
            service=managers['serviceSystem'].serviceInfo,
            firewall=managers['firewallSystem'].firewallInfo,
            autoStart=managers['autoStartManager'].config,
            option=managers['advancedOption'].setting,
            optionDef=managers['advancedOption'].supportedOption,
            datastorePrincipal=datastore_system.principal,
            ipmi=self.ipmi,
            systemSwapConfiguration=self.system_swap or default_swap(T),
            localSwapDatastore=datastore_system.local_swap and datastore_system.local_swap.ref,
            systemResources=self.systemResources,
            dateTimeInfo=managers['dateTimeSystem'].dateTimeInfo,
            flags=T.HostFlagInfo(backgroundSnapshotsEnabled=self.background_snapshots),
            adminDisabled=managers['hostAccessManager'].locked,
            lockdownMode=managers['hostAccessManager'].lockdownMode,
            featureVersion=[T.HostFeatureVersionInfo(key='faultTolerance',
                                                     value='vFT:7.0;vSMP-FT:7.0')],
            powerSystemCapability=managers['powerSystem'].capability,
            powerSystemInfo=managers['powerSystem'].info,
            wakeOnLanCapable=False,
            domainList=managers['authenticationManager'].active_directory.domains(),
            authenticationManagerInfo=managers['authenticationManager'].info,
            graphicsInfo=[], sharedPassthruGpuTypes=[],
            pciPassthruInfo=managers['pciPassthruSystem'].pciPassthruInfo,
            vFlashConfigInfo=managers['vFlashManager'].vFlashConfigInfo,
            vsanHostConfig=managers['vsanSystem'].config,
            assignableHardwareBinding=managers['assignableHardwareManager'].binding,
            assignableHardwareConfig=managers['assignableHardwareManager'].config)


    # -- state -------------------------------------------------------------------------
    @property
    def own_status(self):
        return 'green' if self.connection_state == 'connected' else 'gray'

    @property
    def effective(self):
        """Whether the host adds to its compute resource's effective capacity:
        connected, powered on and not in maintenance mode."""
        return (self.connection_state == 'connected' and self.power_state == 'poweredOn'
                and not self.maintenance)

    def state_changed(self, vms_too=False):
        """Report a change of connection, power or maintenance state: the
        host's runtime and summary, its compute resource's roll-ups and root
        pool, and (`vms_too`) its VMs' runtime, which follows the host's."""
        self.changed('runtime', 'summary', 'overallStatus', 'config')
        compute = self.compute_resource
        if compute is not None:
            compute.changed('summary', 'summaryEx', 'configurationEx')
            if compute.pool is not None:
                compute.pool.changed()
            elect = getattr(compute, 'host_state_changed', None)
            if elect is not None:
                elect(self)
        if vms_too:
            for vm in self.vms:
                vm.changed('runtime', 'summary')

    def _require_connected(self):
        if self.connection_state != 'connected':
            raise fault('HostNotConnected', 'Unable to communicate with the remote host, '
                        'since it is disconnected.')

    def _require_vcenter(self):
        if self.server.esx:
            raise fault('NotSupported', 'The operation is not supported on the object.')

    def _powered_on_vms(self):
        return [vm for vm in self.vms if vm.power_state == 'poweredOn']

    def _when_vacated(self, task, timeout, blockers, then):
        return when_vacated(self.server, task, timeout, blockers, then)

    # -- maintenance mode ----------------------------------------------------------------
    def EnterMaintenanceMode_Task(self, ctx, timeout, evacuatePoweredOffVms=False,
                                  maintenanceSpec=None):
        """The task runs until no VM on the host is powered on (and, with
        evacuatePoweredOffVms on a vCenter, until no VM is registered on it),
        or fails with Timedout after `timeout`
        seconds. In a DRS cluster DRS moves them (inventory/drs.py). A vSAN
        node checks maintenanceSpec.vsanMode as EvacuateVsanNode_Task does."""
        evacuate_all = bool(evacuatePoweredOffVms) and not self.server.esx

        def blockers():
            return list(self.vms) if evacuate_all else self._powered_on_vms()

        def work(task):
            self._require_connected()
            if self.maintenance:
                raise invalid_state()
            self.managers['vsanSystem'].check_maintenance(maintenanceSpec)
            task.post_event('EnteringMaintenanceModeEvent', self)
            evacuate = getattr(self.compute_resource, 'evacuate', None)   # DRS moves its VMs
            if evacuate is not None:
                evacuate(self, evacuate_all)
            return self._when_vacated(task, timeout, blockers,
                                      lambda: self.set_maintenance(task, True))
        return run_task(ctx, self, 'EnterMaintenanceMode_Task', work, cancelable=True)

    def ExitMaintenanceMode_Task(self, ctx, timeout):
        def work(task):
            self._require_connected()
            self.set_maintenance(task, False)
        return run_task(ctx, self, 'ExitMaintenanceMode_Task', work)

    def set_maintenance(self, task, on):
        """Enter (`on`) or exit maintenance mode now, with vCenter's event;
        InvalidState when the host already is (or is not) in it."""
        if self.maintenance == on:
            raise invalid_state()
        self.maintenance = on
        self.state_changed()
        task.post_event('EnteredMaintenanceModeEvent' if on else 'ExitMaintenanceModeEvent',
                        self)

    # -- connection ----------------------------------------------------------------------
    def set_connection_state(self, state):
        """Connect or disconnect: the host's VMs' connectionState follows."""
        self.connection_state = state
        self.state_changed(vms_too=True)

    def DisconnectHost_Task(self, ctx):
        """vCenter keeps the host and its VMs in the inventory, disconnected;
        disconnecting a disconnected host changes nothing."""
        self._require_vcenter()

        def work(task):
            if self.connection_state == 'disconnected':
                return
            self.set_connection_state('disconnected')
            task.post_event('HostDisconnectedEvent', self, reason='userRequest')
        return run_task(ctx, self, 'DisconnectHost_Task', work)

    def ReconnectHost_Task(self, ctx, cnxSpec=None, reconnectSpec=None):
        """Reconnect with the credentials vCenter keeps, or those of
        `cnxSpec`, which must name this host (its thumbprint is the one
        vCenter already trusts unless the spec gives another)."""
        self._require_vcenter()

        def work(task):
            if self.power_state != 'poweredOn':
                raise invalid_state()
            if cnxSpec is not None:
                host_name = cnxSpec.hostName or self.name
                if host_name.lower() != self.name.lower():
                    raise fault('InvalidName', "The name '%s' is invalid." % host_name,
                                name=host_name, entity=self.ref)
                check_host_connect(cnxSpec, host_name, cnxSpec.sslThumbprint or
                                   self.ssl_thumbprint)
            if self.connection_state == 'connected':
                return
            self.set_connection_state('connected')
            task.post_event('HostConnectedEvent', self)
        return run_task(ctx, self, 'ReconnectHost_Task', work)

    # -- power -----------------------------------------------------------------------------
    def _power_off_vms(self, post_event):
        """A host going down takes its running VMs down with it."""
        for vm in self._powered_on_vms():
            vm.set_power_state('poweredOff')
            post_event('VmPoweredOffEvent', vm)

    def _check_power_operation(self, force):
        self._require_connected()
        if not force and not self.maintenance:
            raise invalid_state('The operation is not allowed in the current state of the '
                                'host: it is not in maintenance mode.')

    def RebootHost_Task(self, ctx, force):
        """Only in maintenance mode unless `force`; the host comes back at
        once with a new boot time, its running VMs powered off."""
        def work(task):
            self._check_power_operation(force)
            self.reboot(task.post_event)
        return run_task(ctx, self, 'RebootHost_Task', work)

    def reboot(self, post_event):
        """The host restarts now (RebootHost_Task, a firmware restore or
        reset): running VMs power off (their events through `post_event`),
        boot-time settings take effect."""
        self._power_off_vms(post_event)
        self.boot_time = clock.now()
        self.netconfig.ipv6_enabled = self.netconfig.ipv6_at_boot
        self.state_changed(vms_too=True)

    def ShutdownHost_Task(self, ctx, force):
        """Only in maintenance mode unless `force`. The host stays in the
        inventory, powered off and not responding, as vCenter shows it."""
        def work(task):
            self._check_power_operation(force)
            self._power_off_vms(task.post_event)
            self.power_state = 'poweredOff'
            self.connection_state = 'notResponding'
            self.state_changed(vms_too=True)
            task.post_event('HostShutdownEvent', self, reason='Requested by the user')
        return run_task(ctx, self, 'ShutdownHost_Task', work)

    def PowerDownHostToStandBy_Task(self, ctx, timeoutSec, evacuatePoweredOffVms=False):
        """vCenter's DPM standby: waits like EnterMaintenanceMode until no VM
        runs here (Timedout after `timeoutSec`), then the host sleeps."""
        self._require_vcenter()

        def standby(task):
            events = getattr(task, 'event_prefix', '')   # DPM's are Drs* events
            task.post_event(events + 'EnteringStandbyModeEvent', self)
            self.power_state = 'standBy'
            self.state_changed(vms_too=True)
            task.post_event(events + 'EnteredStandbyModeEvent', self)

        def work(task):
            self._require_connected()
            if self.power_state != 'poweredOn':
                raise invalid_state()
            blockers = (lambda: list(self.vms)) if evacuatePoweredOffVms else \
                self._powered_on_vms
            return self._when_vacated(task, timeoutSec, blockers, lambda: standby(task))
        return run_task(ctx, self, 'PowerDownHostToStandBy_Task', work, cancelable=True)

    def PowerUpHostFromStandBy_Task(self, ctx, timeoutSec):
        self._require_vcenter()

        def work(task):
            if self.power_state != 'standBy':
                raise invalid_state()
            events = getattr(task, 'event_prefix', '')
            task.post_event(events + 'ExitingStandbyModeEvent', self)
            self.power_state = 'poweredOn'
            self.boot_time = clock.now()
            self.state_changed(vms_too=True)
            task.post_event(events + 'ExitedStandbyModeEvent', self)
        return run_task(ctx, self, 'PowerUpHostFromStandBy_Task', work)

    # -- small methods --------------------------------------------------------------------
    def EnterLockdownMode(self, ctx):
        """vSphere 2.5's lockdown: normal lockdown mode."""
        access = self.managers['hostAccessManager']
        if access.locked:
            raise fault('AdminDisabled', 'The administrator permission of the host is already '
                        'disabled.')
        access.set_mode(ctx, NORMAL)

    def ExitLockdownMode(self, ctx):
        access = self.managers['hostAccessManager']
        if not access.locked:
            raise fault('AdminNotDisabled', 'The administrator permission of the host is not '
                        'disabled.')
        access.set_mode(ctx, UNLOCKED)

    def UpdateFlags(self, ctx, flagInfo):
        if flagInfo.backgroundSnapshotsEnabled is not None:
            self.background_snapshots = bool(flagInfo.backgroundSnapshotsEnabled)
            self.changed('config')

    def RetrieveHardwareUptime(self, ctx):
        """Seconds since the host last booted."""
        self._require_connected()
        return Long(int((clock.now() - self.boot_time).total_seconds()))

    def QueryMemoryOverheadEx(self, ctx, vmConfigInfo):
        """The memory this host would reserve beyond a VM's own (bytes):
        overhead_memory_manager's formula."""
        return hardware_overhead(self.T, vmConfigInfo.hardware, 'vmConfigInfo.hardware')

    def QueryMemoryOverhead(self, ctx, memorySize, numVcpus, videoRamSize=None):
        """QueryMemoryOverheadEx's answer for a VM of `memorySize` bytes,
        `numVcpus` and `videoRamSize` bytes of video RAM."""
        if memorySize <= 0 or numVcpus <= 0 or (videoRamSize or 0) < 0:
            raise invalid_argument('memorySize' if memorySize <= 0 else
                                   'numVcpus' if numVcpus <= 0 else 'videoRamSize')
        return overhead_bytes(memorySize / MiB, numVcpus, (videoRamSize or 0) / 1024.0)

    def UpdateIpmi(self, ctx, ipmiInfo):
        """The BMC login vCenter's DPM wakes the host with (host_settings.py);
        `config.ipmi` shows it without the password."""
        self._require_vcenter()
        self.ipmi = checked_ipmi(self.T, self, ipmiInfo)
        self.changed('config')

    def UpdateSystemSwapConfiguration(self, ctx, sysSwapConfig):
        check_swap(self, sysSwapConfig)
        self.system_swap = self.T.HostSystemSwapConfiguration(option=list(sysSwapConfig.option))
        self.changed('config')

    def QueryProductLockerLocation(self, ctx):
        """The VMware Tools repository: the UserVars.ProductLockerLocation setting."""
        return self.managers['advancedOption'].values[PRODUCT_LOCKER_OPTION]

    def UpdateProductLockerLocation_Task(self, ctx, path):
        """Point the product locker at a directory on a datastore this host
        mounts (FileNotFound otherwise); the task's result is the path."""
        def work(task):
            self._require_connected()
            check_locker(self, path)
            self.managers['advancedOption'].set_value(PRODUCT_LOCKER_OPTION, path)
            return path
        return run_task(ctx, self, 'UpdateProductLockerLocation_Task', work)

    def QueryTpmAttestationReport(self, ctx):
        """The simulated host has no TPM (capability.tpmSupported is false):
        vCenter has no report for it."""
        self._require_vcenter()
        return None

    def RetrieveFreeEpcMemory(self, ctx):
        """No SGX on the virtual platform (hardware.sgxInfo): no EPC memory."""
        return Long(0)

    def AcquireCimServicesTicket(self, ctx):
        """A one-session ticket for the host's CIM server (sfcbd, port 5989),
        which WBEM clients send as user name and password; the simulator
        runs no CIM server, so the ticket opens nothing here."""
        self._require_connected()
        return self.T.HostServiceTicket(
            host=self.name, port=CIM_PORT, sslThumbprint=self.ssl_thumbprint, service='CIM',
            serviceVersion='1.0', sessionId=self.server.new_uuid())

    def ReconfigureHostForDAS_Task(self, ctx):
        """Reconfigure the host's vSphere HA agent: only a connected host of a
        cluster with HA enabled has one (DasConfigFault otherwise)."""
        self._require_vcenter()

        def work(task):
            self._require_connected()
            if not ha_enabled(self.compute_resource):
                raise fault('DasConfigFault', 'vSphere HA is not enabled on the cluster of '
                            'host %s.' % self.name, reason='HostMisconfiguration',
                            output='vSphere HA is not enabled on this host\'s cluster')
            task.post_event('HostDasEnablingEvent', self)
            task.post_event('HostDasEnabledEvent', self)
        return run_task(ctx, self, 'ReconfigureHostForDAS_Task', work)

    def UpdateSystemResources(self, ctx, resourceInfo):
        """Set the allocation of the host's system resource pool ('host/',
        the only one the simulated host has: InvalidArgument for another
        key or for children it does not have)."""
        if resourceInfo.key != SYSTEM_RESOURCES_KEY:
            raise invalid_argument('resourceInfo.key')
        if resourceInfo.child:
            raise invalid_argument('resourceInfo.child')
        config = resourceInfo.config
        if config is not None:
            for name in ('cpuAllocation', 'memoryAllocation'):
                allocation = getattr(config, name)
                if allocation is None:
                    continue
                if (allocation.reservation or 0) < 0 or \
                        (allocation.limit is not None and allocation.limit < -1):
                    raise invalid_argument('resourceInfo.config.%s' % name)
                self.system_allocations[name] = allocation
        self.changed('systemResources', 'config')

    # -- encryption (API 6.5's, before the host's CryptoManagerHost had them) --------
    def _crypto(self):
        crypto = self.managers.get('cryptoManager')
        if crypto is None:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        return crypto

    def PrepareCrypto(self, ctx):
        """The host gets ready for keys: incapable -> prepared."""
        self._crypto().CryptoManagerHostPrepare(ctx)

    def EnableCrypto(self, ctx, keyPlain):
        """A prepared host takes its host key: prepared -> safe."""
        self._crypto().CryptoManagerHostEnable(ctx, keyPlain)

    def ConfigureCryptoKey(self, ctx, keyId=None):
        """vCenter sets the host key (a given, existing or new one) and makes
        the host crypto-safe."""
        configure_crypto_key(ctx, self, keyId)

    def QueryHostConnectionInfo(self, ctx):
        return self.connection_info()

    def connection_info(self):
        """The HostConnectInfo vCenter reads from a host: its summary, VMs,
        networks, datastores and capability."""
        T = self.T
        compute = self.compute_resource
        return T.HostConnectInfo(
            serverIp=self.ip, inDasCluster=ha_enabled(compute),
            host=self.summary, vm=[vm.summary for vm in self.vms],
            vimAccountNameRequired=False, clusterSupported=True,
            network=[T.HostConnectInfoNetworkInfo(summary=net.summary)
                     for net in self.networks],
            datastore=[T.HostDatastoreConnectInfo(summary=ds.summary) for ds in self.datastores],
            capability=self.capability)

    # -- leaving the inventory --------------------------------------------------------------
    def Destroy_Task(self, ctx):
        """Remove the host from vCenter: a connected host must be in
        maintenance mode; its VMs leave the inventory with it, and so do
        datastores and standard networks no other host sees. A standalone
        host's ComputeResource goes with it."""
        self._require_vcenter()

        def work(task):
            if self.connection_state == 'connected' and not self.maintenance:
                raise invalid_state()
            task.post_event('HostRemovedEvent', self)
            self.remove_from_inventory(task)
        return run_task(ctx, self, 'Destroy_Task', work)

    def remove_from_inventory(self, task):
        """Its VMs leave the inventory as vCenter removes them with a host
        (VmRemovedEvent, their files kept)."""
        for vm in list(self.vms):
            task.post_event('VmRemovedEvent', vm)
            unregister_vm(vm)
        for ds in list(self.datastores):
            ds.hosts.remove(self)
            ds.changed('host', 'summary')
            if not ds.hosts and not ds.vms:
                _destroy_ref(self.server, ds.browser)
                ds.leave_inventory()
        for network in list(self.networks):
            if self in network.hosts:
                network.hosts.remove(self)
            dvs = getattr(network, 'dvs', None)
            if dvs is not None and self in dvs.hosts:
                dvs.remove_member(self)
                dvs.changed()
            network.changed('host', 'summary')
            if network.type_name == 'Network' and not network.hosts and not network.vms:
                network.leave_inventory()
        compute = self.compute_resource
        compute.hosts.remove(self)
        compute.changed('host', 'summary', 'summaryEx', 'datastore', 'network')
        if compute.type_name == 'ComputeResource':
            compute.unlink()
        self.managers.forget()
        self._browser.destroy()
        self.destroy()


def _destroy_ref(server, ref):
    """Destroy the helper object (a browser) an entity going away holds."""
    obj = server.objects.get(ref)
    if obj is not None:
        obj.destroy()




_capabilities = {}


def _host_capability(server):
    found = _capabilities.get(id(server.schema))
    if found is not None:
        return found
    T = data_types(server)
    cls = T.HostCapability
    values = {}
    for field in cls._type.fields:
        if field.type == 'boolean':
            values[field.name] = False
    values.update(
        recursiveResourcePoolsSupported=True, cpuMemoryResourceConfigurationSupported=True,
        rebootSupported=True, shutdownSupported=True, vmotionSupported=True,
        standbySupported=True, ipmiSupported=True, maxSupportedVMs=None, maxRunningVMs=None,
        maxSupportedVcpus=768, maxRegisteredVMs=1024, sanSupported=True, nfsSupported=True,
        iscsiSupported=True, vlanTaggingSupported=True, nicTeamingSupported=True,
        highGuestMemSupported=True, maintenanceModeSupported=True,
        suspendedRelocateSupported=True, restrictedSnapshotRelocateSupported=True,
        perVmSwapFiles=True, localSwapDatastoreSupported=True,
        unsharedSwapVMotionSupported=True, preAssignedPCIUnitNumbersSupported=True,
        screenshotSupported=True, scaledScreenshotSupported=True,
        storageVMotionSupported=True, vmotionWithStorageVMotionSupported=True,
        vmotionAcrossNetworkSupported=True, maxNumDisksSVMotion=256,
        maxVirtualDiskDescVersionSupported=None,
        hbrNicSelectionSupported=True, vrNfcNicSelectionSupported=True,
        replayUnsupportedReason='incompatibleProduct',
        ftCompatibilityIssues=['haAgentIssue', 'missingFTLoggingNic', 'missingVMotionNic'],
        smpFtCompatibilityIssues=['haAgentIssue', 'missingFTLoggingNic', 'missingVMotionNic'],
        maxVcpusPerFtVm=8, loginBySSLThumbprintSupported=True,
        cloneFromSnapshotSupported=True, deltaDiskBackingsSupported=True,
        virtualExecUsageSupported=True, storageIORMSupported=True,
        vmDirectPathGen2Supported=False, supportedVmfsMajorVersion=[5, 6],
        vStorageCapable=True, snapshotRelayoutSupported=True, firewallIpRulesSupported=True,
        servicePackageInfoSupported=True, maxHostRunningVms=1024, maxHostSupportedVcpus=4096,
        vmfsDatastoreMountCapable=True, eightPlusHostVmfsSharedAccessSupported=True,
        nestedHVSupported=True, scheduledHardwareUpgradeSupported=True,
        featureCapabilitiesSupported=True, latencySensitivitySupported=True,
        storagePolicySupported=True, reliableMemoryAware=True,
        multipleNetworkStackInstanceSupported=True, messageBusProxySupported=True,
        vsanSupported=True, vFlashSupported=True, hostAccessManagerSupported=True,
        provisioningNicSelectionSupported=True, nfs41Supported=True,
        nfs41Krb5iSupported=True, turnDiskLocatorLedSupported=True,
        virtualVolumeDatastoreSupported=True, markAsSsdSupported=True,
        markAsLocalSupported=True, smartCardAuthenticationSupported=True, pMemSupported=True,
        cryptoSupported=True, oneKVolumeAPIsSupported=True, gatewayOnNicSupported=True,
        cpuHwMmuSupported=True, encryptedVMotionSupported=True,
        encryptionMemorySaveSupported=True, encryptionHBRSupported=True, ftEfiSupported=True,
        unmapMethodSupported='dynamic', maxMemMBPerFtVm=131072,
        virtualMmuUsageIgnored=True, virtualExecUsageIgnored=True,
        vmCreateDateSupported=True, vmfs3EOLSupported=True, ftVmcpSupported=True,
        quickBootSupported=True, assignableHardwareSupported=True,
        useFeatureReqsForOldHWv=True, markPerenniallyReservedSupported=True,
        hppPspSupported=True, deviceRebindWithoutRebootSupported=True,
        storagePolicyChangeSupported=True, precisionTimeProtocolSupported=True,
        remoteDeviceVMotionSupported=True, maxSupportedVmMemory=25149440,
        maxSupportedSimultaneousThreads=8, timeConfigSupported=True,
        ptpConfigSupported=True, maxSupportedPtpPorts=32, vmknicBindingSupported=True,
        uefiSecureBoot=False)
    values = {k: v for k, v in values.items() if k in cls._type.field_map}
    found = _capabilities[id(server.schema)] = cls(**values)
    return found


