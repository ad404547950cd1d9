"""Model hardening, driven by unmodified pyVmomi: finished tasks stay readable
under parallel load and go when they are old; RelocateVM / MigrateVM /
CloneVM of templates answer as vCenter does; snapshot trees stop at
vSphere's 31 levels; UpdateDateTime refuses times the host clock cannot keep;
a users file (-users) restricts logins and locks an account after 5 failed
ones.

A simulator of its own: these tests make many tasks and change the inventory.
"""
import threading
import time

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, on_reactor, register_extension_task


@pytest.fixture(scope='module')
def sim(validator):
    """Two datastores, for relocations."""
    return _simulator(validator, tls=False, ds=2)


@pytest.fixture
def dc(si):
    return all_of(si, vim.Datacenter)[0]


def _setting(sim, name, value):
    """Set a TaskManager bound for one test; returns the old value."""
    manager = sim.sim.task_manager
    old = getattr(manager, name)
    on_reactor(setattr, manager, name, value)
    return old


def model_of(sim, obj):
    """The model object behind a pyVmomi managed object."""
    from vimsim.schema import MoRef
    return sim.sim.objects.get(MoRef(obj._wsdlName, obj._moId))


# -- what clients store is bounded by size --------------------------------------------------

MEGABYTE = 1 << 20


def test_event_store_is_bounded_by_size(sim, si, dc):
    """Events clients post carry what they like: the store keeps about
    EVENT_BYTES of them (here 4 MB), dropping the oldest, and so does a
    collector made before (it held them too)."""
    manager = sim.sim.event_manager
    old = manager.events.max_bytes
    on_reactor(setattr, manager.events, 'max_bytes', 4 * MEGABYTE)
    try:
        events = si.content.eventManager
        collector = events.CreateCollectorForEvents(vim.event.EventFilterSpec(
            eventTypeId=['GeneralUserEvent']))
        for number in range(10):
            events.LogUserEvent(dc, '%d:%s' % (number, 'x' * MEGABYTE))
        assert on_reactor(lambda: manager.events.bytes) <= 4 * MEGABYTE
        kept = events.QueryEvents(vim.event.EventFilterSpec(eventTypeId=['GeneralUserEvent']))
        numbers = sorted(int(event.message.split(':')[0]) for event in kept)
        assert numbers and numbers[-1] == 9 and numbers[0] > 0 and len(numbers) <= 4
        held = on_reactor(lambda: [int(e.message.split(':')[0]) for _, e in model_of(
            sim, collector)._items])
        assert held == numbers
        collector.DestroyCollector()
    finally:
        on_reactor(setattr, manager.events, 'max_bytes', old)


def test_task_history_is_bounded_by_size(sim, si, dc):
    """A task's result is what its extension sets: the history keeps about
    HISTORY_BYTES of finished tasks' infos, weighed with their results."""
    register_extension_task(sim, 'com.example.big', 'com.example.big.run')
    manager = sim.sim.task_manager
    old = manager.history.max_bytes
    on_reactor(setattr, manager.history, 'max_bytes', 4 * MEGABYTE)
    try:
        for number in range(10):
            info = si.content.taskManager.CreateTask(dc, 'com.example.big.run', None, False)
            info.task.SetTaskState('success', result='%d:%s' % (number, 'y' * MEGABYTE))
        assert on_reactor(lambda: manager.history.bytes) <= 4 * MEGABYTE
        big = on_reactor(lambda: [info.result for _, info in manager.history
                                  if info.descriptionId == 'com.example.big.run'])
        assert 0 < len(big) <= 4 and big[-1].startswith('9:')
    finally:
        on_reactor(setattr, manager.history, 'max_bytes', old)


# -- finished tasks stay readable ---------------------------------------------------------

CLIENTS = 8
TASKS_PER_CLIENT = 125


