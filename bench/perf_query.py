"""QueryPerf at scale: one call asking 20 counters of each of 1,000 VMs
(one PerfQuerySpec per VM), the latest real-time sample, then 15 samples,
then the latest 5-minute rollup; the server's CPU time per call (from
/proc/PID/stat, the machine being shared), the wall time and the load
average. Target: the 1,000-VM latest-sample call under 0.5 s.

    python3 bench/perf_query.py [--vm 500] [--repeat 5]
"""
import argparse
import os
import time

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

from rawsoap import start_server
from tasks import cpu_seconds

PM = vim.PerformanceManager
COUNTERS = ('cpu.usage.average', 'cpu.usagemhz.average', 'cpu.ready.summation',
            'cpu.demand.average', 'cpu.used.summation', 'cpu.idle.summation',
            'cpu.wait.summation', 'cpu.latency.average', 'mem.usage.average',
            'mem.active.average', 'mem.consumed.average', 'mem.granted.average',
            'mem.overhead.average', 'disk.usage.average', 'disk.read.average',
            'disk.write.average', 'net.usage.average', 'net.received.average',
            'net.transmitted.average', 'sys.uptime.latest')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--vm', type=int, default=500, help='-vm (VMs = 2 x this)')
    parser.add_argument('--repeat', type=int, default=5)
    args = parser.parse_args()
    process, host, port = start_server('-vm', str(args.vm))
    try:
        si = SmartConnect(protocol='http', host=host, port=port, user='user', pwd='pass')
        content = si.RetrieveContent()
        pm = content.perfManager
        keys = {'%s.%s.%s' % (c.groupInfo.key, c.nameInfo.key, c.rollupType): c.key
                for c in pm.perfCounter}
        metrics = [PM.MetricId(counterId=keys[name], instance='') for name in COUNTERS]
        view = content.viewManager.CreateContainerView(content.rootFolder,
                                                       [vim.VirtualMachine], True)
        vms = list(view.view)
        print('%d VMs, %d counters each; load average %s' % (
            len(vms), len(metrics), ' '.join('%.2f' % x for x in os.getloadavg())))
        for label, spec in (('latest real-time sample', dict(maxSample=1)),
                            ('15 real-time samples', dict(maxSample=15)),
                            ('latest 5-minute rollup', dict(maxSample=1, intervalId=300))):
            specs = [PM.QuerySpec(entity=vm, metricId=metrics, **spec) for vm in vms]
            cpu, wall, values = [], [], 0
            for _ in range(args.repeat):
                before, start = cpu_seconds(process.pid), time.perf_counter()
                result = pm.QueryPerf(specs)
                wall.append(time.perf_counter() - start)
                cpu.append(cpu_seconds(process.pid) - before)
                values = sum(len(series.value) for entity in result for series in entity.value)
            print('%s: server CPU %.3f s (best %.3f), wall %.3f s with pyVmomi decoding; '
                  '%d values' % (label, sum(cpu) / len(cpu), min(cpu), min(wall), values))
        print('load average after: %s' % ' '.join('%.2f' % x for x in os.getloadavg()))
        Disconnect(si)
    finally:
        process.terminate()
        process.wait()


if __name__ == '__main__':
    main()
