"""/vimsim/control/: the control surface as a small JSON HTTP API on the
simulator's own port (vimsim/control.py does the work).

    GET  /vimsim/control/time                 {"time": "..."}
    POST /vimsim/control/time/advance         {"seconds": 3600}
    GET  /vimsim/control/load?entity=vm-42    what is set and the latest sample
    POST /vimsim/control/load                 {"entity": "vm-42", "cpu": 0.9, "memory": null}
    POST /vimsim/control/host/fail            {"host": "host-21", "failure": "power"}
    POST /vimsim/control/host/recover         {"host": "host-21"}
    POST /vimsim/control/host/nvdimm          {"host": "host-21", "modules": 2, "gib": 16}
    POST /vimsim/control/vm/hang              {"vm": "vm-42"}
    POST /vimsim/control/datastore/apd        {"datastore": "datastore-15", "hosts": [...]}
    POST /vimsim/control/datastore/recover    {"datastore": "datastore-15"}
    POST /vimsim/control/drs/pass             {"cluster": "domain-c7"}
    GET  /vimsim/control/faults               the fault injection rules
    POST /vimsim/control/faults               {"method": "PowerOnVM_Task", "fault": ...}
    POST /vimsim/control/faults/clear         {"id": 1} (or {} for all)

`-control FILE` runs a list of these POST actions at start
(`run_start_actions`). A caller authenticates as at /sdk: the `vmware_soap_session` cookie of a
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
                       ('GET', 'load'): self._load, ('POST', 'load'): self._set_load,
                       ('POST', 'host/fail'): self._fail_host,
                       ('POST', 'host/recover'): self._recover_host,
                       ('POST', 'host/nvdimm'): self._install_nvdimms,
                       ('POST', 'vm/hang'): self._hang,
                       ('POST', 'datastore/apd'): self._lose_datastore,
                       ('POST', 'datastore/recover'): self._restore_datastore,
                       ('POST', 'drs/pass'): self._drs_pass,
                       ('GET', 'faults'): lambda document: self.control.faults(),
                       ('POST', 'faults'): self.control.add_fault,
                       ('POST', 'faults/clear'): self._clear_faults}

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
            return _answer(200, route(self._document(request)))
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
    def _document(request):
        """What an action is given: a POST's JSON object, a GET's query."""
        if request.method == 'GET':
            return {name: values[0] for name, values in
                    urllib.parse.parse_qs(request.query).items()}
        try:
            document = json.loads(request.body or b'{}')
        except (ValueError, UnicodeDecodeError):
            raise ControlError('the body is not JSON') from None
        if not isinstance(document, dict):
            raise ControlError('the body is not a JSON object')
        return document

    def post(self, action, document):
        """Run the POST action `action` (a path below /vimsim/control/) on
        `document`, as a request would (the command line's -control)."""
        route = self.routes.get(('POST', action))
        if route is None:
            raise ControlError('%r is not a control action' % (action,), 404)
        if not isinstance(document, dict):
            raise ControlError('the body is not a JSON object')
        return route(document)

    def _entity(self, named):
        if isinstance(named, dict):
            moid, type_name = named.get('value'), named.get('type')
        else:
            moid, type_name = named, None
        if not isinstance(moid, str) or not (type_name is None or isinstance(type_name, str)):
            raise ControlError('entity is a moid or {"type": ..., "value": ...}')
        return self.control.entity(moid, type_name)

    def _time(self, document):
        return self.control.time()

    def _advance(self, document):
        return self.control.advance(document.get('seconds'))

    def _load(self, document):
        return self.control.load(self._entity(document.get('entity')))

    def _set_load(self, document):
        unknown = set(document) - {'entity', 'cpu', 'memory'}
        if unknown:
            raise ControlError('unknown fields: %s' % ', '.join(sorted(unknown)))
        return self.control.set_load(self._entity(document.get('entity')),
                                     document.get('cpu'), document.get('memory'))

    @staticmethod
    def _fields(document, allowed, required):
        unknown = set(document) - set(allowed)
        if unknown:
            raise ControlError('unknown fields: %s' % ', '.join(sorted(unknown)))
        missing = [name for name in required if name not in document]
        if missing:
            raise ControlError('missing fields: %s' % ', '.join(missing))
        return document

    def _fail_host(self, document):
        document = self._fields(document, ('host', 'failure'), ('host', 'failure'))
        return self.control.fail_host(self.control.managed(document['host'], 'HostSystem'),
                                      document['failure'])

    def _recover_host(self, document):
        document = self._fields(document, ('host',), ('host',))
        return self.control.recover_host(self.control.managed(document['host'], 'HostSystem'))

    def _hang(self, document):
        document = self._fields(document, ('vm',), ('vm',))
        return self.control.stop_heartbeat(self.control.managed(document['vm'],
                                                                'VirtualMachine'))

    def _install_nvdimms(self, document):
        document = self._fields(document, ('host', 'modules', 'gib'), ('host', 'modules', 'gib'))
        return self.control.install_nvdimms(self.control.managed(document['host'], 'HostSystem'),
                                            document['modules'], document['gib'])

    def _lose_datastore(self, document):
        document = self._fields(document, ('datastore', 'hosts'), ('datastore',))
        hosts = document.get('hosts')
        if hosts is not None and not isinstance(hosts, list):
            raise ControlError('hosts is a list of host moids')
        return self.control.lose_datastore(
            self.control.managed(document['datastore'], 'Datastore'),
            None if hosts is None else [self.control.managed(h, 'HostSystem') for h in hosts])

    def _restore_datastore(self, document):
        document = self._fields(document, ('datastore',), ('datastore',))
        return self.control.restore_datastore(
            self.control.managed(document['datastore'], 'Datastore'))

    def _drs_pass(self, document):
        document = self._fields(document, ('cluster',), ('cluster',))
        return self.control.drs_pass(
            self.control.managed(document['cluster'], 'ClusterComputeResource'))

    def _clear_faults(self, document):
        return self.control.clear_faults(self._fields(document, ('id',), ()).get('id'))


def run_start_actions(simulator):
    """-control FILE: the JSON list of POST actions ({"action": "load",
    "body": {...}}) to run in order once the inventory is built, before any
    client connects; the first one refused stops the start (ControlError)."""
    path = simulator.options.control
    if not path:
        return []
    try:
        with open(path, encoding='utf-8') as f:
            actions = json.load(f)
    except (OSError, ValueError) as unreadable:
        raise ControlError('-control %s: %s' % (path, unreadable)) from None
    if not isinstance(actions, list):
        raise ControlError('-control %s: not a JSON list of actions' % path)
    api = ControlApi(simulator)
    answers = []
    for number, item in enumerate(actions, 1):
        if not isinstance(item, dict) or set(item) - {'action', 'body'} \
                or not isinstance(item.get('action'), str):
            raise ControlError('-control %s: action %d is not {"action": ..., "body": {...}}'
                               % (path, number))
        try:
            answers.append(api.post(item['action'], item.get('body', {})))
        except ControlError as refused:
            raise ControlError('-control %s: action %d (%s): %s'
                               % (path, number, item['action'], refused)) from None
    return answers
