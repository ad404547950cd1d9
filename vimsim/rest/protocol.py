"""The vAPI doors onto the operations of vimsim/rest/service.py:

- POST /api with a JSON-RPC 2.0 `invoke` body: the Automation SDKs'
  protocol. The security context names the session (`session_id` scheme) or,
  to create one, the credentials (`user_pass` scheme). Errors travel as
  `result.error` of a 200 answer; a body that is no JSON-RPC request answers
  a JSON-RPC error object.
- /api/...: the JSON REST API; the session in the `vmware-api-session-id`
  header, Basic credentials to create one.
- /rest/...: the older form; the session in that header or cookie, answers
  wrapped in `{"value": ...}`, errors as `{"type": ..., "value": ...}`.

A REST session is a vCenter session (the SessionManager's): its token is
the session's cookie, so it also serves as `vmware_soap_session` on /sdk,
and a SOAP session's cookie serves as `vmware-api-session-id` here.

With -state, a call that may change the model is journaled as a `rest`
record (`journal_body`) and `replay` runs it again at the next start; no
answer leaves before the records it may reflect are on disk.
"""
import base64
import binascii
import json
import logging
import urllib.parse

from twisted.internet import defer

from vimsim.managed.base import Context
from vimsim.rest import (appliance, content_library, content_library_deploy,
                         content_library_item, session as session_service, tagging, vcenter,
                         vcenter_vm, vcenter_vm_create, vcenter_vm_guest, vcenter_vm_hardware)
from vimsim.rest.errors import VapiError, invalid_argument, unauthenticated
from vimsim.rest.service import OPERATIONS
from vimsim.rest.types import BadValue, Boolean, Integer, List, Optional
from vimsim.server.endpoint import session_cookie
from vimsim.server.http import HttpResponse

__all__ = ['RestApi', 'SESSION_HEADER', 'replay', 'journal_body']

log = logging.getLogger(__name__)

SESSION_HEADER = 'vmware-api-session-id'
JSON = 'application/json'
SERVICES = (session_service, tagging, vcenter, vcenter_vm, vcenter_vm_create,  # their operations
            vcenter_vm_guest, vcenter_vm_hardware, appliance,             # register on import
            content_library,
            content_library_item, content_library_deploy)
USER_PASS_SCHEME = 'com.vmware.vapi.std.security.user_pass'
SESSION_SCHEME = 'com.vmware.vapi.std.security.session_id'


class Call:
    """What a handler knows of its call: the simulator, the session (None
    before login), the credentials a session create was given, and a model
    Context for the model's methods."""

    def __init__(self, server, session, credentials, request):
        self.server = server
        self.session = session
        self.credentials = credentials
        self.ctx = Context(server, session, server.schema.version(server.api_version), request)


class _Routes:
    """One HTTP form's URL map (werkzeug routing): (method, template) ->
    {action: Operation}."""

    def __init__(self, form):
        # werkzeug costs a start-up ~50 ms and ~10 MB: imported at the first REST call
        from werkzeug.routing import Map, Rule
        self.form = form
        self.table = {}
        rules = []
        prefix = '/api' if form == 'api' else ''
        for operation in OPERATIONS.values():
            method, template, action = getattr(operation, form)
            key = (method, template)
            if key not in self.table:
                self.table[key] = {}
                rules.append(Rule(prefix + template.replace('{', '<').replace('}', '>'),
                                  endpoint=key, methods=[method]))
            dispatch = operation.dispatch if form == 'api' else None
            self.table[key][action, dispatch] = operation
        self.urls = Map(rules, strict_slashes=False, merge_slashes=False).bind('localhost')

    def match(self, method, path, action, query):
        """(operation, path arguments), or a VapiError for a miss."""
        from werkzeug.exceptions import MethodNotAllowed, NotFound
        try:
            key, arguments = self.urls.match(urllib.parse.unquote(path), method=method)
        except MethodNotAllowed:
            raise VapiError('operation_not_found', 'com.vmware.vapi.rest.httpMethodNotAllowed',
                            'HTTP method %s is not allowed for %s.' % (method, path),
                            method, path) from None
        except NotFound:
            raise _not_found(path) from None
        candidates = self.table[key]
        operation = next((found for (wanted, dispatch), found in candidates.items()
                          if wanted == action and dispatch in query), None) \
            or candidates.get((action, None))
        if operation is None:
            raise _not_found(path)
        return operation, arguments


