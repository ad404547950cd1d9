"""PBM's managed objects: the service instance, the profile manager, the
placement solver, the compliance manager, the replication manager and the
managers PBM names but vimsim gives no methods (session, capability metadata).

They read the vim25 model (VMs, datastores, the tagging model) and keep
their own state in the simulator's `storage_policies` (vimsim/pbm/policies.py);
a VM's and its disks' profiles are the VM's own, set by ReconfigVM_Task.
Objects PBM names (`PbmServerObjectRef`): a VM by its moid
(`virtualMachine`, `virtualMachineAndDisks`), a disk as `vm-42:2000`
(`virtualDiskId`), a datastore by its moid (`datastore`).
"""
import uuid

from vimsim import clock
from vimsim.managed.storage import vstorage_object
from vimsim.managed.vm.storage_profiles import HOME
from vimsim.pbm.policies import (ALLOCATION, ALLOCATIONS, PMEM, SYSTEM_USER, TAG, VMFS, VSAN,
                                 VSAN_CAPABILITIES, tag_property)
from vimsim.schema import MoRef

STORAGE = 'STORAGE'
CATEGORIES = ('REQUIREMENT', 'RESOURCE', 'DATA_SERVICE_POLICY')
COMPLIANCE_STATUSES = ('compliant', 'nonCompliant', 'unknown', 'notApplicable', 'outOfDate')


class PbmObject:
    """A PBM managed object: found by reference in the PBM endpoint's own
    table, never in the vim25 registry."""
    type_name = 'ManagedObject'

    def __init__(self, server, moid):
        self.server = server
        self.policies = server.storage_policies
        self.ref = MoRef(self.type_name, moid)

    @property
    def T(self):
        return self.policies.schema.types

    def fault(self, type_name, message, **fields):
        return self.policies.fault(type_name, message, **fields)

    def invalid_argument(self, name):
        return self.fault('InvalidArgument', 'A specified parameter was not correct: %s' % name,
                          invalidProperty=name)

    def profile(self, profile_id, name='profileId'):
        """The profile a PbmProfileId names (InvalidArgument for none)."""
        found = self.policies.profiles.get(profile_id.uniqueId if profile_id else None)
        if found is None:
            raise self.invalid_argument(name)
        return found

    def object_ref(self, object_type, key):
        return self.T['PbmServerObjectRef'].cls(
            objectType=object_type, key=key,
            serverUuid=self.server.service_instance.content.about.instanceUuid)

    # -- what a PbmServerObjectRef names ---------------------------------------------
    def places(self, entity):
        """[(VM, place, its PbmServerObjectRef)] a VM or disk reference names
        (a VM and its disks for virtualMachineAndDisks): PbmFaultNotFound
        for an object not in the inventory, InvalidArgument for a kind PBM
        does not associate profiles with."""
        kind = entity.objectType
        if kind in ('virtualMachine', 'virtualMachineAndDisks'):
            vm = self._vm(entity.key, entity)
            found = [(vm, HOME, self.object_ref('virtualMachine', vm.ref.value))]
            if kind == 'virtualMachineAndDisks':
                found += [(vm, disk.key, self.disk_ref(vm, disk.key)) for disk in vm.disks()]
            return found
        if kind == 'virtualDiskId':
            moid, _, device = entity.key.partition(':')
            vm = self._vm(moid, entity)
            if not device.isdigit() or int(device) not in {d.key for d in vm.disks()}:
                raise self.not_found(entity)
            return [(vm, int(device), self.disk_ref(vm, int(device)))]
        raise self.invalid_argument('objectType')

    def disk_ref(self, vm, key):
        return self.object_ref('virtualDiskId', '%s:%d' % (vm.ref.value, key))

    def _vm(self, moid, entity):
        vm = self.server.objects.get(MoRef('VirtualMachine', moid))
        if vm is None:
            raise self.not_found(entity)
        return vm

    def not_found(self, entity):
        return self.fault('PbmFaultNotFound', 'The object %s:%s was not found.' % (
            entity.objectType, entity.key))

    def datastores(self, hubs):
        """The datastores placement hubs name (every datastore for none):
        InvalidArgument for a hub that is no datastore, PbmNonExistentHubs
        for those not in the inventory."""
        if not hubs:
            return sorted(self.server.objects.of_type('Datastore'),
                          key=lambda ds: ds.ref.value)
        if any(hub.hubType != 'Datastore' for hub in hubs):
            raise self.invalid_argument('hubType')
        found = [self.server.objects.get(MoRef('Datastore', hub.hubId)) for hub in hubs]
        missing = [hub for hub, ds in zip(hubs, found) if ds is None]
        if missing:
            raise self.fault('PbmNonExistentHubs', 'The datastores %s do not exist.' % ', '.join(
                hub.hubId for hub in missing), hubs=missing)
        return found

    def place_datastore(self, vm, place):
        if place == HOME:
            return vm.datastore_object
        disk = next(d for d in vm.disks() if d.key == place)
        return self.server.objects.get(getattr(disk.backing, 'datastore', None))

    def __repr__(self):
        return '<%s %s>' % (self.type_name, self.ref.value)


