"""HostFirewallSystem: a host's firewall (HostSystem.configManager.firewallSystem),
over ESXi's ruleset catalogue (firewall_catalogue.py).

Each ruleset keeps whether it is open and its allowed-IP list; the rest is
the catalogue's. A required ruleset cannot be closed, one that is not
`userControllable` (managed by its service since ESXi 8.0.2) can be neither
opened nor closed, and one without `ipListUserConfigurable` keeps all IPs:
HostConfigFault, as hostd answers. Opening or closing a ruleset starts or
stops its service when the service's policy is `automatic` (the API
reference's rule).
"""
import ipaddress

from vimsim.managed.host.config_managers import (HostManagerObject, catalogue_entry,
                                                 host_config_fault, shared)
from vimsim.managed.host.firewall_catalogue import RULESETS
from vimsim.soap.fault import InvalidArgument

CATALOGUE = {ruleset.key: ruleset for ruleset in RULESETS}


def check_ip_list(ip_list):
    """InvalidArgument for an address or network hostd would not take."""
    for address in ip_list.ipAddress:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise InvalidArgument('spec.allowedHosts.ipAddress') from None
    for network in ip_list.ipNetwork:
        try:
            ipaddress.ip_network('%s/%s' % (network.network, network.prefixLength))
        except ValueError:
            raise InvalidArgument('spec.allowedHosts.ipNetwork') from None


def factory_firewall(T):
    """A new host's firewall: its default policy and, per ruleset, whether it
    is open and the IPs it allows."""
    return (T.HostFirewallDefaultPolicy(incomingBlocked=True, outgoingBlocked=True),
            {ruleset.key: ruleset.enabled for ruleset in RULESETS},
            {ruleset.key: T.HostFirewallRulesetIpList(allIp=True) for ruleset in RULESETS})


class HostFirewallSystem(HostManagerObject):
    type_name = 'HostFirewallSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.default_policy, self.enabled, self.allowed = factory_firewall(host.T)

    @property
    def firewallInfo(self):
        T = self.host.T
        return T.HostFirewallInfo(defaultPolicy=self.default_policy, ruleset=[
            self._ruleset_info(T, ruleset) for ruleset in RULESETS])

    def _ruleset_info(self, T, ruleset):
        """A ruleset open to all IPs is one of two shared objects."""
        enabled, allowed = self.enabled[ruleset.key], self.allowed[ruleset.key]

        def build(allowed=allowed):
            return T.HostFirewallRuleset(
                key=ruleset.key, label=ruleset.label, required=ruleset.required,
                rule=[T.HostFirewallRule(port=port, endPort=end, direction=direction,
                                         portType=port_type, protocol=protocol)
                      for port, end, direction, port_type, protocol in ruleset.rules],
                service=ruleset.service, enabled=enabled, allowedHosts=allowed,
                userControllable=ruleset.user_controllable,
                ipListUserConfigurable=ruleset.ip_list_configurable)
        if allowed.allIp and not allowed.ipAddress and not allowed.ipNetwork:
            return shared(self.server, ('ruleset', ruleset.key, enabled),
                          lambda: build(T.HostFirewallRulesetIpList(allIp=True)))
        return build()

    def _ruleset(self, key):
        return catalogue_entry(CATALOGUE, key)

    def _set_enabled(self, key, enabled):
        ruleset = self._ruleset(key)
        if not ruleset.user_controllable:
            raise host_config_fault('Ruleset %s is managed by its service and cannot be '
                                    'changed by the user.' % key)
        if ruleset.required and not enabled:
            raise host_config_fault('Ruleset %s is required and cannot be disabled.' % key)
        if self.enabled[key] == enabled:
            return
        self.enabled[key] = enabled
        self.report('firewallInfo')
        if ruleset.service is not None:
            self.host.managers['serviceSystem'].follow_rulesets(ruleset.service)

    def rulesets_open(self, keys):
        """Whether any of these rulesets is open (a service's `automatic`
        policy runs it while one is)."""
        return any(self.enabled.get(key) for key in keys)

    # -- methods ---------------------------------------------------------------
    def EnableRuleset(self, ctx, id):
        self._set_enabled(id, True)

    def DisableRuleset(self, ctx, id):
        self._set_enabled(id, False)

    def UpdateRuleset(self, ctx, id, spec):
        ruleset = self._ruleset(id)
        ip_list = spec.allowedHosts
        if ip_list is None:
            return
        if not ruleset.ip_list_configurable:
            raise host_config_fault('The allowed IP list of ruleset %s cannot be changed.'
                                    % id)
        check_ip_list(ip_list)
        self.allowed[id] = type(ip_list)(
            ipAddress=list(ip_list.ipAddress), ipNetwork=list(ip_list.ipNetwork),
            allIp=bool(ip_list.allIp))
        self.report('firewallInfo')

    def UpdateDefaultPolicy(self, ctx, defaultPolicy):
        """Unset fields are left unchanged."""
        policy = self.default_policy
        changed = type(policy)(
            incomingBlocked=policy.incomingBlocked if defaultPolicy.incomingBlocked is None
            else bool(defaultPolicy.incomingBlocked),
            outgoingBlocked=policy.outgoingBlocked if defaultPolicy.outgoingBlocked is None
            else bool(defaultPolicy.outgoingBlocked))
        self.default_policy = changed
        self.report('firewallInfo')

    def RefreshFirewall(self, ctx):
        """Nothing changes a simulated host's firewall behind hostd's back, so
        there is nothing to pick up."""
