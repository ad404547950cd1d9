"""Where a VM may run in a cluster, and how well: what DRS initial placement
(PowerOnVM_Task, PowerOnMultiVM_Task, PlaceVm, RecommendHostsForVm), its
balancing pass, maintenance-mode evacuation and HA restarts all decide by.

A host can take a VM when admission control admits it there
(vm/admission.py: host state, virtual CPUs, host and pool reservations,
datastores, networks) and no enabled rule of the cluster forbids it: a VM-VM
affinity rule wants the VM with its partners that run, an anti-affinity rule
away from them, a VM-host rule on (or off) its host group; a `mandatory`
VM-host rule ("must") is never broken, a "should" one only where nothing
else fits (HA restarts). Candidates rank by the load the host would carry
with the VM (the larger of its CPU and memory shares, from the load model),
then by their order in the cluster, so every decision is deterministic.
A VM not made yet (PlaceVm's create) is judged as a `PlannedVm`, and the
rules a PlacementSpec brings count with the cluster's, the VM placed being
a member of each (as vCenter reads a placement's interVmRule).
"""
from vimsim.managed.monitoring.load_model import VM_MEMORY_OVERHEAD_MB, load_model
from vimsim.managed.storage.datastore_files import split_path
from vimsim.managed.vm.admission import (DATASTORE_TESTS, HOST_TESTS, NETWORK_TESTS,
                                         POOL_TESTS, placement_problems)
from vimsim.managed.vm.virtual_machine import VirtualMachine, opaque_network
from vimsim.schema import MoRef
from vimsim.soap.fault import fault, localized

PLACEMENT_TESTS = (HOST_TESTS, POOL_TESTS, DATASTORE_TESTS, NETWORK_TESTS)


class Rules:
    """A cluster's enabled rules, by VM moid: the partners it must share a
    host with, those it must not, and the host groups it is bound to."""

    def __init__(self, cluster, placing=None, extra=()):
        """The cluster's rules, and the rules `extra` that the VM of moid
        `placing` is a member of besides those they name."""
        self.together = {}   # vm moid -> [(rule, partner moids)]
        self.apart = {}
        self.bound = {}      # vm moid -> [(rule, host moids, affine)]
        for rule in cluster.settings.rules.values():
            if rule.enabled:
                self._add(cluster, rule)
        for rule in extra:
            if rule.enabled is not False:
                self._add(cluster, rule, placing)

    def _add(self, cluster, rule, member=None):
        T = cluster.T
        groups = cluster.settings.groups
        if isinstance(rule, (T.ClusterAffinityRuleSpec, T.ClusterAntiAffinityRuleSpec)):
            members = {ref.value for ref in rule.vm or ()}
            if member is not None:
                members.add(member)
            into = self.together if isinstance(rule, T.ClusterAffinityRuleSpec) else self.apart
            for moid in members:
                into.setdefault(moid, []).append((rule, members - {moid}))
        elif isinstance(rule, T.ClusterVmHostRuleInfo):
            vm_group = groups.get(rule.vmGroupName)
            host_group = groups.get(rule.affineHostGroupName or rule.antiAffineHostGroupName)
            if host_group is None or vm_group is None and member is None:
                return
            hosts = {ref.value for ref in host_group.host or ()}
            members = {ref.value for ref in getattr(vm_group, 'vm', None) or ()}
            if member is not None:
                members.add(member)
            for moid in members:
                self.bound.setdefault(moid, []).append(
                    (rule, hosts, rule.affineHostGroupName is not None))

    def constrains(self, vm_moid):
        return vm_moid in self.together or vm_moid in self.apart or vm_moid in self.bound

    def broken(self, vm_moid, host_moid, where, soft=True):
        """The first rule `vm_moid` running on `host_moid` breaks, with the
        other running VMs where `where` (vm moid -> host moid) says; should
        VM-host rules count unless `soft` is false. None when none does."""
        for rule, partners in self.together.get(vm_moid, ()):
            for partner in partners:
                found = where.get(partner)
                if found is not None and found != host_moid:
                    return rule
        for rule, partners in self.apart.get(vm_moid, ()):
            for partner in partners:
                if where.get(partner) == host_moid:
                    return rule
        for rule, hosts, affine in self.bound.get(vm_moid, ()):
            if (soft or rule.mandatory) and (host_moid in hosts) != affine:
                return rule
        return None


