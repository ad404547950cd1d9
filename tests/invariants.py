"""The model's invariants, read in-process from a simulator or through the API.

The links between inventory objects are checked on a snapshot of the link
properties of every entity, {(type, moid): {property: [(type, moid), ...]}},
which either source fills the same way (`model_snapshot` from the objects'
own reads, `api_snapshot` with pyVmomi through a container view), so one set
of checks (`link_violations`) serves both:

- every entity but the root folder has one parent that lists it (a folder's
  `childEntity`, a datacenter's four folders, a compute resource's hosts and
  root pool, a pool's child pools); a vApp is listed by its parent pool and
  its `parentFolder` too; a VM in a vApp has no parent but its `parentVApp`,
  whose `vm` lists it; nothing is listed by two parents; a folder holds only
  what its `childType` names, and folders of its own kind;
- host <-> VM (`runtime.host`, `vm`), VM <-> datastore, VM <-> network, host
  <-> datastore (`Datastore.host` mounts), host <-> network and pool <-> VM
  (`resourcePool`, `vm`) agree both ways and name only live entities; a VM's
  datastores and networks are its host's; a VM's pool belongs to its host's
  compute resource.

In-process only (`model_violations`): the roll-ups kept by deltas (a
datastore's usage, a cluster's VM counts, reservations and demand, a host's
running VMs' demand, a pool's running VMs' reservations and usage) equal
their sums from scratch; every snapshot's VM exists and has it
in its snapshot tree; no task queued or running for longer
than its simulated duration allows, recent tasks that exist and every
unfinished task recent, and every object of the registry reachable from the
ServiceInstance through properties, held by a live session, a finished task
the task manager keeps readable for a while, or handed out by a method of a
reachable object it names back (a cluster's EVC manager).

Each function returns a list of violations (strings); empty means they hold.
"""
import functools

from vimsim import clock
from vimsim.managed.base import Context
from vimsim.managed.inventory.cluster_config import cluster_vms
from vimsim.managed.monitoring.load_model import latest_index, load_model
from vimsim.managed.storage.datastore_files import loose_usage
from vimsim.managed.vm.admission import vm_reservation
from vimsim.managed.paths import read_path
from vimsim.schema import MoRef

LINKS = ('parent', 'childEntity', 'vmFolder', 'hostFolder', 'datastoreFolder', 'networkFolder',
         'host', 'vm', 'datastore', 'network', 'resourcePool', 'owner', 'parentVApp',
         'parentFolder', 'childType')
NAMES = ('childType',)   # link properties holding type names, not references
VM_HOST = 'runtime.host'
TASK_SLACK = 5.0    # seconds a task may take beyond its simulated duration


def link_paths(schema, type_name):
    """The link properties a managed type has."""
    managed = schema.managed[type_name]
    paths = [name for name in LINKS if name in managed.property_map]
    if managed.is_a('VirtualMachine'):
        paths.append(VM_HOST)
    return paths


def link_value(path, value):
    """A link property's value in a snapshot: its references, or its names."""
    if path in NAMES:
        return sorted(value or ())
    return refs_in(value)


