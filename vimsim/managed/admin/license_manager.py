"""LicenseManager and vCenter's LicenseAssignmentManager.

A fresh vCenter or host runs on the evaluation license
`00000-00000-00000-00000-00000` (60 days), which enables every feature.
Keys added with AddLicense decode as license_editions.py describes (an
edition, a cost unit and a capacity per key). On vCenter each licensed entity
(the vCenter itself by its instance UUID, each host and each cluster by moid)
has one license assigned, the evaluation one unless UpdateAssignedLicense
gave it another; a license's `used` counts the units its entities take (a
host's CPU packages, a cluster's hosts' packages, one vCenter instance), and
an assignment beyond its capacity, or of another product's edition, is
refused. On ESX, UpdateLicense sets the host's license.

The license-server era's methods (ConfigureLicenseSource, SetLicenseEdition,
EnableFeature / DisableFeature, QueryLicenseSourceAvailability) answer
against these licenses: there is no license server to reach.
"""
from datetime import timedelta

from vimsim.managed.admin.license_editions import (EVAL_FEATURES, EVAL_KEY, FEATURES,
                                                   PRODUCT_OF, decode)
from vimsim.managed.manager import Manager, manager_type
from vimsim.soap.fault import InvalidArgument, fault

EVAL_HOURS = 60 * 24


def _invalid_key(key):
    return InvalidArgument('licenseKey', "The license key '%s' is not valid." % key)


