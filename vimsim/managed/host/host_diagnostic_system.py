"""HostDiagnosticSystem: where a host writes its core dump
(HostSystem.configManager.diagnosticSystem).

The diagnostic partitions are the host's disks' partitions of type
vmkDiagnostic (host/storage_devices.py): an installer's boot disk holds two,
partition 7 (the 110 MB legacy one) and partition 9 (2.5 GB), the active
one. SelectActivePartition switches between them (an unset partition
deactivates core dumps, as `esxcli system coredump partition set
--unconfigure` does); a partition the host does not have is NotFound, and a
partition UpdateDiskPartitions removes is no longer active. A disk with 2.5
GB of free space after its last partition is a creation option: its
description is that disk's table with a vmkDiagnostic partition added, which
CreateDiagnosticPartition writes (HostConfigFault for a disk without the
room, NotFound for one the host lacks).
"""
from vimsim.managed.host.config_managers import HostManagerObject, host_config_fault
from vimsim.managed.host.storage_devices import (ALIGNMENT, Partition, check_partitions,
                                                 disk_by, partition_layout, partition_spec)
from vimsim.managed.storage.datastore import LOCAL_DISK
from vimsim.soap.fault import InvalidArgument, NotFound

DIAGNOSTIC = 'vmkDiagnostic'
DIAGNOSTIC_TYPES = ('singleHost', 'multiHost')           # DiagnosticPartitionType
STORAGE_TYPES = ('directAttached', 'networkAttached')    # DiagnosticPartitionStorageType
CORE_DUMP_PARTITION = 9
NEW_PARTITION_SECTORS = 2560 * 2048                      # 2.5 GB, as ESXi makes them


def _check_types(storage_type, diagnostic_type):
    if storage_type not in STORAGE_TYPES:
        raise InvalidArgument('storageType')
    if diagnostic_type not in DIAGNOSTIC_TYPES:
        raise InvalidArgument('diagnosticType')


class HostDiagnosticSystem(HostManagerObject):
    type_name = 'HostDiagnosticSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.active = (LOCAL_DISK, CORE_DUMP_PARTITION)   # (disk name, partition) or None

    @property
    def _storage(self):
        return self.host.managers['storageSystem']

    def _diagnostic_partitions(self):
        """[(disk, Partition)] of the vmkDiagnostic partitions of the host's attached disks."""
        return [(disk, p) for disk in self._storage.disks if disk.attached
                for p in disk.partitions if p.type == DIAGNOSTIC]

    def _partition(self, disk_name, number):
        T = self.host.T
        return T.HostDiagnosticPartition(
            storageType='directAttached', diagnosticType='singleHost', slots=1,
            id=T.HostScsiDiskPartition(diskName=disk_name, partition=number))

    @property
    def activePartition(self):
        present = {(disk.canonical_name, p.number) for disk, p in self._diagnostic_partitions()}
        return self._partition(*self.active) if self.active in present else None

    def _new_table(self, disk):
        """(new partition number, the disk's partitions with a new
        diagnostic one after its last); HostConfigFault without the room."""
        free = disk.free_range()
        if free is None or free[1] - free[0] + 1 < NEW_PARTITION_SECTORS:
            raise host_config_fault('The disk %s has no room for a diagnostic partition.'
                                    % disk.canonical_name)
        taken = {p.number for p in disk.partitions}
        number = next(n for n in range(1, 129) if n not in taken)
        start = free[0]
        end = start + NEW_PARTITION_SECTORS - 1
        end -= (end + 1) % ALIGNMENT
        return number, disk.partitions + [Partition(number, start, end, DIAGNOSTIC)]

    # -- methods ---------------------------------------------------------------
    def QueryAvailablePartition(self, ctx):
        return [self._partition(disk.canonical_name, p.number)
                for disk, p in self._diagnostic_partitions()]

    def SelectActivePartition(self, ctx, partition=None):
        if partition is None:
            chosen = None
        else:
            chosen = (partition.diskName, partition.partition)
            if chosen not in {(d.canonical_name, p.number)
                              for d, p in self._diagnostic_partitions()}:
                raise NotFound('The diagnostic partition %s:%s was not found.'
                               % (partition.diskName, partition.partition))
        if chosen != self.active:
            self.active = chosen
            self.report('activePartition')

    def QueryPartitionCreateOptions(self, ctx, storageType, diagnosticType):
        _check_types(storageType, diagnosticType)
        if storageType != 'directAttached':
            return []
        T = self.host.T
        options = []
        for disk in self._storage.disks:
            free = disk.free_range() if disk.attached else None
            if free is not None and free[1] - free[0] + 1 >= NEW_PARTITION_SECTORS:
                options.append(T.HostDiagnosticPartitionCreateOption(
                    storageType=storageType, diagnosticType=diagnosticType,
                    disk=self._storage.scsi_lun(T, disk)))
        return options

    def QueryPartitionCreateDesc(self, ctx, diskUuid, diagnosticType):
        _check_types('directAttached', diagnosticType)
        T = self.host.T
        disk = disk_by(self._storage.disks, uuid=diskUuid)
        number, partitions = self._new_table(disk)
        return T.HostDiagnosticPartitionCreateDescription(
            layout=partition_layout(T, disk, partitions), diskUuid=diskUuid,
            spec=T.HostDiagnosticPartitionCreateSpec(
                storageType='directAttached', diagnosticType=diagnosticType,
                id=T.HostScsiDiskPartition(diskName=disk.canonical_name, partition=number),
                partition=partition_spec(T, disk, partitions), active=False))

    def CreateDiagnosticPartition(self, ctx, spec):
        """Write the description's table: it must keep the disk's partitions
        and add spec.id's, of type vmkDiagnostic."""
        _check_types(spec.storageType, spec.diagnosticType)
        disk = disk_by(self._storage.disks, name=spec.id.diskName)
        partitions = check_partitions(disk, spec.partition.partition if spec.partition
                                      else [], 'spec.partition.partition')
        new = next((p for p in partitions if p.number == spec.id.partition), None)
        kept = {(p.number, p.start, p.end, p.type) for p in disk.partitions}
        if new is None or new.type != DIAGNOSTIC or \
                kept != {(p.number, p.start, p.end, p.type) for p in partitions if p is not new}:
            raise InvalidArgument('spec.partition')
        disk.partitions = partitions
        if spec.active:
            self.active = (disk.canonical_name, new.number)
        self.report('activePartition')
