"""The handler of the web pages that the HTTP application mounts."""

PREFIXES = ('/mob', '/ui')


class WebPages:
    """The handler of /mob and /ui that the HTTP application mounts. The
    pages' modules (and jinja2 with them) are imported at the first request
    to either, so that a simulator's start-up does not pay for them."""

    def __init__(self, simulator):
        self.simulator = simulator
        self.handlers = None

    def handle(self, request):
        path = request.path
        if not any(path == prefix or path.startswith(prefix + '/') for prefix in PREFIXES):
            return None
        if self.handlers is None:
            from vimsim.web.pages import pages
            self.handlers = pages(self.simulator)
        for handler in self.handlers:
            answer = handler(request)
            if answer is not None:
                return answer
        return None
