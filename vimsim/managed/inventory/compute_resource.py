"""ComputeResource and ClusterComputeResource (their EnvironmentBrowser is in
vm/environment_browser.py).

Primary state: the hosts, the root resource pool, the configuration
(`settings`, inventory/cluster_config.py). `summary` (totals rolled up from the
hosts), `datastore`, `network` (the union over the hosts) are computed on read;
a cluster's VM counts and reservations are a roll-up over its hosts' and
pools' VMs (monitoring/rollup.py) and its demand is its hosts' (the load
model's Demand, kept by deltas).
"""
from vimsim import clock
from vimsim.managed.entity import ManagedEntity, refs
from vimsim.managed.host import host_system as host_module
from vimsim.managed.host import vsan_cluster
from vimsim.managed.host.crypto_manager_host import set_crypto_mode
from vimsim.managed.host.host_joining import check_new_host, join
from vimsim.managed.inventory.cluster_config import ClusterSettings, ComputeResourceSettings
from vimsim.managed.monitoring.event_manager import datacenter_of
from vimsim.managed.monitoring.load_model import load_model
from vimsim.managed.monitoring.rollup import Rollup
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.vm.admission import datastore_problems
from vimsim.managed.vm.environment_browser import EnvironmentBrowser
from vimsim.managed.vm.provisioning import invalid_argument, resolve_argument
from vimsim.managed.vm.vm_task import invalid_power_state
from vimsim.soap.fault import fault, localized

# vmkernel and service overhead a real host reserves off its raw capacity
EFFECTIVE_MEMORY_FRACTION = 0.8


def drs_of(cluster):
    """The cluster's Drs (inventory/drs.py, imported when a cluster first
    needs it: a start has clusters but runs no DRS)."""
    from vimsim.managed.inventory import drs
    return drs.drs_of(cluster)


def ha_of(cluster):
    """The cluster's Ha (inventory/ha.py, imported when a cluster first needs it)."""
    from vimsim.managed.inventory import ha
    return ha.ha_of(cluster)


def _union(lists):
    seen = {}
    for items in lists:
        for item in items:
            seen.setdefault(item.ref, item)
    return list(seen.values())


def check_powered_off(vm):
    """InvalidPowerState for a powered-on VM: what removing it with its
    container answers."""
    if vm.power_state == 'poweredOn':
        raise invalid_power_state('poweredOff', vm.power_state)


def _remove_pool_tree(pool):
    """Take a pool and its child pools and vApps out of the registry (their
    VMs are gone already); a vApp also leaves the VM folder listing it."""
    for child in pool.pools:
        _remove_pool_tree(child)
    folder = getattr(pool, 'parent_folder', None)
    if folder is not None:
        folder.remove_child(pool)
        folder.changed('childEntity')
    pool.destroy()


