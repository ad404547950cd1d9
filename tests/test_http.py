"""The lean HTTP/1.1 server (vimsim.server.http), TLS and the static documents,
over real sockets, with small fake applications."""
import gzip
import http.client
import os
import socket
import ssl
import threading
import time
import zlib

import pytest
from twisted.internet import defer, reactor

from tests.conftest import _ensure_reactor, on_reactor
from vimsim.server import listen, make_app
from vimsim.server.documents import Documents, prior_versions, versions_xml
from vimsim.server.http import HttpResponse


# -- helpers ------------------------------------------------------------------

class Server:
    """``app`` served on an ephemeral port of the reactor running in a thread."""

    def __init__(self, app, tls=False, max_body=32 * 1024 * 1024, **kw):
        _ensure_reactor()
        self.port_obj = on_reactor(listen, app, '127.0.0.1', 0, tls, max_body=max_body, **kw)
        self.port = self.port_obj.getHost().port
        self.tls = tls

    def close(self):
        on_reactor(self.port_obj.stopListening)

    def conn(self, timeout=10):
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection('127.0.0.1', self.port, timeout=timeout,
                                               context=ctx)
        return http.client.HTTPConnection('127.0.0.1', self.port, timeout=timeout)

    def sock(self, timeout=10):
        return socket.create_connection(('127.0.0.1', self.port), timeout=timeout)


