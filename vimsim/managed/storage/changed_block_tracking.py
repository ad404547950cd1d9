"""Changed block tracking: which 64 KB blocks of a disk's data were
written, and when, so QueryChangedDiskAreas can answer what changed
between two change ids.

A tracked disk's `DiskChanges` is kept under the extents its data is in
(its base and, while snapshots exist, the deltas over it: writes to any of
them count); its owner moves the record along when the disk's files move
(`follow`, `moved`: Storage vMotion keeps change ids valid, as ESXi's
-ctk file goes with the disk). It counts points in time: change id
'<tracking id>/<n>' is the disk as it was at point n, and the blocks
written after point n-1 up to point n are that point's set. `mark()` makes
a new point (a snapshot freezes the disk there). The tracking id changes
whenever tracking starts again, so a change id from before answers as
unknown, as ESXi's does after a CBT reset.
"""
import os
import uuid

from vimsim.managed.storage import disk_data
from vimsim.soap.fault import fault

BLOCK = 64 * 1024
COMPARE_CHUNK = 1 << 20


class DiskChanges:
    """The change record of one tracked disk."""

    def __init__(self):
        self.paths = set()            # the real paths it is kept under
        digits = uuid.uuid4().hex
        pairs = [digits[i:i + 2] for i in range(0, 32, 2)]
        self.tracking_id = ' '.join(pairs[:8]) + '-' + ' '.join(pairs[8:])
        self.point = 0
        self.written = {1: set()}     # point -> blocks written up to it

    def change_id(self, point=None):
        return '%s/%d' % (self.tracking_id, self.point if point is None else point)

    def mark(self):
        """A new point in time (what was written so far is in it); its change id."""
        self.point += 1
        self.written[self.point + 1] = set()
        return self.change_id()

    def record(self, offset, length):
        if length > 0:
            self.written[self.point + 1].update(
                range(offset // BLOCK, (offset + length + BLOCK - 1) // BLOCK))

    def point_of(self, change_id):
        """The point a change id of this disk names, None when it names none."""
        tracking, _, number = (change_id or '').rpartition('/')
        if tracking != self.tracking_id or not number.isdigit() or int(number) > self.point:
            return None
        return int(number)

    def changed_between(self, since, until):
        """Blocks written after point `since` up to point `until`."""
        blocks = set()
        for point in range(since + 1, until + 1):
            blocks |= self.written.get(point, set())
        return blocks


def _trackers(server):
    found = server.__dict__.get('changed_block_trackers')
    if found is None:
        found = server.changed_block_trackers = {}
    return found


def tracked(server, path):
    """The DiskChanges of the disk whose data is (partly) file `path`, or None."""
    return _trackers(server).get(os.path.realpath(path))


def start(server, paths):
    """Track the disk whose data is in the files `paths` (again: a fresh
    tracking id); its DiskChanges."""
    changes = DiskChanges()
    follow(server, changes, paths)
    return changes


def follow(server, changes, paths):
    """Keep `changes` under the files `paths` (the disk's extents now) alone."""
    trackers = _trackers(server)
    wanted = {os.path.realpath(path) for path in paths}
    for path in changes.paths - wanted:
        if trackers.get(path) is changes:
            del trackers[path]
    for path in wanted:
        trackers[path] = changes
    changes.paths = wanted


def release(server, changes):
    """Forget a disk's change record."""
    follow(server, changes, ())


def stop(server, path):
    """Forget the change record of the disk whose data is file `path`."""
    changes = tracked(server, path)
    if changes is not None:
        release(server, changes)


def moved(server, source, target):
    """File or folder `source` moved to `target`: the records kept under
    files in it follow them."""
    trackers = _trackers(server)
    old = os.path.realpath(source)
    new = os.path.realpath(target)
    for path, changes in list(trackers.items()):
        if path == old or path.startswith(old + os.sep):
            follow(server, changes, {new + p[len(old):] if p == old or p.startswith(old + os.sep)
                                     else p for p in changes.paths})


def record(server, path, offset, length):
    """Bytes [offset, offset+length) of the disk at `path` were written."""
    changes = tracked(server, path)
    if changes is not None:
        changes.record(offset, length)


def record_replacement(server, path, replacement):
    """File `replacement` is about to take the place of the tracked disk
    file at `path`: every block where the disk reads differently counts as
    written (a delta's holes read through to its parents)."""
    changes = tracked(server, path)
    if changes is None:
        return
    below = disk_data.extents_below(server, path)
    with disk_data.Chain(below + [path]) as old, disk_data.Chain(below + [replacement]) as new:
        for offset, length in _differences(old, new):
            changes.record(offset, length)


def _differences(old, new):
    """(offset, length) of the blocks where two Chains' bytes differ,
    compared in COMPARE_CHUNK steps where either holds data."""
    regions = [(start, end - start) for start, end in old.ranges(float('inf')) +
               new.ranges(float('inf'))]
    for start, length in _merged(sorted(_aligned(regions))):
        for offset in range(start, start + length, COMPARE_CHUNK):
            count = min(COMPARE_CHUNK, start + length - offset)
            a, b = new.read(offset, count), old.read(offset, count)
            if a == b:
                continue
            for block in range(0, count, BLOCK):
                if a[block:block + BLOCK] != b[block:block + BLOCK]:
                    yield offset + block, min(BLOCK, count - block)


def _aligned(regions):
    """Regions widened to whole blocks."""
    return [(start // BLOCK * BLOCK,
             (start + length + BLOCK - 1) // BLOCK * BLOCK - start // BLOCK * BLOCK)
            for start, length in regions]


def _merged(regions):
    out = []
    for start, length in regions:
        if out and start <= out[-1][0] + out[-1][1]:
            last_start, last_length = out[-1]
            out[-1] = (last_start, max(last_length, start + length - last_start))
        else:
            out.append((start, length))
    return out


def block_runs(blocks, start, capacity):
    """(start, length) runs of `blocks` from byte `start` to `capacity`."""
    runs = []
    for block in sorted(blocks):
        first = max(block * BLOCK, start)
        end = min((block + 1) * BLOCK, capacity)
        if end <= first:
            continue
        if runs and runs[-1][0] + runs[-1][1] == first:
            runs[-1] = (runs[-1][0], end - runs[-1][0])
        else:
            runs.append((first, end - first))
    return runs


def allocated_runs(paths, start, capacity):
    """The runs of the disk whose extents are `paths` (base first) that
    hold data (changeId '*')."""
    with disk_data.Chain(paths) as chain:
        regions = chain.ranges(capacity)
    blocks = set()
    for first, end in regions:
        blocks.update(range(first // BLOCK, (end + BLOCK - 1) // BLOCK))
    return block_runs(blocks, start, capacity)


def no_change_records(name):
    """ESXi's answer for a disk without (those) change records."""
    return fault('FileFault', 'Error caused by file %s' % name, file=name)


def change_info(T, changes, paths, capacity, thin, start_offset, change_id, until, name):
    """QueryChangedDiskAreas' DiskChangeInfo for the tracked disk whose data
    is in the extents `paths` (base first): from `start_offset`, what was written after the point
    `change_id` names up to point `until` (change id '*': every allocated
    area, the whole disk when thick). FileFault for a change id these
    records do not know."""
    if not 0 <= start_offset < capacity:
        raise fault('InvalidArgument', 'A specified parameter was not correct: startOffset',
                    invalidProperty='startOffset')
    if change_id == '*':
        runs = allocated_runs(paths, start_offset, capacity) if thin \
            else [(start_offset, capacity - start_offset)]
    else:
        since = changes.point_of(change_id)
        if since is None or until is None or since > until:
            raise no_change_records(name)
        runs = block_runs(changes.changed_between(since, until), start_offset, capacity)
    return T.DiskChangeInfo(startOffset=start_offset, length=capacity - start_offset,
                            changedArea=[T.DiskChangeExtent(start=start, length=length)
                                         for start, length in runs])
