"""VirtualMachineCompatibilityChecker: CheckCompatibility_Task and
CheckPowerOn_Task answer, per target host, a CheckResult whose errors are the
faults the operations themselves would raise (vm/admission.py's rules: host
state, logical CPUs and capacity, pool reservations, datastore and network
access). CheckVmConfig_Task adds to them what ReconfigVM_Task would refuse
of the spec (`VirtualMachine.config_problems`); the check of a configuration
for a VM yet to be made (no `vm`) is not simulated (NotSupported).

`PlacementChecker` is what this checker and VirtualMachineProvisioningChecker
share: the API reference's reading of `host`, `pool` and `testType`. An unset
pool is the VM's own (or, for a host of another compute resource, that
one's root pool); an unset host is a stand-alone compute resource's host, or
each connected host out of maintenance mode of a DRS cluster; anything else
is InvalidArgument, before a task exists.
"""
from vimsim.managed.entity import data_types
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.vm.admission import (TEST_TYPES, placement_problems,
                                         power_on_problems)
from vimsim.managed.vm.provisioning import host_usable, invalid_argument, is_a
from vimsim.soap.fault import fault, localized


class PlacementChecker(Manager):
    """A checker's handling of the target host, pool and tests."""

    def resolve_of(self, ref, type_name, argument):
        """The object `ref` names (None when unset); InvalidArgument naming
        `argument` when it is not a `type_name`."""
        if ref is None:
            return None
        found = self.server.objects.resolve(ref)
        if not is_a(self.server, found, type_name):
            raise invalid_argument(argument)
        return found

    @staticmethod
    def tests_of(test_type):
        """The CheckTestType values asked for: all when none is."""
        for value in test_type:
            if value not in TEST_TYPES:
                raise invalid_argument('testType')
        return tuple(test_type) or TEST_TYPES

    def targets(self, vm_ref, host_ref, pool_ref):
        """(vm, [hosts to test], pool) for a check's arguments."""
        vm = self.resolve_of(vm_ref, 'VirtualMachine', 'vm')
        host = self.resolve_of(host_ref, 'HostSystem', 'host')
        pool = self.resolve_of(pool_ref, 'ResourcePool', 'pool')
        if vm.template and host is None and pool is None:
            raise invalid_argument('pool')
        if pool is None:
            pool = vm.pool
            if host is not None and (pool is None or host not in pool.owner_object.hosts):
                pool = host.compute_resource.pool if host.compute_resource else None
        if pool is None:
            raise invalid_argument('pool')
        owner = pool.owner_object
        if host is not None:
            if host not in owner.hosts:
                raise invalid_argument('host')
            return vm, [host], pool
        if owner.type_name == 'ComputeResource':
            return vm, list(owner.hosts[:1]), pool
        if not owner.settings.drs.enabled:
            raise invalid_argument('host')
        return vm, [h for h in owner.hosts if host_usable(h) is None], pool

    def check_task(self, ctx, method, vm, hosts, problems_on):
        """Run `method` as a task answering a CheckResult per host, its
        errors `problems_on(host)` (no result when no host qualifies)."""
        def work(task):
            CheckResult = data_types(self.server).CheckResult
            return [CheckResult(vm=vm.ref, host=host.ref, warning=[],
                                error=[localized(p) for p in problems_on(host)])
                    for host in hosts] or None
        return run_task(ctx, None, method, work, this=self)


@manager_type('VirtualMachineCompatibilityChecker')
class VirtualMachineCompatibilityChecker(PlacementChecker):

    def CheckCompatibility_Task(self, ctx, vm, host=None, pool=None, testType=()):
        """Could `vm` run on each target host in the pool: the tests asked for."""
        tests = self.tests_of(testType)
        vm, hosts, pool = self.targets(vm, host, pool)
        return self.check_task(ctx, 'CheckCompatibility_Task', vm, hosts,
                               lambda target: placement_problems(vm, target, pool, tests))

    def CheckPowerOn_Task(self, ctx, vm, host=None, pool=None, testType=()):
        """Would powering `vm` on succeed on each target host: PowerOnVM_Task's
        own refusals (its state, then host and pool admission and the other
        tests asked for)."""
        tests = self.tests_of(testType)
        vm, hosts, pool = self.targets(vm, host, pool)
        return self.check_task(ctx, 'CheckPowerOn_Task', vm, hosts,
                               lambda target: power_on_problems(vm, target, pool, tests))

    def CheckVmConfig_Task(self, ctx, spec, vm=None, host=None, pool=None, testType=()):
        """Would ReconfigVM_Task of `vm` with `spec` succeed, and could the VM
        so configured be on each target host (running there if it runs)."""
        tests = self.tests_of(testType)
        if vm is None:
            raise fault('NotSupported', 'The operation is not supported on the object: the '
                        'check of a configuration without a virtual machine.')
        vm, hosts, pool = self.targets(vm, host, pool)
        running = vm.power_state == 'poweredOn'
        return self.check_task(ctx, 'CheckVmConfig_Task', vm, hosts, lambda target: (
            vm.config_problems(ctx, spec, target) +
            placement_problems(vm, target, pool, tests, running=running)))
