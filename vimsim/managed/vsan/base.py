"""What the vSAN service's managed objects share: vim25's schema (vSAN's
vim-versioned types are vim25's) and the model's clusters."""
from vimsim.schema import MoRef
from vimsim.soap.fault import InvalidArgument, ManagedObjectNotFound


class VsanObject:
    """A managed object of /vsanHealth at its well-known moid
    ('vsan-cluster-config-system'); `type_name` its WSDL type. One whose
    type's methods are not simulated answers NotImplemented to each."""
    type_name = 'ManagedObject'

    def __init__(self, server, moid, type_name=None):
        if type_name is not None:
            self.type_name = type_name
        self.server = server
        self.ref = MoRef(self.type_name, moid)

    def T(self, name):
        return self.server.schema.types[name].cls

    def cluster(self, ctx, ref, argument='cluster'):
        """The model's ClusterComputeResource `ref` names."""
        target = ctx.server.objects.get(ref)
        if target is None:
            raise ManagedObjectNotFound(ref)
        if target.type_name != 'ClusterComputeResource':
            raise InvalidArgument(argument)
        return target

    def __repr__(self):
        return '<%s %s>' % (self.type_name, self.ref.value)
