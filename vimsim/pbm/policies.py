"""Storage policies (PBM capability profiles): vCenter's own, the ones
clients create, the rules' providers and how a datastore or a VM's
placement meets a profile.

One `StoragePolicies` per simulator (`Simulator.storage_policies`, part of
the model, so a reset drops what clients made). The PBM schema is loaded
the first time a profile is needed (a PBM call, or a ConfigSpec naming a
profile), so vim25 alone never pays for it.

Providers (capability namespaces) and what the simulated datastores, all
VMFS, offer:
- tag-based placement (`http://www.vmware.com/storage/tag`): a capability per
  tag category (the vAPI tagging model), its property a set of tag names; a
  datastore meets it with a tag of that category and one of those names (the
  `NOT` operator: with none of them);
- VMFS (`com.vmware.storage.volumeallocation`, VolumeAllocationType): every
  VMFS datastore; a disk complies when its provisioning is the rule's;
- vSAN (`VSAN`) and host-local PMem (`PMem`): no simulated datastore is one;
- data services (`com.vmware.storageprofile.dataservice`, VM encryption):
  host-based, so any datastore.
A profile's rule sets are alternatives: a datastore is compatible when it
meets every rule of one of them.
"""
from vimsim import clock
from vimsim import schema as schema_module

TAG = 'http://www.vmware.com/storage/tag'
VMFS = 'com.vmware.storage.volumeallocation'
VSAN = 'VSAN'
PMEM = 'PMem'
DATA_SERVICE = 'com.vmware.storageprofile.dataservice'
ALLOCATION = 'VolumeAllocationType'
SYSTEM_USER = 'Temporary user handle'   # createdBy of vCenter's own profiles (recorded traffic)
ENCRYPTION = 'ad5a249d-cbc2-43af-9366-694d7664fa52'   # the VM encryption data service

# VolumeAllocationType's values, and the disk provisioning each asks for
# (thinProvisioned, eagerlyScrub)
ALLOCATIONS = {'Conserve space when possible': (True, False),
               'Reserve space': (False, False),
               'Fully initialized': (False, True)}
# vSAN's capabilities: id -> (label, xsd type, default, allowed range)
VSAN_CAPABILITIES = {
    'hostFailuresToTolerate': ('Failures to tolerate', 'XSD_INT', 1, (0, 3)),
    'stripeWidth': ('Number of disk stripes per object', 'XSD_INT', 1, (1, 12)),
    'forceProvisioning': ('Force provisioning', 'XSD_BOOLEAN', False, None),
    'proportionalCapacity': ('Object space reservation (%)', 'XSD_INT', 0, (0, 100)),
    'cacheReservation': ('Flash read cache reservation (%)', 'XSD_INT', 0, (0, 1000000)),
}
# vCenter's own profiles: id, name, description, systemCreatedProfileType,
# rule sets [(name, [(namespace, capability = property id, value)])]
DEFAULT_PROFILES = (
    ('aa6d5a82-1c88-45da-85d3-3d74b91a5bad', 'vSAN Default Storage Policy',
     'Storage policy used as default for vSAN datastores', 'VsanDefaultProfile',
     [('VSAN sub-profile', [(VSAN, name, VSAN_CAPABILITIES[name][2])
                            for name in VSAN_CAPABILITIES])]),
    ('f4e5bade-15a2-4805-bf8e-52318c4ce443', 'VVol No Requirements Policy',
     'Allow the datastore to determine the best placement strategy for storage objects',
     'VVolDefaultProfile', []),
    ('4d5f673c-536f-11e6-beb8-9e71128cae77', 'VM Encryption Policy',
     "Sample storage policy for VMware's VM and virtual disk encryption", None,
     [('sp-1', [(DATA_SERVICE, ENCRYPTION, ENCRYPTION)])]),
    ('c268da1b-b343-49f7-a468-b1deeb7078e0', 'Host-local PMem Default Storage Policy',
     'Storage policy used as default for Host-local PMem datastores', 'PmemDefaultProfile',
     [('PMem sub-profile', [(PMEM, 'PMemType', 'LocalPMem')])]),
)


def tag_property(category_name):
    """The property id of a tag category's capability."""
    return 'com.vmware.storage.tag.%s.property' % category_name


