"""StorageResourceManager: Storage DRS for datastore clusters (StoragePod)
and Storage I/O Control for datastores.

A pod keeps its Storage DRS configuration (`pod_config`, a
StorageDrsPodConfigInfo, and `vm_configs`) and the recommendations Storage
DRS made for it and not yet applied or cancelled (`recommendations`:
key -> Pending); `podStorageDrsEntry` reads them. Storage DRS places by
space: a datastore of the pod can take a VM when it is out of maintenance,
mounted on the VM's host and has room; those whose utilization stays under
the pod's space threshold come first, each group by free space. Initial
placement (RecommendDatastores) recommends each such datastore, best
first, as alternatives: applying one (ApplyStorageDrsRecommendation_Task)
runs the create, clone or relocation there and drops the others. Load
balancing (RefreshStorageDrsRecommendation) moves a VM off a datastore
past the threshold to the one with most room, when their utilizations
differ by the pod's minimum; a datastore entering maintenance mode gets a
move for each of its VMs. In automated mode the moves start at once,
in manual mode they wait in the pod's list. I/O load is not simulated:
I/O balancing and the I/O metrics of a move are left unset.

Rules: the pod's VM anti-affinity rules (`podConfig.rule`,
ClusterAntiAffinityRuleSpec: the VMs' files on different datastores) and a
VM's VMDK anti-affinity (`vmConfig.intraVmAntiAffinity`: the listed disks
each on a datastore of its own; the other disks stay with the VM's home,
which is intra-VM affinity) are kept with the pod's configuration. Every
placement, balancing move and evacuation keeps a VM off its partners'
datastores; RecommendDatastores lays the anti-affine disks of a new or
placed VM out on distinct datastores (disk locators in the action's
relocateSpec). Balancing and evacuation move what a VM has on the
datastore: the VM when its home is there, else those of its disks alone
(disk locators, the home staying), and a VM whose disks are kept apart
never onto a datastore it already uses.

The module sits in storage, below the VMs and the pods it works on: it
reaches them only through their methods and attributes.
"""
import itertools
import uuid

from twisted.internet import defer

from vimsim import clock
from vimsim.managed.entity import data_types
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.monitoring.task import run_task
from vimsim.soap.fault import InvalidArgument, fault, localized

_KEYS = itertools.count(1)
# what ConfigureStorageDrsForPod_Task accepts (vCenter's ranges)
RANGES = {'loadBalanceInterval': (60, 43200), 'spaceUtilizationThreshold': (50, 100),
          'freeSpaceThresholdGB': (1, 2048), 'minSpaceUtilizationDifference': (1, 50),
          'ioLatencyThreshold': (5, 100), 'ioLoadImbalanceThreshold': (1, 100),
          'reservablePercentThreshold': (30, 100)}
IORM_THRESHOLD = (5, 100)          # congestion threshold, ms
IORM_PEAK = (50, 100)              # percent of peak throughput
PERFORMANCE_INTERVAL = 86400       # seconds QueryDatastorePerformanceSummary covers


class Pending:
    """A recommendation not yet applied: its data object, the group of
    alternatives it belongs to, and `start(ctx)`, which starts its action
    and returns the Task that does it."""

    def __init__(self, pod, recommendation, group, start):
        self.pod = pod
        self.recommendation = recommendation
        self.group = group
        self.start = start


def default_pod_config(T):
    """vCenter's Storage DRS defaults, enabled as vcsim creates a pod
    (space threshold 80 %, I/O latency 15 ms, every 8 hours)."""
    return T.StorageDrsPodConfigInfo(
        enabled=True, ioLoadBalanceEnabled=True, defaultVmBehavior='manual',
        loadBalanceInterval=480, defaultIntraVmAffinity=True,
        spaceLoadBalanceConfig=T.StorageDrsSpaceLoadBalanceConfig(
            spaceThresholdMode='utilization', spaceUtilizationThreshold=80,
            freeSpaceThresholdGB=50, minSpaceUtilizationDifference=5),
        ioLoadBalanceConfig=T.StorageDrsIoLoadBalanceConfig(
            reservablePercentThreshold=60, reservableThresholdMode='automatic',
            ioLatencyThreshold=15, ioLoadImbalanceThreshold=5),
        automationOverrides=T.StorageDrsAutomationConfig(), rule=[], option=[])


