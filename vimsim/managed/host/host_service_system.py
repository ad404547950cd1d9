"""HostServiceSystem: a host's services (HostSystem.configManager.serviceSystem),
over ESXi's service list (service_catalogue.py).

Each service keeps whether it runs and its startup policy. Starting a
running service or stopping a stopped one changes nothing and is no fault
(hosts since ESXi 5.0 answer so); a required service cannot be stopped and
no built-in service can be uninstalled (HostConfigFault). The vCenter agent
runs when a vCenter manages the host. Starting or stopping SSH or the ESXi
Shell posts ESXi's audit event (esx.audit.ssh.enabled ...), as vCenter shows it.
"""
from vimsim.managed.host.config_managers import (HostManagerObject, catalogue_entry,
                                                 host_config_fault, shared)
from vimsim.managed.host.date_time_system import DAEMONS
from vimsim.managed.host.service_catalogue import PACKAGES, SERVICES, VCENTER_AGENT
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.soap.fault import InvalidArgument

CATALOGUE = {service.key: service for service in SERVICES}
POLICIES = ('on', 'off', 'automatic')     # HostServicePolicy
TIME_DAEMONS = frozenset(DAEMONS.values())
# what ESXi's audit log tells vCenter when remote or local shell access opens or closes
AUDIT_EVENTS = {('TSM-SSH', True): 'esx.audit.ssh.enabled',
                ('TSM-SSH', False): 'esx.audit.ssh.disabled',
                ('TSM', True): 'esx.audit.shell.enabled',
                ('TSM', False): 'esx.audit.shell.disabled'}


def factory_services(server):
    """A new host's services: whether each runs, and its policy."""
    running = {service.key: service.running for service in SERVICES}
    running[VCENTER_AGENT] = not server.esx
    return running, {service.key: service.policy for service in SERVICES}


class HostServiceSystem(HostManagerObject):
    type_name = 'HostServiceSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.running, self.policy = factory_services(server)

    @property
    def serviceInfo(self):
        T = self.host.T
        return T.HostServiceInfo(service=[
            self._service_info(T, service, self.running[service.key], self.policy[service.key])
            for service in SERVICES])

    def _service_info(self, T, service, running, policy):
        """One of the few shared objects a service's states are."""
        return shared(self.server, ('service', service.key, running, policy),
                      lambda: T.HostService(
                          key=service.key, label=service.label, required=service.required,
                          uninstallable=False, running=running, ruleset=list(service.rulesets),
                          policy=policy, sourcePackage=T.HostServiceSourcePackage(
                              sourcePackageName=service.package,
                              description=PACKAGES[service.package])))

    def _service(self, key):
        return catalogue_entry(CATALOGUE, key)

    def set_running(self, key, running):
        if self.running[key] != running:
            self.running[key] = running
            self.report('serviceInfo')
            audit = AUDIT_EVENTS.get((key, running))
            if audit is not None:
                event_manager(self.server).post('EventEx', self.host, eventTypeId=audit,
                                                severity='info')
            if key in TIME_DAEMONS:     # dateTimeInfo tells whether time service runs
                self.host.managers['dateTimeSystem'].changed('dateTimeInfo')

    def set_state(self, key, running, policy):
        """Start or stop a service and set its policy (the time service's
        `enabled` does both)."""
        self.set_running(key, running)
        self._set_policy(key, policy)

    def _set_policy(self, key, policy):
        if self.policy[key] != policy:
            self.policy[key] = policy
            self.report('serviceInfo')

    def follow_rulesets(self, key):
        """A service of `automatic` policy runs while one of its rulesets is
        open (the firewall calls this when one opens or closes)."""
        service = self._service(key)
        if self.policy[key] == 'automatic':
            firewall = self.host.managers['firewallSystem']
            self.set_running(key, firewall.rulesets_open(service.rulesets))

    def is_running(self, key):
        return self.running[key]

    # -- methods ---------------------------------------------------------------
    def StartService(self, ctx, id):
        self._service(id)
        self.set_running(id, True)

    def StopService(self, ctx, id):
        service = self._service(id)
        if service.required:
            raise host_config_fault('Service %s is required and cannot be stopped.' % id)
        self.set_running(id, False)

    def RestartService(self, ctx, id):
        """A restart leaves the service running, as it was or not."""
        self._service(id)
        self.set_running(id, True)

    def UninstallService(self, ctx, id):
        self._service(id)
        raise host_config_fault('Service %s is part of the base system and cannot be '
                                'uninstalled.' % id)

    def UpdateServicePolicy(self, ctx, id, policy):
        self._service(id)
        if policy not in POLICIES:
            raise InvalidArgument('policy')
        self._set_policy(id, policy)

    def RefreshServices(self, ctx):
        """Nothing starts or stops a simulated host's services behind hostd's
        back, so there is nothing to pick up."""
