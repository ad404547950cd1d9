"""RelocateVM_Task's cryptoSpec with pyVmomi: the VM home is recrypted as it
moves, by ReconfigVM_Task's encryption rules (a shallow recrypt any time, a
deep one only powered off), checked before anything moves; the new host is
made crypto-safe and given the keys."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import _simulator, task_fault
from tests.test_crypto import _encrypted_vm, provider_id

E = vim.encryption


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, autostart=False)


def test_relocate_recrypts_the_home(si):
    crypto = si.RetrieveContent().cryptoManager
    vm, key = _encrypted_vm(si, crypto, 'kp-move', 'moving-encrypted')
    source = vm.runtime.host
    target = next(h for h in source.parent.host if h != source)
    assert target.runtime.cryptoState == 'incapable'
    new = crypto.GenerateKey(provider_id('kp-move')).keyId
    WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(
        host=target, cryptoSpec=E.CryptoSpecShallowRecrypt(newKeyId=new))))
    assert vm.runtime.host == target and vm.config.keyId.keyId == new.keyId
    assert target.runtime.cryptoState == 'safe'
    assert new.keyId in {k.keyId for k in target.configManager.cryptoManager.ListKeys()}
    # a deep recrypt needs the VM off: refused before it moves
    WaitForTask(vm.PowerOnVM_Task())
    try:
        again = crypto.GenerateKey(provider_id('kp-move')).keyId
        refused = task_fault(vm.RelocateVM_Task(vim.vm.RelocateSpec(
            host=source, cryptoSpec=E.CryptoSpecDeepRecrypt(newKeyId=again))))
        assert isinstance(refused, vim.fault.InvalidPowerState)
        assert vm.runtime.host == target and vm.config.keyId.keyId == new.keyId
    finally:
        WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(
        host=source, cryptoSpec=E.CryptoSpecDeepRecrypt(newKeyId=again))))
    assert vm.runtime.host == source and vm.config.keyId.keyId == again.keyId


def test_relocate_cannot_recrypt_a_plain_vm(si):
    crypto = si.RetrieveContent().cryptoManager
    vm = si.content.searchIndex.FindByInventoryPath('/DC0/vm/DC0_C0_RP0_VM0')
    key = crypto.GenerateKey(provider_id('kp-move')).keyId
    refused = task_fault(vm.RelocateVM_Task(vim.vm.RelocateSpec(
        cryptoSpec=E.CryptoSpecShallowRecrypt(newKeyId=key))))
    assert isinstance(refused, vim.fault.InvalidState)
