"""ClusterEVCManager: a cluster's Enhanced vMotion Compatibility mode.

vCenter's EVC catalogue is two ladders, one per CPU vendor; a mode guarantees
the features of its generation and of every one below it. A cluster may run a
mode no higher than the lowest of its hosts' highest modes (a host's
`maxEVCModeKey`), of its hosts' vendor; an empty cluster takes any. Lowering
the baseline under powered-on VMs is refused: they may use the features it
would hide.

The simulated hosts report an Ivy Bridge CPU (host_system.CPU_MODEL), so their
highest mode is `intel-ivybridge` unless a host says otherwise
(`max_evc_mode_key`). The modes' CPUID masks are not simulated: their feature
arrays are empty.
"""
from vimsim.managed.base import ManagedObject
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.vm.provisioning import invalid_argument
from vimsim.soap.fault import fault, localized

# (key, generation name) bottom up, per vendor, as vCenter 8 lists them
INTEL_MODES = (('intel-merom', '"Merom"'), ('intel-penryn', '"Penryn"'),
               ('intel-nehalem', '"Nehalem"'), ('intel-westmere', '"Westmere"'),
               ('intel-sandybridge', '"Sandy Bridge"'), ('intel-ivybridge', '"Ivy Bridge"'),
               ('intel-haswell', '"Haswell"'), ('intel-broadwell', '"Broadwell"'),
               ('intel-skylake', '"Skylake"'), ('intel-cascadelake', '"Cascade Lake"'),
               ('intel-icelake', '"Ice Lake"'), ('intel-sapphirerapids', '"Sapphire Rapids"'))
AMD_MODES = (('amd-rev-e', 'Opteron\u2122 Generation 1'),
             ('amd-rev-f', 'Opteron\u2122 Generation 2'),
             ('amd-greyhound-no3dnow', 'Opteron\u2122 Gen. 3 (no 3DNow!\u2122)'),
             ('amd-greyhound', 'Opteron\u2122 Generation 3'),
             ('amd-bulldozer', 'Opteron\u2122 "Bulldozer"'),
             ('amd-piledriver', 'Opteron\u2122 "Piledriver"'),
             ('amd-steamroller', 'Opteron\u2122 "Steamroller"'), ('amd-zen', '"Zen"'),
             ('amd-zen2', '"Zen 2"'), ('amd-zen3', '"Zen 3"'), ('amd-zen4', '"Zen 4"'))


def _catalogue():
    """key -> (vendor, tier, label), each vendor's ladder bottom up."""
    modes = {}
    for vendor, brand, ladder in (('intel', 'Intel\u00ae', INTEL_MODES),
                                  ('amd', 'AMD', AMD_MODES)):
        for tier, (key, generation) in enumerate(ladder):
            modes[key] = (vendor, tier, '%s %s Generation' % (brand, generation))
    return modes


MODES = _catalogue()
HOST_MAX_MODE = 'intel-ivybridge'


def host_max_mode(host):
    return getattr(host, 'max_evc_mode_key', HOST_MAX_MODE)


def evc_modes(T):
    """The catalogue as EVCMode objects, each vendor's ladder bottom up."""
    return [T.EVCMode(key=key, label=label, summary=label, vendor=vendor, vendorTier=tier,
                      track=[], guaranteedCPUFeatures=[], featureCapability=[],
                      featureMask=[], featureRequirement=[])
            for key, (vendor, tier, label) in MODES.items()]


