"""VsanVcClusterConfigSystem ('vsan-cluster-config-system'): a cluster's
vSAN configuration through the vSAN service, as vsanapiutils and Ansible's
vmware_cluster_vsan use it. VsanClusterReconfig is vCenter's successor of
ReconfigureComputeResource_Task's `vsanConfig`, and changes exactly what
that does (the cluster's settings, its hosts' membership, the vSAN
datastore: host/vsan_cluster.py, with its refusals); VsanClusterGetConfig
reads the same settings back.

Deduplication and compression need all-flash disk groups, and the
simulated hosts' vSAN is hybrid (an SSD cache before non-SSD capacity
disks): asking for either is NotSupported, and both are reported off. The
parts of the spec the simulator has no model of (disk mappings, fault
domains, the iSCSI target service) are refused as NotSupported, never
ignored. `modify` false makes the spec's vSAN configuration the cluster's
vSAN settings (what it leaves unset, vCenter's defaults; no
vsanClusterConfig leaves them as they are); true changes what it sets.
"""
import copy

from vimsim.managed.monitoring.task import run_task
from vimsim.soap.fault import fault
from vimsim.managed.vsan.base import VsanObject

UNMODELED = (('diskMappingSpec', 'disk mappings'), ('faultDomainsSpec', 'fault domains'),
             ('iscsiSpec', 'the iSCSI target service'))


class VsanVcClusterConfigSystem(VsanObject):
    type_name = 'VsanVcClusterConfigSystem'

    def VsanClusterGetConfig(self, ctx, cluster):
        """The cluster's vSAN settings as ClusterConfigInfoEx.vsanConfigInfo
        has them, with the data efficiency the disk groups allow."""
        vsan = self.cluster(ctx, cluster).settings.vsan
        return self.T('VsanConfigInfoEx')(
            enabled=bool(vsan.enabled), vsanEsaEnabled=bool(vsan.vsanEsaEnabled),
            vsanCyberRecoveryEnabled=vsan.vsanCyberRecoveryEnabled,
            defaultConfig=copy.deepcopy(vsan.defaultConfig),
            dataEfficiencyConfig=self.T('VsanDataEfficiencyConfig')(
                dedupEnabled=False, compressionEnabled=False))

    def VsanClusterReconfig(self, ctx, cluster, vsanReconfigSpec):
        """A task applying the spec as ReconfigureComputeResource_Task would
        a ClusterConfigSpecEx of its vsanClusterConfig."""
        target = self.cluster(ctx, cluster)
        spec = vsanReconfigSpec
        for name, what in UNMODELED:
            if getattr(spec, name, None) is not None:
                raise fault('NotSupported', 'Configuring %s through the vSAN service is not '
                            'simulated (vsanReconfigSpec.%s).' % (what, name))
        efficiency = spec.dataEfficiencyConfig
        if efficiency is not None and (efficiency.dedupEnabled or efficiency.compressionEnabled):
            raise fault('NotSupported', 'Deduplication and compression need all-flash disk '
                        'groups; the vSAN of %s is hybrid.' % target.name)
        given = spec.vsanClusterConfig
        config_spec = self.T('ClusterConfigSpecEx')(
            vsanConfig=given if spec.modify or given is None else self._whole(given))
        return run_task(ctx, target, 'VsanClusterReconfig',
                        lambda task: target.reconfigure(task, config_spec, True), this=self)

    def _whole(self, given):
        """The vSAN configuration a modify=false spec makes of its
        vsanClusterConfig: what it sets, vCenter's defaults for the rest."""
        default = given.defaultConfig
        return self.T('VsanClusterConfigInfo')(
            enabled=bool(given.enabled), vsanEsaEnabled=bool(given.vsanEsaEnabled),
            vsanCyberRecoveryEnabled=given.vsanCyberRecoveryEnabled,
            defaultConfig=self.T('VsanClusterConfigInfoHostDefaultInfo')(
                uuid=default.uuid if default is not None else None,
                autoClaimStorage=bool(default is not None and default.autoClaimStorage),
                checksumEnabled=default.checksumEnabled if default is not None else None))
