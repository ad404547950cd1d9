"""com.vmware.content.library.item and its sessions: items (create, get,
list, find, update, delete, copy, publish; subscribed items' sync and evict;
their files), update sessions with their files (PUSH: the client PUTs the
bytes to the file's `upload_endpoint`, /cls/data/<session>/<file>, served by
vimsim/rest/content_library_transfer.py; PULL: fetched at once from a
`source_endpoint` of this simulator, a /folder URL or another item's
download endpoint), and download sessions (a prepared file is served at its
`download_endpoint`, /cls/download/<session>/<file>).

Completing an update session makes its files the item's content (a new
content_version); changes to the item's fields make a new metadata_version.
"""
import datetime
import os
import urllib.parse

from vimsim.managed.admin.permissions import user_may
from vimsim.managed.storage import datastore_files as files
from vimsim.rest.content_library import base_url, check_published, content, subscribers_named
from vimsim.rest.content_library_model import library_error
from vimsim.rest.errors import invalid_argument
from vimsim.rest.service import Service
from vimsim.rest.tagging import requires
from vimsim.rest.types import (LOCALIZABLE_MESSAGE, Boolean, DateTime, Enum, Id, Integer, List,
                               Optional, Set, String, Struct)

__all__ = ['item', 'subscribed_item', 'item_file', 'update_session', 'update_session_file',
           'download_session', 'download_session_file', 'UPLOAD_PATH', 'DOWNLOAD_PATH']

UPLOAD_PATH = '/cls/data/'
DOWNLOAD_PATH = '/cls/download/'

URI = String
CERT_STATUS = Enum('com.vmware.content.library.item.cert_verification_status', (
    'NOT_AVAILABLE', 'VERIFIED', 'INTERNAL', 'VERIFICATION_FAILURE',
    'VERIFICATION_IN_PROGRESS', 'UNTRUSTED'))
ITEM_MODEL = Struct('com.vmware.content.library.item_model', {
    'id': Optional(Id), 'library_id': Optional(Id), 'content_version': Optional(Id),
    'creation_time': Optional(DateTime), 'description': Optional(String),
    'last_modified_time': Optional(DateTime), 'last_sync_time': Optional(DateTime),
    'metadata_version': Optional(String), 'name': Optional(String),
    'cached': Optional(Boolean), 'size': Optional(Integer), 'type': Optional(String),
    'version': Optional(String), 'source_id': Optional(Id),
    'security_compliance': Optional(Boolean),
    'certificate_verification_info': Optional(Struct(
        'com.vmware.content.library.item.certificate_verification_info',
        {'status': CERT_STATUS, 'cert_chain': Optional(List(String))}))})
ITEM_FIND_SPEC = Struct('com.vmware.content.library.item.find_spec', {
    'name': Optional(String), 'library_id': Optional(Id), 'source_id': Optional(Id),
    'type': Optional(String), 'cached': Optional(Boolean)})
CHECKSUM_ALGORITHM = Enum('com.vmware.content.library.item.file.checksum_algorithm',
                          ('SHA1', 'MD5', 'SHA256', 'SHA512'))
CHECKSUM_INFO = Struct('com.vmware.content.library.item.file.checksum_info', {
    'algorithm': Optional(CHECKSUM_ALGORITHM), 'checksum': String})
FILE_INFO = Struct('com.vmware.content.library.item.file.info', {
    'checksum_info': Optional(CHECKSUM_INFO), 'name': String, 'size': Integer,
    'cached': Boolean, 'version': String, 'file_download_endpoint': Optional(URI)})
TRANSFER_ENDPOINT = Struct('com.vmware.content.library.item.transfer_endpoint', {
    'uri': URI, 'ssl_certificate_thumbprint': Optional(String),
    'ssl_certificate': Optional(String)})
SESSION_STATE = Enum('com.vmware.content.library.item.update_session_model.state',
                     ('ACTIVE', 'DONE', 'ERROR', 'CANCELED'))
