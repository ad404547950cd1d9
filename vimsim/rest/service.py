"""vAPI services and operations, described once for the three doors.

An operation has its vAPI identity (service id, operation name), typed
parameters and output (vimsim/rest/types.py), its handler, and its place in
the two HTTP forms:

- /api (vCenter 7.0+): a URL template with `{param}` parts, an optional
  `?action=` that tells operations on one URL apart; the body is the one
  parameter named `body` (a create spec), or an object of the parameters
  neither the path nor the query gives; a `filter` structure parameter is
  read from the query, one query parameter per filter field.
- /rest (vSphere 6.5+): cis, content library and OVF services at
  `/rest/com/vmware/{cis,content,vcenter/ovf}/...` (GENERIC_REST) with the
  vAPI's generic mapping (create POST, list GET, get GET `/id:{id}`,
  update PATCH, delete DELETE, others POST `?~action=name-with-dashes`),
  vcenter and appliance services at `/rest` + their /api template (an
  action there is `?action=`, as /api has it, or `~action=`); the body
  is an object of every parameter the path does not give, the answer is
  wrapped in `{"value": ...}`.

Handlers take `(call, **params)`: `call` has the server, the session and a
model Context (see vimsim/rest/protocol.py).
"""
import dataclasses

from vimsim.rest.types import Struct, Void

__all__ = ['Service', 'Operation', 'OPERATIONS']

OPERATIONS = {}        # (service id, operation name) -> Operation
# the services whose /rest form is the vAPI's generic mapping of their service id
GENERIC_REST = ('com.vmware.cis.', 'com.vmware.content.', 'com.vmware.vcenter.ovf.')


@dataclasses.dataclass
class Operation:
    service: str
    name: str
    handler: object
    params: dict
    output: object
    api: tuple           # (HTTP method, URL template under /api, action or None)
    rest: tuple          # (HTTP method, URL template under /rest, ~action or None)
    body: str = None     # /api: the parameter that is the whole body
    anonymous: bool = False   # may be called without a session (session create)
    dispatch: str = None      # /api: a query parameter whose presence selects this operation

    def __post_init__(self):
        self.input = Struct('operation-input', self.params)   # all parameters, as JSON-RPC has them
        # -state journals what may change the model: not reads, not sessions (a restart ends them)
        self.changes_model = not (self.name.startswith(('get', 'list'))
                                  or self.service == 'com.vmware.cis.session')


class Service:
    """One vAPI service; `operation(...)` registers a handler as one of its
    operations."""

    def __init__(self, service_id, api_base):
        self.id = service_id
        self.api_base = api_base

    def rest_base(self):
        if self.id.startswith(GENERIC_REST):
            return '/rest/' + self.id.replace('.', '/').replace('_', '-')
        return '/rest' + self.api_base

    def operation(self, name, http_method, path='', action=None, params=None, output=Void,
                  body=None, rest=None, anonymous=False, dispatch=None):
        """Register the decorated handler as operation `name`, at /api
        `http_method` `api_base + path` (`?action=`, or, for two operations
        on one URL without an action, `dispatch`: the query parameter that
        tells this one); `rest` overrides the derived /rest place (method,
        path under the service's /rest base, ~action)."""
        params = dict(params or {})
        template = self.api_base + path

        def register(handler):
            rest_place = rest or self._rest_place(name, http_method, path, action, params,
                                                  template)
            method, rest_path, rest_action = rest_place
            OPERATIONS[self.id, name] = Operation(
                self.id, name, handler, params, output, (http_method, template, action),
                (method, self.rest_base() + rest_path, rest_action), body, anonymous, dispatch)
            return handler
        return register

    def _rest_place(self, name, http_method, path, action, params, template):
        if not self.id.startswith(GENERIC_REST):
            return http_method, path, action
        ids = [param for param in params if '{%s}' % param in template]
        by_id = '/id:{%s}' % ids[0] if ids else ''
        generic = {'create': ('POST', '', None), 'list': ('GET', '', None),
                   'get': ('GET', by_id, None), 'update': ('PATCH', by_id, None),
                   'delete': ('DELETE', by_id, None)}
        return generic.get(name, ('POST', by_id, name.replace('_', '-')))
