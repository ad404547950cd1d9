"""DirectPathProfileManager (API 9.0): vCenter's catalog of DirectPath
profiles, each naming one kind of device a VM can be given, and their
capacity on a host or cluster.

A profile's name (at most 80 characters) and its device are unique in the
catalog (AlreadyExists); once made, only its name and description change.
The simulated hosts' passthrough devices are their PCI functions
(host_pci_passthru_system.py), which dynamic DirectPath profiles name by
vendor and device id (and the hardware label as custom label); the virtual
platform has no vGPU, DVX device or vendor device group, so profiles of
those kinds answer NotSupported. A profile's vendor is the vendor of the PCI
devices of its vendor id; one no simulated host has answers InvalidArgument.

Capacity on a host is the count of its assignable devices (passthrough
active) the profile matches, on a cluster the sum over its connected hosts;
`consumed` counts the powered-on VMs' dynamic passthrough devices assigned
to one of them, and nothing is reserved (no VM class reserves devices here).
A profile the query names that does not exist, or a target host not
connected, is a CapacityUnknown with the fault.
"""
from vimsim.managed.host.host_pci_passthru_system import PLATFORM
from vimsim.managed.manager import Manager, manager_type
from vimsim.soap.fault import InvalidArgument, NotFound, fault, localized

NAME_MAX = 80
DESCRIPTION_MAX = 255


def _vendor_names():
    """PCI vendor id -> vendor name, of the simulated hosts' devices."""
    return {vendor: name for _, vendor, _, _, _, _, name, _ in PLATFORM.values()}


def _same_id(one, other):
    """PCI ids compare as 16-bit values (vim sends a short's as signed)."""
    return one & 0xffff == other & 0xffff


