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
from pyVmomi import VmomiSupport, vim, vmodl

from tests.conftest import _simulator, all_of, on_reactor, settle, task_fault
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


def test_default_switch_reads_as_before_with_a_trunk_uplink_portgroup(si):
    """DVS0 over every host: four uplink ports per member, configVersion one
    per joined host, and the uplink portgroup a VLAN trunk 0-4094 (it
    reported VLAN 0)."""
    dvs = _named(si, Dvs, 'DVS0')
    config = dvs.config
    hosts = [h for h in all_of(si, vim.HostSystem)]
    assert config.configVersion == str(len(hosts))
    assert all(len(m.uplinkPortKey) == 4 for m in config.host)
    assert config.uplinkPortPolicy.uplinkPortName == ['uplink1', 'uplink2', 'uplink3', 'uplink4']
    [uplink] = config.uplinkPortgroup
    vlan = uplink.config.defaultPortConfig.vlan
    assert isinstance(vlan, Dvs.TrunkVlanSpec)
    assert [(r.start, r.end) for r in vlan.vlanId] == [(0, 4094)]
    assert uplink.config.uplink is True
    pg = _named(si, vim.dvs.DistributedVirtualPortgroup, 'DC0_DVPG0')
    assert pg.config.defaultPortConfig.vlan.vlanId == 0


def test_default_vms_hold_the_ports_fetch_reports(si):
    dvs = _named(si, Dvs, 'DVS0')
    pg = _named(si, vim.dvs.DistributedVirtualPortgroup, 'DC0_DVPG0')
    ports = {p.key: p for p in dvs.FetchDVPorts(vim.dvs.PortCriteria(
        connected=True, portgroupKey=[pg.key], inside=True))}
    for vm in pg.vm:
        backing = _nic(vm).backing
        port = ports[backing.port.portKey]
        assert port.connectee.connectedEntity._moId == vm._moId
        assert port.connectionCookie == backing.port.connectionCookie
    assert len(ports) == len(pg.vm)
    uplinks = dvs.FetchDVPortKeys(vim.dvs.PortCriteria(uplinkPort=True))
    assert sorted(uplinks) == sorted(k for m in dvs.config.host for k in m.uplinkPortKey)


def test_create_faults(si):
    datacenter = si.content.rootFolder.childEntity[0]

    def create(folder, **fields):
        spec = vim.DistributedVirtualSwitch.CreateSpec(configSpec=Dvs.ConfigSpec(**fields))
        return folder.CreateDVS_Task(spec)

    with pytest.raises(vmodl.fault.NotSupported):
        create(datacenter.vmFolder, name='x')
    folder = datacenter.networkFolder
    assert isinstance(task_fault(create(folder, name='DVS0')), vim.fault.DuplicateName)
    assert isinstance(task_fault(create(folder, name='')), vim.fault.InvalidName)
    error = task_fault(create(folder, name='bad-vlan', defaultPortConfig=Dvs.VmwarePortConfigPolicy(
        vlan=Dvs.VlanIdSpec(inherited=False, vlanId=4095))))
    assert isinstance(error, vmodl.fault.InvalidArgument)
    assert error.invalidProperty == 'spec.defaultPortConfig.vlan.vlanId'
    host = _cluster_hosts(si)[0]
    error = task_fault(create(folder, name='bad-pnic', host=[_member(host, pnics=('vmnic9',))]))
    assert isinstance(error, vmodl.fault.InvalidArgument)
    task = folder.CreateDVS_Task(vim.DistributedVirtualSwitch.CreateSpec(
        configSpec=Dvs.ConfigSpec(name='old'),
        productInfo=vim.dvs.ProductSpec(version='6.5.0')))
    assert isinstance(task_fault(task), vmodl.fault.InvalidArgument)
    names = {s.name for s in all_of(si, vim.DistributedVirtualSwitch)}
    assert not names & {'bad-vlan', 'bad-pnic', 'old'}


def test_pnic_of_one_switch_is_not_anothers(si):
    host = _cluster_hosts(si)[0]
    first = _create(si, 'DSwitch-P1', [host])
    try:
        folder = si.content.rootFolder.childEntity[0].networkFolder
        error = task_fault(folder.CreateDVS_Task(vim.DistributedVirtualSwitch.CreateSpec(
            configSpec=Dvs.ConfigSpec(name='DSwitch-P2', host=[_member(host)]))))
        assert isinstance(error, vim.fault.ResourceInUse)
        compatible = si.content.dvSwitchManager.QueryCompatibleVmnicsFromHosts([host], first)
        assert [p.device for p in compatible[0].physicalNics] == ['vmnic2', 'vmnic3']
    finally:
        WaitForTask(first.Destroy_Task())


