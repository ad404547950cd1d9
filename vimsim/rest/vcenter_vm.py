"""com.vmware.vcenter.VM get and delete: the VM's Info read from the one
model (vimsim/rest/vcenter_vm_info.py), and deletion through the VM's own
Destroy_Task (its checks, events and task history), refused for a
powered-on VM as vCenter refuses it."""
from vimsim.rest.types import Id
from vimsim.rest.vcenter import run_task, state_error, vm, vm_object, vm_power
from vimsim.rest.vcenter_vm_info import INFO, info

__all__ = ['get', 'delete']

VM_ID = {'vm': Id}


@vm.operation('get', 'GET', '/{vm}', params=VM_ID, output=INFO)
def get(call, vm):
    return info(call.ctx, vm_object(call, vm))


@vm.operation('delete', 'DELETE', '/{vm}', params=VM_ID)
def delete(call, vm):
    obj = vm_object(call, vm)
    if vm_power(call, obj) == 'POWERED_ON':
        raise state_error('not_allowed_in_current_state',
                          'Virtual machine %s is powered on.' % vm, vm)
    return run_task(call, vm, obj, 'Destroy_Task')
