"""DPM of one cluster: which hosts go to standby when the cluster's demand
lets them and which come back when it rises, decided at the end of each DRS
pass on the cluster as the pass left it (drs.py carries the decisions out).

vCenter's DPM keeps every powered-on host's utilisation (the larger of its
CPU and memory demand over capacity) within the target band
DemandCapacityRatioTarget ± DemandCapacityRatioToleranceHost, 63 % ± 18 %
by default (DPM advanced options in `dpmConfigInfo.option`, in percent):
- a host above the band asks for capacity: the first host of the cluster in
  standby that DPM may power on comes back (reason increaseCapacity), rated
  5 when demand exceeds that host's capacity, 4 above halfway from the
  band's top to full, 3 otherwise;
- with no host above the band, the least loaded host below it goes to
  standby (powerSaving) when its running VMs can all move to the hosts that
  stay, each landing within the band (on a host that already takes VMs in
  this pass first, else the least loaded), by admission control and the
  mandatory rules, and HA admission control keeps its failover capacity
  without it; rated by the mean utilisation of the hosts that stay: 4 when
  it is still below the band, 3 up to the target, 2 up to halfway to the
  band's top, 1 above; then the next least loaded, until none qualifies.
DPM keeps only decisions rated at least hostPowerActionRate (as DRS's
vmotionRate). A host's DPM behaviour is its dpmHostConfig override (enabled
false: DPM leaves the host alone), else the cluster's defaultDpmBehavior;
an automated power-off evacuates only VMs DRS migrates on its own.
"""
TARGET_PERCENT = 63       # DemandCapacityRatioTarget
TOLERANCE_PERCENT = 18    # DemandCapacityRatioToleranceHost


class HostPower:
    """A host power decision: `operation` powerOn or powerOff of `host`,
    its rating, and for a power-off the evacuation it needs, as
    (vm, destination) pairs."""
    __slots__ = ('host', 'operation', 'rating', 'evacuation')

    def __init__(self, host, operation, rating, evacuation=()):
        self.host, self.operation, self.rating = host, operation, rating
        self.evacuation = list(evacuation)


def dpm_behavior(cluster, host):
    """'automated', 'manual' or 'disabled' (DPM leaves the host alone)."""
    dpm = cluster.settings.dpm
    override = cluster.settings.dpm_host.get(host.ref.value)
    if override is not None:
        if override.enabled is False:
            return 'disabled'
        return override.behavior or dpm.defaultDpmBehavior or 'automated'
    return dpm.defaultDpmBehavior or 'automated'


def target_band(cluster):
    """(low, high) utilisation of DPM's target band, from the advanced options."""
    options = {option.key: option.value for option in cluster.settings.dpm.option or ()}
    target = _percent(options.get('DemandCapacityRatioTarget'), TARGET_PERCENT)
    tolerance = _percent(options.get('DemandCapacityRatioToleranceHost'), TOLERANCE_PERCENT)
    return max(target - tolerance, 0) / 100, min(target + tolerance, 100) / 100


def _percent(value, default):
    try:
        found = int(value)
    except (TypeError, ValueError):
        return default
    return found if 0 <= found <= 100 else default


def power_on_rating(load, high):
    return 5 if load >= 1 else 4 if load >= (high + 1) / 2 else 3


def power_off_rating(staying_load, band):
    low, high = band
    target = (low + high) / 2
    return 4 if staying_load < low else 3 if staying_load <= target else \
        2 if staying_load <= (target + high) / 2 else 1


class PowerPlanner:
    """The DPM decisions of one pass over `projection` (drs.Projection, the
    cluster as the pass's moves leave it), which it updates as evacuations
    are planned; `behavior(vm)` is the VM's DRS behaviour. A VM the pass
    moves already (`moved`) moves no further in it: its host stays on, so
    the hosts that take VMs (`receiving`) are filled first."""

    def __init__(self, cluster, projection, behavior, moved):
        self.cluster = cluster
        self.projection = projection
        self.behavior = behavior
        self.moved = set(moved)
        self.receiving = set()
        self.band = target_band(cluster)
        self.low, self.high = self.band
        self.order = {host: index for index, host in enumerate(cluster.hosts)}

    def decisions(self):
        rate = self.cluster.settings.dpm.hostPowerActionRate or 3
        projection = self.projection
        hottest = max(projection.hosts, key=projection.load, default=None)
        if hottest is not None and projection.load(hottest) > self.high:
            wake = self._power_on(projection.load(hottest))
            return [wake] if wake is not None and wake.rating >= rate else []
        return [decision for decision in self._power_offs() if decision.rating >= rate]

    def _power_on(self, load):
        for host in self.cluster.hosts:
            if host.power_state == 'standBy' and host.connection_state == 'connected' \
                    and dpm_behavior(self.cluster, host) != 'disabled':
                return HostPower(host, 'powerOn', power_on_rating(load, self.high))
        return None

    def _power_offs(self):
        projection = self.projection
        staying = list(projection.hosts)
        leaving = []
        tried = set()
        decisions = []
        while len(staying) > 1:
            below = [h for h in staying if h not in tried and projection.load(h) < self.low]
            if not below:
                break
            host = min(below, key=lambda h: (projection.load(h), self.order[h]))
            tried.add(host)
            if dpm_behavior(self.cluster, host) == 'disabled' \
                    or not self.cluster.allows_standby(leaving + [host]):
                continue
            others = [h for h in staying if h is not host]
            evacuation = self._evacuate(host, others)
            if evacuation is None:
                continue
            staying = others
            leaving.append(host)
            mean = sum(projection.load(h) for h in staying) / len(staying)
            decisions.append(HostPower(host, 'powerOff', power_off_rating(mean, self.band),
                                       evacuation))
        return decisions

    def _evacuate(self, host, others):
        """[(vm, destination)] moving every VM running on `host` to `others`
        within the band, planned in the projection; None (nothing planned)
        when one cannot go."""
        projection = self.projection
        planned = []
        for vm in sorted(projection.vms[host], key=lambda vm: vm.ref.value):
            destination = None
            if self.behavior(vm) != 'disabled' and vm not in self.moved:
                destination = self._destination(vm, host, others)
            if destination is None:
                for moved, where in reversed(planned):
                    projection.move(moved, where, host)
                return None
            planned.append((vm, destination))
        self.moved.update(vm for vm, _ in planned)
        self.receiving.update(destination for _, destination in planned)
        return planned

    def _destination(self, vm, host, others):
        projection = self.projection
        for candidate in sorted(others, key=lambda h: (h not in self.receiving,
                                                       projection.load(h), self.order[h])):
            if projection.refusal(vm, candidate, soft=False) is not None:
                continue
            projection.move(vm, host, candidate)
            if projection.load(candidate) <= self.high:
                return candidate
            projection.move(vm, candidate, host)
        return None