WARNING_TYPE = Enum('com.vmware.content.library.item.updatesession.warning_type', (
    'SELF_SIGNED_CERTIFICATE', 'EXPIRED_CERTIFICATE', 'NOT_YET_VALID_CERTIFICATE',
    'UNTRUSTED_CERTIFICATE'))
WARNING_BEHAVIOR = Struct('com.vmware.content.library.item.updatesession.warning_behavior',
                          {'type': WARNING_TYPE, 'ignored': Boolean})
PREVIEW_INFO = Struct('com.vmware.content.library.item.updatesession.preview_info', {
    'state': Enum('com.vmware.content.library.item.updatesession.preview_info.state',
                  ('UNAVAILABLE', 'NOT_APPLICABLE', 'PREPARING', 'AVAILABLE')),
    'certificate_info': Optional(Struct(
        'com.vmware.content.library.item.updatesession.certificate_info', {
            'issuer': String, 'subject': String, 'self_signed': Boolean, 'x509': String})),
    'warnings': Optional(List(Struct(
        'com.vmware.content.library.item.updatesession.preview_warning_info', {
            'type': WARNING_TYPE, 'message': LOCALIZABLE_MESSAGE, 'ignored': Boolean}))),
    'cert_chain': Optional(List(String))})
UPDATE_SESSION_MODEL = Struct('com.vmware.content.library.item.update_session_model', {
    'id': Optional(Id), 'library_item_id': Optional(Id),
    'library_item_content_version': Optional(String),
    'error_message': Optional(LOCALIZABLE_MESSAGE), 'client_progress': Optional(Integer),
    'state': Optional(SESSION_STATE), 'expiration_time': Optional(DateTime),
    'preview_info': Optional(PREVIEW_INFO),
    'warning_behavior': Optional(List(WARNING_BEHAVIOR))})
SOURCE_TYPE = Enum('com.vmware.content.library.item.updatesession.file.source_type',
                   ('NONE', 'PUSH', 'PULL'))
TRANSFER_STATUS = Enum('com.vmware.content.library.item.transfer_status', (
    'WAITING_FOR_TRANSFER', 'TRANSFERRING', 'READY', 'VALIDATING', 'ERROR'))
ADD_SPEC = Struct('com.vmware.content.library.item.updatesession.file.add_spec', {
    'name': String, 'source_type': SOURCE_TYPE, 'source_endpoint': Optional(TRANSFER_ENDPOINT),
    'size': Optional(Integer), 'checksum_info': Optional(CHECKSUM_INFO)})
SESSION_FILE_INFO = Struct('com.vmware.content.library.item.updatesession.file.info', {
    'name': String, 'source_type': SOURCE_TYPE, 'size': Optional(Integer),
    'checksum_info': Optional(CHECKSUM_INFO), 'source_endpoint': Optional(TRANSFER_ENDPOINT),
    'upload_endpoint': Optional(TRANSFER_ENDPOINT), 'bytes_transferred': Integer,
    'status': TRANSFER_STATUS, 'error_message': Optional(LOCALIZABLE_MESSAGE),
    'keep_in_storage': Optional(Boolean)})
VALIDATION_RESULT = Struct(
    'com.vmware.content.library.item.updatesession.file.validation_result', {
        'has_errors': Boolean, 'missing_files': Set(String),
        'invalid_files': List(Struct(
            'com.vmware.content.library.item.updatesession.file.validation_error',
            {'name': String, 'error_message': LOCALIZABLE_MESSAGE}))})
DOWNLOAD_SESSION_MODEL = Struct('com.vmware.content.library.item.download_session_model', {
    'id': Optional(Id), 'library_item_id': Optional(Id),
    'library_item_content_version': Optional(String),
    'error_message': Optional(LOCALIZABLE_MESSAGE), 'client_progress': Optional(Integer),
    'state': Optional(Enum('com.vmware.content.library.item.download_session_model.state',
                           ('ACTIVE', 'CANCELED', 'ERROR'))),
    'expiration_time': Optional(DateTime)})