def running_where(cluster):
    """vm moid -> host moid of the cluster's powered-on VMs."""
    return {vm.ref.value: host.ref.value for host in cluster.hosts for vm in host.vms
            if vm.power_state == 'poweredOn'}


def rule_fault(vm, host, rule):
    """vCenter's fault for `vm` on `host` against `rule`."""
    if isinstance(rule, vm.T.ClusterVmHostRuleInfo):
        return fault('VmHostAffinityRuleViolation', "The virtual machine '%s' violates "
                     "VM-host rule '%s' on host '%s'." % (vm.name, rule.name, host.name),
                     vmName=vm.name, hostName=host.name)
    return fault('RuleViolation', "The virtual machine '%s' violates rule '%s' on host '%s'."
                 % (vm.name, rule.name, host.name), host=host.ref, rule=rule)


def expected_demand(vm, model):
    """(CPU MHz, memory MB) `vm` brings to a host: what it uses now when it
    runs; otherwise its CPU reservation and the memory a guest touches at
    boot (the load model's 60 %) with its overhead."""
    if vm.power_state == 'poweredOn' and vm.host is not None:
        sample = model.vm_sample(vm)
        return sample.cpu_demand, sample.memory_consumed + sample.memory_overhead
    return vm.cpu_reservation, round(vm.memory_mb * 0.6) + VM_MEMORY_OVERHEAD_MB


def host_load(host, model):
    """(CPU MHz demanded, memory MB used) on a host now."""
    sample = model.host_sample(host)
    return sample.cpu_demand, sample.memory_usage


def load_share(host, cpu, memory):
    """The larger of the CPU and memory shares of a host's capacity."""
    return max(cpu / host.cpu_capacity_mhz, memory / host.memory_capacity_mb)


def rating(share):
    """A ClusterHostRecommendation rating (5 best) for the load share a host
    would carry."""
    return max(1, min(5, 5 - int(share * 5)))


class Candidates:
    """The hosts of a cluster that can run `vm` in `pool`, ranked, and why
    the others cannot (`refused`: host -> fault). `rules` default to the
    cluster's; `refused` may start with hosts refused already."""

    def __init__(self, cluster, vm, pool=None, hosts=None, where=None, soft=True,
                 excluded=(), rules=None, refused=None):
        model = load_model(cluster.server)
        rules = rules or Rules(cluster)
        where = running_where(cluster) if where is None else where
        pool = pool or vm.pool
        cpu, memory = expected_demand(vm, model)
        self.ranked = []   # (share with the VM, index, host)
        self.refused = dict(refused or {})
        for index, host in enumerate(hosts if hosts is not None else cluster.hosts):
            if host in excluded:
                self.refused[host] = fault('InvalidHostState', 'The operation is not allowed '
                                           'in the current state of the host.', host=host.ref)
                continue
            problems = placement_problems(vm, host, pool, PLACEMENT_TESTS)
            if problems:
                self.refused[host] = problems[0]
                continue
            rule = rules.broken(vm.ref.value, host.ref.value, where, soft)
            if rule is not None:
                self.refused[host] = rule_fault(vm, host, rule)
                continue
            used_cpu, used_memory = host_load(host, model)
            if vm.host is not host or vm.power_state != 'poweredOn':
                used_cpu, used_memory = used_cpu + cpu, used_memory + memory
            self.ranked.append((load_share(host, used_cpu, used_memory), index, host))
        self.ranked.sort(key=lambda entry: entry[:2])

    @property
    def best(self):
        return self.ranked[0][2] if self.ranked else None

    def no_host(self, vm):
        """NoCompatibleHost naming every host refused, with each one's fault."""
        return fault('NoCompatibleHost', "No host is compatible with the virtual machine "
                     "'%s'." % vm.name, host=[host.ref for host in self.refused],
                     error=[localized(error) for error in self.refused.values()])


