"""vcsim's optional model flags: -app (vApps), -pod (storage pods), -nsx (opaque
networks) and -pg-nsx (NSX backed portgroups), with vcsim's names and counts,
every property readable and schema-valid, one truth seen from every side.

Over the real socket with pyVmomi (RetrievePropertiesEx and Fetch); the
session-wide validator checks every response against the served schema.
"""
import uuid

import pytest
from pyVim.connect import Disconnect
from pyVmomi import vim

from tests.conftest import logged_in, _simulator, on_reactor
from tests.test_inventory import (_build, _check_cross_links, _check_every_property, _identities,
                                  entity_view, retrieve)


@pytest.fixture(scope='module')
def flagged(validator):
    """vcsim -app 1 -pod 1 -nsx 1 -pg-nsx 1 (plain HTTP)."""
    return _simulator(validator, tls=False, app=1, pod=1, nsx=1, pg_nsx=1)


@pytest.fixture
def si(flagged):
    yield from logged_in(flagged)


def by_name(si, kind):
    view = entity_view(si, [kind])
    try:
        return {obj.name: obj for obj in view.view}
    finally:
        view.DestroyView()


def datacenter(si):
    return si.RetrieveContent().rootFolder.childEntity[0]


# -- names, counts, every property ---------------------------------------------------

def test_names_and_counts(si):
    assert set(by_name(si, vim.VirtualApp)) == {'DC0_C0_APP0'}
    assert set(by_name(si, vim.StoragePod)) == {'DC0_POD0'}
    assert set(by_name(si, vim.OpaqueNetwork)) == {'DC0_NSX0'}
    portgroups = by_name(si, vim.dvs.DistributedVirtualPortgroup)
    assert {'DC0_DVPG0', 'DC0_NSXPG0'} <= set(portgroups)
    vms = by_name(si, vim.VirtualMachine)
    # 2 per standalone host, root pool and vApp
    assert set(vms) == {'DC0_H0_VM0', 'DC0_H0_VM1', 'DC0_C0_RP0_VM0', 'DC0_C0_RP0_VM1',
                        'DC0_C0_APP0_VM0', 'DC0_C0_APP0_VM1'}
    # a vApp is a resource pool: a ResourcePool view lists it with the root pools
    pools = by_name(si, vim.ResourcePool)
    assert isinstance(pools['DC0_C0_APP0'], vim.VirtualApp)
    assert by_name(si, vim.VirtualApp)['DC0_C0_APP0']._moId.startswith('resgroup-v')
    assert by_name(si, vim.StoragePod)['DC0_POD0']._moId.startswith('group-p')
    assert by_name(si, vim.OpaqueNetwork)['DC0_NSX0']._moId.startswith('network-o')


def test_every_property_of_every_object(si):
    _check_every_property(si)
    # and per type, naming the subtype in the PropertySpec
    for kind, name in ((vim.VirtualApp, 'DC0_C0_APP0'), (vim.StoragePod, 'DC0_POD0'),
                       (vim.OpaqueNetwork, 'DC0_NSX0')):
        obj = by_name(si, kind)[name]
        props = retrieve(si, [obj], type_=kind, all_=True)[obj]
        expected = {p.name for p in obj._GetPropertyList()}
        # every property the type has is served (unset ones are omitted)
        assert expected - set(props) <= {'parentVApp', 'namespace', 'externallyManagedFolderInfo'}


def test_cross_links(si):
    _check_cross_links(si)


# -- vApp -------------------------------------------------------------------------------

