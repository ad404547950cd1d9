"""A filter following container views (updates.PropertyFilter.follows_views)
takes VMs coming, going and moving as deltas instead of planning again: what
its client holds must stay what a fresh retrieval of the same spec says,
whatever the inventory does. A watcher of five views (the VMs of the whole
inventory, of a datacenter's VM folders, of a cluster, one host's own VMs,
and every entity), each a filter, follows a run of random operations of
another session; after each, every filter's updates are applied and
compared with a retrieval of its spec."""
import random

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, on_reactor

PC = vmodl.query.PropertyCollector


@pytest.fixture(scope='module')
def server(validator):
    return _simulator(validator, tls=False)


def _view_spec(view):
    """The names of what `view` lists: its VMs, or every entity of a view of
    every type."""
    return PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[PC.TraversalSpec(
            name='view', type=vim.view.ContainerView, path='view', skip=False)])],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine if view.type else vim.ManagedEntity,
                                 pathSet=['name'])])


def _apply(collector, version, held):
    """Apply every update logged after `version` to `held` (filter moid ->
    {VM moid: name})."""
    while True:
        answer = collector.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=0))
        if answer is None:
            return version
        version = answer.version
        for filter_set in answer.filterSet:
            names = held[filter_set.filter._moId]
            for update in filter_set.objectSet:
                if update.kind == 'leave':
                    del names[update.obj._moId]
                else:
                    names.setdefault(update.obj._moId, None)
                    for change in update.changeSet:
                        names[update.obj._moId] = change.val


def _retrieved(collector, spec):
    return {content.obj._moId: content.propSet[0].val
            for content in collector.RetrieveContents([spec])}


class Inventory:
    """The operations a session runs on the default inventory."""

    def __init__(self, si):
        self.si = si
        content = si.RetrieveContent()
        self.dc = content.rootFolder.childEntity[0]
        self.cluster = next(c for c in self.dc.hostFolder.childEntity
                            if isinstance(c, vim.ClusterComputeResource))
        self.standalone = next(c for c in self.dc.hostFolder.childEntity
                               if not isinstance(c, vim.ClusterComputeResource))
        self.folder = self.dc.vmFolder.CreateFolder('followed')
        self.pool = self.cluster.resourcePool.CreateResourcePool('followed', _pool_spec())
        self.made = 0
        self.after = lambda: None   # what the test checks within an operation

    def vms(self):
        return [vm for vm in all_of(self.si, vim.VirtualMachine) if not vm.config.template]

    def create(self, rng):
        compute = rng.choice([self.cluster, self.standalone])
        pool = rng.choice([compute.resourcePool, self.pool] if compute is self.cluster
                          else [compute.resourcePool])
        folder = rng.choice([self.dc.vmFolder, self.folder])
        self.made += 1
        WaitForTask(folder.CreateVM_Task(vim.vm.ConfigSpec(
            name='followed-%d' % self.made, guestId='otherGuest64', numCPUs=1, memoryMB=64,
            files=vim.vm.FileInfo(vmPathName='[LocalDS_0]')), pool,
            rng.choice(compute.host)))

    def destroy(self, rng, vm):
        if vm.runtime.powerState != 'poweredOff':
            WaitForTask(vm.PowerOffVM_Task())
        WaitForTask(vm.Destroy_Task())

    def power(self, rng, vm):
        WaitForTask(vm.PowerOnVM_Task() if vm.runtime.powerState == 'poweredOff'
                    else vm.PowerOffVM_Task())

    def migrate(self, rng, vm):
        compute = vm.resourcePool.owner
        others = [host for host in compute.host if host != vm.runtime.host]
        if others:
            WaitForTask(vm.MigrateVM_Task(host=rng.choice(others), priority='defaultPriority'))

    def move_pool(self, rng, vm):
        if vm.resourcePool.owner == self.cluster:
            target = self.pool if vm.resourcePool != self.pool else self.cluster.resourcePool
            target.MoveIntoResourcePool([vm])

    def move_folder(self, rng, vm):
        target = self.folder if vm.parent != self.folder else self.dc.vmFolder
        WaitForTask(target.MoveIntoFolder_Task([vm]))

    def reregister(self, rng, vm):
        if vm.runtime.powerState != 'poweredOff':
            WaitForTask(vm.PowerOffVM_Task())
        path, pool, host = vm.config.files.vmPathName, vm.resourcePool, vm.runtime.host
        vm.UnregisterVM()
        WaitForTask(self.dc.vmFolder.RegisterVM_Task(path=path, asTemplate=False, pool=pool,
                                                     host=host))

    def clone(self, rng, vm):
        self.made += 1
        WaitForTask(vm.CloneVM_Task(folder=rng.choice([self.dc.vmFolder, self.folder]),
                                    name='followed-%d' % self.made,
                                    spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec())))

    def relocate(self, rng, vm):
        """To the other compute resource: another pool and host."""
        compute = self.standalone if vm.resourcePool.owner == self.cluster else self.cluster
        WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(
            pool=compute.resourcePool, host=rng.choice(compute.host))))

    def template(self, rng, vm):
        """Made a template (out of its pool) and back."""
        if vm.runtime.powerState != 'poweredOff':
            WaitForTask(vm.PowerOffVM_Task())
        vm.MarkAsTemplate()
        self.after()
        vm.MarkAsVirtualMachine(pool=self.pool, host=rng.choice(self.cluster.host))

    def rename(self, rng, vm):
        self.made += 1
        WaitForTask(vm.Rename_Task('renamed-%d' % self.made))

    def new_folder(self, rng, vm):
        """A change of shape deltas do not follow: the filter plans again."""
        self.made += 1
        folder = self.dc.vmFolder.CreateFolder('followed-%d' % self.made)
        WaitForTask(folder.MoveIntoFolder_Task([vm]))


