"""VirtualMachineSnapshot and a VM's snapshot tree.

A snapshot keeps what the VM was when it was taken: the configuration that
reverting restores (cpu, memory, devices, ...) and its power state, the disk
files it froze (each running disk moves to a new seSparse delta,
'<disk>-000001.vmdk', whose parent is the frozen file) and its own files
('<vm>-Snapshot1.vmsn', '.vmem' with memory). The VM's `snapshot`,
`rootSnapshot`, `layout.snapshot` and `layoutEx.snapshot` are computed from
the tree; every file of every chain appears in `layoutEx.file`.

Removing a snapshot consolidates as vSphere does: the one delta that depends
on the frozen file is merged into it, its data written over the frozen
file's (the base disk survives; the VM may run on the parent delta
afterwards); a file two chains still need stays. While a snapshot exists
the running disk's writes go to its delta (storage/disk_data.py), so the
frozen files keep the bytes of their point in time.
"""
import copy
import inspect

from vimsim import clock
from vimsim.managed.base import ExtensibleManagedObject
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.managed.vm.change_tracking import freeze as freeze_changes
from vimsim.managed.vm.disk_chain import backing_chain, chain_units
from vimsim.managed.vm.vm_files import merge_delta
from vimsim.managed.vm.vm_task import invalid_state, tools_unavailable, vm_task
from vimsim.soap.encode import Long
from vimsim.soap.fault import fault

# the VM attributes a snapshot keeps and reverting restores
CAPTURED = ('num_cpu', 'memory_mb', 'cores_per_socket', 'guest_id', 'annotation',
            'extra_config', 'cpu_allocation', 'memory_allocation', 'cpu_hot_add',
            'cpu_hot_remove', 'memory_hot_add', 'disk_kb')
VMSN_SIZE = 33456
SNAPSHOT_NAME_MAX = 80
# levels in a snapshot tree: a branch of 31 snapshots is a disk chain of 32
# files, vSphere's "32 snapshots in a chain"; one more is TooManySnapshotLevels
MAX_SNAPSHOT_LEVELS = 31


def _now():
    return clock.now()


class _StateView:
    """The VM as it was at a snapshot: captured attributes over the live VM,
    with the VM class's methods and properties evaluated against the view."""

    def __init__(self, vm, state):
        self.__dict__.update(state)
        self.__dict__['_vm'] = vm

    def __getattr__(self, name):
        vm = self.__dict__['_vm']
        attr = inspect.getattr_static(type(vm), name, None)
        if isinstance(attr, property):
            return attr.fget(self)
        if inspect.isfunction(attr):
            return attr.__get__(self)
        return getattr(vm, name)


