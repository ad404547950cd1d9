"""VStorageObjectManagerBase: what vCenter's and ESXi's first-class disk
managers share (vcenter_/host_vstorage_object_manager.py serve it under
their names): the running of a call on one disk of a datastore as a task,
and the *Ex forms, which answer the datastore's catalog generation
(vslmVClockInfo, vstorage_object.vclock) after their change.
"""
from vimsim.managed.entity import data_types
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.storage import datastore_files as files
from vimsim.managed.storage import vstorage_object as catalog
from vimsim.managed.storage.vstorage_object import MB, datastore_of
from vimsim.soap.fault import InvalidArgument, fault


def not_supported():
    return fault('NotSupported', 'The operation is not supported on the object.')


@manager_type('VStorageObjectManagerBase')
class VStorageObjectManagerBase(Manager):
    # the task names of the calls; the ESXi manager's differ
    TASK_NAMES = {}

    @property
    def T(self):
        return data_types(self.server)

    def _run(self, ctx, method, work):
        """Run `work(task)` as the task of `method` (under this manager's name for it)."""
        return run_task(ctx, None, self.TASK_NAMES.get(method, method), work, this=self)

    def _on_disk(self, ctx, method, identifier, datastore, change):
        """A task running `change(disk)` on disk `identifier` of `datastore`."""
        ds = datastore_of(ctx.server, datastore)

        def work(task):
            with files.os_faults(files.datastore_path(ds, catalog.DISK_FOLDER)):
                return change(catalog.find(ds, identifier))
        return self._run(ctx, method, work)

    def _read(self, ctx, identifier, datastore):
        ds = datastore_of(ctx.server, datastore)
        files.namespace(ctx.server).materialize()
        return catalog.find(ds, identifier)

    # -- the forms answering the catalog's generation ---------------------------------------
    def _vclock(self, ds):
        return self.T.vslmVClockInfo(vClockTime=catalog.vclock(ds))

    def _on_disk_clocked(self, ctx, method, identifier, datastore, change):
        """`_on_disk` whose task answers the datastore's generation after `change`."""
        def clocked(disk):
            change(disk)
            return self._vclock(disk.ds)
        return self._on_disk(ctx, method, identifier, datastore, clocked)

    def RenameVStorageObjectEx(self, ctx, id, datastore, name):
        if not name:
            raise InvalidArgument('name')
        disk = self._read(ctx, id, datastore)
        catalog.rename(disk, name)
        return self._vclock(disk.ds)

    def VStorageObjectExtendDiskEx_Task(self, ctx, id, datastore, newCapacityInMB):
        if newCapacityInMB <= 0:
            raise InvalidArgument('newCapacityInMB')
        return self._on_disk_clocked(ctx, 'VStorageObjectExtendDiskEx_Task', id, datastore,
                                     lambda disk: catalog.extend(disk, newCapacityInMB * MB))

    def VStorageObjectCreateSnapshotEx_Task(self, ctx, id, datastore, description,
                                            snapshotId=None):
        def snapshot(disk):
            made = catalog.create_snapshot(ctx.server, disk, description,
                                           getattr(snapshotId, 'id', None))
            return self.T.VStorageObjectSnapshot(id=self.T.ID(id=made),
                                                 vclock=self._vclock(disk.ds))
        return self._on_disk(ctx, 'VStorageObjectCreateSnapshotEx_Task', id, datastore,
                             snapshot)

    def VStorageObjectDeleteSnapshotEx_Task(self, ctx, id, datastore, snapshotId):
        return self._on_disk_clocked(ctx, 'VStorageObjectDeleteSnapshotEx_Task', id, datastore,
                                     lambda disk: catalog.delete_snapshot(disk, snapshotId))

    def VStorageObjectDeleteSnapshotEx2_Task(self, ctx, id, datastore, snapshotId):
        def delete(disk):
            catalog.delete_snapshot(disk, snapshotId)
            return self.T.VStorageObjectSnapshot(id=self.T.ID(id=snapshotId.id),
                                                 vclock=self._vclock(disk.ds))
        return self._on_disk(ctx, 'VStorageObjectDeleteSnapshotEx2_Task', id, datastore, delete)

    def RevertVStorageObjectEx_Task(self, ctx, id, datastore, snapshotId):
        return self._on_disk_clocked(ctx, 'RevertVStorageObjectEx_Task', id, datastore,
                                     lambda disk: catalog.revert(ctx.server, disk, snapshotId))

    def RepairVStorageObjectChain_Task(self, ctx, id, datastore):
        return self._on_disk(ctx, 'RepairVStorageObjectChain_Task', id, datastore,
                             catalog.repair_chain)

    def UnregisterDisk_Task(self, ctx, id, datastore):
        return self._on_disk(ctx, 'UnregisterDisk_Task', id, datastore, catalog.unregister)

    def DeleteVStorageObjectEx_Task(self, ctx, id, datastore):
        return self._on_disk_clocked(ctx, 'DeleteVStorageObjectEx_Task', id, datastore,
                                     catalog.delete)
