"""The lookup service at /lookupservice/sdk through zeep, as the vSphere
Automation SDK's lookup_service_helper uses it: the served WSDL, the
service content, the registrations of the simulator's own endpoints (the
vCenter, the SSO STS, the vAPI endpoint, SPBM) found by service and
endpoint type and then used, and the changes an administrator's STS token
allows (Create, Get, Set, SetTrustAnchor, Delete); every answer validated
against the served lookup schema."""
import ssl
import urllib.error
import urllib.request

import pytest
import requests
from lxml import etree
from pyVim import sso
from pyVmomi import SoapStubAdapter, vim
from zeep import Client, proxy
from zeep.exceptions import Fault
from zeep.transports import Transport

from tests.conftest import _simulator
from tests.test_pbm import answer_faults

USER, PASSWORD = 'administrator@vsphere.local', 'Secret1!'
WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd'


@pytest.fixture(scope='module')
def sim(validator):
    """HTTPS (pyVim.sso speaks TLS only), one account (stopped after)."""
    running = _simulator(validator, username=USER, password=PASSWORD)
    yield running
    running.stop()


class Lookup:
    """A zeep client of /lookupservice/sdk, made from the served WSDL as the
    samples make theirs from the SDK's copy."""

    def __init__(self, sim):
        self.base = 'https://%s:%d' % (sim.host, sim.port)
        http = requests.Session()
        http.trust_env = False
        http.verify = False
        self.client = Client(self.base + '/lookupservice/sdk/lookupservice.wsdl',
                             transport=Transport(session=http))
        port = self.client.wsdl.services['LsService'].ports['LsPort']
        self.service = proxy.ServiceProxy(self.client, port.binding,
                                          address=self.base + '/lookupservice/sdk')
        reference = self.client.get_type('{urn:lookup}ManagedObjectReference')
        self.content = self.service.RetrieveServiceContent(
            _this=reference('ServiceInstance', type='LookupServiceInstance'))
        self.registration = self.content.serviceRegistration

    def type(self, name):
        return self.client.get_type('{urn:lookup}' + name)

    def filter(self, product=None, service=None, endpoint=None, protocol=None, **more):
        service_type = self.type('LookupServiceRegistrationServiceType')(
            product=product, type=service) if product else None
        endpoint_type = self.type('LookupServiceRegistrationEndpointType')(
            type=endpoint, protocol=protocol) if endpoint or protocol else None
        return self.type('LookupServiceRegistrationFilter')(
            serviceType=service_type, endpointType=endpoint_type, **more)

    def list(self, criteria):
        return self.service.List(_this=self.registration, filterCriteria=criteria)

    def urls_by_node(self, *criteria):
        """{node id: first endpoint URL}, as the helper's __find_service_urls."""
        return {info.nodeId: info.serviceEndpoints[0].url
                for info in self.list(self.filter(*criteria))}

    def call(self, name, token=None, **args):
        """A change, with `token` in the WS-Security header."""
        headers = []
        if token is not None:
            security = etree.Element('{%s}Security' % WSSE, nsmap={'wsse': WSSE})
            security.append(etree.fromstring(token))
            headers.append(security)
        return getattr(self.service, name)(_this=self.registration, _soapheaders=headers,
                                           **args)


@pytest.fixture(scope='module')
def lookup(sim):
    return Lookup(sim)


def _context():
    return ssl._create_unverified_context()


@pytest.fixture(scope='module')
def token(sim, lookup):
    """A bearer token of the administrator, from the STS the lookup service names."""
    (sts_url,) = [info.serviceEndpoints[0].url for info in lookup.list(lookup.filter(
        'com.vmware.cis', 'cs.identity', 'com.vmware.cis.cs.identity.sso', 'wsTrust'))]
    return sso.SsoAuthenticator(sts_url=sts_url).get_bearer_saml_assertion(
        USER, PASSWORD, ssl_context=_context())


