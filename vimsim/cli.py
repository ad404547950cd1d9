"""The ``vimsim`` command: vcsim's command line, vcsim's env line.

    $ vimsim -l 127.0.0.1:0
    export GOVC_URL=https://user:pass@127.0.0.1:40123/sdk GOVC_SIM_PID=4242
"""

import errno
import functools
import gc
import os
import shlex
import stat
import sys
import time
import urllib.parse

from vimsim.options import UsageError, parse_args, secret, usage
from vimsim.users import read_users

__all__ = ['main', 'make_app', 'govc_url', 'env_line', 'write_env_line', 'serve', 'login_of']

PROG = 'vimsim'
FIFO_READER_WAIT = 2.0   # seconds a failed start waits for the reader of an -E fifo


def govc_url(opts, host, port, login=None):
    """The URL vcsim prints: ``https://USER:PASS@HOST:PORT/sdk``; user ``user``,
    password ``pass`` unless -username was given (as vcsim does) or ``login``
    (user, password) names an account of the -users file."""
    scheme = 'https' if opts.tls else 'http'
    if login is not None:
        user, password = login
    elif opts.username:
        user, password = opts.username, opts.password
    else:
        user, password = 'user', 'pass'
    # Go's url.UserPassword escaping: keep unreserved and $&+,;=
    userinfo = '%s:%s' % (urllib.parse.quote(user, safe="$&+,;="),
                          urllib.parse.quote(password, safe="$&+,;="))
    if ':' in host and not host.startswith('['):
        host = '[%s]' % host
    return '%s://%s@%s:%d/sdk' % (scheme, userinfo, host, port)


def login_of(opts):
    """The account GOVC_URL names with -users: the file's first, as
    (user, password); None without -users."""
    if not opts.users:
        return None
    first = read_users(opts.users)[0]
    return first.name, first.password


def env_line(opts, host, port, pid=None, login=None):
    return 'export GOVC_URL=%s GOVC_SIM_PID=%d\n' % (
        govc_url(opts, host, port, login), os.getpid() if pid is None else pid)


def write_env_line(opts, line, stdout=None):
    """Write the env line to -E (a file or fifo, opened for writing; a fifo
    blocks until its reader is there) or to stdout, flushed. The line holds
    the password: a file is made readable by its owner only."""
    if opts.env in ('-', ''):
        out = stdout or sys.stdout
        out.write(line)
        out.flush()
        return
    fd = os.open(opts.env, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, 0o600)       # an existing file keeps no wider mode
        data = line.encode('utf-8')
        while data:
            data = data[os.write(fd, data):]
    finally:
        os.close(fd)


def release_env(target, message):
    """Starting failed: a reader of an -E fifo gets `message` instead of the
    env line, as a shell line that prints it and fails (so that
    `eval "$(cat FIFO)"` says why, and `set -e` stops there), then EOF; never
    a hang. A reader not there yet is waited for a moment (FIFO_READER_WAIT):
    it may be on its way. A plain file is left be."""
    if not target or target == '-':
        return
    try:
        if not stat.S_ISFIFO(os.stat(target).st_mode):
            return
    except OSError:
        return
    deadline = time.monotonic() + FIFO_READER_WAIT
    while True:
        try:
            fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as error:
            if error.errno != errno.ENXIO or time.monotonic() > deadline:
                return       # ENXIO: no reader yet
            time.sleep(0.05)
    try:
        os.write(fd, ('echo %s >&2; false\n' % shlex.quote(message)).encode('utf-8'))
    except OSError:
        pass
    finally:
        os.close(fd)


def http_limits(opts):
    """The HTTP front's timeouts and caps from the -http-* flags."""
    from vimsim.server import HttpLimits
    return HttpLimits(max_body=opts.http_max_body, max_buffered=opts.http_max_buffer,
                      max_connections=opts.http_max_connections,
                      idle_timeout=opts.http_idle_timeout,
                      header_timeout=opts.http_header_timeout,
                      body_timeout=opts.http_body_timeout,
                      tls_handshake_timeout=opts.tls_handshake_timeout)


