"""StorageQueryManager: which hosts have a LUN attached.

A host's devices are its storage system's disks (host/host_storage_system.py,
reached through the host's managers); a device DetachScsiLun detached is
present but not attached, so it does not count. A vCenter asks every host
it manages, an ESX host only itself (it is the one host there).
"""
from vimsim.managed.manager import Manager, manager_type


@manager_type('StorageQueryManager')
class StorageQueryManager(Manager):

    def QueryHostsWithAttachedLun(self, ctx, lunUuid):
        """The hosts that have the LUN of uuid `lunUuid` attached."""
        found = []
        for obj in self.server.objects:
            if obj.type_name != 'HostSystem':
                continue
            storage = obj.managers.get('storageSystem')
            if storage is not None and any(disk.uuid == lunUuid and disk.attached
                                           for disk in storage.disks):
                found.append(obj.ref)
        return found