def _not_found(path):
    return VapiError('not_found', 'com.vmware.vapi.rest.httpNotFound',
                     'Not found: %s.' % path, path)


class RestApi:
    """The /api and /rest handler of one simulator: `handle` answers their
    requests and returns None for any other path, and for every path on a
    simulated ESXi, which has no vAPI services."""

    def __init__(self, server):
        self.server = server
        self._routes = {}   # form -> _Routes, made at its first request

    def handle(self, request):
        path = request.path
        if path in ('/api', '/api/') and request.method == 'POST':
            form = 'jsonrpc'
        elif path.startswith('/api/'):
            form = 'api'
        elif path.startswith('/rest/'):
            form = 'rest'
        else:
            return None
        if self.server.esx:
            return None
        response = self._jsonrpc(request) if form == 'jsonrpc' else self._http(request, form)
        persistence = self.server.persistence
        if persistence is None:
            return response
        durable = defer.maybeDeferred(lambda: response).addCallback(
            persistence.journal.when_durable)
        return durable.addErrback(lambda failure: _json_response(500, {
            'error_type': 'INTERNAL_SERVER_ERROR', 'messages': [{
                'id': 'vimsim.state.unwritable', 'args': [],
                'default_message': 'The state journal cannot be written.'}]}))

    # -- sessions and credentials -------------------------------------------------
    def _session(self, token):
        if not token:
            return None
        return self.server.session_manager.by_cookie(token)

    def _http_session(self, request, form):
        token = request.headers.get(SESSION_HEADER)
        cookies = request.headers.get('cookie', '')
        if not token and form == 'rest':
            token = session_cookie(cookies, SESSION_HEADER)
        session = self._session(token)
        if session is None and request.headers.get('vmware-use-header-authn'):
            session = self._session(session_cookie(cookies))   # govc: REST login by SOAP session
        return session

    # -- JSON-RPC -------------------------------------------------------------------
    def _jsonrpc(self, request):
        try:
            message = json.loads(request.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _jsonrpc_error(None, -32700, 'Parse error')
        if not isinstance(message, dict):
            return _jsonrpc_error(None, -32600, 'Invalid Request')
        request_id = message.get('id')
        params = message.get('params')
        if message.get('jsonrpc') != '2.0' or not isinstance(params, dict):
            return _jsonrpc_error(request_id, -32600, 'Invalid Request')
        if message.get('method') != 'invoke':
            return _jsonrpc_error(request_id, -32601, 'Method not found')
        return self._answer(lambda: self._invoke(request, params),
                            lambda value: _jsonrpc_result(request_id, 'output', value),
                            lambda error: _jsonrpc_result(request_id, 'error',
                                                          error.type.to_jsonrpc(error.value())))

    def _invoke(self, request, params):
        names = (params.get('serviceId'), params.get('operationId'))
        operation = OPERATIONS.get(names) if all(isinstance(n, str) for n in names) else None
        if operation is None:
            raise VapiError('operation_not_found', 'vapi.method.input.invalid.interface',
                            'Cannot find service %s operation %s.' % names, *names)
        ctx = params.get('ctx')
        security = ctx.get('securityCtx') if isinstance(ctx, dict) else None
        security = security if isinstance(security, dict) else {}
        session, credentials = None, None
        if security.get('schemeId') == SESSION_SCHEME:
            session = self._session(_secret_text(security.get('sessionId')))
        elif security.get('schemeId') == USER_PASS_SCHEME:
            credentials = (security.get('userName'), _secret_text(security.get('password')))
        arguments = _arguments(operation, session, operation.input.from_jsonrpc,
                               lambda: params.get('input'))
        result = self._call(operation, session, credentials, request, arguments)
        return _typed(result, lambda value: operation.output.to_jsonrpc(value))

    def _call(self, operation, session, credentials, request, params):
        if session is not None:
            session.touch()
        call = Call(self.server, session, credentials, request)
        persistence = self.server.persistence
        if persistence is None or not operation.changes_model:
            return operation.handler(call, **params)
        return persistence.run_journaled(call.ctx, lambda: operation.handler(call, **params),
                                         'rest', journal_body(operation, params))

    # -- /api and /rest -----------------------------------------------------------------
    def _http(self, request, form):
        query = urllib.parse.parse_qs(request.query, keep_blank_values=True)
        action = query.pop('action' if form == 'api' else '~action', [None])[-1]
        if action is None and form == 'rest':   # /rest's vcenter services: `?action=shutdown`
            action = query.pop('action', [None])[-1]

        def invoke():
            routes = self._routes.get(form)
            if routes is None:
                routes = self._routes[form] = _Routes(form)
            operation, arguments = routes.match(request.method, request.path, action, query)
            session = self._http_session(request, form)
            credentials = _basic_credentials(request.headers.get('authorization'))
            decoded = _arguments(operation, session, operation.input.from_rest,
                                 lambda: _http_arguments(operation, form, arguments, query,
                                                         request.body))
            result = self._call(operation, session, credentials, request, decoded)
            return _typed(result, lambda value: (operation, value))

        return self._answer(invoke, lambda done: _http_result(form, *done),
                            lambda error: _http_error(form, error))

    # -- answers ----------------------------------------------------------------------------
    def _answer(self, work, success, failure):
        """work() -> success(value) or failure(VapiError), also when work
        answers a Deferred; anything else that goes wrong is an
        internal_server_error, logged."""
        def failed(reason):
            if isinstance(reason, VapiError):
                return failure(reason)
            log.error('internal error in a vAPI call', exc_info=reason)
            return failure(VapiError('internal_server_error', 'vapi.server.internal',
                                     'Internal server error.'))
        try:
            result = work()
        except Exception as error:       # noqa: BLE001 - every failure gets an answer
            return failed(error)
        if isinstance(result, defer.Deferred):
            result.addCallbacks(success, lambda f: failed(f.value))
            return result
        return success(result)


def _arguments(operation, session, decode, given):
    """The decoded arguments of a call, `decode(given())`, once the call
    may be made: unauthenticated without a session (before anything of the
    request is read), invalid_argument for what does not fit the types."""
    if session is None and not operation.anonymous:
        raise unauthenticated()
    try:
        return decode(given())
    except BadValue as bad:
        raise invalid_argument('Invalid argument %s: %s' % (bad.where, bad.problem),
                               bad.where) from None


def journal_body(operation, params):
    """A journaled call: its operation and its arguments in JSON-RPC form
    (which keeps every vAPI type)."""
    return json.dumps({'service': operation.service, 'operation': operation.name,
                       'input': operation.input.to_jsonrpc(params)}).encode('utf-8')


def replay(server, session, body):
    """Run a journaled call again (vimsim/state), in `session`."""
    record = json.loads(body)
    operation = OPERATIONS[record['service'], record['operation']]
    params = operation.input.from_jsonrpc(record['input'])
    return operation.handler(Call(server, session, None, None), **params)


def _typed(result, encode):
    if isinstance(result, defer.Deferred):
        return result.addCallback(encode)
    return encode(result)


def _secret_text(value):
    if isinstance(value, dict) and set(value) == {'SECRET'}:
        value = value['SECRET']
    return value if isinstance(value, str) else None


def _basic_credentials(header):
    """(user, password) of a Basic Authorization header, else None."""
    scheme, _, encoded = (header or '').partition(' ')
    if scheme.lower() != 'basic':
        return None
    try:
        text = base64.b64decode(encoded.strip(), validate=True).decode('utf-8')
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = text.partition(':')
    return (user, password) if colon else None


def _http_arguments(operation, form, path_arguments, query, body):
    """The operation's arguments, as plain JSON, from the path, the query
    and the body of an /api or /rest request."""
    arguments = dict(path_arguments)
    filter_type = operation.params.get('filter')
    if filter_type is not None:
        prefix = '' if form == 'api' else 'filter.'
        arguments['filter'] = _query_struct(filter_type, query, prefix)
    else:
        for name, texts in query.items():     # a plain parameter (`?library_id=...`)
            if name not in operation.params or name in arguments:
                raise invalid_argument('Unexpected query parameter %s.' % name, name)
            arguments[name] = _query_value(operation.params[name], texts, name)
    if body.strip():
        try:
            content = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise invalid_argument('The request body is not JSON.') from None
        if form == 'api' and operation.body:
            arguments[operation.body] = content
        elif isinstance(content, dict):
            given = [name for name in content if name in arguments]
            if given:
                raise invalid_argument('Parameter %s is given twice.' % given[0], given[0])
            arguments.update(content)
        else:
            raise invalid_argument('The request body must be a JSON object.')
    return arguments


def _query_struct(struct_type, query, prefix):
    """A filter structure from query parameters: `names=a&names=b` on /api,
    `filter.names=a` or `filter.names.1=a` on /rest."""
    struct = struct_type.element if isinstance(struct_type, Optional) else struct_type
    values = {}
    for key, texts in query.items():
        name = key[len(prefix):] if key.startswith(prefix) else None
        if name is not None and prefix:
            base, dot, index = name.rpartition('.')
            if dot and index.isdigit():
                name = base
        if name not in struct.fields:
            raise invalid_argument('Unexpected query parameter %s.' % key, key)
        values.setdefault(name, []).extend(texts)
    if not values:
        return None
    return {name: _query_value(struct.fields[name], texts, name) for name, texts in values.items()}


def _query_value(vapi_type, texts, where):
    if isinstance(vapi_type, Optional):
        vapi_type = vapi_type.element
    if isinstance(vapi_type, List):
        return [_query_scalar(vapi_type.element, text, where) for text in texts]
    return _query_scalar(vapi_type, texts[-1], where)


def _query_scalar(vapi_type, text, where):
    if vapi_type is Boolean:
        if text not in ('true', 'false'):
            raise invalid_argument('%s must be true or false.' % where, where)
        return text == 'true'
    if vapi_type is Integer:
        try:
            return int(text)
        except ValueError:
            raise invalid_argument('%s must be an integer.' % where, where) from None
    return text


def _json_response(status, value, headers=None):
    body = b'' if value is None else json.dumps(value).encode('utf-8')
    return HttpResponse(status, body, headers or [], content_type=JSON)


def _jsonrpc_result(request_id, kind, value):
    return _json_response(200, {'jsonrpc': '2.0', 'id': request_id, 'result': {kind: value}})


def _jsonrpc_error(request_id, code, message):
    return _json_response(200, {'jsonrpc': '2.0', 'id': request_id,
                                'error': {'code': code, 'message': message}})


def _http_result(form, operation, value):
    output = operation.output
    if form == 'rest':
        if value is None:
            return _json_response(200, None)
        return _json_response(200, {'value': output.to_rest(value, True)})
    if value is None:
        return HttpResponse(204, b'', content_type=JSON)
    status = 201 if operation.api[0] == 'POST' and operation.name == 'create' else 200
    return _json_response(status, output.to_rest(value, False))


def _http_error(form, error):
    value = error.value()
    details = {'error_type': value['error_type'], 'messages': value['messages']}
    if form == 'rest':
        return _json_response(error.status, {'type': error.name, 'value': details})
    return _json_response(error.status, details)
