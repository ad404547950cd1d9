"""Hostile and malformed requests meet the SOAP codec and the endpoint: stored
references cannot inject XML, required fields and xsd value spaces are checked
before any handler runs, DTDs are refused in every encoding, and the API
version a client asks for is honoured or refused as vCenter refuses it."""
import re

import pytest
from lxml import etree
from pyVim.connect import Connect, Disconnect, SmartConnect
from pyVmomi import vim, vmodl
from pyVmomi.VmomiSupport import F_OPTIONAL

from tests.conftest import on_reactor
from tests.test_soap import ENVELOPE, SERVICE_CONTENT, fault_type, login, post
from vimsim.schema import MoRef

SETTINGS = '<_this type="OptionManager">VpxSettings</_this>'
FOLDER_NAME = '<propSet><type>Folder</type><pathSet>name</pathSet></propSet>'
ROOT_FOLDER = '<objectSet><obj type="Folder">group-d1</obj></objectSet>'
CREATE_FILTER = ('<CreateFilter xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector'
                 '</_this><spec>%s</spec><partialUpdates>false</partialUpdates></CreateFilter>')


def update_option(sim, cookie, key, value_xml, action='"urn:vim25/9.1.1.0"'):
    return post(sim, '<UpdateOptions xmlns="urn:vim25">%s<changedValue><key>%s</key>%s'
                     '</changedValue></UpdateOptions>' % (SETTINGS, key, value_xml),
                cookie=cookie, action=action)


def query_option(sim, cookie, key):
    return post(sim, '<QueryOptions xmlns="urn:vim25">%s<name>%s</name></QueryOptions>'
                % (SETTINGS, key), cookie=cookie)


def faultstring(body):
    return etree.fromstring(body).findtext('.//faultstring')


def detail_field(body, name):
    return etree.fromstring(body).findtext('.//detail/*/{urn:vim25}%s' % name)


@pytest.fixture(autouse=True)
def settings(vc_http):
    """vCenter's settings, which tests here add `codec.` options to: they
    are taken out again, so the shared simulator's answers stay as they were."""
    manager = vc_http.sim.objects.get(MoRef('OptionManager', 'VpxSettings'))
    yield manager

    def drop_test_options():
        manager.setting[:] = [o for o in manager.setting if not o.key.startswith('codec.')]
        manager.changed('setting')
    on_reactor(drop_test_options)


# -- item 3: stored XML injection -------------------------------------------------

def test_reference_of_an_unknown_type_is_refused_and_never_stored(vc_http):
    """A MoRef type is checked against the schema's managed types on input, so
    no session can store markup that other sessions would then be sent."""
    cookie = login(vc_http)
    crafted = ('<value xsi:type="ManagedObjectReference" type="Virtual&quot;&gt;&lt;x/&gt;">'
               'vm-1</value>')
    status, body, _ = update_option(vc_http, cookie, 'codec.injected', crafted)
    assert status == 500 and fault_type(body) == 'InvalidType'
    assert detail_field(body, 'argument') == 'value'
    status, body, _ = query_option(vc_http, login(vc_http), 'codec.injected')
    assert status == 500 and fault_type(body) == 'InvalidName'


def test_this_of_an_unknown_type_is_invalid_type(vc_http):
    status, body, _ = post(vc_http, '<Fetch xmlns="urn:vim25"><_this type="NoSuchType">x</_this>'
                                    '<prop>name</prop></Fetch>', cookie=login(vc_http))
    assert status == 500 and fault_type(body) == 'InvalidType'
    assert detail_field(body, 'argument') == '_this'


def test_reference_attributes_are_escaped_on_output(vc_http, settings):
    """Whatever a reference in the model holds, the answer stays well-formed
    and the attribute reads back as it was."""
    odd = 'Virtual"><injected/><x a="Machine'
    option = vc_http.sim.schema.types['OptionValue'].cls(key='codec.escaped',
                                                         value=MoRef(odd, 'vm-1'))
    on_reactor(settings.setting.append, option)
    status, body, _ = query_option(vc_http, login(vc_http), 'codec.escaped')
    assert status == 200
    value = etree.fromstring(body).find('.//{urn:vim25}value')
    assert value.get('type') == odd and value.text == 'vm-1'
    assert b'<injected/>' not in body


