"""FailoverClusterConfigurator and FailoverClusterManager: vCenter High
Availability (VCHA), not configured on the simulated vCenter.

getVchaConfig answers the configuration's state, `notConfigured`. The
manager's methods that need a VCHA cluster are listed in its
`disabledClusterMethod` (as a real vCenter without one lists them, read off
a recording) and answer MethodDisabled, the fault a disabled method raises.
Deploying a cluster clones the vCenter Server's own VM, which the simulated
vCenter is not, so deployVcha_Task and its steps stay NotImplemented.
"""
from vimsim.managed.manager import Manager, manager_type
from vimsim.soap.fault import fault


@manager_type('FailoverClusterConfigurator')
class FailoverClusterConfigurator(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        # vCenter HA is not configured: nothing disabled in the configurator.
        self.disabledConfigureMethod = []

    def getVchaConfig(self, ctx):
        """The VCHA configuration: none, so only its state."""
        return self.server.schema.types['VchaClusterConfigInfo'].cls(state='notConfigured')


@manager_type('FailoverClusterManager')
class FailoverClusterManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        # Without a vCenter HA cluster these methods are unavailable (as on a real vCenter).
        self.disabledClusterMethod = ['setClusterMode_Task', 'getClusterMode',
                                      'GetVchaClusterHealth', 'initiateFailover_Task']

    def disabled(self, method):
        """MethodDisabled for a method `disabledClusterMethod` lists."""
        return fault('MethodDisabled', 'The method %s is disabled: vCenter High Availability '
                     'is not configured.' % method)

    def getClusterMode(self, ctx):
        raise self.disabled('getClusterMode')

    def GetVchaClusterHealth(self, ctx):
        raise self.disabled('GetVchaClusterHealth')

    def setClusterMode_Task(self, ctx, mode):
        raise self.disabled('setClusterMode_Task')

    def initiateFailover_Task(self, ctx, planned):
        raise self.disabled('initiateFailover_Task')
