"""/ui: VI Web Access, the simulator's web client for VM management.

Log in with vCenter credentials (SessionManager.Login; the session is the
`vmware_soap_session` cookie /sdk and /mob take too). The page has the
inventory tree in its four views (hosts and clusters, VMs and templates,
storage, networking), expanded lazily a page of children at a time
(`/ui/tree`), an object's summary (state, host, resources, quick stats, its
alarms, related objects, power and snapshot actions), real-time CPU and
memory charts of a VM or host from the PerformanceManager (`/ui/perf`),
and recent tasks and events.

Live updates are server-sent events (`/ui/live`): the stream is a client of
the property collector as any SOAP client is, with a collector of its own,
a filter on the shown object and on the latest pages of a task and an event
history collector, and WaitForUpdatesEx; each update the change hub gives
it re-renders the parts that changed and sends them. Everything is read and
done with the session's privileges, through the dispatcher /sdk uses.
"""
import json
import os

from twisted.internet import defer

from vimsim.managed.admin.permissions import access_of
from vimsim.schema import MoRef
from vimsim.server.http import HttpResponse
from vimsim.soap.encode import escape
from vimsim.soap.fault import message_of
from vimsim.web.render import render
from vimsim.web.session import (NONCE_FIELD, PageSet, form_fields, html, query_fields,
                                redirect)
from vimsim.web.values import read_property

PATH = '/ui'
STATIC = os.path.join(os.path.dirname(__file__), 'static')
STATIC_TYPES = {'.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
                '.png': 'image/png'}
TREE_PAGE = 100          # children of a tree node answered at once
LIVE_WAIT = 25           # seconds a live stream waits for updates before a keep-alive
RELATED_SHOWN = 50       # related objects of a kind listed on a summary
VIEWS = {'hosts': ('hostFolder', 'Hosts and Clusters'), 'vms': ('vmFolder', 'VMs and Templates'),
         'storage': ('datastoreFolder', 'Storage'), 'network': ('networkFolder', 'Networking')}
# per managed type, the properties a summary shows (and a live stream watches)
SUMMARY_PATHS = {
    'VirtualMachine': ('name', 'runtime', 'summary', 'config', 'guest', 'snapshot',
                       'datastore', 'network', 'resourcePool', 'triggeredAlarmState',
                       'overallStatus'),
    'HostSystem': ('name', 'runtime', 'summary', 'vm', 'datastore', 'network',
                   'triggeredAlarmState', 'overallStatus'),
}
DEFAULT_PATHS = ('name', 'summary', 'triggeredAlarmState', 'overallStatus')
# tree children per view and type: the properties holding them
CHILDREN = {
    'Folder': ('childEntity',), 'StoragePod': ('childEntity',),
    'ClusterComputeResource': ('host', 'resourcePool/'),
    'ComputeResource': ('host', 'resourcePool/'),
    'ResourcePool': ('resourcePool', 'vm'), 'VirtualApp': ('resourcePool', 'vm'),
    'VmwareDistributedVirtualSwitch': ('portgroup',),
    'DistributedVirtualSwitch': ('portgroup',),
}
# actions: name -> (operation, the XML of its arguments from the form)
ACTIONS = {
    'powerOn': ('PowerOnVM_Task', lambda form: ''),
    'powerOff': ('PowerOffVM_Task', lambda form: ''),
    'suspend': ('SuspendVM_Task', lambda form: ''),
    'reset': ('ResetVM_Task', lambda form: ''),
    'createSnapshot': ('CreateSnapshot_Task', lambda form: (
        '<name>%s</name><description>%s</description><memory>false</memory>'
        '<quiesce>false</quiesce>' % (escape(form.get('name') or 'Snapshot'),
                                      escape(form.get('description', ''))))),
    'revertSnapshot': ('RevertToSnapshot_Task', lambda form: ''),
    'removeSnapshot': ('RemoveSnapshot_Task',
                       lambda form: '<removeChildren>false</removeChildren>'),
    'enterMaintenance': ('EnterMaintenanceMode_Task', lambda form: '<timeout>0</timeout>'),
    'exitMaintenance': ('ExitMaintenanceMode_Task', lambda form: '<timeout>0</timeout>'),
}
CHARTS = (('cpu', 'usage', 'CPU usage (%)'), ('mem', 'usage', 'Memory usage (%)'))


