"""Manager: the class of the managers ServiceContent lists, and the helpers
their catalogs are built with.

Each manager listed in ServiceContent is a real object of its managed type (it
exists, answers Fetch and RetrieveProperties for every property); a method of
it that vimsim does not implement answers NotImplemented through the
dispatcher. A manager with content or methods of its own is a Manager
subclass in its area's module, registered for its managed types with
`@manager_type`; vimsim.managed.catalog makes the objects of a ServiceContent
table.
"""
import re

from vimsim.managed.base import ManagedObject

# managed type name -> Manager subclass
MANAGER_TYPES = {}


class Manager(ManagedObject):
    """A manager object of the given managed type."""

    def __init__(self, server, type_name, moid, **properties):
        self.type_name = type_name
        super().__init__(server, moid)
        for name, value in properties.items():
            setattr(self, name, value)


def manager_type(*type_names):
    """Class decorator: the Manager subclass to use for these managed types."""
    def register(cls):
        for name in type_names:
            MANAGER_TYPES[name] = cls
        return cls
    return register


# ----------------------------------------------------------------------------
# helpers for the catalogs

def words(identifier):
    """'powerOnVM' -> 'Power on VM'; 'VmPoweredOnEvent' -> 'Vm powered on event'."""
    parts = re.findall(r'[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|[A-Z]+|\d+', identifier)
    if not parts:
        return identifier
    out = [parts[0][0].upper() + parts[0][1:]]
    for part in parts[1:]:
        out.append(part if part.isupper() and len(part) > 1 else part.lower())
    return ' '.join(out)


def element(schema, key, label=None, summary=None, type_name='ElementDescription'):
    """An ElementDescription (or TypeDescription, ...) with every required field."""
    label = label if label is not None else words(key)
    return schema.types[type_name].cls(
        key=key, label=label, summary=summary if summary is not None else label)


def server_fqdn(server):
    """The host name the simulated vCenter calls itself."""
    return getattr(server.options, 'hostname', None) or 'vcsim.local'


def star_host(ctx):
    """The host part of a URL vCenter hands out with '*' for the host (the
    client puts the address it called in its place): '*', and the port the
    request went to unless it is the scheme's default, since a client keeps
    a port the URL names and the simulator rarely listens on 443."""
    request = ctx.request
    host = getattr(request, 'headers', {}).get('host', '') if request is not None else ''
    _, colon, port = host.rpartition(':')
    default = '443' if ctx.server.options.tls else '80'
    if not colon or not port.isdigit() or port == default or ']' in port:
        return '*'
    return '*:' + port
