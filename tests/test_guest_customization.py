"""VirtualMachineGuestCustomizationManager over pyVmomi: a running guest
customized (its name at once, its addresses when its network restarts),
vCenter's checks, the customization lock and its abort.

A simulator of its own: these tests change guest ids and power VMs."""
import urllib.request

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import _simulator, on_reactor
from vimsim.managed.vm.simulated_guest import GUEST_PASSWORD


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, vm=2, autostart=False)


@pytest.fixture
def manager(si):
    return si.RetrieveContent().guestCustomizationManager


@pytest.fixture
def vm(si):
    """A powered-on Ubuntu VM whose tools run, freshly booted."""
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    machine = sorted(view.view, key=lambda v: v.name)[0]
    view.DestroyView()
    if machine.runtime.powerState == 'poweredOn':
        WaitForTask(machine.PowerOffVM_Task())
    if machine.config.guestId != 'ubuntu64Guest':
        WaitForTask(machine.ReconfigVM_Task(vim.vm.ConfigSpec(guestId='ubuntu64Guest')))
    WaitForTask(machine.PowerOnVM_Task())
    return machine


@pytest.fixture
def durations(sim):
    manager = sim.sim.task_manager
    yield manager.durations
    on_reactor(manager.durations.clear)


def auth(password=GUEST_PASSWORD):
    return vim.vm.guest.NamePasswordAuthentication(username='root', password=password)


def spec(name='web01', ip='192.168.10.20'):
    return vim.vm.customization.Specification(
        identity=vim.vm.customization.LinuxPrep(
            hostName=vim.vm.customization.FixedName(name=name), domain='example.com'),
        globalIPSettings=vim.vm.customization.GlobalIPSettings(),
        nicSettingMap=[vim.vm.customization.AdapterMapping(
            adapter=vim.vm.customization.IPSettings(
                ip=vim.vm.customization.FixedIp(ipAddress=ip), subnetMask='255.255.255.0'))])


def guest_file(si, vm, path):
    files = si.RetrieveContent().guestOperationsManager.fileManager
    info = files.InitiateFileTransferFromGuest(vm, auth(), path)
    with urllib.request.urlopen(info.url) as response:
        return response.read()


def events_of(si, vm):
    manager = si.RetrieveContent().eventManager
    return [type(e).__name__.split('.')[-1] for e in manager.QueryEvents(
        vim.event.EventFilterSpec(entity=vim.event.EventFilterSpec.ByEntity(
            entity=vm, recursion='self')))]


def test_a_running_guest_takes_its_name_now_and_its_address_when_its_network_starts(
        si, manager, vm):
    before = vm.guest.ipAddress
    WaitForTask(manager.CustomizeGuest_Task(vm, auth(), spec()))
    assert vm.guest.hostName == 'web01'
    assert guest_file(si, vm, '/etc/hostname').strip() == b'web01'
    assert vm.guest.ipAddress == before               # staged until the network restarts
    names = events_of(si, vm)
    assert 'CustomizationStartedEvent' in names and 'CustomizationSucceeded' in names
    WaitForTask(manager.StartGuestNetwork_Task(vm, auth()))
    assert vm.guest.ipAddress == '192.168.10.20'
    assert vm.guest.net[0].ipAddress == ['192.168.10.20']
    # idempotent: the network service runs already
    WaitForTask(manager.StartGuestNetwork_Task(vm, auth()))
    assert vm.guest.ipAddress == '192.168.10.20'


def test_a_reboot_starts_the_staged_network(si, manager, vm):
    WaitForTask(manager.CustomizeGuest_Task(vm, auth(), spec('db01', '192.168.10.30')))
    assert vm.guest.ipAddress != '192.168.10.30'
    WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(vm.PowerOnVM_Task())
    assert vm.guest.hostName == 'db01' and vm.guest.ipAddress == '192.168.10.30'


