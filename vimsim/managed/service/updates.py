"""Live updates: property filters, the change hub and WaitForUpdates.

Every model change reaches the hub through one call, `changes.changed(obj,
names)` (ManagedObject.changed), or through the registry when an object is
added or removed. The hub knows, per object, the filters reporting it, so a
change costs what its watchers cost; at the end of the reactor turn each
marked filter re-reads only the changed object's requested paths and diffs
them against what it last reported. The resulting ObjectUpdates go, numbered,
into the per-session update log of the filter's collector, and any waiting
WaitForUpdates call is answered at once: no polling, no re-traversal per
change (a filter re-runs its traversal only when the inventory's structure
changes, and one following container views not even then when only leaves
came, went or moved: PropertyFilter.leaves_changed).

Each filter's work runs on its own: a defect in it (an exception other than
a vim fault, which goes to the update's missingSet) destroys that filter and
tells its owner, and never reaches another session's call.
"""
import bisect
import collections
import copy
import itertools
import logging
from operator import attrgetter, itemgetter

from twisted.internet import defer, reactor, task

from vimsim.managed.admin.permissions import access_of
from vimsim.managed.base import ManagedObject, gc_paused
from vimsim.managed.paths import PathReaders, read_path
from vimsim.managed.service.view import View
from vimsim.managed.service.steps import cooperate, finish, soon, then
from vimsim.schema import DataObject, MoRef, maker
from vimsim.soap import encode
from vimsim.soap.fault import ManagedObjectNotFound, NotAuthenticated, fault, localized

log = logging.getLogger(__name__)

# Properties whose change can change what a traversal or a view reaches.
STRUCTURE = frozenset(('childEntity', 'vm', 'host', 'resourcePool', 'vmFolder', 'hostFolder',
                       'datastoreFolder', 'networkFolder', 'view', 'parent', 'datastore',
                       'network', 'portgroup', 'owner'))
# A leaf's properties naming what lists it (a folder, a pool, a host: the
# view_parents of a VM), and the properties of a container that list its
# children: an object listed in a container view comes or goes with a change
# of its own links, so a filter following container views (PropertyFilter.
# follows_views) takes a leaf's coming, going or moving as a delta; any other
# change of shape (a container's own, a start object's) has it plan again.
LEAF_LINKS = frozenset(('parent', 'resourcePool', 'runtime', 'parentVApp'))
CHILD_LISTS = frozenset(('childEntity', 'vm', 'host', 'resourcePool', 'datastore', 'network',
                         'portgroup', 'view'))
_LEAF = ManagedObject.view_children   # what an object with nothing inside has
# Properties no roll-up's part reads (an entity's alarm states): their change
# leaves its parts as they were (an alarm pass over 1M VMs changes 1M VMs'
# declaredAlarmState, which would have every roll-up read them all again).
UNSUMMED = frozenset(('declaredAlarmState', 'triggeredAlarmState', 'overallStatus'))
HISTORY_LIMIT = 200000   # log entries a collector keeps per session at most (oldest go first)
COMPACT_AT = 64          # log length from which the log is compacted when it has doubled
UNWATCH_AT_ONCE = 1000   # a removed filter watching more leaves the index a slice at a time
START_AT_ONCE = 5000     # a filter taking in more objects takes them in by steps (reactor turns)
START_SLICE = 500        # objects such a filter takes in a step (a few milliseconds)
_position_of = itemgetter(0)
_serials = itertools.count(1)


