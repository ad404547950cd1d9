"""GET /about: what the simulator implements, as JSON, as vcsim's /about
answers (its `methods` and `types`), with per managed type the methods
implemented and those not (vimsim.managed.coverage)."""
from vimsim.managed.coverage import about
from vimsim.server.json_page import JsonPage

PATH = '/about'


class About(JsonPage):
    path = PATH
    document = staticmethod(about)
