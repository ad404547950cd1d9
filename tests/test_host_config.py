"""A host's configuration managers as Ansible's host modules and govc's
host.* commands drive them, through pyVmomi: firewall, services, date and
time, advanced settings, autostart. Each change is read back through the
manager, through `host.config` and through another session's
WaitForUpdatesEx; a re-run that changes nothing reports nothing."""
import pytest
from pyVmomi import VmomiSupport, vim, vmodl

from tests.conftest import _simulator, all_of
from tests.watching import Watcher, paths_of

Long = VmomiSupport.vmodlTypes['long']


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, vm=9)      # three VMs a cluster host




def _host(si, name='DC0_C0_H0'):
    return next(h for h in all_of(si, vim.HostSystem) if h.name == name)


def _watch(other, host, manager, kind, path, config_path):
    """Watchers of a manager's property and of the host's config part."""
    return (Watcher(other, manager, kind, [path]),
            Watcher(other, host, vim.HostSystem, [config_path]))


def _quiet(watcher):
    return watcher.changes(wait=1) == []


# -- firewall -------------------------------------------------------------------
def _ruleset(info, key):
    return next(r for r in info.ruleset if r.key == key)


def test_firewall_catalogue_is_esxi(si):
    info = _host(si).configManager.firewallSystem.firewallInfo
    keys = {r.key for r in info.ruleset}
    assert {'sshServer', 'ntpClient', 'syslog', 'vMotion', 'vpxHeartbeats', 'NFC',
            'CIMHttpServer', 'snmp', 'iSCSI', 'nfsClient'} <= keys
    ssh = _ruleset(info, 'sshServer')
    assert ssh.enabled and ssh.required
    assert [(r.port, r.direction, r.protocol) for r in ssh.rule] == [(22, 'inbound', 'tcp')]
    assert _ruleset(info, 'vpxHeartbeats').service == 'vpxa'
    assert info.defaultPolicy.incomingBlocked and info.defaultPolicy.outgoingBlocked


def test_enable_ruleset_reaches_watchers(si, other):
    host = _host(si)
    firewall = host.configManager.firewallSystem
    assert not _ruleset(firewall.firewallInfo, 'syslog').enabled
    on_manager, on_host = _watch(other, host, firewall, vim.host.FirewallSystem,
                                 'firewallInfo', 'config.firewall')
    firewall.EnableRuleset('syslog')
    assert _ruleset(firewall.firewallInfo, 'syslog').enabled
    assert _ruleset(host.config.firewall, 'syslog').enabled
    assert paths_of(on_manager.changes()) == {'firewallInfo'}
    assert paths_of(on_host.changes()) == {'config.firewall'}
    firewall.EnableRuleset('syslog')      # a re-run changes nothing
    assert _quiet(on_manager) and _quiet(on_host)
    firewall.DisableRuleset('syslog')
    assert not _ruleset(firewall.firewallInfo, 'syslog').enabled


def test_ruleset_faults(si):
    firewall = _host(si).configManager.firewallSystem
    with pytest.raises(vim.fault.NotFound):
        firewall.EnableRuleset('noSuchRuleset')
    with pytest.raises(vim.fault.HostConfigFault):
        firewall.DisableRuleset('sshServer')          # required
    with pytest.raises(vim.fault.HostConfigFault):
        firewall.EnableRuleset('CIMSLP')              # managed by its service
    assert not _ruleset(firewall.firewallInfo, 'CIMSLP').enabled
    spec = vim.host.Ruleset.RulesetSpec(allowedHosts=vim.host.Ruleset.IpList(allIp=False))
    with pytest.raises(vim.fault.HostConfigFault):
        firewall.UpdateRuleset('nfsClient', spec)     # its IP list is fixed