class PbmServiceInstance(PbmObject):
    type_name = 'PbmServiceInstance'

    def __init__(self, server, managers):
        super().__init__(server, 'ServiceInstance')
        self.content = self.T['PbmServiceInstanceContent'].cls(
            aboutInfo=self.T['PbmAboutInfo'].cls(
                name='PBM', version=self.policies.schema.versions[-1],
                instanceUuid=str(uuid.uuid5(uuid.NAMESPACE_URL, 'pbm:' + (
                    server.service_instance.content.about.instanceUuid or '')))),
            **{field: manager.ref for field, manager in managers.items()})

    def PbmRetrieveServiceContent(self, ctx):
        return self.content


class PbmSessionManager(PbmObject):
    type_name = 'PbmSessionManager'


class PbmCapabilityMetadataManager(PbmObject):
    type_name = 'PbmCapabilityMetadataManager'


class PbmReplicationManager(PbmObject):
    type_name = 'PbmReplicationManager'

    def PbmQueryReplicationGroups(self, ctx, entities=()):
        """A result per VM and disk named: none of the simulated datastores
        replicates, so none is in a replication group (no replicationGroupId);
        an object not in the inventory gets PbmFaultNotFound as its result's
        fault."""
        if not entities:
            raise self.invalid_argument('entities')
        Result = self.T['PbmQueryReplicationGroupResult'].cls
        results = []
        for entity in entities:
            try:
                places = self.places(entity)
            except self.T['PbmFaultNotFound'].cls as missing:
                results.append(Result(object=entity, fault=self.policies.localized(missing)))
                continue
            results += [Result(object=ref) for _, _, ref in places]
        return results