class PlannedVm:
    """The VM a PlaceVm `create` describes with its configSpec, or the copy
    of `source` a `clone` makes (its size, reservations, NICs and disks,
    then the clone's config), as placement reads a VM: size, reservations,
    NICs, the datastore its files go to (set per host judged); it runs
    nowhere yet and no rule names it but the placement's own. `field` names
    the spec in faults."""
    power_state = 'poweredOff'
    host = None
    template = False

    def __init__(self, cluster, spec, pool, source=None, field='placementSpec.configSpec'):
        self.server, self.T, self.cluster = cluster.server, cluster.T, cluster
        self.ref = MoRef('VirtualMachine', '')
        self.name = spec.name or ''
        self.num_cpu, self.memory_mb, self.cpu_reservation, self.memory_reservation = \
            _sizes(spec, field, source)
        self.pool = pool
        self.datastore_object = None
        self.disk_bytes = source.disk_kb * 1024 if source else 0
        self._nics = list(source.nics()) if source else []
        for index, change in enumerate(spec.deviceChange or ()):
            device = change.device
            if change.operation != 'add' or device is None:
                if source is not None:
                    raise fault('NotSupported', 'Placing a clone whose devices change other than '
                                'by additions is not simulated.')
                raise _invalid('%s.deviceChange[%d].operation' % (field, index))
            if isinstance(device, self.T.VirtualEthernetCard):
                self._nics.append(device)
            elif isinstance(device, self.T.VirtualDisk):
                size = device.capacityInBytes or (device.capacityInKB or 0) * 1024
                if size < 0:
                    raise _invalid('%s.deviceChange[%d].device.capacityInKB' % (field, index))
                self.disk_bytes += size
        path = split_path(spec.files.vmPathName) if spec.files is not None else None
        self.home_datastore_name = path[0] if path else (
            source.datastore_object.name if source is not None
            and source.datastore_object is not None else None)

    def datastore_objects(self):
        return [self.datastore_object] if self.datastore_object is not None else []

    def nics(self):
        return self._nics

    def _nic_network(self, nic):
        """The network a NIC's backing names, as a VM reads it (an opaque
        network, which a VM finds on its host, on the cluster's hosts)."""
        if isinstance(nic.backing, self.T.VirtualEthernetCardOpaqueNetworkBackingInfo):
            for host in self.cluster.hosts:
                found = opaque_network(host, nic.backing)
                if found is not None:
                    return found
            return None
        return VirtualMachine._nic_network(self, nic)


class Moving:
    """A VM a PlaceVm `relocate` moves to the datastores it names: where
    its files go is judged per host by the placement, as for a create."""

    def __init__(self, vm):
        self.vm = vm
        self.disk_bytes = vm.disk_kb * 1024

    @staticmethod
    def datastore_objects():
        return []

    def __getattr__(self, name):
        return getattr(self.vm, name)


class Resized:
    """A powered-off VM as a PlaceVm `reconfigure` would leave it: the
    configSpec's size and reservations, the rest the VM's own."""
    SIZES = ('num_cpu', 'memory_mb', 'cpu_reservation', 'memory_reservation')

    def __init__(self, vm, spec, field='placementSpec.configSpec'):
        self.vm = vm
        self.num_cpu, self.memory_mb, self.cpu_reservation, self.memory_reservation = \
            _sizes(spec, field, vm)

    def changes(self):
        return any(getattr(self, name) != getattr(self.vm, name) for name in self.SIZES)

    def __getattr__(self, name):
        return getattr(self.vm, name)


def _invalid(field):
    return fault('InvalidArgument', 'A specified parameter was not correct: %s' % field,
                 invalidProperty=field)


def _sizes(spec, field, like=None):
    """(vCPUs, memory MB, CPU MHz and memory MB reserved) a configSpec
    gives, the rest `like`'s (a VM) or a new VM's."""
    return (_positive(spec.numCPUs, like.num_cpu if like else 1, field + '.numCPUs'),
            _positive(spec.memoryMB, like.memory_mb if like else 4, field + '.memoryMB'),
            _reservation(spec.cpuAllocation, field + '.cpuAllocation',
                         like.cpu_reservation if like else 0),
            _reservation(spec.memoryAllocation, field + '.memoryAllocation',
                         like.memory_reservation if like else 0))


def _positive(value, default, field):
    if value is None:
        return default
    if value <= 0:
        raise _invalid(field)
    return value


def _reservation(allocation, field, default=0):
    reservation = allocation.reservation if allocation is not None else None
    if reservation is not None and reservation < 0:
        raise _invalid(field + '.reservation')
    return default if reservation is None else reservation
