"""StoragePod: a datastore cluster, the Folder subtype vcsim's `-pod` builds.

A pod holds datastores only (`childType` ['Datastore']); a datastore moved in
has the pod as its parent and stays in its datacenter's `datastore` list.
`summary` (capacity and free space) is rolled up on read from the member
datastores' own summaries, so it always agrees with them.
`podStorageDrsEntry` reads the pod's Storage DRS configuration and pending
recommendations, which the StorageResourceManager keeps
(storage/storage_resource_manager.py); a new pod has vCenter's defaults,
enabled as vcsim creates it.
"""
from vimsim.managed.entity import data_types
from vimsim.managed.inventory.folder import Folder, container_class


@container_class('StoragePod')
class StoragePod(Folder):
    type_name = 'StoragePod'

    def __init__(self, server, moid, name, folder):
        from vimsim.managed.storage.storage_resource_manager import default_pod_config
        super().__init__(server, moid, name, folder, ('Datastore',))
        folder.add_child(self)
        self.pod_config = default_pod_config(data_types(server))
        self.vm_configs = []
        self.recommendations = {}      # key -> storage_resource_manager.Pending

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
        return T.PodStorageDrsEntry(
            storageDrsConfig=T.StorageDrsConfigInfo(podConfig=self.pod_config,
                                                    vmConfig=list(self.vm_configs)),
            recommendation=[p.recommendation for p in self.recommendations.values()],
            drsFault=[], actionHistory=[])
