"""A GET/HEAD page that answers a document about one simulator as JSON
(/about, /debug/vars), read anew on each request."""
import json

from vimsim.server.http import HttpResponse


class JsonPage:
    """`handle` answers `document(simulator)` at `path`, None for other requests."""
    path = None

    def __init__(self, simulator):
        self.simulator = simulator

    @staticmethod
    def document(simulator):
        raise NotImplementedError

    def handle(self, request):
        if request.method not in ('GET', 'HEAD') or request.path != self.path:
            return None
        body = json.dumps(self.document(self.simulator), indent=2, sort_keys=True) + '\n'
        return HttpResponse(200, body.encode('utf-8'),
                            content_type='application/json; charset=utf-8')