class VirtualMachineSnapshot(ExtensibleManagedObject):
    type_name = 'VirtualMachineSnapshot'

    def __init__(self, tree, moid, sid, name, description, state, quiesced, memory_file,
                 captured):
        super().__init__(tree.vm.server, moid)
        self.tree = tree
        self.sid = sid
        self.name = name
        self.description = description or ''
        self.create_time = _now()
        self.state = state
        self.quiesced = quiesced
        self.memory_file = memory_file
        self.captured = captured          # CAPTURED attributes, '_devices', 'power_state'
        self.parent_snapshot = None
        self.children = []

    # -- properties ------------------------------------------------------------------
    @property
    def vm(self):
        return self.tree.vm.ref

    @property
    def childSnapshot(self):
        return [child.ref for child in self.children]

    @property
    def config(self):
        vm = self.tree.vm
        view = _StateView(vm, dict(self.captured, snapshot_tree=None, boot_time=None))
        return type(vm).config.fget(view)

    def devices(self):
        return self.captured['_devices']

    def tree_info(self):
        T = self.tree.vm.T
        return T.VirtualMachineSnapshotTree(
            snapshot=self.ref, vm=self.tree.vm.ref, name=self.name,
            description=self.description, id=self.sid, createTime=self.create_time,
            state=self.state, quiesced=self.quiesced, backupManifest=None,
            childSnapshotList=[child.tree_info() for child in self.children],
            replaySupported=False)

    def data_file(self):
        vm = self.tree.vm
        return '%s%s-Snapshot%d.vmsn' % (vm.home, vm.file_name, self.sid)

    def memory_file_name(self):
        vm = self.tree.vm
        return '%s%s-Snapshot%d.vmem' % (vm.home, vm.file_name, self.sid)

    def subtree(self):
        """This snapshot and those below it, depth first (without recursion)."""
        found, pending = [], [self]
        while pending:
            snap = pending.pop()
            found.append(snap)
            pending.extend(reversed(snap.children))
        return found

    def level(self):
        """1 for a root snapshot, 2 for its children, ..."""
        level, above = 1, self.parent_snapshot
        while above is not None:
            level, above = level + 1, above.parent_snapshot
        return level

    # -- API methods -------------------------------------------------------------------
    def RevertToSnapshot_Task(self, ctx, host=None, suppressPowerOn=False):
        vm = self.tree.vm
        return vm_task(ctx, vm, 'RevertToSnapshot_Task',
                       lambda task: revert(task, vm, self, suppressPowerOn), this=self)

    def RemoveSnapshot_Task(self, ctx, removeChildren, consolidate=True, spec=None):
        vm = self.tree.vm

        def work(task):
            if vm.snapshot_tree is not self.tree or self not in self.tree.all():
                raise fault('ManagedObjectNotFound', "The object '%s:%s' has already been "
                            'deleted or has not been completely created'
                            % (self.ref.type, self.ref.value), obj=self.ref)
            self.tree.remove(self, bool(removeChildren), consolidate is not False)
            return None
        return vm_task(ctx, vm, 'RemoveSnapshot_Task', work, this=self)

    def ExportSnapshot(self, ctx):
        """The disks as this snapshot froze them, to GET over NFC (the VM may run)."""
        from vimsim.managed.storage.http_nfc_lease import export_lease
        vm = self.tree.vm
        return export_lease(ctx, vm, [vm], snapshot=self)

    def RenameSnapshot(self, ctx, name=None, description=None):
        if name is not None:
            _check_name(self.tree.vm, name)
            self.name = name
        if description is not None:
            self.description = description
        self.tree.vm.changed('snapshot')
        return None


def _check_name(vm, name):
    if not name or len(name) > SNAPSHOT_NAME_MAX:
        raise fault('InvalidName', "The name '%s' is invalid." % name, name=name, entity=vm.ref)


# -- the tree ----------------------------------------------------------------------------

