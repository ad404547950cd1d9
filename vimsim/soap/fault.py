"""vim faults as Python exceptions.

Every fault type of the schema is an Exception subclass (vimsim.schema makes
them so); `fault()` builds one with vCenter's message, and handlers simply
raise it. The endpoint turns any raised fault into a SOAP fault.
"""
from vimsim import schema as _schema


def fault(type_name, message='', **fields):
    """An instance of the vim fault `type_name` carrying `message`."""
    instance = _schema.load().types[type_name].cls(**fields)
    instance.args = (message,)
    return instance


def message_of(instance):
    """The faultstring of a raised fault."""
    if instance.args and instance.args[0]:
        return str(instance.args[0])
    return ''


def localized(instance):
    """A LocalizedMethodFault wrapping a fault (for TaskInfo.error,
    MissingProperty.fault and the like)."""
    return _schema.load().types['LocalizedMethodFault'].cls(
        fault=instance, localizedMessage=message_of(instance) or None)


def InvalidRequest(message):
    return fault('InvalidRequest', message)


def NotAuthenticated(obj=None, privilege='System.View'):
    return fault('NotAuthenticated', 'The session is not authenticated.',
                 object=obj, privilegeId=privilege)


def ManagedObjectNotFound(ref):
    return fault('ManagedObjectNotFound',
                 "The object '%s:%s' has already been deleted or has not been "
                 'completely created' % (ref.type, ref.value), obj=ref)


def InvalidArgument(property_name, message=None):
    return fault('InvalidArgument',
                 message or 'A specified parameter was not correct: %s' % property_name,
                 invalidProperty=property_name)


def InvalidProperty(name):
    return fault('InvalidProperty', 'Invalid property: %s' % name, name=name)


def NotImplemented_(method):
    return fault('NotImplemented', '%s is not implemented by vimsim' % method)


def NotFound(message):
    return fault('NotFound', message)


def FileNotFound(name):
    return fault('FileNotFound', 'File %s was not found' % name, file=name)


def FileAlreadyExists(name):
    return fault('FileAlreadyExists', 'Cannot complete the operation because the file or '
                 'folder %s already exists' % name, file=name)


def FileLocked(name):
    return fault('FileLocked', 'Unable to access file %s since it is locked' % name, file=name)
