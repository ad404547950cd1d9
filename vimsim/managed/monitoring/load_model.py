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

What the running VMs of a host, a cluster or a pool demand and use now is
kept by deltas (`Demand`, a roll-up): a VM's part is read again when it
reports a change (power, host, size, allocation) or its load is set, and
every part once in each new sample, when the daily wave and the jitter have
moved them; a read between costs what changed. Other samples are summed
over the host's VMs, once per sample and model change.
"""
import bisect
import copy
import math
import zlib
from collections import namedtuple

from vimsim import clock
from vimsim.managed.monitoring.rollup import Rollup

SAMPLE_SECONDS = 20
DAY = 86400
HOST_CPU_OVERHEAD_MHZ = 67       # what a host's own agents use
HOST_MEMORY_OVERHEAD_MB = 1398   # what the VMkernel and agents hold
VM_MEMORY_OVERHEAD_MB = 18       # a running VM's overhead memory
SETTINGS_KEPT = 64               # per entity: older load settings are dropped
BOOTS_KEPT = 4096                # distinct boot times whose sample is remembered
PATTERNS_KEPT = 100000           # VM patterns remembered (the others' made again on read)
SUMMED_AT_ONCE = 500             # VMs a stepped reader's step sums (about 1 ms)

# (share of VMs out of 20, lowest and highest CPU level of the profile)
PROFILES = ((12, 0.02, 0.08), (6, 0.15, 0.40), (2, 0.55, 0.85))

# a VM's profile by its seed % 20: (low, high - low) of the PROFILES entry
# whose share that falls in (a VM's Pattern is made on each read past PATTERNS_KEPT)
_PROFILE_PICKED = tuple((low, high - low) for share, low, high in PROFILES for _ in range(share))

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


class Unready(Exception):
    """A stepped frozen() view's host sample that sums over more VMs than a
    step should read (SUMMED_AT_ONCE): running `steps` (a generator, a step
    per yield) makes it ready, and the read can be done again."""

    def __init__(self, steps):
        super().__init__()
        self.steps = steps


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


def consumed_memory(vm, active):
    """MB of host memory backing a running VM's guest memory: what it uses
    now, or the 60 % a guest touches at boot and keeps, if more."""
    return min(vm.memory_mb, max(active, round(vm.memory_mb * 0.6)))


class Pattern:
    """A VM's default demand: its profile's level, a daily wave and jitter,
    all derived from its moid."""
    __slots__ = ('seed', 'cpu_level', 'memory_level', 'phase', '_peaks')

    def __init__(self, moid):
        seed = zlib.crc32(moid.encode('utf-8'))
        self.seed = seed
        low, span = _PROFILE_PICKED[seed % 20]
        self.cpu_level = low + span * ((seed >> 5) % 1000) / 1000.0
        self.memory_level = 0.2 + 0.5 * ((seed >> 15) % 1000) / 1000.0
        self.phase = (seed >> 10) % DAY
        self._peaks = None

    def loads(self, index):
        """(the share of its vCPUs' capacity the VM demands, the share of its
        memory the guest actively uses) in sample `index`."""
        wave = math.sin(2 * math.pi * ((index * SAMPLE_SECONDS + self.phase) % DAY) / DAY)
        return self._shares(wave, _jitter(self.seed, index))

    def peaks(self):
        """The highest shares `loads` gives in any sample: at the wave's top
        (1) and the jitter's (under 0.5), by the same arithmetic."""
        if self._peaks is None:
            self._peaks = self._shares(1.0, 0.5)
        return self._peaks

    def _shares(self, wave, jitter):
        cpu = self.cpu_level * (1 + 0.3 * wave + 0.2 * jitter)
        return (min(max(cpu, 0.0), 1.0),
                min(max(self.memory_level * (1 + 0.15 * wave), 0.0), 1.0))


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


class HostDemand:
    """What a Demand's VMs running on one host demand: CPU demands as a
    histogram (MHz -> VMs), so that what they get at the host's share sums
    rounded VM by VM, as each VM's sample rounds it; memory as a sum."""
    __slots__ = ('cpu', 'counts', 'memory', 'got')

    def __init__(self):
        self.cpu = self.memory = 0
        self.counts = {}
        self.got = (None, 0)   # (share, MHz got at it) as last summed

    def add(self, cpu, memory, step):
        self.got = (None, 0)
        self.cpu += cpu * step
        self.memory += memory * step
        left = self.counts.get(cpu, 0) + step
        if left:
            self.counts[cpu] = left
        else:
            del self.counts[cpu]

    def usage(self, share):
        """MHz the VMs get at `share` of their demand."""
        if share == 1.0:
            return self.cpu
        if self.got[0] != share:
            self.got = share, sum(count * round(cpu * share)
                                  for cpu, count in self.counts.items())
        return self.got[1]


