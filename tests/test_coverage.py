"""API coverage users can see: GET /about over a real socket, and
docs/COVERAGE.md, which tools/coverage.py writes from the same code and which
must not go stale."""
import http.client
import importlib
import inspect
import json
import os
import pkgutil
import shutil
import subprocess
import sys

import pytest
from pyVmomi import vim, vmodl

import vimsim.managed
from vimsim import schema as schema_module
from vimsim.managed import catalog
from vimsim.managed.base import ManagedObject
from vimsim.managed.coverage import coverage, totals
from tests.conftest import all_of, on_reactor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, 'tools', 'coverage.py')
DOC = os.path.join(ROOT, 'docs', 'COVERAGE.md')


def get(running, path, method='GET'):
    connection = http.client.HTTPConnection(running.host, running.port, timeout=30)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.getheader('Content-Type'), response.read()
    finally:
        connection.close()


def about(running):
    status, content_type, body = get(running, '/about')
    assert status == 200
    assert content_type.startswith('application/json')
    return json.loads(body)


def run_tool(*args):
    return subprocess.run([sys.executable, TOOL] + list(args), capture_output=True,
                          text=True, timeout=120)


def test_coverage_doc_is_current():
    result = run_tool('--check')
    assert result.returncode == 0, result.stderr


def test_check_finds_a_stale_doc(tmp_path):
    stale = tmp_path / 'COVERAGE.md'
    shutil.copy(DOC, stale)
    text = stale.read_text()
    stale.write_text(text.replace('| VirtualMachine | ', '| VirtualMachine | 1', 1))
    result = run_tool('--check', str(stale))
    assert result.returncode == 1
    assert 'stale' in result.stderr


def test_the_doc_totals_are_the_code_totals():
    implemented, total = totals(coverage(schema_module.load()))
    with open(DOC) as f:
        assert '**{:,} of the {:,} methods**'.format(implemented, total) in f.read()
    assert total == len(schema_module.load().operations)


def test_about_answers_vcsim_keys_and_coverage(vc_http):
    answer = about(vc_http)
    assert {'VirtualMachine', 'HostSystem', 'Folder', 'PropertyCollector'} <= set(
        answer['types'])
    assert {'PowerOnVM_Task', 'RetrievePropertiesEx', 'CreateContainerView'} <= set(
        answer['methods'])
    vm = answer['managedTypes']['VirtualMachine']
    assert 'PowerOnVM_Task' in vm['implemented']
    assert 'Destroy_Task' in vm['implemented']        # inherited, implemented by the VM
    assert vm['notImplemented'] == []
    assert 'ConfigureHCI_Task' in answer['managedTypes']['ClusterComputeResource'][
        'notImplemented']
    settings = answer['managedTypes']['OptionManager']
    assert 'UpdateOptions' in settings['implemented']    # by VpxSettings and by each host's
    assert settings['partlyImplemented'] == []
    implemented, total = totals(coverage(vc_http.sim.schema))
    assert (answer['implemented'], answer['total']) == (implemented, total)
    assert answer['apiVersion'] == vc_http.sim.api_version


def test_about_follows_the_api_version(vc_803):
    schema = vc_803.sim.schema
    limit = schema.version('8.0.3.0')
    newer = sorted(op.name for op in schema.operations.values() if op.since > limit)
    assert newer
    answer = about(vc_803)
    listed = {m for entry in answer['managedTypes'].values() for kind in entry.values()
              for m in kind}
    assert not listed & set(newer)
    assert answer['total'] == len(schema.operations) - len(newer)


def test_about_only_answers_get_and_head(vc_http):
    status, _, body = get(vc_http, '/about', method='HEAD')
    assert (status, body) == (200, b'')
    assert get(vc_http, '/about', method='DELETE')[0] == 404
    assert get(vc_http, '/about/x')[0] == 404


@pytest.mark.parametrize('which', ['vc_http', 'esx'])
def test_about_tells_what_every_object_answers(which, request):
    """Each object of the running server has every method /about lists as
    implemented for its type, and none of those it lists as not implemented
    (the endpoint answers those NotImplemented)."""
    running = request.getfixturevalue(which)
    types = about(running)['managedTypes']

    def check():
        wrong = []
        for obj in running.sim.objects:
            entry = types[obj.type_name]
            for method in entry['implemented']:
                if not callable(getattr(obj, method, None)):
                    wrong.append('%s lacks %s' % (obj, method))
            for method in entry['notImplemented']:
                if getattr(obj, method, None) is not None:
                    wrong.append('%s has %s' % (obj, method))
        return wrong
    assert on_reactor(check) == []


def test_a_method_about_lists_as_not_implemented_answers_so(vc_http, si):
    types = about(vc_http)['managedTypes']
    assert 'ValidateHCIConfiguration' in types['ClusterComputeResource']['notImplemented']
    cluster = all_of(si, vim.ClusterComputeResource)[0]
    with pytest.raises(vmodl.fault.NotImplemented):
        cluster.ValidateHCIConfiguration(hosts=list(cluster.host))


def test_types_vcenter_serves_no_object_of_answer_as_vcenter(vc_http, si):
    """EstimateDatabaseSize and ExecuteSimpleCommand stay not implemented:
    vCenter 8 has no object to call them on (no resourcePlanningManager in
    its ServiceContent, no service in its ServiceManager, as the recorded
    vCenter shows), so a call answers ManagedObjectNotFound, there as here."""
    assert si.RetrieveContent().serviceManager.QueryServiceList() == []
    stub = si._GetStub()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        vim.ResourcePlanningManager('ResourcePlanningManager', stub).EstimateDatabaseSize(
            vim.ResourcePlanningManager.DatabaseSizeParam(
                inventoryDesc=vim.ResourcePlanningManager.InventoryDescription(
                    numHosts=4, numVirtualMachines=40)))
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        vim.SimpleCommand('SimpleCommand', stub).Execute(['status'])


def test_the_catalog_knows_every_managed_class():
    """Coverage reads the classes from the catalog's modules: a module of the
    model defining managed classes must be among them."""
    for info in pkgutil.walk_packages(vimsim.managed.__path__, 'vimsim.managed.'):
        importlib.import_module(info.name)
    known = {module.__name__ for module in catalog.modules()}
    missing = set()
    for name, module in list(sys.modules.items()):
        if not name.startswith('vimsim.managed.'):
            continue
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, ManagedObject) and value.__module__ == name:
                if name not in known:
                    missing.add(name)
    assert not missing, 'name these in vimsim/managed/catalog.py MODULE_NAMES: %s' % sorted(missing)
