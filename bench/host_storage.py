"""Host storage: what reading a host's `config` (whose storageDevice now
describes four disks, and with an iSCSI adapter five and more) and its
storage system's `storageDeviceInfo` costs, encoded as an answer is.

Prints CPU microseconds per read (process time of this process, so the
shared machine's other load does not count) and the load average.

    python3 bench/host_storage.py
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from vimsim.managed.base import Context  # noqa: E402
from vimsim.managed.paths import read_path  # noqa: E402
from vimsim.simulator import Simulator  # noqa: E402
from vimsim.soap import encode  # noqa: E402
from vimsim.testing.server import options_for  # noqa: E402

ROUNDS = 300


def per_read(sim, obj, name):
    version = sim.schema.version(sim.api_version)
    ctx = Context(sim, None, version)
    encoder = encode.encoder_for(sim.schema, version)
    start = time.process_time()
    for _ in range(ROUNDS):
        value, declared = read_path(obj, name, ctx)
        encoder.field([], 'v', value, declared)
    return (time.process_time() - start) / ROUNDS * 1e6


def main():
    sim = Simulator(options_for())
    host = next(o for o in sim.objects if getattr(o, 'type_name', '') == 'HostSystem')
    storage = host.managers['storageSystem']
    print('host.config: %.0f us' % per_read(sim, host, 'config'))
    print('storageDeviceInfo (4 disks): %.0f us' % per_read(sim, storage, 'storageDeviceInfo'))
    print('load average: %.2f %.2f %.2f' % os.getloadavg())


if __name__ == '__main__':
    main()
