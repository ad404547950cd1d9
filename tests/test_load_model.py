"""The load model and the control surface, with pyVmomi and raw HTTP: VMs'
quick stats come from deterministic demand patterns, hosts, pools and
clusters add their VMs' up (capped at capacity, contention as ready time),
the JSON API at /vimsim/control/ sets loads and advances simulated time, and
everything agrees afterwards."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import _simulator, all_of, on_reactor
from tests.controlling import control, model_time  # noqa: F401 (model_time: a fixture)
from vimsim.managed.monitoring.load_model import (HOST_CPU_OVERHEAD_MHZ,
                                                  HOST_MEMORY_OVERHEAD_MB, latest_index,
                                                  load_model)
from vimsim.schema import MoRef


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


VM = object()   # stands for a VM's moid in parameters


def reset_loads(sim, entities):
    for entity in entities:
        status, _ = control(sim, 'POST', 'load', {'entity': entity._moId})
        assert status == 200


def test_quick_stats_come_from_demand_patterns(si):
    vms = [vm for vm in all_of(si, vim.VirtualMachine)
           if vm.runtime.powerState == 'poweredOn']
    stats = [vm.summary.quickStats for vm in vms]
    usages = [s.overallCpuUsage for s in stats]
    assert all(u > 0 for u in usages)
    assert len(set(usages)) > 1, 'VMs of different identities load differently'
    for vm, quick in zip(vms, stats):
        capacity = vm.summary.config.numCpu * vm.runtime.host.summary.hardware.cpuMhz
        assert quick.overallCpuUsage <= quick.overallCpuDemand <= capacity
        assert 0 < quick.guestMemoryUsage <= vm.summary.config.memorySizeMB
        assert quick.hostMemoryUsage == quick.grantedMemory + quick.consumedOverheadMemory


def test_a_sample_is_the_same_whenever_read(sim, si):
    """Demand is a function of identity, size and time: a past sample reads
    the same however often and whenever asked."""
    model = on_reactor(load_model, sim.sim)
    vms = [on_reactor(sim.sim.objects.get, MoRef('VirtualMachine', vm._moId))
           for vm in all_of(si, vim.VirtualMachine)]
    index = on_reactor(latest_index) - 3
    first = on_reactor(lambda: [model.vm_sample(vm, index) for vm in vms])
    control(sim, 'POST', 'time/advance', {'seconds': 40})
    assert on_reactor(lambda: [model.vm_sample(vm, index) for vm in vms]) == first


def test_a_vm_pattern_forgotten_is_made_again_alike(sim, si, monkeypatch):
    """The load model remembers few VMs' patterns (PATTERNS_KEPT: a million
    would be most of a big inventory's memory) and makes the others again
    from their moids: with room for two, every VM's samples read as with
    room for all, and the model holds the first two it read, read after
    read (forgetting them would make every read of a pass make one)."""
    from vimsim.managed.monitoring import load_model as module
    model = on_reactor(load_model, sim.sim)
    vms = [on_reactor(sim.sim.objects.get, MoRef('VirtualMachine', vm._moId))
           for vm in all_of(si, vim.VirtualMachine)]
    index = on_reactor(latest_index) - 2

    def read():
        return [(model.vm_sample(vm, index), model.vm_peaks(vm)) for vm in vms]
    remembered = on_reactor(read)
    monkeypatch.setattr(module, 'PATTERNS_KEPT', 2)
    on_reactor(model._patterns.clear)
    assert on_reactor(read) == remembered
    first_two = {vm.ref.value for vm in vms[:2]}
    assert set(model._patterns) == first_two and len(vms) > 2
    assert on_reactor(read) == remembered
    assert set(model._patterns) == first_two


def test_a_powered_off_vm_uses_nothing(si):
    vm = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/vm/DC0_H0_VM0')
    WaitForTask(vm.PowerOffVM_Task())
    try:
        quick = vm.summary.quickStats
        assert (quick.overallCpuUsage, quick.guestMemoryUsage, quick.hostMemoryUsage) == (0, 0, 0)
    finally:
        WaitForTask(vm.PowerOnVM_Task())


def test_hosts_pools_and_clusters_add_their_vms_up(si):
    """Each figure adds up within one 20 s sample: the reads are taken again
    (at most twice more) when the model crossed into the next sample meanwhile."""
    for attempt in range(3):
        before = on_reactor(latest_index)
        try:
            _check_roll_ups(si)
            return
        except AssertionError:
            if on_reactor(latest_index) == before or attempt == 2:
                raise


def _check_roll_ups(si):
    for host in all_of(si, vim.HostSystem):
        vms = [vm for vm in host.vm if vm.runtime.powerState == 'poweredOn']
        quick = host.summary.quickStats
        assert quick.overallCpuUsage == HOST_CPU_OVERHEAD_MHZ + sum(
            vm.summary.quickStats.overallCpuUsage for vm in vms)
        assert quick.overallMemoryUsage == HOST_MEMORY_OVERHEAD_MB + sum(
            vm.summary.quickStats.hostMemoryUsage for vm in vms)
    cluster = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/host/DC0_C0')
    vms = [vm for vm in cluster.resourcePool.vm if vm.runtime.powerState == 'poweredOn']
    assert cluster.summary.usageSummary.cpuDemandMhz == sum(
        vm.summary.quickStats.overallCpuUsage for vm in vms)
    assert cluster.resourcePool.summary.quickStats.overallCpuUsage == sum(
        vm.summary.quickStats.overallCpuUsage for vm in vms)
    assert cluster.GetResourceUsage().cpuUsedMHz == sum(
        h.summary.quickStats.overallCpuUsage for h in cluster.host)


def test_control_surface_sets_a_vms_load(sim, si):
    vm = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/vm/DC0_H0_VM1')
    capacity = vm.summary.config.numCpu * vm.runtime.host.summary.hardware.cpuMhz
    try:
        status, answer = control(sim, 'POST', 'load',
                                 {'entity': vm._moId, 'cpu': 0.5, 'memory': 1})
        assert status == 200
        assert (answer['cpu'], answer['memory']) == (0.5, 1)
        quick = vm.summary.quickStats
        assert quick.overallCpuDemand == round(capacity * 0.5)
        assert quick.guestMemoryUsage == vm.summary.config.memorySizeMB
        assert answer['sample']['cpuUsageMHz'] == quick.overallCpuUsage
        status, answer = control(sim, 'GET', 'load?entity=' + vm._moId)
        assert status == 200 and answer['cpu'] == 0.5
    finally:
        reset_loads(sim, [vm])
    assert control(sim, 'GET', 'load?entity=' + vm._moId)[1]['cpu'] is None


def test_contention_caps_the_host_and_shows_as_ready_time(sim, si):
    host = all_of(si, vim.HostSystem)[0]
    vms = [vm for vm in host.vm if vm.runtime.powerState == 'poweredOn']
    capacity = host.summary.hardware.cpuMhz * host.summary.hardware.numCpuCores
    try:
        status, _ = control(sim, 'POST', 'load', {
            'entity': {'type': 'HostSystem', 'value': host._moId}, 'cpu': 0.6})
        assert status == 200
        for vm in vms:
            assert control(sim, 'POST', 'load', {'entity': vm._moId, 'cpu': 1})[0] == 200
        assert host.summary.quickStats.overallCpuUsage == capacity
        for vm in vms:
            quick = vm.summary.quickStats
            assert quick.overallCpuUsage < quick.overallCpuDemand
            assert quick.overallCpuReadiness > 0
    finally:
        reset_loads(sim, [host] + vms)
    assert host.summary.quickStats.overallCpuUsage < capacity


def test_control_surface_advances_simulated_time(sim, si):
    vm = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/vm/DC0_H0_VM1')
    uptime = vm.summary.quickStats.uptimeSeconds
    server_time = si.CurrentTime()
    status, before = control(sim, 'GET', 'time')
    assert status == 200
    status, after = control(sim, 'POST', 'time/advance', {'seconds': 7200})
    assert status == 200 and after['time'] > before['time']
    assert vm.summary.quickStats.uptimeSeconds >= uptime + 7200
    assert (si.CurrentTime() - server_time).total_seconds() >= 7200


def test_a_task_finishes_when_time_passes(sim, si):
    """A task's steps are model timers: advancing time runs them at once."""
    vm = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/vm/DC0_H0_VM1')
    manager = on_reactor(lambda: sim.sim.managers['taskManager'])
    durations = manager.durations
    on_reactor(durations.__setitem__, 'PowerOffVM_Task', 600 * 1000)   # ms
    try:
        task = vm.PowerOffVM_Task()
        assert task.info.state in ('queued', 'running')
        assert control(sim, 'POST', 'time/advance', {'seconds': 601})[0] == 200
        assert task.info.state == 'success'
        assert vm.runtime.powerState == 'poweredOff'
    finally:
        on_reactor(durations.pop, 'PowerOffVM_Task')
        WaitForTask(vm.PowerOnVM_Task())


