"""VMDK descriptor files: the text that names a virtual disk's extents and
holds its disk database (uuid, geometry, adapter, provisioning), written and
read back as ESXi does (`# Disk DescriptorFile`, extent lines, `#DDB`).

A flat disk's data is its `-flat.vmdk` extent (createType "vmfs"), a
snapshot delta's a `-sesparse.vmdk` one over a parent named by
`parentFileNameHint`. The simulated extents are sparse files of the disk's
size, so capacity costs no disk space; whether a disk is thin is recorded
in `ddb.thinProvisioned`, as ESXi records it.
"""
import re

SECTOR = 512
HEADS = 255
SECTORS_PER_TRACK = 63
IDE_HEADS = 16
MAX_CYLINDERS = 16383
# ddb.adapterType -> the controller device type a disk of it sits on
CONTROLLERS = {'ide': 'VirtualIDEController', 'buslogic': 'VirtualBusLogicController',
               'lsilogic': 'VirtualLsiLogicController', 'legacyESX': 'VirtualLsiLogicController',
               'lsisas1068': 'VirtualLsiLogicSASController', 'pvscsi': 'ParaVirtualSCSIController',
               'nvme': 'VirtualNVMEController'}
# createType -> the disk backing type a VM would see
BACKINGS = {'vmfs': 'VirtualDiskFlatVer2BackingInfo', 'seSparse': 'VirtualDiskSeSparseBackingInfo',
            'vmfsSparse': 'VirtualDiskSparseVer2BackingInfo'}

_EXTENT = re.compile(r'^(RW|RDONLY|NOACCESS)\s+(\d+)\s+(\w+)\s+"([^"]*)"(?:\s+(\d+))?\s*$')
_PAIR = re.compile(r'^([A-Za-z][\w.]*)\s*=\s*"?([^"]*)"?\s*$')


class DescriptorError(ValueError):
    """The text is not a VMDK descriptor."""


