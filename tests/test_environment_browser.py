"""EnvironmentBrowser as vCenter answers it, driven by unmodified pyVmomi:
the hardware versions a compute resource's hosts run (an ESXi 9.x host up to
vmx-22, an 8.0 U3 one up to vmx-21), config options with the guest OS
catalogue, the config target and the hosts' capabilities; UpgradeVM_Task and
CreateVM_Task follow the same versions. Every answer is validated against
the served schema (tests/validation.py).

A simulator of its own: these tests create and upgrade VMs.
"""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of, logged_in

QuerySpec = vim.EnvironmentBrowser.ConfigOptionQuerySpec


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


def cluster_of(si):
    return next(c for c in all_of(si, vim.ClusterComputeResource))


def test_descriptors_list_the_versions_the_hosts_run(si):
    cluster = cluster_of(si)
    descriptors = cluster.environmentBrowser.QueryConfigOptionDescriptor()
    keys = [d.key for d in descriptors]
    assert keys[-1] == 'vmx-22' and 'vmx-21' in keys and 'vmx-15' in keys
    assert 'vmx-16' not in keys   # there never was a vmx-16
    newest = descriptors[-1]
    assert newest.defaultConfigOption is True and newest.description == \
        'ESXi 9.0 virtual machine'
    assert [d.key for d in descriptors if d.defaultConfigOption] == ['vmx-22']
    assert set(newest.host) == set(cluster.host)
    assert all(d.runSupported and d.upgradeSupported for d in descriptors)
    assert descriptors[0].key == 'vmx-03' and descriptors[0].createSupported is False


def test_config_option_and_guest_catalogue(si):
    browser = cluster_of(si).environmentBrowser
    option = browser.QueryConfigOption()
    assert option.version == 'vmx-22' and option.hardwareOptions.hwVersion == 22
    guests = {g.id: g for g in option.guestOSDescriptor}
    ubuntu = guests['ubuntu64Guest']
    assert ubuntu.fullName == 'Ubuntu Linux (64-bit)' and ubuntu.family == 'linuxGuest'
    # device type names, which pyVmomi reads as the device classes
    assert ubuntu.recommendedEthernetCard is vim.vm.device.VirtualVmxnet3
    assert ubuntu.recommendedDiskController is vim.vm.device.ParaVirtualSCSIController
    assert ubuntu.recommendedMemMB == 2048 and ubuntu.recommendedFirmware == 'efi'
    windows = guests['windows2019srv_64Guest']
    assert windows.family == 'windowsGuest'
    assert windows.recommendedEthernetCard is vim.vm.device.VirtualE1000e
    assert option.guestOSDescriptor[option.guestOSDefaultIndex].id == 'otherGuest64'
    assert {type(d).__name__ for d in option.defaultDevice} >= {
        'vim.vm.device.VirtualPCIController', 'vim.vm.device.VirtualIDEController'}
    # an older version by key; one the hosts do not run has no option
    old = browser.QueryConfigOption(key='vmx-15')
    assert old.version == 'vmx-15' and old.hardwareOptions.hwVersion == 15
    assert browser.QueryConfigOption(key='vmx-99') is None
    # QueryConfigOptionEx filters the guests (all of them when none matches)
    only = browser.QueryConfigOptionEx(QuerySpec(guestId=['ubuntu64Guest']))
    assert [g.id for g in only.guestOSDescriptor] == ['ubuntu64Guest']
    unmatched = browser.QueryConfigOptionEx(QuerySpec(guestId=['noSuchGuest']))
    assert len(unmatched.guestOSDescriptor) == len(option.guestOSDescriptor)
    assert browser.QueryConfigOptionEx().version == 'vmx-22'
    # the names the catalogue gives are what a VM of that guest reports
    vm = all_of(si, vim.VirtualMachine)[0]
    assert vm.environmentBrowser.QueryConfigOption().version == 'vmx-22'


def test_a_host_outside_the_compute_resource_is_refused(si):
    clusters = all_of(si, vim.ComputeResource)
    cluster = cluster_of(si)
    stranger = next(h for c in clusters if c != cluster for h in c.host)
    browser = cluster.environmentBrowser
    with pytest.raises(vmodl.fault.InvalidArgument):
        browser.QueryConfigOption(host=stranger)
    with pytest.raises(vmodl.fault.InvalidArgument):
        browser.QueryConfigTarget(host=stranger)
    with pytest.raises(vmodl.fault.InvalidArgument):
        browser.QueryTargetCapabilities(host=stranger)
    own = cluster.host[0]
    assert browser.QueryConfigOption(host=own).version == 'vmx-22'


