"""The command line: vcsim's flags (Go and long spellings), vcsim's env line,
and the whole `vimsim` program with a fake Simulator."""
import http.client
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import time

import pytest

from vimsim.cli import env_line, govc_url, main, serve, write_env_line
from vimsim.options import Options, UsageError, parse_args, parse_method_delay

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- argv ---------------------------------------------------------------------

def test_defaults_are_vcsims():
    o = parse_args([])
    assert o.listen == '127.0.0.1:8989' and o.tls is True and o.env == '-'
    assert (o.tlscert, o.tlskey, o.username, o.password, o.api_version, o.load) == ('',) * 6
    assert (o.dc, o.cluster, o.host, o.standalone_host, o.vm, o.pool, o.app, o.folder,
            o.ds, o.pod, o.pg, o.pg_nsx, o.nsx) == (1, 1, 3, 1, 2, 0, 0, 0, 1, 0, 1, 0, 0)
    assert o.esx is False and o.autostart is True
    assert (o.delay, o.method_delay, o.delay_jitter) == (0, {}, 0.0)
    assert o.args == []
    assert o == Options()


def test_go_style():
    o = parse_args(['-l', '127.0.0.1:0', '-tls=false', '-tlscert', 'c.pem', '-tlskey=k.pem',
                    '-username', 'root', '-password=s3cret', '-api-version', '8.0.3.0',
                    '-E', '/tmp/env', '-load', '/tmp/model', '-dc', '2', '-cluster=3',
                    '-host', '4', '-standalone-host', '0', '-vm=10', '-pool', '1', '-app', '2',
                    '-folder', '1', '-ds', '3', '-pod', '1', '-pg', '2', '-pg-nsx', '1',
                    '-nsx', '2', '-esx', '-autostart=false', '-delay', '100',
                    '-method-delay', 'PowerOnVM_Task:500,Logout:10', '-delay-jitter', '0.5'])
    assert o.listen == '127.0.0.1:0' and o.tls is False
    assert (o.tlscert, o.tlskey) == ('c.pem', 'k.pem')
    assert (o.username, o.password, o.api_version) == ('root', 's3cret', '8.0.3.0')
    assert (o.env, o.load) == ('/tmp/env', '/tmp/model')
    assert (o.dc, o.cluster, o.host, o.standalone_host, o.vm, o.pool, o.app, o.folder,
            o.ds, o.pod, o.pg, o.pg_nsx, o.nsx) == (2, 3, 4, 0, 10, 1, 2, 1, 3, 1, 2, 1, 2)
    assert o.esx is True and o.autostart is False
    assert o.delay == 100 and o.delay_jitter == 0.5
    assert o.method_delay == {'PowerOnVM_Task': 500, 'Logout': 10}


def test_long_style():
    o = parse_args(['--listen', '[::1]:0', '--no-tls', '--username=u', '--password', 'p',
                    '--api-version=7.0.3.0', '--standalone-host', '2', '--pg-nsx=1',
                    '--env', 'out.env', '--tls-cert', 'c', '--tls-key', 'k', '--vm', '0',
                    '--delay-jitter=1.5', '--esx=true'])
    assert o.listen == '[::1]:0' and o.tls is False
    assert (o.username, o.password, o.api_version) == ('u', 'p', '7.0.3.0')
    assert (o.standalone_host, o.pg_nsx, o.vm, o.env) == (2, 1, 0, 'out.env')
    assert (o.tlscert, o.tlskey, o.delay_jitter, o.esx) == ('c', 'k', 1.5, True)


@pytest.mark.parametrize('argv, tls', [
    ([], True), (['-tls'], True), (['-tls=true'], True), (['--tls=false'], False),
    (['-tls=0'], False), (['-tls=F'], False), (['-tls=1'], True), (['--no-tls'], False),
])
def test_bool_flags(argv, tls):
    assert parse_args(argv).tls is tls


def test_positional_stops_parsing_like_go():
    # Go: a boolean flag never takes the next word; parsing stops at a non-flag
    o = parse_args(['-tls', 'false', '-vm', '3'])
    assert o.tls is True and o.args == ['false', '-vm', '3'] and o.vm == 2
    o = parse_args(['-vm', '3', '--', '-dc', '5'])
    assert o.vm == 3 and o.dc == 1 and o.args == ['-dc', '5']
    assert parse_args(['-tunnel', '-1']).tunnel == -1
    assert parse_args(['-vm', '0x10']).vm == 16


