"""SessionManager and sessions: login, cookies, clone and local tickets, idle expiry.

A Session owns the session-scoped objects (views, extra property collectors,
property filters, history collectors, paging tokens), at most so many of each
kind (the -session-max-* flags); they go when it ends, whether by Logout,
TerminateSession or idle expiry, a slice at a time, and a mass logout gives
the memory back (heap_trim).
"""
import collections
import hashlib
import os
import secrets
import time
import urllib.parse
import uuid
import weakref
from datetime import datetime, timezone

from twisted.internet import reactor, task

from vimsim.managed.base import ManagedObject
from vimsim.managed.service.heap_trim import heap_trim
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.soap.fault import InvalidArgument, NotAuthenticated, NotFound, fault
from vimsim.users import read_users

COOKIE_NAME = 'vmware_soap_session'
CLONE_TICKET_SECONDS = 300
LOCAL_TICKET_SECONDS = 300
MAX_SERVICE_TICKETS = 10000   # generic service tickets alive at once (oldest go first)
# SessionManagerHttpServiceRequestSpecMethod -> the HTTP method a service ticket allows
HTTP_METHODS = {'httpOptions': 'OPTIONS', 'httpGet': 'GET', 'httpHead': 'HEAD',
                'httpPost': 'POST', 'httpPut': 'PUT', 'httpDelete': 'DELETE',
                'httpTrace': 'TRACE', 'httpConnect': 'CONNECT'}
_NOT_OWNED = object()


def hold(held, key, rest, limit):
    """Keep the rest of a paged answer under `key` in `held` (a caller's
    OrderedDict of them, oldest first): past `limit` the oldest expires,
    so a client that never finishes its paging cannot grow the server."""
    while len(held) >= limit:
        held.popitem(last=False)
    held[key] = rest


class Session:
    """One authenticated client session."""

    def __init__(self, user, ip_address, user_agent, locale, server):
        self.key = str(uuid.UUID(bytes=os.urandom(16)))
        self.cookie = hashlib.sha1(os.urandom(32)).hexdigest()
        self.user = user
        self.grants = None        # (permission version, the user's grants), permissions.Access's
        self.call_access = None   # (Context, its permissions.Access)
        self.owned = {}                   # session-scoped object -> None, oldest first
        self.held = collections.Counter()  # held_as kind -> how many owned
        self.retrievals = collections.OrderedDict()   # (collector, token) -> rest, oldest first
        self._on_close = []
        self.last_active = time.monotonic()
        now = datetime.now(timezone.utc)
        self.info = server.schema.types['UserSession'].cls(
            key=self.key, userName=user, fullName=user, loginTime=now,
            lastActiveTime=now, locale=locale or 'en', messageLocale=locale or 'en',
            extensionSession=False, ipAddress=ip_address or '127.0.0.1',
            userAgent=user_agent or '', callCount=0)

    def touch(self):
        """Count a call: UserSession.callCount and lastActiveTime move."""
        self.last_active = time.monotonic()
        self.info.lastActiveTime = datetime.now(timezone.utc)
        self.info.callCount += 1

    def make_room(self, kind, limit):
        """SystemError when the session already holds `limit` objects of `kind`
        (its `held_as`). vCenter does not document the fault it answers past
        its per-session limits; SystemError is the RuntimeFault every method
        may raise, so every client can read it."""
        if self.held[kind] >= limit:
            raise fault('SystemError', 'The session already holds %d %ss, the most a '
                                       'session may hold.' % (limit, kind),
                        reason='%s limit reached' % kind)

    def own(self, obj):
        self.owned[obj] = None
        self.held[obj.held_as] += 1

    def disown(self, obj):
        if self.owned.pop(obj, _NOT_OWNED) is not _NOT_OWNED:
            self.held[obj.held_as] -= 1

    def on_close(self, callback):
        self._on_close.append(callback)

    def close(self):
        """End the session's state: its callbacks run now (waits end, filters
        stop, retrievals go), the objects it owned are destroyed a time slice
        per reactor turn (task.cooperate), so a session holding thousands of
        views never holds up another client's call."""
        self.retrievals.clear()
        callbacks, self._on_close = self._on_close, []
        for callback in callbacks:
            callback()
        owned, self.owned = list(self.owned), {}
        self.held.clear()
        if owned:
            task.cooperate(obj.destroy() for obj in owned).whenDone().addBoth(
                lambda _: heap_trim.session_released())
        else:
            heap_trim.session_released()


