"""PropertyCollector through unmodified pyVmomi: specs, traversal, paging."""
import pytest
from pyVim.connect import Disconnect
from pyVmomi import vim, vmodl

from tests.conftest import _simulator

PC = vmodl.query.PropertyCollector


def container_view(content, types, recursive=True):
    return content.viewManager.CreateContainerView(content.rootFolder, types, recursive)


def retrieve_all(content, spec, page=None):
    """Every ObjectContent of a RetrievePropertiesEx, following tokens."""
    collector = content.propertyCollector
    result = collector.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=page))
    objects = []
    pages = 0
    while result is not None:
        pages += 1
        objects.extend(result.objects)
        if not result.token:
            break
        result = collector.ContinueRetrievePropertiesEx(result.token)
    return objects, pages


def view_spec(view, type_, paths=None, all_=False):
    return PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[PC.TraversalSpec(
            name='traverseView', path='view', skip=False, type=vim.view.ContainerView)])],
        propSet=[PC.PropertySpec(type=type_, pathSet=paths or [], all=all_)])


def test_list_vms_with_container_view(si):
    content = si.RetrieveContent()
    view = container_view(content, [vim.VirtualMachine])
    paths = ['name', 'runtime.powerState', 'summary.config.numCpu', 'config.hardware.memoryMB']
    objects, _ = retrieve_all(content, view_spec(view, vim.VirtualMachine, paths))
    names = {}
    for obj in objects:
        props = {p.name: p.val for p in obj.propSet}
        assert set(props) == set(paths)
        assert props['runtime.powerState'] in ('poweredOn', 'poweredOff', 'suspended')
        assert props['summary.config.numCpu'] >= 1 and props['config.hardware.memoryMB'] >= 4
        names[props['name']] = obj.obj
    assert {'DC0_H0_VM0', 'DC0_H0_VM1', 'DC0_C0_RP0_VM0', 'DC0_C0_RP0_VM1'} <= set(names)
    view.DestroyView()


def test_nested_properties_through_fetch(si):
    content = si.RetrieveContent()
    view = container_view(content, [vim.VirtualMachine])
    vm = view.view[0]
    assert vm.summary.runtime.powerState in ('poweredOn', 'poweredOff')
    devices = vm.config.hardware.device
    assert any(isinstance(d, vim.vm.device.VirtualDisk) for d in devices)
    assert vm.runtime.host.name
    view.DestroyView()


def full_traversal():
    """The classic traversal of the whole inventory from the root folder,
    with named specs referring to each other (recursion)."""
    def select(name):
        return PC.SelectionSpec(name=name)
    folder = PC.TraversalSpec(name='folderTraversal', type=vim.Folder, path='childEntity',
                              skip=False, selectSet=[select('folderTraversal'),
                                                     select('dcVm'), select('dcHost'),
                                                     select('dcDs'), select('dcNet'),
                                                     select('crHost'), select('crRp')])
    specs = [folder]
    for name, path in (('dcVm', 'vmFolder'), ('dcHost', 'hostFolder'),
                       ('dcDs', 'datastoreFolder'), ('dcNet', 'networkFolder')):
        specs.append(PC.TraversalSpec(name=name, type=vim.Datacenter, path=path, skip=False,
                                      selectSet=[select('folderTraversal')]))
    specs.append(PC.TraversalSpec(name='crHost', type=vim.ComputeResource, path='host',
                                  skip=False))
    specs.append(PC.TraversalSpec(name='crRp', type=vim.ComputeResource, path='resourcePool',
                                  skip=False, selectSet=[select('rpRp')]))
    specs.append(PC.TraversalSpec(name='rpRp', type=vim.ResourcePool, path='resourcePool',
                                  skip=False, selectSet=[select('rpRp')]))
    return specs


def test_walk_inventory_with_traversal_specs(si):
    content = si.RetrieveContent()
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=content.rootFolder, skip=False,
                                                  selectSet=full_traversal())],
                         propSet=[PC.PropertySpec(type=vim.ManagedEntity, pathSet=['name'])])
    objects, _ = retrieve_all(content, spec)
    found = {(type(o.obj).__name__, o.propSet[0].val) for o in objects}
    assert ('vim.Folder', 'Datacenters') in found
    assert ('vim.Datacenter', 'DC0') in found
    assert ('vim.ClusterComputeResource', 'DC0_C0') in found
    assert ('vim.HostSystem', 'DC0_C0_H0') in found
    assert ('vim.ResourcePool', 'Resources') in found
    assert ('vim.VirtualMachine', 'DC0_H0_VM0') in found
    assert ('vim.Datastore', 'LocalDS_0') in found
    assert len({o.obj._moId for o in objects}) == len(objects)  # each object once
    # the same entities a recursive container view sees, plus the root folder
    view = container_view(content, [vim.ManagedEntity])
    assert len(view.view) + 1 == len(objects)
    view.DestroyView()


