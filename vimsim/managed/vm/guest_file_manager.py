"""GuestFileManager: files and directories of the simulated guest, and the
one-use `/guestFile` URLs that carry a file's bytes in or out
(vimsim/server/guest_file.py serves them)."""
import re

from vimsim import clock
from vimsim.managed.entity import data_types
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.vm.simulated_guest import Node, not_a_directory, not_a_file
from vimsim.soap.fault import FileAlreadyExists, FileNotFound, InvalidArgument, fault

TRANSFER_LIFETIME = 600   # s a transfer URL stays good for its one use


class Transfer:
    """A granted file transfer: into the guest (`size` bytes, `attributes`,
    `overwrite`) or out of it (`size` None), for `user` (whose privileges
    the transfer needs when it happens too)."""
    __slots__ = ('id', 'token', 'user', 'vm', 'path', 'size', 'attributes', 'overwrite',
                 'expires')

    def __init__(self, id_, token, user, vm, path, size=None, attributes=None,
                 overwrite=False):
        self.id = id_
        self.token = token
        self.user = user
        self.vm = vm
        self.path = path
        self.size = size
        self.attributes = attributes
        self.overwrite = overwrite
        self.expires = clock.seconds() + TRANSFER_LIFETIME

    @property
    def upload(self):
        return self.size is not None


def permission_denied():
    return fault('GuestPermissionDenied', 'Insufficient permissions in guest operating system.')


def check_writable(guest, node):
    """A read-only Windows file refuses deletion and overwriting."""
    if guest.windows and node.read_only:
        raise permission_denied()


def file_target(guest, path, param, overwrite):
    """(directory, name, the file there or None) of a file to be written at
    `path`, after the faults that meets: a missing directory, a directory
    there, a file there without `overwrite`, a read-only one. An upload
    meets them at its start and again when its bytes come."""
    parent, name = guest.files.parent(path, param)
    existing = parent.children.get(guest.files.key(name))
    if existing is not None:
        if existing.is_dir:
            raise not_a_file(path)
        if not overwrite:
            raise FileAlreadyExists(path)
        check_writable(guest, existing)
    return parent, name, existing


def attributes_of(T, guest, node):
    if guest.windows:
        return T.GuestWindowsFileAttributes(
            modificationTime=node.modified, accessTime=node.accessed, hidden=node.hidden,
            readOnly=node.read_only, createTime=node.created)
    return T.GuestPosixFileAttributes(
        modificationTime=node.modified, accessTime=node.accessed, ownerId=node.owner_id,
        groupId=node.group_id, permissions=node.permissions)


def check_attributes(T, guest, attributes):
    """InvalidArgument for attributes the guest's family cannot take: the
    other family's kind, a symlink target (only ever reported), a posix
    mode or id out of range."""
    other = T.GuestPosixFileAttributes if guest.windows else T.GuestWindowsFileAttributes
    if isinstance(attributes, other) or attributes.symlinkTarget is not None:
        raise InvalidArgument('fileAttributes')
    if isinstance(attributes, T.GuestPosixFileAttributes):
        if attributes.permissions is not None and not 0 <= attributes.permissions <= 0o7777:
            raise InvalidArgument('fileAttributes.permissions')
        for name in ('ownerId', 'groupId'):
            value = getattr(attributes, name)
            if value is not None and not 0 <= value < 2 ** 32:
                raise InvalidArgument('fileAttributes.' + name)


def apply_attributes(node, attributes):
    for field, slot in (('modificationTime', 'modified'), ('accessTime', 'accessed'),
                        ('ownerId', 'owner_id'), ('groupId', 'group_id'),
                        ('permissions', 'permissions'), ('hidden', 'hidden'),
                        ('readOnly', 'read_only'), ('createTime', 'created')):
        value = getattr(attributes, field, None)
        if value is not None:
            setattr(node, slot, value)