def test_reconfigure_checks_all_before_changing_anything(sim, si):
    hosts = _cluster_hosts(si)
    dvs = _create(si, 'DSwitch-R', hosts[:1])
    try:
        version = dvs.config.configVersion
        error = task_fault(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(configVersion='999',
                                                                  description='x')))
        assert isinstance(error, vim.fault.ConcurrentAccess)
        error = task_fault(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=version, name='renamed', defaultPortConfig=Dvs.VmwarePortConfigPolicy(
                vlan=_trunk([(300, 100)])))))
        assert isinstance(error, vmodl.fault.InvalidArgument)
        assert dvs.name == 'DSwitch-R' and dvs.config.configVersion == version
        error = task_fault(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=version, host=[_member(hosts[0])])))
        assert isinstance(error, vim.fault.AlreadyExists)
        error = task_fault(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=version, host=[_member(hosts[1], 'edit')])))
        assert isinstance(error, vim.fault.NotFound)
        error = task_fault(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=version, vspanConfigSpec=[Dvs.VspanConfigSpec(
                operation='add', vspanSession=Dvs.VspanSession(name='s'))])))
        assert isinstance(error, vmodl.fault.NotSupported)

        watch = Watcher(sim.connect(), dvs, Dvs, ['config.configVersion', 'name'])
        WaitForTask(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=version, name='DSwitch-R2', description='for tests', maxMtu=9000,
            uplinkPortPolicy=vim.DistributedVirtualSwitch.NameArrayUplinkPortPolicy(
                uplinkPortName=['up-a', 'up-b', 'up-c']),
            defaultPortConfig=Dvs.VmwarePortConfigPolicy(
                vlan=Dvs.VlanIdSpec(inherited=False, vlanId=12)),
            host=[_member(hosts[1])])))
        seen = paths_of(watch.changes(lambda seen: {'config.configVersion', 'name'} <=
                                      paths_of(seen)))
        assert {'config.configVersion', 'name'} <= seen
        config = dvs.config
        assert config.name == 'DSwitch-R2' and config.description == 'for tests'
        assert config.maxMtu == 9000 and int(config.configVersion) > int(version)
        assert config.uplinkPortPolicy.uplinkPortName == ['up-a', 'up-b', 'up-c']
        assert all(len(m.uplinkPortKey) == 3 for m in config.host)
        assert config.defaultPortConfig.uplinkTeamingPolicy.uplinkPortOrder.activeUplinkPort == \
            ['up-a', 'up-b', 'up-c']
        names = {p.config.name for p in dvs.FetchDVPorts(vim.dvs.PortCriteria(uplinkPort=True))}
        assert names == {'up-a', 'up-b', 'up-c'}
        assert len(_events(si, dvs, 'DvsRenamedEvent')) == 1
        assert len(_events(si, dvs, 'DvsReconfiguredEvent')) == 1
        # a portgroup takes the switch's default until it sets its own
        pg = _add_portgroup(dvs, 'inherits')
        assert pg.config.defaultPortConfig.vlan.vlanId == 12
        rollback = dvs.DVSRollback_Task()
        WaitForTask(rollback)
        assert rollback.info.result.name == 'DSwitch-R'
        assert rollback.info.result.uplinkPortPolicy.uplinkPortName == \
            ['uplink1', 'uplink2']
    finally:
        WaitForTask(dvs.Destroy_Task())


def test_private_vlans(si):
    dvs = _create(si, 'DSwitch-PV', [])
    try:
        def entry(primary, secondary, kind):
            return Dvs.PvlanConfigSpec(operation='add', pvlanEntry=Dvs.PvlanMapEntry(
                primaryVlanId=primary, secondaryVlanId=secondary, pvlanType=kind))
        error = task_fault(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=dvs.config.configVersion, pvlanConfigSpec=[
                entry(10, 11, 'isolated')])))
        assert isinstance(error, vmodl.fault.InvalidArgument)   # no primary 10
        WaitForTask(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=dvs.config.configVersion, pvlanConfigSpec=[
                entry(10, 10, 'promiscuous'), entry(10, 11, 'isolated')])))
        assert {(e.primaryVlanId, e.secondaryVlanId) for e in dvs.config.pvlanConfig} == \
            {(10, 10), (10, 11)}
        pg = _add_portgroup(dvs, 'isolated', defaultPortConfig=Dvs.VmwarePortConfigPolicy(
            vlan=Dvs.PvlanSpec(inherited=False, pvlanId=11)))
        assert pg.config.defaultPortConfig.vlan.pvlanId == 11
        assert 11 in dvs.QueryUsedVlanIdInDvs()
        error = task_fault(dvs.AddDVPortgroup_Task([vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
            name='nope', type='earlyBinding', defaultPortConfig=Dvs.VmwarePortConfigPolicy(
                vlan=Dvs.PvlanSpec(inherited=False, pvlanId=77)))]))
        assert isinstance(error, vmodl.fault.InvalidArgument)
        remove = Dvs.PvlanConfigSpec(operation='remove', pvlanEntry=Dvs.PvlanMapEntry(
            primaryVlanId=10, secondaryVlanId=11, pvlanType='isolated'))
        error = task_fault(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=dvs.config.configVersion, pvlanConfigSpec=[remove])))
        assert isinstance(error, vim.fault.ResourceInUse)
    finally:
        WaitForTask(dvs.Destroy_Task())


