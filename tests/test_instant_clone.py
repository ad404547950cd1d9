"""InstantClone_Task and the clone checks with pyVmomi: the clone runs at
once on its source's host with its own identity, its disks delta disks over
the source's running point (the source goes on in a new delta), its config
pairs in extraConfig, outside any vApp, with vCenter's EventEx; the
refusals (a source not sim, a duplicate name, a location it cannot
take), and CheckInstantClone_Task / CheckClone_Task answering what the
operations then enforce (pool admission of a clone that runs included).

A simulator of its own: these tests change the inventory.
"""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, task_fault
from tests.test_admission import allocation, new_vms, pool_spec
from tests.test_vm_console import powered
from tests.test_vm_operations import find_vm, result_of


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)



def spec_of(name, **location):
    return vim.vm.InstantCloneSpec(name=name, location=vim.vm.RelocateSpec(**location))


def errors(checker_task):
    [result] = result_of(checker_task)
    return [type(error) for error in result.error]


def top_file(vm):
    disk = next(d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk))
    return disk.backing


def test_an_instant_clone_runs_from_its_sources_running_point(si):
    source = powered(find_vm(si, 'DC0_H0_VM0'))
    before = top_file(source).fileName
    spec = spec_of('ic-1')
    spec.config = [vim.option.OptionValue(key='guestinfo.ic.role', value='worker')]
    spec.biosUuid = '4212a0b1-0c2d-4e3f-8a9b-0c1d2e3f4a5b'
    clone = result_of(source.InstantClone_Task(spec))
    assert clone.name == 'ic-1' and clone.runtime.powerState == 'poweredOn'
    assert clone.runtime.host == source.runtime.host and clone.parentVApp is None
    assert clone.guest.toolsRunningStatus == 'guestToolsRunning'
    assert clone.config.uuid == spec.biosUuid
    assert clone.config.instanceUuid != source.config.instanceUuid
    clone_nic = next(d for d in clone.config.hardware.device
                     if isinstance(d, vim.vm.device.VirtualEthernetCard))
    source_nic = next(d for d in source.config.hardware.device
                      if isinstance(d, vim.vm.device.VirtualEthernetCard))
    assert clone_nic.macAddress != source_nic.macAddress
    assert {o.key: o.value for o in clone.config.extraConfig}['guestinfo.ic.role'] == 'worker'
    # both go on in deltas over the file the source was running on
    assert top_file(clone).parent.fileName == before
    assert top_file(source).parent.fileName == before
    assert top_file(source).fileName != before
    assert before in [f.name for f in clone.layoutEx.file]
    [event] = si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=clone, recursion='self'),
        eventTypeId=['com.vmware.vc.VmInstantClonedEvent']))
    assert [(a.key, a.value) for a in event.arguments] == [('sourceVm', source.name)]
    assert source.name in event.fullFormattedMessage
    # the clone goes; the file the source still reads stays
    WaitForTask(clone.PowerOffVM_Task())
    WaitForTask(clone.Destroy_Task())
    assert before in [f.name for f in source.layoutEx.file]


def test_instant_clone_refusals_and_their_check(si):
    content = si.RetrieveContent()
    checker = content.vmProvisioningChecker
    source = powered(find_vm(si, 'DC0_H0_VM1'), 'poweredOff')
    assert errors(checker.CheckInstantClone_Task(source, spec_of('ic-2'))) == [
        vim.fault.InvalidPowerState]
    assert isinstance(task_fault(source.InstantClone_Task(spec_of('ic-2'))),
                      vim.fault.InvalidPowerState)
    powered(source)
    assert errors(checker.CheckInstantClone_Task(source, spec_of('DC0_H0_VM0'))) == [
        vim.fault.DuplicateName]
    assert isinstance(task_fault(source.InstantClone_Task(spec_of('DC0_H0_VM0'))),
                      vim.fault.DuplicateName)
    assert errors(checker.CheckInstantClone_Task(source, spec_of('ic-2'))) == []
    other_host = next(h for h in content.rootFolder.childEntity[0].hostFolder.childEntity[1].host)
    for refused in (spec_of('ic-2', host=other_host),
                    spec_of('ic-2', disk=[vim.vm.RelocateSpec.DiskLocator(
                        diskId=2000, datastore=source.datastore[0])]),
                    spec_of('ic-2', diskMoveType='moveAllDiskBackingsAndDisallowSharing')):
        with pytest.raises(vmodl.fault.NotSupported):
            source.InstantClone_Task(refused)
        with pytest.raises(vmodl.fault.NotSupported):
            checker.CheckInstantClone_Task(source, refused)
    bad_uuid = spec_of('ic-2')
    bad_uuid.biosUuid = 'not-a-uuid'
    with pytest.raises(vmodl.fault.InvalidArgument):
        source.InstantClone_Task(bad_uuid)


def test_a_clone_that_runs_needs_room_in_its_pool_as_its_check_says(si):
    content = si.RetrieveContent()
    cluster = content.searchIndex.FindByInventoryPath('/DC0/host/DC0_C0')
    pool = cluster.resourcePool.CreateResourcePool('ic-pool', pool_spec(
        cpu=allocation(500, expandable=False)))
    [source] = new_vms(si, pool, 'ic-src', 1, cpu=300)
    WaitForTask(source.PowerOnVM_Task())
    checker = content.vmProvisioningChecker
    [error] = result_of(checker.CheckInstantClone_Task(source, spec_of('ic-3'))).pop().error
    refused = task_fault(source.InstantClone_Task(spec_of('ic-3')))
    assert type(refused) is type(error) is vim.fault.InsufficientCpuResourcesFault
    assert (refused.unreserved, refused.requested) == (error.unreserved, error.requested) == (
        200, 300)
    # a clone powered on at once: the same pool rule (CloneVM_Task ignored it before)
    folder = content.rootFolder.childEntity[0].vmFolder
    clone_spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=True)
    assert errors(checker.CheckClone_Task(source, folder, 'cl-3', clone_spec)) == [
        vim.fault.InsufficientCpuResourcesFault]
    assert isinstance(task_fault(source.CloneVM_Task(folder, 'cl-3', clone_spec)),
                      vim.fault.InsufficientCpuResourcesFault)
    clone_spec.powerOn = False
    assert errors(checker.CheckClone_Task(source, folder, 'cl-3', clone_spec)) == []
    assert errors(checker.CheckClone_Task(source, folder, source.name, clone_spec)) == [
        vim.fault.DuplicateName]
    clone = result_of(source.CloneVM_Task(folder, 'cl-3', clone_spec))
    assert clone.runtime.powerState == 'poweredOff'


def test_check_vm_config_gives_what_reconfigure_then_answers(si):
    checker = si.RetrieveContent().vmCompatibilityChecker
    vm = powered(find_vm(si, 'DC0_H0_VM0'))
    host = vm.runtime.host
    more_cpus = vim.vm.ConfigSpec(numCPUs=2)        # no CPU hot add on this VM
    [result] = result_of(checker.CheckVmConfig_Task(more_cpus, vm=vm, host=host))
    [error] = result.error
    refused = task_fault(vm.ReconfigVM_Task(more_cpus))
    assert type(error) is type(refused) and result.host == host
    assert vm.config.hardware.numCPU == 1           # the check changed nothing
    note = vim.vm.ConfigSpec(annotation='checked')
    assert errors(checker.CheckVmConfig_Task(note, vm=vm, host=host)) == []
    assert vm.config.annotation != 'checked'
    with pytest.raises(vmodl.fault.NotSupported):
        checker.CheckVmConfig_Task(note, host=host)