PREPARE_STATUS = Enum('com.vmware.content.library.item.downloadsession.file.prepare_status',
                      ('UNPREPARED', 'PREPARE_REQUESTED', 'PREPARING', 'PREPARED', 'ERROR'))
DOWNLOAD_FILE_INFO = Struct('com.vmware.content.library.item.downloadsession.file.info', {
    'name': String, 'size': Optional(Integer), 'bytes_transferred': Integer,
    'status': PREPARE_STATUS, 'download_endpoint': Optional(TRANSFER_ENDPOINT),
    'checksum_info': Optional(CHECKSUM_INFO), 'error_message': Optional(LOCALIZABLE_MESSAGE)})
ENDPOINT_TYPE = Enum('com.vmware.content.library.item.downloadsession.file.endpoint_type',
                     ('HTTPS', 'DIRECT'))
ITEM_DESTINATION = Struct('com.vmware.content.library.item.destination_spec',
                          {'subscription': Id})

item = Service('com.vmware.content.library.item', '/content/library/item')
subscribed_item = Service('com.vmware.content.library.subscribed_item',
                          '/content/library/subscribed-item')
item_file = Service('com.vmware.content.library.item.file', '/content/library/item')
update_session = Service('com.vmware.content.library.item.update_session',
                         '/content/library/item/update-session')
update_session_file = Service('com.vmware.content.library.item.updatesession.file',
                              '/content/library/item/update-session')
download_session = Service('com.vmware.content.library.item.download_session',
                           '/content/library/item/download-session')
download_session_file = Service('com.vmware.content.library.item.downloadsession.file',
                                '/content/library/item/download-session')

ITEM_ID = {'library_item_id': Id}
TOKEN = {'client_token': Optional(String)}
UPDATE_ID = {'update_session_id': Id}
DOWNLOAD_ID = {'download_session_id': Id}


def item_model(found):
    return {'id': found.id, 'library_id': found.library.id, 'name': found.name,
            'description': found.description, 'type': found.type,
            'creation_time': found.created, 'last_modified_time': found.modified,
            'last_sync_time': found.last_sync, 'content_version': str(found.content_version),
            'metadata_version': str(found.metadata_version), 'version': str(
                found.content_version + found.metadata_version - 1),
            'cached': found.cached, 'size': found.size, 'source_id': found.source_id,
            'security_compliance': True,
            'certificate_verification_info': {'status': 'NOT_AVAILABLE'}}


def _local_item(call, library_item_id):
    found = content(call).item(library_item_id)
    if found.library.type != 'LOCAL':
        raise library_error('invalid_element_type', 'Library item %s is in subscribed library '
                            '%s.' % (found.id, found.library.id), found.id)
    return found


def _subscribed_item(call, library_item_id):
    found = content(call).item(library_item_id)
    if found.library.type != 'SUBSCRIBED':
        raise library_error('invalid_element_type', 'Library item %s is not in a subscribed '
                            'library.' % found.id, found.id)
    return found


def _checksum(info):
    return None if info is None else ((info['algorithm'] or 'SHA1'), info['checksum'])


def _checksum_info(checksum):
    return None if checksum is None else {'algorithm': checksum[0], 'checksum': checksum[1]}


# -- items -----------------------------------------------------------------------------
@item.operation('create', 'POST', params={**TOKEN, 'create_spec': ITEM_MODEL}, output=Id,
                body='create_spec')
@requires('ContentLibrary.AddLibraryItem')
def create_item(call, client_token, create_spec):
    model = content(call)
    if create_spec['library_id'] is None:
        raise invalid_argument('An item needs its library_id.', 'library_id')
    library = model.library(create_spec['library_id'])
    if library.type != 'LOCAL':
        raise library_error('invalid_element_type', 'Items cannot be added to subscribed '
                            'library %s.' % library.id, library.id)
    return model.once('item.create', client_token, lambda: model.create_item(
        library, create_spec['name'], create_spec['description'], create_spec['type']).id)


