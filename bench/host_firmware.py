"""What a host's configuration bundle costs the server: BackupFirmwareConfiguration
with the GET of its bundle, and the upload (PUT) with RestoreFirmwareConfiguration
(decoding every section, applying each through its manager, the reboot), each
N times, through pyVmomi and HTTP as Ansible's vmware_cfg_backup drives them.
Server CPU time per round from /proc/PID/stat (the machine being shared), the
bundle's size, and the load average. `--root DIR` runs another checkout's
simulator.

    python3 bench/host_firmware.py [--rounds 20] [--root DIR]
"""
import http.client
import os
import urllib.parse

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim

from rawsoap import run_rounds
from tasks import cpu_seconds


def _path(url):
    """The path of a host URL ('http://*:port/...': * the host name)."""
    parts = urllib.parse.urlsplit(url.replace('*', 'host', 1))
    return parts.path + ('?' + parts.query if parts.query else '')


def _http(host, port, method, url, body=None, headers=None):
    connection = http.client.HTTPConnection(host, port, timeout=120)
    try:
        connection.request(method, url, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError('%s %s: %d' % (method, url, response.status))
        return data
    finally:
        connection.close()


def run(host, port, pid, rounds):
    si = SmartConnect(host=host, port=port, protocol='http', user='user', pwd='pass')
    try:
        content = si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem],
                                                       True)
        system = next(h for h in view.view if h.name == 'DC0_H0')
        firmware = system.configManager.firmwareSystem
        cookie = {'Cookie': si._stub.cookie}
        cpu = cpu_seconds(pid)
        for _ in range(rounds):
            bundle = _http(host, port, 'GET', _path(firmware.BackupFirmwareConfiguration()))
        backup = (cpu_seconds(pid) - cpu) * 1000 / rounds
        WaitForTask(system.EnterMaintenanceMode_Task(timeout=60))
        upload = _path(firmware.QueryFirmwareConfigUploadURL())
        cpu = cpu_seconds(pid)
        for _ in range(rounds):
            _http(host, port, 'PUT', upload, bundle, cookie)
            firmware.RestoreFirmwareConfiguration(force=False)
        restore = (cpu_seconds(pid) - cpu) * 1000 / rounds
        WaitForTask(system.ExitMaintenanceMode_Task(timeout=60))
        return len(bundle), backup, restore
    finally:
        Disconnect(si)


def main():
    (size, backup, restore), rounds = run_rounds(__doc__, run, '-autostart=false', '-username',
                                                 'user', '-password', 'pass')
    print('bundle: %d bytes (gzip tar)' % size)
    print('BackupFirmwareConfiguration + GET: %.2f ms server CPU per round (%d rounds)'
          % (backup, rounds))
    print('PUT + RestoreFirmwareConfiguration: %.2f ms server CPU per round (%d rounds)'
          % (restore, rounds))
    print('load average: %.2f %.2f %.2f' % os.getloadavg())


if __name__ == '__main__':
    main()
