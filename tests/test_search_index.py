"""SearchIndex through unmodified pyVmomi: every method, hits and misses, faults.

The default inventories are vcsim's: paths such as /DC0/vm/DC0_H0_VM0 on the
vCenter and ha-datacenter/vm/ha-host_VM0 on the ESX host. Uuids, IPs and DNS
names are read from the objects themselves, so the searches are checked against
what clients read. Tests that change the model use simulators of their own.
"""

import pytest
from pyVmomi import vim, vmodl

from tests.conftest import all_of, logged_in, _simulator, on_reactor
from tests.test_soap import fault_type, login, post


@pytest.fixture
def index(si):
    return si.content.searchIndex


@pytest.fixture
def esx_si(esx):
    yield from logged_in(esx)


@pytest.fixture(scope='module')
def two_dc(validator):
    """A vCenter with two datacenters (DC0, DC1), changed freely by the tests."""
    return _simulator(validator, tls=False, dc=2)


@pytest.fixture
def two_dc_si(two_dc):
    yield from logged_in(two_dc)


def _path_of(entity):
    """The inventory path of an entity, from its `parent` chain (root excluded)."""
    names = []
    while entity.parent is not None:
        names.append(entity.name)
        entity = entity.parent
    return '/' + '/'.join(reversed(names))


def _model_object(running, name, type_name='VirtualMachine'):
    return next(obj for obj in running.sim.objects
                if obj.type_name == type_name and getattr(obj, 'name', None) == name)


# -- FindByInventoryPath ------------------------------------------------------------

@pytest.mark.parametrize('path,kind,name', [
    ('/DC0/vm/DC0_H0_VM0', vim.VirtualMachine, 'DC0_H0_VM0'),
    ('DC0/vm/DC0_H0_VM0', vim.VirtualMachine, 'DC0_H0_VM0'),
    ('/DC0/vm/DC0_H0_VM0/', vim.VirtualMachine, 'DC0_H0_VM0'),
    ('//DC0//vm/DC0_H0_VM0', vim.VirtualMachine, 'DC0_H0_VM0'),
    ('/DC0', vim.Datacenter, 'DC0'),
    ('/DC0/vm', vim.Folder, 'vm'),
    ('/DC0/host/DC0_C0', vim.ClusterComputeResource, 'DC0_C0'),
    ('DC0/host/DC0_C0/DC0_C0_H0', vim.HostSystem, 'DC0_C0_H0'),
    ('/DC0/host/DC0_C0/Resources', vim.ResourcePool, 'Resources'),
    ('/DC0/host/DC0_C0/Resources/DC0_C0_RP0_VM1', vim.VirtualMachine, 'DC0_C0_RP0_VM1'),
    ('/DC0/host/DC0_H0', vim.ComputeResource, 'DC0_H0'),
    ('/DC0/host/DC0_H0/DC0_H0', vim.HostSystem, 'DC0_H0'),
    ('/DC0/host/DC0_H0/Resources', vim.ResourcePool, 'Resources'),
    ('/DC0/datastore/LocalDS_0', vim.Datastore, 'LocalDS_0'),
    ('/DC0/network/VM Network', vim.Network, 'VM Network'),
    ('/DC0/network/DC0_DVPG0', vim.dvs.DistributedVirtualPortgroup, 'DC0_DVPG0'),
    ('/DC0/network/DVS0', vim.DistributedVirtualSwitch, 'DVS0'),
])
def test_find_by_inventory_path(index, path, kind, name):
    found = index.FindByInventoryPath(path)
    assert isinstance(found, kind)
    assert found.name == name


@pytest.mark.parametrize('path', [
    '', '/nope', '/DC0/vm/nope', '/DC0/vm/DC0_H0_VM0/more', '/DC0/VM/DC0_H0_VM0',
    '/DC0/vm/dc0_h0_vm0', '/DC0/host/DC0_C0/Resources/nope', '/Datacenters/DC0',
])
def test_find_by_inventory_path_misses(index, path):
    assert index.FindByInventoryPath(path) is None


def test_slash_alone_is_the_root_folder(si, index):
    assert index.FindByInventoryPath('/') == si.content.rootFolder


def test_every_entity_is_found_at_its_path(si, index):
    entities = all_of(si, vim.ManagedEntity)
    assert len(entities) > 20
    for entity in entities:
        if entity == si.content.rootFolder:
            continue
        assert index.FindByInventoryPath(_path_of(entity)) == entity, _path_of(entity)


