"""A VM's disk chains kept in order: consolidation, promotion of linked
disks, and the storage queries about them.

A delta disk is needed while its parent is: a snapshot holds the parent, or
another VM's chain does (a linked clone's or instant clone's shared file).
A parent nothing else holds is redundant (a snapshot removed without
consolidating left it): `runtime.consolidationNeeded` says so, and
ConsolidateVMDisks_Task merges each delta into its redundant parent (its
data written over the parent's extent), the VM going on in the parent.
PromoteDisks_Task with `unlink` gives a powered-off VM's disks their own
base (the chain's data copied into one flat file in the VM's directory), so
they no longer share a parent; without `unlink` it merges what it may.

A chain is broken when a delta's descriptor names a parentCID other than
its parent's CID (a parent's descriptor changed or replaced on the
datastore): `runtime.diskChainBroken` says so, read from the descriptors
on disk (none are read before the datastore namespace is in use: the
model writes consistent chains), and RepairVmDiskChains_Task of a
powered-off VM writes each such delta's parentCID anew. What the
descriptors say is kept per VM with the chains' file names and their
datastores' file generations (`files_generation`, which every write,
replacement and removal through the file layer moves): a read of
`runtime` reads descriptors again only after the chain or its files
changed.
"""
import os

from vimsim.managed.monitoring.event_manager import EXTENDED
from vimsim.managed.storage import datastore_files as files_on_disk
from vimsim.managed.storage.datastore_files import files_generation
from vimsim.managed.vm.disk_chain import backing_chain
from vimsim.managed.vm.vm_files import local_extent, merge_delta
from vimsim.managed.vm.vm_task import invalid_power_state, invalid_state, vm_task
from vimsim.soap.fault import InvalidArgument

KB = 1024
CONSOLIDATED = 'com.vmware.vc.VmDiskConsolidatedEvent'


def linked_family(vm):
    """The registered VMs that may share disk files with `vm`: its linked
    (and instant) clone tree, from its root down."""
    def registered(other):
        return other.server.objects.get(other.ref) is other
    root, seen = vm, {vm}
    while root.linked_parent is not None and root.linked_parent[0] not in seen \
            and registered(root.linked_parent[0]):
        root = root.linked_parent[0]
        seen.add(root)
    family, pending = [], [root]
    while pending:
        member = pending.pop()
        if member not in family:
            family.append(member)
            pending.extend(c for c in member.linked_clones if registered(c))
    return family


def held_elsewhere(vm):
    """Names of disk files the VM's snapshots or the other VMs of its linked
    clone tree hold (only they share its files)."""
    held = set()
    if vm.snapshot_tree is not None:
        held.update(b.fileName for chain in vm.snapshot_tree.disk_chains() for b in chain)
    for other in linked_family(vm):
        if other is not vm:
            held.update(name for name, kind, _ in other.disk_files() if kind == 'diskDescriptor')
    return held


def _mergeable(vm):
    """[(disk, [(parent, child)] merges)]: each running disk's deltas whose
    parent nothing else holds."""
    if vm._devices is None:                 # the computed disk has no delta
        return []
    chains = [(disk, backing_chain(disk.backing)) for disk in vm.disks()]
    if all(len(chain) < 2 for _, chain in chains):
        return []
    held = held_elsewhere(vm)
    found = []
    for disk, chain in chains:
        merges = []
        parent = chain[0]
        for child in chain[1:]:
            if parent.fileName in held:
                parent = child
            else:
                merges.append((parent, child))    # the child goes into this parent
        if merges:
            found.append((disk, merges))
    return found


def consolidation_needed(vm):
    return bool(_mergeable(vm))


def _local(vm, name, delta):
    """The local path of a disk file's extent (None while the namespace is
    not in use or the name is not on a datastore)."""
    if not files_on_disk.namespace(vm.server).materialized:
        return None
    return local_extent(vm, name, delta)


def _relinked(chain):
    """The backings of `chain` (base first) linked through `parent`; the top."""
    top = None
    for backing in chain:
        backing.parent = top
        top = backing
    return top


def merge_redundant(vm):
    """Merge every delta into its redundant parent; True when any was."""
    mergeable = _mergeable(vm)
    for disk, merges in mergeable:
        gone = set()
        for parent, child in merges:
            merge_delta(vm, parent, child)
            gone.add(child.fileName)
        kept = [b for b in backing_chain(disk.backing) if b.fileName not in gone]
        disk.backing = _relinked(kept)
    return bool(mergeable)


def consolidate_task(ctx, vm):
    """ConsolidateVMDisks_Task: merge what `consolidationNeeded` reports
    (a template: InvalidState)."""
    def work(task):
        if vm.template:
            raise invalid_state()
        if merge_redundant(vm):
            vm.devices_changed()
        task.post_event('EventEx', vm, eventTypeId=CONSOLIDATED,
                        severity=EXTENDED[CONSOLIDATED][1], arguments=[])
        return None
    return vm_task(ctx, vm, 'ConsolidateVMDisks_Task', work)


