"""The load model: what every powered-on VM demands of its host, moment by
moment, and what hosts give it.

Quick stats, summaries' usage figures, performance counters and metric
alarms all read it, so they agree. A VM's demand is a pure function of its
identity, size and the model time, sampled every 20 s (the real-time
performance interval): its moid picks a profile (most VMs idle, some busy, a
few very busy), a level within it and the phase of a slow daily wave, and
each sample adds a little deterministic jitter. A test sets a VM's or a
host's load instead (`set_vm_load`, `set_host_load`, the control surface);
a setting holds from the latest sample on (so quick stats show it at once),
and earlier samples keep the values they had.

A host gives its VMs what they demand while it has the CPU for it (its
capacity less its own overhead and any load set on it); past that every VM
gets the same share of its demand, and the rest shows as ready time. Memory
is not overcommitted: consumed memory is what the VM touched, capped by the
host's.

Later services (admission control, DRS, HA) read `vm_sample` and
`host_sample` for any moment; nothing here changes the model.
"""
import bisect
import copy
import math
import zlib
from collections import namedtuple

from vimsim import clock

SAMPLE_SECONDS = 20
DAY = 86400
HOST_CPU_OVERHEAD_MHZ = 67       # what a host's own agents use
HOST_MEMORY_OVERHEAD_MB = 1398   # what the VMkernel and agents hold
VM_MEMORY_OVERHEAD_MB = 18       # a running VM's overhead memory
SETTINGS_KEPT = 64               # per entity: older load settings are dropped

# (share of VMs out of 20, lowest and highest CPU level of the profile)
PROFILES = ((12, 0.02, 0.08), (6, 0.15, 0.40), (2, 0.55, 0.85))

VmSample = namedtuple('VmSample', (
    'cpu_demand',     # MHz the guest would use without contention or limit
    'cpu_usage',      # MHz it got
    'cpu_ready',      # ms of the 20 s sample its vCPUs waited for a physical CPU
    'cpu_capacity',   # MHz its vCPUs could use at most (limit included)
    'memory_active',  # MB of guest memory in active use
    'memory_consumed',  # MB of host memory backing it
    'memory_overhead',  # MB of host memory for its own structures
))

HostSample = namedtuple('HostSample', (
    'cpu_demand', 'cpu_usage', 'cpu_capacity', 'memory_usage', 'memory_capacity',
    'vm_share',       # the share of its demand every VM gets (1.0 without contention)
))

IDLE_VM = VmSample(0, 0, 0, 0, 0, 0, 0)


