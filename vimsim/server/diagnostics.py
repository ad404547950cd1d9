"""/diagnostics/<bundle>: the support bundles DiagnosticManager's
GenerateLogBundles_Task wrote, served as vCenter serves them: GET (or HEAD)
by whoever /folder serves (a session cookie, a service ticket for the URL, or
Basic credentials; 401 otherwise); a bundle the manager no longer keeps is
404. The file streams from disk."""
import os

from vimsim.server.http import FileBody, HttpResponse

PREFIX = '/diagnostics/'


def _text(status, message, headers=None):
    return HttpResponse(status, message.encode() + b'\n', headers=headers,
                        content_type='text/plain; charset=utf-8')


class Diagnostics:
    """The /diagnostics handler of one simulator; `user(request)` is the
    /folder handler's check of who asks."""

    def __init__(self, simulator, user):
        self.simulator = simulator
        self.user = user

    def handle(self, request):
        if not request.path.startswith(PREFIX):
            return None
        if request.method not in ('GET', 'HEAD'):
            return _text(405, 'Method Not Allowed', headers=[('Allow', 'GET, HEAD')])
        if self.user(request) is None:
            return _text(401, 'Unauthorized',
                         headers=[('WWW-Authenticate', 'Basic realm="VMware HTTP server"')])
        manager = getattr(self.simulator, 'managers', {}).get('diagnosticManager')
        name = request.path[len(PREFIX):]
        path = manager.bundle_path(name) if manager is not None else None
        try:
            bundle = open(path, 'rb') if path is not None else None
        except FileNotFoundError:
            bundle = None
        if bundle is None:
            return _text(404, 'Not Found')
        size = os.fstat(bundle.fileno()).st_size
        return HttpResponse(200, FileBody(bundle, size), content_type='application/x-gzip',
                            headers=[('Content-Disposition', 'attachment; filename="%s"' % name)])
