"""A second session watching objects with WaitForUpdatesEx, for tests that
check each step of a flow reaches other clients."""
from pyVmomi import vmodl

PC = vmodl.query.PropertyCollector


class Watcher:
    """Watches `paths` of objects of `kind` reached from `start` (a MoRef'd
    pyVmomi object of another session; `select` traverses from it) in a
    session of its own; `changes()` returns what the next updates report."""

    def __init__(self, session, start, kind, paths, select=()):
        self.session = session
        obj = type(start)(start._moId, session._stub)
        self.collector = session.RetrieveContent().propertyCollector.CreatePropertyCollector()
        self.collector.CreateFilter(PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=obj, selectSet=list(select))],
            propSet=[PC.PropertySpec(type=kind, pathSet=list(paths))]), True)
        self.version = self.collector.WaitForUpdatesEx('', PC.WaitOptions()).version

    def changes(self, until=lambda seen: bool(seen), wait=5):
        """[(moid, kind, path, op, value)] of the updates that arrive until
        `until(seen)` holds or nothing arrives within `wait` seconds."""
        seen = []
        while not until(seen):
            update = self.collector.WaitForUpdatesEx(self.version,
                                                     PC.WaitOptions(maxWaitSeconds=wait))
            if update is None:
                break
            self.version = update.version
            for filter_update in update.filterSet:
                for obj in filter_update.objectSet:
                    if not obj.changeSet:
                        seen.append((obj.obj._moId, obj.kind, None, None, None))
                    for change in obj.changeSet:
                        seen.append((obj.obj._moId, obj.kind, change.name, change.op,
                                     change.val))
        return seen


def paths_of(seen):
    return {path for _, _, path, _, _ in seen}