@item.operation('get', 'GET', '/{library_item_id}', params=ITEM_ID, output=ITEM_MODEL)
def get_item(call, library_item_id):
    return item_model(content(call).item(library_item_id))


@item.operation('list', 'GET', params={'library_id': Id}, output=List(Id))
def list_items(call, library_id):
    return list(content(call).library(library_id).items)


@item.operation('find', 'POST', action='find', params={'spec': ITEM_FIND_SPEC},
                output=List(Id), body='spec')
def find_items(call, spec):
    if all(value is None for value in spec.values()):
        raise invalid_argument('A find spec needs at least one field.', 'spec')
    return [found.id for found in content(call).items()
            if spec['name'] in (None, found.name)
            and spec['library_id'] in (None, found.library.id)
            and spec['source_id'] in (None, found.source_id)
            and spec['type'] in (None, found.type) and spec['cached'] in (None, found.cached)]


@item.operation('update', 'PATCH', '/{library_item_id}', body='update_spec',
                params={**ITEM_ID, 'update_spec': ITEM_MODEL})
@requires('ContentLibrary.UpdateLibraryItem')
def update_item(call, library_item_id, update_spec):
    found = _local_item(call, library_item_id)
    for fixed in ('id', 'library_id', 'content_version', 'size', 'cached', 'source_id'):
        if update_spec[fixed] is not None and update_spec[fixed] != item_model(found)[fixed]:
            raise invalid_argument('The %s of a library item cannot change.' % fixed, fixed)
    if update_spec['name'] is not None:
        content(call).rename_item(found, update_spec['name'])
    for field in ('description', 'type'):
        if update_spec[field] is not None:
            setattr(found, field, update_spec[field])
    found.metadata_version += 1
    found.library.touch()


@item.operation('delete', 'DELETE', '/{library_item_id}', params=ITEM_ID)
@requires('ContentLibrary.DeleteLibraryItem')
def delete_item(call, library_item_id):
    found = _local_item(call, library_item_id)
    if content(call).busy(found):
        raise library_error('not_allowed_in_current_state', 'Library item %s has an update '
                            'session under way.' % found.id, found.id)
    content(call).delete_item(found)


@item.operation('copy', 'POST', '/{source_library_item_id}', action='copy',
                params={**TOKEN, 'source_library_item_id': Id,
                        'destination_create_spec': ITEM_MODEL},
                output=Id, body='destination_create_spec')
@requires('ContentLibrary.AddLibraryItem')
def copy_item(call, client_token, source_library_item_id, destination_create_spec):
    model = content(call)
    source = model.item(source_library_item_id)
    if not source.cached:
        raise library_error('not_allowed_in_current_state', 'Library item %s is not cached: '
                            'sync it first.' % source.id, source.id)
    spec = destination_create_spec
    library = model.library(spec['library_id'] or source.library.id)
    if library.type != 'LOCAL':
        raise library_error('invalid_element_type', 'Items cannot be added to subscribed '
                            'library %s.' % library.id, library.id)
    name = spec['name'] or source.name
    return model.once('item.copy', client_token, lambda: model.copy_item(
        source, library, name, spec['description'] or source.description).id)


@item.operation('publish', 'POST', '/{library_item_id}', action='publish',
                params={**ITEM_ID, 'force_sync_content': Boolean,
                        'subscriptions': Optional(List(ITEM_DESTINATION))})
@requires('ContentLibrary.PublishLibraryItem')
def publish_item(call, library_item_id, force_sync_content, subscriptions):
    """Push the item to the library's subscribers; with force_sync_content
    its files go too, even to an on-demand subscriber."""
    found = _local_item(call, library_item_id)
    check_published(found.library)
    model = content(call)
    for subscriber in subscribers_named(call, found.library, subscriptions):
        mirrored = next((mine for mine in subscriber.items.values()
                         if mine.source_id == found.id), None)
        model.sync_item(subscriber, found, mirrored,
                        force_sync_content or not subscriber.subscription.on_demand)