def read_response(sock, buf=b''):
    """Read one response from a raw socket: (status, headers, body, rest)."""
    while b'\r\n\r\n' not in buf:
        data = sock.recv(65536)
        if not data:
            raise EOFError(buf)
        buf += data
    head, _, buf = buf.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split(' ')[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(':')
        headers[k.strip().lower()] = v.strip()
    n = int(headers['content-length'])
    while len(buf) < n:
        data = sock.recv(65536)
        if not data:
            raise EOFError(buf)
        buf += data
    return status, headers, buf[:n], buf[n:]


def at_eof(sock, timeout=5):
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def echo_app(request):
    """Answers 'METHOD PATH?QUERY len(body)' and echoes some headers."""
    if request.path == '/boom':
        raise RuntimeError('boom')
    if request.path == '/big':
        return HttpResponse(200, b'<x>' + b'abcdefgh' * 1000 + b'</x>')
    if request.path == '/huge':
        return HttpResponse(200, bytes(range(256)) * (32 * 1024),
                            content_type='application/octet-stream')
    if request.path == '/body':
        return HttpResponse(200, request.body, content_type='application/octet-stream')
    if request.path.startswith('/later/'):
        d = defer.Deferred()
        delay = float(request.path.split('/')[2])
        reactor.callLater(delay, d.callback,
                          HttpResponse(200, ('later %s' % request.path).encode()))
        return d
    text = '%s %s?%s %d %s %s' % (request.method, request.path, request.query,
                                   len(request.body), request.peer, request.secure)
    return HttpResponse(200, text.encode(), headers=[('X-Echo', request.headers.get('x-test', ''))],
                        content_type='text/plain')


@pytest.fixture(scope='module')
def server():
    s = Server(echo_app, max_body=1024 * 1024)
    yield s
    s.close()


# -- HTTP ---------------------------------------------------------------------

def test_keep_alive_many_requests(server):
    c = server.conn()
    c.request('GET', '/first')
    r = c.getresponse()
    assert r.status == 200 and r.read() == b'GET /first? 0 127.0.0.1 False'
    sock = c.sock
    for i in range(200):
        c.request('POST', '/p/%d?q=%d' % (i, i), body=b'x' * i, headers={'X-Test': str(i)})
        r = c.getresponse()
        assert r.status == 200
        assert r.read() == ('POST /p/%d?q=%d %d 127.0.0.1 False' % (i, i, i)).encode()
        assert r.getheader('X-Echo') == str(i)
        assert r.getheader('Connection') is None
        assert c.sock is sock          # the same socket all along
    c.close()


@pytest.mark.parametrize('tls', [False, True], ids=['http', 'https'])
def test_an_answer_the_socket_cannot_take_at_once_arrives_whole(tls):
    """8 MB written in one turn while the client does not read: what the
    socket does not take waits for epoll to say it is writable, in order,
    and the connection then answers its next requests (pipelined ones too)."""
    s = Server(echo_app, tls=tls)
    try:
        raw = s.sock()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        if tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            raw = context.wrap_socket(raw)
        raw.sendall(b'GET /huge HTTP/1.1\r\nHost: x\r\n\r\n'
                    b'GET /after HTTP/1.1\r\nHost: x\r\n\r\n')
        time.sleep(0.3)                  # the server's write meets a full socket
        received = bytearray()
        expected = bytes(range(256)) * (32 * 1024)
        while received.find(b'\r\n\r\n') < 0 or \
                len(received) < received.find(b'\r\n\r\n') + 4 + len(expected):
            data = raw.recv(1024 * 1024)
            assert data, 'the connection closed early'
            received += data
        head, _, rest = bytes(received).partition(b'\r\n\r\n')
        assert head.startswith(b'HTTP/1.1 200 ') and rest[:len(expected)] == expected
        status, _, body, rest = read_response(raw, rest[len(expected):])
        assert (status, body, rest) == (200, b'GET /after? 0 127.0.0.1 %s' % str(tls).encode(), b'')
        raw.sendall(b'GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        status, headers, body, _ = read_response(raw)
        assert status == 200 and headers['connection'] == 'close'
        assert at_eof(raw)
        raw.close()
    finally:
        s.close()


def test_http10(server):
    s = server.sock()
    s.sendall(b'GET /a HTTP/1.0\r\n\r\n')
    status, headers, body, rest = read_response(s)
    assert status == 200 and headers['connection'] == 'close'
    assert at_eof(s)
    s = server.sock()
    s.sendall(b'GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
    status, headers, body, rest = read_response(s)
    assert headers['connection'] == 'keep-alive'
    s.sendall(b'GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
    status, headers, body, rest = read_response(s, rest)
    assert body.startswith(b'GET /b?')
    s.close()


def test_connection_close_is_announced(server):
    s = server.sock()
    s.sendall(b'GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    status, headers, body, rest = read_response(s)
    assert headers['connection'] == 'close'
    assert at_eof(s)


def test_pipelined_in_order(server):
    s = server.sock()
    reqs = (b'GET /later/0.3 HTTP/1.1\r\nHost: x\r\n\r\n'
            b'POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc'
            b'GET /later/0.05 HTTP/1.1\r\nHost: x\r\n\r\n'
            b'POST /four HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
            b'2\r\nab\r\n0\r\n\r\n'
            b'GET /five HTTP/1.1\r\nHost: x\r\n\r\n')
    s.sendall(reqs)
    rest = b''
    bodies = []
    for _ in range(5):
        status, headers, body, rest = read_response(s, rest)
        assert status == 200
        bodies.append(body)
    assert bodies == [b'later /later/0.3', b'POST /two? 3 127.0.0.1 False',
                      b'later /later/0.05', b'POST /four? 2 127.0.0.1 False',
                      b'GET /five? 0 127.0.0.1 False']
    s.close()


def test_pipelined_byte_by_byte(server):
    s = server.sock()
    data = (b'POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello'
            b'POST /two HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
            b'3;ext=1\r\nabc\r\n1\r\nd\r\n0\r\nTrailer: x\r\n\r\n')
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(len(data)):
        s.send(data[i:i + 1])
    status, headers, body, rest = read_response(s)
    assert body == b'POST /one? 5 127.0.0.1 False'
    status, headers, body, rest = read_response(s, rest)
    assert body == b'POST /two? 4 127.0.0.1 False'
    s.close()


def test_deferred_app(server):
    c = server.conn()
    t0 = time.time()
    c.request('GET', '/later/0.2')
    r = c.getresponse()
    assert r.read() == b'later /later/0.2'
    assert time.time() - t0 >= 0.19
    c.request('GET', '/after')
    assert c.getresponse().read().startswith(b'GET /after?')
    c.close()


def test_disconnect_cancels_pending_deferred():
    cancelled = threading.Event()

    def app(request):
        return defer.Deferred(lambda d: cancelled.set())

    srv = Server(app)
    try:
        s = srv.sock()
        s.sendall(b'GET /poll HTTP/1.1\r\nHost: x\r\n\r\n')
        time.sleep(0.1)
        s.close()
        assert cancelled.wait(5)
    finally:
        srv.close()


def test_a_stream_piece_may_come_later():
    """A Deferred piece: what came before goes out at once, the piece when
    it fires (server-sent events), gzipped or not."""
    later = []

    def app(request):
        def pieces():
            yield b'first\n'
            fired = defer.Deferred()
            later.append(fired)
            yield fired
            yield b'third\n'
        return HttpResponse(200, pieces(), content_type='text/event-stream')

    srv = Server(app)
    try:
        for encoding in ('identity', 'gzip'):
            del later[:]
            s = srv.sock()
            s.sendall(b'GET /events HTTP/1.1\r\nHost: x\r\nAccept-Encoding: %s\r\n\r\n'
                      % encoding.encode())
            seen = b''
            while b'first' not in _stream_data(seen, encoding):
                seen += s.recv(65536)
            assert later and not later[0].called
            on_reactor(later[0].callback, b'second\n')
            while not seen.endswith(b'0\r\n\r\n'):
                seen += s.recv(65536)
            assert b'Transfer-Encoding: chunked' in seen.partition(b'\r\n\r\n')[0]
            data = _stream_data(seen, encoding)
            assert data == b'first\nsecond\nthird\n'
            s.close()
    finally:
        srv.close()


def _stream_data(raw, encoding):
    """The body bytes of the complete chunks of a raw chunked response so far."""
    body = raw.partition(b'\r\n\r\n')[2]
    data = b''
    while b'\r\n' in body:
        size, _, rest = body.partition(b'\r\n')
        size = int(size, 16)
        if size == 0 or len(rest) < size + 2:
            break
        data += rest[:size]
        body = rest[size + 2:]
    return zlib.decompressobj(31).decompress(data) if encoding == 'gzip' else data


def test_a_client_leaving_a_stream_is_no_server_error():
    """The transport stops a stream's producer before the connection is
    lost: that is the client going away, not a failed stream (which used to
    be logged as 'Cannot stream response')."""
    from twisted.logger import globalLogPublisher
    closed = threading.Event()
    failures = []

    def app(request):
        def pieces():
            try:
                while True:
                    yield b'x' * 65536
            finally:
                closed.set()
        return HttpResponse(200, pieces(), content_type='application/octet-stream')

    def observe(event):
        if 'Cannot stream' in str(event.get('log_format', '')):
            failures.append(event)
    globalLogPublisher.addObserver(observe)
    srv = Server(app)
    try:
        s = srv.sock()
        s.sendall(b'GET /forever HTTP/1.1\r\nHost: x\r\n\r\n')
        s.recv(65536)
        s.close()
        assert closed.wait(5)
        time.sleep(0.2)
        assert not failures
    finally:
        globalLogPublisher.removeObserver(observe)
        srv.close()


def test_chunked_body(server):
    c = server.conn()
    payload = os.urandom(200000)

    def chunks():
        for i in range(0, len(payload), 7000):
            yield payload[i:i + 7000]

    c.request('POST', '/body', body=chunks(), encode_chunked=True,
              headers={'Transfer-Encoding': 'chunked'})
    r = c.getresponse()
    assert r.status == 200
    assert r.read() == payload
    c.close()


def test_expect_continue(server):
    s = server.sock()
    s.sendall(b'POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n'
              b'Expect: 100-continue\r\n\r\n')
    data = s.recv(100)
    assert data == b'HTTP/1.1 100 Continue\r\n\r\n'
    s.sendall(b'abcd')
    status, headers, body, rest = read_response(s)
    assert status == 200 and body == b'abcd'
    s.close()


def test_gzip(server):
    c = server.conn()
    c.request('GET', '/big', headers={'Accept-Encoding': 'gzip, deflate'})
    r = c.getresponse()
    raw = r.read()
    assert r.getheader('Content-Encoding') == 'gzip'
    assert r.getheader('Vary') == 'Accept-Encoding'
    assert int(r.getheader('Content-Length')) == len(raw) < 1000
    assert gzip.decompress(raw) == b'<x>' + b'abcdefgh' * 1000 + b'</x>'
    # not asked for: identity
    c.request('GET', '/big')
    r = c.getresponse()
    assert r.getheader('Content-Encoding') is None and len(r.read()) == 8007
    # refused with q=0
    c.request('GET', '/big', headers={'Accept-Encoding': 'gzip;q=0'})
    r = c.getresponse()
    assert r.getheader('Content-Encoding') is None and len(r.read()) == 8007
    # small bodies are not compressed
    c.request('GET', '/small', headers={'Accept-Encoding': 'gzip'})
    r = c.getresponse()
    assert r.getheader('Content-Encoding') is None and r.read().startswith(b'GET /small')
    c.close()


def test_head_request(server):
    s = server.sock()
    s.sendall(b'HEAD /big HTTP/1.1\r\nHost: x\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n')
    buf = b''
    while buf.count(b'\r\n\r\n') < 2 or not buf.endswith(b'False'):
        buf += s.recv(65536)
    first, _, second = buf.partition(b'\r\n\r\n')
    assert b'Content-Length: 8007' in first
    assert second.startswith(b'HTTP/1.1 200 OK')
    s.close()


def test_413_declared_length_without_body(server):
    s = server.sock()
    s.sendall(b'POST /sdk HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n')
    status, headers, body, rest = read_response(s)
    assert status == 413
    assert headers['connection'] == 'close'
    assert at_eof(s)


def test_413_large_chunked_body(server):
    s = server.sock()
    s.sendall(b'POST /sdk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n')
    chunk = b'%x\r\n%s\r\n' % (65536, b'y' * 65536)
    sent = [0]

    def sender():
        try:
            for _ in range(64):          # 4 MB > 1 MB limit
                s.sendall(chunk)
                sent[0] += 1
        except OSError:
            pass

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    status, headers, body, rest = read_response(s)
    assert status == 413
    assert headers['connection'] == 'close'
    assert at_eof(s)
    t.join(10)


def test_413_large_declared_body_sent_anyway(server):
    """The client sends the body regardless: it still reads the 413."""
    s = server.sock()
    body = b'z' * (2 * 1024 * 1024)
    t = threading.Thread(target=lambda: _sendall_quiet(
        s, b'POST /sdk HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n' % len(body) + body),
        daemon=True)
    t.start()
    time.sleep(0.2)
    status, headers, _, _ = read_response(s)
    assert status == 413 and headers['connection'] == 'close'
    t.join(10)


def _sendall_quiet(sock, data):
    try:
        sock.sendall(data)
    except OSError:
        pass


@pytest.mark.parametrize('garbage', [
    b'GARBAGE\r\n\r\n',
    b'GET /\r\n\r\n',
    b'GET / HTTP/1.1\r\nNoColonHere\r\n\r\n',
    b'GET / HTTP/1.1\r\n Folded: x\r\n\r\n',
    b'POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n',
    b'POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n',
    b'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    b'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n',
    b'\x00\x01\x02\x03 / HTTP/1.1\r\n\r\n',
    # smuggling shapes llhttp refuses: both framings, odd encodings, bare LFs
    b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'
    b'0\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n',
    b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
    b'GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n',
    b'GET / HTTP/1.1\nHost: x\n\n',
])
def test_400_then_server_still_serves(server, garbage):
    s = server.sock()
    s.sendall(garbage)
    status, headers, body, rest = read_response(s)
    assert status == 400
    assert headers['connection'] == 'close'
    assert at_eof(s)
    c = server.conn()
    c.request('GET', '/ok')
    assert c.getresponse().status == 200
    c.close()


def test_431_oversized_headers(server):
    s = server.sock()
    s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n' + b'X-Big: ' + b'a' * 70000 + b'\r\n\r\n')
    status, headers, body, rest = read_response(s)
    assert status == 431 and headers['connection'] == 'close'
    assert at_eof(s)


def test_app_exception_is_500_and_connection_survives(server):
    c = server.conn()
    c.request('GET', '/boom')
    r = c.getresponse()
    assert r.status == 500 and r.read()
    sock = c.sock
    c.request('GET', '/after')
    r = c.getresponse()
    assert r.status == 200 and r.read().startswith(b'GET /after?')
    assert c.sock is sock
    c.close()


def test_failed_deferred_is_500():
    def app(request):
        if request.path == '/fail':
            return defer.fail(ValueError('nope'))
        return HttpResponse(200, b'ok')

    srv = Server(app)
    try:
        c = srv.conn()
        c.request('GET', '/fail')
        r = c.getresponse()
        assert r.status == 500
        r.read()
        c.request('GET', '/ok')
        assert c.getresponse().read() == b'ok'
        c.close()
    finally:
        srv.close()


def test_repeated_headers_joined():
    seen = {}

    def app(request):
        seen.update(request.headers)
        return HttpResponse(200, b'')

    srv = Server(app)
    try:
        s = srv.sock()
        s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\nCookie: a="b"; Path=/\r\n\r\n')
        status, *_ = read_response(s)
        assert status == 200
        assert seen['x-a'] == '1, 2' and seen['cookie'] == 'a="b"; Path=/'
        s.close()
    finally:
        srv.close()


def test_a_repeated_head_is_read_alike_and_its_headers_are_each_requests_own():
    """A keep-alive client sends the same head each call (the server reads
    it once): each request still gets headers of its own to change, and a
    head differing in any byte is read afresh."""
    seen = []

    def app(request):
        seen.append((request.method, request.path, request.query, dict(request.headers),
                     request.version, request.body))
        request.headers['x-a'] = 'changed by the app'
        return HttpResponse(200, b'')

    srv = Server(app)
    try:
        s = srv.sock()
        head = b'POST /p?q=1 HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nContent-Length: 3\r\n\r\n'
        s.sendall(head + b'one' + head + b'two' + head.replace(b'X-A: 1', b'X-A: 2') + b'3rd')
        rest = b''
        for _ in range(3):
            status, _, _, rest = read_response(s, rest)
            assert status == 200
        s.sendall(b'POST /p?q=1 HTTP/1.0\r\nHost: x\r\nX-A: 1\r\nContent-Length: 3\r\n\r\nend')
        read_response(s, rest)
        s.close()
    finally:
        srv.close()
    expected = {'host': 'x', 'x-a': '1', 'content-length': '3'}
    assert seen == [('POST', '/p', 'q=1', expected, 'HTTP/1.1', b'one'),
                    ('POST', '/p', 'q=1', expected, 'HTTP/1.1', b'two'),
                    ('POST', '/p', 'q=1', dict(expected, **{'x-a': '2'}), 'HTTP/1.1', b'3rd'),
                    ('POST', '/p', 'q=1', expected, 'HTTP/1.0', b'end')]


# -- the SOAP endpoint's HTTP: cookies, caching ----------------------------------

@pytest.mark.parametrize('header, expected', [
    ('vmware_soap_session="abc"; Path=/; HttpOnly; Secure;', 'abc'),   # pyVmomi's echo
    ('vmware_soap_session=abc', 'abc'),
    ('a=1; vmware_soap_session = "abc" ; b=2', 'abc'),
    ('other=1, vmware_soap_session="q"', 'q'),                # two Cookie headers joined
    ('xvmware_soap_session=abc', None),
    ('xvmware_soap_session=zz; vmware_soap_session="ok"', 'ok'),
    ('vmware_soap_session_old=abc', None),
    ('Path=/; HttpOnly', None),
    ('', None),
])
def test_session_cookie(header, expected):
    from vimsim.server.endpoint import session_cookie
    assert session_cookie(header) == expected


CURRENT_TIME = (b'<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv='
                b'"http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
                b'<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance'
                b'</_this></CurrentTime></soapenv:Body></soapenv:Envelope>')


def _soap_call(port, body, cookie=None):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    headers = {'Content-Type': 'text/xml', 'SOAPAction': '"urn:vim25/8.0.3.0"'}
    if cookie:
        headers['Cookie'] = cookie
    c.request('POST', '/sdk', body=body, headers=headers)
    r = c.getresponse()
    answer = (r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read())
    c.close()
    return answer


def test_a_prefixed_cookie_name_is_no_session(vc_http):
    """`xvmware_soap_session=` used to be taken for the session cookie."""
    si = vc_http.connect()
    cookie = si._stub.cookie
    value = cookie.split('=', 1)[1].split(';')[0]
    status, _, body = _soap_call(vc_http.port, CURRENT_TIME, cookie)
    assert status == 200
    status, _, body = _soap_call(vc_http.port, CURRENT_TIME, 'xvmware_soap_session=' + value)
    assert status == 500 and b'NotAuthenticatedFault' in body


def test_soap_answers_say_no_cache(vc_http):
    """vCenter sends Cache-Control: no-cache on every SOAP answer, faults too."""
    status, headers, _ = _soap_call(vc_http.port, CURRENT_TIME.replace(
        b'CurrentTime', b'RetrieveServiceContent'))
    assert status == 200 and headers['cache-control'] == 'no-cache'
    status, headers, _ = _soap_call(vc_http.port, CURRENT_TIME)
    assert status == 500 and headers['cache-control'] == 'no-cache'


# -- TLS ----------------------------------------------------------------------

def test_tls_server():
    srv = Server(echo_app, tls=True)
    try:
        c = srv.conn()
        for i in range(5):
            c.request('GET', '/tls/%d' % i, headers={'Accept-Encoding': 'gzip'})
            r = c.getresponse()
            assert r.status == 200
            assert r.read() == ('GET /tls/%d? 0 127.0.0.1 True' % i).encode()
        c.request('GET', '/big', headers={'Accept-Encoding': 'gzip'})
        r = c.getresponse()
        assert zlib.decompress(r.read(), 31).startswith(b'<x>abcdefgh')
        c.close()
        # ALPN offering h2 and http/1.1 (curl, browsers) must work too
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(['h2', 'http/1.1'])
        with ctx.wrap_socket(srv.sock()) as s:
            assert s.selected_alpn_protocol() == 'http/1.1'
            s.sendall(b'GET /alpn HTTP/1.1\r\nHost: x\r\n\r\n')
            assert read_response(s)[2].startswith(b'GET /alpn?')
    finally:
        srv.close()


def _unverified_tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def test_a_tls_close_notify_is_answered_and_the_server_goes_on():
    """A client ending TLS with a close_notify (as Python's unwrap does) gets
    the server's, then the connection closes; the server serves on. The
    standard library reads a close_notify as an empty read, not an error."""
    srv = Server(echo_app, tls=True)
    try:
        for _ in range(3):
            with _unverified_tls().wrap_socket(srv.sock()) as s:
                s.sendall(b'GET /one HTTP/1.1\r\nHost: x\r\n\r\n')
                assert read_response(s)[2].startswith(b'GET /one?')
                plain = s.unwrap()        # sends ours, waits for the server's
                assert plain.recv(1) == b''
                plain.close()
        # a request followed at once by a close_notify is still answered
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        raw = srv.sock()
        tls = _unverified_tls().wrap_bio(incoming, outgoing)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                raw.sendall(outgoing.read())
                incoming.write(raw.recv(65536))
        raw.sendall(outgoing.read())
        tls.write(b'GET /last HTTP/1.1\r\nHost: x\r\n\r\n')
        try:
            tls.unwrap()
        except ssl.SSLWantReadError:
            pass
        raw.sendall(outgoing.read())
        answer = b''
        while True:
            data = raw.recv(65536)
            if not data:
                break
            incoming.write(data)
            try:
                answer += tls.read(65536)
            except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                pass
        raw.close()
        assert b'GET /last?' in answer
    finally:
        srv.close()


def test_a_body_of_many_tls_records_arrives_whole():
    """A 3 MB body is some 200 TLS records, read one record at a time and
    handed on together; the echo is the same bytes."""
    srv = Server(echo_app, tls=True)
    try:
        body = os.urandom(3 * 1024 * 1024)
        c = srv.conn(timeout=30)
        c.request('POST', '/body', body=body)
        r = c.getresponse()
        assert (r.status, r.read()) == (200, body)
        c.close()
    finally:
        srv.close()


def test_a_failed_tls_handshake_closes_only_that_connection():
    srv = Server(echo_app, tls=True)
    try:
        with srv.sock() as raw:
            raw.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')    # plain HTTP to TLS
            while raw.recv(65536):
                pass
        c = srv.conn()
        c.request('GET', '/after')
        assert c.getresponse().read().startswith(b'GET /after?')
        c.close()
    finally:
        srv.close()


def test_self_signed_certificate():
    from cryptography import x509
    from vimsim.server.tls import context_factory, self_signed
    cert_pem, key_pem = self_signed(('vc.example.com', '127.0.0.1', '::1'))
    cert = x509.load_pem_x509_certificate(cert_pem)
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert cn == 'vc.example.com'
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ['vc.example.com']
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ['127.0.0.1', '::1']
    life = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert 365 <= life.days <= 367
    assert isinstance(context_factory(cert_pem, key_pem), ssl.SSLContext)
    other_key = self_signed(('vc.example.com',))[1]
    with pytest.raises(ValueError, match='do not load'):
        context_factory(cert_pem, other_key)
    with pytest.raises(ValueError, match='no certificate'):
        context_factory(key_pem, key_pem)


def test_given_certificate_files(tmp_path):
    from vimsim.server.tls import load_pair, self_signed
    cert_pem, key_pem = self_signed(('localhost',))
    (tmp_path / 'c.pem').write_bytes(cert_pem)
    (tmp_path / 'k.pem').write_bytes(key_pem)
    cert, key = load_pair(str(tmp_path / 'c.pem'), str(tmp_path / 'k.pem'))
    srv = Server(echo_app, tls=True, cert_pem=cert, key_pem=key)
    try:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with ctx.wrap_socket(srv.sock()) as s:
            assert s.getpeercert(binary_form=True) == ssl.PEM_cert_to_DER_cert(cert_pem.decode())
    finally:
        srv.close()


def _served_certificate(srv):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with ctx.wrap_socket(srv.sock()) as s:
        return s.getpeercert(binary_form=True)


def _serve_once(cache):
    """The certificate a TLS listener without certificate files serves, with
    `cache` as the cache directory, and the file it keeps there."""
    srv = Server(echo_app, tls=True)
    try:
        served = _served_certificate(srv)
    finally:
        srv.close()
    kept = list(cache.glob('vimsim/tls-*.pem'))
    assert len(kept) == 1
    return served, kept[0]


def _kept_certificate(kept):
    """The DER certificate of a kept file (the certificate, then its key)."""
    text = kept.read_text()
    end = text.index('-----END CERTIFICATE-----') + len('-----END CERTIFICATE-----')
    return ssl.PEM_cert_to_DER_cert(text[:end])


def test_self_signed_certificate_is_kept_for_the_next_start(tmp_path, monkeypatch):
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))
    first, kept = _serve_once(tmp_path)
    assert kept.stat().st_mode & 0o777 == 0o600     # it holds the private key
    assert _kept_certificate(kept) == first
    again, _ = _serve_once(tmp_path)
    assert again == first


@pytest.mark.parametrize('spoil', ['garbage', 'expiring', 'other key'])
def test_a_kept_certificate_not_fit_to_serve_is_made_again(tmp_path, monkeypatch, spoil):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from vimsim.server.tls import self_signed
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))
    first, kept = _serve_once(tmp_path)
    text = kept.read_bytes()
    key_at = text.index(b'-----BEGIN PRIVATE KEY')
    if spoil == 'garbage':
        kept.write_bytes(b'not a certificate')
    elif spoil == 'other key':
        kept.write_bytes(text[:key_at] + self_signed(['localhost'])[1])
    else:         # valid for 10 days more: inside the renewal margin
        key = serialization.load_pem_private_key(text[key_at:], password=None)
        old = x509.load_pem_x509_certificate(text[:key_at])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(old.subject).issuer_name(old.issuer)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=355))
                .not_valid_after(now + datetime.timedelta(days=10)).sign(key, hashes.SHA256()))
        kept.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + text[key_at:])
    served, kept = _serve_once(tmp_path)
    assert served != first
    assert _kept_certificate(kept) == served
    cert = x509.load_der_x509_certificate(served)
    assert cert.not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc) > \
        datetime.timedelta(days=360)


