"""The in-process mode: ``with vimsim.mock():`` (or ``@vimsim.mock()``)
lands every http.client connection, so every pyVmomi ``SmartConnect`` and
``SoapStubAdapter`` to any host and port, and every urllib3 (``requests``)
one, on an in-process simulator, with no socket and no network, as moto's
``mock_aws`` does for boto3.

Only the socket is replaced. A connection's bytes go to the HTTP front's
own protocol (vimsim.server.http.HttpProtocol, on an in-memory transport) on
the reactor thread, so HTTP framing, the SOAP endpoint, the documents and
/about answer exactly as the HTTP server does; the answer's bytes come back
through `makefile`, where http.client reads them. An ``https`` connection
is served as a TLS one (cookies say Secure) without a handshake.

The caller must not be the reactor thread (it would wait on itself).
"""
import functools
import http.client
import io
import os
import socket
import threading
import weakref

from twisted.internet import reactor
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import ISSLTransport, ITransport
from twisted.python.failure import Failure
from zope.interface import directlyProvides, implementer

from vimsim.cli import http_limits, make_app
from vimsim.server.http import HttpFactory
from vimsim.simulator import Simulator
from vimsim.testing.server import options_for
from vimsim.testing.threaded import on_reactor

try:
    import urllib3.connection as urllib3_connection
except ImportError:       # requests is no dependency of vimsim
    urllib3_connection = None

_active = []        # the Mocks started, innermost last: it serves new connections
_patched = {}       # connection class -> its own connect, while any Mock is active
_lock = threading.Lock()


class Mock:
    """An in-process simulator that http.client and urllib3 connections
    land on while it is active. The inventory comes from vcsim's command-line words
    (``Mock('-esx')``) and Options fields (``Mock(vm=10)``). As a context
    manager it gives its Simulator, for setup and assertions (change it on
    the reactor thread: vimsim.testing.threaded.on_reactor). As a
    decorator each call runs with a simulator of its own."""

    def __init__(self, *args, **fields):
        self._args = args
        self._fields = fields
        self.simulator = None
        self.factory = None

    def start(self):
        options = options_for(self._args, **self._fields)
        self.simulator = on_reactor(Simulator, options)
        self.factory = HttpFactory(make_app(self.simulator), limits=http_limits(options))
        with _lock:
            if not _active:
                for cls in _connection_classes():
                    _patched[cls] = cls.__dict__['connect']
                    cls.connect = _connect_in_process
            _active.append(self)
        return self.simulator

    def stop(self):
        with _lock:
            _active.remove(self)
            if not _active:
                for cls, connect in _patched.items():
                    cls.connect = connect
                _patched.clear()
        on_reactor(self._shut_down)

    def _shut_down(self):
        """As a server going away: its connections close, its simulator stops."""
        for protocol in list(self.factory.connections):
            protocol.transport.loseConnection()
        self.simulator.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def __call__(self, function):
        @functools.wraps(function)
        def mocked(*args, **kwargs):
            with Mock(*self._args, **self._fields):
                return function(*args, **kwargs)
        return mocked


def _connection_classes():
    """The classes whose `connect` opens a socket: http.client's, and
    urllib3's, which make their own."""
    classes = [http.client.HTTPConnection, http.client.HTTPSConnection]
    if urllib3_connection is not None:
        classes += [urllib3_connection.HTTPConnection, urllib3_connection.HTTPSConnection]
    return classes


def _connect_in_process(connection):
    """HTTPConnection.connect while a Mock is active: the innermost one's
    simulator at the other end, whatever the host."""
    secure = isinstance(connection, http.client.HTTPSConnection) or (
        urllib3_connection is not None
        and isinstance(connection, urllib3_connection.HTTPSConnection))
    timeout = connection.timeout
    if timeout is socket._GLOBAL_DEFAULT_TIMEOUT:
        timeout = socket.getdefaulttimeout()
    connection.sock = InProcessSocket(_active[-1].factory, secure, timeout)


