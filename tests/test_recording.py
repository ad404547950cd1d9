"""-load DIR: serving a vCenter recorded with `govc object.save`.

The real recording (a vCenter 7.0.1) lives outside the repository, in
../shared/recordings/; those tests skip without it. Small recordings written
here check what a damaged or foreign recording does: the load goes on, and
what could not be served is reported.
"""
import http.client
import logging
import os

import pytest
from lxml import etree
from pyVim.connect import Disconnect
from pyVmomi import vim, vmodl
from pyVmomi.VmomiSupport import GetWsdlType, IsChildVersion

from tests.conftest import logged_in, _simulator
from vimsim.inventory import recording
from vimsim.schema import MoRef, load as load_schema

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECORDING = os.path.join(REPO, '..', 'shared', 'recordings',
                         'vcsim-vcsa.primp-industries.local')

needs_recording = pytest.mark.skipif(
    not os.path.isdir(RECORDING),
    reason='the vCenter 7.0.1 recording is not at ../shared/recordings/')

# What the recorded server serves live, whatever was recorded.
LIVE = {'ServiceInstance', 'PropertyCollector', 'SessionManager', 'ViewManager'}
# What pyVmomi cannot read from the real vCenter either: the AlarmManager's
# expression descriptions include TypeDescription key 'DisableAlarmExpression',
# a type pyVmomi does not know (its TypeDescription.key is a type name).
PYVMOMI_UNREADABLE = {('AlarmManager', 'description')}
# What a recorded VM, made the model's, does not carry over (unset without snapshots).
NOT_CARRIED = {'rootSnapshot', 'snapshot'}


def recorded_objects(directory):
    """{(type, moid): {property: <val> element}} straight from the files."""
    found = {}
    for name in sorted(os.listdir(directory)):
        if not name.endswith('.xml'):
            continue
        root = etree.parse(os.path.join(directory, name),
                           etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
        obj = root.find('obj')
        found[(obj.get('type'), obj.text)] = {
            p.findtext('name'): p.find('val') for p in root.findall('propSet')}
    return found


def stub_ref(si, type_name, moid):
    return GetWsdlType('urn:vim25', type_name)(moid, si._stub)


def retrieve_all(si, objects, paths=None):
    """{(type, moid): {property: value}}, RetrievePropertiesEx all=True
    (for the types in `paths`, {type name: property names}, those only)."""
    collector = si.RetrieveContent().propertyCollector
    paths = paths or {}
    types = list({type(obj): None for obj in objects})
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=obj) for obj in objects],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(
            type=t, all=t._wsdlName not in paths, pathSet=sorted(paths.get(t._wsdlName, ())))
            for t in types])
    result = collector.RetrievePropertiesEx(
        [spec], vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=25))
    found = {}
    while result is not None:
        for item in result.objects:
            assert not item.missingSet, (item.obj, [(m.path, m.fault) for m in item.missingSet])
            found[(item.obj._wsdlName, item.obj._moId)] = {
                p.name: p.val for p in item.propSet or []}
        if not result.token:
            break
        result = collector.ContinueRetrievePropertiesEx(result.token)
    return found


def raw_fetch(running, si, type_name, moid, name):
    """(status, body) of a Fetch posted without pyVmomi, in si's session."""
    body = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
            '"http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
            '<Fetch xmlns="urn:vim25"><_this type="%s">%s</_this><prop>%s</prop></Fetch>'
            '</soapenv:Body></soapenv:Envelope>' % (type_name, moid, name))
    connection = http.client.HTTPConnection(running.host, running.port, timeout=30)
    try:
        connection.request('POST', '/sdk', body.encode(), {
            'Content-Type': 'text/xml; charset=utf-8', 'SOAPAction': '"urn:vim25/7.0.1.1"',
            'Cookie': si._stub.cookie})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def names_in_view(si, types):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, types, True)
    try:
        return {obj.name: obj for obj in view.view}
    finally:
        view.DestroyView()


# -- the real recording -------------------------------------------------------------