def test_no_cache_directory_still_serves_tls(monkeypatch):
    monkeypatch.setenv('XDG_CACHE_HOME', '/proc/nonexistent')
    srv = Server(echo_app, tls=True)
    try:
        assert _served_certificate(srv)
    finally:
        srv.close()


# -- documents ----------------------------------------------------------------

VERSIONS = ['2.0', '2.5', '2.5u2', '2.5u2server', '4.0', '4.1', '5.0', '5.1', '5.5',
            '6.0', '6.5', '6.7', '6.7.1', '6.7.2', '6.7.3', '6.8.7', '6.9.1',
            '7.0.0.0', '8.0.0.0', '8.0.3.0', '9.0.0.0', '9.1.0.0', 'm5CA1EF4D', '9.1.1.0']


def test_versions_document():
    body = versions_xml('9.1.1.0', VERSIONS)
    assert body == (
        b'<?xml version="1.0" encoding="UTF-8" ?><namespaces version="1.0"><namespace>'
        b'<name>urn:vim25</name><version>9.1.1.0</version><priorVersions>'
        b'<version>9.1.0.0</version><version>9.0.0.0</version><version>8.0.3.0</version>'
        b'<version>8.0.0.0</version><version>7.0.0.0</version><version>6.9.1</version>'
        b'<version>6.8.7</version><version>6.7.3</version><version>6.7.2</version>'
        b'<version>6.7.1</version><version>6.7</version><version>6.5</version>'
        b'<version>6.0</version><version>5.5</version><version>5.1</version>'
        b'<version>5.0</version><version>4.1</version><version>4.0</version>'
        b'</priorVersions></namespace></namespaces>\n')
    assert prior_versions('6.0', VERSIONS) == ['5.5', '5.1', '5.0', '4.1', '4.0']
    assert prior_versions('4.0', VERSIONS) == []