def test_acceptance_the_helper_finds_and_uses_the_endpoints(sim, lookup, token):
    """The helper's finds: the SSO URL (a token from it logs in to the vim
    URL found), the vim, vAPI and SPBM URLs of the one management node, the
    node by the vCenter's instance name; each URL answers."""
    base = lookup.base
    assert lookup.service.GetSiteId(_this=lookup.registration) == 'default-site'
    vim_urls = lookup.urls_by_node('com.vmware.cis', 'vcenterserver', 'com.vmware.vim', 'vmomi')
    ((node, vim_url),) = vim_urls.items()
    assert vim_url == base + '/sdk'
    assert lookup.urls_by_node('com.vmware.cis', 'cs.vapi', 'com.vmware.vapi.endpoint',
                               'vapi.json.https.public') == {node: base + '/api'}
    pbm_urls = lookup.urls_by_node('com.vmware.vim.sms', 'sms', 'com.vmware.vim.pbm', 'https')
    assert pbm_urls == {node: base + '/pbm/sdk'}
    (vcenter,) = lookup.list(lookup.filter('com.vmware.cis', 'vcenterserver', 'com.vmware.vim',
                                           'vmomi'))
    attributes = {a.key: a.value for a in vcenter.serviceAttributes}
    stub = SoapStubAdapter(host=sim.host, port=sim.port, sslContext=_context(), poolSize=0)
    si = vim.ServiceInstance('ServiceInstance', stub)
    assert vcenter.serviceId == si.content.about.instanceUuid
    stub.samlToken = token
    try:
        session = si.content.sessionManager.LoginByToken()
    finally:
        stub.samlToken = None
    assert session.userName == USER
    (instance_name,) = [o.value for o in si.content.setting.QueryOptions(
        'VirtualCenter.InstanceName')]
    assert attributes['com.vmware.vim.vcenter.instanceName'] == instance_name
    answer = requests.post(base + '/api/session', auth=(USER, PASSWORD), verify=False)
    assert answer.status_code == 201
    assert urllib.request.urlopen(pbm_urls[node] + '/pbmService.wsdl',
                                  context=_context()).status == 200


def test_suds_as_the_sdk_helper_connects(vc_http):
    """suds (the Automation SDK samples' client) over the served WSDL, as
    lookup_service_helper.connect and find_vim_urls call it: both the
    reference and the filter types are the lookup namespace's (ns0)."""
    from suds.client import Client as SudsClient
    base = 'http://%s:%d' % (vc_http.host, vc_http.port)
    client = SudsClient(url=base + '/lookupservice/sdk/lookupservice.wsdl',
                        location=base + '/lookupservice/sdk')
    client.set_options(service='LsService', port='LsPort')
    reference = client.factory.create('ns0:ManagedObjectReference')
    reference._type = 'LookupServiceInstance'
    reference.value = 'ServiceInstance'
    registration = client.service.RetrieveServiceContent(reference).serviceRegistration
    service_type = client.factory.create('ns0:LookupServiceRegistrationServiceType')
    service_type.product, service_type.type = 'com.vmware.cis', 'vcenterserver'
    endpoint_type = client.factory.create('ns0:LookupServiceRegistrationEndpointType')
    endpoint_type.type, endpoint_type.protocol = 'com.vmware.vim', 'vmomi'
    criteria = client.factory.create('ns0:LookupServiceRegistrationFilter')
    criteria.serviceType, criteria.endpointType = service_type, endpoint_type
    (found,) = client.service.List(registration, criteria)
    assert found.serviceEndpoints[0].url == base + '/sdk' and found.nodeId


def test_filters(lookup):
    everything = lookup.list(lookup.type('LookupServiceRegistrationFilter')())
    assert {(i.serviceType.product, i.serviceType.type) for i in everything} == {
        ('com.vmware.cis', 'vcenterserver'), ('com.vmware.cis', 'cs.identity'),
        ('com.vmware.cis', 'cs.vapi'), ('com.vmware.vim.sms', 'sms')}
    assert len(lookup.list(lookup.filter(protocol='vmomi'))) == 1
    assert not lookup.list(lookup.filter('com.vmware.cis', 'enoent'))
    assert not lookup.list(lookup.filter(siteId='another-site'))
    node = next(i.nodeId for i in everything if i.nodeId)
    assert {i.serviceType.type for i in lookup.list(lookup.filter(nodeId=node))} == {
        'vcenterserver', 'cs.vapi', 'sms'}
    with pytest.raises(Fault) as raised:        # no filter: the lookup service's refusal
        lookup.service.List(_this=lookup.registration)
    assert raised.value.message == 'LookupFaultServiceFault'


