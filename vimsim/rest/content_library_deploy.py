"""Deploying library items: com.vmware.vcenter.ovf.library_item (an OVF
item deployed into a resource pool, its filter; a VM exported into a new
OVF item) and com.vmware.vcenter.vm_template.library_items (a VM made a
template item; the template's info; a VM deployed from it).

An OVF deploy is the SOAP OVF import, run by the server for the client:
OvfManager.CreateImportSpec on the item's descriptor, ResourcePool.ImportVApp,
each disk's file of the item written into the lease's disk
(`http_nfc_lease.fill_device`), HttpNfcLeaseComplete; so the VM is made,
checked and recorded (events, task history) exactly as an import makes it,
and /sdk and /api/vcenter/vm see it. Problems of the package come back in
the deployment result's `error`, as vCenter reports them. A vm-template
item holds a template VM in the inventory, as vCenter's do: made and
deployed by VirtualMachine.CloneVM_Task.
"""
import os
import re
import tempfile

from twisted.internet import defer, reactor

from vimsim.managed.entity import data_types
from vimsim.managed.monitoring.event_manager import datacenter_of
from vimsim.managed.storage import datastore_files as files
from vimsim.managed.storage.http_nfc_lease import (TransferError, disk_devices, fill_device,
                                                  open_disk, stream_pieces)
from vimsim.rest.authorization import demand
from vimsim.rest.content_library import content
from vimsim.rest.content_library_model import library_error
from vimsim.rest.errors import VapiError, invalid_argument, not_found
from vimsim.rest.service import Service
from vimsim.rest.tagging import requires
from vimsim.rest.types import (LOCALIZABLE_MESSAGE, Boolean, Enum, Id, Integer, List, Map,
                               Optional, Set, String, Struct)
from vimsim.schema import MoRef

__all__ = ['ovf_library_item', 'vm_template_items']

POLL = 0.002                 # seconds between looks at a lease or task under way
NETWORK_TYPES = ('Network', 'DistributedVirtualPortgroup', 'OpaqueNetwork')

DISK_PROVISIONING = Enum('com.vmware.vcenter.ovf.disk_provisioning_type',
                         ('thin', 'thick', 'eagerZeroedThick'))
DEPLOYMENT_TARGET = Struct('com.vmware.vcenter.ovf.library_item.deployment_target', {
    'resource_pool_id': Id, 'host_id': Optional(Id), 'folder_id': Optional(Id)})
STORAGE_GROUP_MAPPING = Struct('com.vmware.vcenter.ovf.library_item.storage_group_mapping', {
    'type': Enum('com.vmware.vcenter.ovf.library_item.storage_group_mapping.type',
                 ('DATASTORE', 'STORAGE_PROFILE')),
    'datastore_id': Optional(Id), 'storage_profile_id': Optional(Id),
    'provisioning': Optional(DISK_PROVISIONING)})
TAG_NAME_SPEC = Struct('com.vmware.vcenter.ovf.tag_name_spec',
                       {'tag_name': String, 'category_name': String})
TAG_PARAMS = Struct('com.vmware.vcenter.ovf.tag_params', {
    'tags': Optional(List(Struct('com.vmware.vcenter.ovf.tag_spec', {
        'tag_id': Optional(String), 'tag_name_spec': Optional(TAG_NAME_SPEC)}))),
    'type': Optional(String)})
DEPLOYMENT_SPEC = Struct('com.vmware.vcenter.ovf.library_item.resource_pool_deployment_spec', {
    'name': Optional(String), 'annotation': Optional(String), 'accept_all_EULA': Boolean,
    'network_mappings': Optional(Map(Id)), 'subnet_mappings': Optional(Map(Id)),
    'storage_mappings': Optional(Map(STORAGE_GROUP_MAPPING)),
    'storage_provisioning': Optional(DISK_PROVISIONING), 'storage_profile_id': Optional(Id),
    'locale': Optional(String), 'flags': Optional(List(String)),
    'additional_parameters': Optional(List(Struct('vmware.vapi.dynamic_struct', {}))),
    'default_datastore_id': Optional(Id),
    'vm_config_spec': Optional(Struct('com.vmware.vcenter.ovf.library_item.vm_config_spec', {
        'provider': Enum('com.vmware.vcenter.ovf.library_item.vm_config_spec_provider',
                         ('XML',)),
        'xml': Optional(String)})),
    'tag_params': Optional(TAG_PARAMS)})