class Lockout:
    """Failed logins per account, and the locks they earn: `max_failures`
    failures within `failure_interval` seconds lock the account for
    `unlock_time` seconds, during which even its right password fails.
    vCenter SSO's default policy (5, 180 s, 300 s), which spares
    administrator@vsphere.local; in ESX mode ESXi's Security.AccountLockFailures
    and Security.AccountUnlockTime (5, 900 s). Times are the reactor's."""

    def __init__(self, esx, clock=reactor):
        self.max_failures = 5
        self.failure_interval, self.unlock_time = (900, 900) if esx else (180, 300)
        self.exempt = () if esx else ('administrator@vsphere.local',)
        self.clock = clock
        self._failures = {}       # account key -> times of its recent failures, oldest first
        self._locked_until = {}   # account key -> when its lock ends

    def locked(self, key):
        until = self._locked_until.get(key)
        if until is not None and self.clock.seconds() >= until:
            del self._locked_until[key]
            until = None
        return until is not None

    def failed(self, key):
        """Count a failed login of an unlocked account."""
        if key in self.exempt:
            return
        now = self.clock.seconds()
        times = self._failures.setdefault(key, collections.deque())
        times.append(now)
        while times[0] <= now - self.failure_interval:
            times.popleft()
        if len(times) >= self.max_failures:
            del self._failures[key]
            self._locked_until[key] = now + self.unlock_time

    def succeeded(self, key):
        self._failures.pop(key, None)


