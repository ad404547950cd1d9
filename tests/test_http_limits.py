"""Limits of the HTTP front over raw sockets: timeouts, the connection cap,
the budget of buffered request bytes, hostile framing, and streamed
responses that never hold other connections up."""
import gzip
import re
import socket
import threading
import time

import pytest
from twisted.internet import defer, reactor

from tests.conftest import on_reactor
from tests.test_http import Server, at_eof, echo_app, read_response
from vimsim.schema import MoRef
from vimsim.server.http import HttpLimits, HttpResponse

FAST = dict(idle_timeout=0.6, header_timeout=0.6, body_timeout=0.6,
            tls_handshake_timeout=0.6)


def read_chunked(sock, buf=b''):
    """Read one response whose body may be chunked or close-delimited:
    (status, headers, body, rest)."""
    while b'\r\n\r\n' not in buf:
        data = sock.recv(65536)
        if not data:
            raise EOFError(buf)
        buf += data
    head, _, buf = buf.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(':')
        headers[k.strip().lower()] = v.strip()
    status = int(lines[0].split(' ')[1])
    if 'content-length' in headers:
        n = int(headers['content-length'])
        while len(buf) < n:
            buf += _recv(sock)
        return status, headers, buf[:n], buf[n:]
    if headers.get('transfer-encoding') != 'chunked':     # until the close
        while True:
            data = sock.recv(65536)
            if not data:
                return status, headers, buf, b''
            buf += data
    body = []
    while True:
        while b'\r\n' not in buf:
            buf += _recv(sock)
        line, _, buf = buf.partition(b'\r\n')
        size = int(line, 16)
        while len(buf) < size + 2:
            buf += _recv(sock)
        assert buf[size:size + 2] == b'\r\n'
        body.append(buf[:size])
        buf = buf[size + 2:]
        if size == 0:
            return status, headers, b''.join(body), buf


def _recv(sock):
    data = sock.recv(65536)
    if not data:
        raise EOFError('connection closed mid-response')
    return data