DEPLOYABLE_IDENTITY = Struct('com.vmware.vcenter.ovf.library_item.deployable_identity',
                             {'type': String, 'id': Id})
OVF_CATEGORY = Enum('com.vmware.vcenter.ovf.ovf_message.category',
                    ('VALIDATION', 'INPUT', 'SERVER'))
PARSE_ISSUE = Struct('com.vmware.vcenter.ovf.parse_issue', {
    'category': String, 'file': String, 'line_number': Integer, 'column_number': Integer,
    'message': LOCALIZABLE_MESSAGE})


SERVER_ERROR = Struct('com.vmware.vapi.std.errors.error', {
    'messages': List(LOCALIZABLE_MESSAGE), 'data': Optional(String),
    'error_type': Optional(String)})


def _ovf_message(name):
    """An OVF error or warning: by category (a union), the parse issues
    (VALIDATION), the input named (INPUT) or the server's error (SERVER)."""
    return Struct(name, {'category': OVF_CATEGORY, 'issues': Optional(List(PARSE_ISSUE)),
                         'name': Optional(String), 'value': Optional(String),
                         'message': Optional(LOCALIZABLE_MESSAGE),
                         'error': Optional(SERVER_ERROR)})


RESULT_INFO = Struct('com.vmware.vcenter.ovf.library_item.result_info', {
    'errors': List(_ovf_message('com.vmware.vcenter.ovf.ovf_error')),
    'warnings': List(_ovf_message('com.vmware.vcenter.ovf.ovf_warning')),
    'information': List(Struct('com.vmware.vcenter.ovf.ovf_info',
                               {'messages': List(LOCALIZABLE_MESSAGE)}))})
DEPLOYMENT_RESULT = Struct('com.vmware.vcenter.ovf.library_item.deployment_result', {
    'succeeded': Boolean, 'resource_id': Optional(DEPLOYABLE_IDENTITY),
    'error': Optional(RESULT_INFO)})
OVF_SUMMARY = Struct('com.vmware.vcenter.ovf.library_item.ovf_summary', {
    'name': Optional(String), 'annotation': Optional(String), 'EULAs': List(String),
    'networks': Optional(List(String)), 'storage_groups': Optional(List(String)),
    'additional_params': Optional(List(Struct('vmware.vapi.dynamic_struct', {})))})
CREATE_TARGET = Struct('com.vmware.vcenter.ovf.library_item.create_target', {
    'library_id': Optional(Id), 'library_item_id': Optional(Id)})
CREATE_SPEC = Struct('com.vmware.vcenter.ovf.library_item.create_spec', {
    'name': Optional(String), 'description': Optional(String), 'flags': Optional(List(String)),
    'library_item_source_id': Optional(Id)})
CREATE_RESULT = Struct('com.vmware.vcenter.ovf.library_item.create_result', {
    'succeeded': Boolean, 'ovf_library_item_id': Optional(Id), 'error': Optional(RESULT_INFO)})

ovf_library_item = Service('com.vmware.vcenter.ovf.library_item', '/vcenter/ovf/library-item')
OVF_ITEM_ID = {'ovf_library_item_id': Id}
TOKEN = {'client_token': Optional(String)}


def _object(call, type_names, identifier, what):
    """The inventory object of one of `type_names` with moid `identifier`."""
    for type_name in type_names:
        found = call.server.objects.get(MoRef(type_name, identifier))
        if found is not None:
            return found
    raise not_found(what, identifier)


def _polled(ready, value):
    """A Deferred firing with value() once ready() holds."""
    done = defer.Deferred()

    def look():
        if not ready():
            reactor.callLater(POLL, look)
            return
        try:
            done.callback(value())
        except Exception as error:      # noqa: BLE001 - the caller's errback answers it
            done.errback(error)
    look()
    return done


def _fault_error(error, kind='invalid_argument'):
    """A vim fault of a step of the deploy as a standard error."""
    text = getattr(error, 'msg', None) or type(error).__name__
    return VapiError(kind, 'com.vmware.ovfs.ovfs-main.ovfs.%s' % type(error).__name__, text)