class ClusterEVCManager(ManagedObject):
    type_name = 'ClusterEVCManager'
    value = ()
    availableField = ()

    def __init__(self, server, moid, cluster):
        super().__init__(server, moid)
        self.cluster = cluster

    @property
    def managedCluster(self):
        return self.cluster.ref

    @property
    def evcState(self):
        T = self.cluster.T
        return T.ClusterEVCManagerEVCState(
            supportedEVCMode=evc_modes(T), currentEVCModeKey=self.cluster.evc_mode_key,
            guaranteedCPUFeatures=[], featureCapability=[], featureMask=[],
            featureRequirement=[])

    # -- checks ------------------------------------------------------------------------
    def problems(self, key):
        """[(fault, hosts)] that keep the cluster from running mode `key`."""
        if key not in MODES:
            raise invalid_argument('evcModeKey')
        vendor, tier, _ = MODES[key]
        out = []
        hosts = self.cluster.hosts
        vendors = {MODES[host_max_mode(h)][0] for h in hosts}
        if vendors and vendor not in vendors:
            out.append((fault('EVCModeIllegalByVendor', 'The EVC mode is not supported by '
                              'the CPU vendor of the hosts in the cluster.',
                              clusterCPUVendor=sorted(vendors)[0], modeCPUVendor=vendor),
                        hosts))
            return out
        below = [host for host in hosts if MODES[host_max_mode(host)][1] < tier]
        if below:
            out.append((fault('EVCModeUnsupportedByHosts', 'The EVC mode %s is not supported '
                              'by the hosts %s.' % (key, ', '.join(h.name for h in below)),
                              evcMode=key, host=[h.ref for h in below],
                              hostName=[h.name for h in below]), below))
        running = [vm for vm in self.running_vms() if tier < self.running_tier(vm, vendor)]
        if running:
            out.append((fault('EVCConfigFault', 'The EVC mode cannot be lowered while '
                              'powered-on virtual machines may use the features it hides.'),
                        sorted({vm.host for vm in running}, key=hosts.index)))
        return out

    def running_vms(self):
        return [vm for host in self.cluster.hosts for vm in host.vms
                if vm.power_state == 'poweredOn']

    def running_tier(self, vm, vendor):
        """The baseline a running VM was started under: the cluster's mode,
        else its host's highest (or none of this vendor's)."""
        current = self.cluster.evc_mode_key or host_max_mode(vm.host)
        mode_vendor, tier, _ = MODES[current]
        return tier if mode_vendor == vendor else -1

    def check_results(self, key):
        T = self.cluster.T
        return [T.ClusterEVCManagerCheckResult(evcModeKey=key, error=localized(problem),
                                               host=[h.ref for h in hosts])
                for problem, hosts in self.problems(key)]

    # -- methods ----------------------------------------------------------------------
    def ConfigureEvcMode_Task(self, ctx, evcModeKey, evcGraphicsModeKey=None):
        if evcGraphicsModeKey is not None:
            raise fault('NotSupported', 'The operation is not supported on the object.')

        def work(task):
            problems = self.problems(evcModeKey)
            if problems:
                if len(problems) == 1:
                    raise problems[0][0]
                raise fault('EVCConfigFault', 'The EVC mode cannot be configured.',
                            faults=[localized(problem) for problem, _ in problems])
            self.set_mode(task, evcModeKey)
            return None
        return run_task(ctx, self.cluster, 'ConfigureEvcMode_Task', work, this=self)

    def DisableEvcMode_Task(self, ctx):
        def work(task):
            self.set_mode(task, None)
            return None
        return run_task(ctx, self.cluster, 'DisableEvcMode_Task', work, this=self)

    def set_mode(self, task, key):
        before = self.cluster.evc_mode_key
        if before == key:
            return
        self.cluster.evc_mode_key = key
        self.changed('evcState')
        self.cluster.changed('summary')
        task.post_event('ClusterReconfiguredEvent', self.cluster,
                        configChanges=self.cluster.T.ChangesInfoEventArgument(
                            modified='summary.currentEVCModeKey: %s -> %s' % (
                                before or '<unset>', key or '<unset>')))

    def CheckConfigureEvcMode_Task(self, ctx, evcModeKey, evcGraphicsModeKey=None):
        if evcGraphicsModeKey is not None:
            raise fault('NotSupported', 'The operation is not supported on the object.')
        return run_task(ctx, self.cluster, 'CheckConfigureEvcMode_Task',
                        lambda task: self.check_results(evcModeKey), this=self)

    def CheckAddHostEvc_Task(self, ctx, cnxSpec):
        """Whether a host would be admitted under the current mode. A host the
        inventory has is judged by its own highest mode; any other would be
        one more simulated host."""
        if not cnxSpec.hostName:
            raise invalid_argument('cnxSpec.hostName')

        def work(task):
            current = self.cluster.evc_mode_key
            if current is None:
                return []
            known = next((h for h in self.server.objects.of_type('HostSystem')
                          if h.name == cnxSpec.hostName), None)
            best = host_max_mode(known) if known is not None else HOST_MAX_MODE
            T = self.cluster.T
            vendor, tier, _ = MODES[current]
            best_vendor, best_tier, _ = MODES[best]
            if best_vendor != vendor:
                problem = fault('EVCAdmissionFailedCPUVendor', 'The host CPU vendor does not '
                                'match the cluster.', clusterCPUVendor=vendor,
                                hostCPUVendor=best_vendor)
            elif best_tier < tier:
                problem = fault('EVCAdmissionFailedCPUModelForMode', "The host's CPU "
                                'hardware does not support the current EVC mode %s.' % current,
                                currentEVCModeKey=current)
            else:
                return []
            return [T.ClusterEVCManagerCheckResult(evcModeKey=current,
                                                   error=localized(problem), host=[])]
        return run_task(ctx, self.cluster, 'CheckAddHostEvc_Task', work, this=self)
