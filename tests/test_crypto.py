"""VM encryption and key management with pyVmomi over a real socket: key
providers and their servers, certificates (real X.509), keys from the
simulated KMS and vCenter's key list; hosts' crypto-safe mode and key
caches; encrypted VMs (create, reconfigure, recrypt, decrypt), a VM
locked when its provider goes and CryptoUnlock_Task, and SetCryptoMode."""
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, logged_in, task_fault
from tests.test_ovf import place

ENCRYPTION_POLICY = '4d5f673c-536f-11e6-beb8-9e71128cae77'
DiskCrypto = vim.vslm.DiskCryptoSpec


@pytest.fixture(scope='module')
def sim(validator):
    """A simulator of this module's own: its key providers and VMs change."""
    return _simulator(validator, tls=False)


@pytest.fixture
def crypto(si):
    return si.RetrieveContent().cryptoManager


def provider_id(name):
    return vim.encryption.KeyProviderId(id=name)


def register(crypto, cluster, server='kms1', port=5696):
    crypto.RegisterKmipServer(vim.encryption.KmipServerSpec(
        clusterId=provider_id(cluster), info=vim.encryption.KmipServerInfo(
            name=server, address='kms.example.com', port=port), password='secret'))


def ensure_provider(crypto, cluster):
    if cluster not in [c.clusterId.id for c in crypto.kmipServers]:
        register(crypto, cluster)


def test_key_providers_servers_and_defaults(si, crypto):
    register(crypto, 'kp-a')
    register(crypto, 'kp-a', server='kms2')
    register(crypto, 'kp-b')
    clusters = {c.clusterId.id: c for c in crypto.kmipServers}
    assert [s.name for s in clusters['kp-a'].servers] == ['kms1', 'kms2']
    assert clusters['kp-a'].managementType == 'vCenter'
    assert clusters['kp-a'].useAsDefault and not clusters['kp-b'].useAsDefault   # the first
    assert crypto.GetDefaultKmsCluster().id == 'kp-a'
    with pytest.raises(vim.fault.AlreadyExists):
        register(crypto, 'kp-a')
    with pytest.raises(vmodl.fault.InvalidArgument):
        register(crypto, 'kp-c', port=70000)
    crypto.UpdateKmipServer(vim.encryption.KmipServerSpec(
        clusterId=provider_id('kp-a'), info=vim.encryption.KmipServerInfo(
            name='kms2', address='kms2.example.com', port=5697)))
    servers = {s.name: s for s in crypto.ListKmipServers()[0].servers}
    assert servers['kms2'].address == 'kms2.example.com' and servers['kms2'].port == 5697
    assert len(crypto.ListKmipServers(limit=1)) == 1

    crypto.MarkDefault(provider_id('kp-b'))
    assert crypto.GetDefaultKmsCluster().id == 'kp-b'
    cluster = all_of(si, vim.ClusterComputeResource)[0]
    host = cluster.host[0]
    crypto.SetDefaultKmsCluster(entity=cluster, clusterId=provider_id('kp-a'))
    assert crypto.GetDefaultKmsCluster(entity=cluster).id == 'kp-a'
    assert crypto.GetDefaultKmsCluster(entity=host) is None
    assert crypto.GetDefaultKmsCluster(entity=host, defaultsToParent=True).id == 'kp-a'
    crypto.SetDefaultKmsCluster(entity=cluster)                 # no provider: cleared
    assert crypto.GetDefaultKmsCluster(entity=host, defaultsToParent=True).id == 'kp-b'

    assert crypto.IsKmsClusterActive(provider_id('kp-b'))
    crypto.RemoveKmipServer(provider_id('kp-b'), 'kms1')
    assert not crypto.IsKmsClusterActive(provider_id('kp-b'))
    with pytest.raises(vim.fault.NotFound):
        crypto.RemoveKmipServer(provider_id('kp-b'), 'kms1')
    with pytest.raises(vmodl.fault.InvalidArgument):
        crypto.IsKmsClusterActive(provider_id('nowhere'))
    assert [c.clusterId.id for c in crypto.ListKmsClusters(statusFilter=0x02)] == ['kp-b']
    assert all(not c.servers for c in crypto.ListKmsClusters())
    assert crypto.ListKmsClusters(includeKmsServers=True, statusFilter=0x01)[0].servers

    crypto.RegisterKmsCluster(provider_id('kp-trusted'), 'trustAuthority')
    assert [c.clusterId.id for c in crypto.ListKmsClusters(managementTypeFilter=0x02)] == [
        'kp-trusted']
    with pytest.raises(vmodl.fault.InvalidArgument):
        crypto.RegisterKmsCluster(provider_id('kp-native'), 'nativeProvider')
    crypto.UnregisterKmsCluster(provider_id('kp-trusted'))
    crypto.UnregisterKmsCluster(provider_id('kp-b'))
    assert crypto.GetDefaultKmsCluster() is None
    with pytest.raises(vim.fault.NotFound):
        crypto.UnregisterKmsCluster(provider_id('kp-b'))
    crypto.MarkDefault(provider_id('kp-a'))