# -- item 6: required fields, value spaces -------------------------------------------

def _retrieve(sim, cookie, object_spec, prop_set=FOLDER_NAME, action='"urn:vim25/9.1.1.0"'):
    return post(sim, '<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
                     'propertyCollector</_this><specSet>%s%s</specSet><options/>'
                     '</RetrievePropertiesEx>' % (prop_set, object_spec), cookie=cookie,
                action=action)


def test_missing_required_field_is_invalid_request(vc_http):
    no_obj = '<objectSet><skip>false</skip></objectSet>'
    status, body, _ = _retrieve(vc_http, login(vc_http), no_obj)
    assert status == 500 and fault_type(body) == 'InvalidRequest'
    assert faultstring(body) == ('Required property obj is missing from data object of type '
                                 'ObjectSpec')


@pytest.mark.parametrize('value, old_version, missing, type_name', [
    ('<value xsi:type="NotEnoughResourcesToStartVmEvent"><key>0</key><chainId>0</chainId>'
     '<createdTime>2024-01-01T00:00:00Z</createdTime><userName>u</userName>'
     '<template>false</template></value>', '5.5', 'reason', 'NotEnoughResourcesToStartVmEvent'),
    ('<value xsi:type="EVCMode"><label>l</label><summary>s</summary><key>k</key>'
     '<vendor>intel</vendor><vendorTier>0</vendorTier></value>', '4.0', 'track', 'EVCMode')],
    ids=['field', 'array'])
def test_fields_are_required_from_the_version_that_requires_them(
        vc_http, value, old_version, missing, type_name):
    """NotEnoughResourcesToStartVmEvent.reason is required since 6.0, the
    array EVCMode.track since 4.1: an older client does not know them, a
    newer one must send them."""
    cookie = login(vc_http)
    status, body, _ = update_option(vc_http, cookie, 'codec.required', value,
                                    action='"urn:vim25/%s"' % old_version)
    assert status == 200, body[-300:]
    status, body, _ = update_option(vc_http, cookie, 'codec.required', value)
    assert status == 500 and fault_type(body) == 'InvalidRequest'
    assert faultstring(body) == ('Required property %s is missing from data object of '
                                 'type %s' % (missing, type_name))


def _create_filter(sim, cookie, object_spec, prop_set=FOLDER_NAME):
    return post(sim, CREATE_FILTER % (prop_set + object_spec), cookie=cookie)


@pytest.mark.parametrize('send', [_retrieve, _create_filter], ids=['RetrievePropertiesEx',
                                                                    'CreateFilter'])
@pytest.mark.parametrize('object_spec, prop_set, missing', [
    ('', FOLDER_NAME, 'objectSet'), (ROOT_FOLDER, '', 'propSet')],
    ids=['no objectSet', 'no propSet'])
def test_missing_required_array_is_invalid_request(vc_http, send, object_spec, prop_set,
                                                   missing):
    """PropertyFilterSpec's propSet and objectSet are required (no minOccurs
    in vCenter's WSDL): a spec without one is refused as vCenter refuses it,
    whether or not the spec would have matched anything."""
    status, body, _ = send(vc_http, login(vc_http), object_spec, prop_set)
    assert status == 500 and fault_type(body) == 'InvalidRequest'
    assert faultstring(body) == ('Required property %s is missing from data object of type '
                                 'PropertyFilterSpec' % missing)


@pytest.fixture
def propset_optional_to_pyvmomi():
    """pyVmomi refuses to send a spec without propSet (its type tables know
    it is required); govmomi sends one, an empty slice being no element. For
    the test pyVmomi forgets the requirement, as such a client."""
    prop_set = vmodl.query.PropertyCollector.FilterSpec._propInfo['propSet']
    prop_set.flags |= F_OPTIONAL
    yield
    prop_set.flags &= ~F_OPTIONAL


