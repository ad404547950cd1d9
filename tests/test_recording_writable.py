"""-load DIR is writable: the recorded vCenter's entities are the model's own
objects, so its methods work on them and the invariants hold before and after.

Runs against the real recording in ../shared/recordings/ (a vCenter 7.0.1),
skipped without it, through pyVmomi over a socket.
"""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, logged_in, on_reactor, task_fault
from tests.invariants import api_violations, model_violations
from tests.test_recording import RECORDING, needs_recording, stub_ref
from vimsim.inventory.recorded_inventory import RecordedHostSystem
from vimsim.managed.vm.virtual_machine import VirtualMachine
from vimsim.schema import MoRef

pytestmark = needs_recording


@pytest.fixture(scope='module')
def loaded(validator):
    return _simulator(validator, tls=False, load=RECORDING)


@pytest.fixture(scope='module')
def rsi(loaded):
    yield from logged_in(loaded)


def invariants(loaded, rsi):
    return on_reactor(model_violations, loaded.sim) + api_violations(rsi, loaded.sim.schema)


def ref(rsi, type_name, moid):
    return stub_ref(rsi, type_name, moid)


def test_recorded_entities_are_model_objects_and_hold_the_invariants(loaded, rsi):
    sim = loaded.sim
    vm = sim.objects.get(MoRef('VirtualMachine', 'vm-17'))
    assert isinstance(vm, VirtualMachine)
    assert isinstance(sim.objects.get(MoRef('HostSystem', 'host-11')), RecordedHostSystem)
    assert invariants(loaded, rsi) == []
    # the recorded state, now the model's
    vcsa = ref(rsi, 'VirtualMachine', 'vm-17')
    assert vcsa.name == 'vcsa.primp-industries.local'
    assert vcsa.runtime.powerState == 'poweredOn'
    assert vcsa.summary.runtime.powerState == 'poweredOn'
    assert vcsa.config.hardware.memoryMB == 12288 and vcsa.config.hardware.numCPU == 2
    assert vcsa.config.uuid and vcsa.config.version == 'vmx-10'
    assert len(vcsa.config.hardware.device) == 29
    assert vcsa.resourcePool._moId == 'resgroup-22'
    assert vcsa.guest.hostName      # the recorded guest identity
    host = ref(rsi, 'HostSystem', 'host-11')
    assert host.hardware.memorySize == 137330941952
    assert host.summary.hardware.numCpuCores == 6
    assert {v._moId for v in host.vm} >= {'vm-17', 'vm-16', 'vm-2079'}
    # a vSAN VM's files are in a directory named by its object uuid, as recorded
    assert ref(rsi, 'VirtualMachine', 'vm-2079').config.files.vmPathName == (
        '[sm-vsanDatastore] 6dd4ef5f-08e0-cb08-bbfa-ac1f6b1a4efa/'
        'tkg-cluster-01-control-plane-txbkb.vmx')
    template = ref(rsi, 'VirtualMachine', 'vm-1047')
    assert template.config.template and template.resourcePool is None
    ds = ref(rsi, 'Datastore', 'datastore-13')
    assert ds.summary.capacity == 2000389406720
    assert ds.summary.freeSpace < ds.summary.capacity
    # a NIC on the switch holds a port of its recorded portgroup
    nic = next(d for d in ref(rsi, 'VirtualMachine', 'vm-16').config.hardware.device
               if isinstance(d, vim.vm.device.VirtualEthernetCard))
    assert nic.backing.port.portgroupKey == 'dvportgroup-52' and nic.backing.port.portKey


def test_power_on_rename_and_create_vm(loaded, rsi):
    """The acceptance line: a PowerOn, a Rename and a CreateVM on the recording."""
    vm = ref(rsi, 'VirtualMachine', 'vm-1053')
    assert vm.runtime.powerState == 'poweredOff'
    host = vm.runtime.host
    before = host.summary.quickStats.overallMemoryUsage
    assert WaitForTask(vm.PowerOnVM_Task()) == 'success'
    assert vm.runtime.powerState == 'poweredOn' == vm.summary.runtime.powerState
    assert vm.runtime.bootTime is not None
    assert host.summary.quickStats.overallMemoryUsage > before

    assert WaitForTask(vm.Rename_Task('renamed-linked-clone')) == 'success'
    assert vm.name == 'renamed-linked-clone' == vm.summary.config.name
    assert rsi.content.searchIndex.FindChild(
        ref(rsi, 'Folder', 'group-v1041'), 'renamed-linked-clone') == vm

    folder = ref(rsi, 'Folder', 'group-v1041')
    pool = ref(rsi, 'ResourcePool', 'resgroup-23')
    spec = vim.vm.ConfigSpec(name='made-on-a-recording', memoryMB=256, numCPUs=1,
                             guestId='otherGuest64',
                             files=vim.vm.FileInfo(vmPathName='[sm-vsanDatastore]'))
    task = folder.CreateVM_Task(config=spec, pool=pool)
    assert WaitForTask(task) == 'success'
    made = task.info.result
    assert int(made._moId.split('-')[1]) > 13220     # past every recorded moid (task-13220)
    assert made in folder.childEntity and made in pool.vm
    assert made.runtime.host._moId == 'host-11'
    assert made.datastore[0]._moId == 'datastore-13'
    assert invariants(loaded, rsi) == []


