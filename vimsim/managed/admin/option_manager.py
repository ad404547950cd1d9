"""OptionManager: vCenter's `VpxSettings` and an ESXi host's `HostAgentSettings`.

`setting` holds the current values (OptionValue, typed: string, int or
boolean as vpxd sends them); `supportedOption` the OptionDefs of the
user-visible ones. Values that name the server (instance name, FQDN, URLs)
follow the simulated server's host name.
"""
from vimsim.managed.manager import Manager, manager_type, server_fqdn
from vimsim.soap.fault import fault

STR, INT, BOOL = 'string', 'int', 'boolean'

# (key, type, default, label, summary, (min, max) for ints); label None = no OptionDef.
# '{fqdn}' in a string default is the server's host name.
VPX_SETTINGS = (
    ('ads.checkInterval', INT, 1440, 'User validation interval', 'Interval in minutes '
     'between each validation of user and group names. Set to zero to disable validation',
     (0, 2147483647)),
    ('ads.checkIntervalEnabled', BOOL, True, 'Enable user validation',
     'Enable validation of users and groups', None),
    ('ads.maxFetch', INT, 5000, 'Maximum users to retrieve', 'Maximum number of users and '
     'groups to display in the Add Permissions dialog', (0, 2147483647)),
    ('ads.maxFetchEnabled', BOOL, True, 'Enable user retrieve limits',
     'Enable Active Directory query limits', None),
    ('ads.timeout', INT, 60, 'User retrieve timeout', 'Number of seconds to wait for a search '
     'for users and groups to return results', (5, 180)),
    ('client.timeout.long', INT, 120, 'Long operation client timeout', 'Number of seconds to '
     'wait for a response from the vCenter Server for long operations', (5, 2147483647)),
    ('client.timeout.normal', INT, 30, 'Client timeout', 'Number of seconds to wait for a '
     'response from the vCenter Server for short operations', (5, 2147483647)),
    ('client.VerifySSLCertificates', BOOL, True, 'Verify SSL certificates', 'Requires that '
     'remote servers present valid X.509 certificates when making SSL connections', None),
    ('config.log.level', STR, 'info', None, None, None),
    ('config.log.maxFileNum', STR, '30', None, None, None),
    ('config.log.maxFileSize', STR, '52428800', None, None, None),
    ('config.log.outputToConsole', STR, 'false', None, None, None),
    ('config.log.outputToFiles', STR, 'true', None, None, None),
    ('config.vpxd.enableDebugBrowse', BOOL, True, 'Debug Managed Object Browser enabled',
     'Read-only flag indicating whether the Debug Managed Object Browser is enabled on the '
     'vCenter Server', None),
    ('config.vpxd.sso.admin.uri', STR, 'https://{fqdn}/sso-adminserver/sdk/vsphere.local',
     None, None, None),
    ('config.vpxd.sso.default.admin', STR, 'Administrator@vsphere.local', None, None, None),
    ('config.vpxd.sso.default.isGroup', STR, 'false', None, None, None),
    ('config.vpxd.sso.groupcheck.uri', STR,
     'https://{fqdn}/sso-adminserver/sdk/vsphere.local', None, None, None),
    ('config.vpxd.sso.solutionUser.certificate', STR, '/etc/vmware-vpx/ssl/vcsoluser.crt',
     None, None, None),
    ('config.vpxd.sso.solutionUser.name', STR, 'vpxd-{uuid}@vsphere.local', None, None, None),
    ('config.vpxd.sso.solutionUser.privateKey', STR, '/etc/vmware-vpx/ssl/vcsoluser.key',
     None, None, None),
    ('config.vpxd.sso.sts.uri', STR, 'https://{fqdn}/sts/STSService/vsphere.local',
     None, None, None),
    ('event.batchsize', INT, 2000, 'Batch size in cleanup events procedure',
     'Number of rows purged per loop by the event cleanup procedure', (1, 2147483647)),
    ('event.maxAge', INT, 30, 'Maximum event age',
     'Maximum age in days an event remains in the database', (1, 360000)),
    ('event.maxAgeEnabled', BOOL, True, 'Enable event cleanup',
     'Remove events older than the maximum event age', None),
    ('instance.id', INT, 27, 'Instance ID', 'Unique instance identifier for vCenter', (0, 63)),
    ('log.level', STR, 'info', 'Logging level', 'Amount of detail collected in the log files',
     None),
    ('mail.sender', STR, '', 'Mail sender',
     'Email address for email alerts (for example, alarm@company.com)', None),
    ('mail.smtp.port', INT, 25, 'SMTP server port',
     'SMTP server port number. Typically, this port number is 25', (1, 65535)),
    ('mail.smtp.server', STR, '', 'SMTP server',
     'SMTP server IP address or DNS name (for example, smtp.company.com)', None),
    ('Perf.Stats.MaxCollectionThreads', INT, 2, 'Maximum statistics collection threads',
     'Maximum number of threads dedicated to performance statistics collection', (1, 16)),
    ('snmp.receiver.1.community', STR, 'public', 'First SNMP receiver community',
     'Community string for SNMP trap (for example, public)', None),
    ('snmp.receiver.1.enabled', BOOL, True, 'Enable first SNMP receiver',
     'Whether SNMP traps are sent to this SNMP receiver', None),
    ('snmp.receiver.1.name', STR, 'localhost', 'First SNMP receiver name',
     'SNMP receiver IP address or DNS name', None),
    ('snmp.receiver.1.port', INT, 162, 'First SNMP receiver port',
     'SNMP receiver port number', (1, 65535)),
    ('task.batchsize', INT, 2000, 'Batch size in cleanup tasks procedure',
     'Number of rows purged per loop by the task cleanup procedure', (1, 2147483647)),
    ('task.maxAge', INT, 30, 'Maximum task age',
     'Maximum age in days a task remains in the database', (1, 2147483647)),
    ('task.maxAgeEnabled', BOOL, True, 'Enable event cleanup',
     'Remove tasks older than the maximum task age', None),
    ('VirtualCenter.AutoManagedIPV4', STR, '127.0.0.1',
     'Automatically discovered vCenter management IPv4 address', 'The automatically '
     'discovered IPv4 address of the vCenter Server to which managed hosts send heartbeats',
     None),
    ('VirtualCenter.AutoManagedIPV6', STR, '',
     'Automatically discovered vCenter management IPv6 address', 'The automatically '
     'discovered IPv6 address of the vCenter Server to which managed hosts send heartbeats',
     None),
    ('VirtualCenter.FQDN', STR, '{fqdn}', 'vCenter FQDN',
     'The fully qualified domain name of the vCenter Server', None),
    ('VirtualCenter.InstanceName', STR, '{fqdn}', 'Instance name',
     'Name of this vCenter instance', None),
    ('VirtualCenter.ManagedIP', STR, '', 'vCenter management IP address',
     'IP address of the vCenter Server to which managed hosts will send heartbeats', None),
    ('VirtualCenter.MaxDBConnection', INT, 50, 'Maximum database connections',
     'Maximum number of database connections', (5, 128)),
    ('VirtualCenter.VimApiUrl', STR, 'https://{fqdn}:443/sdk', 'VIM API URL',
     'The URL used for VIM API or vSphere Client access to this vCenter instance', None),
    ('VirtualCenter.VimPasswordExpirationInDays', INT, 30, 'Password expiration',
     'VIM password expiration (days)', (0, 2147483647)),
    ('vpxd.cert.threshold', INT, 30, 'Certificate Management Threshold (in days)',
     'When this threshold is reached, the vCenter Server system displays red alarms about '
     'the impending certificate expiration', (1, 5475)),
    ('vpxd.certmgmt.mode', STR, 'vmca', 'ESXi Certificate Management Mode',
     "The ESXi host's certificate management mode. Possible values are vmca, custom, "
     'thumbprint.', None),
    ('vpxd.event.syslog.enabled', BOOL, True, 'Enable syslog streaming',
     'Enable streaming of events to syslog', None),
    ('vpxd.httpClientIdleTimeout', INT, 900, 'Http Client Pool Idle Timeout',
     'Http client pool idle connection timeout value in seconds, set to -1 to disable the '
     'timeout', (-1, 2147483647)),
    ('vpxd.locale', STR, '', 'Server locale',
     'Locale to use for server-generated object names', None),
    ('vpxd.motd', STR, '', 'Global message',
     'The global message shown to clients during login', None),
    ('WebService.Ports.http', INT, 80, 'HTTP port number',
     'Port on which to listen for HTTP connections', (1, 65535)),
    ('WebService.Ports.https', INT, 443, 'HTTPS port number',
     'Port on which to listen for HTTPS connections', (1, 65535)),
)

