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

A crash can leave the last record incomplete; reading stops at the first
record that is short or fails its checksum, and the file is cut back to the
records before it, so later appends follow a valid journal.
"""
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
        self.written = os.fstat(self.fd).st_size   # bytes appended so far ...
        self.synced = self.written                  # ... and known to be on disk
        self._syncing = False
        self._closing = threading.Lock()
        self._waiters = []        # (bytes it needs synced, Deferred, value)
        self.failure = None       # the OSError that made the journal unwritable

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
        if not self._syncing:
            self._syncing = True
            reactor.callLater(0, self._sync_in_thread)   # once this turn's records are in

    def begin_anew(self, header):
        """Replace the journal, atomically, by one holding only `header`'s
        record (a compaction: the records so far are in a snapshot). The new
        file is written, synced and locked before it takes the journal's
        name, so a crash leaves the old journal or the new one, and no other
        simulator can open it meanwhile. With nothing waiting to be synced."""
        temporary = self.path + '.tmp'
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            data = _framed(header)
            write_all(fd, data)
            os.fsync(fd)
            os.rename(temporary, self.path)
            sync_directory(os.path.dirname(os.path.abspath(self.path)))
        except BaseException:
            os.close(fd)
            raise
        with self._closing:
            os.close(self.fd)
            self.fd = fd
        self.written = self.synced = len(data)

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

    def _fail(self, error):
        error = getattr(error, 'value', error)    # a Failure from the sync thread
        self._syncing = False
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
            if self.fd is not None:
                os.fsync(self.fd)
                os.close(self.fd)    # releases the lock
                self.fd = None
