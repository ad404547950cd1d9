"""HostDiagnosticSystem: where a host writes its core dump
(HostSystem.configManager.diagnosticSystem).

The host's local disk carries ESXi's two diagnostic partitions, as an
installer lays them out: partition 7 (the 110 MB legacy one) and
partition 9 (2.5 GB), the active one. SelectActivePartition switches between
them (an unset partition deactivates core dumps, as `esxcli system coredump
partition set --unconfigure` does); a partition the host does not have is
NotFound. The rest of the disk is the local VMFS datastore, so no disk has
room for another diagnostic partition: QueryPartitionCreateOptions lists
none and QueryPartitionCreateDesc / CreateDiagnosticPartition answer
HostConfigFault for the local disk and NotFound for a disk the host lacks.
"""
from vimsim.managed.host.config_managers import HostManagerObject, host_config_fault
from vimsim.managed.storage.datastore import LOCAL_DISK
from vimsim.soap.fault import InvalidArgument, NotFound

DIAGNOSTIC_TYPES = ('singleHost', 'multiHost')           # DiagnosticPartitionType
STORAGE_TYPES = ('directAttached', 'networkAttached')    # DiagnosticPartitionStorageType
LEGACY_PARTITION, CORE_DUMP_PARTITION = 7, 9
# partition number -> core dump slots it holds (one dump fits in a slot)
PARTITION_SLOTS = {LEGACY_PARTITION: 1, CORE_DUMP_PARTITION: 1}


def _check_types(storage_type, diagnostic_type):
    if storage_type not in STORAGE_TYPES:
        raise InvalidArgument('storageType')
    if diagnostic_type not in DIAGNOSTIC_TYPES:
        raise InvalidArgument('diagnosticType')


class HostDiagnosticSystem(HostManagerObject):
    type_name = 'HostDiagnosticSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.active = CORE_DUMP_PARTITION     # a partition number or None

    def _partition(self, number):
        T = self.host.T
        return T.HostDiagnosticPartition(
            storageType='directAttached', diagnosticType='singleHost',
            slots=PARTITION_SLOTS[number],
            id=T.HostScsiDiskPartition(diskName=LOCAL_DISK, partition=number))

    @property
    def activePartition(self):
        return None if self.active is None else self._partition(self.active)

    def _local_disk(self, disk_uuid):
        """The host's local disk by uuid; NotFound for any other."""
        for lun in self.host.managers['storageSystem'].storageDeviceInfo.scsiLun:
            if lun.uuid == disk_uuid:
                return lun
        raise NotFound('The disk %s was not found on the host.' % disk_uuid)

    def _no_room(self, disk):
        return host_config_fault('The disk %s has no free space for a diagnostic partition: '
                                 'it holds the diagnostic partitions and a VMFS '
                                 'datastore.' % disk.canonicalName)

    # -- methods ---------------------------------------------------------------
    def QueryAvailablePartition(self, ctx):
        return [self._partition(number) for number in sorted(PARTITION_SLOTS)]

    def SelectActivePartition(self, ctx, partition=None):
        if partition is None:
            number = None
        elif partition.diskName == LOCAL_DISK and partition.partition in PARTITION_SLOTS:
            number = partition.partition
        else:
            raise NotFound('The diagnostic partition %s:%s was not found.'
                           % (partition.diskName, partition.partition))
        if number != self.active:
            self.active = number
            self.changed('activePartition')

    def QueryPartitionCreateOptions(self, ctx, storageType, diagnosticType):
        _check_types(storageType, diagnosticType)
        return []

    def QueryPartitionCreateDesc(self, ctx, diskUuid, diagnosticType):
        _check_types('directAttached', diagnosticType)
        raise self._no_room(self._local_disk(diskUuid))

    def CreateDiagnosticPartition(self, ctx, spec):
        _check_types(spec.storageType, spec.diagnosticType)
        if spec.id.diskName != LOCAL_DISK:
            raise NotFound('The disk %s was not found on the host.' % spec.id.diskName)
        disk = self.host.managers['storageSystem'].storageDeviceInfo.scsiLun[0]
        raise self._no_room(disk)