@pytest.fixture(scope='module')
def recorded(validator):
    if not os.path.isdir(RECORDING):
        pytest.skip('the vCenter 7.0.1 recording is not at ../shared/recordings/')
    return _simulator(validator, tls=False, load=RECORDING)


@pytest.fixture
def rsi(recorded):
    yield from logged_in(recorded)


@pytest.fixture(scope='module')
def files():
    if not os.path.isdir(RECORDING):
        pytest.skip('the vCenter 7.0.1 recording is not at ../shared/recordings/')
    return recorded_objects(RECORDING)


@needs_recording
def test_recording_loads_every_object(recorded, files):
    # the one thing not served as recorded: a writable switch answers FetchDVPorts itself
    assert recorded.sim.recording.problems == [
        'VmwareDistributedVirtualSwitch-dvs-50: the recorded FetchDVPorts is not replayed: '
        'the simulator answers it']
    assert recorded.sim.api_version == '7.0.1.1'
    for type_name, moid in files:
        obj = recorded.sim.objects.get(MoRef(type_name, moid))
        assert obj is not None and obj.type_name == type_name, (type_name, moid)


@needs_recording
def test_about_and_content_are_recorded(rsi, files):
    content = rsi.RetrieveContent()
    about = content.about
    assert about.fullName == 'VMware vCenter Server 7.0.1 build-17327586'
    assert (about.version, about.apiVersion, about.apiType) == ('7.0.1', '7.0.1.1',
                                                                'VirtualCenter')
    assert about.instanceUuid == '056a402b-2b3d-4f74-93f7-fa818adff697'
    recorded_content = files[('ServiceInstance', 'ServiceInstance')]['content']
    for element in recorded_content:
        if element.get('type'):   # every manager, under its recorded moid
            ref = getattr(content, etree.QName(element).localname)
            assert (ref._wsdlName, ref._moId) == (element.get('type'), element.text)
    # the live managers answer: our session, not the recorded one
    session = content.sessionManager.currentSession
    assert session.userName == 'user'
    assert content.sessionManager.supportedLocaleList  # recorded
    assert content.rootFolder.name == 'Datacenters'


@needs_recording
def test_container_view_walks_the_whole_inventory(rsi, files):
    schema = load_schema()
    entities = {key for key in files if schema.managed[key[0]].is_a('ManagedEntity')}
    content = rsi.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [], True)
    try:
        seen = {(obj._wsdlName, obj._moId) for obj in view.view}
    finally:
        view.DestroyView()
    assert seen == entities - {('Folder', content.rootFolder._moId)}
    assert len(seen) == 51   # 1 datacenter, 10 folders, 6 networks, 3 datastores, 3 clusters,
    #                          6 pools, 2 hosts, 20 VMs


@needs_recording
def test_vms_and_hosts_found_by_name(rsi):
    vms = names_in_view(rsi, [vim.VirtualMachine])
    assert len(vms) == 20
    vm = vms['vcsa.primp-industries.local']
    assert vm._moId == 'vm-17'
    assert vm.runtime.powerState == 'poweredOn'
    assert vm.config.template is False
    assert vms['SourceVMTemplate'].config.template is True
    hosts = names_in_view(rsi, [vim.HostSystem])
    assert set(hosts) == {'192.168.30.5', '192.168.30.215'}
    assert vm.runtime.host in hosts.values()
    datacenters = names_in_view(rsi, [vim.Datacenter])
    assert list(datacenters) == ['Primp-Datacenter']
    # a PropertyCollector traversal from the root follows the recorded links too
    PC = vmodl.query.PropertyCollector
    folder_children = PC.TraversalSpec(name='folder', type=vim.Folder, path='childEntity',
                                       selectSet=[PC.SelectionSpec(name='folder'),
                                                  PC.SelectionSpec(name='dc')])
    dc_vms = PC.TraversalSpec(name='dc', type=vim.Datacenter, path='vmFolder',
                              selectSet=[PC.SelectionSpec(name='folder')])
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=rsi.RetrieveContent().rootFolder,
                                 selectSet=[folder_children, dc_vms])],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=['name'])])
    result = rsi.RetrieveContent().propertyCollector.RetrieveContents([spec])
    assert {item.propSet[0].val for item in result} == set(vms)


