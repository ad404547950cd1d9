"""com.vmware.content: the library, local_library and subscribed_library
services over the content library model (vimsim/rest/content_library_model.py),
with the types and errors the Automation SDK's bindings describe.

A library's storage is a datastore (`storage_backings`: one DATASTORE
backing). A local library publishes at `publish_info.publish_url`; a
subscribed library's `subscription_info.subscription_url` is such a URL of
this simulator, and it syncs at creation (metadata only when `on_demand`).
Changes take vCenter's ContentLibrary.* privileges on the root folder
(vimsim keeps no permissions on libraries), `unauthorized` (403) without.
"""
from vimsim.rest.content_library_model import (PUBLISH_USER, Subscription, library_error,
                                               publish_path)
from vimsim.rest.errors import invalid_argument, not_found
from vimsim.rest.service import Service
from vimsim.rest.tagging import requires
from vimsim.rest.types import (LOCALIZABLE_MESSAGE, Boolean, DateTime, Enum, Id, List, Optional,
                               Secret, String, Struct)
from vimsim.schema import MoRef

__all__ = ['library', 'local_library', 'subscribed_library', 'LIBRARY_MODEL', 'base_url',
           'library_model', 'content']

URI = String
LIBRARY_TYPE = Enum('com.vmware.content.library_model.library_type', ('LOCAL', 'SUBSCRIBED'))
STORAGE_BACKING = Struct('com.vmware.content.library.storage_backing', {
    'type': Optional(Enum('com.vmware.content.library.storage_backing.type',
                          ('DATASTORE', 'OTHER'))),
    'datastore_id': Optional(Id), 'storage_uri': Optional(URI)})
AUTHENTICATION = ('BASIC', 'NONE')
PUBLISH_INFO = Struct('com.vmware.content.library.publish_info', {
    'authentication_method': Optional(Enum(
        'com.vmware.content.library.publish_info.authentication_method', AUTHENTICATION)),
    'published': Optional(Boolean), 'publish_url': Optional(URI),
    'user_name': Optional(String), 'password': Optional(Secret),
    'current_password': Optional(Secret), 'persist_json_enabled': Optional(Boolean)})
SOURCE_INFO = Struct('com.vmware.content.library.source_info', {
    'source_library': Optional(Id), 'subscription': Optional(Id)})
SUBSCRIPTION_INFO = Struct('com.vmware.content.library.subscription_info', {
    'authentication_method': Optional(Enum(
        'com.vmware.content.library.subscription_info.authentication_method', AUTHENTICATION)),
    'automatic_sync_enabled': Optional(Boolean), 'on_demand': Optional(Boolean),
    'password': Optional(Secret), 'ssl_thumbprint': Optional(String),
    'subscription_url': Optional(URI), 'user_name': Optional(String),
    'source_info': Optional(SOURCE_INFO), 'ssl_certificate': Optional(String)})
OPTIMIZATION_INFO = Struct('com.vmware.content.library.optimization_info', {
    'optimize_remote_publishing': Optional(Boolean)})
STATE_INFO = Struct('com.vmware.content.library.state_info', {
    'state': Optional(Enum('com.vmware.content.library.state_info.state',
                           ('ACTIVE', 'MAINTENANCE'))),
    'message': Optional(String)})
CONFIGURATION_INFO = Struct('com.vmware.content.library.configuration_info', {
    'apply_library_usage_to_items': Optional(Boolean)})
LIBRARY_MODEL = Struct('com.vmware.content.library_model', {
    'id': Optional(Id), 'creation_time': Optional(DateTime), 'description': Optional(String),
    'last_modified_time': Optional(DateTime), 'last_sync_time': Optional(DateTime),
    'name': Optional(String), 'storage_backings': Optional(List(STORAGE_BACKING)),
    'type': Optional(LIBRARY_TYPE), 'optimization_info': Optional(OPTIMIZATION_INFO),
    'version': Optional(String), 'publish_info': Optional(PUBLISH_INFO),
    'subscription_info': Optional(SUBSCRIPTION_INFO), 'server_guid': Optional(Id),
    'security_policy_id': Optional(Id), 'unset_security_policy_id': Optional(Boolean),
    'state_info': Optional(STATE_INFO), 'configuration_info': Optional(CONFIGURATION_INFO)})
FIND_SPEC = Struct('com.vmware.content.library.find_spec', {
    'name': Optional(String), 'type': Optional(LIBRARY_TYPE),
    'storage_backing': Optional(STORAGE_BACKING)})
DESTINATION_SPEC = Struct('com.vmware.content.local_library.destination_spec',
                          {'subscription': Id})
PROBE_STATUS = Enum('com.vmware.content.subscribed_library.probe_result.status', (
    'SUCCESS', 'INVALID_URL', 'TIMED_OUT', 'HOST_NOT_FOUND', 'RESOURCE_NOT_FOUND',
    'INVALID_CREDENTIALS', 'CERTIFICATE_ERROR', 'UNKNOWN_ERROR'))