def pod_of(ds):
    """The storage pod `ds` is in, or None."""
    parent = ds.parent_object()
    return parent if getattr(parent, 'type_name', None) == 'StoragePod' else None


def sdrs_enabled(pod):
    return pod is not None and bool(pod.pod_config.enabled)


# -- space -------------------------------------------------------------------------------------

def utilization(ds, extra=0):
    """Percent of `ds` used once `extra` more bytes are on it."""
    used = ds.capacity - ds.free_space + extra
    return round(100.0 * used / ds.capacity, 1) if ds.capacity else 100.0


def _under_threshold(pod, ds, extra):
    space = pod.pod_config.spaceLoadBalanceConfig
    if space.spaceThresholdMode == 'freeSpace':
        return ds.free_space - extra >= (space.freeSpaceThresholdGB or 0) << 30
    return utilization(ds, extra) <= (space.spaceUtilizationThreshold or 80)


def candidates(pod, needed, host=None, exclude=()):
    """The pod's datastores but `exclude` that can take `needed` more bytes, best first."""
    usable = [ds for ds in pod.datastores()
              if ds not in exclude and ds.maintenance_mode == 'normal'
              and (host is None or ds in host.datastores) and ds.free_space >= needed]
    return sorted(usable, key=lambda ds: (not _under_threshold(pod, ds, needed),
                                          -ds.free_space, ds.name))


def vm_space(vm, ds=None):
    """Bytes a move of the VM (its files on `ds`, or all) carries."""
    return vm.storage_usage(ds)[0]


# -- rules -------------------------------------------------------------------------------------

def partners(pod, vm, extra=()):
    """The VMs `vm` must not share a datastore with: those of the pod's
    enabled VM anti-affinity rules naming it, and of the rules `extra` (a
    placement's interVmRule, which the VM placed is a member of)."""
    T = data_types(pod.server)
    found = set()
    for rule in pod.pod_config.rule:
        if rule.enabled and isinstance(rule, T.ClusterAntiAffinityRuleSpec) \
                and vm is not None and vm.ref in rule.vm:
            found.update(rule.vm)
    for rule in extra:
        if rule.enabled is not False and isinstance(rule, T.ClusterAntiAffinityRuleSpec):
            found.update(rule.vm)
    get = pod.server.objects.get
    return [other for other in (get(ref) for ref in found)
            if other is not None and other is not vm]


def occupied(vms, moved=None, leaving=None):
    """The datastores `vms` have files on, with the moves planned (`moved`:
    vm -> datastore, off `leaving`) applied."""
    found = set()
    for vm in vms:
        held = set(vm.datastore_objects())
        if moved and vm in moved:
            held = (held - {leaving}) | {moved[vm]}
        found |= held
    found.discard(None)
    return found


def vm_config(pod, vm):
    """The pod's StorageDrsVmConfigInfo of `vm`, or None."""
    return next((c for c in pod.vm_configs if vm is not None and c.vm == vm.ref), None)


def kept_apart(config):
    """The disk keys a VMDK anti-affinity rule keeps apart (none when unset or off)."""
    rule = config.intraVmAntiAffinity if config is not None else None
    if rule is None or rule.enabled is False:
        return []
    return list(rule.diskId)


def layouts(pod, home_bytes, apart, host, avoid):
    """Where a VM's files can go, best first: [datastores], the first for
    its home and the disks kept together, then one per disk of `apart`
    ([(key, bytes)]) each on its own; none on the datastores `avoid`."""
    found = []
    for home in candidates(pod, home_bytes, host, exclude=avoid):
        chosen = [home]
        for _, size in apart:
            rest = candidates(pod, size, host, exclude=set(avoid) | set(chosen))
            if not rest:
                break
            chosen.append(rest[0])
        else:
            found.append(chosen)
    return found


# -- recommendations ----------------------------------------------------------------------------

def _recommendation(T, pod, reason, text, actions, rating):
    return T.ClusterRecommendation(
        key=str(next(_KEYS)), type='V1', time=clock.now(), rating=rating, reason=reason,
        reasonText=text, target=pod.ref, action=actions)


def _decoded(server, type_name, **fields):
    """A data object as the decoder would give one (absent arrays empty)."""
    found = getattr(data_types(server), type_name)(**fields)
    for field in server.schema.types[type_name].fields:
        if field.array and field.name not in fields:
            setattr(found, field.name, [])
    return found