def test_update_ruleset_allowed_hosts(si):
    firewall = _host(si).configManager.firewallSystem
    spec = vim.host.Ruleset.RulesetSpec(allowedHosts=vim.host.Ruleset.IpList(
        allIp=False, ipAddress=['192.168.1.10'],
        ipNetwork=[vim.host.Ruleset.IpNetwork(network='10.20.0.0', prefixLength=16)]))
    firewall.UpdateRuleset('sshServer', spec)
    allowed = _ruleset(firewall.firewallInfo, 'sshServer').allowedHosts
    assert not allowed.allIp and allowed.ipAddress == ['192.168.1.10']
    assert [(n.network, n.prefixLength) for n in allowed.ipNetwork] == [('10.20.0.0', 16)]
    for bad in (vim.host.Ruleset.IpList(allIp=False, ipAddress=['300.1.1.1']),
                vim.host.Ruleset.IpList(allIp=False, ipNetwork=[
                    vim.host.Ruleset.IpNetwork(network='10.20.0.0', prefixLength=40)])):
        with pytest.raises(vmodl.fault.InvalidArgument):
            firewall.UpdateRuleset('sshServer', vim.host.Ruleset.RulesetSpec(allowedHosts=bad))
    assert _ruleset(firewall.firewallInfo, 'sshServer').allowedHosts.ipAddress == [
        '192.168.1.10']
    firewall.UpdateRuleset('sshServer', vim.host.Ruleset.RulesetSpec(
        allowedHosts=vim.host.Ruleset.IpList(allIp=True)))
    assert _ruleset(firewall.firewallInfo, 'sshServer').allowedHosts.allIp


def test_update_default_policy_keeps_unset_fields(si):
    firewall = _host(si).configManager.firewallSystem
    firewall.UpdateDefaultPolicy(vim.host.FirewallInfo.DefaultPolicy(outgoingBlocked=False))
    policy = firewall.firewallInfo.defaultPolicy
    assert policy.incomingBlocked and not policy.outgoingBlocked
    firewall.UpdateDefaultPolicy(vim.host.FirewallInfo.DefaultPolicy(outgoingBlocked=True))
    firewall.RefreshFirewall()
    assert firewall.firewallInfo.defaultPolicy.outgoingBlocked


# -- services ---------------------------------------------------------------------
def _service(info, key):
    return next(s for s in info.service if s.key == key)


def test_service_catalogue_is_esxi(si):
    info = _host(si).configManager.serviceSystem.serviceInfo
    keys = [s.key for s in info.service]
    assert {'TSM-SSH', 'TSM', 'ntpd', 'vpxa', 'DCUI', 'lbtd', 'vmsyslogd', 'snmpd',
            'sfcbd-watchdog', 'ptpd'} <= set(keys)
    ssh = _service(info, 'TSM-SSH')
    assert not ssh.running and ssh.policy == 'off' and ssh.label == 'SSH'
    assert _service(info, 'vpxa').running        # a vCenter manages the host
    assert _service(info, 'vmsyslogd').required


def test_start_ssh_reaches_watchers(si, other):
    host = _host(si)
    services = host.configManager.serviceSystem
    on_manager, on_host = _watch(other, host, services, vim.host.ServiceSystem,
                                 'serviceInfo', 'config.service')
    services.StartService('TSM-SSH')
    services.UpdateServicePolicy('TSM-SSH', 'on')
    ssh = _service(services.serviceInfo, 'TSM-SSH')
    assert ssh.running and ssh.policy == 'on'
    assert _service(host.config.service, 'TSM-SSH').running
    assert paths_of(on_manager.changes()) == {'serviceInfo'}
    assert paths_of(on_host.changes()) == {'config.service'}
    services.StartService('TSM-SSH')              # running already: no fault, no change
    services.UpdateServicePolicy('TSM-SSH', 'on')
    assert _quiet(on_manager) and _quiet(on_host)
    services.RestartService('TSM-SSH')
    services.StopService('TSM-SSH')
    services.StopService('TSM-SSH')
    assert not _service(services.serviceInfo, 'TSM-SSH').running
    services.RefreshServices()
    events = si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=host, recursion='self'),
        eventTypeId=['esx.audit.ssh.enabled', 'esx.audit.ssh.disabled']))
    assert sorted(e.eventTypeId for e in events) == ['esx.audit.ssh.disabled',
                                                     'esx.audit.ssh.enabled']
    assert events[0].fullFormattedMessage in ('SSH access has been enabled.',
                                              'SSH access has been disabled.')


