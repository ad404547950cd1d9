"""MethodAction: an API method that an alarm or a scheduled task calls on an
entity, checked when the action is defined and run as a call of its own.

The arguments are positional, in the WSDL's parameter order, as vCenter
takes them; a missing required one, one too many or a method the entity's
type lacks answers InvalidArgument when the alarm or scheduled task is made.
"""
import keyword

from vimsim.managed.base import Context
from vimsim.soap.fault import InvalidArgument, NotImplemented_, fault


def operation_of(server, type_name, action, argument='action'):
    """The WSDL operation a MethodAction names for entities of `type_name`
    (InvalidArgument if it cannot be called with the action's arguments)."""
    managed = server.schema.managed.get(type_name)
    operation = managed.methods.get(action.name) if managed is not None else None
    if operation is None or operation.since > server.schema.version(server.api_version):
        raise InvalidArgument(argument + '.name')
    given = list(action.argument)
    if len(given) > len(operation.params) or any(
            not param.optional for param in operation.params[len(given):]):
        raise InvalidArgument(argument + '.argument')
    return operation


def run_method_action(server, entity, action, reason=None):
    """Call the action's method on `entity` as the system; the method's result
    (a Task when it runs as one, whose reason becomes `reason`)."""
    operation = operation_of(server, entity.type_name, action)
    method = getattr(entity, operation.name, None)
    if method is None:
        raise NotImplemented_(operation.name)
    arguments = {(param.name + '_' if keyword.iskeyword(param.name) else param.name): given.value
                 for param, given in zip(operation.params, action.argument)}
    ctx = Context(server, None, server.schema.version(server.api_version))
    try:
        result = method(ctx, **arguments)
    except server.schema.types['MethodFault'].cls:
        raise
    except (TypeError, AttributeError, ValueError):   # arguments of the wrong kind
        raise fault('InvalidArgument', 'A specified parameter was not correct: argument',
                    invalidProperty='argument') from None
    info = getattr(result, 'info', None)
    if reason is not None and getattr(info, 'reason', None) is not None:
        info.reason = reason
        result.changed('info')
    return result