def relocate_spec(server, ds):
    """A VirtualMachineRelocateSpec to `ds` alone, for RelocateVM_Task."""
    return _decoded(server, 'VirtualMachineRelocateSpec', datastore=ds.ref)


def leaving_disks(vm, ds):
    """The keys of `vm`'s disks that leave `ds` one by one (disk locators)
    while its home stays on another datastore; None when its home is on
    `ds` and moves, with the disks there."""
    if vm.datastore_object is ds:
        return None
    return [disk.key for disk in vm.disks() if disk.backing.datastore == ds.ref]


def move_spec(vm, source, target):
    """The relocateSpec taking `vm`'s files off `source` to `target`: the
    VM moved (its home there), or only its disks there, by locator."""
    keys = leaving_disks(vm, source)
    if keys is None:
        return relocate_spec(vm.server, target)
    spec = relocate_spec(vm.server, vm.datastore_object)
    spec.disk = [_decoded(vm.server, 'VirtualMachineRelocateSpecDiskLocator', diskId=key,
                          datastore=target.ref) for key in keys]
    return spec


def avoided(pod, vm, moved=None, leaving=None):
    """The datastores a move of `vm` may not go to: its partners' (with the
    moves planned) and, while its disks are kept apart, its own."""
    found = occupied(partners(pod, vm), moved, leaving)
    if kept_apart(vm_config(pod, vm)):
        found |= set(vm.datastore_objects())
    return found


def _migration(T, vm, source, target):
    size = vm_space(vm, source)
    return T.StorageMigrationAction(
        type='StorageMigrationV1', target=target.ref, vm=vm.ref,
        relocateSpec=move_spec(vm, source, target), source=source.ref, destination=target.ref,
        sizeTransferred=size,
        spaceUtilSrcBefore=utilization(source), spaceUtilDstBefore=utilization(target),
        spaceUtilSrcAfter=utilization(source, -size), spaceUtilDstAfter=utilization(target, size))


def _relocation(vm, source, target):
    def start(ctx):
        return vm.RelocateVM_Task(ctx, move_spec(vm, source, target))
    return start


def keep(pod, pending):
    """Add recommendations to the pod's list (watchers of its entry hear)."""
    for item in pending:
        pod.recommendations[item.recommendation.key] = item
    pod.changed('podStorageDrsEntry')


def drop_group(pod, group):
    for key in [k for k, p in pod.recommendations.items() if p.group == group]:
        del pod.recommendations[key]
    pod.changed('podStorageDrsEntry')


def evacuation(ds):
    """Moves of every VM's files off `ds` (entering maintenance) to the pod's
    other datastores, one per VM (the VM, or its disks there when its home
    is elsewhere); StorageDrsUnableToMoveFiles when a VM has nowhere to go.
    Planned one after another, so two VMs do not count on the same room."""
    pod = pod_of(ds)
    T = data_types(ds.server)
    planned = {}
    moved = {}
    moves = []
    for vm in sorted(ds.vms, key=lambda v: v.ref.value):
        size = vm_space(vm, ds)
        avoid = avoided(pod, vm, moved, ds) | {ds}
        fitting = [d for d in candidates(pod, 0, vm.host, exclude=avoid)
                   if d.free_space - planned.get(d, 0) >= size]
        if vm.template or not fitting:
            raise fault('StorageDrsUnableToMoveFiles', "Storage DRS cannot move the files of "
                        "virtual machine '%s' off datastore '%s'." % (vm.name, ds.name))
        target = fitting[0]
        planned[target] = planned.get(target, 0) + size
        moved[vm] = target
        moves.append((vm, target))
    group = object()
    return [Pending(pod, _recommendation(T, pod, 'datastoreMaint',
                                         'Datastore %s is entering maintenance mode' % ds.name,
                                         [_migration(T, vm, ds, target)], 5),
                    group, _relocation(vm, ds, target))
            for vm, target in moves]


