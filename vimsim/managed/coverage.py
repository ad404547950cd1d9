"""How much of the API vimsim implements, read from the code: what GET /about
answers and what tools/coverage.py writes to docs/COVERAGE.md.

A method of a managed type counts as implemented when every class serving
that type (vimsim.managed.catalog) defines a method with the WSDL name, which
is what the SOAP endpoint dispatches to; as partly implemented when only some
do (vCenter's settings OptionManager has UpdateOptions, a host's advanced
options do not). Calls of the others answer NotImplemented.
"""
from vimsim.managed import catalog

UNMODELLED = 'no class of its own'   # the area of types served only generically


class TypeCoverage:
    """One managed type: its methods at an API version, which are implemented,
    and the area (vimsim.managed package) of the class serving it."""
    __slots__ = ('name', 'area', 'methods', 'declared', 'implemented', 'partly', 'declaring')

    def __init__(self, name, area, methods, declared, implemented, partly, declaring):
        self.name = name
        self.area = area
        self.methods = methods            # every method, its own and inherited, sorted
        self.declared = declared          # the methods the type itself declares, sorted
        self.implemented = implemented    # frozenset: the methods every serving class has
        self.partly = partly              # frozenset: those only some serving classes have
        self.declaring = declaring        # method -> the managed type declaring it

    @property
    def not_implemented(self):
        return [m for m in self.methods if m not in self.implemented and m not in self.partly]

    @property
    def declared_implemented(self):
        return [m for m in self.declared if m in self.implemented]


def _area(cls):
    """'vm' for vimsim.managed.vm.virtual_machine, 'entity' for vimsim.managed.entity."""
    return cls.__module__.split('.')[2]


def coverage(schema, version=None):
    """{managed type name: TypeCoverage} for every managed type of `schema`
    known at API version index `version` (the newest when None), sorted by
    name."""
    if version is None:
        version = schema.newest
    served = catalog.serving_classes()
    out = {}
    for name in sorted(schema.managed):
        managed = schema.managed[name]
        if managed.since > version:
            continue
        operations = [op for op in managed.methods.values() if op.since <= version]
        classes = served.get(name, ())
        defined = {op.name: sum(1 for cls in classes if callable(getattr(cls, op.name, None)))
                   for op in operations}
        out[name] = TypeCoverage(
            name, _area(classes[0]) if classes else UNMODELLED,
            sorted(op.name for op in operations),
            sorted(op.name for op in operations if op.managed_type == name),
            frozenset(m for m, n in defined.items() if n and n == len(classes)),
            frozenset(m for m, n in defined.items() if 0 < n < len(classes)),
            {op.name: op.managed_type for op in operations})
    return out


def totals(report):
    """(implemented, total) over every method, each counted at the type that
    declares it."""
    return (sum(len(t.declared_implemented) for t in report.values()),
            sum(len(t.declared) for t in report.values()))


def about(server):
    """GET /about's answer for a running server, as a JSON-ready dict: vcsim's
    `methods` (every method some object answers) and `types` (the managed
    types of the objects it holds), the totals, and per managed type its
    implemented, partly implemented and not implemented methods."""
    schema = server.schema
    report = coverage(schema, schema.version(server.served_version))
    implemented, total = totals(report)
    return {
        'methods': sorted({m for t in report.values() for m in t.implemented | t.partly}),
        'types': sorted({obj.type_name for obj in server.objects}),
        'apiVersion': server.api_version,
        'implemented': implemented,
        'total': total,
        'managedTypes': {name: {'implemented': sorted(t.implemented),
                                'partlyImplemented': sorted(t.partly),
                                'notImplemented': t.not_implemented}
                         for name, t in report.items()},
    }