def test_service_faults(si):
    services = _host(si).configManager.serviceSystem
    for call in (lambda: services.StartService('noSuchService'),
                 lambda: services.UpdateServicePolicy('noSuchService', 'on')):
        with pytest.raises(vim.fault.NotFound):
            call()
    with pytest.raises(vmodl.fault.InvalidArgument):
        services.UpdateServicePolicy('ntpd', 'sometimes')
    with pytest.raises(vim.fault.HostConfigFault):
        services.StopService('vmsyslogd')
    with pytest.raises(vim.fault.HostConfigFault):
        services.UninstallService('TSM')
    assert _service(services.serviceInfo, 'vmsyslogd').running


def test_automatic_service_follows_its_ruleset(si):
    """A service of policy `automatic` runs while one of its rulesets is open."""
    host = _host(si, 'DC0_C0_H1')
    services = host.configManager.serviceSystem
    firewall = host.configManager.firewallSystem
    services.UpdateServicePolicy('vpxa', 'automatic')
    try:
        with pytest.raises(vim.fault.HostConfigFault):
            firewall.DisableRuleset('vpxHeartbeats')     # managed by vpxa itself
        assert _service(services.serviceInfo, 'vpxa').running
    finally:
        services.UpdateServicePolicy('vpxa', 'on')


def test_esx_host_has_no_vcenter_agent_running(esx):
    from pyVim.connect import Disconnect
    si = esx.connect()
    try:
        info = all_of(si, vim.HostSystem)[0].configManager.serviceSystem.serviceInfo
        assert not _service(info, 'vpxa').running
    finally:
        Disconnect(si)


# -- date and time ------------------------------------------------------------------
def test_ntp_as_vmware_host_ntp_sets_it(si, other):
    """vmware_host_ntp: UpdateDateTimeConfig with the servers; then
    vmware_host_service_manager starts ntpd with policy on."""
    host = _host(si)
    clock = host.configManager.dateTimeSystem
    services = host.configManager.serviceSystem
    info = clock.dateTimeInfo
    assert info.timeZone.key == 'UTC' and info.ntpConfig.server == [] and not info.enabled
    on_manager, on_host = _watch(other, host, clock, vim.host.DateTimeSystem,
                                 'dateTimeInfo', 'config.dateTimeInfo')
    clock.UpdateDateTimeConfig(vim.host.DateTimeConfig(ntpConfig=vim.host.NtpConfig(
        server=['0.pool.ntp.org', '1.pool.ntp.org'])))
    info = clock.dateTimeInfo
    assert info.ntpConfig.server == ['0.pool.ntp.org', '1.pool.ntp.org']
    assert 'server 1.pool.ntp.org' in info.ntpConfig.configFile
    assert host.config.dateTimeInfo.ntpConfig.server == info.ntpConfig.server
    assert paths_of(on_manager.changes()) == {'dateTimeInfo'}
    assert paths_of(on_host.changes()) == {'config.dateTimeInfo'}
    assert not clock.TestTimeService().workingNormally
    services.StartService('ntpd')      # dateTimeInfo says whether the time service runs
    assert paths_of(on_manager.changes()) == {'dateTimeInfo'}
    assert 'config.dateTimeInfo' in paths_of(on_host.changes())
    info = clock.dateTimeInfo
    assert info.enabled and info.serviceSync and info.remoteNtpServer == '0.pool.ntp.org'
    assert clock.TestTimeService().workingNormally
    clock.UpdateDateTimeConfig(vim.host.DateTimeConfig(ntpConfig=vim.host.NtpConfig(
        server=['0.pool.ntp.org', '1.pool.ntp.org'])))       # a re-run
    assert _quiet(on_manager) and _quiet(on_host)
    clock.UpdateDateTimeConfig(vim.host.DateTimeConfig(enabled=False))
    assert not _service(services.serviceInfo, 'ntpd').running
    assert _service(services.serviceInfo, 'ntpd').policy == 'off'
    clock.UpdateDateTimeConfig(vim.host.DateTimeConfig(enabled=True))
    assert _service(services.serviceInfo, 'ntpd').policy == 'on'
    clock.RefreshDateTimeSystem()