def test_clone_reconfigure_and_destroy(loaded, rsi):
    source = ref(rsi, 'VirtualMachine', 'vm-1046')
    folder = ref(rsi, 'Folder', 'group-v1041')
    task = source.CloneVM_Task(folder=folder, name='clone-of-sourcevm',
                               spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec()))
    assert WaitForTask(task) == 'success'
    clone = task.info.result
    assert clone.config.hardware.memoryMB == source.config.hardware.memoryMB
    assert clone.resourcePool == source.resourcePool

    assert WaitForTask(clone.ReconfigVM_Task(vim.vm.ConfigSpec(memoryMB=2048))) == 'success'
    assert clone.config.hardware.memoryMB == 2048 == clone.summary.config.memorySizeMB

    # a powered-on recorded VM is refused, as vCenter refuses it
    error = task_fault(ref(rsi, 'VirtualMachine', 'vm-2029').Destroy_Task())
    assert isinstance(error, vim.fault.InvalidPowerState)
    assert WaitForTask(clone.Destroy_Task()) == 'success'
    assert clone not in folder.childEntity
    assert invariants(loaded, rsi) == []


def test_host_and_network_operations(loaded, rsi):
    host = ref(rsi, 'HostSystem', 'host-11')
    network_system = host.configManager.networkSystem
    network_system.AddPortGroup(vim.host.PortGroup.Specification(
        name='recorded-host-pg', vlanId=12, vswitchName='vSwitch0',
        policy=vim.host.NetworkPolicy()))
    assert any(pg.spec.name == 'recorded-host-pg'
               for pg in network_system.networkInfo.portgroup)
    assert 'recorded-host-pg' in {n.name for n in host.network}

    dvs = ref(rsi, 'VmwareDistributedVirtualSwitch', 'dvs-50')
    task = dvs.CreateDVPortgroup_Task(vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
        name='recorded-dvs-pg', type='earlyBinding', numPorts=4))
    assert WaitForTask(task) == 'success'
    assert 'recorded-dvs-pg' in {pg.name for pg in dvs.portgroup}
    # a NIC of a recorded VM moves onto the new portgroup
    vm = ref(rsi, 'VirtualMachine', 'vm-2069')
    nic = next(d for d in vm.config.hardware.device
               if isinstance(d, vim.vm.device.VirtualEthernetCard))
    pg = next(pg for pg in dvs.portgroup if pg.name == 'recorded-dvs-pg')
    nic.backing = vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
        port=vim.dvs.PortConnection(switchUuid=dvs.uuid, portgroupKey=pg.key))
    assert WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        vim.vm.device.VirtualDeviceSpec(operation='edit', device=nic)]))) == 'success'
    assert pg in vm.network and vm in pg.vm
    assert invariants(loaded, rsi) == []


def test_a_host_recorded_not_responding_stays_so(loaded, rsi):
    """host-2011 was recorded not responding: its VM reads disconnected too,
    and its configuration cannot change (HostNotConnected, as on vCenter)."""
    host = ref(rsi, 'HostSystem', 'host-2011')
    assert host.runtime.connectionState == 'notResponding'
    assert ref(rsi, 'VirtualMachine', 'vm-2012').runtime.connectionState != 'connected'
    with pytest.raises(vmodl.fault.HostNotConnected):
        host.configManager.networkSystem.AddPortGroup(vim.host.PortGroup.Specification(
            name='unreachable', vlanId=0, vswitchName='vSwitch0',
            policy=vim.host.NetworkPolicy()))
    running = ref(rsi, 'VirtualMachine', 'vm-2070')
    assert WaitForTask(running.PowerOffVM_Task()) == 'success'
    assert running.runtime.powerState == 'poweredOff' == running.summary.runtime.powerState
    assert invariants(loaded, rsi) == []


def test_reset_brings_the_recording_back(loaded, rsi):
    """Last: Simulator.reset rebuilds the recorded inventory as loaded, whatever
    the calls before changed (the recording itself is never changed)."""
    loaded.reset()
    si = loaded.connect()
    try:
        vm = ref(si, 'VirtualMachine', 'vm-1053')
        assert vm.name == 'LinkedCloneVM' and vm.runtime.powerState == 'poweredOff'
        folder = ref(si, 'Folder', 'group-v1041')
        assert 'made-on-a-recording' not in {child.name for child in folder.childEntity}
        nic = next(d for d in ref(si, 'VirtualMachine', 'vm-2069').config.hardware.device
                   if isinstance(d, vim.vm.device.VirtualEthernetCard))
        assert nic.backing.port.portgroupKey == 'dvportgroup-54'
        assert on_reactor(model_violations, loaded.sim) == []
        # the model changes its own copies of the recorded devices, never the recording's
        recorded = loaded.sim.recording.objects[MoRef('VirtualMachine', 'vm-16')]['config']
        model = loaded.sim.objects.get(MoRef('VirtualMachine', 'vm-16'))
        assert not {id(d) for d in recorded.hardware.device} & {id(d) for d in model._devices}
    finally:
        si.content.sessionManager.Logout()
