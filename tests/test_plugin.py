"""The pytest plugin and the per-test reset.

- a test file with no conftest gets the plugin from its ``pytest11`` entry
  point (setup.cfg's, installed as metadata on the path) and its fixtures
  work: a function-scoped test that destroys every VM leaves the next test a
  full inventory; markers and indirect parameters choose the inventory
  (vcsim's words or Options fields); module and session scopes share one;
  the govc environment connects;
- `Simulator.reset` rebuilds exactly what a fresh start builds (every
  property of every object, under the same clock); sessions end with it,
  their waits are answered, model timers of the old model never fire into
  the new one; with -state a reset is journaled and a restart replays it;
  a recorded inventory (-load) resets to the recording.
"""
import configparser
import os
import threading
import time

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, on_reactor, settle
from tests.test_recording import RECORDING, needs_recording
from tests.test_state import _differences, _model, _mutations, _settled, _start, _stop
from vimsim import clock
from vimsim.options import Options
from vimsim.simulator import Simulator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_VMS = ['DC0_C0_RP0_VM0', 'DC0_C0_RP0_VM1', 'DC0_H0_VM0', 'DC0_H0_VM1']

USER_TESTS = '''
import urllib.parse

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim


def names(si):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    return sorted(vm.name for vm in view.view)


def test_destroy_every_vm(vimsim_si):
    content = vimsim_si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    for vm in view.view:
        if vm.runtime.powerState == 'poweredOn':
            WaitForTask(vm.PowerOffVM_Task())
        WaitForTask(vm.Destroy_Task())
    assert names(vimsim_si) == []


def test_the_next_test_has_a_full_inventory(vimsim_si, vimsim):
    assert names(vimsim_si) == %(default)r
    assert len(vimsim.sim.session_manager.sessions) == 1   # the last test's session ended


@pytest.mark.vimsim('-esx')
def test_a_marker_of_vcsim_words(vimsim_si):
    assert vimsim_si.content.about.apiType == 'HostAgent'


@pytest.mark.vimsim(cluster=2, vm=1, standalone_host=0)
def test_a_marker_of_options(vimsim_si):
    assert names(vimsim_si) == ['DC0_C0_RP0_VM0', 'DC0_C1_RP0_VM0']


@pytest.mark.parametrize('vimsim', [['-vm', '3'], {'standalone_host': 0}], indirect=True)
def test_an_indirect_parameter(vimsim):
    vms = [obj for obj in vimsim.sim.objects if obj.type_name == 'VirtualMachine']
    assert len(vms) in (6, 2)


def test_module_scope_keeps_changes_within_the_module(vimsim_module):
    si = vimsim_module.connect()
    vm = si.content.rootFolder.childEntity[0].vmFolder.childEntity[0]
    WaitForTask(vm.Rename_Task('renamed'))
    Disconnect(si)


def test_module_scope_sees_them(vimsim_module):
    si = vimsim_module.connect()
    assert 'renamed' in names(si)
    Disconnect(si)


def test_the_govc_environment(vimsim_govc_env):
    url = urllib.parse.urlsplit(vimsim_govc_env['GOVC_URL'])
    si = SmartConnect(host=url.hostname, port=url.port, user=url.username, pwd=url.password,
                      disableSslCertValidation=vimsim_govc_env['GOVC_INSECURE'] == '1')
    assert names(si) == %(default)r
    Disconnect(si)


def test_the_in_process_mode(vimsim_mock):
    si = SmartConnect(host='vc.example.com', user='u', pwd='p', disableSslCertValidation=True)
    assert si.content.about.instanceUuid == vimsim_mock.service_instance.content.about.instanceUuid
    Disconnect(si)
''' % {'default': DEFAULT_VMS}


def _entry_points():
    """The pytest11 section setup.cfg declares, as a dist-info's entry_points.txt."""
    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, 'setup.cfg'))
    return '[pytest11]\n%s\n' % config['options.entry_points']['pytest11'].strip()


def test_a_test_file_without_conftest_gets_the_plugin(pytester):
    """Bounded: about 3 s (four simulators start)."""
    site = pytester.mkdir('site')
    info = site / 'vimsim_plugin_probe-1.0.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: vimsim-plugin-probe\n'
                                   'Version: 1.0\n')
    (info / 'entry_points.txt').write_text(_entry_points())
    pytester.syspathinsert(site)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest('-q', '-p', 'no:cacheprovider')
    result.assert_outcomes(passed=10)


# -- Simulator.reset -------------------------------------------------------------------
AT = 1_700_000_000_000_000     # a fixed model time, microseconds


def _frozen(function, *args):
    with clock.frozen(AT):
        return function(*args)


def _reset_and_start(sim):
    """Reset, and run what the new model starts with at once (its first alarm
    evaluation), at the frozen time: the load it reads is the time's."""
    sim.reset()
    sim.time.advance(0)


def test_a_reset_rebuilds_what_a_fresh_start_builds(validator):
    used = _simulator(validator, tls=False)
    si = used.connect()
    _mutations(si)
    Disconnect(si)
    _settled(used)
    on_reactor(_frozen, _reset_and_start, used.sim)
    fresh = _simulator(validator, tls=False)
    on_reactor(_frozen, _reset_and_start, fresh.sim)
    assert _differences(_model(fresh), _model(used)) == []
    si = used.connect()
    assert sorted(vm.name for vm in all_of(si, vim.VirtualMachine)) == DEFAULT_VMS
    Disconnect(si)


