"""The block devices a simulated host sees: the model behind its
HostStorageSystem and HostDatastoreSystem.

Every host has four local SCSI disks on vmhba0, one target each: the boot
disk (T0, 1 TiB, holding the host's original VMFS datastores on its
partition 3) and three unclaimed disks (T1 200 GiB, T2 500 GiB SSD, T3 a
2 TiB `naa.*` disk) with empty GPT partition tables, which
QueryAvailableDisksForVmfs offers for new VMFS datastores. A disk keeps
its partition table (GPT, 512-byte sectors) and what tools change on it:
attached, SSD and local flags, display name, path policy and path state,
perennial reservation, its locator LED.

Partition tables are checked as ESXi's partedUtil checks them: partitions
inside the GPT's usable sectors (34 .. total-34), not overlapping, of a
known type, numbered 1 .. 128 once each.
"""
import hashlib
import ipaddress
import re
import uuid as uuid_module

from vimsim.soap.fault import InvalidArgument, NotFound

SECTOR = 512
GPT_RESERVED = 34                   # sectors the GPT header and entries take at each end
ALIGNMENT = 2048                    # ESXi aligns new partitions to 1 MiB
MAX_PARTITIONS = 128
DEVICE_DIRECTORY = '/vmfs/devices/disks/'
# GPT type GUIDs of the partition types ESXi names (HostDiskPartitionInfoType)
PARTITION_GUIDS = {
    'vmfs': 'AA31E02A400F11DB9590000C2911D1B8',
    'vmkDiagnostic': '9D27538040AD11DBBF97000C2911D1B8',
    'linuxNative': '0FC63DAF848347728E793D69D8477DE4',
    'linuxSwap': '0657FD6DA4AB43C484E50933C84B4F4F',
    'ntfs': 'EBD0A0A2B9E5443387C068B6B72699C7',
    'vffs': '6A898CC31DD211B299A6080020736631',
    'none': 'C12A7328F81F11D2BA4B00A0C93EC93B',      # the EFI system partition
    'extended': None,
}
_HOST_NAME = re.compile(r'^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
                        r'(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$')
GiB_SECTORS = (1 << 30) // SECTOR
FIXED = 'VMW_PSP_FIXED'
VMFS_VERSIONS = (5, 6)                  # the VMFS major versions ESXi 8 makes
FCOE_PRIORITY_CLASS = 3                 # the 802.1p class FCoE traffic takes by default
_MAC = re.compile(r'^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$')


class Partition:
    """One GPT entry: number, first and last sector (inclusive), type."""
    __slots__ = ('number', 'start', 'end', 'type')

    def __init__(self, number, start, end, type):
        self.number, self.start, self.end, self.type = number, start, end, type

    @property
    def sectors(self):
        return self.end - self.start + 1


class Medium:
    """What is written on a device: its partition table. A LUN of a shared
    array has one Medium that every host seeing the LUN reads and writes."""
    __slots__ = ('partitions',)

    def __init__(self, partitions=()):
        self.partitions = list(partitions)


class SharedMedia:
    """The devices a datacenter's simulated arrays (iSCSI, NVMe-oF) expose
    to its hosts: key (a target IQN, a subsystem's namespace) -> Medium, one
    for every host that sees the device, so a VMFS volume one host writes
    there is there for the others to find when they rescan."""

    def __init__(self):
        self.media = {}

    @classmethod
    def of(cls, datacenter):
        """The datacenter's, held by it: the model's, so a snapshot keeps it."""
        found = getattr(datacenter, 'shared_media', None)
        if found is None:
            found = datacenter.shared_media = cls()
        return found

    def medium(self, key):
        found = self.media.get(key)
        if found is None:
            found = self.media[key] = Medium()
        return found