def _pool_spec():
    allocation = vim.ResourceAllocationInfo(reservation=0, limit=-1, expandableReservation=True,
                                            shares=vim.SharesInfo(level='normal'))
    return vim.ResourceConfigSpec(cpuAllocation=allocation, memoryAllocation=allocation)


OPERATIONS = ('destroy', 'power', 'migrate', 'move_pool', 'move_folder', 'reregister',
              'clone', 'relocate', 'template', 'rename', 'new_folder')


def test_a_view_watcher_holds_what_a_retrieval_says(server):
    si = server.connect()
    watcher = server.connect()
    inventory = Inventory(si)
    content = watcher.RetrieveContent()
    host = inventory.cluster.host[0]
    views = [content.viewManager.CreateContainerView(container, kinds, recursive)
             for container, kinds, recursive in (
                 (content.rootFolder, [vim.VirtualMachine], True),
                 (inventory.dc.vmFolder, [vim.VirtualMachine], True),
                 (inventory.cluster, [vim.VirtualMachine], True),
                 (host, [vim.VirtualMachine], False), (content.rootFolder, [], True))]
    collector = content.propertyCollector
    specs = {collector.CreateFilter(_view_spec(view), True)._moId: _view_spec(view)
             for view in views}
    assert on_reactor(lambda: [f.follows_views for f in server.sim.objects.of_type(
        'PropertyFilter') if f.ref.value in specs]) == [True] * 5
    held = {moid: {} for moid in specs}
    version = _apply(collector, '', held)

    def retrieved():
        return {moid: _retrieved(collector, spec) for moid, spec in specs.items()}
    assert held == retrieved()
    rng = random.Random(20261204)
    done = []

    def check():
        nonlocal version
        version = _apply(collector, version, held)
        assert held == retrieved(), done
    inventory.after = check
    for _ in range(80):
        vms = inventory.vms()
        operation = 'create' if len(vms) < 4 or rng.random() < 0.25 else rng.choice(OPERATIONS)
        if operation == 'create':
            inventory.create(rng)
        else:
            getattr(inventory, operation)(rng, rng.choice(vms))
        done.append(operation)
        check()
    assert set(done) >= set(OPERATIONS) | {'create'}, done
