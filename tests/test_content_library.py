"""The content library's vAPI services: libraries and items through the
Automation SDK (JSON-RPC), the /api and /rest forms govc and scripts use
(read back with the SDK's own bindings), update sessions (PUSH to the
upload endpoint, PULL from /folder and from a download endpoint), download
sessions, vCenter's errors and privileges, the files on the datastore as
/folder and SearchDatastore_Task see them, and -state."""
import pytest
from com.vmware.content.library.item.updatesession_client import File as SessionFile
from com.vmware.content.library.item_client import File as ItemFile
from com.vmware.content.library.item_client import (DownloadSessionModel, TransferEndpoint,
                                                    UpdateSessionModel)
from com.vmware.content.library_client import ItemModel, StorageBacking
from com.vmware.content_client import LibraryModel
from com.vmware.vapi.std.errors_client import (AlreadyExists, ConcurrentChange, InvalidArgument,
                                               NotAllowedInCurrentState, NotFound, ResourceBusy)
from pyVim.task import WaitForTask
from pyVmomi import vim
from vmware.vapi.bindings import type as binding

from tests.conftest import _simulator, all_of
from tests.rest_support import Door, client, door, error_of, sdk_reads, si, token  # noqa: F401
from tests.test_permissions import PASSWORDS, READ_ONLY, admin, grant, login, users_vc  # noqa: F401

SESSION_HEADER = 'vmware-api-session-id'


@pytest.fixture(scope='module')
def sim(validator):
    """A simulator of its own: the tests make libraries."""
    return _simulator(validator)


def _datastore(si):
    return sorted(all_of(si, vim.Datastore), key=lambda ds: ds._moId)[0]


def _spec(si, name, **fields):
    return LibraryModel(name=name, storage_backings=[StorageBacking(
        type=StorageBacking.Type.DATASTORE, datastore_id=_datastore(si)._moId)], **fields)


def _push(client, door, token, item_id, files, checksum=None):
    """An update session of the item with `files` ({name: bytes}) pushed; its id."""
    session = client.content.library.item.UpdateSession.create(
        create_spec=UpdateSessionModel(library_item_id=item_id))
    for name, data in files.items():
        added = client.content.library.item.updatesession.File.add(session, SessionFile.AddSpec(
            name=name, source_type=SessionFile.SourceType.PUSH, size=len(data),
            checksum_info=checksum))
        assert added.status == 'WAITING_FOR_TRANSFER'
        answer = door.http.put(added.upload_endpoint.uri, data=data,
                               headers={SESSION_HEADER: token})
        assert answer.status_code in (200, 201), answer.text
    return session


def test_libraries_through_the_sdk(client, si):
    """create, get, list, find, update (a new version), delete; a library's
    folder is on its datastore."""
    libraries = client.content.Library
    library_id = client.content.LocalLibrary.create(create_spec=_spec(si, 'sdk-lib',
                                                                      description='first'))
    model = libraries.get(library_id)
    assert (model.name, model.type, model.description, model.version) == \
        ('sdk-lib', 'LOCAL', 'first', '1')
    assert model.storage_backings[0].datastore_id == _datastore(si)._moId
    assert library_id in libraries.list() and library_id in client.content.LocalLibrary.list()
    assert library_id not in client.content.SubscribedLibrary.list()
    found = libraries.find(libraries.FindSpec(name='sdk-lib'))
    assert found == [library_id]
    client.content.LocalLibrary.update(library_id, LibraryModel(description='second'))
    model = libraries.get(library_id)
    assert (model.description, model.version) == ('second', '2')
    read_back = libraries.get(library_id)         # the model read back, one field changed
    read_back.description = 'third'
    client.content.LocalLibrary.update(library_id, read_back)
    assert libraries.get(library_id).version == '3'
    with pytest.raises(ConcurrentChange):        # changed since the version the client read
        client.content.LocalLibrary.update(library_id, LibraryModel(name='x', version='1'))
    with pytest.raises(InvalidArgument):
        libraries.update(library_id, LibraryModel(storage_backings=[]))
    with pytest.raises(InvalidArgument):
        client.content.LocalLibrary.create(create_spec=_spec(si, 'sdk-lib'))
    with pytest.raises(InvalidArgument):
        client.content.LocalLibrary.create(create_spec=LibraryModel(
            name='nowhere', storage_backings=[StorageBacking(
                type=StorageBacking.Type.DATASTORE, datastore_id='datastore-0')]))
    folder = '[%s] contentlib-%s' % (_datastore(si).name, library_id)
    browser = _datastore(si).browser
    task = browser.SearchDatastore_Task('[%s]' % _datastore(si).name,
                                        vim.host.DatastoreBrowser.SearchSpec())
    WaitForTask(task)
    assert 'contentlib-%s' % library_id in [f.path for f in task.info.result.file]
    libraries.delete(library_id)
    with pytest.raises(NotFound):
        libraries.get(library_id)
    task = browser.SearchDatastore_Task(folder, vim.host.DatastoreBrowser.SearchSpec())
    with pytest.raises(vim.fault.FileNotFound):
        WaitForTask(task)


