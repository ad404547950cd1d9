"""Unmodified pyVmomi connects, logs in and reads the service content."""
import pytest
from pyVim.connect import Disconnect
from pyVmomi import vim

from tests.test_hardening_updates import anonymous


def test_smartconnect_https(vc):
    si = vc.connect()
    try:
        content = si.RetrieveContent()
        assert content.about.apiType == 'VirtualCenter'
        assert content.rootFolder._moId == 'group-d1'
        assert content.sessionManager.currentSession.userName == 'user'
    finally:
        Disconnect(si)


def test_smartconnect_http(si):
    content = si.RetrieveContent()
    assert content.about.name == 'VMware vCenter Server'
    assert si.CurrentTime() is not None


def test_bad_password_raises_invalid_login(vc_http):
    with pytest.raises(vim.fault.InvalidLogin):
        vc_http.connect(user='user', pwd='')


def test_product_components_answer_before_login(vc_http, esx):
    """RetrieveProductComponents is anonymous; neither vCenter 8 nor ESXi 8
    bundles a separately versioned product."""
    for running in (vc_http, esx):
        assert anonymous(running).RetrieveProductComponents() == []