@needs_recording
def test_updates_over_the_recorded_inventory(rsi):
    PC = vmodl.query.PropertyCollector
    content = rsi.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    collector = content.propertyCollector.CreatePropertyCollector()
    try:
        collector.CreateFilter(PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[
                PC.TraversalSpec(type=vim.view.ContainerView, path='view')])],
            propSet=[PC.PropertySpec(type=vim.VirtualMachine,
                                     pathSet=['name', 'runtime.powerState'])]), True)
        update = collector.WaitForUpdatesEx('', PC.WaitOptions(maxWaitSeconds=0))
        changes = {(obj.obj._moId, change.name): change.val
                   for filter_set in update.filterSet for obj in filter_set.objectSet
                   for change in obj.changeSet}
        assert len(changes) == 40
        assert changes[('vm-17', 'name')] == 'vcsa.primp-industries.local'
        assert changes[('vm-17', 'runtime.powerState')] == 'poweredOn'
    finally:
        collector.DestroyPropertyCollector()
        view.DestroyView()


@needs_recording
def test_every_property_of_every_object(recorded, rsi, files):
    objects = [stub_ref(rsi, type_name, moid) for type_name, moid in files]
    unreadable = {(t, m, p) for t, p in PYVMOMI_UNREADABLE for (tt, m) in files if tt == t}
    everything = retrieve_all(rsi, objects, paths={
        t: set(files[(t, m)]) - {p} for t, m, p in unreadable})
    assert set(everything) == set(files)
    for key, recorded_props in files.items():
        if key[0] in LIVE:
            continue
        expected = set(recorded_props) - {p for t, m, p in unreadable if (t, m) == key}
        if isinstance(recorded.sim.objects.get(MoRef(*key)), recording.RecordedObject):
            assert set(everything[key]) == expected, key
        else:   # the simulator's own object: what it has, recorded or not
            # (a recorded VM starts without its snapshot tree: the recording has none)
            assert set(everything[key]) >= expected - NOT_CARRIED, key
    vm = everything[('VirtualMachine', 'vm-17')]
    assert vm['name'] == 'vcsa.primp-industries.local'
    assert vm['config'].hardware.numCPU > 0
    assert any(isinstance(d, vim.vm.device.VirtualDisk) for d in vm['config'].hardware.device)
    # pyVmomi attribute access: one Fetch per property, every property of every
    # object that the negotiated version (7.0.1.1) has
    version = rsi._stub.version
    for obj in objects:
        for prop in obj._GetPropertyList():
            if IsChildVersion(version, prop.version) \
                    and (obj._wsdlName, obj._moId, prop.name) not in unreadable:
                getattr(obj, prop.name)
    # what pyVmomi cannot read is served all the same (and validates)
    for type_name, moid, name in unreadable:
        status, body = raw_fetch(recorded, rsi, type_name, moid, name)
        assert status == 200 and b'DisableAlarmExpression' in body


@needs_recording
def test_a_writable_object_answers_from_the_model_not_the_recording(recorded, rsi):
    """The switch is the model's: FetchDVPorts lists its ports (those its
    VMs' NICs hold among them), not the 17 recorded ones."""
    dvs = stub_ref(rsi, 'VmwareDistributedVirtualSwitch', 'dvs-50')
    ports = dvs.FetchDVPorts()
    held = {(p.connectee.connectedEntity._moId, p.connectee.nicKey) for p in ports
            if p.connectee is not None and p.connectee.type == 'vmVnic'}
    assert ('vm-16', '4000') in held
    assert any('FetchDVPorts' in line and 'not replayed' in line
               for line in recorded.sim.recording.problems)


# -- small recordings ----------------------------------------------------------------

XSI = 'xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance"'


