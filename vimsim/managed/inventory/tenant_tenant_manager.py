"""TenantTenantManager: the inventory entities that are the service
provider's, not a tenant's (a cloud provider marks the infrastructure it
runs for its tenants so their views can leave it out).

The marks are the manager's, by MoRef: marking what is marked and unmarking
what is not change nothing; an entity that leaves the inventory leaves the
list; a reference to no entity is ManagedObjectNotFound, checked before any
mark changes.
"""
from vimsim.managed.entity import ManagedEntity
from vimsim.managed.manager import Manager, manager_type
from vimsim.soap.fault import ManagedObjectNotFound


@manager_type('TenantTenantManager')
class TenantTenantManager(Manager):

    def __init__(self, server, type_name, moid, **properties):
        super().__init__(server, type_name, moid, **properties)
        self.marked = {}    # moid -> the service provider's entity, in marking order

    def _entities(self, ctx, refs):
        """The entities `refs` name (ManagedObjectNotFound for one that is none)."""
        found = []
        for ref in refs or ():
            obj = ctx.server.objects.get(ref)
            if not isinstance(obj, ManagedEntity):
                raise ManagedObjectNotFound(ref)
            found.append(obj)
        return found

    def MarkServiceProviderEntities(self, ctx, entity=()):
        for obj in self._entities(ctx, entity):
            self.marked.setdefault(obj.ref.value, obj)

    def UnmarkServiceProviderEntities(self, ctx, entity=()):
        for obj in self._entities(ctx, entity):
            self.marked.pop(obj.ref.value, None)

    def RetrieveServiceProviderEntities(self, ctx):
        get = ctx.server.objects.get
        return [obj.ref for obj in self.marked.values() if get(obj.ref) is obj]
