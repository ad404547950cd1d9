"""What vcsim-based suites rely on (docs/vcsim.md goes through vcsim's flags).

- vcsim's README recipe (a fifo, ``-l 127.0.0.1:0 -E fifo &``,
  ``eval "$(cat fifo)"``, ``kill $GOVC_SIM_PID``) runs unchanged, and so
  does ``uuidgen``;
- ``-api-version`` takes any string: an unknown one serves the newest API,
  is reported in ``about``, the versions document and /about, is accepted
  as a SOAPAction, and is said on stderr; the -E fifo gets its line;
- a start-up error reaches a fifo reader even one that comes late, as a
  shell line that prints it and fails;
- ``-trace-file F`` alone traces; ``VCSIM_SECURE_COOKIES`` decides the
  cookie's Secure attribute; /debug/vars counts what it says.
"""
import gc
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
from pyVim.connect import Disconnect
from pyVmomi import vim, vmodl

from tests.conftest import RunningSimulator, _simulator
from vimsim.cli import main
from vimsim.options import parse_args
from vimsim.testing.server import options_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

README_RECIPE = r'''
vcsim() { "$PYTHON" -m vimsim "$@"; }
govc_sim_env=$TMPDIR/vcsim-$(vcsim uuidgen)

mkfifo $govc_sim_env

vcsim -l 127.0.0.1:0 -E $govc_sim_env &

eval "$(cat $govc_sim_env)"

# ... run tests ...
"$PYTHON" -c 'import os, ssl, urllib.request, urllib.parse
url = urllib.parse.urlsplit(os.environ["GOVC_URL"])
ctx = ssl._create_unverified_context()
about = urllib.request.urlopen("https://%s:%d/about" % (url.hostname, url.port), context=ctx)
print(url.username, url.password, len(about.read()) > 1000)'
tested=$?

kill $GOVC_SIM_PID
wait $GOVC_SIM_PID
rm -f $govc_sim_env
exit $tested
'''


