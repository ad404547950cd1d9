"""What clients caught vimsim doing wrong with VMs (issue 9), driven by
unmodified pyVmomi: fresh device keys, templates refusing reconfiguration,
the migrated event's datastore, DVS NIC summaries, configStatus, a VM
unregistered and registered again, and honest guests (tools only where a
guest has them; vcsim's SET.* extraConfig keys to tell a guest what it
runs). Each change is also seen by a second session's WaitForUpdatesEx and
its event found with QueryEvents.

A simulator of its own (a DVS, two hosts per cluster): these tests change
the inventory.
"""
import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of

PC = vmodl.query.PropertyCollector
Device = vim.vm.device


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, autostart=False)


@pytest.fixture
def dc(si):
    return si.RetrieveContent().rootFolder.childEntity[0]


def named(si, kind, name):
    return next(obj for obj in all_of(si, kind) if obj.name == name)


def fails_with(fault_type, task):
    with pytest.raises(fault_type) as caught:
        WaitForTask(task)
    return caught.value


def events_of(si, entity, *types):
    return si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=entity, recursion='self'),
        eventTypeId=list(types)))


def create_vm(si, dc, name):
    """A VM made from scratch: one blank disk, one NIC on 'VM Network'."""
    cluster = next(e for e in dc.hostFolder.childEntity
                   if isinstance(e, vim.ClusterComputeResource))
    config = vim.vm.ConfigSpec(
        name=name, guestId='ubuntu64Guest', numCPUs=1, memoryMB=256,
        files=vim.vm.FileInfo(vmPathName='[LocalDS_0]'),
        deviceChange=[
            Device.VirtualDeviceSpec(operation='add', device=Device.ParaVirtualSCSIController(
                key=-1, busNumber=0, sharedBus='noSharing')),
            Device.VirtualDeviceSpec(operation='add', fileOperation='create',
                                     device=Device.VirtualDisk(
                                         key=-2, controllerKey=-1, capacityInKB=1024 * 1024,
                                         backing=Device.VirtualDisk.FlatVer2BackingInfo(
                                             diskMode='persistent', thinProvisioned=True))),
            Device.VirtualDeviceSpec(operation='add', device=Device.VirtualVmxnet3(
                backing=Device.VirtualEthernetCard.NetworkBackingInfo(
                    deviceName='VM Network')))])
    task = dc.vmFolder.CreateVM_Task(config=config, pool=cluster.resourcePool)
    WaitForTask(task)
    return task.info.result


class Watcher:
    """A second session's filter on one VM's paths; `changes()` answers
    WaitForUpdatesEx's changes since the last call."""

    def __init__(self, sim, vm, paths):
        self.session = sim.connect()
        self.collector = self.session.RetrieveContent().propertyCollector
        watched = vim.VirtualMachine(vm._moId, self.session._stub)
        self.collector.CreateFilter(PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=watched)],
            propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=paths)]), True)
        self.version = self.collector.WaitForUpdatesEx('', PC.WaitOptions()).version

    def changes(self):
        update = self.collector.WaitForUpdatesEx(self.version,
                                                 PC.WaitOptions(maxWaitSeconds=5))
        assert update is not None
        self.version = update.version
        return {change.name: change.val for filter_update in update.filterSet
                for obj in filter_update.objectSet for change in obj.changeSet or ()}

    def close(self):
        Disconnect(self.session)


def test_added_devices_get_fresh_keys(si, dc):
    """pyVmomi sends key 0 for a device made without one: vCenter gives each
    new device a key of its own (it used to keep 0)."""
    vm = named(si, vim.VirtualMachine, 'DC0_H0_VM1')
    before = {d.key for d in vm.config.hardware.device}
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        Device.VirtualDeviceSpec(operation='add', device=Device.VirtualVmxnet3(
            backing=Device.VirtualEthernetCard.NetworkBackingInfo(deviceName='VM Network'))),
        Device.VirtualDeviceSpec(operation='add', device=Device.VirtualVmxnet3(
            backing=Device.VirtualEthernetCard.NetworkBackingInfo(deviceName='VM Network'))),
        Device.VirtualDeviceSpec(operation='add', device=Device.VirtualCdrom())])))
    added = [d for d in vm.config.hardware.device if d.key not in before]
    keys = [d.key for d in added]
    assert len(added) == 3 and 0 not in keys and len(set(keys)) == 3
    assert sorted(k for k, d in zip(keys, added) if isinstance(d, Device.VirtualVmxnet3)) \
        == [4001, 4002]