PROBE_RESULT = Struct('com.vmware.content.subscribed_library.probe_result', {
    'status': PROBE_STATUS, 'ssl_thumbprint': Optional(String),
    'ssl_certificate': Optional(String), 'error_messages': List(LOCALIZABLE_MESSAGE)})

library = Service('com.vmware.content.library', '/content/library')
local_library = Service('com.vmware.content.local_library', '/content/local-library')
subscribed_library = Service('com.vmware.content.subscribed_library',
                             '/content/subscribed-library')

LIBRARY_ID = {'library_id': Id}
CREATE = {'client_token': Optional(String), 'create_spec': LIBRARY_MODEL}
UPDATE = {**LIBRARY_ID, 'update_spec': LIBRARY_MODEL}
# the privilege that deleting a library of each type takes
DELETE_PRIVILEGES = {'LOCAL': 'ContentLibrary.DeleteLocalLibrary',
                     'SUBSCRIBED': 'ContentLibrary.DeleteSubscribedLibrary'}


def content(call):
    return call.server.content_library


def base_url(call):
    """scheme://host of the URLs the library hands out: the host the client called."""
    request = call.ctx.request
    host = request.headers.get('host') if request is not None else None
    return '%s://%s' % ('https' if call.server.options.tls else 'http', host or 'localhost')


def library_model(call, found):
    model = {
        'id': found.id, 'name': found.name, 'description': found.description,
        'type': found.type, 'creation_time': found.created,
        'last_modified_time': found.modified, 'last_sync_time': found.last_sync,
        'version': str(found.version),
        'server_guid': call.server.service_instance.content.about.instanceUuid,
        'storage_backings': [{'type': 'DATASTORE', 'datastore_id': found.datastore.ref.value}],
        'optimization_info': {'optimize_remote_publishing': False},
        'state_info': {'state': 'ACTIVE'},
    }
    if found.type == 'LOCAL':
        model['publish_info'] = {
            'published': found.published, 'persist_json_enabled': found.persist_json,
            'authentication_method': 'BASIC' if found.publish_password is not None else 'NONE',
            'user_name': PUBLISH_USER if found.publish_password is not None else None,
            'publish_url': base_url(call) + publish_path(found) if found.published else None}
    else:
        subscription = found.subscription
        publisher = content(call).publisher(subscription.url, subscription.password)[0]
        model['subscription_info'] = {
            'subscription_url': subscription.url, 'on_demand': subscription.on_demand,
            'automatic_sync_enabled': subscription.automatic_sync,
            'authentication_method': 'BASIC' if subscription.password is not None else 'NONE',
            'user_name': PUBLISH_USER if subscription.password is not None else None,
            'source_info': {'source_library': publisher.id} if publisher is not None else None}
    return model


def _datastore(call, spec):
    backings = spec['storage_backings'] or []
    if len(backings) != 1 or backings[0]['type'] != 'DATASTORE' or \
            not backings[0]['datastore_id']:
        raise invalid_argument('A library needs one DATASTORE storage backing with its '
                               'datastore_id.', 'storage_backings')
    found = call.server.objects.get(MoRef('Datastore', backings[0]['datastore_id']))
    if found is None or not hasattr(found, 'vmfs_uuid'):
        raise invalid_argument('The datastore %s does not exist.' % backings[0]['datastore_id'],
                               'storage_backings')
    return found


def _password(info, method_field='authentication_method'):
    """The password a publish or subscription info asks for (None for NONE)."""
    if info[method_field] == 'BASIC':
        if not info['password']:
            raise invalid_argument('BASIC authentication needs a password.', 'password')
        return info['password']
    return None


def _create(call, kind, client_token, create_spec):
    if create_spec['type'] not in (None, kind):
        raise invalid_argument('A %s library cannot be made here.' % create_spec['type'], 'type')
    if create_spec['name'] is None:
        raise invalid_argument('A library needs a name.', 'name')
    datastore = _datastore(call, create_spec)
    model = content(call)

    def make():
        subscription = None
        if kind == 'SUBSCRIBED':
            info = create_spec['subscription_info']
            if info is None or not info['subscription_url']:
                raise invalid_argument('A subscribed library needs its subscription URL.',
                                       'subscription_info')
            subscription = Subscription(info['subscription_url'], _password(info),
                                        bool(info['on_demand']),
                                        info['automatic_sync_enabled'] is not False)
            publisher, problem = model.publisher(subscription.url, subscription.password)
            if publisher is None:
                raise library_error('resource_inaccessible', 'The subscription URL %s cannot '
                                    'be reached (%s).' % (subscription.url, problem),
                                    subscription.url, problem)
        elif create_spec['subscription_info'] is not None:
            raise invalid_argument('A local library has no subscription.', 'subscription_info')
        made = model.create_library(create_spec['name'], create_spec['description'], kind,
                                    datastore, subscription)
        if kind == 'LOCAL' and create_spec['publish_info'] is not None:
            _publish_settings(made, create_spec['publish_info'])
        if kind == 'SUBSCRIBED':
            model.sync_library(made)
        return made.id
    return model.once(kind + '.create', client_token, make)


