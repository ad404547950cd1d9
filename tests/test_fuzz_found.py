"""Defects tools/fuzz found outside the areas other branches work on, each
with the call that showed it (pyVmomi against a simulator of its own)."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, on_reactor, task_fault
from tests.invariants import model_violations


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, pod=1, folder=1)


@pytest.fixture
def dc(si):
    return all_of(si, vim.Datacenter)[0]


def test_a_folder_moves_only_into_a_folder_of_its_kind(si, sim, dc):
    """MoveIntoFolder_Task took any folder into any folder that holds
    folders: a network folder went into a datacenter folder, and a later
    UnregisterAndDestroy_Task of the VM folder above them left the networks
    and datacenters below with a parent that no longer exists."""
    hosts = dc.hostFolder.CreateFolder('fuzz-hosts')
    networks = dc.networkFolder.CreateFolder('fuzz-networks')
    for target, moved in ((dc.vmFolder, hosts), (si.content.rootFolder, networks),
                          (dc.datastoreFolder, networks)):
        error = task_fault(target.MoveIntoFolder_Task([moved]))
        assert isinstance(error, vim.fault.InvalidFolder) and error.target == moved
    assert hosts.parent == dc.hostFolder and networks.parent == dc.networkFolder
    assert on_reactor(model_violations, sim.sim) == []


def test_a_storage_pod_moves_only_where_pods_may_be(si, dc):
    """A StoragePod is a Folder to the schema, so any folder holding folders
    took one (a VM folder, a host folder)."""
    pod = next(p for p in all_of(si, vim.StoragePod))
    for target in (dc.vmFolder, dc.hostFolder):
        assert isinstance(task_fault(target.MoveIntoFolder_Task([pod])), vmodl.fault.NotSupported)
    sub = dc.datastoreFolder.CreateFolder('fuzz-pods')
    assert WaitForTask(sub.MoveIntoFolder_Task([pod])) == 'success'
    assert pod.parent == sub


def test_folders_of_one_kind_still_move(si, dc):
    """The check compares kinds, not lists: folders made by CreateFolder
    inherit their parent's childType and move freely within their kind."""
    outer = dc.vmFolder.CreateFolder('fuzz-outer')
    inner = dc.vmFolder.CreateFolder('fuzz-inner')
    assert WaitForTask(outer.MoveIntoFolder_Task([inner])) == 'success'
    assert inner.parent == outer


def test_a_vm_destroyed_with_its_folder_takes_its_snapshots(si, dc):
    """UnregisterAndDestroy_Task of a folder removes its VMs' snapshots too
    (they used to stay readable, and revertible onto the removed VM)."""
    folder = dc.vmFolder.CreateFolder('fuzz-found-snapshots')
    vm = next(v for v in all_of(si, vim.VirtualMachine) if not v.config.template)
    clone = vm.Clone(folder, 'fuzz-found-clone', vim.vm.CloneSpec(location=vim.vm.RelocateSpec()))
    WaitForTask(clone)
    clone = clone.info.result
    WaitForTask(clone.CreateSnapshot_Task('s', None, False, False))
    snapshot = clone.snapshot.currentSnapshot
    if clone.runtime.powerState == 'poweredOn':
        WaitForTask(clone.PowerOffVM_Task())
    WaitForTask(folder.UnregisterAndDestroy_Task())
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        snapshot.config
