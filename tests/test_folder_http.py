"""HTTP /folder: datastore files over HTTP (GET with Range, HEAD, PUT,
DELETE, index pages) and its three ways in: the SOAP session cookie, a
one-use ticket from SessionManager.AcquireGenericServiceTicket, and HTTP
Basic credentials."""
import base64
import http.client
import os
import socket
import ssl
import time
import urllib.parse

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, logged_in, on_reactor

DS = 'dcPath=DC0&dsName=LocalDS_0'


@pytest.fixture(scope='module')
def running(validator):
    """A simulator that admits only user/pass, so wrong credentials exist."""
    return _simulator(validator, tls=False, username='user', password='pass')


@pytest.fixture
def si(running):
    yield from logged_in(running)


def request(running, method, url, body=None, headers=None):
    """(status, headers {lower name: value}, body) of one request."""
    connection = http.client.HTTPConnection(running.host, running.port, timeout=30)
    try:
        connection.request(method, url, body=body, headers=headers or {})
        response = connection.getresponse()
        return (response.status, {k.lower(): v for k, v in response.getheaders()},
                response.read())
    finally:
        connection.close()


def cookie(si):
    return {'Cookie': si._stub.cookie}


def basic(user, password):
    token = base64.b64encode(('%s:%s' % (user, password)).encode()).decode()
    return {'Authorization': 'Basic ' + token}


def datastore(si):
    content = si.RetrieveContent()
    return content.rootFolder.childEntity[0].datastore[0]


def leave_free(ds, free):
    """Shrink a datastore's capacity until it has about `free` bytes free."""
    committed, _ = ds.usage()
    ds.capacity = (committed + 1536 * 1024 * 1024 + free) * 1000 // 999
    assert 0 <= ds.free_space <= free


def test_put_get_head_range_delete(running, si):
    data = os.urandom(300 * 1024)
    url = '/folder/up-%d.bin?%s' % (time.monotonic_ns(), DS)
    status, _, _ = request(running, 'PUT', url, data, cookie(si))
    assert status == 201
    status, headers, body = request(running, 'GET', url, headers=cookie(si))
    assert (status, body) == (200, data)
    assert headers['content-type'] == 'application/octet-stream'
    assert headers['content-length'] == str(len(data))
    assert 'content-encoding' not in headers
    status, headers, body = request(running, 'HEAD', url, headers=cookie(si))
    assert (status, headers['content-length'], body) == (200, str(len(data)), b'')
    status, headers, body = request(running, 'GET', url, headers={**cookie(si),
                                                                  'Range': 'bytes=10-19'})
    assert (status, body) == (206, data[10:20])
    assert headers['content-range'] == 'bytes 10-19/%d' % len(data)
    status, _, body = request(running, 'GET', url, headers={**cookie(si), 'Range': 'bytes=-5'})
    assert (status, body) == (206, data[-5:])
    status, headers, _ = request(running, 'GET', url, headers={
        **cookie(si), 'Range': 'bytes=%d-' % len(data)})
    assert status == 416 and headers['content-range'] == 'bytes */%d' % len(data)
    status, _, _ = request(running, 'PUT', url, b'again', cookie(si))
    assert status == 200
    assert request(running, 'GET', url, headers=cookie(si))[2] == b'again'
    assert request(running, 'DELETE', url, headers=cookie(si))[0] == 204
    assert request(running, 'GET', url, headers=cookie(si))[0] == 404
    assert request(running, 'DELETE', url, headers=cookie(si))[0] == 404


def test_no_session_or_wrong_credentials_is_401(running, si):
    url = '/folder/auth.txt?%s' % DS
    assert request(running, 'PUT', url, b'x', cookie(si))[0] in (200, 201)
    status, headers, _ = request(running, 'GET', url)
    assert status == 401
    assert headers['www-authenticate'].startswith('Basic realm=')
    assert request(running, 'GET', url, headers=basic('user', 'wrong'))[0] == 401
    assert request(running, 'GET', url, headers={'Authorization': 'Basic !!!'})[0] == 401
    assert request(running, 'GET', url, headers={
        'Cookie': 'vmware_soap_session="not-a-session"'})[0] == 401
    assert request(running, 'PUT', url, b'y', basic('user', 'wrong'))[0] == 401
    assert request(running, 'GET', url, headers=basic('user', 'pass'))[2] == b'x'