def test_date_time_config_faults_change_nothing(si):
    clock = _host(si, 'DC0_C0_H2').configManager.dateTimeSystem
    assert [z.key for z in clock.QueryAvailableTimeZones()] == ['UTC']
    bad = (vim.host.DateTimeConfig(timeZone='Europe/Paris'),
           vim.host.DateTimeConfig(protocol='sundial'),
           vim.host.DateTimeConfig(ntpConfig=vim.host.NtpConfig(server=['two words'])),
           vim.host.DateTimeConfig(ptpConfig=vim.host.PtpConfig(domain=300)),
           vim.host.DateTimeConfig(protocol='ptp', ptpConfig=vim.host.PtpConfig(port=[
               vim.host.PtpConfig.PtpPort(index=0), vim.host.PtpConfig.PtpPort(index=0)])))
    for config in bad:
        with pytest.raises(vmodl.fault.InvalidArgument):
            clock.UpdateDateTimeConfig(config)
    info = clock.dateTimeInfo
    assert info.systemClockProtocol == 'ntp' and info.ptpConfig.domain == 0


def test_ptp_and_factory_defaults(si):
    clock = _host(si, 'DC0_C0_H2').configManager.dateTimeSystem
    clock.UpdateDateTimeConfig(vim.host.DateTimeConfig(protocol='ptp', ptpConfig=vim.host.PtpConfig(
        domain=24, port=[vim.host.PtpConfig.PtpPort(index=0, deviceType='virtualNic',
                                                    device='vmk0')])))
    info = clock.dateTimeInfo
    assert info.systemClockProtocol == 'ptp' and info.ptpConfig.domain == 24
    assert info.ptpConfig.port[0].device == 'vmk0'
    clock.UpdateDateTimeConfig(vim.host.DateTimeConfig(resetToFactoryDefaults=True))
    assert clock.dateTimeInfo.systemClockProtocol == 'ntp'
    assert clock.dateTimeInfo.ptpConfig.domain == 0


# -- advanced settings ------------------------------------------------------------------
def test_advanced_option_types_and_ranges(si):
    manager = _host(si).configManager.advancedOption
    definitions = {d.key: d.optionType for d in manager.supportedOption}
    shell = definitions['UserVars.SuppressShellWarning']
    assert isinstance(shell, vim.option.LongOption) and (shell.min, shell.max) == (0, 1)
    assert isinstance(definitions['Security.AccountLockFailures'], vim.option.IntOption)
    assert isinstance(definitions['Config.HostAgent.log.level'], vim.option.ChoiceOption)
    assert isinstance(definitions['Syslog.global.logHost'], vim.option.StringOption)
    values = {o.key: o.value for o in manager.setting}
    assert set(values) == set(definitions)
    assert isinstance(values['UserVars.SuppressShellWarning'], Long)


def test_update_options_as_vmware_host_config_manager(si, other):
    """The module sends each value with its OptionDef's type and reads it back."""
    host = _host(si)
    manager = host.configManager.advancedOption
    on_manager, on_host = _watch(other, host, manager, vim.option.OptionManager,
                                 'setting', 'config.option')
    manager.UpdateOptions(changedValue=[
        vim.option.OptionValue(key='UserVars.SuppressShellWarning', value=Long(1)),
        vim.option.OptionValue(key='Syslog.global.logHost', value='udp://10.0.0.9:514'),
        vim.option.OptionValue(key='Security.AccountLockFailures', value=3)])
    got = {o.key: o.value for o in manager.QueryOptions('UserVars.SuppressShellWarning')}
    assert got == {'UserVars.SuppressShellWarning': 1}
    assert manager.QueryOptions('Syslog.global.logHost')[0].value == 'udp://10.0.0.9:514'
    config = {o.key: o.value for o in host.config.option}
    assert config['Security.AccountLockFailures'] == 3
    changed = {'["%s"]' % key for key in ('UserVars.SuppressShellWarning',
                                          'Syslog.global.logHost',
                                          'Security.AccountLockFailures')}
    assert paths_of(on_manager.changes()) == {'setting' + key for key in changed}
    assert paths_of(on_host.changes()) == {'config.option' + key for key in changed}
    manager.UpdateOptions(changedValue=[
        vim.option.OptionValue(key='UserVars.SuppressShellWarning', value=Long(1))])
    assert _quiet(on_manager) and _quiet(on_host)