def test_portgroup_bindings_and_reconfiguration(sim, si):
    hosts = _cluster_hosts(si)
    dvs = _create(si, 'DSwitch-G', hosts)
    vms = [v for v in all_of(si, vim.VirtualMachine) if v.runtime.host._moId in
           {h._moId for h in hosts} and not v.config.template][:2]
    try:
        ephemeral = _add_portgroup(dvs, 'eph', type='ephemeral')
        assert ephemeral.portKeys == []
        WaitForTask(_on_portgroup(vms[0], ephemeral))
        key = _nic(vms[0]).backing.port.portKey
        assert ephemeral.portKeys == [key]
        _on_network(vms[0], _named(si, vim.Network, 'VM Network'))
        assert ephemeral.portKeys == []

        single = _add_portgroup(dvs, 'single', numPorts=1, autoExpand=False)
        WaitForTask(_on_portgroup(vms[0], single))
        assert isinstance(task_fault(_on_portgroup(vms[1], single)), vim.fault.DvsFault)
        taken = _nic(vms[0]).backing.port.portKey
        grow = _add_portgroup(dvs, 'grow', numPorts=1, autoExpand=True)
        error = task_fault(_on_portgroup(vms[1], single, port_key=taken))
        assert isinstance(error, vim.fault.ResourceInUse)
        WaitForTask(_on_portgroup(vms[1], grow))
        WaitForTask(_on_portgroup(vms[0], grow))
        assert grow.config.numPorts == 9      # grown by 8
        assert single.vm == [] and len(grow.vm) == 2

        watch = Watcher(sim.connect(), single, vim.dvs.DistributedVirtualPortgroup,
                        ['config.numPorts', 'name'])
        error = task_fault(single.ReconfigureDVPortgroup_Task(
            vim.dvs.DistributedVirtualPortgroup.ConfigSpec(configVersion='7', numPorts=4)))
        assert isinstance(error, vim.fault.ConcurrentAccess)
        WaitForTask(single.ReconfigureDVPortgroup_Task(
            vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
                configVersion=single.config.configVersion, numPorts=4, name='four',
                defaultPortConfig=Dvs.VmwarePortConfigPolicy(
                    vlan=Dvs.VlanIdSpec(inherited=False, vlanId=44)))))
        assert {'config.numPorts', 'name'} <= paths_of(watch.changes(
            lambda seen: {'config.numPorts', 'name'} <= paths_of(seen)))
        assert single.name == 'four' and single.config.numPorts == 4
        assert single.config.configVersion == '1'
        assert 44 in dvs.QueryUsedVlanIdInDvs()
        assert len(_events(si, single, 'DVPortgroupReconfiguredEvent')) == 1
        rollback = single.DVPortgroupRollback_Task()
        WaitForTask(rollback)
        assert rollback.info.result.name == 'single' and rollback.info.result.numPorts == 1

        # a connected port moves only between portgroups allowing it, the NIC following
        moving = _nic(vms[0]).backing.port.portKey
        error = task_fault(dvs.MoveDVPort_Task([moving], single.key))
        assert isinstance(error, vim.fault.ResourceInUse)
        for live in (single, grow):
            policy = live.config.policy
            policy.livePortMovingAllowed = True
            WaitForTask(live.ReconfigureDVPortgroup_Task(
                vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
                    configVersion=live.config.configVersion, policy=policy)))
        WaitForTask(dvs.MoveDVPort_Task([moving], single.key))
        assert _nic(vms[0]).backing.port.portgroupKey == single.key
        assert _nic(vms[0]).backing.port.portKey == moving
        assert vms[0]._moId in {v._moId for v in single.vm}
        WaitForTask(dvs.MoveDVPort_Task([moving], grow.key))
        assert _nic(vms[0]).backing.port.portgroupKey == grow.key

        uplink = dvs.config.uplinkPortgroup[0]
        with pytest.raises(vmodl.fault.NotSupported):
            uplink.Destroy_Task()
        error = task_fault(dvs.AddDVPortgroup_Task([
            vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name='grow', type='earlyBinding')]))
        assert isinstance(error, vim.fault.DuplicateName)
        WaitForTask(single.Destroy_Task())
        assert 'four' not in dvs.summary.portgroupName
    finally:
        for vm in vms:
            _on_network(vm, _named(si, vim.Network, 'VM Network'))
        WaitForTask(dvs.Destroy_Task())


