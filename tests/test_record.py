"""`vimsim record URL DIR`: a running vimsim (a real server over HTTPS)
recorded with pyVmomi, loaded back with -load and compared; `--anonymize`
leaves no original name, IP, MAC, UUID or serial number, and every
reference still resolves."""
import contextlib
import io
import os
import re

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.conftest import _simulator, logged_in, on_reactor
from tests.invariants import api_violations, model_violations
from tests.test_recording import RECORDING, needs_recording, recorded_objects
from vimsim import cli
from vimsim.inventory.anonymizer import FIXED_NAMES
from vimsim.inventory.recorder import RecordError, parse_url, record
from vimsim.testing.server import SimulatorServer, options_for

FILE_NAME = re.compile(r'^(\d{4})-([A-Za-z]+)-(.+)\.xml$')


@pytest.fixture(scope='module')
def source(validator):
    return _simulator(validator)   # HTTPS, the default inventory


def url_of(server):
    return '%s://%s:%s@%s:%d/sdk' % (server.scheme, server.username, server.password,
                                      server.host, server.port)


@pytest.fixture(scope='module')
def recorded_dir(source, tmp_path_factory):
    directory = str(tmp_path_factory.mktemp('rec') / 'vc')
    record(url_of(source), directory)
    return directory


@pytest.fixture(scope='module')
def anonymized_dir(source, tmp_path_factory):
    directory = str(tmp_path_factory.mktemp('anon') / 'vc')
    record(url_of(source), directory, anonymize=True)
    return directory


def all_text(directory):
    out = []
    for root, _, files in os.walk(directory):
        for name in files:
            with open(os.path.join(root, name), encoding='utf-8') as fh:
                out.append(fh.read())
    return '\n'.join(out)


def contains(text, value):
    """`value` occurs in (lowered) `text` as a token of its own, not inside a
    longer run of letters and digits (a replacement hash may hold 'dc0')."""
    value = value.lower()
    return value in text and re.search(
        r'(?<![0-9a-z])%s(?![0-9a-z])' % re.escape(value), text) is not None


def entities(si):
    """{(type, moid): entity} of everything under the root folder, and it."""
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [], True)
    try:
        found = {(e._wsdlName, e._moId): e for e in view.view}
    finally:
        view.DestroyView()
    found[('Folder', content.rootFolder._moId)] = content.rootFolder
    return found


def facts(entity):
    """What the comparison reads of an entity."""
    out = {'name': entity.name, 'parent': getattr(entity.parent, '_moId', None)}
    if isinstance(entity, vim.VirtualMachine):
        config = entity.config
        out.update(power=entity.runtime.powerState, host=entity.runtime.host._moId,
                   pool=getattr(entity.resourcePool, '_moId', None),
                   datastores=sorted(d._moId for d in entity.datastore),
                   networks=sorted(n._moId for n in entity.network),
                   memory=config.hardware.memoryMB, cpus=config.hardware.numCPU,
                   uuid=config.uuid, instance_uuid=config.instanceUuid,
                   devices=[(type(d).__name__, d.key) for d in config.hardware.device],
                   macs=[d.macAddress for d in config.hardware.device
                         if isinstance(d, vim.vm.device.VirtualEthernetCard)],
                   vmx=config.files.vmPathName)
    elif isinstance(entity, vim.HostSystem):
        out.update(vms=sorted(v._moId for v in entity.vm),
                   datastores=sorted(d._moId for d in entity.datastore),
                   memory=entity.hardware.memorySize,
                   uuid=entity.hardware.systemInfo.uuid,
                   state=entity.runtime.connectionState)
    elif isinstance(entity, vim.Datastore):
        out.update(capacity=entity.summary.capacity, url=entity.summary.url,
                   hosts=sorted(m.key._moId for m in entity.host))
    elif isinstance(entity, vim.Folder):
        out.update(children=sorted(c._moId for c in entity.childEntity))
    return out


def test_the_layout_is_govc_object_save(recorded_dir):
    names = sorted(os.listdir(recorded_dir))
    files = [name for name in names if name.endswith('.xml')]
    numbers = [int(FILE_NAME.match(name).group(1)) for name in files]
    assert numbers == list(range(len(files)))
    assert files[0] == '0000-ServiceInstance-ServiceInstance.xml'
    assert any(FILE_NAME.match(n).group(2) == 'HostDatastoreBrowser' for n in files)
    assert os.path.isfile(os.path.join(recorded_dir, 'VmwareDistributedVirtualSwitch-dvs-7',
                                       'FetchDVPorts.xml'))
    with open(os.path.join(recorded_dir, 'README.md')) as fh:
        readme = fh.read()
    assert readme.startswith('Saved %d total objects to "vc", including:' % len(files))
    assert 'VirtualMachine: 4' in readme.splitlines()


