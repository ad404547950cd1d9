"""/folder: datastore files over HTTP, as vCenter and ESXi serve them.

    GET|HEAD /folder[/<path>]?dcPath=<datacenter path>&dsName=<datastore>
    PUT|DELETE /folder/<path>?dcPath=...&dsName=...

A file is answered as it is read from disk (`FileBody`: a chunk whenever
the connection drains, so memory stays flat for a file of any size), with
a single byte range when asked (206, or 416 past the end); a directory, a
datastore's root, a datacenter's datastores and the datacenters are HTML
index pages. PUT writes the body to a temporary file as it arrives (the
HTTP front's body sink: never held in memory) and renames it into place
once complete, making the folders it goes in as vSphere does (Ansible's
vsphere_file makes folders that way): 201 for a new file, 200 for a
replaced one. DELETE removes a file (204; 405 for a folder).

Who may: the SOAP session's cookie (`vmware_soap_session`), a one-use
`vmware_cgi_ticket` cookie from SessionManager.AcquireGenericServiceTicket
for this method and URL, or HTTP Basic credentials that would log in;
anything else is 401 with a Basic challenge. That user needs
Datastore.Browse on the datastore to read and Datastore.FileManagement to
write or delete (403 otherwise); a read-only datastore takes no PUT or
DELETE (403).
"""
import base64
import binascii
import errno
import html
import os
import re
import time
import urllib.parse

from vimsim.managed.admin.permissions import user_may
from vimsim.managed.storage import changed_block_tracking
from vimsim.managed.storage import datastore_files as files
from vimsim.server.endpoint import session_cookie
from vimsim.server.http import FileBody, HttpResponse

TICKET_COOKIE = 'vmware_cgi_ticket'
# the privilege each method needs on the datastore, as vCenter's datastore browser
PRIVILEGES = {'GET': 'Datastore.Browse', 'HEAD': 'Datastore.Browse',
              'PUT': 'Datastore.FileManagement', 'DELETE': 'Datastore.FileManagement'}
REALM = 'VMware HTTP server'
_RANGE = re.compile(r'^bytes=(\d*)-(\d*)$')


def _text(status, message, headers=None):
    return HttpResponse(status, (message + '\n').encode('utf-8'), headers=headers,
                        content_type='text/plain; charset=utf-8')


def _unauthorized():
    return _text(401, 'Unauthorized',
                 headers=[('WWW-Authenticate', 'Basic realm="%s"' % REALM)])


