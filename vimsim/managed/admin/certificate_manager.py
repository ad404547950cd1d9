"""CertificateManager: vCenter's certificate authority (VMCA) acting on its
hosts' certificates through each host's HostCertificateManager.

The VMCA is an Ed25519 key derived from the vCenter's instance uuid and a
self-signed CA certificate, made on first use; Ed25519 signatures are
deterministic and serial numbers follow from what is signed and when, so a
-state journal replays into the same certificates. For each host given:
- CertMgrRefreshCertificates_Task asks the host for a CSR, signs it and
  installs the certificate, as vCenter renews a host's certificate (the
  host's thumbprint follows);
- CertMgrRefreshCACertificatesAndCRLs_Task gives the host VMCA's
  certificate and its current CRL (ReplaceCACertificatesAndCRLs);
- CertMgrRevokeCertificates_Task adds the host's certificate, which VMCA
  must have issued, to the CRL and gives the host the new CRL.
A host that is not connected fails the task (HostNotConnected) before
anything changes; each host changed posts vCenter's certmgr event.
cryptography is imported on first use, as the other certificate code does: a
plain-HTTP start does without it (8 MB).
"""
import datetime
import hashlib

from vimsim import clock
from vimsim.managed.manager import Manager, manager_type, server_fqdn
from vimsim.managed.monitoring.event_manager import EXTENDED
from vimsim.managed.monitoring.task import run_task
from vimsim.soap.fault import InvalidArgument, fault

CA_YEARS = 10
HOST_YEARS = 5
CRL_DAYS = 7


@manager_type('CertificateManager')
class CertificateManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self._key = None
        self._certificate = None
        self.revoked = []          # (serial number, revocation time), oldest first

    # -- the VMCA ----------------------------------------------------------------------
    def authority(self):
        """(key, CA certificate) of the VMCA, made on first use."""
        if self._key is None:
            from cryptography import x509
            from cryptography.hazmat.primitives.asymmetric import ed25519
            from cryptography.x509.oid import NameOID
            seed = hashlib.sha256(('VMCA of %s' % self.server.service_instance.content.about
                                   .instanceUuid).encode()).digest()
            self._key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
            name = x509.Name([
                x509.NameAttribute(NameOID.COMMON_NAME, 'CA'),
                x509.NameAttribute(NameOID.DOMAIN_COMPONENT, 'vsphere'),
                x509.NameAttribute(NameOID.DOMAIN_COMPONENT, 'local'),
                x509.NameAttribute(NameOID.COUNTRY_NAME, 'US'),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, server_fqdn(self.server)),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, 'VMware Engineering')])
            start = clock.now()
            self._certificate = x509.CertificateBuilder().subject_name(name).issuer_name(
                name).public_key(self._key.public_key()).serial_number(
                int.from_bytes(seed[:8], 'big')).not_valid_before(start).not_valid_after(
                start.replace(year=start.year + CA_YEARS)).add_extension(
                x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(
                self._key, None)
        return self._key, self._certificate

    def _sign(self, csr_pem):
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        key, ca = self.authority()
        request = x509.load_pem_x509_csr(csr_pem.encode())
        start = clock.now()
        # serial and signature follow from what is signed and when, so a
        # -state journal replays into the same certificate
        signed = request.subject.public_bytes() + request.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ) + start.isoformat().encode()
        serial = int.from_bytes(hashlib.sha256(signed).digest()[:16], 'big') >> 1
        builder = x509.CertificateBuilder().subject_name(request.subject).issuer_name(
            ca.subject).public_key(request.public_key()).serial_number(
            serial).not_valid_before(start).not_valid_after(
            start.replace(year=start.year + HOST_YEARS))
        for extension in request.extensions:
            builder = builder.add_extension(extension.value, extension.critical)
        return builder.sign(key, None).public_bytes(serialization.Encoding.PEM).decode()

    def ca_pem(self):
        """VMCA's certificate (PEM)."""
        from cryptography.hazmat.primitives import serialization
        return self.authority()[1].public_bytes(serialization.Encoding.PEM).decode()

    def crl(self):
        """VMCA's certificate revocation list now (PEM)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        key, ca = self.authority()
        now = clock.now()
        builder = x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(
            now).next_update(now + datetime.timedelta(days=CRL_DAYS))
        for serial, when in self.revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(
                    when).build())
        return builder.sign(key, None).public_bytes(serialization.Encoding.PEM).decode()

    def _issued(self, certificate):
        """Whether VMCA issued `certificate` (its signature verifies)."""
        from cryptography.exceptions import InvalidSignature
        _, ca = self.authority()
        try:
            certificate.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True

    # -- the methods -----------------------------------------------------------------------
    def _hosts(self, refs):
        hosts = [self.server.objects.resolve(ref) for ref in refs]
        if any(host.type_name != 'HostSystem' for host in hosts):
            raise InvalidArgument('host')
        return hosts

    def _run(self, ctx, method, refs, act, event_type):
        """Run `act(ctx, host, its HostCertificateManager)` for each host as
        the task of `method`; every host is checked before any changes."""
        hosts = self._hosts(refs)

        def work(task):
            for host in hosts:
                if host.connection_state != 'connected':
                    raise fault('HostNotConnected', 'The host %s is not connected.' % host.name)
            for host in hosts:
                act(ctx, host, host.managers['certificateManager'])
            for host in hosts:
                task.post_event('EventEx', host, eventTypeId=event_type,
                                severity=EXTENDED[event_type][1], arguments=[])
        return run_task(ctx, None, method, work, this=self)

    def CertMgrRefreshCertificates_Task(self, ctx, host):
        def refresh(ctx, host, manager):
            manager.InstallServerCertificate(
                ctx, self._sign(manager.GenerateCertificateSigningRequest(ctx, False)))
        return self._run(ctx, 'CertMgrRefreshCertificates_Task', host, refresh,
                         'com.vmware.vc.certmgr.HostCertUpdatedEvent')

    def CertMgrRefreshCACertificatesAndCRLs_Task(self, ctx, host):
        def refresh(ctx, host, manager):
            manager.ReplaceCACertificatesAndCRLs(ctx, [self.ca_pem()], [self.crl()])
        return self._run(ctx, 'CertMgrRefreshCACertificatesAndCRLs_Task', host, refresh,
                         'com.vmware.vc.certmgr.HostCaCertsAndCrlsUpdatedEvent')

    def CertMgrRevokeCertificates_Task(self, ctx, host):
        hosts = self._hosts(host)
        for each in hosts:
            certificate = each.managers['certificateManager'].certificate
            if certificate is None or not self._issued(certificate):
                raise InvalidArgument('host', 'The certificate of host %s was not issued by '
                                      'VMCA.' % each.name)

        def revoke(ctx, host, manager):
            serial = manager.certificate.serial_number
            if all(serial != known for known, _ in self.revoked):
                self.revoked.append((serial, clock.now()))
            manager.ReplaceCACertificatesAndCRLs(ctx, [self.ca_pem()], [self.crl()])
        return self._run(ctx, 'CertMgrRevokeCertificates_Task', host, revoke,
                         'com.vmware.vc.certmgr.HostCertRevokedEvent')