def prop(name, xsi_type, body):
    return ('<propSet><name>%s</name><val %s XMLSchema-instance:type="%s">%s</val></propSet>'
            % (name, XSI, xsi_type, body))


def ref_prop(name, type_name, moid):
    return ('<propSet><name>%s</name><val %s XMLSchema-instance:type="ManagedObjectReference"'
            ' type="%s">%s</val></propSet>' % (name, XSI, type_name, moid))


def object_content(type_name, moid, *props):
    return '<ObjectContent><obj type="%s">%s</obj>%s</ObjectContent>' % (
        type_name, moid, ''.join(props))


def refs(type_name, *moids):
    return ''.join('<ManagedObjectReference type="%s">%s</ManagedObjectReference>' % (
        type_name, moid) for moid in moids)


SMALL = {
    '0000-ServiceInstance-ServiceInstance.xml': object_content(
        'ServiceInstance', 'ServiceInstance', prop('content', 'ServiceContent', (
            '<rootFolder type="Folder">group-d1</rootFolder>'
            '<propertyCollector type="PropertyCollector">pc</propertyCollector>'
            '<viewManager type="ViewManager">vm-mgr</viewManager>'
            '<about><name>VMware vCenter Server</name>'
            '<fullName>VMware vCenter Server 6.7.0 build-1</fullName>'
            '<vendor>VMware, Inc.</vendor><version>6.7.0</version><build>1</build>'
            '<localeVersion>INTL</localeVersion><localeBuild>000</localeBuild>'
            '<osType>linux-x64</osType><productLineId>vpx</productLineId>'
            '<apiType>VirtualCenter</apiType><apiVersion>6.7.3</apiVersion>'
            '<instanceUuid>11111111-2222-3333-4444-555555555555</instanceUuid>'
            '<licenseProductName>VMware VirtualCenter Server</licenseProductName>'
            '<licenseProductVersion>6.0</licenseProductVersion></about>'
            '<sessionManager type="SessionManager">sm</sessionManager>'
            '<taskManager type="TaskManager">TaskManager</taskManager>'))),
    '0001-Folder-group-d1.xml': object_content(
        'Folder', 'group-d1', prop('name', 'xsd:string', 'Datacenters'),
        prop('childEntity', 'ArrayOfManagedObjectReference', refs('Datacenter', 'dc-1')),
        prop('childType', 'ArrayOfString', '<string>Folder</string><string>Datacenter</string>'),
        prop('notAProperty', 'xsd:string', 'x')),
    '0002-Datacenter-dc-1.xml': object_content(
        'Datacenter', 'dc-1', prop('name', 'xsd:string', 'DC'),
        ref_prop('parent', 'Folder', 'group-d1'),
        ref_prop('vmFolder', 'Folder', 'group-v1'),
        ref_prop('hostFolder', 'Folder', 'group-h1')),
    '0003-Folder-group-v1.xml': object_content(
        'Folder', 'group-v1', prop('name', 'xsd:string', 'vm'),
        ref_prop('parent', 'Datacenter', 'dc-1'),
        prop('childEntity', 'ArrayOfManagedObjectReference', refs('VirtualMachine', 'vm-1'))),
    '0004-VirtualMachine-vm-1.xml': object_content(
        'VirtualMachine', 'vm-1', prop('name', 'xsd:string', 'old-vm'),
        ref_prop('parent', 'Folder', 'group-v1'),
        # an element the schema does not know, inside a data object: left out alone
        prop('runtime', 'VirtualMachineRuntimeInfo',
             '<connectionState>connected</connectionState><powerState>poweredOff'
             '</powerState><fromTheFuture>1</fromTheFuture><faultToleranceState>notConfigured'
             '</faultToleranceState><toolsInstallerMounted>false</toolsInstallerMounted>'
             '<numMksConnections>0</numMksConnections><recordReplayState>inactive'
             '</recordReplayState><onlineStandby>false</onlineStandby>'
             '<consolidationNeeded>false</consolidationNeeded>'),
        # an optional field whose enum value is unknown: left out alone
        prop('guest', 'GuestInfo', '<toolsStatus>toolsFromTheFuture</toolsStatus>'
             '<guestState>running</guestState>'),
        # required fields missing (the schema would not accept it): left out
        prop('summary', 'VirtualMachineSummary', '<runtime/><config/><quickStats/>'
             '<overallStatus>green</overallStatus>'),
        prop('overallStatus', 'ManagedEntityStatus', 'green'),
        # a required array answered empty, so absent: kept, empty
        prop('snapshot', 'VirtualMachineSnapshotInfo', '')),
    '0005-Folder-group-broken.xml': '<ObjectContent><obj type="Folder">group-broken</obj>'
                                    '<propSet><name>name',
    '0006-Gadget-gadget-1.xml': object_content(
        'Gadget', 'gadget-1', prop('name', 'xsd:string', 'g')),
    '0007-Folder-group-entity.xml': (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        '<ObjectContent><obj type="Folder">group-entity</obj>'
        '<propSet><name>name</name><val>&e;</val></propSet></ObjectContent>'),
    '0008-SessionManager-sm.xml': object_content(
        'SessionManager', 'sm', prop('defaultLocale', 'xsd:string', 'fr'),
        prop('supportedLocaleList', 'ArrayOfString', '<string>fr</string><string>en</string>')),
    'README.md': 'not XML, not read',
}


