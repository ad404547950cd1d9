"""com.vmware.vcenter.vm.hardware and its services: the reads of one part
of a VM's hardware (its version, CPU, memory, boot settings and order, and
each kind of device with its list and get), which are the parts of the VM
Info (vimsim/rest/vcenter_vm_info.py) read from the same config. A device
is named by its device key; an unknown one is not_found, as vCenter answers.
Their changes (update, create, delete, connect) are not served yet."""
from vimsim.rest.errors import not_found
from vimsim.rest.service import Service
from vimsim.rest.types import Id, List, Struct
from vimsim.rest.vcenter import vm_object
from vimsim.rest.vcenter_vm_info import (BOOT_ENTRY, BOOT_INFO, CDROM_INFO, CPU_INFO, DISK_INFO,
                                         FLOPPY_INFO, HARDWARE_INFO, MEMORY_INFO, NIC_INFO,
                                         NVME_INFO, PARALLEL_INFO, SATA_INFO, SCSI_INFO,
                                         SERIAL_INFO, info)

__all__ = ['SERVICES']

HARDWARE = 'com.vmware.vcenter.vm.hardware'
BASE = '/vcenter/vm/{vm}/hardware'
VM_ID = {'vm': Id}


def _info(call, vm):
    return info(call.ctx, vm_object(call, vm))


def _part(service_id, path, field, output):
    """A service whose get answers one part of the VM Info."""
    service = Service(service_id, BASE + path)
    service.operation('get', 'GET', params=VM_ID, output=output)(
        lambda call, vm: _info(call, vm)[field])
    return service


def _devices(name, path, field, id_name, info_type, what):
    """A service listing one kind of device (summaries naming each by
    `id_name`) and getting one by its key."""
    service_id = '%s.%s' % (HARDWARE, name)
    service = Service(service_id, BASE + path)
    summary = Struct(service_id + '.summary', {id_name: Id})
    service.operation('list', 'GET', params=VM_ID, output=List(summary))(
        lambda call, vm: [{id_name: key} for key in _info(call, vm)[field]])

    def get(call, vm, **device):
        found = _info(call, vm)[field].get(device[id_name])
        if found is None:
            raise not_found(what, device[id_name])
        return found
    service.operation('get', 'GET', '/{%s}' % id_name, params={**VM_ID, id_name: Id},
                      output=info_type)(get)
    return service


SERVICES = (
    _part(HARDWARE, '', 'hardware', HARDWARE_INFO),
    _part(HARDWARE + '.cpu', '/cpu', 'cpu', CPU_INFO),
    _part(HARDWARE + '.memory', '/memory', 'memory', MEMORY_INFO),
    _part(HARDWARE + '.boot', '/boot', 'boot', BOOT_INFO),
    _part(HARDWARE + '.boot.device', '/boot/device', 'boot_devices', List(BOOT_ENTRY)),
    _devices('disk', '/disk', 'disks', 'disk', DISK_INFO, 'Disk'),
    _devices('ethernet', '/ethernet', 'nics', 'nic', NIC_INFO, 'Ethernet'),
    _devices('cdrom', '/cdrom', 'cdroms', 'cdrom', CDROM_INFO, 'Cdrom'),
    _devices('floppy', '/floppy', 'floppies', 'floppy', FLOPPY_INFO, 'Floppy'),
    _devices('serial', '/serial', 'serial_ports', 'port', SERIAL_INFO, 'SerialPort'),
    _devices('parallel', '/parallel', 'parallel_ports', 'port', PARALLEL_INFO,
             'ParallelPort'),
    _devices('adapter.sata', '/adapter/sata', 'sata_adapters', 'adapter', SATA_INFO,
             'SataAdapter'),
    _devices('adapter.scsi', '/adapter/scsi', 'scsi_adapters', 'adapter', SCSI_INFO,
             'ScsiAdapter'),
    _devices('adapter.nvme', '/adapter/nvme', 'nvme_adapters', 'adapter', NVME_INFO,
             'NvmeAdapter'))