def test_items_and_their_sessions(client, si, door, token):
    """An item's content comes from completed sessions (content_version),
    its fields from updates (metadata_version); one session at a time; a
    checksum that does not match keeps the session from completing."""
    library_id = client.content.LocalLibrary.create(create_spec=_spec(si, 'items'))
    items = client.content.library.Item
    item_id = items.create(create_spec=ItemModel(library_id=library_id, name='notes',
                                                 type='file'))
    with pytest.raises(AlreadyExists):
        items.create(create_spec=ItemModel(library_id=library_id, name='notes'))
    session = _push(client, door, token, item_id, {'a.txt': b'hello', 'b.txt': b'world!'})
    with pytest.raises(ResourceBusy):
        client.content.library.item.UpdateSession.create(
            create_spec=UpdateSessionModel(library_item_id=item_id))
    listed = client.content.library.item.updatesession.File.list(session)
    assert [(f.name, f.status, f.bytes_transferred) for f in listed] == \
        [('a.txt', 'READY', 5), ('b.txt', 'READY', 6)]
    client.content.library.item.UpdateSession.complete(session)
    assert client.content.library.item.UpdateSession.get(session).state == 'DONE'
    item = items.get(item_id)
    assert (item.content_version, item.metadata_version, item.size, item.cached) == \
        ('2', '1', 11, True)
    items.update(item_id, ItemModel(description='described'))
    item = items.get(item_id)
    assert (item.description, item.metadata_version, item.content_version) == \
        ('described', '2', '2')
    assert items.find(items.FindSpec(name='notes', library_id=library_id)) == [item_id]

    wrong = ItemFile.ChecksumInfo(algorithm=ItemFile.ChecksumAlgorithm.SHA1, checksum='0' * 40)
    bad = _push(client, door, token, item_id, {'c.txt': b'changed'}, checksum=wrong)
    result = client.content.library.item.updatesession.File.validate(bad)
    assert result.has_errors and [e.name for e in result.invalid_files] == ['c.txt']
    with pytest.raises(NotAllowedInCurrentState):
        client.content.library.item.UpdateSession.complete(bad)
    client.content.library.item.UpdateSession.cancel(bad)
    assert items.get(item_id).content_version == '2'
    assert sorted(f.name for f in client.content.library.item.File.list(item_id)) == \
        ['a.txt', 'b.txt']

    copied = items.copy(item_id, ItemModel(library_id=library_id, name='notes-copy'))
    assert items.get(copied).size == 11
    items.delete(copied)
    with pytest.raises(NotFound):
        items.get(copied)


