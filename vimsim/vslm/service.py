"""vslm's managed objects: the service instance, the global VStorageObject
manager, the storage lifecycle manager, vslm's tasks and its session manager.

The VStorageObjectManager names disks by id alone (the global catalog): each
call finds the disk's datastore and hands the call to /sdk's
VcenterVStorageObjectManager (or, for AttachDisk, to the VM), in the
caller's vim25 session and under vim25's privilege checks, so there is one
implementation of first-class disks and a disk made here is /sdk's and back.
vim25's tasks are answered as vslm's `VslmTask` of the same moid, whose
QueryInfo, QueryTaskResult and CancelTask read and cancel the vim25 task.
What vslm alone has (queries by spec, several disks at once, datastores by
URL) reads the same catalog (vimsim/managed/storage/vstorage_object.py).
"""
import operator
import uuid
from datetime import datetime

from vimsim.managed.admin.permissions import authorize as vim25_authorize
from vimsim.managed.base import Context
from vimsim.managed.entity import data_types
from vimsim.managed.monitoring.event_manager import datacenter_of
from vimsim.managed.storage import datastore_files as files
from vimsim.managed.storage import vstorage_object as catalog
from vimsim.schema import MoRef
from vimsim.server.endpoint import ApiObject
from vimsim.soap.fault import InvalidArgument, fault, localized
from vimsim.vslm.translate import translated

ABOUT = dict(name='VMware Virtual Storage Lifecycle Manager Service', vendor='VMware, Inc.')
# the query fields of VslmListVStorageObjectForSpec and what each reads from a
# disk's VStorageObject's config (values compared as strings but capacity's)
QUERY_FIELDS = {
    'id': lambda config: [config.id.id],
    'name': lambda config: [config.name],
    'capacity': lambda config: [config.capacityInMB],
    'createTime': lambda config: [config.createTime],
    'metadataKey': lambda config: [pair.key for pair in config.metadata],
    'metadataValue': lambda config: [pair.value for pair in config.metadata],
}
ORDERED = {'equals': operator.eq, 'notEquals': operator.ne, 'lessThan': operator.lt,
           'greaterThan': operator.gt, 'lessThanOrEqual': operator.le,
           'greaterThanOrEqual': operator.ge}
TEXT_ONLY = {'contains': lambda value, wanted: wanted in value,
             'startsWith': str.startswith, 'endsWith': str.endswith}
DATASTORE_PREFIX = 'datastore-'


class VslmObject(ApiObject):
    """A vslm managed object."""

    def vim25(self, ctx, this, method_name, **args):
        """vim25's `method_name` on `this` (a vim25 managed object) with
        `args` (vslm's values, made vim25's), as /sdk would run it for the
        caller: its privilege checked, a task answered as vslm's."""
        server = self.server
        vim_ctx = Context(server, ctx.session, server.endpoint.api_version, ctx.request)
        args = {name: translated(value, server.schema) for name, value in args.items()}
        if ctx.session is not None:
            vim25_authorize(vim_ctx, this, server.schema.operations[method_name], args)
        result = getattr(this, method_name)(vim_ctx, **args)
        if getattr(result, 'type_name', None) == 'Task':
            return MoRef('VslmTask', result.ref.value)
        return translated(result, self.schema)


class VslmServiceInstance(VslmObject):
    type_name = 'VslmServiceInstance'

    def __init__(self, server, schema, managers):
        super().__init__(server, schema, 'ServiceInstance')
        version = schema.versions[-1]
        self.content = self.T('VslmServiceInstanceContent')(
            aboutInfo=self.T('VslmAboutInfo')(
                fullName='%s %s' % (ABOUT['name'], version), apiVersion=version,
                instanceUuid=str(uuid.uuid5(uuid.NAMESPACE_URL, 'vslm:' + (
                    server.service_instance.content.about.instanceUuid or ''))), **ABOUT),
            **{field: manager.ref for field, manager in managers.items()})

    def RetrieveContent(self, ctx):
        return self.content


class VslmSessionManager(VslmObject):
    type_name = 'VslmSessionManager'


