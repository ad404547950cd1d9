"""vSphere Fault Tolerance of a VM (SMP-FT, as vCenter 8 runs it), and the
record / replay methods of the legacy FT that vSphere 6.0 removed.

A fault tolerant VM is a pair (`FtPair`, which both VMs hold as `ft_pair`):
the primary and its one secondary (vCenter 8 keeps one). The secondary is a
VirtualMachine of its own, named '<primary> (secondary)' in the primary's
folder and pool, registered on another host of the primary's HA cluster
(anti-affinity: never the primary's), with its own full copies of the
primary's disks (`copy_to`, so its files are real) on the datastores the
FaultToleranceConfigSpec names, else on the primary's. Both report
`config.ftInfo` (the pair's instance uuids and .vmx paths, primary first;
role 1 the primary, 2 the secondary) and the pair's
`runtime.faultToleranceState`:

- notConfigured: no secondary; disabled: protection suspended
  (DisableSecondaryVM_Task: the secondary powered off);
- enabled: protected, the primary powered off; starting, then running: the
  secondary is brought up beside the running primary; needSecondary: the
  primary runs and no host can take the secondary.

Power follows the primary (`power_changed`, from set_power_state, so HA and
guest operations drive it too): the secondary starts and stops with it.
The secondary takes no operation of its own but a host migration
(vSphere's "Migrate Secondary"): InvalidOperationOnSecondaryVm, as the one
table `SECONDARY_REFUSALS` says, which `refusing_on_secondaries` applies to
VirtualMachine's methods (internal callers, DRS's power-ons, meet it too).
Every state
change posts VmFaultToleranceStateChangedEvent on the primary (which the
default FT alarm watches).

Compatibility (QueryFaultToleranceCompatibility(Ex)) is what the model
knows of the VM itself, as the API reference limits it (host NICs and
licences are not its part): snapshots, more vCPUs or memory than the
host's capability allows an FT VM (8, 128 GB), nested HV, a 3D video card,
a linked-clone disk, vFlash cache, physical raw disks and host-backed
CD/DVD or floppy drives, and for legacy FT more than one vCPU and thin
disks. Turning FT on adds what the cluster must
have: HA enabled (else NotSupported, as documented), FT logging and
vMotion VMkernel NICs on the primary's host and a host for the secondary.
"""
import copy
import functools

from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.managed.vm.provisioning import host_usable, invalid_argument, resolve_argument
from vimsim.managed.vm.vm_task import invalid_state, vm_task
from vimsim.soap.fault import fault, localized

PRIMARY_ROLE = 1
SECONDARY_SUFFIX = ' (secondary)'
NIC_TYPES = (('faultToleranceLogging', 'missingFTLoggingNic'), ('vmotion', 'missingVMotionNic'))
HOST_BACKED = {'VirtualCdrom': 'virtualCdrom', 'VirtualFloppy': 'virtualFloppy'}
# VirtualMachine's calls vCenter refuses on a secondary (InvalidOperationOnSecondaryVm):
# at the call, or by the task the call starts ('task')
SECONDARY_REFUSALS = {
    **{name: 'call' for name in (
        'PowerOnVM_Task', 'PowerOffVM_Task', 'SuspendVM_Task', 'ResetVM_Task', 'TerminateVM',
        'ShutdownGuest', 'RebootGuest', 'StandbyGuest', 'AttachDisk_Task', 'DetachDisk_Task',
        'UpgradeVM_Task', 'UnregisterVM', 'MarkAsTemplate', 'CustomizeVM_Task',
        'CloneVM_Task', 'InstantClone_Task', 'CreateSnapshot_Task', 'CreateSnapshotEx_Task',
        'CreateSecondaryVM_Task', 'CreateSecondaryVMEx_Task', 'TurnOffFaultToleranceForVM_Task',
        'DisableSecondaryVM_Task', 'EnableSecondaryVM_Task', 'MakePrimaryVM_Task',
        'TerminateFaultTolerantVM_Task', 'reloadVirtualMachineFromPath_Task')},
    'ReconfigVM_Task': 'task', 'Destroy_Task': 'task',
}