def test_generic_service_ticket_is_good_for_one_request(running, si):
    url = '/folder/ticket.txt?%s' % DS
    assert request(running, 'PUT', url, b'ticketed', cookie(si))[0] in (200, 201)
    manager = si.content.sessionManager

    def ticket(method, target=url):
        spec = vim.SessionManager.HttpServiceRequestSpec(
            method=method, url='http://%s:%d%s' % (running.host, running.port, target))
        return {'Cookie': 'vmware_cgi_ticket=%s' % manager.AcquireGenericServiceTicket(spec).id}

    once = ticket('httpGet')
    assert request(running, 'GET', url, headers=once)[2] == b'ticketed'
    assert request(running, 'GET', url, headers=once)[0] == 401          # used up
    assert request(running, 'PUT', url, b'no', ticket('httpGet'))[0] == 401   # other method
    assert request(running, 'GET', url, headers=ticket('httpGet', '/folder/x?' + DS))[0] == 401
    assert request(running, 'PUT', url, b'put', ticket('httpPut'))[0] == 200
    assert request(running, 'GET', url, headers=ticket('httpGet'))[2] == b'put'
    with pytest.raises(vmodl.fault.NotSupported):
        manager.AcquireGenericServiceTicket(
            vim.SessionManager.VmomiServiceRequestSpec(method=vim.ServiceInstance.CurrentTime))


def test_index_pages_and_missing_things(running, si):
    status, headers, body = request(running, 'GET', '/folder', headers=cookie(si))
    assert status == 200 and headers['content-type'].startswith('text/html')
    assert b'dcPath=DC0' in body
    status, _, body = request(running, 'GET', '/folder?dcPath=DC0', headers=cookie(si))
    assert b'dsName=LocalDS_0' in body
    status, _, body = request(running, 'GET', '/folder?' + DS, headers=cookie(si))
    assert status == 200 and b'DC0_H0_VM0/' in body
    status, _, body = request(running, 'GET', '/folder/DC0_H0_VM0?' + DS, headers=cookie(si))
    assert b'DC0_H0_VM0.vmx' in body
    status, _, body = request(running, 'GET', '/folder/DC0_H0_VM0/DC0_H0_VM0.vmdk?' + DS,
                              headers=cookie(si))
    assert body.startswith(b'# Disk DescriptorFile')
    for url in ('/folder/nothing.txt?' + DS, '/folder/x?dcPath=DC9&dsName=LocalDS_0',
                '/folder/x?dcPath=DC0&dsName=nope', '/folder/../../etc/passwd?' + DS,
                '/folder/%2e%2e/%2e%2e/etc/passwd?' + DS):
        assert request(running, 'GET', url, headers=cookie(si))[0] == 404, url
    assert request(running, 'PUT', '/folder/hello-dir/x?' + DS, b'x', cookie(si))[0] == 201
    assert request(running, 'PUT', '/folder/hello-dir/x/f.txt?' + DS, b'x',
                   cookie(si))[0] == 404          # a file where a folder would be
    assert request(running, 'POST', '/folder/f.txt?' + DS, b'x', cookie(si))[0] == 405


def test_free_space_follows_uploads(running, si):
    ds = datastore(si)
    before = ds.summary.freeSpace
    url = '/folder/space.bin?%s' % DS
    assert request(running, 'PUT', url, b'\1' * (1 << 20), cookie(si))[0] == 201
    assert ds.summary.freeSpace == before - (1 << 20)
    assert request(running, 'DELETE', url, headers=cookie(si))[0] == 204
    assert ds.summary.freeSpace == before


def test_upload_into_a_full_datastore_is_refused(running, si):
    ds_object = next(o for o in running.sim.objects
                     if o.ref.value == datastore(si)._moId)
    capacity = ds_object.capacity
    on_reactor(leave_free, ds_object, 1000)
    try:
        status, _, body = request(running, 'PUT', '/folder/big.bin?' + DS, b'\0' * 5000,
                                  cookie(si))
        assert status == 507 and b'Insufficient disk space' in body
        assert request(running, 'GET', '/folder/big.bin?' + DS, headers=cookie(si))[0] == 404
    finally:
        on_reactor(setattr, ds_object, 'capacity', capacity)