class Descriptor:
    """One disk descriptor: its header fields, extents [(access, sectors,
    kind, file name)] and disk database {key: value}."""

    def __init__(self, extents, ddb, create_type='vmfs', cid=0xfffffffe,
                 parent_cid=0xffffffff, parent_hint=None):
        self.extents = extents
        self.ddb = ddb
        self.create_type = create_type
        self.cid = cid
        self.parent_cid = parent_cid
        self.parent_hint = parent_hint

    @classmethod
    def new(cls, extent, capacity_bytes, uuid_hex, adapter='lsilogic', thin=False,
            hw_version=21, parent_hint=None, content_id=None, parent_cid=0xffffffff):
        """The descriptor ESXi writes for a new disk (a delta over
        `parent_hint`, whose CID is `parent_cid`, when given) whose data is
        in `extent`."""
        sectors = max(capacity_bytes // SECTOR, 0)
        cylinders, heads, per_track = geometry(sectors, adapter)
        ddb = {'ddb.adapterType': adapter, 'ddb.deletable': 'true',
               'ddb.geometry.cylinders': str(cylinders), 'ddb.geometry.heads': str(heads),
               'ddb.geometry.sectors': str(per_track),
               'ddb.longContentID': content_id or uuid_hex[:32].ljust(32, '0'),
               'ddb.uuid': uuid_text(uuid_hex), 'ddb.virtualHWVersion': str(hw_version)}
        if thin:
            ddb['ddb.thinProvisioned'] = '1'
        delta = parent_hint is not None
        return cls([('RW', sectors, 'SESPARSE' if delta else 'VMFS', extent)], ddb,
                   create_type='seSparse' if delta else 'vmfs',
                   cid=int(uuid_hex[:8], 16) or 1, parent_cid=parent_cid,
                   parent_hint=parent_hint)

    # -- facts -------------------------------------------------------------------
    @property
    def capacity_bytes(self):
        return sum(sectors for _, sectors, _, _ in self.extents) * SECTOR

    @property
    def thin(self):
        return self.ddb.get('ddb.thinProvisioned') == '1'

    @property
    def adapter(self):
        return self.ddb.get('ddb.adapterType', 'lsilogic')

    @property
    def uuid(self):
        """ddb.uuid as 32 hex digits, '' when it has none."""
        return self.ddb.get('ddb.uuid', '').replace(' ', '').replace('-', '').lower()

    @property
    def hw_version(self):
        text = self.ddb.get('ddb.virtualHWVersion', '')
        return int(text) if text.isdigit() else None

    def chs(self):
        """(cylinders, heads, sectors) of the disk database's geometry."""
        def number(key, default):
            text = self.ddb.get(key, '')
            return int(text) if text.isdigit() else default
        computed = geometry(self.capacity_bytes // SECTOR, self.adapter)
        return (number('ddb.geometry.cylinders', computed[0]),
                number('ddb.geometry.heads', computed[1]),
                number('ddb.geometry.sectors', computed[2]))

    def resized(self, capacity_bytes):
        """Grow the (single) extent to `capacity_bytes`, geometry with it."""
        access, _, kind, name = self.extents[0]
        sectors = capacity_bytes // SECTOR
        self.extents = [(access, sectors, kind, name)]
        cylinders, heads, per_track = geometry(sectors, self.adapter)
        self.ddb.update({'ddb.geometry.cylinders': str(cylinders),
                         'ddb.geometry.heads': str(heads),
                         'ddb.geometry.sectors': str(per_track)})

    def renamed(self, extent):
        """Point the (single) extent at file `extent`."""
        access, sectors, kind, _ = self.extents[0]
        self.extents = [(access, sectors, kind, extent)]

    # -- text --------------------------------------------------------------------
    def text(self):
        lines = ['# Disk DescriptorFile', 'version=1', 'encoding="UTF-8"',
                 'CID=%08x' % self.cid, 'parentCID=%08x' % self.parent_cid,
                 'createType="%s"' % self.create_type]
        if self.parent_hint is not None:
            lines.append('parentFileNameHint="%s"' % self.parent_hint)
        lines += ['', '# Extent description']
        lines += ['%s %d %s "%s"' % extent for extent in self.extents]
        lines += ['', '# The Disk Data Base', '#DDB', '']
        lines += ['%s = "%s"' % (key, value) for key, value in sorted(self.ddb.items())]
        return '\n'.join(lines) + '\n'

    @classmethod
    def parse(cls, text):
        """A descriptor from its text; DescriptorError when it is none."""
        if not text.startswith('# Disk DescriptorFile'):
            raise DescriptorError('not a disk descriptor')
        header, extents, ddb = {}, [], {}
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            extent = _EXTENT.match(line)
            if extent is not None:
                access, sectors, kind, name, _ = extent.groups()
                extents.append((access, int(sectors), kind, name))
                continue
            pair = _PAIR.match(line)
            if pair is None:
                raise DescriptorError('unreadable line %r' % line)
            key, value = pair.groups()
            (ddb if key.startswith('ddb.') else header)[key] = value
        if not extents:
            raise DescriptorError('a descriptor without extents')
        try:
            cid = int(header.get('CID', 'fffffffe'), 16)
            parent_cid = int(header.get('parentCID', 'ffffffff'), 16)
        except ValueError:
            raise DescriptorError('bad CID') from None
        return cls(extents, ddb, header.get('createType', 'vmfs'), cid, parent_cid,
                   header.get('parentFileNameHint'))


def geometry(sectors, adapter='lsilogic'):
    """The BIOS geometry (cylinders, heads, sectors per track) ESXi gives a
    disk of `sectors` sectors on an adapter of that type."""
    heads = IDE_HEADS if adapter == 'ide' else HEADS
    return min(sectors // (heads * SECTORS_PER_TRACK), MAX_CYLINDERS), heads, SECTORS_PER_TRACK


def uuid_text(uuid_hex):
    """'6000c29...' -> '60 00 c2 9...', the byte-spaced form of ddb.uuid and
    of QueryVirtualDiskUuid ('60 00 C2 9...-...')."""
    digits = uuid_hex.replace('-', '').replace(' ', '').lower()[:32].ljust(32, '0')
    pairs = [digits[i:i + 2] for i in range(0, 32, 2)]
    return ' '.join(pairs[:8]) + '-' + ' '.join(pairs[8:])