def test_pyvmomi_sending_a_spec_without_prop_set_gets_invalid_request(
        si, propset_optional_to_pyvmomi):
    collector = si.content.propertyCollector
    spec = vmodl.query.PropertyCollector.FilterSpec(objectSet=[
        vmodl.query.PropertyCollector.ObjectSpec(obj=si.content.rootFolder)])
    for call in (lambda: collector.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector
                                                        .RetrieveOptions()),
                 lambda: collector.CreateFilter(spec, False)):
        with pytest.raises(vmodl.fault.InvalidRequest) as raised:
            call()
        assert raised.value.msg == ('Required property propSet is missing from data object of '
                                    'type PropertyFilterSpec')


def test_repeated_single_valued_elements_are_invalid_request(vc_http):
    """A second _this, or a second element of a field that is not an array,
    is refused rather than the last one silently winning (found by tools/fuzz)."""
    cookie = login(vc_http)
    status, body, _ = post(vc_http, '<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">'
                                    'ServiceInstance</_this><_this type="ServiceInstance">'
                                    'ServiceInstance</_this></CurrentTime>', cookie=cookie)
    assert status == 500 and fault_type(body) == 'InvalidRequest'
    assert faultstring(body) == 'Element _this repeated in CurrentTime'
    twice = '<objectSet><obj type="Folder">group-d1</obj><skip>false</skip><skip>true</skip></objectSet>'
    status, body, _ = _retrieve(vc_http, cookie, twice)
    assert status == 500 and fault_type(body) == 'InvalidRequest'
    assert faultstring(body) == 'Element skip repeated in ObjectSpec'
    status, body, _ = post(vc_http, '<Fetch xmlns="urn:vim25"><_this type="Folder">group-d1</_this>'
                                    '<prop>name</prop><prop>name</prop></Fetch>', cookie=cookie)
    assert status == 500 and faultstring(body) == 'Element prop repeated in Fetch'


def test_missing_required_array_parameter_is_invalid_request(vc_http):
    status, body, _ = post(vc_http, '<RetrievePropertiesEx xmlns="urn:vim25"><_this type='
                                    '"PropertyCollector">propertyCollector</_this><options/>'
                                    '</RetrievePropertiesEx>', cookie=login(vc_http))
    assert status == 500 and fault_type(body) == 'InvalidRequest'
    assert faultstring(body) == 'Required parameter specSet of RetrievePropertiesEx is missing'


def test_absent_optional_arrays_reach_handlers_as_empty_arrays(vc_http):
    """PropertySpec.pathSet and ObjectSpec.selectSet are optional: left out,
    they are empty (vmomi's data model), never None in a handler."""
    spec = (ROOT_FOLDER, '<propSet><type>Folder</type><all>false</all></propSet>')
    cookie = login(vc_http)
    status, body, _ = _retrieve(vc_http, cookie, *spec)
    assert status == 200, body[-400:]
    assert b'<obj type="Folder">group-d1</obj>' in body and b'<propSet>' not in body
    status, body, _ = _create_filter(vc_http, cookie, *spec)
    assert status == 200, body[-400:]


def test_huge_max_wait_is_invalid_request(vc_http):
    cookie = login(vc_http)
    status, _, _ = post(vc_http, CREATE_FILTER % (FOLDER_NAME + ROOT_FOLDER), cookie=cookie)
    assert status == 200
    wait = ('<WaitForUpdatesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector'
            '</_this><version>%s</version><options><maxWaitSeconds>%s</maxWaitSeconds></options>'
            '</WaitForUpdatesEx>')
    status, body, _ = post(vc_http, wait % ('', '1'), cookie=cookie)
    version = re.search(rb'<version>(.*?)</version>', body).group(1).decode()
    status, body, _ = post(vc_http, wait % (version, '1' + '0' * 400), cookie=cookie)
    assert status == 500 and fault_type(body) == 'InvalidRequest'
    assert 'out of the range of xsd:int' in faultstring(body)


