"""HostCpuSchedulerSystem: hyperthreading (HostSystem.configManager.cpuScheduler).

`config` is the boot option for the next boot (on by default, as ESXi
ships); hyperthreading is `active` only where the CPU has hyperthreads
(`available`) and the option was on at boot. The simulated CPU has as many
threads as cores, so it is never active, whatever the option says.
"""
from vimsim.managed.host.config_managers import HostManagerObject


class HostCpuSchedulerSystem(HostManagerObject):
    type_name = 'HostCpuSchedulerSystem'
    available = False

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.configured = True

    @property
    def hyperthreadInfo(self):
        return self.host.T.HostHyperThreadScheduleInfo(
            available=self.available, active=self.available and self.configured,
            config=self.configured)

    def _configure(self, enabled):
        if self.configured != enabled:
            self.configured = enabled
            self.report('hyperthreadInfo')

    def EnableHyperThreading(self, ctx):
        self._configure(True)

    def DisableHyperThreading(self, ctx):
        self._configure(False)