def _ovf_file(item):
    names = [name for name in item.files if name.endswith('.ovf')]
    if item.type != 'ovf' or len(names) != 1:
        raise invalid_argument('Library item %s is not an OVF template.' % item.id,
                               'ovf_library_item_id')
    if not item.files[names[0]].cached:
        raise library_error('resource_inaccessible', 'The files of library item %s are not '
                            'cached here: sync it first.' % item.id, item.id)
    with open(item.local_path(names[0]), 'rb') as f:
        return f.read().decode('utf-8', 'replace')


def _message(text, *args):
    return {'id': 'com.vmware.ovfs.ovfs-main.ovfs.problem', 'default_message': text,
            'args': [str(arg) for arg in args]}


def _input_problem(name, value, text):
    return {'category': 'INPUT', 'name': name, 'value': value, 'message': _message(text)}


def _server_problem(text):
    return {'category': 'SERVER', 'error': {'messages': [_message(text)],
                                            'error_type': 'ERROR'}}


def _package_problems(faults):
    """OvfManager's problems of a package: VALIDATION issues of its descriptor."""
    return [{'category': 'VALIDATION', 'issues': [{
        'category': 'VALIDATION_ERROR', 'file': 'descriptor.ovf',
        'line_number': getattr(fault, 'lineNumber', None) or 0, 'column_number': 0,
        'message': _message(getattr(fault, 'msg', None) or type(fault).__name__)}]}
        for fault in faults]


def _failed(errors, warnings=()):
    return {'succeeded': False, 'error': {'errors': errors, 'warnings': list(warnings),
                                          'information': []}}


def _ovf_manager(call):
    return call.server.objects.resolve(call.server.service_instance.content.ovfManager)


def _target(call, target):
    """(pool, host or None, folder) of a deployment target, checked."""
    pool = _object(call, ('ResourcePool', 'VirtualApp'), target['resource_pool_id'],
                   'ResourcePool')
    host = _object(call, ('HostSystem',), target['host_id'], 'HostSystem') \
        if target['host_id'] is not None else None
    if target['folder_id'] is not None:
        folder = _object(call, ('Folder',), target['folder_id'], 'Folder')
    else:
        folder = _vm_folder(call, pool)
    for obj in (pool, folder):
        demand(call, obj, 'VApp.Import')
    return pool, host, folder


def _vm_folder(call, entity):
    datacenter = datacenter_of(call.server, entity)
    return call.server.objects.resolve(datacenter.vmFolder)


def _datastore(call, spec, item, pool, host):
    """Where the VM goes: the datastore the spec names, else the item's
    library's datastore when the target reaches it, else the first it does."""
    hosts = [host] if host is not None else list(pool.owner_object.hosts or ())
    if spec['default_datastore_id'] is not None:
        return _object(call, ('Datastore',), spec['default_datastore_id'], 'Datastore')
    reachable = [ds for h in hosts for ds in h.datastores]
    if item.library.datastore in reachable:
        return item.library.datastore
    if not reachable:
        raise library_error('resource_inaccessible', 'The target reaches no datastore.',
                            pool.ref.value)
    return reachable[0]


def _import_params(call, spec, item, host):
    T = data_types(call.server)
    mappings = [T.OvfNetworkMapping(name=name, network=_object(
        call, NETWORK_TYPES, network, 'Network').ref)
        for name, network in (spec['network_mappings'] or {}).items()]
    return T.OvfCreateImportSpecParams(
        entityName=spec['name'] or item.name, locale=spec['locale'] or '',
        deploymentOption='', networkMapping=mappings,
        diskProvisioning=spec['storage_provisioning'] or 'thin',
        hostSystem=host.ref if host is not None else None, propertyMapping=[],
        importOption=[flag for flag in spec['flags'] or () if flag == 'lax'])


@ovf_library_item.operation('deploy', 'POST', '/{ovf_library_item_id}', action='deploy',
                            params={**TOKEN, **OVF_ITEM_ID, 'target': DEPLOYMENT_TARGET,
                                    'deployment_spec': DEPLOYMENT_SPEC},
                            output=DEPLOYMENT_RESULT)
