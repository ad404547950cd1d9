"""The default inventories: vcsim's layouts and names, every property readable
and valid, one truth seen from every side, deterministic identities.

Over the real socket with pyVmomi (RetrievePropertiesEx and Fetch); the
session-wide validator checks every response against the served schema.
"""
from pyVmomi import vim, vmodl
from pyVmomi.VmomiSupport import ManagedObject

from tests.conftest import on_reactor, settle
from vimsim.options import Options


# -- helpers ---------------------------------------------------------------------

def entity_view(si, types=(vim.ManagedEntity,)):
    content = si.RetrieveContent()
    return content.viewManager.CreateContainerView(content.rootFolder, list(types), True)


def retrieve(si, objects, type_=vim.ManagedEntity, path_set=None, all_=False):
    """{moref: {property: value}} for the objects (type_ None: one
    PropertySpec per type of the objects)."""
    content = si.RetrieveContent()
    types = [type_] if type_ is not None else list({type(obj): None for obj in objects})
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=obj) for obj in objects],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(
            type=t, all=all_, pathSet=list(path_set or [])) for t in types])
    result = content.propertyCollector.RetrievePropertiesEx(
        [spec], vmodl.query.PropertyCollector.RetrieveOptions())
    found = {}
    while result is not None:
        for item in result.objects:
            assert not item.missingSet, (item.obj, [(m.path, m.fault) for m in item.missingSet])
            found[item.obj] = {p.name: p.val for p in item.propSet or []}
        if not result.token:
            break
        result = content.propertyCollector.ContinueRetrievePropertiesEx(result.token)
    return found


def inventory(si):
    """{moref: props} of every entity plus {moref: path}."""
    view = entity_view(si)
    try:
        props = retrieve(si, view.view, path_set=['name', 'parent'])
    finally:
        view.DestroyView()
    root = si.RetrieveContent().rootFolder
    by_moid = {ref._moId: (ref, p) for ref, p in props.items()}
    paths = {}
    for ref, p in props.items():
        names = []
        current = p
        while current is not None:
            names.append(current['name'])
            parent = current.get('parent')
            if parent is None or parent._moId == root._moId:
                break
            current = by_moid[parent._moId][1]
        paths[ref] = '/' + '/'.join(reversed(names))
    return props, paths


def by_path(paths):
    return {path: ref for ref, path in paths.items()}


# -- vCenter layout ----------------------------------------------------------------

VCENTER_PATHS = {
    '/DC0': vim.Datacenter,
    '/DC0/vm': vim.Folder, '/DC0/host': vim.Folder,
    '/DC0/datastore': vim.Folder, '/DC0/network': vim.Folder,
    '/DC0/vm/DC0_H0_VM0': vim.VirtualMachine, '/DC0/vm/DC0_H0_VM1': vim.VirtualMachine,
    '/DC0/vm/DC0_C0_RP0_VM0': vim.VirtualMachine, '/DC0/vm/DC0_C0_RP0_VM1': vim.VirtualMachine,
    '/DC0/host/DC0_H0': vim.ComputeResource,
    '/DC0/host/DC0_H0/DC0_H0': vim.HostSystem,
    '/DC0/host/DC0_H0/Resources': vim.ResourcePool,
    '/DC0/host/DC0_C0': vim.ClusterComputeResource,
    '/DC0/host/DC0_C0/DC0_C0_H0': vim.HostSystem,
    '/DC0/host/DC0_C0/DC0_C0_H1': vim.HostSystem,
    '/DC0/host/DC0_C0/DC0_C0_H2': vim.HostSystem,
    '/DC0/host/DC0_C0/Resources': vim.ResourcePool,
    '/DC0/datastore/LocalDS_0': vim.Datastore,
    '/DC0/network/VM Network': vim.Network,
    '/DC0/network/DVS0': vim.VmwareDistributedVirtualSwitch,
    '/DC0/network/DC0_DVPG0': vim.dvs.DistributedVirtualPortgroup,
}

MOID_PREFIX = {
    vim.Datacenter: 'datacenter-', vim.ClusterComputeResource: 'domain-c',
    vim.HostSystem: 'host-', vim.ResourcePool: 'resgroup-', vim.VirtualMachine: 'vm-',
    vim.Datastore: 'datastore-', vim.dvs.DistributedVirtualPortgroup: 'dvportgroup-',
    vim.VmwareDistributedVirtualSwitch: 'dvs-',
}


