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
from pyVmomi import VmomiSupport, vim, vmodl

from tests.conftest import _simulator, all_of
from vimsim.managed.vm.config_settings import ENUM_OF, SPEC_FIELDS

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


def create_vm(si, dc, name, **settings):
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
                    deviceName='VM Network')))], **settings)
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


# -- every ConfigSpec field is applied and read back (or refused) ------------------------

def _sample(kind, current, name, enums=None):
    """A value of pyVmomi type `kind` that differs from `current`: what a
    client would send to change the setting (`enums`: the values of string
    settings that take an enum's)."""
    if enums and name in enums:
        return next(v for v in enums[name] if v != current)
    if kind is bool:
        return not current
    if issubclass(kind, int):
        return (current or 0) + 2 if name != 'vmOpNotificationTimeout' else 120
    if issubclass(kind, str):
        values = getattr(kind, 'values', None)
        if values:
            return next(v for v in values if v != current)
        return 'sample-%s' % name
    if issubclass(kind, VmomiSupport.Array):
        item = _sample(kind.Item, None, name)
        return [item]
    if issubclass(kind, vmodl.DynamicData):
        value = kind()
        changed = False
        for prop in kind._GetPropertyList():
            if prop.name in ('dynamicType', 'dynamicProperty'):
                continue
            old = getattr(current, prop.name, None) if current is not None else None
            required = not prop.flags & VmomiSupport.F_OPTIONAL
            simple = prop.type in (bool, str) or issubclass(prop.type, int) or \
                getattr(prop.type, 'values', None)
            if required or (simple and not changed and not issubclass(prop.type,
                                                                       VmomiSupport.Array)):
                setattr(value, prop.name, _sample(prop.type, old, prop.name))
                changed = changed or simple
        return value
    raise AssertionError('no sample for %s' % kind)


def _config_path(info, path):
    for step in path.split('.'):
        info = getattr(info, step, None)
    return info


def _same(sent, read):
    """Whether what was read back holds everything that was sent."""
    if isinstance(sent, list):
        return len(sent) == len(read or []) and all(_same(a, b) for a, b in zip(sent, read))
    if isinstance(sent, vmodl.DynamicData):
        return read is not None and all(
            _same(getattr(sent, p.name), getattr(read, p.name, None))
            for p in type(sent)._GetPropertyList()
            if p.name not in ('dynamicType', 'dynamicProperty')
            and getattr(sent, p.name) not in (None, []))
    return sent == read


def test_every_config_spec_field_is_applied_or_refused(sim, si, dc):
    """Walk VirtualMachineConfigSpec as the served schema has it: every field
    has its place in config_settings.SPEC_FIELDS, and each stored setting
    sent by pyVmomi is read back in `config` (they used to be dropped while
    the task succeeded); fields of services vimsim does not simulate answer
    NotSupported rather than being ignored."""
    schema = sim.sim.schema
    fields = [f.name for f in schema.types['VirtualMachineConfigSpec'].fields
              if f.name not in ('dynamicType', 'dynamicProperty')]
    assert set(fields) == set(SPEC_FIELDS), set(fields) ^ set(SPEC_FIELDS)
    vm = named(si, vim.VirtualMachine, 'DC0_H0_VM1')
    props = {p.name: p.type for p in vim.vm.ConfigSpec._GetPropertyList()}
    numa = {'exposeVnumaOnCpuHotadd': 'vnumaOnCpuHotaddExposed'}
    enums = {name: sorted(schema.enums[enum].values) for name, enum in ENUM_OF.items()
             if enum in schema.enums}
    checked = []
    for name in fields:
        how = SPEC_FIELDS[name]
        kind, path = how if isinstance(how, tuple) else (how, name)
        if kind not in ('setting', 'merged') or name not in props:
            continue
        current = _config_path(vm.config, path)
        value = _sample(props[name], current, name, enums)
        WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(**{name: value})))
        read = _config_path(vm.config, path)
        if name == 'virtualNuma':
            value = vim.vm.VirtualNumaInfo(**{numa.get(k, k): getattr(value, k) for k in (
                'coresPerNumaNode', 'exposeVnumaOnCpuHotadd')
                if getattr(value, k) is not None})
        assert _same(value, read), (name, value, read)
        checked.append(name)
    assert len(checked) >= 50
    # ftInfo is the fault tolerance methods' to keep (tests/test_vm_fault_tolerance.py)
    fails_with(vmodl.fault.NotSupported, vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        ftInfo=vim.vm.FaultToleranceConfigInfo(role=1, instanceUuids=['x'], configPaths=['y']))))
    # encryption needs the encryption storage policy (tests/test_crypto.py encrypts)
    fails_with(vmodl.fault.InvalidArgument, vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        crypto=vim.encryption.CryptoSpecEncrypt(cryptoKeyId=vim.encryption.CryptoKeyId(
            keyId='k')))))
    # a storage policy must exist (tests/test_pbm.py associates real ones)
    fails_with(vmodl.fault.InvalidArgument, vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        vmProfile=[vim.vm.DefinedProfileSpec(profileId='gold')])))
    # the no-op forms are fine
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        crypto=vim.encryption.CryptoSpecNoOp(), vmProfile=[vim.vm.EmptyProfileSpec()])))