def balance(pod):
    """Space load balancing: for each datastore past the pod's threshold,
    one move of the largest movable files of a VM there (the VM, or its
    disks there when its home is elsewhere) to the datastore with most room."""
    T = data_types(pod.server)
    space = pod.pod_config.spaceLoadBalanceConfig
    out = []
    for source in pod.datastores():
        if _under_threshold(pod, source, 0):
            continue
        for vm in sorted(source.vms, key=lambda v: (-vm_space(v, source), v.ref.value)):
            size = vm_space(vm, source)
            avoid = avoided(pod, vm) | {source}
            fitting = [d for d in candidates(pod, size, vm.host, exclude=avoid)
                       if utilization(source) - utilization(d, size) >=
                       (space.minSpaceUtilizationDifference or 5)]
            if vm.template or not fitting:
                continue
            out.append(Pending(pod, _recommendation(
                T, pod, 'balanceDatastoreSpaceUsage',
                'Balance datastore space usage', [_migration(T, vm, source, fitting[0])], 3),
                object(), _relocation(vm, source, fitting[0])))
            break
    return out


def carry_out(ctx, pending):
    """Start the actions of recommendations; the Tasks doing them."""
    started = []
    for item in pending:
        item.pod.recommendations.pop(item.recommendation.key, None)
        drop_group(item.pod, item.group)
        started.append(item.start(ctx))
    return started


def follow(tasks, result):
    """A Deferred fired with `result(finished tasks)` once every task ends,
    or failed with the first one's fault."""
    waiting = defer.Deferred()
    left = list(tasks)

    def ended(task):
        if waiting.called:
            return
        if task.info.state == 'error':
            waiting.errback(task.info.error.fault)
            return
        left.remove(task)
        if not left:
            waiting.callback(result(tasks))
    if not left:
        waiting.callback(result(tasks))
    for task in list(left):
        if task.done:
            ended(task)
        else:
            task.followers.append(ended)
    return waiting