def test_certificates(crypto):
    ensure_provider(crypto, 'kp-cert')
    cluster = provider_id('kp-cert')
    request = vim.encryption.CryptoManagerKmip.CertSignRequest(
        commonName='vc.example.com', organization='Example', country='US')
    pem = crypto.GenerateSelfSignedClientCert(cluster, request)
    certificate = x509.load_pem_x509_certificate(pem.encode())
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == \
        'vc.example.com'
    assert crypto.RetrieveSelfSignedClientCert(cluster) == pem
    assert crypto.RetrieveClientCert(cluster) == ''
    crypto.UpdateSelfSignedClientCert(cluster, pem)
    assert crypto.RetrieveClientCert(cluster) == pem

    csr = x509.load_pem_x509_csr(crypto.GenerateClientCsr(cluster, request).encode())
    assert csr.is_signature_valid
    assert crypto.RetrieveClientCsr(cluster) == csr.public_bytes(
        serialization.Encoding.PEM).decode()
    with pytest.raises(vmodl.fault.InvalidArgument):     # not of the CSR's key
        crypto.UpdateKmsSignedCsrClientCert(cluster, pem)
    signed = _sign_as_kms(csr)
    crypto.UpdateKmsSignedCsrClientCert(cluster, signed)
    assert crypto.RetrieveClientCert(cluster) == signed
    with pytest.raises(vmodl.fault.InvalidArgument):
        crypto.UploadClientCert(cluster, 'not a certificate', 'nor a key')

    server = crypto.kmipServers[[c.clusterId.id for c in crypto.kmipServers].index(
        'kp-cert')].servers[0]
    cert_info = crypto.RetrieveKmipServerCert(cluster, server)
    assert not cert_info.clientTrustServer
    assert cert_info.certInfo.subject == 'O=vimsim KMS,CN=kms.example.com'
    crypto.UploadKmipServerCert(cluster, cert_info.certificate)
    assert crypto.RetrieveKmipServerCert(cluster, server).clientTrustServer
    task = crypto.RetrieveKmipServersStatus_Task([vim.encryption.KmipClusterInfo(
        clusterId=cluster, useAsDefault=False)])
    WaitForTask(task)
    status, = task.info.result
    assert status.overallStatus == 'green' and status.servers[0].clientTrustServer
    assert status.clientCertInfo.subject == 'C=US,O=Example,CN=vc.example.com'


def _sign_as_kms(csr):
    """The KMS's signature of a CSR (a CA of its own)."""
    from cryptography.hazmat.primitives.asymmetric import ec
    import datetime
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'KMS CA')])
    now = datetime.datetime.now(datetime.timezone.utc)
    return x509.CertificateBuilder().subject_name(csr.subject).issuer_name(name).public_key(
        csr.public_key()).serial_number(7).not_valid_before(now).not_valid_after(
        now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()).public_bytes(
        serialization.Encoding.PEM).decode()