def test_a_template_is_not_reconfigured(si, dc):
    """vCenter renames and annotates a template, and refuses any other change
    (an extraConfig change used to be accepted)."""
    vm = named(si, vim.VirtualMachine, 'DC0_C0_RP0_VM1')
    vm.MarkAsTemplate()
    try:
        error = fails_with(vmodl.fault.NotSupported, vm.ReconfigVM_Task(vim.vm.ConfigSpec(
            extraConfig=[vim.option.OptionValue(key='guestinfo.x', value='1')])))
        assert error is not None
        assert 'guestinfo.x' not in {o.key for o in vm.config.extraConfig}
        fails_with(vmodl.fault.NotSupported, vm.ReconfigVM_Task(vim.vm.ConfigSpec(memoryMB=64)))
        WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(annotation='golden image')))
        assert vm.config.annotation == 'golden image'
        assert events_of(si, vm, 'VmReconfiguredEvent')
    finally:
        cluster = next(e for e in dc.hostFolder.childEntity
                       if isinstance(e, vim.ClusterComputeResource))
        vm.MarkAsVirtualMachine(cluster.resourcePool)


def test_migrated_event_names_the_datastores(si, dc):
    """VmMigratedEvent carries `ds` (it used to be missing), and its message
    names the source and destination datastores."""
    cluster = next(e for e in dc.hostFolder.childEntity
                   if isinstance(e, vim.ClusterComputeResource))
    vm = named(si, vim.VirtualMachine, 'DC0_C0_RP0_VM0')
    WaitForTask(vm.PowerOnVM_Task())
    try:
        target = next(h for h in cluster.host if h != vm.runtime.host)
        WaitForTask(vm.MigrateVM_Task(priority='defaultPriority', host=target))
        event = events_of(si, vm, 'VmMigratedEvent')[-1]
        datastore = vm.datastore[0]
        assert event.ds is not None and event.ds.datastore == datastore
        assert event.ds.name == datastore.name
        assert event.host.host == target
        assert '%s to %s, %s' % (event.sourceDatastore.name, target.name, datastore.name) \
            in event.fullFormattedMessage
    finally:
        WaitForTask(vm.PowerOffVM_Task())


def test_dvs_nic_summary_names_the_switch(si, dc):
    """A NIC on a distributed portgroup reads 'DVSwitch: <switch uuid>' as its
    summary, as vCenter shows it (not the portgroup's name)."""
    pg = named(si, vim.dvs.DistributedVirtualPortgroup, 'DC0_DVPG0')
    dvs = pg.config.distributedVirtualSwitch
    on_switch = 'DVSwitch: %s' % dvs.uuid
    vm = named(si, vim.VirtualMachine, 'DC0_H0_VM0')

    def nics():
        return [d for d in vm.config.hardware.device
                if isinstance(d, Device.VirtualEthernetCard)]
    # the inventory's VMs sit on the portgroup
    assert isinstance(nics()[0].backing,
                      Device.VirtualEthernetCard.DistributedVirtualPortBackingInfo)
    assert nics()[0].deviceInfo.summary == on_switch
    port = vim.dvs.PortConnection(portgroupKey=pg.key, switchUuid=dvs.uuid)
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        Device.VirtualDeviceSpec(operation='add', device=Device.VirtualVmxnet3(
            backing=Device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
                port=port)))])))
    assert nics()[-1].deviceInfo.summary == on_switch
    # a NIC edited onto a standard network shows the network's name, and back
    edit = nics()[0]
    edit.backing = Device.VirtualEthernetCard.NetworkBackingInfo(deviceName='VM Network')
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        Device.VirtualDeviceSpec(operation='edit', device=edit)])))
    assert nics()[0].deviceInfo.summary == 'VM Network'
    edit.backing = Device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(port=port)
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        Device.VirtualDeviceSpec(operation='edit', device=edit)])))
    assert nics()[0].deviceInfo.summary == on_switch


def test_healthy_entities_are_green(si, dc):
    """configStatus is green on a healthy entity (it was gray everywhere)."""
    for kind in (vim.VirtualMachine, vim.HostSystem, vim.Datacenter, vim.Datastore,
                 vim.ClusterComputeResource, vim.Folder):
        for entity in all_of(si, kind)[:3]:
            assert entity.configStatus == 'green', entity