def test_settings_follow_vcenter_rules(sim, si, dc):
    """Settings a running VM cannot change answer InvalidPowerState, values
    outside their enum InvalidArgument, a stale changeVersion
    ConcurrentAccess; a second session sees the change, and clones and
    CreateVM_Task take the same settings."""
    vm = named(si, vim.VirtualMachine, 'DC0_H0_VM0')
    watcher = Watcher(sim, vm, ['config.firmware', 'config.bootOptions.bootDelay',
                                'config.changeTrackingEnabled'])
    try:
        stale = vm.config.changeVersion
        WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(
            firmware='efi', changeTrackingEnabled=True, changeVersion=stale,
            bootOptions=vim.vm.BootOptions(bootDelay=5000))))
        seen = watcher.changes()
        assert seen['config.firmware'] == 'efi' and seen['config.bootOptions.bootDelay'] == 5000
        assert seen['config.changeTrackingEnabled'] is True
        # the boot options not given kept their values
        assert vm.config.bootOptions.bootRetryDelay == 10000
        fails_with(vim.fault.ConcurrentAccess, vm.ReconfigVM_Task(vim.vm.ConfigSpec(
            firmware='bios', changeVersion=stale)))
        fails_with(vmodl.fault.InvalidArgument, vm.ReconfigVM_Task(vim.vm.ConfigSpec(
            firmware='uefi-ish')))
        WaitForTask(vm.PowerOnVM_Task())
        try:
            fails_with(vim.fault.InvalidPowerState, vm.ReconfigVM_Task(vim.vm.ConfigSpec(
                nestedHVEnabled=True)))
            WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=False)))
        finally:
            WaitForTask(vm.PowerOffVM_Task())
        assert any(event.configSpec.changeTrackingEnabled is False
                   for event in events_of(si, vm, 'VmReconfiguredEvent'))
        task = vm.CloneVM_Task(folder=dc.vmFolder, name='fidelity-efi', spec=vim.vm.CloneSpec(
            location=vim.vm.RelocateSpec(), powerOn=False, template=False,
            config=vim.vm.ConfigSpec(nestedHVEnabled=True)))
        WaitForTask(task)
        clone = task.info.result
        try:
            assert clone.config.firmware == 'efi' and clone.config.nestedHVEnabled is True
            assert vm.config.nestedHVEnabled is False
        finally:
            WaitForTask(clone.Destroy_Task())
        made = create_vm(si, dc, 'fidelity-made', firmware='efi', vPMCEnabled=True,
                         bootOptions=vim.vm.BootOptions(efiSecureBootEnabled=True),
                         tools=vim.vm.ToolsConfigInfo(syncTimeWithHost=True))
        try:
            config = made.config
            assert config.firmware == 'efi' and config.vPMCEnabled is True
            assert config.bootOptions.efiSecureBootEnabled is True
            assert config.tools.syncTimeWithHost is True
        finally:
            WaitForTask(made.Destroy_Task())
    finally:
        watcher.close()


