"""PerformanceManager with pyVmomi: the counter catalog and its levels,
historical intervals, what entities offer, and QueryPerf / QueryPerfComposite
in real time and rolled up, normal and CSV, with values from the load model
that agree with quick stats."""
import pytest
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of
from tests.controlling import act, model_time  # noqa: F401 (model_time: a fixture)
from vimsim import clock

PM = vim.PerformanceManager
CPU_USAGE, CPU_USAGE_MAX, CPU_USAGEMHZ, CPU_READY, MEM_USAGE = 2, 4, 6, 12, 24


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


@pytest.fixture
def pm(si):
    return si.RetrieveContent().perfManager


@pytest.fixture
def vm(si):
    return si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/vm/DC0_H0_VM0')


def series(result, counter, instance=''):
    for metric in result.value:
        if metric.id.counterId == counter and metric.id.instance == instance:
            return list(metric.value)
    raise AssertionError('no series %d/%r' % (counter, instance))


def query(pm, entity, counters, **spec):
    metrics = [PM.MetricId(counterId=c, instance='') for c in counters]
    return pm.QueryPerf([PM.QuerySpec(entity=entity, metricId=metrics, **spec)])[0]


def test_real_time_cpu_agrees_with_quick_stats(pm, vm):
    latest = query(pm, vm, [CPU_USAGEMHZ, CPU_USAGE, MEM_USAGE], maxSample=1)
    quick = vm.summary.quickStats
    assert series(latest, CPU_USAGEMHZ) == [quick.overallCpuUsage]
    capacity = vm.summary.config.numCpu * vm.runtime.host.summary.hardware.cpuMhz
    assert series(latest, CPU_USAGE) == [round(quick.overallCpuUsage * 10000 / capacity)]
    assert series(latest, MEM_USAGE) == [
        round(quick.guestMemoryUsage * 10000 / vm.summary.config.memorySizeMB)]
    assert latest.sampleInfo[0].interval == 20
    assert latest.sampleInfo[0].timestamp <= clock.now()


def test_real_time_samples_window(pm, vm):
    everything = query(pm, vm, [CPU_USAGEMHZ])
    assert len(everything.sampleInfo) == 180     # an hour of 20 s samples
    stamps = [s.timestamp for s in everything.sampleInfo]
    assert stamps == sorted(stamps)
    assert all((b - a).total_seconds() == 20 for a, b in zip(stamps, stamps[1:]))
    start, end = stamps[-5], stamps[-2]
    window = query(pm, vm, [CPU_USAGEMHZ], startTime=start, endTime=end)
    assert [s.timestamp for s in window.sampleInfo] == stamps[-4:-1]   # start excluded
    assert series(window, CPU_USAGEMHZ) == series(everything, CPU_USAGEMHZ)[-4:-1]
    assert len(query(pm, vm, [CPU_USAGEMHZ], maxSample=7).sampleInfo) == 7


def test_csv_matches_normal(pm, vm):
    normal = query(pm, vm, [CPU_USAGEMHZ, CPU_READY], maxSample=3)
    csv = query(pm, vm, [CPU_USAGEMHZ, CPU_READY], maxSample=3, format='csv')
    assert isinstance(csv, PM.EntityMetricCSV)
    fields = csv.sampleInfoCSV.split(',')
    assert fields[0::2] == ['20'] * 3
    for metric in csv.value:
        assert [int(v) for v in metric.value.split(',')] == series(normal, metric.id.counterId)


def test_control_surface_load_shows_in_statistics(sim, pm, vm):
    act(sim, 'load', {'entity': vm._moId, 'cpu': 1})
    try:
        latest = query(pm, vm, [CPU_USAGE], maxSample=1)
        assert series(latest, CPU_USAGE) == [10000]
    finally:
        act(sim, 'load', {'entity': vm._moId})