def deploy(call, client_token, ovf_library_item_id, target, deployment_spec):
    """Import the item's OVF into the target; the VM once its disks are written."""
    spec = deployment_spec
    item = content(call).item(ovf_library_item_id)
    descriptor = _ovf_file(item)
    pool, host, folder = _target(call, target)
    if 'EulaSection' in descriptor and not spec['accept_all_EULA']:
        raise invalid_argument('The OVF has a license agreement: accept_all_EULA must be '
                               'true.', 'accept_all_EULA')
    ds = _datastore(call, spec, item, pool, host)
    method_fault = call.server.schema.types['MethodFault'].cls
    try:
        result = _ovf_manager(call).CreateImportSpec(
            call.ctx, descriptor, pool.ref, ds.ref, _import_params(call, spec, item, host))
    except method_fault as error:
        raise _fault_error(error) from None
    if result.error:
        return _failed(_package_problems(result.error), _package_problems(result.warning))
    if spec['annotation'] is not None:
        result.importSpec.configSpec.annotation = spec['annotation']
    missing = [file_item.path for file_item in result.fileItem
               if file_item.path not in item.files or not item.files[file_item.path].cached]
    if missing:
        return _failed([_input_problem('ovf_library_item_id', item.id, 'The library item has '
                                       'no file %s.' % missing[0])])
    try:
        lease = pool.ImportVApp(call.ctx, result.importSpec, folder.ref,
                                host.ref if host is not None else None)
    except method_fault as error:
        raise _fault_error(error) from None
    return _polled(lambda: lease.state != 'initializing',
                   lambda: _fill(call, lease, item, result.fileItem))


def _fill(call, lease, item, file_items):
    """The ready lease's disks from the item's files, then complete it."""
    if lease.state != 'ready':
        error = lease.error.fault if lease.error is not None else None
        return _failed([_server_problem(getattr(error, 'msg', None) or type(error).__name__)])
    devices = {device.import_key: device for device in lease.devices}
    try:
        for file_item in file_items:
            fill_device(devices[file_item.deviceId], item.local_path(file_item.path),
                        call.server)
    except (TransferError, OSError, KeyError) as error:
        lease.HttpNfcLeaseAbort(call.ctx)
        return _failed([_server_problem(str(error))])
    lease.HttpNfcLeaseComplete(call.ctx)
    return {'succeeded': True,
            'resource_id': {'type': 'VirtualMachine', 'id': lease.entity.ref.value}}


@ovf_library_item.operation('filter', 'POST', '/{ovf_library_item_id}', action='filter',
                            params={**OVF_ITEM_ID, 'target': DEPLOYMENT_TARGET},
                            output=OVF_SUMMARY)
def filter_item(call, ovf_library_item_id, target):
    """What a deploy into the target would ask: the OVF's name, EULAs, networks."""
    item = content(call).item(ovf_library_item_id)
    descriptor = _ovf_file(item)
    pool, host, _ = _target(call, target)
    T = data_types(call.server)
    parsed = _ovf_manager(call).ParseDescriptor(
        call.ctx, descriptor, T.OvfParseDescriptorParams(locale='', deploymentOption=''))
    if parsed.error:
        raise invalid_argument('The OVF descriptor of library item %s is not valid: %s' % (
            item.id, getattr(parsed.error[0], 'msg', '')), 'ovf_library_item_id')
    return {'name': parsed.defaultEntityName or item.name, 'annotation': parsed.annotation,
            'EULAs': list(parsed.eula or ()), 'networks': [n.name for n in parsed.network or ()],
            'storage_groups': []}


@ovf_library_item.operation('create', 'POST', params={
    **TOKEN, 'source': DEPLOYABLE_IDENTITY, 'target': CREATE_TARGET,
    'create_spec': CREATE_SPEC}, output=CREATE_RESULT)
