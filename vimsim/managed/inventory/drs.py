"""DRS of one cluster: initial placement at power-on, the balancing pass,
recommendations and the migrations that carry them out, and the evacuation
of a host entering maintenance mode.

A pass (every `-drs-interval` seconds of model time, 300 by vCenter's
default; on demand with RefreshRecommendation or the control surface) looks
at the cluster as the load model has it now:
- first the moves rules demand (a running VM on a host a rule forbids:
  rating 5, reason jointAffin / antiAffin / vmHostHardAffinity /
  vmHostSoftAffinity);
- then balancing: the imbalance is the larger of the standard deviations of
  the hosts' CPU and memory load shares (`currentBalance`, in thousandths).
  While it exceeds the migration threshold's target (`targetBalance`:
  vmotionRate 1 is the most aggressive, 5 makes moves rules demand only),
  the VM and destination among the least loaded hosts that reduce it most
  are chosen from the most loaded host, rated by the share of the imbalance
  they remove (4 for half or more ... 1); DRS keeps only moves rated at
  least vmotionRate, as vCenter documents, and stops at the first below.
Every move honours admission control (host state, virtual CPUs, host
reservations, datastores and networks) and the rules, against the cluster
as the moves already planned leave it. A VM whose DRS behaviour is
fullyAutomated (the cluster's default, or its override when overrides are
enabled) is migrated at once, through MigrateVM_Task as the system, with
DrsVmMigratedEvent and an entry in `migrationHistory`; the others' moves
become `recommendation` (and the deprecated `drsRecommendation`) until
ApplyRecommendation or CancelRecommendation, or the next pass replaces them.
At the end of a pass with DPM on (inventory/dpm.py decides), hosts go to
standby or come back: an automated host's evacuation migrates (reason
enterStandby) and PowerDownHostToStandBy_Task / PowerUpHostFromStandBy_Task
run as the system with DPM's Drs*StandbyModeEvents; a manual one's become a
ClusterHostPowerAction recommendation (powerSaving, increaseCapacity)
whose prerequisites are its evacuation's migrations, which
ApplyRecommendation carries out with it.
All of it is deterministic for an inventory, a load and the model time.
"""
import itertools
import math

from vimsim import clock
from vimsim.managed.base import Context
from vimsim.managed.inventory.dpm import PowerPlanner, dpm_behavior
from vimsim.managed.inventory.placement import (PLACEMENT_TESTS, Candidates, Rules,
                                                expected_demand, rule_fault, running_where)
from vimsim.managed.monitoring.load_model import load_model
from vimsim.managed.vm.admission import (datastore_problems, host_problems,
                                         network_problems, placement_problems,
                                         vm_reservation)
from vimsim.soap.fault import fault, localized

DEFAULT_INTERVAL = 300        # seconds between two passes: vCenter's five minutes
HISTORY_KEPT = 100            # migrationHistory entries kept, newest last
DESTINATIONS_TRIED = 8        # the least loaded hosts a balancing move may go to
MOVES_PER_HOST = 4            # a pass moves at most this many VMs per host of the cluster
STANDBY_TIMEOUT = 1800        # seconds DPM waits for a host's evacuation or its wake-up
# targetBalance by vmotionRate: the host load standard deviation DRS tolerates
TARGET_BALANCE = {1: 0.02, 2: 0.05, 3: 0.1, 4: 0.2}
RULE_REASONS = {'ClusterAffinityRuleSpec': ('jointAffin', 'Satisfy affinity rule.'),
                'ClusterAntiAffinityRuleSpec': ('antiAffin', 'Satisfy anti-affinity rule.')}
BALANCE_REASONS = {'cpu': ('fairnessCpuAvg', 'Balance average CPU loads.'),
                   'memory': ('fairnessMemAvg', 'Balance average memory loads.')}


def drs_of(cluster):
    """The Drs of a cluster, made on first use."""
    found = cluster.__dict__.get('_drs')
    if found is None:
        found = cluster._drs = Drs(cluster)
    return found


def system_context(server):
    """The context of a call the system makes (its tasks' reason is TaskReasonSystem)."""
    return Context(server, None, server.schema.version(server.api_version))