def refs_in(value):
    """The (type, moid) pairs a property value holds: MoRefs, arrays of them,
    and the `key` of host mounts (Datastore.host)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [ref for item in value for ref in refs_in(item)]
    if isinstance(value, MoRef):
        return [(value.type, value.value)]
    key = getattr(value, 'key', None)
    if isinstance(key, MoRef):
        return [(key.type, key.value)]
    wsdl_name, moid = getattr(value, '_wsdlName', None), getattr(value, '_moId', None)
    if moid is not None:      # a pyVmomi managed object
        return [(wsdl_name, moid)]
    if key is not None and getattr(key, '_moId', None) is not None:
        return [(key._wsdlName, key._moId)]
    return []


# -- the snapshots ------------------------------------------------------------------
def model_snapshot(server):
    """Link properties of every ManagedEntity in the registry, as each
    object reads them (call on the reactor thread)."""
    schema = server.schema
    ctx = Context(server, None, schema.newest)
    snapshot = {}
    for obj in server.objects:
        if not schema.managed[obj.type_name].is_a('ManagedEntity'):
            continue
        snapshot[(obj.type_name, obj.ref.value)] = {
            path: link_value(path, read_path(obj, path, ctx)[0])
            for path in link_paths(schema, obj.type_name)}
    return snapshot


def api_snapshot(si, schema):
    """The same, through pyVmomi: RetrievePropertiesEx over a container view of
    everything under the root folder (and the root folder)."""
    from pyVmomi import VmomiSupport, vim, vmodl
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [], True)
    collector = vmodl.query.PropertyCollector
    try:
        prop_sets = [collector.PropertySpec(type=VmomiSupport.GetWsdlType('urn:vim25', name),
                                            pathSet=link_paths(schema, name))
                     for name in sorted(schema.managed) if schema.managed[name].is_a('ManagedEntity')
                     and VmomiSupport.GetWsdlType('urn:vim25', name) is not None]
        spec = collector.FilterSpec(propSet=prop_sets, objectSet=[
            collector.ObjectSpec(obj=content.rootFolder),
            collector.ObjectSpec(obj=view, skip=True, selectSet=[collector.TraversalSpec(
                type=vim.view.ContainerView, path='view', skip=False)])])
        pc = content.propertyCollector
        result = pc.RetrievePropertiesEx([spec], collector.RetrieveOptions())
        snapshot = {}
        while result is not None:
            for item in result.objects:
                props = {p.name: link_value(p.name, p.val) for p in item.propSet}
                type_name = item.obj._wsdlName
                snapshot[(type_name, item.obj._moId)] = {
                    path: props.get(path, []) for path in link_paths(schema, type_name)}
            result = pc.ContinueRetrievePropertiesEx(result.token) if result.token else None
        return snapshot
    finally:
        view.DestroyView()


# -- the checks ---------------------------------------------------------------------
def link_violations(schema, snapshot):
    """Violations of the inventory's link invariants in a snapshot."""
    out = []

    def is_a(ref, type_name):
        return schema.managed[ref[0]].is_a(type_name)

    def one(ref, path):
        values = snapshot[ref].get(path) or []
        return values[0] if values else None

    def name(ref):
        return '%s:%s' % ref

    listed_by = {}      # child -> containers listing it as a child
    for ref in snapshot:
        for child in _tree_children(schema, ref, snapshot[ref]):
            listed_by.setdefault(child, []).append(ref)
            if child not in snapshot:
                out.append('%s lists %s, which does not exist' % (name(ref), name(child)))
    roots = []
    for ref, props in snapshot.items():
        parent = one(ref, 'parent')
        holders = listed_by.get(ref, [])
        vapp = one(ref, 'parentVApp') if is_a(ref, 'VirtualMachine') else None
        expected = []
        if vapp is not None:
            if parent is not None:
                out.append('%s is in vApp %s but has parent %s' % (name(ref), name(vapp),
                                                                  name(parent)))
            if vapp not in snapshot or ref not in snapshot[vapp].get('vm', ()):
                out.append('%s: its vApp %s does not list it' % (name(ref), name(vapp)))
        elif parent is None:
            roots.append(ref)
        else:
            expected.append(parent)
            if parent not in snapshot:
                out.append('%s: parent %s does not exist' % (name(ref), name(parent)))
            elif parent not in holders:
                out.append('%s: parent %s does not list it' % (name(ref), name(parent)))
        if is_a(ref, 'VirtualApp') and one(ref, 'parentFolder') is not None:
            expected.append(one(ref, 'parentFolder'))
        extra = [h for h in holders if h not in expected]
        if extra:
            out.append('%s is listed by %s besides its parent' % (
                name(ref), ', '.join(map(name, extra))))
        missing = [h for h in expected if h not in holders and h != parent]
        if missing:
            out.append('%s: its parentFolder %s does not list it' % (name(ref), name(missing[0])))
    for ref, props in snapshot.items():
        if is_a(ref, 'Folder'):
            out.extend(_kind_violations(schema, snapshot, ref, props))
    if len(roots) != 1 or not is_a(roots[0], 'Folder'):
        out.append('entities without a parent (one root folder expected): %s' % (
            ', '.join(map(name, roots))))

    def both_ways(left_type, left_path, right_type, right_path, what):
        for ref, props in snapshot.items():
            if not is_a(ref, left_type):
                continue
            for other in props.get(left_path, ()):
                if other not in snapshot:
                    out.append('%s: %s %s does not exist' % (name(ref), what, name(other)))
                elif not is_a(other, right_type):
                    out.append('%s: %s %s is not a %s' % (name(ref), what, name(other), right_type))
                elif ref not in snapshot[other].get(right_path, ()):
                    out.append('%s lists %s in %s, which does not list it in %s' % (
                        name(ref), name(other), left_path, right_path))

    for pair in ((('VirtualMachine', VM_HOST), ('HostSystem', 'vm')),
                 (('VirtualMachine', 'datastore'), ('Datastore', 'vm')),
                 (('VirtualMachine', 'network'), ('Network', 'vm')),
                 (('HostSystem', 'datastore'), ('Datastore', 'host')),
                 (('HostSystem', 'network'), ('Network', 'host')),
                 (('VirtualMachine', 'resourcePool'), ('ResourcePool', 'vm'))):
        (a_type, a_path), (b_type, b_path) = pair
        both_ways(a_type, a_path, b_type, b_path, a_path)
        both_ways(b_type, b_path, a_type, a_path, b_path)

    for ref, props in snapshot.items():
        if not is_a(ref, 'VirtualMachine'):
            continue
        host = one(ref, VM_HOST)
        if host is None or host not in snapshot:
            out.append('%s has no host' % name(ref))
            continue
        for path in ('datastore', 'network'):
            foreign = [r for r in props.get(path, ()) if r not in snapshot[host].get(path, ())]
            if foreign:
                out.append('%s uses %s %s, which its host %s does not have' % (
                    name(ref), path, ', '.join(map(name, foreign)), name(host)))
        pool = one(ref, 'resourcePool')
        compute = one(host, 'parent')
        if pool is not None and pool in snapshot and one(pool, 'owner') != compute:
            out.append('%s: its pool %s belongs to %s, its host %s to %s' % (
                name(ref), name(pool), one(pool, 'owner'), name(host), compute))
    return out