def test_port_reconfiguration_and_moves(si):
    dvs = _create(si, 'DSwitch-M', [])
    try:
        first = _add_portgroup(dvs, 'first', numPorts=2)
        second = _add_portgroup(dvs, 'second', numPorts=0)
        key = first.portKeys[0]
        [port] = dvs.FetchDVPorts(vim.dvs.PortCriteria(portKey=[key]))
        error = task_fault(dvs.ReconfigureDVPort_Task([vim.dvs.DistributedVirtualPort.ConfigSpec(
            operation='edit', key=key, configVersion='5')]))
        assert isinstance(error, vim.fault.ConcurrentAccess)
        WaitForTask(dvs.ReconfigureDVPort_Task([vim.dvs.DistributedVirtualPort.ConfigSpec(
            operation='edit', key=key, name='web', configVersion=port.config.configVersion,
            setting=Dvs.VmwarePortConfigPolicy(vlan=Dvs.VlanIdSpec(inherited=False,
                                                                   vlanId=42)))]))
        [port] = dvs.FetchDVPorts(vim.dvs.PortCriteria(portKey=[key]))
        assert port.config.name == 'web' and port.config.setting.vlan.vlanId == 42
        assert port.config.configVersion == '1'
        assert 42 in dvs.QueryUsedVlanIdInDvs()
        error = task_fault(dvs.ReconfigureDVPort_Task([vim.dvs.DistributedVirtualPort.ConfigSpec(
            operation='edit', key='nosuch')]))
        assert isinstance(error, vim.fault.NotFound)
        dvs.RefreshDVPortState([key])
        with pytest.raises(vim.fault.NotFound):
            dvs.RefreshDVPortState(['nosuch'])

        WaitForTask(dvs.MoveDVPort_Task([key], second.key))
        assert key in second.portKeys and key not in first.portKeys
        assert dvs.FetchDVPorts(vim.dvs.PortCriteria(portKey=[key]))[0].portgroupKey == \
            second.key
        error = task_fault(dvs.MoveDVPort_Task([key], 'dvportgroup-nosuch'))
        assert isinstance(error, vim.fault.NotFound)
        WaitForTask(dvs.MoveDVPort_Task([key], None))   # a standalone port now
        assert dvs.config.numStandalonePorts == 1
        everywhere = [p.key for p in dvs.portgroup]
        assert dvs.FetchDVPortKeys(vim.dvs.PortCriteria(portgroupKey=everywhere,
                                                        inside=False)) == [key]
        assert dvs.LookupDvPortGroup(first.key)._moId == first._moId
        with pytest.raises(vim.fault.NotFound):
            dvs.LookupDvPortGroup('nosuch')
    finally:
        WaitForTask(dvs.Destroy_Task())


def test_a_clone_gets_a_port_of_its_own(sim, si):
    pg = _named(si, vim.dvs.DistributedVirtualPortgroup, 'DC0_DVPG0')
    vm = pg.vm[0]
    task = vm.CloneVM_Task(folder=vm.parent, name='dvs-clone', spec=vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec()))
    WaitForTask(task)
    clone = task.info.result
    try:
        assert _nic(clone).backing.port.portKey != _nic(vm).backing.port.portKey
        [port] = pg.config.distributedVirtualSwitch.FetchDVPorts(vim.dvs.PortCriteria(
            portKey=[_nic(clone).backing.port.portKey]))
        assert port.connectee.connectedEntity._moId == clone._moId
        watch = Watcher(sim.connect(), pg.config.distributedVirtualSwitch, Dvs, ['summary.vm'])
    finally:
        WaitForTask(clone.Destroy_Task())
    # the switch's summary follows a VM that left with its portgroup's `vm`
    assert 'summary.vm' in paths_of(watch.changes())
    dvs = pg.config.distributedVirtualSwitch
    assert not [p for p in dvs.FetchDVPorts(vim.dvs.PortCriteria(connected=True))
                if p.connectee.connectedEntity._moId == clone._moId]


def test_lacp_health_checks_capability_and_upgrade(si):
    folder = si.content.rootFolder.childEntity[0].networkFolder
    task = folder.CreateDVS_Task(vim.DistributedVirtualSwitch.CreateSpec(
        configSpec=Dvs.ConfigSpec(name='DSwitch-L'),
        productInfo=vim.dvs.ProductSpec(version='7.0.3')))
    WaitForTask(task)
    dvs = task.info.result
    try:
        assert dvs.config.productInfo.version == '7.0.3'
        Lacp = Dvs.LacpGroupConfig
        WaitForTask(dvs.UpdateDVSLacpGroupConfig_Task([Dvs.LacpGroupSpec(
            operation='add', lacpGroupConfig=Lacp(name='lag1', mode='active', uplinkNum=2))]))
        [group] = dvs.config.lacpGroupConfig
        assert group.name == 'lag1' and group.uplinkName == ['lag1-0', 'lag1-1']
        WaitForTask(dvs.UpdateDVSLacpGroupConfig_Task([Dvs.LacpGroupSpec(
            operation='edit', lacpGroupConfig=Lacp(key=group.key, uplinkNum=4))]))
        assert dvs.config.lacpGroupConfig[0].uplinkNum == 4
        error = task_fault(dvs.UpdateDVSLacpGroupConfig_Task([Dvs.LacpGroupSpec(
            operation='remove', lacpGroupConfig=Lacp(key='nosuch'))]))
        assert isinstance(error, vim.fault.NotFound)
        WaitForTask(dvs.UpdateDVSLacpGroupConfig_Task([Dvs.LacpGroupSpec(
            operation='remove', lacpGroupConfig=Lacp(key=group.key))]))
        assert not dvs.config.lacpGroupConfig

        WaitForTask(dvs.UpdateDVSHealthCheckConfig_Task([
            Dvs.VlanMtuHealthCheckConfig(enable=True, interval=2)]))
        check = next(c for c in dvs.config.healthCheckConfig
                     if isinstance(c, Dvs.VlanMtuHealthCheckConfig))
        assert check.enable is True and check.interval == 2
        dvs.EnableNetworkResourceManagement(False)
        assert dvs.config.networkResourceManagementEnabled is False
        dvs.UpdateDvsCapability(vim.DistributedVirtualSwitch.Capability(
            dvPortOperationSupported=False))
        assert dvs.capability.dvPortOperationSupported is False
        assert dvs.capability.dvsOperationSupported is True

        WaitForTask(dvs.DvsReconfigureVmVnicNetworkResourcePool_Task([
            vim.dvs.VmVnicNetworkResourcePool.ConfigSpec(
                operation='add', name='gold', allocationInfo=vim.dvs.VmVnicNetworkResourcePool
                .ResourceAllocation(reservationQuota=100))]))
        [pool] = dvs.config.vmVnicNetworkResourcePool
        assert pool.name == 'gold' and pool.allocationInfo.reservationQuota == 100
        pg = _add_portgroup(dvs, 'gold-pg', vmVnicNetworkResourcePoolKey=pool.key)
        error = task_fault(dvs.DvsReconfigureVmVnicNetworkResourcePool_Task([
            vim.dvs.VmVnicNetworkResourcePool.ConfigSpec(operation='remove', key=pool.key)]))
        assert isinstance(error, vim.fault.ResourceInUse)
        assert pg.config.vmVnicNetworkResourcePoolKey == pool.key

        operation = vim.DistributedVirtualSwitch.ProductSpecOperationType
        WaitForTask(dvs.PerformDvsProductSpecOperation_Task(
            operation.upgrade, vim.dvs.ProductSpec(version='8.0.3')))
        assert dvs.config.productInfo.version == '8.0.3'
        assert len(_events(si, dvs, 'DvsUpgradedEvent')) == 1
        error = task_fault(dvs.PerformDvsProductSpecOperation_Task(
            operation.upgrade, vim.dvs.ProductSpec(version='7.0.0')))
        assert isinstance(error, vmodl.fault.InvalidArgument)
        WaitForTask(dvs.RectifyDvsHost_Task())
    finally:
        WaitForTask(dvs.Destroy_Task())


