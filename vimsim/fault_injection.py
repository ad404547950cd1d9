"""Fault injection, for tests (the control surface's `faults` actions): rules
that make matching SOAP calls fail with a chosen vim fault, or answer late.

A rule names what it matches (any of: the WSDL `method`, the `object`'s
moid, the managed `type`, which a subtype matches too), what it does (a
`fault` type with `fields` and a `message`; as a SOAP fault, or with `task`
true for a *_Task method, as a Task that fails with it; and/or a `delay` in
milliseconds before the answer) and how often (`probability`, drawn from a
generator seeded with `seed`, so runs repeat; `count`: the rule ends after
firing that many times). The first live rule that matches and fires
decides; calls no rule matches run as usual, at the cost of one lookup.
"""
import random

from twisted.internet import reactor, task

from vimsim.managed.monitoring.task import run_task
from vimsim.schema import MoRef
from vimsim.soap.fault import fault

RULE_FIELDS = ('method', 'object', 'type', 'fault', 'fields', 'message', 'task',
               'probability', 'count', 'seed', 'delay')
MAX_DELAY_MS = 600000
INTEGERS = ('int', 'long', 'short', 'byte')


class RuleError(ValueError):
    """A rule the control surface refuses."""


def _text(rule, name):
    value = rule.get(name)
    if value is not None and (not isinstance(value, str) or not value):
        raise RuleError('%s must be a non-empty string' % name)
    return value


def _number(rule, name, low, high, default, integer=False):
    value = rule.get(name, default)
    if value is None:
        return None
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        raise RuleError('%s must be a number from %s to %s' % (name, low, high))
    return value


class Rule:
    def __init__(self, schema, key, document):
        if not isinstance(document, dict):
            raise RuleError('a rule is a JSON object')
        unknown = set(document) - set(RULE_FIELDS)
        if unknown:
            raise RuleError('unknown fields: %s' % ', '.join(sorted(unknown)))
        self.key = key
        self.document = document
        self.method = _text(document, 'method')
        self.object = _text(document, 'object')
        self.type = _text(document, 'type')
        if self.type is not None and self.type not in schema.managed:
            raise RuleError('type %r is not a managed type' % self.type)
        if self.method is not None and not any(
                self.method in managed.methods for name, managed in schema.managed.items()
                if self.type is None or schema.managed[name].is_a(self.type)):
            raise RuleError('no managed type%s has a method %r' % (
                ' under %s' % self.type if self.type else '', self.method))
        self.fault_type = _text(document, 'fault')
        self.message = _text(document, 'message')
        self.as_task = document.get('task', False)
        if not isinstance(self.as_task, bool):
            raise RuleError('task must be true or false')
        self.probability = _number(document, 'probability', 0, 1, 1)
        self.remaining = _number(document, 'count', 1, 1 << 31, None, integer=True)
        self.delay = _number(document, 'delay', 0, MAX_DELAY_MS, 0)
        seed = _number(document, 'seed', 0, 1 << 62, 0, integer=True)
        self.random = random.Random(seed)
        self.hits = 0
        self.fields = self._fields(schema, document.get('fields', {}))
        if self.fault_type is None and not self.delay:
            raise RuleError('a rule needs a fault or a delay')
        if self.as_task and (self.fault_type is None or (
                self.method is not None and not self.method.endswith('_Task'))):
            raise RuleError('task needs a fault and a *_Task method')
        self.schema = schema
        self.make_fault()   # refused now rather than at the call

    def _fields(self, schema, fields):
        if not isinstance(fields, dict):
            raise RuleError('fields is a JSON object')
        if self.fault_type is None:
            if fields:
                raise RuleError('fields need a fault')
            return {}
        fault_type = schema.types.get(self.fault_type)
        if fault_type is None or not getattr(fault_type, 'is_fault', False):
            raise RuleError('fault %r is not a vim fault type' % self.fault_type)
        out = {}
        for name, value in fields.items():
            field = fault_type.field_map.get(name)
            if field is None or name in ('faultCause', 'faultMessage', 'dynamicType',
                                         'dynamicProperty'):
                raise RuleError('%s has no field %r to set' % (self.fault_type, name))
            out[name] = self._value(schema, field, name, value)
        return out

    @staticmethod
    def _value(schema, field, name, value):
        """A JSON value as the field's type: strings, numbers, booleans,
        enumeration values, MoRefs as {"type": ..., "value": ...}, or arrays
        of them."""
        if field.array != isinstance(value, list):
            raise RuleError('field %r is %s' % (name, 'an array' if field.array
                                                 else 'one value'))
        items = value if field.array else [value]
        kind = field.type
        enum = schema.enums.get(kind)
        converted = []
        for item in items:
            if kind == 'ManagedObjectReference' and isinstance(item, dict) \
                    and set(item) == {'type', 'value'} \
                    and all(isinstance(v, str) for v in item.values()):
                converted.append(MoRef(item['type'], item['value']))
            elif (kind == 'string' and isinstance(item, str)
                  or enum is not None and item in enum.values
                  or kind == 'boolean' and isinstance(item, bool)
                  or kind in INTEGERS and isinstance(item, int) and not isinstance(item, bool)
                  or kind in ('double', 'float') and isinstance(item, (int, float))
                  and not isinstance(item, bool)):
                converted.append(item)
            else:
                raise RuleError('field %r takes %s values' % (name, kind))
        return converted if field.array else converted[0]

    def make_fault(self):
        if self.fault_type is None:
            return None
        try:
            return fault(self.fault_type, self.message or 'Injected fault: %s.'
                         % self.fault_type, **self.fields)
        except (TypeError, ValueError, KeyError) as refused:
            raise RuleError('fault %s: %s' % (self.fault_type, refused)) from None

    def matches(self, server, obj, method_name):
        if self.remaining == 0:
            return False
        if self.method is not None and self.method != method_name:
            return False
        if self.object is not None and obj.ref.value != self.object:
            return False
        if self.type is not None:
            managed = server.schema.managed.get(obj.type_name)
            if managed is None or not managed.is_a(self.type):
                return False
        return True

    def fire(self):
        """Whether the rule acts on this call (its probability, its count)."""
        if self.probability < 1 and self.random.random() >= self.probability:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        self.hits += 1
        return True

    def describe(self):
        return dict(self.document, id=self.key, hits=self.hits, remaining=self.remaining)


