"""What keeps large inventories fast must not change what clients see.

- paths a VM answers directly (`path_readers`) give exactly the value and the
  declared Field of the step-by-step read, in every power state and for every
  API version (faulting where it faults);
- a portgroup hands out its port keys in order and grows by 8 when full;
- a retrieve of many VMs over a container view gives each VM's own values.
"""

import pytest

from tests.conftest import _ensure_reactor, on_reactor
from vimsim.managed.base import Context
from vimsim.managed.network.distributed_virtual_portgroup import DistributedVirtualPortgroup
from vimsim.managed.network.dv_port import connect, release_entity
from vimsim.managed.paths import path_reader, read_path
from vimsim.managed.vm.virtual_machine import VirtualMachine
from vimsim.options import Options


def _simulator(**overrides):
    from vimsim.simulator import Simulator
    _ensure_reactor()
    options = Options()
    for name, value in overrides.items():
        setattr(options, name, value)
    return on_reactor(Simulator, options)


@pytest.fixture(scope='module')
def vcenter():
    return _simulator(vm=3)


@pytest.fixture(scope='module')
def esx_sim():
    return _simulator(esx=True)


def _vms(sim):
    return [obj for obj in sim.objects if isinstance(obj, VirtualMachine)]


def _outcome(read, obj, path, ctx):
    try:
        value, field = read(obj, path, ctx)
    except Exception as error:
        if type(error).__name__ != 'InvalidProperty':
            raise
        return 'InvalidProperty'
    return value, field


def _interesting_versions(sim, paths):
    """The oldest and newest versions, and those either side of each
    version that introduced a step of one of the paths."""
    schema = sim.schema
    found = {0, schema.newest}
    for path in paths:
        head, _, rest = path.partition('.')
        field = schema.managed['VirtualMachine'].property_map[head]
        while True:
            found.update((max(field.since - 1, 0), field.since))
            if not rest:
                break
            head, _, rest = rest.partition('.')
            field = schema.types[field.type].field_map[head]
    return sorted(found)


def _check_fast_paths(sim, monkeypatch):
    fast = VirtualMachine.path_readers
    assert len(fast) > 40
    versions = _interesting_versions(sim, fast)
    for vm in _vms(sim):
        for power_state, boot_time in (('poweredOff', None), ('poweredOn', vm.created),
                                       ('suspended', vm.created)):
            vm.power_state, vm.boot_time = power_state, boot_time
            for version in versions:
                ctx = Context(sim, None, version)
                for path in fast:
                    got = _outcome(read_path, vm, path, ctx)
                    by_reader = _outcome(lambda o, p, c: path_reader(o, p, c)(o), vm, path, ctx)
                    monkeypatch.setattr(VirtualMachine, 'path_readers', {})
                    try:
                        expected = _outcome(read_path, vm, path, ctx)
                    finally:
                        monkeypatch.setattr(VirtualMachine, 'path_readers', fast)
                    assert got == expected, (vm, power_state, version, path)
                    assert by_reader == expected, (vm, power_state, version, path)
                    if expected != 'InvalidProperty':
                        assert got[1] is expected[1], (path, got[1], expected[1])


def test_vm_fast_paths_match_full_reads(vcenter, monkeypatch):
    _check_fast_paths(vcenter, monkeypatch)


def test_vm_fast_paths_match_full_reads_esx(esx_sim, monkeypatch):
    _check_fast_paths(esx_sim, monkeypatch)


def test_path_reader_faults_like_read_path(vcenter):
    vm = _vms(vcenter)[0]
    ctx = Context(vcenter, None, vcenter.schema.newest)
    for path in ('nosuch', 'config.nosuch', 'runtime.powerState.x', 'name'):
        assert _outcome(lambda o, p, c: path_reader(o, p, c)(o), vm, path, ctx) == \
            _outcome(read_path, vm, path, ctx)


def test_portgroup_ports_in_order_and_growing(vcenter):
    pg = next(obj for obj in vcenter.objects
              if isinstance(obj, DistributedVirtualPortgroup) and not obj.uplink)
    pg.settle()
    before = list(pg.port_keys)
    free = [port.key for port in pg.ports if port.connectee is None]
    host = pg.hosts[0]
    nics = ['vmk%d' % (i + 10) for i in range(len(free) + 9)]
    keys = [connect(pg, host, nic, 'hostVmkVnic').key for nic in nics]
    assert keys[:len(free)] == free
    assert len(set(keys)) == len(keys)
    assert pg.port_keys[:len(before)] == before
    assert pg.numPorts == len(before) + 16     # two expansions of 8
    assert keys[len(free):] == pg.port_keys[len(before):len(before) + 9]
    assert [connect(pg, host, nic, 'hostVmkVnic').key for nic in nics] == keys   # kept
    release_entity(pg.dvs, host)


def test_retrieve_over_view_many_vms(vc_http):
    """The bench's query (4 properties over a recursive view), checked
    against full reads of each VM."""
    from pyVmomi import vim, vmodl
    si = vc_http.connect()
    try:
        content = si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder,
                                                       [vim.VirtualMachine], True)
        paths = ['name', 'runtime.powerState', 'summary.config.numCpu',
                 'config.hardware.memoryMB', 'guest.ipAddress', 'summary.guest.hostName']
        spec = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[vmodl.query.PropertyCollector.ObjectSpec(
                obj=view, skip=True, selectSet=[vmodl.query.PropertyCollector.TraversalSpec(
                    name='view', type=vim.view.ContainerView, path='view', skip=False)])],
            propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine,
                                                               pathSet=paths)])
        result = content.propertyCollector.RetrievePropertiesEx(
            [spec], vmodl.query.PropertyCollector.RetrieveOptions())
        assert len(result.objects) == len(view.view) > 0
        for item in result.objects:
            props = {p.name: p.val for p in item.propSet}
            vm = item.obj
            assert props['name'] == vm.name
            assert props['runtime.powerState'] == vm.runtime.powerState
            assert props['summary.config.numCpu'] == vm.summary.config.numCpu
            assert props['config.hardware.memoryMB'] == vm.config.hardware.memoryMB
            assert props.get('guest.ipAddress') == vm.guest.ipAddress
            assert props.get('summary.guest.hostName') == vm.guest.hostName
        view.DestroyView()
    finally:
        from pyVim.connect import Disconnect
        Disconnect(si)
