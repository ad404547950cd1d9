"""The content library model: libraries, their items and the items' files,
update and download sessions, one per simulator (`Simulator.content_library`).

vCenter's content library service apart from any protocol (the vAPI
services in vimsim/rest/content_library*.py call it). A library is backed by
a datastore folder, `contentlib-<library id>/`, and an item's files are real
files in `contentlib-<library id>/<item id>/` there, so /folder and the
datastore browser see them as on vCenter. Files an update session receives
wait in the item's `.session-<id>/` folder until the session completes; an
upload there is an ordinary datastore upload (-state journals it as one),
and everything else is done by the journaled vAPI calls, so -state replays
the library from its journal as it replays tagging.

A subscribed library names its publisher by the publish URL
(`.../cls/vcsp/lib/<id>/lib.json`); the publisher is a library of the same
simulator, and a sync copies its items (their files too, unless the
subscription is on demand) into the subscriber.
"""
import hashlib
import os
import re
import shutil

from vimsim import clock
from vimsim.managed.storage import datastore_files as files
from vimsim.rest.errors import VapiError, already_exists, invalid_argument, not_found
from vimsim.schema import MoRef

__all__ = ['ContentLibrary', 'Library', 'Item', 'UpdateSession', 'DownloadSession',
           'library_error', 'publish_path', 'PUBLISH_URL']

NAME_LIMIT = 80                      # characters of a library or item name (vCenter's UI)
SESSION_TIMEOUT = 300                # seconds an idle session is kept ACTIVE (expiration_time)
PUBLISH_URL = re.compile(r'^https?://[^/]+/cls/vcsp/lib/([^/?#]+)/lib\.json$')
STAGING = '.session-%s'
PUBLISH_USER = 'vcsp'                # the user name of a password-protected publication
TYPES_BY_SUFFIX = (('.ovf', 'ovf'), ('.iso', 'iso'))


def library_error(kind, text, *args):
    """A standard error of `kind` with a content library message."""
    return VapiError(kind, 'com.vmware.vdcs.cls-main.' + kind, text, *args)


def publish_path(library):
    return '/cls/vcsp/lib/%s/lib.json' % library.id


def _checked_name(name, what):
    if name is None or not name.strip() or len(name) > NAME_LIMIT:
        raise invalid_argument('The %s name must have 1 to %d characters.' % (what, NAME_LIMIT),
                               'name')
    return name


def _file_name(name):
    """A file name of an item: one path part."""
    if not name or name in ('.', '..') or '/' in name or '\\' in name or \
            name.startswith(STAGING % '') or len(name.encode('utf-8')) > files.NAME_MAX:
        raise invalid_argument('Invalid file name %r.' % name, 'name')
    return name


def _sha1(path):
    digest = hashlib.sha1()
    with open(path, 'rb') as f:
        for piece in iter(lambda: f.read(files.COPY_CHUNK), b''):
            digest.update(piece)
    return digest.hexdigest()


class StoredFile:
    """One file of an item: its size, sha1, the content version that wrote
    it, and whether its bytes are here (a subscribed item on demand keeps
    only what the publisher said of it)."""

    def __init__(self, name, size, checksum, version, cached=True):
        self.name = name
        self.size = size
        self.checksum = checksum
        self.version = version
        self.cached = cached


class Library:
    def __init__(self, identifier, name, description, kind, datastore):
        self.id = identifier
        self.name = name
        self.description = description
        self.type = kind                 # 'LOCAL' or 'SUBSCRIBED'
        self.datastore = datastore
        self.created = self.modified = clock.now()
        self.last_sync = None
        self.version = 1
        self.published = False
        self.publish_password = None     # BASIC authentication of the publication
        self.persist_json = False
        self.subscription = None         # a subscribed library's Subscription
        self.items = {}                  # id -> Item, in creation order

    @property
    def directory(self):
        return 'contentlib-%s' % self.id

    def touch(self):
        self.modified = clock.now()
        self.version += 1


class Subscription:
    """What a subscribed library follows: the publisher's URL, credentials,
    and whether files come at sync (on_demand False) or when asked."""

    def __init__(self, url, password, on_demand, automatic_sync):
        self.url = url
        self.password = password
        self.on_demand = on_demand
        self.automatic_sync = automatic_sync


