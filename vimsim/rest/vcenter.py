"""com.vmware.vcenter: the inventory lists tools read through REST (VMs,
hosts, datastores, networks, clusters, datacenters, folders, resource
pools), their get operations, and VM power, all read from the one model
through the managed objects' own properties (what /sdk reports), so both
doors always agree. Identifiers are the objects' moids.

A list's filter keeps an object when, for every filter field given, the
object's value is one of the field's values (vCenter's FilterSpec rule).
Each list has vCenter's limit: more objects kept than it (4,000 VMs, 2,500
hosts or datastores, 1,000 of the others) answer unable_to_allocate_resource
rather than a list, as vCenter does; a narrower filter gets them.
"""
from twisted.internet import defer, reactor

from vimsim.managed.admin.permissions import authorize
from vimsim.managed.monitoring.event_manager import datacenter_of
from vimsim.managed.paths import read_path
from vimsim.rest.errors import VapiError, not_found
from vimsim.rest.service import Service
from vimsim.rest.types import Boolean, Enum, Id, Integer, List, Optional, Set, String, Struct
from vimsim.schema import MoRef
from vimsim.soap.fault import message_of

__all__ = ['SERVICES', 'POWER_STATE', 'VIM_POWER_STATES', 'vm', 'vm_object', 'vm_power',
           'state_error', 'run_method', 'run_task']

TASK_POLL = 0.002     # seconds between looks at a running power task

POWER_STATE = Enum('com.vmware.vcenter.vm.power.state',
                   ('POWERED_OFF', 'POWERED_ON', 'SUSPENDED'))
VIM_POWER_STATES = {'poweredOff': 'POWERED_OFF', 'poweredOn': 'POWERED_ON',
                    'suspended': 'SUSPENDED'}
CONNECTION_STATE = Enum('com.vmware.vcenter.host.connection_state',
                        ('CONNECTED', 'DISCONNECTED', 'NOT_RESPONDING'))
VIM_CONNECTION_STATES = {'connected': 'CONNECTED', 'disconnected': 'DISCONNECTED',
                         'notResponding': 'NOT_RESPONDING'}
HOST_POWER_STATE = Enum('com.vmware.vcenter.host.power_state',
                        ('POWERED_ON', 'POWERED_OFF', 'STANDBY'))
VIM_HOST_POWER_STATES = {'poweredOn': 'POWERED_ON', 'poweredOff': 'POWERED_OFF',
                         'standBy': 'STANDBY'}
DATASTORE_TYPE = Enum('com.vmware.vcenter.datastore.type',
                      ('VMFS', 'NFS', 'NFS41', 'CIFS', 'VSAN', 'VFFS', 'VVOL'))
NETWORK_TYPE = Enum('com.vmware.vcenter.network.type',
                    ('STANDARD_PORTGROUP', 'DISTRIBUTED_PORTGROUP', 'OPAQUE_NETWORK'))
NETWORK_TYPES = {'Network': 'STANDARD_PORTGROUP',
                 'DistributedVirtualPortgroup': 'DISTRIBUTED_PORTGROUP',
                 'OpaqueNetwork': 'OPAQUE_NETWORK'}
FOLDER_TYPE = Enum('com.vmware.vcenter.folder.type',
                   ('DATACENTER', 'DATASTORE', 'HOST', 'NETWORK', 'VIRTUAL_MACHINE'))
FOLDER_TYPES = {'Datacenter': 'DATACENTER', 'Datastore': 'DATASTORE',
                'ComputeResource': 'HOST', 'Network': 'NETWORK',
                'VirtualMachine': 'VIRTUAL_MACHINE'}
SHARES_LEVEL = Enum('com.vmware.vcenter.resource_pool.shares_info.level',
                    ('LOW', 'NORMAL', 'HIGH', 'CUSTOM'))


IDS = Optional(Set(Id))     # a filter field of identifiers
NAMES = Optional(Set(String))


def _read(call, obj, path):
    return read_path(obj, path, call.ctx)[0]


def _moid(ref):
    return ref.value if ref is not None else None