def test_vcenters_checks(si, manager, vm):
    with pytest.raises(vim.fault.InvalidGuestLogin):
        manager.CustomizeGuest_Task(vm, auth('wrong'), spec())
    mismatch = spec()
    mismatch.nicSettingMap = mismatch.nicSettingMap * 2
    with pytest.raises(vim.fault.NicSettingMismatch):
        manager.CustomizeGuest_Task(vm, auth(), mismatch)
    windows = spec()
    windows.identity = vim.vm.customization.Sysprep(
        guiUnattended=vim.vm.customization.GuiUnattended(autoLogon=False, autoLogonCount=0,
                                                         timeZone=4),
        userData=vim.vm.customization.UserData(
            fullName='a', orgName='b', computerName=vim.vm.customization.FixedName(name='w'),
            productId=''),
        identification=vim.vm.customization.Identification())
    with pytest.raises(vim.fault.UncustomizableGuest):
        manager.CustomizeGuest_Task(vm, auth(), windows)
    WaitForTask(vm.PowerOffVM_Task())
    for call in (lambda: manager.CustomizeGuest_Task(vm, auth(), spec()),
                 lambda: manager.StartGuestNetwork_Task(vm, auth()),
                 lambda: manager.AbortCustomization_Task(vm, auth())):
        with pytest.raises(vim.fault.InvalidPowerState):
            call()


def test_the_lock_refuses_a_second_customization_and_abort_ends_the_first(
        si, manager, vm, durations):
    # a customization that runs 5 s: the abort lands while it runs (model time is
    # not advanced instead: the process's clock would stay ahead for later tests)
    on_reactor(durations.update, {'CustomizeGuest_Task': 5000})
    running = manager.CustomizeGuest_Task(vm, auth(), spec('slow01'))
    with pytest.raises(vim.fault.CustomizationPending):
        manager.CustomizeGuest_Task(vm, auth(), spec('other'))
    WaitForTask(manager.AbortCustomization_Task(vm, auth()))
    assert running.info.state in ('queued', 'running')
    with pytest.raises(vim.fault.CustomizationFault):
        WaitForTask(running)
    assert vm.guest.hostName != 'slow01'
    # the lock is free again
    on_reactor(durations.clear)
    WaitForTask(manager.CustomizeGuest_Task(vm, auth(), spec('fast01')))
    assert vm.guest.hostName == 'fast01'


def test_retrievals_and_filters_read_each_vms_own_guest_identity(si, manager, vm):
    """A customized VM answers guest paths through readers of its own: a
    retrieval or a filter over it and others reads each VM's, in any order."""
    WaitForTask(manager.CustomizeGuest_Task(vm, auth(), spec('pc01', '192.168.10.40')))
    WaitForTask(manager.StartGuestNetwork_Task(vm, auth()))
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    machines = sorted(view.view, key=lambda m: m._moId != vm._moId)   # the customized one first
    view.DestroyView()
    paths = ['guest.hostName', 'guest.ipAddress']
    expected = {m._moId: {'guest.hostName': m.guest.hostName, 'guest.ipAddress': m.guest.ipAddress}
                for m in machines}
    assert expected[vm._moId] == {'guest.hostName': 'pc01', 'guest.ipAddress': '192.168.10.40'}
    PC = vim.PropertyCollector
    for order in (machines, machines[::-1]):
        filter_spec = PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=m) for m in order],
            propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=paths)])
        result = content.propertyCollector.RetrievePropertiesEx(
            [filter_spec], PC.RetrieveOptions())
        assert {o.obj._moId: dict(dict.fromkeys(paths), **{p.name: p.val for p in o.propSet or ()})
                for o in result.objects} == expected
        collector = content.propertyCollector.CreatePropertyCollector()
        try:
            collector.CreateFilter(filter_spec, partialUpdates=False)
            update = collector.WaitForUpdatesEx('', PC.WaitOptions(maxWaitSeconds=0))
            assert {o.obj._moId: dict(dict.fromkeys(paths),
                                      **{c.name: c.val for c in o.changeSet or ()})
                    for o in update.filterSet[0].objectSet} == expected
        finally:
            collector.DestroyPropertyCollector()