class ChangeHub:
    """Routes model changes to the filters that watch the changed objects."""

    def __init__(self):
        self.filters = {}        # PropertyFilter -> None, in creation order
        # ref -> the filter reporting it, or {PropertyFilter: None} when several
        # do: a filter over a million objects adds no dict of its own to each
        self._watchers = {}
        self._structural = {}    # the filters a change of the inventory's shape concerns
        # what the live traversals follow: property name -> filters, and the
        # managed types of what those properties hold -> filters (see object_added)
        self._traversed_names = collections.Counter()
        self._traversed_types = collections.Counter()
        self._starts = collections.Counter()     # refs filters start from
        self._reaches = {}       # type name -> whether some traversal can reach it
        self._marked = {}        # the filters with changes to evaluate at the next flush
        # the generation of the latest change of the inventory's shape since the
        # last flush (0: none): filters planned at or after it are current
        self._reshaped = 0
        self.reshaped_at = 0     # the generation of the latest change of shape ever
        # since the last flush: the refs of leaves that came, went or moved (or
        # may have: a VM's runtime), and whether the shape changed otherwise
        self._leaves = {}
        self._broad = False
        self._pending = False
        self.generation = 0      # counts changes: caches of derived figures key on it
        # during a flush, the PropertyChanges and ObjectUpdates built so far, for
        # the next filter reporting the same: None between flushes (see flush)
        self.shared = None
        self.rollups_of = {}     # model object -> the roll-ups counting it (monitoring/rollup.py)

    # -- the filters ------------------------------------------------------------------
    def add(self, property_filter, planned_at=None):
        """Evaluate a filter from now on, planned as of generation
        `planned_at` (default: now; a change of shape before then, an
        inventory built with no filter to flush it, is one its plan saw). A
        change of shape since (a plan made by steps) is one it has to see."""
        property_filter.planned = self.generation if planned_at is None else planned_at
        self.filters[property_filter] = None
        if property_filter.traverses or property_filter.views:
            self._structural[property_filter] = None
        self._count(property_filter, 1)
        if self.reshaped_at > property_filter.planned:
            property_filter.structure_changed()
            self._marked[property_filter] = None
            self._schedule()

    def started(self, property_filter):
        """A filter that took its objects in by steps, evaluated from when it
        began (`add`), has taken them all: from now on it is flushed, first
        with what changed meanwhile (marked, or a change of shape seen)."""
        if property_filter.views:
            self._structural[property_filter] = None
        if property_filter.reselect or property_filter.dirty or property_filter.relinked:
            self._marked[property_filter] = None
            self._schedule()

    def _count(self, property_filter, step):
        """Add (step 1) or take away (-1) what a filter's traversal follows."""
        for counter, keys in ((self._traversed_names, property_filter.traversed_names),
                              (self._traversed_types, property_filter.traversed_types),
                              (self._starts, property_filter.start_refs)):
            for key in keys:
                counter[key] += step
                if counter[key] <= 0:
                    del counter[key]
        self._reaches.clear()

    def remove(self, property_filter):
        """Stop evaluating a filter now; a filter that watched many objects
        leaves the per-object index a time slice per reactor turn, so that a
        logout of many large filters never holds the reactor (meanwhile it is
        marked, and skipped, like any filter no longer live)."""
        if self.filters.pop(property_filter, False) is not False:
            self._count(property_filter, -1)
        self._structural.pop(property_filter, None)
        self._marked.pop(property_filter, None)
        refs = list(property_filter.baseline)
        if len(refs) <= UNWATCH_AT_ONCE:
            for ref in refs:
                self.unwatch(property_filter, ref)
        else:
            task.cooperate(self.unwatch(property_filter, ref) for ref in refs)

    def watch(self, property_filter, ref):
        watchers = self._watchers.get(ref)
        if watchers is None:
            self._watchers[ref] = property_filter
        elif type(watchers) is dict:
            watchers[property_filter] = None
        elif watchers is not property_filter:
            self._watchers[ref] = {watchers: None, property_filter: None}

    def unwatch(self, property_filter, ref):
        watchers = self._watchers.get(ref)
        if watchers is property_filter:
            del self._watchers[ref]
        elif type(watchers) is dict:
            watchers.pop(property_filter, None)
            if len(watchers) == 1:
                self._watchers[ref] = next(iter(watchers))

    def watching(self, ref):
        """The filters reporting `ref`."""
        watchers = self._watchers.get(ref)
        if watchers is None:
            return ()
        return watchers if type(watchers) is dict else (watchers,)

    # -- model changes -------------------------------------------------------------------
    def changed(self, obj, names=None):
        self.generation += 1
        if names is None or not UNSUMMED.issuperset(names):
            for rollup in self.rollups_of.get(obj, ()):
                rollup.touch(obj)
        for property_filter in self.watching(obj.ref):
            if property_filter.mark(obj.ref, names):
                self._marked[property_filter] = None
        leaf = type(obj).view_children is _LEAF
        if leaf and self._structural and (names is None or not LEAF_LINKS.isdisjoint(names)):
            self._leaves[obj.ref] = None
        if names is None or not STRUCTURE.isdisjoint(names) or (
                self._traversed_names and not self._traversed_names.keys().isdisjoint(names)):
            self._reshaped = self.reshaped_at = self.generation
            if not leaf and (names is None
                             or not CHILD_LISTS.issuperset(STRUCTURE.intersection(names))):
                self._broad = True
        self._schedule()

    def object_added(self, obj):
        """An object came: the shape changed if views may list it (an entity)
        or a traversal may reach it directly. Anything else (a task, a
        collector, a view) is reached only through a property of an object
        already there, whose change is reported as such."""
        self.generation += 1
        if self._reachable(obj):
            self._reshaped = self.reshaped_at = self.generation
            self._note_shape(obj)
            self._schedule()

    def object_removed(self, obj):
        self.generation += 1
        leaf = type(obj).view_children is _LEAF and obj.ref not in self._starts
        for property_filter in self.watching(obj.ref):
            if not (leaf and property_filter.follows_views):   # else told by the flush
                property_filter.reselect = True
            self._marked[property_filter] = None
        if obj.ref in self._starts or self._reachable(obj):
            self._reshaped = self.reshaped_at = self.generation
            self._note_shape(obj)
        self._schedule()

    def _note_shape(self, obj):
        """An object that views may list came or went (noted while a filter
        may follow views: one added later plans the inventory as it is)."""
        if not self._structural:
            return
        if type(obj).view_children is _LEAF and obj.ref not in self._starts:
            self._leaves[obj.ref] = None
        else:
            self._broad = True

    def _reachable(self, obj):
        type_name = obj.type_name
        known = self._reaches.get(type_name)
        if known is None:
            managed = obj.server.schema.managed[type_name]
            known = self._reaches[type_name] = managed.is_a('ManagedEntity') or any(
                managed.is_a(held) for held in self._traversed_types)
        return known

    def _schedule(self):
        if not self._pending and self.filters:
            self._pending = True
            reactor.callLater(0, self.flush)

    def flush(self):
        """Turn every pending change into ObjectUpdates now, filter by filter
        (in creation order), then answer the waiting calls of the collectors
        that got any."""
        self._pending = False
        leaves, self._leaves = self._leaves, {}
        broad, self._broad = self._broad, False
        if self._reshaped:
            reshaped, self._reshaped = self._reshaped, 0
            for property_filter in self._structural:
                if property_filter.planned < reshaped:
                    if broad or not property_filter.leaves_changed(leaves):
                        property_filter.structure_changed()
                    self._marked[property_filter] = None
        if not self._marked:
            return
        marked, self._marked = self._marked, {}
        updated = {}
        # The model does not change meanwhile, so filters reporting the same
        # change (a thousand sessions watching the same VMs) log one shared
        # PropertyChange and ObjectUpdate instead of one each: what they hold
        # until their clients take it is most of a load's small objects.
        self.shared = {}
        try:
            for property_filter in sorted(marked, key=attrgetter('serial')):
                if property_filter.evaluate():
                    updated[property_filter.state] = None
        finally:
            self.shared = None
        for state in updated:
            state.settle()


