"""FileManager: make directories, and delete, move and copy datastore files
and folders (across datastores too), on the datastore namespace on disk
(datastore_files.py). Names are datastore paths with a datacenter, or
/folder URLs.

vCenter's faults: FileNotFound for a source that is not there (or a
destination whose folder is missing), FileAlreadyExists for a destination
that is, unless `force`; FileLocked for files a powered-on VM holds;
NoDiskSpace when a copy, or a move to another datastore, does not fit.
QueryFileLockInfo reads a file's VMFS lock: a powered-on VM's files are held
exclusively by the host that runs it, any other file is free (the lock
fields' values are chosen the way `vmkfstools -D` reports them, without a
vCenter 8.0.2 to compare).
"""
import hashlib
import os

from vimsim import clock
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.storage import changed_block_tracking
from vimsim.managed.storage import datastore_files as files
from vimsim.soap.fault import FileAlreadyExists, FileLocked, FileNotFound, fault





def check_unlocked(target):
    held = files.locked(target)
    if held is not None:
        raise FileLocked(held)


def check_room(ds, needed, name):
    """NoDiskSpace when `ds` has not `needed` bytes free."""
    if needed > ds.free_space:
        raise fault('NoDiskSpace', "Insufficient disk space on datastore '%s'." % ds.name,
                    file=name, datastore=ds.name)


def tree_usage(path):
    """Bytes the file or tree at `path` commits (as `file_usage` counts them)."""
    if not os.path.isdir(path):
        return files.file_usage(path)[0]
    return sum(files.file_usage(os.path.join(top, name))[0]
               for top, _, names in os.walk(path) for name in names)


