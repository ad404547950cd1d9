"""DatastoreNamespaceManager: top-level directories of datastores that
cannot make them as plain directories: vSAN's, whose top-level directories
are namespace objects named by uuid with the friendly name as an alias
(storage/vsan_datastore.py).

On vSAN, CreateDirectory makes a namespace object (its alias the display
name: FileAlreadyExists when that is taken) and answers its stable path
'/vmfs/volumes/vsan:<container>/<uuid>'; DeleteDirectory removes one named
by its uuid, alias or stable path, with what it holds (FileLocked while a
powered-on VM holds files there); ConvertNamespacePathToUuidPath answers a
path through an alias by the object's uuid; QueryDirectoryInfo and
IncreaseDirectorySize read and grow its size. The other datastores take
top-level directories as plain ones (FileManager.MakeDirectory), so this
answers what vCenter answers for a VMFS or NFS one: CreateDirectory
CannotCreateFile, DeleteDirectory InvalidDatastore, QueryDirectoryInfo and
IncreaseDirectorySize NotSupported (vSAN object storage only); a namespace
path on VMFS is already its uuid path, so ConvertNamespacePathToUuidPath
answers it as it is. Paths are checked first, with the file calls' faults
(InvalidDatastorePath, InvalidDatastore, FileNotFound).
"""
import re

from vimsim.managed.entity import data_types
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.storage import datastore_files as files
from vimsim.managed.storage.file_manager import check_unlocked, tree_usage
from vimsim.managed.storage.vstorage_object import datastore_of
from vimsim.soap.fault import FileNotFound, InvalidArgument, fault

# '[ds://]/vmfs/volumes/<datastore uuid>/<path>'
_VOLUME_PATH = re.compile(r'^((?:ds://)?/vmfs/volumes/([^/]+)/)(.+)$')
MB = 1 << 20


def _not_namespace(ds):
    return fault('InvalidDatastore', 'The datastore %s is not object-backed: its top-level '
                 'directories are plain directories.' % ds.name, datastore=ds.ref, name=ds.name)


def _vsan_only(ds):
    return fault('NotSupported', 'The operation is supported only on vSAN backed object '
                 'storage.')


def _is_vsan(ds):
    return hasattr(ds, 'namespaces')


@manager_type('DatastoreNamespaceManager')
class DatastoreNamespaceManager(Manager):

    def _directory(self, ctx, datacenter, text, argument):
        """The DatastoreFile a directory argument names: a datastore path
        '[ds] dir' or a stable path '[ds://]/vmfs/volumes/<uuid>/dir'
        (FileNotFound when it is no directory there)."""
        match = _VOLUME_PATH.match(text or '')
        if match is None:
            target = files.resolve(ctx.server, text, datacenter, argument)
        else:
            dc = files.datacenter_argument(ctx.server, datacenter)
            ds = next((d for d in dc.datastores if getattr(d, 'vmfs_uuid', None) ==
                       match.group(2)), None)
            if ds is None:
                raise fault('InvalidDatastore', "Invalid datastore '%s'." % match.group(2),
                            name=match.group(2))
            target = files.on_datastore(ds, match.group(3).rstrip('/'), text)
        if not target.is_dir():
            raise FileNotFound(text)
        return target

    def _namespace(self, ctx, datacenter, text, argument, elsewhere=_not_namespace):
        """(vSAN datastore, uuid) of the namespace object a path names:
        `elsewhere(ds)` off vSAN, InvalidDatastorePath below the top."""
        target = self._directory(ctx, datacenter, text, argument)
        if not _is_vsan(target.ds):
            raise elsewhere(target.ds)
        uuid = target.ds.namespace_uuid(target.relative)
        if uuid is None:
            raise files.invalid_path(text)
        return target.ds, uuid

    def CreateDirectory(self, ctx, datastore, displayName=None, policy=None, size=None):
        ds = datastore_of(ctx.server, datastore)
        name = files.datastore_path(ds, displayName or '')
        if not _is_vsan(ds):
            raise fault('CannotCreateFile', 'Cannot complete file creation operation: the '
                        'datastore %s takes top-level directories as plain directories '
                        '(FileManager.MakeDirectory).' % ds.name, file=name)
        if size is not None and size <= 0:
            raise InvalidArgument('size')
        files.check_writable(ds)
        try:
            alias = files.normalize(displayName or '')
        except files.PathError:
            raise files.invalid_path(name) from None
        if not alias or '/' in alias:
            raise files.invalid_path(name)
        files.namespace(ctx.server).materialize()
        uuid = ds.add_namespace(ctx.server.new_uuid(), alias,
                                *(() if size is None else (size,)))
        return ds.stable_path(uuid)

    def DeleteDirectory(self, ctx, datastorePath, datacenter=None):
        ds, uuid = self._namespace(ctx, datacenter, datastorePath, 'datastorePath')
        check_unlocked(files.on_datastore(ds, uuid, datastorePath))
        ds.remove_namespace(uuid)
        return None

    def ConvertNamespacePathToUuidPath(self, ctx, namespaceUrl, datacenter=None):
        match = _VOLUME_PATH.match(namespaceUrl or '')
        if match is None:
            raise files.invalid_path(namespaceUrl or '')
        target = self._directory(ctx, datacenter, namespaceUrl, 'namespaceUrl')
        if not _is_vsan(target.ds):
            return namespaceUrl
        return match.group(1) + target.ds.uuid_relative(target.relative)

    def QueryDirectoryInfo(self, ctx, stableName, datacenter=None):
        ds, uuid = self._namespace(ctx, datacenter, stableName, 'stableName', _vsan_only)
        used = tree_usage(files.local_path(ds, uuid))
        return data_types(ctx.server).DatastoreNamespaceManagerDirectoryInfo(
            capacity=ds.namespaces[uuid][1], used=(used + MB - 1) // MB)

    def IncreaseDirectorySize(self, ctx, stableName, size, datacenter=None):
        if size is None or size <= 0:
            raise InvalidArgument('size')
        ds, uuid = self._namespace(ctx, datacenter, stableName, 'stableName', _vsan_only)
        if size <= ds.namespaces[uuid][1]:     # it grows only
            raise InvalidArgument('size')
        ds.namespaces[uuid][1] = size
        return None
