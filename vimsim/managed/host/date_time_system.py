"""HostDateTimeSystem: a host's clock (HostSystem.configManager.dateTimeSystem)."""
from datetime import timedelta

from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.managed.monitoring.task import now


class HostDateTimeSystem(HostManagerObject):
    """HostSystem.configManager.dateTimeSystem: the host's clock, kept as an
    offset from the simulator's so it goes on ticking after UpdateDateTime."""
    type_name = 'HostDateTimeSystem'
    offset = timedelta(0)

    def QueryDateTime(self, ctx):
        return now() + self.offset

    def UpdateDateTime(self, ctx, dateTime):
        self.offset = dateTime - now()
