"""Network.DestroyNetwork (vSphere 2.0's synchronous Destroy_Task) on
standard networks and distributed portgroups, and
DistributedVirtualSwitchManager.GetVpcNetworkSpan without a VPC."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of
from tests.test_dvs import _add_portgroup, _cluster_hosts, _create, _on_portgroup


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


def test_destroy_network_refused_while_in_use(si):
    network = next(n for n in all_of(si, vim.Network) if n.name == 'VM Network')
    assert network.host
    with pytest.raises(vim.fault.ResourceInUse):
        network.DestroyNetwork()
    assert network.name == 'VM Network'             # still there


def _destroyed_events(si):
    return si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventTypeId=['DVPortgroupDestroyedEvent']))


def test_destroy_portgroup_at_once(si):
    dvs = _create(si, 'DSwitch-destroy', _cluster_hosts(si))
    portgroup = _add_portgroup(dvs, 'PG-destroy', numPorts=4)
    used = _add_portgroup(dvs, 'PG-used', numPorts=4)
    hosts = _cluster_hosts(si)
    vm = next(v for v in all_of(si, vim.VirtualMachine) if v.runtime.host in hosts)
    WaitForTask(_on_portgroup(vm, used))
    with pytest.raises(vim.fault.ResourceInUse):
        used.DestroyNetwork()
    key = portgroup.key
    destroyed = len(_destroyed_events(si))
    portgroup.DestroyNetwork()
    assert key not in {pg.key for pg in dvs.portgroup}
    assert len(_destroyed_events(si)) == destroyed + 1
    uplinks = next(pg for pg in dvs.portgroup if pg.config.uplink)
    with pytest.raises(vmodl.fault.NotSupported):
        uplinks.DestroyNetwork()


def test_no_vpc_network_span(si):
    manager = si.content.dvSwitchManager
    assert manager.GetVpcNetworkSpan() == []         # every span: none (was an internal error)
    with pytest.raises(vim.fault.NotFound):
        manager.GetVpcNetworkSpan('span-1')
