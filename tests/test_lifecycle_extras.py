"""The rest of the VM lifecycle as vCenter runs it, driven by unmodified
pyVmomi: Datacenter.PowerOnMultiVM_Task, VirtualMachine.UpgradeVM_Task,
session events (login, logout, failed login, terminated sessions),
LogUserEvent / RetrieveArgumentDescription and messages rendered from the
catalog's templates, and ReconfigVM with opaque network NICs, ISO CD-ROMs and
thick disks.

A simulator of their own (with NSX opaque networks): these tests change the
inventory.
"""
import re

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import _simulator

GB_KB = 1024 * 1024
Spec = vim.event.EventFilterSpec


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, vm=3, nsx=1, autostart=False)


def find(si, kind, name):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
    try:
        return next(obj for obj in view.view if obj.name == name)
    finally:
        view.DestroyView()


def events_of(si, entity, *types):
    spec = Spec(eventTypeId=list(types))
    if entity is not None:
        spec.entity = Spec.ByEntity(entity=entity, recursion='self')
    return si.RetrieveContent().eventManager.QueryEvents(spec)


def fails_with(fault_type, task):
    with pytest.raises(fault_type) as caught:
        WaitForTask(task)
    return caught.value


def reconfigure(vm, *changes, **fields):
    return vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=list(changes), **fields))


def short(type_name):
    """'VmPoweredOnEvent' of a pyVmomi type (vim.event.VmPoweredOnEvent) or name."""
    name = type_name if isinstance(type_name, str) else type_name.__name__
    return name.rsplit('.', 1)[-1]


def render(si, event):
    """An event's message as a client renders it from the catalog: its
    class's fullFormat (an EventEx's after 'id|'), each {path} read from the
    event (an EventEx's own {names} from its arguments, an {path.@enum.Type}
    as the label the catalog's enumeratedTypes give)."""
    name = short(type(event))
    text = None
    for detail in si.RetrieveContent().eventManager.description.eventInfo:
        key = short(detail.key)
        if name == 'EventEx' and key == 'EventEx' and \
                detail.fullFormat.startswith(event.eventTypeId + '|'):
            text = detail.fullFormat.partition('|')[2]
        elif key == name and name != 'EventEx':
            text = detail.fullFormat
    arguments = {a.key: a.value for a in getattr(event, 'arguments', None) or ()}
    labels = {(getattr(enum.key, '_wsdlName', enum.key), tag.key): tag.label for enum in
              si.RetrieveContent().eventManager.description.enumeratedTypes for tag in enum.tags}

    def value(match):
        path = match.group(1)
        if path in arguments:
            return str(arguments[path])
        path, _, enum = path.partition('.@enum.')   # an enum value's label from the catalog
        found = event
        for step in path.split('.'):
            found = getattr(found, step, None)
            if found is None:
                return ''
        return labels.get((enum.replace('.', ''), found), str(found)) if enum else str(found)
    return re.sub(r'\{([^{}]+)\}', value, text)


# -- Datacenter.PowerOnMultiVM_Task ------------------------------------------------------

