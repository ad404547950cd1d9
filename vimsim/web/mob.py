"""/mob: vCenter's Managed Object Browser.

Pages as the real MOB lays them out: a managed object (`/mob/?moid=vm-42`,
the ServiceInstance without a moid) lists its properties (name, type,
value; references and data objects link to their pages) and its methods; a
data object (`&doPath=config.hardware`, array elements by key:
`config.hardware.device[4000]`) lists its fields; a method
(`&method=PowerOffVM_Task`) has a form with one text area per parameter,
taking values as the real MOB does: primitives as plain text, references,
data objects and arrays as XML elements named after the parameter
(`<host type="HostSystem">host-21</host>`). The form is decoded by the
/sdk decoder and the call dispatched as a SOAP call is (web/session.py), so
privileges, tasks and faults are the same; its POST must carry the session's
`vmware-session-nonce`.

Login is HTTP Basic, as vCenter's MOB asks, or the session cookie of a
SOAP login; properties are read with the session's privileges.
"""
from twisted.internet import defer

from vimsim.soap import encode
from vimsim.soap.fault import message_of
from vimsim.web.render import mob_url, render
from vimsim.web.session import (NONCE_FIELD, PageSet, form_fields, html, query_fields,
                                redirect)
from vimsim.web.values import is_primitive, read_data_path, read_property, type_label

PATH = '/mob'
REALM = 'VMware HTTP server'


class Mob(PageSet):
    """Serves /mob for one simulator."""
    prefix = PATH

    def serve(self, request):
        path = request.path
        session = self.sessions.session(request)
        cookie = None
        if session is None:
            session, cookie = self.sessions.basic_login(request)
            if session is None:
                return html(render('mob_login.html'), 401,
                            [('WWW-Authenticate', 'Basic realm="%s"' % REALM)])
        headers = [cookie] if cookie else []
        if path == PATH + '/logout':
            self.sessions.logout(request, session)
            return redirect(PATH + '/')
        try:
            page = self._page(request, self.sessions.context(request, session),
                              query_fields(request))
        except PageError as error:
            return html(render('mob_error.html', title=error.title,
                                         message=error.message), error.status, headers)
        if isinstance(page, defer.Deferred):
            return page.addCallback(lambda body: html(body, 200, headers))
        return html(page, 200, headers)

    def _page(self, request, ctx, query):
        moid = query.get('moid') or 'ServiceInstance'
        obj = self.sessions.find(moid)
        if obj is None:
            raise PageError(404, 'Unknown managed object',
                            'No managed object has the moid %r.' % moid)
        method = query.get('method')
        if method is not None:
            operation = self._operation(ctx, obj, method)
            if operation is None:
                raise PageError(404, 'Unknown method',
                                '%s has no method %s.' % (obj.type_name, method))
            if request.method == 'POST':
                return self._invoke(ctx, obj, operation, form_fields(request))
            return self._method_page(ctx, obj, operation)
        do_path = query.get('doPath')
        if do_path:
            return self._data_page(ctx, obj, do_path)
        return self._object_page(ctx, obj)

    # -- pages ------------------------------------------------------------------------------
    def _object_page(self, ctx, obj):
        schema = self.simulator.schema
        managed = schema.managed[obj.type_name]
        properties = []
        for field in managed.properties:
            if field.since > ctx.version:
                continue
            try:
                value, _ = read_property(ctx, obj, field.name)
                failure = None
            except schema.types['MethodFault'].cls as error:
                value, failure = None, _fault_text(error)
            properties.append((field.name, type_label(field), value, failure))
        methods = [(type_label(op.result) if op.result is not None else 'void', op.name,
                    getattr(obj, op.name, None) is not None)
                   for op in sorted(managed.methods.values(), key=lambda op: op.name)
                   if op.since <= ctx.version]
        return self._render('mob_object.html', obj=obj, properties=properties,
                                methods=methods, link=self._link(obj.ref.value))

    def _data_page(self, ctx, obj, do_path):
        try:
            value = read_data_path(ctx, obj, do_path)
        except self.simulator.schema.types['MethodFault'].cls as error:
            raise PageError(404, 'Cannot read %s' % do_path, _fault_text(error)) from None
        return self._render('mob_data.html', obj=obj, path=do_path, value=value,
                                link=self._link(obj.ref.value))

    def _method_page(self, ctx, obj, operation, result=None):
        schema = self.simulator.schema
        params = [(field.name, type_label(field), is_primitive(schema, field.type) and
                   not field.array, field.optional) for field in operation.params
                  if field.since <= ctx.version]
        return self._render(
            'mob_method.html', obj=obj, operation=operation, params=params,
            returns=type_label(operation.result) if operation.result is not None else 'void',
            implemented=getattr(obj, operation.name, None) is not None,
            nonce_field=NONCE_FIELD, nonce=self.sessions.nonce(ctx.session),
            result=result, link=self._link(obj.ref.value),
            fault_message=message_of(result[1]) if result and result[0] == 'fault' else None)

    def _invoke(self, ctx, obj, operation, form):
        if not self.sessions.nonce_ok(ctx.session, form):
            raise PageError(403, 'Possible CSRF attempt',
                            'The form carries no valid %s.' % NONCE_FIELD)
        MethodFault = self.simulator.schema.types['MethodFault'].cls
        try:
            value = self.sessions.call(ctx, obj, operation.name,
                                       self._arguments(ctx, operation, form))
        except MethodFault as error:
            return self._method_page(ctx, obj, operation, ('fault', error))
        if isinstance(value, defer.Deferred):
            def failed(failure):
                failure.trap(MethodFault)
                return self._method_page(ctx, obj, operation, ('fault', failure.value))
            return value.addCallbacks(
                lambda done: self._method_page(ctx, obj, operation, ('value', done)), failed)
        return self._method_page(ctx, obj, operation, ('value', value))

    def _render(self, template, **values):
        return render(template, name_of=self._name_of, **values)

    def _arguments(self, ctx, operation, form):
        """The form's values as the XML of the call's parameter elements:
        a primitive's plain text escaped, anything else as typed."""
        schema = self.simulator.schema
        parts = []
        for field in operation.params:
            given = form.get(field.name, '').strip()
            if not given or field.since > ctx.version:
                continue
            if is_primitive(schema, field.type) and not field.array:
                parts.append('<%s>%s</%s>' % (field.name, encode.escape(given), field.name))
            else:
                parts.append(given)
        return ''.join(parts)

    def _operation(self, ctx, obj, name):
        operation = self.simulator.schema.managed[obj.type_name].methods.get(name)
        return operation if operation is not None and operation.since <= ctx.version else None

    @staticmethod
    def _link(moid):
        """The URL of a data object at a path of the object `moid`."""
        return lambda path: mob_url(moid, path)

    def _name_of(self, ref):
        """The name of the object a reference names, shown beside it."""
        name = getattr(self.simulator.objects.get(ref), 'name', None)
        return name if isinstance(name, str) else None


class PageError(Exception):
    """A page that cannot be shown: answered as an error page with `status`."""

    def __init__(self, status, title, message):
        Exception.__init__(self, message)
        self.status = status
        self.title = title
        self.message = message


def _fault_text(error):
    return '%s: %s' % (error._type.name, message_of(error) or '')