@manager_type('GuestFileManager')
class GuestFileManager(Manager):
    guests = None   # the GuestStore, set by GuestOperationsManager

    @property
    def T(self):
        return data_types(self.server)

    # -- directories -----------------------------------------------------------------
    def MakeDirectoryInGuest(self, ctx, vm, auth, directoryPath, createParentDirectories):
        guest = self.guests.enter(ctx, vm, auth)
        fs = guest.files
        parts = fs.parts(directoryPath, 'directoryPath')
        if fs.find(parts) is not None:
            raise FileAlreadyExists(directoryPath)
        node = fs.root
        for depth, part in enumerate(parts):
            child = node.children.get(fs.key(part))
            if child is None:
                if depth < len(parts) - 1 and not createParentDirectories:
                    raise FileNotFound(fs.display(parts[:depth + 1]))
                child = Node(part, True)
                fs.add(node, child)
            elif not child.is_dir:
                raise not_a_directory(fs.display(parts[:depth + 1]))
            node = child

    def DeleteDirectoryInGuest(self, ctx, vm, auth, directoryPath, recursive):
        guest = self.guests.enter(ctx, vm, auth)
        node = guest.files.node(directoryPath, 'directoryPath')
        if not node.is_dir:
            raise not_a_directory(directoryPath)
        parent, name = guest.files.parent(directoryPath, 'directoryPath')
        if node.children and not recursive:
            raise fault('DirectoryNotEmpty', 'The directory %s is not empty' % directoryPath,
                        file=directoryPath)
        guest.files.remove(parent, name)

    def MoveDirectoryInGuest(self, ctx, vm, auth, srcDirectoryPath, dstDirectoryPath):
        guest = self.guests.enter(ctx, vm, auth)
        fs = guest.files
        node = fs.node(srcDirectoryPath, 'srcDirectoryPath')
        if not node.is_dir:
            raise not_a_directory(srcDirectoryPath)
        source_parent, source_name = fs.parent(srcDirectoryPath, 'srcDirectoryPath')
        target_parent, target_name = fs.parent(dstDirectoryPath, 'dstDirectoryPath')
        if target_parent.children.get(fs.key(target_name)) is not None:
            raise FileAlreadyExists(dstDirectoryPath)
        if fs.contains(node, target_parent):
            raise InvalidArgument('dstDirectoryPath')
        self._move(fs, node, source_parent, source_name, target_parent, target_name)

    def CreateTemporaryDirectoryInGuest(self, ctx, vm, auth, prefix, suffix, directoryPath=None):
        return self._create_temporary(ctx, vm, auth, prefix, suffix, directoryPath, True)

    # -- files -----------------------------------------------------------------------
    def DeleteFileInGuest(self, ctx, vm, auth, filePath):
        guest = self.guests.enter(ctx, vm, auth)
        node = guest.files.node(filePath, 'filePath')
        if node.is_dir:
            raise not_a_file(filePath)
        check_writable(guest, node)
        parent, name = guest.files.parent(filePath, 'filePath')
        guest.files.remove(parent, name)

    def MoveFileInGuest(self, ctx, vm, auth, srcFilePath, dstFilePath, overwrite):
        guest = self.guests.enter(ctx, vm, auth)
        fs = guest.files
        node = fs.node(srcFilePath, 'srcFilePath')
        if node.is_dir:
            raise not_a_file(srcFilePath)
        source_parent, source_name = fs.parent(srcFilePath, 'srcFilePath')
        target_parent, target_name, existing = file_target(guest, dstFilePath, 'dstFilePath',
                                                           overwrite)
        if existing is node:
            return
        self._move(fs, node, source_parent, source_name, target_parent, target_name)

    def CreateTemporaryFileInGuest(self, ctx, vm, auth, prefix, suffix, directoryPath=None):
        return self._create_temporary(ctx, vm, auth, prefix, suffix, directoryPath, False)

    def ListFilesInGuest(self, ctx, vm, auth, filePath, index=None, maxResults=None,
                         matchPattern=None):
        """A file lists itself; a directory its entries, `.` and `..` first,
        then by name; `matchPattern` is a regular expression the names must
        contain a match of."""
        guest = self.guests.enter(ctx, vm, auth)
        node = guest.files.node(filePath, 'filePath')
        if index is not None and index < 0:
            raise InvalidArgument('index')
        if maxResults is not None and maxResults < 0:
            raise InvalidArgument('maxResults')
        try:
            pattern = re.compile(matchPattern if matchPattern is not None else '.*')
        except (re.error, RecursionError):
            raise InvalidArgument('matchPattern') from None
        if node.is_dir:
            entries = [('.', node), ('..', node)] + sorted(
                ((child.name, child) for child in node.children.values()),
                key=lambda entry: entry[0])
        else:
            entries = [(node.name, node)]
        entries = [entry for entry in entries if pattern.search(entry[0])]
        start = index or 0
        end = len(entries) if maxResults is None else start + maxResults
        T = self.T
        files = [T.GuestFileInfo(path=name, type='directory' if entry.is_dir else 'file',
                                 size=entry.size, attributes=attributes_of(T, guest, entry))
                 for name, entry in entries[start:end]]
        return T.GuestListFileInfo(files=files, remaining=max(len(entries) - end, 0))

    def ChangeFileAttributesInGuest(self, ctx, vm, auth, guestFilePath, fileAttributes):
        guest = self.guests.enter(ctx, vm, auth)
        node = guest.files.node(guestFilePath, 'guestFilePath')
        check_attributes(self.T, guest, fileAttributes)
        apply_attributes(node, fileAttributes)

    # -- transfers -------------------------------------------------------------------
    def InitiateFileTransferFromGuest(self, ctx, vm, auth, guestFilePath):
        guest = self.guests.enter(ctx, vm, auth)
        node = guest.files.node(guestFilePath, 'guestFilePath')
        if node.is_dir:
            raise not_a_file(guestFilePath)
        transfer = self._grant(ctx, guest, guestFilePath)
        return self.T.FileTransferInformation(
            attributes=attributes_of(self.T, guest, node), size=node.size,
            url=self._url(ctx, transfer))

    def InitiateFileTransferToGuest(self, ctx, vm, auth, guestFilePath, fileAttributes,
                                    fileSize, overwrite):
        guest = self.guests.enter(ctx, vm, auth)
        if fileSize < 0:
            raise InvalidArgument('fileSize')
        check_attributes(self.T, guest, fileAttributes)
        file_target(guest, guestFilePath, 'guestFilePath', overwrite)
        transfer = self._grant(ctx, guest, guestFilePath, fileSize, fileAttributes, overwrite)
        return self._url(ctx, transfer)

    # -- helpers -----------------------------------------------------------------------
    @staticmethod
    def _move(fs, node, source_parent, source_name, target_parent, target_name):
        fs.remove(source_parent, source_name)
        target_parent.children.pop(fs.key(target_name), None)
        node.name = target_name
        fs.add(target_parent, node)

    def _create_temporary(self, ctx, vm, auth, prefix, suffix, directory_path, directory):
        guest = self.guests.enter(ctx, vm, auth)
        fs = guest.files
        path = directory_path or guest.temp_dir
        parent = fs.node(path, 'directoryPath')
        if not parent.is_dir:
            raise not_a_directory(path)
        if not _plain_name(prefix) or not _plain_name(suffix):
            raise InvalidArgument('prefix' if not _plain_name(prefix) else 'suffix')
        name = guest.temp_name(prefix, suffix)
        while fs.key(name) in parent.children:
            name = guest.temp_name(prefix, suffix)
        fs.add(parent, Node(name, directory))
        return fs.display(fs.parts(path, 'directoryPath') + [name])

    def _grant(self, ctx, guest, path, size=None, attributes=None, overwrite=False):
        transfers = self.guests.transfers
        now = clock.seconds()
        for key in [key for key, granted in transfers.items() if granted.expires < now]:
            del transfers[key]
        transfer = Transfer(self.guests.new_token()[:12], self.guests.new_token(),
                            ctx.session.user, guest.vm, path, size, attributes, overwrite)
        transfers[transfer.id] = transfer
        return transfer

    @staticmethod
    def _url(ctx, transfer):
        """vCenter hands out the host's address; the simulator is the host,
        so the URL names the address the client called."""
        request = ctx.request
        host = request.headers.get('host') if request is not None else None
        secure = request.secure if request is not None else True
        return '%s://%s/guestFile?id=%s&token=%s' % (
            'https' if secure else 'http', host or '*', transfer.id, transfer.token)


def _plain_name(text):
    return '/' not in text and '\\' not in text and '\0' not in text and len(text) < 128