def test_vapp_placement(si):
    dc = datacenter(si)
    vapp = by_name(si, vim.VirtualApp)['DC0_C0_APP0']
    cluster = by_name(si, vim.ClusterComputeResource)['DC0_C0']
    root = cluster.resourcePool
    # in the pool tree ...
    assert vapp.parent == root
    assert vapp in root.resourcePool
    assert vapp.owner == cluster
    assert any(c.entity == vapp for c in root.childConfiguration)
    # ... and in the VM folder tree
    assert vapp.parentFolder == dc.vmFolder
    assert vapp in dc.vmFolder.childEntity
    assert vapp.parentVApp is None
    assert vapp.childLink == []
    # its VMs: no parent, parentVApp and resourcePool the vApp, in no folder
    members = {vm.name: vm for vm in vapp.vm}
    assert set(members) == {'DC0_C0_APP0_VM0', 'DC0_C0_APP0_VM1'}
    for vm in members.values():
        assert vm.parent is None
        assert vm.parentVApp == vapp
        assert vm.resourcePool == vapp
        assert vm not in dc.vmFolder.childEntity
        assert vm.runtime.host in cluster.host
    # datastore / network: the union over its VMs
    assert set(vapp.datastore) == {ds for vm in members.values() for ds in vm.datastore}
    assert set(vapp.network) == {n for vm in members.values() for n in vm.network}
    # VMs outside the vApp are not members
    other = by_name(si, vim.VirtualMachine)['DC0_C0_RP0_VM0']
    assert other.parentVApp is None and other.parent == dc.vmFolder


def test_vapp_config_and_summary(si):
    vapp = by_name(si, vim.VirtualApp)['DC0_C0_APP0']
    config = vapp.vAppConfig
    assert isinstance(config, vim.vApp.VAppConfigInfo)
    assert config.annotation == 'vcsim'
    product = config.product[0]
    assert (product.name, product.vendor, product.version) == ('vcsim', 'VMware', '0.1')
    assert str(uuid.UUID(config.instanceUuid)) == config.instanceUuid
    assert {e.key for e in config.entityConfig} == set(vapp.vm)
    for entry in config.entityConfig:
        assert entry.tag == entry.key.name
        assert entry.startAction == 'powerOn' and entry.stopAction == 'powerOff'
    summary = vapp.summary
    assert isinstance(summary, vim.VirtualApp.Summary)
    assert summary.name == vapp.name
    assert summary.product.name == 'vcsim'
    assert summary.instanceUuid == config.instanceUuid
    assert summary.vAppState == 'started'   # its VMs were powered on (-autostart)
    assert summary.config.entity == vapp
    assert summary.configuredMemoryMB == sum(vm.config.hardware.memoryMB for vm in vapp.vm)
    assert vapp.config.cpuAllocation.expandableReservation is True


def test_vapp_views_and_paths(si):
    content = si.RetrieveContent()
    dc = datacenter(si)
    vapp = by_name(si, vim.VirtualApp)['DC0_C0_APP0']
    view = content.viewManager.CreateContainerView(vapp, [], False)
    assert set(view.view) == set(vapp.vm)
    view.DestroyView()
    # the VM folder tree reaches the vApp and its VMs
    view = content.viewManager.CreateContainerView(dc.vmFolder, [vim.VirtualMachine], True)
    assert set(vapp.vm) <= set(view.view)
    view.DestroyView()
    view = content.viewManager.CreateContainerView(dc.vmFolder, [], False)
    assert vapp in view.view
    view.DestroyView()
    # the root pool's children: the vApp (and its VMs below it)
    root = vapp.parent
    view = content.viewManager.CreateContainerView(root, [], False)
    assert vapp in view.view
    view.DestroyView()
    index = content.searchIndex
    assert index.FindByInventoryPath('/DC0/vm/DC0_C0_APP0') == vapp
    assert index.FindByInventoryPath('/DC0/host/DC0_C0/Resources/DC0_C0_APP0') == vapp
    vm0 = [vm for vm in vapp.vm if vm.name == 'DC0_C0_APP0_VM0'][0]
    assert index.FindByInventoryPath('/DC0/vm/DC0_C0_APP0/DC0_C0_APP0_VM0') == vm0
    assert index.FindChild(vapp, 'DC0_C0_APP0_VM0') == vm0
    assert index.FindByUuid(dc, vm0.config.uuid, True) == vm0


# -- storage pod ------------------------------------------------------------------------------

