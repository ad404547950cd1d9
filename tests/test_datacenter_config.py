"""A datacenter's configuration over pyVmomi: the default and maximum
virtual hardware versions (ReconfigureDatacenter_Task), what its compute
resources' environment browsers and new VMs follow unless they set their
own, and queryDatacenterConfigOptionDescriptor.

A simulator of its own: these tests change the datacenter's configuration."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests import host_managers

sim = host_managers.sim     # the module's own simulator


@pytest.fixture
def dc(si):
    return si.RetrieveContent().rootFolder.childEntity[0]


@pytest.fixture
def cluster(dc):
    return next(e for e in dc.hostFolder.childEntity if isinstance(e, vim.ClusterComputeResource))


def reconfigure(dc, modify=True, **keys):
    WaitForTask(dc.ReconfigureDatacenter_Task(vim.Datacenter.ConfigSpec(**keys), modify))


def default_of(descriptors):
    [default] = [d.key for d in descriptors if d.defaultConfigOption]
    return default


def new_vm_version(dc, cluster, name, version=None):
    config = vim.vm.ConfigSpec(name=name, guestId='otherGuest64', numCPUs=1, memoryMB=64,
                               files=vim.vm.FileInfo(vmPathName='[LocalDS_0]'), version=version)
    task = dc.vmFolder.CreateVM_Task(config=config, pool=cluster.resourcePool)
    WaitForTask(task)
    vm = task.info.result
    try:
        return vm.config.version
    finally:
        WaitForTask(vm.Destroy_Task())


def test_new_vms_follow_the_datacenters_default_and_maximum(dc, cluster):
    descriptors = dc.queryDatacenterConfigOptionDescriptor()
    newest = default_of(descriptors)
    assert newest == descriptors[-1].key and dc.configuration.defaultHardwareVersionKey is None
    assert new_vm_version(dc, cluster, 'dc-newest') == newest
    reconfigure(dc, defaultHardwareVersionKey='vmx-19')
    try:
        assert dc.configuration.defaultHardwareVersionKey == 'vmx-19'
        assert default_of(dc.queryDatacenterConfigOptionDescriptor()) == 'vmx-19'
        assert default_of(cluster.environmentBrowser.QueryConfigOptionDescriptor()) == 'vmx-19'
        assert cluster.environmentBrowser.QueryConfigOption().version == 'vmx-19'
        assert new_vm_version(dc, cluster, 'dc-default') == 'vmx-19'
        assert new_vm_version(dc, cluster, 'dc-asked', 'vmx-21') == 'vmx-21'
        # modify=false replaces the configuration: the default goes
        reconfigure(dc, modify=False, maximumHardwareVersionKey='vmx-20')
        config = dc.configuration
        assert config.defaultHardwareVersionKey is None
        assert config.maximumHardwareVersionKey == 'vmx-20'
        assert new_vm_version(dc, cluster, 'dc-max') == 'vmx-20'
        with pytest.raises(vmodl.fault.InvalidArgument):   # above the maximum
            new_vm_version(dc, cluster, 'dc-above', 'vmx-21')
    finally:
        reconfigure(dc, modify=False)
    assert new_vm_version(dc, cluster, 'dc-back') == newest


def test_a_compute_resources_own_default_comes_first(dc, cluster):
    reconfigure(dc, defaultHardwareVersionKey='vmx-19')
    WaitForTask(cluster.ReconfigureComputeResource_Task(
        vim.cluster.ConfigSpecEx(defaultHardwareVersionKey='vmx-18'), True))
    try:
        assert new_vm_version(dc, cluster, 'cr-default') == 'vmx-18'
        assert default_of(cluster.environmentBrowser.QueryConfigOptionDescriptor()) == 'vmx-18'
        assert default_of(dc.queryDatacenterConfigOptionDescriptor()) == 'vmx-19'
    finally:
        WaitForTask(cluster.ReconfigureComputeResource_Task(
            vim.cluster.ConfigSpecEx(), False))
        reconfigure(dc, modify=False)


def test_refused_configurations(dc):
    for keys in ({'defaultHardwareVersionKey': 'vmx-99'},
                 {'maximumHardwareVersionKey': 'hw-20'},
                 {'defaultHardwareVersionKey': 'vmx-21', 'maximumHardwareVersionKey': 'vmx-19'}):
        with pytest.raises(vmodl.fault.InvalidArgument):
            dc.ReconfigureDatacenter_Task(vim.Datacenter.ConfigSpec(**keys), True)
    assert dc.configuration.defaultHardwareVersionKey is None
