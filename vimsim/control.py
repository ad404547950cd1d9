"""The control surface's actions, for tests: set a VM's or a host's load,
let simulated time pass, fail and recover hosts (power, network isolation),
hang a VM's guest (its heartbeats stop), install NVDIMMs in a host, fail
and recover datastores (all paths down), run a DRS pass, and inject faults
into SOAP calls. Python callers use `Control(simulator)` on the reactor thread;
the JSON HTTP API (vimsim/server/control.py) and the command line call the
same methods. Each failure is recorded with the events vCenter posts for
the real one (inventory/ha.py).
"""
from vimsim import clock
from vimsim.fault_injection import RuleError, fault_rules
from vimsim.managed.host.host_system import HostSystem
from vimsim.managed.monitoring.load_model import load_model
from vimsim.managed.vm.virtual_machine import VirtualMachine
from vimsim.schema import MoRef

LOADED_TYPES = ('VirtualMachine', 'HostSystem')
MAX_NVDIMMS, MAX_NVDIMM_GIB = 24, 512     # what a server's memory slots hold
# the properties showing usage, per type
USAGE_TYPES = {'VirtualMachine': ('summary',), 'HostSystem': ('summary',),
               'ClusterComputeResource': ('summary',),
               'ResourcePool': ('summary', 'runtime'), 'VirtualApp': ('summary', 'runtime')}


