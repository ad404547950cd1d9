"""The datastore namespace on disk: each Datastore's contents are a real
directory (`<root>/<vmfs uuid>`, as ESXi mounts it at /vmfs/volumes/<uuid>),
so /folder, the datastore browser, FileManager, VirtualDiskManager and the
VMs' own files share one truth.

The root is `-datastore-dir DIR`, or `DIR/datastores` with `-state DIR`
(emptied at start: the journal's replay rebuilds it, /folder uploads and
deletions included, `apply_recorded`), else a temporary directory removed
with the simulator. Virtual disk extents
are sparse files of the disk's size: capacity costs no disk space.

The VMs the model holds are written out lazily: the first use of the
namespace (`materialize`) has every VM write its files (`sync_files`, the
VM side's hook), and from then on each VM keeps its files in step as it
changes. Space: the files of registered VMs are counted by the model (their
`storage_usage`, thin or thick as their backings say); every other file by
what it holds on disk (`loose_usage`), a thin disk's extent by the blocks it
has, a thick one's by its size.

Writes pass `check_writable` first: a read-only NFS datastore refuses
them all.

Paths: 'relative' paths are POSIX paths inside a datastore ('dir/file');
`local_path` refuses any that would leave the datastore's directory.
"""
import atexit
import contextlib
import errno
import os
import re
import urllib.parse

from vimsim.managed.storage.vmdk import Descriptor, DescriptorError
from vimsim.soap.fault import FileNotFound, InvalidArgument, fault

_DATASTORE_PATH = re.compile(r'^\[([^\]]*)\]\s*(.*)$', re.S)
DESCRIPTOR_MAX = 64 * 1024       # a descriptor is a few hundred bytes; bigger is data
UPLOAD_PREFIX = '.vimsim-upload-'  # an upload in progress, renamed into place when whole
COPY_CHUNK = 1 << 20
STATE_DIRECTORY = 'datastores'   # the namespace's place in a -state directory
NAME_MAX = 255                   # bytes of one name in a path (VMFS, ext4)
PATH_MAX = 2048                  # bytes of a whole path inside a datastore (VMFS)


class PathError(ValueError):
    """A relative path that names nothing inside a datastore."""


class DatastoreFile:
    """A file (or directory) a client named: its datastore, its relative
    path there, where it is on disk, and its datastore path '[ds] dir/file'."""

    __slots__ = ('ds', 'relative', 'path', 'name')

    def __init__(self, ds, relative):
        self.ds = ds
        self.relative = normalize(relative)
        self.path = local_path(ds, self.relative)
        self.name = datastore_path(ds, self.relative)

    def exists(self):
        return os.path.lexists(self.path)

    def is_dir(self):
        return os.path.isdir(self.path)

    def parent_exists(self):
        return os.path.isdir(os.path.dirname(self.path))


class Namespace:
    """The datastore directories of one simulator."""

    def __init__(self, server):
        import tempfile    # not at start (with bz2, lzma: 0.6 MB)
        import shutil    # not at start (with bz2, lzma: 0.6 MB)
        self.server = server
        options = server.options
        if options.state:     # rebuilt by the journal's replay (uploads are journaled)
            self.root = os.path.abspath(os.path.join(options.state, STATE_DIRECTORY))
            shutil.rmtree(self.root, ignore_errors=True)
            os.makedirs(self.root)
        elif options.datastore_dir:
            self.root = os.path.abspath(options.datastore_dir)
            os.makedirs(self.root, exist_ok=True)
        else:
            self.root = tempfile.mkdtemp(prefix='vimsim-datastores-')
            atexit.register(shutil.rmtree, self.root, True)
        self.temporary = temporary(options)
        self.materialized = False

    def discard(self):
        """The model these files belong to is gone (Simulator.reset): a
        temporary namespace goes with it; -datastore-dir's directory is the
        operator's and stays; -state's is rebuilt when the next model needs it."""
        import shutil    # not at start (with bz2, lzma: 0.6 MB)
        if self.temporary:
            shutil.rmtree(self.root, ignore_errors=True)

    def materialize(self):
        """Have every VM of the model write its files (once)."""
        if self.materialized:
            return
        self.materialized = True
        for ds in datastores(self.server):
            write_namespaces = getattr(ds, 'write_namespaces', None)
            if write_namespaces is not None:     # vSAN's namespace objects
                write_namespaces()
            for vm in list(ds.vms):
                sync = getattr(vm, 'sync_files', None)
                if sync is not None:
                    sync()


