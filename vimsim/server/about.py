"""GET /about: what the simulator implements, as JSON, as vcsim's /about
answers (its `methods` and `types`), with per managed type the methods
implemented and those not (vimsim.managed.coverage)."""
import json

from vimsim.managed.coverage import about
from vimsim.server.http import HttpResponse

PATH = '/about'


class About:
    """GET/HEAD handler of /about for one simulator; `handle` returns None for
    other requests."""

    def __init__(self, simulator):
        self.simulator = simulator

    def handle(self, request):
        if request.method not in ('GET', 'HEAD') or request.path != PATH:
            return None
        body = json.dumps(about(self.simulator), indent=2, sort_keys=True) + '\n'
        return HttpResponse(200, body.encode('utf-8'),
                            content_type='application/json; charset=utf-8')
