"""HostNvdimmSystem through pyVmomi: a default host has no NVDIMMs (as the
recorded 8.0.3 host) and refuses namespaces; with modules installed through
the control surface, persistent and block namespaces are made and deleted in
maintenance mode, within the capacity left, with ESXi's faults."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, task_fault
from tests.test_host_datastore_system import host_named
from tests.controlling import act, control

GiB = 1 << 30


@pytest.fixture(scope='module')
def sim(validator):
    """No VM runs (hosts enter maintenance mode at once); the control
    surface's credentials."""
    return _simulator(validator, tls=False, autostart=False, username='user', password='pass')


def _host(si, name):
    return host_named(si, name)


def _result(task):
    WaitForTask(task)
    return task.info.result


def test_a_default_host_has_no_nvdimms(sim, si):
    host = _host(si, 'DC0_H0')
    nvdimm = host.configManager.nvdimmSystem
    info = nvdimm.nvdimmSystemInfo
    assert info.summary.numDimms == 0 and info.summary.totalCapacity == 0
    assert list(info.dimms) == [] and list(info.nsDetails) == []
    WaitForTask(host.EnterMaintenanceMode_Task(timeout=60))
    try:
        error = task_fault(nvdimm.CreateNvdimmPMemNamespace_Task(
            vim.host.NvdimmSystem.PMemNamespaceCreateSpec(size=GiB, interleavesetID=1)))
        assert isinstance(error, vmodl.fault.NotSupported)
    finally:
        WaitForTask(host.ExitMaintenanceMode_Task(timeout=60))


def test_namespaces_on_installed_modules(sim, si):
    host = _host(si, 'DC0_C0_H1')
    status, answer = control(sim, 'POST', 'host/nvdimm',
                             {'host': host._moId, 'modules': 2, 'gib': 16})
    assert status == 409, answer               # not in maintenance mode
    WaitForTask(host.EnterMaintenanceMode_Task(timeout=60))
    try:
        act(sim, 'host/nvdimm', {'host': host._moId, 'modules': 2, 'gib': 16})
        nvdimm = host.configManager.nvdimmSystem
        info = nvdimm.nvdimmSystemInfo
        assert (info.summary.numDimms, info.summary.totalCapacity,
                info.summary.persistentCapacity, info.summary.blockCapacity) == (
            2, 32 * GiB, 16 * GiB, 16 * GiB)
        assert list(info.interleaveSet) == [1] and info.iSetInfo[0].size == 16 * GiB
        Spec = vim.host.NvdimmSystem.PMemNamespaceCreateSpec
        guid = _result(nvdimm.CreateNvdimmPMemNamespace_Task(
            Spec(friendlyName='pmem0', size=10 * GiB, interleavesetID=1)))
        info = nvdimm.nvdimmSystemInfo
        [details] = info.nsDetails
        assert (details.uuid, details.friendlyName, details.size, details.type) == (
            guid.uuid, 'pmem0', 10 * GiB, 'persistentNamespace')
        assert info.iSetInfo[0].availableSize == 6 * GiB
        assert info.summary.availableCapacity == 6 * GiB + 16 * GiB
        # faults: a taken name, too big, no such set
        for spec, kind in ((Spec(friendlyName='pmem0', size=GiB, interleavesetID=1),
                            vim.fault.AlreadyExists),
                           (Spec(friendlyName='big', size=7 * GiB, interleavesetID=1),
                            vim.fault.HostConfigFault),
                           (Spec(friendlyName='x', size=GiB, interleavesetID=9),
                            vmodl.fault.InvalidArgument),
                           (Spec(friendlyName='x', size=0, interleavesetID=1),
                            vmodl.fault.InvalidArgument)):
            assert isinstance(task_fault(nvdimm.CreateNvdimmPMemNamespace_Task(spec)), kind)
        # the 6.7 form: block namespaces on one module
        Old = vim.host.NvdimmSystem.NamespaceCreateSpec
        block = _result(nvdimm.CreateNvdimmNamespace_Task(Old(
            friendlyName='blk0', blockSize=4096, blockCount=1024, type='blockNamespace',
            locationID=info.dimms[0])))
        assert isinstance(task_fault(nvdimm.CreateNvdimmNamespace_Task(Old(
            friendlyName='blk1', blockSize=4096, blockCount=(8 * GiB) // 4096 + 1,
            type='blockNamespace', locationID=info.dimms[0]))), vim.fault.HostConfigFault)
        assert isinstance(task_fault(nvdimm.CreateNvdimmNamespace_Task(Old(
            friendlyName='blk1', blockSize=1000, blockCount=1, type='blockNamespace',
            locationID=info.dimms[0]))), vmodl.fault.InvalidArgument)
        assert {ns.uuid for ns in nvdimm.nvdimmSystemInfo.nsInfo} == {guid.uuid, block.uuid}
        WaitForTask(nvdimm.DeleteNvdimmBlockNamespaces_Task())
        assert [ns.uuid for ns in nvdimm.nvdimmSystemInfo.nsDetails] == [guid.uuid]
        assert isinstance(task_fault(nvdimm.DeleteNvdimmBlockNamespaces_Task()),
                          vim.fault.NotFound)
        WaitForTask(nvdimm.DeleteNvdimmNamespace_Task(
            vim.host.NvdimmSystem.NamespaceDeleteSpec(uuid=guid.uuid)))
        assert isinstance(task_fault(nvdimm.DeleteNvdimmNamespace_Task(
            vim.host.NvdimmSystem.NamespaceDeleteSpec(uuid=guid.uuid))), vim.fault.NotFound)
        assert nvdimm.nvdimmSystemInfo.summary.availableCapacity == 32 * GiB
        # outside maintenance mode: InvalidHostState
        WaitForTask(host.ExitMaintenanceMode_Task(timeout=60))
        error = task_fault(nvdimm.CreateNvdimmPMemNamespace_Task(
            Spec(friendlyName='late', size=GiB, interleavesetID=1)))
        assert isinstance(error, vim.fault.InvalidHostState) and error.host == host
    finally:
        if host.runtime.inMaintenanceMode:
            WaitForTask(host.ExitMaintenanceMode_Task(timeout=60))
