"""The inventory tree's containers: Folder, Datacenter, ComputeResource and
ClusterComputeResource, ResourcePool, VirtualApp and StoragePod, with the
methods that create, move and destroy what they hold."""
