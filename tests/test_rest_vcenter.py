"""vAPI vcenter resources and appliance basics: what /api, /rest and the
Automation SDK list, filter and get agrees with what /sdk reports of the
same objects; VM power through REST is the VM's own power operation."""
import pytest
from com.vmware.appliance.health_client import System as HealthSystem
from com.vmware.appliance.system_client import Version
from com.vmware.vapi.std.errors_client import (AlreadyInDesiredState, NotAllowedInCurrentState,
                                               NotFound)
from com.vmware.vcenter.vm_client import Power
from com.vmware.vcenter_client import (VM, Cluster, Datacenter, Datastore, Folder, Host,
                                       Network, ResourcePool)
from pyVim.task import WaitForTask
from pyVmomi import vim
from vmware.vapi.bindings import type as binding

from tests.conftest import _simulator, all_of
from tests.rest_support import client, door, error_of, sdk_reads, si, token  # noqa: F401


@pytest.fixture(scope='module')
def sim(validator):
    """HTTPS (the SDK's only scheme), a simulator of its own: VMs change power."""
    return _simulator(validator)


POWER = {'poweredOn': 'POWERED_ON', 'poweredOff': 'POWERED_OFF', 'suspended': 'SUSPENDED'}


def _vms(si):
    return sorted(all_of(si, vim.VirtualMachine), key=lambda vm: vm._moId)


def test_vm_list_is_the_inventory(client, si, door, token):
    expected = [(vm._moId, vm.name, POWER[vm.runtime.powerState], vm.config.hardware.numCPU,
                 vm.config.hardware.memoryMB) for vm in _vms(si)]
    listed = sorted((s.vm, s.name, s.power_state, s.cpu_count, s.memory_size_mib)
                    for s in client.vcenter.VM.list())
    assert listed == expected
    for form, path in (('api', '/api/vcenter/vm'), ('rest', '/rest/vcenter/vm')):
        answer = door.request('GET', path, token)
        assert answer.status_code == 200
        read = sdk_reads(answer, binding.ListType(VM.Summary.get_binding_type()), form)
        assert sorted((s.vm, s.name, s.power_state, s.cpu_count, s.memory_size_mib)
                      for s in read) == expected


def test_vm_filters(client, si, door, token):
    vms = _vms(si)
    first = vms[0]
    host = first.runtime.host
    cluster = host.parent if isinstance(host.parent, vim.ClusterComputeResource) else None

    def names(**spec):
        return sorted(s.name for s in client.vcenter.VM.list(VM.FilterSpec(**spec)))

    assert names(names={first.name}) == [first.name]
    assert names(vms={first._moId, vms[1]._moId}) == sorted([first.name, vms[1].name])
    assert names(hosts={host._moId}) == sorted(vm.name for vm in vms
                                               if vm.runtime.host == host)
    assert names(resource_pools={first.resourcePool._moId}) == sorted(
        vm.name for vm in vms if vm.resourcePool == first.resourcePool)
    assert names(folders={first.parent._moId}) == sorted(
        vm.name for vm in vms if vm.parent == first.parent)
    datacenter = all_of(si, vim.Datacenter)[0]
    assert names(datacenters={datacenter._moId}) == sorted(vm.name for vm in vms)
    if cluster is not None:
        assert names(clusters={cluster._moId}) == sorted(
            vm.name for vm in vms if vm.runtime.host.parent == cluster)
    on = sorted(vm.name for vm in vms if vm.runtime.powerState == 'poweredOn')
    assert names(power_states={Power.State.POWERED_ON}) == on
    assert names(names={first.name}, power_states={Power.State.SUSPENDED}) == []
    # the same filters as query parameters, in each form
    api = door.request('GET', '/api/vcenter/vm?names=%s&names=%s' % (first.name, vms[1].name),
                       token).json()
    assert sorted(s['name'] for s in api) == sorted([first.name, vms[1].name])
    rest = door.request('GET', '/rest/vcenter/vm?filter.names.1=%s&filter.power_states.1='
                        'POWERED_ON' % first.name, token).json()['value']
    assert [s['name'] for s in rest] == ([first.name] if first.name in on else [])
    assert door.request('GET', '/api/vcenter/vm?power_states=ON', token).status_code == 400
    assert door.request('GET', '/api/vcenter/vm?colour=blue', token).status_code == 400