@manager_type('StorageResourceManager')
class StorageResourceManager(Manager):

    @property
    def T(self):
        return data_types(self.server)

    def _pod(self, ref, argument='pod'):
        pod = self.server.objects.get(ref) if ref is not None else None
        if getattr(pod, 'type_name', None) != 'StoragePod':
            raise InvalidArgument(argument)
        return pod

    def _datastore(self, ref, argument='datastore'):
        ds = self.server.objects.get(ref) if ref is not None else None
        if getattr(ds, 'type_name', None) != 'Datastore' or not hasattr(ds, 'vmfs_uuid'):
            raise InvalidArgument(argument)
        return ds

    def _pending(self, key):
        """The recommendation `key` of any pod (InvalidArgument)."""
        for obj in list(self.server.objects):
            found = getattr(obj, 'recommendations', {}).get(key) \
                if getattr(obj, 'type_name', None) == 'StoragePod' else None
            if found is not None:
                return found
        raise InvalidArgument('key')

    # -- Storage DRS configuration ------------------------------------------------------------
    def ConfigureStorageDrsForPod_Task(self, ctx, pod, spec, modify):
        pod = self._pod(pod)
        config = _configured(self.T, pod, spec, modify)
        vm_configs = _vm_configs(self.server, pod, spec.vmConfigSpec, modify)

        def work(task):
            pod.pod_config = config
            pod.vm_configs = vm_configs
            if not config.enabled:
                pod.recommendations.clear()
            pod.changed('podStorageDrsEntry')
            return None
        return run_task(ctx, pod, 'ConfigureStorageDrsForPod_Task', work, this=self)

    def ValidateStoragePodConfig(self, ctx, pod, spec):
        """The fault ConfigureStorageDrsForPod_Task(modify=true) would fail
        with for `spec`, or None; nothing changes."""
        pod = self._pod(pod)
        try:
            _configured(self.T, pod, spec, True)
            _vm_configs(self.server, pod, spec.vmConfigSpec, True)
        except self.server.schema.types['MethodFault'].cls as refused:
            return localized(refused)
        return None

    # -- placement ------------------------------------------------------------------------------
    def RecommendDatastores(self, ctx, storageSpec):
        spec = storageSpec
        T = self.T
        selection = spec.podSelectionSpec
        pod_ref = selection.storagePod or next(
            (c.storagePod for c in selection.initialVmConfig), None)
        pod = self._pod(pod_ref, 'storageSpec.podSelectionSpec.storagePod')
        if not sdrs_enabled(pod):
            raise fault('InvalidArgument', 'Storage DRS is not enabled on the datastore cluster '
                        '%s.' % pod.name, invalidProperty='storageSpec.podSelectionSpec')
        vm, host, needed, disks, start = self._placement(ctx, spec)
        initial = [c for c in selection.initialVmConfig if c.storagePod == pod.ref]
        config = next((c.vmConfig for c in initial if c.vmConfig is not None), None) \
            or vm_config(pod, vm)
        apart = _disks_apart(config, disks, 'storageSpec.podSelectionSpec.initialVmConfig')
        home = needed - sum(size for _, size in apart)
        # the pod's rules name the VM itself; a clone or a new VM has only the spec's
        avoid = occupied(partners(pod, vm if spec.type == 'relocate' else None,
                                  [rule for c in initial for rule in c.interVmRule]))
        group = object()
        pending = [Pending(pod, _recommendation(
            T, pod, 'storagePlacement', 'Satisfy storage initial placement requests',
            [T.StoragePlacementAction(
                type='StoragePlacementV1', target=layout[0].ref, vm=vm.ref if vm else None,
                relocateSpec=_layout_spec(self.server, layout, apart),
                destination=layout[0].ref, spaceUtilBefore=utilization(layout[0]),
                spaceUtilAfter=utilization(layout[0], home))], max(5 - index, 1)),
            group, start(layout, apart))
            for index, layout in enumerate(layouts(pod, home, apart, host, avoid))]
        if not pending:
            lacking = fault('NoDiskSpace', "Insufficient disk space on datastore cluster '%s'."
                            % pod.name, file='[%s]' % pod.name, datastore=pod.name)
            return T.StoragePlacementResult(drsFault=T.ClusterDrsFaults(
                reason='storagePlacement', faultsByVm=[T.ClusterDrsFaultsFaultsByVm(
                    vm=vm.ref if vm else None, fault=[localized(lacking)])]))
        keep(pod, pending)
        return T.StoragePlacementResult(recommendations=[p.recommendation for p in pending])

    def _placement(self, ctx, spec):
        """(vm, host, bytes needed, {disk key: bytes}, start(layout, apart))
        of a placement spec (`layouts` and `_disks_apart` give the last two)."""
        objects = self.server.objects
        kind = spec.type
        if kind in ('clone', 'relocate'):
            vm = objects.get(spec.vm) if spec.vm is not None else None
            if getattr(vm, 'type_name', None) != 'VirtualMachine':
                raise InvalidArgument('storageSpec.vm')
            host = objects.get(spec.host) if spec.host is not None else vm.host
            disks = {disk.key: (disk.capacityInKB or 0) * 1024 for disk in vm.disks()}
            if kind == 'relocate':
                def start_relocation(layout, apart):
                    def start(ctx):
                        relocate = spec.relocateSpec or relocate_spec(self.server, layout[0])
                        _lay_out(self.server, relocate, layout, apart)
                        return vm.RelocateVM_Task(ctx, relocate)
                    return start
                return vm, host, vm_space(vm), disks, start_relocation
            if spec.cloneSpec is None or not spec.cloneName:
                raise InvalidArgument('storageSpec.cloneSpec')
            folder = spec.folder or vm.parent_object().ref

            def start_clone(layout, apart):
                def start(ctx):
                    clone = spec.cloneSpec
                    clone.location = clone.location or relocate_spec(self.server, layout[0])
                    _lay_out(self.server, clone.location, layout, apart)
                    return vm.CloneVM_Task(ctx, folder, spec.cloneName, clone)
                return start
            return vm, host, vm_space(vm), disks, start_clone
        if kind == 'create':
            config = spec.configSpec
            folder = objects.get(spec.folder) if spec.folder is not None else None
            if config is None or folder is None or spec.resourcePool is None:
                raise InvalidArgument('storageSpec.configSpec' if config is None else
                                      'storageSpec.folder' if folder is None
                                      else 'storageSpec.resourcePool')
            host = objects.get(spec.host) if spec.host is not None else None
            created = {change.device.key: (change.device.capacityInKB or 0) * 1024
                       for change in config.deviceChange
                       if change.fileOperation == 'create'
                       and isinstance(change.device, self.T.VirtualDisk)}

            def start_create(layout, apart):
                def start(ctx):
                    config.files = config.files or self.T.VirtualMachineFileInfo()
                    config.files.vmPathName = '[%s]' % layout[0].name
                    homes = {key: ds for (key, _), ds in zip(apart, layout[1:])}
                    for change in config.deviceChange:
                        ds = homes.get(getattr(change.device, 'key', None))
                        if ds is not None and change.device.backing is not None:
                            change.device.backing.datastore = ds.ref
                            change.device.backing.fileName = ''
                    return folder.CreateVM_Task(ctx, config, spec.resourcePool, spec.host)
                return start
            return None, host, sum(created.values()), created, start_create
        raise fault('NotSupported', 'The operation is not supported on the object.')

    def ApplyStorageDrsRecommendation_Task(self, ctx, key):
        if not key:
            raise InvalidArgument('key')
        pending = [self._pending(k) for k in key]

        def work(task):
            started = carry_out(ctx, pending)

            def result(tasks):
                vms = [t.info.result for t in tasks
                       if getattr(t.info.result, 'type', None) == 'VirtualMachine']
                return self.T.ApplyStorageRecommendationResult(
                    vm=vms[-1] if vms else None)
            return follow(started, result)
        return run_task(ctx, None, 'ApplyStorageDrsRecommendation_Task', work, this=self)

    def ApplyStorageDrsRecommendationToPod_Task(self, ctx, pod, key):
        pod = self._pod(pod)
        pending = pod.recommendations.get(key)
        if pending is None:
            raise InvalidArgument('key')

        def work(task):
            return follow(carry_out(ctx, [pending]), lambda tasks: None)
        return run_task(ctx, pod, 'ApplyStorageDrsRecommendationToPod_Task', work, this=self)

    def CancelStorageDrsRecommendation(self, ctx, key):
        pending = [self._pending(k) for k in key]
        for item in pending:
            item.pod.recommendations.pop(item.recommendation.key, None)
            item.pod.changed('podStorageDrsEntry')

    def RefreshStorageDrsRecommendation(self, ctx, pod):
        pod = self._pod(pod)
        if not sdrs_enabled(pod):
            return
        found = balance(pod)
        if pod.pod_config.defaultVmBehavior == 'automated':
            carry_out(ctx, found)
        else:
            keep(pod, found)

    def RefreshStorageDrsRecommendationsForPod_Task(self, ctx, pod):
        """RefreshStorageDrsRecommendation as a task: the pod's balancing
        pass, its moves started when the pod is automated."""
        pod = self._pod(pod)

        def work(task):
            self.RefreshStorageDrsRecommendation(ctx, pod.ref)
        return run_task(ctx, pod, 'RefreshStorageDrsRecommendationsForPod_Task', work,
                        this=self)

    def QueryDatastorePerformanceSummary(self, ctx, datastore):
        """The datastore's I/O figures over the last day at the 90th
        percentile. The simulator has no I/O model: no VM does I/O, so the
        latencies and IOPS are zero and SIOC was never active."""
        self._datastore(datastore)
        return [self.T.StoragePerformanceSummary(
            interval=PERFORMANCE_INTERVAL, percentile=[90], datastoreReadLatency=[0.0],
            datastoreWriteLatency=[0.0], datastoreVmLatency=[0.0], datastoreReadIops=[0.0],
            datastoreWriteIops=[0.0], siocActivityDuration=0)]

    # -- Storage I/O Control ---------------------------------------------------------------------
    def QueryIORMConfigOption(self, ctx, host):
        target = self.server.objects.get(host) if host is not None else None
        if getattr(target, 'type_name', None) != 'HostSystem':
            raise InvalidArgument('host')
        T = self.T
        return T.StorageIORMConfigOption(
            enabledOption=T.BoolOption(supported=True, defaultValue=False),
            congestionThresholdOption=T.IntOption(min=IORM_THRESHOLD[0], max=IORM_THRESHOLD[1],
                                                  defaultValue=30),
            statsCollectionEnabledOption=T.BoolOption(supported=True, defaultValue=False),
            reservationEnabledOption=T.BoolOption(supported=True, defaultValue=True))

    def ConfigureDatastoreIORM_Task(self, ctx, datastore, spec):
        ds = self._datastore(datastore)
        current = ds.iormConfiguration
        changed = {}
        for field in ('enabled', 'congestionThresholdMode', 'congestionThreshold',
                      'percentOfPeakThroughput', 'statsCollectionEnabled', 'reservationEnabled',
                      'statsAggregationDisabled', 'reservableIopsThreshold'):
            value = getattr(spec, field)
            if value is not None:
                changed[field] = value
        if changed.get('congestionThresholdMode', 'automatic') not in ('automatic', 'manual'):
            raise InvalidArgument('spec.congestionThresholdMode')
        for field, (low, high) in (('congestionThreshold', IORM_THRESHOLD),
                                   ('percentOfPeakThroughput', IORM_PEAK)):
            if field in changed and not low <= changed[field] <= high:
                raise InvalidArgument('spec.' + field)
        if changed.get('reservableIopsThreshold', 0) < 0:
            raise InvalidArgument('spec.reservableIopsThreshold')

        def work(task):
            ds.iorm = self.T.StorageIORMInfo(**{
                name: changed.get(name, getattr(current, name))
                for name in type(current)._type._names})
            ds.changed('iormConfiguration')
            return None
        return run_task(ctx, ds, 'ConfigureDatastoreIORM_Task', work, this=self)