@pytest.mark.parametrize('key, value, fault', [
    ('No.Such.Option', Long(1), vim.fault.InvalidName),
    ('UserVars.SuppressShellWarning', 1, vmodl.fault.InvalidArgument),        # int for a long
    ('UserVars.SuppressShellWarning', Long(2), vmodl.fault.InvalidArgument),  # past its max
    ('UserVars.SuppressShellWarning', 'yes', vmodl.fault.InvalidArgument),
    ('Security.AccountLockFailures', Long(3), vmodl.fault.InvalidArgument),   # long for an int
    ('Config.HostAgent.log.level', 'chatty', vmodl.fault.InvalidArgument),   # not a choice
    ('Syslog.global.logDirUnique', 1, vmodl.fault.InvalidArgument),
    ('ScratchConfig.CurrentScratchLocation', '/x', vmodl.fault.InvalidArgument),  # read-only
])
def test_update_options_faults_change_nothing(si, key, value, fault):
    manager = _host(si, 'DC0_C0_H1').configManager.advancedOption
    before = {o.key: o.value for o in manager.setting}
    with pytest.raises(fault):
        manager.UpdateOptions(changedValue=[
            vim.option.OptionValue(key='Annotations.WelcomeMessage', value='changed'),
            vim.option.OptionValue(key=key, value=value)])
    assert {o.key: o.value for o in manager.setting} == before


# -- autostart ---------------------------------------------------------------------------
def _power_info(vm, order, start='powerOn', stop='systemDefault'):
    return vim.host.AutoStartManager.AutoPowerInfo(
        key=vm, startOrder=order, startDelay=-1, waitForHeartbeat='systemDefault',
        startAction=start, stopDelay=-1, stopAction=stop)


def test_autostart_as_vmware_host_auto_start(si, other):
    host = _host(si)
    autostart = host.configManager.autoStartManager
    vms = [vm for vm in host.vm if not vm.config.template][:3]
    on_manager, on_host = _watch(other, host, autostart, vim.host.AutoStartManager,
                                 'config', 'config.autoStart')
    spec = vim.host.AutoStartManager.Config(
        defaults=vim.host.AutoStartManager.SystemDefaults(enabled=True, startDelay=30),
        powerInfo=[_power_info(vms[0], 1), _power_info(vms[1], 2)])
    autostart.ReconfigureAutostart(spec)
    config = autostart.config
    assert config.defaults.enabled and config.defaults.startDelay == 30
    assert config.defaults.stopDelay == 120 and config.defaults.stopAction == 'PowerOff'
    assert [(p.key, p.startOrder) for p in config.powerInfo] == [(vms[0], 1), (vms[1], 2)]
    assert host.config.autoStart.defaults.enabled
    assert paths_of(on_manager.changes()) == {'config'}
    assert paths_of(on_host.changes()) == {'config.autoStart'}
    autostart.ReconfigureAutostart(spec)           # a re-run changes nothing
    assert _quiet(on_manager) and _quiet(on_host)
    # a VM taking a taken place moves the others down
    autostart.ReconfigureAutostart(vim.host.AutoStartManager.Config(
        powerInfo=[_power_info(vms[2], 1)]))
    assert [(p.key, p.startOrder) for p in autostart.config.powerInfo] == [
        (vms[2], 1), (vms[0], 2), (vms[1], 3)]
    # both actions none takes a VM out; the order closes up
    autostart.ReconfigureAutostart(vim.host.AutoStartManager.Config(
        powerInfo=[_power_info(vms[0], -1, start='none', stop='none')]))
    assert [(p.key, p.startOrder) for p in autostart.config.powerInfo] == [
        (vms[2], 1), (vms[1], 2)]


def test_autostart_faults_change_nothing(si):
    host = _host(si, 'DC0_C0_H1')
    autostart = host.configManager.autoStartManager
    before = autostart.config
    vm = host.vm[0]
    elsewhere = next(v for v in _host(si, 'DC0_C0_H2').vm)
    for info in (_power_info(vm, 0), _power_info(vm, -5), _power_info(vm, 2, start='none'),
                 _power_info(vm, 1, start='later'), _power_info(vm, 1, stop='explode'),
                 _power_info(elsewhere, 1)):
        with pytest.raises(vmodl.fault.InvalidArgument):
            autostart.ReconfigureAutostart(vim.host.AutoStartManager.Config(
                powerInfo=[_power_info(vm, 1), info]))
    with pytest.raises(vmodl.fault.InvalidArgument):
        autostart.ReconfigureAutostart(vim.host.AutoStartManager.Config(
            defaults=vim.host.AutoStartManager.SystemDefaults(startDelay=-1)))
    assert str(autostart.config) == str(before)