@contextlib.contextmanager
def loaded_beside(validator, source, directory):
    """(the simulator serving `directory`, the source's entities, the loaded
    one's, by (type, moid)); both the same set, and the invariants hold after."""
    loaded = _simulator(validator, tls=False, load=directory)
    si = source.connect()
    try:
        with contextlib.closing(_Session(loaded)) as copy:
            original, replayed = entities(si), entities(copy.si)
            assert set(original) == set(replayed)     # moids unchanged: references resolve
            yield loaded, original, replayed
            assert api_violations(copy.si, loaded.sim.schema) == []
    finally:
        si.content.sessionManager.Logout()
    assert on_reactor(model_violations, loaded.sim) == []


def test_a_recording_loaded_back_is_the_recorded_inventory(validator, source, recorded_dir):
    with loaded_beside(validator, source, recorded_dir) as (loaded, original, replayed):
        for key, entity in original.items():
            assert facts(replayed[key]) == facts(entity), key
    assert loaded.sim.recording.problems == [
        'VmwareDistributedVirtualSwitch-dvs-7: the recorded FetchDVPorts is not replayed: '
        'the simulator answers it']


class _Session:
    def __init__(self, server):
        self.si = next(logged_in(server))

    def close(self):
        self.si.content.sessionManager.Logout()


def identities(si):
    """Every name, IP, MAC, UUID and serial number of the source inventory."""
    names, ips, macs, uuids = set(), set(), set(), set()
    content = si.RetrieveContent()
    uuids.add(content.about.instanceUuid)
    serials = set()
    for entity in entities(si).values():
        if entity.name.lower() not in FIXED_NAMES:
            names.add(entity.name)
        if isinstance(entity, vim.VirtualMachine):
            uuids.update((entity.config.uuid, entity.config.instanceUuid))
            macs.update(d.macAddress for d in entity.config.hardware.device
                        if isinstance(d, vim.vm.device.VirtualEthernetCard))
            if entity.guest.ipAddress:
                ips.add(entity.guest.ipAddress)
        elif isinstance(entity, vim.HostSystem):
            system = entity.hardware.systemInfo
            uuids.add(system.uuid)
            serials.add(system.serialNumber)
            for vnic in entity.config.network.vnic:
                ips.add(vnic.spec.ip.ipAddress)
                macs.add(vnic.spec.mac)
            macs.update(p.mac for p in entity.config.network.pnic)
        elif isinstance(entity, vim.Datastore):
            uuids.add(entity.summary.url.rstrip('/').rsplit('/', 1)[-1])
        elif isinstance(entity, vim.DistributedVirtualSwitch):
            uuids.add(entity.uuid)
    return names, ips - {None, ''}, macs - {None, ''}, uuids - {None, ''}, serials


def test_an_anonymized_recording_leaves_no_identity(validator, source, recorded_dir,
                                                    anonymized_dir):
    si = source.connect()
    try:
        names, ips, macs, uuids, serials = identities(si)
    finally:
        si.content.sessionManager.Logout()
    assert names and ips and macs and uuids and serials
    plain, text = all_text(recorded_dir).lower(), all_text(anonymized_dir).lower()
    for kind, values in (('name', names), ('ip', ips), ('mac', macs), ('uuid', uuids),
                         ('serial', serials)):
        for value in values:
            assert contains(plain, value), (kind, value)      # recorded at all
            assert not contains(text, value), (kind, value)   # and replaced


def test_an_anonymized_recording_loads_and_still_resolves(validator, source, anonymized_dir):
    with loaded_beside(validator, source, anonymized_dir) as (_, original, replayed):
        for key, entity in original.items():
            mine, theirs = facts(entity), facts(replayed[key])
            assert theirs['parent'] == mine['parent']
            if 'host' in mine:
                assert (theirs['host'], theirs['pool'], theirs['datastores'],
                        theirs['power']) == (mine['host'], mine['pool'],
                                             mine['datastores'], mine['power'])
                # one name, one replacement: the VM's and its datastore's names
                # in its .vmx path are their new names
                vm = replayed[key]
                assert vm.config.files.vmPathName == '[%s] %s/%s.vmx' % (
                    vm.datastore[0].name, vm.name, vm.name)
                assert theirs['uuid'] != mine['uuid']
                assert theirs['macs'] != mine['macs']


