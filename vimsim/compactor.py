"""The compactor: the process a live compaction runs in (live_compaction.py).

    python3 -m vimsim.compactor DIR SNAPSHOT OFFSET < pickled Options

It replays DIR's journal up to OFFSET bytes, from SNAPSHOT ('' for none), in
a -state directory of its own (Options.state), exactly as a start does, and
compacts it there: the snapshot it made goes into its directory's RESULT.
Here, beside the Simulator it starts, not in vimsim/state, which the
Simulator imports.
"""
import json
import logging
import os
import pickle
import sys
import threading

from vimsim.simulator import Simulator
from vimsim.state import persistence
from vimsim.state.live_compaction import RESULT


def _exit_with_parent():
    """Block on stdin, which the serving process holds open; its end (the
    serving process exited or was killed) ends this process too."""
    while os.read(0, 65536):    # the fd itself: a buffered read would block the exit
        pass
    os._exit(1)


def compact(directory, kept, offset, options):
    """Replay DIR's journal up to `offset` bytes (from the snapshot `kept`)
    in `options.state` and compact it there; the snapshot made, or None
    (the reason is logged)."""
    scratch = options.state
    with open(os.path.join(directory, persistence.JOURNAL_NAME), 'rb') as source, \
            open(os.path.join(scratch, persistence.JOURNAL_NAME), 'wb') as head:
        remaining = offset
        while remaining:
            chunk = source.read(min(remaining, 1 << 20))
            if not chunk:
                raise OSError('the journal is shorter than %d bytes' % offset)
            head.write(chunk)
            remaining -= len(chunk)
    if kept:
        os.link(os.path.join(directory, kept), os.path.join(scratch, kept))
    persistence.COMPACT_AT = 0     # this start is here to compact
    simulator = Simulator(options)
    made = simulator.persistence.snapshot
    simulator.close()
    return made if made and made != kept else None


def main():
    directory, kept, offset = sys.argv[1], sys.argv[2], int(sys.argv[3])
    options = pickle.load(sys.stdin.buffer)
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    logging.basicConfig(level=logging.WARNING, format='compactor: %(levelname)s %(message)s')
    made = compact(directory, kept, offset, options)
    with open(os.path.join(options.state, RESULT), 'w') as result:
        json.dump({'snapshot': made}, result)


if __name__ == '__main__':
    main()
