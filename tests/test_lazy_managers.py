"""Managers made on first use (vimsim/managed/catalog.py): a start makes only
the managers the model reaches through the simulator's attributes; every
other manager of ServiceContent is made, its module imported, when first
looked up, and so is each configuration manager of a vCenter's hosts. A
client must not see the difference."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, on_reactor
from vimsim import clock
from vimsim.managed import catalog, manager
from vimsim.managed.host import config_managers
from vimsim.managed.base import Context
from vimsim.managed.paths import read_path
from vimsim.schema import MoRef
from vimsim.soap import encode


def test_the_table_names_each_registered_manager_module():
    """MANAGER_MODULES is what the registrations say, once the model is imported."""
    catalog.modules()
    registered = {type_name: cls.__module__[len(catalog.PREFIX):]
                  for type_name, cls in manager.MANAGER_TYPES.items()}
    assert catalog.MANAGER_MODULES == registered


def test_the_host_manager_table_names_each_managers_class():
    """HOST_MANAGER_MODULES holds, for each host configuration manager type
    a class of the model names (`type_name`), that class's module; the
    others are plain HostManagerObjects."""
    types = {type_name for _, type_name, _, _ in config_managers.CONFIG_MANAGERS}
    named = {}
    for module in catalog.modules():
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__ \
                    and value.__dict__.get('type_name') in types:
                named.setdefault(value.type_name, []).append(module.__name__)
    assert all(len(modules) == 1 for modules in named.values()), named
    assert catalog.HOST_MANAGER_MODULES == {
        type_name: modules[0][len(catalog.PREFIX):] for type_name, modules in named.items()}
    for type_name in types:
        cls = catalog.host_manager_class(type_name)
        assert cls.__dict__.get('type_name', type_name) == type_name
        assert (type_name in named) == (cls is not config_managers.HostManagerObject)


def _content_managers(si):
    """{ServiceContent field: MoRef} of every manager listed."""
    content = si.RetrieveContent()
    return {name: getattr(content, name) for name in sorted(type(content)._propInfo)
            if isinstance(getattr(content, name), vim.ManagedObject)}


@pytest.mark.parametrize('esx', [False, True], ids=['vcenter', 'esx'])
def test_every_manager_answers_first_thing_after_a_start(validator, esx):
    """On a fresh simulator, with nothing else asked before, each manager's
    every property is retrieved (RetrievePropertiesEx, all=True, one object
    at a time so that one failure cannot hide another), and a manager not
    made yet is made by that first lookup."""
    server = _simulator(validator, tls=False, esx=esx)
    registry = server.sim.objects
    si = server.connect()
    managers = _content_managers(si)
    unmade = server.on_reactor(lambda: {ref.value for ref in registry._lazy})
    assert len(unmade & {ref._moId for ref in managers.values()}) > 15, unmade
    collector = si.content.propertyCollector
    spec = vmodl.query.PropertyCollector
    for name, ref in managers.items():
        answer = collector.RetrievePropertiesEx([spec.FilterSpec(
            objectSet=[spec.ObjectSpec(obj=ref)],
            propSet=[spec.PropertySpec(type=type(ref), all=True)])], spec.RetrieveOptions())
        assert answer.objects[0].obj == ref, name
        assert not answer.objects[0].missingSet, (name, answer.objects[0].missingSet)
    listed = {ref._moId for ref in managers.values()}
    assert not listed & server.on_reactor(lambda: {ref.value for ref in registry._lazy})


def test_a_manager_whose_making_failed_is_made_on_the_next_lookup(validator):
    """A manager whose first making raises (the first caller's fault) is
    still there for the next caller: one session's failed lookup must not
    take a ServiceContent manager away from every session."""
    server = _simulator(validator, tls=False)
    si = server.connect()
    search_index = si.content.searchIndex
    lazy = server.sim.objects._lazy
    [ref] = server.on_reactor(lambda: [r for r in lazy if r.value == search_index._moId])
    make = lazy[ref]
    fails = [True]

    def failing_once():
        if fails:
            fails.clear()
            raise RuntimeError('the first making fails')
        return make()
    server.on_reactor(lambda: lazy.__setitem__(ref, failing_once))
    with pytest.raises(vmodl.fault.SystemError):
        search_index.FindByInventoryPath('DC0/vm/DC0_H0_VM0')
    assert search_index.FindByInventoryPath('DC0/vm/DC0_H0_VM0').name == 'DC0_H0_VM0'


def test_a_manager_called_first_thing_after_a_start(validator):
    """Methods of managers a start did not make, called before anything else
    reads them."""
    server = _simulator(validator, tls=False)
    si = server.connect()
    content = si.RetrieveContent()
    assert content.searchIndex.FindByInventoryPath('DC0/vm/DC0_H0_VM0').name == 'DC0_H0_VM0'
    assert content.licenseManager.QueryLicenseSourceAvailability() is not None
    assert content.customizationSpecManager.DoesCustomizationSpecExist('no-such') is False
    assert content.storageResourceManager.QueryIORMConfigOption(
        host=all_of(si, vim.HostSystem)[0]).enabledOption is not None


def _managers_model(sim, refs, at):
    """Every property of the objects `refs`, as the encoder writes it, read at `at`."""
    version = sim.schema.version(sim.api_version)
    ctx = Context(sim, None, version)
    encoder = encode.encoder_for(sim.schema, version)
    out = {}
    with clock.frozen(at):
        for ref in refs:
            obj = sim.objects.get(ref)
            for field in sim.schema.managed[obj.type_name].properties:
                text = []
                encoder.field(text, 'v', read_path(obj, field.name, ctx)[0], field)
                out[ref.value, field.name] = ''.join(text)
    return out


def test_a_manager_made_late_is_made_as_a_start_would(validator):
    """The managers a start leaves to make, made an hour later, are those it
    would have made (what they date from the start still does), and making
    them leaves the simulator's attributes as they were (no manager the model
    reaches by attribute is left to make)."""
    with clock.frozen(clock.microseconds()):    # the two start at one time
        early, late = (_simulator(validator, tls=False).sim for _ in range(2))

    def make_all():
        refs = sorted(late.objects._lazy, key=lambda ref: (ref.type, ref.value))
        attributes = set(vars(late))
        now = clock.microseconds()
        with clock.frozen(now + 3600 * 10 ** 6):
            list(late.objects)
        list(early.objects)
        assert set(vars(late)) == attributes
        return refs, _managers_model(early, refs, now), _managers_model(late, refs, now)

    refs, made_early, made_late = on_reactor(make_all)
    assert len(refs) > 15
    assert made_late == made_early


@pytest.mark.parametrize('esx', [False, True], ids=['vcenter', 'esx'])
def test_a_guest_operations_sub_manager_looked_up_first(validator, esx):
    """GuestOperationsManager is made on first lookup with the sub-managers
    it hands out, whose moids are fixed: a client naming one of those first
    (before GuestOperationsManager) makes them all, once."""
    server = _simulator(validator, tls=False, esx=esx)
    registry = server.sim.objects
    si = server.connect()
    moid = 'ha-guest-file-manager' if esx else 'guestOperationsFileManager'
    assert server.on_reactor(lambda: moid in {ref.value for ref in registry._lazy})
    file_manager = vim.vm.guest.FileManager(moid, si._stub)
    spec = vmodl.query.PropertyCollector
    answer = si.content.propertyCollector.RetrievePropertiesEx([spec.FilterSpec(
        objectSet=[spec.ObjectSpec(obj=file_manager)],
        propSet=[spec.PropertySpec(type=vim.vm.guest.FileManager, all=True)])],
        spec.RetrieveOptions())
    assert answer.objects[0].obj == file_manager
    assert not server.on_reactor(lambda: {ref.value for ref in registry._lazy} & {
        moid, 'ha-guest-operations-manager' if esx else 'guestOperationsManager'})
    guest = si.content.guestOperationsManager
    assert guest.fileManager == file_manager
    assert guest.processManager._moId == ('ha-guest-process-manager' if esx
                                          else 'guestOperationsProcessManager')
    made = server.on_reactor(lambda: [obj.type_name for obj in registry])
    assert made.count('GuestOperationsManager') == made.count('GuestFileManager') == 1


def _lazy_moids(server):
    return server.on_reactor(lambda: {ref.value for ref in server.sim.objects._lazy})


def _every_property(si, ref):
    """RetrievePropertiesEx of every property of the one object `ref`."""
    spec = vmodl.query.PropertyCollector
    return si.content.propertyCollector.RetrievePropertiesEx([spec.FilterSpec(
        objectSet=[spec.ObjectSpec(obj=ref)],
        propSet=[spec.PropertySpec(type=type(ref), all=True)])], spec.RetrieveOptions())


def _config_managers(host):
    """{HostConfigManager field: MoRef} of a host."""
    config = host.configManager
    return {name: getattr(config, name) for name in sorted(type(config)._propInfo)
            if isinstance(getattr(config, name), vim.ManagedObject)}


def test_a_hosts_managers_answer_first_thing_after_a_start(validator):
    """A vCenter host's configuration managers are made on first use: after
    a start a host has made only those its first alarm pass read (its
    `runtime` shows the crypto manager's and vSAN's state); each, read first
    thing (every property, one at a time), is made by that read."""
    server = _simulator(validator, tls=False)
    si = server.connect()
    hosts = all_of(si, vim.HostSystem)
    every = {ref._moId for host in hosts for ref in _config_managers(host).values()}
    managers = _config_managers(hosts[0])
    assert len(managers) > 30
    assert len(every) == len(hosts) * len(managers)
    assert len(every & _lazy_moids(server)) >= len(every) - 2 * len(hosts)
    for name, ref in managers.items():
        answer = _every_property(si, ref)
        assert answer.objects[0].obj == ref, name
        assert not answer.objects[0].missingSet, (name, answer.objects[0].missingSet)
    listed = {ref._moId for ref in managers.values()}
    assert not listed & _lazy_moids(server)
    made = server.on_reactor(lambda: [obj.ref.value for obj in server.sim.objects])
    assert all(made.count(moid) == 1 for moid in every)


def test_a_hosts_manager_called_first_thing(validator):
    """A method of a host's manager not made yet, called before anything
    reads it, changes the host as it would have."""
    server = _simulator(validator, tls=False)
    si = server.connect()
    host = next(h for h in all_of(si, vim.HostSystem) if h.name == 'DC0_H0')
    network_system = vim.host.NetworkSystem(host.configManager.networkSystem._moId, si._stub)
    assert network_system._moId in _lazy_moids(server)
    network_system.AddPortGroup(vim.host.PortGroup.Specification(
        name='made-first', vlanId=7, vswitchName='vSwitch0', policy=vim.host.NetworkPolicy()))
    assert 'made-first' in [group.spec.name for group in host.config.network.portgroup]
    assert server.on_reactor(
        lambda: server.sim.objects.get(MoRef('HostSystem', host._moId)).managers[
            'networkSystem'].ref.value) == network_system._moId


def test_a_host_removed_before_its_managers_were_made(validator):
    """A host's managers not made yet go with it: no lookup makes one for
    a host that is gone."""
    server = _simulator(validator, tls=False)
    si = server.connect()
    host = next(h for h in all_of(si, vim.HostSystem) if h.name == 'DC0_H0')
    managers = _config_managers(host)
    for vm in host.vm:
        WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(host.EnterMaintenanceMode_Task(0))
    made = {ref._moId for ref in managers.values()} - _lazy_moids(server)
    assert len(made) < len(managers) - 20, made     # maintenance mode made a few
    WaitForTask(host.Destroy_Task())
    assert not {ref._moId for ref in managers.values()} & _lazy_moids(server)
    for ref in managers.values():
        with pytest.raises(vmodl.fault.ManagedObjectNotFound):
            _every_property(si, ref)
