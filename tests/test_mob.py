"""/mob, the Managed Object Browser, over real HTTP (requests) beside pyVmomi:
login by HTTP Basic or by a SOAP session's cookie, properties with types and
values, data objects by path, and method invocation with XML arguments
through the dispatcher /sdk uses (its privileges and faults), guarded by the
session's vmware-session-nonce. tests/test_ui_browser.py drives it in Chromium."""
import json
import re

import pytest
import requests
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import _simulator, all_of

USERS = [{'user': 'admin@vsphere.local', 'password': 'adm1n', 'groups': ['Administrators']},
         {'user': 'nobody@vsphere.local', 'password': 'n0ne'}]
ADMIN = ('admin@vsphere.local', 'adm1n')
NONCE = re.compile(r'name="vmware-session-nonce" value="([0-9a-f]+)"')


@pytest.fixture(scope='module')
def mob_vc(validator, tmp_path_factory):
    path = tmp_path_factory.mktemp('mob') / 'users.json'
    path.write_text(json.dumps(USERS))
    return _simulator(validator, tls=False, users=str(path))


@pytest.fixture
def admin_si(mob_vc):
    si = mob_vc.connect(user=ADMIN[0], pwd=ADMIN[1])
    yield si
    Disconnect(si)


def base(running):
    return 'http://127.0.0.1:%d/mob/' % running.port


def browser(running, auth=ADMIN):
    session = requests.Session()
    session.auth = auth
    return session


def text_of(page):
    return re.sub(r'\s+', ' ', re.sub(r'<[^>]+>', ' ', page))


def invoke(session, running, moid, method, **params):
    """GET the method's form, then POST it with its nonce and `params`."""
    url = base(running) + '?moid=%s&method=%s' % (moid, method)
    form = session.get(url)
    assert form.status_code == 200, form.text
    fields = {'vmware-session-nonce': NONCE.search(form.text).group(1)}
    fields.update(params)
    return session.post(url, data=fields)


def a_vm(si, state):
    """A VM in power state `state` (the last VM, powered so if it is not)."""
    vms = all_of(si, vim.VirtualMachine)
    for vm in vms:
        if vm.runtime.powerState == state:
            return vm
    vm = vms[-1]
    WaitForTask(vm.PowerOffVM_Task() if state == 'poweredOff' else vm.PowerOnVM_Task())
    return vm


def test_without_credentials_the_mob_asks_for_basic_authentication(mob_vc):
    answer = requests.get(base(mob_vc))
    assert answer.status_code == 401
    assert answer.headers['WWW-Authenticate'] == 'Basic realm="VMware HTTP server"'
    refused = requests.get(base(mob_vc), auth=('admin@vsphere.local', 'wrong'))
    assert refused.status_code == 401


def test_a_basic_login_is_a_vcenter_session_sdk_clients_share(mob_vc, admin_si):
    session = browser(mob_vc)
    home = session.get(base(mob_vc))
    assert home.status_code == 200
    assert 'Managed Object Type: ManagedObjectReference:ServiceInstance' in home.text
    cookie = session.cookies['vmware_soap_session']
    # the MOB's cookie serves SOAP calls, and a SOAP session's cookie serves the MOB
    body = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
            '<soapenv:Body><CreateContainerView xmlns="urn:vim25">'
            '<_this type="ViewManager">ViewManager</_this>'
            '<container type="Folder">group-d1</container><type>VirtualMachine</type>'
            '<recursive>true</recursive></CreateContainerView></soapenv:Body></soapenv:Envelope>')
    answer = requests.post('http://127.0.0.1:%d/sdk' % mob_vc.port, data=body,
                           headers={'Cookie': 'vmware_soap_session=%s' % cookie,
                                    'Content-Type': 'text/xml'})
    assert answer.status_code == 200 and 'session[' in answer.text
    soap_cookie = admin_si._stub.cookie.split(';')[0]
    page = requests.get(base(mob_vc), headers={'Cookie': soap_cookie})
    assert page.status_code == 200
    user = [s.userName for s in admin_si.content.sessionManager.sessionList]
    assert user.count(ADMIN[0]) >= 2


def test_a_vm_page_shows_properties_with_types_values_and_links(mob_vc, admin_si):
    vm = a_vm(admin_si, 'poweredOn')
    page = browser(mob_vc).get(base(mob_vc) + '?moid=' + vm._moId).text
    assert 'Managed Object ID: <span id="moid">%s</span>' % vm._moId in page
    row = re.search(r'<tr data-property="name">.*?</tr>', page, re.S).group(0)
    assert '>string<' in row and vm.name in row
    pool = vm.resourcePool
    assert 'href="/mob/?moid=%s">%s</a> (%s)' % (pool._moId, pool._moId, pool.name) in page
    assert 'ManagedObjectReference:Datastore[]' in page
    assert 'href="/mob/?moid=%s&amp;doPath=config"' % vm._moId in page
    assert 'href="/mob/?moid=%s&amp;method=PowerOffVM_Task"' % vm._moId in page