def make_app(simulator):
    """The HTTP application of ``simulator``: POST /sdk and /sdk/vimService to
    ``simulator.handle_soap``, GET the documents (vimServiceVersions.xml, WSDL,
    schemas filtered to ``simulator.api_version``), /about, /debug/vars,
    /folder (datastore files), /guestFile (guest file transfers), /nfc (OVF disk
    transfers of HttpNfcLeases), /cls (content library file transfers),
    /diagnostics (support bundles), /downloads and /tmp (host configuration
    bundles), /catalog (message catalogs), the vAPI
    services under /api and /rest, PBM at /pbm/sdk, vslm at /vslm/sdk, vSAN's
    service at /vsanHealth (and /sdk/vsanServiceVersions.xml), the
    lookup service at /lookupservice/sdk, the STS at /sts/STSService, the
    control surface (/vimsim/control/), the web pages (/mob, /ui), 404
    otherwise. The services of other packages are imported and made when the
    first request that is not vim25 SOAP reaches them."""
    from vimsim.server import make_app as compose
    from vimsim.server.control import ControlApi
    from vimsim.server.documents import Documents
    docs = Documents(simulator.wsdl_dir, simulator.api_version, simulator.versions)
    handle_soap = simulator.handle_soap
    if simulator.options.trace:
        from vimsim.server.trace import traced
        handle_soap = traced(handle_soap, simulator.options.trace_file)
    folder = _OnFirstRequest(simulator, _folder)
    nfc = _OnFirstRequest(simulator, _nfc)
    transfer = _OnFirstRequest(simulator, _library_transfer)
    firmware = _OnFirstRequest(simulator, lambda simulator: _firmware(simulator, folder))
    return compose(handle_soap, docs,
                   extra=[_OnFirstRequest(simulator, _about).handle,
                          _OnFirstRequest(simulator, _debug_vars).handle, folder.handle,
                          _OnFirstRequest(simulator, _guest_file).handle,
                          _OnFirstRequest(simulator, _rest_api).handle,
                          _OnFirstRequest(simulator, _pbm_api).handle,
                          _OnFirstRequest(simulator, _vslm_api).handle,
                          _OnFirstRequest(simulator, _vsan_api).handle,
                          _OnFirstRequest(simulator, _lookup_api).handle,
                          _OnFirstRequest(simulator, _sts_service).handle,
                          ControlApi(simulator).handle,
                          _OnFirstRequest(simulator,
                                          lambda simulator: _diagnostics(simulator, folder)).handle,
                          _OnFirstRequest(simulator, _catalogs).handle,
                          _OnFirstRequest(simulator, _web_pages).handle,
                          nfc.handle, transfer.handle, firmware.handle],
                   # content library uploads are PUTs: a SOAP call's body makes no transfer
                   body_sink=lambda request: (folder.body_sink(request) or nfc.body_sink(request)
                                              or (transfer.body_sink(request)
                                                  if request.method == 'PUT' else None)
                                              or firmware.body_sink(request)))


class _OnFirstRequest:
    """The HTTP service ``make(simulator)`` makes, made (and its package
    imported) when a request first reaches it: a start that serves SOAP only
    does not import REST, PBM, vslm, the lookup service, the STS, the web
    pages, nor the handlers of /folder, /nfc, /about and the others."""

    def __init__(self, simulator, make):
        self.simulator, self.make = simulator, make

    @functools.cached_property
    def service(self):
        return self.make(self.simulator)

    def handle(self, request):
        return self.service.handle(request)

    def body_sink(self, request):
        return self.service.body_sink(request)


def _folder(simulator):
    from vimsim.server.folder import Folder
    return Folder(simulator)


def _nfc(simulator):
    from vimsim.server.nfc import Nfc
    return Nfc(simulator)


def _firmware(simulator, folder):
    """/downloads and /tmp's host configuration bundles, for /folder's users."""
    from vimsim.server.firmware import Firmware
    return Firmware(simulator, folder.service.user)


def _diagnostics(simulator, folder):
    """/diagnostics' support bundles, for /folder's users."""
    from vimsim.server.diagnostics import Diagnostics
    return Diagnostics(simulator, folder.service.user)


def _about(simulator):
    from vimsim.server.about import About
    return About(simulator)


def _debug_vars(simulator):
    from vimsim.server.debug_vars import DebugVars
    return DebugVars(simulator)


def _guest_file(simulator):
    from vimsim.server.guest_file import GuestFile
    return GuestFile(simulator)