def test_a_thousand_parallel_tasks_stay_readable(sim, dc):
    """1,000 quick tasks from 8 parallel clients, each started before any is
    waited for: every one stays readable and WaitForTask succeeds for each,
    though far more than 200 newer tasks finished since it did (which used to
    make it ManagedObjectNotFound). About 15-40 s on a busy machine; the 300 s
    bound only stops a hang."""
    failures = []

    def client(number):
        si = sim.connect(user='load%d' % number)
        try:
            folder = si.RetrieveContent().rootFolder.childEntity[0].vmFolder.CreateFolder(
                'load-%d' % number)
            tasks = [folder.Rename('load-%d-%d' % (number, i)) for i in range(TASKS_PER_CLIENT)]
            for task in tasks:
                if WaitForTask(task) != 'success' or task.info.state != 'success':
                    failures.append((task, task.info.state))
            WaitForTask(folder.Destroy())
        except Exception as error:   # reported below, in the test's thread
            failures.append(error)
        finally:
            Disconnect(si)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 300
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    # the recent list keeps its own, shorter bound
    manager = sim.sim.task_manager
    done = on_reactor(lambda: [t for t in manager.recentTask
                               if sim.sim.objects.get(t).done])
    assert len(done) <= 200


def test_old_finished_tasks_go(sim, si, dc):
    """A finished task leaves the inventory once older than the kept age."""
    old = _setting(sim, 'keep_seconds', 2.0)     # long enough to wait for on a loaded machine
    try:
        folder = dc.vmFolder.CreateFolder('aging')
        task = folder.Rename('aging-1')
        WaitForTask(task)
        assert task.info.state == 'success'
        time.sleep(2.5)
        with pytest.raises(vmodl.fault.ManagedObjectNotFound):
            task.info
        assert task not in si.content.taskManager.recentTask
        WaitForTask(folder.Destroy())
    finally:
        _setting(sim, 'keep_seconds', old)


def test_count_bound_keeps_a_minimum_lifetime(sim, si, dc):
    """Past the count bound the oldest finished tasks go, but none before it
    has been finished for the minimum lifetime."""
    old_count = _setting(sim, 'keep_completed', 2)
    # a minimum lifetime that five renames cannot outlast even on a loaded machine
    old_minimum = _setting(sim, 'min_completed_lifetime', 3.0)
    try:
        folder = dc.vmFolder.CreateFolder('counted')
        tasks = [folder.Rename('counted-%d' % i) for i in range(5)]
        for task in tasks:
            WaitForTask(task)
        assert all(task.info.state == 'success' for task in tasks)   # all younger than 3 s
        time.sleep(3.5)
        for task in tasks[:3]:
            with pytest.raises(vmodl.fault.ManagedObjectNotFound):
                task.info
        assert [task.info.state for task in tasks[3:]] == ['success', 'success']
        WaitForTask(folder.Destroy())
    finally:
        _setting(sim, 'keep_completed', old_count)
        _setting(sim, 'min_completed_lifetime', old_minimum)


# -- templates: Relocate, Migrate, Clone ------------------------------------------------------

def _cluster_hosts(dc):
    cluster = next(e for e in dc.hostFolder.childEntity
                   if isinstance(e, vim.ClusterComputeResource))
    return cluster, list(cluster.host)


@pytest.fixture
def template(si, dc):
    """A powered-off clone of a VM, marked as a template; destroyed after."""
    cluster, _ = _cluster_hosts(dc)
    source = next(vm for vm in dc.vmFolder.childEntity if isinstance(vm, vim.VirtualMachine))
    task = source.Clone(dc.vmFolder, 'tmpl-%s' % time.monotonic_ns(), vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(pool=cluster.resourcePool), powerOn=False))
    WaitForTask(task)
    vm = task.info.result
    vm.MarkAsTemplate()
    yield vm
    WaitForTask(vm.Destroy())


def _pool_vms(pool):
    return list(pool.vm)