# hostd's settings on an ESXi host.
HOST_AGENT_SETTINGS = (
    ('Config.HostAgent.log.level', STR, 'info', 'Log level',
     'Amount of detail collected in the hostd log files', None),
    ('Config.HostAgent.plugins.hostsvc.esxAdminsGroup', STR, 'ESX Admins',
     'ESX Admins group', 'Active Directory group whose members get administrator access',
     None),
    ('Config.HostAgent.plugins.hostsvc.esxAdminsGroupAutoAdd', BOOL, True,
     'Add ESX Admins group automatically',
     'Grant administrator access to the ESX Admins group on domain join', None),
    ('Config.HostAgent.plugins.solo.enableMob', BOOL, False, 'Enable the MOB',
     'Enable the Managed Object Browser', None),
    ('Config.HostAgent.vmacore.soap.sessionTimeout', INT, 30, 'SOAP session timeout',
     'Idle time in minutes before a SOAP session expires', (0, 2147483647)),
    ('Vpx.Vpxa.config.log.level', STR, 'info', 'vpxa log level',
     'Amount of detail collected in the vpxa log files', None),
    ('Vpx.Vpxa.config.vpxa.hostIp', STR, '127.0.0.1', 'vpxa host IP',
     'IP address vCenter Server uses for this host', None),
    ('Vpx.Vpxa.config.vpxa.hostKey', STR, '', 'vpxa host key',
     'Host key of this host in vCenter Server', None),
)


