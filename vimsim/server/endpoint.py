"""The SOAP endpoint: HTTP request -> session, version, decode, dispatch, encode.

The negotiated API version comes from the SOAPAction header
(`"urn:vim25/8.0.3.0"`); requests are read and responses filtered at it. A
version the server does not have (newer than its own, or unknown) is refused
as vCenter refuses it: a detail-less `VersionMismatchFaultCode` SOAP fault.
Sessions travel in the `vmware_soap_session` cookie exactly as WIRE.md
section 4 says.
"""
import keyword
import logging

from twisted.internet import defer, reactor, task

from vimsim.managed.base import Context, ManagedObject
from vimsim.managed.paths import read_path
from vimsim.managed.monitoring.task import sample_delay
from vimsim.managed.service.property_collector import ANONYMOUS, check_readable
from vimsim.managed.service.session_manager import COOKIE_NAME
from vimsim.server.http import HttpResponse
from vimsim.soap import encode
from vimsim.soap.decode import FETCH, Decoder
from vimsim.soap.fault import (ManagedObjectNotFound, NotAuthenticated,
                               NotImplemented_, fault, message_of)

log = logging.getLogger(__name__)


def soap_action_version(header):
    """'"urn:vim25/8.0.3.0"' -> '8.0.3.0'; None when no version is given."""
    if not header:
        return None
    value = header.strip().strip('"').strip()
    if value.startswith('urn:vim25/'):
        return value[len('urn:vim25/'):] or None
    return None


def session_cookie(header):
    """The session id in a Cookie header; pyVmomi echoes the whole Set-Cookie
    value back (attributes and all), others send `name=value` or quote it."""
    if not header:
        return None
    start = header.find(COOKIE_NAME + '=')
    if start < 0:
        return None
    value = header[start + len(COOKIE_NAME) + 1:].lstrip()
    if value.startswith('"'):
        end = value.find('"', 1)
        return value[1:end] if end > 0 else value[1:]
    end = value.find(';')
    return (value if end < 0 else value[:end]).strip()