class ControlError(ValueError):
    """A request the control surface refuses; `status` is its HTTP status."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


class Control:
    def __init__(self, simulator):
        self.simulator = simulator

    def entity(self, moid, type_name=None):
        """The VM or host of a moid (and, where moids could clash, its type)."""
        objects = self.simulator.objects
        for name in (type_name,) if type_name else LOADED_TYPES:
            if name not in LOADED_TYPES:
                raise ControlError('load is set on VirtualMachine or HostSystem, not %r' % name)
            found = objects.get(MoRef(name, moid))
            if isinstance(found, (VirtualMachine, HostSystem)):   # not a recorded one
                return found
        raise ControlError('no VirtualMachine or HostSystem %r' % (moid,), 404)

    def set_load(self, entity, cpu=None, memory=None):
        """Set an entity's CPU and memory load (shares 0..1 of its capacity;
        None: back to its default) from now on; report what quick stats
        and summaries show of it. Returns `load(entity)`."""
        for name, value in (('cpu', cpu), ('memory', memory)):
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, (int, float))
                                      or not 0 <= value <= 1):
                raise ControlError('%s must be a number from 0 to 1 or null' % name)
        model = load_model(self.simulator)
        if entity.type_name == 'VirtualMachine':
            model.set_vm_load(entity, cpu, memory)
        else:
            model.set_host_load(entity, cpu, memory)
        self._usage_changed()
        return self.load(entity)

    def _usage_changed(self):
        """Tell watchers that usage figures moved: a load shared on a host
        moves its VMs', their pools' and clusters' too."""
        for obj in self.simulator.objects:
            if obj.type_name in USAGE_TYPES:
                obj.changed(*USAGE_TYPES[obj.type_name])

    def load(self, entity):
        """What is set on an entity and its figures in the latest sample."""
        model = load_model(self.simulator)
        cpu, memory = model.setting(entity)
        if entity.type_name == 'VirtualMachine':
            sample = model.vm_sample(entity)
            figures = {'cpuDemandMHz': sample.cpu_demand, 'cpuUsageMHz': sample.cpu_usage,
                       'cpuReadyMs': sample.cpu_ready, 'memoryActiveMB': sample.memory_active,
                       'memoryConsumedMB': sample.memory_consumed}
        else:
            sample = model.host_sample(entity)
            figures = {'cpuDemandMHz': sample.cpu_demand, 'cpuUsageMHz': sample.cpu_usage,
                       'cpuCapacityMHz': sample.cpu_capacity,
                       'memoryUsageMB': sample.memory_usage,
                       'memoryCapacityMB': sample.memory_capacity}
        return {'entity': {'type': entity.type_name, 'value': entity.ref.value},
                'cpu': cpu, 'memory': memory, 'sample': figures}

    def advance(self, seconds):
        """Let `seconds` of simulated time pass at once: tasks, scheduled
        tasks, alarm checks and statistics follow. Returns `time()`."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) \
                or not 0 <= seconds <= 10 * 365 * 86400:
            raise ControlError('seconds must be a number from 0 to ten years')
        try:
            self.simulator.time.advance(seconds)
        except ValueError as refused:
            raise ControlError(str(refused), 409) from None
        self._usage_changed()
        return self.time()

    @staticmethod
    def time():
        """The model time, as vCenter writes times."""
        return {'time': clock.now().strftime('%Y-%m-%dT%H:%M:%S.%fZ')}

    # -- failures ---------------------------------------------------------------------
    def managed(self, moid, type_name):
        """The object of `type_name` with `moid` (404 when there is none)."""
        found = self.simulator.objects.get(MoRef(type_name, moid)) \
            if isinstance(moid, str) else None
        if found is None or found.type_name != type_name:
            raise ControlError('no %s %r' % (type_name, moid), 404)
        return found

    def _journal_free(self):
        """Failures and DRS passes change the model outside any call, which
        -state's journal records; refused there, as advancing time is."""
        if self.simulator.persistence is not None:
            raise ControlError('failures and DRS passes are not journaled: not with -state',
                               409)

    def _cluster_of(self, host):
        cluster = host.compute_resource
        if cluster is None or cluster.type_name != 'ClusterComputeResource':
            raise ControlError('host %s is not in a cluster' % host.name, 409)
        return cluster

    def fail_host(self, host, failure):
        """Host `failure` ('power' or 'isolation'): HA takes over (inventory/ha.py).
        Returns `host_state(host)`."""
        from vimsim.managed.inventory.ha import ha_of
        self._journal_free()
        if failure not in ('power', 'isolation'):
            raise ControlError('failure is "power" or "isolation"')
        cluster = self._cluster_of(host)
        vms = list(host.vms)
        try:
            ha_of(cluster).fail_host(host, failure)
        except ValueError as refused:
            raise ControlError(str(refused), 409) from None
        return self.host_state(host, vms)

    def recover_host(self, host):
        """The failed host is back. Returns `host_state(host)`."""
        from vimsim.managed.inventory.ha import ha_of
        self._journal_free()
        vms = list(host.vms)
        try:
            ha_of(self._cluster_of(host)).recover_host(host)
        except ValueError as refused:
            raise ControlError(str(refused), 409) from None
        return self.host_state(host, vms)

    def stop_heartbeat(self, vm):
        """The VM's guest hangs: no more tools heartbeats (guestHeartbeatStatus
        red) until it is reset or powered off; HA's VM monitoring resets it
        where configured (inventory/ha.py)."""
        self._journal_free()
        if not vm.tools_running:
            raise ControlError('VM %s runs no tools: it sends no heartbeats' % vm.name, 409)
        vm.stop_heartbeat()
        return {'vm': vm.ref.value, 'guestHeartbeatStatus': vm.guestHeartbeatStatus}

    def install_nvdimms(self, host, modules, gib):
        """Put `modules` NVDIMMs of `gib` GiB each in a host in maintenance
        mode (0: take them out), as a technician would with the host down."""
        self._journal_free()
        if type(modules) is not int or not 0 <= modules <= MAX_NVDIMMS or \
                type(gib) is not int or not 1 <= gib <= MAX_NVDIMM_GIB:
            raise ControlError('modules is 0-%d and gib 1-%d' % (MAX_NVDIMMS, MAX_NVDIMM_GIB))
        if not host.maintenance:
            raise ControlError('host %s is not in maintenance mode' % host.name, 409)
        host.managers['nvdimmSystem'].install(modules, gib << 30)
        return {'host': host.ref.value, 'modules': modules, 'gib': gib}

    @staticmethod
    def host_state(host, vms):
        """The host's states and where its VMs (`vms`, those it had) are now."""
        return {'host': host.ref.value, 'connectionState': host.connection_state,
                'powerState': host.power_state,
                'vms': [{'vm': vm.ref.value, 'host': vm.host.ref.value if vm.host else None,
                         'powerState': vm.power_state} for vm in vms]}

    def lose_datastore(self, datastore, hosts=None):
        """All paths down to `datastore` from `hosts` (default: every
        clustered host mounting it), per cluster. Returns the hosts affected."""
        from vimsim.managed.inventory.ha import ha_of
        self._journal_free()
        if hosts is None:
            hosts = [h for h in self._clustered(datastore)]
        for host in hosts:
            self._cluster_of(host)
            if datastore not in host.datastores:
                raise ControlError('host %s does not mount %s' % (host.name, datastore.name),
                                   409)
        for cluster, members in self._by_cluster(hosts).items():
            ha_of(cluster).lose_datastore(datastore, members)
        return {'datastore': datastore.ref.value, 'hosts': [h.ref.value for h in hosts]}

    def restore_datastore(self, datastore):
        """The paths to `datastore` are back everywhere."""
        from vimsim.managed.inventory.ha import ha_of
        self._journal_free()
        for cluster in self._by_cluster(self._clustered(datastore)):
            ha_of(cluster).restore_datastore(datastore)
        return {'datastore': datastore.ref.value, 'hosts': []}

    @staticmethod
    def _clustered(datastore):
        """The hosts of clusters that mount `datastore`."""
        return [h for h in datastore.hosts if h.compute_resource is not None
                and h.compute_resource.type_name == 'ClusterComputeResource']

    def _by_cluster(self, hosts):
        found = {}
        for host in hosts:
            found.setdefault(host.compute_resource, []).append(host)
        return found

    def drs_pass(self, cluster):
        """Run a DRS pass on `cluster` now: the moves it made or recommends."""
        from vimsim.managed.inventory.drs import drs_of
        self._journal_free()
        moves = drs_of(cluster).run_pass()
        return {'cluster': cluster.ref.value, 'moves': [
            {'vm': m.vm.ref.value, 'source': m.source.ref.value,
             'destination': m.destination.ref.value, 'rating': m.rating, 'reason': m.reason}
            for m in moves]}

    # -- fault injection ---------------------------------------------------------------------
    def add_fault(self, rule):
        """Add a fault injection rule (vimsim/fault_injection.py); its description."""
        try:
            return fault_rules(self.simulator).add(rule).describe()
        except RuleError as refused:
            raise ControlError(str(refused)) from None

    def faults(self):
        return {'rules': [rule.describe() for rule in fault_rules(self.simulator).rules]}

    def clear_faults(self, key=None):
        """Drop one rule (`key`) or all of them."""
        if key is not None and (isinstance(key, bool) or not isinstance(key, int)):
            raise ControlError('id is a rule\'s number')
        if not fault_rules(self.simulator).remove(key) and key is not None:
            raise ControlError('no rule %r' % key, 404)
        return self.faults()
