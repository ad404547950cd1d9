"""HostNvdimmSystem: a host's persistent memory modules (NVDIMMs) and the
namespaces made on them (HostSystem.configManager.nvdimmSystem).

A default host has none, as the nested ESXi 8.0.3 host of the recorded
inventory (`availablePMemCapacity` 0, no PMem datastore): `nvdimmSystemInfo`
is an empty summary, and making a namespace answers NotSupported. The
control surface installs modules (`install`, POST /vimsim/control/host/nvdimm)
on a host in maintenance mode: each module's capacity is half persistent,
the persistent halves of all modules one interleave set (id 1) for
persistent namespaces, and half block capacity for block namespaces on that
module alone. Namespaces are made and deleted in maintenance mode
(InvalidHostState otherwise) within the space left (HostConfigFault),
their names unique (AlreadyExists); each gets a uuid, answered as the task's
NvdimmGuid. The PMem datastore ESXi would make of the namespaces is not
simulated.
"""
from vimsim.managed.host.config_managers import HostManagerObject, host_config_fault
from vimsim.managed.monitoring.task import run_task
from vimsim.soap.fault import InvalidArgument, NotFound, fault

INTERLEAVE_SET = 1
BASE_ADDRESS = 0x4000000000          # where the persistent range starts in the host's map
FIRST_HANDLE = 0x0001
BLOCK_SIZES = (512, 4096)
PERSISTENT, BLOCK = 'persistentNamespace', 'blockNamespace'


class Namespace:
    __slots__ = ('uuid', 'name', 'kind', 'location', 'block_size', 'size')

    def __init__(self, uuid, name, kind, location, block_size, size):
        self.uuid = uuid
        self.name = name
        self.kind = kind
        self.location = location      # the interleave set (persistent) or module handle (block)
        self.block_size = block_size
        self.size = size


