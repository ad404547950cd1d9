"""What host profiles cost the server: CreateProfile from a reference host,
a compliance check of every host (CheckProfileCompliance_Task on the
profile attached to all of them), ExecuteHostProfile on a host that
differs, and ApplyHostConfig_Task of that spec in maintenance mode (then
the host is changed back), each N times through pyVmomi. Server CPU time
per operation from /proc/PID/stat (the machine being shared), and the load
average. `--root DIR` runs another checkout's simulator.

    python3 bench/host_profiles.py [--rounds 20] [--root DIR]
"""
import os

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim

from rawsoap import run_rounds
from tasks import cpu_seconds

PORTGROUP = 'bench-profile'


def _portgroup(host, present):
    network = host.configManager.networkSystem
    if present:
        network.AddPortGroup(portgrp=vim.host.PortGroup.Specification(
            name=PORTGROUP, vlanId=7, vswitchName='vSwitch0', policy=vim.host.NetworkPolicy()))
    else:
        network.RemovePortGroup(pgName=PORTGROUP)


def run(host, port, pid, rounds):
    si = SmartConnect(host=host, port=port, protocol='http', user='user', pwd='pass')
    try:
        content = si.RetrieveContent()
        manager = content.hostProfileManager
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem],
                                                       True)
        hosts = sorted(view.view, key=lambda h: h.name)
        reference, target = hosts[0], hosts[1]
        _portgroup(reference, True)
        figures = {}
        cpu = cpu_seconds(pid)
        for number in range(rounds):
            profile = manager.CreateProfile(createSpec=vim.profile.host.HostProfile.
                                            HostBasedConfigSpec(name='bench-%d' % number,
                                                                host=reference))
            if number < rounds - 1:
                profile.DestroyProfile()
        figures['CreateProfile (and DestroyProfile)'] = cpu_seconds(pid) - cpu
        profile.AssociateProfile(entity=hosts)
        cpu = cpu_seconds(pid)
        for _ in range(rounds):
            WaitForTask(profile.CheckProfileCompliance_Task())
        figures['CheckProfileCompliance_Task of %d hosts' % len(hosts)] = cpu_seconds(pid) - cpu
        asked = profile.ExecuteHostProfile(host=target).requireInput
        cpu = cpu_seconds(pid)
        for _ in range(rounds):
            result = profile.ExecuteHostProfile(host=target, deferredParam=asked)
        figures['ExecuteHostProfile'] = cpu_seconds(pid) - cpu
        WaitForTask(target.EnterMaintenanceMode_Task(timeout=60))
        cpu = cpu_seconds(pid)
        for _ in range(rounds):
            WaitForTask(manager.ApplyHostConfig_Task(host=target, configSpec=result.configSpec,
                                                     userInput=result.requireInput))
            _portgroup(target, False)
        figures['ApplyHostConfig_Task (and RemovePortGroup)'] = cpu_seconds(pid) - cpu
        WaitForTask(target.ExitMaintenanceMode_Task(timeout=60))
        profile.DestroyProfile()
        _portgroup(reference, False)
        return {name: seconds * 1000 / rounds for name, seconds in figures.items()}
    finally:
        Disconnect(si)


def main():
    figures, rounds = run_rounds(__doc__, run, '-autostart=false', '-username', 'user',
                                 '-password', 'pass')
    for name, milliseconds in figures.items():
        print('%s: %.2f ms server CPU per call (%d rounds)' % (name, milliseconds, rounds))
    print('load average: %.2f %.2f %.2f' % os.getloadavg())


if __name__ == '__main__':
    main()
