"""vmodl names of managed types and methods, which vCenter's keys are made of
(TaskInfo.descriptionId 'VirtualMachine.powerOn', privilege and event keys).

They come from the schema (`vimsim:vmodl` in vim-managedtypes.xsd, written by
tools/gen_wsdl.py from pyVmomi's type tables)."""
from vimsim import schema as _schema


def vmodl_type(wsdl_type):
    """'HostDatastoreSystem' -> 'vim.host.DatastoreSystem'."""
    managed = _schema.load().managed.get(wsdl_type)
    name = managed.vmodl_name if managed is not None else None
    if not name or '.' not in name:
        return ('vmodl.' if wsdl_type == 'ManagedObject' else 'vim.') + wsdl_type
    return name


def vmodl_method(operation):
    """'PowerOnVM_Task' -> 'powerOn'; 'CreateNasDatastore' -> 'createNasDatastore'."""
    found = _schema.load().operations.get(operation)
    name = found.vmodl_name if found is not None and found.vmodl_name else (
        operation[:-len('_Task')] if operation.endswith('_Task') else operation)
    return name[:1].lower() + name[1:]


def method_key(wsdl_type, operation):
    """TaskDescription.methodInfo key (TaskInfo.descriptionId) of a method:
    the vmodl type name without its 'vim.' prefix, then the vmodl method name
    ('VirtualMachine.powerOn', 'host.DatastoreSystem.createNasDatastore')."""
    type_name = vmodl_type(wsdl_type)
    if type_name.startswith('vim.'):
        type_name = type_name[len('vim.'):]
    return '%s.%s' % (type_name, vmodl_method(operation))
