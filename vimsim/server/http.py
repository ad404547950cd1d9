"""A lean HTTP/1.1 server: a plain Twisted ``Protocol`` around ``httptools``.

twisted.web is too slow for the SOAP hot path (about 2,700 small requests/s on
the reference machine). Parsing is llhttp's (through httptools, the binding
uvicorn uses): a kept parser is the defence against request smuggling and
malformed framing; this module adds what a server around it must decide.

Behaviour:

- keep-alive by default for HTTP/1.1, for HTTP/1.0 only with
  ``Connection: keep-alive``; the last response on a connection the server
  closes always carries ``Connection: close``;
- pipelined requests are answered strictly in order; the application may
  return a Deferred that fires much later (long polls); if the client goes
  away meanwhile the Deferred is cancelled; reading pauses while requests
  wait behind the one being answered;
- Content-Length and chunked request bodies; ``Expect: 100-continue``;
- a body larger than ``max_body`` gets 413 at once (the body is not read into
  memory), malformed requests 400, a header block over 64 KB 431, a body made
  of too many tiny chunks 400; each of those closes the connection (after a
  short lingering close so that the client reads the answer, not a reset);
- timeouts (:class:`HttpLimits`): a TLS handshake, a request head, a body
  that stops making progress, an idle keep-alive connection; a cap on open
  connections (a new one past it evicts the oldest still sending its request
  head, or gets 503) and a budget of request bytes buffered across all
  connections (past it, reading pauses; the oldest body keeps going, so
  every request still completes);
- a response body is bytes, or an iterable of byte pieces (a stream): pieces
  are pulled one per cooperative step, so other connections are served in
  between, and written as they come (chunked unless the whole answer turns
  out small), pausing while the client does not read; a piece may be a
  Deferred of bytes, a piece to come: what is held goes out at once, and
  the piece as soon as it fires (a stream of server-sent events);
- response bodies over ~1 KB are gzipped (streams too) when the client
  accepts gzip;
- a file (:class:`FileBody`) is sent as it is read, a chunk each time the
  transport drains (Twisted's ``FileSender``), with its Content-Length and
  uncompressed; a request body may go to a sink instead of memory: an app
  with a ``body_sink(request)`` attribute is asked for one when a request's
  head is complete (``request.sink``; unbounded by ``max_body`` and the
  buffer budget, its ``abort()`` called if the request never completes);
- an exception in the application becomes a plain 500; the connection stays
  usable.
"""

import collections
import dataclasses
import resource
import time
import zlib

import httptools
from twisted.internet import reactor, task, tcp
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IHandshakeListener, IPushProducer, ISSLTransport
from twisted.internet.protocol import Factory, Protocol
from twisted.logger import Logger
from twisted.protocols.basic import FileSender
from zope.interface import implementer

__all__ = ['HttpRequest', 'HttpResponse', 'HttpFactory', 'HttpProtocol', 'HttpLimits',
           'MAX_HEADER_BYTES', 'listen_tcp', 'is_deferred']

log = Logger()

MAX_HEADER_BYTES = 64 * 1024
GZIP_MIN = 1024
GZIP_LEVEL = 3          # XML: as small as 6 within a few %, much cheaper
LINGER_IDLE = 0.25       # lingering close: stop once the client is quiet this long
LINGER_MAX = 5.0         # ... or after this long at most
PIPELINE_DEPTH = 8       # stop reading while this many requests wait their turn
STREAM_WRITE = 64 * 1024  # a stream is written in chunks of about this size
STREAM_TICK = 0.002      # seconds of stream pieces per reactor turn (Twisted's default: 0.01)
BODY_MIN_RATE = 1024     # bytes/s a body must average over each body-timeout window
CHUNK_MIN_AVERAGE = 32   # bytes per chunk a chunked body must average (llhttp
CHUNK_FREE = 512         # ... parses them in C, but each costs a Python call)
FD_RESERVE = 32          # file descriptors kept free of connections

REASONS = {
    100: 'Continue', 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content',
    206: 'Partial Content', 301: 'Moved Permanently', 302: 'Found',
    303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect',
    308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized',
    403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
    406: 'Not Acceptable', 408: 'Request Timeout', 409: 'Conflict',
    411: 'Length Required', 412: 'Precondition Failed',
    413: 'Payload Too Large', 414: 'URI Too Long',
    415: 'Unsupported Media Type', 416: 'Range Not Satisfiable',
    417: 'Expectation Failed', 429: 'Too Many Requests',
    431: 'Request Header Fields Too Large', 500: 'Internal Server Error',
    501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
    505: 'HTTP Version Not Supported', 507: 'Insufficient Storage',
}
_STATUS_LINES = {code: ('HTTP/1.1 %d %s\r\n' % (code, reason)).encode('ascii')
                 for code, reason in REASONS.items()}


def _status_line(code):
    line = _STATUS_LINES.get(code)
    if line is None:
        line = ('HTTP/1.1 %d %s\r\n' % (code, REASONS.get(code, 'Status'))).encode('ascii')
    return line


_WEEKDAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_MONTHS = ('', 'Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep',
           'Oct', 'Nov', 'Dec')
