"""HealthUpdateManager: the health update providers of Proactive HA.

A provider (a hardware vendor's plug-in) registers with the kinds of health
updates it reports (HealthUpdateInfo: id, component type, description),
names the hosts it monitors, and posts health updates about them; a
cluster's `configurationEx.infraUpdateHaConfig` enables Proactive HA with
its providers. Filters name, per provider, update kinds to ignore on some
entities.

The rules are vCenter's: only hosts are monitored; an update must be about
a monitored host and of one of the provider's kinds; the updates in effect
are the latest per (host, kind) that is not green (a green update clears
it), and go with the host's monitoring; a provider that an enabled cluster
uses may not be unregistered, nor may that cluster's hosts leave its
monitoring (InvalidState). Filter names are at most 56 characters, unique
per provider. The remediation Proactive HA then takes (quarantine or
maintenance mode) is the HA/DRS simulation's, not this manager's.
"""
from vimsim.managed.manager import Manager, manager_type
from vimsim.soap.fault import InvalidArgument, fault

FILTER_NAME_LIMIT = 56


def _not_found(what, key):
    return fault('NotFound', 'The %s %s is not registered.' % (what, key))


class Provider:
    """One registered provider: name, HealthUpdateInfos by id, monitored
    hosts (MoRefs, in order added), updates in effect {(host, info id):
    HealthUpdate}."""

    def __init__(self, key, name, infos):
        self.key = key
        self.name = name
        self.infos = {info.id: info for info in infos}
        self.monitored = []
        self.updates = {}


class Filter:
    __slots__ = ('key', 'provider', 'name', 'info_ids', 'entities')

    def __init__(self, key, provider, name, info_ids):
        self.key = key
        self.provider = provider
        self.name = name
        self.info_ids = info_ids
        self.entities = []