def test_escaped_names(two_dc, two_dc_si):
    """vCenter escapes '/' as %2f and '%' as %25 in names; paths use the same
    escapes (either case of the hex digits), and plain names stored unescaped
    are found through the escaped spelling too."""
    index = two_dc_si.content.searchIndex
    escaped = _model_object(two_dc, 'DC0_H0_VM0')
    plain = _model_object(two_dc, 'DC0_H0_VM1')
    old = escaped.name, plain.name

    def rename(first, second):
        escaped.name, plain.name = first, second
        escaped.changed('name')
        plain.changed('name')

    on_reactor(rename, 'web%2fdb %25 1', 'a/b')
    try:
        for path in ('/DC0/vm/web%2fdb %25 1', '/DC0/vm/web%2Fdb %25 1'):
            found = index.FindByInventoryPath(path)
            assert found is not None and found._moId == escaped.ref.value
        assert index.FindByInventoryPath('/DC0/vm/web/db % 1') is None
        found = index.FindByInventoryPath('/DC0/vm/a%2fb')
        assert found is not None and found._moId == plain.ref.value
        vm_folder = index.FindByInventoryPath('/DC0/vm')
        assert index.FindChild(vm_folder, 'web%2Fdb %25 1')._moId == escaped.ref.value
    finally:
        on_reactor(rename, *old)
    assert index.FindByInventoryPath('/DC0/vm/DC0_H0_VM0')._moId == escaped.ref.value


def test_search_follows_model_changes(two_dc, two_dc_si):
    """No index to go stale: a rename is seen by the next search."""
    index = two_dc_si.content.searchIndex
    vm = _model_object(two_dc, 'DC1_H0_VM1')

    def rename(name):
        vm.name = name
        vm.changed('name')

    on_reactor(rename, 'renamed')
    try:
        assert index.FindByInventoryPath('/DC1/vm/DC1_H0_VM1') is None
        assert index.FindByInventoryPath('/DC1/vm/renamed')._moId == vm.ref.value
    finally:
        on_reactor(rename, 'DC1_H0_VM1')
    assert index.FindByInventoryPath('/DC1/vm/renamed') is None


# -- FindChild ---------------------------------------------------------------------

def test_find_child_of_datacenter_finds_its_four_folders(si, index):
    dc = index.FindByInventoryPath('/DC0')
    assert index.FindChild(dc, 'vm') == dc.vmFolder
    assert index.FindChild(dc, 'host') == dc.hostFolder
    assert index.FindChild(dc, 'datastore') == dc.datastoreFolder
    assert index.FindChild(dc, 'network') == dc.networkFolder
    assert index.FindChild(dc, 'DC0_H0_VM0') is None


def test_find_child_of_folder(si, index):
    root = si.content.rootFolder
    assert index.FindChild(root, 'DC0').name == 'DC0'
    vm_folder = index.FindByInventoryPath('/DC0/vm')
    for vm in vm_folder.childEntity:
        assert index.FindChild(vm_folder, vm.name) == vm
    assert index.FindChild(vm_folder, 'nope') is None


def test_find_child_of_compute_resources(index):
    cluster = index.FindByInventoryPath('/DC0/host/DC0_C0')
    for host in cluster.host:
        assert index.FindChild(cluster, host.name) == host
    assert index.FindChild(cluster, 'Resources') == cluster.resourcePool
    standalone = index.FindByInventoryPath('/DC0/host/DC0_H0')
    assert index.FindChild(standalone, 'DC0_H0') == standalone.host[0]
    assert index.FindChild(standalone, 'Resources') == standalone.resourcePool
    assert index.FindChild(cluster, 'DC0_H0') is None


def test_find_child_of_resource_pool_finds_pools_and_vms(index):
    pool = index.FindByInventoryPath('/DC0/host/DC0_C0/Resources')
    assert pool.vm
    for vm in pool.vm:
        assert index.FindChild(pool, vm.name) == vm
    assert index.FindChild(pool, 'nope') is None


def test_find_child_of_leaf_entities_is_none(index):
    vm = index.FindByInventoryPath('/DC0/vm/DC0_H0_VM0')
    assert index.FindChild(vm, 'DC0_H0_VM0') is None
    host = index.FindByInventoryPath('/DC0/host/DC0_H0/DC0_H0')
    assert index.FindChild(host, 'DC0_H0_VM0') is None


