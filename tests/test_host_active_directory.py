"""Active Directory membership and smart card trust anchors of a host
through pyVmomi, as Ansible's vmware_host_active_directory finds the store
(authenticationManager.supportedStore) and joins and leaves; read back
through another session's WaitForUpdatesEx."""
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests import host_managers
from tests.host_managers import host_named
from tests.test_folder_http import request
from tests.watching import Watcher

sim = host_managers.sim     # the module's own simulator


def _ad_store(host):
    return next(store for store in host.configManager.authenticationManager.supportedStore
                if isinstance(store, vim.host.ActiveDirectoryAuthentication))


def _certificate(name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = x509.CertificateBuilder().subject_name(subject).issuer_name(subject) \
        .public_key(key.public_key()).serial_number(x509.random_serial_number()) \
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30)) \
        .sign(key, hashes.SHA256())
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def test_join_and_leave_as_vmware_host_active_directory(si, other):
    host = host_named(si)
    manager = host.configManager.authenticationManager
    kinds = {type(store).__name__ for store in manager.supportedStore}
    assert kinds == {'vim.host.LocalAuthentication', 'vim.host.ActiveDirectoryAuthentication'}
    ad = _ad_store(host)
    assert not ad.info.enabled and ad.info.joinedDomain is None
    watcher = Watcher(other, ad, vim.host.ActiveDirectoryAuthentication, ['info'])
    WaitForTask(ad.JoinDomain_Task(domainName='corp.example.com', userName='admin',
                                   password='S3cret!'))
    info = ad.info
    assert info.enabled and info.joinedDomain == 'corp.example.com'
    assert info.domainMembershipStatus == 'ok'
    assert host.config.domainList == ['corp.example.com']
    assert any(c.joinedDomain == 'corp.example.com' for c in manager.info.authConfig
               if isinstance(c, vim.host.ActiveDirectoryInfo))
    # where vmware_host_active_directory reads it
    assert any(c.joinedDomain == 'corp.example.com'
               for c in host.config.authenticationManagerInfo.authConfig
               if isinstance(c, vim.host.ActiveDirectoryInfo))
    assert any(path == 'info' and value.joinedDomain == 'corp.example.com'
               for _, _, path, _, value in watcher.changes())
    with pytest.raises(vim.fault.InvalidState):      # already joined: Ansible checks first
        ad.JoinDomain_Task(domainName='corp.example.com', userName='admin', password='x')
    WaitForTask(ad.LeaveCurrentDomain_Task(force=True))
    assert not ad.info.enabled and host.config.domainList == []
    with pytest.raises(vim.fault.InvalidState):
        ad.LeaveCurrentDomain_Task(force=True)
    with pytest.raises(vim.fault.InvalidLogin):
        ad.JoinDomain_Task(domainName='corp.example.com', userName='admin', password='')
    with pytest.raises(vim.fault.ActiveDirectoryFault):
        ad.JoinDomain_Task(domainName='not a domain', userName='admin', password='x')


def test_join_with_cam_needs_its_certificate(sim, si):
    host = host_named(si, 'DC0_C0_H1')
    ad = _ad_store(host)
    with pytest.raises(vim.fault.ActiveDirectoryFault):
        ad.JoinDomainWithCAM_Task(domainName='corp.example.com', camServer='cam.example.com')
    with pytest.raises(vim.fault.FileNotFound):
        ad.ImportCertificateForCAM_Task(certPath='/vmfs/volumes/nowhere/cam.pem',
                                        camServer='cam.example.com')
    datastore = host.datastore[0]
    dc = si.content.rootFolder.childEntity[0]
    url = '/folder/cam.pem?dcPath=%s&dsName=%s' % (dc.name, datastore.name)
    status, _, _ = request(sim, 'PUT', url, _certificate('cam.example.com').encode(),
                           {'Cookie': si._stub.cookie})
    assert status in (200, 201)
    WaitForTask(ad.ImportCertificateForCAM_Task(
        certPath='/vmfs/volumes/%s/cam.pem' % datastore.name, camServer='cam.example.com'))
    WaitForTask(ad.JoinDomainWithCAM_Task(domainName='corp.example.com',
                                          camServer='cam.example.com'))
    assert ad.info.joinedDomain == 'corp.example.com'


def test_smart_card_trust_anchors(si):
    ad = _ad_store(host_named(si, 'DC0_C0_H2'))
    ad.EnableSmartCardAuthentication()
    assert ad.info.smartCardAuthenticationEnabled
    first, second = _certificate('Smart Card CA 1'), _certificate('Smart Card CA 2')
    ad.InstallSmartCardTrustAnchor(first)
    ad.InstallSmartCardTrustAnchor(first)                  # idempotent
    assert ad.ListSmartCardTrustAnchors() == [first]
    ad.ReplaceSmartCardTrustAnchors([first, second])
    assert ad.ListSmartCardTrustAnchors() == [first, second]
    parsed = x509.load_pem_x509_certificate(second.encode())
    ad.RemoveSmartCardTrustAnchor(issuer=parsed.issuer.rfc4514_string(),
                                  serial=format(parsed.serial_number, 'x'))
    assert ad.ListSmartCardTrustAnchors() == [first]
    fingerprint = x509.load_pem_x509_certificate(first.encode()).fingerprint(hashes.SHA1())
    ad.RemoveSmartCardTrustAnchorByFingerprint(
        fingerprint=':'.join('%02X' % b for b in fingerprint), digest='SHA1')
    assert ad.ListSmartCardTrustAnchors() == []
    with pytest.raises(vim.fault.HostConfigFault):
        ad.RemoveSmartCardTrustAnchorCertificate(first)
    with pytest.raises(vim.fault.HostConfigFault):
        ad.InstallSmartCardTrustAnchor('not a certificate')
    ad.DisableSmartCardAuthentication()
    assert not ad.info.smartCardAuthenticationEnabled