def test_versions_document_parses_in_pyvmomi_style():
    from lxml import etree
    root = etree.fromstring(versions_xml('8.0.3.0', VERSIONS))
    assert root.tag == 'namespaces' and root.get('version') == '1.0'
    ns = root.find('namespace')
    assert ns.findtext('version') == '8.0.3.0'
    assert [v.text for v in ns.find('priorVersions')][:2] == ['8.0.0.0', '7.0.0.0']


SYN_SERVICE = b'''<?xml version="1.0" encoding="UTF-8"?>
<!-- synthetic -->
<definitions targetNamespace="urn:vim25Service" xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:interface="urn:vim25">
   <import location="vim.wsdl" namespace="urn:vim25"/>
   <service name="VimService"><port binding="interface:VimBinding" name="VimPort"><soap:address location="https://localhost/sdk"/></port></service>
</definitions>
'''
SYN_WSDL = b'''<?xml version="1.0" encoding="UTF-8"?>
<definitions targetNamespace="urn:vim25" xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:vim25="urn:vim25" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:vimsim="urn:vimsim">
   <types>
      <schema targetNamespace="urn:vim25" xmlns="http://www.w3.org/2001/XMLSchema" xmlns:vim25="urn:vim25" xmlns:vimsim="urn:vimsim" elementFormDefault="qualified">
         <include schemaLocation="vim-messagetypes.xsd"/>
         <element name="OldFaultFault" type="vim25:OldFault" vimsim:since="4.0"/>
         <element name="NewFaultFault" type="vim25:NewFault" vimsim:since="8.0.0.0"/>
         <element name="OldOp" type="vim25:OldOpRequestType" vimsim:since="4.0"/>
         <element name="OldOpResponse" vimsim:since="4.0"><complexType><sequence><element name="returnval" type="vim25:Thing" vimsim:since="4.0"/></sequence></complexType></element>
         <element name="NewOp" type="vim25:NewOpRequestType" vimsim:since="9.0.0.0"/>
         <element name="NewOpResponse" vimsim:since="9.0.0.0"/>
      </schema>
   </types>
   <message name="OldFaultFaultMsg" vimsim:since="4.0"><part name="fault" element="vim25:OldFaultFault"/></message>
   <message name="NewFaultFaultMsg" vimsim:since="4.0"><part name="fault" element="vim25:NewFaultFault"/></message>
   <message name="OldOpRequestMsg" vimsim:since="4.0"><part name="parameters" element="vim25:OldOp"/></message>
   <message name="OldOpResponseMsg" vimsim:since="4.0"><part name="parameters" element="vim25:OldOpResponse"/></message>
   <message name="NewOpRequestMsg" vimsim:since="4.0"><part name="parameters" element="vim25:NewOp"/></message>
   <message name="NewOpResponseMsg" vimsim:since="4.0"><part name="parameters" element="vim25:NewOpResponse"/></message>
   <portType name="VimPortType">
      <operation name="OldOp" vimsim:since="4.0">
         <input message="vim25:OldOpRequestMsg"/>
         <output message="vim25:OldOpResponseMsg"/>
         <fault name="OldFaultFault" message="vim25:OldFaultFaultMsg"/>
         <fault name="NewFaultFault" message="vim25:NewFaultFaultMsg"/>
      </operation>
      <operation name="NewOp">
         <input message="vim25:NewOpRequestMsg"/>
         <output message="vim25:NewOpResponseMsg"/>
      </operation>
   </portType>
   <binding name="VimBinding" type="vim25:VimPortType">
      <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
      <operation name="OldOp" vimsim:since="4.0">
         <soap:operation soapAction="urn:vim25/9.1.1.0" style="document"/>
         <input><soap:body use="literal"/></input>
         <output><soap:body use="literal"/></output>
         <fault name="OldFaultFault"><soap:fault name="OldFaultFault" use="literal"/></fault>
         <fault name="NewFaultFault"><soap:fault name="NewFaultFault" use="literal"/></fault>
      </operation>
      <operation name="NewOp">
         <soap:operation soapAction="urn:vim25/9.1.1.0" style="document"/>
         <input><soap:body use="literal"/></input>
         <output><soap:body use="literal"/></output>
      </operation>
   </binding>
</definitions>
'''
SYN_MESSAGES = b'''<?xml version="1.0" encoding="UTF-8"?>
<schema targetNamespace="urn:vim25" xmlns="http://www.w3.org/2001/XMLSchema" xmlns:vim25="urn:vim25" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:vimsim="urn:vimsim" elementFormDefault="qualified">
   <include schemaLocation="vim-types.xsd"/>
   <complexType name="OldOpRequestType" vimsim:since="4.0">
      <sequence>
         <element name="_this" type="vim25:ManagedObjectReference" vimsim:since="4.0"/>
         <element name="spec" type="vim25:NewThing" minOccurs="0" vimsim:since="4.0"/>
         <element name="flag" type="xsd:boolean" minOccurs="0" vimsim:since="6.7"/>
      </sequence>
   </complexType>
   <complexType name="NewOpRequestType" vimsim:since="9.0.0.0">
      <sequence><element name="_this" type="vim25:ManagedObjectReference" vimsim:since="9.0.0.0"/></sequence>
   </complexType>
</schema>
'''
SYN_TYPES = b'''<?xml version="1.0" encoding="UTF-8"?>
<schema targetNamespace="urn:vim25" xmlns="http://www.w3.org/2001/XMLSchema" xmlns:vim25="urn:vim25" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:vimsim="urn:vimsim" elementFormDefault="qualified">
   <complexType name="ManagedObjectReference" vimsim:since="2.0">
      <simpleContent><extension base="xsd:string"><attribute name="type" type="xsd:string"/></extension></simpleContent>
   </complexType>
   <complexType name="Thing" vimsim:since="2.0">
      <sequence>
         <element name="name" type="xsd:string" vimsim:since="2.0"/>
         <element name="color" type="vim25:Color" minOccurs="0" vimsim:since="6.5"/>
         <element name="newer" type="vim25:NewThing" minOccurs="0" vimsim:since="5.0"/>
      </sequence>
   </complexType>
   <complexType name="NewThing" vimsim:since="7.0.0.0">
      <sequence><element name="x" type="xsd:int" vimsim:since="7.0.0.0"/></sequence>
   </complexType>
   <complexType name="NewerThing" vimsim:since="4.0">
      <complexContent><extension base="vim25:NewThing"><sequence/></extension></complexContent>
   </complexType>
   <complexType name="OldFault" vimsim:since="4.0"><sequence/></complexType>
   <complexType name="NewFault" vimsim:since="8.0.0.0"><sequence/></complexType>
   <simpleType name="Color" vimsim:since="6.5">
      <restriction base="xsd:string">
         <enumeration value="red" vimsim:since="6.5"/>
         <enumeration value="blue" vimsim:since="6.7.1"/>
      </restriction>
   </simpleType>
</schema>
'''


