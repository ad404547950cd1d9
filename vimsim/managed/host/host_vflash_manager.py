"""HostVFlashManager: a host's vFlash resource and cache
(HostSystem.configManager.vFlashManager).

The vFlash resource is the host's VFFS volume (vffs_volume.py):
HostConfigureVFlashResource takes an existing one, ConfigureVFlashResourceEx_Task
formats one on the SSDs given (or extends the host's over them) and takes it,
HostRemoveVFlashResource destroys it. The cache settings are the default
vFlash module (ESXi's only one: `vfc`, the Flash Read Cache) and the host
swap cache reserved on the resource, at most its capacity. Without a
resource, the cache cannot be configured: HostConfigFault, as hostd answers.
"""
from vimsim.managed.host.config_managers import HostManagerObject, host_config_fault, shared
from vimsim.managed.host.vffs_volume import VFFS_MAJOR_VERSION
from vimsim.managed.monitoring.task import run_task
from vimsim.soap.fault import InvalidArgument, NotFound, fault, localized

VFLASH_MODULE = 'vfc'
VFLASH_MODULE_VERSION = '1.0'
BLOCK_SIZE_KB = (4, 1024, 8)            # the vfc module's block sizes: min, max, default
RESERVATION_MB = (4, 409600, 4)
MAX_DISK_KB = 16 * (1 << 30)            # 16 TiB
GiB = 1 << 30


