"""History collectors: TaskHistoryCollector and EventHistoryCollector, and the
filters (TaskFilterSpec, EventFilterSpec) they and QueryEvents apply.

A collector holds the items of its filter in creation order (oldest first):
an EventHistoryCollector keeps the events that matched when they were posted
(events never change); a TaskHistoryCollector applies its filter to the task
history when read (task states do change). Positions are item keys, so the
store's pruning never moves a reader:

- the "scrollable view" starts at the oldest item (RewindCollector);
  ReadNext* returns items from there towards the newest, ReadPrevious* from
  there towards the oldest (newest first);
- ResetCollector moves it to just before the "viewable latest page";
- `latestPage` is the newest `pageSize` items (10 unless set), newest first.

Collectors are session-scoped (they go when the session ends), at most
`maxCollector` of each kind per session.
"""
import collections
import copy

from vimsim.managed.base import ManagedObject
from vimsim.schema import MoRef
from vimsim.soap.fault import InvalidArgument, fault

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000      # largest latest page and largest read


# ----------------------------------------------------------------------------
# entity filters (TaskFilterSpecByEntity, EventFilterSpecByEntity)

def check_entity_filter(server, by_entity):
    """ManagedObjectNotFound for a filter on an entity that does not exist."""
    if by_entity is not None:
        server.objects.resolve(by_entity.entity)


def lineage(server, ref):
    """The MoRefs above `ref` in the inventory: its parents, and for a VM also
    its resource pool's ancestry (pools, vApps, compute resource...)."""
    out = set()
    objects = server.objects
    pending = [objects.get(ref)]
    while pending:
        obj = pending.pop()
        if obj is None:
            continue
        for above in (getattr(obj, 'parent', None), getattr(obj, 'parentVApp', None)):
            if isinstance(above, MoRef) and above not in out:
                out.add(above)
                pending.append(objects.get(above))
        pool = getattr(obj, 'pool', None)
        if isinstance(pool, ManagedObject) and pool.ref not in out:
            out.add(pool.ref)
            pending.append(pool)
    return out


class EntityScope:
    """Does a set of MoRefs fall within a filter's entity and recursion?
    Ancestries are cached until `forget()` (the inventory may change between
    two uses of a long-lived filter)."""

    def __init__(self, server, by_entity, root_is_everything=False):
        self.server = server
        self.entity = by_entity.entity if by_entity is not None else None
        self.recursion = by_entity.recursion if by_entity is not None else 'all'
        root = None
        if root_is_everything and getattr(server, 'service_instance', None) is not None:
            root = server.service_instance.content.rootFolder
        self.root = root
        self._lineage = {}

    def forget(self):
        self._lineage.clear()

    def _above(self, ref):
        found = self._lineage.get(ref)
        if found is None:
            found = self._lineage[ref] = lineage(self.server, ref)
        return found

    def matches(self, refs):
        entity = self.entity
        if entity is None:
            return True
        if entity == self.root and self.recursion in ('self', 'all'):
            return True     # vCenter's event views: the root folder stands for everything
        for ref in refs:
            if ref == entity:
                if self.recursion in ('self', 'all'):
                    return True
                continue
            if self.recursion in ('children', 'all') and entity in self._above(ref):
                return True
        return False


def argument_refs(event):
    """The MoRefs an event is about: its entity arguments."""
    out = []
    for field, ref_field in (('vm', 'vm'), ('host', 'host'), ('computeResource', 'computeResource'),
                             ('ds', 'datastore'), ('net', 'network'), ('dvs', 'dvs'),
                             ('datacenter', 'datacenter')):
        argument = getattr(event, field, None)
        if argument is not None:
            out.append(getattr(argument, ref_field))
    for field in ('entity', 'datastore'):
        if field in event._type.field_map:
            argument = getattr(event, field)
            if argument is not None:
                out.append(getattr(argument, 'entity', None) or getattr(argument, 'datastore', None))
    if event._type.name == 'ExtendedEvent' and event.managedObject is not None:
        out.append(event.managedObject)
    return [ref for ref in out if ref is not None]


def _in_time(value, begin, end):
    if value is None:
        return False
    if begin is not None and value < begin:
        return False
    if end is not None and value > end:
        return False
    return True


# ----------------------------------------------------------------------------
# EventFilterSpec