def temporary(options):
    """Whether the datastores' directories are a temporary directory of the
    simulator's own (neither -state nor -datastore-dir names one)."""
    return not options.state and not options.datastore_dir


def namespace(server):
    """The simulator's Namespace, made on first use."""
    found = getattr(server, 'datastore_namespace', None)
    if found is None:
        found = server.datastore_namespace = Namespace(server)
    return found


def datastores(server):
    """Every Datastore of the model (those with a namespace: not recorded ones)."""
    return [obj for obj in server.objects.of_type('Datastore') if hasattr(obj, 'vmfs_uuid')]


# -- paths --------------------------------------------------------------------------------

def split_path(text):
    """'[ds] dir/file' -> ('ds', 'dir/file'); None when it is no datastore path."""
    match = _DATASTORE_PATH.match(text or '')
    if match is None:
        return None
    return match.group(1), match.group(2).strip()


def folder_url_parts(path, query):
    """(dcPath, dsName, relative path) of a /folder URL's path and query
    ('/folder/dir/f.iso', 'dcPath=DC0&dsName=ds'); None when the path is not
    under /folder. Absent parameters are None."""
    if path != '/folder' and not path.startswith('/folder/'):
        return None
    params = urllib.parse.parse_qs(query or '', keep_blank_values=True)
    dc_path = params.get('dcPath', [None])[0]
    ds_name = params.get('dsName', [None])[0]
    return dc_path, ds_name, urllib.parse.unquote(path[len('/folder/'):])


def datacenter_by_path(server, dc_path):
    """The Datacenter at inventory path `dc_path` ('DC0', 'F0/DC0'; on ESXi
    'ha-datacenter'), None when there is none. A path naming none is read
    once more percent-decoded, as vCenter reads it: Ansible's vsphere_copy
    and vsphere_file send a '&' of a datacenter's name as '%26' in the value."""
    wanted = (dc_path or '').strip('/')
    paths = {obj.inventory_path().strip('/'): obj for obj in list(server.objects)
             if getattr(obj, 'type_name', None) == 'Datacenter' and hasattr(obj, 'datastores')}
    return paths.get(wanted) or paths.get(urllib.parse.unquote(wanted))


def datastore_named(datacenter, name):
    """The datacenter's Datastore called `name`, or None."""
    return next((ds for ds in datacenter.datastores
                 if ds.name == name and hasattr(ds, 'vmfs_uuid')), None)


def resolve(server, name, datacenter=None, argument='name'):
    """The DatastoreFile a client names: a datastore path '[ds] dir/file'
    in `datacenter` (a MoRef; may be unset on ESXi, where there is one), or
    a /folder URL, which names its datacenter itself. vCenter's faults:
    InvalidDatastorePath for text that is neither or leaves the datastore,
    InvalidDatastore for a datastore the datacenter has not, InvalidArgument
    for a missing or wrong datacenter."""
    text = name or ''
    if '://' in text:
        try:
            url = urllib.parse.urlsplit(text)
        except ValueError:
            raise invalid_path(text) from None
        parts = folder_url_parts(url.path, url.query)
        if parts is None or parts[0] is None or parts[1] is None:
            raise invalid_path(text)
        dc = datacenter_by_path(server, parts[0])
        if dc is None:
            raise InvalidArgument(argument)
        ds_name, relative = parts[1], parts[2]
    else:
        parsed = split_path(text)
        if parsed is None:
            raise invalid_path(text)
        ds_name, relative = parsed
        dc = datacenter_argument(server, datacenter)
    ds = datastore_named(dc, ds_name)
    if ds is None:
        raise fault('InvalidDatastore', "Invalid datastore '%s'." % ds_name, name=ds_name)
    return on_datastore(ds, relative, text)


