"""The pytest plugin (entry point ``pytest11``: installing vimsim is enough).

Fixtures:

- ``vimsim``: a simulator (a SimulatorServer: ``url``, ``host``, ``port``,
  ``username``, ``password``, ``sim`` the model, ``connect()``,
  ``govc_env()``) whose inventory is fresh for every test: one server per
  inventory serves the whole run and is reset (`Simulator.reset`) before each
  test that uses it.
- ``vimsim_module`` / ``vimsim_session``: the same, reset once per module /
  never.
- ``vimsim_si``: a logged-in pyVmomi ServiceInstance of ``vimsim``, logged
  out after the test.
- ``vimsim_govc_env``: ``vimsim``'s GOVC_* / VMWARE_* environment, a dict for
  subprocesses.
- ``vimsim_mock``: the in-process mode (`vimsim.mock`) for one test: every
  pyVmomi connection lands on a fresh in-process simulator, which it yields.

The inventory: ``@pytest.mark.vimsim('-cluster', '2', '-vm', '10')`` (vcsim's
command-line words) or ``@pytest.mark.vimsim(esx=True)`` (Options fields), on
a test, class or module; or an indirect parameter of the fixture, a list of
words or a dict of fields. ``vimsim_wrap_app`` (session scope, None) may be
overridden to wrap each server's HTTP application.
"""
import pytest

from vimsim.testing.mock import Mock
from vimsim.testing.server import SimulatorServer, options_for

MARKER = 'vimsim'


def pytest_configure(config):
    config.addinivalue_line(
        'markers', "vimsim(*flags, **options): the inventory of the vimsim fixtures: vcsim's "
        "command-line words ('-esx', '-cluster', '2') and/or Options fields (vm=10)")


class ServerPool:
    """One SimulatorServer per (scope, inventory), started on first use and
    kept for the run; `acquire` resets a used one first."""

    def __init__(self, wrap_app):
        self.wrap_app = wrap_app
        self._servers = {}    # (scope, flags) -> SimulatorServer
        self._used = set()    # keys of the servers a test has used since their last reset

    def acquire(self, scope, args, fields):
        key = (scope, repr((tuple(args), sorted(fields.items()))))
        server = self._servers.get(key)
        if server is None:
            server = self._servers[key] = SimulatorServer(options_for(args, **fields),
                                                          self.wrap_app)
        elif key in self._used and scope != 'session':
            server.reset()
        self._used.add(key)
        return server

    def stop(self):
        for server in self._servers.values():
            server.stop()
        self._servers.clear()


def inventory_of(request):
    """(vcsim words, Options fields) that choose the fixture's inventory: its
    indirect parameter, else the closest `vimsim` marker."""
    param = getattr(request, 'param', None)
    if isinstance(param, dict):
        return (), param
    if param is not None:
        return ([param] if isinstance(param, str) else list(param)), {}
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return (), {}
    return marker.args, marker.kwargs


@pytest.fixture(scope='session')
def vimsim_wrap_app():
    """A wrapper of each simulator's HTTP application (None: none)."""
    return None


@pytest.fixture(scope='session')
def vimsim_pool(vimsim_wrap_app):
    pool = ServerPool(vimsim_wrap_app)
    yield pool
    pool.stop()


@pytest.fixture
def vimsim(request, vimsim_pool):
    """A simulator with a fresh inventory for this test."""
    return vimsim_pool.acquire('function', *inventory_of(request))


@pytest.fixture(scope='module')
def vimsim_module(request, vimsim_pool):
    """A simulator shared by this module's tests, fresh at its start."""
    return vimsim_pool.acquire('module', *inventory_of(request))


@pytest.fixture(scope='session')
def vimsim_session(request, vimsim_pool):
    """A simulator shared by the whole run, never reset."""
    return vimsim_pool.acquire('session', *inventory_of(request))


@pytest.fixture
def vimsim_si(vimsim):
    """A logged-in pyVmomi ServiceInstance of `vimsim`, logged out after."""
    from pyVim.connect import Disconnect
    instance = vimsim.connect()
    yield instance
    Disconnect(instance)


@pytest.fixture
def vimsim_govc_env(vimsim):
    """`vimsim`'s GOVC_URL etc., for govc, Ansible and other subprocesses."""
    return vimsim.govc_env()


@pytest.fixture
def vimsim_mock(request):
    """The in-process mode for this test: yields its Simulator."""
    args, fields = inventory_of(request)
    with Mock(*args, **fields) as simulator:
        yield simulator
