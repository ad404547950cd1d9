"""HostDateTimeSystem: a host's clock (HostSystem.configManager.dateTimeSystem)."""
from datetime import datetime, timedelta, timezone

from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.managed.monitoring.task import now
from vimsim.soap.fault import InvalidArgument


class HostDateTimeSystem(HostManagerObject):
    """HostSystem.configManager.dateTimeSystem: the host's clock, kept as an
    offset from the simulator's so it goes on ticking after UpdateDateTime.
    A time the clock could not go on keeping (dateTimes end with year 9999)
    is refused: a year's margin before that end."""
    type_name = 'HostDateTimeSystem'
    offset = timedelta(0)
    LATEST = datetime(9999, 1, 1, tzinfo=timezone.utc)

    def QueryDateTime(self, ctx):
        return now() + self.offset

    def UpdateDateTime(self, ctx, dateTime):
        if dateTime >= self.LATEST:
            raise InvalidArgument('dateTime')
        self.offset = dateTime - now()