# -- subscribed items -----------------------------------------------------------------------
@subscribed_item.operation('sync', 'POST', '/{library_item_id}', action='sync',
                           params={**ITEM_ID, 'force_sync_content': Boolean,
                                   'sync_optional_files': Optional(Boolean)})
@requires('ContentLibrary.SyncLibraryItem')
def sync_item(call, library_item_id, force_sync_content, sync_optional_files):
    found = _subscribed_item(call, library_item_id)
    model = content(call)
    subscription = found.library.subscription
    publisher, problem = model.publisher(subscription.url, subscription.password)
    source = publisher.items.get(found.source_id) if publisher is not None else None
    if source is None:
        raise library_error('not_allowed_in_current_state', 'The publisher of library item %s '
                            'no longer has it (%s).' % (found.id, problem or 'deleted'),
                            found.id)
    model.sync_item(found.library, source, found,
                    force_sync_content or not subscription.on_demand)


@subscribed_item.operation('evict', 'POST', '/{library_item_id}', action='evict',
                           params=ITEM_ID)
@requires('ContentLibrary.EvictLibraryItem')
def evict_item(call, library_item_id):
    found = _subscribed_item(call, library_item_id)
    if not found.library.subscription.on_demand:
        raise library_error('invalid_element_configuration', 'Library %s is not on demand: '
                            'its files cannot be evicted.' % found.library.id, found.id)
    content(call).evict(found)


# -- item files ------------------------------------------------------------------------------
def _file_info(stored):
    return {'name': stored.name, 'size': stored.size, 'cached': stored.cached,
            'version': str(stored.version), 'checksum_info': _checksum_info(('SHA1',
                                                                            stored.checksum))}


@item_file.operation('get', 'GET', '/{library_item_id}/file', params={**ITEM_ID, 'name': String},
                     output=FILE_INFO, dispatch='name')
def get_item_file(call, library_item_id, name):
    return _file_info(content(call).item(library_item_id).file(name))


@item_file.operation('list', 'GET', '/{library_item_id}/file', params=ITEM_ID,
                     output=List(FILE_INFO))
def list_item_files(call, library_item_id):
    return [_file_info(stored) for stored in content(call).item(library_item_id).files.values()]


# -- update sessions ---------------------------------------------------------------------------
def _session_item(model, create_spec):
    """The item a session's create spec names (which it must)."""
    if create_spec['library_item_id'] is None:
        raise invalid_argument('A session needs its library_item_id.', 'library_item_id')
    return model.item(create_spec['library_item_id'])


def _session_model(found):
    return {'id': found.id, 'library_item_id': found.item.id,
            'library_item_content_version': str(found.content_version),
            'error_message': found.error, 'client_progress': found.progress,
            'state': found.state, 'expiration_time': _expiry(found)}


def _expiry(found):
    return datetime.datetime.fromtimestamp(found.expires, datetime.timezone.utc)


@update_session.operation('create', 'POST', params={**TOKEN,
                                                    'create_spec': UPDATE_SESSION_MODEL},
                          output=Id, body='create_spec')
@requires('ContentLibrary.UpdateSession')
def create_update_session(call, client_token, create_spec):
    model = content(call)
    found = _session_item(model, create_spec)
    wanted = create_spec['library_item_content_version']
    if wanted is not None and wanted != str(found.content_version):
        raise invalid_argument('Library item %s is at content version %d, not %s.' % (
            found.id, found.content_version, wanted), 'library_item_content_version')
    return model.once('update_session.create', client_token,
                      lambda: model.open_update_session(found).id)


@update_session.operation('get', 'GET', '/{update_session_id}', params=UPDATE_ID,
                          output=UPDATE_SESSION_MODEL)