class InProcessSocket:
    """The client's end of an in-process connection: what http.client uses
    of a socket (sendall, makefile, close, timeouts), and a file descriptor
    (a pipe's) that turns readable once the server closed its end, which is
    how urllib3 tells a dropped idle connection. Caller's thread."""

    def __init__(self, factory, secure, timeout=None):
        self._timeout = timeout
        self._incoming = bytearray()
        self._ended = False           # the server closed its end
        self._closed = False
        self._ended_signal = os.pipe()
        self._close_signal = weakref.finalize(self, _close_all, self._ended_signal)
        self._ready = threading.Condition()
        self._transport = InProcessTransport(self, secure)
        on_reactor(self._transport.open, factory)

    # -- the client's calls ----------------------------------------------------------
    def sendall(self, data):
        if self._closed:
            raise OSError('the in-process connection is closed')
        reactor.callFromThread(self._transport.deliver, bytes(data))

    def makefile(self, mode='rb', buffering=-1, **_):
        return io.BufferedReader(_Reader(self))

    def close(self):
        with self._ready:
            if self._closed:
                return
            self._closed = True
            self._close_signal()
        reactor.callFromThread(self._transport.client_closed)

    def fileno(self):
        return self._ended_signal[0]

    def settimeout(self, timeout):
        self._timeout = timeout

    def gettimeout(self):
        return self._timeout

    def setsockopt(self, *args):
        """Socket options mean nothing in process."""

    def readinto(self, buffer):
        """Bytes the server wrote, once there are some (b'' once it closed)."""
        with self._ready:
            if not self._ready.wait_for(lambda: self._incoming or self._ended, self._timeout):
                raise socket.timeout('timed out')
            count = min(len(buffer), len(self._incoming))
            buffer[:count] = self._incoming[:count]
            del self._incoming[:count]
            return count

    # -- the server's end (reactor thread) ---------------------------------------------
    def received(self, data):
        with self._ready:
            self._incoming += data
            self._ready.notify_all()

    def ended(self):
        with self._ready:
            if not self._ended and not self._closed:
                os.write(self._ended_signal[1], b'.')
            self._ended = True
            self._ready.notify_all()


def _close_all(fds):
    for fd in fds:
        os.close(fd)


class _Reader(io.RawIOBase):
    def __init__(self, sock):
        self._sock = sock

    def readable(self):
        return True

    def readinto(self, buffer):
        return self._sock.readinto(buffer)


@implementer(ITransport)
class InProcessTransport:
    """The server's end: the transport HttpProtocol writes to. The client's
    buffer has no bound, so producers are never paused. Reactor thread."""

    def __init__(self, sock, secure):
        self._sock = sock
        self.protocol = None
        self._lost = False
        self.producer = None
        if secure:
            directlyProvides(self, ISSLTransport)

    def open(self, factory):
        self.protocol = factory.buildProtocol(self.getPeer())
        self.protocol.makeConnection(self)
        if ISSLTransport.providedBy(self):
            self.protocol.handshakeCompleted()

    def deliver(self, data):
        if not self._lost:
            self.protocol.dataReceived(data)

    def client_closed(self):
        self._end()

    def write(self, data):
        if not self._lost:
            self._sock.received(data)

    def writeSequence(self, data):
        self.write(b''.join(data))

    def loseConnection(self):
        self._sock.ended()
        reactor.callLater(0, self._end)

    abortConnection = loseConnection

    def _end(self):
        if not self._lost:
            self._lost = True
            self._sock.ended()
            self.protocol.connectionLost(Failure(ConnectionDone()))

    def getPeer(self):
        return IPv4Address('TCP', '127.0.0.1', 0)

    def getHost(self):
        return IPv4Address('TCP', '127.0.0.1', 443)

    def registerProducer(self, producer, streaming):
        self.producer = producer

    def unregisterProducer(self):
        self.producer = None

    def pauseProducing(self):
        """Reading is never paused: the client sends what it sends."""

    resumeProducing = stopProducing = pauseProducing
