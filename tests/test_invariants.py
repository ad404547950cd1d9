"""tests/invariants.py: fresh inventories satisfy every invariant, read in the
process and through pyVmomi, and each invariant catches the breakage it
names (the model is broken on purpose, on the reactor thread)."""
import datetime

import pytest
from twisted.internet import defer

from tests.conftest import _simulator, on_reactor
from tests.invariants import api_violations, model_violations


@pytest.fixture
def fresh(validator):
    """A simulator of its own, to break."""
    return _simulator(validator, tls=False, app=1, pod=1, pool=1, folder=1)


def violations(running):
    return on_reactor(model_violations, running.sim)


def api(running):
    si = running.connect()
    try:
        return api_violations(si, running.sim.schema)
    finally:
        from pyVim.connect import Disconnect
        Disconnect(si)


def first(running, type_name, test=lambda obj: True):
    return next(obj for obj in running.sim.objects if obj.type_name == type_name and test(obj))


def broken(running, change):
    """Violations in the process and through the API after `change(sim)`."""
    on_reactor(change, running.sim)
    return violations(running), api(running)


def test_fresh_inventories_hold(fresh, sim, esx):
    for running in (fresh, sim, esx):
        assert violations(running) == []
        assert api(running) == []


def test_a_vm_its_host_does_not_list(fresh):
    vm = first(fresh, 'VirtualMachine')
    in_process, through_api = broken(fresh, lambda sim: vm.host.vms.remove(vm))
    for found in (in_process, through_api):
        assert any('%s lists' % ('VirtualMachine:' + vm.ref.value) in v and 'runtime.host' in v
                   for v in found), found


def test_a_vm_its_folder_does_not_list(fresh):
    vm = first(fresh, 'VirtualMachine', lambda vm: vm.parent is not None)
    folder = vm.parent_object()
    in_process, through_api = broken(fresh, lambda sim: folder.childEntity.remove(vm.ref))
    expected = 'VirtualMachine:%s: parent Folder:%s does not list it' % (vm.ref.value,
                                                                       folder.ref.value)
    assert expected in in_process and expected in through_api


def test_an_entity_in_two_folders(fresh):
    vm = first(fresh, 'VirtualMachine', lambda vm: vm.parent is not None)
    other = first(fresh, 'Folder', lambda f: 'VirtualMachine' in f.childType
                  and f.ref != vm.parent)
    in_process, through_api = broken(fresh, lambda sim: other.childEntity.append(vm.ref))
    for found in (in_process, through_api):
        assert any('is listed by Folder:%s besides its parent' % other.ref.value in v
                   for v in found), found


def test_a_destroyed_vm_still_linked(fresh):
    vm = first(fresh, 'VirtualMachine')
    in_process, through_api = broken(fresh, lambda sim: sim.objects.remove(vm))
    assert any('which does not exist' in v or 'does not exist' in v for v in in_process)
    assert any('does not exist' in v for v in through_api)


@pytest.mark.parametrize('link', ['datastore', 'network'])
def test_a_vm_its_datastore_or_network_does_not_list(fresh, link):
    vm = first(fresh, 'VirtualMachine', lambda vm: vm.network_object is not None)
    target = vm.datastore_object if link == 'datastore' else vm.network_object
    in_process, through_api = broken(fresh, lambda sim: target.vms.remove(vm))
    for found in (in_process, through_api):
        assert any('VirtualMachine:%s lists %s:%s in %s' % (
            vm.ref.value, target.type_name, target.ref.value, link) in v for v in found), found


def test_a_host_its_datastore_does_not_mount(fresh):
    host = first(fresh, 'HostSystem', lambda host: host.datastores)
    datastore = host.datastores[0]
    in_process, through_api = broken(fresh, lambda sim: datastore.hosts.remove(host))
    for found in (in_process, through_api):
        assert any('HostSystem:%s lists Datastore:%s in datastore' % (
            host.ref.value, datastore.ref.value) in v for v in found), found