@manager_type('LicenseManager')
class LicenseManager(Manager):

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        T = server.schema.types
        KeyAnyValue = T['KeyAnyValue'].cls
        esx = server.esx
        self.product = ('VMware ESX Server' if esx else 'VMware VirtualCenter Server',
                        server.api_version.split('.')[0] + '.0')
        self.source = T['EvaluationLicenseSource'].cls(remainingHours=EVAL_HOURS)
        self.sourceAvailable = True
        self.licensedEdition = ''
        self.keys = {EVAL_KEY: []}     # license key -> its labels (KeyValue), in added order
        self.disabled = set()           # optional features DisableFeature turned off
        expires = server.model_built.replace(microsecond=0) + timedelta(hours=EVAL_HOURS)
        self.evaluation = T['LicenseManagerEvaluationInfo'].cls(properties=[
            KeyAnyValue(key='expirationHours', value=EVAL_HOURS),
            KeyAnyValue(key='expirationMinutes', value=EVAL_HOURS * 60),
            KeyAnyValue(key='expirationDate', value=expires),
            KeyAnyValue(key='diagnostic', value=''),
        ])
        self.diagnostics = None
        if esx:
            self.licenseAssignmentManager = None
            self.host_key = EVAL_KEY       # ESX: the host's one license
        else:
            self.assignment_manager = LicenseAssignmentManager(server, self)
            self.licenseAssignmentManager = self.assignment_manager.ref

    # -- the licenses ------------------------------------------------------------------
    def info(self, key):
        """LicenseManagerLicenseInfo of a held or well-formed key (None otherwise)."""
        T = self.server.schema.types
        KeyAnyValue, KeyValue = T['KeyAnyValue'].cls, T['KeyValue'].cls
        labels = list(self.keys.get(key, ()))
        if key == EVAL_KEY:
            features = EVAL_FEATURES[1:] if self.server.esx else EVAL_FEATURES
            info = T['LicenseManagerLicenseInfo'].cls(
                licenseKey=EVAL_KEY, editionKey='eval', name='Evaluation Mode', total=0,
                costUnit='', labels=labels)
        else:
            decoded = decode(key)
            if decoded is None:
                return None
            _, edition, name, unit, features, capacity = decoded
            info = T['LicenseManagerLicenseInfo'].cls(
                licenseKey=key, editionKey=edition, name=name, total=capacity,
                used=self.used(key), costUnit=unit, labels=labels)
        info.properties = [KeyAnyValue(key='feature', value=KeyValue(key=f, value=FEATURES[f]))
                           for f in features] + [
            KeyAnyValue(key='ProductName', value=self.product[0]),
            KeyAnyValue(key='ProductVersion', value=self.product[1])]
        if key == EVAL_KEY:
            info.properties += self.evaluation.properties
        return info

    def features_of(self, key):
        decoded = decode(key)
        features = decoded[4] if decoded is not None else (
            EVAL_FEATURES[1:] if self.server.esx else EVAL_FEATURES)
        T = self.server.schema.types
        unit = decoded[3] if decoded is not None else 'cpuPackage'
        return [T['LicenseFeatureInfo'].cls(
            key=f, featureName=FEATURES[f], featureDescription=FEATURES[f],
            state='disabled' if f in self.disabled else 'enabled', costUnit=unit,
            edition=False) for f in features]

    def used(self, key):
        """Units of `key` its assigned entities take."""
        if self.server.esx:
            return _cpu_packages(_the_host(self.server)) if key == self.host_key else 0
        return sum(units for _, units in self.assignment_manager.holders(key))

    def read(self, name, ctx):
        if name == 'licenses':
            return [self.info(key) for key in self.keys]
        if name == 'featureInfo':
            return self.features_of(self.host_key if self.server.esx else EVAL_KEY)
        return super().read(name, ctx)

    def _held(self, key):
        if key not in self.keys:
            raise _invalid_key(key)
        return self.keys[key]

    def _changed(self):
        self.changed('licenses')

    # -- API methods ---------------------------------------------------------------------
    def DecodeLicense(self, ctx, licenseKey):
        info = self.info(licenseKey)
        if info is None:
            raise _invalid_key(licenseKey)
        return info

    def AddLicense(self, ctx, licenseKey, labels=()):
        if self.info(licenseKey) is None:
            raise _invalid_key(licenseKey)
        held = self.keys.setdefault(licenseKey, [])
        for label in labels:
            _set_label(self.server, held, label.key, label.value)
        self._changed()
        return self.info(licenseKey)

    def UpdateLicense(self, ctx, licenseKey, labels=()):
        """As RemoveLicense of every license, then AddLicense; on ESX the
        host's license becomes this one."""
        if self.info(licenseKey) is None:
            raise _invalid_key(licenseKey)
        if self.server.esx:
            if licenseKey != EVAL_KEY and decode(licenseKey)[0] != 'esx':
                raise _invalid_key(licenseKey)
            self.host_key = licenseKey
        for key in list(self.keys):
            if key not in (EVAL_KEY, licenseKey) and not self.used(key):
                del self.keys[key]
        return self.AddLicense(ctx, licenseKey, labels)

    def RemoveLicense(self, ctx, licenseKey):
        if licenseKey == EVAL_KEY:
            raise InvalidArgument('licenseKey', 'The evaluation license cannot be removed.')
        if licenseKey not in self.keys:
            return
        if self.used(licenseKey) or (self.server.esx and self.host_key == licenseKey):
            raise InvalidArgument('licenseKey', "The license '%s' is assigned and cannot be "
                                  'removed.' % licenseKey)
        del self.keys[licenseKey]
        self._changed()

    def UpdateLicenseLabel(self, ctx, licenseKey, labelKey, labelValue):
        _set_label(self.server, self._held(licenseKey), labelKey, labelValue)
        self._changed()

    def RemoveLicenseLabel(self, ctx, licenseKey, labelKey):
        labels = self._held(licenseKey)
        label = next((l for l in labels if l.key == labelKey), None)
        if label is None:
            raise InvalidArgument('labelKey')
        labels.remove(label)
        self._changed()

    def _host_key(self, ctx, host):
        """The license key that governs `host` (or this server when None)."""
        if self.server.esx:
            return self.host_key
        if host is None:
            return self.assignment_manager.key_of(self.assignment_manager.vcenter_id())
        target = ctx.server.objects.resolve(host)
        return self.assignment_manager.key_of(target.ref.value)

    def QuerySupportedFeatures(self, ctx, host=None):
        return self.features_of(self._host_key(ctx, host))

    def CheckLicenseFeature(self, ctx, featureKey, host=None):
        return any(f.key == featureKey and f.state == 'enabled'
                   for f in self.features_of(self._host_key(ctx, host)))

    def EnableFeature(self, ctx, featureKey, host=None):
        return self._set_feature(ctx, host, featureKey, True)

    def DisableFeature(self, ctx, featureKey, host=None):
        return self._set_feature(ctx, host, featureKey, False)

    def _set_feature(self, ctx, host, feature_key, enabled):
        """Turn a feature the governing license grants on or off (its
        LicenseFeatureInfo.state then says so); InvalidState for one it does
        not grant."""
        if feature_key not in {f.key for f in self.features_of(self._host_key(ctx, host))}:
            raise fault('InvalidState', "The license does not include the feature '%s'."
                        % feature_key)
        (self.disabled.discard if enabled else self.disabled.add)(feature_key)
        self.changed('featureInfo')
        return True

    def QueryLicenseUsage(self, ctx, host=None):
        T = self.server.schema.types
        key = self._host_key(ctx, host)
        features = self.features_of(key)
        units = self.used(key) if key != EVAL_KEY else 0
        return T['LicenseUsageInfo'].cls(
            source=self.source, sourceAvailable=self.sourceAvailable,
            reservationInfo=[T['LicenseReservationInfo'].cls(
                key=f.key, state='licensed', required=units) for f in features],
            featureInfo=features)

    def QueryLicenseSourceAvailability(self, ctx, host=None):
        T = self.server.schema.types
        out = []
        for key in self.keys:
            info = self.info(key)
            for feature in self.features_of(key):
                out.append(T['LicenseAvailabilityInfo'].cls(
                    feature=feature, total=info.total,
                    available=max(info.total - (info.used or 0), 0)))
        return out

    def SetLicenseEdition(self, ctx, host=None, featureKey=None):
        """The edition this server runs: the edition key of a license it holds
        ('' for none)."""
        if featureKey and featureKey not in {self.info(k).editionKey for k in self.keys}:
            raise fault('InvalidState', "No license provides the edition '%s'." % featureKey)
        self.licensedEdition = featureKey or ''
        self.changed('licensedEdition')

    def ConfigureLicenseSource(self, ctx, licenseSource, host=None):
        """Evaluation, or local keys this server can decode; a license server
        (port@host) cannot be reached from a simulator."""
        kind = licenseSource._type.name
        if kind == 'LicenseServerSource':
            raise fault('LicenseServerUnavailable', 'The license server %s is unavailable.'
                        % licenseSource.licenseServer, licenseServer=licenseSource.licenseServer)
        if kind == 'LocalLicenseSource':
            for key in licenseSource.licenseKeys.split():
                if self.info(key) is None:
                    raise fault('InvalidLicense', "The license '%s' is not valid." % key,
                                licenseContent=key)
        self.source = licenseSource
        self.changed('source')


