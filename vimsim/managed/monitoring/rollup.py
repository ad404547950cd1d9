"""Roll-ups kept by deltas: sums over a changing set of members (a
datastore's VMs, a cluster's, a pool's), where a read costs what changed
since the last read, not the number of members.

A roll-up counts the members of one or more sources, each a `Members` list
(a datastore's, a host's or a pool's `vms`), which tells the roll-ups
following it of every member added or removed; a member listed by several
sources counts once. It keeps each member's part (a tuple of numbers) as
last read and their total; the change hub tells it of every member that
reported a change (`obj.changed`, the model's one mutation path), and only
those members' parts are read again at the next read. A figure that also
moves with time (the load model's) is not a part: its reader caches it.
"""

ALIKE_KEPT = 4096     # distinct parts a roll-up shares at most


class Members(list):
    """A list of a container's members that tells the roll-ups following it
    of each member it gains or loses."""
    __slots__ = ('rollups',)

    def __init__(self, items=()):
        super().__init__(items)
        self.rollups = ()

    def __reduce__(self):
        """Pickled (a -state snapshot) with the roll-ups that follow it; its
        items come back through __init__, before any roll-up is told."""
        return Members, (list(self),), self.rollups

    def __setstate__(self, rollups):
        self.rollups = rollups

    def _counted(self, items, step):
        for rollup in self.rollups:
            for item in items:
                rollup.count(item, step)

    def append(self, item):
        super().append(item)
        if self.rollups:
            self._counted((item,), 1)

    def insert(self, index, item):
        super().insert(index, item)
        if self.rollups:
            self._counted((item,), 1)

    def extend(self, items):
        items = list(items)
        super().extend(items)
        if self.rollups:
            self._counted(items, 1)

    def __iadd__(self, items):
        self.extend(items)
        return self

    def remove(self, item):
        super().remove(item)
        if self.rollups:
            self._counted((item,), -1)

    def pop(self, index=-1):
        item = super().pop(index)
        if self.rollups:
            self._counted((item,), -1)
        return item

    def clear(self):
        self._replaced(lambda: super(Members, self).clear())

    def __setitem__(self, index, value):
        self._replaced(lambda: super(Members, self).__setitem__(index, value))

    def __delitem__(self, index):
        self._replaced(lambda: super(Members, self).__delitem__(index))

    def __imul__(self, times):
        self._replaced(lambda: super(Members, self).__imul__(times))
        return self

    def _replaced(self, change):
        """Run a change that may replace any members: count the old ones out
        and the new ones in."""
        before = list(self)
        change()
        if self.rollups:
            self._counted(before, -1)
            self._counted(list(self), 1)


class Rollup:
    """The total of `part(member)` over the members of the sources followed
    (see the module doc); `width` numbers per part. Equal parts are kept
    once, so a million alike VMs cost a dictionary entry each."""

    def __init__(self, hub, part, width):
        self.hub = hub
        self.part = part
        self.zero = (0,) * width
        self.parts = {}       # member -> its part when last read (zero until read)
        self.extra = {}       # member -> how many sources list it, where more than one
        self.stale = {}       # members whose part is read again at the next read
        self.sum = [0] * width
        self.sources = {}     # id -> a followed Members list
        self._alike = {}      # part -> the one tuple kept for it
        # a member's tuple of roll-ups (the hub's rollups_of) -> it with this
        # one, and without: members alike share one tuple
        self._joined = {}
        self._left = {}

    def follow(self, sources):
        """Count exactly the members of `sources` (Members lists) from now on:
        the lists no longer among them are counted out, new ones in."""
        if len(sources) == len(self.sources) and all(
                self.sources.get(id(source)) is source for source in sources):
            return
        wanted = {id(source): source for source in sources}
        for key in [key for key in self.sources if key not in wanted]:
            source = self.sources.pop(key)
            source.rollups = tuple(r for r in source.rollups if r is not self)
            for member in source:
                self.count(member, -1)
        for key, source in wanted.items():
            if key not in self.sources:
                self.sources[key] = source
                source.rollups += (self,)
                for member in source:
                    self.count(member, 1)

    def count(self, member, step):
        """A source gained (step 1) or lost (-1) `member`."""
        if member in self.parts:
            listed = self.extra.pop(member, 1) + step
            if listed > 1:
                self.extra[member] = listed
            if listed > 0:
                return
            self.stale.pop(member, None)
            self.moved(self.parts.pop(member), self.zero)
            held = self.hub.rollups_of.pop(member, ())
            left = self._left.get(held)
            if left is None:
                left = self._left[held] = tuple(r for r in held if r is not self)
            if left:
                self.hub.rollups_of[member] = left
        elif step > 0:
            self.parts[member] = self.zero
            self.stale[member] = None
            held = self.hub.rollups_of.get(member, ())
            joined = self._joined.get(held)
            if joined is None:
                joined = self._joined[held] = held + (self,)
            self.hub.rollups_of[member] = joined

    def touch(self, member):
        """`member` reported a change: its part is read again at the next read."""
        self.stale[member] = None

    def total(self):
        """The total over the members now (a tuple)."""
        self._read(None)
        return tuple(self.sum)

    def read_some(self, count):
        """Read `count` of the parts to read again at most (a reader spreading
        a re-read of many members over steps); whether any are left."""
        self._read(count)
        return bool(self.stale)

    def _read(self, count):
        """Read the stale parts again, `count` at most (None: all)."""
        stale, parts = self.stale, self.parts
        while stale and (count is None or count > 0):
            if count is not None:
                count -= 1
            member, _ = stale.popitem()
            try:
                new = self.part(member)
            except BaseException:
                stale[member] = None
                raise
            if len(self._alike) > ALIKE_KEPT:
                self._alike.clear()
            new = self._alike.setdefault(new, new)
            old = parts[member]
            if new is not old:
                self.moved(old, new)
                parts[member] = new

    def moved(self, old, new):
        """A member's part went from `old` to `new` (the zero part as it
        comes or goes): the total follows."""
        total = self.sum
        for i, (value, before) in enumerate(zip(new, old)):
            total[i] += value - before

    def reread(self):
        """Every member's part is read again at the next read (parts that
        move with time, in a new sample)."""
        self.stale = dict.fromkeys(self.parts)

    def __len__(self):
        """How many members are counted."""
        return len(self.parts)

    def close(self):
        """Stop following every source (the roll-up's owner is gone)."""
        self.follow(())
