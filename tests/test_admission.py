"""Admission control with pyVmomi: powering VMs on until a pool's reservation
is exhausted refuses the predicted VM with InsufficientCpuResourcesFault /
InsufficientMemoryResourcesFault (unreserved and requested as vCenter gives
them); an expandable pool borrows from its parent, within its limit; pool
creation, pool reconfiguration and the reconfiguration of a running VM are
admitted by the same rules; too many virtual CPUs is NotEnoughCpus; a vApp's
power-on stops at the member that does not fit. Pool runtime figures follow
each step."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import _simulator, task_fault

MB = 1024 * 1024


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, autostart=False)


@pytest.fixture
def cluster(si):
    return si.RetrieveContent().searchIndex.FindByInventoryPath('/DC0/host/DC0_C0')


def allocation(reservation=0, limit=-1, expandable=True):
    return vim.ResourceAllocationInfo(reservation=reservation, limit=limit,
                                      expandableReservation=expandable,
                                      shares=vim.SharesInfo(level='normal', shares=0))


def pool_spec(cpu=None, memory=None):
    return vim.ResourceConfigSpec(cpuAllocation=cpu or allocation(),
                                  memoryAllocation=memory or allocation())


def new_vms(si, pool, prefix, count, cpu=0, memory=0, num_cpu=1):
    """`count` powered-off VMs in `pool`, each reserving `cpu` MHz and `memory` MB."""
    folder = si.RetrieveContent().rootFolder.childEntity[0].vmFolder
    tasks = [folder.CreateVM_Task(vim.vm.ConfigSpec(
        name='%s-%d' % (prefix, index), numCPUs=num_cpu, memoryMB=max(memory, 64),
        guestId='otherGuest64', files=vim.vm.FileInfo(vmPathName='[LocalDS_0]'),
        cpuAllocation=vim.ResourceAllocationInfo(reservation=cpu),
        memoryAllocation=vim.ResourceAllocationInfo(reservation=memory)), pool=pool)
        for index in range(count)]
    for task in tasks:
        WaitForTask(task)
    return [task.info.result for task in tasks]


def power_on_until_refused(vms):
    """Power the VMs on in order; (index of the refused one, its fault)."""
    for index, vm in enumerate(vms):
        task = vm.PowerOnVM_Task()
        try:
            WaitForTask(task)
        except vim.fault.InsufficientResourcesFault as error:
            return index, error
    return None, None


def powered_on_events(si, vm):
    found = si.RetrieveContent().eventManager.QueryEvents(
        vim.event.EventFilterSpec(eventTypeId=['VmPoweredOnEvent']))
    return [event for event in found if event.vm.vm == vm]


def test_cpu_reservation_exhausted_at_the_predicted_vm(si, cluster):
    pool = cluster.resourcePool.CreateResourcePool('fixed-cpu', pool_spec(
        cpu=allocation(1000, limit=1000, expandable=False)))
    vms = new_vms(si, pool, 'cpu', 4, cpu=300)
    refused, error = power_on_until_refused(vms)
    assert refused == 3   # 3 x 300 MHz fit in 1000 MHz; the fourth does not
    assert isinstance(error, vim.fault.InsufficientCpuResourcesFault)
    assert (error.unreserved, error.requested) == (100, 300)
    assert 'parent resource pool are insufficient' in error.msg
    assert vms[3].runtime.powerState == 'poweredOff' and not powered_on_events(si, vms[3])
    runtime = pool.runtime.cpu
    assert (runtime.reservationUsed, runtime.reservationUsedForVm) == (900, 900)
    assert runtime.unreservedForVm == 100 and runtime.unreservedForPool == 100
    # powering one off frees its reservation: the refused VM now fits
    WaitForTask(vms[0].PowerOffVM_Task())
    WaitForTask(vms[3].PowerOnVM_Task())
    assert pool.runtime.cpu.reservationUsed == 900


def test_memory_reservation_exhausted_reports_bytes(si, cluster):
    pool = cluster.resourcePool.CreateResourcePool('fixed-mem', pool_spec(
        memory=allocation(1024, expandable=False)))
    vms = new_vms(si, pool, 'mem', 3, memory=400)
    refused, error = power_on_until_refused(vms)
    assert refused == 2
    assert isinstance(error, vim.fault.InsufficientMemoryResourcesFault)
    assert (error.unreserved, error.requested) == (224 * MB, 400 * MB)
    assert pool.runtime.memory.reservationUsed == 800 * MB
    assert pool.runtime.memory.unreservedForVm == 224 * MB


def test_expandable_reservation_borrows_from_the_parent(si, cluster):
    parent = cluster.resourcePool.CreateResourcePool('lender', pool_spec(
        cpu=allocation(1000, expandable=False)))
    borrower = parent.CreateResourcePool('borrower', pool_spec(cpu=allocation(200)))
    assert borrower.runtime.cpu.unreservedForVm == 1000   # its 200 + the parent's 800
    vms = new_vms(si, borrower, 'borrow', 4, cpu=300)
    refused, error = power_on_until_refused(vms)
    assert refused == 3 and (error.unreserved, error.requested) == (100, 300)
    # the borrower holds 900 of the parent's reservation
    assert borrower.runtime.cpu.reservationUsed == 900
    assert parent.runtime.cpu.reservationUsed == 900
    assert parent.runtime.cpu.unreservedForPool == 100


def test_fixed_child_does_not_borrow_and_a_limit_caps_borrowing(si, cluster):
    parent = cluster.resourcePool.CreateResourcePool('lender-2', pool_spec(
        cpu=allocation(2000, expandable=False)))
    fixed = parent.CreateResourcePool('fixed-child', pool_spec(
        cpu=allocation(200, expandable=False)))
    error = task_fault(new_vms(si, fixed, 'fixed', 1, cpu=300)[0].PowerOnVM_Task())
    assert isinstance(error, vim.fault.InsufficientCpuResourcesFault)
    assert (error.unreserved, error.requested) == (200, 300)
    capped = parent.CreateResourcePool('capped-child', pool_spec(
        cpu=allocation(0, limit=500)))
    assert capped.runtime.cpu.unreservedForVm == 500
    vms = new_vms(si, capped, 'capped', 2, cpu=300)
    refused, error = power_on_until_refused(vms)
    assert refused == 1 and (error.unreserved, error.requested) == (200, 300)


def test_pool_creation_and_reconfiguration_are_admitted(si, cluster):
    parent = cluster.resourcePool.CreateResourcePool('small', pool_spec(
        memory=allocation(512, expandable=False)))
    with pytest.raises(vim.fault.InsufficientMemoryResourcesFault) as raised:
        parent.CreateResourcePool('too-big', pool_spec(memory=allocation(600)))
    assert (raised.value.unreserved, raised.value.requested) == (512 * MB, 600 * MB)
    assert parent.resourcePool == []
    child = parent.CreateResourcePool('fits', pool_spec(memory=allocation(300)))
    with pytest.raises(vim.fault.InsufficientMemoryResourcesFault) as raised:
        child.UpdateConfig(None, pool_spec(memory=allocation(600)))
    assert (raised.value.unreserved, raised.value.requested) == (212 * MB, 300 * MB)
    assert child.config.memoryAllocation.reservation == 300
    child.UpdateConfig(None, pool_spec(memory=allocation(512)))
    assert parent.runtime.memory.unreservedForPool == 0
    # a fixed reservation below what running VMs hold is refused
    vm = new_vms(si, child, 'held', 1, memory=400)[0]
    WaitForTask(vm.PowerOnVM_Task())
    with pytest.raises(vim.fault.InsufficientMemoryResourcesFault) as raised:
        child.UpdateConfig(None, pool_spec(memory=allocation(300, expandable=False)))
    assert (raised.value.unreserved, raised.value.requested) == (300 * MB, 400 * MB)
    # UpdateChildResourceConfiguration runs the same check
    with pytest.raises(vim.fault.InsufficientMemoryResourcesFault):
        parent.UpdateChildResourceConfiguration([vim.ResourceConfigSpec(
            entity=child, memoryAllocation=allocation(300, expandable=False),
            cpuAllocation=allocation())])
    assert child.config.memoryAllocation.expandableReservation is True


def test_running_vm_reservation_increase_is_admitted(si, cluster):
    pool = cluster.resourcePool.CreateResourcePool('reconfig', pool_spec(
        cpu=allocation(1000, expandable=False)))
    first, second = new_vms(si, pool, 'reconf', 2, cpu=400)
    WaitForTask(first.PowerOnVM_Task())
    WaitForTask(second.PowerOnVM_Task())
    error = task_fault(first.ReconfigVM_Task(vim.vm.ConfigSpec(
        cpuAllocation=vim.ResourceAllocationInfo(reservation=700))))
    assert isinstance(error, vim.fault.InsufficientCpuResourcesFault)
    assert (error.unreserved, error.requested) == (200, 300)
    assert first.config.cpuAllocation.reservation == 400
    WaitForTask(first.ReconfigVM_Task(vim.vm.ConfigSpec(
        cpuAllocation=vim.ResourceAllocationInfo(reservation=600))))
    assert pool.runtime.cpu.reservationUsed == 1000
    # a powered-off VM takes any reservation; it is checked at power-on
    WaitForTask(second.PowerOffVM_Task())
    WaitForTask(second.ReconfigVM_Task(vim.vm.ConfigSpec(
        cpuAllocation=vim.ResourceAllocationInfo(reservation=5000))))
    error = task_fault(second.PowerOnVM_Task())
    assert (error.unreserved, error.requested) == (400, 5000)


def test_more_virtual_cpus_than_the_host_has(si, cluster):
    vm = new_vms(si, cluster.resourcePool, 'wide', 1, num_cpu=4)[0]
    error = task_fault(vm.PowerOnVM_Task())
    assert isinstance(error, vim.fault.NotEnoughCpus)
    assert (error.numCpuVm, error.numCpuDest) == (4, 2)


def test_vapp_power_on_stops_at_the_member_that_does_not_fit(si, cluster):
    datacenter = si.RetrieveContent().rootFolder.childEntity[0]
    vapp = cluster.resourcePool.CreateVApp('tight-app', pool_spec(
        cpu=allocation(500, expandable=False)), vim.vApp.VAppConfigSpec(), datacenter.vmFolder)
    first, second = new_vms(si, cluster.resourcePool, 'app', 2, cpu=300)
    vapp.MoveIntoResourcePool([first, second])
    vapp.UpdateVAppConfig(vim.vApp.VAppConfigSpec(entityConfig=[
        vim.vApp.EntityConfigInfo(key=first, startOrder=1),
        vim.vApp.EntityConfigInfo(key=second, startOrder=2)]))
    error = task_fault(vapp.PowerOnVApp_Task())
    assert isinstance(error, vim.fault.InsufficientCpuResourcesFault)
    assert first.runtime.powerState == 'poweredOn'
    assert second.runtime.powerState == 'poweredOff'


def test_a_host_holds_no_more_reservations_than_its_capacity(si, cluster):
    """The cluster's root pool has room; the one host the VMs run on does not."""
    host = cluster.host[0]
    folder = si.RetrieveContent().rootFolder.childEntity[0].vmFolder
    capacity = host.summary.hardware.cpuMhz * host.summary.hardware.numCpuCores
    held = sum(vm.config.cpuAllocation.reservation for vm in host.vm
               if vm.runtime.powerState == 'poweredOn')
    first_reservation = (capacity - held) // 2 + 100
    vms = []
    for index in range(2):
        task = folder.CreateVM_Task(vim.vm.ConfigSpec(
            name='host-bound-%d' % index, numCPUs=1, memoryMB=64, guestId='otherGuest64',
            files=vim.vm.FileInfo(vmPathName='[LocalDS_0]'),
            cpuAllocation=vim.ResourceAllocationInfo(reservation=first_reservation)),
            pool=cluster.resourcePool, host=host)
        WaitForTask(task)
        vms.append(task.info.result)
    WaitForTask(vms[0].PowerOnVM_Task())
    error = task_fault(vms[1].PowerOnVM_Task())
    assert isinstance(error, vim.fault.InsufficientHostCpuCapacityFault)
    assert error.host == host
    assert (error.unreserved, error.requested) == (capacity - held - first_reservation,
                                                   first_reservation)
    assert cluster.resourcePool.runtime.cpu.unreservedForVm > first_reservation


