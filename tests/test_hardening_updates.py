"""Hardening of the PropertyCollector, live updates and session-held objects
(issue 8): anonymous callers read only the anonymous properties.
"""
import pytest
from pyVim.connect import Disconnect
from pyVmomi import SoapStubAdapter, vim, vmodl

from tests.conftest import _simulator

PC = vmodl.query.PropertyCollector


def anonymous(running):
    stub = SoapStubAdapter(host=running.host, port=-running.port, version='vim.version.v9_1_1_0')
    return vim.ServiceInstance('ServiceInstance', stub)


@pytest.fixture(scope='module')
def guarded(validator):
    return _simulator(validator, tls=False, username='admin', password='s3cret')


def test_anonymous_retrieve_reads_only_anonymous_properties(guarded):
    si = guarded.connect(user='admin', pwd='s3cret')
    try:
        stranger = anonymous(guarded)
        content = stranger.RetrieveContent()
        collector = content.propertyCollector
        manager = content.sessionManager

        def spec(obj, paths, select=None):
            return PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=obj, selectSet=select)],
                                 propSet=[PC.PropertySpec(type=type(obj), pathSet=paths)])
        with pytest.raises(vim.fault.NotAuthenticated):
            collector.RetrieveProperties([spec(manager, ['sessionList'])])
        with pytest.raises(vim.fault.NotAuthenticated):
            collector.RetrievePropertiesEx([spec(manager, ['sessionList'])],
                                           PC.RetrieveOptions())
        with pytest.raises(vim.fault.NotAuthenticated):   # every property, some not anonymous
            collector.RetrieveProperties([PC.FilterSpec(
                objectSet=[PC.ObjectSpec(obj=manager)],
                propSet=[PC.PropertySpec(type=vim.SessionManager, all=True)])])
        folder_walk = [PC.TraversalSpec(name='children', type=vim.Folder, path='childEntity')]
        with pytest.raises(vim.fault.NotAuthenticated):   # traversing reads childEntity
            collector.RetrieveProperties([PC.FilterSpec(
                objectSet=[PC.ObjectSpec(obj=content.rootFolder, skip=True,
                                         selectSet=folder_walk)],
                propSet=[PC.PropertySpec(type=vim.Datacenter, pathSet=['name'])])])
        with pytest.raises(vim.fault.NotAuthenticated):
            collector.CreateFilter(spec(manager, ['currentSession']), True)
        with pytest.raises(vim.fault.NotAuthenticated):
            manager.sessionList          # a Fetch
        # what a client reads before it logs in stays readable
        [answer] = collector.RetrieveProperties([spec(manager, ['currentSession',
                                                                'supportedLocaleList'])])
        assert [p.name for p in answer.propSet] == ['supportedLocaleList']
        [answer] = collector.RetrieveProperties([PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=vim.ServiceInstance('ServiceInstance', stranger._stub))],
            propSet=[PC.PropertySpec(type=vim.ServiceInstance, pathSet=['content'])])])
        assert answer.propSet[0].val.rootFolder == content.rootFolder
        assert manager.currentSession is None
        # a session reads everything
        logged_in = si.RetrieveContent().sessionManager
        assert [s.userName for s in logged_in.sessionList] == ['admin']
    finally:
        Disconnect(si)

