"""The vSAN datastore of a cluster (a Datastore of type `vsan`).

One per vSAN-enabled cluster, mounted by its vSAN-enabled hosts at
`/vmfs/volumes/vsan:<cluster uuid as two 16-digit halves>`, as ESXi mounts
it; its capacity is what their mounted disk groups' capacity disks hold
(host/vsan_system.py), counted on read.

Its top level holds namespace objects only, as vSAN's does: each a directory
named by a uuid, with a friendly name (its alias) beside it, a link to it
(`namespaces`, the model's, with `namespace_aliases` to find one by its
alias at once; written to the datastore directory when the namespace is in
use). Only add_namespace and remove_namespace change which there are, and
an alias stays what it was made (vSAN renames none). DatastoreNamespaceManager.CreateDirectory makes them,
vCenter makes one for each new VM's home, and FileManager makes none
(`topLevelDirectoryCreateSupported` false). Within a namespace object files
are plain ones; vSAN's object layout is not simulated beneath them.
"""
import os

from vimsim import clock
from vimsim.managed.entity import data_types
from vimsim.managed.storage import datastore_files as files
from vimsim.managed.storage.datastore import TiB, Datastore
from vimsim.soap.fault import fault

MAX_FILE_SIZE = 128 * TiB
MAX_VIRTUAL_DISK = 62 * TiB
MAX_MEMORY_FILE = (1 << 63) - 1
NAMESPACE_MB = 255 * 1024   # a namespace object's size unless CreateDirectory gives one


def container_id(cluster_uuid):
    """The vSAN container id ESXi names the datastore by: the cluster uuid's
    32 hex digits as two halves of 16."""
    digits = cluster_uuid.replace('-', '')
    return '%s-%s' % (digits[:16], digits[16:])


class VsanDatastore(Datastore):
    fs_type = 'vsan'

    def __init__(self, server, moid, name, folder, cluster_uuid):
        self.container = container_id(cluster_uuid)
        super().__init__(server, moid, name, folder, 'vsan:' + self.container, local=False)
        self.extents = []
        self.namespaces = {}    # namespace object uuid -> [alias, size in MB]
        self.namespace_aliases = {}  # alias -> uuid: what add_namespace and remove_namespace keep

    @property
    def capacity(self):
        """The capacity disks of the mounting hosts' mounted disk groups."""
        return sum(host.managers['vsanSystem'].capacity_bytes() for host in self.hosts)

    @capacity.setter
    def capacity(self, value):
        """Datastore's constructor sets a capacity; vSAN's is its disks' (above)."""

    @property
    def overhead(self):
        return 0                # vSAN's metadata lives outside the capacity it reports

    def volume(self):
        T = self.T
        return T.HostFileSystemVolume(type='vsan', name=self.name, capacity=self.capacity)

    @property
    def info(self):
        return self.T.VsanDatastoreInfo(
            name=self.name, url=self.url, freeSpace=self.free_space, maxFileSize=MAX_FILE_SIZE,
            maxVirtualDiskCapacity=MAX_VIRTUAL_DISK, maxMemoryFileSize=MAX_MEMORY_FILE,
            timestamp=clock.now(), containerId=self.container, aliasOf=self.container)

    @property
    def capability(self):
        return data_types(self.server).DatastoreCapability(
            directoryHierarchySupported=True, rawDiskMappingsSupported=True,
            perFileThinProvisioningSupported=True, storageIORMSupported=False,
            nativeSnapshotSupported=False, topLevelDirectoryCreateSupported=False,
            seSparseSupported=False, vmfsSparseSupported=False, vsanSparseSupported=True,
            upitSupported=False, vmdkExpandSupported=True, clusteredVmdkSupported=False)

    # -- namespace objects -------------------------------------------------------------
    def namespace_uuid(self, name):
        """The uuid of the namespace object a top-level name (its uuid or
        its alias) names, None when it names none."""
        if name in self.namespaces:
            return name
        return self.namespace_aliases.get(name)

    def check_top_level(self, relative):
        """CannotCreateFile for what would be made at the top outside the
        namespace objects (a directory or a file there is vSAN's to make)."""
        if self.namespace_uuid(relative.split('/', 1)[0]) is None:
            name = files.datastore_path(self, relative)
            raise fault('CannotCreateFile', 'Cannot complete file creation operation: the '
                        'top level of %s holds vSAN namespace objects only '
                        '(DatastoreNamespaceManager.CreateDirectory).' % self.name, file=name)

    def alias_path(self, directory):
        first, slash, rest = directory.partition('/')
        entry = self.namespaces.get(first)
        return entry[0] + slash + rest if entry is not None else directory

    def home_directories(self):
        return map(self.alias_path, super().home_directories())

    def place_home(self, directory, stem):
        """A VM's home is in a namespace object: the one its top directory
        names, else a new one vCenter makes with that alias (a VM at the top
        cannot be: CannotCreateFile)."""
        if not directory:
            self.check_top_level(stem + '.vmx')
        first, slash, rest = directory.partition('/')
        uuid = self.namespace_uuid(first)
        if uuid is not None:
            return uuid + slash + rest, None
        uuid = self.server.new_uuid()
        return uuid + slash + rest, (uuid, first)

    def add_namespace(self, uuid, alias, size_mb=NAMESPACE_MB):
        """A namespace object `uuid` called `alias` (FileAlreadyExists when a
        top-level name is taken)."""
        if self.namespace_uuid(alias) is not None:
            raise fault('FileAlreadyExists', 'Cannot complete the operation because the file '
                        'or folder %s already exists' % files.datastore_path(self, alias),
                        file=files.datastore_path(self, alias))
        self.namespaces[uuid] = [alias, size_mb]
        self.namespace_aliases[alias] = uuid
        if files.namespace(self.server).materialized:
            self.write_namespace(uuid)
        return uuid

    def remove_namespace(self, uuid):
        """The namespace object `uuid` goes, with what it holds."""
        alias, _ = self.namespaces.pop(uuid)
        del self.namespace_aliases[alias]
        for name in (uuid, alias):
            path = files.local_path(self, name)
            if os.path.lexists(path):
                files.remove(path)
        files.touched(self)

    def write_namespace(self, uuid):
        """The namespace object's directory and its alias on disk."""
        path = files.local_path(self, uuid)
        os.makedirs(path, exist_ok=True)
        alias = files.local_path(self, self.namespaces[uuid][0])
        if not os.path.lexists(alias):
            os.symlink(uuid, alias)

    def write_namespaces(self):
        """Every namespace object on disk (the namespace comes into use)."""
        for uuid in self.namespaces:
            self.write_namespace(uuid)

    def release_home(self, directory):
        """A destroyed VM's home namespace goes with it (vCenter deletes it)
        once nothing else is in it."""
        uuid = directory.split('/', 1)[0]
        if uuid not in self.namespaces:
            return
        if any(vm.datastore_object is self and vm.dir_name.split('/', 1)[0] == uuid
               for vm in self.vms):
            return
        path = files.local_path(self, uuid)
        if files.namespace(self.server).materialized and os.path.isdir(path) \
                and os.listdir(path):
            return
        self.remove_namespace(uuid)

    def stable_path(self, relative):
        """'/vmfs/volumes/vsan:<container>/<relative>', the path of a file
        that names no alias."""
        return '/vmfs/volumes/%s/%s' % (self.vmfs_uuid, relative)

    def uuid_relative(self, relative):
        """`relative` with its namespace alias replaced by the object's uuid."""
        first, slash, rest = relative.partition('/')
        uuid = self.namespace_uuid(first)
        return uuid + slash + rest if uuid is not None else relative
