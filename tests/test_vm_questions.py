"""The moved-or-copied question with pyVmomi: a VM registered while another
VM has its BIOS uuid asks as it powers on (runtime.question, the power-on
task waiting); AnswerVM with a wrong id is ConcurrentAccess, Cancel fails
the power-on, "I Copied It" gives a new uuid and MAC and the power-on ends.

A simulator of its own: these tests change VMs.
"""
import time

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, task_fault
from tests.test_vm_console import powered
from tests.test_vm_operations import events_of, find_vm
from tests.watching import Watcher, paths_of


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)



def question_of(vm, timeout=5):
    deadline = time.monotonic() + timeout
    while vm.runtime.question is None:
        assert time.monotonic() < deadline, 'no question asked'
        time.sleep(0.02)
    return vm.runtime.question


def registered_twin(si):
    """DC0_H0_VM1 registered again while DC0_H0_VM0 has its BIOS uuid."""
    vm, twin = find_vm(si, 'DC0_H0_VM1'), find_vm(si, 'DC0_H0_VM0')
    for each in (vm, twin):
        powered(each, 'poweredOff')
    path, host, pool = vm.config.files.vmPathName, vm.runtime.host, vm.resourcePool
    uuid = vm.config.uuid
    vm.UnregisterVM()
    WaitForTask(twin.ReconfigVM_Task(vim.vm.ConfigSpec(uuid=uuid)))
    folder = si.content.rootFolder.childEntity[0].vmFolder
    task = folder.RegisterVM_Task(path=path, asTemplate=False, pool=pool, host=host)
    WaitForTask(task)
    return task.info.result


def test_a_registered_copy_asks_whether_it_was_moved_or_copied(si, sim):
    vm = registered_twin(si)
    uuid, mac = vm.config.uuid, vm.config.hardware.device[-1].macAddress
    assert vm.runtime.question is None          # it asks as it powers on
    watcher = Watcher(sim.connect(), vm, vim.VirtualMachine, ['runtime.question'])
    task = vm.PowerOnVM_Task()
    question = question_of(vm)
    assert 'runtime.question' in paths_of(watcher.changes())
    assert task.info.state == 'running' and vm.runtime.powerState == 'poweredOff'
    assert question.id and question.text.startswith('msg.uuid.altered:')
    assert [(c.key, c.label) for c in question.choice.choiceInfo] == [
        ('0', 'Cancel'), ('1', 'I Moved It'), ('2', 'I Copied It')]
    assert question.choice.defaultIndex == 2
    with pytest.raises(vim.fault.ConcurrentAccess):
        vm.AnswerVM('not-' + question.id, '2')
    with pytest.raises(vmodl.fault.InvalidArgument):
        vm.AnswerVM(question.id, '7')
    vm.AnswerVM(question.id, '0')                # Cancel: no power-on
    assert isinstance(task_fault(task), vmodl.fault.RequestCanceled)
    assert vm.runtime.question is None and vm.runtime.powerState == 'poweredOff'

    task = vm.PowerOnVM_Task()                   # it asks again
    second = question_of(vm)
    assert second.id != question.id
    vm.AnswerVM(second.id, '2')                  # I Copied It
    WaitForTask(task)
    assert vm.runtime.powerState == 'poweredOn' and vm.runtime.question is None
    assert vm.config.uuid != uuid and vm.config.hardware.device[-1].macAddress != mac
    [changed] = events_of(si, vm, 'VmUuidChangedEvent')
    assert (changed.oldUuid, changed.newUuid) == (uuid, vm.config.uuid)
    assert events_of(si, vm, 'VmMacChangedEvent')[0].oldMac == mac
    WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(vm.PowerOnVM_Task())             # answered: no question again
    with pytest.raises(vim.fault.ConcurrentAccess):
        vm.AnswerVM(second.id, '1')              # nothing pending
