"""vCenter's standard vAPI errors (`com.vmware.vapi.std.errors.*`) and the
HTTP status each answers with on /api and /rest (JSON-RPC answers them
inside a 200 response, as vCenter does)."""
from vimsim.rest.types import LOCALIZABLE_MESSAGE, Error, List, Optional, String

__all__ = ['VapiError', 'not_found', 'already_exists', 'invalid_argument', 'unauthenticated',
           'STATUS']

# error kind -> HTTP status on /api and /rest (vCenter's, per the API reference)
STATUS = {
    'already_exists': 400,
    'already_in_desired_state': 400,
    'feature_in_use': 400,
    'invalid_argument': 400,
    'invalid_element_configuration': 400,
    'invalid_element_type': 400,
    'invalid_request': 400,
    'not_allowed_in_current_state': 400,
    'resource_busy': 400,
    'resource_in_use': 400,
    'resource_inaccessible': 400,
    'unable_to_allocate_resource': 400,
    'unexpected_input': 400,
    'unsupported': 400,
    'unauthenticated': 401,
    'unauthorized': 403,
    'not_found': 404,
    'operation_not_found': 404,
    'concurrent_change': 409,
    'internal_server_error': 500,
    'error': 500,
    'service_unavailable': 503,
    'timed_out': 504,
}


class VapiError(Exception):
    """A standard error: `kind` names it (`not_found`), `message` is its one
    localizable message (id, default text, arguments)."""

    def __init__(self, kind, message_id, default_message, *args):
        super().__init__(default_message)
        self.kind = kind
        self.message = {'id': message_id, 'default_message': default_message,
                        'args': [str(arg) for arg in args]}

    @property
    def name(self):
        return 'com.vmware.vapi.std.errors.' + self.kind

    @property
    def status(self):
        return STATUS[self.kind]

    @property
    def type(self):
        """The error structure, as the bindings describe it."""
        return Error(self.name, {'messages': List(LOCALIZABLE_MESSAGE),
                                 'data': Optional(String),
                                 'error_type': Optional(String)})

    def value(self):
        return {'messages': [self.message], 'data': None, 'error_type': self.kind.upper()}


def not_found(what, identifier):
    return VapiError('not_found', 'com.vmware.vapi.std.errors.not_found',
                     '%s with identifier %s does not exist.' % (what, identifier),
                     what, identifier)


def already_exists(what, name):
    return VapiError('already_exists', 'com.vmware.vapi.std.errors.already_exists',
                     'An object of type %s named %s already exists.' % (what, name), what, name)


def invalid_argument(text, *args):
    return VapiError('invalid_argument', 'com.vmware.vapi.std.errors.invalid_argument',
                     text, *args)


def unauthenticated():
    return VapiError('unauthenticated', 'vapi.method.authentication.required',
                     'This method requires authentication.')