def _option_type(T, kind, default, bounds):
    if kind == INT:
        low, high = bounds or (-2147483648, 2147483647)
        return T['IntOption'].cls(valueIsReadonly=False, min=low, max=high,
                                  defaultValue=default)
    if kind == BOOL:
        return T['BoolOption'].cls(valueIsReadonly=False, supported=True, defaultValue=default)
    return T['StringOption'].cls(valueIsReadonly=False, defaultValue=default)


def query_options(settings, name):
    """OptionManager.QueryOptions over `settings`: all of them when `name` is
    unset, a subtree when it ends with a dot ('VirtualCenter.'), else the one
    exact key; InvalidName when nothing matches."""
    if not name:
        return list(settings)
    if name.endswith('.'):
        found = [o for o in settings if o.key.startswith(name)]
    else:
        found = [o for o in settings if o.key == name]
    if not found:
        raise fault('InvalidName', 'A specified parameter was not correct: name',
                    name=name)
    return found


VCSIM_SERVER_URL = 'vcsim.server.url'


@manager_type('OptionManager')
class OptionManager(Manager):

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        T = server.schema.types
        fqdn = server_fqdn(server)
        table = HOST_AGENT_SETTINGS if server.esx else VPX_SETTINGS
        self.setting = []
        self.supportedOption = []
        server.option_manager = self
        for key, kind, default, label, summary, bounds in table:
            if isinstance(default, str):
                default = default.replace('{fqdn}', fqdn).replace(
                    '{uuid}', '5c0ffee0-0000-4000-8000-00000000cafe')
            self.setting.append(T['OptionValue'].cls(key=key, value=default))
            if label is not None:
                self.supportedOption.append(T['OptionDef'].cls(
                    key=key, label=label, summary=summary,
                    optionType=_option_type(T, kind, default, bounds)))
        if server.served_at is not None and not server.esx:   # a reset's new model
            self.setting.append(T['OptionValue'].cls(key=VCSIM_SERVER_URL,
                                                     value=server.served_at))

    def vcsim_server_url(self, url):
        """vcsim's own setting of where it serves (scheme://host:port, no
        path and no credentials), which suites written for vcsim read; a
        real vCenter has none."""
        for option in self.setting:
            if option.key == VCSIM_SERVER_URL:
                option.value = url
                break
        else:
            self.setting.append(self.server.schema.types['OptionValue'].cls(
                key=VCSIM_SERVER_URL, value=url))
        self.changed('setting')

    # -- methods ---------------------------------------------------------------
    def QueryOptions(self, ctx, name=None):
        return query_options(self.setting, name)

    def UpdateOptions(self, ctx, changedValue=None):
        """Set (or add) settings; a known setting keeps its value's type."""
        by_key = {o.key: o for o in self.setting}
        for change in changedValue or ():
            current = by_key.get(change.key)
            if current is None:
                current = type(change)(key=change.key, value=change.value)
                self.setting.append(current)
                by_key[change.key] = current
            else:
                current.value = change.value
        self.changed('setting')