def test_a_task_stuck_running(fresh):
    from vimsim.managed.base import Context
    from vimsim.managed.monitoring.task import run_task
    vm = first(fresh, 'VirtualMachine')

    def start(sim):
        task = run_task(Context(sim, None, sim.schema.newest), vm, 'PowerOnVM_Task',
                        lambda task: defer.Deferred())    # work that never ends
        return task
    task = on_reactor(start, fresh.sim)
    assert violations(fresh) == []     # just queued: within its allowance

    def age(sim):
        task.info.queueTime -= datetime.timedelta(seconds=60)
    on_reactor(age, fresh.sim)
    found = violations(fresh)
    assert any(v.startswith('task %s (PowerOnVM_Task) running for' % task.ref.value)
               for v in found), found


def test_a_task_waiting_on_the_model_is_not_stuck(fresh):
    """EnterMaintenanceMode_Task on a host with a running VM waits (here with
    no timeout) for the VM to leave, as vCenter's does: however old, that is
    not a stuck task."""
    from vimsim.managed.base import Context
    host = next(h for h in fresh.sim.objects if h.type_name == 'HostSystem' and any(
        vm.power_state == 'poweredOn' for vm in h.vms))

    def start(sim):
        return host.EnterMaintenanceMode_Task(Context(sim, None, sim.schema.newest), 0)
    task = on_reactor(start, fresh.sim)

    def age(sim):
        task.info.queueTime -= datetime.timedelta(seconds=600)
    on_reactor(age, fresh.sim)
    assert task.waiting and not [v for v in violations(fresh) if task.ref.value in v]
    on_reactor(task.cancel)


def test_an_object_nothing_reaches(fresh):
    from vimsim.managed.base import ManagedObject
    on_reactor(lambda sim: ManagedObject(sim, 'lost-1'), fresh.sim)
    assert 'ManagedObject:lost-1 is neither reachable nor held by a session' in violations(fresh)


def test_an_object_held_by_an_ended_session(fresh):
    si = fresh.connect()
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [], True)
    session = next(iter(fresh.sim.session_manager.sessions.values()))
    on_reactor(lambda sim: sim.session_manager.sessions.pop(session.key), fresh.sim)
    assert 'ContainerView:%s is held by a session that ended' % view._moId in violations(fresh)


def test_a_folder_holding_another_kind(fresh):
    vm_folder = first(fresh, 'Folder', lambda f: 'VirtualMachine' in f.childType)
    host_folder = first(fresh, 'Folder', lambda f: 'ComputeResource' in f.childType
                        and f.parent is not None and f.parent.type == 'Datacenter')
    in_process, through_api = broken(fresh, lambda sim: vm_folder.move_in(host_folder))
    for found in (in_process, through_api):
        assert any('Folder:%s holds Folder:%s, a folder of another kind' % (
            vm_folder.ref.value, host_folder.ref.value) in v for v in found), found


def test_an_object_a_method_hands_out(fresh):
    """A cluster's EVC manager is reached through EvcManager(), not through a
    property: it counts as held while its cluster is."""
    from pyVmomi import vim
    from tests.conftest import all_of
    si = fresh.connect()
    cluster = all_of(si, vim.ClusterComputeResource)[0]
    manager = cluster.EvcManager()
    assert manager.managedCluster == cluster
    assert violations(fresh) == []


def test_a_snapshot_outliving_its_vm(fresh):
    from pyVim.task import WaitForTask
    from pyVmomi import vim
    from tests.conftest import all_of
    si = fresh.connect()
    vm = next(v for v in all_of(si, vim.VirtualMachine) if v.parentVApp is None)
    WaitForTask(vm.CreateSnapshot_Task('kept', None, False, False))
    snapshot = vm.snapshot.rootSnapshotList[0].snapshot
    assert violations(fresh) == []
    model_vm = first(fresh, 'VirtualMachine', lambda obj: obj.ref.value == vm._moId)
    on_reactor(lambda sim: sim.objects.remove(model_vm), fresh.sim)
    assert 'VirtualMachineSnapshot:%s: its VM %s does not exist' % (
        snapshot._moId, vm._moId) in violations(fresh)
