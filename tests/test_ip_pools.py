"""IpPoolManager through unmodified pyVmomi: pools per datacenter with
vCenter's checks of subnets, gateways, ranges and network associations (a
watcher of the network seeing its summary name the pool), and allocations
by an extension (a session logged in as the extension's service account):
idempotent per allocation id, released on request, by an update that
shrinks the ranges or with the pool, and counted by the ExtensionManager.

A simulator of its own: these tests make pools and register extensions.
"""
import pytest
from pyVim.connect import Disconnect
from pyVmomi import vim, vmodl

from tests.conftest import _simulator
from tests.test_extensions import extension
from tests.watching import Watcher

EXTENSION = 'com.example.deployer'
SERVICE_ACCOUNT = 'svc-deployer@vsphere.local'


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


@pytest.fixture
def dc(si):
    return si.content.rootFolder.childEntity[0]


@pytest.fixture
def pools(si, dc):
    """The IpPoolManager; every pool made in the test is destroyed after."""
    manager = si.content.ipPoolManager
    yield manager
    for pool in manager.QueryIpPools(dc):
        manager.DestroyIpPool(dc, pool.id, True)


@pytest.fixture
def deployer(sim, si):
    """A session acting for a registered extension: logged in as its
    service account."""
    extensions = si.content.extensionManager
    extensions.RegisterExtension(extension(key=EXTENSION))
    extensions.SetServiceAccount(EXTENSION, SERVICE_ACCOUNT)
    session = sim.connect(user=SERVICE_ACCOUNT, pwd='secret')
    yield session
    Disconnect(session)
    extensions.UnregisterExtension(EXTENSION)


def ipv4(range_='10.0.0.10#5', gateway='10.0.0.1', subnet='10.0.0.0',
         netmask='255.255.255.0', enabled=True):
    return vim.vApp.IpPool.IpPoolConfigInfo(
        subnetAddress=subnet, netmask=netmask, gateway=gateway, range=range_,
        dns=['10.0.0.2'], ipPoolEnabled=enabled, dhcpServerAvailable=False)


def ipv6(range_='2001:db8::10#3'):
    return vim.vApp.IpPool.IpPoolConfigInfo(
        subnetAddress='2001:db8::', netmask='ffff:ffff:ffff:ffff::', gateway='2001:db8::1',
        range=range_, ipPoolEnabled=True)


def pool(name='pool-a', networks=(), **configs):
    return vim.vApp.IpPool(
        name=name, ipv4Config=configs.get('v4', ipv4()), ipv6Config=configs.get('v6'),
        dnsDomain='example.com', networkAssociation=[
            vim.vApp.IpPool.Association(network=n, networkName='') for n in networks])


def invalid_property(call, *args):
    with pytest.raises(vmodl.fault.InvalidArgument) as raised:
        call(*args)
    return raised.value.invalidProperty


def test_create_query_update_destroy(pools, dc):
    pool_id = pools.CreateIpPool(dc, pool(v6=ipv6()))
    assert pool_id == 1
    [found] = pools.QueryIpPools(dc)
    assert (found.id, found.name, found.dnsDomain) == (1, 'pool-a', 'example.com')
    assert found.ipv4Config.range == '10.0.0.10#5' and found.ipv6Config.gateway == '2001:db8::1'
    assert (found.availableIpv4Addresses, found.allocatedIpv4Addresses) == (5, 0)
    assert (found.availableIpv6Addresses, found.allocatedIpv6Addresses) == (3, 0)
    assert pools.CreateIpPool(dc, pool('pool-b', v4=ipv4('10.0.0.100#2'))) == 2
    assert invalid_property(pools.CreateIpPool, dc, pool('pool-b')) == 'pool.name'
    # an update changes the fields it sets; the others keep theirs
    pools.UpdateIpPool(dc, vim.vApp.IpPool(id=1, name='pool-renamed',
                                           ipv4Config=ipv4('10.0.0.20#10, 10.0.0.40#2')))
    updated = next(p for p in pools.QueryIpPools(dc) if p.id == 1)
    assert updated.name == 'pool-renamed' and updated.dnsDomain == 'example.com'
    assert updated.availableIpv4Addresses == 12 and updated.ipv6Config is not None
    assert invalid_property(pools.UpdateIpPool, dc, vim.vApp.IpPool(id=9, name='x')) == 'pool.id'
    assert invalid_property(pools.UpdateIpPool, dc,
                            vim.vApp.IpPool(id=1, name='pool-b')) == 'pool.name'
    pools.DestroyIpPool(dc, 2, False)
    assert [p.id for p in pools.QueryIpPools(dc)] == [1]
    assert invalid_property(pools.DestroyIpPool, dc, 2, False) == 'id'
    # ids are not handed out again
    assert pools.CreateIpPool(dc, pool('pool-c')) == 3


@pytest.mark.parametrize('config, field', [
    (ipv4('10.0.1.10#5'), 'range'),                   # outside the subnet
    (ipv4('10.0.0.250#10'), 'range'),                 # runs past the subnet
    (ipv4('10.0.0.255#1'), 'range'),                  # the broadcast address
    (ipv4('10.0.0.10#5,10.0.0.12#4'), 'range'),       # ranges overlap
    (ipv4('10.0.0.1#5'), 'range'),                    # holds the gateway
    (ipv4('10.0.0.10#0'), 'range'),
    (ipv4('10.0.0.10-20'), 'range'),
    (ipv4(gateway='10.0.9.1'), 'gateway'),
    (ipv4(subnet='10.0.0.7'), 'subnetAddress'),       # host bits set
    (ipv4(netmask='255.0.255.0'), 'netmask'),
    (ipv4(netmask='2001:db8::'), 'netmask'),
    (vim.vApp.IpPool.IpPoolConfigInfo(range='10.0.0.10#2'), 'range'),   # no subnet
])
def test_invalid_configurations(pools, dc, config, field):
    assert invalid_property(pools.CreateIpPool, dc, pool(v4=config)) == 'pool.ipv4Config.' + field
    assert pools.QueryIpPools(dc) == []


