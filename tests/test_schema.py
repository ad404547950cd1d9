"""Tests for tools/gen_wsdl.py (the generated wsdl/) and vimsim.schema."""
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest
from lxml import etree

from vimsim import schema

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WSDL_DIR = schema.default_wsdl_dir()
XSD_FILES = sorted(f for f in os.listdir(WSDL_DIR) if f.endswith('.xsd'))
EXPECTED_FILES = {
    'vimService.wsdl', 'vim.wsdl', 'core-types.xsd', 'query-types.xsd',
    'query-messagetypes.xsd', 'reflect-types.xsd', 'reflect-messagetypes.xsd',
    'vim-types.xsd', 'vim-messagetypes.xsd', 'vim-managedtypes.xsd',
}
PBM_FILES = {'pbmService.wsdl', 'pbm.wsdl', 'core-types.xsd', 'pbm-types.xsd',
             'pbm-messagetypes.xsd', 'pbm-managedtypes.xsd'}
VSLM_FILES = {'vslmService.wsdl', 'vslm.wsdl', 'core-types.xsd', 'vim-types.xsd',
              'vslm-types.xsd', 'vslm-messagetypes.xsd', 'vslm-managedtypes.xsd'}
LOOKUP_FILES = {'lookupservice.wsdl', 'lookup.wsdl', 'core-types.xsd', 'lookup-types.xsd',
                'lookup-messagetypes.xsd', 'lookup-managedtypes.xsd'}
OTHER_APIS = {'pbm': PBM_FILES, 'vslm': VSLM_FILES, 'lookup': LOOKUP_FILES}


@pytest.fixture(scope='module')
def s():
    return schema.load()


# ---------------------------------------------------------------------------
# generated files

def test_file_layout():
    assert EXPECTED_FILES <= set(os.listdir(WSDL_DIR))


def test_regenerate_is_byte_identical(tmp_path):
    if importlib.util.find_spec('pyVmomi') is None:
        pytest.skip('pyVmomi is not importable: cannot regenerate wsdl/')
    installed = importlib.metadata.version('pyvmomi')
    with open(os.path.join(WSDL_DIR, 'vim.wsdl'), encoding='utf-8') as wsdl:
        header = wsdl.read(300)
    if 'from pyVmomi %s.' % installed not in header:
        pytest.skip('wsdl/ was generated from another pyVmomi than %s' % installed)
    out = tmp_path / 'wsdl'
    subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'gen_wsdl.py'), '--out', str(out)],
                   check=True, capture_output=True)
    generated = sorted(os.listdir(out))
    assert set(generated) == EXPECTED_FILES | set(OTHER_APIS)
    for api, files in OTHER_APIS.items():
        assert set(os.listdir(out / api)) == files
    for name in [n for n in generated if n not in OTHER_APIS] + [
            '%s/%s' % (api, n) for api, files in OTHER_APIS.items() for n in files]:
        with open(os.path.join(WSDL_DIR, name), 'rb') as a, open(out / name, 'rb') as b:
            assert a.read() == b.read(), '%s differs from a fresh generation' % name


def _wrapper_schema(extra=''):
    text = ('<schema xmlns="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:vim25" elementFormDefault="qualified">'
            + ''.join('<include schemaLocation="%s"/>' % f for f in XSD_FILES)
            + extra + '</schema>')
    return etree.fromstring(text.encode(), base_url=os.path.join(WSDL_DIR, 'wrapper.xsd'))


def test_all_xsd_compile_as_one_schema():
    etree.XMLSchema(_wrapper_schema())


def _wsdl_inline_schema():
    wsdl = etree.parse(os.path.join(WSDL_DIR, 'vim.wsdl'))
    sch = wsdl.find('{http://schemas.xmlsoap.org/wsdl/}types/{http://www.w3.org/2001/XMLSchema}schema')
    return etree.XMLSchema(etree.fromstring(etree.tostring(sch),
                                            base_url=os.path.join(WSDL_DIR, 'vim-inline.xsd')))


