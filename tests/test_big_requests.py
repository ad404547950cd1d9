"""Big request bodies are decoded as they are parsed, a slice at a time, never
as one whole tree: the answers and faults are those of the whole-tree decoder,
and a big request's peak memory stays a small multiple of its size."""
import random

import pytest

from tests.test_http_limits import login, many, many_sock, retrieve_body, soap  # noqa: F401
from tools.fuzz.generator import Generator, Pools
from vimsim import schema as schema_module
from vimsim.schema import MoRef
from vimsim.soap import decode
from vimsim.soap.decode import Decoder
from vimsim.soap.fault import message_of

METHOD_FAULT = schema_module.load().types['MethodFault'].cls


@pytest.fixture(scope='module')
def decoder():
    return Decoder(schema_module.load())


def outcome(decoder, body):
    """What decoding `body` gives: the call (three items), or the fault's type
    and message (two)."""
    try:
        request = decoder.decode(body)
    except METHOD_FAULT as error:
        return type(error).__name__, message_of(error)
    return request.name, request.this, request.args


@pytest.fixture
def pulled_in_tiny_slices(monkeypatch):
    """Every body decoded by the slice parser, 61 bytes a slice (elements,
    texts and attributes cut in every place)."""
    monkeypatch.setattr(decode, 'STREAM_AT', 0)
    monkeypatch.setattr(decode, '_SLICE', 61)


def test_slices_decode_as_the_whole_tree_does(decoder, pulled_in_tiny_slices):
    """Fuzzed requests for every operation, valid and broken (missing,
    repeated, mistyped and unknown elements, bad xsi:types, out-of-range
    values): the slice decoder gives the same calls and the same faults (for
    a malformed document, it may first meet a fault in what precedes the
    flaw: a fault all the same)."""
    pools = Pools(decoder.schema)
    for type_name in ('Folder', 'VirtualMachine', 'HostSystem', 'PropertyCollector'):
        pools.add_ref(type_name, type_name.lower() + '-1')
    generator = Generator(decoder.schema, pools)
    rng = random.Random(8)
    faults = 0
    for operation in generator.operations:
        for _ in range(3):
            request = generator.request(rng, operation)
            if request.corruption is not None:
                continue
            body = request.envelope()
            whole = outcome_with(decoder, body, stream_at=len(body) + 1)
            pulled = outcome(decoder, body)
            if len(whole) == 2 and whole[1].startswith('Malformed XML'):
                assert len(pulled) == 2, operation
            else:
                assert pulled == whole, operation
            faults += len(whole) == 2
    assert faults > 100   # the broken requests were there


def outcome_with(decoder, body, stream_at):
    saved = decode.STREAM_AT
    decode.STREAM_AT = stream_at
    try:
        return outcome(decoder, body)
    finally:
        decode.STREAM_AT = saved


SERVICE_CONTENT = ('<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">'
                   'ServiceInstance</_this></RetrieveServiceContent>')


@pytest.mark.parametrize('document, message', [
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><soapenv:Envelope xmlns:soapenv='
     '"http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>%s</soapenv:Body>'
     '</soapenv:Envelope>' % SERVICE_CONTENT, 'DTDs are not allowed in SOAP requests'),
    ('<Envelope><Body>%s</Body></Envelope>' % SERVICE_CONTENT, 'Not a SOAP envelope'),
    ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
     '<soapenv:Body></soapenv:Body></soapenv:Envelope>', 'The SOAP Body holds no operation'),
    ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
     '<soapenv:Body>%s</soapenv:Body>' % SERVICE_CONTENT, 'Malformed XML'),
])
def test_slices_refuse_what_the_whole_tree_refuses(decoder, pulled_in_tiny_slices, document,
                                                   message):
    refused, text = outcome(decoder, document.encode('utf-16'))
    assert refused == 'InvalidRequest' and text.startswith(message)


def test_slices_decode_fetch_and_headers(decoder, pulled_in_tiny_slices):
    fetch = decoder.decode(
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        b'<soapenv:Body><Fetch xmlns="urn:vim25"><_this type="Folder">group-d1</_this>'
        b'<prop>name</prop></Fetch></soapenv:Body></soapenv:Envelope>')
    assert (fetch.name, fetch.this, fetch.args) == ('Fetch', MoRef('Folder', 'group-d1'),
                                                    {'prop': 'name'})
    call = decoder.decode(
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        b'<soapenv:Header><vcSessionCookie>abc</vcSessionCookie></soapenv:Header>'
        b'<soapenv:Body>' + SERVICE_CONTENT.encode() + b'</soapenv:Body></soapenv:Envelope>')
    assert call.name == 'RetrieveServiceContent'
    assert call.header is not None and call.header.findtext('vcSessionCookie') == 'abc'


def vm_hwm_mb():
    with open('/proc/self/status') as status:
        return next(int(line.split()[1]) for line in status if line.startswith('VmHWM')) / 1024


def test_a_big_request_peaks_at_a_small_multiple_of_its_size(many):  # noqa: F811
    """A 16 MB RetrievePropertiesEx (the 600 VMs named over and over) is
    answered while the process's peak memory grows by less than ten times
    the body, the client's two copies of it included (about 6.5 times; the
    whole tree took about seventeen)."""
    s = many_sock(many)
    cookie = login(s)
    request = retrieve_body(many.vms * 430, paths=('name',))
    megabytes = len(request) / 1e6
    assert megabytes > 15
    with open('/proc/self/clear_refs', 'w') as clear:
        clear.write('5')   # VmHWM starts again from the current RSS
    before = vm_hwm_mb()
    status, _, body, _ = soap(s, request, cookie)
    grown = vm_hwm_mb() - before
    assert status == 200 and body.count(b'<objects>') == len(many.vms)
    assert grown < 10 * megabytes, '%.0f MB for a %.0f MB request' % (grown, megabytes)
