"""iSCSI LUNs shared between the hosts of a datacenter, as a cluster's hosts
share an array through vmware_host_iscsi and vmware_host_datastore: the
same target added on two hosts is the same device (canonical name, uuid,
durable name, partitions); a VMFS volume one host makes appears on the
other after a rescan as the same Datastore, mounted on both; one host
leaving it (unmount, then its target removed) leaves it on the other; the
arrays survive a restart from a snapshot."""
import pytest
from pyVim.connect import Disconnect
from pyVmomi import vim

from tests.conftest import _simulator
from tests.test_host_datastore_system import create_vmfs, events_of, host_named
from tests.test_state import _restarted, _start, _stop, _stopped
from tests.watching import Watcher, paths_of
from vimsim.state import persistence

TARGET = vim.host.InternetScsiHba.StaticTarget(
    address='192.168.50.10', port=3260, iScsiName='iqn.2012-03.com.example:shared.lun0')


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


def shared_lun(host):
    storage = host.configManager.storageSystem
    return next(d for d in storage.storageDeviceInfo.scsiLun
                if getattr(d, 'displayName', '').startswith('VIMSIM iSCSI'))


def add_target(host):
    storage = host.configManager.storageSystem
    storage.UpdateSoftwareInternetScsiEnabled(True)
    storage.AddInternetScsiStaticTargets('vmhba65', [TARGET])
    return shared_lun(host)


def test_one_lun_one_datastore_on_two_hosts(si, other):
    first, second = host_named(si, 'DC0_C0_H0'), host_named(si, 'DC0_C0_H1')
    lun_a, lun_b = add_target(first), add_target(second)
    assert (lun_a.canonicalName, lun_a.uuid) == (lun_b.canonicalName, lun_b.uuid)
    assert lun_a.canonicalName.startswith('naa.')
    durable_a, durable_b = lun_a.durableName, lun_b.durableName
    assert durable_a.namespace == 'NAA' and len(durable_a.data) == 16
    assert (durable_a.namespaceId, list(durable_a.data)) == \
        (durable_b.namespaceId, list(durable_b.data))

    ds = create_vmfs(first, lun_a.canonicalName, 'shared-vmfs')
    assert ds.host[0].key == first and len(ds.host) == 1
    assert not ds.summary.multipleHostAccess
    # the second host sees the partition table the first wrote, and may not
    # take the disk for a volume of its own
    storage_b = second.configManager.storageSystem
    info, = storage_b.RetrieveDiskPartitionInfo([lun_b.devicePath])
    assert [p.type for p in info.spec.partition] == ['vmfs']
    system_b = second.configManager.datastoreSystem
    assert lun_b.canonicalName not in [d.canonicalName
                                       for d in system_b.QueryAvailableDisksForVmfs()]
    with pytest.raises(vim.fault.HostConfigFault):
        create_vmfs(second, lun_b.canonicalName, 'other-vmfs')
    assert ds not in second.datastore

    watcher = Watcher(other, ds, vim.Datastore, ['host', 'summary.multipleHostAccess'])
    storage_b.RescanAllHba()
    changes = paths_of(watcher.changes())
    assert 'summary.multipleHostAccess' in changes and \
        any(path.startswith('host[') for path in changes)
    assert ds in second.datastore
    assert {m.key for m in ds.host} == {first, second}
    assert ds.summary.multipleHostAccess
    storage_b.RescanVmfs()                                    # found once
    assert len(ds.host) == 2 and second.datastore.count(ds) == 1
    assert events_of(si, second, ['DatastoreDiscoveredEvent'])[0].datastore.datastore == ds
    volumes = [m.volume for m in second.config.fileSystemVolume.mountInfo
               if m.volume.name == 'shared-vmfs']
    assert [v.extent[0].diskName for v in volumes] == [lun_b.canonicalName]

    # the second host leaves: its target cannot go while it mounts the volume
    with pytest.raises(vim.fault.HostConfigFault):
        storage_b.RemoveInternetScsiStaticTargets('vmhba65', [TARGET])
    storage_b.UnmountVmfsVolume(ds.info.vmfs.uuid)
    storage_b.RemoveInternetScsiStaticTargets('vmhba65', [TARGET])
    assert ds not in second.datastore
    assert [m.key for m in ds.host] == [first]
    assert not ds.summary.multipleHostAccess
    assert ds in first.datastore and ds.summary.accessible
    storage_b.UpdateSoftwareInternetScsiEnabled(False)

    # deleting the volume on its last host destroys it
    first.configManager.datastoreSystem.RemoveDatastore(ds)
    assert 'shared-vmfs' not in [d.name for d in first.datastore]
    info, = first.configManager.storageSystem.RetrieveDiskPartitionInfo([lun_a.devicePath])
    assert info.spec.partition == []


def test_local_disks_stay_each_hosts_own(si):
    """The local naa disk has the same name on every host, yet a volume on
    one host's is not another's."""
    first, second = host_named(si, 'DC0_C0_H0'), host_named(si, 'DC0_C0_H1')
    name = next(d.canonicalName for d in
                first.configManager.storageSystem.storageDeviceInfo.scsiLun
                if d.canonicalName.startswith('naa.6000c29'))
    ds = create_vmfs(first, name, 'local-naa')
    second.configManager.storageSystem.RescanVmfs()
    assert ds not in second.datastore
    assert name in [d.canonicalName for d in
                    second.configManager.datastoreSystem.QueryAvailableDisksForVmfs()]
    first.configManager.datastoreSystem.RemoveDatastore(ds)


def test_shared_lun_after_a_snapshot_restart(validator, tmp_path, monkeypatch):
    """The datacenter's arrays are part of the model: after a start from a
    snapshot, a host adding the target sees what another host wrote."""
    monkeypatch.setattr(persistence, 'COMPACT_AT', 1)
    first = _start(validator, tmp_path)
    si = first.connect()
    lun = add_target(host_named(si, 'DC0_C0_H0'))
    moid = create_vmfs(host_named(si, 'DC0_C0_H0'), lun.canonicalName, 'kept-shared')._moId
    Disconnect(si)
    second = _restarted(validator, tmp_path, _stopped(first))     # writes the snapshot
    third = _restarted(validator, tmp_path, _stopped(second))     # starts from it
    assert third.sim.persistence.snapshot is not None
    si = third.connect()
    other = host_named(si, 'DC0_C0_H1')
    seen = add_target(other)
    info, = other.configManager.storageSystem.RetrieveDiskPartitionInfo([seen.devicePath])
    assert [p.type for p in info.spec.partition] == ['vmfs']
    other.configManager.storageSystem.RescanVmfs()
    joined = next(d for d in other.datastore if d.name == 'kept-shared')
    assert joined._moId == moid and len(joined.host) == 2
    Disconnect(si)
    _stop(third)
