"""StoragePod: a datastore cluster, the Folder subtype vcsim's `-pod` builds.

A pod holds datastores only (`childType` ['Datastore']); a datastore moved in
has the pod as its parent and stays in its datacenter's `datastore` list.
`summary` (capacity and free space) is rolled up on read from the member
datastores' own summaries, so it always agrees with them.
`podStorageDrsEntry` carries vCenter's Storage DRS defaults, enabled as vcsim
creates it (space threshold 80 %, I/O latency 15 ms, every 8 hours).
"""
from vimsim.managed.inventory.folder import Folder, container_class


@container_class('StoragePod')
class StoragePod(Folder):
    type_name = 'StoragePod'

    def __init__(self, server, moid, name, folder):
        super().__init__(server, moid, name, folder, ('Datastore',))
        folder.add_child(self)
        self.sdrs_enabled = True
        self.io_load_balance_enabled = True
        self.default_vm_behavior = 'manual'

    def datastores(self):
        get = self.server.objects.get
        return [ds for ds in (get(ref) for ref in self.childEntity) if ds is not None]

    def add_datastore(self, datastore):
        """Move a datastore into the pod (out of its folder), as
        MoveIntoFolder_Task on a pod does."""
        self.move_in(datastore)

    # the summary rolls up the members: every move in or out changes it
    def add_child(self, entity):
        super().add_child(entity)
        self.changed('summary')

    def remove_child(self, entity):
        super().remove_child(entity)
        self.changed('summary')

    # -- properties ------------------------------------------------------------
    @property
    def summary(self):
        capacity = free = 0
        for ds in self.datastores():
            summary = ds.summary
            capacity += summary.capacity
            free += summary.freeSpace
        return self.T.StoragePodSummary(name=self.name, capacity=capacity, freeSpace=free)

    @property
    def podStorageDrsEntry(self):
        T = self.T
        pod_config = T.StorageDrsPodConfigInfo(
            enabled=self.sdrs_enabled, ioLoadBalanceEnabled=self.io_load_balance_enabled,
            defaultVmBehavior=self.default_vm_behavior, loadBalanceInterval=480,
            defaultIntraVmAffinity=True,
            spaceLoadBalanceConfig=T.StorageDrsSpaceLoadBalanceConfig(
                spaceThresholdMode='utilization', spaceUtilizationThreshold=80,
                freeSpaceThresholdGB=50, minSpaceUtilizationDifference=5),
            ioLoadBalanceConfig=T.StorageDrsIoLoadBalanceConfig(
                reservablePercentThreshold=60, reservableThresholdMode='automatic',
                ioLatencyThreshold=15, ioLoadImbalanceThreshold=5),
            automationOverrides=T.StorageDrsAutomationConfig(),
            rule=[], option=[])
        return T.PodStorageDrsEntry(
            storageDrsConfig=T.StorageDrsConfigInfo(podConfig=pod_config, vmConfig=[]),
            recommendation=[], drsFault=[], actionHistory=[])
