"""ComputeResource and ClusterComputeResource (their EnvironmentBrowser is in
vm/environment_browser.py).

Primary state: the hosts, the root resource pool, the configuration flags.
`summary` (totals rolled up from the hosts), `datastore`, `network` (the
union over the hosts) are computed on read.
"""
from vimsim.managed.entity import ManagedEntity, refs
from vimsim.managed.host import host_system as host_module
from vimsim.managed.vm.environment_browser import EnvironmentBrowser

# vmkernel and service overhead a real host reserves off its raw capacity
EFFECTIVE_MEMORY_FRACTION = 0.8


def _union(lists):
    seen = {}
    for items in lists:
        for item in items:
            seen.setdefault(item.ref, item)
    return list(seen.values())


class ComputeResource(ManagedEntity):
    type_name = 'ComputeResource'
    lifecycleManaged = False
    configManagerEnabled = False

    def __init__(self, server, moid, name, folder, envbrowser_moid=None):
        super().__init__(server, moid, name, folder)
        folder.add_child(self)
        self.hosts = []
        self.pool = None   # the root ResourcePool
        self._env = EnvironmentBrowser(
            server, envbrowser_moid or 'envbrowser-%s' % moid.rsplit('-', 1)[-1].lstrip('cs'),
            self)

    def add_host(self, host):
        self.hosts.append(host)
        host.compute_resource = self
        host.parent = self.ref

    @property
    def host(self):
        return refs(self.hosts)

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
        effective = [h for h in hosts if not h.maintenance]
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
        return self.T.ComputeResourceConfigInfo(vmSwapPlacement='vmDirectory',
                                                spbmEnabled=True,
                                                defaultHardwareVersionKey='vmx-21')


class ClusterComputeResource(ComputeResource):
    type_name = 'ClusterComputeResource'
    recommendation = ()
    drsRecommendation = ()
    migrationHistory = ()
    actionHistory = ()
    drsFault = ()

    def __init__(self, server, moid, name, folder):
        super().__init__(server, moid, name, folder)
        self.drs_enabled = False
        self.das_enabled = False

    def _drs(self):
        return self.T.ClusterDrsConfigInfo(enabled=self.drs_enabled,
                                           enableVmBehaviorOverrides=True,
                                           defaultVmBehavior='fullyAutomated', vmotionRate=3,
                                           scaleDescendantsShares='disabled', option=[])

    def _das(self):
        T = self.T
        return T.ClusterDasConfigInfo(
            enabled=self.das_enabled, vmMonitoring='vmMonitoringDisabled',
            hostMonitoring='enabled', vmComponentProtecting='disabled', failoverLevel=1,
            admissionControlPolicy=T.ClusterFailoverResourcesAdmissionControlPolicy(
                cpuFailoverResourcesPercent=50, memoryFailoverResourcesPercent=50,
                failoverLevel=1, autoComputePercentages=True,
                resourceReductionToToleratePercent=100),
            admissionControlEnabled=True,
            defaultVmSettings=T.ClusterDasVmSettings(
                restartPriority='medium', restartPriorityTimeout=600,
                isolationResponse='none',
                vmToolsMonitoringSettings=T.ClusterVmToolsMonitoringSettings(
                    enabled=False, vmMonitoring='vmMonitoringDisabled', clusterSettings=True,
                    failureInterval=30, minUpTime=120, maxFailures=3,
                    maxFailureWindow=3600)),
            option=[], heartbeatDatastore=[],
            hBDatastoreCandidatePolicy='allFeasibleDsWithUserPreference')

    @property
    def configuration(self):
        return self.T.ClusterConfigInfo(dasConfig=self._das(), dasVmConfig=[],
                                        drsConfig=self._drs(), drsVmConfig=[], rule=[])

    @property
    def configurationEx(self):
        T = self.T
        return T.ClusterConfigInfoEx(
            vmSwapPlacement='vmDirectory', spbmEnabled=True,
            defaultHardwareVersionKey='vmx-21',
            dasConfig=self._das(), dasVmConfig=[], drsConfig=self._drs(), drsVmConfig=[],
            rule=[],
            orchestration=T.ClusterOrchestrationInfo(defaultVmReadiness=T.ClusterVmReadiness(
                readyCondition='none', postReadyDelay=0)),
            vmOrchestration=[],
            dpmConfigInfo=T.ClusterDpmConfigInfo(enabled=False, defaultDpmBehavior='automated',
                                                 hostPowerActionRate=3, option=[]),
            dpmHostConfig=[],
            vsanConfigInfo=T.VsanClusterConfigInfo(
                enabled=False,
                defaultConfig=T.VsanClusterConfigInfoHostDefaultInfo(autoClaimStorage=False)),
            vsanHostConfig=[T.VsanHostConfigInfo(enabled=False, hostSystem=h.ref)
                            for h in self.hosts],
            group=[],
            infraUpdateHaConfig=T.ClusterInfraUpdateHaConfigInfo(
                enabled=False, behavior='Manual', moderateRemediation='QuarantineMode',
                severeRemediation='QuarantineMode', providers=[]),
            proactiveDrsConfig=T.ClusterProactiveDrsConfigInfo(enabled=False),
            cryptoConfig=T.ClusterCryptoConfigInfo(cryptoMode='onDemand'))

    @property
    def summary(self):
        T = self.T
        totals = self.totals()
        vms = [vm for h in self.hosts for vm in h.vms]
        powered_on = [vm for vm in vms if vm.power_state == 'poweredOn']
        cpu_demand = sum(vm.usage_stats()[0] for vm in powered_on)
        mem_demand = sum(vm.usage_stats()[1] for vm in powered_on)
        return T.ClusterComputeResourceSummary(
            currentFailoverLevel=0, numVmotions=0,
            usageSummary=T.ClusterUsageSummary(
                totalCpuCapacityMhz=totals['effectiveCpu'],
                totalMemCapacityMB=totals['effectiveMemory'],
                cpuReservationMhz=0, memReservationMB=0, poweredOffCpuReservationMhz=0,
                poweredOffMemReservationMB=0, cpuDemandMhz=cpu_demand, memDemandMB=mem_demand,
                statsGenNumber=0, cpuEntitledMhz=cpu_demand, memEntitledMB=mem_demand,
                poweredOffVmCount=len(vms) - len(powered_on), totalVmCount=len(vms)),
            clusterMaintenanceModeStatus='notInMaintenanceMode', vcsHealthStatus='healthy',
            **totals)

    @property
    def summaryEx(self):
        return self.summary

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
