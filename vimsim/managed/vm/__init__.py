"""Virtual machines: VirtualMachine and its configuration, provisioning
(clone, relocate, migrate, customize), snapshots, CustomizationSpecManager
and GuestOperationsManager."""
