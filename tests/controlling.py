"""For tests that drive the control surface (/vimsim/control/): the JSON
call itself, and a module fixture that takes advanced time back once the
module is done (the model clock is the process's: every simulator of the
session reads it; within a module time only goes forward), and the
fixtures those modules share. A test module imports the fixtures it uses:
`from tests.controlling import control, model_time`."""
import base64
import http.client
import json

import pytest
from pyVim.task import WaitForTask

from tests.conftest import on_reactor
from vimsim import clock


def control(sim, method, path, document=None, auth=('user', 'pass'), headers=None):
    """(status, JSON answer) of a control surface call to a running simulator."""
    connection = http.client.HTTPConnection(sim.host, sim.port, timeout=120)
    sent = dict(headers or {})
    if auth is not None:
        sent['Authorization'] = 'Basic ' + base64.b64encode(
            ('%s:%s' % auth).encode()).decode()
    body = json.dumps(document).encode() if document is not None else None
    if body is not None:
        sent['Content-Type'] = 'application/json'
    connection.request(method, '/vimsim/control/' + path, body=body, headers=sent)
    response = connection.getresponse()
    answer = json.loads(response.read() or b'null')
    connection.close()
    return response.status, answer


def act(sim, path, document):
    """A control surface action that must succeed."""
    status, answer = control(sim, 'POST', path, document)
    assert status == 200, answer
    return answer


@pytest.fixture(scope='module', autouse=True)
def model_time(sim):
    ahead = clock.ahead()
    yield
    on_reactor(sim.sim.time.take_back, clock.ahead() - ahead)


@pytest.fixture
def content(si):
    return si.RetrieveContent()


@pytest.fixture
def vm(content):
    """DC0_H0_VM0, powered on."""
    vm = content.searchIndex.FindByInventoryPath('/DC0/vm/DC0_H0_VM0')
    if vm.runtime.powerState != 'poweredOn':
        WaitForTask(vm.PowerOnVM_Task())
    return vm
