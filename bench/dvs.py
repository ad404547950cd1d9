"""Distributed switch costs: server CPU time per operation, with pyVmomi
against a simulator in a subprocess whose default portgroup holds a port for
each of its VMs (`-vm` per host; `-host` hosts per cluster).

- the first FetchDVPorts (every builder VM gets its port, in joining order);
- FetchDVPorts of the connected ports, and FetchDVPortKeys of one portgroup;
- ReconfigVM_Task moving a NIC between two portgroups (checking the port
  and freeing the old one), waited;
- AddDVPortgroup_Task of a 128-port portgroup, then its Destroy_Task.

CPU time is the server's own (utime + stime from /proc/PID/stat), so a busy
machine inflates wall time but hardly the figures; the load average is
printed with them.

    python3 bench/dvs.py [--vms 200] [--count 20]
"""
import argparse
import os
import time

from rawsoap import start_server
from state import cpu_seconds


def measure(process, count, action):
    """Server CPU milliseconds per call of `action` over `count` calls."""
    before = cpu_seconds(process.pid)
    for number in range(count):
        action(number)
    return (cpu_seconds(process.pid) - before) * 1000 / count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--vms', type=int, default=200, help='VMs per host (-vm)')
    parser.add_argument('--count', type=int, default=20)
    args = parser.parse_args()
    from pyVim.connect import SmartConnect
    from pyVim.task import WaitForTask
    from pyVmomi import vim
    process, host, port = start_server('-vm', str(args.vms), '-pg', '2')
    try:
        si = SmartConnect(protocol='http', host=host, port=port, user='u', pwd='p')
        content = si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [], True)
        objects = list(view.view)
        dvs = next(o for o in objects if isinstance(o, vim.DistributedVirtualSwitch))
        first, second = [p for p in dvs.portgroup if not p.config.uplink][:2]
        vm = next(o for o in objects if isinstance(o, vim.VirtualMachine))
        nic = next(d for d in vm.config.hardware.device
                   if isinstance(d, vim.vm.device.VirtualEthernetCard))
        connected = vim.dvs.PortCriteria(connected=True)
        ports = len(first.portKeys)
        print('switch %s: %d ports, %d VMs on %s' % (dvs.name, len(dvs.FetchDVPortKeys()),
                                                     len(first.vm), first.name))

        figures = [('first FetchDVPorts (ports given)',
                    measure(process, 1, lambda n: dvs.FetchDVPorts(connected)))]
        figures.append(('FetchDVPorts, %d connected ports' % len(first.vm),
                        measure(process, args.count, lambda n: dvs.FetchDVPorts(connected))))
        inside = vim.dvs.PortCriteria(portgroupKey=[first.key], inside=True)
        figures.append(('FetchDVPortKeys of a %d-port portgroup' % ports,
                        measure(process, args.count, lambda n: dvs.FetchDVPortKeys(inside))))

        def move(number):
            target = (second, first)[number % 2]
            nic.backing = vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
                port=vim.dvs.PortConnection(switchUuid=dvs.uuid, portgroupKey=target.key))
            WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
                vim.vm.device.VirtualDeviceSpec(operation='edit', device=nic)])))
        figures.append(('ReconfigVM_Task moving a NIC', measure(process, args.count, move)))

        def portgroup(number):
            WaitForTask(dvs.AddDVPortgroup_Task([vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
                name='bench-%d' % number, type='earlyBinding', numPorts=128)]))
            added = next(p for p in dvs.portgroup if p.name == 'bench-%d' % number)
            WaitForTask(added.Destroy_Task())
        figures.append(('AddDVPortgroup_Task (128 ports) + Destroy_Task',
                        measure(process, args.count, portgroup)))
        for label, ms in figures:
            print('%-50s %8.2f ms server CPU' % (label, ms))
        print('load average: %.2f %.2f %.2f' % os.getloadavg())
    finally:
        process.terminate()
        process.wait()
        time.sleep(0.1)


if __name__ == '__main__':
    main()