def test_wsdl_inline_schema_compiles_and_validates():
    xs = _wsdl_inline_schema()
    ok = etree.fromstring(
        b'<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector</_this>'
        b'<specSet><propSet><type>VirtualMachine</type><pathSet>name</pathSet></propSet>'
        b'<objectSet><obj type="Folder">group-d1</obj></objectSet></specSet>'
        b'<options/></RetrievePropertiesEx>')
    assert xs.validate(ok), xs.error_log
    bad = etree.fromstring(
        b'<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">pc</_this>'
        b'<options/><specSet/></RetrievePropertiesEx>')
    assert not xs.validate(bad)


def test_wsdl_structure():
    ns = {'w': 'http://schemas.xmlsoap.org/wsdl/', 'soap': 'http://schemas.xmlsoap.org/wsdl/soap/'}
    svc = etree.parse(os.path.join(WSDL_DIR, 'vimService.wsdl'))
    assert svc.find('w:import', ns).get('location') == 'vim.wsdl'
    assert svc.find('.//soap:address', ns).get('location') == 'https://localhost/sdk'
    vim = etree.parse(os.path.join(WSDL_DIR, 'vim.wsdl'))
    incs = [i.get('schemaLocation') for i in vim.iter('{http://www.w3.org/2001/XMLSchema}include')]
    assert incs == ['query-messagetypes.xsd', 'reflect-messagetypes.xsd', 'vim-messagetypes.xsd']
    actions = {o.get('soapAction') for o in vim.iterfind('.//soap:operation', ns)}
    assert actions == {'urn:vim25/9.1.1.0'}
    op = vim.find('w:portType/w:operation[@name="PowerOnVM_Task"]', ns)
    assert op.get(schema.SINCE) == '2.0'
    faults = {f.get('name'): f.get('message') for f in op.findall('w:fault', ns)}
    assert faults['RuntimeFault'] == 'vim25:RuntimeFaultFaultMsg'
    assert faults['TaskInProgressFault'] == 'vim25:TaskInProgressFaultMsg'
    assert faults['InsufficientResourcesFaultFault'] == 'vim25:InsufficientResourcesFaultFaultMsg'
    xs = '{http://www.w3.org/2001/XMLSchema}'
    el = vim.find('w:types/%sschema/%selement[@name="PowerOnVM_Task"]' % (xs, xs), ns)
    assert el.get('type') == 'vim25:PowerOnVMRequestType'   # real WSDLs drop _Task here
    # no public file includes the managed types
    for name in EXPECTED_FILES - {'vim-managedtypes.xsd'}:
        with open(os.path.join(WSDL_DIR, name), encoding='utf-8') as fh:
            assert 'vim-managedtypes.xsd' not in fh.read()


def test_array_types():
    with open(os.path.join(WSDL_DIR, 'vim-types.xsd'), encoding='utf-8') as fh:
        vim_types = fh.read()
    assert ('<element name="VirtualDevice" type="vim25:VirtualDevice" minOccurs="0" '
            'maxOccurs="unbounded"/>') in vim_types
    assert 'name="ArrayOfVirtualDevice"' in vim_types
    with open(os.path.join(WSDL_DIR, 'core-types.xsd'), encoding='utf-8') as fh:
        core = fh.read()
    for item in ('String', 'Int', 'Long', 'Short', 'Byte', 'Boolean', 'Float', 'Double',
                 'DateTime', 'Base64Binary', 'AnyType', 'ManagedObjectReference', 'AnyURI'):
        assert 'name="ArrayOf%s"' % item in core
    assert '<element name="string" type="xsd:string" minOccurs="0" maxOccurs="unbounded"/>' in core


def test_fetch_style_anytype_content_is_validated():
    # anyType + xsi:type validates against the named type (how FetchResponse values look)
    extra = ('<element name="Probe"><complexType><sequence>'
             '<element name="returnval" type="anyType" maxOccurs="unbounded"/>'
             '</sequence></complexType></element>')
    xs = etree.XMLSchema(_wrapper_schema(extra))
    good = (b'<Probe xmlns="urn:vim25" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            b'<returnval xsi:type="VirtualMachineRuntimeInfo"><host type="HostSystem">host-1</host>'
            b'<connectionState>connected</connectionState><powerState>poweredOn</powerState>'
            b'<faultToleranceState>notConfigured</faultToleranceState>'
            b'<toolsInstallerMounted>false</toolsInstallerMounted><numMksConnections>0</numMksConnections>'
            b'<recordReplayState>inactive</recordReplayState><onlineStandby>false</onlineStandby>'
            b'<consolidationNeeded>false</consolidationNeeded>'
            b'</returnval>'
            b'<returnval xsi:type="ArrayOfManagedObjectReference">'
            b'<ManagedObjectReference type="VirtualMachine">vm-1</ManagedObjectReference></returnval>'
            b'</Probe>')
    assert xs.validate(etree.fromstring(good)), xs.error_log
    bad = good.replace(b'poweredOn', b'poweredSideways')
    assert not xs.validate(etree.fromstring(bad))


