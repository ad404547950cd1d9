"""HostMemorySystem: the memory a host reserves for its VMs
(HostSystem.configManager.memoryManager).

ESXi has no service console: `consoleReservationInfo` is unset and
ReconfigureServiceConsoleReservation answers NotSupported, as for the
network system's console methods. The virtual machine reservation lies
between its `virtualMachineMin` and `virtualMachineMax` (the host's memory
less what the VMkernel keeps for itself), with one of the swap policies
(InvalidArgument for anything else).
"""
from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.soap.fault import InvalidArgument, fault

MB = 1024 * 1024
VMKERNEL_RESERVED = 1536 * MB
VM_MINIMUM = 256 * MB
POLICIES = ('swapNone', 'swapSome', 'swapMost')     # VirtualMachineMemoryAllocationPolicy


class HostMemorySystem(HostManagerObject):
    type_name = 'HostMemorySystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.reserved = 0
        self.policy = 'swapMost'

    @property
    def virtualMachineReservationInfo(self):
        return self.host.T.VirtualMachineMemoryReservationInfo(
            virtualMachineMin=VM_MINIMUM, virtualMachineMax=self._maximum(),
            virtualMachineReserved=self.reserved, allocationPolicy=self.policy)

    def _maximum(self):
        return self.host.hardware.memorySize - VMKERNEL_RESERVED

    def ReconfigureServiceConsoleReservation(self, ctx, cfgBytes):
        raise fault('NotSupported', 'ESXi has no service console.')

    def ReconfigureVirtualMachineReservation(self, ctx, spec):
        reserved = self.reserved if spec.virtualMachineReserved is None \
            else spec.virtualMachineReserved
        policy = spec.allocationPolicy or self.policy
        if reserved and not VM_MINIMUM <= reserved <= self._maximum():
            raise InvalidArgument('spec.virtualMachineReserved')
        if policy not in POLICIES:
            raise InvalidArgument('spec.allocationPolicy')
        if (reserved, policy) != (self.reserved, self.policy):
            self.reserved, self.policy = reserved, policy
            self.changed('virtualMachineReservationInfo')