class ScsiDisk:
    """One SCSI disk as one host sees it: its single path, its host-side
    state, and the Medium holding its partition table."""

    def __init__(self, canonical_name, uuid, adapter, target, blocks, model, ssd,
                 device_id=None, partitions=()):
        self.canonical_name = canonical_name
        self.uuid = uuid
        self.adapter = adapter
        self.target = target
        self.lun = 0
        self.blocks = blocks
        self.model = model
        self.vendor = 'VMware  '
        self.iscsi_target = None            # the iscsi_adapter.Target an iSCSI LUN is behind
        self.nvme_controller = None         # the nvme_fabrics.Controller a namespace is behind
        self.device_id = device_id or '0200000000' + uuid   # the plug-store device's key
        self.medium = Medium(partitions)
        self.attached = True
        self.ssd = ssd
        self.local = True
        self.display_name = 'Local VMware Disk (%s)' % canonical_name
        self.path_policy = FIXED
        self.path_enabled = True
        self.perennially_reserved = False
        self.locator_led = False

    @property
    def partitions(self):
        return self.medium.partitions

    @partitions.setter
    def partitions(self, partitions):
        self.medium.partitions = partitions

    @property
    def shared(self):
        """Whether other hosts may see this device (a LUN of an array)."""
        return self.iscsi_target is not None or self.nvme_controller is not None

    @property
    def device_path(self):
        return DEVICE_DIRECTORY + self.canonical_name

    @property
    def path_name(self):
        return '%s:C0:T%d:L%d' % (self.adapter, self.target, self.lun)

    @property
    def last_usable(self):
        return self.blocks - GPT_RESERVED - 1

    def partition(self, number):
        return next((p for p in self.partitions if p.number == number), None)

    def free_range(self):
        """(start, end) of the aligned free space after the last partition,
        or None when less than 1 MiB is left."""
        used = max((p.end for p in self.partitions), default=GPT_RESERVED - 1)
        start = -(-(used + 1) // ALIGNMENT) * ALIGNMENT
        end = (self.last_usable + 1) // ALIGNMENT * ALIGNMENT - 1
        return (start, end) if end - start + 1 >= ALIGNMENT else None

    def whole_disk_range(self):
        """(start, end) of one aligned partition over the whole disk."""
        return ALIGNMENT, (self.last_usable + 1) // ALIGNMENT * ALIGNMENT - 1


def mpx_uuid(adapter, target):
    """ESXi's uuid of a local mpx device: zeros and its 'vmhba0:T:0' in hex."""
    return '0000000000' + ('%s:%d:0' % (adapter, target)).encode().hex()


def naa_id(seed):
    """A VMware virtual disk's NAA identifier (6000c29 + 25 hex digits)."""
    return '6000c29' + hashlib.sha1(seed.encode()).hexdigest()[:25]


def default_disks():
    """The disks every simulated host starts with (the boot disk first)."""
    boot_blocks = 2147483648            # 1 TiB
    boot = ScsiDisk('mpx.vmhba0:C0:T0:L0', mpx_uuid('vmhba0', 0), 'vmhba0', 0, boot_blocks,
                    'Virtual disk    ', ssd=True, partitions=[
                        # an installer's layout: system partition (1), scratch (2),
                        # the VMFS datastore (3), boot banks (5, 6), the legacy (7)
                        # and current (9) core dump partitions, store (8)
                        Partition(1, 64, 8191, 'none'),
                        Partition(2, 7086080, 15472639, 'linuxNative'),
                        Partition(3, 15472640, boot_blocks - GPT_RESERVED - 1, 'vmfs'),
                        Partition(5, 8224, 520191, 'linuxNative'),
                        Partition(6, 520224, 1032191, 'linuxNative'),
                        Partition(7, 1032224, 1257471, 'vmkDiagnostic'),
                        Partition(8, 1257504, 1843199, 'linuxNative'),
                        Partition(9, 1843200, 7086079, 'vmkDiagnostic')])
    second = ScsiDisk('mpx.vmhba0:C0:T1:L0', mpx_uuid('vmhba0', 1), 'vmhba0', 1,
                      200 * GiB_SECTORS, 'Virtual disk    ', ssd=False)
    third = ScsiDisk('mpx.vmhba0:C0:T2:L0', mpx_uuid('vmhba0', 2), 'vmhba0', 2,
                     500 * GiB_SECTORS, 'Virtual disk    ', ssd=True)
    naa = naa_id('vmhba0:C0:T3:L0')
    fourth = ScsiDisk('naa.' + naa, '0200000000%s566972747561' % naa, 'vmhba0', 3,
                      2048 * GiB_SECTORS, 'Virtual disk    ', ssd=False,
                      device_id='0200000000%s566972747561' % naa)
    fourth.display_name = 'Local VMware Disk (naa.%s)' % naa
    return [boot, second, third, fourth]


def check_partitions(disk, specs, argument):
    """The Partition list a HostDiskPartitionSpec's entries describe for
    `disk`; InvalidArgument naming the first entry that does not fit."""
    found = []
    for index, spec in enumerate(specs):
        name = '%s[%d]' % (argument, index)
        number, start, end = spec.partition, spec.startSector, spec.endSector
        if not isinstance(number, int) or not 1 <= number <= MAX_PARTITIONS or \
                any(p.number == number for p in found):
            raise InvalidArgument(name + '.partition')
        if spec.type not in PARTITION_GUIDS:
            raise InvalidArgument(name + '.type')
        if not isinstance(start, int) or not isinstance(end, int) or \
                not GPT_RESERVED <= start <= end <= disk.last_usable:
            raise InvalidArgument(name + '.startSector')
        if any(p.start <= end and start <= p.end for p in found):
            raise InvalidArgument(name + '.startSector')
        found.append(Partition(number, start, end, spec.type))
    return sorted(found, key=lambda p: p.number)


def partition_spec(T, disk, partitions):
    """A HostDiskPartitionSpec of `partitions` on `disk`."""
    return T.HostDiskPartitionSpec(
        partitionFormat='gpt', chs=chs(T, disk), totalSectors=disk.blocks, sectorSize=SECTOR,
        partition=[T.HostDiskPartitionAttributes(
            partition=p.number, startSector=p.start, endSector=p.end, type=p.type,
            guid=PARTITION_GUIDS[p.type], logical=False, attributes=0,
            partitionAlignment=ALIGNMENT * SECTOR) for p in partitions])


def chs(T, disk):
    return T.HostDiskDimensionsChs(cylinder=disk.blocks // (255 * 63), head=255, sector=63)


def partition_layout(T, disk, partitions):
    """A HostDiskPartitionLayout: the partitions in disk order, with the
    free ranges between them as type `none` without a number, as ESXi's."""
    ranges = []
    position = GPT_RESERVED

    def lba(sector):
        return T.HostDiskDimensionsLba(blockSize=SECTOR, block=sector)
    for p in sorted(partitions, key=lambda p: p.start):
        if p.start > position:
            ranges.append(T.HostDiskPartitionBlockRange(type='none', start=lba(position),
                                                        end=lba(p.start - 1)))
        ranges.append(T.HostDiskPartitionBlockRange(partition=p.number, type=p.type,
                                                    start=lba(p.start), end=lba(p.end)))
        position = p.end + 1
    if position <= disk.last_usable:
        ranges.append(T.HostDiskPartitionBlockRange(type='none', start=lba(position),
                                                    end=lba(disk.last_usable)))
    return T.HostDiskPartitionLayout(total=lba(disk.blocks), partition=ranges)


def partition_info(T, disk, partitions=None):
    """HostDiskPartitionInfo of `disk` (with `partitions` instead of its own)."""
    partitions = disk.partitions if partitions is None else partitions
    return T.HostDiskPartitionInfo(deviceName=disk.device_path,
                                   spec=partition_spec(T, disk, partitions),
                                   layout=partition_layout(T, disk, partitions))


def disk_by(disks, *, uuid=None, path=None, name=None):
    """The disk with this uuid, device path or canonical name; NotFound else."""
    for disk in disks:
        if (uuid is not None and disk.uuid == uuid) or \
                (path is not None and disk.device_path == path) or \
                (name is not None and disk.canonical_name == name):
            return disk
    raise NotFound('The object or item referred to could not be found.')


def volume_uuid(server):
    """A new VMFS or VFFS volume uuid (8-8-4-12 hex, as ESXi prints them)."""
    h = uuid_module.UUID(server.new_uuid()).hex
    return '%s-%s-%s-%s' % (h[:8], h[8:16], h[16:20], h[20:32])


def fcoe_configuration(T, mac):
    """A vmxnet3 pNIC's FcoeConfig, as an ESXi 8 host reports it: the
    defaults, nothing settable, never active (ESXi 8 has no software FCoE)."""
    return T.FcoeConfig(priorityClass=FCOE_PRIORITY_CLASS, sourceMac=mac,
                        vlanRange=[T.FcoeConfigVlanRange(vlanLow=0, vlanHigh=0)],
                        capabilities=T.FcoeConfigFcoeCapabilities(
                            priorityClass=False, sourceMacAddress=False, vlanRange=False),
                        fcoeActive=False)


def valid_mac(text):
    return isinstance(text, str) and bool(_MAC.match(text))


def valid_server_address(text):
    """A storage server's address (NFS, iSCSI): an IP address or a DNS name."""
    try:
        ipaddress.ip_address(text.strip('[]'))
        return True
    except ValueError:
        return bool(_HOST_NAME.match(text))