class VslmStorageLifecycleManager(VslmObject):
    type_name = 'VslmStorageLifecycleManager'

    def VslmQueryDatastoreInfo(self, ctx, datastoreUrl):
        """The datastores (and their datacenters) of a datastore URL."""
        Result = self.T('VslmQueryDatastoreInfoResult')
        found = [Result(datacenter=getattr(datacenter_of(self.server, ds), 'ref', None),
                        datastore=ds.ref)
                 for ds in files.datastores(self.server) if ds.url == datastoreUrl]
        if not found:
            raise catalog.not_found(datastoreUrl)
        return found


class VslmTask(VslmObject):
    """vslm's view of the vim25 task of the same moid."""
    type_name = 'VslmTask'

    def __init__(self, server, schema, task):
        super().__init__(server, schema, task.ref.value)
        self.task = task

    def VslmQueryInfo(self, ctx):
        info = translated(self.task.info, self.schema)
        own = self.T('VslmTaskInfo')(**{name: getattr(info, name, None)
                                        for name in self.schema.types['VslmTaskInfo']._names})
        own.task = self.ref
        own.reason = self._reason(info.reason)
        return own

    def _reason(self, reason):
        """vim25's TaskReasonUser (...System, ...Alarm, ...Schedule) as vslm's."""
        if reason is None:
            return None
        own = self.schema.types['Vslm' + reason._type.name]
        return own.cls(**{name: getattr(reason, name, None) for name in own._names})

    def VslmQueryTaskResult(self, ctx):
        return translated(self.task.info.result, self.schema)

    def VslmCancelTask(self, ctx):
        return self.vim25(ctx, self.task, 'CancelTask')