@pytest.fixture
def wsdl_dir(tmp_path):
    (tmp_path / 'vimService.wsdl').write_bytes(SYN_SERVICE)
    (tmp_path / 'vim.wsdl').write_bytes(SYN_WSDL)
    (tmp_path / 'vim-messagetypes.xsd').write_bytes(SYN_MESSAGES)
    (tmp_path / 'vim-types.xsd').write_bytes(SYN_TYPES)
    (tmp_path / 'vim-managedtypes.xsd').write_bytes(SYN_TYPES)
    return str(tmp_path)


def _get(docs, path, query='', method='GET'):
    from vimsim.server.http import HttpRequest
    return docs.handle(HttpRequest(method, path, query))


def test_documents_newest_verbatim(wsdl_dir):
    docs = Documents(wsdl_dir, '9.1.1.0', VERSIONS)
    assert _get(docs, '/sdk/vimService.wsdl').body == SYN_SERVICE
    assert _get(docs, '/sdk/vimService', 'wsdl').body == SYN_SERVICE
    assert _get(docs, '/sdk/vim.wsdl').body == SYN_WSDL
    r = _get(docs, '/sdk/vim-types.xsd')
    assert r.body == SYN_TYPES and r.content_type.startswith('text/xml')
    assert _get(docs, '/sdk/vim-managedtypes.xsd') is None
    assert _get(docs, '/sdk/nothing.xsd') is None
    assert _get(docs, '/sdk/../vim.wsdl') is None
    assert _get(docs, '/other') is None
    assert _get(docs, '/sdk/vim.wsdl', method='POST') is None
    r = _get(docs, '/sdk/vimServiceVersions.xml')
    assert r.status == 200 and r.body == versions_xml('9.1.1.0', VERSIONS)


