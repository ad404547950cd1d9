"""FailoverClusterConfigurator and FailoverClusterManager: vCenter High
Availability (VCHA), not configured on the simulated vCenter."""
from vimsim.managed.manager import Manager, manager_type


@manager_type('FailoverClusterConfigurator')
class FailoverClusterConfigurator(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        # vCenter HA is not configured: nothing disabled in the configurator.
        self.disabledConfigureMethod = []


@manager_type('FailoverClusterManager')
class FailoverClusterManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        # Without a vCenter HA cluster these methods are unavailable (as on a real vCenter).
        self.disabledClusterMethod = ['setClusterMode_Task', 'getClusterMode',
                                      'GetVchaClusterHealth', 'initiateFailover_Task']
