"""A lean HTTP/1.1 server as a plain Twisted ``Protocol``.

twisted.web is too slow for the SOAP hot path (about 2,700 small requests/s on
the reference machine); this parser works on whole byte strings with
``bytes.find``/``split`` and allocates little per request.

Behaviour:

- keep-alive by default for HTTP/1.1, for HTTP/1.0 only with
  ``Connection: keep-alive``; the last response on a connection the server
  closes always carries ``Connection: close``;
- requests on one connection are answered strictly in order: the next
  (pipelined) request is parsed only after the current response was written;
  the application may return a Deferred that fires much later (long polls);
  if the client goes away meanwhile the Deferred is cancelled;
- Content-Length and chunked request bodies; ``Expect: 100-continue``;
- a body larger than ``max_body`` gets 413 at once (the body is not read into
  memory), malformed requests 400, a header block over 64 KB 431; each of those
  closes the connection (after a short lingering close so that the client
  reads the answer instead of a reset);
- response bodies over ~1 KB are gzipped when the client accepts gzip;
- an exception in the application becomes a plain 500; the connection stays
  usable.
"""

import time
import zlib

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import ISSLTransport
from twisted.internet.protocol import Factory, Protocol
from twisted.logger import Logger

__all__ = ['HttpRequest', 'HttpResponse', 'HttpFactory', 'HttpProtocol',
           'MAX_HEADER_BYTES']

log = Logger()

MAX_HEADER_BYTES = 64 * 1024
GZIP_MIN = 1024
GZIP_LEVEL = 3          # XML: as small as 6 within a few %, much cheaper
LINGER_IDLE = 0.25       # lingering close: stop once the client is quiet this long
LINGER_MAX = 5.0         # ... or after this long at most
PAUSE_BUFFER = 4 * 1024 * 1024  # stop reading while waiting with this much queued

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
    505: 'HTTP Version Not Supported',
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


class HttpRequest:
    """One parsed request. ``headers`` has lower-case names; repeated headers
    are joined with ``', '``."""

    __slots__ = ('method', 'path', 'query', 'headers', 'body', 'peer', 'secure',
                 'version')

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

    def __repr__(self):
        return '<HttpRequest %s %s%s (%d bytes)>' % (
            self.method, self.path, '?' + self.query if self.query else '',
            len(self.body))


class HttpResponse:
    """A response. ``headers`` are extra headers (name, value); Content-Type,
    Content-Length, Connection and Content-Encoding are set by the server."""

    __slots__ = ('status', 'body', 'headers', 'content_type')

    def __init__(self, status=200, body=b'', headers=None,
                 content_type='text/xml; charset=utf-8'):
        self.status = status
        self.body = body
        self.headers = [] if headers is None else headers
        self.content_type = content_type

    def __repr__(self):
        return '<HttpResponse %d (%d bytes)>' % (self.status, len(self.body))


class _BadRequest(Exception):
    def __init__(self, status, message):
        Exception.__init__(self, message)
        self.status = status
        self.message = message


# parser states
_HEAD, _BODY, _CHUNK_SIZE, _CHUNK_DATA, _TRAILER, _DISCARD = range(6)


