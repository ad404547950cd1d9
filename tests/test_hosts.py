"""Hosts joining and leaving a vCenter, and HostSystem's own methods, driven
by pyVmomi as a client drives a real vCenter: each step is watched by a
second session's WaitForUpdatesEx and found again in QueryEvents."""
import time

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of
from tests.test_state import _restarted, _start, _stop, _stopped

PC = vmodl.query.PropertyCollector
WATCHED = ['name', 'parent', 'runtime.connectionState', 'runtime.inMaintenanceMode',
           'runtime.powerState', 'summary.config.sslThumbprint']


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


@pytest.fixture
def dc(si):
    return si.RetrieveContent().rootFolder.childEntity[0]


def cluster_of(dc):
    return next(e for e in dc.hostFolder.childEntity
                if isinstance(e, vim.ClusterComputeResource))


def host_spec(name, thumbprint=None, user='root', password='secret'):
    return vim.host.ConnectSpec(hostName=name, userName=user, password=password,
                                sslThumbprint=thumbprint)


def result_of(task):
    WaitForTask(task)
    return task.info.result


def task_error(task):
    """The fault a task ended in (it must end in one)."""
    with pytest.raises(vmodl.MethodFault) as raised:
        WaitForTask(task)
    return raised.value


def thumbprint_of(dc, name):
    """The thumbprint vCenter reports in SSLVerifyFault for a host name."""
    error = task_error(dc.hostFolder.AddStandaloneHost_Task(host_spec(name), None, True))
    assert isinstance(error, vim.fault.SSLVerifyFault)
    return error.thumbprint


def add_standalone(dc, name):
    compute = result_of(dc.hostFolder.AddStandaloneHost_Task(
        host_spec(name, thumbprint_of(dc, name)), None, True))
    return compute.host[0]


def events_of(si, entity, *types):
    spec = vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=entity, recursion='self'),
        eventTypeId=list(types))
    return si.content.eventManager.QueryEvents(spec)


