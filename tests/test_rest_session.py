"""vAPI sessions: created, read and deleted through the Automation SDK
(JSON-RPC), /api and /rest; a REST session is a vCenter session, so its
token works on /sdk and a SOAP session's cookie works on /api."""
import pytest
from com.vmware.cis_client import Session
from com.vmware.vapi.std.errors_client import OperationNotFound, Unauthenticated
from pyVmomi import SoapStubAdapter, vim

from tests.conftest import _simulator, on_reactor
from tests.rest_support import Door, error_of, sdk_client, sdk_reads


@pytest.fixture(scope='module')
def sim(validator):
    """HTTPS: the Automation SDK speaks only HTTPS."""
    return _simulator(validator)


@pytest.fixture
def door(sim):
    return Door(sim)


def _soap_cookie(si):
    """The vmware_soap_session value of a pyVmomi connection."""
    return si._stub.cookie.split('"')[1]


def _sessions(sim):
    return on_reactor(lambda: {s.cookie: s.user for s in
                               sim.sim.session_manager.sessions.values()})


def test_sdk_session_is_a_vcenter_session(sim):
    client = sdk_client(sim)
    token = client.get_session_id()
    assert _sessions(sim)[token] == 'user'
    info = client.session_svc.get()
    assert info.user == 'user'
    assert info.created_time <= info.last_accessed_time
    assert client.vcenter.Datacenter.list()
    client.session_svc.delete()
    assert token not in _sessions(sim)
    with pytest.raises(Unauthenticated):
        client.vcenter.Datacenter.list()


def test_sdk_refused_login(sim):
    with pytest.raises(Unauthenticated):
        sdk_client(sim, password='')


def test_api_session_create_get_delete(door):
    token = door.login()
    answer = door.request('GET', '/api/session', token)
    assert answer.status_code == 200
    info = sdk_reads(answer, Session.Info.get_binding_type(), 'api')
    assert info.user == 'user'
    assert door.request('DELETE', '/api/session', token).status_code == 204
    gone = door.request('GET', '/api/session', token)
    assert gone.status_code == 401
    assert error_of(gone, 'api')[0] == 'UNAUTHENTICATED'


def test_api_session_needs_credentials(door):
    assert door.request('POST', '/api/session').status_code == 401
    refused = door.request('POST', '/api/session', auth=('user', ''))
    assert refused.status_code == 401
    assert error_of(refused, 'api')[0] == 'UNAUTHENTICATED'
    garbled = door.request('POST', '/api/session', headers={'Authorization': 'Basic %%%'})
    assert garbled.status_code == 401


def test_rest_session_create_get_delete(door):
    token = door.login(form='rest')
    cookie = {'Cookie': 'vmware-api-session-id=%s' % token}
    answer = door.request('POST', '/rest/com/vmware/cis/session?~action=get', headers=cookie)
    assert answer.status_code == 200
    assert sdk_reads(answer, Session.Info.get_binding_type(), 'rest').user == 'user'
    assert door.request('DELETE', '/rest/com/vmware/cis/session', headers=cookie).status_code \
        == 200
    gone = door.request('POST', '/rest/com/vmware/cis/session?~action=get', headers=cookie)
    assert gone.status_code == 401
    assert error_of(gone, 'rest')[0] == 'com.vmware.vapi.std.errors.unauthenticated'
    assert sdk_reads(gone, None, 'rest').name == 'com.vmware.vapi.std.errors.unauthenticated'


def test_rest_token_logs_in_on_sdk(sim, door):
    """The token of POST /api/session is a vmware_soap_session for /sdk."""
    token = door.login()
    stub = SoapStubAdapter(host=sim.host, port=sim.port, version='vim.version.v8_0_3_0',
                           sslContext=_unverified())
    stub.cookie = 'vmware_soap_session="%s"' % token
    si = vim.ServiceInstance('ServiceInstance', stub)
    assert si.content.sessionManager.currentSession.userName == 'user'
    door.request('DELETE', '/api/session', token)


def _unverified():
    import ssl
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def test_soap_cookie_serves_api_and_login_by_soap_session(sim, door):
    si = sim.connect()
    cookie = _soap_cookie(si)
    answer = door.request('GET', '/api/session', cookie)
    assert answer.status_code == 200 and answer.json()['user'] == 'user'
    # govc's REST login with its SOAP session: a session of its own, same user
    login = door.request('POST', '/rest/com/vmware/cis/session', headers={
        'vmware-use-header-authn': 'true', 'Cookie': 'vmware_soap_session="%s"' % cookie})
    assert login.status_code == 200
    token = login.json()['value']
    assert token != cookie and _sessions(sim)[token] == 'user'
    assert door.request('DELETE', '/api/session', token).status_code == 204
    assert si.content.sessionManager.currentSession.userName == 'user'
    si.content.sessionManager.Logout()
    assert door.request('GET', '/api/session', cookie).status_code == 401


