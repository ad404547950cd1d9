"""VsanVcClusterHealthSystem ('vsan-cluster-health-system'): vSAN's health
service on vCenter, as vsanapiutils and Ansible's vmware_vsan_health_info
use it. VsanQueryVcClusterHealthSummary runs vSAN's health checks over the
model's cluster: its hosts' connection and maintenance states, which of
them run vSAN and with a vSAN vmknic, the disks they claimed and the vSAN
datastore's space (host/vsan_system.py, host/vsan_cluster.py).

The checks, in vSAN's groups and ids ('com.vmware.vsan.health.test.*'):
network (hostdisconnected, clusterpartition: each host vCenter cannot
reach is a partition of its own; vsanvmknic), physicaldisks
(physdiskoverall: an unmounted disk group's disks are out of CMMDS),
limits (diskspace: no claimed disk is no space, 70% used a warning, 90% an
error) and cluster (clomdliveness, of the connected members). A test is
green, yellow or red; a group is its worst test, the summary its worst
group. A cluster without vSAN runs no test: its summary is `info`. As
vCenter's service does, the last run is cached per cluster, which
`fetchFromCache` answers (running the checks when there is none yet).
No vSAN objects are modelled beneath the datastore (DESIGN.md), so the
object and VM-creation checks (`objUuids`, `includeObjUuids`,
`vmCreateTimeout`) are not run and their results are absent.
"""
import copy

from vimsim import clock
from vimsim.managed.host.storage_devices import SECTOR
from vimsim.managed.host.vsan_system import DISK_FORMAT_VERSION
from vimsim.managed.vsan.base import VsanObject
from vimsim.soap.fault import InvalidArgument

TEST = 'com.vmware.vsan.health.test.'
ORDER = ('green', 'info', 'yellow', 'red')
SPACE_WARNING, SPACE_ERROR = 0.7, 0.9


def worst(healths):
    return max(healths, key=ORDER.index, default='green')