class FtPair:
    """A primary and its secondary, and the state last reported for them."""

    def __init__(self, primary, secondary):
        self.primary = primary
        self.secondary = secondary
        self.disabled = False     # DisableSecondaryVM_Task: protection suspended
        self.starting = False     # the secondary is being brought up
        self.reported = 'notConfigured'

    def members(self):
        return (self.primary, self.secondary)


def not_supported():
    return fault('NotSupported', 'The operation is not supported on the object.')


def is_secondary(vm):
    pair = vm.ft_pair
    return pair is not None and pair.secondary is vm


def _on_secondary(vm):
    return fault('InvalidOperationOnSecondaryVm', 'The operation is not supported on a '
                 'Fault Tolerance secondary virtual machine.', instanceUuid=vm.instance_uuid)


def _refusing(name, when, method):
    """`method`, refused on a secondary as SECONDARY_REFUSALS says."""
    if when == 'call':
        @functools.wraps(method)
        def refusing(vm, ctx, /, *args, **kwargs):
            if is_secondary(vm):
                raise _on_secondary(vm)
            return method(vm, ctx, *args, **kwargs)
    else:
        @functools.wraps(method)
        def refusing(vm, ctx, /, *args, **kwargs):
            if is_secondary(vm):
                def work(task):
                    raise _on_secondary(vm)
                return vm_task(ctx, vm, name, work)
            return method(vm, ctx, *args, **kwargs)
    return refusing


def refusing_on_secondaries(cls):
    """Class decorator: VirtualMachine's methods SECONDARY_REFUSALS names
    refuse on a secondary."""
    for name, when in SECONDARY_REFUSALS.items():
        setattr(cls, name, _refusing(name, when, getattr(cls, name)))
    return cls


def refuse_on_primary(vm):
    """An operation no member of an FT pair takes (linked clones, memory
    snapshots, templates) on the primary: NotSupported (the secondary
    refuses them all, SECONDARY_REFUSALS)."""
    if vm.ft_pair is not None:
        raise not_supported()


# -- what the pair reports -----------------------------------------------------------------
def ft_state(vm):
    """runtime.faultToleranceState of a VM (see the module doc)."""
    pair = vm.ft_pair
    if pair is None:
        return 'notConfigured'
    if pair.disabled:
        return 'disabled'
    if pair.primary.power_state != 'poweredOn':
        return 'enabled'
    if pair.starting:
        return 'starting'
    return 'running' if pair.secondary.power_state == 'poweredOn' else 'needSecondary'


def need_secondary_reason(vm):
    """runtime.needSecondaryReason: set only while the secondary is missing."""
    return 'other' if ft_state(vm) == 'needSecondary' else None


def describe(vm, config):
    """Put the pair's ftInfo and the checkpointing FT type into a VM's
    computed `config` (a fresh object; its shared flags are copied)."""
    pair = vm.ft_pair
    T = vm.T
    members = pair.members()
    common = dict(instanceUuids=[m.instance_uuid for m in members],
                  configPaths=[m.file_path('.vmx') for m in members], orphaned=False)
    if vm is pair.primary:
        config.ftInfo = T.FaultTolerancePrimaryConfigInfo(
            role=PRIMARY_ROLE, secondaries=[pair.secondary.ref], **common)
    else:
        config.ftInfo = T.FaultToleranceSecondaryConfigInfo(
            role=PRIMARY_ROLE + 1, primaryVM=pair.primary.ref, **common)
    config.flags = copy.copy(config.flags)
    config.flags.faultToleranceType = 'checkpointing'


def report(pair, post=None):
    """Report both VMs' FT properties, and post VmFaultToleranceStateChangedEvent
    on the primary when the pair's state changed (`post(type, entity, **fields)`:
    a task's, else the event manager's)."""
    post = post or event_manager(pair.primary.server).post
    new = ft_state(pair.primary) if pair.primary.ft_pair is pair else 'notConfigured'
    for member in pair.members():
        if member.server.objects.get(member.ref) is member:
            member.changed('config', 'runtime', 'summary')
    if new != pair.reported:
        old, pair.reported = pair.reported, new
        post('VmFaultToleranceStateChangedEvent', pair.primary, oldState=old, newState=new)


