"""HostCertificateManager: a host's SSL certificate and trusted CAs
(HostSystem.configManager.certificateManager), as vCenter's certificate
management drives it: a CSR from the host's key (made on first need, or one
provisioned with ProvisionServerPrivateKey), then InstallServerCertificate
of the signed certificate, which must be for that key; the host's SSL
thumbprint is then the new certificate's. Everything given is parsed as
PEM: what does not parse, or a certificate for another key, answers
HostConfigFault, as hostd refuses it.

Until a certificate is installed the host shows the simulator's identity
for it (`connect_spec.host_thumbprint`), issued by the simulated VMCA. The
key the host makes is an ECDSA P-256 key derived from its system uuid, so
that a -state journal replays a CSR into the same key (the certificate
signed for it then installs again). cryptography is imported on first use:
a plain-HTTP start does without it (8 MB).
"""
import hashlib

from vimsim.managed.host.config_managers import HostManagerObject, host_config_fault

CURVE_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
ISSUER = 'O=VMware, C=US, CN=vimsim CA'
VALID_YEARS = 5


def _pem_certificates(texts, what):
    from cryptography import x509
    try:
        return [x509.load_pem_x509_certificate(text.encode()) for text in texts]
    except (ValueError, TypeError):
        raise host_config_fault('The %s is not a PEM X.509 certificate.' % what) from None


def _thumbprint(certificate):
    from cryptography.hazmat.primitives import serialization
    digest = hashlib.sha1(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2)).upper()


class HostCertificateManager(HostManagerObject):
    type_name = 'HostCertificateManager'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.key = None              # the host's private key, made or provisioned on need
        self.certificate = None      # the installed certificate
        self.ca_certificates = []    # PEM texts
        self.ca_crls = []

    @property
    def certificateInfo(self):
        T = self.host.T
        certificate = self.certificate
        if certificate is None:
            boot = self.host.boot_time
            return T.HostCertificateManagerCertificateInfo(
                kind='Machine', issuer=ISSUER, subject='CN=%s' % self.host.netconfig.dns.hostName,
                status='good', notBefore=boot,
                notAfter=boot.replace(year=boot.year + VALID_YEARS))
        return T.HostCertificateManagerCertificateInfo(
            kind='Machine', issuer=certificate.issuer.rfc4514_string(),
            subject=certificate.subject.rfc4514_string(), status='good',
            notBefore=certificate.not_valid_before_utc, notAfter=certificate.not_valid_after_utc)

    def _host_key(self):
        if self.key is None:
            from cryptography.hazmat.primitives.asymmetric import ec
            seed = hashlib.sha256(('host key of %s' % self.host.system_uuid).encode()).digest()
            secret = int.from_bytes(seed, 'big') % (CURVE_ORDER - 1) + 1
            self.key = ec.derive_private_key(secret, ec.SECP256R1())
        return self.key

    def _csr(self, subject):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        request = x509.CertificateSigningRequestBuilder().subject_name(subject).add_extension(
            x509.SubjectAlternativeName([x509.DNSName(self.host.netconfig.dns.hostName)]),
            critical=False).sign(self._host_key(), hashes.SHA256())
        return request.public_bytes(serialization.Encoding.PEM).decode()

    # -- methods ---------------------------------------------------------------
    def GenerateCertificateSigningRequest(self, ctx, useIpAddressAsCommonName, spec=None):
        from cryptography import x509
        from cryptography.x509.oid import NameOID
        name = self.host.ip if useIpAddressAsCommonName else self.host.netconfig.dns.hostName
        return self._csr(x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'VMware'),
            x509.NameAttribute(NameOID.COUNTRY_NAME, 'US')]))

    def GenerateCertificateSigningRequestByDn(self, ctx, distinguishedName, spec=None):
        from cryptography import x509
        try:
            subject = x509.Name.from_rfc4514_string(distinguishedName)
        except ValueError:
            raise host_config_fault('The distinguished name %r is not valid.'
                                    % distinguishedName) from None
        if not subject.rdns:
            raise host_config_fault('The distinguished name is empty.')
        return self._csr(subject)

    def ProvisionServerPrivateKey(self, ctx, key):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        try:
            provisioned = serialization.load_pem_private_key(key.encode(), password=None)
        except (ValueError, TypeError):
            raise host_config_fault('The key is not an unencrypted PEM private key.') from None
        if not isinstance(provisioned, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            raise host_config_fault('The key is neither an RSA nor an ECDSA key.')
        self.key = provisioned

    def InstallServerCertificate(self, ctx, cert):
        certificate, = _pem_certificates([cert], 'certificate')
        key = self.key
        if key is None or certificate.public_key().public_numbers() != \
                key.public_key().public_numbers():
            raise host_config_fault('The certificate is not for the host\'s private key.')
        self.certificate = certificate
        self.host.ssl_thumbprint = _thumbprint(certificate)
        self.report('certificateInfo')
        self.host.changed('summary')

    def ReplaceCACertificatesAndCRLs(self, ctx, caCert, caCrl=()):
        from cryptography import x509
        _pem_certificates(caCert, 'CA certificate')
        for crl in caCrl:
            try:
                x509.load_pem_x509_crl(crl.encode())
            except ValueError:
                raise host_config_fault('A CRL is not a PEM X.509 CRL.') from None
        self.ca_certificates = list(caCert)
        self.ca_crls = list(caCrl)

    def ListCACertificates(self, ctx):
        return list(self.ca_certificates)

    def ListCACertificateRevocationLists(self, ctx):
        return list(self.ca_crls)

    def RetrieveCertificateInfoList(self, ctx):
        return [self.certificateInfo]

    def NotifyAffectedServices(self, ctx, services=()):
        """The host's services read the certificate files when they start;
        the simulated ones hold nothing to reload."""
