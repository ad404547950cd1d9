"""DatastoreNamespaceManager: top-level directories of datastores that
cannot make them as plain directories (vSAN's and VVol's, whose top-level
directories are namespace objects named by uuid).

Every simulated datastore's top-level directories are plain ones
(`topLevelDirectoryCreateSupported` true: FileManager.MakeDirectory makes
them, the vsanDatastore's too), so this answers what vCenter answers for a
VMFS or NFS one: CreateDirectory CannotCreateFile, DeleteDirectory
InvalidDatastore for a directory that is a plain one, QueryDirectoryInfo and
IncreaseDirectorySize NotSupported (vSAN object storage only); a namespace
path on VMFS is already its uuid path, so ConvertNamespacePathToUuidPath
answers it as it is, once it names a directory of a datastore of the
datacenter. Paths are checked first, with the file calls' faults
(InvalidDatastorePath, InvalidDatastore, FileNotFound).
"""
import re

from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.storage import datastore_files as files
from vimsim.managed.storage.vstorage_object import datastore_of
from vimsim.soap.fault import FileNotFound, InvalidArgument, fault

# '[ds://]/vmfs/volumes/<datastore uuid>/<path>'
_VOLUME_PATH = re.compile(r'^(?:ds://)?/vmfs/volumes/([^/]+)/(.+)$')


def _not_namespace(ds):
    return fault('InvalidDatastore', 'The datastore %s is not object-backed: its top-level '
                 'directories are plain directories.' % ds.name, datastore=ds.ref, name=ds.name)


def _vsan_only():
    return fault('NotSupported', 'The operation is supported only on vSAN backed object '
                 'storage.')


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
                       match.group(1)), None)
            if ds is None:
                raise fault('InvalidDatastore', "Invalid datastore '%s'." % match.group(1),
                            name=match.group(1))
            target = files.on_datastore(ds, match.group(2).rstrip('/'), text)
        if not target.is_dir():
            raise FileNotFound(text)
        return target

    def CreateDirectory(self, ctx, datastore, displayName=None, policy=None, size=None):
        ds = datastore_of(ctx.server, datastore)
        name = files.datastore_path(ds, displayName or '')
        raise fault('CannotCreateFile', 'Cannot complete file creation operation: the '
                    'datastore %s takes top-level directories as plain directories '
                    '(FileManager.MakeDirectory).' % ds.name, file=name)

    def DeleteDirectory(self, ctx, datastorePath, datacenter=None):
        raise _not_namespace(self._directory(ctx, datacenter, datastorePath,
                                             'datastorePath').ds)

    def ConvertNamespacePathToUuidPath(self, ctx, namespaceUrl, datacenter=None):
        if _VOLUME_PATH.match(namespaceUrl or '') is None:
            raise files.invalid_path(namespaceUrl or '')
        self._directory(ctx, datacenter, namespaceUrl, 'namespaceUrl')
        return namespaceUrl

    def QueryDirectoryInfo(self, ctx, stableName, datacenter=None):
        self._directory(ctx, datacenter, stableName, 'stableName')
        raise _vsan_only()

    def IncreaseDirectorySize(self, ctx, stableName, size, datacenter=None):
        if size is None or size <= 0:
            raise InvalidArgument('size')
        self._directory(ctx, datacenter, stableName, 'stableName')
        raise _vsan_only()