@requires('ContentLibrary.AddLibraryItem')
def create_from_vm(call, client_token, source, target, create_spec):
    """Export a VM into an OVF item: its descriptor (OvfManager.CreateDescriptor)
    and each disk's extent as the file the descriptor names; a new item in
    `target.library_id`, or a new content of `target.library_item_id`."""
    if source['type'] != 'VirtualMachine':
        raise invalid_argument('Only a VirtualMachine can be exported here.', 'source.type')
    vm = _object(call, ('VirtualMachine',), source['id'], 'VirtualMachine')
    demand(call, vm, 'VApp.Export')
    model = content(call)
    if (target['library_id'] is None) == (target['library_item_id'] is None):
        raise invalid_argument('The target names either a library or a library item.',
                               'target')
    existing = model.item(target['library_item_id']) \
        if target['library_item_id'] is not None else None
    library = existing.library if existing is not None else model.library(target['library_id'])
    if library.type != 'LOCAL':
        raise library_error('invalid_element_type', 'Items cannot be added to subscribed '
                            'library %s.' % library.id, library.id)
    name = create_spec['name'] or (existing.name if existing is not None else vm.name)
    files.namespace(call.server).materialize()
    disks = disk_devices(vm)
    T = data_types(call.server)

    def make():
        item = existing or model.create_item(library, name, create_spec['description'], 'ovf')
        written, ovf_files = [], []
        try:
            for index, disk in enumerate(disks):
                with open_disk(disk) as chain:
                    path = _written(item, stream_pieces(disk, chain))
                ovf_files.append(T.OvfFile(deviceId=disk.key, path='%s-%d.vmdk' % (
                    name, index + 1), size=os.path.getsize(path)))
                written.append((ovf_files[-1].path, path))
            described = _ovf_manager(call).CreateDescriptor(
                call.ctx, vm.ref, T.OvfCreateDescriptorParams(
                    name=name, description=create_spec['description'] or '',
                    ovfFiles=ovf_files))
            if described.error:
                if existing is None:
                    model.delete_item(item)
                return _failed(_package_problems(described.error))
            descriptor = _written(item, [described.ovfDescriptor.encode('utf-8')])
            written.insert(0, (name + '.ovf', descriptor))
            model.replace_content(item, written)
        finally:
            for _, path in written:
                if os.path.exists(path):
                    os.unlink(path)
        return {'succeeded': True, 'ovf_library_item_id': item.id}
    return model.once('ovf.create', client_token, make)


def _written(item, pieces):
    """A temporary file in the item's folder holding `pieces` (bytes)."""
    with tempfile.NamedTemporaryFile(dir=item.local_path(''), delete=False,
                                     prefix=files.UPLOAD_PREFIX) as f:
        for piece in pieces:
            f.write(piece)
    return f.name


# -- vm templates --------------------------------------------------------------------------
vm_template_items = Service('com.vmware.vcenter.vm_template.library_items',
                            '/vcenter/vm-template/library-items')
STORAGE_POLICY = Struct('com.vmware.vcenter.vm_template.library_items.storage_policy', {
    'type': String, 'policy': Optional(Id)})
STORAGE = Struct('com.vmware.vcenter.vm_template.library_items.storage', {
    'datastore': Optional(Id), 'storage_policy': Optional(STORAGE_POLICY)})
PLACEMENT = Struct('com.vmware.vcenter.vm_template.library_items.placement_spec', {
    'folder': Optional(Id), 'resource_pool': Optional(Id), 'host': Optional(Id),
    'cluster': Optional(Id)})
TEMPLATE_CREATE_SPEC = Struct('com.vmware.vcenter.vm_template.library_items.create_spec', {
    'source_vm': Id, 'name': String, 'description': Optional(String), 'library': Id,
    'vm_home_storage': Optional(STORAGE), 'disk_storage': Optional(STORAGE),
    'disk_storage_overrides': Optional(Map(STORAGE)), 'placement': Optional(PLACEMENT)})
TEMPLATE_DEPLOY_SPEC = Struct('com.vmware.vcenter.vm_template.library_items.deploy_spec', {
    'name': String, 'description': Optional(String), 'vm_home_storage': Optional(STORAGE),
    'disk_storage': Optional(STORAGE), 'disk_storage_overrides': Optional(Map(STORAGE)),
    'placement': Optional(PLACEMENT), 'powered_on': Optional(Boolean),
    'guest_customization': Optional(Struct(
        'com.vmware.vcenter.vm_template.library_items.guest_customization_spec',
        {'name': Optional(String)})),
    'hardware_customization': Optional(Struct(
        'com.vmware.vcenter.vm_template.library_items.hardware_customization_spec', {
            'nics': Optional(Map(Struct(
                'com.vmware.vcenter.vm_template.library_items.ethernet_update_spec',
                {'network': Optional(Id), 'subnet': Optional(Id)}))),
            'disks_to_remove': Optional(Set(Id)),
            'disks_to_update': Optional(Map(Struct(
                'com.vmware.vcenter.vm_template.library_items.disk_update_spec',
                {'capacity': Integer}))),
            'cpu_update': Optional(Struct(
                'com.vmware.vcenter.vm_template.library_items.cpu_update_spec',
                {'num_cpus': Optional(Integer), 'num_cores_per_socket': Optional(Integer)})),
            'memory_update': Optional(Struct(
                'com.vmware.vcenter.vm_template.library_items.memory_update_spec',
                {'memory': Optional(Integer)}))})),
    'tags': Optional(List(Struct('com.vmware.vcenter.vm_template.library_items.tag_spec', {
        'tag_id': Optional(String), 'tag_name_spec': Optional(Struct(
            'com.vmware.vcenter.vm_template.library_items.tag_name_spec',
            {'tag_name': String, 'category_name': String}))})))})
