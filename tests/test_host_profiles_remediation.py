"""Host profile remediation beyond networking: NFS mounts, firewall
rulesets, advanced settings and services, applied through the host's own
managers (another session's property filter sees the host change, the
events are posted); the profile's updates (UpdateHostProfile from a host
or a complete tree, UpdateReferenceHost) and its events; clusters:
attached hosts are those of the cluster."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

AnswerFileOptions = vim.profile.host.ProfileManager.AnswerFileOptionsCreateSpec
Customizations = vim.profile.host.ProfileManager.StructuredCustomizations
PosixAccount = vim.host.LocalAccountManager.PosixAccountSpecification

from tests.conftest import _simulator, all_of, logged_in, task_fault
from tests.test_host_datastore_system import events_of, host_named, nas_spec
from tests.test_host_profiles import _check, _create, _manager, _maintenance
from tests.watching import Watcher


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, autostart=False)


@pytest.fixture
def watcher_session(sim):
    yield from logged_in(sim)


def _nfs_names(host):
    return sorted(ds.name for ds in host.datastore if ds.summary.type.startswith('NFS'))


def _option(host, key):
    return host.configManager.advancedOption.QueryOptions(name=key)[0].value


def _apply(si, profile, host):
    result = profile.ExecuteHostProfile(host=host)
    if result.status == 'needInput':
        result = profile.ExecuteHostProfile(host=host, deferredParam=result.requireInput)
    assert result.status == 'success'
    task = _manager(si).ApplyHostConfig_Task(host=host, configSpec=result.configSpec,
                                             userInput=result.requireInput)
    WaitForTask(task)
    return result.configSpec


def test_storage_firewall_options_and_services(si, watcher_session):
    reference, target = host_named(si, 'DC0_C0_H0'), host_named(si, 'DC0_H0')
    datastores = reference.configManager.datastoreSystem
    datastores.CreateNasDatastore(spec=nas_spec('profile-nfs', path='/exports/profile'))
    reference.configManager.firewallSystem.EnableRuleset(id='syslog')
    reference.configManager.advancedOption.UpdateOptions(changedValue=[
        vim.option.OptionValue(key='Syslog.global.logHost', value='udp://log.example.com:514')])
    reference.configManager.serviceSystem.UpdateServicePolicy(id='TSM-SSH', policy='on')
    profile = _create(si, 'storage', reference)
    try:
        tree = profile.config.applyProfile
        assert [p.key for p in tree.storage.nasStorage] == [
            'key-vim-profile-host-NasStorageProfile-profile-nfs']
        assert any(o.key.endswith('Syslog.global.logHost') for o in tree.option)
        profile.AssociateProfile(entity=[target])
        result = _check(profile, target)
        kinds = {f.failureType for f in result.failure}
        assert {'NasStorageProfile.missing', 'FirewallProfileRulesetProfile.differs',
                'OptionProfile.missing', 'ServiceProfile.differs'} <= kinds, kinds
        watcher = Watcher(watcher_session, target, vim.HostSystem, ['datastore'])
        _maintenance(target)
        spec = _apply(si, profile, target)
        assert [(c.changeOperation, c.spec.localPath) for c in spec.nasDatastore] == [
            ('add', 'profile-nfs')]
        assert 'profile-nfs' in _nfs_names(target)
        assert any(path == 'datastore' for _, _, path, _, _ in watcher.changes())
        rulesets = {r.key: r.enabled for r in target.config.firewall.ruleset}
        assert rulesets['syslog']
        assert _option(target, 'Syslog.global.logHost') == 'udp://log.example.com:514'
        ssh = next(s for s in target.config.service.service if s.key == 'TSM-SSH')
        assert ssh.policy == 'on' and ssh.running
        assert _check(profile, target).complianceStatus == 'compliant'
        applied = events_of(si, target, ['HostProfileAppliedEvent'])
        assert applied and applied[0].profile.profile == profile
        assert events_of(si, target, ['NasDatastoreCreatedEvent', 'DatastoreDiscoveredEvent'])
    finally:
        if target.runtime.inMaintenanceMode:
            _maintenance(target, False)
        profile.DestroyProfile()
        for host in (reference, target):
            host.configManager.firewallSystem.DisableRuleset(id='syslog')
            host.configManager.advancedOption.UpdateOptions(changedValue=[
                vim.option.OptionValue(key='Syslog.global.logHost', value='')])
            host.configManager.serviceSystem.UpdateServicePolicy(id='TSM-SSH', policy='off')
            host.configManager.serviceSystem.StopService(id='TSM-SSH')
            mounted = [ds for ds in host.datastore if ds.name == 'profile-nfs']
            if mounted:
                host.configManager.datastoreSystem.RemoveDatastore(datastore=mounted[0])


def test_apply_needs_maintenance_and_a_good_spec(si):
    host = host_named(si, 'DC0_C0_H1')
    manager = _manager(si)
    spec = vim.host.ConfigSpec(option=[vim.option.OptionValue(key='Syslog.global.logHost',
                                                              value='udp://log.example.com:514')])
    with pytest.raises(vim.fault.InvalidState):
        manager.ApplyHostConfig_Task(host=host, configSpec=spec)
    _maintenance(host)
    try:
        with pytest.raises(vmodl.fault.NotSupported):
            manager.ApplyHostConfig_Task(host=host, configSpec=vim.host.ConfigSpec(
                license=vim.host.LicenseSpec(editionKey='esx.enterprisePlus')))
        bad = vim.host.ConfigSpec(option=[vim.option.OptionValue(key='No.Such.Setting',
                                                                 value=1)])
        error = task_fault(manager.ApplyHostConfig_Task(host=host, configSpec=bad))
        assert isinstance(error, vim.fault.HostConfigFailed)
        assert isinstance(error.failure[0], vim.fault.InvalidName)
        WaitForTask(manager.ApplyHostConfig_Task(host=host, configSpec=spec))
        assert _option(host, 'Syslog.global.logHost') == 'udp://log.example.com:514'
    finally:
        host.configManager.advancedOption.UpdateOptions(changedValue=[
            vim.option.OptionValue(key='Syslog.global.logHost', value='')])
        _maintenance(host, False)


def test_updates_and_their_events(si):
    reference, other = host_named(si, 'DC0_C0_H0'), host_named(si, 'DC0_C0_H2')
    profile = _create(si, 'updates', reference)
    try:
        created = profile.modifiedTime
        other.configManager.networkSystem.AddPortGroup(portgrp=vim.host.PortGroup.Specification(
            name='Only-H2', vlanId=5, vswitchName='vSwitch0', policy=vim.host.NetworkPolicy()))
        profile.UpdateHostProfile(config=vim.profile.host.HostProfile.HostBasedConfigSpec(
            name='updates-2', host=other))
        assert profile.name == 'updates-2' and profile.referenceHost == other
        assert 'Only-H2' in [pg.name for pg in profile.config.applyProfile.network.vmPortGroup]
        assert profile.modifiedTime >= created
        profile.UpdateReferenceHost(host=reference)
        assert profile.referenceHost == reference
        tree = profile.config.applyProfile
        tree.network.vmPortGroup = [pg for pg in tree.network.vmPortGroup
                                    if pg.name != 'Only-H2']
        tree.service[0].enabled = False
        profile.UpdateHostProfile(config=vim.profile.host.HostProfile.CompleteConfigSpec(
            applyProfile=tree, disabledExpressionListChanged=False))
        assert 'Only-H2' not in [pg.name for pg in
                                 profile.config.applyProfile.network.vmPortGroup]
        assert any('disabled' in s.description.summary for s in profile.description.section)
        broken = profile.config.applyProfile
        broken.network.vswitch[0].numPorts.policy = []
        with pytest.raises(vim.fault.ProfileUpdateFailed) as failed:
            profile.UpdateHostProfile(config=vim.profile.host.HostProfile.CompleteConfigSpec(
                applyProfile=broken, disabledExpressionListChanged=False))
        assert 'vswitch' in failed.value.failure[0].profilePath.profilePath
        other_profile = _create(si, 'updates-other', reference)
        try:
            with pytest.raises(vim.fault.DuplicateName):
                profile.UpdateHostProfile(config=vim.profile.host.HostProfile.ConfigSpec(
                    name='updates-other'))
        finally:
            other_profile.DestroyProfile()
        manager = si.RetrieveContent().eventManager
        kinds = {e.__class__.__name__.rsplit('.', 1)[-1] for e in manager.QueryEvents(
            vim.event.EventFilterSpec(eventTypeId=[
                'ProfileCreatedEvent', 'ProfileChangedEvent', 'ProfileRemovedEvent',
                'ProfileReferenceHostChangedEvent']))}
        assert {'ProfileCreatedEvent', 'ProfileChangedEvent', 'ProfileRemovedEvent',
                'ProfileReferenceHostChangedEvent'} <= kinds, kinds
    finally:
        profile.DestroyProfile()
        other.configManager.networkSystem.RemovePortGroup(pgName='Only-H2')


def test_a_cluster_attaches_its_hosts(si):
    reference = host_named(si, 'DC0_H0')
    [cluster] = all_of(si, vim.ClusterComputeResource)
    profile = _create(si, 'cluster', reference)
    try:
        profile.AssociateProfile(entity=[cluster])
        assert profile.entity == [cluster]
        task = si.RetrieveContent().complianceManager.CheckCompliance_Task(profile=[profile])
        WaitForTask(task)
        assert sorted(r.entity.name for r in task.info.result) == sorted(
            h.name for h in cluster.host)
        moved = _create(si, 'cluster-2', reference)
        try:
            moved.AssociateProfile(entity=[cluster])
            assert profile.entity == [] and moved.entity == [cluster]
            moved.DissociateProfile()
            assert moved.entity == []
        finally:
            moved.DestroyProfile()
    finally:
        profile.DestroyProfile()


def test_batch_remediation_of_hosts(si):
    reference, ready, busy = (host_named(si, name) for name in
                              ('DC0_C0_H0', 'DC0_C0_H1', 'DC0_C0_H2'))
    reference.configManager.dateTimeSystem.UpdateDateTimeConfig(config=vim.host.DateTimeConfig(
        ntpConfig=vim.host.NtpConfig(server=['ntp.batch.example.com'])))
    profile = _create(si, 'batch', reference)
    manager = _manager(si)
    try:
        profile.AssociateProfile(entity=[ready, busy])
        path = profile.ExecuteHostProfile(host=ready).requireInput[0].inputPath
        answer = vim.profile.DeferredPolicyOptionParameter(inputPath=path, parameter=[
            vmodl.KeyAnyValue(key='address', value=ready.config.network.vnic[0].spec.ip.ipAddress),
            vmodl.KeyAnyValue(key='subnetmask', value='255.255.0.0')])
        WaitForTask(manager.UpdateAnswerFile_Task(
            host=ready, configSpec=AnswerFileOptions(
                userInput=[answer])))
        [custom] = manager.RetrieveHostCustomizationsForProfile(
            hosts=[ready], applyProfile=profile.config.applyProfile)
        assert [a.inputPath.profilePath for a in custom.customizations.userInput] == [
            path.profilePath]
        task = manager.GenerateHostConfigTaskSpec_Task(hostsInfo=[
            Customizations(entity=ready, customizations=None),
            Customizations(
                entity=busy, customizations=vim.profile.host.AnswerFile(
                    userInput=[vim.profile.DeferredPolicyOptionParameter(
                        inputPath=path, parameter=[
                            vmodl.KeyAnyValue(
                                key='address',
                                value=busy.config.network.vnic[0].spec.ip.ipAddress),
                            vmodl.KeyAnyValue(key='subnetmask', value='255.255.0.0')])],
                    createdTime=ready.runtime.bootTime, modifiedTime=ready.runtime.bootTime))])
        WaitForTask(task)
        specs = task.info.result
        assert [s.status for s in specs] == ['success', 'success']
        assert all('maintenanceModeRequired' in s.taskListRequirement for s in specs)
        assert any('date and time' in m.message for m in specs[0].taskDescription)
        _maintenance(ready)
        task = manager.ApplyEntitiesConfig_Task(applyConfigSpecs=specs)
        WaitForTask(task)
        assert [(r.host, r.status) for r in task.info.result] == [
            (ready, 'success'), (busy, 'state_not_satisfied')]
        assert ready.config.dateTimeInfo.ntpConfig.server == ['ntp.batch.example.com']
        assert busy.config.dateTimeInfo.ntpConfig.server != ['ntp.batch.example.com']
    finally:
        if ready.runtime.inMaintenanceMode:
            _maintenance(ready, False)
        profile.DestroyProfile()
        for host in (reference, ready):
            host.configManager.dateTimeSystem.UpdateDateTimeConfig(
                config=vim.host.DateTimeConfig(ntpConfig=vim.host.NtpConfig(server=[])))


def test_a_users_password_is_asked(si):
    reference, target = host_named(si, 'DC0_C0_H0'), host_named(si, 'DC0_C0_H2')
    reference.configManager.accountManager.CreateUser(user=PosixAccount(
        id='operator', password='Secret-2024!', description='Operations', shellAccess=False))
    profile = _create(si, 'users', reference)
    manager = _manager(si)
    try:
        keys = [u.key for u in profile.config.applyProfile.userAccount]
        assert 'key-vim-profile-host-UserProfile-operator' in keys
        assert not any(key.endswith('vpxuser') for key in keys)
        profile.AssociateProfile(entity=[target])
        [failure] = [f for f in _check(profile, target).failure
                     if f.expressionName == 'UserProfile']
        assert 'User operator is missing' in failure.message.message
        result = profile.ExecuteHostProfile(host=target)
        password = next(p for p in result.requireInput
                        if p.inputPath.policyOptionId == 'UserInputPasswordConfigOption')
        assert password.inputPath.profilePath.endswith('UserProfile-operator"]')
        password.parameter = [vmodl.KeyAnyValue(key='password', value='Other-2024!')]
        WaitForTask(manager.UpdateAnswerFile_Task(host=target, configSpec=AnswerFileOptions(
            userInput=[password])))
        shown = manager.RetrieveAnswerFile(host=target).userInput[0].parameter[0]
        assert (shown.key, shown.value) == ('password', '')
        result = profile.ExecuteHostProfile(host=target, deferredParam=[
            p for p in result.requireInput if p is not password])
        assert result.status == 'success'
        [user] = result.configSpec.userAccount
        assert (user.id, user.description, user.password) == ('operator', 'Operations',
                                                              'Other-2024!')
        _maintenance(target)
        WaitForTask(manager.ApplyHostConfig_Task(host=target, configSpec=result.configSpec,
                                                 userInput=result.requireInput))
        assert _check(profile, target).complianceStatus == 'compliant'
        assert events_of(si, target, ['AccountCreatedEvent'])
    finally:
        if target.runtime.inMaintenanceMode:
            _maintenance(target, False)
        profile.DestroyProfile()
        for host in (reference, target):
            try:
                host.configManager.accountManager.RemoveUser(userName='operator')
            except vim.fault.UserNotFound:
                pass
