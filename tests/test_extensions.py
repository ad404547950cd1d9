"""ExtensionManager as a solution uses it, through unmodified pyVmomi:
register, find, update and unregister an extension (a second session's
filter seeing each change of `extensionList`), its login certificate, public
keys and service account, and the VMs it manages (`config.managedBy`).

A simulator of its own: these tests register extensions and reconfigure a VM.
"""
import datetime

import pytest
from cryptography.hazmat.primitives import serialization
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, all_of
from tests.watching import Watcher
from vimsim.server.tls import self_signed

KEY = 'com.example.solution'


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)


def extension(version='1.0', key=KEY):
    return vim.Extension(
        key=key, version=version, company='Example', type='solution',
        description=vim.Description(label='Example solution', summary='For the tests'),
        lastHeartbeatTime=datetime.datetime.now(datetime.timezone.utc),
        server=[vim.Extension.ServerInfo(url='https://solution.example/api', type='SOAP',
                                         company='Example', adminEmail=['ops@example.com'],
                                         description=vim.Description(label='api', summary='api'))])


def test_register_find_update_unregister(sim, si):
    manager = si.content.extensionManager
    watcher = sim.connect()
    try:
        watch = Watcher(watcher, manager, vim.ExtensionManager, ['extensionList'])
        manager.RegisterExtension(extension())
        found = manager.FindExtension(KEY)
        assert found.version == '1.0' and found.server[0].url == 'https://solution.example/api'
        assert [e.key for e in manager.extensionList] == [KEY]
        assert any(path == 'extensionList' for _, _, path, _, _ in watch.changes())
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.RegisterExtension(extension('2.0'))
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.RegisterExtension(extension(key=''))
        manager.UpdateExtension(extension('2.0'))
        assert manager.FindExtension(KEY).version == '2.0'
        seen = watch.changes()
        assert seen and all(path.startswith('extensionList') for _, _, path, _, _ in seen)
        with pytest.raises(vim.fault.NotFound):
            manager.UpdateExtension(extension(key='com.example.other'))
        manager.UnregisterExtension(KEY)
        assert manager.FindExtension(KEY) is None and manager.extensionList == []
        with pytest.raises(vim.fault.NotFound):
            manager.UnregisterExtension(KEY)
    finally:
        Disconnect(watcher)


def test_certificate_public_keys_and_service_account(si):
    manager = si.content.extensionManager
    manager.RegisterExtension(extension(key='com.example.keys'))
    try:
        with pytest.raises(vim.fault.NoClientCertificate):
            manager.SetExtensionCertificate('com.example.keys')
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.SetExtensionCertificate('com.example.keys', 'not a certificate')
        certificate, _ = self_signed(['solution.example'])
        manager.SetExtensionCertificate('com.example.keys', certificate.decode())
        with pytest.raises(vim.fault.NotFound):
            manager.SetExtensionCertificate('com.example.none', certificate.decode())
        ours = manager.GetPublicKey()
        assert ours == manager.GetPublicKey()
        public = serialization.load_pem_public_key(ours.encode())
        assert public.key_size == 2048
        manager.SetPublicKey('com.example.keys', ours)
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.SetPublicKey('com.example.keys', 'junk')
        with pytest.raises(vmodl.fault.InvalidArgument):
            manager.SetPublicKey('com.example.none', ours)
        manager.SetServiceAccount('com.example.keys', 'svc-solution')
        with pytest.raises(vim.fault.NotFound):
            manager.SetServiceAccount('com.example.none', 'svc')
        assert manager.QueryExtensionIpAllocationUsage(['com.example.keys']) == []
    finally:
        manager.UnregisterExtension('com.example.keys')


def test_query_managed_by(si):
    manager = si.content.extensionManager
    manager.RegisterExtension(extension(key='com.example.manager'))
    try:
        vm = all_of(si, vim.VirtualMachine)[0]
        assert manager.QueryManagedBy('com.example.manager') == []
        WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(managedBy=vim.ext.ManagedByInfo(
            extensionKey='com.example.manager', type='appliance'))))
        assert vm.config.managedBy.extensionKey == 'com.example.manager'
        assert manager.QueryManagedBy('com.example.manager') == [vm]
        assert manager.QueryManagedBy('com.example.none') == []
    finally:
        manager.UnregisterExtension('com.example.manager')
