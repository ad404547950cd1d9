"""Folder operations as vCenter does them, driven by unmodified pyVmomi over
the socket: CreateDatacenter (with its four folders), CreateClusterEx /
CreateCluster (root pool, environment browser, the spec's DRS/HA flags),
CreateStoragePod, MoveIntoFolder_Task across kinds, Rename_Task and
Destroy_Task of each kind with vCenter's faults; a second session's
WaitForUpdatesEx sees each step, QueryEvents finds each event.

A simulator of its own (two datastores, two portgroups): these tests change
the inventory.
"""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, task_fault as _fault_of


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, ds=2, pg=2)


def _events(si, entity, kind, recursion='self'):
    spec = vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=entity, recursion=recursion),
        eventTypeId=[kind])
    return si.content.eventManager.QueryEvents(spec)


class Watcher:
    """A second session watching the whole inventory with WaitForUpdatesEx."""

    def __init__(self, sim):
        self.si = sim.connect()
        content = self.si.RetrieveContent()
        self.view = content.viewManager.CreateContainerView(content.rootFolder, [], True)
        PC = vmodl.query.PropertyCollector
        spec = PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=self.view, skip=True, selectSet=[
                PC.TraversalSpec(name='view', type=vim.view.ContainerView, path='view')])],
            propSet=[PC.PropertySpec(type=vim.ManagedEntity, pathSet=['name', 'parent'])])
        self.collector = content.propertyCollector
        self.filter = self.collector.CreateFilter(spec, partialUpdates=False)
        self.version = ''
        self.next()

    def next(self):
        """{(moid, kind): {property: value}} of one WaitForUpdatesEx answer."""
        found = {}
        while True:
            result = self.collector.WaitForUpdatesEx(
                self.version, vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=5))
            if result is None:
                return found
            self.version = result.version
            for update in result.filterSet:
                for change in update.objectSet:
                    values = found.setdefault((change.obj._moId, change.kind), {})
                    for item in change.changeSet:
                        values[item.name] = item.val
            if not result.truncated:
                return found

    def saw(self, obj, kind, **values):
        seen = self.next()
        entry = seen.get((obj._moId, kind))
        assert entry is not None, (obj, kind, seen)
        for name, value in values.items():
            assert entry.get(name) == value, (name, entry)

    def close(self):
        self.filter.Destroy()
        self.si.content.sessionManager.Logout()


@pytest.fixture
def watcher(sim):
    watching = Watcher(sim)
    yield watching
    watching.close()


def test_create_datacenter(si, watcher):
    root = si.content.rootFolder
    dc = root.CreateDatacenter('fold-dc')
    assert isinstance(dc, vim.Datacenter) and dc.parent == root and dc in root.childEntity
    names = {f.name: set(f.childType) for f in (dc.vmFolder, dc.hostFolder,
                                                  dc.datastoreFolder, dc.networkFolder)}
    assert names == {'vm': {'Folder', 'VirtualMachine', 'VirtualApp'},
                     'host': {'Folder', 'ComputeResource'},
                     'datastore': {'Folder', 'Datastore', 'StoragePod'},
                     'network': {'Folder', 'Network', 'DistributedVirtualSwitch'}}
    assert all(f.parent == dc for f in (dc.vmFolder, dc.hostFolder))
    watcher.saw(dc, 'enter', name='fold-dc')
    event, = _events(si, dc, 'DatacenterCreatedEvent')
    assert event.parent.folder == root and event.datacenter.datacenter == dc
    with pytest.raises(vim.fault.DuplicateName):
        root.CreateDatacenter('fold-dc')
    with pytest.raises(vim.fault.InvalidName):
        root.CreateDatacenter('')
    with pytest.raises(vmodl.fault.NotSupported):
        dc.vmFolder.CreateDatacenter('nested')
    assert WaitForTask(dc.Destroy()) == 'success'
    watcher.saw(dc, 'leave')
    assert dc._moId not in [e._moId for e in root.childEntity]


