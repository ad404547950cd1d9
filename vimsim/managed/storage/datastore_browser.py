"""HostDatastoreBrowser: the browser of a host's datastores
(HostSystem.datastoreBrowser) or of one datastore (Datastore.browser), and
the file queries it supports.

SearchDatastore_Task lists one folder, SearchDatastoreSubFolders_Task it
and every folder below, from the datastore namespace on disk: a file is
returned when it matches one of `matchPattern` (all when none) and one of
the queries (all when none), as the query's FileInfo subtype (a folder as
FolderFileInfo, a VMDK descriptor as VmDiskFileInfo read from the
descriptor, ...) with what `details` and the query's own details ask for.
"""
import fnmatch
import os
from datetime import datetime, timezone

from vimsim.managed.base import ManagedObject
from vimsim.managed.entity import data_types, refs
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.storage import datastore_files as files
from vimsim.managed.storage.vmdk import BACKINGS, CONTROLLERS
from vimsim.soap.fault import FileNotFound, fault

# file name ending -> the FileQuery type that finds it (folders: FolderFileQuery)
KINDS = (('.vmx', 'VmConfigFileQuery'), ('.vmtx', 'TemplateConfigFileQuery'),
         ('.vmdk', 'VmDiskFileQuery'), ('.vmsn', 'VmSnapshotFileQuery'),
         ('.nvram', 'VmNvramFileQuery'), ('.log', 'VmLogFileQuery'),
         ('.iso', 'IsoImageFileQuery'), ('.flp', 'FloppyImageFileQuery'))
DISK_DATA = ('-flat.vmdk', '-delta.vmdk', '-sesparse.vmdk', '-ctk.vmdk', '-rdm.vmdk',
             '-rdmp.vmdk')
HIDDEN = (files.UPLOAD_PREFIX,)
OWNER = 'root'


def file_kind(name, is_dir, path):
    """The FileQuery type name that finds this file; None for data files
    (disk extents) that only the base FileQuery finds."""
    if is_dir:
        return 'FolderFileQuery'
    lower = name.lower()
    if lower.endswith(DISK_DATA):
        return None
    for suffix, kind in KINDS:
        if lower.endswith(suffix):
            if kind == 'VmDiskFileQuery' and files.read_descriptor(path) is None:
                return None
            return kind
    return None