def test_keys(crypto):
    ensure_provider(crypto, 'kp-keys')
    result = crypto.GenerateKey(provider_id('kp-keys'), vim.encryption.CryptoManagerKmip
                                .CustomAttributeSpec(attributes=[
                                    vim.KeyValue(key='x-owner', value='test')]))
    assert result.success and result.keyId.providerId.id == 'kp-keys'
    key = result.keyId
    assert key.keyId in [k.keyId for k in crypto.ListKeys()]
    status, = crypto.QueryCryptoKeyStatus([key], 0x01 | 0x02 | 0x04)
    assert status.keyAvailable and status.encryptedVMs == [] and status.affectedHosts == []
    missing = vim.encryption.CryptoKeyId(keyId='no-such-key', providerId=provider_id('kp-keys'))
    status, = crypto.QueryCryptoKeyStatus([missing], 0x01)
    assert not status.keyAvailable and status.reason == 'KeyStateMissingInKMS'
    assert crypto.SetKeyCustomAttributes(key, vim.encryption.CryptoManagerKmip
                                         .CustomAttributeSpec()).success
    assert not crypto.SetKeyCustomAttributes(missing, vim.encryption.CryptoManagerKmip
                                             .CustomAttributeSpec()).success

    plain = vim.encryption.CryptoKeyPlain(keyId=vim.encryption.CryptoKeyId(keyId='plain-1'),
                                          algorithm='AES-256', keyData='c2VjcmV0')
    crypto.AddKey(plain)
    crypto.AddKey(plain)                                        # the same key again: kept
    with pytest.raises(vim.fault.AlreadyExists):
        crypto.AddKey(vim.encryption.CryptoKeyPlain(keyId=plain.keyId, algorithm='AES-256',
                                                    keyData='b3RoZXI='))
    results = crypto.AddKeys([vim.encryption.CryptoKeyPlain(
        keyId=vim.encryption.CryptoKeyId(keyId='plain-2'), algorithm='rot13', keyData='x')])
    assert not results[0].success and isinstance(results[0].fault,
                                                 vmodl.fault.InvalidArgument)
    crypto.RemoveKey(plain.keyId, False)
    with pytest.raises(vim.fault.NotFound):
        crypto.RemoveKey(plain.keyId, False)
    results = crypto.RemoveKeys([key, missing], False)
    assert [r.success for r in results] == [True, False]


def _host(si, name='DC0_C0_H2'):
    return next(h for h in all_of(si, vim.HostSystem) if h.name == name)


def test_host_crypto_states(si):
    host = _host(si)
    manager = host.configManager.cryptoManager
    assert host.runtime.cryptoState == 'incapable' and not manager.enabled
    key = vim.encryption.CryptoKeyPlain(keyId=vim.encryption.CryptoKeyId(keyId='hostkey-1'),
                                        algorithm='AES-256', keyData='aG9zdA==')
    with pytest.raises(vim.fault.InvalidState):
        manager.CryptoManagerHostEnable(key)                    # not prepared
    with pytest.raises(vim.fault.InvalidState):
        manager.AddKey(key)                                     # not crypto-safe
    manager.CryptoManagerHostPrepare()
    assert host.runtime.cryptoState == 'prepared'
    manager.CryptoManagerHostEnable(key)
    assert host.runtime.cryptoState == 'safe' and manager.enabled
    assert host.runtime.cryptoKeyId.keyId == 'hostkey-1'
    with pytest.raises(vim.fault.ResourceInUse):
        manager.RemoveKey(key.keyId, False)                     # the host key
    new = vim.encryption.CryptoKeyPlain(keyId=vim.encryption.CryptoKeyId(keyId='hostkey-2'),
                                        algorithm='AES-256', keyData='bmV3')
    WaitForTask(manager.ChangeKey_Task(new))
    assert host.runtime.cryptoKeyId.keyId == 'hostkey-2'
    statuses = manager.GetCryptoKeyStatus([new.keyId, vim.encryption.CryptoKeyId(
        keyId='absent')])
    assert [s.present for s in statuses] == [True, False]
    assert {k.keyId for k in manager.ListKeys()} == {'hostkey-1', 'hostkey-2'}
    events = si.RetrieveContent().eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventTypeId=['com.vmware.vc.crypto.HostKeyUpdatedEvent']))
    assert [e.host.name for e in events] == [host.name]
    manager.CryptoManagerHostDisable()
    assert host.runtime.cryptoState == 'incapable' and host.runtime.cryptoKeyId is None


