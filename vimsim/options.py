"""Command line options: everything vcsim's command line holds, with vcsim's
defaults and meanings (govmomi ``vcsim/main.go``, ``simulator/model.go``).

Both Go ``flag`` spellings (``-flag value``, ``-flag=value``, ``--flag``,
booleans ``-tls`` / ``-tls=false``) and ordinary long options
(``--listen 127.0.0.1:0``, ``--no-tls``) are accepted. As in Go, parsing stops
at the first non-flag argument or at ``--``; the rest are positional
arguments (vcsim knows the commands ``version`` and ``uuidgen``).
"""

import math
import os
import sys
from dataclasses import dataclass, field

__all__ = ['Options', 'UsageError', 'parse_args', 'usage', 'FLAGS', 'secret',
           'parse_method_delay']


@dataclass
class Options:
    # -- server ---------------------------------------------------------------
    listen: str = '127.0.0.1:8989'   # -l: listen address; port 0 = ephemeral
    tls: bool = True                 # -tls: HTTPS (-tls=false: plain HTTP)
    tlscert: str = ''                # -tlscert: PEM certificate file
    tlskey: str = ''                 # -tlskey: PEM key file
    username: str = ''               # -username: '' = any user name accepted
    password: str = ''               # -password: '' = any password accepted
    users: str = ''                  # -users FILE: only its accounts log in (vimsim.users)
    api_version: str = ''            # -api-version: '' = the simulator's newest
    env: str = '-'                   # -E: file/fifo for the env line ('-' = stdout)
    load: str = ''                   # -load DIR: load the model from a directory
    state: str = ''                  # -state DIR: keep the state there across restarts
    state_compact: int = 20000       # -state-compact: records that compact a live journal
    datastore_dir: str = ''          # -datastore-dir DIR: datastore contents ('' = temporary)
    tunnel: int = -1                 # -tunnel: SDK tunnel port (-1: none)
    trace: bool = False              # -trace: trace SOAP to -trace-file
    trace_file: str = ''             # -trace-file: trace output ('' = stderr)
    stdinexit: bool = False          # -stdinexit: press any key to exit
    session_timeout: int = 1800      # -session-timeout: idle seconds before a session ends
    # -- HTTP limits (vimsim's own; defaults follow vCenter's reverse proxy) ---
    http_idle_timeout: float = 300.0     # -http-idle-timeout: idle keep-alive seconds
    http_header_timeout: float = 20.0    # -http-header-timeout: seconds for a request head
    http_body_timeout: float = 30.0      # -http-body-timeout: a body's progress window
    tls_handshake_timeout: float = 10.0  # -tls-handshake-timeout
    http_max_connections: int = 0        # -http-max-connections: 0 = by the fd limit
    http_max_body: int = 32 * 1024 * 1024     # -http-max-body: bytes of one request body
    http_max_buffer: int = 64 * 1024 * 1024   # -http-max-buffer: request bytes held in all
    # what one session may hold at once (vCenter bounds these; its values are not published)
    session_max_views: int = 10000        # -session-max-views: views
    session_max_filters: int = 10000      # -session-max-filters: property filters
    session_max_collectors: int = 1000    # -session-max-collectors: extra property collectors
    session_max_retrievals: int = 1000    # -session-max-retrievals: unfinished paged retrievals
    reactor_probe: float = 0.0       # -reactor-probe ms: note the reactor's lateness (0: off)
    # -- model (vcsim's VPX() defaults) ----------------------------------------
    esx: bool = False                # -esx: simulate a standalone ESX host
    dc: int = 1                      # -dc: datacenters
    cluster: int = 1                 # -cluster: clusters (per datacenter)
    host: int = 3                    # -host: hosts per cluster
    standalone_host: int = 1         # -standalone-host: standalone hosts
    vm: int = 2                      # -vm: VMs per resource pool
    pool: int = 0                    # -pool: resource pools per compute resource
    app: int = 0                     # -app: vApps per compute resource
    folder: int = 0                  # -folder: folders (datacenters placed in folders)
    ds: int = 1                      # -ds: local datastores
    pod: int = 0                     # -pod: storage pods per datacenter
    pg: int = 1                      # -pg: DVS port groups
    pg_nsx: int = 0                  # -pg-nsx: NSX backed port groups
    nsx: int = 0                     # -nsx: NSX backed opaque networks
    autostart: bool = True           # -autostart: power on model-created VMs
    # -- delays ---------------------------------------------------------------
    delay: int = 0                   # -delay: ms delay of every method response
    method_delay: dict = field(default_factory=dict)  # -method-delay 'M1:ms,M2:ms'
    delay_jitter: float = 0.0        # -delay-jitter: coefficient of variation
    # -- distributed services (vimsim's own) ----------------------------------------
    drs_interval: float = 300.0      # -drs-interval: model seconds between DRS passes
    control: str = ''                # -control FILE: control surface actions to run at start
    # -- positional arguments (vcsim commands: "version", "uuidgen") ----------
    args: list = field(default_factory=list)

    def model_counts(self):
        """The inventory counts vcsim would build: with ``esx`` vcsim starts
        from its ESX() model and keeps only -ds, -vm, -autostart and the delays."""
        if self.esx:
            return dict(dc=0, cluster=0, host=0, standalone_host=0, vm=self.vm,
                        pool=0, app=0, folder=0, ds=self.ds, pod=0, pg=0, pg_nsx=0,
                        nsx=0, autostart=self.autostart)
        return dict(dc=self.dc, cluster=self.cluster, host=self.host,
                    standalone_host=self.standalone_host, vm=self.vm, pool=self.pool,
                    app=self.app, folder=self.folder, ds=self.ds, pod=self.pod,
                    pg=self.pg, pg_nsx=self.pg_nsx, nsx=self.nsx,
                    autostart=self.autostart)


