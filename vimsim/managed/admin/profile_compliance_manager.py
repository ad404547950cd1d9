"""ProfileComplianceManager (ServiceContent.complianceManager): compliance
of hosts with the host profiles that apply to them, checked from the model
by the HostProfileManager, which keeps the results."""
from vimsim.managed.admin.host_profile_settings import expression_metadata
from vimsim.managed.manager import Manager, manager_type
from vimsim.soap.fault import InvalidArgument


@manager_type('ProfileComplianceManager')
class ProfileComplianceManager(Manager):
    @property
    def host_profiles(self):
        return self.server.objects.get(self.server.service_instance.content.hostProfileManager)

    def _profiles(self, refs):
        profiles = [self.server.objects.resolve(ref) for ref in refs]
        if any(ref.type != 'HostProfile' for ref in refs):
            raise InvalidArgument('profile')
        return profiles

    def CheckCompliance_Task(self, ctx, profile=(), entity=()):
        return self.host_profiles.check_compliance(ctx, self._profiles(profile), list(entity),
                                                   'CheckCompliance_Task', self)

    def QueryComplianceStatus(self, ctx, profile=(), entity=()):
        manager = self.host_profiles
        pairs = manager.pairs(self._profiles(profile), list(entity))
        return [manager.compliance[(p.ref, host.ref)] for p, host in pairs
                if (p.ref, host.ref) in manager.compliance]

    def ClearComplianceStatus(self, ctx, profile=(), entity=()):
        manager = self.host_profiles
        for p, host in manager.pairs(self._profiles(profile), list(entity)):
            if manager.compliance.pop((p.ref, host.ref), None) is not None:
                p.changed('complianceStatus')

    def QueryExpressionMetadata(self, ctx, expressionName=(), profile=None):
        if profile is not None:
            self._profiles([profile])
        return expression_metadata(self.server.schema.types, set(expressionName))