def _spec(lookup, url, kind='acme-backup', version='1.0'):
    T = lookup.type
    return T('LookupServiceRegistrationCreateSpec')(
        serviceVersion=version, ownerId=USER, serviceType=T(
            'LookupServiceRegistrationServiceType')(product='com.acme', type=kind),
        serviceEndpoints=[T('LookupServiceRegistrationEndpoint')(
            url=url, endpointType=T('LookupServiceRegistrationEndpointType')(
                protocol='https', type='com.acme.backup.api'))])


def test_an_administrator_registers_changes_and_removes_a_service(lookup, token):
    created = _spec(lookup, 'https://backup.example.com/api')
    with pytest.raises(Fault) as raised:               # no token: refused
        lookup.call('Create', serviceId='acme-1', createSpec=created)
    assert 'SAML token' in raised.value.message
    with pytest.raises(Fault):                          # a forged token neither
        lookup.call('Create', token=token.replace('Administrator', 'Adm1nistrator')
                    .replace('administrator', 'adm1nistrator'),
                    serviceId='acme-1', createSpec=created)
    lookup.call('Create', token=token, serviceId='acme-1', createSpec=created)
    with pytest.raises(Fault) as raised:
        lookup.call('Create', token=token, serviceId='acme-1', createSpec=created)
    assert 'already exists' in raised.value.message
    with pytest.raises(Fault) as raised:
        lookup.call('Create', token=token, serviceId='acme-2',
                    createSpec=_spec(lookup, 'not a url'))
    assert 'serviceEndpoints[0].url' in raised.value.message

    found = lookup.service.Get(_this=lookup.registration, serviceId='acme-1')
    assert (found.siteId, found.serviceType.type, found.ownerId) == \
        ('default-site', 'acme-backup', USER)
    (listed,) = lookup.list(lookup.filter('com.acme', 'acme-backup'))
    assert listed.serviceEndpoints[0].url == 'https://backup.example.com/api'

    changed = lookup.type('LookupServiceRegistrationSetSpec')(
        serviceVersion='2.0', serviceEndpoints=_spec(
            lookup, 'https://backup2.example.com/api').serviceEndpoints)
    lookup.call('Set', token=token, serviceId='acme-1', serviceSpec=changed)
    found = lookup.service.Get(_this=lookup.registration, serviceId='acme-1')
    assert (found.serviceVersion, found.serviceEndpoints[0].url) == \
        ('2.0', 'https://backup2.example.com/api')
    assert lookup.call('SetTrustAnchor', token=token, filter=lookup.filter(
        'com.acme', 'acme-backup'), trustAnchors=['MIIBfake']) == 1
    assert lookup.service.Get(_this=lookup.registration,
                              serviceId='acme-1').serviceEndpoints[0].sslTrust == ['MIIBfake']

    lookup.call('Delete', token=token, serviceId='acme-1')
    for name, args in (('Get', {}), ('Delete', {'token': token})):
        with pytest.raises(Fault) as raised:
            (lookup.call if name == 'Delete' else
             lambda n, **a: getattr(lookup.service, n)(_this=lookup.registration, **a))(
                name, serviceId='acme-1', **args)
        assert 'not found' in raised.value.message


