"""HostVsanSystem: a host's vSAN node (HostSystem.configManager.vsanSystem).

The host's local disks (storage_devices.py) are what vSAN claims: a disk
group is one local SSD (the cache tier) and one to seven local non-SSD
disks (the capacity tier, hybrid vSAN), at most five groups a host. A disk
is eligible while it is local, attached and has no partitions (the boot
disk, a VMFS or VFFS disk is not); a claimed disk is `inUse` whether the
service is enabled or not, gets a vSAN uuid (`vsanDiskInfo` of its
HostScsiDisk) and is no longer offered for VMFS or VFFS. An unmounted group
keeps its disks but gives no capacity.

Membership follows the cluster (inventory/vsan_cluster.py): enabling vSAN
on a cluster enables every host with the cluster's uuid; UpdateVsan_Task
can only enable a host of a vSAN cluster, with that uuid. The node's role
is the cluster's order of its members (master, backup, agents);
EvacuateVsanNode_Task makes it `decommissioning` until
RecommissionVsanNode_Task. The vSAN datastore's capacity is its members'
mounted capacity disks.

Data removal modes (HostMaintenanceSpec.vsanMode.objectAction):
`evacuateAllData` needs room for the vSAN datastore's data on what stays;
`ensureObjectAccessibility` (the default) and `noAction` move nothing.
"""
from vimsim.managed.host.config_managers import HostManagerObject
from vimsim.managed.host.host_network_system import change_network
from vimsim.managed.host.storage_devices import SECTOR
from vimsim.managed.host import vsan_cluster
from vimsim.managed.monitoring.task import run_task
from vimsim.soap.fault import InvalidArgument, NotFound, fault, localized

MAX_GROUPS = 5
MAX_CAPACITY_DISKS = 7
DISK_FORMAT_VERSION = 19        # the on-disk format of vSAN 8.0 U3 (OSA)
OBJECT_ACTIONS = ('noAction', 'ensureObjectAccessibility', 'evacuateAllData')
DEFAULT_OBJECT_ACTION = 'ensureObjectAccessibility'


def disk_fault(type_name, disk, message):
    return fault(type_name, message, device=disk.canonical_name)


class DiskGroup:
    """One cache SSD and its capacity disks (ScsiDisk objects)."""
    __slots__ = ('cache', 'capacity', 'mounted')

    def __init__(self, cache, capacity):
        self.cache, self.capacity, self.mounted = cache, list(capacity), True

    @property
    def disks(self):
        return [self.cache] + self.capacity

    def capacity_bytes(self):
        return sum(disk.blocks * SECTOR for disk in self.capacity) if self.mounted else 0


