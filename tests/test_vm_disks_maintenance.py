"""A VM's disk chains and storage with pyVmomi: a snapshot removed without
consolidating leaves runtime.consolidationNeeded, which
EstimateStorageForConsolidateSnapshots_Task sizes and ConsolidateVMDisks_Task
clears (its delta gone from the datastore, vCenter's EventEx); a linked
clone's parent is not redundant, and PromoteDisks_Task gives it a base of
its own; QueryUnownedFiles lists the strangers in the VM's directory;
DefragmentAllDisks, RefreshStorageInfo, TerminateVM and
CheckCustomizationSpec.

A simulator of its own: these tests change the inventory.
"""
import http.client
import os

import pytest
from lxml import etree
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, task_fault
from vimsim.managed.storage import datastore_files as files_on_disk
from tests.test_instant_clone import top_file
from tests.test_vm_console import local_file, powered
from tests.test_vm_operations import events_of, result_of
from tests.test_vm_provisioning import _create, _linux_spec
from tests.watching import Watcher, paths_of


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)



@pytest.fixture
def dc(si):
    """The datacenter, its datastores' files in use (a VM's files are real
    from the first file call on)."""
    datacenter = si.RetrieveContent().rootFolder.childEntity[0]
    datacenter.vmFolder.childEntity[0].QueryUnownedFiles()
    return datacenter


def chain_of(vm):
    backing, names = top_file(vm), []
    while backing is not None:
        names.insert(0, backing.fileName)
        backing = backing.parent
    return names


def test_a_snapshot_removed_without_consolidating_needs_consolidation(si, dc, sim):
    vm = _create(si, dc, 'dm-cons')
    base = chain_of(vm)
    WaitForTask(vm.CreateSnapshot_Task('one', memory=False, quiesce=False))
    assert vm.runtime.consolidationNeeded is False            # the snapshot holds the base
    WaitForTask(vm.snapshot.currentSnapshot.RemoveSnapshot_Task(False, consolidate=False))
    assert vm.runtime.consolidationNeeded is True
    delta = chain_of(vm)[-1]
    assert chain_of(vm) == base + [delta]
    delta_file = local_file(sim, vm, delta)
    assert os.path.exists(delta_file)
    [need] = result_of(vm.EstimateStorageForConsolidateSnapshots_Task())
    assert need.datastore == vm.datastore[0] and need.freeSpaceRequiredInKb >= 0
    watcher = Watcher(sim.connect(), vm, vim.VirtualMachine, ['runtime.consolidationNeeded'])
    WaitForTask(vm.ConsolidateVMDisks_Task())
    assert 'runtime.consolidationNeeded' in paths_of(watcher.changes())
    assert vm.runtime.consolidationNeeded is False and chain_of(vm) == base
    assert not os.path.exists(delta_file)
    assert events_of(si, vm, 'com.vmware.vc.VmDiskConsolidatedEvent')


def test_promoting_a_linked_clone_gives_it_its_own_base(si, dc, sim):
    source = _create(si, dc, 'dm-src')
    WaitForTask(source.CreateSnapshot_Task('base', memory=False, quiesce=False))
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(
        diskMoveType='createNewChildDiskBacking'), snapshot=source.snapshot.currentSnapshot)
    linked = result_of(source.CloneVM_Task(folder=dc.vmFolder, name='dm-linked', spec=spec))
    parent, own_delta = chain_of(linked)
    assert parent.startswith('[LocalDS_0] dm-src/')
    assert os.path.exists(local_file(sim, linked, own_delta))
    assert linked.runtime.consolidationNeeded is False        # its source holds the parent
    WaitForTask(linked.PowerOnVM_Task())
    assert isinstance(task_fault(linked.PromoteDisks_Task(unlink=True)),
                      vim.fault.InvalidPowerState)
    WaitForTask(linked.PowerOffVM_Task())
    WaitForTask(linked.PromoteDisks_Task(unlink=True))
    [base] = chain_of(linked)
    assert base == '[LocalDS_0] dm-linked/dm-linked.vmdk'
    assert os.path.exists(local_file(sim, linked, base))
    assert not os.path.exists(local_file(sim, linked, own_delta))
    WaitForTask(source.Destroy_Task())                     # the clone needs nothing of it
    WaitForTask(linked.PowerOnVM_Task())