def test_documents_filtered(wsdl_dir):
    from lxml import etree
    docs = Documents(wsdl_dir, '6.7', VERSIONS)
    types = etree.fromstring(docs.document('vim-types.xsd'))
    names = [t.get('name') for t in types]
    # NewThing is too new; NewerThing extends it and goes along
    assert names == ['ManagedObjectReference', 'Thing', 'OldFault', 'Color']
    thing = types[1]
    assert [e.get('name') for e in thing.iter('{*}element')] == ['name', 'color']
    assert [e.get('value') for e in types.iter('{*}enumeration')] == ['red']
    msgs = etree.fromstring(docs.document('vim-messagetypes.xsd'))
    assert [t.get('name') for t in msgs.iterchildren('{*}complexType')] == ['OldOpRequestType']
    assert [e.get('name') for e in msgs.iter('{*}element')] == ['_this', 'flag']
    wsdl = etree.fromstring(docs.document('vim.wsdl'))
    assert [m.get('name') for m in wsdl.iterchildren('{*}message')] == [
        'OldFaultFaultMsg', 'OldOpRequestMsg', 'OldOpResponseMsg']
    port_ops = wsdl.find('{*}portType').findall('{*}operation')
    assert [o.get('name') for o in port_ops] == ['OldOp']
    assert [f.get('name') for f in port_ops[0].findall('{*}fault')] == ['OldFaultFault']
    bind_ops = wsdl.find('{*}binding').findall('{*}operation')
    assert [o.get('name') for o in bind_ops] == ['OldOp']
    assert [f.get('name') for f in bind_ops[0].findall('{*}fault')] == ['OldFaultFault']
    assert {e.get('soapAction') for e in wsdl.iter('{*}operation') if e.get('soapAction')} == {
        'urn:vim25/6.7'}
    # the prolog survives; the bytes are cached
    assert docs.document('vim.wsdl').startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert docs.document('vim.wsdl') is docs.document('vim.wsdl')
    assert docs.document('vimService.wsdl') == SYN_SERVICE
    assert _get(docs, '/sdk/vim-managedtypes.xsd') is None
    # one version further, blue appears
    docs2 = Documents(wsdl_dir, '6.7.1', VERSIONS)
    assert b'value="blue"' in docs2.document('vim-types.xsd')
    assert b'value="blue"' not in docs.document('vim-types.xsd')
    body = _get(docs, '/sdk/vimServiceVersions.xml').body
    assert b'<version>6.7</version><priorVersions><version>6.5</version>' in body