STORAGE_INFO = Struct('com.vmware.vcenter.vm_template.library_items.storage_info', {
    'datastore': Id, 'storage_policy': Optional(Id)})
TEMPLATE_INFO = Struct('com.vmware.vcenter.vm_template.library_items.info', {
    'guest_OS': String,
    'cpu': Struct('com.vmware.vcenter.vm_template.library_items.cpu_info',
                  {'count': Integer, 'cores_per_socket': Integer}),
    'memory': Struct('com.vmware.vcenter.vm_template.library_items.memory_info',
                     {'size_MiB': Integer}),
    'vm_home_storage': STORAGE_INFO,
    'disks': Map(Struct('com.vmware.vcenter.vm_template.library_items.disk_info', {
        'capacity': Optional(Integer), 'disk_storage': STORAGE_INFO})),
    'nics': Map(Struct('com.vmware.vcenter.vm_template.library_items.ethernet_info', {
        'backing_type': String, 'mac_type': String, 'network': Optional(Id)})),
    'vm_template': String})
TEMPLATE_ITEM = {'template_library_item': Id}
NIC_BACKINGS = {'VirtualEthernetCardNetworkBackingInfo': 'STANDARD_PORTGROUP',
                'VirtualEthernetCardDistributedVirtualPortBackingInfo': 'DISTRIBUTED_PORTGROUP',
                'VirtualEthernetCardOpaqueNetworkBackingInfo': 'OPAQUE_NETWORK'}
MAC_TYPES = {'manual': 'MANUAL', 'generated': 'GENERATED', 'assigned': 'ASSIGNED'}


def _clone(call, vm, placement, name, datastore_id, template, power_on=False):
    """CloneVM_Task of `vm` to `placement`; a Deferred of the clone."""
    placement = placement or {}
    T = data_types(call.server)
    pool = None
    if placement.get('resource_pool') is not None:
        pool = _object(call, ('ResourcePool', 'VirtualApp'), placement['resource_pool'],
                       'ResourcePool')
    elif placement.get('cluster') is not None:
        cluster = _object(call, ('ClusterComputeResource',), placement['cluster'], 'Cluster')
        pool = call.server.objects.resolve(cluster.resourcePool)
    elif placement.get('host') is not None:
        host = _object(call, ('HostSystem',), placement['host'], 'HostSystem')
        pool = call.server.objects.resolve(host.parent_object().resourcePool)
    elif not template:
        raise invalid_argument('A deploy needs a placement with a resource pool, cluster or '
                               'host.', 'placement')
    host = _object(call, ('HostSystem',), placement['host'], 'HostSystem') \
        if placement.get('host') is not None else None
    folder = _object(call, ('Folder',), placement['folder'], 'Folder') \
        if placement.get('folder') is not None else _vm_folder(call, vm)
    ds = _object(call, ('Datastore',), datastore_id, 'Datastore') \
        if datastore_id is not None else None
    spec = T.VirtualMachineCloneSpec(
        location=T.VirtualMachineRelocateSpec(
            pool=pool.ref if pool is not None else None,
            host=host.ref if host is not None else None,
            datastore=ds.ref if ds is not None else None),
        template=template, powerOn=power_on)
    try:
        task = vm.CloneVM_Task(call.ctx, folder.ref, name, spec)
    except call.server.schema.types['MethodFault'].cls as error:
        raise _fault_error(error) from None
    return _polled(lambda: task.done, lambda: _cloned(call, task))


def _cloned(call, task):
    if task.info.error is not None:
        raise _fault_error(task.info.error.fault, 'error')
    return call.server.objects.resolve(task.info.result)


def _storage_datastore(spec):
    storage = spec['vm_home_storage'] or spec['disk_storage']
    return storage['datastore'] if storage is not None else None


