"""A recorded inventory made of the model's own objects, so it is writable.

`build_inventory` walks the recorded tree from the root folder and makes each
entity of a type the model has (folders, datacenters, networks, distributed
switches and portgroups, datastores, compute resources and clusters, resource
pools, hosts, virtual machines) the way the default inventory's builder
makes it, under its recorded moid, with the recorded links (a VM's folder,
pool, host, datastores and networks; a host's mounts and networks; switch
membership) and the recorded primary state the model keeps: names, power
and connection states, sizes, devices, uuids, allocations, capacities. Every
method then works on them as on built objects.

What the model computes (summaries, runtime, quick stats, free space, a
VM's layout and storage) it computes from that state, so it stays
consistent with what the methods then do. A recorded property the model
has no notion of is served as recorded (set on the object). A few
descriptive ones the model computes from constants are served as recorded
too, as `Recorded...` subclasses say (a host's hardware). Entities of types
the model has no class for here, and any entity no recorded container lists,
are left to `recording.RecordedObject`, which replays their properties.

Not carried over: snapshot trees (the recording holds no snapshot objects,
so a VM starts without snapshots; its disks keep their recorded delta
chains), distributed port keys (each NIC gets a free port of its recorded
portgroup), a host's recorded network configuration (hosts start with the
model's default switches, plus the recorded networks and switches).
"""
import copy
import re

from vimsim import clock
from vimsim.managed.base import Context
from vimsim.managed.host.host_joining import next_host_index
from vimsim.managed.host.host_system import HostSystem
from vimsim.managed.inventory.compute_resource import ClusterComputeResource, ComputeResource
from vimsim.managed.inventory.datacenter import Datacenter
from vimsim.managed.inventory.folder import Folder
from vimsim.managed.inventory.resource_pool import ResourcePool
from vimsim.managed.network.distributed_virtual_portgroup import DistributedVirtualPortgroup
from vimsim.managed.network.distributed_virtual_switch import VmwareDistributedVirtualSwitch
from vimsim.managed.network.dv_port import sync_vm_ports
from vimsim.managed.network.network import Network
from vimsim.managed.storage.datastore import Datastore
from vimsim.managed.vm.virtual_machine import VirtualMachine
from vimsim.schema import MoRef
from vimsim.soap.fault import message_of

_VMX_PATH = re.compile(r'^\[([^\]]+)\] (?:(.*)/)?([^/]*)\.vmx$')
_MOID_NUMBER = re.compile(r'^[a-z][a-z-]*-(\d+)$')   # vCenter's counted moids


class RecordedHostSystem(HostSystem):
    """A recorded host: its hardware is the recorded one, and so is what the
    load model and admission control schedule on (CPU and memory capacity,
    logical CPUs)."""

    def __init__(self, server, moid, name, parent, index, system_uuid, boot_time,
                 hardware, hardware_summary):
        super().__init__(server, moid, name, parent, index, system_uuid, boot_time)
        self.recorded_hardware = hardware
        self.recorded_hardware_summary = hardware_summary
        cpu = hardware.cpuInfo if hardware is not None else None
        if cpu is not None and cpu.hz and cpu.numCpuCores:
            self.cpu_core_mhz = cpu.hz // 1000000
            self.cpu_capacity_mhz = self.cpu_core_mhz * cpu.numCpuCores
            self.num_cpu_threads = cpu.numCpuThreads or cpu.numCpuCores
        if hardware is not None and hardware.memorySize:
            self.memory_capacity_mb = hardware.memorySize // (1024 * 1024)

    @property
    def hardware(self):
        return self.recorded_hardware or super().hardware

    @property
    def summary(self):
        summary = super().summary
        if self.recorded_hardware_summary is not None:
            summary.hardware = self.recorded_hardware_summary
        return summary