def test_skip_leaves_objects_out_but_traverses(si):
    content = si.RetrieveContent()
    folder = PC.TraversalSpec(name='f', type=vim.Folder, path='childEntity', skip=True)
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=content.rootFolder, skip=True,
                                                  selectSet=[folder])],
                         propSet=[PC.PropertySpec(type=vim.ManagedEntity, pathSet=['name'])])
    assert content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions()) is None
    folder.skip = False
    result = content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    assert [o.propSet[0].val for o in result.objects] == ['DC0']


def test_all_properties_and_legacy_retrieve(si):
    content = si.RetrieveContent()
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=content.rootFolder)],
                         propSet=[PC.PropertySpec(type=vim.Folder, all=True)])
    [obj] = content.propertyCollector.RetrieveContents([spec])
    props = {p.name: p.val for p in obj.propSet}
    assert props['name'] == 'Datacenters'
    assert props['childType'] == ['Folder', 'Datacenter']
    assert props['overallStatus'] == 'green'
    assert 'parent' not in props  # unset properties are not reported


def test_invalid_property_path(si):
    content = si.RetrieveContent()
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=content.rootFolder)],
                         propSet=[PC.PropertySpec(type=vim.Folder, pathSet=['nosuch.thing'])])
    with pytest.raises(vmodl.query.InvalidProperty):
        content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())


def test_missing_objects(si):
    content = si.RetrieveContent()
    ghost = vim.VirtualMachine('vm-424242', si._stub)
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=ghost)],
                         propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=['name'])])
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    spec.reportMissingObjectsInResults = True
    result = content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    [missing] = result.objects[0].missingSet
    assert isinstance(missing.fault, vmodl.fault.ManagedObjectNotFound)


def test_missing_objects_are_paged_after_the_found(si):
    """maxObjects pages the missing refs too, after the objects found: each
    page is at most maxObjects entries, and every ref is answered once."""
    content = si.RetrieveContent()
    ghosts = [vim.VirtualMachine('vm-42424%d' % i, si._stub) for i in range(3)]
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=ref) for ref in ghosts]
                         + [PC.ObjectSpec(obj=content.rootFolder)],
                         propSet=[PC.PropertySpec(type=vim.Folder, pathSet=['name']),
                                  PC.PropertySpec(type=vim.VirtualMachine, pathSet=['name'])],
                         reportMissingObjectsInResults=True)
    collector = content.propertyCollector
    result = collector.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=1))
    pages = [result.objects]
    while result.token:
        result = collector.ContinueRetrievePropertiesEx(result.token)
        pages.append(result.objects)
    assert [len(page) for page in pages] == [1, 1, 1, 1]
    answered = [content.obj._moId for page in pages for content in page]
    assert answered == ['group-d1'] + [ref._moId for ref in ghosts]
    assert all(isinstance(content.missingSet[0].fault, vmodl.fault.ManagedObjectNotFound)
               for page in pages[1:] for content in page)


def test_session_scoped_collectors(si):
    content = si.RetrieveContent()
    collector = content.propertyCollector.CreatePropertyCollector()
    assert collector._moId != content.propertyCollector._moId
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=content.rootFolder)],
                         propSet=[PC.PropertySpec(type=vim.Folder, pathSet=['name'])])
    assert collector.RetrieveContents([spec])[0].propSet[0].val == 'Datacenters'
    collector.Destroy()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        collector.RetrieveContents([spec])


@pytest.fixture(scope='module')
def big(validator):
    """An inventory of a few thousand VMs."""
    return _simulator(validator, tls=False, vm=1200)


def test_paging_1000_at_a_time(big):
    si = big.connect()
    try:
        content = si.RetrieveContent()
        view = container_view(content, [vim.VirtualMachine])
        expected = len(view.view)
        assert expected >= 2400
        objects, pages = retrieve_all(content, view_spec(view, vim.VirtualMachine, ['name']),
                                      page=1000)
        assert len(objects) == expected
        assert pages == -(-expected // 1000)
        assert len({o.obj._moId for o in objects}) == expected
    finally:
        Disconnect(si)


def test_tokens_die_with_the_session(big):
    first, second = big.connect(), big.connect()
    try:
        content = first.RetrieveContent()
        view = container_view(content, [vim.VirtualMachine])
        result = content.propertyCollector.RetrievePropertiesEx(
            [view_spec(view, vim.VirtualMachine, ['name'])], PC.RetrieveOptions(maxObjects=10))
        token = result.token
        other = second.RetrieveContent().propertyCollector
        with pytest.raises(vmodl.fault.InvalidArgument):
            other.ContinueRetrievePropertiesEx(token)
        content.propertyCollector.CancelRetrievePropertiesEx(token)
        with pytest.raises(vmodl.fault.InvalidArgument):
            content.propertyCollector.ContinueRetrievePropertiesEx(token)
    finally:
        Disconnect(first)
        Disconnect(second)