def _policy():
    return [vim.vm.DefinedProfileSpec(profileId=ENCRYPTION_POLICY)]


def _new_vm(si, name, crypto_spec=None, disk_crypto=None, profile=True):
    dc, pool, ds, _, host = place(si)
    controller = vim.vm.device.VirtualLsiLogicController(key=-1, busNumber=0,
                                                         sharedBus='noSharing')
    disk = vim.vm.device.VirtualDisk(
        key=-2, controllerKey=-1, unitNumber=0, capacityInKB=2048,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode='persistent',
                                                              thinProvisioned=True))
    disk_change = vim.vm.device.VirtualDeviceSpec(
        operation='add', fileOperation='create', device=disk,
        profile=_policy() if profile else [],
        backing=vim.vm.device.VirtualDeviceSpec.BackingSpec(crypto=disk_crypto)
        if disk_crypto is not None else None)
    spec = vim.vm.ConfigSpec(
        name=name, guestId='otherGuest64', numCPUs=1, memoryMB=128,
        files=vim.vm.FileInfo(vmPathName='[%s]' % ds.name),
        vmProfile=_policy() if profile else [], crypto=crypto_spec,
        deviceChange=[vim.vm.device.VirtualDeviceSpec(operation='add', device=controller),
                      disk_change])
    return dc.vmFolder.CreateVM_Task(spec, pool)


def _disk(vm):
    return next(d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk))


def _encrypted_vm(si, crypto, provider, name):
    """(a new VM, home and disk encrypted, the key) with a key of `provider`."""
    ensure_provider(crypto, provider)
    key = crypto.GenerateKey(provider_id(provider)).keyId
    encrypt = vim.encryption.CryptoSpecEncrypt(cryptoKeyId=key)
    task = _new_vm(si, name, encrypt, encrypt)
    WaitForTask(task)
    return task.info.result, key


def test_encrypted_vm_lifecycle(si, crypto):
    vm, key = _encrypted_vm(si, crypto, 'kp-vm', 'encrypted-1')
    assert vm.config.keyId.keyId == key.keyId and _disk(vm).backing.keyId.keyId == key.keyId
    assert vm.runtime.cryptoState == 'unlocked'
    host = vm.runtime.host
    assert host.runtime.cryptoState == 'safe'                   # vCenter made it safe
    assert host.configManager.cryptoManager.GetCryptoKeyStatus([key])[0].present
    status, = crypto.QueryCryptoKeyStatus([key], 0x02)
    assert [v._moId for v in status.encryptedVMs] == [vm._moId]
    with pytest.raises(vim.fault.ResourceInUse):
        crypto.RemoveKey(key, False)

    # shallow recrypt of the home, deep recrypt of the disk
    second = crypto.GenerateKey(provider_id('kp-vm')).keyId
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        crypto=vim.encryption.CryptoSpecShallowRecrypt(newKeyId=second))))
    assert vm.config.keyId.keyId == second.keyId
    disk = _disk(vm)
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        vim.vm.device.VirtualDeviceSpec(operation='edit', device=disk, backing=vim.vm.device
                                        .VirtualDeviceSpec.BackingSpec(
                                            crypto=vim.encryption.CryptoSpecDeepRecrypt(
                                                newKeyId=second)))])))
    assert _disk(vm).backing.keyId.keyId == second.keyId

    # decrypting the home alone would leave an encrypted disk
    fault = task_fault(vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        crypto=vim.encryption.CryptoSpecDecrypt(), vmProfile=[vim.vm.EmptyProfileSpec()])))
    assert isinstance(fault, vmodl.fault.InvalidArgument)
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        crypto=vim.encryption.CryptoSpecDecrypt(), vmProfile=[vim.vm.EmptyProfileSpec()],
        deviceChange=[vim.vm.device.VirtualDeviceSpec(
            operation='edit', device=_disk(vm), profile=[vim.vm.EmptyProfileSpec()],
            backing=vim.vm.device.VirtualDeviceSpec.BackingSpec(
                crypto=vim.encryption.CryptoSpecDecrypt()))])))
    assert vm.config.keyId is None and _disk(vm).backing.keyId is None
    events = si.RetrieveContent().eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventTypeId=['com.vmware.vc.crypto.Operation'],
        entity=vim.event.EventFilterSpec.ByEntity(entity=vm, recursion='self')))
    assert len(events) == 4


