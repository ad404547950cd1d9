"""vAPI tagging: categories, tags and attachments through the Automation
SDK (JSON-RPC), /api and /rest, the rules vCenter enforces, and the
attachments seen through /sdk in the entities' `tag` property."""
import pytest
from com.vmware.cis.tagging_client import Category, CategoryModel, Tag, TagModel
from com.vmware.vapi.std.errors_client import AlreadyExists, InvalidArgument, NotFound
from com.vmware.vapi.std_client import DynamicID
from pyVim.task import WaitForTask
from pyVmomi import vim
from vmware.vapi.bindings import type as binding

from tests.conftest import _simulator, all_of
from tests.rest_support import Door, client, door, error_of, sdk_reads, si, token  # noqa: F401

SINGLE = CategoryModel.Cardinality.SINGLE
MULTIPLE = CategoryModel.Cardinality.MULTIPLE


@pytest.fixture(scope='module')
def sim(validator):
    """HTTPS, a simulator of its own (8 VMs per pool): the tests create tags."""
    return _simulator(validator, vm=8)


def _vm(si, index=0):
    return sorted(all_of(si, vim.VirtualMachine), key=lambda vm: vm._moId)[index]


def _of(entity):
    return DynamicID(type=entity._wsdlName, id=entity._moId)


def _category(client, name, cardinality=MULTIPLE, types=()):
    return client.tagging.Category.create(Category.CreateSpec(
        name=name, description='about ' + name, cardinality=cardinality,
        associable_types=set(types)))


def _tag(client, category_id, name):
    return client.tagging.Tag.create(Tag.CreateSpec(name=name, description='',
                                                    category_id=category_id))


def test_sdk_workflow_and_sdk_sees_the_tag(client, si):
    """Acceptance: a category and a tag made with the SDK, attached to a VM,
    listed back; /sdk shows the tag in the VM's `tag` property."""
    category_id = _category(client, 'owner', SINGLE, ['VirtualMachine'])
    tag_id = _tag(client, category_id, 'team-a')
    vm = _vm(si)
    client.tagging.TagAssociation.attach(tag_id, _of(vm))
    assert client.tagging.TagAssociation.list_attached_tags(_of(vm)) == [tag_id]
    assert [(o.type, o.id) for o in client.tagging.TagAssociation.list_attached_objects(tag_id)] \
        == [('VirtualMachine', vm._moId)]
    assert [t.key for t in vm.tag] == ['team-a']
    model = client.tagging.Category.get(category_id)
    assert (model.name, model.cardinality, model.associable_types) == \
        ('owner', SINGLE, {'VirtualMachine'})
    assert client.tagging.Tag.get(tag_id).category_id == category_id
    assert tag_id in client.tagging.Tag.list_tags_for_category(category_id)
    client.tagging.TagAssociation.detach(tag_id, _of(vm))
    assert client.tagging.TagAssociation.list_attached_tags(_of(vm)) == []
    assert list(vm.tag) == []


def test_tag_changes_reach_property_collector(client, si):
    category_id = _category(client, 'watched')
    tag_id = _tag(client, category_id, 'seen')
    vm = _vm(si, 1)
    collector = si.content.propertyCollector.CreatePropertyCollector()
    try:
        spec = vim.PropertyFilterSpec(
            objectSet=[vim.ObjectSpec(obj=vm)],
            propSet=[vim.PropertySpec(type=vim.VirtualMachine, pathSet=['tag'])])
        collector.CreateFilter(spec, partialUpdates=False)
        options = vim.WaitOptions(maxWaitSeconds=0)
        version = collector.WaitForUpdatesEx('', options).version
        client.tagging.TagAssociation.attach(tag_id, _of(vm))
        update = collector.WaitForUpdatesEx(version, vim.WaitOptions(maxWaitSeconds=5))
        (change,) = update.filterSet[0].objectSet[0].changeSet
        assert change.name == 'tag' and [t.key for t in change.val] == ['seen']
        client.tagging.Tag.update(tag_id, Tag.UpdateSpec(name='renamed'))
        update = collector.WaitForUpdatesEx(update.version, vim.WaitOptions(maxWaitSeconds=5))
        assert [t.key for t in update.filterSet[0].objectSet[0].changeSet[0].val] == ['renamed']
    finally:
        collector.DestroyPropertyCollector()
        client.tagging.Tag.delete(tag_id)
    assert list(vm.tag) == []