class Folder:
    """The /folder handler (`handle`) and upload sink (`body_sink`) of one simulator."""

    def __init__(self, simulator):
        self.simulator = simulator

    # -- who asks ----------------------------------------------------------------
    def user(self, request):
        """The user a request acts as, None when it proves none."""
        sessions = self.simulator.session_manager
        cookies = request.headers.get('cookie')
        session = sessions.by_cookie(session_cookie(cookies))
        if session is not None:
            session.touch()
            return session.user
        ticket = session_cookie(cookies, TICKET_COOKIE)
        if ticket:
            target = request.path + ('?' + request.query if request.query else '')
            user = sessions.use_service_ticket(ticket, request.method, target)
            if user is not None:
                return user
        scheme, _, credentials = request.headers.get('authorization', '').partition(' ')
        if scheme.lower() == 'basic':
            try:
                name, _, password = base64.b64decode(credentials.strip(), validate=True) \
                    .decode('utf-8').partition(':')
            except (binascii.Error, UnicodeDecodeError):
                return None
            return sessions.check_credentials(name, password)
        return None

    def _target(self, request, user):
        """(datastore, relative path, local path) the request names, or the HttpResponse
        answering it (a listing above the datastores, or an error: 403 when
        `user` lacks the method's privilege on the datastore)."""
        parts = files.folder_url_parts(request.path, request.query)
        dc_path, ds_name, relative = parts
        if dc_path is None:
            if ds_name is None and not relative and request.method in ('GET', 'HEAD'):
                return self._index('/folder', [(inventory, '/folder?dcPath=%s' % _q(inventory))
                                               for inventory in self._datacenter_paths()])
            return _text(404, 'Not Found')
        datacenter = files.datacenter_by_path(self.simulator, dc_path)
        if datacenter is None:
            return _text(404, 'Not Found')
        if ds_name is None:
            if relative or request.method not in ('GET', 'HEAD'):
                return _text(404, 'Not Found')
            return self._index('/folder?dcPath=%s' % _q(dc_path), [
                (ds.name, '/folder?dcPath=%s&dsName=%s' % (_q(dc_path), _q(ds.name)))
                for ds in datacenter.datastores if hasattr(ds, 'vmfs_uuid')])
        ds = files.datastore_named(datacenter, ds_name)
        if ds is None:
            return _text(404, 'Not Found')
        if not user_may(self.simulator, user, ds, PRIVILEGES[request.method]):
            return _text(403, 'Forbidden')
        if request.method in ('PUT', 'DELETE') and ds.read_only:   # files.check_writable's rule
            return _text(403, 'Forbidden: the datastore is mounted read-only')
        try:
            path = files.local_path(ds, relative)
        except files.PathError:
            return _text(404, 'Not Found')
        files.namespace(self.simulator).materialize()
        return ds, files.normalize(relative), path

    def _datacenter_paths(self):
        return sorted(obj.inventory_path().strip('/') for obj in list(self.simulator.objects)
                      if getattr(obj, 'type_name', None) == 'Datacenter'
                      and hasattr(obj, 'datastores'))

    # -- requests ------------------------------------------------------------------
    def handle(self, request):
        if request.path != '/folder' and not request.path.startswith('/folder/'):
            return None
        if request.method == 'PUT' and request.sink is not None:
            return request.sink.finish()
        if request.method not in ('GET', 'HEAD', 'PUT', 'DELETE'):
            return _text(405, 'Method Not Allowed', headers=[('Allow', 'GET, HEAD, PUT, DELETE')])
        user = self.user(request)
        if user is None:
            return _unauthorized()
        target = self._target(request, user)
        if isinstance(target, HttpResponse):
            return target
        ds, relative, path = target
        if request.method == 'PUT':       # an empty body: no sink was asked for
            sink = Upload(self, ds, relative, path, 0)
            return sink.problem or sink.finish()
        if request.method == 'DELETE':
            return self._delete(ds, relative, path)
        if os.path.isdir(path):
            return self._listing(request, ds, relative, path)
        return self._download(request, path)

    def body_sink(self, request):
        """Where a PUT's body goes while it arrives: an Upload (or one that
        drops the bytes and answers why, when the request may not write)."""
        if request.method != 'PUT' or files.folder_url_parts(request.path, request.query) is None:
            return None
        user = self.user(request)
        if user is None:
            return Refused(_unauthorized())
        target = self._target(request, user)
        if isinstance(target, HttpResponse):
            return Refused(target)
        length = request.headers.get('content-length')
        upload = Upload(self, *target, int(length) if length else 0)
        return Refused(upload.problem) if upload.problem is not None else upload

    def journaled(self, response, ds, relative, uploaded=None):
        """`response` to a change of the files, once -state has it on disk."""
        persistence = self.simulator.persistence
        if persistence is None:
            return response
        return persistence.file_changed(response, ds, relative, uploaded)

    def _delete(self, ds, relative, path):
        if not os.path.lexists(path):
            return _text(404, 'Not Found')
        if os.path.isdir(path):
            return _text(405, 'Method Not Allowed', headers=[('Allow', 'GET, HEAD')])
        os.unlink(path)
        files.touched(ds)
        return self.journaled(HttpResponse(204, b'', content_type=None), ds, relative)

    def _download(self, request, path):
        try:
            f = open(path, 'rb')
        except FileNotFoundError:
            return _text(404, 'Not Found')
        except OSError:
            return _text(403, 'Forbidden')
        size = os.fstat(f.fileno()).st_size
        headers = [('Accept-Ranges', 'bytes'),
                   ('Last-Modified', _http_date(os.fstat(f.fileno()).st_mtime))]
        wanted = _byte_range(request.headers.get('range'), size)
        if wanted is None:
            return HttpResponse(200, FileBody(f, size), headers=headers,
                                content_type='application/octet-stream')
        if wanted == 'unsatisfiable':
            f.close()
            return _text(416, 'Range Not Satisfiable',
                         headers=[('Content-Range', 'bytes */%d' % size)])
        first, last = wanted
        f.seek(first)
        headers.append(('Content-Range', 'bytes %d-%d/%d' % (first, last, size)))
        return HttpResponse(206, FileBody(f, last - first + 1), headers=headers,
                            content_type='application/octet-stream')

    def _listing(self, request, ds, relative, path):
        params = urllib.parse.parse_qs(request.query, keep_blank_values=True)
        query = 'dcPath=%s&dsName=%s' % (_q(params['dcPath'][0]), _q(ds.name))
        base = '/folder/' + _q(relative)
        entries = []
        for name in sorted(os.listdir(path)):
            if name.startswith(files.UPLOAD_PREFIX):
                continue
            href = '%s/%s' % (base.rstrip('/'), _q(name))
            if os.path.isdir(os.path.join(path, name)):
                name += '/'
            entries.append((name, '%s?%s' % (href, query)))
        title = '%s?%s' % (base, query)
        return self._index(title, entries)

    @staticmethod
    def _index(title, entries):
        rows = ''.join('<tr><td><a href="%s">%s</a></td></tr>\n' % (
            html.escape(href), html.escape(name)) for name, href in entries)
        page = ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN">\n<html><head>'
                '<meta http-equiv="content-type" content="text/html; charset=utf-8">'
                '<title>Index of %s</title></head>\n<body><h1>Index of %s</h1>\n'
                '<table><tr><th>Name</th></tr>\n%s</table></body></html>\n' % (
                    html.escape(title), html.escape(title), rows))
        return HttpResponse(200, page.encode('utf-8'), content_type='text/html; charset=utf-8')