def test_a_setting_holds_from_the_latest_sample_on(sim, si):
    vm = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/vm/DC0_H0_VM1')
    model = on_reactor(load_model, sim.sim)
    raw = on_reactor(sim.sim.objects.get, MoRef('VirtualMachine', vm._moId))
    control(sim, 'POST', 'time/advance', {'seconds': 40})
    index = on_reactor(latest_index) - 1
    before = on_reactor(model.vm_sample, raw, index).cpu_demand
    try:
        control(sim, 'POST', 'load', {'entity': vm._moId, 'cpu': 1})
        control(sim, 'POST', 'time/advance', {'seconds': 60})
        latest = on_reactor(model.vm_sample, raw)
        assert latest.cpu_demand == latest.cpu_capacity
        assert on_reactor(model.vm_sample, raw, index).cpu_demand == before
    finally:
        reset_loads(sim, [vm])


def test_control_surface_authenticates(sim, si):
    assert control(sim, 'GET', 'time', auth=None)[0] == 401
    assert control(sim, 'GET', 'time', auth=('user', ''))[0] == 401
    cookie = si._stub.cookie
    assert control(sim, 'GET', 'time', auth=None, headers={'Cookie': cookie})[0] == 200
    status, _ = control(sim, 'GET', 'time', auth=None,
                        headers={'Authorization': 'Basic !!!'})
    assert status == 401


