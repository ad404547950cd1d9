"""When a scheduled task runs next: the TaskScheduler kinds as vCenter reads
them, in UTC, checked when the task is made.

A recurrent scheduler's `interval` counts its own units (hours, days, weeks,
months) from its first run at or after the anchor (activeTime, else when the
task was made or reconfigured); nothing runs before activeTime or after
expireTime.
"""
import calendar
from datetime import timedelta

from vimsim.soap.fault import InvalidArgument

WEEKDAYS = ('monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday')
WEEK_OFFSETS = ('first', 'second', 'third', 'fourth', 'last')
HOUR, DAY, WEEK = timedelta(hours=1), timedelta(days=1), timedelta(weeks=1)
MINUTE = timedelta(minutes=1)
LAST_YEAR = 9000   # schedules end before it: a datetime ends with 9999


def check_scheduler(scheduler, argument='spec.scheduler'):
    """InvalidArgument naming the field vCenter would refuse."""
    kind = scheduler._type

    def within(field, low, high):
        value = getattr(scheduler, field)
        if value is None or not low <= value <= high:
            raise InvalidArgument('%s.%s' % (argument, field))
    if kind.is_a('AfterStartupTaskScheduler'):
        within('minute', 0, 10 ** 6)
    elif kind.is_a('HourlyTaskScheduler'):   # a bare RecurrentTaskScheduler is internal
        within('interval', 1, 10 ** 4)
        within('minute', 0, 59)
        if kind.is_a('DailyTaskScheduler'):
            within('hour', 0, 23)
        if kind.is_a('WeeklyTaskScheduler') and not any(
                getattr(scheduler, day) for day in WEEKDAYS):
            raise InvalidArgument(argument + '.monday')
        if kind.is_a('MonthlyByDayTaskScheduler'):
            within('day', 1, 31)
        elif kind.is_a('MonthlyByWeekdayTaskScheduler'):
            if scheduler.offset not in WEEK_OFFSETS:
                raise InvalidArgument(argument + '.offset')
            if scheduler.weekday not in WEEKDAYS:
                raise InvalidArgument(argument + '.weekday')
        elif kind.is_a('MonthlyTaskScheduler'):   # names no day
            raise InvalidArgument(argument)
    elif not kind.is_a('OnceTaskScheduler'):
        raise InvalidArgument(argument)
    for field in ('activeTime', 'expireTime', 'runAt'):   # room for the next runs
        moment = getattr(scheduler, field, None)
        if moment is not None and moment.year >= LAST_YEAR:
            raise InvalidArgument('%s.%s' % (argument, field))
    if scheduler.activeTime and scheduler.expireTime and \
            scheduler.expireTime <= scheduler.activeTime:
        raise InvalidArgument(argument + '.expireTime')


def next_run(scheduler, after, anchor, started):
    """The first run strictly after `after` (an aware datetime: the last run,
    or just before `anchor` when none was), or None. `anchor`: when the
    schedule started counting; `started`: when vCenter (the simulator)
    started, for AfterStartupTaskScheduler."""
    kind = scheduler._type
    if scheduler.activeTime:
        anchor = max(anchor, scheduler.activeTime)
    if kind.is_a('OnceTaskScheduler'):
        moment = max(scheduler.runAt or anchor, anchor)   # a time past: at once
    elif kind.is_a('AfterStartupTaskScheduler'):
        moment = started + scheduler.minute * MINUTE
    else:
        moment = _recurrent(scheduler, kind, after, anchor)
    if moment is None or moment <= after or (
            scheduler.expireTime and moment > scheduler.expireTime):
        return None
    return moment


def _recurrent(scheduler, kind, after, anchor):
    """The next slot after `after` of a recurrent scheduler, every
    `interval`-th counting from the first slot at or after `anchor`."""
    first = moment = _slot_after(scheduler, kind, anchor - timedelta(microseconds=1))
    while moment <= after or _units_between(kind, first, moment) % scheduler.interval:
        moment = _slot_after(scheduler, kind, moment)
        if moment.year >= LAST_YEAR:
            return None
    return moment


def _units_between(kind, first, moment):
    if kind.is_a('MonthlyTaskScheduler'):
        return (moment.year - first.year) * 12 + moment.month - first.month
    if kind.is_a('WeeklyTaskScheduler'):
        start = first - first.weekday() * DAY
        return (moment - start).days // 7
    if kind.is_a('DailyTaskScheduler'):
        return (moment.date() - first.date()).days
    return int((moment - first.replace(minute=0, second=0, microsecond=0)) // HOUR)


def _slot_after(scheduler, kind, after):
    """The next moment strictly after `after` the scheduler's pattern names."""
    base = after.replace(second=0, microsecond=0)
    if kind.is_a('MonthlyTaskScheduler'):
        year, month = base.year, base.month
        for _ in range(14):
            day = _month_day(scheduler, kind, year, month)
            moment = base.replace(year=year, month=month, day=day, hour=scheduler.hour,
                                  minute=scheduler.minute)
            if moment > after:
                return moment
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        raise AssertionError('a month always has the day')
    if kind.is_a('DailyTaskScheduler'):
        moment = base.replace(hour=scheduler.hour, minute=scheduler.minute)
        while moment <= after or (kind.is_a('WeeklyTaskScheduler') and not getattr(
                scheduler, WEEKDAYS[moment.weekday()])):
            moment += DAY
        return moment
    moment = base.replace(minute=scheduler.minute)
    while moment <= after:
        moment += HOUR
    return moment


def _month_day(scheduler, kind, year, month):
    days = calendar.monthrange(year, month)[1]
    if kind.is_a('MonthlyByDayTaskScheduler'):
        return min(scheduler.day, days)   # the 31st of a short month: its last day
    weekday = WEEKDAYS.index(scheduler.weekday)
    matching = [d for d in range(1, days + 1) if calendar.weekday(year, month, d) == weekday]
    return matching[-1] if scheduler.offset == 'last' else \
        matching[WEEK_OFFSETS.index(scheduler.offset)]