def test_historical_samples_roll_up(sim, pm, vm):
    act(sim, 'time/advance', {'seconds': 3600})
    ids = [CPU_USAGEMHZ, CPU_READY]
    past_day = query(pm, vm, ids, intervalId=300, maxSample=4)
    assert [s.interval for s in past_day.sampleInfo] == [300] * 4
    assert all(s.timestamp.minute % 5 == 0 and s.timestamp.second == 0
               for s in past_day.sampleInfo)
    real_time = query(pm, vm, ids, startTime=past_day.sampleInfo[-2].timestamp,
                      endTime=past_day.sampleInfo[-1].timestamp)
    values = series(real_time, CPU_USAGEMHZ)
    assert len(values) == 15
    assert series(past_day, CPU_USAGEMHZ)[-1] == round(sum(values) / 15)
    assert series(past_day, CPU_READY)[-1] == sum(series(real_time, CPU_READY))
    usage = query(pm, vm, [CPU_USAGE, CPU_USAGE_MAX], startTime=past_day.sampleInfo[-2]
                  .timestamp, endTime=past_day.sampleInfo[-1].timestamp)
    assert series(usage, CPU_USAGE_MAX) == series(usage, CPU_USAGE)   # one sample each
    pm.UpdateCounterLevelMapping([PM.CounterLevelMapping(counterId=CPU_USAGE_MAX,
                                                         aggregateLevel=1)])
    try:
        rolled = query(pm, vm, [CPU_USAGE, CPU_USAGE_MAX], intervalId=300, maxSample=1)
    finally:
        pm.ResetCounterLevelMapping([CPU_USAGE_MAX])
    assert series(rolled, CPU_USAGE_MAX) == [max(series(usage, CPU_USAGE))]


def test_levels_decide_what_intervals_collect(pm, vm):
    realtime = {(m.counterId, m.instance) for m in pm.QueryAvailablePerfMetric(vm)}
    assert (CPU_USAGE_MAX, '') in realtime and (CPU_USAGE, '0') in realtime
    historical = {(m.counterId, m.instance)
                  for m in pm.QueryAvailablePerfMetric(vm, intervalId=300)}
    assert (CPU_USAGE, '') in historical
    assert (CPU_USAGE_MAX, '') not in historical and (CPU_USAGE, '0') not in historical
    assert historical < realtime
    # a level-4 counter asked of a level-1 interval has no series
    result = query(pm, vm, [CPU_USAGE_MAX, CPU_USAGE], intervalId=300, maxSample=1)
    assert [m.id.counterId for m in result.value] == [CPU_USAGE]
    pm.UpdateCounterLevelMapping([PM.CounterLevelMapping(counterId=CPU_USAGE_MAX,
                                                         aggregateLevel=1)])
    try:
        assert pm.QueryPerfCounter([CPU_USAGE_MAX])[0].level == 1
        assert (CPU_USAGE_MAX, '') in {(m.counterId, m.instance) for m in
                                       pm.QueryAvailablePerfMetric(vm, intervalId=300)}
    finally:
        pm.ResetCounterLevelMapping([CPU_USAGE_MAX])
    assert pm.QueryPerfCounter([CPU_USAGE_MAX])[0].level == 4


def test_per_device_instances(pm, vm):
    result = pm.QueryPerf([PM.QuerySpec(entity=vm, maxSample=1, metricId=[
        PM.MetricId(counterId=CPU_USAGEMHZ, instance='*')])])[0]
    instances = sorted(m.id.instance for m in result.value)
    assert instances == [''] + [str(n) for n in range(vm.summary.config.numCpu)]


def test_counter_catalog(pm):
    by_level = pm.QueryPerfCounterByLevel(1)
    assert by_level and all(c.level == 1 for c in by_level)
    assert len(pm.QueryPerfCounterByLevel(4)) == len(pm.perfCounter)
    usage = pm.QueryPerfCounter([CPU_USAGE])[0]
    assert (usage.groupInfo.key, usage.nameInfo.key, usage.rollupType,
            usage.unitInfo.key) == ('cpu', 'usage', 'average', 'percent')
    for bad in (0, 5):
        with pytest.raises(vmodl.fault.InvalidArgument):
            pm.QueryPerfCounterByLevel(bad)
    with pytest.raises(vmodl.fault.InvalidArgument):
        pm.QueryPerfCounter([CPU_USAGE, 999999])
    with pytest.raises(vmodl.fault.InvalidArgument):
        pm.UpdateCounterLevelMapping([
            PM.CounterLevelMapping(counterId=CPU_USAGE, aggregateLevel=2),
            PM.CounterLevelMapping(counterId=CPU_USAGE, aggregateLevel=9)])
    assert pm.QueryPerfCounter([CPU_USAGE])[0].level == 1   # all or nothing