def test_storage_queries_and_the_vm_process(si, dc, sim):
    vm = _create(si, dc, 'dm-misc')
    assert vm.QueryUnownedFiles() == []
    stranger = os.path.join(os.path.dirname(local_file(sim, vm, vm.config.files.vmPathName)),
                            'left-behind.txt')
    with open(stranger, 'w') as f:
        f.write('not the VM\'s')
    assert vm.QueryUnownedFiles() == ['[LocalDS_0] dm-misc/left-behind.txt']
    vm.DefragmentAllDisks()
    watcher = Watcher(sim.connect(), vm, vim.VirtualMachine, ['storage'])
    vm.RefreshStorageInfo()
    assert 'storage' in paths_of(watcher.changes())
    with pytest.raises(vim.fault.InvalidState):
        vm.TerminateVM()
    powered(vm)
    with pytest.raises(vim.fault.InvalidPowerState):
        vm.DefragmentAllDisks()
    vm.TerminateVM()
    assert vm.runtime.powerState == 'poweredOff'
    assert events_of(si, vm, 'VmPoweredOffEvent')


def test_check_customization_spec_is_customize_vms_check(si, dc):
    vm = _create(si, dc, 'dm-cust')
    vm.CheckCustomizationSpec(_linux_spec())
    bad = _linux_spec()
    bad.nicSettingMap = bad.nicSettingMap * 2
    with pytest.raises(vim.fault.NicSettingMismatch):
        vm.CheckCustomizationSpec(bad)
    assert isinstance(task_fault(vm.CustomizeVM_Task(bad)), vim.fault.NicSettingMismatch)
    assert vm.guest.hostName is None                       # checking changed nothing


def test_the_ovf_environment_the_guest_sees(si, dc):
    vm = _create(si, dc, 'dm-ovf')
    powered(vm)
    assert vm.ExtractOvfEnvironment() == ''               # no vApp options
    powered(vm, 'poweredOff')
    Info, Spec = vim.vApp.PropertyInfo, vim.vApp.PropertySpec
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(vAppConfig=vim.vApp.VmConfigSpec(
        ovfEnvironmentTransport=['com.vmware.guestInfo'], property=[
            Spec(operation='add', info=Info(key=1, id='hostname', type='string',
                                            value='web-1')),
            Spec(operation='add', info=Info(key=2, id='dns', type='string',
                                            defaultValue='10.0.0.1')),
            Spec(operation='add', info=Info(key=3, id='secret', type='password',
                                            value='hidden'))]))))
    with pytest.raises(vim.fault.InvalidState):
        vm.ExtractOvfEnvironment()                         # made as the VM powers on
    powered(vm)
    text = vm.ExtractOvfEnvironment()
    root = etree.fromstring(text.encode())
    oe = '{http://schemas.dmtf.org/ovf/environment/1}'
    values = {p.get(oe + 'key'): p.get(oe + 'value') for p in root.iter(oe + 'Property')}
    assert values == {'hostname': 'web-1', 'dns': '10.0.0.1'}
    assert root.find(oe + 'PlatformSection/' + oe + 'Kind').text == 'VMware ESXi'
    [adapter] = root.iter('{http://www.vmware.com/schema/ovfenv}Adapter')
    nic = next(d for d in vm.config.hardware.device
               if isinstance(d, vim.vm.device.VirtualEthernetCard))
    assert adapter.get('{http://www.vmware.com/schema/ovfenv}mac') == nic.macAddress


