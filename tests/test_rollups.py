"""Roll-ups kept by deltas (monitoring/rollup.py) against their sums from
scratch: after each step of a seeded random mix of operations (create,
clone, destroy, relocate, disks added and grown, reservations, power,
snapshots, migration, loads set on VMs and hosts, model time moving on a
sample), every datastore's, cluster's, host's and pool's figures equal
what summing over their VMs gives (tests/invariants.py's
`rollup_violations`), and the cluster's counts agree with the VMs pyVmomi
lists. A scenario of about 15 s (60 steps)."""
import random

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, logged_in, on_reactor
from tests.controlling import model_time  # noqa: F401 (a fixture: the time advanced goes back)
from tests.invariants import rollup_violations
from vimsim.managed.monitoring.load_model import SAMPLE_SECONDS, load_model
from vimsim.schema import MoRef

STEPS = 60
GB_KB = 1024 * 1024


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, ds=2)


@pytest.fixture(scope='module')
def si(sim):
    yield from logged_in(sim)


def _finish(task):
    """Wait for a task; a vim fault (admission refused, state) is an outcome."""
    try:
        WaitForTask(task)
    except vim.fault.VimFault:
        pass
    except vmodl.MethodFault:
        pass


def _model_of(sim, obj):
    """The model object a pyVmomi object names."""
    return sim.sim.objects.get(MoRef(obj._wsdlName, obj._moId))


def _disk_spec(vm, datastore, rng):
    """Add a thin disk on `datastore`, or grow one of the VM's disks."""
    disks = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
    if disks and rng.random() < 0.5:
        disk = rng.choice(disks)
        disk.capacityInKB += GB_KB
        disk.capacityInBytes = None
        return vim.vm.device.VirtualDeviceSpec(operation='edit', device=disk)
    controller = next(d for d in vm.config.hardware.device
                      if isinstance(d, vim.vm.device.VirtualSCSIController))
    used = {d.unitNumber for d in disks if d.controllerKey == controller.key}
    unit = next(u for u in range(16) if u != 7 and u not in used)
    return vim.vm.device.VirtualDeviceSpec(
        operation='add', fileOperation='create', device=vim.vm.device.VirtualDisk(
            key=-1, controllerKey=controller.key, unitNumber=unit, capacityInKB=GB_KB,
            backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
                diskMode='persistent', thinProvisioned=rng.random() < 0.7,
                fileName='[%s]' % datastore.name)))


def test_roll_ups_equal_their_sums_from_scratch_after_a_random_mix_of_operations(sim, si):
    rng = random.Random(16)
    content = si.RetrieveContent()
    datacenter = content.rootFolder.childEntity[0]
    datastores = all_of(si, vim.Datastore)
    clusters = all_of(si, vim.ClusterComputeResource)
    pools = all_of(si, vim.ResourcePool)
    hosts = all_of(si, vim.HostSystem)
    made = 0

    def vms():
        return [vm for vm in all_of(si, vim.VirtualMachine) if not vm.config.template]

    for step in range(STEPS):
        kind = rng.choice(['create', 'clone', 'destroy', 'relocate', 'disk', 'disk', 'power',
                           'power', 'reserve', 'snapshot', 'migrate', 'load', 'load',
                           'host load', 'tick'])
        existing = vms()
        vm = rng.choice(existing)
        datastore = rng.choice(datastores)
        if kind == 'create':
            made += 1
            _finish(datacenter.vmFolder.CreateVM_Task(config=vim.vm.ConfigSpec(
                name='rollup-new-%d' % made, guestId='otherGuest64', numCPUs=1,
                memoryMB=rng.choice([128, 512]),
                files=vim.vm.FileInfo(vmPathName='[%s]' % datastore.name),
                deviceChange=[vim.vm.device.VirtualDeviceSpec(
                    operation='add', device=vim.vm.device.ParaVirtualSCSIController(
                        key=-100, busNumber=0, sharedBus='noSharing'))]),
                pool=rng.choice(pools)))
        elif kind == 'clone':
            made += 1
            _finish(vm.CloneVM_Task(folder=datacenter.vmFolder, name='rollup-clone-%d' % made,
                                    spec=vim.vm.CloneSpec(
                                        location=vim.vm.RelocateSpec(datastore=datastore),
                                        powerOn=rng.random() < 0.5)))
        elif kind == 'destroy' and len(existing) > 4:
            if vm.runtime.powerState == 'poweredOn':
                _finish(vm.PowerOffVM_Task())
            _finish(vm.Destroy_Task())
        elif kind == 'relocate':
            _finish(vm.RelocateVM_Task(spec=vim.vm.RelocateSpec(datastore=datastore)))
        elif kind == 'disk':
            _finish(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(
                deviceChange=[_disk_spec(vm, datastore, rng)])))
        elif kind == 'power':
            _finish(vm.PowerOffVM_Task() if vm.runtime.powerState == 'poweredOn'
                    else vm.PowerOnVM_Task())
        elif kind == 'reserve':
            _finish(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(
                cpuAllocation=vim.ResourceAllocationInfo(reservation=rng.choice([0, 100, 500])),
                memoryAllocation=vim.ResourceAllocationInfo(
                    reservation=rng.choice([0, 64, 128])))))
        elif kind == 'snapshot':
            _finish(vm.CreateSnapshot_Task(name='s%d' % step, memory=False, quiesce=False))
        elif kind == 'migrate':
            _finish(vm.MigrateVM_Task(host=rng.choice(hosts), priority='defaultPriority'))
        elif kind == 'load':
            on_reactor(load_model(sim.sim).set_vm_load, _model_of(sim, vm),
                       rng.choice([None, 0.1, 1.0]), rng.choice([None, 0.5, 1.0]))
        elif kind == 'host load':   # up to contention: VMs get a share of their demand
            on_reactor(load_model(sim.sim).set_host_load, _model_of(sim, rng.choice(hosts)),
                       rng.choice([None, 0.5, 0.99]), None)
        elif kind == 'tick':
            on_reactor(sim.sim.time.advance, SAMPLE_SECONDS)
        assert on_reactor(rollup_violations, sim.sim) == [], (step, kind)

    # what a client reads agrees with the VMs it lists
    for cluster in clusters:
        usage = cluster.summary.usageSummary
        members = [vm for vm in all_of(si, vim.VirtualMachine) if vm.runtime.host in cluster.host]
        assert (usage.totalVmCount, usage.poweredOffVmCount) == (
            len(members), sum(1 for vm in members if vm.runtime.powerState != 'poweredOn'))
