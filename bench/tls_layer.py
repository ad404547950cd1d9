"""The TLS layer's own CPU per small request and answer, in-process.

vimsim's `TlsServerProtocol` (the standard library's ssl over memory BIOs)
between a fake TCP transport and a protocol that answers each request with
1.5 KB; a client SSLObject in the same process sends 600-byte requests. Only
the server side's `dataReceived` (decrypting the request, encrypting the
answer) is timed, with the process's CPU clock, so the machine's other load
counts little. With pyOpenSSL installed (no longer a dependency), Twisted's
TLSMemoryBIOProtocol on it is measured alongside, the layer vimsim used
before. Median of --runs runs of --requests requests each.

    python3 bench/tls_layer.py [--runs 5] [--requests 20000]
"""
import argparse
import os
import ssl
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from twisted.internet.interfaces import IHandshakeListener  # noqa: E402
from twisted.internet.protocol import Factory, Protocol  # noqa: E402
from zope.interface import implementer  # noqa: E402

from rawsoap import load_average  # noqa: E402
from vimsim.server import tls  # noqa: E402

REQUEST = b'POST /sdk HTTP/1.1\r\n' + b'x' * 600
ANSWER = b'HTTP/1.1 200 OK\r\n' + b'y' * 1500


@implementer(IHandshakeListener)
class Answering(Protocol):
    def dataReceived(self, data):
        self.transport.write(ANSWER)

    def handshakeCompleted(self):
        pass


class Transport:
    """What the TLS layer writes to, kept for the client to read."""

    def __init__(self):
        self.out = []

    def write(self, data):
        self.out.append(data)

    def take(self):
        data = b''.join(self.out)
        self.out.clear()
        return data

    def loseConnection(self):
        pass

    abortConnection = loseConnection


def stdlib_layer(cert_pem, key_pem):
    return tls.TlsServerProtocol(tls.context_factory(cert_pem, key_pem), Answering())


def pyopenssl_layer(cert_pem, key_pem):
    from OpenSSL import SSL, crypto
    from twisted.internet.interfaces import IOpenSSLServerConnectionCreator
    from twisted.protocols.tls import TLSMemoryBIOFactory, TLSMemoryBIOProtocol
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    context.use_certificate(crypto.load_certificate(crypto.FILETYPE_PEM, cert_pem))
    context.use_privatekey(crypto.load_privatekey(crypto.FILETYPE_PEM, key_pem))

    @implementer(IOpenSSLServerConnectionCreator)
    class Creator:
        def serverConnectionForTLS(self, protocol):
            return SSL.Connection(context, None)

    factory = TLSMemoryBIOFactory(Creator(), False, Factory.forProtocol(Answering))
    factory.protocol = TLSMemoryBIOProtocol     # as vimsim had it: no write buffering
    return factory.buildProtocol(None)


def per_request(layer, requests):
    """Server-side CPU seconds per request and answer over `layer`."""
    transport = Transport()
    layer.makeConnection(transport)
    client_context = ssl.create_default_context()
    client_context.check_hostname = False
    client_context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_context.wrap_bio(incoming, outgoing)
    while True:
        try:
            client.do_handshake()
            break
        except ssl.SSLWantReadError:
            layer.dataReceived(outgoing.read())
            incoming.write(transport.take())
    if outgoing.pending:
        layer.dataReceived(outgoing.read())
        incoming.write(transport.take())
    spent = 0.0
    for _ in range(requests):
        client.write(REQUEST)
        record = outgoing.read()
        started = time.process_time()
        layer.dataReceived(record)
        spent += time.process_time() - started
        incoming.write(transport.take())
        if not client.read(65536).startswith(b'HTTP/1.1 200'):
            raise RuntimeError('no answer')
    return spent / requests


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--requests', type=int, default=20000)
    args = parser.parse_args()
    os.environ['XDG_CACHE_HOME'] = tempfile.mkdtemp(prefix='vimsim-tls-layer-')
    cert_pem, key_pem = tls.self_signed(['localhost'])
    layers = [('standard library ssl (vimsim)', stdlib_layer)]
    try:
        import OpenSSL  # noqa: F401
        layers.append(("pyOpenSSL under Twisted's TLSMemoryBIOProtocol", pyopenssl_layer))
    except ImportError:
        pass
    print('load average: %s' % load_average())
    runs = {name: [] for name, _ in layers}
    for _ in range(args.runs):
        for name, make in layers:       # interleaved: both meet the same load
            runs[name].append(per_request(make(cert_pem, key_pem), args.requests))
    for name, _ in layers:
        print('%-50s %5.1f us per request and answer (median of %d runs)'
              % (name, statistics.median(runs[name]) * 1e6, args.runs))
    print('load average: %s' % load_average())


if __name__ == '__main__':
    main()
