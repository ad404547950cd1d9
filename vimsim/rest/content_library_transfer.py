"""/cls: the content library's transfer endpoints (vimsim/rest/content_library_item.py).

    PUT  /cls/data/<update session>/<file>      a PUSH file's bytes (upload_endpoint)
    GET  /cls/download/<download session>/<file> a prepared file (download_endpoint)

The caller proves a vCenter session as the REST API takes it (the
`vmware-api-session-id` header or cookie) or as /sdk does (the
`vmware_soap_session` cookie). An upload is the /folder upload of the file
into the update session's staging folder on the library's datastore (its
body streamed to disk, renamed into place when whole, journaled by -state
as any datastore upload); it answers 404 for a session that is not ACTIVE
or a file the session did not add as PUSH. A download is served as /folder
serves a file (byte ranges too).
"""
import urllib.parse

from vimsim.managed.storage import datastore_files as files
from vimsim.rest.content_library_item import DOWNLOAD_PATH, UPLOAD_PATH
from vimsim.rest.protocol import SESSION_HEADER
from vimsim.server.endpoint import session_cookie
from vimsim.server.folder import Folder, Refused, Upload, _text

__all__ = ['LibraryTransfer']


class LibraryTransfer:
    """The /cls handler (`handle`) and upload sink (`body_sink`) of one simulator."""

    def __init__(self, simulator):
        self.simulator = simulator
        self.folder = Folder(simulator)

    def _session(self, request):
        sessions = self.simulator.session_manager
        cookies = request.headers.get('cookie')
        for token in (request.headers.get(SESSION_HEADER),
                      session_cookie(cookies, SESSION_HEADER), session_cookie(cookies)):
            found = sessions.by_cookie(token) if token else None
            if found is not None:
                found.touch()
                return found
        return None

    @staticmethod
    def _parts(request, prefix):
        """(session id, file name) of a transfer URL, or None."""
        session_id, _, name = request.path[len(prefix):].partition('/')
        name = urllib.parse.unquote(name)
        if not session_id or not name or '/' in name:
            return None
        return session_id, name

    def _upload(self, request):
        """The Upload a PUT's body goes to, or the response refusing it."""
        if self._session(request) is None:
            return _text(401, 'Unauthorized')
        parts = self._parts(request, UPLOAD_PATH)
        library = getattr(self.simulator, 'content_library', None)
        session = library.update_sessions.get(parts[0]) if parts and library else None
        target = session.files.get(parts[1]) if session is not None else None
        if target is None or target.source_type != 'PUSH' or session.state != 'ACTIVE':
            return _text(404, 'Not Found')
        ds = session.item.library.datastore
        relative = '%s/%s' % (session.staging, target.name)
        length = request.headers.get('content-length')
        upload = Upload(self.folder, ds, relative, files.local_path(ds, relative),
                        int(length) if length and length.isdigit() else 0)
        return upload.problem or upload

    def handle(self, request):
        path = request.path
        if path.startswith(UPLOAD_PATH):
            if request.method != 'PUT':
                return _text(405, 'Method Not Allowed', headers=[('Allow', 'PUT')])
            if request.sink is not None:
                return request.sink.finish()
            sink = self._upload(request)           # an empty body: no sink was asked for
            return sink.finish() if isinstance(sink, Upload) else sink
        if not path.startswith(DOWNLOAD_PATH):
            return None
        if request.method not in ('GET', 'HEAD'):
            return _text(405, 'Method Not Allowed', headers=[('Allow', 'GET, HEAD')])
        if self._session(request) is None:
            return _text(401, 'Unauthorized')
        parts = self._parts(request, DOWNLOAD_PATH)
        library = getattr(self.simulator, 'content_library', None)
        session = library.download_sessions.get(parts[0]) if parts and library else None
        if session is None or session.state != 'ACTIVE' or parts[1] not in session.prepared:
            return _text(404, 'Not Found')
        return self.folder._download(request, session.item.local_path(parts[1]))

    def body_sink(self, request):
        if request.method != 'PUT' or not request.path.startswith(UPLOAD_PATH):
            return None
        sink = self._upload(request)
        return sink if isinstance(sink, Upload) else Refused(sink)
