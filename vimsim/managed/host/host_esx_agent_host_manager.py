"""HostEsxAgentHostManager: where a host's ESX agent VMs go (the datastore
and management network vSphere ESX Agent Manager deploys them to), as
HostSystem.configManager.esxAgentHostManager.

EsxAgentHostManagerUpdateConfig replaces the whole configuration (an unset
field clears it on the host); a datastore the host does not mount, or a
network the host is not on, is refused with HostConfigFault, as hostd
refuses it.
"""
from vimsim.managed.host.config_managers import HostManagerObject, host_config_fault


class HostEsxAgentHostManager(HostManagerObject):
    type_name = 'HostEsxAgentHostManager'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.datastore = None   # the agent VMs' Datastore, or None
        self.network = None     # their Network, or None

    @property
    def configInfo(self):
        """The configuration; a datastore or network the host has since let go
        of is no longer in it."""
        datastore = self.datastore if self.datastore in self.host.datastores else None
        network = self.network if self.network in self.host.networks else None
        return self.host.T.HostEsxAgentHostManagerConfigInfo(
            agentVmDatastore=datastore.ref if datastore is not None else None,
            agentVmNetwork=network.ref if network is not None else None)

    def EsxAgentHostManagerUpdateConfig(self, ctx, configInfo):
        datastore = network = None
        if configInfo.agentVmDatastore is not None:
            datastore = next((ds for ds in self.host.datastores
                              if ds.ref == configInfo.agentVmDatastore), None)
            if datastore is None:
                raise host_config_fault('The datastore %s is not mounted on the host.'
                                        % configInfo.agentVmDatastore.value)
        if configInfo.agentVmNetwork is not None:
            network = next((net for net in self.host.networks
                            if net.ref == configInfo.agentVmNetwork), None)
            if network is None:
                raise host_config_fault('The network %s is not available on the host.'
                                        % configInfo.agentVmNetwork.value)
        self.datastore, self.network = datastore, network
        self.changed('configInfo')