def get(server, path='/ok'):
    c = server.conn()
    try:
        c.request('GET', path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


@pytest.fixture
def fast():
    s = Server(echo_app, limits=HttpLimits(**FAST))
    yield s
    s.close()


# -- framing --------------------------------------------------------------------

@pytest.mark.parametrize('value', [b'\xb2', b'\xb9', b'\xc2\xb2', b'+5', b'0x5', b'5 5'])
def test_odd_content_length_is_400(value):
    """Unicode digits ('²') used to drop the connection without an answer."""
    server = Server(echo_app)
    s = server.sock()
    s.sendall(b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ' + value + b'\r\n\r\nhello')
    status, headers, body, _ = read_response(s)
    assert status == 400 and headers['connection'] == 'close'
    assert at_eof(s)
    server.close()


def test_http2_preface_and_versions(fast):
    s = fast.sock()
    s.sendall(b'GET / HTTP/2.0\r\nHost: x\r\n\r\n')
    assert read_response(s)[0] == 505
    s = fast.sock()
    s.sendall(b'GET / HTTP/1.2\r\nHost: x\r\n\r\n')
    assert read_response(s)[0] == 400


def test_tiny_chunks_are_refused(fast):
    """A body of one-byte chunks costs a parser callback per byte: refused."""
    s = fast.sock()
    s.sendall(b'POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
              + b'1\r\nx\r\n' * 4000 + b'0\r\n\r\n')
    status, headers, body, _ = read_response(s)
    assert status == 400 and b'small chunks' in body
    # ordinary chunk sizes are fine
    s = fast.sock()
    s.sendall(b'POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
              + b'40\r\n' + b'y' * 64 + b'\r\n' + (b'40\r\n' + b'z' * 64 + b'\r\n') * 3000
              + b'0\r\n\r\n')
    status, _, body, _ = read_response(s)
    assert status == 200 and len(body) == 64 * 3001


def test_pipelined_413_answers_after_the_request_before_it(fast):
    s = fast.sock()
    s.sendall(b'GET /later/0.2 HTTP/1.1\r\nHost: x\r\n\r\n'
              b'POST /sdk HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n')
    status, _, body, rest = read_response(s)
    assert status == 200 and body == b'later /later/0.2'
    status, headers, _, _ = read_response(s, rest)
    assert status == 413 and headers['connection'] == 'close'


def test_expect_continue_waits_for_its_turn(fast):
    """The 100 Continue of a pipelined request must not land inside the
    response before it."""
    s = fast.sock()
    s.sendall(b'GET /later/0.2 HTTP/1.1\r\nHost: x\r\n\r\n'
              b'POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n'
              b'Expect: 100-continue\r\n\r\n')
    status, _, body, rest = read_response(s)
    assert body == b'later /later/0.2'
    while b'\r\n\r\n' not in rest:
        rest += s.recv(100)
    assert rest == b'HTTP/1.1 100 Continue\r\n\r\n'
    s.sendall(b'abc')
    assert read_response(s)[2] == b'abc'


# -- timeouts -------------------------------------------------------------------

def test_slow_header_is_timed_out(fast):
    """Slowloris: a head trickling in never completes; the header timeout
    answers 408 and closes, and other clients are served meanwhile."""
    s = fast.sock()
    start = time.monotonic()
    s.sendall(b'GET / HTTP/1.1\r\n')
    closed = False
    buf = b''
    for _ in range(40):
        try:
            s.sendall(b'X-A: b\r\n')
        except OSError:
            closed = True
            break
        s.settimeout(0.1)
        try:
            data = s.recv(65536)
            if not data:
                closed = True
                break
            buf += data
        except socket.timeout:
            pass
    assert closed or buf, 'the trickling head was never timed out'
    assert buf.startswith(b'HTTP/1.1 408 ')
    assert time.monotonic() - start < 3
    assert get(fast) == (200, b'GET /ok? 0 127.0.0.1 False')


def test_silent_connection_and_idle_keep_alive_are_closed(fast):
    silent = fast.sock()
    c = fast.conn()
    c.request('GET', '/one')
    assert c.getresponse().read().startswith(b'GET /one')
    start = time.monotonic()
    assert at_eof(silent, timeout=3)
    assert at_eof(c.sock, timeout=3)
    assert time.monotonic() - start < 3


def test_idle_timeout_does_not_touch_a_long_answer():
    """A long poll (the app's Deferred pending) outlives every timeout."""
    s = Server(echo_app, limits=HttpLimits(**FAST))
    try:
        c = s.conn()
        c.request('GET', '/later/1.5')
        assert c.getresponse().read() == b'later /later/1.5'
    finally:
        s.close()


def test_stalled_body_is_timed_out(fast):
    s = fast.sock()
    s.sendall(b'POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' + b'x' * 10)
    start = time.monotonic()
    status, headers, _, _ = read_response(s)
    assert status == 408 and headers['connection'] == 'close'
    assert time.monotonic() - start < 3


def test_slow_body_is_timed_out(fast):
    """Progress is a rate, not just any byte: a byte at a time is too slow."""
    s = fast.sock()
    s.sendall(b'POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n')
    start = time.monotonic()
    buf = b''
    s.settimeout(0.05)
    while time.monotonic() - start < 5 and not buf:
        try:
            s.sendall(b'x')
            buf = s.recv(65536)
        except socket.timeout:
            pass
        except OSError:
            break
    assert buf.startswith(b'HTTP/1.1 408 ')


def test_tls_handshake_timeout():
    s = Server(echo_app, tls=True, limits=HttpLimits(**FAST))
    try:
        raw = s.sock()
        start = time.monotonic()
        raw.sendall(b'\x16\x03\x01')          # the start of a ClientHello, no more
        assert at_eof(raw, timeout=3)
        assert time.monotonic() - start < 3
    finally:
        s.close()


# -- the connection cap ------------------------------------------------------------

def test_cap_evicts_the_oldest_unfinished_head():
    s = Server(echo_app, limits=HttpLimits(max_connections=3))
    try:
        slow = []
        for _ in range(3):
            sock = s.sock()
            sock.sendall(b'GET / HTTP/1.1\r\n')     # a head that never ends
            slow.append(sock)
            time.sleep(0.05)
        assert get(s) == (200, b'GET /ok? 0 127.0.0.1 False')
        assert at_eof(slow[0], timeout=2)          # the oldest made room
        assert not at_eof(slow[2], timeout=0.2)
    finally:
        s.close()


def test_cap_refuses_with_503_when_nothing_can_go():
    s = Server(echo_app, limits=HttpLimits(max_connections=2))
    try:
        busy = []
        for _ in range(2):       # keep-alive clients between requests: not evicted
            c = s.conn()
            c.request('GET', '/a')
            c.getresponse().read()
            busy.append(c)
        sock = s.sock()
        status, headers, _, _ = read_response(sock)
        assert status == 503 and headers['connection'] == 'close'
        busy[0].close()
        time.sleep(0.2)
        assert get(s)[0] == 200
    finally:
        s.close()


# -- the buffered-bytes budget -------------------------------------------------------

def test_budget_pauses_readers_and_every_body_completes():
    """Four 1 MB bodies against a 1.5 MB budget: the buffered bytes stay near
    the budget (plus the one body that always keeps reading) and all four
    complete."""
    peaks = []
    factory_holder = []

    def app(request):
        peaks.append(factory_holder[0].budget.used)
        return HttpResponse(200, b'%d' % len(request.body))

    s = Server(app, limits=HttpLimits(max_buffered=1536 * 1024, max_body=2 * 1024 * 1024))
    factory_holder.append(s.port_obj.factory)
    try:
        body = b'b' * (1024 * 1024)
        socks = [s.sock() for _ in range(4)]
        for sock in socks:
            sock.sendall(b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n' % len(body))
        senders = [threading.Thread(target=sock.sendall, args=(body,), daemon=True)
                   for sock in socks]
        for t in senders:
            t.start()
        for sock in socks:
            status, _, answer, _ = read_response(sock)
            assert (status, answer) == (200, b'1048576')
        assert max(peaks) <= 1536 * 1024 + 2 * 1024 * 1024
        assert on_reactor(lambda: factory_holder[0].budget.used) == 0
    finally:
        s.close()


# -- streamed responses ----------------------------------------------------------------

def stream_app(request):
    """/stream/N/SIZE: N pieces of SIZE bytes; /fail: fails after a piece;
    /small: a stream that turns out small."""
    parts = request.path.split('/')
    if parts[1] == 'stream':
        count, size = int(parts[2]), int(parts[3])
        return HttpResponse(200, (b'%08d' % i + b'p' * (size - 8) for i in range(count)))
    if parts[1] == 'small':
        return HttpResponse(200, iter([b'<a>', b'b', b'</a>']))
    if parts[1] == 'fail':
        def pieces():
            yield b'x' * 100000
            raise RuntimeError('broken stream')
        return HttpResponse(200, pieces())
    return echo_app(request)


@pytest.fixture(scope='module')
def streaming():
    s = Server(stream_app)
    yield s
    s.close()


def test_stream_is_chunked_and_whole(streaming):
    s = streaming.sock()
    s.sendall(b'GET /stream/500/1000 HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n')
    status, headers, body, rest = read_chunked(s)
    assert status == 200 and headers['transfer-encoding'] == 'chunked'
    assert 'content-length' not in headers
    assert body == b''.join(b'%08d' % i + b'p' * 992 for i in range(500))
    status, _, body, _ = read_chunked(s, rest)   # the connection goes on
    assert body.startswith(b'GET /after?')


def test_small_stream_gets_content_length(streaming):
    s = streaming.sock()
    s.sendall(b'GET /small HTTP/1.1\r\nHost: x\r\n\r\n')
    status, headers, body, _ = read_response(s)
    assert body == b'<a>b</a>' and 'transfer-encoding' not in headers


def test_stream_gzipped(streaming):
    s = streaming.sock()
    s.sendall(b'GET /stream/300/1000 HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n')
    status, headers, body, _ = read_chunked(s)
    assert headers['content-encoding'] == 'gzip'
    assert gzip.decompress(body) == b''.join(b'%08d' % i + b'p' * 992 for i in range(300))


def test_stream_to_http10_is_close_delimited(streaming):
    s = streaming.sock()
    s.sendall(b'GET /stream/100/1000 HTTP/1.0\r\n\r\n')
    status, headers, body, _ = read_chunked(s)
    assert headers['connection'] == 'close' and 'transfer-encoding' not in headers
    assert len(body) == 100000


def test_failing_stream_is_cut_not_completed(streaming):
    """Once the head is out a failure cannot be answered: the connection is
    aborted, so the client sees a truncated answer rather than a whole one."""
    s = streaming.sock()
    s.sendall(b'GET /fail HTTP/1.1\r\nHost: x\r\n\r\n')
    with pytest.raises((EOFError, ConnectionResetError)):
        read_chunked(s)
    assert get(streaming)[0] == 200


def test_stream_yields_to_other_connections(streaming):
    """While one client receives a long stream, another is answered at once."""
    big = streaming.sock()
    big.sendall(b'GET /stream/20000/4000 HTTP/1.1\r\nHost: x\r\n\r\n')
    big.recv(65536)                      # the stream is under way
    assert get(streaming)[0] == 200    # the stream waits on its reader; this does not
    big.close()


def test_unread_stream_is_not_pulled_ahead():
    """A client that stops reading: the stream is paused by back-pressure,
    not encoded into memory; its departure closes the stream."""
    pulled = []
    closed = threading.Event()

    def app(request):
        def pieces():
            try:
                for i in range(100000):
                    pulled.append(i)
                    yield b'q' * 10000
            finally:
                closed.set()
        return HttpResponse(200, pieces())

    s = Server(app)
    try:
        sock = s.sock()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        time.sleep(1.0)
        assert len(pulled) < 2000          # well under the 1 GB the stream holds
        sock.close()
        assert closed.wait(5)
    finally:
        s.close()


def test_deferred_stream_and_cancel():
    """A Deferred that fires with a stream; the client leaving mid-stream
    stops it."""
    def app(request):
        d = defer.Deferred()
        reactor.callLater(0.05, d.callback, HttpResponse(200, (b'z' * 1000 for _ in range(200))))
        return d

    s = Server(app)
    try:
        sock = s.sock()
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        assert len(read_chunked(sock)[2]) == 200000
    finally:
        s.close()


# -- big SOAP answers: planned in slices, streamed as encoded -----------------------

ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
            'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>%s'
            '</soapenv:Body></soapenv:Envelope>')
STABLE_PATHS = ('name', 'config.hardware.memoryMB', 'runtime.powerState', 'config.uuid')


def soap(sock, body, cookie=None, rest=b''):
    payload = (ENVELOPE % body).encode()
    head = ('POST /sdk HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n'
            'SOAPAction: "urn:vim25/8.0.3.0"\r\nContent-Length: %d\r\n' % len(payload))
    if cookie:
        head += 'Cookie: %s\r\n' % cookie
    sock.sendall(head.encode() + b'\r\n' + payload)
    return read_chunked(sock, rest)


def login(sock):
    status, headers, _, _ = soap(sock, '<Login xmlns="urn:vim25"><_this type="SessionManager">'
                                       'SessionManager</_this><userName>u</userName>'
                                       '<password>p</password></Login>')
    assert status == 200
    return headers['set-cookie'].split(';')[0]


def retrieve_body(refs, paths=STABLE_PATHS, method='RetrievePropertiesEx', max_objects=None):
    props = ''.join('<pathSet>%s</pathSet>' % p for p in paths)
    objects = ''.join('<objectSet><obj type="VirtualMachine">%s</obj></objectSet>' % r
                      for r in refs)
    options = '' if method == 'RetrieveProperties' else (
        '<options><maxObjects>%d</maxObjects></options>' % max_objects if max_objects
        else '<options/>')
    return ('<%s xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector</_this>'
            '<specSet><propSet><type>VirtualMachine</type>%s</propSet>%s</specSet>%s</%s>'
            % (method, props, objects, options, method))


@pytest.fixture(scope='module')
def many(validator):
    from tests.conftest import _simulator
    running = _simulator(validator, tls=False, vm=300)      # 600 VMs
    running.vms = on_reactor(lambda: [o.ref.value for o in running.sim.objects
                                      if o.type_name == 'VirtualMachine'])
    return running


def many_sock(many):
    return socket.create_connection(('127.0.0.1', many.port), timeout=30)


def unstreamed(function, *args):
    """Run `function` with streaming switched off (the old, whole answer)."""
    from vimsim.managed.service import property_collector
    saved = property_collector.STREAM_MIN
    property_collector.STREAM_MIN = 10 ** 9
    try:
        return function(*args)
    finally:
        property_collector.STREAM_MIN = saved


@pytest.mark.parametrize('method', ['RetrievePropertiesEx', 'RetrieveProperties'])
def test_big_retrieve_is_streamed_and_equal_to_the_whole_answer(many, method):
    s = many_sock(many)
    cookie = login(s)
    request = retrieve_body(many.vms, method=method)
    status, headers, streamed, _ = soap(s, request, cookie)
    assert status == 200 and headers['transfer-encoding'] == 'chunked'
    assert headers['cache-control'] == 'no-cache'
    status, headers, whole, _ = unstreamed(soap, s, request, cookie)
    assert status == 200 and 'content-length' in headers
    assert streamed == whole and streamed.count(b'<name>config.uuid</name>') == len(many.vms)


def test_big_retrieve_pages_streamed(many):
    s = many_sock(many)
    cookie = login(s)
    status, _, first, _ = soap(s, retrieve_body(many.vms, max_objects=400), cookie)
    assert status == 200 and first.count(b'<objects>') == 400
    token = first.split(b'<token>')[1].split(b'</token>')[0].decode()
    status, _, second, _ = soap(s, '<ContinueRetrievePropertiesEx xmlns="urn:vim25"><_this '
                                   'type="PropertyCollector">propertyCollector</_this><token>%s'
                                   '</token></ContinueRetrievePropertiesEx>' % token, cookie)
    assert status == 200 and second.count(b'<objects>') == len(many.vms) - 400
    assert b'<token>' not in second


def test_pyvmomi_reads_a_streamed_answer(many):
    from pyVmomi import vim, vmodl
    si = many.connect()
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(
            obj=view, skip=True, selectSet=[vmodl.query.PropertyCollector.TraversalSpec(
                name='v', type=vim.view.ContainerView, path='view', skip=False)])],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(
            type=vim.VirtualMachine, pathSet=['name', 'config.hardware'])])
    result = content.propertyCollector.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector
                                                            .RetrieveOptions())
    assert len(result.objects) == len(many.vms)
    assert all(len(o.propSet) == 2 for o in result.objects)