class HostVFlashManager(HostManagerObject):
    type_name = 'HostVFlashManager'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.resource = None                # the VffsVolume the vFlash resource is
        self.default_module = VFLASH_MODULE
        self.swap_cache_gb = 0

    @property
    def _storage(self):
        return self.host.managers['storageSystem']

    @property
    def vFlashConfigInfo(self):
        T = self.host.T
        resource = self.resource
        return T.HostVFlashManagerVFlashConfigInfo(
            vFlashResourceConfigInfo=None if resource is None else
            T.HostVFlashManagerVFlashResourceConfigInfo(vffs=resource.volume(T),
                                                        capacity=resource.capacity),
            vFlashCacheConfigInfo=T.HostVFlashManagerVFlashCacheConfigInfo(
                vFlashModuleConfigOption=[shared(self.server, 'vfc-module-option',
                                                 lambda: module_option(T))],
                defaultVFlashModule=self.default_module,
                swapCacheReservationInGB=self.swap_cache_gb))

    def _set_resource(self, volume):
        self.resource = volume
        self.report('vFlashConfigInfo')

    # -- the resource ----------------------------------------------------------------------
    def HostConfigureVFlashResource(self, ctx, spec):
        volume = self._storage.vffs
        if volume is None or volume.uuid != spec.vffsUuid:
            raise host_config_fault('The host has no VFFS volume %s.' % spec.vffsUuid)
        if self.resource is not None:
            raise host_config_fault('The vFlash resource is configured already.')
        if not volume.mounted:
            raise host_config_fault('VFFS volume %s is not mounted.' % volume.name)
        self._set_resource(volume)

    def ConfigureVFlashResourceEx_Task(self, ctx, devicePath=()):
        """Format the host's VFFS volume on the first device (none given:
        the available SSDs) and extend it over the others, or extend the
        existing one; each device's outcome in the result."""
        paths = list(devicePath)

        def work(task):
            T = self.host.T
            storage = self._storage
            chosen = paths or [lun.devicePath for lun in storage.QueryAvailableSsds(ctx)]
            if not chosen and storage.vffs is None:
                raise host_config_fault('The host has no SSD available for vFlash.')
            results = []
            for path in chosen:
                try:
                    if storage.vffs is None:
                        storage.FormatVffs(ctx, T.HostVffsSpec(
                            devicePath=path, majorVersion=VFFS_MAJOR_VERSION,
                            volumeName='vffs-%s' % self.host.name.split('.')[0]))
                    else:
                        storage.ExtendVffs(ctx, storage.vffs.path, path)
                    results.append(T.HostDiskConfigurationResult(devicePath=path, success=True))
                except self.server.schema.types['MethodFault'].cls as error:
                    results.append(T.HostDiskConfigurationResult(
                        devicePath=path, success=False, fault=localized(error)))
            volume = storage.vffs
            if volume is not None and self.resource is None and volume.mounted:
                self._set_resource(volume)
            elif volume is not None:
                self.report('vFlashConfigInfo')
            return T.HostVFlashResourceConfigurationResult(
                devicePath=chosen, vffs=None if volume is None else volume.volume(T),
                diskConfigurationResult=results)
        return run_task(ctx, self.host, 'ConfigureVFlashResourceEx_Task', work, this=self)

    def HostRemoveVFlashResource(self, ctx):
        """The resource goes with its VFFS volume; refused while the swap
        cache or a VM's Flash Read Cache holds part of it."""
        volume = self.resource
        if volume is None:
            raise NotFound('The host has no vFlash resource.')
        users = [vm.name for vm in self.host.vms
                 if any(cache_reserved(disk) for disk in vm.disks())]
        if self.swap_cache_gb or users:
            raise fault('ResourceInUse', 'The vFlash resource is in use%s.'
                        % (' by VM %s' % users[0] if users else ' by the swap cache'),
                        type='HostVFlashManager', name=volume.name)
        self.resource = None
        self._storage.DestroyVffs(ctx, volume.path)
        self.report('vFlashConfigInfo')

    # -- the cache ----------------------------------------------------------------------------
    def HostConfigVFlashCache(self, ctx, spec):
        volume = self.resource
        if volume is None:
            raise host_config_fault('The host has no vFlash resource.')
        if not volume.mounted:
            raise fault('InaccessibleVFlashSource', 'The vFlash resource is not accessible.',
                        hostName=self.host.name)
        if spec.defaultVFlashModule != VFLASH_MODULE:
            raise host_config_fault('vFlash module %s is not loaded.' % spec.defaultVFlashModule)
        reservation = spec.swapCacheReservationInGB
        if not isinstance(reservation, int) or not 0 <= reservation <= volume.capacity // GiB:
            raise InvalidArgument('spec.swapCacheReservationInGB')
        self.default_module = spec.defaultVFlashModule
        self.swap_cache_gb = reservation
        self.report('vFlashConfigInfo')

    def HostGetVFlashModuleDefaultConfig(self, ctx, vFlashModule):
        if vFlashModule != VFLASH_MODULE:
            raise NotFound('vFlash module %s is not found.' % vFlashModule)
        return self.host.T.VirtualDiskVFlashCacheConfigInfo(
            vFlashModule=VFLASH_MODULE, reservationInMB=RESERVATION_MB[2],
            cacheConsistencyType='strong', cacheMode='write_thru',
            blockSizeInKB=BLOCK_SIZE_KB[2])


def cache_reserved(disk):
    """Whether a VM's VirtualDisk reserves Flash Read Cache."""
    cache = disk.vFlashCacheConfigInfo
    return cache is not None and bool(cache.reservationInMB)


def module_option(T):
    """What the vfc module allows: its VFlashModuleConfigOption."""
    def choice(*keys):
        return T.ChoiceOption(choiceInfo=[T.ElementDescription(key=key, label=key, summary=key)
                                          for key in keys], defaultIndex=0)
    low, high, default = BLOCK_SIZE_KB
    least, most, usual = RESERVATION_MB
    return T.HostVFlashManagerVFlashCacheConfigInfoVFlashModuleConfigOption(
        vFlashModule=VFLASH_MODULE, vFlashModuleVersion=VFLASH_MODULE_VERSION,
        minSupportedModuleVersion=VFLASH_MODULE_VERSION,
        cacheConsistencyType=choice('strong', 'weak'), cacheMode=choice('write_thru',
                                                                         'write_back'),
        blockSizeInKBOption=T.LongOption(min=low, max=high, defaultValue=default),
        reservationInMBOption=T.LongOption(min=least, max=most, defaultValue=usual),
        maxDiskSizeInKB=MAX_DISK_KB)
