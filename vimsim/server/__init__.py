"""The HTTP(S) front of vimsim on the Twisted reactor."""

from vimsim.options import split_hostport
from vimsim.server.http import (FileBody, HttpFactory, HttpLimits, HttpRequest, HttpResponse,
                               listen_tcp)

__all__ = ['listen', 'make_app', 'FileBody', 'HttpFactory', 'HttpLimits', 'HttpRequest',
           'HttpResponse', 'split_hostport', 'format_hostport']


def listen(app, host='127.0.0.1', port=0, tls=True, cert_pem=None, key_pem=None,
           max_body=None, reactor=None, backlog=1024, limits=None):
    """Serve ``app`` (callable(HttpRequest) -> HttpResponse | Deferred) on
    ``host``:``port`` (port 0: ephemeral; IPv4 or IPv6 literal or name),
    over TLS unless ``tls`` is false, with ``limits`` (an HttpLimits;
    ``max_body`` overrides its field). Without ``cert_pem``/``key_pem`` a
    self-signed certificate for localhost, 127.0.0.1, ::1 and ``host`` is
    served (the one made for them before, when kept).
    Returns the IListeningPort (``.getHost().port`` is the bound port)."""
    if reactor is None:
        from twisted.internet import reactor
    factory = HttpFactory(app, max_body=max_body, limits=limits)
    interface = (host or '').strip('[]')
    if tls:
        from vimsim.server import tls as _tls
        if cert_pem is None:
            names = ['localhost', '127.0.0.1', '::1']
            if interface and interface not in names and interface not in ('0.0.0.0', '::'):
                names.insert(0, interface)
            context = _tls.self_signed_context(names)
        else:
            context = _tls.context_factory(cert_pem, key_pem if key_pem is not None else cert_pem)
        factory = _tls.TlsServerFactory(context, factory)
    return listen_tcp(reactor, port, factory, backlog, interface)


def format_hostport(host, port):
    """``host:port``, with brackets around IPv6 literals."""
    if ':' in host:
        return '[%s]:%d' % (host, port)
    return '%s:%d' % (host, port)


# vim25 SOAP is POSTed to /sdk; some third-party scripts post to the WSDL's names
SOAP_PATHS = ('/sdk', '/sdk/vimService', '/sdk/vimService.wsdl')


def not_found(request=None):
    return HttpResponse(404, b'404 page not found\n',
                        content_type='text/plain; charset=utf-8')


def make_app(handle_soap, documents=None, extra=(), body_sink=None):
    """Compose the simulator's HTTP application: POSTs to ``SOAP_PATHS`` go
    to ``handle_soap``; other requests to
    ``documents.handle`` then to each of ``extra`` (callables returning a
    response or None); anything else is 404. ``body_sink``: the app's
    (see vimsim.server.http)."""
    handlers = ([documents.handle] if documents is not None else []) + list(extra)

    def app(request):
        if request.method == 'POST' and request.path in SOAP_PATHS:
            return handle_soap(request)
        for handler in handlers:
            res = handler(request)
            if res is not None:
                return res
        return not_found(request)

    def sink(request):
        """No sink takes a SOAP call's body (the endpoint reads it whole)."""
        if request.method == 'POST' and request.path in SOAP_PATHS:
            return None
        return body_sink(request)

    app.body_sink = sink if body_sink is not None else None
    return app