_date_cache = [0, b'']


def _date_header():
    now = int(time.time())
    if now != _date_cache[0]:
        t = time.gmtime(now)
        _date_cache[1] = ('Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n' % (
            _WEEKDAYS[t.tm_wday], t.tm_mday, _MONTHS[t.tm_mon], t.tm_year,
            t.tm_hour, t.tm_min, t.tm_sec)).encode('ascii')
        _date_cache[0] = now
    return _date_cache[1]


_DEFERRED_CLASSES = {}   # class -> whether its instances are Deferreds


def is_deferred(value):
    """isinstance(value, Deferred), by class: Deferred is an Awaitable, so
    isinstance goes through ABCMeta's Python code, which a small call paid
    twice (about half a microsecond each)."""
    cls = value.__class__
    known = _DEFERRED_CLASSES.get(cls)
    if known is None:
        known = _DEFERRED_CLASSES[cls] = issubclass(cls, Deferred)
    return known


def default_max_connections():
    """As many connections as the file-descriptor limit leaves room for
    (a few kept for the listener, logs and files), at most 4096."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 4096
    return max(1, min(4096, soft - FD_RESERVE))


@dataclasses.dataclass
class HttpLimits:
    """Timeouts (seconds) and caps of the HTTP front. The timeouts follow
    vCenter's reverse proxy: a request head must arrive within 20 s (its
    readTimeoutMs) and a TLS handshake within 10 s."""
    max_body: int = 32 * 1024 * 1024      # one request's body (413 past it)
    max_buffered: int = 64 * 1024 * 1024  # request bytes held across all connections
    max_connections: int = 0              # 0: default_max_connections()
    idle_timeout: float = 300.0           # a keep-alive connection between requests
    header_timeout: float = 20.0          # from a request's first byte to its last header
    body_timeout: float = 30.0            # a window in which a body must make progress
    tls_handshake_timeout: float = 10.0

    def connection_cap(self):
        return self.max_connections or default_max_connections()


class HttpRequest:
    """One parsed request. ``headers`` has lower-case names; repeated headers
    are joined with ``', '``."""

    __slots__ = ('method', 'path', 'query', 'headers', 'body', 'peer', 'secure',
                 'version', 'sink')

    def __init__(self, method='GET', path='/', query='', headers=None, body=b'',
                 peer='', secure=False, version='HTTP/1.1'):
        self.method = method
        self.path = path
        self.query = query
        self.headers = {} if headers is None else headers
        self.body = body
        self.peer = peer
        self.secure = secure
        self.version = version
        self.sink = None      # what took the body instead of `body` (HttpProtocol)

    def __repr__(self):
        return '<HttpRequest %s %s%s (%d bytes)>' % (
            self.method, self.path, '?' + self.query if self.query else '',
            len(self.body))


class HttpResponse:
    """A response. ``body`` is bytes, or an iterable of bytes pieces that is
    pulled one piece per reactor step (a stream: see the module doc).
    ``headers`` are extra headers (name, value); Content-Type,
    Content-Length, Transfer-Encoding, Connection and Content-Encoding are
    set by the server."""

    __slots__ = ('status', 'body', 'headers', 'content_type')

    def __init__(self, status=200, body=b'', headers=None,
                 content_type='text/xml; charset=utf-8'):
        self.status = status
        self.body = body
        self.headers = [] if headers is None else headers
        self.content_type = content_type

    @property
    def streamed(self):
        return not isinstance(self.body, (bytes, str, bytearray, memoryview))

    def __repr__(self):
        if self.streamed:
            return '<HttpResponse %d (streamed)>' % self.status
        return '<HttpResponse %d (%d bytes)>' % (self.status, len(self.body))


class FileBody:
    """A response body of `length` bytes read from `file` (an open binary
    file, at the first byte to send), which it closes when done."""

    __slots__ = ('file', 'length', 'left')

    def __init__(self, file, length):
        self.file = file
        self.length = length
        self.left = length

    def read(self, size):
        size = min(size, self.left)
        if size <= 0:
            return b''
        data = self.file.read(size)
        self.left -= len(data)
        return data

    def close(self):
        self.file.close()


class _FileSender(FileSender):
    CHUNK_SIZE = 256 * 1024


class _BadRequest(Exception):
    def __init__(self, status, message):
        Exception.__init__(self, message)
        self.status = status
        self.message = message


class _Fatal:
    """A protocol error waiting its turn in the pipeline: answered, then the
    connection closes."""
    __slots__ = ('status', 'message')

    def __init__(self, status, message):
        self.status = status
        self.message = message


# what a connection is doing, for its timeout and for eviction
_HEAD, _BODY, _QUEUED, _IDLE, _CLOSING = 'head', 'body', 'queued', 'idle', 'closing'


class BufferBudget:
    """Request bytes held across all connections. Past the limit every body
    reader but the oldest pauses; released bytes resume them in order, so
    memory stays near the limit and every request still completes."""

    def __init__(self, limit):
        self.limit = limit
        self.used = 0
        self._readers = {}     # protocol -> None, in the order their bodies began
        self._paused = {}      # protocols paused by the budget, in order

    def start_body(self, protocol):
        self._readers[protocol] = None
        if self._paused:          # it may have been paused before it counted as a reader
            self._wake()

    def end_body(self, protocol):
        """The protocol reads no body any more (complete, failed or gone)."""
        if self._readers.pop(protocol, 0) is None and self._paused:
            if self._paused.pop(protocol, 0) is None:
                protocol.resume_reading('budget')
            self._wake()

    def over(self, protocol):
        """`used` went past the limit while `protocol` read a body."""
        if protocol not in self._paused and next(iter(self._readers), None) is not protocol:
            self._paused[protocol] = None
            protocol.pause_reading('budget')

    def release(self, count):
        self.used -= count
        if self._paused:
            self._wake()

    def _wake(self):
        """Resume paused readers while there is room; the oldest reader always
        reads."""
        head = next(iter(self._readers), None)
        if head is not None and head in self._paused:
            del self._paused[head]
            head.resume_reading('budget')
        while self._paused and self.used <= self.limit:
            protocol = next(iter(self._paused))
            del self._paused[protocol]
            protocol.resume_reading('budget')


@implementer(IHandshakeListener)
class HttpProtocol(Protocol):

    def __init__(self, factory):
        self.factory = factory
        self._app = factory.app
        self._body_sink = getattr(factory.app, 'body_sink', None)
        self._limits = factory.limits
        self._budget = factory.budget
        self._parser = httptools.HttpRequestParser(self)
        self._peer = ''
        self._secure = False
        self._lost = False
        self._phase = _HEAD
        self._phase_since = 0.0
        self._pause_reasons = set()
        self.refused = False
        self._deadline = None       # HttpFactory.sweep calls timed_out once it passed
        self._handshaking = False
        # the request being parsed
        self._url = b''
        self._headers = []
        self._in_head = False       # between a request's first byte and its last header
        self._head_bytes = 0
        self._req = None
        self._keep_req = True
        self._body_parts = None
        self._body_len = 0
        self._body_expected = None
        self._body_window = 0
        self._chunks = 0
        self._wants_continue = False
        self._reading = False       # a body is being read across reads (BufferBudget reader)
        # requests parsed, waiting to be answered, and the one being answered
        self._queue = collections.deque()
        self._held = 0              # body bytes this connection holds (of the budget)
        self._answering = False
        self._in_dispatch = False
        self._pending = None        # the app's Deferred, while pending
        self._stream = None
        self._current = None        # (request, keep, gzip, held bytes) being answered
        self._fatal_queued = False
        self._linger = None
        self._linger_seen = False
        self._linger_start = 0.0

    # -- connection ---------------------------------------------------------

    def connectionMade(self):
        peer = self.transport.getPeer()
        self._peer = getattr(peer, 'host', '') or ''
        self._secure = ISSLTransport.providedBy(self.transport)
        now = reactor.seconds()
        self._phase_since = now
        if not self.factory.admit(self):
            return
        if self._secure:
            self._handshaking = True
            self._deadline = now + self._limits.tls_handshake_timeout
        else:
            self._deadline = now + self._limits.header_timeout

    def handshakeCompleted(self):
        self._handshaking = False
        if self._phase == _HEAD and not self._in_head:
            self._deadline = reactor.seconds() + self._limits.header_timeout

    def connectionLost(self, reason=None):
        self._lost = True
        self.factory.forget(self)
        self._deadline = None
        if self._linger is not None:
            if self._linger.active():
                self._linger.cancel()
            self._linger = None
        self._budget.end_body(self)
        if self._held:
            self._budget.release(self._held)
            self._held = 0
        self._abort_sinks()
        self._queue.clear()
        self._body_parts = None
        if self._stream is not None:
            self._stream.stop()
            self._stream = None
        d = self._pending
        if d is not None:
            self._pending = None
            d.cancel()

    def dataReceived(self, data):
        if self._phase == _CLOSING:
            self._linger_seen = True
            return
        if self._phase is not _BODY:
            self._head_bytes += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # no protocol upgrades: answer what was asked, then close
            if self._queue and not isinstance(self._queue[-1], _Fatal):
                self._queue[-1] = (self._queue[-1][0], False)
            self._phase = _CLOSING
        except httptools.HttpParserError as error:
            cause = error.__context__
            if isinstance(cause, _BadRequest):
                self._fail(cause.status, cause.message)
            else:
                self._fail(400, str(error) or 'Bad request')
            return
        if self._phase is _BODY and not self._reading:
            self._reading = True       # a body that spans reads: it counts for the budget
            self._budget.start_body(self)
        if self._in_head and self._head_bytes > MAX_HEADER_BYTES:
            self._fail(431, 'Request header block too large')
        elif not self._answering:
            if self._queue:
                self._next()
        elif len(self._queue) >= PIPELINE_DEPTH:
            self.pause_reading('pipeline')

    # -- flow control -------------------------------------------------------

    def pause_reading(self, reason):
        if not self._pause_reasons and not self._lost:
            self.transport.pauseProducing()
        self._pause_reasons.add(reason)

    def resume_reading(self, reason):
        if reason in self._pause_reasons:
            self._pause_reasons.discard(reason)
            if not self._pause_reasons and not self._lost:
                self.transport.resumeProducing()

    # -- timeouts (checked by HttpFactory.sweep) ----------------------------

    def timed_out(self, now):
        self._deadline = None
        phase = self._phase
        if self._handshaking:
            self.transport.abortConnection()
        elif phase == _BODY:
            needed = BODY_MIN_RATE * self._limits.body_timeout
            if self._body_expected is not None:
                needed = min(needed, self._body_expected - self._body_len)
            if self._body_window >= needed:
                self._body_window = 0
                self._deadline = now + self._limits.body_timeout
            else:
                self._fail(408, 'Request body too slow')
        elif phase == _HEAD and self._in_head:
            self._fail(408, 'Request header timeout')
        elif phase in (_HEAD, _IDLE):
            self.transport.loseConnection()      # idle: nothing asked, nothing to say
        elif phase == _CLOSING:
            self.transport.abortConnection()

    def _idle(self):
        """Between requests: wait for the next one (idle timeout)."""
        self._phase = _IDLE
        self._phase_since = now = reactor.seconds()
        self._head_bytes = 0
        self._deadline = now + self._limits.idle_timeout

    # -- parser callbacks ---------------------------------------------------

    def on_message_begin(self):
        self._url = b''
        self._headers = []
        self._in_head = True
        self._body_parts = None
        self._body_len = 0
        self._body_expected = None
        self._chunks = 0
        if self._phase is _IDLE or self._phase is _QUEUED:
            self._phase = _HEAD
            self._phase_since = now = reactor.seconds()
            if not self._answering:
                self._deadline = now + self._limits.header_timeout
        elif self._phase is _HEAD and self._deadline is None:
            self._deadline = reactor.seconds() + self._limits.header_timeout

    def on_url(self, url):
        self._url += url

    def on_header(self, name, value):
        self._headers.append((name, value))

    def on_headers_complete(self):
        parser = self._parser
        version = parser.get_http_version()
        if version not in ('1.1', '1.0'):
            if version == '0.9':
                raise _BadRequest(400, 'Bad request line')
            raise _BadRequest(505, 'HTTP version not supported')
        raw = self._headers
        self._headers = []          # trailers of a chunked body land here, unread
        self._in_head = False
        if self._head_bytes > MAX_HEADER_BYTES and \
                len(self._url) + sum(len(n) + len(v) + 4 for n, v in raw) > MAX_HEADER_BYTES:
            raise _BadRequest(431, 'Request header block too large')
        method = parser.get_method()
        key = (self._url, method, version, *raw)
        head = _HEADS.get(key)
        if head is None:
            head = _read_head(self._url, method, raw)
            if self._head_bytes <= HEAD_REMEMBERED_AT_MOST:
                if len(_HEADS) >= HEADS_REMEMBERED:
                    _HEADS.clear()
                _HEADS[key] = head
        self._head_bytes = 0
        method, path, query, headers = head
        self._req = HttpRequest(method, path, query, headers.copy(), b'', self._peer,
                                self._secure, 'HTTP/' + version)
        self._keep_req = parser.should_keep_alive()
        if 'transfer-encoding' in headers:
            expected = None
        else:
            expected = int(headers.get('content-length', 0))
        if expected != 0 and self._body_sink is not None:
            self._req.sink = self._body_sink(self._req)
        if expected is not None and expected > self._limits.max_body and self._req.sink is None:
            raise _BadRequest(413, 'Request body too large')
        self._body_expected = expected
        if expected != 0:
            self._phase = _BODY
            self._phase_since = now = reactor.seconds()
            self._body_parts = []
            self._body_window = 0
            if not self._answering:
                self._deadline = now + self._limits.body_timeout
            self._wants_continue = headers.get('expect', '').lower() == '100-continue' \
                and version == '1.1'
            if self._wants_continue and not self._answering and not self._queue:
                self._send_continue()

    def on_chunk_header(self):
        self._chunks += 1
        if self._chunks > CHUNK_FREE and \
                self._body_len < CHUNK_MIN_AVERAGE * (self._chunks - CHUNK_FREE):
            raise _BadRequest(400, 'Too many small chunks')

    def on_body(self, data):
        size = len(data)
        self._body_len += size
        sink = self._req.sink
        if sink is not None:
            sink.write(data)
            self._body_window += size
            return
        if self._body_len > self._limits.max_body:
            raise _BadRequest(413, 'Request body too large')
        self._body_parts.append(data)
        self._body_window += size
        self._held += size
        budget = self._budget
        budget.used += size
        if budget.used > budget.limit:
            budget.over(self)

    def on_message_complete(self):
        req = self._req
        self._req = None
        parts = self._body_parts
        if parts:
            req.body = parts[0] if len(parts) == 1 else b''.join(parts)
        if self._reading:
            self._reading = False
            self._budget.end_body(self)
        self._body_parts = None
        self._wants_continue = False
        self._queue.append((req, self._keep_req))
        self._phase = _QUEUED
        self._head_bytes = 0
        if not self._keep_req:
            self._phase = _CLOSING      # nothing after this request is read

    def _send_continue(self):
        self._wants_continue = False
        self.transport.write(b'HTTP/1.1 100 Continue\r\n\r\n')

    # -- answering ----------------------------------------------------------

    def _next(self):
        """Answer queued requests in order, while each answers at once."""
        while not self._answering and not self._lost and self._queue:
            item = self._queue.popleft()
            if item.__class__ is _Fatal:
                self._write_fatal(item)
                return
            req, keep = item
            self._dispatch(req, keep)
        if self._answering or self._lost:
            return
        if self._pause_reasons:
            self.resume_reading('pipeline')
        phase = self._phase
        if phase == _QUEUED:
            self._idle()
        elif phase == _HEAD:
            self._deadline = self._phase_since + self._limits.header_timeout
        elif phase == _BODY:
            self._body_window = 0
            self._deadline = reactor.seconds() + self._limits.body_timeout
            if self._wants_continue:
                self._send_continue()

    def _dispatch(self, req, keep):
        self._answering = True
        self._deadline = None       # the app takes the time it takes
        held = len(req.body)
        ae = req.headers.get('accept-encoding')
        self._current = (req, keep, ae is not None and 'gzip' in ae and _accepts_gzip(ae), held)
        try:
            res = self._app(req)
        except Exception:
            log.failure('Unhandled error answering {req!r}', req=req)
            res = _server_error()
        if is_deferred(res):
            self._pending = res
            self._in_dispatch = True
            res.addCallbacks(self._deferred_done, self._deferred_failed)
            self._in_dispatch = False
        else:
            self._respond(res)

    def _deferred_done(self, res):
        if self._pending is None:    # cancelled because the client went away
            return None
        self._pending = None
        if self._lost:
            return None
        self._respond(res)
        if not self._in_dispatch:
            self._next()
        return None

    def _deferred_failed(self, failure):
        if self._pending is None or self._lost:
            self._pending = None
            return None
        self._pending = None
        log.failure('Unhandled error answering {req!r}', failure, req=self._current[0])
        self._respond(_server_error())
        if not self._in_dispatch:
            self._next()
        return None

    def _respond(self, res):
        if self._lost:
            return
        if not isinstance(res, HttpResponse):
            log.error('Application returned {res!r}, not an HttpResponse', res=res)
            res = _server_error()
        req, keep, gzip, _ = self._current
        if res.body.__class__ is FileBody:
            self._send_file(res, req, keep)
            return
        if res.body.__class__ is not bytes and res.streamed:
            if req.method != 'HEAD':
                self._stream = _ResponseStream(self, res, req, keep, gzip)
                self._stream.start()
                return
            _close_pieces(res.body)
            res = HttpResponse(res.status, b'', res.headers, res.content_type)
        try:
            keep = self._write_response(res, req, keep, gzip)
        except Exception:
            log.failure('Cannot write response {res!r}', res=res)
            keep = self._write_response(_server_error(), req, False, False)
        self._response_done(keep)

    def _response_done(self, keep):
        """The current response is written: release its request, then close
        or go on with the next request."""
        self._stream = None
        held = self._current[3]
        self._current = None
        if held:
            self._held -= held
            self._budget.release(held)
        if keep:
            self._answering = False
        else:
            self._answering = True      # nothing more is answered
            self._phase = _CLOSING
            self._queue.clear()
            self.transport.loseConnection()

    def _send_file(self, res, req, keep):
        """Write a FileBody response: its head, then the file as the
        transport drains; a file that ends short closes the connection."""
        body = res.body
        parts, keep, _ = self._head(res, req, keep, False, 0)
        parts[-1] = b'Content-Length: %d\r\n' % body.length + parts[-1]
        self.transport.write(b''.join(parts))
        if req.method == 'HEAD' or not body.length:
            body.close()
            self._response_done(keep)
            return
        sender = self._stream = _FileStream(body)

        def sent(_):
            body.close()
            if self._lost or self._stream is not sender:
                return None
            if body.left:                     # the file shrank meanwhile
                self._stream = None
                self._answering = True
                self._phase = _CLOSING
                self.transport.abortConnection()
                return None
            self._response_done(keep)
            self._next()
            return None
        sender.sender.beginFileTransfer(body, self.transport).addBoth(sent)

    def _head(self, res, req, keep, gzip, length, streamed=False):
        """The status line and headers; returns (bytes, keep, compressed)."""
        status = res.status
        parts = [_status_line(status), _date_header()]
        if res.content_type:
            parts.append(_header_line('Content-Type', res.content_type))
        for name, value in res.headers:
            lname = name.lower()
            if lname == 'connection':
                if 'close' in value.lower():
                    keep = False
                continue
            if lname in ('content-length', 'transfer-encoding'):
                continue
            parts.append(_header_line(name, value))
        compressed = False
        if (streamed or length > GZIP_MIN) and status >= 200 and status not in (204, 304):
            if gzip:
                compressed = True
                parts.append(b'Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n')
            else:
                parts.append(b'Vary: Accept-Encoding\r\n')
        if streamed:
            if req.version == 'HTTP/1.1':
                parts.append(b'Transfer-Encoding: chunked\r\n')
            else:
                keep = False             # HTTP/1.0: the close delimits the body
        if not keep:
            parts.append(b'Connection: close\r\n\r\n')
        elif req.version == 'HTTP/1.0':
            parts.append(b'Connection: keep-alive\r\n\r\n')
        else:
            parts.append(b'\r\n')
        return parts, keep, compressed

    def _write_response(self, res, req, keep, gzip):
        """Write a whole response; returns whether the connection stays open."""
        body = res.body
        if body.__class__ is not bytes:
            body = body.encode('utf-8') if isinstance(body, str) else bytes(body)
        parts, keep, compressed = self._head(res, req, keep, gzip, len(body))
        if compressed:
            # compressobj: ~4x cheaper than zlib.compress for small bodies
            z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
            body = z.compress(body) + z.flush()
        parts[-1] = b'Content-Length: %d\r\n' % len(body) + parts[-1]
        if req.method == 'HEAD':
            self.transport.write(b''.join(parts))
        elif len(body) < 65536:
            parts.append(body)
            self.transport.write(b''.join(parts))
        else:
            self.transport.writeSequence([b''.join(parts), body])
        return keep

    # -- protocol errors ----------------------------------------------------

    def _fail(self, status, message):
        """A protocol error: nothing more is read; the error is answered in
        its turn, after the requests before it."""
        if self._lost or self._fatal_queued:
            return
        self._fatal_queued = True
        self._phase = _CLOSING
        self._abort_sinks()
        self._reading = False
        self._budget.end_body(self)
        if self._body_parts is not None:      # the partial body is dropped
            self._body_parts = None
            self._held -= self._body_len
            self._budget.release(self._body_len)
        self._queue.append(_Fatal(status, message))
        self.resume_reading('pipeline')
        if not self._answering:
            self._next()

    def _abort_sinks(self):
        """The bodies sinks took will not be answered: tell them."""
        requests = [item[0] for item in self._queue if item.__class__ is not _Fatal]
        if self._req is not None:
            requests.append(self._req)
            self._req = None
        for req in requests:
            if req.sink is not None:
                req.sink.abort()
                req.sink = None

    def refuse(self):
        """Over the connection cap: 503, then close."""
        self.refused = True
        self._fail(503, 'Too many connections')

    def _write_fatal(self, fatal):
        """Answer a protocol error, then close (lingering)."""
        self._answering = True
        self._queue.clear()
        res = HttpResponse(fatal.status, (fatal.message + '\n').encode('utf-8'),
                           content_type='text/plain; charset=utf-8')
        self._write_response(res, HttpRequest(), False, False)
        transport = self.transport
        if not ISSLTransport.providedBy(transport) and \
                hasattr(transport, 'loseWriteConnection'):
            transport.loseWriteConnection()    # FIN after the response
        self._linger_seen = False
        self._linger_start = reactor.seconds()
        self._deadline = self._linger_start + LINGER_MAX + LINGER_IDLE
        self._linger = reactor.callLater(LINGER_IDLE, self._linger_check)

    def _linger_check(self):
        self._linger = None
        if self._lost:
            return
        if self._linger_seen and reactor.seconds() - self._linger_start < LINGER_MAX:
            self._linger_seen = False
            self._linger = reactor.callLater(LINGER_IDLE, self._linger_check)
            return
        self.transport.loseConnection()

    def evictable_since(self):
        """When this connection began waiting for a request head it has not
        finished (None when it is doing anything else)."""
        if self._phase is _HEAD and not self._answering and not self._queue:
            return self._phase_since
        return None


def _tick_ends():
    """A cooperator tick ends STREAM_TICK after it began: a request arriving
    meanwhile waits no longer than that for the reactor."""
    end = time.monotonic() + STREAM_TICK
    return lambda: time.monotonic() >= end


_stream_cooperator = task.Cooperator(terminationPredicateFactory=_tick_ends)


@implementer(IPushProducer)
class _ResponseStream:
    """Writes a streamed response: pieces are pulled one per cooperative
    step; the transport pauses the steps while the client is not reading."""

    def __init__(self, protocol, res, req, keep, gzip):
        self.protocol = protocol
        self.res = res
        self.req = req
        self.keep = keep
        self.gzip = gzip
        self.pieces = iter(res.body)
        self.chunked = False
        self.compressor = None
        self.task = None
        self.started = False     # the head went out: errors can no longer be answered

    def start(self):
        self.task = _stream_cooperator.cooperate(self._steps())
        self.protocol.transport.registerProducer(self, True)
        self.task.whenDone().addCallbacks(self._done, self._failed)

    def _steps(self):
        buffered = []
        size = 0
        for piece in self.pieces:
            if piece.__class__ is Deferred:   # a piece to come (server-sent events)
                self._write(b''.join(buffered), flush=True)   # the head and what is held go now
                buffered, size, later = [], 0, []
                piece.addCallback(later.append)
                yield piece
                self._write(later[0], flush=True)
                continue
            if piece:
                buffered.append(piece)
                size += len(piece)
                if size >= STREAM_WRITE:
                    self._write(b''.join(buffered))
                    buffered = []
                    size = 0
            yield None
        if not self.started:             # small after all: one ordinary response
            self.res.body = b''.join(buffered)
            self.keep = self.protocol._write_response(self.res, self.req, self.keep, self.gzip)
            return
        if buffered:
            self._write(b''.join(buffered))
        self._finish()

    def _write(self, data, flush=False):
        transport = self.protocol.transport
        if not self.started:
            self.started = True
            parts, self.keep, compressed = self.protocol._head(
                self.res, self.req, self.keep, self.gzip, 0, streamed=True)
            self.chunked = self.req.version == 'HTTP/1.1'
            if compressed:
                self.compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
            transport.write(b''.join(parts))
        if self.compressor is not None:
            data = self.compressor.compress(data)
            if flush:
                data += self.compressor.flush(zlib.Z_SYNC_FLUSH)
        if not data:
            return
        if self.chunked:
            transport.writeSequence([b'%x\r\n' % len(data), data, b'\r\n'])
        else:
            transport.write(data)

    def _finish(self):
        transport = self.protocol.transport
        tail = self.compressor.flush() if self.compressor is not None else b''
        if self.chunked:
            transport.write((b'%x\r\n%s\r\n' % (len(tail), tail) if tail else b'') + b'0\r\n\r\n')
        elif tail:
            transport.write(tail)

    def _done(self, _):
        protocol = self.protocol
        if protocol._lost or protocol._stream is not self:
            return
        protocol.transport.unregisterProducer()
        protocol._response_done(self.keep)
        protocol._next()

    def _failed(self, failure):
        protocol = self.protocol
        _close_pieces(self.pieces)
        if protocol._lost or protocol._stream is not self or failure.check(task.TaskStopped):
            return None     # the client went away (the transport stops its producer first)
        protocol.transport.unregisterProducer()
        log.failure('Cannot stream response to {req!r}', failure, req=self.req)
        if self.started:                 # a truncated answer must not look whole
            protocol._stream = None
            protocol._answering = True
            protocol._phase = _CLOSING
            protocol.transport.abortConnection()
            return None
        keep = protocol._write_response(_server_error(), self.req, self.keep, False)
        protocol._response_done(keep)
        protocol._next()
        return None

    def stop(self):
        """The client went away."""
        if self.task is not None:
            try:
                self.task.stop()
            except task.TaskFinished:
                pass
        _close_pieces(self.pieces)

    # IPushProducer: the transport's write buffer is full / drained
    def pauseProducing(self):
        try:
            self.task.pause()
        except task.TaskFinished:
            pass

    def resumeProducing(self):
        try:
            self.task.resume()
        except (task.TaskFinished, task.NotPaused):
            pass

    def stopProducing(self):
        self.stop()


class _FileStream:
    """The FileSender of a FileBody being written (stopped if the client goes)."""

    def __init__(self, body):
        self.body = body
        self.sender = _FileSender()

    def stop(self):
        self.body.close()


def _close_pieces(pieces):
    close = getattr(pieces, 'close', None)
    if close is not None:
        close()


HEAD_REMEMBERED_AT_MOST = 4096   # request heads up to this size are read once (`_HEADS`)
HEADS_REMEMBERED = 1024          # ... this many of them (then it starts afresh)
_HEADS = {}    # (target, method, version, *raw headers) -> `_read_head`'s answer


def forget_heads():
    """Let go of the remembered request heads: each holds a client's Cookie,
    so after a mass logout they are dead weight scattered through the
    allocator's arenas (heap_trim; the next calls remember theirs again)."""
    _HEADS.clear()