def _kind_violations(schema, snapshot, ref, props):
    """A folder holds what its childType names (a storage pod as itself, not
    as a Folder), and folders of its own kind."""
    kinds = props.get('childType', [])
    out = []
    for child in props.get('childEntity', []):
        if child not in snapshot:
            continue
        managed = schema.managed[child[0]]
        names = [k for k in kinds if not (k == 'Folder' and child[0] != 'Folder')]
        if not any(managed.is_a(k) for k in names):
            out.append('%s:%s holds %s:%s, which its childType %s does not name' % (
                ref + child + (kinds,)))
        elif child[0] == 'Folder' and snapshot[child].get('childType', []) != kinds:
            out.append('%s:%s holds %s:%s, a folder of another kind %s' % (
                ref + child + (snapshot[child].get('childType', []),)))
    return out


def _tree_children(schema, ref, props):
    """What an entity holds as its children in the inventory tree."""
    managed = schema.managed[ref[0]]
    if managed.is_a('Folder'):
        return props.get('childEntity', [])
    if managed.is_a('Datacenter'):
        return [r for path in ('vmFolder', 'hostFolder', 'datastoreFolder', 'networkFolder')
                for r in props.get(path, [])]
    if managed.is_a('ComputeResource'):
        return props.get('host', []) + props.get('resourcePool', [])
    if managed.is_a('ResourcePool'):
        return props.get('resourcePool', [])
    return []


