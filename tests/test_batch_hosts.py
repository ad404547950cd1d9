"""The batch forms of adding hosts, as vCenter's cluster quickstart calls
them: Datacenter.BatchQueryConnectInfo, Folder.BatchAddStandaloneHosts_Task
and Folder.BatchAddHostsToCluster_Task. A host that is refused is listed
with its fault while the others go ahead."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator
from tests.test_hosts import add_standalone, cluster_of, events_of, host_spec, spec_for


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


@pytest.fixture
def dc(si):
    return si.RetrieveContent().rootFolder.childEntity[0]


def new_host(dc, name):
    return vim.Folder.NewHostSpec(hostCnxSpec=spec_for(dc, name))


def result_of(task):
    WaitForTask(task)
    return task.info.result


def test_batch_query_connect_info(si, dc):
    """One summary per spec; a spec that would be refused carries its fault."""
    managed = cluster_of(dc).host[0]
    infos = dc.BatchQueryConnectInfo([spec_for(dc, 'esx-batch-q.example.com'),
                                      host_spec('esx-batch-bad.example.com'),
                                      spec_for(dc, managed.name)])
    fresh, bad, known = infos
    assert fresh.hostname == 'esx-batch-q.example.com' and fresh.error is None
    assert fresh.numVm == 0 and fresh.hostProductInfo.name == 'VMware ESXi'
    assert fresh.hardwareVendor and fresh.hardwareModel and fresh.serverIp
    assert isinstance(bad.error, vim.fault.SSLVerifyFault)
    assert known.numVm == len(managed.vm)
    assert known.numPoweredOnVm == sum(1 for vm in managed.vm
                                       if vm.runtime.powerState == 'poweredOn')
    assert known.serverIp == managed.config.network.vnic[0].spec.ip.ipAddress


def test_batch_add_standalone_hosts(si, dc):
    names = ['esx-batch-1.example.com', 'esx-batch-2.example.com']
    bad = vim.Folder.NewHostSpec(hostCnxSpec=host_spec('esx-batch-3.example.com'))
    result = result_of(dc.hostFolder.BatchAddStandaloneHosts_Task(
        [new_host(dc, name) for name in names] + [bad], None, True))
    assert sorted(h.name for h in result.addedHosts) == names
    assert all(isinstance(h.parent, vim.ComputeResource)
               and h.parent.parent == dc.hostFolder for h in result.addedHosts)
    [failed] = result.hostsFailedInventoryAdd
    assert failed.hostName == 'esx-batch-3.example.com'
    assert isinstance(failed.fault, vim.fault.SSLVerifyFault) and failed.context.key
    # a second time they are managed already
    again = result_of(dc.hostFolder.BatchAddStandaloneHosts_Task(
        [new_host(dc, names[0])], None, True))
    assert again.addedHosts == []
    assert isinstance(again.hostsFailedInventoryAdd[0].fault, vim.fault.AlreadyConnected)
    assert events_of(si, result.addedHosts[0], 'HostAddedEvent')


def test_batch_add_hosts_to_cluster(si, dc):
    """New and existing hosts end in the cluster in the desired state; a
    host with a running VM cannot enter maintenance mode and stays out."""
    cluster = cluster_of(dc)
    existing = add_standalone(dc, 'esx-batch-existing.example.com')
    busy = add_standalone(dc, 'esx-batch-busy.example.com')
    vm = result_of(busy.parent.parent.parent.vmFolder.CreateVM_Task(
        vim.vm.ConfigSpec(name='batch-busy-vm', files=vim.vm.FileInfo(
            vmPathName='[%s]' % busy.datastore[0].name), numCPUs=1, memoryMB=64),
        busy.parent.resourcePool, busy))
    WaitForTask(vm.PowerOnVM_Task())
    result = result_of(dc.hostFolder.BatchAddHostsToCluster_Task(
        cluster, [new_host(dc, 'esx-batch-new.example.com')], [existing, busy], None,
        'maintenance'))
    assert sorted(h.name for h in result.hostsAddedToCluster) == [
        'esx-batch-existing.example.com', 'esx-batch-new.example.com']
    assert all(h.parent == cluster and h.runtime.inMaintenanceMode
               for h in result.hostsAddedToCluster)
    [failed] = result.hostsFailedMoveToCluster
    assert failed.host == busy and isinstance(failed.fault, vim.fault.InvalidState)
    assert busy.parent != cluster and not busy.runtime.inMaintenanceMode
    assert result.hostsFailedInventoryAdd == []
    assert events_of(si, existing, 'EnteredMaintenanceModeEvent')
    # out of maintenance mode again, as asked
    result = result_of(dc.hostFolder.BatchAddHostsToCluster_Task(
        cluster, [], [existing], None, 'nonMaintenance'))
    assert result.hostsAddedToCluster == [existing]
    assert not existing.runtime.inMaintenanceMode and existing.parent == cluster


def test_batch_add_refuses_what_is_not_a_host_folder(si, dc):
    with pytest.raises(vmodl.fault.NotSupported):
        dc.vmFolder.BatchAddStandaloneHosts_Task([], None, True)
    with pytest.raises(vmodl.fault.InvalidArgument):
        dc.hostFolder.BatchAddHostsToCluster_Task(cluster_of(dc), [], [], None, 'sleeping')