class Ui(PageSet):
    """Serves /ui for one simulator."""
    prefix = PATH

    def serve(self, request):
        path = request.path
        if path == PATH:
            return redirect(PATH + '/')
        if path.startswith(PATH + '/static/'):
            return self._static(path[len(PATH + '/static/'):])
        if path == PATH + '/login':
            return self._login(request)
        session = self.sessions.session(request)
        if session is None:
            if path == PATH + '/':
                return redirect(PATH + '/login')
            return _json({'error': 'NotAuthenticated'}, 401)
        ctx = self.sessions.context(request, session)
        if path == PATH + '/logout':
            self.sessions.logout(request, session)
            return redirect(PATH + '/login')
        page = self._pages.get(path[len(PATH):])
        if page is None:
            return html('404 page not found\n', 404)
        try:
            return page(self, request, ctx, query_fields(request))
        except self.simulator.schema.types['MethodFault'].cls as error:
            return _json(_fault(error), 403 if error._type.name == 'NoPermission' else 400)

    # -- login ------------------------------------------------------------------------------
    def _login(self, request):
        if request.method != 'POST':
            return html(render('ui_login.html', error=None))
        form = form_fields(request)
        try:
            _, cookie = self.sessions.login(request, form.get('username', ''),
                                            form.get('password', ''))
        except self.simulator.schema.types['InvalidLogin'].cls as error:
            return html(render('ui_login.html', error=message_of(error),
                               username=form.get('username', '')), 401)
        return redirect(PATH + '/', [cookie])

    # -- pages ------------------------------------------------------------------------------
    def _main(self, request, ctx, query):
        obj = self._object(query) or self.simulator.root_folder
        return html(render('ui_main.html', user=ctx.session.user, views=VIEWS,
                           summary=self._summary_html(ctx, obj), moid=obj.ref.value,
                           nonce_field=NONCE_FIELD, nonce=self.sessions.nonce(ctx.session)))

    def _summary(self, request, ctx, query):
        obj = self._object(query)
        if obj is None:
            return html('No such object\n', 404)
        return html(self._summary_html(ctx, obj))

    def _tree(self, request, ctx, query):
        """A page of a node's children in a view (the roots without a moid)."""
        view = query.get('view', 'hosts')
        if view not in VIEWS:
            return _json({'error': 'InvalidArgument', 'message': 'No view %r' % view}, 400)
        obj = self._object(query) or self.simulator.root_folder
        try:
            offset = max(0, int(query.get('offset', '0')))
        except ValueError:
            offset = 0
        refs = self._visible(ctx, self._children(ctx, obj, view))
        nodes = [self._node(ref) for ref in refs[offset:offset + TREE_PAGE]]
        more = offset + TREE_PAGE if offset + TREE_PAGE < len(refs) else None
        return _json({'nodes': [n for n in nodes if n is not None], 'more': more,
                      'total': len(refs)})

    def _action(self, request, ctx, query):
        if request.method != 'POST':
            return _json({'error': 'MethodNotAllowed'}, 405)
        form = form_fields(request)
        if not self.sessions.nonce_ok(ctx.session, form):
            return _json({'error': 'Forbidden', 'message': 'The request carries no valid %s.'
                          % NONCE_FIELD}, 403)
        action = ACTIONS.get(form.get('action'))
        obj = self.sessions.find(form.get('moid', ''))
        if action is None or obj is None:
            return _json({'error': 'InvalidArgument', 'message': 'No such action or object'}, 400)
        operation, arguments = action
        result = self.sessions.call(ctx, obj, operation, arguments(form))
        if isinstance(result, defer.Deferred):
            return result.addCallbacks(self._answer, self._failed)
        return self._answer(result)

    def _answer(self, result):
        return _json({'task': result.value if isinstance(result, MoRef) else None})

    def _failed(self, failure):
        failure.trap(self.simulator.schema.types['MethodFault'].cls)
        return _json(_fault(failure.value), 400)

    def _perf(self, request, ctx, query):
        """The last hour of real-time CPU and memory usage of a VM or host,
        by PerformanceManager.QueryPerf."""
        obj = self._object(query)
        if obj is None or obj.type_name not in ('VirtualMachine', 'HostSystem'):
            return _json({'error': 'InvalidArgument', 'message': 'No VM or host'}, 400)
        perf = self.simulator.objects.get(self.simulator.service_instance.content.perfManager)
        counters = self._counters(ctx, perf)
        metrics = ''.join('<metricId><counterId>%d</counterId><instance></instance></metricId>'
                          % counters[group, name] for group, name, _ in CHARTS)
        spec = ('<querySpec><entity type="%s">%s</entity><maxSample>180</maxSample>%s'
                '<intervalId>20</intervalId></querySpec>' % (
                    escape(obj.type_name), escape(obj.ref.value), metrics))
        result = self.sessions.call(ctx, perf, 'QueryPerf', spec)
        if isinstance(result, defer.Deferred):
            return result.addCallback(self._charts, counters)
        return self._charts(result, counters)

    def _charts(self, result, counters):
        ids = {counters[group, name]: (group, label) for group, name, label in CHARTS}
        charts = {group: {'label': label, 'times': [], 'values': []}
                  for group, label in ids.values()}
        for entity in result or []:
            times = [info.timestamp.isoformat() for info in entity.sampleInfo]
            for series in entity.value:
                group, _ = ids[series.id.counterId]
                charts[group]['times'] = times
                charts[group]['values'] = [v / 100.0 for v in series.value]   # hundredths of %
        return _json({'charts': charts})

    def _counters(self, ctx, perf):
        """(group, name) -> the key of the average counter of CHARTS."""
        counters, _ = read_property(ctx, perf, 'perfCounter')
        wanted = {(group, name) for group, name, _ in CHARTS}
        return {(c.groupInfo.key, c.nameInfo.key): c.key for c in counters
                if (c.groupInfo.key, c.nameInfo.key) in wanted and c.rollupType == 'average'}

    def _live(self, request, ctx, query):
        obj = self._object(query) or self.simulator.root_folder
        stream = LiveStream(self, ctx, obj)
        return HttpResponse(200, stream.pieces(), [('Cache-Control', 'no-cache')],
                            content_type='text/event-stream; charset=utf-8')

    _pages = {'/': _main, '/summary': _summary, '/tree': _tree, '/action': _action,
              '/perf': _perf, '/live': _live}

    # -- reading the model --------------------------------------------------------------------
    def _object(self, query):
        moid = query.get('moid')
        return self.sessions.find(moid) if moid else None

    def read(self, ctx, obj, path):
        """A property path of `obj` as the user may read it (None when unset
        or not readable)."""
        try:
            return read_property(ctx, obj, path)[0]
        except self.simulator.schema.types['MethodFault'].cls:
            return None

    def _visible(self, ctx, refs):
        access = access_of(ctx)
        return access.visible(refs) if access is not None else list(refs)

    def _children(self, ctx, obj, view):
        """The references a tree node holds in a view (a datacenter: the
        view's folder's children)."""
        if obj.type_name == 'Datacenter':
            folder = self.simulator.objects.get(self.read(ctx, obj, VIEWS[view][0]))
            return self._children(ctx, folder, view) if folder is not None else []
        refs = []
        for name in CHILDREN.get(obj.type_name, ()):
            if name.endswith('/'):      # a compute resource's root pool: what it holds
                pool = self.simulator.objects.get(self.read(ctx, obj, name[:-1]))
                if pool is not None:
                    refs.extend(self._children(ctx, pool, view))
                continue
            value = self.read(ctx, obj, name)
            refs.extend(value if isinstance(value, list) else [value] if value else [])
        return refs

    def _node(self, ref):
        obj = self.simulator.objects.get(ref)
        if obj is None:
            return None
        node = {'moid': ref.value, 'type': ref.type, 'name': getattr(obj, 'name', ref.value),
                'leaf': ref.type not in CHILDREN and ref.type != 'Datacenter'}
        if ref.type == 'VirtualMachine':
            node['state'] = 'template' if obj.template else obj.power_state
        return node

    def _summary_html(self, ctx, obj):
        return render('ui_summary.html', **self.summary_values(ctx, obj))

    def summary_values(self, ctx, obj):
        """What the summary templates show of an object."""
        get = self.simulator.objects.get

        def read(path):
            return self.read(ctx, obj, path)

        def related(refs):
            refs = refs if isinstance(refs, list) else [refs] if refs else []
            shown = [get(ref) for ref in self._visible(ctx, refs[:RELATED_SHOWN])]
            return [o for o in shown if o is not None], len(refs)

        alarms = []
        for state in read('triggeredAlarmState') or []:
            alarm = get(state.alarm)
            alarms.append({'name': getattr(getattr(alarm, 'info', None), 'name', state.alarm.value),
                           'status': state.overallStatus, 'time': state.time})
        snapshots = []
        if obj.type_name == 'VirtualMachine':
            info = read('snapshot')
            current = info.currentSnapshot if info is not None else None
            stack = [(tree, 0) for tree in reversed(info.rootSnapshotList)] if info else []
            while stack:
                tree, depth = stack.pop()
                snapshots.append({'moid': tree.snapshot.value, 'name': tree.name, 'depth': depth,
                                  'current': tree.snapshot == current,
                                  'created': tree.createTime})
                stack.extend((child, depth + 1) for child in reversed(tree.childSnapshotList))
        return {'obj': obj, 'read': read, 'related': related, 'alarms': alarms,
                'snapshots': snapshots, 'charts': obj.type_name in ('VirtualMachine', 'HostSystem'),
                'watched': SUMMARY_PATHS.get(obj.type_name, DEFAULT_PATHS)}

    # -- static files -------------------------------------------------------------------------
    def _static(self, name):
        kind = STATIC_TYPES.get(os.path.splitext(name)[1])
        if kind is None or '/' in name or name.startswith('.'):
            return html('404 page not found\n', 404)
        try:
            with open(os.path.join(STATIC, name), 'rb') as file:
                body = file.read()
        except OSError:
            return html('404 page not found\n', 404)
        return HttpResponse(200, body, [('Cache-Control', 'max-age=300')], content_type=kind)