def test_names_are_unique_and_missing_things_are_not_found(client):
    category_id = _category(client, 'unique')
    with pytest.raises(AlreadyExists):
        _category(client, 'unique')
    _tag(client, category_id, 'once')
    with pytest.raises(AlreadyExists):
        _tag(client, category_id, 'once')
    _tag(client, _category(client, 'unique-2'), 'once')     # another category: fine
    with pytest.raises(NotFound):
        client.tagging.Category.get('urn:vmomi:InventoryServiceCategory:nope:GLOBAL')
    with pytest.raises(NotFound):
        _tag(client, 'urn:vmomi:InventoryServiceCategory:nope:GLOBAL', 'x')
    with pytest.raises(InvalidArgument):
        _category(client, '')


def test_cardinality_and_associable_types(client, si):
    single = _category(client, 'tier', SINGLE, ['VirtualMachine'])
    gold, silver = _tag(client, single, 'gold'), _tag(client, single, 'silver')
    vm = _vm(si, 2)
    host = all_of(si, vim.HostSystem)[0]
    client.tagging.TagAssociation.attach(gold, _of(vm))
    client.tagging.TagAssociation.attach(gold, _of(vm))          # again: nothing changes
    with pytest.raises(InvalidArgument):
        client.tagging.TagAssociation.attach(silver, _of(vm))    # one per object
    with pytest.raises(InvalidArgument):
        client.tagging.TagAssociation.attach(gold, _of(host))    # not an associable type
    with pytest.raises(NotFound):
        client.tagging.TagAssociation.attach(gold, DynamicID(type='VirtualMachine',
                                                             id='vm-99999'))
    assert silver not in client.tagging.TagAssociation.list_attachable_tags(_of(vm))
    # associable types grow only; cardinality goes SINGLE -> MULTIPLE only
    with pytest.raises(InvalidArgument):
        client.tagging.Category.update(single, Category.UpdateSpec(associable_types=set()))
    client.tagging.Category.update(single, Category.UpdateSpec(
        associable_types={'VirtualMachine', 'HostSystem'}, cardinality=MULTIPLE))
    client.tagging.TagAssociation.attach(silver, _of(vm))
    client.tagging.TagAssociation.attach(gold, _of(host))
    assert sorted(client.tagging.TagAssociation.list_attached_tags(_of(vm))) == \
        sorted([gold, silver])
    with pytest.raises(InvalidArgument):
        client.tagging.Category.update(single, Category.UpdateSpec(cardinality=SINGLE))
    client.tagging.Category.delete(single)     # its tags and their attachments go with it
    assert client.tagging.TagAssociation.list_attached_tags(_of(vm)) == []
    assert gold not in client.tagging.Tag.list()
    assert list(host.tag) == []


def test_batches_and_lists_on_many(client, si):
    category_id = _category(client, 'batch')
    tags = [_tag(client, category_id, 'b%d' % i) for i in range(3)]
    vms = [_vm(si, 3), _vm(si, 4)]
    missing = 'urn:vmomi:InventoryServiceTag:missing:GLOBAL'
    result = client.tagging.TagAssociation.attach_multiple_tags_to_object(
        _of(vms[0]), tags[:2] + [missing])
    assert not result.success and len(result.error_messages) == 1
    assert missing in result.error_messages[0].default_message
    result = client.tagging.TagAssociation.attach_tag_to_multiple_objects(
        tags[2], [_of(vm) for vm in vms])
    assert result.success and result.error_messages == []
    on_objects = client.tagging.TagAssociation.list_attached_tags_on_objects(
        [_of(vm) for vm in vms] + [DynamicID(type='VirtualMachine', id='vm-99999')])
    assert [(entry.object_id.id, sorted(entry.tag_ids)) for entry in on_objects] == [
        (vms[0]._moId, sorted(tags)), (vms[1]._moId, [tags[2]])]
    on_tags = client.tagging.TagAssociation.list_attached_objects_on_tags(tags + [missing])
    assert [(entry.tag_id, sorted(o.id for o in entry.object_ids)) for entry in on_tags] == [
        (tags[0], [vms[0]._moId]), (tags[1], [vms[0]._moId]),
        (tags[2], sorted(vm._moId for vm in vms))]
    assert client.tagging.TagAssociation.detach_tag_from_multiple_objects(
        tags[2], [_of(vm) for vm in vms]).success
    assert client.tagging.TagAssociation.detach_multiple_tags_from_object(
        _of(vms[0]), tags[:2]).success
    assert client.tagging.TagAssociation.list_attached_tags(_of(vms[0])) == []


