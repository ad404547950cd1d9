"""SessionManager: login, logout, clone and local tickets, termination, idle expiry."""
import os
import time

import pytest
from pyVim.connect import Disconnect
from pyVmomi import vim, vmodl, SoapStubAdapter

from tests.conftest import _simulator


def test_calls_after_logout_are_not_authenticated(vc_http):
    si = vc_http.connect()
    content = si.RetrieveContent()
    content.sessionManager.Logout()
    with pytest.raises(vim.fault.NotAuthenticated):
        content.viewManager.CreateContainerView(content.rootFolder, [], True)
    assert content.sessionManager.currentSession is None


def test_current_session_and_session_list(si):
    manager = si.RetrieveContent().sessionManager
    current = manager.currentSession
    assert current.userName == 'user' and current.callCount >= 0
    assert current.key in [s.key for s in manager.sessionList]
    assert manager.SessionIsActive(current.key, 'user') is True
    assert manager.SessionIsActive(current.key, 'someone-else') is False
    assert manager.defaultLocale == 'en'


def test_clone_session(vc_http, si):
    ticket = si.RetrieveContent().sessionManager.AcquireCloneTicket()
    stub = SoapStubAdapter(host=vc_http.host, port=-vc_http.port, version='vim.version.v9_1_1_0')
    clone = vim.ServiceInstance('ServiceInstance', stub)
    manager = clone.RetrieveContent().sessionManager
    session = manager.CloneSession(ticket)
    assert session.userName == 'user'
    assert session.key != si.RetrieveContent().sessionManager.currentSession.key
    with pytest.raises(vim.fault.InvalidLogin):  # a ticket is good once
        manager.CloneSession(ticket)
    manager.Logout()


def test_local_ticket_logs_in_once(validator):
    """AcquireLocalTicket, as local tools use it: read the password from the
    file the ticket names, log in with it once (with -username/-password, so
    that only the ticket's password admits it)."""
    sim = _simulator(validator, tls=False, username='admin', password='s3cret')
    stub = SoapStubAdapter(host=sim.host, port=-sim.port, version='vim.version.v9_1_1_0')
    manager = vim.ServiceInstance('ServiceInstance', stub).RetrieveContent().sessionManager
    with pytest.raises(vim.fault.InvalidLogin):      # a user who could not log in
        manager.AcquireLocalTicket('user')
    ticket = manager.AcquireLocalTicket('admin')
    assert ticket.userName == 'admin'
    assert os.stat(ticket.passwordFilePath).st_mode & 0o077 == 0    # the owner's alone
    with open(ticket.passwordFilePath) as secret:
        password = secret.read()
    assert password != 's3cret'
    with pytest.raises(vim.fault.InvalidLogin):      # for that user only
        manager.Login('user', password)
    session = manager.Login('admin', password)
    assert session.userName == 'admin'
    manager.Logout()
    assert not os.path.exists(ticket.passwordFilePath)
    with pytest.raises(vim.fault.InvalidLogin):      # used up
        manager.Login('admin', password)


def test_terminate_session(vc_http, si):
    other = vc_http.connect()
    other_key = other.RetrieveContent().sessionManager.currentSession.key
    manager = si.RetrieveContent().sessionManager
    manager.TerminateSession([other_key])
    with pytest.raises(vim.fault.NotAuthenticated):
        other.RetrieveContent().viewManager.CreateListView([])
    with pytest.raises(vim.fault.NotFound):
        manager.TerminateSession(['no-such-session'])
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.TerminateSession([manager.currentSession.key])


def test_restricted_credentials(validator):
    sim = _simulator(validator, tls=False, username='admin', password='s3cret')
    with pytest.raises(vim.fault.InvalidLogin):
        sim.connect(user='user', pwd='pass')
    si = sim.connect(user='admin', pwd='s3cret')
    Disconnect(si)


def test_idle_sessions_expire(validator):
    sim = _simulator(validator, tls=False, session_timeout=1)
    si = sim.connect()
    content = si.RetrieveContent()
    time.sleep(1.5)
    with pytest.raises(vim.fault.NotAuthenticated):
        content.viewManager.CreateListView([])


def test_session_list_changes_reach_filters(vc_http, si):
    """A filter on SessionManager.sessionList hears of another session's
    login and logout (it used to hear of neither), element by element."""
    from tests.watching import Watcher
    watch = Watcher(si, si.content.sessionManager, vim.SessionManager, ['sessionList'])
    other = vc_http.connect(user='newcomer')
    path = 'sessionList["%s"]' % other.content.sessionManager.currentSession.key

    def seen(op):
        return lambda changes: any(p == path and o == op for _, _, p, o, _ in changes)
    assert seen('add')(watch.changes(until=seen('add')))
    Disconnect(other)
    assert seen('remove')(watch.changes(until=seen('remove')))


def test_tickets_need_a_session(vc_http):
    """A clone or service ticket acts for a session: without one,
    NotAuthenticated (not an internal error; found by the fuzzer)."""
    stub = SoapStubAdapter(host=vc_http.host, port=-vc_http.port, version='vim.version.v9_1_1_0')
    manager = vim.SessionManager('SessionManager', stub)
    with pytest.raises(vim.fault.NotAuthenticated):
        manager.AcquireCloneTicket()
    with pytest.raises(vim.fault.NotAuthenticated):
        manager.AcquireGenericServiceTicket(vim.SessionManager.HttpServiceRequestSpec(
            url='/folder/x?dsName=LocalDS_0'))