def _follows_views(spec):
    """Whether a spec reaches objects only through container views, one
    step: each ObjectSpec that traverses starts at a ContainerView and
    follows only TraversalSpecs of its `view` with nothing further (how
    pyVmomi's samples, govc and Ansible watch). Such a filter's selection
    changes only with the views' lists, which a leaf's own links decide."""
    traverses = False
    for object_spec in spec.objectSet:
        if not object_spec.selectSet:
            continue
        if object_spec.obj.type != 'ContainerView':
            return False
        for selection in object_spec.selectSet:
            if getattr(selection, 'path', None) != 'view' or selection.selectSet:
                return False
        traverses = True
    return traverses


def _traversed(schema, spec):
    """The property names a spec's TraversalSpecs follow, and the managed
    types what those properties hold may be. A container or inventory view's
    `view` lists entities (what ManagedEntity covers); an unknown path may hold
    anything."""
    names, types = set(), set()
    pending = [selection for o in spec.objectSet for selection in o.selectSet or ()]
    while pending:
        selection = pending.pop()
        path = getattr(selection, 'path', None)
        if path is None:        # a SelectionSpec naming a TraversalSpec found elsewhere
            continue
        pending.extend(selection.selectSet or ())
        names.add(path.partition('.')[0])
        held = _held_type(schema, selection.type, path)
        types.add('ManagedEntity' if held is None and path == 'view' else held or 'ManagedObject')
    return names, types


def _held_type(schema, type_name, path):
    """The managed type a property path's references are declared to hold:
    None for `view` (whose declared type is ManagedObject) and for paths the
    schema does not know."""
    managed = schema.managed.get(type_name)
    if managed is None or path == 'view':
        return None
    head, _, rest = path.partition('.')
    field = managed.property_map.get(head)
    while field is not None and rest:
        data_type = schema.types.get(field.type)
        head, _, rest = rest.partition('.')
        field = data_type.field_map.get(head) if data_type is not None else None
    return field.mo_type if field is not None else None


def _fingerprint(encoder, value, field):
    """A comparable snapshot of a value (data objects change in place)."""
    if value is None or isinstance(value, (str, int, float, MoRef)):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, MoRef)) for v in value):
        return tuple(value)
    out = []
    encoder.any(out, 'v', value, field)
    return ''.join(out)


def _keyed(value):
    """{key: element} when `value` is an array of data objects with keys."""
    if not isinstance(value, (list, tuple)) or not value:
        return None
    if not all(isinstance(v, DataObject) and 'key' in v._type.field_map
               and getattr(v, 'key') is not None for v in value):
        return None
    return {v.key: v for v in value}


def _element_path(path, key):
    return '%s[%s]' % (path, key) if isinstance(key, int) else '%s["%s"]' % (path, key)


