"""Every manager in ServiceContent exists and answers for every property.

For the vCenter and the ESX simulators, unmodified pyVmomi reads each property
of each manager ServiceContent lists (and of the objects those managers
reference) both by attribute access (Fetch) and with RetrievePropertiesEx
all=True; the conftest validator checks every response against the served
schema. Spot checks look at the catalogs' content.
"""
import pytest

from tests.conftest import logged_in
from pyVim.connect import Disconnect
from pyVmomi import vim, vmodl
from pyVmomi.VmomiSupport import ManagedObject

# ServiceContent fields holding inventory rather than a service manager.
NOT_MANAGERS = ('rootFolder',)


@pytest.fixture
def esx_si(esx):
    yield from logged_in(esx)


def _managers(content):
    """(field, managed object) of every manager ServiceContent lists."""
    out = []
    for prop in type(content)._GetPropertyList():
        if prop.name in NOT_MANAGERS:
            continue
        value = getattr(content, prop.name, None)
        if isinstance(value, ManagedObject):
            out.append((prop.name, value))
    return out


def _referenced(value):
    """Managed objects inside a property value (not recursing into data)."""
    if isinstance(value, ManagedObject):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, ManagedObject)]
    return []


def _read_all_by_fetch(obj):
    """Every property of obj by attribute access; {name: value}."""
    values = {}
    for prop in type(obj)._GetPropertyList():
        values[prop.name] = getattr(obj, prop.name)
    return values


def _retrieve_all(si, objs):
    """RetrievePropertiesEx all=True of the objects; {moId: {name: value}}."""
    pc = si.content.propertyCollector
    by_type = {}
    for obj in objs:
        by_type.setdefault(type(obj), []).append(obj)
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=o, skip=False) for o in objs],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=t, all=True)
                 for t in by_type])
    out = {}
    result = pc.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions())
    while result is not None:
        for oc in result.objects:
            assert not oc.missingSet, (oc.obj, [m.path for m in oc.missingSet])
            out[oc.obj._moId] = {p.name: p.val for p in oc.propSet}
        if not result.token:
            break
        result = pc.ContinueRetrievePropertiesEx(result.token)
    return out


def _check_all_managers(si, schema):
    content = si.RetrieveContent()
    managers = _managers(content)
    assert managers
    seen = {}
    pending = [obj for _, obj in managers]
    while pending:
        obj = pending.pop()
        if obj._moId in seen:
            continue
        values = _read_all_by_fetch(obj)
        seen[obj._moId] = obj
        for value in values.values():
            pending.extend(_referenced(value))
    retrieved = _retrieve_all(si, list(seen.values()))
    assert set(retrieved) == set(seen)
    for moid, obj in seen.items():
        names = {p.name for p in type(obj)._GetPropertyList()}
        managed = schema.managed[obj._wsdlName]
        required = {p.name for p in managed.properties if not p.optional}
        # RetrievePropertiesEx leaves out unset properties only.
        assert set(retrieved[moid]) <= names
        assert required <= set(retrieved[moid]), (moid, required - set(retrieved[moid]))
    return content, seen


def test_vcenter_managers_answer_every_property(si, vc_http):
    content, seen = _check_all_managers(si, vc_http.sim.schema)
    # the guest operations sub-managers and the license assignment manager are real objects
    gom = content.guestOperationsManager
    for sub in (gom.authManager, gom.fileManager, gom.processManager, gom.aliasManager,
                gom.guestWindowsRegistryManager):
        assert sub._moId in seen
    assert content.licenseManager.licenseAssignmentManager._moId in seen


def test_esx_managers_answer_every_property(esx_si, esx):
    content, seen = _check_all_managers(esx_si, esx.sim.schema)
    assert content.about.apiType == 'HostAgent'
    assert content.accountManager is not None
    assert content.setting._moId == 'HostAgentSettings'


def test_roles(si):
    auth = si.content.authorizationManager
    roles = {r.name: r for r in auth.roleList}
    for role_id, name in ((-5, 'NoAccess'), (-4, 'Anonymous'), (-3, 'View'),
                          (-2, 'ReadOnly'), (-1, 'Admin')):
        assert roles[name].roleId == role_id and roles[name].system
    for name in ('VirtualMachinePowerUser', 'VirtualMachineUser', 'ResourcePoolAdministrator',
                 'VMwareConsolidatedBackupUser', 'DatastoreConsumer', 'NetworkConsumer'):
        assert not roles[name].system and roles[name].roleId > 0
    assert 'VirtualMachine.Interact.PowerOn' in roles['VirtualMachinePowerUser'].privilege
    assert roles['NoAccess'].privilege == []
    privileges = {p.privId: p for p in auth.privilegeList}
    # every privilege a role grants exists; Admin has them all
    for role in auth.roleList:
        assert set(role.privilege) <= set(privileges), role.name
    assert set(roles['Admin'].privilege) == set(privileges)
    assert privileges['System.Read'].privGroupName == 'System'
    assert privileges['VirtualMachine.Interact.PowerOn'].privGroupName == \
        'VirtualMachine.Interact'
    assert privileges['VirtualMachine.Inventory.Delete'].onParent
    described = {d.key for d in auth.description.privilege}
    assert described == set(privileges)
    groups = {d.key for d in auth.description.privilegeGroup}
    assert {p.privGroupName for p in auth.privilegeList} <= groups


def test_privileges_cover_the_api(si, vc_http):
    """Every privilege a property or method of the API requires is in the catalog."""
    schema = vc_http.sim.schema
    needed = set()
    for mt in schema.managed.values():
        needed.update(f.privilege for f in mt.own_properties if f.privilege)
        needed.update(m.privilege for m in mt.own_methods.values() if m.privilege)
    have = {p.privId for p in si.content.authorizationManager.privilegeList}
    assert needed <= have