class SnapshotTree:
    def __init__(self, vm):
        self.vm = vm
        self.roots = []
        self.current = None
        self.next_id = 1

    def all(self):
        found = []
        for root in self.roots:
            found.extend(root.subtree())
        return found

    def root_refs(self):
        return [root.ref for root in self.roots]

    def info(self):
        return self.vm.T.VirtualMachineSnapshotInfo(
            currentSnapshot=self.current.ref if self.current is not None else None,
            rootSnapshotList=[root.tree_info() for root in self.roots])

    # -- files ---------------------------------------------------------------------------
    def disk_chains(self):
        Disk = self.vm.T.VirtualDisk
        return [backing_chain(device.backing) for snap in self.all() for device in snap.devices()
                if isinstance(device, Disk)]

    def datastores(self):
        get = self.vm.server.objects.get
        found = []
        for chain in self.disk_chains():
            for backing in chain:
                ds = get(backing.datastore) if backing.datastore is not None else None
                if ds is not None and ds not in found:
                    found.append(ds)
        return found

    def vmsd_size(self):
        return 400 + 300 * len(self.all())

    def snapshot_files(self):
        out = []
        for snap in self.all():
            out.append((snap.data_file(), 'snapshotData', VMSN_SIZE))
            if snap.memory_file:
                out.append((snap.memory_file_name(), 'snapshotMemory',
                            snap.captured['memory_mb'] * 1024 * 1024))
        return out

    def layout_ex(self, files):
        T = self.vm.T
        keys = {name: key for key, (name, _, _) in enumerate(files)}
        out = []
        for snap in self.all():
            disks = [T.VirtualMachineFileLayoutExDiskLayout(
                key=device.key, chain=[
                    T.VirtualMachineFileLayoutExDiskUnit(fileKey=unit)
                    for unit in chain_units(backing_chain(device.backing), keys)])
                for device in snap.devices() if isinstance(device, T.VirtualDisk)]
            out.append(T.VirtualMachineFileLayoutExSnapshotLayout(
                key=snap.ref, dataKey=keys.get(snap.data_file(), -1),
                memoryKey=keys.get(snap.memory_file_name(), -1) if snap.memory_file else -1,
                disk=disks))
        return out

    def layout(self):
        T = self.vm.T
        out = []
        for snap in self.all():
            names = [snap.data_file()]
            if snap.memory_file:
                names.append(snap.memory_file_name())
            for device in snap.devices():
                if isinstance(device, T.VirtualDisk):
                    names.extend(b.fileName for b in backing_chain(device.backing))
            out.append(T.VirtualMachineFileLayoutSnapshotLayout(key=snap.ref,
                                                                snapshotFile=names))
        return out

    # -- changes ---------------------------------------------------------------------------
    def destroy_all(self):
        """The VM leaves the inventory: its snapshots go with it."""
        for snap in self.all():
            snap.destroy()
        self.roots = []
        self.current = None

    def add(self, snap):
        parent = self.current
        snap.parent_snapshot = parent
        (parent.children if parent is not None else self.roots).append(snap)
        self.current = snap

    def remove(self, snap, remove_children, consolidate):
        removed = snap.subtree() if remove_children else [snap]
        parent = snap.parent_snapshot
        siblings = parent.children if parent is not None else self.roots
        index = siblings.index(snap)
        siblings.remove(snap)
        if not remove_children:
            for child in snap.children:
                child.parent_snapshot = parent
            siblings[index:index] = snap.children
        if self.current in removed:
            self.current = parent
        for gone in reversed(removed):
            if consolidate:
                self._consolidate(gone)
            gone.destroy()
        if not self.roots:
            self.vm.snapshot_tree = None
        self.vm.devices_changed()
        self.vm.changed('snapshot', 'rootSnapshot')

    def _device_lists(self):
        lists = [self.vm.device_list()]
        lists.extend(snap.devices() for snap in self.all())
        return lists

    def _consolidate(self, gone):
        """Merge into each disk file `gone` froze the one delta that depends
        on it (if exactly one does)."""
        Disk = self.vm.T.VirtualDisk
        lists = self._device_lists()
        for frozen in gone.devices():
            if not isinstance(frozen, Disk):
                continue
            top = frozen.backing.fileName
            children = set()
            for devices in lists:
                for device in devices:
                    if isinstance(device, Disk):
                        names = [b.fileName for b in backing_chain(device.backing)]
                        if top in names[:-1]:
                            children.add(names[names.index(top) + 1])
            if len(children) != 1:
                continue
            merged = children.pop()
            merge_delta(self.vm, frozen.backing, next(
                b for devices in lists for device in devices if isinstance(device, Disk)
                for b in backing_chain(device.backing) if b.fileName == merged))
            for devices in lists:
                for device in devices:
                    if isinstance(device, Disk):
                        chain = backing_chain(device.backing)
                        if any(b.fileName == merged for b in chain):
                            device.backing = _relink([b for b in chain if b.fileName != merged])


def _relink(chain):
    """Backings (base first) linked again through `parent`; returns the top."""
    parent = None
    for backing in chain:
        backing = copy.copy(backing)
        backing.parent = parent
        parent = backing
    return parent


def _new_delta(vm, device, number):
    """A seSparse delta over the disk's current top file."""
    base = backing_chain(device.backing)[0].fileName
    stem = base[:-len('.vmdk')] if base.endswith('.vmdk') else base
    delta = copy.copy(device.backing)
    delta.parent = device.backing
    delta.fileName = '%s-%06d.vmdk' % (stem, number)
    delta.deltaDiskFormat = 'seSparseFormat'
    delta.deltaGrainSize = None
    delta.deltaDiskFormatVariant = None
    delta.contentId = vm._uuid('d%d-%d' % (device.key, number))[:8] * 4
    return delta


def _next_delta(vm):
    number = getattr(vm, 'delta_counter', 0) + 1
    vm.delta_counter = number
    return number


