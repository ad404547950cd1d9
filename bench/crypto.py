"""What key management and VM encryption cost the server: GenerateKey, a
self-signed client certificate (an Ed25519 key and its X.509 certificate),
CreateVM_Task of an encrypted VM (home and disk), a shallow recrypt
(ReconfigVM_Task) and a forced key removal with the CryptoUnlock_Task after
it, each N times through pyVmomi. Server CPU time per operation from
/proc/PID/stat (the machine being shared), and the load average. `--root
DIR` runs another checkout's simulator.

    python3 bench/crypto.py [--rounds 50] [--root DIR]
"""
import argparse
import os

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim

from rawsoap import ROOT, start_server
from tasks import cpu_seconds

POLICY = [vim.vm.DefinedProfileSpec(profileId='4d5f673c-536f-11e6-beb8-9e71128cae77')]
PROVIDER = vim.encryption.KeyProviderId(id='bench-kms')


def _encrypted_spec(name, key, datastore):
    encrypt = vim.encryption.CryptoSpecEncrypt(cryptoKeyId=key)
    disk = vim.vm.device.VirtualDisk(
        key=-2, controllerKey=-1, unitNumber=0, capacityInKB=1024,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode='persistent',
                                                              thinProvisioned=True))
    return vim.vm.ConfigSpec(
        name=name, guestId='otherGuest64', numCPUs=1, memoryMB=64, vmProfile=POLICY,
        crypto=encrypt, files=vim.vm.FileInfo(vmPathName='[%s]' % datastore),
        deviceChange=[
            vim.vm.device.VirtualDeviceSpec(operation='add', device=vim.vm.device
                                            .VirtualLsiLogicController(key=-1, busNumber=0,
                                                                       sharedBus='noSharing')),
            vim.vm.device.VirtualDeviceSpec(
                operation='add', fileOperation='create', device=disk, profile=POLICY,
                backing=vim.vm.device.VirtualDeviceSpec.BackingSpec(crypto=encrypt))])


def _timed(pid, rounds, action):
    """ms of server CPU per call of action(i)."""
    cpu = cpu_seconds(pid)
    for index in range(rounds):
        action(index)
    return (cpu_seconds(pid) - cpu) * 1000 / rounds


def run(host, port, pid, rounds):
    si = SmartConnect(host=host, port=port, protocol='http', user='user', pwd='pass')
    try:
        content = si.RetrieveContent()
        crypto = content.cryptoManager
        crypto.RegisterKmipServer(vim.encryption.KmipServerSpec(
            clusterId=PROVIDER, info=vim.encryption.KmipServerInfo(
                name='kms', address='kms.example.com', port=5696)))
        dc = content.rootFolder.childEntity[0]
        cluster = next(e for e in dc.hostFolder.childEntity
                       if isinstance(e, vim.ClusterComputeResource))
        datastore = next(d for d in cluster.host[0].datastore
                         if d.name.startswith('LocalDS')).name
        keys, vms = [], []
        figures = {
            'GenerateKey': _timed(pid, rounds, lambda i: keys.append(
                crypto.GenerateKey(PROVIDER).keyId)),
            'GenerateSelfSignedClientCert': _timed(
                pid, rounds, lambda i: crypto.GenerateSelfSignedClientCert(PROVIDER)),
        }

        def create(index):
            task = dc.vmFolder.CreateVM_Task(
                _encrypted_spec('bench-encrypted-%d' % index, keys[index], datastore),
                cluster.resourcePool)
            WaitForTask(task)
            vms.append(task.info.result)
        figures['CreateVM_Task, encrypted'] = _timed(pid, rounds, create)
        figures['ReconfigVM_Task, shallow recrypt'] = _timed(
            pid, rounds, lambda i: WaitForTask(vms[i].ReconfigVM_Task(vim.vm.ConfigSpec(
                crypto=vim.encryption.CryptoSpecShallowRecrypt(newKeyId=keys[-1 - i])))))

        def remove_and_unlock(index):
            crypto.RemoveKey(keys[-1 - index], True)
            WaitForTask(vms[index].CryptoUnlock_Task())
        figures['RemoveKey(force) + CryptoUnlock_Task'] = _timed(pid, rounds, remove_and_unlock)
        return figures
    finally:
        Disconnect(si)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=50)
    parser.add_argument('--root', default=ROOT)
    args = parser.parse_args()
    process, host, port = start_server('-autostart=false', '-username', 'user',
                                       '-password', 'pass', root=args.root)
    try:
        figures = run(host, port, process.pid, args.rounds)
    finally:
        process.terminate()
        process.wait()
    for name, ms in figures.items():
        print('%s: %.2f ms server CPU per call (%d calls)' % (name, ms, args.rounds))
    print('load average: %.2f %.2f %.2f' % os.getloadavg())


if __name__ == '__main__':
    main()