def test_power_on_multi_vm(si):
    datacenter = si.RetrieveContent().rootFolder.childEntity[0]
    first = find(si, vim.VirtualMachine, 'DC0_H0_VM0')
    second = find(si, vim.VirtualMachine, 'DC0_C0_RP0_VM0')
    template = find(si, vim.VirtualMachine, 'DC0_C0_RP0_VM1')
    template.MarkAsTemplate()
    try:
        task = datacenter.PowerOnMultiVM_Task(
            vm=[first, second, template],
            option=[vim.option.OptionValue(key='OverrideAutomationLevel', value=True)])
        WaitForTask(task)
        assert task.info.entity == datacenter
        assert task.info.descriptionId == 'Datacenter.powerOnVm'
        result = task.info.result
        assert isinstance(result, vim.cluster.PowerOnVmResult)
        assert [a.vm for a in result.attempted] == [first, second]
        assert [n.vm for n in result.notAttempted] == [template]
        assert isinstance(result.notAttempted[0].fault, vim.fault.InvalidState)
        for attempted in result.attempted:
            subtask = attempted.task
            WaitForTask(subtask)
            assert subtask.info.descriptionId == 'VirtualMachine.powerOn'
            assert subtask.info.entity == attempted.vm
            assert subtask.info.parentTaskKey == task.info.key
            assert subtask.info.rootTaskKey == task.info.key
            assert attempted.vm.runtime.powerState == 'poweredOn'
            found = events_of(si, attempted.vm, 'VmStartingEvent', 'VmPoweredOnEvent')
            chained = [e for e in found if e.chainId == subtask.info.eventChainId]
            assert {type(e).__name__ for e in chained} == {
                'vim.event.VmStartingEvent', 'vim.event.VmPoweredOnEvent'}
            on = next(e for e in chained if isinstance(e, vim.event.VmPoweredOnEvent))
            assert on.fullFormattedMessage == '%s on %s in %s has powered on' % (
                attempted.vm.name, on.host.name, datacenter.name)

        # a powered-on VM is attempted; its power-on task fails as PowerOnVM_Task does
        again = datacenter.PowerOnMultiVM_Task(vm=[first])
        WaitForTask(again)
        sub = again.info.result.attempted[0].task
        assert isinstance(fails_with(vim.fault.InvalidPowerState, sub),
                          vim.fault.InvalidPowerState)
    finally:
        for vm in (first, second):
            if vm.runtime.powerState == 'poweredOn':
                WaitForTask(vm.PowerOffVM_Task())
        pool = find(si, vim.ClusterComputeResource, 'DC0_C0').resourcePool
        template.MarkAsVirtualMachine(pool=pool)


# -- VirtualMachine.UpgradeVM_Task --------------------------------------------------------

def create_vm(si, name, **config):
    datacenter = si.RetrieveContent().rootFolder.childEntity[0]
    host = find(si, vim.HostSystem, 'DC0_H0')
    spec = vim.vm.ConfigSpec(name=name, guestId='otherGuest64', memoryMB=32, numCPUs=1,
                             files=vim.vm.FileInfo(vmPathName='[LocalDS_0]'), **config)
    task = datacenter.vmFolder.CreateVM_Task(spec, host.parent.resourcePool, host)
    WaitForTask(task)
    return task.info.result


def test_upgrade_vm_hardware(si):
    vm = create_vm(si, 'upgrade-me', version='vmx-13')
    try:
        assert vm.config.version == 'vmx-13'
        assert vm.summary.config.hwVersion == 'vmx-13'

        WaitForTask(vm.PowerOnVM_Task())
        error = fails_with(vim.fault.InvalidPowerState, vm.UpgradeVM_Task('vmx-15'))
        assert error.existingState == 'poweredOn' and error.requestedState == 'poweredOff'
        WaitForTask(vm.PowerOffVM_Task())

        task = vm.UpgradeVM_Task('vmx-15')
        WaitForTask(task)
        assert task.info.descriptionId == 'VirtualMachine.upgradeVirtualHardware'
        assert vm.config.version == 'vmx-15'
        assert vm.summary.config.hwVersion == 'vmx-15'
        upgrading = events_of(si, vm, 'VmUpgradingEvent')
        complete = events_of(si, vm, 'VmUpgradeCompleteEvent')
        assert len(upgrading) == 1 and len(complete) == 1
        assert upgrading[0].version == complete[0].version == 'vmx-15'
        assert upgrading[0].chainId == complete[0].chainId == task.info.eventChainId
        assert complete[0].fullFormattedMessage == render(si, complete[0])
        assert 'vmx-15' in upgrading[0].fullFormattedMessage

        # the same or an older version: already upgraded
        fails_with(vim.fault.AlreadyUpgraded, vm.UpgradeVM_Task('vmx-15'))
        fails_with(vim.fault.AlreadyUpgraded, vm.UpgradeVM_Task('vmx-14'))
        # one the host does not run
        fails_with(vmodl_fault('NotSupported'), vm.UpgradeVM_Task('vmx-16'))
        fails_with(vmodl_fault('NotSupported'), vm.UpgradeVM_Task('vmx-99'))
        # not a version at all: refused before a task exists
        with pytest.raises(vmodl_fault('InvalidArgument')):
            vm.UpgradeVM_Task('version-15')

        # no version: the host's newest (an ESXi 9.x host runs vmx-22)
        WaitForTask(vm.UpgradeVM_Task())
        assert vm.config.version == 'vmx-22'
        fails_with(vim.fault.AlreadyUpgraded, vm.UpgradeVM_Task())
        assert len(events_of(si, vm, 'VmUpgradeCompleteEvent')) == 2
    finally:
        WaitForTask(vm.Destroy_Task())


