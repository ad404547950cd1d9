"""HostDateTimeSystem: a host's clock and time service
(HostSystem.configManager.dateTimeSystem).

The clock is kept as an offset from the simulator's, so it goes on ticking
after UpdateDateTime; a time the clock could not go on keeping (dateTimes
end with year 9999) is refused, a year's margin before that end.

The time service is NTP (ntpd) or PTP (ptpd), one of the host's services:
`enabled` in UpdateDateTimeConfig starts the protocol's daemon with policy
`on` (or stops it, policy `off`), as hostd does, and `dateTimeInfo` reports
it synchronised while that daemon runs with somewhere to synchronise from.
ESXi keeps its clock in UTC: that is the only time zone it offers.
"""
from datetime import datetime, timedelta, timezone

from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.managed.monitoring.task import now
from vimsim.soap.fault import InvalidArgument

DAEMONS = {'ntp': 'ntpd', 'ptp': 'ptpd'}        # HostDateTimeInfoProtocol -> service
# the lines hostd writes around the servers of /etc/ntp.conf
NTP_CONF_HEADER = ('restrict default nomodify notrap nopeer noquery', 'restrict 127.0.0.1',
                   'restrict -6 ::1', 'driftfile /etc/ntp.drift',
                   'logconfig +clockstatus +peerstatus +sysstatus +syncstatus')
PTP_DOMAINS = range(0, 256)        # IEEE 1588 domain numbers
PTP_DEVICE_TYPES = ('none', 'virtualNic', 'pciPassthruNic')
MAX_PTP_PORTS = 32                 # HostCapability.maxSupportedPtpPorts
MAX_SERVER_NAME = 255


def ntp_conf(servers):
    return list(NTP_CONF_HEADER) + ['server %s' % server for server in servers]


def servers_of(config_file):
    """The servers an ntp.conf names."""
    return [line.split()[1] for line in config_file
            if line.startswith('server ') and len(line.split()) > 1]


def _check_servers(servers):
    for server in servers:
        if not server or len(server) > MAX_SERVER_NAME or any(c.isspace() for c in server):
            raise InvalidArgument('config.ntpConfig.server')


def _check_ptp(ptp):
    if ptp.domain is not None and ptp.domain not in PTP_DOMAINS:
        raise InvalidArgument('config.ptpConfig.domain')
    ports = ptp.port
    if len(ports) > MAX_PTP_PORTS or len({port.index for port in ports}) != len(ports):
        raise InvalidArgument('config.ptpConfig.port')
    for port in ports:
        if port.index is None or port.index < 0 or port.deviceType is not None and \
                port.deviceType not in PTP_DEVICE_TYPES:
            raise InvalidArgument('config.ptpConfig.port')


class HostDateTimeSystem(HostManagerObject):
    type_name = 'HostDateTimeSystem'
    LATEST = datetime(9999, 1, 1, tzinfo=timezone.utc)

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.offset = timedelta(0)
        self._factory_defaults()

    def _factory_defaults(self):
        T = self.host.T
        self.protocol = 'ntp'
        self.ntp_servers = []
        self.ntp_config_file = []
        self.ptp_config = T.HostPtpConfig(domain=0, port=[T.HostPtpConfigPtpPort(index=0)])
        self.disable_events = False
        self.disable_fallback = True

    # -- reading -------------------------------------------------------------
    def _services(self):
        return self.host.managers['serviceSystem']

    def _daemon_running(self):
        return self._services().is_running(DAEMONS[self.protocol])

    def _has_source(self):
        return bool(self.ntp_servers) if self.protocol == 'ntp' else \
            bool(self.ptp_config.port)

    @property
    def dateTimeInfo(self):
        T = self.host.T
        running = self._daemon_running()
        synchronised = running and self._has_source()
        return T.HostDateTimeInfo(
            timeZone=T.HostDateTimeSystemTimeZone(key='UTC', name='UTC', description='UTC',
                                                  gmtOffset=0),
            systemClockProtocol=self.protocol,
            ntpConfig=T.HostNtpConfig(server=list(self.ntp_servers),
                                      configFile=list(self.ntp_config_file)),
            ptpConfig=self.ptp_config, enabled=running,
            disableEvents=self.disable_events, disableFallback=self.disable_fallback,
            inFallbackState=False, serviceSync=synchronised,
            remoteNtpServer=self.ntp_servers[0] if synchronised and self.protocol == 'ntp'
            else None)

    # -- methods ---------------------------------------------------------------
    def QueryDateTime(self, ctx):
        return now() + self.offset

    def UpdateDateTime(self, ctx, dateTime):
        if dateTime >= self.LATEST:
            raise InvalidArgument('dateTime')
        self.offset = dateTime - now()

    def QueryAvailableTimeZones(self, ctx):
        return [self.dateTimeInfo.timeZone]

    def RefreshDateTimeSystem(self, ctx):
        """Nothing changes a simulated host's time settings behind hostd's
        back, so there is nothing to pick up."""

    def TestTimeService(self, ctx):
        """Whether the configured time service works: its daemon runs and has
        a server (NTP) or port (PTP) to synchronise from."""
        T = self.host.T
        daemon = DAEMONS[self.protocol]
        running = self._daemon_running()
        report = ['%s is %s' % (daemon, 'running' if running else 'not running')]
        if self.protocol == 'ntp':
            report.append('NTP servers: %s' % (', '.join(self.ntp_servers) or 'none'))
        else:
            report.append('PTP ports: %d' % len(self.ptp_config.port))
        return T.HostDateTimeSystemServiceTestResult(
            workingNormally=running and self._has_source(), report=report)

    def UpdateDateTimeConfig(self, ctx, config):
        """Unset fields are left unchanged; everything is checked before any
        of it applies."""
        if config.timeZone is not None and config.timeZone != 'UTC':
            raise InvalidArgument('config.timeZone')
        if config.protocol is not None and config.protocol not in DAEMONS:
            raise InvalidArgument('config.protocol')
        ntp = config.ntpConfig
        if ntp is not None:
            servers = servers_of(ntp.configFile) if ntp.configFile else list(ntp.server)
            _check_servers(servers)
        if config.ptpConfig is not None:
            _check_ptp(config.ptpConfig)
        if config.resetToFactoryDefaults:
            self._factory_defaults()
        if ntp is not None:
            self.ntp_servers = servers
            self.ntp_config_file = list(ntp.configFile) if ntp.configFile else \
                ntp_conf(servers) if servers else []
        if config.ptpConfig is not None:
            self.ptp_config = config.ptpConfig
        if config.protocol is not None:
            self.protocol = config.protocol
        if config.disableEvents is not None:
            self.disable_events = bool(config.disableEvents)
        if config.disableFallback is not None:
            self.disable_fallback = bool(config.disableFallback)
        self.report('dateTimeInfo')
        if config.enabled is not None:
            self._enable(bool(config.enabled))

    def _enable(self, enabled):
        """Start the protocol's daemon, policy `on`, and stop the other's; or
        stop and disable the time service altogether."""
        services = self._services()
        for protocol, daemon in DAEMONS.items():
            wanted = enabled and protocol == self.protocol
            services.set_state(daemon, wanted, 'on' if wanted else 'off')
