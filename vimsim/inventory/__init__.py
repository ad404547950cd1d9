"""Builders of the default inventories, made directly through the model.

The layouts, names and counts are vcsim's (govmomi simulator/model.go):

vCenter: /DC0 with DVS0 (uplink portgroup DVS0-DVUplinks-<n>, DC0_DVPG0),
"VM Network", standalone host DC0_H0 (ComputeResource DC0_H0), cluster DC0_C0
with hosts DC0_C0_H0..H2 and root pool Resources, datastore LocalDS_0 mounted
on every host of the datacenter, VMs DC0_H0_VM0/1 and DC0_C0_RP0_VM0/1.

Optional, as vcsim's flags build them:
-pod N: storage pods DC0_POD0.. in the datacenter's top datastore folder (made
  before any -folder sub-folders, so never inside them) and, as in vcsim,
  empty: no datastore is moved in.
-app N: per cluster, vApps DC0_C0_APP0.. in the root pool (after the child
  pools), each with -vm VMs DC0_C0_APP0_VM0..; the vApp's parentFolder is the
  datacenter's top VM folder.
-nsx N: opaque networks DC0_NSX0.. (nsx.LogicalSwitch) in the network folder,
  attached to every host of the datacenter.
-pg-nsx N: NSX backed portgroups DC0_NSXPG0.. on DVS0.

ESX: ha-folder-root / ha-datacenter, ComputeResource ha-compute-res holding
ha-host (localhost.localdomain), root pool ha-root-pool, VMs ha-host_VM0/1.

Same options -> same moids, uuids, MACs and names.
"""
from vimsim import clock
from vimsim.managed.base import gc_paused
from vimsim.managed.host.host_joining import attach_networks, create_host
from vimsim.managed.inventory.compute_resource import ClusterComputeResource, ComputeResource
from vimsim.managed.inventory.datacenter import Datacenter
from vimsim.managed.inventory.folder import Folder
from vimsim.managed.inventory.resource_pool import ResourcePool
from vimsim.managed.inventory.storage_pod import StoragePod
from vimsim.managed.network.distributed_virtual_portgroup import DistributedVirtualPortgroup
from vimsim.managed.network.distributed_virtual_switch import VmwareDistributedVirtualSwitch
from vimsim.managed.network.network import Network, OpaqueNetwork
from vimsim.managed.storage.datastore import Datastore, vmfs_uuid
from vimsim.managed.storage.datastore_files import loose_usage
from vimsim.managed.vm.virtual_machine import VirtualMachine

TiB = 1 << 40


