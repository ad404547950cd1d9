"""vAPI types and their two wire forms.

vCenter's vAPI services describe every input and output with a small type
system (the Automation SDKs' bindings carry the same descriptions). One
description here serves both encodings vCenter speaks:

- JSON-RPC 2.0 (what the Automation SDKs send to POST /api): values carry
  their vAPI kind, `{"STRUCTURE": {"<struct name>": {...}}}`,
  `{"OPTIONAL": value-or-null}`, `{"SECRET": "..."}`, maps as lists of
  `map-entry` structures; every field of a structure is present.
- REST (/api and the older /rest): plain JSON, unset optional fields
  left out; a map is a JSON object under /api and a list of
  `{"key", "value"}` under /rest.

Python values: str (strings, ids, enums, secrets), int, float, bool,
datetime (UTC), None (unset optional, void), list (lists and sets), dict
(structures, by field name, and maps). Decoding checks what it reads against
the type and raises `BadValue` naming the part that does not fit.
"""
import datetime
import math

__all__ = ['BadValue', 'String', 'Secret', 'Id', 'Integer', 'Double', 'Boolean', 'DateTime',
           'Void', 'Enum', 'Optional', 'List', 'Set', 'Map', 'Struct', 'DYNAMIC_ID',
           'LOCALIZABLE_MESSAGE']

_DATETIME_FORMAT = '%Y-%m-%dT%H:%M:%S'


class BadValue(Exception):
    """A value that does not fit its vAPI type; `where` is the path to it."""

    def __init__(self, where, problem):
        super().__init__('%s: %s' % (where or 'input', problem))
        self.where = where
        self.problem = problem


def _inside(where, name):
    return '%s.%s' % (where, name) if where else name


class VapiType:
    """One vAPI type; `rest_map_as_list` tells /rest from /api."""

    def to_jsonrpc(self, value):
        return self.to_rest(value, False)

    def from_jsonrpc(self, value, where=''):
        return self.from_rest(value, where)

    def to_rest(self, value, rest_map_as_list):
        return value

    def from_rest(self, value, where=''):
        raise NotImplementedError


class _Primitive(VapiType):
    python_types = ()
    label = ''

    def from_rest(self, value, where=''):
        if isinstance(value, bool) and bool not in self.python_types:
            raise BadValue(where, 'expected %s, got a boolean' % self.label)
        if not isinstance(value, self.python_types):
            raise BadValue(where, 'expected %s' % self.label)
        return value


class _String(_Primitive):
    python_types = (str,)
    label = 'a string'


class _Integer(_Primitive):
    python_types = (int,)
    label = 'an integer'

    def from_rest(self, value, where=''):
        value = super().from_rest(value, where)
        if not -2 ** 63 <= value < 2 ** 63:
            raise BadValue(where, 'integer out of the 64-bit range')
        return value


class _Double(_Primitive):
    python_types = (int, float)
    label = 'a number'

    def from_rest(self, value, where=''):
        value = float(super().from_rest(value, where))
        if not math.isfinite(value):
            raise BadValue(where, 'not a finite number')
        return value


class _Boolean(_Primitive):
    python_types = (bool,)
    label = 'a boolean'


class _Secret(_String):
    """A password or token: `{"SECRET": "..."}` in JSON-RPC."""

    def to_jsonrpc(self, value):
        return {'SECRET': value}

    def from_jsonrpc(self, value, where=''):
        if isinstance(value, dict) and set(value) == {'SECRET'}:
            value = value['SECRET']
        return self.from_rest(value, where)


