"""HostSnmpSystem: the SNMP agent of a vCenter (ServiceContent.snmpSystem),
disabled, and its limits."""
from vimsim.managed.manager import Manager, manager_type


@manager_type('HostSnmpSystem')
class HostSnmpSystem(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        T = server.schema.types
        self.configuration = T['HostSnmpConfigSpec'].cls(
            enabled=False, port=161, readOnlyCommunities=[], trapTargets=[], option=[])
        self.limits = T['HostSnmpSystemAgentLimits'].cls(
            maxReadOnlyCommunities=10, maxTrapDestinations=10, maxCommunityLength=64,
            maxBufferSize=1500, capability='COMPLETE')