def test_the_command_line(source, tmp_path):
    out = io.StringIO()
    target = str(tmp_path / 'cli')
    with contextlib.redirect_stdout(out):
        assert cli.main(['record', '--anonymize', url_of(source), target]) == 0
    assert out.getvalue().startswith('Saved ')
    err = io.StringIO()
    with contextlib.redirect_stderr(err):   # never mixed into another recording
        assert cli.main(['record', url_of(source), target]) == 1
    assert 'not an empty directory' in err.getvalue()


def test_urls_and_refusals(validator, tmp_path):
    assert parse_url('vc.example.com', 'u', 'p') == ('https', 'vc.example.com', 443, '/sdk',
                                                     'u', 'p')
    assert parse_url('http://a%40b:p%3Aw@h:8080/sdk') == ('http', 'h', 8080, '/sdk',
                                                          'a@b', 'p:w')
    with pytest.raises(RecordError, match='no credentials'):
        parse_url('https://h/sdk')
    with pytest.raises(RecordError, match='not an http'):
        parse_url('ftp://u:p@h/')
    guarded = _simulator(validator, tls=False, username='alice', password='right')
    with pytest.raises(RecordError, match='login refused'):
        record('http://alice:wrong@%s:%d/sdk' % (guarded.host, guarded.port),
               str(tmp_path / 'refused'))
    assert not os.path.exists(tmp_path / 'refused')


@needs_recording
def test_a_real_vcenter_recorded_anonymized(validator, tmp_path):
    """The real vCenter's recording, served by vimsim, recorded again with
    --anonymize: none of its names, private IPs, MACs or UUIDs is left, and
    the result loads with every invariant holding. About 30 s on a busy
    machine (bounded: the recording is 11 MB); the served answers are not
    validated here (tests/test_recording.py validates them)."""
    served = SimulatorServer(options_for(load=RECORDING, tls=False))
    target = str(tmp_path / 'anon')
    record(url_of(served), target, anonymize=True)
    original, text = all_text(RECORDING), all_text(target).lower()
    names = {props['name'].text for props in recorded_objects(RECORDING).values()
             if props.get('name') is not None and props['name'].text
             and props['name'].text.lower() not in FIXED_NAMES}
    found = {
        'name': names,
        'ip': set(re.findall(r'\b(?:10|172|192)\.\d{1,3}\.\d{1,3}\.\d{1,3}\b', original)),
        'mac': set(re.findall(r'\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b', original, re.I)),
        'uuid': set(re.findall(r'\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                               r'[0-9a-f]{12}\b', original, re.I))}
    for kind, values in found.items():
        assert len(values) > 3, kind
        left = sorted(value for value in values if contains(text, value))
        assert left == [], kind
    loaded = _simulator(validator, tls=False, load=target)
    assert on_reactor(model_violations, loaded.sim) == []
    assert {obj.ref for obj in loaded.sim.objects if obj.type_name == 'VirtualMachine'} == {
        obj.ref for obj in served.sim.objects if obj.type_name == 'VirtualMachine'}


def test_an_esx_host_recorded_and_loaded_takes_new_vms(validator, tmp_path):
    """hostd numbers VMs 1, 2, ...: one created on the loaded recording is
    numbered past the recorded ones, and the invariants hold."""
    host = _simulator(validator, tls=False, esx=True)
    target = str(tmp_path / 'esx')
    record(url_of(host), target)
    loaded = _simulator(validator, tls=False, load=target)
    assert loaded.sim.esx and loaded.sim.recording.problems == []
    si = next(logged_in(loaded))
    try:
        dc = si.content.rootFolder.childEntity[0]
        pool = dc.hostFolder.childEntity[0].resourcePool
        assert sorted(vm._moId for vm in dc.vmFolder.childEntity) == ['1', '2']
        task = dc.vmFolder.CreateVM_Task(config=vim.vm.ConfigSpec(
            name='on-the-copy', memoryMB=64, numCPUs=1, guestId='otherGuest64',
            files=vim.vm.FileInfo(vmPathName='[LocalDS_0]')), pool=pool)
        assert WaitForTask(task) == 'success'
        assert task.info.result._moId == '3'
        assert api_violations(si, loaded.sim.schema) == []
    finally:
        si.content.sessionManager.Logout()
    assert on_reactor(model_violations, loaded.sim) == []
