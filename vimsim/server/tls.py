"""TLS: a self-signed certificate, the server's TLS context, and the TLS
layer of each connection.

The server's TLS is the standard library's `ssl` (the OpenSSL that Twisted's
own imports load anyway, through asyncio and http.client): an
`ssl.SSLContext`, and per connection an `ssl.SSLObject` over two memory BIOs
(:class:`TlsServerProtocol`, between the TCP transport and the HTTP
protocol). pyOpenSSL under Twisted's TLSMemoryBIOProtocol cost 12-13 MB of
an HTTPS start (cryptography's own OpenSSL, loaded beside the standard
library's) and a Python-level round trip per call through cffi.

vcsim's ``-tlscert``/``-tlskey`` files go through :func:`load_pair` and then
the same :func:`context_factory`. Without them a start serves the
self-signed certificate it made for the same host names before
(:func:`self_signed_context`; vcsim too serves one certificate every start).
cryptography makes certificates, and is imported only to make one.
"""

import datetime
import hashlib
import ipaddress
import os
import ssl

from twisted.internet.interfaces import ISSLTransport
from twisted.internet.protocol import Factory, Protocol
from zope.interface import implementer

from vimsim.schema import cache_dir

__all__ = ['self_signed', 'self_signed_context', 'context_factory', 'load_pair',
           'TlsServerFactory', 'TlsServerProtocol']

# a kept self-signed certificate with less validity left than this is made again
RENEW_BEFORE = datetime.timedelta(days=30)
READ_SIZE = 1 << 14   # a TLS record's plaintext at most: one read gives one record