def on_datastore(ds, relative, text):
    """The DatastoreFile at `relative` in `ds` (InvalidDatastorePath, naming
    the client's `text`, when it leaves the datastore), with the namespace
    written out."""
    try:
        found = DatastoreFile(ds, relative)
    except PathError:
        raise invalid_path(text) from None
    namespace(ds.server).materialize()
    return found


def datacenter_argument(server, ref):
    """The Datacenter a `datacenter` argument names (on ESXi, unset: its one)."""
    if ref is None:
        if server.esx:
            found = server.objects.of_type('Datacenter')
            if len(found) == 1:
                return found[0]
        raise InvalidArgument('datacenter')
    obj = server.objects.resolve(ref)
    if getattr(obj, 'type_name', None) != 'Datacenter' or not hasattr(obj, 'datastores'):
        raise InvalidArgument('datacenter')
    return obj


def invalid_path(text):
    return fault('InvalidDatastorePath', "Invalid datastore path '%s'." % text,
                 datastorePath=text)


def files_in(ds, folder):
    """The datastore paths of the files in `folder` of `ds` on disk (none
    before the namespace is in use: then every file is a VM's the model has)."""
    if not namespace(ds.server).materialized:
        return set()
    try:
        folder = normalize(folder)
        names = os.listdir(local_path(ds, folder))
    except (PathError, OSError):
        return set()
    prefix = datastore_path(ds, folder + '/' if folder else '')
    return {prefix + name for name in names if not name.startswith(UPLOAD_PREFIX)}


def descriptor_named(ds, name):
    """The VMDK descriptor that datastore path `name` on `ds` holds, or None."""
    parsed = split_path(name)
    try:
        return read_descriptor(local_path(ds, parsed[1])) if parsed else None
    except PathError:
        return None


def renamed_path(name, old, new):
    """`name` with datastore `old` called `new` ('[old] a' -> '[new] a'),
    other names as they are."""
    prefix = '[%s]' % old
    if isinstance(name, str) and name.startswith(prefix):
        return '[%s]%s' % (new, name[len(prefix):])
    return name


def datastore_path(ds, relative):
    return '[%s] %s' % (ds.name, relative)


def normalize(relative):
    """'a//b/./c/' -> 'a/b/c'; PathError for '..', NUL, or names or a path
    longer than VMFS takes."""
    if '\x00' in relative or len(relative.encode('utf-8', 'surrogatepass')) > PATH_MAX:
        raise PathError(relative)
    parts = [p for p in relative.replace('\\', '/').split('/') if p not in ('', '.')]
    if any(p == '..' or len(p.encode('utf-8', 'surrogatepass')) > NAME_MAX for p in parts):
        raise PathError(relative)
    return '/'.join(parts)


@contextlib.contextmanager
def os_faults(name):
    """Answer what the file system refuses while working on `name` as
    vCenter's FileFault (FileNotFound for what is not there)."""
    try:
        yield
    except FileNotFoundError:
        raise FileNotFound(name) from None
    except OSError as error:
        raise fault('FileFault', 'Cannot complete the operation on %s: %s' % (
            name, error.strerror or error), file=name) from None


def guarded(name, work):
    """A task's `work(task)` with `os_faults(name)` around it."""
    def run(task):
        with os_faults(name):
            return work(task)
    return run


def directory(ds):
    """The datastore's directory on disk (made when missing)."""
    path = os.path.join(namespace(ds.server).root, ds.vmfs_uuid)
    if not os.path.isdir(path):
        os.makedirs(path, exist_ok=True)
    return path


def local_path(ds, relative):
    """The file on disk of `relative` inside `ds` (PathError if it leaves it)."""
    base = directory(ds)
    relative = normalize(relative)
    path = os.path.join(base, relative) if relative else base
    real = os.path.realpath(path)
    if real != os.path.realpath(base) and not real.startswith(os.path.realpath(base) + os.sep):
        raise PathError(relative)
    return path


def check_writable(ds):
    """The one gate every write to a datastore's files passes (FileManager,
    VirtualDiskManager, /folder, new VM files): a datastore no host mounts
    read-write (an NFS export mounted `readOnly`) answers
    DatastoreNotWritableOnHost, naming a host that mounts it."""
    if ds.read_only:
        host = ds.hosts[0]
        raise fault('DatastoreNotWritableOnHost', "The datastore '%s' is mounted read-only on "
                    "host '%s'." % (ds.name, host.name), datastore=ds.ref, name=ds.name,
                    host=host.ref)


