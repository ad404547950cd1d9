"""The SOAP endpoint: HTTP request -> session, version, decode, dispatch, encode.

The negotiated API version comes from the SOAPAction header
(`"urn:vim25/8.0.3.0"`); requests are read and responses filtered at it. A
version the server does not have (newer than its own, or unknown) is refused
as vCenter refuses it: a detail-less `VersionMismatchFaultCode` SOAP fault.
Sessions travel in the `vmware_soap_session` cookie exactly as WIRE.md
section 4 says.
"""
import gc
import keyword
import logging
import os

from lxml import etree
from twisted.internet import defer, reactor, task, threads

from vimsim.fault_injection import injected
from vimsim.managed.admin.permissions import authorize
from vimsim.managed.base import Context, ManagedObject
from vimsim.managed.paths import read_path
from vimsim.managed.monitoring.task import sample_delay
from vimsim.managed.service.heap_trim import heap_trim
from vimsim.managed.service.property_collector import ANONYMOUS, check_readable
from vimsim.managed.service.session_manager import COOKIE_NAME
from vimsim.schema import MoRef
from vimsim.server.http import HttpResponse, forget_heads, is_deferred
from vimsim.soap import encode
from vimsim.soap.decode import FETCH, Decoder
from vimsim.soap.fault import (ManagedObjectNotFound, NotAuthenticated,
                               NotImplemented_, fault, message_of)

log = logging.getLogger(__name__)
DECODE_APART = 1024 * 1024    # bodies larger than this are decoded off the reactor thread
# vCenter sends this on every SOAP answer (recorded traffic)
NO_CACHE = ('Cache-Control', 'no-cache')
SERVICE_CONTENT = 'RetrieveServiceContent'
MAX_ACTIONS = 64   # distinct SOAPAction headers whose version is remembered
MAX_COOKIE_HEADERS = 4096   # distinct Cookie headers whose session cookie is remembered


def soap_action_version(header, prefix='urn:vim25/'):
    """'"urn:vim25/8.0.3.0"' -> '8.0.3.0'; None when no version is given
    (`prefix`: another API's, 'urn:pbm/')."""
    if not header:
        return None
    value = header.strip().strip('"').strip()
    if value.startswith(prefix):
        return value[len(prefix):] or None
    return None


def session_cookie(header, name=COOKIE_NAME):
    """The session id in a Cookie header: the value of the cookie named
    exactly `vmware_soap_session` (or `name`; quoted or not). pyVmomi echoes
    the whole Set-Cookie value back, attributes and all (WIRE.md section 4);
    those are pairs of other names, or no pairs, and are passed over. Several
    Cookie headers arrive joined with ', '."""
    if not header or name not in header:
        return None
    for pair in header.replace(',', ';').split(';'):
        key, equals, value = pair.partition('=')
        if equals and key.strip() == name:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value
    return None


def set_cookie(server, request, session):
    """The Set-Cookie header that hands a new session's cookie to its client
    (/sdk and the web pages alike): Secure as VCSIM_SECURE_COOKIES says, else
    over TLS only."""
    secure = server.secure_cookies
    if secure is None:
        secure = request.secure
    attributes = '; Path=/; HttpOnly; Secure;' if secure else '; Path=/; HttpOnly;'
    return ('Set-Cookie', '%s="%s"%s' % (COOKIE_NAME, session.cookie, attributes))


