"""Host profiles with pyVmomi: a profile taken from a reference host holds
its configuration (vSwitches, port groups, DNS, NTP, NFS mounts, firewall,
services, advanced settings), a host whose configuration differs is
nonCompliant with failures naming what differs, and remediation
(ExecuteHostProfile, answer files, ApplyHostConfig_Task in maintenance
mode) changes the host through its own managers until it complies."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

AnswerFileOptions = vim.profile.host.ProfileManager.AnswerFileOptionsCreateSpec
Serialized = vim.profile.host.HostProfile.SerializedHostProfileSpec
SerializedAnswers = vim.profile.host.ProfileManager.AnswerFileSerializedCreateSpec

from tests.conftest import _simulator
from tests.test_host_datastore_system import host_named


@pytest.fixture(scope='module')
def sim(validator):
    """No VM runs: hosts enter maintenance mode at once."""
    return _simulator(validator, tls=False, autostart=False)


def _manager(si):
    return si.RetrieveContent().hostProfileManager


def _create(si, name, host):
    spec = vim.profile.host.HostProfile.HostBasedConfigSpec(name=name, host=host,
                                                            annotation='from ' + host.name)
    return _manager(si).CreateProfile(createSpec=spec)


def _add_portgroup(host, name, vlan=0):
    host.configManager.networkSystem.AddPortGroup(portgrp=vim.host.PortGroup.Specification(
        name=name, vlanId=vlan, vswitchName='vSwitch0', policy=vim.host.NetworkPolicy()))


def _portgroups(host):
    return sorted(pg.spec.name for pg in host.config.network.portgroup)


def _maintenance(host, on=True):
    WaitForTask(host.EnterMaintenanceMode_Task(timeout=60) if on else
                host.ExitMaintenanceMode_Task(timeout=60))


def _check(profile, host):
    task = profile.CheckProfileCompliance_Task(entity=[host])
    WaitForTask(task)
    [result] = task.info.result
    return result


def test_profile_from_a_reference_host(si):
    host = host_named(si, 'DC0_H0')
    _add_portgroup(host, 'Backup', vlan=12)
    profile = _create(si, 'golden', host)
    try:
        assert profile in _manager(si).profile
        assert profile.name == 'golden' and profile.referenceHost == host
        tree = profile.config.applyProfile
        assert isinstance(tree, vim.profile.host.HostApplyProfile)
        switches = {s.name: s for s in tree.network.vswitch}
        assert set(switches) == {'vSwitch0'}
        [ports] = switches['vSwitch0'].numPorts.policy
        assert ports.policyOption.parameter[0].value == 128
        groups = {pg.name: pg for pg in tree.network.vmPortGroup}
        assert 'Backup' in groups and 'VM Network' in groups
        [vlan] = groups['Backup'].vlan.policy
        assert vlan.policyOption.parameter[0].value == 12
        assert [pg.name for pg in tree.network.hostPortGroup] == ['Management Network']
        services = {s.key for s in tree.service}
        assert 'key-vim-profile-host-ServiceProfile-TSM-SSH' in services
        sections = profile.RetrieveDescription().section
        assert any(s.description.label == 'Port group Backup' for s in sections)
        exported = profile.ExportProfile()
        assert '<name>golden</name>' in exported
        copy = _manager(si).CreateProfile(createSpec=Serialized(
            name='golden-copy', profileConfigString=exported))
        try:
            assert copy.name == 'golden-copy'
            assert copy.ExportProfile() == exported.replace('golden', 'golden-copy')
        finally:
            copy.DestroyProfile()
        for junk in ('<profile>', '<!DOCTYPE x []><profile/>',
                     exported.replace('HostProfileConfigInfo', 'VirtualMachineConfigInfo')):
            with pytest.raises(vmodl.fault.InvalidArgument):
                _manager(si).CreateProfile(createSpec=Serialized(name='junk',
                                                                 profileConfigString=junk))
        with pytest.raises(vim.fault.DuplicateName):
            _create(si, 'golden', host)
    finally:
        profile.DestroyProfile()
        host.configManager.networkSystem.RemovePortGroup(pgName='Backup')
    assert profile not in _manager(si).profile


def test_compliance_names_what_differs(si):
    reference, other = host_named(si, 'DC0_H0'), host_named(si, 'DC0_C0_H1')
    profile = _create(si, 'compliance', reference)
    try:
        profile.AssociateProfile(entity=[other])
        assert profile.entity == [other]
        assert _manager(si).FindAssociatedProfile(entity=other) == [profile]
        result = _check(profile, other)
        assert result.complianceStatus == 'compliant' and not result.failure
        _add_portgroup(other, 'Extra')
        other.configManager.serviceSystem.UpdateServicePolicy(id='TSM-SSH', policy='on')
        result = _check(profile, other)
        assert result.complianceStatus == 'nonCompliant'
        texts = [f.message.message for f in result.failure]
        assert any('Port group Extra' in text for text in texts), texts
        assert any('Service TSM-SSH' in text and 'startupPolicy' in text for text in texts)
        [ssh] = [f for f in result.failure if f.expressionName == 'ServiceProfile']
        [values] = ssh.failureValues
        assert (values.hostValue, values.profileValue) == ('on', 'off')
        assert profile.complianceStatus == 'nonCompliant'
        compliance = si.RetrieveContent().complianceManager
        [kept] = compliance.QueryComplianceStatus(profile=[profile], entity=[other])
        assert kept.complianceStatus == 'nonCompliant'
        compliance.ClearComplianceStatus(profile=[profile])
        assert compliance.QueryComplianceStatus(profile=[profile]) == []
        task = compliance.CheckCompliance_Task(entity=[other])
        WaitForTask(task)
        assert [r.complianceStatus for r in task.info.result] == ['nonCompliant']
    finally:
        other.configManager.serviceSystem.UpdateServicePolicy(id='TSM-SSH', policy='off')
        if 'Extra' in _portgroups(other):
            other.configManager.networkSystem.RemovePortGroup(pgName='Extra')
        profile.DestroyProfile()


def test_remediation_changes_the_host(si):
    reference, target = host_named(si, 'DC0_H0'), host_named(si, 'DC0_C0_H1')
    _add_portgroup(reference, 'Storage', vlan=30)
    reference.configManager.dateTimeSystem.UpdateDateTimeConfig(
        config=vim.host.DateTimeConfig(ntpConfig=vim.host.NtpConfig(server=['ntp.example.com'])))
    profile = _create(si, 'remediate', reference)
    _add_portgroup(target, 'Stray')
    try:
        profile.AssociateProfile(entity=[target])
        result = profile.ExecuteHostProfile(host=target)
        assert result.status == 'needInput'
        [asked] = result.requireInput
        assert asked.inputPath.profilePath.endswith('.ipConfig')
        proposal = {kv.key: kv.value for kv in asked.parameter}
        assert proposal['address'] == target.config.network.vnic[0].spec.ip.ipAddress
        result = profile.ExecuteHostProfile(host=target, deferredParam=[asked])
        assert result.status == 'success'
        spec = result.configSpec
        ops = {(pg.changeOperation, pg.spec.name) for pg in spec.network.portgroup}
        assert ('add', 'Storage') in ops and ('remove', 'Stray') in ops
        assert spec.datetime.ntpConfig.server == ['ntp.example.com']
        tasks = _manager(si).GenerateConfigTaskList(configSpec=spec, host=target)
        assert 'maintenanceModeRequired' in tasks.taskListRequirement
        with pytest.raises(vim.fault.InvalidState):
            _manager(si).ApplyHostConfig_Task(host=target, configSpec=spec,
                                              userInput=result.requireInput)
        _maintenance(target)
        WaitForTask(_manager(si).ApplyHostConfig_Task(host=target, configSpec=spec,
                                                      userInput=result.requireInput))
        assert 'Storage' in _portgroups(target) and 'Stray' not in _portgroups(target)
        assert target.config.dateTimeInfo.ntpConfig.server == ['ntp.example.com']
        assert _check(profile, target).complianceStatus == 'compliant'
        answers = _manager(si).RetrieveAnswerFile(host=target)
        assert [a.inputPath.profilePath for a in answers.userInput] == \
            [asked.inputPath.profilePath]
        assert profile.ExecuteHostProfile(host=target).status == 'success'
        task = _manager(si).CheckAnswerFileStatus_Task(host=[target])
        WaitForTask(task)
        assert [r.status for r in task.info.result] == ['valid']
    finally:
        if target.runtime.inMaintenanceMode:
            _maintenance(target, False)
        profile.DestroyProfile()
        for host in (reference, target):
            if 'Storage' in _portgroups(host):
                host.configManager.networkSystem.RemovePortGroup(pgName='Storage')
            host.configManager.dateTimeSystem.UpdateDateTimeConfig(
                config=vim.host.DateTimeConfig(ntpConfig=vim.host.NtpConfig(server=[])))


def test_junk_faults(si):
    manager = _manager(si)
    host = host_named(si, 'DC0_H0')
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.CreateProfile(createSpec=vim.profile.host.HostProfile.HostBasedConfigSpec(
            host=host))
    bad = vim.profile.host.HostApplyProfile(enabled=True, network=vim.profile.host.NetworkProfile(
        enabled=True, vswitch=[vim.profile.host.VirtualSwitchProfile(
            enabled=True, key='k', name='vSwitch9', link=vim.profile.host.VirtualSwitchProfile.
            LinkProfile(enabled=True), numPorts=vim.profile.host.VirtualSwitchProfile.
            NumPortsProfile(enabled=True), networkPolicy=vim.profile.host.NetworkPolicyProfile(
                enabled=True))]))
    with pytest.raises(vim.fault.ProfileUpdateFailed):
        manager.CreateProfile(createSpec=vim.profile.host.HostProfile.CompleteConfigSpec(
            name='bad', applyProfile=bad, disabledExpressionListChanged=False))
    profile = _create(si, 'junk', host)
    try:
        with pytest.raises(vmodl.fault.InvalidArgument):
            profile.AssociateProfile(entity=[si.RetrieveContent().rootFolder])
        result = profile.ExecuteHostProfile(host=host, deferredParam=[
            vim.profile.DeferredPolicyOptionParameter(
                inputPath=vim.profile.ProfilePropertyPath(
                    profilePath='network.hostPortGroup["key-vim-profile-host-'
                                'HostPortGroupProfile-Management Network"].ipConfig'),
                parameter=[vmodl.KeyAnyValue(key='address', value='not-an-ip'),
                           vmodl.KeyAnyValue(key='subnetmask', value='255.255.0.0')])])
        assert result.status == 'error' and 'not-an-ip' in result.error[0].message.message
    finally:
        profile.DestroyProfile()


def test_structure_and_exported_answer_file(si):
    manager = _manager(si)
    shape = manager.QueryProfileStructure()
    assert shape.profileTypeName == 'HostApplyProfile'
    network = next(c for c in shape.child if c.propertyName == 'network')
    switches = next(c for c in network.element.child if c.propertyName == 'vswitch')
    assert switches.array and switches.element.profileTypeName == 'VirtualSwitchProfile'
    assert {c.propertyName for c in switches.element.child} == {'link', 'numPorts',
                                                                 'networkPolicy'}
    host = host_named(si, 'DC0_C0_H2')
    task = manager.ExportAnswerFile_Task(host=host)
    WaitForTask(task)
    assert task.info.result == ''
    WaitForTask(manager.UpdateAnswerFile_Task(
        host=host, configSpec=AnswerFileOptions(userInput=[
            vim.profile.DeferredPolicyOptionParameter(
                inputPath=vim.profile.ProfilePropertyPath(profilePath='network.x.ipConfig'),
                parameter=[vmodl.KeyAnyValue(key='address', value='10.0.9.9')])])))
    task = manager.ExportAnswerFile_Task(host=host)
    WaitForTask(task)
    exported = task.info.result
    assert '10.0.9.9' in exported and exported.startswith('<answerFile')
    WaitForTask(manager.UpdateAnswerFile_Task(host=host, configSpec=SerializedAnswers(
        answerFileConfigString=exported.replace('10.0.9.9', '10.0.9.10'))))
    [answer] = manager.RetrieveAnswerFile(host=host).userInput
    assert answer.parameter[0].value == '10.0.9.10'
    [status] = manager.QueryAnswerFileStatus(host=[host])
    assert status.status == 'unknown'


def test_metadata_and_default_profiles(si):
    manager = _manager(si)
    policies = {p.id.key: p for p in manager.QueryPolicyMetadata()}
    [option] = policies['NumPortsPolicy'].possibleOption
    assert option.id.key == 'FixedNumPorts' and option.parameter[0].type is int
    [only] = manager.QueryPolicyMetadata(policyName=['DnsConfigPolicy'])
    assert {p.id.key for p in only.possibleOption[0].parameter} == {
        'dhcp', 'domainName', 'address', 'searchDomain'}
    kinds = {m.profileTypeName for m in manager.QueryHostProfileMetadata()}
    assert {'VirtualSwitchProfile', 'NasStorageProfile', 'ServiceProfile'} <= kinds
    switch = manager.CreateDefaultProfile(profileType=vim.profile.host.VirtualSwitchProfile)
    assert isinstance(switch, vim.profile.host.VirtualSwitchProfile)
    assert switch.numPorts.policy[0].policyOption.parameter[0].value == 128
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.CreateDefaultProfile(profileType=vim.profile.host.HostApplyProfile)
    expressions = si.RetrieveContent().complianceManager.QueryExpressionMetadata()
    assert 'VmPortGroupProfile' in {e.expressionId.key for e in expressions}


def _selection(**network):
    return vim.profile.host.HostApplyProfile(
        enabled=True, network=vim.profile.host.NetworkProfile(enabled=True, **network))


def _vm_portgroup(name):
    """A selection's sub-profile: only its place and name count."""
    return vim.profile.host.VmPortGroupProfile(
        enabled=True, key='key-vim-profile-host-VmPortGroupProfile-' + name, name=name,
        vlan=vim.profile.host.PortGroupProfile.VlanProfile(enabled=True),
        vswitch=vim.profile.host.PortGroupProfile.VirtualSwitchSelectionProfile(enabled=True),
        networkPolicy=vim.profile.host.NetworkPolicyProfile(enabled=True))