def check_reconfigure(vm, spec):
    """ReconfigVM_Task: a primary's memory is fixed while FT is on
    (FaultToleranceCannotEditMem)."""
    if vm.ft_pair is not None and spec.memoryMB is not None and spec.memoryMB != vm.memory_mb:
        raise fault('FaultToleranceCannotEditMem', "The memory of the Fault Tolerance virtual "
                    "machine '%s' cannot be changed." % vm.name, vm=vm.ref, vmName=vm.name)


def check_snapshot(vm, memory):
    """A primary takes only disk-only snapshots (the backup snapshots
    vSphere FT supports)."""
    if memory:
        refuse_on_primary(vm)


# -- compatibility ---------------------------------------------------------------------------
def _config_issue(vm, reason, entity=None):
    entity = entity or vm
    return fault('VmFaultToleranceConfigIssue', "Fault Tolerance is not supported for '%s': %s."
                 % (vm.name, reason), reason=reason, entity=entity.ref, entityName=entity.name)


def compatibility_issues(vm, legacy=False):
    """The faults, one per issue, that keep `vm` itself from FT (legacy FT's
    when `legacy`); [] when it is compatible. A template is NotSupported."""
    if vm.template:
        raise not_supported()
    T = vm.T
    issues = []
    if is_secondary(vm):
        issues.append(_config_issue(vm, 'ftSecondaryVm'))
    elif vm.ft_pair is not None:
        issues.append(_config_issue(vm, 'moreThanOneSecondary'))
    if vm.snapshot_tree is not None and vm.snapshot_tree.roots:
        issues.append(_config_issue(vm, 'hasSnapshots'))
    limits = vm.host.capability     # SMP-FT's: maxVcpusPerFtVm, maxMemMBPerFtVm
    if legacy and vm.num_cpu > 1:
        issues.append(_config_issue(vm, 'multipleVCPU'))
    elif vm.num_cpu > limits.maxVcpusPerFtVm:
        issues.append(_config_issue(vm, 'tooManyVCPUs'))
    if vm.memory_mb > limits.maxMemMBPerFtVm:
        issues.append(_config_issue(vm, 'tooMuchMemory'))
    config = vm.config
    if config.nestedHVEnabled:
        issues.append(_config_issue(vm, 'hasNestedHVConfiguration'))
    devices = list(vm.devices())
    if any(isinstance(d, T.VirtualMachineVideoCard) and d.enable3DSupport for d in devices):
        issues.append(_config_issue(vm, 'video3dEnabled'))
    disks = [d for d in devices if isinstance(d, T.VirtualDisk)]
    if vm.linked_parent is not None:     # its disks are deltas over another VM's
        issues.append(_config_issue(vm, 'hasLinkedCloneDisk'))
    if any(getattr(d, 'vFlashCacheConfigInfo', None) is not None and
           (d.vFlashCacheConfigInfo.reservationInMB or 0) > 0 for d in disks):
        issues.append(_config_issue(vm, 'hasVFlashConfiguration'))
    if legacy and any(getattr(d.backing, 'thinProvisioned', False) for d in disks):
        issues.append(_config_issue(vm, 'thinDisk'))
    issues.extend(_backing_issues(vm, devices))
    return issues


def _backing_issues(vm, devices):
    """VmFaultToleranceInvalidFileBacking of each device backed by what only
    its host has: a physical raw disk, a host's (or client's) CD/DVD or
    floppy drive that is or starts connected."""
    T = vm.T
    out = []
    for device in devices:
        backing = device.backing
        kind = next((label for name, label in HOST_BACKED.items()
                     if isinstance(device, getattr(T, name))), None)
        if kind is not None and backing is not None and \
                not isinstance(backing, T.VirtualDeviceFileBackingInfo) and \
                (device.connectable is None or device.connectable.connected or
                 device.connectable.startConnected):
            out.append((kind, getattr(backing, 'deviceName', None)))
        elif isinstance(device, T.VirtualDisk) and isinstance(
                backing, T.VirtualDiskRawDiskMappingVer1BackingInfo) \
                and backing.compatibilityMode == 'physicalMode':
            out.append(('virtualDisk', backing.fileName))
    return [fault('VmFaultToleranceInvalidFileBacking', 'The device backing of %s is not '
                  'supported by Fault Tolerance.' % (name or kind), backingType=kind,
                  backingFilename=name) for kind, name in out]


