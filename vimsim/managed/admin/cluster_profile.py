"""ClusterProfile: the cluster services (ClusterProfileServiceType: DRS,
HA, DPM, FT) the clusters it is attached to must run, checked from each
cluster's configuration (FT: HA on, and every host with a VMkernel NIC
selected for fault tolerance logging). A complete spec's complyProfile is
kept as given; vimsim evaluates only the services of a service spec
(ClusterProfileConfigServiceCreateSpec)."""
from vimsim.managed.admin.profile import Profile, make, message
from vimsim.soap.fault import InvalidArgument

SERVICES = ('DRS', 'HA', 'DPM', 'FT')


def cluster_services(spec):
    """The services a create or config spec names, checked (InvalidArgument);
    None when it names none (an update keeps the profile's)."""
    named = list(getattr(spec, 'serviceType', None) or [])
    if any(service not in SERVICES for service in named) or len(set(named)) != len(named):
        raise InvalidArgument('createSpec.serviceType')
    return named or None


def _enabled(cluster, service):
    config = cluster.configurationEx
    if service == 'DRS':
        return bool(config.drsConfig.enabled)
    if service == 'HA':
        return bool(config.dasConfig.enabled)
    if service == 'DPM':
        return bool(config.dpmConfigInfo.enabled)
    return bool(config.dasConfig.enabled) and all(
        host.netconfig.selected.get('faultToleranceLogging') for host in cluster.hosts)


class ClusterProfile(Profile):
    type_name = 'ClusterProfile'
    attachable = ('ClusterComputeResource',)
    config_type = 'ClusterProfileConfigInfo'

    def __init__(self, server, moid, manager, spec, services):
        super().__init__(server, moid, manager, spec)
        self.services = services or []
        self.comply_profile = getattr(spec, 'complyProfile', None)

    def config_fields(self):
        return {'complyProfile': self.comply_profile}

    def targets_within(self, entity):
        return [entity] if entity.type_name == 'ClusterComputeResource' else []

    def failures(self, cluster):
        types = self.types
        return [make(types, 'ComplianceFailure', failureType='ClusterProfile.%s' % service,
                     message=message(types, 'com.vmware.vim.profile.cluster.%s' % service,
                                     '%s is not enabled on cluster %s' % (service, cluster.name)),
                     expressionName=service)
                for service in self.services if not _enabled(cluster, service)]

    def checked(self, ctx, cluster, status):
        self.post(ctx, 'ClusterComplianceCheckedEvent', cluster)

    def sections(self):
        types = self.types
        return [make(types, 'ProfileDescriptionSection', description=make(
            types, 'ExtendedElementDescription', key=service, label='%s enabled' % service,
            summary='The cluster runs %s' % service,
            messageCatalogKeyPrefix='com.vmware.vim.profile.cluster'))
            for service in self.services]

    def UpdateClusterProfile(self, ctx, config):
        services = cluster_services(config)
        self.rename(config)
        if services is not None:
            self.services = services
        if isinstance(config, self.types['ClusterProfileCompleteConfigSpec'].cls):
            self.comply_profile = config.complyProfile
        self.manager.clear_results(self)
        self.touched('name', 'config', 'description', 'complianceStatus')
        self.post(ctx, 'ProfileChangedEvent')