def test_documents_real_files_if_present():
    """The generated files, filtered to an old version, still compile as schemas."""
    from lxml import etree
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates = [os.path.join(here, 'wsdl'), os.path.join(here, 'vimsim', 'wsdl')]
    wdir = next((d for d in candidates if os.path.exists(os.path.join(d, 'vim.wsdl'))), None)
    if wdir is None:
        pytest.skip('no generated WSDL yet')
    versions = ['2.0', '2.5', '2.5u2', '2.5u2server', '4.0', '4.1', '5.0', '5.1', '5.5',
                '6.0', '6.5', '6.7', '6.7.1', '6.7.2', '6.7.3', '6.8.7', '6.9.1', '7.0.0.0',
                '7.0.0.1', '7.0.0.2', '7.0.1.0', '7.0.1.1', '7.0.2.0', '7.0.2.1', '7.0.3.0',
                '7.0.3.1', '7.0.3.2', '8.0.0.0', '8.0.0.1', '8.0.0.2', '8.0.1.0', '8.0.2.0',
                '8.0.3.0', '8.0.3.1', '9.0.0.0', '9.1.0.0', '9.1.1.0']
    docs = Documents(wdir, '6.5', versions)
    wsdl = etree.fromstring(docs.document('vim.wsdl'))
    assert not [e for e in wsdl.iter() if isinstance(e.tag, str) and
                e.get('{urn:vimsim}since') in versions[versions.index('6.5') + 1:]]
    assert docs.document('vim-managedtypes.xsd') is None
    import tempfile
    with tempfile.TemporaryDirectory() as out:
        for name in ('vim-messagetypes.xsd', 'vim-types.xsd', 'core-types.xsd',
                     'query-types.xsd', 'query-messagetypes.xsd', 'reflect-types.xsd',
                     'reflect-messagetypes.xsd'):
            data = docs.document(name)
            if data is not None:
                with open(os.path.join(out, name), 'wb') as f:
                    f.write(data)
        etree.XMLSchema(etree.parse(os.path.join(out, 'vim-messagetypes.xsd')))