class LicenseAssignmentManager(Manager):
    """vCenter's per-entity license assignments (no properties of its own),
    made by its LicenseManager."""
    type_name = 'LicenseAssignmentManager'

    def __init__(self, server, licenses):
        super().__init__(server, self.type_name, 'LicenseAssignmentManager')
        self.licenses = licenses
        self.assigned = {}     # entity id -> (license key, display name) given it

    def vcenter_id(self):
        return self.server.service_instance.content.about.instanceUuid

    def entities(self):
        """(entity id, kind, display name, object) of every licensed entity."""
        yield self.vcenter_id(), 'vcenter', self.server.service_instance.content.about.name, None
        for obj in self.server.objects:
            if obj.type_name in PRODUCT_OF:
                yield obj.ref.value, obj.type_name, obj.name, obj

    def key_of(self, entity_id):
        return self.assigned.get(entity_id, (EVAL_KEY, None))[0]

    def holders(self, key):
        """(entity id, units) of the entities `key` is assigned to."""
        out = []
        for entity_id, kind, _, obj in self.entities():
            if self.key_of(entity_id) == key:
                out.append((entity_id, _units(self.server, kind, obj)))
        return out

    def _assignment(self, entity_id, name):
        T = self.server.schema.types
        key, given_name = self.assigned.get(entity_id, (EVAL_KEY, None))
        return T['LicenseAssignmentManagerLicenseAssignment'].cls(
            entityId=entity_id, scope=self.vcenter_id(), entityDisplayName=given_name or name,
            assignedLicense=self.licenses.info(key))

    def _entity(self, entity_id):
        found = next((e for e in self.entities() if e[0] == entity_id), None)
        if found is None:
            raise fault('LicenseEntityNotFound', "The entity '%s' is not licensable."
                        % entity_id, entityId=entity_id)
        return found

    def QueryAssignedLicenses(self, ctx, entityId=None):
        return [self._assignment(entity_id, name) for entity_id, _, name, _ in self.entities()
                if not entityId or entity_id == entityId]

    def check_assignment(self, entity_id, kind, name, units, key, argument='licenseKey'):
        """Raise InvalidArgument (naming `argument`) unless license `key` may
        be assigned to the entity: added here, of the entity's product, with
        `units` to spare beside what its other entities take."""
        if key not in self.licenses.keys:
            raise InvalidArgument(argument, "The license '%s' has not been added." % key)
        if key == EVAL_KEY:
            return
        product, _, edition_name, _, _, capacity = decode(key)
        if product != PRODUCT_OF[kind]:
            raise InvalidArgument(argument, "The license '%s' (%s) is not valid for %s."
                                  % (key, edition_name, name))
        others = sum(held for holder, held in self.holders(key) if holder != entity_id)
        if others + units > capacity:
            raise InvalidArgument(argument, "The license '%s' has %d of %d units free; %s needs "
                                  '%d.' % (key, capacity - others, capacity, name, units))

    def assign(self, entity_id, key, display_name=None):
        self.assigned[entity_id] = (key, display_name or None)
        self.licenses.changed('licenses')

    def UpdateAssignedLicense(self, ctx, entity, licenseKey, entityDisplayName=None):
        entity_id, kind, name, obj = self._entity(entity)
        self.check_assignment(entity_id, kind, name, _units(self.server, kind, obj), licenseKey)
        self.assign(entity_id, licenseKey, entityDisplayName)
        return self.licenses.info(licenseKey)

    def RemoveAssignedLicense(self, ctx, entityId):
        self._entity(entityId)
        self.assigned.pop(entityId, None)
        self.licenses.changed('licenses')


def license_manager(server):
    """The LicenseManager of `server`'s ServiceContent."""
    return server.objects.get(server.service_instance.content.licenseManager)


def _set_label(server, labels, key, value):
    for label in labels:
        if label.key == key:
            label.value = value
            return
    labels.append(server.schema.types['KeyValue'].cls(key=key, value=value))


def _the_host(server):
    return next(iter(server.objects.of_type('HostSystem')), None)


def _cpu_packages(host):
    hardware = getattr(host, 'hardware', None) if host is not None else None
    cpu = getattr(hardware, 'cpuInfo', None)
    return cpu.numCpuPackages if cpu is not None else 1


def _units(server, kind, obj):
    """Cost units an entity takes of a license: one vCenter instance, a host's
    CPU packages, a cluster's hosts' packages."""
    if kind == 'vcenter':
        return 1
    if kind == 'HostSystem':
        return _cpu_packages(obj)
    return sum(_cpu_packages(host) for host in obj.hosts)
