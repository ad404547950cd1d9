"""Fault injection from the control surface, seen by pyVmomi: a rule by
method, object or type makes calls fail with the fault and fields asked
for, as a SOAP fault or as a failed Task; a count ends it; a seeded
probability repeats; a delay holds the answer back; bad rules answer 400."""
import time

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, task_fault
from tests.controlling import act, control, model_time  # noqa: F401 (module fixture)


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, autostart=False)


@pytest.fixture(autouse=True)
def no_rules(sim):
    yield
    act(sim, 'faults/clear', {})


@pytest.fixture
def vm(si):
    return si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/vm/DC0_H0_VM0')


def test_rule_by_method_and_object_faults_the_call(si, sim, vm):
    host = vm.runtime.host
    rule = act(sim, 'faults', {'method': 'RetrieveHardwareUptime', 'object': host._moId,
                               'fault': 'HostNotConnected', 'message': 'injected'})
    assert rule['id'] and rule['hits'] == 0
    with pytest.raises(vmodl.fault.HostNotConnected) as raised:
        host.RetrieveHardwareUptime()
    assert raised.value.msg == 'injected'
    other = [h for h in vm.runtime.host.parent.host if h != host] or \
        [h for h in si.RetrieveContent().viewManager.CreateContainerView(
            si.RetrieveContent().rootFolder, [vim.HostSystem], True).view if h != host]
    assert other[0].RetrieveHardwareUptime() >= 0   # another object: not matched
    [listed] = control(sim, 'GET', 'faults')[1]['rules']
    assert listed['hits'] == 1 and listed['method'] == 'RetrieveHardwareUptime'


def test_count_and_fields(si, sim, vm):
    act(sim, 'faults', {'type': 'VirtualMachine', 'method': 'Rename_Task',
                        'fault': 'InvalidName', 'count': 2,
                        'fields': {'name': 'bad', 'entity': {'type': 'VirtualMachine',
                                                             'value': vm._moId}}})
    for _ in range(2):
        with pytest.raises(vim.fault.InvalidName) as raised:
            vm.Rename_Task('whatever')
        assert raised.value.name == 'bad' and raised.value.entity == vm
    WaitForTask(vm.Rename_Task(vm.name))   # the rule is spent
    [rule] = control(sim, 'GET', 'faults')[1]['rules']
    assert rule['remaining'] == 0 and rule['hits'] == 2


def test_task_fault(si, sim, vm):
    act(sim, 'faults', {'method': 'PowerOnVM_Task', 'fault': 'InsufficientFailoverResourcesFault',
                        'task': True})
    task = vm.PowerOnVM_Task()
    assert isinstance(task_fault(task), vim.fault.InsufficientFailoverResourcesFault)
    assert task.info.entity == vm and task.info.descriptionId == 'VirtualMachine.powerOn'
    assert vm.runtime.powerState == 'poweredOff'


def test_seeded_probability_repeats(si, sim, vm):
    def outcomes():
        act(sim, 'faults/clear', {})
        act(sim, 'faults', {'method': 'RetrieveHardwareUptime', 'fault': 'HostNotConnected',
                            'probability': 0.5, 'seed': 7})
        found = []
        for _ in range(12):
            try:
                vm.runtime.host.RetrieveHardwareUptime()
                found.append(False)
            except vmodl.fault.HostNotConnected:
                found.append(True)
        return found
    first = outcomes()
    assert first == outcomes() and any(first) and not all(first)


def test_delay_without_fault(si, sim, vm):
    act(sim, 'faults', {'method': 'CurrentTime', 'delay': 300})
    started = time.monotonic()
    si.CurrentTime()
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize('rule', [
    {}, {'fault': 'NoSuchFault'}, {'fault': 'HostNotConnected', 'probability': 2},
    {'fault': 'HostNotConnected', 'count': 0}, {'fault': 'HostNotConnected', 'bogus': 1},
    {'fault': 'InvalidName', 'fields': {'name': 3}}, {'fault': 'InvalidName', 'fields': []},
    {'fault': 'InvalidName', 'fields': {'nope': 'x'}}, {'type': 'NoSuchType', 'delay': 5},
    {'method': 'CurrentTime', 'fault': 'HostNotConnected', 'task': True},
    {'method': 'NoSuchMethod', 'fault': 'HostNotConnected'},
    {'type': 'HostSystem', 'method': 'PowerOnVM_Task', 'fault': 'HostNotConnected'},
    {'fault': 'HostNotConnected', 'delay': -1}, {'method': 7, 'fault': 'HostNotConnected'},
    'not an object'])
def test_bad_rules_are_refused(sim, rule):
    status, answer = control(sim, 'POST', 'faults', rule)
    assert status == 400 and answer['error']
    assert control(sim, 'GET', 'faults')[1]['rules'] == []


def test_clearing_an_unknown_rule(sim):
    assert control(sim, 'POST', 'faults/clear', {'id': 12345})[0] == 404
    assert control(sim, 'POST', 'faults/clear', {'id': 'x'})[0] == 400