def get_update_session(call, update_session_id):
    found = content(call).update_session(update_session_id)
    preview = {'state': 'NOT_APPLICABLE'} if found.state == 'ACTIVE' else None  # a union
    return {**_session_model(found), 'preview_info': preview, 'warning_behavior': []}


@update_session.operation('list', 'GET', params={'library_item_id': Optional(Id)},
                          output=List(Id))
def list_update_sessions(call, library_item_id):
    model = content(call)
    wanted = model.item(library_item_id) if library_item_id is not None else None
    return [found.id for found in model.update_sessions.values()
            if wanted in (None, found.item)]


@update_session.operation('update', 'PATCH', '/{update_session_id}', body='update_spec',
                          params={**UPDATE_ID, 'update_spec': UPDATE_SESSION_MODEL})
def update_update_session(call, update_session_id, update_spec):
    """Only the warning behaviour may change (there are no certificate
    warnings here: a library item's OVF is never signed)."""
    found = content(call).update_session(update_session_id)
    found.check_active()
    changed = [name for name, value in update_spec.items()
               if value is not None and name != 'warning_behavior']
    if changed:
        raise invalid_argument('The %s of an update session cannot change.' % changed[0],
                               changed[0])


@update_session.operation('complete', 'POST', '/{update_session_id}', action='complete',
                          params=UPDATE_ID)
def complete_update_session(call, update_session_id):
    content(call).complete(content(call).update_session(update_session_id))


@update_session.operation('keep_alive', 'POST', '/{update_session_id}', action='keep-alive',
                          params={**UPDATE_ID, 'client_progress': Optional(Integer)})
def keep_update_session(call, update_session_id, client_progress):
    found = content(call).update_session(update_session_id)
    found.check_active()
    found.keep_alive(_progress(client_progress))


def _progress(value):
    if value is not None and not 0 <= value <= 100:
        raise invalid_argument('The progress is a percentage (0 to 100).', 'client_progress')
    return value


@update_session.operation('cancel', 'POST', '/{update_session_id}', action='cancel',
                          params=UPDATE_ID)
def cancel_update_session(call, update_session_id):
    model = content(call)
    model.end_update_session(model.update_session(update_session_id), 'CANCELED')


@update_session.operation('fail', 'POST', '/{update_session_id}', action='fail',
                          params={**UPDATE_ID, 'client_error_message': String})
def fail_update_session(call, update_session_id, client_error_message):
    model = content(call)
    model.end_update_session(model.update_session(update_session_id), 'ERROR',
                             client_error_message)


@update_session.operation('delete', 'DELETE', '/{update_session_id}', params=UPDATE_ID)
def delete_update_session(call, update_session_id):
    model = content(call)
    model.delete_update_session(model.update_session(update_session_id))


# -- update session files ----------------------------------------------------------------------
def _session_file_info(call, session, session_file):
    received = session.received(session_file)
    upload = None
    if session_file.source_type == 'PUSH':
        upload = {'uri': '%s%s%s/%s' % (base_url(call), UPLOAD_PATH, session.id,
                                         urllib.parse.quote(session_file.name))}
    source = {'uri': session_file.source_uri} if session_file.source_uri else None
    return {'name': session_file.name, 'source_type': session_file.source_type,
            'size': session_file.size if session_file.size is not None else received,
            'checksum_info': _checksum_info(session_file.checksum),
            'source_endpoint': source, 'upload_endpoint': upload,
            'bytes_transferred': received, 'status': session.status(session_file),
            'error_message': session_file.error, 'keep_in_storage': True}


def _pull(call):
    """The PULL fetcher: copy what a URI of this simulator names to `path`
    (an error message when it names nothing this user may read)."""
    def pull(uri, path):
        source, problem = _local_source(call, uri)
        if problem is not None:
            return problem
        try:
            files.copy(source, path)
        except OSError as error:
            return 'The file at %s cannot be read: %s.' % (uri, error.strerror or error)
        return None
    return pull


