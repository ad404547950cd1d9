"""HostPowerSystem: a host's CPU power management policy
(HostSystem.configManager.powerSystem).

ESXi's four policies; the current one is also the host's
`hardware.cpuPowerManagementInfo.currentPolicy` and its `Power.CpuPolicy`
advanced setting, which names it by label: setting either changes both.
"""
from collections import namedtuple

from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.soap.fault import InvalidArgument

Policy = namedtuple('Policy', 'key short_name label')

# (key, shortName, the label ESXi's Power.CpuPolicy and hardware info use)
POLICIES = (Policy(1, 'static', 'High Performance'), Policy(2, 'dynamic', 'Balanced'),
            Policy(3, 'low', 'Low Power'), Policy(4, 'custom', 'Custom'))
BY_KEY = {policy.key: policy for policy in POLICIES}
BY_LABEL = {policy.label: policy for policy in POLICIES}
CPU_POLICY_OPTION = 'Power.CpuPolicy'
DEFAULT_POLICY = BY_KEY[2]


def power_policy(T, policy):
    return T.HostPowerPolicy(key=policy.key, name='PowerPolicy.%s.name' % policy.short_name,
                             shortName=policy.short_name,
                             description='PowerPolicy.%s.description' % policy.short_name)


class HostPowerSystem(HostManagerObject):
    type_name = 'HostPowerSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.policy = DEFAULT_POLICY

    @property
    def capability(self):
        T = self.host.T
        return T.PowerSystemCapability(availablePolicy=[power_policy(T, p) for p in POLICIES])

    @property
    def info(self):
        return self.host.T.PowerSystemInfo(currentPolicy=power_policy(self.host.T, self.policy))

    def follow_option(self, label):
        """The Power.CpuPolicy setting changed to `label` (one of the policies')."""
        self._switch(BY_LABEL[label])

    def _switch(self, policy):
        if policy is self.policy:
            return
        self.policy = policy
        self.changed('info')
        self.host.changed('config', 'hardware')
        self.host.managers['advancedOption'].set_value(CPU_POLICY_OPTION, policy.label)

    def ConfigurePowerPolicy(self, ctx, key):
        policy = BY_KEY.get(key)
        if policy is None:
            raise InvalidArgument('key')
        self._switch(policy)
