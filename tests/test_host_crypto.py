"""HostSystem's encryption methods (API 6.5) with pyVmomi: PrepareCrypto and
EnableCrypto walk the host through incapable -> prepared -> safe as its
CryptoManagerHost does; ConfigureCryptoKey has vCenter set the host key (one
given, the host's own, or a new one from the default provider) and make the
host safe in one step."""
import pytest
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, logged_in
from tests.test_crypto import ensure_provider, provider_id


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, autostart=False)


def _host(si, name):
    return next(h for h in all_of(si, vim.HostSystem) if h.name == name)


def test_prepare_and_enable(si):
    host = _host(si, 'DC0_C0_H0')
    key = vim.encryption.CryptoKeyPlain(keyId=vim.encryption.CryptoKeyId(keyId='hk-1'),
                                        algorithm='AES-256', keyData='aG9zdA==')
    with pytest.raises(vim.fault.InvalidState):
        host.EnableCrypto(key)                                  # not prepared
    host.PrepareCrypto()
    assert host.runtime.cryptoState == 'prepared'
    with pytest.raises(vim.fault.InvalidState):
        host.PrepareCrypto()
    host.EnableCrypto(key)
    assert host.runtime.cryptoState == 'safe' and host.runtime.cryptoKeyId.keyId == 'hk-1'
    assert host.configManager.cryptoManager.enabled
    host.configManager.cryptoManager.CryptoManagerHostDisable()
    assert host.runtime.cryptoState == 'incapable'


def test_configure_crypto_key(si):
    crypto = si.RetrieveContent().cryptoManager
    host = _host(si, 'DC0_C0_H1')
    with pytest.raises(vmodl.fault.InvalidRequest):
        host.ConfigureCryptoKey()                                # no key provider yet
    ensure_provider(crypto, 'kp-host')
    crypto.MarkDefault(provider_id('kp-host'))
    host.ConfigureCryptoKey()                                    # a new key, from incapable
    assert host.runtime.cryptoState == 'safe'
    first = host.runtime.cryptoKeyId
    assert first.providerId.id == 'kp-host'
    assert first.keyId in {k.keyId for k in crypto.ListKeys()}
    host.ConfigureCryptoKey()                                    # keeps its host key
    assert host.runtime.cryptoKeyId.keyId == first.keyId
    chosen = crypto.GenerateKey(provider_id('kp-host')).keyId
    host.ConfigureCryptoKey(chosen)
    assert host.runtime.cryptoKeyId.keyId == chosen.keyId
    events = si.RetrieveContent().eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventTypeId=['com.vmware.vc.crypto.HostKeyUpdatedEvent']))
    assert host.name in [e.host.name for e in events]
    with pytest.raises(vmodl.fault.InvalidArgument):
        host.ConfigureCryptoKey(vim.encryption.CryptoKeyId(
            keyId='unknown', providerId=provider_id('kp-host')))
    host.configManager.cryptoManager.CryptoManagerHostDisable()


@pytest.fixture
def esx_si(esx):
    yield from logged_in(esx)


def test_esx_has_no_kms(esx_si):
    host = all_of(esx_si, vim.HostSystem)[0]
    with pytest.raises(vmodl.fault.NotSupported):
        host.ConfigureCryptoKey()
