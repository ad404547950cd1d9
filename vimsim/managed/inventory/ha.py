"""vSphere HA of one cluster: host failures and what follows them (restarts
by priority, the isolation response, datastore all-paths-down), recovery,
admission control of power-ons against the failover capacity, and the FDM
agents' states.

Failures come from the control surface (vimsim/control.py). A host that
loses power or its network stops responding (connectionState notResponding,
HostConnectionLostEvent); with HA enabled and host monitoring on,
DasHostFailedEvent (or DasHostIsolatedEvent) follows and the host's
protected VMs (restart priority not disabled) restart on the surviving hosts,
highest priority first (then by name), a lower priority, and a VM that a
dependency rule makes wait, only once the VMs before it are ready
(ClusterVmReadiness, `Wave`), each where DRS placement would put it
(inventory/placement.py: admission control's host and pool checks, the
rules, the load): VmRestartedOnAlternateHostEvent, or
NotEnoughResourcesToStartVmEvent when capacity is gone (VmFailoverFailed
for another reason); the VMs that could not restart are retried when a host
recovers. An isolated host's VMs follow their isolation response: 'none'
keeps them running there, 'powerOff' and 'shutdown' stop them and HA restarts
them elsewhere. A datastore all-paths-down on some hosts terminates and
restarts the VMs with files on it when VM component protection is on and
their APD response restarts them. Recovery reconnects the host (HostConnectedEvent)
and runs a DRS pass, which rebalances. VM monitoring resets a guest whose
tools heartbeats stopped (`heartbeat_stopped`) by its
ClusterVmToolsMonitoringSettings.

Admission control (ClusterDasConfigInfo.admissionControlEnabled) refuses a
power-on that would leave too little for the configured failures with
InsufficientFailoverResourcesFault: slots (ClusterFailoverLevelAdmissionControlPolicy:
slot size the largest CPU and memory reservation of the running VMs, at
least 32 MHz and their overhead; the hosts' slots less those of the
`failoverLevel` largest hosts must hold every running VM), percentages of
the cluster's CPU and memory (ClusterFailoverResourcesAdmissionControlPolicy;
with autoComputePercentages, failoverLevel / hosts), or dedicated failover
hosts (ClusterFailoverHostAdmissionControlPolicy: no VM powers on there).
The FDM master is elected when HA is enabled and when the master stops
being active (`elect`): it stays master when the failed host comes back.
"""
import copy
import math

from vimsim import clock
from vimsim.managed.inventory.drs import Projection, drs_of
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.managed.monitoring.load_model import VM_MEMORY_OVERHEAD_MB
from vimsim.managed.vm.admission import pool_problems
from vimsim.managed.vm.fault_tolerance import host_lost
from vimsim.managed.vm.provisioning import event_argument
from vimsim.soap.fault import fault, localized

PRIORITIES = ('highest', 'high', 'medium', 'low', 'lowest')
FAILURES = ('power', 'isolation')
MIN_SLOT_CPU_MHZ = 32     # vCenter's slot CPU when no VM reserves CPU


def ha_of(cluster):
    """The Ha of a cluster, made on first use."""
    found = cluster.__dict__.get('_ha')
    if found is None:
        found = cluster._ha = Ha(cluster)
    return found


def failover_fault():
    return fault('InsufficientFailoverResourcesFault', 'Insufficient resources to satisfy '
                 'configured failover level for vSphere HA.')


def inaccessible(host, datastore):
    """The fault of a datastore `host` lost all paths to."""
    return fault('DatastoreNotWritableOnHost', "The datastore '%s' is not accessible on the "
                 'host.' % datastore.name, datastore=datastore.ref, name=datastore.name,
                 host=host.ref)