def _host_issues(vm, host):
    """The issues of a host for an FT VM: its FT logging and vMotion NICs."""
    selected = host.netconfig.selected
    return [_config_issue(vm, reason, host) for nic_type, reason in NIC_TYPES
            if not selected.get(nic_type)]


def ha_protected(vm):
    """Whether the VM's compute resource is a cluster with HA enabled."""
    compute = vm.host.compute_resource if vm.host is not None else None
    das = getattr(getattr(compute, 'settings', None), 'das', None)
    return das is not None and bool(das.enabled)


def _check_turn_on(vm):
    """Everything that keeps `vm` from turning FT on, at once."""
    if vm.template or not ha_protected(vm):    # as documented
        raise not_supported()
    issues = compatibility_issues(vm) + _host_issues(vm, vm.host)
    if issues:
        raise fault('VmFaultToleranceOpIssuesList', "Fault Tolerance cannot be turned on for "
                    "'%s'." % vm.name, errors=[localized(issue) for issue in issues])


# -- placement of the secondary -------------------------------------------------------------
def _host_problems(primary, host, datastores):
    """Why `host` cannot run the secondary of `primary` from `datastores` ([]: it can)."""
    problems = []
    if host is primary.host:
        problems.append(fault('FaultToleranceAntiAffinityViolated', 'The secondary virtual '
                              'machine cannot run on the host of its primary.',
                              host=host.ref, hostName=host.name))
    unusable = host_usable(host)
    if unusable is not None:
        problems.append(unusable)
    problems.extend(_host_issues(primary, host))
    for ds in datastores:
        if ds not in host.datastores:
            problems.append(fault('DatastoreNotWritableOnHost', "The datastore '%s' is not "
                                  'accessible on the host.' % ds.name, datastore=ds.ref,
                                  name=ds.name, host=host.ref))
    return problems


def _place(primary, requested, datastores):
    """The host for the secondary: `requested` (another host of the cluster
    that can run it, else IncompatibleHostForFtSecondary), or the eligible
    host with the fewest VMs (NoHostSuitableForFtSecondary when none is)."""
    cluster = primary.host.compute_resource
    if requested is not None:
        problems = _host_problems(primary, requested, datastores) \
            if requested in cluster.hosts else [invalid_argument('host')]
        if problems:
            raise fault('IncompatibleHostForFtSecondary', "The host '%s' cannot run the Fault "
                        'Tolerance secondary virtual machine.' % requested.name,
                        host=requested.ref, error=[localized(p) for p in problems])
        return requested
    eligible = [h for h in cluster.hosts if not _host_problems(primary, h, datastores)]
    if not eligible:
        raise fault('NoHostSuitableForFtSecondary', "No host is suitable for the Fault "
                    "Tolerance secondary of '%s'." % primary.name, vm=primary.ref,
                    vmName=primary.name)
    return min(eligible, key=lambda h: (len(h.vms), cluster.hosts.index(h)))


class _Storage:
    """Where a secondary's files go (FaultToleranceConfigSpec): its home (the
    .vmx), each disk's datastore by key, the tie-breaker's datastore; the
    primary's datastores by default."""

    def __init__(self, ctx, vm, spec):
        self.home = vm.datastore_object
        self.disks = {}
        self.metadata = None
        if spec is None:
            return
        if spec.metaDataPath is not None:
            self.metadata = resolve_argument(ctx, spec.metaDataPath.metaDataDatastore,
                                             'Datastore', 'spec.metaDataPath.metaDataDatastore')
        placed = spec.secondaryVmSpec
        if placed is None:
            return
        if placed.vmConfig is not None:
            self.home = resolve_argument(ctx, placed.vmConfig, 'Datastore',
                                         'spec.secondaryVmSpec.vmConfig')
        keys = {disk.key for disk in vm.disks()}
        for index, located in enumerate(placed.disks):
            argument = 'spec.secondaryVmSpec.disks[%d]' % index
            if located.disk is None or located.disk.key not in keys:
                raise invalid_argument(argument + '.disk')
            self.disks[located.disk.key] = resolve_argument(ctx, located.datastore,
                                                            'Datastore', argument + '.datastore')

    def disk_datastore(self, primary, disk):
        own = primary.server.objects.get(disk.backing.datastore) \
            if getattr(disk.backing, 'datastore', None) is not None else None
        return self.disks.get(disk.key) or own or self.home

    def datastores(self, primary):
        wanted = [self.home] + [self.disk_datastore(primary, d) for d in primary.disks()]
        if self.metadata is not None:
            wanted.append(self.metadata)
        return list(dict.fromkeys(wanted))