def test_vcenter_layout_names_paths_and_moids(si):
    props, paths = inventory(si)
    found = by_path(paths)
    for path, kind in VCENTER_PATHS.items():
        assert path in found, (path, sorted(found))
        assert isinstance(found[path], kind), (path, found[path])
    # exactly vcsim's counts
    kinds = [type(ref) for ref in props]
    assert kinds.count(vim.VirtualMachine) == 4
    assert kinds.count(vim.HostSystem) == 4
    assert kinds.count(vim.Datastore) == 1
    uplinks = [p for p in found if p.startswith('/DC0/network/DVS0-DVUplinks-')]
    assert len(uplinks) == 1
    dvs = found['/DC0/network/DVS0']
    assert uplinks[0] == '/DC0/network/DVS0-DVUplinks-%s' % dvs._moId.split('-')[1]
    for ref in props:
        prefix = MOID_PREFIX.get(type(ref))
        if prefix:
            assert ref._moId.startswith(prefix), ref
    assert found['/DC0/host/DC0_H0']._moId.startswith('domain-s')
    assert found['/DC0/vm']._moId.startswith('group-v')
    assert found['/DC0/host']._moId.startswith('group-h')
    assert found['/DC0/datastore']._moId.startswith('group-s')
    assert found['/DC0/network']._moId.startswith('group-n')
    assert found['/DC0/network/VM Network']._moId.startswith('network-')


def test_esx_layout(esx):
    si = esx.connect()
    props, paths = inventory(si)
    found = by_path(paths)
    content = si.RetrieveContent()
    assert content.rootFolder._moId == 'ha-folder-root'
    expected = {
        '/ha-datacenter': 'ha-datacenter', '/ha-datacenter/vm': 'ha-folder-vm',
        '/ha-datacenter/host': 'ha-folder-host', '/ha-datacenter/datastore': 'ha-folder-datastore',
        '/ha-datacenter/network': 'ha-folder-network',
        '/ha-datacenter/host/localhost.localdomain': 'ha-compute-res',
        '/ha-datacenter/host/localhost.localdomain/localhost.localdomain': 'ha-host',
        '/ha-datacenter/host/localhost.localdomain/Resources': 'ha-root-pool',
        '/ha-datacenter/network/VM Network': 'HaNetwork-VM Network',
    }
    for path, moid in expected.items():
        assert path in found, (path, sorted(found))
        assert found[path]._moId == moid
    assert '/ha-datacenter/vm/ha-host_VM0' in found
    assert '/ha-datacenter/vm/ha-host_VM1' in found
    assert '/ha-datacenter/datastore/LocalDS_0' in found
    host = found['/ha-datacenter/host/localhost.localdomain/localhost.localdomain']
    assert host.name == 'localhost.localdomain'
    assert host.summary.config.product.apiType == 'HostAgent'
    assert sorted(vm.name for vm in host.vm) == ['ha-host_VM0', 'ha-host_VM1']
    _check_every_property(si)
    _check_cross_links(si)


# -- every property, both ways ------------------------------------------------------------

def _extra_objects(si):
    """Managed objects the entity view does not list: host config managers,
    environment and datastore browsers."""
    view = entity_view(si, [vim.HostSystem, vim.ComputeResource, vim.Datastore])
    try:
        objs = list(view.view)
    finally:
        view.DestroyView()
    extra = []
    for obj in objs:
        if isinstance(obj, vim.HostSystem):
            manager = obj.configManager
            for name in dir(manager):
                value = getattr(manager, name, None)
                if isinstance(value, ManagedObject):
                    extra.append(value)
            extra.append(obj.datastoreBrowser)
        elif isinstance(obj, vim.ComputeResource):
            extra.append(obj.environmentBrowser)
        else:
            extra.append(obj.browser)
    return extra


def _check_every_property(si):
    view = entity_view(si)
    try:
        entities = list(view.view)
    finally:
        view.DestroyView()
    everything = retrieve(si, entities, all_=True)
    assert len(everything) == len(entities)
    for ref, props in everything.items():
        assert props['name'], ref
        assert 'overallStatus' in props and 'effectiveRole' in props
    extra = _extra_objects(si)
    assert len(extra) > 30
    result = retrieve(si, extra, type_=None, all_=True)
    assert len(result) == len({(type(o), o._moId) for o in extra})
    # pyVmomi attribute access: one Fetch per property
    for obj in entities + extra:
        for prop in obj._GetPropertyList():
            getattr(obj, prop.name)


def test_every_property_of_every_vcenter_object(si):
    _check_every_property(si)


