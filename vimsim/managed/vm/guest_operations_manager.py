"""GuestOperationsManager and the guest operation sub-managers it hands out.

The sub-managers share one GuestStore (the simulated guests and the file
transfers they grant); each is a Manager subclass in a module of its own."""
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.service.service_instance import SUB_MANAGERS
from vimsim.managed.vm.guest_alias_manager import GuestAliasManager
from vimsim.managed.vm.guest_auth_manager import GuestAuthManager
from vimsim.managed.vm.guest_file_manager import GuestFileManager
from vimsim.managed.vm.guest_process_manager import GuestProcessManager
from vimsim.managed.vm.guest_windows_registry_manager import GuestWindowsRegistryManager
from vimsim.managed.vm.simulated_guest import GuestStore

IMPLEMENTED = {cls.__name__: cls for cls in (GuestAliasManager, GuestAuthManager,
                                             GuestFileManager, GuestProcessManager,
                                             GuestWindowsRegistryManager)}


@manager_type('GuestOperationsManager')
class GuestOperationsManager(Manager):

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.sub_managers = {}
        self.guests = GuestStore(server)
        for prop, sub_type, vc_moid, esx_moid in SUB_MANAGERS[type_name]:
            if sub_type not in server.schema.managed:
                continue
            cls = IMPLEMENTED[sub_type]
            sub = cls(server, sub_type, esx_moid if server.esx else vc_moid)
            sub.guests = self.guests
            self.sub_managers[prop] = sub
            setattr(self, prop, sub.ref)