def test_an_upload_larger_than_the_body_limit_streams_to_disk(running, si):
    """40 MB, past the 32 MiB a SOAP body may have: it goes to the file."""
    size = 40 << 20
    chunk = os.urandom(1 << 20)
    url = '/folder/large.bin?%s' % DS
    connection = http.client.HTTPConnection(running.host, running.port, timeout=60)
    connection.putrequest('PUT', url)
    connection.putheader('Cookie', si._stub.cookie)
    connection.putheader('Content-Length', str(size))
    connection.endheaders()
    for _ in range(size // len(chunk)):
        connection.send(chunk)
    assert connection.getresponse().status == 201
    connection.close()
    status, headers, body = request(running, 'GET', url, headers=cookie(si))
    assert status == 200 and len(body) == size and body[:len(chunk)] == chunk
    assert request(running, 'DELETE', url, headers=cookie(si))[0] == 204


def test_a_broken_upload_leaves_nothing(running, si):
    root = running.sim.datastore_namespace.root
    sock = socket.create_connection((running.host, running.port))
    sock.sendall(('PUT /folder/broken.bin?%s HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n'
                  'Content-Length: 100000\r\n\r\n' % (DS, si._stub.cookie)).encode() + b'x' * 500)
    time.sleep(0.2)
    sock.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        leftovers = [name for _, _, names in os.walk(root) for name in names
                     if name.startswith('.vimsim-upload-') or name == 'broken.bin']
        if not leftovers:
            break
        time.sleep(0.05)
    assert leftovers == []


def test_over_https_on_an_esxi(validator):
    """TLS both ways (the file is produced into the TLS transport), ESXi's
    datacenter path, a root login by Basic credentials."""
    running = _simulator(validator, tls=True, esx=True)
    connection = http.client.HTTPSConnection(running.host, running.port, timeout=30,
                                             context=ssl._create_unverified_context())
    url = '/folder/tls.bin?dcPath=ha-datacenter&dsName=LocalDS_0'
    data = os.urandom(3 << 20)
    try:
        connection.request('PUT', url, body=data, headers=basic('root', 'secret'))
        response = connection.getresponse()
        assert (response.status, response.read()) == (201, b'Created\n')
        connection.request('GET', url, headers=basic('root', 'secret'))
        response = connection.getresponse()
        assert response.status == 200 and response.read() == data
    finally:
        connection.close()


def test_a_chunked_upload_with_expect_continue(running, si):
    """No Content-Length (chunked), and the client waits for 100 Continue."""
    pieces = [os.urandom(100000) for _ in range(5)]
    url = '/folder/chunked.bin?%s' % DS
    connection = http.client.HTTPConnection(running.host, running.port, timeout=30)
    try:
        connection.request('PUT', url, body=iter(pieces), encode_chunked=True,
                           headers={**cookie(si), 'Expect': '100-continue'})
        assert connection.getresponse().status == 201
    finally:
        connection.close()
    assert request(running, 'GET', url, headers=cookie(si))[2] == b''.join(pieces)
    assert request(running, 'DELETE', url, headers=cookie(si))[0] == 204


def test_ansible_vsphere_file_makes_a_folder_by_a_file(running):
    """vsphere_file's state=directory: HEAD (404), PUT a temporary file in
    the missing folder (201, the folder is made), DELETE it (204); then HEAD
    of the folder answers 200 with a Content-Length, and DELETE of a folder 405."""
    auth = basic('user', 'pass')
    folder = '/folder/ansible/made?dcPath=DC0&dsName=LocalDS_0'
    temporary = '/folder/ansible/made/foobar.tmp?dcPath=DC0&dsName=LocalDS_0'
    assert request(running, 'HEAD', folder, headers=auth)[0] == 404
    assert request(running, 'PUT', temporary, headers=auth)[0] == 201
    assert request(running, 'DELETE', temporary, headers=auth)[0] == 204
    status, headers, _ = request(running, 'HEAD', folder, headers=auth)
    assert status == 200 and int(headers['content-length']) > 0
    assert request(running, 'DELETE', folder, headers=auth)[0] == 405


def test_ansible_double_encodes_an_ampersand_of_the_datacenter(running, si):
    """vsphere_copy and vsphere_file send a datacenter 'DC&0' as
    dcPath=DC%25260 (its '&' made '%26', then the value url-encoded)."""
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    WaitForTask(dc.Rename_Task('DC&0'))
    try:
        url = '/folder/ansible/amp.txt?' + urllib.parse.urlencode(
            dict(dsName='LocalDS_0', dcPath='DC&0'.replace('&', '%26')))
        assert request(running, 'PUT', url, b'ampersand', basic('user', 'pass'))[0] == 201
        assert request(running, 'GET', url, headers=cookie(si))[2] == b'ampersand'
        assert request(running, 'DELETE', url, headers=cookie(si))[0] == 204
    finally:
        WaitForTask(dc.Rename_Task('DC0'))


def test_a_full_file_system_answers_507(running, si, monkeypatch):
    """The disk under the datastore fills while an upload is written."""
    import errno
    import tempfile

    original = tempfile.NamedTemporaryFile

    class FillingFile:
        def __init__(self, **kwargs):
            self.inner = original(**kwargs)
            self.name = self.inner.name

        def write(self, data):
            raise OSError(errno.ENOSPC, 'No space left on device')

        def close(self):
            self.inner.close()

    monkeypatch.setattr(tempfile, 'NamedTemporaryFile', FillingFile)   # folder.py's upload file
    status, _, body = request(running, 'PUT', '/folder/filling.bin?' + DS, b'x' * 10000,
                              cookie(si))
    assert status == 507 and b'Insufficient disk space' in body
    monkeypatch.undo()
    assert request(running, 'GET', '/folder/filling.bin?' + DS, headers=cookie(si))[0] == 404
