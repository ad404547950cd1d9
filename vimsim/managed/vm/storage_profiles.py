"""The storage policies a VM's ConfigSpec associates: `vmProfile` for the
VM's home (its configuration files), a disk's device `profile` for that
disk. Kept on the VM (`VirtualMachine.storage_profiles`, {HOME or disk key:
profile id}); the simulator's storage policies (`server.storage_policies`,
vimsim/pbm) say which ids exist and read the associations back
(PbmQueryAssociatedProfile) and check them (PbmCheckCompliance)."""
from vimsim.soap.fault import InvalidArgument, fault

HOME = 'home'


def chosen_profile(vm, specs, name, datastore):
    """The profile id a VirtualMachineProfileSpec list gives (None: the
    association goes): a defined profile's id, which must exist; the
    datastore's default profile; none for an empty one. One spec per place."""
    if len(specs) != 1:
        raise InvalidArgument(name)
    spec = specs[0]
    kind = spec._type.name
    if kind == 'VirtualMachineDefinedProfileSpec':
        if spec.replicationSpec is not None:   # replication groups are not simulated
            raise fault('NotSupported', 'The operation is not supported on the object.')
        if not vm.server.storage_policies.exists(spec.profileId):
            raise InvalidArgument(name + '.profileId')
        return spec.profileId
    if kind == 'VirtualMachineDefaultProfileSpec':
        return vm.server.storage_policies.default_profile_id(datastore)
    if kind == 'VirtualMachineEmptyProfileSpec':
        return None
    raise InvalidArgument(name)


def associated(current, changes):
    """The associations after `changes` ({place: id or None}) apply."""
    result = dict(current or {})
    for place, profile_id in changes.items():
        if profile_id is None:
            result.pop(place, None)
        else:
            result[place] = profile_id
    return result or None