class Item:
    def __init__(self, identifier, library, name, description, kind):
        self.id = identifier
        self.library = library
        self.name = name
        self.description = description
        self.type = kind
        self.created = self.modified = clock.now()
        self.last_sync = None
        self.content_version = 1
        self.metadata_version = 1
        self.files = {}                  # name -> StoredFile
        self.source_id = None            # a subscribed item's publisher item
        self.template = None             # a vm-template item's template VM (its moid)

    @property
    def directory(self):
        return '%s/%s' % (self.library.directory, self.id)

    @property
    def size(self):
        return sum(stored.size for stored in self.files.values())

    @property
    def cached(self):
        return all(stored.cached for stored in self.files.values())

    def file(self, name):
        found = self.files.get(name)
        if found is None:
            raise not_found('File', name)
        return found

    def local_path(self, name):
        return files.local_path(self.library.datastore, '%s/%s' % (self.directory, name))


class SessionFile:
    """A file an update session adds: where its bytes come from and how far
    they came (status WAITING_FOR_TRANSFER, READY or ERROR)."""

    def __init__(self, name, source_type, size, checksum, source_uri):
        self.name = name
        self.source_type = source_type   # 'PUSH', 'PULL' or 'NONE'
        self.size = size
        self.checksum = checksum         # (algorithm, value) or None
        self.source_uri = source_uri
        self.status = 'WAITING_FOR_TRANSFER'
        self.error = None                # a localizable message

    def failed(self, text, *args):
        self.status = 'ERROR'
        self.error = {'id': 'com.vmware.vdcs.cls-main.file_transfer_error',
                      'default_message': text, 'args': [str(arg) for arg in args]}


class _Session:
    """What update and download sessions share: an item, a state, a
    client's progress and error, an expiry that keep_alive moves on."""

    def __init__(self, identifier, item):
        self.id = identifier
        self.item = item
        self.content_version = item.content_version
        self.state = 'ACTIVE'
        self.progress = 0
        self.error = None
        self.keep_alive()

    def keep_alive(self, progress=None):
        self.expires = clock.seconds() + SESSION_TIMEOUT
        if progress is not None:
            self.progress = progress

    def check_active(self):
        if self.state != 'ACTIVE':
            raise library_error('not_allowed_in_current_state',
                                'The session %s is %s, not ACTIVE.' % (self.id, self.state),
                                self.id, self.state)

    def fail(self, message):
        self.check_active()
        self.state = 'ERROR'
        self.error = {'id': 'com.vmware.vdcs.cls-main.client_error', 'default_message': message,
                      'args': []}


class UpdateSession(_Session):
    def __init__(self, identifier, item):
        super().__init__(identifier, item)
        self.files = {}                  # name -> SessionFile, in the order added

    @property
    def staging(self):
        return '%s/%s' % (self.item.directory, STAGING % self.id)

    def staged_path(self, name):
        return files.local_path(self.item.library.datastore, '%s/%s' % (self.staging, name))

    def file(self, name):
        found = self.files.get(name)
        if found is None:
            raise not_found('File', name)
        return found

    def received(self, session_file):
        """Bytes of `session_file` here so far (a PUSH arrives by upload)."""
        path = self.staged_path(session_file.name)
        return os.path.getsize(path) if os.path.isfile(path) else 0

    def status(self, session_file):
        """The file's status, as its bytes now say."""
        if session_file.status == 'ERROR' or session_file.source_type == 'NONE':
            return session_file.status
        received = self.received(session_file)
        if session_file.source_type == 'PUSH' and received == 0 and \
                not os.path.isfile(self.staged_path(session_file.name)):
            return 'WAITING_FOR_TRANSFER'
        if session_file.size is not None and received < session_file.size:
            return 'TRANSFERRING'
        return 'READY'

    def problems(self):
        """{file name: what is wrong with it} of the files added."""
        found = {}
        for session_file in self.files.values():
            status = self.status(session_file)
            if status == 'ERROR':
                found[session_file.name] = session_file.error['default_message']
            elif session_file.source_type == 'NONE':
                continue
            elif status != 'READY':
                found[session_file.name] = 'The file %s has not been received.' % \
                    session_file.name
            elif session_file.size is not None and \
                    self.received(session_file) != session_file.size:
                found[session_file.name] = 'The file %s has %d bytes, not the %d announced.' % (
                    session_file.name, self.received(session_file), session_file.size)
            elif session_file.checksum is not None and not _checksum_matches(
                    self.staged_path(session_file.name), *session_file.checksum):
                found[session_file.name] = 'The checksum of file %s does not match.' % \
                    session_file.name
        return found

    def missing_files(self):
        """Files an OVF descriptor of the item (after this session) refers
        to that neither the item nor the session has."""
        names = set(self.item.files) | set(self.files)
        for name in sorted(names):
            if not name.endswith('.ovf'):
                continue
            path = self.staged_path(name) if name in self.files else self.item.local_path(name)
            try:
                with open(path, 'rb') as f:
                    text = f.read(files.DESCRIPTOR_MAX * 16)
            except OSError:
                continue
            return sorted(set(ovf_references(text)) - names)
        return []