class HostVsanSystem(HostManagerObject):
    type_name = 'HostVsanSystem'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.enabled = False
        self.cluster_uuid = None
        self.node_uuid = None           # made when vSAN is first enabled, kept after
        self.auto_claim = False
        self.checksum = None
        self.fault_domain = ''
        self.groups = []
        self.disk_uuids = {}            # ScsiDisk -> vSAN disk uuid, while claimed
        self.ip_configs = {}            # vmknic device -> VsanHostIpConfig
        self.decommissioned = False

    # -- reading ---------------------------------------------------------------------
    @property
    def storage(self):
        return self.host.managers['storageSystem']

    def group_of(self, disk):
        return next((g for g in self.groups if disk in g.disks), None)

    def capacity_bytes(self):
        """What the node gives the vSAN datastore."""
        return sum(group.capacity_bytes() for group in self.groups) if self.enabled else 0

    def disk_info(self, T, disk):
        """HostScsiDisk.vsanDiskInfo of a claimed disk (None otherwise)."""
        found = self.disk_uuids.get(disk)
        return None if found is None else T.VsanHostVsanDiskInfo(
            vsanUuid=found, formatVersion=DISK_FORMAT_VERSION)

    def _mapping(self, T, group):
        lun = self.storage.scsi_lun
        return T.VsanHostDiskMapping(ssd=lun(T, group.cache),
                                     nonSsd=[lun(T, disk) for disk in group.capacity])

    @property
    def config(self):
        T = self.host.T
        return T.VsanHostConfigInfo(
            enabled=self.enabled, hostSystem=self.host.ref,
            clusterInfo=T.VsanHostConfigInfoClusterInfo(
                uuid=self.cluster_uuid if self.enabled else None,
                nodeUuid=self.node_uuid if self.enabled else None),
            storageInfo=T.VsanHostConfigInfoStorageInfo(
                autoClaimStorage=self.auto_claim, checksumEnabled=self.checksum,
                diskMapping=[self._mapping(T, g) for g in self.groups if g.mounted],
                diskMapInfo=[T.VsanHostDiskMapInfo(mapping=self._mapping(T, g),
                                                   mounted=g.mounted) for g in self.groups]),
            networkInfo=T.VsanHostConfigInfoNetworkInfo(port=[
                T.VsanHostConfigInfoNetworkInfoPortConfig(
                    device=device, ipConfig=self.ip_configs.get(device))
                for device in self.host.netconfig.selected.get('vsan', ())
                if device in self.host.netconfig.vnics]),
            faultDomainInfo=T.VsanHostFaultDomainInfo(name=self.fault_domain),
            vsanEsaEnabled=False)

    def node_state(self):
        if not self.enabled:
            return 'disabled'
        if self.decommissioned:
            return 'decommissioning'
        return vsan_cluster.role_of(self.host)

    def runtime_info(self, T):
        """HostRuntimeInfo.vsanRuntimeInfo: the cluster's members as this node sees them."""
        if not self.enabled:
            return T.VsanHostRuntimeInfo()
        return T.VsanHostRuntimeInfo(
            membershipList=[T.VsanHostMembershipInfo(nodeUuid=node.node_uuid,
                                                     hostname=node.host.name)
                            for node in vsan_cluster.members(self.host)],
            accessGenNo=0)

    def report(self, *names):
        """The node's `config` and what shows it: the host's config and
        runtime, its disks' vsanDiskInfo, the vSAN datastore's capacity."""
        super().report('config', *names)
        self.host.changed('runtime')
        self.storage.report('storageDeviceInfo')
        vsan_cluster.capacity_changed(self.host)

    def QueryHostStatus(self, ctx):
        T = self.host.T
        return T.VsanHostClusterStatus(
            uuid=self.cluster_uuid if self.enabled else None,
            nodeUuid=self.node_uuid if self.enabled else None,
            health='healthy' if self.enabled else 'unknown',
            nodeState=T.VsanHostClusterStatusState(state=self.node_state()),
            memberUuid=[node.node_uuid for node in vsan_cluster.members(self.host)])

    # -- disks -------------------------------------------------------------------------
    def eligibility(self, disk):
        """(state, fault) of `disk` for vSAN, as VsanHostDiskResult states it."""
        if disk in self.disk_uuids:
            return 'inUse', None
        if not disk.local or disk.shared:
            return 'ineligible', disk_fault('DiskIsNonLocal', disk, 'Disk %s is not local.'
                                            % disk.canonical_name)
        if disk.partitions:
            return 'ineligible', disk_fault('DiskHasPartitions', disk, 'Disk %s has '
                                            'partitions.' % disk.canonical_name)
        return 'eligible', None

    def disk_result(self, T, disk, error=None):
        state, problem = self.eligibility(disk)
        error = error or problem
        return T.VsanHostDiskResult(
            disk=self.storage.scsi_lun(T, disk), state=state,
            vsanUuid=self.disk_uuids.get(disk), degraded=False if state == 'inUse' else None,
            error=localized(error) if error is not None else None)

    def QueryDisksForVsan(self, ctx, canonicalName=None):
        """The host's attached disks (those named, when names are given)."""
        T = self.host.T
        names = set(canonicalName or ())
        return [self.disk_result(T, disk) for disk in self.storage.disks
                if disk.attached and (not names or disk.canonical_name in names)]

    def _disk(self, lun):
        """The host's disk a HostScsiDisk argument names (uuid, else canonical name)."""
        disks = self.storage.disks
        found = next((d for d in disks if d.uuid == lun.uuid), None) or \
            next((d for d in disks if lun.canonicalName and d.canonical_name == lun.canonicalName),
                 None)
        if found is None or not found.attached:
            raise NotFound('The object or item referred to could not be found.')
        return found

    def _claimable(self, disk, ssd):
        """A fault when `disk` may not join a group (as the cache tier when `ssd`)."""
        state, problem = self.eligibility(disk)
        if state == 'inUse':
            return disk_fault('VsanDiskFault', disk, 'Disk %s is in use by vSAN already.'
                              % disk.canonical_name)
        if problem is not None:
            return problem
        if disk.ssd != ssd:
            return disk_fault('VsanIncompatibleDiskMapping', disk, 'Disk %s is %s and cannot be '
                              'a vSAN %s disk.' % (disk.canonical_name,
                                                   'an SSD' if disk.ssd else 'not an SSD',
                                                   'cache' if ssd else 'capacity'))
        return None

    def _claim(self, disks):
        for disk in disks:
            self.disk_uuids[disk] = vsan_cluster.new_uuid(self.server)

    def _initialize(self, T, mapping):
        """One InitializeDisks mapping: a new group, or more capacity disks
        for the group whose cache SSD it names. (result, changed)."""
        try:
            cache = self._disk(mapping.ssd)
            capacity = [self._disk(lun) for lun in mapping.nonSsd or ()]
        except self.server.schema.types['MethodFault'].cls as error:
            return T.VsanHostDiskMapResult(mapping=mapping, error=localized(error)), False
        every = [cache] + capacity
        problem = None
        if len(set(every)) != len(every):
            problem = disk_fault('DuplicateDisks', cache, 'The mapping names a disk twice.')
        elif not capacity:
            problem = disk_fault('InsufficientDisks', cache, 'A disk group needs a capacity '
                                 'disk.')
        group = self.group_of(cache)
        if problem is None and group is not None and group.cache is not cache:
            problem = disk_fault('VsanDiskFault', cache, 'Disk %s is a capacity disk of a '
                                 'vSAN disk group.' % cache.canonical_name)
        if problem is None:
            problem = (self._claimable(cache, True) if group is None else None) or next(
                (p for p in (self._claimable(d, False) for d in capacity) if p), None)
        if problem is None and len(capacity) + len(group.capacity if group else ()) > \
                MAX_CAPACITY_DISKS:
            problem = disk_fault('VsanIncompatibleDiskMapping', cache, 'A disk group takes at '
                                 'most %d capacity disks.' % MAX_CAPACITY_DISKS)
        if problem is None and group is None and len(self.groups) >= MAX_GROUPS:
            problem = disk_fault('VsanIncompatibleDiskMapping', cache, 'A host takes at most '
                                 '%d disk groups.' % MAX_GROUPS)
        if problem is not None:
            return T.VsanHostDiskMapResult(
                mapping=mapping, error=localized(problem),
                diskResult=[self.disk_result(T, d) for d in every]), False
        if group is None:
            group = DiskGroup(cache, [])
            self.groups.append(group)
            self._claim([cache])
        group.capacity.extend(capacity)
        self._claim(capacity)
        return self._group_result(T, group), True

    def _group_result(self, T, group):
        return T.VsanHostDiskMapResult(mapping=self._mapping(T, group),
                                       diskResult=[self.disk_result(T, d) for d in group.disks])

    def _task(self, ctx, method, work):
        """A vSAN task of the host: `work(T)` once the host is reachable."""
        def run(task):
            self.host._require_connected()
            return work(self.host.T)
        return run_task(ctx, self.host, method, run, this=self)

    def InitializeDisks_Task(self, ctx, mapping):
        mappings = list(mapping)

        def work(T):
            results = [self._initialize(T, m) for m in mappings]
            if any(changed for _, changed in results):
                self.report()
            return [result for result, _ in results]
        return self._task(ctx, 'InitializeDisks_Task', work)

    def AddDisks_Task(self, ctx, disk):
        """vSAN arranges the eligible disks given: each SSD a new group's
        cache, the others spread over the new groups, then the existing
        ones, up to their limits; the rest are left out of the result. An
        unmounted group's cache SSD mounts the group again."""
        luns = list(disk)

        def work(T):
            given = []
            for lun in luns:
                found = self._disk(lun)
                if found not in given:
                    given.append(found)
            touched = self._arrange(given)
            if touched:
                self.report()
            return [self._group_result(T, group) for group in touched]
        return self._task(ctx, 'AddDisks_Task', work)

    def _arrange(self, given):
        """AddDisks_Task's arrangement of the disks `given`: the groups it
        touched (mounted again, new, or with more capacity disks)."""
        touched = []
        for group in self.groups:
            if group.cache in given and not group.mounted:
                group.mounted = True
                touched.append(group)
        fresh = [d for d in given if self.eligibility(d)[0] == 'eligible']
        for cache in [d for d in fresh if d.ssd]:
            if len(self.groups) < MAX_GROUPS:
                group = DiskGroup(cache, [])
                self.groups.append(group)
                touched.append(group)
        for member in [d for d in fresh if not d.ssd]:
            group = next((g for g in touched + self.groups
                          if g.mounted and len(g.capacity) < MAX_CAPACITY_DISKS), None)
            if group is not None:
                group.capacity.append(member)
                if group not in touched:
                    touched.append(group)
        for group in list(touched):
            if not group.capacity:          # an SSD with nothing to cache
                self.groups.remove(group)
                touched.remove(group)
        self._claim([d for g in touched for d in g.disks if d not in self.disk_uuids])
        return touched

    def auto_claim_disks(self):
        """autoClaimStorage: vSAN takes every eligible disk of the host."""
        if self._arrange([d for d in self.storage.disks if d.attached]):
            self.report()

    # -- data removal ------------------------------------------------------------------
    def _object_action(self, maintenanceSpec):
        mode = maintenanceSpec.vsanMode if maintenanceSpec is not None else None
        action = mode.objectAction if mode is not None else DEFAULT_OBJECT_ACTION
        if action not in OBJECT_ACTIONS:
            raise InvalidArgument('maintenanceSpec.vsanMode.objectAction')
        return action

    def _check_room(self, action, leaving):
        """evacuateAllData: the datastore's data must fit on what stays."""
        if action != 'evacuateAllData' or not self.enabled:
            return
        ds = vsan_cluster.datastore_of(self.host)
        if ds is None:
            return
        used = ds.capacity - ds.free_space
        if used > ds.capacity - leaving:
            raise fault('VsanFault', 'Not enough vSAN capacity is left to evacuate the data '
                        '(%d bytes in use, %d would remain).' % (used, ds.capacity - leaving))

    def check_maintenance(self, maintenanceSpec):
        """EnterMaintenanceMode_Task's vSAN part: a valid objectAction, and
        room for the node's data when it is to be evacuated."""
        self._check_room(self._object_action(maintenanceSpec), self.capacity_bytes())

    def _release(self, disks):
        for disk in disks:
            self.disk_uuids.pop(disk, None)

    def RemoveDisk_Task(self, ctx, disk, maintenanceSpec=None, timeout=None):
        """Capacity disks leave their groups (never a group's last one,
        never a cache SSD: RemoveDiskMapping_Task removes a group)."""
        luns = list(disk)
        action = self._object_action(maintenanceSpec)

        def work(T):
            results, removed = [], []
            for lun in luns:
                found = self._disk(lun)
                group = self.group_of(found)
                problem = None
                if group is None:
                    problem = disk_fault('VsanDiskFault', found, 'Disk %s is not in use by vSAN.'
                                         % found.canonical_name)
                elif found is group.cache:
                    problem = disk_fault('VsanDiskFault', found, 'Disk %s is the cache disk of '
                                         'its disk group.' % found.canonical_name)
                elif len(group.capacity) == 1:
                    problem = disk_fault('DiskIsLastRemainingNonSSD', found, 'Disk %s is the '
                                         'last capacity disk of its disk group.'
                                         % found.canonical_name)
                if problem is None:
                    self._check_room(action, found.blocks * SECTOR if group.mounted else 0)
                    group.capacity.remove(found)
                    self._release([found])
                    removed.append(found)
                results.append(self.disk_result(T, found, problem))
            if removed:
                self.report()
            return results
        return self._task(ctx, 'RemoveDisk_Task', work)

    def _groups_named(self, T, mappings):
        """(group or None, the mapping, fault) for each mapping, by its cache SSD."""
        found = []
        for mapping in mappings:
            try:
                cache = self._disk(mapping.ssd)
            except self.server.schema.types['MethodFault'].cls as error:
                found.append((None, mapping, error))
                continue
            group = self.group_of(cache)
            if group is None or group.cache is not cache:
                found.append((None, mapping, disk_fault(
                    'VsanDiskFault', cache, 'Disk %s is not the cache disk of a vSAN disk '
                    'group.' % cache.canonical_name)))
            else:
                found.append((group, mapping, None))
        return found

    def RemoveDiskMapping_Task(self, ctx, mapping, maintenanceSpec=None, timeout=None):
        """Whole groups go; their disks are eligible again."""
        mappings = list(mapping)
        action = self._object_action(maintenanceSpec)

        def work(T):
            results, changed = [], False
            for group, given, problem in self._groups_named(T, mappings):
                if problem is None:
                    self._check_room(action, group.capacity_bytes())
                    result = T.VsanHostDiskMapResult(mapping=self._mapping(T, group))
                    self.groups.remove(group)
                    self._release(group.disks)
                    result.diskResult = [self.disk_result(T, d) for d in group.disks]
                    changed = True
                else:
                    result = T.VsanHostDiskMapResult(mapping=given, error=localized(problem))
                results.append(result)
            if changed:
                self.report()
            return results
        return self._task(ctx, 'RemoveDiskMapping_Task', work)

    def UnmountDiskMapping_Task(self, ctx, mapping):
        """The groups stay claimed but give no capacity until AddDisks_Task
        names their cache SSD; an unmounted one answers InvalidState."""
        mappings = list(mapping)

        def work(T):
            named = self._groups_named(T, mappings)
            for group, _, problem in named:
                if problem is None and not group.mounted:
                    raise fault('InvalidState', 'The disk group of %s is not mounted.'
                                % group.cache.canonical_name)
            results = []
            for group, given, problem in named:
                if problem is None:
                    group.mounted = False
                    results.append(self._group_result(T, group))
                else:
                    results.append(T.VsanHostDiskMapResult(mapping=given,
                                                           error=localized(problem)))
            self.report()
            return results
        return self._task(ctx, 'UnmountDiskMapping_Task', work)

    # -- the service -------------------------------------------------------------------
    def join(self, uuid):
        """vSAN starts on this node in cluster `uuid`."""
        self.enabled, self.cluster_uuid, self.decommissioned = True, uuid, False
        self.node_uuid = self.node_uuid or self.server.new_uuid()
        if self.auto_claim:
            self._arrange([d for d in self.storage.disks if d.attached])
        self.report()

    def leave(self):
        """vSAN stops on this node; its disk groups stay on the disks."""
        self.enabled, self.cluster_uuid, self.decommissioned = False, None, False
        self.report()

    def check_leaving(self):
        """ResourceInUse while VMs of this host have files on the vSAN datastore."""
        ds = vsan_cluster.datastore_of(self.host)
        if ds is not None and any(getattr(vm, 'host', None) is self.host for vm in ds.vms):
            raise fault('ResourceInUse', 'Virtual machines of host %s use datastore %s.'
                        % (self.host.name, ds.name), type='Datastore', name=ds.name)

    def _network_ports(self, network, path):
        """The vmknic devices of a networkInfo (each once, each the host's)."""
        devices = []
        for index, port in enumerate(network.port or ()):
            if port.device not in self.host.netconfig.vnics:
                raise InvalidArgument('%s.networkInfo.port[%d].device' % (path, index))
            if port.device in devices:
                raise fault('DuplicateVsanNetworkInterface', 'The VMkernel NIC %s is named twice.'
                            % port.device, device=port.device)
            devices.append(port.device)
        return devices

    def planned(self, ctx, config, path='config', membership=True):
        """UpdateVsan_Task's checks of `config`, every part before any is
        applied: the function that applies it. Without `membership` (a
        cluster's vsanHostConfigSpec) `enabled` and the cluster uuid are the
        cluster's to set, checked by the cluster."""
        if config.hostSystem is not None and config.hostSystem != self.host.ref:
            raise InvalidArgument(path + '.hostSystem')
        info = config.clusterInfo
        uuid = info.uuid if info is not None else None
        node = info.nodeUuid if info is not None else None
        if uuid is not None and not vsan_cluster.valid_uuid(uuid):
            raise InvalidArgument(path + '.clusterInfo.uuid')
        if membership and self.enabled and uuid is not None and uuid != self.cluster_uuid:
            raise fault('CannotChangeVsanClusterUuid', 'The vSAN cluster uuid of host %s cannot '
                        'change while vSAN is enabled.' % self.host.name)
        if node is not None and self.node_uuid is not None and node != self.node_uuid:
            raise fault('CannotChangeVsanNodeUuid', 'The vSAN node uuid of host %s cannot '
                        'change.' % self.host.name)
        if node is not None and not vsan_cluster.valid_uuid(node):
            raise InvalidArgument(path + '.clusterInfo.nodeUuid')
        joining = membership and config.enabled is True and not self.enabled
        leaving = membership and config.enabled is False and self.enabled
        if joining:
            cluster_uuid = vsan_cluster.uuid_for(self.host, uuid)
            if cluster_uuid is None:
                raise fault('VsanFault', 'Host %s is not in a vSAN-enabled cluster.'
                            % self.host.name)
            if uuid is not None and uuid != cluster_uuid:
                raise fault('VsanClusterUuidMismatch', 'Host %s would join vSAN cluster %s, '
                            'its cluster is %s.' % (self.host.name, uuid, cluster_uuid),
                            hostClusterUuid=uuid, destinationClusterUuid=cluster_uuid)
        if leaving:
            self.check_leaving()
        storage = config.storageInfo
        if storage is not None and (storage.diskMapping or storage.diskMapInfo):
            raise InvalidArgument(path + '.storageInfo.diskMapping',
                                  'Disk groups are made by InitializeDisks_Task and '
                                  'AddDisks_Task.')
        network = config.networkInfo
        devices = self._network_ports(network, path) if network is not None else None

        def apply():
            if node is not None:
                self.node_uuid = node
            if storage is not None:
                if storage.autoClaimStorage is not None:
                    self.auto_claim = storage.autoClaimStorage
                if storage.checksumEnabled is not None:
                    self.checksum = storage.checksumEnabled
            if config.faultDomainInfo is not None:
                self.fault_domain = config.faultDomainInfo.name or ''
            if devices is not None:
                self._select_network(ctx, network, devices)
            if joining:
                self.join(cluster_uuid)
            elif leaving:
                self.leave()
            else:
                if self.enabled and self.auto_claim:
                    self._arrange([d for d in self.storage.disks if d.attached])
                self.report()
            vsan_cluster.mount(self.host.compute_resource)
        return apply

    def _select_network(self, ctx, network, devices):
        """vSAN traffic goes over exactly `devices` (the `vsan` vmknic tag)."""
        self.ip_configs = {port.device: port.ipConfig for port in network.port or ()
                           if port.ipConfig is not None}

        def select(state):
            state.selected['vsan'] = list(devices)
        if list(self.host.netconfig.selected.get('vsan', ())) != devices:
            change_network(self.host, ctx, select)

    def UpdateVsan_Task(self, ctx, config):
        return self._task(ctx, 'UpdateVsan_Task', lambda T: self.planned(ctx, config)())

    def EvacuateVsanNode_Task(self, ctx, maintenanceSpec, timeout):
        """The node takes no more data (`decommissioning`), its data moved
        as `maintenanceSpec` says."""
        action = self._object_action(maintenanceSpec)

        def work(T):
            if not self.enabled:
                raise fault('VsanFault', 'vSAN is not enabled on host %s.' % self.host.name)
            if self.decommissioned:
                raise fault('InvalidState', 'Host %s is decommissioned already.'
                            % self.host.name)
            self._check_room(action, self.capacity_bytes())
            self.decommissioned = True
            self.report()
        return self._task(ctx, 'EvacuateVsanNode_Task', work)

    def RecommissionVsanNode_Task(self, ctx):
        def work(T):
            if not self.enabled or not self.decommissioned:
                raise fault('InvalidState', 'Host %s is not decommissioned.' % self.host.name)
            self.decommissioned = False
            self.report()
        return self._task(ctx, 'RecommissionVsanNode_Task', work)