class PropertyFilter(ManagedObject):
    """One CreateFilter: its spec, its object set and what it last reported."""
    type_name = 'PropertyFilter'
    held_as = 'property filter'

    def __init__(self, ctx, state, spec, partial_updates):
        super().__init__(ctx.server, 'session[%s]%s' % (ctx.session.key, ctx.server.new_uuid()))
        self.owner = ctx.session
        self.state = state
        self.spec = spec
        self.partialUpdates = bool(partial_updates)
        self.ctx = ctx.__class__(ctx.server, ctx.session, ctx.version)
        self.encoder = encode.encoder_for(ctx.server.schema, ctx.version)
        types = ctx.server.schema.types
        self._make_change = maker(types['PropertyChange'].cls, ('name', 'op', 'val'))
        self._make_update = maker(types['ObjectUpdate'].cls,
                                  ('kind', 'obj', 'changeSet', 'missingSet'))
        self.readers = PathReaders(self.ctx)
        self.serial = next(_serials)
        self.traverses = any(o.selectSet for o in spec.objectSet)
        self.start_refs = {o.obj for o in spec.objectSet} if self.traverses else set()
        self.follows_views = _follows_views(spec)
        # what it follows: ContainerView ref -> the refs of the containers its
        # walk passed (the view's own container first), as of the last plan
        self.followed = {}
        self.relinked = {}       # refs of leaves that came, went or moved since
        self.traversed_names, self.traversed_types = _traversed(ctx.server.schema, spec)
        # ref -> (fingerprint or {key: fingerprint}, one a path): a tuple, not a
        # dict, since a session watching many objects holds one each
        self.baseline = {}
        # type name -> [path]: what the spec asks of objects of that type (the
        # plan's one list a type; not one entry per object of a million)
        self.paths = {}
        self.missing = []
        self.views = []          # refs of the views in the object set
        self.dirty = {}          # ref -> set of names, or None for all
        self.reselect = False
        self.planned = 0         # the hub's generation when it was planned (ChangeHub.add)
        self.live = True         # evaluated on changes (until destroyed or failed)
        self.starting = False    # taking its objects in by steps: changes wait (CollectorSession)
        self.delivered = True    # its logged updates still reach the client

    # -- bookkeeping for the hub ------------------------------------------------
    def structure_changed(self):
        """The inventory's shape changed: traversals may reach other objects,
        and views in the filter may list other objects."""
        if self.traverses:
            self.reselect = True
        for ref in self.views:
            self.mark(ref, ('view',))

    def leaves_changed(self, leaves):
        """The leaves `leaves` (refs) came, went or moved, and nothing else of
        the shape changed: False unless this filter follows container views
        only, one step (`follows_views`), when they are noted and, at the
        flush, looked at alone instead of a new plan: a VM made beside a
        watcher of 10,000 costs what one VM costs."""
        if not self.follows_views or self.reselect:
            return False
        self.relinked.update(leaves)
        for ref in self.views:
            self.mark(ref, ('view',))
        return True

    def mark(self, ref, names):
        """Note that `names` of `ref` changed (None: any); False, noting
        nothing, when this filter reports none of them of `ref`: a watcher of
        VMs' names is not evaluated for each task's recentTask change."""
        if names is not None and ref in self.baseline and not any(
                path.partition('.')[0] in names for path in self.paths[ref.type]):
            return False
        if names is None or self.dirty.get(ref, ()) is None:
            self.dirty[ref] = None
        else:
            self.dirty.setdefault(ref, set()).update(names)
        return True

    def evaluate(self):
        """flush(), on its own: True when anything was logged (a failure logs
        its notice)."""
        return self.isolated(self.flush) is not False

    def isolated(self, work, *args):
        """work(*args), or None once a defect in it has ended this filter: the
        defect is logged and the owner told (`fail`), nobody else sees it."""
        try:
            return work(*args)
        except Exception:   # noqa: BLE001 - whatever this filter's work raised stays its own
            log.exception('%r failed; it is destroyed and its owner told', self)
            self.fail()
            return None

    def flush(self):
        """Log the updates of pending changes; True when there were any."""
        if not self.live or self.starting or (
                not self.reselect and not self.dirty and not self.relinked):
            return False
        updates = []
        objects = self.server.objects
        relinked, self.relinked = self.relinked, {}
        if self.reselect:
            self.reselect = False
            # a start object gone away is a change like another: what it reached leaves
            self.followed = {}
            planned, missing = self.state.collector.plan(
                self.ctx, self.spec, tolerate_missing=True, closures=self.followed)
            current = {obj.ref for obj, _ in planned}
            for ref in list(self.baseline):
                if ref not in current:
                    self._forget(ref)
                    self.dirty.pop(ref, None)
                    updates.append(self._update('leave', ref, None, None))
            for obj, paths in planned:
                if obj.ref not in self.baseline:
                    self.paths[obj.ref.type] = paths
                    updates.append(self._enter(obj))
                    self.dirty.pop(obj.ref, None)
            self.missing = missing
            self._note_views()
        elif relinked:
            self._relink(relinked, updates)
        for ref, names in list(self.dirty.items()):
            obj = objects.get(ref)
            if obj is None or ref not in self.baseline:
                continue
            update = self._modify(obj, names)
            if update is not None:
                updates.append(update)
        self.dirty.clear()
        self.state.append(self, updates)
        return bool(updates)

    def _relink(self, refs, updates):
        """Enter or leave each of the leaves `refs` as the followed views now
        list it (a leaf gone leaves)."""
        objects = self.server.objects
        access = access_of(self.ctx)
        hides = access is not None and not access.sees_everything()
        for ref in refs:
            obj = objects.get(ref)
            listed = obj is not None and any(
                view.lists(obj, closure) for view, closure in self._followed_views()) and not (
                hides and not access.sees_object(obj))
            if ref in self.baseline:
                if not listed and ref not in self.start_refs:
                    self._forget(ref)
                    self.dirty.pop(ref, None)
                    updates.append(self._update('leave', ref, None, None))
            elif listed:
                paths = self.state.collector.paths_of(self.ctx, self.spec, obj.type_name)
                if paths is not None:
                    self.paths[ref.type] = paths
                    updates.append(self._enter(obj))
                    self.dirty.pop(ref, None)

    def _followed_views(self):
        objects = self.server.objects
        for ref, closure in self.followed.items():
            view = objects.get(ref)
            if view is not None:
                yield view, closure

    def _note_views(self):
        self.views = [ref for ref in self.baseline if isinstance(self.server.objects.get(ref), View)]

    def _record(self, ref, baseline):
        if ref not in self.baseline:
            self.server.changes.watch(self, ref)
        self.baseline[ref] = baseline

    def _forget(self, ref):
        del self.baseline[ref]
        self.server.changes.unwatch(self, ref)

    # -- building updates ----------------------------------------------------------
    def start_steps(self, planned, missing, logged=True):
        """Steps taking the planned objects in, START_SLICE a step; their
        value the updates recording them as entering (none when not `logged`:
        before any version is handed out the log keeps nothing, and version ""
        reads the current state). Between steps the model may change: an
        object gone meanwhile is passed by (looked up only once anything was
        removed), a change of one taken in is marked as any is; the steps stop
        once the filter is destroyed."""
        self.missing = missing
        updates = []
        self.views = []
        objects = self.server.objects
        removals = objects.removals
        for count, (obj, paths) in enumerate(planned, 1):
            if count % START_SLICE == 0:
                yield
                if not self.live:
                    return updates
            if objects.removals != removals and objects.get(obj.ref) is not obj:
                continue
            self.paths[obj.ref.type] = paths
            update = self._enter(obj, build=logged)
            if logged:
                updates.append(update)
            if isinstance(obj, View):
                self.views.append(obj.ref)
        return updates

    def entering(self, refs):
        """Enter updates of `refs` as they are now (version ""'s initial
        state), None for each the filter no longer holds."""
        objects = self.server.objects
        result = []
        for ref in refs:
            obj = objects.get(ref) if ref in self.baseline else None
            if obj is None:
                result.append(None)
                continue
            changes, missing = self._read(obj, self.paths[ref.type])
            result.append(self._update('enter', ref, changes, missing))
        return result

    def merged(self, ref, updates):
        """One modification standing for `updates` (modifications of one
        object, in order): the current values of every path they touched
        (all of them without partialUpdates); None when the object is gone."""
        obj = self.server.objects.get(ref)
        if obj is None or ref not in self.baseline:
            return None
        if not self.partialUpdates:
            changes, missing = self._read(obj, self.paths[ref.type])
        else:
            touched = set()
            for update in updates:
                touched.update(c.name.partition('[')[0] for c in update.changeSet or ())
                touched.update(m.path for m in update.missingSet or ())
            paths = [path for path in self.paths[ref.type] if path in touched]
            changes, missing = self._read(obj, paths, unset=True)
        return self._update('modify', ref, changes, missing)

    def _enter(self, obj, build=True):
        """Take an object in (its baseline recorded); its enter update, or
        None without `build` (a million objects' updates nobody reads)."""
        baseline = []
        changes, missing = self._read(obj, self.paths[obj.ref.type], baseline, build=build)
        self._record(obj.ref, tuple(baseline))
        return self._update('enter', obj.ref, changes, missing) if build else None

    def _read(self, obj, paths, baseline=None, unset=False, build=True):
        """(PropertyChanges assigning the paths' current values, MissingProperties
        of the paths whose read faults); `baseline` (a list) gets their
        fingerprints in the paths' order (None where the read faults);
        `unset` reports unset paths too (cleared, or indirectRemove when a
        parent is unset), else they are left out; without `build` only the
        baseline is taken (both lists stay empty)."""
        types = self.server.schema.types
        changes, missing = [], []
        readers = self.readers.of(obj)
        for path in paths:
            try:
                value, field = (readers.get(path) or self.readers.reader(readers, obj, path))(obj)
            except types['MethodFault'].cls as error:
                if build:
                    missing.append(types['MissingProperty'].cls(path=path,
                                                                fault=localized(error)))
                if baseline is not None:
                    baseline.append(None)
                continue
            if baseline is not None:
                baseline.append(self._snapshot(value, field))
            if not build:
                continue
            if value is not None:
                changes.append(self._change(path, 'assign', value, field))
            elif unset:
                changes.extend(self._diff(obj, path, None, None, None, field))
        return changes, missing

    def _snapshot(self, value, field):
        keyed = _keyed(value)
        if keyed is not None:
            return {key: _fingerprint(self.encoder, element, field) for key, element in keyed.items()}
        return _fingerprint(self.encoder, value, field)

    def _modify(self, obj, names):
        types = self.server.schema.types
        baseline = self.baseline[obj.ref]
        changes, missing = [], []
        touched = None
        readers = self.readers.of(obj)
        for index, path in enumerate(self.paths[obj.ref.type]):
            if names is not None and path.partition('.')[0] not in names:
                continue
            try:
                value, field = (readers.get(path) or self.readers.reader(readers, obj, path))(obj)
            except types['MethodFault'].cls as error:
                missing.append(types['MissingProperty'].cls(path=path, fault=localized(error)))
                continue
            before = baseline[index]
            after = self._snapshot(value, field)
            if after == before:
                continue
            if touched is None:
                touched = list(baseline)
            touched[index] = after
            changes.extend(self._diff(obj, path, before, after, value, field))
        if touched is None and not missing:
            return None
        if not self.partialUpdates:   # report every requested property, as vCenter does
            touched = []
            changes, missing = self._read(obj, self.paths[obj.ref.type], touched)
        if touched is not None:
            self.baseline[obj.ref] = tuple(touched)
        return self._update('modify', obj.ref, changes, missing)

    def _diff(self, obj, path, before, after, value, field):
        if isinstance(before, dict) and isinstance(after, dict):
            elements = _keyed(value)
            out = []
            for key in before:
                if key not in after:
                    out.append(self._change(_element_path(path, key), 'remove'))
            for key, fingerprint in after.items():
                if key not in before:
                    out.append(self._change(_element_path(path, key), 'add',
                                            elements[key], _item(field)))
                elif before[key] != fingerprint:
                    out.append(self._change(_element_path(path, key), 'assign',
                                            elements[key], _item(field)))
            return out
        if value is None:
            op = 'indirectRemove' if self._parent_unset(obj, path) else 'assign'
            return [self._change(path, op)]
        return [self._change(path, 'assign', value, field)]

    def _parent_unset(self, obj, path):
        if '.' not in path:
            return False
        parent, _ = read_path(obj, path.rpartition('.')[0], self.ctx)
        return parent is None

    def _change(self, name, op, value=None, field=None):
        shared = self.server.changes.shared
        if shared is None:
            return self._new_change(name, op, value, field)
        key = (name, op, id(value), id(field))
        entry = shared.get(key)
        if entry is None:       # value and field kept, so that their ids stay theirs
            entry = shared[key] = (self._new_change(name, op, value, field), value, field)
        return entry[0]

    def _new_change(self, name, op, value, field):
        val = None
        if value is not None:
            val = encode.Typed(copy.deepcopy(value) if isinstance(value, (DataObject, list))
                               else value, field)
        return self._make_change(name, op, val)

    def _update(self, kind, ref, changes, missing):
        """An ObjectUpdate; during a flush the one another filter logged for
        the same changes (shared PropertyChanges), unless properties are missing."""
        shared = self.server.changes.shared
        if shared is None or missing:
            return self._new_update(kind, ref, changes, missing)
        key = (kind, ref, tuple(map(id, changes or ())))
        entry = shared.get(key)
        if entry is None:       # the changes kept, so that their ids stay theirs
            entry = shared[key] = (self._new_update(kind, ref, changes, missing), changes)
        return entry[0]

    def _new_update(self, kind, ref, changes, missing):
        return self._make_update(kind, ref, changes or None, missing or None)

    # -- its end ------------------------------------------------------------------------
    def fail(self):
        """This filter's evaluation raised: it leaves the server, and its owner
        gets a last update whose missingSet holds, for each object the filter
        names, a SystemError, as vCenter reports an object it cannot look up
        ("SystemError if there was some unknown problem", MissingObject)."""
        types = self.server.schema.types
        error = localized(fault('SystemError', 'A general system error occurred.',
                                reason='internal error'))
        notices = [types['MissingObject'].cls(obj=spec.obj, fault=error)
                   for spec in self.spec.objectSet]
        self._detach()
        self.state.append(self, notices)

    def destroy(self):
        """The client destroyed it, or its session or collector went: nothing
        of it is delivered any more."""
        self.delivered = False
        self._detach()

    def _detach(self):
        if not self.live:
            return
        self.live = False
        self.state.filters.pop(self, None)
        self.state.starting.pop(self, None)
        self.server.changes.remove(self)
        self.owner.disown(self)
        self.baseline, self.paths, self.dirty = {}, {}, {}
        super().destroy()

    # -- API ------------------------------------------------------------------------
    def DestroyPropertyFilter(self, ctx):
        self.destroy()


