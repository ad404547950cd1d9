"""The web pages' request handlers, as the HTTP application mounts them."""
from vimsim.web.mob import Mob
from vimsim.web.session import WebSessions
from vimsim.web.ui import Ui


def pages(simulator):
    """The handlers of /mob and /ui, sharing their sessions' nonces."""
    sessions = WebSessions(simulator)
    return [Mob(simulator, sessions).handle, Ui(simulator, sessions).handle]