class HostDatastoreBrowser(ManagedObject):
    type_name = 'HostDatastoreBrowser'
    supportedType = ()

    def __init__(self, server, moid, datastores):
        super().__init__(server, moid)
        self._datastores = datastores   # a live list (a host's or a datastore's own)
        T = data_types(server)
        self.supportedType = [T.FolderFileQuery(), T.VmConfigFileQuery(), T.TemplateConfigFileQuery(),
                              T.VmDiskFileQuery(), T.FloppyImageFileQuery(), T.IsoImageFileQuery(),
                              T.VmNvramFileQuery(), T.VmLogFileQuery()]

    @property
    def datastore(self):
        return refs(self._datastores)

    # -- searches ---------------------------------------------------------------------
    def SearchDatastore_Task(self, ctx, datastorePath, searchSpec=None):
        folder = self._folder(datastorePath)
        return run_task(ctx, None, 'SearchDatastore_Task', files.guarded(
            folder.name, lambda task: self._search(folder, searchSpec)), this=self)

    def SearchDatastoreSubFolders_Task(self, ctx, datastorePath, searchSpec=None):
        folder = self._folder(datastorePath)

        def work(task):
            top = self._search(folder, searchSpec)    # FileNotFound when it is not there
            results = [top]
            for current, dirs, _ in os.walk(folder.path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(HIDDEN))
                for name in dirs:
                    relative = os.path.relpath(os.path.join(current, name),
                                               files.directory(folder.ds))
                    results.append(self._search(files.DatastoreFile(folder.ds, relative),
                                                searchSpec))
            return results
        return run_task(ctx, None, 'SearchDatastoreSubFolders_Task',
                        files.guarded(folder.name, work), this=self)

    def DeleteFile(self, ctx, datastorePath):
        """Delete a file (a disk with its extents) or folder of the datastore."""
        target = self._folder(datastorePath)
        if not target.exists() or not target.relative:
            raise FileNotFound(target.name)
        if files.locked(target) is not None:
            raise fault('CannotDeleteFile', 'Cannot delete file %s' % target.name,
                        file=target.name)
        with files.os_faults(target.name):
            self._delete(target)

    @staticmethod
    def _delete(target):
        descriptor = files.read_descriptor(target.path) if not target.is_dir() else None
        if descriptor is not None:
            for _, _, _, extent in descriptor.extents:
                extent_path = os.path.join(os.path.dirname(target.path), extent)
                if os.path.dirname(extent_path) == os.path.dirname(target.path) \
                        and os.path.exists(extent_path):
                    os.unlink(extent_path)
        files.remove(target.path)
        files.touched(target.ds)

    def _folder(self, datastore_path):
        """The DatastoreFile of `datastore_path` on one of this browser's datastores."""
        parsed = files.split_path(datastore_path)
        if parsed is None:
            raise files.invalid_path(datastore_path)
        ds = next((d for d in self._datastores if d.name == parsed[0]), None)
        if ds is None:
            raise fault('InvalidDatastore', "Invalid datastore '%s'." % parsed[0],
                        name=parsed[0])
        return files.on_datastore(ds, parsed[1], datastore_path)

    def _search(self, folder, spec):
        T = data_types(self.server)
        if not folder.is_dir():
            raise FileNotFound(folder.name)
        spec = spec or T.HostDatastoreBrowserSearchSpec()
        patterns = list(spec.matchPattern or [])
        fold = bool(spec.searchCaseInsensitive)
        entries = []
        for name in os.listdir(folder.path):
            if name.startswith(HIDDEN):
                continue
            if patterns and not any(_matches(name, pattern, fold) for pattern in patterns):
                continue
            path = os.path.join(folder.path, name)
            is_dir = os.path.isdir(path)
            info = self._file_info(name, path, is_dir, spec)
            if info is not None:
                entries.append((is_dir, name, info))
        if spec.sortFoldersFirst:
            entries.sort(key=lambda entry: (not entry[0], entry[1]))
        else:
            entries.sort(key=lambda entry: entry[1])
        folder_path = '[%s]' % folder.ds.name + (' %s/' % folder.relative if folder.relative
                                                else '')
        return T.HostDatastoreBrowserSearchResults(
            datastore=folder.ds.ref, folderPath=folder_path, file=[e[2] for e in entries])

    def _file_info(self, name, path, is_dir, spec):
        """The FileInfo of one file, None when no query of `spec` finds it."""
        kind = file_kind(name, is_dir, path)
        queries = list(spec.query or [])
        query = None
        if queries:
            query = next((q for q in queries if type(q).__name__ == kind), None)
            if query is None:
                if is_dir or not any(type(q).__name__ == 'FileQuery' for q in queries):
                    return None
                kind = None
        details = spec.details         # without it, or its fileType, every file is a FileInfo
        typed = kind is not None and details is not None and details.fileType
        info_type = kind[:-len('Query')] + 'Info' if typed else 'FileInfo'
        fields = {'path': name}
        try:
            st = os.stat(path)
        except OSError:
            return None
        if details is not None:
            if details.fileSize:
                fields['fileSize'] = st.st_size
            if details.modification:
                fields['modification'] = datetime.fromtimestamp(st.st_mtime, timezone.utc)
            if details.fileOwner:
                fields['owner'] = OWNER
        if kind == 'VmDiskFileQuery':
            disk = _disk_fields(path, getattr(query, 'details', None))
            if disk is None or not _disk_matches(disk[1], getattr(query, 'filter', None)):
                return None
            if typed:
                fields.update(disk[0])
        elif kind in ('VmConfigFileQuery', 'TemplateConfigFileQuery'):
            version = _config_version(path)
            wanted = getattr(getattr(query, 'filter', None), 'matchConfigVersion', None)
            if wanted and version not in wanted:
                return None
            if typed and getattr(getattr(query, 'details', None), 'configVersion', False):
                fields['configVersion'] = version
        return getattr(data_types(self.server), info_type)(**fields)


def _matches(name, pattern, fold):
    if fold:
        return fnmatch.fnmatchcase(name.lower(), pattern.lower())
    return fnmatch.fnmatchcase(name, pattern)


def _disk_fields(path, flags):
    """(the VmDiskFileInfo fields `flags` ask for, every fact the filter
    may test) of a descriptor file; None when it is no descriptor."""
    descriptor = files.read_descriptor(path)
    if descriptor is None:
        return None
    facts = {'diskType': BACKINGS.get(descriptor.create_type, 'VirtualDiskFlatVer2BackingInfo'),
             'capacityKb': descriptor.capacity_bytes // 1024,
             'hardwareVersion': descriptor.hw_version or 0,
             'controllerType': CONTROLLERS.get(descriptor.adapter, 'VirtualLsiLogicController'),
             'diskExtents': [extent for _, _, _, extent in descriptor.extents],
             'thin': descriptor.thin}
    if flags is None:
        return {}, facts
    return {name: value for name, value in facts.items() if getattr(flags, name, False)}, facts


def _disk_matches(facts, flt):
    if flt is None:
        return True
    if flt.diskType and facts['diskType'] not in flt.diskType:
        return False
    if flt.matchHardwareVersion and facts['hardwareVersion'] not in flt.matchHardwareVersion:
        return False
    if flt.controllerType and facts['controllerType'] not in flt.controllerType:
        return False
    return flt.thin is None or flt.thin == facts['thin']


def _config_version(path):
    """config.version of a .vmx (8 when it does not say)."""
    try:
        with open(path, 'rb') as f:
            text = f.read(64 * 1024).decode('utf-8', 'replace')
    except OSError:
        return 8
    for line in text.splitlines():
        key, _, value = line.partition('=')
        if key.strip() == 'config.version':
            value = value.strip().strip('"')
            return int(value) if value.isdigit() else 8
    return 8