def test_used_by(client):
    category_id = _category(client, 'used')
    tag_id = _tag(client, category_id, 'used-tag')
    client.tagging.Category.add_to_used_by(category_id, 'extension-a')
    client.tagging.Tag.add_to_used_by(tag_id, 'extension-a')
    assert client.tagging.Category.list_used_categories('extension-a') == [category_id]
    assert client.tagging.Tag.list_used_tags('extension-a') == [tag_id]
    assert client.tagging.Tag.get(tag_id).used_by == {'extension-a'}
    client.tagging.Category.remove_from_used_by(category_id, 'extension-a')
    client.tagging.Tag.remove_from_used_by(tag_id, 'extension-a')
    assert client.tagging.Category.list_used_categories('extension-a') == []
    assert client.tagging.Tag.list_used_tags('extension-a') == []


def test_destroyed_object_loses_its_tags(client, si):
    category_id = _category(client, 'doomed')
    tag_id = _tag(client, category_id, 'doomed-tag')
    vm = _vm(si, 5)
    client.tagging.TagAssociation.attach(tag_id, _of(vm))
    if vm.runtime.powerState != 'poweredOff':
        WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(vm.Destroy_Task())
    assert client.tagging.TagAssociation.list_attached_objects(tag_id) == []


@pytest.mark.parametrize('form', ['api', 'rest'])
def test_http_forms(door, token, si, form):
    """The same workflow with plain HTTP, each answer read by the SDK's
    REST deserializer against the bindings' types."""
    if form == 'api':
        created = door.request('POST', '/api/cis/tagging/category', token, json={
            'name': 'http-api', 'description': '', 'cardinality': 'MULTIPLE',
            'associable_types': []})
        assert created.status_code == 201
        category_id = created.json()
        read = door.request('GET', '/api/cis/tagging/category/' + category_id, token)
        tag_id = door.request('POST', '/api/cis/tagging/tag', token, json={
            'name': 'api-tag', 'description': '', 'category_id': category_id}).json()
        vm = _vm(si, 6)
        attach = door.request('POST', '/api/cis/tagging/tag-association/%s?action=attach'
                              % tag_id, token, json={'object_id': {
                                  'type': 'VirtualMachine', 'id': vm._moId}})
        assert attach.status_code == 204
        listed = door.request('POST', '/api/cis/tagging/tag-association?action=list-attached'
                              '-tags', token, json={'object_id': {
                                  'type': 'VirtualMachine', 'id': vm._moId}})
        tag_read = door.request('GET', '/api/cis/tagging/tag/' + tag_id, token)
    else:
        base = '/rest/com/vmware/cis/tagging'
        created = door.request('POST', base + '/category', token, json={'create_spec': {
            'name': 'http-rest', 'description': '', 'cardinality': 'SINGLE',
            'associable_types': ['VirtualMachine']}})
        assert created.status_code == 200
        category_id = created.json()['value']
        read = door.request('GET', base + '/category/id:' + category_id, token)
        tag_id = door.request('POST', base + '/tag', token, json={'create_spec': {
            'name': 'rest-tag', 'description': '', 'category_id': category_id}}).json()['value']
        vm = _vm(si, 7)
        attach = door.request('POST', base + '/tag-association/id:%s?~action=attach' % tag_id,
                              token, json={'object_id': {'type': 'VirtualMachine',
                                                         'id': vm._moId}})
        assert attach.status_code == 200
        listed = door.request('POST', base + '/tag-association?~action=list-attached-tags',
                              token, json={'object_id': {'type': 'VirtualMachine',
                                                         'id': vm._moId}})
        tag_read = door.request('GET', base + '/tag/id:' + tag_id, token)
    model = sdk_reads(read, CategoryModel.get_binding_type(), form)
    assert model.id == category_id and model.name == 'http-' + form
    assert sdk_reads(tag_read, TagModel.get_binding_type(), form).category_id == category_id
    assert sdk_reads(listed, binding.ListType(binding.IdType()), form) == [tag_id]
    assert [t.key for t in vm.tag] == [form + '-tag']


