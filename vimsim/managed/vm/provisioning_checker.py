"""VirtualMachineProvisioningChecker: CheckMigrate_Task and CheckRelocate_Task
answer, per target host, a CheckResult whose errors are what MigrateVM_Task
and RelocateVM_Task would refuse the move with (vm/admission.py's
`migration_problems`: the source host connected, the target host usable and,
for a running VM, with enough logical CPUs, the target pool's admission, the
datastores and networks reachable from the target), plus a `state` the VM is
not in. The targets are read as the compatibility checker reads them
(`PlacementChecker`). QueryVMotionCompatibilityEx_Task answers, per VM and
host, what would keep the VM from running there whatever the states of
either (the simulated hosts share one CPU model, so that is the count of
logical CPUs). CheckClone_Task and CheckInstantClone_Task answer, for the
host the clone would go to, what CloneVM_Task and InstantClone_Task would
refuse (vm/clone_rules.py, the operations' own rules).
"""
from vimsim.managed.manager import manager_type
from vimsim.managed.entity import data_types
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.vm.admission import SOURCE_TESTS, cpu_problems, migration_problems
from vimsim.managed.vm.clone_rules import (InstantCloneLocation, clone_placement, clone_problems,
                                           instant_clone_problems)
from vimsim.managed.vm.compatibility_checker import PlacementChecker
from vimsim.managed.vm.vm_task import invalid_power_state
from vimsim.soap.fault import fault, localized


@manager_type('VirtualMachineProvisioningChecker')
class VirtualMachineProvisioningChecker(PlacementChecker):

    def CheckMigrate_Task(self, ctx, vm, host=None, pool=None, state=None, testType=()):
        """Would MigrateVM_Task of `vm` to each target host in the pool succeed."""
        tests = self.tests_of(testType)
        vm, hosts, pool = self.targets(vm, host, pool)

        def problems_on(target):
            found = []
            if vm.template:
                found.append(fault('NotSupported', 'The operation is not supported on the '
                                   'object.'))
            if SOURCE_TESTS in tests and state is not None and state != vm.power_state:
                found.append(invalid_power_state(state, vm.power_state))
            return found + migration_problems(vm, target, pool, tests=tests)
        return self.check_task(ctx, 'CheckMigrate_Task', vm, hosts, problems_on)

    def CheckRelocate_Task(self, ctx, vm, spec, testType=()):
        """Would RelocateVM_Task of `vm` with `spec` (host, pool, datastore)
        succeed on each target host. As the operation does, an unset host is
        the VM's own when the target pool's compute resource holds it."""
        tests = self.tests_of(testType)
        datastore = self.resolve_of(spec.datastore, 'Datastore', 'spec.datastore')
        pool = self.resolve_of(spec.pool, 'ResourcePool', 'spec.pool')
        host = spec.host
        source = self.resolve_of(vm, 'VirtualMachine', 'vm').host
        if host is None and source is not None and (
                pool is None or source in pool.owner_object.hosts):
            host = source.ref
        vm, hosts, pool = self.targets(vm, host, spec.pool)
        datastores = [datastore] if datastore is not None else None
        return self.check_task(ctx, 'CheckRelocate_Task', vm, hosts, lambda target:
                               migration_problems(vm, target, pool, datastores, tests))

    def CheckClone_Task(self, ctx, vm, folder, name, spec, testType=()):
        """Would CloneVM_Task of `vm` to `folder` as `name` with `spec`
        succeed, on the host it would go to."""
        tests = self.tests_of(testType)
        source = self.resolve_of(vm, 'VirtualMachine', 'vm')
        folder = self.resolve_of(folder, 'Folder', 'folder')
        location = spec.location
        pool, host, datastore = (
            self.resolve_of(getattr(location, name, None), kind, 'spec.location.' + name)
            for name, kind in (('pool', 'ResourcePool'), ('host', 'HostSystem'),
                               ('datastore', 'Datastore')))
        if 'VirtualMachine' not in folder.childType:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        target_pool, target, target_ds = clone_placement(source, pool, host, datastore,
                                                         spec.template)
        return self.check_task(ctx, 'CheckClone_Task', source, [target], lambda target: (
            clone_problems(source, folder, name, target_pool, target, target_ds,
                           spec.powerOn and not spec.template, tests)))

    def CheckInstantClone_Task(self, ctx, vm, spec, testType=()):
        """Would InstantClone_Task of `vm` with `spec` succeed on its host."""
        tests = self.tests_of(testType)
        source = self.resolve_of(vm, 'VirtualMachine', 'vm')
        location = InstantCloneLocation(ctx, source, spec)
        return self.check_task(ctx, 'CheckInstantClone_Task', source, [location.host],
                               lambda target: instant_clone_problems(source, location,
                                                                     spec.name, tests))

    def QueryVMotionCompatibilityEx_Task(self, ctx, vm, host):
        """A CheckResult per (VM, host) pair, VMs first: VMs in any power
        state, hosts in any connection state or maintenance mode."""
        vms = [self.resolve_of(ref, 'VirtualMachine', 'vm') for ref in vm]
        hosts = [self.resolve_of(ref, 'HostSystem', 'host') for ref in host]

        def work(task):
            CheckResult = data_types(self.server).CheckResult
            return [CheckResult(vm=one.ref, host=target.ref, warning=[],
                                error=[localized(p) for p in cpu_problems(one, target)])
                    for one in vms for target in hosts]
        return run_task(ctx, None, 'QueryVMotionCompatibilityEx_Task', work, this=self)
