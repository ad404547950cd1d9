"""CustomFieldsManager: the custom attribute definitions entities carry
values of (none on a fresh server)."""
from vimsim.managed.manager import Manager, manager_type


@manager_type('CustomFieldsManager')
class CustomFieldsManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.field = []