def test_inventory_lists(client, si):
    def ids(summaries, field):
        return sorted(getattr(s, field) for s in summaries)

    hosts = all_of(si, vim.HostSystem)
    listed = {s.host: s for s in client.vcenter.Host.list()}
    assert sorted(listed) == sorted(h._moId for h in hosts)
    for host in hosts:
        summary = listed[host._moId]
        assert summary.name == host.name
        assert summary.connection_state == host.runtime.connectionState.upper()
        assert summary.host_uuid == host.hardware.systemInfo.uuid
    standalone = [h._moId for h in hosts if not isinstance(h.parent, vim.ClusterComputeResource)]
    assert ids(client.vcenter.Host.list(Host.FilterSpec(standalone=True)), 'host') == \
        sorted(standalone)
    datastores = all_of(si, vim.Datastore)
    listed = client.vcenter.Datastore.list()
    assert sorted((s.datastore, s.name, s.type, s.capacity, s.free_space) for s in listed) == \
        sorted((d._moId, d.name, d.summary.type, d.summary.capacity, d.summary.freeSpace)
               for d in datastores)
    networks = all_of(si, vim.Network)
    assert ids(client.vcenter.Network.list(), 'network') == sorted(n._moId for n in networks)
    portgroups = client.vcenter.Network.list(Network.FilterSpec(
        types={Network.Type.DISTRIBUTED_PORTGROUP}))
    assert ids(portgroups, 'network') == sorted(
        n._moId for n in networks if isinstance(n, vim.dvs.DistributedVirtualPortgroup))
    clusters = all_of(si, vim.ClusterComputeResource)
    assert sorted((s.cluster, s.name, s.drs_enabled, s.ha_enabled)
                  for s in client.vcenter.Cluster.list()) == sorted(
        (c._moId, c.name, bool(c.configurationEx.drsConfig.enabled),
         bool(c.configurationEx.dasConfig.enabled)) for c in clusters)
    datacenters = all_of(si, vim.Datacenter)
    assert ids(client.vcenter.Datacenter.list(), 'datacenter') == sorted(
        d._moId for d in datacenters)
    folders = all_of(si, vim.Folder)
    vm_folders = client.vcenter.Folder.list(Folder.FilterSpec(type=Folder.Type.VIRTUAL_MACHINE))
    assert ids(vm_folders, 'folder') == sorted(
        f._moId for f in folders if 'VirtualMachine' in f.childType)
    pools = [p for p in all_of(si, vim.ResourcePool) if not isinstance(p, vim.VirtualApp)]
    assert ids(client.vcenter.ResourcePool.list(), 'resource_pool') == sorted(
        p._moId for p in pools)
    if clusters:
        in_cluster = client.vcenter.ResourcePool.list(ResourcePool.FilterSpec(
            clusters={clusters[0]._moId}))
        assert ids(in_cluster, 'resource_pool') == sorted(
            p._moId for p in pools if p.owner == clusters[0])


def test_gets(client, si, door, token):
    datastore = all_of(si, vim.Datastore)[0]
    info = client.vcenter.Datastore.get(datastore._moId)
    assert (info.name, info.type, info.accessible, info.free_space) == (
        datastore.name, datastore.summary.type, datastore.summary.accessible,
        datastore.summary.freeSpace)
    cluster = all_of(si, vim.ClusterComputeResource)[0]
    info = client.vcenter.Cluster.get(cluster._moId)
    assert (info.name, info.resource_pool) == (cluster.name, cluster.resourcePool._moId)
    datacenter = all_of(si, vim.Datacenter)[0]
    info = client.vcenter.Datacenter.get(datacenter._moId)
    assert (info.name, info.vm_folder, info.host_folder) == (
        datacenter.name, datacenter.vmFolder._moId, datacenter.hostFolder._moId)
    pool = cluster.resourcePool
    info = client.vcenter.ResourcePool.get(pool._moId)
    assert info.name == pool.name
    assert info.resource_pools == {p._moId for p in pool.resourcePool}
    assert info.cpu_allocation.shares.level == pool.config.cpuAllocation.shares.level.upper()
    answer = door.request('GET', '/api/vcenter/resource-pool/' + pool._moId, token)
    assert sdk_reads(answer, ResourcePool.Info.get_binding_type(), 'api').name == pool.name
    with pytest.raises(NotFound):
        client.vcenter.Datastore.get('datastore-99999')
    missing = door.request('GET', '/api/vcenter/cluster/domain-c99999', token)
    assert missing.status_code == 404 and error_of(missing, 'api')[0] == 'NOT_FOUND'
    missing = door.request('GET', '/rest/vcenter/datacenter/datacenter-99999', token)
    assert missing.status_code == 404
    assert error_of(missing, 'rest')[0] == 'com.vmware.vapi.std.errors.not_found'


