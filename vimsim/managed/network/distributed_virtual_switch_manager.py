"""DistributedVirtualSwitchManager (ServiceContent.dvSwitchManager): what
switch versions vCenter offers, which hosts can join a new or existing
switch, a switch's feature capability, switches and portgroups by uuid and
key, the switches and portgroups hosts reach (QueryDvsConfigTarget), and
RectifyDvsOnHost_Task.

The simulated hosts are ESXi of the server's release (its AboutInfo
version), which runs every switch version vCenter 8.0 U3 supports: those it
makes (DVS_VERSIONS, its recommended ones) and the deprecated ones it still
runs for switches made before (DVS_LEGACY_VERSIONS); the answers follow
from that and from the inventory, read on each call.
"""
from vimsim.managed.entity import data_types
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.network.distributed_virtual_switch import (DVS_BUILD, DVS_LEGACY_VERSIONS,
                                                               DVS_SUPPORTED, DVS_VERSIONS,
                                                               DistributedVirtualSwitch,
                                                               create_dvs, feature_capability)
from vimsim.managed.network.entity_backup import PORTGROUP, SWITCH, blob_of, read_backup
from vimsim.schema import MoRef
from vimsim.soap.fault import fault, localized

IMPORT_TYPES = ('createEntityWithNewIdentifier', 'createEntityWithOriginalIdentifier',
                'applyToEntitySpecified')