def test_find_child_of_unknown_entity_faults(si, index):
    ghost = vim.Folder('group-nope', si._stub)
    with pytest.raises(vmodl.fault.ManagedObjectNotFound) as info:
        index.FindChild(ghost, 'DC0')
    assert info.value.obj == ghost


# -- FindByUuid / FindAllByUuid -------------------------------------------------------

def test_find_vms_by_bios_and_instance_uuid(si, index):
    vms = all_of(si, vim.VirtualMachine)
    assert len(vms) == 4
    for vm in vms:
        bios, instance = vm.config.uuid, vm.config.instanceUuid
        assert bios != instance
        assert index.FindByUuid(None, bios, True) == vm
        assert index.FindByUuid(uuid=bios, vmSearch=True, instanceUuid=False) == vm
        assert index.FindByUuid(None, instance, True, True) == vm
        assert index.FindByUuid(None, bios.upper(), True) == vm
        # a BIOS uuid is not an instance uuid and the other way round
        assert index.FindByUuid(None, bios, True, True) is None
        assert index.FindByUuid(None, instance, True) is None
        # VM uuids do not find hosts
        assert index.FindByUuid(None, bios, False) is None
        assert list(index.FindAllByUuid(None, bios, True)) == [vm]
        assert list(index.FindAllByUuid(None, instance, True, True)) == [vm]


def test_find_hosts_by_uuid(si, index):
    hosts = all_of(si, vim.HostSystem)
    assert len(hosts) == 4
    for host in hosts:
        uuid = host.hardware.systemInfo.uuid
        assert uuid == host.summary.hardware.uuid
        assert index.FindByUuid(None, uuid, False) == host
        assert index.FindByUuid(None, uuid, False, False) == host
        assert list(index.FindAllByUuid(None, uuid, False)) == [host]
        assert index.FindByUuid(None, uuid, True) is None


def test_find_by_uuid_misses(index):
    unknown = '00000000-0000-0000-0000-000000000000'
    assert index.FindByUuid(None, unknown, True) is None
    assert index.FindByUuid(None, unknown, False) is None


def test_instance_uuid_only_with_vm_search(index):
    vm = index.FindByInventoryPath('/DC0/vm/DC0_H0_VM0')
    for method in (index.FindByUuid, index.FindAllByUuid):
        with pytest.raises(vmodl.fault.InvalidArgument) as info:
            method(None, vm.config.instanceUuid, False, True)
        assert info.value.invalidProperty == 'instanceUuid'


def test_datacenter_scopes_the_search(two_dc_si):
    index = two_dc_si.content.searchIndex
    dc0 = index.FindByInventoryPath('/DC0')
    dc1 = index.FindByInventoryPath('/DC1')
    vm = index.FindByInventoryPath('/DC0/vm/DC0_H0_VM0')
    host = index.FindByInventoryPath('/DC0/host/DC0_C0/DC0_C0_H1')
    assert index.FindByUuid(dc0, vm.config.uuid, True) == vm
    assert index.FindByUuid(dc1, vm.config.uuid, True) is None
    assert list(index.FindAllByUuid(dc1, vm.config.instanceUuid, True, True)) == []
    assert index.FindByUuid(dc0, host.hardware.systemInfo.uuid, False) == host
    assert index.FindByUuid(dc1, host.hardware.systemInfo.uuid, False) is None
    ip = vm.guest.ipAddress
    assert index.FindByIp(dc0, ip, True) == vm
    assert index.FindByIp(dc1, ip, True) is None
    assert index.FindByDnsName(dc0, vm.guest.hostName, True) == vm
    assert list(index.FindAllByDnsName(dc1, vm.guest.hostName, True)) == []
    # DC1 has a datastore of the same name, but not that VM
    path = vm.config.files.vmPathName
    assert index.FindByDatastorePath(dc0, path) == vm
    assert index.FindByDatastorePath(dc1, path) is None