def test_create_cluster_and_pod(si, watcher):
    dc = si.content.rootFolder.CreateDatacenter('fold-dc2')
    watcher.next()
    spec = vim.cluster.ConfigSpecEx(drsConfig=vim.cluster.DrsConfigInfo(enabled=True),
                                    dasConfig=vim.cluster.DasConfigInfo(enabled=True))
    cluster = dc.hostFolder.CreateClusterEx('fold-c', spec)
    assert isinstance(cluster, vim.ClusterComputeResource) and cluster.parent == dc.hostFolder
    assert cluster.configurationEx.drsConfig.enabled is True
    assert cluster.configurationEx.dasConfig.enabled is True
    pool = cluster.resourcePool
    assert pool.name == 'Resources' and pool.owner == cluster and pool.parent == cluster
    assert cluster.environmentBrowser is not None and cluster.host == []
    watcher.saw(cluster, 'enter', name='fold-c')
    event, = _events(si, cluster, 'ClusterCreatedEvent')
    assert event.parent.folder == dc.hostFolder
    old = dc.hostFolder.CreateCluster('fold-old', vim.cluster.ConfigSpec())
    assert old.configurationEx.drsConfig.enabled is False
    with pytest.raises(vim.fault.DuplicateName):
        dc.hostFolder.CreateClusterEx('fold-c', vim.cluster.ConfigSpecEx())
    with pytest.raises(vmodl.fault.NotSupported):
        dc.vmFolder.CreateClusterEx('fold-x', vim.cluster.ConfigSpecEx())
    elsewhere = si.content.rootFolder.childEntity[0].vmFolder.childEntity[0]
    with pytest.raises(vmodl.fault.InvalidArgument):   # a rule naming a VM it cannot hold
        dc.hostFolder.CreateClusterEx('fold-y', vim.cluster.ConfigSpecEx(
            rulesSpec=[vim.cluster.RuleSpec(operation='add', info=vim.cluster.AffinityRuleSpec(
                name='r', vm=[elsewhere]))]))
    pod = dc.datastoreFolder.CreateStoragePod('fold-pod')
    assert isinstance(pod, vim.StoragePod) and pod.childType == ['Datastore']
    assert pod.summary.capacity == 0 and pod.podStorageDrsEntry.storageDrsConfig.podConfig.enabled
    with pytest.raises(vmodl.fault.NotSupported):
        dc.hostFolder.CreateStoragePod('fold-pod2')
    with pytest.raises(vim.fault.DuplicateName):
        dc.datastoreFolder.CreateStoragePod('fold-pod')
    # a folder's destroy takes the clusters in it, with their pools
    holder = dc.hostFolder.CreateFolder('fold-holder')
    inner = holder.CreateClusterEx('fold-inner', vim.cluster.ConfigSpecEx())
    inner_pool = inner.resourcePool
    watcher.next()
    assert WaitForTask(holder.Destroy()) == 'success'
    seen = watcher.next()
    assert all((gone._moId, 'leave') in seen for gone in (holder, inner, inner_pool))
        # destroying the cluster takes its pool and browser with it
    assert WaitForTask(cluster.Destroy()) == 'success'
    destroyed = [e.computeResource.computeResource
                 for e in _events(si, dc, 'ClusterDestroyedEvent', 'all')]
    assert destroyed == [cluster, inner]
    watcher.next()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        pool.name
    assert cluster not in dc.hostFolder.childEntity
    assert WaitForTask(dc.Destroy()) == 'success'


def _dc0(si):
    return next(e for e in si.content.rootFolder.childEntity if e.name == 'DC0')