def touched(ds):
    """Something changed on `ds` outside its VMs' own files: its loose usage
    is counted again on next read, and watchers of its space hear of it."""
    files_changed(ds)
    ds.__dict__.pop('_loose_usage', None)
    ds.changed('summary', 'info')


def files_changed(ds):
    """Files on `ds` were written, replaced or removed (`touched`, and a VM
    writing or letting go of its own): what was read from them is stale."""
    ds.__dict__['_files_generation'] = files_generation(ds) + 1


def files_generation(ds):
    """Counts the changes of `ds`'s files (files_changed): what was read from
    them holds while it stays the same."""
    return ds.__dict__.get('_files_generation', 0)


# -- space ----------------------------------------------------------------------------------

def loose_usage(ds):
    """(committed, uncommitted) bytes of the files on `ds` that no registered
    VM holds: uploads, disks made by VirtualDiskManager, unregistered VMs."""
    cached = ds.__dict__.get('_loose_usage')
    if cached is not None:
        return cached
    server = ds.server
    if getattr(server, 'datastore_namespace', None) is None and temporary(server.options):
        ds._loose_usage = (0, 0)    # a temporary directory not made yet holds no file
        return ds._loose_usage
    base = os.path.join(namespace(server).root, ds.vmfs_uuid)
    owned = None
    committed = uncommitted = 0
    for top, dirs, files in os.walk(base):
        for name in files:
            path = os.path.join(top, name)
            if owned is None:
                owned = held_paths(ds, ds.vms)
            if path in owned:
                continue
            used, promised = file_usage(path)
            committed += used
            uncommitted += promised
    ds._loose_usage = (committed, uncommitted)
    return ds._loose_usage


def held_paths(ds, vms):
    """The local paths of the files `vms` have on `ds`."""
    base = os.path.join(namespace(ds.server).root, ds.vmfs_uuid)
    prefix = '[%s] ' % ds.name
    held = set()
    for vm in vms:
        files = getattr(vm, 'files', None)
        if files is None:
            continue
        for name, _, _ in files():
            if name.startswith(prefix):
                try:
                    held.add(os.path.join(base, normalize(name[len(prefix):])))
                except PathError:
                    pass
    return held


def locked(target):
    """The datastore path of a file a powered-on VM holds open at or under
    `target` (a DatastoreFile), None when there is none (FileLocked)."""
    running = [vm for vm in target.ds.vms if getattr(vm, 'power_state', None) == 'poweredOn']
    base = os.path.join(namespace(target.ds.server).root, target.ds.vmfs_uuid) + os.sep
    # through an alias (a vSAN namespace object's friendly name) to the files it links
    real = os.path.normpath(os.path.join(base, os.path.relpath(
        os.path.realpath(target.path), os.path.realpath(base))))
    inside = real + os.sep
    for path in sorted(held_paths(target.ds, running)):
        if path == real or path.startswith(inside):
            return datastore_path(target.ds, path[len(base):])
    return None


def file_usage(path):
    """(committed, uncommitted) bytes of one file: a thin disk's extent has
    the blocks it holds committed and the rest of its size promised; any
    other file takes its size."""
    try:
        st = os.stat(path)
    except OSError:
        return 0, 0
    descriptor = extent_descriptor(path)
    if descriptor is not None and (descriptor.thin or descriptor.create_type != 'vmfs'):
        used = min(st.st_blocks * 512, st.st_size)
        return used, max(descriptor.capacity_bytes - used, 0)
    return st.st_size, 0


def extent_descriptor(path):
    """The descriptor of the disk whose data file is `path`, or None."""
    descriptor = extent_descriptor_path(path)
    return read_descriptor(descriptor) if descriptor is not None else None


def extent_descriptor_path(path):
    """The descriptor file beside data file `path` ('x-flat.vmdk': 'x.vmdk'), or None."""
    for suffix in ('-flat.vmdk', '-sesparse.vmdk', '-delta.vmdk'):
        if path.endswith(suffix):
            return path[:-len(suffix)] + '.vmdk'
    return None