def _of_type(call, type_name):
    """The inventory objects whose type is exactly `type_name`."""
    return call.server.objects.of_type(type_name)


def _object(call, type_name, identifier, what):
    obj = call.server.objects.get(MoRef(type_name, identifier))
    if obj is None:
        raise not_found(what, identifier)
    return obj


def _datacenter(call, obj):
    found = datacenter_of(call.server, obj)
    return found.ref.value if found is not None else None


def _parent(call, obj):
    return _moid(_read(call, obj, 'parent'))


def _cluster_of_host(call, host):
    parent = _read(call, host, 'parent')
    return parent.value if parent is not None and parent.type == 'ClusterComputeResource' \
        else None


class Listing:
    """A `list` operation: the objects of `types`, each filter field tested
    by a reader of the object (its value, or a list of them for a field
    whose every value counts), each kept object answered by `summary`, at
    most `limit` of them."""

    def __init__(self, types, filters, summary, limit):
        self.types = types
        self.filters = filters
        self.summary = summary
        self.limit = limit

    def __call__(self, call, filter=None):
        objects = [obj for type_name in self.types for obj in _of_type(call, type_name)]
        for name, wanted in (filter or {}).items():
            if wanted is None:
                continue
            reader = self.filters[name]
            wanted = set(wanted) if isinstance(wanted, list) else {wanted}
            objects = [obj for obj in objects if _matches(reader(call, obj), wanted)]
        if len(objects) > self.limit:
            raise VapiError('unable_to_allocate_resource',
                            'com.vmware.vcenter.list.limit.exceeded',
                            'More than %d objects match the filter: narrow it.' % self.limit,
                            self.limit)
        return [self.summary(call, obj) for obj in objects]


def _matches(value, wanted):
    if isinstance(value, list):
        return any(item in wanted for item in value)
    return value in wanted


def _list(service, types, id_filter, summary_type, summarize, filters, limit=1000):
    """Register `service`'s list of the objects of `types`: its filter has
    the identifiers (`id_filter`), the names, and `filters` (field ->
    (vAPI type, reader)); `summarize(call, obj)` answers each object kept,
    at most `limit` (vCenter's, from the API reference) of them."""
    fields = {id_filter: (IDS, lambda call, obj: obj.ref.value),
              'names': (NAMES, lambda call, obj: obj.name), **filters}
    spec = Struct(service.id + '.filter_spec',
                  {name: vapi_type for name, (vapi_type, _) in fields.items()})
    listing = Listing(types, {name: reader for name, (_, reader) in fields.items()}, summarize,
                      limit)
    service.operation('list', 'GET', params={'filter': Optional(spec)},
                      output=List(summary_type))(listing)


# -- VMs --------------------------------------------------------------------------------
vm = Service('com.vmware.vcenter.VM', '/vcenter/vm')
VM_SUMMARY = Struct('com.vmware.vcenter.VM.summary', {
    'vm': Id, 'name': String, 'power_state': POWER_STATE, 'cpu_count': Optional(Integer),
    'memory_size_MiB': Optional(Integer)})


def vm_power(call, obj):
    return VIM_POWER_STATES[_read(call, obj, 'runtime.powerState')]


def _vm_host(call, obj):
    return _moid(_read(call, obj, 'runtime.host'))


_list(vm, ['VirtualMachine'], 'vms', VM_SUMMARY,
      lambda call, obj: {'vm': obj.ref.value, 'name': obj.name,
                         'power_state': vm_power(call, obj),
                         'cpu_count': _read(call, obj, 'config.hardware.numCPU'),
                         'memory_size_MiB': _read(call, obj, 'config.hardware.memoryMB')},
      {'folders': (IDS, _parent),
       'datacenters': (IDS, _datacenter),
       'hosts': (IDS, _vm_host),
       'clusters': (IDS, lambda call, obj: _cluster_of_host(
           call, call.server.objects.get(_read(call, obj, 'runtime.host')))),
       'resource_pools': (IDS, lambda call, obj: _moid(_read(call, obj, 'resourcePool'))),
       'power_states': (Optional(Set(POWER_STATE)), vm_power)},
      limit=4000)