def test_move_between_folders_and_rename(si, watcher):
    dc = _dc0(si)
    vm = next(v for v in dc.vmFolder.childEntity if isinstance(v, vim.VirtualMachine))
    tree = dc.vmFolder.CreateFolder('fold-a')
    inner = tree.CreateFolder('fold-b')
    watcher.next()
    assert WaitForTask(inner.MoveIntoFolder_Task([vm])) == 'success'
    assert vm.parent == inner
    watcher.saw(vm, 'modify', parent=inner)
    # across kinds, into itself, the datacenter's own folders: vCenter's faults
    assert isinstance(_fault_of(dc.hostFolder.MoveIntoFolder_Task([vm])), vmodl.fault.NotSupported)
    assert isinstance(_fault_of(inner.MoveIntoFolder_Task([tree])), vim.fault.InvalidFolder)
    assert isinstance(_fault_of(tree.MoveIntoFolder_Task([dc.vmFolder])),
                      vmodl.fault.NotSupported)
    inner.CreateFolder('fold-a')
    assert isinstance(_fault_of(inner.MoveIntoFolder_Task([tree])), vim.fault.InvalidFolder)
    cluster = next(c for c in dc.hostFolder.childEntity
                   if isinstance(c, vim.ClusterComputeResource))
    host_sub = dc.hostFolder.CreateFolder('fold-hosts')
    assert WaitForTask(host_sub.MoveIntoFolder_Task([cluster])) == 'success'
    assert cluster.parent == host_sub
    assert WaitForTask(dc.hostFolder.MoveIntoFolder_Task([cluster])) == 'success'
    # rename each kind; a sibling's name answers DuplicateName
    network = dc.networkFolder.childEntity[0]
    datastore = dc.datastoreFolder.childEntity[0]
    pod = dc.datastoreFolder.CreateStoragePod('fold-pod')
    watcher.next()
    # a datastore moved into the pod: the pod's summary (rolled up) follows, both ways
    PC = vmodl.query.PropertyCollector
    pod_filter = watcher.collector.CreateFilter(PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=vim.StoragePod(pod._moId, watcher.si._stub))],
        propSet=[PC.PropertySpec(type=vim.StoragePod, pathSet=['summary'])]), True)
    assert watcher.next()[(pod._moId, 'enter')]['summary'].capacity == 0
    spare = next(d for d in dc.datastore if d.name == 'LocalDS_1')
    assert WaitForTask(pod.MoveIntoFolder_Task([spare])) == 'success'
    assert watcher.next()[(pod._moId, 'modify')]['summary'].capacity == spare.summary.capacity
    assert isinstance(_fault_of(pod.MoveIntoFolder_Task([tree])), vmodl.fault.NotSupported)
    assert WaitForTask(dc.datastoreFolder.MoveIntoFolder_Task([spare])) == 'success'
    assert watcher.next()[(pod._moId, 'modify')]['summary'].capacity == 0
    pod_filter.Destroy()
    host = cluster.host[0]
    for entity, new in ((dc, 'DC0-renamed'), (cluster, 'fold-cluster'), (tree, 'fold-tree'),
                        (pod, 'fold-pod2'), (vm, 'fold-vm'), (host, 'fold-host'),
                        (network, 'fold-net'), (datastore, 'fold-ds')):
        assert WaitForTask(entity.Rename(new)) == 'success'
        assert entity.name == new
        watcher.saw(entity, 'modify', name=new)
    assert _events(si, dc, 'DatacenterRenamedEvent')[0].newName == 'DC0-renamed'
    assert _events(si, datastore, 'DatastoreRenamedEvent')[0].oldName == 'LocalDS_0'
    assert isinstance(_fault_of(pod.Rename(datastore.name)), vim.fault.DuplicateName)
    assert isinstance(_fault_of(tree.Rename('x' * 81)), vim.fault.InvalidName)
    assert WaitForTask(dc.Rename('DC0')) == 'success'
    assert WaitForTask(datastore.Rename('LocalDS_0')) == 'success'


def test_sibling_names_follow_renames_moves_and_destroys(si):
    """DuplicateName comes from a folder's children as they are named now:
    a create is refused a name a sibling took by Rename_Task or a reconfigure,
    and allowed the names that a rename, a move or a destroy gave up."""
    dc = _dc0(si)
    pool = next(c for c in dc.hostFolder.childEntity
                if isinstance(c, vim.ClusterComputeResource)).resourcePool
    folder = dc.vmFolder.CreateFolder('fold-names')

    def create(name):
        spec = vim.vm.ConfigSpec(name=name, guestId='otherGuest64', numCPUs=1, memoryMB=64,
                                 files=vim.vm.FileInfo(vmPathName='[LocalDS_0]'))
        task = folder.CreateVM_Task(spec, pool)
        try:
            WaitForTask(task)
        except vim.fault.DuplicateName as fault:
            return fault
        return task.info.result

    first = create('names-a')
    assert isinstance(create('names-a'), vim.fault.DuplicateName)
    assert WaitForTask(first.Rename('names-b')) == 'success'
    assert isinstance(create('names-b'), vim.fault.DuplicateName)
    second = create('names-a')          # given up by the rename
    assert isinstance(second, vim.VirtualMachine)
    assert isinstance(_fault_of(second.Rename('names-b')), vim.fault.DuplicateName)
    assert WaitForTask(second.ReconfigVM_Task(vim.vm.ConfigSpec(name='names-c'))) == 'success'
    with pytest.raises(vim.fault.DuplicateName):
        folder.CreateFolder('names-c')
    assert isinstance(create('names-a'), vim.VirtualMachine)   # given up by the reconfigure
    assert WaitForTask(dc.vmFolder.MoveIntoFolder_Task([first])) == 'success'
    assert isinstance(create('names-b'), vim.VirtualMachine)   # given up by the move
    assert WaitForTask(second.Destroy()) == 'success'
    folder.CreateFolder('names-c')                              # given up by the destroy
    # a vApp is listed in its folder, its parent being its pool: its rename counts there too
    allocation = vim.ResourceAllocationInfo(reservation=0, limit=-1, expandableReservation=True,
                                            shares=vim.SharesInfo(level='normal'))
    vapp = pool.CreateVApp('names-app', vim.ResourceConfigSpec(
        cpuAllocation=allocation, memoryAllocation=allocation), vim.vApp.VAppConfigSpec(), folder)
    assert isinstance(create('names-app'), vim.fault.DuplicateName)
    assert WaitForTask(vapp.Rename('names-d')) == 'success'
    assert isinstance(create('names-d'), vim.fault.DuplicateName)
    assert isinstance(create('names-app'), vim.VirtualMachine)
    assert sorted(child.name for child in folder.childEntity) == [
        'names-a', 'names-app', 'names-b', 'names-c', 'names-d']