class SessionManager(ManagedObject):
    type_name = 'SessionManager'

    def __init__(self, server, moid, username=None, password=None, idle_timeout=1800):
        super().__init__(server, moid)
        self.username = username
        self.password = password
        users_file = getattr(server.options, 'users', '')
        # -users: the only accounts that log in, by key
        self.accounts = {u.key: u for u in read_users(users_file)} if users_file else None
        self.lockout = Lockout(server.esx)
        self.idle_timeout = idle_timeout
        self.sessions = {}          # key -> Session
        self._by_cookie = {}        # cookie -> Session
        self._clone_tickets = {}    # ticket -> (Session, expiry)
        self._service_tickets = {}  # ticket -> (user, HTTP method or None, path?query, expiry)
        self._local_tickets = {}    # password -> (user, expiry, password file)
        self._ticket_directory = None
        self.defaultLocale = 'en'
        self.supportedLocaleList = ['en', 'de', 'es', 'fr', 'ja', 'ko', 'zh_CN', 'zh_TW']
        self.messageLocaleList = list(self.supportedLocaleList)
        self.message = None

    # -- lookup, used by the endpoint -----------------------------------------
    def by_cookie(self, cookie):
        """The live session of a cookie value, expiring an idle one."""
        session = self._by_cookie.get(cookie)
        if session is not None and self._expired(session):
            self._end(session)
            return None
        return session

    def expire_idle(self):
        """Drop every session idle for longer than the timeout."""
        for session in list(self.sessions.values()):
            if self._expired(session):
                self._end(session)

    def _expired(self, session):
        return time.monotonic() - session.last_active > self.idle_timeout

    def _start(self, ctx, user, locale=None):
        lockdown = getattr(self.server, 'host_lockdown', None)     # ESX mode's host
        if lockdown is not None:
            lockdown.check_login(user)
        request = ctx.request
        session = Session(user, request.peer if request else None,
                          request.headers.get('user-agent') if request else None,
                          locale, ctx.server)
        if ctx.session is not None:   # a second Login on one connection replaces it
            self._end(ctx.session)
        self.sessions[session.key] = session
        self._by_cookie[session.cookie] = session
        ctx.session = session
        self._post_login(session)
        self.changed('sessionList')
        return session

    def _events(self):
        try:
            return event_manager(self.server)
        except LookupError:
            return None

    def _post_login(self, session):
        """UserLoginSessionEvent, as vCenter logs every login (and its SSO
        its own com.vmware.sso.LoginSuccess)."""
        events = self._events()
        if events is not None:
            info = session.info
            self._post_sso(events, 'com.vmware.sso.LoginSuccess', session.user, info.ipAddress)
            events.post('UserLoginSessionEvent', user=session.user, ipAddress=info.ipAddress,
                        userAgent=info.userAgent, locale=info.locale, sessionId=session.key)

    def _post_failed_login(self, ctx, user):
        """A refused login: vCenter's SSO logs com.vmware.sso.LoginFailure,
        vpxd BadUsernameSessionEvent (a locked account's attempts too)."""
        events = self._events()
        if events is not None:
            request = ctx.request
            address = (request.peer if request else None) or '127.0.0.1'
            self._post_sso(events, 'com.vmware.sso.LoginFailure', user, address)
            events.post('BadUsernameSessionEvent', user=user, ipAddress=address)

    def _post_sso(self, events, type_id, user, address):
        """An SSO audit event (vCenter only: ESXi has no SSO)."""
        if self.server.esx:
            return
        T = self.server.schema.types
        stamp = datetime.now(timezone.utc).strftime('%m/%d/%Y %H:%M:%S GMT')
        events.post('EventEx', user=user, eventTypeId=type_id, severity='info',
                    arguments=[T['KeyAnyValue'].cls(key='client', value=address),
                               T['KeyAnyValue'].cls(key='timestamp', value=stamp)])

    def _post_logout(self, session):
        """UserLogoutSessionEvent: whatever ended the session."""
        events = self._events()
        if events is not None:
            info = session.info
            events.post('UserLogoutSessionEvent', user=session.user, ipAddress=info.ipAddress,
                        userAgent=info.userAgent, callCount=info.callCount,
                        sessionId=session.key, loginTime=info.loginTime)

    def _end(self, session):
        if session.key in self.sessions:
            self._post_logout(session)
            self.changed('sessionList')
        self.sessions.pop(session.key, None)
        self._by_cookie.pop(session.cookie, None)
        for ticket, (owner, _) in list(self._clone_tickets.items()):
            if owner is session:
                del self._clone_tickets[ticket]
        session.close()

    # -- properties -------------------------------------------------------------
    def read(self, name, ctx):
        if name == 'currentSession':
            return ctx.session.info if ctx.session is not None else None
        if name == 'sessionList':
            return [s.info for s in self.sessions.values()]
        return super().read(name, ctx)

    # -- API methods --------------------------------------------------------------
    def Login(self, ctx, userName, password, locale=None):
        user = self._local_ticket_user(userName, password) or \
            self._authenticate(userName, password)
        if user is None:
            self._post_failed_login(ctx, userName or '')
            raise fault('InvalidLogin', 'Cannot complete login due to an incorrect '
                                        'user name or password.')
        return self._start(ctx, user, locale).info

    def authenticate(self, user, password):
        """The user name these credentials log in as, or None (another door
        than Login, such as the control surface's Basic authentication)."""
        return self._authenticate(user, password)

    def _authenticate(self, user, password):
        """The session's user name for these credentials, None to refuse them:
        anyone with a non-empty name and password (vcsim's default), the
        -username/-password pair, or an account of the -users file. A locked
        account is refused whatever the password (vCenter answers the same
        InvalidLogin); only failures of the file's accounts count. On ESX a
        local account with a password (HostLocalAccountManager) must give it."""
        local = getattr(self.server, 'local_accounts', None)
        account = local.login_account(user) if local is not None else None
        if account is None and self.accounts is None:
            return user if self._credentials_ok(user, password) else None
        if account is None:
            account = self.accounts.get((user or '').casefold())
        if account is None or self.lockout.locked(account.key):
            return None
        if password != account.password:
            self.lockout.failed(account.key)
            return None
        self.lockout.succeeded(account.key)
        return account.name

    def _credentials_ok(self, user, password):
        """vcsim's rule: -username (with -password, '' when not given) admits
        that pair exactly; without it any non-empty pair (-password alone
        changes nothing)."""
        if self.username is not None:
            return user == self.username and password == (self.password or '')
        return bool(user) and bool(password)

    def ImpersonateUser(self, ctx, userName, locale=None):
        """The session takes on another user's identity (its privileges
        with it); InvalidLogin for a user who could not log in."""
        user = self.known_user(userName)
        if user is None:
            raise fault('InvalidLogin', 'Cannot complete login due to an incorrect '
                                        'user name or password.')
        session = ctx.session
        session.user = session.info.userName = session.info.fullName = user
        session.grants = session.call_access = None
        if locale:
            session.info.locale = session.info.messageLocale = locale
        return session.info

    def known_user(self, user):
        """The account name of a user who may log in, or None (an account
        the lockout holds may not: not by a ticket, a token or impersonation
        either)."""
        if self.accounts is None:
            ok = bool(user) and (self.username is None or user == self.username)
            return user if ok else None
        account = self.accounts.get((user or '').casefold())
        if account is None or self.lockout.locked(account.key):
            return None
        return account.name

    def LoginByToken(self, ctx, locale=None):
        """A token of the simulator's STS (vimsim/sts) in the request's
        WS-Security header logs its user in, when that user may log in;
        vCenter's InvalidLogin for no token, or one expired, forged, for
        another audience, or a holder-of-key token on an unsigned request."""
        tokens = getattr(self.server, 'token_service', None)
        user = tokens.user_of(ctx.request.body) if tokens and ctx.request else None
        user = self.known_user(user) if user else None
        if user is None:
            self._post_failed_login(ctx, '')
            raise fault('InvalidLogin', 'Cannot complete login due to an incorrect '
                                        'user name or password.')
        return self._start(ctx, user, locale).info

    def LoginExtensionByCertificate(self, ctx, extensionKey, locale=None):
        raise _no_client_certificate()

    def LoginExtensionBySubjectName(self, ctx, extensionKey, locale=None):
        raise _no_client_certificate()

    def LoginBySSPI(self, ctx, base64Token, locale=None):
        """vCenter's appliance (and ESXi) accept no SSPI token: there is no
        Windows domain to validate one against."""
        self._post_failed_login(ctx, '')
        raise fault('InvalidLogin', 'Cannot complete login due to an incorrect '
                                    'user name or password.')

    def Logout(self, ctx):
        self._end(ctx.session)
        ctx.session = None

    def SessionIsActive(self, ctx, sessionID, userName):
        session = self.sessions.get(sessionID)
        if session is None or self._expired(session):
            return False
        return session.user == userName

    def TerminateSession(self, ctx, sessionId):
        targets = []
        for key in sessionId:
            session = self.sessions.get(key)
            if session is None:
                raise NotFound('Session %s was not found.' % key)
            if session is ctx.session:
                raise InvalidArgument('sessionId', 'A session cannot terminate itself.')
            targets.append(session)
        events = self._events()
        for session in targets:
            if events is not None:
                events.post('SessionTerminatedEvent', ctx=ctx, sessionId=session.key,
                            terminatedUsername=session.user)
            self._end(session)

    def AcquireCloneTicket(self, ctx):
        if ctx.session is None:            # a ticket acts for a session
            raise NotAuthenticated(self.ref)
        ticket = 'cst-VCT-%s' % hashlib.sha1(os.urandom(32)).hexdigest()
        self._clone_tickets[ticket] = (ctx.session, time.monotonic() + CLONE_TICKET_SECONDS)
        return ticket

    def CloneSession(self, ctx, cloneTicket):
        source, expiry = self._clone_tickets.pop(cloneTicket, (None, 0))
        if source is None or time.monotonic() > expiry or source.key not in self.sessions:
            raise fault('InvalidLogin', 'Cannot complete login due to an invalid clone ticket.')
        return self._start(ctx, source.user, source.info.locale).info

    def AcquireLocalTicket(self, ctx, userName):
        """A one-use login for a process on this machine: a file only the
        simulator's own OS user can read holds a password Login accepts once
        for `userName`, within LOCAL_TICKET_SECONDS; InvalidLogin for a user
        who could not log in."""
        import tempfile    # not at start (with bz2, lzma: 0.6 MB)
        import shutil    # not at start (with bz2, lzma: 0.6 MB)
        user = self.known_user(userName)
        if user is None:
            raise fault('InvalidLogin', 'Cannot complete login due to an incorrect '
                                        'user name or password.')
        self._drop_expired_local_tickets()
        if self._ticket_directory is None:
            self._ticket_directory = tempfile.mkdtemp(prefix='vimsim-tickets-')
            weakref.finalize(self, shutil.rmtree, self._ticket_directory, True)
        password = secrets.token_hex(20)
        path = os.path.join(self._ticket_directory, 'ticket-' + secrets.token_hex(8))
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w') as out:
            out.write(password)
        self._local_tickets[password] = (user, time.monotonic() + LOCAL_TICKET_SECONDS, path)
        return self.server.schema.types['SessionManagerLocalTicket'].cls(
            userName=user, passwordFilePath=path)

    def _local_ticket_user(self, user, password):
        """The user a local ticket's password logs in (the ticket is used up),
        or None."""
        self._drop_expired_local_tickets()
        found = self._local_tickets.get(password or '')
        if found is None or found[0] != self.known_user(user):
            return None
        del self._local_tickets[password]
        _remove(found[2])
        return found[0]

    def _drop_expired_local_tickets(self):
        now = time.monotonic()
        for password, (_, expiry, path) in list(self._local_tickets.items()):
            if expiry < now:
                del self._local_tickets[password]
                _remove(path)

    def AcquireGenericServiceTicket(self, ctx, spec):
        """A one-use ticket for one HTTP request (the `vmware_cgi_ticket`
        cookie): that method (any when unset) on that URL's path and query."""
        if ctx.session is None:            # a ticket acts for a session
            raise NotAuthenticated(self.ref)
        types = self.server.schema.types
        if not isinstance(spec, types['SessionManagerHttpServiceRequestSpec'].cls):
            raise fault('NotSupported', 'The operation is not supported on the object.')
        try:
            parsed = urllib.parse.urlsplit(spec.url or '')
        except ValueError:
            raise InvalidArgument('spec.url') from None
        if not parsed.path.startswith('/'):
            raise InvalidArgument('spec.url')
        now = time.monotonic()
        tickets = self._service_tickets
        while tickets:          # oldest first: drop the expired, and past the cap the oldest
            oldest = next(iter(tickets))
            if tickets[oldest][3] >= now and len(tickets) < MAX_SERVICE_TICKETS:
                break
            del tickets[oldest]
        ticket = hashlib.sha1(os.urandom(32)).hexdigest()
        method = HTTP_METHODS.get(spec.method) if spec.method else None
        if spec.method and method is None:
            raise InvalidArgument('spec.method')
        target = parsed.path + ('?' + parsed.query if parsed.query else '')
        self._service_tickets[ticket] = (ctx.session.user, method, target,
                                         now + CLONE_TICKET_SECONDS)
        return types['SessionManagerGenericServiceTicket'].cls(id=ticket)

    def use_service_ticket(self, ticket, method, target):
        """The user of a ticket good for this HTTP request (it is used up),
        None when there is no such ticket."""
        found = self._service_tickets.get(ticket)
        if found is None:
            return None
        user, allowed, granted, expiry = found
        if expiry < time.monotonic() or (allowed is not None and allowed != method) \
                or granted != target:
            return None
        del self._service_tickets[ticket]
        return user

    def check_credentials(self, user, password):
        """The user name these credentials log in as (HTTP Basic), None to refuse."""
        return self._authenticate(user, password)

    def SetLocale(self, ctx, locale):
        if locale not in self.supportedLocaleList:
            raise InvalidArgument('locale')
        ctx.session.info.locale = locale
        ctx.session.info.messageLocale = locale

    def UpdateServiceMessage(self, ctx, message):
        self.message = message or None
        self.changed('message')


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _no_client_certificate():
    """An extension logs in by the certificate of its TLS connection; the
    simulator asks clients for none, so no connection presents one."""
    return fault('NoClientCertificate', 'The connection has no client certificate.')
