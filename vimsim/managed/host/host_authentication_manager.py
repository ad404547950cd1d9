"""HostAuthenticationManager: the stores a host authenticates users
against (HostSystem.configManager.authenticationManager): its local
accounts (HostLocalAuthentication, always enabled) and Active Directory
(HostActiveDirectoryAuthentication, enabled once the host joins a domain).
The stores are objects of their own, made and removed with the manager.
"""
from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.managed.host.host_active_directory_authentication import (
    HostActiveDirectoryAuthentication)

# store type -> (vCenter moid prefix, ESX moid)
STORE_MOIDS = {'HostLocalAuthentication': ('localAuthentication', 'ha-localauthentication'),
               'HostActiveDirectoryAuthentication': ('activeDirectoryAuthentication',
                                                     'ha-activedirectoryauthentication')}


class HostLocalAuthenticationStore(HostManagerObject):
    """The host's local accounts as an authentication store."""
    type_name = 'HostLocalAuthentication'

    @property
    def info(self):
        return self.host.T.HostLocalAuthenticationInfo(enabled=True)


class HostAuthenticationManager(HostManagerObject):
    type_name = 'HostAuthenticationManager'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        number = host.ref.value.rsplit('-', 1)[-1]
        self.stores = [
            cls(server, cls.type_name, esx if server.esx else '%s-%s' % (prefix, number), host)
            for cls in (HostLocalAuthenticationStore, HostActiveDirectoryAuthentication)
            for prefix, esx in [STORE_MOIDS[cls.type_name]]]
        self.active_directory = self.stores[1]

    @property
    def info(self):
        return self.host.T.HostAuthenticationManagerInfo(
            authConfig=[store.info for store in self.stores])

    @property
    def supportedStore(self):
        return [store.ref for store in self.stores]

    def destroy(self):
        for store in self.stores:
            store.destroy()
        super().destroy()