class EventMatcher:
    """An EventFilterSpec applied to events."""

    def __init__(self, manager, spec):
        self.manager = manager
        self.spec = spec
        self.scope = EntityScope(manager.server, spec.entity, root_is_everything=True)
        schema = manager.server.schema
        self.types = set(spec.type or ())
        self.type_ids = set(spec.eventTypeId or ())
        self.categories = set(spec.category or ())
        self.schema = schema

    def matches(self, event):
        spec = self.spec
        if spec.eventChainId is not None and event.chainId != spec.eventChainId:
            return False
        if self.types or self.type_ids:
            if not self._type_matches(event):
                return False
        if self.categories and self.manager.category_of(event) not in self.categories:
            return False
        if spec.time is not None and not _in_time(event.createdTime, spec.time.beginTime,
                                                  spec.time.endTime):
            return False
        if spec.userName is not None:
            by_user = spec.userName
            users = set(by_user.userList or ())
            if not (event.userName in users or (by_user.systemUser and not event.userName)):
                return False
        if spec.alarm is not None:
            alarm = getattr(event, 'alarm', None) if 'alarm' in event._type.field_map else None
            if alarm is None or alarm.alarm != spec.alarm:
                return False
        if spec.scheduledTask is not None:
            task = getattr(event, 'scheduledTask', None) \
                if 'scheduledTask' in event._type.field_map else None
            if task is None or task.scheduledTask != spec.scheduledTask:
                return False
        if spec.tag:
            return False        # no event carries tags here
        if self.scope.entity is not None:
            if not self.scope.matches(argument_refs(event)):
                return False
        return True

    def _type_matches(self, event):
        name = event._type.name
        if name in ('EventEx', 'ExtendedEvent') and event.eventTypeId in (self.type_ids | self.types):
            return True
        wanted = self.types | self.type_ids
        data_type = event._type
        while data_type is not None:      # a type names its subtypes' events too
            if data_type.name in wanted:
                return True
            data_type = data_type.base
        return False

    def present(self, event):
        """The event as the filter returns it (disableFullMessage drops the text)."""
        if self.spec.disableFullMessage and event.fullFormattedMessage is not None:
            event = copy.copy(event)
            event.fullFormattedMessage = None
        return event


# ----------------------------------------------------------------------------
# TaskFilterSpec

class TaskMatcher:
    """A TaskFilterSpec applied to TaskInfos."""

    def __init__(self, server, spec):
        self.spec = spec
        self.scope = EntityScope(server, spec.entity)

    def matches(self, info):
        spec = self.spec
        if spec.state and info.state not in spec.state:
            return False
        if spec.eventChainId and info.eventChainId not in spec.eventChainId:
            return False
        if spec.activationId and info.activationId not in spec.activationId:
            return False
        if spec.parentTaskKey and info.parentTaskKey not in spec.parentTaskKey:
            return False
        if spec.rootTaskKey and info.rootTaskKey not in spec.rootTaskKey:
            return False
        if spec.tag:
            return False
        if spec.time is not None:
            stamp = {'queuedTime': info.queueTime, 'startedTime': info.startTime,
                     'completedTime': info.completeTime}.get(spec.time.timeType)
            if not _in_time(stamp, spec.time.beginTime, spec.time.endTime):
                return False
        reason = info.reason
        if spec.userName is not None:
            user = getattr(reason, 'userName', None) if 'userName' in reason._type.field_map \
                else None
            system = reason._type.name == 'TaskReasonSystem'
            if not (user in set(spec.userName.userList or ()) or
                    (spec.userName.systemUser and system)):
                return False
        if spec.alarm is not None and getattr(reason, 'alarm', None) != spec.alarm:
            return False
        if spec.scheduledTask is not None and \
                getattr(reason, 'scheduledTask', None) != spec.scheduledTask:
            return False
        if self.scope.entity is not None:
            if not self.scope.matches([info.entity] if info.entity is not None else []):
                return False
        return True


def read_filter(ctx):
    """The caller's test of whether it may read the entity an event or task
    is about (AuthorizationManager.read_filter), or None: everything."""
    manager = getattr(ctx.server, 'authorization_manager', None) if ctx is not None else None
    return manager.read_filter(ctx) if manager is not None else None


def event_about(event):
    """The entity an event is about: its most specific entity argument."""
    refs = argument_refs(event)
    return refs[0] if refs else None


# ----------------------------------------------------------------------------
# collectors

def _read_count(count):
    if count is None or count <= 0:
        raise InvalidArgument('maxCount')
    return min(count, MAX_PAGE_SIZE)


