"""UserDirectory: the domains users come from (vCenter's SSO domain; none on
a host)."""
from vimsim.managed.manager import Manager, manager_type


@manager_type('UserDirectory')
class UserDirectory(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        # vCenter: the SSO domain (and any identity sources); ESXi: none.
        self.domainList = [] if server.esx else ['VSPHERE.LOCAL']
