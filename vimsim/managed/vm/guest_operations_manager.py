"""GuestOperationsManager and the guest operation sub-managers it hands out."""
from vimsim.managed.manager import Manager, manager_type

# property -> (managed type, vCenter moid, ESXi moid)
SUB_MANAGERS = (
    ('authManager', 'GuestAuthManager', 'guestOperationsAuthManager', 'ha-guest-auth-manager'),
    ('fileManager', 'GuestFileManager', 'guestOperationsFileManager',
     'ha-guest-file-manager'),
    ('processManager', 'GuestProcessManager', 'guestOperationsProcessManager',
     'ha-guest-process-manager'),
    ('guestWindowsRegistryManager', 'GuestWindowsRegistryManager',
     'guestOperationsWindowsRegistryManager', 'ha-guest-windows-registry-manager'),
    ('aliasManager', 'GuestAliasManager', 'guestOperationsAliasManager',
     'ha-guest-alias-manager'),
)


@manager_type('GuestOperationsManager')
class GuestOperationsManager(Manager):

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.sub_managers = {}
        for prop, sub_type, vc_moid, esx_moid in SUB_MANAGERS:
            if sub_type not in server.schema.managed:
                continue
            sub = Manager(server, sub_type, esx_moid if server.esx else vc_moid)
            self.sub_managers[prop] = sub
            setattr(self, prop, sub.ref)