@pytest.mark.parametrize('xsd_type, text', [
    ('int', '4611686018427387904'),        # 2^62 in a 32-bit field
    ('int', '1_000'), ('int', '\u0663'), ('int', '12.0'),
    ('long', '9223372036854775808'),
    ('short', '32768'), ('byte', '-129'),
    ('double', 'NaN'), ('double', 'INF'), ('double', '-INF'), ('double', '1e400'),
    ('double', 'inf'), ('double', 'nan'),
    ('float', '1e39'),
    ('boolean', 'yes'),
    ('base64Binary', 'not*base64'),
    ('dateTime', '9999-12-31T23:59:59-12:00'),   # past year 9999 in UTC
    ('dateTime', '0001-01-01T00:00:00+01:00'),   # before year 1 in UTC
    ('dateTime', '2024-02-30T00:00:00Z'), ('dateTime', '2024-01-01T00:00:00+15:00'),
    ('dateTime', '2024-W01-1'), ('dateTime', '20240101T000000Z'),
])
def test_values_outside_their_xsd_type_are_invalid_request(vc_http, xsd_type, text):
    cookie = login(vc_http)
    status, body, _ = update_option(vc_http, cookie, 'codec.value',
                                    '<value xsi:type="xsd:%s">%s</value>' % (xsd_type, text))
    assert status == 500 and fault_type(body) == 'InvalidRequest', body[-300:]


@pytest.mark.parametrize('xsd_type, text, stored', [
    ('int', ' -2147483648 ', '-2147483648'),
    ('long', '+9223372036854775807', '9223372036854775807'),
    ('double', '-1.5E-3', '-0.0015'),
    ('float', '3.4028234e38', '3.4028234e+38'),
    ('base64Binary', 'aGVs\n bG8=', 'aGVsbG8='),
    # .NET writes seven fractional digits; an offset converts to UTC
    ('dateTime', '2023-12-14T06:53:33.7635241+05:30', '2023-12-14T01:23:33.763524Z'),
    ('dateTime', '9999-12-31T23:59:59Z', '9999-12-31T23:59:59Z'),
])
def test_values_inside_their_xsd_type_are_kept(vc_http, xsd_type, text, stored):
    cookie = login(vc_http)
    key = 'codec.kept.%s' % xsd_type
    status, body, _ = update_option(vc_http, cookie, key,
                                    '<value xsi:type="xsd:%s">%s</value>' % (xsd_type, text))
    assert status == 200, body[-300:]
    status, body, _ = query_option(vc_http, cookie, key)
    assert etree.fromstring(body).findtext('.//{urn:vim25}value') == stored


def test_a_field_named_self_decodes(vc_http):
    """ExtExtendedProductInfo has a field named `self`."""
    cookie = login(vc_http)
    status, body, _ = update_option(
        vc_http, cookie, 'codec.self', '<value xsi:type="ExtExtendedProductInfo"><self type='
        '"VirtualMachine">vm-1</self></value>')
    assert status == 200, body[-300:]
    status, body, _ = query_option(vc_http, cookie, 'codec.self')
    assert b'<self type="VirtualMachine">vm-1</self>' in body


# -- item 9: DTDs in any encoding, API versions ------------------------------------------

@pytest.mark.parametrize('encoding', ['utf-8', 'utf-16', 'utf-16-be', 'utf-32', 'utf-32-le'])
def test_dtd_is_refused_in_every_encoding(vc_http, encoding):
    document = ('<?xml version="1.0" encoding="%s"?><!DOCTYPE x [<!ENTITY e "x">]>'
                + ENVELOPE[ENVELOPE.index('?>') + 2:].format(p='soapenv', body=SERVICE_CONTENT))
    status, body, _ = post(vc_http, None, raw=(document % encoding.upper()).encode(encoding))
    assert status == 500 and fault_type(body) == 'InvalidRequest'
    assert faultstring(body) == 'DTDs are not allowed in SOAP requests'
    # the same document without its DTD is served
    plain = document.replace('<!DOCTYPE x [<!ENTITY e "x">]>', '') % encoding.upper()
    assert post(vc_http, None, raw=plain.encode(encoding))[0] == 200


