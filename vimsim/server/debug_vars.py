"""GET /debug/vars: the simulator's vital signs as JSON, where vcsim serves
Go's expvar: the command line, uptime, objects per managed type, sessions,
property filters, waiting WaitForUpdates calls, SOAP calls by method, resets
and the process's memory; with -reactor-probe, the reactor's lateness."""
import resource
import sys
import time

from vimsim.server.json_page import JsonPage

PATH = '/debug/vars'


def debug_vars(simulator):
    """The document, read now."""
    objects = {}
    waits = 0
    for obj in simulator.objects:
        objects[obj.type_name] = objects.get(obj.type_name, 0) + 1
        if obj.type_name == 'PropertyCollector':
            waits += obj.waiting()
    return {
        'cmdline': sys.argv,
        'uptime': round(time.monotonic() - simulator.started, 3),
        'objects': objects,
        'sessions': len(simulator.session_manager.sessions),
        'filters': objects.get('PropertyFilter', 0),
        'waits': waits,
        'requests': dict(simulator.requests),
        'resets': simulator.resets,
        'memory': _memory(),
        **({'reactor': simulator.reactor_probe.document()} if simulator.reactor_probe else {}),
    }


def _memory():
    """Resident bytes now and at most (Linux /proc; the peak from getrusage)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    try:
        with open('/proc/self/statm') as statm:
            resident = int(statm.read().split()[1]) * resource.getpagesize()
    except OSError:
        resident = None
    return {'rss': resident, 'max_rss': peak}


class DebugVars(JsonPage):
    path = PATH
    document = staticmethod(debug_vars)