def test_moving_running_vms_and_pools_into_a_pool_is_admitted(si, cluster):
    root = cluster.resourcePool
    target = root.CreateResourcePool('move-target', pool_spec(
        cpu=allocation(500, expandable=False)))
    running = new_vms(si, root, 'move', 2, cpu=300)
    for vm in running:
        WaitForTask(vm.PowerOnVM_Task())
    target.MoveIntoResourcePool([running[0]])
    with pytest.raises(vim.fault.InsufficientCpuResourcesFault) as raised:
        target.MoveIntoResourcePool([running[1]])
    assert (raised.value.unreserved, raised.value.requested) == (200, 300)
    assert running[1].resourcePool == root and target.vm == [running[0]]
    # a powered-off VM holds nothing: it moves; a pool holding 300 does not fit
    WaitForTask(running[1].PowerOffVM_Task())
    target.MoveIntoResourcePool([running[1]])
    holder = root.CreateResourcePool('holder', pool_spec(cpu=allocation(300)))
    with pytest.raises(vim.fault.InsufficientCpuResourcesFault):
        target.MoveIntoResourcePool([holder])
    assert holder.parent == root and target.resourcePool == []
    assert target.runtime.cpu.reservationUsed == 300
    # back to the root, which has room: admitted, and the pool's hold goes
    root.MoveIntoResourcePool([running[0]])
    assert target.runtime.cpu.reservationUsed == 0