def model_violations(server, slack=TASK_SLACK):
    """Every invariant, read from the model in-process (call on the reactor
    thread): the links, tasks, the registry."""
    return (link_violations(server.schema, model_snapshot(server)) + snapshot_violations(server)
            + task_violations(server, slack) + registry_violations(server)
            + port_violations(server) + rollup_violations(server))


def rollup_violations(server):
    """Each roll-up kept by deltas (monitoring/rollup.py) equals the sum from
    scratch over the members its container lists now."""
    out = []
    for obj in list(server.objects):
        if obj.type_name == 'Datastore':
            committed, uncommitted = loose_usage(obj)
            for vm in obj.vms:
                c, u = vm.storage_usage(obj)
                committed += c
                uncommitted += u
            summary = obj.summary
            expected = (max(obj.capacity - committed - obj.overhead, 0), uncommitted)
            if (summary.freeSpace, summary.uncommitted) != expected:
                out.append('Datastore:%s: (freeSpace, uncommitted) %r, summed %r' % (
                    obj.ref.value, (summary.freeSpace, summary.uncommitted), expected))
        elif obj.type_name == 'ClusterComputeResource':
            vms = cluster_vms(obj)
            on = [vm for vm in vms if vm.power_state == 'poweredOn']
            off = [vm for vm in vms if vm.power_state != 'poweredOn']
            expected = (len(vms), len(off), sum(vm.cpu_reservation for vm in off),
                        sum(vm.memory_reservation for vm in off),
                        sum(vm.usage_stats()[0] for vm in on),
                        sum(vm.usage_stats()[1] for vm in on))
            usage = obj.summary.usageSummary
            found = (usage.totalVmCount, usage.poweredOffVmCount,
                     usage.poweredOffCpuReservationMhz, usage.poweredOffMemReservationMB,
                     usage.cpuDemandMhz, usage.memDemandMB)
            if found != expected:
                out.append('ClusterComputeResource:%s: usageSummary %r, summed %r' % (
                    obj.ref.value, found, expected))
        elif obj.type_name in ('ResourcePool', 'VirtualApp'):
            for kind in ('cpu', 'memory'):
                expected = sum(vm_reservation(vm, kind) for vm in obj.vms
                               if vm.power_state == 'poweredOn')
                found = obj.reservation_used_for_vms(kind)
                if found != expected:
                    out.append('%s:%s: its running VMs reserve %d %s, summed %d' % (
                        obj.type_name, obj.ref.value, found, kind, expected))
            vms = obj.all_vms()
            on = [vm for vm in vms if vm.power_state == 'poweredOn']
            expected = (sum(vm.usage_stats()[0] for vm in vms),
                        sum(vm.usage_stats()[1] for vm in vms),
                        sum(vm.memory_mb for vm in on))
            quick = obj.summary.quickStats
            found = (quick.overallCpuUsage, quick.hostMemoryUsage,
                     obj.summary.configuredMemoryMB)
            if found != expected:
                out.append('%s:%s: (cpu, memory, configured memory) used %r, summed %r' % (
                    obj.type_name, obj.ref.value, found, expected))
        elif obj.type_name == 'HostSystem':
            out.extend(_host_demand_violations(obj))
    return out


def _host_demand_violations(host):
    """A host's running VMs' demand kept by deltas against its sum from scratch."""
    model = load_model(host.server)
    cpu, memory = model.summed_demand(host, latest_index())
    found = model.demand(host, [host.vms])
    if (found.cpu, found.memory) != (cpu, memory):
        return ['HostSystem:%s: its running VMs demand (cpu, memory) %r, summed %r' % (
            host.ref.value, (found.cpu, found.memory), (cpu, memory))]
    return []