def test_vm_properties(si):
    view = entity_view(si, [vim.VirtualMachine])
    vms = {vm.name: vm for vm in view.view}
    view.DestroyView()
    vm = vms['DC0_H0_VM0']
    config = vm.config
    assert config.guestId == 'otherGuest64'
    assert config.version == 'vmx-21'
    assert config.files.vmPathName == '[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0.vmx'
    assert config.uuid and config.instanceUuid and config.uuid != config.instanceUuid
    devices = {d.key: d for d in config.hardware.device}
    assert isinstance(devices[100], vim.vm.device.VirtualPCIController)
    assert isinstance(devices[200], vim.vm.device.VirtualIDEController)
    assert isinstance(devices[201], vim.vm.device.VirtualIDEController)
    assert isinstance(devices[300], vim.vm.device.VirtualPS2Controller)
    assert isinstance(devices[500], vim.vm.device.VirtualVideoCard)
    assert isinstance(devices[12000], vim.vm.device.VirtualVMCIDevice)
    scsi = devices[1000]
    assert isinstance(scsi, vim.vm.device.VirtualSCSIController) and scsi.busNumber == 0
    disk = devices[2000]
    assert isinstance(disk, vim.vm.device.VirtualDisk)
    assert disk.controllerKey == 1000
    assert disk.backing.fileName == '[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0.vmdk'
    assert disk.capacityInBytes == disk.capacityInKB * 1024
    nic = devices[4000]
    assert isinstance(nic, vim.vm.device.VirtualVmxnet3)
    assert nic.macAddress.startswith('00:50:56:')
    # the default model has a DVPG: VM NICs sit on DC0_DVPG0, as vcsim's do
    assert isinstance(nic.backing, vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo)
    assert any(isinstance(d, vim.vm.device.VirtualCdrom) for d in devices.values())
    assert vm.runtime.powerState == 'poweredOn'
    assert vm.runtime.connectionState == 'connected'
    assert vm.runtime.bootTime is not None
    assert vm.summary.config.numCpu == config.hardware.numCPU
    assert vm.summary.config.memorySizeMB == config.hardware.memoryMB
    assert vm.summary.config.vmPathName == config.files.vmPathName
    assert vm.summary.runtime.host == vm.runtime.host
    assert vm.guest.ipAddress and vm.guest.net[0].macAddress == nic.macAddress
    committed = sum(f.size for f in vm.layoutEx.file)
    assert vm.storage.perDatastoreUsage[0].committed == committed
    assert vm.summary.storage.committed == committed
    assert vm.environmentBrowser is not None
    assert vm.environmentBrowser.datastoreBrowser is not None
    macs = {v.config.hardware.device[-1].macAddress for v in vms.values()}
    assert len(macs) == len(vms)


# -- one truth, many views -------------------------------------------------------------

def _check_cross_links(si):
    view = entity_view(si, [vim.VirtualMachine])
    vms = list(view.view)
    view.DestroyView()
    vm_props = retrieve(si, vms, type_=vim.VirtualMachine,
                        path_set=['runtime.host', 'datastore', 'resourcePool', 'network',
                                  'summary.storage.committed', 'config.hardware.device'])
    for vm, p in vm_props.items():
        host = p['runtime.host']
        assert vm in host.vm
        for ds in p['datastore']:
            assert vm in ds.vm
            assert host in [m.key for m in ds.host]
            assert ds in host.datastore
        assert vm in p['resourcePool'].vm
        for net in p['network']:
            assert vm in net.vm
            assert net in host.network
        owner = p['resourcePool'].owner
        assert host in owner.host
    view = entity_view(si, [vim.Datastore])
    for ds in view.view:
        summary = ds.summary
        used = sum(vm_props[vm]['summary.storage.committed'] for vm in ds.vm)
        assert summary.freeSpace <= summary.capacity - used
        assert summary.freeSpace == ds.info.freeSpace
        assert summary.capacity == ds.info.vmfs.capacity
    view.DestroyView()
    view = entity_view(si, [vim.ComputeResource])
    for cr in view.view:
        summary = cr.summary
        hosts = cr.host
        assert summary.numHosts == len(hosts)
        assert summary.numEffectiveHosts == len(hosts)
        assert summary.totalCpu == sum(h.summary.hardware.cpuMhz * h.summary.hardware.numCpuCores
                                       for h in hosts)
        assert summary.totalMemory == sum(h.summary.hardware.memorySize for h in hosts)
        assert summary.numCpuCores == sum(h.hardware.cpuInfo.numCpuCores for h in hosts)
        pool = cr.resourcePool
        assert pool.owner == cr
        assert set(cr.datastore) == {ds for h in hosts for ds in h.datastore}
        for host in hosts:
            assert host.parent == cr
            started = sum(1 for vm in host.vm if vm.runtime.powerState == 'poweredOn')
            lic = {r.key: r.value for r in host.licensableResource.resource}
            assert lic['numVmsStarted'] == started
            assert host.configManager.datastoreSystem.datastore == host.datastore
            assert host.configManager.networkSystem.networkInfo.vnic[0].device == 'vmk0'
            assert host.config.network.vnic[0].spec.ip.ipAddress
            assert host.summary.runtime.connectionState == 'connected'
            assert host.runtime.powerState == 'poweredOn'
            mounts = {m.volume.name for m in host.config.fileSystemVolume.mountInfo}
            assert mounts == {ds.name for ds in host.datastore}
    view.DestroyView()