class PbmProfileProfileManager(PbmObject):
    type_name = 'PbmProfileProfileManager'

    def _resource_type(self, resource_type):
        if resource_type is None or resource_type.resourceType != STORAGE:
            raise self.invalid_argument('resourceType')

    def PbmFetchResourceType(self, ctx):
        return [self.T['PbmProfileResourceType'].cls(resourceType=STORAGE)]

    def PbmQueryProfile(self, ctx, resourceType, profileCategory=None):
        self._resource_type(resourceType)
        if profileCategory is not None and profileCategory not in CATEGORIES:
            raise self.invalid_argument('profileCategory')
        return [profile.profileId for profile in self.policies.profiles.values()
                if profileCategory in (None, profile.profileCategory)]

    def PbmRetrieveContent(self, ctx, profileIds):
        if not profileIds:
            raise self.invalid_argument('profileIds')
        return [self.profile(profile_id, 'profileIds') for profile_id in profileIds]

    def PbmCreate(self, ctx, createSpec):
        spec = createSpec
        self._resource_type(spec.resourceType)
        category = spec.category or 'REQUIREMENT'
        if category not in CATEGORIES:
            raise self.invalid_argument('createSpec.category')
        if not spec.name or not spec.name.strip():
            raise self.invalid_argument('createSpec.name')
        if any(p.name == spec.name for p in self.policies.profiles.values()):
            raise self.fault('PbmDuplicateName', 'A profile with the name %s already exists.'
                             % spec.name, name=spec.name)
        self._check_rules(spec.constraints, 'createSpec.constraints')
        profile = self.policies.add(self.server.new_uuid(), spec.name,
                                    spec.description or '', spec.constraints,
                                    ctx.session.info.userName, category=category)
        return profile.profileId

    def _check_rules(self, constraints, name):
        problem = self.policies.rule_problems(constraints)
        if problem:
            raise self.fault('InvalidArgument', 'A specified parameter was not correct: %s (%s)'
                             % (name, problem), invalidProperty=name)

    def PbmUpdate(self, ctx, profileId, updateSpec):
        profile = self.profile(profileId)
        spec = updateSpec
        if spec.name is not None:
            if not spec.name.strip():
                raise self.invalid_argument('updateSpec.name')
            if any(p.name == spec.name and p is not profile
                   for p in self.policies.profiles.values()):
                raise self.fault('PbmDuplicateName', 'A profile with the name %s already '
                                 'exists.' % spec.name, name=spec.name)
        if spec.constraints is not None:
            self._check_rules(spec.constraints, 'updateSpec.constraints')
        for field in ('name', 'description', 'constraints'):
            if getattr(spec, field) is not None:
                setattr(profile, field, getattr(spec, field))
        profile.generationId = (profile.generationId or 0) + 1
        profile.lastUpdatedTime = clock.now()
        profile.lastUpdatedBy = ctx.session.info.userName

    def PbmDelete(self, ctx, profileId):
        """Each profile's outcome: its fault when it is vCenter's own, in use
        by a VM or disk, or unknown."""
        outcomes = []
        Outcome = self.T['PbmProfileOperationOutcome'].cls
        for profile_id in profileId:
            profile = self.policies.profiles.get(profile_id.uniqueId)
            problem = None
            if profile is None:
                problem = self.fault('PbmFaultNotFound', 'Profile %s was not found.'
                                     % profile_id.uniqueId)
            elif profile.createdBy == SYSTEM_USER:
                problem = self.fault('PbmFault', 'The system profile %s cannot be deleted.'
                                     % profile.name)
            elif self.policies.users(profile_id.uniqueId):
                vm, _ = self.policies.users(profile_id.uniqueId)[0]
                problem = self.fault('PbmResourceInUse', 'Profile %s is in use by %s.' % (
                    profile.name, vm.name), type='VirtualMachine', name=vm.name)
            else:
                del self.policies.profiles[profile_id.uniqueId]
            outcomes.append(Outcome(profileId=profile_id, fault=problem and
                                    self.policies.localized(problem)))
        return outcomes

    # -- associations ----------------------------------------------------------------
    def PbmQueryAssociatedProfile(self, ctx, entity):
        if entity.objectType == 'datastore':
            datastore = self.server.objects.get(MoRef('Datastore', entity.key))
            if datastore is None:
                raise self.not_found(entity)
            default = self.policies.default_profile_id(datastore)
            return [self.T['PbmProfileId'].cls(uniqueId=default)] if default else []
        if entity.objectType == 'virtualDiskUUID':      # a first-class disk, by its id
            disk = vstorage_object.lookup(self.server, entity.key)
            if disk is None:
                raise self.not_found(entity)
            profile_id = disk.entry.get('profileId')
        else:
            vm, place, _ = self.places(entity)[0]
            profile_id = (vm.storage_profiles or {}).get(place)
        return [self.T['PbmProfileId'].cls(uniqueId=profile_id)] if profile_id else []

    def PbmQueryAssociatedProfiles(self, ctx, entities):
        Result = self.T['PbmQueryProfileResult'].cls
        results = []
        for entity in entities:
            try:
                results.append(Result(object=entity,
                                      profileId=self.PbmQueryAssociatedProfile(ctx, entity)))
            except self.T['MethodFault'].cls as error:
                results.append(Result(object=entity, profileId=[],
                                      fault=self.policies.localized(error)))
        return results

    def PbmQueryAssociatedEntity(self, ctx, profile, entityType=None):
        self.profile(profile, 'profile')
        if entityType not in (None, 'virtualMachine', 'virtualDiskId'):
            raise self.invalid_argument('entityType')
        found = []
        for vm, place in self.policies.users(profile.uniqueId):
            ref = (self.object_ref('virtualMachine', vm.ref.value) if place == HOME
                   else self.disk_ref(vm, place))
            if entityType in (None, ref.objectType):
                found.append(ref)
        return found

    def PbmQueryDefaultRequirementProfile(self, ctx, hub):
        datastore = self.datastores([hub])[0]
        default = self.policies.default_profile_id(datastore)
        return self.T['PbmProfileId'].cls(uniqueId=default) if default else None

    def PbmAssignDefaultRequirementProfile(self, ctx, profile, datastores):
        """vCenter keeps a default profile for vSAN and VVol datastores only:
        to it VMFS datastores (all the simulated ones) are legacy hubs, and
        the call answers PbmLegacyHubsNotSupported naming them, once the
        profile (a requirement profile) and the datastores are found."""
        if self.profile(profile, 'profile').profileCategory != 'REQUIREMENT':
            raise self.invalid_argument('profile')
        legacy = [self.policies.hub(datastore) for datastore in self.datastores(datastores)]
        raise self.fault('PbmLegacyHubsNotSupported', 'A default storage policy cannot be set '
                         'on the datastores %s: they are not vSAN or VVol datastores.'
                         % ', '.join(hub.hubId for hub in legacy), hubs=legacy)

    def PbmQueryDefaultRequirementProfiles(self, ctx, datastores):
        """The datastores grouped by their default profile (none for VMFS)."""
        if not datastores:
            raise self.invalid_argument('datastores')
        groups = {}
        for datastore in self.datastores(datastores):
            groups.setdefault(self.policies.default_profile_id(datastore), []).append(
                self.policies.hub(datastore))
        Info = self.T['PbmDefaultProfileInfo'].cls
        return [Info(datastores=hubs, defaultProfile=self.policies.profiles.get(default))
                for default, hubs in groups.items()]

    # -- capability metadata ---------------------------------------------------------
    def PbmFetchCapabilityMetadata(self, ctx, resourceType=None, vendorUuid=None):
        """The rules each provider offers: tag-based placement (a capability
        per tag category), VMFS, vSAN, host-local PMem."""
        if resourceType is not None:
            self._resource_type(resourceType)
        T = self.T
        Per = T['PbmCapabilityMetadataPerCategory'].cls
        tag_rules = [self._metadata(TAG, category.name, tag_property(category.name),
                                    category.name, category.description or category.name,
                                    T['PbmCapabilityGenericTypeInfo'].cls(
                                        typeName='XSD_STRING', genericTypeName='VMW_SET'),
                                    allowed=T['PbmCapabilityDiscreteSet'].cls(values=[
                                        tag.name for tag in self.server.tagging.tags.values()
                                        if tag.category is category]))
                     for category in self.server.tagging.categories.values()]
        return [
            Per(subCategory='tag', capabilityMetadata=tag_rules),
            Per(subCategory='VMFS', capabilityMetadata=[self._metadata(
                VMFS, ALLOCATION, ALLOCATION, 'Space allocation', 'Space allocation of the '
                'virtual disks', T['PbmCapabilityTypeInfo'].cls(typeName='XSD_STRING'),
                allowed=T['PbmCapabilityDiscreteSet'].cls(values=list(ALLOCATIONS)))]),
            Per(subCategory='VSAN', capabilityMetadata=[self._metadata(
                VSAN, name, name, label, label, T['PbmCapabilityTypeInfo'].cls(typeName=xsd),
                default=default, allowed=allowed and T['PbmCapabilityRange'].cls(
                    min=allowed[0], max=allowed[1]))
                for name, (label, xsd, default, allowed) in VSAN_CAPABILITIES.items()]),
            Per(subCategory='PMem', capabilityMetadata=[self._metadata(
                PMEM, 'PMemType', 'PMemType', 'PMem type', 'Type of persistent memory',
                T['PbmCapabilityTypeInfo'].cls(typeName='XSD_STRING'),
                allowed=T['PbmCapabilityDiscreteSet'].cls(values=['LocalPMem']))]),
        ]

    def _metadata(self, namespace, capability, prop, label, summary, type_info, default=None,
                  allowed=None):
        T = self.T

        def described(key):
            return T['PbmExtendedElementDescription'].cls(
                label=label, summary=summary, key=key, messageCatalogKeyPrefix=namespace)
        return T['PbmCapabilityMetadata'].cls(
            id=T['PbmCapabilityMetadataUniqueId'].cls(namespace=namespace, id=capability),
            summary=described(capability), mandatory=False, propertyMetadata=[
                T['PbmCapabilityPropertyMetadata'].cls(
                    id=prop, summary=described(prop), mandatory=True, type=type_info,
                    defaultValue=default, allowedValue=allowed)])