def test_storage_pod(si):
    dc = datacenter(si)
    pod = by_name(si, vim.StoragePod)['DC0_POD0']
    assert pod.parent == dc.datastoreFolder
    assert pod in dc.datastoreFolder.childEntity
    assert pod.childType == ['Datastore']
    # vcsim creates the pod empty: LocalDS_0 stays in the datastore folder
    assert pod.childEntity == []
    ds = by_name(si, vim.Datastore)['LocalDS_0']
    assert ds.parent == dc.datastoreFolder
    summary = pod.summary
    assert isinstance(summary, vim.StoragePod.Summary)
    assert summary.name == 'DC0_POD0'
    assert summary.capacity == sum(d.summary.capacity for d in pod.childEntity) == 0
    assert summary.freeSpace == sum(d.summary.freeSpace for d in pod.childEntity) == 0
    config = pod.podStorageDrsEntry.storageDrsConfig.podConfig
    assert config.enabled is True
    assert config.spaceLoadBalanceConfig.spaceUtilizationThreshold == 80
    assert config.ioLoadBalanceConfig.ioLatencyThreshold == 15


def test_storage_pod_rollup_with_datastores(validator):
    """Datastores moved into a pod: the pod's summary sums theirs; they keep
    their datacenter and the pod is their parent."""
    sim = _simulator(validator, tls=False, pod=1, ds=2)
    pod_obj = next(o for o in sim.sim.objects if o.type_name == 'StoragePod')
    stores = sorted((o for o in sim.sim.objects if o.type_name == 'Datastore'),
                    key=lambda o: o.name)
    on_reactor(lambda: [pod_obj.add_datastore(ds) for ds in stores])
    si = sim.connect()
    try:
        pod = by_name(si, vim.StoragePod)['DC0_POD0']
        members = pod.childEntity
        assert [d.name for d in members] == ['LocalDS_0', 'LocalDS_1']
        _check_every_property(si)
        summary = pod.summary
        assert summary.capacity == sum(d.summary.capacity for d in members) > 0
        assert summary.freeSpace == sum(d.summary.freeSpace for d in members) > 0
        dc = datacenter(si)
        for d in members:
            assert d.parent == pod
            assert d in dc.datastore
            assert d not in dc.datastoreFolder.childEntity
        assert si.RetrieveContent().searchIndex.FindByInventoryPath(
            '/DC0/datastore/DC0_POD0/LocalDS_1') == members[1]
    finally:
        Disconnect(si)


# -- NSX -------------------------------------------------------------------------------------

def test_opaque_network(si):
    dc = datacenter(si)
    net = by_name(si, vim.OpaqueNetwork)['DC0_NSX0']
    summary = net.summary
    assert isinstance(summary, vim.OpaqueNetwork.Summary)
    assert summary.opaqueNetworkType == 'nsx.LogicalSwitch'
    assert str(uuid.UUID(summary.opaqueNetworkId)) == summary.opaqueNetworkId
    assert summary.network == net and summary.name == net.name and summary.accessible
    assert net.parent == dc.networkFolder
    assert net in dc.network
    assert net.capability.networkReservationSupported is False
    extra = {o.key: o.value for o in net.extraConfig}
    assert extra['com.vmware.opaquenetwork.segment.path'] == '/infra/segments/DC0_NSX0'
    hosts = set(by_name(si, vim.HostSystem).values())
    assert set(net.host) == hosts
    for host in hosts:
        assert net in host.network
        network = host.config.network
        entry = {n.opaqueNetworkId: n for n in network.opaqueNetwork}[summary.opaqueNetworkId]
        assert entry.opaqueNetworkName == 'DC0_NSX0'
        assert entry.opaqueNetworkType == summary.opaqueNetworkType
        assert entry.pnicZone == [network.opaqueSwitch[0].key]
        assert network.nsxTransportNodeId
        assert host.configManager.networkSystem.networkInfo.opaqueNetwork[0].opaqueNetworkId == \
            summary.opaqueNetworkId
        assert net in host.parent.network


