"""A host's smaller configuration managers through pyVmomi: power policy,
hyperthreading, boot device, image acceptance level, SNMP agent and SSL
certificate; each change read back through the manager and `host.config`
(and another session's WaitForUpdatesEx where it is a property)."""
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of
from tests.watching import Watcher, paths_of


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)




def _host(si, name='DC0_C0_H0'):
    return next(h for h in all_of(si, vim.HostSystem) if h.name == name)


def _option(host, key):
    return host.configManager.advancedOption.QueryOptions(key)[0].value


# -- power ------------------------------------------------------------------------
def test_power_policy_as_vmware_host_powermgmt_policy(si, other):
    host = _host(si)
    power = host.configManager.powerSystem
    assert [p.shortName for p in power.capability.availablePolicy] == [
        'static', 'dynamic', 'low', 'custom']
    assert power.info.currentPolicy.shortName == 'dynamic'
    watcher = Watcher(other, power, vim.host.PowerSystem, ['info'])
    power.ConfigurePowerPolicy(key=1)
    assert power.info.currentPolicy.shortName == 'static'
    assert host.config.powerSystemInfo.currentPolicy.key == 1
    assert host.hardware.cpuPowerManagementInfo.currentPolicy == 'High Performance'
    assert _option(host, 'Power.CpuPolicy') == 'High Performance'
    assert paths_of(watcher.changes()) == {'info'}
    with pytest.raises(vmodl.fault.InvalidArgument):
        power.ConfigurePowerPolicy(key=7)
    # the advanced setting is the same policy
    host.configManager.advancedOption.UpdateOptions(changedValue=[
        vim.option.OptionValue(key='Power.CpuPolicy', value='Low Power')])
    assert power.info.currentPolicy.shortName == 'low'
    with pytest.raises(vmodl.fault.InvalidArgument):
        host.configManager.advancedOption.UpdateOptions(changedValue=[
            vim.option.OptionValue(key='Power.CpuPolicy', value='Turbo')])
    power.ConfigurePowerPolicy(key=2)
    assert _option(host, 'Power.CpuPolicy') == 'Balanced'


# -- hyperthreading, boot device ----------------------------------------------------------
def test_hyperthreading_setting(si):
    host = _host(si, 'DC0_C0_H1')
    scheduler = host.configManager.cpuScheduler
    info = scheduler.hyperthreadInfo
    assert (info.available, info.active, info.config) == (False, False, True)
    scheduler.DisableHyperThreading()
    assert not scheduler.hyperthreadInfo.config and not host.config.hyperThread.config
    scheduler.EnableHyperThreading()
    info = host.config.hyperThread
    assert info.config and not info.active       # the simulated CPU has no hyperthreads


def test_boot_device(si):
    boot = _host(si).configManager.bootDeviceSystem
    devices = boot.QueryBootDevices()
    assert devices.currentBootDeviceKey == 'disk'
    assert {d.key for d in devices.bootDevices} >= {'cdrom', 'disk', 'network'}
    boot.UpdateBootDevice('network')
    assert boot.QueryBootDevices().currentBootDeviceKey == 'network'
    with pytest.raises(vmodl.fault.InvalidArgument):
        boot.UpdateBootDevice('tape')
    boot.UpdateBootDevice('disk')


# -- image ----------------------------------------------------------------------------------
def test_acceptance_level_as_vmware_host_acceptance(si):
    image = _host(si).configManager.imageConfigManager
    assert image.HostImageConfigGetAcceptance() == 'partner'
    assert image.HostImageConfigGetProfile().vendor == 'VMware, Inc.'
    packages = image.fetchSoftwarePackages()
    assert 'esx-base' in {p.name for p in packages}
    assert isinstance(image.installDate(), datetime.datetime)
    image.UpdateHostImageAcceptanceLevel('community')
    assert image.HostImageConfigGetAcceptance() == 'community'
    with pytest.raises(vim.fault.HostConfigFault):        # a VMwareAccepted VIB is installed
        image.UpdateHostImageAcceptanceLevel('vmware_certified')
    with pytest.raises(vmodl.fault.InvalidArgument):
        image.UpdateHostImageAcceptanceLevel('anyone')
    image.UpdateHostImageAcceptanceLevel('vmware_accepted')
    assert image.HostImageConfigGetAcceptance() == 'vmware_accepted'


# -- SNMP -------------------------------------------------------------------------------------
def _services(host):
    return {s.key: s for s in host.configManager.serviceSystem.serviceInfo.service}