def test_many_start_objects_are_planned_in_slices(many):
    """More ObjectSpecs than one slice plans (repeats count once); a missing
    start object still faults the whole call."""
    s = many_sock(many)
    cookie = login(s)
    refs = many.vms * 10           # 6,000 specs: planned over several reactor turns
    status, _, body, _ = soap(s, retrieve_body(refs, paths=('name',)), cookie)
    assert status == 200 and body.count(b'<objects>') == len(many.vms)
    status, _, body, _ = soap(s, retrieve_body(refs + ['vm-nonesuch'], paths=('name',)), cookie)
    assert status == 500 and b'ManagedObjectNotFoundFault' in body


def test_a_traversal_named_past_the_first_slice_is_followed(many):
    """Named TraversalSpecs are gathered from every ObjectSpec, in slices
    too: the first spec's SelectionSpec names one the 6,001st defines."""
    s = many_sock(many)
    cookie = login(s)
    get = many.sim.objects.get
    hosts = on_reactor(lambda: {vm: get(MoRef('VirtualMachine', vm)).host.ref.value
                                for vm in many.vms})
    first = many.vms[0]
    last = next(vm for vm in many.vms if hosts[vm] != hosts[first])
    specs = ['<objectSet><obj type="VirtualMachine">%s</obj><selectSet><name>toHost</name>'
             '</selectSet></objectSet>' % first]
    specs += ['<objectSet><obj type="VirtualMachine">%s</obj></objectSet>' % vm
              for vm in many.vms * 10]
    specs.append('<objectSet><obj type="VirtualMachine">%s</obj>'
                 '<selectSet xsi:type="TraversalSpec"><name>toHost</name>'
                 '<type>VirtualMachine</type><path>runtime.host</path>'
                 '<skip>false</skip></selectSet></objectSet>' % last)
    body = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
            'propertyCollector</_this><specSet><propSet><type>HostSystem</type><pathSet>name'
            '</pathSet></propSet>%s</specSet><options/></RetrievePropertiesEx>' % ''.join(specs))
    status, _, answer, _ = soap(s, body, cookie)
    assert status == 200
    found = set(re.findall(rb'<obj type="HostSystem">([^<]+)</obj>', answer))
    assert found == {hosts[first].encode(), hosts[last].encode()}