def read_descriptor(path):
    """The Descriptor in file `path`, None when it holds none."""
    try:
        with open(path, 'rb') as f:
            data = f.read(DESCRIPTOR_MAX + 1)
    except OSError:
        return None
    if len(data) > DESCRIPTOR_MAX:
        return None
    try:
        return Descriptor.parse(data.decode('utf-8'))
    except (UnicodeDecodeError, DescriptorError):
        return None


# -- changing files ----------------------------------------------------------------------------

def write_file(path, data):
    """Write `data` (bytes) to `path` in one step (a reader never sees half)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = path + '.vimsim-tmp'
    with open(temporary, 'wb') as f:
        f.write(data)
    os.replace(temporary, path)


def sparse_file(path, size):
    """A file of `size` bytes that holds no blocks (a disk extent); an
    existing file keeps its data and takes the size."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'ab') as f:
        f.truncate(size)


def remove(path):
    """Remove a file or a whole directory tree."""
    import shutil    # not at start (with bz2, lzma: 0.6 MB)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def remove_empty_dirs(path, stop):
    """Remove `path` and its parents up to (not including) `stop` while empty."""
    while path != stop and path.startswith(stop + os.sep):
        try:
            os.rmdir(path)
        except OSError:
            return
        path = os.path.dirname(path)


def move(source, target):
    """Move a file or tree (across datastores too)."""
    import shutil    # not at start (with bz2, lzma: 0.6 MB)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.move(source, target)


def copy(source, target):
    """Copy a file or tree; files keep their holes (a sparse extent stays sparse)."""
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
        for name in os.listdir(source):
            copy(os.path.join(source, name), os.path.join(target, name))
        return
    _copy_data(source, target, None)


def copy_without_zeros(source, target, block):
    """Copy file `source` to `target` leaving a hole for each `block`-sized
    piece that holds only zeros (what shrinking a sparse disk gives back)."""
    _copy_data(source, target, block)


def overlay(source, target):
    """Write the data of file `source` (its holes skipped) over file
    `target` at the same offsets: a delta consolidated into its parent. A
    target with other links (a journaled upload's content, which is never
    changed in place) is copied apart first."""
    if os.stat(target).st_nlink > 1:
        fresh = target + '.vimsim-tmp'
        _copy_data(target, fresh, None)
        os.replace(fresh, target)
    _copy_data(source, target, None, 'r+b')


def _copy_data(source, target, block, mode='wb'):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(source, 'rb') as src, open(target, mode) as dst:
        size = os.fstat(src.fileno()).st_size
        for start, end in data_ranges(src.fileno(), size):
            src.seek(start)
            offset = start
            while offset < end:
                chunk = src.read(min(end - offset, block or COPY_CHUNK))
                if not chunk:
                    break
                if block is None or chunk.count(0) != len(chunk):
                    dst.seek(offset)
                    dst.write(chunk)
                offset += len(chunk)
        if mode == 'wb':
            dst.truncate(size)


def data_ranges(fd, size):
    """(start, end) of each run of data in open file `fd`, its holes skipped."""
    offset = 0
    while offset < size:
        try:
            data_at = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError as error:
            if error.errno != errno.ENXIO:    # ENXIO: nothing but a hole to the end
                raise
            return
        hole_at = os.lseek(fd, data_at, os.SEEK_HOLE)
        yield data_at, hole_at
        offset = hole_at


def apply_recorded(server, datastore_moid, relative, content=None):
    """Replay a journaled /folder change: put `content` (a kept file, linked
    into place, not copied) at `relative` on the datastore, or remove what
    is there when there is no content."""
    ds = next(d for d in datastores(server) if d.ref.value == datastore_moid)
    target = on_datastore(ds, relative, relative)
    if content is None:
        os.unlink(target.path)
    else:
        temporary = target.path + '.vimsim-tmp'
        os.makedirs(os.path.dirname(target.path), exist_ok=True)
        os.link(content, temporary)
        os.replace(temporary, target.path)
    touched(ds)
