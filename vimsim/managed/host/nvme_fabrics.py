"""NVMe over Fabrics on a simulated host: its software NVMe over TCP
adapters, the controllers they connect, and the datacenter's simulated
NVMe-oF target behind them; part of the host's storage device model.

The rule for the target: every IPv4/IPv6 address of the datacenter's
storage network answers as one NVMe/TCP port of a simulated target, with
its discovery controller on port 8009 (and 4420) and one NVM subsystem,
`nqn.2024-01.com.vimsim:nvme:<address>`, on port 4420, in the dynamic
controller model, exposing two namespaces of 100 GiB. A namespace is one
device for every host of the datacenter that connects the subsystem (its
Medium is in storage_devices.SharedMedia), named by its NGUID (`eui.` and
32 hex digits derived from the subsystem and namespace id).

The simulated hosts' NICs are vmxnet3 ones, as a nested ESXi's, with no
RDMA device behind them: there are NVMe over TCP adapters, but no NVMe over
RDMA ones.
"""
import hashlib
import ipaddress

from vimsim.managed.host.storage_devices import GiB_SECTORS, ScsiDisk

NVME_PORT = 4420
DISCOVERY_PORTS = (8009, NVME_PORT)
SUBSYSTEM_NQN = 'nqn.2024-01.com.vimsim:nvme:%s'
NAMESPACE_IDS = (1, 2)
NAMESPACE_BLOCKS = 100 * GiB_SECTORS
DYNAMIC_CONTROLLER = 0xFFFF             # CNTLID: the subsystem allocates one
ANY_CONTROLLER = 0xFFFE
ADMIN_QUEUE_MAX = 32
ADMIN_QUEUE_DEFAULT = 16
KEEP_ALIVE_MAX = 65535                  # seconds (KATO is 32 bits of ms; ESXi takes seconds)
FIRST_CONTROLLER = 256                  # ESXi numbers fabric controllers from 256
IO_QUEUES = 4
IO_QUEUE_SIZE = 128


def nvme_address(text):
    """The address family ('ipv4', 'ipv6') of an NVMe/TCP address, or None."""
    try:
        return 'ipv%d' % ipaddress.ip_address(text).version
    except (TypeError, ValueError):
        return None


def subsystem_at(address):
    """The NQN of the subsystem the target's port at `address` exposes."""
    return SUBSYSTEM_NQN % address


class TcpAdapter:
    """A software NVMe over TCP adapter, bound to a pNIC."""

    def __init__(self, device, pnic):
        self.device, self.pnic = device, pnic
        self.controllers = []

    @property
    def key(self):
        return 'key-vim.host.TcpHba-%s' % self.device

    def hba(self, T):
        return T.HostTcpHba(key=self.key, device=self.device, bus=0, status='online',
                            model='VMware NVMe over TCP Storage Adapter', driver='nvmetcp',
                            storageProtocol='nvme', associatedPnic=self.pnic)

    def connected(self, subnqn, address, port):
        return next((c for c in self.controllers if (c.subnqn, c.address, c.port) ==
                     (subnqn, address, port)), None)

    def target_number(self):
        taken = {c.target for c in self.controllers}
        return next(n for n in range(len(taken) + 1) if n not in taken)


class Controller:
    """A connected NVMe controller: its subsystem's namespaces are the
    host's disks (`namespaces`)."""

    def __init__(self, adapter, number, target, subnqn, address, port, admin_queue,
                 keep_alive):
        self.adapter = adapter
        self.number = number
        self.target = target                # its SCSI target number on the adapter
        self.subnqn, self.address, self.port = subnqn, address, port
        self.admin_queue, self.keep_alive = admin_queue, keep_alive
        self.namespaces = []

    @property
    def name(self):
        return '%s#%s#%s:%d' % (self.subnqn, self.adapter.device, self.address, self.port)

    def controller(self, T):
        return T.HostNvmeController(
            key='key-vim.host.NvmeController-%d' % self.number, controllerNumber=self.number,
            subnqn=self.subnqn, name=self.name, associatedAdapter=self.adapter.key,
            transportType='tcp', fusedOperationSupported=False, numberOfQueues=IO_QUEUES,
            queueSize=IO_QUEUE_SIZE, attachedNamespace=[T.HostNvmeNamespace(
                key='key-vim.host.NvmeNamespace-%s@%d' % (disk.canonical_name, self.number),
                name=disk.canonical_name, id=disk.lun + 1, blockSize=512,
                capacityInBlocks=disk.blocks) for disk in self.namespaces],
            vendorId='0x0000', model='VIMSIM NVMe-oF Target', serialNumber=self.serial,
            firmwareVersion='1.0')

    @property
    def serial(self):
        return hashlib.sha1(self.subnqn.encode()).hexdigest()[:20]


def namespace_disk(controller, nsid, medium):
    """Namespace `nsid` of the controller's subsystem, as the host's disk."""
    nguid = hashlib.sha1(('%s/%d' % (controller.subnqn, nsid)).encode()).hexdigest()[:32]
    uuid = '0200000000%s4e564d652054' % nguid
    disk = ScsiDisk('eui.' + nguid, uuid, controller.adapter.device, controller.target,
                    NAMESPACE_BLOCKS, 'NVMe TCP Disk   ', ssd=True, device_id=uuid)
    disk.lun = nsid - 1
    disk.local = False
    disk.vendor = 'NVMe    '
    disk.display_name = 'NVMe TCP Disk (eui.%s)' % nguid
    disk.nvme_controller = controller
    disk.medium = medium
    return disk