def test_power(client, si, door, token):
    vm = [vm for vm in _vms(si) if vm.runtime.powerState == 'poweredOn'][0]
    assert client.vcenter.vm.Power.get(vm._moId).state == Power.State.POWERED_ON
    with pytest.raises(AlreadyInDesiredState):
        client.vcenter.vm.Power.start(vm._moId)
    client.vcenter.vm.Power.stop(vm._moId)
    assert vm.runtime.powerState == 'poweredOff'
    stop_tasks = [t for t in si.content.taskManager.recentTask
                  if t.info.descriptionId == 'VirtualMachine.powerOff' and t.info.entity == vm]
    assert stop_tasks and stop_tasks[-1].info.state == 'success'
    with pytest.raises(NotAllowedInCurrentState):
        client.vcenter.vm.Power.suspend(vm._moId)
    again = door.request('POST', '/api/vcenter/vm/%s/power/stop' % vm._moId, token)
    assert again.status_code == 400
    assert error_of(again, 'api')[0] == 'ALREADY_IN_DESIRED_STATE'
    started = door.request('POST', '/rest/vcenter/vm/%s/power/start' % vm._moId, token)
    assert started.status_code == 200
    assert vm.runtime.powerState == 'poweredOn'
    client.vcenter.vm.Power.suspend(vm._moId)
    assert vm.runtime.powerState == 'suspended'
    client.vcenter.vm.Power.start(vm._moId)
    client.vcenter.vm.Power.reset(vm._moId)
    assert vm.runtime.powerState == 'poweredOn'
    WaitForTask(vm.PowerOffVM_Task())        # a change through /sdk is seen by REST
    answer = door.request('GET', '/api/vcenter/vm/%s/power' % vm._moId, token)
    assert sdk_reads(answer, Power.Info.get_binding_type(), 'api').state == \
        Power.State.POWERED_OFF
    with pytest.raises(NotFound):
        client.vcenter.vm.Power.start('vm-99999')


def test_appliance(client, si, door, token):
    about = si.content.about
    version = client.appliance.system.Version.get()
    assert version.version.startswith(about.version) and version.build == about.build
    assert client.appliance.health.System.get() == HealthSystem.HealthLevel.green
    for form, prefix in (('api', '/api'), ('rest', '/rest')):
        answer = door.request('GET', prefix + '/appliance/system/version', token)
        assert sdk_reads(answer, Version.VersionStruct.get_binding_type(), form).build == \
            about.build
        health = door.request('GET', prefix + '/appliance/health/system', token)
        assert sdk_reads(health, HealthSystem.HealthLevel.get_binding_type(), form) == 'green'


def test_missing_session_and_unknown_paths(door, token):
    for path in ('/api/vcenter/vm', '/rest/vcenter/host', '/api/appliance/system/version'):
        answer = door.request('GET', path)
        assert answer.status_code == 401, path
    assert door.request('GET', '/api/vcenter/no-such-thing', token).status_code == 404
    assert door.request('DELETE', '/api/vcenter/vm', token).status_code == 404
    assert door.request('GET', '/rest/vcenter/vm/vm-1/power/start', token).status_code == 404


LISTS = [('vm', VM), ('host', Host), ('datastore', Datastore), ('network', Network),
         ('cluster', Cluster), ('datacenter', Datacenter), ('folder', Folder),
         ('resource-pool', ResourcePool)]


@pytest.mark.parametrize('form', ['api', 'rest'])
@pytest.mark.parametrize('path, service', LISTS, ids=[path for path, _ in LISTS])
def test_every_list_reads_as_the_bindings_expect(client, door, token, form, path, service):
    """Each /api and /rest list answer, read by the SDK's REST deserializer
    with the bindings' summary type, is what the SDK's JSON-RPC list says."""
    answer = door.request('GET', '/%s/vcenter/%s' % (form, path), token)
    assert answer.status_code == 200
    read = sdk_reads(answer, binding.ListType(service.Summary.get_binding_type()), form)
    stub_name = {'vm': 'VM', 'resource-pool': 'ResourcePool'}.get(path, path.capitalize())
    assert read == getattr(client.vcenter, stub_name).list()