def test_encryption_needs_the_policy_a_key_and_the_vm_off(si, crypto):
    ensure_provider(crypto, 'kp-vm')
    key = crypto.GenerateKey(provider_id('kp-vm')).keyId
    encrypt = vim.encryption.CryptoSpecEncrypt(cryptoKeyId=key)
    fault = task_fault(_new_vm(si, 'no-policy', encrypt, profile=False))
    assert isinstance(fault, vmodl.fault.InvalidArgument) and fault.invalidProperty == 'vmProfile'
    unknown = vim.encryption.CryptoSpecEncrypt(cryptoKeyId=vim.encryption.CryptoKeyId(
        keyId='unknown', providerId=provider_id('kp-vm')))
    fault = task_fault(_new_vm(si, 'no-key', unknown))
    assert fault.invalidProperty == 'crypto.cryptoKeyId'
    # an encrypted disk needs an encrypted VM
    fault = task_fault(_new_vm(si, 'disk-only', None, encrypt, profile=False))
    assert isinstance(fault, vmodl.fault.InvalidArgument)

    # the policy alone: a key from the default provider
    task = _new_vm(si, 'by-policy')
    WaitForTask(task)
    vm = task.info.result
    assert vm.config.keyId.providerId.id == crypto.GetDefaultKmsCluster().id
    assert _disk(vm).backing.keyId.keyId == vm.config.keyId.keyId
    WaitForTask(vm.PowerOnVM_Task())
    fault = task_fault(vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        crypto=vim.encryption.CryptoSpecDeepRecrypt(newKeyId=key))))
    assert isinstance(fault, vim.fault.InvalidPowerState)
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        crypto=vim.encryption.CryptoSpecShallowRecrypt(newKeyId=key))))   # while on
    WaitForTask(vm.PowerOffVM_Task())


def test_locked_vm_and_unlock(si, crypto):
    register(crypto, 'kp-lock')
    key = crypto.GenerateKey(provider_id('kp-lock')).keyId
    task = _new_vm(si, 'lockable', vim.encryption.CryptoSpecEncrypt(cryptoKeyId=key))
    WaitForTask(task)
    vm = task.info.result
    fault = task_fault(vm.CryptoUnlock_Task())
    assert isinstance(fault, vim.fault.InvalidState)            # not locked
    crypto.UnregisterKmsCluster(provider_id('kp-lock'))
    assert vm.runtime.cryptoState == 'locked'
    assert isinstance(task_fault(vm.PowerOnVM_Task()), vim.fault.InvalidState)
    fault = task_fault(vm.CryptoUnlock_Task())
    assert isinstance(fault, vim.fault.EncryptionKeyRequired)
    assert [k.keyId for k in fault.requiredKey] == [key.keyId]
    register(crypto, 'kp-lock')                                 # the KMS kept its keys
    WaitForTask(vm.CryptoUnlock_Task())
    assert vm.runtime.cryptoState == 'unlocked'
    WaitForTask(vm.PowerOnVM_Task())
    WaitForTask(vm.PowerOffVM_Task())
    # a forced removal locks it too
    crypto.RemoveKey(key, True)
    assert vm.runtime.cryptoState == 'locked'
    WaitForTask(vm.CryptoUnlock_Task())
    assert vm.runtime.cryptoState == 'unlocked'

    plain = _new_vm(si, 'plain-vm', profile=False)
    WaitForTask(plain)
    with pytest.raises(vmodl.fault.NotSupported):
        plain.info.result.CryptoUnlock_Task()


