"""ProfileComplianceManager (ServiceContent.complianceManager): compliance
of hosts and clusters with the host and cluster profiles that apply to
them, checked from the model by the profiles' managers, which keep the
results (CheckProfileCompliance_Task shares them)."""
from vimsim.managed.admin.host_profile_settings import expression_metadata
from vimsim.managed.admin.profile import Profile
from vimsim.managed.admin.profile_manager import compliance_task
from vimsim.managed.manager import Manager, manager_type
from vimsim.soap.fault import InvalidArgument


@manager_type('ProfileComplianceManager')
class ProfileComplianceManager(Manager):
    def managers(self):
        content = self.server.service_instance.content
        return [self.server.objects.get(ref) for ref in
                (content.hostProfileManager, content.clusterProfileManager)]

    def pairs(self, refs, entities):
        """(profile, entity) of the profiles named (all when none are) and
        their targets within the entities named (all when none are)."""
        profiles = [self.server.objects.resolve(ref) for ref in refs]
        if any(not isinstance(p, Profile) for p in profiles):
            raise InvalidArgument('profile')
        out = []
        for manager in self.managers():
            mine = [p for p in profiles if p.manager is manager]
            if mine or not profiles:
                out.extend(manager.pairs(mine, list(entities)))
        return out

    def CheckCompliance_Task(self, ctx, profile=(), entity=()):
        return compliance_task(ctx, self.pairs(profile, entity), 'CheckCompliance_Task', self)

    def QueryComplianceStatus(self, ctx, profile=(), entity=()):
        return [p.manager.compliance[(p.ref, target.ref)]
                for p, target in self.pairs(profile, entity)
                if (p.ref, target.ref) in p.manager.compliance]

    def ClearComplianceStatus(self, ctx, profile=(), entity=()):
        for p, target in self.pairs(profile, entity):
            if p.manager.compliance.pop((p.ref, target.ref), None) is not None:
                p.changed('complianceStatus')

    def QueryExpressionMetadata(self, ctx, expressionName=(), profile=None):
        """The host profiles' checks (a cluster profile's are its services)."""
        if profile is not None:
            self.pairs([profile], [])
        return expression_metadata(self.server.schema.types, set(expressionName))
