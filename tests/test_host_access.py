"""Lockdown mode and direct host access through pyVmomi, as Ansible's
vmware_host_lockdown and vmware_host_lockdown_exceptions call them: through
a vCenter (read back through another session's WaitForUpdatesEx), the
vSphere 2.5 methods, and on an ESX-mode host, where lockdown refuses direct
logins of users who are not exceptions."""
import pytest
from pyVim.connect import Disconnect
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of
from tests import host_managers
from tests.host_managers import host_named
from tests.watching import Watcher

sim = host_managers.sim     # the module's own simulator


def _dcui_running(host):
    return next(s for s in host.configManager.serviceSystem.serviceInfo.service
                if s.key == 'DCUI').running


def _events(si, host, type_name):
    collector = si.content.eventManager
    spec = vim.event.EventFilterSpec(entity=vim.event.EventFilterSpec.ByEntity(
        entity=host, recursion='self'))
    return [e for e in collector.QueryEvents(spec) if type(e).__name__.endswith(type_name)
            or getattr(e, 'eventTypeId', None) == type_name]


def test_lockdown_as_vmware_host_lockdown(si, other):
    host = host_named(si)
    access = host.configManager.hostAccessManager
    assert access.lockdownMode == 'lockdownDisabled'
    assert host.config.lockdownMode == 'lockdownDisabled' and not host.config.adminDisabled
    watcher = Watcher(other, host, vim.HostSystem, ['config.lockdownMode'])
    access.ChangeLockdownMode('lockdownNormal')
    assert host.config.lockdownMode == 'lockdownNormal' and host.config.adminDisabled
    assert access.lockdownMode == 'lockdownNormal' and _dcui_running(host)
    assert ('config.lockdownMode', 'lockdownNormal') in {
        (path, value) for _, _, path, _, value in watcher.changes()}
    assert len(_events(si, host, 'HostAdminDisableEvent')) == 1
    assert _events(si, host, 'esx.audit.lockdownmode.enabled')
    access.ChangeLockdownMode('lockdownNormal')            # re-run: nothing changes
    assert watcher.changes(wait=1) == []
    access.ChangeLockdownMode('lockdownStrict')            # strict stops the DCUI
    assert not _dcui_running(host)
    assert len(_events(si, host, 'HostAdminDisableEvent')) == 1
    access.ChangeLockdownMode('lockdownDisabled')
    assert _dcui_running(host) and not host.config.adminDisabled
    assert len(_events(si, host, 'HostAdminEnableEvent')) == 1


def test_vsphere_25_lockdown_methods(si):
    host = host_named(si, 'DC0_C0_H1')
    with pytest.raises(vim.fault.AdminNotDisabled):
        host.ExitLockdownMode()
    host.EnterLockdownMode()
    assert host.config.adminDisabled
    assert host.configManager.hostAccessManager.lockdownMode == 'lockdownNormal'
    with pytest.raises(vim.fault.AdminDisabled):
        host.EnterLockdownMode()
    host.ExitLockdownMode()
    assert host.config.lockdownMode == 'lockdownDisabled'


def test_exceptions_and_access_entries(si):
    host = host_named(si, 'DC0_C0_H2')
    access = host.configManager.hostAccessManager
    assert access.QueryLockdownExceptions() == []
    assert access.QuerySystemUsers() == ['dcui', 'vpxuser']
    entries = {e.principal: e.accessMode for e in access.RetrieveHostAccessControlEntries()}
    assert entries == {'root': 'accessAdmin', 'dcui': 'accessAdmin', 'vpxuser': 'accessAdmin'}
    with pytest.raises(vim.fault.UserNotFound):
        access.UpdateLockdownExceptions(['nobody'])
    host.configManager.accountManager.CreateUser(vim.host.LocalAccountManager.AccountSpecification(
        id='ops', password='Op3rator-pass'))
    access.UpdateLockdownExceptions(['ops'])
    access.UpdateLockdownExceptions(['ops'])                 # idempotent
    assert access.QueryLockdownExceptions() == ['ops']
    access.UpdateSystemUsers(['ops'])
    assert access.QuerySystemUsers() == ['dcui', 'vpxuser', 'ops']
    access.ChangeAccessMode('ops', False, 'accessReadOnly')
    with pytest.raises(vmodl.fault.InvalidArgument):
        access.ChangeAccessMode('ops', False, 'accessOther')
    with pytest.raises(vim.fault.UserNotFound):
        access.ChangeAccessMode('nobody', False, 'accessAdmin')
    access.ChangeLockdownMode('lockdownNormal')
    try:
        with pytest.raises(vmodl.fault.SecurityError):           # not an exception
            access.ChangeAccessMode('root', False, 'accessNoAccess')
        access.ChangeAccessMode('ops', False, 'accessAdmin')
    finally:
        access.ChangeLockdownMode('lockdownDisabled')
    for user in ('root', 'dcui', 'vpxuser'):
        access.ChangeAccessMode(user, False, 'accessNone')
    with pytest.raises(vim.fault.AuthMinimumAdminPermission):  # the last administrator
        access.ChangeAccessMode('ops', False, 'accessNone')
    entries = {e.principal: e.accessMode for e in access.RetrieveHostAccessControlEntries()}
    assert entries == {'ops': 'accessAdmin'}


@pytest.fixture(scope='module')
def esx_host(validator):
    return _simulator(validator, tls=False, esx=True)


def test_lockdown_refuses_direct_logins_on_esx(esx_host):
    si = esx_host.connect(user='root', pwd='any')
    try:
        host = all_of(si, vim.HostSystem)[0]
        access = host.configManager.hostAccessManager
        with pytest.raises(vim.fault.AuthMinimumAdminPermission):   # no vCenter manages it
            access.ChangeLockdownMode('lockdownNormal')
        si.content.accountManager.CreateUser(vim.host.LocalAccountManager.AccountSpecification(
            id='breakglass', password='Br3ak-glass-pass'))
        access.ChangeAccessMode('breakglass', False, 'accessAdmin')
        access.UpdateLockdownExceptions(['breakglass'])
        access.ChangeLockdownMode('lockdownNormal')
        with pytest.raises(vim.fault.NoPermission):
            esx_host.connect(user='root', pwd='any')
        with pytest.raises(vim.fault.AuthMinimumAdminPermission):
            access.UpdateLockdownExceptions([])
        exception = esx_host.connect(user='breakglass', pwd='Br3ak-glass-pass')
        host = all_of(exception, vim.HostSystem)[0]
        host.configManager.hostAccessManager.ChangeLockdownMode('lockdownDisabled')
        Disconnect(exception)
        Disconnect(esx_host.connect(user='root', pwd='any'))
    finally:
        Disconnect(si)