class HttpProtocol(Protocol):

    def __init__(self, app, max_body):
        self._app = app
        self._max_body = max_body
        self._parts = []
        self._plen = 0
        self._need = 1            # bytes needed before parsing is worthwhile
        self._state = _HEAD
        self._busy = False        # a request is being answered
        self._in_dispatch = False
        self._pending = None      # the app's Deferred, while pending
        self._lost = False
        self._paused = False
        self._closing = False
        self._linger = None
        self._linger_seen = False
        self._peer = ''
        self._secure = False
        # the request being read / answered
        self._req = None
        self._keep = True
        self._gzip = False
        self._is_head = False
        self._chunks = None
        self._chunk_total = 0
        self._chunk_left = 0
        self._continue = False

    # -- connection ---------------------------------------------------------

    def connectionMade(self):
        peer = self.transport.getPeer()
        self._peer = getattr(peer, 'host', '') or ''
        self._secure = ISSLTransport.providedBy(self.transport)

    def connectionLost(self, reason=None):
        self._lost = True
        self._parts = []
        if self._linger is not None:
            if self._linger.active():
                self._linger.cancel()
            self._linger = None
        d = self._pending
        if d is not None:
            self._pending = None
            d.cancel()

    def dataReceived(self, data):
        if self._state == _DISCARD:
            self._linger_seen = True
            return
        self._parts.append(data)
        self._plen += len(data)
        if self._busy:
            if self._plen > PAUSE_BUFFER and not self._paused:
                self._paused = True
                self.transport.pauseProducing()
            return
        if self._plen >= self._need:
            self._run()

    # -- parsing ------------------------------------------------------------

    def _run(self):
        parts = self._parts
        if not parts:
            return
        buf = parts[0] if len(parts) == 1 else b''.join(parts)
        self._parts = []
        self._plen = 0
        try:
            buf = self._parse(buf)
        except _BadRequest as e:
            self._fatal(e.status, e.message)
            return
        if buf and self._state != _DISCARD and not self._lost:
            self._parts = [buf]
            self._plen = len(buf)

    def _parse(self, buf):
        """Consume as much of ``buf`` as possible; return the rest."""
        while not self._busy and not self._lost and buf:
            state = self._state
            if state == _HEAD:
                i = buf.find(b'\r\n\r\n')
                if i < 0:
                    if buf[:1] in (b'\r', b'\n'):
                        buf = buf.lstrip(b'\r\n')   # stray CRLFs between requests
                        continue
                    if len(buf) > MAX_HEADER_BYTES:
                        raise _BadRequest(431, 'Request header block too large')
                    self._need = len(buf) + 1
                    return buf
                if i > MAX_HEADER_BYTES:
                    raise _BadRequest(431, 'Request header block too large')
                if i == 0 or buf[:1] in (b'\r', b'\n'):
                    buf = buf.lstrip(b'\r\n')
                    continue
                head = buf[:i]
                buf = buf[i + 4:]
                length = self._parse_head(head)
                if length is None:        # chunked
                    self._state = _CHUNK_SIZE
                    self._chunks = []
                    self._chunk_total = 0
                    self._need = 1
                    if not buf:
                        self._send_continue()
                elif length:
                    if length > self._max_body:
                        raise _BadRequest(413, 'Request body too large')
                    if len(buf) >= length:
                        if len(buf) == length:
                            body, buf = buf, b''
                        else:
                            body = buf[:length]
                            buf = buf[length:]
                        self._dispatch(body)
                    else:
                        self._state = _BODY
                        self._need = length
                        self._send_continue()
                else:
                    self._dispatch(b'')
            elif state == _BODY:
                length = self._need
                if len(buf) < length:
                    return buf
                if len(buf) == length:
                    body, buf = buf, b''
                else:
                    body = buf[:length]
                    buf = buf[length:]
                self._state = _HEAD
                self._dispatch(body)
            elif state == _CHUNK_SIZE:
                i = buf.find(b'\r\n')
                if i < 0:
                    if len(buf) > 4096:
                        raise _BadRequest(400, 'Bad chunk size line')
                    self._need = len(buf) + 1
                    return buf
                line = buf[:i]
                buf = buf[i + 2:]
                j = line.find(b';')
                if j >= 0:
                    line = line[:j]
                line = line.strip()
                try:
                    if not line or line[:1] in (b'-', b'+') or b'_' in line:
                        raise ValueError
                    size = int(line, 16)
                except ValueError:
                    raise _BadRequest(400, 'Bad chunk size') from None
                if size == 0:
                    self._state = _TRAILER
                    self._need = 1
                else:
                    self._chunk_total += size
                    if self._chunk_total > self._max_body:
                        raise _BadRequest(413, 'Request body too large')
                    self._state = _CHUNK_DATA
                    self._chunk_left = size
                    self._need = size + 2
            elif state == _CHUNK_DATA:
                size = self._chunk_left
                if len(buf) < size + 2:
                    self._need = size + 2
                    return buf
                if buf[size:size + 2] != b'\r\n':
                    raise _BadRequest(400, 'Bad chunk terminator')
                self._chunks.append(buf[:size])
                buf = buf[size + 2:]
                self._state = _CHUNK_SIZE
                self._need = 1
            elif state == _TRAILER:
                if buf[:2] == b'\r\n':
                    buf = buf[2:]
                    body = b''.join(self._chunks)
                    self._chunks = None
                    self._state = _HEAD
                    self._need = 1
                    self._dispatch(body)
                    continue
                i = buf.find(b'\r\n\r\n')
                if i < 0:
                    if len(buf) > MAX_HEADER_BYTES:
                        raise _BadRequest(431, 'Trailer too large')
                    self._need = len(buf) + 1
                    return buf
                buf = buf[i + 4:]          # trailers are ignored
                body = b''.join(self._chunks)
                self._chunks = None
                self._state = _HEAD
                self._need = 1
                self._dispatch(body)
            else:  # _DISCARD
                return b''
        if not self._busy and self._state == _HEAD:
            self._need = 1
        return buf

    def _parse_head(self, head):
        """Parse request line and headers into ``self._req``; return the body
        length (0 when none) or None for chunked."""
        try:
            text = head.decode('latin-1')
        except Exception:  # pragma: no cover - latin-1 decodes everything
            raise _BadRequest(400, 'Bad request') from None
        lines = text.split('\r\n')
        if text.count('\n') != len(lines) - 1:
            raise _BadRequest(400, 'Bad line ending')
        rl = lines[0].split(' ')
        if len(rl) != 3:
            raise _BadRequest(400, 'Bad request line')
        method, target, version = rl
        if not method or not target or not method.isalpha():
            raise _BadRequest(400, 'Bad request line')
        if version == 'HTTP/1.1':
            keep = True
        elif version == 'HTTP/1.0':
            keep = False
        else:
            if version.startswith('HTTP/'):
                raise _BadRequest(505, 'HTTP version not supported')
            raise _BadRequest(400, 'Bad request line')
        headers = {}
        for line in lines[1:]:
            i = line.find(':')
            if i <= 0 or line[0] in ' \t' or line[i - 1] in ' \t':
                raise _BadRequest(400, 'Bad header line')
            name = line[:i].lower()
            value = line[i + 1:].strip()
            old = headers.get(name)
            headers[name] = value if old is None else old + ', ' + value
        q = target.find('?')
        if q >= 0:
            path = target[:q]
            query = target[q + 1:]
        else:
            path = target
            query = ''
        if target[0] != '/':
            # absolute-form (proxy style) or '*'
            if '://' in path:
                p = path.find('/', path.find('://') + 3)
                path = path[p:] if p >= 0 else '/'
            elif target != '*':
                raise _BadRequest(400, 'Bad request target')

        conn = headers.get('connection')
        if conn is not None:
            conn = conn.lower()
            if 'close' in conn:
                keep = False
            elif 'keep-alive' in conn:
                keep = True
        self._keep = keep
        self._is_head = method == 'HEAD'
        ae = headers.get('accept-encoding')
        self._gzip = ae is not None and 'gzip' in ae and _accepts_gzip(ae)
        self._continue = headers.get('expect', '').lower() == '100-continue'
        self._req = HttpRequest(method, path, query, headers, b'', self._peer,
                                self._secure, version)

        te = headers.get('transfer-encoding')
        if te is not None:
            te = te.lower()
            if te.replace(' ', '').split(',')[-1] != 'chunked':
                raise _BadRequest(400, 'Unsupported transfer encoding')
            return None
        cl = headers.get('content-length')
        if cl is None:
            return 0
        if ',' in cl:
            vals = {v.strip() for v in cl.split(',')}
            if len(vals) != 1:
                raise _BadRequest(400, 'Bad Content-Length')
            cl = vals.pop()
        if not cl.isdigit():
            raise _BadRequest(400, 'Bad Content-Length')
        return int(cl)

    def _send_continue(self):
        if self._continue and self._req.version == 'HTTP/1.1':
            self._continue = False
            self.transport.write(b'HTTP/1.1 100 Continue\r\n\r\n')

    # -- dispatch -----------------------------------------------------------

    def _dispatch(self, body):
        req = self._req
        req.body = body
        self._state = _HEAD
        self._need = 1
        self._busy = True
        try:
            res = self._app(req)
        except Exception:
            log.failure('Unhandled error answering {req!r}', req=req)
            res = _server_error()
        if isinstance(res, Deferred):
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
        if not self._in_dispatch and not self._busy:
            self._continue_reading()
        return None

    def _deferred_failed(self, failure):
        if self._pending is None or self._lost:
            self._pending = None
            return None
        self._pending = None
        log.failure('Unhandled error answering {req!r}', failure, req=self._req)
        self._respond(_server_error())
        if not self._in_dispatch and not self._busy:
            self._continue_reading()
        return None

    def _continue_reading(self):
        if self._paused:
            self._paused = False
            self.transport.resumeProducing()
        if self._parts:
            self._run()

    # -- responses ----------------------------------------------------------

    def _respond(self, res):
        if self._lost:
            return
        if not isinstance(res, HttpResponse):
            log.error('Application returned {res!r}, not an HttpResponse', res=res)
            res = _server_error()
        try:
            self._write_response(res)
        except Exception:
            log.failure('Cannot write response {res!r}', res=res)
            self._keep = False
            self._write_response(_server_error())
        self._req = None
        if self._keep:
            self._busy = False
        else:
            self._state = _DISCARD
            self._parts = []
            self._plen = 0
            self.transport.loseConnection()

    def _write_response(self, res):
        body = res.body
        if body.__class__ is not bytes:
            if isinstance(body, str):
                body = body.encode('utf-8')
            else:
                body = bytes(body)
        status = res.status
        parts = [_status_line(status), _date_header()]
        if res.content_type:
            parts.append(b'Content-Type: ' + res.content_type.encode('latin-1') + b'\r\n')
        keep = self._keep
        for name, value in res.headers:
            lname = name.lower()
            if lname == 'connection':
                if 'close' in value.lower():
                    keep = False
                continue
            if lname in ('content-length', 'transfer-encoding'):
                continue
            parts.append(('%s: %s\r\n' % (name, value)).encode('latin-1'))
        if len(body) > GZIP_MIN and status >= 200 and status not in (204, 304):
            if self._gzip:
                # compressobj: ~4x cheaper than zlib.compress for small bodies
                z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
                body = z.compress(body) + z.flush()
                parts.append(b'Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n')
            else:
                parts.append(b'Vary: Accept-Encoding\r\n')
        parts.append(b'Content-Length: %d\r\n' % len(body))
        if not keep:
            self._keep = False
            parts.append(b'Connection: close\r\n\r\n')
        elif self._req is not None and self._req.version == 'HTTP/1.0':
            parts.append(b'Connection: keep-alive\r\n\r\n')
        else:
            parts.append(b'\r\n')
        if self._is_head:
            self.transport.write(b''.join(parts))
        elif len(body) < 65536:
            parts.append(body)
            self.transport.write(b''.join(parts))
        else:
            self.transport.writeSequence([b''.join(parts), body])

    def _fatal(self, status, message):
        """Answer a protocol error, then close (lingering)."""
        if self._lost or self._closing:
            return
        self._closing = True
        self._state = _DISCARD
        self._parts = []
        self._plen = 0
        self._busy = True
        self._is_head = False
        self._gzip = False
        self._keep = False
        self._req = None
        res = HttpResponse(status, (message + '\n').encode('utf-8'),
                           content_type='text/plain; charset=utf-8')
        self._write_response(res)
        transport = self.transport
        if not ISSLTransport.providedBy(transport) and \
                hasattr(transport, 'loseWriteConnection'):
            transport.loseWriteConnection()    # FIN after the response
        self._linger_seen = False
        self._linger_start = reactor.seconds()
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


class HttpFactory(Factory):
    """``app``: callable(HttpRequest) -> HttpResponse | Deferred[HttpResponse]."""

    def __init__(self, app, max_body=32 * 1024 * 1024):
        self.app = app
        self.max_body = max_body

    def buildProtocol(self, addr):
        p = HttpProtocol(self.app, self.max_body)
        p.factory = self
        return p