@pytest.mark.parametrize('argv', [
    ['-nope'], ['--nope=1'], ['-vm'], ['-vm', 'many'], ['-tls=maybe'], ['-delay-jitter', 'x'],
    ['-method-delay', 'A:1,B'], ['-method-delay', 'A:x'], ['-l', '127.0.0.1:http'],
    ['---vm', '1'], ['-=x'],
])
def test_usage_errors(argv, capsys):
    with pytest.raises(UsageError):
        parse_args(argv)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert 'Usage of vimsim' in err


def test_unknown_flag_message(capsys):
    assert main(['-bogus']) == 2
    assert 'flag provided but not defined: -bogus' in capsys.readouterr().err


@pytest.mark.parametrize('flag', ['-h', '--help', '-help'])
def test_help(flag, capsys):
    with pytest.raises(SystemExit) as e:
        main([flag])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert '-l string' in out and '-tls' in out and '-standalone-host int' in out


def test_method_delay():
    assert parse_method_delay('') == {}
    assert parse_method_delay(' A:1 , B:20') == {'A': 1, 'B': 20}


def test_version_and_uuidgen(capsys):
    assert main(['version']) == 0
    assert 'Build Version' in capsys.readouterr().out
    assert main(['uuidgen']) == 0
    assert len(capsys.readouterr().out.strip()) == 36


def test_esx_model_counts():
    o = parse_args(['-esx', '-vm', '5', '-dc', '3'])
    counts = o.model_counts()
    assert counts['vm'] == 5 and counts['dc'] == 0 and counts['ds'] == 1


# -- env line -----------------------------------------------------------------

def test_env_line_format():
    o = Options()
    assert env_line(o, '127.0.0.1', 8989, pid=42) == \
        'export GOVC_URL=https://user:pass@127.0.0.1:8989/sdk GOVC_SIM_PID=42\n'
    o.tls = False
    assert env_line(o, '127.0.0.1', 40123, pid=7) == \
        'export GOVC_URL=http://user:pass@127.0.0.1:40123/sdk GOVC_SIM_PID=7\n'
    o = parse_args(['-username', 'administrator@vsphere.local', '-password', 'p@ss:w/rd!$'])
    assert govc_url(o, '::1', 443) == \
        'https://administrator%40vsphere.local:p%40ss%3Aw%2Frd%21$@[::1]:443/sdk'
    o = parse_args(['-username', 'bob'])
    assert govc_url(o, '10.0.0.1', 1) == 'https://bob:@10.0.0.1:1/sdk'
    assert env_line(Options(), '127.0.0.1', 1).endswith(' GOVC_SIM_PID=%d\n' % os.getpid())


def test_env_line_to_file_and_fifo(tmp_path):
    o = Options()
    o.env = str(tmp_path / 'env')
    write_env_line(o, 'export X=1\n')
    assert (tmp_path / 'env').read_text() == 'export X=1\n'
    fifo = str(tmp_path / 'fifo')
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        o.env = fifo
        write_env_line(o, 'export Y=2\n')
        assert os.read(fd, 100) == b'export Y=2\n'
    finally:
        os.close(fd)


def test_env_file_is_readable_by_its_owner_only(tmp_path):
    """The env line holds the password."""
    o = Options()
    o.env = str(tmp_path / 'env')
    write_env_line(o, 'export X=1\n')
    assert os.stat(o.env).st_mode & 0o777 == 0o600
    (tmp_path / 'old').write_text('stale')
    os.chmod(tmp_path / 'old', 0o644)
    o.env = str(tmp_path / 'old')
    write_env_line(o, 'export X=2\n')
    assert os.stat(o.env).st_mode & 0o777 == 0o600
    assert (tmp_path / 'old').read_text() == 'export X=2\n'


@pytest.mark.parametrize('argv', [
    ['-session-timeout', '0'], ['-session-timeout', '-5'],
    ['-delay-jitter', 'inf'], ['-delay-jitter', 'nan'], ['-delay-jitter', '-1'],
    ['-delay', '100000000000000000000'], ['-delay', '-1'],
    ['-method-delay', 'PowerOnVM_Task:100000000000'],
    ['-http-idle-timeout', '0'], ['-http-header-timeout', 'nan'],
    ['-http-body-timeout', 'inf'], ['-tls-handshake-timeout', '-1'],
    ['-http-max-body', '0'], ['-http-max-buffer', '-1'], ['-http-max-connections', '-1'],
])
def test_bad_values_are_refused_at_start(argv, capsys):
    """A zero session timeout busy-looped, an infinite jitter made every call
    a SystemError and a huge delay hung every call: refused with a message."""
    with pytest.raises(UsageError):
        parse_args(argv)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert ('-' + argv[0].lstrip('-')) in err and 'must be' in err