class PbmPlacementSolver(PbmObject):
    type_name = 'PbmPlacementSolver'

    def _results(self, hubs, constraints):
        Result = self.T['PbmPlacementCompatibilityResult'].cls
        localized = self.policies.localized
        return [Result(hub=self.policies.hub(datastore), error=[
            localized(problem) for problem in self.policies.mismatches(constraints, datastore)])
            for datastore in self.datastores(hubs)]

    def PbmCheckCompatibility(self, ctx, hubsToSearch, profile):
        return self._results(hubsToSearch, self.profile(profile, 'profile').constraints)

    def PbmQueryMatchingHub(self, ctx, hubsToSearch, profile):
        return [result.hub for result in self.PbmCheckCompatibility(ctx, hubsToSearch, profile)
                if not result.error]

    def PbmCheckRequirements(self, ctx, hubsToSearch, placementSubjectRef=None,
                             placementSubjectRequirement=()):
        """The hubs against every requirement given: a profile's rules or
        rules given as they are (none: every hub is compatible)."""
        sets = []
        for index, requirement in enumerate(placementSubjectRequirement):
            kind = requirement._type.name
            if kind == 'PbmPlacementCapabilityProfileRequirement':
                constraints = self.profile(requirement.profileId,
                                           'placementSubjectRequirement').constraints
            elif kind == 'PbmPlacementCapabilityConstraintsRequirement':
                constraints = requirement.constraints
                if self.policies.rule_problems(constraints):
                    raise self.invalid_argument('placementSubjectRequirement')
            else:
                raise self.invalid_argument('placementSubjectRequirement')
            sets.append(constraints)
        Result = self.T['PbmPlacementCompatibilityResult'].cls
        results = []
        for datastore in self.datastores(hubsToSearch):
            errors = [self.policies.localized(problem) for constraints in sets
                      for problem in self.policies.mismatches(constraints, datastore)]
            results.append(Result(hub=self.policies.hub(datastore), error=errors))
        return results