class SoapEndpoint:
    """Serves POST /sdk for one Simulator. Another API's endpoint (PBM's)
    is a subclass with its `schema` and `objects`, serving that API's newest
    version; it says how its calls are authenticated (`session_of`) and
    authorized (`authorize`) and journaled (`journaled`) and turns the faults
    it meets into its own (`own_fault`)."""

    anonymous = False   # an API with no sessions (the lookup service's): no NotAuthenticated

    def __init__(self, server, schema=None, objects=None):
        self.server = server
        self.schema = server.schema if schema is None else schema
        self.objects = server.objects if objects is None else objects
        if schema is None:
            self.api_version = server.schema.version(server.served_version)
            self.reported_version = server.api_version   # -api-version's own string too
        else:
            self.api_version = self.reported_version = schema.newest
        self._action_prefix = 'urn:%s/' % self.schema.namespace
        self._fault_classes = (server.schema.types['MethodFault'].cls,
                               self.schema.types['MethodFault'].cls)
        self._decoders = {}   # version -> Decoder
        self._codecs = {}     # version -> (Encoder, Decoder)
        self._cookie_values = {}   # Cookie header -> the session cookie's value in it
        self._renamed = {}    # Operation -> whether a parameter's name is a Python keyword
        self._service_content = {}   # version -> (ServiceContent, its answer's bytes)
        self._action_versions = {}   # SOAPAction header -> client_version's answer

    def client_version(self, request):
        """The version index a request negotiated (none named: the server's),
        or None for a version this server does not have; remembered per
        header (clients send one or two), up to MAX_ACTIONS of them."""
        action = request.headers.get('soapaction')
        known = self._action_versions
        if action in known:
            return known[action]
        version = self._version_of(action)
        if len(known) >= MAX_ACTIONS:
            known.clear()
        known[action] = version
        return version

    def _version_of(self, action):
        name = soap_action_version(action, self._action_prefix)
        if name is None or name == self.reported_version:
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
            decoder = self._decoders[version] = Decoder(self.schema, version, self.objects)
        return decoder

    def forget_remembered(self):
        """Let go of what is remembered per distinct request (Cookie headers,
        request heads, small bodies' decodings; the next calls remember them again): after
        a mass logout (heap_trim) these leftovers of the load would pin the
        allocator's arenas."""
        self._cookie_values.clear()
        forget_heads()
        for decoder in self._decoders.values():
            decoder.forget_remembered()

    def handle(self, request):
        version = self.client_version(request)
        if version is None:
            return _unsupported_version(request.headers.get('soapaction'))
        codecs = self._codecs.get(version)
        if codecs is None:
            codecs = self._codecs[version] = (encode.encoder_for(self.schema, version),
                                              self.decoder(version))
        encoder, decoder = codecs
        decode = decoder.decode
        if len(request.body) > DECODE_APART:
            _gc_hold.take()
            decoded = _decode_apart(decode, request.body)
            decoded.addCallbacks(
                lambda call: self._answering_faults(encoder, self._call, request, version,
                                                    encoder, call),
                lambda failure: self._errback(encoder, failure))
            decoded.addBoth(_gc_hold.give_back)
            return decoded
        return self._answering_faults(encoder, self._decoded_call, request, version, encoder,
                                      decode)

    def _decoded_call(self, request, version, encoder, decode):
        return self._call(request, version, encoder, decode(request.body))

    def _answering_faults(self, encoder, work, *args):
        """work(*args); a vim fault it raises, or an internal error, is
        answered as a SOAP fault."""
        try:
            return work(*args)
        except self._fault_classes as error:
            return self._fault(encoder, error)
        except Exception:
            log.exception('internal error')
            return self._fault(encoder, _internal_error())

    def session_of(self, request, call):
        """The session a call is made in: its cookie's (the header's value
        read once per distinct header: a client sends the same one each call)."""
        header = request.headers.get('cookie')
        known = self._cookie_values
        if header in known:
            value = known[header]
        else:
            value = session_cookie(header)
            if len(known) >= MAX_COOKIE_HEADERS:
                known.clear()
            known[header] = value
        return self.server.session_manager.by_cookie(value)

    def _call(self, request, version, encoder, call):
        session = self.session_of(request, call)
        ctx = Context(self.server, session, version, request)
        self.server.requests[call.name] += 1
        result = self.dispatch(ctx, call)
        if is_deferred(result):
            result.addCallback(lambda value: self._respond(ctx, session, encoder, call, value))
            result.addErrback(lambda failure: self._errback(encoder, failure))
            return result
        return self._respond(ctx, session, encoder, call, result)

    def _respond(self, ctx, session_before, encoder, call, result):
        if call.name == FETCH:
            value, field = result
            body = encode.fetch_response(encoder, value, field)
        elif call.name == SERVICE_CONTENT:
            body = self._service_content_answer(encoder, call.operation, result)
        elif type(result) is encode.Streamed:
            body = encode.response_pieces(encoder, call.operation, result.value)
        else:
            _gc_hold.take()   # an answer's objects die once it is written: collections
            try:              # meanwhile would only promote them (see CollectorSession.collect)
                body = encode.response(encoder, call.operation, as_refs(result))
            finally:
                _gc_hold.give_back()
        headers = [NO_CACHE]
        if ctx.session is not None and ctx.session is not session_before:
            headers.append(set_cookie(self.server, ctx.request, ctx.session))
        return HttpResponse(200, body, headers)

    def _service_content_answer(self, encoder, operation, content):
        """RetrieveServiceContent's answer, encoded once per client version:
        the ServiceContent is built with the model and never changed (a reset
        makes a new one, and a new endpoint), and every caller, anonymous or
        not, gets the same."""
        cached = self._service_content.get(encoder.version)
        if cached is None or cached[0] is not content:
            cached = (content, encode.response(encoder, operation, content))
            self._service_content[encoder.version] = cached
        return cached[1]

    def _errback(self, encoder, failure):
        if isinstance(failure.value, self._fault_classes):
            return self._fault(encoder, failure.value)
        if failure.check(defer.CancelledError):   # the client went away mid-wait
            return failure
        log.error('internal error: %s', failure.getTraceback())
        return self._fault(encoder, _internal_error())

    def _fault(self, encoder, error):
        return HttpResponse(500, encode.fault_response(encoder, self.own_fault(error),
                                                       message_of(error)), [NO_CACHE])

    def own_fault(self, error):
        """The fault as this API answers it (vim25's are vim25's)."""
        return error

    # -- dispatch ------------------------------------------------------------
    def dispatch(self, ctx, call):
        obj = self.objects.get(call.this)
        if obj is None:
            if ctx.session is None and not self.anonymous:
                raise NotAuthenticated()
            raise ManagedObjectNotFound(call.this)
        if call.name == FETCH:
            return self._delayed(call.name, self._fetch, ctx, obj, call.args['prop'])
        operation, method, args = self.bind(ctx, obj, call)
        if self.server.persistence is not None:   # -state: journal what changes (vimsim/state)
            method = self.journaled(obj, operation, method)
        method = injected(self.server, ctx, obj, call.name, method)   # the control surface's
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
            self.authorize(ctx, obj, operation, call.args)
            ctx.session.touch()
        args = call.args
        renamed = self._renamed.get(operation)
        if renamed is None:   # a parameter named as a Python keyword goes as name_
            renamed = self._renamed[operation] = any(keyword.iskeyword(field.name)
                                                     for field in operation.params)
        if renamed:
            args = {(name + '_' if keyword.iskeyword(name) else name): value
                    for name, value in args.items()}
        return operation, method, args

    authorize = staticmethod(authorize)   # NoPermission unless the caller may

    def journaled(self, obj, operation, method):
        """The handler, journaled when the call may change what is kept."""
        return self.server.persistence.journaled(obj, operation, method)

    def _delayed(self, method_name, function, /, *args, **kwargs):
        """Call a handler now, or after vcsim's -delay / -method-delay (with
        -delay-jitter) for `method_name`, without holding up the reactor."""
        delay = sample_delay(self.server.options, method_name)
        if delay <= 0:
            return function(*args, **kwargs)
        return task.deferLater(reactor, delay / 1000.0, function, *args, **kwargs)

    # -- another API's endpoint (PBM's, vslm's) -------------------------------------
    def vim25_session(self, request, call):
        """The vim25 session another API's call is made in, as pyVmomi's
        samples send it: a `vcSessionCookie` SOAP header, or the
        `vmware_soap_session` cookie."""
        cookie = None
        if call.header is not None:
            cookie = next((child.text for child in call.header if isinstance(child.tag, str)
                           and etree.QName(child).localname == 'vcSessionCookie'), None)
        if not cookie:
            cookie = session_cookie(request.headers.get('cookie'))
        return self.server.session_manager.by_cookie((cookie or '').strip())

    def same_named_fault(self, error, stand_ins=()):
        """A vim25 fault as this API's type of the same name (of
        `stand_ins`' name for it; SystemError for none), with its plain
        fields and message."""
        own_types = self.schema.types
        if isinstance(error, own_types['MethodFault'].cls):
            return error
        name = error._type.name
        own = own_types.get(dict(stand_ins).get(name, name))
        if own is None or not own.is_fault:
            own = own_types['SystemError']
        values = {field: getattr(error, field, None) for field in own._names
                  if field in error._type.field_map}
        converted = own.cls(**{field: value for field, value in values.items()
                               if isinstance(value, (str, int, MoRef))})
        converted.args = error.args
        return converted

    def journaled_as(self, kind, method):
        """`method` journaled (with -state) as a record of `kind`: the
        request body at this API's version, replayed by `replay`."""
        persistence = self.server.persistence

        def journaled_call(ctx, **args):
            return persistence.run_journaled(ctx, lambda: method(ctx, **args), kind,
                                             ctx.request.body, self.schema)
        return journaled_call

    def replay(self, session, version_name, body):
        """Run a journaled call of this API again (vimsim/state), in `session`."""
        version = self.schema.version(version_name)
        call = self.decoder(version).decode(body)
        ctx = Context(self.server, session, version)
        _, method, args = self.bind(ctx, self.objects.get(call.this), call)
        method(ctx, **args)

    def _fetch(self, ctx, obj, path):
        check_readable(ctx, obj, path)
        if ctx.session is not None:
            ctx.session.touch()
        return read_path(obj, path, ctx)