def _read_head(target, method, raw):
    """(method, path, query, headers) of a request head: headers with
    lower-case names, repeated ones joined with ', '. A pure function of
    the head's bytes, so a keep-alive client's repeated head (the same
    target, Host, SOAPAction, Cookie and length each call) is read once."""
    headers = {}
    names = _HEADER_NAMES
    for name, value in raw:
        key = names.get(name)
        if key is None:
            key = _header_name(name)
        value = value.decode('latin-1').rstrip()
        if key in headers:
            headers[key] += ', ' + value
        else:
            headers[key] = value
    target = target.decode('latin-1')
    path, _, query = target.partition('?')
    if target[:1] != '/':
        # absolute-form (proxy style) or '*'
        if '://' in path:
            p = path.find('/', path.find('://') + 3)
            path = path[p:] if p >= 0 else '/'
        elif target != '*':
            raise _BadRequest(400, 'Bad request target')
    return method.decode('ascii'), path, query, headers


_HEADER_NAMES = {}      # raw header name -> lower-case str, for the names clients send
_HEADER_LINES = {}      # (name, value) -> the encoded line, for the headers answers repeat


def _header_line(name, value):
    line = _HEADER_LINES.get((name, value))
    if line is None:
        line = ('%s: %s\r\n' % (name, value)).encode('latin-1')
        if len(_HEADER_LINES) < 256 and name != 'Set-Cookie':
            _HEADER_LINES[name, value] = line
    return line