def test_relocate_a_template_between_hosts_and_datastores(sim, si, dc, template):
    cluster, hosts = _cluster_hosts(dc)
    other = next(h for h in hosts if h != template.runtime.host)
    assert WaitForTask(template.Relocate(vim.vm.RelocateSpec(host=other))) == 'success'
    assert template.runtime.host == other
    assert template.resourcePool is None and template.config.template is True
    # a pool names the cluster to place it in; the template still joins no pool
    assert WaitForTask(template.Relocate(vim.vm.RelocateSpec(
        pool=cluster.resourcePool, host=hosts[0]))) == 'success'
    assert template.runtime.host == hosts[0] and template.resourcePool is None
    assert template not in _pool_vms(cluster.resourcePool)
    target = next(ds for ds in dc.datastore if ds not in template.datastore)
    assert WaitForTask(template.Relocate(vim.vm.RelocateSpec(datastore=target))) == 'success'
    assert template.datastore == [target]
    assert template.config.files.vmPathName.startswith('[%s] ' % target.name)
    relocated = [e for e in si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=template, recursion='self'),
        eventTypeId=['VmRelocatedEvent']))]
    assert len(relocated) == 3 and all(e.template for e in relocated)


def test_relocate_moves_a_template_off_an_inactive_host(sim, si, dc, template):
    """vCenter (since 5.1) picks a suitable host when the template's is inactive."""
    host = template.runtime.host
    model_host = model_of(sim, host)
    on_reactor(setattr, model_host, 'maintenance', True)
    try:
        assert WaitForTask(template.Relocate(vim.vm.RelocateSpec())) == 'success'
        assert template.runtime.host != host and template.runtime.host in host.parent.host
    finally:
        on_reactor(setattr, model_host, 'maintenance', False)


def test_migrate_a_template_is_not_supported(si, dc, template):
    _, hosts = _cluster_hosts(dc)
    with pytest.raises(vmodl.fault.NotSupported):
        template.Migrate(priority='defaultPriority', host=hosts[1])


def test_clone_a_template_to_a_template(si, dc, template):
    host = template.runtime.host
    task = template.Clone(dc.vmFolder, 'tmpl-copy', vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(), template=True, powerOn=False))
    assert WaitForTask(task) == 'success'
    copy = task.info.result
    try:
        assert copy.config.template is True and copy.resourcePool is None
        assert copy.runtime.host == host
        # and deploying it needs a pool, as vCenter says
        with pytest.raises(vmodl.fault.InvalidArgument):
            copy.Clone(dc.vmFolder, 'deployed', vim.vm.CloneSpec(
                location=vim.vm.RelocateSpec(), powerOn=False))
    finally:
        WaitForTask(copy.Destroy())


def test_clone_and_register_as_template_leave_the_pool(si, dc):
    """Every way to make a template leaves it in no pool, as MarkAsTemplate does."""
    cluster, hosts = _cluster_hosts(dc)
    source = next(vm for vm in dc.vmFolder.childEntity if isinstance(vm, vim.VirtualMachine)
                  and not vm.config.template)
    task = source.Clone(dc.vmFolder, 'clone-as-template', vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(pool=cluster.resourcePool), template=True, powerOn=False))
    WaitForTask(task)
    made = task.info.result
    assert made.config.template is True and made.resourcePool is None
    assert made not in _pool_vms(cluster.resourcePool)
    path = made.config.files.vmPathName
    folder = dc.vmFolder.CreateFolder('unregistered')
    WaitForTask(folder.MoveIntoFolder_Task([made]))
    WaitForTask(folder.UnregisterAndDestroy_Task())
    task = dc.vmFolder.RegisterVM_Task(path=path, asTemplate=True, host=hosts[0])
    WaitForTask(task)
    registered = task.info.result
    try:
        assert registered.config.template is True and registered.resourcePool is None
        assert registered not in _pool_vms(hosts[0].parent.resourcePool)
    finally:
        WaitForTask(registered.Destroy())


# -- snapshot trees stop at vSphere's depth ---------------------------------------------------

MAX_SNAPSHOT_LEVELS = 31   # vSphere's snapshot tree depth: 32 files in a disk chain