def consolidation_estimate_task(ctx, vm):
    """EstimateStorageForConsolidateSnapshots_Task: per datastore, the space
    merging would need, the data the deltas to merge hold (all deltas of
    the running disks when every snapshot goes)."""
    def work(task):
        needed = {}
        for disk in vm.disks():
            for backing in backing_chain(disk.backing)[1:]:
                path = _local(vm, backing.fileName, True)
                data = files_on_disk.file_usage(path)[0] if path else 0
                ds = vm.server.objects.get(backing.datastore)
                if ds is not None:
                    needed[ds] = needed.get(ds, 0) + data
        T = vm.T
        return [T.StorageRequirement(datastore=ds.ref, freeSpaceRequiredInKb=-(-size // KB))
                for ds, size in needed.items()]
    return vm_task(ctx, vm, 'EstimateStorageForConsolidateSnapshots_Task', work)


def promote_task(ctx, vm, unlink, disks):
    """PromoteDisks_Task: the given disks (all when none) of a powered-off VM
    get their own base (`unlink`) or their redundant deltas merged."""
    def work(task):
        if vm.power_state != 'poweredOff':
            raise invalid_power_state('poweredOff', vm.power_state)
        if vm.snapshot_tree is not None:      # its snapshots hold the chains
            raise invalid_state()
        own = {disk.key: disk for disk in vm.device_list()
               if isinstance(disk, vm.T.VirtualDisk)}
        chosen = []
        for index, given in enumerate(disks):
            if getattr(given, 'key', None) not in own:
                raise InvalidArgument('disks[%d]' % index)
            chosen.append(own[given.key])
        chosen = chosen or list(own.values())
        for disk in chosen:
            if unlink and len(backing_chain(disk.backing)) > 1:
                _own_base(vm, disk, sorted(own).index(disk.key))
        if not unlink:
            merge_redundant(vm)
        if not any(len(backing_chain(disk.backing)) > 1 and
                   backing_chain(disk.backing)[0].fileName in held_elsewhere(vm)
                   for disk in vm.disks()):
            vm.linked_parent = None
        vm.devices_changed()
        return None
    return vm_task(ctx, vm, 'PromoteDisks_Task', work)


def _own_base(vm, disk, index):
    """The disk's whole chain as one flat disk of the VM's own."""
    chain = backing_chain(disk.backing)
    base = chain[-1]           # the top's settings, made a base
    name = vm.file_path('.vmdk' if index == 0 else '_%d.vmdk' % index)
    target = _local(vm, name, False)
    first = _local(vm, chain[0].fileName, False)
    if target and first and target != first and os.path.exists(first) \
            and not os.path.exists(target):
        files_on_disk.copy(first, target)
    for backing in chain[1:]:
        source = _local(vm, backing.fileName, True)
        if target and source and os.path.exists(source) and os.path.exists(target):
            files_on_disk.overlay(source, target)
    base.fileName = name
    base.datastore = vm.datastore_object.ref
    base.deltaDiskFormat = None
    base.parent = None
    if hasattr(base, 'deltaGrainSize'):
        base.deltaGrainSize = None
        base.deltaDiskFormatVariant = None
    disk.backing = base


def _links(vm):
    """[(parent backing, its datastore, child backing, its datastore)] of
    each delta of the VM's chains (running disks and snapshots') once, both
    datastores known; None before the namespace is in use."""
    if not files_on_disk.namespace(vm.server).materialized:
        return None
    chains = [backing_chain(disk.backing) for disk in vm.disks()]
    tree = vm.snapshot_tree
    if tree is not None:
        chains.extend(tree.disk_chains())
    links, seen = [], set()
    get = vm.server.objects.get
    for chain in chains:
        for parent, child in zip(chain, chain[1:]):
            if child.fileName in seen:
                continue
            seen.add(child.fileName)
            parent_ds, child_ds = get(parent.datastore), get(child.datastore)
            if parent_ds is not None and child_ds is not None:
                links.append((parent, parent_ds, child, child_ds))
    return links


def _mismatched(vm, links=None):
    """[(delta's datastore, its descriptor, its datastore path, the parent's
    CID)] of the deltas of the VM's chains whose parentCID is not their
    parent's CID, as their files say."""
    found = []
    for parent, parent_ds, child, child_ds in (_links(vm) if links is None else links) or ():
        above = files_on_disk.descriptor_named(parent_ds, parent.fileName)
        below = files_on_disk.descriptor_named(child_ds, child.fileName)
        if above is not None and below is not None and below.parent_cid != above.cid:
            found.append((child_ds, below, child.fileName, above.cid))
    return found


def disk_chain_broken(vm):
    """runtime.diskChainBroken: a delta of the VM's chains names another
    parent CID than its parent's. Kept while the chains' file names and
    their datastores' file generations stay (see the module doc)."""
    links = _links(vm)
    if not links:
        return False
    key = tuple((parent.fileName, files_generation(parent_ds), child.fileName,
                 files_generation(child_ds)) for parent, parent_ds, child, child_ds in links)
    known = vm.__dict__.get('_chain_broken')
    if known is not None and known[0] == key:
        return known[1]
    broken = bool(_mismatched(vm, links))
    vm._chain_broken = (key, broken)
    return broken


def repair_chains_task(ctx, vm):
    """RepairVmDiskChains_Task: each mismatched delta takes its parent's CID
    (InvalidPowerState unless powered off: a running VM holds its disks)."""
    def work(task):
        if vm.power_state != 'poweredOff':
            raise invalid_power_state('poweredOff', vm.power_state)
        for ds, descriptor, name, cid in _mismatched(vm):
            descriptor.parent_cid = cid
            path = files_on_disk.local_path(ds, files_on_disk.split_path(name)[1])
            files_on_disk.write_file(path, descriptor.text().encode('utf-8'))
            files_on_disk.files_changed(ds)
        vm.changed('runtime')
        return None
    return vm_task(ctx, vm, 'RepairVmDiskChains_Task', work)


def unowned_files(vm):
    """QueryUnownedFiles: files of the VM's directory that are none of its own."""
    files_on_disk.namespace(vm.server).materialize()
    ds = vm.datastore_object
    own = {name for name, _, _ in vm.files()}
    return sorted(name for name in files_on_disk.files_in(ds, vm.dir_name)
                  if name not in own and not name.endswith('.lck'))
