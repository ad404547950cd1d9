"""Answers made on a faster path are the answers of the ordinary one: byte
for byte, at every client version, after a reset."""
import collections
import os
import subprocess
import sys
import threading

import pytest
from lxml import etree

from vimsim.schema import MoRef, load as load_schema
from vimsim.soap import encode
from vimsim.soap.decode import Decoder, local_name
from tests.conftest import on_reactor
from tests.test_soap import SERVICE_CONTENT, post

OLD_CLIENT = '"urn:vim25/6.5"'
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ordinary_service_content(running, version):
    """RetrieveServiceContent's answer encoded afresh for `version`."""
    schema = running.sim.schema
    return on_reactor(lambda: encode.response(
        encode.encoder_for(schema, schema.version(version)),
        schema.operations['RetrieveServiceContent'],
        running.sim.service_instance.content))


def test_service_content_answer_follows_the_client_version(vc_http):
    for _ in range(2):     # the second time, from what the first made
        status, newest, _ = post(vc_http, SERVICE_CONTENT)
        assert status == 200 and newest == ordinary_service_content(vc_http, '9.1.1.0')
        status, old, _ = post(vc_http, SERVICE_CONTENT, action=OLD_CLIENT)
        assert status == 200 and old == ordinary_service_content(vc_http, '6.5')
    # a 6.5 client does not know the managers added since
    assert b'<directPathProfileManager' in newest and b'<directPathProfileManager' not in old


@pytest.mark.vimsim(tls=False)
def test_service_content_answer_is_the_new_models_after_a_reset(vimsim):
    before = post(vimsim, SERVICE_CONTENT)[1]
    content = vimsim.sim.service_instance.content
    vimsim.reset()
    assert vimsim.sim.service_instance.content is not content
    after = post(vimsim, SERVICE_CONTENT)[1]
    assert after == before == ordinary_service_content(vimsim, '9.1.1.0')


def test_local_name_reads_tags_as_lxml_does():
    for tag in ('_this', '{urn:vim25}_this', '{}Body', '{http://schemas.xmlsoap.org/soap/'
                'envelope/}Body', 'Body'):
        assert local_name(tag) == etree.QName(tag).localname, tag


