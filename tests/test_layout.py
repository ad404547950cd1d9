"""The package layout: no import cycles, the managed-object model layered by
area, every package shipped.

The import graph is read from the source with ast: every `import` and
`from ... import` anywhere in a module counts, inside functions too (an import
moved into a function to dodge a cycle is still a cycle), and dynamic imports
are refused outright, since they would hide edges from this test, but for
the catalog's: it imports the model's modules by the names its literal
tables give (`MODULE_NAMES`, `MANAGER_MODULES`, `HOST_MANAGER_MODULES`), which
count as its edges.
"""
import ast
import os

import setuptools

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, 'vimsim')
MANAGED = 'vimsim.managed'
CATALOG = 'vimsim.managed.catalog'
# vimsim.managed's parts bottom up: each imports only parts before it (the
# order vimsim/managed/__init__.py and docs/DESIGN.md give)
MANAGED_LAYERS = ('base', 'paths', 'vmodl_names', 'manager', 'monitoring', 'admin', 'service',
                  'entity', 'storage', 'network', 'vm', 'host', 'inventory', 'vsan',
                  'catalog', 'coverage')


def _modules():
    """{module name: path} of every Python module of the vimsim package."""
    found = {}
    for directory, _, files in os.walk(PACKAGE):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(directory, name)
            parts = os.path.relpath(path, ROOT)[:-len('.py')].split(os.sep)
            if parts[-1] == '__init__':
                parts.pop()
            found['.'.join(parts)] = path
    return found


def _resolve(module, path, node):
    """The absolute name of the module a `from` statement imports from
    (relative imports count from the package holding `module`)."""
    if not node.level:
        return node.module
    package = module.split('.')
    if not path.endswith('__init__.py'):
        package.pop()
    package = package[:len(package) - node.level + 1]
    return '.'.join(package + ([node.module] if node.module else []))


def _catalog_modules(tree):
    """The modules the catalog's tables name (what its `import_module` calls import)."""
    prefix = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                  and node.targets[0].id == 'PREFIX')
    names = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id in (
                'MODULE_NAMES', 'MANAGER_MODULES', 'HOST_MANAGER_MODULES'):
            value = ast.literal_eval(node.value)
            names += value.values() if isinstance(value, dict) else value
    assert names, 'the catalog names no module'
    return [prefix + name for name in names]


def import_graph():
    """{module: set of vimsim modules it imports}, packages included (importing
    a.b.c runs a and a.b), and the dynamic imports found."""
    modules = _modules()
    graph = {name: set() for name in modules}
    dynamic = []

    def add(source, target):
        parts = target.split('.')
        for end in range(1, len(parts) + 1):
            name = '.'.join(parts[:end])
            if name in modules and name != source:
                graph[source].add(name)

    for module, path in modules.items():
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        if module == CATALOG:
            for target in _catalog_modules(tree):
                add(module, target)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(module, alias.name)
            elif isinstance(node, ast.ImportFrom):
                origin = _resolve(module, path, node)
                add(module, origin)
                for alias in node.names:
                    add(module, '%s.%s' % (origin, alias.name))
            elif isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else \
                    func.id if isinstance(func, ast.Name) else None
                if name == '__import__' or name == 'import_module' and module != CATALOG:
                    dynamic.append('%s:%d' % (module, node.lineno))
    return graph, dynamic


def find_cycle(graph):
    """One cycle of `graph` as a list of nodes (first == last), or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(graph, WHITE)
    for start in sorted(graph):
        if colour[start] != WHITE:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = BLACK
                stack.pop()
                path.pop()
            elif colour.get(child) == GREY:
                return path[path.index(child):] + [child]
            elif colour.get(child) == WHITE:
                colour[child] = GREY
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return None


def children_graph(graph, package):
    """The import graph between the direct children (modules and subpackages)
    of `package`: an import of vimsim.managed.vm.snapshot from
    vimsim.managed.inventory.folder is an edge inventory -> vm in
    vimsim.managed's graph."""
    prefix = package + '.'

    def child(module):
        return module[len(prefix):].split('.')[0] if module.startswith(prefix) else None

    children = {}
    for module, targets in graph.items():
        source = child(module)
        if source is None:
            continue
        children.setdefault(source, set())
        for target in targets:
            name = child(target)
            if name is not None and name != source:
                children[source].add(name)
    return children


def packages(graph):
    return sorted({module.rsplit('.', 1)[0] for module in graph if '.' in module})


def test_no_import_cycle():
    graph, _ = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, 'import cycle: ' + ' -> '.join(cycle)


def test_no_dynamic_imports():
    _, dynamic = import_graph()
    assert dynamic == [], 'dynamic imports hide the import graph: %s' % dynamic


def test_packages_are_layered():
    """In every package the parts import each other without a cycle, so each
    package reads bottom up: vimsim.managed's machinery, then monitoring,
    then entity, ..., inventory, catalog (docs/DESIGN.md has the order)."""
    graph, _ = import_graph()
    for package in packages(graph):
        cycle = find_cycle(children_graph(graph, package))
        assert cycle is None, 'parts of %s import each other in a cycle: %s' % (
            package, ' -> '.join(cycle))


def test_managed_parts_follow_the_layers():
    parts = children_graph(import_graph()[0], MANAGED)
    unplaced = sorted(set(parts) - set(MANAGED_LAYERS))
    assert not unplaced, 'place these in MANAGED_LAYERS (and the docs): %s' % unplaced
    for part, imported in parts.items():
        below = set(MANAGED_LAYERS[:MANAGED_LAYERS.index(part)])
        assert imported <= below, '%s imports %s, above it' % (part, sorted(imported - below))


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': set()}) == ['a', 'b', 'c', 'a']
    assert find_cycle({'a': {'b'}, 'b': set(), 'c': {'a', 'b'}}) is None


def test_every_package_is_shipped():
    """setuptools installs every directory of vimsim that holds modules (a
    directory without __init__.py is left out of the wheel)."""
    shipped = set(setuptools.find_packages(ROOT, include=['vimsim*']))
    holding = {name.rsplit('.', 1)[0] for name, path in _modules().items()
               if not path.endswith('__init__.py')}
    assert holding <= shipped, sorted(holding - shipped)
