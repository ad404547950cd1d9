"""Distributed switches as vCenter runs them, driven by unmodified pyVmomi:
CreateDVS_Task over the cluster's hosts, ReconfigureDvs_Task (members and
their uplinks, uplink names, default port setting, private VLANs),
portgroups (AddDVPortgroup_Task, ReconfigureDVPortgroup_Task, rollback,
Destroy_Task), the port table (FetchDVPorts / FetchDVPortKeys with
criteria, ReconfigureDVPort_Task, MoveDVPort_Task), a VM NIC and a vmknic on
real ports, the DistributedVirtualSwitchManager's queries, and vCenter's
faults; a second session's WaitForUpdatesEx sees the changes.

A simulator of its own (two portgroups on DVS0): these tests change the
inventory.
"""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, on_reactor, task_fault
from tests.watching import Watcher, paths_of

Dvs = vim.dvs.VmwareDistributedVirtualSwitch


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, pg=2)


def _named(si, kind, name):
    return next(obj for obj in all_of(si, kind) if obj.name == name)


def _events(si, entity, kind):
    spec = vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=entity, recursion='self'),
        eventTypeId=[kind])
    return si.content.eventManager.QueryEvents(spec)


def _cluster_hosts(si):
    cluster = _named(si, vim.ClusterComputeResource, 'DC0_C0')
    return list(cluster.host)


def _member(host, operation='add', pnics=('vmnic1',)):
    return vim.dvs.HostMember.ConfigSpec(
        operation=operation, host=host,
        backing=vim.dvs.HostMember.PnicBacking(pnicSpec=[
            vim.dvs.HostMember.PnicSpec(pnicDevice=device) for device in pnics]))


def _create(si, name, hosts, uplinks=('uplink1', 'uplink2')):
    folder = si.content.rootFolder.childEntity[0].networkFolder
    spec = vim.DistributedVirtualSwitch.CreateSpec(configSpec=Dvs.ConfigSpec(
        name=name, uplinkPortPolicy=vim.DistributedVirtualSwitch.NameArrayUplinkPortPolicy(
            uplinkPortName=list(uplinks)),
        host=[_member(host) for host in hosts]))
    task = folder.CreateDVS_Task(spec)
    WaitForTask(task)
    return task.info.result


def _trunk(ranges):
    return Dvs.TrunkVlanSpec(inherited=False, vlanId=[
        vim.NumericRange(start=start, end=end) for start, end in ranges])


def _add_portgroup(dvs, name, **fields):
    fields.setdefault('type', 'earlyBinding')
    WaitForTask(dvs.AddDVPortgroup_Task([vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
        name=name, **fields)]))
    return next(pg for pg in dvs.portgroup if pg.name == name)


def _on_portgroup(vm, pg, port_key=None):
    """ReconfigVM_Task moving the VM's first NIC onto `pg`."""
    nic = next(d for d in vm.config.hardware.device
               if isinstance(d, vim.vm.device.VirtualEthernetCard))
    nic.backing = vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
        port=vim.dvs.PortConnection(switchUuid=pg.config.distributedVirtualSwitch.uuid,
                                    portgroupKey=pg.key, portKey=port_key))
    return vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        vim.vm.device.VirtualDeviceSpec(operation='edit', device=nic)]))


def _on_network(vm, network):
    nic = next(d for d in vm.config.hardware.device
               if isinstance(d, vim.vm.device.VirtualEthernetCard))
    nic.backing = vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(
        deviceName=network.name, network=network)
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        vim.vm.device.VirtualDeviceSpec(operation='edit', device=nic)])))


def _nic(vm):
    return next(d for d in vm.config.hardware.device
                if isinstance(d, vim.vm.device.VirtualEthernetCard))


def _model(sim, ref):
    return sim.sim.objects.get(ref) if hasattr(sim.sim, 'objects') else None


def _vmknic(sim, pg, host, device, address, release=False):
    """The host side's rule (dv_port.connect), as HostNetworkSystem uses it
    for a vmknic's spec.distributedVirtualPort: run on the model."""
    from vimsim.managed.network.dv_port import connect, release_entity
    from vimsim.schema import MoRef

    def act():
        server = sim.sim
        model_pg = server.objects.get(MoRef('DistributedVirtualPortgroup', pg._moId))
        model_host = server.objects.get(MoRef('HostSystem', host._moId))
        if release:
            release_entity(model_pg.dvs, model_host)
            return None
        return connect(model_pg, model_host, device, 'hostVmkVnic', None, address).key
    return on_reactor(act)