@manager_type('FileManager')
class FileManager(Manager):

    def _file(self, ctx, name, datacenter, argument='name', writing=True):
        found = files.resolve(ctx.server, name, datacenter, argument)
        if writing:
            files.check_writable(found.ds)
        return found

    def MakeDirectory(self, ctx, name, datacenter=None, createParentDirectories=False):
        target = self._file(ctx, name, datacenter)
        if target.exists() or not target.relative:
            raise FileAlreadyExists(target.name)
        target.ds.check_top_level(target.relative)
        if not target.parent_exists() and not createParentDirectories:
            raise FileNotFound(files.datastore_path(
                target.ds, os.path.dirname(target.relative)))
        with files.os_faults(target.name):
            os.makedirs(target.path, exist_ok=True)
        return None

    def DeleteDatastoreFile_Task(self, ctx, name, datacenter=None):
        target = self._file(ctx, name, datacenter)

        def work(task):
            if not target.exists():
                raise FileNotFound(target.name)
            if not target.relative:
                raise fault('InvalidDatastorePath', "Invalid datastore path '%s'." % name,
                            datastorePath=name)
            check_unlocked(target)
            uuid = target.ds.namespace_uuid(target.relative)
            if uuid is not None:      # a vSAN namespace object goes with its alias
                target.ds.remove_namespace(uuid)
            else:
                files.remove(target.path)
            files.touched(target.ds)
            return None
        return run_task(ctx, None, 'DeleteDatastoreFile_Task', files.guarded(target.name, work),
                        this=self)

    def MoveDatastoreFile_Task(self, ctx, sourceName, destinationName, sourceDatacenter=None,
                               destinationDatacenter=None, force=False):
        source = self._file(ctx, sourceName, sourceDatacenter, 'sourceName')
        target = self._file(ctx, destinationName, destinationDatacenter, 'destinationName')

        def work(task):
            self._check_transfer(source, target, force)
            check_unlocked(source)
            if target.ds is not source.ds:
                check_room(target.ds, tree_usage(source.path), target.name)
            if target.exists():
                files.remove(target.path)
            files.move(source.path, target.path)
            changed_block_tracking.moved(self.server, source.path, target.path)
            files.touched(source.ds)
            files.touched(target.ds)
            return None
        return run_task(ctx, None, 'MoveDatastoreFile_Task', files.guarded(target.name, work),
                        this=self)

    def CopyDatastoreFile_Task(self, ctx, sourceName, destinationName, sourceDatacenter=None,
                               destinationDatacenter=None, force=False):
        source = self._file(ctx, sourceName, sourceDatacenter, 'sourceName', writing=False)
        target = self._file(ctx, destinationName, destinationDatacenter, 'destinationName')

        def work(task):
            self._check_transfer(source, target, force, merge=True)
            check_room(target.ds, tree_usage(source.path), target.name)
            files.copy(source.path, target.path)
            files.touched(target.ds)
            return None
        return run_task(ctx, None, 'CopyDatastoreFile_Task', files.guarded(target.name, work),
                        this=self)

    @staticmethod
    def _check_transfer(source, target, force, merge=False):
        """The checks a move or copy makes before it changes anything; a
        copy (`merge`) of a folder into an existing folder conflicts only
        where a file exists on both sides."""
        if not source.exists() or not source.relative:
            raise FileNotFound(source.name)
        if not target.relative or target.path == source.path \
                or target.path.startswith(source.path + os.sep):
            raise fault('FileFault', 'Cannot move or copy %s onto %s.' % (
                source.name, target.name), file=target.name)
        if not target.parent_exists():
            raise FileNotFound(files.datastore_path(target.ds,
                                                      os.path.dirname(target.relative)))
        if not target.exists() or force:
            if target.exists() and source.is_dir() != target.is_dir():
                raise FileAlreadyExists(target.name)
            return
        if not (merge and source.is_dir() and target.is_dir()):
            raise FileAlreadyExists(target.name)
        for top, _, names in os.walk(source.path):
            for name in names:
                inside = os.path.relpath(os.path.join(top, name), source.path)
                if os.path.lexists(os.path.join(target.path, inside)):
                    raise FileAlreadyExists(files.datastore_path(
                        target.ds, '%s/%s' % (target.relative, inside)))

    def QueryFileLockInfo(self, ctx, path, host=None):
        """The lock on the file at `path` (/vmfs/volumes/<volume>/<file>, the
        volume by uuid or name) as `host` sees it; vCenter needs the host,
        ESXi is its own."""
        server = ctx.server
        if host is None:
            if not server.esx:
                raise fault('InvalidArgument', 'A specified parameter was not correct: host',
                            invalidProperty='host')
            seen_from = server.objects.of_type('HostSystem')[0]
        else:
            seen_from = ctx.server.objects.resolve(host)
            if seen_from.type_name != 'HostSystem':
                raise fault('InvalidArgument', 'A specified parameter was not correct: host',
                            invalidProperty='host')
        files.namespace(server).materialize()
        ds, local = volume_file(seen_from, path)
        if ds is None or not os.path.isfile(local):
            raise FileNotFound(path)
        T = server.schema.types
        holder = next((vm for vm in ds.vms if getattr(vm, 'power_state', None) == 'poweredOn'
                       and local in files.held_paths(ds, [vm])), None)
        if holder is None:
            lock = T['FileLockInfo'].cls(filePath=path, host='', mac='', id='', worldName='',
                                         lockMode='none', refCount=0)
        else:
            runner = holder.host
            lock = T['FileLockInfo'].cls(
                filePath=path, host=runner.name, mac=_management_mac(runner),
                id=hashlib.sha1(local.encode()).hexdigest()[:16], worldName='vmx-%s' % holder.name,
                ownerId=runner.system_uuid,
                lockMode='exclusive', acquired=holder.boot_time, heartbeat=clock.now(),
                refCount=1)
        return T['FileLockInfoResult'].cls(lockInfo=[lock])

    def ChangeOwner(self, ctx, name, owner, datacenter=None):
        # "This method is currently not supported." (the API reference)
        raise fault('NotSupported', 'The operation is not supported on the object.')


def volume_file(host, path):
    """(datastore, local file) of a /vmfs/volumes/<uuid or name>/<file> path on
    a datastore `host` mounts; (None, None) for anything else."""
    parts = (path or '').split('/', 4)
    if len(parts) < 5 or parts[0] or parts[1:3] != ['vmfs', 'volumes'] or not parts[4]:
        return None, None
    ds = next((d for d in host.datastores if parts[3] in (d.vmfs_uuid, d.name)), None)
    if ds is None:
        return None, None
    try:
        return ds, files.local_path(ds, parts[4])
    except files.PathError:
        return None, None


def _management_mac(host):
    """The MAC address of the host's management vmknic (vmk0)."""
    vnics = host.config.network.vnic if host.config and host.config.network else []
    return vnics[0].spec.mac if vnics and vnics[0].spec is not None else ''