def _local_source(call, uri):
    """(the local path of a /folder URL or a download endpoint, None), or
    (None, why not)."""
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme not in ('http', 'https'):
        return None, 'Unsupported source URI %s.' % uri
    path = urllib.parse.unquote(parts.path)
    if path.startswith(DOWNLOAD_PATH):
        session_id, _, name = path[len(DOWNLOAD_PATH):].partition('/')
        found = content(call).download_sessions.get(session_id)
        if found is None or name not in found.prepared or found.state != 'ACTIVE':
            return None, 'No file is prepared at %s.' % uri
        return found.item.local_path(name), None
    target = files.folder_url_parts(parts.path, parts.query)
    if target is None or target[0] is None or target[1] is None:
        return None, 'The source URI %s names no file of this server.' % uri
    dc_path, ds_name, relative = target
    datacenter = files.datacenter_by_path(call.server, dc_path)
    ds = files.datastore_named(datacenter, ds_name) if datacenter is not None else None
    if ds is None:
        return None, 'The source URI %s names no datastore.' % uri
    user = call.session.user if call.session is not None else ''
    if not user_may(call.server, user, ds, 'Datastore.Browse'):
        return None, 'Permission to read %s denied.' % uri
    try:
        local = files.local_path(ds, relative)
    except files.PathError:
        return None, 'The source URI %s names no file.' % uri
    files.namespace(call.server).materialize()
    if not os.path.isfile(local):
        return None, 'The file at %s does not exist.' % uri
    return local, None


@update_session_file.operation('add', 'POST', '/{update_session_id}/file', body='file_spec',
                               params={**UPDATE_ID, 'file_spec': ADD_SPEC},
                               output=SESSION_FILE_INFO)
def add_session_file(call, update_session_id, file_spec):
    model = content(call)
    session = model.update_session(update_session_id)
    source = file_spec['source_endpoint']
    if file_spec['source_type'] != 'PULL' and source is not None:
        raise invalid_argument('Only a PULL file has a source endpoint.', 'source_endpoint')
    added = model.add_file(session, file_spec['name'], file_spec['source_type'],
                           file_spec['size'], _checksum(file_spec['checksum_info']),
                           source['uri'] if source else None, _pull(call))
    return _session_file_info(call, session, added)


@update_session_file.operation('get', 'GET', '/{update_session_id}/file/{file_name}',
                               params={**UPDATE_ID, 'file_name': String},
                               output=SESSION_FILE_INFO)
def get_session_file(call, update_session_id, file_name):
    session = content(call).update_session(update_session_id)
    return _session_file_info(call, session, session.file(file_name))


@update_session_file.operation('list', 'GET', '/{update_session_id}/file', params=UPDATE_ID,
                               output=List(SESSION_FILE_INFO))
def list_session_files(call, update_session_id):
    session = content(call).update_session(update_session_id)
    return [_session_file_info(call, session, found) for found in session.files.values()]


@update_session_file.operation('remove', 'DELETE', '/{update_session_id}/file/{file_name}',
                               params={**UPDATE_ID, 'file_name': String})
def remove_session_file(call, update_session_id, file_name):
    model = content(call)
    model.remove_file(model.update_session(update_session_id), file_name)


@update_session_file.operation('validate', 'POST', '/{update_session_id}/file',
                               action='validate', params=UPDATE_ID, output=VALIDATION_RESULT)
def validate_session_files(call, update_session_id):
    session = content(call).update_session(update_session_id)
    session.check_active()
    problems = session.problems()
    missing = session.missing_files()
    return {'has_errors': bool(problems or missing), 'missing_files': missing,
            'invalid_files': [{'name': name, 'error_message': {
                'id': 'com.vmware.vdcs.cls-main.invalid_file', 'default_message': text,
                'args': [name]}} for name, text in sorted(problems.items())]}


# -- download sessions -------------------------------------------------------------------------
@download_session.operation('create', 'POST', body='create_spec',
                            params={**TOKEN, 'create_spec': DOWNLOAD_SESSION_MODEL},
                            output=Id)