def _publish_settings(found, info):
    if info['published'] is not None:
        found.published = info['published']
    if info['authentication_method'] is not None:
        found.publish_password = _password(info)
    if info['persist_json_enabled'] is not None:
        found.persist_json = info['persist_json_enabled']


def _update(call, found, spec):
    """Change what `spec` gives (everything checked first). The id, type
    and storage may be given as they are (a model read back and changed),
    not changed; the times and other output fields are ignored."""
    backings = spec['storage_backings']
    for fixed, changed in (('id', spec['id'] not in (None, found.id)),
                           ('type', spec['type'] not in (None, found.type)),
                           ('storage_backings', backings is not None and [
                               backing['datastore_id'] for backing in backings] != [
                               found.datastore.ref.value])):
        if changed:
            raise invalid_argument('The %s of a library cannot change.' % fixed, fixed)
    if spec['version'] is not None and spec['version'] != str(found.version):
        raise library_error('concurrent_change', 'Library %s changed since version %s.'
                            % (found.id, spec['version']), found.id)
    if found.type == 'LOCAL' and spec['subscription_info'] is not None:
        raise invalid_argument('A local library has no subscription.', 'subscription_info')
    if found.type == 'SUBSCRIBED' and spec['publish_info'] is not None:
        raise invalid_argument('A subscribed library cannot be published.', 'publish_info')
    model = content(call)
    if spec['name'] is not None:
        model.rename_library(found, spec['name'])
    if spec['description'] is not None:
        found.description = spec['description']
    if spec['publish_info'] is not None:
        _publish_settings(found, spec['publish_info'])
    info = spec['subscription_info']
    if info is not None:
        subscription = found.subscription
        if info['subscription_url'] is not None:
            subscription.url = info['subscription_url']
        if info['authentication_method'] is not None:
            subscription.password = _password(info)
        if info['on_demand'] is not None:
            subscription.on_demand = info['on_demand']
        if info['automatic_sync_enabled'] is not None:
            subscription.automatic_sync = info['automatic_sync_enabled']
    found.touch()


def _in_use(call, found):
    if any(content(call).busy(item) for item in found.items.values()):
        raise library_error('not_allowed_in_current_state', 'Library %s has an update '
                            'session under way.' % found.id, found.id)


def _delete(call, found):
    """Delete `found` with the privilege its type needs."""
    @requires(DELETE_PRIVILEGES[found.type])
    def delete(call):
        _in_use(call, found)
        content(call).delete_library(found)
    delete(call)


# -- library ------------------------------------------------------------------------------
@library.operation('get', 'GET', '/{library_id}', params=LIBRARY_ID, output=LIBRARY_MODEL)
def get_library(call, library_id):
    return library_model(call, content(call).library(library_id))


@library.operation('list', 'GET', output=List(Id))
def list_libraries(call):
    return list(content(call).libraries)


@library.operation('find', 'POST', action='find', params={'spec': FIND_SPEC},
                   output=List(Id), body='spec')
def find_libraries(call, spec):
    backing = spec['storage_backing']
    if spec['name'] is None and spec['type'] is None and backing is None:
        raise invalid_argument('A find spec needs at least one field.', 'spec')
    return [found.id for found in content(call).libraries.values()
            if spec['name'] in (None, found.name) and spec['type'] in (None, found.type)
            and (backing is None or backing['datastore_id'] in (None,
                                                                found.datastore.ref.value))]


@library.operation('update', 'PATCH', '/{library_id}', params=UPDATE, body='update_spec')
@requires('ContentLibrary.UpdateLibrary')
def update_library(call, library_id, update_spec):
    _update(call, content(call).library(library_id), update_spec)


@library.operation('delete', 'DELETE', '/{library_id}', params=LIBRARY_ID)
def delete_library(call, library_id):
    _delete(call, content(call).library(library_id))


# -- local libraries ----------------------------------------------------------------------
@local_library.operation('create', 'POST', params=CREATE, output=Id, body='create_spec')
@requires('ContentLibrary.CreateLocalLibrary')
def create_local(call, client_token, create_spec):
    return _create(call, 'LOCAL', client_token, create_spec)


@local_library.operation('get', 'GET', '/{library_id}', params=LIBRARY_ID, output=LIBRARY_MODEL)
def get_local(call, library_id):
    return library_model(call, content(call).library(library_id, 'LOCAL'))