@manager_type('DirectPathProfileManager')
class DirectPathProfileManager(Manager):

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.profiles = {}      # id -> DirectPathProfileInfo, in creation order

    @property
    def T(self):
        return self.server.schema.types

    # -- the catalog -------------------------------------------------------------------------
    def _checked_text(self, name, description, where, name_required):
        if (name_required or name is not None) and not (name or '').strip() \
                or len(name or '') > NAME_MAX:
            raise InvalidArgument(where + '.name')
        if description is not None and len(description) > DESCRIPTION_MAX:
            raise InvalidArgument(where + '.description')

    def _device_key(self, config, where):
        """(kind, identity) of a device config, and its vendor name."""
        T = self.T
        if isinstance(config, T['DirectPathProfileManagerDynamicDirectPathConfig'].cls):
            backing = config.dynamicDirectPathBacking
            allowed = list(getattr(backing, 'allowedDevice', None) or ())
            if not allowed:
                raise InvalidArgument(where + '.dynamicDirectPathBacking.allowedDevice')
            vendors = _vendor_names()
            ids = {d.vendorId & 0xffff for d in allowed}
            if len(ids) != 1 or not ids <= set(vendors):
                raise InvalidArgument(where + '.dynamicDirectPathBacking.allowedDevice',
                                      'The devices must be of one vendor the hosts know.')
            identity = (tuple(sorted((d.vendorId & 0xffff, d.deviceId & 0xffff)
                                     for d in allowed)), backing.customLabel or '')
            return ('dynamic', identity), vendors[ids.pop()]
        for kind in ('Vmiop', 'Dvx', 'VirtualDeviceGroup'):
            if isinstance(config, T['DirectPathProfileManager%sDirectPathConfig' % kind].cls):
                raise fault('NotSupported', 'The simulated hosts have no vGPU, DVX or vendor '
                            'device group devices.')
        raise InvalidArgument(where)

    def _named(self, name, exclude=None):
        return next((p for p in self.profiles.values()
                     if p.name == name and p.id != exclude), None)

    def DirectPathProfileManagerCreate(self, ctx, spec):
        """A new profile for `spec.deviceConfig`; its id."""
        self._checked_text(spec.name, spec.description, 'spec', True)
        key, vendor = self._device_key(spec.deviceConfig, 'spec.deviceConfig')
        if self._named(spec.name) is not None:
            raise fault('AlreadyExists', "The DirectPath profile '%s' already exists."
                        % spec.name, name=spec.name)
        same = next((p for p in self.profiles.values()
                     if self._device_key(p.deviceConfig, 'deviceConfig')[0] == key), None)
        if same is not None:
            raise fault('AlreadyExists', "The DirectPath profile '%s' represents that device."
                        % same.name, name=same.name)
        profile_id = self.server.new_uuid()
        self.profiles[profile_id] = self.T['DirectPathProfileInfo'].cls(
            id=profile_id, name=spec.name, description=spec.description, vendorName=vendor,
            deviceConfig=spec.deviceConfig)
        return profile_id

    def _profile(self, profile_id):
        found = self.profiles.get(profile_id)
        if found is None:
            raise NotFound("The DirectPath profile '%s' was not found." % profile_id)
        return found

    def DirectPathProfileManagerUpdate(self, ctx, id, spec):
        """A profile's new name or description (its device stays)."""
        profile = self._profile(id)
        self._checked_text(spec.name, spec.description, 'spec', False)
        if spec.name is not None and self._named(spec.name, exclude=id) is not None:
            raise fault('AlreadyExists', "The DirectPath profile '%s' already exists."
                        % spec.name, name=spec.name)
        if spec.name is not None:
            profile.name = spec.name
        if spec.description is not None:
            profile.description = spec.description

    def DirectPathProfileManagerDelete(self, ctx, id):
        """A profile goes; ResourceInUse while a powered-on VM uses its device."""
        profile = self._profile(id)
        if any(self._consumed(host, profile) for host in self._hosts()):
            raise fault('ResourceInUse', "The DirectPath profile '%s' is in use." % profile.name,
                        type='DirectPathProfile', name=profile.name)
        del self.profiles[id]

    def DirectPathProfileManagerList(self, ctx, filterSpec):
        """The profiles whose id or name the filter lists (all when it lists
        none), those usable in the clusters it names (a device one of their
        hosts has)."""
        clusters = [self._entity(ref, 'ClusterComputeResource', 'filterSpec.clusters')
                    for ref in filterSpec.clusters or ()]
        found = []
        for profile in self.profiles.values():
            if filterSpec.ids and profile.id not in filterSpec.ids:
                continue
            if filterSpec.names and profile.name not in filterSpec.names:
                continue
            if clusters and not any(self._capacity(host, profile) for cluster in clusters
                                    for host in cluster.hosts):
                continue
            found.append(profile)
        return found

    # -- capacity ----------------------------------------------------------------------------
    def _entity(self, ref, type_name, argument):
        obj = self.server.objects.get(ref) if ref is not None else None
        managed = self.server.schema.managed.get(getattr(obj, 'type_name', ''))
        if managed is None or not managed.is_a(type_name):
            raise InvalidArgument(argument)
        return obj

    def _hosts(self):
        return self.server.objects.of_type('HostSystem')

    def _devices(self, host, profile):
        """The PCI ids of the host's assignable devices the profile matches
        (vendor and device id, and its custom label as hardware label)."""
        backing = profile.deviceConfig.dynamicDirectPathBacking
        labels = host.managers['pciPassthruSystem'].labels
        return {pci for pci, device in host.managers['assignableHardwareManager'].assignable()
                .items() if (not backing.customLabel or labels.get(pci) == backing.customLabel)
                and any(_same_id(allowed.vendorId, device.vendorId)
                        and _same_id(allowed.deviceId, device.deviceId)
                        for allowed in backing.allowedDevice)}

    def _capacity(self, host, profile):
        return len(self._devices(host, profile)) if host.connection_state == 'connected' else 0

    def _consumed(self, host, profile):
        """The powered-on VMs' dynamic passthrough devices on `host`
        assigned one of the profile's devices."""
        Dynamic = self.T['VirtualPCIPassthroughDynamicBackingInfo'].cls
        devices = self._devices(host, profile)
        return sum(1 for vm in host.vms if vm.power_state == 'poweredOn'
                   for device in vm.devices() if isinstance(device.backing, Dynamic)
                   and device.backing.assignedId in devices)

    def DirectPathProfileManagerQueryCapacity(self, ctx, target, querySpec=()):
        """Per profile asked for (every one when none is), its capacity on
        the target host or cluster."""
        T = self.T
        if isinstance(target, T['DirectPathProfileManagerTargetHost'].cls):
            hosts = [self._entity(target.host, 'HostSystem', 'target.host')]
        elif isinstance(target, T['DirectPathProfileManagerTargetCluster'].cls):
            cluster = self._entity(target.cluster, 'ClusterComputeResource', 'target.cluster')
            hosts = [h for h in cluster.hosts if h.connection_state == 'connected']
        else:
            raise InvalidArgument('target')
        specs = list(querySpec or ()) or [T['DirectPathProfileManagerCapacityQueryById'].cls(
            id=profile_id) for profile_id in self.profiles]
        return [self._capacity_of(spec, hosts) for spec in specs]

    def _capacity_of(self, spec, hosts):
        T = self.T
        try:
            profile = self._queried(spec)
            if len(hosts) == 1 and hosts[0].connection_state != 'connected':
                raise fault('HostNotConnected', 'Unable to communicate with the remote host, '
                            'since it is disconnected.')
        except T['MethodFault'].cls as problem:
            return T['DirectPathProfileManagerCapacityUnknown'].cls(
                querySpec=spec, faultList=[localized(problem)])
        most = sum(self._capacity(host, profile) for host in hosts)
        used = sum(self._consumed(host, profile) for host in hosts)
        return T['DirectPathProfileManagerCapacityInfo'].cls(
            profile=profile, consumed=used, remaining=most - used, max=most, unusedReservation=0)

    def _queried(self, spec):
        """The profile a capacity query spec names (NotFound)."""
        T = self.T
        if isinstance(spec, T['DirectPathProfileManagerCapacityQueryById'].cls):
            return self._profile(spec.id)
        if isinstance(spec, T['DirectPathProfileManagerCapacityQueryByName'].cls):
            found = self._named(spec.name)
        elif isinstance(spec, T['DirectPathProfileManagerCapacityQueryByDeviceConfig'].cls):
            key = self._device_key(spec.deviceConfig, 'querySpec.deviceConfig')[0]
            found = next((p for p in self.profiles.values()
                          if self._device_key(p.deviceConfig, 'deviceConfig')[0] == key), None)
        else:
            raise InvalidArgument('querySpec')
        if found is None:
            raise NotFound('No DirectPath profile matches the query.')
        return found