def test_set_crypto_mode(si, crypto):
    ensure_provider(crypto, 'kp-vm')
    cluster = all_of(si, vim.ClusterComputeResource)[0]
    with pytest.raises(vmodl.fault.InvalidArgument):
        cluster.SetCryptoMode('sometimes')
    cluster.SetCryptoMode('forceEnable')
    assert cluster.configurationEx.cryptoConfig.cryptoMode == 'forceEnable'
    assert {h.runtime.cryptoState for h in cluster.host} == {'safe'}
    cluster.SetCryptoMode('onDemand')
    assert cluster.configurationEx.cryptoConfig.cryptoMode == 'onDemand'


def test_clone_of_an_encrypted_vm(si, crypto):
    vm, key = _encrypted_vm(si, crypto, 'kp-clone', 'clone-source')
    task = vm.CloneVM_Task(vm.parent, 'encrypted-clone', vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec()))
    WaitForTask(task)
    clone = task.info.result
    assert clone.config.keyId.keyId == key.keyId
    assert _disk(clone).backing.keyId.keyId == key.keyId
    status, = crypto.QueryCryptoKeyStatus([key], 0x02)
    assert {v._moId for v in status.encryptedVMs} == {vm._moId, clone._moId}
    # a clone decrypted as it is made
    task = vm.CloneVM_Task(vm.parent, 'decrypted-clone', vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(), config=vim.vm.ConfigSpec(
            crypto=vim.encryption.CryptoSpecDecrypt(), vmProfile=[vim.vm.EmptyProfileSpec()],
            deviceChange=[vim.vm.device.VirtualDeviceSpec(
                operation='edit', device=_disk(vm), profile=[vim.vm.EmptyProfileSpec()],
                backing=vim.vm.device.VirtualDeviceSpec.BackingSpec(
                    crypto=vim.encryption.CryptoSpecDecrypt()))])))
    WaitForTask(task)
    assert task.info.result.config.keyId is None
    # a clone's home given a key of its own (RelocateSpec.cryptoSpec)
    other = crypto.GenerateKey(provider_id('kp-clone')).keyId
    task = vm.CloneVM_Task(vm.parent, 'recrypted-clone', vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(cryptoSpec=vim.encryption.CryptoSpecShallowRecrypt(
            newKeyId=other))))
    WaitForTask(task)
    assert task.info.result.config.keyId.keyId == other.keyId
    assert _disk(task.info.result).backing.keyId.keyId == key.keyId
    crypto.RemoveKey(key, True)
    with pytest.raises(vim.fault.InvalidState):
        vm.CloneVM_Task(vm.parent, 'of-a-locked-vm', vim.vm.CloneSpec(
            location=vim.vm.RelocateSpec()))


@pytest.fixture
def esx_si(esx):
    yield from logged_in(esx)


def test_a_standalone_hosts_crypto_manager_is_its_key_cache(esx_si):
    """On ESX, ServiceContent's CryptoManager shows the host's crypto-safe
    mode and key cache."""
    content = esx_si.RetrieveContent()
    host = all_of(esx_si, vim.HostSystem)[0]
    key = vim.encryption.CryptoKeyPlain(keyId=vim.encryption.CryptoKeyId(keyId='esx-key'),
                                        algorithm='AES-256', keyData='ZXN4')
    assert not content.cryptoManager.enabled
    with pytest.raises(vim.fault.InvalidState):
        content.cryptoManager.AddKey(key)
    manager = host.configManager.cryptoManager
    manager.CryptoManagerHostPrepare()
    manager.CryptoManagerHostEnable(key)
    try:
        assert content.cryptoManager.enabled
        assert [k.keyId for k in content.cryptoManager.ListKeys()] == ['esx-key']
        with pytest.raises(vim.fault.ResourceInUse):
            content.cryptoManager.RemoveKey(key.keyId, False)
    finally:
        manager.CryptoManagerHostDisable()