# -- VM power: /api `POST .../power?action=start`, /rest `POST .../power/start` ------------
power = Service('com.vmware.vcenter.vm.power', '/vcenter/vm/{vm}/power')
POWER_INFO = Struct('com.vmware.vcenter.vm.power.info', {
    'state': POWER_STATE, 'clean_power_off': Optional(Boolean)})
VM_ID = {'vm': Id}


def vm_object(call, identifier):
    return _object(call, 'VirtualMachine', identifier, 'VirtualMachine')


@power.operation('get', 'GET', params=VM_ID, output=POWER_INFO)
def get_power(call, vm):
    state = vm_power(call, vm_object(call, vm))
    return {'state': state, 'clean_power_off': True if state == 'POWERED_OFF' else None}


def state_error(kind, text, identifier):
    return VapiError(kind, 'com.vmware.vapi.std.errors.' + kind, text, identifier)


def _power_change(call, identifier, method, desired, allowed_from):
    """Run the VM's power task (its own checks, events and task history) and
    answer when it has finished; vCenter's errors for a VM already there or
    in a state the change cannot start from."""
    obj = vm_object(call, identifier)
    state = vm_power(call, obj)
    if state == desired:
        raise state_error('already_in_desired_state',
                          'Virtual machine %s is already %s.' % (identifier, state), identifier)
    if state not in allowed_from or obj.template:
        raise state_error('not_allowed_in_current_state',
                          'Virtual machine %s cannot change its power state now.' % identifier,
                          identifier)
    return run_task(call, identifier, obj, method)


def run_method(call, identifier, obj, method, **args):
    """Call the model's `method` of `obj` as /sdk would (the caller must
    hold what the method demands there); a fault becomes the vAPI error it
    means."""
    operation = call.server.schema.managed[obj.type_name].methods[method]
    try:
        authorize(call.ctx, obj, operation, args)
        return getattr(obj, method)(call.ctx, **args)
    except call.server.schema.types['MethodFault'].cls as error:
        raise from_fault(error, identifier) from None


def run_task(call, identifier, obj, method, **args):
    """run_method for a `_Task` method: a Deferred of the task's result (a
    fault in the task becomes a vAPI error too)."""
    return finished(run_method(call, identifier, obj, method, **args), identifier)


# vim fault -> vAPI error kind, for the faults whose meaning the vAPI names
FAULT_KINDS = {'NoPermission': 'unauthorized', 'DuplicateName': 'already_exists',
               'FileAlreadyExists': 'already_exists', 'InvalidArgument': 'invalid_argument',
               'InvalidDatastorePath': 'invalid_argument', 'InvalidDeviceSpec': 'invalid_argument',
               'InvalidName': 'invalid_argument', 'InvalidDeviceOperation': 'invalid_argument',
               'InvalidDatastore': 'resource_inaccessible',
               'DatastoreNotWritableOnHost': 'resource_inaccessible',
               'InsufficientResourcesFault': 'unable_to_allocate_resource',
               'OutOfBounds': 'invalid_argument', 'NotSupported': 'unsupported',
               'ManagedObjectNotFound': 'not_found', 'FileNotFound': 'not_found',
               'TaskInProgress': 'resource_busy', 'ToolsUnavailable': 'service_unavailable'}


def from_fault(error, identifier):
    """The vAPI error of a vim fault: by its type or the nearest base type
    FAULT_KINDS names; a state fault is not_allowed_in_current_state."""
    name = type(error).__name__
    kind = next((FAULT_KINDS[cls.__name__] for cls in type(error).__mro__
                 if cls.__name__ in FAULT_KINDS), None) or (
        'not_allowed_in_current_state' if 'State' in name else 'error')
    text = message_of(error) or name
    return state_error(kind, 'The operation on %s failed: %s' % (identifier, text), identifier)


def finished(task, identifier):
    """A Deferred that fires with the task's result (or its error, as a
    VapiError) once `task` is done."""
    done = defer.Deferred()

    def look():
        if not task.done:
            reactor.callLater(TASK_POLL, look)
        elif task.info.error is not None:
            done.errback(from_fault(task.info.error.fault, identifier))
        else:
            done.callback(task.info.result)
    look()
    return done