def move_rating(gain, current):
    """The rating of a balancing move removing `gain` of imbalance `current`."""
    share = gain / current if current else 0
    return 4 if share >= 0.5 else 3 if share >= 0.25 else 2 if share >= 0.1 else 1


class Move:
    """A migration DRS decided: `vm` from `source` to `destination`, why."""
    __slots__ = ('vm', 'source', 'destination', 'rating', 'reason', 'text', 'loads')

    def __init__(self, vm, source, destination, rating, reason, text, loads):
        self.vm, self.source, self.destination = vm, source, destination
        self.rating, self.reason, self.text = rating, reason, text
        self.loads = loads   # (vm cpu, vm memory, source cpu, memory, destination cpu, memory)


class HostPowerPlan:
    """A DPM recommendation's work: `operation` (powerOn, powerOff) of
    `host` after the evacuation `moves`."""
    __slots__ = ('host', 'operation', 'moves')

    def __init__(self, host, operation, moves):
        self.host, self.operation, self.moves = host, operation, moves


class Projection:
    """The cluster's usable hosts as a pass sees them, with the moves it
    planned applied: load shares of CPU and memory, reservations, where VMs
    run; the sums of the shares and of their squares give the imbalance in O(1)."""
    KINDS = ('cpu', 'memory')

    def __init__(self, cluster, hosts):
        model = load_model(cluster.server)
        self.hosts = hosts
        self.rules = Rules(cluster)
        self.where = running_where(cluster)
        self.vms = {h: [vm for vm in h.vms if vm.power_state == 'poweredOn'] for h in hosts}
        self.demand = {}
        self.share = {kind: {} for kind in self.KINDS}      # kind -> host -> share
        self.capacity = {'cpu': {h: h.cpu_capacity_mhz for h in hosts},
                         'memory': {h: h.memory_capacity_mb for h in hosts}}
        self.reserved = {}
        for host in hosts:
            sample = model.host_sample(host)
            self.share['cpu'][host] = sample.cpu_demand / host.cpu_capacity_mhz
            self.share['memory'][host] = sample.memory_usage / host.memory_capacity_mb
            self.reserved[host] = {kind: sum(vm_reservation(vm, kind) for vm in self.vms[host])
                                   for kind in self.KINDS}
            for vm in self.vms[host]:
                self.demand[vm] = expected_demand(vm, model)
        self.sums = {kind: [sum(shares.values()), sum(x * x for x in shares.values())]
                     for kind, shares in self.share.items()}

    def load(self, host):
        return max(self.share['cpu'][host], self.share['memory'][host])

    def imbalance(self):
        """(standard deviation, 'cpu' or 'memory': the larger one)."""
        n = len(self.hosts)
        if n < 2:
            return 0.0, 'cpu'
        return max((math.sqrt(max(squares / n - (total / n) ** 2, 0.0)), kind)
                   for kind, (total, squares) in self.sums.items())

    def imbalance_after(self, demand, source, destination):
        """The imbalance once a VM demanding `demand` moved."""
        n = len(self.hosts)
        worst = 0.0
        for kind, amount in zip(self.KINDS, demand):
            shares, capacity = self.share[kind], self.capacity[kind]
            total, squares = self.sums[kind]
            before_source, before_destination = shares[source], shares[destination]
            after_source = before_source - amount / capacity[source]
            after_destination = before_destination + amount / capacity[destination]
            total += after_source - before_source + after_destination - before_destination
            squares += (after_source * after_source - before_source * before_source
                        + after_destination * after_destination
                        - before_destination * before_destination)
            variance = squares / n - (total / n) ** 2
            if variance > worst * worst:
                worst = math.sqrt(variance)
        return worst

    def refusal(self, vm, host, soft=True):
        """The fault (or None) for `vm` running on `host` as planned so far."""
        problems = host_problems(vm, host) or datastore_problems(
            host, vm.datastore_objects()) or network_problems(vm, host)
        if problems:
            return problems[0]
        for kind in self.KINDS:
            wanted = vm_reservation(vm, kind)
            if wanted > 0 and self.reserved[host][kind] + wanted > host.reservable[kind]:
                return fault('InsufficientHostCapacityFault', 'The host does not have '
                             'sufficient %s resources to satisfy the reservation.'
                             % ('CPU' if kind == 'cpu' else 'memory'), host=host.ref)
        rule = self.rules.broken(vm.ref.value, host.ref.value, self.where, soft)
        return rule_fault(vm, host, rule) if rule is not None else None

    def _shift(self, vm, host, sign):
        """Add (sign 1) or take away (-1) `vm` on `host`."""
        for kind, amount in zip(self.KINDS, self.demand[vm]):
            shares = self.share[kind]
            before = shares[host]
            after = shares[host] = before + sign * amount / self.capacity[kind][host]
            self.sums[kind][0] += after - before
            self.sums[kind][1] += after * after - before * before
            self.reserved[host][kind] += sign * vm_reservation(vm, kind)
        if sign > 0:
            self.vms[host].append(vm)
            self.where[vm.ref.value] = host.ref.value
        else:
            self.vms[host].remove(vm)

    def place(self, vm, host):
        """Plan `vm`, running nowhere yet in the projection, on `host`."""
        self.demand.setdefault(vm, expected_demand(vm, load_model(vm.server)))
        self._shift(vm, host, 1)

    def move(self, vm, source, destination):
        self._shift(vm, source, -1)
        self._shift(vm, destination, 1)

    def loads(self, vm, source, destination):
        """(VM CPU MHz, memory MB, then the source's and destination's, as planned)."""
        cpu, memory = self.demand[vm]
        figures = [cpu, memory]
        for host in (source, destination):
            if host in self.share['cpu']:
                figures += [round(self.share['cpu'][host] * self.capacity['cpu'][host]),
                            round(self.share['memory'][host] * self.capacity['memory'][host])]
            else:
                figures += [0, 0]
        return tuple(figures)