class ComputeResource(ManagedEntity):
    type_name = 'ComputeResource'
    lifecycleManaged = False
    configManagerEnabled = False
    settings_class = ComputeResourceSettings

    def __init__(self, server, moid, name, folder, envbrowser_moid=None):
        super().__init__(server, moid, name, folder)
        folder.add_child(self)
        self.hosts = []
        self.pool = None   # the root ResourcePool
        self._env = EnvironmentBrowser(
            server, envbrowser_moid or 'envbrowser-%s' % moid.rsplit('-', 1)[-1].lstrip('cs'),
            self)
        self.settings = self.settings_class(self.T)

    def add_host(self, host):
        self.hosts.append(host)
        host.compute_resource = self
        host.parent = self.ref

    @property
    def host(self):
        return refs(self.hosts)

    # -- Destroy_Task ----------------------------------------------------------------
    def Destroy_Task(self, ctx):
        """Remove the compute resource with its hosts, pools and VMs from the
        inventory (the VMs' files stay, as when vCenter removes a host);
        InvalidPowerState while one of its VMs is powered on."""
        def work(task):
            self.check_removable()
            self.remove_with_contents(task)
            return None
        return run_task(ctx, self, 'Destroy_Task', work)

    def check_removable(self):
        for host in self.hosts:
            for vm in host.vms:
                check_powered_off(vm)

    def remove_with_contents(self, task):
        """Take the compute resource out of the inventory: each host as a
        host's own Destroy_Task removes it (HostRemovedEvent; its VMs with
        VmRemovedEvent, datastores and standard networks no other host sees),
        then its pools and the object itself (ClusterDestroyedEvent for a
        cluster)."""
        for host in list(self.hosts):
            task.post_event('HostRemovedEvent', host)
            host.remove_from_inventory(task)
        if self.type_name == 'ClusterComputeResource':
            task.post_event('ClusterDestroyedEvent', self)
        if self.server.objects.get(self.ref) is self:   # a standalone host took it along
            self.unlink()

    def unlink(self):
        """Take the compute resource, emptied of hosts, with its pools and
        environment browser out of the inventory."""
        if self.pool is not None:
            _remove_pool_tree(self.pool)
        parent = self.parent_object()
        if parent is not None and hasattr(parent, 'remove_child'):
            parent.remove_child(self)
            parent.changed('childEntity')
        self._env.destroy()
        self.destroy()

    @property
    def resourcePool(self):
        return self.pool.ref if self.pool is not None else None

    @property
    def datastore(self):
        return refs(_union(h.datastores for h in self.hosts))

    @property
    def network(self):
        return refs(_union(h.networks for h in self.hosts))

    @property
    def environmentBrowser(self):
        return self._env.ref

    def view_children(self):
        children = list(self.host)
        if self.pool is not None:
            children.append(self.pool.ref)
        return children

    # -- roll-ups --------------------------------------------------------------
    def totals(self):
        """dict of the capacity totals over the hosts."""
        hosts = self.hosts
        effective = [h for h in hosts if h.effective]
        total_cpu = len(hosts) * host_module.CPU_MHZ * host_module.NUM_CPU_CORES
        total_memory = len(hosts) * host_module.MEMORY_SIZE
        effective_cpu = len(effective) * host_module.CPU_MHZ * host_module.NUM_CPU_CORES
        effective_memory = int(len(effective) * host_module.MEMORY_SIZE
                               * EFFECTIVE_MEMORY_FRACTION) // (1024 * 1024)
        return dict(totalCpu=total_cpu, totalMemory=total_memory,
                    numCpuCores=len(hosts) * host_module.NUM_CPU_CORES,
                    numCpuThreads=len(hosts) * host_module.NUM_CPU_THREADS,
                    effectiveCpu=effective_cpu, effectiveMemory=effective_memory,
                    numHosts=len(hosts), numEffectiveHosts=len(effective),
                    overallStatus='green')

    @property
    def summary(self):
        return self.T.ComputeResourceSummary(**self.totals())

    @property
    def configurationEx(self):
        return self.settings.info(self.T, self)

    # -- ReconfigureComputeResource_Task -----------------------------------------------
    CONFIGURATION_PROPERTIES = ('configurationEx',)

    def ReconfigureComputeResource_Task(self, ctx, spec, modify):
        if not self.takes_spec(spec):
            raise fault('InvalidArgument', 'A specified parameter was not correct: spec',
                        invalidProperty='spec')
        return run_task(ctx, self, 'ReconfigureComputeResource_Task',
                        lambda task: self.reconfigure(task, spec, modify))

    # -- network boot -------------------------------------------------------------------
    NETWORK_BOOT_MODES = ('bootstrap', 'stateless')

    def EnableNetworkBoot_Task(self, ctx, networkBootMode):
        """Network boot (vSphere 9) is for the hosts of a compute resource
        that the configuration manager images; vCenter does not serve it for
        hosts that boot from their own disks, as these do
        (configManagerEnabled is false): NotSupported."""
        if networkBootMode not in self.NETWORK_BOOT_MODES:
            raise invalid_argument('networkBootMode')
        raise fault('NotSupported', 'The operation is not supported on the object.')

    def DisableNetworkBoot_Task(self, ctx):
        """As EnableNetworkBoot_Task: never enabled here, NotSupported."""
        raise fault('NotSupported', 'The operation is not supported on the object.')

    def takes_spec(self, spec):
        """A standalone host's compute resource has no cluster configuration."""
        return not isinstance(spec, self.T.ClusterConfigSpecEx)

    def reconfigure(self, task, spec, modify):
        """Apply `spec` as a whole or not at all, report what changed and post
        vCenter's events for it."""
        T = self.T
        before = self.settings
        after = before.reconfigured(T, spec, modify, self)
        follow = self.check_services(spec, before, after)
        self.settings = after
        self.changed(*self.CONFIGURATION_PROPERTIES)
        follow()
        self.post_reconfigured(task, before, after)
        return None

    def check_services(self, spec, before, after):
        """Refuse a new configuration the services cannot take (a cluster's
        vSAN); else the function that makes them follow it, once it is set."""
        return lambda: None

    def post_reconfigured(self, task, before, after):
        modified, added, deleted = after.changes(self.T, before, self)
        task.post_event('ClusterReconfiguredEvent', self,
                        configChanges=self.T.ChangesInfoEventArgument(
                            modified='\n'.join(modified), added='\n'.join(added),
                            deleted='\n'.join(deleted)))


