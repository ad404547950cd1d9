"""com.vmware.cis.tagging: the category, tag and tag_association services
over the tagging model (vimsim/rest/tagging_model.py), with the types and
errors the Automation SDK's bindings describe. Batch operations answer a
BatchResult with a message per failure rather than failing.

Changes take vCenter's tagging privileges (`requires`): those of
categories and tags on the root folder (vimsim keeps no permissions on
tagging objects), InventoryService.Tagging.AttachTag on each object tagged
or untagged; a user without one gets `unauthorized` (403)."""
import functools

from vimsim.rest.authorization import demand
from vimsim.rest.errors import VapiError
from vimsim.rest.service import Service
from vimsim.rest.tagging_model import CARDINALITIES
from vimsim.rest.types import (DYNAMIC_ID, LOCALIZABLE_MESSAGE, Boolean, Enum, Id, List,
                               Optional, Set, String, Struct)
from vimsim.schema import MoRef

__all__ = ['category', 'tag', 'tag_association']

CARDINALITY = Enum('com.vmware.cis.tagging.category_model.cardinality', CARDINALITIES)
CATEGORY_MODEL = Struct('com.vmware.cis.tagging.category_model', {
    'id': Id, 'name': String, 'description': String, 'cardinality': CARDINALITY,
    'associable_types': Set(String), 'used_by': Set(String)})
CATEGORY_CREATE_SPEC = Struct('com.vmware.cis.tagging.category.create_spec', {
    'name': String, 'description': String, 'cardinality': CARDINALITY,
    'associable_types': Set(String), 'category_id': Optional(Id)})
CATEGORY_UPDATE_SPEC = Struct('com.vmware.cis.tagging.category.update_spec', {
    'name': Optional(String), 'description': Optional(String),
    'cardinality': Optional(CARDINALITY), 'associable_types': Optional(Set(String))})
TAG_MODEL = Struct('com.vmware.cis.tagging.tag_model', {
    'id': Id, 'category_id': Id, 'name': String, 'description': String,
    'used_by': Set(String)})
TAG_CREATE_SPEC = Struct('com.vmware.cis.tagging.tag.create_spec', {
    'name': String, 'description': String, 'category_id': Id, 'tag_id': Optional(Id)})
TAG_UPDATE_SPEC = Struct('com.vmware.cis.tagging.tag.update_spec', {
    'name': Optional(String), 'description': Optional(String)})
BATCH_RESULT = Struct('com.vmware.cis.tagging.tag_association.batch_result', {
    'success': Boolean, 'error_messages': List(LOCALIZABLE_MESSAGE)})
TAG_TO_OBJECTS = Struct('com.vmware.cis.tagging.tag_association.tag_to_objects', {
    'tag_id': Id, 'object_ids': List(DYNAMIC_ID)})
OBJECT_TO_TAGS = Struct('com.vmware.cis.tagging.tag_association.object_to_tags', {
    'object_id': DYNAMIC_ID, 'tag_ids': List(Id)})

category = Service('com.vmware.cis.tagging.category', '/cis/tagging/category')
tag = Service('com.vmware.cis.tagging.tag', '/cis/tagging/tag')
tag_association = Service('com.vmware.cis.tagging.tag_association',
                          '/cis/tagging/tag-association')

CATEGORY_ID = {'category_id': Id}
TAG_ID = {'tag_id': Id}
USED_BY = {'used_by_entity': String}


def _tagging(call):
    return call.server.tagging


ATTACH = 'InventoryService.Tagging.AttachTag'


def _demand(call, privilege, object_id=None):
    """unauthorized unless the caller holds `privilege` on the object named
    (the root folder when none; an object that does not exist is left to
    the model, which answers not_found)."""
    server = call.server
    target = server.root_folder
    if object_id is not None:
        target = server.objects.get(MoRef(object_id['type'], object_id['id']))
        if target is None:
            return
    demand(call, target, privilege)


def requires(privilege):
    """Decorator: the operation needs `privilege` on the root folder."""
    def wrap(handler):
        @functools.wraps(handler)
        def checked(call, **params):
            _demand(call, privilege)
            return handler(call, **params)
        return checked
    return wrap