def test_a_reset_takes_the_old_models_files(validator):
    """Datastore files the old model made (a directory made through
    FileManager here) go with it: the next test's datastores hold only what
    a fresh start's VMs have."""
    running = _simulator(validator, tls=False)
    si = running.connect()
    dc = si.content.rootFolder.childEntity[0]
    si.content.fileManager.MakeDirectory('[LocalDS_0] left-behind', dc, True)
    old_root = running.sim.datastore_namespace.root
    assert os.path.isdir(old_root)
    Disconnect(si)
    on_reactor(running.sim.reset)
    assert not os.path.exists(old_root)
    si = running.connect()
    browser = all_of(si, vim.HostSystem)[0].datastoreBrowser
    task = browser.SearchDatastore_Task('[LocalDS_0]', vim.host.DatastoreBrowser.SearchSpec(
        matchPattern=['left-behind']))
    WaitForTask(task)
    assert not task.info.result.file
    Disconnect(si)


def test_a_reset_ends_sessions_and_their_waits(validator):
    running = _simulator(validator, tls=False)
    si = running.connect()
    collector = si.content.propertyCollector
    collector.CreateFilter(vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=si.content.rootFolder)],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.Folder, pathSet=['name'])]),
        True)
    collector.WaitForUpdatesEx('')
    answered = []

    def wait():
        try:
            collector.WaitForUpdatesEx(collector.WaitForUpdatesEx('').version)
        except vmodl.MethodFault as error:
            answered.append(error)
    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.2)
    running.reset()
    waiter.join(5)
    assert not waiter.is_alive() and answered
    with pytest.raises(vim.fault.NotAuthenticated):
        si.content.rootFolder.name


def test_the_old_models_timers_never_fire_into_the_new_one(validator):
    running = _simulator(validator, tls=False)
    on_reactor(running.sim.task_manager.durations.update, {'PowerOffVM_Task': 0.3})
    si = running.connect()
    vm = si.content.rootFolder.childEntity[0].vmFolder.childEntity[0]
    task = vm.PowerOffVM_Task()
    running.reset()
    time.sleep(0.5)
    si = running.connect()
    assert si.content.rootFolder.childEntity[0].vmFolder.childEntity[0] \
        .runtime.powerState == 'poweredOn'
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        vim.Task(task._moId, si._stub).info
    assert si.content.taskManager.recentTask == []
    Disconnect(si)


def test_a_reset_is_journaled_and_replayed(validator, tmp_path):
    first = _start(validator, tmp_path)
    si = first.connect()
    _mutations(si)
    Disconnect(si)
    _settled(first)
    first.reset()
    si = first.connect()
    vm = si.content.rootFolder.childEntity[0].vmFolder.childEntity[0]
    WaitForTask(vm.Rename_Task('after the reset'))
    Disconnect(si)
    _settled(first)
    model = _model(first)
    _stop(first)

    second = _start(validator, tmp_path)
    _settled(second)
    assert second.sim.persistence.divergences == 0
    assert _differences(model, _model(second)) == []
    _stop(second)


@pytest.mark.parametrize('flags', [{}, {'esx': True}])
def test_a_reset_simulator_stays_whole(flags):
    """Nothing of the old model is left on the simulator (what the model
    hangs on it is rebuilt), and the inventory identity repeats."""
    options = Options(**flags)
    sim = on_reactor(Simulator, options)
    settle(sim)
    before = {obj.ref.value: obj.type_name for obj in sim.objects}
    model_attributes = set(vars(sim)) - sim._frame
    old_objects = sim.objects
    on_reactor(sim.reset)
    settle(sim)
    assert sim.objects is not old_objects
    assert {obj.ref.value: obj.type_name for obj in sim.objects} == before
    assert set(vars(sim)) - sim._frame == model_attributes
    on_reactor(sim.close)


def test_a_users_file_gives_the_first_account(validator, tmp_path):
    users = tmp_path / 'users.json'
    users.write_text('[{"user": "alice", "password": "a-secret"}, '
                     '{"user": "bob", "password": "b-secret"}]')
    running = _simulator(validator, tls=False, users=str(users))
    assert (running.username, running.password) == ('alice', 'a-secret')
    assert running.govc_env()['GOVC_URL'] == 'http://alice:a-secret@127.0.0.1:%d/sdk' % (
        running.port)
    Disconnect(running.connect())
    with pytest.raises(vim.fault.InvalidLogin):
        running.connect(user='user', pwd='pass')


@needs_recording
def test_a_recorded_inventory_resets_to_the_recording(validator):
    running = _simulator(validator, tls=False, load=RECORDING)
    before = on_reactor(lambda: sorted((obj.ref.value, obj.type_name)
                                       for obj in running.sim.objects))
    si = running.connect()
    version = si.content.about.apiVersion
    si.content.viewManager.CreateContainerView(si.content.rootFolder, [], True)
    running.reset()
    assert on_reactor(lambda: sorted((obj.ref.value, obj.type_name)
                                     for obj in running.sim.objects)) == before
    si = running.connect()
    assert si.content.about.apiVersion == version
    Disconnect(si)
