"""Custom fields as vCenter keeps them, driven by unmodified pyVmomi:
CustomFieldsManager's AddCustomFieldDef / RenameCustomFieldDef /
RemoveCustomFieldDef / SetField, setCustomValue on entities, and the
`field`, `availableField`, `value` and `customValue` properties; each change
is seen by a second session's WaitForUpdatesEx and posts its event.

A simulator of its own: these tests define fields and set values.
"""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


def _events(si, kind):
    return si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=[kind]))


def _watch(si, obj, *paths):
    """A filter on `obj` in a session; returns a function answering the next
    {path: value} it reports."""
    PC = vmodl.query.PropertyCollector
    collector = si.content.propertyCollector
    collector.CreateFilter(PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=obj)],
        propSet=[PC.PropertySpec(type=type(obj), pathSet=list(paths))]), partialUpdates=False)
    state = {'version': ''}

    def next_update():
        result = collector.WaitForUpdatesEx(state['version'],
                                            PC.WaitOptions(maxWaitSeconds=5))
        if result is None:
            return {}
        state['version'] = result.version
        return {c.name: c.val for u in result.filterSet for o in u.objectSet
                for c in o.changeSet}
    next_update()
    return next_update


def test_field_definitions(si, sim):
    manager = si.content.customFieldsManager
    other = sim.connect()
    try:
        next_field = _watch(other, other.content.customFieldsManager, 'field')
        owner = manager.AddCustomFieldDef('cf-owner', vim.VirtualMachine)
        assert owner.name == 'cf-owner' and owner.managedObjectType == vim.VirtualMachine
        assert owner.type == str and owner.fieldInstancePrivileges.readPrivilege == 'System.Read'
        assert [f.name for f in next_field()['field']] == ['cf-owner']
        anywhere = manager.AddCustomFieldDef('cf-anywhere')
        assert anywhere.managedObjectType is None and anywhere.key != owner.key
        assert [f.name for f in manager.field] == ['cf-anywhere', 'cf-owner']
        next_field()
        # one name may serve two types; not a type and every type
        host_owner = manager.AddCustomFieldDef('cf-owner', vim.HostSystem)
        next_field()
        with pytest.raises(vim.fault.DuplicateName):
            manager.AddCustomFieldDef('cf-owner', vim.VirtualMachine)
        with pytest.raises(vim.fault.DuplicateName):
            manager.AddCustomFieldDef('cf-owner')
        with pytest.raises(vim.fault.DuplicateName):
            manager.AddCustomFieldDef('cf-anywhere', vim.Datastore)
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.AddCustomFieldDef('cf-bad', vim.vm.Summary)   # not a managed type
        with pytest.raises(vim.fault.InvalidPrivilege):
            manager.AddCustomFieldDef('cf-bad', fieldPolicy=vim.PrivilegePolicyDef(
                createPrivilege='No.Such', readPrivilege='System.Read',
                updatePrivilege='System.Read', deletePrivilege='System.Read'))
        manager.RenameCustomFieldDef(anywhere.key, 'cf-everywhere')
        assert [f.name for f in next_field()['field']] == ['cf-everywhere', 'cf-owner',
                                                           'cf-owner']
        with pytest.raises(vim.fault.DuplicateName):
            manager.RenameCustomFieldDef(anywhere.key, 'cf-owner')
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.RenameCustomFieldDef(99999, 'x')
        event = _events(si, 'CustomFieldDefRenamedEvent')[0]
        assert (event.name, event.newName, event.fieldKey) == ('cf-anywhere', 'cf-everywhere',
                                                             anywhere.key)
        assert [e.name for e in _events(si, 'CustomFieldDefAddedEvent')] == [
            'cf-owner', 'cf-anywhere', 'cf-owner']
        manager.RemoveCustomFieldDef(anywhere.key)
        assert [f.name for f in next_field()['field']] == ['cf-owner', 'cf-owner']
        assert _events(si, 'CustomFieldDefRemovedEvent')[0].fieldKey == anywhere.key
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.RemoveCustomFieldDef(anywhere.key)
        manager.RemoveCustomFieldDef(owner.key)
        manager.RemoveCustomFieldDef(host_owner.key)
        assert manager.field == []
    finally:
        other.content.sessionManager.Logout()


