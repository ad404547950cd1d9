"""HostCacheConfigurationManager: the host cache, swap space on SSD-backed
datastores (HostSystem.configManager.cacheConfigurationManager).

A VMFS datastore can hold host cache while the storage system marks every
disk of its extents as SSD (an NFS datastore never); ConfigureHostCache_Task
sets a datastore's swap size in MB (0 frees it). A datastore that is not the
host's answers NotFound, one on a disk not marked SSD HostConfigFault, a size
below 0 or above the datastore's free space InvalidArgument.
"""
from vimsim.managed.host.config_managers import HostManagerObject, host_config_fault
from vimsim.managed.monitoring.task import run_task
from vimsim.soap.fault import InvalidArgument, NotFound

MB = 1024 * 1024


class HostCacheConfigurationManager(HostManagerObject):
    type_name = 'HostCacheConfigurationManager'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.swap = {}         # datastore moid -> MB

    @property
    def cacheConfigurationInfo(self):
        T = self.host.T
        return [T.HostCacheConfigurationInfo(key=ds.ref, swapSize=self.swap.get(ds.ref.value, 0))
                for ds in self.host.datastores]

    def ConfigureHostCache_Task(self, ctx, spec):
        datastore = next((ds for ds in self.host.datastores if ds.ref == spec.datastore), None)
        if datastore is None:
            raise NotFound('The datastore is not one of the host\'s.')
        extents = {name for name, _ in datastore.extents}
        disks = [d for d in self.host.managers['storageSystem'].disks
                 if d.canonical_name in extents]
        if not disks or not all(disk.ssd for disk in disks):
            raise host_config_fault('The datastore %s is not backed by an SSD.'
                                    % datastore.name)
        if not 0 <= spec.swapSize <= datastore.free_space // MB + self.swap.get(
                datastore.ref.value, 0):
            raise InvalidArgument('spec.swapSize')

        def work(task):
            self.swap[datastore.ref.value] = spec.swapSize
            self.changed('cacheConfigurationInfo')
        return run_task(ctx, self.host, 'ConfigureHostCache_Task', work, this=self)
