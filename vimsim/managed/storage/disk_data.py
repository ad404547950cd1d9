"""A virtual disk's data through its chain of extents, base first.

A snapshot's seSparse delta holds, at the disk's own offsets, only the
blocks written while it was the running disk; its holes read through to
its parent. So the file a snapshot froze keeps the bytes of that point in
time, and the running disk is the chain read as one (`Chain`): exports,
QueryChangedDiskAreas' '*', the changed blocks of a replaced delta,
zero-filling a delta and a full clone's copy read disks this way. The chain of a disk file is
found as ESXi finds it, through each descriptor's `parentFileNameHint`
(the same name in the folder, or a datastore path).
"""
import bisect
import os

from vimsim.managed.storage import datastore_files as files

MAX_CHAIN = 64         # a VMFS chain has at most 32 files; past this, a loop
PIECE = 1 << 20          # bytes written at once


class Chain:
    """The open extents of one disk, base first, read as the disk (a
    context manager). A missing extent reads as holes."""

    def __init__(self, paths):
        self.layers = []
        try:
            for path in paths:
                try:
                    f = open(path, 'rb')
                except FileNotFoundError:
                    continue
                size = os.fstat(f.fileno()).st_size
                self.layers.append((f, list(files.data_ranges(f.fileno(), size))))
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        for f, _ in self.layers:
            f.close()
        self.layers = []

    def ranges(self, size):
        """(start, end) runs, in order, where some layer holds data, up to `size`."""
        runs = sorted((start, min(end, size)) for _, found in self.layers
                      for start, end in found if start < size)
        merged = []
        for start, end in runs:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged

    def read(self, offset, count):
        """`count` bytes of the disk from `offset`: each layer's data over the ones below."""
        out = bytearray(count)
        end = offset + count
        for f, found in self.layers:
            first = bisect.bisect_right(found, (offset, float('inf'))) - 1
            for start, stop in found[max(first, 0):]:
                if start >= end:
                    break
                lo, hi = max(start, offset), min(stop, end)
                if lo < hi:
                    data = os.pread(f.fileno(), hi - lo, lo)
                    out[lo - offset:lo - offset + len(data)] = data
        return bytes(out)


def consolidate(paths, target):
    """Write the data of the disk whose extents are `paths` (base first)
    into file `target` at the same offsets: one whole disk of the chain."""
    with Chain(paths) as chain, open(target, 'r+b') as out:
        for start, end in chain.ranges(float('inf')):
            for offset in range(start, end, PIECE):
                os.pwrite(out.fileno(), chain.read(offset, min(PIECE, end - offset)),
                          offset)


def descriptor_chain(server, descriptor_path):
    """[(descriptor path, its first extent's path)] of the disk whose
    descriptor is file `descriptor_path`, base first (parents as far as
    their descriptors can be read)."""
    found = []
    path = descriptor_path
    while path is not None and len(found) < MAX_CHAIN:
        descriptor = files.read_descriptor(path)
        if descriptor is None or not descriptor.extents:
            break
        folder = os.path.dirname(path)
        found.append((path, os.path.join(folder, os.path.basename(descriptor.extents[0][3]))))
        path = _parent(server, folder, descriptor.parent_hint)
    found.reverse()
    return found


def _parent(server, folder, hint):
    """The local path of the parent a descriptor's hint names, None when it
    names nothing inside the datastores."""
    if not hint:
        return None
    parsed = files.split_path(hint)
    if parsed is None:
        root = os.path.realpath(files.namespace(server).root) + os.sep
        found = os.path.realpath(os.path.join(folder, hint))
        return found if not os.path.isabs(hint) and found.startswith(root) else None
    ds = next((d for d in files.datastores(server) if d.name == parsed[0]), None)
    try:
        return files.local_path(ds, parsed[1]) if ds is not None else None
    except files.PathError:
        return None


def extents_below(server, extent_path):
    """The extents of the disks under the one whose data is file
    `extent_path` (its parents, base first; none for a base disk)."""
    descriptor = files.extent_descriptor_path(extent_path)
    if descriptor is None:
        return []
    chain = descriptor_chain(server, descriptor)
    return [extent for _, extent in chain[:-1]] if chain else []


def zero(server, extent_path):
    """Make the disk whose top extent is `extent_path` read as zeros: a
    new extent of holes, with zeros written where a parent holds data
    (a hole of a delta would show it)."""
    below = extents_below(server, extent_path)
    fresh = extent_path + '.vimsim-tmp'
    files.sparse_file(fresh, os.path.getsize(extent_path))
    with Chain(below) as parents, open(fresh, 'r+b') as out:
        for start, end in parents.ranges(float('inf')):
            for offset in range(start, end, PIECE):
                os.pwrite(out.fileno(), bytes(min(PIECE, end - offset)), offset)
    os.replace(fresh, extent_path)