@pytest.mark.parametrize('method, path, document, status', [
    ('POST', 'load', {'entity': 'vm-999999', 'cpu': 0.5}, 404),
    ('POST', 'load', {'entity': 'group-d1', 'cpu': 0.5}, 404),
    ('POST', 'load', {'entity': {'type': 'Folder', 'value': 'group-d1'}}, 400),
    ('POST', 'load', {'entity': 42}, 400),
    ('POST', 'load', {'entity': VM, 'cpu': 1.5}, 400),
    ('POST', 'load', {'entity': VM, 'cpu': 'high'}, 400),
    ('POST', 'load', {'entity': VM, 'disk': 1}, 400),
    ('POST', 'load', [1, 2], 400),
    ('POST', 'time/advance', {'seconds': -5}, 400),
    ('POST', 'time/advance', {'seconds': 'soon'}, 400),
    ('POST', 'time/advance', {}, 400),
    ('GET', 'time/advance', None, 405),
    ('GET', 'nothing', None, 404),
])
def test_control_surface_refuses_junk(sim, si, method, path, document, status):
    if isinstance(document, dict) and document.get('entity') is VM:
        document = dict(document, entity=all_of(si, vim.VirtualMachine)[0]._moId)
    found, answer = control(sim, method, path, document)
    assert found == status
    assert answer['error']


def test_python_api(sim, si):
    """The same actions in-process, on the reactor thread."""
    from vimsim.control import Control
    vm = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/vm/DC0_H0_VM1')
    api = Control(sim.sim)

    def act():
        entity = api.entity(vm._moId)
        return api.set_load(entity, cpu=0.25)
    try:
        answer = on_reactor(act)
        assert answer['cpu'] == 0.25
        assert vm.summary.quickStats.overallCpuDemand == answer['sample']['cpuDemandMHz']
    finally:
        reset_loads(sim, [vm])


def test_a_vms_peaks_bound_every_sample_it_reports(sim):
    """LoadModel.vm_peaks bounds what a VM demands in any sample (the
    pattern's level at the wave's and the jitter's top): the cpu.usage and
    mem.usage of every VM over two days of samples stay within the peaks
    perf_metrics reads from it (what metric alarms skip VMs by), and come
    near them; a VM with a load set has none."""
    from vimsim.managed.monitoring import perf_metrics

    def check():
        model = load_model(sim.sim)
        vms = [o for o in sim.sim.objects if o.type_name == 'VirtualMachine'
               and o.power_state == 'poweredOn' and model.vm_peaks(o) is not None]
        assert vms, 'VMs of no load set (a test may have set one before)'
        latest = latest_index()
        highest = {}
        for vm in vms:
            peaks = [perf_metrics.VM_PEAKS[name](model, vm) for name in ('cpu.usage',
                                                                         'mem.usage')]
            for index in range(latest, latest + 8640):   # two days (from its boot on)
                values = perf_metrics.vm_values(model, vm, index)
                for name, peak in zip(('cpu.usage', 'mem.usage'), peaks):
                    assert values[name] <= peak, (vm, name, index)
                    highest[vm, name] = max(highest.get((vm, name), 0), values[name])
        assert all(highest[vm, 'cpu.usage'] >= 0.8 * perf_metrics.VM_PEAKS['cpu.usage'](
            model, vm) for vm in vms), 'the bound is near what VMs reach'
        model.set_vm_load(vms[0], 0.5)
        model.set_vm_load(vms[0])
        assert model.vm_peaks(vms[0]) is None
    on_reactor(check)


