"""Model hardening, driven by unmodified pyVmomi: finished tasks stay readable
under parallel load and go when they are old; RelocateVM / MigrateVM /
CloneVM of templates answer as vCenter does; snapshot chains stop at
vCenter's 32 levels; UpdateDateTime refuses times the host clock cannot keep;
a users file (-users) restricts logins and locks an account after 5 failed
ones.

A simulator of its own: these tests make many tasks and change the inventory.
"""
import threading
import time

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, on_reactor


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


@pytest.fixture
def dc(si):
    return si.RetrieveContent().rootFolder.childEntity[0]


def _setting(sim, name, value):
    """Set a TaskManager bound for one test; returns the old value."""
    manager = sim.sim.task_manager
    old = getattr(manager, name)
    on_reactor(setattr, manager, name, value)
    return old


# -- finished tasks stay readable ---------------------------------------------------------

CLIENTS = 8
TASKS_PER_CLIENT = 125


def test_a_thousand_parallel_tasks_stay_readable(sim, dc):
    """1,000 quick tasks from 8 parallel clients, each started before any is
    waited for: every one stays readable and WaitForTask succeeds for each,
    though far more than 200 newer tasks finished since it did (which used to
    make it ManagedObjectNotFound). Bounded: about 20 s on a busy machine."""
    failures = []

    def client(number):
        si = sim.connect(user='load%d' % number)
        try:
            folder = si.RetrieveContent().rootFolder.childEntity[0].vmFolder.CreateFolder(
                'load-%d' % number)
            tasks = [folder.Rename('load-%d-%d' % (number, i)) for i in range(TASKS_PER_CLIENT)]
            for task in tasks:
                if WaitForTask(task) != 'success' or task.info.state != 'success':
                    failures.append((task, task.info.state))
            WaitForTask(folder.Destroy())
        except Exception as error:   # reported below, in the test's thread
            failures.append(error)
        finally:
            Disconnect(si)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    # the recent list keeps its own, shorter bound
    manager = sim.sim.task_manager
    done = on_reactor(lambda: [t for t in manager.recentTask
                               if sim.sim.objects.get(t).done])
    assert len(done) <= 200


def test_old_finished_tasks_go(sim, si, dc):
    """A finished task leaves the inventory once older than the kept age."""
    old = _setting(sim, 'keep_seconds', 0.3)
    try:
        folder = dc.vmFolder.CreateFolder('aging')
        task = folder.Rename('aging-1')
        WaitForTask(task)
        assert task.info.state == 'success'
        time.sleep(1.0)
        with pytest.raises(vmodl.fault.ManagedObjectNotFound):
            task.info
        assert task not in si.content.taskManager.recentTask
        WaitForTask(folder.Destroy())
    finally:
        _setting(sim, 'keep_seconds', old)


def test_count_bound_keeps_a_minimum_lifetime(sim, si, dc):
    """Past the count bound the oldest finished tasks go, but none before it
    has been finished for the minimum lifetime."""
    old_count = _setting(sim, 'keep_completed', 2)
    old_minimum = _setting(sim, 'min_completed_lifetime', 0.5)
    try:
        folder = dc.vmFolder.CreateFolder('counted')
        tasks = [folder.Rename('counted-%d' % i) for i in range(5)]
        for task in tasks:
            WaitForTask(task)
        assert all(task.info.state == 'success' for task in tasks)   # all younger than 0.5 s
        time.sleep(1.0)
        for task in tasks[:3]:
            with pytest.raises(vmodl.fault.ManagedObjectNotFound):
                task.info
        assert [task.info.state for task in tasks[3:]] == ['success', 'success']
        WaitForTask(folder.Destroy())
    finally:
        _setting(sim, 'keep_completed', old_count)
        _setting(sim, 'min_completed_lifetime', old_minimum)
