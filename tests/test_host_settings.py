"""HostSystem's smaller settings through pyVmomi: the BMC's IPMI login as
vCenter checks it, the system swap options, the product locker, the memory
overhead (one formula for QueryMemoryOverhead, QueryMemoryOverheadEx and
OverheadMemoryManager), and what a host without TPM or SGX answers; the
CIM services ticket."""
import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of
from tests.test_host_datastore_system import host_named, task_fault



@pytest.fixture(scope='module')
def sim(validator):
    """A simulator of this module's own: the settings it changes stay here."""
    return _simulator(validator, tls=False)

def _host(si, name='DC0_H0'):
    return host_named(si, name)


def _bmc_mac(host):
    """The BMC sits beside the host's NICs: vmk0's MAC with slot 14 for 15."""
    vmk0 = next(v for v in host.config.network.vnic if v.device == 'vmk0')
    prefix, last = vmk0.spec.mac.rsplit(':', 1)
    return '%s:%02x' % (prefix, int(last, 16) - 1)


def test_ipmi_is_checked_and_kept_without_its_password(si):
    host = _host(si)
    mac = _bmc_mac(host)
    info = vim.host.IpmiInfo(bmcIpAddress='10.0.9.5', bmcMacAddress=mac.upper(), login='admin',
                             password='secret')
    host.UpdateIpmi(info)
    kept = host.config.ipmi
    assert (kept.bmcIpAddress, kept.bmcMacAddress, kept.login, kept.password) == (
        '10.0.9.5', mac, 'admin', None)
    with pytest.raises(vim.fault.InvalidIpmiMacAddress) as raised:
        host.UpdateIpmi(vim.host.IpmiInfo(bmcIpAddress='10.0.9.5',
                                          bmcMacAddress='00:11:22:33:44:55',
                                          login='admin', password='secret'))
    assert raised.value.observedMacAddress == mac
    assert raised.value.userProvidedMacAddress == '00:11:22:33:44:55'
    for login, password in (('', 'secret'), ('admin', ''), ('x' * 17, 'secret'),
                            ('admin', 'y' * 17)):
        with pytest.raises(vim.fault.InvalidIpmiLoginInfo):
            host.UpdateIpmi(vim.host.IpmiInfo(bmcIpAddress='10.0.9.5', bmcMacAddress=mac,
                                              login=login, password=password))
    for field, value in (('bmcIpAddress', 'not-an-ip'), ('bmcMacAddress', 'zz:zz')):
        spec = vim.host.IpmiInfo(bmcIpAddress='10.0.9.5', bmcMacAddress=mac, login='a',
                                 password='b')
        setattr(spec, field, value)
        with pytest.raises(vmodl.fault.InvalidArgument) as raised:
            host.UpdateIpmi(spec)
        assert raised.value.invalidProperty == 'ipmiInfo.' + field
    assert host.config.ipmi.login == 'admin'         # the faults changed nothing
    host.UpdateIpmi(vim.host.IpmiInfo())
    assert host.config.ipmi is None


def test_system_swap_configuration(si):
    host = _host(si)
    Swap = vim.host.SystemSwapConfiguration
    assert [type(o) for o in host.config.systemSwapConfiguration.option] == [
        Swap.HostCacheOption, Swap.HostLocalSwapOption]
    ds = host.datastore[0]
    host.UpdateSystemSwapConfiguration(Swap(option=[
        Swap.DatastoreOption(key=0, datastore=ds.name), Swap.HostLocalSwapOption(key=1)]))
    options = host.config.systemSwapConfiguration.option
    assert [(type(o), o.key) for o in options] == [(Swap.DatastoreOption, 0),
                                                   (Swap.HostLocalSwapOption, 1)]
    assert options[0].datastore == ds.name
    for bad in ([Swap.DatastoreOption(key=0, datastore='no-such-datastore')],
                [Swap.HostCacheOption(key=0), Swap.HostCacheOption(key=1)],
                [Swap.HostCacheOption(key=0), Swap.HostLocalSwapOption(key=0)],
                [Swap.DisabledOption(key=0), Swap.HostLocalSwapOption(key=1)]):
        with pytest.raises(vmodl.fault.InvalidArgument):
            host.UpdateSystemSwapConfiguration(Swap(option=bad))
    host.UpdateSystemSwapConfiguration(Swap(option=[Swap.DisabledOption(key=0)]))
    assert [type(o) for o in host.config.systemSwapConfiguration.option] == [
        Swap.DisabledOption]


