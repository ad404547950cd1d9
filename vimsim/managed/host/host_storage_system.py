"""HostStorageSystem: a host's storage adapters, devices and paths
(HostSystem.configManager.storageSystem), the part tools use.

The simulated host has three block adapters and one local disk on vmhba0,
reached by one path (vmhba0:C0:T0:L0), claimed by NMP with VMW_SATP_LOCAL
and VMW_PSP_FIXED. `storageDeviceInfo` describes it whole: adapters, LUN,
`scsiTopology`, `multipathInfo` and `plugStoreTopology`, each naming the
others' keys as ESXi's do. The disk keeps whether it is attached, marked as
SSD and as local, its display name, its path selection policy and whether
its path is enabled. Detaching the disk that backs the host's VMFS
datastores answers ResourceInUse; rescans find nothing new, since nothing
adds devices behind the host's back.

Not simulated yet: partitions, VMFS mount and unmount, iSCSI and NVMe.
"""
from vimsim.managed.host.config_managers import HostManagerObject, host_config_fault
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.storage.datastore import LOCAL_DISK
from vimsim.soap.fault import InvalidArgument, NotFound, fault

# (device, bus, model, driver, pci)
ADAPTERS = (('vmhba0', 3, 'PVSCSI SCSI Controller', 'pvscsi', '0000:03:00.0'),
            ('vmhba1', 0, 'PIIX4 for 430TX/440BX/MX IDE Controller', 'vmkata', '0000:00:07.1'),
            ('vmhba64', 0, 'PIIX4 for 430TX/440BX/MX IDE Controller', 'vmkata', '0000:00:07.1'))
DISK_ADAPTER = 'vmhba0'
DISK_UUID = '0000000000766d686261303a303a30'
DISK_BLOCKS = 2147483648            # 1 TiB of 512-byte blocks
PATH_NAME = 'vmhba0:C0:T0:L0'
DEFAULT_NAME = 'Local VMware Disk (%s)' % LOCAL_DISK
# ESXi 8.0's path selection and storage array type plugins: (name, description)
PATH_SELECTION_POLICIES = (('VMW_PSP_MRU', 'Most Recently Used (VMware)'),
                           ('VMW_PSP_RR', 'Round Robin (VMware)'),
                           ('VMW_PSP_FIXED', 'Fixed (VMware)'))
ARRAY_TYPE_POLICIES = (('VMW_SATP_ALUA', 'Supports non-specific arrays that use the ALUA '
                                         'protocol'),
                       ('VMW_SATP_DEFAULT_AA', 'Supports non-specific active/active arrays'),
                       ('VMW_SATP_DEFAULT_AP', 'Supports non-specific active/passive arrays'),
                       ('VMW_SATP_LOCAL', 'Supports direct attached devices'))
ARRAY_TYPE = 'VMW_SATP_LOCAL'
FIXED = 'VMW_PSP_FIXED'

LUN_KEY = 'key-vim.host.ScsiDisk-%s' % DISK_UUID
ADAPTER_KEY = 'key-vim.host.BlockHba-%s'
MULTIPATH_LUN_KEY = 'key-vim.host.MultipathInfo.LogicalUnit-%s' % DISK_UUID
MULTIPATH_PATH_KEY = 'key-vim.host.MultipathInfo.Path-%s' % PATH_NAME
PLUGSTORE_PATH_KEY = 'key-vim.host.PlugStoreTopology.Path-%s' % PATH_NAME
PLUGSTORE_TARGET_KEY = 'key-vim.host.PlugStoreTopology.Target-pscsi.0:0'
PLUGSTORE_DEVICE_KEY = 'key-vim.host.PlugStoreTopology.Device-0200000000%s' % DISK_UUID