def test_nsx_portgroup(si):
    portgroups = by_name(si, vim.dvs.DistributedVirtualPortgroup)
    nsx = portgroups['DC0_NSXPG0'].config
    assert nsx.backingType == 'nsx'
    assert str(uuid.UUID(nsx.logicalSwitchUuid)) == nsx.logicalSwitchUuid
    assert nsx.segmentId.startswith('/infra/segments/vnet_')
    assert nsx.transportZoneName == 'nsx-overlay-transportzone'
    assert str(uuid.UUID(nsx.transportZoneUuid)) == nsx.transportZoneUuid
    assert nsx.type == 'earlyBinding'
    plain = portgroups['DC0_DVPG0'].config
    assert plain.backingType == 'standard'
    assert plain.logicalSwitchUuid is None and plain.segmentId is None
    assert plain.transportZoneUuid is None
    # the switch's host members are NSX switches in that transport zone
    dvs = nsx.distributedVirtualSwitch
    for member in dvs.config.host:
        assert member.config.nsxSwitch is True
        assert [z.uuid for z in member.config.transportZones] == [nsx.transportZoneUuid]
        assert member.config.transportZones[0].type == 'overlay'
    assert set(portgroups['DC0_NSXPG0'].host) == set(by_name(si, vim.HostSystem).values())


# -- model level ----------------------------------------------------------------------------

def test_deterministic_identities_with_flags():
    flags = dict(app=2, pod=2, nsx=2, pg_nsx=2)
    first, second = _build(**flags), _build(**flags)
    assert _identities(first) == _identities(second)

    def nsx_ids(sim):
        out = []
        for obj in sim.objects:
            if obj.type_name == 'OpaqueNetwork':
                out.append(obj.opaque_id)
            elif obj.type_name == 'DistributedVirtualPortgroup' and obj.backing_type == 'nsx':
                out.append(obj.config.logicalSwitchUuid)
            elif obj.type_name == 'VirtualApp':
                out.append(obj.instance_uuid)
        return out
    assert nsx_ids(first) == nsx_ids(second)
    assert len(set(nsx_ids(first))) == 2 + 2 + 2


def test_flags_with_folders_and_counts():
    from vimsim.managed.entity import ManagedEntity
    sim = _build(dc=2, cluster=2, host=1, standalone_host=0, vm=1, pool=1, folder=1,
                 app=2, pod=2, nsx=1, pg_nsx=1, autostart=False)
    paths = {obj.inventory_path(): obj for obj in sim.objects
             if isinstance(obj, ManagedEntity)}
    kinds = [o.type_name for o in sim.objects]
    assert kinds.count('VirtualApp') == 2 * 2 * 2      # per cluster
    assert kinds.count('StoragePod') == 2 * 2          # per datacenter
    assert kinds.count('OpaqueNetwork') == 2           # per datacenter
    # pods are made before the -folder sub-folders: always at the top
    assert '/DC0/datastore/DC0_POD1' in paths
    assert '/F0/DC1/datastore/DC1_POD0' in paths
    assert '/F0/DC1/network/F0/DC1_NSX0' in paths
    assert '/F0/DC1/network/F0/DC1_NSXPG0' in paths
    # a vApp's parentFolder is its datacenter's top VM folder
    assert '/F0/DC1/vm/DC1_C1_APP1' in paths
    assert '/F0/DC1/vm/DC1_C1_APP1/DC1_C1_APP1_VM0' in paths
    assert paths['/F0/DC1/vm/DC1_C1_APP1'].vapp_state == 'stopped'
    vms = [o for o in sim.objects if o.type_name == 'VirtualMachine']
    # per dc: 2 clusters x (1 pool + 2 vApps) x 1 VM
    assert len(vms) == 2 * 2 * 3


def test_flags_off_build_nothing():
    sim = _build()
    kinds = {o.type_name for o in sim.objects}
    assert not kinds & {'VirtualApp', 'StoragePod', 'OpaqueNetwork'}
    assert not any(getattr(o, 'backing_type', None) == 'nsx' for o in sim.objects)