class Builder:
    def __init__(self, server):
        self.server = server
        self.options = server.options
        self.now = clock.now()
        self.vm_count = 0
        self.pending_vms = []   # (name, folder, pool, host) created once datastores exist

    def next_id(self, prefix):
        return self.server.objects.next_id(prefix)

    # -- pieces ------------------------------------------------------------------
    def add_host(self, name, compute_resource, moid=None, browser_moid=None):
        return create_host(self.server, name, compute_resource, self.now, moid=moid,
                           browser_moid=browser_moid)

    def add_machines(self, prefix, folder, pool, hosts):
        for i in range(self.options.vm):
            self.pending_vms.append(('%s_VM%d' % (prefix, i), folder, pool,
                                     hosts[i % len(hosts)]))

    def create_vms(self, datastore, network):
        autostart = self.options.autostart
        for name, folder, pool, host in self.pending_vms:
            moid = self.server.new_vm_moid()
            vm = VirtualMachine(self.server, moid, name, folder, pool, host, datastore, network,
                                self.vm_count, created=self.now)
            self.vm_count += 1
            if pool.type_name == 'VirtualApp':    # a vApp's VMs are its members
                pool.adopt(vm)
            if autostart:
                vm.power_state = 'poweredOn'
                vm.boot_time = self.now
        self.pending_vms = []

    @staticmethod
    def size_datastores(datastores):
        """Give each datastore room for what lives on it: 1 TiB, or twice its
        VMs' provisioned size rounded up to whole TiB. The VMs built here
        differ only in names and identities, which their files' sizes do not
        follow, so one VM of each power state is read for all alike."""
        for ds in datastores:
            committed, uncommitted = loose_usage(ds)
            alike = {}     # (power state, booted, memory, disk) -> one such VM's usage
            for vm in ds.vms:
                shape = (vm.power_state, vm.boot_time is None, vm.memory_mb, vm.disk_kb)
                usage = alike.get(shape)
                if usage is None:
                    usage = alike[shape] = vm.storage_usage(ds)
                committed += usage[0]
                uncommitted += usage[1]
            needed = 2 * (committed + uncommitted)
            ds.capacity = max(TiB, -(-needed // TiB) * TiB)

    # -- vCenter ---------------------------------------------------------------------
    def vcenter(self):
        server, o = self.server, self.options
        root = Folder(server, self.next_id('group-d'), 'Datacenters', None,
                      ('Folder', 'Datacenter'))
        nfolder = 0
        for ndc in range(o.dc):
            dc_name = 'DC%d' % ndc
            parent = root
            folder_name = 'F%d' % nfolder
            in_folder = nfolder < o.folder and ndc >= (o.dc - o.folder)
            if in_folder:
                parent = Folder(server, self.next_id('group-v'), folder_name, root,
                                ('Folder', 'Datacenter'))
                root.add_child(parent)
            dc = Datacenter(server, self.next_id('datacenter-'), dc_name, parent)
            parent.add_child(dc)
            vm_folder, host_folder = dc.vm_folder, dc.host_folder
            ds_folder, net_folder = dc.datastore_folder, dc.network_folder
            for npod in range(o.pod):
                StoragePod(server, self.next_id('group-p'), '%s_POD%d' % (dc_name, npod),
                           ds_folder)
            if in_folder:
                subs = []
                for base, prefix, types in (
                        (ds_folder, 'group-s', ('Folder', 'Datastore', 'StoragePod')),
                        (host_folder, 'group-h', ('Folder', 'ComputeResource')),
                        (net_folder, 'group-n', ('Folder', 'Network', 'DistributedVirtualSwitch')),
                        (vm_folder, 'group-v', ('Folder', 'VirtualMachine', 'VirtualApp'))):
                    sub = Folder(server, self.next_id(prefix), folder_name, base, types)
                    base.add_child(sub)
                    subs.append(sub)
                ds_folder, host_folder, net_folder, vm_folder = subs
                nfolder += 1
            dvs = None
            vm_network = None
            if o.pg > 0 or o.pg_nsx > 0:
                dvs_moid = self.next_id('dvs-')
                dvs = VmwareDistributedVirtualSwitch(server, dvs_moid, 'DVS0', net_folder,
                                                     server.new_uuid())
                uplink = DistributedVirtualPortgroup(
                    server, self.next_id('dvportgroup-'),
                    'DVS0-DVUplinks-%s' % dvs_moid.rsplit('-', 1)[-1], net_folder, dvs,
                    num_ports=0, uplink=True)
                dc.networks.append(uplink)
                for npg in range(o.pg):
                    pg = DistributedVirtualPortgroup(
                        server, self.next_id('dvportgroup-'), '%s_DVPG%d' % (dc_name, npg),
                        net_folder, dvs)
                    dc.networks.append(pg)
                    if npg == 0:
                        vm_network = pg
                for npg in range(o.pg_nsx):
                    pg = DistributedVirtualPortgroup(
                        server, self.next_id('dvportgroup-'), '%s_NSXPG%d' % (dc_name, npg),
                        net_folder, dvs, num_ports=0, backing_type='nsx')
                    dc.networks.append(pg)
            opaque = []
            for nnsx in range(o.nsx):
                net = OpaqueNetwork(server, self.next_id('network-o'),
                                    '%s_NSX%d' % (dc_name, nnsx), net_folder)
                dc.networks.append(net)
                opaque.append(net)
            network = Network(server, self.next_id('network-'), 'VM Network', net_folder)
            dc.networks.append(network)
            host_networks = [network] + opaque
            if vm_network is None:
                vm_network = network
            hosts = []
            for nhost in range(o.standalone_host):
                name = '%s_H%d' % (dc_name, nhost)
                cr = ComputeResource(server, self.next_id('domain-s'), name, host_folder)
                host = self.add_host(name, cr)
                attach_networks(host, host_networks, dvs)
                ResourcePool(server, self.next_id('resgroup-'), 'Resources', cr, cr)
                hosts.append(host)
                self.add_machines(name, vm_folder, cr.pool, [host])
            for ncluster in range(o.cluster):
                cluster_name = '%s_C%d' % (dc_name, ncluster)
                cluster = ClusterComputeResource(server, self.next_id('domain-c'), cluster_name,
                                                 host_folder)
                root_pool = ResourcePool(server, self.next_id('resgroup-'), 'Resources',
                                         cluster, cluster)
                cluster_hosts = []
                for nhost in range(o.host):
                    host = self.add_host('%s_H%d' % (cluster_name, nhost), cluster)
                    attach_networks(host, host_networks, dvs)
                    cluster_hosts.append(host)
                hosts.extend(cluster_hosts)
                if not cluster_hosts:
                    continue
                prefix = cluster_name + '_RP'
                if o.pool == 0:
                    self.add_machines(prefix + '0', vm_folder, root_pool, cluster_hosts)
                for child in range(1, o.pool + 1):
                    pool = ResourcePool(server, self.next_id('resgroup-'),
                                        '%s%d' % (prefix, child), root_pool, cluster)
                    self.add_machines('%s%d' % (prefix, child), vm_folder, pool, cluster_hosts)
                for napp in range(o.app):
                    from vimsim.managed.inventory.virtual_app import VirtualApp    # -app only
                    name = '%s_APP%d' % (cluster_name, napp)
                    vapp = VirtualApp(server, self.next_id('resgroup-v'), name, root_pool, cluster,
                                      dc.vm_folder)
                    self.add_machines(name, vm_folder, vapp, cluster_hosts)
            datastores = []
            for i in range(o.ds):
                name = 'LocalDS_%d' % i
                ds = Datastore(server, self.next_id('datastore-'), name, ds_folder,
                               vmfs_uuid(name, dc_name))
                for host in hosts:
                    ds.hosts.append(host)
                    host.datastores.append(ds)
                dc.datastores.append(ds)
                datastores.append(ds)
            if datastores:
                self.create_vms(datastores[0], vm_network)
            else:
                self.pending_vms = []
            self.size_datastores(datastores)
        return root

    # -- ESX ------------------------------------------------------------------------
    def esx(self):
        server, o = self.server, self.options
        root = Folder(server, 'ha-folder-root', 'ha-folder-root', None, ('Datacenter',))
        dc = Datacenter(server, 'ha-datacenter', 'ha-datacenter', root,
                        folder_ids=('ha-folder-vm', 'ha-folder-host', 'ha-folder-datastore',
                                    'ha-folder-network'))
        root.add_child(dc)
        name = 'localhost.localdomain'
        cr = ComputeResource(server, 'ha-compute-res', name, dc.host_folder,
                             envbrowser_moid='ha-env-browser')
        host = self.add_host(name, cr, moid='ha-host', browser_moid='ha-host-datastorebrowser')
        network = Network(server, 'HaNetwork-VM Network', 'VM Network', dc.network_folder)
        dc.networks.append(network)
        attach_networks(host, [network], None)
        ResourcePool(server, 'ha-root-pool', 'Resources', cr, cr)
        datastores = []
        for i in range(o.ds):
            ds_name = 'LocalDS_%d' % i
            uuid_text = vmfs_uuid(ds_name, 'ha-datacenter')
            ds = Datastore(server, uuid_text, ds_name, dc.datastore_folder, uuid_text)
            ds.hosts.append(host)
            host.datastores.append(ds)
            dc.datastores.append(ds)
            datastores.append(ds)
        self.add_machines('ha-host', dc.vm_folder, cr.pool, [host])
        if datastores:
            self.create_vms(datastores[0], network)
        self.size_datastores(datastores)
        return root


def build_inventory(server):
    """Build the inventory the options ask for; return the root folder. The
    garbage collector is held off meanwhile: nothing built is garbage, and
    the full collections a million VMs' objects trigger walked the whole
    inventory again and again (45 % of building 400,000 VMs)."""
    builder = Builder(server)
    with gc_paused():
        if server.esx:
            return builder.esx()
        return builder.vcenter()