@power.operation('start', 'POST', action='start', params=VM_ID,
                 rest=('POST', '/start', None))
def start(call, vm):
    return _power_change(call, vm, 'PowerOnVM_Task', 'POWERED_ON',
                         ('POWERED_OFF', 'SUSPENDED'))


@power.operation('stop', 'POST', action='stop', params=VM_ID,
                 rest=('POST', '/stop', None))
def stop(call, vm):
    return _power_change(call, vm, 'PowerOffVM_Task', 'POWERED_OFF',
                         ('POWERED_ON', 'SUSPENDED'))


@power.operation('suspend', 'POST', action='suspend', params=VM_ID,
                 rest=('POST', '/suspend', None))
def suspend(call, vm):
    return _power_change(call, vm, 'SuspendVM_Task', 'SUSPENDED', ('POWERED_ON',))


@power.operation('reset', 'POST', action='reset', params=VM_ID,
                 rest=('POST', '/reset', None))
def reset(call, vm):
    obj = vm_object(call, vm)
    if vm_power(call, obj) != 'POWERED_ON':
        raise state_error('not_allowed_in_current_state',
                           'Virtual machine %s is not powered on.' % vm, vm)
    return run_task(call, vm, obj, 'ResetVM_Task')


# -- hosts ------------------------------------------------------------------------------
host = Service('com.vmware.vcenter.host', '/vcenter/host')
HOST_SUMMARY = Struct('com.vmware.vcenter.host.summary', {
    'host': Id, 'name': String, 'connection_state': CONNECTION_STATE,
    'power_state': Optional(HOST_POWER_STATE), 'host_uuid': Optional(String)})


def _host_connection(call, obj):
    return VIM_CONNECTION_STATES[_read(call, obj, 'runtime.connectionState')]


def _host_uuid(call, obj):
    return _read(call, obj, 'hardware.systemInfo.uuid')


_list(host, ['HostSystem'], 'hosts', HOST_SUMMARY,
      lambda call, obj: {
          'host': obj.ref.value, 'name': obj.name,
          'connection_state': _host_connection(call, obj),
          # vCenter reports power and uuid of connected hosts only
          'power_state': VIM_HOST_POWER_STATES[_read(call, obj, 'runtime.powerState')]
          if _host_connection(call, obj) == 'CONNECTED' else None,
          'host_uuid': _host_uuid(call, obj)
          if _host_connection(call, obj) == 'CONNECTED' else None},
      {'folders': (IDS, lambda call, obj: _parent(call, call.server.objects.get(
          _read(call, obj, 'parent')))),
       'datacenters': (IDS, _datacenter),
       'standalone': (Optional(Boolean), lambda call, obj: _cluster_of_host(call, obj) is None),
       'clusters': (IDS, _cluster_of_host),
       'connection_states': (Optional(Set(CONNECTION_STATE)), _host_connection),
       'host_uuids': (NAMES, _host_uuid)},
      limit=2500)

# -- datastores -------------------------------------------------------------------------
datastore = Service('com.vmware.vcenter.datastore', '/vcenter/datastore')
DATASTORE_SUMMARY = Struct('com.vmware.vcenter.datastore.summary', {
    'datastore': Id, 'name': String, 'type': DATASTORE_TYPE,
    'free_space': Optional(Integer), 'capacity': Optional(Integer)})
DATASTORE_INFO = Struct('com.vmware.vcenter.datastore.info', {
    'name': String, 'type': DATASTORE_TYPE, 'accessible': Boolean,
    'free_space': Optional(Integer), 'multiple_host_access': Boolean,
    'thin_provisioning_supported': Boolean})


def _datastore_type(call, obj):
    return _read(call, obj, 'summary.type').upper()


_list(datastore, ['Datastore'], 'datastores', DATASTORE_SUMMARY,
      lambda call, obj: {'datastore': obj.ref.value, 'name': obj.name,
                         'type': _datastore_type(call, obj),
                         'free_space': _read(call, obj, 'summary.freeSpace'),
                         'capacity': _read(call, obj, 'summary.capacity')},
      {'types': (Optional(Set(DATASTORE_TYPE)), _datastore_type),
       'folders': (IDS, _parent),
       'datacenters': (IDS, _datacenter)},
      limit=2500)