def test_values_on_vm_and_host(si, sim):
    manager = si.content.customFieldsManager
    vm = all_of(si, vim.VirtualMachine)[0]
    host = all_of(si, vim.HostSystem)[0]
    owner = manager.AddCustomFieldDef('cf-vm-owner', vim.VirtualMachine)
    rack = manager.AddCustomFieldDef('cf-rack', vim.HostSystem)
    note = manager.AddCustomFieldDef('cf-note')
    assert [f.name for f in vm.availableField] == ['cf-note', 'cf-vm-owner']
    assert [f.name for f in host.availableField] == ['cf-note', 'cf-rack']
    other = sim.connect()
    try:
        other_vm = vim.VirtualMachine(vm._moId, other._stub)
        next_vm = _watch(other, other_vm, 'customValue', 'value', 'availableField')
        vm.setCustomValue('cf-vm-owner', 'alice')
        update = next_vm()
        assert [(v.key, v.value) for v in update['customValue']] == [(owner.key, 'alice')]
        assert [(v.key, v.value) for v in update['value']] == [(owner.key, 'alice')]
        event = _events(si, 'CustomFieldValueChangedEvent')[0]
        assert (event.entity.entity, event.name, event.value, event.fieldKey) == \
            (vm, 'cf-vm-owner', 'alice', owner.key)
        manager.SetField(vm, owner.key, 'bob')
        assert next_vm()['customValue'][0].value == 'bob'
        assert [(v.key, v.value) for v in vm.summary.customValue] == [(owner.key, 'bob')]
        assert _events(si, 'CustomFieldValueChangedEvent')[0].prevState == 'alice'
        host.setCustomValue('cf-rack', 'r12')
        manager.SetField(host, note.key, 'spare')
        assert sorted((v.key, v.value) for v in host.customValue) == \
            sorted([(rack.key, 'r12'), (note.key, 'spare')])
        assert sorted((v.key, v.value) for v in host.summary.customValue) == \
            sorted([(rack.key, 'r12'), (note.key, 'spare')])
        # a field of another type, or none of that name: InvalidArgument
        with pytest.raises(vmodl.fault.InvalidArgument):
            vm.setCustomValue('cf-rack', 'x')
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.SetField(vm, rack.key, 'x')
        with pytest.raises(vmodl.fault.InvalidArgument):
            vm.setCustomValue('cf-none', 'x')
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.SetField(host, 99999, 'x')
        # renaming a definition shows in availableField; removing it clears its values
        manager.RenameCustomFieldDef(owner.key, 'cf-vm-holder')
        assert [f.name for f in next_vm()['availableField']] == ['cf-note', 'cf-vm-holder']
        manager.RemoveCustomFieldDef(owner.key)
        update = next_vm()
        assert update['customValue'] == [] and \
            [f.name for f in update['availableField']] == ['cf-note']
        assert sorted(v.key for v in host.value) == sorted([rack.key, note.key])
        manager.RemoveCustomFieldDef(rack.key)
        assert [v.key for v in host.value] == [note.key]
        manager.RemoveCustomFieldDef(note.key)
        assert host.value == []
    finally:
        other.content.sessionManager.Logout()


def test_values_on_tasks(si):
    """Every extensible object takes values of the fields valid for it: a
    task takes a global field's, not an entity type's."""
    manager = si.content.customFieldsManager
    vm = all_of(si, vim.VirtualMachine)[0]
    task = vm.Rename(vm.name)
    WaitForTask(task)
    with pytest.raises(vmodl.fault.InvalidArgument):
        task.setCustomValue('cf-task', 'x')
    vm_only = manager.AddCustomFieldDef('cf-task', vim.VirtualMachine)
    with pytest.raises(vmodl.fault.InvalidArgument):
        task.setCustomValue('cf-task', 'x')
    assert task.availableField == []
    everywhere = manager.AddCustomFieldDef('cf-ticket')
    assert [f.name for f in task.availableField] == ['cf-ticket']
    task.setCustomValue('cf-ticket', 'T-42')
    assert [(v.key, v.value) for v in task.value] == [(everywhere.key, 'T-42')]
    manager.RemoveCustomFieldDef(everywhere.key)
    assert task.value == [] and task.availableField == []
    manager.RemoveCustomFieldDef(vm_only.key)