def test_make_app_routes():
    calls = []

    def soap(request):
        calls.append(request.path)
        return HttpResponse(200, b'<soap/>')

    class Docs:
        def handle(self, request):
            if request.path == '/sdk/vimServiceVersions.xml':
                return HttpResponse(200, b'<namespaces/>')
            return None

    srv = Server(make_app(soap, Docs()))
    try:
        c = srv.conn()
        for path in ('/sdk', '/sdk/vimService', '/sdk/vimService.wsdl'):
            c.request('POST', path, body=b'<x/>')
            assert c.getresponse().read() == b'<soap/>'
        c.request('GET', '/sdk/vimServiceVersions.xml')
        assert c.getresponse().read() == b'<namespaces/>'
        c.request('GET', '/nothing')
        r = c.getresponse()
        assert r.status == 404
        r.read()
        c.request('POST', '/elsewhere', body=b'')
        r = c.getresponse()
        assert r.status == 404
        r.read()
        assert calls == ['/sdk', '/sdk/vimService', '/sdk/vimService.wsdl']
        c.close()
    finally:
        srv.close()


@pytest.mark.parametrize('not_after', ['2049-12-31T23:59:59', '2050-01-01T00:00:00'],
                         ids=['UTCTime', 'GeneralizedTime'])
def test_a_kept_certificate_validity_is_read_from_its_der(not_after):
    """server/tls.py reads a kept certificate's validity from its DER, by
    hand: what cryptography reads (RFC 5280 encodes years through 2049 as
    UTCTime, later ones as GeneralizedTime)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from vimsim.server import tls
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'vimsim')])
    utc = datetime.timezone.utc
    before = datetime.datetime(1999, 12, 31, 23, 59, 58, tzinfo=utc)
    after = datetime.datetime.fromisoformat(not_after).replace(tzinfo=utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7)
            .not_valid_before(before).not_valid_after(after).sign(key, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    assert tls._validity(der) == (cert.not_valid_before_utc, cert.not_valid_after_utc) \
        == (before, after)