class VslmVStorageObjectManager(VslmObject):
    type_name = 'VslmVStorageObjectManager'

    @property
    def manager(self):
        """/sdk's VcenterVStorageObjectManager, which does the work."""
        return self.server.objects.get(self.server.service_instance.content.vStorageObjectManager)

    def _on_disk(self, ctx, method_name, id, **args):
        """/sdk's `method_name` for disk `id` on the datastore that holds it."""
        disk = catalog.find_anywhere(self.server, translated(id, self.server.schema))
        return self.vim25(ctx, self.manager, method_name, id=id, datastore=disk.ds.ref, **args)

    # -- making and removing -------------------------------------------------------------
    def VslmCreateDisk_Task(self, ctx, spec):
        return self.vim25(ctx, self.manager, 'CreateDisk_Task', spec=spec)

    def VslmRegisterDisk(self, ctx, path, name=None):
        return self.vim25(ctx, self.manager, 'RegisterDisk', path=path, name=name)

    def VslmDeleteVStorageObject_Task(self, ctx, id):
        return self._on_disk(ctx, 'DeleteVStorageObject_Task', id)

    def VslmCloneVStorageObject_Task(self, ctx, id, spec):
        return self._on_disk(ctx, 'CloneVStorageObject_Task', id, spec=spec)

    def VslmRelocateVStorageObject_Task(self, ctx, id, spec):
        return self._on_disk(ctx, 'RelocateVStorageObject_Task', id, spec=spec)

    def VslmReconcileDatastoreInventory_Task(self, ctx, datastore):
        return self.vim25(ctx, self.manager, 'ReconcileDatastoreInventory_Task',
                          datastore=datastore)

    def VslmAttachDisk_Task(self, ctx, id, vm, controllerKey=None, unitNumber=None):
        target = self.server.objects.get(vm)
        if getattr(target, 'type_name', None) != 'VirtualMachine':
            raise fault('ManagedObjectNotFound', 'The object has already been deleted or '
                        'has not been completely created', obj=vm)
        disk = catalog.find_anywhere(self.server, translated(id, self.server.schema))
        return self.vim25(ctx, target, 'AttachDisk_Task', diskId=id, datastore=disk.ds.ref,
                          controllerKey=controllerKey, unitNumber=unitNumber)

    # -- reading --------------------------------------------------------------------------
    def VslmRetrieveVStorageObject(self, ctx, id):
        return self._on_disk(ctx, 'RetrieveVStorageObject', id)

    def VslmRetrieveVStorageObjectState(self, ctx, id):
        return self._on_disk(ctx, 'RetrieveVStorageObjectState', id)

    def VslmRetrieveSnapshotInfo(self, ctx, id):
        return self._on_disk(ctx, 'RetrieveSnapshotInfo', id)

    def VslmRetrieveVStorageObjects(self, ctx, ids=()):
        """A result per id, in order: the disk, or the fault finding it met."""
        Result = self.T('VslmVsoVStorageObjectResult')
        results = []
        for id in ids:
            try:
                disk = self.VslmRetrieveVStorageObject(ctx, id)
            except self.server.schema.types['MethodFault'].cls as error:
                results.append(Result(id=id, capacityInMB=0,
                                      error=translated(localized(error), self.schema)))
                continue
            results.append(self._result(disk.config))
        return results

    def _result(self, config):
        """A VslmVsoVStorageObjectResult of a disk's config (vslm's)."""
        return self.T('VslmVsoVStorageObjectResult')(
            id=config.id, name=config.name, capacityInMB=config.capacityInMB,
            createTime=config.createTime, diskPath=config.backing.filePath,
            datastoreUrl=self.server.objects.get(config.backing.datastore).url,
            backingObjectId=self.T('ID')(id=config.backing.backingObjectId)
            if config.backing.backingObjectId else None,
            metadata=config.metadata)

    def VslmListVStorageObjectForSpec(self, ctx, maxResult, query=()):
        """The disks meeting every query, by id, at most `maxResult` of them."""
        if maxResult is None or maxResult <= 0:
            raise InvalidArgument('maxResult')
        wanted_stores, tests = self._parsed(query)
        files.namespace(self.server).materialize()
        found = []
        for ds in files.datastores(self.server):
            if wanted_stores is not None and ds.ref.value not in wanted_stores:
                continue
            for disk in catalog.disks_on(ds):
                if not disk.readable():
                    continue
                config = disk.vstorage_object(data_types(self.server)).config
                if all(test(config) for test in tests):
                    found.append(config)
        found.sort(key=lambda config: config.id.id)
        shown = found[:maxResult]
        results = [self._result(translated(config, self.schema)) for config in shown]
        return self.T('VslmVsoVStorageObjectQueryResult')(
            allRecordsReturned=len(shown) == len(found), id=[r.id for r in results],
            queryResults=results)

    def _parsed(self, query):
        """(datastore moids the queries allow or None, tests of a disk's config)."""
        stores, tests = None, []
        for index, spec in enumerate(query):
            where = 'query[%d]' % index
            values = list(spec.queryValue)
            if spec.queryField == 'datastoreMoId':
                if spec.queryOperator != 'equals' or not values:
                    raise InvalidArgument(where + '.queryOperator')
                allowed = {v if v.startswith(DATASTORE_PREFIX) else DATASTORE_PREFIX + v
                           for v in values}
                stores = allowed if stores is None else stores & allowed
                continue
            read = QUERY_FIELDS.get(spec.queryField)
            if read is None:
                raise InvalidArgument(where + '.queryField')
            if len(values) != 1:
                raise InvalidArgument(where + '.queryValue')
            tests.append(_test(read, spec.queryField, spec.queryOperator, values[0], where))
        return stores, tests

    # -- changing -------------------------------------------------------------------------
    def VslmRenameVStorageObject(self, ctx, id, name):
        return self._on_disk(ctx, 'RenameVStorageObject', id, name=name)

    def VslmExtendDisk_Task(self, ctx, id, newCapacityInMB):
        return self._on_disk(ctx, 'ExtendDisk_Task', id, newCapacityInMB=newCapacityInMB)

    def VslmInflateDisk_Task(self, ctx, id):
        return self._on_disk(ctx, 'InflateDisk_Task', id)

    def VslmSetVStorageObjectControlFlags(self, ctx, id, controlFlags=()):
        return self._on_disk(ctx, 'SetVStorageObjectControlFlags', id,
                             controlFlags=controlFlags)

    def VslmClearVStorageObjectControlFlags(self, ctx, id, controlFlags=()):
        return self._on_disk(ctx, 'ClearVStorageObjectControlFlags', id,
                             controlFlags=controlFlags)

    def VslmUpdateVStorageObjectMetadata_Task(self, ctx, id, metadata=(), deleteKeys=()):
        return self._on_disk(ctx, 'VCenterUpdateVStorageObjectMetadataEx_Task', id,
                             metadata=metadata, deleteKeys=deleteKeys)

    def VslmUpdateVstorageObjectPolicy_Task(self, ctx, id, profile=()):
        return self._on_disk(ctx, 'UpdateVStorageObjectPolicy_Task', id, profile=profile)

    def VslmUpdateVstorageObjectCrypto_Task(self, ctx, id, profile=(), disksCrypto=None):
        return self._on_disk(ctx, 'UpdateVStorageObjectCrypto_Task', id, profile=profile,
                             disksCrypto=disksCrypto)

    def VslmRetrieveVStorageInfrastructureObjectPolicy(self, ctx, datastore):
        return self.vim25(ctx, self.manager, 'RetrieveVStorageInfrastructureObjectPolicy',
                          datastore=datastore)

    def VslmUpdateVStorageInfrastructureObjectPolicy_Task(self, ctx, spec):
        return self.vim25(ctx, self.manager, 'UpdateVStorageInfrastructureObjectPolicy_Task',
                          spec=spec)

    def VslmScheduleReconcileDatastoreInventory(self, ctx, datastore):
        return self.vim25(ctx, self.manager, 'ScheduleReconcileDatastoreInventory',
                          datastore=datastore)

    # -- snapshots ------------------------------------------------------------------------
    def VslmCreateSnapshot_Task(self, ctx, id, description):
        return self._on_disk(ctx, 'VStorageObjectCreateSnapshot_Task', id,
                             description=description)

    def VslmDeleteSnapshot_Task(self, ctx, id, snapshotId):
        return self._on_disk(ctx, 'DeleteSnapshot_Task', id, snapshotId=snapshotId)

    def VslmRevertVStorageObject_Task(self, ctx, id, snapshotId):
        return self._on_disk(ctx, 'RevertVStorageObject_Task', id, snapshotId=snapshotId)

    def VslmRetrieveSnapshotDetails(self, ctx, id, snapshotId):
        return self._on_disk(ctx, 'RetrieveSnapshotDetails', id, snapshotId=snapshotId)

    def VslmQueryChangedDiskAreas(self, ctx, id, snapshotId, startOffset, changeId):
        return self._on_disk(ctx, 'VstorageObjectVCenterQueryChangedDiskAreas', id,
                             snapshotId=snapshotId, startOffset=startOffset,
                             changeId=changeId)

    def VslmCreateDiskFromSnapshot_Task(self, ctx, id, snapshotId, name, profile=(),
                                        crypto=None, path=None):
        return self._on_disk(ctx, 'CreateDiskFromSnapshot_Task', id, snapshotId=snapshotId,
                             name=name, profile=profile, crypto=crypto, path=path)

    # -- tags ---------------------------------------------------------------------------------
    def VslmAttachTagToVStorageObject(self, ctx, id, category, tag):
        return self.vim25(ctx, self.manager, 'AttachTagToVStorageObject', id=id,
                          category=category, tag=tag)

    def VslmDetachTagFromVStorageObject(self, ctx, id, category, tag):
        return self.vim25(ctx, self.manager, 'DetachTagFromVStorageObject', id=id,
                          category=category, tag=tag)

    def VslmListVStorageObjectsAttachedToTag(self, ctx, category, tag):
        return self.vim25(ctx, self.manager, 'ListVStorageObjectsAttachedToTag',
                          category=category, tag=tag)

    def VslmListTagsAttachedToVStorageObject(self, ctx, id):
        return self.vim25(ctx, self.manager, 'ListTagsAttachedToVStorageObject', id=id)


def _test(read, field, operator_name, text, where):
    """A test of a disk's config for one query: `field`'s values (any of
    them) against `text` by `operator_name`; capacity compares as a number,
    createTime as an ISO 8601 time, the others as strings."""
    compare = ORDERED.get(operator_name) or TEXT_ONLY.get(operator_name)
    if compare is None or (operator_name in TEXT_ONLY and field in ('capacity', 'createTime')):
        raise InvalidArgument(where + '.queryOperator')
    try:
        if field == 'capacity':
            wanted = int(text)
        elif field == 'createTime':
            wanted = datetime.fromisoformat(text.replace('Z', '+00:00'))
        else:
            wanted = text
    except (TypeError, ValueError):
        raise InvalidArgument(where + '.queryValue') from None
    if field == 'createTime' and wanted.tzinfo is None:
        raise InvalidArgument(where + '.queryValue')
    return lambda config: any(value is not None and compare(value, wanted)
                              for value in read(config))
