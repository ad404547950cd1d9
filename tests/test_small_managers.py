"""The small managers with pyVmomi: vCenter HA not configured
(getVchaConfig's state, MethodDisabled for what disabledClusterMethod
lists), StorageQueryManager's hosts with a LUN attached (following
DetachScsiLun and AttachScsiLun), SiteInfoManager's site, and an ESXi host's audit
records (EmitSyslogMark, FetchAuditRecords; NotSupported on vCenter); every
entity's Reload; NotSupported for VVol failover on datastores that are not VVol."""
import pytest
from pyVmomi import vim, vmodl

from tests.conftest import logged_in


@pytest.fixture
def content(si):
    return si.RetrieveContent()


def test_vcha_is_not_configured(content):
    assert content.failoverClusterConfigurator.getVchaConfig().state == 'notConfigured'
    manager = content.failoverClusterManager
    disabled = manager.disabledClusterMethod
    calls = {'getClusterMode': manager.getClusterMode,
             'GetVchaClusterHealth': manager.GetVchaClusterHealth,
             'setClusterMode_Task': lambda: manager.setClusterMode_Task('enabled'),
             'initiateFailover_Task': lambda: manager.initiateFailover_Task(True)}
    assert sorted(calls) == sorted(disabled)
    for name, call in calls.items():
        with pytest.raises(vim.fault.MethodDisabled):
            call()


def test_hosts_with_attached_lun(content):
    cluster = content.searchIndex.FindByInventoryPath('/DC0/host/DC0_C0')
    hosts = list(cluster.host)
    storage = hosts[0].configManager.storageSystem
    spare = next(lun for lun in storage.storageDeviceInfo.scsiLun
                 if lun.canonicalName == 'mpx.vmhba0:C0:T2:L0')
    queries = content.storageQueryManager
    every = queries.QueryHostsWithAttachedLun(spare.uuid)
    assert set(hosts) <= set(every)
    storage.DetachScsiLun(spare.uuid)
    try:
        without = queries.QueryHostsWithAttachedLun(spare.uuid)
        assert hosts[0] not in without and set(without) == set(every) - {hosts[0]}
    finally:
        storage.AttachScsiLun(spare.uuid)
    assert set(queries.QueryHostsWithAttachedLun(spare.uuid)) == set(every)
    assert queries.QueryHostsWithAttachedLun('no-such-lun') == []


def test_site_info(content):
    assert isinstance(content.siteInfoManager.GetSiteInfo(), vim.SiteInfo)


@pytest.fixture
def esx_si(esx):
    yield from logged_in(esx)


def test_esx_queries_its_own_luns(esx_si):
    content = esx_si.RetrieveContent()
    host = content.rootFolder.childEntity[0].hostFolder.childEntity[0].host[0]
    [lun] = [lun for lun in host.configManager.storageSystem.storageDeviceInfo.scsiLun
             if lun.canonicalName == 'mpx.vmhba0:C0:T1:L0']
    assert content.storageQueryManager.QueryHostsWithAttachedLun(lun.uuid) == [host]


def test_audit_records_on_esx(esx_si):
    content = esx_si.RetrieveContent()
    diagnostics = content.diagnosticManager
    host = content.rootFolder.childEntity[0].hostFolder.childEntity[0].host[0]
    options = host.configManager.advancedOption
    diagnostics.EmitSyslogMark('not stored')       # the store is off: syslog only
    with pytest.raises(vim.fault.InvalidState):
        diagnostics.FetchAuditRecords()
    options.UpdateOptions([vim.option.OptionValue(
        key='Syslog.global.auditRecord.storageEnable', value=True)])
    try:
        first = diagnostics.FetchAuditRecords()
        diagnostics.EmitSyslogMark('backup "nightly" [begin]')
        diagnostics.EmitSyslogMark('backup end')
        found = diagnostics.FetchAuditRecords(first.nextToken)
        assert len(found.records) == 2
        begin, end = found.records
        assert begin.startswith('<110>1 ') and begin.endswith('\n')
        assert ' - hostd ' in begin and 'event="mark"' in begin
        assert 'comment="backup \\"nightly\\" [begin\\]"' in begin
        assert 'comment="backup end"' in end
        assert 'not stored' not in ''.join(first.records + found.records)
        assert diagnostics.FetchAuditRecords(found.nextToken).records == []
        with pytest.raises(vmodl.fault.InvalidArgument):
            diagnostics.FetchAuditRecords('999999')
    finally:
        options.UpdateOptions([vim.option.OptionValue(
            key='Syslog.global.auditRecord.storageEnable', value=False)])


def test_audit_records_are_esxi_s(content):
    with pytest.raises(vmodl.fault.NotSupported):
        content.diagnosticManager.FetchAuditRecords()
    with pytest.raises(vmodl.fault.NotSupported):
        content.diagnosticManager.EmitSyslogMark('vc')


def test_every_entity_reloads(si, content):
    """Nothing outside the API changes a simulated entity: Reload answers
    and leaves it as it was."""
    view = content.viewManager.CreateContainerView(content.rootFolder, [], True)
    try:
        entities = [content.rootFolder] + list(view.view)
        kinds = {type(entity).__name__ for entity in entities}
        assert {'vim.VirtualMachine', 'vim.HostSystem', 'vim.Datastore', 'vim.Folder',
                'vim.ClusterComputeResource', 'vim.ResourcePool', 'vim.Network',
                'vim.Datacenter'} <= kinds
        for entity in entities:
            before = entity.name
            entity.Reload()
            assert entity.name == before
    finally:
        view.DestroyView()


def test_no_datastore_is_a_vvol_one(si, content):
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.Datastore], True)
    try:
        for ds in view.view:
            with pytest.raises(vmodl.fault.NotSupported):
                ds.UpdateVVolVirtualMachineFiles_Task([])
    finally:
        view.DestroyView()