def test_clone_takes_location_device_changes_and_config(si, dc):
    """CloneVM_Task applies spec.location.deviceChange (a clone can change
    its network; it used to be ignored) and spec.config's settings; a bad
    change fails the task and leaves no clone behind."""
    source = named(si, vim.VirtualMachine, 'DC0_H0_VM0')
    nic = next(d for d in source.config.hardware.device
               if isinstance(d, Device.VirtualEthernetCard))
    nic.backing = Device.VirtualEthernetCard.NetworkBackingInfo(deviceName='VM Network')
    spec = vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(deviceChange=[
            Device.VirtualDeviceSpec(operation='edit', device=nic)]),
        powerOn=False, template=False,
        config=vim.vm.ConfigSpec(vPMCEnabled=True, memoryReservationLockedToMax=True))
    task = source.CloneVM_Task(folder=dc.vmFolder, name='fidelity-renet', spec=spec)
    WaitForTask(task)
    clone = task.info.result
    try:
        cloned = next(d for d in clone.config.hardware.device if d.key == nic.key)
        assert cloned.deviceInfo.summary == 'VM Network'
        assert clone.network[0].name == 'VM Network'   # the first NIC's
        assert clone.config.vPMCEnabled is True
        assert clone.config.memoryReservationLockedToMax is True
        # the reservation is locked to the memory size
        assert clone.config.memoryAllocation.reservation == clone.config.hardware.memoryMB
        assert clone.summary.config.memoryReservation == clone.config.hardware.memoryMB
        assert source.config.vPMCEnabled is False
    finally:
        WaitForTask(clone.Destroy_Task())
    nic.backing = Device.VirtualEthernetCard.NetworkBackingInfo(deviceName='no such net')
    fails_with(vim.fault.InvalidDeviceSpec, source.CloneVM_Task(
        folder=dc.vmFolder, name='fidelity-badnet', spec=spec))
    assert not [vm for vm in all_of(si, vim.VirtualMachine) if vm.name == 'fidelity-badnet']


def test_spec_fields_with_rules_of_their_own(si, dc):
    """vAppConfig's ArrayUpdateSpecs, npiv WWN operations, cpuFeatureMask,
    uuid / instanceUuid, file directories, and version (an existing VM
    upgrades through UpgradeVM_Task, so a different one is refused)."""
    vm = named(si, vim.VirtualMachine, 'DC0_H0_VM1')
    Prop = vim.vApp.PropertySpec
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(vAppConfig=vim.vApp.VmConfigSpec(
        property=[Prop(operation='add', info=vim.vApp.PropertyInfo(
            key=1, id='ip', type='string', value='10.0.0.9'))],
        product=[vim.vApp.ProductSpec(operation='add', info=vim.vApp.ProductInfo(
            key=0, name='appliance', version='1.0'))],
        ovfEnvironmentTransport=['com.vmware.guestInfo']))))
    app = vm.config.vAppConfig
    assert [(p.id, p.value) for p in app.property] == [('ip', '10.0.0.9')]
    assert app.product[0].name == 'appliance'
    assert app.ovfEnvironmentTransport == ['com.vmware.guestInfo']
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(vAppConfig=vim.vApp.VmConfigSpec(
        property=[Prop(operation='edit', info=vim.vApp.PropertyInfo(key=1, value='10.0.0.10'))]))))
    assert vm.config.vAppConfig.property[0].value == '10.0.0.10'
    assert vm.config.vAppConfig.property[0].id == 'ip'
    fails_with(vmodl.fault.InvalidArgument, vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        vAppConfig=vim.vApp.VmConfigSpec(property=[Prop(operation='remove', removeKey=7)]))))
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(vAppConfigRemoved=True)))
    assert vm.config.vAppConfig is None

    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        npivWorldWideNameOp='generate', npivDesiredNodeWwns=1, npivDesiredPortWwns=2)))
    config = vm.config
    assert len(config.npivNodeWorldWideName) == 1 and len(config.npivPortWorldWideName) == 2
    assert config.npivWorldWideNameType == 'vc'
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(npivWorldWideNameOp='remove')))
    assert not vm.config.npivNodeWorldWideName

    mask = vim.host.CpuIdInfo(level=1, vendor='intel', ecx='---- ---- ---- ---- ---- ---- ---- -0--')
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(cpuFeatureMask=[
        vim.vm.ConfigSpec.CpuIdInfoSpec(operation='add', info=mask)])))
    assert [(m.level, m.ecx) for m in vm.config.cpuFeatureMask] == [(1, mask.ecx)]

    uuid = '4201aaaa-bbbb-cccc-dddd-eeeeeeeeeeee'
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(uuid=uuid)))
    assert vm.config.uuid == uuid and vm.summary.config.uuid == uuid
    fails_with(vmodl.fault.InvalidArgument, vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        uuid='not-a-uuid')))

    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(files=vim.vm.FileInfo(
        logDirectory='[LocalDS_0] logs/'))))
    assert vm.config.files.logDirectory == '[LocalDS_0] logs/'
    assert vm.config.files.vmPathName.endswith('DC0_H0_VM1.vmx')
    fails_with(vmodl.fault.InvalidArgument, vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        files=vim.vm.FileInfo(vmPathName='[LocalDS_0] elsewhere/x.vmx'))))

    fails_with(vmodl.fault.InvalidArgument, vm.ReconfigVM_Task(vim.vm.ConfigSpec(
        version='vmx-19')))
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(version=vm.config.version)))