def test_snapshot_tree_depth_is_bounded(si, dc):
    """31 levels, then TooManySnapshotLevels (it used to go on until the
    server's RecursionError at about 138); the deep tree reads whole."""
    cluster, _ = _cluster_hosts(dc)
    source = next(vm for vm in dc.vmFolder.childEntity if isinstance(vm, vim.VirtualMachine)
                  and not vm.config.template)
    task = source.Clone(dc.vmFolder, 'deep', vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(pool=cluster.resourcePool), powerOn=False))
    WaitForTask(task)
    vm = task.info.result
    try:
        for level in range(MAX_SNAPSHOT_LEVELS):
            WaitForTask(vm.CreateSnapshot('s%d' % level, memory=False, quiesce=False))
        with pytest.raises(vim.fault.TooManySnapshotLevels):
            WaitForTask(vm.CreateSnapshot('one-too-many', memory=False, quiesce=False))
        depth, node = 0, vm.snapshot.rootSnapshotList
        while node:
            depth, node = depth + 1, node[0].childSnapshotList
        assert depth == MAX_SNAPSHOT_LEVELS
        disk = next(d for d in vm.config.hardware.device
                    if isinstance(d, vim.vm.device.VirtualDisk))
        chain = [layout for layout in vm.layoutEx.disk if layout.key == disk.key][0].chain
        assert len(chain) == MAX_SNAPSHOT_LEVELS + 1      # vSphere's 32 files in a chain
        # a branch from a shallower snapshot still has room
        tenth = vm.snapshot.rootSnapshotList[0]
        for _ in range(9):
            tenth = tenth.childSnapshotList[0]
        WaitForTask(tenth.snapshot.Revert())
        branch = vm.CreateSnapshot('branch', memory=False, quiesce=False)
        WaitForTask(branch)
        assert branch.info.result in tenth.snapshot.childSnapshot
    finally:
        WaitForTask(vm.Destroy())


# -- a host's clock -------------------------------------------------------------------------

def test_update_date_time_refuses_what_the_clock_cannot_keep(si, dc):
    """Near year 9999 the host clock used to overflow on its next read and
    break QueryDateTime for good; such times are refused, the clock goes on."""
    from datetime import datetime, timedelta, timezone
    host = dc.hostFolder.childEntity[0].host[0]
    clock = host.configManager.dateTimeSystem
    with pytest.raises(vmodl.fault.InvalidArgument) as raised:
        clock.UpdateDateTime(datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc))
    assert raised.value.invalidProperty == 'dateTime'
    # past 9999 once in UTC: a bad request, not an internal error
    with pytest.raises(vmodl.fault.InvalidRequest):
        clock.UpdateDateTime(datetime(9999, 12, 31, 23, 59, 59,
                                      tzinfo=timezone(timedelta(hours=-1))))
    before = clock.QueryDateTime()
    assert abs(before - datetime.now(timezone.utc)) < timedelta(minutes=5)
    late = datetime(9998, 12, 31, 23, 0, tzinfo=timezone.utc)
    clock.UpdateDateTime(late)
    try:
        assert late <= clock.QueryDateTime() < late + timedelta(minutes=5)
    finally:
        clock.UpdateDateTime(datetime.now(timezone.utc))
    assert abs(clock.QueryDateTime() - datetime.now(timezone.utc)) < timedelta(minutes=5)


# -- a users file, and the lockout of its accounts -------------------------------------------

USERS = [{'user': 'alice@vsphere.local', 'password': 'wonder', 'groups': ['Admins']},
         {'user': 'bob@vsphere.local', 'password': 'builder'},
         {'user': 'administrator@vsphere.local', 'password': 'VMware1!'}]


@pytest.fixture(scope='module')
def users_sim(validator, tmp_path_factory):
    import json
    path = tmp_path_factory.mktemp('users') / 'users.json'
    path.write_text(json.dumps(USERS))
    return _simulator(validator, tls=False, users=str(path))


