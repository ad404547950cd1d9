"""Admission control: vCenter's rules for whether a VM may run on a host in a
resource pool, and whether a pool can grant a reservation.

One rule set with two users: the operations (PowerOnVM_Task, a vApp's power-on,
ReconfigVM_Task of a running VM, MigrateVM_Task and RelocateVM_Task,
CreateResourcePool, UpdateConfig, MoveIntoResourcePool) raise the first
problem these functions find, and the compatibility and provisioning
checkers report all of them in a CheckResult. It sits below the inventory
(pools, compute resources) and works on their objects through the methods the
pools define: `unreserved(kind)` is what a pool can still grant, its own
unreserved part plus, when its reservation is expandable, what its parent
can grant (ResourcePool in inventory/resource_pool.py).

Figures are vCenter's units: CPU in MHz, memory in MB in the model; the faults
give memory in bytes, as the API reference says.
"""
from vimsim.managed.vm.provisioning import host_usable, vm_nics
from vimsim.managed.vm.vm_task import invalid_power_state
from vimsim.soap.fault import fault

MB = 1024 * 1024
KINDS = ('cpu', 'memory')
# CheckTestType: the groups of tests a checker call may ask for
SOURCE_TESTS, HOST_TESTS, POOL_TESTS, DATASTORE_TESTS, NETWORK_TESTS = (
    'sourceTests', 'hostTests', 'resourcePoolTests', 'datastoreTests', 'networkTests')
TEST_TYPES = (SOURCE_TESTS, HOST_TESTS, POOL_TESTS, DATASTORE_TESTS, NETWORK_TESTS)
POWER_ON_TESTS = (HOST_TESTS, POOL_TESTS)
# kind -> (fault, what its message calls the resource, wire units per model unit)
HOST_CAPACITY_FAULTS = {'cpu': ('InsufficientHostCpuCapacityFault', 'CPU', 1),
                        'memory': ('InsufficientHostMemoryCapacityFault', 'memory', MB)}


def vm_reservation(vm, kind):
    """A VM's reservation of 'cpu' (MHz) or 'memory' (MB)."""
    return vm.cpu_reservation if kind == 'cpu' else vm.memory_reservation


def insufficient(kind, unreserved, requested):
    """vCenter's admission fault for a pool that cannot grant `requested`
    (model units) with only `unreserved` left."""
    if kind == 'cpu':
        return fault('InsufficientCpuResourcesFault', 'The available CPU resources in the '
                     'parent resource pool are insufficient for the operation.',
                     unreserved=unreserved, requested=requested)
    return fault('InsufficientMemoryResourcesFault', 'The available Memory resources in the '
                 'parent resource pool are insufficient for the operation.',
                 unreserved=unreserved * MB, requested=requested * MB)


def grant_problem(pool, kind, requested):
    """The fault (or None) for `pool` granting `requested` more of `kind`."""
    if requested <= 0:
        return None
    unreserved = pool.unreserved(kind)
    if requested > unreserved:
        return insufficient(kind, unreserved, requested)
    return None


def grant_problems(pool, requests):
    """Faults for `pool` granting {kind: amount}, CPU first."""
    found = (grant_problem(pool, kind, requests.get(kind, 0)) for kind in KINDS)
    return [problem for problem in found if problem is not None]


def host_problems(vm, host, running=True):
    """Why `vm` cannot be on `host`: its state (HostNotConnected,
    InvalidHostState); and, `running` there, more virtual CPUs than it has
    logical ones (NotEnoughCpus)."""
    found = []
    state = host_usable(host)
    if state is not None:
        found.append(state)
    if running:
        found.extend(cpu_problems(vm, host))
    return found


def cpu_problems(vm, host):
    """Why `vm` could not run on `host` whatever its state: more virtual
    CPUs than the host has logical ones (NotEnoughCpus)."""
    if vm.num_cpu <= host.num_cpu_threads:
        return []
    return [fault('NotEnoughCpus', 'The number of virtual CPUs (%d) is greater than the '
                  'number of logical CPUs available on the host (%d).'
                  % (vm.num_cpu, host.num_cpu_threads),
                  numCpuDest=host.num_cpu_threads, numCpuVm=vm.num_cpu)]


def host_capacity_problems(vm, host, copy=False):
    """Why `host` cannot hold `vm`'s reservations (a new `copy` of `vm`'s
    when set) besides those of the VMs running there
    (InsufficientHostCpuCapacityFault / ...MemoryCapacityFault)."""
    found = []
    for kind in KINDS:
        requested = vm_reservation(vm, kind)
        if requested <= 0:
            continue
        used = sum(vm_reservation(other, kind) for other in host.vms
                   if other.power_state == 'poweredOn' and (copy or other is not vm))
        unreserved = max(host.reservable[kind] - used, 0)
        if requested > unreserved:
            type_name, label, scale = HOST_CAPACITY_FAULTS[kind]
            found.append(fault(type_name, 'The host does not have sufficient %s resources to '
                               'satisfy the reservation.' % label, host=host.ref,
                               unreserved=unreserved * scale, requested=requested * scale))
    return found


def pool_problems(vm, pool):
    """Why `pool` cannot take `vm` running: its reservations do not fit (a
    VM already running in the pool holds them already)."""
    if vm.power_state == 'poweredOn' and vm.pool is pool:
        return []
    return grant_problems(pool, {kind: vm_reservation(vm, kind) for kind in KINDS})