def port_violations(server):
    """Every VM NIC on a distributed portgroup holds the port its backing
    names, of that portgroup, with that VM and NIC as its connectee; every
    port is in its switch's table and its portgroup's list."""
    ctx = Context(server, None, server.schema.newest)
    out = []
    for obj in server.objects:
        if obj.type_name == 'VmwareDistributedVirtualSwitch':
            for key, port in obj.ports.items():
                pg = port.portgroup
                if key != port.key or pg is not None and (
                        pg.dvs is not obj or port not in pg.ports):
                    out.append('%s:%s: port %s is not its portgroup\'s' % (
                        obj.type_name, obj.ref.value, key))
        if obj.type_name != 'VirtualMachine':
            continue
        config = obj.read('config', ctx)
        for nic in (config.hardware.device if config is not None else ()):
            port = getattr(getattr(nic, 'backing', None), 'port', None)
            if port is None or not getattr(port, 'portgroupKey', None):
                continue
            pg = server.objects.get(MoRef('DistributedVirtualPortgroup', port.portgroupKey))
            held = pg.dvs.ports.get(port.portKey) if pg is not None else None
            connectee = held.connectee if held is not None else None
            if held is None or held.portgroup is not pg or connectee is None or \
                    connectee.entity is not obj or connectee.nic_key != str(nic.key):
                out.append('VirtualMachine:%s: NIC %d names port %s of %s, which it does not '
                           'hold' % (obj.ref.value, nic.key, port.portKey, port.portgroupKey))
    return out


def snapshot_violations(server):
    """Every VirtualMachineSnapshot names a live VM whose snapshot tree has it."""
    ctx = Context(server, None, server.schema.newest)
    out = []
    for obj in server.objects:
        if obj.type_name != 'VirtualMachineSnapshot':
            continue
        vm = server.objects.get(obj.read('vm', ctx))
        if vm is None:
            out.append('VirtualMachineSnapshot:%s: its VM %s does not exist' % (
                obj.ref.value, obj.read('vm', ctx).value))
            continue
        tree = vm.read('snapshot', ctx)
        stack, found = list(tree.rootSnapshotList if tree is not None else ()), set()
        while stack:
            node = stack.pop()
            found.add(node.snapshot)
            stack.extend(node.childSnapshotList or ())
        if obj.ref not in found:
            out.append('VirtualMachineSnapshot:%s is not in the snapshot tree of its VM %s' % (
                obj.ref.value, vm.ref.value))
    return out


def task_violations(server, slack=TASK_SLACK):
    """No task queued or running longer than its simulated duration allows
    (tasks of CreateTask excepted: their extension ends them; and those
    waiting on the model, as EnterMaintenanceMode_Task waits for VMs to
    leave); the recent task lists name live tasks, and every unfinished task
    is recent."""
    out = []
    manager = getattr(server, 'task_manager', None)
    if manager is None:
        return out
    now = clock.now()
    tasks = [obj for obj in server.objects if obj.type_name == 'Task']
    for task in tasks:
        info = task.info
        if info.state not in ('queued', 'running') or task.external or task.waiting:
            continue
        allowed = manager.duration_of(info.name) / 1000.0 + slack
        age = (now - info.queueTime).total_seconds()
        if age > allowed:
            out.append('task %s (%s) %s for %.1f s (%.1f s allowed)' % (
                task.ref.value, info.name, info.state, age, allowed))
    recent = set(manager.recentTask)
    for ref in recent:
        if server.objects.get(ref) is None:
            out.append('recentTask lists %s, which does not exist' % ref.value)
    for task in tasks:
        if not task.done and task.ref not in recent:
            out.append('task %s is %s but not recent' % (task.ref.value, task.info.state))
    return out