def test_historical_intervals(pm):
    intervals = pm.historicalInterval
    assert [i.samplingPeriod for i in intervals] == [300, 1800, 7200, 86400]
    week = intervals[1]
    changed = vim.HistoricalInterval(key=week.key, samplingPeriod=week.samplingPeriod,
                                     name=week.name, length=week.length, level=1,
                                     enabled=False)
    pm.UpdatePerfInterval(changed)
    try:
        after = pm.historicalInterval
        assert not after[1].enabled and not after[2].enabled and not after[3].enabled
        assert after[0].enabled
        with pytest.raises(vmodl.fault.InvalidArgument):   # not past a disabled one
            month = after[2]
            pm.UpdatePerfInterval(vim.HistoricalInterval(
                key=month.key, samplingPeriod=month.samplingPeriod, name=month.name,
                length=month.length, level=1, enabled=True))
    finally:
        for interval in intervals[1:]:
            pm.UpdatePerfInterval(interval)
    assert [i.enabled for i in pm.historicalInterval] == [True] * 4
    day = intervals[0]
    for bad in (dict(level=5), dict(samplingPeriod=77), dict(length=1000), dict(key=99)):
        fields = dict(key=day.key, samplingPeriod=day.samplingPeriod, name=day.name,
                      length=day.length, level=day.level, enabled=True)
        fields.update(bad)
        with pytest.raises(vmodl.fault.InvalidArgument):
            pm.UpdatePerfInterval(vim.HistoricalInterval(**fields))
    with pytest.raises(vmodl.fault.InvalidArgument):   # higher than the shorter interval
        pm.UpdatePerfInterval(vim.HistoricalInterval(
            key=week.key, samplingPeriod=week.samplingPeriod, name=week.name,
            length=week.length, level=3, enabled=True))
    with pytest.raises(vmodl.fault.NotSupported):
        pm.CreatePerfInterval(vim.HistoricalInterval(key=9, samplingPeriod=60, name='x', length=600,
                                          level=1, enabled=True))
    with pytest.raises(vmodl.fault.NotSupported):
        pm.RemovePerfInterval(300)


def test_providers(si, pm, vm):
    summary = pm.QueryPerfProviderSummary(vm)
    assert (summary.currentSupported, summary.summarySupported, summary.refreshRate) == (
        True, True, 20)
    cluster = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/host/DC0_C0')
    summary = pm.QueryPerfProviderSummary(cluster)
    assert (summary.currentSupported, summary.refreshRate) == (False, -1)
    with pytest.raises(vmodl.fault.InvalidArgument):   # no real time for a cluster
        query(pm, cluster, [CPU_USAGEMHZ], intervalId=20)
    result = query(pm, cluster, [CPU_USAGEMHZ], maxSample=1)
    assert result.sampleInfo[0].interval == 300
    folder = si.RetrieveContent().rootFolder
    with pytest.raises(vmodl.fault.InvalidArgument):
        pm.QueryPerfProviderSummary(folder)
    with pytest.raises(vmodl.fault.InvalidArgument):
        query(pm, folder, [CPU_USAGEMHZ])
    with pytest.raises(vmodl.fault.InvalidArgument):
        query(pm, vm, [CPU_USAGEMHZ], intervalId=17)
    with pytest.raises(vmodl.fault.InvalidArgument):
        query(pm, vm, [424242])


def test_composite_is_a_host_and_its_vms(si, pm):
    host = all_of(si, vim.HostSystem)[0]
    composite = pm.QueryPerfComposite(PM.QuerySpec(
        entity=host, maxSample=1, metricId=[PM.MetricId(counterId=CPU_USAGEMHZ, instance='')]))
    assert composite.entity.entity == host
    assert sorted(c.entity._moId for c in composite.childEntity) == sorted(
        v._moId for v in host.vm)
    assert series(composite.entity, CPU_USAGEMHZ) == [host.summary.quickStats.overallCpuUsage]
    vm = host.vm[0]
    with pytest.raises(vmodl.fault.InvalidArgument):
        pm.QueryPerfComposite(PM.QuerySpec(entity=vm, maxSample=1))
