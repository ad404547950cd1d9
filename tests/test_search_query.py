"""SearchIndex.Query and QueryNext (API 9.1) with pyVmomi: a resource type's
objects matching every filter's predicates, the values of the paths asked
for (nested, key-indexed, aggregated, @moRef; empty when unset or not
valid), paging through markers, the total count, and InvalidArgument for
what the query language refuses."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator

Q = vim.SearchIndex


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, autostart=False)


@pytest.fixture
def index(si):
    return si.RetrieveContent().searchIndex


def predicate(path, operator, value=None, values=None, array=None):
    return Q.Predicate(propertyPath=path, operator=operator, comparableValue=value,
                       comparableList=values, arrayOperator=array)


def query(index, kind, properties, *predicates, **options):
    filters = [Q.Filter(predicates=list(predicates))] if predicates else []
    return index.Query(Q.QuerySpec(resourceType=kind, properties=properties,
                                   filters=filters, **options))


def values(result):
    return [[v.value for v in item.propertyValues] for item in result.items]


def test_query_filters_and_projects(si, index):
    vms = si.RetrieveContent().viewManager.CreateContainerView(
        si.content.rootFolder, [vim.VirtualMachine], True).view
    result = query(index, 'VirtualMachine', ['@moRef', 'name', 'runtime.powerState'])
    assert result.properties == ['@moRef', 'name', 'runtime.powerState']
    assert {row[0] for row in values(result)} == set(vms)
    assert all(row[1] == vm.name and row[2] == vm.runtime.powerState
               for row in values(result) for vm in vms if vm == row[0])
    WaitForTask(vms[0].PowerOnVM_Task())
    try:
        result = query(index, 'VirtualMachine', ['name'],
                       predicate('runtime.powerState', 'Equal', 'poweredOn'),
                       predicate('config.hardware.numCPU', 'GreaterOrEqual', 1))
        assert values(result) == [[vms[0].name]]
        result = query(index, 'VirtualMachine', ['name'],
                       predicate('runtime.powerState', 'NotEqual', 'poweredOn'))
        assert {row[0] for row in values(result)} == {vm.name for vm in vms[1:]}
    finally:
        WaitForTask(vms[0].PowerOffVM_Task())
    named = query(index, 'VirtualMachine', ['name'], predicate('name', 'Like', '*_H0_*'))
    assert sorted(row[0] for row in values(named)) == sorted(
        vm.name for vm in vms if '_H0_' in vm.name)
    chosen = query(index, 'VirtualMachine', ['@moRef'],
                   predicate('@moRef', 'In', values=vms[:2]))
    assert sorted(row[0]._moId for row in values(chosen)) == sorted(vm._moId for vm in vms[:2])
    assert query(index, 'VirtualMachine', ['name'],
                 predicate('name', 'Equal', 'no such VM')).items == []


def test_query_arrays_keys_and_empty_values(si, index):
    host = si.content.searchIndex.FindByInventoryPath('/DC0/host/DC0_H0').host[0]
    pnics = host.config.network.pnic
    path = 'config.network.pnic["%s"].mac' % pnics[0].key
    result = query(index, 'HostSystem', [path, 'config.network.pnic[*].device', 'datastore',
                                         'summary.noSuchField', 'config.network.pnic.mac'],
                   predicate('@moRef', 'Equal', host))
    [[mac, devices, datastores, invalid, unindexed]] = values(result)
    assert mac == pnics[0].mac
    assert list(devices) == [p.device for p in pnics]
    assert list(datastores) == list(host.datastore)
    assert invalid is None and unindexed is None
    # an array predicate needs arrayOperator; AnyElement / AllElements
    [ds] = host.datastore[:1]
    found = query(index, 'HostSystem', ['@moRef'],
                  predicate('datastore', 'Equal', ds, array='AnyElement'))
    assert host in [row[0] for row in values(found)]
    every = query(index, 'HostSystem', ['@moRef'],
                  predicate('config.network.pnic[*].device', 'Like', 'vmnic*',
                            array='AllElements'))
    assert host in [row[0] for row in values(every)]


def test_query_pages_with_markers(index):
    everything = query(index, 'Folder', ['@moRef'])
    total = len(everything.items)
    assert total > 3 and everything.marker is None and everything.totalCount is None
    first = query(index, 'Folder', ['@moRef'], limit=2, returnTotalCount=True)
    assert len(first.items) == 2 and first.totalCount == total and first.marker
    seen = values(first)
    marker = first.marker
    while marker:
        page = index.QueryNext(Q.IterationSpec(marker=marker, limit=2))
        seen += values(page)
        marker = page.marker
    assert seen == values(everything)
    with pytest.raises(vmodl.fault.InvalidArgument):      # a marker serves once
        index.QueryNext(Q.IterationSpec(marker=first.marker))


@pytest.mark.parametrize('spec', [
    Q.QuerySpec(resourceType='Task'),
    Q.QuerySpec(resourceType='Folder', properties=['name', 'name']),
    Q.QuerySpec(resourceType='Folder', limit=0),
    Q.QuerySpec(resourceType='Folder', filters=[Q.Filter(predicates=[
        predicate('noSuchProperty', 'Equal', 'x')])]),
    Q.QuerySpec(resourceType='Folder', filters=[Q.Filter(predicates=[
        predicate('name', 'Greater', 'x')])]),
    Q.QuerySpec(resourceType='Folder', filters=[Q.Filter(predicates=[
        predicate('childEntity', 'Equal', 'x')])]),
    Q.QuerySpec(resourceType='Folder', filters=[Q.Filter(predicates=[
        predicate('name', 'Equal', 'x', array='AnyElement')])]),
    Q.QuerySpec(resourceType='Folder', filters=[Q.Filter(predicates=[
        predicate('name', 'In')])]),
    Q.QuerySpec(resourceType='Folder', filters=[Q.Filter(predicates=[
        predicate('name', 'Between', 'x')])]),
])
def test_query_refuses_what_the_language_does_not_allow(index, spec):
    with pytest.raises(vmodl.fault.InvalidArgument):
        index.Query(spec)