class HistoryCollector(ManagedObject):
    type_name = 'HistoryCollector'

    @classmethod
    def check_room(cls, ctx, manager):
        """InvalidState when the session already holds the manager's
        `maxCollector` collectors of this kind, as CreateCollectorFor* answer."""
        if ctx.session.held[cls.held_as] >= manager.maxCollector:
            raise fault('InvalidState', 'Too many %ss to create.' % cls.held_as)

    def __init__(self, ctx, manager, spec, page_size=DEFAULT_PAGE_SIZE):
        super().__init__(ctx.server, 'session[%s]%s' % (ctx.session.key, ctx.server.new_uuid()))
        self.owner = ctx.session
        ctx.session.own(self)
        self.manager = manager
        self.filter = spec
        self.page_size = page_size
        self.position = 0          # items with a key below it are behind the scrollable view
        manager.collectors.add(self)

    # -- items: (key, item) oldest first; subclasses say which -------------------------
    def items(self):
        raise NotImplementedError

    def about(self, item):
        """The entity (MoRef or None) an item is about."""
        raise NotImplementedError

    def present(self, item):
        return item

    def readable_items(self, ctx):
        """items() the caller may read: those about entities it has
        System.Read on, as vCenter shows a user's collectors."""
        items = self.items()
        readable = read_filter(ctx)
        if readable is None:
            return items
        about = self.about
        return [(key, item) for key, item in items if readable(about(item))]

    def read(self, name, ctx):
        if name == 'latestPage':
            return self.latest_page(ctx)
        return super().read(name, ctx)

    def latest_page(self, ctx):
        if self.page_size <= 0:
            return []
        out = []
        for _, item in reversed(self.readable_items(ctx)):
            out.append(self.present(item))
            if len(out) >= self.page_size:
                break
        return out

    def _read_next(self, ctx, count):
        count = _read_count(count)
        out = []
        for key, item in self.readable_items(ctx):
            if key >= self.position:
                out.append(self.present(item))
                self.position = key + 1
                if len(out) >= count:
                    break
        return out

    def _read_previous(self, ctx, count):
        count = _read_count(count)
        out = []
        for key, item in reversed(self.readable_items(ctx)):
            if key < self.position:
                out.append(self.present(item))
                self.position = key
                if len(out) >= count:
                    break
        return out

    # -- API methods ---------------------------------------------------------------------
    def SetCollectorPageSize(self, ctx, maxCount):
        if maxCount < 0 or maxCount > MAX_PAGE_SIZE:
            raise InvalidArgument('maxCount')
        self.page_size = maxCount or DEFAULT_PAGE_SIZE
        self.changed('latestPage')

    def ResetCollector(self, ctx):
        items = self.readable_items(ctx)
        page = min(self.page_size, len(items))
        if page:
            self.position = items[len(items) - page][0]
        else:
            self.position = (items[-1][0] + 1) if items else self.position

    def RewindCollector(self, ctx):
        self.position = 0

    def DestroyCollector(self, ctx):
        self.owner.disown(self)
        self.destroy()

    def destroy(self):
        self.manager.collectors.discard(self)
        super().destroy()


def _drops_result(results, info):
    """TaskInfoFilterSpecFilterTaskResults: removeAll, or descriptionIds whose
    results are kept (filterIn) or dropped."""
    if results.removeAll:
        return True
    if not results.descriptionIds:
        return False
    listed = info.descriptionId in results.descriptionIds
    return not listed if results.filterIn else listed


def task_presented(info, info_filter):
    """A TaskInfo as a TaskInfoFilterSpec shows it (its result left out
    when the spec drops it)."""
    results = info_filter.filterTaskResults if info_filter is not None else None
    if results is not None and info.result is not None and _drops_result(results, info):
        info = copy.copy(info)
        info.result = None
    return info


class TaskHistoryCollector(HistoryCollector):
    type_name = 'TaskHistoryCollector'
    held_as = 'task collector'

    def __init__(self, ctx, manager, spec, info_filter=None):
        super().__init__(ctx, manager, spec)
        self.matcher = TaskMatcher(ctx.server, spec)
        self.info_filter = info_filter

    def items(self):
        self.matcher.scope.forget()
        matches = self.matcher.matches
        return [(serial, info) for serial, info in self.manager.tasks() if matches(info)]

    def present(self, info):
        return task_presented(info, self.info_filter)

    def about(self, info):
        return info.entity

    def ReadNextTasks(self, ctx, maxCount):
        return self._read_next(ctx, maxCount)

    def ReadPreviousTasks(self, ctx, maxCount):
        return self._read_previous(ctx, maxCount)


class EventHistoryCollector(HistoryCollector):
    type_name = 'EventHistoryCollector'
    held_as = 'event collector'
    initialized = True

    def __init__(self, ctx, manager, spec):
        page = spec.maxCount if spec.maxCount else DEFAULT_PAGE_SIZE
        if page < 0 or page > MAX_PAGE_SIZE:
            raise InvalidArgument('maxCount')
        self.matcher = EventMatcher(manager, spec)
        self._items = collections.deque(
            ((e.key, e) for e in manager.events if self.matcher.matches(e)),
            maxlen=manager.events.maxlen)
        super().__init__(ctx, manager, spec, page)

    def offer(self, event):
        """A new event was posted: keep it if it matches, and let go of what
        the manager's store no longer holds (its bounds apply here too)."""
        self.matcher.scope.forget()
        oldest = self.manager.events.oldest()
        items = self._items
        while items and items[0][0] < oldest.key:
            items.popleft()
        if self.matcher.matches(event):
            self._items.append((event.key, event))
            self.changed('latestPage')

    def items(self):
        return self._items

    def present(self, event):
        return self.matcher.present(event)

    def about(self, event):
        return event_about(event)

    def ReadNextEvents(self, ctx, maxCount):
        return self._read_next(ctx, maxCount)

    def ReadPreviousEvents(self, ctx, maxCount):
        return self._read_previous(ctx, maxCount)