def vmodl_fault(name):
    from pyVmomi import vmodl
    return getattr(vmodl.fault, name)


def test_create_with_an_unknown_version_is_refused(si):
    datacenter = si.RetrieveContent().rootFolder.childEntity[0]
    host = find(si, vim.HostSystem, 'DC0_H0')
    spec = vim.vm.ConfigSpec(name='bad-version', guestId='otherGuest64', version='vmx-99',
                             files=vim.vm.FileInfo(vmPathName='[LocalDS_0]'))
    error = fails_with(vmodl_fault('InvalidArgument'), datacenter.vmFolder.CreateVM_Task(
        spec, host.parent.resourcePool, host))
    assert error.invalidProperty == 'version'


# -- session events ----------------------------------------------------------------------------

def session_events(si, type_name, session_key=None):
    found = events_of(si, None, type_name)
    if session_key is not None:
        found = [e for e in found if e.sessionId == session_key]
    return found


def test_login_and_logout_events(sim, si):
    other = sim.connect(user='auditor')
    session = other.content.sessionManager.currentSession
    key = session.key
    other.RetrieveContent().rootFolder.name   # a few calls
    login = session_events(si, 'UserLoginSessionEvent', key)
    assert len(login) == 1
    login = login[0]
    assert login.userName == 'auditor'
    assert login.ipAddress == session.ipAddress == '127.0.0.1'
    assert login.userAgent == session.userAgent and login.userAgent
    assert login.locale == session.locale
    assert login.fullFormattedMessage == 'User auditor@127.0.0.1 logged in as %s' % (
        login.userAgent)
    assert login.fullFormattedMessage == render(si, login)
    Disconnect(other)
    logout = session_events(si, 'UserLogoutSessionEvent', key)
    assert len(logout) == 1
    logout = logout[0]
    assert logout.userName == 'auditor' and logout.ipAddress == '127.0.0.1'
    assert logout.callCount >= 2 and logout.loginTime == session.loginTime
    assert logout.userAgent == session.userAgent
    assert logout.fullFormattedMessage == render(si, logout)
    assert 'logged out' in logout.fullFormattedMessage


def test_failed_login_is_logged(sim, si):
    with pytest.raises(vim.fault.InvalidLogin):
        sim.connect(user='intruder', pwd='')
    found = [e for e in session_events(si, 'BadUsernameSessionEvent')
             if e.userName == 'intruder']
    assert len(found) == 1
    assert found[0].ipAddress == '127.0.0.1'
    assert found[0].fullFormattedMessage == 'Cannot login intruder@127.0.0.1'
    assert si.content.eventManager.QueryEvents(Spec(category=['error'],
                                                    eventTypeId=['BadUsernameSessionEvent']))