def _environment(tmp_path, **extra):
    env = dict(os.environ, PYTHON=sys.executable, TMPDIR=str(tmp_path),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    env.update(extra)
    return env


def test_the_readme_recipe_runs_unchanged(tmp_path):
    """Bounded: about 2 s (a simulator process starts)."""
    done = subprocess.run(['bash', '-c', README_RECIPE], env=_environment(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not os.listdir(tmp_path)      # the fifo went
    assert done.stdout == 'user pass True\n'


def test_uuidgen():
    done = subprocess.run([sys.executable, '-m', 'vimsim', 'uuidgen'], capture_output=True,
                          text=True, timeout=30, env=_environment('/tmp'))
    assert str(uuid.UUID(done.stdout.strip())) == done.stdout.strip()


def test_an_unknown_api_version_serves_the_newest_and_reports_it(validator):
    running = _simulator(validator, tls=False, api_version='7.0.99')
    si = running.connect()
    assert si.content.about.apiVersion == '7.0.99'
    Disconnect(si)
    connection = http.client.HTTPConnection(running.host, running.port)
    connection.request('GET', '/sdk/vimServiceVersions.xml')
    versions = connection.getresponse().read()
    assert b'<version>7.0.99</version><priorVersions><version>7.0.3.2</version>' in versions
    connection.request('POST', '/sdk', headers={'SOAPAction': '"urn:vim25/7.0.99"'}, body=(
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        b'<soapenv:Body><RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">'
        b'ServiceInstance</_this></RetrieveServiceContent></soapenv:Body></soapenv:Envelope>'))
    answer = connection.getresponse()
    assert answer.status == 200 and b'<apiVersion>7.0.99</apiVersion>' in answer.read()
    connection.request('GET', '/about')
    about = json.loads(connection.getresponse().read())
    assert about['apiVersion'] == '7.0.99' and about['implemented'] > 0


def test_an_unknown_api_version_writes_the_fifo_and_says_so(tmp_path):
    """Bounded: about 2 s (a simulator process starts)."""
    fifo = str(tmp_path / 'env')
    os.mkfifo(fifo)
    process = subprocess.Popen([sys.executable, '-m', 'vimsim', '-l', '127.0.0.1:0',
                                '-api-version', '7.0.99', '-E', fifo],
                               env=_environment(tmp_path), stderr=subprocess.PIPE, text=True)
    try:
        with open(fifo) as reader:
            line = reader.read()
        assert line.startswith('export GOVC_URL=https://user:pass@127.0.0.1:')
    finally:
        process.terminate()
        stderr = process.communicate(timeout=30)[1]
    assert '-api-version 7.0.99 is not a version vimsim knows' in stderr


def test_a_start_up_error_reaches_a_late_fifo_reader(tmp_path):
    fifo = str(tmp_path / 'env')
    os.mkfifo(fifo)
    read = []

    def late_reader():
        time.sleep(0.5)
        with open(fifo) as reader:
            read.append(reader.read())
    thread = threading.Thread(target=late_reader)
    thread.start()
    assert main(['-load', str(tmp_path / 'no such recording'), '-E', fifo]) == 1
    thread.join(10)
    script = read[0]
    assert script.startswith("echo 'vimsim: ") and script.endswith("' >&2; false\n")
    done = subprocess.run(['bash', '-c', 'eval "$(cat)"'], input=script, text=True,
                          capture_output=True)
    assert done.returncode == 1 and 'no such recording' in done.stderr


def test_trace_file_alone_turns_tracing_on(validator, tmp_path):
    trace = tmp_path / 'trace'
    assert parse_args(['-trace-file', str(trace)]).trace is True
    assert parse_args([]).trace is False
    running = RunningSimulator(options_for(['-trace-file', str(trace)], tls=False), validator)
    si = running.connect()
    Disconnect(si)
    assert 'RetrieveServiceContent' in trace.read_text()


@pytest.mark.parametrize('setting, tls, secure', [
    (None, False, False), (None, True, True), ('true', False, True), ('false', True, False),
    ('yes', False, False)])
def test_vcsim_secure_cookies(validator, monkeypatch, setting, tls, secure):
    if setting is None:
        monkeypatch.delenv('VCSIM_SECURE_COOKIES', raising=False)
    else:
        monkeypatch.setenv('VCSIM_SECURE_COOKIES', setting)
    running = _simulator(validator, tls=tls)
    si = running.connect()
    cookie = si._stub.cookie
    assert cookie.startswith('vmware_soap_session=')
    assert ('Secure' in cookie) is secure
    Disconnect(si)


def _debug_vars(running):
    connection = http.client.HTTPConnection(running.host, running.port)
    connection.request('GET', '/debug/vars')
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader('Content-Type').startswith('application/json')
    return json.loads(response.read())


def test_debug_vars(validator):
    running = _simulator(validator, tls=False)
    before = _debug_vars(running)
    assert before['objects']['VirtualMachine'] == 4 and before['objects']['HostSystem'] == 4
    assert before['sessions'] == before['filters'] == before['waits'] == before['resets'] == 0
    assert before['uptime'] >= 0 and before['memory']['rss'] > 0 and before['cmdline']
    si = running.connect()
    collector = si.content.propertyCollector
    collector.CreateFilter(vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=si.content.rootFolder)],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=type(si.content.rootFolder),
                                                            pathSet=['name'])]), True)
    version = collector.WaitForUpdatesEx('').version
    waiter = threading.Thread(target=collector.WaitForUpdatesEx, args=(
        version, vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=2)))
    waiter.start()
    time.sleep(0.3)
    during = _debug_vars(running)
    waiter.join(10)
    assert (during['sessions'], during['filters'], during['waits']) == (1, 1, 1)
    assert during['requests']['Login'] == 1 and during['requests']['WaitForUpdatesEx'] == 2
    Disconnect(si)
    running.reset()
    after = _debug_vars(running)
    assert (after['sessions'], after['filters'], after['waits'], after['resets']) == (0, 0, 0, 1)
    assert after['requests']['Logout'] == 1


@pytest.mark.parametrize('flags, admitted, refused', [
    ({'username': 'admin', 'password': 's3cret'}, [('admin', 's3cret')],
     [('admin', 'other'), ('Admin', 's3cret'), ('user', 'pass')]),
    ({'username': 'admin'}, [('admin', '')], [('admin', 'anything'), ('user', 'pass')]),
    ({'password': 'ignored'}, [('anyone', 'anything'), ('user', 'pass')], [('user', '')]),
    ({}, [('anyone', 'anything')], [('user', ''), ('', 'pass')])])