def test_a_plain_http_start_leaves_pyopenssl_out_and_importable():
    """-tls=false imports the reactor without Twisted's TLS; OpenSSL still
    imports afterwards (for whatever else wants it)."""
    script = ('import sys; from vimsim import cli; cli._import_reactor_without_tls(); '
              'assert "OpenSSL" not in sys.modules, "loaded"; '
              'from twisted.internet import reactor; import OpenSSL.SSL; print("ok")')
    done = subprocess.run([sys.executable, '-c', script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip() == 'ok', done.stderr


def test_a_start_leaves_the_cookiejar_to_first_use():
    """Twisted binds http.cookiejar, which vimsim never uses: a start does
    not load it (nor urllib.request, http.client, email under it); the
    first use of it loads the real module."""
    script = ('import sys; from vimsim import cli; cli.start_logging(); '
              'cli._import_reactor_without_tls(); from twisted.internet import reactor; '
              'from twisted.python import compat; '
              'left = [m for m in ("urllib.request", "http.client", "email.message") '
              'if m in sys.modules]; assert not left, left; '
              'from http.cookiejar import CookieJar; assert compat.cookielib.CookieJar is '
              'CookieJar; assert len(CookieJar()) == 0; import urllib.request; print("ok")')
    done = subprocess.run([sys.executable, '-c', script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip() == 'ok', done.stderr


def test_a_data_class_is_one_class_whichever_thread_makes_it():
    """Classes are made on first use, and big bodies are decoded on a thread
    of their own: threads asking at once all get the same class."""
    schema = load_schema()
    fresh = [name for name, data_type in sorted(schema.types.items())
             if data_type._cls is None][:200]
    seen = collections.defaultdict(set)

    def ask():
        start.wait()
        for name in fresh:
            seen[name].add(schema.types[name].cls)

    start = threading.Event()
    threads = [threading.Thread(target=ask) for _ in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)     # threads take turns as often as they can
    try:
        for thread in threads:
            thread.start()
        start.set()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert fresh and all(len(classes) == 1 for classes in seen.values())
    for name in fresh:
        data_type = schema.types[name]
        assert data_type.base is None or issubclass(data_type.cls, data_type.base.cls)


def _envelope(body, header=''):
    return ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
            '"http://schemas.xmlsoap.org/soap/envelope/"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">%s'
            '<soapenv:Body>%s</soapenv:Body></soapenv:Envelope>' % (header, body)).encode()


def test_a_small_call_decoded_again_is_its_first_decoding_with_arguments_of_its_own():
    """Small bodies are remembered decoded; each call still gets its own
    references and arrays, so a handler changing them changes no other call."""
    decoder = Decoder(load_schema())
    body = _envelope('<QueryPerfCounter xmlns="urn:vim25"><_this type="PerformanceManager">'
                     'PerfMgr</_this><counterId>1</counterId><counterId>2</counterId>'
                     '</QueryPerfCounter>')
    first = decoder.decode(body)
    first.args['counterId'].append(3)
    first.this.value = 'changed'
    second = decoder.decode(body)
    assert (second.name, second.this, second.args, second.header) == (
        'QueryPerfCounter', MoRef('PerformanceManager', 'PerfMgr'), {'counterId': [1, 2]}, None)
    assert second.this is not first.this and second.args is not first.args
    fetch = _envelope('<Fetch xmlns="urn:vim25"><_this type="Folder">group-d1</_this>'
                      '<prop>name</prop></Fetch>')
    assert [(call.name, call.this, call.args) for call in (decoder.decode(fetch),
                                                           decoder.decode(fetch))] == \
        [('Fetch', MoRef('Folder', 'group-d1'), {'prop': 'name'})] * 2


def test_data_objects_and_soap_headers_are_decoded_afresh_each_time():
    decoder = Decoder(load_schema())
    retrieve = _envelope('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
                         'propertyCollector</_this><specSet><propSet><type>Folder</type>'
                         '<pathSet>name</pathSet></propSet><objectSet><obj type="Folder">'
                         'group-d1</obj></objectSet></specSet><options/></RetrievePropertiesEx>')
    first = decoder.decode(retrieve)
    first.args['specSet'][0].propSet[0].pathSet.append('parent')
    assert decoder.decode(retrieve).args['specSet'][0].propSet[0].pathSet == ['name']
    with_header = _envelope('<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">'
                            'ServiceInstance</_this></CurrentTime>',
                            '<soapenv:Header><vcSessionCookie>abc</vcSessionCookie>'
                            '</soapenv:Header>')
    for _ in range(2):
        header = decoder.decode(with_header).header
        assert header is not None and [child.text for child in header] == ['abc']


def test_a_reference_an_old_client_reads_by_a_newer_type_is_looked_up_each_time():
    """To a client older than an object's type the object is its nearest
    older type; the decoder reads that reference against the objects there
    are now, so such a request is never remembered."""
    schema = load_schema()
    version = schema.version('6.5')
    shown = next(name for name in sorted(schema.managed)
                 if encode.encoder_for(schema, version).types_shown_as(name))
    newer = encode.encoder_for(schema, version).types_shown_as(shown)[0]
    objects = {MoRef(newer, 'the-one'): object()}
    decoder = Decoder(schema, version, objects)
    body = _envelope('<Fetch xmlns="urn:vim25"><_this type="%s">the-one</_this>'
                     '<prop>name</prop></Fetch>' % shown)
    assert decoder.decode(body).this == MoRef(newer, 'the-one')
    objects.clear()
    assert decoder.decode(body).this == MoRef(shown, 'the-one')
