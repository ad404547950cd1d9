"""Live updates: property filters, the change hub and WaitForUpdates.

Every model change reaches the hub through one call, `changes.changed(obj,
names)` (ManagedObject.changed), or through the registry when an object is
added or removed. The hub marks the filters watching that object and, at the
end of the reactor turn, each marked filter re-reads only the changed object's
requested paths and diffs them against what it last reported. The resulting
ObjectUpdates go, numbered, into the per-session update log of the filter's
collector, and any waiting WaitForUpdates call is answered at once: no polling,
no re-traversal per change (a filter re-runs its traversal only when the
inventory's structure changes).
"""
import copy

from twisted.internet import defer, reactor

from vimsim.managed.base import ManagedObject
from vimsim.managed.paths import read_path
from vimsim.managed.service.view import View
from vimsim.schema import DataObject, MoRef
from vimsim.soap import encode
from vimsim.soap.fault import fault, localized

# Properties whose change can change what a traversal or a view reaches.
STRUCTURE = frozenset(('childEntity', 'vm', 'host', 'resourcePool', 'vmFolder', 'hostFolder',
                       'datastoreFolder', 'networkFolder', 'view', 'parent', 'datastore',
                       'network', 'portgroup', 'owner'))
HISTORY_LIMIT = 200000   # ObjectUpdates a collector keeps for resuming clients
SNAPSHOTS_KEPT = 8       # initial-state snapshots kept for truncated answers