@pytest.fixture
def lockout(users_sim):
    """The lockout policy, with no failures counted; its times and counts
    are put back after the test."""
    policy = users_sim.sim.session_manager.lockout

    def forget_failures():
        policy._locked_until.clear()
        policy._failures.clear()

    saved = (policy.failure_interval, policy.unlock_time)
    on_reactor(forget_failures)
    yield policy
    on_reactor(setattr, policy, 'failure_interval', saved[0])
    on_reactor(setattr, policy, 'unlock_time', saved[1])
    on_reactor(forget_failures)


def _refused(sim, user, pwd):
    with pytest.raises(vim.fault.InvalidLogin):
        sim.connect(user=user, pwd=pwd)


def _logs_in(sim, user, pwd):
    si = sim.connect(user=user, pwd=pwd)
    try:
        return si.content.sessionManager.currentSession.userName
    finally:
        Disconnect(si)


def _events(si, type_id, user):
    found = si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=[type_id]))
    return [e for e in found if e.userName == user]


def test_a_users_file_admits_only_its_accounts(users_sim):
    assert _logs_in(users_sim, 'alice@vsphere.local', 'wonder') == 'alice@vsphere.local'
    # names compare as SSO's do: regardless of case
    assert _logs_in(users_sim, 'ALICE@vsphere.LOCAL', 'wonder') == 'alice@vsphere.local'
    _refused(users_sim, 'user', 'pass')               # the default mode's anyone is no one here
    _refused(users_sim, 'alice@vsphere.local', 'wrong')
    _refused(users_sim, 'bob@vsphere.local', 'wonder')


def test_five_failed_logins_lock_an_account(users_sim, lockout):
    """vCenter SSO's lockout: after 5 failures even the right password fails
    (InvalidLogin), each attempt is logged; other accounts are untouched;
    the lock ends after the unlock time. A success resets the count."""
    on_reactor(setattr, lockout, 'unlock_time', 1.5)
    # the events are read by an administrator: login events are the root
    # folder's, which alice (no permissions) may not read
    si = users_sim.connect(user='administrator@vsphere.local', pwd='VMware1!')
    try:
        failed = ('BadUsernameSessionEvent', 'com.vmware.sso.LoginFailure')
        before = [len(_events(si, kind, 'bob@vsphere.local')) for kind in failed]
        for _ in range(4):
            _refused(users_sim, 'bob@vsphere.local', 'nope')
        assert _logs_in(users_sim, 'bob@vsphere.local', 'builder')   # 4 failures, a reset
        for _ in range(5):
            _refused(users_sim, 'bob@vsphere.local', 'nope')
        locked_at = time.monotonic()
        _refused(users_sim, 'bob@vsphere.local', 'builder')
        assert _logs_in(users_sim, 'alice@vsphere.local', 'wonder')
        bad, sso = [_events(si, kind, 'bob@vsphere.local') for kind in failed]
        assert [len(bad), len(sso)] == [before[0] + 10, before[1] + 10]
        assert all(e.ipAddress == '127.0.0.1' for e in bad)
        assert sso[-1].fullFormattedMessage.startswith(
            'Failed login bob@vsphere.local from 127.0.0.1 at ')
        assert sso[-1].fullFormattedMessage.endswith(' GMT in SSO')
        assert _events(si, 'com.vmware.sso.LoginSuccess', 'bob@vsphere.local')
    finally:
        Disconnect(si)
    time.sleep(max(0.0, locked_at + 1.6 - time.monotonic()))
    assert _logs_in(users_sim, 'bob@vsphere.local', 'builder') == 'bob@vsphere.local'


def test_failures_must_fall_within_the_interval(users_sim, lockout):
    on_reactor(setattr, lockout, 'failure_interval', 0.5)
    for _ in range(4):
        _refused(users_sim, 'bob@vsphere.local', 'nope')
    time.sleep(0.6)
    _refused(users_sim, 'bob@vsphere.local', 'nope')      # the first four are too old
    assert _logs_in(users_sim, 'bob@vsphere.local', 'builder')


