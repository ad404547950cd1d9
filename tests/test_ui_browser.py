"""VI Web Access (/ui) and the MOB in a real browser: Debian's Chromium driven
by Playwright. Log in, open a VM from the inventory tree, power it off and on
and see the task and the state change arrive without a reload (server-sent
events fed by the change hub); in the MOB, read a VM's config.hardware and
invoke PowerOffVM_Task.

The browser tests need /usr/bin/chromium (`apt-get install chromium`) and
the playwright package (never `playwright install`: its downloads are not
used). Without them they skip, unless CI is set (.ci/run sets it), where
they fail. The plain-HTTP tests of /ui at the end need neither.
"""
import os
import re
import threading
import time

import pytest
import requests
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import _simulator, all_of

CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
                 '--no-first-run', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync']
TIMEOUT_MS = 15000


def _browser_missing():
    """Why the browser tests cannot run here, or None."""
    if not os.path.exists(CHROMIUM):
        return '%s is missing (apt-get install chromium)' % CHROMIUM
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return 'the playwright package is missing (pip install playwright)'
    return None


@pytest.fixture(scope='module')
def chromium():
    """A Playwright driver and Chromium (launch gives it a fresh temporary
    profile, its --user-data-dir; each test opens its own context)."""
    missing = _browser_missing()
    if missing:
        if os.environ.get('CI'):
            pytest.fail('browser tests need Chromium in CI: ' + missing)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright
    driver = sync_playwright().start()
    try:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        driver.stop()


@pytest.fixture(scope='module')
def ui_vc(validator):
    return _simulator(validator, tls=False)


@pytest.fixture
def ui_si(ui_vc):
    from pyVim.connect import Disconnect
    si = ui_vc.connect()
    yield si
    Disconnect(si)


def origin(running):
    return 'http://127.0.0.1:%d' % running.port


def cluster_vm(si):
    """A VM of the cluster DC0_C0, powered on."""
    for vm in all_of(si, vim.VirtualMachine):
        if vm.resourcePool.owner.name == 'DC0_C0':
            if vm.runtime.powerState != 'poweredOn':
                WaitForTask(vm.PowerOnVM_Task())
            return vm
    raise AssertionError('no VM in DC0_C0')


def test_log_in_open_a_vm_power_it_and_see_it_update_live(chromium, ui_vc, ui_si):
    vm = cluster_vm(ui_si)
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(origin(ui_vc) + '/ui/')
    assert page.url.endswith('/ui/login')
    page.fill('#username', 'user')
    page.fill('#password', 'pass')
    page.click('#login')
    page.wait_for_selector('#tree li.node')
    # the tree, expanded lazily: DC0, then its cluster, then the VM
    page.click('li.node[data-moid="datacenter-2"] > .toggle')
    cluster = page.locator('li.node.ClusterComputeResource').first
    cluster.locator(':scope > .toggle').click()
    page.click('li.node[data-moid="%s"] > a' % vm._moId)
    page.wait_for_selector('.summary[data-moid="%s"]' % vm._moId)
    assert page.inner_text('#object-name') == vm.name
    assert page.inner_text('#power-state') == 'poweredOn'
    page.evaluate('window.notReloaded = true')
    page.click('#power-off')
    page.wait_for_selector('#power-state.poweredOff')
    page.wait_for_selector('#tasks tr.task.success:has-text("VirtualMachine.powerOff")')
    assert vm.runtime.powerState == 'poweredOff'
    page.click('#power-on')
    page.wait_for_selector('#power-state.poweredOn')
    page.wait_for_selector('#tasks tr.task.success:has-text("VirtualMachine.powerOn")')
    page.wait_for_selector('#events tr:has-text("powered on")')
    # a change made by another client arrives too
    WaitForTask(vm.CreateSnapshot_Task(name='from-pyvmomi', memory=False, quiesce=False))
    page.wait_for_selector('#snapshots li[data-snapshot="from-pyvmomi"]')
    assert page.evaluate('window.notReloaded') is True
    context.close()


def test_snapshots_and_charts_of_a_vm(chromium, ui_vc, ui_si):
    vm = cluster_vm(ui_si)
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    login(page, ui_vc)
    page.goto(origin(ui_vc) + '/ui/?moid=' + vm._moId)
    page.fill('#snapshot-name', 'browser-snap')
    page.click('#take-snapshot')
    page.wait_for_selector('#snapshots li[data-snapshot="browser-snap"] .current')
    assert 'browser-snap' in [s.name for s in vm.snapshot.rootSnapshotList] + [
        c.name for s in vm.snapshot.rootSnapshotList for c in s.childSnapshotList]
    page.click('#snapshots li[data-snapshot="browser-snap"] button[data-action="removeSnapshot"]')
    page.wait_for_selector('#snapshots li[data-snapshot="browser-snap"]', state='detached')
    # the real-time charts hold the PerformanceManager's samples
    page.wait_for_function('Number(document.getElementById("chart-cpu").dataset.samples) > 1')
    assert int(page.get_attribute('#chart-mem', 'data-samples')) > 1
    context.close()