def test_username_and_password_as_vcsim(validator, flags, admitted, refused):
    running = _simulator(validator, tls=False, **flags)
    for user, password in admitted:
        Disconnect(running.connect(user=user, pwd=password))
    for user, password in refused:
        with pytest.raises(vim.fault.InvalidLogin):
            running.connect(user=user, pwd=password)


def test_vcsim_settings_and_customization_specs(validator):
    """vcsim's `vcsim.server.url` setting (where it serves, no path) and its
    four customization specs, applied as govc's vm.customize test applies
    vcsim-linux-static: a fixed IP given for the spec's unknown one, a
    pending customization refused, the guest's address and prefix-numbered
    host name after power-on (on a Linux guest: vCenter refuses to customize
    the default VMs' otherGuest64, which vcsim lets by). A reset keeps the
    setting."""
    from pyVim.task import WaitForTask
    running = _simulator(validator, tls=False)
    si = running.connect()
    try:
        content = si.RetrieveContent()
        url = running.url[:-len('/sdk')]
        assert [o.value for o in content.setting.QueryOptions('vcsim.server.url')] == [url]
        manager = content.customizationSpecManager
        assert [i.name for i in manager.info] == [
            'vcsim-linux', 'vcsim-linux-static', 'vcsim-windows-static', 'vcsim-windows-domain']
        assert isinstance(manager.GetCustomizationSpec('vcsim-windows-domain').spec.identity,
                          vim.vm.customization.Sysprep)
        spec = manager.GetCustomizationSpec('vcsim-linux-static').spec
        spec.nicSettingMap[0].adapter.ip = vim.vm.customization.FixedIp(ipAddress='10.0.0.42')
        spec.nicSettingMap[0].adapter.subnetMask = '255.255.0.0'
        vm = content.searchIndex.FindByInventoryPath('DC0/vm/DC0_H0_VM0')
        assert WaitForTask(vm.PowerOffVM_Task()) == 'success'
        assert WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(guestId='ubuntu64Guest'))) \
            == 'success'
        assert WaitForTask(vm.CustomizeVM_Task(spec)) == 'success'
        with pytest.raises(vim.fault.CustomizationPending):
            WaitForTask(vm.CustomizeVM_Task(spec))
        assert WaitForTask(vm.PowerOnVM_Task()) == 'success'
        assert vm.guest.ipAddress == '10.0.0.42'
        assert vm.guest.hostName.startswith('vcsim-')
    finally:
        Disconnect(si)
    running.reset()
    si = running.connect()
    assert [o.value for o in si.content.setting.QueryOptions('vcsim.server.url')] == [url]
    Disconnect(si)


def _spin(seconds):
    """Hold the calling thread for `seconds` of its own CPU time."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def _collect_beside(objects):
    """A full collection with `objects` (tracked, alive) to walk."""
    gc.collect()
    return len(objects)


def test_reactor_probe_lists_the_reactors_stalls(validator):
    """-reactor-probe: a turn that holds the reactor 80 ms shows as a tick
    about that late, dated by time.monotonic, with the reactor thread's CPU
    meanwhile (little while it slept, as much while it computed); a full
    collection of the cyclic collector that took 5 ms or more is listed;
    without the flag, no entry."""
    assert 'reactor' not in _debug_vars(_simulator(validator, tls=False))
    running = _simulator(validator, tls=False, reactor_probe=5.0)
    time.sleep(0.1)
    ticks = _debug_vars(running)['reactor']['ticks']
    before = time.monotonic()
    running.on_reactor(time.sleep, 0.08)
    time.sleep(0.1)
    probe = _debug_vars(running)['reactor']
    assert probe['interval_ms'] == 5.0 and probe['ticks'] > ticks
    stalls = [(late, cpu) for at, late, cpu in probe['late'] if at >= before]
    assert stalls and 60 <= max(stalls)[0] <= 1000
    assert max(stalls)[1] < 40       # sleeping: late, but not the reactor's own CPU
    before = time.monotonic()
    running.on_reactor(_spin, 0.08)
    time.sleep(0.1)
    busy = [cpu for at, late, cpu in _debug_vars(running)['reactor']['late'] if at >= before]
    assert busy and 60 <= max(busy) <= 1000
    before = time.monotonic()
    running.on_reactor(_collect_beside, [[] for _ in range(300000)])
    full = [took for at, generation, took in _debug_vars(running)['reactor']['collections']
            if at >= before and generation == 2]
    assert full and 5 <= max(full) <= 5000
