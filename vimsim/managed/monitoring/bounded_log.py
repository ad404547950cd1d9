"""An oldest-first log bounded by count and by approximate size.

Event and task stores are bounded by count as vCenter's tables are, but what
clients put in them (PostEvent's strings, a CreateTask's initiator, a task
result set through SetTaskState, a ConfigSpec carried by an event) has no size
of its own: 100,000 events of 1 MB each would be 100 GB. Each entry is
weighed once, roughly (the bytes its strings and containers take), and the
oldest entries go when either bound is passed.
"""
import collections
import operator

from vimsim.schema import DataObject, MoRef

_SMALL = 16            # a number, a flag, an unset field
_STRING = 49           # an empty str object
_CONTAINER = 56        # an empty list or object


def approximate_size(value):
    """Roughly the bytes `value` (a data object, list, string...) keeps alive."""
    kind = type(value)
    if kind is str or kind is bytes or kind is bytearray:
        return _STRING + len(value)
    if value is None or kind in _SCALARS:
        return _SMALL
    if kind is list or kind is tuple:
        return _CONTAINER + sum(map(approximate_size, value))
    if isinstance(value, DataObject):
        fields = _FIELDS.get(kind) or _FIELDS.setdefault(kind, _fields_of(kind._type._names))
        total = _CONTAINER
        for field in fields(value):   # unset fields and strings weighed here (most of them)
            if field is None:
                total += _SMALL
            elif type(field) is str:
                total += _STRING + len(field)
            else:
                total += approximate_size(field)
        return total
    if kind is MoRef:
        return _CONTAINER + len(value.type) + len(value.value)
    if isinstance(value, (str, bytes)):
        return _STRING + len(value)
    return _CONTAINER


def _fields_of(names):
    """A function giving an object's values of `names`, as a tuple."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    if names:
        get = operator.attrgetter(names[0])
        return lambda obj: (get(obj),)
    return lambda obj: ()


_SCALARS = (bool, int, float)
_FIELDS = {}      # data class -> its fields' getter


class BoundedLog:
    """Entries oldest first, at most `maxlen` of them and about `max_bytes`
    in all; `append` returns a handle whose size `resize` may change later
    (a task's info grows when it gets its result)."""

    def __init__(self, maxlen, max_bytes):
        self.maxlen = maxlen
        self.max_bytes = max_bytes
        self.bytes = 0
        self._cells = collections.deque()     # [size, entry]

    def append(self, entry, size):
        cell = [size, entry]
        self._cells.append(cell)
        self.bytes += size
        self._trim()
        return cell

    def resize(self, cell, size):
        self.bytes += size - cell[0]
        cell[0] = size
        self._trim()

    def _trim(self):
        cells = self._cells
        while len(cells) > self.maxlen or (self.bytes > self.max_bytes and len(cells) > 1):
            self.bytes -= cells.popleft()[0]

    def __len__(self):
        return len(self._cells)

    def __iter__(self):
        return (cell[1] for cell in self._cells)

    def __reversed__(self):
        return (cell[1] for cell in reversed(self._cells))

    def oldest(self):
        return self._cells[0][1] if self._cells else None
