"""HostEsxAgentHostManager over pyVmomi: the agent VMs' datastore and network
set, read back (also through a second session's filter), replaced whole, and
refused when the host does not have them."""
import pytest
from pyVmomi import vim

from tests import host_managers
from tests.host_managers import host_named
from tests.watching import Watcher

sim = host_managers.sim     # the module's own simulator


def config(datastore=None, network=None):
    return vim.host.EsxAgentHostManager.ConfigInfo(agentVmDatastore=datastore,
                                                    agentVmNetwork=network)


def test_agent_vm_settings(si, other):
    host = host_named(si)
    manager = host.configManager.esxAgentHostManager
    datastore, network = host.datastore[0], host.network[0]
    assert manager.configInfo.agentVmDatastore is None
    watcher = Watcher(other, manager, vim.host.EsxAgentHostManager, ['configInfo'])
    manager.EsxAgentHostManagerUpdateConfig(config(datastore, network))
    [(_, _, path, _, value)] = watcher.changes()
    assert path == 'configInfo' and value.agentVmDatastore._moId == datastore._moId
    info = manager.configInfo
    assert info.agentVmDatastore == datastore and info.agentVmNetwork == network
    # the whole configuration each time: an unset field clears it
    manager.EsxAgentHostManagerUpdateConfig(config(datastore))
    assert manager.configInfo.agentVmNetwork is None
    with pytest.raises(vim.fault.HostConfigFault):
        manager.EsxAgentHostManagerUpdateConfig(config(vim.Datastore('datastore-0', si._stub)))
    with pytest.raises(vim.fault.HostConfigFault):
        manager.EsxAgentHostManagerUpdateConfig(config(network=vim.Network('network-0',
                                                                           si._stub)))
    assert manager.configInfo.agentVmDatastore == datastore   # a refused change changes nothing
    manager.EsxAgentHostManagerUpdateConfig(config())
    assert manager.configInfo.agentVmDatastore is None