class VsanVcClusterHealthSystem(VsanObject):
    type_name = 'VsanVcClusterHealthSystem'

    def __init__(self, server, moid, type_name=None):
        super().__init__(server, moid, type_name)
        self.runs = {}          # cluster moid -> the last VsanClusterHealthSummary

    def VsanQueryVcClusterHealthSummary(self, ctx, cluster=None, vmCreateTimeout=None,
                                        objUuids=None, includeObjUuids=None, fields=None,
                                        fetchFromCache=None):
        """The cluster's health summary: the cached run with fetchFromCache,
        else a new one; with `fields`, only those properties."""
        if cluster is None:
            raise InvalidArgument('cluster')
        target = self.cluster(ctx, cluster)
        summary = self.runs.get(target.ref.value) if fetchFromCache else None
        if summary is None:
            summary = self.runs[target.ref.value] = self._run(target)
        if not fields:
            return summary
        chosen = self.T('VsanClusterHealthSummary')(
            overallHealth=summary.overallHealth,
            overallHealthDescription=summary.overallHealthDescription)
        for name in fields:
            if name in summary._type.field_map:
                setattr(chosen, name, copy.deepcopy(getattr(summary, name)))
        return chosen

    # -- the checks ----------------------------------------------------------------------
    def _run(self, cluster):
        T = self.T
        hosts = list(cluster.hosts)
        reachable = [h for h in hosts if h.connection_state == 'connected']
        members = [h for h in hosts if h.managers['vsanSystem'].enabled]
        groups = []
        if cluster.settings.vsan.enabled:
            groups = [self._network(cluster, members, reachable),
                      self._physical_disks(members, reachable),
                      self._limits(cluster),
                      self._cluster(members, reachable)]
            overall = worst(g.groupHealth for g in groups)
            failing = [g.groupName for g in groups if g.groupHealth != 'green']
            description = ('Cluster %s has vSAN health issues in: %s.'
                           % (cluster.name, ', '.join(failing)) if failing else
                           'All vSAN health checks of cluster %s passed.' % cluster.name)
        else:
            overall = 'info'
            description = 'vSAN is turned off on cluster %s.' % cluster.name
        return T('VsanClusterHealthSummary')(
            clusterStatus=T('VsanClusterHealthSystemStatusResult')(
                status='green' if len(reachable) == len(hosts) else 'yellow',
                goalState='installed',
                untrackedHosts=[h.name for h in hosts if h not in reachable],
                trackedHostsStatus=[T('VsanHostHealthSystemStatusResult')(
                    hostname=h.name, status='green', issues=[]) for h in reachable]),
            timestamp=clock.now(),
            clusterVersions=self._versions(reachable),
            networkHealth=self._network_result(hosts, members, reachable),
            physicalDisksHealth=[self._disks_of(h) for h in members if h in reachable],
            groups=groups, overallHealth=overall, overallHealthDescription=description)

    def _versions(self, reachable):
        T = self.T
        vc = self.server.service_instance.content.about.version
        versions = {h.name: h.about().version for h in reachable}
        return T('VsanClusterHealthSystemVersionResult')(
            hostResults=[T('VsanHostHealthSystemVersionResult')(hostname=name, version=version)
                         for name, version in versions.items()],
            vcVersion=vc, issueFound=any(v != vc for v in versions.values()))

    @staticmethod
    def _partitions(members, reachable):
        """The members vCenter reaches are one partition; each other is alone."""
        together = [h.name for h in members if h in reachable]
        return ([together] if together else []) + [[h.name] for h in members
                                                   if h not in reachable]

    @staticmethod
    def _vmknic(host):
        devices = host.netconfig.selected.get('vsan', ())
        return any(device in host.netconfig.vnics for device in devices)

    def _network_result(self, hosts, members, reachable):
        T = self.T
        partitions = self._partitions(members, reachable)
        results = [T('VsanNetworkHealthResult')(
            host=h.ref, hostname=h.name, vsanVmknicPresent=self._vmknic(h),
            issueFound=not self._vmknic(h)) for h in members if h in reachable]
        disconnected = [h.name for h in hosts if h not in reachable]
        return T('VsanClusterNetworkHealthResult')(
            hostResults=results,
            issueFound=bool(disconnected or len(partitions) > 1
                            or any(r.issueFound for r in results)),
            vsanVmknicPresent=all(r.vsanVmknicPresent for r in results),
            partitions=[T('VsanClusterNetworkPartitionInfo')(hosts=p) for p in partitions],
            hostsWithVsanDisabled=[h.name for h in hosts if h not in members],
            hostsDisconnected=disconnected,
            hostsInEsxMaintenanceMode=[h.name for h in hosts if h.maintenance],
            hostsInVsanMaintenanceMode=[h.name for h in members
                                        if h.managers['vsanSystem'].decommissioned])

    def _network(self, cluster, members, reachable):
        partitions = self._partitions(members, reachable)
        unreachable = [h.name for h in cluster.hosts if h not in reachable]
        no_vmknic = [h.name for h in members if h in reachable and not self._vmknic(h)]
        return self._group('network', 'Network', [
            self._test('hostdisconnected', 'Hosts disconnected from VC',
                       'Checks that vCenter can reach every host of the cluster.',
                       'red' if unreachable else 'green',
                       self._table('Disconnected hosts', ('Host',), [[n] for n in unreachable])),
            self._test('clusterpartition', 'vSAN cluster partition',
                       'Checks that the vSAN hosts form one network partition.',
                       'red' if len(partitions) > 1 else 'green',
                       self._table('Partitions', ('Partition', 'Hosts'),
                                   [[str(i + 1), ', '.join(p)]
                                    for i, p in enumerate(partitions)])),
            self._test('vsanvmknic', 'All hosts have a vSAN vmknic configured',
                       'Checks that each vSAN host has a VMkernel adapter for vSAN traffic.',
                       'red' if no_vmknic else 'green',
                       self._table('Hosts without a vSAN vmknic', ('Host',),
                                   [[n] for n in no_vmknic]))])

    def _disk_health(self, node, disk, group):
        return self.T('VsanPhysicalDiskHealth')(
            name=disk.canonical_name, uuid=node.disk_uuids[disk], inCmmds=group.mounted,
            inVsi=True, formatVersion=DISK_FORMAT_VERSION, isAllFlash=0,
            operationalHealth='green' if group.mounted else 'yellow',
            operationalHealthDescription='' if group.mounted else 'Disk group unmounted',
            summaryHealth='green' if group.mounted else 'yellow',
            capacity=disk.blocks * SECTOR)

    def _disks_of(self, host):
        node = host.managers['vsanSystem']
        disks = [self._disk_health(node, disk, group)
                 for group in node.groups for disk in group.disks]
        return self.T('VsanPhysicalDiskHealthSummary')(
            overallHealth=worst(d.summaryHealth for d in disks), hostname=host.name,
            disks=disks)

    def _physical_disks(self, members, reachable):
        rows = [[h.name, d.name, d.summaryHealth, d.operationalHealthDescription or 'OK']
                for h in members if h in reachable for d in self._disks_of(h).disks]
        return self._group('physicaldisks', 'Physical disk', [
            self._test('physdiskoverall', 'Operation health',
                       'Checks the operational health of the disks vSAN claimed.',
                       worst(row[2] for row in rows),
                       self._table('Disks', ('Host', 'Disk', 'Health', 'Operational state'),
                                   rows, health_column=2))])

    def _limits(self, cluster):
        ds = getattr(cluster, 'vsan_datastore', None)
        capacity = ds.capacity if ds is not None else 0
        used = capacity - ds.free_space if capacity else 0
        ratio = used / capacity if capacity else 1.0
        health = 'red' if ratio >= SPACE_ERROR else \
            'yellow' if ratio >= SPACE_WARNING else 'green'
        return self._group('limits', 'Capacity utilization', [
            self._test('diskspace', 'Storage space',
                       'Checks the space used of the vSAN datastore (none without '
                       'claimed disks).', health,
                       self._table('vSAN datastore', ('Capacity (bytes)', 'Used (bytes)'),
                                   [[str(capacity), str(used)]]))])

    def _cluster(self, members, reachable):
        live = [h.name for h in members if h in reachable]
        return self._group('cluster', 'Cluster', [
            self._test('clomdliveness', 'CLOMD liveness',
                       'Checks that the CLOM daemon runs on each vSAN host vCenter reaches.',
                       'green', self._table('CLOMD', ('Host', 'CLOMD'),
                                            [[n, 'alive'] for n in live]))])

    # -- result shapes -------------------------------------------------------------------
    def _group(self, key, name, tests):
        return self.T('VsanClusterHealthGroup')(
            groupId=TEST + key, groupName=name,
            groupHealth=worst(t.testHealth for t in tests), groupTests=tests)

    def _test(self, key, name, description, health, details):
        return self.T('VsanClusterHealthTest')(
            testId=TEST + key, testName=name, testDescription=description,
            testShortDescription=description, testHealth=health, testDetails=[details])

    def _table(self, label, columns, rows, health_column=None):
        T = self.T
        return T('VsanClusterHealthResultTable')(
            label=label,
            columns=[T('VsanClusterHealthResultColumnInfo')(
                label=c, type='health' if i == health_column else 'string')
                for i, c in enumerate(columns)],
            rows=[T('VsanClusterHealthResultRow')(values=row) for row in rows])
