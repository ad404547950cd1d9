"""ServiceManager: the directory of services a server offers besides the
API's managers (none on a default vCenter or host)."""
from vimsim.managed.manager import Manager, manager_type


@manager_type('ServiceManager')
class ServiceManager(Manager):
    """ServiceManager.service: none registered on a default vCenter or host."""

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.service = []

    def QueryServiceList(self, ctx, serviceName=None, location=()):
        """The services of that name (any, unset) found at every location given."""
        return [info for info in self.service
                if (serviceName is None or info.serviceName == serviceName)
                and all(place in info.location for place in location)]