class ClusterComputeResource(ComputeResource):
    type_name = 'ClusterComputeResource'
    actionHistory = ()

    settings_class = ClusterSettings
    CONFIGURATION_PROPERTIES = ('configurationEx', 'configuration', 'summary')
    evc_mode_key = None      # the EVC mode (ClusterEVCManager sets it)
    _evc_manager = None
    hci_state = None         # the HCI (Quickstart) workflow's state: None outside it

    @property
    def hciConfig(self):
        """The HCI workflow of a cluster created in it (ClusterConfigSpecEx
        .inHciWorkflow): in_progress until abandoned (AbandonHciWorkflow),
        then done; unset for a cluster never in it."""
        if self.hci_state is None:
            return None
        return self.T.ClusterComputeResourceHCIConfigInfo(workflowState=self.hci_state)

    def AbandonHciWorkflow(self, ctx):
        """Opt out of the HCI workflow, which only a cluster in it still
        unconfigured may do (InvalidState otherwise)."""
        if self.hci_state != 'in_progress':
            raise fault('InvalidState', 'The operation is not allowed in the current state.')
        self.hci_state = 'done'
        self.changed('hciConfig')

    def SetCryptoMode(self, ctx, cryptoMode, policy=None):
        set_crypto_mode(ctx, self, cryptoMode, policy)

    def EvcManager(self, ctx):
        """The cluster's one ClusterEVCManager, made on first use."""
        from vimsim.managed.inventory.cluster_evc_manager import ClusterEVCManager
        if self._evc_manager is None:
            self._evc_manager = ClusterEVCManager(
                self.server, self.server.objects.next_id('evcmanager-'), self)
        return self._evc_manager

    def configure_from_spec(self, spec):
        """Apply a ClusterConfigSpec(Ex) at creation, as a reconfiguration of
        vCenter's defaults would (a fault leaves the settings unchanged)."""
        after = self.settings.reconfigured(self.T, spec, True, self)
        self.check_services(spec, self.settings, after)     # no hosts yet: nothing follows
        self.settings = after
        if getattr(spec, 'inHciWorkflow', None):    # only at creation, as vCenter takes it
            self.hci_state = 'in_progress'
        drs_of(self).schedule()

    def check_services(self, spec, before, after):
        return vsan_cluster.check_reconfigure(self, spec, before, after)

    def FindRulesForVm(self, ctx, vm):
        """The rules naming `vm`: directly, or through a VM group a rule names."""
        target = ctx.server.objects.resolve(vm)
        return self.settings.rules_naming(self, target.ref)

    @property
    def configuration(self):
        return self.settings.legacy_info(self.T, self)

    def takes_spec(self, spec):
        return True

    def ReconfigureCluster_Task(self, ctx, spec, modify):
        """The deprecated form: a ClusterConfigSpec, applied as the Ex one is."""
        return run_task(ctx, self, 'ReconfigureCluster_Task',
                        lambda task: self.reconfigure(task, spec, modify))

    def post_reconfigured(self, task, before, after):
        """DRS and HA being switched on or off have events of their own, before
        the ClusterReconfiguredEvent."""
        if after.drs.enabled != before.drs.enabled:
            if after.drs.enabled:
                task.post_event('DrsEnabledEvent', self, behavior=after.drs.defaultVmBehavior)
            else:
                task.post_event('DrsDisabledEvent', self)
            drs_of(self).schedule()
        if after.das.enabled != before.das.enabled:
            task.post_event('DasEnabledEvent' if after.das.enabled else 'DasDisabledEvent',
                            self)
            ha_of(self).enabled_changed()
        ha_of(self).check_failover_capacity()
        super().post_reconfigured(task, before, after)

    @property
    def summary(self):
        T = self.T
        totals = self.totals()
        pool = self.pool
        counted = self.vm_rollup()
        powered_on, off_cpu, off_memory = counted.total()
        cpu_demand, mem_demand = self.demand()
        return T.ClusterComputeResourceSummary(
            currentFailoverLevel=self._current_failover_level(), **self._drs_figures(),
            usageSummary=T.ClusterUsageSummary(
                totalCpuCapacityMhz=totals['effectiveCpu'],
                totalMemCapacityMB=totals['effectiveMemory'],
                cpuReservationMhz=pool.reservation_used('cpu') if pool else 0,
                memReservationMB=pool.reservation_used('memory') if pool else 0,
                poweredOffCpuReservationMhz=off_cpu, poweredOffMemReservationMB=off_memory,
                cpuDemandMhz=cpu_demand, memDemandMB=mem_demand,
                statsGenNumber=0, cpuEntitledMhz=cpu_demand, memEntitledMB=mem_demand,
                poweredOffVmCount=len(counted) - powered_on, totalVmCount=len(counted)),
            clusterMaintenanceModeStatus='notInMaintenanceMode', vcsHealthStatus='healthy',
            admissionControlInfo=self._admission_control_info(),
            currentEVCModeKey=self.evc_mode_key, **totals)

    _vm_rollup = None

    def vm_rollup(self):
        """The roll-up of the VMs `cluster_vms` lists (its hosts' and pools'):
        per VM whether it runs and, when it does not, its reservations."""
        if self._vm_rollup is None:
            self._vm_rollup = Rollup(self.server.changes, _vm_counts, 3)
        sources = [host.vms for host in self.hosts]
        pending = [self.pool] if self.pool is not None else []
        while pending:
            pool = pending.pop()
            sources.append(pool.vms)
            pending.extend(pool.pools)
        self._vm_rollup.follow(sources)
        return self._vm_rollup

    def demand(self):
        """(cpu MHz, memory MB) the cluster's running VMs use now: its
        hosts' (a running VM runs on one of them), kept by the load model."""
        model = load_model(self.server)
        usage = [model.running_usage(host, [host.vms]) for host in self.hosts]
        return sum(cpu for cpu, _ in usage), sum(memory for _, memory in usage)

    def destroy(self):
        if self._vm_rollup is not None:
            self._vm_rollup.close()
        if self._evc_manager is not None:
            self._evc_manager.destroy()
        super().destroy()

    def _admission_control_info(self):
        """What HA admission control holds back, for the policy configured
        (unset while HA or its admission control is off; inventory/ha.py)."""
        T = self.T
        das = self.settings.das
        if not das.enabled or not das.admissionControlEnabled:
            return None
        ha = ha_of(self)
        policy = das.admissionControlPolicy
        if isinstance(policy, T.ClusterFailoverResourcesAdmissionControlPolicy):
            cpu, memory = ha.percentages()
            return T.ClusterFailoverResourcesAdmissionControlInfo(
                currentCpuFailoverResourcesPercent=cpu,
                currentMemoryFailoverResourcesPercent=memory)
        if isinstance(policy, T.ClusterFailoverHostAdmissionControlPolicy):
            return T.ClusterFailoverHostAdmissionControlInfo(hostStatus=[
                T.ClusterFailoverHostAdmissionControlInfoHostStatus(
                    host=h.ref, status='green' if h.effective else 'red')
                for h in ha.failover_hosts()])
        return T.ClusterFailoverLevelAdmissionControlInfo(
            currentFailoverLevel=self._current_failover_level())

    def _current_failover_level(self):
        """The host failures the running VMs' HA slots survive; 0 without HA."""
        if not self.settings.das.enabled:
            return 0
        return ha_of(self).failover_level()

    def RetrieveDasAdvancedRuntimeInfo(self, ctx):
        """HA's runtime view (None while HA is off)."""
        if not self.settings.das.enabled:
            return None
        return ha_of(self).advanced_runtime_info()

    def allows_standby(self, hosts):
        """Whether HA admission control lets DPM put `hosts` to standby."""
        return ha_of(self).allows_standby(hosts)

    def das_host_state(self, host):
        """A member host's HA agent state (runtime.dasHostState): none while
        HA is off, so that reading it does not import HA (alarms read every
        host's runtime at start)."""
        return ha_of(self).host_state(host) if self.settings.das.enabled else None

    def host_state_changed(self, host):
        """A member host's connection, power or maintenance state changed:
        HA elects a new master if it was the master's."""
        ha_of(self).hosts_changed()

    def heartbeat_stopped(self, vm):
        """A member VM's guest stopped heartbeating: HA's VM monitoring."""
        ha_of(self).heartbeat_stopped(vm)

    @property
    def summaryEx(self):
        return self.summary

    # -- DRS (inventory/drs.py) ------------------------------------------------------
    def _drs_figures(self):
        """numVmotions, and with DRS on the latest pass's balance and the scores."""
        drs = drs_of(self)
        figures = dict(numVmotions=drs.vmotions)
        if drs.enabled:
            score, buckets = drs.scores()
            current, target = drs.balance
            figures.update(currentBalance=current, targetBalance=target, drsScore=score,
                           numVmsPerDrsScoreBucket=buckets)
        return figures

    @property
    def recommendation(self):
        return drs_of(self).recommendations()

    @property
    def drsRecommendation(self):
        return drs_of(self).drs_recommendations()

    @property
    def migrationHistory(self):
        return list(drs_of(self).history)

    @property
    def drsFault(self):
        return list(drs_of(self).faults)

    def RefreshRecommendation(self, ctx):
        """Run a DRS pass now."""
        drs_of(self).run_pass()

    def ApplyRecommendation(self, ctx, key):
        drs_of(self).apply(ctx, key)

    def CancelRecommendation(self, ctx, key):
        drs_of(self).take(key)

    def RecommendHostsForVm(self, ctx, vm, pool=None):
        """The hosts of the cluster where `vm` could power on (or move, when
        it runs), best first, rated 1..5 by the load they would carry."""
        from vimsim.managed.inventory.placement import Candidates, rating
        target = resolve_argument(ctx, vm, 'VirtualMachine', 'vm')
        chosen = self._own_pool(ctx, pool) if pool is not None else None
        if chosen is None and target.pool is not None \
                and target.pool.owner_object is self:
            chosen = target.pool
        found = Candidates(self, target, chosen or self.pool)
        return [self.T.ClusterHostRecommendation(host=host.ref, rating=rating(share))
                for share, _, host in found.ranked]

    PLACEMENT_REASONS = {'relocate': 'xvmotionPlacement', 'clone': 'powerOnVm',
                         'reconfigure': 'checkResource', 'create': 'powerOnVm'}

    def PlaceVm(self, ctx, placementSpec):
        """DRS's placement recommendations, best first, one per host, among
        `placementSpec.hosts` (default: all), by the cluster's rules and the
        spec's, reservations and capacity: for an existing VM (relocate;
        reconfigure, with the configSpec's size when it is powered off), the
        one a configSpec describes (create) or the copy a clone makes (the
        source's size, NICs and disks, then cloneSpec.config). A create, a
        clone and a relocate that asks for datastores need one the host
        mounts with room for the disks: the relocateSpec's (the clone's
        location's), else of `datastores` and `storagePods`, else (create,
        clone) the files' datastore, else the cluster's. When no host can
        take the VM, the drsFault names each host's refusal."""
        from vimsim.managed.inventory.placement import (Candidates, Moving, PlannedVm, Resized,
                                                        Rules, rating)
        spec = placementSpec
        kind = spec.placementType or 'relocate'
        if kind not in self.PLACEMENT_REASONS:
            raise invalid_argument('placementSpec.placementType')
        hosts = [resolve_argument(ctx, ref, 'HostSystem', 'placementSpec.hosts')
                 for ref in spec.hosts]
        if any(host not in self.hosts for host in hosts):
            raise invalid_argument('placementSpec.hosts')
        hosts = hosts or list(self.hosts)
        if kind == 'clone' and spec.cloneSpec is None:
            raise invalid_argument('placementSpec.cloneSpec')
        relocate = spec.cloneSpec.location if kind == 'clone' else spec.relocateSpec
        pool = self._own_pool(ctx, relocate.pool) \
            if relocate is not None and relocate.pool is not None else None
        source = None
        if kind != 'create':
            if spec.vm is None:
                raise invalid_argument('placementSpec.vm')
            source = resolve_argument(ctx, spec.vm, 'VirtualMachine', 'placementSpec.vm')
            if pool is None and source.pool is not None and source.pool.owner_object is self:
                pool = source.pool
        pool = pool or self.pool
        datastore_for, refused = {}, {}
        moved_to = self._asked_datastores(ctx, spec, relocate) if kind == 'relocate' else ()
        if kind in ('create', 'clone'):
            if kind == 'create' and spec.configSpec is None:
                raise invalid_argument('placementSpec.configSpec')
            target = PlannedVm(self, spec.configSpec, pool) if kind == 'create' else PlannedVm(
                self, spec.cloneSpec.config or self.T.VirtualMachineConfigSpec(), pool,
                source=source, field='placementSpec.cloneSpec.config')
            if kind == 'clone':
                target.name = spec.cloneName or source.name
            datastore_for, refused = self._create_datastores(
                ctx, target, self._placement_datastores(ctx, spec, target, relocate), hosts)
            hosts = list(datastore_for)
        elif kind == 'relocate' and moved_to:
            target = Moving(source)
            datastore_for, refused = self._create_datastores(ctx, target, moved_to, hosts)
            hosts = list(datastore_for)
        else:
            target = source
            if kind == 'reconfigure' and spec.configSpec is not None:
                target = Resized(source, spec.configSpec)
                if target.changes() and source.power_state == 'poweredOn':
                    raise fault('NotSupported', 'Placing a running virtual machine with a '
                                'changed size is not simulated.')
            datastore_for = {host: source.datastore_object for host in hosts}
        rules = Rules(self, target.ref.value, self._placement_rules(ctx, spec.rules))
        found = Candidates(self, target, pool, hosts=hosts, rules=rules, refused=refused)
        T = self.T
        placed = source.ref if kind in ('relocate', 'reconfigure') else None
        if found.best is None:
            error = found.no_host(target)
            return T.PlacementResult(recommendations=[], drsFault=T.ClusterDrsFaults(
                reason=kind, faultsByVm=[T.ClusterDrsFaultsFaultsByVm(
                    vm=placed, fault=[localized(error)])]))
        return T.PlacementResult(recommendations=[T.ClusterRecommendation(
            key=str(number), type='V1', time=clock.now(), rating=rating(share),
            reason=self.PLACEMENT_REASONS[kind], reasonText='Place the virtual machine.',
            prerequisite=[], target=self.ref, action=[T.PlacementAction(
                type='PlacementV1', target=placed, vm=placed, targetHost=host.ref,
                relocateSpec=T.VirtualMachineRelocateSpec(
                    host=host.ref, pool=pool.ref, datastore=datastore_for[host].ref
                    if datastore_for[host] is not None else None))])
            for number, (share, _, host) in enumerate(found.ranked, 1)])

    def _placement_rules(self, ctx, rules):
        """A PlacementSpec's rules: VM-VM rules of existing VMs, VM-host rules
        of the cluster's host groups."""
        T = self.T
        for index, rule in enumerate(rules):
            path = 'placementSpec.rules[%d]' % index
            if isinstance(rule, (T.ClusterAffinityRuleSpec, T.ClusterAntiAffinityRuleSpec)):
                for ref in rule.vm:
                    resolve_argument(ctx, ref, 'VirtualMachine', path + '.vm')
            elif isinstance(rule, T.ClusterVmHostRuleInfo):
                names = [n for n in (rule.affineHostGroupName, rule.antiAffineHostGroupName) if n]
                if len(names) != 1 or not isinstance(self.settings.groups.get(names[0]),
                                                     T.ClusterHostGroup):
                    raise invalid_argument(path)
            else:
                raise invalid_argument(path)
        return rules

    def _placement_datastores(self, ctx, spec, target, relocate):
        """The datastores a created or cloned VM may go to: those asked for,
        else its files' datastore, else the cluster's."""
        chosen = self._asked_datastores(ctx, spec, relocate)
        if chosen:
            return chosen
        known = _union(h.datastores for h in self.hosts)
        if target.home_datastore_name is None:
            return known
        named = [ds for ds in known if ds.name == target.home_datastore_name]
        if not named:
            raise invalid_argument('placementSpec.configSpec.files.vmPathName')
        return named

    @staticmethod
    def _asked_datastores(ctx, spec, relocate):
        """The datastores a placement asks for, in order: `relocate`'s (the
        relocateSpec, or the cloneSpec's location) first, then `datastores`
        and the storage pods' (ignored when `relocate` names one)."""
        if relocate is not None and relocate.datastore is not None:
            return [resolve_argument(
                ctx, relocate.datastore, 'Datastore', 'placementSpec.cloneSpec.location.datastore'
                if relocate is not spec.relocateSpec else 'placementSpec.relocateSpec.datastore')]
        chosen = [resolve_argument(ctx, ref, 'Datastore', 'placementSpec.datastores')
                  for ref in spec.datastores]
        for ref in spec.storagePods:
            chosen.extend(resolve_argument(ctx, ref, 'StoragePod',
                                           'placementSpec.storagePods').datastores())
        return chosen

    @staticmethod
    def _create_datastores(ctx, target, datastores, hosts):
        """({host: the datastore of `datastores` it reaches with the most room
        for the VM's disks}, {host: why it has none})."""
        from vimsim.managed.inventory import ha    # the fault of a host's lost datastore
        found, refused = {}, {}
        for host in hosts:
            mounted = [ds for ds in datastores if ds in host.datastores]
            reached = [ds for ds in mounted if ds.accessible_on(host)]
            roomy = [ds for ds in reached if ds.free_space >= target.disk_bytes]
            if roomy:
                found[host] = max(roomy, key=lambda ds: (ds.free_space, -datastores.index(ds)))
            elif reached:
                refused[host] = fault('NoDiskSpace', "There is not enough space on datastore "
                                      "'%s'." % reached[0].name, datastore=reached[0].name,
                                      file=target.name)
            elif mounted:
                refused[host] = ha.inaccessible(host, mounted[0])
            elif datastores:
                refused[host] = datastore_problems(host, datastores[:1])[0]
            else:
                refused[host] = fault('NoCompatibleDatastore', 'No compatible datastore '
                                      'found for the virtual machine.')
        return found, refused

    def ClusterEnterMaintenanceMode(self, ctx, host, option=(), info=None):
        """How `host`s would enter maintenance mode together, not carried out
        (EnterMaintenanceMode_Task does that): for each host DRS can vacate
        a recommendation of its maintenance action and the migrations of
        its powered-on VMs; faults for the others (a VM with nowhere to go,
        DRS off, the host not usable). The DRS options and partial
        maintenance modes are not modelled: refused rather than ignored."""
        hosts = [resolve_argument(ctx, ref, 'HostSystem', 'host') for ref in host]
        if not hosts or len(set(hosts)) != len(hosts) or any(h not in self.hosts
                                                              for h in hosts):
            raise invalid_argument('host')
        if option:
            raise invalid_argument('option')
        if info is not None and (info.partialMMId or info.hostEvacInfo):
            raise fault('NotSupported', 'The operation is not supported on the object.')
        drs = drs_of(self)
        refused = [(h, None, fault('InvalidHostState', 'The operation is not allowed in the '
                                   'current state of the host.', host=h.ref))
                   for h in hosts if not h.effective]
        usable = [h for h in hosts if h.effective]
        if drs.enabled:
            plans, faults = drs.maintenance_plan(usable)
        else:
            faults = [(h, vm, fault('DrsDisabledOnVm', 'DRS is disabled for the virtual '
                                    'machine.')) for h in usable for vm in h.vms
                      if vm.power_state == 'poweredOn']
            plans = {h: [] for h in usable if all(h is not where for where, _, _ in faults)}
        refused.extend(faults)
        T = self.T
        return T.ClusterEnterMaintenanceResult(
            recommendations=[drs.maintenance_recommendation(h, plans[h])
                             for h in hosts if h in plans],
            fault=T.ClusterDrsFaults(reason='hostMaint', faultsByVm=[
                T.ClusterDrsFaultsFaultsByVm(vm=vm.ref if vm is not None else None,
                                             fault=[localized(error)])
                for _, vm, error in refused]) if refused else None)

    def StampAllRulesWithUuid_Task(self, ctx):
        """Give every rule without a ruleUuid one (rules made here have one)."""
        def work(task):
            before = self.settings
            after = before.with_rule_uuids()
            if after is not before:
                self.settings = after
                self.changed(*self.CONFIGURATION_PROPERTIES)
                self.post_reconfigured(task, before, after)
        return run_task(ctx, self, 'StampAllRulesWithUuid_Task', work)

    def admit_power_on(self, vm, requested=None):
        """Where `vm` powers on (DRS initial placement, never on HA's
        dedicated failover hosts; the VM's registration moves there) and
        whether DRS chose it; InsufficientFailoverResourcesFault when HA
        admission control refuses it."""
        drs = drs_of(self)
        ha = ha_of(self)
        host = drs.placement_host(vm, requested, excluded=ha.failover_hosts())
        problem = ha.power_on_problem(vm, host)
        if problem is not None:
            raise problem
        if host is not None and host is not vm.host:
            vm.register_on(host)
        return drs.enabled and host is not requested and drs.behavior(vm) not in (
            'manual', 'disabled')

    def evacuate(self, host, everything):
        """A host of this cluster enters maintenance mode: DRS moves its VMs."""
        if drs_of(self).enabled:
            drs_of(self).evacuate(host, everything)

    def power_on_recommendation(self, vm):
        """PowerOnMultiVM_Task of a VM DRS does not place on its own (manual
        behaviour): the ClusterRecommendation to approve; None for the others."""
        drs = drs_of(self)
        if not drs.enabled or drs.behavior(vm) != 'manual' or vm.template \
                or vm.power_state == 'poweredOn':
            return None
        return drs.recommend_power_on(vm)

    # -- methods ---------------------------------------------------------------
    def GetResourceUsage(self, ctx):
        """Used and total CPU and memory of the hosts, storage of their datastores."""
        totals = self.totals()
        stats = [h.quick_stats() for h in self.hosts]
        datastores = _union(h.datastores for h in self.hosts)
        capacity = sum(ds.capacity for ds in datastores)
        free = sum(ds.free_space for ds in datastores)
        return self.T.ClusterResourceUsageSummary(
            cpuUsedMHz=sum(s.overallCpuUsage for s in stats),
            cpuCapacityMHz=totals['effectiveCpu'],
            memUsedMB=sum(s.overallMemoryUsage for s in stats),
            memCapacityMB=totals['effectiveMemory'],
            storageUsedMB=(capacity - free) // (1024 * 1024),
            storageCapacityMB=capacity // (1024 * 1024))

    # -- hosts joining -----------------------------------------------------------------
    def AddHost_Task(self, ctx, spec, asConnected, resourcePool=None, license=None):
        """A new simulated ESXi in this cluster. A new host has no VMs or
        pools, so `resourcePool` (where its pool tree would go) has nothing
        to receive, but it must be a pool of this cluster."""
        if resourcePool is not None:
            self._own_pool(ctx, resourcePool)
        server = self.server

        def work(task):
            name = check_new_host(server, spec, license)
            host = join(task, name, self, datacenter_of(server, self), asConnected, license)
            vsan_cluster.sync(self)
            return host
        return run_task(ctx, self, 'AddHost_Task', work)

    def MoveInto_Task(self, ctx, host):
        hosts = [resolve_argument(ctx, ref, 'HostSystem', 'host') for ref in host or ()]

        def work(task):
            for member in hosts:
                self._check_move(member)
            for member in hosts:
                self._take_host(member, self.pool)
        return run_task(ctx, self, 'MoveInto_Task', work)

    def MoveHostInto_Task(self, ctx, host, resourcePool=None):
        member = resolve_argument(ctx, host, 'HostSystem', 'host')
        pool = self._own_pool(ctx, resourcePool) if resourcePool is not None else self.pool

        return run_task(ctx, self, 'MoveHostInto_Task',
                        lambda task: self.move_host_in(member, pool))

    def move_host_in(self, host, pool=None):
        """MoveHostInto_Task's work: `host`, of this datacenter (in
        maintenance mode when another cluster's), joins this cluster, its
        standalone pool tree going into `pool` (the root pool by default)."""
        self._check_move(host)
        self._take_host(host, pool or self.pool)

    def _own_pool(self, ctx, ref):
        pool = resolve_argument(ctx, ref, 'ResourcePool', 'resourcePool')
        if pool.owner_object is not self:
            raise invalid_argument('resourcePool')
        return pool

    def _check_move(self, host):
        """A host of this datacenter; one of another cluster must be in
        maintenance mode (its VMs stay with that cluster's pools otherwise)."""
        if datacenter_of(self.server, host) is not datacenter_of(self.server, self):
            raise invalid_argument('host')
        vsan_cluster.check_move(host, self)
        source = host.compute_resource
        if source is not self and source.type_name == 'ClusterComputeResource' \
                and not host.maintenance:
            raise fault('InvalidState', 'The operation is not allowed in the current state.')

    def _take_host(self, host, pool):
        """Move `host` into this cluster. A standalone host's root pool
        contents (VMs, child pools) go into `pool` and its ComputeResource
        is removed; a clustered host (in maintenance mode) brings its
        registered VMs into this cluster's root pool."""
        source = host.compute_resource
        if source is self:
            return
        source.hosts.remove(host)
        self.add_host(host)
        standalone = source.type_name == 'ComputeResource'
        target = pool if standalone else self.pool
        for vm in list(host.vms):
            _move_vm_to_pool(vm, target)
        if standalone:
            for child in list(source.pool.pools):
                _move_pool(child, target, self)
            source.unlink()
        else:
            source.changed('host', 'summary', 'summaryEx', 'datastore', 'network')
            source.pool.changed()
        host.changed('parent', 'summary')
        self.changed('host', 'summary', 'summaryEx', 'datastore', 'network',
                     'configurationEx')
        self.pool.changed()
        vsan_cluster.sync(self)


def _vm_counts(vm):
    """A VM's part of its cluster's counts: (runs, cpu and memory
    reservations when it does not)."""
    if vm.power_state == 'poweredOn':
        return 1, 0, 0
    return 0, vm.cpu_reservation, vm.memory_reservation


def _move_vm_to_pool(vm, pool):
    old = vm.pool
    if old is pool:
        return
    if old is not None and vm in old.vms:
        old.vms.remove(vm)
        old.changed('vm', 'summary', 'runtime')
    pool.vms.append(vm)
    vm.pool = pool
    vm.changed('resourcePool', 'summary', 'runtime')
    pool.changed('vm', 'summary', 'runtime')


def _move_pool(child, parent, owner):
    """Re-parent a child pool (and its tree) under `parent`, owned by `owner`."""
    old_parent = child.parent_object()
    if child in old_parent.pools:
        old_parent.pools.remove(child)
    parent.pools.append(child)
    child.parent = parent.ref
    stack = [child]
    while stack:
        pool = stack.pop()
        pool.owner_object = owner
        pool.changed()
        stack.extend(pool.pools)
    parent.changed('resourcePool')