def test_invalid_ipv6_and_datacenter(pools, dc, si):
    assert invalid_property(pools.CreateIpPool, dc, pool(v6=ipv6('2001:db9::10#2'))) == \
        'pool.ipv6Config.range'
    assert invalid_property(pools.CreateIpPool, dc, pool(v6=ipv4())) == \
        'pool.ipv6Config.subnetAddress'
    assert invalid_property(pools.CreateIpPool, dc, vim.vApp.IpPool()) == 'pool.name'
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        pools.QueryIpPools(vim.Datacenter('datacenter-none', si._stub))


def test_network_association_shows_in_network_summary(sim, pools, dc, si):
    network = dc.network[0]
    watcher = sim.connect()
    try:
        watch = Watcher(watcher, network, type(network), ['summary'])
        pool_id = pools.CreateIpPool(dc, pool(networks=[network]))
        [association] = pools.QueryIpPools(dc)[0].networkAssociation
        assert association.network == network and association.networkName == network.name
        [change] = [c for c in watch.changes() if c[2] == 'summary']
        assert (change[4].ipPoolName, change[4].ipPoolId) == ('pool-a', pool_id)
        # a network is in one pool at most
        assert invalid_property(pools.CreateIpPool, dc, pool('other', networks=[network])) == \
            'pool.networkAssociation'
        pools.UpdateIpPool(dc, vim.vApp.IpPool(id=pool_id, name='pool-a'))
        assert network.summary.ipPoolName == '' and network.summary.ipPoolId is None
        assert any(c[2] == 'summary' for c in watch.changes())
    finally:
        Disconnect(watcher)


def test_allocations_belong_to_extensions(pools, dc, deployer, si):
    pool_id = pools.CreateIpPool(dc, pool(v4=ipv4('10.0.0.10#2'), v6=ipv6()))
    theirs = deployer.content.ipPoolManager
    their_dc = vim.Datacenter(dc._moId, deployer._stub)
    # a plain user session acts for no extension
    with pytest.raises(vmodl.fault.NotSupported):
        pools.AllocateIpv4Address(dc, pool_id, 'vm-1')
    first = theirs.AllocateIpv4Address(their_dc, pool_id, 'vm-1')
    assert first == '10.0.0.10'
    assert theirs.AllocateIpv4Address(their_dc, pool_id, 'vm-1') == first     # idempotent
    assert theirs.AllocateIpv4Address(their_dc, pool_id, 'vm-2') == '10.0.0.11'
    assert theirs.AllocateIpv4Address(their_dc, pool_id, 'vm-3') == ''         # exhausted
    assert theirs.AllocateIpv6Address(their_dc, pool_id, 'vm-1') == '2001:db8::10'
    allocations = pools.QueryIPAllocations(dc, pool_id, EXTENSION)
    assert sorted((a.allocationId, a.ipAddress) for a in allocations) == [
        ('vm-1', '10.0.0.10'), ('vm-1', '2001:db8::10'), ('vm-2', '10.0.0.11')]
    assert pools.QueryIPAllocations(dc, pool_id, 'com.example.other') == []
    found = pools.QueryIpPools(dc)[0]
    assert (found.allocatedIpv4Addresses, found.availableIpv4Addresses) == (2, 0)
    assert (found.allocatedIpv6Addresses, found.availableIpv6Addresses) == (1, 2)
    [usage] = si.content.extensionManager.QueryExtensionIpAllocationUsage([EXTENSION])
    assert (usage.extensionKey, usage.numAddresses) == (EXTENSION, 3)
    assert si.content.extensionManager.QueryExtensionIpAllocationUsage(['com.example.x']) == []
    # released: both families of the id; the address is free for another id
    theirs.ReleaseIpAllocation(their_dc, pool_id, 'vm-1')
    assert theirs.AllocateIpv4Address(their_dc, pool_id, 'vm-4') == '10.0.0.10'
    # an update that leaves an address outside the ranges releases it
    pools.UpdateIpPool(dc, vim.vApp.IpPool(id=pool_id, name='pool-a',
                                           ipv4Config=ipv4('10.0.0.11#4')))
    assert [a.allocationId for a in pools.QueryIPAllocations(dc, pool_id, EXTENSION)] == ['vm-2']
    # a disabled family allocates nothing
    pools.UpdateIpPool(dc, vim.vApp.IpPool(id=pool_id, name='pool-a',
                                           ipv4Config=ipv4('10.0.0.11#4', enabled=False)))
    assert theirs.AllocateIpv4Address(their_dc, pool_id, 'vm-5') == ''
    # a pool in use goes only when forced, with its allocations
    with pytest.raises(vim.fault.InvalidState):
        pools.DestroyIpPool(dc, pool_id, False)
    pools.DestroyIpPool(dc, pool_id, True)
    assert si.content.extensionManager.QueryExtensionIpAllocationUsage([]) == []
    assert invalid_property(theirs.AllocateIpv4Address, their_dc, pool_id, 'vm-1') == 'poolId'