def _header_name(raw):
    name = raw.decode('latin-1').lower()
    if len(_HEADER_NAMES) < 1024:
        _HEADER_NAMES[raw] = name
    return name


def _accepts_gzip(ae):
    """True when an Accept-Encoding value allows gzip (ignores ``gzip;q=0``)."""
    for item in ae.lower().split(','):
        item = item.replace(' ', '')
        if item == 'gzip' or item == 'x-gzip':
            return True
        if item.startswith('gzip;') or item.startswith('x-gzip;'):
            q = item.find('q=')
            if q < 0:
                return True
            try:
                return float(item[q + 2:].split(';')[0]) > 0
            except ValueError:
                return False
    return False


def _server_error():
    return HttpResponse(500, b'Internal Server Error\n',
                        content_type='text/plain; charset=utf-8')


class _TurnEndConnection(tcp.Server):
    """A TCP connection whose writes go to the socket at the end of the
    reactor turn that made them, without asking epoll whether it is
    writable. Twisted's own registers the socket for writability at the
    first write and unregisters it once written: two epoll_ctl calls and a
    second event for every answer, about a tenth of a small call's CPU.
    The data waits in Twisted's buffers as before and `doWrite` sends it, so
    flow control, producers and closing are Twisted's; only what the socket
    does not take at once (or a connection closing) is left to epoll. The
    writes of one turn still go out together, as the answers to the
    requests that one poll returned."""

    _polled = False      # registered with the reactor for writability
    _held = False        # in _turn_end_writes: written when this turn ends

    def startWriting(self):
        if self._held or self._polled:
            return
        if self.disconnecting or self._writeDisconnecting:
            self._poll_writable()
        else:
            self._held = True
            if not _turn_end_writes:
                reactor.callLater(0, _write_at_turn_end)
            _turn_end_writes.append(self)

    def stopWriting(self):
        if self._polled:
            self._polled = False
            tcp.Server.stopWriting(self)

    def _poll_writable(self):
        self._polled = True
        tcp.Server.startWriting(self)

    def write_held(self):
        """Send what this turn wrote; the rest, a close or an error the
        reactor's own doWrite handles."""
        self._held = False
        if not self.connected or self._polled:
            return
        if self.disconnecting or self._writeDisconnecting \
                or self.doWrite() is not None \
                or len(self.dataBuffer) > self.offset or self._tempDataLen:
            self._poll_writable()


