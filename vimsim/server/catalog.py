"""/catalog/<locale>/<name>.vmsg: the message catalogs LocalizationManager
lists (its `catalogUri`s), as text; 404 for a catalog it does not have.
They hold only the API's own public texts, so no login is asked for."""
import re

from vimsim.server.http import HttpResponse

PATH = re.compile(r'^/catalog/([A-Za-z_]+)/([a-z]+)\.vmsg$')


class Catalogs:
    """The /catalog handler of one simulator."""

    def __init__(self, simulator):
        self.simulator = simulator

    def handle(self, request):
        if not request.path.startswith('/catalog/'):
            return None
        if request.method not in ('GET', 'HEAD'):
            return HttpResponse(405, b'Method Not Allowed\n', headers=[('Allow', 'GET, HEAD')],
                                content_type='text/plain; charset=utf-8')
        match = PATH.match(request.path)
        manager = getattr(self.simulator, 'managers', {}).get('localizationManager')
        text = manager.catalog_text(*match.groups()) if match and manager is not None else None
        if text is None:
            return HttpResponse(404, b'Not Found\n', content_type='text/plain; charset=utf-8')
        return HttpResponse(200, text.encode('utf-8'), content_type='text/plain; charset=utf-8')