def test_big_request_is_decoded_apart(many):
    """A body over a megabyte is decoded off the reactor thread: answers and
    faults come back the same."""
    s = many_sock(many)
    cookie = login(s)
    refs = many.vms * 40           # about 1.5 MB of ObjectSpecs
    request = retrieve_body(refs, paths=('name',))
    assert len(request) > 1024 * 1024
    status, _, body, _ = soap(s, request, cookie)
    assert status == 200 and body.count(b'<objects>') == len(many.vms)
    status, _, body, _ = soap(s, request.replace('</specSet>', '<bogus/></specSet>'), cookie)
    assert status == 500 and b'InvalidRequest' in body


def test_current_time_is_answered_while_a_big_answer_streams(many):
    """All of five big properties of 600 VMs take a while to read and encode;
    another client's CurrentTime, sent just after, is answered meanwhile
    (it used to wait for the whole answer)."""
    big = many_sock(many)
    cookie = login(big)
    small = many_sock(many)
    small_cookie = login(small)
    done = threading.Event()
    sizes = []

    def reader():
        status, _, body, _ = read_chunked(big)
        sizes.append(len(body))
        done.set()

    payload = (ENVELOPE % retrieve_body(many.vms, paths=('config', 'summary', 'guest',
                                                         'layoutEx', 'runtime'))).encode()
    big.sendall(b'POST /sdk HTTP/1.1\r\nHost: x\r\nCookie: %s\r\nContent-Length: %d\r\n\r\n'
                % (cookie.encode(), len(payload)) + payload)
    threading.Thread(target=reader, daemon=True).start()
    time.sleep(0.2)                # the big answer is under way
    status, _, body, _ = soap(small, '<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">'
                                     'ServiceInstance</_this></CurrentTime>', small_cookie)
    streaming_still = not done.is_set()
    assert status == 200 and b'<returnval>' in body
    assert done.wait(60) and sizes[0] > 5 * 1024 * 1024
    assert streaming_still, 'the big answer was too quick to tell'


def test_stream_over_tls():
    import ssl
    s = Server(stream_app, tls=True)
    try:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with ctx.wrap_socket(s.sock()) as sock:
            sock.sendall(b'GET /stream/3000/1000 HTTP/1.1\r\nHost: x\r\n\r\n'
                         b'GET /after HTTP/1.1\r\nHost: x\r\n\r\n')
            status, headers, body, rest = read_chunked(sock)
            assert headers['transfer-encoding'] == 'chunked' and len(body) == 3000000
            assert read_chunked(sock, rest)[2].startswith(b'GET /after?')
    finally:
        s.close()