def test_an_encrypted_vm_moved_takes_its_keys_to_its_new_host(si, crypto):
    """vCenter gives a host an encrypted VM's keys when the VM powers on there
    (after a migration), making the host crypto-safe first; a host running
    an encrypted VM does not leave crypto-safe mode."""
    vm, key = _encrypted_vm(si, crypto, 'kp-move', 'moving')
    source = vm.runtime.host
    with pytest.raises(vim.fault.InvalidState):
        source.configManager.cryptoManager.CryptoManagerHostDisable()
    target = next(h for h in source.parent.host if h != source
                  and not any(v.config.keyId for v in h.vm))
    if target.runtime.cryptoState != 'incapable':          # SetCryptoMode's, maybe
        target.configManager.cryptoManager.CryptoManagerHostDisable()
    WaitForTask(vm.MigrateVM_Task(host=target, priority='defaultPriority'))
    assert not target.configManager.cryptoManager.GetCryptoKeyStatus([key])[0].present
    WaitForTask(vm.PowerOnVM_Task())
    assert vm.runtime.host == target and target.runtime.cryptoState == 'safe'
    assert target.configManager.cryptoManager.GetCryptoKeyStatus([key])[0].present
    WaitForTask(vm.PowerOffVM_Task())


def test_an_instant_clone_of_an_encrypted_vm_is_encrypted_alike(si, crypto):
    vm, key = _encrypted_vm(si, crypto, 'kp-clone', 'instant-source')
    WaitForTask(vm.PowerOnVM_Task())
    task = vm.InstantClone_Task(vim.vm.InstantCloneSpec(name='instant-encrypted',
                                                        location=vim.vm.RelocateSpec()))
    WaitForTask(task)
    clone = task.info.result
    assert clone.config.keyId.keyId == key.keyId
    assert _disk(clone).backing.keyId.keyId == key.keyId
    WaitForTask(clone.PowerOffVM_Task())
    WaitForTask(vm.PowerOffVM_Task())


def _fcd(si, ds, name):
    """A new first-class disk on `ds`: (the manager, its id)."""
    vsom = si.RetrieveContent().vStorageObjectManager
    task = vsom.CreateDisk_Task(vim.vslm.CreateSpec(
        name=name, capacityInMB=16, backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(
            datastore=ds, provisioningType='thin')))
    WaitForTask(task)
    return vsom, task.info.result.config.id


def _fcd_keys(vsom, disk_id, ds):
    """The key id of each file of the disk's chain, top first."""
    backing, keys = vsom.RetrieveVStorageObject(disk_id, ds).config.backing, []
    while backing is not None:
        keys.append(backing.keyId.keyId if backing.keyId is not None else None)
        backing = backing.parent
    return keys