def test_config_hardware_as_a_data_object_page(mob_vc, admin_si):
    vm = a_vm(admin_si, 'poweredOn')
    session = browser(mob_vc)
    page = session.get(base(mob_vc) + '?moid=%s&doPath=config.hardware' % vm._moId).text
    assert 'Data Object Type: VirtualHardware' in page
    words = text_of(page)
    hardware = vm.config.hardware
    assert 'numCPU int %d' % hardware.numCPU in words
    assert 'memoryMB int %d' % hardware.memoryMB in words
    nic = next(d for d in hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard))
    element = session.get(base(mob_vc) + '?moid=%s&doPath=config.hardware.device[%d]' % (
        vm._moId, nic.key)).text
    assert 'Data Object Type: %s' % type(nic).__name__.split('.')[-1] in element
    assert nic.macAddress in element
    missing = session.get(base(mob_vc) + '?moid=%s&doPath=config.nothing' % vm._moId)
    assert missing.status_code == 404 and 'InvalidProperty' in missing.text
    unknown = session.get(base(mob_vc) + '?moid=vm-nothing')
    assert unknown.status_code == 404


def test_power_off_through_the_invocation_form(mob_vc, admin_si):
    vm = a_vm(admin_si, 'poweredOn')
    session = browser(mob_vc)
    answer = invoke(session, mob_vc, vm._moId, 'PowerOffVM_Task')
    assert answer.status_code == 200
    assert 'Method Invocation Result: <span id="result-type">ManagedObjectReference:Task' \
        in answer.text
    task_id = re.search(r'href="/mob/\?moid=(task-\d+)"', answer.text).group(1)
    WaitForTask(vim.Task(task_id, admin_si._stub))
    assert vm.runtime.powerState == 'poweredOff'
    # the same call again: the task fails as /sdk's would
    again = invoke(session, mob_vc, vm._moId, 'PowerOffVM_Task')
    task = vim.Task(re.search(r'moid=(task-\d+)', again.text).group(1), admin_si._stub)
    with pytest.raises(vim.fault.InvalidPowerState):
        WaitForTask(task)
    WaitForTask(vm.PowerOnVM_Task())


def test_xml_arguments_as_the_real_mob_takes_them(mob_vc, admin_si):
    vm = a_vm(admin_si, 'poweredOff')
    session = browser(mob_vc)
    perf = admin_si.content.perfManager._moId
    summary = invoke(session, mob_vc, perf, 'QueryPerfProviderSummary',
                     entity='<entity type="VirtualMachine">%s</entity>' % vm._moId)
    words = text_of(summary.text)
    assert 'Method Invocation Result: PerfProviderSummary' in words
    assert re.search(r'entity ManagedObjectReference\S* %s \(%s\)' % (vm._moId, vm.name), words)
    assert 'refreshRate int 20' in words
    # a primitive is plain text; a data object is XML named after the parameter
    name = vm.name
    answer = invoke(session, mob_vc, vm._moId, 'Rename_Task', newName='mob & renamed')
    WaitForTask(vim.Task(re.search(r'moid=(task-\d+)', answer.text).group(1), admin_si._stub))
    assert vm.name == 'mob & renamed'
    WaitForTask(vm.Rename_Task(name))
    manager = admin_si.content.customFieldsManager._moId
    answer = invoke(session, mob_vc, manager, 'AddCustomFieldDef', name='mob-field',
                    moType='VirtualMachine')
    assert 'mob-field' in answer.text and 'Method Invocation Result' in answer.text


def test_bad_arguments_answer_the_faults_sdk_answers(mob_vc, admin_si):
    vm = a_vm(admin_si, 'poweredOff')
    session = browser(mob_vc)
    malformed = invoke(session, mob_vc, vm._moId, 'PowerOnVM_Task', host='<host type="Hos')
    assert malformed.status_code == 200
    assert '<span id="result-type">InvalidRequest</span>' in malformed.text
    missing = invoke(session, mob_vc, vm._moId, 'Rename_Task')
    assert 'Required parameter newName of Rename_Task is missing' in missing.text
    wrong_type = invoke(session, mob_vc, vm._moId, 'PowerOnVM_Task',
                        host='<host type="NoSuchType">x</host>')
    assert '<span id="result-type">InvalidType</span>' in wrong_type.text
    assert vm.runtime.powerState == 'poweredOff'