def _attaching(call, change):
    """`change` (the model's attach or detach) once AttachTag on the object
    is checked."""
    def checked(tag, type_name, moid):
        _demand(call, ATTACH, {'type': type_name, 'id': moid})
        return change(tag, type_name, moid)
    return checked


def _dynamic_id(ref):
    return {'type': ref.type, 'id': ref.value}


def _category_model(found):
    return {'id': found.id, 'name': found.name, 'description': found.description,
            'cardinality': found.cardinality, 'associable_types': list(found.associable_types),
            'used_by': list(found.used_by)}


def _tag_model(found):
    return {'id': found.id, 'category_id': found.category.id, 'name': found.name,
            'description': found.description, 'used_by': list(found.used_by)}


def _add_used_by(item, entity):
    if entity not in item.used_by:
        item.used_by.append(entity)


def _remove_used_by(item, entity):
    if entity in item.used_by:
        item.used_by.remove(entity)


# -- categories ------------------------------------------------------------------------
@category.operation('create', 'POST', params={'create_spec': CATEGORY_CREATE_SPEC},
                    output=Id, body='create_spec')
@requires('InventoryService.Tagging.CreateCategory')
def create_category(call, create_spec):
    return _tagging(call).create_category(
        create_spec['name'], create_spec['description'], create_spec['cardinality'],
        create_spec['associable_types'], create_spec['category_id']).id


@category.operation('get', 'GET', '/{category_id}', params=CATEGORY_ID, output=CATEGORY_MODEL)
def get_category(call, category_id):
    return _category_model(_tagging(call).category(category_id))


@category.operation('update', 'PATCH', '/{category_id}', body='update_spec',
                    params={**CATEGORY_ID, 'update_spec': CATEGORY_UPDATE_SPEC})
@requires('InventoryService.Tagging.EditCategory')
def update_category(call, category_id, update_spec):
    tagging = _tagging(call)
    tagging.update_category(tagging.category(category_id), **update_spec)


@category.operation('delete', 'DELETE', '/{category_id}', params=CATEGORY_ID)
@requires('InventoryService.Tagging.DeleteCategory')
def delete_category(call, category_id):
    tagging = _tagging(call)
    tagging.delete_category(tagging.category(category_id))


@category.operation('list', 'GET', output=List(Id))
def list_categories(call):
    return list(_tagging(call).categories)


@category.operation('list_used_categories', 'POST', action='list-used-categories',
                    params=USED_BY, output=List(Id))
def list_used_categories(call, used_by_entity):
    return [found.id for found in _tagging(call).categories.values()
            if used_by_entity in found.used_by]


@category.operation('add_to_used_by', 'POST', '/{category_id}', action='add-to-used-by',
                    params={**CATEGORY_ID, **USED_BY})
@requires('InventoryService.Tagging.ModifyUsedByForCategory')
def add_category_user(call, category_id, used_by_entity):
    _add_used_by(_tagging(call).category(category_id), used_by_entity)


@category.operation('remove_from_used_by', 'POST', '/{category_id}',
                    action='remove-from-used-by', params={**CATEGORY_ID, **USED_BY})
@requires('InventoryService.Tagging.ModifyUsedByForCategory')
def remove_category_user(call, category_id, used_by_entity):
    _remove_used_by(_tagging(call).category(category_id), used_by_entity)


@category.operation('revoke_propagating_permissions', 'POST', '/{category_id}',
                    action='revoke-propagating-permissions', params=CATEGORY_ID)
def revoke_category_permissions(call, category_id):
    """Permissions on categories are not simulated: none propagate, so
    there is nothing to revoke once the category exists."""
    _tagging(call).category(category_id)


# -- tags --------------------------------------------------------------------------------
@tag.operation('create', 'POST', params={'create_spec': TAG_CREATE_SPEC}, output=Id,
               body='create_spec')