class HostNvdimmSystem(HostManagerObject):
    type_name = 'HostNvdimmSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.module_bytes = 0          # each module's capacity
        self.handles = []              # the modules' device handles
        self.namespaces = []

    # -- the modules --------------------------------------------------------------------------
    def install(self, modules, module_bytes):
        """Put `modules` NVDIMMs of `module_bytes` each in the host (none:
        take them out); the namespaces on the old ones go with them."""
        self.handles = [FIRST_HANDLE + index for index in range(modules)]
        self.module_bytes = module_bytes if modules else 0
        self.namespaces = []
        self.changed('nvdimmSystemInfo')

    @property
    def persistent_size(self):
        return len(self.handles) * (self.module_bytes // 2)

    @property
    def block_size_per_module(self):
        return self.module_bytes - self.module_bytes // 2

    def _used(self, kind, location):
        return sum(ns.size for ns in self.namespaces if ns.kind == kind and ns.location == location)

    def _available_persistent(self):
        return self.persistent_size - self._used(PERSISTENT, INTERLEAVE_SET)

    def _available_block(self, handle):
        return self.block_size_per_module - self._used(BLOCK, handle)

    # -- nvdimmSystemInfo ---------------------------------------------------------------------
    @property
    def nvdimmSystemInfo(self):
        T = self.host.T
        sets = [INTERLEAVE_SET] if self.handles else []
        available = (self._available_persistent() if self.handles else 0) + sum(
            self._available_block(handle) for handle in self.handles)
        return T.NvdimmSystemInfo(
            summary=T.NvdimmSummary(
                numDimms=len(self.handles), healthStatus='normal',
                totalCapacity=len(self.handles) * self.module_bytes,
                persistentCapacity=self.persistent_size,
                blockCapacity=len(self.handles) * self.block_size_per_module,
                availableCapacity=available, numInterleavesets=len(sets),
                numNamespaces=len(self.namespaces)),
            dimms=list(self.handles), dimmInfo=[self._dimm_info(T, h) for h in self.handles],
            interleaveSet=sets, iSetInfo=[self._set_info(T)] if sets else [],
            namespace=[T.NvdimmGuid(uuid=ns.uuid) for ns in self.namespaces],
            nsInfo=[self._ns_info(T, ns) for ns in self.namespaces],
            nsDetails=[T.NvdimmNamespaceDetails(
                uuid=ns.uuid, friendlyName=ns.name, size=ns.size, type=ns.kind,
                namespaceHealthStatus='normal', interleavesetID=ns.location
                if ns.kind == PERSISTENT else 0, state='notInUse')
                for ns in self.namespaces])

    def _dimm_info(self, T, handle):
        half = self.module_bytes // 2
        index = handle - FIRST_HANDLE
        return T.NvdimmDimmInfo(
            dimmHandle=handle, healthInfo=T.NvdimmHealthInfo(
                healthStatus='normal', healthInformation='The NVDIMM is healthy.',
                stateFlagInfo=[], dimmTemperature=32, dimmTemperatureThreshold=85,
                spareBlocksPercentage=100, spareBlockThreshold=10, dimmLifespanPercentage=0),
            totalCapacity=self.module_bytes, persistentCapacity=half,
            availablePersistentCapacity=self._available_persistent() // len(self.handles),
            volatileCapacity=0, availableVolatileCapacity=0,
            blockCapacity=self.block_size_per_module, regionInfo=[
                T.NvdimmRegionInfo(regionId=1, setId=INTERLEAVE_SET, rangeType='persistentRange',
                                   startAddr=BASE_ADDRESS + index * half, size=half, offset=0),
                T.NvdimmRegionInfo(regionId=2, setId=0, rangeType='blockRange', startAddr=0,
                                   size=self.block_size_per_module, offset=half)],
            representationString='DIMM%d' % index)

    def _set_info(self, T):
        return T.NvdimmInterleaveSetInfo(
            setId=INTERLEAVE_SET, rangeType='persistentRange', baseAddress=BASE_ADDRESS,
            size=self.persistent_size, availableSize=self._available_persistent(),
            deviceList=list(self.handles), state='active')

    @staticmethod
    def _ns_info(T, ns):
        return T.NvdimmNamespaceInfo(
            uuid=ns.uuid, friendlyName=ns.name, blockSize=ns.block_size,
            blockCount=ns.size // ns.block_size, type=ns.kind, namespaceHealthStatus='normal',
            locationID=ns.location, state='notInUse')

    # -- checks --------------------------------------------------------------------------------
    def _check_host(self):
        if not self.host.maintenance:
            raise fault('InvalidHostState', 'The host must be in maintenance mode.',
                        host=self.host.ref)

    def _check_modules(self):
        if not self.handles:
            raise fault('NotSupported', 'The host has no NVDIMMs.')

    def _new_namespace(self, name, kind, location, block_size, size):
        """The namespace a create makes, once the spec's own fields are checked."""
        if name is not None and any(ns.name == name for ns in self.namespaces):
            raise fault('AlreadyExists', "The specified key, name, or identifier '%s' already "
                        "exists." % name, name=name)
        if size <= 0:
            raise InvalidArgument('createSpec.size')
        available = self._available_persistent() if kind == PERSISTENT else \
            self._available_block(location)
        if size > available:
            raise host_config_fault('The namespace needs %d bytes; %d are available.'
                                    % (size, available))
        uuid = self.server.new_uuid()
        return Namespace(uuid, name or uuid, kind, location, block_size, size)

    def _add(self, ctx, method, make):
        def work(task):
            self._check_host()
            self._check_modules()
            namespace = make()
            self.namespaces.append(namespace)
            self.changed('nvdimmSystemInfo')
            return self.host.T.NvdimmGuid(uuid=namespace.uuid)
        return run_task(ctx, self.host, method, work, this=self)

    # -- methods --------------------------------------------------------------------------------
    def CreateNvdimmPMemNamespace_Task(self, ctx, createSpec):
        def make():
            if createSpec.interleavesetID != INTERLEAVE_SET:
                raise InvalidArgument('createSpec.interleavesetID')
            return self._new_namespace(createSpec.friendlyName, PERSISTENT, INTERLEAVE_SET, 1,
                                       createSpec.size)
        return self._add(ctx, 'CreateNvdimmPMemNamespace_Task', make)

    def CreateNvdimmNamespace_Task(self, ctx, createSpec):
        """The 6.7 form: a persistent namespace on an interleave set (block
        size 1, the count its bytes) or a block one on a module."""
        def make():
            kind, location = createSpec.type, createSpec.locationID
            if kind == PERSISTENT:
                if createSpec.blockSize != 1:
                    raise InvalidArgument('createSpec.blockSize')
                if location != INTERLEAVE_SET:
                    raise InvalidArgument('createSpec.locationID')
            elif kind == BLOCK:
                if createSpec.blockSize not in BLOCK_SIZES:
                    raise InvalidArgument('createSpec.blockSize')
                if location not in self.handles:
                    raise InvalidArgument('createSpec.locationID')
            else:
                raise InvalidArgument('createSpec.type')
            if createSpec.blockCount <= 0 or createSpec.blockCount > (1 << 62) // max(
                    createSpec.blockSize, 1):
                raise InvalidArgument('createSpec.blockCount')
            return self._new_namespace(createSpec.friendlyName, kind, location,
                                       createSpec.blockSize,
                                       createSpec.blockSize * createSpec.blockCount)
        return self._add(ctx, 'CreateNvdimmNamespace_Task', make)

    def DeleteNvdimmNamespace_Task(self, ctx, deleteSpec):
        def work(task):
            self._check_host()
            found = next((ns for ns in self.namespaces if ns.uuid == deleteSpec.uuid), None)
            if found is None:
                raise NotFound('The object or item referred to could not be found.')
            self.namespaces.remove(found)
            self.changed('nvdimmSystemInfo')
        return run_task(ctx, self.host, 'DeleteNvdimmNamespace_Task', work, this=self)

    def DeleteNvdimmBlockNamespaces_Task(self, ctx):
        def work(task):
            self._check_host()
            blocks = [ns for ns in self.namespaces if ns.kind == BLOCK]
            if not blocks:
                raise NotFound('The object or item referred to could not be found.')
            self.namespaces = [ns for ns in self.namespaces if ns.kind != BLOCK]
            self.changed('nvdimmSystemInfo')
        return run_task(ctx, self.host, 'DeleteNvdimmBlockNamespaces_Task', work, this=self)