def _make_secondary(ctx, primary, host, storage):
    """The secondary VM: a full copy of the primary in its folder and pool,
    on `host`, its disks where `storage` puts them; the primary's BIOS uuid."""
    secondary = primary.copy_to(ctx, primary.parent_object(), primary.name + SECONDARY_SUFFIX,
                                primary.pool, host, storage.home, None, False)
    secondary.uuid_override = primary.uuid
    targets = [storage.disk_datastore(primary, disk) for disk in primary.disks()]
    if any(target is not storage.home for target in targets):
        secondary.device_list()     # its own devices, to re-home disks in
        for disk, target in zip(secondary.disks(), targets):
            if target is not storage.home:
                target.refuse_new_files()
                secondary._rehome_disk(disk, storage.home, target)
        secondary.devices_changed()
    return secondary


def _bring_up(pair, post, requested=None):
    """Start the secondary beside the running primary (starting, then
    running), re-placed when its host cannot run it now; returns the
    ClusterPowerOnVmResult (needSecondary and a notAttempted entry when no
    host can)."""
    primary, secondary = pair.primary, pair.secondary
    T = primary.T
    pair.starting = True
    report(pair, post)
    datastores = secondary.datastore_objects()
    try:
        host = _place(primary, requested or (
            secondary.host if not _host_problems(primary, secondary.host, datastores)
            else None), datastores)
    except T.MethodFault as problem:
        pair.starting = False
        post('VmNoCompatibleHostForSecondaryEvent', primary)
        report(pair, post)
        return T.ClusterPowerOnVmResult(notAttempted=[T.ClusterNotAttemptedVmInfo(
            vm=secondary.ref, fault=localized(problem))])
    if host is not secondary.host:
        secondary.register_on(host)
    post('VmStartingSecondaryEvent', primary)
    secondary.set_power_state('poweredOn')
    post('VmSecondaryStartedEvent', secondary)
    pair.starting = False
    report(pair, post)
    return T.ClusterPowerOnVmResult(attempted=[T.ClusterAttemptedVmInfo(vm=secondary.ref)])


def _stop_secondary(pair):
    if pair.secondary.power_state != 'poweredOff':
        pair.secondary.set_power_state('poweredOff')


def _op_result(pair, post, requested=None):
    """FaultToleranceSecondaryOpResult: the secondary, powered on when the primary runs."""
    T = pair.primary.T
    attempted = pair.primary.power_state == 'poweredOn'
    result = _bring_up(pair, post, requested) if attempted else None
    if not attempted:
        report(pair, post)
    return T.FaultToleranceSecondaryOpResult(vm=pair.secondary.ref, powerOnAttempted=attempted,
                                             powerOnResult=result)


def power_changed(vm, before):
    """set_power_state's hook: the primary's power drives its secondary."""
    pair = vm.ft_pair
    if pair is None or vm is not pair.primary or before == vm.power_state:
        return
    if vm.power_state == 'poweredOn':
        if not pair.disabled:
            _bring_up(pair, event_manager(vm.server).post)
        return
    _stop_secondary(pair)
    report(pair)


