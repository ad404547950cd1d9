"""Test fixtures: real simulators on real sockets, driven by real clients.

The simulators are the pytest plugin's (vimsim.testing: a Simulator on a
Twisted reactor in a background thread), so tests can also change the model
directly (`on_reactor`). Every SOAP response any test receives is validated
against the served schema by a recording wrapper around the app; the session
fails at the end if any did not validate. The plugin's own fixtures
(`vimsim`, `vimsim_si`, ...) validate the same way (`vimsim_wrap_app`).
"""
import time

import pytest

from vimsim.testing.server import SimulatorServer, options_for
from vimsim.testing.threaded import on_reactor, start_reactor as _ensure_reactor
from tests.validation import ResponseValidator

__all__ = ['on_reactor', '_ensure_reactor', 'RunningSimulator', 'logged_in', 'task_fault',
           'all_of', 'register_extension_task', 'settle']


def settle(sim, seconds=30):
    """Wait until what Simulator `sim` began at its start or reset (the
    default alarms, an alarm pass) has run: for tests that compare models."""
    deadline = time.monotonic() + seconds
    while not on_reactor(sim.time.settled):
        assert time.monotonic() < deadline, 'the model does not settle'
        time.sleep(0.01)


def pytest_configure(config):
    """The plugin, unless vimsim is installed with its entry point; pytester
    (tests/test_plugin.py)."""
    plugins = config.pluginmanager
    if not plugins.has_plugin('vimsim'):
        plugins.import_plugin('vimsim.testing.plugin')
    if not plugins.has_plugin('pytester'):
        plugins.import_plugin('pytester')


def register_extension_task(sim, extension, task_id):
    """Register extension `extension` with task type `task_id` in `sim`'s
    ExtensionManager, so that TaskManager.CreateTask takes that type."""
    def register():
        from vimsim.managed.monitoring.task import now
        T = sim.sim.schema.types
        extensions = next(o for o in sim.sim.objects if o.type_name == 'ExtensionManager')
        extensions.extensionList.append(T['Extension'].cls(
            key=extension, version='1.0', lastHeartbeatTime=now(),
            description=T['Description'].cls(label=extension, summary=extension),
            taskList=[T['ExtensionTaskTypeInfo'].cls(taskID=task_id)]))
    on_reactor(register)


class RunningSimulator(SimulatorServer):
    """A simulator on an ephemeral port whose every answer `validator` checks."""

    def __init__(self, options, validator):
        super().__init__(options, validator.wrap)


@pytest.fixture(scope='session')
def validator():
    validator = ResponseValidator()
    yield validator
    assert not validator.failures, 'responses that do not validate:\n' + '\n'.join(
        validator.failures[:20])


_module_simulators = []   # made for the running test module: stopped at its end


def _simulator(validator, **overrides):
    """A simulator of the default options but `overrides` (Options fields),
    for the running test module: it stops when the module ends, so the
    suite does not keep every module's inventory (and its port) alive."""
    server = RunningSimulator(options_for(**overrides), validator)
    _module_simulators.append(server)
    return server


def _shared_simulator(validator, **overrides):
    """A simulator the whole session shares (the fixtures below)."""
    return RunningSimulator(options_for(**overrides), validator)


@pytest.fixture(scope='module', autouse=True)
def _stop_module_simulators():
    yield
    while _module_simulators:
        _module_simulators.pop().stop()


@pytest.fixture(scope='session')
def vimsim_wrap_app(validator):
    return validator.wrap


@pytest.fixture(scope='session')
def vc(validator):
    """The default vCenter inventory over HTTPS."""
    return _shared_simulator(validator)


@pytest.fixture(scope='session')
def vc_http(validator):
    """The default vCenter inventory over plain HTTP."""
    return _shared_simulator(validator, tls=False)


@pytest.fixture(scope='session')
def esx(validator):
    """ESX mode over plain HTTP."""
    return _shared_simulator(validator, tls=False, esx=True)


@pytest.fixture(scope='session')
def vc_803(validator):
    """A vCenter that speaks API 8.0.3.0 at most."""
    return _shared_simulator(validator, tls=False, api_version='8.0.3.0')


@pytest.fixture(scope='session')
def sim(vc_http):
    """The simulator `si` logs in to; a test module overrides this fixture to
    run against a simulator of its own."""
    return vc_http


def logged_in(running):
    """For fixtures: a logged-in pyVmomi ServiceInstance of a running
    simulator, logged out afterwards (`yield from logged_in(...)`)."""
    from pyVim.connect import Disconnect
    instance = running.connect()
    yield instance
    Disconnect(instance)


def task_fault(task):
    """The vim fault a task ends in, as pyVim's WaitForTask raises it."""
    from pyVim.task import WaitForTask
    from pyVmomi import vmodl
    with pytest.raises(vmodl.MethodFault) as raised:
        WaitForTask(task)
    return raised.value


def all_of(si, kind):
    """Every object of a type in the inventory, through a container view."""
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
    try:
        return list(view.view)
    finally:
        view.DestroyView()


@pytest.fixture
def si(sim):
    """A logged-in pyVmomi ServiceInstance (plain HTTP, fast), logged out after."""
    yield from logged_in(sim)


@pytest.fixture
def other(sim):
    """A second session on the same simulator: to watch another session's changes from."""
    yield from logged_in(sim)