def test_autostart_power_on_and_off(si):
    from pyVim.task import WaitForTask
    host = _host(si, 'DC0_C0_H2')
    autostart = host.configManager.autoStartManager
    vms = [vm for vm in host.vm if not vm.config.template][:2]
    for vm in vms:
        if vm.runtime.powerState != 'poweredOff':
            WaitForTask(vm.PowerOffVM_Task())
    autostart.ReconfigureAutostart(vim.host.AutoStartManager.Config(
        powerInfo=[_power_info(vms[0], 1), _power_info(vms[1], 2, stop='suspend')]))
    autostart.AutoStartPowerOn()                  # autostart disabled: nothing starts
    assert [vm.runtime.powerState for vm in vms] == ['poweredOff', 'poweredOff']
    autostart.ReconfigureAutostart(vim.host.AutoStartManager.Config(
        defaults=vim.host.AutoStartManager.SystemDefaults(enabled=True)))
    autostart.AutoStartPowerOn()
    assert [vm.runtime.powerState for vm in vms] == ['poweredOn', 'poweredOn']
    autostart.AutoStartPowerOff()
    assert [vm.runtime.powerState for vm in vms] == ['poweredOff', 'suspended']
    events = si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=vms[1], recursion='self'),
        eventTypeId=['VmPoweredOnEvent', 'VmSuspendedEvent']))
    assert {type(e).__name__ for e in events} >= {'vim.event.VmPoweredOnEvent',
                                                  'vim.event.VmSuspendedEvent'}


# -- local accounts ------------------------------------------------------------------------
@pytest.fixture(scope='module')
def esx_host(validator):
    """An ESX endpoint of this module's own: its accounts change."""
    return _simulator(validator, tls=False, esx=True)


def _esx_login(esx_host, user, pwd):
    from pyVim.connect import Disconnect
    si = esx_host.connect(user=user, pwd=pwd)
    name = si.content.sessionManager.currentSession.userName
    Disconnect(si)
    return name


def test_local_accounts_log_in_to_esx(esx_host):
    """govc host.account.create / update / remove: the account logs in with
    its password only, and no more once removed."""
    from pyVim.connect import Disconnect
    si = esx_host.connect(user='root', pwd='anything')
    try:
        accounts = si.content.accountManager
        host = all_of(si, vim.HostSystem)[0]
        assert host.configManager.accountManager == accounts
        accounts.CreateUser(vim.host.LocalAccountManager.PosixAccountSpecification(
            id='automation', password='Secr3t-pass', description='CI user', shellAccess=False))
        assert _esx_login(esx_host, 'automation', 'Secr3t-pass') == 'automation'
        with pytest.raises(vim.fault.InvalidLogin):
            _esx_login(esx_host, 'automation', 'wrong-Pass1')
        accounts.UpdateUser(vim.host.LocalAccountManager.AccountSpecification(
            id='automation', password='N3w-secret!'))
        with pytest.raises(vim.fault.InvalidLogin):
            _esx_login(esx_host, 'automation', 'Secr3t-pass')
        assert _esx_login(esx_host, 'automation', 'N3w-secret!') == 'automation'
        with pytest.raises(vim.fault.InvalidLogin):
            accounts.ChangePassword('automation', 'not-the-old-1A', 'An0ther-one!')
        accounts.ChangePassword('automation', 'N3w-secret!', 'An0ther-one!')
        assert _esx_login(esx_host, 'automation', 'An0ther-one!') == 'automation'
        accounts.RemoveUser('automation')
        assert _esx_login(esx_host, 'automation', 'An0ther-one!') == 'automation'  # anyone again
        events = si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=[
            'AccountCreatedEvent', 'AccountUpdatedEvent', 'AccountRemovedEvent']))
        kinds = {type(e).__name__.rsplit('.', 1)[-1] for e in events}
        assert kinds == {'AccountCreatedEvent', 'AccountUpdatedEvent', 'AccountRemovedEvent'}
        created = next(e for e in events if isinstance(e, vim.event.AccountCreatedEvent))
        assert created.spec.id == 'automation' and created.spec.password is None
        assert not created.group and created.host.host == host
    finally:
        Disconnect(si)