class UsageError(Exception):
    """A bad command line; ``options`` holds what was parsed before the error
    (the -E target among it, if it came first)."""
    options = None


# flag name -> (Options field, kind, help); kinds: str int float bool delay
FLAGS = {
    'l': ('listen', 'str', 'Listen address for vcsim (port 0: ephemeral)'),
    'tls': ('tls', 'bool', 'Enable TLS'),
    'tlscert': ('tlscert', 'str', 'Path to TLS certificate file'),
    'tlskey': ('tlskey', 'str', 'Path to TLS key file'),
    'username': ('username', 'str',
                 'Login username for vcsim (any username allowed by default)'),
    'password': ('password', 'str',
                 'Login password for vcsim (any password allowed by default)'),
    'users': ('users', 'str', 'JSON file of the accounts that may log in (see README)'),
    'api-version': ('api_version', 'str', 'API version'),
    'E': ('env', 'str', 'Output vcsim variables to the given fifo or stdout'),
    'load': ('load', 'str', 'Load model from directory'),
    'state': ('state', 'str', 'Keep the state (inventory, tasks, events) in directory, '
              'across restarts and crashes'),
    'state-compact': ('state_compact', 'int', 'Compact the -state journal while serving once '
                      'it holds this many records (0: only at a start past 20000)'),
    'datastore-dir': ('datastore_dir', 'str', 'Keep the datastores\' contents in directory '
                      '(default: a temporary one; with -state, in its datastores/)'),
    'tunnel': ('tunnel', 'int', 'SDK tunnel port'),
    'trace': ('trace', 'bool', 'Trace SOAP to -trace-file'),
    'trace-file': ('trace_file', 'str', 'Trace output file (defaults to stderr)'),
    'stdinexit': ('stdinexit', 'bool', 'Press any key to exit'),
    'session-timeout': ('session_timeout', 'int',
                        "Seconds a session may stay idle (vCenter's default: 1800)"),
    'http-idle-timeout': ('http_idle_timeout', 'float',
                          'Seconds a keep-alive connection may wait for its next request'),
    'http-header-timeout': ('http_header_timeout', 'float',
                            'Seconds from the first byte of a request to its last header'),
    'http-body-timeout': ('http_body_timeout', 'float',
                          'Seconds in which a request body must make progress (1 KB/s)'),
    'tls-handshake-timeout': ('tls_handshake_timeout', 'float',
                              'Seconds a TLS handshake may take'),
    'http-max-connections': ('http_max_connections', 'int',
                             'Open connections at most (0: as the file-descriptor limit allows)'),
    'http-max-body': ('http_max_body', 'int', 'Bytes of one request body at most (413 past it)'),
    'http-max-buffer': ('http_max_buffer', 'int',
                        'Request bytes held across all connections before reading pauses'),
    'session-max-views': ('session_max_views', 'int', 'Views one session may hold'),
    'session-max-filters': ('session_max_filters', 'int',
                            'Property filters one session may hold'),
    'session-max-collectors': ('session_max_collectors', 'int',
                               'Property collectors one session may create'),
    'session-max-retrievals': ('session_max_retrievals', 'int',
                               'Unfinished paged retrievals one session may hold '
                               '(past it the oldest expires)'),
    'reactor-probe': ('reactor_probe', 'float',
                      'Milliseconds between checks of how late the reactor answers, '
                      'listed in /debug/vars (0: off)'),
    'esx': ('esx', 'bool', 'Simulate standalone ESX'),
    'dc': ('dc', 'int', 'Number of datacenters'),
    'cluster': ('cluster', 'int', 'Number of clusters'),
    'host': ('host', 'int', 'Number of hosts per cluster'),
    'standalone-host': ('standalone_host', 'int', 'Number of standalone hosts'),
    'vm': ('vm', 'int', 'Number of virtual machines per resource pool'),
    'pool': ('pool', 'int', 'Number of resource pools per compute resource'),
    'app': ('app', 'int', 'Number of virtual apps per compute resource'),
    'folder': ('folder', 'int', 'Number of folders'),
    'ds': ('ds', 'int', 'Number of local datastores'),
    'pod': ('pod', 'int', 'Number of storage pods per datacenter'),
    'pg': ('pg', 'int', 'Number of port groups'),
    'pg-nsx': ('pg_nsx', 'int', 'Number of NSX backed port groups'),
    'nsx': ('nsx', 'int', 'Number of NSX backed opaque networks'),
    'autostart': ('autostart', 'bool', 'Autostart model created VMs'),
    'delay': ('delay', 'int', 'Method response delay across all methods'),
    'method-delay': ('method_delay', 'delay',
                     "Delay per method on the form 'method1:delay1,method2:delay2...'"),
    'delay-jitter': ('delay_jitter', 'float',
                     'Delay jitter coefficient of variation (tip: 0.5 is a good starting value)'),
    'drs-interval': ('drs_interval', 'float',
                     "Seconds of model time between two DRS passes (vCenter's default: 300)"),
    'control': ('control', 'str', 'JSON file of control surface actions to run at start '
                '(see README)'),
}