def sample_index(seconds):
    """The 20 s sample a moment (seconds since the epoch) falls in; sample n
    covers [20 n, 20 n + 20) and is stamped with its end."""
    return int(seconds // SAMPLE_SECONDS)


def latest_index():
    """The latest complete sample: what quick stats show and the newest
    real-time performance sample."""
    return sample_index(clock.seconds()) - 1


def readiness(sample, vcpus):
    """The percentage of a sample a VM's vCPUs were ready but not running
    (the cpu.readiness counter, overallCpuReadiness)."""
    return round(sample.cpu_ready * 100 / (SAMPLE_SECONDS * 1000 * vcpus)) if vcpus else 0


def _jitter(seed, index):
    """A deterministic value in [-0.5, 0.5) for a VM's sample."""
    return ((seed ^ (index * 2654435761)) * 40503 & 0xffff) / 65536.0 - 0.5


def _consumed(vm, active):
    """MB of host memory backing a running VM's guest memory: what it uses
    now, or the 60 % a guest touches at boot and keeps, if more."""
    return min(vm.memory_mb, max(active, round(vm.memory_mb * 0.6)))


class Pattern:
    """A VM's default demand: its profile's level, a daily wave and jitter,
    all derived from its moid."""
    __slots__ = ('seed', 'cpu_level', 'memory_level', 'phase')

    def __init__(self, moid):
        seed = zlib.crc32(moid.encode('utf-8'))
        self.seed = seed
        pick = seed % 20
        for share, low, high in PROFILES:
            if pick < share:
                break
            pick -= share
        self.cpu_level = low + (high - low) * ((seed >> 5) % 1000) / 1000.0
        self.memory_level = 0.2 + 0.5 * ((seed >> 15) % 1000) / 1000.0
        self.phase = (seed >> 10) % DAY

    def cpu(self, index):
        """The share of its vCPUs' capacity the VM demands in sample `index`."""
        wave = math.sin(2 * math.pi * ((index * SAMPLE_SECONDS + self.phase) % DAY) / DAY)
        level = self.cpu_level * (1 + 0.3 * wave + 0.2 * _jitter(self.seed, index))
        return min(max(level, 0.0), 1.0)

    def memory(self, index):
        """The share of its memory the guest actively uses in sample `index`."""
        wave = math.sin(2 * math.pi * ((index * SAMPLE_SECONDS + self.phase) % DAY) / DAY)
        return min(max(self.memory_level * (1 + 0.15 * wave), 0.0), 1.0)


class Settings:
    """Loads set on one entity over time: (from sample index, cpu, memory),
    each a share of the entity's capacity or None for the default."""
    __slots__ = ('starts', 'values')

    def __init__(self):
        self.starts = []
        self.values = []

    def set(self, index, cpu, memory):
        if self.starts and self.starts[-1] >= index:   # replaces what the sample had
            position = bisect.bisect_left(self.starts, index)
            del self.starts[position:], self.values[position:]
        self.starts.append(index)
        self.values.append((cpu, memory))
        if len(self.starts) > SETTINGS_KEPT:
            del self.starts[0], self.values[0]

    def at(self, index):
        position = bisect.bisect_right(self.starts, index)
        return self.values[position - 1] if position else (None, None)


class LoadModel:
    """The load of one simulator's VMs and hosts (see the module doc)."""

    def __init__(self, server):
        self.server = server
        self._patterns = {}    # moid -> Pattern
        self._settings = {}    # moid -> Settings
        self._hosts = {}       # (host moid, sample index) -> HostSample
        self._generation = None
        self._frozen = False   # a frozen() view: the cache outlives changes
        self._vms = None       # a frozen() view's VM samples: (vm moid, index) -> VmSample
        self.version = 0       # counts the loads set, for readers caching what they sum

    # -- settings --------------------------------------------------------------
    def set_vm_load(self, vm, cpu=None, memory=None):
        """From now on `vm` demands `cpu` of its vCPUs' capacity and actively
        uses `memory` of its memory (shares 0..1; None: its own pattern)."""
        self._set(vm, cpu, memory)

    def set_host_load(self, host, cpu=None, memory=None):
        """From now on `host` spends `cpu` of its CPU capacity and `memory`
        of its memory on work of its own, beside its VMs (shares 0..1; None:
        its agents' usual overhead only)."""
        self._set(host, cpu, memory)

    def _set(self, entity, cpu, memory):
        for name, value in (('cpu', cpu), ('memory', memory)):
            if value is not None and not 0 <= value <= 1:
                raise ValueError('%s load must be between 0 and 1, not %r' % (name, value))
        self._settings.setdefault(entity.ref.value, Settings()).set(
            latest_index(), cpu, memory)
        self._hosts.clear()
        self.version += 1

    def setting(self, entity):
        """(cpu, memory) set on `entity` now, None for what is not set."""
        found = self._settings.get(entity.ref.value)
        return found.at(latest_index()) if found else (None, None)

    def forget(self, entity):
        """Drop what was set on an entity that left the inventory."""
        self._settings.pop(entity.ref.value, None)
        self._patterns.pop(entity.ref.value, None)

    # -- samples -----------------------------------------------------------------
    def vm_sample(self, vm, index=None):
        """A VmSample of `vm` in sample `index` (default: now)."""
        if index is None:
            index = latest_index()
        if self._vms is None:
            return self._vm_sample(vm, index)
        key = (vm.ref.value, index)
        found = self._vms.get(key)
        if found is None:
            found = self._vms[key] = self._vm_sample(vm, index)
        return found

    def _vm_sample(self, vm, index):
        host = vm.host
        demand, active, capacity = self._vm_demand(vm, index)
        if capacity == 0:
            return IDLE_VM
        share = self.host_sample(host, index).vm_share if host is not None else 1.0
        usage = demand * share
        core = host.cpu_core_mhz if host is not None else capacity / vm.num_cpu
        ready = round((demand - usage) / core * SAMPLE_SECONDS * 1000) if core else 0
        return VmSample(round(demand), round(usage), ready, capacity, active,
                        _consumed(vm, active), VM_MEMORY_OVERHEAD_MB)

    def _vm_demand(self, vm, index):
        """(cpu demand MHz, active memory MB, cpu capacity MHz) of `vm` in a
        sample: nothing before its boot or while it is not running."""
        if vm.power_state != 'poweredOn' or vm.host is None:
            return 0, 0, 0
        boot = vm.boot_time
        if boot is not None and sample_index(clock.microseconds_of(boot) / 1e6) - 1 > index:
            return 0, 0, 0
        capacity = vm.num_cpu * vm.host.cpu_core_mhz
        limit = vm.cpu_allocation.limit if vm.cpu_allocation is not None else None
        if limit is not None and limit >= 0:
            capacity = min(capacity, limit)
        cpu, memory = self._setting_at(vm, index)
        if cpu is None or memory is None:
            pattern = self._patterns.get(vm.ref.value)
            if pattern is None:
                pattern = self._patterns[vm.ref.value] = Pattern(vm.ref.value)
            cpu = pattern.cpu(index) if cpu is None else cpu
            memory = pattern.memory(index) if memory is None else memory
        return round(cpu * capacity), max(1, round(memory * vm.memory_mb)), capacity

    def _setting_at(self, entity, index):
        found = self._settings.get(entity.ref.value)
        return found.at(index) if found else (None, None)

    def host_sample(self, host, index=None):
        """A HostSample of `host` in sample `index` (default: now). Cached
        until anything in the model changes."""
        if index is None:
            index = latest_index()
        generation = self.server.changes.generation
        if (generation != self._generation and not self._frozen) or len(self._hosts) > 4096:
            self._hosts.clear()
            self._generation = generation
        key = (host.ref.value, index)
        found = self._hosts.get(key)
        if found is None:
            found = self._hosts[key] = self._host_sample(host, index)
        return found

    def frozen(self):
        """This model as a reader that reads many samples and changes the
        model as it goes sees it (alarm evaluation: each event it posts is a
        change, and its pass spans reactor turns): host samples, once read,
        stay as they were read, and so do VM samples; settings are shared."""
        view = copy.copy(self)
        view._hosts = {}
        view._vms = {}
        view._frozen = True
        return view

    def _host_sample(self, host, index):
        cpu_capacity = host.cpu_capacity_mhz
        memory_capacity = host.memory_capacity_mb
        if host.power_state != 'poweredOn':
            return HostSample(0, 0, cpu_capacity, 0, memory_capacity, 0.0)
        cpu_set, memory_set = self._setting_at(host, index)
        own_cpu = HOST_CPU_OVERHEAD_MHZ + (cpu_set or 0) * cpu_capacity
        own_memory = HOST_MEMORY_OVERHEAD_MB + (memory_set or 0) * memory_capacity
        demand = consumed = 0
        for vm in host.vms:
            cpu, active, capacity = self._vm_demand(vm, index)
            if capacity:
                demand += cpu
                consumed += _consumed(vm, active) + VM_MEMORY_OVERHEAD_MB
        available = max(cpu_capacity - own_cpu, 0)
        share = 1.0 if demand <= available else available / demand
        return HostSample(
            round(demand + own_cpu), round(min(cpu_capacity, demand * share + own_cpu)),
            cpu_capacity, round(min(memory_capacity, consumed + own_memory)),
            memory_capacity, share)


def load_model(server):
    """The LoadModel of a simulator, made on first use."""
    found = getattr(server, 'load_model', None)
    if found is None:
        found = server.load_model = LoadModel(server)
    return found
