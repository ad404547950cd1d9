"""The control surface's actions, for tests: set a VM's or a host's load and
let simulated time pass. Python callers use `Control(simulator)` on the
reactor thread; the JSON HTTP API (vimsim/server/control.py) and the
command line call the same methods.
"""
from vimsim import clock
from vimsim.managed.host.host_system import HostSystem
from vimsim.managed.monitoring.load_model import load_model
from vimsim.managed.vm.virtual_machine import VirtualMachine
from vimsim.schema import MoRef

LOADED_TYPES = ('VirtualMachine', 'HostSystem')
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