def test_find_all_misses_answer_an_empty_list(two_dc, two_dc_si):
    index = two_dc_si.content.searchIndex
    unknown = '00000000-0000-0000-0000-000000000000'
    assert list(index.FindAllByUuid(None, unknown, True)) == []
    assert list(index.FindAllByUuid(None, unknown, True, True)) == []
    assert list(index.FindAllByUuid(None, 'not a uuid', False)) == []
    assert list(index.FindAllByIp(None, '192.0.2.1', True)) == []
    assert list(index.FindAllByIp(None, 'not-an-ip', False)) == []
    assert list(index.FindAllByDnsName(None, 'nothing.example.com', True)) == []
    assert list(index.FindAllByDnsName(None, 'nothing.example.com', False)) == []
    # each went out as an empty <FindAllBy...Response/>, as from a real vCenter,
    # which the served schema allows (arrays may be empty)


def test_datacenter_argument_must_be_a_datacenter(vc_http, si, index):
    vm = index.FindByInventoryPath('/DC0/vm/DC0_H0_VM0')
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        index.FindAllByIp(vim.Datacenter('datacenter-nope', si._stub), '10.0.0.1', False)
    # pyVmomi only sends Datacenter references; a raw client can send others
    cookie = login(vc_http)
    for method, extra in (('FindByUuid', '<uuid>%s</uuid><vmSearch>true</vmSearch>'
                                         % vm.config.uuid),
                          ('FindByDatastorePath', '<path>%s</path>'
                                                  % vm.config.files.vmPathName)):
        status, body, _ = post(vc_http, '<%s xmlns="urn:vim25"><_this type="SearchIndex">'
                                        'SearchIndex</_this><datacenter type="Folder">group-d1'
                                        '</datacenter>%s</%s>' % (method, extra, method),
                               cookie=cookie)
        assert status == 500 and fault_type(body) == 'InvalidArgument', body
        assert b'<invalidProperty>datacenter</invalidProperty>' in body


# -- FindByIp / FindAllByIp ----------------------------------------------------------

def test_find_vms_by_guest_ip(si, index):
    for vm in all_of(si, vim.VirtualMachine):
        ip = vm.guest.ipAddress
        assert ip and ip in vm.guest.net[0].ipAddress
        assert index.FindByIp(None, ip, True) == vm
        assert list(index.FindAllByIp(None, ip, True)) == [vm]
        assert index.FindByIp(None, ip, False) is None


def test_find_hosts_by_vmkernel_ip(si, index):
    for host in all_of(si, vim.HostSystem):
        ip = host.config.network.vnic[0].spec.ip.ipAddress
        assert index.FindByIp(None, ip, False) == host
        assert list(index.FindAllByIp(None, ip, False)) == [host]
        assert index.FindByIp(None, ip, True) is None


def test_find_by_ip_misses(index):
    assert index.FindByIp(None, '192.0.2.1', True) is None
    assert index.FindByIp(None, '192.0.2.1', False) is None


def test_powered_off_vm_has_no_guest_ip(two_dc, two_dc_si):
    index = two_dc_si.content.searchIndex
    vm = index.FindByInventoryPath('/DC1/vm/DC1_H0_VM0')
    ip, host_name = vm.guest.ipAddress, vm.guest.hostName
    assert index.FindByIp(None, ip, True) == vm
    model = _model_object(two_dc, 'DC1_H0_VM0')

    def power(state):
        model.power_state = state
        model.changed()

    on_reactor(power, 'poweredOff')
    try:
        assert vm.guest.ipAddress is None
        assert index.FindByIp(None, ip, True) is None
        assert index.FindByDnsName(None, host_name, True) is None
    finally:
        on_reactor(power, 'poweredOn')
    assert index.FindByIp(None, ip, True) == vm


# -- FindByDnsName / FindAllByDnsName ----------------------------------------------------

def test_find_vms_by_guest_host_name(si, index):
    for vm in all_of(si, vim.VirtualMachine):
        name = vm.guest.hostName
        assert name
        assert index.FindByDnsName(None, name, True) == vm
        assert index.FindByDnsName(None, name.upper(), True) == vm
        assert list(index.FindAllByDnsName(None, name, True)) == [vm]
        assert index.FindByDnsName(None, name, False) is None


def test_find_hosts_by_dns_name(si, index):
    for host in all_of(si, vim.HostSystem):
        dns = host.config.network.dnsConfig
        fqdn = '%s.%s' % (dns.hostName, dns.domainName)
        assert index.FindByDnsName(None, fqdn, False) == host
        assert index.FindByDnsName(None, fqdn + '.', False) == host
        assert list(index.FindAllByDnsName(None, fqdn, False)) == [host]
        assert index.FindByDnsName(None, host.summary.config.name, False) == host
        assert index.FindByDnsName(None, fqdn, True) is None


