"""A host's configuration bundles (HostFirmwareSystem) over HTTP, where the
host's URLs put them:

    GET|HEAD /downloads/<firmware system>/<uuid>/configBundle-<host>.tgz
    PUT      /tmp/<firmware system>/configBundle.tgz

A backup's URL is its own credential, as ESXi's: the uuid in it is random
and the bundle is served to whoever has the URL (Ansible's vmware_cfg_backup
and Salt fetch it without credentials) until the next backup replaces it
(404 after). An upload needs whoever /folder serves (its `user` check: a
session cookie, a service ticket for the URL, Basic credentials; 401
otherwise), holding Host.Config.Firmware on the host (403 otherwise); one
larger than config_bundle.MAX_BUNDLE is refused (413), its body read and
dropped, never held.
"""
import io

from vimsim.managed.admin.permissions import user_may
from vimsim.managed.host.config_bundle import MAX_BUNDLE
from vimsim.managed.host.host_firmware_system import DOWNLOADS, UPLOAD_NAME, UPLOADS
from vimsim.schema import MoRef
from vimsim.server.folder import Refused
from vimsim.server.http import HttpResponse

PRIVILEGE = 'Host.Config.Firmware'


def _text(status, message, headers=None):
    return HttpResponse(status, message.encode() + b'\n', headers=headers,
                        content_type='text/plain; charset=utf-8')


class Firmware:
    """The handler (`handle`) and upload sink (`body_sink`) of one simulator;
    `user(request)` is the /folder handler's check of who asks."""

    def __init__(self, simulator, user):
        self.simulator = simulator
        self.user = user

    def _manager(self, request, methods):
        """The HostFirmwareSystem a request names, or the HttpResponse
        answering it; None for a path not ours."""
        path = request.path
        if path.startswith(DOWNLOADS):
            parts = path[len(DOWNLOADS):].split('/')
            if len(parts) != 3:
                return _text(404, 'Not Found')
        elif path.startswith(UPLOADS):
            parts = path[len(UPLOADS):].split('/')
            if len(parts) != 2 or parts[1] != UPLOAD_NAME:
                return _text(404, 'Not Found')
        else:
            return None
        if request.method not in methods:
            return _text(405, 'Method Not Allowed', headers=[('Allow', ', '.join(methods))])
        if request.method == 'PUT':
            user = self.user(request)
            if user is None:
                return _text(401, 'Unauthorized',
                             headers=[('WWW-Authenticate', 'Basic realm="VMware HTTP server"')])
        manager = self.simulator.objects.get(MoRef('HostFirmwareSystem', parts[0]))
        if manager is None:
            return _text(404, 'Not Found')
        if request.method == 'PUT' and not user_may(self.simulator, user, manager.host,
                                                    PRIVILEGE):
            return _text(403, 'Forbidden')
        return manager

    @staticmethod
    def _methods(path):
        return ('GET', 'HEAD') if path.startswith(DOWNLOADS) else ('PUT',)

    def handle(self, request):
        if not request.path.startswith((DOWNLOADS, UPLOADS)):
            return None
        if request.method == 'PUT' and request.sink is not None:
            return request.sink.finish()
        found = self._manager(request, self._methods(request.path))
        if found is None or isinstance(found, HttpResponse):
            return found
        if request.method == 'PUT':          # an empty body: no sink was asked for
            return Upload(found).finish()
        data = found.bundle(request.path)
        if data is None:
            return _text(404, 'Not Found')
        name = request.path.rsplit('/', 1)[-1]
        return HttpResponse(200, data, content_type='application/x-gzip',
                            headers=[('Content-Disposition', 'attachment; filename="%s"' % name)])

    def body_sink(self, request):
        if request.method != 'PUT' or not request.path.startswith(UPLOADS):
            return None
        found = self._manager(request, ('PUT',))
        if isinstance(found, HttpResponse):
            return Refused(found)
        length = request.headers.get('content-length')
        if length and length.isdigit() and int(length) > MAX_BUNDLE:
            return Refused(_too_large())
        return Upload(found)


def _too_large():
    return _text(413, 'Request Entity Too Large: a bundle is at most %d bytes' % MAX_BUNDLE)


class Upload:
    """A bundle's body, kept in memory up to MAX_BUNDLE bytes and handed to
    its firmware system when whole."""

    def __init__(self, manager):
        self.manager = manager
        self.data = io.BytesIO()
        self.too_large = False

    def write(self, data):
        if not self.too_large:
            if self.data.tell() + len(data) > MAX_BUNDLE:
                self.too_large = True
                self.data = io.BytesIO()
            else:
                self.data.write(data)

    def finish(self):
        if self.too_large:
            return _too_large()
        self.manager.uploaded = self.data.getvalue()
        return _text(200, 'OK')

    def abort(self):
        self.data = io.BytesIO()