def test_first_class_disk_encryption_follows_its_policy(si, crypto):
    ensure_provider(crypto, 'kp-vm')
    crypto.MarkDefault(provider_id('kp-vm'))
    _, _, ds, _, _ = place(si)
    vsom, disk_id = _fcd(si, ds, 'fcd-crypto')
    # the policy alone: a new key from the default provider
    WaitForTask(vsom.UpdateVStorageObjectCrypto_Task(disk_id, ds, profile=_policy()))
    config = vsom.RetrieveVStorageObject(disk_id, ds).config
    first = config.backing.keyId
    assert first.providerId.id == 'kp-vm' and crypto.QueryCryptoKeyStatus(
        [first], 0x01)[0].keyAvailable
    fault = task_fault(vsom.UpdateVStorageObjectCrypto_Task(
        disk_id, ds, disksCrypto=DiskCrypto(
            crypto=vim.encryption.CryptoSpecEncrypt(cryptoKeyId=first))))
    assert isinstance(fault, vim.fault.InvalidState)            # already encrypted
    # a snapshot's delta and a clone are encrypted with the same key
    WaitForTask(vsom.VStorageObjectCreateSnapshot_Task(disk_id, ds, 'frozen'))
    assert _fcd_keys(vsom, disk_id, ds) == [first.keyId, first.keyId]
    clone = vsom.CloneVStorageObject_Task(disk_id, ds, vim.vslm.CloneSpec(
        name='fcd-crypto-copy', backingSpec=vim.vslm.CreateSpec.DiskFileBackingSpec(
            datastore=ds)))
    WaitForTask(clone)
    assert _fcd_keys(vsom, clone.info.result.config.id, ds) == [first.keyId]
    # a recrypt of the chain takes the new key for every file
    second = crypto.GenerateKey(provider_id('kp-vm')).keyId
    recrypt = vim.encryption.CryptoSpecShallowRecrypt(newKeyId=second)
    WaitForTask(vsom.UpdateVStorageObjectCrypto_Task(
        disk_id, ds, disksCrypto=DiskCrypto(
            crypto=recrypt, parent=DiskCrypto(crypto=recrypt))))
    assert _fcd_keys(vsom, disk_id, ds) == [second.keyId, second.keyId]
    with pytest.raises(vmodl.fault.NotSupported):             # a key per file
        vsom.UpdateVStorageObjectCrypto_Task(disk_id, ds, disksCrypto=DiskCrypto(
            crypto=recrypt, parent=DiskCrypto(crypto=vim.encryption.CryptoSpecNoOp())))
    deep = DiskCrypto(crypto=recrypt, parent=DiskCrypto(
        crypto=recrypt, parent=DiskCrypto(crypto=recrypt)))
    fault = task_fault(vsom.UpdateVStorageObjectCrypto_Task(disk_id, ds, disksCrypto=deep))
    assert fault.invalidProperty == 'disksCrypto.parent'       # three specs, two files
    unknown = vim.encryption.CryptoKeyId(keyId='unknown', providerId=provider_id('kp-vm'))
    with pytest.raises(vmodl.fault.InvalidArgument) as refused:
        vsom.UpdateVStorageObjectCrypto_Task(disk_id, ds, disksCrypto=DiskCrypto(
            crypto=vim.encryption.CryptoSpecDeepRecrypt(newKeyId=unknown)))
    assert refused.value.invalidProperty == 'disksCrypto.crypto.newKeyId'
    # only an encrypted VM takes an encrypted disk
    vm = next(v for v in ds.vm if v.config.keyId is None)
    fault = task_fault(vm.AttachDisk_Task(disk_id, ds))
    assert isinstance(fault, vmodl.fault.InvalidArgument)
    encrypted, _ = _encrypted_vm(si, crypto, 'kp-vm', 'fcd-owner')
    WaitForTask(encrypted.AttachDisk_Task(disk_id, ds))
    attached = next(d for d in encrypted.config.hardware.device
                    if isinstance(d, vim.vm.device.VirtualDisk) and d.vDiskId is not None)
    assert attached.backing.keyId.keyId == second.keyId
    fault = task_fault(vsom.UpdateVStorageObjectCrypto_Task(
        disk_id, ds, disksCrypto=DiskCrypto(
            crypto=vim.encryption.CryptoSpecDecrypt())))
    assert isinstance(fault, vim.fault.InvalidState)           # the VM's now
    WaitForTask(encrypted.DetachDisk_Task(disk_id))
    # decrypting needs a policy without encryption; it drops the key from every file
    decrypt = DiskCrypto(crypto=vim.encryption.CryptoSpecDecrypt())
    fault = task_fault(vsom.UpdateVStorageObjectCrypto_Task(disk_id, ds, disksCrypto=decrypt))
    assert fault.invalidProperty == 'profile'
    WaitForTask(vsom.UpdateVStorageObjectCrypto_Task(
        disk_id, ds, profile=[vim.vm.EmptyProfileSpec()], disksCrypto=decrypt))
    assert _fcd_keys(vsom, disk_id, ds) == [None, None]
    fault = task_fault(vsom.UpdateVStorageObjectCrypto_Task(disk_id, ds, disksCrypto=decrypt))
    assert isinstance(fault, vim.fault.InvalidState)           # not encrypted
    # vCenter's crypto operation events, one per change
    events = si.RetrieveContent().eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventTypeId=['com.vmware.vc.crypto.Operation'],
        entity=vim.event.EventFilterSpec.ByEntity(entity=ds, recursion='self')))
    operations = [a.value for e in events for a in e.arguments if a.key == 'operation']
    assert [o for o in operations if o.endswith('fcd-crypto')] == [
        'decrypt of disk fcd-crypto', 'shallow recrypt of disk fcd-crypto',
        'encrypt of disk fcd-crypto']