def _disks_apart(config, disks, path):
    """[(key, bytes)] of the disks a VMDK anti-affinity rule puts each on a
    datastore of its own: all of its disks but the first, which stays with
    the VM's home; InvalidArgument for a disk the VM does not have."""
    keys = kept_apart(config)
    if any(key not in disks for key in keys) or len(set(keys)) != len(keys):
        raise InvalidArgument(path + '.vmConfig.intraVmAntiAffinity.diskId')
    return [(key, disks[key]) for key in keys[1:]]


def _layout_spec(server, layout, apart):
    """The relocateSpec of a placement: the home's datastore, and a disk
    locator for each disk kept apart."""
    spec = relocate_spec(server, layout[0])
    _lay_out(server, spec, layout, apart)
    return spec


def _lay_out(server, spec, layout, apart):
    """Set a relocate spec's datastore and its locators of the disks apart."""
    T = data_types(server)
    spec.datastore = layout[0].ref
    located = {key: ds for (key, _), ds in zip(apart, layout[1:])}
    spec.disk = [locator for locator in spec.disk if locator.diskId not in located] + [
        T.VirtualMachineRelocateSpecDiskLocator(diskId=key, datastore=ds.ref)
        for key, ds in located.items()]


def _configured(T, pod, spec, modify):
    """The pod's configuration with `spec.podConfigSpec` laid over it
    (`modify`) or over vCenter's defaults; InvalidArgument for a value out
    of range, nothing changed."""
    base = pod.pod_config if modify else default_pod_config(T)
    given = spec.podConfigSpec
    config = T.StorageDrsPodConfigInfo(**{n: getattr(base, n)
                                          for n in type(base)._type._names})
    if given is None:
        return config
    for name in ('enabled', 'ioLoadBalanceEnabled', 'defaultVmBehavior', 'loadBalanceInterval',
                 'defaultIntraVmAffinity'):
        value = getattr(given, name)
        if value is not None:
            setattr(config, name, value)
    if config.defaultVmBehavior not in ('manual', 'automated'):
        raise InvalidArgument('spec.podConfigSpec.defaultVmBehavior')
    for part, kind in (('spaceLoadBalanceConfig', T.StorageDrsSpaceLoadBalanceConfig),
                       ('ioLoadBalanceConfig', T.StorageDrsIoLoadBalanceConfig),
                       ('automationOverrides', T.StorageDrsAutomationConfig)):
        over = getattr(given, part)
        if over is None:
            continue
        current = getattr(config, part)
        names = kind._type._names
        merged = kind(**{n: getattr(current, n) for n in names})
        for name in names:
            value = getattr(over, name, None)
            if value is not None and name not in ('dynamicType', 'dynamicProperty'):
                setattr(merged, name, value)
        setattr(config, part, merged)
    space = config.spaceLoadBalanceConfig
    if space.spaceThresholdMode not in ('utilization', 'freeSpace'):
        raise InvalidArgument('spec.podConfigSpec.spaceLoadBalanceConfig.spaceThresholdMode')
    values = {'loadBalanceInterval': config.loadBalanceInterval}
    for part in (space, config.ioLoadBalanceConfig):
        values.update({n: getattr(part, n) for n in type(part)._type._names if n in RANGES})
    for name, value in values.items():
        low, high = RANGES[name]
        if value is not None and not low <= value <= high:
            raise InvalidArgument('spec.podConfigSpec.' + name)
    if given.option:
        raise fault('NotSupported', 'The operation is not supported on the object.')
    config.rule = _pod_rules(pod, base.rule, given.rule)
    return config


