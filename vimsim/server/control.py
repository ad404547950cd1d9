"""/vimsim/control/: the control surface as a small JSON HTTP API on the
simulator's own port (vimsim/control.py does the work).

    GET  /vimsim/control/time                 {"time": "..."}
    POST /vimsim/control/time/advance         {"seconds": 3600}
    GET  /vimsim/control/load?entity=vm-42    what is set and the latest sample
    POST /vimsim/control/load                 {"entity": "vm-42", "cpu": 0.9, "memory": null}

A caller authenticates as at /sdk: the `vmware_soap_session` cookie of a
live session, or HTTP Basic credentials the session manager accepts (a
failure counts toward the account's lockout). Answers are JSON; errors are
{"error": message} with 400, 401, 404, 405 or 409.
"""
import base64
import binascii
import json
import urllib.parse

from vimsim.control import Control, ControlError
from vimsim.server.endpoint import session_cookie
from vimsim.server.http import HttpResponse

PREFIX = '/vimsim/control/'
JSON = 'application/json; charset=utf-8'


def _answer(status, document, headers=None):
    body = (json.dumps(document, indent=2, sort_keys=True) + '\n').encode('utf-8')
    return HttpResponse(status, body, headers, content_type=JSON)


class ControlApi:
    """The handler of /vimsim/control/ for one simulator; `handle` returns
    None for other paths."""

    def __init__(self, simulator):
        self.simulator = simulator
        self.control = Control(simulator)
        self.routes = {('GET', 'time'): self._time, ('POST', 'time/advance'): self._advance,
                       ('GET', 'load'): self._load, ('POST', 'load'): self._set_load}

    def handle(self, request):
        if not request.path.startswith(PREFIX):
            return None
        if not self._authenticated(request):
            return _answer(401, {'error': 'authenticate with a session cookie or Basic'},
                           [('WWW-Authenticate', 'Basic realm="vimsim"')])
        name = request.path[len(PREFIX):]
        route = self.routes.get((request.method, name))
        if route is None:
            known = any(path == name for _, path in self.routes)
            return _answer(405 if known else 404,
                           {'error': '%s %s is not a control action' % (request.method,
                                                                       request.path)})
        try:
            return _answer(200, route(request))
        except ControlError as refused:
            return _answer(refused.status, {'error': str(refused)})

    def _authenticated(self, request):
        sessions = self.simulator.session_manager
        if sessions.by_cookie(session_cookie(request.headers.get('cookie'))) is not None:
            return True
        scheme, _, encoded = request.headers.get('authorization', '').partition(' ')
        if scheme.lower() != 'basic':
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode(
                'utf-8').partition(':')
        except (binascii.Error, UnicodeDecodeError):
            return False
        return sessions.authenticate(user, password) is not None

    @staticmethod
    def _body(request):
        try:
            document = json.loads(request.body or b'{}')
        except (ValueError, UnicodeDecodeError):
            raise ControlError('the body is not JSON') from None
        if not isinstance(document, dict):
            raise ControlError('the body is not a JSON object')
        return document

    def _entity(self, named):
        if isinstance(named, dict):
            moid, type_name = named.get('value'), named.get('type')
        else:
            moid, type_name = named, None
        if not isinstance(moid, str) or not (type_name is None or isinstance(type_name, str)):
            raise ControlError('entity is a moid or {"type": ..., "value": ...}')
        return self.control.entity(moid, type_name)

    def _time(self, request):
        return self.control.time()

    def _advance(self, request):
        return self.control.advance(self._body(request).get('seconds'))

    def _load(self, request):
        query = urllib.parse.parse_qs(request.query)
        return self.control.load(self._entity((query.get('entity') or [None])[0]))

    def _set_load(self, request):
        document = self._body(request)
        unknown = set(document) - {'entity', 'cpu', 'memory'}
        if unknown:
            raise ControlError('unknown fields: %s' % ', '.join(sorted(unknown)))
        return self.control.set_load(self._entity(document.get('entity')),
                                     document.get('cpu'), document.get('memory'))