class HostStorageSystem(HostManagerObject):
    type_name = 'HostStorageSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.attached = True
        self.ssd = True
        self.local = True
        self.display_name = DEFAULT_NAME
        self.path_policy = FIXED
        self.path_enabled = True

    # -- reading ---------------------------------------------------------------
    @property
    def storageDeviceInfo(self):
        T = self.host.T
        return T.HostStorageDeviceInfo(
            hostBusAdapter=[T.HostBlockHba(
                key=ADAPTER_KEY % device, device=device, bus=bus, status='unknown', model=model,
                driver=driver, pci=pci, storageProtocol='scsi')
                for device, bus, model, driver, pci in ADAPTERS],
            scsiLun=[self._disk(T)], scsiTopology=self._scsi_topology(T),
            multipathInfo=self._multipath_info(T), plugStoreTopology=self._plug_store(T),
            softwareInternetScsiEnabled=False)

    @property
    def fileSystemVolumeInfo(self):
        return self.host.file_system_volume_info()

    @property
    def systemFile(self):
        return ['/var/log/vmware/hostd.log']

    def _disk(self, T):
        device = '/vmfs/devices/disks/%s' % LOCAL_DISK
        return T.HostScsiDisk(
            deviceName=device, deviceType='disk', key=LUN_KEY, uuid=DISK_UUID,
            canonicalName=LOCAL_DISK, displayName=self.display_name, lunType='disk',
            vendor='VMware  ', model='Virtual disk    ', revision='2.0 ', scsiLevel=6,
            serialNumber='unavailable', queueDepth=1024,
            operationalState=['ok' if self.attached else 'off'],
            capabilities=T.ScsiLunCapabilities(updateDisplayNameSupported=True),
            vStorageSupport='vStorageUnsupported', protocolEndpoint=False,
            perenniallyReserved=False, clusteredVmdkSupported=False,
            capacity=T.HostDiskDimensionsLba(blockSize=512, block=DISK_BLOCKS),
            devicePath=device, ssd=self.ssd, localDisk=self.local,
            emulatedDIXDIFEnabled=False, scsiDiskType='native512')

    def _scsi_topology(self, T):
        return T.HostScsiTopology(adapter=[T.HostScsiTopologyInterface(
            key='key-vim.host.ScsiTopology.Interface-%s' % device,
            adapter=ADAPTER_KEY % device,
            target=[T.HostScsiTopologyTarget(
                key='key-vim.host.ScsiTopology.Target-%s:0:0' % device, target=0,
                lun=[T.HostScsiTopologyLun(key='key-vim.host.ScsiTopology.Lun-%s' % DISK_UUID,
                                           lun=0, scsiLun=LUN_KEY)],
                transport=T.HostParallelScsiTargetTransport())]
            if device == DISK_ADAPTER and self.attached else [])
            for device, _, _, _, _ in ADAPTERS])

    def _multipath_info(self, T):
        state = 'active' if self.path_enabled else 'disabled'
        path = T.HostMultipathInfoPath(
            key=MULTIPATH_PATH_KEY, name=PATH_NAME, pathState=state, state=state,
            isWorkingPath=self.path_enabled, adapter=ADAPTER_KEY % DISK_ADAPTER,
            lun=MULTIPATH_LUN_KEY, transport=T.HostParallelScsiTargetTransport())
        policy = T.HostMultipathInfoFixedLogicalUnitPolicy(policy=FIXED, prefer=PATH_NAME) \
            if self.path_policy == FIXED else \
            T.HostMultipathInfoLogicalUnitPolicy(policy=self.path_policy)
        return T.HostMultipathInfo(lun=[T.HostMultipathInfoLogicalUnit(
            key=MULTIPATH_LUN_KEY, id=DISK_UUID, lun=LUN_KEY, path=[path], policy=policy,
            storageArrayTypePolicy=T.HostMultipathInfoLogicalUnitStorageArrayTypePolicy(
                policy=ARRAY_TYPE))] if self.attached else [])

    def _plug_store(self, T):
        paths = [PLUGSTORE_PATH_KEY] if self.attached else []
        return T.HostPlugStoreTopology(
            adapter=[T.HostPlugStoreTopologyAdapter(
                key='key-vim.host.PlugStoreTopology.Adapter-%s' % device,
                adapter=ADAPTER_KEY % device, path=paths if device == DISK_ADAPTER else [])
                for device, _, _, _, _ in ADAPTERS],
            path=[T.HostPlugStoreTopologyPath(
                key=PLUGSTORE_PATH_KEY, name=PATH_NAME, channelNumber=0, targetNumber=0,
                lunNumber=0, adapter='key-vim.host.PlugStoreTopology.Adapter-%s' % DISK_ADAPTER,
                target=PLUGSTORE_TARGET_KEY, device=PLUGSTORE_DEVICE_KEY)] if paths else [],
            target=[T.HostPlugStoreTopologyTarget(
                key=PLUGSTORE_TARGET_KEY, transport=T.HostParallelScsiTargetTransport())],
            device=[T.HostPlugStoreTopologyDevice(key=PLUGSTORE_DEVICE_KEY, lun=LUN_KEY,
                                                  path=paths)] if paths else [],
            plugin=[T.HostPlugStoreTopologyPlugin(
                key='key-vim.host.PlugStoreTopology.Plugin-NMP', name='NMP',
                device=[PLUGSTORE_DEVICE_KEY] if paths else [], claimedPath=paths)])

    # -- checks ------------------------------------------------------------------
    def _check_disk(self, uuid):
        if uuid != DISK_UUID:
            raise NotFound('The object or item referred to could not be found.')

    def _check_path(self, name):
        if name != PATH_NAME:
            raise NotFound('The object or item referred to could not be found.')

    def _set(self, name, value):
        if getattr(self, name) != value:
            setattr(self, name, value)
            self.report('storageDeviceInfo')

    # -- rescans -------------------------------------------------------------------
    def RescanAllHba(self, ctx):
        """Nothing adds devices behind the host's back: there is nothing new to find."""

    def RescanHba(self, ctx, hbaDevice):
        if hbaDevice not in [device for device, _, _, _, _ in ADAPTERS]:
            raise NotFound('The object or item referred to could not be found.')

    def RescanVmfs(self, ctx):
        """The host's VMFS volumes are its datastores' already."""

    def RefreshStorageSystem(self, ctx):
        """Nothing changes the host's storage behind hostd's back."""

    # -- the disk --------------------------------------------------------------------
    def AttachScsiLun(self, ctx, lunUuid):
        self._check_disk(lunUuid)
        if self.attached:
            raise fault('InvalidState', 'The device is attached already.')
        self._set('attached', True)

    def DetachScsiLun(self, ctx, lunUuid):
        self._check_disk(lunUuid)
        if not self.attached:
            raise fault('InvalidState', 'The device is detached already.')
        volumes = self.host.datastores      # every simulated datastore is VMFS on this disk
        if volumes:
            raise fault('ResourceInUse', 'The device backs datastore %s.' % volumes[0].name,
                        type='Datastore', name=volumes[0].name)
        self._set('attached', False)

    def UpdateScsiLunDisplayName(self, ctx, lunUuid, displayName):
        self._check_disk(lunUuid)
        if not displayName or not displayName.strip():
            raise fault('InvalidName', "The name '%s' is invalid." % displayName,
                        name=displayName)
        self._set('display_name', displayName)

    def _mark(self, ctx, method, uuid, name, value):
        """The Mark* tasks: the device's claim rule changes, the device is
        reclaimed with its new flag."""
        def work(task):
            self._check_disk(uuid)
            if not self.attached:
                raise host_config_fault('The device is detached.')
            self._set(name, value)
        return run_task(ctx, self.host, method, work)

    def MarkAsSsd_Task(self, ctx, scsiDiskUuid):
        return self._mark(ctx, 'MarkAsSsd_Task', scsiDiskUuid, 'ssd', True)

    def MarkAsNonSsd_Task(self, ctx, scsiDiskUuid):
        return self._mark(ctx, 'MarkAsNonSsd_Task', scsiDiskUuid, 'ssd', False)

    def MarkAsLocal_Task(self, ctx, scsiDiskUuid):
        return self._mark(ctx, 'MarkAsLocal_Task', scsiDiskUuid, 'local', True)

    def MarkAsNonLocal_Task(self, ctx, scsiDiskUuid):
        return self._mark(ctx, 'MarkAsNonLocal_Task', scsiDiskUuid, 'local', False)

    # -- multipathing -------------------------------------------------------------------
    def QueryPathSelectionPolicyOptions(self, ctx):
        T = self.host.T
        return [T.HostPathSelectionPolicyOption(policy=T.ElementDescription(
            key=key, label=key, summary=summary)) for key, summary in PATH_SELECTION_POLICIES]

    def QueryStorageArrayTypePolicyOptions(self, ctx):
        T = self.host.T
        return [T.HostStorageArrayTypePolicyOption(policy=T.ElementDescription(
            key=key, label=key, summary=summary)) for key, summary in ARRAY_TYPE_POLICIES]

    def SetMultipathLunPolicy(self, ctx, lunId, policy):
        if lunId != DISK_UUID or not self.attached:
            raise NotFound('The object or item referred to could not be found.')
        if policy.policy not in dict(PATH_SELECTION_POLICIES):
            raise InvalidArgument('policy.policy')
        prefer = getattr(policy, 'prefer', None)
        if prefer is not None and prefer != PATH_NAME:
            raise InvalidArgument('policy.prefer')
        self._set('path_policy', policy.policy)

    def EnableMultipathPath(self, ctx, pathName):
        self._check_path(pathName)
        self._set('path_enabled', True)

    def DisableMultipathPath(self, ctx, pathName):
        """The only path of a device that backs datastores cannot go."""
        self._check_path(pathName)
        if self.host.datastores:
            raise host_config_fault('Path %s is the last path of a device in use.' % pathName)
        self._set('path_enabled', False)
