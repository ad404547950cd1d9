"""What the web pages (/mob, /ui) share: their vCenter session, its CSRF
nonce, and calls through the dispatcher /sdk uses.

A page's session is a vCenter session: the `vmware_soap_session` cookie a
SOAP login set works here, and a login here (the MOB's HTTP Basic, the UI's
form) goes through SessionManager.Login, so the -users accounts, lockout and
login events apply, and sets the same cookie. Every change a page makes is a
call of a vim operation through `SoapEndpoint.dispatch`, so privileges,
tasks, events and faults are those a SOAP client gets.

A form that changes anything carries the session's `vmware-session-nonce`
(vCenter's MOB name for it): a random value bound to the session, without
which a POST is refused (a cross-site form cannot read it).
"""
import base64
import binascii
import hmac
import os
import urllib.parse
import weakref

from twisted.internet import defer

from vimsim.managed.base import Context
from vimsim.server.endpoint import as_refs, session_cookie, set_cookie
from vimsim.server.http import HttpResponse
from vimsim.soap.encode import escape

NONCE_FIELD = 'vmware-session-nonce'
HTML = 'text/html; charset=utf-8'
REMEMBERED_MOIDS = 10000
ENVELOPE = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
            '<%s xmlns="urn:vim25"><_this type="%s">%s</_this>%s</%s></soapenv:Body>'
            '</soapenv:Envelope>')


class WebSessions:
    """Sessions, nonces and calls of the web pages of one simulator (which
    `reset` gives a new model: everything is looked up through it anew)."""

    def __init__(self, simulator):
        self.simulator = simulator
        self._nonces = weakref.WeakKeyDictionary()   # Session -> its nonce
        self._refs = {}                              # moid -> MoRef, of moids asked for

    def session(self, request):
        """The live vCenter session of the request's cookie, or None."""
        cookie = session_cookie(request.headers.get('cookie'))
        return self.simulator.session_manager.by_cookie(cookie) if cookie else None

    def context(self, request, session):
        """The context of a call made for this page (the server's API version)."""
        return Context(self.simulator, session, self.simulator.endpoint.api_version, request)

    def login(self, request, user, password):
        """Log in through SessionManager.Login: (session, its Set-Cookie
        header), or the InvalidLogin fault it raises."""
        ctx = self.context(request, None)
        self.simulator.session_manager.Login(ctx, userName=user, password=password)
        return ctx.session, set_cookie(self.simulator, request, ctx.session)

    def basic_login(self, request):
        """The session of the request's HTTP Basic credentials (logged in
        now), as (session, Set-Cookie header), or (None, None)."""
        credentials = basic_credentials(request.headers.get('authorization'))
        if credentials is None:
            return None, None
        try:
            return self.login(request, *credentials)
        except self.simulator.schema.types['InvalidLogin'].cls:
            return None, None

    def logout(self, request, session):
        self.simulator.session_manager.Logout(self.context(request, session))

    def nonce(self, session):
        nonce = self._nonces.get(session)
        if nonce is None:
            nonce = self._nonces[session] = binascii.hexlify(os.urandom(16)).decode('ascii')
        return nonce

    def nonce_ok(self, session, form):
        """Whether a submitted form carries the session's nonce."""
        nonce = self._nonces.get(session)
        given = form.get(NONCE_FIELD, '')
        return nonce is not None and hmac.compare_digest(nonce, given)

    def decode_call(self, ctx, obj, name, arguments=''):
        """A call of operation `name` on `obj` whose arguments are the XML
        of its parameter elements, read by the decoder /sdk reads SOAP
        with (so absent arrays are empty and bad values its faults)."""
        body = ENVELOPE % (name, escape(obj.type_name), escape(obj.ref.value), arguments, name)
        return self.simulator.endpoint.decoder(ctx.version).decode(body.encode('utf-8'))

    def call(self, ctx, obj, name, arguments=''):
        """Call operation `name` on `obj` as /sdk would, its arguments as
        XML elements: its value (references for objects), or a Deferred
        of it; the fault it raises."""
        result = self.simulator.endpoint.dispatch(ctx, self.decode_call(ctx, obj, name, arguments))
        if isinstance(result, defer.Deferred):
            return result.addCallback(as_refs)
        return as_refs(result)

    def find(self, moid):
        """The managed object of a moid, or None. vCenter's moids are unique
        across types, which the MOB's URLs rely on; the registry is keyed by
        (type, moid), so a moid first seen costs a scan, then is remembered."""
        objects = self.simulator.objects
        ref = self._refs.get(moid)
        obj = objects.get(ref) if ref is not None else None
        if obj is None:
            obj = next((o for o in objects if o.ref.value == moid), None)
            if obj is not None:
                if len(self._refs) >= REMEMBERED_MOIDS:
                    self._refs.clear()
                self._refs[moid] = obj.ref
        return obj


class PageSet:
    """The pages under one path (`prefix`) of one simulator: GET, HEAD and
    POST reach `serve`, other methods answer 405."""
    prefix = None

    def __init__(self, simulator, sessions):
        self.simulator = simulator
        self.sessions = sessions

    def handle(self, request):
        path = request.path
        if path != self.prefix and not path.startswith(self.prefix + '/'):
            return None
        if request.method not in ('GET', 'HEAD', 'POST'):
            return html('Method not allowed\n', 405, [('Allow', 'GET, HEAD, POST')])
        return self.serve(request)

    def serve(self, request):
        raise NotImplementedError


def basic_credentials(header):
    """(user, password) of an `Authorization: Basic` header, or None."""
    if not header or not header[:6].lower() == 'basic ':
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode('utf-8')
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(':')
    return (user, password) if colon else None


def form_fields(request):
    """The fields of an urlencoded POST body (or a query string), last one wins."""
    body = request.body.decode('utf-8', 'replace') if request.method == 'POST' else ''
    return dict(urllib.parse.parse_qsl(body, keep_blank_values=True))


def query_fields(request):
    return dict(urllib.parse.parse_qsl(request.query or '', keep_blank_values=True))


def html(body, status=200, headers=None):
    return HttpResponse(status, body.encode('utf-8'), headers or [], content_type=HTML)


def redirect(location, headers=()):
    return HttpResponse(303, b'', [('Location', location)] + list(headers), content_type=None)