class _Walk:
    """One walk of the recorded tree, making model objects as it goes."""

    def __init__(self, server, recording):
        self.server = server
        self.recording = recording
        self.objects = recording.objects
        self.made = {}          # MoRef -> model object
        self.reported = set()   # MoRefs a problem was reported for
        self.vm_sequence = 0

    def props(self, ref):
        return self.objects.get(ref, {})

    def problem(self, ref, message):
        self.reported.add(ref)
        self.recording.problem('%s-%s' % (ref.type, ref.value), message)

    def children(self, ref, name):
        value = self.props(ref).get(name) or []
        return [child for child in value if isinstance(child, MoRef) and child in self.objects]

    def made_of(self, refs):
        return [self.made[ref] for ref in refs or () if ref in self.made]

    def keep(self, ref, obj):
        self.made[ref] = obj
        return obj

    # -- folders and datacenters ----------------------------------------------------
    def root(self, ref):
        props = self.props(ref)
        root = self.keep(ref, Folder(self.server, ref.value, props.get('name') or 'Datacenters',
                                     None, props.get('childType') or ('Folder', 'Datacenter')))
        self.folder_contents(root, ref)
        return root

    def sub_folder(self, folder, ref):
        props = self.props(ref)
        sub = self.keep(ref, Folder(self.server, ref.value, props.get('name', ''), folder,
                                    props.get('childType') or folder.childType))
        folder.add_child(sub)
        return sub

    def folder_contents(self, folder, ref):
        for child in self.children(ref, 'childEntity'):
            if child.type == 'Folder':
                self.folder_contents(self.sub_folder(folder, child), child)
            elif child.type == 'Datacenter':
                self.datacenter(folder, child)
            self.keep_listed(folder, child)

    def datacenter(self, parent, ref):
        props = self.props(ref)
        folder_refs = [props.get(name) for name in ('vmFolder', 'hostFolder', 'datastoreFolder',
                                                    'networkFolder')]
        if not all(isinstance(r, MoRef) for r in folder_refs):
            return
        dc = self.keep(ref, Datacenter(self.server, ref.value, props.get('name', ''), parent,
                                       folder_ids=[r.value for r in folder_refs]))
        parent.add_child(dc)
        for folder, folder_ref in zip(dc.folders(), folder_refs):
            self.made[folder_ref] = folder
        vm_ref, host_ref, ds_ref, net_ref = folder_refs
        # networks and datastores first: hosts mount them, VMs use them
        self.tree(dc.network_folder, net_ref, dc, self.network_entity)
        self.tree(dc.datastore_folder, ds_ref, dc, self.datastore)
        self.tree(dc.host_folder, host_ref, dc, self.compute_resource)
        self.tree(dc.vm_folder, vm_ref, dc, self.vm_entity)

    def tree(self, folder, ref, dc, make):
        """The entities of one of a datacenter's folders, sub-folders
        included; `make(folder, ref, dc)` makes one of them."""
        entities = []
        for child in self.children(ref, 'childEntity'):
            if child.type == 'Folder':
                self.tree(self.sub_folder(folder, child), child, dc, make)
            else:
                entities.append(child)
        # a switch before its portgroups, whatever order the folder lists them in
        entities.sort(key=lambda r: not self.server.schema.managed[r.type].is_a(
            'DistributedVirtualSwitch'))
        for child in entities:
            make(folder, child, dc)
            self.keep_listed(folder, child)

    def keep_listed(self, folder, child):
        """A child the walk did not make is replayed: the folder still lists it."""
        if child not in self.made:
            folder.list_child(child)
            if child not in self.reported:
                self.problem(child, 'not made writable; its recorded properties are replayed')

    # -- networks ---------------------------------------------------------------------
    def network_entity(self, folder, ref, dc):
        props = self.props(ref)
        name = props.get('name', '')
        if ref.type == 'Network':
            dc.networks.append(self.keep(ref, Network(self.server, ref.value, name, folder)))
        elif ref.type == 'VmwareDistributedVirtualSwitch':
            uuid = (props.get('uuid') or '').replace(' ', '')
            if len(uuid) != 33:   # 32 hex digits and the dash
                self.problem(ref, 'no uuid recorded; replayed')
                return
            self.keep(ref, VmwareDistributedVirtualSwitch(
                self.server, ref.value, name, folder, uuid.replace('-', '')))
        elif ref.type == 'DistributedVirtualPortgroup':
            self.portgroup(folder, ref, dc, props)

    def portgroup(self, folder, ref, dc, props):
        config = props.get('config')
        dvs = self.made.get(getattr(config, 'distributedVirtualSwitch', None))
        if dvs is None:
            self.problem(ref, 'its switch is not recorded; replayed')
            return
        dvs_config = self.props(dvs.ref).get('config')
        uplink = ref in (getattr(dvs_config, 'uplinkPortgroup', None) or ())
        pg = DistributedVirtualPortgroup(
            self.server, ref.value, props.get('name', ''), folder, dvs,
            num_ports=0 if uplink else (config.numPorts or 0), uplink=uplink,
            pg_type=config.type or 'earlyBinding', backing_type=config.backingType or 'standard')
        pg.description = config.description or ''
        if config.autoExpand is not None:
            pg.auto_expand = config.autoExpand
        dc.networks.append(self.keep(ref, pg))

    # -- datastores -------------------------------------------------------------------
    def datastore(self, folder, ref, dc):
        if ref.type != 'Datastore':
            return
        props = self.props(ref)
        summary = props.get('summary')
        url = getattr(summary, 'url', None) or getattr(props.get('info'), 'url', None) or ''
        volume = url.rstrip('/').rsplit('/', 1)[-1] or ref.value
        capacity = getattr(summary, 'capacity', None)
        ds = Datastore(self.server, ref.value, props.get('name', ''), folder, volume,
                       **({'capacity': capacity} if capacity else {}))
        dc.datastores.append(self.keep(ref, ds))

    # -- compute resources, pools and hosts ------------------------------------------
    def compute_resource(self, folder, ref, dc):
        if ref.type not in ('ComputeResource', 'ClusterComputeResource'):
            return
        props = self.props(ref)
        cls = ClusterComputeResource if ref.type == 'ClusterComputeResource' else ComputeResource
        browser = props.get('environmentBrowser')
        cr = self.keep(ref, cls(self.server, ref.value, props.get('name', ''), folder,
                                envbrowser_moid=browser.value if browser else None))
        if cls is ClusterComputeResource:
            self.cluster_settings(cr, props.get('configurationEx'))
            hci = props.get('hciConfig')
            if hci is not None:       # a cluster in (or through) the HCI workflow
                cr.hci_state = hci.workflowState
        root_pool = props.get('resourcePool')
        if root_pool in self.objects:
            self.pool(cr, root_pool, cr)
        for host_ref in self.children(ref, 'host'):
            self.host(cr, host_ref, dc)

    def cluster_settings(self, cluster, info):
        """DRS and HA as recorded (the rest of the configuration is the model's)."""
        if info is None:
            return
        spec = self.server.schema.types['ClusterConfigSpecEx'].cls(
            drsConfig=info.drsConfig, dasConfig=info.dasConfig)
        try:
            cluster.configure_from_spec(spec)
        except Exception as error:   # a vim fault: the recorded settings do not apply
            if not isinstance(error, self.server.schema.types['MethodFault'].cls):
                raise
            self.problem(cluster.ref, 'DRS/HA settings not applied: %s' % (
                message_of(error) or type(error).__name__))

    def pool(self, parent, ref, owner):
        props = self.props(ref)
        config = props.get('config')
        allocation = None
        if not isinstance(parent, ComputeResource) and config is not None:
            allocation = (config.cpuAllocation, config.memoryAllocation)
        pool = self.keep(ref, ResourcePool(self.server, ref.value, props.get('name', ''), parent,
                                           owner, allocation))
        for child in self.children(ref, 'resourcePool'):
            if child.type == 'ResourcePool':
                self.pool(pool, child, owner)
            else:
                self.problem(child, 'a %s is not made writable: replayed, outside the tree '
                                    'of its pool' % child.type)

    def host(self, cr, ref, dc):
        props = self.props(ref)
        hardware = props.get('hardware')
        summary = props.get('summary')
        runtime = props.get('runtime')
        system = getattr(hardware, 'systemInfo', None)
        host = RecordedHostSystem(
            self.server, ref.value, props.get('name', ''), cr, next_host_index(self.server),
            getattr(system, 'uuid', None) or self.server.new_uuid(),
            getattr(runtime, 'bootTime', None) or clock.now(),
            hardware, getattr(summary, 'hardware', None))
        cr.add_host(self.keep(ref, host))
        if runtime is not None:
            host.connection_state = runtime.connectionState or host.connection_state
            host.power_state = runtime.powerState or host.power_state
            host.maintenance = bool(runtime.inMaintenanceMode)
        for ds in self.made_of(props.get('datastore')):
            if isinstance(ds, Datastore) and host not in ds.hosts:
                ds.hosts.append(host)
                host.datastores.append(ds)
        for network in self.made_of(props.get('network')):
            if type(network) is Network and host not in network.hosts:   # a switch's: below
                network.hosts.append(host)
                host.networks.append(network)
        for dvs in [obj for obj in self.made.values()
                    if isinstance(obj, VmwareDistributedVirtualSwitch)]:
            if ref in self.switch_members(dvs):
                dvs.add_member(host)

    def switch_members(self, dvs):
        summary = self.props(dvs.ref).get('summary')
        return set(getattr(summary, 'hostMember', None) or ())

    # -- virtual machines -------------------------------------------------------------
    def vm_entity(self, folder, ref, dc):
        if ref.type != 'VirtualMachine':
            return
        props = self.props(ref)
        config, runtime = props.get('config'), props.get('runtime')
        host = self.made.get(getattr(runtime, 'host', None))
        datastores = [ds for ds in self.made_of(props.get('datastore'))
                      if isinstance(ds, Datastore)]
        home = self.home_datastore(config, datastores)
        if config is None or runtime is None or not isinstance(host, HostSystem) \
                or home is None:
            self.problem(ref, 'its configuration, host or datastore is not recorded; replayed')
            return
        pool = self.made.get(props.get('resourcePool'))
        if not isinstance(pool, ResourcePool) or config.template:
            pool = None
        networks = self.made_of(props.get('network'))
        hardware = config.hardware
        disk_kb = sum(device.capacityInKB or 0 for device in hardware.device
                      if isinstance(device, self.server.schema.types['VirtualDisk'].cls))
        vm = VirtualMachine(
            self.server, ref.value, props.get('name', ''), folder, pool, host, home,
            networks[0] if networks else None, self.vm_sequence,
            num_cpu=hardware.numCPU or 1, memory_mb=hardware.memoryMB or 4,
            disk_kb=disk_kb, guest_id=config.guestId or 'otherGuest',
            power_state=runtime.powerState or 'poweredOff', created=config.createDate)
        self.vm_sequence += 1
        self.keep(ref, vm)
        self.vm_state(vm, props, config, runtime)

    @staticmethod
    def home_datastore(config, datastores):
        """The datastore of the VM's .vmx (its directory), else its first."""
        match = _VMX_PATH.match(getattr(getattr(config, 'files', None), 'vmPathName', '') or '')
        if match is not None:
            for ds in datastores:
                if ds.name == match.group(1):
                    return ds
        return datastores[0] if datastores else None

    def vm_state(self, vm, props, config, runtime):
        hardware = config.hardware
        match = _VMX_PATH.match(config.files.vmPathName or '') if config.files else None
        if match is not None:     # '[ds] dir/stem.vmx', or '[ds] stem.vmx' at the top
            vm.file_name = match.group(3)
            vm.dir_name = match.group(2) or ''
        vm.template = bool(config.template)
        vm.boot_time = runtime.bootTime
        vm.annotation = config.annotation or ''
        vm.cores_per_socket = hardware.numCoresPerSocket or 1
        vm.hw_version = config.version or vm.hw_version
        vm.uuid_override = config.uuid or None
        vm.instance_uuid_override = config.instanceUuid or None
        vm.cpu_allocation = config.cpuAllocation
        vm.memory_allocation = config.memoryAllocation
        vm.cpu_hot_add = bool(config.cpuHotAddEnabled)
        vm.cpu_hot_remove = bool(config.cpuHotRemoveEnabled)
        vm.memory_hot_add = bool(config.memoryHotAddEnabled)
        vm.extra_config = {option.key: option.value for option in config.extraConfig or ()
                           if option.key and not option.key.startswith('SET.')} or None
        guest = props.get('guest')
        vm.tools_installed = getattr(guest, 'toolsStatus', None) != 'toolsNotInstalled'
        told = {'guest.%s' % name: getattr(guest, name) for name in ('hostName', 'ipAddress')
                if getattr(guest, name, None)}
        vm.guest_overrides = told or None
        vm._devices = copy.deepcopy(hardware.device)   # the recording stays as read: reset
        DvsBacking = vm.T.VirtualEthernetCardDistributedVirtualPortBackingInfo
        for device in vm._devices:
            backing = getattr(device, 'backing', None)
            if isinstance(backing, DvsBacking) and backing.port is not None:
                backing.port.portKey = None   # a free port of its portgroup, below
        sync_vm_ports(vm, [])
        self.extra_links(vm)

    def extra_links(self, vm):
        """The datastores and networks the VM's devices use besides its home
        ones: the model reads them from the devices; the lists follow."""
        for ds in vm.datastore_objects():
            if vm not in ds.vms:
                ds.vms.append(vm)
        for network in vm.network_objects():
            if vm not in network.vms:
                network.vms.append(vm)


