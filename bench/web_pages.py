"""The web pages on a big inventory: server CPU per request (from
/proc/PID/stat, the machine being shared) and wall time of the MOB page of
a VM and of the folder holding every VM, a data object page (after a first page, reported apart: it logs in,
compiles templates and is the first read of a VM's config, at which the
network model connects every VM's NIC to its DV port), a /ui summary
of a VM and of a host, a page of tree children, and the time from a power
change to its server-sent event; with the load average.

    python3 bench/web_pages.py [--vm 5000] [--repeat 10]
"""
import argparse
import os
import threading
import time

import requests

from rawsoap import start_server
from tasks import cpu_seconds


def measure(process, session, url, repeat):
    cpu, wall = [], []
    for _ in range(repeat):
        before, start = cpu_seconds(process.pid), time.perf_counter()
        answer = session.get(url)
        wall.append(time.perf_counter() - start)
        cpu.append(cpu_seconds(process.pid) - before)
        assert answer.status_code == 200, (url, answer.status_code)
    return sum(cpu) / len(cpu), min(wall), len(answer.content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--vm', type=int, default=5000, help='-vm (VMs = 2 x this)')
    parser.add_argument('--repeat', type=int, default=10)
    args = parser.parse_args()
    process, host, port = start_server('-vm', str(args.vm))
    origin = 'http://%s:%d' % (host, port)
    try:
        mob = requests.Session()
        mob.auth = ('user', 'pass')
        ui = requests.Session()
        ui.post(origin + '/ui/login', data={'username': 'user', 'password': 'pass'})
        vm_folder = 'group-v3'     # the datacenter's VM folder (vcsim's moids)
        first_vm = ui.get(origin + '/ui/tree?view=vms&moid=datacenter-2').json()
        vm = first_vm['nodes'][0]['moid']
        print('%d VMs in the VM folder; load average %s' % (
            first_vm['total'], ' '.join('%.2f' % x for x in os.getloadavg())))
        cpu, wall, _ = measure(process, mob, origin + '/mob/?moid=' + vm, 1)
        print('%-30s server CPU %6.1f ms, wall %6.1f ms' % (
            'MOB: first page', cpu * 1000, wall * 1000))
        for label, session, path in (
                ('MOB: a VM', mob, '/mob/?moid=' + vm),
                ('MOB: config.hardware', mob, '/mob/?moid=%s&doPath=config.hardware' % vm),
                ('MOB: the folder of every VM', mob, '/mob/?moid=' + vm_folder),
                ('UI: summary of a VM', ui, '/ui/summary?moid=' + vm),
                ('UI: summary of a host', ui, '/ui/summary?moid=host-12'),
                ('UI: a page of tree children', ui, '/ui/tree?view=vms&moid=datacenter-2'),
                ('UI: real-time charts', ui, '/ui/perf?moid=' + vm)):
            cpu, wall, size = measure(process, session, origin + path, args.repeat)
            print('%-30s server CPU %6.1f ms, wall %6.1f ms, %7d bytes' % (
                label, cpu * 1000, wall * 1000, size))
        nonce = ui.get(origin + '/ui/').text.split('data-nonce="', 1)[1].split('"', 1)[0]
        seen = threading.Event()
        ready = threading.Event()

        def listen():
            with ui.get(origin + '/ui/live?moid=' + vm, stream=True) as answer:
                for line in answer.iter_lines():
                    if b'summary-live' in line:
                        if ready.is_set() and b'poweredOff' in line:
                            seen.set()
                            return
                        ready.set()
        threading.Thread(target=listen, daemon=True).start()
        ready.wait(30)
        start = time.perf_counter()
        ui.post(origin + '/ui/action', data={'vmware-session-nonce': nonce,
                                             'action': 'powerOff', 'moid': vm})
        seen.wait(30)
        print('power-off to its live summary event: %.1f ms' % (
            (time.perf_counter() - start) * 1000))
        print('load average after: %s' % ' '.join('%.2f' % x for x in os.getloadavg()))
    finally:
        process.terminate()
        process.wait()


if __name__ == '__main__':
    main()
