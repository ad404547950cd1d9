"""ServiceManager: the directory of services a server offers besides the
API's managers (none on a default vCenter or host)."""
from vimsim.managed.manager import Manager, manager_type


@manager_type('ServiceManager')
class ServiceManager(Manager):
    """ServiceManager.service: none registered on a default vCenter or host."""

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.service = []
