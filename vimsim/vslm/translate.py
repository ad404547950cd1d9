"""Values of one API's schema as another's: vslm's schema holds vim25's data
types again (its own copy, with vslm's versions), so what the vim25 model
takes and answers crosses over by type name.

A type the target lacks (vim25's types newer than vslm's last version) is
written as its nearest ancestor the target has, with the fields the target
knows; references and primitives are the same in both.
"""
from vimsim.schema import DataObject


def translated(value, schema):
    """`value` (a data object, a list of them, or anything else) with every
    data object of another schema made again from `schema`'s classes."""
    if isinstance(value, DataObject):
        return _object(value, schema)
    if isinstance(value, list):
        return [translated(item, schema) for item in value]
    return value


def _object(value, schema):
    source = value._type
    if schema.types.get(source.name) is source:
        return value
    target = source
    while target is not None and target.name not in schema.types:
        target = target.base
    own = schema.types[target.name if target is not None else 'DynamicData']
    made = own.cls(**{name: translated(getattr(value, name, None), schema)
                      for name in own._names if name in source.field_map})
    if isinstance(value, Exception):
        made.args = value.args      # a fault keeps its message
    return made
