"""What refuses a clone: one rule set with two users, the operations
(CloneVM_Task, InstantClone_Task raise the first problem) and the
provisioning checker (CheckClone_Task, CheckInstantClone_Task list them all
per host). The rules are admission.py's (`copy_problems`: host, pool and
host capacity for a clone that runs, datastores and networks) after the
clone's own: its name, and for an instant clone its running source.

An instant clone (InstantClone_Task) runs where its source runs: the
location may name a folder (default: the source's datacenter's VM folder),
a pool (the source's), a datastore (the source's) and edits of its NICs;
its host is the source's, and any other location field is NotSupported, as
the API reference documents.
"""
import re

from vimsim.managed.entity import check_name
from vimsim.managed.monitoring.event_manager import datacenter_of
from vimsim.managed.vm.admission import TEST_TYPES, copy_problems
from vimsim.managed.vm.provisioning import (check_unique, invalid_argument, pick_host,
                                            resolve_argument)
from vimsim.managed.vm.vm_task import invalid_power_state
from vimsim.soap.fault import fault

UUID = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
INSTANT_CLONE_UNSUPPORTED = ('service', 'disk', 'transform', 'profile', 'cryptoSpec')


def name_problems(server, folder, name):
    """InvalidName or DuplicateName for a new VM `name` in `folder`."""
    try:
        check_unique(folder, check_name(name))
    except server.schema.types['MethodFault'].cls as problem:
        return [problem]
    return []


def clone_placement(vm, pool, host, datastore, to_template):
    """(pool, host, datastore) a CloneVM_Task of `vm` goes to, given the
    location's (each None when unset): a template in no pool; a host outside
    the pool's compute resource takes its own root pool unless a pool was
    given (InvalidArgument); an unset host is picked as DRS would
    (NoActiveHostInCluster when none qualifies)."""
    target_pool = None if to_template else pool or vm.pool
    if host is not None and target_pool is not None and \
            host not in target_pool.owner_object.hosts:
        if pool is not None:
            raise invalid_argument('spec.location.host')
        target_pool = host.compute_resource.pool
    target_ds = datastore or vm.datastore_object
    target = host
    if target is None:
        compute = target_pool.owner_object if target_pool is not None \
            else vm.host.compute_resource
        target = pick_host(compute, target_ds, prefer=vm.host)
        if target is None:
            raise fault('NoActiveHostInCluster', 'No host in the cluster is available to run '
                        'the virtual machine.', computeResource=compute.ref)
    return target_pool, target, target_ds


def clone_problems(vm, folder, name, pool, host, datastore, power_on, tests=TEST_TYPES):
    """Every refusal of a clone of `vm` named `name` in `folder` placed on
    `host`, `pool` and `datastore`, powered on at once when `power_on`."""
    return name_problems(vm.server, folder, name) + copy_problems(
        vm, host, pool, [datastore], bool(power_on), tests)


class InstantCloneLocation:
    """Where an instant clone of `vm` goes, from its spec's location."""

    def __init__(self, ctx, vm, spec):
        location = getattr(spec, 'location', None)
        if location is None:
            raise invalid_argument('spec.location')
        for name in INSTANT_CLONE_UNSUPPORTED:
            if getattr(location, name, None):
                raise fault('NotSupported', 'The operation is not supported on the object: '
                            'spec.location.%s.' % name)
        if location.diskMoveType not in (None, 'createNewChildDiskBacking'):
            raise fault('NotSupported', 'The operation is not supported on the object: '
                        'spec.location.diskMoveType.')
        Card = vm.T.VirtualEthernetCard
        for index, change in enumerate(location.deviceChange):
            if change.operation != 'edit' or not isinstance(change.device, Card) or \
                    change.fileOperation is not None:
                raise fault('NotSupported', 'The operation is not supported on the object: '
                            'spec.location.deviceChange[%d].' % index)
        if spec.biosUuid is not None and not UUID.match(spec.biosUuid):
            raise invalid_argument('spec.biosUuid')
        self.folder = resolve_argument(ctx, location.folder, 'Folder', 'spec.location.folder') \
            if location.folder is not None else None
        # the clone is in no vApp: the source's vApp gives its cluster's root pool
        self.pool = resolve_argument(ctx, location.pool, 'ResourcePool', 'spec.location.pool') \
            if location.pool is not None else vm.pool
        if self.pool is not None and self.pool.type_name == 'VirtualApp':
            if location.pool is not None:
                raise invalid_argument('spec.location.pool')
            self.pool = vm.host.compute_resource.pool
        self.datastore = resolve_argument(ctx, location.datastore, 'Datastore',
                                          'spec.location.datastore') \
            if location.datastore is not None else vm.datastore_object
        host = resolve_argument(ctx, location.host, 'HostSystem', 'spec.location.host') \
            if location.host is not None else None
        if host is not None and host is not vm.host:
            raise fault('NotSupported', 'The operation is not supported on the object: '
                        'spec.location.host.')
        self.host = vm.host
        if self.folder is not None and 'VirtualMachine' not in self.folder.childType:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        self.nic_keys = {change.device.key for change in location.deviceChange}

    def folder_of(self, vm):
        """The clone's folder: the location's, else the VM folder of the
        source's datacenter."""
        if self.folder is not None:
            return self.folder
        datacenter = datacenter_of(vm.server, vm)
        return datacenter.vm_folder if datacenter is not None else vm.parent_object()


def instant_clone_problems(vm, location, name, tests=TEST_TYPES):
    """Every refusal of an instant clone of `vm` named `name` at `location`:
    the source running (not a template), the name, the host's and pool's
    room for another running copy, the datastore and networks."""
    found = []
    if vm.template:
        found.append(fault('NotSupported', 'The operation is not supported on the object.'))
    elif vm.power_state != 'poweredOn':
        found.append(invalid_power_state('poweredOn', vm.power_state))
    if location.pool is not None and location.pool.owner_object is not vm.host.compute_resource:
        found.append(invalid_argument('spec.location.pool'))
    found += name_problems(vm.server, location.folder_of(vm), name)
    return found + copy_problems(vm, location.host, location.pool, [location.datastore], True,
                                 tests, location.nic_keys)