class SoapEndpoint:
    """Serves POST /sdk for one Simulator."""

    def __init__(self, server):
        self.server = server
        self.schema = server.schema
        self.api_version = server.schema.version(server.api_version)
        self._decoders = {}   # version -> Decoder

    def client_version(self, request):
        """The version index a request negotiated (none named: the server's),
        or None for a version this server does not have."""
        name = soap_action_version(request.headers.get('soapaction'))
        if name is None:
            return self.api_version
        try:
            version = self.schema.version(name)
        except KeyError:
            return None
        return version if version <= self.api_version else None

    def decoder(self, version):
        """The Decoder for clients of `version` (reading references back
        against this server's objects)."""
        decoder = self._decoders.get(version)
        if decoder is None:
            decoder = self._decoders[version] = Decoder(self.schema, version, self.server.objects)
        return decoder

    def handle(self, request):
        version = self.client_version(request)
        if version is None:
            return _unsupported_version(request.headers.get('soapaction'))
        encoder = encode.encoder_for(self.schema, version)
        sessions = self.server.session_manager
        session = sessions.by_cookie(session_cookie(request.headers.get('cookie')))
        ctx = Context(self.server, session, version, request)
        try:
            call = self.decoder(version).decode(request.body)
            result = self.dispatch(ctx, call)
        except self.schema.types['MethodFault'].cls as error:
            return self._fault(encoder, error)
        except Exception:
            log.exception('internal error')
            return self._fault(encoder, fault('SystemError', 'A general system error occurred.',
                                              reason='internal error'))
        if isinstance(result, defer.Deferred):
            result.addCallback(lambda value: self._respond(ctx, session, encoder, call, value))
            result.addErrback(lambda failure: self._errback(encoder, failure))
            return result
        return self._respond(ctx, session, encoder, call, result)

    def _respond(self, ctx, session_before, encoder, call, result):
        if call.name == FETCH:
            value, field = result
            body = encode.fetch_response(encoder, value, field)
        else:
            body = encode.response(encoder, call.operation, _as_refs(result))
        headers = []
        if ctx.session is not None and ctx.session is not session_before:
            attributes = '; Path=/; HttpOnly; Secure;' if ctx.request.secure else '; Path=/; HttpOnly;'
            headers.append(('Set-Cookie', '%s="%s"%s' % (COOKIE_NAME, ctx.session.cookie, attributes)))
        return HttpResponse(200, body, headers)

    def _errback(self, encoder, failure):
        if isinstance(failure.value, self.schema.types['MethodFault'].cls):
            return self._fault(encoder, failure.value)
        if failure.check(defer.CancelledError):   # the client went away mid-wait
            return failure
        log.error('internal error: %s', failure.getTraceback())
        return self._fault(encoder, fault('SystemError', 'A general system error occurred.',
                                          reason='internal error'))

    @staticmethod
    def _fault(encoder, error):
        return HttpResponse(500, encode.fault_response(encoder, error, message_of(error)))

    # -- dispatch ------------------------------------------------------------
    def dispatch(self, ctx, call):
        obj = ctx.server.objects.get(call.this)
        if obj is None:
            if ctx.session is None:
                raise NotAuthenticated()
            raise ManagedObjectNotFound(call.this)
        if call.name == FETCH:
            return self._delayed(call.name, self._fetch, ctx, obj, call.args['prop'])
        operation, method, args = self.bind(ctx, obj, call)
        if self.server.persistence is not None:   # -state: journal what changes (vimsim/state)
            method = self.server.persistence.journaled(obj, operation, method)
        return self._delayed(call.name, method, ctx, **args)

    def bind(self, ctx, obj, call):
        """(operation, handler, keyword arguments) of a call on `obj`, once
        vCenter's checks of the method and the caller pass."""
        managed = self.schema.managed[obj.type_name]
        operation = managed.methods.get(call.name)
        if operation is None or operation.since > ctx.version:
            raise fault('MethodNotFound', 'The method %s is not known for %s' % (
                call.name, obj.type_name), receiver=obj.ref, method=call.name)
        if ctx.session is None and operation.privilege != ANONYMOUS:
            raise NotAuthenticated(obj.ref)
        method = getattr(obj, operation.name, None)
        if method is None:
            raise NotImplemented_(operation.name)
        if ctx.session is not None:
            ctx.session.touch()
        args = {(name + '_' if keyword.iskeyword(name) else name): value
                for name, value in call.args.items()}
        return operation, method, args

    def _delayed(self, method_name, function, /, *args, **kwargs):
        """Call a handler now, or after vcsim's -delay / -method-delay (with
        -delay-jitter) for `method_name`, without holding up the reactor."""
        delay = sample_delay(self.server.options, method_name)
        if delay <= 0:
            return function(*args, **kwargs)
        return task.deferLater(reactor, delay / 1000.0, function, *args, **kwargs)

    def _fetch(self, ctx, obj, path):
        check_readable(ctx, obj, path)
        if ctx.session is not None:
            ctx.session.touch()
        return read_path(obj, path, ctx)


def _unsupported_version(action):
    """vCenter's answer to a SOAPAction version it does not have: a SOAP
    fault about the request's header, so with no detail."""
    message = 'Unsupported version URI "%s"' % (action or '').strip().strip('"')
    body = ''.join((encode.ENVELOPE_START, '<soapenv:Fault><faultcode>VersionMismatchFaultCode'
                    '</faultcode><faultstring>', encode.escape(message),
                    '</faultstring></soapenv:Fault>', encode.ENVELOPE_END))
    return HttpResponse(500, body.encode('utf-8'))


def _as_refs(result):
    """Handlers may return managed objects; the wire carries references."""
    if isinstance(result, ManagedObject):
        return result.ref
    if isinstance(result, list) and result and isinstance(result[0], ManagedObject):
        return [item.ref for item in result]
    return result
