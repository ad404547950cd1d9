"""CustomizationSpecManager's XML form with pyVmomi: CustomizationSpecItemToXml
writes vCenter's export form (ConfigRoot, `_type` vmodl names, arrays with
`_length` and `e id`), XmlToCustomizationSpecItem reads it back, also a
file as the vSphere Client exports it; what is not of the form answers
InvalidArgument, an identity of the other OS type CustomizationFault."""
import pytest
from lxml import etree
from pyVmomi import VmomiSupport, vim, vmodl

from vimsim import schema as schema_module
from vimsim.managed.vm.customization_xml import vmodl_name

C = vim.vm.customization

EXPORTED = """<ConfigRoot>
  <_type>vim.CustomizationSpecItem</_type>
  <info>
    <_type>vim.CustomizationSpecInfo</_type>
    <changeVersion>1725551416</changeVersion>
    <description>exported</description>
    <lastUpdateTime>2024-09-05T15:50:16Z</lastUpdateTime>
    <name>exported-linux</name>
    <type>Linux</type>
  </info>
  <spec>
    <_type>vim.vm.customization.Specification</_type>
    <globalIPSettings>
      <_type>vim.vm.customization.GlobalIPSettings</_type>
      <dnsServerList>
        <_length>1</_length>
        <_type>string[]</_type>
        <e id="0">10.0.0.53</e>
      </dnsServerList>
    </globalIPSettings>
    <identity>
      <_type>vim.vm.customization.LinuxPrep</_type>
      <domain>example.com</domain>
      <hostName>
        <_type>vim.vm.customization.UnknownNameGenerator</_type>
      </hostName>
      <hwClockUTC>true</hwClockUTC>
      <scriptText/>
      <timeZone>Europe/Prague</timeZone>
    </identity>
    <nicSettingMap>
      <_length>1</_length>
      <_type>vim.vm.customization.AdapterMapping[]</_type>
      <e id="0">
        <_type>vim.vm.customization.AdapterMapping</_type>
        <adapter>
          <_type>vim.vm.customization.IPSettings</_type>
          <ip>
            <_type>vim.vm.customization.UnknownIpGenerator</_type>
          </ip>
        </adapter>
      </e>
    </nicSettingMap>
    <options>
      <_type>vim.vm.customization.LinuxOptions</_type>
    </options>
  </spec>
</ConfigRoot>
"""


@pytest.fixture
def manager(si):
    return si.RetrieveContent().customizationSpecManager


def item():
    return vim.CustomizationSpecItem(
        info=vim.CustomizationSpecInfo(name='web', description='', type='Linux'),
        spec=C.Specification(
            identity=C.LinuxPrep(domain='example.com', hostName=C.FixedName(name='web01'),
                                 hwClockUTC=True),
            globalIPSettings=C.GlobalIPSettings(dnsServerList=['10.0.0.53', '10.0.0.54']),
            nicSettingMap=[C.AdapterMapping(adapter=C.IPSettings(
                ip=C.FixedIp(ipAddress='10.0.0.10'), subnetMask='255.255.255.0',
                gateway=['10.0.0.1']))],
            options=C.LinuxOptions()))


def test_the_xml_form_round_trips(manager):
    text = manager.CustomizationSpecItemToXml(item())
    root = etree.fromstring(text.encode())
    assert root.tag == 'ConfigRoot' and root.findtext('_type') == 'vim.CustomizationSpecItem'
    assert root.findtext('spec/identity/_type') == 'vim.vm.customization.LinuxPrep'
    assert root.findtext('spec/identity/hostName/_type') == 'vim.vm.customization.FixedName'
    assert root.findtext('spec/identity/hwClockUTC') == 'true'
    servers = root.find('spec/globalIPSettings/dnsServerList')
    assert servers.findtext('_length') == '2' and servers.findtext('_type') == 'string[]'
    assert [(e.get('id'), e.text) for e in servers.findall('e')] == [
        ('0', '10.0.0.53'), ('1', '10.0.0.54')]
    assert root.findtext('spec/nicSettingMap/_type') == \
        'vim.vm.customization.AdapterMapping[]'
    assert root.find('info/description') is not None       # an empty string is written
    assert [child.tag for child in root.find('spec/identity')] == [
        '_type', 'domain', 'hostName', 'hwClockUTC']
    back = manager.XmlToCustomizationSpecItem(text)
    assert back.info.name == 'web' and back.info.description == ''
    assert back.spec.identity.hostName.name == 'web01'
    assert list(back.spec.globalIPSettings.dnsServerList) == ['10.0.0.53', '10.0.0.54']
    assert back.spec.nicSettingMap[0].adapter.ip.ipAddress == '10.0.0.10'
    assert list(back.spec.nicSettingMap[0].adapter.gateway) == ['10.0.0.1']
    # a stored spec, exported and read again, can be stored under a new name
    back.info.name = 'web-imported'
    manager.CreateCustomizationSpec(back)
    assert manager.GetCustomizationSpec('web-imported').spec.identity.domain == 'example.com'
    manager.DeleteCustomizationSpec('web-imported')


def test_reads_a_vsphere_client_export(manager):
    imported = manager.XmlToCustomizationSpecItem(EXPORTED)
    assert imported.info.name == 'exported-linux' and imported.info.type == 'Linux'
    assert isinstance(imported.spec.identity.hostName, C.UnknownNameGenerator)
    assert imported.spec.identity.scriptText == ''
    assert imported.spec.identity.timeZone == 'Europe/Prague'
    assert isinstance(imported.spec.nicSettingMap[0].adapter.ip, C.UnknownIpGenerator)


@pytest.mark.parametrize('text', [
    'not xml', '<Other/>', EXPORTED.replace('vim.vm.customization.LinuxPrep', 'vim.NoSuch'),
    EXPORTED.replace('<domain>', '<nosuchfield>').replace('</domain>', '</nosuchfield>'),
    EXPORTED.replace('<_length>1</_length>', '<_length>2</_length>', 1),
    EXPORTED.replace('<hwClockUTC>true', '<hwClockUTC>maybe'),
])
def test_what_is_not_of_the_form_answers_invalid_argument(manager, text):
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.XmlToCustomizationSpecItem(text)


def test_an_identity_of_the_other_type_answers_customization_fault(manager):
    with pytest.raises(vim.fault.CustomizationFault):
        manager.XmlToCustomizationSpecItem(EXPORTED.replace('<type>Linux', '<type>Windows'))


def test_vmodl_names_are_pyvmomis():
    """Every data type a CustomizationSpecItem can hold has the vmodl name
    pyVmomi gives it."""
    schema = schema_module.load()
    seen, todo = set(), ['CustomizationSpecItem']
    while todo:
        name = todo.pop()
        if name in seen or name not in schema.types or name == 'DynamicProperty':
            continue
        seen.add(name)
        data_type = schema.types[name]
        todo += [sub.name for sub in data_type.subtypes]
        todo += [field.type for field in data_type.fields if field.type in schema.types]
    for name in seen:
        assert vmodl_name(name) == VmomiSupport.GetVmodlName(
            VmomiSupport.GetWsdlType('urn:vim25', name)), name