def _pod_rules(pod, rules, changes):
    """The pod's VM anti-affinity rules after the spec's ClusterRuleSpec
    changes, as vCenter checks them: a name, two VMs or more, each once
    and stored on the pod's datastores; the server keys a new rule."""
    T = data_types(pod.server)
    by_key = {rule.key: rule for rule in rules}
    for index, change in enumerate(changes):
        path = 'spec.podConfigSpec.rule[%d]' % index
        if change.operation == 'remove':
            if not _names_one_of(change.removeKey, by_key) or isinstance(change.removeKey, bool):
                raise InvalidArgument(path + '.removeKey')
            del by_key[change.removeKey]
            continue
        info = change.info
        if not isinstance(info, T.ClusterAntiAffinityRuleSpec):
            raise InvalidArgument(path + '.info')
        if change.operation == 'add':
            rule = T.ClusterAntiAffinityRuleSpec(
                key=max(list(by_key) + [0]) + 1, name=info.name, vm=list(info.vm),
                enabled=bool(info.enabled), mandatory=bool(info.mandatory),
                userCreated=True, status='gray', inCompliance=True,
                ruleUuid=info.ruleUuid or str(uuid.uuid4()))
        elif change.operation == 'edit' and info.key in by_key:
            old = by_key[info.key]
            rule = T.ClusterAntiAffinityRuleSpec(**{
                name: getattr(info, name) if getattr(info, name) not in (None, []) else
                getattr(old, name) for name in type(old)._type._names})
        else:
            raise InvalidArgument(path + '.operation')
        _check_rule(pod, rule, path)
        by_key[rule.key] = rule
    return list(by_key.values())


