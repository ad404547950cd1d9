"""A second session watching with WaitForUpdatesEx sees a VM's tasks move
through their states and the VM's properties change."""
import threading

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator

PC = vmodl.query.PropertyCollector


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, autostart=False)


def find_vm(si, name):
    content = si.RetrieveContent()
    return content.searchIndex.FindByInventoryPath('/DC0/vm/%s' % name)


def test_watcher_sees_task_states_and_vm_changes(sim):
    actor, watcher = sim.connect(), sim.connect()
    try:
        vm = find_vm(actor, 'DC0_H0_VM0')
        watched_vm = vim.VirtualMachine(vm._moId, watcher._stub)
        content = watcher.RetrieveContent()
        collector = content.propertyCollector
        # every task on the VM: watch the VM's recentTask and each task's state
        spec = PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=watched_vm, selectSet=[PC.TraversalSpec(
                name='tasks', type=vim.VirtualMachine, path='recentTask')])],
            propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=[
                'runtime.powerState', 'config.hardware.numCPU', 'config.hardware.memoryMB']),
                PC.PropertySpec(type=vim.Task, pathSet=['info.state', 'info.name'])])
        collector.CreateFilter(spec, True)
        version = collector.WaitForUpdatesEx('', PC.WaitOptions()).version
        seen = []
        stop = threading.Event()

        def watch():
            nonlocal version
            while not stop.is_set():
                update = collector.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=1))
                if update is None:
                    continue
                version = update.version
                for filter_update in update.filterSet:
                    for obj in filter_update.objectSet:
                        for change in obj.changeSet or []:
                            seen.append((obj.obj._moId, change.name, change.val))

        thread = threading.Thread(target=watch)
        thread.start()
        try:
            WaitForTask(vm.PowerOnVM_Task())
            WaitForTask(vm.PowerOffVM_Task())
            WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(numCPUs=2, memoryMB=256)))
            # let the watcher drain what is left
            import time
            time.sleep(1.5)
        finally:
            stop.set()
            thread.join(10)
        vm_changes = [(name, val) for moid, name, val in seen if moid == vm._moId]
        assert ('runtime.powerState', 'poweredOn') in vm_changes
        assert ('runtime.powerState', 'poweredOff') in vm_changes
        assert ('config.hardware.numCPU', 2) in vm_changes
        assert ('config.hardware.memoryMB', 256) in vm_changes
        task_states = {}
        for moid, name, val in seen:
            if moid.startswith('task-') and name == 'info.state':
                task_states.setdefault(moid, []).append(val)
        assert len(task_states) == 3
        for states in task_states.values():
            assert states[-1] == 'success'
            assert 'running' in states
    finally:
        Disconnect(actor)
        Disconnect(watcher)