def test_jsonrpc_protocol_errors(sim, door):
    token = door.login()
    not_json = door.request('POST', '/api', data=b'{nope')
    assert not_json.status_code == 200
    assert not_json.json()['error']['code'] == -32700
    wrong_method = door.request('POST', '/api', json={'jsonrpc': '2.0', 'id': '1',
                                                      'method': 'call', 'params': {}})
    assert wrong_method.json()['error']['code'] == -32601
    assert door.request('POST', '/api', json=[1, 2]).json()['error']['code'] == -32600
    security = {'schemeId': 'com.vmware.vapi.std.security.session_id', 'sessionId': token}
    unknown = door.request('POST', '/api', json={
        'jsonrpc': '2.0', 'id': '2', 'method': 'invoke',
        'params': {'serviceId': ['x'], 'operationId': 'list', 'input': None,
                   'ctx': {'appCtx': {}, 'securityCtx': security}}})
    error = unknown.json()['result']['error']['ERROR']
    assert list(error) == [OperationNotFound.get_binding_type().name]
    bad_input = door.request('POST', '/api', json={
        'jsonrpc': '2.0', 'id': '3', 'method': 'invoke',
        'params': {'serviceId': 'com.vmware.cis.tagging.tag', 'operationId': 'get',
                   'input': {'STRUCTURE': {'operation-input': {'tag_id': 7}}},
                   'ctx': {'appCtx': {}, 'securityCtx': security}}})
    error = bad_input.json()['result']['error']['ERROR']
    assert list(error) == ['com.vmware.vapi.std.errors.invalid_argument']
    anonymous = door.request('POST', '/api', json={
        'jsonrpc': '2.0', 'id': '4', 'method': 'invoke',
        'params': {'serviceId': 'com.vmware.cis.tagging.tag', 'operationId': 'list',
                   'input': {'STRUCTURE': {'operation-input': {}}}, 'ctx': {}}})
    error = anonymous.json()['result']['error']['ERROR']
    assert list(error) == ['com.vmware.vapi.std.errors.unauthenticated']


JUNK = [None, [[[]]], -2 ** 70, {'a': 1}, {'STRUCTURE': {'x': []}}, {'OPTIONAL': 'x'}]


def test_junk_never_answers_internal_errors(sim, door):
    """Every operation, every door, junk arguments: a standard error or an
    answer, never a 500 or a dropped connection. (About 900 requests.)"""
    from vimsim.rest.service import OPERATIONS
    token = door.login()
    security = {'schemeId': 'com.vmware.vapi.std.security.session_id', 'sessionId': token}
    for operation in OPERATIONS.values():
        if operation.service == 'com.vmware.cis.session':
            continue                     # would end the session the others use
        method, template, action = operation.api
        path = '/api' + template.format(**{name: 'junk' for name in operation.params})
        query = '?action=' + action if action else ''
        for index, value in enumerate(JUNK):
            answer = door.request(method, path + query, token, json=value)
            assert answer.status_code < 500, (path, value, answer.text)
            body = {name: value for name in operation.params}
            answer = door.request(method, path + query, token, json=body)
            assert answer.status_code < 500, (path, body, answer.text)
            for arguments in (value, {'STRUCTURE': {'operation-input': body}})[index % 2:]:
                answer = door.request('POST', '/api', json={
                    'jsonrpc': '2.0', 'id': 'j', 'method': 'invoke',
                    'params': {'serviceId': operation.service, 'operationId': operation.name,
                               'input': arguments, 'ctx': {'securityCtx': security}}})
                assert answer.status_code == 200, answer.text
                error = answer.json()['result'].get('error')
                assert error is None or 'com.vmware.vapi.std.errors.internal_server_error' \
                    not in error['ERROR'], (operation.service, operation.name, arguments)
    assert door.request('GET', '/api/session', token).status_code == 200


def test_esx_has_no_vapi_services(esx):
    """A standalone ESXi serves no vAPI: /api and /rest are not there."""
    door = Door(esx)
    assert door.request('POST', '/api/session', auth=('root', 'pass')).status_code == 404
    assert door.request('POST', '/rest/com/vmware/cis/session',
                        auth=('root', 'pass')).status_code == 404