@manager_type('HealthUpdateManager')
class HealthUpdateManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.providers = {}    # provider id -> Provider, in registration order
        self.filters = {}      # filter id -> Filter

    # -- lookups ---------------------------------------------------------------------------
    def _provider(self, key):
        provider = self.providers.get(key)
        if provider is None:
            raise _not_found('health update provider', key)
        return provider

    def _filter(self, key):
        found = self.filters.get(key)
        if found is None:
            raise _not_found('health update filter', key)
        return found

    def _hosts(self, refs, where='entities'):
        """The entities given, which must be hosts."""
        for ref in refs:
            if self.server.objects.resolve(ref).type_name != 'HostSystem':
                raise InvalidArgument(where, 'Only hosts can be monitored by a health update '
                                      'provider.')
        return list(dict.fromkeys(refs))

    def _enabled_clusters(self, provider):
        """The clusters whose Proactive HA is enabled with `provider`."""
        for obj in self.server.objects:
            settings = getattr(obj, 'settings', None)
            ha = getattr(settings, 'infra_update_ha', None)
            if ha is not None and ha.enabled and provider.key in (ha.providers or ()):
                yield obj

    # -- providers -------------------------------------------------------------------------
    def RegisterHealthUpdateProvider(self, ctx, name, healthUpdateInfo=()):
        if not name:
            raise InvalidArgument('name')
        if any(p.name == name for p in self.providers.values()):
            raise InvalidArgument('name', "A health update provider named '%s' is already "
                                  'registered.' % name)
        ids = [info.id for info in healthUpdateInfo]
        components = self.server.schema.enums['HealthUpdateInfoComponentType'].values
        if len(set(ids)) != len(ids) or not all(ids) or any(
                info.componentType not in components for info in healthUpdateInfo):
            raise InvalidArgument('healthUpdateInfo')
        key = 'provider-%s' % self.server.new_uuid()
        self.providers[key] = Provider(key, name, healthUpdateInfo)
        return key

    def UnregisterHealthUpdateProvider(self, ctx, providerId):
        provider = self._provider(providerId)
        if next(self._enabled_clusters(provider), None) is not None:
            raise fault('InvalidState', 'The provider is in use by a cluster with Proactive '
                        'HA enabled.')
        del self.providers[providerId]
        for key in [k for k, f in self.filters.items() if f.provider is provider]:
            del self.filters[key]

    def QueryProviderList(self, ctx):
        return list(self.providers)

    def HasProvider(self, ctx, id):
        return id in self.providers

    def QueryProviderName(self, ctx, id):
        return self._provider(id).name

    def QueryHealthUpdateInfos(self, ctx, providerId):
        return list(self._provider(providerId).infos.values())

    # -- monitored hosts ---------------------------------------------------------------------
    def AddMonitoredEntities(self, ctx, providerId, entities=()):
        provider = self._provider(providerId)
        for ref in self._hosts(entities):
            if ref not in provider.monitored:
                provider.monitored.append(ref)

    def RemoveMonitoredEntities(self, ctx, providerId, entities=()):
        provider = self._provider(providerId)
        hosts = self._hosts(entities)
        in_use = {host for cluster in self._enabled_clusters(provider)
                  for host in getattr(cluster, 'host', ())}
        if any(ref in in_use for ref in hosts):
            raise fault('InvalidState', 'A host is in a cluster where Proactive HA uses this '
                        'provider.')
        for ref in hosts:
            if ref in provider.monitored:
                provider.monitored.remove(ref)
            for key in [k for k in provider.updates if k[0] == ref]:
                del provider.updates[key]

    def QueryMonitoredEntities(self, ctx, providerId):
        return [ref for ref in self._provider(providerId).monitored
                if self.server.objects.get(ref) is not None]

    def HasMonitoredEntity(self, ctx, providerId, entity):
        return entity in self.QueryMonitoredEntities(ctx, providerId)

    def QueryUnmonitoredHosts(self, ctx, providerId, cluster):
        provider = self._provider(providerId)
        found = self.server.objects.resolve(cluster)
        if found.type_name != 'ClusterComputeResource':
            raise InvalidArgument('cluster')
        return [ref for ref in found.host if ref not in provider.monitored]

    # -- updates ----------------------------------------------------------------------------
    def PostHealthUpdates(self, ctx, providerId, updates=()):
        """Every update is checked before any is taken."""
        provider = self._provider(providerId)
        for update in updates:
            if update.entity not in provider.monitored:
                raise InvalidArgument('updates.entity', 'The provider does not monitor %s.'
                                      % update.entity.value)
            if update.healthUpdateInfoId not in provider.infos:
                raise InvalidArgument('updates.healthUpdateInfoId')
        for update in updates:
            key = (update.entity, update.healthUpdateInfoId)
            if update.status == 'green':
                provider.updates.pop(key, None)
            else:
                provider.updates[key] = update

    def QueryHealthUpdates(self, ctx, providerId):
        provider = self._provider(providerId)
        return [update for (host, _), update in provider.updates.items()
                if self.server.objects.get(host) is not None]

    # -- filters -------------------------------------------------------------------------------
    def AddFilter(self, ctx, providerId, filterName, infoIds=()):
        provider = self._provider(providerId)
        if not filterName or len(filterName) > FILTER_NAME_LIMIT or any(
                f.name == filterName for f in self.filters.values() if f.provider is provider):
            raise InvalidArgument('filterName')
        if len(set(infoIds)) != len(infoIds) or any(i not in provider.infos for i in infoIds):
            raise InvalidArgument('infoIds')
        key = 'filter-%s' % self.server.new_uuid()
        self.filters[key] = Filter(key, provider, filterName, list(infoIds))
        return key

    def QueryFilterList(self, ctx, providerId):
        provider = self._provider(providerId)
        return [key for key, found in self.filters.items() if found.provider is provider]

    def QueryFilterName(self, ctx, filterId):
        return self._filter(filterId).name

    def QueryFilterInfoIds(self, ctx, filterId):
        return list(self._filter(filterId).info_ids)

    def QueryFilterEntities(self, ctx, filterId):
        return [ref for ref in self._filter(filterId).entities
                if self.server.objects.get(ref) is not None]

    def AddFilterEntities(self, ctx, filterId, entities=()):
        found = self._filter(filterId)
        for ref in entities:
            self.server.objects.resolve(ref)
            if ref not in found.entities:
                found.entities.append(ref)

    def RemoveFilterEntities(self, ctx, filterId, entities=()):
        found = self._filter(filterId)
        found.entities = [ref for ref in found.entities if ref not in entities]

    def RemoveFilter(self, ctx, filterId):
        self._filter(filterId)
        del self.filters[filterId]