class Ha:
    """What HA keeps for one cluster (see the module doc)."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.server = cluster.server
        self.failed = {}      # host -> 'power' or 'isolation'
        self.unrestarted = []   # VMs HA could not restart yet, with the host they failed on
        self.resets = {}        # VM -> model seconds VM monitoring reset it at
        self.elected = None     # the FDM master host
        self.short = False      # the failover capacity does not hold (its event was posted)
        self.failing = False    # fail_host is under way

    @property
    def das(self):
        return self.cluster.settings.das

    @property
    def protecting(self):
        return bool(self.das.enabled) and self.das.hostMonitoring != 'disabled'

    def _vm_setting(self, vm, name):
        """A VM's HA setting: its override's, unless it defers to the cluster's."""
        override = self.cluster.settings.das_vm.get(vm.ref.value)
        own = getattr(override.dasSettings, name, None) \
            if override is not None and override.dasSettings is not None else None
        if name == 'restartPriority' and own is None and override is not None:
            own = override.restartPriority
        if own is None or isinstance(own, str) and own.startswith('cluster'):
            own = getattr(self.das.defaultVmSettings, name, None) \
                if self.das.defaultVmSettings is not None else None
        return own

    def restart_priority(self, vm):
        return self._vm_setting(vm, 'restartPriority') or 'medium'

    def isolation_response(self, vm):
        return self._vm_setting(vm, 'isolationResponse') or 'none'

    def _post(self, type_name, entity, **fields):
        return event_manager(self.server).post(type_name, entity, **fields)

    def _host_argument(self, host):
        return event_argument(self.server, 'HostEventArgument', 'host', host)

    # -- failures --------------------------------------------------------------------------
    def fail_host(self, host, failure):
        """A host loses power or its network (see the module doc)."""
        if failure not in FAILURES:
            raise ValueError('failure is one of %s' % ', '.join(FAILURES))
        if host in self.failed or host.connection_state != 'connected':
            raise ValueError('host %s is not connected' % host.name)
        self.failed[host] = failure
        vms = [vm for vm in host.vms if vm.power_state == 'poweredOn']
        if failure == 'power':
            host.power_state = 'unknown'
        self.failing = True       # the capacity is judged once HA has acted
        try:
            host.set_connection_state('notResponding')
        finally:
            self.failing = False
        self._post('HostConnectionLostEvent', host)
        self._agents_changed()
        if not self.protecting:
            self.check_failover_capacity()
            return
        if failure == 'power':
            self._post('DasHostFailedEvent', self.cluster, failedHost=self._host_argument(host))
            vms = [vm for vm in vms if not host_lost(vm)]   # FT fails over by itself
            for vm in vms:   # they died with the host
                vm.set_power_state('poweredOff')
            self.restart(vms, host)
            self.check_failover_capacity()
            return
        self._post('DasHostIsolatedEvent', self.cluster, isolatedHost=self._host_argument(host))
        stopped = []
        for vm in vms:
            response = self.isolation_response(vm)
            if response == 'none':
                continue
            self._post('VmGuestShutdownEvent' if response == 'shutdown' else 'VmStoppingEvent',
                       vm)
            vm.set_power_state('poweredOff')
            self._post('VmPoweredOffEvent', vm)
            stopped.append(vm)
        self.restart(stopped, host)
        self.check_failover_capacity()

    def lose_datastore(self, datastore, hosts):
        """All paths down to `datastore` from `hosts`: with VM component
        protection, its VMs there restart where the datastore is reachable."""
        datastore.set_paths_down(datastore.paths_down | set(hosts))
        for host in hosts:
            self._post('EventEx', host, eventTypeId='esx.problem.storage.apd.start',
                       severity='warning', message='Device or filesystem %s has entered the '
                       'All Paths Down state.' % datastore.name,
                       ds=event_argument(self.server, 'DatastoreEventArgument', 'datastore',
                                         datastore))
        if not self.das.enabled or self.das.vmComponentProtecting != 'enabled':
            return
        for host in hosts:
            victims = [vm for vm in host.vms if vm.power_state == 'poweredOn'
                       and datastore in vm.datastore_objects()
                       and self._apd_response(vm) in ('restartConservative', 'restartAggressive')]
            for vm in victims:
                self._post('VmPoweredOffEvent', vm)
                vm.set_power_state('poweredOff')
            self.restart(victims, host)

    def _apd_response(self, vm):
        settings = self._vm_setting(vm, 'vmComponentProtectionSettings')
        return getattr(settings, 'vmStorageProtectionForAPD', None) or 'disabled'

    def restore_datastore(self, datastore):
        datastore.set_paths_down(())
        self._retry()

    def recover_host(self, host):
        """The host is back: connected and powered on; VMs that died with it
        are off; HA restarts what it could not; DRS rebalances."""
        failure = self.failed.pop(host, None)
        if failure is None:
            raise ValueError('host %s has not failed' % host.name)
        if failure == 'power':
            host.power_state = 'poweredOn'
            for vm in host.vms:
                if vm.power_state == 'poweredOn':   # not protected: it died all the same
                    vm.set_power_state('poweredOff')
        host.set_connection_state('connected')
        self._post('HostConnectedEvent', host)
        self._agents_changed()
        self._retry()
        self.check_failover_capacity()
        drs_of(self.cluster).run_pass()

    # -- restarts --------------------------------------------------------------------------------
    def restart(self, vms, source):
        """Restart `vms` (powered off now) elsewhere, in the order of
        priorities and dependency rules (`Wave`), each on the host DRS
        placement ranks best as the restarts before it left the cluster
        (admission control's host and pool checks, the rules; should rules
        give way when nothing else fits)."""
        protected = [vm for vm in vms if self.restart_priority(vm) != 'disabled']
        protected.sort(key=lambda vm: (self.tier(vm), vm.name, vm.ref.value))
        if protected:
            Wave(self, protected, source).step()

    def tier(self, vm):
        """The rank of a VM's restart priority, highest first."""
        priority = self.restart_priority(vm)
        return PRIORITIES.index(priority) if priority in PRIORITIES else len(PRIORITIES)

    def released_at(self, vm, started):
        """The model second from which a VM restarted at `started` no longer
        holds back the VMs waiting for it: once ready (its ClusterVmReadiness:
        a simulated guest's heartbeat is green as it powers on, its
        applications never report) and its postReadyDelay passed, or its
        restartPriorityTimeout (-1: none) ran out; inf when neither comes."""
        default = self.cluster.settings.orchestration.defaultVmReadiness
        override = self.cluster.settings.vm_orchestration.get(vm.ref.value)
        own = override.vmReadiness if override is not None else None
        condition = getattr(own, 'readyCondition', None)
        if condition in (None, 'useClusterDefault'):
            condition = default.readyCondition
        delay = getattr(own, 'postReadyDelay', None)
        if delay is None or delay < 0:
            delay = default.postReadyDelay or 0
        ready = math.inf if condition == 'appHbStatusGreen' else started + delay
        timeout = self._vm_setting(vm, 'restartPriorityTimeout')
        return ready if timeout is None or timeout < 0 else min(ready, started + timeout)

    def dependencies(self, vms):
        """{VM: the VMs among `vms` its enabled dependency rules make it wait for}."""
        settings = self.cluster.settings
        T = self.cluster.T
        members = {name: {ref.value for ref in group.vm or ()}
                   for name, group in settings.groups.items()
                   if isinstance(group, T.ClusterVmGroup)}
        by_moid = {vm.ref.value: vm for vm in vms}
        found = {}
        for rule in settings.rules.values():
            if not isinstance(rule, T.ClusterDependencyRuleInfo) or not rule.enabled:
                continue
            awaited = {by_moid[moid] for moid in members.get(rule.dependsOnVmGroup, ())
                       if moid in by_moid}
            for moid in members.get(rule.vmGroup, ()):
                if moid in by_moid and awaited:
                    found.setdefault(by_moid[moid], set()).update(awaited)
        return found

    def _restart_one(self, vm, source, projection, order):
        refused = {}
        lost = {host: ds for ds in vm.datastore_objects() if ds is not None
                for host in ds.paths_down}
        ranked = sorted(projection.hosts, key=lambda h: (projection.load(h), order[h]))
        for soft in (True, False):
            for host in ranked:
                problem = (inaccessible(host, lost[host]) if host in lost else None) \
                    or projection.refusal(vm, host, soft) \
                    or next(iter(pool_problems(vm, vm.pool)), None)
                if problem is None:
                    projection.place(vm, host)
                    vm.register_on(host)
                    vm.set_power_state('poweredOn')
                    self._post('VmRestartedOnAlternateHostEvent', vm,
                               sourceHost=self._host_argument(source))
                    return True
                refused[host] = problem
        self._not_restarted(vm, source, refused)
        return False

    def _not_restarted(self, vm, source, refused):
        errors = list(refused.values())
        if (vm, source) not in self.unrestarted:
            self.unrestarted.append((vm, source))
        resources = self.server.schema.types['InsufficientResourcesFault'].cls
        if not errors or any(isinstance(error, resources) for error in errors):
            self._post('NotEnoughResourcesToStartVmEvent', vm,
                       reason='Insufficient resources to fail over this virtual machine.')
        else:
            self._post('VmFailoverFailed', vm, reason=localized(fault(
                'NoCompatibleHost', "No host is compatible with the virtual machine '%s'."
                % vm.name, host=[h.ref for h in refused],
                error=[localized(error) for error in errors])))

    def _retry(self):
        waiting, self.unrestarted = self.unrestarted, []
        by_source = {}
        for vm, source in waiting:
            if self.server.objects.get(vm.ref) is vm and vm.power_state != 'poweredOn':
                by_source.setdefault(source, []).append(vm)
        for source, vms in by_source.items():
            self.restart(vms, source)

    # -- VM monitoring ----------------------------------------------------------------------
    def tools_monitoring(self, vm):
        """The ClusterVmToolsMonitoringSettings that apply to `vm`, or None
        when its tools heartbeats are not monitored: the cluster's
        (vmMonitoring, defaultVmSettings) unless its override says
        clusterSettings false, field by field."""
        if not self.das.enabled:
            return None
        default = self.das.defaultVmSettings.vmToolsMonitoringSettings \
            if self.das.defaultVmSettings is not None else None
        override = self.cluster.settings.das_vm.get(vm.ref.value)
        own = override.dasSettings.vmToolsMonitoringSettings \
            if override is not None and override.dasSettings is not None else None
        state = self.das.vmMonitoring
        if own is not None and own.clusterSettings is False:
            state = own.vmMonitoring or state
        if state not in ('vmMonitoringOnly', 'vmAndAppMonitoring'):
            return None
        settings = copy.copy(default) if default is not None \
            else self.cluster.T.ClusterVmToolsMonitoringSettings()
        if own is not None and own.clusterSettings is False:
            for name in ('failureInterval', 'minUpTime', 'maxFailures', 'maxFailureWindow'):
                if getattr(own, name) is not None:
                    setattr(settings, name, getattr(own, name))
        return settings

    def heartbeat_stopped(self, vm):
        """A monitored VM's guest stopped heartbeating: reset it once none
        came for failureInterval seconds and it has run minUpTime (not with
        -state, as DRS passes: the model timer would not survive a snapshot)."""
        settings = self.tools_monitoring(vm)
        if settings is None or self.server.persistence is not None:
            return
        boot = clock.microseconds_of(vm.boot_time) / 1e6 if vm.boot_time is not None else 0
        due = max(vm.heartbeat_stopped + (settings.failureInterval or 0),
                  boot + (settings.minUpTime or 0))
        self.server.time.callLater(max(due - self.server.time.seconds(), 0),
                                   self._heartbeat_due, vm, vm.heartbeat_stopped)

    def _heartbeat_due(self, vm, stopped):
        """Reset the VM (VmDasBeingResetEvent) unless it came back, left the
        cluster, or was reset maxFailures times within maxFailureWindow."""
        if self.server.objects.get(vm.ref) is not vm or vm.heartbeat_stopped != stopped \
                or vm.power_state != 'poweredOn' or vm.host.compute_resource is not self.cluster:
            return
        settings = self.tools_monitoring(vm)
        if settings is None:
            return
        now = self.server.time.seconds()
        window = settings.maxFailureWindow if settings.maxFailureWindow is not None else -1
        resets = [at for at in self.resets.get(vm, ()) if window < 0 or at > now - window]
        if settings.maxFailures is not None and len(resets) >= settings.maxFailures:
            self.resets[vm] = resets
            return
        self.resets[vm] = resets + [now]
        self._post('VmDasBeingResetEvent', vm, reason='guestOsCrashFailure'
                   if vm.kernel_crashed else 'vmtoolsHeartbeatFailure')
        vm.reboot_guest()

    # -- agents ------------------------------------------------------------------------------
    def master(self):
        """The FDM master (None without HA or an active host)."""
        if self.das.enabled and self.elected is None:
            self.elect()
        return self.elected if self.das.enabled else None

    def elect(self):
        """An election among the active hosts (connected, powered on, not in
        maintenance or standby): the most datastores reachable wins, then
        the lexically highest moid, as FDM elects."""
        active = [h for h in self.cluster.hosts if h.effective] if self.das.enabled else []
        self.elected = max(active, key=lambda h: (
            sum(1 for ds in h.datastores if ds.accessible_on(h)), h.ref.value), default=None)

    def hosts_changed(self):
        """A master that stops being active is replaced; a master stays
        master when the others come and go. The failover capacity may go
        or come back."""
        if self.elected is not None and (not self.elected.effective
                                         or self.elected not in self.cluster.hosts):
            self.elect()
            self._agents_changed()
        if not self.failing:
            self.check_failover_capacity()

    def enabled_changed(self):
        """HA switched on (an election) or off (no agents)."""
        self.elect()
        self._agents_changed()

    def check_failover_capacity(self):
        """InsufficientFailoverResourcesEvent when the failover capacity
        admission control keeps stops holding (a host failed, went to
        maintenance or standby, the policy changed), FailoverLevelRestored
        when it holds again; nothing while HA or its admission control is off."""
        policy = self._admission_policy()
        if policy is None:
            self.short = False
            return
        if isinstance(policy, self.cluster.T.ClusterFailoverHostAdmissionControlPolicy):
            short = not all(h.effective for h in self.failover_hosts())
        else:
            short = not self._capacity_holds(policy)
        if short != self.short:
            self.short = short
            self._post('InsufficientFailoverResourcesEvent' if short else 'FailoverLevelRestored',
                       self.cluster)

    def host_state(self, host):
        """The host's ClusterDasFdmHostState (None without HA), and who
        reports it: the master of its slaves and of hosts down, a host of
        itself as master or isolated; vCenter (unset) of a host outside the
        fault domain (disconnected, in maintenance or standby:
        uninitialized). HA is on (compute_resource.das_host_state asks)."""
        master = self.master()
        failure = self.failed.get(host)
        reporter = master
        if failure == 'power':
            state = 'hostDown'
        elif failure == 'isolation':
            state, reporter = 'networkIsolated', host
        elif host.maintenance or host.power_state != 'poweredOn' \
                or host.connection_state == 'disconnected':
            state, reporter = 'uninitialized', None
        elif host.connection_state != 'connected':
            state = 'fdmUnreachable'
        else:
            state = 'master' if host is master else 'connectedToMaster'
        return self.cluster.T.ClusterDasFdmHostState(
            state=state, stateReporter=reporter.ref if reporter is not None else None)

    def _agents_changed(self):
        for host in self.cluster.hosts:
            host.changed('runtime')
        self.cluster.changed('summary', 'summaryEx')

    # -- admission control -------------------------------------------------------------------
    def good_hosts(self, without=()):
        return [h for h in self.cluster.hosts if h.effective and h not in without]

    def slot(self, extra=None):
        """(CPU MHz, memory MB) of a slot: the largest reservations of the
        running VMs (and `extra`)."""
        vms = self._running() + ([extra] if extra is not None else [])
        cpu = max([vm.cpu_reservation for vm in vms] + [MIN_SLOT_CPU_MHZ])
        memory = max([vm.memory_reservation for vm in vms] + [0]) + VM_MEMORY_OVERHEAD_MB
        return cpu, memory

    def _running(self):
        return [vm for h in self.cluster.hosts for vm in h.vms if vm.power_state == 'poweredOn']

    def host_slots(self, slot, without=()):
        cpu, memory = slot
        return [(h, min(h.cpu_capacity_mhz // cpu, h.memory_capacity_mb // memory))
                for h in self.good_hosts(without)]

    def failover_level(self):
        """The host failures the running VMs' slots survive now, up to the
        configured level (summary.currentFailoverLevel)."""
        slots = sorted((count for _, count in self.host_slots(self.slot())), reverse=True)
        used = len(self._running())
        level = 0
        while level < min(len(slots) - 1, self._configured_level()) \
                and sum(slots[level + 1:]) >= used:
            level += 1
        return level

    def _configured_level(self):
        policy = self.das.admissionControlPolicy
        return getattr(policy, 'failoverLevel', None) or self.das.failoverLevel or 1

    def percentages(self, extra=None, without=()):
        """(CPU, memory) percent of the good hosts' capacity (but `without`'s)
        left unreserved (with `extra` running too)."""
        hosts = self.good_hosts(without)
        cpu_capacity = sum(h.cpu_capacity_mhz for h in hosts)
        memory_capacity = sum(h.memory_capacity_mb for h in hosts)
        vms = self._running() + ([extra] if extra is not None else [])
        cpu = sum(max(vm.cpu_reservation, MIN_SLOT_CPU_MHZ) for vm in vms)
        memory = sum(vm.memory_reservation + VM_MEMORY_OVERHEAD_MB for vm in vms)
        if not cpu_capacity or not memory_capacity:
            return 0, 0
        return (100 - min(100, cpu * 100 // cpu_capacity),
                100 - min(100, memory * 100 // memory_capacity))

    def required_percentages(self):
        policy = self.das.admissionControlPolicy
        if policy.autoComputePercentages:
            hosts = max(len(self.cluster.hosts), 1)
            share = min(100, -(-100 * self._configured_level() // hosts))
            return share, share
        return policy.cpuFailoverResourcesPercent or 0, policy.memoryFailoverResourcesPercent or 0

    def power_on_problem(self, vm, host):
        """InsufficientFailoverResourcesFault when `vm` running on `host`
        breaks the failover capacity; None otherwise or without HA admission."""
        policy = self._admission_policy()
        if policy is None:
            return None
        if isinstance(policy, self.cluster.T.ClusterFailoverHostAdmissionControlPolicy):
            held = host is not None and host.ref in (policy.failoverHosts or ())
        else:
            held = not self._capacity_holds(policy, vm)
        return failover_fault() if held else None

    def allows_standby(self, hosts):
        """Whether admission control lets `hosts` go to standby (DPM): the
        failover capacity the running VMs need holds without them, and no
        dedicated failover host goes."""
        policy = self._admission_policy()
        if policy is None:
            return True
        if isinstance(policy, self.cluster.T.ClusterFailoverHostAdmissionControlPolicy):
            return not any(host.ref in (policy.failoverHosts or ()) for host in hosts)
        return self._capacity_holds(policy, without=hosts)

    def _admission_policy(self):
        das = self.das
        return das.admissionControlPolicy if das.enabled and das.admissionControlEnabled \
            else None

    def _capacity_holds(self, policy, extra=None, without=()):
        """Whether the failover capacity of a percentage or failover-level
        policy holds with `extra` running too and the hosts `without` gone."""
        if isinstance(policy, self.cluster.T.ClusterFailoverResourcesAdmissionControlPolicy):
            left = self.percentages(extra, without)
            return all(have >= need for have, need in zip(left, self.required_percentages()))
        slots = sorted((count for _, count in self.host_slots(self.slot(extra), without)),
                       reverse=True)
        running = len(self._running()) + (extra is not None)
        return sum(slots[self._configured_level():]) >= running

    def failover_hosts(self):
        policy = self.das.admissionControlPolicy
        T = self.cluster.T
        if self.das.enabled and isinstance(policy, T.ClusterFailoverHostAdmissionControlPolicy):
            return [h for h in self.cluster.hosts if h.ref in (policy.failoverHosts or ())]
        return []

    def heartbeat_datastores(self):
        """[(datastore, hosts)]: the heartbeat datastores each good host
        uses, das.heartbeatDsPerHost of them (2 to 5, default 2), chosen by
        hBDatastoreCandidatePolicy among the feasible ones (mounted by more
        than one host of the cluster, reachable from the host): the user's
        heartbeatDatastore only, those first, or all alike; then the most
        widely mounted first, by name."""
        hosts = self.good_hosts()
        mounts = {}
        for host in self.cluster.hosts:
            for ds in host.datastores:
                mounts[ds] = mounts.get(ds, 0) + 1
        chosen = {ref.value: index for index, ref in enumerate(self.das.heartbeatDatastore or ())
                  if ref.type == 'Datastore'}
        policy = self.das.hBDatastoreCandidatePolicy or 'allFeasibleDsWithUserPreference'
        if policy == 'allFeasibleDs':
            chosen = {}

        def rank(ds):
            preferred = chosen.get(ds.ref.value)
            return (preferred is None, preferred or 0, -mounts[ds], ds.name)

        found = {}
        for host in hosts:
            feasible = [ds for ds in host.datastores if mounts[ds] > 1 and ds.accessible_on(host)
                        and (policy != 'userSelectedDs' or ds.ref.value in chosen)]
            for ds in sorted(feasible, key=rank)[:self._heartbeats_per_host()]:
                found.setdefault(ds, []).append(host)
        return sorted(found.items(), key=lambda item: rank(item[0]))

    def _heartbeats_per_host(self):
        for option in self.das.option or ():
            if (option.key or '').lower() == 'das.heartbeatdsperhost':
                try:
                    return min(max(int(str(option.value)), 2), 5)
                except ValueError:
                    break
        return 2

    def advanced_runtime_info(self):
        """RetrieveDasAdvancedRuntimeInfo: slots under the failover-level
        policy; the heartbeat datastores."""
        T = self.cluster.T
        hosts = self.good_hosts()
        heartbeat = [T.DasHeartbeatDatastoreInfo(datastore=ds.ref, hosts=[h.ref for h in users])
                     for ds, users in self.heartbeat_datastores()]
        policy = self.das.admissionControlPolicy
        if not isinstance(policy, T.ClusterFailoverLevelAdmissionControlPolicy):
            return T.ClusterDasAdvancedRuntimeInfo(heartbeatDatastoreInfo=heartbeat)
        slot = self.slot()
        host_slots = self.host_slots(slot)
        total = sum(count for _, count in host_slots)
        used = len(self._running())
        reserved = sum(sorted((c for _, c in host_slots), reverse=True)[
            :self._configured_level()])
        return T.ClusterDasFailoverLevelAdvancedRuntimeInfo(
            heartbeatDatastoreInfo=heartbeat,
            slotInfo=T.ClusterDasFailoverLevelAdvancedRuntimeInfoSlotInfo(
                numVcpus=max([vm.num_cpu for vm in self._running()] + [1]),
                cpuMHz=slot[0], memoryMB=slot[1]),
            totalSlots=total, usedSlots=used, unreservedSlots=max(total - used - reserved, 0),
            totalVms=used, totalHosts=len(self.cluster.hosts), totalGoodHosts=len(hosts),
            hostSlots=[T.ClusterDasFailoverLevelAdvancedRuntimeInfoHostSlots(
                host=h.ref, slots=count) for h, count in host_slots])


class Wave:
    """The restarts after one failure, in vCenter's order (ClusterOrchestrationInfo):
    a VM starts once every VM of a higher restart priority in the wave has
    started and is released (`Ha.released_at`) or could not restart, and
    every VM its dependency rules name has started and is released. Each
    step restarts what may start now and sets a model timer for the next
    release; VMs still waiting when none will come (a dependency that could
    not restart, a readiness never met) are retried when a host recovers.
    A VM of a higher priority still waiting for a dependency does not hold
    lower priorities back (the API reference forbids such rules; so they
    cannot deadlock)."""

    def __init__(self, ha, vms, source):
        self.ha = ha
        self.source = source
        self.waiting = vms               # by priority, then name
        self.tier = {vm: ha.tier(vm) for vm in vms}
        self.depends = ha.dependencies(vms)
        self.released = {}               # VM started -> model second it stops holding back
        self.latest = {}                 # tier -> the latest release of its VMs started

    def step(self):
        ha = self.ha
        now = ha.server.time.seconds()
        order = {host: index for index, host in enumerate(ha.cluster.hosts)}
        projection = None
        progressed = True
        while progressed and self.waiting:
            progressed = False
            for vm in list(self.waiting):
                if not self._may_start(vm, now):
                    continue
                self.waiting.remove(vm)
                progressed = True
                if ha.server.objects.get(vm.ref) is not vm or vm.power_state == 'poweredOn':
                    self._release(vm, now)   # gone, or a client powered it on meanwhile
                    continue
                if projection is None:
                    projection = Projection(ha.cluster, [h for h in ha.cluster.hosts
                                                         if h.effective])
                if ha._restart_one(vm, self.source, projection, order):
                    self._release(vm, ha.released_at(vm, now))
        coming = [at for at in self.released.values() if now < at < math.inf]
        if self.waiting and coming:
            ha.server.time.callLater(min(coming) - now, self.step)
        elif self.waiting:
            ha.unrestarted.extend((vm, self.source) for vm in self.waiting
                                  if (vm, self.source) not in ha.unrestarted)
            self.waiting = []

    def _release(self, vm, at):
        self.released[vm] = at
        tier = self.tier[vm]
        self.latest[tier] = max(self.latest.get(tier, -math.inf), at)

    def _may_start(self, vm, now):
        tier = self.tier[vm]
        if any(at > now for higher, at in self.latest.items() if higher < tier):
            return False
        return all(self.released.get(awaited, math.inf) <= now
                   for awaited in self.depends.get(vm, ()))