def build_inventory(server, recording, root_ref):
    """Make the recorded inventory under `root_ref` of model objects; returns
    (root folder, {MoRef: model object} of every recorded entity made)."""
    _reserve_moids(server, recording)
    walk = _Walk(server, recording)
    return walk.root(root_ref), walk.made


def _reserve_moids(server, recording):
    """New objects' moids count on from the highest recorded one, so they
    never take a recorded object's."""
    numbers = [int(match.group(1)) for match in
               (_MOID_NUMBER.search(ref.value) for ref in recording.objects) if match]
    server.objects.last_id = max([server.objects.last_id] + numbers)
    # hostd numbers its VMs from 1 (Simulator.new_vm_moid): on past the recorded ones
    esx_vms = [int(ref.value) for ref in recording.objects
               if ref.type == 'VirtualMachine' and ref.value.isdigit()]
    server._esx_vm_counter = max([server._esx_vm_counter] + esx_vms)


def replay_unmodelled(obj, properties):
    """Serve the recorded properties the model has no value for (and
    computes nothing for) as recorded."""
    server = obj.server
    ctx = Context(server, None, server.schema.newest)
    MethodFault = server.schema.types['MethodFault'].cls
    cls = type(obj)
    for name, value in properties.items():
        if value is None or isinstance(getattr(cls, name, None), property):
            continue
        try:
            modelled = obj.read(name, ctx)
        except MethodFault:   # the model answers a fault of its own for it
            continue
        if modelled is None:
            setattr(obj, name, value)