@requires('ContentLibrary.DownloadSession')
def create_download_session(call, client_token, create_spec):
    model = content(call)
    found = _session_item(model, create_spec)
    return model.once('download_session.create', client_token,
                      lambda: model.open_download_session(found).id)


@download_session.operation('get', 'GET', '/{download_session_id}', params=DOWNLOAD_ID,
                            output=DOWNLOAD_SESSION_MODEL)
def get_download_session(call, download_session_id):
    return _session_model(content(call).download_session(download_session_id))


@download_session.operation('list', 'GET', params={'library_item_id': Optional(Id)},
                            output=List(Id))
def list_download_sessions(call, library_item_id):
    model = content(call)
    wanted = model.item(library_item_id) if library_item_id is not None else None
    return [found.id for found in model.download_sessions.values()
            if wanted in (None, found.item)]


@download_session.operation('keep_alive', 'POST', '/{download_session_id}',
                            action='keep-alive',
                            params={**DOWNLOAD_ID, 'progress': Optional(Integer)})
def keep_download_session(call, download_session_id, progress):
    found = content(call).download_session(download_session_id)
    found.check_active()
    found.keep_alive(_progress(progress))


@download_session.operation('cancel', 'POST', '/{download_session_id}', action='cancel',
                            params=DOWNLOAD_ID)
def cancel_download_session(call, download_session_id):
    found = content(call).download_session(download_session_id)
    found.check_active()
    found.state = 'CANCELED'


@download_session.operation('fail', 'POST', '/{download_session_id}', action='fail',
                            params={**DOWNLOAD_ID, 'client_error_message': String})
def fail_download_session(call, download_session_id, client_error_message):
    content(call).download_session(download_session_id).fail(client_error_message)


@download_session.operation('delete', 'DELETE', '/{download_session_id}', params=DOWNLOAD_ID)
def delete_download_session(call, download_session_id):
    model = content(call)
    del model.download_sessions[model.download_session(download_session_id).id]


def _download_file_info(call, session, stored):
    prepared = stored.name in session.prepared
    endpoint = {'uri': '%s%s%s/%s' % (base_url(call), DOWNLOAD_PATH, session.id,
                                       urllib.parse.quote(stored.name))} if prepared else None
    return {'name': stored.name, 'size': stored.size, 'bytes_transferred': 0,
            'status': 'PREPARED' if prepared else 'UNPREPARED', 'download_endpoint': endpoint,
            'checksum_info': _checksum_info(('SHA1', stored.checksum))}


@download_session_file.operation('list', 'GET', '/{download_session_id}/file',
                                 params=DOWNLOAD_ID, output=List(DOWNLOAD_FILE_INFO))
def list_download_files(call, download_session_id):
    session = content(call).download_session(download_session_id)
    return [_download_file_info(call, session, stored)
            for stored in session.item.files.values()]


@download_session_file.operation('get', 'GET', '/{download_session_id}/file',
                                 params={**DOWNLOAD_ID, 'file_name': String},
                                 output=DOWNLOAD_FILE_INFO, dispatch='file_name')
def get_download_file(call, download_session_id, file_name):
    session = content(call).download_session(download_session_id)
    return _download_file_info(call, session, session.item.file(file_name))


@download_session_file.operation('prepare', 'POST', '/{download_session_id}/file',
                                 action='prepare',
                                 params={**DOWNLOAD_ID, 'file_name': String,
                                         'endpoint_type': Optional(ENDPOINT_TYPE)},
                                 output=DOWNLOAD_FILE_INFO)
def prepare_download_file(call, download_session_id, file_name, endpoint_type):
    model = content(call)
    session = model.download_session(download_session_id)
    if endpoint_type == 'DIRECT':
        raise library_error('unsupported', 'Only HTTPS download endpoints are offered.',
                            'endpoint_type')
    return _download_file_info(call, session, model.prepare(session, file_name))