def test_a_stepped_view_sums_a_big_host_a_step_at_a_time(sim, monkeypatch):
    """A stepped frozen view (an alarm pass's) does not sum a host of more
    than SUMMED_AT_ONCE VMs in one read: the read raises Unready, whose
    steps each read SUMMED_AT_ONCE VMs at most, and then reads what an
    unstepped view reads, for the latest sample (the host's Demand, every
    VM's part read again in a new sample) and for older ones."""
    from vimsim.managed.monitoring import load_model as module
    from vimsim.managed.monitoring.load_model import Unready

    monkeypatch.setattr(module, 'SUMMED_AT_ONCE', 1)

    def check():
        model = load_model(sim.sim)
        host = max((o for o in sim.sim.objects if o.type_name == 'HostSystem'),
                   key=lambda h: len(h.vms))
        assert len(host.vms) > 1
        plain, stepped = model.frozen(), model.frozen(stepped=True)
        summed = []
        original = stepped._summed
        stepped._summed = lambda vms, at: summed.append(len(vms)) or original(vms, at)
        for index in (latest_index() - 3, latest_index()):
            for vm in host.vms:    # read again at the latest sample's next read
                vm.changed('runtime')
            with pytest.raises(Unready) as unready:
                stepped.host_sample(host, index)
            latest = index == latest_index()
            left = []     # the latest: how many VMs' parts are still to read, step by step
            for _ in unready.value.steps:
                left.append(len(model._demands[host].stale) if latest else 0)
            assert stepped.host_sample(host, index) == plain.host_sample(host, index)
            if latest:
                assert len(left) >= len(host.vms) - 1 and left[-1] <= 1
                assert all(a - b == 1 for a, b in zip(left, left[1:]))
            else:
                assert summed == [1] * len(host.vms) and len(left) == len(host.vms)
    on_reactor(check)


def test_a_stepped_view_keeps_the_latest_samples_sums_once_it_is_older(sim, monkeypatch):
    """A pass outlasting a sample: the host sums a stepped view made through
    the host's Demand for the sample that was the latest answer its reads of
    that sample once a newer one is the latest (no Unready, nothing summed
    again), and equal what an unstepped view sums then."""
    from vimsim import clock
    from vimsim.managed.monitoring import load_model as module
    from vimsim.managed.monitoring.load_model import SAMPLE_SECONDS, Unready

    monkeypatch.setattr(module, 'SUMMED_AT_ONCE', 1)

    def check():
        model = load_model(sim.sim)
        host = max((o for o in sim.sim.objects if o.type_name == 'HostSystem'),
                   key=lambda h: len(h.vms))
        now = clock.microseconds()
        with clock.frozen(now):
            index = latest_index()
            stepped = model.frozen(stepped=True)
            for vm in host.vms:    # read again at the next read
                vm.changed('runtime')
            with pytest.raises(Unready) as unready:
                stepped.host_sample(host, index)
            for _ in unready.value.steps:
                pass
        with clock.frozen(now + SAMPLE_SECONDS * 1000000):
            assert latest_index() == index + 1
            summed = []
            original = stepped._summed
            stepped._summed = lambda vms, at: summed.append(at) or original(vms, at)
            assert stepped.host_sample(host, index) == model.frozen().host_sample(host, index)
            assert summed == []
    on_reactor(check)


def test_a_vms_watched_counters_alone_are_its_full_values(sim):
    """perf_metrics.vm_values of only counters read straight off the sample
    (what the default metric alarms watch) gives those of the full values;
    asked for any other counter too, it gives them all."""
    from vimsim.managed.monitoring import perf_metrics

    def check():
        model = load_model(sim.sim)
        latest = latest_index()
        for vm in [o for o in sim.sim.objects if o.type_name == 'VirtualMachine']:
            for index in (latest - 1, latest):
                full = perf_metrics.vm_values(model, vm, index)
                for names in (('cpu.usage',), ('mem.usage', 'cpu.usage')):
                    assert perf_metrics.vm_values(model, vm, index, names) == {
                        name: full[name] for name in names}
                assert perf_metrics.vm_values(model, vm, index,
                                              ('cpu.usage', 'net.usage')) == full
    on_reactor(check)


def test_an_alarm_state_change_leaves_demand_parts_as_they_were(sim):
    """No roll-up part reads an entity's alarm states: a VM reporting a
    change of those alone is not read again by its host's Demand; any
    other change (or one of unnamed properties) is."""
    def check():
        model = load_model(sim.sim)
        host = max((o for o in sim.sim.objects if o.type_name == 'HostSystem'),
                   key=lambda h: len(h.vms))
        demand = model.demand(host, [host.vms])
        vm = host.vms[0]
        vm.changed('declaredAlarmState', 'overallStatus', 'triggeredAlarmState')
        assert vm not in demand.stale
        for names in (('declaredAlarmState', 'runtime'), ()):
            model.demand(host, [host.vms])
            vm.changed(*names)
            assert vm in demand.stale
        model.demand(host, [host.vms])
    on_reactor(check)