def new_running_point(vm, devices):
    """Freeze the disks among `devices` (the VM's): each goes on in a new
    seSparse delta over its current top file, which no one writes again."""
    number = _next_delta(vm)
    Disk = vm.T.VirtualDisk
    for device in devices:
        if isinstance(device, Disk):
            device.backing = _new_delta(vm, device, number)


def capture(vm):
    state = {name: copy.deepcopy(getattr(vm, name)) for name in CAPTURED}
    state['_devices'] = copy.deepcopy(vm.device_list())
    state['power_state'] = vm.power_state
    return state


# -- task work ----------------------------------------------------------------------------

def create_snapshot_task(ctx, vm, name, description, memory, quiesce,
                         method='CreateSnapshot_Task'):
    if vm.template:
        raise invalid_state()

    def work(task):
        _check_name(vm, name)
        if vm.template:
            raise invalid_state()
        on = vm.power_state == 'poweredOn'
        if quiesce and on and not vm.tools_running:
            raise tools_unavailable()
        with_memory = bool(memory) and on
        state = vm.power_state if (with_memory or not on) else 'poweredOff'
        tree = vm.snapshot_tree
        if tree is not None and tree.current is not None and \
                tree.current.level() >= MAX_SNAPSHOT_LEVELS:
            raise fault('TooManySnapshotLevels', 'The operation would exceed the maximum of %d '
                        'levels in the snapshot tree.' % MAX_SNAPSHOT_LEVELS)
        if tree is None:
            tree = vm.snapshot_tree = SnapshotTree(vm)
        captured = capture(vm)
        captured['power_state'] = state
        freeze_changes(vm, captured['_devices'])
        sid = tree.next_id
        tree.next_id += 1
        snap = VirtualMachineSnapshot(tree, vm.server.objects.next_id('snapshot-'), sid, name,
                                      description, state, bool(quiesce) and on, with_memory,
                                      captured)
        new_running_point(vm, vm.device_list())
        tree.add(snap)
        vm.devices_changed()
        vm.changed('snapshot', 'rootSnapshot')
        return snap
    return vm_task(ctx, vm, method, work)


def revert(task, vm, snap, suppress_power_on):
    tree = vm.snapshot_tree
    if tree is None or snap not in tree.all():
        raise fault('NotFound', 'The object or item referred to could not be found.')
    captured = snap.captured
    for name in CAPTURED:
        setattr(vm, name, copy.deepcopy(captured[name]))
    devices = copy.deepcopy(captured['_devices'])
    new_running_point(vm, devices)
    vm._devices = devices
    tree.current = snap
    target = snap.state
    if target == 'poweredOn' and suppress_power_on:
        target = 'poweredOff'
    vm.change_stamp = _now()
    if vm.power_state != target:
        vm.set_power_state(target)
    vm.devices_changed()
    vm.changed('snapshot', 'rootSnapshot')
    T = vm.T
    event_manager(vm.server).post(
        'EventEx', vm, user=task.user, chain_id=task.chain_id,
        eventTypeId='com.vmware.vc.vm.VmStateRevertedToSnapshot', severity='info',
        message='The execution state of the virtual machine %s has been reverted to the '
                'state of snapshot %s, with ID %d' % (vm.name, snap.name, snap.sid),
        arguments=[T.KeyAnyValue(key='snapshotName', value=snap.name),
                   T.KeyAnyValue(key='snapshotId', value=Long(snap.sid))])
    return None


def revert_current_task(ctx, vm, suppress_power_on):
    tree = vm.snapshot_tree
    if tree is None or tree.current is None:
        raise fault('NotFound', 'The object or item referred to could not be found.')

    def work(task):
        current = vm.snapshot_tree.current if vm.snapshot_tree is not None else None
        if current is None:
            raise fault('NotFound', 'The object or item referred to could not be found.')
        return revert(task, vm, current, suppress_power_on)
    return vm_task(ctx, vm, 'RevertToCurrentSnapshot_Task', work)


def remove_all_task(ctx, vm, consolidate):

    def work(task):
        tree = vm.snapshot_tree
        while tree is not None and tree.roots:
            tree.remove(tree.roots[0], True, consolidate is not False)
            tree = vm.snapshot_tree
        return None
    return vm_task(ctx, vm, 'RemoveAllSnapshots_Task', work)