# ---------------------------------------------------------------------------
# Schema

def test_versions(s):
    assert s.versions[0] == '2.0'
    assert s.versions[-1] == '9.1.1.0'
    assert s.newest == len(s.versions) - 1
    assert s.version('8.0.3.0') > s.version('8.0.2.0') > s.version('7.0.3.0') > s.version('6.7')
    assert s.version_name(s.version('6.7.1')) == '6.7.1'
    with pytest.raises(KeyError):
        s.version('1.0')


def test_sizes(s):
    # WIRE.md section 11 (3,169 counts vmodl.DataObject, which is no WSDL type)
    assert len(s.types) == 3168
    assert sum(t.is_fault for t in s.types.values()) == 700
    assert len(s.managed) == 156
    assert len(s.operations) == 1092
    assert len(s.enums) == 465


def test_vm_config_info(s):
    ci = s.types['VirtualMachineConfigInfo']
    assert ci.base is s.types['DynamicData']
    names = [f.name for f in ci.fields]
    assert names[:5] == ['dynamicType', 'dynamicProperty', 'changeVersion', 'modified', 'name']
    assert names.index('hardware') < names.index('cpuAllocation') < names.index('extraConfig')
    f = ci.field_map
    assert not f['name'].optional and f['name'].type == 'string' and not f['name'].array
    assert f['annotation'].optional
    assert f['modified'].type == 'dateTime'
    assert f['hardware'].type == 'VirtualHardware' and not f['hardware'].optional
    assert f['extraConfig'].type == 'OptionValue' and f['extraConfig'].array and f['extraConfig'].optional
    assert f['instanceUuid'].since == s.version('4.0')
    assert s.types['VirtualHardware'].field_map['device'].type == 'VirtualDevice'
    assert s.types['VirtualHardware'].field_map['device'].array
    assert s.types['VirtualDisk'].is_a(s.types['VirtualDevice'])
    assert s.types['VirtualDisk'] in s.types['VirtualDevice'].subtypes
    obj = ci.cls(name='vm1')
    assert obj.name == 'vm1' and obj.uuid is None
    assert isinstance(obj, schema.DataObject) and type(obj).__name__ == 'VirtualMachineConfigInfo'
    assert obj == ci.cls(name='vm1') and obj != ci.cls(name='vm2')
    with pytest.raises(TypeError):
        ci.cls(nosuchfield=1)
    with pytest.raises(AttributeError):
        obj.nosuchfield = 1


def test_retrieve_properties_ex(s):
    op = s.operations['RetrievePropertiesEx']
    assert op.managed_type == 'PropertyCollector'
    assert [(p.name, p.type, p.array, p.optional) for p in op.params] == [
        ('specSet', 'PropertyFilterSpec', True, False),  # vimsim:required
        ('options', 'RetrieveOptions', False, False)]
    assert not s.types['PropertyFilterSpec'].field_map['propSet'].optional
    assert s.types['PropertySpec'].field_map['pathSet'].optional
    assert op.result.name == 'returnval'
    assert op.result.type == 'RetrieveResult' and op.result.optional and not op.result.array
    assert 'InvalidProperty' in op.faults and 'RuntimeFault' in op.faults
    assert op.since == s.version('4.1')
    assert not op.is_task
    assert s.operations['CancelWaitForUpdates'].result is None


def test_power_on(s):
    op = s.operations['PowerOnVM_Task']
    assert op.managed_type == 'VirtualMachine' and op.is_task
    assert op.result.type == 'ManagedObjectReference' and op.result.mo_type == 'Task'
    assert op.params[0].name == 'host' and op.params[0].mo_type == 'HostSystem'
    assert op.params[0].optional
    assert op.privilege == 'VirtualMachine.Interact.PowerOn'
    assert s.managed['VirtualMachine'].methods['PowerOnVM_Task'] is op