_turn_end_writes = []   # _TurnEndConnections written to in this reactor turn


def _write_at_turn_end():
    writers = _turn_end_writes[:]
    del _turn_end_writes[:]
    for connection in writers:
        connection.write_held()


class _TurnEndPort(tcp.Port):
    transport = _TurnEndConnection


def listen_tcp(reactor, port, factory, backlog, interface):
    """reactor.listenTCP, its connections `_TurnEndConnection`s."""
    listening = _TurnEndPort(port, factory, backlog, interface, reactor)
    listening.startListening()
    return listening


class HttpFactory(Factory):
    """``app``: callable(HttpRequest) -> HttpResponse | Deferred[HttpResponse].
    ``limits``: an :class:`HttpLimits` (``max_body`` overrides its field)."""

    def __init__(self, app, max_body=None, limits=None):
        self.app = app
        self.limits = limits if limits is not None else HttpLimits()
        if max_body is not None:
            self.limits = dataclasses.replace(self.limits, max_body=max_body)
        self.budget = BufferBudget(self.limits.max_buffered)
        self.connections = {}      # protocol -> None, oldest first
        self._cap = self.limits.connection_cap()
        self._refused = 0          # connections answered 503, still closing
        self._sweeper = None       # the LoopingCall of `sweep`, while connections are open
        limits = self.limits
        self._sweep_interval = min(1.0, limits.idle_timeout / 4, limits.header_timeout / 4,
                                   limits.body_timeout / 4, limits.tls_handshake_timeout / 4,
                                   LINGER_MAX / 4)

    @property
    def max_body(self):
        return self.limits.max_body

    def buildProtocol(self, addr):
        return HttpProtocol(self)

    def admit(self, protocol):
        """Count a new connection in; past the cap, evict the oldest one still
        sending its request head, or refuse this one (503). Returns whether
        the connection was admitted."""
        self.connections[protocol] = None
        if self._sweeper is None:
            self._sweeper = task.LoopingCall(self.sweep)
            self._sweeper.start(self._sweep_interval, now=False)
        if len(self.connections) - self._refused > self._cap:
            oldest = None
            for other in self.connections:
                since = other.evictable_since() if other is not protocol else None
                if since is not None and (oldest is None or since < oldest[0]):
                    oldest = (since, other)
            if oldest is None:
                self._refused += 1
                protocol.refuse()
                return False
            self.forget(oldest[1])
            oldest[1].transport.abortConnection()
        return True

    def forget(self, protocol):
        if self.connections.pop(protocol, 0) is None and protocol.refused:
            self._refused -= 1
        if not self.connections and self._sweeper is not None:
            self._sweeper.stop()
            self._sweeper = None

    def sweep(self):
        """Time out the connections whose deadline has passed."""
        now = reactor.seconds()
        for protocol in [p for p in self.connections
                         if p._deadline is not None and p._deadline <= now]:
            if protocol in self.connections:
                protocol.timed_out(now)