def _catalogs(simulator):
    from vimsim.server.catalog import Catalogs
    return Catalogs(simulator)


def _rest_api(simulator):
    from vimsim.rest.protocol import RestApi
    return RestApi(simulator)


def _library_transfer(simulator):
    from vimsim.rest.content_library_transfer import LibraryTransfer
    return LibraryTransfer(simulator)


def _pbm_api(simulator):
    from vimsim.pbm.endpoint import PbmApi
    return PbmApi(simulator)


def _vslm_api(simulator):
    from vimsim.vslm.endpoint import VslmApi
    return VslmApi(simulator)


def _vsan_api(simulator):
    from vimsim.vsan.endpoint import VsanApi
    return VsanApi(simulator)


def _lookup_api(simulator):
    from vimsim.lookup.endpoint import LookupApi
    return LookupApi(simulator)


def _sts_service(simulator):
    from vimsim.sts.service import StsService
    return StsService(simulator)


def _web_pages(simulator):
    from vimsim.web.mount import WebPages
    return WebPages(simulator)


def serve(opts, simulator, reactor=None):
    """Listen for ``simulator`` as ``opts`` says; return (port, host, bound_port)."""
    from vimsim.server import listen, split_hostport

    host, port = split_hostport(opts.listen)
    app = make_app(simulator)
    cert_pem = key_pem = None
    if opts.tls and opts.tlscert:
        from vimsim.server.tls import load_pair
        cert_pem, key_pem = load_pair(opts.tlscert, opts.tlskey or None)
    lport = listen(app, host, port, tls=opts.tls, cert_pem=cert_pem, key_pem=key_pem,
                   reactor=reactor, limits=http_limits(opts))
    bound = lport.getHost()
    simulator.serving_at('https' if opts.tls else 'http', bound.host, bound.port)
    return lport, bound.host, bound.port


def main(argv=None, begin_logging=True):
    """Run the simulator as vcsim's command line does; `begin_logging`: send
    warnings and errors to stderr (a caller with observers of its own says no)."""
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ['record']:   # vimsim record URL DIR: flags of its own
        from vimsim.inventory.recorder import main as record_main
        return record_main(argv[1:], prog='%s record' % PROG)
    try:
        opts = parse_args(argv, prog=PROG)
    except UsageError as e:
        sys.stderr.write('%s\n%s' % (e, usage(PROG)))
        if e.options is not None:
            release_env(e.options.env, '%s: %s' % (PROG, e))
        return 2

    if opts.args:
        cmd = opts.args[0]
        if cmd == 'version':
            import vimsim
            sys.stdout.write('Build Version: %s\n' % getattr(vimsim, '__version__', 'dev'))
            return 0
        if cmd == 'uuidgen':
            import uuid
            sys.stdout.write('%s\n' % uuid.uuid4())
            return 0

    if opts.tunnel >= 0:
        sys.stderr.write('%s: -tunnel (the SDK tunnel for host NFC traffic) is not '
                         'supported; ignoring it\n' % PROG)
    opts.username = secret(opts.username)
    opts.password = secret(opts.password)

    # What start-up makes is kept (the inventory is frozen below): collecting
    # meanwhile only walks it, a tenth of the start's CPU.
    collecting = gc.isenabled()
    gc.disable()
    if begin_logging:
        start_logging()
    _import_reactor_without_tls()
    from twisted.internet import reactor
    from vimsim import schema

    try:
        login = login_of(opts)
        # The schema before the model: the model's import fills the memory
        # the schema's load leaves free (its cache's rows, once made into
        # types), half a megabyte of a start otherwise held empty.
        schema.load()
        from vimsim.managed.service.heap_trim import heap_trim
        from vimsim.server.control import run_start_actions
        from vimsim.simulator import Simulator
        simulator = Simulator(opts)
        run_start_actions(simulator)
        lport, host, port = serve(opts, simulator, reactor)
    except Exception as e:  # vcsim: log.Fatal
        message = '%s: %s' % (PROG, e)
        sys.stderr.write(message + '\n')
        release_env(opts.env, message)
        if collecting:
            gc.enable()
        return 1
    if simulator.reports_unknown_version:
        sys.stderr.write('%s: -api-version %s is not a version vimsim knows: serving API %s, '
                         'reporting %s\n' % (PROG, simulator.api_version,
                                              simulator.served_version, simulator.api_version))
    if simulator.persistence is not None:
        _report_replay(opts, simulator.persistence)
    # The inventory lives as long as the process: full garbage collections
    # need not walk it (at 10,000 VMs each took ~150 ms, a stall for every
    # client; what model work keeps is frozen as it goes: heap_trim.work_done);
    # and a decode thread yields the GIL to the reactor within 1 ms.
    gc.freeze()
    if collecting:
        gc.enable()
    sys.setswitchinterval(0.001)
    heap_trim.enable(forget=simulator.forget_leftovers)

    status = []

    def announce():
        """Print the env line once the reactor runs, so that its SIGINT and
        SIGTERM handlers are in place before anyone can act on the line."""
        try:
            write_env_line(opts, env_line(opts, host, port, login=login))
        except OSError as e:
            sys.stderr.write('%s: %s\n' % (PROG, e))
            status.append(1)
            reactor.stop()

    reactor.callWhenRunning(announce)
    if opts.stdinexit:
        _exit_on_stdin(reactor)

    reactor.run()      # SIGINT / SIGTERM stop the reactor
    return status[0] if status else 0