def test_a_switch_made_without_contact_reads_back_no_contact(si):
    """vCenter leaves an unset contact's name and details unset (the 7.0
    recording's `<contact></contact>`), so a client comparing them with the
    None it did not ask for (Ansible's vmware_dvswitch) finds nothing to
    change on its second run; a contact given is kept and can be cleared."""
    dvs = _create(si, 'dvs-nocontact', [])
    assert dvs.config.contact.name is None and dvs.config.contact.contact is None
    WaitForTask(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
        configVersion=dvs.config.configVersion,
        contact=vim.DistributedVirtualSwitch.ContactInfo(name='ops', contact='ops@example'))))
    assert (dvs.config.contact.name, dvs.config.contact.contact) == ('ops', 'ops@example')
    WaitForTask(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
        configVersion=dvs.config.configVersion,
        contact=vim.DistributedVirtualSwitch.ContactInfo())))
    assert dvs.config.contact.name is None and dvs.config.contact.contact is None
    WaitForTask(dvs.Destroy_Task())


def test_switch_manager_queries(si):
    manager = si.content.dvSwitchManager
    dvs = _named(si, Dvs, 'DVS0')
    pg = _named(si, vim.dvs.DistributedVirtualPortgroup, 'DC0_DVPG0')
    assert manager.QueryDvsByUuid(dvs.uuid)._moId == dvs._moId
    with pytest.raises(vim.fault.NotFound):
        manager.QueryDvsByUuid('00 00-00')
    assert manager.DVSManagerLookupDvPortGroup(dvs.uuid, pg.key)._moId == pg._moId
    with pytest.raises(vim.fault.NotFound):
        manager.DVSManagerLookupDvPortGroup(dvs.uuid, 'nosuch')
    # unset: every version vCenter 8.0 U3 supports; true: those it creates
    # (Ansible's vmware_dvswitch checks a switch_version among them); false:
    # the rest, 6.6.0, deprecated and run only for switches made before
    versions = [spec.version for spec in manager.QueryAvailableDvsSpec()]
    recommended = [s.version for s in manager.QueryAvailableDvsSpec(recommended=True)]
    legacy = [s.version for s in manager.QueryAvailableDvsSpec(recommended=False)]
    assert recommended == ['7.0.0', '7.0.2', '7.0.3', '8.0.0', '8.0.3'] and legacy == ['6.6.0']
    assert versions == legacy + recommended
    old = vim.dvs.ProductSpec(version='6.6.0')
    assert manager.QueryDvsFeatureCapability(old) is not None
    with pytest.raises(vmodl.fault.InvalidArgument):      # supported, not for a new switch
        manager.QueryCompatibleHostForNewDvs(si.content.rootFolder, True, old)
    assert isinstance(task_fault(si.content.rootFolder.childEntity[0].networkFolder.CreateDVS_Task(
        vim.DistributedVirtualSwitch.CreateSpec(
            configSpec=vim.dvs.VmwareDistributedVirtualSwitch.ConfigSpec(name='dvs-6.6'),
            productInfo=old))), vmodl.fault.InvalidArgument)
    datacenter = si.content.rootFolder.childEntity[0]
    hosts = {h._moId for h in all_of(si, vim.HostSystem)}
    found = manager.QueryCompatibleHostForNewDvs(datacenter.hostFolder, True)
    assert {h._moId for h in found} == hosts
    cluster = _named(si, vim.ClusterComputeResource, 'DC0_C0')
    assert {h._moId for h in manager.QueryCompatibleHostForNewDvs(cluster, False)} == \
        {h._moId for h in cluster.host}
    assert manager.QueryCompatibleHostForExistingDvs(datacenter.hostFolder, True, dvs) == []
    results = manager.QueryDvsCheckCompatibility(
        vim.dvs.DistributedVirtualSwitchManager.HostContainer(container=datacenter.hostFolder,
                                                              recursive=True))
    assert {r.host._moId for r in results} == hosts and all(not r.error for r in results)
    outside = manager.QueryDvsCheckCompatibility(
        vim.dvs.DistributedVirtualSwitchManager.HostContainer(container=datacenter.hostFolder,
                                                              recursive=True),
        hostFilterSpec=[vim.dvs.DistributedVirtualSwitchManager.HostDvsMembershipFilter(
            inclusive=False, distributedVirtualSwitch=dvs)])
    assert outside == []
    target = manager.QueryDvsConfigTarget(host=cluster.host[0])
    assert dvs.uuid in {s.switchUuid for s in target.distributedVirtualSwitch}
    assert pg.key in {p.portgroupKey for p in target.distributedVirtualPortgroup}
    assert manager.QueryDvsFeatureCapability().networkResourceManagementSupported is True
    [spec] = manager.QueryDvsCompatibleHostSpec()
    assert spec.productLineId == 'embeddedEsx'
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.QueryDvsCompatibleHostSpec(vim.dvs.ProductSpec(version='5.0.0'))
    assert manager.QuerySupportedNetworkOffloadSpec(vim.dvs.ProductSpec(version='8.0.3')) == []
    WaitForTask(manager.RectifyDvsOnHost_Task(list(cluster.host)))


