"""The privilege check of vAPI operations: the caller's session user must
hold the privilege on the object, as /sdk's dispatch demands it of the
same change made there (the REST doors call the model's methods directly,
past that dispatch)."""
from vimsim.managed.admin.permissions import user_may
from vimsim.rest.errors import VapiError

__all__ = ['demand']


def demand(call, obj, privilege):
    """unauthorized (403) unless the caller holds `privilege` on `obj`."""
    user = call.session.user if call.session is not None else ''
    if not user_may(call.server, user, obj, privilege):
        raise VapiError('unauthorized', 'vapi.security.authorization.invalid',
                        'Unable to authorize user', privilege)