def _item(field):
    """The Field of one element of an array field."""
    if field is None or not field.array:
        return field
    item = copy.copy(field)
    item.array = False
    return item


class CollectorSession:
    """What one session sees of one PropertyCollector: its filters, its
    numbered update log and its waiting calls.

    A version is a position in the log ("N": after update N), or in the
    initial state a truncated answer to version "" handed out ("N.S.O":
    offset O of initial state S, taken when the log stood at N). Any version
    handed out can be resumed from, so the log keeps what brings each of them
    to the current state and no more (`compact`)."""

    def __init__(self, collector, session):
        self.collector = collector
        self.session = session
        self.closed = False
        self.filters = {}        # PropertyFilter -> None, in creation order
        self.starting = {}       # PropertyFilter -> None: those taking their objects in by steps
        self.log = []            # [(position, filter, ObjectUpdate or MissingObject)]
        self.seq = 0             # position of the newest update
        self.oldest = None       # oldest position a version handed out names (None: none yet)
        self.newest = 0          # newest position a version handed out names
        self.compacted = 0       # log length after the last compaction
        self.waiters = []
        self.snapshot = None     # the InitialState handed out in parts, good for the
        self.snapshot_ids = 0    # next call only
        self.passed_by = {}      # (filter, ref) -> the position at which an initial
                                 # state passed it by (gone): its log entries up to it go

    def add_filter(self, ctx, spec, partial_updates):
        """CreateFilter: every fault of the spec comes before anything is
        registered. A plan longer than a turn should take is made by steps
        (steps.soon: a view of a million VMs), and a filter taking in more
        than START_AT_ONCE objects takes them in by steps, other clients
        answered meanwhile (a Deferred of its reference: a million VMs'
        baselines are seconds of work); the hub evaluates it from the
        start, its changes held until it has them all."""
        ctx.session.make_room(PropertyFilter.held_as, ctx.server.options.session_max_filters)
        planned_at = self.collector.server.changes.generation
        closures = {}
        return then(soon(self.collector.plan_steps(ctx, spec, closures=closures)),
                    lambda plan: self._take_in(ctx, spec, partial_updates, planned_at, closures,
                                               *plan))

    def _take_in(self, ctx, spec, partial_updates, planned_at, closures, planned, missing):
        """add_filter once planned (as of generation `planned_at`; the views'
        walks passed `closures`)."""
        if self.closed:   # its session or collector went while it was planned by steps
            raise NotAuthenticated()
        property_filter = PropertyFilter(ctx, self, spec, partial_updates)
        property_filter.followed = closures
        logged = self.oldest is not None
        steps = property_filter.start_steps(planned, missing, logged)
        if len(planned) <= START_AT_ONCE:
            try:
                with gc_paused():   # a baseline per object
                    updates = finish(steps)
            except BaseException:
                property_filter.destroy()
                raise
            self.collector.server.changes.add(property_filter, planned_at)
            return self._started(ctx, property_filter, updates, logged)
        property_filter.starting = True
        self.starting[property_filter] = None
        self.collector.server.changes.add(property_filter, planned_at)

        def failed(failure):
            property_filter.destroy()
            return failure
        return cooperate(steps).addCallbacks(
            lambda updates: self._started(ctx, property_filter, updates, logged), failed)

    def _started(self, ctx, property_filter, updates, logged):
        """The filter has taken its objects in: it joins the session's, its
        enter updates logged (read anew when a version was handed out while
        it took them in unlogged); its reference. Gone meanwhile (its session or collector
        closed, or destroyed): ManagedObjectNotFound."""
        if not property_filter.live:
            raise ManagedObjectNotFound(property_filter.ref)
        if not logged and self.oldest is not None:
            entering = property_filter.entering(list(property_filter.baseline))
            updates = [update for update in entering if update is not None]
        self.starting.pop(property_filter, None)
        self.filters[property_filter] = None
        ctx.session.own(property_filter)
        if property_filter.starting:
            property_filter.starting = False
            self.collector.server.changes.started(property_filter)
        self.append(property_filter, updates)
        self.settle()
        return property_filter.ref

    def append(self, property_filter, items):
        """Log a filter's updates (or a failed filter's notices). Before any
        version is handed out nothing needs keeping: version "" reads the
        current state."""
        for item in items:
            self.seq += 1
            if self.oldest is not None:
                self.log.append((self.seq, property_filter, item))

    def settle(self):
        """After new updates: compact the log once it has doubled, then answer
        the waiting calls."""
        if len(self.log) > max(COMPACT_AT, 2 * self.compacted):
            self.compact()
        self.wake()

    def compact(self):
        """Keep what brings every version handed out to the current state:
        destroyed filters' updates go; an object's modifications since it last
        entered become one, placed at the newest of them, that assigns the
        current values of every path they touched (a client resuming from any
        version before or among them ends in the current state, as vCenter's
        own collector reports current values rather than each step); an object
        that entered and left again keeps only its leave. Past HISTORY_LIMIT
        the oldest entries go, and versions before them are too old."""
        update_type = self.collector.server.schema.types['ObjectUpdate'].cls
        kept = []
        runs = {}      # (filter, ref) -> indexes in `kept` of modifications since the last enter
        entered = {}   # (filter, ref) -> index in `kept` of the object's last enter
        for entry in self.log:
            _, property_filter, item = entry
            if not property_filter.delivered:
                continue
            if type(item) is not update_type:   # a failed filter's notice
                kept.append(entry)
                continue
            key = (property_filter, item.obj)
            if item.kind == 'modify':
                runs.setdefault(key, []).append(len(kept))
            elif item.kind == 'leave':
                for index in runs.pop(key, ()):
                    kept[index] = None
                index = entered.pop(key, None)
                if index is not None:
                    kept[index] = None
            else:
                runs.pop(key, None)
                entered[key] = len(kept)
            kept.append(entry)
        self.log = kept   # a filter failing below logs its notice here
        for (property_filter, ref), indexes in runs.items():
            if len(indexes) < 2 or not property_filter.live:
                continue
            merged = property_filter.isolated(property_filter.merged, ref,
                                              [kept[i][2] for i in indexes])
            if merged is not None:
                for index in indexes[:-1]:
                    kept[index] = None
                kept[indexes[-1]] = (kept[indexes[-1]][0], property_filter, merged)
        self.log = [entry for entry in self.log if entry is not None]
        if len(self.log) > HISTORY_LIMIT:
            del self.log[:len(self.log) - HISTORY_LIMIT]
            self.oldest = max(self.oldest, self.log[0][0] - 1)
        self.compacted = len(self.log)
        self.passed_by = {key: position for key, position in self.passed_by.items()
                          if position >= self.oldest}

    def close(self):
        self.closed = True
        for property_filter in list(self.filters) + list(self.starting):
            property_filter.destroy()
        self.cancel_waits()
        self.log, self.snapshot = [], None

    # -- reading the log ----------------------------------------------------------------
    def collect(self, version, max_updates):
        """An UpdateSet of everything after `version`, or None. The initial
        state (version "") is read a page at a time (InitialState), so a
        truncated answer holds one page of updates, not every object's.
        The collector is held off while it is built (the endpoint holds it
        off while it is encoded): tens of thousands of fresh updates, which
        its collections meanwhile only promoted, until each full one walked
        every filter's baseline (a million tuples watching a million VMs)."""
        self.collector.server.changes.flush()
        with gc_paused():
            return self._collect(version, max_updates)

    def _collect(self, version, max_updates):
        types = self.collector.server.schema.types
        limit = max_updates if max_updates is not None and max_updates > 0 else None
        if version == '':
            base = self._hand_out(self.seq)
            self.snapshot_ids += 1
            snapshot, offset = InitialState(self.snapshot_ids, base, list(self.filters)), 0
            self.snapshot = None
        else:
            snapshot, offset, base = self._position(version)
        entries = []
        if snapshot is not None:
            offset = snapshot.read(entries, offset, limit, self)
        if snapshot is None or offset == snapshot.size:
            first = bisect.bisect_right(self.log, base, key=_position_of)
            passed_by = self.passed_by
            for entry in self.log[first:]:
                if entry[1].delivered and not (passed_by and self._passed_by(entry)):
                    entries.append(entry)
                    if limit is not None and len(entries) > limit:
                        break
        truncated = limit is not None and (len(entries) > limit or (
            snapshot is not None and offset < snapshot.size))
        if truncated:
            del entries[limit:]
        if not entries and version != '':
            return None
        logged = [e[0] for e in entries if e[0] is not None]
        if snapshot is not None and not logged and truncated:
            self.snapshot = snapshot
            new_version = '%d.%d.%d' % (base, snapshot.id, offset)
        else:
            new_version = str(self._hand_out(logged[-1] if logged else base))
        return types['UpdateSet'].cls(version=new_version,
                                      filterSet=self._filter_updates(entries, version == '') or None,
                                      truncated=truncated or None)

    def _passed_by(self, entry):
        """Whether `entry` is about an object an initial state passed by
        (gone when its turn came), from before then: its client never saw it enter."""
        position, property_filter, item = entry
        if getattr(item, 'kind', None) is None:     # a failed filter's notice
            return False
        passed = self.passed_by.get((property_filter, item.obj))
        return passed is not None and position <= passed

    def _hand_out(self, position):
        """Note that a version naming `position` is handed out."""
        self.oldest = position if self.oldest is None else min(self.oldest, position)
        self.newest = max(self.newest, position)
        return position

    def _position(self, version):
        """(snapshot id or None, offset, log position) of a version handed out;
        InvalidCollectorVersion for any other, or one too old to resume from."""
        try:
            numbers = [int(part) for part in version.split('.')]
        except ValueError:
            numbers = []
        if len(numbers) == 3:
            base, snapshot_id, offset = numbers
            snapshot = self.snapshot
            if snapshot is None or (snapshot.id, snapshot.base) != (snapshot_id, base) \
                    or offset > snapshot.size or base < self.oldest:
                raise _too_old(version)
            return snapshot, offset, base
        if len(numbers) != 1 or self.oldest is None or not 0 <= numbers[0] <= self.newest:
            raise fault('InvalidCollectorVersion',
                        'The collector version %r is not valid.' % version)
        if numbers[0] < self.oldest:
            raise _too_old(version)
        self.snapshot = None   # a truncated version is good for the next call only
        return None, 0, numbers[0]

    def _filter_updates(self, entries, initial):
        """PropertyFilterUpdates of log entries, one per filter; an initial
        answer also lists each filter's missing start objects."""
        types = self.collector.server.schema.types
        update_type = types['ObjectUpdate'].cls
        by_filter = {}
        for _, property_filter, item in entries:
            update = by_filter.get(property_filter)
            if update is None:
                update = by_filter[property_filter] = types['PropertyFilterUpdate'].cls(
                    filter=property_filter.ref, objectSet=[],
                    missingSet=self._missing_objects(property_filter) if initial else [])
            if type(item) is update_type:
                update.objectSet.append(item)
            else:
                update.missingSet.append(item)
        for update in by_filter.values():
            update.objectSet = update.objectSet or None
            update.missingSet = update.missingSet or None
        return list(by_filter.values())

    def _missing_objects(self, property_filter):
        types = self.collector.server.schema.types
        return [types['MissingObject'].cls(obj=ref, fault=localized(ManagedObjectNotFound(ref)))
                for ref in property_filter.missing]

    # -- waiting ----------------------------------------------------------------------------
    def wait(self, version, max_wait, max_updates):
        """An UpdateSet, or a Deferred firing with one (None on timeout)."""
        result = self.collect(version, max_updates)
        if result is not None or max_wait == 0:
            return result
        waiter = _Waiter(self, version, max_updates)
        if max_wait is not None:
            waiter.timer = reactor.callLater(max_wait, waiter.finish, None)
        self.waiters.append(waiter)
        return waiter.deferred

    def wake(self):
        """Answer the waiting calls that now have updates, each on its own."""
        method_fault = self.collector.server.schema.types['MethodFault'].cls
        for waiter in list(self.waiters):
            try:
                result = self.collect(waiter.version, waiter.max_updates)
            except method_fault as error:   # e.g. its version became too old
                waiter.fail(error)
                continue
            except Exception:   # noqa: BLE001 - a defect answers this call, nobody else's
                log.exception('answering a WaitForUpdates failed')
                waiter.fail(fault('SystemError', 'A general system error occurred.',
                                  reason='internal error'))
                continue
            if result is not None:
                waiter.finish(result)

    def cancel_waits(self):
        for waiter in list(self.waiters):
            waiter.fail(fault('RequestCanceled', 'The request was canceled.'))