class ChangeHub:
    """Routes model changes to the filters that watch the changed objects."""

    def __init__(self):
        self.filters = []
        self._pending = False

    def changed(self, obj, names=None):
        structural = names is None or not STRUCTURE.isdisjoint(names)
        for property_filter in self.filters:
            if obj.ref in property_filter.baseline:
                property_filter.mark(obj.ref, names)
            if structural:
                property_filter.structure_changed()
        self._schedule()

    def object_added(self, obj):
        for property_filter in self.filters:
            property_filter.structure_changed()
        self._schedule()

    def object_removed(self, obj):
        for property_filter in self.filters:
            if obj.ref in property_filter.baseline:
                property_filter.reselect = True
            property_filter.structure_changed()
        self._schedule()

    def _schedule(self):
        if not self._pending and self.filters:
            self._pending = True
            reactor.callLater(0, self.flush)

    def flush(self):
        """Turn every pending change into ObjectUpdates now, then answer the
        waiting calls of the collectors that got any."""
        self._pending = False
        updated = []
        for property_filter in list(self.filters):
            if property_filter.flush() and property_filter.state not in updated:
                updated.append(property_filter.state)
        for state in updated:
            state.wake()


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

    def __init__(self, ctx, state, spec, partial_updates):
        super().__init__(ctx.server, 'session[%s]%s' % (ctx.session.key, ctx.server.new_uuid()))
        self.owner = ctx.session
        self.state = state
        self.spec = spec
        self.partialUpdates = bool(partial_updates)
        self.ctx = ctx.__class__(ctx.server, ctx.session, ctx.version)
        self.encoder = encode.encoder_for(ctx.server.schema, ctx.version)
        self.traverses = any(o.selectSet for o in spec.objectSet)
        self.baseline = {}       # ref -> {path: fingerprint or {key: fingerprint}}
        self.paths = {}          # ref -> [path]
        self.missing = []
        self.views = []          # refs of the views in the object set
        self.dirty = {}          # ref -> set of names, or None for all
        self.reselect = False

    # -- bookkeeping for the hub ------------------------------------------------
    def structure_changed(self):
        """The inventory's shape changed: traversals may reach other objects,
        and views in the filter may list other objects."""
        if self.traverses:
            self.reselect = True
        for ref in self.views:
            self.mark(ref, ('view',))

    def mark(self, ref, names):
        if names is None or self.dirty.get(ref, ()) is None:
            self.dirty[ref] = None
        else:
            self.dirty.setdefault(ref, set()).update(names)

    def flush(self):
        """Log the updates of pending changes; True when there were any."""
        if not self.reselect and not self.dirty:
            return False
        updates = []
        objects = self.server.objects
        if self.reselect:
            self.reselect = False
            planned, missing = self.state.collector.plan(self.ctx, self.spec)
            current = {obj.ref: paths for obj, paths in planned}
            for ref in list(self.baseline):
                if ref not in current:
                    del self.baseline[ref]
                    del self.paths[ref]
                    self.dirty.pop(ref, None)
                    updates.append(self._update('leave', ref, None, None))
            for obj, paths in planned:
                if obj.ref not in self.baseline:
                    self.paths[obj.ref] = paths
                    updates.append(self._enter(obj))
                    self.dirty.pop(obj.ref, None)
            self.missing = missing
            self._note_views()
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

    def _note_views(self):
        self.views = [ref for ref in self.baseline if isinstance(self.server.objects.get(ref), View)]

    # -- building updates ----------------------------------------------------------
    def start(self):
        """Select the objects and record them as entering."""
        planned, self.missing = self.state.collector.plan(self.ctx, self.spec)
        updates = []
        for obj, paths in planned:
            self.paths[obj.ref] = paths
            updates.append(self._enter(obj))
        self._note_views()
        self.state.append(self, updates)
        self.state.wake()

    def current_state(self):
        """Enter updates for every object now in the filter (version "")."""
        objects = self.server.objects
        result = []
        for ref in self.baseline:
            obj = objects.get(ref)
            if obj is not None:
                changes, missing = self._read_all(obj, record=False)
                result.append(self._update('enter', ref, changes, missing))
        return result

    def _enter(self, obj):
        changes, missing = self._read_all(obj, record=True)
        return self._update('enter', obj.ref, changes, missing)

    def _read_all(self, obj, record):
        types = self.server.schema.types
        changes, missing = [], []
        baseline = {}
        for path in self.paths[obj.ref]:
            try:
                value, field = read_path(obj, path, self.ctx)
            except types['MethodFault'].cls as error:
                missing.append(types['MissingProperty'].cls(path=path, fault=localized(error)))
                continue
            baseline[path] = self._snapshot(value, field)
            if value is not None:
                changes.append(self._change(path, 'assign', value, field))
        if record:
            self.baseline[obj.ref] = baseline
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
        touched = False
        for path in self.paths[obj.ref]:
            if names is not None and path.partition('.')[0] not in names:
                continue
            try:
                value, field = read_path(obj, path, self.ctx)
            except types['MethodFault'].cls as error:
                missing.append(types['MissingProperty'].cls(path=path, fault=localized(error)))
                continue
            before = baseline.get(path)
            after = self._snapshot(value, field)
            if after == before:
                continue
            touched = True
            baseline[path] = after
            changes.extend(self._diff(obj, path, before, after, value, field))
        if not touched and not missing:
            return None
        if not self.partialUpdates:   # report every requested property, as vCenter does
            changes, missing = self._read_all(obj, record=True)
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
        val = None
        if value is not None:
            val = encode.Typed(copy.deepcopy(value) if isinstance(value, (DataObject, list))
                               else value, field)
        return self.server.schema.types['PropertyChange'].cls(name=name, op=op, val=val)

    def _update(self, kind, ref, changes, missing):
        return self.server.schema.types['ObjectUpdate'].cls(
            kind=kind, obj=ref, changeSet=changes or None, missingSet=missing or None)

    # -- API ------------------------------------------------------------------------
    def DestroyPropertyFilter(self, ctx):
        self.state.remove_filter(self)


def _item(field):
    """The Field of one element of an array field."""
    if field is None or not field.array:
        return field
    item = copy.copy(field)
    item.array = False
    return item