def _import_reactor_without_tls():
    """Import the reactor as vimsim needs it: Twisted loads pyOpenSSL,
    cryptography and its certificate verification (twisted.internet.ssl,
    service_identity) with it to offer listenSSL, connectSSL and startTLS,
    which vimsim never calls (its HTTPS is the standard library's ssl under
    server/tls.py's TlsServerProtocol): 13 MB and ~40 ms of a start. OpenSSL
    is unimportable only while the reactor is imported (Twisted then goes
    without its TLS); a later import of it works. Nothing to do in a process
    whose reactor or OpenSSL is in already (a test's, an embedding
    program's)."""
    _defer_cookiejar()
    if 'twisted.internet.reactor' in sys.modules or 'OpenSSL' in sys.modules:
        return
    sys.modules['OpenSSL'] = None      # `import OpenSSL` raises ImportError
    try:
        import twisted.internet.reactor  # noqa: F401
    finally:
        del sys.modules['OpenSSL']


def _defer_cookiejar():
    """Let http.cookiejar load on first use. twisted.python.compat binds it
    (for twisted.web.client's cookies, which vimsim never uses), and loading
    it brings urllib.request, http.client and the email package: 2.6 MB of
    a start. It is bound, before Twisted is imported, as a module the
    standard library's LazyLoader runs on its first attribute read, so
    whoever uses it later gets the real module. Nothing to do once it (or
    Twisted) is in."""
    if 'http.cookiejar' in sys.modules:
        return
    import http
    import importlib.util
    spec = importlib.util.find_spec('http.cookiejar')
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    # the package's attribute too: `from http import cookiejar` then reads no attribute
    sys.modules['http.cookiejar'] = http.cookiejar = module
    spec.loader.exec_module(module)


def start_logging(stream=None):
    """Send warnings and errors of both logging systems (Twisted's, which
    otherwise buffers them unseen, and the standard library's) to stderr, one
    line each with a time stamp; tracebacks follow their line."""
    import logging

    _defer_cookiejar()

    from twisted.logger import (FilteringLogObserver, LogLevel, LogLevelFilterPredicate,
                                globalLogBeginner, textFileLogObserver)
    stream = stream or sys.stderr
    logging.basicConfig(stream=stream, level=logging.WARNING,
                        format='%(asctime)s %(name)s %(levelname)s: %(message)s')
    observer = FilteringLogObserver(textFileLogObserver(stream), [
        LogLevelFilterPredicate(defaultLogLevel=LogLevel.warn)])
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)


def _report_replay(opts, persistence):
    sys.stderr.write('%s: -state %s: %d records replayed in %.3f s%s\n' % (
        PROG, opts.state, persistence.replayed, persistence.replay_seconds,
        ', %d of them differently (see above)' % persistence.divergences
        if persistence.divergences else ''))


def _exit_on_stdin(reactor):
    import threading
    sys.stdout.write('Press any key to exit\n')
    sys.stdout.flush()

    def wait():
        try:
            sys.stdin.read(1)
        finally:
            reactor.callFromThread(reactor.stop)

    threading.Thread(target=wait, name='stdinexit', daemon=True).start()


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
