"""What each kind of entity measures, read from the load model: the values
behind QueryPerf, QueryAvailablePerfMetric and metric alarms.

A provider turns one 20 s sample of an entity into {'group.name': value}
(percentages in hundredths, as vCenter counts them; summation counters per
sample). Disk and network traffic follow the CPU a VM gets (busy guests move
data), so every figure moves with the load the model or a test sets.
Counters split over devices (a VM's vCPUs, a host's physical CPUs) have
instances; an instance reports its share of an additive value and the same
value of a percentage.
"""
from vimsim.managed.monitoring.load_model import (
    HOST_CPU_OVERHEAD_MHZ, SAMPLE_SECONDS, latest_index, load_model, readiness)

SAMPLE_MS = SAMPLE_SECONDS * 1000
REALTIME = 20          # the real-time interval's id and sampling period
REALTIME_SECONDS = 3600  # real-time samples are kept for an hour
KB_PER_MHZ_DISK = 0.8    # KBps of disk traffic a VM moves per MHz of CPU it gets
KB_PER_MHZ_NET = 0.5     # KBps of network traffic likewise
IO_SIZE_KB = 16          # the average disk command
PACKET_BYTES = 800       # the average packet
VM_WATTS_PER_MHZ = 0.012
HOST_IDLE_WATTS = 90
HOST_WATTS_PER_MHZ = 0.03


def _ratio(part, whole):
    """part/whole in hundredths of a percent."""
    return round(part * 10000 / whole) if whole else 0


def _io(values, cpu_mhz):
    """Disk and network figures of traffic that follows `cpu_mhz`."""
    disk = cpu_mhz * KB_PER_MHZ_DISK
    read, write = round(disk * 0.7), round(disk * 0.3)
    net = cpu_mhz * KB_PER_MHZ_NET
    received, transmitted = round(net * 0.6), round(net * 0.4)
    reads, writes = read / IO_SIZE_KB, write / IO_SIZE_KB
    values.update({
        'disk.usage': read + write, 'disk.read': read, 'disk.write': write,
        'disk.numberReadAveraged': round(reads), 'disk.numberWriteAveraged': round(writes),
        'disk.numberRead': round(reads * SAMPLE_SECONDS),
        'disk.numberWrite': round(writes * SAMPLE_SECONDS),
        'disk.commandsAborted': 0, 'disk.busResets': 0,
        'disk.maxTotalLatency': 1 if disk else 0,
        'net.usage': received + transmitted, 'net.received': received,
        'net.transmitted': transmitted, 'net.bytesRx': received, 'net.bytesTx': transmitted,
        'net.packetsRx': round(received * 1024 * SAMPLE_SECONDS / PACKET_BYTES),
        'net.packetsTx': round(transmitted * 1024 * SAMPLE_SECONDS / PACKET_BYTES),
        'net.droppedRx': 0, 'net.droppedTx': 0,
    })
    return values


def _vm_cpu_usage(vm, sample):
    return _ratio(sample.cpu_usage, sample.cpu_capacity)


def _vm_memory_usage(vm, sample):
    return _ratio(sample.memory_active, vm.memory_mb)


# the counters of a VM read straight off its sample: a reader wanting only
# those (the default alarms, over every VM a peak does not rule out) gets
# only those, without the dozens of others
VM_SHARES = {'cpu.usage': _vm_cpu_usage, 'mem.usage': _vm_memory_usage}