def test_the_simulators_own_registration_can_be_changed_and_removed(validator):
    """On a simulator of its own: Set on the vCenter's registration keeps
    its id; Delete removes it from List."""
    own = _simulator(validator, username=USER, password=PASSWORD)
    try:
        lookup = Lookup(own)
        token = sso.SsoAuthenticator(sts_url=lookup.base + '/sts/STSService').\
            get_bearer_saml_assertion(USER, PASSWORD, ssl_context=_context())
        (vcenter,) = lookup.list(lookup.filter('com.vmware.cis', 'vcenterserver'))
        lookup.call('Set', token=token, serviceId=vcenter.serviceId,
                    serviceSpec=lookup.type('LookupServiceRegistrationSetSpec')(
                        serviceVersion='8.0.3.0', serviceEndpoints=vcenter.serviceEndpoints,
                        serviceAttributes=[]))
        (changed,) = lookup.list(lookup.filter('com.vmware.cis', 'vcenterserver'))
        assert changed.serviceId == vcenter.serviceId and not changed.serviceAttributes
        lookup.call('Delete', token=token, serviceId=vcenter.serviceId)
        assert not lookup.list(lookup.filter('com.vmware.cis', 'vcenterserver'))
    finally:
        own.stop()


JUNK = [  # (operation element, the fault's xsi:type)
    ('<Get xmlns="urn:lookup"><_this type="LookupServiceRegistration">ServiceRegistration'
     '</_this></Get>', 'InvalidRequest'),
    ('<Get xmlns="urn:lookup"><_this type="LookupServiceRegistration">ServiceRegistration'
     '</_this><serviceId>none</serviceId></Get>', 'LookupFaultEntryNotFoundFault'),
    ('<List xmlns="urn:lookup"><_this type="LookupL10n">l10n</_this></List>',
     'MethodNotFound'),
    ('<List xmlns="urn:lookup"><_this type="LookupServiceRegistration">elsewhere</_this>'
     '<filterCriteria/></List>', 'ManagedObjectNotFound'),
    ('<GetLocale xmlns="urn:lookup"><_this type="LookupL10n">l10n</_this></GetLocale>',
     'NotImplemented'),
    ('<Delete xmlns="urn:lookup"><_this type="LookupServiceRegistration">ServiceRegistration'
     '</_this><serviceId>x</serviceId></Delete>', 'SecurityError'),
]


def test_requests_the_lookup_service_cannot_take_answer_faults(sim):
    """Raw SOAP: a missing parameter, an unknown id, a method of another
    type, a method vimsim lacks, a change without a token, malformed XML:
    each a fault of the lookup schema (validated; vmodl's core faults in the
    lookup namespace, as the lookup service declares them), never an
    internal error."""
    answer_faults('https://%s:%d/lookupservice/sdk' % (sim.host, sim.port), 'urn:lookup/2.0',
                  '', JUNK, malformed='InvalidRequest')


def test_served_documents(sim):
    base = 'https://%s:%d/lookupservice/sdk/' % (sim.host, sim.port)
    for name in ('lookupservice.wsdl', 'lookup.wsdl', 'lookup-types.xsd', 'core-types.xsd'):
        assert urllib.request.urlopen(base + name, context=_context()).status == 200
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(base + 'lookup-managedtypes.xsd', context=_context())
    assert raised.value.code == 404


def test_registrations_survive_a_restart_with_state(validator, tmp_path):
    """With -state, a service registered through the lookup service is
    there after a restart."""
    from tests.test_state import _start, _stop
    first = _start(validator, tmp_path, tls=True, username=USER, password=PASSWORD)
    lookup = Lookup(first)
    token = sso.SsoAuthenticator(sts_url=lookup.base + '/sts/STSService').\
        get_bearer_saml_assertion(USER, PASSWORD, ssl_context=_context())
    lookup.call('Create', token=token, serviceId='kept',
                createSpec=_spec(lookup, 'https://kept.example.com/api', kind='kept'))
    _stop(first)
    second = _start(validator, tmp_path, tls=True, username=USER, password=PASSWORD)
    try:
        (kept,) = Lookup(second).list(Lookup(second).filter('com.acme', 'kept'))
        assert (kept.serviceId, kept.serviceEndpoints[0].url) == \
            ('kept', 'https://kept.example.com/api')
    finally:
        _stop(second)
