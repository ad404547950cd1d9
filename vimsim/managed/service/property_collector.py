"""PropertyCollector: RetrieveProperties(Ex), paging, collectors per session.

Object selection follows the vmodl semantics: each ObjectSpec names a start
object; its selectSet is applied recursively; a TraversalSpec follows one
property of objects of its type to the objects it names; a plain SelectionSpec
refers by name to a TraversalSpec defined anywhere in the same filter spec;
`skip` leaves an object out of the result while still traversing through it.

Large retrievals never hold the reactor for long: a request naming more than
PLAN_SLICE start objects is planned in slices across reactor turns, and an
answer of more than STREAM_MIN objects is read and encoded one batch at a
time while it is written (`encode.Streamed`), so other clients are served in
between and memory holds about a batch, not the whole answer.

Without a session a caller reads only the System.Anonymous properties
(`check_readable`), and the unfinished paged retrievals a caller holds are
bounded (`-session-max-retrievals`). With one, objects the caller does not
see (System.View, admin/permissions.py) are left out of traversals, a start
object it does not see faults NoPermission, and a property needing a
privilege it lacks on the object goes to missingSet with NoPermission.
"""
import collections
import itertools
import time

from vimsim.managed.admin.permissions import VIEW, access_of, no_permission
from vimsim.managed.base import ManagedObject, gc_paused
from vimsim.managed.paths import PathReaders, check_path, read_path
from vimsim.managed.service.session_manager import hold
from vimsim.managed.service.steps import finish, soon, then
from vimsim.managed.service.updates import CollectorSession
from vimsim.managed.service.view import ContainerView
from vimsim.schema import MoRef, maker
from vimsim.soap.encode import Batches, Streamed, Typed
from vimsim.soap.fault import (InvalidArgument, ManagedObjectNotFound,
                               NotAuthenticated, fault, localized)

ANONYMOUS = 'System.Anonymous'


def check_readable(ctx, obj, path):
    """NotAuthenticated unless the caller may read property `path` of `obj`,
    NoPermission when a session lacks the property's privilege on it.
    Without a session only the System.Anonymous properties are readable
    (ServiceInstance.content, SessionManager.currentSession, the locale
    lists): vCenter admits RetrieveProperties(Ex) and Fetch before login,
    but each property read still needs its privilege."""
    field = ctx.server.schema.managed[obj.type_name].property_map.get(path.partition('.')[0])
    if ctx.session is not None:
        access = access_of(ctx)
        if access is not None:
            access.demand(obj, (field.privilege if field is not None else None) or VIEW)
        return
    if field is None or field.privilege != ANONYMOUS:
        raise NotAuthenticated(obj.ref, (field.privilege if field is not None else None)
                               or 'System.View')

PLAN_SLICE = 2000     # start objects (ObjectSpecs) selected per reactor turn
REFS_SLICE = 20000    # references a traversal follows per step
STREAM_MIN = 100      # answers with more objects than this are streamed
BATCH_VALUES = 128    # property values read per batch of a streamed answer, at most
BATCH_SECONDS = 0.003  # and read within about this (128 VMs' config: 8 ms to read, 9 to encode)


def as_refs(value, field=None):
    """The MoRefs a traversal path yields (a single one or an array); an
    array declared of references (`field`: a view's million) is one as it is."""
    if value is None:
        return ()
    if isinstance(value, MoRef):
        return (value,)
    if isinstance(value, (list, tuple)):
        if field is not None and field.type == 'ManagedObjectReference':
            return value
        return [v for v in value if isinstance(v, MoRef)]
    return ()


