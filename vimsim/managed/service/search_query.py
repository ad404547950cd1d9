"""SearchIndex.Query's language (API 9.1): the property paths of a query and
the predicates of its filters, checked against the schema before any object
is read, then evaluated on the model's objects.

A path is a chain of property names (`runtime.powerState`), or `@moRef`
for the object's own reference; an array of data objects may be indexed by
its elements' `key` (`config.network.pnic["key-vim.host.PhysicalNic-vmnic0"]`,
`config.hardware.device[4000]`) or aggregated (`config.network.pnic[*].mac`,
a value per element). A path a query asks to see that is not valid for the
resource type answers an empty value, as one unset or not readable does; a
predicate's path must be valid and end on a comparable type (a primitive, an
enum, a MoRef), with `arrayOperator` set exactly when it yields an array.
Filters and their predicates are all to hold (conjunctions).
"""
import re

from vimsim.managed.paths import field_in_subtypes
from vimsim.soap.fault import InvalidArgument

MOREF = '@moRef'
EVERY = object()        # the `[*]` index
_STEP = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)(?:\[(?:"([^"]*)"|(-?\d+)|(\*))\])?')
NUMERIC = frozenset(('byte', 'short', 'int', 'long', 'float', 'double', 'dateTime'))
COMPARABLE = NUMERIC | {'boolean', 'string', 'anyURI', 'ManagedObjectReference'}
ORDERING = {'Greater': lambda a, b: a > b, 'GreaterOrEqual': lambda a, b: a >= b,
            'Less': lambda a, b: a < b, 'LessOrEqual': lambda a, b: a <= b}
LISTED = ('In', 'NotIn')


class QueryPath:
    """A property path of `type_name`'s objects: its steps (name, index),
    the Field it ends on and whether it yields an array; `valid` is False
    when the schema has no such path."""

    def __init__(self, schema, type_name, text, version):
        self.text = text
        self.steps = []
        self.field = None
        self.many = False
        self.valid = self._parse(schema, type_name, text, version)

    def _parse(self, schema, type_name, text, version):
        if text == MOREF:
            return True
        position = 0
        data_type = None
        while position < len(text):
            if position and text[position] != '.':
                return False
            found = _STEP.match(text, position + (1 if position else 0))
            if found is None:
                return False
            position = found.end()
            name, key, number, every = found.groups()
            if data_type is None and not self.steps:
                field = schema.managed[type_name].property_map.get(name)
            elif data_type is None:
                return False
            else:
                field = field_in_subtypes(data_type, name)
            if field is None or field.since > version:
                return False
            if self.field is not None and self.field.array and not self.indexed:
                return False                       # a step into an array needs an index
            index = EVERY if every else (int(number) if number is not None else key)
            element = schema.types.get(field.type)
            if index is not None:
                if not field.array or (index is not EVERY and (
                        element is None or 'key' not in element.field_map)):
                    return False
                self.many = self.many or index is EVERY
            self.steps.append((name, index))
            self.field = field
            data_type = element
        return bool(self.steps)

    @property
    def indexed(self):
        return self.steps[-1][1] is not None

    @property
    def array(self):
        """Whether the path yields several values (an aggregation, or an
        array property not indexed)."""
        return self.many or (self.field is not None and self.field.array and not self.indexed)

    def read(self, obj, ctx):
        """The path's value on `obj` (None when unset; a list when `array`)."""
        if self.text == MOREF:
            return obj.ref
        name, index = self.steps[0]
        value = obj.read(name, ctx)
        if index is EVERY:
            return _every(value, self.steps[1:])
        return _walk(_index(value, index), self.steps[1:])


def _walk(value, steps):
    """The rest of a path (`steps`) read off a data object."""
    for position, (name, index) in enumerate(steps):
        if value is None:
            return None
        value = getattr(value, name, None)
        if index is EVERY:
            return _every(value, steps[position + 1:])
        value = _index(value, index)
    return value


def _index(value, index):
    """The element of array `value` whose key is `index` (the value itself
    without an index)."""
    if index is None or value is None:
        return value
    return next((item for item in value if getattr(item, 'key', None) == index), None)


def _every(values, rest):
    """The rest of a path read off each element of an array, flattened."""
    found = []
    for item in values or ():
        value = _walk(item, rest)
        if isinstance(value, list):
            found.extend(value)
        elif value is not None:
            found.append(value)
    return found


class Predicate:
    """A SearchIndexPredicate checked against the resource type."""

    def __init__(self, schema, type_name, predicate, version, where):
        self.path = QueryPath(schema, type_name, predicate.propertyPath or '', version)
        field_type = 'ManagedObjectReference' if predicate.propertyPath == MOREF \
            else self.path.field.type if self.path.valid else None
        enum = field_type in schema.enums
        if not self.path.valid or not (field_type in COMPARABLE or enum):
            raise InvalidArgument(where + '.propertyPath')
        self.operator = predicate.operator
        if self.operator not in schema.enums['SearchIndexPredicateComparisonOperator'].values:
            raise InvalidArgument(where + '.operator')
        if (predicate.arrayOperator is not None) != self.path.array or (
                predicate.arrayOperator is not None and predicate.arrayOperator
                not in schema.enums['SearchIndexPredicateArrayOperator'].values):
            raise InvalidArgument(where + '.arrayOperator')
        self.every = predicate.arrayOperator == 'AllElements'
        if self.operator in ORDERING and field_type not in NUMERIC:
            raise InvalidArgument(where + '.operator')
        if self.operator.endswith('Like') and field_type not in ('string', 'anyURI') \
                and not enum:
            raise InvalidArgument(where + '.operator')
        if self.operator in LISTED:
            if not predicate.comparableList:
                raise InvalidArgument(where + '.comparableList')
            self.operand = list(predicate.comparableList)
        else:
            if predicate.comparableValue is None:
                raise InvalidArgument(where + '.comparableValue')
            self.operand = predicate.comparableValue
        if self.operator.endswith('Like'):
            self.pattern = re.compile('.*'.join(map(re.escape, str(self.operand).split('*'))),
                                      re.S)

    def holds(self, obj, ctx):
        value = self.path.read(obj, ctx)
        if not self.path.array:
            return self._compare(value)
        test = all if self.every else any
        return test(self._compare(item) for item in value or ())

    def _compare(self, value):
        operator = self.operator
        if operator == 'Equal':
            return value is not None and value == self.operand
        if operator == 'NotEqual':
            return value != self.operand
        if operator == 'In':
            return value is not None and value in self.operand
        if operator == 'NotIn':
            return value not in self.operand
        if value is None:
            return False
        if operator in ORDERING:
            try:
                return ORDERING[operator](value, self.operand)
            except TypeError:                      # an operand of another type
                return False
        matched = self.pattern.fullmatch(str(value)) is not None
        return matched if operator == 'Like' else not matched