def datastore_problems(host, datastores):
    """The `datastores` (a VM's files) that `host` does not mount."""
    return [fault('DatastoreNotWritableOnHost', "The datastore '%s' is not accessible on the "
                  'host.' % ds.name, datastore=ds.ref, name=ds.name, host=host.ref)
            for ds in datastores if ds is not None and ds not in host.datastores]


def network_problems(vm, host, rebacked=()):
    """The VM's NICs whose network `host` does not see (but for the NIC keys
    in `rebacked`, which a request gives new backings)."""
    found = []
    for nic in vm_nics(vm):
        if nic.key in rebacked:
            continue
        network = vm._nic_network(nic)
        if network is not None and network not in host.networks:
            label = nic.deviceInfo.label if nic.deviceInfo is not None else ''
            found.append(fault('CannotAccessNetwork', "Currently connected network interface "
                               "'%s' uses network '%s', which is not accessible."
                               % (label, network.name), device=label, backing=network.name,
                               connected=True, network=network.ref))
    return found


def source_problems(vm):
    """Why the VM cannot leave where it is: its host not connected."""
    if vm.host is None or vm.host.connection_state == 'connected':
        return []
    return [host_usable(vm.host)]


def placement_problems(vm, host, pool, tests, datastores=None, running=True, rebacked=()):
    """Every fault of the `tests` groups (CheckTestType values) for `vm` on
    `host` in `pool` with its files on `datastores` (default: where they
    are), `running` there or not, in vCenter's order of checking."""
    found = []
    if SOURCE_TESTS in tests:
        found.extend(source_problems(vm))
    if HOST_TESTS in tests and host is not None:
        found.extend(host_problems(vm, host, running))
    if POOL_TESTS in tests and pool is not None and running:
        found.extend(pool_problems(vm, pool))
    if HOST_TESTS in tests and host is not None and running \
            and not (vm.power_state == 'poweredOn' and vm.host is host):
        found.extend(host_capacity_problems(vm, host))
    if DATASTORE_TESTS in tests and host is not None:
        found.extend(datastore_problems(host, datastores or vm.datastore_objects()))
    if NETWORK_TESTS in tests and host is not None:
        found.extend(network_problems(vm, host, rebacked))
    return found


def copy_problems(vm, host, pool, datastores, running, tests=TEST_TYPES, rebacked=()):
    """What refuses a new VM copied from `vm` (CloneVM_Task, InstantClone_Task)
    on `host` in `pool` with its files on `datastores`, `running` at once: a
    usable host (with enough logical CPUs to run it), and to run it the
    pool's and the host's room for another VM of `vm`'s reservations; the
    datastores and networks reachable from the host."""
    found = []
    if HOST_TESTS in tests:
        found.extend(host_problems(vm, host, running))
    if POOL_TESTS in tests and pool is not None and running:
        found.extend(grant_problems(pool, {kind: vm_reservation(vm, kind) for kind in KINDS}))
    if HOST_TESTS in tests and running:
        found.extend(host_capacity_problems(vm, host, copy=True))
    if DATASTORE_TESTS in tests:
        found.extend(datastore_problems(host, datastores))
    if NETWORK_TESTS in tests:
        found.extend(network_problems(vm, host, rebacked))
    return found


def migration_problems(vm, host, pool, datastores=None, tests=TEST_TYPES, rebacked=()):
    """What refuses moving `vm` to `host` and `pool` (MigrateVM_Task,
    RelocateVM_Task): a running VM needs host and pool admission there; a
    powered-off one only a usable host; the host it is already on is not
    tested again."""
    if host is vm.host:
        tests = [test for test in tests if test != HOST_TESTS]
    return placement_problems(vm, host, pool, tests, datastores,
                              running=vm.power_state == 'poweredOn', rebacked=rebacked)


def check_migration(vm, host, pool, datastores, rebacked=()):
    """Raise the first reason `vm` cannot move to `host`, `pool`, `datastores`
    (the NICs of `rebacked` get new backings)."""
    problems = migration_problems(vm, host, pool, datastores, rebacked=rebacked)
    if problems:
        raise problems[0]


def power_state_problems(vm):
    """Why `vm` cannot be powered on at all: a template, or already on."""
    if vm.template:
        return [fault('InvalidState', 'The operation is not allowed in the current state.')]
    if vm.power_state == 'poweredOn':
        return [invalid_power_state('poweredOn', 'poweredOn')]
    return []


def power_on_problems(vm, host, pool, tests=POWER_ON_TESTS):
    """What refuses a power-on of `vm` on `host` in `pool`: its state, then
    the `tests` (host and pool admission for the operation itself)."""
    return power_state_problems(vm) or placement_problems(vm, host, pool, tests)


def check_power_on(vm):
    """Raise the first reason `vm` cannot power on where it is."""
    problems = power_on_problems(vm, vm.host, vm.pool)
    if problems:
        raise problems[0]


def check_reservation_change(vm, reservations):
    """Raise the fault for a running `vm` taking the new {kind: reservation}:
    its pool must grant the increase."""
    if vm.power_state != 'poweredOn' or vm.pool is None:
        return
    problems = grant_problems(vm.pool, {kind: reservations[kind] - vm_reservation(vm, kind)
                                        for kind in KINDS})
    if problems:
        raise problems[0]