class CollectorSession:
    """What one session sees of one PropertyCollector: its filters, its
    numbered update log and its waiting calls."""

    def __init__(self, collector, session):
        self.collector = collector
        self.session = session
        self.filters = []
        self.log = []           # [(seq, filter, ObjectUpdate)]
        self.seq = 0
        self.issued = {''}
        self.waiters = []
        self.snapshots = {}     # id -> [(filter, ObjectUpdate)]: initial states handed out
        self.snapshot_ids = 0

    def add_filter(self, ctx, spec, partial_updates):
        property_filter = PropertyFilter(ctx, self, spec, partial_updates)
        self.collector.server.changes.filters.append(property_filter)
        property_filter.start()
        self.filters.append(property_filter)
        return property_filter

    def remove_filter(self, property_filter):
        if property_filter in self.filters:
            self.filters.remove(property_filter)
        hub = self.collector.server.changes
        if property_filter in hub.filters:
            hub.filters.remove(property_filter)
        property_filter.destroy()

    def append(self, property_filter, updates):
        for update in updates:
            self.seq += 1
            self.log.append((self.seq, property_filter, update))
        if len(self.log) > HISTORY_LIMIT:
            del self.log[:len(self.log) - HISTORY_LIMIT]

    def close(self):
        for property_filter in list(self.filters):
            self.remove_filter(property_filter)
        self.cancel_waits()

    # -- reading the log ----------------------------------------------------------------
    def check_version(self, version):
        if version not in self.issued:
            raise fault('InvalidCollectorVersion', 'The collector version %r is not valid.' % version)

    def collect(self, version, max_updates):
        """An UpdateSet of everything after `version`, or None.

        A version is a position: "N" means after update N of the log;
        "N.S.O" means at offset O of initial-state snapshot S (taken when the
        log stood at N), which a truncated answer to version "" leaves."""
        self.collector.server.changes.flush()
        types = self.collector.server.schema.types
        snapshot_id, offset, base = self._position(version)
        entries = []
        if snapshot_id is not None:
            entries = [(None, f, u) for f, u in self.snapshots[snapshot_id][offset:]
                       if f in self.filters]
        if self.log and base < self.log[0][0] - 1:
            raise fault('InvalidCollectorVersion',
                        'The collector version %r is too old to resume from.' % version)
        entries.extend(e for e in self.log if e[0] > base and e[1] in self.filters)
        truncated = max_updates is not None and 0 < max_updates < len(entries)
        if truncated:
            entries = entries[:max_updates]
        if not entries and version != '':
            return None
        logged = [e[0] for e in entries if e[0] is not None]
        from_snapshot = len(entries) - len(logged)
        if snapshot_id is not None and not logged and truncated:
            new_version = '%d.%d.%d' % (base, snapshot_id, offset + from_snapshot)
        else:
            new_version = str(logged[-1] if logged else base)
        filter_set = []
        for _, property_filter, update in entries:
            if not filter_set or filter_set[-1].filter != property_filter.ref:
                filter_set.append(types['PropertyFilterUpdate'].cls(
                    filter=property_filter.ref, objectSet=[],
                    missingSet=self._missing_objects(property_filter) if version == '' else None))
            filter_set[-1].objectSet.append(update)
        self.issued.add(new_version)
        return types['UpdateSet'].cls(version=new_version, filterSet=filter_set or None,
                                      truncated=truncated or None)

    def _position(self, version):
        """(snapshot id or None, offset, log position) of a version string."""
        if version == '':
            self.snapshot_ids += 1
            self.snapshots[self.snapshot_ids] = [(f, u) for f in self.filters
                                                 for u in f.current_state()]
            for old in [k for k in self.snapshots if k <= self.snapshot_ids - SNAPSHOTS_KEPT]:
                del self.snapshots[old]
            return self.snapshot_ids, 0, self.seq
        parts = version.split('.')
        if len(parts) == 3 and int(parts[1]) in self.snapshots:
            return int(parts[1]), int(parts[2]), int(parts[0])
        if len(parts) == 3:
            raise fault('InvalidCollectorVersion',
                        'The collector version %r is too old to resume from.' % version)
        return None, 0, int(version)

    def _missing_objects(self, property_filter):
        types = self.collector.server.schema.types
        from vimsim.soap.fault import ManagedObjectNotFound
        return [types['MissingObject'].cls(obj=ref, fault=localized(ManagedObjectNotFound(ref)))
                for ref in property_filter.missing] or None

    # -- waiting ----------------------------------------------------------------------------
    def wait(self, version, max_wait, max_updates):
        """An UpdateSet, or a Deferred firing with one (None on timeout)."""
        self.check_version(version)
        result = self.collect(version, max_updates)
        if result is not None or max_wait == 0:
            return result
        waiter = _Waiter(self, version, max_updates)
        if max_wait is not None:
            waiter.timer = reactor.callLater(max_wait, waiter.finish, None)
        self.waiters.append(waiter)
        return waiter.deferred

    def wake(self):
        for waiter in list(self.waiters):
            result = self.collect(waiter.version, waiter.max_updates)
            if result is not None:
                waiter.finish(result)

    def cancel_waits(self):
        for waiter in list(self.waiters):
            waiter.fail(fault('RequestCanceled', 'The request was canceled.'))


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