# -- the methods -------------------------------------------------------------------------------
def create_secondary_task(ctx, vm, method, host=None, spec=None):
    """CreateSecondaryVM_Task / CreateSecondaryVMEx_Task (see the module doc)."""
    requested = resolve_argument(ctx, host, 'HostSystem', 'host') if host is not None else None
    storage = _Storage(ctx, vm, spec)
    if spec is not None and spec.metroFtEnabled:
        raise not_supported()     # metro clusters' host groups are not simulated

    def work(task):
        _check_turn_on(vm)
        target = _place(vm, requested, storage.datastores(vm))
        secondary = _make_secondary(ctx, vm, target, storage)
        pair = vm.ft_pair = secondary.ft_pair = FtPair(vm, secondary)
        task.post_event('VmSecondaryAddedEvent', vm)
        return _op_result(pair, task.post_event, target)
    return vm_task(ctx, vm, method, work)


def _pair_member(ctx, vm, ref, argument='vm'):
    """The secondary `ref` names, of the pair `vm` is the primary of
    (naming the primary itself is InvalidArgument)."""
    named = resolve_argument(ctx, ref, 'VirtualMachine', argument)
    pair = vm.ft_pair
    if pair is None:
        raise invalid_state()
    if named is vm:
        raise invalid_argument(argument)
    if named is not pair.secondary:
        raise fault('SecondaryVmNotRegistered', "The virtual machine is not a secondary of "
                    "'%s'." % vm.name, instanceUuid=named.instance_uuid)
    return named


def turn_off_task(ctx, vm):
    """TurnOffFaultToleranceForVM_Task: the secondary and its files go; the
    primary is an ordinary VM again."""

    def work(task):
        pair = vm.ft_pair
        if pair is None:
            raise invalid_state()
        secondary = pair.secondary
        _stop_secondary(pair)
        vm.ft_pair = secondary.ft_pair = None
        task.post_event('VmRemovedEvent', secondary)
        secondary.remove_from_inventory(keep_files=False)
        task.post_event('VmFaultToleranceTurnedOffEvent', vm)
        report(pair, task.post_event)
        return None
    return vm_task(ctx, vm, 'TurnOffFaultToleranceForVM_Task', work)


def disable_secondary_task(ctx, vm, secondary_ref):
    """DisableSecondaryVM_Task: protection suspended, the secondary off."""
    secondary = _pair_member(ctx, vm, secondary_ref)

    def work(task):
        pair = vm.ft_pair
        if pair is None or pair.secondary is not secondary:
            raise invalid_state()
        if pair.disabled:
            raise fault('SecondaryVmAlreadyDisabled', 'The secondary virtual machine is '
                        'already disabled.', instanceUuid=secondary.instance_uuid)
        pair.disabled = True
        _stop_secondary(pair)
        task.post_event('VmSecondaryDisabledEvent', vm)
        report(pair, task.post_event)
        return None
    return vm_task(ctx, vm, 'DisableSecondaryVM_Task', work)


def enable_secondary_task(ctx, vm, secondary_ref, host=None):
    """EnableSecondaryVM_Task: protection again, the secondary started on
    `host` (or one vCenter picks) when the primary runs."""
    secondary = _pair_member(ctx, vm, secondary_ref)
    requested = resolve_argument(ctx, host, 'HostSystem', 'host') if host is not None else None

    def work(task):
        pair = vm.ft_pair
        if pair is None or pair.secondary is not secondary:
            raise invalid_state()
        if not pair.disabled:
            raise fault('SecondaryVmAlreadyEnabled', 'The secondary virtual machine is already '
                        'enabled.', instanceUuid=secondary.instance_uuid)
        if requested is not None:   # refused before anything changes
            _place(vm, requested, secondary.datastore_objects())
        pair.disabled = False
        task.post_event('VmSecondaryEnabledEvent', vm)
        return _op_result(pair, task.post_event, requested)
    return vm_task(ctx, vm, 'EnableSecondaryVM_Task', work)


def _fail_over(pair, post, reason=None):
    """The running secondary takes over: it becomes the primary, the old
    primary (stopped) the new secondary, brought up again on a host that
    can run it. The names follow the roles (the primary's name stays the
    primary's); files and identities stay with each VM."""
    old, new = pair.primary, pair.secondary
    post('VmPrimaryFailoverEvent', old, reason=reason)
    pair.primary, pair.secondary = new, old
    old.name, new.name = new.name, old.name
    for vm in pair.members():
        vm.changed(*vm.NAMED_PROPERTIES)
    old.set_power_state('poweredOff')
    _bring_up(pair, post)


