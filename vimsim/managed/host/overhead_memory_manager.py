"""OverheadMemoryManager and the one VM memory overhead formula the model
answers with (HostSystem.QueryMemoryOverhead and QueryMemoryOverheadEx use
it too): vSphere's published overhead table (Resource Management guide),
fitted: about 18.4 MB, plus 0.74% of the VM's memory and 3.98 MB per extra
vCPU, plus its video RAM."""
from vimsim.managed.entity import data_types
from vimsim.managed.manager import Manager, manager_type
from vimsim.soap.encode import Long
from vimsim.soap.fault import InvalidArgument, fault

OVERHEAD_BASE_MB = 18.4
OVERHEAD_PER_MB = 0.0074
OVERHEAD_PER_EXTRA_VCPU_MB = 3.98
MiB = 1 << 20


def overhead_bytes(memory_mb, num_cpu, video_ram_kb=0):
    """The memory a host reserves beyond a VM's own, in bytes."""
    megabytes = (OVERHEAD_BASE_MB + OVERHEAD_PER_MB * memory_mb
                 + OVERHEAD_PER_EXTRA_VCPU_MB * (num_cpu - 1) + video_ram_kb / 1024.0)
    return Long(int(megabytes * MiB))


def hardware_overhead(T, hardware, where):
    """overhead_bytes of a VirtualHardware (InvalidArgument naming `where`
    without memory or vCPUs): its video cards' RAM counts."""
    if hardware is None or not hardware.memoryMB or not hardware.numCPU or \
            hardware.memoryMB < 0 or hardware.numCPU < 0:
        raise InvalidArgument(where)
    video_kb = sum(getattr(device, 'videoRamSizeInKB', None) or 0
                   for device in hardware.device or ()
                   if isinstance(device, T.VirtualMachineVideoCard))
    return overhead_bytes(hardware.memoryMB, hardware.numCPU, video_kb)


@manager_type('OverheadMemoryManager')
class OverheadMemoryManager(Manager):

    def LookupVmOverheadMemory(self, ctx, vm, host):
        """The static overhead of `vm` on `host`: the host must be where the
        VM is registered (NotFound otherwise, as vCenter finds no such pair)."""
        vm_object = self.server.objects.resolve(vm)
        host_object = self.server.objects.resolve(host)
        if vm_object.type_name != 'VirtualMachine':
            raise fault('InvalidType', 'The object is not of the type VirtualMachine.',
                        argument='vm')
        if host_object.type_name != 'HostSystem':
            raise fault('InvalidType', 'The object is not of the type HostSystem.',
                        argument='host')
        if getattr(vm_object, 'host', None) is not host_object:
            raise fault('NotFound', 'The virtual machine is not registered on the host.')
        return hardware_overhead(data_types(self.server), vm_object.config.hardware, 'vm')