@local_library.operation('list', 'GET', output=List(Id))
def list_local(call):
    return [found.id for found in content(call).libraries.values() if found.type == 'LOCAL']


@local_library.operation('update', 'PATCH', '/{library_id}', params=UPDATE, body='update_spec')
@requires('ContentLibrary.UpdateLocalLibrary')
def update_local(call, library_id, update_spec):
    _update(call, content(call).library(library_id, 'LOCAL'), update_spec)


@local_library.operation('delete', 'DELETE', '/{library_id}', params=LIBRARY_ID)
def delete_local(call, library_id):
    _delete(call, content(call).library(library_id, 'LOCAL'))


def subscribers_named(call, found, subscriptions):
    """The subscribed libraries a publish reaches: those named (by their
    library id, as this simulator's subscriptions are), else every one."""
    subscribers = content(call).subscribers(found)
    if not subscriptions:
        return subscribers
    by_id = {subscriber.id: subscriber for subscriber in subscribers}
    for destination in subscriptions:
        if destination['subscription'] not in by_id:
            raise not_found('Subscription', destination['subscription'])
    return [by_id[destination['subscription']] for destination in subscriptions]


def check_published(found):
    if found.type != 'LOCAL' or not found.published:
        raise library_error('not_allowed_in_current_state', 'Library %s is not published.'
                            % found.id, found.id)


@local_library.operation('publish', 'POST', '/{library_id}', action='publish',
                         params={**LIBRARY_ID,
                                 'subscriptions': Optional(List(DESTINATION_SPEC))})
@requires('ContentLibrary.PublishLibrary')
def publish_local(call, library_id, subscriptions):
    """Push the library to its subscribers: each syncs now."""
    found = content(call).library(library_id, 'LOCAL')
    check_published(found)
    for subscriber in subscribers_named(call, found, subscriptions):
        content(call).sync_library(subscriber)


# -- subscribed libraries --------------------------------------------------------------------
@subscribed_library.operation('create', 'POST', params=CREATE, output=Id, body='create_spec')
@requires('ContentLibrary.CreateSubscribedLibrary')
def create_subscribed(call, client_token, create_spec):
    return _create(call, 'SUBSCRIBED', client_token, create_spec)


@subscribed_library.operation('get', 'GET', '/{library_id}', params=LIBRARY_ID,
                              output=LIBRARY_MODEL)
def get_subscribed(call, library_id):
    return library_model(call, content(call).library(library_id, 'SUBSCRIBED'))


@subscribed_library.operation('list', 'GET', output=List(Id))
def list_subscribed(call):
    return [found.id for found in content(call).libraries.values() if found.type == 'SUBSCRIBED']


@subscribed_library.operation('update', 'PATCH', '/{library_id}', params=UPDATE,
                              body='update_spec')
@requires('ContentLibrary.UpdateSubscribedLibrary')
def update_subscribed(call, library_id, update_spec):
    _update(call, content(call).library(library_id, 'SUBSCRIBED'), update_spec)


@subscribed_library.operation('delete', 'DELETE', '/{library_id}', params=LIBRARY_ID)
def delete_subscribed(call, library_id):
    _delete(call, content(call).library(library_id, 'SUBSCRIBED'))


@subscribed_library.operation('sync', 'POST', '/{library_id}', action='sync',
                              params=LIBRARY_ID)
@requires('ContentLibrary.SyncLibrary')
def sync_subscribed(call, library_id):
    content(call).sync_library(content(call).library(library_id, 'SUBSCRIBED'))


@subscribed_library.operation('evict', 'POST', '/{library_id}', action='evict',
                              params=LIBRARY_ID)
@requires('ContentLibrary.EvictSubscribedLibrary')
def evict_subscribed(call, library_id):
    """Only an on-demand library's files can go (they come back when asked)."""
    found = content(call).library(library_id, 'SUBSCRIBED')
    if not found.subscription.on_demand:
        raise library_error('not_allowed_in_current_state', 'Library %s is not on demand: '
                            'its files cannot be evicted.' % found.id, found.id)
    for item in found.items.values():
        content(call).evict(item)


@subscribed_library.operation('probe', 'POST', action='probe',
                              params={'subscription_info': SUBSCRIPTION_INFO},
                              output=PROBE_RESULT)
@requires('ContentLibrary.ProbeSubscription')
def probe(call, subscription_info):
    password = subscription_info['password'] \
        if subscription_info['authentication_method'] == 'BASIC' else None
    publisher, problem = content(call).publisher(subscription_info['subscription_url'],
                                                 password)
    messages = [] if publisher is not None else [{
        'id': 'com.vmware.vdcs.cls-main.probe_failed', 'args': [problem],
        'default_message': 'The subscription URL cannot be used: %s.' % problem}]
    return {'status': problem or 'SUCCESS', 'error_messages': messages}