class _DateTime(VapiType):
    """vAPI's `YYYY-MM-DDThh:mm:ss.sssZ`, always UTC."""

    def to_rest(self, value, rest_map_as_list):
        value = value.astimezone(datetime.timezone.utc)
        return '%s.%03dZ' % (value.strftime(_DATETIME_FORMAT), value.microsecond // 1000)

    def from_rest(self, value, where=''):
        if not isinstance(value, str) or not value.endswith('Z'):
            raise BadValue(where, 'expected a date and time such as 2026-01-31T12:00:00.000Z')
        text = value[:-1]
        try:
            parsed = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise BadValue(where, 'not a date and time: %r' % value) from None
        return parsed.replace(tzinfo=datetime.timezone.utc)


class _Void(VapiType):
    def to_rest(self, value, rest_map_as_list):
        return None

    def from_rest(self, value, where=''):
        return None


String = _String()
Secret = _Secret()
Id = _String()
Integer = _Integer()
Double = _Double()
Boolean = _Boolean()
DateTime = _DateTime()
Void = _Void()


class Enum(_String):
    """A string from a fixed set (vAPI enums are open to newer values on
    output, closed on input)."""

    def __init__(self, name, values):
        self.name = name
        self.values = tuple(values)

    def from_rest(self, value, where=''):
        value = super().from_rest(value, where)
        if value not in self.values:
            raise BadValue(where, '%r is not one of %s' % (value, ', '.join(self.values)))
        return value


class Optional(VapiType):
    def __init__(self, element):
        self.element = element

    def to_jsonrpc(self, value):
        return {'OPTIONAL': None if value is None else self.element.to_jsonrpc(value)}

    def from_jsonrpc(self, value, where=''):
        if not isinstance(value, dict) or set(value) != {'OPTIONAL'}:
            raise BadValue(where, 'expected an OPTIONAL value')
        inner = value['OPTIONAL']
        return None if inner is None else self.element.from_jsonrpc(inner, where)

    def to_rest(self, value, rest_map_as_list):
        return None if value is None else self.element.to_rest(value, rest_map_as_list)

    def from_rest(self, value, where=''):
        return None if value is None else self.element.from_rest(value, where)


class List(VapiType):
    unique = False

    def __init__(self, element):
        self.element = element

    def _items(self, value, where):
        if not isinstance(value, list):
            raise BadValue(where, 'expected a list')
        return value

    def _checked(self, items, where):
        if self.unique:
            seen = set()
            for item in items:
                key = repr(item)
                if key in seen:
                    raise BadValue(where, 'duplicate element %r in a set' % (item,))
                seen.add(key)
        return items

    def to_jsonrpc(self, value):
        return [self.element.to_jsonrpc(item) for item in value]

    def from_jsonrpc(self, value, where=''):
        return self._checked([self.element.from_jsonrpc(item, '%s[%d]' % (where, i))
                              for i, item in enumerate(self._items(value, where))], where)

    def to_rest(self, value, rest_map_as_list):
        return [self.element.to_rest(item, rest_map_as_list) for item in value]

    def from_rest(self, value, where=''):
        return self._checked([self.element.from_rest(item, '%s[%d]' % (where, i))
                              for i, item in enumerate(self._items(value, where))], where)


class Set(List):
    unique = True


class Map(VapiType):
    """Maps with string keys (all that the services here use)."""

    def __init__(self, value):
        self.value = value

    def to_jsonrpc(self, value):
        return [{'STRUCTURE': {'map-entry': {'key': key, 'value': self.value.to_jsonrpc(item)}}}
                for key, item in value.items()]

    def from_jsonrpc(self, value, where=''):
        if not isinstance(value, list):
            raise BadValue(where, 'expected a list of map entries')
        result = {}
        for entry in value:
            fields = _struct_fields(entry, 'STRUCTURE', where)
            if set(fields) != {'key', 'value'}:
                raise BadValue(where, 'a map entry has a key and a value')
            key = String.from_rest(fields['key'], where)
            result[key] = self.value.from_jsonrpc(fields['value'], _inside(where, key))
        return result

    def to_rest(self, value, rest_map_as_list):
        if rest_map_as_list:
            return [{'key': key, 'value': self.value.to_rest(item, True)}
                    for key, item in value.items()]
        return {key: self.value.to_rest(item, False) for key, item in value.items()}

    def from_rest(self, value, where=''):
        if isinstance(value, list):     # the /rest form
            pairs = []
            for entry in value:
                if not isinstance(entry, dict) or set(entry) != {'key', 'value'}:
                    raise BadValue(where, 'a map entry has a key and a value')
                pairs.append((entry['key'], entry['value']))
        elif isinstance(value, dict):
            pairs = value.items()
        else:
            raise BadValue(where, 'expected a map')
        return {String.from_rest(key, where): self.value.from_rest(item, _inside(where, key))
                for key, item in pairs}


def _struct_fields(value, kind, where):
    """The fields of a JSON-RPC `{"STRUCTURE": {"name": {...}}}`."""
    if not isinstance(value, dict) or set(value) != {kind}:
        raise BadValue(where, 'expected a %s' % kind)
    inner = value[kind]
    if not isinstance(inner, dict) or len(inner) != 1:
        raise BadValue(where, 'a %s names one type' % kind)
    (fields,) = inner.values()
    if not isinstance(fields, dict):
        raise BadValue(where, 'a %s holds fields' % kind)
    return fields


class Struct(VapiType):
    """A structure: `fields` in order, name -> type. Input with an unknown
    field is refused, as the vAPI runtime refuses it."""
    kind = 'STRUCTURE'

    def __init__(self, name, fields):
        self.name = name
        self.fields = dict(fields)

    def to_jsonrpc(self, value):
        return {self.kind: {self.name: {name: field.to_jsonrpc(value.get(name))
                                        for name, field in self.fields.items()}}}

    def from_jsonrpc(self, value, where=''):
        return self._read(_struct_fields(value, self.kind, where), where, 'from_jsonrpc')

    def to_rest(self, value, rest_map_as_list):
        return {name: field.to_rest(value[name], rest_map_as_list)
                for name, field in self.fields.items() if value.get(name) is not None}

    def from_rest(self, value, where=''):
        if not isinstance(value, dict):
            raise BadValue(where, 'expected an object (%s)' % self.name)
        return self._read(value, where, 'from_rest')

    def _read(self, fields, where, reader):
        unknown = sorted(set(fields) - set(self.fields))
        if unknown:
            raise BadValue(_inside(where, unknown[0]), 'unexpected field of %s' % self.name)
        result = {}
        for name, field in self.fields.items():
            inner = _inside(where, name)
            if name not in fields or (fields[name] is None and reader == 'from_rest'):
                if not isinstance(field, Optional):
                    raise BadValue(inner, 'required field of %s missing' % self.name)
                result[name] = None
                continue
            result[name] = getattr(field, reader)(fields[name], inner)
        return result


class Error(Struct):
    """A standard error's structure: `{"ERROR": {...}}` in JSON-RPC."""
    kind = 'ERROR'


DYNAMIC_ID = Struct('com.vmware.vapi.std.dynamic_ID', {'type': String, 'id': Id})
LOCALIZABLE_MESSAGE = Struct('com.vmware.vapi.std.localizable_message', {
    'id': String, 'default_message': String, 'args': List(String)})