def _checksum_matches(path, algorithm, value):
    digest = hashlib.new((algorithm or 'SHA1').lower())
    with open(path, 'rb') as f:
        for piece in iter(lambda: f.read(files.COPY_CHUNK), b''):
            digest.update(piece)
    return digest.hexdigest().lower() == value.lower()


_OVF_HREF = re.compile(rb'<(?:\w+:)?File\b[^>]*?\b(?:\w+:)?href="([^"]+)"')


def ovf_references(text):
    """The file names an OVF descriptor's References name (ovf:href)."""
    return [name.decode('utf-8', 'replace') for name in _OVF_HREF.findall(text)]


class DownloadSession(_Session):
    def __init__(self, identifier, item):
        super().__init__(identifier, item)
        self.prepared = set()            # names of the files prepared for download


class ContentLibrary:
    """Libraries, items and sessions by id."""

    def __init__(self, server):
        self.server = server
        self.libraries = {}              # id -> Library, in creation order
        self.update_sessions = {}        # id -> UpdateSession
        self.download_sessions = {}      # id -> DownloadSession
        self.tokens = {}                 # (operation, client token) -> the id it made

    # -- lookups -----------------------------------------------------------------
    def library(self, identifier, kind=None):
        found = self.libraries.get(identifier)
        if found is None:
            raise not_found('Library', identifier)
        if kind is not None and found.type != kind:
            raise library_error('invalid_element_type', 'Library %s is a %s library, not a %s '
                                'one.' % (identifier, found.type, kind), identifier)
        return found

    def items(self):
        for library in self.libraries.values():
            yield from library.items.values()

    def item(self, identifier):
        for library in self.libraries.values():
            found = library.items.get(identifier)
            if found is not None:
                return found
        raise not_found('LibraryItem', identifier)

    def update_session(self, identifier):
        found = self.update_sessions.get(identifier)
        if found is None:
            raise not_found('UpdateSession', identifier)
        return found

    def download_session(self, identifier):
        found = self.download_sessions.get(identifier)
        if found is None:
            raise not_found('DownloadSession', identifier)
        return found

    def once(self, operation, token, make):
        """make() once per client token: the same token answers what it made."""
        if token is not None and (operation, token) in self.tokens:
            return self.tokens[operation, token]
        made = make()
        if token is not None:
            self.tokens[operation, token] = made
        return made

    def _new_id(self):
        return self.server.new_uuid()

    # -- libraries ------------------------------------------------------------------
    def create_library(self, name, description, kind, datastore, subscription=None):
        _checked_name(name, 'library')
        if any(library.name == name for library in self.libraries.values()):
            raise invalid_argument('A library named %s already exists.' % name, 'name')
        library = Library(self._new_id(), name, description or '', kind, datastore)
        files.namespace(self.server).materialize()
        os.makedirs(files.local_path(datastore, library.directory), exist_ok=True)
        files.touched(datastore)
        library.subscription = subscription
        self.libraries[library.id] = library
        return library

    def rename_library(self, library, name):
        if name != library.name:
            _checked_name(name, 'library')
            if any(other.name == name for other in self.libraries.values()):
                raise invalid_argument('A library named %s already exists.' % name, 'name')
            library.name = name

    def delete_library(self, library):
        """A library goes with its items, their sessions and its folder."""
        for item in list(library.items.values()):
            self.delete_item(item)
        shutil.rmtree(files.local_path(library.datastore, library.directory),
                      ignore_errors=True)
        files.touched(library.datastore)
        del self.libraries[library.id]

    def publisher(self, url, password):
        """The published library a subscription URL names, or the error a
        probe reports: (library, None) or (None, probe status)."""
        match = PUBLISH_URL.match(url or '')
        if match is None:
            return None, 'INVALID_URL'
        found = self.libraries.get(match.group(1))
        if found is None or found.type != 'LOCAL' or not found.published:
            return None, 'RESOURCE_NOT_FOUND'
        if found.publish_password is not None and password != found.publish_password:
            return None, 'INVALID_CREDENTIALS'
        return found, None

    def subscribers(self, library):
        return [other for other in self.libraries.values() if other.subscription is not None
                and self.publisher(other.subscription.url, other.subscription.password)[0]
                is library]

    def sync_library(self, library):
        """Bring a subscribed library in line with its publisher: items the
        publisher has (new, or of a newer content), none it has not."""
        subscription = library.subscription
        publisher, problem = self.publisher(subscription.url, subscription.password)
        if publisher is None:
            raise library_error('resource_inaccessible', 'The subscription URL %s cannot be '
                                'reached (%s).' % (subscription.url, problem),
                                subscription.url, problem)
        mirrored = {item.source_id: item for item in library.items.values()}
        for source in publisher.items.values():
            self.sync_item(library, source, mirrored.pop(source.id, None),
                           not subscription.on_demand)
        for gone in mirrored.values():
            self.delete_item(gone)
        library.last_sync = clock.now()

    def sync_item(self, library, source, item=None, with_files=True):
        """`item` (made when None) of a subscribed library as the publisher's
        `source` is: its metadata, its files' descriptions, their bytes when
        `with_files`."""
        if item is None:
            item = Item(self._new_id(), library, source.name, source.description, source.type)
            item.source_id = source.id
            library.items[item.id] = item
        item.name, item.description, item.type = source.name, source.description, source.type
        stale = item.content_version != source.content_version
        for name in set(item.files) - set(source.files):
            self._remove_file(item, name)
        for name, stored in source.files.items():
            mine = item.files.get(name)
            keep = mine is not None and mine.cached and not stale and \
                mine.checksum == stored.checksum
            if keep:
                continue
            if with_files:
                self._store(item, name, source.local_path(name), stored.version, copy=True)
            else:
                self._remove_file(item, name)
                item.files[name] = StoredFile(name, stored.size, stored.checksum,
                                              stored.version, cached=False)
        item.content_version = source.content_version
        item.metadata_version = source.metadata_version
        item.last_sync = clock.now()
        return item

    def evict(self, item):
        """Drop the bytes of a subscribed item on demand, keeping what they are."""
        for name, stored in item.files.items():
            if stored.cached:
                files.remove(item.local_path(name))
                stored.cached = False
        files.touched(item.library.datastore)

    # -- items --------------------------------------------------------------------------
    def create_item(self, library, name, description, kind):
        _checked_name(name, 'item')
        if any(item.name == name for item in library.items.values()):
            raise already_exists('LibraryItem', name)
        item = Item(self._new_id(), library, name, description or '', kind or '')
        os.makedirs(files.local_path(library.datastore, item.directory), exist_ok=True)
        library.items[item.id] = item
        library.touch()
        return item

    def rename_item(self, item, name):
        if name != item.name:
            _checked_name(name, 'item')
            if any(other.name == name for other in item.library.items.values()):
                raise already_exists('LibraryItem', name)
            item.name = name

    def copy_item(self, source, library, name, description):
        item = self.create_item(library, name, description, source.type)
        for file_name, stored in source.files.items():
            if stored.cached:
                self._store(item, file_name, source.local_path(file_name), 1, copy=True)
        return item

    def delete_item(self, item):
        """An item goes with its sessions, its files and its template VM."""
        template = self.server.objects.get(MoRef('VirtualMachine', item.template or ''))
        if template is not None:
            template.remove_from_inventory(keep_files=False)
        for sessions in (self.update_sessions, self.download_sessions):
            for session in [s for s in sessions.values() if s.item is item]:
                del sessions[session.id]
        shutil.rmtree(files.local_path(item.library.datastore, item.directory),
                      ignore_errors=True)
        files.touched(item.library.datastore)
        del item.library.items[item.id]
        item.library.touch()

    def busy(self, item):
        """Whether an update session of `item` is under way."""
        return any(session.item is item and session.state == 'ACTIVE'
                   for session in self.update_sessions.values())

    def replace_content(self, item, sources):
        """Copies of the files at `sources` ((name, local path) pairs) become
        the item's content, in place of what it had: a new content version."""
        version = item.content_version + 1
        for name in list(item.files):
            self._remove_file(item, name)
        for name, source in sources:
            self._store(item, _file_name(name), source, version, copy=True)
        self._new_content(item, version)

    def _new_content(self, item, version):
        item.content_version = version
        item.modified = clock.now()
        item.library.touch()

    # -- item files -----------------------------------------------------------------------
    def _store(self, item, name, source, version, copy):
        """Put the file at `source` in place as the item's file `name`."""
        target = item.local_path(name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if copy:
            files.copy(source, target)
        else:
            files.move(source, target)
        item.files[name] = StoredFile(name, os.path.getsize(target), _sha1(target), version)
        files.touched(item.library.datastore)

    def _remove_file(self, item, name):
        stored = item.files.pop(name, None)
        if stored is not None and stored.cached:
            files.remove(item.local_path(name))

    # -- update sessions --------------------------------------------------------------------
    def open_update_session(self, item):
        if item.library.type != 'LOCAL':
            raise library_error('invalid_element_type', 'The items of subscribed library %s '
                                'cannot be changed.' % item.library.id, item.library.id)
        if self.busy(item):
            raise library_error('resource_busy', 'Library item %s has an update session '
                                'under way.' % item.id, item.id)
        session = UpdateSession(self._new_id(), item)
        self.update_sessions[session.id] = session
        return session

    def add_file(self, session, name, source_type, size, checksum, source_uri, pull):
        """Add a file to `session`; a PULL fetches it now with `pull(uri, path)`
        (an error message, or None once the bytes are there)."""
        session.check_active()
        _file_name(name)
        if name in session.files:
            raise invalid_argument('The session already has a file named %s.' % name, 'name')
        if source_type == 'PULL' and not source_uri:
            raise invalid_argument('A PULL file needs its source endpoint.', 'source_endpoint')
        if size is not None and size < 0:
            raise invalid_argument('The size of a file cannot be negative.', 'size')
        session_file = SessionFile(name, source_type, size, checksum, source_uri)
        path = session.staged_path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        session.files[name] = session_file
        if source_type == 'PULL':
            problem = pull(source_uri, path)
            if problem is not None:
                session_file.failed(problem, source_uri)
            files.touched(session.item.library.datastore)
        return session_file

    def remove_file(self, session, name):
        session.check_active()
        session.file(name)
        del session.files[name]
        path = session.staged_path(name)
        if os.path.lexists(path):
            files.remove(path)

    def complete(self, session):
        """The session's files become the item's content: a new content version."""
        session.check_active()
        problems = session.problems()
        if problems:
            name = sorted(problems)[0]
            raise library_error('not_allowed_in_current_state', problems[name], name)
        item = session.item
        version = item.content_version + 1
        for session_file in session.files.values():
            if session_file.source_type != 'NONE':
                self._store(item, session_file.name, session.staged_path(session_file.name),
                            version, copy=False)
        if item.files and not item.type:
            item.type = next((kind for suffix, kind in TYPES_BY_SUFFIX
                              if any(name.endswith(suffix) for name in item.files)), 'file')
        self._new_content(item, version)
        session.state = 'DONE'
        self._discard_staging(session)

    def end_update_session(self, session, state, message=None):
        """cancel (CANCELED) or fail (ERROR): the files received go."""
        if state == 'ERROR':
            session.fail(message)
        else:
            session.check_active()
            session.state = state
        self._discard_staging(session)

    def delete_update_session(self, session):
        if session.state == 'ACTIVE':
            self._discard_staging(session)
        del self.update_sessions[session.id]

    def _discard_staging(self, session):
        shutil.rmtree(files.local_path(session.item.library.datastore, session.staging),
                      ignore_errors=True)
        files.touched(session.item.library.datastore)

    # -- download sessions ------------------------------------------------------------------
    def open_download_session(self, item):
        session = DownloadSession(self._new_id(), item)
        self.download_sessions[session.id] = session
        return session

    def prepare(self, session, name):
        session.check_active()
        stored = session.item.file(name)
        if not stored.cached:
            raise library_error('not_allowed_in_current_state', 'The file %s of library item '
                                '%s is not cached here.' % (name, session.item.id), name)
        session.prepared.add(name)
        return stored
