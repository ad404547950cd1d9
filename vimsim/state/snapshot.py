"""Snapshots of the model, so that a start replays only the journal's tail.

A snapshot is the model as the journal's replay left it at a start (no
session is live then: sessions end at a restart), pickled: every attribute
of the Simulator that is not its frame, and what the persistence holds of
it (the model timers still to fire, the sessions replayed calls run in, the
last timer number). What belongs to the frame (the Simulator, its schema,
options, clock, journal), the reactor and the schema's shared DataTypes are
named, not copied, and data classes by their schema name. Something the model should not hold across a
restart (a reactor timer, a Deferred, model work under way) makes the model
unsnapshotable, and the journal stays whole.

A snapshot is written atomically (a temporary file, fsync, rename, fsync of
the directory) under a name of its own; the journal's start record names the
snapshot it continues.
"""
import io
import os
import pickle
import sys
import threading
import weakref

from twisted.internet import defer, reactor, task
from twisted.internet.base import DelayedCall

from vimsim import schema as schema_module
from vimsim.managed.entity import data_types
from vimsim.state.journal import sync_directory, write_all

PREFIX = 'snapshot-'
# Model attributes a snapshot leaves out: the datastore files' namespace is
# made anew on first use, as at any start (compaction waits for files that
# only the journal knows: see Persistence.compact).
NOT_KEPT = frozenset({'datastore_namespace'})
_ATOMS = (int, float, str, bytes, bool, type(None))
_FORBIDDEN = (DelayedCall, defer.Deferred, task.LoopingCall, task.CooperativeTask)


class Unsnapshotable(Exception):
    """The model holds something a snapshot cannot carry across a restart."""


def data_class(name):
    """A schema data (or fault) class, by name: how a snapshot names one."""
    return schema_module.load().types[name].cls


class _Pickler(pickle.Pickler):
    def __init__(self, file, server):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.named = {id(server): ('server', None), id(reactor): ('reactor', None),
                      id(data_types(server)): ('data types', None)}
        for name in server._frame:
            value = getattr(server, name, None)
            if not isinstance(value, _ATOMS):
                self.named.setdefault(id(value), ('frame', name))

    def persistent_id(self, obj):
        return self.named.get(id(obj))

    def reducer_override(self, obj):
        if isinstance(obj, type):
            data_type = obj.__dict__.get('_type')
            if data_type is not None and data_class(data_type.name) is obj:
                return data_class, (data_type.name,)
            return NotImplemented
        if isinstance(obj, _FORBIDDEN):
            raise Unsnapshotable('the model holds a %s' % type(obj).__name__)
        if isinstance(obj, weakref.WeakSet):
            return weakref.WeakSet, (list(obj),)
        if isinstance(obj, (weakref.WeakKeyDictionary, weakref.WeakValueDictionary)):
            return type(obj), (list(obj.items()),)
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, server):
        super().__init__(file)
        self.server = server

    def persistent_load(self, pid):
        kind, name = pid
        if kind == 'server':
            return self.server
        if kind == 'reactor':
            return reactor
        if kind == 'data types':
            return data_types(self.server)
        return getattr(self.server, name)


def dumps(server, state):
    """`state` (a dict holding model objects) as bytes; Unsnapshotable when
    something in it cannot be carried over."""
    out = io.BytesIO()
    try:
        _deep(_Pickler(out, server).dump, state)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as error:
        raise Unsnapshotable(str(error)) from None
    return out.getvalue()


def loads(server, data):
    return _deep(_Unpickler(io.BytesIO(data), server).load)


DEEP_STACK = 512 * 1024 * 1024   # pickle recurses once per level of the object graph
DEEP_RECURSION = 200000


def _deep(function, *args):
    """function(*args) on a thread of its own with a deep stack (what the
    inventory's object graph needs pickled), waited for."""
    outcome = {}

    def run():
        try:
            outcome['value'] = function(*args)
        except BaseException as error:
            outcome['error'] = error
    limit = sys.getrecursionlimit()
    size = threading.stack_size(DEEP_STACK)
    sys.setrecursionlimit(max(limit, DEEP_RECURSION))
    try:
        worker = threading.Thread(target=run, name='vimsim-snapshot')
        worker.start()
        worker.join()
    finally:
        threading.stack_size(size)
        sys.setrecursionlimit(limit)
    if 'error' in outcome:
        raise outcome['error']
    return outcome['value']


def write_atomically(directory, name, data):
    """DIR/name holds `data` once this returns, and a crash at any point
    leaves either no such file or the whole of it."""
    path = os.path.join(directory, name)
    temporary = path + '.tmp'
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(temporary, path)
    sync_directory(directory)


def remove_others(directory, kept):
    """Remove the snapshots (and their temporary files) but `kept`."""
    for name in os.listdir(directory):
        if name.startswith(PREFIX) and name != kept:
            os.unlink(os.path.join(directory, name))