class StoragePolicies:
    """The simulator's profiles, by id, with the compliance last checked."""

    def __init__(self, server):
        self.server = server
        self._profiles = None      # id -> PbmCapabilityProfile, made on first use
        self.compliance = {}       # (objectType, key) -> PbmComplianceResult last checked

    @property
    def schema(self):
        return schema_module.load_api('pbm')

    @property
    def profiles(self):
        if self._profiles is None:
            self._profiles = {}
            for identifier, name, description, system_type, rule_sets in DEFAULT_PROFILES:
                T = self.schema.types
                constraints = T['PbmCapabilitySubProfileConstraints'].cls(subProfiles=[
                    T['PbmCapabilitySubProfile'].cls(name=set_name, capability=[
                        self.capability(namespace, capability, value)
                        for namespace, capability, value in rules])
                    for set_name, rules in rule_sets]) if rule_sets else \
                    T['PbmCapabilityConstraints'].cls()
                self.add(identifier, name, description, constraints, SYSTEM_USER,
                         system_type=system_type)
        return self._profiles

    def capability(self, namespace, capability, value):
        """A capability instance with one property (of the capability's id)."""
        T = self.schema.types
        return T['PbmCapabilityInstance'].cls(
            id=T['PbmCapabilityMetadataUniqueId'].cls(namespace=namespace, id=capability),
            constraint=[T['PbmCapabilityConstraintInstance'].cls(propertyInstance=[
                T['PbmCapabilityPropertyInstance'].cls(id=capability, value=value)])])

    def add(self, identifier, name, description, constraints, user, category='REQUIREMENT',
            system_type=None):
        T = self.schema.types
        now = clock.now()
        profile = T['PbmCapabilityProfile'].cls(
            profileId=T['PbmProfileId'].cls(uniqueId=identifier), name=name,
            description=description, creationTime=now, createdBy=user, lastUpdatedTime=now,
            lastUpdatedBy=user, profileCategory=category,
            resourceType=T['PbmProfileResourceType'].cls(resourceType='STORAGE'),
            constraints=constraints, generationId=0, isDefault=False,
            systemCreatedProfileType=system_type)
        self.profiles[identifier] = profile
        return profile

    def exists(self, identifier):
        return identifier in self.profiles

    def encrypts(self, identifier):
        """Whether a profile has the VM encryption data service (VM encryption
        follows it: vimsim/managed/vm/vm_encryption.py)."""
        sets = getattr(getattr(self.profiles.get(identifier), 'constraints', None),
                       'subProfiles', None) or []
        return any(capability.id.namespace == DATA_SERVICE and capability.id.id == ENCRYPTION
                   for rule_set in sets for capability in rule_set.capability)

    @staticmethod
    def default_profile_id(datastore):
        """The default profile of a datastore: vSAN's, VVol's and PMem's have
        one; VMFS datastores (all the simulated ones) have none."""
        return None

    # -- associations (kept on the VMs: vimsim/managed/vm/storage_profiles.py) ----------
    def virtual_machines(self):
        return self.server.objects.of_type('VirtualMachine')

    def users(self, identifier):
        """(VM, place) pairs associated with a profile."""
        return [(vm, place) for vm in self.virtual_machines()
                for place, used in (vm.storage_profiles or {}).items() if used == identifier]

    # -- rules --------------------------------------------------------------------
    def rule_problems(self, constraints):
        """What is wrong with a profile's rules (an InvalidArgument's
        message), or None: each capability of a known provider, its
        property that capability's, its value one the provider takes."""
        sets = getattr(constraints, 'subProfiles', None) or []
        for rule_set in sets:
            if not rule_set.name:
                return 'a rule set needs a name'
            for capability in rule_set.capability:
                problem = self._capability_problem(capability)
                if problem:
                    return problem
        return None

    def _capability_problem(self, capability):
        namespace, name = capability.id.namespace, capability.id.id
        properties = [p for c in capability.constraint for p in c.propertyInstance]
        if not properties:
            return 'capability %s has no property' % name
        for prop in properties:
            expected = tag_property(name) if namespace == TAG else name
            if prop.id != expected:
                return 'unknown property %s of capability %s' % (prop.id, name)
            if prop.operator not in (None, 'NOT'):
                return 'unknown operator %s' % prop.operator
            value = prop.value
            if namespace == TAG:
                category = next((c for c in self.server.tagging.categories.values()
                                 if c.name == name), None)
                if category is None:
                    return 'no tag category %s' % name
                if not _discrete_names(value):
                    return 'capability %s needs a set of tag names' % name
            elif namespace == VMFS:
                if name != ALLOCATION or value not in ALLOCATIONS:
                    return 'unknown VMFS rule %s=%r' % (name, value)
            elif namespace == VSAN:
                known = VSAN_CAPABILITIES.get(name)
                if known is None or not _fits(value, known):
                    return 'unknown vSAN rule %s=%r' % (name, value)
            elif namespace == PMEM:
                if (name, value) != ('PMemType', 'LocalPMem'):
                    return 'unknown PMem rule %s=%r' % (name, value)
            elif namespace != DATA_SERVICE:
                return 'unknown capability namespace %s' % namespace
        return None

    def mismatches(self, constraints, datastore):
        """The faults of a datastore against a profile's rules (none: it is
        compatible): those of the rule set it comes closest to meeting."""
        sets = getattr(constraints, 'subProfiles', None) or []
        best = None
        for rule_set in sets:
            faults = []
            for capability in rule_set.capability:
                for fault in self._unmet(capability, datastore):
                    if fault._type.name != 'PbmCompatibilityCheckFault' or not any(
                            f._type is fault._type for f in faults):   # said once per set
                        faults.append(fault)
            if not faults:
                return []
            if best is None or len(faults) < len(best):
                best = faults
        return best or []

    def _unmet(self, capability, datastore):
        namespace, name = capability.id.namespace, capability.id.id
        if namespace == DATA_SERVICE:
            return []
        if namespace == VMFS and datastore.summary.type == 'VMFS':
            return []
        if namespace != TAG:   # vSAN, PMem, or VMFS rules on another kind of datastore
            return [self.fault('PbmCompatibilityCheckFault',
                               'Datastore does not satisfy compatibility since it does not '
                               'support one or more required properties.',
                               hub=self.hub(datastore))]
        attached = {tag.name for tag in self.server.tagging.attached_tags(datastore.ref)
                    if tag.category.name == name}
        out = []
        for prop in (p for c in capability.constraint for p in c.propertyInstance):
            wanted = _discrete_names(prop.value)
            found = bool(attached & set(wanted))
            if found == (prop.operator == 'NOT'):
                out.append(self.tag_mismatch(datastore, capability, prop, wanted))
        return out

    def tag_mismatch(self, datastore, capability, prop, wanted):
        T = self.schema.types
        names = ', '.join(wanted)
        message = T['LocalizableMessage'].cls(
            key='TagPropertyMismatchFault.locale', arg=[
                T['KeyAnyValue'].cls(key='KEY_0', value=names),
                T['KeyAnyValue'].cls(key='KEY_1', value=TAG)])
        return self.fault('PbmPropertyMismatchFault',
                          'Datastore is incompatible, as it does not match all of the selected '
                          'VM Storage Policy rules: Tags with name (%s) not found on datastore.'
                          % names, faultMessage=[message], hub=self.hub(datastore),
                          capabilityInstanceId=capability.id, requirementPropertyInstance=prop)

    @staticmethod
    def disk_allocation_ok(constraints, disk):
        """Whether a disk's provisioning is the one a VMFS rule of the
        profile asks for (a profile without one asks for none)."""
        backing = disk.backing
        actual = (bool(getattr(backing, 'thinProvisioned', False)),
                  bool(getattr(backing, 'eagerlyScrub', False)))
        for rule_set in getattr(constraints, 'subProfiles', None) or []:
            for capability in rule_set.capability:
                if (capability.id.namespace, capability.id.id) != (VMFS, ALLOCATION):
                    continue
                for c in capability.constraint:
                    for prop in c.propertyInstance:
                        if ALLOCATIONS.get(prop.value) != actual:
                            return False
        return True

    # -- data objects ----------------------------------------------------------------
    def hub(self, datastore):
        return self.schema.types['PbmPlacementHub'].cls(hubType='Datastore',
                                                         hubId=datastore.ref.value)

    def fault(self, type_name, message, **fields):
        """A PBM fault (of the PBM schema's types) carrying `message`."""
        instance = self.schema.types[type_name].cls(**fields)
        instance.args = (message,)
        return instance

    def localized(self, instance):
        return self.schema.types['LocalizedMethodFault'].cls(
            fault=instance, localizedMessage=instance.args[0] if instance.args else None)


def _discrete_names(value):
    """The tag names of a tag rule's value: a PbmCapabilityDiscreteSet of
    strings (or one string)."""
    if isinstance(value, str):
        return [value]
    values = getattr(value, 'values', None)
    if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
        return values
    return []


def _fits(value, known):
    _, xsd_type, _, allowed = known
    if xsd_type == 'XSD_BOOLEAN':
        return isinstance(value, bool)
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return allowed[0] <= value <= allowed[1]