def test_snmp_agent_as_vmware_host_snmp(si, other):
    host = _host(si)
    snmp = host.configManager.snmpSystem
    assert not snmp.configuration.enabled and snmp.limits.maxReadOnlyCommunities == 10
    with pytest.raises(vim.fault.NotFound):
        snmp.SendTestNotification()
    watcher = Watcher(other, snmp, vim.host.SnmpSystem, ['configuration'])
    snmp.ReconfigureSnmpAgent(vim.host.SnmpSystem.SnmpConfigSpec(
        enabled=True, port=161, readOnlyCommunities=['public'],
        trapTargets=[vim.host.SnmpSystem.SnmpConfigSpec.Destination(
            hostName='10.0.0.50', port=162, community='public')]))
    assert snmp.configuration.enabled and snmp.configuration.readOnlyCommunities == ['public']
    assert _services(host)['snmpd'].running
    assert paths_of(watcher.changes()) == {'configuration'}
    snmp.SendTestNotification()
    for spec in (vim.host.SnmpSystem.SnmpConfigSpec(port=70000),
                 vim.host.SnmpSystem.SnmpConfigSpec(readOnlyCommunities=['x' * 65])):
        with pytest.raises(vmodl.fault.InvalidArgument):
            snmp.ReconfigureSnmpAgent(spec)
    with pytest.raises(vim.fault.InsufficientResourcesFault):
        snmp.ReconfigureSnmpAgent(vim.host.SnmpSystem.SnmpConfigSpec(
            readOnlyCommunities=['c%d' % i for i in range(11)]))
    assert snmp.configuration.trapTargets[0].hostName == '10.0.0.50'
    snmp.ReconfigureSnmpAgent(vim.host.SnmpSystem.SnmpConfigSpec(enabled=False))
    assert not _services(host)['snmpd'].running


def test_vcenter_snmp_agent(si):
    snmp = si.content.snmpSystem
    snmp.ReconfigureSnmpAgent(vim.host.SnmpSystem.SnmpConfigSpec(
        enabled=True, trapTargets=[vim.host.SnmpSystem.SnmpConfigSpec.Destination(
            hostName='nms.example.com', port=162, community='ops')]))
    assert snmp.configuration.enabled and snmp.configuration.port == 161
    snmp.SendTestNotification()