class LiveStream:
    """One page's server-sent events: a property collector of the page's
    session watching the shown object and the latest tasks and events,
    waited on with WaitForUpdatesEx; every update re-renders what changed
    (`fragment` events: the element id and its new HTML). The collectors go
    when the page does (the stream is closed) or with the session."""

    def __init__(self, ui, ctx, obj):
        self.ui = ui
        self.ctx = ctx
        self.obj = obj
        self.sessions = ui.sessions
        self.version = ''
        self.ended = False
        self.made = []      # the collectors made for the stream, destroyed after it

    def pieces(self):
        yield b'retry: 3000\n\n'
        try:
            self._watch()
            while not self.ended:
                yield self._next()
        except self.ui.simulator.schema.types['MethodFault'].cls as error:
            yield _event('ended', _fault(error))
        finally:
            self._close()

    def _watch(self):
        server = self.ui.simulator
        content = server.service_instance.content
        call = self.sessions.call
        default = server.objects.get(content.propertyCollector)
        self.collector = server.objects.get(call(self.ctx, default, 'CreatePropertyCollector'))
        self.made.append((self.collector, 'DestroyPropertyCollector'))
        self.tasks = server.objects.get(call(self.ctx, server.objects.get(content.taskManager),
                                             'CreateCollectorForTasks', '<filter/>'))
        self.made.append((self.tasks, 'DestroyCollector'))
        self.events = server.objects.get(call(self.ctx, server.objects.get(content.eventManager),
                                              'CreateCollectorForEvents', '<filter/>'))
        self.made.append((self.events, 'DestroyCollector'))
        managed = server.schema.managed[self.obj.type_name]
        paths = [p for p in SUMMARY_PATHS.get(self.obj.type_name, DEFAULT_PATHS)
                 if p in managed.property_map]
        spec = ''.join((
            '<spec><propSet><type>%s</type>%s</propSet>' % (
                escape(self.obj.type_name), ''.join('<pathSet>%s</pathSet>' % p for p in paths)),
            '<propSet><type>TaskHistoryCollector</type><pathSet>latestPage</pathSet></propSet>',
            '<propSet><type>EventHistoryCollector</type><pathSet>latestPage</pathSet></propSet>',
            ''.join('<objectSet><obj type="%s">%s</obj></objectSet>' % (
                escape(o.type_name), escape(o.ref.value))
                for o in (self.obj, self.tasks, self.events)),
            '</spec><partialUpdates>false</partialUpdates>'))
        call(self.ctx, self.collector, 'CreateFilter', spec)

    def _next(self):
        """The next events: bytes now, or a Deferred of them."""
        arguments = ('<version>%s</version><options><maxWaitSeconds>%d</maxWaitSeconds>'
                     '</options>' % (escape(self.version), LIVE_WAIT))
        MethodFault = self.ui.simulator.schema.types['MethodFault'].cls
        try:
            result = self.sessions.call(self.ctx, self.collector, 'WaitForUpdatesEx', arguments)
        except MethodFault as error:
            return self._end(error)
        if isinstance(result, defer.Deferred):
            return result.addCallbacks(self._events, self._failed)
        return self._events(result)

    def _failed(self, failure):
        if failure.check(self.ui.simulator.schema.types['MethodFault'].cls):
            return self._end(failure.value)
        self.ended = True
        return _event('ended', {'error': 'SystemError', 'message': 'The stream ended'})

    def _end(self, error):
        self.ended = True
        return _event('ended', _fault(error))

    def _events(self, update_set):
        if update_set is None:
            return b': keep-alive\n\n'
        self.version = update_set.version
        changed = {update.obj for filter_update in update_set.filterSet
                   for update in filter_update.objectSet}
        pieces = []
        if self.obj.ref in changed and self.ui.simulator.objects.get(self.obj.ref) is not None:
            values = self.ui.summary_values(self.ctx, self.obj)
            pieces.append(_fragment('summary-live', render('ui_summary_live.html', **values)))
        for collector, element, template in ((self.tasks, 'tasks', 'ui_tasks.html'),
                                             (self.events, 'events', 'ui_events.html')):
            if collector.ref in changed:
                items = self.ui.read(self.ctx, collector, 'latestPage') or []
                pieces.append(_fragment(element, render(template, items=items)))
        return b''.join(pieces) or b': nothing shown changed\n\n'

    def _close(self):
        """Destroy what the stream made, if its session still lives."""
        for obj, method in reversed(self.made):
            if self.ui.simulator.objects.get(obj.ref) is obj:
                try:
                    self.sessions.call(self.ctx, obj, method)
                except self.ui.simulator.schema.types['MethodFault'].cls:
                    pass
        self.made = []


def _fragment(element, markup):
    return _event('fragment', {'id': element, 'html': markup})


def _event(name, data):
    return ('event: %s\ndata: %s\n\n' % (name, json.dumps(data))).encode('utf-8')


def _fault(error):
    return {'error': error._type.name, 'message': message_of(error) or error._type.name}


def _json(document, status=200):
    return HttpResponse(status, json.dumps(document, default=str).encode('utf-8'),
                        [('Cache-Control', 'no-cache')],
                        content_type='application/json; charset=utf-8')
