"""Stream-optimized VMDKs (createType "streamOptimized"), the disk format
of OVF packages and NFC transfers: a sparse header, the embedded
descriptor, then each grain of data deflate-compressed behind a marker
(its LBA and size), and at the end the grain tables, the grain directory,
a footer (the header again, pointing at the directory) and an
end-of-stream marker, all at sector boundaries (VMware's Virtual Disk
Format 5.0).

`Decoder` takes a stream as it arrives and writes each grain's bytes at
its offset in the flat extent; `encode` yields a stream for a flat disk
piece by piece, so neither holds a disk in memory.
"""
import struct
import zlib

SECTOR = 512
GRAIN_SECTORS = 128                  # 64 KB grains
GRAIN = GRAIN_SECTORS * SECTOR
GT_ENTRIES = 512                     # grains per grain table
MAGIC = 0x564d444b                   # 'KDMV'
MAGIC_BYTES = b'KDMV'
GD_AT_END = 0xffffffffffffffff
FLAGS = 0x30001                      # newline test, compressed grains, markers
COMPRESSION_DEFLATE = 1
_HEADER = struct.Struct('<IIIQQQQIQQQB4sH')
_MARKER = struct.Struct('<QI')
EOS, GRAIN_TABLE, GRAIN_DIRECTORY, FOOTER = 0, 1, 2, 3


class DecodeError(ValueError):
    """The bytes are not a stream-optimized VMDK (or one that does not fit)."""


def _header(capacity_sectors, descriptor_sectors, gd_offset, overhead):
    fields = _HEADER.pack(MAGIC, 3, FLAGS, capacity_sectors, GRAIN_SECTORS, 1,
                          descriptor_sectors, GT_ENTRIES, 0, gd_offset, overhead, 0,
                          b'\n \r\n', COMPRESSION_DEFLATE)
    return fields.ljust(SECTOR, b'\0')


def _padded(data):
    return data + b'\0' * (-len(data) % SECTOR)


def _metadata_marker(sectors, kind):
    return (_MARKER.pack(sectors, 0) + struct.pack('<I', kind)).ljust(SECTOR, b'\0')