# ordinary long spellings -> Go flag name
ALIASES = {
    'listen': 'l', 'env': 'E', 'env-file': 'E', 'tls-cert': 'tlscert',
    'tls-key': 'tlskey', 'user': 'username', 'api_version': 'api-version',
    'standalone_host': 'standalone-host', 'pg_nsx': 'pg-nsx',
    'method_delay': 'method-delay', 'delay_jitter': 'delay-jitter',
    'trace_file': 'trace-file', 'datacenter': 'dc', 'datastore': 'ds',
}

_TRUE = ('1', 't', 'T', 'TRUE', 'true', 'True')
_FALSE = ('0', 'f', 'F', 'FALSE', 'false', 'False')


def _parse_bool(text):
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError('parse error')


def _parse_int(text):
    try:
        return int(text, 0)      # Go's ParseInt(s, 0, 64): 0x10, 0o17, 0b1
    except ValueError:
        return int(text, 10)     # "010"


def parse_method_delay(text):
    """'method1:delay1,method2:delay2' -> {method: delay_ms}."""
    result = {}
    if not text:
        return result
    for item in text.split(','):
        item = item.strip()
        parts = item.split(':')
        if len(parts) != 2:
            raise ValueError('Incorrect method delay format.')
        try:
            result[parts[0]] = int(parts[1])
        except ValueError:
            raise ValueError('Incorrect format of method-delay argument: %r' % parts[1]) from None
    return result