class Watcher:
    """A second session watching every host of the inventory."""

    def __init__(self, sim):
        self.si = sim.connect()
        content = self.si.RetrieveContent()
        self.view = content.viewManager.CreateContainerView(content.rootFolder,
                                                            [vim.HostSystem], True)
        traverse = PC.TraversalSpec(name='view', type=vim.view.ContainerView, path='view')
        self.collector = content.propertyCollector
        self.collector.CreateFilter(PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=self.view, skip=True, selectSet=[traverse])],
            propSet=[PC.PropertySpec(type=vim.HostSystem, pathSet=WATCHED)]), True)
        self.version = self.collector.WaitForUpdatesEx('', PC.WaitOptions(
            maxWaitSeconds=0)).version
        self.seen = []   # (kind, moid, {path: value})

    def until(self, wanted, seconds=10):
        """Wait for an update (kind, moid, path, value) matching `wanted`
        (None matches anything); returns it."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for kind, moid, changes in self.seen:
                for path, value in list(changes.items()) or [(None, None)]:
                    item = (kind, moid, path, value)
                    if all(w is None or w == got for w, got in zip(wanted, item)):
                        return item
            update = self.collector.WaitForUpdatesEx(self.version, PC.WaitOptions(
                maxWaitSeconds=1))
            if update is None:
                continue
            self.version = update.version
            for filter_update in update.filterSet:
                for obj in filter_update.objectSet:
                    self.seen.append((obj.kind, obj.obj._moId,
                                      {c.name: c.val for c in obj.changeSet}))
        raise AssertionError('no update %r in %r' % (wanted, self.seen))

    def close(self):
        Disconnect(self.si)


@pytest.fixture
def watcher(sim):
    watching = Watcher(sim)
    yield watching
    watching.close()


def test_acceptance_flow(si, dc, watcher):
    """Add a standalone host (refused, then with its thumbprint), add one to
    DC0_C0, move the standalone one in, enter and exit maintenance mode,
    disconnect and reconnect, and remove a host: watched and logged."""
    cluster = cluster_of(dc)
    error = task_error(dc.hostFolder.AddStandaloneHost_Task(
        host_spec('esx-new-01.example.com'), None, True))
    assert isinstance(error, vim.fault.SSLVerifyFault) and error.selfSigned
    assert len(error.thumbprint.split(':')) == 20
    compute = result_of(dc.hostFolder.AddStandaloneHost_Task(
        host_spec('esx-new-01.example.com', error.thumbprint), None, True))
    assert isinstance(compute, vim.ComputeResource) and compute.name == 'esx-new-01.example.com'
    standalone = compute.host[0]
    assert compute.resourcePool.name == 'Resources'
    assert standalone.summary.config.sslThumbprint == error.thumbprint
    watcher.until(('enter', standalone._moId, 'name', 'esx-new-01.example.com'))
    assert events_of(si, standalone, 'HostAddedEvent', 'HostConnectedEvent')

    clustered = result_of(cluster.AddHost_Task(
        host_spec('esx-new-02', thumbprint_of(dc, 'esx-new-02')), True))
    assert clustered.parent == cluster and clustered in cluster.host
    watcher.until(('enter', clustered._moId, 'parent', cluster))

    WaitForTask(cluster.MoveInto_Task([standalone]))
    assert standalone.parent == cluster
    watcher.until(('modify', standalone._moId, 'parent', cluster))
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        compute.name   # the standalone ComputeResource went with the move
    assert events_of(si, standalone, 'HostAddedEvent')

    WaitForTask(standalone.EnterMaintenanceMode_Task(0))
    assert standalone.runtime.inMaintenanceMode
    watcher.until(('modify', standalone._moId, 'runtime.inMaintenanceMode', True))
    assert events_of(si, standalone, 'EnteringMaintenanceModeEvent',
                     'EnteredMaintenanceModeEvent')
    WaitForTask(standalone.ExitMaintenanceMode_Task(0))
    watcher.until(('modify', standalone._moId, 'runtime.inMaintenanceMode', False))
    assert events_of(si, standalone, 'ExitMaintenanceModeEvent')

    WaitForTask(standalone.DisconnectHost_Task())
    assert standalone.runtime.connectionState == 'disconnected'
    watcher.until(('modify', standalone._moId, 'runtime.connectionState', 'disconnected'))
    [disconnected] = events_of(si, standalone, 'HostDisconnectedEvent')
    assert disconnected.reason == 'userRequest'
    WaitForTask(standalone.ReconnectHost_Task())
    watcher.until(('modify', standalone._moId, 'runtime.connectionState', 'connected'))

    WaitForTask(clustered.EnterMaintenanceMode_Task(0))
    WaitForTask(clustered.Destroy_Task())
    assert clustered not in cluster.host
    watcher.until(('leave', clustered._moId, None, None))
    removed = si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        eventTypeId=['HostRemovedEvent']))
    assert [e.host.name for e in removed] == ['esx-new-02']


def test_added_host_is_a_full_esxi(si, dc):
    """An added host has what the default inventory's hosts have: hardware,
    every configManager member, a local datastore, vSwitch0 with its
    portgroups and vmk0."""
    host = add_standalone(dc, 'esx-full.example.com')
    default = cluster_of(dc).host[0]
    assert host.hardware.memorySize == default.hardware.memorySize
    assert host.hardware.systemInfo.uuid != default.hardware.systemInfo.uuid
    for field in ('networkSystem', 'storageSystem', 'datastoreSystem', 'dateTimeSystem',
                  'advancedOption', 'firewallSystem', 'serviceSystem'):
        manager = getattr(host.configManager, field)
        assert manager is not None and manager != getattr(default.configManager, field)
    [ds] = host.datastore
    assert ds.name.startswith('datastore1') and ds.summary.type == 'VMFS'
    assert ds.host[0].key == host and ds in dc.datastore
    network = host.config.network
    assert [v.name for v in network.vswitch] == ['vSwitch0']
    assert {pg.spec.name for pg in network.portgroup} == {'VM Network', 'Management Network'}
    [vmk0] = network.vnic
    assert vmk0.device == 'vmk0'
    assert vmk0.spec.ip.ipAddress not in {v.spec.ip.ipAddress for v in default.config.network.vnic}
    assert [n.name for n in host.network] == ['VM Network']
    # a second added host gets a datastore of its own, renamed as vCenter renames it
    other = add_standalone(dc, 'esx-full-2.example.com')
    assert other.datastore[0].name != ds.name


def test_connect_spec_faults(si, dc):
    folder = dc.hostFolder
    name = 'esx-faults.example.com'
    thumbprint = thumbprint_of(dc, name)
    assert thumbprint_of(dc, name.upper()) == thumbprint   # a name's identity is stable
    assert thumbprint_of(dc, 'other.example.com') != thumbprint
    error = task_error(folder.AddStandaloneHost_Task(host_spec(name, 'AA:' * 19 + 'AA'),
                                                    None, True))
    assert isinstance(error, vim.fault.SSLVerifyFault) and error.thumbprint == thumbprint
    for user, password in (('admin', 'secret'), ('root', '')):
        error = task_error(folder.AddStandaloneHost_Task(
            host_spec(name, thumbprint, user, password), None, True))
        assert isinstance(error, vim.fault.InvalidLogin)
    error = task_error(folder.AddStandaloneHost_Task(host_spec('bad name!', thumbprint),
                                                    None, True))
    assert isinstance(error, vim.fault.NoHost) and error.name == 'bad name!'
    spec = host_spec(name, thumbprint)
    spec.port = 8443
    assert isinstance(task_error(folder.AddStandaloneHost_Task(spec, None, True)),
                      vim.fault.HostConnectFault)
    already = cluster_of(dc).host[0]
    error = task_error(folder.AddStandaloneHost_Task(
        host_spec(already.name, thumbprint_of(dc, already.name)), None, True))
    assert isinstance(error, vim.fault.AlreadyConnected) and error.name == already.name
    error = task_error(folder.AddStandaloneHost_Task(spec_for(dc, name), None, True,
                                                    license='AAAAA-BBBBB-CCCCC-DDDDD-EEEEE'))
    assert isinstance(error, vmodl.fault.InvalidArgument)
    with pytest.raises(vmodl.fault.NotSupported):
        dc.vmFolder.AddStandaloneHost_Task(spec_for(dc, name), None, True)
    with pytest.raises(vmodl.fault.NotSupported):     # a setting not simulated
        folder.AddStandaloneHost_Task(spec_for(dc, name), vim.ComputeResource.ConfigSpec(
            softwareSpecId='spec-1'), True)
    with pytest.raises(vmodl.fault.InvalidArgument):
        folder.AddStandaloneHost_Task(spec_for(dc, name), vim.ComputeResource.ConfigSpec(
            vmSwapPlacement='nowhere'), True)
    # nothing was added by any refused call
    assert name not in [e.name for e in folder.childEntity]


def spec_for(dc, name):
    return host_spec(name, thumbprint_of(dc, name))


def test_added_with_the_compute_resource_settings_asked_for(si, dc):
    compute = result_of(dc.hostFolder.AddStandaloneHost_Task(
        spec_for(dc, 'esx-swap.example.com'), vim.ComputeResource.ConfigSpec(
            vmSwapPlacement='hostLocal', defaultHardwareVersionKey='vmx-19'), True))
    try:
        config = compute.configurationEx
        assert config.vmSwapPlacement == 'hostLocal'
        assert config.defaultHardwareVersionKey == 'vmx-19'
    finally:
        WaitForTask(compute.Destroy_Task())


def test_added_disconnected(si, dc):
    compute = result_of(dc.hostFolder.AddStandaloneHost_Task(
        spec_for(dc, 'esx-off.example.com'), None, False))
    host = compute.host[0]
    assert host.runtime.connectionState == 'disconnected'
    assert host.summary.overallStatus == 'gray'
    WaitForTask(host.ReconnectHost_Task(spec_for(dc, 'esx-off.example.com')))
    assert host.runtime.connectionState == 'connected'
    error = task_error(host.ReconnectHost_Task(host_spec('esx-off.example.com',
                                                         password='')))
    assert isinstance(error, vim.fault.InvalidLogin)


def default_host(si, name):
    """A host of the default inventory, wherever earlier tests moved it."""
    return next(h for h in all_of(si, vim.HostSystem) if h.name == name)


def blocked_entering(host):
    """EnterMaintenanceMode_Task on `host` with one of its VMs powered on:
    the task keeps waiting."""
    vm = vms_of(host)[0]
    if vm.runtime.powerState != 'poweredOn':
        WaitForTask(vm.PowerOnVM_Task())
    return host.EnterMaintenanceMode_Task(0)


def power_off_all(host):
    for vm in vms_of(host):
        if vm.runtime.powerState == 'poweredOn':
            WaitForTask(vm.PowerOffVM_Task())


def vms_of(host):
    return list(host.vm)


def test_maintenance_waits_for_powered_on_vms(si, dc):
    """Powered-on VMs block entering: with a timeout the task fails with
    Timedout; without one it waits until they are powered off. A host in
    maintenance mode refuses power-ons."""
    host = default_host(si, 'DC0_H0')
    vm = vms_of(host)[0]
    if vm.runtime.powerState != 'poweredOn':
        WaitForTask(vm.PowerOnVM_Task())
    error = task_error(host.EnterMaintenanceMode_Task(1))
    assert isinstance(error, vim.fault.Timedout)
    assert not host.runtime.inMaintenanceMode
    task = host.EnterMaintenanceMode_Task(0)
    time.sleep(0.5)
    assert task.info.state == 'running' and not host.runtime.inMaintenanceMode
    power_off_all(host)
    WaitForTask(task)
    assert host.runtime.inMaintenanceMode
    assert isinstance(task_error(vm.PowerOnVM_Task()), vim.fault.InvalidHostState)
    assert isinstance(task_error(host.EnterMaintenanceMode_Task(0)), vim.fault.InvalidState)
    WaitForTask(host.ExitMaintenanceMode_Task(0))
    assert isinstance(task_error(host.ExitMaintenanceMode_Task(0)), vim.fault.InvalidState)


def test_maintenance_wait_is_cancelable(si, dc):
    host = default_host(si, 'DC0_H0')
    task = blocked_entering(host)
    time.sleep(0.3)
    task.CancelTask()
    assert isinstance(task_error(task), vmodl.fault.RequestCanceled)
    assert not host.runtime.inMaintenanceMode
    power_off_all(host)


def test_disconnect_follows_to_vms(si, dc):
    host = default_host(si, 'DC0_H0')
    vm = vms_of(host)[0]
    WaitForTask(host.DisconnectHost_Task())
    try:
        assert vm.runtime.connectionState == 'disconnected'
        assert vm.summary.runtime.connectionState == 'disconnected'
        assert isinstance(task_error(vm.PowerOnVM_Task()), vmodl.fault.HostNotConnected)
        assert isinstance(task_error(host.EnterMaintenanceMode_Task(0)),
                          vmodl.fault.HostNotConnected)
    finally:
        WaitForTask(host.ReconnectHost_Task())
    assert vm.runtime.connectionState == 'connected'
    assert events_of(si, host, 'HostConnectedEvent')


def test_reboot_and_shutdown_need_maintenance_unless_forced(si, dc):
    host = add_standalone(dc, 'esx-power.example.com')
    booted = host.runtime.bootTime
    for method in (host.RebootHost_Task, host.ShutdownHost_Task):
        assert isinstance(task_error(method(False)), vim.fault.InvalidState)
    time.sleep(1.1)
    WaitForTask(host.RebootHost_Task(True))
    assert host.runtime.bootTime > booted
    assert host.RetrieveHardwareUptime() <= 1
    WaitForTask(host.EnterMaintenanceMode_Task(0))
    WaitForTask(host.ShutdownHost_Task(False))
    assert host.runtime.powerState == 'poweredOff'
    assert host.runtime.connectionState == 'notResponding'
    [event] = events_of(si, host, 'HostShutdownEvent')
    assert event.reason
    # a host that is not responding can still be removed
    WaitForTask(host.Destroy_Task())


def test_standby(si, dc):
    host = add_standalone(dc, 'esx-standby.example.com')
    WaitForTask(host.PowerDownHostToStandBy_Task(10))
    assert host.runtime.powerState == 'standBy' and host.runtime.standbyMode == 'in'
    assert isinstance(task_error(host.PowerDownHostToStandBy_Task(10)), vim.fault.InvalidState)
    WaitForTask(host.PowerUpHostFromStandBy_Task(10))
    assert host.runtime.powerState == 'poweredOn'
    assert isinstance(task_error(host.PowerUpHostFromStandBy_Task(10)), vim.fault.InvalidState)
    assert events_of(si, host, 'EnteringStandbyModeEvent', 'EnteredStandbyModeEvent',
                     'ExitingStandbyModeEvent', 'ExitedStandbyModeEvent')


def test_flags_and_connection_info(si, dc):
    host = add_standalone(dc, 'esx-flags.example.com')
    host.UpdateFlags(vim.host.FlagInfo(backgroundSnapshotsEnabled=True))
    assert host.config.flags.backgroundSnapshotsEnabled is True
    info = host.QueryHostConnectionInfo()
    assert info.host.config.name == host.name
    assert info.serverIp == host.config.network.vnic[0].spec.ip.ipAddress
    assert [d.summary.name for d in info.datastore] == [host.datastore[0].name]


def test_destroy_needs_maintenance_and_takes_what_only_it_had(si, dc):
    host = add_standalone(dc, 'esx-gone.example.com')
    compute = host.parent
    [ds] = host.datastore
    assert isinstance(task_error(host.Destroy_Task()), vim.fault.InvalidState)
    WaitForTask(host.EnterMaintenanceMode_Task(0))
    WaitForTask(host.Destroy_Task())
    for gone in (host, compute, ds):
        with pytest.raises(vmodl.fault.ManagedObjectNotFound):
            gone.name
    assert ds not in dc.datastore
    assert 'esx-gone.example.com' not in [e.name for e in dc.hostFolder.childEntity]


def test_move_host_into_pool_and_between_clusters(si, dc):
    cluster = cluster_of(dc)
    compute = next(h for h in dc.hostFolder.childEntity if h.name == 'DC0_H0')
    host = compute.host[0]
    vms = vms_of(host)
    pool = cluster.resourcePool.CreateResourcePool('imported', _pool_spec())
    other = result_of(dc.hostFolder.AddStandaloneHost_Task(
        spec_for(dc, 'esx-elsewhere'), None, True)).host[0]
    with pytest.raises(vmodl.fault.InvalidArgument):
        cluster.MoveHostInto_Task(host, other.parent.resourcePool)
    WaitForTask(cluster.MoveHostInto_Task(host, pool))
    assert host.parent == cluster
    assert sorted(v._moId for v in pool.vm) == sorted(v._moId for v in vms)
    assert all(v.resourcePool == pool for v in vms)
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        compute.name
    # a clustered host moves to another cluster only in maintenance mode
    second = dc.hostFolder.CreateClusterEx('DC0_C1', vim.cluster.ConfigSpecEx())
    assert isinstance(task_error(second.MoveInto_Task([host])), vim.fault.InvalidState)
    WaitForTask(host.EnterMaintenanceMode_Task(0))
    WaitForTask(second.MoveInto_Task([host]))
    assert host.parent == second and host not in cluster.host
    assert all(v.resourcePool == second.resourcePool for v in vms)
    WaitForTask(host.ExitMaintenanceMode_Task(0))


def _pool_spec():
    def allocation():
        return vim.ResourceAllocationInfo(reservation=0, limit=-1, expandableReservation=True,
                                          shares=vim.SharesInfo(level='normal', shares=0))
    return vim.ResourceConfigSpec(cpuAllocation=allocation(), memoryAllocation=allocation())


def test_query_connection_info(si, dc):
    """QueryConnectionInfo describes a fresh ESXi at any name as it will be
    once added, after the checks of adding it; a managed host answers for
    itself; nothing is added by asking."""
    name = 'esx-asked.example.com'
    with pytest.raises(vim.fault.SSLVerifyFault) as raised:
        dc.QueryConnectionInfo(name, 443, 'root', 'secret')
    thumbprint = raised.value.thumbprint
    with pytest.raises(vim.fault.InvalidLogin):
        dc.QueryConnectionInfo(name, 443, 'root', '', sslThumbprint=thumbprint)
    before = len(dc.hostFolder.childEntity)
    info = dc.QueryConnectionInfo(name, 443, 'root', 'secret', sslThumbprint=thumbprint)
    assert info.host.config.name == name and info.host.host is None
    assert info.host.config.sslThumbprint == thumbprint
    assert info.vm == [] and [n.summary.name for n in info.network] == ['VM Network']
    [ds] = info.datastore
    assert ds.summary.name == 'datastore1' and ds.summary.datastore is None
    assert len(dc.hostFolder.childEntity) == before
    via_spec = dc.QueryConnectionInfoViaSpec(host_spec(name, thumbprint))
    assert via_spec.host.hardware.uuid == info.host.hardware.uuid
    host = add_standalone(dc, name)
    assert host.hardware.systemInfo.uuid == info.host.hardware.uuid
    assert host.config.network.vnic[0].spec.ip.ipAddress == info.serverIp
    again = dc.QueryConnectionInfo(name, 443, 'root', 'secret', sslThumbprint=thumbprint)
    assert again.host.host == host
    # a second fresh host's datastore1 now conflicts, as vCenter reports it
    other = 'esx-asked-2.example.com'
    [conflict] = dc.QueryConnectionInfoViaSpec(spec_for(dc, other)).datastore
    assert isinstance(conflict, vim.host.ConnectInfo.DatastoreNameConflictInfo)
    assert conflict.newDatastoreName.startswith('datastore1 (')


def test_memory_overhead(si, dc):
    host = cluster_of(dc).host[0]
    vm = vms_of(host)[0]
    config = vm.config
    overhead = host.QueryMemoryOverheadEx(config)
    assert 20 * 2 ** 20 < overhead < 40 * 2 ** 20    # a small VM: tens of MB, as on ESXi
    config.hardware.memoryMB *= 16
    config.hardware.numCPU += 3
    assert host.QueryMemoryOverheadEx(config) > overhead + 3 * 3 * 2 ** 20
    config.hardware.numCPU = 0
    with pytest.raises(vmodl.fault.InvalidArgument):
        host.QueryMemoryOverheadEx(config)


def test_reconfigure_for_das(si, dc):
    cluster = cluster_of(dc)
    host = cluster.host[0]
    error = task_error(host.ReconfigureHostForDAS_Task())
    assert isinstance(error, vim.fault.DasConfigFault)

    def enable_ha(enabled):
        WaitForTask(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(
            dasConfig=vim.cluster.DasConfigInfo(enabled=enabled)), True))
    enable_ha(True)
    try:
        WaitForTask(host.ReconfigureHostForDAS_Task())
        assert host.QueryHostConnectionInfo().inDasCluster
    finally:
        enable_ha(False)
    assert events_of(si, host, 'HostDasEnablingEvent', 'HostDasEnabledEvent')


def test_update_system_resources(si, dc):
    host = cluster_of(dc).host[1]
    info = host.systemResources
    info.config.cpuAllocation.reservation = 500
    host.UpdateSystemResources(info)
    assert host.systemResources.config.cpuAllocation.reservation == 500
    assert host.config.systemResources.config.cpuAllocation.reservation == 500
    for key, child in (('host/vim', []), ('host/', [vim.host.SystemResourceInfo(key='x')])):
        with pytest.raises(vmodl.fault.InvalidArgument):
            host.UpdateSystemResources(vim.host.SystemResourceInfo(key=key, child=child))
    info.config.memoryAllocation.reservation = -1
    with pytest.raises(vmodl.fault.InvalidArgument):
        host.UpdateSystemResources(info)


def test_effective_hosts_follow_host_state(si, dc):
    """A cluster's effective hosts are the connected, powered-on hosts out of
    maintenance mode."""
    cluster = cluster_of(dc)
    host = result_of(cluster.AddHost_Task(spec_for(dc, 'esx-effective'), True))
    total = cluster.summary.numHosts
    assert cluster.summary.numEffectiveHosts == total
    WaitForTask(host.DisconnectHost_Task())
    assert cluster.summary.numEffectiveHosts == total - 1
    WaitForTask(host.ReconnectHost_Task())
    WaitForTask(host.PowerDownHostToStandBy_Task(0))
    assert cluster.summary.numEffectiveHosts == total - 1
    WaitForTask(host.PowerUpHostFromStandBy_Task(0))
    assert cluster.summary.numEffectiveHosts == total


def test_standby_host_refuses_power_on(si, dc):
    host = default_host(si, 'DC0_H0')
    power_off_all(host)
    WaitForTask(host.PowerDownHostToStandBy_Task(10))
    try:
        error = task_error(vms_of(host)[0].PowerOnVM_Task())
        assert isinstance(error, vim.fault.InvalidHostState)
    finally:
        WaitForTask(host.PowerUpHostFromStandBy_Task(10))


def test_evacuating_powered_off_vms_waits_for_them(si, dc):
    """evacuatePoweredOffVms: the task waits until the powered-off VMs are
    re-registered elsewhere too (no DRS does it yet), so it times out."""
    host = default_host(si, 'DC0_C0_H1')
    assert vms_of(host)
    power_off_all(host)
    error = task_error(host.EnterMaintenanceMode_Task(1, evacuatePoweredOffVms=True))
    assert isinstance(error, vim.fault.Timedout)
    WaitForTask(host.EnterMaintenanceMode_Task(1, evacuatePoweredOffVms=False))
    WaitForTask(host.ExitMaintenanceMode_Task(0))


def test_vcenter_only_methods_on_esx(esx):
    instance = esx.connect()
    try:
        content = instance.RetrieveContent()
        datacenter = content.rootFolder.childEntity[0]
        host = datacenter.hostFolder.childEntity[0].host[0]
        for call in (lambda: datacenter.hostFolder.AddStandaloneHost_Task(
                         host_spec('esx-x', host_thumbprint_text('esx-x')), None, True),
                     lambda: datacenter.QueryConnectionInfo('esx-x', 443, 'root', 'secret'),
                     host.DisconnectHost_Task, host.Destroy_Task):
            with pytest.raises(vmodl.fault.NotSupported):
                call()
        assert host.RetrieveHardwareUptime() >= 0
    finally:
        Disconnect(instance)


def host_thumbprint_text(name):
    from vimsim.managed.host.connect_spec import host_thumbprint
    return host_thumbprint(name)


def test_destroy_default_host_leaves_a_consistent_dvs(si, dc):
    """A default host is a member of DVS0; removing it takes it off the
    switch and its portgroups, and every remaining reference still resolves."""
    host = default_host(si, 'DC0_C0_H2')
    power_off_all(host)
    WaitForTask(host.EnterMaintenanceMode_Task(0))
    WaitForTask(host.Destroy_Task())
    [dvs] = all_of(si, vim.DistributedVirtualSwitch)
    assert host not in dvs.summary.hostMember
    for member in dvs.config.host:
        assert member.config.host.name
    for pg in all_of(si, vim.dvs.DistributedVirtualPortgroup):
        assert host not in pg.host
    for network in all_of(si, vim.Network):
        assert all(h.name for h in network.host)


def test_hosts_survive_a_restart_with_state(validator, tmp_path):
    """-state: hosts added, moved, waited into maintenance mode (the wait's
    timer journaled), disconnected and removed replay to the same model."""
    first = _start(validator, tmp_path)
    si = first.connect()
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    added = add_standalone(dc, 'esx-kept.example.com')
    clustered = result_of(cluster_of(dc).AddHost_Task(spec_for(dc, 'esx-kept-2'), True))
    WaitForTask(cluster_of(dc).MoveInto_Task([added]))
    host = default_host(si, 'DC0_H0')
    waiting = blocked_entering(host)
    time.sleep(1.2)
    power_off_all(host)
    WaitForTask(waiting)
    WaitForTask(added.DisconnectHost_Task())
    WaitForTask(clustered.EnterMaintenanceMode_Task(0))
    WaitForTask(clustered.Destroy_Task())
    Disconnect(si)
    _stop(_restarted(validator, tmp_path, _stopped(first)))


def test_destroying_a_cluster_removes_its_hosts_as_host_removal_does(si, dc):
    """A cluster's Destroy_Task takes its hosts out the way a host's own
    Destroy_Task does: a datastore only they saw goes with them."""
    cluster = dc.hostFolder.CreateClusterEx('C-gone', vim.cluster.ConfigSpecEx())
    name = 'esx-in-gone-cluster.example.com'
    error = task_error(cluster.AddHost_Task(host_spec(name), True, None, None))
    host = result_of(cluster.AddHost_Task(host_spec(name, error.thumbprint), True, None, None))
    [ds] = host.datastore
    WaitForTask(cluster.Destroy_Task())
    for gone in (host, cluster, ds):
        with pytest.raises(vmodl.fault.ManagedObjectNotFound):
            gone.name
    assert ds not in dc.datastore
    assert name in [e.host.name for e in events_of(si, dc, 'HostRemovedEvent')]