def test_files_on_the_datastore_and_pull(client, si, door, token):
    """The item's files are under contentlib-<library>/<item>/ (read back
    through /folder); PULL takes a /folder URL and a download endpoint."""
    library_id = client.content.LocalLibrary.create(create_spec=_spec(si, 'pulled'))
    items = client.content.library.Item
    source_id = items.create(create_spec=ItemModel(library_id=library_id, name='source'))
    client.content.library.item.UpdateSession.complete(
        _push(client, door, token, source_id, {'data.iso': b'ISO9660' * 100}))
    assert items.get(source_id).type == 'iso'
    ds = _datastore(si)
    dc = si.content.rootFolder.childEntity[0]
    folder_url = '%s/folder/contentlib-%s/%s/data.iso?dcPath=%s&dsName=%s' % (
        door.base, library_id, source_id, dc.name, ds.name)
    assert door.http.get(folder_url, headers={SESSION_HEADER: token},
                         cookies={'vmware_soap_session': token}).content == b'ISO9660' * 100

    target_id = items.create(create_spec=ItemModel(library_id=library_id, name='target'))
    session = client.content.library.item.UpdateSession.create(
        create_spec=UpdateSessionModel(library_item_id=target_id))
    files = client.content.library.item.updatesession.File
    pulled = files.add(session, SessionFile.AddSpec(
        name='copy.iso', source_type=SessionFile.SourceType.PULL,
        source_endpoint=TransferEndpoint(uri=folder_url)))
    assert (pulled.status, pulled.bytes_transferred) == ('READY', 700), pulled.error_message
    missing = files.add(session, SessionFile.AddSpec(
        name='gone.iso', source_type=SessionFile.SourceType.PULL,
        source_endpoint=TransferEndpoint(uri=folder_url.replace('data.iso', 'nothing.iso'))))
    assert missing.status == 'ERROR'
    files.remove(session, 'gone.iso')

    download = client.content.library.item.DownloadSession.create(
        create_spec=DownloadSessionModel(library_item_id=source_id))
    download_files = client.content.library.item.downloadsession.File
    assert [f.status for f in download_files.list(download)] == ['UNPREPARED']
    prepared = download_files.prepare(download, 'data.iso')
    assert prepared.status == 'PREPARED'
    served = door.http.get(prepared.download_endpoint.uri, headers={SESSION_HEADER: token})
    assert served.content == b'ISO9660' * 100
    assert door.http.get(prepared.download_endpoint.uri).status_code == 401
    files.add(session, SessionFile.AddSpec(
        name='again.iso', source_type=SessionFile.SourceType.PULL,
        source_endpoint=TransferEndpoint(uri=prepared.download_endpoint.uri)))
    client.content.library.item.UpdateSession.complete(session)
    assert sorted(f.name for f in client.content.library.item.File.list(target_id)) == \
        ['again.iso', 'copy.iso']
    client.content.library.item.DownloadSession.delete(download)
    assert door.http.get(prepared.download_endpoint.uri,
                         headers={SESSION_HEADER: token}).status_code == 404


@pytest.mark.parametrize('form', ['api', 'rest'])
def test_http_forms(si, door, token, form):
    """govc's /rest calls and the /api form: the answers the SDK's bindings
    read, and vCenter's statuses for a missing object and session."""
    ds = _datastore(si)._moId
    spec = {'name': 'http-' + form, 'type': 'LOCAL',
            'storage_backings': [{'type': 'DATASTORE', 'datastore_id': ds}]}
    if form == 'api':
        created = door.request('POST', '/api/content/local-library', token, json=spec)
        assert created.status_code == 201
        library_id = created.json()
        read = door.request('GET', '/api/content/library/' + library_id, token)
        item = door.request('POST', '/api/content/library/item', token, json={
            'library_id': library_id, 'name': 'thing', 'type': 'file'}).json()
        listed = door.request('GET', '/api/content/library/item?library_id=' + library_id,
                              token)
        missing = door.request('GET', '/api/content/library/no-such-library', token)
        anonymous = door.request('GET', '/api/content/library')
    else:
        created = door.request('POST', '/rest/com/vmware/content/local-library', token,
                               json={'create_spec': spec})
        assert created.status_code == 200
        library_id = created.json()['value']
        read = door.request('GET', '/rest/com/vmware/content/library/id:' + library_id, token)
        item = door.request('POST', '/rest/com/vmware/content/library/item', token, json={
            'create_spec': {'library_id': library_id, 'name': 'thing', 'type': 'file'}}
        ).json()['value']
        listed = door.request('GET', '/rest/com/vmware/content/library/item?library_id='
                              + library_id, token)
        missing = door.request('GET', '/rest/com/vmware/content/library/id:nope', token)
        anonymous = door.request('GET', '/rest/com/vmware/content/library')
    model = sdk_reads(read, LibraryModel.get_binding_type(), form)
    assert (model.id, model.name, model.type) == (library_id, 'http-' + form, 'LOCAL')
    assert sdk_reads(listed, binding.ListType(binding.IdType()), form) == [item]
    assert missing.status_code == 404
    assert error_of(missing, form)[0] in ('NOT_FOUND', 'com.vmware.vapi.std.errors.not_found')
    assert anonymous.status_code == 401