def test_composition_copies_sub_profiles(si):
    manager = _manager(si)
    source_host, target_host = host_named(si, 'DC0_C0_H0'), host_named(si, 'DC0_C0_H1')
    _add_portgroup(source_host, 'Composed', vlan=44)
    source, target = _create(si, 'source', source_host), _create(si, 'target', target_host)
    try:
        merge = _selection(vmPortGroup=[_vm_portgroup('Composed')])
        task = manager.ValidateHostProfileComposition_Task(source=source, targets=[target],
                                                           toBeMerged=merge)
        WaitForTask(task)
        [element] = task.info.result.results
        assert element.status == 'success'
        assert [pg.name for pg in element.toBeAdded.network.vmPortGroup] == ['Composed']
        assert 'Composed' not in [pg.name for pg in target.config.applyProfile.network.vmPortGroup]
        task = manager.CompositeHostProfile_Task(source=source, targets=[target],
                                                 toBeMerged=merge)
        WaitForTask(task)
        assert [r.status for r in task.info.result.results] == ['success']
        groups = {pg.name: pg for pg in target.config.applyProfile.network.vmPortGroup}
        assert groups['Composed'].vlan.policy[0].policyOption.parameter[0].value == 44
        missing = _selection(vmPortGroup=[_vm_portgroup('Nowhere')])
        task = manager.CompositeHostProfile_Task(source=source, targets=[target],
                                                 toBeDeleted=missing)
        WaitForTask(task)
        [element] = task.info.result.results
        assert element.status == 'error' and 'Nowhere' in element.errors[0].message
        task = manager.CompositeHostProfile_Task(source=source, targets=[target],
                                                 toBeDeleted=merge)
        WaitForTask(task)
        assert 'Composed' not in [pg.name for pg in target.config.applyProfile.network.vmPortGroup]
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.CompositeHostProfile_Task(source=source, targets=[source])
    finally:
        source.DestroyProfile()
        target.DestroyProfile()
        source_host.configManager.networkSystem.RemovePortGroup(pgName='Composed')
