"""The model's clock: the time the model stamps on what it keeps (task and
event times, creation, boot and snapshot times) and decides by (a task's
simulated duration).

It is the wall clock, moved ahead by what tests advanced it (`advance`, the
control surface's way to let simulated hours pass at once), except while
-state runs or replays one journaled record (vimsim/state): then it stands
still at that record's time, so that a replay stamps and decides exactly as
the original run did. Times are whole microseconds, the resolution of a
datetime, so a journaled time round-trips exactly.
"""
import contextlib
import time
from datetime import datetime, timedelta, timezone

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)

_frozen = None   # microseconds since the epoch while a record runs, else None
_ahead = 0       # microseconds the clock was advanced past the wall clock


def microseconds():
    """Now, in whole microseconds since the epoch."""
    return _frozen if _frozen is not None else time.time_ns() // 1000 + _ahead


def advance(microseconds_ahead):
    """Move the clock ahead by whole microseconds."""
    global _ahead
    if microseconds_ahead < 0:
        raise ValueError('the clock never goes back')
    _ahead += microseconds_ahead


def ahead():
    """Microseconds the clock was advanced past the wall clock."""
    return _ahead


def take_back(microseconds_back):
    """Undo advances (no further than the wall clock): for tests, which
    share the clock with every simulator of their process
    (Simulator.time.take_back moves the model timers back with it)."""
    global _ahead
    if not 0 <= microseconds_back <= _ahead:
        raise ValueError('only time advanced can be taken back')
    _ahead -= microseconds_back


def seconds():
    """Now, in seconds since the epoch (what reactor.seconds() says)."""
    return microseconds() / 1e6


def now():
    """Now, as an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=microseconds())


def microseconds_of(moment):
    """An aware datetime, in whole microseconds since the epoch."""
    return (moment - EPOCH) // MICROSECOND


@contextlib.contextmanager
def frozen(at):
    """Hold the clock at `at` (microseconds since the epoch) for a while."""
    global _frozen
    outer, _frozen = _frozen, at
    try:
        yield
    finally:
        _frozen = outer
