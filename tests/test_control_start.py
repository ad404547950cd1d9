"""The control surface from the command line: -control FILE runs its POST
actions once the inventory is built, before any client connects (here a
fault rule and a VM's load, seen by pyVmomi and the JSON API); a file the
surface refuses stops the start with its message."""
import json

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import RunningSimulator, task_fault
from tests.controlling import control
from vimsim.cli import main
from vimsim.control import ControlError
from vimsim.testing.server import options_for

SMALL = dict(tls=False, cluster=1, host=1, standalone_host=0, vm=1, autostart=False)


def write(tmp_path, actions):
    path = tmp_path / 'control.json'
    path.write_text(json.dumps(actions))
    return str(path)


def test_actions_run_at_start(validator, tmp_path):
    plain = RunningSimulator(options_for(**SMALL), validator)
    try:
        si = plain.connect()
        vm = si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/vm/DC0_C0_RP0_VM0')
        moid = vm._moId
    finally:
        plain.stop()
    path = write(tmp_path, [
        {'action': 'faults', 'body': {'method': 'PowerOnVM_Task', 'task': True,
                                      'fault': 'InsufficientResourcesFault', 'count': 1}},
        {'action': 'load', 'body': {'entity': moid, 'cpu': 0.9}}])
    started = RunningSimulator(options_for(control=path, **SMALL), validator)
    try:
        status, answer = control(started, 'GET', 'faults')
        assert status == 200 and [r['method'] for r in answer['rules']] == ['PowerOnVM_Task']
        vm = started.connect().RetrieveContent().searchIndex.FindByInventoryPath(
            '/DC0/vm/DC0_C0_RP0_VM0')
        assert isinstance(task_fault(vm.PowerOnVM_Task()), vim.fault.InsufficientResourcesFault)
        WaitForTask(vm.PowerOnVM_Task())    # the rule fired its one time
        status, answer = control(started, 'GET', 'load?entity=' + moid)
        assert status == 200 and answer['cpu'] == 0.9
    finally:
        started.stop()


@pytest.mark.parametrize('actions, message', [
    ({'action': 'faults'}, 'not a JSON list'),
    (['faults'], 'action 1 is not'),
    ([{'action': 'time/warp', 'body': {}}], "'time/warp' is not a control action"),
    ([{'action': 'faults', 'body': {'fault': 'NoSuchFault'}}], 'action 1 (faults)'),
    ([{'action': 'host/fail', 'body': {'host': 'host-nope', 'failure': 'power'}}],
     "no HostSystem 'host-nope'"),
])
def test_a_refused_action_stops_the_start(validator, tmp_path, capsys, actions, message):
    path = write(tmp_path, actions)
    with pytest.raises(ControlError) as refused:
        RunningSimulator(options_for(control=path, **SMALL), validator)
    assert message in str(refused.value)
    assert main(['-l', '127.0.0.1:0', '-tls=false', '-vm', '0', '-control', path]) == 1
    assert message in capsys.readouterr().err


def test_an_unreadable_file_stops_the_start(validator, tmp_path):
    with pytest.raises(ControlError, match='-control'):
        RunningSimulator(options_for(control=str(tmp_path / 'missing.json'), **SMALL),
                         validator)