def self_signed(hostnames=('localhost', '127.0.0.1', '::1')):
    """Return ``(cert_pem, key_pem)`` of a fresh self-signed RSA 2048 certificate (RSA, as a
    real vCenter uses: old clients know no other)
    valid for ``hostnames`` (DNS names and IP addresses become SANs), from
    now - 1 day for one year, CN = the first host name."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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
    cert = builder.sign(key, hashes.SHA256())
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def self_signed_context(hostnames):
    """The TLS context of a self-signed certificate for ``hostnames``: the
    one made for the same names before, kept in the cache directory (readable
    by its owner only) while it is valid for RENEW_BEFORE more, else a new
    one, kept for the next start. Making an RSA key was the biggest part of a
    TLS start (30-70 ms); a kept one is loaded as OpenSSL reads it (which
    checks that the key is the certificate's, not the key itself)."""
    path = os.path.join(cache_dir(), 'tls-%s.pem' % hashlib.sha256(
        '\0'.join(hostnames).encode('utf-8')).hexdigest()[:32])
    context = _read_kept(path)
    if context is None:
        cert_pem, key_pem = self_signed(hostnames)
        if _keep(path, cert_pem + key_pem):
            context = _read_kept(path)
        if context is None:
            context = context_factory(cert_pem, key_pem)
    return context


def _read_kept(path):
    """The context of the pair kept at ``path``, or None when there is none,
    it is unreadable, the key is not the certificate's, or it is (nearly)
    expired."""
    try:
        with open(path, 'rb') as kept:
            data = kept.read()
        not_before, not_after = _validity(ssl.PEM_cert_to_DER_cert(
            _split_pem(data)[0].decode('ascii')))
        now = datetime.datetime.now(datetime.timezone.utc)
        if not (not_before <= now and now + RENEW_BEFORE < not_after):
            return None
        context = _server_context()
        context.load_cert_chain(path, password=_no_password)
    except (OSError, ValueError, IndexError, UnicodeDecodeError):   # ssl.SSLError: an OSError
        return None
    return context


def _validity(der):
    """(notBefore, notAfter) of a DER certificate, read from its
    tbsCertificate (RFC 5280 4.1: the version [0], serial number, signature
    algorithm and issuer come before the validity): the standard library
    decodes no certificate of its own, and this keeps cryptography out of a
    start that serves the kept one."""
    def element(at):
        """(tag, start of the value, end of it) of the DER element at `at`."""
        tag, length = der[at], der[at + 1]
        at += 2
        if length & 0x80:
            count = length & 0x7f
            length = int.from_bytes(der[at:at + count], 'big')
            at += count
        return tag, at, at + length

    at = element(element(0)[1])[1]          # in Certificate, in tbsCertificate
    tag, _, end = element(at)
    if tag == 0xa0:                          # [0] version
        at = end
    for _ in range(3):                       # serialNumber, signature, issuer
        at = element(at)[2]
    at = element(at)[1]                      # in validity
    times = []
    for _ in range(2):
        tag, start, end = element(at)
        times.append(_der_time(tag, der[start:end].decode('ascii')))
        at = end
    return tuple(times)


def _der_time(tag, text):
    """The time of a DER UTCTime (tag 0x17, YYMMDDHHMMSSZ: years 50-99 are
    19YY, RFC 5280 4.1.2.5.1) or GeneralizedTime (YYYYMMDDHHMMSSZ), read by
    hand: strptime would import _strptime and calendar into every TLS start."""
    if tag == 0x17:
        year = int(text[:2])
        text = str(year + (1900 if year >= 50 else 2000)) + text[2:]
    if len(text) != 15 or not text.endswith('Z') or not text[:14].isdigit():
        raise ValueError('not a DER time: %r' % text)
    year, month, day, hour, minute, second = (
        int(text[i:j]) for i, j in ((0, 4), (4, 6), (6, 8), (8, 10), (10, 12), (12, 14)))
    return datetime.datetime(year, month, day, hour, minute, second,
                             tzinfo=datetime.timezone.utc)


def _keep(path, pem):
    """Write ``pem`` to ``path`` (owner-only, replaced whole); whether it was
    written (no cache directory is no harm: the next start makes a
    certificate again)."""
    directory = os.path.dirname(path)
    try:
        os.makedirs(directory, exist_ok=True)
        import tempfile    # a start that serves the kept pair imports none
        fd, temporary = tempfile.mkstemp(dir=directory, prefix='.tls-', suffix='.tmp')
    except OSError:
        return False
    try:
        with os.fdopen(fd, 'wb') as out:     # mkstemp's file is the owner's only
            out.write(pem)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return False
    return True


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
    """The server's TLS context for the PEM certificate (then its chain) and
    key. OpenSSL loads them from a file only: they are written to a private
    temporary one for the moment. A key that is not the certificate's, or an
    encrypted one (no password is asked for), is a ValueError."""
    certs = _split_pem(cert_pem)
    if not certs:
        raise ValueError('no certificate found in PEM data')
    import tempfile    # (as _keep)
    fd, path = tempfile.mkstemp(prefix='vimsim-tls-', suffix='.pem')
    try:
        with os.fdopen(fd, 'wb') as out:
            out.write(b''.join(certs) + key_pem)
        context = _server_context()
        try:
            context.load_cert_chain(path, password=_no_password)
        except ssl.SSLError as error:
            raise ValueError('the TLS certificate and key do not load: %s' % error) from None
    finally:
        os.unlink(path)
    return context


def _no_password():
    """An encrypted key fails to load rather than prompting on a terminal."""
    return b''


def _server_context():
    """A server context as vimsim serves TLS: TLS 1.2 and later, the settings
    Twisted's CertificateOptions gave a server (no compression, the server's
    cipher preference, single-use key exchange keys, no session tickets), no
    renegotiation (so that a write never waits for a read), no client
    certificates, ALPN http/1.1 when the client offers it and no protocol
    otherwise (curl and browsers offer h2 too)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.options |= (ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
                        | ssl.OP_SINGLE_DH_USE | ssl.OP_SINGLE_ECDH_USE | ssl.OP_NO_TICKET
                        | ssl.OP_NO_RENEGOTIATION)
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(['http/1.1'])
    return context


class TlsServerFactory(Factory):
    """Wraps each protocol of ``factory`` in a :class:`TlsServerProtocol` of
    ``context``."""

    def __init__(self, context, factory):
        self.context, self.wrapped = context, factory

    def doStart(self):
        self.wrapped.doStart()

    def doStop(self):
        self.wrapped.doStop()

    def buildProtocol(self, addr):
        protocol = self.wrapped.buildProtocol(addr)
        return None if protocol is None else TlsServerProtocol(self.context, protocol)


@implementer(ISSLTransport)
class TlsServerProtocol(Protocol):
    """The TLS layer of one accepted connection: the TCP transport's bytes
    go into the SSLObject's incoming BIO, the plaintext it gives to the
    wrapped protocol, for which this is the transport; what it writes is
    encrypted at once and handed to the TCP transport (whose buffer is then
    the only one, so producers registered here are the TCP transport's).
    Writes made before the handshake completes wait for it. An
    IHandshakeListener protocol hears ``handshakeCompleted``. Closing sends
    a close_notify, then closes the TCP connection without waiting for the
    peer's."""

    disconnecting = False
    _handshaken = False
    _lost = False
    _producer = None

    def __init__(self, context, wrapped):
        self.wrapped = wrapped
        self._incoming, self._outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        self._early = []            # what the wrapped protocol wrote before the handshake

    # -- from the TCP transport -------------------------------------------

    def connectionMade(self):
        self.wrapped.makeConnection(self)

    def dataReceived(self, data):
        if self._lost:           # closing: what the peer still sends is not read
            return
        self._incoming.write(data)
        if not self._handshaken and not self._handshake():
            return
        pieces = []
        tls, incoming = self._tls, self._incoming
        closed = False
        while True:
            try:
                piece = tls.read(READ_SIZE)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLError:
                self._fail()
                return
            if not piece:                        # the peer's close_notify
                closed = True
                break
            pieces.append(piece)
            if not incoming.pending and not tls.pending():
                break                            # all read: no SSLWantReadError raised
        if self._outgoing.pending:               # e.g. TLS 1.3 key updates
            self.transport.write(self._outgoing.read())
        if pieces:
            self.wrapped.dataReceived(pieces[0] if len(pieces) == 1 else b''.join(pieces))
        if closed:
            self._shut_down()

    def connectionLost(self, reason=None):
        self._lost = True
        wrapped, self.wrapped = self.wrapped, None
        if wrapped is not None:
            wrapped.connectionLost(reason)

    def _handshake(self):
        """Go on with the handshake; whether it is complete."""
        try:
            self._tls.do_handshake()
        except ssl.SSLWantReadError:
            self._send_tls()
            return False
        except (ssl.SSLError, OSError):         # the alert, if any, goes out first
            self._fail()
            return False
        self._handshaken = True
        self._send_tls()
        handshake_completed = getattr(self.wrapped, 'handshakeCompleted', None)
        if handshake_completed is not None:
            handshake_completed()
        early, self._early = self._early, None
        for data in early:
            self._encrypt(data)
        if self.disconnecting and self._producer is None:
            self._shut_down()
        return not self._lost

    def _send_tls(self):
        if self._outgoing.pending:
            self.transport.write(self._outgoing.read())

    def _fail(self):
        """A TLS error: what OpenSSL has to say goes out, then the connection closes."""
        self._lost = True
        self._send_tls()
        self.transport.loseConnection()

    def _shut_down(self):
        """Send a close_notify and close."""
        if self._lost:
            return
        self._lost = True
        try:
            self._tls.unwrap()
        except (ssl.SSLError, OSError):    # SSLWantReadError: the peer's is not waited for
            pass
        self._send_tls()
        self.transport.loseConnection()

    # -- the wrapped protocol's transport -----------------------------------

    def write(self, data):
        if self._lost or (self.disconnecting and self._producer is None):
            return
        if not self._handshaken:
            self._early.append(bytes(data))
            return
        self._encrypt(data)

    def writeSequence(self, pieces):
        self.write(b''.join(pieces))

    def _encrypt(self, data):
        if not data:
            return
        try:
            self._tls.write(data)
        except (ssl.SSLError, OSError):
            self._fail()
            return
        self.transport.write(self._outgoing.read())

    def loseConnection(self):
        if self.disconnecting or self._lost:
            return
        self.disconnecting = True
        if not self._handshaken:
            if not self._early:
                self.abortConnection()
        elif self._producer is None:
            self._shut_down()

    def abortConnection(self):
        self.disconnecting = True
        self._lost = True
        self.transport.abortConnection()

    def loseWriteConnection(self):
        """TLS has no half-close: the connection closes."""
        self.loseConnection()

    def getPeer(self):
        return self.transport.getPeer()

    def getHost(self):
        return self.transport.getHost()

    def getPeerCertificate(self):
        """None: clients are not asked for certificates."""
        return None

    @property
    def negotiatedProtocol(self):
        protocol = self._tls.selected_alpn_protocol()
        return protocol.encode('ascii') if protocol else None

    def getTcpNoDelay(self):
        return self.transport.getTcpNoDelay()

    def setTcpNoDelay(self, enabled):
        self.transport.setTcpNoDelay(enabled)

    def getTcpKeepAlive(self):
        return self.transport.getTcpKeepAlive()

    def setTcpKeepAlive(self, enabled):
        self.transport.setTcpKeepAlive(enabled)

    def registerProducer(self, producer, streaming):
        if self._lost:
            producer.stopProducing()
            return
        self._producer = producer
        self.transport.registerProducer(producer, streaming)

    def unregisterProducer(self):
        if self._producer is None:
            return
        self._producer = None
        self.transport.unregisterProducer()
        if self.disconnecting and self._handshaken:
            self._shut_down()

    def pauseProducing(self):
        self.transport.pauseProducing()

    def resumeProducing(self):
        self.transport.resumeProducing()

    def stopProducing(self):
        self.transport.stopProducing()


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