def test_update_session_over_rest_as_govc_sends_it(si, door, token):
    """govc library.import: an update session, a file added by
    `?~action=add`, the bytes PUT, the session completed and deleted."""
    ds = _datastore(si)._moId
    library_id = door.request('POST', '/rest/com/vmware/content/local-library', token, json={
        'create_spec': {'name': 'govc', 'type': 'LOCAL', 'storage_backings': [
            {'type': 'DATASTORE', 'datastore_id': ds}]}}).json()['value']
    item_id = door.request('POST', '/rest/com/vmware/content/library/item', token, json={
        'create_spec': {'library_id': library_id, 'name': 'readme', 'type': 'file'}}
    ).json()['value']
    session = door.request('POST', '/rest/com/vmware/content/library/item/update-session',
                           token, json={'create_spec': {'library_item_id': item_id}}
                           ).json()['value']
    added = door.request('POST', '/rest/com/vmware/content/library/item/updatesession/file/id:'
                         + session + '?~action=add', token, json={'file_spec': {
                             'name': 'README.md', 'source_type': 'PUSH', 'size': 3}})
    assert added.status_code == 200, added.text
    upload = added.json()['value']['upload_endpoint']['uri']
    assert door.http.put(upload, data=b'abc', headers={SESSION_HEADER: token}).status_code \
        in (200, 201)
    assert door.http.put(upload.replace(session, 'other'), data=b'abc',
                         headers={SESSION_HEADER: token}).status_code == 404
    base = '/rest/com/vmware/content/library/item/update-session/id:' + session
    assert door.request('POST', base + '?~action=complete', token).status_code == 200
    assert door.request('DELETE', base, token).status_code == 200
    item = door.request('GET', '/rest/com/vmware/content/library/item/id:' + item_id,
                        token).json()['value']
    assert (item['size'], item['content_version']) == (3, '2')
    assert door.request('DELETE', '/rest/com/vmware/content/local-library/id:' + library_id,
                        token).status_code == 200


def test_content_library_takes_its_privileges(admin, users_vc):
    """A ReadOnly user may read libraries but not create one (403) until it
    holds ContentLibrary.CreateLocalLibrary on the root folder."""
    door = Door(users_vc)
    token = door.login(*PASSWORDS['reader'])
    grant(admin, admin.content.rootFolder, 'reader@vsphere.local', READ_ONLY)
    ds = sorted(all_of(admin, vim.Datastore), key=lambda d: d._moId)[0]._moId
    spec = {'name': 'authz', 'storage_backings': [{'type': 'DATASTORE', 'datastore_id': ds}]}
    refused = door.request('POST', '/api/content/local-library', token, json=spec)
    assert refused.status_code == 403 and refused.json()['error_type'] == 'UNAUTHORIZED'
    assert door.request('GET', '/api/content/library', token).status_code == 200
    role = admin.content.authorizationManager.AddAuthorizationRole(
        'Librarians', ['ContentLibrary.CreateLocalLibrary'])
    grant(admin, admin.content.rootFolder, 'reader@vsphere.local', role)
    assert door.request('POST', '/api/content/local-library', token, json=spec).status_code \
        == 201


