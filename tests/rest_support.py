"""Clients of the vAPI doors for the REST tests: plain HTTP (requests) for
/api and /rest, the vSphere Automation SDK (PyPI's vmware-vcenter) for
JSON-RPC, and the SDK's own REST deserializer and type converter, which
read a raw /api or /rest answer exactly as the SDK's bindings expect it.

A test module imports the module-scoped fixtures it uses (`client`, `si`,
`door`, `token`) over its own `sim`."""
import pytest
import requests
import urllib3
from vmware.vapi.bindings.converter import RestConverter, TypeConverter
from vmware.vapi.data.serializers.rest import RestSerializer
from vmware.vapi.protocol.client.http_lib import HTTPResponse
from vmware.vapi.vsphere.client import VsphereClient

from tests.conftest import logged_in

SESSION_HEADER = 'vmware-api-session-id'
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)   # loopback, self-signed


class Door:
    """Plain HTTP to one simulator's /api and /rest (no proxies, no
    certificate checks: loopback only)."""

    def __init__(self, running):
        self.base = '%s://%s:%d' % (running.scheme, running.host, running.port)
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = False

    def request(self, method, path, token=None, **kwargs):
        headers = dict(kwargs.pop('headers', {}))
        if token is not None:
            headers[SESSION_HEADER] = token
        return self.http.request(method, self.base + path, headers=headers, **kwargs)

    def login(self, user='user', password='pass', form='api'):
        path = '/api/session' if form == 'api' else '/rest/com/vmware/cis/session'
        answer = self.request('POST', path, auth=(user, password))
        assert answer.status_code == (201 if form == 'api' else 200), answer.text
        return answer.json() if form == 'api' else answer.json()['value']


class _Client(VsphereClient):
    """The SDK's client without its __del__, which logs out over HTTP: run
    by a garbage collection on the reactor thread, that request would wait
    forever for the server it blocks. Sessions left open simply expire."""

    def __del__(self):
        pass


def sdk_client(running, user='user', password='pass'):
    """A logged-in Automation SDK client (JSON-RPC to POST /api over HTTPS),
    as `create_vsphere_client` makes it."""
    http = requests.Session()
    http.trust_env = False
    http.verify = False
    return _Client(session=http, server='%s:%d' % (running.host, running.port),
                   username=user, password=password, bearer_token=None, hok_token=None,
                   private_key=None)


def sdk_reads(answer, binding_type, form):
    """What the SDK's bindings read from a raw /api (form 'api') or /rest
    answer: the output as the binding's Python value, or the standard error
    it raises. Fails (as the SDK would) on any shape the binding does not
    expect."""
    vapi_rest = form == 'rest'
    response = HTTPResponse(answer.status_code, dict(answer.headers), answer.text)
    result = RestSerializer.deserialize_response(response, vapi_rest)
    mode = RestConverter.VAPI_REST if vapi_rest else RestConverter.SWAGGER_REST
    if result.error is not None:
        return result.error
    return TypeConverter.convert_to_python(result.output, binding_type,
                                           rest_converter_mode=mode)


def error_of(answer, form):
    """The standard error a failed /api or /rest answer carries: (name or
    error type, default messages)."""
    body = answer.json()
    if form == 'rest':
        return body['type'], [m['default_message'] for m in body['value']['messages']]
    return body['error_type'], [m['default_message'] for m in body['messages']]


@pytest.fixture(scope='module')
def client(sim):
    """The module's Automation SDK client."""
    return sdk_client(sim)


@pytest.fixture(scope='module')
def si(sim):
    """The module's pyVmomi connection (for what /sdk says)."""
    yield from logged_in(sim)


@pytest.fixture(scope='module')
def door(sim):
    return Door(sim)


@pytest.fixture(scope='module')
def token(door):
    """A REST session's token for `door`."""
    return door.login()