def registry_violations(server):
    """Every object of the registry is reachable from the ServiceInstance
    through property values, held by a live session (views, collectors,
    filters), a finished task (kept readable after it leaves recentTask), or
    an object a reachable object hands out through a method (a cluster's
    EvcManager()) that names that object back, or for an argument the object
    names (GetAlarm(entity)); every session-held object's
    session is alive."""
    schema = server.schema
    ctx = Context(server, None, schema.newest)
    live_sessions = set(map(id, server.session_manager.sessions.values()))
    out = []
    seen = {server.service_instance.ref}
    todo = [server.service_instance]
    while todo:
        obj = todo.pop()
        for ref in _property_refs(schema, obj, ctx):
            if ref not in seen:
                seen.add(ref)
                found = server.objects.get(ref)
                if found is not None:
                    todo.append(found)
    handed_out = _handed_out(schema)
    handed_out_for = _handed_out_for(schema)
    for obj in server.objects:
        if obj.ref not in seen and any(
                ref in seen and (obj.type_name in handed_out.get(ref.type, ())
                                 or obj.type_name in handed_out_for.get(ref.type, ()))
                for ref in _property_refs(schema, obj, ctx)):
            seen.add(obj.ref)
    for obj in server.objects:
        owner = getattr(obj, 'owner', None)
        if owner is not None and not isinstance(owner, MoRef) and hasattr(owner, 'owned'):
            if id(owner) not in live_sessions:
                out.append('%s:%s is held by a session that ended' % (obj.type_name, obj.ref.value))
            continue
        if obj.ref not in seen and not (obj.type_name == 'Task' and obj.done):
            out.append('%s:%s is neither reachable nor held by a session' % (
                obj.type_name, obj.ref.value))
    return out


def _property_refs(schema, obj, ctx):
    """Every MoRef in an object's property values."""
    for field in schema.managed[obj.type_name].properties:
        try:
            value = obj.read(field.name, ctx)
        except Exception:     # a property that faults for this reader: nothing to follow
            continue
        yield from _all_refs(value)


@functools.cache
def _handed_out(schema):
    """managed type -> the managed types its methods return."""
    out = {}
    for operation in schema.operations.values():
        result = operation.result
        if result is not None and result.mo_type:
            for name, managed in schema.managed.items():
                if managed.is_a(operation.managed_type):
                    out.setdefault(name, set()).add(result.mo_type)
    return out


@functools.cache
def _handed_out_for(schema):
    """managed type -> the managed types (but Task) methods return for an
    argument of it: AlarmManager.GetAlarm(entity) hands out the alarms of an
    entity even when no entity they apply to is left to declare them."""
    out = {}
    for operation in schema.operations.values():
        result = operation.result
        if result is None or not result.mo_type or result.mo_type == 'Task':
            continue
        for param in operation.params:
            if getattr(param, 'mo_type', None):
                for name, managed in schema.managed.items():
                    if managed.is_a(param.mo_type):
                        out.setdefault(name, set()).add(result.mo_type)
    return out


def _all_refs(value, depth=0):
    """Every MoRef in a property value, data objects searched through."""
    if value is None or depth > 64 or isinstance(value, (str, bytes, int, float, bool)):
        return
    if isinstance(value, MoRef):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _all_refs(item, depth + 1)
    else:
        data_type = getattr(value, '_type', None)
        for name in getattr(data_type, '_names', ()):
            yield from _all_refs(getattr(value, name, None), depth + 1)


def api_violations(si, schema):
    """The link invariants and stuck tasks, read through pyVmomi."""
    out = link_violations(schema, api_snapshot(si, schema))
    now = si.CurrentTime()
    for task in si.content.taskManager.recentTask:
        try:
            info = task.info
        except Exception:     # finished and forgotten meanwhile
            continue
        if info.state in ('queued', 'running') and \
                (now - info.queueTime).total_seconds() > 60:
            out.append('task %s (%s) %s since %s' % (info.key, info.name, info.state,
                                                    info.queueTime))
    return out


def api_violations_at(host, port, user='user', password='pass'):
    """api_violations of the plain-HTTP simulator at host:port."""
    from pyVim.connect import Disconnect, SmartConnect
    from vimsim import schema as schema_module
    si = SmartConnect(protocol='http', host=host, port=port, user=user, pwd=password)
    try:
        return api_violations(si, schema_module.load())
    finally:
        Disconnect(si)