def login(page, running, user='user', password='pass'):
    page.goto(origin(running) + '/ui/login')
    page.fill('#username', user)
    page.fill('#password', password)
    page.click('#login')
    page.wait_for_selector('#tree li.node')


def test_the_mob_shows_config_hardware_and_invokes_power_off(chromium, ui_vc, ui_si):
    vm = cluster_vm(ui_si)
    context = chromium.new_context(http_credentials={'username': 'user', 'password': 'pass'})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(origin(ui_vc) + '/mob/?moid=' + vm._moId)
    assert page.inner_text('#moid') == vm._moId
    page.click('#properties tr[data-property="config"] a')
    page.wait_for_url('**doPath=config')
    page.click('a:text-is("hardware")')
    page.wait_for_url('**doPath=config.hardware')
    assert page.inner_text('#path') == 'config.hardware'
    assert page.locator('tr:has(td.name:text-is("numCPU")) td.value').inner_text() == \
        str(vm.config.hardware.numCPU)
    assert page.locator('tr:has(td.name:text-is("memoryMB")) td.value').inner_text() == \
        str(vm.config.hardware.memoryMB)
    page.goto(origin(ui_vc) + '/mob/?moid=' + vm._moId)
    page.click('#methods a:text-is("PowerOffVM_Task")')
    page.click('#invoke')
    page.wait_for_selector('#result a')
    assert page.inner_text('#result-type') == 'ManagedObjectReference:Task'
    task = page.inner_text('#result a')
    WaitForTask(vim.Task(task, ui_si._stub))
    assert vm.runtime.powerState == 'poweredOff'
    page.goto(origin(ui_vc) + '/mob/?moid=%s&doPath=info' % task)
    assert page.locator('tr:has(td.name:text-is("state")) td.value').inner_text() == 'success'
    WaitForTask(vm.PowerOnVM_Task())
    context.close()


# -- /ui over plain HTTP -----------------------------------------------------------------

def ui_session(running, user='user', password='pass'):
    session = requests.Session()
    answer = session.post(origin(running) + '/ui/login',
                          data={'username': user, 'password': password}, allow_redirects=False)
    assert answer.status_code == 303, answer.text
    page = session.get(origin(running) + '/ui/').text
    session.nonce = re.search(r'data-nonce="([0-9a-f]+)"', page).group(1)
    return session


def test_login_is_a_vcenter_login(ui_vc):
    refused = requests.post(origin(ui_vc) + '/ui/login', data={'username': 'user', 'password': ''})
    assert refused.status_code == 401 and 'incorrect user name or password' in refused.text
    assert requests.get(origin(ui_vc) + '/ui/tree').status_code == 401
    session = ui_session(ui_vc)
    assert session.cookies['vmware_soap_session']
    session.get(origin(ui_vc) + '/ui/logout')
    assert session.get(origin(ui_vc) + '/ui/tree').status_code == 401


def test_the_tree_answers_a_page_of_children_at_a_time(validator):
    big = _simulator(validator, tls=False, vm=60)
    try:
        session = ui_session(big)
        url = origin(big) + '/ui/tree?view=vms&moid=datacenter-2'
        first = session.get(url).json()
        assert len(first['nodes']) == 100 and first['more'] == 100
        total = first['total']
        assert total == 120     # 60 on the stand-alone host, 60 in the cluster
        rest = session.get(url + '&offset=100').json()
        assert len(rest['nodes']) == total - 100 and rest['more'] is None
        assert {n['type'] for n in first['nodes']} == {'VirtualMachine'}
        hosts = session.get(origin(big) + '/ui/tree?view=hosts&moid=datacenter-2').json()
        assert {n['type'] for n in hosts['nodes']} == {'ComputeResource', 'ClusterComputeResource'}
        storage = session.get(origin(big) + '/ui/tree?view=storage&moid=datacenter-2').json()
        assert {n['type'] for n in storage['nodes']} == {'Datastore'}
        network = session.get(origin(big) + '/ui/tree?view=network&moid=datacenter-2').json()
        assert 'DistributedVirtualPortgroup' in {n['type'] for n in network['nodes']}
    finally:
        big.stop()