def test_virtual_machine_managed_type(s):
    vm = s.managed['VirtualMachine']
    assert vm.property_map['runtime'].type == 'VirtualMachineRuntimeInfo'
    assert vm.base.name == 'ManagedEntity'
    assert vm.is_a('ManagedEntity') and vm.is_a('ManagedObject') and not vm.is_a('HostSystem')
    name = vm.property_map['name']
    assert name is s.managed['ManagedEntity'].property_map['name']
    assert [p.name for p in vm.properties].index('name') < [p.name for p in vm.properties].index('runtime')
    assert 'Destroy_Task' in vm.methods and vm.methods['Destroy_Task'].managed_type == 'ManagedEntity'
    host = vm.property_map['runtime']
    assert not host.array
    hvm = s.managed['HostSystem'].property_map['vm']
    assert hvm.type == 'ManagedObjectReference' and hvm.mo_type == 'VirtualMachine' and hvm.array
    assert s.managed['ManagedObject'].base is None and not s.managed['ManagedObject'].properties


def test_since_of_new_field(s):
    f = s.types['HostCapability'].field_map['stretchedSCSupported']
    assert f.since > s.version('8.0.2.0')
    assert f.since == s.version('8.0.3.0')
    assert s.types['HostCapability'].since < s.version('8.0.2.0')


def test_enums(s):
    ps = s.enums['VirtualMachinePowerState']
    assert set(ps.values) == {'poweredOff', 'poweredOn', 'suspended'}
    assert all(v == ps.since for v in ps.values.values())


def test_faults(s):
    il = s.types['InvalidLogin']
    assert il.is_fault and issubclass(il.cls, Exception)
    assert issubclass(il.cls, s.types['MethodFault'].cls)
    with pytest.raises(s.types['VimFault'].cls):
        raise il.cls()
    mf = s.types['MethodFault']
    assert mf.base is None
    # as in a real WSDL: a root that repeats DynamicData's fields
    assert [f.name for f in mf.fields] == ['dynamicType', 'dynamicProperty', 'faultCause', 'faultMessage']
    assert mf.field_map['faultCause'].type == 'LocalizedMethodFault'
    lmf = s.types['LocalizedMethodFault']
    assert not lmf.is_fault and lmf.base.name == 'DynamicData'
    assert lmf.field_map['fault'].type == 'MethodFault'
    # a MethodFault-typed value travels as LocalizedMethodFault
    assert s.types['TaskInfo'].field_map['error'].type == 'LocalizedMethodFault'
    assert s.types['ManagedObjectNotFound'].field_map['obj'].type == 'ManagedObjectReference'
    assert not s.types['DynamicData'].is_fault
    assert not issubclass(s.types['DynamicData'].cls, Exception)


def test_moref():
    a = schema.MoRef('VirtualMachine', 'vm-1')
    assert a == schema.MoRef('VirtualMachine', 'vm-1')
    assert a != schema.MoRef('HostSystem', 'vm-1')
    assert len({a, schema.MoRef('VirtualMachine', 'vm-1')}) == 1
    assert 'vm-1' in repr(a)


def test_keyword_field_names(s):
    ev = s.types['AlarmClearedEvent'].cls(**{'from': 'green'})
    assert getattr(ev, 'from') == 'green'


def test_a_class_makes_its_objects_alike_before_and_after_its_own_init(s):
    """A class makes its first objects with DataObject.__init__ and then with
    an __init__ of its own (schema._own_init): every field set or None
    alike, an unknown field refused by both; a subclass gets its own, not
    its base's (its fields are more); a field named by a keyword keeps
    DataObject's."""
    base, sub = s.types['VirtualDevice'].cls, s.types['VirtualDisk'].cls
    before = [cls(key=n, controllerKey=100) for n in range(schema.OWN_INIT_AFTER)
              for cls in (base, sub)]
    assert base.__init__ is not schema._first_init is not sub.__init__
    assert base.__init__ is not sub.__init__
    after = [cls(key=n, controllerKey=100) for n in range(schema.OWN_INIT_AFTER)
             for cls in (base, sub)]
    assert after == before
    disk = sub(key=1, capacityInKB=1024)
    assert (disk.key, disk.capacityInKB, disk.unitNumber, disk.backing) == (1, 1024, None, None)
    for cls in (base, sub):
        with pytest.raises(TypeError):
            cls(nosuchfield=1)
        with pytest.raises(TypeError):
            cls(1)
    event = s.types['AlarmClearedEvent'].cls
    for _ in range(schema.OWN_INIT_AFTER + 1):
        made = event(**{'from': 'green'}, key=7)
    assert (getattr(made, 'from'), made.key) == ('green', 7)
    assert event.__init__ is schema.DataObject.__init__


