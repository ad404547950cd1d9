"""VsanCapabilitySystem ('vsan-vc-capability-system'): which vSAN features
this vCenter and its hosts support, as clients ask before using one.

vCenter calculates its own from the vSAN APIs it serves: here, a
capability is the vCenter's when the simulator implements the methods
that make it (FEATURES), so the answer follows the code. A host's own
vSAN service (/vsan) is not simulated, so a connected host's capabilities
are calculated, as vCenter calculates those of a host it cannot ask, from
what its vSAN node is: an ESXi 8 node of unicast membership
(host/vsan_system.py); a host vCenter cannot reach has none. (vSAN 6.6's
`statuses`, which says which of the two, is not in vim25's VsanCapability.)
"""
from vimsim.managed.vsan.base import VsanObject
from vimsim.soap.fault import InvalidArgument

# VsanCapabilityType -> the (managed type, method) that give it
FEATURES = {
    'capability': ('VsanCapabilitySystem', 'VsanGetCapabilities'),
    'clusterconfig': ('VsanVcClusterConfigSystem', 'VsanClusterReconfig'),
}
HOST_FEATURES = ('capability', 'unicastmode')


class VsanCapabilitySystem(VsanObject):
    type_name = 'VsanCapabilitySystem'

    def VsanGetCapabilities(self, ctx, targets=None):
        """The vCenter's capabilities with no targets; a host's; a cluster's
        hosts' and the vCenter's."""
        found = []
        for ref in targets or ():
            target = ctx.server.objects.resolve(ref)
            if target.type_name == 'HostSystem':
                found.append(target)
            elif target.type_name == 'ClusterComputeResource':
                found += [None] + list(target.hosts)
            else:
                raise InvalidArgument('targets')
        answers, seen = [], set()
        for target in found or [None]:
            if target not in seen:
                seen.add(target)
                answers.append(self._vcenter() if target is None else self._host(target))
        return answers

    def _vcenter(self):
        served = {(cls.type_name, name) for cls in VsanObject.__subclasses__()
                  for name in vars(cls)}
        return self.T('VsanCapability')(
            capabilities=[cap for cap, method in FEATURES.items() if method in served])

    def _host(self, host):
        reached = host.connection_state == 'connected'
        return self.T('VsanCapability')(target=host.ref,
                                        capabilities=list(HOST_FEATURES) if reached else [])