class Drs:
    """What DRS keeps for one cluster (see the module doc)."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.server = cluster.server
        self.pending = {}        # key -> (ClusterRecommendation, Move or placement)
        self.history = []        # ClusterDrsMigration, newest last
        self.faults = []         # ClusterDrsFaults of the latest pass
        self.balance = (0, 0)    # (current, target) of the latest pass, thousandths
        self.vmotions = 0
        self.entering_standby = set()   # hosts whose PowerDownHostToStandBy_Task runs
        self.timer = None
        self._keys = itertools.count(1)

    # -- settings ---------------------------------------------------------------------
    @property
    def enabled(self):
        return bool(self.cluster.settings.drs.enabled)

    def behavior(self, vm):
        """The VM's DRS behaviour: its override when overrides are enabled
        ('disabled' when DRS may not touch it), else the cluster's default."""
        drs = self.cluster.settings.drs
        override = self.cluster.settings.drs_vm.get(vm.ref.value)
        if override is not None and drs.enableVmBehaviorOverrides is not False:
            if override.enabled is False:
                return 'disabled'
            return override.behavior or drs.defaultVmBehavior or 'fullyAutomated'
        return drs.defaultVmBehavior or 'fullyAutomated'

    @property
    def dpm_enabled(self):
        return self.enabled and bool(self.cluster.settings.dpm.enabled)

    def target(self):
        """The imbalance DRS tolerates (None: no balancing, vmotionRate 5)."""
        return TARGET_BALANCE.get(self.cluster.settings.drs.vmotionRate or 3)

    # -- initial placement ----------------------------------------------------------------
    def placement_host(self, vm, requested=None, excluded=()):
        """The host `vm` powers on at: `requested` when it can take it (as
        PowerOnVM_Task's `host` reads: "if this host is not compatible, the
        current host association is used"), else DRS's best when the VM's
        behaviour places it, else where it is. When DRS finds no host, the
        fault is the VM's own host's refusal (what the power-on there
        answers), else NoCompatibleHost. `excluded`: hosts nothing powers on at."""
        placing = self.enabled and self.behavior(vm) not in ('manual', 'disabled')
        if requested is not None and requested not in excluded:
            if self.enabled:
                fits = not Candidates(self.cluster, vm, hosts=[requested]).refused
            else:   # rules are DRS's: admission control alone decides
                fits = not placement_problems(vm, requested, vm.pool, PLACEMENT_TESTS)
            if fits:
                return requested
        if not placing:
            return vm.host
        found = Candidates(self.cluster, vm, excluded=excluded)
        if found.best is None:
            raise found.refused.get(vm.host) or found.no_host(vm)
        return found.best

    def recommend_power_on(self, vm):
        """A manual VM's power-on as a recommendation (PowerOnMultiVM_Task):
        an InitialPlacement action on DRS's best host."""
        found = Candidates(self.cluster, vm)
        if found.best is None:
            raise found.no_host(vm)
        T = self.cluster.T
        recommendation = self._recommendation(
            5, 'powerOnVm', 'Power on virtual machine.', T.ClusterInitialPlacementAction(
                type='PlacementV1', target=vm.ref, targetHost=found.best.ref,
                pool=vm.pool.ref if vm.pool is not None else None))
        self.pending[recommendation.key] = (recommendation, (vm, found.best))
        self.cluster.changed('recommendation')
        return recommendation

    # -- the pass ---------------------------------------------------------------------------
    def schedule(self):
        """Run passes every -drs-interval seconds of model time while DRS is
        enabled (not with -state: each pass would be journaled)."""
        if self.timer is not None and self.timer.active() or not self.enabled \
                or self.server.persistence is not None:
            return
        interval = getattr(self.server.options, 'drs_interval', DEFAULT_INTERVAL)
        self.timer = self.server.time.callLater(interval, self._scheduled)

    def _scheduled(self):
        self.timer = None
        if self.server.objects.get(self.cluster.ref) is not self.cluster:
            return   # the cluster left the inventory
        self.run_pass()
        self.schedule()

    def run_pass(self):
        """One DRS pass: plan, migrate what is automated, recommend the rest."""
        replaced = [key for key, (_, what) in self.pending.items()
                    if isinstance(what, (Move, HostPowerPlan))]
        for key in replaced:
            del self.pending[key]
        self.faults = []
        if not self.enabled:
            self.balance = (0, 0)
            self.cluster.changed('recommendation', 'drsRecommendation', 'drsFault', 'summary')
            return []
        projection = Projection(self.cluster, self.usable_hosts())
        moves = self.plan(projection)
        self.carry_out(moves)
        if self.dpm_enabled:
            planner = PowerPlanner(self.cluster, projection, self.behavior,
                                   [move.vm for move in moves])
            self.carry_out_power(planner.decisions(), projection)
        self.cluster.changed('recommendation', 'drsRecommendation', 'drsFault', 'summary')
        return moves

    def usable_hosts(self, leaving=None):
        return [h for h in self.cluster.hosts if h.effective and h is not leaving
                and h not in self.entering_standby]

    def plan(self, projection):
        """The moves of one pass over `projection` (see the module doc)."""
        moves = self._rule_moves(projection)
        target = self.target()
        current = projection.imbalance()[0]
        if target is not None:
            moves.extend(self._balancing_moves(projection, target, {m.vm for m in moves}))
        self.balance = (round(current * 1000), round(target * 1000) if target else 0)
        return moves

    def _rule_moves(self, projection):
        """Moves that bring running VMs back within the rules (rating 5)."""
        moves = []
        rules = projection.rules
        for host in projection.hosts:
            for vm in list(projection.vms[host]):
                if not rules.constrains(vm.ref.value) or self.behavior(vm) == 'disabled':
                    continue
                rule = rules.broken(vm.ref.value, host.ref.value, projection.where)
                if rule is None:
                    continue
                choices = [h for h in projection.hosts if h is not host
                           and projection.refusal(vm, h) is None]
                if not choices:
                    self._fault(vm, rule_fault(vm, host, rule))
                    continue
                destination = min(choices, key=projection.load)
                reason, text = self._rule_reason(rule)
                moves.append(Move(vm, host, destination, 5, reason, text,
                                  projection.loads(vm, host, destination)))
                projection.move(vm, host, destination)
        return moves

    def _rule_reason(self, rule):
        found = RULE_REASONS.get(type(rule).__name__)
        if found is not None:
            return found
        if rule.mandatory:
            return 'vmHostHardAffinity', 'Satisfy VM/Host affinity rule.'
        return 'vmHostSoftAffinity', 'Satisfy VM/Host affinity rule.'

    def _balancing_moves(self, projection, target, moved):
        moves = []
        rate = self.cluster.settings.drs.vmotionRate or 3
        for _ in range(MOVES_PER_HOST * len(projection.hosts)):
            current, kind = projection.imbalance()
            if current <= target:
                break
            best = self._best_move(projection, current, moved)
            if best is None:
                break
            gain, vm, source, destination = best
            rating = move_rating(gain, current)
            if rating < rate:
                break
            reason, text = BALANCE_REASONS[kind]
            moves.append(Move(vm, source, destination, rating, reason, text,
                              projection.loads(vm, source, destination)))
            projection.move(vm, source, destination)
            moved.add(vm)
        return moves

    def _best_move(self, projection, current, moved):
        """(gain, vm, source, destination) of the move off the most loaded
        host that lowers the imbalance most and is allowed; None if none
        does. VMs of equal demand give equal gains: one is scored for all."""
        order = {host: index for index, host in enumerate(self.cluster.hosts)}
        by_load = sorted(projection.hosts, key=lambda h: (projection.load(h), order[h]))
        source = by_load[-1]
        destinations = [h for h in by_load[:DESTINATIONS_TRIED] if h is not source]
        alike = {}
        for vm in sorted(projection.vms[source], key=lambda vm: vm.ref.value):
            if vm not in moved and not vm.template and self.behavior(vm) != 'disabled':
                alike.setdefault(projection.demand[vm], []).append(vm)
        scored = []
        for demand, vms in alike.items():
            for destination in destinations:
                gain = current - projection.imbalance_after(demand, source, destination)
                if gain > 1e-9:
                    scored.append((-gain, order[destination], vms[0].ref.value, vms,
                                   destination))
        scored.sort(key=lambda entry: entry[:3])
        for negative_gain, _, _, vms, destination in scored:
            for vm in vms:
                if projection.refusal(vm, destination) is None:
                    return -negative_gain, vm, source, destination
        return None

    # -- carrying moves out ------------------------------------------------------------------
    def carry_out(self, moves):
        for move in moves:
            if self.behavior(move.vm) == 'fullyAutomated':
                self.migrate(move, system_context(self.server))
            else:
                self._recommend(move)

    def _recommend(self, move):
        T = self.cluster.T
        recommendation = self._recommendation(
            move.rating, move.reason, move.text, T.ClusterMigrationAction(
                type='MigrationV1', target=move.vm.ref, drsMigration=self._migration(move)))
        self.pending[recommendation.key] = (recommendation, move)
        return recommendation

    # -- DPM's decisions ----------------------------------------------------------------------
    POWER_REASONS = {'powerOff': ('powerSaving', 'Power off host for power savings.'),
                     'powerOn': ('increaseCapacity', 'Power on host to increase cluster '
                                                     'capacity.')}

    def carry_out_power(self, decisions, projection):
        """Put hosts to standby (their evacuation first) or wake them: at
        once when DPM automates the host and DRS the VMs to move, else as
        recommendations."""
        for decision in decisions:
            moves = [Move(vm, decision.host, destination, decision.rating, 'enterStandby',
                          'Evacuate host to enter standby mode.',
                          projection.loads(vm, decision.host, destination))
                     for vm, destination in decision.evacuation]
            if dpm_behavior(self.cluster, decision.host) == 'automated' and all(
                    self.behavior(move.vm) == 'fullyAutomated' for move in moves):
                context = system_context(self.server)
                for move in moves:
                    self.migrate(move, context)
                self.power(decision.host, decision.operation, context)
                continue
            prerequisites = [self._recommend(move).key for move in moves]
            host = decision.host
            reason, text = self.POWER_REASONS[decision.operation]
            recommendation = self._recommendation(
                decision.rating, reason, text, self.cluster.T.ClusterHostPowerAction(
                    type='HostPowerV1', target=host.ref, operationType=decision.operation,
                    cpuCapacityMHz=host.cpu_capacity_mhz, memCapacityMB=host.memory_capacity_mb))
            recommendation.prerequisite = prerequisites
            self.pending[recommendation.key] = (recommendation, HostPowerPlan(
                host, decision.operation, moves))

    def power(self, host, operation, ctx):
        """Put `host` to standby (once its VMs are gone) or wake it, as DPM."""
        if operation == 'powerOn':
            task = host.PowerUpHostFromStandBy_Task(ctx, STANDBY_TIMEOUT)
        else:
            task = host.PowerDownHostToStandBy_Task(ctx, STANDBY_TIMEOUT)
            self.entering_standby.add(host)
            task.followers.append(lambda finished: self.entering_standby.discard(host))
        task.event_prefix = 'Drs'
        return task

    def _recommendation(self, rating, reason, text, action):
        return self.cluster.T.ClusterRecommendation(
            key=str(next(self._keys)), type='V1', time=clock.now(), rating=rating,
            reason=reason, reasonText=text, prerequisite=[], action=[action],
            target=self.cluster.ref)

    def _migration(self, move):
        vm_cpu, vm_memory, source_cpu, source_memory, dest_cpu, dest_memory = move.loads
        return self.cluster.T.ClusterDrsMigration(
            key=str(next(self._keys)), time=clock.now(), vm=move.vm.ref,
            cpuLoad=vm_cpu, memoryLoad=vm_memory, source=move.source.ref,
            sourceCpuLoad=source_cpu, sourceMemoryLoad=source_memory,
            destination=move.destination.ref, destinationCpuLoad=dest_cpu,
            destinationMemoryLoad=dest_memory)

    def migrate(self, move, ctx):
        """Migrate as MigrateVM_Task does, the migrated event DRS's own; the
        migration is recorded in migrationHistory when the task succeeds."""
        try:
            task = move.vm.MigrateVM_Task(ctx, 'defaultPriority', host=move.destination.ref)
        except self.server.schema.types['MethodFault'].cls as refused:
            self._fault(move.vm, refused)
            return None
        task.migrated_event = 'DrsVmMigratedEvent'
        task.followers.append(lambda finished: self._migrated(move, finished))
        return task

    def _migrated(self, move, task):
        if task.info.state != 'success':
            return
        self.vmotions += 1
        self.history.append(self._migration(move))
        del self.history[:-HISTORY_KEPT]
        self.cluster.changed('migrationHistory', 'summary')

    def _fault(self, vm, error):
        T = self.cluster.T
        self.faults.append(T.ClusterDrsFaults(reason='migrate', faultsByVm=[
            T.ClusterDrsFaultsFaultsByVm(vm=vm.ref, fault=[localized(error)])]))

    # -- recommendations ------------------------------------------------------------------------
    def take(self, key):
        """The pending recommendation `key`, removed (InvalidArgument if none)."""
        found = self.pending.pop(key, None) if isinstance(key, str) else None
        if found is None:
            raise fault('InvalidArgument', 'A specified parameter was not correct: key',
                        invalidProperty='key')
        self.cluster.changed('recommendation', 'drsRecommendation')
        return found

    def apply(self, ctx, key):
        """ApplyRecommendation: carry out the recommendation as the caller."""
        _, what = self.take(key)
        if isinstance(what, Move):
            self.migrate(what, ctx)
            return
        if isinstance(what, HostPowerPlan):   # with the evacuation not applied yet
            for move in what.moves:
                if self._pending_move(move):
                    self.migrate(move, ctx)
            self.power(what.host, what.operation, ctx)
            return
        vm, host = what
        vm.PowerOnVM_Task(ctx, host=host.ref)

    def _pending_move(self, move):
        """Take `move`'s recommendation out of the pending ones; whether it was there."""
        for key, (_, what) in list(self.pending.items()):
            if what is move:
                del self.pending[key]
                return True
        return False

    def recommendations(self):
        return [recommendation for recommendation, _ in self.pending.values()]

    def drs_recommendations(self):
        """The migrations as the deprecated ClusterDrsRecommendation."""
        T = self.cluster.T
        return [T.ClusterDrsRecommendation(
            key=recommendation.key, rating=recommendation.rating, reason=recommendation.reason,
            reasonText=recommendation.reasonText,
            migrationList=[recommendation.action[0].drsMigration])
            for recommendation, what in self.pending.values() if isinstance(what, Move)]

    # -- maintenance mode ----------------------------------------------------------------------
    def evacuate(self, host, everything=False):
        """Move the VMs off a host entering maintenance mode: powered-on ones
        (and, `everything`, the others) to the hosts that take them as the
        cluster stands; automated ones migrate at once, the others become
        recommendations (reason hostMaint). Raises the first VM's fault
        when some VM cannot go anywhere, moving none."""
        targets = self.usable_hosts(leaving=host)
        projection = Projection(self.cluster, targets + [host])
        projection.hosts = targets
        moves, refused = self.plan_evacuation(host, projection, everything)
        if refused:
            raise refused[0][1]
        self.carry_out(moves)
        self.cluster.changed('recommendation', 'drsRecommendation')
        return moves

    def maintenance_plan(self, hosts, everything=False):
        """ClusterEnterMaintenanceMode: {host: its evacuation's moves} for
        the `hosts` that can all be vacated at once (none of them takes
        another's VMs), and [(host, vm or None, fault)] for the others."""
        targets = [h for h in self.usable_hosts() if h not in hosts]
        projection = Projection(self.cluster, targets + [h for h in hosts if h.effective])
        projection.hosts = targets
        plans, refused = {}, []
        for host in hosts:
            moves, faults = self.plan_evacuation(host, projection, everything)
            if faults:
                refused.extend((host, vm, error) for vm, error in faults)
                for move in reversed(moves):
                    if move.vm.power_state == 'poweredOn':
                        projection.move(move.vm, move.destination, host)
            else:
                plans[host] = moves
        return plans, refused

    def plan_evacuation(self, host, projection, everything):
        """(moves, [(vm, fault)]): the VMs of `host` (powered-on ones, and
        with `everything` the others) to the projection's hosts that take
        them, planned in it; stops at the first VM that has nowhere to go."""
        targets = projection.hosts
        moves = []
        for vm in list(host.vms):
            running = vm.power_state == 'poweredOn'
            if not running and not everything:
                continue
            refusals = {}
            for candidate in sorted(targets, key=lambda h: (projection.load(h),
                                                            self.cluster.hosts.index(h))):
                refused = projection.refusal(vm, candidate, soft=False) if running else \
                    (host_problems(vm, candidate, running=False)
                     or datastore_problems(candidate, vm.datastore_objects()) or [None])[0]
                if refused is None:
                    loads = projection.loads(vm, host, candidate) if running else (0,) * 6
                    moves.append(Move(vm, host, candidate, 5, 'hostMaint',
                                      'Host is entering maintenance mode.', loads))
                    if running:
                        projection.move(vm, host, candidate)
                    break
                refusals[candidate] = refused
            else:
                if not refusals:
                    return moves, [(vm, fault(
                        'NoActiveHostInCluster', 'No host in the cluster is available to run '
                        'the virtual machine.', computeResource=self.cluster.ref))]
                return moves, [(vm, fault(
                    'NoCompatibleHost', "No host is compatible with the virtual machine '%s'."
                    % vm.name, host=[h.ref for h in refusals],
                    error=[localized(error) for error in refusals.values()]))]
        return moves, []

    def maintenance_recommendation(self, host, moves):
        """ClusterEnterMaintenanceMode's recommendation for `host`: its
        maintenance action and the migrations evacuating it (not kept:
        vCenter does not apply these)."""
        T = self.cluster.T
        recommendation = self._recommendation(
            5, 'hostMaint', 'Host is entering maintenance mode.',
            T.ClusterAction(type='HostMaintenanceV1', target=host.ref))
        recommendation.action.extend(T.ClusterMigrationAction(
            type='MigrationV1', target=move.vm.ref, drsMigration=self._migration(move))
            for move in moves)
        return recommendation

    # -- the summary's figures -------------------------------------------------------------------
    def scores(self):
        """(drsScore, numVmsPerDrsScoreBucket): a VM's score is the share of
        its CPU demand it gets (the load model's contention), in five buckets."""
        model = load_model(self.server)
        buckets = [0] * 5
        total = count = 0
        for host in self.cluster.hosts:
            share = model.host_sample(host).vm_share
            score = round(100 * share)
            for vm in host.vms:
                if vm.power_state == 'poweredOn':
                    buckets[min(score // 20, 4)] += 1
                    total += score
                    count += 1
        return (round(total / count) if count else 100), buckets