def encode(read, capacity, descriptor, regions):
    """The pieces of a stream-optimized VMDK of `capacity` bytes:
    `read(offset, size)` reads the flat disk, `regions` [(start, length)]
    are the parts that may hold data (the rest reads as zeros), and
    `descriptor` is the embedded descriptor's text. All-zero grains are
    left out, as VMware's writers leave them."""
    capacity_sectors = (capacity + SECTOR - 1) // SECTOR
    text = _padded(descriptor.encode('utf-8'))
    descriptor_sectors = len(text) // SECTOR
    overhead = 1 + descriptor_sectors
    yield _header(capacity_sectors, descriptor_sectors, GD_AT_END, overhead)
    yield text
    position = overhead                # the sector the next piece starts at
    offsets = {}                       # grain number -> sector of its marker
    zero = bytes(GRAIN)
    for grain in _grains(regions, capacity):
        data = read(grain * GRAIN, min(GRAIN, capacity - grain * GRAIN))
        if not data or data == zero[:len(data)]:
            continue
        piece = _padded(_MARKER.pack(grain * GRAIN_SECTORS, 0) +
                        zlib.compress(data.ljust(GRAIN, b'\0'), 6))
        piece = piece[:8] + struct.pack('<I', len(piece) - 12) + piece[12:]
        offsets[grain] = position
        position += len(piece) // SECTOR
        yield piece
    grains = (capacity_sectors + GRAIN_SECTORS - 1) // GRAIN_SECTORS
    tables = (grains + GT_ENTRIES - 1) // GT_ENTRIES
    directory = []
    table_sectors = GT_ENTRIES * 4 // SECTOR
    for table in range(tables):
        first = table * GT_ENTRIES
        entries = [offsets.get(first + n, 0) for n in range(GT_ENTRIES)]
        if not any(entries):
            directory.append(0)
            continue
        yield _metadata_marker(table_sectors, GRAIN_TABLE)
        directory.append(position + 1)
        position += 1 + table_sectors
        yield struct.pack('<%dI' % GT_ENTRIES, *entries)
    directory_bytes = _padded(struct.pack('<%dI' % len(directory), *directory))
    yield _metadata_marker(len(directory_bytes) // SECTOR, GRAIN_DIRECTORY)
    gd_sector = position + 1
    position += 1 + len(directory_bytes) // SECTOR
    yield directory_bytes
    yield _metadata_marker(1, FOOTER)
    yield _header(capacity_sectors, descriptor_sectors, gd_sector, overhead)
    yield _metadata_marker(0, EOS)


def _grains(regions, capacity):
    """Grain numbers the regions touch, in order, each once."""
    last = -1
    for start, length in regions:
        end = min(start + length, capacity)
        for grain in range(max(start // GRAIN, last + 1), (end + GRAIN - 1) // GRAIN):
            last = grain
            yield grain


class Decoder:
    """A stream-optimized VMDK read as it arrives: `feed(bytes)` as often as
    bytes come, `finish()` at the end. Each grain is written through
    `write(offset, data)` at its place in a flat disk of at most `capacity`
    bytes; `capacity` is what the stream says its disk holds, once known."""

    def __init__(self, write, capacity):
        self.write = write
        self.limit = capacity
        self.capacity = None
        self.buffer = bytearray()
        self.position = 0            # bytes of the stream consumed
        self.skip_to = None          # the byte where the grains start
        self.metadata_left = 0       # bytes of a metadata block being skipped
        self.done = False
        self.inflated = zlib.decompressobj

    def feed(self, data):
        if self.done:
            if data.strip(b'\0'):
                raise DecodeError('data after the end-of-stream marker')
            return
        self.buffer += data
        while self._step():
            pass

    def _take(self, count):
        piece = bytes(self.buffer[:count])
        del self.buffer[:count]
        self.position += count
        return piece

    def _step(self):
        """Consume one part of the stream if it is all there; whether one was."""
        if self.capacity is None:
            if len(self.buffer) < SECTOR:
                return False
            header = _HEADER.unpack_from(self._take(SECTOR))
            magic, version, flags, capacity, grain_sectors = header[:5]
            overhead = header[10]
            if magic != MAGIC:
                raise DecodeError('not a sparse VMDK (no KDMV magic)')
            if grain_sectors != GRAIN_SECTORS and not 8 <= grain_sectors <= 2048:
                raise DecodeError('grain size of %d sectors' % grain_sectors)
            if not flags & 0x20000 or not flags & 0x10000 or header[13] != COMPRESSION_DEFLATE:
                raise DecodeError('not a stream-optimized VMDK (grains not compressed '
                                  'behind markers)')
            if capacity * SECTOR > self.limit:
                raise DecodeError('a disk of %d bytes does not fit in %d' % (
                    capacity * SECTOR, self.limit))
            self.capacity = capacity * SECTOR
            self.grain_bytes = grain_sectors * SECTOR
            self.skip_to = max(overhead, 1) * SECTOR
            return True
        if self.position < self.skip_to:
            count = min(len(self.buffer), self.skip_to - self.position)
            self._take(count)
            return count > 0
        if self.metadata_left:
            count = min(len(self.buffer), self.metadata_left)
            self._take(count)
            self.metadata_left -= count
            return count > 0
        if len(self.buffer) < 12:
            return False
        lba, size = _MARKER.unpack_from(self.buffer)
        if size == 0:
            if len(self.buffer) < SECTOR:
                return False
            kind = struct.unpack_from('<I', self.buffer, 12)[0]
            self._take(SECTOR)
            if kind == EOS:
                self.done = True
                if bytes(self.buffer).strip(b'\0'):
                    raise DecodeError('data after the end-of-stream marker')
                self.buffer.clear()
                return False
            if kind not in (GRAIN_TABLE, GRAIN_DIRECTORY, FOOTER):
                raise DecodeError('unknown marker type %d' % kind)
            self.metadata_left = lba * SECTOR
            return True
        whole = 12 + size + (-(12 + size) % SECTOR)
        if size > 2 * self.grain_bytes + 1024:
            raise DecodeError('a grain of %d compressed bytes' % size)
        if len(self.buffer) < whole:
            return False
        piece = self._take(whole)
        inflater = self.inflated()
        try:
            data = inflater.decompress(piece[12:12 + size], self.grain_bytes)
        except zlib.error as error:
            raise DecodeError('grain at sector %d: %s' % (lba, error)) from None
        offset = lba * SECTOR
        if offset >= self.capacity:
            raise DecodeError('a grain at sector %d past the disk' % lba)
        self.write(offset, data[:self.capacity - offset])
        return True

    def finish(self):
        if not self.done:
            raise DecodeError('the stream ended before its end-of-stream marker')
