"""The simulator's web pages: the Managed Object Browser (/mob) and VI Web
Access (/ui), server-rendered from the model through the /sdk dispatcher."""


def pages(simulator):
    """The request handlers of the web pages, sharing their sessions."""
    from vimsim.web.mob import Mob
    from vimsim.web.session import WebSessions
    sessions = WebSessions(simulator)
    return [Mob(simulator, sessions).handle]
