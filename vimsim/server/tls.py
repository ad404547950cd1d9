"""TLS: a self-signed certificate, and the server's TLS context.

vcsim's ``-tlscert``/``-tlskey`` files go through :func:`load_pair` and then
the same :func:`context_factory`. Without them a start serves the
self-signed certificate it made for the same host names before
(:func:`self_signed_context`; vcsim too serves one certificate every start).
"""

import datetime
import hashlib
import ipaddress
import os
import secrets
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from OpenSSL import SSL
from twisted.internet.interfaces import IOpenSSLServerConnectionCreator
from zope.interface import implementer

from vimsim.schema import cache_dir

__all__ = ['self_signed', 'self_signed_context', 'context_factory', 'load_pair']

# a kept self-signed certificate with less validity left than this is made again
RENEW_BEFORE = datetime.timedelta(days=30)


def self_signed(hostnames=('localhost', '127.0.0.1', '::1')):
    """Return ``(cert_pem, key_pem)`` of a fresh self-signed RSA 2048 certificate (RSA, as a
    real vCenter uses: old clients know no other)
    valid for ``hostnames`` (DNS names and IP addresses become SANs), from
    now - 1 day for one year, CN = the first host name."""
    cert, key = _make_self_signed(hostnames)
    return _pem_pair(cert, key)


def _pem_pair(cert, key):
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def _make_self_signed(hostnames):
    """(certificate, key) of :func:`self_signed`."""
    hostnames = [h for h in hostnames if h] or ['localhost']
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sans = []
    seen = set()
    for h in hostnames:
        h = h.strip('[]')
        if h in seen:
            continue
        seen.add(h)
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            sans.append(x509.DNSName(h))
    cn = hostnames[0].strip('[]')[:64]
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'vimsim'),
    ])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=True,
            data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
    )
    return builder.sign(key, hashes.SHA256()), key


def self_signed_context(hostnames):
    """The context factory of a self-signed certificate for ``hostnames``: the
    one made for the same names before, kept in the cache directory (readable
    by its owner only) while it is valid for RENEW_BEFORE more, else a new
    one, kept for the next start. Making an RSA key was the biggest part of a
    TLS start (30-70 ms, and loading it back checked it for as long again);
    a kept one is read without that check, since this process wrote it."""
    path = os.path.join(cache_dir(), 'tls-%s.pem' % hashlib.sha256(
        '\0'.join(hostnames).encode('utf-8')).hexdigest()[:32])
    pair = _read_kept(path)
    if pair is None:
        pair = _make_self_signed(hostnames)
        _keep(path, *_pem_pair(*pair))
    return _context(*pair, [])


def _read_kept(path):
    """(certificate, key) kept at ``path``, or None when there is none, it is
    unreadable, the key is not the certificate's, or it is (nearly) expired."""
    try:
        with open(path, 'rb') as kept:
            data = kept.read()
        cert = x509.load_pem_x509_certificate(data)
        key = load_pem_private_key(data, password=None, unsafe_skip_rsa_key_validation=True)
    except (OSError, ValueError, TypeError):
        return None
    now = datetime.datetime.now(datetime.timezone.utc)
    if not (cert.not_valid_before_utc <= now and now + RENEW_BEFORE < cert.not_valid_after_utc):
        return None
    if not isinstance(key, rsa.RSAPrivateKey) or \
            key.public_key().public_numbers() != cert.public_key().public_numbers():
        return None
    return cert, key


def _keep(path, cert_pem, key_pem):
    """Write the pair to ``path`` (owner-only, replaced whole); no cache
    directory is no harm: the next start makes a certificate again."""
    directory = os.path.dirname(path)
    try:
        os.makedirs(directory, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=directory, prefix='.tls-', suffix='.tmp')
    except OSError:
        return
    try:
        with os.fdopen(fd, 'wb') as out:     # mkstemp's file is the owner's only
            out.write(cert_pem + key_pem)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def load_pair(cert_file, key_file=None):
    """Read a PEM certificate file and key file (vcsim ``-tlscert``/``-tlskey``).
    Without ``key_file`` the key is expected in ``cert_file`` too."""
    with open(cert_file, 'rb') as f:
        cert_pem = f.read()
    if key_file:
        with open(key_file, 'rb') as f:
            key_pem = f.read()
    else:
        key_pem = cert_pem
    return cert_pem, key_pem


def context_factory(cert_pem, key_pem):
    """A Twisted server context factory for the PEM certificate (chain) and key."""
    certs = _split_pem(cert_pem)
    if not certs:
        raise ValueError('no certificate found in PEM data')
    cert = x509.load_pem_x509_certificate(certs[0])
    key = load_pem_private_key(key_pem, password=None)
    chain = [x509.load_pem_x509_certificate(c) for c in certs[1:]]
    return _context(cert, key, chain)


def _context(cert, key, chain):
    """The server connection creator of a certificate, its key and the chain
    after it: TLS 1.2 and later, and the settings Twisted's CertificateOptions
    gives a server (no compression, the server's cipher preference, single-use
    key exchange keys, no session tickets, buffers released while idle), on a
    pyOpenSSL context of its own: twisted.internet.ssl imports certificate
    verification (service_identity, pyasn1) a server never does, 3.3 MB and
    ~16 ms of an HTTPS start."""
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_options(SSL.OP_NO_COMPRESSION | SSL.OP_CIPHER_SERVER_PREFERENCE
                        | SSL.OP_SINGLE_DH_USE | SSL.OP_SINGLE_ECDH_USE | SSL.OP_NO_TICKET)
    context.set_mode(SSL.MODE_RELEASE_BUFFERS)
    try:
        context.use_certificate(cert)
        context.use_privatekey(key)
        for extra in chain:
            context.add_extra_chain_cert(extra)
    except TypeError:  # older pyOpenSSL: wants its own objects
        from OpenSSL import crypto
        context.use_certificate(crypto.X509.from_cryptography(cert))
        context.use_privatekey(crypto.PKey.from_cryptography_key(key))
        for extra in chain:
            context.add_extra_chain_cert(crypto.X509.from_cryptography(extra))
    context.check_privatekey()
    context.set_verify(SSL.VERIFY_NONE)
    context.set_session_id(secrets.token_hex(7).encode('ascii'))
    context.set_alpn_select_callback(_alpn_select)
    return _ServerConnections(context)


def _alpn_select(connection, offered):
    """http/1.1 when the client offers it, else no protocol at all (answering
    b'', as Twisted's callback does when nothing overlaps, is an "internal
    error" alert to OpenSSL: curl and browsers, offering h2 and http/1.1,
    could not connect)."""
    if b'http/1.1' in offered:
        return b'http/1.1'
    return SSL.NO_OVERLAPPING_PROTOCOLS


@implementer(IOpenSSLServerConnectionCreator)
class _ServerConnections:
    """What TLSMemoryBIOFactory asks for each accepted connection: a TLS
    connection of the one context."""

    def __init__(self, context):
        self._context = context

    def getContext(self):
        return self._context

    def serverConnectionForTLS(self, protocol):
        return SSL.Connection(self._context, None)


def _split_pem(data):
    marker = b'-----END CERTIFICATE-----'
    out = []
    start = 0
    while True:
        b = data.find(b'-----BEGIN CERTIFICATE-----', start)
        if b < 0:
            break
        e = data.find(marker, b)
        if e < 0:
            break
        out.append(data[b:e + len(marker)] + b'\n')
        start = e + len(marker)
    return out