def test_acceptance_switch_over_the_cluster(sim, si):
    """The issue's scenario: a switch over the cluster's hosts with two
    uplinks, a VLAN-trunk portgroup, a VM NIC and a vmknic on it, the ports
    fetched, a host removal refused while its VM uses the switch, the
    switch destroyed once nothing uses it."""
    hosts = _cluster_hosts(si)
    watcher = Watcher(sim.connect(), si.content.rootFolder.childEntity[0].networkFolder,
                      vim.Folder, ['childEntity'])
    dvs = _create(si, 'DSwitch-A', hosts)
    assert any(path == 'childEntity' for path in paths_of(watcher.changes()))
    config = dvs.config
    assert config.uplinkPortPolicy.uplinkPortName == ['uplink1', 'uplink2']
    assert {m.config.host._moId for m in config.host} == {h._moId for h in hosts}
    member = config.host[0]
    assert len(member.uplinkPortKey) == 2
    [pnic] = member.config.backing.pnicSpec
    assert pnic.pnicDevice == 'vmnic1' and pnic.uplinkPortKey == member.uplinkPortKey[0]
    [uplink_pg] = config.uplinkPortgroup
    assert isinstance(uplink_pg.config.defaultPortConfig.vlan, Dvs.TrunkVlanSpec)
    assert [(r.start, r.end) for r in uplink_pg.config.defaultPortConfig.vlan.vlanId] == \
        [(0, 4094)]
    assert {h._moId for h in dvs.summary.hostMember} == {h._moId for h in hosts}
    assert len(_events(si, dvs, 'DvsCreatedEvent')) == 1
    assert len(_events(si, dvs, 'DvsHostJoinedEvent')) == len(hosts)

    pg = _add_portgroup(dvs, 'trunk-pg', numPorts=4,
                        defaultPortConfig=Dvs.VmwarePortConfigPolicy(
                            vlan=_trunk([(100, 200)])))
    assert pg.config.numPorts == 4 and len(pg.portKeys) == 4
    assert [(r.start, r.end) for r in pg.config.defaultPortConfig.vlan.vlanId] == [(100, 200)]
    assert 'trunk-pg' in dvs.summary.portgroupName
    assert {h._moId for h in pg.host} == {h._moId for h in hosts}
    assert len(_events(si, pg, 'DVPortgroupCreatedEvent')) == 1

    vm = next(v for v in all_of(si, vim.VirtualMachine) if v.runtime.host._moId == hosts[0]._moId)
    vm_watch = Watcher(sim.connect(), dvs, Dvs, ['summary.vm', 'summary.portgroupName'])
    WaitForTask(_on_portgroup(vm, pg))
    port_key = _nic(vm).backing.port.portKey
    assert port_key in pg.portKeys
    assert _nic(vm).backing.port.portgroupKey == pg.key
    assert 'summary.vm' in paths_of(vm_watch.changes())
    assert vm._moId in {v._moId for v in dvs.summary.vm}
    assert vm._moId in {v._moId for v in pg.vm}

    vmk_port = _vmknic(sim, pg, hosts[1], 'vmk1', '10.0.1.21')
    criteria = vim.dvs.PortCriteria(connected=True, portgroupKey=[pg.key], inside=True)
    ports = {p.key: p for p in dvs.FetchDVPorts(criteria)}
    assert set(ports) == {port_key, vmk_port}
    vm_port = ports[port_key]
    assert vm_port.connectee.connectedEntity._moId == vm._moId
    assert vm_port.connectee.type == 'vmVnic' and vm_port.connectee.nicKey == '4000'
    assert vm_port.connectionCookie == _nic(vm).backing.port.connectionCookie
    assert vm_port.proxyHost._moId == hosts[0]._moId
    assert vm_port.portgroupKey == pg.key and vm_port.dvsUuid == dvs.uuid
    assert ports[vmk_port].connectee.type == 'hostVmkVnic'
    assert ports[vmk_port].connectee.connectedEntity._moId == hosts[1]._moId
    assert sorted(dvs.FetchDVPortKeys(criteria)) == sorted(ports)
    free = dvs.FetchDVPortKeys(vim.dvs.PortCriteria(connected=False, portgroupKey=[pg.key],
                                                    inside=True))
    assert len(free) == 2 and port_key not in free

    # a member whose VM is on the switch cannot leave; one with a vmknic neither
    for host in hosts[:2]:
        error = task_fault(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=dvs.config.configVersion, host=[_member(host, 'remove', ())])))
        assert isinstance(error, vim.fault.ResourceInUse)
    idle = hosts[2]
    WaitForTask(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
        configVersion=dvs.config.configVersion, host=[_member(idle, 'remove', ())])))
    assert idle._moId not in {h._moId for h in dvs.summary.hostMember}
    assert pg._moId not in {n._moId for n in idle.network}
    assert len(_events(si, dvs, 'DvsHostLeftEvent')) == 1
    # and a VM on the switch cannot be moved to a host that left it
    error = task_fault(vm.RelocateVM_Task(vim.vm.RelocateSpec(host=idle)))
    assert isinstance(error, vim.fault.CannotAccessNetwork)

    error = task_fault(dvs.Destroy_Task())
    assert isinstance(error, vim.fault.ResourceInUse)
    error = task_fault(pg.Destroy_Task())
    assert isinstance(error, vim.fault.ResourceInUse)
    _on_network(vm, _named(si, vim.Network, 'VM Network'))
    assert dvs.FetchDVPortKeys(vim.dvs.PortCriteria(connected=True, portgroupKey=[pg.key],
                                                    inside=True)) == [vmk_port]
    _vmknic(sim, pg, hosts[1], 'vmk1', None, release=True)
    WaitForTask(dvs.Destroy_Task())
    assert 'DSwitch-A' not in {s.name for s in all_of(si, vim.DistributedVirtualSwitch)}
    assert 'trunk-pg' not in {p.name for p in all_of(si, vim.dvs.DistributedVirtualPortgroup)}
    assert all(pg._moId not in {n._moId for n in h.network} for h in hosts)
    destroyed = si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventTypeId=['DvsDestroyedEvent']))
    assert [e.dvs.name for e in destroyed] == ['DSwitch-A']