class Demand(Rollup):
    """A roll-up of the running VMs of some Members lists in the latest
    sample: each VM's part is (the host it runs on, its CPU demand in MHz,
    the host memory it takes in MB; None, 0, 0 when it does not run) and its
    configured memory when powered on, summed per host (see the module doc)."""

    def __init__(self, model):
        super().__init__(model.server.changes, self._part, 0)
        self.zero = (None, 0, 0, 0)
        self.model = model
        self.index = None
        self.hosts = {}       # host -> HostDemand of the VMs running there
        self.cpu = self.memory = 0
        self.configured = 0   # MB of memory the powered-on VMs are configured with

    def _part(self, vm):
        configured = vm.memory_mb if vm.power_state == 'poweredOn' else 0
        cpu, active, capacity = self.model._vm_demand(vm, self.index)
        if not capacity:
            return None, 0, 0, configured
        return vm.host, cpu, consumed_memory(vm, active) + VM_MEMORY_OVERHEAD_MB, configured

    def moved(self, old, new):
        for (host, cpu, memory, configured), step in ((old, -1), (new, 1)):
            self.configured += configured * step
            if host is None:
                continue
            self.cpu += cpu * step
            self.memory += memory * step
            found = self.hosts.get(host)
            if found is None:
                found = self.hosts[host] = HostDemand()
            found.add(cpu, memory, step)
            if not found.counts:
                del self.hosts[host]

    def at(self, index, sources):
        """This roll-up of the VMs `sources` list, brought to sample `index`."""
        self.begin(index, sources)
        self.total()
        return self

    def begin(self, index, sources):
        """Follow the VMs `sources` list in sample `index`: what changed is
        read again at the next read (every part in a new sample)."""
        self.follow(sources)
        if index != self.index:
            self.index = index
            self.reread()

    def usage(self):
        """(cpu MHz, memory MB) the VMs get: what their samples' cpu_usage
        and memory_consumed + memory_overhead add up to."""
        cpu = sum(found.usage(self.model.host_sample(host, self.index).vm_share)
                  for host, found in list(self.hosts.items()))
        return cpu, self.memory


