"""The SOAP layer seen from raw HTTP: envelopes, faults, hostile input."""
import http.client
import re

import pytest

ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<{p}:Envelope xmlns:{p}="http://schemas.xmlsoap.org/soap/envelope/"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
            ' xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
            '<{p}:Body>{body}</{p}:Body></{p}:Envelope>')
SERVICE_CONTENT = ('<RetrieveServiceContent xmlns="urn:vim25">'
                   '<_this type="ServiceInstance">ServiceInstance</_this>'
                   '</RetrieveServiceContent>')


def post(sim, body, prefix='soapenv', action='"urn:vim25/9.1.1.0"', cookie=None,
         raw=None):
    connection = http.client.HTTPConnection(sim.host, sim.port, timeout=30)
    headers = {'Content-Type': 'text/xml; charset=utf-8'}
    if action is not None:
        headers['SOAPAction'] = action
    if cookie:
        headers['Cookie'] = cookie
    payload = raw if raw is not None else ENVELOPE.format(p=prefix, body=body).encode()
    connection.request('POST', '/sdk', payload, headers)
    response = connection.getresponse()
    data = response.read()
    result = response.status, data, response.getheader('Set-Cookie')
    connection.close()
    return result


def login(sim):
    status, body, cookie = post(sim, '<Login xmlns="urn:vim25"><_this type="SessionManager">'
                                     'SessionManager</_this><userName>user</userName>'
                                     '<password>pass</password></Login>')
    assert status == 200, body
    assert re.match(r'vmware_soap_session="[0-9a-f]{40}"; Path=/; HttpOnly;', cookie)
    return cookie


def fault_type(body):
    match = re.search(rb'<detail><(\w+)Fault xmlns="urn:vim25" xsi:type="(\w+)"', body)
    return match.group(2).decode() if match else None


@pytest.mark.parametrize('prefix', ['soapenv', 'env', 's', 'soap'])
def test_any_envelope_prefix(vc_http, prefix):
    status, body, _ = post(vc_http, SERVICE_CONTENT, prefix=prefix)
    assert status == 200
    assert b'<RetrieveServiceContentResponse xmlns="urn:vim25"><returnval>' in body
    assert b'xmlns:soapenv=' in body


@pytest.mark.parametrize('action', [None, '"urn:vim25"', 'urn:vim25/8.0.3.0', '"urn:vim25/4.0"'])
def test_soap_action_forms(vc_http, action):
    status, body, _ = post(vc_http, SERVICE_CONTENT, action=action)
    assert status == 200


def test_version_id_attributes_are_ignored(vc_http):
    body = ('<RetrieveServiceContent xmlns="urn:vim25"><_this versionId="5.5" '
            'type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>')
    assert post(vc_http, body)[0] == 200


def test_unauthenticated_call_is_not_authenticated(vc_http):
    status, body, _ = post(vc_http, '<CreateContainerView xmlns="urn:vim25"><_this type='
                                    '"ViewManager">ViewManager</_this><container type="Folder">'
                                    'group-d1</container><recursive>true</recursive>'
                                    '</CreateContainerView>')
    assert status == 500
    assert fault_type(body) == 'NotAuthenticated'


def test_malformed_xml(vc_http):
    status, body, _ = post(vc_http, None, raw=b'<soapenv:Envelope><oops')
    assert status == 500 and fault_type(body) == 'InvalidRequest'
    assert post(vc_http, SERVICE_CONTENT)[0] == 200


def test_unknown_operation(vc_http):
    status, body, _ = post(vc_http, '<NoSuchMethod xmlns="urn:vim25"><_this type='
                                    '"ServiceInstance">ServiceInstance</_this></NoSuchMethod>')
    assert status == 500 and fault_type(body) == 'InvalidRequest'
    assert b'NoSuchMethod' in body


def test_method_on_the_wrong_type(vc_http):
    cookie = login(vc_http)
    status, body, _ = post(vc_http, '<PowerOnVM_Task xmlns="urn:vim25"><_this type="Folder">'
                                    'group-d1</_this></PowerOnVM_Task>', cookie=cookie)
    assert status == 500 and fault_type(body) == 'MethodNotFound'


def test_unknown_object(vc_http):
    cookie = login(vc_http)
    status, body, _ = post(vc_http, '<Fetch xmlns="urn:vim25"><_this type="VirtualMachine">'
                                    'vm-999999</_this><prop>name</prop></Fetch>', cookie=cookie)
    assert status == 500 and fault_type(body) == 'ManagedObjectNotFound'
    assert b'<obj type="VirtualMachine">vm-999999</obj>' in body


def test_wrong_argument_type(vc_http):
    cookie = login(vc_http)
    status, body, _ = post(vc_http, '<CreateContainerView xmlns="urn:vim25"><_this type='
                                    '"ViewManager">ViewManager</_this><container type="Folder">'
                                    'group-d1</container><recursive>maybe</recursive>'
                                    '</CreateContainerView>', cookie=cookie)
    assert status == 500 and fault_type(body) == 'InvalidRequest'


def test_entity_bomb_is_refused(vc_http):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + b''.join(b'<!ENTITY lol%d "%s">' % (i, (b'&lol%d;' % (i - 1) if i else b'&lol;') * 10)
                       for i in range(10))
            + b']><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
              b'<soapenv:Body><Login xmlns="urn:vim25"><_this type="SessionManager">'
              b'SessionManager</_this><userName>&lol9;</userName><password>x</password>'
              b'</Login></soapenv:Body></soapenv:Envelope>')
    status, body, _ = post(vc_http, None, raw=bomb)
    assert status == 500 and fault_type(body) == 'InvalidRequest'
    assert post(vc_http, SERVICE_CONTENT)[0] == 200


def test_external_entity_is_refused(vc_http):
    xxe = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
           b'<soapenv:Body><Login xmlns="urn:vim25"><_this type="SessionManager">'
           b'SessionManager</_this><userName>&e;</userName><password>x</password>'
           b'</Login></soapenv:Body></soapenv:Envelope>')
    status, body, _ = post(vc_http, None, raw=xxe)
    assert status == 500 and b'root:' not in body


def test_huge_body_gets_413_and_server_keeps_serving(vc_http):
    import socket
    sock = socket.create_connection((vc_http.host, vc_http.port), timeout=30)
    sock.sendall(b'POST /sdk HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n'
                 b'Content-Length: %d\r\n\r\n' % (100 * 1024 * 1024))
    sock.sendall(b'<' * 65536)
    reply = sock.recv(4096)
    sock.close()
    assert reply.startswith(b'HTTP/1.1 413')
    assert post(vc_http, SERVICE_CONTENT)[0] == 200


def test_fault_shape_matches_wire_doc(vc_http):
    status, body, _ = post(vc_http, '<Login xmlns="urn:vim25"><_this type="SessionManager">'
                                    'SessionManager</_this><userName>u</userName>'
                                    '<password></password></Login>')
    assert status == 500
    assert b'<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>' in body
    assert b'<detail><InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin">' in body


def test_gzip_when_accepted(vc_http):
    connection = http.client.HTTPConnection(vc_http.host, vc_http.port, timeout=30)
    connection.request('POST', '/sdk', ENVELOPE.format(p='soapenv', body=SERVICE_CONTENT),
                       {'Content-Type': 'text/xml', 'Accept-Encoding': 'gzip, deflate',
                        'SOAPAction': '"urn:vim25/9.1.1.0"'})
    response = connection.getresponse()
    import gzip
    data = gzip.decompress(response.read())
    assert response.getheader('Content-Encoding') == 'gzip'
    assert b'RetrieveServiceContentResponse' in data
    connection.close()
