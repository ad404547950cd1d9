"""Making hosts and placing them: the one way the default inventory's
builder and vCenter's AddStandaloneHost_Task / AddHost_Task make a host, so
an added host is the same full simulated ESXi (hardware, config managers,
vSwitch0 with its portgroups and vmk0) as the default inventory's.

A host added to a datacenter also gets what a fresh ESXi brings: its local
VMFS datastore (`datastore1`, `datastore1 (1)` when the name is taken, as
vCenter renames it) and the datacenter's standard "VM Network", which its
vSwitch0 portgroup of that name backs.
"""
import uuid as uuid_module

from vimsim import clock
from vimsim.managed.base import Registry
from vimsim.managed.host.connect_spec import check_host_connect
from vimsim.managed.host.host_network_system import standard_network
from vimsim.managed.host.host_system import NUM_CPU_PKGS, HostSystem
from vimsim.managed.storage.datastore import Datastore, unique_datastore_name, vmfs_uuid
from vimsim.soap.fault import fault

LOCAL_DATASTORE = 'datastore1'
VM_NETWORK = 'VM Network'
UNSIMULATED_LOCKDOWN = ('lockdownNormal', 'lockdownStrict')
_HOST_NAMESPACE = uuid_module.UUID('0e5c0ffe-e5e1-4a55-8d0c-5e7a11b0a7ed')


def host_uuid(host_name):
    """The system uuid of the simulated ESXi at `host_name` (one per name, so
    QueryConnectionInfo describes the host AddHost_Task then adds)."""
    return str(uuid_module.uuid5(_HOST_NAMESPACE, host_name.lower()))


def next_host_index(server):
    """The next host index (management IP, MACs): one past every host made."""
    index = getattr(server, 'host_sequence', 0)
    server.host_sequence = index + 1
    return index


def create_host(server, name, compute_resource, boot_time, moid=None, browser_moid=None,
                system_uuid=None):
    """A new HostSystem in `compute_resource`."""
    host = HostSystem(server, moid or server.objects.next_id('host-'), name, compute_resource,
                      next_host_index(server), system_uuid or server.new_uuid(), boot_time,
                      browser_moid=browser_moid)
    compute_resource.add_host(host)
    return host


def attach_networks(host, networks, dvs=None):
    for network in networks:
        network.hosts.append(host)
        host.networks.append(network)
    if dvs is not None:
        dvs.add_member(host)


def host_named(server, name):
    """The HostSystem of this vCenter at `name` (case-insensitive), or None."""
    name = name.lower()
    return next((obj for obj in server.objects.of_type('HostSystem')
                 if obj.name.lower() == name), None)


def add_local_datastore(host, datacenter):
    server = host.server
    name = unique_datastore_name(datacenter, LOCAL_DATASTORE)
    folder = datacenter.datastore_folder
    ds = Datastore(server, server.objects.next_id('datastore-'), name, folder,
                   vmfs_uuid(host.name, datacenter.name))
    folder.changed('childEntity')
    ds.hosts.append(host)
    host.datastores.append(ds)
    datacenter.datastores.append(ds)
    datacenter.changed('datastore')
    return ds


def check_new_host(server, spec, license=None):
    """A HostConnectSpec for a host to add, checked as vCenter checks it;
    returns the host name. AlreadyConnected when this vCenter has it;
    InvalidArgument when `license` is not a key this vCenter holds that the
    new host may be given (LicenseAssignmentManager's rules)."""
    from vimsim.managed.admin.license_manager import license_manager
    name = spec.hostName
    check_host_connect(spec, name, spec.sslThumbprint)
    if license:
        license_manager(server).assignment_manager.check_assignment(
            None, 'HostSystem', name, NUM_CPU_PKGS, license, argument='license')
    if host_named(server, name) is not None:
        raise fault('AlreadyConnected', "The host '%s' is already managed by this vCenter "
                    'Server.' % name, name=name)
    if spec.lockdownMode in UNSIMULATED_LOCKDOWN:
        raise fault('NotSupported', 'The simulated host does not support lockdown mode %s.'
                    % spec.lockdownMode)
    return name


def join(task, name, compute_resource, datacenter, connected, license=None):
    """Make the host `name` in `compute_resource` of `datacenter` (after
    check_new_host), licensed with `license` if given, and post vCenter's
    events for it."""
    from vimsim.managed.admin.license_manager import license_manager
    server = compute_resource.server
    host = create_host(server, name, compute_resource, clock.now(),
                       system_uuid=host_uuid(name))
    if license:
        license_manager(server).assignment_manager.assign(host.ref.value, license)
    add_local_datastore(host, datacenter)
    network = standard_network(datacenter, VM_NETWORK)
    attach_networks(host, [network])
    network.changed('host')
    compute_resource.changed('host', 'summary', 'summaryEx', 'datastore', 'network')
    task.post_event('HostAddedEvent', host)
    if connected:
        task.post_event('HostConnectedEvent', host)
    else:
        host.set_connection_state('disconnected')
    return host


# -- QueryConnectionInfo -------------------------------------------------------------------

def connection_info(server, spec, datacenter):
    """What vCenter learns connecting to the host `spec` names (after the
    same checks as adding it): a host it manages answers for itself; any
    other name is a fresh simulated ESXi, described as it will be once
    added (summary, its local datastore, the networks it brings)."""
    check_host_connect(spec, spec.hostName, spec.sslThumbprint)
    known = host_named(server, spec.hostName)
    if known is not None:
        return known.connection_info()
    return _preview(server, spec.hostName, datacenter)


class _Unwatched:
    def object_added(self, obj):
        pass

    def object_removed(self, obj):
        pass


class _Preview:
    """The server as a host that is only looked at sees it: its objects go
    to a registry of their own, so nothing reaches the inventory, the moid
    counter or any watcher."""

    def __init__(self, server):
        self.server = server
        self.objects = Registry(_Unwatched())

    def __getattr__(self, name):
        return getattr(self.server, name)


class _NoFolder:
    """Where a previewed datastore is 'placed': nowhere."""
    ref = None

    def add_child(self, entity):
        pass


def _preview(server, name, datacenter):
    T = datacenter.T
    preview = _Preview(server)
    host = HostSystem(preview, 'host-preview', name, None, getattr(server, 'host_sequence', 0),
                      host_uuid(name), clock.now())
    ds = Datastore(preview, 'datastore-preview', LOCAL_DATASTORE, _NoFolder(),
                   vmfs_uuid(name, datacenter.name))
    ds.hosts.append(host)
    host.datastores.append(ds)
    info = host.connection_info()
    info.host.host = None     # not in the inventory: no reference yet
    summary = ds.summary
    summary.datastore = None
    new_name = unique_datastore_name(datacenter, LOCAL_DATASTORE)
    info.datastore = [T.HostDatastoreConnectInfo(summary=summary) if new_name == ds.name else
                      T.HostDatastoreNameConflictConnectInfo(summary=summary,
                                                             newDatastoreName=new_name)]
    info.network = [T.HostConnectInfoNetworkInfo(summary=network.summary)
                    for network in datacenter.networks
                    if network.type_name == 'Network' and network.name == VM_NETWORK]
    return info