class Refused:
    """The sink of a PUT that may not write: drops the body, then answers why."""

    def __init__(self, response):
        self.response = response

    def write(self, data):
        pass

    def finish(self):
        return self.response

    def abort(self):
        pass


class Upload:
    """A PUT's body written to a temporary file in the target's directory,
    renamed into place when whole (so a reader never sees half a file and a
    broken upload leaves nothing); the datastore's free space must hold it."""

    def __init__(self, folder, ds, relative, path, length):
        import tempfile    # not at start (with bz2, lzma: 0.6 MB)
        self.folder = folder
        self.ds = ds
        self.relative = relative
        self.path = path
        self.problem = None
        self.file = None
        self.failure = None        # what the file system refused while writing
        if not relative or os.path.isdir(path):
            self.problem = _text(405, 'Method Not Allowed', headers=[('Allow', 'GET, HEAD')])
        elif _file_on_the_way(path, files.directory(ds)):
            self.problem = _text(404, 'Not Found')
        elif length > ds.free_space:
            self.problem = _no_space(ds)
        else:        # beside the datastore's root until whole: a broken upload leaves nothing
            self.file = tempfile.NamedTemporaryFile(dir=files.directory(ds),
                                                    prefix=files.UPLOAD_PREFIX, delete=False)

    def write(self, data):
        if self.failure is None:
            try:
                self.file.write(data)
            except OSError as error:      # the rest of the body is read and dropped
                self.failure = error

    def finish(self):
        """Put the file in place; the answer."""
        try:
            self.file.close()
        except OSError as error:
            self.failure = self.failure or error
        if self.failure is not None:
            os.unlink(self.file.name)
            if self.failure.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                return _no_space(self.ds)
            return _text(500, 'Internal Server Error')
        size = os.path.getsize(self.file.name)
        existed = os.path.exists(self.path)
        replaced = files.file_usage(self.path)[0] if existed else 0
        if size - replaced > self.ds.free_space:
            os.unlink(self.file.name)
            return _no_space(self.ds)
        os.chmod(self.file.name, 0o644)
        changed_block_tracking.record_replacement(self.folder.simulator, self.path,
                                                  self.file.name)
        os.makedirs(os.path.dirname(self.path), exist_ok=True)   # as vSphere makes them
        os.replace(self.file.name, self.path)
        files.touched(self.ds)
        response = _text(200, 'OK') if existed else _text(201, 'Created')
        return self.folder.journaled(response, self.ds, self.relative, self.path)

    def abort(self):
        if self.file is not None:
            self.file.close()
            try:
                os.unlink(self.file.name)
            except FileNotFoundError:
                pass


def _file_on_the_way(path, root):
    """Whether a folder `path` would be in is a file (nothing can go there)."""
    parent = os.path.dirname(path)
    while parent != root and parent.startswith(root):
        if os.path.lexists(parent):
            return not os.path.isdir(parent)
        parent = os.path.dirname(parent)
    return False


def _no_space(ds):
    return _text(507, "Insufficient disk space on datastore '%s'." % ds.name)


def _byte_range(header, size):
    """(first, last) of a single-range Range header, 'unsatisfiable', or
    None for the whole file (no header, or one this server does not honour,
    as RFC 9110 lets a server ignore Range)."""
    if not header:
        return None
    match = _RANGE.match(header.replace(' ', ''))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:                       # the last N bytes
        count = int(last)
        if count == 0:
            return 'unsatisfiable'
        return max(size - count, 0), size - 1
    first = int(first)
    last = min(int(last), size - 1) if last else size - 1
    if first >= size:
        return 'unsatisfiable'
    if last < first:
        return None
    return first, last


def _q(text):
    return urllib.parse.quote(text or '', safe='/')


def _http_date(seconds):
    return time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime(seconds))