def test_every_config_spec_field_has_a_place(sim):
    """A field the WSDL adds to VMwareDVSConfigSpec is refused until the
    switch's table names it: none is silently dropped."""
    from vimsim.managed.network.distributed_virtual_switch import SPEC_FIELDS
    served = sim.sim.schema.types['VMwareDVSConfigSpec']._names
    missing = [n for n in served if n not in SPEC_FIELDS
               and n not in ('dynamicType', 'dynamicProperty')]
    assert missing == []


def test_members_pnics_uplinks_and_standalone_ports(si):
    hosts = _cluster_hosts(si)
    dvs = _create(si, 'DSwitch-U', hosts[:1])
    try:
        uplinks = {p.key: p for p in dvs.FetchDVPorts(vim.dvs.PortCriteria(uplinkPort=True))}
        [pnic_port] = [p for p in uplinks.values() if p.connectee is not None]
        assert pnic_port.connectee.type == 'pnic' and pnic_port.connectee.nicKey == 'vmnic1'
        assert pnic_port.proxyHost._moId == hosts[0]._moId
        second = [k for k in dvs.config.host[0].uplinkPortKey if k != pnic_port.key][0]
        member = _member(hosts[0], 'edit')
        member.backing.pnicSpec[0].uplinkPortKey = second
        member.maxProxySwitchPorts = 1024
        WaitForTask(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=dvs.config.configVersion, host=[member])))
        [info] = dvs.config.host
        assert info.config.backing.pnicSpec[0].uplinkPortKey == second
        assert info.config.maxProxySwitchPorts == 1024
        [moved] = dvs.FetchDVPorts(vim.dvs.PortCriteria(connected=True, uplinkPort=True))
        assert moved.key == second
        member.backing.pnicSpec[0].uplinkPortKey = 'nosuch'
        error = task_fault(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=dvs.config.configVersion, host=[member])))
        assert isinstance(error, vmodl.fault.InvalidArgument)

        WaitForTask(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=dvs.config.configVersion, numStandalonePorts=3)))
        assert dvs.config.numStandalonePorts == 3
        everywhere = [p.key for p in dvs.portgroup]
        assert len(dvs.FetchDVPortKeys(vim.dvs.PortCriteria(portgroupKey=everywhere,
                                                            inside=False))) == 3
        WaitForTask(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=dvs.config.configVersion, numStandalonePorts=1)))
        assert dvs.config.numStandalonePorts == 1

        error = task_fault(dvs.AddDVPortgroup_Task([
            vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name='late', type='lateBinding')]))
        assert isinstance(error, vmodl.fault.NotSupported)
        uplink = dvs.config.uplinkPortgroup[0]
        error = task_fault(uplink.ReconfigureDVPortgroup_Task(
            vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
                configVersion=uplink.config.configVersion, numPorts=2)))
        assert isinstance(error, vmodl.fault.NotSupported)
        fresh = _add_portgroup(dvs, 'fresh')
        assert isinstance(task_fault(fresh.DVPortgroupRollback_Task()), vim.fault.RollbackFailure)
    finally:
        WaitForTask(dvs.Destroy_Task())