class LoadModel:
    """The load of one simulator's VMs and hosts (see the module doc)."""

    def __init__(self, server):
        self.server = server
        self._patterns = {}    # moid -> Pattern, for up to PATTERNS_KEPT VMs
        self._settings = {}    # moid -> Settings
        self._hosts = {}       # (host moid, sample index) -> HostSample
        self._generation = None
        self._frozen = False   # a frozen() view: the cache outlives changes
        self._vms = None       # a frozen() view's VM samples: (vm moid, index) -> VmSample
        self._stepped = False  # a frozen() view whose big host sums are Unready
        self._sums = None      # its host sums made by steps: (host moid, index) -> sums
        self._demands = {}     # host, cluster or pool -> the Demand of its VMs
        self._boot_samples = {}   # boot time -> the sample it falls in (VMs share a few)
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
        for rollup in self.server.changes.rollups_of.get(entity, ()):
            rollup.touch(entity)
        self._hosts.clear()
        self.version += 1

    def setting(self, entity):
        """(cpu, memory) set on `entity` now, None for what is not set."""
        found = self._settings.get(entity.ref.value)
        return found.at(latest_index()) if found else (None, None)

    def forget(self, entity):
        """Drop what was set on an entity that left the inventory, and the
        Demand kept for it."""
        self._settings.pop(entity.ref.value, None)
        self._patterns.pop(entity.ref.value, None)
        demand = self._demands.pop(entity, None)
        if demand is not None:
            demand.close()

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
                        consumed_memory(vm, active), VM_MEMORY_OVERHEAD_MB)

    def _vm_demand(self, vm, index):
        """(cpu demand MHz, active memory MB, cpu capacity MHz) of `vm` in a
        sample: nothing before its boot or while it is not running."""
        if vm.power_state != 'poweredOn' or vm.host is None:
            return 0, 0, 0
        boot = vm.boot_time
        if boot is not None:
            booted = self._boot_samples.get(boot)
            if booted is None:
                if len(self._boot_samples) > BOOTS_KEPT:
                    self._boot_samples.clear()
                booted = self._boot_samples[boot] = sample_index(
                    clock.microseconds_of(boot) / 1e6) - 1
            if booted > index:
                return 0, 0, 0
        capacity = self._capacity(vm)
        cpu, memory = self._setting_at(vm, index)
        if cpu is None or memory is None:
            cpu_pattern, memory_pattern = self._pattern(vm).loads(index)
            cpu = cpu_pattern if cpu is None else cpu
            memory = memory_pattern if memory is None else memory
        return round(cpu * capacity), max(1, round(memory * vm.memory_mb)), capacity

    def _capacity(self, vm):
        """MHz a running VM's vCPUs can use at most (its limit included)."""
        capacity = vm.num_cpu * vm.host.cpu_core_mhz
        limit = vm.cpu_allocation.limit if vm.cpu_allocation is not None else None
        if limit is not None and limit >= 0:
            capacity = min(capacity, limit)
        return capacity

    def _pattern(self, vm):
        """The VM's Pattern, remembered for the first PATTERNS_KEPT VMs read
        (a million would hold 300 MB), made again on each read for the
        others (a microsecond). The remembered stay: forgetting them all
        when full made every read of a pass over more VMs make one again,
        and free 100,000 at a time (at 200,000 VMs, 21 us a VM a pass
        instead of 16)."""
        pattern = self._patterns.get(vm.ref.value)
        if pattern is None:
            pattern = Pattern(vm.ref.value)
            if len(self._patterns) < PATTERNS_KEPT:
                self._patterns[vm.ref.value] = pattern
        return pattern

    def vm_peaks(self, vm):
        """(cpu MHz, active memory MB, cpu capacity MHz): the most `vm`
        demands in any sample, as it is now (its pattern's peaks; nothing
        while it does not run), or None where a load was ever set on it.
        Readers bound what a VM can reach without reading its samples."""
        if vm.ref.value in self._settings:
            return None
        if vm.power_state != 'poweredOn' or vm.host is None:
            return 0, 0, 0
        capacity = self._capacity(vm)
        cpu, memory = self._pattern(vm).peaks()
        return round(cpu * capacity), max(1, round(memory * vm.memory_mb)), capacity

    def _setting_at(self, entity, index):
        found = self._settings.get(entity.ref.value)
        return found.at(index) if found else (None, None)

    def demand(self, owner, sources):
        """The Demand of the VMs `sources` (Members lists) hold now, kept
        for `owner` (a host, cluster or pool) by deltas."""
        return self._demand_of(owner).at(latest_index(), sources)

    def _demand_of(self, owner):
        found = self._demands.get(owner)
        if found is None:
            found = self._demands[owner] = Demand(self)
        return found

    def running_usage(self, owner, sources):
        """(cpu MHz, memory MB) the VMs `sources` list use now (see Demand.usage)."""
        return self.demand(owner, sources).usage()

    def host_sample(self, host, index=None):
        """A HostSample of `host` in sample `index` (default: now), cached
        until anything in the model changes: the latest from its VMs'
        Demand, others summed over its VMs."""
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

    def summed_demand(self, host, index):
        """(cpu MHz, host memory MB) the VMs running on `host` demand in
        sample `index`, summed over them."""
        return self._summed(host.vms, index)

    def _summed(self, vms, index):
        demand = consumed = 0
        for vm in vms:
            cpu, active, capacity = self._vm_demand(vm, index)
            if capacity:
                demand += cpu
                consumed += consumed_memory(vm, active) + VM_MEMORY_OVERHEAD_MB
        return demand, consumed

    def frozen(self, stepped=False):
        """This model as a reader that reads many samples and changes the
        model as it goes sees it (alarm evaluation: each event it posts is a
        change, and its pass spans reactor turns): host samples, once read,
        stay as they were read, and so do VM samples; settings are shared.
        `stepped`: a host sample summing over more VMs than a step should
        read raises Unready, whose steps make it ready."""
        view = copy.copy(self)
        view._hosts = {}
        view._vms = {}
        view._frozen = True
        view._stepped = stepped
        view._sums = {}
        return view

    def _summing(self, host, index):
        """Steps summing what `host`'s VMs demand in sample `index`, a
        SUMMED_AT_ONCE of them a step (a stepped view's, see frozen). The
        latest sample's sums are its Demand's, kept for the view too: a pass
        still reading it once a newer sample is the latest does not sum it
        all again."""
        if index == latest_index():
            found = self._demand_of(host)
            found.begin(index, [host.vms])
            while found.read_some(SUMMED_AT_ONCE):
                yield
            if found.index == index:
                self._sums[(host.ref.value, index)] = found.cpu, found.memory
            return
        vms = list(host.vms)
        demand = consumed = 0
        for start in range(0, len(vms), SUMMED_AT_ONCE):
            cpu, memory = self._summed(vms[start:start + SUMMED_AT_ONCE], index)
            demand, consumed = demand + cpu, consumed + memory
            yield
        self._sums[(host.ref.value, index)] = demand, consumed

    def _unready(self, host, index):
        """Whether a stepped view's sample `index` of `host` sums over more
        VMs than a step should read."""
        if not self._stepped or len(host.vms) <= SUMMED_AT_ONCE:
            return False
        if index != latest_index():
            return (host.ref.value, index) not in self._sums
        found = self._demands.get(host)
        return found is None or found.index != index or len(found.stale) > SUMMED_AT_ONCE

    def _host_sample(self, host, index):
        cpu_capacity = host.cpu_capacity_mhz
        memory_capacity = host.memory_capacity_mb
        if host.power_state != 'poweredOn':
            return HostSample(0, 0, cpu_capacity, 0, memory_capacity, 0.0)
        cpu_set, memory_set = self._setting_at(host, index)
        own_cpu = HOST_CPU_OVERHEAD_MHZ + (cpu_set or 0) * cpu_capacity
        own_memory = HOST_MEMORY_OVERHEAD_MB + (memory_set or 0) * memory_capacity
        if self._unready(host, index):
            raise Unready(self._summing(host, index))
        if index == latest_index():
            found = self.demand(host, [host.vms])
            demand, consumed = found.cpu, found.memory
        else:
            found = self._sums and self._sums.get((host.ref.value, index))
            demand, consumed = found or self.summed_demand(host, index)
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