# -- certificates ----------------------------------------------------------------------------
def _sign(csr_pem, ca_key, ca_name):
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    now = datetime.datetime.now(datetime.timezone.utc)
    return x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca_name).public_key(
        csr.public_key()).serial_number(x509.random_serial_number()).not_valid_before(
        now).not_valid_after(now + datetime.timedelta(days=365)).sign(
        ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def test_certificate_replacement_as_vcenter_does_it(si):
    """A CSR, signed by a CA, installed: the host's certificate info and SSL
    thumbprint follow; a certificate for another key is refused."""
    host = _host(si, 'DC0_C0_H2')
    certificates = host.configManager.certificateManager
    assert certificates.certificateInfo.status == 'good'
    csr = certificates.GenerateCertificateSigningRequest(useIpAddressAsCommonName=False)
    request = x509.load_pem_x509_csr(csr.encode())
    assert request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == \
        host.config.network.dnsConfig.hostName
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Test CA')])
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    foreign = x509.CertificateSigningRequestBuilder().subject_name(ca_name).sign(
        other_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(vim.fault.HostConfigFault):
        certificates.InstallServerCertificate(cert=_sign(foreign, ca_key, ca_name))
    with pytest.raises(vim.fault.HostConfigFault):
        certificates.InstallServerCertificate(cert='not a certificate')
    before = host.summary.config.sslThumbprint
    signed = _sign(csr, ca_key, ca_name)
    certificates.InstallServerCertificate(cert=signed)
    assert certificates.certificateInfo.issuer == 'CN=Test CA'
    thumbprint = host.summary.config.sslThumbprint
    assert thumbprint != before and len(thumbprint.split(':')) == 20
    certificates.ReplaceCACertificatesAndCRLs(caCert=[signed])
    assert certificates.ListCACertificates() == [signed]
    assert certificates.ListCACertificateRevocationLists() == []
    with pytest.raises(vim.fault.HostConfigFault):
        certificates.ReplaceCACertificatesAndCRLs(caCert=['-----BEGIN CERTIFICATE-----'])
    assert certificates.ListCACertificates() == [signed]
    by_dn = certificates.GenerateCertificateSigningRequestByDn(
        distinguishedName='CN=esx.example.com,O=Example')
    assert x509.load_pem_x509_csr(by_dn.encode()).subject.rfc4514_string() == \
        'CN=esx.example.com,O=Example'
    with pytest.raises(vim.fault.HostConfigFault):
        certificates.GenerateCertificateSigningRequestByDn(distinguishedName='no equals sign')
    certificates.NotifyAffectedServices(services=['hostd'])


def test_provisioned_private_key(si):
    """A certificate made for a key given with ProvisionServerPrivateKey installs."""
    certificates = _host(si, 'DC0_C0_H1').configManager.certificateManager
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(vim.fault.HostConfigFault):
        certificates.ProvisionServerPrivateKey(key='-----BEGIN PRIVATE KEY-----')
    certificates.ProvisionServerPrivateKey(key=key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'esx-h1')])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(
        key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()
    certificates.InstallServerCertificate(cert=_sign(csr, key, name))
    assert certificates.RetrieveCertificateInfoList()[0].subject == 'CN=esx-h1'


# -- storage ------------------------------------------------------------------------------------
def test_storage_device_info_is_one_consistent_picture(si):
    """What vmware_host_disk_info, vmware_host_lun_info and govc host.storage.info
    read: the LUN, its paths and topology name each other, and the datastores'
    extents are on it."""
    host = _host(si)
    info = host.configManager.storageSystem.storageDeviceInfo
    disks = {d.key: d for d in info.scsiLun}
    assert len(disks) == 4
    adapters = {a.key: a for a in info.hostBusAdapter}
    units = info.multipathInfo.lun
    assert {u.lun for u in units} == set(disks)
    for unit in units:
        disk = disks[unit.lun]
        assert unit.id == disk.uuid
        assert unit.policy.policy == 'VMW_PSP_FIXED' and unit.policy.prefer == unit.path[0].name
        assert unit.storageArrayTypePolicy.policy == 'VMW_SATP_LOCAL'
        assert unit.path[0].adapter in adapters and unit.path[0].pathState == 'active'
    topology = [lun for interface in info.scsiTopology.adapter
                for target in interface.target for lun in target.lun]
    assert sorted(lun.scsiLun for lun in topology) == sorted(disks)
    store = info.plugStoreTopology
    assert sorted(d.lun for d in store.device) == sorted(disks)
    assert store.plugin[0].name == 'NMP'
    assert set(store.plugin[0].claimedPath) == {p for d in store.device for p in d.path}
    assert {p.key for p in store.path} == set(store.plugin[0].claimedPath)
    extents = {e.diskName for m in host.config.fileSystemVolume.mountInfo
               for e in m.volume.extent}
    boot = info.scsiLun[0]
    assert extents == {boot.canonicalName} == {'mpx.vmhba0:C0:T0:L0'}
    assert host.config.storageDevice.multipathInfo.lun[0].id == boot.uuid


def test_storage_changes(si, other):
    from pyVim.task import WaitForTask
    host = _host(si, 'DC0_C0_H1')
    storage = host.configManager.storageSystem
    disk = storage.storageDeviceInfo.scsiLun[0]
    watcher = Watcher(other, storage, vim.host.StorageSystem, ['storageDeviceInfo'])
    storage.SetMultipathLunPolicy(lunId=disk.uuid, policy=vim.host.MultipathInfo.
                                  LogicalUnitPolicy(policy='VMW_PSP_RR'))
    assert storage.storageDeviceInfo.multipathInfo.lun[0].policy.policy == 'VMW_PSP_RR'
    assert paths_of(watcher.changes()) == {'storageDeviceInfo'}
    assert {o.policy.key for o in storage.QueryPathSelectionPolicyOptions()} == {
        'VMW_PSP_MRU', 'VMW_PSP_RR', 'VMW_PSP_FIXED'}
    assert 'VMW_SATP_LOCAL' in {o.policy.key for o in
                                storage.QueryStorageArrayTypePolicyOptions()}
    with pytest.raises(vmodl.fault.InvalidArgument):
        storage.SetMultipathLunPolicy(lunId=disk.uuid, policy=vim.host.MultipathInfo.
                                      LogicalUnitPolicy(policy='VMW_PSP_BEST'))
    with pytest.raises(vim.fault.NotFound):
        storage.SetMultipathLunPolicy(lunId='nope', policy=vim.host.MultipathInfo.
                                      LogicalUnitPolicy(policy='VMW_PSP_RR'))
    WaitForTask(storage.MarkAsNonSsd_Task(scsiDiskUuid=disk.uuid))
    assert not storage.storageDeviceInfo.scsiLun[0].ssd
    WaitForTask(storage.MarkAsSsd_Task(scsiDiskUuid=disk.uuid))
    WaitForTask(storage.MarkAsNonLocal_Task(scsiDiskUuid=disk.uuid))
    assert not host.config.storageDevice.scsiLun[0].localDisk
    WaitForTask(storage.MarkAsLocal_Task(scsiDiskUuid=disk.uuid))
    with pytest.raises(vim.fault.NotFound):
        WaitForTask(storage.MarkAsSsd_Task(scsiDiskUuid='nope'))
    storage.UpdateScsiLunDisplayName(lunUuid=disk.uuid, displayName='boot disk')
    assert storage.storageDeviceInfo.scsiLun[0].displayName == 'boot disk'
    with pytest.raises(vim.fault.InvalidName):
        storage.UpdateScsiLunDisplayName(lunUuid=disk.uuid, displayName=' ')
    with pytest.raises(vim.fault.ResourceInUse):
        storage.DetachScsiLun(lunUuid=disk.uuid)       # it holds the datastores
    with pytest.raises(vim.fault.InvalidState):
        storage.AttachScsiLun(lunUuid=disk.uuid)
    with pytest.raises(vim.fault.HostConfigFault):
        storage.DisableMultipathPath(pathName='vmhba0:C0:T0:L0')
    storage.EnableMultipathPath(pathName='vmhba0:C0:T0:L0')
    with pytest.raises(vim.fault.NotFound):
        storage.EnableMultipathPath(pathName='vmhba9:C0:T0:L0')
    storage.RescanAllHba()
    storage.RescanHba(hbaDevice='vmhba1')
    with pytest.raises(vim.fault.NotFound):
        storage.RescanHba(hbaDevice='vmhba9')
    storage.RescanVmfs()
    storage.RefreshStorageSystem()
    assert storage.storageDeviceInfo.scsiLun[0].operationalState == ['ok']


# -- restarts ------------------------------------------------------------------------------------
def test_host_configuration_survives_a_restart(validator, tmp_path):
    """Under -state every change replays into the same host: the model, the
    local account's login and the installed certificate (the host's key is
    derived, so the replayed CSR has the key the certificate was signed for)."""
    from pyVim.connect import Disconnect
    from pyVim.task import WaitForTask
    from tests.test_state import _restarted, _start, _stop, _stopped
    first = _start(validator, tmp_path, esx=True)
    si = first.connect(user='root', pwd='any')
    host = all_of(si, vim.HostSystem)[0]
    managers = host.configManager
    managers.firewallSystem.EnableRuleset('syslog')
    managers.serviceSystem.StartService('TSM-SSH')
    managers.advancedOption.UpdateOptions(changedValue=[vim.option.OptionValue(
        key='Syslog.global.logHost', value='udp://10.0.0.9:514')])
    managers.dateTimeSystem.UpdateDateTimeConfig(vim.host.DateTimeConfig(
        ntpConfig=vim.host.NtpConfig(server=['10.0.0.1']), enabled=True))
    managers.powerSystem.ConfigurePowerPolicy(key=3)
    managers.autoStartManager.ReconfigureAutostart(vim.host.AutoStartManager.Config(
        defaults=vim.host.AutoStartManager.SystemDefaults(enabled=True)))
    si.content.accountManager.CreateUser(vim.host.LocalAccountManager.AccountSpecification(
        id='ops', password='Op3rator-pass'))
    certificates = managers.certificateManager
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Restart CA')])
    certificates.InstallServerCertificate(cert=_sign(
        certificates.GenerateCertificateSigningRequest(useIpAddressAsCommonName=True),
        ca_key, ca_name))
    storage = managers.storageSystem
    WaitForTask(storage.MarkAsNonSsd_Task(
        scsiDiskUuid=storage.storageDeviceInfo.scsiLun[0].uuid))
    Disconnect(si)
    second = _restarted(validator, tmp_path, _stopped(first), esx=True)
    try:
        si = second.connect(user='ops', pwd='Op3rator-pass')
        host = all_of(si, vim.HostSystem)[0]
        assert host.configManager.certificateManager.certificateInfo.issuer == 'CN=Restart CA'
        assert host.config.powerSystemInfo.currentPolicy.shortName == 'low'
        Disconnect(si)
        with pytest.raises(vim.fault.InvalidLogin):
            second.connect(user='ops', pwd='wrong-Pass1')
    finally:
        _stop(second)
