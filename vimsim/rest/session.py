"""com.vmware.cis.session: REST sessions, which are vCenter sessions.

create logs in through the SessionManager (so the -users accounts, lockout
and login events apply) and answers the session's token; without
credentials, a live session (a SOAP session's cookie, as govc sends it with
`vmware-use-header-authn`) gets a session of its own for the same user, by
the SessionManager's clone ticket. delete logs that session out.
"""
from vimsim.rest.errors import VapiError, unauthenticated
from vimsim.rest.service import Service
from vimsim.rest.types import DateTime, Secret, String, Struct, Void

__all__ = ['session', 'INFO']

INFO = Struct('com.vmware.cis.session.info', {
    'user': String, 'created_time': DateTime, 'last_accessed_time': DateTime})

session = Service('com.vmware.cis.session', '/session')


def _manager(call):
    return call.server.session_manager


def _invalid_login():
    return VapiError('unauthenticated', 'vapi.security.authentication.invalid',
                     'Authentication failed: incorrect user name or password.')


@session.operation('create', 'POST', output=Secret, anonymous=True)
def create(call):
    manager = _manager(call)
    ctx = call.ctx
    if call.credentials is not None:
        user, password = call.credentials
        ctx.session = None
        try:
            manager.Login(ctx, userName=user, password=password)
        except call.server.schema.types['InvalidLogin'].cls:
            raise _invalid_login() from None
        return ctx.session.cookie
    if call.session is None:
        raise unauthenticated()
    ticket = manager.AcquireCloneTicket(ctx)
    ctx.session = None
    manager.CloneSession(ctx, cloneTicket=ticket)
    return ctx.session.cookie


@session.operation('get', 'GET', output=INFO, rest=('POST', '', 'get'))
def get(call):
    info = call.session.info
    return {'user': info.userName, 'created_time': info.loginTime,
            'last_accessed_time': info.lastActiveTime}


@session.operation('delete', 'DELETE', output=Void)
def delete(call):
    _manager(call).Logout(call.ctx)

