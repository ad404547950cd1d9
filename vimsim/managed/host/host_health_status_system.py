"""HostHealthStatusSystem: a host's hardware sensors and its IPMI system
event log (HostSystem.configManager.healthStatusSystem).

`runtime` is the host's `runtime.healthSystemRuntime` (every sensor green on
the simulated hardware). The system event log holds what the BMC recorded
when the host booted; ClearSystemEventLog empties it, leaving the record
IPMI writes when its log is cleared, as a BMC does. Refreshing and
resetting the sensors find them as they were: nothing fails in simulated
hardware.
"""
from vimsim import clock
from vimsim.managed.host.config_managers import HostManagerObject

# (IPMI sensor type, sensor number, message) of the records the BMC writes at boot
BOOT_RECORDS = ((0x12, 0x83, 'System Event: OEM System boot event - Assert'),
                (0x08, 0x60, 'Power Supply PS1 Status: Presence detected - Assert'),
                (0x08, 0x61, 'Power Supply PS2 Status: Presence detected - Assert'),
                (0x1d, 0x6f, 'System Boot Initiated: Initiated by power up - Assert'))
CLEARED = (0x10, 0x72, 'Event Logging Disabled SEL: Log area reset/cleared - Assert')


def _timestamp(when):
    return when.strftime('%Y-%m-%dT%H:%M:%S')


class HostHealthStatusSystem(HostManagerObject):
    type_name = 'HostHealthStatusSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.records = [(_timestamp(host.boot_time),) + record for record in BOOT_RECORDS]
        self.next_record = len(self.records) + 1

    @property
    def runtime(self):
        return self.host.health_runtime()

    def RefreshHealthStatusSystem(self, ctx):
        """The sensors read as they were (nothing fails in simulated hardware)."""

    def ResetSystemHealthInfo(self, ctx):
        """Sensors reset to their current readings: the same, all green."""

    def FetchSystemEventLog(self, ctx):
        T = self.host.T
        return [T.SystemEventInfo(recordId=number, when=when, selType=sel_type,
                                  message=message, sensorNumber=sensor)
                for number, (when, sel_type, sensor, message) in enumerate(
                    self.records, self.next_record - len(self.records))]

    def ClearSystemEventLog(self, ctx):
        self.records = [(_timestamp(clock.now()),) + CLEARED]
        self.next_record += 1
