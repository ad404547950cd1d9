"""ExtensionManager: the extensions (plug-ins, solutions) registered with
vCenter (none on a fresh one)."""
from vimsim.managed.manager import Manager, manager_type


@manager_type('ExtensionManager')
class ExtensionManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.extensionList = []