@manager_type('DistributedVirtualSwitchManager')
class DistributedVirtualSwitchManager(Manager):

    @property
    def T(self):
        return data_types(self.server)

    def GetVpcNetworkSpan(self, ctx, spanId=None):
        """The NSX VPC network spans (all, or the one `spanId` names): the
        simulator configures no VPC (no NSX manager registers one), so there
        are none and a named span is NotFound."""
        if spanId is None:
            return []
        raise fault('NotFound', 'The VPC network span %s was not found.' % spanId)

    def _switches(self):
        return [obj for obj in self.server.objects if isinstance(obj, DistributedVirtualSwitch)]

    def _product(self, version):
        return self.T.DistributedVirtualSwitchProductSpec(
            name='DVS', vendor='VMware, Inc.', version=version, build=DVS_BUILD)

    def _version_of(self, spec, versions=DVS_VERSIONS):
        """The switch version a product spec names (the newest when it names
        none); InvalidArgument for one not in `versions` (by default those
        vCenter makes)."""
        version = spec.version if spec is not None and spec.version else DVS_VERSIONS[-1]
        if version not in versions:
            raise fault('InvalidArgument', 'A specified parameter was not correct: '
                        'switchProductSpec.version', invalidProperty='switchProductSpec.version')
        return version

    def _hosts_under(self, container, recursive):
        """The hosts in a folder, datacenter, compute resource (or a host
        itself): directly, or anywhere below with `recursive`."""
        server = self.server
        start = server.objects.get(container)
        if start is None:
            raise fault('ManagedObjectNotFound', 'The object has already been deleted or has '
                        'not been completely created', obj=container)
        found, pending = [], [start]
        while pending:
            obj = pending.pop(0)
            if obj.type_name == 'HostSystem':
                if obj not in found:
                    found.append(obj)
                continue
            if obj.type_name in ('ComputeResource', 'ClusterComputeResource'):
                found.extend(h for h in obj.hosts if h not in found)
                continue
            if obj is start or recursive:
                children = getattr(obj, 'view_children', lambda: [])()
                pending.extend(c for c in (server.objects.get(r) for r in children)
                               if c is not None and c.type_name in (
                                   'Folder', 'Datacenter', 'ComputeResource',
                                   'ClusterComputeResource', 'HostSystem'))
        return found

    # -- versions and capabilities ----------------------------------------------------------
    def QueryAvailableDvsSpec(self, ctx, recommended=None):
        """The switch versions vCenter supports, oldest first: unset, all of
        them; `recommended` true, those it creates (what Ansible's
        vmware_dvswitch takes a switch_version from); false, the others,
        deprecated ones it runs for switches made before."""
        versions = DVS_SUPPORTED if recommended is None else \
            DVS_VERSIONS if recommended else DVS_LEGACY_VERSIONS
        return [self._product(v) for v in versions]

    def QueryDvsCompatibleHostSpec(self, ctx, switchProductSpec=None):
        self._version_of(switchProductSpec, DVS_SUPPORTED)
        release = '.'.join(self.server.api_version.split('.')[:3])
        return [self.T.DistributedVirtualSwitchHostProductSpec(productLineId='embeddedEsx',
                                                                version=release)]

    def QueryDvsFeatureCapability(self, ctx, switchProductSpec=None):
        self._version_of(switchProductSpec, DVS_SUPPORTED)
        return feature_capability(self.T)

    def QuerySupportedNetworkOffloadSpec(self, ctx, switchProductSpec):
        """No simulated host has a DPU: no offload spec is supported."""
        self._version_of(switchProductSpec)
        return []

    # -- hosts ------------------------------------------------------------------------------
    def QueryCompatibleHostForNewDvs(self, ctx, container, recursive, switchProductSpec=None):
        self._version_of(switchProductSpec)
        return [h.ref for h in self._hosts_under(container, recursive)]

    def QueryCompatibleHostForExistingDvs(self, ctx, container, recursive, dvs):
        switch = self._switch(dvs)
        return [h.ref for h in self._hosts_under(container, recursive)
                if h not in switch.hosts]

    def QueryDvsCheckCompatibility(self, ctx, hostContainer, dvsProductSpec=None,
                                   hostFilterSpec=()):
        """Each host of the container with the reasons it cannot run the
        switch (none: every simulated host runs every version); a filter
        keeps or drops the members of the switches it names."""
        if dvsProductSpec is not None:
            if dvsProductSpec.distributedVirtualSwitch is not None:
                self._switch(dvsProductSpec.distributedVirtualSwitch)
            self._version_of(dvsProductSpec.newSwitchProductSpec)
        hosts = self._hosts_under(hostContainer.container, hostContainer.recursive)
        for spec in hostFilterSpec:
            named = self._filtered_hosts(spec)
            hosts = [h for h in hosts if (h in named) == bool(spec.inclusive)]
        return [self.T.DistributedVirtualSwitchManagerCompatibilityResult(host=h.ref, error=[])
                for h in hosts]

    def QueryCompatibleVmnicsFromHosts(self, ctx, dvs, hosts=()):
        """The physical NICs of each host no switch uses yet."""
        self._switch(dvs)
        T = self.T
        out = []
        for ref in hosts:
            host = self.server.objects.get(ref)
            if host is None:
                raise fault('ManagedObjectNotFound', 'The object has already been deleted or '
                            'has not been completely created', obj=ref)
            used = {device for s in self._switches() if host in s.hosts
                    for device, _ in s.member(host).pnics} | host.netconfig.standard_uplinks()
            out.append(T.DVSManagerPhysicalNicsList(host=host.ref, physicalNics=[
                p for p in host.netconfig.pnics() if p.device not in used]))
        return out

    def RectifyDvsOnHost_Task(self, ctx, hosts):
        """Bring the hosts' proxy switches in line with vCenter's: they
        always are (the simulator has no out-of-sync state), so the task
        checks the hosts and succeeds."""
        found = [self.server.objects.get(ref) for ref in hosts]
        for ref, host in zip(hosts, found):
            if host is None:
                raise fault('ManagedObjectNotFound', 'The object has already been deleted or '
                            'has not been completely created', obj=ref)
        return run_task(ctx, None, 'RectifyDvsOnHost_Task', lambda task: None, this=self)

    def _filtered_hosts(self, spec):
        """The hosts a HostDvsFilterSpec names: listed ones, or a switch's
        members."""
        T = self.T
        if isinstance(spec, T.DistributedVirtualSwitchManagerHostArrayFilter):
            return {self.server.objects.get(ref) for ref in spec.host}
        if isinstance(spec, T.DistributedVirtualSwitchManagerHostDvsMembershipFilter):
            return set(self._switch(spec.distributedVirtualSwitch).hosts)
        raise fault('InvalidArgument', 'A specified parameter was not correct: hostFilterSpec',
                    invalidProperty='hostFilterSpec')

    # -- backups ----------------------------------------------------------------------------
    def DVSManagerExportEntity_Task(self, ctx, selectionSet):
        """Backups of the selected switches and portgroups."""
        def work(task):
            T = self.T
            out = []
            for selection in selectionSet:
                if isinstance(selection, T.DVPortgroupSelection):
                    switch = self.QueryDvsByUuid(ctx, selection.dvsUuid)
                    for key in selection.portgroupKey:
                        pg = switch.LookupDvPortGroup(ctx, key)
                        out.append(self._backup(pg, PORTGROUP, pg.key, switch.ref))
                elif isinstance(selection, T.DVSSelection):
                    switch = self.QueryDvsByUuid(ctx, selection.dvsUuid)
                    out.append(self._backup(switch, SWITCH, switch.uuid, switch.parent))
                else:
                    raise fault('InvalidArgument', 'A specified parameter was not correct: '
                                'selectionSet', invalidProperty='selectionSet')
            return out
        return run_task(ctx, None, 'DVSManagerExportEntity_Task', work, this=self)

    def _backup(self, entity, kind, key, container):
        return self.T.EntityBackupConfig(
            entityType=kind, configBlob=blob_of(entity, kind), key=key, name=entity.name,
            container=container, configVersion=str(entity.config_version))

    def DVSManagerImportEntity_Task(self, ctx, entityBackup, importType):
        """Apply backups to the entities they name, or create entities from
        them (with new identifiers, or their original uuid and keys): the
        switches first, so a portgroup backed up with its switch goes to the
        switch made for it. What one backup faults is in `importFault`; the
        others go on (DvsImportEvent for each)."""
        if importType not in IMPORT_TYPES:
            raise fault('InvalidArgument', 'A specified parameter was not correct: importType',
                        invalidProperty='importType')

        def work(task):
            T = self.T
            result = T.DistributedVirtualSwitchManagerImportResult(
                distributedVirtualSwitch=[], distributedVirtualPortgroup=[], importFault=[])
            made = {}   # backed-up switch moid -> the switch made for it
            for backup in sorted(entityBackup, key=lambda b: b.entityType != SWITCH):
                try:
                    source, spec = read_backup(self.server, backup)
                    if backup.entityType == SWITCH:
                        entity = self._import_switch(task, backup, spec, importType)
                        made[source.value] = entity
                        result.distributedVirtualSwitch.append(entity.ref)
                    else:
                        entity = self._import_portgroup(task, backup, spec, importType, made)
                        result.distributedVirtualPortgroup.append(entity.ref)
                    task.post_event('DvsImportEvent', entity.dvs if backup.entityType ==
                                    PORTGROUP else entity, importType=importType)
                except T.MethodFault as error:
                    result.importFault.append(T.ImportOperationBulkFaultFaultOnImport(
                        entityType=backup.entityType, key=backup.key, fault=localized(error)))
            return result
        return run_task(ctx, None, 'DVSManagerImportEntity_Task', work, this=self)

    def _import_switch(self, task, backup, spec, import_type):
        if import_type == 'applyToEntitySpecified':
            switch = self.QueryDvsByUuid(None, backup.key)
            switch.reconfigure(task, spec)
            return switch
        folder = self.server.objects.get(backup.container) if backup.container else None
        if folder is None or 'DistributedVirtualSwitch' not in getattr(folder, 'childType', ()):
            raise fault('NotFound', 'The folder to import the switch into was not found.')
        original = import_type == 'createEntityWithOriginalIdentifier'
        if original and any(s.uuid == backup.key for s in self._switches()):
            raise fault('DvsFault', "A switch with uuid '%s' exists." % backup.key)
        if any(getattr(self.server.objects.get(r), 'name', None) == spec.name
               for r in folder.childEntity):
            raise fault('DuplicateName', "The name '%s' already exists." % spec.name,
                        name=spec.name, object=folder.ref)
        switch = create_dvs(task, folder, spec.name, self.T.DVSCreateSpec(configSpec=spec))
        if original:
            switch.uuid = backup.key
        return switch

    def _import_portgroup(self, task, backup, spec, import_type, made):
        server = self.server
        if import_type == 'applyToEntitySpecified':
            pg = server.objects.get(MoRef('DistributedVirtualPortgroup', backup.key or ''))
            if pg is None:
                raise fault('NotFound', "The portgroup '%s' was not found." % backup.key)
            pg.reconfigure(task, spec)
            return pg
        switch = None
        if backup.container is not None:
            switch = made.get(backup.container.value) or server.objects.get(backup.container)
        if not isinstance(switch, DistributedVirtualSwitch):
            raise fault('NotFound', 'The switch to import the portgroup into was not found.')
        moid = None
        if import_type == 'createEntityWithOriginalIdentifier':
            if server.objects.get(MoRef('DistributedVirtualPortgroup', backup.key or '')):
                raise fault('DvsFault', "A portgroup with key '%s' exists." % backup.key)
            moid = backup.key
        spec.configVersion = None
        switch.check_portgroup_spec(spec, 'spec', None)
        pg = switch.make_portgroup(task, spec, moid)
        switch.changed('portgroup', 'summary', 'config')
        return pg

    # -- lookups --------------------------------------------------------------------------
    def _switch(self, ref):
        switch = self.server.objects.get(ref)
        if not isinstance(switch, DistributedVirtualSwitch):
            raise fault('ManagedObjectNotFound', 'The object has already been deleted or has '
                        'not been completely created', obj=ref)
        return switch

    def QueryDvsByUuid(self, ctx, uuid):
        switch = next((s for s in self._switches() if s.uuid == uuid), None)
        if switch is None:
            raise fault('NotFound', "The switch with uuid '%s' was not found." % uuid)
        return switch

    def DVSManagerLookupDvPortGroup(self, ctx, switchUuid, portgroupKey):
        return self.QueryDvsByUuid(ctx, switchUuid).LookupDvPortGroup(ctx, portgroupKey)

    def QueryDvsConfigTarget(self, ctx, host=None, dvs=None):
        """The switches and portgroups a host reaches (all of the
        datacenters' without one), optionally of one switch only."""
        switch = self._switch(dvs) if dvs is not None else None
        if host is not None:
            host_object = self.server.objects.get(host)
            if host_object is None:
                raise fault('ManagedObjectNotFound', 'The object has already been deleted or '
                            'has not been completely created', obj=host)
            switches = [s for s in self._switches() if host_object in s.hosts]
        else:
            switches = self._switches()
        if switch is not None:
            switches = [s for s in switches if s is switch]
        return self.T.DVSManagerDvsConfigTarget(
            distributedVirtualSwitch=[s.switch_info() for s in switches],
            distributedVirtualPortgroup=[pg.portgroup_info() for s in switches
                                         for pg in s.portgroups])

