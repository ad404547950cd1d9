"""HostSpecificationManager with pyVmomi: a host's specification and its
named sub-specifications are stored, replaced and deleted, each change
with a change ID HostSpecGetUpdatedHosts ranges over; the host's own copy
(fromHost) is the one last pushed while it was connected."""
import pytest
from pyVmomi import vim, vmodl
from pyVmomi.VmomiSupport import binary

from tests.conftest import _simulator
from tests.test_host_datastore_system import events_of, host_named

Spec, SubSpec = vim.profile.host.HostSpecification, vim.profile.host.HostSubSpecification


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, autostart=False)


def test_specifications_and_their_change_ids(si):
    manager = si.RetrieveContent().hostSpecManager
    host, other = host_named(si, 'DC0_H0'), host_named(si, 'DC0_C0_H0')
    now = si.CurrentTime()
    with pytest.raises(vim.fault.HostSpecificationOperationFailed):
        manager.RetrieveHostSpecification(host=host, fromHost=False)
    manager.UpdateHostSpecification(host=host, hostSpec=Spec(
        createdTime=now, host=host, subSpecs=[
            SubSpec(name='net', createdTime=now,
                                                  binaryData=binary(b'\x01\x02'))]))
    spec = manager.RetrieveHostSpecification(host=host, fromHost=False)
    assert [s.name for s in spec.subSpecs] == ['net']
    assert spec.subSpecs[0].binaryData == b'\x01\x02'
    first = spec.changeID
    assert first and ':' in first
    manager.UpdateHostSubSpecification(host=other, hostSubSpec=SubSpec(
        name='storage', createdTime=now, data=[1, 2, 3]))
    manager.UpdateHostSubSpecification(host=host, hostSubSpec=SubSpec(
        name='storage', createdTime=now, data=[4]))
    other_id = manager.RetrieveHostSpecification(host=other, fromHost=False).changeID
    spec = manager.RetrieveHostSpecification(host=host, fromHost=True)
    assert [s.name for s in spec.subSpecs] == ['net', 'storage']
    assert manager.HostSpecGetUpdatedHosts(startChangeID=first) == [other, host]
    assert manager.HostSpecGetUpdatedHosts(endChangeID=first) == [host]
    assert manager.HostSpecGetUpdatedHosts(startChangeID=first, endChangeID=other_id) == [other]
    manager.DeleteHostSubSpecification(host=host, subSpecName='net')
    assert [s.name for s in manager.RetrieveHostSpecification(
        host=host, fromHost=False).subSpecs] == ['storage']
    with pytest.raises(vim.fault.HostSpecificationOperationFailed):
        manager.DeleteHostSubSpecification(host=host, subSpecName='net')
    manager.DeleteHostSpecification(host=host)
    with pytest.raises(vim.fault.HostSpecificationOperationFailed):
        manager.RetrieveHostSpecification(host=host, fromHost=True)
    assert events_of(si, host, ['HostSpecificationUpdateEvent', 'HostSubSpecificationUpdateEvent',
                                'HostSubSpecificationDeleteEvent',
                                'HostSpecificationChangedEvent'])
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.UpdateHostSpecification(host=host, hostSpec=Spec(
            createdTime=now, host=other))
    with pytest.raises(vmodl.fault.InvalidArgument):
        manager.HostSpecGetUpdatedHosts(startChangeID='junk')
    manager.DeleteHostSpecification(host=other)
