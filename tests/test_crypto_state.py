"""Key management survives a restart (-state DIR): the journal replays into
the same key providers, keys (ids from the model's uuids), certificates
(deterministic Ed25519) and encrypted, locked VMs."""
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.test_crypto import _new_vm, provider_id, register
from tests.test_state import _restarted, _start, _stop, _stopped


def test_restart_serves_the_same_keys_certificates_and_encrypted_vms(validator, tmp_path):
    first = _start(validator, tmp_path)
    si = first.connect()
    crypto = si.RetrieveContent().cryptoManager
    register(crypto, 'kp-state')
    key = crypto.GenerateKey(provider_id('kp-state')).keyId
    register(crypto, 'kp-certs')
    certificate = crypto.GenerateSelfSignedClientCert(provider_id('kp-certs'))
    crypto.UpdateSelfSignedClientCert(provider_id('kp-certs'), certificate)
    csr = crypto.GenerateClientCsr(provider_id('kp-certs'))
    task = _new_vm(si, 'encrypted-state', vim.encryption.CryptoSpecEncrypt(cryptoKeyId=key))
    WaitForTask(task)
    vm = task.info.result
    crypto.UnregisterKmsCluster(provider_id('kp-state'))
    assert vm.runtime.cryptoState == 'locked'
    Disconnect(si)

    second = _restarted(validator, tmp_path, _stopped(first))
    si = second.connect()
    crypto = si.RetrieveContent().cryptoManager
    assert crypto.RetrieveClientCert(provider_id('kp-certs')) == certificate
    assert crypto.RetrieveClientCsr(provider_id('kp-certs')) == csr
    register(crypto, 'kp-state')
    vm = si.content.searchIndex.FindByInventoryPath('DC0/vm/encrypted-state')
    assert vm.config.keyId.keyId == key.keyId and vm.runtime.cryptoState == 'locked'
    WaitForTask(vm.CryptoUnlock_Task())    # the KMS kept the key across the restart
    assert vm.runtime.cryptoState == 'unlocked'
    Disconnect(si)
    _stop(second)