def test_export_and_import(si):
    """A switch and its portgroup backed up, changed, restored from the
    backup, then imported as a new switch with its portgroup."""
    manager = si.content.dvSwitchManager
    dvs = _create(si, 'DSwitch-B', [])
    try:
        WaitForTask(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=dvs.config.configVersion, description='before')))
        pg = _add_portgroup(dvs, 'backed', numPorts=3, defaultPortConfig=Dvs.VmwarePortConfigPolicy(
            vlan=Dvs.VlanIdSpec(inherited=False, vlanId=55)))
        task = manager.DVSManagerExportEntity_Task([
            vim.dvs.DistributedVirtualSwitchSelection(dvsUuid=dvs.uuid),
            vim.dvs.DistributedVirtualPortgroupSelection(
                dvsUuid=dvs.uuid, portgroupKey=[pg.key])])
        WaitForTask(task)
        backups = task.info.result
        assert [b.entityType for b in backups] == ['distributedVirtualSwitch',
                                                   'distributedVirtualPortgroup']
        assert backups[0].key == dvs.uuid and backups[1].key == pg.key
        WaitForTask(pg.ReconfigureDVPortgroup_Task(vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
            configVersion=pg.config.configVersion, numPorts=7, description='changed')))
        WaitForTask(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=dvs.config.configVersion, description='changed')))

        task = manager.DVSManagerImportEntity_Task(backups, 'applyToEntitySpecified')
        WaitForTask(task)
        assert task.info.result.importFault == []
        assert pg.config.numPorts == 3 and pg.config.description == ''
        assert pg.config.defaultPortConfig.vlan.vlanId == 55
        assert dvs.config.description == 'before'

        WaitForTask(dvs.Rename_Task('DSwitch-B-old'))
        WaitForTask(pg.Rename_Task('backed-old'))
        task = manager.DVSManagerImportEntity_Task(backups, 'createEntityWithNewIdentifier')
        WaitForTask(task)
        result = task.info.result
        assert result.importFault == []
        [copy] = result.distributedVirtualSwitch
        [copied_pg] = result.distributedVirtualPortgroup
        try:
            assert copy.name == 'DSwitch-B' and copy.uuid != dvs.uuid
            assert copied_pg.name == 'backed' and copied_pg.config.numPorts == 3
            assert copied_pg.config.distributedVirtualSwitch._moId == copy._moId
            assert copied_pg.config.defaultPortConfig.vlan.vlanId == 55
            assert len(_events(si, copy, 'DvsImportEvent')) == 2
            # the original identifiers are taken: each backup's fault is reported
            task = manager.DVSManagerImportEntity_Task(backups,
                                                       'createEntityWithOriginalIdentifier')
            WaitForTask(task)
            faults = task.info.result.importFault
            assert [f.entityType for f in faults] == ['distributedVirtualSwitch',
                                                      'distributedVirtualPortgroup']
            assert all(isinstance(f.fault, vim.fault.DvsFault) for f in faults)
        finally:
            WaitForTask(copy.Destroy_Task())
        junk = vim.dvs.EntityBackup.Config(entityType='distributedVirtualSwitch',
                                           configBlob=VmomiSupport.binary(b'<not a request/>'),
                                           key=dvs.uuid)
        task = manager.DVSManagerImportEntity_Task([junk], 'applyToEntitySpecified')
        WaitForTask(task)
        [junk_fault] = task.info.result.importFault
        assert isinstance(junk_fault.fault, vmodl.fault.InvalidRequest)
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.DVSManagerImportEntity_Task(backups, 'sideways')
        error = task_fault(manager.DVSManagerExportEntity_Task([
            vim.dvs.DistributedVirtualSwitchSelection(dvsUuid='nosuch')]))
        assert isinstance(error, vim.fault.NotFound)
    finally:
        WaitForTask(dvs.Destroy_Task())


def test_merge(si):
    """MergeDvs_Task: the other switch's hosts join, its portgroup moves here
    with its ports and the VM on it, and it goes."""
    hosts = _cluster_hosts(si)
    target = _create(si, 'DSwitch-T', hosts[:1])
    source = _create(si, 'DSwitch-S', hosts[1:2])
    vm = next(v for v in all_of(si, vim.VirtualMachine)
              if v.runtime.host._moId == hosts[1]._moId and not v.config.template)
    try:
        pg = _add_portgroup(source, 'merged-pg')
        WaitForTask(_on_portgroup(vm, pg))
        WaitForTask(target.MergeDvs_Task(source))
        assert 'DSwitch-S' not in {s.name for s in all_of(si, vim.DistributedVirtualSwitch)}
        assert {h._moId for h in target.summary.hostMember} == {h._moId for h in hosts[:2]}
        assert pg.config.distributedVirtualSwitch._moId == target._moId
        port = _nic(vm).backing.port
        assert port.switchUuid == target.uuid and port.portKey in pg.portKeys
        [fetched] = target.FetchDVPorts(vim.dvs.PortCriteria(portKey=[port.portKey]))
        assert fetched.connectee.connectedEntity._moId == vm._moId
        merged = si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
            eventTypeId=['DvsMergedEvent']))
        assert [e.sourceDvs.name for e in merged] == ['DSwitch-S']
        with pytest.raises(vmodl.fault.InvalidArgument):
            target.MergeDvs_Task(target)
    finally:
        _on_network(vm, _named(si, vim.Network, 'VM Network'))
        WaitForTask(target.Destroy_Task())