@pytest.fixture(scope='module')
def small_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp('recording')
    for name, text in SMALL.items():
        (directory / name).write_text(text)
    return str(directory)


def test_damaged_recording_is_reported_not_fatal(validator, small_dir, caplog):
    with caplog.at_level(logging.WARNING, logger='vimsim.inventory.recording'):
        running = _simulator(validator, tls=False, load=small_dir)
    problems = running.sim.recording.problems
    text = '\n'.join(problems)
    assert '0005-Folder-group-broken.xml: unreadable' in text
    assert '0007-Folder-group-entity.xml: unreadable' in text    # no DTDs, no entities
    assert 'unknown managed type Gadget' in text
    assert 'unknown property Folder.notAProperty' in text
    assert 'unknown element fromTheFuture in VirtualMachineRuntimeInfo' in text
    assert 'GuestInfo.toolsStatus left out' in text
    assert 'property summary left out' in text
    # a datacenter without its four folders cannot be the model's: replayed
    assert 'Datacenter-dc-1: not made writable' in text
    assert len(problems) == 8
    assert len(caplog.records) == len(problems)
    assert running.sim.api_version == '6.7.3'

    si = running.connect()
    try:
        content = si.RetrieveContent()
        assert content.about.fullName == 'VMware vCenter Server 6.7.0 build-1'
        assert (content.propertyCollector._moId, content.viewManager._moId,
                content.sessionManager._moId) == ('pc', 'vm-mgr', 'sm')
        assert content.sessionManager.defaultLocale == 'fr'
        vms = names_in_view(si, [vim.VirtualMachine])
        vm = vms['old-vm']
        assert vm.runtime.powerState == 'poweredOff'
        assert vm.runtime.connectionState == 'connected'
        assert vm.guest.guestState == 'running' and vm.guest.toolsStatus is None
        assert vm.summary is None
        assert vm.snapshot.rootSnapshotList == []
        everything = retrieve_all(si, [vm, content.rootFolder])
        assert set(everything[('VirtualMachine', 'vm-1')]) == {
            'name', 'parent', 'runtime', 'guest', 'overallStatus', 'snapshot'}
        # a manager the content names but the recording lacks: the simulator's own
        assert content.taskManager._moId == 'TaskManager'
        assert content.taskManager.description.methodInfo
    finally:
        Disconnect(si)


def test_not_a_recording(tmp_path):
    schema = load_schema()
    with pytest.raises(recording.RecordingError, match='not a directory'):
        recording.read(str(tmp_path / 'missing'), schema)
    (tmp_path / 'notes.txt').write_text('hello')
    with pytest.raises(recording.RecordingError, match='no recorded objects'):
        recording.read(str(tmp_path), schema)