@datastore.operation('get', 'GET', '/{datastore}', params={'datastore': Id},
                     output=DATASTORE_INFO)
def get_datastore(call, datastore):
    obj = _object(call, 'Datastore', datastore, 'Datastore')
    return {'name': obj.name, 'type': _datastore_type(call, obj),
            'accessible': bool(_read(call, obj, 'summary.accessible')),
            'free_space': _read(call, obj, 'summary.freeSpace'),
            'multiple_host_access': bool(_read(call, obj, 'summary.multipleHostAccess')),
            'thin_provisioning_supported': bool(
                _read(call, obj, 'capability.perFileThinProvisioningSupported'))}


# -- networks ---------------------------------------------------------------------------
network = Service('com.vmware.vcenter.network', '/vcenter/network')
NETWORK_SUMMARY = Struct('com.vmware.vcenter.network.summary', {
    'network': Id, 'name': String, 'type': NETWORK_TYPE})

_list(network, list(NETWORK_TYPES), 'networks', NETWORK_SUMMARY,
      lambda call, obj: {'network': obj.ref.value, 'name': obj.name,
                         'type': NETWORK_TYPES[obj.type_name]},
      {'types': (Optional(Set(NETWORK_TYPE)), lambda call, obj: NETWORK_TYPES[obj.type_name]),
       'folders': (IDS, _parent),
       'datacenters': (IDS, _datacenter)})

# -- clusters ---------------------------------------------------------------------------
cluster = Service('com.vmware.vcenter.cluster', '/vcenter/cluster')
CLUSTER_SUMMARY = Struct('com.vmware.vcenter.cluster.summary', {
    'cluster': Id, 'name': String, 'ha_enabled': Boolean, 'drs_enabled': Boolean})
CLUSTER_INFO = Struct('com.vmware.vcenter.cluster.info', {'name': String, 'resource_pool': Id})

_list(cluster, ['ClusterComputeResource'], 'clusters', CLUSTER_SUMMARY,
      lambda call, obj: {
          'cluster': obj.ref.value, 'name': obj.name,
          'ha_enabled': bool(_read(call, obj, 'configurationEx.dasConfig.enabled')),
          'drs_enabled': bool(_read(call, obj, 'configurationEx.drsConfig.enabled'))},
      {'folders': (IDS, _parent),
       'datacenters': (IDS, _datacenter)})


@cluster.operation('get', 'GET', '/{cluster}', params={'cluster': Id}, output=CLUSTER_INFO)
def get_cluster(call, cluster):
    obj = _object(call, 'ClusterComputeResource', cluster, 'ClusterComputeResource')
    return {'name': obj.name, 'resource_pool': _moid(_read(call, obj, 'resourcePool'))}


# -- datacenters ------------------------------------------------------------------------
datacenter = Service('com.vmware.vcenter.datacenter', '/vcenter/datacenter')
DATACENTER_SUMMARY = Struct('com.vmware.vcenter.datacenter.summary',
                            {'datacenter': Id, 'name': String})
DATACENTER_INFO = Struct('com.vmware.vcenter.datacenter.info', {
    'name': String, 'datastore_folder': Id, 'host_folder': Id, 'network_folder': Id,
    'vm_folder': Id})

_list(datacenter, ['Datacenter'], 'datacenters', DATACENTER_SUMMARY,
      lambda call, obj: {'datacenter': obj.ref.value, 'name': obj.name},
      {'folders': (IDS, _parent)})


@datacenter.operation('get', 'GET', '/{datacenter}', params={'datacenter': Id},
                      output=DATACENTER_INFO)
def get_datacenter(call, datacenter):
    obj = _object(call, 'Datacenter', datacenter, 'Datacenter')
    return {'name': obj.name,
            **{field: _moid(_read(call, obj, prop)) for field, prop in (
                ('datastore_folder', 'datastoreFolder'), ('host_folder', 'hostFolder'),
                ('network_folder', 'networkFolder'), ('vm_folder', 'vmFolder'))}}


