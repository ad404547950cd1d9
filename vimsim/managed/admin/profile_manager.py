"""HostProfileManager and ClusterProfileManager: the host and cluster
configuration profiles (none on a fresh vCenter)."""
from vimsim.managed.manager import Manager, manager_type


@manager_type('HostProfileManager', 'ClusterProfileManager')
class ProfileManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.profile = []
