"""Answers made on a faster path are the answers of the ordinary one: byte
for byte, at every client version, after a reset."""
import collections
import os
import subprocess
import sys
import threading

import pytest
from lxml import etree

from vimsim.schema import load as load_schema
from vimsim.soap import encode
from vimsim.soap.decode import local_name
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