def host_lost(vm):
    """HA's hook for a running VM whose host failed: True when FT covers it
    (it is in a running pair): a primary fails over to its secondary, a
    secondary is brought up again elsewhere; HA restarts the others."""
    pair = vm.ft_pair
    if pair is None or ft_state(pair.primary) != 'running':
        return False
    post = event_manager(vm.server).post
    if vm is pair.primary:
        _fail_over(pair, post)
    else:
        vm.set_power_state('poweredOff')
        _bring_up(pair, post)
    return True


def make_primary_task(ctx, vm, secondary_ref):
    """MakePrimaryVM_Task: fail over to the named secondary."""
    secondary = _pair_member(ctx, vm, secondary_ref)

    def work(task):
        pair = vm.ft_pair
        if pair is None or pair.secondary is not secondary or pair.disabled \
                or ft_state(vm) != 'running':
            raise invalid_state()
        _fail_over(pair, task.post_event)
        return None
    return vm_task(ctx, vm, 'MakePrimaryVM_Task', work)


def terminate_task(ctx, vm, secondary_ref=None):
    """TerminateFaultTolerantVM_Task (FT's "test restart secondary"): the
    named secondary (unset: every secondary) is killed and HA brings it up
    again (FaultToleranceVmNotDasProtected without HA); naming the primary
    is InvalidArgument, as documented."""
    secondary = _pair_member(ctx, vm, secondary_ref) if secondary_ref is not None else None

    def work(task):
        pair = vm.ft_pair
        if pair is None or (secondary is not None and pair.secondary is not secondary) \
                or ft_state(vm) != 'running':
            raise invalid_state()
        if not ha_protected(vm):
            raise fault('FaultToleranceVmNotDasProtected', "The Fault Tolerance virtual machine "
                        "'%s' is not protected by vSphere HA." % vm.name, vm=vm.ref,
                        vmName=vm.name)
        task.post_event('VmFaultToleranceVmTerminatedEvent', pair.secondary)
        pair.secondary.set_power_state('poweredOff')
        _bring_up(pair, task.post_event)
        return None
    return vm_task(ctx, vm, 'TerminateFaultTolerantVM_Task', work)


def removed_with(vm):
    """A primary leaves the inventory (Destroy_Task, UnregisterVM): its
    secondary goes with it, files and all (a secondary refuses both:
    SECONDARY_REFUSALS)."""
    pair = vm.ft_pair
    if pair is None:
        return
    vm.ft_pair = pair.secondary.ft_pair = None
    _stop_secondary(pair)
    pair.secondary.remove_from_inventory(keep_files=False)


def check_migration(vm, host, pool, datastore_moves):
    """A member of an FT pair moves only to another host of its cluster
    (CannotMoveFaultToleranceVm for another cluster or pool) away from its
    partner (FaultToleranceAntiAffinityViolated); its storage does not move
    (Storage vMotion of FT VMs: NotSupported)."""
    pair = vm.ft_pair
    if pair is None:
        return
    for move_type, moved in (('cluster', host.compute_resource is not vm.host.compute_resource),
                             ('resourcePool', pool is not vm.pool)):
        if moved:
            raise fault('CannotMoveFaultToleranceVm', "The Fault Tolerance virtual machine "
                        "'%s' cannot move to another %s." % (vm.name, move_type),
                        moveType=move_type, vmName=vm.name)
    if datastore_moves:
        raise not_supported()
    partner = pair.secondary if vm is pair.primary else pair.primary
    if host is partner.host:
        raise fault('FaultToleranceAntiAffinityViolated', 'The virtual machine and its Fault '
                    'Tolerance partner cannot run on the same host.', host=host.ref,
                    hostName=host.name)


def record_replay_refused(vm):
    """StartRecording_Task and the rest: the host product does not support
    record / replay (ESXi 6.0 and later: HostCapability.recordReplaySupported
    is false, replayUnsupportedReason incompatibleProduct), which the API
    reference answers with NotSupported."""
    return fault('NotSupported', 'Record and replay are not supported by the host of '
                 "'%s'." % vm.name)