def test_actions_need_the_nonce_and_answer_faults(ui_vc, ui_si):
    vm = cluster_vm(ui_si)
    session = ui_session(ui_vc)
    url = origin(ui_vc) + '/ui/action'
    forged = session.post(url, data={'vmware-session-nonce': 'forged', 'action': 'powerOff',
                                     'moid': vm._moId})
    assert forged.status_code == 403
    assert vm.runtime.powerState == 'poweredOn'
    fields = {'vmware-session-nonce': session.nonce, 'moid': vm._moId}
    done = session.post(url, data=dict(fields, action='powerOff')).json()
    WaitForTask(vim.Task(done['task'], ui_si._stub))
    assert vm.runtime.powerState == 'poweredOff'
    # an action the VM's state refuses fails in its task, as for any client
    again = session.post(url, data=dict(fields, action='powerOff')).json()
    with pytest.raises(vim.fault.InvalidPowerState):
        WaitForTask(vim.Task(again['task'], ui_si._stub))
    unknown = session.post(url, data=dict(fields, action='format'))
    assert unknown.status_code == 400
    WaitForTask(vm.PowerOnVM_Task())


def test_a_live_stream_leaves_nothing_behind(ui_vc, ui_si):
    vm = cluster_vm(ui_si)
    session = ui_session(ui_vc)
    sim = ui_vc.sim

    def held():
        return ui_vc.on_reactor(lambda: sum(
            1 for o in sim.objects if o.type_name in (
                'PropertyCollector', 'TaskHistoryCollector', 'EventHistoryCollector')))
    before = held()
    lines = []
    opened = threading.Event()

    def read():
        with session.get(origin(ui_vc) + '/ui/live?moid=' + vm._moId, stream=True) as answer:
            assert answer.headers['Content-Type'].startswith('text/event-stream')
            for line in answer.iter_lines():
                lines.append(line.decode())
                if 'summary-live' in lines[-1]:
                    opened.set()
                if any('poweredOff' in line and 'summary-live' in line for line in lines):
                    return
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert opened.wait(10)
    assert held() == before + 3
    WaitForTask(vm.PowerOffVM_Task())
    reader.join(10)
    assert not reader.is_alive()
    deadline = time.monotonic() + 5
    while held() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert held() == before
    WaitForTask(vm.PowerOnVM_Task())


def test_junk_requests_answer_errors_never_internal_ones(ui_vc):
    session = ui_session(ui_vc)
    for path, status in (('/ui/tree?view=nowhere', 400), ('/ui/tree?view=vms&offset=x', 200),
                         ('/ui/tree?view=hosts&moid=nothing', 200),
                         ('/ui/tree?view=hosts&moid=vm-20', 200),
                         ('/ui/summary?moid=nothing', 404), ('/ui/summary?moid=group-d1', 200),
                         ('/ui/summary?moid=datastore-19', 200),
                         ('/ui/summary?moid=SessionManager', 200),
                         ('/ui/perf?moid=datastore-19', 400), ('/ui/perf', 400),
                         ('/ui/static/../ui.py', 404), ('/ui/static/nothing.js', 404),
                         ('/ui/nothing', 404), ('/ui/action', 405)):
        answer = session.get(origin(ui_vc) + path)
        assert answer.status_code == status, (path, answer.status_code, answer.text[:200])
    fields = {'vmware-session-nonce': session.nonce}
    for junk in ({'action': 'powerOn', 'moid': 'nothing'}, {'action': 'powerOn'},
                 {'action': 'createSnapshot', 'moid': 'group-d1'},
                 {'action': 'removeSnapshot', 'moid': 'vm-20'}):
        answer = session.post(origin(ui_vc) + '/ui/action', data=dict(fields, **junk))
        assert answer.status_code == 400 and 'error' in answer.json(), junk
    assert session.put(origin(ui_vc) + '/ui/').status_code == 405


def test_a_user_sees_and_does_only_what_the_permissions_allow(validator, tmp_path):
    users = tmp_path / 'users.json'
    users.write_text('[{"user": "admin@vsphere.local", "password": "adm1n", '
                     '"groups": ["Administrators"]}, '
                     '{"user": "nobody@vsphere.local", "password": "n0ne"}]')
    guarded = _simulator(validator, tls=False, users=str(users))
    try:
        admin = ui_session(guarded, 'admin@vsphere.local', 'adm1n')
        nobody = ui_session(guarded, 'nobody@vsphere.local', 'n0ne')
        tree = origin(guarded) + '/ui/tree?view=vms'
        assert [n['name'] for n in admin.get(tree).json()['nodes']] == ['DC0']
        assert nobody.get(tree).json()['nodes'] == []
        refused = nobody.post(origin(guarded) + '/ui/action', data={
            'vmware-session-nonce': nobody.nonce, 'action': 'powerOff', 'moid': 'vm-20'})
        assert refused.status_code == 403 and refused.json()['error'] == 'NoPermission'
        summary = nobody.get(origin(guarded) + '/ui/summary?moid=vm-20').text
        assert 'DC0_H0_VM0' not in summary
    finally:
        guarded.stop()