class InitialState:
    """An initial state handed out in parts (version "" with maxObjectUpdates):
    the objects each filter held when it was taken, in order, read as each
    part is asked for, so no more than a part's updates are held at once.
    An object its filter no longer holds when its turn comes is passed by
    (`CollectorSession.passed_by`: the log's leave of it goes too)."""

    def __init__(self, snapshot_id, base, filters):
        self.id, self.base = snapshot_id, base
        self.refs = [(f, list(f.baseline)) for f in filters]
        self.size = sum(len(refs) for _, refs in self.refs)

    def read(self, entries, offset, limit, session):
        """Append to `entries` the updates from position `offset` on, `limit`
        at most (all when None); the position reached."""
        start = 0
        for property_filter, refs in self.refs:
            end = start + len(refs)
            while start <= offset < end and (limit is None or len(entries) < limit):
                step = len(refs) if limit is None else limit - len(entries)
                chunk = refs[offset - start:offset - start + step]
                offset += len(chunk)
                if not property_filter.delivered:
                    continue
                updates = property_filter.isolated(property_filter.entering, chunk)
                for ref, update in zip(chunk, updates or ()):   # None: it failed, and said so
                    if update is not None:
                        entries.append((None, property_filter, update))
                    else:
                        session.passed_by[(property_filter, ref)] = session.seq
            start = end
        return offset


def _too_old(version):
    return fault('InvalidCollectorVersion',
                 'The collector version %r is too old to resume from.' % version)


class _Waiter:
    def __init__(self, state, version, max_updates):
        self.state = state
        self.version = version
        self.max_updates = max_updates
        self.timer = None
        self.deferred = defer.Deferred(canceller=lambda _: self._forget())

    def _forget(self):
        if self in self.state.waiters:
            self.state.waiters.remove(self)
        if self.timer is not None and self.timer.active():
            self.timer.cancel()

    def finish(self, result):
        self._forget()
        if not self.deferred.called:
            self.deferred.callback(result)

    def fail(self, error):
        self._forget()
        if not self.deferred.called:
            self.deferred.errback(error)