def test_a_post_without_the_session_nonce_is_refused(mob_vc, admin_si):
    vm = a_vm(admin_si, 'poweredOn')
    session = browser(mob_vc)
    session.get(base(mob_vc))
    url = base(mob_vc) + '?moid=%s&method=PowerOffVM_Task' % vm._moId
    for fields in ({}, {'vmware-session-nonce': 'forged'}):
        refused = session.post(url, data=fields)
        assert refused.status_code == 403 and 'vmware-session-nonce' in refused.text
    # another session's nonce is not this one's
    other = browser(mob_vc)
    nonce = NONCE.search(other.get(url).text).group(1)
    assert session.post(url, data={'vmware-session-nonce': nonce}).status_code == 403
    assert vm.runtime.powerState == 'poweredOn'


def test_the_mob_calls_with_the_users_privileges(mob_vc, admin_si):
    vm = a_vm(admin_si, 'poweredOn')
    session = browser(mob_vc, auth=('nobody@vsphere.local', 'n0ne'))
    page = session.get(base(mob_vc) + '?moid=' + vm._moId)
    assert page.status_code == 200 and 'NoPermission' in page.text
    answer = invoke(session, mob_vc, vm._moId, 'PowerOffVM_Task')
    assert '<span id="result-type">NoPermission</span>' in answer.text
    assert vm.runtime.powerState == 'poweredOn'


def test_logout_ends_the_session(mob_vc):
    session = browser(mob_vc)
    session.get(base(mob_vc))
    cookie = session.cookies['vmware_soap_session']
    session.get(base(mob_vc) + 'logout', allow_redirects=False)
    stale = requests.get(base(mob_vc), headers={'Cookie': 'vmware_soap_session=%s' % cookie})
    assert stale.status_code == 401


JUNK_QUERIES = ['?moid=', '?moid=%00', '?moid=vm-20&doPath=', '?moid=vm-20&doPath=config..hardware',
                '?moid=vm-20&doPath=config.hardware.device[', '?moid=vm-20&doPath=[1]',
                '?moid=vm-20&doPath=name.length', '?moid=vm-20&doPath=config.hardware.device[x]',
                '?moid=vm-20&doPath=datastore[0]', '?moid=vm-20&method=',
                '?moid=vm-20&method=NoSuchMethod', '?moid=vm-20&method=PowerOffVM_Task&method=x',
                '?moid=group-d1&doPath=childEntity', '?moid=SessionManager&doPath=sessionList[0]']


def test_junk_urls_and_forms_answer_pages_never_internal_errors(mob_vc, admin_si):
    session = browser(mob_vc)
    for query in JUNK_QUERIES:
        answer = session.get(base(mob_vc) + query)
        assert answer.status_code in (200, 404), (query, answer.status_code)
        assert 'Traceback' not in answer.text
    url = base(mob_vc) + '?moid=ServiceInstance&method=CurrentTime'
    nonce = NONCE.search(session.get(url).text).group(1)
    for fields in ({'vmware-session-nonce': nonce, 'extra': '<x/>'},
                   {'vmware-session-nonce': nonce + nonce}):
        answer = session.post(url, data=fields)
        assert answer.status_code in (200, 403) and 'Traceback' not in answer.text
    vm = a_vm(admin_si, 'poweredOn')
    form = base(mob_vc) + '?moid=%s&method=ReconfigVM_Task' % vm._moId
    for spec in ('<!DOCTYPE x [<!ENTITY e "e">]><spec/>', '<spec><numCPUs>many</numCPUs></spec>',
                 '</ReconfigVM_Task><Destroy_Task>', '<spec xsi:type="NoSuchType"/>', '\x00'):
        answer = session.post(form, data={'vmware-session-nonce': nonce, 'spec': spec})
        assert answer.status_code == 200, spec
        assert '<span id="result-type">' in answer.text and 'Task' not in re.search(
            r'<span id="result-type">([^<]*)<', answer.text).group(1), spec
    assert vm.runtime.powerState == 'poweredOn' and vm.config is not None
    assert session.put(base(mob_vc)).status_code == 405


def test_an_esx_host_has_its_mob(esx):
    si = esx.connect()
    root = si.content.rootFolder._moId
    Disconnect(si)
    session = browser(esx, auth=('root', 'pass'))
    home = session.get(base(esx))
    assert home.status_code == 200
    content = session.get(base(esx) + '?moid=ServiceInstance&doPath=content').text
    assert 'Data Object Type: ServiceContent' in content
    assert 'href="/mob/?moid=%s"' % root in content
    folder = session.get(base(esx) + '?moid=' + root)
    assert folder.status_code == 200 and 'ManagedObjectReference:Folder' in folder.text