def test_unregistered_vm_registers_again(sim, si, dc):
    """UnregisterVM keeps the VM's files; RegisterVM_Task of its .vmx brings it
    back with its configuration (it answered FileNotFound: the VM was lost).
    A second session sees it leave and come back."""
    vm = named(si, vim.VirtualMachine, 'DC0_H0_VM1')
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(memoryMB=512, annotation='keep me')))
    path = vm.config.files.vmPathName
    uuid = vm.config.uuid
    host = vm.runtime.host
    pool = vm.resourcePool
    watcher = si.RetrieveContent().viewManager.CreateContainerView(dc.vmFolder,
                                                                    [vim.VirtualMachine], True)
    try:
        vm.UnregisterVM()
        assert vm not in watcher.view
        removed = si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
            eventTypeId=['VmRemovedEvent']))
        assert any(event.vm.vm == vm for event in removed)
        task = dc.vmFolder.RegisterVM_Task(path=path, asTemplate=False, pool=pool, host=host)
        WaitForTask(task)
        again = task.info.result
        assert again in watcher.view
        assert again.config.files.vmPathName == path
        assert again.config.hardware.memoryMB == 512
        assert again.config.annotation == 'keep me'
        assert again.config.uuid == uuid
        assert events_of(si, again, 'VmRegisteredEvent')
        # registered once: a second registration finds no unregistered .vmx
        fails_with(vim.fault.FileNotFound, dc.vmFolder.RegisterVM_Task(
            path=path, asTemplate=False, pool=pool, host=host))
    finally:
        watcher.DestroyView()


def test_a_new_vm_has_no_tools_until_its_guest_is_given_them(sim, si, dc):
    """A VM made from scratch has no guest OS: powered on, it reports
    toolsNotInstalled and no IP (it used to report tools running and an IP).
    vcsim's SET.guest.* extraConfig keys tell its guest what it runs, and a
    second session sees those properties change."""
    vm = create_vm(si, dc, 'fidelity-blank')
    watcher = Watcher(sim, vm, ['guest.toolsRunningStatus', 'guest.ipAddress',
                                'summary.guest.ipAddress', 'guest.toolsStatus'])
    try:
        WaitForTask(vm.PowerOnVM_Task())
        guest = vm.guest
        assert guest.toolsStatus == 'toolsNotInstalled'
        assert guest.toolsVersionStatus2 == 'guestToolsNotInstalled'
        assert guest.toolsRunningStatus == 'guestToolsNotRunning'
        assert guest.ipAddress is None and not guest.net
        assert vm.summary.guest.toolsStatus == 'toolsNotInstalled'
        assert vm.summary.guest.ipAddress is None
        with pytest.raises(vim.fault.ToolsUnavailable):
            vm.ShutdownGuest()
        told = {'SET.guest.toolsStatus': 'toolsOk',
                'SET.guest.toolsRunningStatus': 'guestToolsRunning',
                'SET.guest.ipAddress': '10.20.30.40'}
        WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(extraConfig=[
            vim.option.OptionValue(key=k, value=v) for k, v in told.items()])))
        seen = watcher.changes()
        assert seen['guest.ipAddress'] == '10.20.30.40'
        assert seen['summary.guest.ipAddress'] == '10.20.30.40'
        assert seen['guest.toolsRunningStatus'] == 'guestToolsRunning'
        guest = vm.guest
        assert guest.toolsStatus == 'toolsOk' and guest.ipAddress == '10.20.30.40'
        assert guest.net[0].ipAddress == ['10.20.30.40']
        # SET.* keys tell the guest; they are not extraConfig
        assert not [o for o in vm.config.extraConfig if o.key.startswith('SET.')]
        # what cannot be told is refused, not dropped
        for key, value in (('SET.guest.toolsStatus', 'toolsGreat'),
                           ('SET.guest.net', 'x'), ('SET.config.name', 'x')):
            fails_with(vmodl.fault.InvalidArgument, vm.ReconfigVM_Task(vim.vm.ConfigSpec(
                extraConfig=[vim.option.OptionValue(key=key, value=value)])))
        # an empty value takes it back
        WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(extraConfig=[
            vim.option.OptionValue(key='SET.guest.ipAddress', value='')])))
        assert vm.guest.ipAddress != '10.20.30.40'
    finally:
        watcher.close()
        WaitForTask(vm.PowerOffVM_Task())
        WaitForTask(vm.Destroy_Task())


def test_default_vms_and_their_clones_have_tools(si, dc):
    vm = named(si, vim.VirtualMachine, 'DC0_H0_VM0')
    assert vm.guest.toolsVersionStatus2 == 'guestToolsCurrent'
    task = vm.CloneVM_Task(folder=dc.vmFolder, name='fidelity-clone', spec=vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(), powerOn=True, template=False))
    WaitForTask(task)
    clone = task.info.result
    try:
        assert clone.guest.toolsStatus == 'toolsOk' and clone.guest.ipAddress
    finally:
        WaitForTask(clone.PowerOffVM_Task())
        WaitForTask(clone.Destroy_Task())