def secret(value):
    """govmomi's session.Secret: a value naming a readable file stands for the
    file's (stripped) contents."""
    if not value:
        return value
    try:
        if os.path.isfile(value):
            with open(value, encoding='utf-8') as f:
                return f.read().strip()
    except OSError:
        pass
    return value


def usage(prog='vimsim'):
    lines = ['Usage of %s:' % prog]
    defaults = Options()
    for name, (fld, kind, text) in FLAGS.items():
        value = getattr(defaults, fld)
        if kind == 'bool':
            lines.append('  -%s\n    \t%s (default %s)' % (name, text, str(value).lower()))
            continue
        typ = {'str': 'string', 'int': 'int', 'float': 'float', 'delay': 'string'}[kind]
        line = '  -%s %s\n    \t%s' % (name, typ, text)
        if kind == 'delay':
            pass
        elif kind == 'str' and value:
            line += ' (default "%s")' % value
        elif kind in ('int', 'float') and value:
            line += ' (default %s)' % value
        lines.append(line)
    lines.append('Long spellings are accepted too: --listen, --env, --tls-cert, '
                 '--tls-key, --no-tls, --api-version, ...')
    return '\n'.join(lines) + '\n'


def parse_args(argv=None, prog='vimsim'):
    """Parse ``argv`` (without the program name) into an Options.
    Raises UsageError on bad input; ``-h``/``--help`` raises SystemExit(0)
    after printing the usage."""
    if argv is None:
        argv = sys.argv[1:]
    opts = Options()
    try:
        _parse_into(opts, list(argv), prog)
        if opts.trace_file:     # as vcsim: -trace-file F alone turns tracing on
            opts.trace = True
        _check(opts)
    except UsageError as error:
        error.options = opts
        raise
    return opts


def _parse_into(opts, argv, prog):
    i = 0
    n = len(argv)
    while i < n:
        arg = argv[i]
        if arg == '--':
            i += 1
            break
        if len(arg) < 2 or arg[0] != '-':
            break
        name = arg[2:] if arg.startswith('--') else arg[1:]
        if not name or name[0] in '-=':
            raise UsageError('bad flag syntax: %s' % arg)
        value = None
        if '=' in name:
            name, value = name.split('=', 1)
        i += 1
        if name in ('h', 'help'):
            sys.stdout.write(usage(prog))
            raise SystemExit(0)
        if name == 'no-tls' and value is None:
            opts.tls = False
            continue
        if name not in FLAGS and name in ALIASES:
            name = ALIASES[name]
        spec = FLAGS.get(name)
        if spec is None:
            raise UsageError('flag provided but not defined: -%s' % name)
        fld, kind, _ = spec
        if kind == 'bool':
            if value is None:
                setattr(opts, fld, True)
                continue
            try:
                setattr(opts, fld, _parse_bool(value))
            except ValueError:
                raise UsageError('invalid boolean value %r for -%s: parse error'
                                 % (value, name)) from None
            continue
        if value is None:
            if i >= n:
                raise UsageError('flag needs an argument: -%s' % name)
            value = argv[i]
            i += 1
        try:
            if kind == 'int':
                setattr(opts, fld, _parse_int(value))
            elif kind == 'float':
                setattr(opts, fld, float(value))
            elif kind == 'delay':
                setattr(opts, fld, parse_method_delay(value))
            else:
                setattr(opts, fld, value)
        except ValueError as e:
            raise UsageError('invalid value %r for flag -%s: %s' % (value, name, e)) from None
    opts.args = argv[i:]