def test_the_model_invariants_hold_after_these_tests(sim):
    """Every NIC's port held, every port in its tables (tests/invariants.py),
    after the switches, portgroups and ports above came and went."""
    from tests.invariants import model_violations
    assert on_reactor(model_violations, sim.sim) == []


def test_connecting_a_portgroup_full_of_nics_costs_each_nic_a_few_port_checks(monkeypatch):
    """The builder's VMs take their DV ports on the first read of any VM's
    devices, NIC by NIC, the portgroup growing as it fills: each looks at a
    few ports, not all of them (that was quadratic: 3.8 s for the first
    `config` read at 10,000 VMs)."""
    from vimsim.managed.network import dv_port
    from vimsim.options import Options
    from vimsim.simulator import Simulator

    sim = Simulator(Options(vm=500))
    try:
        checks = [0]
        real = dv_port.port_in_use

        def counted(server, port):
            checks[0] += 1
            return real(server, port)
        monkeypatch.setattr(dv_port, 'port_in_use', counted)
        vms = [obj for obj in sim.objects if obj.type_name == 'VirtualMachine']
        vms[0].config
        on_dvs = [vm for vm in vms if getattr(vm.network_object, 'dvs', None) is not None]
        assert len(on_dvs) >= 500
        assert checks[0] < 10 * len(on_dvs)
    finally:
        sim.close()


def test_network_hints_follow_the_switch_link_discovery(si):
    """QueryNetworkHint on a distributed switch's uplink: the upstream
    switch's CDP announcement while the switch listens for CDP (its default),
    its LLDP one once it listens for LLDP, neither when it only advertises."""
    host = _cluster_hosts(si)[0]
    dvs = _create(si, 'DVS-hints', [host])
    network = host.configManager.networkSystem
    [hint] = network.QueryNetworkHint(['vmnic1'])
    assert hint.connectedSwitchPort is not None and hint.lldpInfo is None
    for protocol, operation in (('lldp', 'listen'), ('lldp', 'advertise')):
        WaitForTask(dvs.ReconfigureDvs_Task(Dvs.ConfigSpec(
            configVersion=dvs.config.configVersion,
            linkDiscoveryProtocolConfig=vim.host.LinkDiscoveryProtocolConfig(
                protocol=protocol, operation=operation))))
        [hint] = network.QueryNetworkHint(['vmnic1'])
        assert hint.connectedSwitchPort is None
        if operation == 'listen':
            assert hint.lldpInfo.portId == hint.lldpInfo.parameter[0].value
            assert {p.key for p in hint.lldpInfo.parameter} >= {'System Name', 'Port Description'}
        else:
            assert hint.lldpInfo is None
    WaitForTask(dvs.Destroy_Task())


def test_version2_network_resource_pools_are_refused(si):
    """A version3 switch says it has no user-defined (NIOC v2) pools, and
    refuses to make, change or remove one."""
    dvs = _named(si, Dvs, 'DVS0')
    capability = dvs.capability.featuresSupported.networkResourceManagementCapability
    assert capability.networkResourceControlVersion3Supported
    assert not capability.userDefinedNetworkResourcePoolsSupported
    assert dvs.config.networkResourceControlVersion == 'version3'
    assert dvs.networkResourcePool == []
    pool = vim.dvs.NetworkResourcePool.ConfigSpec(key='', name='backup', allocationInfo=(
        vim.dvs.NetworkResourcePool.AllocationInfo(limit=-1)))
    for call in (lambda: dvs.AddNetworkResourcePool([pool]),
                 lambda: dvs.UpdateNetworkResourcePool([pool]),
                 lambda: dvs.RemoveNetworkResourcePool(['NetworkResourcePool-1'])):
        with pytest.raises(vmodl.fault.NotSupported):
            call()


def test_builder_vms_take_ports_in_join_order_whichever_is_read_first(validator):
    """The first read of a VM's NIC gives ports to the portgroup's VMs up to
    it only (in the order they joined), the rest follow as model work: so a
    read never holds the reactor for all of them, and the keys are the same
    whichever VM is read first."""
    keys = []
    for last_first in (True, False):
        sim = _simulator(validator, tls=False, vm=6)
        pg = next(o for o in sim.sim.objects if o.type_name == 'DistributedVirtualPortgroup'
                  and o.vms)
        vms = list(pg.vms)
        first = len(vms) - 1 if last_first else 0

        def read_one():
            vms[first].config
            return [vm for vm in vms if pg.dvs.claims.get(vm.ref.value)]
        assert on_reactor(read_one) == vms[:first + 1]
        settle(sim.sim)
        assert all(pg.dvs.claims.get(vm.ref.value) for vm in vms)   # nothing else read
        si = sim.connect()
        by_name = {vm.name: _nic(vm).backing.port.portKey for vm in all_of(si, vim.VirtualMachine)
                   if isinstance(_nic(vm).backing,
                                 vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo)}
        assert len(by_name) == len(vms) and len(set(by_name.values())) == len(vms)
        keys.append(by_name)
        sim.stop()
    assert keys[0] == keys[1]
