"""Test fixtures: real simulators on real sockets, driven by real clients.

Each simulator runs in this process on a Twisted reactor in a background
thread, so tests can also change the model directly (`on_reactor`). Every SOAP
response any test receives is validated against the served schema by a
recording wrapper around the app; the session fails at the end if any did
not validate.
"""
import threading

import pytest
from twisted.internet import reactor, threads

from vimsim.options import Options
from tests.validation import ResponseValidator

_reactor_thread = None


def _ensure_reactor():
    global _reactor_thread
    if _reactor_thread is None:
        _reactor_thread = threading.Thread(
            target=reactor.run, kwargs={'installSignalHandlers': False}, daemon=True)
        _reactor_thread.start()


def on_reactor(function, *args, **kwargs):
    """Run `function` on the reactor thread and return its result."""
    return threads.blockingCallFromThread(reactor, function, *args, **kwargs)


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


class RunningSimulator:
    """A simulator listening on an ephemeral port, with its connection facts."""

    def __init__(self, options, validator):
        from vimsim.cli import make_app
        from vimsim.server import listen
        from vimsim.simulator import Simulator
        self.sim = on_reactor(Simulator, options)
        app = validator.wrap(make_app(self.sim))
        self.tls = options.tls
        self.port = on_reactor(listen, app, '127.0.0.1', 0, options.tls).getHost().port
        self.host = '127.0.0.1'
        self.scheme = 'https' if options.tls else 'http'
        self.url = '%s://%s:%d/sdk' % (self.scheme, self.host, self.port)

    def connect(self, user='user', pwd='pass', version=None):
        """An unmodified pyVmomi SmartConnect to this simulator."""
        from pyVim.connect import SmartConnect
        kwargs = {}
        if version:
            kwargs['version'] = version
        if self.tls:
            return SmartConnect(host=self.host, port=self.port, user=user, pwd=pwd,
                                disableSslCertValidation=True, **kwargs)
        return SmartConnect(protocol='http', host=self.host, port=self.port,
                            user=user, pwd=pwd, **kwargs)


@pytest.fixture(scope='session')
def validator():
    validator = ResponseValidator()
    yield validator
    assert not validator.failures, 'responses that do not validate:\n' + '\n'.join(
        validator.failures[:20])


def _simulator(validator, **overrides):
    _ensure_reactor()
    options = Options()
    options.listen = '127.0.0.1:0'
    for name, value in overrides.items():
        setattr(options, name, value)
    return RunningSimulator(options, validator)


@pytest.fixture(scope='session')
def vc(validator):
    """The default vCenter inventory over HTTPS."""
    return _simulator(validator)


@pytest.fixture(scope='session')
def vc_http(validator):
    """The default vCenter inventory over plain HTTP."""
    return _simulator(validator, tls=False)


@pytest.fixture(scope='session')
def esx(validator):
    """ESX mode over plain HTTP."""
    return _simulator(validator, tls=False, esx=True)


@pytest.fixture(scope='session')
def vc_803(validator):
    """A vCenter that speaks API 8.0.3.0 at most."""
    return _simulator(validator, tls=False, api_version='8.0.3.0')


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