MAX_DELAY_MS = 3600 * 1000      # an hour: a longer hold is no simulation of anything
MAX_JITTER = 10.0
MAX_TIMEOUT = 7 * 24 * 3600.0   # seconds; also keeps timer arithmetic finite


def _check(opts):
    """Refuse values the server cannot run with (a zero session timeout
    busy-loops, an infinite jitter breaks every call, a huge delay hangs it)."""
    try:
        split_hostport(opts.listen)
    except ValueError as e:
        raise UsageError('invalid value %r for flag -l: %s' % (opts.listen, e)) from None
    if opts.tlskey and not opts.tlscert:
        raise UsageError('-tlskey needs -tlscert')
    for name, (fld, _, _) in FLAGS.items():
        if name.startswith('session-max-') and getattr(opts, fld) < 1:
            raise UsageError('invalid value %r for flag -%s: must be at least 1'
                             % (getattr(opts, fld), name))
    if opts.users and (opts.username or opts.password):
        raise UsageError('-users and -username/-password exclude each other')
    if opts.state and opts.datastore_dir:
        raise UsageError('-state keeps the datastores in its own datastores/: '
                         '-datastore-dir excludes it')
    _in_range('session-timeout', opts.session_timeout, 1, int(MAX_TIMEOUT))
    _in_range('state-compact', opts.state_compact, 0, 1 << 31)
    _in_range('delay', opts.delay, 0, MAX_DELAY_MS)
    for method, delay in opts.method_delay.items():
        _in_range('method-delay', delay, 0, MAX_DELAY_MS, ' (%s)' % method)
    _in_range('delay-jitter', opts.delay_jitter, 0, MAX_JITTER)
    _in_range('drs-interval', opts.drs_interval, 1, MAX_TIMEOUT)
    for flag in ('http-idle-timeout', 'http-header-timeout', 'http-body-timeout',
                 'tls-handshake-timeout'):
        value = getattr(opts, FLAGS[flag][0])
        if not value > 0:
            raise UsageError('invalid value %s for flag -%s: must be more than 0'
                             % (value, flag))
        _in_range(flag, value, 0, MAX_TIMEOUT)
    _in_range('http-max-connections', opts.http_max_connections, 0, 1 << 20)
    _in_range('http-max-body', opts.http_max_body, 1, 1 << 40)
    _in_range('http-max-buffer', opts.http_max_buffer, 1, 1 << 40)
    _in_range('reactor-probe', opts.reactor_probe, 0, 60000)


def _in_range(flag, value, low, high, what=''):
    if isinstance(value, float) and not math.isfinite(value) or not low <= value <= high:
        raise UsageError('invalid value %s for flag -%s%s: must be between %s and %s'
                         % (value, flag, what, low, high))


def split_hostport(value, default_port=8989):
    """Split ``host:port`` / ``[v6]:port`` / ``:port`` / ``host`` (Go's
    net.SplitHostPort, lenient). Returns (host, port). Here, not with the
    HTTP front: checking -l must not import the reactor (with Twisted's TLS)
    before the command knows whether it serves TLS."""
    value = value.strip()
    if value.startswith('['):
        end = value.find(']')
        if end < 0:
            raise ValueError('missing ] in address %r' % value)
        host = value[1:end]
        rest = value[end + 1:]
        if not rest:
            return host, default_port
        if not rest.startswith(':'):
            raise ValueError('bad address %r' % value)
        return host, _port(rest[1:], value)
    if value.count(':') > 1:          # bare IPv6 literal, no port
        return value, default_port
    host, sep, port = value.rpartition(':')
    if not sep:
        return value, default_port
    return host, _port(port, value)


def _port(text, value):
    if not text.isdigit() or int(text) > 65535:
        raise ValueError('bad port in address %r' % value)
    return int(text)
