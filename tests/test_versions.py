"""Version negotiation and filtering: nothing newer than the client's version."""
import http.client
import re

from lxml import etree
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from tests.validation import ResponseValidator, compile_served_schema
from tests.test_soap import ENVELOPE

PC = vmodl.query.PropertyCollector
SINCE = '{urn:vimsim}since'


def all_entities_spec(content):
    view = content.viewManager.CreateContainerView(content.rootFolder, [], True)
    return view, PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[PC.TraversalSpec(
            name='v', path='view', type=vim.view.ContainerView)])],
        propSet=[PC.PropertySpec(type=vim.ManagedEntity, all=True)])


def test_versions_document(vc_http):
    connection = http.client.HTTPConnection(vc_http.host, vc_http.port)
    connection.request('GET', '/sdk/vimServiceVersions.xml')
    body = connection.getresponse().read()
    root = etree.fromstring(body)
    assert root.tag == 'namespaces' and root.get('version') == '1.0'
    assert root.findtext('namespace/name') == 'urn:vim25'
    assert root.findtext('namespace/version') == '9.1.1.0'
    prior = [v.text for v in root.findall('namespace/priorVersions/version')]
    assert '8.0.3.0' in prior and '6.7' in prior and prior[-1] == '4.0'
    assert all(re.match(r'^\d+(\.\d+)+$', v) for v in prior)


def test_older_server_serves_older_everything(vc_803):
    si = vc_803.connect()
    try:
        assert si._stub.versionId == '"urn:vim25/8.0.3.0"'
        content = si.RetrieveContent()
        assert content.about.apiVersion == '8.0.3.0'
        # every property of every entity, validated against the served 8.0.3 schema
        view, spec = all_entities_spec(content)
        result = content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
        assert len(result.objects) == len(view.view)
        view.DestroyView()
    finally:
        Disconnect(si)
    connection = http.client.HTTPConnection(vc_803.host, vc_803.port)
    connection.request('GET', '/sdk/vim.wsdl')
    wsdl = connection.getresponse().read()
    assert b'urn:vim25/8.0.3.0' in wsdl and b'urn:vim25/9.1.1.0' not in wsdl
    newer = [e for e in etree.fromstring(wsdl).iter()
             if e.get(SINCE) in ('8.0.3.1', '9.0.0.0', '9.1.0.0', '9.1.1.0')]
    assert not newer


def test_client_negotiating_803_gets_nothing_newer(vc_http, vc_803):
    """A 9.1 server answering a client that speaks 8.0.3.0: every response
    validates against the 8.0.3.0 schema."""
    schema_803 = compile_served_schema(_app(vc_803))
    si = SmartConnect(protocol='http', host=vc_http.host, port=vc_http.port,
                      user='user', pwd='pass', preferredApiVersions=['vim.version.v8_0_3_0'])
    try:
        assert si._stub.versionId == '"urn:vim25/8.0.3.0"'
        content = si.RetrieveContent()
        view, spec = all_entities_spec(content)
        body = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
                'propertyCollector</_this>%s<options/></RetrievePropertiesEx>' % _spec_xml(view))
        connection = http.client.HTTPConnection(vc_http.host, vc_http.port)
        connection.request('POST', '/sdk', ENVELOPE.format(p='soapenv', body=body).encode(), {
            'SOAPAction': '"urn:vim25/8.0.3.0"', 'Cookie': si._stub.cookie,
            'Content-Type': 'text/xml'})
        response = connection.getresponse()
        data = response.read()
        assert response.status == 200, data[:500]
        validator = ResponseValidator()
        validator.validate(schema_803, data)
        assert validator.failures == []
        # the same request at 9.1.1.0 carries fields the 8.0.3 schema rejects
        connection.request('POST', '/sdk', ENVELOPE.format(p='soapenv', body=body).encode(), {
            'SOAPAction': '"urn:vim25/9.1.1.0"', 'Cookie': si._stub.cookie,
            'Content-Type': 'text/xml'})
        newest = connection.getresponse().read()
        assert len(newest) > len(data)
        view.DestroyView()
    finally:
        Disconnect(si)


def _app(running):
    from vimsim.cli import make_app
    return make_app(running.sim)


def _spec_xml(view):
    return ('<specSet><propSet><type>ManagedEntity</type><all>true</all></propSet>'
            '<objectSet><obj type="ContainerView">%s</obj><skip>true</skip>'
            '<selectSet xsi:type="TraversalSpec"><name>v</name><type>ContainerView</type>'
            '<path>view</path><skip>false</skip></selectSet></objectSet></specSet>' % view._moId)