def test_cross_links_and_rollups(si):
    _check_cross_links(si)
    view = entity_view(si, [vim.ClusterComputeResource])
    cluster = view.view[0]
    view.DestroyView()
    ex = cluster.configurationEx
    assert isinstance(ex, vim.cluster.ConfigInfoEx)
    assert ex.drsConfig is not None and ex.dasConfig is not None
    assert isinstance(cluster.summary, vim.ClusterComputeResource.Summary)
    assert cluster.summary.usageSummary.totalVmCount == sum(len(h.vm) for h in cluster.host)
    dvs_view = entity_view(si, [vim.DistributedVirtualSwitch])
    dvs = dvs_view.view[0]
    dvs_view.DestroyView()
    assert isinstance(dvs.config, vim.dvs.VmwareDistributedVirtualSwitch.ConfigInfo)
    members = {m.config.host for m in dvs.config.host}
    assert len(members) == 4
    assert dvs.config.uplinkPortgroup[0].config.uplink
    for pg in dvs.portgroup:
        assert pg.config.distributedVirtualSwitch == dvs
        assert pg.key == pg._moId
        assert set(pg.host) == members
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    assert [ds.name for ds in dc.datastore] == ['LocalDS_0']
    assert 'VM Network' in [n.name for n in dc.network]


def test_container_view_children(si):
    content = si.RetrieveContent()
    dc = content.rootFolder.childEntity[0]
    view = content.viewManager.CreateContainerView(dc, [], False)
    assert {o.name for o in view.view} == {'vm', 'host', 'datastore', 'network'}
    view.DestroyView()
    cluster = [c for c in dc.hostFolder.childEntity if isinstance(c, vim.ClusterComputeResource)][0]
    view = content.viewManager.CreateContainerView(cluster, [], False)
    assert {o.name for o in view.view} == {'DC0_C0_H0', 'DC0_C0_H1', 'DC0_C0_H2', 'Resources'}
    view.DestroyView()
    view = content.viewManager.CreateContainerView(cluster.resourcePool, [vim.VirtualMachine], False)
    assert {o.name for o in view.view} == {'DC0_C0_RP0_VM0', 'DC0_C0_RP0_VM1'}
    view.DestroyView()
    host = cluster.host[0]
    view = content.viewManager.CreateContainerView(host, [], False)
    assert set(view.view) == set(host.vm)
    view.DestroyView()


# -- model-level checks (no SOAP) -------------------------------------------------------

def _build(**overrides):
    """A Simulator built on the reactor, once what its start began (the
    default alarms, the first alarm pass) has run: builds compare alike."""
    from vimsim.simulator import Simulator
    options = Options()
    for name, value in overrides.items():
        setattr(options, name, value)
    sim = on_reactor(Simulator, options)
    settle(sim)
    return sim


def _identities(sim):
    from vimsim.managed.vm.virtual_machine import VirtualMachine
    from vimsim.managed.host.host_system import HostSystem
    out = []
    for obj in sim.objects:
        row = [obj.ref.type, obj.ref.value, getattr(obj, 'name', None)]
        if isinstance(obj, VirtualMachine):
            row += [obj.uuid, obj.instance_uuid, obj.mac]
        if isinstance(obj, HostSystem):
            row += [obj.system_uuid, obj.ip]
        out.append(tuple(row))
    return sorted(out)


def test_deterministic_identities():
    assert _identities(_build()) == _identities(_build())
    assert _identities(_build(esx=True)) == _identities(_build(esx=True))


def test_model_flags():
    sim = _build(dc=2, cluster=2, host=2, standalone_host=0, vm=3, pool=2, folder=1, ds=2,
                 pg=2, autostart=False)
    from vimsim.managed.entity import ManagedEntity
    paths = {obj.inventory_path(): obj for obj in sim.objects
             if isinstance(obj, ManagedEntity)}
    assert '/DC0/vm/DC0_C1_RP2_VM2' in paths
    assert '/DC0/host/DC0_C1/Resources/DC0_C1_RP1' in paths
    assert '/F0/DC1/vm/F0/DC1_C0_RP1_VM0' in paths
    assert '/F0/DC1/datastore/F0/LocalDS_1' in paths
    assert '/DC0/network/DC0_DVPG1' in paths
    vms = [o for o in sim.objects if o.type_name == 'VirtualMachine']
    assert len(vms) == 2 * 2 * 2 * 3
    assert all(vm.power_state == 'poweredOff' for vm in vms)
    assert not any(o.type_name == 'ComputeResource' for o in sim.objects)