@requires('InventoryService.Tagging.CreateTag')
def create_tag(call, create_spec):
    tagging = _tagging(call)
    return tagging.create_tag(tagging.category(create_spec['category_id']),
                              create_spec['name'], create_spec['description'],
                              create_spec['tag_id']).id


@tag.operation('get', 'GET', '/{tag_id}', params=TAG_ID, output=TAG_MODEL)
def get_tag(call, tag_id):
    return _tag_model(_tagging(call).tag(tag_id))


@tag.operation('update', 'PATCH', '/{tag_id}', body='update_spec',
               params={**TAG_ID, 'update_spec': TAG_UPDATE_SPEC})
@requires('InventoryService.Tagging.EditTag')
def update_tag(call, tag_id, update_spec):
    tagging = _tagging(call)
    tagging.update_tag(tagging.tag(tag_id), **update_spec)


@tag.operation('delete', 'DELETE', '/{tag_id}', params=TAG_ID)
@requires('InventoryService.Tagging.DeleteTag')
def delete_tag(call, tag_id):
    tagging = _tagging(call)
    tagging.delete_tag(tagging.tag(tag_id))


@tag.operation('list', 'GET', output=List(Id))
def list_tags(call):
    return list(_tagging(call).tags)


@tag.operation('list_used_tags', 'POST', action='list-used-tags', params=USED_BY,
               output=List(Id))
def list_used_tags(call, used_by_entity):
    return [found.id for found in _tagging(call).tags.values()
            if used_by_entity in found.used_by]


@tag.operation('list_tags_for_category', 'POST', action='list-tags-for-category',
               params=CATEGORY_ID, output=List(Id))
def list_tags_for_category(call, category_id):
    tagging = _tagging(call)
    wanted = tagging.category(category_id)
    return [found.id for found in tagging.tags.values() if found.category is wanted]


@tag.operation('add_to_used_by', 'POST', '/{tag_id}', action='add-to-used-by',
               params={**TAG_ID, **USED_BY})
@requires('InventoryService.Tagging.ModifyUsedByForTag')
def add_tag_user(call, tag_id, used_by_entity):
    _add_used_by(_tagging(call).tag(tag_id), used_by_entity)


@tag.operation('remove_from_used_by', 'POST', '/{tag_id}', action='remove-from-used-by',
               params={**TAG_ID, **USED_BY})
@requires('InventoryService.Tagging.ModifyUsedByForTag')
def remove_tag_user(call, tag_id, used_by_entity):
    _remove_used_by(_tagging(call).tag(tag_id), used_by_entity)


@tag.operation('revoke_propagating_permissions', 'POST', '/{tag_id}',
               action='revoke-propagating-permissions', params=TAG_ID)
def revoke_tag_permissions(call, tag_id):
    """As for categories: no permissions on tags are simulated to revoke."""
    _tagging(call).tag(tag_id)


# -- associations --------------------------------------------------------------------------
OBJECT = {'object_id': DYNAMIC_ID}
OBJECTS = {'object_ids': List(DYNAMIC_ID)}
TAG_IDS = {'tag_ids': List(Id)}


@tag_association.operation('attach', 'POST', '/{tag_id}', action='attach',
                           params={**TAG_ID, **OBJECT})
def attach(call, tag_id, object_id):
    tagging = _tagging(call)
    _attaching(call, tagging.attach)(tagging.tag(tag_id), object_id['type'], object_id['id'])


@tag_association.operation('detach', 'POST', '/{tag_id}', action='detach',
                           params={**TAG_ID, **OBJECT})
def detach(call, tag_id, object_id):
    tagging = _tagging(call)
    _attaching(call, tagging.detach)(tagging.tag(tag_id), object_id['type'], object_id['id'])


def _batch(steps):
    """Run each step; a BatchResult with the message of each that failed."""
    messages = []
    for step in steps:
        try:
            step()
        except VapiError as error:
            messages.append(error.message)
    return {'success': not messages, 'error_messages': messages}


def _each_tag(call, tag_ids, change, object_id):
    tagging = _tagging(call)
    return _batch([lambda tag_id=tag_id: change(tagging.tag(tag_id), object_id['type'],
                                                object_id['id'])
                   for tag_id in tag_ids])


