"""WSDL-driven clients load the served WSDL and call the API with it."""
import pytest


def test_zeep_loads_wsdl_and_logs_in(vc_http):
    zeep = pytest.importorskip('zeep')
    from zeep.transports import Transport
    import requests
    session = requests.Session()
    client = zeep.Client(vc_http.url + '/vimService.wsdl',
                         transport=Transport(session=session))
    # vCenter's vimService.wsdl names https://localhost/sdk; point the port at us
    port = client.wsdl.services['VimService'].ports['VimPort']
    service = zeep.proxy.ServiceProxy(client, port.binding, address=vc_http.url)
    this = client.get_type('{urn:vim25}ManagedObjectReference')
    content = service.RetrieveServiceContent(_this=this('ServiceInstance', type='ServiceInstance'))
    assert content.about.apiType == 'VirtualCenter'
    user_session = service.Login(_this=content.sessionManager, userName='user', password='pass')
    assert user_session.userName == 'user'
    assert 'vmware_soap_session' in session.cookies
    assert service.SessionIsActive(_this=content.sessionManager,
                                   sessionID=user_session.key, userName='user') is True


def test_suds_loads_wsdl_and_logs_in(vc_http):
    client_module = pytest.importorskip('suds.client')
    client = client_module.Client(vc_http.url + '/vimService.wsdl', location=vc_http.url,
                                  cache=None)
    this = client.factory.create('ns0:ManagedObjectReference')
    this._type = 'ServiceInstance'
    this.value = 'ServiceInstance'
    content = client.service.RetrieveServiceContent(this)
    assert content.about.apiType == 'VirtualCenter'
    session = client.service.Login(content.sessionManager, 'user', 'pass')
    assert session.userName == 'user'
    assert client.service.CurrentTime(this).year >= 2024
    assert client.service.SessionIsActive(content.sessionManager, session.key, 'user') is True
