"""Networks: Network, OpaqueNetwork, DistributedVirtualSwitch and
DistributedVirtualPortgroup."""
