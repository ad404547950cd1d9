"""The journal file: checksummed records, appended in order, synced in groups.

A record is a JSON header and an optional body of raw bytes (a request as
the client sent it). On disk each is framed as

    length (4 bytes, little endian) | CRC-32 of the payload (4 bytes) | payload
    payload = header as JSON (one line) | '\\n' | body

Records reach the operating system in order, one os.write each, the moment
they are appended; `when_durable` holds a value back until an fdatasync has
covered every record appended before it. The fdatasync runs in a thread while
the reactor serves on, and one covers all the records appended since the
last (group commit), so concurrent clients share it.

A compaction replaces the file by one beginning with a start record that
names a snapshot: at a start wholly (`begin_anew`), live followed by the
records appended from the compacted point on (`continue_anew`).

A crash can leave the last record incomplete; reading stops at the first
record that is short or fails its checksum, and the file is cut back to the
records before it, so later appends follow a valid journal.
"""
import contextlib
import fcntl
import json
import logging
import os
import struct
import threading
import zlib

from twisted.internet import defer, reactor, threads

log = logging.getLogger(__name__)

FRAME = struct.Struct('<II')


def _framed(header, body=b''):
    payload = json.dumps(header, separators=(',', ':')).encode('utf-8') + b'\n' + body
    return FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def sync_directory(path):
    """fsync a directory: a rename in it is durable once this returns."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


COPY_CHUNK = 1 << 20


class JournalInUse(RuntimeError):
    """Another simulator holds the journal."""


class Journal:
    def __init__(self, path):
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise JournalInUse('%s is in use by another simulator' % path) from None
        # bytes appended through this object so far, and known to be on disk:
        # they keep counting across a compaction's new file, which begins at
        # `_file_start` of them (so a sync in flight meanwhile counts right)
        self.written = os.fstat(self.fd).st_size
        self.synced = self.written
        self._file_start = 0
        self.records_in_file = 0    # whole records in the file (its start record too)
        self._syncing = False
        self._closing = threading.Lock()
        self._waiters = []        # (bytes it needs synced, Deferred, value)
        self.failure = None       # the OSError that made the journal unwritable
        self._retired = []        # replaced files' fds, closed once no sync is on them

    # -- reading -------------------------------------------------------------
    def records(self):
        """Yield (header, body) for each whole record, oldest first; when done,
        cut off an incomplete last record (a crash mid-write)."""
        valid = 0
        with open(self.path, 'rb') as source:
            while True:
                frame = source.read(FRAME.size)
                if len(frame) < FRAME.size:
                    break
                length, checksum = FRAME.unpack(frame)
                payload = source.read(length)
                if len(payload) < length or zlib.crc32(payload) != checksum:
                    break
                head, _, body = payload.partition(b'\n')
                try:
                    header = json.loads(head)
                except ValueError:
                    break
                valid += FRAME.size + length
                self.records_in_file += 1
                yield header, body
        size = os.fstat(self.fd).st_size
        if size > valid:
            log.warning('%s: dropped %d bytes after the last whole record (an '
                        'interrupted write)', self.path, size - valid)
            os.ftruncate(self.fd, valid)
            os.fsync(self.fd)
            self.written = self.synced = valid

    # -- writing -------------------------------------------------------------
    def append(self, header, body=b''):
        if self.failure is not None:
            raise self.failure
        data = _framed(header, body)
        try:
            write_all(self.fd, data)
        except OSError as error:
            self._fail(error)
            raise
        self.written += len(data)
        self.records_in_file += 1
        if not self._syncing:
            self._syncing = True
            reactor.callLater(0, self._sync_in_thread)   # once this turn's records are in

    def position(self):
        """(bytes, records) of the file as appended so far: where a live
        compaction's snapshot ends and the records it keeps begin."""
        return self.written - self._file_start, self.records_in_file

    def begin_anew(self, header):
        """Replace the journal, atomically, by one holding only `header`'s
        record (a compaction at a start: the records so far are in a snapshot)."""
        self._take_over(self._new_file(header), 1)

    def continue_anew(self, header, position):
        """Replace the journal, atomically, by one holding `header`'s record
        and then the records appended from `position` on (a live compaction:
        the records before it are in a snapshot), while the reactor serves
        on: the bulk is copied and synced in a thread, what was appended
        meanwhile on the reactor, which then swaps the files. A Deferred."""
        offset, records = position
        copied = self.written - self._file_start
        done = threads.deferToThread(self._copy_head, header, offset, copied)
        done.addCallback(self._copy_rest, copied, records)
        return done

    def _copy_head(self, header, offset, end):
        """On a thread: the new file with `header` and this file's bytes
        [offset, end), synced; its fd."""
        fd = self._new_file(header)
        try:
            self._copy(fd, offset, end)
            os.fdatasync(fd)
        except BaseException:
            self._drop_new_file(fd)
            raise
        return fd

    def _copy_rest(self, fd, copied, records):
        """On the reactor: append what came after the head, then take over."""
        if self.fd is None:      # closed meanwhile: the old journal stays
            self._drop_new_file(fd)
            return False
        end = self.written - self._file_start
        try:
            self._copy(fd, copied, end)
        except BaseException:
            self._drop_new_file(fd)
            raise
        self._take_over(fd, 1 + self.records_in_file - records)
        return True

    def _copy(self, fd, start, end):
        """Append this file's bytes [start, end) to fd."""
        reader = os.open(self.path, os.O_RDONLY)
        try:
            while start < end:
                chunk = os.pread(reader, min(COPY_CHUNK, end - start), start)
                if not chunk:
                    raise OSError('%s is shorter than what was appended' % self.path)
                write_all(fd, chunk)
                start += len(chunk)
        finally:
            os.close(reader)

    def _new_file(self, header):
        """The journal's temporary successor, locked, holding `header`'s record.
        Locked before it takes the journal's name, so that no other simulator
        can open it meanwhile."""
        fd = os.open(self.path + '.tmp', os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND,
                     0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            write_all(fd, _framed(header))
        except BaseException:
            self._drop_new_file(fd)
            raise
        return fd

    def _drop_new_file(self, fd):
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(self.path + '.tmp')

    def _take_over(self, fd, records):
        """The synced successor takes the journal's name (a crash leaves the
        old journal or the new one), then its place: everything appended is
        in it, on disk, so whatever waited for a sync is released."""
        try:
            os.fsync(fd)
            os.rename(self.path + '.tmp', self.path)
        except BaseException:
            self._drop_new_file(fd)
            raise
        sync_directory(os.path.dirname(os.path.abspath(self.path)))
        old, self.fd = self.fd, fd
        if self._syncing:    # a sync thread may be on the old file: not waited for here
            self._retired.append(old)
        else:
            os.close(old)
        self._file_start = self.written - os.fstat(fd).st_size
        self.records_in_file = records
        self._release(self.written)

    def when_durable(self, value):
        """`value` now if every appended record is on disk, else a Deferred
        firing with it once they are; a failure once the journal cannot be
        written (nothing can be promised any more)."""
        if self.failure is not None:
            return defer.fail(self.failure)
        if self.synced >= self.written:
            return value
        waiter = defer.Deferred()
        self._waiters.append((self.written, waiter, value))
        return waiter

    def _sync_in_thread(self):
        """fdatasync in a thread, so that the reactor serves on meanwhile;
        what is appended meanwhile waits for the next one."""
        if self.fd is None or self.failure is not None:
            self._syncing = False
            return
        target = self.written
        done = threads.deferToThread(self._fdatasync)
        done.addCallbacks(self._synced, self._fail, callbackArgs=(target,))

    def _fdatasync(self):
        """On the sync thread. Under the lock close() takes too: a close
        while a sync runs would keep the file (and its flock) open until the
        sync returns, in the way of the next simulator on the directory."""
        with self._closing:
            if self.fd is not None:
                os.fdatasync(self.fd)

    def _synced(self, _, target):
        self._close_retired()
        self._release(target)
        if self.fd is not None and self.written > self.synced:
            reactor.callLater(0, self._sync_in_thread)
        else:
            self._syncing = False

    def sync(self):
        """fdatasync now, on this thread, and release what waited for it."""
        try:
            os.fdatasync(self.fd)
        except OSError as error:
            self._fail(error)
            return
        self._release(self.written)

    def _release(self, target):
        self.synced = max(self.synced, target)
        waiting, self._waiters = self._waiters, []
        for needed, waiter, value in waiting:
            if needed > self.synced:
                self._waiters.append((needed, waiter, value))
            elif not waiter.called:      # its client may have gone away meanwhile
                waiter.callback(value)

    def _close_retired(self):
        while self._retired:
            os.close(self._retired.pop())

    def _fail(self, error):
        error = getattr(error, 'value', error)    # a Failure from the sync thread
        self._syncing = False
        self._close_retired()
        if self.fd is None:
            return      # closed meanwhile
        log.critical('%s cannot be written: %s', self.path, error)
        self.failure = error
        waiting, self._waiters = self._waiters, []
        for _, waiter, _ in waiting:
            if not waiter.called:
                waiter.errback(error)

    def close(self):
        with self._closing:
            self._close_retired()
            if self.fd is not None:
                os.fsync(self.fd)
                os.close(self.fd)    # releases the lock
                self.fd = None