def _each_object(call, tag_id, change, object_ids):
    tagging = _tagging(call)
    found = tagging.tag(tag_id)
    return _batch([lambda object_id=object_id: change(found, object_id['type'], object_id['id'])
                   for object_id in object_ids])


@tag_association.operation('attach_multiple_tags_to_object', 'POST',
                           action='attach-multiple-tags-to-object',
                           params={**OBJECT, **TAG_IDS}, output=BATCH_RESULT)
def attach_multiple_tags_to_object(call, object_id, tag_ids):
    return _each_tag(call, tag_ids, _attaching(call, _tagging(call).attach), object_id)


@tag_association.operation('detach_multiple_tags_from_object', 'POST',
                           action='detach-multiple-tags-from-object',
                           params={**OBJECT, **TAG_IDS}, output=BATCH_RESULT)
def detach_multiple_tags_from_object(call, object_id, tag_ids):
    return _each_tag(call, tag_ids, _attaching(call, _tagging(call).detach), object_id)


@tag_association.operation('attach_tag_to_multiple_objects', 'POST', '/{tag_id}',
                           action='attach-tag-to-multiple-objects',
                           params={**TAG_ID, **OBJECTS}, output=BATCH_RESULT)
def attach_tag_to_multiple_objects(call, tag_id, object_ids):
    return _each_object(call, tag_id, _attaching(call, _tagging(call).attach), object_ids)


@tag_association.operation('detach_tag_from_multiple_objects', 'POST', '/{tag_id}',
                           action='detach-tag-from-multiple-objects',
                           params={**TAG_ID, **OBJECTS}, output=BATCH_RESULT)
def detach_tag_from_multiple_objects(call, tag_id, object_ids):
    return _each_object(call, tag_id, _attaching(call, _tagging(call).detach), object_ids)


@tag_association.operation('list_attached_objects', 'POST', '/{tag_id}',
                           action='list-attached-objects', params=TAG_ID,
                           output=List(DYNAMIC_ID))
def list_attached_objects(call, tag_id):
    tagging = _tagging(call)
    return [_dynamic_id(ref) for ref in tagging.attached_objects(tagging.tag(tag_id))]


@tag_association.operation('list_attached_objects_on_tags', 'POST',
                           action='list-attached-objects-on-tags', params=TAG_IDS,
                           output=List(TAG_TO_OBJECTS))
def list_attached_objects_on_tags(call, tag_ids):
    """Tags that do not exist are left out, as vCenter leaves them out."""
    tagging = _tagging(call)
    return [{'tag_id': tag_id,
             'object_ids': [_dynamic_id(ref)
                            for ref in tagging.attached_objects(tagging.tags[tag_id])]}
            for tag_id in tag_ids if tag_id in tagging.tags]


@tag_association.operation('list_attached_tags', 'POST', action='list-attached-tags',
                           params=OBJECT, output=List(Id))
def list_attached_tags(call, object_id):
    tagging = _tagging(call)
    ref = tagging.inventory_object(object_id['type'], object_id['id']).ref
    return [found.id for found in tagging.attached_tags(ref)]


@tag_association.operation('list_attached_tags_on_objects', 'POST',
                           action='list-attached-tags-on-objects', params=OBJECTS,
                           output=List(OBJECT_TO_TAGS))
def list_attached_tags_on_objects(call, object_ids):
    """Objects that do not exist are left out, as for missing tags above."""
    tagging = _tagging(call)
    answer = []
    for object_id in object_ids:
        try:
            ref = tagging.inventory_object(object_id['type'], object_id['id']).ref
        except VapiError:
            continue
        answer.append({'object_id': object_id,
                       'tag_ids': [found.id for found in tagging.attached_tags(ref)]})
    return answer


@tag_association.operation('list_attachable_tags', 'POST', action='list-attachable-tags',
                           params=OBJECT, output=List(Id))
def list_attachable_tags(call, object_id):
    return [found.id for found in
            _tagging(call).attachable_tags(object_id['type'], object_id['id'])]