@pytest.mark.parametrize('action', ['"urn:vim25/9.1.1.0"', '"urn:vim25/99.0"', 'urn:vim25/bogus'])
def test_a_version_the_server_lacks_is_refused(vc_803, action):
    """vCenter answers a SOAPAction version it does not have with a header
    fault: VersionMismatchFaultCode, no detail."""
    status, body, _ = post(vc_803, SERVICE_CONTENT, action=action)
    assert status == 500
    envelope = etree.fromstring(body)
    assert envelope.findtext('.//faultcode') == 'VersionMismatchFaultCode'
    assert faultstring(body) == 'Unsupported version URI "%s"' % action.strip('"')
    assert envelope.find('.//detail') is None
    for known in ('"urn:vim25/8.0.3.0"', '"urn:vim25/6.5"', '"urn:vim25"', None):
        assert post(vc_803, SERVICE_CONTENT, action=known)[0] == 200


def test_pyvmomi_asking_for_a_newer_version_gets_a_fault(vc_803):
    with pytest.raises(vmodl.RuntimeFault) as raised:
        Connect(host=vc_803.host, port=-vc_803.port, user='user', pwd='pass',
                version='vim.version.v9_1_1_0')
    assert raised.value.msg == 'Unsupported version URI "urn:vim25/9.1.1.0"'


def _managed_types_in(body):
    return set(re.findall(rb' type="([^"]+)"', body)) - {b'ManagedObjectReference'}


def test_an_old_client_gets_only_reference_types_it_knows(vc_http):
    """A 6.5 client reading a host's configManager gets CryptoManager for the
    host's CryptoManagerHostKMS (pyVmomi 6.5 fails on the unknown type)."""
    si = SmartConnect(protocol='http', host=vc_http.host, port=vc_http.port, user='user',
                      pwd='pass', preferredApiVersions=['vim.version.version11'])
    try:
        assert si._stub.versionId == '"urn:vim25/6.5"'
        host = si.content.viewManager.CreateContainerView(
            si.content.rootFolder, [vim.HostSystem], True).view[0]
        status, body, _ = post(vc_http, '<Fetch xmlns="urn:vim25"><_this type="HostSystem">%s'
                                        '</_this><prop>configManager</prop></Fetch>' % host._moId,
                               action='"urn:vim25/6.5"', cookie=si._stub.cookie)
        assert status == 200
        schema = vc_http.sim.schema
        limit = schema.version('6.5')
        sent = {name.decode() for name in _managed_types_in(body)}
        assert sent and all(schema.managed[name].since <= limit for name in sent), sent
        crypto = host.configManager.cryptoManager
        assert crypto._wsdlName == 'CryptoManager'
        # the client names the object by the type it was given: it is found
        assert crypto.enabled is False
    finally:
        Disconnect(si)


def test_an_old_client_names_objects_by_their_shown_type_anywhere(vc_http, si):
    """Old pyVmomi reads every property with RetrievePropertiesEx: the
    reference it was given, in an ObjectSpec, finds the object too."""
    host = si.content.viewManager.CreateContainerView(
        si.content.rootFolder, [vim.HostSystem], True).view[0]
    moid = host.configManager.cryptoManager._moId
    spec = ('<objectSet><obj type="CryptoManager">%s</obj></objectSet>' % moid,
            '<propSet><type>CryptoManager</type><pathSet>enabled</pathSet></propSet>')
    status, body, _ = _retrieve(vc_http, si._stub.cookie, *spec, action='"urn:vim25/6.5"')
    assert status == 200
    assert b'<name>enabled</name><val xsi:type="xsd:boolean">false</val>' in body
    # a client of the newest version was told the object's own type
    status, body, _ = _retrieve(vc_http, si._stub.cookie, *spec)
    assert status == 500 and fault_type(body) == 'ManagedObjectNotFound'