def test_load_is_cached(s):
    assert schema.load() is s


def test_load_cache(tmp_path):
    """The schema loads cold (writing its cache) and warm (reading it); load
    time itself is a benchmark figure, not a test."""
    code = 'from vimsim import schema; print(len(schema.load().types))'
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path), PYTHONPATH=ROOT)
    counts = [subprocess.run([sys.executable, '-c', code], env=env, check=True,
                             capture_output=True, text=True).stdout for _ in range(2)]
    assert counts[0] == counts[1] and int(counts[0]) > 3000
    assert list((tmp_path / 'vimsim').iterdir())
    # a broken cache file is rebuilt, an unwritable cache dir is ignored
    for p in (tmp_path / 'vimsim').iterdir():
        p.write_bytes(b'garbage')
    subprocess.run([sys.executable, '-c', code], env=env, check=True, capture_output=True)
    env['XDG_CACHE_HOME'] = '/proc/nonexistent'
    subprocess.run([sys.executable, '-c', code], env=env, check=True, capture_output=True)


def test_a_changed_file_makes_a_new_cache(tmp_path):
    """The cache is keyed by the files' sizes and modification times: a file
    touched since gets a cache of its own, the same schema read again."""
    wsdl = tmp_path / 'wsdl'
    wsdl.mkdir()
    for name in schema.VIM25.all_files:
        (wsdl / name).write_bytes(open(os.path.join(WSDL_DIR, name), 'rb').read())
    code = 'from vimsim import schema; print(len(schema.load(%r).types))' % str(wsdl)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / 'cache'), PYTHONPATH=ROOT)

    def load():
        return subprocess.run([sys.executable, '-c', code], env=env, check=True,
                              capture_output=True, text=True).stdout

    first = load()
    caches = set((tmp_path / 'cache' / 'vimsim').iterdir())
    assert load() == first and set((tmp_path / 'cache' / 'vimsim').iterdir()) == caches
    stat = os.stat(wsdl / 'vim-types.xsd')
    os.utime(wsdl / 'vim-types.xsd', ns=(stat.st_atime_ns, stat.st_mtime_ns + 1000))
    assert load() == first
    assert len(set((tmp_path / 'cache' / 'vimsim').iterdir()) - caches) == 1


def test_loader_does_not_import_pyvmomi():
    code = 'import sys; from vimsim import schema; schema.load(); print("pyVmomi" in sys.modules)'
    out = subprocess.run([sys.executable, '-c', code], env=dict(os.environ, PYTHONPATH=ROOT),
                         check=True, capture_output=True, text=True).stdout
    assert out.strip() == 'False'


def test_field_tables_are_made_on_first_use():
    """A loaded schema has made no type's fields yet (a start reads a few
    hundred types of 3,168); reading one type's makes its own and its bases'
    only, the same Fields as its base's, in the WSDL's order."""
    code = textwrap.dedent('''
        from vimsim import schema
        types = schema.load().types
        def made():
            return sorted(name for name, t in types.items() if t._field_rows is None)
        print(made())
        spec = types['VirtualMachineConfigSpec']
        assert spec.fields[0] is types['DynamicData'].fields[0]
        print(spec._names[:3], spec.field_map['name'].type, len(spec.own_fields) == len(spec.fields) - 2)
        print(made())
    ''')
    out = subprocess.run([sys.executable, '-c', code], env=dict(os.environ, PYTHONPATH=ROOT),
                         check=True, capture_output=True, text=True).stdout.splitlines()
    assert out == ['[]', "('dynamicType', 'dynamicProperty', 'changeVersion') string True",
                   "['DynamicData', 'VirtualMachineConfigSpec']"]


def test_explicit_dir(s):
    assert schema.load(WSDL_DIR) is s