def test_esx_roles(esx_si):
    roles = {r.name: r.roleId for r in esx_si.content.authorizationManager.roleList}
    assert roles['Admin'] == -1 and roles['NoAccess'] == -5
    assert 'VirtualMachinePowerUser' not in roles


def test_perf_manager(si):
    perf = si.content.perfManager
    counters = {'%s.%s.%s' % (c.groupInfo.key, c.nameInfo.key, c.rollupType): c
                for c in perf.perfCounter}
    assert counters['cpu.usage.average'].key == 2
    assert counters['cpu.usage.average'].unitInfo.key == 'percent'
    assert counters['cpu.usage.average'].level == 1
    for name in ('cpu.usagemhz.average', 'mem.usage.average', 'mem.consumed.average',
                 'disk.usage.average', 'net.usage.average', 'datastore.read.average',
                 'datastore.write.average', 'power.power.average', 'sys.uptime.latest'):
        assert name in counters
    keys = [c.key for c in perf.perfCounter]
    assert len(keys) == len(set(keys))
    intervals = perf.historicalInterval
    assert len(intervals) == 4
    assert [(i.samplingPeriod, i.length) for i in intervals] == [
        (300, 86400), (1800, 604800), (7200, 2592000), (86400, 31536000)]
    assert {d.key for d in perf.description.counterType} == {
        'average', 'maximum', 'minimum', 'latest', 'summation', 'none'}
    # QueryPerfCounter is served from the same catalog when implemented; the
    # catalog alone must be consistent with the alarm manager's metric expressions
    metric_ids = {e.metric.counterId for e in si.content.alarmManager.defaultExpression
                  if isinstance(e, vim.alarm.MetricAlarmExpression)}
    assert metric_ids <= set(keys)


def test_event_and_task_catalogs(si, vc_http):
    events = si.content.eventManager
    assert events.maxCollector == 1000
    assert {c.key for c in events.description.category} == {'info', 'warning', 'error', 'user'}
    # EventDescriptionEventDetail.key is a type name: pyVmomi resolves it to the class
    info = {e.key._wsdlName: e for e in events.description.eventInfo}
    schema = vc_http.sim.schema
    assert set(info) == {n for n, t in schema.types.items() if t.is_a('Event')}
    assert info['VmPoweredOnEvent'].category == 'info'
    assert '{vm.name}' in info['VmPoweredOnEvent'].fullFormat
    assert info['GeneralUserEvent'].category == 'user'
    tasks = si.content.taskManager
    assert tasks.maxCollector == 1000
    assert tasks.recentTask == []
    keys = {d.key for d in tasks.description.methodInfo}
    for key in ('VirtualMachine.powerOn', 'VirtualMachine.powerOff', 'Folder.createVm',
                'VirtualMachine.clone', 'host.DatastoreSystem.createNasDatastore',
                'Datacenter.powerOnVm', 'ManagedEntity.destroy'):
        assert key in keys
    assert {d.key for d in tasks.description.state} == {'queued', 'running', 'success', 'error'}


def test_license_and_settings(si):
    content = si.content
    lm = content.licenseManager
    assert [l.licenseKey for l in lm.licenses] == ['00000-00000-00000-00000-00000']
    assert lm.licenses[0].editionKey == 'eval'
    assert type(lm.source)._wsdlName == 'EvaluationLicenseSource'
    assert lm.sourceAvailable is True
    settings = {o.key: o.value for o in content.setting.setting}
    for key in ('VirtualCenter.InstanceName', 'VirtualCenter.FQDN', 'event.maxAge',
                'vpxd.httpClientIdleTimeout', 'config.vpxd.sso.sts.uri'):
        assert key in settings
    assert settings['event.maxAge'] == 30
    assert settings['vpxd.httpClientIdleTimeout'] == 900
    defs = {d.key: d for d in content.setting.supportedOption}
    assert isinstance(defs['event.maxAge'].optionType, vim.option.IntOption)
    queried = content.setting.QueryOptions('VirtualCenter.')  # may be unimplemented
    assert queried is None or all(o.key.startswith('VirtualCenter.') for o in queried)


def test_misc_managers(si):
    content = si.content
    assert content.userDirectory.domainList == ['VSPHERE.LOCAL']
    assert content.cryptoManager.enabled is True
    assert content.cryptoManager.kmipServers == []
    assert 'initiateFailover_Task' in content.failoverClusterManager.disabledClusterMethod
    assert [o.option for o in content.ovfManager.ovfImportOption] == ['lax']
    assert content.snmpSystem.limits.capability == 'COMPLETE'
    assert content.customFieldsManager.field == []
    assert content.extensionManager.extensionList == []
    assert content.scheduledTaskManager.scheduledTask == []
    assert len(content.scheduledTaskManager.description.dayOfWeek) == 7
    assert content.localizationManager.catalog
    assert content.alarmManager.description.entityStatus


def test_managers_with_older_client(vc_803):
    """An 8.0.3 client reads the same catalogs, without event types newer than it."""
    si = vc_803.connect()
    try:
        _check_all_managers(si, vc_803.sim.schema)
        schema = vc_803.sim.schema
        limit = schema.version('8.0.3.0')
        keys = {e.key._wsdlName for e in si.content.eventManager.description.eventInfo}
        assert keys == {n for n, t in schema.types.items()
                        if t.is_a('Event') and t.since <= limit}
    finally:
        Disconnect(si)