class ApiObject:
    """A managed object of another API (vslm's, the lookup service's):
    found in its endpoint's own table, its data types `schema`'s."""
    type_name = 'ManagedObject'

    def __init__(self, server, schema, moid):
        self.server = server
        self.schema = schema
        self.ref = MoRef(self.type_name, moid)

    def T(self, name):
        return self.schema.types[name].cls

    def __repr__(self):
        return '<%s %s>' % (self.type_name, self.ref.value)


def model_endpoint(simulator, endpoint_class):
    """The simulator's endpoint of another API (`endpoint_class`), made on
    first use; a reset drops it with the model, so the next is the new
    model's."""
    name = '_' + endpoint_class.__name__
    endpoint = getattr(simulator, name, None)
    if endpoint is None:
        endpoint = endpoint_class(simulator)
        setattr(simulator, name, endpoint)
    return endpoint


def answer(simulator, endpoint_class, request):
    """A POST to another API's endpoint, answered by the model's
    `endpoint_class` (with -state, once what it changed is durable)."""
    response = model_endpoint(simulator, endpoint_class).handle(request)
    if simulator.persistence is not None:
        return simulator.persistence.acknowledge(response)
    return response


class ServedApi:
    """The HTTP side of another API's SOAP endpoint: POSTs to `paths` go to
    the model's `endpoint_class` (`model_endpoint`), GETs under
    `paths[0] + '/'` fetch the WSDL and schema files of `layout`
    (`service_file` too). A vCenter's only: an ESXi host has none (404),
    and neither has a recorded inventory here (its objects are recorded
    values, not the model's)."""

    def __init__(self, simulator, paths, layout, service_file, endpoint_class):
        self.simulator = simulator
        self.paths = paths
        self.documents = paths[0] + '/'
        self.served = set(layout.all_files + (service_file,)) - {layout.managed_file}
        self.directory = os.path.join(simulator.wsdl_dir, layout.subdir)
        self.endpoint_class = endpoint_class

    def handle(self, request):
        path = request.path
        if not path.startswith(self.paths[-1]) or self.simulator.esx \
                or self.simulator.recording is not None:
            return None
        if request.method == 'POST' and path in self.paths:
            return answer(self.simulator, self.endpoint_class, request)
        if request.method in ('GET', 'HEAD') and path.startswith(self.documents):
            name = path[len(self.documents):]
            if name in self.served:
                with open(os.path.join(self.directory, name), 'rb') as document:
                    return HttpResponse(200, document.read(),
                                        content_type='text/xml; charset=utf-8')
        return None