def test_per_vm_evc_masks(si, dc):
    vm = _create(si, dc, 'dm-evc')
    Mask = vim.host.FeatureMask
    masks = [Mask(key='cpuid.AES', featureName='cpuid.AES', value='Val:0')]
    powered(vm)
    assert isinstance(task_fault(vm.ApplyEvcModeVM_Task(masks, True)), vim.fault.InvalidPowerState)
    powered(vm, 'poweredOff')
    WaitForTask(vm.ApplyEvcModeVM_Task(masks, True))
    assert [(m.key, m.value) for m in vm.runtime.featureMask] == [('cpuid.AES', 'Val:0')]
    with pytest.raises(vmodl.fault.InvalidArgument):
        vm.ApplyEvcModeVM_Task(masks * 2, True)
    WaitForTask(vm.ApplyEvcModeVM_Task([], True))
    assert vm.runtime.featureMask == []


def _put(sim, si, datastore_path, data):
    """Upload `data` to a datastore path through /folder, as a client would."""
    ds_name, relative = datastore_path[1:].split('] ', 1)
    connection = http.client.HTTPConnection(sim.host, sim.port, timeout=30)
    try:
        connection.request('PUT', '/folder/%s?dcPath=DC0&dsName=%s' % (relative, ds_name),
                           body=data, headers={'Cookie': si._stub.cookie})
        assert connection.getresponse().status in (200, 201)
    finally:
        connection.close()


def test_a_broken_disk_chain_is_repaired(si, dc, sim, monkeypatch):
    """A delta's parentCID is its parent's CID; when the parent's descriptor
    changes on the datastore (a /folder upload, FileManager's copy over it)
    the chain is broken (runtime.diskChainBroken) until
    RepairVmDiskChains_Task of the powered-off VM rewrites it. What the
    descriptors say is kept: reading `runtime` again reads no file."""
    vm = _create(si, dc, 'dm-chain')
    WaitForTask(vm.CreateSnapshot_Task('one', memory=False, quiesce=False))
    base_name = chain_of(vm)[-2]
    base, delta = (local_file(sim, vm, name) for name in chain_of(vm)[-2:])

    def header(path, key):
        return next(line.split('=', 1)[1] for line in open(path).read().splitlines()
                    if line.startswith(key + '='))
    assert header(delta, 'parentCID') == header(base, 'CID')
    assert vm.runtime.diskChainBroken is False
    reads = []
    read_descriptor = files_on_disk.read_descriptor
    monkeypatch.setattr(files_on_disk, 'read_descriptor',
                        lambda path: reads.append(path) or read_descriptor(path))
    assert vm.runtime.diskChainBroken is False and reads == []

    def altered(cid):
        return open(base).read().replace('CID=%s' % header(base, 'CID'), 'CID=%s' % cid, 1)
    _put(sim, si, base_name, altered('0badc1d0').encode())
    assert vm.runtime.diskChainBroken is True and reads
    del reads[:]
    assert vm.runtime.diskChainBroken is True and reads == []
    powered(vm)
    assert isinstance(task_fault(vm.RepairVmDiskChains_Task()), vim.fault.InvalidPowerState)
    powered(vm, 'poweredOff')
    WaitForTask(vm.RepairVmDiskChains_Task())
    assert header(delta, 'parentCID') == '0badc1d0' and vm.runtime.diskChainBroken is False

    # a descriptor copied over the parent by the FileManager breaks it again
    spare = base_name.replace('.vmdk', '-spare.vmdk')
    _put(sim, si, spare, altered('0badc1d1').encode())
    assert vm.runtime.diskChainBroken is False
    WaitForTask(si.content.fileManager.CopyDatastoreFile_Task(
        sourceName=spare, sourceDatacenter=dc, destinationName=base_name,
        destinationDatacenter=dc, force=True))
    assert vm.runtime.diskChainBroken is True
    WaitForTask(vm.RepairVmDiskChains_Task())
    assert header(delta, 'parentCID') == '0badc1d1' and vm.runtime.diskChainBroken is False
    WaitForTask(vm.Destroy_Task())