class PbmComplianceManager(PbmObject):
    type_name = 'PbmComplianceManager'

    def _check(self, vm, place, ref, profile_id):
        """The compliance of one VM home or disk with a profile (the one
        associated unless `profile_id`), recorded for Fetch."""
        associated = (vm.storage_profiles or {}).get(place)
        checked = profile_id.uniqueId if profile_id is not None else associated
        T = self.T
        result = T['PbmComplianceResult'].cls(
            checkTime=clock.now(), entity=ref, complianceTaskStatus='success',
            mismatch=checked != associated,
            operationalStatus=T['PbmComplianceOperationalStatus'].cls(healthy=True))
        if checked is None:
            result.complianceStatus = 'notApplicable'
        else:
            profile = self.profile(T['PbmProfileId'].cls(uniqueId=checked), 'profile')
            result.profile = profile.profileId
            datastore = self.place_datastore(vm, place)
            ok = datastore is not None and not self.policies.mismatches(
                profile.constraints, datastore)
            if ok and place != HOME:
                disk = next(d for d in vm.disks() if d.key == place)
                ok = self.policies.disk_allocation_ok(profile.constraints, disk)
            result.complianceStatus = 'compliant' if ok else 'nonCompliant'
        self.policies.compliance[(ref.objectType, ref.key)] = result
        return result

    def PbmCheckCompliance(self, ctx, entities, profile=None):
        if profile is not None:
            self.profile(profile, 'profile')
        return [self._check(vm, place, ref, profile)
                for entity in entities for vm, place, ref in self.places(entity)]

    def PbmFetchComplianceResult(self, ctx, entities, profile=None):
        """The results last checked ('unknown' for what was never checked)."""
        results = []
        for entity in entities:
            for _, _, ref in self.places(entity):
                found = self.policies.compliance.get((ref.objectType, ref.key))
                if found is None or (profile is not None and (
                        found.profile is None or found.profile.uniqueId != profile.uniqueId)):
                    found = self.T['PbmComplianceResult'].cls(
                        checkTime=clock.now(), entity=ref, profile=profile,
                        complianceStatus='unknown', mismatch=False)
                results.append(found)
        return results

    def rollup(self, vm):
        """A VM's compliance over its home and disks, from the last checks:
        nonCompliant if any is, unknown if any was not checked, else
        compliant; notApplicable without profiles."""
        places = vm.storage_profiles or {}
        if not places:
            return 'notApplicable'
        statuses = []
        for place in places:
            key = vm.ref.value if place == HOME else '%s:%d' % (vm.ref.value, place)
            found = self.policies.compliance.get(
                ('virtualMachine' if place == HOME else 'virtualDiskId', key))
            statuses.append(found.complianceStatus if found is not None else 'unknown')
        for status in ('nonCompliant', 'unknown', 'outOfDate'):
            if status in statuses:
                return status
        return 'compliant'

    def PbmQueryByRollupComplianceStatus(self, ctx, status):
        if status not in COMPLIANCE_STATUSES:
            raise self.invalid_argument('status')
        return [self.object_ref('virtualMachine', vm.ref.value)
                for vm in sorted(self.policies.virtual_machines(), key=lambda vm: vm.ref.value)
                if self.rollup(vm) == status]