def test_find_by_dns_name_misses(index):
    assert index.FindByDnsName(None, 'nothing.example.com', True) is None
    assert index.FindByDnsName(None, 'nothing.example.com', False) is None


# -- FindByDatastorePath ---------------------------------------------------------------

def test_find_by_datastore_path(si, index):
    dc = index.FindByInventoryPath('/DC0')
    assert index.FindByDatastorePath(dc, '[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0.vmx').name == \
        'DC0_H0_VM0'
    for vm in all_of(si, vim.VirtualMachine):
        assert index.FindByDatastorePath(dc, vm.config.files.vmPathName) == vm


def test_find_by_datastore_path_misses_and_faults(index):
    dc = index.FindByInventoryPath('/DC0')
    assert index.FindByDatastorePath(dc, '[LocalDS_0] DC0_H0_VM0/other.vmx') is None
    assert index.FindByDatastorePath(dc, '[LocalDS_0] nope/nope.vmx') is None
    with pytest.raises(vim.fault.InvalidDatastore) as info:
        index.FindByDatastorePath(dc, '[NoSuchDS] DC0_H0_VM0/DC0_H0_VM0.vmx')
    assert info.value.name == 'NoSuchDS'
    with pytest.raises(vim.fault.InvalidDatastorePath) as info:
        index.FindByDatastorePath(dc, 'DC0_H0_VM0/DC0_H0_VM0.vmx')
    assert info.value.datastorePath == 'DC0_H0_VM0/DC0_H0_VM0.vmx'


# -- ESX ---------------------------------------------------------------------------------

@pytest.mark.parametrize('path,kind,name', [
    ('ha-datacenter', vim.Datacenter, 'ha-datacenter'),
    ('ha-datacenter/vm/ha-host_VM0', vim.VirtualMachine, 'ha-host_VM0'),
    ('/ha-datacenter/vm/ha-host_VM1', vim.VirtualMachine, 'ha-host_VM1'),
    ('/ha-datacenter/host/localhost.localdomain', vim.ComputeResource,
     'localhost.localdomain'),
    ('/ha-datacenter/host/localhost.localdomain/localhost.localdomain', vim.HostSystem,
     'localhost.localdomain'),
    ('/ha-datacenter/host/localhost.localdomain/Resources', vim.ResourcePool, 'Resources'),
    ('/ha-datacenter/datastore/LocalDS_0', vim.Datastore, 'LocalDS_0'),
    ('/ha-datacenter/network/VM Network', vim.Network, 'VM Network'),
])
def test_esx_inventory_paths(esx_si, path, kind, name):
    found = esx_si.content.searchIndex.FindByInventoryPath(path)
    assert isinstance(found, kind) and found.name == name


def test_esx_searches(esx_si):
    index = esx_si.content.searchIndex
    assert index._moId == 'ha-searchindex'
    assert index.FindByInventoryPath('/') == esx_si.content.rootFolder
    assert index.FindByInventoryPath('/DC0/vm/DC0_H0_VM0') is None
    dc = index.FindByInventoryPath('ha-datacenter')
    vm = index.FindByInventoryPath('ha-datacenter/vm/ha-host_VM0')
    host = index.FindByInventoryPath('/ha-datacenter/host/localhost.localdomain/'
                                     'localhost.localdomain')
    assert vm._moId == '1' and host._moId == 'ha-host'
    assert index.FindByUuid(None, vm.config.uuid, True) == vm
    assert index.FindByUuid(dc, vm.config.instanceUuid, True, True) == vm
    assert index.FindByUuid(None, host.hardware.systemInfo.uuid, False) == host
    assert index.FindByIp(None, vm.guest.ipAddress, True) == vm
    assert index.FindByIp(None, host.config.network.vnic[0].spec.ip.ipAddress, False) == host
    assert index.FindByDnsName(None, 'localhost.localdomain', False) == host
    assert index.FindByDnsName(None, vm.guest.hostName, True) == vm
    assert index.FindByDatastorePath(dc, '[LocalDS_0] ha-host_VM0/ha-host_VM0.vmx') == vm
    assert index.FindChild(dc, 'vm') == dc.vmFolder