def test_state_keeps_libraries_and_their_files(validator, tmp_path):
    """With -state, a library, an item and the file pushed into it are
    replayed: the restarted simulator has them, bytes included."""
    from tests.test_state import _restarted, _start, _stop, _stopped
    first = _start(validator, tmp_path)
    door = Door(first)
    token = door.login()
    ds = door.request('GET', '/api/vcenter/datastore', token).json()[0]['datastore']
    library_id = door.request('POST', '/api/content/local-library', token, json={
        'name': 'kept', 'storage_backings': [{'type': 'DATASTORE', 'datastore_id': ds}]}).json()
    item_id = door.request('POST', '/api/content/library/item', token, json={
        'library_id': library_id, 'name': 'kept-item'}).json()
    session = door.request('POST', '/api/content/library/item/update-session', token,
                           json={'library_item_id': item_id}).json()
    added = door.request('POST', '/api/content/library/item/update-session/%s/file' % session,
                         token, json={'name': 'kept.txt', 'source_type': 'PUSH'}).json()
    assert door.http.put(added['upload_endpoint']['uri'], data=b'kept bytes',
                         headers={SESSION_HEADER: token}).status_code == 201
    assert door.request('POST', '/api/content/library/item/update-session/%s?action=complete'
                        % session, token).status_code == 204
    second = _restarted(validator, tmp_path, _stopped(first))
    door = Door(second)
    token = door.login()
    item = door.request('GET', '/api/content/library/item/' + item_id, token).json()
    assert (item['name'], item['size'], item['library_id']) == ('kept-item', 10, library_id)
    download = door.request('POST', '/api/content/library/item/download-session', token,
                            json={'library_item_id': item_id}).json()
    prepared = door.request('POST', '/api/content/library/item/download-session/%s/file'
                            '?action=prepare' % download, token,
                            json={'file_name': 'kept.txt'}).json()
    assert door.http.get(prepared['download_endpoint']['uri'],
                         headers={SESSION_HEADER: token}).content == b'kept bytes'
    _stop(second)


def _junk(vapi_type, text):
    """A value of `vapi_type` that names nothing: every field filled."""
    from vimsim.rest import types
    if isinstance(vapi_type, types.Optional):
        return _junk(vapi_type.element, text)
    if isinstance(vapi_type, types.Enum):
        return vapi_type.values[-1]
    if isinstance(vapi_type, types.Struct):
        return {name: _junk(field, text) for name, field in vapi_type.fields.items()}
    if isinstance(vapi_type, types.List):
        return [_junk(vapi_type.element, text)]
    if isinstance(vapi_type, types.Map):
        return {text: _junk(vapi_type.value, text)}
    if vapi_type is types.Integer:
        return -1
    if vapi_type is types.Double:
        return -1.5
    if vapi_type is types.Boolean:
        return True
    if vapi_type is types.DateTime:
        import datetime
        return datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    return text


@pytest.mark.parametrize('text', ['junk', '', '../../etc/passwd', 'datastore-0'])
def test_junk_input_gets_errors_not_internal_errors(client, door, token, text):
    """Every content library and deploy operation, called through JSON-RPC
    with every field filled with a value that names nothing, answers a
    standard error or a result, never internal_server_error."""
    from vimsim.rest.service import OPERATIONS
    families = ('com.vmware.content.', 'com.vmware.vcenter.ovf.',
                'com.vmware.vcenter.vm_template.')
    for (service, name), operation in sorted(OPERATIONS.items()):
        if not service.startswith(families):
            continue
        body = {'jsonrpc': '2.0', 'id': '1', 'method': 'invoke', 'params': {
            'serviceId': service, 'operationId': name,
            'ctx': {'securityCtx': {'schemeId': 'com.vmware.vapi.std.security.session_id',
                                    'sessionId': token}},
            'input': operation.input.to_jsonrpc(_junk(operation.input, text))}}
        answer = door.request('POST', '/api', json=body).json()
        assert 'result' in answer, (service, name, answer)
        error = answer['result'].get('error')
        if error is not None:
            (kind,) = error['ERROR']
            assert kind != 'com.vmware.vapi.std.errors.internal_server_error', (service, name)