def test_config_target_and_capabilities(si):
    cluster = cluster_of(si)
    browser = cluster.environmentBrowser
    target = browser.QueryConfigTarget()
    assert {d.name for d in target.datastore} == {ds.name for ds in cluster.datastore}
    assert all(d.datastore.datastore in cluster.datastore for d in target.datastore)
    networks = {n.name for n in cluster.network}
    assert {n.name for n in target.network} | {
        p.portgroupName for p in target.distributedVirtualPortgroup} <= networks
    assert 'VM Network' in {n.name for n in target.network}
    pg = next(p for p in target.distributedVirtualPortgroup if p.portgroupName == 'DC0_DVPG0')
    assert pg.switchUuid == pg.portgroup.config.distributedVirtualSwitch.uuid
    assert target.distributedVirtualSwitch[0].switchUuid == pg.switchUuid
    hardware = cluster.host[0].hardware
    assert target.numCpuCores == hardware.cpuInfo.numCpuCores
    assert target.maxMemMBOptimalPerf == hardware.memorySize // (1024 * 1024)
    capability = browser.QueryTargetCapabilities(host=cluster.host[0])
    assert capability.vmotionSupported == cluster.host[0].capability.vmotionSupported
    assert capability.nestedHVSupported == cluster.host[0].capability.nestedHVSupported


def test_create_and_upgrade_follow_the_hosts_versions(si):
    """CreateVM_Task makes the newest version the host runs unless told, and
    refuses one it cannot create; an inventory VM (vmx-21) upgrades to vmx-22
    (it answered AlreadyUpgraded)."""
    dc = si.content.rootFolder.childEntity[0]
    cluster = cluster_of(si)
    made = []
    try:
        for version in (None, 'vmx-19'):
            task = dc.vmFolder.CreateVM_Task(config=vim.vm.ConfigSpec(
                name='envb-%s' % version, guestId='otherGuest64', version=version,
                files=vim.vm.FileInfo(vmPathName='[LocalDS_0]')), pool=cluster.resourcePool)
            WaitForTask(task)
            made.append(task.info.result)
        assert [vm.config.version for vm in made] == ['vmx-22', 'vmx-19']
        with pytest.raises(vmodl.fault.InvalidArgument):
            WaitForTask(dc.vmFolder.CreateVM_Task(config=vim.vm.ConfigSpec(
                name='envb-old', guestId='otherGuest64', version='vmx-03',
                files=vim.vm.FileInfo(vmPathName='[LocalDS_0]')), pool=cluster.resourcePool))
        vm = next(v for v in all_of(si, vim.VirtualMachine) if v.name == 'DC0_C0_RP0_VM1')
        assert vm.config.version == 'vmx-21'
        if vm.runtime.powerState == 'poweredOn':
            WaitForTask(vm.PowerOffVM_Task())
        WaitForTask(vm.UpgradeVM_Task())
        assert vm.config.version == 'vmx-22'
    finally:
        for vm in made:
            WaitForTask(vm.Destroy_Task())


@pytest.fixture
def si_803(vc_803):
    yield from logged_in(vc_803)


def test_an_esxi_8_host_runs_up_to_vmx_21(si_803):
    cluster = cluster_of(si_803)
    browser = cluster.environmentBrowser
    descriptors = browser.QueryConfigOptionDescriptor()
    assert descriptors[-1].key == 'vmx-21' and descriptors[-1].defaultConfigOption
    assert 'vmx-22' not in [d.key for d in descriptors]
    assert browser.QueryConfigOption().version == 'vmx-21'
    assert browser.QueryConfigOption(key='vmx-22') is None


@pytest.fixture
def si_esx(esx):
    yield from logged_in(esx)


def test_a_standalone_esxi_answers_for_itself(si_esx):
    """In ESX mode the host's compute resource has its environment browser
    (ha-env-browser), naming the one host."""
    compute = all_of(si_esx, vim.ComputeResource)[0]
    browser = compute.environmentBrowser
    descriptors = browser.QueryConfigOptionDescriptor()
    assert descriptors[-1].key == 'vmx-22'
    assert descriptors[-1].host == compute.host
    assert browser.QueryConfigTarget().datastore