def vm_values(model, vm, index, names=None):
    """A VM's counters; of `names` (None: all) only, where all are VM_SHARES."""
    sample = model.vm_sample(vm, index)
    if names is not None and VM_SHARES.keys() >= set(names):
        return {name: VM_SHARES[name](vm, sample) for name in names}
    usage, demand, capacity = sample.cpu_usage, sample.cpu_demand, sample.cpu_capacity
    run = round(usage / capacity * SAMPLE_MS * vm.num_cpu) if capacity else 0
    active_kb, consumed_kb = sample.memory_active * 1024, sample.memory_consumed * 1024
    on = capacity > 0
    uptime = _uptime(vm.boot_time, index) if on else 0
    return _io({
        'cpu.usage': _vm_cpu_usage(vm, sample), 'cpu.usagemhz': usage, 'cpu.demand': demand,
        'cpu.ready': sample.cpu_ready, 'cpu.readiness': readiness(sample, vm.num_cpu) * 100,
        'cpu.latency': _ratio(sample.cpu_ready, SAMPLE_MS * vm.num_cpu),
        'cpu.used': run, 'cpu.run': run, 'cpu.system': round(run * 0.02),
        'cpu.wait': SAMPLE_MS * vm.num_cpu - run - sample.cpu_ready if on else 0,
        'cpu.idle': SAMPLE_MS * vm.num_cpu - run - sample.cpu_ready if on else 0,
        'cpu.entitlement': demand, 'cpu.costop': 0, 'cpu.maxlimited': 0, 'cpu.overlap': 0,
        'mem.usage': _vm_memory_usage(vm, sample), 'mem.active': active_kb,
        'mem.consumed': consumed_kb, 'mem.granted': consumed_kb,
        'mem.entitlement': consumed_kb, 'mem.overhead': sample.memory_overhead * 1024,
        'mem.shared': 0, 'mem.zero': 0, 'mem.swapped': 0, 'mem.swaptarget': 0,
        'mem.swapinRate': 0, 'mem.swapoutRate': 0, 'mem.vmmemctl': 0,
        'mem.vmmemctltarget': 0, 'mem.compressed': 0, 'mem.latency': 0,
        'sys.uptime': uptime, 'sys.osUptime': uptime,
        'sys.heartbeat': SAMPLE_SECONDS if on and vm.tools_running else 0,
        'power.power': round(usage * VM_WATTS_PER_MHZ),
    }, usage)


def _vm_cpu_peak(model, vm):
    peaks = model.vm_peaks(vm)
    return None if peaks is None else _ratio(peaks[0], peaks[2])


def _vm_memory_peak(model, vm):
    peaks = model.vm_peaks(vm)
    return None if peaks is None else _ratio(peaks[1], vm.memory_mb) if peaks[2] else 0


# counter -> the highest value a VM's can have in any sample (None: unknown),
# from the load model's bound of what the VM demands (LoadModel.vm_peaks)
VM_PEAKS = {'cpu.usage': _vm_cpu_peak, 'mem.usage': _vm_memory_peak}


def peak_of(entity, name):
    """A reader of the highest value counter `name` of `entity` can have in
    any sample ((model, entity) -> value, or None unknown), or None when
    there is none for such an entity and counter."""
    return VM_PEAKS.get(name) if entity.type_name == 'VirtualMachine' else None


def vm_instances(vm):
    return [str(n) for n in range(vm.num_cpu)]


def host_values(model, host, index, names=None):
    """A host's counters; of `names` (None: all) only, where none of them
    is summed over its VMs' samples (HOST_VM_SUMS: a host of 500,000 VMs'
    CPU and memory usage is read without reading 500,000 VM samples)."""
    sample = model.host_sample(host, index)
    capacity, usage = sample.cpu_capacity, sample.cpu_usage
    cores = capacity // host.cpu_core_mhz
    used = round(usage / capacity * SAMPLE_MS * cores) if capacity else 0
    memory_kb = sample.memory_usage * 1024
    on = host.power_state == 'poweredOn'
    values = {
        'cpu.usage': _ratio(usage, capacity), 'cpu.usagemhz': usage,
        'cpu.utilization': _ratio(usage, capacity), 'cpu.coreUtilization': _ratio(usage, capacity),
        'cpu.demand': sample.cpu_demand, 'cpu.used': used,
        'cpu.idle': SAMPLE_MS * cores - used if on else 0,
        'cpu.totalCapacity': capacity - HOST_CPU_OVERHEAD_MHZ,
        'mem.usage': _ratio(sample.memory_usage, sample.memory_capacity),
        'mem.consumed': memory_kb,
        'mem.shared': 0, 'mem.zero': 0, 'mem.swapused': 0, 'mem.vmmemctl': 0,
        'mem.swapinRate': 0, 'mem.swapoutRate': 0, 'mem.compressed': 0,
        'mem.state': 0 if on else 4,
        'mem.totalCapacity': sample.memory_capacity,
        'sys.uptime': _uptime(host.boot_time, index) if on else 0,
        'sys.resourceCpuUsage': HOST_CPU_OVERHEAD_MHZ if on else 0,
        'power.power': round(HOST_IDLE_WATTS + usage * HOST_WATTS_PER_MHZ) if on else 0,
    }
    if names is not None and HOST_VM_SUMS.isdisjoint(names):
        return values
    vms = [model.vm_sample(vm, index) for vm in host.vms]
    values.update({
        'cpu.ready': sum(s.cpu_ready for s in vms),
        'cpu.reservedCapacity': sum(vm.cpu_reservation for vm in host.vms
                                    if vm.power_state == 'poweredOn'),
        'mem.granted': sum(s.memory_consumed for s in vms) * 1024,
        'mem.active': sum(s.memory_active for s in vms) * 1024,
        'mem.overhead': sum(s.memory_overhead for s in vms) * 1024,
        'mem.sysUsage': (sample.memory_usage - sum(s.memory_consumed + s.memory_overhead
                                                   for s in vms)) * 1024,
        'mem.reservedCapacity': sum(vm.memory_reservation for vm in host.vms
                                    if vm.power_state == 'poweredOn'),
    })
    return _io(values, sum(s.cpu_usage for s in vms))