def _check_rule(pod, rule, path):
    if not rule.name:
        raise InvalidArgument(path + '.info.name')
    stored = {vm.ref for ds in pod.datastores() for vm in ds.vms}
    if len(rule.vm) < 2 or len(set(rule.vm)) != len(rule.vm) \
            or any(ref not in stored for ref in rule.vm):
        raise InvalidArgument(path + '.info.vm')


def _names_one_of(remove_key, elements):
    """Whether an ArrayUpdateSpec's removeKey (an anyType: a key, a MoRef, or
    junk such as an array) names one of `elements`."""
    try:
        return remove_key in elements
    except TypeError:       # unhashable
        return False


def _vm_configs(server, pod, changes, modify):
    """The pod's per-VM settings after the spec's ArrayUpdateSpec changes."""
    configs = {c.vm: c for c in (pod.vm_configs if modify else [])}
    for change in changes:
        info = change.info
        if change.operation == 'remove':
            if not _names_one_of(change.removeKey, configs):
                raise InvalidArgument('spec.vmConfigSpec.removeKey')
            del configs[change.removeKey]
            continue
        vm = server.objects.get(info.vm) if info is not None and info.vm is not None else None
        if getattr(vm, 'type_name', None) != 'VirtualMachine':
            raise InvalidArgument('spec.vmConfigSpec.info.vm')
        if (change.operation == 'add') == (info.vm in configs):
            raise InvalidArgument('spec.vmConfigSpec.operation')
        if info.behavior not in (None, 'manual', 'automated'):
            raise InvalidArgument('spec.vmConfigSpec.info.behavior')
        _check_disk_rule(vm, info)
        configs[info.vm] = info
    return list(configs.values())


def _check_disk_rule(vm, info):
    """A VMDK anti-affinity rule names two disks of the VM or more, and
    contradicts intra-VM affinity; the newer per-disk rules are not modelled."""
    if info.virtualDiskRules:
        raise fault('NotSupported', 'The operation is not supported on the object.')
    rule = info.intraVmAntiAffinity
    if rule is None:
        return
    keys = {disk.key for disk in vm.disks()}
    if not rule.name or len(rule.diskId) < 2 or len(set(rule.diskId)) != len(rule.diskId) \
            or not set(rule.diskId) <= keys:
        raise InvalidArgument('spec.vmConfigSpec.info.intraVmAntiAffinity')
    if info.intraVmAffinity and rule.enabled is not False:
        raise InvalidArgument('spec.vmConfigSpec.info.intraVmAffinity')