def test_product_locker(si):
    host = _host(si)
    assert host.QueryProductLockerLocation() == '/locker/packages/vmtoolsRepo/'
    ds = host.datastore[0]
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    si.content.fileManager.MakeDirectory(name='[%s] locker' % ds.name, datacenter=dc)
    path = '/vmfs/volumes/%s/locker' % ds.name
    task = host.UpdateProductLockerLocation_Task(path=path)
    WaitForTask(task)
    assert task.info.result == path and host.QueryProductLockerLocation() == path
    option = host.configManager.advancedOption.QueryOptions('UserVars.ProductLockerLocation')
    assert option[0].value == path
    for missing in ('/vmfs/volumes/%s/absent' % ds.name, '/tmp/locker', 'relative'):
        error = task_fault(host.UpdateProductLockerLocation_Task(path=missing))
        assert isinstance(error, vim.fault.FileNotFound) and error.file == missing
    WaitForTask(host.UpdateProductLockerLocation_Task(path='/locker/packages/vmtoolsRepo/'))
    assert host.QueryProductLockerLocation() == '/locker/packages/vmtoolsRepo/'


def test_one_overhead_formula(si):
    content = si.RetrieveContent()
    vm = next(v for v in all_of(si, vim.VirtualMachine) if not v.config.template)
    host = vm.runtime.host
    hardware = vm.config.hardware
    video = next((d.videoRamSizeInKB or 0) for d in hardware.device
                 if isinstance(d, vim.vm.device.VirtualVideoCard))
    ex = host.QueryMemoryOverheadEx(vm.config)
    assert content.overheadMemoryManager.LookupVmOverheadMemory(vm=vm, host=host) == ex
    plain = host.QueryMemoryOverhead(memorySize=hardware.memoryMB << 20,
                                     numVcpus=hardware.numCPU, videoRamSize=video * 1024)
    assert plain == ex
    bigger = host.QueryMemoryOverhead(memorySize=hardware.memoryMB << 21,
                                      numVcpus=hardware.numCPU, videoRamSize=video * 1024)
    assert bigger > plain
    with pytest.raises(vmodl.fault.InvalidArgument):
        host.QueryMemoryOverhead(memorySize=0, numVcpus=1)
    other = next(h for h in all_of(si, vim.HostSystem) if h != host)
    with pytest.raises(vim.fault.NotFound):
        content.overheadMemoryManager.LookupVmOverheadMemory(vm=vm, host=other)
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        content.overheadMemoryManager.LookupVmOverheadMemory(
            vm=vim.VirtualMachine(host._moId, host._stub), host=host)


def test_no_tpm_no_sgx_and_a_cim_ticket(si):
    host = _host(si)
    assert host.QueryTpmAttestationReport() is None
    assert not host.capability.tpmSupported
    assert host.RetrieveFreeEpcMemory() == 0
    assert host.hardware.sgxInfo.sgxState == 'notPresent'
    assert host.hardware.sgxInfo.totalEpcMemory == 0
    ticket = host.AcquireCimServicesTicket()
    assert (ticket.host, ticket.port, ticket.service, ticket.serviceVersion) == (
        host.name, 5989, 'CIM', '1.0')
    assert ticket.sslThumbprint == host.summary.config.sslThumbprint and ticket.sessionId
    assert host.AcquireCimServicesTicket().sessionId != ticket.sessionId