def test_limit_flags(tmp_path):
    from vimsim.cli import http_limits
    o = parse_args(['-http-idle-timeout', '5', '-http-header-timeout=2.5', '-http-body-timeout',
                    '7', '-tls-handshake-timeout', '3', '-http-max-connections', '50',
                    '-http-max-body', '1000', '-http-max-buffer', '4000'])
    limits = http_limits(o)
    assert (limits.idle_timeout, limits.header_timeout, limits.body_timeout,
            limits.tls_handshake_timeout) == (5, 2.5, 7, 3)
    assert (limits.max_connections, limits.max_body, limits.max_buffered) == (50, 1000, 4000)
    assert http_limits(Options()).header_timeout == 20


@pytest.mark.parametrize('argv', [['-delay-jitter', 'inf'], ['-load', '/nonexistent/model']])
def test_failed_start_releases_the_env_fifo_reader(tmp_path, argv):
    """A reader waiting on the -E fifo gets the error as a shell line that
    prints it and fails, then EOF, instead of hanging."""
    import threading
    fifo = str(tmp_path / 'fifo')
    os.mkfifo(fifo)
    read = []

    def reader():
        with open(fifo, 'rb') as f:      # blocks until a writer opens the fifo
            read.append(f.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    time.sleep(0.2)
    assert main(argv + ['-E', fifo]) != 0
    thread.join(5)
    assert re.fullmatch(rb"echo 'vimsim: [^']+' >&2; false\n", read[0]), read


class FakeSimulator:
    api_version = '9.1.1.0'
    reports_unknown_version = False
    versions = ['2.0', '2.5u2server', '4.0', '4.1', '5.0', '6.7', '8.0.3.0', '9.1.1.0']

    def __init__(self, options, wsdl_dir):
        self.options = options
        self.wsdl_dir = wsdl_dir

    def handle_soap(self, request):
        from vimsim.server.http import HttpResponse
        return HttpResponse(200, b'<soap>%s</soap>' % request.body)

    def serving_at(self, scheme, host, port):
        self.served = (scheme, host, port)


def test_serve_in_process(tmp_path):
    from tests.conftest import _ensure_reactor, on_reactor
    (tmp_path / 'vimService.wsdl').write_bytes(b'<definitions/>\n')
    _ensure_reactor()
    o = parse_args(['-l', '127.0.0.1:0', '-tls=false'])
    sim = FakeSimulator(o, str(tmp_path))
    lport, host, port = on_reactor(serve, o, sim)
    try:
        assert host == '127.0.0.1' and port > 0 and sim.served == ('http', host, port)
        c = http.client.HTTPConnection(host, port, timeout=10)
        c.request('GET', '/sdk/vimServiceVersions.xml')
        r = c.getresponse()
        assert r.status == 200
        assert r.read().startswith(b'<?xml version="1.0" encoding="UTF-8" ?><namespaces version="1.0">')
        c.request('GET', '/sdk/vimService.wsdl')
        assert c.getresponse().read() == b'<definitions/>\n'
        c.request('POST', '/sdk', body=b'<x/>')
        assert c.getresponse().read() == b'<soap><x/></soap>'
        c.request('GET', '/nope')
        r = c.getresponse()
        assert r.status == 404
        r.read()
        c.close()
    finally:
        on_reactor(lport.stopListening)


# -- the program --------------------------------------------------------------

FAKE_MAIN = textwrap.dedent('''
    import sys, types
    sys.path.insert(0, sys.argv[1])
    from vimsim.server.http import HttpResponse

    class Simulator:
        api_version = '8.0.3.0'
        versions = ['4.0', '6.7', '8.0.3.0', '9.1.1.0']
        wsdl_dir = sys.argv[2]
        persistence = None    # no -state
        reports_unknown_version = False

        def __init__(self, options):
            self.options = options

        def handle_soap(self, request):
            if request.body == b'<boom/>':
                raise RuntimeError('boom in handle_soap')
            return HttpResponse(200, ('<soap user="%s"/>' % self.options.username).encode())

        def serving_at(self, scheme, host, port):
            pass

        def forget_leftovers(self):
            pass

    module = types.ModuleType('vimsim.simulator')
    module.Simulator = Simulator
    sys.modules['vimsim.simulator'] = module
    from vimsim.cli import main
    sys.exit(main(sys.argv[3:]))
''')


def _read_fifo(fd, timeout=30):
    data = b''
    deadline = time.time() + timeout
    while not data.endswith(b'\n') and time.time() < deadline:
        try:
            chunk = os.read(fd, 4096)
        except BlockingIOError:
            chunk = b''
        data += chunk
        if not chunk:
            time.sleep(0.02)
    return data.decode()


@pytest.mark.parametrize('tls', [False, True])
def test_program_end_to_end(tmp_path, tls):
    fifo = str(tmp_path / 'env.fifo')
    os.mkfifo(fifo)
    (tmp_path / 'userfile').write_text('alice\n')
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    argv = ['-l', '127.0.0.1:0', '-tls=%s' % str(tls).lower(), '-E', fifo,
            '-username', str(tmp_path / 'userfile'), '-password', 'pw']
    proc = subprocess.Popen([sys.executable, '-c', FAKE_MAIN, ROOT, str(tmp_path)] + argv,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = _read_fifo(fd)
        scheme = 'https' if tls else 'http'
        prefix = 'export GOVC_URL=%s://alice:pw@127.0.0.1:' % scheme
        assert line.startswith(prefix), (line, proc.poll())
        url, pid = line[len('export GOVC_URL='):].split(' GOVC_SIM_PID=')
        assert int(pid) == proc.pid and url.endswith('/sdk')
        port = int(url.split('@127.0.0.1:')[1].split('/')[0])
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            c = http.client.HTTPSConnection('127.0.0.1', port, timeout=10, context=ctx)
        else:
            c = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
        c.request('GET', '/sdk/vimServiceVersions.xml')
        body = c.getresponse().read()
        assert b'<version>8.0.3.0</version><priorVersions><version>6.7</version>' \
               b'<version>4.0</version></priorVersions>' in body
        c.request('POST', '/sdk', body=b'<x/>')
        assert c.getresponse().read() == b'<soap user="alice"/>'
        c.close()
        _stop(proc)
    finally:
        _clean_up(proc, fd)


def _stop(proc):
    """SIGTERM ends the simulator cleanly."""
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0


def _clean_up(proc, fd):
    """The fifo closed and the child gone, whatever the test found."""
    os.close(fd)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _interruptible():
    """The child's SIGINT as a terminal's (a suite started in a shell's
    background inherits it ignored, and the program would never see it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_program_env_line_on_stdout(tmp_path):
    proc = subprocess.Popen([sys.executable, '-c', FAKE_MAIN, ROOT, str(tmp_path),
                             '-l', '127.0.0.1:0', '-tls=false'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_interruptible)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith('export GOVC_URL=http://user:pass@127.0.0.1:')
        assert line.endswith(' GOVC_SIM_PID=%d\n' % proc.pid)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_program_logs_errors_to_stderr(tmp_path):
    """An unhandled error in the HTTP layer reaches stderr as a time-stamped
    line naming its source, with its traceback (Twisted's log was never
    begun: its start-up buffer printed errors bare and kept the rest
    unseen); start-up chatter does not."""
    proc = subprocess.Popen([sys.executable, '-c', FAKE_MAIN, ROOT, str(tmp_path),
                             '-l', '127.0.0.1:0', '-tls=false'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode()
        port = int(line.split('@127.0.0.1:')[1].split('/')[0])
        c = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
        c.request('POST', '/sdk', body=b'<boom/>')
        assert c.getresponse().status == 500
        c.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        err = proc.stderr.read().decode()
        assert re.search(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S* \[vimsim\.server\.http#\w+\] '
                         r'Unhandled error answering', err, re.M), err
        assert 'boom in handle_soap' in err
        assert 'Traceback' in err and 'Starting factory' not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_trace_writes_each_soap_exchange(tmp_path, validator):
    """-trace -trace-file F: every SOAP request and response lands in F."""
    from tests.conftest import _ensure_reactor, on_reactor
    from vimsim.cli import make_app
    from vimsim.options import parse_args
    from vimsim.server.http import HttpRequest
    from vimsim.simulator import Simulator
    trace = tmp_path / 'trace.log'
    opts = parse_args(['-trace', '-trace-file', str(trace), '-dc', '1'])
    _ensure_reactor()
    app = validator.wrap(make_app(on_reactor(Simulator, opts)))
    body = (b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
            b'<soapenv:Body><RetrieveServiceContent xmlns="urn:vim25"><_this type='
            b'"ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>'
            b'</soapenv:Body></soapenv:Envelope>')
    response = on_reactor(app, HttpRequest('POST', '/sdk', body=body, peer='127.0.0.1'))
    assert response.status == 200
    text = trace.read_text()
    assert '<RetrieveServiceContent xmlns="urn:vim25">' in text
    assert '--- 200' in text and 'RetrieveServiceContentResponse' in text


def _program_imports(tmp_path, flags, session):
    """Run the real program with `flags`, call `session(port)` once it
    listens, stop it: the modules it imported, then its collector's state."""
    fifo, modules = str(tmp_path / 'env.fifo'), tmp_path / 'modules'
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    program = textwrap.dedent('''
        import atexit, gc, runpy, sys
        atexit.register(lambda: open(%r, 'w').write(' '.join(
            list(sys.modules) + ['collecting=%%s' %% gc.isenabled(),
                                 'frozen=%%s' %% bool(gc.get_freeze_count())])))
        runpy.run_module('vimsim', run_name='__main__')
    ''' % str(modules))
    proc = subprocess.Popen([sys.executable, '-c', program, '-l', '127.0.0.1:0', '-E', fifo,
                             *flags], cwd=ROOT, stdout=subprocess.DEVNULL,
                            preexec_fn=_interruptible)
    try:
        line = _read_fifo(fd)
        session(int(line.split('@127.0.0.1:')[1].split('/')[0]))
        _stop(proc)
    finally:
        _clean_up(proc, fd)
    return modules.read_text().split()


def test_a_soap_client_start_imports_no_other_service(tmp_path):
    """What a start and a pyVmomi session need is all a `vimsim` process
    imports: the REST, PBM, vslm, vSAN, lookup and STS services, the web pages,
    -state's journal, -load's recordings and what bundles and patch results
    are written with (tarfile, ElementTree) come with their first use; with
    -tls=false, no TLS (pyOpenSSL: checking the flags imported it with the
    HTTP front) and no cryptography (certificates are made when first asked
    for). The cyclic collector, held off while the start builds, is on again
    once serving, and the start-up's objects are frozen."""
    from pyVim.connect import Disconnect, SmartConnect

    def session(port):
        si = SmartConnect(protocol='http', host='127.0.0.1', port=port, user='user',
                          pwd='pass')
        try:
            assert si.content.rootFolder.childEntity[0].name == 'DC0'
        finally:
            Disconnect(si)

    imported = _program_imports(tmp_path, ['-tls=false'], session)
    assert imported[-2:] == ['collecting=True', 'frozen=True']
    assert 'vimsim.managed.catalog' in imported
    assert sorted(name for name in imported if name.startswith((
        'vimsim.rest', 'vimsim.pbm', 'vimsim.vslm', 'vimsim.vsan', 'vimsim.lookup', 'vimsim.sts',
        'vimsim.web', 'vimsim.state', 'OpenSSL', 'cryptography', 'vimsim.inventory.record',
        'tarfile', 'xml.etree'))) == []


@pytest.mark.filterwarnings('ignore:ssl.TLSVersion:DeprecationWarning')  # the TLS 1.1 client
def test_an_https_start_imports_no_certificate_verification(tmp_path, monkeypatch):
    """With TLS the program serves TLS 1.2 and later only, http/1.1 by ALPN,
    on the standard library's ssl: neither pyOpenSSL, Twisted's TLS
    (twisted.protocols.tls, twisted.internet.ssl) nor the certificate
    verification they bring (service_identity, pyasn1) are imported, nor
    cryptography when the certificate made before is served again."""
    from vimsim.server.tls import self_signed_context
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))
    self_signed_context(['localhost', '127.0.0.1', '::1'])     # as a first start keeps it
    from pyVim.connect import Disconnect, SmartConnect

    def unverified(**settings):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        for name, value in settings.items():
            setattr(context, name, value)
        return context

    def session(port):
        si = SmartConnect(host='127.0.0.1', port=port, user='user', pwd='pass',
                          sslContext=unverified())
        try:
            assert si.content.rootFolder.childEntity[0].name == 'DC0'
        finally:
            Disconnect(si)
        old = unverified(minimum_version=ssl.TLSVersion.TLSv1,
                         maximum_version=ssl.TLSVersion.TLSv1_1)
        old.set_ciphers('DEFAULT:@SECLEVEL=0')
        with pytest.raises(ssl.SSLError):
            with old.wrap_socket(socket.create_connection(('127.0.0.1', port))):
                pass
        offering = unverified()
        offering.set_alpn_protocols(['h2', 'http/1.1'])
        with offering.wrap_socket(socket.create_connection(('127.0.0.1', port))) as tls:
            assert tls.version() in ('TLSv1.2', 'TLSv1.3')
            assert tls.selected_alpn_protocol() == 'http/1.1'

    imported = _program_imports(tmp_path, [], session)
    assert 'vimsim.server.tls' in imported
    assert sorted(name for name in imported if name.startswith((
        'OpenSSL', 'cryptography', 'twisted.protocols.tls', 'twisted.internet.ssl',
        'twisted.internet._sslverify', 'service_identity', 'pyasn1'))) == []