def test_terminated_session_events(sim, si):
    other = sim.connect(user='victim')
    key = other.content.sessionManager.currentSession.key
    si.content.sessionManager.TerminateSession([key])
    terminated = session_events(si, 'SessionTerminatedEvent', key)
    assert len(terminated) == 1
    assert terminated[0].terminatedUsername == 'victim'
    assert terminated[0].userName == 'user'   # who terminated it
    assert terminated[0].fullFormattedMessage == "A session for user 'victim' has stopped"
    logout = session_events(si, 'UserLogoutSessionEvent', key)
    assert len(logout) == 1 and logout[0].userName == 'victim'


# -- LogUserEvent, RetrieveArgumentDescription, messages from templates -----------------------

def test_log_user_event(si):
    vm = find(si, vim.VirtualMachine, 'DC0_H0_VM1')
    events = si.content.eventManager
    events.LogUserEvent(vm, 'checked by audit')
    found = events_of(si, vm, 'GeneralUserEvent')
    assert len(found) == 1
    event = found[0]
    assert event.message == 'checked by audit' and event.userName == 'user'
    assert event.entity.entity == vm and event.entity.name == vm.name
    assert event.vm.vm == vm
    assert event.fullFormattedMessage == 'User logged event: checked by audit'
    assert si.content.eventManager.QueryEvents(Spec(
        entity=Spec.ByEntity(entity=vm, recursion='self'), category=['user']))


def test_retrieve_argument_description(si):
    events = si.content.eventManager
    args = events.RetrieveArgumentDescription('com.vmware.vc.vm.VmStateRevertedToSnapshot')
    assert [(a.name, a.type) for a in args] == [('snapshotName', 'string'),
                                               ('snapshotId', 'string')]
    assert args[0].description.key == 'com.vmware.vc.vm.VmStateRevertedToSnapshot.snapshotName'
    assert events.RetrieveArgumentDescription('com.example.no.such.Event') == []
    assert events.RetrieveArgumentDescription('NoSuchEvent') == []
    upgrading = {a.name: a for a in events.RetrieveArgumentDescription('VmUpgradingEvent')}
    assert upgrading['version'].type == 'string'
    assert upgrading['version'].description.key == 'VmUpgradingEvent'
    assert upgrading['vm'].type == 'VmEventArgument'
    assert upgrading['vm'].description.key == 'Event'
    assert 'key' not in upgrading and 'fullFormattedMessage' not in upgrading


def test_event_ex_messages_come_from_the_catalog(si):
    events = si.content.eventManager
    details = [d for d in events.description.eventInfo if short(d.key) == 'EventEx']
    ids = {d.fullFormat.partition('|')[0] for d in details}
    assert 'com.vmware.vc.vm.VmStateRevertedToSnapshot' in ids
    vm = find(si, vim.VirtualMachine, 'DC0_H0_VM1')
    posted = vim.event.EventEx(
        key=0, chainId=0, createdTime=si.CurrentTime(), userName='',
        eventTypeId='com.vmware.vc.vm.VmStateRevertedToSnapshot',
        vm=vim.event.VmEventArgument(vm=vm, name=vm.name),
        arguments=[vim.KeyAnyValue(key='snapshotName', value='before'),
                   vim.KeyAnyValue(key='snapshotId', value='7')])
    events.PostEvent(posted)
    found = [e for e in events_of(si, vm, 'com.vmware.vc.vm.VmStateRevertedToSnapshot')]
    assert len(found) == 1
    message = found[0].fullFormattedMessage
    assert message == render(si, found[0])
    assert 'reverted to the state of snapshot before, with ID 7' in message
    assert vm.name in message and found[0].host.name in message


def test_every_event_message_follows_its_template(si):
    vm = find(si, vim.VirtualMachine, 'DC0_H0_VM1')
    WaitForTask(vm.Rename('templated'))
    WaitForTask(vm.PowerOnVM_Task())
    WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(reconfigure(vm, annotation='x'))
    found = events_of(si, vm)
    assert len(found) >= 6
    labels = {m.key: m.label for m in si.content.taskManager.description.methodInfo}
    for event in found:
        if isinstance(event, vim.event.TaskEvent):   # {info.descriptionId}: its label
            assert event.fullFormattedMessage == 'Task: %s' % labels[event.info.descriptionId]
            continue
        assert event.fullFormattedMessage == render(si, event), type(event).__name__


