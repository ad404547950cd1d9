"""The in-process mode, `vimsim.mock`.

- ``with vimsim.mock(): SmartConnect(host='vc.example.com', ...)`` works with
  no socket at all (socket creation fails meanwhile), over https and http,
  and tasks, waits and property collection behave as over the network;
- it serves byte for byte what the HTTP server serves (the same protocol
  code below the transport): the versions document, the WSDL, /about and
  SOAP answers, gzipped or not;
- its Simulator is there for setup; as a decorator each call gets a fresh
  one; nested mocks serve the innermost; leaving restores http.client; a
  closed connection, a bad request and a timeout behave as a socket's;
  requests (urllib3) lands there too.
"""
import gzip
import http.client
import socket
import threading
import time

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

import vimsim.mock
from tests.conftest import _simulator, on_reactor
import vimsim.testing.mock
from vimsim.testing.mock import InProcessSocket

RETRIEVE = (b'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
            b'"http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
            b'<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">'
            b'ServiceInstance</_this></RetrieveServiceContent></soapenv:Body></soapenv:Envelope>')


@pytest.fixture
def no_sockets(monkeypatch):
    """Any socket made meanwhile fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError('a socket was made')
    monkeypatch.setattr(socket, 'socket', refuse)
    monkeypatch.setattr(socket, 'create_connection', refuse)


def _vms(si):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    return list(view.view)


def test_smart_connect_to_any_host_with_no_socket(no_sockets):
    with vimsim.mock() as simulator:
        si = SmartConnect(host='vc.example.com', user='someone', pwd='secret',
                          disableSslCertValidation=True)
        assert si.content.about.apiType == 'VirtualCenter'
        assert si.content.sessionManager.currentSession.userName == 'someone'
        vm = _vms(si)[0]
        WaitForTask(vm.PowerOffVM_Task())
        assert vm.runtime.powerState == 'poweredOff'
        assert len(simulator.session_manager.sessions) == 1
        Disconnect(si)


def test_plain_http_and_esx_mode(no_sockets):
    with vimsim.mock('-esx'):
        si = SmartConnect(protocol='http', host='esx.example.com', port=80, user='root',
                          pwd='x')
        assert si.content.about.apiType == 'HostAgent'
        Disconnect(si)


def test_waits_answer_as_over_the_network():
    with vimsim.mock():
        si = SmartConnect(host='vc', user='u', pwd='p', disableSslCertValidation=True)
        collector = si.content.propertyCollector
        vm = _vms(si)[0]
        collector.CreateFilter(vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=vm)],
            propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine,
                                                                pathSet=['name'])]), True)
        version = collector.WaitForUpdatesEx('').version
        changes = []
        waiter = threading.Thread(target=lambda: changes.append(
            collector.WaitForUpdatesEx(version)))
        waiter.start()
        WaitForTask(vm.Rename_Task('renamed'))
        waiter.join(5)
        assert changes[0].filterSet[0].objectSet[0].changeSet[0].val == 'renamed'
        Disconnect(si)


def _exchange(connection, method, path, body=None, headers=None):
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    return response.status, response.getheader('Content-Type'), \
        response.getheader('Content-Encoding'), data


REQUESTS = [('GET', '/sdk/vimServiceVersions.xml', None, {}),
            ('GET', '/sdk/vim.wsdl', None, {'Accept-Encoding': 'gzip'}),
            ('GET', '/about', None, {}),
            ('GET', '/no/such/page', None, {}),
            ('POST', '/sdk', RETRIEVE, {'Content-Type': 'text/xml',
                                        'SOAPAction': '"urn:vim25/8.0.3.0"'}),
            ('POST', '/sdk', RETRIEVE, {'SOAPAction': '"urn:vim25/1.2.3"'}),
            ('POST', '/sdk', b'<not-xml', {})]


def test_it_serves_exactly_what_the_server_serves(validator):
    server = _simulator(validator, tls=False)
    over_network = [_exchange(http.client.HTTPConnection(server.host, server.port), *request)
                    for request in REQUESTS]
    with vimsim.mock():
        in_process = [_exchange(http.client.HTTPConnection('vc.example.com'), *request)
                      for request in REQUESTS]
    assert in_process == over_network
    assert gzip.decompress(in_process[1][3]).startswith(b'<?xml')


def test_the_simulator_is_there_for_setup():
    with vimsim.mock(vm=1) as simulator:
        vm = next(obj for obj in simulator.objects if obj.type_name == 'VirtualMachine')
        on_reactor(setattr, vm, 'name', 'set up directly')
        si = SmartConnect(host='vc', user='u', pwd='p', disableSslCertValidation=True)
        assert 'set up directly' in [v.name for v in _vms(si)]
        Disconnect(si)


def test_as_a_decorator_each_call_gets_a_fresh_simulator():
    @vimsim.mock()
    def destroy_one():
        si = SmartConnect(host='vc', user='u', pwd='p', disableSslCertValidation=True)
        vm = _vms(si)[0]
        WaitForTask(vm.PowerOffVM_Task())
        WaitForTask(vm.Destroy_Task())
        left = len(_vms(si))
        Disconnect(si)
        return left

    assert destroy_one() == destroy_one() == 3


def test_nested_mocks_serve_the_innermost_and_leaving_restores_http_client():
    connect = http.client.HTTPConnection.connect
    with vimsim.mock():
        with vimsim.mock('-esx'):
            si = SmartConnect(host='h', user='u', pwd='p', disableSslCertValidation=True)
            assert si.content.about.apiType == 'HostAgent'
        si = SmartConnect(host='h', user='u', pwd='p', disableSslCertValidation=True)
        assert si.content.about.apiType == 'VirtualCenter'
    assert http.client.HTTPConnection.connect is connect
    assert http.client.HTTPSConnection.connect is not connect


def test_a_bad_request_closes_as_over_a_socket():
    with vimsim.mock():
        connection = http.client.HTTPConnection('vc')
        connection.connect()
        connection.sock.sendall(b'NOT HTTP\r\n\r\n')
        reply = connection.sock.makefile('rb').read()
        assert reply.startswith(b'HTTP/1.1 400 ') and b'Connection: close' in reply


def test_a_read_times_out_as_a_socket_does():
    with vimsim.mock():
        connection = http.client.HTTPConnection('vc', timeout=0.2)
        connection.connect()
        assert isinstance(connection.sock, InProcessSocket)
        connection.sock.sendall(b'GET /about HTTP/1.1\r\nHost: vc\r\n')   # head unfinished
        with pytest.raises(socket.timeout):
            connection.sock.makefile('rb').read(1)


@pytest.mark.filterwarnings('ignore::urllib3.exceptions.InsecureRequestWarning')
def test_requests_lands_there_too(no_sockets):
    """urllib3 (requests) makes its own sockets: its connections land on the
    simulator as well, keep-alive included, and a connection the server
    dropped while idle is told apart and replaced, as over a socket."""
    requests = pytest.importorskip('requests')
    with vimsim.mock(http_idle_timeout=0.2):
        session = requests.Session()
        about = session.get('https://vc.example.com/about', verify=False)
        assert about.status_code == 200 and about.json()['apiVersion']
        assert session.get('https://vc.example.com/debug/vars', verify=False).json()[
            'objects']['VirtualMachine'] == 4
        time.sleep(0.5)                       # the server closes the idle connection
        assert session.get('http://vc.example.com/nothing').status_code == 404
        assert session.get('https://vc.example.com/about', verify=False).status_code == 200


def test_leaving_closes_its_connections():
    with vimsim.mock() as simulator:
        connection = http.client.HTTPConnection('vc')
        connection.request('GET', '/about')
        connection.getresponse().read()
        mock = vimsim.testing.mock._active[-1]
        assert len(mock.factory.connections) == 1
    assert connection.sock.makefile('rb').read() == b''      # the server's end closed
    deadline = time.monotonic() + 5
    while on_reactor(lambda: len(mock.factory.connections)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert on_reactor(lambda: len(mock.factory.connections)) == 0
    assert not simulator._session_reaper.running