def _internal_error():
    return fault('SystemError', 'A general system error occurred.', reason='internal error')


class _GcHold:
    """Holds the cyclic garbage collector off while big requests are
    decoded and planned (hundreds of thousands of fresh objects: each full
    collection meanwhile would walk them all, a stall of a second for every
    client); counted, since such requests overlap. Reactor thread only."""

    def __init__(self):
        self.holders = 0
        self.disabled = False

    def take(self):
        if self.holders == 0 and gc.isenabled():
            gc.disable()
            self.disabled = True
        self.holders += 1

    def give_back(self, passing=None):
        self.holders -= 1
        if self.holders == 0 and self.disabled:
            self.disabled = False
            gc.enable()
            heap_trim.collector_back()
        return passing


_gc_hold = _GcHold()
_decode_pool = []


def _decode_apart(decode, body):
    """Decode a big body on a thread of its own, one body at a time (the
    parse and typed walk of 30 MB take seconds; the reactor keeps serving
    meanwhile). Safe: decoding builds new values from the schema and only
    looks references up in the registry, never changes the model."""
    if not _decode_pool:
        from twisted.python.threadpool import ThreadPool
        pool = ThreadPool(minthreads=0, maxthreads=1, name='vimsim-decode')
        pool.start()
        reactor.addSystemEventTrigger('during', 'shutdown', pool.stop)
        _decode_pool.append(pool)
    return threads.deferToThreadPool(reactor, _decode_pool[0], decode, body)


def _unsupported_version(action):
    """vCenter's answer to a SOAPAction version it does not have: a SOAP
    fault about the request's header, so with no detail."""
    message = 'Unsupported version URI "%s"' % (action or '').strip().strip('"')
    body = ''.join((encode.ENVELOPE_START, '<soapenv:Fault><faultcode>VersionMismatchFaultCode'
                    '</faultcode><faultstring>', encode.escape(message),
                    '</faultstring></soapenv:Fault>', encode.ENVELOPE_END))
    return HttpResponse(500, body.encode('utf-8'), [NO_CACHE])


def as_refs(result):
    """Handlers may return managed objects; the wire carries references."""
    if isinstance(result, ManagedObject):
        return result.ref
    if isinstance(result, list) and result and isinstance(result[0], ManagedObject):
        return [item.ref for item in result]
    return result
