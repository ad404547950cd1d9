"""A simulator serving on an ephemeral port of 127.0.0.1, on the reactor
thread, with what clients need to reach it: its URL and credentials, a
pyVmomi connection, a govc / Ansible environment, and the model itself."""
import dataclasses
import os
import urllib.parse

from vimsim.cli import govc_url, login_of, make_app
from vimsim.options import Options, UsageError, parse_args
from vimsim.server import listen
from vimsim.server.control import run_start_actions
from vimsim.simulator import Simulator
from vimsim.testing.threaded import on_reactor

_FIELDS = frozenset(field.name for field in dataclasses.fields(Options))


def options_for(args=(), **fields):
    """Options from vcsim's command-line words (``'-cluster', '2'``) and
    then Options fields (``vm=10``); UsageError for a bad flag or field. It
    always listens on an ephemeral port of 127.0.0.1."""
    options = parse_args([str(arg) for arg in args])
    unknown = sorted(set(fields) - _FIELDS)
    if unknown:
        raise UsageError('no such simulator option: %s' % ', '.join(unknown))
    for name, value in fields.items():
        setattr(options, name, value)
    options.listen = '127.0.0.1:0'
    return options


class SimulatorServer:
    """A Simulator listening on 127.0.0.1. `sim` is the Simulator, the model
    itself (change it on the reactor thread: `on_reactor`); `wrap_app` may wrap the HTTP
    application (the project's own tests validate every answer so)."""

    def __init__(self, options, wrap_app=None):
        self.options = options
        self.sim = on_reactor(Simulator, options)
        on_reactor(run_start_actions, self.sim)
        app = make_app(self.sim)
        if wrap_app is not None:
            app = wrap_app(app)
        self.tls = options.tls
        self._port = on_reactor(listen, app, '127.0.0.1', 0, options.tls)
        self._stopped = False
        self.host = '127.0.0.1'
        self.port = self._port.getHost().port
        self.scheme = 'https' if options.tls else 'http'
        self.url = '%s://%s:%d/sdk' % (self.scheme, self.host, self.port)
        on_reactor(self.sim.serving_at, self.scheme, self.host, self.port)
        self.username, self.password = login_of(options) or (
            (options.username, options.password) if options.username else ('user', 'pass'))

    def on_reactor(self, function, *args, **kwargs):
        """Run `function` on the reactor thread (where the model lives)."""
        return on_reactor(function, *args, **kwargs)

    def reset(self):
        """A fresh inventory, as at start (Simulator.reset)."""
        on_reactor(self.sim.reset)

    def connect(self, user=None, pwd=None, version=None):
        """An unmodified pyVmomi SmartConnect to this simulator."""
        from pyVim.connect import SmartConnect
        kwargs = {'version': version} if version else {}
        if self.tls:
            kwargs['disableSslCertValidation'] = True
        else:
            kwargs['protocol'] = 'http'
        return SmartConnect(host=self.host, port=self.port,
                            user=self.username if user is None else user,
                            pwd=self.password if pwd is None else pwd, **kwargs)

    def govc_env(self):
        """The environment govc (GOVC_*) and Ansible's community.vmware
        modules (VMWARE_*) read, for tests that run them as subprocesses."""
        url = govc_url(self.options, self.host, self.port, (self.username, self.password))
        return {'GOVC_URL': url, 'GOVC_INSECURE': '1', 'GOVC_SIM_PID': str(os.getpid()),
                'GOVC_USERNAME': self.username, 'GOVC_PASSWORD': self.password,
                'VMWARE_HOST': self.host, 'VMWARE_PORT': str(self.port),
                'VMWARE_USER': self.username, 'VMWARE_PASSWORD': self.password,
                'VMWARE_VALIDATE_CERTS': 'no'}

    def stop(self):
        """Stop listening; the simulator's timers stop and its journal closes
        (once: stopping again does nothing)."""
        if self._stopped:
            return
        self._stopped = True
        on_reactor(self._port.stopListening)
        on_reactor(self.sim.close)

    def __repr__(self):
        return '<SimulatorServer %s>' % urllib.parse.urlsplit(self.url).netloc