@pytest.mark.parametrize('form', ['api', 'rest'])
def test_http_errors(door, token, form):
    prefix = '/api/cis/tagging' if form == 'api' else '/rest/com/vmware/cis/tagging'
    by_id = '/' if form == 'api' else '/id:'
    missing = door.request('GET', prefix + '/tag' + by_id + 'urn:nope', token)
    assert missing.status_code == 404
    assert error_of(missing, form)[0] in ('NOT_FOUND', 'com.vmware.vapi.std.errors.not_found')
    unauthenticated = door.request('GET', prefix + '/tag')
    assert unauthenticated.status_code == 401
    spec = {'name': 'x', 'description': '', 'cardinality': 'SOMETIMES',
            'associable_types': []}
    body = spec if form == 'api' else {'create_spec': spec}
    invalid = door.request('POST', prefix + '/category', token, json=body)
    assert invalid.status_code == 400
    assert error_of(invalid, form)[0] in ('INVALID_ARGUMENT',
                                          'com.vmware.vapi.std.errors.invalid_argument')
    spec['cardinality'], spec['colour'] = 'SINGLE', 'blue'     # a field the spec lacks
    assert door.request('POST', prefix + '/category', token, json=body).status_code == 400
    not_json = door.request('POST', prefix + '/category', token, data=b'{',
                            headers={'Content-Type': 'application/json'})
    assert not_json.status_code == 400
    unknown_action = door.request('POST', prefix + '/tag-association?%saction=nope'
                                  % ('' if form == 'api' else '~'), token, json={})
    assert unknown_action.status_code == 404


def test_state_keeps_what_rest_changed(validator, tmp_path):
    """With -state, tags, attachments and a power change made through REST
    are journaled and replayed: the restarted simulator serves the same
    model (same ids), as /sdk and REST both read it."""
    from tests.test_state import _restarted, _start, _stop, _stopped
    first = _start(validator, tmp_path)
    door = Door(first)
    token = door.login()
    category_id = door.request('POST', '/api/cis/tagging/category', token, json={
        'name': 'kept', 'description': '', 'cardinality': 'SINGLE',
        'associable_types': ['VirtualMachine']}).json()
    tag_id = door.request('POST', '/api/cis/tagging/tag', token, json={
        'name': 'kept-tag', 'description': '', 'category_id': category_id}).json()
    vm = door.request('GET', '/api/vcenter/vm?power_states=POWERED_ON', token).json()[0]['vm']
    target = {'object_id': {'type': 'VirtualMachine', 'id': vm}}
    association = '/api/cis/tagging/tag-association/%s?action=' % tag_id
    assert door.request('POST', association + 'attach', token, json=target).status_code == 204
    assert door.request('POST', '/api/vcenter/vm/%s/power?action=stop' % vm, token).status_code == 204
    second = _restarted(validator, tmp_path, _stopped(first))
    door = Door(second)
    token = door.login()
    listed = door.request('POST', '/api/cis/tagging/tag-association?action=list-attached-tags',
                          token, json=target).json()
    assert listed == [tag_id]
    assert door.request('GET', '/api/cis/tagging/category/' + category_id, token).json()[
        'name'] == 'kept'
    assert door.request('GET', '/api/vcenter/vm/%s/power' % vm, token).json()['state'] == \
        'POWERED_OFF'
    _stop(second)