# -- ReconfigVM: opaque networks, ISO images, thick disks -------------------------------------

def test_nic_on_an_opaque_network(si):
    vm = find(si, vim.VirtualMachine, 'DC0_H0_VM2')
    opaque = next(n for n in vm.runtime.host.network if isinstance(n, vim.OpaqueNetwork))
    backing = vim.vm.device.VirtualEthernetCard.OpaqueNetworkBackingInfo(
        opaqueNetworkId=opaque.summary.opaqueNetworkId,
        opaqueNetworkType=opaque.summary.opaqueNetworkType)
    add = vim.vm.device.VirtualDeviceSpec(operation='add', device=vim.vm.device.VirtualVmxnet3(
        key=-1, backing=backing))
    WaitForTask(reconfigure(vm, add))
    nics = [d for d in vm.config.hardware.device
            if isinstance(d, vim.vm.device.VirtualEthernetCard)]
    nic = nics[-1]
    assert isinstance(nic.backing, vim.vm.device.VirtualEthernetCard.OpaqueNetworkBackingInfo)
    assert nic.backing.opaqueNetworkId == opaque.summary.opaqueNetworkId
    assert nic.backing.opaqueNetworkType == 'nsx.LogicalSwitch'
    assert nic.deviceInfo.summary == opaque.name
    assert opaque in vm.network and vm in opaque.vm

    bad = vim.vm.device.VirtualDeviceSpec(operation='add', device=vim.vm.device.VirtualVmxnet3(
        key=-1, backing=vim.vm.device.VirtualEthernetCard.OpaqueNetworkBackingInfo(
            opaqueNetworkId='no-such-segment', opaqueNetworkType='nsx.LogicalSwitch')))
    error = fails_with(vim.fault.InvalidDeviceSpec, reconfigure(vm, bad))
    assert error.property == 'device.backing.opaqueNetworkId'

    remove = vim.vm.device.VirtualDeviceSpec(operation='remove', device=nic)
    WaitForTask(reconfigure(vm, remove))
    assert opaque not in vm.network


def test_cdrom_with_an_iso_image(si):
    vm = find(si, vim.VirtualMachine, 'DC0_H0_VM2')
    iso = vim.vm.device.VirtualCdrom.IsoBackingInfo(fileName='[LocalDS_0] iso/ubuntu.iso')
    add = vim.vm.device.VirtualDeviceSpec(operation='add', device=vim.vm.device.VirtualCdrom(
        key=-1, controllerKey=201, backing=iso,
        connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True,
                                                            allowGuestControl=True)))
    WaitForTask(reconfigure(vm, add))

    def cdrom():
        return next(d for d in vm.config.hardware.device
                    if isinstance(d, vim.vm.device.VirtualCdrom)
                    and isinstance(d.backing, vim.vm.device.VirtualCdrom.IsoBackingInfo))
    device = cdrom()
    datastore = find(si, vim.Datastore, 'LocalDS_0')
    assert device.backing.fileName == '[LocalDS_0] iso/ubuntu.iso'
    assert device.backing.datastore == datastore
    assert device.controllerKey == 201 and device.unitNumber == 0
    assert device.deviceInfo.summary == 'ISO [LocalDS_0] iso/ubuntu.iso'
    assert device.connectable.startConnected is True
    assert device.connectable.connected is False   # powered off

    WaitForTask(vm.PowerOnVM_Task())
    try:
        assert cdrom().connectable.connected is True
        edit = vim.vm.device.VirtualDeviceSpec(operation='edit', device=device)
        device.backing = vim.vm.device.VirtualCdrom.IsoBackingInfo(
            fileName='[LocalDS_0] iso/debian.iso')
        WaitForTask(reconfigure(vm, edit))
        assert cdrom().backing.fileName == '[LocalDS_0] iso/debian.iso'
        assert cdrom().connectable.connected is True
    finally:
        WaitForTask(vm.PowerOffVM_Task())
    assert cdrom().connectable.connected is False

    for path in ('ubuntu.iso', '[NoSuchDS] ubuntu.iso', '[LocalDS_0]'):
        bad = vim.vm.device.VirtualDeviceSpec(operation='add', device=vim.vm.device.VirtualCdrom(
            key=-1, controllerKey=200,
            backing=vim.vm.device.VirtualCdrom.IsoBackingInfo(fileName=path)))
        error = fails_with(vim.fault.InvalidDatastorePath, reconfigure(vm, bad))
        assert error.datastorePath == path


