"""HostVStorageObjectManager: an ESXi host's own first-class disks, the
same disks and catalog as vCenter's manager (vstorage_object.py), under
the host API's names. The host has no tagging service, so no tag calls;
it alone reads a disk's (or snapshot's) metadata by key."""
from vimsim.managed.manager import manager_type
from vimsim.managed.storage import vstorage_object as catalog
from vimsim.managed.storage.vcenter_vstorage_object_manager import VcenterVStorageObjectManager
from vimsim.soap.fault import fault


@manager_type('HostVStorageObjectManager')
class HostVStorageObjectManager(VcenterVStorageObjectManager):
    TASK_NAMES = {
        'CreateDisk_Task': 'HostCreateDisk_Task',
        'DeleteVStorageObject_Task': 'HostDeleteVStorageObject_Task',
        'ReconcileDatastoreInventory_Task': 'HostReconcileDatastoreInventory_Task',
        'ExtendDisk_Task': 'HostExtendDisk_Task',
        'InflateDisk_Task': 'HostInflateDisk_Task',
        'CloneVStorageObject_Task': 'HostCloneVStorageObject_Task',
        'RelocateVStorageObject_Task': 'HostRelocateVStorageObject_Task',
        'VStorageObjectCreateSnapshot_Task': 'HostVStorageObjectCreateSnapshot_Task',
        'DeleteSnapshot_Task': 'HostVStorageObjectDeleteSnapshot_Task',
        'RevertVStorageObject_Task': 'HostVStorageObjectRevert_Task',
        'CreateDiskFromSnapshot_Task': 'HostVStorageObjectCreateDiskFromSnapshot_Task',
        'DeleteVStorageObjectEx_Task': 'HostDeleteVStorageObjectEx_Task',
        'VCenterUpdateVStorageObjectMetadataEx_Task': 'HostUpdateVStorageObjectMetadataEx_Task',
        'SetVirtualDiskUuidEx_Task': 'HostSetVirtualDiskUuid_Task',
    }

    def HostCreateDisk_Task(self, ctx, spec):
        return self.CreateDisk_Task(ctx, spec)

    def HostRegisterDisk(self, ctx, path, name=None, modifyControlFlags=None, id=None):
        return self.RegisterDisk(ctx, path, name, id)

    def HostDeleteVStorageObject_Task(self, ctx, id, datastore, isLcParentAttached=None):
        return self.DeleteVStorageObject_Task(ctx, id, datastore)

    def HostReconcileDatastoreInventory_Task(self, ctx, datastore, deepCleansing=None):
        return self.ReconcileDatastoreInventory_Task(ctx, datastore, deepCleansing)

    def HostListVStorageObject(self, ctx, datastore):
        return self.ListVStorageObject(ctx, datastore)

    def HostRetrieveVStorageObject(self, ctx, id, datastore, diskInfoFlags=()):
        return self.RetrieveVStorageObject(ctx, id, datastore, diskInfoFlags)

    def HostRetrieveVStorageObjectState(self, ctx, id, datastore):
        return self.RetrieveVStorageObjectState(ctx, id, datastore)

    def HostVStorageObjectRetrieveSnapshotInfo(self, ctx, id, datastore):
        return self.RetrieveSnapshotInfo(ctx, id, datastore)

    def HostRenameVStorageObject(self, ctx, id, datastore, name):
        return self.RenameVStorageObject(ctx, id, datastore, name)

    def HostExtendDisk_Task(self, ctx, id, datastore, newCapacityInMB):
        return self.ExtendDisk_Task(ctx, id, datastore, newCapacityInMB)

    def HostInflateDisk_Task(self, ctx, id, datastore):
        return self.InflateDisk_Task(ctx, id, datastore)

    def HostCloneVStorageObject_Task(self, ctx, id, datastore, spec):
        return self.CloneVStorageObject_Task(ctx, id, datastore, spec)

    def HostRelocateVStorageObject_Task(self, ctx, id, datastore, spec,
                                        isLcParentAttached=None):
        return self.RelocateVStorageObject_Task(ctx, id, datastore, spec)

    def HostVStorageObjectCreateSnapshot_Task(self, ctx, id, datastore, description):
        return self.VStorageObjectCreateSnapshot_Task(ctx, id, datastore, description)

    def HostVStorageObjectDeleteSnapshot_Task(self, ctx, id, datastore, snapshotId):
        return self.DeleteSnapshot_Task(ctx, id, datastore, snapshotId)

    def HostVStorageObjectRevert_Task(self, ctx, id, datastore, snapshotId):
        return self.RevertVStorageObject_Task(ctx, id, datastore, snapshotId)

    def HostVStorageObjectCreateDiskFromSnapshot_Task(
            self, ctx, id, datastore, snapshotId, name, profile=(), crypto=None, path=None,
            provisioningType=None, isLinkedClone=None, targetId=None, targetDatastore=None):
        return self._disk_from_snapshot(ctx, id, datastore, snapshotId, name, profile, crypto,
                                        path, provisioningType, isLinkedClone, targetId,
                                        targetDatastore)

    def HostDeleteVStorageObjectEx_Task(self, ctx, id, datastore, isLcParentAttached=None):
        return self.DeleteVStorageObjectEx_Task(ctx, id, datastore)

    def HostSetVStorageObjectControlFlags(self, ctx, id, datastore, controlFlags=()):
        return self.SetVStorageObjectControlFlags(ctx, id, datastore, controlFlags)

    def HostClearVStorageObjectControlFlags(self, ctx, id, datastore, controlFlags=()):
        return self.ClearVStorageObjectControlFlags(ctx, id, datastore, controlFlags)

    def HostScheduleReconcileDatastoreInventory(self, ctx, datastore, deepCleansing=None):
        return self.ScheduleReconcileDatastoreInventory(ctx, datastore, deepCleansing)

    def HostRetrieveVStorageInfrastructureObjectPolicy(self, ctx, datastore):
        return self.RetrieveVStorageInfrastructureObjectPolicy(ctx, datastore)

    # -- metadata --------------------------------------------------------------------------
    def HostUpdateVStorageObjectMetadata_Task(self, ctx, id, datastore, metadata=(),
                                              deleteKeys=()):
        return self._on_disk(ctx, 'HostUpdateVStorageObjectMetadata_Task', id, datastore,
                             lambda disk: catalog.update_metadata(disk, metadata, deleteKeys))

    def HostUpdateVStorageObjectMetadataEx_Task(self, ctx, id, datastore, metadata=(),
                                                deleteKeys=()):
        return self.VCenterUpdateVStorageObjectMetadataEx_Task(ctx, id, datastore, metadata,
                                                               deleteKeys)

    def HostRetrieveVStorageObjectMetadata(self, ctx, id, datastore, snapshotId=None,
                                           prefix=None):
        """The pairs (of the snapshot, if given) whose key starts with `prefix`."""
        pairs = catalog.metadata_of(self._read(ctx, id, datastore), snapshotId)
        return [self.T.KeyValue(key=k, value=v) for k, v in pairs
                if k.startswith(prefix or '')]

    def HostRetrieveVStorageObjectMetadataValue(self, ctx, id, datastore, key,
                                                snapshotId=None):
        for k, v in catalog.metadata_of(self._read(ctx, id, datastore), snapshotId):
            if k == key:
                return v
        raise fault('KeyNotFound', "The key '%s' was not found." % key, key=key)

    # -- virtual disk uuids (ESXi's paths name no datacenter) -----------------------------
    def HostQueryVirtualDiskUuid(self, ctx, name):
        return self.QueryVirtualDiskUuidEx(ctx, name)

    def HostSetVirtualDiskUuid_Task(self, ctx, name, uuid=None):
        return self.SetVirtualDiskUuidEx_Task(ctx, name, None, uuid)