# -- folders ----------------------------------------------------------------------------
folder = Service('com.vmware.vcenter.folder', '/vcenter/folder')
FOLDER_SUMMARY = Struct('com.vmware.vcenter.folder.summary', {
    'folder': Id, 'name': String, 'type': FOLDER_TYPE})


def _folder_type(call, obj):
    """A folder's type by what it holds; vCenter lists each folder once."""
    for child_type in _read(call, obj, 'childType'):
        if child_type in FOLDER_TYPES:
            return FOLDER_TYPES[child_type]
    return None


_list(folder, ['Folder'], 'folders', FOLDER_SUMMARY,
      lambda call, obj: {'folder': obj.ref.value, 'name': obj.name,
                         'type': _folder_type(call, obj)},
      {'type': (Optional(FOLDER_TYPE), _folder_type),
       'parent_folders': (IDS, _parent),
       'datacenters': (IDS, _datacenter)})

# -- resource pools ---------------------------------------------------------------------
resource_pool = Service('com.vmware.vcenter.resource_pool', '/vcenter/resource-pool')
RESOURCE_POOL_SUMMARY = Struct('com.vmware.vcenter.resource_pool.summary',
                               {'resource_pool': Id, 'name': String})
SHARES_INFO = Struct('com.vmware.vcenter.resource_pool.shares_info', {
    'level': SHARES_LEVEL, 'shares': Optional(Integer)})
ALLOCATION_INFO = Struct('com.vmware.vcenter.resource_pool.resource_allocation_info', {
    'reservation': Integer, 'expandable_reservation': Boolean, 'limit': Integer,
    'shares': SHARES_INFO})
RESOURCE_POOL_INFO = Struct('com.vmware.vcenter.resource_pool.info', {
    'name': String, 'resource_pools': Set(Id), 'cpu_allocation': Optional(ALLOCATION_INFO),
    'memory_allocation': Optional(ALLOCATION_INFO)})


def _owner_hosts(call, obj):
    owner = call.server.objects.get(_read(call, obj, 'owner'))
    return [ref.value for ref in _read(call, owner, 'host')] if owner is not None else []


def _owner_cluster(call, obj):
    owner = _read(call, obj, 'owner')
    return owner.value if owner is not None and owner.type == 'ClusterComputeResource' \
        else None


def _parent_pool(call, obj):
    parent = _read(call, obj, 'parent')
    return parent.value if parent is not None and parent.type in (
        'ResourcePool', 'VirtualApp') else None


_list(resource_pool, ['ResourcePool'], 'resource_pools', RESOURCE_POOL_SUMMARY,
      lambda call, obj: {'resource_pool': obj.ref.value, 'name': obj.name},
      {'parent_resource_pools': (IDS, _parent_pool),
       'datacenters': (IDS, _datacenter),
       'hosts': (IDS, _owner_hosts),
       'clusters': (IDS, _owner_cluster)})


def _allocation(allocation):
    if allocation is None:
        return None
    shares = allocation.shares
    return {'reservation': allocation.reservation or 0,
            'expandable_reservation': bool(allocation.expandableReservation),
            'limit': -1 if allocation.limit is None else allocation.limit,
            'shares': {'level': shares.level.upper(),
                       'shares': shares.shares if shares.level == 'custom' else None}}


@resource_pool.operation('get', 'GET', '/{resource_pool}', params={'resource_pool': Id},
                         output=RESOURCE_POOL_INFO)
def get_resource_pool(call, resource_pool):
    obj = _object(call, 'ResourcePool', resource_pool, 'ResourcePool')
    return {'name': obj.name,
            'resource_pools': [ref.value for ref in _read(call, obj, 'resourcePool')],
            'cpu_allocation': _allocation(_read(call, obj, 'config.cpuAllocation')),
            'memory_allocation': _allocation(_read(call, obj, 'config.memoryAllocation'))}


SERVICES = (vm, power, host, datastore, network, cluster, datacenter, folder, resource_pool)