class PropertyCollector(ManagedObject):
    type_name = 'PropertyCollector'
    held_as = 'property collector'

    def __init__(self, server, moid, owner=None):
        super().__init__(server, moid)
        self.owner = owner
        self._tokens = itertools.count(1)
        self._sessions = {}   # session key -> CollectorSession
        # the unfinished retrievals of callers without a session, who share one allowance
        self._anonymous_retrievals = collections.OrderedDict()

    def _state(self, ctx):
        """This session's filters and update log on this collector (the
        default collector is one object, but each session sees its own)."""
        session = ctx.session
        state = self._sessions.get(session.key)
        if state is None:
            state = self._sessions[session.key] = CollectorSession(self, session)

            def close():
                self._sessions.pop(session.key, None)
                state.close()
            session.on_close(close)
        return state

    def waiting(self):
        """How many WaitForUpdates(Ex) calls wait on this collector (/debug/vars)."""
        return sum(len(state.waiters) for state in self._sessions.values())

    def read(self, name, ctx):
        if name == 'filter':
            state = self._sessions.get(ctx.session.key) if ctx.session else None
            return [f.ref for f in state.filters] if state else []
        return super().read(name, ctx)

    # -- selection ----------------------------------------------------------
    def select(self, ctx, spec, tolerate_missing=False):
        """The objects a PropertyFilterSpec selects, in traversal order, and
        the references of start objects that do not exist (a fault unless the
        spec reports missing objects, or `tolerate_missing`)."""
        return finish(self._select_steps(ctx, spec, tolerate_missing))

    def _select_steps(self, ctx, spec, tolerate_missing=False, closures=None):
        """`select` as steps: yields after every PLAN_SLICE start objects or
        REFS_SLICE references traversed, and between steps of a container
        view's walk (ContainerView.collect_steps): one ObjectSpec of a view
        of a million VMs is seconds of planning. `closures`, when a dict,
        gets for each container view followed (by its ref) the containers
        its walk looked into: what a filter needs to follow the view's list
        by deltas (PropertyFilter.followed)."""
        schema = ctx.server.schema
        objects = ctx.server.objects
        named = {}
        for count, object_spec in enumerate(spec.objectSet, 1):
            if count % PLAN_SLICE == 0:
                yield
            if object_spec.selectSet:
                _collect_named(object_spec.selectSet, named)
        selected = {}   # ref -> object, in traversal order
        missing = []
        visited = set()
        get = objects.getter()
        anonymous = ctx.session is None
        access = access_of(ctx)
        hides = access is not None and not access.sees_everything()

        def traverse(obj, select_set):
            traversed = 0
            for selection in select_set or ():
                traversal = selection if _is_traversal(selection) else named.get(selection.name)
                if traversal is None:
                    raise InvalidArgument('selectSet',
                                          'Unknown selection spec name %s' % selection.name)
                key = (obj.ref, id(traversal))
                if key in visited:
                    continue
                visited.add(key)
                if traversal.type not in schema.managed:
                    raise fault('InvalidType', 'Unknown type %s' % traversal.type,
                                argument='type')
                if not schema.managed[obj.type_name].is_a(traversal.type):
                    continue
                if anonymous:
                    check_readable(ctx, obj, traversal.path)
                if traversal.path == 'view' and type(obj) is ContainerView:
                    containers = None if closures is None or traversal.skip else \
                        closures.setdefault(obj.ref, set())
                    refs = yield from obj.view_steps(ctx, containers)   # a list of its own
                else:
                    value, field = read_path(obj, traversal.path, ctx)
                    refs = as_refs(value, field)
                    if len(refs) >= REFS_SLICE:   # followed by steps: as it is now
                        refs = tuple(refs)
                skip, further = traversal.skip, traversal.selectSet
                for ref in refs:
                    traversed += 1
                    if traversed == REFS_SLICE:
                        traversed = 0
                        yield
                    target = get(ref)
                    if target is None or hides and not access.sees_object(target):
                        continue
                    if not skip:
                        selected.setdefault(ref, target)
                    if further:
                        yield from traverse(target, further)

        for count, object_spec in enumerate(spec.objectSet, 1):
            if count % PLAN_SLICE == 0:
                yield
            start = objects.get(object_spec.obj)
            if start is None:
                if spec.reportMissingObjectsInResults or tolerate_missing:
                    missing.append(object_spec.obj)
                    continue
                raise ManagedObjectNotFound(object_spec.obj)
            if not object_spec.skip:
                if hides and not access.sees_object(start):
                    raise no_permission(access.checked_entity(start), VIEW)
                selected.setdefault(start.ref, start)
            yield from traverse(start, object_spec.selectSet)
        return list(selected.values()), missing

    def plan(self, ctx, spec, tolerate_missing=False, closures=None):
        """[(object, property paths)] for one filter spec, plus missing refs.
        Objects of a type no PropertySpec names are not reported."""
        with gc_paused():
            return finish(self.plan_steps(ctx, spec, tolerate_missing, closures))

    def plan_steps(self, ctx, spec, tolerate_missing=False, closures=None):
        """`plan` as steps (see `_select_steps`)."""
        schema = ctx.server.schema
        for prop_spec in spec.propSet:
            if prop_spec.type not in schema.managed:
                raise fault('InvalidType', 'Unknown type %s' % prop_spec.type,
                            argument='type')
            for path in prop_spec.pathSet or ():
                check_path(schema, prop_spec.type, path, ctx.version)
        objects, missing = yield from self._select_steps(ctx, spec, tolerate_missing, closures)
        planned = []
        by_type = {}   # type name -> the paths (one list shared by its objects) or None
        for count, obj in enumerate(objects, 1):
            if count % REFS_SLICE == 0:
                yield
            type_name = obj.type_name
            try:
                paths = by_type[type_name]
            except KeyError:
                paths = by_type[type_name] = self.paths_of(ctx, spec, type_name)
            if paths is not None:
                planned.append((obj, paths))
        if ctx.session is None:
            for obj, paths in planned:
                for path in paths:
                    check_readable(ctx, obj, path)
        return planned, missing

    @staticmethod
    def paths_of(ctx, spec, type_name):
        """The paths the spec asks of objects of a type; None when no
        PropertySpec names the type."""
        managed = ctx.server.schema.managed[type_name]
        paths = None
        for prop_spec in spec.propSet:
            if not managed.is_a(prop_spec.type):
                continue
            if paths is None:
                paths = {}
            if prop_spec.all:
                for field in managed.properties:
                    if field.since <= ctx.version:
                        paths[field.name] = None
            for path in prop_spec.pathSet or ():
                paths[path] = None
        return list(paths) if paths is not None else None

    def contents(self, ctx, planned, missing=()):
        """ObjectContent for each planned object, and for missing refs."""
        with gc_paused():
            return next(self._content_batches(ctx, planned, missing))

    def _streamed_contents(self, ctx, planned, missing):
        """The ObjectContents as `Batches` read when the answer is written:
        an object gone by then is left out."""
        batches = self._content_batches(ctx, planned, missing, BATCH_VALUES, live_only=True)

        def paused():
            while True:
                with gc_paused():
                    batch = next(batches, None)
                if batch is None:
                    return
                yield batch
        return Batches(paused())

    def _content_batches(self, ctx, planned, missing, batch_values=None, live_only=False):
        """Lists of ObjectContent: one of everything, or (with `batch_values`)
        one per that many property values read or BATCH_SECONDS of reading,
        whichever comes first (a batch is read and encoded in one reactor
        turn), the missing refs last."""
        types = ctx.server.schema.types
        object_content = maker(types['ObjectContent'].cls, ('obj', 'propSet', 'missingSet'))
        dynamic_property = maker(types['DynamicProperty'].cls, ('name', 'val'))
        MissingProperty = types['MissingProperty'].cls
        MethodFault = types['MethodFault'].cls
        path_readers = PathReaders(ctx)
        listed = {}   # (id of a PathReaders table, id of the paths) -> [(path, reader)]
        # the last of those: consecutive objects are mostly of one kind and paths
        last_class = last_name = last_table = last_paths = last_readers = None
        result = []
        append = result.append
        values = 0
        clock = time.perf_counter
        batch_ends = clock() + BATCH_SECONDS
        live = ctx.server.objects.getter()
        access = access_of(ctx)
        denials = None if access is None or access.reads_everything() else access.denied_paths
        for obj, paths in planned:
            if live_only and live(obj.ref) is not obj:
                continue
            prop_set = []
            missing_set = None
            denied = denials(obj, paths) if denials is not None else None
            if type(obj) is not last_class or obj.type_name != last_name \
                    or obj.path_readers is not last_table or paths is not last_paths:
                last_class, last_name, last_table = type(obj), obj.type_name, obj.path_readers
                last_paths = paths
                readers = path_readers.of(obj)
                key = (id(readers), id(paths))   # both kept alive (PathReaders, the plan)
                last_readers = listed.get(key)
                if last_readers is None:
                    last_readers = listed[key] = [
                        (path, path_readers.reader(readers, obj, path)) for path in paths]
            for path, reader in last_readers:
                try:
                    if denied is not None and path in denied:
                        raise denied[path]
                    value, field = reader(obj)
                except Exception as error:  # a fault reading one property
                    if not isinstance(error, MethodFault):
                        raise
                    if missing_set is None:
                        missing_set = []
                    missing_set.append(MissingProperty(path=path, fault=localized(error)))
                    continue
                if value is not None:
                    prop_set.append(dynamic_property(path, Typed(value, field)))
            append(object_content(obj.ref, prop_set or None, missing_set))
            if batch_values is not None:
                values += len(paths)
                if values >= batch_values or clock() >= batch_ends:
                    yield result
                    result = []
                    append = result.append
                    values = 0
                    batch_ends = clock() + BATCH_SECONDS
        for ref in missing:
            append(object_content(ref, None, [MissingProperty(
                path='', fault=localized(ManagedObjectNotFound(ref)))]))
        yield result

    # -- API methods ---------------------------------------------------------
    def RetrieveProperties(self, ctx, specSet):
        return self._planned(ctx, specSet, lambda planned, missing: self._all(
            ctx, planned, missing))

    def RetrievePropertiesEx(self, ctx, specSet, options):
        return self._planned(ctx, specSet, lambda planned, missing: self._page(
            ctx, planned, missing, options.maxObjects))

    def ContinueRetrievePropertiesEx(self, ctx, token):
        planned, start, missing, page_size = self._take_token(ctx, token)
        return self._page(ctx, planned, missing, page_size, start)

    def CancelRetrievePropertiesEx(self, ctx, token):
        self._take_token(ctx, token)

    def CreateFilter(self, ctx, spec, partialUpdates):
        return self._state(ctx).add_filter(ctx, spec, partialUpdates)

    def WaitForUpdatesEx(self, ctx, version=None, options=None):
        max_wait = options.maxWaitSeconds if options is not None else None
        max_updates = options.maxObjectUpdates if options is not None else None
        if max_wait is not None and max_wait < 0:
            raise InvalidArgument('maxWaitSeconds')
        if max_updates is not None and max_updates < 0:
            raise InvalidArgument('maxObjectUpdates')
        return self._state(ctx).wait(version or '', max_wait, max_updates)

    def WaitForUpdates(self, ctx, version=None):
        return self._state(ctx).wait(version or '', None, None)

    def CheckForUpdates(self, ctx, version=None):
        return self._state(ctx).wait(version or '', 0, None)

    def CancelWaitForUpdates(self, ctx):
        self._state(ctx).cancel_waits()

    def CreatePropertyCollector(self, ctx):
        ctx.session.make_room(self.held_as, ctx.server.options.session_max_collectors)
        collector = PropertyCollector(
            ctx.server, 'session[%s]%s' % (ctx.session.key, ctx.server.new_uuid()),
            owner=ctx.session)
        ctx.session.own(collector)
        return collector.ref

    def DestroyPropertyCollector(self, ctx):
        if self.owner is None:
            raise fault('InvalidRequest', 'The default PropertyCollector cannot be destroyed')
        self.owner.disown(self)
        self.destroy()

    # -- helpers --------------------------------------------------------------
    def _planned(self, ctx, spec_set, answer):
        """answer(planned, missing) for the spec set: now, or once planned by
        steps where that takes longer than a turn should (steps.soon: many
        start objects, a view of a million VMs), a Deferred of it then."""
        steps = _then_released(self._plan_all_steps(ctx, spec_set), spec_set)
        return then(soon(steps), lambda plan: answer(*plan))

    def _plan_all_steps(self, ctx, spec_set):
        planned, missing = [], []
        for spec in spec_set:
            objects, refs = yield from self.plan_steps(ctx, spec)
            planned.extend(objects)
            missing.extend(refs)
        return planned, missing

    def _all(self, ctx, planned, missing):
        if len(planned) + len(missing) > STREAM_MIN:
            return Streamed(self._streamed_contents(ctx, planned, missing))
        return self.contents(ctx, planned, missing)

    def _page(self, ctx, planned, missing, page_size, start=0):
        """The page of `planned` (the whole plan) and then of the `missing`
        refs from position `start` on; a token for the rest when there is
        more. The plan is kept whole with the position reached (slicing off
        the rest at each page copied what remained: quadratic in the pages)."""
        if page_size is not None and page_size <= 0:
            page_size = None
        end = len(planned) + len(missing)
        token = None
        if page_size is not None and end - start > page_size:
            end = start + page_size
            token = self._hold(ctx, (planned, end, missing, page_size))
        known = len(planned)
        planned, missing = planned[min(start, known):min(end, known)], \
            missing[max(start - known, 0):max(end - known, 0)]
        RetrieveResult = ctx.server.schema.types['RetrieveResult'].cls
        if len(planned) + len(missing) > STREAM_MIN:
            return Streamed(RetrieveResult(
                token=token, objects=self._streamed_contents(ctx, planned, missing)))
        objects = self.contents(ctx, planned, missing)
        if not objects:
            return None
        return RetrieveResult(token=token, objects=objects)

    def _retrievals(self, ctx):
        """(collector, token) -> the rest of a paged retrieval, for the caller."""
        return ctx.session.retrievals if ctx.session is not None else self._anonymous_retrievals

    def _hold(self, ctx, rest):
        """A token for the rest of a retrieval. Past -session-max-retrievals
        the caller's oldest unfinished retrieval expires (continuing it answers
        InvalidArgument, as any expired token does): a client that never
        finishes its retrievals cannot grow the server, and its new calls are
        still answered."""
        token = str(next(self._tokens))
        hold(self._retrievals(ctx), (self, token), rest, ctx.server.options.session_max_retrievals)
        return token

    def _take_token(self, ctx, token):
        rest = self._retrievals(ctx).pop((self, token), None)
        if rest is None:
            raise InvalidArgument('token', 'Unknown or expired token %s' % token)
        return rest

    def destroy(self):
        self._anonymous_retrievals.clear()
        if self.owner is not None:
            for key in [key for key in self.owner.retrievals if key[0] is self]:
                del self.owner.retrievals[key]
        for state in list(self._sessions.values()):
            state.close()
        self._sessions.clear()
        super().destroy()


def _then_released(steps, spec_set):
    """`steps`, then the spec set's ObjectSpecs let go PLAN_SLICE a step
    (nothing reads them once planned, or once planning faulted): when the
    call's arguments went, the half a million of a 30 MB request were freed
    in one turn, ~0.1-0.4 s."""
    try:
        plan, error = (yield from steps), None
    except Exception as fault_raised:
        plan, error = None, fault_raised
    for spec in spec_set:
        object_set = spec.objectSet
        while object_set:
            del object_set[-PLAN_SLICE:]
            yield
    if error is not None:
        raise error
    return plan


def _is_traversal(selection):
    return selection._type.name == 'TraversalSpec'


def _collect_named(select_set, named):
    """Every named TraversalSpec in a selectSet tree, by name."""
    for selection in select_set or ():
        if _is_traversal(selection):
            if selection.name and selection.name not in named:
                named[selection.name] = selection
                _collect_named(selection.selectSet, named)
            elif not selection.name:
                _collect_named(selection.selectSet, named)