def test_local_accounts_are_in_the_esx_user_directory(esx_host):
    """Ansible's vmware_local_user_manager finds a user by an exact
    RetrieveUserGroups on ServiceContent.userDirectory before it creates
    one: a user CreateUser made is found there (its second run must not
    try to create it again), and not once RemoveUser took it away."""
    from pyVim.connect import Disconnect
    si = esx_host.connect(user='root', pwd='anything')
    try:
        directory, accounts = si.content.userDirectory, si.content.accountManager

        def found(name):
            return [r.principal for r in directory.RetrieveUserGroups(
                None, name, None, None, True, True, False)]
        assert found('alice') == []
        accounts.CreateUser(vim.host.LocalAccountManager.AccountSpecification(
            id='alice', password='S3cret!pass', description='Alice'))
        assert found('alice') == ['alice']
        with pytest.raises(vim.fault.AlreadyExists):
            accounts.CreateUser(vim.host.LocalAccountManager.AccountSpecification(
                id='alice', password='S3cret!pass'))
        accounts.RemoveUser('alice')
        assert found('alice') == []
        assert found('root') == ['root']
    finally:
        Disconnect(si)


def test_root_password(esx_host):
    """root logs in as the simulator lets anyone until it has a password."""
    from pyVim.connect import Disconnect
    si = esx_host.connect(user='root', pwd='whatever')
    try:
        si.content.accountManager.UpdateUser(vim.host.LocalAccountManager.AccountSpecification(
            id='root', password='R00t-pass!'))
        with pytest.raises(vim.fault.InvalidLogin):
            _esx_login(esx_host, 'root', 'whatever')
        assert _esx_login(esx_host, 'root', 'R00t-pass!') == 'root'
        with pytest.raises(vmodl.fault.InvalidArgument):
            si.content.accountManager.RemoveUser('root')
    finally:
        Disconnect(si)


@pytest.mark.parametrize('spec, fault', [
    (vim.host.LocalAccountManager.AccountSpecification(id='dcui', password='Val1d-pass'),
     vim.fault.AlreadyExists),
    (vim.host.LocalAccountManager.AccountSpecification(id='9lives', password='Val1d-pass'),
     vmodl.fault.InvalidArgument),
    (vim.host.LocalAccountManager.AccountSpecification(id='a;b', password='Val1d-pass'),
     vmodl.fault.InvalidArgument),
    (vim.host.LocalAccountManager.AccountSpecification(id='shorty', password='Ab1-'),
     vmodl.fault.InvalidArgument),                          # too short
    (vim.host.LocalAccountManager.AccountSpecification(id='plain', password='onlylowercase'),
     vmodl.fault.InvalidArgument),                          # one character class
    (vim.host.LocalAccountManager.AccountSpecification(id='colon', password='Val1d-pass',
                                              description='a:b'),
     vmodl.fault.InvalidArgument),
    (vim.host.LocalAccountManager.PosixAccountSpecification(id='uid', password='Val1d-pass',
                                                            posixId=0),
     vmodl.fault.InvalidArgument),                          # root's uid
])
def test_create_user_faults(si, spec, fault):
    """Through vCenter, on a host's own account manager."""
    accounts = _host(si).configManager.accountManager
    with pytest.raises(fault):
        accounts.CreateUser(spec)
    with pytest.raises(vim.fault.UserNotFound):
        accounts.RemoveUser(spec.id if spec.id != 'dcui' else 'nobody')


def test_groups_are_not_supported(si):
    accounts = _host(si).configManager.accountManager
    with pytest.raises(vmodl.fault.NotSupported):
        accounts.CreateGroup(vim.host.LocalAccountManager.AccountSpecification(id='admins'))
    with pytest.raises(vmodl.fault.NotSupported):
        accounts.AssignUserToGroup('root', 'admins')


def test_password_policy_follows_the_advanced_setting(si):
    host = _host(si, 'DC0_C0_H2')
    accounts = host.configManager.accountManager
    host.configManager.advancedOption.UpdateOptions(changedValue=[vim.option.OptionValue(
        key='Security.PasswordQualityControl', value='retry=3 min=8,8,8,7,6')])
    accounts.CreateUser(vim.host.LocalAccountManager.AccountSpecification(
        id='lax', password='lowercase'))
    accounts.RemoveUser('lax')
