"""Write docs/COVERAGE.md: per managed type, how many of its methods vimsim
implements, from the code (vimsim.managed.coverage, the function GET /about
answers from).

    python3 tools/coverage.py                 # rewrite docs/COVERAGE.md
    python3 tools/coverage.py --check [FILE]  # exit 1 when it (or FILE) is stale
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from vimsim import schema as schema_module  # noqa: E402
from vimsim.managed.coverage import UNMODELLED, coverage, totals  # noqa: E402

OUTPUT = os.path.join(ROOT, 'docs', 'COVERAGE.md')


def _inherited(report, item):
    """Methods `item` inherits and implements itself while the type declaring
    them does not (VirtualMachine's Destroy_Task, declared by ManagedEntity)."""
    return [m for m in item.methods if m in item.implemented and m not in item.declared
            and m not in report[item.declaring[m]].implemented]


def render(schema):
    report = coverage(schema)
    implemented, total = totals(report)
    areas = {}
    for item in report.values():
        areas.setdefault(item.area, []).append(item)
    lines = [
        '# API coverage',
        '',
        'Written by `python3 tools/coverage.py` from the code; do not edit it by hand',
        '(tests/test_coverage.py fails when it is stale). `GET /about` on a running',
        'simulator answers the same, per managed type, as JSON.',
        '',
        'vimsim implements **{:,} of the {:,} methods** of the vim25 API {}.'
        .format(implemented, total, schema.version_name(schema.newest)),
        'A method counts as implemented when every class serving its managed type',
        'defines it under its WSDL name, as partly implemented when only some do; a',
        'call of any other answers a `NotImplemented` fault. Each method is counted',
        'once, at the type that declares it; a type that implements an inherited',
        'method its declaring type does not (VirtualMachine\'s `Destroy_Task`,',
        'declared by ManagedEntity) lists it under "also".',
        '',
        'Types are grouped by the package of vimsim.managed whose class serves them;',
        'those served by no class of their own (answering properties only, or not',
        'simulated) come last.',
    ]
    order = sorted(areas, key=lambda area: (area == UNMODELLED, area))
    for area in order:
        items = areas[area]
        done = sum(len(t.declared_implemented) for t in items)
        count = sum(len(t.declared) for t in items)
        lines += ['', '## %s: %d of %d' % (area, done, count), '',
                  '| Managed type | Implemented | Implemented methods |', '|---|---|---|']
        for item in items:
            names = ', '.join(item.declared_implemented)
            for label, extra in (('partly', [m for m in item.declared if m in item.partly]),
                                 ('also', _inherited(report, item))):
                if extra:
                    names += ('; ' if names else '') + label + ' ' + ', '.join(extra)
            lines.append('| %s | %d / %d | %s |' % (
                item.name, len(item.declared_implemented), len(item.declared), names))
    return '\n'.join(lines) + '\n'


def main(argv):
    text = render(schema_module.load())
    if argv[:1] == ['--check']:
        path = argv[1] if len(argv) > 1 else OUTPUT
        with open(path) as f:
            if f.read() != text:
                sys.stderr.write('%s is stale: run python3 tools/coverage.py\n' % path)
                return 1
        return 0
    with open(OUTPUT, 'w') as f:
        f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
