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

ServiceInstance's older ValidateMigration and QueryVMotionCompatibility
(API 2.0) come here too (`validate_migration`, `vmotion_compatibility`):
the same rules, answered as MigrationEvents and HostVMotionCompatibility.
"""
from vimsim.managed.manager import manager_type
from vimsim.managed.entity import data_types
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.managed.vm.admission import (DATASTORE_TESTS, HOST_TESTS, NETWORK_TESTS, POOL_TESTS,
                                         SOURCE_TESTS, cpu_problems, migration_problems)
from vimsim.managed.vm.clone_rules import (InstantCloneLocation, clone_placement, clone_problems,
                                           instant_clone_problems)
from vimsim.managed.vm.compatibility_checker import PlacementChecker
from vimsim.managed.vm.provisioning import event_argument, invalid_argument
from vimsim.managed.vm.vm_task import invalid_power_state
from vimsim.soap.fault import fault, localized


# ValidateMigrationTestType (API 2.0's test groups) -> the CheckTestType groups each covers
VALIDATE_TESTS = {'sourceTests': (SOURCE_TESTS,), 'compatibilityTests': (HOST_TESTS, NETWORK_TESTS),
                  'diskAccessibilityTests': (DATASTORE_TESTS,), 'resourceTests': (POOL_TESTS,)}
# VMotionCompatibilityType values
VMOTION_COMPATIBILITY = ('cpu', 'software')


def refusals(vm, state, tests):
    """What MigrateVM_Task refuses of `vm` itself: a template; with the
    source tests, not being in the power `state` asked for."""
    found = []
    if vm.template:
        found.append(fault('NotSupported', 'The operation is not supported on the object.'))
    if SOURCE_TESTS in tests and state is not None and state != vm.power_state:
        found.append(invalid_power_state(state, vm.power_state))
    return found


@manager_type('VirtualMachineProvisioningChecker')
class VirtualMachineProvisioningChecker(PlacementChecker):

    def CheckMigrate_Task(self, ctx, vm, host=None, pool=None, state=None, testType=()):
        """Would MigrateVM_Task of `vm` to each target host in the pool succeed."""
        tests = self.tests_of(testType)
        vm, hosts, pool = self.targets(vm, host, pool)
        return self.check_task(ctx, 'CheckMigrate_Task', vm, hosts, lambda target: (
            refusals(vm, state, tests) + migration_problems(vm, target, pool, tests=tests)))

    def validate_migration(self, ctx, vms, state, test_type, host, pool):
        """ServiceInstance.ValidateMigration: CheckMigrate_Task's rules for
        each VM and target host, answered (not logged) as MigrationEvents:
        a problem of the VM itself as a MigrationErrorEvent, of the pool's
        admission as a MigrationResourceErrorEvent, of the host (its state,
        CPUs, capacity, datastores, networks) as a MigrationHostErrorEvent.
        A DRS cluster without a usable host is NoActiveHostInCluster."""
        groups = []
        for value in test_type:
            if value not in VALIDATE_TESTS:
                raise invalid_argument('testType')
            groups.extend(VALIDATE_TESTS[value])
        groups = tuple(groups) or tuple(g for each in VALIDATE_TESTS.values() for g in each)
        if not vms:
            raise invalid_argument('vm')
        events = event_manager(self.server)
        found = []
        for ref in vms:
            vm, hosts, target_pool = self.targets(ref, host, pool)
            if not hosts:
                compute = target_pool.owner_object
                raise fault('NoActiveHostInCluster', 'The compute resource %s has no host in a '
                            'state to run the virtual machine.' % compute.name,
                            computeResource=compute.ref)

            def report(type_name, problems, **fields):
                found.extend(events.completed(self.server.schema.types[type_name].cls(
                    fault=localized(problem), **fields), vm, ctx=ctx) for problem in problems)
            report('MigrationErrorEvent', refusals(vm, state, groups))
            for target in hosts:
                dst_host = event_argument(self.server, 'HostEventArgument', 'host', target)
                for group in groups:
                    problems = migration_problems(vm, target, target_pool, tests=(group,))
                    if group == SOURCE_TESTS:
                        report('MigrationErrorEvent', problems)
                    elif group == POOL_TESTS:
                        report('MigrationResourceErrorEvent', problems, dstHost=dst_host,
                               dstPool=event_argument(self.server, 'ResourcePoolEventArgument',
                                                      'resourcePool', target_pool))
                    else:
                        report('MigrationHostErrorEvent', problems, dstHost=dst_host)
        return found

    def vmotion_compatibility(self, vm, hosts, compatibility):
        """ServiceInstance.QueryVMotionCompatibility: per host, which of the
        `compatibility` types (all when none) hold for `vm`: 'cpu' when the
        host has the logical CPUs it needs (the simulated hosts share one
        CPU model), 'software' when the host is connected and its product
        supports vMotion."""
        for value in compatibility:
            if value not in VMOTION_COMPATIBILITY:
                raise invalid_argument('compatibility')
        wanted = tuple(compatibility) or VMOTION_COMPATIBILITY
        vm = self.resolve_of(vm, 'VirtualMachine', 'vm')
        targets = [self.resolve_of(ref, 'HostSystem', 'host') for ref in hosts]
        T = data_types(self.server)

        def holds(kind, target):
            if kind == 'cpu':
                return not cpu_problems(vm, target)
            return target.connection_state == 'connected' and bool(
                target.capability.vmotionSupported)
        return [T.HostVMotionCompatibility(host=target.ref, compatibility=[
            kind for kind in wanted if holds(kind, target)]) for target in targets]

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