def test_a_locked_account_gets_no_local_ticket(users_sim, lockout):
    """A local ticket logs in without the password: the lockout still holds."""
    from pyVmomi import SoapStubAdapter
    for _ in range(5):
        _refused(users_sim, 'bob@vsphere.local', 'nope')
    stub = SoapStubAdapter(host=users_sim.host, port=-users_sim.port,
                           version='vim.version.v9_1_1_0')
    manager = vim.ServiceInstance('ServiceInstance', stub).RetrieveContent().sessionManager
    with pytest.raises(vim.fault.InvalidLogin):
        manager.AcquireLocalTicket('bob@vsphere.local')
    assert manager.AcquireLocalTicket('alice@vsphere.local').userName == 'alice@vsphere.local'


def test_administrator_is_never_locked(users_sim, lockout):
    """As vCenter's policy says: it applies to user accounts, not to
    administrator@vsphere.local."""
    for _ in range(6):
        _refused(users_sim, 'administrator@vsphere.local', 'guess')
    assert _logs_in(users_sim, 'administrator@vsphere.local', 'VMware1!')


def test_any_credentials_mode_never_locks(sim):
    for _ in range(6):
        _refused(sim, 'anyone', '')
    assert _logs_in(sim, 'anyone', 'pass') == 'anyone'


def test_users_file_errors_are_named(tmp_path):
    from vimsim.users import read_users
    cases = {'[]': 'expected a list', '{"user": "a"}': 'expected a list',
             '[{"user": "a", "password": ""}]': 'entry 1: "password"',
             '[{"user": "a", "password": "p", "role": "x"}]': 'unknown field role',
             '[{"user": "a", "password": "p", "groups": "g"}]': '"groups" must be a list',
             '[{"user": "a", "password": "p"}, {"user": "A", "password": "q"}]':
                 'entry 2: user A is listed twice',
             'not json': 'is not JSON'}
    for number, (text, message) in enumerate(cases.items()):
        path = tmp_path / ('users%d.json' % number)
        path.write_text(text)
        with pytest.raises(ValueError, match=message):
            read_users(str(path))
    with pytest.raises(ValueError, match='No such file'):
        read_users(str(tmp_path / 'missing.json'))
    good = tmp_path / 'good.json'
    good.write_text('[{"user": "a@x", "password": "p", "groups": ["g1", "g2"]}]')
    [user] = read_users(str(good))
    assert (user.name, user.password, user.groups) == ('a@x', 'p', ('g1', 'g2'))


def test_the_users_flag(tmp_path):
    """-users FILE: the env line logs in as its first account; -username
    cannot go with it."""
    import json
    import subprocess
    import sys
    from vimsim.options import UsageError, parse_args
    assert parse_args(['-users', 'f.json']).users == 'f.json'
    with pytest.raises(UsageError):
        parse_args(['-users', 'f.json', '-username', 'x'])
    path = tmp_path / 'users.json'
    path.write_text(json.dumps(USERS))
    proc = subprocess.Popen([sys.executable, '-m', 'vimsim', '-l', '127.0.0.1:0', '-tls=false',
                             '-users', str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith('export GOVC_URL=http://alice%40vsphere.local:wonder@127.0.0.1:')
    finally:
        proc.terminate()
        proc.wait(20)
    bad = tmp_path / 'bad.json'
    bad.write_text('[{"user": "a"}]')
    done = subprocess.run([sys.executable, '-m', 'vimsim', '-users', str(bad)],
                          capture_output=True, timeout=60)
    assert done.returncode == 1
    assert b'entry 1: "password" must be a non-empty string' in done.stderr


def test_esx_has_no_sso_events(esx):
    """ESXi has no SSO: its logins post the session events only."""
    _refused(esx, 'intruder', '')
    si = esx.connect()
    try:
        found = si.content.eventManager.QueryEvents(vim.event.EventFilterSpec(
            eventTypeId=['com.vmware.sso.LoginFailure', 'com.vmware.sso.LoginSuccess']))
        assert found == []
        assert _events(si, 'BadUsernameSessionEvent', 'intruder')
    finally:
        Disconnect(si)
