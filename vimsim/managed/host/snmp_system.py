"""HostSnmpSystem: an SNMP agent, vCenter's (ServiceContent.snmpSystem) or a
host's (HostSystem.configManager.snmpSystem, whose agent is its `snmpd`
service: enabling the agent starts it, disabling stops it).

ReconfigureSnmpAgent takes the spec as the agent's whole configuration
(an unset `enabled` or `port` keeps its value): more communities or trap
targets than `limits` allow answer InsufficientResourcesFault, a community
too long, a port outside 1..65535 or a target without a name
InvalidArgument. SendTestNotification needs an enabled agent with a target
to send to (NotFound otherwise).
"""
from vimsim.managed.entity import data_types
from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.managed.manager import Manager, manager_type
from vimsim.soap.fault import InvalidArgument, NotFound, fault

MAX_COMMUNITIES = MAX_TRAP_TARGETS = 10
MAX_COMMUNITY_LENGTH = 64
DEFAULT_PORT = 161
AGENT_SERVICE = 'snmpd'


def initial_configuration(T):
    return T.HostSnmpConfigSpec(enabled=False, port=DEFAULT_PORT, readOnlyCommunities=[],
                                trapTargets=[], option=[])


def agent_limits(T):
    return T.HostSnmpSystemAgentLimits(
        maxReadOnlyCommunities=MAX_COMMUNITIES, maxTrapDestinations=MAX_TRAP_TARGETS,
        maxCommunityLength=MAX_COMMUNITY_LENGTH, maxBufferSize=1500, capability='COMPLETE')


def _check_port(port, path):
    if not 0 < port < 65536:
        raise InvalidArgument(path)


def reconfigured(current, spec):
    """The configuration `spec` asks for, checked."""
    communities, targets = list(spec.readOnlyCommunities), list(spec.trapTargets)
    if len(communities) > MAX_COMMUNITIES or len(targets) > MAX_TRAP_TARGETS:
        raise fault('InsufficientResourcesFault', 'The SNMP agent takes at most %d '
                    'communities and %d trap targets.' % (MAX_COMMUNITIES, MAX_TRAP_TARGETS))
    for community in communities + [target.community for target in targets]:
        if not community or len(community) > MAX_COMMUNITY_LENGTH:
            raise InvalidArgument('spec.readOnlyCommunities')
    for target in targets:
        if not target.hostName:
            raise InvalidArgument('spec.trapTargets.hostName')
        _check_port(target.port, 'spec.trapTargets.port')
    port = current.port if spec.port is None else spec.port
    _check_port(port, 'spec.port')
    return type(current)(
        enabled=current.enabled if spec.enabled is None else bool(spec.enabled), port=port,
        readOnlyCommunities=communities, trapTargets=targets, option=list(spec.option))


def check_test_notification(configuration):
    if not configuration.enabled or not configuration.trapTargets:
        raise NotFound('The SNMP agent is disabled or has no trap target to notify.')


@manager_type('HostSnmpSystem')
class HostSnmpSystem(Manager):
    """vCenter's own agent."""

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        T = data_types(server)
        self.configuration = initial_configuration(T)
        self.limits = agent_limits(T)

    def ReconfigureSnmpAgent(self, ctx, spec):
        self.configuration = reconfigured(self.configuration, spec)
        self.changed('configuration')

    def SendTestNotification(self, ctx):
        check_test_notification(self.configuration)


class HostSnmpAgent(HostManagerObject):
    """A host's agent, its snmpd service."""
    type_name = 'HostSnmpSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.configuration = initial_configuration(host.T)

    @property
    def limits(self):
        return agent_limits(self.host.T)

    def ReconfigureSnmpAgent(self, ctx, spec):
        self.configuration = reconfigured(self.configuration, spec)
        self.report('configuration')
        self.host.managers['serviceSystem'].set_running(AGENT_SERVICE, self.configuration.enabled)

    def SendTestNotification(self, ctx):
        check_test_notification(self.configuration)