class FaultRules:
    """A simulator's fault injection rules, in the order they were added."""

    def __init__(self, server):
        self.server = server
        self.rules = []
        self._keys = 0

    def add(self, document):
        self._keys += 1
        rule = Rule(self.server.schema, self._keys, document)
        self.rules.append(rule)
        return rule

    def remove(self, key=None):
        """Drop the rule `key` (all without one); whether any went."""
        before = len(self.rules)
        self.rules = [] if key is None else [r for r in self.rules if r.key != key]
        return len(self.rules) != before

    def intercept(self, ctx, obj, method_name, method):
        """`method`, or what the first rule that fires makes of the call."""
        for rule in self.rules:
            if rule.matches(self.server, obj, method_name) and rule.fire():
                return self._acting(ctx, rule, obj, method_name, method)
        return method

    def _acting(self, ctx, rule, obj, method_name, method):
        def act(*args, **kwargs):
            error = rule.make_fault()
            if error is None:
                return method(*args, **kwargs)
            if rule.as_task:
                def fail(_):
                    raise error
                entity = obj if hasattr(obj, 'recentTask') else None
                return run_task(ctx, entity, method_name, fail,
                                this=None if entity is obj else obj)
            raise error
        if not rule.delay:
            return act

        def later(*args, **kwargs):
            return task.deferLater(reactor, rule.delay / 1000.0, act, *args, **kwargs)
        return later


def injected(server, ctx, obj, method_name, method):
    """The SOAP dispatcher's hook: `method` as the fault rules leave it."""
    rules = getattr(server, 'fault_rules', None)
    if rules is None or not rules.rules:
        return method
    return rules.intercept(ctx, obj, method_name, method)


def fault_rules(server):
    """A simulator's FaultRules, made on first use (a reset drops them with the model)."""
    found = getattr(server, 'fault_rules', None)
    if found is None:
        found = server.fault_rules = FaultRules(server)
    return found