def host_instances(host):
    return [str(n) for n in range(host.cpu_capacity_mhz // host.cpu_core_mhz)]


def cluster_values(model, cluster, index, names=None):
    hosts = [model.host_sample(host, index) for host in cluster.hosts]
    cpu = sum(s.cpu_usage for s in hosts)
    cpu_total = sum(s.cpu_capacity for s in hosts)
    memory = sum(s.memory_usage for s in hosts)
    memory_total = sum(s.memory_capacity for s in hosts)
    effective = [h for h in cluster.hosts if h.power_state == 'poweredOn']
    return {
        'cpu.usage': _ratio(cpu, cpu_total), 'cpu.usagemhz': cpu, 'cpu.totalmhz': cpu_total,
        'mem.usage': _ratio(memory, memory_total), 'mem.consumed': memory * 1024,
        'mem.totalmb': memory_total,
        'clusterServices.effectivecpu': sum(h.cpu_capacity_mhz - HOST_CPU_OVERHEAD_MHZ
                                            for h in effective),
        'clusterServices.effectivemem': sum(h.memory_capacity_mb for h in effective),
    }


def pool_values(model, pool, index, names=None):
    vms = [model.vm_sample(vm, index) for vm in pool.all_vms()]
    return {'cpu.usagemhz': sum(s.cpu_usage for s in vms),
            'mem.consumed': sum(s.memory_consumed for s in vms) * 1024,
            'mem.overhead': sum(s.memory_overhead for s in vms) * 1024}


def datastore_values(model, datastore, index, names=None):
    used = (datastore.capacity - datastore.free_space) // 1024
    return {'disk.capacity': datastore.capacity // 1024, 'disk.used': used,
            'disk.provisioned': used}


def _uptime(boot_time, index):
    if boot_time is None:
        return 0
    boot = boot_time.timestamp()
    return max(0, int((index + 1) * SAMPLE_SECONDS - boot))


# what a host's counters sum over its VMs' samples (its disk and network
# traffic follows their CPU, see _io)
HOST_VM_SUMS = frozenset(_io({}, 0)) | {'cpu.ready', 'cpu.reservedCapacity', 'mem.granted',
                                       'mem.active', 'mem.overhead', 'mem.sysUsage',
                                       'mem.reservedCapacity'}
# type -> (values of a sample (at least the counters named; all when None),
#          instances of per-device counters or None,
#          real-time sampling: True for hosts and VMs)
PROVIDERS = {
    'VirtualMachine': (vm_values, vm_instances, True),
    'HostSystem': (host_values, host_instances, True),
    'ClusterComputeResource': (cluster_values, None, False),
    'ResourcePool': (pool_values, None, False),
    'VirtualApp': (pool_values, None, False),
    'Datastore': (datastore_values, None, False),
}
# the per-device counters an instance reports a share of; the others it
# reports whole (percentages)
SPLIT = frozenset(('cpu.usagemhz', 'cpu.used', 'cpu.ready', 'cpu.idle', 'cpu.run',
                   'cpu.wait', 'cpu.demand', 'cpu.system'))
PER_DEVICE = SPLIT | {'cpu.usage', 'cpu.utilization', 'cpu.coreUtilization', 'cpu.latency'}


def provider(entity):
    """The PROVIDERS entry of an entity, or None for one without statistics."""
    return PROVIDERS.get(getattr(entity, 'type_name', None))


_NAMES = {}   # type -> the counter names its provider reports


def names(entity):
    """The counter names an entity reports."""
    found = _NAMES.get(entity.type_name)
    if found is None:
        values = provider(entity)[0](load_model(entity.server), entity, latest_index())
        found = _NAMES[entity.type_name] = frozenset(values)
    return found