@vm_template_items.operation('create', 'POST', params={'spec': TEMPLATE_CREATE_SPEC},
                             output=Id, body='spec')
@requires('ContentLibrary.AddLibraryItem')
def create_template(call, spec):
    """The VM cloned as a template on the library's datastore (unless the
    spec names another), held by a new vm-template item."""
    model = content(call)
    library = model.library(spec['library'])
    if library.type != 'LOCAL':
        raise library_error('invalid_element_type', 'Items cannot be added to subscribed '
                            'library %s.' % library.id, library.id)
    if any(item.name == spec['name'] for item in library.items.values()):
        raise library_error('already_exists', 'Library %s has an item named %s.' % (
            library.id, spec['name']), spec['name'])
    vm = _object(call, ('VirtualMachine',), spec['source_vm'], 'VirtualMachine')
    demand(call, vm, 'VirtualMachine.Provisioning.Clone')
    datastore = _storage_datastore(spec) or library.datastore.ref.value
    cloned = _clone(call, vm, spec['placement'], spec['name'], datastore, True)

    def made(template):
        item = model.create_item(library, spec['name'], spec['description'], 'vm-template')
        item.template = template.ref.value
        return item.id
    return cloned.addCallback(made)


def _template_item(call, template_library_item):
    item = content(call).item(template_library_item)
    template = call.server.objects.get(MoRef('VirtualMachine', item.template or ''))
    if item.type != 'vm-template' or template is None:
        raise not_found('VM template library item', template_library_item)
    return item, template


def _guest_os(guest_id):
    """vCenter's guest OS enum name of a guestId: otherLinux64Guest -> OTHER_LINUX_64."""
    stem = re.sub(r'Guest$', '', guest_id or 'other')
    return re.sub(r'(?<=[a-z0-9])(?=[A-Z])', '_', stem).upper()


@vm_template_items.operation('get', 'GET', '/{template_library_item}', params=TEMPLATE_ITEM,
                             output=Optional(TEMPLATE_INFO))
def get_template(call, template_library_item):
    item, template = _template_item(call, template_library_item)
    config = template.config
    hardware = config.hardware
    home = files.split_path(config.files.vmPathName)
    datastores = {ds.name: ds.ref.value for ds in template.datastore_objects()}
    T = data_types(call.server)
    disks, nics = {}, {}
    for device in hardware.device or ():
        if isinstance(device, T.VirtualDisk):
            place = files.split_path(device.backing.fileName)
            disks[str(device.key)] = {'capacity': device.capacityInKB * 1024, 'disk_storage': {
                'datastore': datastores.get(place[0] if place else '', '')}}
        elif isinstance(device, T.VirtualEthernetCard):
            network = getattr(device.backing, 'network', None)
            nics[str(device.key)] = {
                'backing_type': NIC_BACKINGS.get(type(device.backing).__name__, 'HOST_DEVICE'),
                'mac_type': MAC_TYPES.get(device.addressType, 'GENERATED'),
                'network': network.value if network is not None else None}
    return {'guest_OS': _guest_os(config.guestId),
            'cpu': {'count': hardware.numCPU, 'cores_per_socket': hardware.numCoresPerSocket or 1},
            'memory': {'size_MiB': hardware.memoryMB},
            'vm_home_storage': {'datastore': datastores.get(home[0] if home else '', '')},
            'disks': disks, 'nics': nics, 'vm_template': template.ref.value}


@vm_template_items.operation('deploy', 'POST', '/{template_library_item}',
                             params={**TEMPLATE_ITEM, 'spec': TEMPLATE_DEPLOY_SPEC},
                             output=Id, body='spec')
def deploy_template(call, template_library_item, spec):
    """A VM cloned from the item's template into the placement (powered on when asked)."""
    _, template = _template_item(call, template_library_item)
    unsupported = [name for name in ('guest_customization', 'hardware_customization', 'tags',
                                     'disk_storage_overrides') if spec[name]]
    if unsupported:
        raise library_error('unsupported', 'This server does not apply %s at deploy.'
                            % unsupported[0], unsupported[0])
    demand(call, template, 'VirtualMachine.Provisioning.DeployTemplate')
    cloned = _clone(call, template, spec['placement'], spec['name'], _storage_datastore(spec),
                    False, bool(spec['powered_on']))
    return cloned.addCallback(lambda vm: vm.ref.value)