def test_destroy_with_contents(si, watcher):
    dc = _dc0(si)
    # a datastore in a folder is in use; a powered-on VM refuses the folder's destroy
    holder = dc.datastoreFolder.CreateFolder('fold-ds-holder')
    datastore = next(d for d in dc.datastoreFolder.childEntity if isinstance(d, vim.Datastore))
    assert WaitForTask(holder.MoveIntoFolder_Task([datastore])) == 'success'
    assert isinstance(_fault_of(holder.Destroy()), vim.fault.ResourceInUse)
    assert WaitForTask(dc.datastoreFolder.MoveIntoFolder_Task([datastore])) == 'success'
    assert WaitForTask(holder.Destroy()) == 'success'
    # a datastore VMs live on is in use; an unused one leaves its hosts and folder
    assert isinstance(_fault_of(datastore.Destroy()), vim.fault.ResourceInUse)
    unused = next(d for d in dc.datastore if d.name == 'LocalDS_1')
    mounting = [mount.key for mount in unused.host]
    watcher.next()
    assert WaitForTask(unused.Destroy()) == 'success'
    watcher.saw(unused, 'leave')
    assert unused not in dc.datastore and unused not in dc.datastoreFolder.childEntity
    assert all(unused not in host.datastore for host in mounting)
    # a network hosts or VMs use is in use; so is a portgroup VMs are on; one nobody uses goes
    network = next(n for n in dc.network if n.name == 'VM Network')
    assert isinstance(_fault_of(network.Destroy()), vim.fault.ResourceInUse)
    dvs = next(s for s in dc.networkFolder.childEntity
               if isinstance(s, vim.DistributedVirtualSwitch))
    used = next(pg for pg in dvs.portgroup if pg.vm)
    assert isinstance(_fault_of(used.Destroy()), vim.fault.ResourceInUse)
    uplink, = dvs.config.uplinkPortgroup
    with pytest.raises(vmodl.fault.NotSupported):
        uplink.Destroy()
    unused = next(pg for pg in dvs.portgroup if pg.name == 'DC0_DVPG1')
    assert unused.vm == []
    watcher.next()
    assert WaitForTask(unused.Destroy()) == 'success'
    watcher.saw(unused, 'leave')
    assert unused not in dvs.portgroup and unused not in dc.network
    event, = _events(si, dc, 'DVPortgroupDestroyedEvent', 'all')
    assert event.net.network == unused and event.dvs.dvs == dvs
    cluster = next(c for c in dc.hostFolder.childEntity
                   if isinstance(c, vim.ClusterComputeResource))
    vms = [vm for host in cluster.host for vm in host.vm]
    assert vms
    if vms[0].runtime.powerState != 'poweredOn':
        WaitForTask(vms[0].PowerOn())
    error = _fault_of(cluster.Destroy())
    assert isinstance(error, vim.fault.InvalidPowerState)
    assert cluster in dc.hostFolder.childEntity
    for vm in vms:
        if vm.runtime.powerState == 'poweredOn':
            WaitForTask(vm.PowerOff())
    hosts = list(cluster.host)
    watcher.next()
    assert WaitForTask(cluster.Destroy()) == 'success'
    seen = watcher.next()
    for gone in [cluster] + hosts + vms:
        assert (gone._moId, 'leave') in seen, gone
    assert len(_events(si, dc, 'HostRemovedEvent', 'all')) == len(hosts)
    assert len(_events(si, dc, 'VmRemovedEvent', 'all')) >= len(vms)
    assert cluster not in dc.hostFolder.childEntity
    assert all(h not in [mount.key for mount in datastore.host] for h in hosts)
    # the datacenter goes with everything left in it, once its VMs are off
    running = [vm for vm in all_of(si, vim.VirtualMachine)
               if vm.runtime.powerState == 'poweredOn']
    assert running
    assert isinstance(_fault_of(dc.Destroy()), vim.fault.InvalidPowerState)
    for vm in running:
        WaitForTask(vm.PowerOff())
    watcher.next()
    assert WaitForTask(dc.Destroy()) == 'success'
    seen = watcher.next()
    assert (dc._moId, 'leave') in seen and (datastore._moId, 'leave') in seen
    assert si.content.rootFolder.childEntity == []