def disk_spec(capacity_kb, thin, eager=None, **backing):
    return vim.vm.device.VirtualDeviceSpec(
        operation='add', fileOperation='create', device=vim.vm.device.VirtualDisk(
            key=-1, controllerKey=1000, capacityInKB=capacity_kb,
            backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
                diskMode='persistent', thinProvisioned=thin, eagerlyScrub=eager, **backing)))


def usage(vm, datastore):
    per = next(u for u in vm.storage.perDatastoreUsage if u.datastore == datastore)
    return per.committed, per.uncommitted


def test_thick_disks_take_their_size(si):
    vm = find(si, vim.VirtualMachine, 'DC0_H0_VM2')
    datastore = find(si, vim.Datastore, 'LocalDS_0')
    free = datastore.summary.freeSpace
    committed, uncommitted = usage(vm, datastore)

    WaitForTask(reconfigure(vm, disk_spec(GB_KB, thin=False, eager=True)))
    disk = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][-1]
    assert disk.backing.thinProvisioned is False and disk.backing.eagerlyScrub is True
    assert disk.capacityInKB == GB_KB
    assert datastore.summary.freeSpace == free - GB_KB * 1024 - 533   # extent, descriptor
    assert usage(vm, datastore) == (committed + GB_KB * 1024 + 533, uncommitted)

    # lazily zeroed thick: the same space
    free = datastore.summary.freeSpace
    WaitForTask(reconfigure(vm, disk_spec(GB_KB, thin=False, eager=False)))
    lazy = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)][-1]
    assert lazy.backing.eagerlyScrub is False
    assert datastore.summary.freeSpace == free - GB_KB * 1024 - 533

    # a thin disk only promises its size
    free = datastore.summary.freeSpace
    committed, uncommitted = usage(vm, datastore)
    WaitForTask(reconfigure(vm, disk_spec(GB_KB, thin=True)))
    assert datastore.summary.freeSpace == free - 533
    assert usage(vm, datastore)[1] == uncommitted + GB_KB * 1024

    # growing a thick disk takes the difference; disks only grow
    free = datastore.summary.freeSpace
    disk.capacityInKB = 2 * GB_KB
    WaitForTask(reconfigure(vm, vim.vm.device.VirtualDeviceSpec(operation='edit', device=disk)))
    assert datastore.summary.freeSpace == free - GB_KB * 1024
    disk.capacityInKB = GB_KB // 2
    error = fails_with(vim.fault.InvalidDeviceOperation, reconfigure(
        vm, vim.vm.device.VirtualDeviceSpec(operation='edit', device=disk)))
    assert error.deviceIndex == 0
    assert "Invalid operation for device '0'." in error.msg
    grown = [d for d in vm.config.hardware.device if d.key == disk.key][0]
    assert grown.capacityInKB == 2 * GB_KB

    # more than the datastore has free
    huge = datastore.summary.capacity // 1024 + GB_KB
    error = fails_with(vim.fault.NoDiskSpace, reconfigure(vm, disk_spec(huge, thin=False)))
    assert error.datastore == 'LocalDS_0'
    WaitForTask(reconfigure(vm, disk_spec(huge, thin=True)))   # thin: over-commit is allowed
